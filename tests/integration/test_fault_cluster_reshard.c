/* Fault suite on Redis Cluster: the slots of partitions the daemon holds
 * move to another master while it works (SPEC section 13). While the
 * traffic streams in, the slots of partitions 0 and 1 are migrated one
 * after the other (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE five keys
 * at a time with pauses, so that the daemon meets each slot half moved,
 * then SETSLOT NODE). The daemon follows ASK to the target, takes TRYAGAIN
 * and MOVED as a step to redo, reads the new slot map, and ends with the
 * fault-free reference's results: nothing lost, nothing applied twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "keys.h"

static cw_harness_t *h;

START_TEST(slots_of_held_partitions_migrated_mid_stream_change_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare_cluster(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000)); /* about 13 s of traffic */
    const int64_t total = ref.records;
    int from[2], to[2];
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 4, CW_FAULT_WAIT_MS));
    CW_FAULT_OK(h, cw_fault_cluster_migrate(h, 0, 5, 20, &from[0], &to[0]));
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 2, CW_FAULT_WAIT_MS));
    CW_FAULT_OK(h, cw_fault_cluster_migrate(h, 1, 5, 20, &from[1], &to[1]));

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    for (int p = 0; p < 2; p++) {
        char key[CW_KEY_SIZE];
        cw_key_meta(key, "cw:", p);
        int now = cw_harness_cluster_node_of(h, key);
        CW_HARNESS_ASSERT(h, now == to[p], "partition %d's slot is on node %d, not %d", p, now,
                          to[p]);
    }
    double moved = 0, ask = 0, tryagain = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_cluster_replies_total{reply=\"moved\"}",
                                       &moved));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_cluster_replies_total{reply=\"ask\"}",
                                       &ask));
    CW_HARNESS_OK(h, cw_harness_metric(
                         h, "cdrwarn_redis_cluster_replies_total{reply=\"tryagain\"}", &tryagain));
    cw_harness_log(h, "cluster replies: %.0f MOVED, %.0f ASK, %.0f TRYAGAIN", moved, ask,
                   tryagain);
    CW_HARNESS_ASSERT(h, moved + ask + tryagain >= 1,
                      "the daemon never met a moving slot (no MOVED, ASK or TRYAGAIN)");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_cluster_reshard",
                         slots_of_held_partitions_migrated_mid_stream_change_nothing, &h);
}
