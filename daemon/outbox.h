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

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "env.h"
#include "ops.h"

typedef struct cw_producer cw_producer_t;

typedef struct cw_outbox_hooks {
    /* an entry of the partition was not published (refused or failed for
     * good): it is still in Redis, and reloading the partition sends it */
    void (*failed)(int32_t partition, void *arg);
    /* deliveries made room in the producer */
    void (*room)(void *arg);
    void *arg;
} cw_outbox_hooks_t;

/* Publishing state: entries acknowledged by Kafka wait here to be removed
 * from Redis, one HDEL per partition per turn of the event loop. */
cw_outbox_t *cw_outbox_new(const cw_env_t *env, cw_producer_t *producer,
                           const cw_outbox_hooks_t *hooks);
/* Sends the removals still waiting, then frees. */
void cw_outbox_free(cw_outbox_t *outbox);

/* Adds a step's entries to its commit. */
void cw_outbox_commit(cw_ops_t *ops, const cw_entries_t *entries);
/* Publishes a committed step's entries (and counts its alerts by level). */
void cw_outbox_publish_all(cw_outbox_t *outbox, int32_t partition, const cw_entries_t *entries);
/* Publishes one stored entry. Returns -1 when the entry is not one this
 * version writes (it is left in place). */
int cw_outbox_publish(cw_outbox_t *outbox, int32_t partition, const char *field,
                      size_t field_len, const char *value, size_t value_len);

/* Messages produced and not yet acknowledged. */
int cw_outbox_in_flight(const cw_outbox_t *outbox);

#endif
