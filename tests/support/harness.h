/* The integration-test harness: real redis-server, cdrwarn-devbroker and
 * cdrwarnd processes on free loopback ports in a fresh temp dir, the clients
 * that drive and observe them (Kafka producer and reader, Redis, HTTP), and a
 * cleanup that leaves no process behind, whether a test passes, fails, runs
 * under CK_FORK=no or is killed.
 *
 * Every fallible call returns 0 (or a count / index >= 0) and -1 on failure,
 * with the reason in cw_harness_error(); every wait has a deadline and its
 * error names what did not happen. Tests turn failures into Check failures
 * with CW_HARNESS_OK / CW_HARNESS_ASSERT, which print the tails of the
 * processes' logs first. A scenario run once for several tests (in an
 * unchecked fixture, where nothing may assert) uses CW_HARNESS_STEP instead
 * and every test begins with CW_HARNESS_REQUIRE.
 *
 * Several cdrwarnd instances can run side by side (the *_n functions; the
 * plain ones are instance 0), each with its own config, http port and log.
 * With CW_VALGRIND=1 in the environment every cdrwarnd runs under valgrind
 * memcheck (--leak-check=full --errors-for-leak-kinds=definite
 * --error-exitcode=99): a daemon that exits 99 fails the stop that reaped it
 * and, as the test program may not look, makes the program exit 1. The same
 * exit 1 follows a sanitizer report (ASan, LSan, UBSan) in a cdrwarnd's log,
 * however it ended. */
#ifndef CW_HARNESS_H
#define CW_HARNESS_H

#include <check.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agg.h"
#include "keys.h"
#include "meta.h"

#define CW_HARNESS_ERR_SIZE 1024

/* The devbroker's topics: the daemon's defaults. Every one gets the partition
 * count given to cw_harness_broker_start. */
#define CW_HARNESS_TOPIC_CDR "cdr"
#define CW_HARNESS_TOPIC_BILLING "billing"
#define CW_HARNESS_TOPIC_CRM "crm"
#define CW_HARNESS_TOPIC_ALERTS "churn-alerts"
#define CW_HARNESS_TOPIC_DLQ "cdrwarn-dlq"
#define CW_HARNESS_TOPIC_OUTCOMES "churn-outcomes"
#define CW_HARNESS_TOPIC_SCORES "churn-scores"
#define CW_HARNESS_GROUP "cdrwarn-test"

typedef struct cw_harness cw_harness_t;

/* One record read back from a topic; every buffer owned by the list. */
typedef struct cw_harness_header {
    char *name;
    char *value; /* NUL-terminated copy; NULL for a null header value */
    size_t len;
} cw_harness_header_t;

typedef struct cw_harness_msg {
    int32_t partition;
    int64_t offset;
    char *key; /* NULL for a null key; else key_len bytes plus a NUL */
    size_t key_len;
    char *value; /* NULL for a null value; else value_len bytes plus a NUL */
    size_t value_len;
    cw_harness_header_t *headers;
    size_t header_count;
} cw_harness_msg_t;

typedef struct cw_harness_msgs {
    cw_harness_msg_t *items;
    size_t count, cap;
} cw_harness_msgs_t;

/* A record sent with cw_harness_send, as the broker acknowledged it. */
typedef struct cw_harness_sent {
    char topic[64];
    int32_t partition; /* -1 until delivered */
    int64_t offset;    /* -1 until delivered */
    int err;           /* rd_kafka_resp_err_t; -1 until the delivery report */
} cw_harness_sent_t;

/* ---- lifecycle ---------------------------------------------------------- */

/* A fresh temp dir /tmp/cw-<name>-XXXXXX and nothing running yet; NULL (with
 * the reason on stderr) when the dir cannot be made. */
cw_harness_t *cw_harness_new(const char *name);
/* Stops every process this process started (SIGTERM, then SIGKILL after a
 * bound), closes the clients and removes the temp dir (kept when the
 * environment sets CW_KEEP_TMP=1). NULL is fine. */
void cw_harness_free(cw_harness_t *h);
/* A test program's main when each test wants a harness of its own: runs the
 * tests, each in a tcase whose unchecked fixture makes *harness
 * (cw_harness_new(name)) before it and frees it after, with a Check timeout
 * of timeout_s. Returns the exit status. */
int cw_harness_main(const char *name, const TTest *const *tests, size_t count,
                    int timeout_s, cw_harness_t **harness);
/* Stops the processes this process started (daemon first), each with SIGTERM
 * and a bound; what is left is SIGKILLed. The harness stays usable. */
void cw_harness_stop(cw_harness_t *h);
const char *cw_harness_error(const cw_harness_t *h);
const char *cw_harness_dir(const cw_harness_t *h);
/* Prints the tails of the daemon's, broker's and Redis's logs to stderr
 * (once per process: the first failure is the interesting one). */
void cw_harness_dump_logs(cw_harness_t *h);
/* A progress line on stderr, with the seconds since the harness started. */
void cw_harness_log(cw_harness_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For scenarios run outside a test: remembers the first failure as
 * "<what>: <error>" and dumps the logs. */
void cw_harness_fail(cw_harness_t *h, const char *what);
const char *cw_harness_failure(const cw_harness_t *h); /* NULL when none */

/* ---- redis-server ------------------------------------------------------- */

/* Starts redis-server --port N --bind 127.0.0.1 --save "" --appendonly no
 * --dir <tmpdir> on a free port, then `extra` (NULL-terminated, may be NULL:
 * later options win, so {"--appendonly", "yes", NULL} turns AOF on), and
 * waits for PING. A restart keeps the port (another only if that one was
 * taken meanwhile) and, with extra NULL, the extra options of before. */
int cw_harness_redis_start(cw_harness_t *h, const char *const *extra);
int cw_harness_redis_stop(cw_harness_t *h); /* SIGTERM, bounded wait */
int cw_harness_redis_kill(cw_harness_t *h); /* SIGKILL */
int cw_harness_redis_port(const cw_harness_t *h);
/* Credentials of the harness's own Redis client (AUTH [user] password after
 * every connect, the start's PING included); NULL password: none. Copied.
 * Set before cw_harness_redis_start for a server started with
 * --requirepass. */
void cw_harness_redis_auth(cw_harness_t *h, const char *user, const char *password);
/* The synchronous client of this process (connected on first use, again
 * after an error); NULL with the reason in the error. Borrowed. */
redisContext *cw_harness_redis(cw_harness_t *h);

/* ---- a Redis Cluster, and servers beside the daemon's ----------------------- */

/* Redis nodes beyond the daemon's redis-server, each in <tmpdir>/node-<i>
 * with its log in redis-node-<i>.log, numbered from 0 in start order. */
#define CW_HARNESS_MAX_NODES 12
/* A Redis Cluster of `masters` masters with `replicas` replicas each (nodes
 * 0 .. masters * (1 + replicas) - 1, --cluster-node-timeout 3000, each on
 * a free port with its bus on another): redis-server --cluster-enabled yes
 * each, then redis-cli --cluster create ... --cluster-replicas R
 * --cluster-yes, then until every node says cluster_state:ok and every
 * replica is in sync (each wait bounded). `extra` as for
 * cw_harness_redis_start (a --requirepass needs cw_harness_redis_auth
 * first, and --masterauth). The daemon's config then names node 0 with
 * [redis] cluster = yes, and the harness's own Redis calls (meta, states,
 * waits) go to the node serving each key, following MOVED and ASK. Must be
 * the first nodes started. */
int cw_harness_cluster_start(cw_harness_t *h, int masters, int replicas,
                             const char *const *extra);
/* `count` plain redis-servers (no cluster) beside the daemon's; returns
 * the index of the first, or -1. */
int cw_harness_servers_start(cw_harness_t *h, int count, const char *const *extra);
/* twemproxy (Debian's nutcracker) on a free port in front of `servers`
 * new plain redis-servers (nodes from cw_harness_node_count() on), with
 * hash_tag "{}", ketama and hosts never ejected; the daemon's config then
 * names the proxy, the harness's keyed reads go through it and its KEYS to
 * every server behind it. */
int cw_harness_twemproxy_start(cw_harness_t *h, int servers);
bool cw_harness_cluster(const cw_harness_t *h);
/* Until every running cluster node says cluster_state:ok with all 16384
 * slots served. */
int cw_harness_cluster_wait_ok(cw_harness_t *h, int timeout_ms);
/* The node serving the key's slot now (CLUSTER SLOTS of a running node), or -1. */
int cw_harness_cluster_node_of(cw_harness_t *h, const char *key);
int cw_harness_node_count(const cw_harness_t *h);
int cw_harness_node_port(const cw_harness_t *h, int i);
pid_t cw_harness_node_pid(const cw_harness_t *h, int i); /* 0 when not running */
int cw_harness_node_kill(cw_harness_t *h, int i);        /* SIGKILL */
/* Starts a node that was killed again, with its ports, folder and nodes.conf
 * (a cluster node rejoins, as a replica once another took its place). */
int cw_harness_node_restart(cw_harness_t *h, int i);
int cw_harness_node_is_master(cw_harness_t *h, int i, bool *master);
/* Node i's synchronous client (borrowed), and a command on it: the reply,
 * error replies included, or NULL with the reason in the error. */
redisContext *cw_harness_node_redis(cw_harness_t *h, int i);
redisReply *cw_harness_node_command(cw_harness_t *h, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A command on the daemon's Redis (on a cluster: the node serving its key);
 * NULL with the reason in the error for an error reply too. */
redisReply *cw_harness_redis_command(cw_harness_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* KEYS on the daemon's Redis, on a cluster merged over its masters. */
redisReply *cw_harness_redis_keys(cw_harness_t *h, const char *pattern);

/* ---- cdrwarn-devbroker -------------------------------------------------- */

/* Starts the devbroker on a free port with the five topics of
 * CW_HARNESS_TOPIC_*, each with `partitions` partitions, and waits for its
 * bootstrap line. */
int cw_harness_broker_start(cw_harness_t *h, int partitions);
/* One fault command ("down", "up", "rtt 500", ...); its reply line goes into
 * reply (may be NULL). Returns 0 when the broker answered "ok". */
int cw_harness_broker_command(cw_harness_t *h, const char *command, char *reply,
                              size_t reply_size);
/* "pending API": how many of the errors injected for API ("produce",
 * "fetch", "offsetcommit", ...) no request has hit yet, into *count. */
int cw_harness_broker_pending(cw_harness_t *h, const char *api, long *count);
int cw_harness_broker_stop(cw_harness_t *h);
const char *cw_harness_brokers(const cw_harness_t *h); /* "127.0.0.1:P" */
int cw_harness_partitions(const cw_harness_t *h);

/* ---- cdrwarnd ----------------------------------------------------------- */

/* Overrides one key of the config the harness writes (brokers, Redis port,
 * http listen, the number-plan files of config/ and
 * property.session.timeout.ms = 6000 are set already). Takes effect at the
 * next cw_harness_daemon_start. */
void cw_harness_config_set(cw_harness_t *h, const char *section, const char *key,
                           const char *value);
/* The cdrwarnd program the next starts run (copied; NULL: the one built with
 * the tests): a test of an upgrade runs an older build first. */
void cw_harness_daemon_program(cw_harness_t *h, const char *path);
/* Writes <tmpdir>/cdrwarn.conf; its path in cw_harness_config_path(). */
int cw_harness_config_write(cw_harness_t *h);
const char *cw_harness_config_path(const cw_harness_t *h);
/* Writes the config and starts cdrwarnd -c <it>, stdout and stderr appended
 * to <tmpdir>/daemon.log (one marker line per start). */
int cw_harness_daemon_start(cw_harness_t *h);
/* Until GET /healthz answers 200; fails early when the daemon exits. */
int cw_harness_daemon_wait_healthy(cw_harness_t *h, int timeout_ms);
/* SIGTERM, then waits up to timeout_ms for the exit; *status is the exit
 * code, or 128 + the signal that ended it. Killed with SIGKILL (and -1
 * returned) when the bound passes. */
int cw_harness_daemon_stop(cw_harness_t *h, int timeout_ms, int *status);
int cw_harness_daemon_kill(cw_harness_t *h); /* SIGKILL, reaped */
bool cw_harness_daemon_running(cw_harness_t *h);
/* Sends a signal (SIGHUP: reload) to the running daemon; 0 or -1. */
int cw_harness_daemon_signal(cw_harness_t *h, int sig);
/* The redis-server's pid (for SIGSTOP/SIGCONT), 0 when not running. */
pid_t cw_harness_redis_pid(const cw_harness_t *h);
/* Whether the daemon's log (every run so far) holds `text`. */
bool cw_harness_daemon_log_contains(cw_harness_t *h, const char *text);
int cw_harness_http_port(const cw_harness_t *h);

/* Instance n (0 .. CW_HARNESS_MAX_DAEMONS - 1) of cdrwarnd: the same config
 * but [http] listen on a port of its own, written to cdrwarn-<n>.conf
 * (instance 0: cdrwarn.conf), logging to daemon-<n>.log (0: daemon.log).
 * The functions above are these with n = 0. */
#define CW_HARNESS_MAX_DAEMONS 4
int cw_harness_daemon_start_n(cw_harness_t *h, int n);
int cw_harness_daemon_wait_healthy_n(cw_harness_t *h, int n, int timeout_ms);
int cw_harness_daemon_stop_n(cw_harness_t *h, int n, int timeout_ms, int *status);
int cw_harness_daemon_kill_n(cw_harness_t *h, int n);
/* Until instance n exits by itself (after a signal sent with
 * cw_harness_daemon_signal_n: a second SIGTERM would stop it at once), as
 * cw_harness_daemon_stop_n but sending nothing. */
int cw_harness_daemon_wait_exit_n(cw_harness_t *h, int n, int timeout_ms, int *status);
bool cw_harness_daemon_running_n(cw_harness_t *h, int n);
int cw_harness_daemon_signal_n(cw_harness_t *h, int n, int sig);
pid_t cw_harness_daemon_pid_n(const cw_harness_t *h, int n); /* 0 when not running */
int cw_harness_http_port_n(const cw_harness_t *h, int n);
bool cw_harness_daemon_log_contains_n(cw_harness_t *h, int n, const char *text);
/* The path of instance n's log (every start appended). */
const char *cw_harness_daemon_log_path_n(cw_harness_t *h, int n);
/* Whether cdrwarnd runs under valgrind (CW_VALGRIND=1): slower by far, so
 * tests may scale their waits with cw_harness_slowdown(). */
bool cw_harness_valgrind(void);
int cw_harness_slowdown(void); /* 1, or 10 under valgrind */

/* ---- cdrwarn-gen -------------------------------------------------------- */

/* Starts cdrwarn-gen --brokers <the devbroker> followed by `args`
 * (NULL-terminated), its stdout and stderr appended to <tmpdir>/gen.log. One
 * at a time. */
int cw_harness_gen_start(cw_harness_t *h, const char *const *args);
/* Until it exits; 0 when it exited 0 (every record acknowledged). Killed
 * (and -1 returned) when the bound passes. */
int cw_harness_gen_wait(cw_harness_t *h, int timeout_ms);
bool cw_harness_gen_running(cw_harness_t *h);
/* Start and wait. */
int cw_harness_gen_run(cw_harness_t *h, const char *const *args, int timeout_ms);

/* ---- Kafka -------------------------------------------------------------- */

/* Queues one record (key may be NULL; value may be any bytes, NULL for a
 * null value). Returns its index for cw_harness_sent, or -1. */
int cw_harness_send(cw_harness_t *h, const char *topic, const char *key,
                    const void *value, size_t len);
/* The same with a printf-formatted value. */
int cw_harness_sendf(cw_harness_t *h, const char *topic, const char *key, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
/* Sends one event keyed by msisdn:
 *   {"event_id":"<unique>","type":"<type>","msisdn":"<msisdn>","ts":<ts_ms><fields>}
 * where `fields` (printf format) is "" or ",\"key\":value,...". */
int cw_harness_send_event(cw_harness_t *h, const char *topic, const char *msisdn,
                          const char *type, int64_t ts_ms, const char *fields, ...)
    __attribute__((format(printf, 6, 7)));
/* Waits until every queued record is acknowledged; fails when one was not. */
int cw_harness_flush(cw_harness_t *h, int timeout_ms);
/* Borrowed until the next send; NULL for an unknown index. */
const cw_harness_sent_t *cw_harness_sent(const cw_harness_t *h, int index);
size_t cw_harness_sent_count(const cw_harness_t *h);

/* Reads every record of the topic, all partitions, from the beginning up to
 * the high watermarks of the moment; again until at least min_count were
 * read or the deadline passes. *out is reset first; free it with
 * cw_harness_msgs_free. */
int cw_harness_read_topic(cw_harness_t *h, const char *topic, size_t min_count,
                          int timeout_ms, cw_harness_msgs_t *out);
void cw_harness_msgs_free(cw_harness_msgs_t *msgs);
/* The header's value (NUL-terminated), or NULL when the record has none. */
const char *cw_harness_msg_header(const cw_harness_msg_t *msg, const char *name);
/* Whether a dead letter carries the record's value as the README's "Dead
 * letters" says: whole up to 64 KiB; past that its first 64 KiB, with the
 * whole value's length and SHA-256 in cdrwarn.value_bytes and
 * cdrwarn.value_sha256. */
bool cw_harness_dead_letter_value_is(const cw_harness_msg_t *msg, const void *value,
                                     size_t len);
/* The cdrwarn.* headers such a dead letter has: 5, or 7 when it was cut. */
size_t cw_harness_dead_letter_headers(size_t value_len);

/* The consumer group's committed offsets of the topic's partitions 0..n-1
 * (-1 where nothing is committed). */
int cw_harness_committed(cw_harness_t *h, const char *group, const char *topic,
                         int partitions, int64_t *offsets);
/* The partition the default partitioner (consistent_random) gives the key. */
int32_t cw_harness_partition_of(const char *key, int partitions);

/* ---- what the daemon stored --------------------------------------------- */

/* Until every record sent so far to an input topic is applied (or sent to
 * the DLQ): the meta hash's next offset has passed it. */
int cw_harness_wait_applied(cw_harness_t *h, int timeout_ms);
/* Until no outbox holds an alert: every alert committed so far is
 * acknowledged by the alert topic. */
int cw_harness_wait_alerts_out(cw_harness_t *h, int timeout_ms);
/* Until every partition with a stream time has closed `week` and no sweep is
 * under way. */
int cw_harness_wait_closed(cw_harness_t *h, int32_t week, int timeout_ms);
/* The log start and high watermark offsets of the topic's partitions 0..n-1,
 * as the broker has them now. */
int cw_harness_watermarks(cw_harness_t *h, const char *topic, int partitions,
                          int64_t *lows, int64_t *highs);
/* Until every record on the input topics of the config ([kafka]
 * input_topics, default cdr,billing,crm) up to their high watermarks of the
 * moment is applied or dead-lettered, whoever sent it (cw_harness_gen_*
 * traffic included). */
int cw_harness_wait_caught_up(cw_harness_t *h, int timeout_ms);
/* Until the group's committed offset of each partition 0..n-1 of the topic
 * equals the next offset Redis holds for it (-1 for none on both sides): a
 * restart resumes exactly where Redis stands. timeout_ms 0 checks once. The
 * error names the first partition that differs and whether a restart would
 * replay or skip records. */
int cw_harness_wait_committed_applied(cw_harness_t *h, const char *topic, int partitions,
                                      int timeout_ms);
/* The partition's meta as the daemon stored it (lib/meta.h: stream time,
 * closed week, sweep cursor; per-topic offsets through
 * cw_harness_next_offset); *found false (meta reset) when it has none. */
int cw_harness_meta(cw_harness_t *h, int32_t partition, cw_meta_t *meta, bool *found);
/* The next offset the partition's meta holds for an input topic; -1 when none. */
int cw_harness_next_offset(cw_harness_t *h, int32_t partition, const char *topic,
                           int64_t *next);
/* The subscriber's decoded state from Redis, wherever its partition; *found
 * false (state fresh) when there is none. */
int cw_harness_sub_state(cw_harness_t *h, const char *msisdn, cw_sub_t *sub, bool *found);

/* ---- HTTP --------------------------------------------------------------- */

/* GET on the daemon's [http] listen address; *body is malloc'd and
 * NUL-terminated (may be NULL when not wanted). */
int cw_harness_http_get(cw_harness_t *h, const char *path, int *status, char **body);
/* One sample of /metrics: `series` exactly as exposed, labels included
 * (cdrwarn_dlq_records_total{reason="too_old"}). */
int cw_harness_metric(cw_harness_t *h, const char *series, double *value);
/* The same on instance n. */
int cw_harness_http_get_n(cw_harness_t *h, int n, const char *path, int *status,
                          char **body);
int cw_harness_metric_n(cw_harness_t *h, int n, const char *series, double *value);

/* ---- time --------------------------------------------------------------- */

int64_t cw_harness_now_ms(void); /* wall clock, epoch ms */
void cw_harness_sleep_ms(int ms);

/* ---- assertions --------------------------------------------------------- */

#define CW_HARNESS_OK(h, call)                                                           \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            cw_harness_dump_logs(h);                                                     \
            ck_abort_msg("%s failed: %s", #call, cw_harness_error(h));                   \
        }                                                                                \
    } while (0)

#define CW_HARNESS_ASSERT(h, cond, ...)                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            cw_harness_dump_logs(h);                                                     \
            ck_abort_msg(__VA_ARGS__);                                                   \
        }                                                                                \
    } while (0)

/* In an int function run outside a test: records the failure, returns -1. */
#define CW_HARNESS_STEP(h, call)                                                         \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            cw_harness_fail(h, #call);                                                   \
            return -1;                                                                   \
        }                                                                                \
    } while (0)

/* First line of a test that checks a scenario run by a fixture. */
#define CW_HARNESS_REQUIRE(h)                                                            \
    do {                                                                                 \
        ck_assert_msg((h) != NULL, "the harness could not be set up (see stderr)");      \
        ck_assert_msg(cw_harness_failure(h) == NULL, "the scenario failed: %s",          \
                      cw_harness_failure(h));                                            \
    } while (0)

#endif
