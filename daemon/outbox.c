/* Publishing outbox entries and removing them on acknowledgement (see
 * outbox.h). */
#include "outbox.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "keys.h"
#include "producer.h"
#include "store.h"

#define HDEL_MAX_FIELDS 500

typedef struct published {
    struct published *next; /* in the acknowledged list */
    cw_outbox_t *outbox;
    int32_t partition;
    cw_entry_kind_t kind;
    size_t field_len;
    char field[];
} published_t;

struct cw_outbox {
    const cw_env_t *env;
    cw_producer_t *producer;
    cw_outbox_hooks_t hooks;
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
    const char *argv[HDEL_MAX_FIELDS + 2];
    size_t argvlen[HDEL_MAX_FIELDS + 2];
    char key[CW_KEY_SIZE];
    cw_store_t *store = outbox->env->store;
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
            argvlen[argc++] = p->field_len;
        }
        argv[0] = "HDEL";
        argvlen[0] = 4;
        argv[1] = key;
        argvlen[1] = cw_key_outbox(key, outbox->env->config->key_prefix, partition);
        if (store != NULL && cw_store_ready(store))
            cw_store_send(store, on_removed, NULL, argc, argv, argvlen);
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
    outbox->hooks.room(outbox->hooks.arg);
}

cw_outbox_t *cw_outbox_new(const cw_env_t *env, cw_producer_t *producer,
                           const cw_outbox_hooks_t *hooks)
{
    cw_outbox_t *outbox = cw_calloc(1, sizeof *outbox);
    if (outbox == NULL)
        return NULL;
    outbox->env = env;
    outbox->producer = producer;
    outbox->hooks = *hooks;
    outbox->flush = event_new(env->base, -1, 0, on_flush, outbox);
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

static void on_delivered(rd_kafka_resp_err_t err, void *arg)
{
    published_t *p = arg;
    cw_outbox_t *outbox = p->outbox;
    cw_metrics_t *metrics = outbox->env->metrics;
    metrics->outbox_pending--;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outbox->hooks.failed(p->partition, outbox->hooks.arg);
        cw_free(p);
        return;
    }
    if (p->kind == CW_ENTRY_ALERT)
        metrics->alerts_delivered++;
    if (outbox->acked == NULL)
        event_active(outbox->flush, EV_TIMEOUT, 0);
    p->next = outbox->acked;
    outbox->acked = p;
}

static const char *topic_of(const cw_outbox_t *outbox, cw_entry_kind_t kind)
{
    const cw_config_t *config = outbox->env->config;
    return kind == CW_ENTRY_ALERT ? config->alert_topic : config->dlq_topic;
}

int cw_outbox_publish(cw_outbox_t *outbox, int32_t partition, const char *field,
                      size_t field_len, const char *value, size_t value_len)
{
    cw_message_t message;
    if (cw_entry_decode(field, field_len, value, value_len, &message) != 0)
        return -1;
    published_t *p = cw_malloc(sizeof *p + field_len + 1);
    rd_kafka_headers_t *headers = rd_kafka_headers_new((size_t)message.header_count);
    if (p == NULL || headers == NULL)
        goto failed;
    p->outbox = outbox;
    p->partition = partition;
    p->kind = message.kind;
    p->field_len = field_len;
    memcpy(p->field, field, field_len);
    p->field[field_len] = '\0';
    for (int i = 0; i < message.header_count; i++)
        rd_kafka_header_add(headers, message.headers[i].name, -1, message.headers[i].value, -1);
    if (cw_producer_send(outbox->producer, topic_of(outbox, message.kind), message.key,
                         message.key_len, message.value, message.value_len, headers,
                         on_delivered, p) != 0)
        goto failed;
    outbox->env->metrics->outbox_pending++;
    return 0;
failed:
    /* still in Redis: reloading the partition sends it again */
    if (headers != NULL)
        rd_kafka_headers_destroy(headers);
    cw_free(p);
    outbox->hooks.failed(partition, outbox->hooks.arg);
    return 0;
}

void cw_outbox_commit(cw_ops_t *ops, const cw_entries_t *entries)
{
    for (size_t i = 0; i < entries->count; i++) {
        const cw_entry_t *entry = &entries->items[i];
        cw_ops_outbox_add(ops, entry->field, entry->value, entry->value_len);
    }
}

void cw_outbox_publish_all(cw_outbox_t *outbox, int32_t partition, const cw_entries_t *entries)
{
    for (size_t i = 0; i < entries->count; i++) {
        const cw_entry_t *entry = &entries->items[i];
        if (entry->kind == CW_ENTRY_ALERT)
            outbox->env->metrics->alerts[entry->level]++;
        cw_outbox_publish(outbox, partition, entry->field, entry->field_len, entry->value,
                          entry->value_len);
    }
}

int cw_outbox_in_flight(const cw_outbox_t *outbox)
{
    return cw_producer_outstanding(outbox->producer);
}
