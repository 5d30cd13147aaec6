/* Fault suite on Redis Cluster: the whole cluster stops answering for a
 * while (SPEC sections 9 and 13). While the traffic streams in, every node
 * of the cluster (three masters, three replicas) is frozen (SIGSTOP) for
 * three and a half times the daemon's [redis] timeout of 1 s, so that
 * commands time out, connections are dropped, reconnects and slot-map
 * reads hang; then all resume (SIGCONT) and the commands given up on run
 * late. /healthz answers 503 naming the unreachable masters meanwhile; the
 * daemon recovers by itself and ends with the fault-free reference's
 * results. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#define TIMEOUT_MS 1000

static cw_harness_t *h;

START_TEST(the_whole_cluster_frozen_then_resumed_changes_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare_cluster(h, NULL));
    cw_harness_config_set(h, "redis", "timeout", "1s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000)); /* about 13 s of traffic */
    const int64_t total = ref.records;
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 3, CW_FAULT_WAIT_MS));

    int nodes = cw_harness_node_count(h);
    for (int i = 0; i < nodes; i++)
        kill(cw_harness_node_pid(h, i), SIGSTOP);
    cw_harness_log(h, "every node of the cluster frozen (SIGSTOP)");
    cw_harness_sleep_ms(3 * TIMEOUT_MS + 500);
    int status = 0;
    char *body = NULL;
    cw_harness_http_get(h, "/healthz", &status, &body);
    for (int i = 0; i < nodes; i++)
        kill(cw_harness_node_pid(h, i), SIGCONT);
    cw_harness_log(h, "the cluster resumed (SIGCONT); /healthz answered %d while frozen: %s",
                   status, body ? body : "");
    CW_HARNESS_ASSERT(h, status == 503 && body != NULL && strstr(body, "redis unreachable: ") != NULL,
                      "/healthz answered %d with the cluster frozen: %s", status,
                      body ? body : "");
    free(body);

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    double reconnects = 0, up = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_reconnects_total", &reconnects));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_up", &up));
    cw_harness_log(h, "Redis connections made %.0f", reconnects);
    CW_HARNESS_ASSERT(h, reconnects >= 6 && up == 1,
                      "%.0f connection(s) made, redis_up %g: expected the three masters twice",
                      reconnects, up);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_cluster_down", the_whole_cluster_frozen_then_resumed_changes_nothing,
                         &h);
}
