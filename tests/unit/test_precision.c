/* Check suite for precision.c: the backtest report's definitions (SPEC
 * section 11 and the monthly model's paragraph of section 14) on small
 * hand-made histories, H = 2 weeks: hits at the horizon's edges, mature and
 * immature pairs, churners caught or not, unwatched churners, lead weeks,
 * levels and triggers, the monthly records, and the ratios' rounding. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "meta.h"
#include "month.h"
#include "number.h"
#include "precision.h"
#include "week.h"

#define H 2
#define S1 "13800000001"
#define S2 "13800000002"
#define S3 "13800000003"
#define S4 "13800000004"

static cw_precision_t *p;
static cw_precision_report_t r;
static const int32_t W = 2900; /* some week */

static void setup_weekly(void)
{
    p = cw_precision_new(CW_PRECISION_WEEKLY, H);
    ck_assert_ptr_nonnull(p);
}

static void setup_monthly(void)
{
    p = cw_precision_new(CW_PRECISION_MONTHLY, H);
    ck_assert_ptr_nonnull(p);
}

static void teardown(void)
{
    cw_precision_free(p);
    cw_alloc_fail_after(-1);
}

static void alert(const char *msisdn, int32_t week, cw_level_t level, uint16_t triggers)
{
    ck_assert_int_eq(cw_precision_alert(p, msisdn, week, level, triggers), 0);
}

static void churn(const char *msisdn, int32_t week, bool watched)
{
    ck_assert_int_eq(cw_precision_churn(p, msisdn, week, watched), 0);
}

static void report(int32_t last_closed)
{
    ck_assert_int_eq(cw_precision_report(p, last_closed, &r), 0);
}

#define COMPLAINTS CW_TRIG_BIT(CW_TRIG_COMPLAINTS)
#define SPEND_DROP CW_TRIG_BIT(CW_TRIG_SPEND_DROP)

/* ---- precision ---- */

START_TEST(a_churn_on_the_horizons_last_week_is_a_hit_and_one_past_it_is_not)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    alert(S2, W, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W + H, true);     /* W <= C <= W + H */
    churn(S2, W + H + 1, true); /* one week past */
    report(W + H);              /* L - H = W: both mature */
    ck_assert_uint_eq(r.classes[0].mature, 2);
    ck_assert_uint_eq(r.classes[0].hits, 1);
    ck_assert_uint_eq(r.classes[CW_LEVEL_RED].hits, 1);
    ck_assert_int_eq(cw_precision_ratio(r.classes[0].hits, r.classes[0].mature), 500);
}
END_TEST

START_TEST(a_churn_in_the_alerted_week_is_a_hit_and_one_before_it_is_not)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    alert(S2, W, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W, true);
    churn(S2, W - 1, true); /* the warning came after the churn */
    report(W + H);
    ck_assert_uint_eq(r.classes[0].hits, 1);
}
END_TEST

START_TEST(a_pair_younger_than_the_horizon_is_immature_whatever_happened)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    alert(S2, W + 1, CW_LEVEL_RED, COMPLAINTS);
    churn(S2, W + 1, true); /* a hit already, but its horizon is not over */
    report(W + H);
    ck_assert_int_eq(r.mature_until, W);
    ck_assert_uint_eq(r.classes[0].pairs, 2);
    ck_assert_uint_eq(r.classes[0].mature, 1);
    ck_assert_uint_eq(r.classes[0].hits, 0);
    /* a week later it is mature and a hit */
    report(W + H + 1);
    ck_assert_uint_eq(r.classes[0].mature, 2);
    ck_assert_uint_eq(r.classes[0].hits, 1);
}
END_TEST

START_TEST(when_no_week_closed_no_pair_is_mature_and_precision_is_null)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W, true);
    report(CW_WEEK_NONE);
    ck_assert_int_eq(r.mature_until, CW_WEEK_NONE);
    ck_assert_uint_eq(r.classes[0].pairs, 1);
    ck_assert_uint_eq(r.classes[0].mature, 0);
    char text[CW_PRECISION_RATIO_SIZE];
    cw_precision_ratio_text(r.classes[0].hits, r.classes[0].mature, text);
    ck_assert_str_eq(text, "null");
    /* recall does not wait for maturity */
    ck_assert_uint_eq(r.churners, 1);
    ck_assert_uint_eq(r.caught, 1);
}
END_TEST

START_TEST(a_pair_has_its_highest_level_and_the_union_of_its_triggers)
{
    alert(S1, W, CW_LEVEL_BLUE, 0);
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    alert(S1, W, CW_LEVEL_YELLOW, SPEND_DROP); /* a lower level adds its trigger */
    churn(S1, W + 1, true);
    report(W + H);
    ck_assert_uint_eq(r.classes[0].pairs, 1);
    ck_assert_uint_eq(r.classes[CW_LEVEL_RED].pairs, 1);
    ck_assert_uint_eq(r.classes[CW_LEVEL_YELLOW].pairs, 0);
    ck_assert_uint_eq(r.classes[CW_LEVEL_BLUE].pairs, 0);
    ck_assert_uint_eq(r.bits[CW_TRIG_COMPLAINTS].hits, 1);
    ck_assert_uint_eq(r.bits[CW_TRIG_SPEND_DROP].hits, 1);
    ck_assert_uint_eq(r.bits[CW_TRIG_FWD_RIVAL].mature, 0);
}
END_TEST

START_TEST(precision_per_level_and_per_trigger_counts_each_pair_once)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS | SPEND_DROP);
    alert(S2, W, CW_LEVEL_YELLOW, SPEND_DROP);
    alert(S3, W, CW_LEVEL_BLUE, 0);
    alert(S3, W + 1, CW_LEVEL_BLUE, 0);
    churn(S1, W + 2, true);
    churn(S3, W + 1, true);
    report(W + H + 1); /* mature up to W + 1 */
    ck_assert_uint_eq(r.classes[0].mature, 4);
    ck_assert_uint_eq(r.classes[0].hits, 3);
    ck_assert_uint_eq(r.classes[CW_LEVEL_RED].hits, 1);
    ck_assert_uint_eq(r.classes[CW_LEVEL_YELLOW].mature, 1);
    ck_assert_uint_eq(r.classes[CW_LEVEL_YELLOW].hits, 0);
    ck_assert_uint_eq(r.classes[CW_LEVEL_BLUE].mature, 2);
    ck_assert_uint_eq(r.classes[CW_LEVEL_BLUE].hits, 2);
    ck_assert_uint_eq(r.bits[CW_TRIG_SPEND_DROP].mature, 2);
    ck_assert_uint_eq(r.bits[CW_TRIG_SPEND_DROP].hits, 1);
}
END_TEST

/* ---- recall ---- */

START_TEST(a_churner_alerted_in_its_churn_week_is_caught_with_lead_zero)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W, true);
    report(W);
    ck_assert_uint_eq(r.churners, 1);
    ck_assert_uint_eq(r.caught, 1);
    ck_assert_uint_eq(r.lead[0], 1);
}
END_TEST

START_TEST(caught_counts_alerts_from_h_weeks_before_the_churn_and_lead_from_the_first)
{
    alert(S1, W - H - 1, CW_LEVEL_RED, COMPLAINTS); /* too early to count */
    alert(S1, W - H, CW_LEVEL_BLUE, 0);
    alert(S1, W - 1, CW_LEVEL_RED, COMPLAINTS);
    alert(S2, W - H - 1, CW_LEVEL_RED, COMPLAINTS); /* only too early */
    alert(S3, W + 1, CW_LEVEL_RED, COMPLAINTS);     /* only after the churn */
    churn(S1, W, true);
    churn(S2, W, true);
    churn(S3, W, true);
    report(W + 1);
    ck_assert_uint_eq(r.churners, 3);
    ck_assert_uint_eq(r.caught, 1);
    ck_assert_uint_eq(r.lead[H], 1);
    ck_assert_uint_eq(r.lead[1], 0);
}
END_TEST

START_TEST(an_unwatched_churner_is_not_in_recall_but_its_churn_makes_hits)
{
    alert(S1, W, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W + 1, false); /* churned while its tier was not watched */
    churn(S2, W + 1, false);
    report(W + H);
    ck_assert_uint_eq(r.churners, 0);
    ck_assert_uint_eq(r.caught, 0);
    ck_assert_uint_eq(r.classes[0].hits, 1);
    char text[CW_PRECISION_RATIO_SIZE];
    cw_precision_ratio_text(r.caught, r.churners, text);
    ck_assert_str_eq(text, "null");
}
END_TEST

START_TEST(the_first_churn_gives_the_week_and_any_watched_one_makes_a_churner)
{
    alert(S1, W + 5, CW_LEVEL_RED, COMPLAINTS);
    churn(S1, W, false);    /* C(S) = W */
    churn(S1, W + 5, true); /* recycled, then left again, watched */
    report(W + 10);
    ck_assert_uint_eq(r.churners, 1);
    /* judged against C(S) = W: the alert of W + 5 neither hits nor catches */
    ck_assert_uint_eq(r.classes[0].hits, 0);
    ck_assert_uint_eq(r.caught, 0);
}
END_TEST

START_TEST(a_subscriber_who_never_churned_is_no_hit_and_no_churner)
{
    alert(S4, W, CW_LEVEL_RED, COMPLAINTS);
    report(W + H);
    ck_assert_uint_eq(r.classes[0].mature, 1);
    ck_assert_uint_eq(r.classes[0].hits, 0);
    ck_assert_uint_eq(r.churners, 0);
}
END_TEST

/* ---- the monthly model ---- */

START_TEST(a_record_is_judged_from_the_week_of_its_months_last_day)
{
    int32_t month = cw_month_of_day(cw_week_first_day(W));
    int32_t last_week = cw_week_of_day(cw_month_last_day(month));
    ck_assert_int_eq(cw_precision_record(p, S1, month, true, false, 0x3), 0);
    ck_assert_int_eq(cw_precision_record(p, S2, month, false, true, 0), 0);
    ck_assert_int_eq(cw_precision_record(p, S3, month, true, true, 0x1), 0);
    churn(S1, last_week + H, true);     /* the horizon's last week: a hit */
    churn(S2, last_week + H + 1, true); /* past it */
    churn(S3, last_week - 1, true);     /* before the month ended */
    report(last_week + H);
    ck_assert_uint_eq(r.classes[0].mature, 3);
    ck_assert_uint_eq(r.classes[0].hits, 1);
    ck_assert_uint_eq(r.classes[CW_PRECISION_POTENTIAL].pairs, 2);
    ck_assert_uint_eq(r.classes[CW_PRECISION_POTENTIAL].hits, 1);
    ck_assert_uint_eq(r.classes[CW_PRECISION_VALUE_CHURN].pairs, 2);
    ck_assert_uint_eq(r.classes[CW_PRECISION_VALUE_CHURN].hits, 0);
    ck_assert_uint_eq(r.bits[0].mature, 2);
    ck_assert_uint_eq(r.bits[1].hits, 1);
    /* recall: a record of a month ending in the H weeks up to C(S) */
    ck_assert_uint_eq(r.churners, 3);
    ck_assert_uint_eq(r.caught, 1);
    ck_assert_uint_eq(r.lead[H], 1);
    report(last_week + H - 1);
    ck_assert_uint_eq(r.classes[0].mature, 0);
}
END_TEST

START_TEST(the_monthly_tally_ignores_alerts_and_the_weekly_one_records)
{
    cw_entries_t entries = {0};
    ck_assert_int_eq(cw_entries_add_alert(&entries, "id", S1, "{}", 2, CW_LEVEL_RED), 0);
    entries.items[0].period = W;
    ck_assert_int_eq(cw_entries_add_outcome(&entries, "o", S1, "{}", 2, 0, 0, -1), 0);
    entries.items[1].period = W;
    entries.items[1].watched = true;
    for (size_t i = 0; i < entries.count; i++)
        ck_assert_int_eq(cw_precision_entry(p, &entries.items[i]), 0);
    report(W + H);
    ck_assert_uint_eq(r.classes[0].pairs, 0);
    ck_assert_uint_eq(r.churners, 1);
    cw_entries_free(&entries);
}
END_TEST

/* ---- entries, pairs, ratios ---- */

START_TEST(entries_of_a_replay_feed_the_weekly_tally)
{
    cw_entries_t entries = {0};
    ck_assert_int_eq(cw_entries_add_alert(&entries, "id", S1, "{}", 2, CW_LEVEL_RED), 0);
    entries.items[0].period = W;
    entries.items[0].bits = COMPLAINTS;
    ck_assert_int_eq(
        cw_entries_add_outcome(&entries, "o", S1, "{}", 2, CW_LEVEL_RED, 0, 1), 0);
    entries.items[1].period = W + 1;
    entries.items[1].watched = true;
    ck_assert_int_eq(cw_entries_add_score(&entries, "s", S2, "{}", 2, true, false), 0);
    for (size_t i = 0; i < entries.count; i++)
        ck_assert_int_eq(cw_precision_entry(p, &entries.items[i]), 0);
    report(W + H);
    ck_assert_uint_eq(r.classes[0].pairs, 1);
    ck_assert_uint_eq(r.classes[0].hits, 1);
    ck_assert_uint_eq(r.bits[CW_TRIG_COMPLAINTS].hits, 1);
    ck_assert_uint_eq(r.caught, 1);
    ck_assert_uint_eq(r.lead[1], 1);
    cw_entries_free(&entries);
}
END_TEST

START_TEST(pairs_come_ordered_by_week_then_number_and_can_be_found)
{
    alert(S2, W + 1, CW_LEVEL_RED, 0);
    alert(S2, W, CW_LEVEL_BLUE, 0);
    alert(S1, W + 1, CW_LEVEL_YELLOW, 0);
    size_t n;
    cw_precision_pair_t *pairs = cw_precision_pairs(p, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(pairs[0].period, W);
    ck_assert_uint_eq(pairs[1].msisdn, cw_number_pack(S1));
    ck_assert_uint_eq(pairs[2].msisdn, cw_number_pack(S2));
    ck_assert_uint_eq(pairs[2].level, CW_LEVEL_RED);
    cw_free(pairs);
    const cw_precision_pair_t *found = cw_precision_find(p, cw_number_pack(S1), W + 1);
    ck_assert_ptr_nonnull(found);
    ck_assert_uint_eq(found->level, CW_LEVEL_YELLOW);
    ck_assert_ptr_null(cw_precision_find(p, cw_number_pack(S1), W));
}
END_TEST

START_TEST(many_pairs_and_churns_grow_the_tables)
{
    char msisdn[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(msisdn, sizeof msisdn, "1390000%04d", i);
        alert(msisdn, W, CW_LEVEL_RED, COMPLAINTS);
        if (i % 2 == 0)
            churn(msisdn, W + 1, true);
    }
    report(W + H);
    ck_assert_uint_eq(r.classes[0].mature, 5000);
    ck_assert_uint_eq(r.classes[0].hits, 2500);
    ck_assert_uint_eq(r.churners, 2500);
    ck_assert_uint_eq(r.caught, 2500);
}
END_TEST

START_TEST(ratios_round_half_up_to_three_decimals)
{
    char text[CW_PRECISION_RATIO_SIZE];
    ck_assert_int_eq(cw_precision_ratio(2, 3), 667);
    ck_assert_int_eq(cw_precision_ratio(1, 16), 63); /* 0.0625 */
    ck_assert_int_eq(cw_precision_ratio(1, 2001), 0);
    ck_assert_int_eq(cw_precision_ratio(0, 0), -1);
    cw_precision_ratio_text(7, 10, text);
    ck_assert_str_eq(text, "0.7");
    cw_precision_ratio_text(3, 50, text);
    ck_assert_str_eq(text, "0.06");
    cw_precision_ratio_text(5, 5, text);
    ck_assert_str_eq(text, "1.0");
    cw_precision_ratio_text(0, 5, text);
    ck_assert_str_eq(text, "0.0");
    cw_precision_ratio_text(21, 100, text);
    ck_assert_str_eq(text, "0.21");
    cw_precision_ratio_text(2, 3, text);
    ck_assert_str_eq(text, "0.667");
}
END_TEST

START_TEST(out_of_memory_is_reported_never_a_wrong_count)
{
    for (int n = 0; n < 8; n++) {
        cw_alloc_fail_after(n);
        cw_precision_t *q = cw_precision_new(CW_PRECISION_WEEKLY, H);
        int rc = q == NULL ? -1 : 0;
        char msisdn[16];
        for (int i = 0; rc == 0 && i < 2000; i++) {
            snprintf(msisdn, sizeof msisdn, "1390000%04d", i);
            rc = cw_precision_alert(q, msisdn, W, CW_LEVEL_RED, 0);
            if (rc == 0)
                rc = cw_precision_churn(q, msisdn, W, true);
        }
        cw_precision_report_t out;
        if (rc == 0)
            rc = cw_precision_report(q, W + H, &out);
        cw_alloc_fail_after(-1);
        if (rc == 0) {
            ck_assert_uint_eq(out.classes[0].hits, 2000);
            ck_assert_uint_eq(out.caught, 2000);
        }
        cw_precision_free(q);
    }
}
END_TEST

static Suite *precision_suite(void)
{
    Suite *s = suite_create("precision");
    TCase *tc = tcase_create("precision");
    tcase_add_checked_fixture(tc, setup_weekly, teardown);
    tcase_add_test(tc, a_churn_on_the_horizons_last_week_is_a_hit_and_one_past_it_is_not);
    tcase_add_test(tc, a_churn_in_the_alerted_week_is_a_hit_and_one_before_it_is_not);
    tcase_add_test(tc, a_pair_younger_than_the_horizon_is_immature_whatever_happened);
    tcase_add_test(tc, when_no_week_closed_no_pair_is_mature_and_precision_is_null);
    tcase_add_test(tc, a_pair_has_its_highest_level_and_the_union_of_its_triggers);
    tcase_add_test(tc, precision_per_level_and_per_trigger_counts_each_pair_once);
    tcase_add_test(tc, a_subscriber_who_never_churned_is_no_hit_and_no_churner);
    suite_add_tcase(s, tc);

    tc = tcase_create("recall");
    tcase_add_checked_fixture(tc, setup_weekly, teardown);
    tcase_add_test(tc, a_churner_alerted_in_its_churn_week_is_caught_with_lead_zero);
    tcase_add_test(
        tc, caught_counts_alerts_from_h_weeks_before_the_churn_and_lead_from_the_first);
    tcase_add_test(tc, an_unwatched_churner_is_not_in_recall_but_its_churn_makes_hits);
    tcase_add_test(tc,
                   the_first_churn_gives_the_week_and_any_watched_one_makes_a_churner);
    suite_add_tcase(s, tc);

    tc = tcase_create("monthly");
    tcase_add_checked_fixture(tc, setup_monthly, teardown);
    tcase_add_test(tc, a_record_is_judged_from_the_week_of_its_months_last_day);
    tcase_add_test(tc, the_monthly_tally_ignores_alerts_and_the_weekly_one_records);
    suite_add_tcase(s, tc);

    tc = tcase_create("tally");
    tcase_add_checked_fixture(tc, setup_weekly, teardown);
    tcase_add_test(tc, entries_of_a_replay_feed_the_weekly_tally);
    tcase_add_test(tc, pairs_come_ordered_by_week_then_number_and_can_be_found);
    tcase_add_test(tc, many_pairs_and_churns_grow_the_tables);
    tcase_add_test(tc, ratios_round_half_up_to_three_decimals);
    tcase_add_test(tc, out_of_memory_is_reported_never_a_wrong_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(precision_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
