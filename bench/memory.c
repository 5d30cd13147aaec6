/* cwbench-memory: what the monthly model (SPEC section 14) costs in Redis per
 * subscriber. Reads a generated history (JSON lines, cdrwarn-gen --stdout)
 * and applies it in memory with the daemon's own lib code (parse, time
 * checks, aggregates), keeps what a state keeps at the end (weeks_kept weeks,
 * the current month and six before), then writes the states of the
 * subscribers with seven active months to a Redis server twice, the way the
 * daemon writes an active subscriber's state (SET <prefix>{p<p>}:s:<msisdn>
 * <state>, no expiry while a week close will still visit it):
 * first in the previous format (codec version 1: the weeks only, as the
 * release before the months stored them), then in the current one (version
 * 2: the weeks and the months), FLUSHALL between. Reports, for each, the
 * encoded state, MEMORY USAGE per key and Redis's used_memory growth per
 * subscriber, and prints key=value lines. Driven by bench/memory.sh. */
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "batch.h"
#include "date.h"
#include "errlist.h"
#include "event.h"
#include "keys.h"
#include "month.h"
#include "setup.h"
#include "subcodec.h"
#include "subset.h"
#include "week.h"

#define PIPELINE 1000

typedef struct {
    const char *redis_host;
    int redis_port;
    const char *config;
    const char *prefix;
    int partitions;
    long subscribers;
    const char *kv_path;
} opts_t;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: cwbench-memory --redis HOST:PORT --config FILE --subscribers N\n"
        "                      [--partitions P] [--prefix cw:] [--kv FILE] < "
        "events.jsonl\n"
        "\n"
        "Applies the events (cdrwarn-gen --stdout) in memory with the daemon's rules\n"
        "of aggregation (the config's number plan, UTC offset and weeks_kept), then\n"
        "writes the states of the subscribers with seven active months to Redis,\n"
        "FLUSHing it first, in the previous format (codec version 1, weeks only)\n"
        "and then in the current one (version 2, weeks and months), and reports\n"
        "the encoded bytes, MEMORY USAGE per key and used_memory per subscriber of\n"
        "each. --subscribers N sizes the table (the generator's count; records of\n"
        "other numbers count too). THE REDIS SERVER IS FLUSHED.\n");
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static redisReply *command(redisContext *redis, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(redis, fmt, ap);
    va_end(ap);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "cwbench-memory: Redis %s: %s\n", fmt,
                reply ? reply->str : redis->errstr);
        exit(1);
    }
    return reply;
}

static long long used_memory(redisContext *redis)
{
    redisReply *info = command(redis, "INFO memory");
    const char *line = strstr(info->str, "used_memory:");
    long long bytes = line ? strtoll(line + strlen("used_memory:"), NULL, 10) : -1;
    freeReplyObject(info);
    return bytes;
}

/* A month with any aggregate: what "active" means here. */
static bool month_active(const cw_month_agg_t *m)
{
    return m->spend_fen > 0 || m->calls > 0 || m->voice_s > 0 || m->fwd_calls > 0 ||
           m->complaints > 0 || m->new_services > 0 || m->has_arrears;
}

static bool seven_active_months(const cw_sub_t *sub, int32_t newest)
{
    for (int32_t m = newest - (CW_MONTHS_KEPT - 1); m <= newest; m++) {
        const cw_month_agg_t *agg = cw_sub_find_month(sub, m);
        if (agg == NULL || !month_active(agg))
            return false;
    }
    return true;
}

/* The previous format of the same state: the release before the churn mark
 * and the months wrote version 1, which is version 2 without them. */
static size_t encode_v1(const cw_sub_t *sub, uint8_t *buf, size_t cap)
{
    cw_sub_t old = *sub;
    old.month_count = 0;
    old.churned = false;
    old.churn_ts_ms = 0;
    size_t len = cw_sub_encode(&old, buf, cap);
    if (len > 0)
        buf[0] = 1;
    return len;
}

/* What trimming the months' voice_s and calls would save: SPEC section 14
 * keeps them, but no item reads them. */
static size_t encode_without_usage(const cw_sub_t *sub, uint8_t *buf, size_t cap)
{
    cw_sub_t trimmed = *sub;
    for (int i = 0; i < trimmed.month_count; i++) {
        trimmed.months[i].voice_s = 0;
        trimmed.months[i].calls = 0;
    }
    return cw_sub_encode(&trimmed, buf, cap);
}

typedef struct {
    double encoded; /* mean encoded state, bytes */
    double usage;   /* mean MEMORY USAGE of a key, bytes */
    double per_sub; /* used_memory growth per subscriber, bytes */
    long long before, after;
} fill_t;

/* FLUSHALL, then every chosen state in one format, then the figures. */
static void fill(redisContext *redis, const opts_t *opts, const cw_subset_t *set,
                 const bool *chosen, size_t count, bool v1, fill_t *out)
{
    freeReplyObject(command(redis, "FLUSHALL"));
    freeReplyObject(command(redis, "MEMORY PURGE"));
    out->before = used_memory(redis);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    char key[CW_KEY_SIZE];
    long long bytes = 0;
    size_t pending = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (!chosen[i])
            continue;
        const cw_subset_entry_t *sub = &set->subs[i];
        size_t len = v1 ? encode_v1(&sub->state, buf, sizeof buf)
                        : cw_sub_encode(&sub->state, buf, sizeof buf);
        cw_sub_t check;
        if (len == 0 || cw_sub_decode(&check, buf, len) != 0) {
            fprintf(stderr, "cwbench-memory: a state that does not encode and decode\n");
            exit(1);
        }
        bytes += (long long)len;
        /* partitions by a spread of the number, like the daemon's keys */
        cw_key_sub(key, opts->prefix, (int32_t)(i % (size_t)opts->partitions),
                   sub->msisdn);
        redisAppendCommand(redis, "SET %s %b", key, buf, len);
        if (++pending == PIPELINE) {
            for (; pending > 0; pending--) {
                void *reply;
                if (redisGetReply(redis, &reply) != REDIS_OK) {
                    fprintf(stderr, "cwbench-memory: Redis: %s\n", redis->errstr);
                    exit(1);
                }
                freeReplyObject(reply);
            }
        }
    }
    for (; pending > 0; pending--) {
        void *reply;
        if (redisGetReply(redis, &reply) != REDIS_OK) {
            fprintf(stderr, "cwbench-memory: Redis: %s\n", redis->errstr);
            exit(1);
        }
        freeReplyObject(reply);
    }
    out->after = used_memory(redis);
    long long usage = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (!chosen[i])
            continue;
        cw_key_sub(key, opts->prefix, (int32_t)(i % (size_t)opts->partitions),
                   set->subs[i].msisdn);
        redisReply *reply = command(redis, "MEMORY USAGE %s SAMPLES 0", key);
        usage += reply->integer;
        freeReplyObject(reply);
    }
    out->encoded = (double)bytes / (double)count;
    out->usage = (double)usage / (double)count;
    out->per_sub = (double)(out->after - out->before) / (double)count;
}

int main(int argc, char **argv)
{
    opts_t opts = {.redis_host = "127.0.0.1", .prefix = "cw:", .partitions = 32};
    static const struct option options[] = {
        {"redis", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'},
        {"subscribers", required_argument, NULL, 'n'},
        {"partitions", required_argument, NULL, 'p'},
        {"prefix", required_argument, NULL, 'x'},
        {"kv", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[128] = "";
    int opt;
    while ((opt = getopt_long(argc, argv, "r:c:n:p:x:k:h", options, NULL)) != -1) {
        switch (opt) {
        case 'r': {
            const char *colon = strrchr(optarg, ':');
            if (colon == NULL || (size_t)(colon - optarg) >= sizeof host) {
                usage(stderr);
                return 2;
            }
            memcpy(host, optarg, (size_t)(colon - optarg));
            host[colon - optarg] = '\0';
            opts.redis_host = host;
            opts.redis_port = atoi(colon + 1);
            break;
        }
        case 'c':
            opts.config = optarg;
            break;
        case 'n':
            opts.subscribers = atol(optarg);
            break;
        case 'p':
            opts.partitions = atoi(optarg);
            break;
        case 'x':
            opts.prefix = optarg;
            break;
        case 'k':
            opts.kv_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (opts.redis_port <= 0 || opts.config == NULL || opts.subscribers <= 0 ||
        opts.partitions <= 0) {
        usage(stderr);
        return 2;
    }

    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_setup_t *setup = NULL;
    if (cw_setup_load(opts.config, &setup, &errs) != 0) {
        fprintf(stderr, "cwbench-memory: %s", cw_errlist_text(&errs));
        return 1;
    }
    const cw_config_t *config = setup->config;

    /* the history, applied as the daemon applies it */
    cw_subset_t set;
    if (cw_subset_init(&set, (size_t)opts.subscribers * 2 + 4096) != 0) {
        fprintf(stderr, "cwbench-memory: out of memory\n");
        return 1;
    }
    int64_t now = wall_ms(), stream_ms = CW_STREAM_NONE;
    long long lines = 0, applied = 0, refused = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, stdin)) > 0) {
        lines++;
        if (line[len - 1] == '\n')
            len--;
        cw_event_t event;
        char detail[256];
        if (cw_event_parse(line, (size_t)len, config->country_code, &event, detail,
                           sizeof detail) != CW_DLQ_NONE) {
            refused++;
            continue;
        }
        int32_t stream_week = stream_ms == CW_STREAM_NONE
                                  ? INT32_MIN
                                  : cw_week_of_ms(stream_ms, config->utc_offset_s);
        if (cw_event_check_time(&event, now, config->max_future_ms, stream_week,
                                (int)config->weeks_kept, config->utc_offset_s, detail,
                                sizeof detail) != CW_DLQ_NONE) {
            refused++;
            continue;
        }
        int i = cw_subset_add(&set, event.msisdn);
        if (i < 0) {
            fprintf(stderr,
                    "cwbench-memory: more numbers than --subscribers allows for\n");
            return 1;
        }
        if (cw_sub_apply(&set.subs[i].state, &event, setup->plan, config->utc_offset_s) ==
            NULL) {
            refused++;
            continue;
        }
        applied++;
        if (stream_ms == CW_STREAM_NONE || event.ts_ms > stream_ms)
            stream_ms = event.ts_ms;
    }
    free(line);
    if (stream_ms == CW_STREAM_NONE) {
        fprintf(stderr, "cwbench-memory: no event applied\n");
        return 1;
    }
    /* what a state keeps at the end: weeks_kept weeks, seven months */
    for (size_t i = 0; i < set.count; i++)
        set.subs[i].dirty = true;
    cw_subset_drop_before(&set, cw_batch_oldest_week(config, stream_ms),
                          cw_batch_oldest_month(config, stream_ms));
    int32_t newest = cw_month_of_ms(stream_ms, config->utc_offset_s);
    bool *chosen = calloc(set.count ? set.count : 1, sizeof *chosen);
    size_t count = 0, weeks = 0, months = 0;
    long long all_v1 = 0, all_v2 = 0, chosen_trimmed = 0;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    for (size_t i = 0; i < set.count; i++) {
        const cw_sub_t *sub = &set.subs[i].state;
        all_v1 += (long long)encode_v1(sub, buf, sizeof buf);
        all_v2 += (long long)cw_sub_encode(sub, buf, sizeof buf);
        if (sub->tier == CW_TIER_UNKNOWN || !seven_active_months(sub, newest))
            continue;
        chosen[i] = true;
        chosen_trimmed += (long long)encode_without_usage(sub, buf, sizeof buf);
        count++;
        weeks += (size_t)sub->week_count;
        months += (size_t)sub->month_count;
    }
    if (count == 0) {
        fprintf(stderr,
                "cwbench-memory: no subscriber with seven active months: the history "
                "must span seven calendar months (cdrwarn-gen --model full)\n");
        return 1;
    }
    char month_label[CW_MONTH_LABEL_SIZE];
    cw_month_label(newest, month_label);
    fprintf(
        stderr,
        "cwbench-memory: %lld records, %lld applied, %lld refused; %zu states, %zu with "
        "seven active months up to %s (%.1f weeks, %.1f months each)\n",
        lines, applied, refused, set.count, count, month_label, (double)weeks / count,
        (double)months / count);

    redisContext *redis = redisConnect(opts.redis_host, opts.redis_port);
    if (redis == NULL || redis->err) {
        fprintf(stderr, "cwbench-memory: Redis %s:%d: %s\n", opts.redis_host,
                opts.redis_port, redis ? redis->errstr : "out of memory");
        return 1;
    }
    fill_t old, cur;
    fill(redis, &opts, &set, chosen, count, true, &old);
    fill(redis, &opts, &set, chosen, count, false, &cur);
    freeReplyObject(command(redis, "FLUSHALL"));
    redisFree(redis);

    printf("| %-52s | %13s | %13s | %8s |\n", "per subscriber with seven active months",
           "v1: weeks", "v2: + months", "growth");
    printf("|%s|%s|%s|%s|\n", "------------------------------------------------------",
           "--------------:", "--------------:", "---------:");
    printf("| %-52s | %13.1f | %13.1f | %+8.1f |\n", "encoded state, B", old.encoded,
           cur.encoded, cur.encoded - old.encoded);
    printf("| %-52s | %13.1f | %13.1f | %+8.1f |\n", "MEMORY USAGE of its key, B",
           old.usage, cur.usage, cur.usage - old.usage);
    printf("| %-52s | %13.1f | %13.1f | %+8.1f |\n", "Redis used_memory growth, B",
           old.per_sub, cur.per_sub, cur.per_sub - old.per_sub);
    printf("| %-52s | %13s | %13.1f | %+8.1f |\n",
           "encoded, without the months' voice_s and calls, B", "",
           (double)chosen_trimmed / count, (double)chosen_trimmed / count - old.encoded);
    printf("| %-52s | %13.1f | %13.1f | %+8.1f |\n", "encoded state over all states, B",
           (double)all_v1 / set.count, (double)all_v2 / set.count,
           (double)(all_v2 - all_v1) / set.count);
    printf("(%zu subscribers with seven active months of %zu states; %.1f weeks and %.1f "
           "months "
           "a state; used_memory %.1f -> %.1f MB (v1), %.1f -> %.1f MB (v2))\n",
           count, set.count, (double)weeks / count, (double)months / count,
           old.before / 1e6, old.after / 1e6, cur.before / 1e6, cur.after / 1e6);

    if (opts.kv_path != NULL) {
        FILE *kv = fopen(opts.kv_path, "a");
        if (kv != NULL) {
            fprintf(kv,
                    "memory_subscribers=%zu\nmemory_states=%zu\nmemory_v1_encoded=%.1f\n"
                    "memory_v2_encoded=%.1f\nmemory_v1_usage=%.1f\nmemory_v2_usage=%.1f\n"
                    "memory_v1_per_sub=%.1f\nmemory_v2_per_sub=%.1f\n"
                    "memory_v2_trimmed_encoded=%.1f\n",
                    count, set.count, old.encoded, cur.encoded, old.usage, cur.usage,
                    old.per_sub, cur.per_sub, (double)chosen_trimmed / count);
            fclose(kv);
        }
    }
    free(chosen);
    cw_subset_free(&set);
    cw_setup_free(setup);
    return 0;
}
