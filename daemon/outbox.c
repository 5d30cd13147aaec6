/* Outbox entries for alerts and dead letters, their publishing, and their
 * removal on acknowledgement (see outbox.h). */
#include "outbox.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alloc.h"
#include "keys.h"
#include "log.h"
#include "part.h"
#include "producer.h"
#include "store.h"

/* Outbox fields: an alert_id (32 hex digits) for alerts, and
 * "d:<topic>:<offset>" for dead letters (the partition is the outbox's). */
#define FIELD_SIZE 300

#define HDEL_MAX_FIELDS 500

typedef struct published {
    struct published *next; /* in the acknowledged list */
    cw_daemon_t *daemon;
    int32_t partition;
    bool alert;
    char field[FIELD_SIZE];
} published_t;

struct cw_outbox {
    cw_daemon_t *daemon;
    published_t *acked;     /* acknowledged, not yet removed from Redis */
    struct event *flush;
};

static void on_removed(redisReply *reply, void *arg)
{
    /* a failed HDEL only means the entry may be sent once more later */
}

/* Removes the acknowledged entries, grouped by partition: deliveries come
 * in bursts, and one HDEL with many fields costs Redis about what one with
 * a single field does. */
static void flush_acked(cw_outbox_t *outbox)
{
    cw_daemon_t *daemon = outbox->daemon;
    const char *argv[HDEL_MAX_FIELDS + 2];
    size_t argvlen[HDEL_MAX_FIELDS + 2];
    char key[CW_KEY_SIZE];
    while (outbox->acked != NULL) {
        int32_t partition = outbox->acked->partition;
        int argc = 2;
        published_t **link = &outbox->acked, *taken = NULL;
        while (*link != NULL && argc < HDEL_MAX_FIELDS + 2) {
            published_t *p = *link;
            if (p->partition != partition) {
                link = &p->next;
                continue;
            }
            *link = p->next;
            p->next = taken;
            taken = p;
            argv[argc] = p->field;
            argvlen[argc++] = strlen(p->field);
        }
        argv[0] = "HDEL";
        argvlen[0] = 4;
        argv[1] = key;
        argvlen[1] = cw_key_outbox(key, cw_daemon_config(daemon)->key_prefix, partition);
        if (daemon->store != NULL && cw_store_ready(daemon->store))
            cw_store_send(daemon->store, on_removed, NULL, argc, argv, argvlen);
        while (taken != NULL) {
            published_t *next = taken->next;
            cw_free(taken);
            taken = next;
        }
    }
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    cw_outbox_t *outbox = arg;
    flush_acked(outbox);
    /* deliveries make room in the producer: steps waiting for it may go */
    cw_daemon_kick(outbox->daemon);
}

cw_outbox_t *cw_outbox_new(cw_daemon_t *daemon)
{
    cw_outbox_t *outbox = cw_calloc(1, sizeof *outbox);
    if (outbox == NULL)
        return NULL;
    outbox->daemon = daemon;
    outbox->flush = event_new(daemon->base, -1, 0, on_flush, outbox);
    if (outbox->flush == NULL) {
        cw_free(outbox);
        return NULL;
    }
    return outbox;
}

void cw_outbox_free(cw_outbox_t *outbox)
{
    if (outbox == NULL)
        return;
    flush_acked(outbox);
    event_free(outbox->flush);
    cw_free(outbox);
}

/* The entry is still in the outbox: reloading the partition sends it again. */
static void retry_later(cw_daemon_t *daemon, int32_t partition)
{
    if (partition < daemon->part_count && daemon->parts[partition] != NULL)
        cw_part_invalidate(daemon->parts[partition]);
}

static void on_delivered(rd_kafka_resp_err_t err, void *arg)
{
    published_t *p = arg;
    cw_daemon_t *daemon = p->daemon;
    daemon->metrics.outbox_pending--;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && daemon->outbox != NULL) {
        if (p->alert)
            daemon->metrics.alerts_delivered++;
        cw_outbox_t *outbox = daemon->outbox;
        if (outbox->acked == NULL)
            event_active(outbox->flush, EV_TIMEOUT, 0);
        p->next = outbox->acked;
        outbox->acked = p;
        return;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        retry_later(daemon, p->partition);
    cw_free(p);
}

/* Produces one outbox entry; headers are taken. */
static void publish(cw_daemon_t *daemon, int32_t partition, bool alert, const char *field,
                    const char *topic, const void *key, size_t key_len, const void *value,
                    size_t value_len, rd_kafka_headers_t *headers)
{
    published_t *p = cw_malloc(sizeof *p);
    if (p == NULL) {
        rd_kafka_headers_destroy(headers);
        retry_later(daemon, partition);
        return;
    }
    p->daemon = daemon;
    p->partition = partition;
    p->alert = alert;
    snprintf(p->field, sizeof p->field, "%s", field);
    if (cw_producer_send(daemon->producer, topic, key, key_len, value, value_len, headers,
                         on_delivered, p) != 0) {
        rd_kafka_headers_destroy(headers);
        cw_free(p);
        retry_later(daemon, partition);
        return;
    }
    daemon->metrics.outbox_pending++;
}

/* ---- alerts ------------------------------------------------------------- */

void cw_outbox_add_alert(cw_ops_t *ops, const char *alert_id, const char *msisdn,
                         const char *json, size_t json_len)
{
    size_t msisdn_len = strlen(msisdn);
    char *value = cw_malloc(msisdn_len + 1 + json_len);
    if (value == NULL) {
        ops->failed = true;
        return;
    }
    memcpy(value, msisdn, msisdn_len);
    value[msisdn_len] = ' ';
    memcpy(value + msisdn_len + 1, json, json_len);
    cw_ops_outbox_add(ops, alert_id, value, msisdn_len + 1 + json_len);
    cw_free(value);
}

void cw_outbox_publish_alert(cw_daemon_t *daemon, int32_t partition, const char *alert_id,
                             const char *msisdn, const char *json, size_t json_len)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "cdrwarn.alert_id", -1, alert_id, -1);
    publish(daemon, partition, true, alert_id, cw_daemon_config(daemon)->alert_topic, msisdn,
            strlen(msisdn), json, json_len, headers);
}

/* ---- dead letters --------------------------------------------------------- */

/* A dead letter is stored as one header line, then the key and the value:
 * "<reason>\t<topic>\t<partition>\t<offset>\t<key length or -1>\t<detail>\n". */
void cw_outbox_add_dead_letter(cw_ops_t *ops, const cw_dead_letter_t *letter)
{
    char field[FIELD_SIZE], header[512];
    snprintf(field, sizeof field, "d:%s:%" PRId64, letter->topic, letter->offset);
    int header_len = snprintf(header, sizeof header, "%s\t%s\t%d\t%" PRId64 "\t%lld\t%s\n",
                              cw_dlq_reason_name(letter->reason), letter->topic,
                              (int)letter->partition, letter->offset,
                              letter->key ? (long long)letter->key_len : -1LL, letter->detail);
    if (header_len < 0 || (size_t)header_len >= sizeof header) {
        ops->failed = true;
        return;
    }
    size_t total = (size_t)header_len + letter->key_len + letter->value_len;
    char *value = cw_malloc(total ? total : 1);
    if (value == NULL) {
        ops->failed = true;
        return;
    }
    memcpy(value, header, (size_t)header_len);
    if (letter->key_len)
        memcpy(value + header_len, letter->key, letter->key_len);
    if (letter->value_len)
        memcpy(value + header_len + letter->key_len, letter->value, letter->value_len);
    cw_ops_outbox_add(ops, field, value, total);
    cw_free(value);
}

void cw_outbox_publish_dead_letter(cw_daemon_t *daemon, const cw_dead_letter_t *letter)
{
    char field[FIELD_SIZE], partition[16], offset[24];
    snprintf(field, sizeof field, "d:%s:%" PRId64, letter->topic, letter->offset);
    snprintf(partition, sizeof partition, "%d", (int)letter->partition);
    snprintf(offset, sizeof offset, "%" PRId64, letter->offset);
    rd_kafka_headers_t *headers = rd_kafka_headers_new(5);
    rd_kafka_header_add(headers, "cdrwarn.reason", -1, cw_dlq_reason_name(letter->reason), -1);
    rd_kafka_header_add(headers, "cdrwarn.detail", -1, letter->detail, -1);
    rd_kafka_header_add(headers, "cdrwarn.source.topic", -1, letter->topic, -1);
    rd_kafka_header_add(headers, "cdrwarn.source.partition", -1, partition, -1);
    rd_kafka_header_add(headers, "cdrwarn.source.offset", -1, offset, -1);
    publish(daemon, letter->partition, false, field, cw_daemon_config(daemon)->dlq_topic,
            letter->key, letter->key_len, letter->value, letter->value_len, headers);
}

static int reason_of(const char *name, size_t len, cw_dlq_reason_t *reason)
{
    for (int r = 1; r < CW_DLQ__COUNT; r++) {
        const char *known = cw_dlq_reason_name((cw_dlq_reason_t)r);
        if (strlen(known) == len && memcmp(known, name, len) == 0) {
            *reason = (cw_dlq_reason_t)r;
            return 0;
        }
    }
    return -1;
}

/* Splits the header line's tab-separated columns. */
static int resend_dead_letter(cw_daemon_t *daemon, const char *value, size_t value_len)
{
    const char *newline = memchr(value, '\n', value_len);
    if (newline == NULL || newline - value >= 512)
        return -1;
    char header[512];
    memcpy(header, value, (size_t)(newline - value));
    header[newline - value] = '\0';
    char *columns[6];
    char *save = NULL, *p = header;
    for (int i = 0; i < 6; i++) {
        columns[i] = i < 5 ? strtok_r(p, "\t", &save) : strtok_r(p, "", &save);
        p = NULL;
        if (columns[i] == NULL && i < 5)
            return -1;
    }
    cw_dead_letter_t letter = {.detail = columns[5] ? columns[5] : "", .topic = columns[1]};
    if (reason_of(columns[0], strlen(columns[0]), &letter.reason) != 0)
        return -1;
    letter.partition = (int32_t)strtol(columns[2], NULL, 10);
    letter.offset = strtoll(columns[3], NULL, 10);
    long long key_len = strtoll(columns[4], NULL, 10);
    size_t body = value_len - (size_t)(newline - value) - 1;
    if (key_len > (long long)body)
        return -1;
    const char *data = newline + 1;
    letter.key = key_len >= 0 ? data : NULL;
    letter.key_len = key_len > 0 ? (size_t)key_len : 0;
    letter.value = data + letter.key_len;
    letter.value_len = body - letter.key_len;
    cw_outbox_publish_dead_letter(daemon, &letter);
    return 0;
}

int cw_outbox_resend(cw_daemon_t *daemon, int32_t partition, const char *field,
                     size_t field_len, const char *value, size_t value_len)
{
    if (field_len >= 2 && field[0] == 'd' && field[1] == ':')
        return resend_dead_letter(daemon, value, value_len);
    const char *space = memchr(value, ' ', value_len);
    if (field_len != CW_ALERT_ID_SIZE - 1 || space == NULL ||
        (size_t)(space - value) >= CW_NUMBER_SIZE)
        return -1;
    char msisdn[CW_NUMBER_SIZE], alert_id[CW_ALERT_ID_SIZE];
    memcpy(msisdn, value, (size_t)(space - value));
    msisdn[space - value] = '\0';
    memcpy(alert_id, field, field_len);
    alert_id[field_len] = '\0';
    cw_outbox_publish_alert(daemon, partition, alert_id, msisdn, space + 1,
                            value_len - (size_t)(space - value) - 1);
    return 0;
}
