/* Check suite for console/intake.c and caserec.c: alerts, outcomes and
 * score records as they come off Kafka, and a case's JSON (weekly or
 * monthly) with its number masked or not. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caserec.h"
#include "intake.h"

static const char *alert_json =
    "{\"alert_id\":\"873bee5134f93969846d42e98539b076\",\"msisdn\":\"13800138000\","
    "\"level\":\"red\",\"week\":\"2026-W48\",\"triggers\":[{\"name\":\"complaints\","
    "\"evidence\":{\"complaints\":2,\"serious_complaints\":0,\"overdue_complaints\":0}}],"
    "\"risk_tier\":1,\"tier\":\"high\",\"subsidy_end\":null,\"contract_end\":\"2027-06-"
    "30\","
    "\"eval_date\":\"2026-11-25\",\"event_time\":1795541805004,\"emitted_at\":"
    "1795541803086,"
    "\"actions\":[\"home_visit\",\"service_recovery_callback\"],\"rules_version\":"
    "\"671c\"}";

START_TEST(the_readme_alert_parses)
{
    cw_intake_alert_t a;
    char why[160];
    ck_assert_int_eq(
        cw_intake_alert_parse(alert_json, strlen(alert_json), &a, why, sizeof why), 0);
    ck_assert_str_eq(a.msisdn, "13800138000");
    ck_assert_int_eq(a.level, 3);
    ck_assert_str_eq(a.week, "2026-W48");
    ck_assert_str_eq(a.subsidy_end, "");
    ck_assert_str_eq(a.contract_end, "2027-06-30");
    ck_assert_int_eq(a.emitted_at, 1795541803086LL);
    ck_assert_str_eq(a.actions, "[\"home_visit\",\"service_recovery_callback\"]");
    ck_assert_ptr_nonnull(strstr(a.triggers, "\"name\":\"complaints\""));
    cw_intake_alert_free(&a);
}
END_TEST

static void refuse(const char *from, const char *to, const char *field)
{
    char text[2048];
    const char *at = strstr(alert_json, from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - alert_json), alert_json, to,
             at + strlen(from));
    cw_intake_alert_t a;
    char why[160];
    ck_assert_int_eq(cw_intake_alert_parse(text, strlen(text), &a, why, sizeof why), -1);
    ck_assert_msg(strncmp(why, field, strlen(field)) == 0, "%s: %s", field, why);
    ck_assert_ptr_null(strstr(why, "138001"));
}

START_TEST(bad_fields_are_refused_by_name_never_by_value)
{
    refuse("\"13800138000\"", "\"1380013800x\"", "msisdn");
    refuse("\"red\"", "\"purple\"", "level");
    refuse("\"2026-W48\"", "\"2026-W54\"", "week");
    refuse("\"high\"", "\"gold\"", "tier");
    refuse("\"risk_tier\":1", "\"risk_tier\":3", "risk_tier");
    refuse("\"2027-06-30\"", "\"2027-02-30\"", "contract_end");
    refuse("\"emitted_at\":1795541803086", "\"emitted_at\":\"now\"", "emitted_at");
    refuse("\"name\":\"complaints\"", "\"name\":\"Complaints!\"", "triggers");
    refuse("\"triggers\":[", "\"triggers\":{}, \"x\":[", "triggers");
    refuse("\"home_visit\"", "\"home visit\"", "actions");
    refuse("\"873bee5134f93969846d42e98539b076\"", "\"a b\"", "alert_id");
    refuse("{\"alert_id\"", "[{\"alert_id\"", "not valid JSON");
}
END_TEST

START_TEST(an_outcome_parses_and_null_operator_is_empty)
{
    const char *json =
        "{\"outcome_id\":\"o1\",\"msisdn\":\"13800138000\",\"kind\":\"cancel\","
        "\"to_operator\":null,\"churn_date\":\"2026-11-20\",\"week\":\"2026-W47\","
        "\"tier\":\"high\",\"watched\":true,\"alerted\":[],\"caught\":false,"
        "\"lead_weeks\":null,\"event_id\":\"e\",\"emitted_at\":5}";
    cw_intake_outcome_t o;
    char why[160];
    ck_assert_int_eq(cw_intake_outcome_parse(json, strlen(json), &o, why, sizeof why), 0);
    ck_assert_str_eq(o.kind, "cancel");
    ck_assert_str_eq(o.to_operator, "");
    ck_assert_str_eq(o.week, "2026-W47");
    const char *bad =
        "{\"outcome_id\":\"o1\",\"msisdn\":\"13800138000\",\"kind\":\"moved\","
        "\"week\":\"2026-W47\"}";
    ck_assert_int_eq(cw_intake_outcome_parse(bad, strlen(bad), &o, why, sizeof why), -1);
    ck_assert_str_eq(why, "kind: expected port_out or cancel");
}
END_TEST

static const char *score_json = "{\"score_id\":\"5d1f\",\"msisdn\":\"13800138000\","
                                "\"month\":\"2026-11\",\"score\":12,"
                                "\"threshold\":10,\"potential_churner\":true,\"value_"
                                "churn\":false,\"items\":[{\"name\":"
                                "\"spend_fall\",\"points\":3,\"evidence\":{\"spend_3m_"
                                "fen\":9000,\"spend_6m_fen\":42000}}],"
                                "\"tier\":\"high\",\"risk_tier\":1,\"eval_date\":\"2026-"
                                "11-30\",\"emitted_at\":1795900000000,"
                                "\"rules_version\":\"671c\"}";

START_TEST(the_spec_score_record_parses_with_its_month_s_last_week)
{
    cw_intake_score_t s;
    char why[160];
    ck_assert_int_eq(
        cw_intake_score_parse(score_json, strlen(score_json), &s, why, sizeof why), 0);
    ck_assert_str_eq(s.score_id, "5d1f");
    ck_assert_str_eq(s.month, "2026-11");
    /* 30 Nov 2026 is a Monday: the first day of ISO week 49 */
    ck_assert_str_eq(s.end_week, "2026-W49");
    ck_assert_int_eq(s.score, 12);
    ck_assert_int_eq(s.threshold, 10);
    ck_assert(s.potential_churner);
    ck_assert(!s.value_churn);
    ck_assert_int_eq(s.risk_tier, 1);
    ck_assert_str_eq(s.eval_date, "2026-11-30");
    ck_assert_ptr_nonnull(strstr(s.items, "\"name\":\"spend_fall\",\"points\":3"));
    ck_assert_int_eq(cw_intake_score_level(&s), 3);
    s.risk_tier = 2;
    ck_assert_int_eq(cw_intake_score_level(&s), 2);
    s.potential_churner = false;
    s.value_churn = true;
    ck_assert_int_eq(cw_intake_score_level(&s), 1);
    cw_intake_score_free(&s);
}
END_TEST

static void refuse_score(const char *from, const char *to, const char *field)
{
    char text[2048];
    const char *at = strstr(score_json, from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - score_json), score_json, to,
             at + strlen(from));
    cw_intake_score_t s;
    char why[160];
    ck_assert_int_eq(cw_intake_score_parse(text, strlen(text), &s, why, sizeof why), -1);
    ck_assert_msg(strncmp(why, field, strlen(field)) == 0, "%s: %s", field, why);
    ck_assert_ptr_null(strstr(why, "138001"));
    ck_assert_ptr_null(s.items);
}

START_TEST(bad_score_records_are_refused_by_name)
{
    refuse_score("\"5d1f\"", "\"5 d\"", "score_id");
    refuse_score("\"13800138000\"", "\"138\"\"", "not valid JSON");
    refuse_score("\"2026-11\"", "\"2026-W47\"", "month");
    refuse_score("\"2026-11\"", "\"2026-13\"", "month");
    refuse_score("\"score\":12", "\"score\":-1", "score");
    refuse_score("\"threshold\":10", "\"threshold\":\"10\"", "threshold");
    refuse_score("\"potential_churner\":true", "\"potential_churner\":1",
                 "potential_churner");
    refuse_score("\"potential_churner\":true", "\"potential_churner\":false",
                 "potential_churner, value_churn");
    refuse_score("\"points\":3", "\"points\":-3", "items");
    refuse_score("\"name\":\"spend_fall\"", "\"name\":\"Spend fall\"", "items");
    refuse_score("\"risk_tier\":1", "\"risk_tier\":0", "risk_tier");
    refuse_score("\"2026-11-30\"", "\"30/11/2026\"", "eval_date");
}
END_TEST

static cw_case_t stored_case(void)
{
    static const char *fields[] = {"id", "m",  "w",  "l",  "t", "rt", "st", "ow",
                                   "tr", "ac", "al", "ts", "v", "h",  "cn"};
    static const char *values[] = {"AAAAAAAAAAAAAAAAAAAAAA",
                                   "13800138000",
                                   "2026-W47",
                                   "3",
                                   "high",
                                   "1",
                                   "claimed",
                                   "alice",
                                   "[{\"name\":\"spend_drop\",\"evidence\":{\"spend_"
                                   "fen\":3800,\"prev_spend_fen\":12000}}]",
                                   "[\"home_visit\"]",
                                   "a1 a2",
                                   "1795541803086",
                                   "4",
                                   "1",
                                   "{\"kind\":\"port_out\",\"to_operator\":\"unicom\","
                                   "\"churn_date\":null,\"week\":\"2026-W48\"}"};
    size_t n = sizeof fields / sizeof fields[0];
    size_t flen[16], vlen[16];
    for (size_t i = 0; i < n; i++) {
        flen[i] = strlen(fields[i]);
        vlen[i] = strlen(values[i]);
    }
    cw_case_t c;
    ck_assert_int_eq(cw_case_from_fields(&c, n, fields, flen, values, vlen), 0);
    return c;
}

START_TEST(a_case_json_masks_the_number_unless_told)
{
    cw_case_t c = stored_case();
    json_t *masked = cw_case_json(&c, false, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(masked, "msisdn")), "138****8000");
    ck_assert(json_is_false(json_object_get(masked, "msisdn_full")));
    ck_assert_str_eq(json_string_value(json_object_get(masked, "level")), "red");
    ck_assert_str_eq(json_string_value(json_object_get(masked, "owner")), "alice");
    ck_assert(json_is_null(json_object_get(masked, "outcome")));
    ck_assert_int_eq(json_array_size(json_object_get(masked, "alert_ids")), 2);
    ck_assert(json_is_true(json_object_get(masked, "churned_within_horizon")));
    json_t *t = json_array_get(json_object_get(masked, "triggers"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t, "words")),
                     "weekly spend fell from 120.00 to 38.00 yuan, down 68 %");
    ck_assert_ptr_null(json_object_get(masked, "history"));
    char *text = json_dumps(masked, 0);
    ck_assert_ptr_null(strstr(text, "13800138000"));
    free(text);
    json_decref(masked);
    json_t *history = json_array();
    json_t *full = cw_case_json(&c, true, history);
    ck_assert_str_eq(json_string_value(json_object_get(full, "msisdn")), "13800138000");
    ck_assert_ptr_nonnull(json_object_get(full, "history"));
    json_decref(full);
    json_decref(history);
}
END_TEST

START_TEST(a_monthly_case_json_has_its_month_score_and_items)
{
    static const char *fields[] = {"id", "k",  "m",  "w",  "l",  "t",  "rt", "st",
                                   "tr", "ac", "al", "sc", "th", "pc", "vc", "ew"};
    static const char *values[] = {
        "BBBBBBBBBBBBBBBBBBBBBB",
        "m",
        "13800138000",
        "2026-11",
        "3",
        "high",
        "1",
        "new",
        "[{\"name\":\"complaints_3m\",\"points\":3,\"evidence\":{\"complaints_3m\":4}}]",
        "[]",
        "s1",
        "12",
        "10",
        "1",
        "0",
        "2026-W49"};
    size_t n = sizeof fields / sizeof fields[0];
    size_t flen[16], vlen[16];
    for (size_t i = 0; i < n; i++) {
        flen[i] = strlen(fields[i]);
        vlen[i] = strlen(values[i]);
    }
    cw_case_t c;
    ck_assert_int_eq(cw_case_from_fields(&c, n, fields, flen, values, vlen), 0);
    json_t *o = cw_case_json(&c, false, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), "monthly");
    ck_assert_str_eq(json_string_value(json_object_get(o, "month")), "2026-11");
    ck_assert(json_is_null(json_object_get(o, "week")));
    ck_assert_int_eq(json_integer_value(json_object_get(o, "score")), 12);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "threshold")), 10);
    ck_assert(json_is_true(json_object_get(o, "potential_churner")));
    ck_assert(json_is_false(json_object_get(o, "value_churn")));
    ck_assert_int_eq(json_array_size(json_object_get(o, "triggers")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(o, "alert_ids")), 0);
    json_t *ids = json_object_get(o, "score_ids");
    ck_assert_int_eq(json_array_size(ids), 1);
    ck_assert_str_eq(json_string_value(json_array_get(ids, 0)), "s1");
    json_t *item = json_array_get(json_object_get(o, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(item, "title")),
                     "Complaints, 3 months");
    ck_assert_str_eq(json_string_value(json_object_get(item, "words")),
                     "4 complaints in 3 months");
    ck_assert_int_eq(json_integer_value(json_object_get(item, "points")), 3);
    json_decref(o);
    /* a weekly case says so and has no month */
    cw_case_t weekly = stored_case();
    o = cw_case_json(&weekly, false, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), "weekly");
    ck_assert(json_is_null(json_object_get(o, "month")));
    ck_assert_ptr_null(json_object_get(o, "items"));
    ck_assert_ptr_null(json_object_get(o, "score_ids"));
    json_decref(o);
}
END_TEST

START_TEST(fields_without_id_week_or_level_are_no_case)
{
    const char *fields[] = {"id", "w"};
    const char *values[] = {"AAAAAAAAAAAAAAAAAAAAAA", "2026-W47"};
    size_t flen[] = {2, 1}, vlen[] = {22, 8};
    cw_case_t c;
    ck_assert_int_eq(cw_case_from_fields(&c, 2, fields, flen, values, vlen), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_intake");
    TCase *intake = tcase_create("intake");
    tcase_add_test(intake, the_readme_alert_parses);
    tcase_add_test(intake, bad_fields_are_refused_by_name_never_by_value);
    tcase_add_test(intake, an_outcome_parses_and_null_operator_is_empty);
    tcase_add_test(intake, the_spec_score_record_parses_with_its_month_s_last_week);
    tcase_add_test(intake, bad_score_records_are_refused_by_name);
    suite_add_tcase(s, intake);
    TCase *cases = tcase_create("cases");
    tcase_add_test(cases, a_case_json_masks_the_number_unless_told);
    tcase_add_test(cases, a_monthly_case_json_has_its_month_score_and_items);
    tcase_add_test(cases, fields_without_id_week_or_level_are_no_case);
    suite_add_tcase(s, cases);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
