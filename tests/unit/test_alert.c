/* Check suite for alert.c: the pinned alert id and the exact alert JSON of
 * SPEC section 7 for red, yellow and blue alerts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "agg.h"
#include "alert.h"
#include "alloc.h"
#include "date.h"
#include "rules.h"
#include "week.h"

#define WEEK_END_MS 1795363200000LL /* 2026-11-23T00:00+08:00, the end of 2026-W47 */

static cw_rules_t rules;
static cw_actions_t actions;
static cw_sub_t sub;
static cw_eval_t eval;
static int32_t week; /* 2026-W47 */

static void setup(void)
{
    cw_rules_defaults(&rules);
    ck_assert_int_eq(cw_actions_defaults(&actions), 0);
    cw_sub_init(&sub);
    week = cw_week_of_day(cw_date_from_civil(2026, 11, 16));
}

static void teardown(void)
{
    cw_actions_free(&actions);
}

static cw_alert_input_t input_for(const char *msisdn)
{
    cw_rules_evaluate(&rules, &sub, week, cw_week_last_day(week), true, &eval);
    cw_alert_input_t in = {
        .msisdn = msisdn,
        .sub = &sub,
        .eval = &eval,
        .event_time_ms = WEEK_END_MS,
        .emitted_at_ms = WEEK_END_MS + 1234,
        .rules_version = "0123456789abcdef",
        .actions = &actions,
    };
    return in;
}

/* ---- id ---- */

START_TEST(alert_id_is_pinned)
{
    /* never change silently: a re-sent alert must keep its id across releases */
    char id[CW_ALERT_ID_SIZE];
    cw_alert_id("13800138000", week, CW_LEVEL_RED, 51, id);
    ck_assert_str_eq(id, "6087a32fc1ba2a8843ca11affcd993d3");
    cw_alert_id("13900139000", week, CW_LEVEL_BLUE, 0, id);
    ck_assert_str_eq(id, "53196ec19861e6d17b10467ac839ac54");
}
END_TEST

START_TEST(alert_id_changes_with_each_input)
{
    char base[CW_ALERT_ID_SIZE], other[CW_ALERT_ID_SIZE];
    cw_alert_id("13800138000", week, CW_LEVEL_RED, 51, base);
    cw_alert_id("13800138001", week, CW_LEVEL_RED, 51, other);
    ck_assert_str_ne(base, other);
    cw_alert_id("13800138000", week + 1, CW_LEVEL_RED, 51, other);
    ck_assert_str_ne(base, other);
    cw_alert_id("13800138000", week, CW_LEVEL_YELLOW, 51, other);
    ck_assert_str_ne(base, other);
    cw_alert_id("13800138000", week, CW_LEVEL_RED, 50, other);
    ck_assert_str_ne(base, other);
    cw_alert_id("13800138000", week, CW_LEVEL_RED, 51, other);
    ck_assert_str_eq(base, other);
}
END_TEST

START_TEST(alert_id_is_32_lowercase_hex_digits)
{
    char id[CW_ALERT_ID_SIZE];
    cw_alert_id("13800138000", week, CW_LEVEL_RED, 51, id);
    ck_assert_uint_eq(strlen(id), 32);
    ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
}
END_TEST

/* ---- JSON ---- */

START_TEST(red_alert_with_several_triggers_is_exact)
{
    sub.tier = CW_TIER_HIGH;
    sub.contract_end = cw_date_from_civil(2026, 12, 10); /* 18 days after 2026-11-22 */
    cw_sub_get_week(&sub, week - 1)->spend_fen = 12000;
    cw_week_agg_t *cur = cw_sub_get_week(&sub, week);
    cur->spend_fen = 3800;
    cur->complaints = 2;
    cur->serious_complaints = 1;
    cur->fwd_rival_days = 0x15; /* Monday, Wednesday, Friday */
    cw_alert_input_t in = input_for("13800138000");
    ck_assert_int_eq(eval.level, CW_LEVEL_RED);

    size_t len = 0;
    char *json = cw_alert_json(&in, &len);
    ck_assert_ptr_nonnull(json);
    const char *expected =
        "{\"alert_id\":\"6087a32fc1ba2a8843ca11affcd993d3\",\"msisdn\":\"13800138000\","
        "\"level\":\"red\",\"week\":\"2026-W47\",\"triggers\":["
        "{\"name\":\"complaints\",\"evidence\":{\"complaints\":2,\"serious_complaints\":"
        "1,"
        "\"overdue_complaints\":0}},"
        "{\"name\":\"fwd_rival\",\"evidence\":{\"fwd_rival_days\":3,"
        "\"days\":[\"2026-11-16\",\"2026-11-18\",\"2026-11-20\"]}},"
        "{\"name\":\"contract_expiry\",\"evidence\":{\"contract_end\":\"2026-12-10\","
        "\"days_left\":18}},"
        "{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":3800,\"prev_spend_fen\":"
        "12000}}],"
        "\"risk_tier\":1,\"tier\":\"high\",\"subsidy_end\":null,\"contract_end\":\"2026-"
        "12-10\","
        "\"eval_date\":\"2026-11-22\",\"event_time\":1795363200000,\"emitted_at\":"
        "1795363201234,"
        "\"actions\":[\"home_visit\",\"service_recovery_callback\",\"retention_call\","
        "\"renewal_offer\",\"tailored_plan_offer\"],"
        "\"rules_version\":\"0123456789abcdef\"}";
    ck_assert_str_eq(json, expected);
    ck_assert_uint_eq(len, strlen(expected));
    cw_free(json);
}
END_TEST

START_TEST(yellow_alert_carries_the_other_evidence)
{
    sub.tier = CW_TIER_HIGH;
    sub.subsidy_end = cw_date_from_civil(2028, 6, 30); /* beyond the horizon: tier 2 */
    cw_sub_get_week(&sub, week - 1)->voice_s = 3600;
    cw_week_agg_t *cur = cw_sub_get_week(&sub, week);
    cur->voice_s = 1200;
    cur->rival_service_calls = 3;
    cur->plan_downgrade = true;
    cur->downgrade_from_fen = 12800;
    cur->downgrade_to_fen = 5800;
    cw_alert_input_t in = input_for("13700137000");
    ck_assert_int_eq(eval.level, CW_LEVEL_YELLOW);

    char *json = cw_alert_json(&in, NULL);
    ck_assert_ptr_nonnull(json);
    ck_assert_str_eq(
        json,
        "{\"alert_id\":\"12706f88fd34a12e1464edd0a2952a02\",\"msisdn\":\"13700137000\","
        "\"level\":\"yellow\",\"week\":\"2026-W47\",\"triggers\":["
        "{\"name\":\"rival_service\",\"evidence\":{\"rival_service_calls\":3}},"
        "{\"name\":\"plan_downgrade\",\"evidence\":{\"from_fee_fen\":12800,\"to_fee_"
        "fen\":5800}},"
        "{\"name\":\"usage_drop\",\"evidence\":{\"voice_s\":1200,\"prev_voice_s\":3600}}]"
        ","
        "\"risk_tier\":2,\"tier\":\"high\",\"subsidy_end\":\"2028-06-30\",\"contract_"
        "end\":null,"
        "\"eval_date\":\"2026-11-22\",\"event_time\":1795363200000,\"emitted_at\":"
        "1795363201234,"
        "\"actions\":[\"retention_call\",\"value_review\",\"tailored_plan_offer\"],"
        "\"rules_version\":\"0123456789abcdef\"}");
    cw_free(json);
}
END_TEST

START_TEST(blue_alert_without_triggers_is_exact)
{
    sub.tier = CW_TIER_MID;
    sub.subsidy_end = cw_date_from_civil(2027, 1, 31); /* within the horizon: tier 1 */
    cw_sub_get_week(&sub, week)->spend_fen = 5000;
    cw_alert_input_t in = input_for("13900139000");
    ck_assert_int_eq(eval.level, CW_LEVEL_BLUE);

    char *json = cw_alert_json(&in, NULL);
    ck_assert_ptr_nonnull(json);
    ck_assert_str_eq(
        json,
        "{\"alert_id\":\"53196ec19861e6d17b10467ac839ac54\",\"msisdn\":\"13900139000\","
        "\"level\":\"blue\",\"week\":\"2026-W47\",\"triggers\":[],\"risk_tier\":1,"
        "\"tier\":\"mid\",\"subsidy_end\":\"2027-01-31\",\"contract_end\":null,"
        "\"eval_date\":\"2026-11-22\",\"event_time\":1795363200000,\"emitted_at\":"
        "1795363201234,"
        "\"actions\":[],\"rules_version\":\"0123456789abcdef\"}");
    cw_free(json);
}
END_TEST

START_TEST(alert_json_is_null_when_out_of_memory)
{
    sub.tier = CW_TIER_HIGH;
    cw_sub_get_week(&sub, week)->complaints = 3;
    cw_alert_input_t in = input_for("13800138000");
    cw_alloc_fail_after(0);
    size_t len = 99;
    char *json = cw_alert_json(&in, &len);
    cw_alloc_fail_after(-1);
    ck_assert_ptr_null(json);
    ck_assert_uint_eq(len, 99);
}
END_TEST

static Suite *alert_suite(void)
{
    Suite *s = suite_create("alert");

    TCase *id = tcase_create("id");
    tcase_add_checked_fixture(id, setup, teardown);
    tcase_add_test(id, alert_id_is_pinned);
    tcase_add_test(id, alert_id_changes_with_each_input);
    tcase_add_test(id, alert_id_is_32_lowercase_hex_digits);
    suite_add_tcase(s, id);

    TCase *json = tcase_create("json");
    tcase_add_checked_fixture(json, setup, teardown);
    tcase_add_test(json, red_alert_with_several_triggers_is_exact);
    tcase_add_test(json, yellow_alert_carries_the_other_evidence);
    tcase_add_test(json, blue_alert_without_triggers_is_exact);
    tcase_add_test(json, alert_json_is_null_when_out_of_memory);
    suite_add_tcase(s, json);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alert_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
