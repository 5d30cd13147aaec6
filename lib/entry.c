/* Outbox entries: encoding and decoding (see entry.h). The formats are
 * what earlier versions stored, so an outbox left in Redis by them is still
 * published after an upgrade. */
#include "entry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alloc.h"

#define DEAD_LETTER_PREFIX "d:"
/* a dead letter whose value was cut: its header line has two more columns */
#define CUT_LETTER_PREFIX "t:"
#define OUTCOME_PREFIX "o:"
#define SCORE_PREFIX "s:"
#define HEADER_LINE_MAX 512

void cw_entries_free(cw_entries_t *entries)
{
    for (size_t i = 0; i < entries->count; i++) {
        cw_free(entries->items[i].field);
        cw_free(entries->items[i].value);
    }
    cw_free(entries->items);
    memset(entries, 0, sizeof *entries);
}

/* Takes field and value (freed on failure). */
static int append(cw_entries_t *entries, cw_entry_kind_t kind, char *field, size_t field_len,
                  char *value, size_t value_len, int level)
{
    if (field == NULL || value == NULL)
        goto fail;
    cw_entry_t *items =
        cw_grow(entries->items, &entries->cap, entries->count + 1, sizeof *items, 16);
    if (items == NULL)
        goto fail;
    entries->items = items;
    entries->items[entries->count++] =
        (cw_entry_t){kind, field, field_len, value, value_len, level, 0, -1, 0, 0, false};
    return 0;
fail:
    cw_free(field);
    cw_free(value);
    return -1;
}

/* "<msisdn> <json>": what alerts and outcomes store. */
static char *keyed_value(const char *msisdn, const char *json, size_t json_len, size_t *len)
{
    size_t msisdn_len = strlen(msisdn);
    char *value = cw_malloc(msisdn_len + 1 + json_len);
    if (value != NULL) {
        memcpy(value, msisdn, msisdn_len);
        value[msisdn_len] = ' ';
        memcpy(value + msisdn_len + 1, json, json_len);
    }
    *len = msisdn_len + 1 + json_len;
    return value;
}

int cw_entries_add_alert(cw_entries_t *entries, const char *alert_id, const char *msisdn,
                         const char *json, size_t json_len, int level)
{
    size_t len;
    char *value = keyed_value(msisdn, json, json_len, &len);
    return append(entries, CW_ENTRY_ALERT, cw_strdup(alert_id), strlen(alert_id), value, len,
                  level);
}

/* An entry keyed by msisdn under "<prefix><id>". */
static int add_keyed(cw_entries_t *entries, cw_entry_kind_t kind, const char *prefix,
                     const char *id, const char *msisdn, const char *json, size_t json_len,
                     int level)
{
    size_t len, field_len = strlen(prefix) + strlen(id);
    char *value = keyed_value(msisdn, json, json_len, &len);
    char *field = cw_malloc(field_len + 1);
    if (field != NULL)
        snprintf(field, field_len + 1, "%s%s", prefix, id);
    return append(entries, kind, field, field_len, value, len, level);
}

int cw_entries_add_score(cw_entries_t *entries, const char *score_id, const char *msisdn,
                         const char *json, size_t json_len, bool potential_churner,
                         bool value_churn)
{
    if (add_keyed(entries, CW_ENTRY_SCORE, SCORE_PREFIX, score_id, msisdn, json, json_len,
                  potential_churner) != 0)
        return -1;
    entries->items[entries->count - 1].churn_kind = value_churn;
    return 0;
}

int cw_entries_add_outcome(cw_entries_t *entries, const char *outcome_id, const char *msisdn,
                           const char *json, size_t json_len, int caught_level,
                           int churn_kind, int lead_weeks)
{
    if (add_keyed(entries, CW_ENTRY_OUTCOME, OUTCOME_PREFIX, outcome_id, msisdn, json, json_len,
                  caught_level) != 0)
        return -1;
    entries->items[entries->count - 1].churn_kind = churn_kind;
    entries->items[entries->count - 1].lead_weeks = lead_weeks;
    return 0;
}

/* A dead letter is stored as one header line, then the key and the value:
 * "<reason>\t<topic>\t<partition>\t<offset>\t<key length or -1>\t<detail>\n";
 * one whose value was cut has "\t<value bytes>\t<sha256>" before the detail. */
int cw_entries_add_dead_letter(cw_entries_t *entries, const cw_dead_letter_t *letter)
{
    char field[320], header[HEADER_LINE_MAX], cut[96] = "";
    bool was_cut = letter->value_sha256 != NULL;
    if (was_cut)
        snprintf(cut, sizeof cut, "%zu\t%.64s\t", letter->value_bytes, letter->value_sha256);
    int field_len = snprintf(field, sizeof field, "%s%s:%" PRId64,
                             was_cut ? CUT_LETTER_PREFIX : DEAD_LETTER_PREFIX, letter->topic,
                             letter->offset);
    int header_len = snprintf(header, sizeof header, "%s\t%s\t%d\t%" PRId64 "\t%lld\t%s%s\n",
                              cw_dlq_reason_name(letter->reason), letter->topic,
                              (int)letter->partition, letter->offset,
                              letter->key ? (long long)letter->key_len : -1LL, cut,
                              letter->detail);
    if (field_len < 0 || (size_t)field_len >= sizeof field || header_len < 0 ||
        (size_t)header_len >= sizeof header)
        return -1;
    size_t total = (size_t)header_len + letter->key_len + letter->value_len;
    char *value = cw_malloc(total ? total : 1);
    if (value != NULL) {
        memcpy(value, header, (size_t)header_len);
        if (letter->key_len)
            memcpy(value + header_len, letter->key, letter->key_len);
        if (letter->value_len)
            memcpy(value + header_len + letter->key_len, letter->value, letter->value_len);
    }
    return append(entries, CW_ENTRY_DEAD_LETTER, cw_strndup(field, (size_t)field_len),
                  (size_t)field_len, value, total, 0);
}

/* ---- decoding ------------------------------------------------------------ */

static int add_header(cw_message_t *message, const char *name, const char *value)
{
    if (message->header_count == CW_MESSAGE_MAX_HEADERS)
        return -1;
    message->headers[message->header_count++] = (cw_header_t){name, value};
    return 0;
}

static bool known_reason(const char *name)
{
    for (int r = 1; r < CW_DLQ__COUNT; r++)
        if (strcmp(cw_dlq_reason_name((cw_dlq_reason_t)r), name) == 0)
            return true;
    return false;
}

/* Splits the header line's tab-separated columns into message->text. */
static int decode_dead_letter(const char *value, size_t value_len, bool was_cut,
                              cw_message_t *message)
{
    const char *newline = memchr(value, '\n', value_len);
    if (newline == NULL || (size_t)(newline - value) >= sizeof message->text)
        return -1;
    size_t line_len = (size_t)(newline - value);
    memcpy(message->text, value, line_len);
    message->text[line_len] = '\0';
    /* reason, topic, partition, offset, key length, [value bytes, sha256,]
     * detail (may hold tabs) */
    char *columns[8];
    char *p = message->text;
    int before_detail = was_cut ? 7 : 5;
    for (int i = 0; i < before_detail; i++) {
        columns[i] = p;
        p = strchr(p, '\t');
        if (p == NULL)
            return -1;
        *p++ = '\0';
    }
    char *detail = p;
    if (!known_reason(columns[0]))
        return -1;
    char *end;
    long long key_len = strtoll(columns[4], &end, 10);
    size_t body = value_len - line_len - 1;
    if (*end != '\0' || key_len < -1 || key_len > (long long)body)
        return -1;
    const char *data = newline + 1;
    message->kind = CW_ENTRY_DEAD_LETTER;
    message->key = key_len >= 0 ? data : NULL;
    message->key_len = key_len > 0 ? (size_t)key_len : 0;
    message->value = data + message->key_len;
    message->value_len = body - message->key_len;
    add_header(message, "cdrwarn.reason", columns[0]);
    add_header(message, "cdrwarn.detail", detail);
    add_header(message, "cdrwarn.source.topic", columns[1]);
    add_header(message, "cdrwarn.source.partition", columns[2]);
    add_header(message, "cdrwarn.source.offset", columns[3]);
    if (was_cut) {
        if (strlen(columns[6]) != 64)
            return -1;
        add_header(message, "cdrwarn.value_bytes", columns[5]);
        add_header(message, "cdrwarn.value_sha256", columns[6]);
    }
    return 0;
}

/* "<msisdn> <json>" */
static int decode_keyed(const char *value, size_t value_len, cw_message_t *message)
{
    const char *space = memchr(value, ' ', value_len);
    if (space == NULL || (size_t)(space - value) >= CW_NUMBER_SIZE)
        return -1;
    message->key = value;
    message->key_len = (size_t)(space - value);
    message->value = space + 1;
    message->value_len = value_len - message->key_len - 1;
    return 0;
}

int cw_entry_decode(const char *field, size_t field_len, const char *value, size_t value_len,
                    cw_message_t *message)
{
    memset(message, 0, sizeof *message);
    if (field_len >= 2 && memcmp(field, DEAD_LETTER_PREFIX, 2) == 0)
        return decode_dead_letter(value, value_len, false, message);
    if (field_len >= 2 && memcmp(field, CUT_LETTER_PREFIX, 2) == 0)
        return decode_dead_letter(value, value_len, true, message);
    bool outcome = field_len >= 2 && memcmp(field, OUTCOME_PREFIX, 2) == 0;
    if (field_len == 2 + CW_ALERT_ID_SIZE - 1 && (outcome || memcmp(field, SCORE_PREFIX, 2) == 0)) {
        if (decode_keyed(value, value_len, message) != 0)
            return -1;
        message->kind = outcome ? CW_ENTRY_OUTCOME : CW_ENTRY_SCORE;
        memcpy(message->text, field + 2, field_len - 2);
        message->text[field_len - 2] = '\0';
        add_header(message, outcome ? "cdrwarn.outcome_id" : "cdrwarn.score_id", message->text);
        return 0;
    }
    if (field_len != CW_ALERT_ID_SIZE - 1 || decode_keyed(value, value_len, message) != 0)
        return -1;
    message->kind = CW_ENTRY_ALERT;
    memcpy(message->text, field, field_len);
    message->text[field_len] = '\0';
    add_header(message, "cdrwarn.alert_id", message->text);
    return 0;
}
