/* Check suite for console/words.c: evidence in words a person reads, for
 * the weekly triggers and the monthly model's items. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "words.h"

static const char *say(const char *trigger, const char *evidence)
{
    static char out[512];
    json_t *e = json_loads(evidence, 0, NULL);
    cw_words_evidence(trigger, e, out, sizeof out);
    json_decref(e);
    return out;
}

START_TEST(spend_drop_reads_as_yuan_and_a_percentage)
{
    ck_assert_str_eq(say("spend_drop", "{\"spend_fen\":3800,\"prev_spend_fen\":12000}"),
                     "weekly spend fell from 120.00 to 38.00 yuan, down 68 %");
    ck_assert_str_eq(say("spend_drop", "{\"spend_fen\":0,\"prev_spend_fen\":2005}"),
                     "weekly spend fell from 20.05 to 0.00 yuan, down 100 %");
}
END_TEST

START_TEST(forwarded_days_are_listed_with_their_month)
{
    ck_assert_str_eq(
        say("fwd_rival", "{\"fwd_rival_days\":3,\"days\":[\"2026-11-16\","
                         "\"2026-11-17\",\"2026-11-18\"]}"),
        "incoming calls forwarded to a rival operator's number on 3 days: 16, 17, "
        "18 Nov");
    ck_assert_str_eq(
        say("fwd_rival", "{\"fwd_rival_days\":3,\"days\":[\"2026-11-30\","
                         "\"2026-12-01\",\"2026-12-02\"]}"),
        "incoming calls forwarded to a rival operator's number on 3 days: 30 Nov, "
        "1, 2 Dec");
}
END_TEST

START_TEST(complaints_name_the_serious_and_overdue_ones)
{
    ck_assert_str_eq(say("complaints", "{\"complaints\":1,\"serious_complaints\":1,"
                                       "\"overdue_complaints\":0}"),
                     "1 complaint this week, 1 serious");
    ck_assert_str_eq(say("complaints", "{\"complaints\":3,\"serious_complaints\":0,"
                                       "\"overdue_complaints\":2}"),
                     "3 complaints this week, 2 not answered in time");
}
END_TEST

START_TEST(the_other_triggers_read_as_sentences)
{
    ck_assert_str_eq(say("rival_service", "{\"rival_service_calls\":2}"),
                     "called a rival operator's customer service twice this week");
    ck_assert_str_eq(say("rival_service", "{\"rival_service_calls\":5}"),
                     "called a rival operator's customer service 5 times this week");
    ck_assert_str_eq(
        say("plan_downgrade", "{\"from_fee_fen\":12800,\"to_fee_fen\":5800}"),
        "monthly plan downgraded from 128.00 to 58.00 yuan");
    ck_assert_str_eq(
        say("contract_expiry", "{\"contract_end\":\"2026-12-10\",\"days_left\":18}"),
        "contract ends on 10 Dec 2026, in 18 days");
    ck_assert_str_eq(
        say("contract_expiry", "{\"contract_end\":\"2026-12-10\",\"days_left\":0}"),
        "contract ends on 10 Dec 2026, today");
    ck_assert_str_eq(say("usage_drop", "{\"voice_s\":2700,\"prev_voice_s\":12000}"),
                     "weekly call time fell from 3 h 20 min to 45 min, down 77 %");
}
END_TEST

START_TEST(an_unknown_trigger_or_missing_figures_still_read)
{
    ck_assert_str_eq(say("roaming_spike", "{\"calls\":4,\"country\":\"JP\"}"),
                     "roaming_spike: calls 4, country JP");
    ck_assert_str_eq(say("spend_drop", "{}"), "weekly spend fell from 0.00 to 0.00 yuan");
    ck_assert_str_eq(say("fwd_rival", "{\"days\":\"oops\"}"),
                     "incoming calls forwarded to a rival operator's number on 0 days");
    ck_assert_str_eq(cw_words_title("spend_drop"), "Spend fell");
    ck_assert_str_eq(cw_words_title("roaming_spike"), "roaming_spike");
}
END_TEST

START_TEST(every_monthly_item_reads_as_a_sentence)
{
    /* the SPEC section 14 items with the evidence a score record carries */
    static const struct {
        const char *item, *evidence, *words, *title;
    } cases[] = {
        {"spend_fall", "{\"spend_3m_fen\":9000,\"spend_6m_fen\":42000}",
         "monthly spend averaged 30.00 over the last 3 months against 70.00 yuan over 6",
         "Spend falling for months"},
        {"fwd_3m", "{\"fwd_3m_calls\":12}", "12 incoming calls forwarded in 3 months",
         "Calls forwarded, 3 months"},
        {"fwd_1m", "{\"fwd_1m_calls\":1}", "1 incoming call forwarded this month",
         "Calls forwarded this month"},
        {"arrears_stops", "{\"arrears_stops_6m\":3}",
         "service stopped for unpaid bills 3 times in 6 months", "Stopped for arrears"},
        {"arrears_stops", "{\"arrears_stops_6m\":2}",
         "service stopped for unpaid bills twice in 6 months", "Stopped for arrears"},
        {"owed", "{\"owed_fen\":23800}", "owes 238.00 yuan at the month's end",
         "Money owed"},
        {"months_owed", "{\"months_owed\":2}", "bills unpaid for 2 months",
         "Months in arrears"},
        {"fault", "{\"fault_level_3m\":2}",
         "a fault ticket of severity 2 (of 3) in the last 3 months",
         "Network or service faults"},
        {"complaints_3m", "{\"complaints_3m\":3}", "3 complaints in 3 months",
         "Complaints, 3 months"},
        {"own_service", "{\"own_service_calls_6m\":7}",
         "called our customer service 7 times in 6 months", "Calls to our service line"},
        {"rival_service_6m", "{\"rival_service_calls_6m\":1}",
         "called a rival operator's customer service once in 6 months",
         "Called a rival's service line, 6 months"},
        {"vip_service", "{\"vip_services_6m\":4}",
         "4 contacts with the key-account team in 6 months", "Key-account team contacts"},
        {"few_new_services", "{\"new_services_6m\":0}",
         "no new value-added service in 6 months", "No new services"},
        {"vas_fall", "{\"vas_2m_fen\":700,\"prev_vas_2m_fen\":2000}",
         "value-added services fell from 20.00 to 7.00 yuan over two months, down 65 %",
         "Value-added services fell"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_str_eq(say(cases[i].item, cases[i].evidence), cases[i].words);
        ck_assert_str_eq(cw_words_title(cases[i].item), cases[i].title);
    }
    /* the item names are not the triggers': complaints_3m is no week */
    ck_assert_str_ne(cw_words_title("complaints_3m"), cw_words_title("complaints"));
    ck_assert_str_eq(say("few_new_services", "{\"new_services_6m\":2}"),
                     "only 2 new value-added services in 6 months");
    ck_assert_str_eq(say("owed", "{}"), "owes 0.00 yuan at the month's end");
}
END_TEST

START_TEST(long_evidence_is_cut_not_overrun)
{
    char out[24];
    json_t *e = json_loads("{\"spend_fen\":3800,\"prev_spend_fen\":12000}", 0, NULL);
    cw_words_evidence("spend_drop", e, out, sizeof out);
    json_decref(e);
    ck_assert_uint_eq(strlen(out), sizeof out - 1);
}
END_TEST

START_TEST(money_and_durations)
{
    char out[32];
    ck_assert_str_eq(cw_words_money(5, out, sizeof out), "0.05 yuan");
    ck_assert_str_eq(cw_words_money(-150, out, sizeof out), "-1.50 yuan");
    ck_assert_str_eq(cw_words_duration(3600, out, sizeof out), "1 h");
    ck_assert_str_eq(cw_words_duration(50, out, sizeof out), "50 s");
    ck_assert_str_eq(cw_words_date("2027-01-05", out, sizeof out), "5 Jan 2027");
    ck_assert_str_eq(cw_words_date("not a date", out, sizeof out), "not a date");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_words");
    TCase *triggers = tcase_create("triggers");
    tcase_add_test(triggers, spend_drop_reads_as_yuan_and_a_percentage);
    tcase_add_test(triggers, forwarded_days_are_listed_with_their_month);
    tcase_add_test(triggers, complaints_name_the_serious_and_overdue_ones);
    tcase_add_test(triggers, the_other_triggers_read_as_sentences);
    tcase_add_test(triggers, an_unknown_trigger_or_missing_figures_still_read);
    tcase_add_test(triggers, long_evidence_is_cut_not_overrun);
    tcase_add_test(triggers, every_monthly_item_reads_as_a_sentence);
    suite_add_tcase(s, triggers);
    TCase *units = tcase_create("units");
    tcase_add_test(units, money_and_durations);
    suite_add_tcase(s, units);
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
