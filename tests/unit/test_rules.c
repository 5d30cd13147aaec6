/* Check suite for rules.c: triggers, risk tier, level and the publish rule
 * (SPEC sections 5 and 6), each boundary pinned on both sides, and no alert
 * for a churned subscriber (SPEC section 10). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "agg.h"
#include "date.h"
#include "rules.h"
#include "week.h"

static cw_rules_t rules;
static cw_sub_t sub;
static int32_t week;     /* 2026-W47: Monday 2026-11-16 .. Sunday 2026-11-22 */
static int32_t last_day; /* 2026-11-22 */

static void setup(void)
{
    cw_rules_defaults(&rules);
    cw_sub_init(&sub);
    sub.tier = CW_TIER_HIGH;
    week = cw_week_of_day(cw_date_from_civil(2026, 11, 16));
    last_day = cw_week_last_day(week);
}

static cw_week_agg_t *cur(void)
{
    return cw_sub_get_week(&sub, week);
}

static cw_week_agg_t *prev(void)
{
    return cw_sub_get_week(&sub, week - 1);
}

static cw_eval_t closed_eval(void)
{
    cw_eval_t eval;
    cw_rules_evaluate(&rules, &sub, week, last_day, true, &eval);
    return eval;
}

static cw_eval_t open_eval(void)
{
    cw_eval_t eval;
    cw_rules_evaluate(&rules, &sub, week, cw_week_first_day(week) + 2, false, &eval);
    return eval;
}

/* ---- names ---- */

START_TEST(trigger_and_level_names_are_the_specs_words)
{
    static const char *const names[CW_TRIG__COUNT] = {
        "complaints",      "fwd_rival",  "rival_service", "plan_downgrade",
        "contract_expiry", "spend_drop", "usage_drop"};
    for (int t = 0; t < CW_TRIG__COUNT; t++) {
        ck_assert_str_eq(cw_trigger_name((cw_trigger_t)t), names[t]);
        cw_trigger_t parsed;
        ck_assert_int_eq(cw_trigger_parse(names[t], &parsed), 0);
        ck_assert_int_eq(parsed, t);
    }
    cw_trigger_t trigger;
    ck_assert_int_eq(cw_trigger_parse("spend", &trigger), -1);
    ck_assert_str_eq(cw_level_name(CW_LEVEL_NONE), "none");
    ck_assert_str_eq(cw_level_name(CW_LEVEL_BLUE), "blue");
    ck_assert_str_eq(cw_level_name(CW_LEVEL_YELLOW), "yellow");
    ck_assert_str_eq(cw_level_name(CW_LEVEL_RED), "red");
    cw_level_t level;
    ck_assert_int_eq(cw_level_parse("yellow", &level), 0);
    ck_assert_int_eq(level, CW_LEVEL_YELLOW);
    ck_assert_int_eq(cw_level_parse("none", &level), -1);
    ck_assert_int_eq(cw_level_parse("Red", &level), -1);
}
END_TEST

START_TEST(defaults_are_the_specs)
{
    ck_assert_uint_eq(rules.watched_tiers, (1u << CW_TIER_HIGH) | (1u << CW_TIER_MID));
    ck_assert_int_eq(rules.complaints_per_week, 2);
    ck_assert_int_eq(rules.spend_drop_pct, 50);
    ck_assert_int_eq(rules.spend_drop_min_base_fen, 2000);
    ck_assert_int_eq(rules.usage_drop_pct, 50);
    ck_assert_int_eq(rules.usage_drop_min_base_s, 600);
    ck_assert_int_eq(rules.fwd_rival_days, 3);
    ck_assert_int_eq(rules.rival_service_calls, 2);
    ck_assert_int_eq(rules.contract_expiry_days, 30);
    ck_assert_int_eq(rules.subsidy_horizon_months, 3);
    ck_assert(rules.emit_blue);
}
END_TEST

/* ---- spend_drop, usage_drop ---- */

START_TEST(spend_drop_at_exactly_half_is_not_a_drop)
{
    prev()->spend_fen = 12000;
    cur()->spend_fen = 6000;
    ck_assert_uint_eq(closed_eval().triggers, 0);
}
END_TEST

START_TEST(spend_drop_at_49_9_percent_is_a_drop)
{
    prev()->spend_fen = 10000;
    cur()->spend_fen = 4990;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
}
END_TEST

START_TEST(spend_drop_from_below_min_base_is_not_a_drop)
{
    prev()->spend_fen = 1999;
    cur()->spend_fen = 0;
    ck_assert_uint_eq(closed_eval().triggers, 0);
}
END_TEST

START_TEST(spend_drop_from_exactly_min_base_is_a_drop)
{
    prev()->spend_fen = 2000;
    cur()->spend_fen = 999;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
}
END_TEST

START_TEST(spend_drop_needs_the_week_closed)
{
    prev()->spend_fen = 12000;
    cur()->spend_fen = 0;
    ck_assert_uint_eq(open_eval().triggers, 0);
}
END_TEST

START_TEST(spend_drop_fires_for_a_subscriber_silent_all_week)
{
    prev()->spend_fen = 12000;
    cw_eval_t eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
    ck_assert_int_eq(eval.cur.week, week);
    ck_assert_int_eq(eval.cur.spend_fen, 0);
    ck_assert_int_eq(eval.prev.spend_fen, 12000);
}
END_TEST

START_TEST(spend_drop_uses_the_configured_percentage)
{
    rules.spend_drop_pct = 80; /* a drop is below 20 % */
    prev()->spend_fen = 10000;
    cur()->spend_fen = 2000;
    ck_assert_uint_eq(closed_eval().triggers, 0);
    cur()->spend_fen = 1999;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
    rules.spend_drop_pct = 100; /* only below zero: never */
    cur()->spend_fen = 0;
    ck_assert_uint_eq(closed_eval().triggers, 0);
}
END_TEST

START_TEST(spend_drop_is_exact_for_huge_sums)
{
    /* products beyond int64 must neither wrap nor round */
    prev()->spend_fen = INT64_MAX - 1; /* even: half is exact */
    cur()->spend_fen = (INT64_MAX - 1) / 2;
    ck_assert_uint_eq(closed_eval().triggers, 0);
    cur()->spend_fen = (INT64_MAX - 1) / 2 - 1;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
}
END_TEST

START_TEST(usage_drop_at_exactly_half_is_not_a_drop)
{
    prev()->voice_s = 1200;
    cur()->voice_s = 600;
    ck_assert_uint_eq(closed_eval().triggers, 0);
}
END_TEST

START_TEST(usage_drop_at_49_9_percent_is_a_drop)
{
    prev()->voice_s = 1000;
    cur()->voice_s = 499;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_USAGE_DROP));
}
END_TEST

START_TEST(usage_drop_from_below_min_base_is_not_a_drop)
{
    prev()->voice_s = 599;
    cur()->voice_s = 0;
    ck_assert_uint_eq(closed_eval().triggers, 0);
    prev()->voice_s = 600;
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_USAGE_DROP));
}
END_TEST

START_TEST(usage_drop_needs_the_week_closed)
{
    prev()->voice_s = 5000;
    ck_assert_uint_eq(open_eval().triggers, 0);
    ck_assert_uint_eq(closed_eval().triggers, CW_TRIG_BIT(CW_TRIG_USAGE_DROP));
}
END_TEST

/* ---- the other triggers ---- */

START_TEST(complaints_one_normal_is_not_enough)
{
    cur()->complaints = 1;
    ck_assert_uint_eq(open_eval().triggers, 0);
}
END_TEST

START_TEST(complaints_fire_by_count)
{
    cur()->complaints = 2;
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
}
END_TEST

START_TEST(complaints_fire_on_one_serious)
{
    cur()->complaints = 1;
    cur()->serious_complaints = 1;
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
}
END_TEST

START_TEST(complaints_fire_on_one_overdue)
{
    cur()->complaints = 1;
    cur()->overdue_complaints = 1;
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
}
END_TEST

START_TEST(fwd_rival_on_two_days_is_not_enough)
{
    cur()->fwd_rival_days = 0x05; /* Monday, Wednesday */
    ck_assert_uint_eq(open_eval().triggers, 0);
}
END_TEST

START_TEST(fwd_rival_fires_on_three_days)
{
    cur()->fwd_rival_days = 0x45; /* Monday, Wednesday, Sunday */
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_FWD_RIVAL));
}
END_TEST

START_TEST(rival_service_fires_at_the_threshold)
{
    cur()->rival_service_calls = 1;
    ck_assert_uint_eq(open_eval().triggers, 0);
    cur()->rival_service_calls = 2;
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_RIVAL_SERVICE));
}
END_TEST

START_TEST(plan_downgrade_fires_mid_week)
{
    cur()->plan_downgrade = true;
    ck_assert_uint_eq(open_eval().triggers, CW_TRIG_BIT(CW_TRIG_PLAN_DOWNGRADE));
}
END_TEST

START_TEST(contract_expiry_fires_on_the_end_day_itself)
{
    sub.contract_end = last_day;
    cw_eval_t eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, CW_TRIG_BIT(CW_TRIG_CONTRACT_EXPIRY));
    ck_assert_int_eq(eval.contract_days_left, 0);
}
END_TEST

START_TEST(contract_expiry_fires_at_the_limit)
{
    sub.contract_end = last_day + 30;
    cw_eval_t eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, CW_TRIG_BIT(CW_TRIG_CONTRACT_EXPIRY));
    ck_assert_int_eq(eval.contract_days_left, 30);
}
END_TEST

START_TEST(contract_expiry_past_the_limit_does_not_fire)
{
    sub.contract_end = last_day + 31;
    cw_eval_t eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, 0);
    ck_assert_int_eq(eval.contract_days_left, 31);
}
END_TEST

START_TEST(contract_expiry_already_ended_does_not_fire)
{
    sub.contract_end = last_day - 1;
    cw_eval_t eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, 0);
    ck_assert_int_eq(eval.contract_days_left, -1);
}
END_TEST

START_TEST(contract_expiry_without_contract_does_not_fire)
{
    ck_assert_int_eq(sub.contract_end, CW_DAY_NONE);
    ck_assert_uint_eq(closed_eval().triggers, 0);
}
END_TEST

START_TEST(every_trigger_together)
{
    cur()->complaints = 5;
    cur()->fwd_rival_days = 0x7f;
    cur()->rival_service_calls = 9;
    cur()->plan_downgrade = true;
    sub.contract_end = last_day + 3;
    prev()->spend_fen = 10000;
    prev()->voice_s = 10000;
    ck_assert_uint_eq(closed_eval().triggers, 0x7f);
    ck_assert_uint_eq(open_eval().triggers, 0x1f); /* no drops mid-week */
}
END_TEST

/* ---- risk tier ---- */

START_TEST(subsidy_ending_on_last_day_of_month_plus_3_is_tier_1)
{
    /* eval in November 2026: horizon ends 2027-02-28 */
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2027, 2, 28), last_day, 3), 1);
    sub.subsidy_end = cw_date_from_civil(2027, 2, 28);
    cur()->complaints = 2;
    cw_eval_t eval = open_eval();
    ck_assert_int_eq(eval.risk_tier, 1);
    ck_assert_int_eq(eval.level, CW_LEVEL_RED);
}
END_TEST

START_TEST(subsidy_ending_on_first_day_of_month_plus_4_is_tier_2)
{
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2027, 3, 1), last_day, 3), 2);
    sub.subsidy_end = cw_date_from_civil(2027, 3, 1);
    cur()->complaints = 2;
    cw_eval_t eval = open_eval();
    ck_assert_int_eq(eval.risk_tier, 2);
    ck_assert_int_eq(eval.level, CW_LEVEL_YELLOW);
}
END_TEST

START_TEST(absent_subsidy_is_tier_1)
{
    ck_assert_int_eq(cw_rules_risk_tier(CW_DAY_NONE, last_day, 3), 1);
    ck_assert_int_eq(closed_eval().risk_tier, 1);
}
END_TEST

START_TEST(past_subsidy_is_tier_1)
{
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2020, 1, 1), last_day, 3), 1);
}
END_TEST

START_TEST(horizon_zero_is_the_end_of_the_eval_month)
{
    int32_t d = cw_date_from_civil(2026, 1, 31);
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2026, 1, 31), d, 0), 1);
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2026, 2, 1), d, 0), 2);
    /* one month ahead of January 2028 is a leap February */
    int32_t jan = cw_date_from_civil(2028, 1, 15);
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2028, 2, 29), jan, 1), 1);
    ck_assert_int_eq(cw_rules_risk_tier(cw_date_from_civil(2028, 3, 1), jan, 1), 2);
}
END_TEST

/* ---- level ---- */

START_TEST(tier_1_with_a_trigger_is_red)
{
    cur()->plan_downgrade = true;
    ck_assert_int_eq(open_eval().level, CW_LEVEL_RED);
}
END_TEST

START_TEST(tier_2_with_a_trigger_is_yellow)
{
    sub.subsidy_end = cw_date_from_civil(2028, 1, 1);
    cur()->plan_downgrade = true;
    ck_assert_int_eq(closed_eval().level, CW_LEVEL_YELLOW);
}
END_TEST

START_TEST(blue_only_at_week_close)
{
    ck_assert_int_eq(open_eval().level, CW_LEVEL_NONE);
    ck_assert_int_eq(closed_eval().level, CW_LEVEL_BLUE);
}
END_TEST

START_TEST(blue_only_with_emit_blue)
{
    rules.emit_blue = false;
    ck_assert_int_eq(closed_eval().level, CW_LEVEL_NONE);
}
END_TEST

START_TEST(blue_never_for_tier_2)
{
    sub.subsidy_end = cw_date_from_civil(2028, 1, 1);
    cw_eval_t eval = closed_eval();
    ck_assert_int_eq(eval.risk_tier, 2);
    ck_assert_int_eq(eval.level, CW_LEVEL_NONE);
}
END_TEST

START_TEST(watched_follows_the_profile_tier)
{
    ck_assert(closed_eval().watched); /* high */
    sub.tier = CW_TIER_MID;
    ck_assert(closed_eval().watched);
    sub.tier = CW_TIER_LOW;
    ck_assert(!closed_eval().watched);
    sub.tier = CW_TIER_UNKNOWN;
    ck_assert(!closed_eval().watched);
    rules.watched_tiers = 1u << CW_TIER_UNKNOWN;
    ck_assert(closed_eval().watched);
}
END_TEST

START_TEST(eval_copies_the_figures_behind_it)
{
    cur()->spend_fen = 3800;
    cur()->voice_s = 77;
    prev()->spend_fen = 12000;
    cw_eval_t eval = closed_eval();
    cur()->spend_fen = 1; /* the state may change after */
    ck_assert_int_eq(eval.week, week);
    ck_assert_int_eq(eval.eval_date, last_day);
    ck_assert(eval.week_closed);
    ck_assert_int_eq(eval.cur.week, week);
    ck_assert_int_eq(eval.cur.spend_fen, 3800);
    ck_assert_int_eq(eval.cur.voice_s, 77);
    ck_assert_int_eq(eval.prev.week, week - 1);
    ck_assert_int_eq(eval.prev.spend_fen, 12000);
}
END_TEST

START_TEST(eval_without_previous_week_has_zero_prev)
{
    cur()->spend_fen = 100;
    cw_eval_t eval = closed_eval();
    ck_assert_int_eq(eval.prev.spend_fen, 0);
    ck_assert_int_eq(eval.prev.voice_s, 0);
    ck_assert_uint_eq(eval.triggers, 0);
}
END_TEST

/* ---- publish ---- */

static cw_eval_t eval_with(cw_level_t level, uint8_t triggers, bool watched)
{
    cw_eval_t eval = {0};
    eval.week = week;
    eval.level = level;
    eval.triggers = triggers;
    eval.watched = watched;
    return eval;
}

static const uint8_t COMPLAINTS = CW_TRIG_BIT(CW_TRIG_COMPLAINTS);
static const uint8_t FWD = CW_TRIG_BIT(CW_TRIG_FWD_RIVAL);

START_TEST(first_alert_of_the_week_is_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t red = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    ck_assert(cw_rules_should_publish(&published, &red));
    ck_assert(cw_rules_should_publish(NULL, &red));
}
END_TEST

START_TEST(lower_level_after_higher_is_not_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t red = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    cw_rules_mark_published(&published, &red);
    cw_eval_t yellow = eval_with(CW_LEVEL_YELLOW, COMPLAINTS | FWD, true);
    ck_assert(!cw_rules_should_publish(&published, &yellow));
    cw_eval_t blue = eval_with(CW_LEVEL_BLUE, 0, true);
    ck_assert(!cw_rules_should_publish(&published, &blue));
}
END_TEST

START_TEST(blue_after_yellow_is_not_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t yellow = eval_with(CW_LEVEL_YELLOW, FWD, true);
    cw_rules_mark_published(&published, &yellow);
    cw_eval_t blue = eval_with(CW_LEVEL_BLUE, 0, true);
    ck_assert(!cw_rules_should_publish(&published, &blue));
}
END_TEST

START_TEST(higher_level_with_same_triggers_is_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t yellow = eval_with(CW_LEVEL_YELLOW, FWD, true);
    cw_rules_mark_published(&published, &yellow);
    cw_eval_t red = eval_with(CW_LEVEL_RED, FWD, true);
    ck_assert(cw_rules_should_publish(&published, &red));
}
END_TEST

START_TEST(new_trigger_at_same_level_is_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t first = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    cw_rules_mark_published(&published, &first);
    cw_eval_t second = eval_with(CW_LEVEL_RED, COMPLAINTS | FWD, true);
    ck_assert(cw_rules_should_publish(&published, &second));
}
END_TEST

START_TEST(same_triggers_again_are_not_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t first = eval_with(CW_LEVEL_RED, COMPLAINTS | FWD, true);
    cw_rules_mark_published(&published, &first);
    ck_assert(!cw_rules_should_publish(&published, &first));
    cw_eval_t subset = eval_with(CW_LEVEL_RED, FWD, true);
    ck_assert(!cw_rules_should_publish(&published, &subset));
}
END_TEST

START_TEST(trigger_published_earlier_then_gone_then_back_is_not_new)
{
    /* the published set is a union: a trigger that flickers is said once */
    cw_week_agg_t published = {0};
    cw_eval_t a = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    cw_rules_mark_published(&published, &a);
    cw_eval_t b = eval_with(CW_LEVEL_RED, FWD, true);
    ck_assert(cw_rules_should_publish(&published, &b));
    cw_rules_mark_published(&published, &b);
    ck_assert_uint_eq(published.published_triggers, COMPLAINTS | FWD);
    ck_assert(!cw_rules_should_publish(&published, &a));
}
END_TEST

START_TEST(second_blue_is_not_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t blue = eval_with(CW_LEVEL_BLUE, 0, true);
    ck_assert(cw_rules_should_publish(&published, &blue));
    cw_rules_mark_published(&published, &blue);
    ck_assert(!cw_rules_should_publish(&published, &blue));
}
END_TEST

START_TEST(unwatched_tier_is_never_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t red = eval_with(CW_LEVEL_RED, 0x7f, false);
    ck_assert(!cw_rules_should_publish(&published, &red));
}
END_TEST

START_TEST(level_none_is_never_published)
{
    cw_week_agg_t published = {0};
    cw_eval_t none = eval_with(CW_LEVEL_NONE, 0, true);
    ck_assert(!cw_rules_should_publish(&published, &none));
}
END_TEST

START_TEST(mark_published_keeps_the_highest_level)
{
    cw_week_agg_t published = {0};
    cw_eval_t red = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    cw_eval_t yellow = eval_with(CW_LEVEL_YELLOW, FWD, true);
    cw_rules_mark_published(&published, &red);
    cw_rules_mark_published(&published, &yellow);
    ck_assert_uint_eq(published.published_level, CW_LEVEL_RED);
    ck_assert_uint_eq(published.published_triggers, COMPLAINTS | FWD);
}
END_TEST

/* ---- churned subscribers (SPEC section 10) ---- */

START_TEST(churned_subscriber_gets_no_alert_per_event)
{
    cur()->complaints = 5;
    cur()->plan_downgrade = true;
    ck_assert_int_eq(open_eval().level, CW_LEVEL_RED);
    sub.churned = true;
    sub.churn_ts_ms = cw_week_start_ms(week, 8 * 3600);
    cw_eval_t eval = open_eval();
    ck_assert(eval.churned);
    ck_assert_int_eq(eval.level, CW_LEVEL_NONE);
    /* the figures are still there, for whoever looks */
    ck_assert_uint_eq(eval.triggers, CW_TRIG_BIT(CW_TRIG_COMPLAINTS) |
                                         CW_TRIG_BIT(CW_TRIG_PLAN_DOWNGRADE));
    ck_assert(!cw_rules_should_publish(cur(), &eval));
    ck_assert(!cw_rules_should_publish(NULL, &eval));
}
END_TEST

START_TEST(churned_subscriber_gets_no_alert_at_week_close)
{
    prev()->spend_fen = 12000;
    cur()->spend_fen = 100;
    sub.churned = true;
    cw_eval_t eval = closed_eval();
    ck_assert(eval.triggers & CW_TRIG_BIT(CW_TRIG_SPEND_DROP));
    ck_assert_int_eq(eval.level, CW_LEVEL_NONE);
    ck_assert(!cw_rules_should_publish(NULL, &eval));
    /* nor blue, which needs no trigger */
    prev()->spend_fen = 0;
    eval = closed_eval();
    ck_assert_uint_eq(eval.triggers, 0);
    ck_assert_int_eq(eval.level, CW_LEVEL_NONE);
    ck_assert(!cw_rules_should_publish(NULL, &eval));
}
END_TEST

START_TEST(cleared_churn_mark_alerts_again)
{
    cur()->plan_downgrade = true;
    sub.churned = true;
    ck_assert_int_eq(open_eval().level, CW_LEVEL_NONE);
    sub.churned = false; /* as a later profile leaves it */
    cw_eval_t eval = open_eval();
    ck_assert(!eval.churned);
    ck_assert_int_eq(eval.level, CW_LEVEL_RED);
    ck_assert(cw_rules_should_publish(NULL, &eval));
}
END_TEST

START_TEST(an_eval_that_says_churned_is_never_published)
{
    /* whatever else it says: the flag alone stops it */
    cw_eval_t red = eval_with(CW_LEVEL_RED, COMPLAINTS, true);
    red.churned = true;
    ck_assert(!cw_rules_should_publish(NULL, &red));
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");

    TCase *names = tcase_create("names");
    tcase_add_checked_fixture(names, setup, NULL);
    tcase_add_test(names, trigger_and_level_names_are_the_specs_words);
    tcase_add_test(names, defaults_are_the_specs);
    suite_add_tcase(s, names);

    TCase *drops = tcase_create("drops");
    tcase_add_checked_fixture(drops, setup, NULL);
    tcase_add_test(drops, spend_drop_at_exactly_half_is_not_a_drop);
    tcase_add_test(drops, spend_drop_at_49_9_percent_is_a_drop);
    tcase_add_test(drops, spend_drop_from_below_min_base_is_not_a_drop);
    tcase_add_test(drops, spend_drop_from_exactly_min_base_is_a_drop);
    tcase_add_test(drops, spend_drop_needs_the_week_closed);
    tcase_add_test(drops, spend_drop_fires_for_a_subscriber_silent_all_week);
    tcase_add_test(drops, spend_drop_uses_the_configured_percentage);
    tcase_add_test(drops, spend_drop_is_exact_for_huge_sums);
    tcase_add_test(drops, usage_drop_at_exactly_half_is_not_a_drop);
    tcase_add_test(drops, usage_drop_at_49_9_percent_is_a_drop);
    tcase_add_test(drops, usage_drop_from_below_min_base_is_not_a_drop);
    tcase_add_test(drops, usage_drop_needs_the_week_closed);
    suite_add_tcase(s, drops);

    TCase *triggers = tcase_create("triggers");
    tcase_add_checked_fixture(triggers, setup, NULL);
    tcase_add_test(triggers, complaints_one_normal_is_not_enough);
    tcase_add_test(triggers, complaints_fire_by_count);
    tcase_add_test(triggers, complaints_fire_on_one_serious);
    tcase_add_test(triggers, complaints_fire_on_one_overdue);
    tcase_add_test(triggers, fwd_rival_on_two_days_is_not_enough);
    tcase_add_test(triggers, fwd_rival_fires_on_three_days);
    tcase_add_test(triggers, rival_service_fires_at_the_threshold);
    tcase_add_test(triggers, plan_downgrade_fires_mid_week);
    tcase_add_test(triggers, contract_expiry_fires_on_the_end_day_itself);
    tcase_add_test(triggers, contract_expiry_fires_at_the_limit);
    tcase_add_test(triggers, contract_expiry_past_the_limit_does_not_fire);
    tcase_add_test(triggers, contract_expiry_already_ended_does_not_fire);
    tcase_add_test(triggers, contract_expiry_without_contract_does_not_fire);
    tcase_add_test(triggers, every_trigger_together);
    suite_add_tcase(s, triggers);

    TCase *tier = tcase_create("risk_tier");
    tcase_add_checked_fixture(tier, setup, NULL);
    tcase_add_test(tier, subsidy_ending_on_last_day_of_month_plus_3_is_tier_1);
    tcase_add_test(tier, subsidy_ending_on_first_day_of_month_plus_4_is_tier_2);
    tcase_add_test(tier, absent_subsidy_is_tier_1);
    tcase_add_test(tier, past_subsidy_is_tier_1);
    tcase_add_test(tier, horizon_zero_is_the_end_of_the_eval_month);
    suite_add_tcase(s, tier);

    TCase *level = tcase_create("level");
    tcase_add_checked_fixture(level, setup, NULL);
    tcase_add_test(level, tier_1_with_a_trigger_is_red);
    tcase_add_test(level, tier_2_with_a_trigger_is_yellow);
    tcase_add_test(level, blue_only_at_week_close);
    tcase_add_test(level, blue_only_with_emit_blue);
    tcase_add_test(level, blue_never_for_tier_2);
    tcase_add_test(level, watched_follows_the_profile_tier);
    tcase_add_test(level, eval_copies_the_figures_behind_it);
    tcase_add_test(level, eval_without_previous_week_has_zero_prev);
    suite_add_tcase(s, level);

    TCase *publish = tcase_create("publish");
    tcase_add_checked_fixture(publish, setup, NULL);
    tcase_add_test(publish, first_alert_of_the_week_is_published);
    tcase_add_test(publish, lower_level_after_higher_is_not_published);
    tcase_add_test(publish, blue_after_yellow_is_not_published);
    tcase_add_test(publish, higher_level_with_same_triggers_is_published);
    tcase_add_test(publish, new_trigger_at_same_level_is_published);
    tcase_add_test(publish, same_triggers_again_are_not_published);
    tcase_add_test(publish, trigger_published_earlier_then_gone_then_back_is_not_new);
    tcase_add_test(publish, second_blue_is_not_published);
    tcase_add_test(publish, unwatched_tier_is_never_published);
    tcase_add_test(publish, level_none_is_never_published);
    tcase_add_test(publish, mark_published_keeps_the_highest_level);
    suite_add_tcase(s, publish);

    TCase *churned = tcase_create("churned");
    tcase_add_checked_fixture(churned, setup, NULL);
    tcase_add_test(churned, churned_subscriber_gets_no_alert_per_event);
    tcase_add_test(churned, churned_subscriber_gets_no_alert_at_week_close);
    tcase_add_test(churned, cleared_churn_mark_alerts_again);
    tcase_add_test(churned, an_eval_that_says_churned_is_never_published);
    suite_add_tcase(s, churned);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rules_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
