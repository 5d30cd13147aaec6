/* Fault suite: cdrwarnd killed with SIGKILL at random moments, ten times in
 * one run, and restarted each time, changes nothing (SPEC sections 4 and 7):
 * the alerts published (duplicates with the same id aside) and every
 * subscriber's aggregates equal those of the fault-free reference run of the
 * same traffic, every dead letter is there, every week is closed once.
 *
 * The whole traffic is in the broker before the first start, so the daemon
 * works flat out. Most kills come as soon as the records applied (the next
 * offsets in Redis) pass a random point of the stream, plus a few
 * milliseconds, which lands them inside the steps and week-close sweeps in
 * flight; some come a random moment after a restart, while the daemon is
 * still joining its group or loading its partitions; the last comes once
 * everything is applied, in the last week's close. The moments are drawn from
 * a logged seed (CW_FAULT_RANDOM_SEED replays them). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault.h"

#define KILLS 10

static cw_harness_t *h;

static int int64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(sigkill_ten_times_at_random_moments_changes_no_alert_and_no_aggregate)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_FAULT_OK(h, cw_fault_preload(h));
    int64_t total = cw_fault_produced(h);
    CW_HARNESS_ASSERT(h, total > 0, "no traffic: %s", cw_fault_error());

    uint64_t rng = cw_fault_random_seed(h);
    int64_t targets[KILLS];
    for (int k = 0; k < KILLS - 1; k++)
        targets[k] = total / 100 + (int64_t)(cw_fault_random(&rng) % (uint64_t)total);
    targets[KILLS - 1] = total; /* everything applied: the last close */
    qsort(targets, KILLS, sizeof targets[0], int64_cmp);

    int by_time = 0, by_progress = 0;
    for (int k = 0; k < KILLS; k++) {
        CW_HARNESS_OK(h, cw_harness_daemon_start(h));
        int64_t at;
        if (k > 0 && k < KILLS - 1 && cw_fault_random_range(&rng, 0, 3) == 0) {
            /* somewhere in the restart: the join, the first loads */
            cw_harness_sleep_ms(cw_fault_random_range(&rng, 100, 5000));
            by_time++;
        } else {
            CW_FAULT_OK(h,
                        cw_fault_wait_applied(h, targets[k] < total ? targets[k] : total,
                                              CW_FAULT_WAIT_MS));
            cw_harness_sleep_ms(cw_fault_random_range(&rng, 0, 25));
            by_progress++;
        }
        CW_HARNESS_ASSERT(h, cw_harness_daemon_running(h),
                          "cdrwarnd died by itself before kill #%d", k + 1);
        CW_HARNESS_OK(h, cw_harness_daemon_kill(h));
        at = cw_fault_applied(h);
        cw_harness_log(h, "kill #%d of %d: %lld of %lld records applied", k + 1, KILLS,
                       (long long)at, (long long)total);
    }
    cw_harness_log(h, "%d kill(s) at a point of the stream, %d during a restart",
                   by_progress, by_time);

    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main(
        "fault_sigkill",
        sigkill_ten_times_at_random_moments_changes_no_alert_and_no_aggregate, &h);
}
