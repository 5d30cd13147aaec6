/* The Kafka consumer-group member for the input topics. librdkafka's threads
 * fetch; the event loop is woken through the queue's io event and drains it in
 * batches while the daemon has room (backpressure = not draining). Offsets
 * are stored only when the daemon says a record is safely applied; librdkafka
 * commits stored offsets every 250 ms. */
#ifndef CW_CONSUMER_H
#define CW_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "errlist.h"
#include "metrics.h"
#include "record.h"

struct event_base;
typedef struct cw_consumer cw_consumer_t;

typedef struct cw_consumer_handlers {
    /* partition numbers gained / lost (each number once, whatever the topic
     * count: the input topics are co-partitioned); `committed` holds, per
     * gained partition, the group's committed offset of each input topic
     * (CW_MAX_INPUT_TOPICS per partition; -1 for none or unknown) */
    void (*assigned)(const int32_t *partitions, int count, const int64_t *committed,
                     void *arg);
    void (*revoked)(const int32_t *partitions, int count, void *arg);
    /* one record, copied out of librdkafka; ownership passes to the
     * handler (cw_free when done) */
    void (*record)(cw_record_t *record, void *arg);
    /* true while the daemon cannot take more records */
    bool (*full)(void *arg);
    void *arg;
} cw_consumer_handlers_t;

/* Connects, checks that the input topics exist and have equal partition
 * counts (waiting up to wait_ms for them to appear), subscribes. NULL with
 * the reason in errs. */
cw_consumer_t *cw_consumer_new(struct event_base *base, const cw_config_t *config,
                               const cw_consumer_handlers_t *handlers, cw_metrics_t *metrics,
                               int wait_ms, cw_errlist_t *errs);
/* Commits stored offsets and leaves the group (waiting at most 10 s for the
 * broker), then frees. */
void cw_consumer_free(cw_consumer_t *consumer);

/* Drains queued records now (call when room frees up after being full). */
void cw_consumer_drain(cw_consumer_t *consumer);
/* Marks everything below `next_offset` of a topic partition as processed. */
void cw_consumer_store_offset(cw_consumer_t *consumer, int topic_index, int32_t partition,
                              int64_t next_offset);
/* Moves the consumer of a topic partition back (or forward) to `offset`;
 * records fetched before are never delivered after this returns. Blocks up
 * to a second or two: for the rare rollback of Redis. Returns 0 or -1. */
int cw_consumer_seek(cw_consumer_t *consumer, int topic_index, int32_t partition,
                     int64_t offset);
/* Stops (true) or restarts fetching partition p of every input topic. */
void cw_consumer_pause(cw_consumer_t *consumer, int32_t partition, bool pause);
/* Why the consumer is not consuming as a member of its group (not joined
 * yet, rebalancing, dropped by the group: its partitions lost, or
 * max.poll.interval.ms passed), into buf; false when it is. */
bool cw_consumer_trouble(const cw_consumer_t *consumer, char *buf, size_t size);
/* This member's id in the group ("" before it joined), into buf. */
void cw_consumer_member_id(const cw_consumer_t *consumer, char *buf, size_t size);

/* The partition count shared by the input topics. */
int32_t cw_consumer_partition_count(const cw_consumer_t *consumer);
/* The broker's high watermark as last seen by fetches; -1 when unknown. */
int64_t cw_consumer_high_watermark(cw_consumer_t *consumer, int topic_index, int32_t partition);

#endif
