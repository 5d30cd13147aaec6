/* The subscribers of a step (see subset.h). */
#include "subset.h"

#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "subcodec.h"

int cw_subset_init(cw_subset_t *set, size_t cap)
{
    memset(set, 0, sizeof *set);
    if (cap == 0)
        cap = 1;
    set->cap = cap;
    set->index_cap = 2 * cap; /* at most half full: short probe runs */
    set->subs = cw_malloc(set->cap * sizeof *set->subs);
    set->index = cw_calloc(set->index_cap, sizeof *set->index);
    if (set->subs == NULL || set->index == NULL) {
        cw_subset_free(set);
        return -1;
    }
    return 0;
}

void cw_subset_free(cw_subset_t *set)
{
    cw_free(set->subs);
    cw_free(set->index);
    memset(set, 0, sizeof *set);
}

int cw_subset_add(cw_subset_t *set, const char *msisdn)
{
    size_t slot = cw_hash64(msisdn, strlen(msisdn), 0) % set->index_cap;
    while (set->index[slot] != 0) {
        int i = set->index[slot] - 1;
        if (strcmp(set->subs[i].msisdn, msisdn) == 0)
            return i;
        slot = (slot + 1) % set->index_cap;
    }
    if (set->count == set->cap)
        return -1;
    cw_subset_entry_t *sub = &set->subs[set->count];
    strcpy(sub->msisdn, msisdn);
    cw_sub_init(&sub->state);
    sub->dirty = false;
    sub->expire = false;
    set->index[slot] = (int32_t)++set->count;
    return (int)set->count - 1;
}

int cw_subset_load(cw_subset_t *set, size_t i, const uint8_t *bytes, size_t len)
{
    return cw_sub_decode(&set->subs[i].state, bytes, len);
}

void cw_subset_drop_before(cw_subset_t *set, int32_t oldest_week, int32_t oldest_month)
{
    if (oldest_week == CW_WEEK_NONE)
        return;
    for (size_t i = 0; i < set->count; i++) {
        if (!set->subs[i].dirty)
            continue;
        cw_sub_drop_before(&set->subs[i].state, oldest_week);
        cw_sub_drop_months_before(&set->subs[i].state, oldest_month);
    }
}
