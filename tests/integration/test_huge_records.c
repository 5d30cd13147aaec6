/* Records over 64 KiB mixed into traffic (SPEC section 8, too_large; issue
 * "memory bounded by bytes"): a thousand values of 1 MiB, sent in rounds
 * with ordinary events between them. Each is on the DLQ as too_large with
 * its first 65,536 bytes, the original length and the SHA-256 of the whole
 * value in headers; the ordinary events still alert; the daemon's peak RSS
 * stays under a bound far below what holding the values would take; no
 * step is ever retried (a step's bytes are bounded too). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sha256.h"

#define PARTITIONS 16
#define ROUNDS 40
#define HUGE_PER_ROUND 25
#define HUGE_BYTES (1 << 20)
#define SUB "13800138000"
/* peak RSS: librdkafka's prefetch and buffers plus the bounded records */
#define RSS_BOUND_KB (300 * 1024)

static cw_harness_t *h;
static char digests[ROUNDS * HUGE_PER_ROUND][CW_SHA256_HEX_SIZE];

static void fill(char *value, int n)
{
    /* not JSON, and different per record */
    for (size_t i = 0; i < HUGE_BYTES; i++)
        value[i] = (char)('a' + (i * 7 + (size_t)n * 13) % 26);
    snprintf(value, 32, "huge-%06d", n);
}

static long peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kb;
}

START_TEST(a_thousand_1_mib_records_are_dead_letters_cut_to_64_kib_in_bounded_memory)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    char *value = malloc(HUGE_BYTES);
    ck_assert_ptr_nonnull(value);
    int64_t now = cw_harness_now_ms();
    CW_HARNESS_OK(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, SUB, "profile", now - 3600000,
                                           ",\"tier\":\"high\",\"subsidy_end\":null") < 0);
    int n = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < HUGE_PER_ROUND; i++, n++) {
            fill(value, n);
            cw_sha256_hex(value, HUGE_BYTES, digests[n]);
            char key[24];
            snprintf(key, sizeof key, "1390000%04d", n);
            CW_HARNESS_OK(h, cw_harness_send(h, CW_HARNESS_TOPIC_CDR, key, value, HUGE_BYTES) < 0);
        }
        if (round == ROUNDS / 2)
            for (int c = 0; c < 2; c++)
                CW_HARNESS_OK(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, SUB, "complaint",
                                                       now - 60000,
                                                       ",\"severity\":\"normal\"") < 0);
        CW_HARNESS_OK(h, cw_harness_flush(h, 60000));
        /* the devbroker keeps 5 MiB a partition: consumed before the next round */
        CW_HARNESS_OK(h, cw_harness_wait_applied(h, 60000));
    }
    free(value);
    long rss = peak_rss_kb(cw_harness_daemon_pid_n(h, 0));
    cw_harness_log(h, "%d records of %d bytes applied; cdrwarnd peak RSS %ld KiB", n, HUGE_BYTES,
                   rss);

    cw_harness_msgs_t dlq;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, (size_t)n, 60000, &dlq));
    int found = 0;
    for (size_t i = 0; i < dlq.count; i++) {
        const cw_harness_msg_t *msg = &dlq.items[i];
        const char *reason = cw_harness_msg_header(msg, "cdrwarn.reason");
        CW_HARNESS_ASSERT(h, reason && strcmp(reason, "too_large") == 0,
                          "a dead letter with reason %s", reason ? reason : "(none)");
        CW_HARNESS_ASSERT(h, msg->value_len == 65536, "a dead letter of %zu bytes, not 65536",
                          msg->value_len);
        int which = atoi((const char *)msg->value + 5);
        CW_HARNESS_ASSERT(h, which >= 0 && which < n, "a dead letter of no record sent");
        const char *bytes = cw_harness_msg_header(msg, "cdrwarn.value_bytes");
        const char *sha = cw_harness_msg_header(msg, "cdrwarn.value_sha256");
        CW_HARNESS_ASSERT(h, bytes && atol(bytes) == HUGE_BYTES,
                          "record %d: cdrwarn.value_bytes %s", which, bytes ? bytes : "(none)");
        CW_HARNESS_ASSERT(h, sha && strcmp(sha, digests[which]) == 0,
                          "record %d: cdrwarn.value_sha256 %s, expected %s", which,
                          sha ? sha : "(none)", digests[which]);
        digests[which][0] = '\0'; /* each once (a duplicate would not match) */
        found++;
    }
    cw_harness_msgs_free(&dlq);
    CW_HARNESS_ASSERT(h, found == n, "%d dead letters for %d records too large", found, n);

    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 1, 30000, &alerts));
    CW_HARNESS_ASSERT(h, alerts.count >= 1, "the ordinary events between them did not alert");
    cw_harness_msgs_free(&alerts);
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, "step failed"),
                      "a step failed and was retried");
#ifndef __SANITIZE_ADDRESS__
    CW_HARNESS_ASSERT(h, rss > 0 && rss < RSS_BOUND_KB,
                      "cdrwarnd peak RSS %ld KiB, bound %d KiB", rss, RSS_BOUND_KB);
#endif
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        a_thousand_1_mib_records_are_dead_letters_cut_to_64_kib_in_bounded_memory};
    return cw_harness_main("huge_records", tests, 1, 300, &h);
}
