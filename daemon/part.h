/* One input partition number's pipeline (partition p of every input topic:
 * they are co-partitioned). Records queue here in arrival order and go
 * through one step at a time: load the partition's bookkeeping from Redis
 * (meta and outbox, re-sending what the outbox still holds), then apply
 * steps (apply.c) and week-close steps (sweep.c). Any failure throws the
 * step away and, after a backoff, reloads the bookkeeping and goes on from
 * there: records already applied are skipped by offset, so nothing is
 * applied twice and nothing is lost. */
#ifndef CW_PART_H
#define CW_PART_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "record.h"

typedef struct cw_part cw_part_t;

/* Records, steps in flight and the outbox are bounded through env. */
/* `committed`: the group's committed offset of each input topic at the
 * assignment (-1: none or unknown); Redis must never hold less. */
cw_part_t *cw_part_new(cw_env_t *env, int32_t partition, const int64_t *committed);
/* The partition was revoked: queued records are dropped (the next owner
 * reads them again); the pipeline frees itself once its step in flight ends. */
void cw_part_release(cw_part_t *part);

/* Queues a record (ownership taken). */
void cw_part_push(cw_part_t *part, cw_record_t *record);
/* Starts the next step if there is work and room for it. */
void cw_part_kick(cw_part_t *part);
/* Once a second: idle close (SPEC section 5: a partition silent for
 * idle_close takes the wall clock as its stream time). */
void cw_part_tick(cw_part_t *part, int64_t wall_ms);
/* Reload the bookkeeping before the next step: the Redis connection came
 * back (writes in flight when it dropped may or may not have landed), or an
 * outbox entry could not be published (reloading sends it again). */
void cw_part_invalidate(cw_part_t *part);

/* A step is in flight (a graceful stop waits for it). */
bool cw_part_busy(const cw_part_t *part);
/* Refused: its state is gone from Redis (SPEC section 13). */
bool cw_part_refused(const cw_part_t *part);
/* Next offset to apply for a topic (-1 unknown), for lag metrics. */
int64_t cw_part_next_offset(const cw_part_t *part, int topic_index);
int64_t cw_part_stream_ms(const cw_part_t *part);   /* CW_STREAM_NONE when none */

#endif
