/* The subscriber state cache (see statecache.h): a chained hash table of
 * entries on one least-recently-used list. */
#include "statecache.h"

#include <string.h>

#include "alloc.h"
#include "hash.h"

/* Partitions above this are not cached (their generations would need a
 * table this large). Kafka topics have far fewer. */
#define MAX_PARTITION 65535
/* What malloc adds to an entry, roughly: counted so that the budget is
 * close to the memory used. */
#define MALLOC_OVERHEAD 16

typedef struct entry {
    struct entry *chain;           /* next in its bucket */
    struct entry *newer, *older;   /* the LRU list */
    uint64_t hash;
    int32_t partition;
    uint32_t generation;           /* the partition's when it was put */
    uint32_t key_len, len;
    unsigned char data[];          /* key, then the state's bytes */
} entry_t;

struct cw_statecache {
    size_t max_bytes, bytes;
    entry_t **buckets;             /* owned; bucket_count a power of two */
    size_t bucket_count, count;
    entry_t *lru;                  /* owned sentinel (an entry without data): lru->older is
                                    * the newest entry */
    uint32_t generations[MAX_PARTITION + 1];
    uint64_t hits, misses;
};

static size_t entry_bytes(size_t key_len, size_t len)
{
    return sizeof(entry_t) + key_len + len + MALLOC_OVERHEAD;
}

cw_statecache_t *cw_statecache_new(size_t max_bytes)
{
    cw_statecache_t *cache = cw_calloc(1, sizeof *cache);
    if (cache == NULL)
        return NULL;
    cache->max_bytes = max_bytes;
    cache->lru = cw_calloc(1, sizeof *cache->lru);
    if (cache->lru == NULL) {
        cw_free(cache);
        return NULL;
    }
    cache->lru->newer = cache->lru->older = cache->lru;
    return cache;
}

static void unlink_lru(entry_t *e)
{
    e->newer->older = e->older;
    e->older->newer = e->newer;
}

/* Makes e the newest entry. */
static void link_newest(cw_statecache_t *cache, entry_t *e)
{
    e->older = cache->lru->older;
    e->newer = cache->lru;
    cache->lru->older->newer = e;
    cache->lru->older = e;
}

/* Unlinks e from its bucket (at *link) and the LRU list, and frees it. */
static void drop(cw_statecache_t *cache, entry_t **link, entry_t *e)
{
    *link = e->chain;
    unlink_lru(e);
    cache->bytes -= entry_bytes(e->key_len, e->len);
    cache->count--;
    cw_free(e);
}

void cw_statecache_free(cw_statecache_t *cache)
{
    if (cache == NULL)
        return;
    entry_t *e = cache->lru->older;
    while (e != cache->lru) {
        entry_t *next = e->older;
        cw_free(e);
        e = next;
    }
    cw_free(cache->buckets);
    cw_free(cache->lru);
    cw_free(cache);
}

/* The link to `key`'s entry in its bucket (the entry is *result), or to the
 * bucket's end (*result NULL). */
static entry_t **find(cw_statecache_t *cache, uint64_t hash, int32_t partition, const char *key,
                      size_t key_len)
{
    entry_t **link = &cache->buckets[hash & (cache->bucket_count - 1)];
    for (; *link != NULL; link = &(*link)->chain) {
        const entry_t *e = *link;
        if (e->hash == hash && e->partition == partition && e->key_len == key_len &&
            memcmp(e->data, key, key_len) == 0)
            break;
    }
    return link;
}

/* The bucket table doubled (or made); false when out of memory. */
static bool grow(cw_statecache_t *cache)
{
    size_t count = cache->bucket_count ? cache->bucket_count * 2 : 1024;
    entry_t **buckets = cw_calloc(count, sizeof *buckets);
    if (buckets == NULL)
        return false;
    for (size_t b = 0; b < cache->bucket_count; b++) {
        entry_t *e = cache->buckets[b];
        while (e != NULL) {
            entry_t *next = e->chain;
            entry_t **head = &buckets[e->hash & (count - 1)];
            e->chain = *head;
            *head = e;
            e = next;
        }
    }
    cache->bytes += (count - cache->bucket_count) * sizeof *buckets;
    cw_free(cache->buckets);
    cache->buckets = buckets;
    cache->bucket_count = count;
    return true;
}

static bool cacheable(const cw_statecache_t *cache, int32_t partition)
{
    return cache->max_bytes > 0 && partition >= 0 && partition <= MAX_PARTITION;
}

bool cw_statecache_get(cw_statecache_t *cache, int32_t partition, const char *key,
                       size_t key_len, const uint8_t **bytes, size_t *len)
{
    if (!cacheable(cache, partition) || cache->count == 0) {
        cache->misses++;
        return false;
    }
    uint64_t hash = cw_hash64(key, key_len, 0);
    entry_t **link = find(cache, hash, partition, key, key_len);
    entry_t *e = *link;
    if (e != NULL && e->generation != cache->generations[partition]) {
        drop(cache, link, e); /* put before its partition was dropped */
        e = NULL;
    }
    if (e == NULL) {
        cache->misses++;
        return false;
    }
    unlink_lru(e);
    link_newest(cache, e);
    cache->hits++;
    *bytes = e->data + e->key_len;
    *len = e->len;
    return true;
}

void cw_statecache_remove(cw_statecache_t *cache, int32_t partition, const char *key,
                          size_t key_len)
{
    if (!cacheable(cache, partition) || cache->count == 0)
        return;
    entry_t **link = find(cache, cw_hash64(key, key_len, 0), partition, key, key_len);
    if (*link != NULL)
        drop(cache, link, *link);
}

/* Frees the oldest entries until the budget holds. */
static void evict(cw_statecache_t *cache)
{
    while (cache->bytes > cache->max_bytes && cache->count > 0) {
        entry_t *oldest = cache->lru->newer;
        drop(cache, find(cache, oldest->hash, oldest->partition, (const char *)oldest->data,
                         oldest->key_len),
             oldest);
    }
}

int cw_statecache_put(cw_statecache_t *cache, int32_t partition, const char *key,
                      size_t key_len, const uint8_t *bytes, size_t len)
{
    if (!cacheable(cache, partition))
        return 0;
    cw_statecache_remove(cache, partition, key, key_len);
    size_t size = entry_bytes(key_len, len);
    if (size > cache->max_bytes / 8)
        return 0; /* one entry must not flush the cache */
    if (cache->count >= cache->bucket_count && !grow(cache))
        return -1;
    entry_t *e = cw_malloc(sizeof *e + key_len + len);
    if (e == NULL)
        return -1;
    uint64_t hash = cw_hash64(key, key_len, 0);
    *e = (entry_t){.hash = hash, .partition = partition,
                   .generation = cache->generations[partition],
                   .key_len = (uint32_t)key_len, .len = (uint32_t)len};
    memcpy(e->data, key, key_len);
    memcpy(e->data + key_len, bytes, len);
    entry_t **head = &cache->buckets[hash & (cache->bucket_count - 1)];
    e->chain = *head;
    *head = e;
    link_newest(cache, e);
    cache->count++;
    cache->bytes += size;
    evict(cache);
    return 0;
}

void cw_statecache_drop_partition(cw_statecache_t *cache, int32_t partition)
{
    if (partition >= 0 && partition <= MAX_PARTITION)
        cache->generations[partition]++;
}

cw_statecache_stats_t cw_statecache_stats(const cw_statecache_t *cache)
{
    return (cw_statecache_stats_t){cache->hits, cache->misses, cache->count, cache->bytes};
}
