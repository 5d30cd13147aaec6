/* The partitions this instance owns, by number: what the consumer group
 * assigns and revokes, where each record goes, a fair round of the
 * pipelines when a step slot frees up, the once-a-second tick, and the
 * per-partition figures (consumer lag, stream time) for STATUS and
 * /metrics. */
#ifndef CW_PARTS_H
#define CW_PARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "record.h"

struct evbuffer;
typedef struct cw_parts cw_parts_t;

cw_parts_t *cw_parts_new(cw_env_t *env, int32_t partition_count);
/* Releases every partition still owned, then frees. */
void cw_parts_free(cw_parts_t *parts);

/* `committed`: the group's committed offsets, CW_MAX_INPUT_TOPICS per
 * partition (see cw_consumer_handlers_t). */
void cw_parts_assign(cw_parts_t *parts, const int32_t *partitions, int count,
                     const int64_t *committed);
void cw_parts_revoke(cw_parts_t *parts, const int32_t *partitions, int count);
/* Queues a record on its partition (ownership taken); false when the
 * partition is not owned (fetched before a revoke; the record is freed). */
bool cw_parts_push(cw_parts_t *parts, cw_record_t *record);

/* A round of every partition, from a moving start so that none starves,
 * while step slots last. */
void cw_parts_kick(cw_parts_t *parts);
void cw_parts_tick(cw_parts_t *parts, int64_t wall_ms);
/* Reload one partition's bookkeeping before its next step (-1: all). */
void cw_parts_invalidate(cw_parts_t *parts, int32_t partition);
/* The partition is owned by this instance. */
bool cw_parts_owns(const cw_parts_t *parts, int32_t partition);
/* One past the highest partition number known. */
int32_t cw_parts_count(const cw_parts_t *parts);
/* A step is in flight somewhere. */
bool cw_parts_busy(const cw_parts_t *parts);
/* The partitions refused because their state is gone from Redis, as
 * "3, 7" into buf; false when there is none. */
bool cw_parts_refused(const cw_parts_t *parts, char *buf, size_t size);

/* Records on the broker not yet applied, over every owned partition. */
int64_t cw_parts_lag(const cw_parts_t *parts);
/* cdrwarn_consumer_lag and cdrwarn_stream_time_seconds. */
void cw_parts_render(const cw_parts_t *parts, struct evbuffer *out);

#endif
