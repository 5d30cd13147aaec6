/* The fault suite's traffic through twemproxy (Debian's nutcracker, the
 * README's other way to spread the state over several servers): two
 * redis-servers behind one nutcracker with hash_tag "{}", so each
 * partition's keys, its MGETs and its commit script go to one server.
 * twemproxy closes the connection on SCRIPT LOAD and INFO, which it does
 * not know: the daemon notices and sends every commit with its script
 * (EVAL). Halfway through, the daemon is stopped and started again. The
 * run ends with the fault-free reference's results, and both servers hold
 * partitions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static cw_harness_t *h;

START_TEST(the_traffic_through_twemproxy_gives_the_single_server_results)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    int first = cw_harness_node_count(h);
    CW_FAULT_OK(h, cw_fault_prepare_twemproxy(h, 2));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000));
    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records / 2, CW_FAULT_WAIT_MS));
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));

    for (int i = first; i < first + 2; i++) {
        redisReply *keys = cw_harness_node_command(h, i, "KEYS cw:{p*}:meta");
        CW_HARNESS_ASSERT(h, keys != NULL && keys->type == REDIS_REPLY_ARRAY,
                          "KEYS on server %d failed", i);
        cw_harness_log(h, "server %d (port %d): %zu partition meta(s)", i,
                       cw_harness_node_port(h, i), keys->elements);
        CW_HARNESS_ASSERT(h, keys->elements > 0, "server %d holds no partition", i);
        freeReplyObject(keys);
    }
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "commits carry their script (EVAL)"),
                      "the daemon did not say it sends its script with every commit");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_twemproxy",
                         the_traffic_through_twemproxy_gives_the_single_server_results, &h);
}
