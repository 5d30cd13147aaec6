/* Check suite for outcome.c: what a churn was preceded by (SPEC section 10):
 * the alerted weeks inside the horizon and at its edges, caught and lead
 * weeks, watched and tier, the pinned outcome id and the exact JSON. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "date.h"
#include "outcome.h"
#include "rules.h"
#include "week.h"

#define UTC8 (8 * 3600)
/* Friday 2026-11-20 09:30 at +08:00, in 2026-W47 */
#define CHURN_MS 1795138200000LL
/* Friday 2026-11-20 00:30 at +08:00: still Thursday the 19th in UTC */
#define CHURN_EARLY_MS 1795105800000LL

static cw_rules_t rules;
static cw_sub_t sub;
static cw_event_t churn;
static int32_t c_week; /* 2026-W47 */

static void setup(void)
{
    cw_rules_defaults(&rules); /* H = 8, watched high and mid */
    cw_sub_init(&sub);
    sub.tier = CW_TIER_HIGH;
    memset(&churn, 0, sizeof churn);
    churn.type = CW_EV_CHURN;
    strcpy(churn.event_id, "crm-churn-77");
    strcpy(churn.msisdn, "13800138000");
    churn.ts_ms = CHURN_MS;
    churn.churn_kind = CW_CHURN_PORT_OUT;
    strcpy(churn.to_operator, "unicom");
    churn.subsidy_end = churn.contract_end = CW_DAY_NONE;
    c_week = cw_week_of_ms(CHURN_MS, UTC8);
    /* the churn was applied: its week exists, the mark is set */
    cw_sub_get_week(&sub, c_week)->calls = 3;
    sub.churned = true;
    sub.churn_ts_ms = CHURN_MS;
}

static void published(int32_t week, cw_level_t level, uint8_t triggers)
{
    cw_week_agg_t *agg = cw_sub_get_week(&sub, week);
    agg->published_level = (uint8_t)level;
    agg->published_triggers = triggers;
}

static cw_outcome_t compute(void)
{
    cw_outcome_t oc;
    cw_outcome_compute(&rules, &sub, churn.ts_ms, UTC8, &oc);
    return oc;
}

static char *json_of(size_t *len, cw_outcome_t *summary)
{
    cw_outcome_input_t in = {
        .msisdn = "13800138000",
        .sub = &sub,
        .event = &churn,
        .rules = &rules,
        .utc_offset_s = UTC8,
        .emitted_at_ms = CHURN_MS + 1234,
    };
    char *json = cw_outcome_json(&in, len, summary);
    ck_assert_ptr_nonnull(json);
    return json;
}

#define COMPLAINTS CW_TRIG_BIT(CW_TRIG_COMPLAINTS)
#define FWD CW_TRIG_BIT(CW_TRIG_FWD_RIVAL)
#define SPEND_DROP CW_TRIG_BIT(CW_TRIG_SPEND_DROP)

/* ---- the verdict ---- */

START_TEST(caught_churner_lists_its_alerted_weeks_oldest_first)
{
    published(c_week - 1, CW_LEVEL_RED, SPEND_DROP);
    published(c_week - 2, CW_LEVEL_RED, COMPLAINTS | FWD);
    published(c_week - 4, CW_LEVEL_BLUE, 0);
    cw_outcome_t oc = compute();
    ck_assert_int_eq(oc.week, c_week);
    ck_assert_int_eq(oc.alerted_count, 3);
    ck_assert_int_eq(oc.alerted[0].week, c_week - 4);
    ck_assert_int_eq(oc.alerted[0].level, CW_LEVEL_BLUE);
    ck_assert_int_eq(oc.alerted[1].week, c_week - 2);
    ck_assert_uint_eq(oc.alerted[1].triggers, COMPLAINTS | FWD);
    ck_assert_int_eq(oc.alerted[2].week, c_week - 1);
    ck_assert(oc.caught);
    ck_assert_int_eq(oc.lead_weeks, 4);
    ck_assert_int_eq(oc.caught_level, CW_LEVEL_RED);
    ck_assert(oc.watched);
    ck_assert_int_eq(oc.tier, CW_TIER_HIGH);
}
END_TEST

START_TEST(uncaught_churner_has_no_alerted_weeks_and_no_lead)
{
    /* weeks with events but nothing published */
    cw_sub_get_week(&sub, c_week - 1)->spend_fen = 5000;
    cw_outcome_t oc = compute();
    ck_assert_int_eq(oc.alerted_count, 0);
    ck_assert(!oc.caught);
    ck_assert_int_eq(oc.lead_weeks, -1);
    ck_assert_int_eq(oc.caught_level, CW_LEVEL_NONE);
}
END_TEST

START_TEST(horizon_includes_c_minus_h_and_excludes_c_minus_h_minus_1)
{
    published(c_week - 9, CW_LEVEL_RED, COMPLAINTS); /* C-H-1 */
    cw_outcome_t oc = compute();
    ck_assert(!oc.caught);
    published(c_week - 8, CW_LEVEL_YELLOW, FWD); /* C-H */
    oc = compute();
    ck_assert(oc.caught);
    ck_assert_int_eq(oc.alerted_count, 1);
    ck_assert_int_eq(oc.alerted[0].week, c_week - 8);
    ck_assert_int_eq(oc.lead_weeks, 8);
    ck_assert_int_eq(oc.caught_level, CW_LEVEL_YELLOW);
    /* a smaller horizon moves the edge */
    rules.outcome_horizon_weeks = 7;
    ck_assert(!compute().caught);
}
END_TEST

START_TEST(the_churn_week_itself_counts_with_lead_zero)
{
    published(c_week, CW_LEVEL_RED, COMPLAINTS);
    /* a week after the churn's (a late-arriving, earlier-dated churn) does not */
    published(c_week + 1, CW_LEVEL_RED, FWD);
    cw_outcome_t oc = compute();
    ck_assert_int_eq(oc.alerted_count, 1);
    ck_assert_int_eq(oc.alerted[0].week, c_week);
    ck_assert_int_eq(oc.lead_weeks, 0);
    rules.outcome_horizon_weeks = 0;
    oc = compute();
    ck_assert(oc.caught);
    ck_assert_int_eq(oc.lead_weeks, 0);
}
END_TEST

START_TEST(tier_and_watched_at_the_churn)
{
    sub.tier = CW_TIER_UNKNOWN;
    published(c_week - 1, CW_LEVEL_RED, COMPLAINTS);
    cw_outcome_t oc = compute();
    ck_assert_int_eq(oc.tier, CW_TIER_UNKNOWN);
    ck_assert(!oc.watched);
    ck_assert(oc.caught); /* what was published still counts */
    sub.tier = CW_TIER_LOW;
    ck_assert(!compute().watched);
    sub.tier = CW_TIER_MID;
    ck_assert(compute().watched);
    rules.watched_tiers = 1u << CW_TIER_LOW;
    ck_assert(!compute().watched);
}
END_TEST

START_TEST(churn_date_and_week_are_local)
{
    churn.ts_ms = CHURN_EARLY_MS;
    cw_outcome_t oc = compute();
    ck_assert_int_eq(oc.churn_date, cw_date_from_civil(2026, 11, 20));
    /* Monday 00:30 local is still Sunday in UTC: the local week counts */
    churn.ts_ms = cw_week_start_ms(c_week + 1, UTC8) + 1800000;
    oc = compute();
    ck_assert_int_eq(oc.week, c_week + 1);
    ck_assert_int_eq(oc.churn_date, cw_week_first_day(c_week + 1));
    ck_assert_int_eq(cw_week_of_ms(churn.ts_ms, 0), c_week);
}
END_TEST

/* ---- id ---- */

START_TEST(outcome_id_is_pinned_and_depends_on_msisdn_week_and_kind_only)
{
    char id[CW_OUTCOME_ID_SIZE], other[CW_OUTCOME_ID_SIZE];
    cw_outcome_id("13800138000", c_week, CW_CHURN_PORT_OUT, id);
    /* never change silently: a re-sent outcome must keep its id */
    ck_assert_str_eq(id, "ae9203b195b4e827aa5f3f2840b7df58");
    ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
    cw_outcome_id("13800138001", c_week, CW_CHURN_PORT_OUT, other);
    ck_assert_str_ne(id, other);
    cw_outcome_id("13800138000", c_week + 1, CW_CHURN_PORT_OUT, other);
    ck_assert_str_ne(id, other);
    cw_outcome_id("13800138000", c_week, CW_CHURN_CANCEL, other);
    ck_assert_str_ne(id, other);
    /* the time inside the week, the operator and the event id do not count */
    size_t len;
    char *a = json_of(&len, NULL);
    churn.ts_ms += 3600000;
    strcpy(churn.to_operator, "telecom");
    strcpy(churn.event_id, "crm-churn-78");
    char *b = json_of(&len, NULL);
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(ja, "outcome_id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(jb, "outcome_id")), id);
    json_decref(ja);
    json_decref(jb);
    cw_free(a);
    cw_free(b);
}
END_TEST

/* ---- JSON ---- */

START_TEST(caught_outcome_json_is_exact)
{
    published(c_week - 2, CW_LEVEL_YELLOW, FWD);
    cw_week_agg_t *w45 = cw_sub_get_week(&sub, c_week - 2);
    /* a red later in the same week: the highest level and the union */
    w45->published_level = CW_LEVEL_RED;
    w45->published_triggers |= COMPLAINTS;
    published(c_week - 1, CW_LEVEL_RED, SPEND_DROP | CW_TRIG_BIT(CW_TRIG_USAGE_DROP));
    size_t len = 0;
    cw_outcome_t summary;
    char *json = json_of(&len, &summary);
    const char *expected =
        "{\"outcome_id\":\"ae9203b195b4e827aa5f3f2840b7df58\",\"msisdn\":\"13800138000\","
        "\"kind\":\"port_out\",\"to_operator\":\"unicom\",\"churn_date\":\"2026-11-20\","
        "\"week\":\"2026-W47\",\"tier\":\"high\",\"watched\":true,"
        "\"alerted\":[{\"week\":\"2026-W45\",\"level\":\"red\","
        "\"triggers\":[\"complaints\",\"fwd_rival\"]},"
        "{\"week\":\"2026-W46\",\"level\":\"red\",\"triggers\":[\"spend_drop\","
        "\"usage_drop\"]}],"
        "\"caught\":true,\"lead_weeks\":2,\"event_id\":\"crm-churn-77\","
        "\"emitted_at\":1795138201234}";
    ck_assert_str_eq(json, expected);
    ck_assert_uint_eq(len, strlen(expected));
    ck_assert(summary.caught);
    ck_assert_int_eq(summary.lead_weeks, 2);
    ck_assert_int_eq(summary.caught_level, CW_LEVEL_RED);
    cw_free(json);
}
END_TEST

START_TEST(uncaught_outcome_json_has_nulls)
{
    sub.tier = CW_TIER_UNKNOWN;
    churn.churn_kind = CW_CHURN_CANCEL;
    churn.to_operator[0] = '\0';
    size_t len = 0;
    char *json = json_of(&len, NULL);
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(json_string_value(json_object_get(root, "kind")), "cancel");
    ck_assert(json_is_null(json_object_get(root, "to_operator")));
    ck_assert_str_eq(json_string_value(json_object_get(root, "tier")), "unknown");
    ck_assert(json_is_false(json_object_get(root, "watched")));
    ck_assert_uint_eq(json_array_size(json_object_get(root, "alerted")), 0);
    ck_assert(json_is_false(json_object_get(root, "caught")));
    ck_assert(json_is_null(json_object_get(root, "lead_weeks")));
    ck_assert_uint_eq(json_object_size(root), 13);
    json_decref(root);
    ck_assert_ptr_nonnull(
        strstr(json, "\"alerted\":[],\"caught\":false,\"lead_weeks\":null,"));
    cw_free(json);
}
END_TEST

START_TEST(text_fields_are_escaped)
{
    strcpy(churn.to_operator, "uni\"com\\");
    strcpy(churn.event_id, "e\x01");
    size_t len = 0;
    char *json = json_of(&len, NULL);
    json_t *root = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(json_string_value(json_object_get(root, "to_operator")),
                     "uni\"com\\");
    ck_assert_str_eq(json_string_value(json_object_get(root, "event_id")), "e\x01");
    json_decref(root);
    cw_free(json);
}
END_TEST

START_TEST(outcome_json_is_null_when_out_of_memory)
{
    cw_outcome_input_t in = {.msisdn = "13800138000",
                             .sub = &sub,
                             .event = &churn,
                             .rules = &rules,
                             .utc_offset_s = UTC8,
                             .emitted_at_ms = 1};
    size_t len = 99;
    cw_alloc_fail_after(0);
    char *json = cw_outcome_json(&in, &len, NULL);
    cw_alloc_fail_after(-1);
    ck_assert_ptr_null(json);
    ck_assert_uint_eq(len, 99);
}
END_TEST

static Suite *outcome_suite(void)
{
    Suite *s = suite_create("outcome");
    TCase *tc = tcase_create("verdict");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, caught_churner_lists_its_alerted_weeks_oldest_first);
    tcase_add_test(tc, uncaught_churner_has_no_alerted_weeks_and_no_lead);
    tcase_add_test(tc, horizon_includes_c_minus_h_and_excludes_c_minus_h_minus_1);
    tcase_add_test(tc, the_churn_week_itself_counts_with_lead_zero);
    tcase_add_test(tc, tier_and_watched_at_the_churn);
    tcase_add_test(tc, churn_date_and_week_are_local);
    suite_add_tcase(s, tc);

    tc = tcase_create("id");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, outcome_id_is_pinned_and_depends_on_msisdn_week_and_kind_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, caught_outcome_json_is_exact);
    tcase_add_test(tc, uncaught_outcome_json_has_nulls);
    tcase_add_test(tc, text_fields_are_escaped);
    tcase_add_test(tc, outcome_json_is_null_when_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(outcome_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
