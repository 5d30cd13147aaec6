/* Consumer-group member for the input topics, driven by the event loop. */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "kafka_conf.h"
#include "kafka_log.h"
#include "log.h"
#include "sha256.h"
#include "wakepipe.h"

#define DRAIN_BATCH 1000
#define CLOSE_TIMEOUT_MS 10000

struct cw_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    const cw_config_t *config;   /* borrowed: topic names (kept across reloads) */
    char **topics;               /* owned copies, in input_topics order */
    size_t topic_count;
    int32_t partition_count;
    cw_consumer_handlers_t handlers;
    cw_metrics_t *metrics;
    cw_wakepipe_t wake;
    cw_kafka_log_t log;
    bool joined;                 /* holds an assignment */
    char left[160];              /* why the group dropped this member; "" when it did not */
    rd_kafka_message_t *batch[DRAIN_BATCH];
};

static int topic_index_of(const cw_consumer_t *consumer, const char *name)
{
    for (size_t i = 0; i < consumer->topic_count; i++)
        if (strcmp(consumer->topics[i], name) == 0)
            return (int)i;
    return -1;
}

/* The distinct partition numbers of a list, for the daemon's per-partition
 * state: partition p of every input topic belongs to the same owner. */
static int distinct_partitions(const rd_kafka_topic_partition_list_t *list, int32_t *out)
{
    int count = 0;
    for (int i = 0; i < list->cnt; i++) {
        int32_t p = list->elems[i].partition;
        int seen = 0;
        for (int j = 0; j < count && !seen; j++)
            seen = out[j] == p;
        if (!seen)
            out[count++] = p;
    }
    return count;
}

/* The group's committed offsets of the assigned partitions, per partition
 * number and topic (-1: none, or not known within the timeout). A
 * rebalance is the one moment the coordinator is known to be reachable. */
static void committed_offsets(cw_consumer_t *consumer, rd_kafka_topic_partition_list_t *list,
                              const int32_t *partitions, int count, int64_t *out)
{
    for (int i = 0; i < count * CW_MAX_INPUT_TOPICS; i++)
        out[i] = -1;
    rd_kafka_topic_partition_list_t *query = rd_kafka_topic_partition_list_copy(list);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer->rk, query, 5000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cw_log(LOG_WARNING, "kafka: the group's committed offsets are not known (%s); a Redis "
                            "rollback or lost state before this assignment goes unnoticed",
               rd_kafka_err2str(err));
    } else {
        for (int e = 0; e < query->cnt; e++) {
            const rd_kafka_topic_partition_t *tp = &query->elems[e];
            int t = topic_index_of(consumer, tp->topic);
            for (int i = 0; i < count && t >= 0; i++)
                if (partitions[i] == tp->partition && tp->err == 0 && tp->offset >= 0)
                    out[i * CW_MAX_INPUT_TOPICS + t] = tp->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(query);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque)
{
    cw_consumer_t *consumer = opaque;
    int32_t *partitions = cw_calloc((size_t)list->cnt + 1, sizeof *partitions);
    int64_t *committed =
        cw_calloc(((size_t)list->cnt + 1) * CW_MAX_INPUT_TOPICS, sizeof *committed);
    if (partitions == NULL || committed == NULL)
        cw_log_fatal("out of memory in a rebalance; exiting so that the group reassigns");
    int count = distinct_partitions(list, partitions);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        cw_log(LOG_INFO, "kafka: assigned %d partition number(s) of %zu topic(s)", count,
               consumer->topic_count);
        committed_offsets(consumer, list, partitions, count, committed);
        rd_kafka_assign(rk, list);
        consumer->joined = true;
        consumer->left[0] = '\0';
        consumer->metrics->consumer_joined = 1;
        consumer->handlers.assigned(partitions, count, committed, consumer->handlers.arg);
    } else {
        bool lost = rd_kafka_assignment_lost(rk);
        cw_log(lost ? LOG_WARNING : LOG_INFO, "kafka: revoked %d partition number(s)%s", count,
               lost ? " (lost: the group went on without this member)" : "");
        if (lost)
            snprintf(consumer->left, sizeof consumer->left,
                     "consumer left its group: the group went on without it (its partitions "
                     "were lost); rejoining");
        consumer->handlers.revoked(partitions, count, consumer->handlers.arg);
        rd_kafka_assign(rk, NULL);
        consumer->joined = false;
        consumer->metrics->consumer_joined = 0;
    }
    cw_free(committed);
    cw_free(partitions);
}

/* The group went on without this member (it did not poll in time): not a
 * member again until the next assignment. */
static void left_group(cw_consumer_t *consumer, const char *why)
{
    snprintf(consumer->left, sizeof consumer->left, "consumer left its group: %s", why);
    consumer->joined = false;
    consumer->metrics->consumer_joined = 0;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    cw_consumer_t *consumer = opaque;
    cw_log(LOG_WARNING, "kafka consumer: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
           reason);
    if (err == RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED)
        left_group(consumer, reason);
}

/* A value too large for an event is held as its first CW_RECORD_VALUE_KEPT
 * bytes and its digest: it can only be a too_large dead letter, and a flood
 * of them must not fill memory (SPEC section 8). */
static cw_record_t *copy_record(const rd_kafka_message_t *msg, int topic_index)
{
    size_t key_len = msg->key ? msg->key_len : 0;
    cw_record_t *record = cw_malloc(sizeof *record + cw_record_data_size(key_len, msg->len));
    if (record == NULL)
        return NULL;
    record->offset = msg->offset;
    record->partition = msg->partition;
    record->topic = topic_index;
    record->has_key = msg->key != NULL;
    record->key_len = key_len;
    record->value_bytes = msg->len;
    record->value_len = msg->len > CW_RECORD_VALUE_KEPT ? CW_RECORD_VALUE_KEPT : msg->len;
    if (key_len)
        memcpy(record->data, msg->key, key_len);
    if (record->value_len)
        memcpy(record->data + key_len, msg->payload, record->value_len);
    if (record->value_bytes > record->value_len) {
        char digest[CW_SHA256_HEX_SIZE];
        cw_sha256_hex(msg->payload, msg->len, digest);
        memcpy(record->data + key_len + record->value_len, digest, CW_RECORD_SHA256_HEX);
    }
    return record;
}

void cw_consumer_drain(cw_consumer_t *consumer)
{
    while (!consumer->handlers.full(consumer->handlers.arg)) {
        ssize_t n = rd_kafka_consume_batch_queue(consumer->queue, 0, consumer->batch, DRAIN_BATCH);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *msg = consumer->batch[i];
            if (msg->err) {
                if (msg->err == RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED)
                    left_group(consumer, rd_kafka_message_errstr(msg));
                if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    cw_log(LOG_WARNING, "kafka consumer: %s",
                           rd_kafka_message_errstr(msg));
                rd_kafka_message_destroy(msg);
                continue;
            }
            int index = topic_index_of(consumer, rd_kafka_topic_name(msg->rkt));
            if (index < 0) {
                rd_kafka_message_destroy(msg);
                continue;
            }
            consumer->metrics->records_consumed++;
            cw_record_t *record = copy_record(msg, index);
            int32_t partition = msg->partition;
            rd_kafka_message_destroy(msg);
            if (record == NULL)
                cw_log_fatal("out of memory copying a record of partition %d; exiting so "
                             "that it is read again after the restart",
                             (int)partition);
            consumer->handlers.record(record, consumer->handlers.arg);
        }
    }
}

static void serve(void *arg)
{
    cw_consumer_drain(arg);
}

/* Fetches metadata until every input topic exists, then compares partition
 * counts: the co-partitioning the SPEC requires (section 3). */
static int check_topics(cw_consumer_t *consumer, int wait_ms, cw_errlist_t *errs)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char missing[256] = "";
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(consumer->rk, 1, NULL, &md, 5000);
        missing[0] = '\0';
        int counts[CW_MAX_INPUT_TOPICS] = {0};
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (size_t i = 0; i < consumer->topic_count; i++) {
                counts[i] = -1;
                for (int t = 0; t < md->topic_cnt; t++)
                    if (strcmp(md->topics[t].topic, consumer->topics[i]) == 0 &&
                        md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                        counts[i] = md->topics[t].partition_cnt;
                if (counts[i] <= 0)
                    snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                             missing[0] ? ", " : "", consumer->topics[i]);
            }
            rd_kafka_metadata_destroy(md);
        } else {
            snprintf(missing, sizeof missing, "(no metadata: %s)", rd_kafka_err2str(err));
        }
        if (missing[0] == '\0') {
            for (size_t i = 1; i < consumer->topic_count; i++) {
                if (counts[i] != counts[0]) {
                    cw_errlist_add(errs,
                                   "input topics are not co-partitioned: %s has %d partitions "
                                   "but %s has %d; every input topic must have the same "
                                   "partition count (SPEC section 3)",
                                   consumer->topics[0], counts[0], consumer->topics[i],
                                   counts[i]);
                    return -1;
                }
            }
            consumer->partition_count = counts[0];
            return 0;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited >= wait_ms) {
            cw_errlist_add(errs, "input topics not available from %s after %d s: %s",
                           consumer->config->brokers, wait_ms / 1000, missing);
            return -1;
        }
        cw_log(LOG_NOTICE, "kafka: waiting for input topics: %s", missing);
        usleep(500 * 1000);
    }
}

cw_consumer_t *cw_consumer_new(struct event_base *base, const cw_config_t *config,
                               const cw_consumer_handlers_t *handlers, cw_metrics_t *metrics,
                               int wait_ms, cw_errlist_t *errs)
{
    cw_consumer_t *consumer = cw_calloc(1, sizeof *consumer);
    if (consumer == NULL)
        return NULL;
    consumer->config = config;
    consumer->handlers = *handlers;
    consumer->metrics = metrics;
    consumer->topics = cw_calloc(config->input_topic_count, sizeof(char *));
    if (consumer->topics == NULL)
        goto fail;
    for (size_t i = 0; i < config->input_topic_count; i++) {
        consumer->topics[i] = cw_strdup(config->input_topics[i]);
        if (consumer->topics[i] == NULL)
            goto fail;
        consumer->topic_count++;
    }

    /* defaults an operator may override with property.*; the prefetch queue
     * is kept small because records wait in the daemon's own queues */
    static const char *const defaults[] = {"queued.max.messages.kbytes", "16384",
                                           "auto.offset.reset", "earliest",
                                           "client.id", "cdrwarnd",
                                           NULL};
    rd_kafka_conf_t *conf = cw_kafka_conf_new(config, defaults, errs);
    if (conf == NULL)
        goto fail;
    /* what exactly-once and co-partitioning rest on: not overridable. The
     * range assignor gives partition p of every input topic to one member. */
    cw_kafka_conf_set(conf, "group.id", config->group_id, errs);
    cw_kafka_conf_set(conf, "partition.assignment.strategy", "range", errs);
    cw_kafka_conf_set(conf, "enable.auto.offset.store", "false", errs);
    cw_kafka_conf_set(conf, "enable.auto.commit", "true", errs);
    cw_kafka_conf_set(conf, "auto.commit.interval.ms", "250", errs);
    cw_kafka_conf_set(conf, "enable.partition.eof", "false", errs);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, consumer);

    char errstr[512];
    consumer->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (consumer->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        cw_errlist_add(errs, "kafka consumer: %s", errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(consumer->rk);
    if (cw_kafka_log_start(&consumer->log, consumer->rk, base, errs) != 0)
        goto fail;
    if (check_topics(consumer, wait_ms, errs) != 0)
        goto fail;

    rd_kafka_topic_partition_list_t *subscription =
        rd_kafka_topic_partition_list_new((int)consumer->topic_count);
    for (size_t i = 0; i < consumer->topic_count; i++)
        rd_kafka_topic_partition_list_add(subscription, consumer->topics[i],
                                          RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer->rk, subscription);
    rd_kafka_topic_partition_list_destroy(subscription);
    if (err) {
        cw_errlist_add(errs, "kafka: cannot subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }

    consumer->queue = rd_kafka_queue_get_consumer(consumer->rk);
    if (cw_wakepipe_start(&consumer->wake, base, consumer->queue, 100, serve, consumer,
                          "kafka consumer", errs) != 0)
        goto fail;
    return consumer;
fail:
    cw_consumer_free(consumer);
    return NULL;
}

void cw_consumer_store_offset(cw_consumer_t *consumer, int topic_index, int32_t partition,
                              int64_t next_offset)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, consumer->topics[topic_index], partition)->offset =
        next_offset;
    /* fails harmlessly for a partition no longer assigned */
    rd_kafka_offsets_store(consumer->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

int cw_consumer_seek(cw_consumer_t *consumer, int topic_index, int32_t partition,
                     int64_t offset)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, consumer->topics[topic_index], partition)->offset =
        offset;
    rd_kafka_error_t *error = rd_kafka_seek_partitions(consumer->rk, list, 2000);
    int rc = 0;
    if (error != NULL || list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cw_log(LOG_ERR, "kafka: cannot move %s [%d] to offset %lld: %s",
               consumer->topics[topic_index], (int)partition, (long long)offset,
               error ? rd_kafka_error_string(error) : rd_kafka_err2str(list->elems[0].err));
        rc = -1;
    }
    if (error != NULL)
        rd_kafka_error_destroy(error);
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

void cw_consumer_pause(cw_consumer_t *consumer, int32_t partition, bool pause)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)consumer->topic_count);
    for (size_t t = 0; t < consumer->topic_count; t++)
        rd_kafka_topic_partition_list_add(list, consumer->topics[t], partition);
    /* fails harmlessly for a partition no longer assigned */
    if (pause)
        rd_kafka_pause_partitions(consumer->rk, list);
    else
        rd_kafka_resume_partitions(consumer->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

bool cw_consumer_trouble(const cw_consumer_t *consumer, char *buf, size_t size)
{
    if (consumer->left[0] != '\0' && !consumer->joined)
        snprintf(buf, size, "%s", consumer->left);
    else if (!consumer->joined)
        snprintf(buf, size, "consumer has not joined its group");
    else
        return false;
    return true;
}

void cw_consumer_member_id(const cw_consumer_t *consumer, char *buf, size_t size)
{
    char *id = rd_kafka_memberid(consumer->rk);
    snprintf(buf, size, "%s", id ? id : "");
    if (id != NULL)
        rd_kafka_mem_free(consumer->rk, id);
}

int32_t cw_consumer_partition_count(const cw_consumer_t *consumer)
{
    return consumer->partition_count;
}

int64_t cw_consumer_high_watermark(cw_consumer_t *consumer, int topic_index, int32_t partition)
{
    int64_t low, high;
    if (rd_kafka_get_watermark_offsets(consumer->rk, consumer->topics[topic_index], partition,
                                       &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    return high;
}

/* Leaves the group and commits stored offsets, but never waits longer than
 * timeout_ms: with the broker down rd_kafka_consumer_close() would wait for
 * ever, and a stop must be bounded. Offsets not committed here are only
 * replays later: Redis holds what was applied. */
static void close_bounded(cw_consumer_t *consumer, int timeout_ms)
{
    rd_kafka_queue_t *queue = rd_kafka_queue_new(consumer->rk);
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(consumer->rk, queue);
    if (error != NULL) {
        cw_log(LOG_WARNING, "kafka: closing the consumer: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else {
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
            rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 100);
            if (event != NULL && rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE)
                on_rebalance(consumer->rk, rd_kafka_event_error(event),
                             rd_kafka_event_topic_partition_list(event), consumer);
            if (event != NULL)
                rd_kafka_event_destroy(event);
            if (rd_kafka_consumer_closed(consumer->rk))
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
                timeout_ms) {
                cw_log(LOG_WARNING, "kafka: the consumer did not close within %d s (broker "
                                    "unreachable?); leaving without it", timeout_ms / 1000);
                break;
            }
        }
    }
    rd_kafka_queue_destroy(queue);
}

void cw_consumer_free(cw_consumer_t *consumer)
{
    if (consumer == NULL)
        return;
    cw_wakepipe_stop(&consumer->wake);
    if (consumer->queue)
        rd_kafka_queue_destroy(consumer->queue);
    if (consumer->rk) {
        close_bounded(consumer, CLOSE_TIMEOUT_MS);
        cw_kafka_log_stop(&consumer->log);
        rd_kafka_destroy_flags(consumer->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    for (size_t i = 0; i < consumer->topic_count; i++)
        cw_free(consumer->topics[i]);
    cw_free(consumer->topics);
    cw_free(consumer);
}
