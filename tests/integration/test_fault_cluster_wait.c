/* Fault suite on Redis Cluster with [redis] min_replicas_acked = 1: the
 * failover of test_fault_cluster_failover (the replica of partition 0's
 * master frozen and cut off for 1.5 s, the master killed, the replica
 * promoted) with every commit followed by WAIT for one replica. Commits
 * the replica never got fall short: their steps fail (NOREPLICAS, counted
 * in cdrwarn_redis_wait_shortfalls_total), so no offset of theirs reaches
 * the consumer group and none of their alerts is published; the promoted
 * replica is therefore never behind the group, no rollback is needed, and
 * the run ends with the fault-free reference's results. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static cw_harness_t *h;

START_TEST(commits_waiting_for_a_replica_survive_a_failover_without_a_rollback)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare_cluster(h, NULL));
    cw_harness_config_set(h, "redis", "timeout", "2s");
    cw_harness_config_set(h, "redis", "min_replicas_acked", "1");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000));
    const int64_t total = ref.records;
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 3, CW_FAULT_WAIT_MS));

    cw_fault_failover_t failover;
    CW_FAULT_OK(h, cw_fault_cluster_failover(h, 0, 1500, 10000, &failover));
    free(failover.health_body);

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    double rollbacks = -1, shortfalls = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_rollbacks_total", &rollbacks));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_wait_shortfalls_total", &shortfalls));
    cw_harness_log(h, "WAIT shortfalls %.0f, rollbacks %.0f", shortfalls, rollbacks);
    CW_HARNESS_ASSERT(h, shortfalls >= 1,
                      "no commit fell short of its replica while the replica was cut off");
    CW_HARNESS_ASSERT(h, rollbacks == 0,
                      "%.0f rollback(s): a commit's offsets reached the group before a replica "
                      "had it",
                      rollbacks);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "NOREPLICAS"),
                      "no NOREPLICAS in the daemon's log");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_cluster_wait",
                         commits_waiting_for_a_replica_survive_a_failover_without_a_rollback, &h);
}
