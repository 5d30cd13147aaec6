/* Integration: a SIGTERM in the middle of a stream stops cdrwarnd cleanly
 * (exit 0, "stopped" logged, the consumed offsets committed to the group),
 * and the restarted daemon re-applies nothing and loses nothing (SPEC
 * sections 1, 4 and 9). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define PARTITIONS 4
#define SUBSCRIBERS 40
#define DATA_EVENTS 120  /* per subscriber, 7 fen each, on cdr */
#define CHARGE_EVENTS 20 /* per subscriber, 100 fen each, on billing */
#define VOICE_EVENTS 5   /* per subscriber, 60 s each, on cdr */
#define PER_SUB (DATA_EVENTS + CHARGE_EVENTS + VOICE_EVENTS)

static cw_harness_t *h;
static int32_t week; /* a whole week in the past: no week closes here */

static const char *const inputs[] = {CW_HARNESS_TOPIC_CDR, CW_HARNESS_TOPIC_BILLING,
                                     CW_HARNESS_TOPIC_CRM};

static void setup(void)
{
    h = cw_harness_new("stop");
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
}

static void teardown(void)
{
    cw_harness_free(h);
    h = NULL;
}

static void msisdn_of(int i, char out[24])
{
    snprintf(out, 24, "1380030%04d", i);
}

/* The k-th event (0..PER_SUB-1) of subscriber i, at a time inside the week's
 * Tuesday..Friday so that nothing closes. */
static void send_event(int i, int k)
{
    char msisdn[24];
    msisdn_of(i, msisdn);
    int64_t ts = cw_week_start_ms(week, UTC8) + CW_MS_PER_DAY + 3600000LL +
                 (int64_t)k * 60000 + i * 1000;
    int rc;
    if (k < DATA_EVENTS)
        rc = cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "data", ts,
                                   ",\"bytes\":1000,\"charge_fen\":7");
    else if (k < DATA_EVENTS + CHARGE_EVENTS)
        rc = cw_harness_send_event(h, CW_HARNESS_TOPIC_BILLING, msisdn, "charge", ts,
                                   ",\"charge_fen\":100,\"item\":\"vas\"");
    else
        rc = cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "voice", ts,
                                   ",\"direction\":\"mo\",\"peer\":\"13800000999\","
                                   "\"duration_s\":60");
    CW_HARNESS_ASSERT(h, rc >= 0, "send: %s", cw_harness_error(h));
}

/* Sum over partitions and input topics of the meta hashes' next offsets. */
static int64_t applied_total(void)
{
    int64_t total = 0;
    for (int p = 0; p < PARTITIONS; p++)
        for (int t = 0; t < 3; t++) {
            int64_t next;
            CW_HARNESS_OK(h, cw_harness_next_offset(h, p, inputs[t], &next));
            total += next >= 0 ? next : 0;
        }
    return total;
}

static double metric(const char *series)
{
    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, series, &value));
    return value;
}

START_TEST(sigterm_mid_stream_exits_0_commits_offsets_and_replays_nothing)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* a third of every subscriber's stream; once the daemon is under way,
     * the second third is queued and SIGTERM sent while it arrives */
    const int third = PER_SUB / 3;
    for (int k = 0; k < third; k++)
        for (int i = 0; i < SUBSCRIBERS; i++)
            send_event(i, k);
    CW_HARNESS_OK(h, cw_harness_flush(h, 30000));
    int64_t seen = 0;
    for (int waited = 0; waited < 30000 && seen == 0; waited += 10) {
        seen = applied_total();
        if (seen == 0)
            cw_harness_sleep_ms(10);
    }
    CW_HARNESS_ASSERT(h, seen > 0, "the daemon applied nothing of %d records in 30 s",
                      SUBSCRIBERS * third);
    const int first_part = 2 * third;
    for (int k = third; k < first_part; k++)
        for (int i = 0; i < SUBSCRIBERS; i++)
            send_event(i, k);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_OK(h, cw_harness_flush(h, 30000));
    int64_t produced = (int64_t)SUBSCRIBERS * first_part;
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "stopped"),
                      "no \"stopped\" line in the daemon's log");
    int64_t applied_at_stop = applied_total();
    cw_harness_log(h, "SIGTERM when %lld of %lld records were applied; %lld at exit",
                   (long long)seen, (long long)produced, (long long)applied_at_stop);

    /* what Redis holds as applied is what the group has committed */
    for (int t = 0; t < 3; t++)
        CW_HARNESS_OK(h, cw_harness_wait_committed_applied(h, inputs[t], PARTITIONS, 0));

    /* restart, send the rest: nothing replayed, everything applied once */
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    for (int k = first_part; k < PER_SUB; k++)
        for (int i = 0; i < SUBSCRIBERS; i++)
            send_event(i, k);
    CW_HARNESS_OK(h, cw_harness_flush(h, 30000));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, 60000));
    CW_HARNESS_ASSERT(h, applied_total() == (int64_t)SUBSCRIBERS * PER_SUB,
                      "applied %lld records, sent %d", (long long)applied_total(),
                      SUBSCRIBERS * PER_SUB);

    /* SPEC section 9: committed to the group a few seconds behind at most,
     * while running too */
    for (int t = 0; t < 3; t++)
        CW_HARNESS_OK(h,
                      cw_harness_wait_committed_applied(h, inputs[t], PARTITIONS, 5000));

    double replayed = metric("cdrwarn_records_replayed_total");
    CW_HARNESS_ASSERT(h, replayed == 0,
                      "the restarted daemon skipped %.0f replayed record(s)", replayed);
    double events = metric("cdrwarn_events_total{type=\"data\"}") +
                    metric("cdrwarn_events_total{type=\"charge\"}") +
                    metric("cdrwarn_events_total{type=\"voice\"}");
    CW_HARNESS_ASSERT(h, events == (double)(SUBSCRIBERS * PER_SUB - applied_at_stop),
                      "the restarted daemon applied %.0f events, expected %lld", events,
                      (long long)(SUBSCRIBERS * PER_SUB - applied_at_stop));

    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        cw_sub_t sub;
        bool found;
        CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, &sub, &found));
        CW_HARNESS_ASSERT(h, found, "%s: no state in Redis", msisdn);
        const cw_week_agg_t *agg = cw_sub_find_week(&sub, week);
        CW_HARNESS_ASSERT(h, agg != NULL && sub.week_count == 1,
                          "%s: expected exactly the one week of its events", msisdn);
        CW_HARNESS_ASSERT(h, agg->spend_fen == DATA_EVENTS * 7 + CHARGE_EVENTS * 100,
                          "%s: spend %lld fen, expected %d", msisdn,
                          (long long)agg->spend_fen,
                          DATA_EVENTS * 7 + CHARGE_EVENTS * 100);
        CW_HARNESS_ASSERT(
            h, agg->voice_s == VOICE_EVENTS * 60 && agg->calls == VOICE_EVENTS,
            "%s: voice %lld s in %u calls, expected %d s in %d", msisdn,
            (long long)agg->voice_s, agg->calls, VOICE_EVENTS * 60, VOICE_EVENTS);
    }

    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    cw_harness_stop(h);
}
END_TEST

static Suite *stop_suite(void)
{
    Suite *s = suite_create("stop");
    TCase *tc = tcase_create("sigterm");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 280);
    tcase_add_test(tc, sigterm_mid_stream_exits_0_commits_offsets_and_replays_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
