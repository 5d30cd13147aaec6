/* The outbox: what a commit promises to send to Kafka. Alerts and
 * dead-letter records enter a partition's outbox hash in Redis in the same
 * atomic commit that moves the partition's offsets past their records (and,
 * for alerts, records them as published); they leave it only once Kafka
 * acknowledged them. A crash in between sends them again: alerts with the
 * same alert_id (SPEC section 7), DLQ records with the same source headers
 * (SPEC section 8). Nothing waits for Kafka before committing, so neither a
 * bad record nor an alert stalls its partition. */
#ifndef CW_OUTBOX_H
#define CW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "event.h"
#include "ops.h"

typedef struct cw_outbox cw_outbox_t;

/* Publishing state: entries acknowledged by Kafka wait here to be removed
 * from Redis, one HDEL per partition per turn of the event loop. */
cw_outbox_t *cw_outbox_new(cw_daemon_t *daemon);
/* Sends the removals still waiting, then frees. */
void cw_outbox_free(cw_outbox_t *outbox);

/* A dead-letter record as the outbox keeps it. */
typedef struct cw_dead_letter {
    cw_dlq_reason_t reason;
    const char *detail;
    const char *topic;        /* source topic */
    int32_t partition;
    int64_t offset;
    const void *key;          /* NULL for a record without a key */
    size_t key_len;
    const void *value;
    size_t value_len;
} cw_dead_letter_t;

/* Adds the outbox entry of an alert ("<msisdn> <json>" under its alert_id)
 * or of a dead letter to a commit. */
void cw_outbox_add_alert(cw_ops_t *ops, const char *alert_id, const char *msisdn,
                         const char *json, size_t json_len);
void cw_outbox_add_dead_letter(cw_ops_t *ops, const cw_dead_letter_t *letter);

/* Produce once the commit is acknowledged, and remove from the partition's
 * outbox on acknowledgement. When the producer refuses one, or it fails for
 * good, the partition is marked for a reload, which sends its whole outbox
 * again. */
void cw_outbox_publish_alert(cw_daemon_t *daemon, int32_t partition, const char *alert_id,
                             const char *msisdn, const char *json, size_t json_len);
void cw_outbox_publish_dead_letter(cw_daemon_t *daemon, const cw_dead_letter_t *letter);

/* Sends one stored entry again (partition load after a restart or failure);
 * returns -1 when the entry is not one this daemon wrote. */
int cw_outbox_resend(cw_daemon_t *daemon, int32_t partition, const char *field,
                     size_t field_len, const char *value, size_t value_len);

#endif
