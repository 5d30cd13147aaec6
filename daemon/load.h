/* Loading a partition's bookkeeping from Redis before it applies anything:
 * the partition count its state was first written for (recorded by the
 * first load), this instance's claim on it (made after each assignment),
 * its meta hash, judged against the group's offsets (lib/recovery.c), and
 * its outbox, whose entries are published again unless the partition is
 * not this instance's to work. */
#ifndef CW_LOAD_H
#define CW_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "meta.h"
#include "recovery.h"
#include "step.h"

typedef struct cw_load_result {
    bool ok;                    /* false: Redis did not answer in full (why) */
    const char *why;
    const cw_meta_t *meta;      /* as read; its owner is Redis's */
    cw_recovery_t verdict;
    int32_t other_count;        /* the state was written for this partition count
                                   (not the topics' one now); 0 when it was not */
    size_t resent;              /* outbox entries published again */
} cw_load_result_t;
typedef void (*cw_load_done_fn)(const cw_load_result_t *result, void *arg);

/* Starts loading. `claim`: this instance's claim to write first, or NULL;
 * `owner`: the claim this instance holds ("" when none); `floor`: per input
 * topic, the highest offset the group may have committed. Returns the step
 * (held: see cw_step_go), or NULL when out of memory. */
cw_step_t *cw_load_begin(const cw_env_t *env, int32_t partition, const char *claim,
                         const char *owner, const int64_t *floor, cw_load_done_fn done,
                         void *arg);

#endif
