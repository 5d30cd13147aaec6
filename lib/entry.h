/* Outbox entries: everything the daemon publishes (alerts, dead letters,
 * and churn outcomes and score records) is encoded once as an entry (a field
 * and a value of the partition's outbox hash in Redis), committed with the
 * state that decided it, and published from those same bytes after the
 * commit or after a restart. Decoding an entry gives the Kafka message:
 * which topic, key, value and headers. */
#ifndef CW_ENTRY_H
#define CW_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef enum {
    CW_ENTRY_ALERT = 0,    /* to alert_topic */
    CW_ENTRY_DEAD_LETTER,  /* to dlq_topic */
    CW_ENTRY_OUTCOME,      /* to outcome_topic */
    CW_ENTRY_SCORE,        /* to score_topic */
    CW_ENTRY__COUNT
} cw_entry_kind_t;

/* One entry; field and value owned. */
typedef struct cw_entry {
    cw_entry_kind_t kind;
    char *field;
    size_t field_len;
    char *value;
    size_t value_len;
    /* for the metrics: an alert's level; an outcome's caught level, churn
     * kind and lead weeks (-1 when not caught) */
    int level;
    int churn_kind;
    int lead_weeks;
    /* what the entry is about, as values, for the backtest (SPEC section 11)
     * to count without parsing the JSON: an alert's week and trigger bits; an
     * outcome's churn week and whether the tier was watched; a score record's
     * month and item bits (0 for dead letters) */
    int32_t period;
    uint16_t bits;
    bool watched;
} cw_entry_t;

/* A growing list of entries, in the order they were decided. */
typedef struct cw_entries {
    cw_entry_t *items;
    size_t count, cap;
} cw_entries_t;

void cw_entries_free(cw_entries_t *entries);

/* A dead letter as SPEC section 8 publishes it. */
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
    /* a value cut to its first bytes (too_large): the original length and
     * the whole value's SHA-256 (64 hex digits, not NUL-terminated); NULL
     * when the value is whole */
    size_t value_bytes;
    const char *value_sha256;
} cw_dead_letter_t;

/* Appends an alert ("<msisdn> <json>" under its alert_id) or a dead letter
 * ("d:<topic>:<offset>", or "t:<topic>:<offset>" for a value cut short,
 * whose header line carries its length and digest). Returns 0 or -1 (out of
 * memory). */
int cw_entries_add_alert(cw_entries_t *entries, const char *alert_id, const char *msisdn,
                         const char *json, size_t json_len, int level);
int cw_entries_add_dead_letter(cw_entries_t *entries, const cw_dead_letter_t *letter);
/* Appends a score record ("s:<score_id>": "<msisdn> <json>"); for the
 * metrics, level 1 when a potential churner, churn_kind 1 when value churn. */
int cw_entries_add_score(cw_entries_t *entries, const char *score_id, const char *msisdn,
                         const char *json, size_t json_len, bool potential_churner,
                         bool value_churn);
/* Appends a churn outcome ("o:<outcome_id>": "<msisdn> <json>"). */
int cw_entries_add_outcome(cw_entries_t *entries, const char *outcome_id, const char *msisdn,
                           const char *json, size_t json_len, int caught_level,
                           int churn_kind, int lead_weeks);

#define CW_MESSAGE_MAX_HEADERS 8

typedef struct cw_header {
    const char *name;
    const char *value;        /* NUL-terminated */
} cw_header_t;

/* A decoded entry: pointers into the entry's value and into `text`. */
typedef struct cw_message {
    cw_entry_kind_t kind;
    const char *key;          /* NULL: no key */
    size_t key_len;
    const char *value;
    size_t value_len;
    cw_header_t headers[CW_MESSAGE_MAX_HEADERS];
    int header_count;
    char text[640];           /* header values */
} cw_message_t;

/* Decodes a stored entry. Returns 0, or -1 when it is not one this version
 * writes. The message points into `value` (and itself): valid while both are. */
int cw_entry_decode(const char *field, size_t field_len, const char *value, size_t value_len,
                    cw_message_t *message);

#endif
