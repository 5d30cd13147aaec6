/* Check suite for actions.c: the [actions] map, its defaults, its keys and
 * values, and the ordered, de-duplicated list an alert carries. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "alloc.h"

static cw_actions_t actions;

static void setup(void)
{
    ck_assert_int_eq(cw_actions_defaults(&actions), 0);
}

static void teardown(void)
{
    cw_actions_free(&actions);
}

static void join(const char *name, void *arg)
{
    char *out = arg;
    if (out[0] != '\0')
        strcat(out, ",");
    strcat(out, name);
}

/* The alert's actions joined with ',' into a static buffer. */
static const char *for_alert(cw_level_t level, cw_tier_t tier, uint8_t triggers)
{
    static char out[512];
    out[0] = '\0';
    cw_actions_for_alert(&actions, level, tier, triggers, join, out);
    return out;
}

static int set(const char *key, const char *value, char *errbuf)
{
    return cw_actions_set(&actions, key, value, errbuf, 256);
}

#define BIT(t) CW_TRIG_BIT(CW_TRIG_##t)

/* ---- defaults ---- */

START_TEST(defaults_map_each_trigger_to_the_specs_action)
{
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(COMPLAINTS)),
                     "service_recovery_callback");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(SPEND_DROP)),
                     "tailored_plan_offer");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(USAGE_DROP)),
                     "tailored_plan_offer");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(FWD_RIVAL)),
                     "retention_call");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(RIVAL_SERVICE)),
                     "retention_call");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(PLAN_DOWNGRADE)),
                     "value_review");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_MID, BIT(CONTRACT_EXPIRY)),
                     "renewal_offer");
}
END_TEST

START_TEST(defaults_add_home_visit_to_red_high_only)
{
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH, BIT(PLAN_DOWNGRADE)),
                     "home_visit,value_review");
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_MID, BIT(PLAN_DOWNGRADE)),
                     "value_review");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_HIGH, BIT(PLAN_DOWNGRADE)),
                     "value_review");
}
END_TEST

START_TEST(defaults_give_blue_no_action)
{
    ck_assert_str_eq(for_alert(CW_LEVEL_BLUE, CW_TIER_HIGH, 0), "");
}
END_TEST

/* ---- order and duplicates ---- */

START_TEST(order_is_level_tier_then_level_then_triggers_in_trigger_order)
{
    char errbuf[256];
    ck_assert_int_eq(set("red", "escalate", errbuf), 0);
    ck_assert_int_eq(set("red_high", "home_visit,gift", errbuf), 0);
    /* triggers given out of table order still come out in it */
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH,
                               BIT(USAGE_DROP) | BIT(COMPLAINTS) | BIT(CONTRACT_EXPIRY)),
                     "home_visit,gift,escalate,service_recovery_callback,renewal_offer,"
                     "tailored_plan_offer");
}
END_TEST

START_TEST(each_action_once_first_occurrence_wins)
{
    char errbuf[256];
    ck_assert_int_eq(set("red_high", "retention_call,home_visit", errbuf), 0);
    ck_assert_int_eq(set("red", "home_visit,value_review", errbuf), 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH,
                               BIT(FWD_RIVAL) | BIT(RIVAL_SERVICE) | BIT(PLAN_DOWNGRADE) |
                                   BIT(SPEND_DROP) | BIT(USAGE_DROP)),
                     "retention_call,home_visit,value_review,tailored_plan_offer");
}
END_TEST

START_TEST(a_name_repeated_within_one_list_comes_once)
{
    char errbuf[256];
    ck_assert_int_eq(set("complaints", "a,b,a", errbuf), 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_LOW, BIT(COMPLAINTS)), "a,b");
}
END_TEST

START_TEST(unknown_tier_has_its_own_key)
{
    char errbuf[256];
    ck_assert_int_eq(set("yellow_unknown", "first_contact", errbuf), 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_UNKNOWN, BIT(PLAN_DOWNGRADE)),
                     "first_contact,value_review");
    ck_assert_str_eq(for_alert(CW_LEVEL_YELLOW, CW_TIER_LOW, BIT(PLAN_DOWNGRADE)),
                     "value_review");
}
END_TEST

START_TEST(blue_level_key_gives_blue_alerts_actions)
{
    char errbuf[256];
    ck_assert_int_eq(set("blue", "watch", errbuf), 0);
    ck_assert_int_eq(set("blue_mid", "sms_survey", errbuf), 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_BLUE, CW_TIER_MID, 0), "sms_survey,watch");
}
END_TEST

/* ---- values ---- */

START_TEST(value_whitespace_is_trimmed)
{
    char errbuf[256];
    ck_assert_int_eq(set("complaints", "  call_back ,\tsend.voucher-10 ", errbuf), 0);
    ck_assert_uint_eq(actions.by_trigger[CW_TRIG_COMPLAINTS].count, 2);
    ck_assert_str_eq(actions.by_trigger[CW_TRIG_COMPLAINTS].names[0], "call_back");
    ck_assert_str_eq(actions.by_trigger[CW_TRIG_COMPLAINTS].names[1], "send.voucher-10");
}
END_TEST

START_TEST(empty_value_clears_the_list)
{
    char errbuf[256];
    ck_assert_int_eq(set("red_high", "", errbuf), 0);
    ck_assert_uint_eq(actions.by_level_tier[CW_LEVEL_RED][CW_TIER_HIGH].count, 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH, BIT(PLAN_DOWNGRADE)),
                     "value_review");
    ck_assert_int_eq(set("plan_downgrade", "   ", errbuf), 0);
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH, BIT(PLAN_DOWNGRADE)), "");
}
END_TEST

START_TEST(action_name_with_a_space_is_rejected)
{
    char errbuf[256];
    ck_assert_int_eq(set("red_high", "home visit", errbuf), -1);
    ck_assert_str_eq(errbuf,
                     "expected action names of letters, digits, '_', '.' and '-', "
                     "found 'home visit'");
    /* the old list stays */
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH, 0), "home_visit");
}
END_TEST

START_TEST(empty_name_in_a_list_is_rejected)
{
    char errbuf[256];
    ck_assert_int_eq(set("complaints", "a,,b", errbuf), -1);
    ck_assert_str_eq(
        errbuf, "expected comma-separated action names, found an empty name in 'a,,b'");
    ck_assert_int_eq(set("complaints", "a,", errbuf), -1);
    ck_assert_str_eq(
        errbuf, "expected comma-separated action names, found an empty name in 'a,'");
}
END_TEST

START_TEST(unknown_keys_are_rejected)
{
    static const char *const keys[] = {"purple",    "red_purple", "spend",   "none",
                                       "none_high", "red_",       "_high",   "Red",
                                       "red_high_", "high",       "redhigh", ""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char errbuf[256];
        ck_assert_msg(set(keys[i], "x", errbuf) == -1, "key '%s' accepted", keys[i]);
        ck_assert_str_eq(
            errbuf,
            "unknown key; expected a trigger (complaints, fwd_rival, rival_service, "
            "plan_downgrade, contract_expiry, spend_drop, usage_drop), a level (red, "
            "yellow, blue) or <level>_<tier> (tier: high, mid, low, unknown)");
    }
}
END_TEST

START_TEST(long_key_is_rejected_without_overflow)
{
    char key[300];
    memset(key, 'r', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    key[20] = '_';
    char errbuf[256];
    ck_assert_int_eq(set(key, "x", errbuf), -1);
}
END_TEST

/* ---- memory ---- */

START_TEST(defaults_fail_cleanly_at_every_allocation)
{
    cw_actions_t fresh;
    int rc = -1;
    for (long n = 0; rc != 0; n++) {
        ck_assert_int_lt(n, 1000);
        cw_alloc_fail_after(n);
        rc = cw_actions_defaults(&fresh);
        cw_alloc_fail_after(-1);
        if (rc != 0)
            ck_assert_int_eq(rc, -1); /* and nothing leaked: ASan checks */
    }
    cw_actions_free(&fresh);
}
END_TEST

START_TEST(set_out_of_memory_keeps_the_old_list)
{
    char errbuf[256];
    cw_alloc_fail_after(1);
    ck_assert_int_eq(set("red_high", "a,b", errbuf), -1);
    cw_alloc_fail_after(-1);
    ck_assert_str_eq(errbuf, "out of memory");
    ck_assert_str_eq(for_alert(CW_LEVEL_RED, CW_TIER_HIGH, 0), "home_visit");
}
END_TEST

static Suite *actions_suite(void)
{
    Suite *s = suite_create("actions");

    TCase *defaults = tcase_create("defaults");
    tcase_add_checked_fixture(defaults, setup, teardown);
    tcase_add_test(defaults, defaults_map_each_trigger_to_the_specs_action);
    tcase_add_test(defaults, defaults_add_home_visit_to_red_high_only);
    tcase_add_test(defaults, defaults_give_blue_no_action);
    suite_add_tcase(s, defaults);

    TCase *order = tcase_create("order");
    tcase_add_checked_fixture(order, setup, teardown);
    tcase_add_test(order, order_is_level_tier_then_level_then_triggers_in_trigger_order);
    tcase_add_test(order, each_action_once_first_occurrence_wins);
    tcase_add_test(order, a_name_repeated_within_one_list_comes_once);
    tcase_add_test(order, unknown_tier_has_its_own_key);
    tcase_add_test(order, blue_level_key_gives_blue_alerts_actions);
    suite_add_tcase(s, order);

    TCase *values = tcase_create("keys_and_values");
    tcase_add_checked_fixture(values, setup, teardown);
    tcase_add_test(values, value_whitespace_is_trimmed);
    tcase_add_test(values, empty_value_clears_the_list);
    tcase_add_test(values, action_name_with_a_space_is_rejected);
    tcase_add_test(values, empty_name_in_a_list_is_rejected);
    tcase_add_test(values, unknown_keys_are_rejected);
    tcase_add_test(values, long_key_is_rejected_without_overflow);
    suite_add_tcase(s, values);

    TCase *memory = tcase_create("memory");
    tcase_add_checked_fixture(memory, setup, teardown);
    tcase_add_test(memory, defaults_fail_cleanly_at_every_allocation);
    tcase_add_test(memory, set_out_of_memory_keeps_the_old_list);
    suite_add_tcase(s, memory);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(actions_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
