/* The monthly value-churn model (SPEC section 14): the [score] settings, the
 * items scored from a subscriber's monthly aggregates, the score and value
 * churn for a month, and whether a result is worth a score record. */
#ifndef CW_SCORE_H
#define CW_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "agg.h"
#include "rules.h"

/* The [score] section, one field per key of SPEC section 2. */
typedef struct cw_score_rules {
    int64_t threshold;
    int64_t spend_fall_pct;
    int64_t spend_fall_points;
    int64_t fwd_3m_calls;
    int64_t fwd_3m_points;
    int64_t fwd_1m_calls;
    int64_t fwd_1m_points;
    int64_t arrears_stops_6m;
    int64_t arrears_stops_points;
    int64_t owed_points;
    int64_t months_owed;
    int64_t months_owed_points;
    int64_t fault_level_3m;
    int64_t fault_points;
    int64_t complaints_3m;
    int64_t complaints_points;
    int64_t own_service_calls_6m;
    int64_t own_service_points;
    int64_t rival_service_calls_6m;
    int64_t rival_service_points;
    int64_t vip_services_6m;
    int64_t vip_service_points;
    int64_t new_services_6m;
    int64_t few_new_services_points;
    int64_t vas_fall_pct;
    int64_t vas_fall_min_base_fen;
    int64_t vas_fall_points;
    int64_t value_drop_pct;
    int64_t value_drop_min_base_fen;
} cw_score_rules_t;

/* In the order of the SPEC section 14 table: score records list items in it. */
typedef enum {
    CW_ITEM_SPEND_FALL = 0,
    CW_ITEM_FWD_3M,
    CW_ITEM_FWD_1M,
    CW_ITEM_ARREARS_STOPS,
    CW_ITEM_OWED,
    CW_ITEM_MONTHS_OWED,
    CW_ITEM_FAULT,
    CW_ITEM_COMPLAINTS_3M,
    CW_ITEM_OWN_SERVICE,
    CW_ITEM_RIVAL_SERVICE_6M,
    CW_ITEM_VIP_SERVICE,
    CW_ITEM_FEW_NEW_SERVICES,
    CW_ITEM_VAS_FALL,
    CW_ITEM__COUNT
} cw_score_item_t;

#define CW_ITEM_BIT(i) ((uint16_t)(1u << (i)))

const char *cw_score_item_name(cw_score_item_t item); /* the SPEC's words; "unknown" */
int cw_score_item_parse(const char *name, cw_score_item_t *item); /* 0 or -1 */
/* The item's configured points (its *_points key). */
int64_t cw_score_item_points(const cw_score_rules_t *score_rules, cw_score_item_t item);

/* One scoring of subscriber S for month M, with the figures behind it.
 * Windows: "3m" = M-2..M, "6m" = M-5..M, "2m" = M-1..M, "prev 2m" =
 * M-3..M-2; a month S has no aggregates for counts as zeros. */
typedef struct cw_score {
    int32_t month;
    int32_t eval_date; /* the last day of M */
    bool watched;      /* the profile tier is in watched_tiers */
    bool churned;      /* S carries the churn mark (SPEC section 10) */
    bool eligible;     /* watched and not churned: only then is S scored */
    cw_tier_t tier;
    int risk_tier;                  /* SPEC section 6 at eval_date */
    uint16_t items;                 /* CW_ITEM_BIT set of the true items */
    int64_t points[CW_ITEM__COUNT]; /* the configured points of each true item, else 0 */
    int64_t score;                  /* the sum of the true items' points */
    int64_t threshold;
    bool potential_churner; /* score >= threshold */
    bool value_churn;
    /* evidence, per item (the score record's names) */
    int64_t spend_3m_fen, spend_6m_fen;  /* spend_fall */
    int64_t fwd_3m_calls;                /* fwd_3m */
    int64_t fwd_1m_calls;                /* fwd_1m: fwd_calls(M) */
    int64_t arrears_stops_6m;            /* arrears_stops */
    int64_t owed_fen;                    /* owed: owed_fen(M) */
    int64_t months_owed;                 /* months_owed: months_owed(M) */
    int64_t fault_level_3m;              /* fault */
    int64_t complaints_3m;               /* complaints_3m */
    int64_t own_service_calls_6m;        /* own_service */
    int64_t rival_service_calls_6m;      /* rival_service_6m */
    int64_t vip_services_6m;             /* vip_service */
    int64_t new_services_6m;             /* few_new_services */
    int64_t vas_2m_fen, prev_vas_2m_fen; /* vas_fall */
    /* value churn */
    bool downgrade_2m;                       /* plan_downgrade in M or M-1 */
    int64_t spend_2m_fen, prev_spend_2m_fen; /* the value drop's spends */
} cw_score_t;

/* Scores `sub` for `month` (SPEC section 14 items, score, value churn), all
 * in integer arithmetic: a comparison of means or of a share is made on
 * products of sums, never on rounded quotients. `rules` gives watched_tiers
 * and the risk tier's horizon. Computes the figures for any subscriber and
 * says in `eligible` whether S may be scored at all. Pure. */
void cw_score_evaluate(const cw_score_rules_t *score_rules, const cw_rules_t *rules,
                       const cw_sub_t *sub, int32_t month, cw_score_t *score);

/* Whether S is scored at a month close: a watched tier and no churn mark. */
bool cw_score_eligible(const cw_rules_t *rules, const cw_sub_t *sub);

/* Whether the scoring gives a score record: S eligible, and the score at
 * the threshold or above or value churn. */
bool cw_score_should_publish(const cw_score_t *score);

#endif
