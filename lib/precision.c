/* The backtest report's arithmetic (see precision.h). */
#include "precision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "meta.h"
#include "month.h"
#include "number.h"
#include "week.h"

#define FIRST_CAP 1024 /* slots of each table; a power of two */

/* What the report needs of a subscriber who churned. */
typedef struct churn {
    uint64_t msisdn; /* 0: an empty slot */
    int32_t week;    /* C(S): the week of the first churn */
    bool churner;    /* some churn applied while the tier was watched */
} churn_t;

struct cw_precision {
    cw_precision_model_t model;
    int32_t horizon;
    cw_precision_pair_t *pairs; /* msisdn 0: an empty slot */
    size_t pair_cap, pair_count;
    churn_t *churns;
    size_t churn_cap, churn_count;
};

static size_t mix(uint64_t key, int32_t period, size_t cap)
{
    key ^= (uint64_t)(uint32_t)period * 0x9e3779b97f4a7c15ULL;
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

cw_precision_t *cw_precision_new(cw_precision_model_t model, int32_t horizon_weeks)
{
    if (horizon_weeks < 0 || horizon_weeks > CW_WEEKS_MAX - 2)
        return NULL;
    cw_precision_t *precision = cw_calloc(1, sizeof *precision);
    if (precision == NULL)
        return NULL;
    precision->model = model;
    precision->horizon = horizon_weeks;
    precision->pairs = cw_calloc(FIRST_CAP, sizeof *precision->pairs);
    precision->churns = cw_calloc(FIRST_CAP, sizeof *precision->churns);
    if (precision->pairs == NULL || precision->churns == NULL) {
        cw_precision_free(precision);
        return NULL;
    }
    precision->pair_cap = precision->churn_cap = FIRST_CAP;
    return precision;
}

void cw_precision_free(cw_precision_t *precision)
{
    if (precision == NULL)
        return;
    cw_free(precision->pairs);
    cw_free(precision->churns);
    cw_free(precision);
}

/* ---- the tables ------------------------------------------------------------ */

static size_t pair_slot(const cw_precision_pair_t *pairs, size_t cap, uint64_t msisdn,
                        int32_t period)
{
    size_t slot = mix(msisdn, period, cap);
    while (pairs[slot].msisdn != 0 &&
           (pairs[slot].msisdn != msisdn || pairs[slot].period != period))
        slot = (slot + 1) & (cap - 1);
    return slot;
}

static size_t churn_slot(const churn_t *churns, size_t cap, uint64_t msisdn)
{
    size_t slot = mix(msisdn, 0, cap);
    while (churns[slot].msisdn != 0 && churns[slot].msisdn != msisdn)
        slot = (slot + 1) & (cap - 1);
    return slot;
}

/* Doubles a table at 70 % full. */
static int grow_pairs(cw_precision_t *precision)
{
    if ((precision->pair_count + 1) * 10 <= precision->pair_cap * 7)
        return 0;
    size_t cap = precision->pair_cap * 2;
    cw_precision_pair_t *pairs = cw_calloc(cap, sizeof *pairs);
    if (pairs == NULL)
        return -1;
    for (size_t i = 0; i < precision->pair_cap; i++) {
        const cw_precision_pair_t *pair = &precision->pairs[i];
        if (pair->msisdn != 0)
            pairs[pair_slot(pairs, cap, pair->msisdn, pair->period)] = *pair;
    }
    cw_free(precision->pairs);
    precision->pairs = pairs;
    precision->pair_cap = cap;
    return 0;
}

static int grow_churns(cw_precision_t *precision)
{
    if ((precision->churn_count + 1) * 10 <= precision->churn_cap * 7)
        return 0;
    size_t cap = precision->churn_cap * 2;
    churn_t *churns = cw_calloc(cap, sizeof *churns);
    if (churns == NULL)
        return -1;
    for (size_t i = 0; i < precision->churn_cap; i++)
        if (precision->churns[i].msisdn != 0)
            churns[churn_slot(churns, cap, precision->churns[i].msisdn)] =
                precision->churns[i];
    cw_free(precision->churns);
    precision->churns = churns;
    precision->churn_cap = cap;
    return 0;
}

/* The pair of (msisdn, period), added empty when new; NULL when out of memory
 * or the number is not one. */
static cw_precision_pair_t *pair_get(cw_precision_t *precision, const char *msisdn,
                                     int32_t period, int32_t week)
{
    uint64_t key = cw_number_pack(msisdn);
    if (key == 0 || grow_pairs(precision) != 0)
        return NULL;
    cw_precision_pair_t *pair =
        &precision->pairs[pair_slot(precision->pairs, precision->pair_cap, key, period)];
    if (pair->msisdn == 0) {
        *pair = (cw_precision_pair_t){.msisdn = key, .period = period, .week = week};
        precision->pair_count++;
    }
    return pair;
}

/* ---- what a run published ---------------------------------------------------- */

int cw_precision_alert(cw_precision_t *precision, const char *msisdn, int32_t week,
                       cw_level_t level, uint16_t triggers)
{
    cw_precision_pair_t *pair = pair_get(precision, msisdn, week, week);
    if (pair == NULL)
        return -1;
    if ((uint8_t)level > pair->level)
        pair->level = (uint8_t)level;
    pair->bits |= triggers;
    return 0;
}

int cw_precision_record(cw_precision_t *precision, const char *msisdn, int32_t month,
                        bool potential_churner, bool value_churn, uint16_t items)
{
    int32_t week = cw_week_of_day(cw_month_last_day(month));
    cw_precision_pair_t *pair = pair_get(precision, msisdn, month, week);
    if (pair == NULL)
        return -1;
    pair->level |= (uint8_t)((potential_churner ? CW_PRECISION_POTENTIAL : 0) |
                             (value_churn ? CW_PRECISION_VALUE_CHURN : 0));
    pair->bits |= items;
    return 0;
}

int cw_precision_churn(cw_precision_t *precision, const char *msisdn, int32_t week,
                       bool watched)
{
    uint64_t key = cw_number_pack(msisdn);
    if (key == 0 || grow_churns(precision) != 0)
        return -1;
    churn_t *churn =
        &precision->churns[churn_slot(precision->churns, precision->churn_cap, key)];
    if (churn->msisdn == 0) {
        *churn = (churn_t){.msisdn = key, .week = week};
        precision->churn_count++;
    }
    churn->churner |= watched;
    return 0;
}

int cw_precision_entry(cw_precision_t *precision, const cw_entry_t *entry)
{
    /* the value is "<msisdn> <json>" */
    char msisdn[CW_NUMBER_SIZE];
    const char *space = memchr(entry->value, ' ', entry->value_len);
    size_t len = space != NULL ? (size_t)(space - entry->value) : 0;
    if (entry->kind == CW_ENTRY_DEAD_LETTER ||
        (entry->kind == CW_ENTRY_ALERT && precision->model != CW_PRECISION_WEEKLY) ||
        (entry->kind == CW_ENTRY_SCORE && precision->model != CW_PRECISION_MONTHLY))
        return 0;
    if (len < CW_NUMBER_MIN || len > CW_NUMBER_MAX)
        return -1;
    memcpy(msisdn, entry->value, len);
    msisdn[len] = '\0';
    switch (entry->kind) {
    case CW_ENTRY_ALERT:
        return cw_precision_alert(precision, msisdn, entry->period,
                                  (cw_level_t)entry->level, entry->bits);
    case CW_ENTRY_SCORE:
        return cw_precision_record(precision, msisdn, entry->period, entry->level != 0,
                                   entry->churn_kind != 0, entry->bits);
    case CW_ENTRY_OUTCOME:
        return cw_precision_churn(precision, msisdn, entry->period, entry->watched);
    default:
        return 0;
    }
}

/* ---- the report ------------------------------------------------------------- */

static void add_cell(cw_precision_cell_t *cell, bool mature, bool hit)
{
    cell->pairs++;
    cell->mature += mature;
    cell->hits += mature && hit;
}

int cw_precision_report(const cw_precision_t *precision, int32_t last_closed_week,
                        cw_precision_report_t *out)
{
    memset(out, 0, sizeof *out);
    int32_t h = precision->horizon;
    out->last_closed = last_closed_week;
    out->mature_until =
        last_closed_week == CW_WEEK_NONE ? CW_WEEK_NONE : last_closed_week - h;
    /* the first week of each churner's that caught it, by churn slot */
    int32_t *first = cw_malloc(precision->churn_cap * sizeof *first);
    if (first == NULL)
        return -1;
    for (size_t i = 0; i < precision->churn_cap; i++)
        first[i] = INT32_MAX;
    for (size_t i = 0; i < precision->pair_cap; i++) {
        const cw_precision_pair_t *pair = &precision->pairs[i];
        if (pair->msisdn == 0)
            continue;
        size_t slot = churn_slot(precision->churns, precision->churn_cap, pair->msisdn);
        const churn_t *churn =
            precision->churns[slot].msisdn != 0 ? &precision->churns[slot] : NULL;
        bool mature =
            out->mature_until != CW_WEEK_NONE && pair->week <= out->mature_until;
        bool hit =
            churn != NULL && pair->week <= churn->week && churn->week <= pair->week + h;
        add_cell(&out->classes[0], mature, hit);
        if (precision->model == CW_PRECISION_WEEKLY) {
            if (pair->level < CW_PRECISION_CLASSES)
                add_cell(&out->classes[pair->level], mature, hit);
        } else {
            for (int c = 1; c < CW_PRECISION_CLASSES; c <<= 1)
                if (pair->level & c)
                    add_cell(&out->classes[c], mature, hit);
        }
        for (int b = 0; b < CW_PRECISION_BITS; b++)
            if (pair->bits & (1u << b))
                add_cell(&out->bits[b], mature, hit);
        if (churn != NULL && churn->churner && churn->week - h <= pair->week &&
            pair->week <= churn->week && pair->week < first[slot])
            first[slot] = pair->week;
    }
    for (size_t i = 0; i < precision->churn_cap; i++) {
        const churn_t *churn = &precision->churns[i];
        if (churn->msisdn == 0 || !churn->churner)
            continue;
        out->churners++;
        if (first[i] == INT32_MAX)
            continue;
        out->caught++;
        int32_t lead = churn->week - first[i];
        if (lead >= 0 && lead < CW_WEEKS_MAX)
            out->lead[lead]++;
    }
    cw_free(first);
    return 0;
}

int64_t cw_precision_ratio(uint64_t num, uint64_t den)
{
    if (den == 0)
        return -1;
    /* round half up: floor((2000 num + den) / 2 den) */
    return (int64_t)((2000 * num + den) / (2 * den));
}

void cw_precision_ratio_text(uint64_t num, uint64_t den,
                             char out[CW_PRECISION_RATIO_SIZE])
{
    int64_t thousandths = cw_precision_ratio(num, den);
    if (thousandths < 0) {
        snprintf(out, CW_PRECISION_RATIO_SIZE, "null");
        return;
    }
    int len = snprintf(out, CW_PRECISION_RATIO_SIZE, "%lld.%03lld",
                       (long long)(thousandths / 1000), (long long)(thousandths % 1000));
    while (len > 0 && out[len - 1] == '0' && out[len - 2] != '.')
        out[--len] = '\0';
}

/* ---- the pairs, for comparing runs ----------------------------------------- */

static int by_period_then_number(const void *a, const void *b)
{
    const cw_precision_pair_t *x = a, *y = b;
    if (x->period != y->period)
        return x->period < y->period ? -1 : 1;
    return x->msisdn < y->msisdn ? -1 : x->msisdn > y->msisdn;
}

cw_precision_pair_t *cw_precision_pairs(const cw_precision_t *precision, size_t *count)
{
    *count = 0;
    if (precision->pair_count == 0)
        return NULL;
    cw_precision_pair_t *pairs = cw_malloc(precision->pair_count * sizeof *pairs);
    if (pairs == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < precision->pair_cap; i++)
        if (precision->pairs[i].msisdn != 0)
            pairs[n++] = precision->pairs[i];
    qsort(pairs, n, sizeof *pairs, by_period_then_number);
    *count = n;
    return pairs;
}

size_t cw_precision_pairs_count(const cw_precision_t *precision)
{
    return precision->pair_count;
}

const cw_precision_pair_t *cw_precision_find(const cw_precision_t *precision,
                                             uint64_t msisdn, int32_t period)
{
    const cw_precision_pair_t *pair =
        &precision
             ->pairs[pair_slot(precision->pairs, precision->pair_cap, msisdn, period)];
    return pair->msisdn != 0 ? pair : NULL;
}
