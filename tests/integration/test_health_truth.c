/* Integration: /healthz tells the truth when the daemon still runs but does
 * not do its work (issue "honest health"):
 *   1. Redis answers but refuses writes (it became a replica: READONLY):
 *      503 naming the refusal, and 200 again once it accepts writes and the
 *      held records are applied;
 *   2. the daemon frozen past its session timeout, so the group went on
 *      without it: once thawed, 503 naming the consumer until it has
 *      rejoined, then 200, and records are applied again;
 *   3. Redis whose maxmemory-policy evicts keys: named at CRIT at start. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define WAIT_MS 30000
#define SUB "13800200000"

static cw_harness_t *h;

/* Until /healthz answers `status` with `text` in its body; 0 or -1. */
static int wait_health(int status, const char *text, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        char *body = NULL;
        int got = 0;
        cw_harness_http_get(h, "/healthz", &got, &body);
        bool match = got == status && (text == NULL || (body && strstr(body, text)));
        if (match)
            cw_harness_log(h, "/healthz %d: %s", got, body ? body : "");
        free(body);
        if (match)
            return 0;
        cw_harness_sleep_ms(100);
    }
    return -1;
}

static void send_events(int count)
{
    int64_t now = cw_harness_now_ms();
    for (int i = 0; i < count; i++)
        CW_HARNESS_OK(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, SUB, "data",
                                               now - 3600000 + i, ",\"bytes\":10") < 0);
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
}

static void redis_command(const char *command)
{
    redisReply *reply = redisCommand(cw_harness_redis(h), command);
    CW_HARNESS_ASSERT(h, reply != NULL && reply->type != REDIS_REPLY_ERROR, "%s: %s", command,
                      reply ? reply->str : "no reply");
    freeReplyObject(reply);
}

START_TEST(a_redis_that_refuses_writes_turns_healthz_503_until_it_takes_them)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    send_events(5);
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    /* a replica of a master that is not there: reads answer, writes not */
    redis_command("REPLICAOF 127.0.0.1 9");
    send_events(5);
    CW_HARNESS_ASSERT(h, wait_health(503, "redis refuses writes: READONLY", WAIT_MS) == 0,
                      "/healthz did not say Redis refuses writes");
    redis_command("REPLICAOF NO ONE");
    CW_HARNESS_ASSERT(h, wait_health(200, NULL, WAIT_MS) == 0,
                      "/healthz not 200 again once Redis took writes");
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_consumer_dropped_from_its_group_turns_healthz_503_until_it_rejoins)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    cw_harness_config_set(h, "kafka", "property.session.timeout.ms", "3500");
    cw_harness_config_set(h, "kafka", "property.heartbeat.interval.ms", "500");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    /* frozen past its session timeout: the group goes on without it, and it
     * finds out at its next heartbeat once thawed */
    CW_HARNESS_OK(h, cw_harness_daemon_signal(h, SIGSTOP));
    cw_harness_sleep_ms(6000);
    CW_HARNESS_OK(h, cw_harness_daemon_signal(h, SIGCONT));
    CW_HARNESS_ASSERT(h, wait_health(503, "consumer", WAIT_MS) == 0,
                      "/healthz never said the consumer was out of its group");
    CW_HARNESS_ASSERT(h, wait_health(200, NULL, 60000) == 0,
                      "/healthz not 200 again once the consumer rejoined");
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "revoked"),
                      "the group did not take the partition away");
    send_events(5);
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    cw_harness_stop(h);
}
END_TEST

START_TEST(a_redis_that_may_evict_keys_is_named_at_crit)
{
    CW_HARNESS_REQUIRE(h);
    static const char *const evicting[] = {"--maxmemory-policy", "volatile-lru", NULL};
    CW_HARNESS_OK(h, cw_harness_redis_start(h, evicting));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, "<2>Redis") &&
                             cw_harness_daemon_log_contains(h, "maxmemory-policy is volatile-lru"),
                      "no CRIT line about an evicting Redis");
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {a_redis_that_refuses_writes_turns_healthz_503_until_it_takes_them,
                            a_consumer_dropped_from_its_group_turns_healthz_503_until_it_rejoins,
                            a_redis_that_may_evict_keys_is_named_at_crit};
    return cw_harness_main("health_truth", tests, sizeof tests / sizeof tests[0], 180, &h);
}
