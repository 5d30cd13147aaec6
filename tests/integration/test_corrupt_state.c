/* Integration: a subscriber state in Redis that does not decode is logged
 * with its key, the MSISDN in it masked (README "Operations", logs), so an
 * operator can find and inspect it without the log holding personal data. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "keys.h"
#include "mask.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define WAIT_MS 30000
#define MSISDN "13800800001"

static cw_harness_t *h;

START_TEST(a_state_that_does_not_decode_is_logged_by_its_masked_key)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    char key[CW_KEY_SIZE];
    cw_key_sub(key, "cw:", 0, MSISDN);
    static const char garbage[] = "\xff\xfe not a state \x01\x02";
    redisContext *redis = cw_harness_redis(h);
    CW_HARNESS_ASSERT(h, redis != NULL, "redis: %s", cw_harness_error(h));
    redisReply *reply =
        redisCommand(redis, "SET %s %b", key, garbage, sizeof garbage - 1);
    CW_HARNESS_ASSERT(h, reply != NULL && reply->type == REDIS_REPLY_STATUS,
                      "SET %s failed", key);
    freeReplyObject(reply);

    int64_t ts = cw_week_start_ms(cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2, UTC8) +
                 CW_MS_PER_DAY;
    CW_HARNESS_ASSERT(h,
                      cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, MSISDN, "voice", ts,
                                            ",\"direction\":\"mo\",\"peer\":"
                                            "\"13800000999\",\"duration_s\":60") >= 0,
                      "send: %s", cw_harness_error(h));
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));

    char masked[CW_MASK_SIZE], masked_key[CW_KEY_SIZE], line[CW_KEY_SIZE + 64];
    cw_key_sub(masked_key, "cw:", 0, cw_mask_msisdn(MSISDN, masked));
    snprintf(line, sizeof line,
             "the stored subscriber state %s (%zu bytes) does not decode", masked_key,
             sizeof garbage - 1);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, line), "no log line \"%s\"",
                      line);
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, MSISDN),
                      "the log shows %s unmasked", MSISDN);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d", status);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {a_state_that_does_not_decode_is_logged_by_its_masked_key};
    return cw_harness_main("corrupt_state", tests, sizeof tests / sizeof tests[0], 120,
                           &h);
}
