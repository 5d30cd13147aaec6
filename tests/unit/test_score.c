/* Check suite for score.c: every item of the monthly model (SPEC section 14)
 * at its threshold and one below, the windows (3m, 6m, 2m) and their edges,
 * months without events as zeros, comparisons made on products and never on
 * rounded means, the score against the threshold, value churn both ways, and
 * who is scored at all (watched, not churned). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "config.h"
#include "date.h"
#include "errlist.h"
#include "month.h"
#include "rules.h"
#include "score.h"

#define M 682 /* 2026-11 */

static cw_score_rules_t sr; /* the SPEC's defaults, as the config table gives them */
static cw_rules_t rules;
static cw_sub_t sub;

static void setup(void)
{
    static const char text[] = "[kafka]\nbrokers = 127.0.0.1:9092\n";
    cw_config_t *config = NULL;
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(cw_config_parse(text, sizeof text - 1, "t.conf", &config, &errs), 0);
    sr = config->score;
    rules = config->rules;
    cw_config_free(config);
    cw_errlist_free(&errs);
    cw_sub_init(&sub);
    sub.tier = CW_TIER_HIGH;
}

/* Month M - back, made when missing. */
static cw_month_agg_t *mon(int back)
{
    cw_month_agg_t *m = cw_sub_get_month(&sub, M - back);
    ck_assert_ptr_nonnull(m);
    return m;
}

static cw_score_t score(void)
{
    cw_score_t s;
    cw_score_evaluate(&sr, &rules, &sub, M, &s);
    return s;
}

static bool item(cw_score_item_t i)
{
    return (score().items & CW_ITEM_BIT(i)) != 0;
}

/* ---- names and settings ---- */

START_TEST(item_names_are_the_specs_words_in_table_order)
{
    static const char *const names[] = {
        "spend_fall",  "fwd_3m",           "fwd_1m",      "arrears_stops",
        "owed",        "months_owed",      "fault",       "complaints_3m",
        "own_service", "rival_service_6m", "vip_service", "few_new_services",
        "vas_fall",
    };
    ck_assert_int_eq(CW_ITEM__COUNT, 13);
    for (int i = 0; i < CW_ITEM__COUNT; i++) {
        ck_assert_str_eq(cw_score_item_name((cw_score_item_t)i), names[i]);
        cw_score_item_t back = CW_ITEM__COUNT;
        ck_assert_int_eq(cw_score_item_parse(names[i], &back), 0);
        ck_assert_int_eq(back, i);
    }
    cw_score_item_t back;
    ck_assert_int_eq(cw_score_item_parse("spend_drop", &back), -1);
    ck_assert_str_eq(cw_score_item_name(CW_ITEM__COUNT), "unknown");
}
END_TEST

START_TEST(default_points_are_the_specs)
{
    static const int64_t points[] = {3, 1, 1, 2, 1, 2, 2, 3, 3, 3, 2, 1, 2};
    for (int i = 0; i < CW_ITEM__COUNT; i++)
        ck_assert_int_eq(cw_score_item_points(&sr, (cw_score_item_t)i), points[i]);
    ck_assert_int_eq(sr.threshold, 10);
}
END_TEST

/* ---- each item at its edge ---- */

START_TEST(spend_fall_at_exactly_the_share_is_not_a_fall)
{
    /* 6m mean 1000, 90 % of it 900; the 3m mean exactly 900 */
    for (int k = 3; k <= 5; k++)
        mon(k)->spend_fen = 1100;
    for (int k = 0; k <= 2; k++)
        mon(k)->spend_fen = 900;
    cw_score_t s = score();
    ck_assert_int_eq(s.spend_3m_fen, 2700);
    ck_assert_int_eq(s.spend_6m_fen, 6000);
    ck_assert(!(s.items & CW_ITEM_BIT(CW_ITEM_SPEND_FALL)));
    mon(0)->spend_fen = 899; /* one fen below */
    ck_assert(item(CW_ITEM_SPEND_FALL));
}
END_TEST

/* The SPEC's rule: mean(3m) < mean(6m) x pct / 100 as sum3 x 6 x 100 <
 * sum6 x 3 x pct. Floored means would say 900 < 900 here and miss it. */
START_TEST(spend_fall_compares_products_not_rounded_means)
{
    mon(5)->spend_fen = 1101; /* sum6 = 6005: mean 1000.83, x 0.9 = 900.75 */
    mon(4)->spend_fen = 1101;
    mon(3)->spend_fen = 1101;
    mon(2)->spend_fen = 901; /* sum3 = 2702: mean 900.67 */
    mon(1)->spend_fen = 901;
    mon(0)->spend_fen = 900;
    cw_score_t s = score();
    ck_assert_int_eq(s.spend_6m_fen, 6005);
    ck_assert_int_eq(s.spend_3m_fen, 2702);
    ck_assert(s.items & CW_ITEM_BIT(CW_ITEM_SPEND_FALL));
    mon(0)->spend_fen = 901; /* 2703: mean 901.0 > 900.75 */
    ck_assert(!item(CW_ITEM_SPEND_FALL));
}
END_TEST

START_TEST(spend_fall_counts_silent_months_as_zero)
{
    /* spend only in M-5: the 3m mean is 0, below 90 % of anything > 0 */
    mon(5)->spend_fen = 1;
    ck_assert(item(CW_ITEM_SPEND_FALL));
    /* no spend at all: 0 < 0 is false */
    mon(5)->spend_fen = 0;
    ck_assert(!item(CW_ITEM_SPEND_FALL));
    /* spend only in M-6 is outside the 6m window */
    mon(6)->spend_fen = 5000;
    ck_assert(!item(CW_ITEM_SPEND_FALL));
    ck_assert_int_eq(score().spend_6m_fen, 0);
}
END_TEST

START_TEST(spend_fall_uses_the_configured_percentage)
{
    for (int k = 0; k <= 5; k++)
        mon(k)->spend_fen = 1000;
    ck_assert(!item(CW_ITEM_SPEND_FALL)); /* flat */
    sr.spend_fall_pct = 100;
    ck_assert(!item(CW_ITEM_SPEND_FALL)); /* 1000 < 1000 is false */
    mon(0)->spend_fen = 999;
    ck_assert(item(CW_ITEM_SPEND_FALL));
}
END_TEST

START_TEST(fwd_3m_at_the_threshold)
{
    mon(0)->fwd_calls = 4;
    mon(1)->fwd_calls = 3;
    mon(2)->fwd_calls = 2;
    mon(3)->fwd_calls = 50; /* outside 3m */
    ck_assert_int_eq(score().fwd_3m_calls, 9);
    ck_assert(!item(CW_ITEM_FWD_3M));
    mon(2)->fwd_calls = 3;
    ck_assert(item(CW_ITEM_FWD_3M));
}
END_TEST

START_TEST(fwd_1m_counts_month_m_only)
{
    mon(1)->fwd_calls = 5;
    mon(0)->fwd_calls = 4;
    ck_assert(!item(CW_ITEM_FWD_1M));
    mon(0)->fwd_calls = 5;
    ck_assert(item(CW_ITEM_FWD_1M));
    ck_assert_int_eq(score().fwd_1m_calls, 5);
}
END_TEST

START_TEST(arrears_stops_over_six_months)
{
    mon(5)->arrears_stops = 1;
    mon(0)->arrears_stops = 1;
    mon(6)->arrears_stops = 1; /* outside 6m */
    ck_assert(!item(CW_ITEM_ARREARS_STOPS));
    mon(3)->arrears_stops = 1;
    ck_assert(item(CW_ITEM_ARREARS_STOPS));
    ck_assert_int_eq(score().arrears_stops_6m, 3);
}
END_TEST

START_TEST(owed_and_months_owed_read_month_m)
{
    mon(1)->owed_fen = 5000; /* last month's arrears do not count */
    mon(1)->months_owed = 3;
    mon(1)->has_arrears = true;
    ck_assert(!item(CW_ITEM_OWED));
    ck_assert(!item(CW_ITEM_MONTHS_OWED));
    mon(0)->has_arrears = true; /* paid off: 0 owed, 0 months */
    ck_assert(!item(CW_ITEM_OWED));
    ck_assert(!item(CW_ITEM_MONTHS_OWED));
    mon(0)->owed_fen = 1;
    ck_assert(item(CW_ITEM_OWED));
    ck_assert(!item(CW_ITEM_MONTHS_OWED));
    mon(0)->months_owed = 1; /* the default threshold */
    ck_assert(item(CW_ITEM_MONTHS_OWED));
    sr.months_owed = 2;
    ck_assert(!item(CW_ITEM_MONTHS_OWED));
    mon(0)->months_owed = 2;
    ck_assert(item(CW_ITEM_MONTHS_OWED));
    cw_score_t s = score();
    ck_assert_int_eq(s.owed_fen, 1);
    ck_assert_int_eq(s.months_owed, 2);
}
END_TEST

START_TEST(fault_is_the_highest_level_over_three_months)
{
    mon(3)->fault_level = 3; /* outside 3m */
    ck_assert(!item(CW_ITEM_FAULT));
    mon(2)->fault_level = 1; /* the default threshold is 1 */
    ck_assert(item(CW_ITEM_FAULT));
    sr.fault_level_3m = 3;
    mon(0)->fault_level = 2;
    ck_assert(!item(CW_ITEM_FAULT));
    ck_assert_int_eq(score().fault_level_3m, 2);
    mon(1)->fault_level = 3;
    ck_assert(item(CW_ITEM_FAULT));
    ck_assert_int_eq(score().fault_level_3m, 3);
}
END_TEST

START_TEST(complaints_3m_at_the_threshold)
{
    mon(3)->complaints = 9;
    mon(2)->complaints = 1;
    mon(0)->complaints = 1;
    ck_assert(!item(CW_ITEM_COMPLAINTS_3M));
    mon(1)->complaints = 1;
    ck_assert(item(CW_ITEM_COMPLAINTS_3M));
    ck_assert_int_eq(score().complaints_3m, 3);
}
END_TEST

START_TEST(own_service_over_six_months)
{
    mon(6)->own_service_calls = 9;
    mon(5)->own_service_calls = 2;
    mon(0)->own_service_calls = 2;
    ck_assert(!item(CW_ITEM_OWN_SERVICE));
    mon(2)->own_service_calls = 1;
    ck_assert(item(CW_ITEM_OWN_SERVICE));
    ck_assert_int_eq(score().own_service_calls_6m, 5);
}
END_TEST

START_TEST(rival_service_6m_at_the_threshold)
{
    mon(4)->rival_service_calls = 2;
    ck_assert(!item(CW_ITEM_RIVAL_SERVICE_6M));
    mon(5)->rival_service_calls = 1;
    ck_assert(item(CW_ITEM_RIVAL_SERVICE_6M));
    ck_assert_int_eq(score().rival_service_calls_6m, 3);
}
END_TEST

START_TEST(vip_service_at_the_threshold)
{
    mon(1)->vip_services = 2;
    ck_assert(!item(CW_ITEM_VIP_SERVICE));
    mon(0)->vip_services = 1;
    ck_assert(item(CW_ITEM_VIP_SERVICE));
    ck_assert_int_eq(score().vip_services_6m, 3);
}
END_TEST

START_TEST(few_new_services_is_fewer_than_the_threshold)
{
    ck_assert(item(CW_ITEM_FEW_NEW_SERVICES)); /* none in 6 months < 1 */
    mon(6)->new_services = 4;                  /* outside 6m */
    ck_assert(item(CW_ITEM_FEW_NEW_SERVICES));
    mon(5)->new_services = 1;
    ck_assert(!item(CW_ITEM_FEW_NEW_SERVICES));
    sr.new_services_6m = 2;
    ck_assert(item(CW_ITEM_FEW_NEW_SERVICES));
    ck_assert_int_eq(score().new_services_6m, 1);
    sr.new_services_6m = 0; /* fewer than none: never */
    mon(5)->new_services = 0;
    ck_assert(!item(CW_ITEM_FEW_NEW_SERVICES));
}
END_TEST

START_TEST(vas_fall_at_the_share_and_the_min_base)
{
    /* prev 2m (M-3..M-2) = 1000 = the min base; 20 % fall: below 800 */
    mon(3)->vas_fen = 600;
    mon(2)->vas_fen = 400;
    mon(1)->vas_fen = 400;
    mon(0)->vas_fen = 400;
    cw_score_t s = score();
    ck_assert_int_eq(s.prev_vas_2m_fen, 1000);
    ck_assert_int_eq(s.vas_2m_fen, 800);
    ck_assert(!(s.items & CW_ITEM_BIT(CW_ITEM_VAS_FALL)));
    mon(0)->vas_fen = 399;
    ck_assert(item(CW_ITEM_VAS_FALL));
    /* a base one fen below the minimum is no base */
    mon(3)->vas_fen = 599;
    mon(0)->vas_fen = 0;
    mon(1)->vas_fen = 0;
    ck_assert(!item(CW_ITEM_VAS_FALL));
    /* M-4 is not part of the base */
    mon(4)->vas_fen = 100000;
    ck_assert(!item(CW_ITEM_VAS_FALL));
}
END_TEST

/* ---- value churn ---- */

START_TEST(value_churn_by_downgrade_in_m_or_m_minus_1)
{
    ck_assert(!score().value_churn);
    mon(2)->plan_downgrade = true;
    ck_assert(!score().value_churn);
    mon(1)->plan_downgrade = true;
    ck_assert(score().value_churn);
    mon(1)->plan_downgrade = false;
    mon(0)->plan_downgrade = true;
    cw_score_t s = score();
    ck_assert(s.value_churn);
    ck_assert(s.downgrade_2m);
}
END_TEST

START_TEST(value_churn_by_spend_drop_both_ways)
{
    /* prev 2m = 5000 (the min base); a 30 % drop is below 3500 */
    mon(3)->spend_fen = 2500;
    mon(2)->spend_fen = 2500;
    mon(1)->spend_fen = 1750;
    mon(0)->spend_fen = 1750;
    cw_score_t s = score();
    ck_assert_int_eq(s.prev_spend_2m_fen, 5000);
    ck_assert_int_eq(s.spend_2m_fen, 3500);
    ck_assert(!s.value_churn);
    mon(0)->spend_fen = 1749;
    ck_assert(score().value_churn);
    /* from below the min base, even to zero: no value churn */
    mon(3)->spend_fen = 2499;
    mon(1)->spend_fen = 0;
    mon(0)->spend_fen = 0;
    ck_assert(!score().value_churn);
    /* a rise is never value churn */
    mon(3)->spend_fen = 2500;
    mon(1)->spend_fen = 90000;
    ck_assert(!score().value_churn);
}
END_TEST

/* ---- score, threshold, who is scored ---- */

START_TEST(a_subscriber_without_months_scores_only_few_new_services)
{
    cw_score_t s = score();
    ck_assert(s.eligible);
    ck_assert_uint_eq(s.items, CW_ITEM_BIT(CW_ITEM_FEW_NEW_SERVICES));
    ck_assert_int_eq(s.score, 1);
    ck_assert(!s.potential_churner);
    ck_assert(!s.value_churn);
    ck_assert(!cw_score_should_publish(&s));
    ck_assert_int_eq(s.month, M);
    ck_assert_int_eq(s.eval_date, cw_date_from_civil(2026, 11, 30));
}
END_TEST

START_TEST(score_at_the_threshold_is_a_potential_churner)
{
    /* complaints_3m 3 + own_service 3 + rival_service_6m 3 + few_new_services 1 = 10 */
    mon(0)->complaints = 3;
    mon(0)->own_service_calls = 5;
    mon(0)->rival_service_calls = 3;
    cw_score_t s = score();
    ck_assert_int_eq(s.score, 10);
    ck_assert_int_eq(s.threshold, 10);
    ck_assert(s.potential_churner);
    ck_assert(cw_score_should_publish(&s));
    ck_assert_int_eq(s.points[CW_ITEM_COMPLAINTS_3M], 3);
    ck_assert_int_eq(s.points[CW_ITEM_FWD_1M], 0); /* not true: no points */
    /* one point less */
    mon(0)->new_services = 1;
    s = score();
    ck_assert_int_eq(s.score, 9);
    ck_assert(!s.potential_churner);
    ck_assert(!cw_score_should_publish(&s));
    /* value churn alone is enough for a record */
    mon(0)->plan_downgrade = true;
    s = score();
    ck_assert(!s.potential_churner);
    ck_assert(s.value_churn);
    ck_assert(cw_score_should_publish(&s));
}
END_TEST

START_TEST(an_item_worth_no_points_is_true_but_adds_nothing)
{
    sr.few_new_services_points = 0;
    cw_score_t s = score();
    ck_assert_uint_eq(s.items, CW_ITEM_BIT(CW_ITEM_FEW_NEW_SERVICES));
    ck_assert_int_eq(s.score, 0);
}
END_TEST

START_TEST(every_item_true_scores_the_sum_of_all_points)
{
    for (int k = 3; k <= 5; k++)
        mon(k)->spend_fen = 10000;
    mon(3)->vas_fen = 2000;
    cw_month_agg_t *m = mon(0);
    m->fwd_calls = 10;
    m->arrears_stops = 3;
    m->has_arrears = true;
    m->owed_fen = 100;
    m->months_owed = 1;
    m->fault_level = 1;
    m->complaints = 3;
    m->own_service_calls = 5;
    m->rival_service_calls = 3;
    m->vip_services = 3;
    cw_score_t s = score();
    ck_assert_uint_eq(s.items, (1u << CW_ITEM__COUNT) - 1);
    ck_assert_int_eq(s.score, 3 + 1 + 1 + 2 + 1 + 2 + 2 + 3 + 3 + 3 + 2 + 1 + 2);
    ck_assert(s.potential_churner);
}
END_TEST

START_TEST(churned_subscriber_is_not_scored)
{
    mon(0)->complaints = 3;
    mon(0)->own_service_calls = 5;
    mon(0)->rival_service_calls = 3;
    mon(0)->plan_downgrade = true;
    sub.churned = true;
    sub.churn_ts_ms = 1795138200000LL;
    cw_score_t s = score();
    ck_assert(s.churned);
    ck_assert(!s.eligible);
    ck_assert(s.potential_churner); /* the figures, for whoever looks */
    ck_assert(!cw_score_should_publish(&s));
    ck_assert(!cw_score_eligible(&rules, &sub));
    sub.churned = false;
    ck_assert(cw_score_eligible(&rules, &sub));
    s = score();
    ck_assert(cw_score_should_publish(&s));
}
END_TEST

START_TEST(only_watched_tiers_are_scored)
{
    mon(0)->plan_downgrade = true;
    static const struct {
        cw_tier_t tier;
        bool watched;
    } rows[] = {{CW_TIER_HIGH, true},
                {CW_TIER_MID, true},
                {CW_TIER_LOW, false},
                {CW_TIER_UNKNOWN, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sub.tier = rows[i].tier;
        cw_score_t s = score();
        ck_assert_int_eq(s.watched, rows[i].watched);
        ck_assert_int_eq(s.eligible, rows[i].watched);
        ck_assert_int_eq(cw_score_eligible(&rules, &sub), rows[i].watched);
        ck_assert_int_eq(cw_score_should_publish(&s), rows[i].watched);
        ck_assert_int_eq(s.tier, rows[i].tier);
    }
}
END_TEST

START_TEST(risk_tier_is_taken_at_the_months_last_day)
{
    /* horizon 3 months from November: the end of February 2027 */
    sub.subsidy_end = cw_date_from_civil(2027, 2, 28);
    ck_assert_int_eq(score().risk_tier, 1);
    sub.subsidy_end = cw_date_from_civil(2027, 3, 1);
    ck_assert_int_eq(score().risk_tier, 2);
    sub.subsidy_end = CW_DAY_NONE;
    ck_assert_int_eq(score().risk_tier, 1);
}
END_TEST

START_TEST(huge_sums_neither_wrap_nor_overflow)
{
    for (int k = 0; k <= 5; k++) {
        mon(k)->spend_fen = INT64_MAX;
        mon(k)->vas_fen = INT64_MAX;
    }
    mon(0)->spend_fen = 0;
    cw_score_t s = score();
    ck_assert_int_eq(s.spend_6m_fen, INT64_MAX); /* saturated */
    ck_assert_int_eq(s.spend_2m_fen, INT64_MAX);
    ck_assert(!(s.items & CW_ITEM_BIT(CW_ITEM_VAS_FALL)));
    /* 3m saturates too: the comparison is exact on what the sums say */
    ck_assert_int_eq(s.spend_3m_fen, INT64_MAX);
    ck_assert(!(s.items & CW_ITEM_BIT(CW_ITEM_SPEND_FALL)));
    sr.spend_fall_pct = 100;
    for (int k = 0; k <= 2; k++)
        mon(k)->spend_fen = 1;
    ck_assert(item(CW_ITEM_SPEND_FALL));
}
END_TEST

static Suite *score_suite(void)
{
    Suite *s = suite_create("score");
    TCase *tc = tcase_create("names");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, item_names_are_the_specs_words_in_table_order);
    tcase_add_test(tc, default_points_are_the_specs);
    suite_add_tcase(s, tc);

    tc = tcase_create("items");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, spend_fall_at_exactly_the_share_is_not_a_fall);
    tcase_add_test(tc, spend_fall_compares_products_not_rounded_means);
    tcase_add_test(tc, spend_fall_counts_silent_months_as_zero);
    tcase_add_test(tc, spend_fall_uses_the_configured_percentage);
    tcase_add_test(tc, fwd_3m_at_the_threshold);
    tcase_add_test(tc, fwd_1m_counts_month_m_only);
    tcase_add_test(tc, arrears_stops_over_six_months);
    tcase_add_test(tc, owed_and_months_owed_read_month_m);
    tcase_add_test(tc, fault_is_the_highest_level_over_three_months);
    tcase_add_test(tc, complaints_3m_at_the_threshold);
    tcase_add_test(tc, own_service_over_six_months);
    tcase_add_test(tc, rival_service_6m_at_the_threshold);
    tcase_add_test(tc, vip_service_at_the_threshold);
    tcase_add_test(tc, few_new_services_is_fewer_than_the_threshold);
    tcase_add_test(tc, vas_fall_at_the_share_and_the_min_base);
    tcase_add_test(tc, huge_sums_neither_wrap_nor_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("value_churn");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, value_churn_by_downgrade_in_m_or_m_minus_1);
    tcase_add_test(tc, value_churn_by_spend_drop_both_ways);
    suite_add_tcase(s, tc);

    tc = tcase_create("score");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, a_subscriber_without_months_scores_only_few_new_services);
    tcase_add_test(tc, score_at_the_threshold_is_a_potential_churner);
    tcase_add_test(tc, an_item_worth_no_points_is_true_but_adds_nothing);
    tcase_add_test(tc, every_item_true_scores_the_sum_of_all_points);
    tcase_add_test(tc, churned_subscriber_is_not_scored);
    tcase_add_test(tc, only_watched_tiers_are_scored);
    tcase_add_test(tc, risk_tier_is_taken_at_the_months_last_day);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr_ = srunner_create(score_suite());
    srunner_run_all(sr_, CK_NORMAL);
    int failed = srunner_ntests_failed(sr_);
    srunner_free(sr_);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
