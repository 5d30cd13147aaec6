/* Fault suite: rebalances in the middle of the stream change nothing (SPEC
 * sections 4, 5 and 7). While the traffic streams in:
 *   1. a second cdrwarnd joins the group and takes half the partitions (the
 *      range assignor moves partition p of every input topic together);
 *   2. the first one freezes (SIGSTOP) until the group, its session expired,
 *      has given every partition to the second, and then thaws: a zombie
 *      owner with records queued and steps in flight. Mostly librdkafka tells
 *      it of the lost assignment before it commits anything and it drops the
 *      steps; a commit that gets through first is refused by the partition's
 *      fence. Either way it rejoins and gets its share back;
 *   3. a foreign commit lands on every partition (its seq raised in Redis,
 *      as another owner's commit would), so the next commit of whoever owns
 *      it is refused by the fence, and the owner reloads the partition;
 *   4. the second one leaves with SIGTERM, handing its partitions back.
 * Alerts, outcomes, score records and aggregates equal those of the
 * fault-free reference run, and each partition closes each week and the
 * traffic's month exactly once over both instances: the "partition P: week
 * W closed" and "partition P: month M closed" lines of both logs, which a
 * daemon writes only once the close is committed (a fenced sweep commit
 * writes none). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "fault.h"
#include "month.h"
#include "week.h"

#include <hiredis/hiredis.h>

#define RATE_EPS 20000 /* the traffic takes about 20 s: every phase inside it */
#define FREEZE_MAX_MS 30000

static cw_harness_t *h;

static double metric(int n, const char *series)
{
    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric_n(h, n, series, &value));
    return value;
}

/* Until the two instances share the partitions: the thawed one has noticed
 * that it lost them (its count drops to 0) and rejoined, and the rebalance
 * that follows is over. */
static void wait_shared(void)
{
    double a = 0, b = 0;
    for (int waited = 0; waited < CW_FAULT_WAIT_MS; waited += 100) {
        a = metric(0, "cdrwarn_partitions_assigned");
        b = metric(1, "cdrwarn_partitions_assigned");
        if (a > 0 && b > 0 && a + b == CW_FAULT_PARTITIONS)
            break;
        cw_harness_sleep_ms(100);
    }
    cw_harness_log(h, "the group is stable again: #0 owns %.0f partitions, #1 %.0f", a,
                   b);
    CW_HARNESS_ASSERT(
        h, a > 0 && b > 0 && a + b == CW_FAULT_PARTITIONS,
        "the instances own %.0f and %.0f partitions, expected a share each of %d", a, b,
        CW_FAULT_PARTITIONS);
}

/* SIGTERM to instance n; its exit status must be 0. */
static void stop(int n)
{
    CW_HARNESS_ASSERT(h, cw_harness_daemon_signal_n(h, n, SIGTERM) == 0,
                      "cdrwarnd #%d is not running", n);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_wait_exit_n(h, n, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd #%d exited with status %d after SIGTERM",
                      n, status);
}

/* The weeks whose close is checked: the week before the traffic's first (its
 * grace ends in the first hours of the traffic) and every week of it. */
#define CLOSED_WEEKS (atoi(CW_FAULT_WEEKS) + 1)

/* Adds instance n's week closes to closes[partition][week - first]; returns
 * how many it logged. */
static int count_closes(int n, int32_t first, int closes[][8])
{
    FILE *log = fopen(cw_harness_daemon_log_path_n(h, n), "r");
    CW_HARNESS_ASSERT(h, log != NULL, "cannot read the log of cdrwarnd #%d", n);
    char line[512], label[16];
    int partition, count = 0;
    while (fgets(line, sizeof line, log) != NULL) {
        if (sscanf(line, "<6>partition %d: week %15s closed:", &partition, label) != 2)
            continue;
        int32_t week;
        CW_HARNESS_ASSERT(h, cw_week_parse_label(label, strlen(label), &week) == 0,
                          "cdrwarnd #%d logged a close of week '%s'", n, label);
        CW_HARNESS_ASSERT(h,
                          partition >= 0 && partition < CW_FAULT_PARTITIONS &&
                              week >= first && week < first + CLOSED_WEEKS,
                          "cdrwarnd #%d closed week %s on partition %d: outside the "
                          "traffic",
                          n, label, partition);
        closes[partition][week - first]++;
        count++;
    }
    fclose(log);
    return count;
}

/* Adds instance n's closes of `month` to closes[partition] (a close of any
 * other month fails the test: the traffic closes only that one); returns
 * how many it logged. */
static int count_month_closes(int n, int32_t month, int closes[])
{
    FILE *log = fopen(cw_harness_daemon_log_path_n(h, n), "r");
    CW_HARNESS_ASSERT(h, log != NULL, "cannot read the log of cdrwarnd #%d", n);
    char line[512], label[16];
    int partition, count = 0;
    while (fgets(line, sizeof line, log) != NULL) {
        if (sscanf(line, "<6>partition %d: month %15s closed:", &partition, label) != 2)
            continue;
        int32_t closed;
        CW_HARNESS_ASSERT(h, cw_month_parse_label(label, strlen(label), &closed) == 0,
                          "cdrwarnd #%d logged a close of month '%s'", n, label);
        CW_HARNESS_ASSERT(
            h, partition >= 0 && partition < CW_FAULT_PARTITIONS && closed == month,
            "cdrwarnd #%d closed month %s on partition %d: not the "
            "traffic's",
            n, label, partition);
        closes[partition]++;
        count++;
    }
    fclose(log);
    return count;
}

START_TEST(a_second_instance_joining_and_leaving_mid_stream_changes_nothing)
{
    CW_HARNESS_REQUIRE(h);
    cw_fault_result_t ref, got;
    CW_FAULT_OK(h, cw_fault_reference(&ref, false, NULL, NULL));
    CW_FAULT_OK(h, cw_fault_prepare(h, NULL));
    CW_HARNESS_OK(h, cw_harness_daemon_start_n(h, 0));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy_n(h, 0, 60000));
    CW_FAULT_OK(h, cw_fault_gen_start(h, RATE_EPS));

    CW_FAULT_OK(h, cw_fault_wait_applied(h, ref.records / 10, CW_FAULT_WAIT_MS));
    cw_harness_log(h, "instance #1 joins at %lld records applied",
                   (long long)cw_fault_applied(h));
    CW_HARNESS_OK(h, cw_harness_daemon_start_n(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy_n(h, 1, 60000));
    double assigned0 = metric(0, "cdrwarn_partitions_assigned");
    double assigned1 = metric(1, "cdrwarn_partitions_assigned");
    cw_harness_log(h, "after the join: instance #0 owns %.0f partitions, #1 owns %.0f",
                   assigned0, assigned1);
    CW_HARNESS_ASSERT(
        h, assigned1 > 0 && assigned0 + assigned1 == CW_FAULT_PARTITIONS,
        "partitions owned after the join: %.0f + %.0f, expected a share each "
        "of %d",
        assigned0, assigned1, CW_FAULT_PARTITIONS);

    /* the first instance freezes: a zombie when it thaws */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, cw_fault_applied(h) + ref.records / 20,
                                         CW_FAULT_WAIT_MS));
    pid_t zombie = cw_harness_daemon_pid_n(h, 0);
    kill(zombie, SIGSTOP);
    cw_harness_log(h, "instance #0 frozen (SIGSTOP)");
    /* frozen until the group has given everything to #1: its session
     * expires (3.5 to 4.5 s), then the rebalance takes up to 2.5 s more */
    double taken = 0;
    int frozen_ms = 0;
    for (; frozen_ms < FREEZE_MAX_MS && taken != CW_FAULT_PARTITIONS; frozen_ms += 100) {
        cw_harness_sleep_ms(100);
        taken = metric(1, "cdrwarn_partitions_assigned");
    }
    kill(zombie, SIGCONT);
    cw_harness_log(h,
                   "instance #0 thawed (SIGCONT) after %d ms; meanwhile #1 took %.0f "
                   "partitions",
                   frozen_ms, taken);
    CW_HARNESS_ASSERT(
        h, taken == CW_FAULT_PARTITIONS,
        "instance #1 owned %.0f partitions with #0 frozen for %d ms, expected "
        "all %d",
        taken, frozen_ms, CW_FAULT_PARTITIONS);
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy_n(h, 0, 60000));
    wait_shared();

    /* a foreign commit on every partition, the group stable: each owner
     * commits each partition again long before the next rebalance */
    double fenced_before =
        metric(0, "cdrwarn_redis_fenced_total") + metric(1, "cdrwarn_redis_fenced_total");
    redisContext *redis = cw_harness_redis(h);
    CW_HARNESS_ASSERT(h, redis != NULL, "Redis: %s", cw_harness_error(h));
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        char key[CW_KEY_SIZE];
        cw_key_meta(key, "cw:", p);
        redisReply *reply = redisCommand(redis, "HINCRBY %s " CW_META_SEQ " 1", key);
        CW_HARNESS_ASSERT(h, reply != NULL && reply->type == REDIS_REPLY_INTEGER,
                          "HINCRBY seq of partition %d failed", p);
        freeReplyObject(reply);
    }
    cw_harness_log(h, "a foreign commit on every partition at %lld records applied",
                   (long long)cw_fault_applied(h));
    /* records still come to every partition: each owner's next commit of
     * each is refused, and it reloads the partition and goes on */
    double fenced = 0;
    for (int waited = 0; waited < 30000; waited += 50) {
        fenced = metric(0, "cdrwarn_redis_fenced_total") +
                 metric(1, "cdrwarn_redis_fenced_total") - fenced_before;
        if (fenced >= CW_FAULT_PARTITIONS)
            break;
        cw_harness_sleep_ms(50);
    }
    cw_harness_log(h, "%.0f commit(s) refused by the fence since", fenced);
    CW_HARNESS_ASSERT(
        h, fenced >= CW_FAULT_PARTITIONS,
        "%.0f commit(s) refused by the fence after a foreign commit on each of "
        "the %d partitions, expected one a partition at least",
        fenced, CW_FAULT_PARTITIONS);

    /* the second works a while more, then leaves */
    int64_t leave_at = cw_fault_applied(h) + ref.records / 20;
    if (leave_at > ref.records * 19 / 20)
        leave_at = ref.records * 19 / 20; /* while records still come */
    CW_FAULT_OK(h, cw_fault_wait_applied(h, leave_at, CW_FAULT_WAIT_MS));
    cw_harness_log(h, "instance #1 leaves at %lld records applied",
                   (long long)cw_fault_applied(h));
    stop(1);

    CW_FAULT_OK(h, cw_fault_check_run(h, &ref, &got, NULL, NULL));
    CW_HARNESS_ASSERT(h, metric(0, "cdrwarn_partitions_assigned") == CW_FAULT_PARTITIONS,
                      "instance #0 did not take every partition back");

    /* week closes: each of CLOSED_WEEKS on each partition, once over both
     * instances */
    stop(0);
    int32_t start_day;
    CW_HARNESS_ASSERT(h, cw_date_parse_ymd(CW_FAULT_START, 10, &start_day) == 0,
                      "CW_FAULT_START");
    int32_t first = cw_week_of_day(start_day) - 1;
    int closes[CW_FAULT_PARTITIONS][8] = {{0}};
    int by0 = count_closes(0, first, closes), by1 = count_closes(1, first, closes);
    cw_harness_log(h, "week closes logged: %d by #0, %d by #1 (expected %d in all)", by0,
                   by1, CLOSED_WEEKS * CW_FAULT_PARTITIONS);
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        for (int w = 0; w < CLOSED_WEEKS; w++) {
            char label[CW_WEEK_LABEL_SIZE];
            cw_week_label(first + w, label);
            CW_HARNESS_ASSERT(h, closes[p][w] == 1,
                              "partition %d closed week %s %d times over both instances, "
                              "expected once",
                              p, label, closes[p][w]);
        }
    }
    CW_HARNESS_ASSERT(h, by1 > 0,
                      "instance #1 closed no week: the rebalance came too late");
    int month_closes[CW_FAULT_PARTITIONS] = {0};
    int32_t month = cw_fault_last_month();
    char month_label[CW_MONTH_LABEL_SIZE];
    cw_month_label(month, month_label);
    by0 = count_month_closes(0, month, month_closes);
    by1 = count_month_closes(1, month, month_closes);
    cw_harness_log(h,
                   "closes of month %s logged: %d by #0, %d by #1 (expected %d in all)",
                   month_label, by0, by1, CW_FAULT_PARTITIONS);
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++)
        CW_HARNESS_ASSERT(h, month_closes[p] == 1,
                          "partition %d closed month %s %d times over both instances, "
                          "expected once",
                          p, month_label, month_closes[p]);

    cw_fault_end(h, &ref, &got);
}
END_TEST

int main(void)
{
    return cw_fault_main("fault_rebalance",
                         a_second_instance_joining_and_leaving_mid_stream_changes_nothing,
                         &h);
}
