/* The subscriber state cache (see statecache.h): an open-addressing table
 * (linear probing, at most 70 % full) of 16-byte slots that hold what a
 * probe and the eviction clock need (32 bits of the hash, the partition, a
 * "used" bit), each pointing at its entry: generation, key and bytes. A
 * lookup touches one slot run and the entry it finds, and a step's lookups
 * fetch their memory together; a hot subscriber's new state overwrites its
 * entry in place when it fits, so most puts allocate nothing. */
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
#define FIRST_SLOTS 16
/* Lookups and puts done together, their memory fetched in parallel. */
#define CHUNK 32
/* How far ahead of the eviction clock's hand entries are fetched. */
#define EVICT_AHEAD 8

typedef struct entry {
    uint32_t generation;           /* the partition's when it was put */
    uint32_t key_len, len;
    uint32_t room;                 /* bytes data[] can hold */
    unsigned char data[];          /* key, then the state's bytes */
} entry_t;

typedef struct slot {
    entry_t *entry;                /* owned; NULL: the slot is free */
    uint32_t hash;                 /* the key's hash, low bits (its home slot's) */
    uint16_t partition;
    bool used;                     /* read or put since the clock hand last passed */
} slot_t;

struct cw_statecache {
    size_t max_bytes, bytes;
    slot_t *slots;                 /* owned; slot_count a power of two */
    size_t slot_count, count;
    size_t hand;                   /* the eviction clock's next slot */
    uint32_t generations[MAX_PARTITION + 1];
    uint64_t hits, misses;
};

static size_t entry_bytes(const entry_t *e)
{
    return sizeof *e + e->room + MALLOC_OVERHEAD;
}

cw_statecache_t *cw_statecache_new(size_t max_bytes)
{
    cw_statecache_t *cache = cw_calloc(1, sizeof *cache);
    if (cache != NULL)
        cache->max_bytes = max_bytes;
    return cache;
}

void cw_statecache_free(cw_statecache_t *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < cache->slot_count; i++)
        cw_free(cache->slots[i].entry);
    cw_free(cache->slots);
    cw_free(cache);
}

/* Tables have at most 2^32 slots: 32 bits of the hash place a key. */
static size_t home(const cw_statecache_t *cache, uint32_t hash)
{
    return (size_t)hash & (cache->slot_count - 1);
}

/* The slot holding `key` of the partition, or the free slot that ends its
 * probe run. The table must have slots. */
static size_t find(const cw_statecache_t *cache, uint32_t hash, int32_t partition,
                   const char *key, size_t key_len)
{
    size_t mask = cache->slot_count - 1;
    for (size_t i = home(cache, hash);; i = (i + 1) & mask) {
        const slot_t *s = &cache->slots[i];
        if (s->entry == NULL ||
            (s->hash == hash && s->partition == partition && s->entry->key_len == key_len &&
             memcmp(s->entry->data, key, key_len) == 0))
            return i;
    }
}

/* Frees slot i's entry and closes the gap (backward shift: every later
 * entry of the run that may sit earlier moves up), so that probe runs
 * need no tombstones. */
static void drop(cw_statecache_t *cache, size_t i)
{
    cache->bytes -= entry_bytes(cache->slots[i].entry);
    cache->count--;
    cw_free(cache->slots[i].entry);
    size_t mask = cache->slot_count - 1;
    for (size_t j = (i + 1) & mask; cache->slots[j].entry != NULL; j = (j + 1) & mask) {
        size_t k = home(cache, cache->slots[j].hash);
        /* j's entry stays when its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            cache->slots[i] = cache->slots[j];
            i = j;
        }
    }
    cache->slots[i].entry = NULL;
}

/* The slot table doubled (or made); false when out of memory. */
static bool grow(cw_statecache_t *cache)
{
    if (cache->slot_count > UINT32_MAX / 2)
        return false; /* home() places keys with 32 bits */
    size_t count = cache->slot_count ? cache->slot_count * 2 : FIRST_SLOTS;
    slot_t *slots = cw_calloc(count, sizeof *slots);
    if (slots == NULL)
        return false;
    slot_t *old = cache->slots;
    size_t old_count = cache->slot_count;
    cache->slots = slots;
    cache->slot_count = count;
    for (size_t i = 0; i < old_count; i++) {
        if (old[i].entry == NULL)
            continue;
        size_t j = home(cache, old[i].hash);
        while (slots[j].entry != NULL)
            j = (j + 1) & (count - 1);
        slots[j] = old[i];
    }
    cache->bytes += (count - old_count) * sizeof *slots;
    cache->hand = 0;
    cw_free(old);
    return true;
}

/* The 32 bits of cw_hash_table that place and tell apart a key. */
static uint32_t key_hash(const char *key, size_t key_len)
{
    return (uint32_t)cw_hash_table(key, key_len);
}

static bool cacheable(const cw_statecache_t *cache, int32_t partition)
{
    return cache->max_bytes > 0 && partition >= 0 && partition <= MAX_PARTITION;
}

/* Asks the memory system for the slots the hashes start at and for the
 * entries their runs hold under the same hash, so that the lookups that
 * follow find them in the processor's cache. Only a hint: nothing read
 * here decides anything. */
static void prefetch(const cw_statecache_t *cache, const uint32_t *hashes, size_t n)
{
    size_t mask = cache->slot_count - 1;
    for (size_t k = 0; k < n; k++)
        __builtin_prefetch(&cache->slots[home(cache, hashes[k])]);
    for (size_t k = 0; k < n; k++)
        for (size_t i = home(cache, hashes[k]); cache->slots[i].entry != NULL; i = (i + 1) & mask)
            if (cache->slots[i].hash == hashes[k]) {
                __builtin_prefetch(cache->slots[i].entry);
                break;
            }
}

/* The hashes of a chunk of items (at most CHUNK), their memory fetched. */
static void hash_chunk(const cw_statecache_t *cache, const cw_statecache_item_t *items,
                       size_t count, uint32_t *hashes)
{
    for (size_t k = 0; k < count; k++)
        hashes[k] = key_hash(items[k].key, items[k].key_len);
    if (cache->count > 0)
        prefetch(cache, hashes, count);
}

static void get_one(cw_statecache_t *cache, int32_t partition, uint32_t hash,
                    cw_statecache_item_t *item)
{
    item->bytes = NULL;
    item->len = 0;
    size_t i = find(cache, hash, partition, item->key, item->key_len);
    slot_t *s = &cache->slots[i];
    if (s->entry != NULL && s->entry->generation != cache->generations[partition])
        drop(cache, i); /* put before its partition was dropped */
    else if (s->entry != NULL) {
        s->used = true;
        cache->hits++;
        item->bytes = s->entry->data + s->entry->key_len;
        item->len = s->entry->len;
        return;
    }
    cache->misses++;
}

void cw_statecache_get_many(cw_statecache_t *cache, int32_t partition,
                            cw_statecache_item_t *items, size_t n)
{
    for (size_t first = 0; first < n; first += CHUNK) {
        size_t count = n - first < CHUNK ? n - first : CHUNK;
        if (!cacheable(cache, partition) || cache->count == 0) {
            for (size_t k = first; k < first + count; k++)
                items[k].bytes = NULL;
            cache->misses += count;
            continue;
        }
        uint32_t hashes[CHUNK];
        hash_chunk(cache, items + first, count, hashes);
        for (size_t k = 0; k < count; k++)
            get_one(cache, partition, hashes[k], &items[first + k]);
    }
}

static void remove_hashed(cw_statecache_t *cache, int32_t partition, uint32_t hash,
                          const char *key, size_t key_len)
{
    if (cache->count == 0)
        return;
    size_t i = find(cache, hash, partition, key, key_len);
    if (cache->slots[i].entry != NULL)
        drop(cache, i);
}

void cw_statecache_remove(cw_statecache_t *cache, int32_t partition, const char *key,
                          size_t key_len)
{
    if (cacheable(cache, partition))
        remove_hashed(cache, partition, key_hash(key, key_len), key, key_len);
}

/* The eviction clock's step: odd, so that it visits every slot once per
 * round (the slot count is a power of two), and large, so that the slots
 * it empties are spread over the table. A hand that walked the slots in
 * order would empty the region behind it while puts fill the table
 * evenly: the region ahead would fill up and its probe runs grow to
 * hundreds of slots (measured: 2 us per lookup at 70 % full on average). */
static size_t clock_step(const cw_statecache_t *cache)
{
    return (cache->slot_count / 2 + cache->slot_count / 8) | 1;
}

/* Frees entries until the budget holds, on a clock: the hand passes over
 * (and clears) the used ones and frees the first it finds unused since it
 * last came by. `keep` (the entry just put) is never freed. Entries of a
 * dropped partition go as they are met or age out. */
static void evict(cw_statecache_t *cache, const entry_t *keep)
{
    size_t mask = cache->slot_count - 1, step = clock_step(cache);
    while (cache->bytes > cache->max_bytes && cache->count > 1) {
        /* the hand's slots and victims are cold by definition (freeing an
         * entry reads it): both are fetched while the hand gets to them */
        __builtin_prefetch(&cache->slots[(cache->hand + 2 * EVICT_AHEAD * step) & mask]);
        const slot_t *ahead = &cache->slots[(cache->hand + EVICT_AHEAD * step) & mask];
        if (ahead->entry != NULL && !ahead->used)
            __builtin_prefetch(ahead->entry);
        slot_t *s = &cache->slots[cache->hand];
        if (s->entry != NULL && s->entry != keep && !s->used)
            drop(cache, cache->hand);
        else if (s->entry != keep)
            s->used = false;
        cache->hand = (cache->hand + step) & mask;
    }
}

static int put_one(cw_statecache_t *cache, int32_t partition, uint32_t hash, const char *key,
                   size_t key_len, const uint8_t *bytes, size_t len)
{
    if (sizeof(entry_t) + key_len + len + MALLOC_OVERHEAD > cache->max_bytes / 8) {
        remove_hashed(cache, partition, hash, key, key_len);
        return 0; /* one entry must not flush the cache */
    }
    if (10 * (cache->count + 1) > 7 * cache->slot_count && !grow(cache)) {
        remove_hashed(cache, partition, hash, key, key_len);
        return -1;
    }
    size_t i = find(cache, hash, partition, key, key_len);
    slot_t *s = &cache->slots[i];
    entry_t *e = s->entry;
    if (e == NULL || e->room < key_len + len) {
        size_t room = (key_len + len + 15) & ~(size_t)15;
        size_t old_bytes = e != NULL ? entry_bytes(e) : 0;
        entry_t *bigger = cw_realloc(e, sizeof *e + room);
        if (bigger == NULL) {
            if (e != NULL)
                drop(cache, i);
            return -1;
        }
        if (e == NULL)
            cache->count++;
        cache->bytes -= old_bytes;
        e = bigger;
        e->room = (uint32_t)room;
        cache->bytes += entry_bytes(e);
    }
    e->generation = cache->generations[partition];
    e->key_len = (uint32_t)key_len;
    e->len = (uint32_t)len;
    memcpy(e->data, key, key_len);
    memcpy(e->data + key_len, bytes, len);
    *s = (slot_t){.entry = e, .hash = hash, .partition = (uint16_t)partition, .used = true};
    evict(cache, e);
    return 0;
}

int cw_statecache_put_many(cw_statecache_t *cache, int32_t partition,
                           const cw_statecache_item_t *items, size_t n)
{
    if (!cacheable(cache, partition))
        return 0;
    int result = 0;
    for (size_t first = 0; first < n; first += CHUNK) {
        size_t count = n - first < CHUNK ? n - first : CHUNK;
        uint32_t hashes[CHUNK];
        hash_chunk(cache, items + first, count, hashes);
        for (size_t k = 0; k < count; k++) {
            const cw_statecache_item_t *item = &items[first + k];
            if (put_one(cache, partition, hashes[k], item->key, item->key_len, item->bytes,
                        item->len) != 0)
                result = -1;
        }
    }
    return result;
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
