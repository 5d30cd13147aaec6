/* Check suite for scorerec.c: the pinned score id and the exact score
 * record JSON of SPEC section 14, with every item's evidence. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "alloc.h"
#include "config.h"
#include "date.h"
#include "errlist.h"
#include "score.h"
#include "scorerec.h"

#define M 682 /* 2026-11 */

static cw_score_rules_t sr;
static cw_rules_t rules;
static cw_sub_t sub;
static cw_score_t score;

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

static cw_month_agg_t *mon(int back)
{
    return cw_sub_get_month(&sub, M - back);
}

static char *json_for(const char *msisdn, size_t *len)
{
    cw_score_evaluate(&sr, &rules, &sub, M, &score);
    cw_scorerec_input_t in = {
        .msisdn = msisdn,
        .score = &score,
        .emitted_at_ms = 1798761600000LL,
        .rules_version = "0123456789abcdef",
    };
    char *json = cw_scorerec_json(&in, len);
    ck_assert_ptr_nonnull(json);
    return json;
}

START_TEST(score_id_is_pinned_and_depends_on_msisdn_and_month_only)
{
    char id[CW_SCORE_ID_SIZE], other[CW_SCORE_ID_SIZE];
    cw_scorerec_id("13800138000", M, id);
    /* never change silently: a re-sent record must keep its id */
    ck_assert_str_eq(id, "43214994f9b3b7740f53ce8a23ddee19");
    cw_scorerec_id("13800138001", M, other);
    ck_assert_str_ne(id, other);
    cw_scorerec_id("13800138000", M + 1, other);
    ck_assert_str_ne(id, other);
    cw_scorerec_id("13800138000", M, other);
    ck_assert_str_eq(id, other);
    /* the score itself does not change the id */
    size_t len;
    char *a = json_for("13800138000", &len);
    mon(0)->complaints = 3;
    char *b = json_for("13800138000", &len);
    ck_assert_str_ne(a, b);
    ck_assert_ptr_nonnull(strstr(a, "\"score_id\":\"43214994f9b3b7740f53ce8a23ddee19\""));
    ck_assert_ptr_nonnull(strstr(b, "\"score_id\":\"43214994f9b3b7740f53ce8a23ddee19\""));
    cw_free(a);
    cw_free(b);
}
END_TEST

START_TEST(potential_churner_record_is_exact)
{
    /* the SPEC's example spends: 9000 over 3m, 42000 over 6m */
    mon(5)->spend_fen = 11000;
    mon(4)->spend_fen = 11000;
    mon(3)->spend_fen = 11000;
    mon(2)->spend_fen = 3000;
    mon(1)->spend_fen = 3000;
    mon(0)->spend_fen = 3000;
    mon(0)->complaints = 3;
    mon(0)->own_service_calls = 5;
    mon(0)->new_services = 1;
    sub.subsidy_end = cw_date_from_civil(2027, 6, 30); /* beyond the horizon: tier 2 */
    size_t len = 0;
    char *json = json_for("13800138000", &len);
    const char *expected =
        "{\"score_id\":\"43214994f9b3b7740f53ce8a23ddee19\",\"msisdn\":\"13800138000\","
        "\"month\":\"2026-11\",\"score\":9,\"threshold\":10,\"potential_churner\":false,"
        "\"value_churn\":true,\"items\":["
        "{\"name\":\"spend_fall\",\"points\":3,"
        "\"evidence\":{\"spend_3m_fen\":9000,\"spend_6m_fen\":42000}},"
        "{\"name\":\"complaints_3m\",\"points\":3,\"evidence\":{\"complaints_3m\":3}},"
        "{\"name\":\"own_service\",\"points\":3,\"evidence\":{\"own_service_calls_6m\":5}"
        "}],"
        "\"tier\":\"high\",\"risk_tier\":2,\"eval_date\":\"2026-11-30\","
        "\"emitted_at\":1798761600000,\"rules_version\":\"0123456789abcdef\"}";
    ck_assert_str_eq(json, expected);
    ck_assert_uint_eq(len, strlen(expected));
    cw_free(json);
    /* one more point: a potential churner */
    mon(0)->fwd_calls = 5;
    json = json_for("13800138000", &len);
    ck_assert_ptr_nonnull(strstr(json, "\"score\":10,\"threshold\":10,"
                                       "\"potential_churner\":true,"));
    ck_assert_ptr_nonnull(strstr(json, "{\"name\":\"fwd_1m\",\"points\":1,"
                                       "\"evidence\":{\"fwd_1m_calls\":5}}"));
    cw_free(json);
}
END_TEST

/* Every item true: each carries the figures behind it, in table order. */
START_TEST(every_item_carries_its_evidence)
{
    for (int k = 3; k <= 5; k++)
        mon(k)->spend_fen = 10000;
    mon(3)->vas_fen = 1200;
    mon(2)->vas_fen = 800;
    mon(5)->arrears_stops = 1;
    mon(2)->own_service_calls = 2;
    mon(1)->fwd_calls = 4;
    cw_month_agg_t *m = mon(0);
    m->vas_fen = 100;
    m->fwd_calls = 6;
    m->arrears_stops = 2;
    m->has_arrears = true;
    m->owed_fen = 15800;
    m->months_owed = 2;
    m->fault_level = 3;
    m->complaints = 4;
    m->own_service_calls = 4;
    m->rival_service_calls = 3;
    m->vip_services = 5;
    size_t len = 0;
    char *json = json_for("13800138000", &len);
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    ck_assert_ptr_nonnull(root);
    json_t *items = json_object_get(root, "items");
    ck_assert_uint_eq(json_array_size(items), CW_ITEM__COUNT);
    static const struct {
        const char *name;
        const char *key;
        json_int_t value;
        const char *key2;
        json_int_t value2;
    } want[] = {
        {"spend_fall", "spend_3m_fen", 0, "spend_6m_fen", 30000},
        {"fwd_3m", "fwd_3m_calls", 10, NULL, 0},
        {"fwd_1m", "fwd_1m_calls", 6, NULL, 0},
        {"arrears_stops", "arrears_stops_6m", 3, NULL, 0},
        {"owed", "owed_fen", 15800, NULL, 0},
        {"months_owed", "months_owed", 2, NULL, 0},
        {"fault", "fault_level_3m", 3, NULL, 0},
        {"complaints_3m", "complaints_3m", 4, NULL, 0},
        {"own_service", "own_service_calls_6m", 6, NULL, 0},
        {"rival_service_6m", "rival_service_calls_6m", 3, NULL, 0},
        {"vip_service", "vip_services_6m", 5, NULL, 0},
        {"few_new_services", "new_services_6m", 0, NULL, 0},
        {"vas_fall", "vas_2m_fen", 100, "prev_vas_2m_fen", 2000},
    };
    for (size_t i = 0; i < CW_ITEM__COUNT; i++) {
        json_t *it = json_array_get(items, i);
        ck_assert_str_eq(json_string_value(json_object_get(it, "name")), want[i].name);
        ck_assert_int_eq(json_integer_value(json_object_get(it, "points")),
                         cw_score_item_points(&sr, (cw_score_item_t)i));
        json_t *ev = json_object_get(it, "evidence");
        ck_assert_uint_eq(json_object_size(ev), want[i].key2 ? 2 : 1);
        ck_assert_int_eq(json_integer_value(json_object_get(ev, want[i].key)),
                         want[i].value);
        if (want[i].key2)
            ck_assert_int_eq(json_integer_value(json_object_get(ev, want[i].key2)),
                             want[i].value2);
    }
    ck_assert_int_eq(json_integer_value(json_object_get(root, "score")), 26);
    ck_assert(json_is_true(json_object_get(root, "potential_churner")));
    ck_assert_uint_eq(json_object_size(root), 13);
    json_decref(root);
    cw_free(json);
}
END_TEST

START_TEST(value_churn_only_record_has_no_items)
{
    mon(0)->new_services = 1;
    mon(1)->plan_downgrade = true;
    sub.tier = CW_TIER_MID;
    size_t len = 0;
    char *json = json_for("13900139000", &len);
    ck_assert_ptr_nonnull(
        strstr(json, "\"score\":0,\"threshold\":10,\"potential_churner\":false,"
                     "\"value_churn\":true,\"items\":[],\"tier\":\"mid\","
                     "\"risk_tier\":1,"));
    cw_free(json);
}
END_TEST

START_TEST(score_record_is_null_when_out_of_memory)
{
    cw_score_evaluate(&sr, &rules, &sub, M, &score);
    cw_scorerec_input_t in = {.msisdn = "13800138000", .score = &score};
    size_t len = 99;
    cw_alloc_fail_after(0);
    char *json = cw_scorerec_json(&in, &len);
    cw_alloc_fail_after(-1);
    ck_assert_ptr_null(json);
    ck_assert_uint_eq(len, 99);
}
END_TEST

static Suite *scorerec_suite(void)
{
    Suite *s = suite_create("scorerec");
    TCase *tc = tcase_create("id");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, score_id_is_pinned_and_depends_on_msisdn_and_month_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, potential_churner_record_is_exact);
    tcase_add_test(tc, every_item_carries_its_evidence);
    tcase_add_test(tc, value_churn_only_record_has_no_items);
    tcase_add_test(tc, score_record_is_null_when_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(scorerec_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
