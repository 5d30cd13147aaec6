/* Login attempt limits (see throttle.h): open addressing over a fixed table;
 * when the probe window is full, the stalest slot is reused. */
#include "throttle.h"

#include <string.h>

#include "hash.h"

#define PROBE 16

void cw_throttle_init(cw_throttle_t *t, int free_failures)
{
    memset(t, 0, sizeof *t);
    t->free_failures = free_failures;
}

static uint64_t key_of(const char *key)
{
    uint64_t k = cw_hash64(key, strlen(key), 0x7468726f74746c65ULL);
    return k ? k : 1;
}

static const cw_throttle_slot_t *find(const cw_throttle_t *t, uint64_t k)
{
    for (int i = 0; i < PROBE; i++) {
        const cw_throttle_slot_t *s = &t->slots[(k + (uint64_t)i) % CW_THROTTLE_SLOTS];
        if (s->key == k)
            return s;
    }
    return NULL;
}

static int64_t wait_for(int failures, int free_failures)
{
    if (failures < free_failures)
        return 0;
    int64_t wait = CW_THROTTLE_BASE_MS;
    for (int i = free_failures; i < failures && wait < CW_THROTTLE_MAX_MS; i++)
        wait *= 2;
    return wait > CW_THROTTLE_MAX_MS ? CW_THROTTLE_MAX_MS : wait;
}

int64_t cw_throttle_wait(const cw_throttle_t *t, const char *key, int64_t now_ms)
{
    const cw_throttle_slot_t *s = find(t, key_of(key));
    if (s == NULL || now_ms - s->last_ms >= CW_THROTTLE_FORGET_MS)
        return 0;
    int64_t until = s->last_ms + wait_for(s->failures, t->free_failures);
    return until > now_ms ? until - now_ms : 0;
}

void cw_throttle_fail(cw_throttle_t *t, const char *key, int64_t now_ms)
{
    uint64_t k = key_of(key);
    cw_throttle_slot_t *slot = (cw_throttle_slot_t *)find(t, k);
    if (slot == NULL) {
        /* a free slot in the probe window, else the one failed longest ago */
        for (int i = 0; i < PROBE; i++) {
            cw_throttle_slot_t *s = &t->slots[(k + (uint64_t)i) % CW_THROTTLE_SLOTS];
            if (s->key == 0 || now_ms - s->last_ms >= CW_THROTTLE_FORGET_MS) {
                slot = s;
                break;
            }
            if (slot == NULL || s->last_ms < slot->last_ms)
                slot = s;
        }
        slot->key = k;
        slot->failures = 0;
    } else if (now_ms - slot->last_ms >= CW_THROTTLE_FORGET_MS) {
        slot->failures = 0;
    }
    if (slot->failures < 1000)
        slot->failures++;
    slot->last_ms = now_ms;
}

void cw_throttle_clear(cw_throttle_t *t, const char *key)
{
    cw_throttle_slot_t *s = (cw_throttle_slot_t *)find(t, key_of(key));
    if (s != NULL)
        memset(s, 0, sizeof *s);
}
