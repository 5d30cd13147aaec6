/* cdrwarn-backtest's Kafka input: a range of the input topics read straight
 * from the brokers (--brokers, --topics, --partition, --from, --to), where
 * the history lives. Each topic partition is read from the first record at
 * or after --from (its log start without it) to the last before --to (its
 * high watermark at the start without it) with librdkafka's per-partition
 * consumer, and the partitions are merged into one stream by record
 * timestamp (ties: topic order, then partition), as a partition of the
 * daemon interleaves its topics in time. See backtest.h. */
#include "backtest.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "alloc.h"

#define TIMEOUT_MS 10000 /* a metadata or offsets request */
#define STALL_MS 60000   /* no record from a partition that has more: give up */
#define FETCHED_MAX 1024 /* records taken from one partition at a time */

typedef struct part {
    rd_kafka_topic_t *rkt;
    const char *topic; /* borrowed from the options */
    int32_t partition;
    int64_t end; /* exclusive */
    rd_kafka_message_t **fetched;
    size_t fetched_count, next; /* fetched[next] is the partition's head */
    bool done;
    bool started;
} part_t;

typedef struct kafka_source {
    rd_kafka_t *rk;
    part_t *parts;
    size_t part_count;
    bt_batch_t batch;
} kafka_source_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_fetched(part_t *part)
{
    for (size_t i = part->next; i < part->fetched_count; i++)
        rd_kafka_message_destroy(part->fetched[i]);
    part->fetched_count = part->next = 0;
}

static void kafka_free(void *impl)
{
    kafka_source_t *ks = impl;
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->part_count; i++) {
        part_t *part = &ks->parts[i];
        free_fetched(part);
        cw_free(part->fetched);
        if (part->started)
            rd_kafka_consume_stop(part->rkt, part->partition);
        if (part->rkt != NULL)
            rd_kafka_topic_destroy(part->rkt);
    }
    cw_free(ks->parts);
    if (ks->rk != NULL)
        rd_kafka_destroy(ks->rk);
    bt_batch_free(&ks->batch);
    cw_free(ks);
}

/* Makes part's head available: fetches when every fetched record is taken.
 * Returns 0 (the head, or done), or -1 with err. */
static int fill(part_t *part, char *err, size_t err_size)
{
    int64_t started = mono_ms();
    while (!part->done && part->next == part->fetched_count) {
        part->fetched_count = part->next = 0;
        /* what is there already; else wait for one record (a batch read with
         * a timeout waits for a full batch) */
        ssize_t got = rd_kafka_consume_batch(part->rkt, part->partition, 0, part->fetched,
                                             FETCHED_MAX);
        if (got == 0) {
            part->fetched[0] = rd_kafka_consume(part->rkt, part->partition, 1000);
            if (part->fetched[0] != NULL)
                got = 1;
            else if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__TIMED_OUT)
                got = -1;
        }
        if (got < 0) {
            snprintf(err, err_size, "%s [%d]: %s", part->topic, (int)part->partition,
                     rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        /* keep the records before the end; an end of partition or the end
         * offset finishes it */
        size_t kept = 0;
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *msg = part->fetched[i];
            bool keep = !part->done && msg->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                        msg->offset < part->end;
            if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR && msg->offset >= part->end - 1))
                part->done = true;
            else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                snprintf(err, err_size, "%s [%d]: %s", part->topic, (int)part->partition,
                         rd_kafka_message_errstr(msg));
                for (ssize_t j = i; j < got; j++)
                    rd_kafka_message_destroy(part->fetched[j]);
                part->fetched_count = kept;
                return -1;
            }
            if (keep)
                part->fetched[kept++] = msg;
            else
                rd_kafka_message_destroy(msg);
        }
        part->fetched_count = kept;
        if (!part->done && kept == 0 && mono_ms() - started > STALL_MS) {
            snprintf(err, err_size, "%s [%d]: no record for %d s before offset %" PRId64,
                     part->topic, (int)part->partition, STALL_MS / 1000, part->end);
            return -1;
        }
    }
    return 0;
}

static int64_t head_time(const part_t *part)
{
    return rd_kafka_message_timestamp(part->fetched[part->next], NULL);
}

static int kafka_next(void *impl, const cw_record_t *const **records, size_t *count,
                      char *err, size_t err_size)
{
    kafka_source_t *ks = impl;
    bt_batch_reset(&ks->batch);
    *records = ks->batch.records;
    *count = 0;
    for (;;) {
        part_t *best = NULL;
        for (size_t i = 0; i < ks->part_count; i++) {
            part_t *part = &ks->parts[i];
            if (fill(part, err, err_size) != 0)
                return -1;
            if (part->next < part->fetched_count &&
                (best == NULL || head_time(part) < head_time(best)))
                best = part;
        }
        if (best == NULL)
            break; /* every partition read to its end */
        rd_kafka_message_t *msg = best->fetched[best->next];
        if (!bt_batch_room(&ks->batch, msg->key_len))
            break;
        bt_batch_add(&ks->batch, msg->key, msg->key_len,
                     msg->payload != NULL ? msg->payload : "", msg->len);
        rd_kafka_message_destroy(msg);
        best->next++;
    }
    *count = ks->batch.count;
    return 0;
}

static const bt_source_ops_t kafka_ops = {kafka_next, NULL, kafka_free};

/* The configuration's property.* lines, as the daemon passes them. */
static int apply_properties(rd_kafka_conf_t *conf, const cw_config_t *config, char *err,
                            size_t err_size)
{
    char errstr[512];
    for (size_t i = 0; config != NULL && i < config->kafka_prop_count; i++) {
        const cw_kafka_prop_t *prop = &config->kafka_props[i];
        if (rd_kafka_conf_set(conf, prop->name, prop->value, errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            snprintf(err, err_size, "%s:%d: [kafka] property.%s: %s", config->path,
                     prop->line, prop->name, errstr);
            return -1;
        }
    }
    return 0;
}

static rd_kafka_t *kafka_connect(const bt_opts_t *opts, const cw_config_t *config,
                                 char *err, size_t err_size)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (apply_properties(conf, config, err, err_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    const char *settings[][2] = {
        {"bootstrap.servers", opts->brokers}, {"group.id", "cdrwarn-backtest"},
        {"enable.auto.commit", "false"},      {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},     {"auto.offset.reset", "earliest"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], errstr,
                              sizeof errstr) != RD_KAFKA_CONF_OK) {
            snprintf(err, err_size, "%s: %s", settings[i][0], errstr);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        snprintf(err, err_size, "%s", errstr);
        rd_kafka_conf_destroy(conf); /* not taken on failure */
    }
    return rk;
}

/* Every partition of the topics (or partition number opts->partition). */
static int list_parts(kafka_source_t *ks, const bt_opts_t *opts,
                      const char *const *topics, size_t topic_count, char *err,
                      size_t err_size)
{
    for (size_t t = 0; t < topic_count; t++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(ks->rk, topics[t], NULL);
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t rc = rkt ? rd_kafka_metadata(ks->rk, 0, rkt, &md, TIMEOUT_MS)
                                     : rd_kafka_last_error();
        if (rc == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt != 1)
            rc = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        else if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = md->topics[0].err;
        if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(err, err_size, "%s: %s", topics[t], rd_kafka_err2str(rc));
            if (md != NULL)
                rd_kafka_metadata_destroy(md);
            if (rkt != NULL)
                rd_kafka_topic_destroy(rkt);
            return -1;
        }
        int count = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        if (opts->partition >= count) {
            snprintf(err, err_size, "%s: no partition %d (it has %d)", topics[t],
                     opts->partition, count);
            rd_kafka_topic_destroy(rkt);
            return -1;
        }
        part_t *parts =
            cw_realloc(ks->parts, (ks->part_count + (size_t)count) * sizeof *parts);
        if (parts == NULL) {
            rd_kafka_topic_destroy(rkt);
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        ks->parts = parts;
        bool rkt_used = false;
        for (int p = 0; p < count; p++) {
            if (opts->partition >= 0 && p != opts->partition)
                continue;
            part_t *part = &ks->parts[ks->part_count++];
            *part = (part_t){.rkt = rkt_used ? rd_kafka_topic_new(ks->rk, topics[t], NULL)
                                             : rkt,
                             .topic = topics[t],
                             .partition = p};
            rkt_used = true;
            part->fetched = cw_malloc(FETCHED_MAX * sizeof *part->fetched);
            if (part->rkt == NULL || part->fetched == NULL) {
                snprintf(err, err_size, "out of memory");
                return -1;
            }
        }
        if (!rkt_used)
            rd_kafka_topic_destroy(rkt);
    }
    return 0;
}

/* Each partition's first offset (at --from, else its log start) and end (at
 * --to, else its high watermark now); then starts reading. */
static int start_parts(kafka_source_t *ks, const bt_opts_t *opts, char *err,
                       size_t err_size)
{
    rd_kafka_topic_partition_list_t *from =
        rd_kafka_topic_partition_list_new((int)ks->part_count);
    rd_kafka_topic_partition_list_t *to =
        rd_kafka_topic_partition_list_new((int)ks->part_count);
    int rc = -1;
    for (size_t i = 0; i < ks->part_count; i++) {
        rd_kafka_topic_partition_list_add(from, ks->parts[i].topic,
                                          ks->parts[i].partition)
            ->offset = opts->from_ms;
        rd_kafka_topic_partition_list_add(to, ks->parts[i].topic, ks->parts[i].partition)
            ->offset = opts->to_ms;
    }
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (opts->has_from)
        e = rd_kafka_offsets_for_times(ks->rk, from, TIMEOUT_MS);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && opts->has_to)
        e = rd_kafka_offsets_for_times(ks->rk, to, TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "the offsets of --from/--to: %s", rd_kafka_err2str(e));
        goto done;
    }
    for (size_t i = 0; i < ks->part_count; i++) {
        part_t *part = &ks->parts[i];
        int64_t low, high;
        e = rd_kafka_query_watermark_offsets(ks->rk, part->topic, part->partition, &low,
                                             &high, TIMEOUT_MS);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(err, err_size, "%s [%d]: %s", part->topic, (int)part->partition,
                     rd_kafka_err2str(e));
            goto done;
        }
        /* offsets_for_times gives -1 when no record is that late: the end */
        int64_t start = opts->has_from ? from->elems[i].offset : low;
        part->end = opts->has_to ? to->elems[i].offset : high;
        if (start < 0 || start > high)
            start = high;
        if (part->end < 0 || part->end > high)
            part->end = high;
        if (start < low)
            start = low;
        if (start >= part->end) {
            part->done = true;
            continue;
        }
        if (rd_kafka_consume_start(part->rkt, part->partition, start) != 0) {
            snprintf(err, err_size, "%s [%d]: %s", part->topic, (int)part->partition,
                     rd_kafka_err2str(rd_kafka_last_error()));
            goto done;
        }
        part->started = true;
    }
    rc = 0;
done:
    rd_kafka_topic_partition_list_destroy(from);
    rd_kafka_topic_partition_list_destroy(to);
    return rc;
}

bt_source_t *bt_source_kafka(const bt_opts_t *opts, const cw_config_t *config,
                             const char *const *topics, size_t topic_count, char *err,
                             size_t err_size)
{
    kafka_source_t *ks = cw_calloc(1, sizeof *ks);
    if (ks == NULL || bt_batch_init(&ks->batch) != 0) {
        snprintf(err, err_size, "out of memory");
        kafka_free(ks);
        return NULL;
    }
    ks->rk = kafka_connect(opts, config, err, err_size);
    if (ks->rk == NULL || list_parts(ks, opts, topics, topic_count, err, err_size) != 0 ||
        start_parts(ks, opts, err, err_size) != 0) {
        kafka_free(ks);
        return NULL;
    }
    bt_source_t *source = bt_source_new(&kafka_ops, ks);
    if (source == NULL) {
        snprintf(err, err_size, "out of memory");
        kafka_free(ks);
    }
    return source;
}
