/* The backtest's in-memory subscriber states (see substore.h). */
#include "substore.h"

#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

#define FIRST_CAP 1024 /* slots; a power of two */
/* A state's bytes live in one allocation after a header of their length and
 * the room the allocation has, so a state that grows a little is rewritten
 * in place. */
#define HEADER 4
#define ROOM_STEP 16

/* A number and its state side by side: one cache line read finds both. */
typedef struct slot {
    uint64_t key;  /* packed number; 0 = an empty slot */
    uint8_t *blob; /* header + bytes, owned */
} slot_t;

struct cw_substore {
    slot_t *slots;
    size_t cap; /* slots, a power of two */
    size_t count;
    size_t bytes; /* of the blobs */
};

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static size_t blob_len(const uint8_t *blob)
{
    return (size_t)blob[0] | (size_t)blob[1] << 8;
}

static size_t blob_room(const uint8_t *blob)
{
    return (size_t)blob[2] | (size_t)blob[3] << 8;
}

cw_substore_t *cw_substore_new(void)
{
    cw_substore_t *store = cw_calloc(1, sizeof *store);
    if (store == NULL)
        return NULL;
    store->slots = cw_calloc(FIRST_CAP, sizeof *store->slots);
    if (store->slots == NULL) {
        cw_free(store);
        return NULL;
    }
    store->cap = FIRST_CAP;
    return store;
}

void cw_substore_free(cw_substore_t *store)
{
    if (store == NULL)
        return;
    for (size_t i = 0; i < store->cap; i++)
        cw_free(store->slots[i].blob);
    cw_free(store->slots);
    cw_free(store);
}

/* The slot holding key, or the empty one where it would go. */
static slot_t *find(const cw_substore_t *store, uint64_t key)
{
    size_t i = slot_of(key, store->cap);
    while (store->slots[i].key != 0 && store->slots[i].key != key)
        i = (i + 1) & (store->cap - 1);
    return &store->slots[i];
}

void cw_substore_prefetch(const cw_substore_t *store, const char *msisdn)
{
    uint64_t key = cw_number_pack(msisdn);
    __builtin_prefetch(&store->slots[slot_of(key, store->cap)]);
}

void cw_substore_prefetch_state(const cw_substore_t *store, const char *msisdn)
{
    uint64_t key = cw_number_pack(msisdn);
    if (key == 0)
        return;
    const slot_t *slot = find(store, key);
    if (slot->blob != NULL)
        __builtin_prefetch(slot->blob);
}

const uint8_t *cw_substore_get(const cw_substore_t *store, const char *msisdn,
                               size_t *len)
{
    *len = 0;
    uint64_t key = cw_number_pack(msisdn);
    if (key == 0)
        return NULL;
    const slot_t *slot = find(store, key);
    if (slot->key == 0)
        return NULL;
    *len = blob_len(slot->blob);
    return slot->blob + HEADER;
}

/* Doubles the table at 70 % full: probe runs stay short. */
static int grow(cw_substore_t *store)
{
    size_t cap = store->cap * 2;
    slot_t *slots = cw_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < store->cap; i++) {
        if (store->slots[i].key == 0)
            continue;
        size_t j = slot_of(store->slots[i].key, cap);
        while (slots[j].key != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = store->slots[i];
    }
    cw_free(store->slots);
    store->slots = slots;
    store->cap = cap;
    return 0;
}

int cw_substore_put(cw_substore_t *store, const char *msisdn, const uint8_t *bytes,
                    size_t len)
{
    uint64_t key = cw_number_pack(msisdn);
    if (key == 0 || len > 0xffff)
        return -1;
    if ((store->count + 1) * 10 > store->cap * 7 && grow(store) != 0)
        return -1;
    slot_t *slot = find(store, key);
    uint8_t *blob = slot->blob;
    if (blob == NULL || blob_room(blob) < len) {
        size_t room = (len + HEADER + ROOM_STEP - 1) / ROOM_STEP * ROOM_STEP - HEADER;
        if (room > 0xffff)
            room = 0xffff;
        bool fresh = blob == NULL;
        size_t old_room = fresh ? 0 : blob_room(blob);
        uint8_t *bigger = cw_realloc(blob, HEADER + room);
        if (bigger == NULL)
            return -1;
        store->bytes += room - old_room + (fresh ? HEADER : 0);
        blob = bigger;
        blob[2] = (uint8_t)(room & 0xff);
        blob[3] = (uint8_t)(room >> 8);
        slot->blob = blob;
    }
    blob[0] = (uint8_t)(len & 0xff);
    blob[1] = (uint8_t)(len >> 8);
    if (len > 0)
        memcpy(blob + HEADER, bytes, len);
    if (slot->key == 0) {
        slot->key = key;
        store->count++;
    }
    return 0;
}

size_t cw_substore_count(const cw_substore_t *store)
{
    return store->count;
}

size_t cw_substore_bytes(const cw_substore_t *store)
{
    return store->bytes + store->cap * sizeof *store->slots;
}
