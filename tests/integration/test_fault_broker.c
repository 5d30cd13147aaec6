/* Fault suite: Kafka broker faults change nothing (SPEC sections 4, 7 and
 * 9). While the daemon works through the traffic, the devbroker's broker goes
 * down for five seconds (rd_kafka_mock_broker_set_down: every connection
 * closed, new ones refused), then requests fail on purpose (errors pushed on
 * the broker's error stack): produce requests (the daemon's alerts and dead
 * letters), fetches and offset commits, with retriable errors and dropped
 * connections. Alerts and aggregates equal those of the fault-free reference
 * run, requests of every API took injected errors (else the run proves
 * nothing), and the consumer group's committed offsets catch up with Redis.
 *
 * The traffic is all in the broker before the first fault: librdkafka 2.0.2's
 * mock broker can append a batch that an idempotent producer retries after a
 * dropped connection twice, and a duplicated input record is a different
 * traffic, not a fault of the daemon (it was seen: 20 extra records, 14
 * subscribers' aggregates off by one event). The daemon's own duplicated
 * alerts and dead letters are copies with the same ids, which the comparison
 * folds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#define DOWN_MS 5000

static cw_harness_t *h;

/* The APIs errors are injected for: how many, and how many no request took. */
static struct {
    const char *api;   /* as the devbroker's commands spell it */
    const char *label; /* as Kafka's protocol does */
    long injected, pending;
} faults[] = {
    {"produce", "Produce", 0, 0},
    {"fetch", "Fetch", 0, 0},
    {"offsetcommit", "OffsetCommit", 0, 0},
};

#define FAULT_COUNT (sizeof(faults) / sizeof(faults[0]))

static void command(const char *text)
{
    CW_HARNESS_OK(h, cw_harness_broker_command(h, text, NULL, 0));
    cw_harness_log(h, "devbroker: %s (%lld records applied)", text,
                   (long long)cw_fault_applied(h));
}

static void inject(const char *api, const char *err, long count)
{
    size_t i = 0;
    while (i < FAULT_COUNT && strcmp(faults[i].api, api) != 0)
        i++;
    ck_assert_msg(i < FAULT_COUNT, "no fault entry for API '%s'", api);
    char text[128];
    snprintf(text, sizeof text, "error %s %s %ld", api, err, count);
    command(text);
    faults[i].injected += count;
}

START_TEST(broker_down_and_request_errors_change_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_FAULT_OK(h, cw_fault_preload(h));
    CW_HARNESS_ASSERT(h, cw_fault_produced(h) == ref.records,
                      "the broker holds %lld records, the traffic is %lld",
                      (long long)cw_fault_produced(h), (long long)ref.records);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* down while records, alerts and commits are under way */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records / 6, CW_FAULT_WAIT_MS));
    command("down");
    cw_harness_sleep_ms(DOWN_MS);
    command("up");

    /* failing requests: each error hits the next request of its kind */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 2 / 5, CW_FAULT_WAIT_MS));
    inject("produce", "NOT_LEADER_FOR_PARTITION", 4);
    inject("fetch", "NOT_LEADER_FOR_PARTITION", 4);
    inject("offsetcommit", "REQUEST_TIMED_OUT", 4);
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 3 / 5, CW_FAULT_WAIT_MS));
    inject("produce", "_TRANSPORT", 2);
    inject("fetch", "_TRANSPORT", 2);
    inject("offsetcommit", "NOT_COORDINATOR", 3);
    inject("produce", "REQUEST_TIMED_OUT", 3);

    /* what is left of the errors meets the rest of the traffic and the last
     * week's close; the input is still the traffic, once */
    CW_HARNESS_ASSERT(h, cw_fault_produced(h) == ref.records,
                      "the broker holds %lld records, the traffic is %lld",
                      (long long)cw_fault_produced(h), (long long)ref.records);
    CW_FAULT_OK(h, cw_fault_settle(h, CW_FAULT_WAIT_MS));
    /* Counted now, while the daemon is the broker's only client: the
     * collection's own consumer would take leftover fetch errors. */
    for (size_t i = 0; i < FAULT_COUNT; i++) {
        CW_HARNESS_OK(h, cw_harness_broker_pending(h, faults[i].api, &faults[i].pending));
        cw_harness_log(h, "devbroker: %ld of %ld injected %s errors pending",
                       faults[i].pending, faults[i].injected, faults[i].label);
    }
    CW_FAULT_OK(h, cw_fault_collect(h, &got, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_compare(h, &ref, &got));
    /* Each kind of fault happened: requests took errors of every API. Not
     * necessarily all of them: the last round meets only what is left of the
     * traffic, and an idle consumer commits nothing new. */
    for (size_t i = 0; i < FAULT_COUNT; i++)
        CW_HARNESS_ASSERT(h, faults[i].pending < faults[i].injected,
                          "none of the %ld injected %s errors was hit by a request: "
                          "that fault did not happen",
                          faults[i].injected, faults[i].label);

    /* the group's committed offsets catch up with what Redis applied (by
     * then every record: the run is settled), a moment behind: auto-commit */
    CW_HARNESS_OK(h, cw_harness_wait_committed_applied(h, CW_FAULT_TOPIC,
                                                       CW_FAULT_PARTITIONS, 30000));
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_broker", broker_down_and_request_errors_change_nothing,
                         &h);
}
