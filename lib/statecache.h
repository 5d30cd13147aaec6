/* A bounded cache of subscriber states exactly as Redis holds them (key ->
 * encoded bytes), so that a hot subscriber is not read back with MGET at
 * every step. It is only right while its owner is the one writer of what
 * it caches: the daemon puts what its commits wrote, never what it merely
 * read (whose expiry it does not know), and drops a partition's entries
 * whenever that partition may have changed behind its back (a reload, a
 * failed step, a lost claim). Dropping a partition is O(1): its generation
 * moves on, and entries of an older generation are misses, freed as they
 * are met or age out. The least recently used entries go first when the
 * byte budget is reached. */
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

/* The cached bytes of `key` of the partition, borrowed until the next call
 * that changes the cache; false on a miss. Counts a hit or a miss. */
bool cw_statecache_get(cw_statecache_t *cache, int32_t partition, const char *key,
                       size_t key_len, const uint8_t **bytes, size_t *len);
/* Caches (a copy of) what Redis now holds for `key`. An entry larger than
 * an eighth of the budget is not kept. Returns 0, or -1 when out of memory
 * (the key is then not cached). */
int cw_statecache_put(cw_statecache_t *cache, int32_t partition, const char *key,
                      size_t key_len, const uint8_t *bytes, size_t len);
/* Forgets `key` (Redis may drop it: it was given an expiry). */
void cw_statecache_remove(cw_statecache_t *cache, int32_t partition, const char *key,
                          size_t key_len);
/* Forgets every entry of the partition. */
void cw_statecache_drop_partition(cw_statecache_t *cache, int32_t partition);

cw_statecache_stats_t cw_statecache_stats(const cw_statecache_t *cache);

#endif
