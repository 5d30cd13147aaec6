/* The backtest's subscriber states, in memory instead of Redis: each
 * subscriber's number to its state in the compact encoding the daemon
 * stores (lib/subcodec.c, ~100-200 bytes), so memory grows with the
 * subscribers, not with the events (a decoded state is ~2 KB, ten times
 * more). Open addressing on the packed number; states are never removed. */
#ifndef CW_SUBSTORE_H
#define CW_SUBSTORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cw_substore cw_substore_t;

/* A new, empty store; NULL when out of memory. Free with cw_substore_free. */
cw_substore_t *cw_substore_new(void);
void cw_substore_free(cw_substore_t *store);

/* Starts fetching the subscriber's slot into the cache: a step looks up
 * a thousand subscribers at once, and their lookups can overlap. Once the
 * slot is near, cw_substore_prefetch_state starts on the state's bytes. */
void cw_substore_prefetch(const cw_substore_t *store, const char *msisdn);
void cw_substore_prefetch_state(const cw_substore_t *store, const char *msisdn);
/* The subscriber's stored bytes (borrowed until the next put) and their
 * length; NULL and 0 when the store has none (a new subscriber). */
const uint8_t *cw_substore_get(const cw_substore_t *store, const char *msisdn,
                               size_t *len);
/* Stores a copy of the subscriber's bytes (len <= 65535), replacing what it
 * had. Returns 0, or -1 when out of memory or the number is not a
 * normalised one (3..15 digits); the store is then unchanged. */
int cw_substore_put(cw_substore_t *store, const char *msisdn, const uint8_t *bytes,
                    size_t len);

/* Subscribers held, and the bytes the store allocated for them (table and
 * states, without the allocator's own overhead). */
size_t cw_substore_count(const cw_substore_t *store);
size_t cw_substore_bytes(const cw_substore_t *store);

#endif
