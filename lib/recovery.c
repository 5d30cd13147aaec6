/* Judging a partition's bookkeeping read back from Redis (see recovery.h). */
#include "recovery.h"

#include <string.h>

void cw_recovery_judge(const cw_meta_t *stored, const int64_t *floor, size_t topic_count,
                       const char *owner, cw_recovery_t *out)
{
    out->state = CW_REDIS_INTACT;
    out->replayed = 0;
    bool committed_any = false, rolled_back = false;
    for (size_t t = 0; t < CW_MAX_INPUT_TOPICS; t++)
        out->rewind_to[t] = CW_REWIND_NONE;
    for (size_t t = 0; t < topic_count; t++) {
        /* offset 0 committed means nothing was consumed */
        if (floor[t] <= 0)
            continue;
        committed_any = true;
        int64_t next = stored->next_offset[t];
        if (next >= floor[t])
            continue;
        rolled_back = true;
        out->rewind_to[t] = next >= 0 ? next : CW_REWIND_START;
        out->replayed += floor[t] - (next >= 0 ? next : 0);
    }
    if (!cw_meta_written(stored, topic_count) && committed_any) {
        out->state = CW_REDIS_LOST;
    } else if (stored->owner[0] == '\0' && owner[0] != '\0') {
        out->state = CW_REDIS_UNCLAIMED;
    } else if (strcmp(stored->owner, owner) != 0) {
        /* a rollback can bring back an older claim: the group's offsets say
         * this instance wrote since, so it claims again */
        out->state = rolled_back ? CW_REDIS_UNCLAIMED : CW_REDIS_CLAIMED_ELSEWHERE;
    } else if (rolled_back) {
        out->state = CW_REDIS_ROLLED_BACK;
    }
    if (out->state != CW_REDIS_ROLLED_BACK) {
        out->replayed = 0;
        for (size_t t = 0; t < CW_MAX_INPUT_TOPICS; t++)
            out->rewind_to[t] = CW_REWIND_NONE;
    }
}
