/* The outbox: what a commit promises to send to Kafka. Every output
 * (alert, dead letter) is an entry (lib/entry.h) that enters the
 * partition's outbox hash in Redis in the same atomic commit that moves the
 * partition's offsets past its records (and, for alerts, records them as
 * published); it leaves only once Kafka acknowledged it. A crash in between
 * sends it again: alerts with the same alert_id (SPEC section 7), dead
 * letters with the same source headers (SPEC section 8). Nothing waits for
 * Kafka before committing, so neither a bad record nor an alert stalls its
 * partition. One way in (cw_outbox_commit), one way out (cw_outbox_publish,
 * after the commit and when a partition reloads its outbox). */
#ifndef CW_OUTBOX_H
#define CW_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "env.h"
#include "ops.h"

struct evbuffer;
typedef struct cw_producer cw_producer_t;

typedef struct cw_outbox_hooks {
    /* deliveries made room in the producer */
    void (*room)(void *arg);
    void *arg;
} cw_outbox_hooks_t;

/* Publishing state. Entries acknowledged by Kafka wait here to be removed
 * from Redis, one HDEL per partition per turn of the event loop; failed
 * ones wait for their retry. `max_entries`: how many may be on their way
 * before cw_outbox_backlogged says so. */
cw_outbox_t *cw_outbox_new(const cw_env_t *env, cw_producer_t *producer, int64_t max_entries,
                           const cw_outbox_hooks_t *hooks);
/* Sends the removals still waiting, then frees (the producer must be gone:
 * what is still on its way stays in Redis, sent after the restart). */
void cw_outbox_free(cw_outbox_t *outbox);
/* Sends the removal of every acknowledged entry now (HDEL), instead of at the
 * next flush; the caller runs the loop until Redis answered (a stop). */
void cw_outbox_flush(cw_outbox_t *outbox);

/* Adds a step's entries to its commit. */
void cw_outbox_commit(cw_ops_t *ops, const cw_entries_t *entries);
/* Publishes a committed step's entries (and counts its alerts by level). */
void cw_outbox_publish_all(cw_outbox_t *outbox, int32_t partition, const cw_entries_t *entries);
/* Publishes one stored entry, unless it is already on its way or waiting
 * for a retry. A failed delivery is retried after a backoff of its own
 * (from 1 s doubling to 5 min), its value read back from Redis. Returns -1
 * when the entry is not one this version writes (it is left in place). */
int cw_outbox_publish(cw_outbox_t *outbox, int32_t partition, const char *field,
                      size_t field_len, const char *value, size_t value_len);
/* The partition went to another owner: its entries waiting for a retry are
 * left to it. */
void cw_outbox_forget(cw_outbox_t *outbox, int32_t partition);

/* Messages produced and not yet acknowledged. */
int cw_outbox_in_flight(const cw_outbox_t *outbox);
/* More entries on their way than max_entries: new records should wait. */
bool cw_outbox_backlogged(const cw_outbox_t *outbox);
/* Deliveries failing (per kind, the last error while nothing of that kind
 * went through since), into buf; false when none. */
bool cw_outbox_trouble(const cw_outbox_t *outbox, char *buf, size_t size);
/* cdrwarn_outbox_entries, cdrwarn_outbox_sends_total, cdrwarn_publish_errors_total. */
void cw_outbox_render(const cw_outbox_t *outbox, struct evbuffer *out);

#endif
