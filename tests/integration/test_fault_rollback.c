/* Fault suite: Redis comes back older (SPEC section 13). redis-server runs
 * without an AOF; a third of the way into the traffic its state is saved
 * (SAVE, an RDB snapshot), and later, with the group's offsets committed far
 * past that point, it is killed and restarted from the snapshot: as after a
 * restore from a backup, a replica promoted before it caught up, or a host
 * crash with `everysec`. The daemon finds Redis behind the offsets the group
 * committed, seeks back to Redis's offsets and replays; the run ends with the
 * alerts, states and dead letters of the fault-free reference. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault.h"

static cw_harness_t *h;

START_TEST(redis_restored_from_an_older_snapshot_is_healed_by_a_replay)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    static const char *const rdb_only[] = {"--appendonly", "no", "--save", "", NULL};
    CW_FAULT_OK(h, cw_fault_prepare(h, rdb_only));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000));
    const int64_t total = ref.records;

    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 3, CW_FAULT_WAIT_MS));
    int64_t before_save = cw_fault_applied(h);
    redisReply *reply = redisCommand(cw_harness_redis(h), "SAVE");
    CW_HARNESS_ASSERT(h, reply != NULL && reply->type == REDIS_REPLY_STATUS,
                      "SAVE failed: %s", reply ? reply->str : "no reply");
    freeReplyObject(reply);
    int64_t saved_at = cw_fault_applied(h);
    cw_harness_log(h, "snapshot saved at %lld records applied", (long long)saved_at);

    /* far enough on for the group to have committed well past the snapshot */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total * 2 / 3, CW_FAULT_WAIT_MS));
    cw_harness_sleep_ms(1000);
    int64_t lost = cw_fault_applied(h) - saved_at;
    CW_HARNESS_OK(h, cw_harness_redis_kill(h));
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    int64_t restored = cw_fault_applied(h);
    cw_harness_log(h, "redis-server restarted from the snapshot: %lld records applied, %lld "
                      "lost with it",
                   (long long)restored, (long long)lost);
    /* commits go on while SAVE runs: the snapshot lies between the two readings */
    CW_HARNESS_ASSERT(h, restored >= before_save && restored <= saved_at,
                      "Redis restarted at %lld records, not between %lld and %lld",
                      (long long)restored, (long long)before_save, (long long)saved_at);

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    double rollbacks = 0, rewound = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_rollbacks_total", &rollbacks));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_records_rewound_total", &rewound));
    cw_harness_log(h, "rollbacks healed %.0f, records rewound %.0f", rollbacks, rewound);
    CW_HARNESS_ASSERT(h, rollbacks >= 1 && rewound >= 1,
                      "the rollback was not noticed (%.0f rollbacks, %.0f records rewound)",
                      rollbacks, rewound);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "came back older"),
                      "no WARNING naming the rollback in the log");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_rollback", redis_restored_from_an_older_snapshot_is_healed_by_a_replay,
                         &h);
}
