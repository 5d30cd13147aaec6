/* Fills the key reference of cdrwarn.conf(5) in from the config table
 * (config.c): each @section.key@ of the page source becomes the key's type,
 * bounds, default and reload behaviour in scdoc markup, and a key of the
 * table that the page never names is an error, so the build fails before a
 * page goes out without it. */
#include "confdoc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define NAME_MAX_CHARS 64

typedef struct buf {
    char *text;
    size_t len, cap;
    bool failed;
} buf_t;

static void buf_add(buf_t *b, const char *text, size_t len)
{
    if (b->failed)
        return;
    char *grown = cw_grow(b->text, &b->cap, b->len + len + 1, 1, 4096);
    if (grown == NULL) {
        b->failed = true;
        return;
    }
    b->text = grown;
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
}

/* A writer into a fixed buffer that remembers running out of room. */
typedef struct line {
    char *out;
    size_t size, len;
    bool cut;
} line_t;

static void line_add(line_t *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void line_add(line_t *l, const char *fmt, ...)
{
    if (l->cut)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->out + l->len, l->size - l->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= l->size - l->len) {
        l->cut = true;
        l->len = l->size - 1;
        return;
    }
    l->len += (size_t)n;
}

/* A value as scdoc literal text: its markup characters escaped. */
static void line_add_literal(line_t *l, const char *value)
{
    for (const char *c = value; *c != '\0' && !l->cut; c++) {
        if (*c == '*' || *c == '_' || *c == '\\')
            line_add(l, "\\%c", *c);
        else
            line_add(l, "%c", *c);
    }
}

/* Milliseconds in the largest unit that divides them exactly, as a config
 * file would write them ("30d", "100ms"). */
static void line_add_duration(line_t *l, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *suffix;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms != 0 && ms % units[i].ms == 0) {
            line_add(l, "%" PRId64 "%s", ms / units[i].ms, units[i].suffix);
            return;
        }
    }
    line_add(l, ms == 0 ? "0" : "%" PRId64 "ms", ms);
}

/* Bytes in the largest power-of-1024 unit that divides them exactly. */
static void line_add_size(line_t *l, int64_t bytes)
{
    static const char *const units[] = {"G", "M", "K"};
    for (int i = 0; i < 3; i++) {
        int shift = 30 - 10 * i;
        if (bytes != 0 && bytes % (1LL << shift) == 0) {
            line_add(l, "%" PRId64 "%s", bytes >> shift, units[i]);
            return;
        }
    }
    line_add(l, "%" PRId64, bytes);
}

int cw_confdoc_describe(const cw_config_key_t *key, char *out, size_t size)
{
    line_t l = {out, size, 0, false};
    if (size == 0)
        return -1;
    out[0] = '\0';
    if (key->def == NULL) {
        line_add(&l, "Required");
    } else if (key->def[0] == '\0') {
        line_add(&l, "Default: empty, none");
    } else {
        line_add(&l, "Default: *");
        line_add_literal(&l, key->def);
        line_add(&l, "*");
    }
    line_add(&l, " (%s", key->type);
    if (key->min != 0 || key->max != 0) {
        bool duration = strcmp(key->type, "duration") == 0;
        line_add(&l, ", ");
        if (key->max == INT64_MAX) {
            line_add(&l, "at least ");
            if (duration)
                line_add_duration(&l, key->min);
            else
                line_add(&l, "%" PRId64, key->min);
        } else if (duration) {
            line_add_duration(&l, key->min);
            line_add(&l, " to ");
            line_add_duration(&l, key->max);
        } else if (strcmp(key->type, "size") == 0) {
            line_add_size(&l, key->min);
            line_add(&l, " to ");
            line_add_size(&l, key->max);
        } else {
            line_add(&l, "%" PRId64 " to %" PRId64, key->min, key->max);
        }
    }
    line_add(&l, ").");
    switch (key->reload) {
    case CW_RELOAD_APPLY:
        line_add(&l, " A reload applies a change.");
        break;
    case CW_RELOAD_RESTART:
        line_add(&l, " A change needs a restart.");
        break;
    case CW_RELOAD_REFUSE:
        line_add(&l, " A reload that changes it is refused.");
        break;
    }
    return l.cut ? -1 : 0;
}

/* The length of "<section>.<key>" at text (lower-case letters, digits and
 * underscores, the section letters only) when an '@' closes it; 0 when text
 * does not hold such a name. */
static size_t placeholder_len(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && text[i] >= 'a' && text[i] <= 'z')
        i++;
    if (i == 0 || i >= len || text[i] != '.')
        return 0;
    size_t key_start = ++i;
    while (i < len && ((text[i] >= 'a' && text[i] <= 'z') ||
                       (text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
        i++;
    if (i == key_start || i >= len || text[i] != '@' || i > 2 * NAME_MAX_CHARS)
        return 0;
    return i;
}

/* The description, one sentence a line (roff's habit, and lines a linter
 * accepts), each line indented like the one the placeholder stood on. */
static void add_sentences(buf_t *page, const char *description, const char *text,
                          size_t at)
{
    size_t line_start = at;
    while (line_start > 0 && text[line_start - 1] != '\n')
        line_start--;
    size_t indent = 0;
    while (line_start + indent < at &&
           (text[line_start + indent] == '\t' || text[line_start + indent] == ' '))
        indent++;
    const char *c = description;
    const char *brk;
    while ((brk = strstr(c, ". ")) != NULL) {
        buf_add(page, c, (size_t)(brk - c) + 1);
        buf_add(page, "\n", 1);
        buf_add(page, text + line_start, indent);
        c = brk + 2;
    }
    buf_add(page, c, strlen(c));
}

static long find_key(const char *name, size_t len)
{
    size_t count = cw_config_key_count();
    for (size_t i = 0; i < count; i++) {
        cw_config_key_t key;
        cw_config_key_at(i, &key);
        size_t section_len = strlen(key.section);
        if (section_len + 1 + strlen(key.key) == len &&
            strncmp(name, key.section, section_len) == 0 && name[section_len] == '.' &&
            strncmp(name + section_len + 1, key.key, len - section_len - 1) == 0)
            return (long)i;
    }
    return -1;
}

int cw_confdoc_expand(const char *text, size_t len, const char *path, char **out,
                      cw_errlist_t *errs)
{
    *out = NULL;
    size_t count = cw_config_key_count();
    int *named_at =
        cw_calloc(count ? count : 1, sizeof *named_at); /* line; 0 = not yet */
    if (named_at == NULL)
        return -1;
    buf_t page = {NULL, 0, 0, false};
    int errors = 0, line = 1;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && text[run] != '@') {
            if (text[run] == '\n')
                line++;
            run++;
        }
        buf_add(&page, text + i, run - i);
        if (run >= len)
            break;
        i = run + 1; /* past the '@' */
        if (i < len && text[i] == '@') {
            buf_add(&page, "@", 1);
            i++;
            continue;
        }
        size_t name_len = placeholder_len(text + i, len - i);
        if (name_len == 0) {
            buf_add(&page, "@", 1);
            continue;
        }
        long index = find_key(text + i, name_len);
        if (index < 0) {
            cw_errlist_add(errs, "%s:%d: @%.*s@ names no key of the config table", path,
                           line, (int)name_len, text + i);
            errors++;
        } else if (named_at[index] != 0) {
            cw_errlist_add(errs, "%s:%d: @%.*s@ is described already at line %d", path,
                           line, (int)name_len, text + i, named_at[index]);
            errors++;
        } else {
            cw_config_key_t key;
            char description[CW_CONFDOC_LINE_SIZE];
            cw_config_key_at((size_t)index, &key);
            named_at[index] = line;
            if (cw_confdoc_describe(&key, description, sizeof description) != 0) {
                cw_errlist_add(errs, "%s:%d: the description of [%s] %s is too long",
                               path, line, key.section, key.key);
                errors++;
            }
            add_sentences(&page, description, text, run);
        }
        i += name_len + 1; /* the name and its closing '@' */
    }
    for (size_t k = 0; k < count; k++) {
        if (named_at[k] != 0)
            continue;
        cw_config_key_t key;
        cw_config_key_at(k, &key);
        cw_errlist_add(errs, "%s: [%s] %s is not described: add @%s.%s@ with its text",
                       path, key.section, key.key, key.section, key.key);
        errors++;
    }
    cw_free(named_at);
    if (page.failed) {
        cw_free(page.text);
        return -1;
    }
    if (errors > 0) {
        cw_free(page.text);
        return errors;
    }
    if (page.text == NULL) {
        page.text = cw_strdup("");
        if (page.text == NULL)
            return -1;
    }
    *out = page.text;
    return 0;
}
