/* Exponential backoff between retries: the first wait is `min_ms`, each
 * failure doubles it up to `max_ms`, a success starts over. */
#ifndef CW_BACKOFF_H
#define CW_BACKOFF_H

#include <stdint.h>

typedef struct cw_backoff {
    int64_t min_ms, max_ms;
    int64_t next_ms;   /* the wait before the next retry */
} cw_backoff_t;

static inline void cw_backoff_init(cw_backoff_t *backoff, int64_t min_ms, int64_t max_ms)
{
    backoff->min_ms = min_ms;
    backoff->max_ms = max_ms;
    backoff->next_ms = min_ms;
}

/* The wait to use now; the one after will be twice as long (up to max). */
static inline int64_t cw_backoff_take(cw_backoff_t *backoff)
{
    int64_t wait = backoff->next_ms;
    backoff->next_ms = wait * 2 > backoff->max_ms ? backoff->max_ms : wait * 2;
    return wait;
}

static inline void cw_backoff_reset(cw_backoff_t *backoff)
{
    backoff->next_ms = backoff->min_ms;
}

#endif
