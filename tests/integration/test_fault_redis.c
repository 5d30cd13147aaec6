/* Fault suite: Redis outages change nothing (SPEC sections 4, 7 and 9).
 * While the traffic streams in, redis-server is first frozen (SIGSTOP) for
 * three times the daemon's [redis] timeout, so that commands time out, the
 * connection is dropped and reconnects hang, and the commands the daemon
 * gave up on run late, once Redis resumes (SIGCONT); later it is killed
 * (SIGKILL) and restarted from its AOF. Alerts and aggregates equal those of
 * the fault-free reference run.
 *
 * Redis runs with appendonly yes and appendfsync always: what the daemon's
 * guarantees assume (README, "Guarantees and how they are tested"). With
 * everysec a killed redis-server loses nothing either in practice (writes
 * reach the kernel before the reply), but a host crash may lose the last
 * second, which the daemon cannot notice. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault.h"

#define RATE_EPS "30000" /* the traffic takes about 13 s */
#define TIMEOUT_MS 1000

static cw_harness_t *h;

static int health(void)
{
    int status = 0;
    cw_harness_http_get(h, "/healthz", &status, NULL);
    return status;
}

START_TEST(redis_frozen_then_killed_and_restarted_from_its_aof_changes_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    static const char *const aof[] = {"--appendonly", "yes", "--appendfsync", "always",
                                      NULL};
    CW_FAULT_OK(h, cw_fault_prepare(h, aof));
    cw_harness_config_set(h, "redis", "timeout", "1s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, atoi(RATE_EPS)));
    const int64_t total = ref.records;

    /* frozen: longer than the timeout, while records and a week close come */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 5, CW_FAULT_WAIT_MS));
    pid_t redis = cw_harness_redis_pid(h);
    CW_HARNESS_ASSERT(h, redis > 0, "redis-server is not running");
    int64_t applied = cw_fault_applied(h);
    kill(redis, SIGSTOP);
    cw_harness_log(h, "redis-server frozen (SIGSTOP) at about %lld records applied",
                   (long long)applied);
    cw_harness_sleep_ms(3 * TIMEOUT_MS + 500);
    int frozen_health = health();
    kill(redis, SIGCONT);
    cw_harness_log(h, "redis-server resumed (SIGCONT); /healthz answered %d while frozen",
                   frozen_health);
    CW_HARNESS_ASSERT(h, frozen_health == 503,
                      "/healthz answered %d with Redis frozen for %d ms, expected 503",
                      frozen_health, 3 * TIMEOUT_MS + 500);

    /* killed and restarted from the AOF */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total * 11 / 20, CW_FAULT_WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_redis_kill(h));
    cw_harness_log(h, "redis-server killed (SIGKILL)");
    cw_harness_sleep_ms(1500);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    cw_harness_log(h, "redis-server restarted from its AOF at %lld records applied",
                   (long long)cw_fault_applied(h));

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    double reconnects = -1, errors = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_reconnects_total", &reconnects));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_errors_total", &errors));
    cw_harness_log(h, "Redis reconnects %.0f, errors %.0f", reconnects, errors);
    CW_HARNESS_ASSERT(
        h, reconnects >= 3,
        "%.0f Redis connection(s) made, expected the first and one after each "
        "fault",
        reconnects);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main(
        "fault_redis",
        redis_frozen_then_killed_and_restarted_from_its_aof_changes_nothing, &h);
}
