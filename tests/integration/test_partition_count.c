/* Integration: each partition's meta hash records the input topics'
 * partition count its state was written for ("pc"), and a daemon that finds
 * another count there refuses to apply anything and exits 1 with a line that
 * says why (README, "Known limitations"): a subscriber's partition is its
 * hash modulo the count, so with another count its state would be orphaned
 * and its aggregates started afresh, silently. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define PARTITIONS 4
#define WAIT_MS 30000
#define MSISDN "13800300001"

static cw_harness_t *h;

/* The partition's next offset on the cdr topic, as text ("-1" when none). */
static void next_offset(int partition, char *out, size_t size)
{
    int64_t next;
    CW_HARNESS_OK(h, cw_harness_next_offset(h, partition, CW_HARNESS_TOPIC_CDR, &next));
    snprintf(out, size, "%lld", (long long)next);
}

static void send_one(void)
{
    int sent = cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, MSISDN, "data",
                                     cw_harness_now_ms() - 3600000,
                                     ",\"bytes\":1000,\"charge_fen\":7");
    CW_HARNESS_ASSERT(h, sent >= 0, "send: %s", cw_harness_error(h));
}

START_TEST(state_written_for_another_partition_count_is_refused_with_exit_1)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* every partition loaded records the count (bounded poll: the loads
     * run after the assignment) */
    char value[32] = "";
    for (int p = 0, waited = 0; p < PARTITIONS; waited += 50) {
        cw_meta_t meta;
        bool found;
        CW_HARNESS_OK(h, cw_harness_meta(h, p, &meta, &found));
        snprintf(value, sizeof value, "%d", (int)meta.partition_count);
        if (meta.partition_count == 4) {
            p++;
            continue;
        }
        CW_HARNESS_ASSERT(h, waited < WAIT_MS,
                          "partition %d: meta pc is \"%s\" after %d ms, expected \"4\"",
                          p, value, WAIT_MS);
        cw_harness_sleep_ms(50);
    }
    send_one();
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, WAIT_MS, &status));
    CW_HARNESS_ASSERT(h, status == 0, "the first run exited with status %d", status);

    /* as if the state had been written when the topics had 8 partitions */
    redisContext *redis = cw_harness_redis(h);
    CW_HARNESS_ASSERT(h, redis != NULL, "no Redis client: %s", cw_harness_error(h));
    for (int p = 0; p < PARTITIONS; p++)
    {
        char key[CW_KEY_SIZE];
        cw_key_meta(key, "cw:", p);
        freeReplyObject(redisCommand(redis, "HSET %s " CW_META_PARTITION_COUNT " 8", key));
    }
    char offsets_before[PARTITIONS][32];
    for (int p = 0; p < PARTITIONS; p++)
        next_offset(p, offsets_before[p], sizeof offsets_before[p]);
    send_one();
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));

    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_exit_n(h, 0, WAIT_MS, &status));
    CW_HARNESS_ASSERT(h, status == 1, "cdrwarnd exited with status %d, expected 1",
                      status);
    CW_HARNESS_ASSERT(
        h,
        cw_harness_daemon_log_contains(
            h, "written when the input topics had 8 partitions; they have 4"),
        "no line in the log naming both partition counts");
    for (int p = 0; p < PARTITIONS; p++) {
        next_offset(p, value, sizeof value);
        CW_HARNESS_ASSERT(
            h, strcmp(value, offsets_before[p]) == 0,
            "partition %d: next offset moved from \"%s\" to \"%s\": a record "
            "was applied",
            p, offsets_before[p], value);
        cw_meta_t meta;
        bool found;
        CW_HARNESS_OK(h, cw_harness_meta(h, p, &meta, &found));
        CW_HARNESS_ASSERT(h, meta.partition_count == 8,
                          "partition %d: the recorded count changed to %d", p,
                          (int)meta.partition_count);
    }
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        state_written_for_another_partition_count_is_refused_with_exit_1};
    return cw_harness_main("partition_count", tests, 1, 120, &h);
}
