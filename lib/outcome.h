/* The churn outcome (SPEC section 10): when a churn event sets a
 * subscriber's churn mark, what the warning system had said about the
 * subscriber in the weeks before, as a stable id and the JSON value
 * published to the outcome topic. */
#ifndef CW_OUTCOME_H
#define CW_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "event.h"
#include "rules.h"

#define CW_OUTCOME_ID_SIZE 33 /* 32 hex digits + NUL */

/* One week with at least one alert published for the subscriber. */
typedef struct cw_outcome_week {
    int32_t week;
    cw_level_t level; /* the highest level published for (S, week) */
    uint8_t triggers; /* CW_TRIG_BIT set: the union published for (S, week) */
} cw_outcome_week_t;

/* What an outcome says, as values (for the JSON and for metrics). */
typedef struct cw_outcome {
    int32_t week;       /* C: the churn's local week */
    int32_t churn_date; /* the churn's local day */
    cw_tier_t tier;     /* at the churn; UNKNOWN without a profile */
    bool watched;       /* tier in watched_tiers */
    int alerted_count;
    cw_outcome_week_t alerted[CW_WEEKS_MAX]; /* C-H <= week <= C, oldest first */
    bool caught;                             /* alerted_count > 0 */
    int lead_weeks;          /* C minus the first alerted week; -1 when not caught */
    cw_level_t caught_level; /* highest level over the alerted weeks; NONE when not
                                caught (the metric's "none") */
} cw_outcome_t;

/* Computes the outcome of a churn dated churn_ts_ms for `sub`, the state
 * after the churn was applied (the published levels and triggers its weeks
 * keep), with H = rules->outcome_horizon_weeks. Pure. */
void cw_outcome_compute(const cw_rules_t *rules, const cw_sub_t *sub, int64_t churn_ts_ms,
                        int32_t utc_offset_s, cw_outcome_t *out);

/* The outcome id: a hash of (msisdn, churn week, kind), so a re-sent or
 * replayed outcome carries the id it had; same inputs, same id, on any
 * machine, in any run. */
void cw_outcome_id(const char *msisdn, int32_t week, cw_churn_kind_t kind,
                   char out[CW_OUTCOME_ID_SIZE]);

typedef struct cw_outcome_input {
    const char *msisdn;      /* normalised */
    const cw_sub_t *sub;     /* the state after the churn was applied */
    const cw_event_t *event; /* the churn: kind, to_operator, ts_ms, event_id */
    const cw_rules_t *rules; /* watched_tiers, outcome_horizon_weeks */
    int32_t utc_offset_s;    /* places the churn in its local week and day */
    int64_t emitted_at_ms;   /* wall clock */
} cw_outcome_input_t;

/* The outcome's JSON (compact, keys in SPEC order: outcome_id, msisdn, kind,
 * to_operator (null when the event had none), churn_date, week, tier,
 * watched, alerted ([{week, level, triggers: [names in trigger order]}],
 * oldest first), caught, lead_weeks (null when not caught), event_id,
 * emitted_at). Returns a new NUL-terminated string to free with cw_free, its
 * length in *len; NULL when out of memory. When `summary` is not NULL it
 * receives the computed outcome (for metrics). */
char *cw_outcome_json(const cw_outcome_input_t *in, size_t *len, cw_outcome_t *summary);

#endif
