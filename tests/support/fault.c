/* The fault-injection suite's traffic, results, reference and comparison
 * (see fault.h). */
#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "date.h"
#include "event.h"
#include "month.h"
#include "outcome.h"
#include "rules.h"
#include "slot.h"
#include "score.h"
#include "scorerec.h"
#include "subcodec.h"
#include "week.h"

#ifndef CW_FAULT_CACHE_DIR
#error "CW_FAULT_CACHE_DIR must name a folder for the cached reference"
#endif
#ifndef CW_CDRWARND
#error "CW_CDRWARND must name the cdrwarnd binary"
#endif
#ifndef CW_GEN
#error "CW_GEN must name the cdrwarn-gen binary"
#endif

#define CACHE_FORMAT "cdrwarn-fault-reference-v3"
#define SHOW_DIFFS 5

static char fault_error[1024];

static int fault_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fault_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fault_error, sizeof fault_error, fmt, ap);
    va_end(ap);
    return -1;
}

static int harness_fail(cw_harness_t *h, const char *what)
{
    return fault_fail("%s: %s", what, cw_harness_error(h));
}

const char *cw_fault_error(void)
{
    return fault_error;
}

/* ---- lines ---------------------------------------------------------------- */

int cw_fault_lines_add(cw_fault_lines_t *lines, const char *line)
{
    if (lines->count == lines->cap) {
        size_t cap = lines->cap ? lines->cap * 2 : 1024;
        char **items = realloc(lines->items, cap * sizeof *items);
        if (items == NULL)
            return fault_fail("out of memory");
        lines->items = items;
        lines->cap = cap;
    }
    char *copy = strdup(line);
    if (copy == NULL)
        return fault_fail("out of memory");
    lines->items[lines->count++] = copy;
    return 0;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cw_fault_lines_sort(cw_fault_lines_t *lines)
{
    if (lines->count > 1)
        qsort(lines->items, lines->count, sizeof *lines->items, line_cmp);
}

static void lines_unique(cw_fault_lines_t *lines)
{
    size_t out = 0;
    for (size_t i = 0; i < lines->count; i++) {
        if (out > 0 && strcmp(lines->items[out - 1], lines->items[i]) == 0) {
            free(lines->items[i]);
            continue;
        }
        lines->items[out++] = lines->items[i];
    }
    lines->count = out;
}

void cw_fault_lines_free(cw_fault_lines_t *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        free(lines->items[i]);
    free(lines->items);
    memset(lines, 0, sizeof *lines);
}

void cw_fault_result_free(cw_fault_result_t *result)
{
    cw_fault_lines_free(&result->alerts);
    cw_fault_lines_free(&result->outcomes);
    cw_fault_lines_free(&result->scores);
    cw_fault_lines_free(&result->states);
    cw_fault_lines_free(&result->dead);
    cw_fault_lines_free(&result->meta);
    memset(result, 0, sizeof *result);
}

static void problem(cw_fault_result_t *result, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(cw_fault_result_t *result, const char *fmt, ...)
{
    if (result->problems++ > 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(result->problem, sizeof result->problem, fmt, ap);
    va_end(ap);
}

/* ---- hashing -------------------------------------------------------------- */

static uint64_t fnv(uint64_t hash, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ p[i]) * 1099511628211ULL;
    return hash;
}

#define FNV_START 1469598103934665603ULL

static int hash_file(const char *path, uint64_t *hash)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fault_fail("%s: %s", path, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        *hash = fnv(*hash, buf, n);
    fclose(f);
    return 0;
}

/* ---- the traffic and the run ------------------------------------------------ */

int32_t cw_fault_last_week(void)
{
    int32_t day;
    if (cw_date_parse_ymd(CW_FAULT_START, strlen(CW_FAULT_START), &day) != 0)
        return 0;
    return cw_week_of_day(day) + atoi(CW_FAULT_WEEKS) - 1;
}

static int prepare_rest(cw_harness_t *h);
/* The generator's closing events are dated the last week's end + 7 h; the
 * daemon's late grace is its default, 6 h, at its default offset +08:00. */
#define FAULT_UTC_OFFSET_S (8 * 3600)
#define FAULT_CLOSING_MS (7 * 3600000LL)
#define FAULT_GRACE_MS (6 * 3600000LL)

int32_t cw_fault_last_month(void)
{
    int64_t stream =
        cw_week_end_ms(cw_fault_last_week(), FAULT_UTC_OFFSET_S) + FAULT_CLOSING_MS;
    return cw_month_last_closed(stream, FAULT_GRACE_MS, FAULT_UTC_OFFSET_S);
}

int cw_fault_prepare(cw_harness_t *h, const char *const *redis_extra)
{
    if (cw_harness_redis_start(h, redis_extra) != 0)
        return harness_fail(h, "redis-server");
    return prepare_rest(h);
}

int cw_fault_prepare_twemproxy(cw_harness_t *h, int servers)
{
    if (cw_harness_twemproxy_start(h, servers) != 0)
        return harness_fail(h, "twemproxy");
    return prepare_rest(h);
}

int cw_fault_prepare_cluster(cw_harness_t *h, const char *const *redis_extra)
{
    if (cw_harness_cluster_start(h, 3, 1, redis_extra) != 0)
        return harness_fail(h, "the Redis Cluster");
    return prepare_rest(h);
}

static int prepare_rest(cw_harness_t *h)
{
    if (cw_harness_broker_start(h, CW_FAULT_PARTITIONS) != 0)
        return harness_fail(h, "cdrwarn-devbroker");
    cw_harness_config_set(h, "kafka", "input_topics", CW_FAULT_TOPIC);
    cw_harness_config_set(h, "kafka", "property.session.timeout.ms", CW_FAULT_SESSION_MS);
    cw_harness_config_set(h, "kafka", "property.heartbeat.interval.ms",
                          CW_FAULT_HEARTBEAT_MS);
    cw_harness_config_set(h, "time", "idle_close", "30d");
    return 0;
}

/* The node replicating node `master` (ROLE), or -1. */
static int replica_of(cw_harness_t *h, int master)
{
    int port = cw_harness_node_port(h, master);
    for (int i = 0; i < cw_harness_node_count(h); i++) {
        if (i == master || cw_harness_node_pid(h, i) <= 0)
            continue;
        redisReply *role = cw_harness_node_command(h, i, "ROLE");
        bool match = role != NULL && role->type == REDIS_REPLY_ARRAY && role->elements >= 3 &&
                     role->element[0]->type == REDIS_REPLY_STRING &&
                     strcmp(role->element[0]->str, "slave") == 0 &&
                     role->element[2]->type == REDIS_REPLY_INTEGER &&
                     role->element[2]->integer == port;
        if (role != NULL)
            freeReplyObject(role);
        if (match)
            return i;
    }
    return -1;
}

int cw_fault_cluster_failover(cw_harness_t *h, int32_t partition, int lag_ms, int auto_ms,
                              cw_fault_failover_t *out)
{
    memset(out, 0, sizeof *out);
    char key[CW_KEY_SIZE];
    cw_key_meta(key, "cw:", partition);
    int master = cw_harness_cluster_node_of(h, key);
    if (master < 0)
        return harness_fail(h, "the partition's master");
    int replica = replica_of(h, master);
    if (replica < 0)
        return fault_fail("node %d (the master of partition %d) has no replica", master,
                          (int)partition);
    out->master = master;
    out->replica = replica;
    pid_t replica_pid = cw_harness_node_pid(h, replica);
    if (lag_ms > 0) {
        /* frozen, and cut off: what the master sends later does not even
         * wait in the replica's socket buffer */
        kill(replica_pid, SIGSTOP);
        redisReply *r = cw_harness_node_command(h, master, "CLIENT KILL TYPE replica");
        bool cut = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= 1;
        if (r != NULL)
            freeReplyObject(r);
        if (!cut) {
            kill(replica_pid, SIGCONT);
            return fault_fail("node %d: CLIENT KILL TYPE replica closed no link", master);
        }
        cw_harness_log(h, "replica node %d (port %d) frozen and cut off for %d ms while its "
                          "master takes commits",
                       replica, cw_harness_node_port(h, replica), lag_ms);
        cw_harness_sleep_ms(lag_ms);
    }
    out->applied_at_kill = cw_fault_applied(h);
    cw_harness_node_kill(h, master);
    cw_harness_log(h, "master node %d (port %d) of partition %d killed at %lld records applied",
                   master, cw_harness_node_port(h, master), (int)partition,
                   (long long)out->applied_at_kill);
    if (lag_ms > 0)
        kill(replica_pid, SIGCONT);
    /* the daemon sees the master gone before the cluster does */
    char *body = NULL;
    int status = 0;
    for (int waited = 0; waited < 5000; waited += 100) {
        free(body);
        body = NULL;
        cw_harness_http_get(h, "/healthz", &status, &body);
        if (status == 503 && body != NULL && strstr(body, "redis unreachable") != NULL)
            break;
        cw_harness_sleep_ms(100);
    }
    out->health_status = status;
    out->health_body = body;
    /* promoted by the cluster itself, or else forced */
    int64_t start = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    start = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (;;) {
        bool promoted = false;
        if (cw_harness_node_is_master(h, replica, &promoted) == 0 && promoted)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t waited = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - start;
        if (waited >= auto_ms && !out->forced) {
            redisReply *r = cw_harness_node_command(h, replica, "CLUSTER FAILOVER TAKEOVER");
            bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
            if (r != NULL)
                freeReplyObject(r);
            if (!ok)
                return fault_fail("CLUSTER FAILOVER TAKEOVER on node %d refused", replica);
            out->forced = true;
            cw_harness_log(h, "no automatic failover within %d ms: CLUSTER FAILOVER TAKEOVER "
                              "on node %d",
                           auto_ms, replica);
        }
        if (waited >= auto_ms + 20000)
            return fault_fail("node %d not promoted within %lld ms", replica,
                              (long long)waited);
        cw_harness_sleep_ms(100);
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    out->failover_ms = (int)((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - start);
    cw_harness_log(h, "replica node %d (port %d) promoted %s after %d ms", replica,
                   cw_harness_node_port(h, replica), out->forced ? "by TAKEOVER" : "by the cluster",
                   out->failover_ms);
    if (cw_harness_cluster_wait_ok(h, 30000) != 0)
        return harness_fail(h, "the cluster after the failover");
    if (cw_harness_node_restart(h, master) != 0)
        return harness_fail(h, "the old master started again");
    cw_harness_log(h, "old master node %d started again (it rejoins as a replica)", master);
    return 0;
}

static int node_id(cw_harness_t *h, int node, char *out, size_t size)
{
    redisReply *r = cw_harness_node_command(h, node, "CLUSTER MYID");
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        if (r != NULL)
            freeReplyObject(r);
        return fault_fail("CLUSTER MYID on node %d failed", node);
    }
    snprintf(out, size, "%s", r->str);
    freeReplyObject(r);
    return 0;
}

/* A command on a node that must answer +OK (or an integer, for MIGRATE's
 * NOKEY-free answers). */
static int node_ok(cw_harness_t *h, int node, redisReply *r, const char *what)
{
    bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
    char why[200];
    snprintf(why, sizeof why, "%s", r == NULL ? cw_harness_error(h)
                                    : r->type == REDIS_REPLY_ERROR ? r->str
                                                                   : "unexpected reply");
    if (r != NULL)
        freeReplyObject(r);
    return ok ? 0 : fault_fail("node %d: %s: %s", node, what, why);
}

int cw_fault_cluster_migrate(cw_harness_t *h, int32_t partition, int batch, int pause_ms,
                             int *from_out, int *to_out)
{
    char key[CW_KEY_SIZE];
    cw_key_meta(key, "cw:", partition);
    int slot = cw_slot_of(key, strlen(key));
    int from = cw_harness_cluster_node_of(h, key);
    if (from < 0)
        return harness_fail(h, "the partition's master");
    int to = -1;
    for (int i = 0; i < cw_harness_node_count(h) && to < 0; i++) {
        bool master = false;
        if (i != from && cw_harness_node_pid(h, i) > 0 &&
            cw_harness_node_is_master(h, i, &master) == 0 && master)
            to = i;
    }
    if (to < 0)
        return fault_fail("no other master to move slot %d to", slot);
    char from_id[64], to_id[64];
    if (node_id(h, from, from_id, sizeof from_id) != 0 || node_id(h, to, to_id, sizeof to_id) != 0)
        return -1;
    if (node_ok(h, to, cw_harness_node_command(h, to, "CLUSTER SETSLOT %d IMPORTING %s", slot, from_id),
                "SETSLOT IMPORTING") != 0 ||
        node_ok(h, from, cw_harness_node_command(h, from, "CLUSTER SETSLOT %d MIGRATING %s", slot, to_id),
                "SETSLOT MIGRATING") != 0)
        return -1;
    cw_harness_log(h, "slot %d of partition %d migrating from node %d to node %d, %d key(s) at a "
                      "time",
                   slot, (int)partition, from, to, batch);
    int moved = 0;
    for (int round = 0; round < 100000; round++) {
        redisReply *keys =
            cw_harness_node_command(h, from, "CLUSTER GETKEYSINSLOT %d %d", slot, batch);
        if (keys == NULL || keys->type != REDIS_REPLY_ARRAY) {
            if (keys != NULL)
                freeReplyObject(keys);
            return fault_fail("node %d: CLUSTER GETKEYSINSLOT failed", from);
        }
        if (keys->elements == 0) {
            freeReplyObject(keys);
            break;
        }
        const char *argv[8 + 64];
        size_t argvlen[8 + 64];
        char port[16];
        snprintf(port, sizeof port, "%d", cw_harness_node_port(h, to));
        int argc = 0;
        argv[argc++] = "MIGRATE";
        argv[argc++] = "127.0.0.1";
        argv[argc++] = port;
        argv[argc++] = "";
        argv[argc++] = "0";
        argv[argc++] = "5000";
        argv[argc++] = "KEYS";
        for (size_t k = 0; k < keys->elements && k < 64; k++)
            argv[argc++] = keys->element[k]->str;
        for (int a = 0; a < argc; a++)
            argvlen[a] = strlen(argv[a]);
        redisReply *r = redisCommandArgv(cw_harness_node_redis(h, from), argc, argv, argvlen);
        moved += (int)keys->elements;
        freeReplyObject(keys);
        if (node_ok(h, from, r, "MIGRATE") != 0)
            return -1;
        cw_harness_sleep_ms(pause_ms);
    }
    /* the target first, so the slot is never served by nobody */
    if (node_ok(h, to, cw_harness_node_command(h, to, "CLUSTER SETSLOT %d NODE %s", slot, to_id),
                "SETSLOT NODE") != 0 ||
        node_ok(h, from, cw_harness_node_command(h, from, "CLUSTER SETSLOT %d NODE %s", slot, to_id),
                "SETSLOT NODE") != 0)
        return -1;
    for (int i = 0; i < cw_harness_node_count(h); i++) {
        bool master = false;
        if (i == from || i == to || cw_harness_node_pid(h, i) <= 0 ||
            cw_harness_node_is_master(h, i, &master) != 0 || !master)
            continue;
        if (node_ok(h, i, cw_harness_node_command(h, i, "CLUSTER SETSLOT %d NODE %s", slot, to_id),
                    "SETSLOT NODE") != 0)
            return -1;
    }
    cw_harness_log(h, "slot %d of partition %d moved to node %d: %d key(s) migrated", slot,
                   (int)partition, to, moved);
    *from_out = from;
    *to_out = to;
    return 0;
}

int cw_fault_gen_start(cw_harness_t *h, int rate_eps)
{
    char truth[400], rate[24];
    snprintf(truth, sizeof truth, "%s/truth.jsonl", cw_harness_dir(h));
    snprintf(rate, sizeof rate, "%d", rate_eps);
    const char *args[] = {
        "--topics",      CW_FAULT_TOPIC "," CW_FAULT_TOPIC "," CW_FAULT_TOPIC,
        "--subscribers", CW_FAULT_SUBSCRIBERS,
        "--weeks",       CW_FAULT_WEEKS,
        "--start",       CW_FAULT_START,
        "--seed",        CW_FAULT_SEED,
        "--truth",       truth,
        "--rate",        rate,
        CW_FAULT_MODELS, NULL};
    if (cw_harness_gen_start(h, args) != 0)
        return harness_fail(h, "cdrwarn-gen");
    return 0;
}

int cw_fault_preload(cw_harness_t *h)
{
    if (cw_fault_gen_start(h, 0) != 0)
        return -1;
    if (cw_harness_gen_wait(h, CW_FAULT_WAIT_MS) != 0)
        return harness_fail(h, "loading the traffic");
    return 0;
}

static redisReply *command(cw_harness_t *h, const char *fmt, ...);

/* Until every partition with a stream time has closed `month` and no month
 * sweep is under way (cw_harness_wait_closed does the same for weeks). */
static int wait_month_closed(cw_harness_t *h, int32_t month, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char lagging[160] = "";
        size_t with_stream = 0;
        for (int p = 0; p < CW_FAULT_PARTITIONS && lagging[0] == '\0'; p++) {
            char key[CW_KEY_SIZE];
            cw_key_meta(key, "cw:", p);
            redisReply *fields = command(h, "HMGET %s st cm msw", key);
            if (fields == NULL)
                return -1;
            if (fields->type == REDIS_REPLY_ARRAY && fields->elements == 3 &&
                fields->element[0]->type == REDIS_REPLY_STRING) {
                with_stream++;
                bool closed = fields->element[1]->type == REDIS_REPLY_STRING &&
                              strtoll(fields->element[1]->str, NULL, 10) >= month;
                bool sweeping = fields->element[2]->type == REDIS_REPLY_STRING;
                if (!closed || sweeping)
                    snprintf(lagging, sizeof lagging, "partition %d: cm %s%s", p,
                             fields->element[1]->type == REDIS_REPLY_STRING
                                 ? fields->element[1]->str
                                 : "absent",
                             sweeping ? ", month sweep under way" : "");
            }
            freeReplyObject(fields);
        }
        if (with_stream > 0 && lagging[0] == '\0')
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited > timeout_ms)
            return fault_fail("month %d not closed within %d ms: %s", (int)month,
                              timeout_ms,
                              with_stream ? lagging : "no partition has a stream time");
        cw_harness_sleep_ms(20);
    }
}

int cw_fault_settle(cw_harness_t *h, int timeout_ms)
{
    if (cw_harness_gen_wait(h, timeout_ms) != 0)
        return harness_fail(h, "the traffic");
    if (cw_harness_wait_caught_up(h, timeout_ms) != 0)
        return harness_fail(h, "every record applied");
    if (cw_harness_wait_closed(h, cw_fault_last_week(), timeout_ms) != 0)
        return harness_fail(h, "the last week closed");
    if (wait_month_closed(h, cw_fault_last_month(), timeout_ms) != 0)
        return -1;
    if (cw_harness_wait_alerts_out(h, timeout_ms) != 0)
        return harness_fail(h, "the outboxes empty");
    return 0;
}

int64_t cw_fault_applied(cw_harness_t *h)
{
    int64_t total = 0;
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        int64_t next;
        if (cw_harness_next_offset(h, p, CW_FAULT_TOPIC, &next) != 0) {
            harness_fail(h, "the applied offsets");
            return -1;
        }
        total += next >= 0 ? next : 0;
    }
    return total;
}

int64_t cw_fault_produced(cw_harness_t *h)
{
    int64_t lows[CW_FAULT_PARTITIONS], highs[CW_FAULT_PARTITIONS], total = 0;
    if (cw_harness_watermarks(h, CW_FAULT_TOPIC, CW_FAULT_PARTITIONS, lows, highs) != 0) {
        harness_fail(h, "the watermarks");
        return -1;
    }
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++)
        total += highs[p];
    return total;
}

int cw_fault_wait_applied(cw_harness_t *h, int64_t target, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int64_t applied = cw_fault_applied(h);
        if (applied < 0)
            return -1;
        if (applied >= target)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited > timeout_ms)
            return fault_fail("%lld of %lld records applied after %d ms",
                              (long long)applied, (long long)target, timeout_ms);
        cw_harness_sleep_ms(5);
    }
}

/* ---- randomness ------------------------------------------------------------- */

uint64_t cw_fault_random_seed(cw_harness_t *h)
{
    const char *text = getenv("CW_FAULT_RANDOM_SEED");
    uint64_t seed;
    if (text != NULL && *text) {
        seed = strtoull(text, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
    }
    cw_harness_log(h, "random moments from seed %llu (replay: CW_FAULT_RANDOM_SEED=%llu)",
                   (unsigned long long)seed, (unsigned long long)seed);
    return seed;
}

uint64_t cw_fault_random(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int cw_fault_random_range(uint64_t *state, int lo, int hi)
{
    return lo + (int)(cw_fault_random(state) % (uint64_t)(hi - lo + 1));
}

/* ---- collecting a run's results --------------------------------------------- */

/* Printable, space-free text for a key or detail: other bytes as %XX. */
static void escape(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < size; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c > 0x20 && c < 0x7f && c != '%')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
    }
    out[o] = '\0';
}

/* The hash of a published record's JSON without emitted_at (the one field
 * a duplicate may change), keys sorted. Consumes nothing. */
static uint64_t content_hash(json_t *record)
{
    json_t *copy = json_copy(record);
    if (copy == NULL)
        return 0;
    json_object_del(copy, "emitted_at");
    char *canonical = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t hash = canonical ? fnv(FNV_START, canonical, strlen(canonical)) : 0;
    free(canonical);
    json_decref(copy);
    return hash;
}

/* Folds the at-least-once duplicates of a topic's lines ("... <id> <hash>")
 * into *out: duplicates must be copies, the same id with the same content.
 * Takes raw (freed on failure, i.e. when rc is not 0). */
static int published_lines(cw_fault_result_t *result, const char *what,
                           cw_fault_lines_t *raw, cw_fault_lines_t *out, int rc)
{
    if (rc != 0) {
        cw_fault_lines_free(raw);
        return -1;
    }
    cw_fault_lines_sort(raw);
    lines_unique(raw);
    for (size_t i = 1; i < raw->count; i++) {
        const char *a = strrchr(raw->items[i - 1], ' '), *b = strrchr(raw->items[i], ' ');
        size_t prefix = (size_t)(a - raw->items[i - 1]);
        if ((size_t)(b - raw->items[i]) == prefix &&
            strncmp(raw->items[i - 1], raw->items[i], prefix) == 0)
            problem(result, "two %s with the same id differ in content: %s / %s", what,
                    raw->items[i - 1], raw->items[i]);
    }
    *out = *raw;
    memset(raw, 0, sizeof *raw);
    return 0;
}

/* The record's key must be its msisdn and the id header its id field. */
static void check_key_and_header(cw_fault_result_t *result, const cw_harness_msg_t *m,
                                 const char *what, const char *header_name,
                                 const char *id, const char *msisdn)
{
    const char *header = cw_harness_msg_header(m, header_name);
    if (header == NULL || strcmp(header, id) != 0)
        problem(result, "%s %s: header %s is %s", what, id, header_name,
                header ? header : "absent");
    if (m->key == NULL || strcmp(m->key, msisdn) != 0)
        problem(result, "%s %s: key %s, msisdn %s", what, id, m->key ? m->key : "(null)",
                msisdn);
}

static int collect_alerts(cw_harness_t *h, cw_fault_result_t *result)
{
    cw_harness_msgs_t msgs;
    if (cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 0, CW_FAULT_WAIT_MS, &msgs) !=
        0)
        return harness_fail(h, "reading the alert topic");
    result->alert_records = msgs.count;
    cw_fault_lines_t raw = {0};
    int rc = 0;
    for (size_t i = 0; i < msgs.count && rc == 0; i++) {
        const cw_harness_msg_t *m = &msgs.items[i];
        json_error_t jerr;
        json_t *alert = m->value ? json_loadb(m->value, m->value_len, 0, &jerr) : NULL;
        if (alert == NULL) {
            problem(result, "alert record %zu is not JSON", i);
            continue;
        }
        const char *msisdn = json_string_value(json_object_get(alert, "msisdn"));
        const char *week = json_string_value(json_object_get(alert, "week"));
        const char *level = json_string_value(json_object_get(alert, "level"));
        const char *id = json_string_value(json_object_get(alert, "alert_id"));
        json_t *triggers = json_object_get(alert, "triggers");
        if (msisdn == NULL || week == NULL || level == NULL || id == NULL ||
            !json_is_array(triggers)) {
            problem(result,
                    "alert record %zu lacks msisdn, week, level, alert_id or triggers",
                    i);
            json_decref(alert);
            continue;
        }
        check_key_and_header(result, m, "alert", "cdrwarn.alert_id", id, msisdn);
        /* the id is a function of (msisdn, week, level, triggers) */
        uint8_t bits = 0;
        char names[160] = "";
        size_t t;
        json_t *trigger;
        json_array_foreach(triggers, t, trigger)
        {
            const char *name = json_string_value(json_object_get(trigger, "name"));
            cw_trigger_t which;
            if (name == NULL || cw_trigger_parse(name, &which) != 0) {
                problem(result, "alert %s: unknown trigger", id);
                continue;
            }
            bits |= CW_TRIG_BIT(which);
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     t ? "," : "", name);
        }
        cw_level_t lvl;
        int32_t week_index = 0;
        bool parsed = cw_level_parse(level, &lvl) == 0 &&
                      cw_week_parse_label(week, strlen(week), &week_index) == 0;
        char want_id[CW_ALERT_ID_SIZE] = "";
        if (parsed)
            cw_alert_id(msisdn, week_index, lvl, bits, want_id);
        if (!parsed || strcmp(want_id, id) != 0)
            problem(result,
                    "alert %s for %s %s %s [%s]: the id is not the stable one (%s)", id,
                    msisdn, week, level, names, want_id);
        uint64_t hash = content_hash(alert);
        char line[512];
        snprintf(line, sizeof line, "%s %s %s %s %s %016llx", msisdn, week, level,
                 names[0] ? names : "-", id, (unsigned long long)hash);
        rc = cw_fault_lines_add(&raw, line);
        json_decref(alert);
    }
    cw_harness_msgs_free(&msgs);
    return published_lines(result, "alerts", &raw, &result->alerts, rc);
}

static int collect_outcomes(cw_harness_t *h, cw_fault_result_t *result)
{
    cw_harness_msgs_t msgs;
    if (cw_harness_read_topic(h, CW_HARNESS_TOPIC_OUTCOMES, 0, CW_FAULT_WAIT_MS, &msgs) !=
        0)
        return harness_fail(h, "reading the outcome topic");
    result->outcome_records = msgs.count;
    cw_fault_lines_t raw = {0};
    int rc = 0;
    for (size_t i = 0; i < msgs.count && rc == 0; i++) {
        const cw_harness_msg_t *m = &msgs.items[i];
        json_error_t jerr;
        json_t *outcome = m->value ? json_loadb(m->value, m->value_len, 0, &jerr) : NULL;
        if (outcome == NULL) {
            problem(result, "outcome record %zu is not JSON", i);
            continue;
        }
        const char *msisdn = json_string_value(json_object_get(outcome, "msisdn"));
        const char *week = json_string_value(json_object_get(outcome, "week"));
        const char *kind = json_string_value(json_object_get(outcome, "kind"));
        const char *id = json_string_value(json_object_get(outcome, "outcome_id"));
        json_t *alerted = json_object_get(outcome, "alerted");
        json_t *caught = json_object_get(outcome, "caught");
        if (msisdn == NULL || week == NULL || kind == NULL || id == NULL ||
            !json_is_array(alerted) || !json_is_boolean(caught)) {
            problem(result,
                    "outcome record %zu lacks msisdn, week, kind, outcome_id, alerted or "
                    "caught",
                    i);
            json_decref(outcome);
            continue;
        }
        check_key_and_header(result, m, "outcome", "cdrwarn.outcome_id", id, msisdn);
        /* the id is a function of (msisdn, churn week, kind) */
        int32_t week_index = 0;
        int which = -1;
        for (int k = 0; k < CW_CHURN__COUNT; k++)
            if (strcmp(kind, cw_churn_kind_name((cw_churn_kind_t)k)) == 0)
                which = k;
        char want_id[CW_OUTCOME_ID_SIZE] = "";
        bool parsed =
            which >= 0 && cw_week_parse_label(week, strlen(week), &week_index) == 0;
        if (parsed)
            cw_outcome_id(msisdn, week_index, (cw_churn_kind_t)which, want_id);
        if (!parsed || strcmp(want_id, id) != 0)
            problem(result, "outcome %s for %s %s %s: the id is not the stable one (%s)",
                    id, msisdn, week, kind, want_id);
        if (json_is_true(caught) != (json_array_size(alerted) > 0))
            problem(result, "outcome %s: caught is %s with %zu alerted week(s)", id,
                    json_is_true(caught) ? "true" : "false", json_array_size(alerted));
        /* the highest level it was caught with, as the metric has it */
        const char *best = "none";
        int best_rank = -1;
        size_t a;
        json_t *entry;
        json_array_foreach(alerted, a, entry)
        {
            const char *level = json_string_value(json_object_get(entry, "level"));
            cw_level_t lvl;
            if (level == NULL || cw_level_parse(level, &lvl) != 0) {
                problem(result, "outcome %s: an alerted week without a level", id);
                continue;
            }
            if ((int)lvl > best_rank) {
                best_rank = (int)lvl;
                best = level;
            }
        }
        char line[512];
        snprintf(line, sizeof line, "%s %s %s %s %s %016llx", msisdn, week, kind, best,
                 id, (unsigned long long)content_hash(outcome));
        rc = cw_fault_lines_add(&raw, line);
        json_decref(outcome);
    }
    cw_harness_msgs_free(&msgs);
    return published_lines(result, "outcomes", &raw, &result->outcomes, rc);
}

static int collect_scores(cw_harness_t *h, cw_fault_result_t *result)
{
    cw_harness_msgs_t msgs;
    if (cw_harness_read_topic(h, CW_HARNESS_TOPIC_SCORES, 0, CW_FAULT_WAIT_MS, &msgs) !=
        0)
        return harness_fail(h, "reading the score topic");
    result->score_records = msgs.count;
    cw_fault_lines_t raw = {0};
    int rc = 0;
    for (size_t i = 0; i < msgs.count && rc == 0; i++) {
        const cw_harness_msg_t *m = &msgs.items[i];
        json_error_t jerr;
        json_t *record = m->value ? json_loadb(m->value, m->value_len, 0, &jerr) : NULL;
        if (record == NULL) {
            problem(result, "score record %zu is not JSON", i);
            continue;
        }
        const char *msisdn = json_string_value(json_object_get(record, "msisdn"));
        const char *month = json_string_value(json_object_get(record, "month"));
        const char *id = json_string_value(json_object_get(record, "score_id"));
        json_t *score = json_object_get(record, "score");
        json_t *potential = json_object_get(record, "potential_churner");
        json_t *value = json_object_get(record, "value_churn");
        json_t *items = json_object_get(record, "items");
        if (msisdn == NULL || month == NULL || id == NULL || !json_is_integer(score) ||
            !json_is_boolean(potential) || !json_is_boolean(value) ||
            !json_is_array(items)) {
            problem(result,
                    "score record %zu lacks msisdn, month, score_id, score, "
                    "potential_churner, value_churn or items",
                    i);
            json_decref(record);
            continue;
        }
        check_key_and_header(result, m, "score record", "cdrwarn.score_id", id, msisdn);
        /* the id is a function of (msisdn, month) */
        int32_t month_index = 0;
        char want_id[CW_SCORE_ID_SIZE] = "";
        bool parsed = cw_month_parse_label(month, strlen(month), &month_index) == 0;
        if (parsed)
            cw_scorerec_id(msisdn, month_index, want_id);
        if (!parsed || strcmp(want_id, id) != 0)
            problem(result,
                    "score record %s for %s %s: the id is not the stable one (%s)", id,
                    msisdn, month, want_id);
        if (!json_is_true(potential) && !json_is_true(value))
            problem(result,
                    "score record %s: neither a potential churner nor value churn", id);
        char names[400] = "";
        size_t t;
        json_t *item;
        json_array_foreach(items, t, item)
        {
            const char *name = json_string_value(json_object_get(item, "name"));
            cw_score_item_t which;
            if (name == NULL || cw_score_item_parse(name, &which) != 0) {
                problem(result, "score record %s: unknown item", id);
                continue;
            }
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     t ? "," : "", name);
        }
        char line[800];
        snprintf(line, sizeof line, "%s %s %lld %c%c %s %s %016llx", msisdn, month,
                 (long long)json_integer_value(score),
                 json_is_true(potential) ? 'P' : '-', json_is_true(value) ? 'V' : '-',
                 names[0] ? names : "-", id, (unsigned long long)content_hash(record));
        rc = cw_fault_lines_add(&raw, line);
        json_decref(record);
    }
    cw_harness_msgs_free(&msgs);
    return published_lines(result, "score records", &raw, &result->scores, rc);
}

typedef struct source {
    char topic[64];
    int32_t partition;
    int64_t offset;
} source_t;

static int source_cmp(const void *pa, const void *pb)
{
    const source_t *a = pa, *b = pb;
    int c = strcmp(a->topic, b->topic);
    if (c != 0)
        return c;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int collect_dead(cw_harness_t *h, cw_fault_result_t *result, cw_fault_skip_fn skip,
                        void *arg)
{
    cw_harness_msgs_t msgs;
    if (cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, 0, CW_FAULT_WAIT_MS, &msgs) != 0)
        return harness_fail(h, "reading the DLQ topic");
    source_t *seen = calloc(msgs.count ? msgs.count : 1, sizeof *seen);
    size_t seen_count = 0;
    int rc = seen ? 0 : fault_fail("out of memory");
    for (size_t i = 0; i < msgs.count && rc == 0; i++) {
        const cw_harness_msg_t *m = &msgs.items[i];
        const char *topic = cw_harness_msg_header(m, "cdrwarn.source.topic");
        const char *partition = cw_harness_msg_header(m, "cdrwarn.source.partition");
        const char *offset = cw_harness_msg_header(m, "cdrwarn.source.offset");
        const char *reason = cw_harness_msg_header(m, "cdrwarn.reason");
        const char *detail = cw_harness_msg_header(m, "cdrwarn.detail");
        if (topic == NULL || partition == NULL || offset == NULL || reason == NULL ||
            detail == NULL) {
            problem(result, "DLQ record %zu lacks a cdrwarn.* header", i);
            continue;
        }
        source_t src = {.partition = (int32_t)atoi(partition),
                        .offset = strtoll(offset, NULL, 10)};
        snprintf(src.topic, sizeof src.topic, "%s", topic);
        if (skip != NULL && skip(src.topic, src.partition, src.offset, arg))
            continue;
        result->dead_records++;
        /* a record dead-lettered twice (a resend after a fault) counts once */
        bool dup = false;
        for (size_t j = 0; j < seen_count && !dup; j++)
            dup = source_cmp(&seen[j], &src) == 0;
        if (dup)
            continue;
        seen[seen_count++] = src;
        char key[200], text[400], line[800];
        if (m->key != NULL)
            escape(m->key, m->key_len, key, sizeof key);
        else
            snprintf(key, sizeof key, "(null)");
        escape(detail, strlen(detail), text, sizeof text);
        uint64_t hash = m->value ? fnv(FNV_START, m->value, m->value_len) : 0;
        snprintf(line, sizeof line, "%s %s %zu %016llx %s", reason, key, m->value_len,
                 (unsigned long long)hash, text);
        rc = cw_fault_lines_add(&result->dead, line);
    }
    free(seen);
    cw_harness_msgs_free(&msgs);
    cw_fault_lines_sort(&result->dead);
    return rc;
}

static void format_state(const char *msisdn, const cw_sub_t *sub, char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "%s t%d s%ld c%ld", msisdn, (int)sub->tier,
                                  (long)sub->subsidy_end, (long)sub->contract_end);
    if (cw_sub_churned(sub) && len < size)
        len += (size_t)snprintf(out + len, size - len, " churned:%lld",
                                (long long)cw_sub_churn_ts(sub));
    if (len < size)
        len += (size_t)snprintf(out + len, size - len, " |");
    for (int w = 0; w < sub->week_count && len < size; w++) {
        const cw_week_agg_t *a = &sub->weeks[w];
        char label[CW_WEEK_LABEL_SIZE];
        cw_week_label(a->week, label);
        len += (size_t)snprintf(
            out + len, size - len,
            " %s:%lld,%lld,%u,%u,%u,%u,%u,%02x,%d,%lld,%lld,%u,%02x", label,
            (long long)a->spend_fen, (long long)a->voice_s, a->calls,
            a->rival_service_calls, a->complaints, a->serious_complaints,
            a->overdue_complaints, a->fwd_rival_days, a->plan_downgrade,
            (long long)a->downgrade_from_fen, (long long)a->downgrade_to_fen,
            a->published_level, a->published_triggers);
    }
    if (len < size)
        len += (size_t)snprintf(out + len, size - len, " |");
    for (int i = 0; i < sub->month_count && len < size; i++) {
        const cw_month_agg_t *m = &sub->months[i];
        char label[CW_MONTH_LABEL_SIZE];
        cw_month_label(m->month, label);
        len += (size_t)snprintf(
            out + len, size - len, " %s:%lld,%lld,%u,%lld,%u,%u,%u,%u,%u,%u,%u,%u,%d",
            label, (long long)m->spend_fen, (long long)m->voice_s, m->calls,
            (long long)m->vas_fen, m->fwd_calls, m->own_service_calls, m->complaints,
            m->rival_service_calls, m->vip_services, m->fault_level, m->arrears_stops,
            m->new_services, m->plan_downgrade);
        if (m->has_arrears && len < size)
            len += (size_t)snprintf(out + len, size - len, ",a%lld/%lld/%u",
                                    (long long)m->arrears_ts_ms, (long long)m->owed_fen,
                                    m->months_owed);
    }
}

static redisReply *command(cw_harness_t *h, const char *fmt, ...)
{
    redisContext *ctx = cw_harness_redis(h);
    if (ctx == NULL) {
        harness_fail(h, "Redis");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    if (reply == NULL)
        fault_fail("Redis: %s", ctx->errstr);
    return reply;
}

static int collect_redis(cw_harness_t *h, cw_fault_result_t *result)
{
    char pattern[CW_KEY_SIZE];
    cw_key_pattern(pattern, "cw:", "s:*");
    redisReply *keys = cw_harness_redis_keys(h, pattern);
    if (keys == NULL)
        return harness_fail(h, "KEYS");
    if (keys->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(keys);
        return fault_fail("KEYS: not an array");
    }
    /* one server: pipelined GETs; a cluster: each GET where its key is */
    bool cluster = cw_harness_cluster(h);
    redisContext *ctx = cluster ? NULL : cw_harness_redis(h);
    if (!cluster && ctx == NULL) {
        freeReplyObject(keys);
        return harness_fail(h, "Redis");
    }
    int rc = 0;
    const size_t chunk = 500;
    for (size_t first = 0; first < keys->elements && rc == 0; first += chunk) {
        size_t n = keys->elements - first < chunk ? keys->elements - first : chunk;
        for (size_t i = 0; !cluster && i < n; i++)
            redisAppendCommand(ctx, "GET %s", keys->element[first + i]->str);
        for (size_t i = 0; i < n; i++) {
            void *r = NULL;
            if (cluster) {
                r = cw_harness_redis_command(h, "GET %s", keys->element[first + i]->str);
                if (r == NULL) {
                    rc = harness_fail(h, "GET");
                    break;
                }
            } else if (redisGetReply(ctx, &r) != REDIS_OK || r == NULL) {
                rc = fault_fail("Redis: %s", ctx->errstr);
                break;
            }
            redisReply *value = r;
            const char *key = keys->element[first + i]->str;
            const char *msisdn = strstr(key, "}:s:");
            cw_sub_t sub;
            if (value->type != REDIS_REPLY_STRING || msisdn == NULL ||
                cw_sub_decode(&sub, (const uint8_t *)value->str, value->len) != 0) {
                problem(result, "%s: not a subscriber state", key);
            } else {
                char line[4096];
                format_state(msisdn + 4, &sub, line, sizeof line);
                rc = cw_fault_lines_add(&result->states, line);
            }
            freeReplyObject(value);
        }
    }
    freeReplyObject(keys);
    if (rc != 0)
        return -1;
    cw_fault_lines_sort(&result->states);
    for (size_t i = 1; i < result->states.count; i++) {
        const char *a = result->states.items[i - 1], *b = result->states.items[i];
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        if (la == lb && strncmp(a, b, la) == 0)
            problem(result, "subscriber %.*s has two states", (int)la, a);
    }
    for (int p = 0; p < CW_FAULT_PARTITIONS; p++) {
        cw_meta_t meta;
        bool found;
        if (cw_harness_meta(h, p, &meta, &found) != 0)
            return harness_fail(h, "a partition's meta");
        {
            char line[160], closed[CW_PERIOD__COUNT][24], stream[24] = "-";
            for (int period = 0; period < CW_PERIOD__COUNT; period++) {
                snprintf(closed[period], sizeof closed[period], "-");
                if (meta.close[period].closed != CW_WEEK_NONE)
                    snprintf(closed[period], sizeof closed[period], "%d",
                             (int)meta.close[period].closed);
                if (meta.close[period].sweep != CW_WEEK_NONE)
                    problem(result, "partition %d: a %s-close sweep is still under way",
                            p, cw_period_name((cw_period_t)period));
            }
            if (meta.stream_ms != CW_STREAM_NONE)
                snprintf(stream, sizeof stream, "%lld", (long long)meta.stream_ms);
            snprintf(line, sizeof line, "p%d cw=%s cm=%s st=%s", p,
                     closed[CW_PERIOD_WEEK], closed[CW_PERIOD_MONTH], stream);
            rc = cw_fault_lines_add(&result->meta, line);
        }
        char outbox_key[CW_KEY_SIZE];
        cw_key_outbox(outbox_key, "cw:", p);
        redisReply *outbox = cw_harness_cluster(h)
                                 ? cw_harness_redis_command(h, "HLEN %s", outbox_key)
                                 : command(h, "HLEN %s", outbox_key);
        if (outbox == NULL)
            return cw_harness_cluster(h) ? harness_fail(h, "HLEN") : -1;
        if (outbox->type == REDIS_REPLY_INTEGER && outbox->integer > 0)
            problem(result, "partition %d: %lld outbox entr(ies) never acknowledged", p,
                    outbox->integer);
        freeReplyObject(outbox);
        if (rc != 0)
            return -1;
    }
    cw_fault_lines_sort(&result->meta);
    return 0;
}

int cw_fault_collect(cw_harness_t *h, cw_fault_result_t *result, cw_fault_skip_fn skip,
                     void *arg)
{
    memset(result, 0, sizeof *result);
    if (collect_alerts(h, result) != 0 || collect_outcomes(h, result) != 0 ||
        collect_scores(h, result) != 0 || collect_dead(h, result, skip, arg) != 0 ||
        collect_redis(h, result) != 0 || (result->records = cw_fault_applied(h)) < 0) {
        cw_fault_result_free(result);
        return -1;
    }
    cw_harness_log(
        h,
        "collected: %zu distinct alerts (%zu records), %zu outcomes (%zu), %zu "
        "score records (%zu), %zu states, %zu dead letters (%zu records), %zu "
        "problem(s)%s%s",
        result->alerts.count, result->alert_records, result->outcomes.count,
        result->outcome_records, result->scores.count, result->score_records,
        result->states.count, result->dead.count, result->dead_records, result->problems,
        result->problems ? ": " : "", result->problem);
    return 0;
}

/* ---- comparing -------------------------------------------------------------- */

static size_t compare_lines(cw_harness_t *h, const char *kind,
                            const cw_fault_lines_t *want, const cw_fault_lines_t *got)
{
    size_t i = 0, j = 0, missing = 0, extra = 0;
    while (i < want->count || j < got->count) {
        int c = i == want->count  ? 1
                : j == got->count ? -1
                                  : strcmp(want->items[i], got->items[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            if (missing++ < SHOW_DIFFS)
                cw_harness_log(h, "%s missing:    %.400s", kind, want->items[i]);
            i++;
        } else {
            if (extra++ < SHOW_DIFFS)
                cw_harness_log(h, "%s unexpected: %.400s", kind, got->items[j]);
            j++;
        }
    }
    if (missing + extra > 0)
        cw_harness_log(h, "%s: %zu missing, %zu unexpected (reference %zu, this run %zu)",
                       kind, missing, extra, want->count, got->count);
    return missing + extra;
}

int cw_fault_compare(cw_harness_t *h, const cw_fault_result_t *want,
                     const cw_fault_result_t *got)
{
    size_t alerts = compare_lines(h, "alert", &want->alerts, &got->alerts);
    size_t outcomes = compare_lines(h, "outcome", &want->outcomes, &got->outcomes);
    size_t scores = compare_lines(h, "score record", &want->scores, &got->scores);
    size_t states = compare_lines(h, "state", &want->states, &got->states);
    size_t dead = compare_lines(h, "dead letter", &want->dead, &got->dead);
    size_t meta = compare_lines(h, "partition", &want->meta, &got->meta);
    cw_harness_log(
        h,
        "compared with the fault-free reference: %zu alerts, %zu outcomes, %zu score "
        "records, %zu states, %zu dead letters, %zu partitions; duplicates published: "
        "%zu alert(s), %zu outcome(s), %zu score record(s), %zu dead letter(s)",
        got->alerts.count, got->outcomes.count, got->scores.count, got->states.count,
        got->dead.count, got->meta.count, got->alert_records - got->alerts.count,
        got->outcome_records - got->outcomes.count,
        got->score_records - got->scores.count,
        got->dead_records >= got->dead.count ? got->dead_records - got->dead.count : 0);
    if (got->problems > 0)
        return fault_fail("%zu inconsistenc(ies) in this run's output, first: %s",
                          got->problems, got->problem);
    if (alerts + outcomes + scores + states + dead + meta > 0)
        return fault_fail(
            "this run differs from the fault-free one: %zu alert, %zu outcome, %zu score "
            "record, %zu state, %zu dead-letter and %zu partition difference(s) (see the "
            "log above)",
            alerts, outcomes, scores, states, dead, meta);
    return 0;
}

/* ---- the reference ---------------------------------------------------------- */

static int cache_path(char *out, size_t size)
{
    /* what the reference depends on: the two programs, the number plan, the
     * traffic and the config this file writes, and this file */
    uint64_t hash = FNV_START;
    static const char *const files[] = {
        CW_CDRWARND,
        CW_GEN,
        CW_SOURCE_DIR "/config/own_prefixes.txt",
        CW_SOURCE_DIR "/config/rival_prefixes.txt",
        CW_SOURCE_DIR "/config/ported.txt",
        CW_SOURCE_DIR "/config/rival_staff.txt",
        CW_SOURCE_DIR "/tests/support/fault.c", /* what is collected, and how */
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (hash_file(files[i], &hash) != 0)
            return -1;
    static const char traffic[] = CACHE_FORMAT
        " " CW_FAULT_SUBSCRIBERS " " CW_FAULT_WEEKS " " CW_FAULT_START " " CW_FAULT_SEED
        " " CW_FAULT_TOPIC " " CW_FAULT_SESSION_MS " " CW_FAULT_MODELS_TEXT;
    hash = fnv(hash, traffic, sizeof traffic);
    hash = fnv(hash, &(int){CW_FAULT_PARTITIONS}, sizeof(int));
    mkdir(CW_FAULT_CACHE_DIR, 0755);
    snprintf(out, size, "%s/reference-%016llx.txt", CW_FAULT_CACHE_DIR,
             (unsigned long long)hash);
    return 0;
}

static int save(const char *path, const cw_fault_result_t *r)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return fault_fail("%s: %s", tmp, strerror(errno));
    fprintf(f, "%s %zu %zu %zu %zu %lld\n", CACHE_FORMAT, r->alert_records,
            r->outcome_records, r->score_records, r->dead_records, (long long)r->records);
    const struct {
        char tag;
        const cw_fault_lines_t *lines;
    } kinds[] = {{'A', &r->alerts}, {'O', &r->outcomes}, {'C', &r->scores},
                 {'S', &r->states}, {'D', &r->dead},     {'M', &r->meta}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < kinds[k].lines->count; i++)
            fprintf(f, "%c %s\n", kinds[k].tag, kinds[k].lines->items[i]);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return fault_fail("cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

static int load(const char *path, cw_fault_result_t *r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    memset(r, 0, sizeof *r);
    size_t cap = 8192;
    char *line = malloc(cap);
    int rc = line ? 0 : -1;
    bool first = true;
    while (rc == 0) {
        ssize_t n = getline(&line, &cap, f);
        if (n < 0)
            break;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (first) {
            first = false;
            long long records = 0;
            if (strncmp(line, CACHE_FORMAT " ", strlen(CACHE_FORMAT) + 1) != 0 ||
                sscanf(line + strlen(CACHE_FORMAT) + 1, "%zu %zu %zu %zu %lld",
                       &r->alert_records, &r->outcome_records, &r->score_records,
                       &r->dead_records, &records) != 5)
                rc = -1;
            r->records = records;
            continue;
        }
        if (n < 2 || line[1] != ' ') {
            rc = -1;
            break;
        }
        cw_fault_lines_t *lines = line[0] == 'A'   ? &r->alerts
                                  : line[0] == 'O' ? &r->outcomes
                                  : line[0] == 'C' ? &r->scores
                                  : line[0] == 'S' ? &r->states
                                  : line[0] == 'D' ? &r->dead
                                  : line[0] == 'M' ? &r->meta
                                                   : NULL;
        rc = lines ? cw_fault_lines_add(lines, line + 2) : -1;
    }
    free(line);
    fclose(f);
    if (rc != 0 || first || r->alerts.count == 0 || r->outcomes.count == 0 ||
        r->scores.count == 0) {
        cw_fault_result_free(r);
        return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (in == NULL)
        return fault_fail("%s: %s", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (out == NULL) {
        fclose(in);
        return fault_fail("%s: %s", to, strerror(errno));
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out) == 0 ? 0 : fault_fail("cannot write %s", to);
}

/* The fault-free run itself. */
static int reference_run(cw_fault_result_t *out, const char *truth_path)
{
    cw_harness_t *h = cw_harness_new("fault-reference");
    if (h == NULL)
        return fault_fail("the harness could not be set up");
    int rc = -1, status = -1;
    if (cw_fault_prepare(h, NULL) != 0)
        goto out;
    if (cw_harness_daemon_start(h) != 0 ||
        cw_harness_daemon_wait_healthy(h, 60000) != 0) {
        harness_fail(h, "cdrwarnd");
        goto out;
    }
    if (cw_fault_gen_start(h, 0) != 0 || cw_fault_settle(h, CW_FAULT_WAIT_MS) != 0)
        goto out;
    if (cw_fault_collect(h, out, NULL, NULL) != 0)
        goto out;
    if (cw_harness_daemon_stop(h, 30000, &status) != 0 || status != 0) {
        fault_fail("the reference daemon did not stop cleanly (status %d): %s", status,
                   cw_harness_error(h));
        goto out;
    }
    if (out->problems > 0) {
        fault_fail("the reference run is inconsistent: %s", out->problem);
        goto out;
    }
    /* a reference without them would compare nothing of SPEC sections 10
     * and 14: the traffic lost its churn or its closed month */
    if (out->alerts.count == 0 || out->outcomes.count == 0 || out->scores.count == 0) {
        fault_fail("the reference run published %zu alerts, %zu churn outcomes and %zu "
                   "score records: the traffic (" CW_FAULT_MODELS_TEXT
                   ", from " CW_FAULT_START ") must give some of each",
                   out->alerts.count, out->outcomes.count, out->scores.count);
        goto out;
    }
    if (truth_path != NULL) {
        char truth[400];
        snprintf(truth, sizeof truth, "%s/truth.jsonl", cw_harness_dir(h));
        if (copy_file(truth, truth_path) != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        cw_harness_dump_logs(h);
        cw_fault_result_free(out);
    }
    cw_harness_free(h);
    return rc;
}

int cw_fault_reference(cw_fault_result_t *out, bool fresh, const char *truth_path,
                       bool *computed)
{
    char path[512];
    if (computed != NULL)
        *computed = false;
    if (cache_path(path, sizeof path) != 0)
        return -1;
    if (!fresh && load(path, out) == 0) {
        fprintf(stderr,
                "[fault] the fault-free reference from %s: %zu alerts, %zu states\n",
                path, out->alerts.count, out->states.count);
        return 0;
    }
    fprintf(stderr, "[fault] computing the fault-free reference (%s)\n", path);
    if (reference_run(out, truth_path) != 0)
        return -1;
    if (computed != NULL)
        *computed = true;
    return save(path, out);
}

/* ---- the end of a run, and main ----------------------------------------- */

int cw_fault_check_run(cw_harness_t *h, const cw_fault_result_t *ref,
                       cw_fault_result_t *got, cw_fault_skip_fn skip, void *arg)
{
    if (cw_fault_settle(h, CW_FAULT_WAIT_MS) != 0 ||
        cw_fault_collect(h, got, skip, arg) != 0)
        return -1;
    return cw_fault_compare(h, ref, got);
}

int cw_fault_stop(cw_harness_t *h, int n, int timeout_ms)
{
    int status = -1;
    if (cw_harness_daemon_stop_n(h, n, timeout_ms, &status) != 0)
        return harness_fail(h, "stopping cdrwarnd");
    if (status != 0)
        return fault_fail("cdrwarnd #%d exited with status %d after SIGTERM", n, status);
    return 0;
}

void cw_fault_end(cw_harness_t *h, cw_fault_result_t *ref, cw_fault_result_t *got)
{
    cw_fault_result_free(got);
    cw_fault_result_free(ref);
    cw_harness_stop(h);
}

int cw_fault_main(const char *name, const TTest *test, cw_harness_t **harness)
{
    /* under CTest's 300 s bound, so Check reports a hang first */
    return cw_harness_main(name, &test, 1, 280, harness);
}
