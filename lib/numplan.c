/* The number plan: decides whether a peer is one of ours, a rival's, a
 * rival service line or our own service centre, which feeds the fwd_rival,
 * rival_service and own_service_calls aggregates.
 * Built from the number-plan files at start or reload, then only read. */
#include "numplan.h"

#include "hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

#define OPERATOR_NAME_MAX 64
#define NO_OPERATOR UINT32_MAX

/* One trie level per digit; `op` is the operator of the prefix ending here. */
typedef struct {
    uint32_t child[10]; /* node index, 0 = none (the root is never a child) */
    uint32_t op;
} trie_node_t;

typedef struct {
    char *name;
    bool own;
} operator_t;

/* Open addressing over numbers packed into 64 bits (see pack_number); key 0
 * marks an empty slot, which no packed number can be. */
typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} numtab_t;

struct cw_numplan {
    char *country_code;
    trie_node_t *nodes;
    size_t node_count, node_cap;
    size_t prefix_count;
    operator_t *ops;
    size_t op_count, op_cap;
    uint32_t *op_index; /* hash of operator name -> op + 1; 0 = empty */
    size_t op_index_cap;
    numtab_t ported;
    numtab_t services;
    numtab_t own_services;
};

static void set_err(char *errbuf, size_t errbuf_size, const char *msg)
{
    if (errbuf != NULL && errbuf_size > 0)
        snprintf(errbuf, errbuf_size, "%s", msg);
}

/* Digits and length together, so "0123" and "123" stay different keys; 15
 * digits need 50 bits, the length 4 more. 0 when the text is not 1..15
 * digits. */
static uint64_t pack_number(const char *digits, size_t len)
{
    if (len == 0 || len > CW_NUMBER_MAX)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(digits[i] - '0');
    }
    return v << 4 | len;
}

static size_t numtab_slot(const numtab_t *tab, uint64_t key)
{
    size_t mask = tab->cap - 1;
    size_t i = (size_t)cw_hash_mix64(key) & mask;
    while (tab->keys[i] != 0 && tab->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static const uint32_t *numtab_get(const numtab_t *tab, uint64_t key)
{
    if (tab->count == 0 || key == 0)
        return NULL;
    size_t i = numtab_slot(tab, key);
    return tab->keys[i] == key ? &tab->vals[i] : NULL;
}

static int numtab_grow(numtab_t *tab)
{
    size_t cap = tab->cap ? tab->cap * 2 : 64;
    numtab_t bigger = {cw_calloc(cap, sizeof(uint64_t)), cw_calloc(cap, sizeof(uint32_t)),
                       cap, tab->count};
    if (bigger.keys == NULL || bigger.vals == NULL) {
        cw_free(bigger.keys);
        cw_free(bigger.vals);
        return -1;
    }
    for (size_t i = 0; i < tab->cap; i++) {
        if (tab->keys[i] != 0) {
            size_t j = numtab_slot(&bigger, tab->keys[i]);
            bigger.keys[j] = tab->keys[i];
            bigger.vals[j] = tab->vals[i];
        }
    }
    cw_free(tab->keys);
    cw_free(tab->vals);
    *tab = bigger;
    return 0;
}

/* Inserts or overwrites; -1 when out of memory. */
static int numtab_put(numtab_t *tab, uint64_t key, uint32_t val)
{
    /* keep the load under 3/4 so probe runs stay short */
    if ((tab->count + 1) * 4 > tab->cap * 3 && numtab_grow(tab) != 0)
        return -1;
    size_t i = numtab_slot(tab, key);
    if (tab->keys[i] == 0) {
        tab->keys[i] = key;
        tab->count++;
    }
    tab->vals[i] = val;
    return 0;
}

static void numtab_free(numtab_t *tab)
{
    cw_free(tab->keys);
    cw_free(tab->vals);
    memset(tab, 0, sizeof *tab);
}

cw_numplan_t *cw_numplan_new(const char *country_code)
{
    cw_numplan_t *plan = cw_calloc(1, sizeof *plan);
    if (plan == NULL)
        return NULL;
    plan->country_code = cw_strdup(country_code != NULL ? country_code : "");
    plan->nodes = cw_calloc(16, sizeof *plan->nodes);
    if (plan->country_code == NULL || plan->nodes == NULL) {
        cw_numplan_free(plan);
        return NULL;
    }
    plan->node_cap = 16;
    plan->node_count = 1;
    plan->nodes[0].op = NO_OPERATOR;
    return plan;
}

void cw_numplan_free(cw_numplan_t *plan)
{
    if (plan == NULL)
        return;
    for (size_t i = 0; i < plan->op_count; i++)
        cw_free(plan->ops[i].name);
    cw_free(plan->ops);
    cw_free(plan->op_index);
    cw_free(plan->nodes);
    cw_free(plan->country_code);
    numtab_free(&plan->ported);
    numtab_free(&plan->services);
    numtab_free(&plan->own_services);
    cw_free(plan);
}

static bool operator_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > OPERATOR_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == 0x7f || c == '#')
            return false;
    }
    return true;
}

static size_t op_index_slot(const cw_numplan_t *plan, const char *name, size_t len)
{
    size_t mask = plan->op_index_cap - 1;
    size_t i = (size_t)cw_hash64(name, len, 0) & mask;
    for (;;) {
        uint32_t e = plan->op_index[i];
        if (e == 0)
            return i;
        const char *other = plan->ops[e - 1].name;
        if (strlen(other) == len && memcmp(other, name, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int op_index_grow(cw_numplan_t *plan)
{
    size_t cap = plan->op_index_cap ? plan->op_index_cap * 2 : 16;
    uint32_t *index = cw_calloc(cap, sizeof *index);
    if (index == NULL)
        return -1;
    cw_free(plan->op_index);
    plan->op_index = index;
    plan->op_index_cap = cap;
    for (size_t k = 0; k < plan->op_count; k++) {
        const char *name = plan->ops[k].name;
        plan->op_index[op_index_slot(plan, name, strlen(name))] = (uint32_t)k + 1;
    }
    return 0;
}

/* The operator's index, added when new; `own` sticks once set, so the order
 * in which own and rival files load does not matter. -1 when out of memory. */
static int64_t operator_intern(cw_numplan_t *plan, const char *name, size_t len, bool own)
{
    if ((plan->op_count + 1) * 2 > plan->op_index_cap && op_index_grow(plan) != 0)
        return -1;
    size_t slot = op_index_slot(plan, name, len);
    if (plan->op_index[slot] != 0) {
        operator_t *op = &plan->ops[plan->op_index[slot] - 1];
        op->own = op->own || own;
        return plan->op_index[slot] - 1;
    }
    operator_t *ops =
        cw_grow(plan->ops, &plan->op_cap, plan->op_count + 1, sizeof *ops, 8);
    if (ops == NULL)
        return -1;
    plan->ops = ops;
    char *copy = cw_strndup(name, len);
    if (copy == NULL)
        return -1;
    plan->ops[plan->op_count] = (operator_t){copy, own};
    plan->op_index[slot] = (uint32_t)plan->op_count + 1;
    return (int64_t)plan->op_count++;
}

static int64_t checked_operator(cw_numplan_t *plan, const char *name, size_t len,
                                bool own, char *errbuf, size_t errbuf_size)
{
    if (!operator_name_ok(name, len)) {
        set_err(
            errbuf, errbuf_size,
            "bad operator: expected a word of 1..64 characters without spaces or '#'");
        return -1;
    }
    int64_t op = operator_intern(plan, name, len, own);
    if (op < 0)
        set_err(errbuf, errbuf_size, "out of memory");
    return op;
}

static int add_prefix_n(cw_numplan_t *plan, const char *prefix, size_t len,
                        const char *name, size_t name_len, bool own, char *errbuf,
                        size_t errbuf_size)
{
    if (pack_number(prefix, len) == 0) {
        set_err(errbuf, errbuf_size, "bad prefix: expected 1..15 digits");
        return -1;
    }
    int64_t op = checked_operator(plan, name, name_len, own, errbuf, errbuf_size);
    if (op < 0)
        return -1;
    /* room for every node this prefix may need, so a failure leaves no half
     * path behind */
    trie_node_t *nodes =
        cw_grow(plan->nodes, &plan->node_cap, plan->node_count + len, sizeof *nodes, 16);
    if (nodes == NULL) {
        set_err(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    plan->nodes = nodes;
    uint32_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int d = prefix[i] - '0';
        if (plan->nodes[n].child[d] == 0) {
            uint32_t fresh = (uint32_t)plan->node_count++;
            memset(&plan->nodes[fresh], 0, sizeof plan->nodes[fresh]);
            plan->nodes[fresh].op = NO_OPERATOR;
            plan->nodes[n].child[d] = fresh;
        }
        n = plan->nodes[n].child[d];
    }
    if (plan->nodes[n].op == NO_OPERATOR)
        plan->prefix_count++;
    plan->nodes[n].op = (uint32_t)op;
    return 0;
}

static uint64_t normalised_key(const cw_numplan_t *plan, const char *number, size_t len,
                               char *errbuf, size_t errbuf_size)
{
    char digits[CW_NUMBER_SIZE];
    int n = cw_number_normalise(number, len, plan->country_code, digits);
    if (n < 0) {
        set_err(errbuf, errbuf_size,
                "bad number: expected 3..15 digits after normalisation");
        return 0;
    }
    return pack_number(digits, (size_t)n);
}

static int add_ported_n(cw_numplan_t *plan, const char *number, size_t len,
                        const char *name, size_t name_len, char *errbuf,
                        size_t errbuf_size)
{
    uint64_t key = normalised_key(plan, number, len, errbuf, errbuf_size);
    if (key == 0)
        return -1;
    int64_t op = checked_operator(plan, name, name_len, false, errbuf, errbuf_size);
    if (op < 0)
        return -1;
    if (numtab_put(&plan->ported, key, (uint32_t)op) != 0) {
        set_err(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    return 0;
}

static int add_number_n(cw_numplan_t *plan, numtab_t *tab, const char *number, size_t len,
                        char *errbuf, size_t errbuf_size)
{
    uint64_t key = normalised_key(plan, number, len, errbuf, errbuf_size);
    if (key == 0)
        return -1;
    if (numtab_put(tab, key, 0) != 0) {
        set_err(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    return 0;
}

int cw_numplan_add_prefix(cw_numplan_t *plan, const char *prefix,
                          const char *operator_name, bool own, char *errbuf,
                          size_t errbuf_size)
{
    return add_prefix_n(plan, prefix, strlen(prefix), operator_name,
                        strlen(operator_name), own, errbuf, errbuf_size);
}

int cw_numplan_add_ported(cw_numplan_t *plan, const char *number,
                          const char *operator_name, char *errbuf, size_t errbuf_size)
{
    return add_ported_n(plan, number, strlen(number), operator_name,
                        strlen(operator_name), errbuf, errbuf_size);
}

int cw_numplan_add_service(cw_numplan_t *plan, const char *number, char *errbuf,
                           size_t errbuf_size)
{
    return add_number_n(plan, &plan->services, number, strlen(number), errbuf, errbuf_size);
}

int cw_numplan_add_own_service(cw_numplan_t *plan, const char *number, char *errbuf,
                               size_t errbuf_size)
{
    return add_number_n(plan, &plan->own_services, number, strlen(number), errbuf,
                        errbuf_size);
}

/* The three file kinds differ only in their columns and what they add. */
typedef enum { FILE_PREFIXES, FILE_PORTED, FILE_SERVICES } file_kind_t;

typedef struct {
    const char *p;
    size_t len;
} token_t;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits a line (comment already cut) into at most 3 tokens; returns how many
 * there were, capped at 3 (a third means "extra column"). */
static int split_line(const char *p, size_t len, token_t tok[3])
{
    int n = 0;
    size_t i = 0;
    while (n < 3) {
        while (i < len && is_space(p[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_space(p[i]))
            i++;
        tok[n].p = p + start;
        tok[n].len = i - start;
        n++;
    }
    return n;
}

static int parse_line(cw_numplan_t *plan, file_kind_t kind, bool own, const token_t *tok,
                      int ntok, char *errbuf, size_t errbuf_size)
{
    /* problems reported left to right: first column, then the column count */
    if (kind == FILE_PREFIXES && pack_number(tok[0].p, tok[0].len) == 0) {
        set_err(errbuf, errbuf_size, "bad prefix: expected 1..15 digits");
        return -1;
    }
    if (kind != FILE_PREFIXES &&
        normalised_key(plan, tok[0].p, tok[0].len, errbuf, errbuf_size) == 0)
        return -1;
    if (kind != FILE_SERVICES && ntok < 2) {
        set_err(errbuf, errbuf_size,
                kind == FILE_PREFIXES ? "missing operator after the prefix"
                                      : "missing operator after the number");
        return -1;
    }
    if (ntok > (kind == FILE_SERVICES ? 1 : 2)) {
        set_err(errbuf, errbuf_size,
                kind == FILE_SERVICES ? "extra column: expected only a number"
                                      : "extra column: expected only two columns");
        return -1;
    }
    switch (kind) {
    case FILE_PREFIXES:
        return add_prefix_n(plan, tok[0].p, tok[0].len, tok[1].p, tok[1].len, own, errbuf,
                            errbuf_size);
    case FILE_PORTED:
        return add_ported_n(plan, tok[0].p, tok[0].len, tok[1].p, tok[1].len, errbuf,
                            errbuf_size);
    case FILE_SERVICES:
        return add_number_n(plan, &plan->services, tok[0].p, tok[0].len, errbuf,
                            errbuf_size);
    }
    return -1;
}

static int parse_text(cw_numplan_t *plan, file_kind_t kind, bool own, const char *text,
                      size_t len, const char *path, cw_errlist_t *errs)
{
    int errors = 0;
    int lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        lineno++;
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += line_len + (nl != NULL);
        const char *hash = memchr(line, '#', line_len);
        if (hash != NULL)
            line_len = (size_t)(hash - line);
        token_t tok[3];
        int ntok = split_line(line, line_len, tok);
        if (ntok == 0)
            continue;
        char why[128];
        if (parse_line(plan, kind, own, tok, ntok, why, sizeof why) != 0) {
            cw_errlist_add(errs, "%s:%d: %s", path, lineno, why);
            errors++;
        }
    }
    return errors;
}

int cw_numplan_parse_prefixes(cw_numplan_t *plan, const char *text, size_t len,
                              const char *path, bool own, cw_errlist_t *errs)
{
    return parse_text(plan, FILE_PREFIXES, own, text, len, path, errs);
}

int cw_numplan_parse_ported(cw_numplan_t *plan, const char *text, size_t len,
                            const char *path, cw_errlist_t *errs)
{
    return parse_text(plan, FILE_PORTED, false, text, len, path, errs);
}

int cw_numplan_parse_services(cw_numplan_t *plan, const char *text, size_t len,
                              const char *path, cw_errlist_t *errs)
{
    return parse_text(plan, FILE_SERVICES, false, text, len, path, errs);
}

/* Reads the whole file into a new buffer; NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, used = 0;
    char *buf = cw_malloc(cap);
    if (buf == NULL) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        /* a full buffer doubles, so fread always has room for a byte more */
        char *bigger = cw_grow(buf, &cap, used + 1, 1, 4096);
        if (bigger == NULL) {
            cw_free(buf);
            fclose(f);
            errno = ENOMEM;
            return NULL;
        }
        buf = bigger;
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            if (ferror(f)) {
                int saved = errno != 0 ? errno : EIO;
                cw_free(buf);
                fclose(f);
                errno = saved;
                return NULL;
            }
            break;
        }
    }
    fclose(f);
    *len = used;
    return buf;
}

static int load_file(cw_numplan_t *plan, file_kind_t kind, bool own, const char *path,
                     cw_errlist_t *errs)
{
    size_t len = 0;
    errno = 0;
    char *text = read_file(path, &len);
    if (text == NULL) {
        cw_errlist_add(errs, "%s: cannot read: %s", path,
                       strerror(errno != 0 ? errno : EIO));
        return 1;
    }
    int errors = parse_text(plan, kind, own, text, len, path, errs);
    cw_free(text);
    return errors;
}

int cw_numplan_load_prefixes(cw_numplan_t *plan, const char *path, bool own,
                             cw_errlist_t *errs)
{
    return load_file(plan, FILE_PREFIXES, own, path, errs);
}

int cw_numplan_load_ported(cw_numplan_t *plan, const char *path, cw_errlist_t *errs)
{
    return load_file(plan, FILE_PORTED, false, path, errs);
}

int cw_numplan_load_services(cw_numplan_t *plan, const char *path, cw_errlist_t *errs)
{
    return load_file(plan, FILE_SERVICES, false, path, errs);
}

/* The operator index for a number: ported entry first, then the longest
 * prefix on the trie walk. */
static uint32_t operator_of(const cw_numplan_t *plan, const char *number)
{
    size_t len = strnlen(number, CW_NUMBER_SIZE);
    const uint32_t *ported = numtab_get(&plan->ported, pack_number(number, len));
    if (ported != NULL)
        return *ported;
    uint32_t best = NO_OPERATOR;
    uint32_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(number[i] - '0');
        if (d > 9 || (n = plan->nodes[n].child[d]) == 0)
            break;
        if (plan->nodes[n].op != NO_OPERATOR)
            best = plan->nodes[n].op;
    }
    return best;
}

cw_owner_t cw_numplan_owner(const cw_numplan_t *plan, const char *number)
{
    uint32_t op = operator_of(plan, number);
    if (op == NO_OPERATOR)
        return CW_OWNER_UNKNOWN;
    return plan->ops[op].own ? CW_OWNER_OWN : CW_OWNER_RIVAL;
}

const char *cw_numplan_operator(const cw_numplan_t *plan, const char *number)
{
    uint32_t op = operator_of(plan, number);
    return op == NO_OPERATOR ? NULL : plan->ops[op].name;
}

bool cw_numplan_is_rival_service(const cw_numplan_t *plan, const char *number)
{
    size_t len = strnlen(number, CW_NUMBER_SIZE);
    return numtab_get(&plan->services, pack_number(number, len)) != NULL;
}

bool cw_numplan_is_own_service(const cw_numplan_t *plan, const char *number)
{
    size_t len = strnlen(number, CW_NUMBER_SIZE);
    return numtab_get(&plan->own_services, pack_number(number, len)) != NULL;
}

size_t cw_numplan_prefix_count(const cw_numplan_t *plan)
{
    return plan->prefix_count;
}

size_t cw_numplan_ported_count(const cw_numplan_t *plan)
{
    return plan->ported.count;
}

size_t cw_numplan_service_count(const cw_numplan_t *plan)
{
    return plan->services.count;
}

size_t cw_numplan_own_service_count(const cw_numplan_t *plan)
{
    return plan->own_services.count;
}
