/* Integration: GET /healthz follows Redis (SPEC section 9, README
 * "Operations"), and no event is lost to a Redis outage. One daemon run
 * ([redis] timeout 1s, Redis with appendfsync always so a SIGKILL loses
 * nothing of Redis's own) goes through:
 *   1. healthy: 200 with no reason and both partitions;
 *   2. Redis frozen (SIGSTOP) while idle: 503 "redis unreachable" within
 *      the timeout plus the keepalive period and a margin; events sent, and
 *      cdrwarn_consumer_lag of one cdr partition rises to the number of
 *      them on it;
 *   3. SIGCONT: 200 again, the events sent while frozen are applied and that
 *      lag is back to 0;
 *   4. Redis killed (SIGKILL) while events arrive: 503, nothing applied
 *      while it is down;
 *   5. Redis restarted on the same port: 200 again, every event applied.
 * Afterwards every subscriber's weekly aggregates in Redis are exactly the
 * sums of its events, and /metrics counts each event once. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "harness_ops.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define PARTITIONS 2
#define WAIT_MS 30000
#define REDIS_TIMEOUT_MS 1000
#define KEEPALIVE_MS 1000 /* the daemon pings an idle Redis this often */
#define MARGIN_MS 2000
#define SUBSCRIBERS 8
#define PHASES 3 /* before the freeze, while frozen, while killed */
#define CALL_S 60
#define CALL_FEN 30
#define CHARGE_FEN 100

static cw_harness_t *h;
static int32_t week; /* two weeks ago: nothing closes */

/* what the fixture saw */
static int healthy_status;
static char healthy_body[512];
static int frozen_ms, thawed_ms, killed_ms, restarted_ms;
static char frozen_body[512], killed_body[512];
static double frozen_redis_up = -1, killed_redis_up = -1;
static double events_before_kill = -1, events_while_killed = -1;
static int redis_port_before, redis_port_after;
static int lag_partition = -1; /* the cdr partition whose lag is watched */
static int lag_expected;       /* the phase's cdr records on it */
static double idle_lag = -1, frozen_lag = -1, thawed_lag = -1;
static int idle_lag_ms = -1, frozen_lag_ms = -1, thawed_lag_ms = -1;

static void msisdn_of(int i, char out[24])
{
    snprintf(out, 24, "1380050%04d", i);
}

/* One phase's events: per subscriber a call on cdr and a charge on billing,
 * at times of their own in the week's Tuesday..Thursday. */
static int send_phase(int phase)
{
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        int64_t ts = cw_week_start_ms(week, UTC8) + (1 + phase) * CW_MS_PER_DAY +
                     10 * 3600000LL + i * 60000LL;
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "voice",
                                                 ts,
                                                 ",\"direction\":\"mo\",\"peer\":"
                                                 "\"13800000999\",\"duration_s\":%d,"
                                                 "\"charge_fen\":%d",
                                                 CALL_S, CALL_FEN) < 0);
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_BILLING, msisdn,
                                                 "charge", ts + 1000,
                                                 ",\"charge_fen\":%d", CHARGE_FEN) < 0);
    }
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    return 0;
}

static double events_applied(void)
{
    double voice = -1, charge = -1;
    if (cw_harness_metric(h, "cdrwarn_events_total{type=\"voice\"}", &voice) != 0 ||
        cw_harness_metric(h, "cdrwarn_events_total{type=\"charge\"}", &charge) != 0)
        return -1;
    return voice + charge;
}

/* The events /metrics counts once it counts `want` (the daemon counts a
 * commit when its answer is back, just after Redis shows it), or after a
 * bound. */
static double events_applied_reaching(double want)
{
    double got = events_applied();
    for (int waited = 0; got != want && waited < 5000; waited += 20) {
        cw_harness_sleep_ms(20);
        got = events_applied();
    }
    return got;
}

/* Until the lag of lag_partition on cdr satisfies want (>= or ==), or a
 * bound; *value is the last sample read (-1 when none), *elapsed_ms the time
 * taken (-1 when the bound passed). */
static void lag_waiting(double want, bool at_least, int timeout_ms, double *value,
                        int *elapsed_ms)
{
    char series[96];
    snprintf(series, sizeof series, "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"}",
             CW_HARNESS_TOPIC_CDR, lag_partition);
    *value = -1;
    *elapsed_ms = -1;
    int64_t start = cw_harness_ops_mono_us();
    for (;;) {
        double got = -1;
        if (cw_harness_metric(h, series, &got) == 0) {
            *value = got;
            if (at_least ? got >= want : got == want) {
                *elapsed_ms = (int)((cw_harness_ops_mono_us() - start) / 1000);
                return;
            }
        }
        if (cw_harness_ops_mono_us() - start >= (int64_t)timeout_ms * 1000)
            return;
        cw_harness_sleep_ms(20);
    }
}

static void keep_body(char *out, size_t size, char *body)
{
    snprintf(out, size, "%s", body ? body : "");
    free(body);
}

static int play(void)
{
    static const char *const durable[] = {"--appendonly", "yes", "--appendfsync",
                                          "always", NULL};
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, durable));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    cw_harness_config_set(h, "redis", "timeout", "1s");
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    char first[24];
    msisdn_of(0, first);
    lag_partition = cw_harness_partition_of(first, PARTITIONS);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        lag_expected += cw_harness_partition_of(msisdn, PARTITIONS) == lag_partition;
    }
    char *body = NULL;
    CW_HARNESS_STEP(h, cw_harness_http_get(h, "/healthz", &healthy_status, &body));
    keep_body(healthy_body, sizeof healthy_body, body);
    if (send_phase(0) != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    lag_waiting(0, false, 5000, &idle_lag, &idle_lag_ms);

    /* 2. frozen while the daemon is idle: the connection stays open and
     * nothing answers, which only the keepalive PING can notice */
    cw_harness_log(h, "SIGSTOP redis-server");
    if (kill(cw_harness_redis_pid(h), SIGSTOP) != 0)
        return cw_harness_ops_failf(h, "SIGSTOP redis-server: %s", strerror(errno));
    int rc = cw_harness_ops_health_wait(h, 503, "\"redis unreachable\"", WAIT_MS,
                                        &frozen_ms, &body);
    keep_body(frozen_body, sizeof frozen_body, body);
    CW_OPS_STEP(h, rc);
    cw_harness_metric(h, "cdrwarn_redis_up", &frozen_redis_up);
    if (send_phase(1) != 0)
        return -1;
    /* fetched, so the high watermark moved; nothing applied */
    lag_waiting(lag_expected, true, 5000, &frozen_lag, &frozen_lag_ms);
    cw_harness_sleep_ms(REDIS_TIMEOUT_MS); /* records taken, held back */

    /* 3. thawed */
    cw_harness_log(h, "SIGCONT redis-server");
    if (kill(cw_harness_redis_pid(h), SIGCONT) != 0)
        return cw_harness_ops_failf(h, "SIGCONT redis-server: %s", strerror(errno));
    CW_OPS_STEP(h, cw_harness_ops_health_wait(h, 200, NULL, WAIT_MS, &thawed_ms, NULL));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    lag_waiting(0, false, 5000, &thawed_lag, &thawed_lag_ms);
    events_before_kill = events_applied_reaching(2 * 2 * SUBSCRIBERS);

    /* 4. killed: connection refused until it is back */
    redis_port_before = cw_harness_redis_port(h);
    cw_harness_log(h, "SIGKILL redis-server");
    CW_HARNESS_STEP(h, cw_harness_redis_kill(h));
    rc = cw_harness_ops_health_wait(h, 503, "\"redis unreachable\"", WAIT_MS, &killed_ms,
                                    &body);
    keep_body(killed_body, sizeof killed_body, body);
    CW_OPS_STEP(h, rc);
    cw_harness_metric(h, "cdrwarn_redis_up", &killed_redis_up);
    if (send_phase(2) != 0)
        return -1;
    cw_harness_sleep_ms(REDIS_TIMEOUT_MS); /* records taken, steps refused */
    events_while_killed = events_applied();

    /* 5. restarted on the same port, its AOF reloaded */
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    redis_port_after = cw_harness_redis_port(h);
    if (redis_port_after != redis_port_before)
        return cw_harness_ops_failf(h, "redis-server came back on port %d, not %d",
                                    redis_port_after, redis_port_before);
    CW_OPS_STEP(h,
                cw_harness_ops_health_wait(h, 200, NULL, WAIT_MS, &restarted_ms, NULL));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    cw_harness_log(h,
                   "503 %d ms after SIGSTOP, 200 %d ms after SIGCONT; 503 %d ms after "
                   "SIGKILL, 200 %d ms after the restart; cdr partition %d lag %g "
                   "(%d ms) while frozen, %g (%d ms) after the thaw",
                   frozen_ms, thawed_ms, killed_ms, restarted_ms, lag_partition,
                   frozen_lag, frozen_lag_ms, thawed_lag, thawed_lag_ms);
    return 0;
}

static void setup(void)
{
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    h = cw_harness_new("ops-health");
    if (h != NULL)
        play();
    /* never leave Redis frozen for the teardown */
    if (h != NULL && cw_harness_redis_pid(h) > 0)
        kill(cw_harness_redis_pid(h), SIGCONT);
}

static void teardown(void)
{
    cw_harness_free(h);
    h = NULL;
}

/* The body parsed; status and reasons checked. */
static void expect_health(const char *body, const char *status, const char *reasons,
                          int partitions)
{
    json_error_t err;
    json_t *health = json_loads(body, 0, &err);
    CW_HARNESS_ASSERT(h, health != NULL, "/healthz body is not JSON: %s (%s)", err.text,
                      body);
    const char *got = json_string_value(json_object_get(health, "status"));
    char *got_reasons = json_dumps(json_object_get(health, "reasons"), JSON_COMPACT);
    json_t *count = json_object_get(health, "partitions");
    CW_HARNESS_ASSERT(h, got != NULL && strcmp(got, status) == 0,
                      "/healthz status '%s', expected '%s'", got ? got : "(none)",
                      status);
    CW_HARNESS_ASSERT(h, got_reasons != NULL && strcmp(got_reasons, reasons) == 0,
                      "/healthz reasons %s, expected %s",
                      got_reasons ? got_reasons : "(none)", reasons);
    CW_HARNESS_ASSERT(h,
                      json_is_integer(count) && json_integer_value(count) == partitions,
                      "/healthz partitions %s, expected %d", body, partitions);
    free(got_reasons);
    json_decref(health);
}

START_TEST(healthz_answers_200_ok_with_no_reason_while_consuming)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, healthy_status == 200, "/healthz answered %d: %s",
                      healthy_status, healthy_body);
    expect_health(healthy_body, "ok", "[]", PARTITIONS);
}
END_TEST

START_TEST(a_frozen_redis_turns_healthz_503_within_the_timeout_and_a_keepalive)
{
    CW_OPS_REQUIRE(h);
    expect_health(frozen_body, "unavailable", "[\"redis unreachable\"]", PARTITIONS);
    CW_HARNESS_ASSERT(h, frozen_ms <= REDIS_TIMEOUT_MS + KEEPALIVE_MS + MARGIN_MS,
                      "503 came %d ms after SIGSTOP; expected within %d ms", frozen_ms,
                      REDIS_TIMEOUT_MS + KEEPALIVE_MS + MARGIN_MS);
    CW_HARNESS_ASSERT(h, frozen_redis_up == 0, "cdrwarn_redis_up %g while frozen",
                      frozen_redis_up);
}
END_TEST

START_TEST(a_thawed_redis_turns_healthz_200_again)
{
    CW_OPS_REQUIRE(h);
    /* the connection that was hanging is answered at once */
    CW_HARNESS_ASSERT(h, thawed_ms <= REDIS_TIMEOUT_MS + MARGIN_MS,
                      "200 came %d ms after SIGCONT", thawed_ms);
    double up = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_up", &up));
    CW_HARNESS_ASSERT(h, up == 1, "cdrwarn_redis_up %g at the end", up);
}
END_TEST

START_TEST(consumer_lag_counts_the_records_held_back_by_a_frozen_redis_then_0)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, lag_expected > 0, "no subscriber on cdr partition %d",
                      lag_partition);
    CW_HARNESS_ASSERT(h, idle_lag == 0,
                      "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"} was %g "
                      "before the freeze, with everything applied; expected 0",
                      CW_HARNESS_TOPIC_CDR, lag_partition, idle_lag);
    CW_HARNESS_ASSERT(
        h, frozen_lag > 0 && frozen_lag == lag_expected,
        "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"} was %g while "
        "Redis was frozen (up to 5 s after the %d records on it were acked); "
        "expected %d",
        CW_HARNESS_TOPIC_CDR, lag_partition, frozen_lag, lag_expected, lag_expected);
    CW_HARNESS_ASSERT(h, thawed_lag == 0,
                      "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"} was %g 5 s "
                      "after everything was applied once Redis thawed; expected 0",
                      CW_HARNESS_TOPIC_CDR, lag_partition, thawed_lag);
}
END_TEST

START_TEST(a_killed_redis_turns_healthz_503_and_nothing_is_applied_meanwhile)
{
    CW_OPS_REQUIRE(h);
    expect_health(killed_body, "unavailable", "[\"redis unreachable\"]", PARTITIONS);
    /* a refused connection is noticed at once; the margin is for the poll */
    CW_HARNESS_ASSERT(h, killed_ms <= REDIS_TIMEOUT_MS + KEEPALIVE_MS + MARGIN_MS,
                      "503 came %d ms after SIGKILL", killed_ms);
    CW_HARNESS_ASSERT(h, killed_redis_up == 0, "cdrwarn_redis_up %g while killed",
                      killed_redis_up);
    CW_HARNESS_ASSERT(h, events_before_kill == 2 * 2 * SUBSCRIBERS,
                      "%g events applied before the kill, expected %d",
                      events_before_kill, 2 * 2 * SUBSCRIBERS);
    CW_HARNESS_ASSERT(h, events_while_killed == events_before_kill,
                      "%g events counted applied while Redis was dead, %g before",
                      events_while_killed, events_before_kill);
}
END_TEST

START_TEST(redis_restarted_on_the_same_port_turns_healthz_200_again)
{
    CW_OPS_REQUIRE(h);
    /* the reconnect backoff is at most 5 s */
    CW_HARNESS_ASSERT(h, restarted_ms <= 5000 + REDIS_TIMEOUT_MS + MARGIN_MS,
                      "200 came %d ms after the restart", restarted_ms);
    int status = 0;
    char *body = NULL;
    CW_HARNESS_OK(h, cw_harness_http_get(h, "/healthz", &status, &body));
    CW_HARNESS_ASSERT(h, status == 200, "/healthz answered %d at the end: %s", status,
                      body);
    expect_health(body, "ok", "[]", PARTITIONS);
    free(body);
}
END_TEST

START_TEST(events_sent_during_both_outages_are_applied_exactly_once)
{
    CW_OPS_REQUIRE(h);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        cw_sub_t sub;
        bool found;
        CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, &sub, &found));
        CW_HARNESS_ASSERT(h, found, "%s has no state in Redis", msisdn);
        const cw_week_agg_t *agg = cw_sub_find_week(&sub, week);
        CW_HARNESS_ASSERT(h, agg != NULL, "%s has no aggregates for the week", msisdn);
        CW_HARNESS_ASSERT(
            h,
            agg->spend_fen == PHASES * (CALL_FEN + CHARGE_FEN) &&
                agg->voice_s == PHASES * CALL_S && agg->calls == PHASES,
            "%s: spend %lld fen, %lld s in %u calls; expected %d fen, %d s in "
            "%d calls (one call and one charge a phase, %d phases)",
            msisdn, (long long)agg->spend_fen, (long long)agg->voice_s, agg->calls,
            PHASES * (CALL_FEN + CHARGE_FEN), PHASES * CALL_S, PHASES, PHASES);
    }
    events_applied_reaching(2 * PHASES * SUBSCRIBERS);
    double voice = -1, charge = -1;
    CW_HARNESS_OK(h,
                  cw_harness_metric(h, "cdrwarn_events_total{type=\"voice\"}", &voice));
    CW_HARNESS_OK(h,
                  cw_harness_metric(h, "cdrwarn_events_total{type=\"charge\"}", &charge));
    CW_HARNESS_ASSERT(h, voice == PHASES * SUBSCRIBERS && charge == PHASES * SUBSCRIBERS,
                      "events_total voice %g, charge %g; expected %d each", voice, charge,
                      PHASES * SUBSCRIBERS);
}
END_TEST

START_TEST(the_log_never_shows_a_full_msisdn)
{
    CW_OPS_REQUIRE(h);
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, msisdn),
                          "the daemon's log shows %s unmasked (SPEC section 9)", msisdn);
    }
}
END_TEST

static Suite *ops_health_suite(void)
{
    Suite *s = suite_create("ops_health");
    TCase *tc = tcase_create("redis_outages");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, healthz_answers_200_ok_with_no_reason_while_consuming);
    tcase_add_test(tc,
                   a_frozen_redis_turns_healthz_503_within_the_timeout_and_a_keepalive);
    tcase_add_test(tc, a_thawed_redis_turns_healthz_200_again);
    tcase_add_test(tc,
                   consumer_lag_counts_the_records_held_back_by_a_frozen_redis_then_0);
    tcase_add_test(tc, a_killed_redis_turns_healthz_503_and_nothing_is_applied_meanwhile);
    tcase_add_test(tc, redis_restarted_on_the_same_port_turns_healthz_200_again);
    tcase_add_test(tc, events_sent_during_both_outages_are_applied_exactly_once);
    tcase_add_test(tc, the_log_never_shows_a_full_msisdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_health_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
