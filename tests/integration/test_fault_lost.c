/* Fault suite: the state is gone from Redis altogether (SPEC section 13).
 * A third of the way into the traffic Redis is emptied (FLUSHALL, as after
 * an eviction or a new empty server) while the consumer group has committed
 * offsets for every partition. The daemon refuses to carry on: a CRIT line
 * saying what happened and how to recover, /healthz 503, nothing applied or
 * committed for the partitions; a SIGTERM still stops it cleanly. The
 * operator then accepts the loss (cdrwarnd --accept-state-loss all), and
 * the partitions start again from the group's committed offsets. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static cw_harness_t *h;

static int health(char **body)
{
    int status = 0;
    cw_harness_http_get(h, "/healthz", &status, body);
    return status;
}

/* The sum of the partitions' next offsets in Redis; partitions without one
 * count 0. */
static int64_t offsets_in_redis(void)
{
    int64_t total = 0;
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        int64_t next = -1;
        CW_HARNESS_OK(h, cw_harness_next_offset(h, p, CW_FAULT_TOPIC, &next));
        total += next > 0 ? next : 0;
    }
    return total;
}

START_TEST(state_gone_from_redis_is_refused_until_the_loss_is_accepted)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    const int64_t total = ref.records;
    cw_fault_result_free(&ref);
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, 30000)); /* about 13 s of traffic */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total / 3, CW_FAULT_WAIT_MS));
    /* the group commits every 250 ms: let it catch up with Redis */
    cw_harness_sleep_ms(500);
    int64_t applied = cw_fault_applied(h);
    redisReply *reply = redisCommand(cw_harness_redis(h), "FLUSHALL");
    CW_HARNESS_ASSERT(h, reply != NULL && reply->type == REDIS_REPLY_STATUS, "FLUSHALL failed");
    freeReplyObject(reply);
    cw_harness_log(h, "FLUSHALL with %lld of %lld records applied", (long long)applied,
                   (long long)total);

    char *body = NULL;
    int status = 0;
    for (int waited = 0; waited < 30000; waited += 200) {
        free(body);
        body = NULL;
        status = health(&body);
        if (status == 503 && body != NULL && strstr(body, "state gone from redis") != NULL)
            break;
        cw_harness_sleep_ms(200);
    }
    cw_harness_log(h, "/healthz %d: %s", status, body ? body : "");
    CW_HARNESS_ASSERT(h, status == 503 && body && strstr(body, "state gone from redis"),
                      "/healthz %d after FLUSHALL, expected 503 naming the lost state", status);
    free(body);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "<2>partition"),
                      "no CRIT line about a partition");
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "--accept-state-loss"),
                      "the CRIT line does not say how to recover");
    /* nothing applied or committed meanwhile */
    cw_harness_sleep_ms(3000);
    CW_HARNESS_ASSERT(h, offsets_in_redis() == 0,
                      "offsets were committed to Redis for refused partitions");
    double lost = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_partitions_lost", &lost));
    CW_HARNESS_ASSERT(h, lost == CW_FAULT_PARTITIONS, "cdrwarn_partitions_lost %.0f, expected %d",
                      lost, CW_FAULT_PARTITIONS);
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));

    /* the operator accepts the loss; the partitions go on from the group's
     * committed offsets */
    char command[1024];
    snprintf(command, sizeof command,
             "%s -c %s --accept-state-loss all --from committed > %s/accept.log 2>&1", CW_CDRWARND,
             cw_harness_config_path(h), cw_harness_dir(h));
    int rc = system(command);
    CW_HARNESS_ASSERT(h, rc == 0, "cdrwarnd --accept-state-loss exited with %d (see accept.log)",
                      rc);
    int64_t restart_at = offsets_in_redis();
    cw_harness_log(h, "loss accepted: the partitions start again at %lld records",
                   (long long)restart_at);
    /* the group's offsets at the FLUSHALL: past the third, within the second
     * of traffic (30,000 records) it took to read `applied` and flush */
    CW_HARNESS_ASSERT(h, restart_at >= total / 3 && restart_at < applied + 30000,
                      "the accepted offsets sum to %lld, expected the group's (%lld..%lld)",
                      (long long)restart_at, (long long)total / 3, (long long)applied + 30000);
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_FAULT_OK(h, cw_fault_wait_applied(h, total, CW_FAULT_WAIT_MS));
    CW_HARNESS_ASSERT(h, health(NULL) == 200, "/healthz not 200 once the loss was accepted");
    CW_FAULT_OK(h, cw_fault_stop(h, 0, 30000));
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_lost", state_gone_from_redis_is_refused_until_the_loss_is_accepted,
                         &h);
}
