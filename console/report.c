/* Weekly report arithmetic and formats (see report.h). Ratios are integer
 * thousandths until the JSON writes them as numbers with three decimals. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "intake.h"

static const char *const outcomes[4] = {"retained", "churned", "unreachable", "declined"};
static const char *const reasons[5] = {"price", "quality", "social", "convenience",
                                       "other"};

static int index_of(const char *s, size_t len, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(s, list[i], len) == 0)
            return i;
    return -1;
}

static int64_t *outcome_slot(cw_report_row_t *row, int outcome)
{
    switch (outcome) {
    case 0:
        return &row->retained;
    case 1:
        return &row->churned;
    case 2:
        return &row->unreachable;
    default:
        return &row->declined;
    }
}

static cw_report_row_t *agent_row(cw_report_t *r, const char *name, size_t len)
{
    if (len == 0 || len > 64)
        return NULL;
    for (size_t i = 0; i < r->agent_count; i++)
        if (strlen(r->agents[i]) == len && memcmp(r->agents[i], name, len) == 0)
            return &r->agent_rows[i];
    if (r->agent_count == CW_REPORT_AGENTS_MAX)
        return NULL;
    memcpy(r->agents[r->agent_count], name, len);
    r->agents[r->agent_count][len] = '\0';
    return &r->agent_rows[r->agent_count++];
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

void cw_report_from_fields(cw_report_t *r, const char *week, int horizon_weeks,
                           size_t count, const char *const *fields,
                           const size_t *field_lens, const char *const *values,
                           const size_t *value_lens)
{
    memset(r, 0, sizeof *r);
    snprintf(r->week, sizeof r->week, "%s", week);
    r->monthly = strchr(r->week, 'W') == NULL;
    r->horizon_weeks = horizon_weeks;
    for (size_t i = 0; i < count; i++) {
        const char *f = fields[i];
        size_t fl = field_lens[i];
        char num[24];
        size_t vl = value_lens[i] < sizeof num - 1 ? value_lens[i] : sizeof num - 1;
        memcpy(num, values[i], vl);
        num[vl] = '\0';
        int64_t v = strtoll(num, NULL, 10);
        if (fl >= 3 && f[1] == ':' && (f[0] == 'n' || f[0] == 'h') && fl == 3) {
            int level = f[2] - '0';
            if (level < 1 || level > 3)
                continue;
            if (f[0] == 'n')
                r->level[level].cases += v;
            else
                r->level[level].hits += v;
        } else if (fl > 4 && f[0] == 'o' && f[1] == ':' && f[3] == ':') {
            int level = f[2] - '0';
            int oc = index_of(f + 4, fl - 4, outcomes, 4);
            if (level >= 1 && level <= 3 && oc >= 0)
                *outcome_slot(&r->level[level], oc) += v;
        } else if (fl > 2 && f[0] == 'r' && f[1] == ':') {
            const char *colon = memchr(f + 2, ':', fl - 2);
            if (colon == NULL)
                continue;
            int oc = index_of(f + 2, (size_t)(colon - f - 2), outcomes, 4);
            int rs = index_of(colon + 1, fl - (size_t)(colon + 1 - f), reasons, 5);
            if (oc >= 0 && rs >= 0)
                r->reasons[oc][rs] += v;
        } else if (fl > 2 && f[0] == 'a' && f[1] == ':') {
            /* a:<user>:n, a:<user>:h, a:<user>:o:<outcome>; names hold no ':' */
            const char *name = f + 2;
            const char *colon = memchr(name, ':', fl - 2);
            if (colon == NULL)
                continue;
            size_t rest = fl - (size_t)(colon + 1 - f);
            const char *what = colon + 1;
            cw_report_row_t *row = agent_row(r, name, (size_t)(colon - name));
            if (row == NULL)
                continue;
            if (rest == 1 && what[0] == 'n')
                row->cases += v;
            else if (rest == 1 && what[0] == 'h')
                row->hits += v;
            else if (rest > 2 && what[0] == 'o' && what[1] == ':') {
                int oc = index_of(what + 2, rest - 2, outcomes, 4);
                if (oc >= 0)
                    *outcome_slot(row, oc) += v;
            }
        }
    }
    for (int l = 1; l <= 3; l++) {
        r->all.cases += r->level[l].cases;
        r->all.hits += r->level[l].hits;
        for (int oc = 0; oc < 4; oc++)
            *outcome_slot(&r->all, oc) += *outcome_slot(&r->level[l], oc);
    }
    /* agents by name, rows kept with their names */
    cw_report_t *copy = cw_malloc(sizeof *copy);
    if (copy == NULL)
        return;
    memcpy(copy, r, sizeof *r);
    qsort(r->agents, r->agent_count, sizeof r->agents[0], cmp_names);
    for (size_t i = 0; i < r->agent_count; i++)
        for (size_t j = 0; j < copy->agent_count; j++)
            if (strcmp(r->agents[i], copy->agents[j]) == 0)
                r->agent_rows[i] = copy->agent_rows[j];
    cw_free(copy);
}

int64_t cw_report_closed(const cw_report_row_t *row)
{
    return row->retained + row->churned + row->unreachable + row->declined;
}

int64_t cw_report_open(const cw_report_row_t *row)
{
    int64_t open = row->cases - cw_report_closed(row);
    return open > 0 ? open : 0;
}

int64_t cw_report_permille(int64_t num, int64_t den)
{
    if (den <= 0)
        return -1;
    return (num * 1000 + den / 2) / den;
}

static json_t *ratio(int64_t num, int64_t den)
{
    int64_t pm = cw_report_permille(num, den);
    return pm < 0 ? json_null() : json_real((double)pm / 1000.0);
}

static json_t *row_json(const cw_report_row_t *row)
{
    json_t *o = json_object();
    json_object_set_new(o, "cases", json_integer(row->cases));
    json_object_set_new(o, "open", json_integer(cw_report_open(row)));
    json_object_set_new(o, "closed", json_integer(cw_report_closed(row)));
    for (int oc = 0; oc < 4; oc++)
        json_object_set_new(o, outcomes[oc],
                            json_integer(*outcome_slot((cw_report_row_t *)row, oc)));
    json_object_set_new(o, "churned_within_horizon", json_integer(row->hits));
    json_object_set_new(o, "retention_rate", ratio(row->retained, cw_report_closed(row)));
    json_object_set_new(o, "precision", ratio(row->hits, row->cases));
    return o;
}

json_t *cw_report_json(const cw_report_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, r->monthly ? "month" : "week", json_string(r->week));
    json_object_set_new(o, "horizon_weeks", json_integer(r->horizon_weeks));
    json_t *levels = json_object();
    for (int l = 3; l >= 1; l--)
        json_object_set_new(levels, cw_intake_level_name(l), row_json(&r->level[l]));
    json_object_set_new(o, "by_level", levels);
    json_object_set_new(o, "all", row_json(&r->all));
    json_object_set_new(o, "retention_rate",
                        ratio(r->all.retained, cw_report_closed(&r->all)));
    json_object_set_new(o, "precision", ratio(r->all.hits, r->all.cases));
    json_t *agents = json_object();
    for (size_t i = 0; i < r->agent_count; i++) {
        const cw_report_row_t *row = &r->agent_rows[i];
        json_t *a = row_json(row);
        json_object_set_new(a, "claimed", json_integer(row->cases));
        json_object_set_new(agents, r->agents[i], a);
    }
    json_object_set_new(o, "by_agent", agents);
    json_t *by_reason = json_object();
    for (int rs = 0; rs < 5; rs++) {
        json_t *item = json_object();
        for (int oc = 0; oc < 4; oc++)
            json_object_set_new(item, outcomes[oc], json_integer(r->reasons[oc][rs]));
        json_object_set_new(by_reason, reasons[rs], item);
    }
    json_object_set_new(o, "by_reason", by_reason);
    return o;
}

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} text_t;

static void put(text_t *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    char *grown = cw_grow(t->buf, &t->cap, t->len + n + 1, 1, 1024);
    if (grown == NULL) {
        t->failed = true;
        return;
    }
    t->buf = grown;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* A CSV field: quoted when it holds a comma, quote or line break; a leading
 * = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
static void put_field(text_t *t, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    if (quote)
        put(t, "\"", 1);
    if (formula)
        put(t, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put(t, "\"", 1);
        put(t, p, 1);
    }
    if (quote)
        put(t, "\"", 1);
}

static void put_ratio(text_t *t, int64_t num, int64_t den)
{
    char buf[32];
    int64_t pm = cw_report_permille(num, den);
    if (pm >= 0) {
        snprintf(buf, sizeof buf, "%lld.%03lld", (long long)(pm / 1000),
                 (long long)(pm % 1000));
        put(t, buf, strlen(buf));
    }
}

static void put_row(text_t *t, const char *week, const char *group, const char *name,
                    const cw_report_row_t *row)
{
    char buf[256];
    put_field(t, week);
    put(t, ",", 1);
    put_field(t, group);
    put(t, ",", 1);
    put_field(t, name);
    snprintf(buf, sizeof buf, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,",
             (long long)row->cases, (long long)cw_report_open(row),
             (long long)cw_report_closed(row), (long long)row->retained,
             (long long)row->churned, (long long)row->unreachable,
             (long long)row->declined, (long long)row->hits);
    put(t, buf, strlen(buf));
    put_ratio(t, row->retained, cw_report_closed(row));
    put(t, ",", 1);
    put_ratio(t, row->hits, row->cases);
    put(t, "\r\n", 2);
}

char *cw_report_csv(const cw_report_t *r)
{
    text_t t = {0};
    static const char header[] =
        ",group,name,cases,open,closed,retained,churned,unreachable,declined,"
        "churned_within_horizon,retention_rate,precision\r\n";
    put(&t, r->monthly ? "month" : "week", r->monthly ? 5 : 4);
    put(&t, header, sizeof header - 1);
    for (int l = 3; l >= 1; l--)
        put_row(&t, r->week, "level", cw_intake_level_name(l), &r->level[l]);
    put_row(&t, r->week, "level", "all", &r->all);
    for (size_t i = 0; i < r->agent_count; i++)
        put_row(&t, r->week, "agent", r->agents[i], &r->agent_rows[i]);
    if (t.failed) {
        cw_free(t.buf);
        return NULL;
    }
    return t.buf;
}
