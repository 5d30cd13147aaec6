/* What a partition's bookkeeping, read back from Redis, says about Redis
 * (SPEC section 13): intact; rolled back (it holds less than the consumer
 * group committed, which the daemon stores only after Redis applied it: a
 * restore, a lagging replica promoted, a host crash with `everysec`), so the
 * consumer must go back to Redis's offsets; gone altogether while the group
 * has committed offsets (FLUSHALL, eviction, a new empty server), so the
 * partition must be refused; or claimed by another instance since this one
 * claimed it (a stale owner), so this one must stop working it. */
#ifndef CW_RECOVERY_H
#define CW_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"

typedef enum {
    CW_REDIS_INTACT = 0,
    CW_REDIS_ROLLED_BACK,    /* rewind the topics in rewind_to */
    CW_REDIS_LOST,           /* refuse the partition */
    CW_REDIS_UNCLAIMED,      /* nobody's claim is there (lost with a rollback, or
                                written before claims existed): claim it again */
    CW_REDIS_CLAIMED_ELSEWHERE,
} cw_redis_state_t;

#define CW_REWIND_NONE (-2)   /* the topic needs no rewind */
#define CW_REWIND_START (-1)  /* back to the topic's first record */

typedef struct cw_recovery {
    cw_redis_state_t state;
    int64_t rewind_to[CW_MAX_INPUT_TOPICS]; /* per topic: an offset, or the two above */
    int64_t replayed;        /* records to apply again (those below the group's
                                offsets that Redis lost), where known */
} cw_recovery_t;

/* Judges the meta read back (`stored`) against `floor` (per topic: the
 * highest offset the group may have committed for this partition, from the
 * assignment's committed offsets and the offsets stored since; -1 when
 * none) and this instance's claim `owner` ("" when it holds none). */
void cw_recovery_judge(const cw_meta_t *stored, const int64_t *floor, size_t topic_count,
                       const char *owner, cw_recovery_t *out);

#endif
