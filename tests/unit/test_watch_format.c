/* Check suite for tools/watch_format.c: cdrwarn-watch's one line per alert,
 * churn outcome and score record (the SPEC's examples), masked numbers, and
 * records it does not know. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "watch_format.h"

static const char ALERT[] =
    "{\"alert_id\":\"a1\",\"msisdn\":\"13800138000\",\"level\":\"red\",\"week\":\"2026-"
    "W47\","
    "\"triggers\":[{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":3800,"
    "\"prev_spend_fen\":12000}}],\"risk_tier\":1,\"tier\":\"high\",\"subsidy_end\":null,"
    "\"contract_end\":\"2026-12-10\",\"eval_date\":\"2026-11-22\",\"event_time\":1,"
    "\"emitted_at\":2,\"actions\":[\"home_visit\",\"tailored_plan_offer\"],"
    "\"rules_version\":\"x\"}";

static const char OUTCOME[] =
    "{\"outcome_id\":\"o1\",\"msisdn\":\"13800138000\",\"kind\":\"port_out\","
    "\"to_operator\":\"unicom\",\"churn_date\":\"2026-11-20\",\"week\":\"2026-W47\","
    "\"tier\":\"high\",\"watched\":true,\"alerted\":[{\"week\":\"2026-W44\",\"level\":"
    "\"blue\",\"triggers\":[]},{\"week\":\"2026-W45\",\"level\":\"yellow\",\"triggers\":["
    "\"complaints\",\"fwd_rival\"]},{\"week\":\"2026-W46\","
    "\"level\":\"red\",\"triggers\":[\"spend_drop\"]}],\"caught\":true,\"lead_weeks\":3,"
    "\"event_id\":\"e\",\"emitted_at\":3}";

static const char UNCAUGHT[] =
    "{\"outcome_id\":\"o2\",\"msisdn\":\"13800138000\",\"kind\":\"cancel\","
    "\"to_operator\":null,\"churn_date\":\"2026-11-20\",\"week\":\"2026-W47\","
    "\"tier\":\"low\",\"watched\":false,\"alerted\":[],\"caught\":false,"
    "\"lead_weeks\":null,\"event_id\":\"e\",\"emitted_at\":3}";

static const char SCORE[] =
    "{\"score_id\":\"s1\",\"msisdn\":\"13800138000\",\"month\":\"2026-11\",\"score\":12,"
    "\"threshold\":10,\"potential_churner\":true,\"value_churn\":false,\"items\":["
    "{\"name\":\"spend_fall\",\"points\":3,\"evidence\":{\"spend_3m_fen\":9000,"
    "\"spend_6m_fen\":42000}},{\"name\":\"complaints_3m\",\"points\":3,\"evidence\":"
    "{\"complaints_3m\":4}}],\"tier\":\"high\",\"risk_tier\":1,\"eval_date\":\"2026-11-"
    "30\","
    "\"emitted_at\":4,\"rules_version\":\"x\"}";

static const char VALUE_CHURN[] =
    "{\"score_id\":\"s2\",\"msisdn\":\"13800138000\",\"month\":\"2026-11\",\"score\":1,"
    "\"threshold\":10,\"potential_churner\":false,\"value_churn\":true,\"items\":[],"
    "\"tier\":\"mid\",\"risk_tier\":2,\"eval_date\":\"2026-11-30\",\"emitted_at\":4,"
    "\"rules_version\":\"x\"}";

static cw_watch_kind_t fmt(const char *value, bool unmask, bool colour, char *out,
                           size_t size)
{
    return cw_watch_format(value, strlen(value), unmask, colour, out, size);
}

START_TEST(an_alert_reads_level_week_number_triggers_and_actions)
{
    char line[1024];
    ck_assert_int_eq(fmt(ALERT, false, false, line, sizeof line), CW_WATCH_ALERT);
    ck_assert_str_eq(line, "red    2026-W47 138****8000 tier=high risk=1 "
                           "spend_drop{\"spend_fen\":3800,\"prev_spend_fen\":12000} -> "
                           "home_visit,tailored_plan_offer");
}
END_TEST

START_TEST(an_outcome_reads_its_churn_and_the_weeks_that_caught_it)
{
    char line[1024];
    ck_assert_int_eq(fmt(OUTCOME, false, false, line, sizeof line), CW_WATCH_OUTCOME);
    ck_assert_str_eq(line,
                     "churn  2026-W47 138****8000 port_out to unicom on 2026-11-20 "
                     "tier=high watched, caught red 3 week(s) ahead: 2026-W44 blue; "
                     "2026-W45 yellow complaints,fwd_rival; 2026-W46 red spend_drop");
    ck_assert_int_eq(fmt(UNCAUGHT, false, false, line, sizeof line), CW_WATCH_OUTCOME);
    ck_assert_str_eq(line, "churn  2026-W47 138****8000 cancel on 2026-11-20 tier=low "
                           "not watched, not caught");
}
END_TEST

START_TEST(a_score_record_reads_its_score_kind_and_items)
{
    char line[1024];
    ck_assert_int_eq(fmt(SCORE, false, false, line, sizeof line), CW_WATCH_SCORE);
    ck_assert_str_eq(line,
                     "score  2026-11 138****8000 12/10 potential churner tier=high "
                     "risk=1 spend_fall(3){\"spend_3m_fen\":9000,\"spend_6m_fen\":42000} "
                     "complaints_3m(3){\"complaints_3m\":4}");
    ck_assert_int_eq(fmt(VALUE_CHURN, false, false, line, sizeof line), CW_WATCH_SCORE);
    ck_assert_str_eq(line, "score  2026-11 138****8000 1/10 value churn tier=mid risk=2 "
                           "(no item)");
}
END_TEST

START_TEST(numbers_are_shown_whole_only_when_unmasked)
{
    char line[1024];
    fmt(OUTCOME, true, false, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, " 13800138000 "));
    fmt(SCORE, false, false, line, sizeof line);
    ck_assert_ptr_null(strstr(line, "13800138000"));
}
END_TEST

START_TEST(colour_marks_levels_and_kinds)
{
    char line[1024];
    fmt(ALERT, false, true, line, sizeof line);
    ck_assert_int_eq(strncmp(line, "\033[1;31mred", 10), 0);
    fmt(OUTCOME, false, true, line, sizeof line);
    ck_assert_int_eq(strncmp(line, "\033[1;35mchurn", 12), 0);
    ck_assert_ptr_nonnull(strstr(line, "caught \033[1;31mred\033[0m"));
    fmt(SCORE, false, true, line, sizeof line);
    ck_assert_int_eq(strncmp(line, "\033[1;36mscore", 12), 0);
}
END_TEST

START_TEST(other_records_are_named_not_shown)
{
    char line[256];
    ck_assert_int_eq(fmt("{\"msisdn\":\"13800138000\"}", false, false, line, sizeof line),
                     CW_WATCH_OTHER);
    ck_assert_ptr_null(strstr(line, "13800138000"));
    ck_assert_int_eq(fmt("[1,2]", false, false, line, sizeof line), CW_WATCH_INVALID);
    ck_assert_int_eq(fmt("{\"alert_id\":", false, false, line, sizeof line),
                     CW_WATCH_INVALID);
    ck_assert_int_eq(strncmp(line, "(not a JSON object: ", 20), 0);
}
END_TEST

START_TEST(a_long_line_is_cut_within_its_buffer)
{
    char line[40];
    memset(line, 'x', sizeof line);
    fmt(OUTCOME, false, false, line, sizeof line);
    ck_assert_uint_eq(strlen(line), sizeof line - 1);
    ck_assert_int_eq(strncmp(line, "churn  2026-W47 138****8000 port_out to", 39), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("watch_format");
    TCase *kinds = tcase_create("kinds");
    tcase_add_test(kinds, an_alert_reads_level_week_number_triggers_and_actions);
    tcase_add_test(kinds, an_outcome_reads_its_churn_and_the_weeks_that_caught_it);
    tcase_add_test(kinds, a_score_record_reads_its_score_kind_and_items);
    tcase_add_test(kinds, other_records_are_named_not_shown);
    suite_add_tcase(s, kinds);
    TCase *display = tcase_create("display");
    tcase_add_test(display, numbers_are_shown_whole_only_when_unmasked);
    tcase_add_test(display, colour_marks_levels_and_kinds);
    tcase_add_test(display, a_long_line_is_cut_within_its_buffer);
    suite_add_tcase(s, display);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
