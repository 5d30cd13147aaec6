/* Fault suite on Redis Cluster (SPEC section 13): the daemon on a cluster
 * of three masters with a replica each, every node requiring a password
 * (given to the daemon in a password_file), runs the suite's traffic and
 * ends with exactly the fault-free reference's results, which one Redis
 * server produced: the same alerts, states, dead letters and closed weeks.
 * The partitions' state is spread over the three masters, and /healthz and
 * /metrics name each master with the partitions it holds. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fault.h"
#include "keys.h"

#define PASSWORD "cluster-secret-7"

static cw_harness_t *h;

START_TEST(a_cluster_of_three_masters_gives_the_single_server_results)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    cw_harness_redis_auth(h, NULL, PASSWORD);
    static const char *const auth[] = {"--requirepass", PASSWORD, "--masterauth", PASSWORD,
                                       NULL};
    CW_FAULT_OK(h, cw_fault_prepare_cluster(h, auth));
    char secret[400];
    snprintf(secret, sizeof secret, "%s/redis.secret", cw_harness_dir(h));
    FILE *f = fopen(secret, "w");
    CW_HARNESS_ASSERT(h, f != NULL, "cannot write %s", secret);
    fprintf(f, "%s\n", PASSWORD);
    fclose(f);
    chmod(secret, 0600);
    cw_harness_config_set(h, "redis", "password_file", secret);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 0));
    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));

    /* the partitions are spread over the masters: each holds some metas */
    int masters = 0, with_state = 0, first_master = -1;
    for (int i = 0; i < cw_harness_node_count(h); i++) {
        bool master = false;
        CW_HARNESS_OK(h, cw_harness_node_is_master(h, i, &master));
        if (!master)
            continue;
        masters++;
        if (first_master < 0)
            first_master = i;
        redisReply *keys = cw_harness_node_command(h, i, "KEYS cw:{p*}:meta");
        CW_HARNESS_ASSERT(h, keys != NULL && keys->type == REDIS_REPLY_ARRAY,
                          "KEYS on node %d failed", i);
        cw_harness_log(h, "node %d (port %d): %zu partition meta(s)", i,
                       cw_harness_node_port(h, i), keys->elements);
        with_state += keys->elements > 0;
        freeReplyObject(keys);
    }
    CW_HARNESS_ASSERT(h, masters == 3 && with_state == 3,
                      "%d masters, %d of them hold partitions; expected 3 and 3", masters,
                      with_state);

    /* /healthz names each master, reachable, and the partitions it holds */
    int status = 0;
    char *body = NULL;
    CW_HARNESS_OK(h, cw_harness_http_get(h, "/healthz", &status, &body));
    json_error_t err;
    json_t *health = json_loads(body, 0, &err);
    CW_HARNESS_ASSERT(h, status == 200 && health != NULL, "/healthz %d: %s", status, body);
    json_t *nodes = json_object_get(health, "redis_nodes");
    CW_HARNESS_ASSERT(h, json_array_size(nodes) == 3, "/healthz redis_nodes: %s", body);
    size_t held = 0, index;
    json_t *node;
    json_array_foreach(nodes, index, node) {
        CW_HARNESS_ASSERT(h, json_is_true(json_object_get(node, "reachable")),
                          "a node not reachable: %s", body);
        CW_HARNESS_ASSERT(h, json_integer_value(json_object_get(node, "slots")) > 5000,
                          "a node without its share of slots: %s", body);
        held += json_array_size(json_object_get(node, "partitions"));
    }
    CW_HARNESS_ASSERT(h, held == CW_FAULT_PARTITIONS, "%zu partitions held in /healthz: %s",
                      held, body);
    json_decref(health);
    free(body);
    char series[128];
    snprintf(series, sizeof series, "cdrwarn_redis_node_up{node=\"127.0.0.1:%d\"}",
             cw_harness_node_port(h, first_master));
    double up = -1, refreshes = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, series, &up));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_redis_slot_map_refreshes_total", &refreshes));
    CW_HARNESS_ASSERT(h, up == 1 && refreshes >= 1, "%s %g, slot map refreshes %g", series, up,
                      refreshes);
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, PASSWORD),
                      "the Redis password is in the daemon's log");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_cluster", a_cluster_of_three_masters_gives_the_single_server_results,
                         &h);
}
