/* A bounded cache of subscriber states exactly as Redis holds them (key ->
 * encoded bytes), so that a hot subscriber is not read back with MGET at
 * every step. It is only right while its owner is the one writer of what
 * it caches: the daemon puts what its commits wrote, never what it merely
 * read (whose expiry it does not know), and drops a partition's entries
 * whenever that partition may have changed behind its back (a reload, a
 * failed step, a lost claim). Dropping a partition is O(1): its generation
 * moves on, and entries of an older generation are misses, freed as they
 * are met or age out. When the byte budget is reached, entries not used
 * lately go first (a clock: each gets a second chance after its last use). */
#ifndef CW_STATECACHE_H
#define CW_STATECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_statecache cw_statecache_t;

typedef struct cw_statecache_stats {
    uint64_t hits, misses;
    uint64_t entries;
    uint64_t bytes;            /* counted against the budget (entries and their index) */
} cw_statecache_stats_t;

/* A cache of at most max_bytes; NULL when out of memory. max_bytes 0 gives
 * a cache that holds nothing (every lookup a miss). */
cw_statecache_t *cw_statecache_new(size_t max_bytes);
void cw_statecache_free(cw_statecache_t *cache);

/* A key of a partition, with the state bytes it maps to. */
typedef struct cw_statecache_item {
    const char *key;
    size_t key_len;
    const uint8_t *bytes;      /* get: the cached bytes, NULL on a miss; put: what to cache */
    size_t len;
} cw_statecache_item_t;

/* Looks up the n keys of the partition together (their memory is fetched
 * in parallel: a step's lookups are bound by cache misses, not
 * instructions). A hit's bytes are borrowed until the next put, remove or
 * free. Counts the hits and misses. */
void cw_statecache_get_many(cw_statecache_t *cache, int32_t partition,
                            cw_statecache_item_t *items, size_t n);
/* Caches (a copy of) what Redis now holds for each key. An entry larger
 * than an eighth of the budget is not kept. Returns 0, or -1 when out of
 * memory (some keys are then not cached). */
int cw_statecache_put_many(cw_statecache_t *cache, int32_t partition,
                           const cw_statecache_item_t *items, size_t n);
/* Forgets `key` (Redis may drop it: it was given an expiry). */
void cw_statecache_remove(cw_statecache_t *cache, int32_t partition, const char *key,
                          size_t key_len);
/* Forgets every entry of the partition. */
void cw_statecache_drop_partition(cw_statecache_t *cache, int32_t partition);

cw_statecache_stats_t cw_statecache_stats(const cw_statecache_t *cache);

#endif
