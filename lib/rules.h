/* The warning rules (SPEC sections 5 and 6): the special warning conditions
 * (triggers) of a subscriber's week, the risk tier from the subsidy end date,
 * the level, and whether a result is new enough to publish. */
#ifndef CW_RULES_H
#define CW_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "agg.h"

/* In the order of the SPEC section 5 table: alerts list triggers in it. */
typedef enum {
    CW_TRIG_COMPLAINTS = 0,
    CW_TRIG_FWD_RIVAL,
    CW_TRIG_RIVAL_SERVICE,
    CW_TRIG_PLAN_DOWNGRADE,
    CW_TRIG_CONTRACT_EXPIRY,
    CW_TRIG_SPEND_DROP,
    CW_TRIG_USAGE_DROP,
    CW_TRIG__COUNT
} cw_trigger_t;

#define CW_TRIG_BIT(t) ((uint8_t)(1u << (t)))

/* Ordered: a higher value is a higher level. */
typedef enum { CW_LEVEL_NONE = 0, CW_LEVEL_BLUE, CW_LEVEL_YELLOW, CW_LEVEL_RED, CW_LEVEL__COUNT } cw_level_t;

/* The [rules] section. */
typedef struct cw_rules {
    uint8_t watched_tiers;          /* bit per cw_tier_t */
    int64_t complaints_per_week;
    int64_t spend_drop_pct;         /* 1..100 */
    int64_t spend_drop_min_base_fen;
    int64_t usage_drop_pct;         /* 1..100 */
    int64_t usage_drop_min_base_s;
    int64_t fwd_rival_days;         /* 1..7 */
    int64_t rival_service_calls;
    int64_t contract_expiry_days;
    int64_t subsidy_horizon_months;
    bool emit_blue;
    int64_t outcome_horizon_weeks;  /* SPEC section 10; at most weeks_kept - 1 */
} cw_rules_t;

/* The SPEC's defaults. */
void cw_rules_defaults(cw_rules_t *rules);

const char *cw_trigger_name(cw_trigger_t trigger);
int cw_trigger_parse(const char *name, cw_trigger_t *trigger);  /* 0 or -1 */
const char *cw_level_name(cw_level_t level);                    /* "red" ... ; "none" */
int cw_level_parse(const char *name, cw_level_t *level);        /* red|yellow|blue */

/* One evaluation of subscriber S for week W (SPEC section 5 "Evaluation"). */
typedef struct cw_eval {
    int32_t week;
    int32_t eval_date;              /* local day number */
    bool week_closed;               /* the week-close evaluation: drops count, blue allowed */
    uint8_t triggers;               /* CW_TRIG_BIT set of true triggers */
    int risk_tier;                  /* 1 or 2 */
    cw_level_t level;               /* CW_LEVEL_NONE: nothing to say */
    bool watched;                   /* the profile tier is in watched_tiers */
    bool churned;                   /* S carries the churn mark (SPEC section 10): level is
                                       NONE whatever the triggers, nothing is published */
    /* the figures behind the triggers, copied so the state may change after */
    cw_week_agg_t cur;              /* week W (zeroed, week set, when S had no event in W) */
    cw_week_agg_t prev;             /* week W-1 (zeroed when none) */
    int64_t contract_days_left;     /* contract_end - eval_date, when contract_end is set */
} cw_eval_t;

/* Evaluates `sub` for `week` at `eval_date`. `week_closed` selects the
 * week-close evaluation (spend_drop and usage_drop only then; blue only then
 * and only with emit_blue). A churned subscriber gets its triggers computed
 * but level NONE, per event and at week close alike. Pure: reads sub, fills
 * *eval. */
void cw_rules_evaluate(const cw_rules_t *rules, const cw_sub_t *sub, int32_t week,
                       int32_t eval_date, bool week_closed, cw_eval_t *eval);

/* Risk tier at eval date D: 1 when subsidy_end is absent or on or before the
 * last day of month(D) + horizon_months, else 2. */
int cw_rules_risk_tier(int32_t subsidy_end, int32_t eval_date, int64_t horizon_months);

/* The publish-or-not rule of SPEC section 6 for the week's published state:
 * true when the level is higher than any published, or equal with a trigger
 * not yet published. Never true for an unwatched or churned subscriber or
 * level NONE. */
bool cw_rules_should_publish(const cw_week_agg_t *published, const cw_eval_t *eval);
/* Records a published evaluation in the week's state. */
void cw_rules_mark_published(cw_week_agg_t *agg, const cw_eval_t *eval);

#endif
