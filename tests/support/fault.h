/* The fault-injection suite's common ground (tests/integration/test_fault_*.c):
 * one seeded traffic replayed by every fault test, what a run leaves behind
 * (the alerts, churn outcomes and score records published, every
 * subscriber's state in Redis, the dead letters, the partitions' closed
 * weeks and months) as sorted text lines, the fault-free reference of it,
 * and the comparison of a faulty run with that reference.
 *
 * Why the comparison may be exact: the traffic goes to ONE input topic, so
 * each partition's record order is the generator's, whatever the timing, and
 * everything the daemon decides (aggregates, alerts and their evidence,
 * churn marks and outcomes, week and month closes and the month's scores,
 * dead letters) depends only on that order. With several input
 * topics the interleaving of the topics in a partition is decided by the
 * consumer's fetches, and SPEC sections 5 and 6 make alerts depend on arrival
 * order (a record of a week already closed is counted but not evaluated; the
 * first alert of a week carries the triggers true at that moment), so two
 * fault-free runs could differ there already.
 *
 * The reference is computed once and cached under the build tree, keyed by
 * the bytes of cdrwarnd and cdrwarn-gen, the traffic and the config: the
 * first fault test (integration.fault_reference, a CTest fixture) writes it,
 * the others read it. Every function returns 0 or -1 with the reason in
 * cw_fault_error(). */
#ifndef CW_FAULT_H
#define CW_FAULT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The traffic: seeded, several weeks, thousands of subscribers, every drift
 * kind (so every trigger and level), every bad-record reason, labelled churn
 * (some numbers recycled) and the monthly model's event types, over a month
 * end, so that a month closes and is scored (SPEC sections 10 and 14). */
#define CW_FAULT_PARTITIONS 16
#define CW_FAULT_SUBSCRIBERS "2500"
#define CW_FAULT_WEEKS "4"
#define CW_FAULT_START "2025-03-17" /* a Monday; the ISO week 2025-W12 */
#define CW_FAULT_SEED "7"
/* the generator's models beyond the weekly one (tools/README.md): labelled
 * churn (104 churns; every churned number recycled whose recycling falls
 * inside the run, which is one) and the monthly model's event types; March
 * closes in the third week and scores its watched subscribers */
#define CW_FAULT_MODELS "--churn", "--monthly", "--recycle-pct", "100"
#define CW_FAULT_MODELS_TEXT "--churn --monthly --recycle-pct 100"
#define CW_FAULT_TOPIC CW_HARNESS_TOPIC_CDR /* the one input topic */

/* Group membership fast enough for ten restarts: a kill costs about twice
 * the session timeout before the restarted member gets its partitions. The
 * mock broker answers the first join of a group after 3 s and drops a
 * joining member whose session timeout is not above that, so 3500 ms is
 * about the least that works (and every member must use the same value). */
#define CW_FAULT_SESSION_MS "3500"
#define CW_FAULT_HEARTBEAT_MS "500"

#define CW_FAULT_WAIT_MS 120000

typedef struct cw_fault_lines {
    char **items;
    size_t count, cap;
} cw_fault_lines_t;

/* What a run leaves behind, each list sorted. */
typedef struct cw_fault_result {
    /* distinct alerts: "<msisdn> <week> <level> <trigger,...> <alert_id> <hash>",
     * the hash of the alert's JSON without emitted_at */
    cw_fault_lines_t alerts;
    /* distinct churn outcomes: "<msisdn> <week> <kind> <caught level or none>
     * <outcome_id> <hash>", the hash of the JSON without emitted_at */
    cw_fault_lines_t outcomes;
    /* distinct score records: "<msisdn> <month> <score> <P|-><V|-> <item,...>
     * <score_id> <hash>" (P potential churner, V value churn) */
    cw_fault_lines_t scores;
    /* "<msisdn> <profile> [churned:<ts>] | <week>:<aggregates and published
     * state> ... | <month>:<aggregates> ..." */
    cw_fault_lines_t states;
    /* one per source record (duplicates folded): "<reason> <key> <bytes>
     * <value hash> <detail>" */
    cw_fault_lines_t dead;
    /* "p<N> cw=<closed week> cm=<closed month> st=<stream time>" */
    cw_fault_lines_t meta;
    /* as read, duplicates included (dead letters skipped not) */
    size_t alert_records, outcome_records, score_records, dead_records;
    int64_t records;   /* input records applied or dead-lettered */
    size_t problems;   /* inconsistencies found while reading */
    char problem[512]; /* the first of them */
} cw_fault_result_t;

const char *cw_fault_error(void);
void cw_fault_result_free(cw_fault_result_t *result);

/* Starts redis-server (extra options as cw_harness_redis_start, may be
 * NULL) and the devbroker, and sets the daemon's config for the traffic:
 * input_topics = cdr, idle_close 30d (weeks close by the traffic's own
 * closing events, never by the wall clock), the session timeouts above. */
int cw_fault_prepare(cw_harness_t *h, const char *const *redis_extra);
/* The same on a Redis Cluster of three masters with a replica each
 * (cw_harness_cluster_start: nodes 0 to 5; cw_harness_node_is_master says
 * which are masters), the daemon's config naming node 0 with cluster = yes. */
int cw_fault_prepare_cluster(cw_harness_t *h, const char *const *redis_extra);
/* The same behind twemproxy (cw_harness_twemproxy_start) in front of
 * `servers` redis-servers. */
int cw_fault_prepare_twemproxy(cw_harness_t *h, int servers);
/* What cw_fault_cluster_failover did. */
typedef struct cw_fault_failover {
    int master, replica;   /* node indexes: the master killed, the replica promoted */
    bool forced;           /* promoted by CLUSTER FAILOVER TAKEOVER, not the cluster */
    int failover_ms;       /* from the kill to the promotion */
    int64_t applied_at_kill;
    int health_status;     /* /healthz while the master was down, and its body */
    char *health_body;     /* malloc'd; the caller frees it */
} cw_fault_failover_t;
/* On the cluster of cw_fault_prepare_cluster: fails over the master serving
 * the partition's slot. With lag_ms > 0 its replica is frozen (SIGSTOP) and
 * its replication link closed (CLIENT KILL TYPE replica on the master) for
 * that long first while the master goes on acknowledging commits, so the
 * replica promoted later misses them (Redis comes back older). The master
 * is killed (SIGKILL), /healthz read while it is down, the replica thawed
 * and promoted: by the cluster itself within auto_ms, or else by CLUSTER
 * FAILOVER TAKEOVER; then the old master is started again and rejoins as a
 * replica. Every wait is bounded. */
int cw_fault_cluster_failover(cw_harness_t *h, int32_t partition, int lag_ms, int auto_ms,
                              cw_fault_failover_t *out);
/* Moves the partition's slot to another master while the daemon works:
 * CLUSTER SETSLOT IMPORTING on the target and MIGRATING on the source, then
 * MIGRATE of `batch` keys at a time with pause_ms between (so that the
 * daemon meets the slot half moved: ASK, TRYAGAIN), then SETSLOT NODE on
 * every master, the target first. The source and target node indexes come
 * back in *from and *to. */
int cw_fault_cluster_migrate(cw_harness_t *h, int32_t partition, int batch, int pause_ms,
                             int *from, int *to);
/* Starts cdrwarn-gen with the traffic; rate_eps 0 = as fast as it can. */
int cw_fault_gen_start(cw_harness_t *h, int rate_eps);
/* The whole traffic into the broker, as fast as it goes, before any daemon
 * reads it. */
int cw_fault_preload(cw_harness_t *h);
/* Until the generator is done, every record is applied, the last week and
 * the last month are closed everywhere and the outboxes are empty. */
int cw_fault_settle(cw_harness_t *h, int timeout_ms);
/* Reads the alert, outcome, score and DLQ topics and Redis. A DLQ record whose source the
 * filter accepts (returns true) is left out (filter may be NULL). */
typedef bool (*cw_fault_skip_fn)(const char *topic, int32_t partition, int64_t offset,
                                 void *arg);
int cw_fault_collect(cw_harness_t *h, cw_fault_result_t *result, cw_fault_skip_fn skip,
                     void *arg);
/* Compares a faulty run with the reference; 0 when equal. The differences
 * (the first few of each kind) are logged through the harness and
 * summarised in cw_fault_error(). */
int cw_fault_compare(cw_harness_t *h, const cw_fault_result_t *want,
                     const cw_fault_result_t *got);

/* The end of every faulty run: cw_fault_settle, cw_fault_collect (skip may
 * be NULL) into *got, and cw_fault_compare with the reference. */
int cw_fault_check_run(cw_harness_t *h, const cw_fault_result_t *ref,
                       cw_fault_result_t *got, cw_fault_skip_fn skip, void *arg);
/* SIGTERM to cdrwarnd instance n; 0 when it exited 0 within timeout_ms. */
int cw_fault_stop(cw_harness_t *h, int n, int timeout_ms);
/* A fault test's last step: frees both results and stops whatever the
 * harness still runs. */
void cw_fault_end(cw_harness_t *h, cw_fault_result_t *ref, cw_fault_result_t *got);

/* A fault test program's main: runs `test` alone, in a tcase whose unchecked
 * fixture makes *harness (cw_harness_new(name)) before it and frees it after.
 * Returns the exit status. */
int cw_fault_main(const char *name, const TTest *test, cw_harness_t **harness);

/* The fault-free reference: read from the cache, or computed by a run of its
 * own (and cached) when there is none for these binaries. `fresh` computes it
 * whatever the cache holds. The truth file of the generator (its --truth) is
 * copied to truth_path when not NULL and the reference was computed. */
int cw_fault_reference(cw_fault_result_t *out, bool fresh, const char *truth_path,
                       bool *computed);

/* The sum over partitions of the next offset of the input topic in Redis:
 * records applied or dead-lettered so far. -1 on error. */
int64_t cw_fault_applied(cw_harness_t *h);
/* The number of records the traffic holds once produced (high watermarks). */
int64_t cw_fault_produced(cw_harness_t *h);
/* Until cw_fault_applied reaches target (or the daemon is gone). */
int cw_fault_wait_applied(cw_harness_t *h, int64_t target, int timeout_ms);
/* The last week of the traffic (week.h index). */
int32_t cw_fault_last_week(void);
/* The last month the traffic closes (month.h index): the newest whose end
 * plus the late grace its closing events pass. */
int32_t cw_fault_last_month(void);

/* A small seeded generator for the random moments; the seed comes from
 * CW_FAULT_RANDOM_SEED when set (to replay a failure), else from the clock,
 * and is logged. */
uint64_t cw_fault_random_seed(cw_harness_t *h);
uint64_t cw_fault_random(uint64_t *state);
int cw_fault_random_range(uint64_t *state, int lo, int hi); /* lo..hi inclusive */

/* Line lists. */
int cw_fault_lines_add(cw_fault_lines_t *lines, const char *line);
void cw_fault_lines_sort(cw_fault_lines_t *lines);
void cw_fault_lines_free(cw_fault_lines_t *lines);

/* A Check assertion that a fault call succeeded. */
#define CW_FAULT_OK(h, call)                                                             \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            cw_harness_dump_logs(h);                                                     \
            ck_abort_msg("%s failed: %s", #call, cw_fault_error());                      \
        }                                                                                \
    } while (0)

#endif
