/* Integration: cdrwarnd's sd_notify protocol over its whole life (SPEC
 * section 9, README "Operations"), read from a datagram socket of the test's
 * own given to the daemon as $NOTIFY_SOCKET, with WATCHDOG_USEC set:
 *   - it starts with Redis down: STATUS says joining, then REDIS DOWN, and
 *     no READY=1 comes although the group is joined, not even after a SIGHUP
 *     (a reload before the first READY=1 tells systemd nothing);
 *   - Redis starts (same port): READY=1 once /healthz answers 200;
 *   - traffic: a STATUS line shows events/s and the alert it raised;
 *   - SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1;
 *   - SIGTERM: STOPPING=1, exit 0;
 * and WATCHDOG=1 every WATCHDOG_USEC/2 throughout, Redis down or not. A
 * fixture plays this once and records every notice with its arrival time;
 * each test checks one promise on the record. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_ops.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define PARTITIONS 2
#define WAIT_MS 30000
#define WATCHDOG_USEC 400000
#define STATUS_EVERY_MS 5000 /* the daemon's STATUS period */

#define RED "13800400001" /* profile high, two complaints: one red alert */
#define DATA_SUBSCRIBERS 10
#define DATA_EVENTS 3 /* per data subscriber */
#define EVENTS (DATA_SUBSCRIBERS * DATA_EVENTS + 3)

static cw_harness_t *h;
static cw_notifylog_t *notices;
static int32_t week; /* two weeks ago: nothing closes */

/* what the fixture did and saw: when (monotonic microseconds), what
 * /healthz answered, which notices answered each step */
static int64_t redis_started_us, traffic_sent_us, hup_sent_us, term_sent_us;
static int down_health_status, ready_health_status;
static char down_health_body[512];
static int ready_index = -1, status_after_traffic = -1, reloading_index = -1,
           reload_ready_index = -1, stopping_index = -1;
static int exit_status = -1;

static void data_msisdn(int i, char out[24])
{
    snprintf(out, 24, "1380041%04d", i);
}

static int send_traffic(void)
{
    int64_t base = cw_week_start_ms(week, UTC8) + CW_MS_PER_DAY + 9 * 3600000LL;
    CW_HARNESS_STEP(h,
                    cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, RED, "profile", base,
                                          ",\"tier\":\"high\",\"subsidy_end\":null") < 0);
    for (int k = 0; k < 2; k++)
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, RED,
                                                 "complaint", base + (k + 1) * 3600000LL,
                                                 ",\"severity\":\"normal\"") < 0);
    for (int i = 0; i < DATA_SUBSCRIBERS; i++) {
        char msisdn[24];
        data_msisdn(i, msisdn);
        for (int k = 0; k < DATA_EVENTS; k++)
            CW_HARNESS_STEP(h,
                            cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "data",
                                                  base + k * 60000LL + i * 1000,
                                                  ",\"bytes\":100,\"charge_fen\":5") < 0);
    }
    return 0;
}

/* Until the group is joined while Redis is down; then what /healthz says. */
static int wait_joined_without_redis(void)
{
    int64_t deadline = cw_harness_ops_mono_us() + (int64_t)WAIT_MS * 1000;
    double joined = 0;
    while (joined != 1) {
        if (cw_harness_ops_mono_us() > deadline)
            return cw_harness_ops_failf(h, "the consumer did not join its group in 30 s");
        if (!cw_harness_daemon_running(h))
            return cw_harness_ops_failf(h, "cdrwarnd exited while Redis was down");
        cw_harness_sleep_ms(50);
        if (cw_harness_metric(h, "cdrwarn_consumer_joined", &joined) != 0)
            joined = 0;
    }
    /* a reload before READY=1 must not announce one; then time enough for a
     * wrong READY=1 to arrive */
    CW_HARNESS_STEP(h, cw_harness_daemon_signal(h, SIGHUP));
    cw_harness_sleep_ms(1000);
    char *body = NULL;
    CW_HARNESS_STEP(h, cw_harness_http_get(h, "/healthz", &down_health_status, &body));
    snprintf(down_health_body, sizeof down_health_body, "%s", body ? body : "");
    free(body);
    return 0;
}

/* Until a STATUS= notice after `from` holds `text`; its index. */
static int wait_status_holding(size_t from, const char *text, int timeout_ms)
{
    int64_t deadline = cw_harness_ops_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int left = (int)((deadline - cw_harness_ops_mono_us()) / 1000);
        int i = cw_notifylog_wait(notices, from, "STATUS=", left > 0 ? left : 0);
        if (i < 0)
            return -1;
        cw_notice_t notice;
        cw_notifylog_get(notices, (size_t)i, &notice);
        if (strstr(notice.text, text) != NULL)
            return i;
        from = (size_t)i + 1;
    }
}

/* The record on stderr (ctest shows it when a test fails), WATCHDOG=1
 * counted rather than listed. */
static void log_notices(void)
{
    size_t watchdogs = 0;
    int64_t prev = -1, max_gap = 0;
    for (size_t i = 0; i < cw_notifylog_count(notices); i++) {
        cw_notice_t notice;
        cw_notifylog_get(notices, i, &notice);
        if (strcmp(notice.text, "WATCHDOG=1") == 0) {
            watchdogs++;
            if (prev >= 0 && notice.at_us - prev > max_gap && notice.at_us < term_sent_us)
                max_gap = notice.at_us - prev;
            prev = notice.at_us;
            continue;
        }
        for (char *p = notice.text; *p; p++)
            if (*p == '\n')
                *p = '|';
        cw_harness_log(h, "notice %zu at %+.3f s from Redis's start: %s", i,
                       (double)(notice.at_us - redis_started_us) / 1e6, notice.text);
    }
    cw_harness_log(h,
                   "%zu notices recorded, %zu of them WATCHDOG=1, at most %.1f ms apart",
                   cw_notifylog_count(notices), watchdogs, (double)max_gap / 1000.0);
}

static int play(void)
{
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    int redis_port = cw_harness_redis_port(h);
    CW_HARNESS_STEP(h, cw_harness_redis_stop(h));
    cw_harness_config_set(h, "redis", "timeout", "1s");
    notices = cw_notifylog_open(cw_harness_dir(h));
    CW_OPS_STEP(h, notices == NULL);

    /* only the daemon gets the variables: it inherits the environment */
    char watchdog[32];
    snprintf(watchdog, sizeof watchdog, "%d", WATCHDOG_USEC);
    setenv("NOTIFY_SOCKET", cw_notifylog_path(notices), 1);
    setenv("WATCHDOG_USEC", watchdog, 1);
    unsetenv("WATCHDOG_PID");
    int started = cw_harness_daemon_start(h);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    CW_HARNESS_STEP(h, started);
    if (wait_joined_without_redis() != 0)
        return -1;

    redis_started_us = cw_harness_ops_mono_us();
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    if (cw_harness_redis_port(h) != redis_port)
        return cw_harness_ops_failf(h, "redis-server came back on port %d, not %d",
                                    cw_harness_redis_port(h), redis_port);
    ready_index = cw_notifylog_wait(notices, 0, "READY=1", WAIT_MS);
    CW_OPS_STEP(h, ready_index < 0);
    CW_HARNESS_STEP(h, cw_harness_http_get(h, "/healthz", &ready_health_status, NULL));

    traffic_sent_us = cw_harness_ops_mono_us();
    if (send_traffic() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    /* a STATUS computed while the last commit was answered is in by now,
     * and counts as before */
    cw_harness_sleep_ms(100);
    status_after_traffic = wait_status_holding(cw_notifylog_count(notices), " 1 alerts,",
                                               STATUS_EVERY_MS * 2 + 2000);
    CW_OPS_STEP(h, status_after_traffic < 0);

    size_t from = cw_notifylog_count(notices);
    hup_sent_us = cw_harness_ops_mono_us();
    CW_HARNESS_STEP(h, cw_harness_daemon_signal(h, SIGHUP));
    reloading_index = cw_notifylog_wait(notices, from, "RELOADING=1", 5000);
    CW_OPS_STEP(h, reloading_index < 0);
    reload_ready_index =
        cw_notifylog_wait(notices, (size_t)reloading_index, "READY=1", 5000);
    CW_OPS_STEP(h, reload_ready_index < 0);

    from = cw_notifylog_count(notices);
    term_sent_us = cw_harness_ops_mono_us();
    CW_HARNESS_STEP(h, cw_harness_daemon_stop(h, WAIT_MS, &exit_status));
    stopping_index = cw_notifylog_wait(notices, from, "STOPPING=1", 2000);
    CW_OPS_STEP(h, stopping_index < 0);
    cw_notifylog_stop(notices);
    log_notices();
    return 0;
}

static void setup(void)
{
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    h = cw_harness_new("ops-notify");
    if (h != NULL)
        play();
    if (notices != NULL)
        cw_notifylog_stop(notices);
}

static void teardown(void)
{
    cw_notifylog_free(notices);
    notices = NULL;
    cw_harness_free(h);
    h = NULL;
}

/* ---- reading the record --------------------------------------------- */

static cw_notice_t notice_at(size_t i)
{
    cw_notice_t notice;
    CW_HARNESS_ASSERT(h, cw_notifylog_get(notices, i, &notice) == 0, "no notice %zu", i);
    return notice;
}

/* All notices as one printable text, for failure messages; a new string. */
static char *all_notices(void)
{
    size_t n = cw_notifylog_count(notices), cap = n * 80 + 1, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        cw_notice_t notice = notice_at(i);
        if (strcmp(notice.text, "WATCHDOG=1") == 0)
            continue;
        for (char *p = notice.text; *p; p++)
            if (*p == '\n')
                *p = '|';
        len += (size_t)snprintf(out + len, cap - len, "[%zu] %.70s; ", i, notice.text);
    }
    return out;
}

typedef struct status_line {
    int partitions;
    double events_per_s;
    unsigned long long alerts;
    long long lag;
    char redis[64];
} status_line_t;

static bool parse_status(const cw_notice_t *notice, status_line_t *status)
{
    char value[CW_NOTICE_SIZE];
    if (!cw_notice_value(notice, "STATUS=", value, sizeof value))
        return false;
    return sscanf(value, "%d partitions, %lf events/s, %llu alerts, lag %lld, %63[^\n]",
                  &status->partitions, &status->events_per_s, &status->alerts,
                  &status->lag, status->redis) == 5;
}

/* ---- the tests ------------------------------------------------------ */

START_TEST(the_first_notice_says_the_daemon_is_joining_the_consumer_group)
{
    CW_OPS_REQUIRE(h);
    for (size_t i = 0; i < cw_notifylog_count(notices); i++) {
        cw_notice_t notice = notice_at(i);
        if (strcmp(notice.text, "WATCHDOG=1") == 0)
            continue;
        CW_HARNESS_ASSERT(h,
                          strcmp(notice.text, "STATUS=joining the consumer group") == 0,
                          "the first notice is '%s'", notice.text);
        return;
    }
    ck_abort_msg("no notice at all");
}
END_TEST

START_TEST(ready_comes_only_after_the_group_is_joined_and_redis_answers)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h,
                      down_health_status == 503 &&
                          strstr(down_health_body, "\"redis unreachable\"") != NULL &&
                          strstr(down_health_body, "consumer has not joined") == NULL,
                      "with the group joined and Redis down /healthz answered %d %s, "
                      "expected 503 naming only Redis",
                      down_health_status, down_health_body);
    char *text = all_notices();
    int readies = 0;
    for (int i = 0; i < reloading_index; i++) {
        cw_notice_t notice = notice_at((size_t)i);
        CW_HARNESS_ASSERT(h, !cw_notice_has(&notice, "RELOADING=1"),
                          "RELOADING=1 for the SIGHUP sent before READY=1: %s", text);
        if (!cw_notice_has(&notice, "READY=1"))
            continue;
        readies++;
        CW_HARNESS_ASSERT(h, notice.at_us > redis_started_us,
                          "READY=1 arrived %.3f s before Redis was started: %s",
                          (double)(redis_started_us - notice.at_us) / 1e6, text);
        CW_HARNESS_ASSERT(h, cw_notice_has(&notice, "STATUS=consuming"),
                          "READY=1 came without STATUS=consuming: '%s'", notice.text);
    }
    CW_HARNESS_ASSERT(h, readies == 1, "%d READY=1 before the reload, expected 1: %s",
                      readies, text);
    free(text);
    CW_HARNESS_ASSERT(h, ready_health_status == 200,
                      "/healthz answered %d right after READY=1", ready_health_status);
}
END_TEST

START_TEST(status_says_redis_down_while_it_is_stopped_and_redis_up_once_ready)
{
    CW_OPS_REQUIRE(h);
    char *text = all_notices();
    int down = 0, up = 0;
    for (int i = 0; i < reloading_index; i++) {
        cw_notice_t notice = notice_at((size_t)i);
        status_line_t status;
        if (!parse_status(&notice, &status))
            continue;
        if (notice.at_us < redis_started_us) {
            long long seconds = -1;
            CW_HARNESS_ASSERT(h, sscanf(status.redis, "REDIS DOWN %llds", &seconds) == 1,
                              "STATUS while Redis was stopped ends '%s'", status.redis);
            CW_HARNESS_ASSERT(h, seconds >= 0 && seconds <= WAIT_MS / 1000,
                              "REDIS DOWN %llds", seconds);
            down++;
        } else if (i > ready_index) {
            CW_HARNESS_ASSERT(h, strcmp(status.redis, "redis up") == 0,
                              "STATUS after READY ends '%s'", status.redis);
            CW_HARNESS_ASSERT(h, status.partitions == PARTITIONS,
                              "STATUS says %d partitions, expected %d", status.partitions,
                              PARTITIONS);
            up++;
        }
    }
    CW_HARNESS_ASSERT(h, down > 0, "no STATUS line while Redis was stopped: %s", text);
    CW_HARNESS_ASSERT(h, up > 0, "no STATUS line after READY=1: %s", text);
    free(text);
}
END_TEST

START_TEST(status_shows_the_events_per_second_and_the_alerts_of_the_traffic)
{
    CW_OPS_REQUIRE(h);
    char *text = all_notices();
    double busiest = 0;
    for (int i = 0; i <= status_after_traffic; i++) {
        cw_notice_t notice = notice_at((size_t)i);
        status_line_t status;
        if (notice.at_us > traffic_sent_us && parse_status(&notice, &status) &&
            status.events_per_s > busiest)
            busiest = status.events_per_s;
    }
    CW_HARNESS_ASSERT(h, busiest > 0,
                      "no STATUS line from the traffic on shows events/s > 0 (%d events "
                      "applied): %s",
                      EVENTS, text);
    cw_notice_t last = notice_at((size_t)status_after_traffic);
    status_line_t status;
    CW_HARNESS_ASSERT(h, parse_status(&last, &status), "STATUS '%s' does not parse",
                      last.text);
    CW_HARNESS_ASSERT(h, status.alerts == 1 && status.lag == 0,
                      "STATUS after the traffic says %llu alerts, lag %lld; expected 1 "
                      "alert, lag 0: '%s'",
                      status.alerts, status.lag, last.text);
    free(text);
}
END_TEST

START_TEST(watchdog_comes_every_half_watchdog_usec_even_while_redis_is_down)
{
    CW_OPS_REQUIRE(h);
    int64_t first = -1, prev = -1, max_gap = 0;
    int count = 0;
    bool while_down = false;
    for (size_t i = 0; i < cw_notifylog_count(notices); i++) {
        cw_notice_t notice = notice_at(i);
        if (notice.at_us >= term_sent_us)
            break;
        if (strcmp(notice.text, "WATCHDOG=1") != 0)
            continue;
        if (first < 0)
            first = notice.at_us;
        if (prev >= 0 && notice.at_us - prev > max_gap)
            max_gap = notice.at_us - prev;
        while_down = while_down || notice.at_us < redis_started_us;
        prev = notice.at_us;
        count++;
    }
    CW_HARNESS_ASSERT(h, count >= 10, "%d WATCHDOG=1 before SIGTERM", count);
    CW_HARNESS_ASSERT(h, while_down, "no WATCHDOG=1 while Redis was down");
    double mean_ms = (double)(prev - first) / 1000.0 / (count - 1);
    CW_HARNESS_ASSERT(h,
                      mean_ms >= 0.75 * WATCHDOG_USEC / 2000.0 &&
                          mean_ms <= 1.5 * WATCHDOG_USEC / 2000.0,
                      "WATCHDOG=1 every %.1f ms on average, expected %d ms", mean_ms,
                      WATCHDOG_USEC / 2000);
    /* systemd kills the service when one is WATCHDOG_USEC late */
    CW_HARNESS_ASSERT(
        h, max_gap < WATCHDOG_USEC,
        "%.1f ms between two WATCHDOG=1: systemd would have killed it at %d ms",
        (double)max_gap / 1000.0, WATCHDOG_USEC / 1000);
}
END_TEST

START_TEST(sighup_sends_reloading_with_monotonic_usec_then_ready)
{
    CW_OPS_REQUIRE(h);
    cw_notice_t reloading = notice_at((size_t)reloading_index);
    char value[64];
    CW_HARNESS_ASSERT(h,
                      cw_notice_value(&reloading, "MONOTONIC_USEC=", value, sizeof value),
                      "RELOADING=1 came without MONOTONIC_USEC: '%s'", reloading.text);
    char *end;
    long long usec = strtoll(value, &end, 10);
    CW_HARNESS_ASSERT(h, *end == '\0' && end != value, "MONOTONIC_USEC=%s", value);
    /* the daemon's clock has millisecond steps */
    CW_HARNESS_ASSERT(h, usec >= hup_sent_us - 1000 && usec <= reloading.at_us,
                      "MONOTONIC_USEC=%lld is not between SIGHUP (%lld) and the notice's "
                      "arrival (%lld)",
                      usec, (long long)hup_sent_us, (long long)reloading.at_us);
    for (int i = reloading_index + 1; i < reload_ready_index; i++) {
        cw_notice_t notice = notice_at((size_t)i);
        CW_HARNESS_ASSERT(h, !cw_notice_has(&notice, "RELOADING=1"),
                          "a second RELOADING=1 before READY=1");
    }
    cw_notice_t ready = notice_at((size_t)reload_ready_index);
    CW_HARNESS_ASSERT(h, ready.at_us - reloading.at_us < 2000000,
                      "READY=1 came %.3f s after RELOADING=1",
                      (double)(ready.at_us - reloading.at_us) / 1e6);
}
END_TEST

START_TEST(sigterm_sends_stopping_and_the_daemon_exits_0)
{
    CW_OPS_REQUIRE(h);
    cw_notice_t stopping = notice_at((size_t)stopping_index);
    CW_HARNESS_ASSERT(h, stopping.at_us >= term_sent_us, "STOPPING=1 before SIGTERM");
    for (size_t i = (size_t)stopping_index + 1; i < cw_notifylog_count(notices); i++) {
        cw_notice_t notice = notice_at(i);
        CW_HARNESS_ASSERT(h, !cw_notice_has(&notice, "READY=1"),
                          "READY=1 after STOPPING=1: '%s'", notice.text);
    }
    CW_HARNESS_ASSERT(h, exit_status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      exit_status);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "stopped"),
                      "the log does not end with 'stopped'");
}
END_TEST

START_TEST(the_log_never_shows_a_full_msisdn)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, RED),
                      "the daemon's log shows %s unmasked (SPEC section 9)", RED);
    for (int i = 0; i < DATA_SUBSCRIBERS; i++) {
        char msisdn[24];
        data_msisdn(i, msisdn);
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, msisdn),
                          "the daemon's log shows %s unmasked (SPEC section 9)", msisdn);
    }
}
END_TEST

static Suite *ops_notify_suite(void)
{
    Suite *s = suite_create("ops_notify");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_first_notice_says_the_daemon_is_joining_the_consumer_group);
    tcase_add_test(tc, ready_comes_only_after_the_group_is_joined_and_redis_answers);
    tcase_add_test(tc,
                   status_says_redis_down_while_it_is_stopped_and_redis_up_once_ready);
    tcase_add_test(tc, status_shows_the_events_per_second_and_the_alerts_of_the_traffic);
    tcase_add_test(tc, watchdog_comes_every_half_watchdog_usec_even_while_redis_is_down);
    tcase_add_test(tc, sighup_sends_reloading_with_monotonic_usec_then_ready);
    tcase_add_test(tc, sigterm_sends_stopping_and_the_daemon_exits_0);
    tcase_add_test(tc, the_log_never_shows_a_full_msisdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_notify_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
