/* Check suite for cdrwarn-gen's pure stages (tools/gen_model.c,
 * gen_traffic.c, gen_format.c): the population, one day of traffic and the
 * JSON text, without Kafka. The tool's sources are compiled in here because
 * they are not part of cwcore. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/gen_format.c"
#include "../../tools/gen_model.c"
#include "../../tools/gen_traffic.c"

#include "hash.h"
#include "number.h"

static cw_gen_opts_t test_opts(uint32_t subscribers)
{
    cw_gen_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    strcpy(opts.topics[0], "cdr");
    strcpy(opts.topics[1], "billing");
    strcpy(opts.topics[2], "crm");
    opts.to_stdout = true;
    opts.subscribers = subscribers;
    opts.weeks = 3;
    opts.start_day = cw_date_from_civil(2026, 9, 28); /* a Monday */
    opts.utc_offset_s = 8 * 3600;
    strcpy(opts.utc_offset_text, "+08:00");
    opts.seed = 7;
    opts.churn_pct = 20;
    opts.bad_pct = 0.2;
    strcpy(opts.country_code, "86");
    opts.now_ms = 1790000000000LL;
    return opts;
}

/* A digest of every event text of the run, in order. */
static uint64_t run_digest(const cw_gen_model_t *model, uint64_t *events)
{
    cw_gen_day_t day;
    char *buf = malloc(CW_GEN_TEXT_MAX);
    uint64_t digest = 0, n = 0;
    memset(&day, 0, sizeof(day));
    for (int d = 0; d < 7 * model->opts->weeks; d++) {
        ck_assert_int_eq(cw_gen_traffic_day(model, d, &day), 0);
        for (size_t k = 0; k < day.cnt; k++) {
            const cw_gen_rec_t *rec = &day.recs[k];
            size_t len =
                cw_gen_format_event(model, rec, model->subs[rec->sub].msisdn, n++, buf);
            digest = cw_hash64(buf, len, digest);
        }
    }
    cw_gen_day_free(&day);
    free(buf);
    *events = n;
    return digest;
}

START_TEST(same_options_give_the_same_bytes)
{
    cw_gen_opts_t opts = test_opts(300);
    cw_gen_model_t a, b;
    char err[128];
    uint64_t na, nb;
    ck_assert_int_eq(cw_gen_model_build(&a, &opts, err, sizeof(err)), 0);
    ck_assert_int_eq(cw_gen_model_build(&b, &opts, err, sizeof(err)), 0);
    ck_assert_uint_eq(run_digest(&a, &na), run_digest(&b, &nb));
    ck_assert_uint_eq(na, nb);
    cw_gen_opts_t other = opts;
    other.seed = 8;
    cw_gen_model_t c;
    ck_assert_int_eq(cw_gen_model_build(&c, &other, err, sizeof(err)), 0);
    ck_assert_uint_ne(run_digest(&a, &na), run_digest(&c, &nb));
    cw_gen_model_free(&a);
    cw_gen_model_free(&b);
    cw_gen_model_free(&c);
}
END_TEST

START_TEST(subscriber_numbers_are_unique_own_operator_lines)
{
    cw_gen_opts_t opts = test_opts(5000);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        uint64_t number = model.subs[i].msisdn;
        ck_assert_uint_ge(number, 13000000000ULL);
        ck_assert_uint_lt(number, 20000000000ULL);
        ck_assert(cw_gen_model_is_subscriber(&model, number));
        for (uint32_t j = i + 1; j < model.sub_cnt && j < i + 50; j++)
            ck_assert_uint_ne(number, model.subs[j].msisdn);
    }
    /* closing events need numbers that are nobody's */
    int outside = 0;
    for (uint64_t k = 0; k < 1000; k++)
        outside +=
            !cw_gen_model_is_subscriber(&model, cw_gen_model_number(true, k * 7919));
    ck_assert_int_gt(outside, 990);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(every_drift_kind_shows_from_100_subscribers)
{
    cw_gen_opts_t opts = test_opts(100);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    ck_assert_uint_eq(model.drifting, 20);
    for (int k = 0; k < CW_GEN_DRIFT_CNT; k++)
        ck_assert_msg(model.drift_cnt[k] > 0, "no %s", cw_gen_drift_names[k]);
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->drift == 0)
            continue;
        /* the last week or the last two, never the first */
        ck_assert_int_ge(sub->drift_week, 1);
        if (sub->drift & (1u << CW_GEN_DRIFT_SILENT))
            ck_assert_uint_eq(sub->drift, 1u << CW_GEN_DRIFT_SILENT);
    }
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(a_day_is_in_time_order_within_the_day)
{
    cw_gen_opts_t opts = test_opts(500);
    cw_gen_model_t model;
    cw_gen_day_t day;
    char err[128];
    memset(&day, 0, sizeof(day));
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    for (int d = 0; d < 3; d++) {
        ck_assert_int_eq(cw_gen_traffic_day(&model, d, &day), 0);
        int64_t start =
            cw_week_start_ms(cw_week_of_day(opts.start_day), opts.utc_offset_s) +
            d * CW_MS_PER_DAY;
        ck_assert_uint_gt(day.cnt, 1000);
        for (size_t k = 0; k < day.cnt; k++) {
            ck_assert_int_ge(day.recs[k].ts, start);
            ck_assert_int_lt(day.recs[k].ts, start + CW_MS_PER_DAY);
            if (k > 0)
                ck_assert_int_ge(day.recs[k].ts, day.recs[k - 1].ts);
        }
        if (d == 0) /* the CRM sync opens the traffic */
            ck_assert_int_eq(day.recs[0].type, CW_GEN_PROFILE);
    }
    cw_gen_day_free(&day);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(events_option_lands_near_the_target)
{
    static const int64_t targets[] = {20000, 200000, 2000000};
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        cw_gen_opts_t opts = test_opts(2000);
        cw_gen_model_t model;
        char err[128];
        uint64_t n;
        opts.events = targets[t];
        ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
        run_digest(&model, &n);
        ck_assert_msg(n > targets[t] * 0.9 && n < targets[t] * 1.1,
                      "asked %lld events, made %llu", (long long)targets[t],
                      (unsigned long long)n);
        cw_gen_model_free(&model);
    }
}
END_TEST

/* RFC 8259 JSON: a bare string or number is a document too (not_object),
 * which jansson accepts only with JSON_DECODE_ANY. */
static json_t *parse(const char *text, size_t len)
{
    json_error_t error;
    return json_loadb(text, len, JSON_DECODE_ANY, &error);
}

START_TEST(good_events_carry_the_common_fields)
{
    cw_gen_opts_t opts = test_opts(200);
    cw_gen_model_t model;
    cw_gen_day_t day;
    char err[128], *buf = malloc(CW_GEN_TEXT_MAX);
    memset(&day, 0, sizeof(day));
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    ck_assert_int_eq(cw_gen_traffic_day(&model, 0, &day), 0);
    for (size_t k = 0; k < day.cnt; k++) {
        const cw_gen_rec_t *rec = &day.recs[k];
        size_t len =
            cw_gen_format_event(&model, rec, model.subs[rec->sub].msisdn, k, buf);
        json_t *event = parse(buf, len);
        ck_assert_msg(json_is_object(event), "%.*s", (int)len, buf);
        const char *msisdn = json_string_value(json_object_get(event, "msisdn"));
        char normal[CW_NUMBER_SIZE], key[24];
        ck_assert_ptr_nonnull(msisdn);
        ck_assert_int_eq(cw_number_normalise(msisdn, strlen(msisdn), "86", normal), 11);
        key[cw_gen_format_key(model.subs[rec->sub].msisdn, key)] = '\0';
        ck_assert_str_eq(normal, key);
        ck_assert(json_is_string(json_object_get(event, "event_id")));
        ck_assert_str_eq(json_string_value(json_object_get(event, "type")),
                         cw_gen_type_names[rec->type]);
        json_t *ts = json_object_get(event, "ts");
        ck_assert(json_is_integer(ts) || json_is_string(ts));
        json_decref(event);
    }
    cw_gen_day_free(&day);
    cw_gen_model_free(&model);
    free(buf);
}
END_TEST

/* A "ts" in either form, as epoch ms. */
static int64_t ts_ms(json_t *ts)
{
    int64_t ms = 0;
    if (json_is_integer(ts))
        return json_integer_value(ts);
    ck_assert(json_is_string(ts));
    ck_assert_int_eq(
        cw_date_parse_rfc3339(json_string_value(ts), json_string_length(ts), &ms), 0);
    return ms;
}

START_TEST(bad_records_are_bad_the_named_way)
{
    cw_gen_opts_t opts = test_opts(50);
    cw_gen_model_t model;
    cw_gen_day_t day;
    char err[128], *buf = malloc(CW_GEN_TEXT_MAX);
    memset(&day, 0, sizeof(day));
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    ck_assert_int_eq(cw_gen_traffic_day(&model, 1, &day), 0);
    int64_t start_ms =
        cw_week_start_ms(cw_week_of_day(opts.start_day), opts.utc_offset_s);
    for (size_t k = 0; k < day.cnt && k < 200; k++) {
        for (int r = 0; r < CW_GEN_BAD_CNT; r++) {
            int topic;
            size_t len =
                cw_gen_format_bad(&model, &day.recs[k], (cw_gen_bad_t)r, k, buf, &topic);
            json_t *event = parse(buf, len);
            json_t *ts = json_object_get(event, "ts");
            switch ((cw_gen_bad_t)r) {
            case CW_GEN_BAD_INVALID_JSON:
                ck_assert_ptr_null(event);
                break;
            case CW_GEN_BAD_NOT_OBJECT:
                ck_assert_ptr_nonnull(event);
                ck_assert(!json_is_object(event));
                break;
            case CW_GEN_BAD_MISSING_FIELD:
                ck_assert(json_is_object(event));
                ck_assert_int_eq(!json_object_get(event, "event_id") +
                                     !json_object_get(event, "type") +
                                     !json_object_get(event, "msisdn") + !ts,
                                 1);
                break;
            case CW_GEN_BAD_UNKNOWN_TYPE: {
                const char *type = json_string_value(json_object_get(event, "type"));
                for (int t = 0; t < CW_GEN_TYPE_CNT; t++)
                    ck_assert_str_ne(type, cw_gen_type_names[t]);
                break;
            }
            case CW_GEN_BAD_BAD_MSISDN: {
                const char *m = json_string_value(json_object_get(event, "msisdn"));
                char normal[CW_NUMBER_SIZE];
                ck_assert_int_lt(cw_number_normalise(m, strlen(m), "86", normal), 0);
                break;
            }
            case CW_GEN_BAD_FUTURE_TS:
                ck_assert_int_gt(ts_ms(ts), opts.now_ms + CW_MS_PER_DAY);
                break;
            case CW_GEN_BAD_TOO_OLD:
                ck_assert_int_le(ts_ms(ts), start_ms - 19 * CW_MS_PER_WEEK);
                break;
            case CW_GEN_BAD_TOO_LARGE:
                ck_assert(json_is_object(event));
                ck_assert_uint_gt(len, 65536);
                break;
            default:
                ck_assert(json_is_object(event));
                break;
            }
            json_decref(event);
        }
    }
    cw_gen_day_free(&day);
    cw_gen_model_free(&model);
    free(buf);
}
END_TEST

static Suite *gen_suite(void)
{
    Suite *s = suite_create("gen_model");
    TCase *model = tcase_create("model");
    tcase_add_test(model, same_options_give_the_same_bytes);
    tcase_add_test(model, subscriber_numbers_are_unique_own_operator_lines);
    tcase_add_test(model, every_drift_kind_shows_from_100_subscribers);
    tcase_add_test(model, events_option_lands_near_the_target);
    tcase_set_timeout(model, 60);
    suite_add_tcase(s, model);
    TCase *traffic = tcase_create("traffic");
    tcase_add_test(traffic, a_day_is_in_time_order_within_the_day);
    suite_add_tcase(s, traffic);
    TCase *format = tcase_create("format");
    tcase_add_test(format, good_events_carry_the_common_fields);
    tcase_add_test(format, bad_records_are_bad_the_named_way);
    suite_add_tcase(s, format);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gen_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
