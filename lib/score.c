/* The monthly value-churn model of SPEC section 14, pure and clock-free:
 * from a subscriber's monthly aggregates to the true items, the score and
 * value churn of a month; the score record's JSON is scorerec.c's. */
#include "score.h"

#include <string.h>

#include "month.h"

static const char *const item_names[CW_ITEM__COUNT] = {
    "spend_fall",  "fwd_3m",           "fwd_1m",      "arrears_stops",
    "owed",        "months_owed",      "fault",       "complaints_3m",
    "own_service", "rival_service_6m", "vip_service", "few_new_services",
    "vas_fall",
};

const char *cw_score_item_name(cw_score_item_t item)
{
    return (unsigned)item < CW_ITEM__COUNT ? item_names[item] : "unknown";
}

int cw_score_item_parse(const char *name, cw_score_item_t *item)
{
    for (int i = 0; i < CW_ITEM__COUNT; i++) {
        if (strcmp(name, item_names[i]) == 0) {
            *item = (cw_score_item_t)i;
            return 0;
        }
    }
    return -1;
}

int64_t cw_score_item_points(const cw_score_rules_t *r, cw_score_item_t item)
{
    switch (item) {
    case CW_ITEM_SPEND_FALL:
        return r->spend_fall_points;
    case CW_ITEM_FWD_3M:
        return r->fwd_3m_points;
    case CW_ITEM_FWD_1M:
        return r->fwd_1m_points;
    case CW_ITEM_ARREARS_STOPS:
        return r->arrears_stops_points;
    case CW_ITEM_OWED:
        return r->owed_points;
    case CW_ITEM_MONTHS_OWED:
        return r->months_owed_points;
    case CW_ITEM_FAULT:
        return r->fault_points;
    case CW_ITEM_COMPLAINTS_3M:
        return r->complaints_points;
    case CW_ITEM_OWN_SERVICE:
        return r->own_service_points;
    case CW_ITEM_RIVAL_SERVICE_6M:
        return r->rival_service_points;
    case CW_ITEM_VIP_SERVICE:
        return r->vip_service_points;
    case CW_ITEM_FEW_NEW_SERVICES:
        return r->few_new_services_points;
    case CW_ITEM_VAS_FALL:
        return r->vas_fall_points;
    case CW_ITEM__COUNT:
        break;
    }
    return 0;
}

bool cw_score_eligible(const cw_rules_t *rules, const cw_sub_t *sub)
{
    bool watched = (unsigned)sub->tier < CW_TIER__COUNT &&
                   (rules->watched_tiers & (1u << sub->tier)) != 0;
    return watched && !cw_sub_churned(sub);
}

/* Sums saturate: a month's figures are at most int64 each, six of them may
 * not be. */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        return b < 0 ? INT64_MIN : INT64_MAX;
    return sum;
}

__extension__ typedef __int128 wide_t;

/* cur * 100 < prev * (100 - pct), exactly: "fell by pct % or more" is "fell
 * below (100 - pct) % of the base", so a fall to exactly that share is not a
 * fall (as spend_drop in rules.c). */
static bool fell_below(int64_t cur, int64_t base, int64_t pct)
{
    int64_t keep = 100 - pct;
    keep = keep < 0 ? 0 : keep > 100 ? 100 : keep;
    return (wide_t)cur * 100 < (wide_t)base * keep;
}

/* The months M-5..M, oldest first; a month without aggregates is a zero
 * month. */
typedef struct {
    const cw_month_agg_t *m[6];
} window_t;

static const cw_month_agg_t zero_month;

static void window_of(const cw_sub_t *sub, int32_t month, window_t *w)
{
    for (int i = 0; i < 6; i++) {
        const cw_month_agg_t *m =
            cw_sub_find_month(sub, (int32_t)((int64_t)month - 5 + i));
        w->m[i] = m != NULL ? m : &zero_month;
    }
}

/* Offsets into the window: M is 5, M-1 is 4, ... */
#define AT(k) (5 - (k))

#define SUM(w, field, from_k, to_k, out)                                                 \
    do {                                                                                 \
        int64_t sum_ = 0;                                                                \
        for (int k_ = (from_k); k_ >= (to_k); k_--)                                      \
            sum_ = add_sat(sum_, (int64_t)(w)->m[AT(k_)]->field);                        \
        (out) = sum_;                                                                    \
    } while (0)

void cw_score_evaluate(const cw_score_rules_t *r, const cw_rules_t *rules,
                       const cw_sub_t *sub, int32_t month, cw_score_t *s)
{
    memset(s, 0, sizeof *s);
    s->month = month;
    s->eval_date = cw_month_last_day(month);
    s->tier = sub->tier;
    s->watched = (unsigned)sub->tier < CW_TIER__COUNT &&
                 (rules->watched_tiers & (1u << sub->tier)) != 0;
    s->churned = cw_sub_churned(sub);
    s->eligible = s->watched && !s->churned;
    s->risk_tier =
        cw_rules_risk_tier(sub->subsidy_end, s->eval_date, rules->subsidy_horizon_months);
    s->threshold = r->threshold;

    window_t w;
    window_of(sub, month, &w);
    SUM(&w, spend_fen, 2, 0, s->spend_3m_fen);
    SUM(&w, spend_fen, 5, 0, s->spend_6m_fen);
    SUM(&w, fwd_calls, 2, 0, s->fwd_3m_calls);
    s->fwd_1m_calls = w.m[AT(0)]->fwd_calls;
    SUM(&w, arrears_stops, 5, 0, s->arrears_stops_6m);
    s->owed_fen = w.m[AT(0)]->owed_fen;
    s->months_owed = w.m[AT(0)]->months_owed;
    for (int k = 2; k >= 0; k--)
        if (w.m[AT(k)]->fault_level > s->fault_level_3m)
            s->fault_level_3m = w.m[AT(k)]->fault_level;
    SUM(&w, complaints, 2, 0, s->complaints_3m);
    SUM(&w, own_service_calls, 5, 0, s->own_service_calls_6m);
    SUM(&w, rival_service_calls, 5, 0, s->rival_service_calls_6m);
    SUM(&w, vip_services, 5, 0, s->vip_services_6m);
    SUM(&w, new_services, 5, 0, s->new_services_6m);
    SUM(&w, vas_fen, 1, 0, s->vas_2m_fen);
    SUM(&w, vas_fen, 3, 2, s->prev_vas_2m_fen);
    SUM(&w, spend_fen, 1, 0, s->spend_2m_fen);
    SUM(&w, spend_fen, 3, 2, s->prev_spend_2m_fen);
    s->downgrade_2m = w.m[AT(0)]->plan_downgrade || w.m[AT(1)]->plan_downgrade;

    bool truth[CW_ITEM__COUNT] = {0};
    /* mean(3m) < mean(6m) x pct / 100  <=>  sum3 / 3 < sum6 / 6 x pct / 100
     * <=>  sum3 x 6 x 100 < sum6 x 3 x pct */
    truth[CW_ITEM_SPEND_FALL] = (wide_t)s->spend_3m_fen * 6 * 100 <
                                (wide_t)s->spend_6m_fen * 3 * r->spend_fall_pct;
    truth[CW_ITEM_FWD_3M] = s->fwd_3m_calls >= r->fwd_3m_calls;
    truth[CW_ITEM_FWD_1M] = s->fwd_1m_calls >= r->fwd_1m_calls;
    truth[CW_ITEM_ARREARS_STOPS] = s->arrears_stops_6m >= r->arrears_stops_6m;
    truth[CW_ITEM_OWED] = s->owed_fen > 0;
    truth[CW_ITEM_MONTHS_OWED] = s->months_owed >= r->months_owed;
    truth[CW_ITEM_FAULT] = s->fault_level_3m >= r->fault_level_3m;
    truth[CW_ITEM_COMPLAINTS_3M] = s->complaints_3m >= r->complaints_3m;
    truth[CW_ITEM_OWN_SERVICE] = s->own_service_calls_6m >= r->own_service_calls_6m;
    truth[CW_ITEM_RIVAL_SERVICE_6M] =
        s->rival_service_calls_6m >= r->rival_service_calls_6m;
    truth[CW_ITEM_VIP_SERVICE] = s->vip_services_6m >= r->vip_services_6m;
    truth[CW_ITEM_FEW_NEW_SERVICES] = s->new_services_6m < r->new_services_6m;
    truth[CW_ITEM_VAS_FALL] =
        s->prev_vas_2m_fen >= r->vas_fall_min_base_fen &&
        fell_below(s->vas_2m_fen, s->prev_vas_2m_fen, r->vas_fall_pct);
    for (int i = 0; i < CW_ITEM__COUNT; i++) {
        if (!truth[i])
            continue;
        s->items |= CW_ITEM_BIT(i);
        s->points[i] = cw_score_item_points(r, (cw_score_item_t)i);
        s->score = add_sat(s->score, s->points[i]);
    }
    s->potential_churner = s->score >= r->threshold;
    s->value_churn =
        s->downgrade_2m ||
        (s->prev_spend_2m_fen >= r->value_drop_min_base_fen &&
         fell_below(s->spend_2m_fen, s->prev_spend_2m_fen, r->value_drop_pct));
}

bool cw_score_should_publish(const cw_score_t *score)
{
    return score->eligible && (score->potential_churner || score->value_churn);
}
