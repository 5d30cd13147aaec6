/* Integration: every bad-input reason of SPEC section 8 ends on the DLQ topic
 * unchanged (same key, same value bytes) with the cdrwarn.* headers naming
 * the reason and the source record, is counted by reason in /metrics, and
 * neither stops the daemon nor touches any aggregate. One daemon run (two
 * partitions a topic) takes every record; each test checks one reason. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define PARTITIONS 2
#define WAIT_MS 30000
#define GOOD "13800200001"

static cw_harness_t *h;
static cw_harness_msgs_t dlq;

/* One bad record: what was sent, and the index of its delivery report. */
typedef struct bad {
    const char *name; /* the test's handle */
    const char *reason;
    const char *topic;
    const char *key; /* NULL: a record without a key */
    char *value;     /* owned */
    size_t len;
    int sent;
} bad_t;

static bad_t bads[16];
static int bad_count;
static int good_sent[2];

static int add_bad(const char *name, const char *reason, const char *topic,
                   const char *key, const char *value, size_t len)
{
    bad_t *b = &bads[bad_count++];
    b->name = name;
    b->reason = reason;
    b->topic = topic;
    b->key = key;
    b->value = malloc(len + 1);
    memcpy(b->value, value, len);
    b->value[len] = '\0';
    b->len = len;
    b->sent = cw_harness_send(h, topic, key, b->value, len);
    return b->sent < 0 ? -1 : 0;
}

static int add_badf(const char *name, const char *reason, const char *topic,
                    const char *key, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

static int add_badf(const char *name, const char *reason, const char *topic,
                    const char *key, const char *format, ...)
{
    char *value;
    va_list ap;
    va_start(ap, format);
    int len = vasprintf(&value, format, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    int rc = add_bad(name, reason, topic, key, value, (size_t)len);
    free(value);
    return rc;
}

static int send_records(void)
{
    int64_t now = cw_harness_now_ms();
    int64_t good_ts = now - 3600000;
    int32_t stream_week = cw_week_of_ms(good_ts, UTC8);
    /* the good event sets the partition's stream time; the too_old record
     * follows it on the same topic and partition (same key) */
    good_sent[0] = cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, GOOD, "data", good_ts,
                                         ",\"bytes\":10,\"charge_fen\":11");
    if (good_sent[0] < 0)
        return -1;
    static const char binary[] = "\xff\xfe{\"a\":\x00\x01}";
    char big[70001];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    int rc = 0;
    rc |=
        add_badf("too_old", "too_old", CW_HARNESS_TOPIC_CDR, GOOD,
                 "{\"event_id\":\"old\",\"type\":\"data\",\"msisdn\":\"%s\",\"ts\":%lld,"
                 "\"bytes\":1}",
                 GOOD, (long long)(cw_week_start_ms(stream_week - 9, UTC8) + 86400000));
    rc |= add_badf("invalid_json", "invalid_json", CW_HARNESS_TOPIC_CDR, "13800200002",
                   "{\"event_id\":\"x\",\"type\":");
    rc |= add_bad("invalid_json_binary_no_key", "invalid_json", CW_HARNESS_TOPIC_BILLING,
                  NULL, binary, sizeof binary - 1);
    rc |= add_badf("not_object", "not_object", CW_HARNESS_TOPIC_CRM, "13800200003",
                   "[{\"event_id\":\"a\",\"type\":\"data\",\"msisdn\":\"13800200003\"}]");
    rc |= add_badf("missing_field", "missing_field", CW_HARNESS_TOPIC_CDR, "13800200004",
                   "{\"event_id\":\"m\",\"type\":\"voice\",\"msisdn\":\"13800200004\","
                   "\"direction\":\"mo\",\"peer\":\"13800000999\",\"duration_s\":5}");
    rc |= add_badf(
        "bad_field", "bad_field", CW_HARNESS_TOPIC_CDR, "13800200005",
        "{\"event_id\":\"b\",\"type\":\"voice\",\"msisdn\":\"13800200005\",\"ts\":%lld,"
        "\"direction\":\"mo\",\"peer\":\"13800000999\",\"duration_s\":-5}",
        (long long)good_ts);
    rc |= add_badf(
        "unknown_type", "unknown_type", CW_HARNESS_TOPIC_CRM, "13800200006",
        "{\"event_id\":\"u\",\"type\":\"fax\",\"msisdn\":\"13800200006\",\"ts\":%lld}",
        (long long)good_ts);
    rc |= add_badf(
        "bad_msisdn", "bad_msisdn", CW_HARNESS_TOPIC_BILLING, "13800200007",
        "{\"event_id\":\"n\",\"type\":\"charge\",\"msisdn\":\"1380020x007\",\"ts\":%lld,"
        "\"charge_fen\":100}",
        (long long)good_ts);
    rc |= add_badf(
        "future_ts", "future_ts", CW_HARNESS_TOPIC_BILLING, "13800200008",
        "{\"event_id\":\"f\",\"type\":\"charge\",\"msisdn\":\"13800200008\",\"ts\":%lld,"
        "\"charge_fen\":100}",
        (long long)(now + 3600000));
    rc |= add_badf(
        "too_large", "too_large", CW_HARNESS_TOPIC_CRM, "13800200009",
        "{\"event_id\":\"l\",\"type\":\"profile\",\"msisdn\":\"13800200009\",\"ts\":%lld,"
        "\"tier\":\"high\",\"note\":\"%s\"}",
        (long long)good_ts, big);
    if (rc != 0)
        return -1;
    /* a good record after the bad ones is applied as usual */
    good_sent[1] = cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, "13800200010",
                                         "profile", good_ts, ",\"tier\":\"mid\"");
    return good_sent[1] < 0 ? -1 : 0;
}

static int play(void)
{
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_HARNESS_STEP(h, send_records());
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, (size_t)bad_count,
                                             WAIT_MS, &dlq));
    return 0;
}

static void setup(void)
{
    h = cw_harness_new("dlq");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    for (int i = 0; i < bad_count; i++)
        free(bads[i].value);
    bad_count = 0;
    cw_harness_msgs_free(&dlq);
    cw_harness_free(h);
    h = NULL;
}

static const bad_t *bad_named(const char *name)
{
    for (int i = 0; i < bad_count; i++)
        if (strcmp(bads[i].name, name) == 0)
            return &bads[i];
    ck_abort_msg("no bad record named %s", name);
    return NULL;
}

/* The DLQ record of the bad record, found by its source headers; checks
 * that it is the record unchanged, with every header right. */
static void check_dead_letter(const char *name)
{
    CW_HARNESS_REQUIRE(h);
    const bad_t *b = bad_named(name);
    const cw_harness_sent_t *sent = cw_harness_sent(h, b->sent);
    CW_HARNESS_ASSERT(h, sent != NULL && sent->offset >= 0, "%s: not delivered", name);
    char partition[16], offset[24];
    snprintf(partition, sizeof partition, "%d", (int)sent->partition);
    snprintf(offset, sizeof offset, "%lld", (long long)sent->offset);
    const cw_harness_msg_t *found = NULL;
    for (size_t i = 0; i < dlq.count; i++) {
        const cw_harness_msg_t *m = &dlq.items[i];
        const char *topic = cw_harness_msg_header(m, "cdrwarn.source.topic");
        const char *p = cw_harness_msg_header(m, "cdrwarn.source.partition");
        const char *o = cw_harness_msg_header(m, "cdrwarn.source.offset");
        if (topic && p && o && strcmp(topic, b->topic) == 0 &&
            strcmp(p, partition) == 0 && strcmp(o, offset) == 0) {
            CW_HARNESS_ASSERT(h, found == NULL, "%s: two DLQ records for %s [%s] @%s",
                              name, b->topic, partition, offset);
            found = m;
        }
    }
    CW_HARNESS_ASSERT(h, found != NULL,
                      "%s: no DLQ record with source %s [%s] @%s (%zu on the DLQ)", name,
                      b->topic, partition, offset, dlq.count);
    const char *reason = cw_harness_msg_header(found, "cdrwarn.reason");
    CW_HARNESS_ASSERT(h, reason != NULL && strcmp(reason, b->reason) == 0,
                      "%s: cdrwarn.reason '%s', expected '%s'", name,
                      reason ? reason : "(none)", b->reason);
    const char *detail = cw_harness_msg_header(found, "cdrwarn.detail");
    CW_HARNESS_ASSERT(h, detail != NULL && detail[0] != '\0', "%s: no cdrwarn.detail",
                      name);
    CW_HARNESS_ASSERT(h, b->key == NULL || strstr(detail, b->key) == NULL,
                      "%s: cdrwarn.detail '%s' shows the number", name, detail);
    CW_HARNESS_ASSERT(h, found->header_count == cw_harness_dead_letter_headers(b->len),
                      "%s: %zu headers, expected the %zu cdrwarn.*", name, found->header_count,
                      cw_harness_dead_letter_headers(b->len));
    if (b->key == NULL) {
        CW_HARNESS_ASSERT(h, found->key == NULL,
                          "%s: the record had no key, the DLQ one has", name);
    } else {
        CW_HARNESS_ASSERT(h,
                          found->key != NULL && found->key_len == strlen(b->key) &&
                              memcmp(found->key, b->key, found->key_len) == 0,
                          "%s: DLQ key differs from the record's", name);
    }
    CW_HARNESS_ASSERT(h, cw_harness_dead_letter_value_is(found, b->value, b->len),
                      "%s: the DLQ value (%zu bytes, with cdrwarn.value_bytes '%s') is not the "
                      "record's (%zu bytes) as dead letters keep it",
                      name, found->value_len,
                      cw_harness_msg_header(found, "cdrwarn.value_bytes")
                          ? cw_harness_msg_header(found, "cdrwarn.value_bytes")
                          : "(none)",
                      b->len);
}

START_TEST(invalid_json_goes_to_the_dlq_unchanged)
{
    check_dead_letter("invalid_json");
    /* binary bytes and no key: the same bytes, still no key */
    check_dead_letter("invalid_json_binary_no_key");
}
END_TEST

START_TEST(a_json_array_is_not_object)
{
    check_dead_letter("not_object");
}
END_TEST

START_TEST(an_event_without_ts_is_missing_field)
{
    check_dead_letter("missing_field");
}
END_TEST

START_TEST(a_negative_duration_is_bad_field)
{
    check_dead_letter("bad_field");
}
END_TEST

START_TEST(an_unknown_type_is_unknown_type)
{
    check_dead_letter("unknown_type");
}
END_TEST

START_TEST(a_number_with_a_letter_is_bad_msisdn)
{
    check_dead_letter("bad_msisdn");
}
END_TEST

START_TEST(an_event_an_hour_ahead_is_future_ts)
{
    check_dead_letter("future_ts");
}
END_TEST

START_TEST(an_event_older_than_the_weeks_kept_is_too_old)
{
    check_dead_letter("too_old");
}
END_TEST

START_TEST(a_value_over_64_kib_is_too_large)
{
    check_dead_letter("too_large");
}
END_TEST

START_TEST(metrics_count_every_reason_and_nothing_else_reaches_the_dlq)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, dlq.count == (size_t)bad_count,
                      "%zu DLQ records, %d bad records sent", dlq.count, bad_count);
    for (int r = 1; r < CW_DLQ__COUNT; r++) {
        const char *reason = cw_dlq_reason_name((cw_dlq_reason_t)r);
        int want = 0;
        for (int i = 0; i < bad_count; i++)
            want += strcmp(bads[i].reason, reason) == 0;
        CW_HARNESS_ASSERT(h, want > 0, "no record tests reason %s", reason);
        char series[96];
        snprintf(series, sizeof series, "cdrwarn_dlq_records_total{reason=\"%s\"}",
                 reason);
        double value = -1;
        CW_HARNESS_OK(h, cw_harness_metric(h, series, &value));
        CW_HARNESS_ASSERT(h, value == want, "%s is %g, expected %d", series, value, want);
    }
    double events = -1;
    CW_HARNESS_OK(h,
                  cw_harness_metric(h, "cdrwarn_events_total{type=\"data\"}", &events));
    CW_HARNESS_ASSERT(h, events == 1, "%g data events applied, expected 1", events);
    CW_HARNESS_OK(
        h, cw_harness_metric(h, "cdrwarn_events_total{type=\"profile\"}", &events));
    CW_HARNESS_ASSERT(h, events == 1, "%g profile events applied, expected 1", events);
}
END_TEST

START_TEST(bad_records_touch_no_state_and_the_daemon_stays_healthy)
{
    CW_HARNESS_REQUIRE(h);
    int status;
    CW_HARNESS_OK(h, cw_harness_http_get(h, "/healthz", &status, NULL));
    CW_HARNESS_ASSERT(h, status == 200, "/healthz answered %d", status);
    static const char *const untouched[] = {"13800200004", "13800200005", "13800200006",
                                            "13800200007", "13800200008", "13800200009"};
    for (size_t i = 0; i < sizeof untouched / sizeof untouched[0]; i++) {
        cw_sub_t sub;
        bool found;
        CW_HARNESS_OK(h, cw_harness_sub_state(h, untouched[i], &sub, &found));
        CW_HARNESS_ASSERT(h, !found, "%s has a state: a bad record was applied",
                          untouched[i]);
    }
    /* the good record before the too_old one counted, the too_old one did not */
    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, GOOD, &sub, &found));
    CW_HARNESS_ASSERT(h, found && sub.week_count == 1 && sub.weeks[0].spend_fen == 11,
                      "%s: expected one week with the good event's 11 fen", GOOD);
    CW_HARNESS_OK(h, cw_harness_sub_state(h, "13800200010", &sub, &found));
    CW_HARNESS_ASSERT(h, found && sub.tier == CW_TIER_MID,
                      "the profile after the bad records was not applied");
}
END_TEST

static Suite *dlq_suite(void)
{
    Suite *s = suite_create("dlq");
    TCase *tc = tcase_create("reasons");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invalid_json_goes_to_the_dlq_unchanged);
    tcase_add_test(tc, a_json_array_is_not_object);
    tcase_add_test(tc, an_event_without_ts_is_missing_field);
    tcase_add_test(tc, a_negative_duration_is_bad_field);
    tcase_add_test(tc, an_unknown_type_is_unknown_type);
    tcase_add_test(tc, a_number_with_a_letter_is_bad_msisdn);
    tcase_add_test(tc, an_event_an_hour_ahead_is_future_ts);
    tcase_add_test(tc, an_event_older_than_the_weeks_kept_is_too_old);
    tcase_add_test(tc, a_value_over_64_kib_is_too_large);
    tcase_add_test(tc, metrics_count_every_reason_and_nothing_else_reaches_the_dlq);
    tcase_add_test(tc, bad_records_touch_no_state_and_the_daemon_stays_healthy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dlq_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
