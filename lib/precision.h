/* How well the warnings predicted churn: the arithmetic of the backtest's
 * report (SPEC section 11, and for the monthly model the last paragraph of
 * section 14), with no I/O. It is fed what a run published (alerts or score
 * records, and the churn outcomes) and counts, H being
 * outcome_horizon_weeks and C(S) the week of S's first churn:
 *   - an alerted pair (S, W): its level the highest published, its
 *     triggers the union; for the monthly model a score record (S, M),
 *     judged from the week holding M's last day (its "week" below);
 *   - mature when week <= L - H, L the last week the run closed (none
 *     closed: nothing is mature); precision = hits / mature, where a hit
 *     has C(S) with week <= C(S) <= week + H; per class (levels, or the
 *     record's kinds), per trigger (or item), and over all;
 *   - a churner: a churn applied while the tier was watched (an outcome
 *     with watched true); caught when some pair has C(S) - H <= week <=
 *     C(S); recall = caught / churners; lead weeks = C(S) minus the first
 *     such week.
 * Ratios are rounded to 3 decimals in integer arithmetic. */
#ifndef CW_PRECISION_H
#define CW_PRECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "entry.h"
#include "rules.h"

typedef enum { CW_PRECISION_WEEKLY = 0, CW_PRECISION_MONTHLY } cw_precision_model_t;

/* The classes of the monthly model's records (a record may be both). The
 * weekly model's classes are the levels (cw_level_t). */
#define CW_PRECISION_POTENTIAL 1   /* potential_churner */
#define CW_PRECISION_VALUE_CHURN 2 /* value_churn */
#define CW_PRECISION_CLASSES 4     /* index 0: every pair */
#define CW_PRECISION_BITS 16       /* triggers or items */

typedef struct cw_precision cw_precision_t;

/* One alerted pair, or one score record. */
typedef struct cw_precision_pair {
    uint64_t msisdn; /* packed (cw_number_pack) */
    int32_t period;  /* the week W, or the month M */
    int32_t week;    /* W, or the week holding M's last day */
    uint8_t level;   /* weekly: the highest level; monthly: CW_PRECISION_* bits */
    uint16_t bits;   /* weekly: the union of the triggers; monthly: the items */
} cw_precision_pair_t;

/* A new, empty tally for the model with horizon H (0..CW_WEEKS_MAX - 2).
 * NULL when out of memory. */
cw_precision_t *cw_precision_new(cw_precision_model_t model, int32_t horizon_weeks);
void cw_precision_free(cw_precision_t *precision);

/* What a run published. Each returns 0, or -1 when out of memory (or the
 * number is not a normalised one). */
int cw_precision_alert(cw_precision_t *precision, const char *msisdn, int32_t week,
                       cw_level_t level, uint16_t triggers);
int cw_precision_record(cw_precision_t *precision, const char *msisdn, int32_t month,
                        bool potential_churner, bool value_churn, uint16_t items);
/* A churn that set S's churn mark (its outcome): the churn's week and
 * whether S's tier was watched. The first one gives C(S). */
int cw_precision_churn(cw_precision_t *precision, const char *msisdn, int32_t week,
                       bool watched);
/* An outbox entry of a replay (lib/replay.h): alerts for the weekly model,
 * score records for the monthly one, outcomes for both; the rest ignored. */
int cw_precision_entry(cw_precision_t *precision, const cw_entry_t *entry);

typedef struct cw_precision_cell {
    uint64_t pairs, mature, hits;
} cw_precision_cell_t;

typedef struct cw_precision_report {
    int32_t last_closed;  /* L; CW_WEEK_NONE when no week closed */
    int32_t mature_until; /* L - H, the newest mature week; CW_WEEK_NONE when none */
    cw_precision_cell_t classes[CW_PRECISION_CLASSES]; /* [0]: all pairs */
    cw_precision_cell_t bits[CW_PRECISION_BITS];       /* per trigger or item */
    uint64_t churners, caught;
    uint64_t lead[CW_WEEKS_MAX]; /* caught churners by lead weeks, 0..H */
} cw_precision_report_t;

/* The report, L being the last week the run closed (CW_WEEK_NONE: none).
 * Returns 0, or -1 when out of memory. */
int cw_precision_report(const cw_precision_t *precision, int32_t last_closed_week,
                        cw_precision_report_t *out);

/* num / den rounded half up to 3 decimals, in thousandths; -1 when den is 0. */
int64_t cw_precision_ratio(uint64_t num, uint64_t den);
/* The same as a JSON number with its trailing zeros dropped ("0.7", "0.06",
 * "1.0", "0.0"), or "null". */
#define CW_PRECISION_RATIO_SIZE 24
void cw_precision_ratio_text(uint64_t num, uint64_t den,
                             char out[CW_PRECISION_RATIO_SIZE]);

/* Every pair, ordered by period then number: a new array of *count pairs
 * (free with cw_free), NULL when out of memory (or when there are none,
 * with *count 0). */
cw_precision_pair_t *cw_precision_pairs(const cw_precision_t *precision, size_t *count);
/* How many pairs there are. */
size_t cw_precision_pairs_count(const cw_precision_t *precision);
/* The pair of (msisdn, period) (packed msisdn), or NULL. */
const cw_precision_pair_t *cw_precision_find(const cw_precision_t *precision,
                                             uint64_t msisdn, int32_t period);

#endif
