/* Fault suite: Kafka broker faults change nothing (SPEC sections 4, 7 and
 * 9). While the traffic streams in, the devbroker's broker goes down for five
 * seconds (rd_kafka_mock_broker_set_down: every connection closed, new ones
 * refused), then requests fail on purpose
 * (rd_kafka_mock_push_request_errors): produce requests (the daemon's alerts
 * and dead letters, and the traffic generator's records: both producers are
 * idempotent), fetches and offset commits, with retriable errors and dropped
 * connections. Alerts and aggregates equal those of the fault-free reference
 * run, and the consumer group's committed offsets catch up with Redis. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault.h"

#define RATE_EPS 60000 /* the traffic takes about 7 s without faults */
#define DOWN_MS 5000

static cw_harness_t *h;

static void command(const char *text)
{
    CW_HARNESS_OK(h, cw_harness_broker_command(h, text, NULL, 0));
    cw_harness_log(h, "devbroker: %s (%lld records applied)", text,
                   (long long)cw_fault_applied(h));
}

START_TEST(broker_down_and_request_errors_change_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, RATE_EPS));

    /* down while records, alerts and commits are under way */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records / 6, CW_FAULT_WAIT_MS));
    command("down");
    cw_harness_sleep_ms(DOWN_MS);
    command("up");

    /* failing requests: each error hits the next request of its kind */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 2 / 5, CW_FAULT_WAIT_MS));
    command("error produce NOT_LEADER_FOR_PARTITION 4");
    command("error fetch NOT_LEADER_FOR_PARTITION 4");
    command("error offsetcommit REQUEST_TIMED_OUT 4");
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records * 3 / 5, CW_FAULT_WAIT_MS));
    command("error produce _TRANSPORT 2");
    command("error fetch _TRANSPORT 2");
    command("error offsetcommit NOT_COORDINATOR 3");
    command("error produce REQUEST_TIMED_OUT 3");

    /* what is left of the errors meets the rest of the traffic and the last
     * week's close, then goes */
    CW_FAULT_OK(h, cw_fault_settle(h, CW_FAULT_WAIT_MS));
    command("clear");
    CW_FAULT_OK(h, cw_fault_collect(h, &got, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_compare(h, &ref, &got));

    /* the group's committed offsets catch up with what Redis applied (a
     * second or so behind: auto-commit every second) */
    int64_t committed[CW_FAULT_PARTITIONS], want[CW_FAULT_PARTITIONS],
        lows[CW_FAULT_PARTITIONS];
    CW_HARNESS_OK(
        h, cw_harness_watermarks(h, CW_FAULT_TOPIC, CW_FAULT_PARTITIONS, lows, want));
    int lagging = -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        CW_HARNESS_OK(h, cw_harness_committed(h, CW_HARNESS_GROUP, CW_FAULT_TOPIC,
                                              CW_FAULT_PARTITIONS, committed));
        lagging = -1;
        for (int p = 0; p < CW_FAULT_PARTITIONS && lagging < 0; p++)
            if (committed[p] != want[p])
                lagging = p;
        if (lagging < 0)
            break;
        cw_harness_sleep_ms(200);
    }
    CW_HARNESS_ASSERT(h, lagging < 0, "partition %d: committed offset %lld, applied %lld",
                      lagging, (long long)committed[lagging], (long long)want[lagging]);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_result_free(&got);
    cw_fault_result_free(&ref);
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_broker", broker_down_and_request_errors_change_nothing,
                         &h);
}
