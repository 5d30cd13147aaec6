/* The apply step: a prefix of a partition's queued records is parsed, its
 * subscribers' states loaded, the records applied and evaluated
 * (lib/batch.c decides), and the result committed to Redis in one fenced
 * script with its alerts, dead letters and new offsets. Only then are the
 * offsets stored for the Kafka commit and the outbox entries published. */
#ifndef CW_APPLY_H
#define CW_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "meta.h"
#include "period.h"
#include "record.h"
#include "step.h"

/* How a step of the partition pipeline ended. */
typedef struct cw_step_result {
    bool ok;
    const char *why;           /* when not ok */
    bool claimed_elsewhere;    /* not ok: another instance claimed the partition */
    size_t records_done;       /* queued records it took care of (a prefix) */
    const cw_meta_t *meta;     /* when ok: the meta as Redis now holds it */
    /* a close: its period, the subscribers evaluated and the alerts or score
     * records of this step, and the week or month it closed (CW_WEEK_NONE
     * when it did not close one) */
    cw_period_t period;
    size_t evaluated, published;
    int32_t closed;
} cw_step_result_t;
typedef void (*cw_step_done_fn)(const cw_step_result_t *result, void *arg);

/* Starts applying up to `count` records (borrowed until `done` is called)
 * from the partition's `meta`. Returns the step (for cw_step_abandon), or
 * NULL when out of memory (then `done` is never called). */
cw_step_t *cw_apply_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          const cw_record_t *const *records, size_t count,
                          cw_step_done_fn done, void *arg);

#endif
