/* Fault suite: SIGTERM during heavy traffic (SPEC sections 1 and 4). Three
 * times while the traffic streams in (and while the backlog of the pause is
 * worked off), cdrwarnd is stopped with SIGTERM and started again. Each stop
 * ends with exit status 0 within the bound, leaves the consumer group's
 * committed offsets exactly at what Redis applied (so the next start replays
 * nothing: cdrwarn_records_replayed_total stays 0), and in the end the
 * alerts and aggregates equal those of the fault-free reference run. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault.h"

#define RATE_EPS 40000 /* the traffic takes about 10 s without the stops */
#define STOPS 3
#define STOP_BOUND_MS 25000 /* the daemon's own bound is 20 s */

static cw_harness_t *h;

static double replayed(void)
{
    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_records_replayed_total", &value));
    return value;
}

START_TEST(sigterm_during_heavy_traffic_exits_0_loses_nothing_and_replays_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, RATE_EPS));
    uint64_t rng = cw_fault_random_seed(h);

    for (int k = 1; k <= STOPS; k++) {
        /* somewhere in the k-th quarter of the stream */
        int64_t target =
            ref.records * k / (STOPS + 1) +
            cw_fault_random_range(&rng, 0, (int)(ref.records / (STOPS + 1) / 2));
        CW_FAULT_OK(h, cw_fault_wait_applied(h, target, CW_FAULT_WAIT_MS));
        cw_harness_sleep_ms(cw_fault_random_range(&rng, 0, 25));
        double replays = replayed();
        int status = -1;
        CW_HARNESS_OK(h, cw_harness_daemon_stop(h, STOP_BOUND_MS, &status));
        CW_HARNESS_ASSERT(h, status == 0, "stop #%d: cdrwarnd exited with status %d", k,
                          status);
        CW_HARNESS_ASSERT(
            h, replays == 0,
            "the run before stop #%d replayed %.0f record(s): the stop before "
            "it left the group's offsets behind what Redis applied",
            k, replays);
        cw_harness_log(h, "stop #%d at %lld records applied: exit 0", k,
                       (long long)cw_fault_applied(h));
        CW_HARNESS_OK(h, cw_harness_wait_committed_applied(h, CW_FAULT_TOPIC,
                                                           CW_FAULT_PARTITIONS, 0));
        /* every alert delivered before the exit is out of the outbox too, or
         * the next start would send it again */
        CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, 0));
        CW_HARNESS_OK(h, cw_harness_daemon_start(h));
        CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    }

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    CW_HARNESS_ASSERT(h, replayed() == 0, "the last run replayed %.0f record(s)",
                      replayed());
    CW_FAULT_OK(h, cw_fault_stop(h, 0, STOP_BOUND_MS));
    CW_HARNESS_OK(
        h, cw_harness_wait_committed_applied(h, CW_FAULT_TOPIC, CW_FAULT_PARTITIONS, 0));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main(
        "fault_sigterm",
        sigterm_during_heavy_traffic_exits_0_loses_nothing_and_replays_nothing, &h);
}
