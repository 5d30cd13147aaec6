/* Check suite for cdrwarn-gen's pure stages (tools/gen_opts.c,
 * gen_number.c, gen_day.c, gen_model.c, gen_traffic.c, gen_churn.c,
 * gen_monthly.c, gen_format.c, gen_truth.c): the options, the population,
 * one day of traffic, the JSON text and the ground truth, without Kafka.
 * The tool's sources are compiled in here because they are not part of
 * cwcore. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/gen_churn.c"
#include "../../tools/gen_day.c"
#include "../../tools/gen_format.c"
#include "../../tools/gen_model.c"
#include "../../tools/gen_monthly.c"
#include "../../tools/gen_number.c"
#include "../../tools/gen_opts.c"
#include "../../tools/gen_traffic.c"
#include "../../tools/gen_truth.c"

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
        ck_assert(cw_gen_number_is_subscriber(&model, number));
        for (uint32_t j = i + 1; j < model.sub_cnt && j < i + 50; j++)
            ck_assert_uint_ne(number, model.subs[j].msisdn);
    }
    /* closing events need numbers that are nobody's */
    int outside = 0;
    for (uint64_t k = 0; k < 1000; k++)
        outside +=
            !cw_gen_number_is_subscriber(&model, cw_gen_number(true, k * 7919));
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

/* ---- the default traffic, pinned ---- */

/* A digest of the run's event texts and of a bad record every 97 events,
 * as the code made them before --churn and --monthly existed: the default
 * traffic must not move (the fault suite's reference is keyed by it, and
 * the daemon of the time dead-letters the new types). */
static void pinned_digests(const cw_gen_model_t *model, uint64_t *events, uint64_t *good,
                           uint64_t *bad)
{
    cw_gen_day_t day;
    char *buf = malloc(CW_GEN_TEXT_MAX);
    uint64_t n = 0;
    *good = *bad = 0;
    memset(&day, 0, sizeof(day));
    for (int d = 0; d < 7 * model->opts->weeks; d++) {
        ck_assert_int_eq(cw_gen_traffic_day(model, d, &day), 0);
        for (size_t k = 0; k < day.cnt; k++, n++) {
            const cw_gen_rec_t *rec = &day.recs[k];
            size_t len =
                cw_gen_format_event(model, rec, model->subs[rec->sub].msisdn, n, buf);
            *good = cw_hash64(buf, len, *good);
            if (n % 97 == 0) {
                int topic;
                len = cw_gen_format_bad(model, rec, (cw_gen_bad_t)(n % CW_GEN_BAD_CNT), n,
                                        buf, &topic);
                *bad = cw_hash64(buf, len, *bad);
            }
        }
    }
    cw_gen_day_free(&day);
    free(buf);
    *events = n;
}

START_TEST(default_traffic_is_byte_identical_to_before)
{
    static const struct {
        int64_t events_opt;
        uint64_t events, good, bad;
    } pins[] = {
        {0, 35575, 0x31891cf50455e1deULL, 0x043686f7f2a86eb4ULL},
        {30000, 29712, 0x2fe1e90a18dd1a7bULL, 0x093567e72887e75fULL},
    };
    for (size_t p = 0; p < sizeof(pins) / sizeof(pins[0]); p++) {
        cw_gen_opts_t opts = test_opts(300);
        cw_gen_model_t model;
        char err[128];
        uint64_t n, good, bad;
        opts.events = pins[p].events_opt;
        ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
        pinned_digests(&model, &n, &good, &bad);
        ck_assert_uint_eq(n, pins[p].events);
        ck_assert_msg(good == pins[p].good && bad == pins[p].bad,
                      "--events %lld: digests 0x%016llx 0x%016llx",
                      (long long)pins[p].events_opt, (unsigned long long)good,
                      (unsigned long long)bad);
        cw_gen_model_free(&model);
    }
}
END_TEST

/* The text of --truth for a model. */
static char *truth_text(const cw_gen_model_t *model, size_t *len)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cw_gen_truth_write(model, f), 0);
    long size = ftell(f);
    ck_assert_int_gt(size, 0);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return text;
}

START_TEST(default_truth_is_byte_identical_to_before)
{
    cw_gen_opts_t opts = test_opts(300);
    cw_gen_model_t model;
    char err[128];
    size_t len;
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    char *text = truth_text(&model, &len);
    ck_assert_uint_eq(len, 41296);
    ck_assert_uint_eq(cw_hash64(text, len, 0), 0x1c4c62d55f708b13ULL);
    free(text);
    cw_gen_model_free(&model);
}
END_TEST

/* ---- options ---- */

static int parse_args(cw_gen_opts_t *opts, char *err, size_t err_size, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, err_size);
    argv[argc++] = "cdrwarn-gen";
    for (char *arg; (arg = va_arg(ap, char *)) != NULL;)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    return cw_gen_opts_parse(argc, argv, opts, err, err_size);
}

START_TEST(new_models_are_off_unless_asked_for)
{
    cw_gen_opts_t opts;
    char err[256];
    ck_assert_int_eq(parse_args(&opts, err, sizeof(err), "--stdout", NULL), 0);
    ck_assert(!opts.churn);
    ck_assert(!opts.monthly);
    ck_assert_int_eq(opts.weeks, 3);
    ck_assert_int_eq(cw_date_weekday(opts.start_day), 0);

    ck_assert_int_eq(
        parse_args(&opts, err, sizeof(err), "--stdout", "--model", "full", NULL), 0);
    ck_assert(opts.churn && opts.monthly);
    ck_assert_int_eq(opts.weeks, 30);
    ck_assert(opts.recycle_pct == 5 && opts.churn_share == 60 && opts.slow_pct == 6);
    /* months are whole: the run opens in the week of a month's first day,
     * and holds six whole months */
    int y, m, d;
    cw_date_to_civil(opts.start_day + 6, &y, &m, &d);
    ck_assert_int_le(d, 7);
    ck_assert_int_eq(cw_date_weekday(opts.start_day), 0);
    int32_t first, last;
    full_months(&opts, &first, &last);
    ck_assert_int_eq(cw_gen_month_first_day(first), cw_date_from_civil(y, m, 1));
    ck_assert_int_ge(last - first + 1, 6);

    ck_assert_int_eq(parse_args(&opts, err, sizeof(err), "--stdout", "--weeks", "26",
                                "--recycle-pct", "0", "--model", "full", NULL),
                     0);
    ck_assert_int_eq(opts.weeks, 26);
    ck_assert(opts.recycle_pct == 0);

    ck_assert_int_eq(parse_args(&opts, err, sizeof(err), "--stdout", "--churn-lag", "0:2",
                                "--slow-pct", "3", NULL),
                     0);
    ck_assert(opts.churn && opts.monthly); /* implied by their options */
    ck_assert_int_eq(opts.churn_lag_min, 0);
    ck_assert_int_eq(opts.churn_lag_max, 2);
    ck_assert(opts.slow_pct == 3);

    static const char *const bad[][2] = {
        {"--churn-lag", "3:1"}, {"--churn-lag", "2"},     {"--churn-lag", "1:99"},
        {"--model", "monthly"}, {"--churn-share", "101"}, {"--unwarned-pct", "-1"},
        {"--port-pct", "x"},    {"--recycle-pct", ""},    {"--slow-pct", "200"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        err[0] = '\0';
        ck_assert_int_eq(parse_args(&opts, err, sizeof(err), "--stdout",
                                    (char *)bad[k][0], (char *)bad[k][1], NULL),
                         -1);
        ck_assert_msg(strstr(err, bad[k][0]) != NULL, "%s %s: '%s'", bad[k][0], bad[k][1],
                      err);
    }
}
END_TEST

/* ---- the new models: what a whole run holds ---- */

/* A 30-week run from the first of a month: labelled churn, recycling and
 * the monthly model on. */
static cw_gen_opts_t full_opts(uint32_t subscribers)
{
    cw_gen_opts_t opts = test_opts(subscribers);
    opts.weeks = 30;
    opts.start_day = cw_date_from_civil(2025, 9, 1); /* a Monday */
    opts.churn = true;
    opts.churn_share = 60;
    opts.churn_lag_min = 1;
    opts.churn_lag_max = 4;
    opts.unwarned_pct = 1.5;
    opts.port_pct = 70;
    opts.recycle_pct = 5;
    opts.monthly = true;
    opts.slow_pct = 6;
    return opts;
}

#define RUN_WEEKS_MAX 30
#define RUN_MONTHS_MAX 9

/* Per subscriber, what the run sent, from the records (SPEC sections 4 and
 * 14 aggregates, computed here independently of the daemon). */
typedef struct {
    int64_t spend;
    int64_t voice_s;
    int complaints, serious, overdue, rival, downgrade;
    uint8_t fwd_rival_dows;
    int rival_fwd_calls;
} sub_week_t;

typedef struct {
    int64_t spend, vas_fen;
    int fwd, complaints, own, rival, vip, fault, stops, news;
    int64_t owed_fen, months_owed;
    int64_t rental;
} sub_month_t;

typedef struct {
    int64_t churn_ts; /* 0 = none */
    int churns;
    int64_t recycle_ts; /* the first full profile after the churn; 0 = none */
    int after_churn;    /* records after the churn that are not allowed */
    int wrong_day;      /* records not on the day they were made for */
    sub_week_t week[RUN_WEEKS_MAX];
    sub_month_t month[RUN_MONTHS_MAX];
} sub_run_t;

static bool is_rival_number(uint64_t number)
{
    for (size_t k = 0; k < RIVAL_PREFIX_CNT; k++)
        if (rival_prefixes[k] == number / LINE_SPACE)
            return true;
    return false;
}

static bool is_rival_service(uint64_t number)
{
    return number == 10010 || number == 10000 || number == 10099 ||
           number == 13312340000ULL || number == 18612340000ULL;
}

/* Runs every day of the model and sums what each subscriber sent; counts
 * the records per type into type_cnt when not NULL. (No ck_assert per
 * record: in a forked test each one writes to the runner.) */
static sub_run_t *run_model(const cw_gen_model_t *model,
                            uint64_t type_cnt[CW_GEN_TYPE_CNT])
{
    const cw_gen_opts_t *opts = model->opts;
    sub_run_t *runs = calloc(model->sub_cnt, sizeof(*runs));
    int32_t first_month = cw_gen_month_of_day(opts->start_day);
    cw_gen_day_t day;
    memset(&day, 0, sizeof(day));
    ck_assert_int_le(opts->weeks, RUN_WEEKS_MAX);
    for (int d = 0; d < 7 * opts->weeks; d++) {
        ck_assert_int_eq(cw_gen_traffic_day(model, d, &day), 0);
        int32_t local_day = opts->start_day + d;
        int mi = cw_gen_month_of_day(local_day) - first_month, w = d / 7;
        ck_assert_int_lt(mi, RUN_MONTHS_MAX);
        for (size_t k = 0; k < day.cnt; k++) {
            const cw_gen_rec_t *rec = &day.recs[k];
            sub_run_t *run = &runs[rec->sub];
            if (type_cnt != NULL)
                type_cnt[rec->type]++;
            /* every record is on the day it was made for */
            run->wrong_day += cw_week_local_day(rec->ts, opts->utc_offset_s) != local_day;
            if (run->churn_ts != 0 && rec->ts > run->churn_ts) {
                bool fresh_profile = rec->type == CW_GEN_PROFILE &&
                                     !(rec->flags & CW_GEN_REC_PROFILE_PARTIAL);
                if (run->recycle_ts == 0 && fresh_profile)
                    run->recycle_ts = rec->ts;
                else if (run->recycle_ts == 0)
                    run->after_churn++;
            }
            int64_t charge = 0;
            switch ((cw_gen_type_t)rec->type) {
            case CW_GEN_VOICE:
                charge = rec->b;
                if (rec->dir == CW_GEN_DIR_FWD) {
                    run->month[mi].fwd++;
                    if (is_rival_number(rec->peer)) {
                        run->week[w].fwd_rival_dows |= (uint8_t)(1u << (d % 7));
                        run->week[w].rival_fwd_calls++;
                    }
                    break;
                }
                run->week[w].voice_s += rec->a;
                if (is_rival_service(rec->peer)) {
                    run->week[w].rival++;
                    run->month[mi].rival++;
                }
                if (rec->peer == 10086)
                    run->month[mi].own++;
                break;
            case CW_GEN_SMS:
            case CW_GEN_DATA:
                charge = rec->b;
                break;
            case CW_GEN_CHARGE:
                charge = rec->b;
                if (rec->a >= CW_GEN_ITEM_VAS)
                    run->month[mi].vas_fen += rec->b;
                else if (rec->a == 0)
                    run->month[mi].rental += rec->b;
                break;
            case CW_GEN_PLAN_CHANGE:
                if (rec->b < rec->a)
                    run->week[w].downgrade++;
                break;
            case CW_GEN_COMPLAINT:
                run->week[w].complaints++;
                run->week[w].serious += rec->dir == 1;
                run->week[w].overdue += (rec->flags & CW_GEN_REC_OVERDUE) != 0;
                run->month[mi].complaints++;
                break;
            case CW_GEN_CHURN:
                run->churns++;
                run->churn_ts = rec->ts;
                break;
            case CW_GEN_SUSPEND:
                run->month[mi].stops += rec->a == SUSPEND_ARREARS;
                break;
            case CW_GEN_ARREARS:
                /* records come in time order: the last one is the latest */
                run->month[mi].owed_fen = rec->a;
                run->month[mi].months_owed = rec->b;
                break;
            case CW_GEN_FAULT:
                if ((int)rec->a > run->month[mi].fault)
                    run->month[mi].fault = (int)rec->a;
                break;
            case CW_GEN_SERVICE:
                run->month[mi].vip += rec->a == CHANNEL_VIP;
                break;
            case CW_GEN_SUBSCRIBE:
                run->month[mi].news++;
                break;
            default:
                break;
            }
            run->week[w].spend += charge;
            run->month[mi].spend += charge;
        }
    }
    cw_gen_day_free(&day);
    for (uint32_t i = 0; i < model->sub_cnt; i++)
        ck_assert_int_eq(runs[i].wrong_day, 0);
    return runs;
}

/* SPEC section 14's items for month index mi (0 = the run's first month;
 * months before the run count as zeros), as a bit per item of slow_items,
 * with the default [score] thresholds; the default points in *score. */
static uint32_t month_items(const sub_run_t *run, int mi, int *score)
{
#define M(k) (mi - (k) >= 0 ? &run->month[mi - (k)] : &zero)
    static const sub_month_t zero;
    int64_t s3 = 0, s6 = 0, fwd3 = 0, stops6 = 0, fault3 = 0, complaints3 = 0, own6 = 0,
            rival6 = 0, vip6 = 0, news6 = 0;
    for (int k = 0; k < 6; k++) {
        s6 += M(k)->spend;
        stops6 += M(k)->stops;
        own6 += M(k)->own;
        rival6 += M(k)->rival;
        vip6 += M(k)->vip;
        news6 += M(k)->news;
        if (k < 3) {
            s3 += M(k)->spend;
            fwd3 += M(k)->fwd;
            complaints3 += M(k)->complaints;
            if (M(k)->fault > fault3)
                fault3 = M(k)->fault;
        }
    }
    int64_t vas_before = M(3)->vas_fen + M(2)->vas_fen,
            vas_now = M(1)->vas_fen + M(0)->vas_fen;
    bool truth[SLOW_ITEM_CNT] = {
        s3 * 6 * 100 < s6 * 3 * 90,
        fwd3 >= 10,
        M(0)->fwd >= 5,
        stops6 >= 3,
        M(0)->owed_fen > 0,
        M(0)->months_owed >= 1,
        fault3 >= 1,
        complaints3 >= 3,
        own6 >= 5,
        rival6 >= 3,
        vip6 >= 3,
        news6 < 1,
        vas_before >= 1000 && vas_now * 100 < vas_before * 80,
    };
#undef M
    uint32_t bits = 0;
    *score = 0;
    for (size_t k = 0; k < SLOW_ITEM_CNT; k++)
        if (truth[k]) {
            bits |= 1u << k;
            *score += slow_items[k].points;
        }
    return bits;
}

static uint32_t item_bits(uint16_t symptoms)
{
    uint32_t bits = 0;
    for (size_t k = 0; k < SLOW_ITEM_CNT; k++)
        if (symptoms & (1u << slow_items[k].symptom))
            bits |= 1u << k;
    return bits;
}

static bool watched(const cw_gen_sub_t *sub)
{
    return sub->tier == CW_GEN_TIER_HIGH || sub->tier == CW_GEN_TIER_MID;
}

START_TEST(churn_shares_are_respected)
{
    cw_gen_opts_t opts = full_opts(20000);
    opts.weeks = 12;
    opts.monthly = false;
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    uint32_t drifters = 0, drifters_churned = 0, others = 0, unwarned = 0, churns = 0,
             ports = 0, recyclable = 0, recycled = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->churn_kind != 0) {
            churns++;
            ports += sub->churn_kind == 1;
            /* only numbers whose latest recycling would still be in the run */
            if (sub->tier != CW_GEN_TIER_NONE &&
                sub->churn_day + CHURN_RECYCLE_MAX_DAYS < 7 * opts.weeks) {
                recyclable++;
                recycled += sub->recycle_day != 0;
            }
        }
        if (sub->drift != 0) {
            /* only drifts whose latest churn would still be in the run */
            if (sub->drift_week + opts.churn_lag_max >= opts.weeks)
                continue;
            drifters++;
            drifters_churned += sub->churn_kind != 0;
        } else {
            others++;
            unwarned += sub->churn_why == CW_GEN_WHY_UNWARNED;
        }
    }
    ck_assert_uint_gt(drifters, 1000);
    double share = 100.0 * drifters_churned / drifters;
    ck_assert_msg(share > 55 && share < 65, "%.1f %% of drifters churned", share);
    share = 100.0 * unwarned / others;
    ck_assert_msg(share > 1.1 && share < 1.9, "%.2f %% churned unwarned", share);
    share = 100.0 * ports / churns;
    ck_assert_msg(share > 65 && share < 75, "%.1f %% port-outs", share);
    ck_assert_uint_gt(recyclable, 400);
    share = 100.0 * recycled / recyclable;
    ck_assert_msg(share > 3 && share < 7, "%.1f %% recycled", share);
    ck_assert_uint_eq(
        model.churn_cnt[CW_GEN_WHY_DRIFT] + model.churn_cnt[CW_GEN_WHY_UNWARNED], churns);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(churn_comes_the_lag_after_the_drift)
{
    cw_gen_opts_t opts = full_opts(5000);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    int seen[CW_GEN_WHY_UNWARNED + 1] = {0};
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->drift != 0) {
            /* spread over the run, never the first week */
            ck_assert_int_ge(sub->drift_week, 1);
            ck_assert_int_lt(sub->drift_week, opts.weeks);
        }
        if (sub->churn_kind == 0) {
            if (sub->drift_end_week != 0) {
                int keep = sub->drift_end_week - sub->drift_week;
                ck_assert_int_ge(keep, CHURN_KEEP_MIN_WEEKS);
                ck_assert_int_le(keep, CHURN_KEEP_MAX_WEEKS);
            }
            continue;
        }
        seen[sub->churn_why]++;
        ck_assert_int_lt(sub->churn_day, 7 * opts.weeks);
        ck_assert_int_eq(sub->drift_end_week, 0); /* churners drift to the end */
        int64_t ts = cw_gen_churn_ts(&model, i);
        int64_t start = cw_gen_day_start_ms(&model, sub->churn_day);
        ck_assert_int_ge(ts, start + 9 * 3600000LL);
        ck_assert_int_lt(ts, start + 19 * 3600000LL);
        switch ((cw_gen_why_t)sub->churn_why) {
        case CW_GEN_WHY_DRIFT: {
            int lag = sub->churn_day / 7 - sub->drift_week;
            ck_assert_int_ge(lag, opts.churn_lag_min);
            ck_assert_int_le(lag, opts.churn_lag_max);
            break;
        }
        case CW_GEN_WHY_SLOW: {
            /* after the month in which all its items show, within 35 days */
            int32_t full_end = cw_gen_month_first_day(cw_gen_slow_month(sub) + 3) - 1;
            int32_t day = opts.start_day + sub->churn_day;
            ck_assert_int_gt(day, full_end);
            ck_assert_int_le(day, full_end + CHURN_SLOW_MAX_DAYS);
            break;
        }
        case CW_GEN_WHY_UNWARNED:
            ck_assert_uint_eq(sub->drift, 0);
            ck_assert_uint_eq(sub->slow, 0);
            ck_assert_int_ge(sub->churn_day, 7);
            break;
        default:
            ck_abort_msg("churn without a why");
        }
        if (sub->recycle_day != 0) {
            int gap = sub->recycle_day - sub->churn_day;
            ck_assert_int_ge(gap, CHURN_RECYCLE_MIN_DAYS);
            ck_assert_int_le(gap, CHURN_RECYCLE_MAX_DAYS);
            ck_assert_int_gt(cw_gen_churn_recycle_ts(&model, i), ts);
        }
    }
    ck_assert_int_gt(seen[CW_GEN_WHY_DRIFT], 200);
    ck_assert_int_gt(seen[CW_GEN_WHY_SLOW], 50);
    ck_assert_int_gt(seen[CW_GEN_WHY_UNWARNED], 20);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(nothing_after_a_churn_but_a_recycled_number)
{
    cw_gen_opts_t opts = full_opts(3000);
    opts.recycle_pct = 30; /* enough recycled numbers to look at */
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    int churned = 0, recycled = 0, recycled_active = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        const sub_run_t *run = &runs[i];
        ck_assert_int_eq(run->after_churn, 0);
        if (sub->churn_kind == 0) {
            ck_assert_int_eq(run->churns, 0);
            continue;
        }
        churned++;
        ck_assert_int_eq(run->churns, 1);
        ck_assert_int_eq(run->churn_ts, cw_gen_churn_ts(&model, i));
        if (sub->recycle_day == 0) {
            ck_assert_int_eq(run->recycle_ts, 0);
            continue;
        }
        recycled++;
        /* the fresh profile is later than the churn: it clears the mark */
        ck_assert_int_eq(run->recycle_ts, cw_gen_churn_recycle_ts(&model, i));
        ck_assert_int_gt(run->recycle_ts, run->churn_ts);
        int last_week = opts.weeks - 1;
        recycled_active +=
            sub->recycle_day / 7 < last_week && run->week[last_week].voice_s > 0;
    }
    ck_assert_int_gt(churned, 200);
    ck_assert_int_gt(recycled, 30);
    ck_assert_int_gt(recycled_active, recycled / 2); /* and the new owner calls */
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(kept_drifters_recover)
{
    cw_gen_opts_t opts = full_opts(4000);
    opts.monthly = false;
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    int checked = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->drift_end_week == 0 || !(sub->drift & (1u << CW_GEN_DRIFT_FWD_RIVAL)))
            continue;
        /* forwards to the rival line while drifting, none after */
        checked++;
        for (int w = 0; w < opts.weeks; w++) {
            bool drifting = w >= sub->drift_week && w < sub->drift_end_week;
            if (drifting)
                ck_assert_int_gt(runs[i].week[w].rival_fwd_calls, 0);
            else
                ck_assert_int_eq(runs[i].week[w].rival_fwd_calls, 0);
        }
    }
    ck_assert_int_gt(checked, 20);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(truth_matches_the_traffic)
{
    cw_gen_opts_t opts = full_opts(2000);
    cw_gen_model_t model;
    char err[128];
    size_t len;
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    char *text = truth_text(&model, &len);
    char *line = text;
    int32_t first_week = cw_week_of_day(opts.start_day);
    uint32_t i = 0, churns = 0, slow = 0;
    for (char *end; (end = strchr(line, '\n')) != NULL; line = end + 1, i++) {
        json_error_t jerr;
        json_t *t = json_loadb(line, (size_t)(end - line), 0, &jerr);
        ck_assert_msg(t != NULL, "line %u: %s", i, jerr.text);
        ck_assert_uint_lt(i, model.sub_cnt);
        const cw_gen_sub_t *sub = &model.subs[i];
        const sub_run_t *run = &runs[i];
        char number[24], label[CW_WEEK_LABEL_SIZE];
        number[cw_gen_format_key(sub->msisdn, number)] = '\0';
        ck_assert_str_eq(json_string_value(json_object_get(t, "msisdn")), number);

        json_t *churn = json_object_get(t, "churn");
        ck_assert_ptr_nonnull(churn); /* present, null or not */
        if (run->churns == 0) {
            ck_assert(json_is_null(churn));
        } else {
            churns++;
            ck_assert(json_is_object(churn));
            ck_assert_int_eq(json_integer_value(json_object_get(churn, "ts")),
                             run->churn_ts);
            char date[11];
            cw_date_format_ymd(cw_week_local_day(run->churn_ts, opts.utc_offset_s), date);
            ck_assert_str_eq(json_string_value(json_object_get(churn, "date")), date);
            cw_week_label(cw_week_of_ms(run->churn_ts, opts.utc_offset_s), label);
            ck_assert_str_eq(json_string_value(json_object_get(churn, "week")), label);
            const char *kind = json_string_value(json_object_get(churn, "kind"));
            json_t *to = json_object_get(churn, "to_operator");
            ck_assert(strcmp(kind, "port_out") == 0 ? json_is_string(to)
                                                    : json_is_null(to));
            ck_assert_str_eq(kind, cw_gen_churn_kind_names[sub->churn_kind - 1]);
            const char *why = json_string_value(json_object_get(churn, "why"));
            if (sub->drift != 0) {
                /* the drift kinds, joined by '+' */
                char kinds[128] = "";
                size_t k;
                json_t *kind_json;
                json_array_foreach(json_object_get(t, "drift"), k, kind_json)
                {
                    if (k > 0)
                        strcat(kinds, "+");
                    strcat(kinds, json_string_value(kind_json));
                }
                ck_assert_str_eq(why, kinds);
                ck_assert_int_eq(json_integer_value(json_object_get(churn, "lag_weeks")),
                                 cw_week_of_ms(run->churn_ts, opts.utc_offset_s) -
                                     (first_week + sub->drift_week));
            } else if (sub->slow != 0) {
                ck_assert_str_eq(why, "slow_drift");
            } else {
                ck_assert_str_eq(why, "unwarned");
                ck_assert(json_is_null(json_object_get(churn, "lag_weeks")));
            }
            json_t *recycled = json_object_get(churn, "recycled");
            if (run->recycle_ts == 0)
                ck_assert(json_is_null(recycled));
            else
                ck_assert_int_eq(json_integer_value(json_object_get(recycled, "ts")),
                                 run->recycle_ts);
        }
        json_t *end_week = json_object_get(t, "drift_end_week");
        ck_assert_ptr_nonnull(end_week);
        ck_assert(json_is_null(end_week) == (sub->drift_end_week == 0));

        json_t *drift = json_object_get(t, "slow_drift");
        ck_assert_ptr_nonnull(drift);
        if (sub->slow == 0) {
            ck_assert(json_is_null(drift));
        } else {
            slow++;
            char month[8];
            cw_gen_month_label(cw_gen_month_of_day(sub->slow_start), month);
            ck_assert_str_eq(json_string_value(json_object_get(drift, "from_month")),
                             month);
            cw_gen_month_label(cw_gen_month_of_day(sub->slow_start) + 2, month);
            ck_assert_str_eq(json_string_value(json_object_get(drift, "full_month")),
                             month);
            json_t *items = json_object_get(drift, "items");
            int points = 0;
            size_t k;
            json_t *item;
            json_array_foreach(items, k, item)
            {
                size_t j = 0;
                while (j < SLOW_ITEM_CNT &&
                       strcmp(slow_items[j].name, json_string_value(item)) != 0)
                    j++;
                ck_assert_uint_lt(j, SLOW_ITEM_CNT);
                ck_assert(sub->slow & (1u << slow_items[j].symptom));
                points += slow_items[j].points;
            }
            ck_assert_int_eq(json_integer_value(json_object_get(drift, "points")),
                             points);
            ck_assert_int_ge(points, SLOW_MIN_POINTS);
            /* its first drifting month is where its spend starts to fall */
            int mi = cw_gen_month_of_day(sub->slow_start) -
                     cw_gen_month_of_day(opts.start_day);
            ck_assert_int_ge(mi, 1);
        }
        json_decref(t);
    }
    ck_assert_uint_eq(i, model.sub_cnt);
    ck_assert_uint_gt(churns, 100);
    ck_assert_uint_eq(slow, model.slow_cnt);
    ck_assert_uint_gt(slow, 80);
    free(text);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

/* 30 and 26 weeks from the first of a month: six whole months or more */
static const int slow_weeks[] = {30, 26};

START_TEST(slow_drifters_are_the_share_asked_for)
{
    cw_gen_opts_t opts = full_opts(10000);
    cw_gen_model_t model;
    char err[128];
    opts.weeks = slow_weeks[_i];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    ck_assert_uint_eq(model.slow_cnt, 600);
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->slow == 0)
            continue;
        cnt++;
        ck_assert(watched(sub));
        ck_assert_uint_eq(sub->drift, 0);
        ck_assert(sub->slow & (1u << CW_GEN_SLOW_SPEND));
        /* months: three whole ones before it, its first three in the run */
        int32_t first = cw_gen_month_first_day(cw_gen_month_of_day(opts.start_day));
        ck_assert_int_eq(first, opts.start_day);
        int32_t month = cw_gen_slow_month(sub);
        ck_assert_int_ge(month, cw_gen_month_of_day(opts.start_day) + 3);
        ck_assert_int_le(cw_gen_month_first_day(month + 3),
                         opts.start_day + 7 * opts.weeks);
    }
    ck_assert_uint_eq(cnt, model.slow_cnt);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(slow_drifters_spend_falls_month_over_month)
{
    cw_gen_opts_t opts = full_opts(3000);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    int32_t first_month = cw_gen_month_of_day(opts.start_day);
    int pairs = 0, falls = 0;
    int64_t sum[4] = {0};
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->slow == 0 || sub->churn_kind != 0)
            continue;
        int mi = cw_gen_slow_month(sub) - first_month;
        /* the last month before the drift and its first three */
        for (int k = 0; k < 4; k++)
            sum[k] += runs[i].month[mi - 1 + k].spend;
        for (int k = 0; k < 3; k++) {
            pairs++;
            falls += runs[i].month[mi + k].spend < runs[i].month[mi - 1 + k].spend;
        }
        /* by its third month, well below where it started */
        ck_assert_int_lt(runs[i].month[mi + 2].spend * 100,
                         runs[i].month[mi - 1].spend * 85);
    }
    ck_assert_int_gt(pairs, 150);
    ck_assert_msg(falls * 100 >= pairs * 97, "spend fell in %d of %d months", falls,
                  pairs);
    for (int k = 1; k < 4; k++)
        ck_assert_int_lt(sum[k], sum[k - 1]);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(slow_drifters_stay_under_the_weekly_thresholds)
{
    cw_gen_opts_t opts = full_opts(3000);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    int weeks = 0, usage_drops = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->slow == 0)
            continue;
        int last = sub->churn_kind != 0 ? sub->churn_day / 7 : opts.weeks;
        for (int w = 1; w < last; w++) {
            const sub_week_t *now = &runs[i].week[w], *prev = &runs[i].week[w - 1];
            weeks++;
            /* SPEC section 5's weekly triggers at their default thresholds */
            int fwd_days = 0;
            for (int d = 0; d < 7; d++)
                fwd_days += (now->fwd_rival_dows >> d) & 1;
            bool crossed = now->complaints >= 2 || now->serious + now->overdue > 0 ||
                           now->rival >= 2 || fwd_days >= 3 || now->downgrade > 0 ||
                           (prev->spend >= 2000 && now->spend * 100 < prev->spend * 50);
            if (crossed)
                ck_abort_msg("%llu week %d: complaints %d, rival calls %d, fwd days %d, "
                             "spend %lld after %lld",
                             (unsigned long long)sub->msisdn, w, now->complaints,
                             now->rival, fwd_days, (long long)now->spend,
                             (long long)prev->spend);
            usage_drops +=
                prev->voice_s >= 600 && now->voice_s * 100 < prev->voice_s * 50;
        }
    }
    ck_assert_int_gt(weeks, 3000);
    /* calls vary by nature: about as often as anyone's a week */
    ck_assert_msg(usage_drops * 200 < weeks, "%d usage drops in %d weeks", usage_drops,
                  weeks);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(slow_drifters_make_their_items_true)
{
    cw_gen_opts_t opts = full_opts(3000);
    cw_gen_model_t model;
    char err[128];
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, NULL);
    int32_t first_month = cw_gen_month_of_day(opts.start_day);
    int scored = 0, others = 0, others_over = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        int score;
        if (sub->slow != 0) {
            int full = cw_gen_slow_month(sub) + 2 - first_month;
            if (sub->churn_kind != 0 &&
                opts.start_day + sub->churn_day <
                    cw_gen_month_first_day(first_month + full + 1))
                continue; /* gone before its items all show */
            uint32_t items = month_items(&runs[i], full, &score);
            uint32_t want = item_bits(sub->slow);
            ck_assert_msg((items & want) == want, "%llu: items 0x%x, meant 0x%x",
                          (unsigned long long)sub->msisdn, items, want);
            ck_assert_int_ge(score, 10);
            /* and never before its drift */
            month_items(&runs[i], cw_gen_slow_month(sub) - 1 - first_month, &score);
            ck_assert_int_lt(score, 10);
            scored++;
        } else if (sub->drift == 0 && sub->churn_kind == 0 && watched(sub)) {
            /* the others stay below the threshold, but for chance */
            for (int mi = 1; mi < 6; mi++) {
                others++;
                month_items(&runs[i], mi, &score);
                others_over += score >= 10;
            }
        }
    }
    ck_assert_int_gt(scored, 100);
    ck_assert_int_gt(others, 3000);
    ck_assert_msg(others_over * 100 < others, "%d of %d months over the threshold",
                  others_over, others);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

START_TEST(monthly_rhythms_show_in_every_type)
{
    cw_gen_opts_t opts = full_opts(2000);
    cw_gen_model_t model;
    char err[128];
    uint64_t types[CW_GEN_TYPE_CNT] = {0};
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    sub_run_t *runs = run_model(&model, types);
    for (int t = 0; t < CW_GEN_TYPE_CNT; t++)
        ck_assert_msg(types[t] > 10, "%llu %s", (unsigned long long)types[t],
                      cw_gen_type_names[t]);
    /* the rental deducted daily adds up to the plan's fee in a whole month */
    int checked = 0;
    for (uint32_t i = 0; i < model.sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model.subs[i];
        if (sub->drift != 0 || sub->churn_kind != 0 || !sub->billed)
            continue;
        for (int mi = 0; mi < 6; mi++)
            ck_assert_int_eq(runs[i].month[mi].rental, sub->plan_fee_fen);
        checked++;
    }
    ck_assert_int_gt(checked, 1000);
    free(runs);
    cw_gen_model_free(&model);
}
END_TEST

static bool str_in(json_t *value, const char *const *names, size_t cnt)
{
    const char *text = json_string_value(value);
    for (size_t k = 0; text != NULL && k < cnt; k++)
        if (strcmp(text, names[k]) == 0)
            return true;
    return false;
}

static bool nonneg_int(json_t *value)
{
    return json_is_integer(value) && json_integer_value(value) >= 0;
}

/* SPEC section 3's own fields of the new types, as the daemon checks them
 * (charge: the items --monthly writes). */
static bool new_fields_ok(json_t *event)
{
    static const char *const kinds[] = {"port_out", "cancel"};
    /* operators named as in config/rival_prefixes.txt */
    static const char *const operators[] = {"chinaunicom", "chinatelecom"};
    static const char *const reasons[] = {"arrears", "request", "loss_report"};
    static const char *const channels[] = {"vip", "hall", "hotline"};
    const char *type = json_string_value(json_object_get(event, "type"));
    if (strcmp(type, "churn") == 0) {
        json_t *to = json_object_get(event, "to_operator");
        return str_in(json_object_get(event, "kind"), kinds, 2) &&
               (to == NULL || str_in(to, operators, 2));
    }
    if (strcmp(type, "suspend") == 0)
        return str_in(json_object_get(event, "reason"), reasons, 3);
    if (strcmp(type, "arrears") == 0)
        return nonneg_int(json_object_get(event, "owed_fen")) &&
               nonneg_int(json_object_get(event, "months"));
    if (strcmp(type, "fault") == 0) {
        json_t *level = json_object_get(event, "level");
        return json_is_integer(level) && json_integer_value(level) >= 1 &&
               json_integer_value(level) <= 3;
    }
    if (strcmp(type, "service") == 0)
        return str_in(json_object_get(event, "channel"), channels, 3);
    if (strcmp(type, "subscribe") == 0) {
        const char *service = json_string_value(json_object_get(event, "service"));
        json_t *fee = json_object_get(event, "fee_fen");
        return service != NULL && strlen(service) >= 1 && strlen(service) <= 64 &&
               (fee == NULL || nonneg_int(fee));
    }
    if (strcmp(type, "charge") == 0) {
        const char *item = json_string_value(json_object_get(event, "item"));
        return nonneg_int(json_object_get(event, "charge_fen")) && item != NULL &&
               (strcmp(item, "rental") == 0 || strncmp(item, "vas:", 4) == 0);
    }
    return true;
}

START_TEST(new_types_carry_their_spec_fields_on_their_topics)
{
    cw_gen_opts_t opts = full_opts(3000);
    cw_gen_model_t model;
    cw_gen_day_t day;
    char err[128], *buf = malloc(CW_GEN_TEXT_MAX);
    memset(&day, 0, sizeof(day));
    ck_assert_int_eq(cw_gen_model_build(&model, &opts, err, sizeof(err)), 0);
    uint64_t n = 0, seen = 0;
    for (int d = 0; d < 7 * opts.weeks; d += 3) {
        ck_assert_int_eq(cw_gen_traffic_day(&model, d, &day), 0);
        for (size_t k = 0; k < day.cnt; k++, n++) {
            const cw_gen_rec_t *rec = &day.recs[k];
            if (rec->type < CW_GEN_CHARGE || rec->type == CW_GEN_PLAN_CHANGE ||
                rec->type == CW_GEN_COMPLAINT || rec->type == CW_GEN_PROFILE)
                continue;
            size_t len =
                cw_gen_format_event(&model, rec, model.subs[rec->sub].msisdn, n, buf);
            json_t *event = parse(buf, len);
            bool ok = json_is_object(event) && new_fields_ok(event);
            if (ok && rec->type == CW_GEN_CHARGE && rec->a >= CW_GEN_ITEM_VAS)
                ok = strcmp(json_string_value(json_object_get(event, "item")) + 4,
                            cw_gen_vas_names[rec->a - CW_GEN_ITEM_VAS]) == 0;
            json_decref(event);
            if (!ok) /* no ck_assert per record: each writes to the runner */
                ck_abort_msg("%.*s", (int)len, buf);
            seen++;
            /* billing's own, and CRM's */
            int topic = cw_gen_topic_of((cw_gen_type_t)rec->type);
            bool billing = rec->type == CW_GEN_CHARGE || rec->type == CW_GEN_SUSPEND ||
                           rec->type == CW_GEN_ARREARS || rec->type == CW_GEN_SUBSCRIBE;
            if (topic != (billing ? CW_GEN_TOPIC_BILLING : CW_GEN_TOPIC_CRM))
                ck_abort_msg("%s on topic %d", cw_gen_type_names[rec->type], topic);
            /* a bad field of these types is bad the SPEC's way */
            for (int variant = 0; variant < 2; variant++) {
                variant_t v;
                memset(&v, 0, sizeof(v));
                v.bad_field = 5 + variant;
                len = format_core(&model, rec, model.subs[rec->sub].msisdn, n, &v, buf);
                event = parse(buf, len);
                ok = json_is_object(event) && !new_fields_ok(event);
                json_decref(event);
                if (!ok)
                    ck_abort_msg("not a bad field: %.*s", (int)len, buf);
            }
        }
    }
    ck_assert_uint_gt(seen, 10000);
    cw_gen_day_free(&day);
    cw_gen_model_free(&model);
    free(buf);
}
END_TEST

static Suite *gen_suite(void)
{
    Suite *s = suite_create("gen_model");
    TCase *pinned = tcase_create("default_pinned");
    tcase_add_test(pinned, default_traffic_is_byte_identical_to_before);
    tcase_add_test(pinned, default_truth_is_byte_identical_to_before);
    tcase_add_test(pinned, new_models_are_off_unless_asked_for);
    suite_add_tcase(s, pinned);
    TCase *churn = tcase_create("churn");
    tcase_add_test(churn, churn_shares_are_respected);
    tcase_add_test(churn, churn_comes_the_lag_after_the_drift);
    tcase_add_test(churn, nothing_after_a_churn_but_a_recycled_number);
    tcase_add_test(churn, kept_drifters_recover);
    tcase_add_test(churn, truth_matches_the_traffic);
    tcase_set_timeout(churn, 120);
    suite_add_tcase(s, churn);
    TCase *monthly = tcase_create("monthly");
    tcase_add_loop_test(monthly, slow_drifters_are_the_share_asked_for, 0,
                        (int)(sizeof(slow_weeks) / sizeof(slow_weeks[0])));
    tcase_add_test(monthly, slow_drifters_spend_falls_month_over_month);
    tcase_add_test(monthly, slow_drifters_stay_under_the_weekly_thresholds);
    tcase_add_test(monthly, slow_drifters_make_their_items_true);
    tcase_add_test(monthly, monthly_rhythms_show_in_every_type);
    tcase_add_test(monthly, new_types_carry_their_spec_fields_on_their_topics);
    tcase_set_timeout(monthly, 120);
    suite_add_tcase(s, monthly);
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
