/* One input partition number's pipeline (partition p of every input topic:
 * they are co-partitioned). Records queue here in arrival order and are
 * applied in steps: load the subscribers' states, apply and evaluate in
 * memory, send bad records to the DLQ, then commit states, alerts and the new
 * offsets to Redis in one fenced atomic script. Only then are the records'
 * offsets stored for Kafka and the alerts published. Any failure throws the
 * step away and, after a backoff, reloads the partition's bookkeeping from
 * Redis and goes on from there: records already applied are skipped by
 * offset, so nothing is applied twice and nothing is lost. */
#ifndef CW_PART_H
#define CW_PART_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "daemon.h"
#include "record.h"

cw_part_t *cw_part_new(cw_daemon_t *daemon, int32_t partition);
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
/* The Redis connection was re-established: reload bookkeeping before the
 * next step (writes in flight when it dropped may or may not have landed). */
void cw_part_invalidate(cw_part_t *part);

bool cw_part_idle(const cw_part_t *part);
/* A step is in flight (a graceful stop waits for it). */
bool cw_part_busy(const cw_part_t *part);
/* Next offset to apply for a topic (-1 unknown), for lag metrics. */
int64_t cw_part_next_offset(const cw_part_t *part, int topic_index);
int64_t cw_part_stream_ms(const cw_part_t *part);   /* INT64_MIN when none */
int32_t cw_part_number(const cw_part_t *part);

#endif
