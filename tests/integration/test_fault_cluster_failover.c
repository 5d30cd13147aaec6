/* Fault suite on Redis Cluster: a master dies mid-stream and its replica,
 * which had fallen behind, takes its place (SPEC section 13). While the
 * traffic streams in, the replica of the master holding partition 0 is
 * frozen for 1.5 s, so its master acknowledges commits the replica never
 * gets; then the master is killed (SIGKILL) and the replica promoted (by
 * the cluster, or by CLUSTER FAILOVER TAKEOVER when that takes longer than
 * 10 s), and the old master comes back as a replica. The daemon says which
 * node is unreachable and for which partitions, finds the promoted replica
 * by itself, notices that it came back older than the consumer group's
 * offsets, replays from its offsets, and ends with the fault-free
 * reference's results: nothing lost, nothing applied twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static cw_harness_t *h;

START_TEST(a_master_killed_behind_a_lagging_replica_loses_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare_cluster(h, NULL));
    cw_harness_config_set(h, "redis", "timeout", "2s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000)); /* about 13 s of traffic */
    const int64_t total = ref.records;
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 3, CW_FAULT_WAIT_MS));

    cw_fault_failover_t failover;
    CW_FAULT_OK(h, cw_fault_cluster_failover(h, 0, 1500, 10000, &failover));
    char node[64];
    snprintf(node, sizeof node, "127.0.0.1:%d (partitions ", cw_harness_node_port(h, failover.master));
    CW_HARNESS_ASSERT(h,
                      failover.health_status == 503 && failover.health_body != NULL &&
                          strstr(failover.health_body, node) != NULL,
                      "/healthz answered %d while the master was down, not naming %s): %s",
                      failover.health_status, node,
                      failover.health_body ? failover.health_body : "");
    free(failover.health_body);

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    double rollbacks = 0, refreshes = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_rollbacks_total", &rollbacks));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_slot_map_refreshes_total", &refreshes));
    cw_harness_log(h, "rollbacks healed %.0f, slot maps read %.0f", rollbacks, refreshes);
    CW_HARNESS_ASSERT(h, rollbacks >= 1 && cw_harness_daemon_log_contains(h, "came back older"),
                      "the promoted replica's missing commits were not noticed (%.0f rollbacks)",
                      rollbacks);
    char series[96];
    snprintf(series, sizeof series, "cdrwarn_redis_node_up{node=\"127.0.0.1:%d\"}",
             cw_harness_node_port(h, failover.replica));
    double up = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, series, &up));
    CW_HARNESS_ASSERT(h, up == 1, "%s %g: the promoted replica is not a master in the map",
                      series, up);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_cluster_failover",
                         a_master_killed_behind_a_lagging_replica_loses_nothing, &h);
}
