/* Integration: GET /metrics (SPEC section 9) is valid Prometheus text and
 * counts exactly the traffic the daemon was given. One daemon run on two
 * partitions a topic takes a known set of records:
 *   - events of every type, for subscribers spread over both partitions;
 *   - one bad record for each DLQ reason of SPEC section 8;
 *   - a red, a yellow and (at the week close) a blue alert;
 *   - a clock event per partition that closes the week on both;
 * then, once everything is applied, published and the lag is 0, /metrics is
 * scraped. Each test checks one family against what was sent, and against
 * what reached the alert and DLQ topics. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "event.h"
#include "harness.h"
#include "harness_ops.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define PARTITIONS 2
#define WAIT_MS 30000
#define LATE_GRACE_MS (6 * HOUR) /* the default */

#define RED "13800600001"    /* high, two complaints */
#define YELLOW "13800600002" /* mid, far subsidy, a plan downgrade */
#define BLUE "13800600003"   /* high, one call: blue at the week close */
#define OTHERS 6             /* no profile: counted, never alerted */
#define CLOCK_FORMAT "1390060%04d"

static cw_harness_t *h;
static int32_t week; /* two weeks ago: its close is in the past */
static int64_t started_ms;
static char clock_msisdn[PARTITIONS][24];
static int64_t clock_ts[PARTITIONS];
static size_t input_records; /* every record sent to an input topic */
static char *metrics_text;   /* the final scrape */
static cw_harness_msgs_t alerts, dead_letters;

/* events sent by type, the expectation of cdrwarn_events_total */
static const char *const types[] = {"voice",   "sms",     "data",    "charge",  "plan_change",
                                    "complaint", "profile", "churn", "suspend", "arrears",
                                    "fault",   "service", "subscribe"};
static int sent_by_type[sizeof types / sizeof types[0]];
static const char *const reasons[] = {"invalid_json", "not_object",   "missing_field",
                                      "bad_field",    "unknown_type", "bad_msisdn",
                                      "future_ts",    "too_old",      "too_large"};

static void other_msisdn(int i, char out[24])
{
    snprintf(out, 24, "1380061%04d", i);
}

static int64_t at(int day, int hour)
{
    return cw_week_start_ms(week, UTC8) + day * CW_MS_PER_DAY + hour * HOUR;
}

static int event(const char *topic, const char *msisdn, const char *type, int64_t ts,
                 const char *fields)
{
    CW_HARNESS_STEP(h,
                    cw_harness_send_event(h, topic, msisdn, type, ts, "%s", fields) < 0);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        if (strcmp(types[t], type) == 0)
            sent_by_type[t]++;
    input_records++;
    return 0;
}

static int bad(const char *topic, const char *key, const char *value)
{
    CW_HARNESS_STEP(h, cw_harness_send(h, topic, key, value, strlen(value)) < 0);
    input_records++;
    return 0;
}

static int send_good(void)
{
    char far_subsidy[11], json[128];
    cw_date_format_ymd(cw_week_last_day(week) + 800, far_subsidy);
    int rc = 0;
    rc |= event(CW_HARNESS_TOPIC_CRM, RED, "profile", at(0, 9),
                ",\"tier\":\"high\",\"subsidy_end\":null");
    rc |= event(CW_HARNESS_TOPIC_CRM, RED, "complaint", at(1, 9),
                ",\"severity\":\"normal\"");
    rc |= event(CW_HARNESS_TOPIC_CRM, RED, "complaint", at(2, 9),
                ",\"severity\":\"normal\"");
    snprintf(json, sizeof json, ",\"tier\":\"mid\",\"subsidy_end\":\"%s\"", far_subsidy);
    rc |= event(CW_HARNESS_TOPIC_CRM, YELLOW, "profile", at(0, 9), json);
    rc |= event(CW_HARNESS_TOPIC_BILLING, YELLOW, "plan_change", at(1, 10),
                ",\"from_fee_fen\":12800,\"to_fee_fen\":5800");
    rc |= event(CW_HARNESS_TOPIC_CRM, BLUE, "profile", at(0, 9), ",\"tier\":\"high\"");
    rc |= event(CW_HARNESS_TOPIC_CDR, BLUE, "voice", at(1, 11),
                ",\"direction\":\"mo\",\"peer\":\"13800000999\",\"duration_s\":60");
    for (int i = 0; i < OTHERS; i++) {
        char msisdn[24];
        other_msisdn(i, msisdn);
        rc |= event(CW_HARNESS_TOPIC_CDR, msisdn, "voice", at(1, 12) + i * 1000,
                    ",\"direction\":\"mt\",\"peer\":\"13800000998\",\"duration_s\":30,"
                    "\"charge_fen\":0");
        rc |= event(CW_HARNESS_TOPIC_CDR, msisdn, "sms", at(1, 13) + i * 1000,
                    ",\"direction\":\"mo\",\"peer\":\"13800000998\",\"charge_fen\":10");
        rc |= event(CW_HARNESS_TOPIC_CDR, msisdn, "data", at(2, 13) + i * 1000,
                    ",\"bytes\":1000,\"charge_fen\":20");
        if (i < 2)
            rc |= event(CW_HARNESS_TOPIC_BILLING, msisdn, "charge", at(3, 8) + i * 1000,
                        ",\"charge_fen\":500,\"item\":\"rental\"");
    }
    return rc;
}

/* One record for each reason; too_old follows a good record on its topic
 * and partition, so that partition has a stream time. */
static int send_bad(void)
{
    char other[24], value[512];
    other_msisdn(0, other);
    int64_t now = cw_harness_now_ms();
    int rc = 0;
    rc |= bad(CW_HARNESS_TOPIC_CDR, other, "{\"event_id\":\"x\",\"type\":");
    rc |= bad(CW_HARNESS_TOPIC_CRM, other, "[1,2]");
    rc |= bad(CW_HARNESS_TOPIC_CDR, other,
              "{\"event_id\":\"m\",\"type\":\"data\",\"msisdn\":\"13800610000\"}");
    snprintf(value, sizeof value,
             "{\"event_id\":\"b\",\"type\":\"voice\",\"msisdn\":\"%s\",\"ts\":%lld,"
             "\"direction\":\"sideways\",\"peer\":\"13800000999\",\"duration_s\":5}",
             other, (long long)at(1, 9));
    rc |= bad(CW_HARNESS_TOPIC_CDR, other, value);
    snprintf(value, sizeof value,
             "{\"event_id\":\"u\",\"type\":\"fax\",\"msisdn\":\"%s\",\"ts\":%lld}", other,
             (long long)at(1, 9));
    rc |= bad(CW_HARNESS_TOPIC_CRM, other, value);
    snprintf(value, sizeof value,
             "{\"event_id\":\"n\",\"type\":\"data\",\"msisdn\":\"12\",\"ts\":%lld,"
             "\"bytes\":1}",
             (long long)at(1, 9));
    rc |= bad(CW_HARNESS_TOPIC_CDR, other, value);
    snprintf(value, sizeof value,
             "{\"event_id\":\"f\",\"type\":\"charge\",\"msisdn\":\"%s\",\"ts\":%lld,"
             "\"charge_fen\":100}",
             other, (long long)(now + 24 * HOUR));
    rc |= bad(CW_HARNESS_TOPIC_BILLING, other, value);
    snprintf(value, sizeof value,
             "{\"event_id\":\"o\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":%lld,"
             "\"bytes\":1}",
             other, (long long)(cw_week_start_ms(week - 9, UTC8) + CW_MS_PER_DAY));
    rc |= bad(CW_HARNESS_TOPIC_CDR, other, value);
    size_t big_len = 70000;
    char *big = malloc(big_len + 1);
    if (big == NULL)
        return -1;
    int head = snprintf(big, big_len,
                        "{\"event_id\":\"l\",\"type\":\"data\",\"msisdn\":\"%s\","
                        "\"ts\":%lld,\"bytes\":1,\"note\":\"",
                        other, (long long)at(1, 9));
    memset(big + head, 'x', big_len - (size_t)head - 2);
    memcpy(big + big_len - 2, "\"}", 3);
    rc |= bad(CW_HARNESS_TOPIC_CRM, other, big);
    free(big);
    return rc;
}

/* A number of one's own on each partition, whose data event closes the
 * week there. */
static int send_clocks(void)
{
    int found = 0;
    for (int i = 0; i < 1000 && found < PARTITIONS; i++) {
        char msisdn[24];
        snprintf(msisdn, sizeof msisdn, CLOCK_FORMAT, i);
        int32_t p = cw_harness_partition_of(msisdn, PARTITIONS);
        if (clock_msisdn[p][0] != '\0')
            continue;
        snprintf(clock_msisdn[p], sizeof clock_msisdn[p], "%s", msisdn);
        found++;
    }
    if (found < PARTITIONS)
        return cw_harness_ops_failf(h, "no number for every partition");
    for (int p = 0; p < PARTITIONS; p++) {
        clock_ts[p] = cw_week_end_ms(week, UTC8) + LATE_GRACE_MS + 60000 + p * 1000;
        if (event(CW_HARNESS_TOPIC_CDR, clock_msisdn[p], "data", clock_ts[p],
                  ",\"bytes\":1") != 0)
            return -1;
    }
    return 0;
}

static int barrier(void)
{
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    return 0;
}

/* Until every consumer_lag sample is 0 (the high watermarks the daemon knows
 * catch up with a fetch); keeps the last scrape's text either way. */
static int scrape_caught_up(void)
{
    char last[256] = "";
    for (int waited = 0; waited <= WAIT_MS; waited += 100) {
        int status = 0;
        free(metrics_text);
        metrics_text = NULL;
        CW_HARNESS_STEP(h, cw_harness_http_get(h, "/metrics", &status, &metrics_text));
        cw_scrape_t scrape;
        if (status != 200 || cw_scrape_parse(metrics_text, &scrape) != 0)
            return 0; /* the tests report it */
        int samples = 0, behind = 0;
        for (size_t i = 0; i < scrape.sample_count; i++) {
            const cw_scrape_sample_t *s = &scrape.samples[i];
            if (strcmp(s->name, "cdrwarn_consumer_lag") != 0)
                continue;
            samples++;
            if (s->value != 0) {
                behind++;
                snprintf(last, sizeof last, "%.200s %g", s->series, s->value);
            }
        }
        cw_scrape_free(&scrape);
        if (samples == 3 * PARTITIONS && behind == 0)
            return 0;
        if (samples != 3 * PARTITIONS)
            snprintf(last, sizeof last, "%d lag samples", samples);
        cw_harness_sleep_ms(100);
    }
    return cw_harness_ops_failf(h, "consumer lag not 0 within %d ms: %s", WAIT_MS, last);
}

static int play(void)
{
    started_ms = cw_harness_now_ms();
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    if (send_good() != 0 || send_bad() != 0 || barrier() != 0)
        return -1;
    if (send_clocks() != 0 || barrier() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_closed(h, week, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    CW_HARNESS_STEP(
        h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 3, WAIT_MS, &alerts));
    CW_HARNESS_STEP(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ,
                                             sizeof reasons / sizeof reasons[0], WAIT_MS,
                                             &dead_letters));
    return scrape_caught_up();
}

static void setup(void)
{
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    h = cw_harness_new("ops-metrics");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    free(metrics_text);
    metrics_text = NULL;
    cw_harness_msgs_free(&alerts);
    cw_harness_msgs_free(&dead_letters);
    cw_harness_free(h);
    h = NULL;
}

/* ---- reading the scrape --------------------------------------------- */

static cw_scrape_t scraped(void)
{
    cw_scrape_t scrape;
    CW_HARNESS_ASSERT(h, metrics_text != NULL, "no /metrics text was scraped");
    CW_HARNESS_ASSERT(h, cw_scrape_parse(metrics_text, &scrape) == 0, "%s",
                      cw_harness_ops_error());
    return scrape;
}

static double value_of(const cw_scrape_t *scrape, const char *series)
{
    const cw_scrape_sample_t *s = cw_scrape_find(scrape, series);
    CW_HARNESS_ASSERT(h, s != NULL, "/metrics has no sample %s", series);
    return s->value;
}

static void expect_value(const cw_scrape_t *scrape, const char *series, double want)
{
    double got = value_of(scrape, series);
    CW_HARNESS_ASSERT(h, got == want, "%s is %.17g, expected %.17g", series, got, want);
}

/* The family's samples carry exactly these label values, each once, with
 * these values. */
static void expect_family(const cw_scrape_t *scrape, const char *family,
                          const char *label, const char *const *names, const double *want,
                          size_t count)
{
    size_t seen = 0;
    for (size_t i = 0; i < scrape->sample_count; i++) {
        const cw_scrape_sample_t *s = &scrape->samples[i];
        if (strcmp(s->name, family) != 0)
            continue;
        const char *value = cw_scrape_label(s, label);
        CW_HARNESS_ASSERT(h, value != NULL && s->label_count == 1,
                          "%s: sample without just the label %s", s->series, label);
        size_t k = 0;
        while (k < count && strcmp(names[k], value) != 0)
            k++;
        CW_HARNESS_ASSERT(h, k < count, "%s: %s=\"%s\" is not one the SPEC names",
                          s->series, label, value);
        CW_HARNESS_ASSERT(h, s->value == want[k], "%s is %g, expected %g", s->series,
                          s->value, want[k]);
        seen++;
    }
    CW_HARNESS_ASSERT(h, seen == count, "%s has %zu samples, expected %zu", family, seen,
                      count);
}

/* ---- the tests ------------------------------------------------------ */

START_TEST(metrics_text_parses_strictly_and_every_family_has_help_and_type)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    static const char *const required[] = {"cdrwarn_events_total",
                                           "cdrwarn_dlq_records_total",
                                           "cdrwarn_alerts_total",
                                           "cdrwarn_alerts_delivered_total",
                                           "cdrwarn_batches_total",
                                           "cdrwarn_batch_latency_seconds",
                                           "cdrwarn_redis_roundtrips_total",
                                           "cdrwarn_redis_errors_total",
                                           "cdrwarn_redis_up",
                                           "cdrwarn_week_closes_total",
                                           "cdrwarn_consumer_lag",
                                           "cdrwarn_stream_time_seconds",
                                           "cdrwarn_reloads_total",
                                           "cdrwarn_records_consumed_total",
                                           "cdrwarn_records_replayed_total"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const cw_scrape_family_t *f = cw_scrape_family(&scrape, required[i]);
        CW_HARNESS_ASSERT(h, f != NULL && f->has_help && f->has_type && f->samples > 0,
                          "/metrics has no family %s with HELP, TYPE and samples",
                          required[i]);
    }
    for (size_t i = 0; i < scrape.family_count; i++) {
        const cw_scrape_family_t *f = &scrape.families[i];
        size_t len = strlen(f->name);
        CW_HARNESS_ASSERT(h, strncmp(f->name, "cdrwarn_", 8) == 0,
                          "family %s lacks the cdrwarn_ prefix", f->name);
        /* Prometheus naming: counters and only counters end in _total */
        bool total = len > 6 && strcmp(f->name + len - 6, "_total") == 0;
        CW_HARNESS_ASSERT(h, total == (strcmp(f->type, "counter") == 0),
                          "family %s is a %s", f->name, f->type);
    }
    const cw_scrape_sample_t *build = NULL;
    for (size_t i = 0; i < scrape.sample_count && build == NULL; i++)
        if (strcmp(scrape.samples[i].name, "cdrwarn_build_info") == 0)
            build = &scrape.samples[i];
    CW_HARNESS_ASSERT(h,
                      build != NULL && build->value == 1 &&
                          cw_scrape_label(build, "version") != NULL,
                      "cdrwarn_build_info{version} 1 missing");
    double start = value_of(&scrape, "cdrwarn_start_time_seconds");
    CW_HARNESS_ASSERT(
        h, start >= started_ms / 1000.0 - 1 && start <= cw_harness_now_ms() / 1000.0,
        "cdrwarn_start_time_seconds %.3f is not the daemon's start", start);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(events_are_counted_by_type_exactly_as_sent)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    size_t n = sizeof types / sizeof types[0];
    ck_assert_int_eq(n, CW_EV__COUNT);
    double want[sizeof types / sizeof types[0]];
    for (size_t t = 0; t < n; t++)
        want[t] = sent_by_type[t];
    expect_family(&scrape, "cdrwarn_events_total", "type", types, want, n);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(dead_letters_are_counted_by_reason_as_they_reach_the_dlq_topic)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    size_t n = sizeof reasons / sizeof reasons[0];
    ck_assert_int_eq(n, CW_DLQ__COUNT - 1);
    double ones[sizeof reasons / sizeof reasons[0]];
    for (size_t r = 0; r < n; r++)
        ones[r] = 1;
    expect_family(&scrape, "cdrwarn_dlq_records_total", "reason", reasons, ones, n);
    CW_HARNESS_ASSERT(h, dead_letters.count == n,
                      "%zu records on the DLQ topic, expected %zu", dead_letters.count,
                      n);
    for (size_t r = 0; r < n; r++) {
        int on_topic = 0;
        for (size_t i = 0; i < dead_letters.count; i++) {
            const char *reason =
                cw_harness_msg_header(&dead_letters.items[i], "cdrwarn.reason");
            on_topic += reason != NULL && strcmp(reason, reasons[r]) == 0;
        }
        CW_HARNESS_ASSERT(h, on_topic == 1,
                          "%d DLQ records with reason %s, metric says 1", on_topic,
                          reasons[r]);
    }
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(alerts_are_counted_by_level_as_published_and_all_delivered)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    static const char *const levels[] = {"blue", "yellow", "red"};
    double on_topic[3] = {0, 0, 0};
    for (size_t i = 0; i < alerts.count; i++) {
        json_t *alert =
            json_loadb(alerts.items[i].value, alerts.items[i].value_len, 0, NULL);
        const char *level = json_string_value(json_object_get(alert, "level"));
        for (int l = 0; l < 3; l++)
            if (level != NULL && strcmp(level, levels[l]) == 0)
                on_topic[l]++;
        json_decref(alert);
    }
    CW_HARNESS_ASSERT(
        h, alerts.count == 3 && on_topic[0] == 1 && on_topic[1] == 1 && on_topic[2] == 1,
        "%zu alerts on the topic (%g blue, %g yellow, %g red), expected one "
        "of each",
        alerts.count, on_topic[0], on_topic[1], on_topic[2]);
    expect_family(&scrape, "cdrwarn_alerts_total", "level", levels, on_topic, 3);
    expect_value(&scrape, "cdrwarn_alerts_delivered_total", 3);
    expect_value(&scrape, "cdrwarn_outbox_pending", 0);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(every_record_consumed_is_counted_once_and_none_replayed)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    expect_value(&scrape, "cdrwarn_records_consumed_total", (double)input_records);
    expect_value(&scrape, "cdrwarn_records_replayed_total", 0);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(batch_latency_histogram_counts_every_batch_with_cumulative_buckets)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    double count = -1;
    CW_HARNESS_ASSERT(
        h, cw_scrape_histogram(&scrape, "cdrwarn_batch_latency_seconds", &count) == 0,
        "%s", cw_harness_ops_error());
    double batches = value_of(&scrape, "cdrwarn_batches_total");
    CW_HARNESS_ASSERT(h, batches > 0, "cdrwarn_batches_total is %g", batches);
    CW_HARNESS_ASSERT(h, count == batches,
                      "cdrwarn_batch_latency_seconds_count %g, cdrwarn_batches_total %g: "
                      "every batch committed has one latency",
                      count, batches);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(consumer_lag_is_0_for_every_input_partition_after_catch_up)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    static const char *const inputs[] = {CW_HARNESS_TOPIC_CDR, CW_HARNESS_TOPIC_BILLING,
                                         CW_HARNESS_TOPIC_CRM};
    for (size_t t = 0; t < 3; t++)
        for (int p = 0; p < PARTITIONS; p++) {
            char series[128];
            snprintf(series, sizeof series,
                     "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"}", inputs[t], p);
            expect_value(&scrape, series, 0);
        }
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(stream_time_is_the_newest_good_event_time_of_each_partition)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    for (int p = 0; p < PARTITIONS; p++) {
        char series[96];
        snprintf(series, sizeof series, "cdrwarn_stream_time_seconds{partition=\"%d\"}",
                 p);
        double got = value_of(&scrape, series);
        /* a future_ts record must not move it */
        CW_HARNESS_ASSERT(h, fabs(got - (double)clock_ts[p] / 1000.0) < 0.0005,
                          "%s is %.3f, expected %.3f", series, got,
                          (double)clock_ts[p] / 1000.0);
    }
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(each_partition_counts_one_week_close)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    expect_value(&scrape, "cdrwarn_week_closes_total", PARTITIONS);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(redis_and_kafka_gauges_and_counters_show_a_healthy_run)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape = scraped();
    expect_value(&scrape, "cdrwarn_redis_up", 1);
    expect_value(&scrape, "cdrwarn_redis_errors_total", 0);
    expect_value(&scrape, "cdrwarn_redis_reconnects_total", 1);
    expect_value(&scrape, "cdrwarn_redis_fenced_total", 0);
    expect_value(&scrape, "cdrwarn_produce_errors_total", 0);
    expect_value(&scrape, "cdrwarn_consumer_joined", 1);
    expect_value(&scrape, "cdrwarn_partitions_assigned", PARTITIONS);
    expect_value(&scrape, "cdrwarn_reloads_total{result=\"ok\"}", 0);
    expect_value(&scrape, "cdrwarn_reloads_total{result=\"failed\"}", 0);
    double roundtrips = value_of(&scrape, "cdrwarn_redis_roundtrips_total");
    double batches = value_of(&scrape, "cdrwarn_batches_total");
    /* a batch is at least a load and a commit */
    CW_HARNESS_ASSERT(h, roundtrips >= 2 * batches,
                      "cdrwarn_redis_roundtrips_total %g for %g batches", roundtrips,
                      batches);
    cw_scrape_free(&scrape);
}
END_TEST

START_TEST(the_log_never_shows_a_full_msisdn)
{
    CW_OPS_REQUIRE(h);
    const char *numbers[3 + OTHERS + PARTITIONS] = {RED, YELLOW, BLUE};
    char others[OTHERS][24];
    for (int i = 0; i < OTHERS; i++) {
        other_msisdn(i, others[i]);
        numbers[3 + i] = others[i];
    }
    for (int p = 0; p < PARTITIONS; p++)
        numbers[3 + OTHERS + p] = clock_msisdn[p];
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, numbers[i]),
                          "the daemon's log shows %s unmasked (SPEC section 9)",
                          numbers[i]);
}
END_TEST

static Suite *ops_metrics_suite(void)
{
    Suite *s = suite_create("ops_metrics");
    TCase *tc = tcase_create("known_traffic");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, metrics_text_parses_strictly_and_every_family_has_help_and_type);
    tcase_add_test(tc, events_are_counted_by_type_exactly_as_sent);
    tcase_add_test(tc, dead_letters_are_counted_by_reason_as_they_reach_the_dlq_topic);
    tcase_add_test(tc, alerts_are_counted_by_level_as_published_and_all_delivered);
    tcase_add_test(tc, every_record_consumed_is_counted_once_and_none_replayed);
    tcase_add_test(tc,
                   batch_latency_histogram_counts_every_batch_with_cumulative_buckets);
    tcase_add_test(tc, consumer_lag_is_0_for_every_input_partition_after_catch_up);
    tcase_add_test(tc, stream_time_is_the_newest_good_event_time_of_each_partition);
    tcase_add_test(tc, each_partition_counts_one_week_close);
    tcase_add_test(tc, redis_and_kafka_gauges_and_counters_show_a_healthy_run);
    tcase_add_test(tc, the_log_never_shows_a_full_msisdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
