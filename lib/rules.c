/* The warning rules of SPEC sections 5 and 6, pure and clock-free: from a
 * subscriber's weekly aggregates and profile to the true triggers, the risk
 * tier, the level and the publish-or-not decision. */
#include "rules.h"

#include <string.h>

#include "date.h"

static const char *const trigger_names[CW_TRIG__COUNT] = {
    "complaints",      "fwd_rival",  "rival_service", "plan_downgrade",
    "contract_expiry", "spend_drop", "usage_drop",
};

static const char *const level_names[CW_LEVEL__COUNT] = {"none", "blue", "yellow", "red"};

void cw_rules_defaults(cw_rules_t *rules)
{
    memset(rules, 0, sizeof *rules);
    rules->watched_tiers = (uint8_t)((1u << CW_TIER_HIGH) | (1u << CW_TIER_MID));
    rules->complaints_per_week = 2;
    rules->spend_drop_pct = 50;
    rules->spend_drop_min_base_fen = 2000;
    rules->usage_drop_pct = 50;
    rules->usage_drop_min_base_s = 600;
    rules->fwd_rival_days = 3;
    rules->rival_service_calls = 2;
    rules->contract_expiry_days = 30;
    rules->subsidy_horizon_months = 3;
    rules->emit_blue = true;
    rules->outcome_horizon_weeks = 8;
}

const char *cw_trigger_name(cw_trigger_t trigger)
{
    if ((unsigned)trigger >= CW_TRIG__COUNT)
        return "unknown";
    return trigger_names[trigger];
}

int cw_trigger_parse(const char *name, cw_trigger_t *trigger)
{
    for (int t = 0; t < CW_TRIG__COUNT; t++) {
        if (strcmp(name, trigger_names[t]) == 0) {
            *trigger = (cw_trigger_t)t;
            return 0;
        }
    }
    return -1;
}

const char *cw_level_name(cw_level_t level)
{
    if ((unsigned)level >= CW_LEVEL__COUNT)
        return "none";
    return level_names[level];
}

int cw_level_parse(const char *name, cw_level_t *level)
{
    /* "none" is not a level anyone configures or publishes */
    for (int l = CW_LEVEL_BLUE; l < CW_LEVEL__COUNT; l++) {
        if (strcmp(name, level_names[l]) == 0) {
            *level = (cw_level_t)l;
            return 0;
        }
    }
    return -1;
}

/* x * factor as a 128-bit value (hi, lo) for 0 <= factor <= 100: the drop
 * test must stay exact for any weekly sum an int64 holds. */
static void mul_small(uint64_t x, uint64_t factor, uint64_t *hi, uint64_t *lo)
{
    uint64_t xh = x >> 32, xl = x & 0xffffffffu;
    uint64_t ph = xh * factor; /* < 2^39: no overflow */
    uint64_t pl = xl * factor;
    uint64_t low = (ph << 32) + pl;
    *hi = (ph >> 32) + (low < pl ? 1 : 0);
    *lo = low;
}

/* cur * 100 < prev * (100 - pct), exactly: "fell below (100 - pct) % of the
 * previous week", so a fall to exactly that share is not a drop. */
static bool fell_below(int64_t cur, int64_t prev, int64_t pct)
{
    uint64_t c = cur > 0 ? (uint64_t)cur : 0;
    uint64_t p = prev > 0 ? (uint64_t)prev : 0;
    int64_t keep = 100 - pct;
    if (keep < 0)
        keep = 0;
    if (keep > 100)
        keep = 100;
    uint64_t ch, cl, ph, pl;
    mul_small(c, 100, &ch, &cl);
    mul_small(p, (uint64_t)keep, &ph, &pl);
    return ch < ph || (ch == ph && cl < pl);
}

int cw_rules_risk_tier(int32_t subsidy_end, int32_t eval_date, int64_t horizon_months)
{
    if (subsidy_end == CW_DAY_NONE)
        return 1;
    /* the config bounds the horizon to 0..120; clamp so a bad caller cannot
     * overflow the month arithmetic */
    int months = horizon_months < 0      ? 0
                 : horizon_months > 1200 ? 1200
                                         : (int)horizon_months;
    return subsidy_end <= cw_date_month_end_after(eval_date, months) ? 1 : 2;
}

static void copy_week(const cw_sub_t *sub, int32_t week, cw_week_agg_t *out)
{
    const cw_week_agg_t *agg = cw_sub_find_week(sub, week);
    if (agg != NULL) {
        *out = *agg;
    } else {
        memset(out, 0, sizeof *out);
        out->week = week;
    }
}

void cw_rules_evaluate(const cw_rules_t *rules, const cw_sub_t *sub, int32_t week,
                       int32_t eval_date, bool week_closed, cw_eval_t *eval)
{
    memset(eval, 0, sizeof *eval);
    eval->week = week;
    eval->eval_date = eval_date;
    eval->week_closed = week_closed;
    copy_week(sub, week, &eval->cur);
    copy_week(sub, week - 1, &eval->prev);

    const cw_week_agg_t *cur = &eval->cur, *prev = &eval->prev;
    uint8_t trig = 0;
    if ((int64_t)cur->complaints >= rules->complaints_per_week ||
        cur->serious_complaints >= 1 || cur->overdue_complaints >= 1)
        trig |= CW_TRIG_BIT(CW_TRIG_COMPLAINTS);
    if (cw_week_fwd_day_count(cur) >= rules->fwd_rival_days)
        trig |= CW_TRIG_BIT(CW_TRIG_FWD_RIVAL);
    if ((int64_t)cur->rival_service_calls >= rules->rival_service_calls)
        trig |= CW_TRIG_BIT(CW_TRIG_RIVAL_SERVICE);
    if (cur->plan_downgrade)
        trig |= CW_TRIG_BIT(CW_TRIG_PLAN_DOWNGRADE);
    if (sub->contract_end != CW_DAY_NONE) {
        eval->contract_days_left = (int64_t)sub->contract_end - eval_date;
        if (eval->contract_days_left >= 0 &&
            eval->contract_days_left <= rules->contract_expiry_days)
            trig |= CW_TRIG_BIT(CW_TRIG_CONTRACT_EXPIRY);
    }
    /* a week's spend and usage are only known once it is closed: mid-week
     * every subscriber would look like a drop */
    if (week_closed) {
        if (prev->spend_fen >= rules->spend_drop_min_base_fen &&
            fell_below(cur->spend_fen, prev->spend_fen, rules->spend_drop_pct))
            trig |= CW_TRIG_BIT(CW_TRIG_SPEND_DROP);
        if (prev->voice_s >= rules->usage_drop_min_base_s &&
            fell_below(cur->voice_s, prev->voice_s, rules->usage_drop_pct))
            trig |= CW_TRIG_BIT(CW_TRIG_USAGE_DROP);
    }
    eval->triggers = trig;

    eval->risk_tier =
        cw_rules_risk_tier(sub->subsidy_end, eval_date, rules->subsidy_horizon_months);
    eval->churned = cw_sub_churned(sub);
    if (eval->churned)
        eval->level = CW_LEVEL_NONE; /* a subscriber who left is not warned about */
    else if (trig != 0)
        eval->level = eval->risk_tier == 1 ? CW_LEVEL_RED : CW_LEVEL_YELLOW;
    else if (eval->risk_tier == 1 && week_closed && rules->emit_blue)
        eval->level = CW_LEVEL_BLUE;
    else
        eval->level = CW_LEVEL_NONE;

    eval->watched = (unsigned)sub->tier < CW_TIER__COUNT &&
                    (rules->watched_tiers & (1u << sub->tier)) != 0;
}

bool cw_rules_should_publish(const cw_week_agg_t *published, const cw_eval_t *eval)
{
    if (!eval->watched || eval->churned || eval->level == CW_LEVEL_NONE)
        return false;
    /* no week state yet means nothing was published for the week */
    uint8_t level = published ? published->published_level : CW_LEVEL_NONE;
    uint8_t seen = published ? published->published_triggers : 0;
    if ((uint8_t)eval->level > level)
        return true;
    if ((uint8_t)eval->level < level)
        return false;
    return (eval->triggers & (uint8_t)~seen) != 0;
}

void cw_rules_mark_published(cw_week_agg_t *agg, const cw_eval_t *eval)
{
    if ((uint8_t)eval->level > agg->published_level)
        agg->published_level = (uint8_t)eval->level;
    agg->published_triggers |= eval->triggers;
}
