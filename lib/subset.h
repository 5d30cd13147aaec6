/* The subscribers one step touches: their states, loaded from Redis by the
 * caller, indexed by number (open addressing), and whether the step changed
 * them. Sized once, up front, so a step's memory is known before it starts. */
#ifndef CW_SUBSET_H
#define CW_SUBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "meta.h"

typedef struct cw_subset_entry {
    char msisdn[CW_NUMBER_SIZE];
    cw_sub_t state;
    bool dirty;                 /* changed: to be written */
    /* to be given an expiry: no later week close will visit it (it is on no
     * seen list still to be read), so nothing else would ever remove it */
    bool expire;
} cw_subset_entry_t;

typedef struct cw_subset {
    cw_subset_entry_t *subs;    /* owned */
    size_t count, cap;
    int32_t *index;             /* owned; sub index + 1, 0 = empty slot */
    size_t index_cap;
} cw_subset_t;

/* Room for at most `cap` subscribers (at least one). Returns 0 or -1 (out of
 * memory). */
int cw_subset_init(cw_subset_t *set, size_t cap);
void cw_subset_free(cw_subset_t *set);

/* The index of the subscriber, added with a fresh state when new; -1 when
 * the set is full. */
int cw_subset_add(cw_subset_t *set, const char *msisdn);

/* Reads subscriber i's stored state (len bytes; none = a new subscriber).
 * Returns 0, or -1 when the bytes are not a valid state (it is then fresh). */
int cw_subset_load(cw_subset_t *set, size_t i, const uint8_t *bytes, size_t len);

/* Drops, from every changed state, the weeks and months older than these
 * (CW_WEEK_NONE: none dropped), before the states are written. */
void cw_subset_drop_before(cw_subset_t *set, int32_t oldest_week, int32_t oldest_month);

#endif
