/* Publishing outbox entries, retrying failed ones, and removing them from
 * Redis on acknowledgement (see outbox.h). Every entry between its first
 * send and its removal is tracked by (partition, field), so a reload that
 * finds it in Redis again does not send it twice, and a failed one waits
 * its own backoff instead of taking its partition's whole outbox with it. */
#include "outbox.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "hash.h"
#include "keys.h"
#include "log.h"
#include "producer.h"
#include "store.h"

#define HDEL_MAX_FIELDS 500
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS (5 * 60 * 1000)
#define RETRY_TICK_MS 250
#define ERROR_KINDS 32

typedef enum { IN_FLIGHT, SCHEDULED, ACKED } stage_t;

typedef struct tracked {
    struct tracked *chain;    /* in the table's bucket */
    struct tracked *next;     /* in the acknowledged or the scheduled list */
    cw_outbox_t *outbox;
    int32_t partition;
    cw_entry_kind_t kind;
    stage_t stage;
    int attempts;             /* failed sends so far */
    int64_t retry_at_ms;      /* monotonic, when scheduled */
    uint64_t hash;
    size_t field_len;
    char field[];
} tracked_t;

/* Publish errors by entry kind and librdkafka error, for /metrics. */
typedef struct error_count {
    cw_entry_kind_t kind;
    rd_kafka_resp_err_t err;
    uint64_t count;
} error_count_t;

struct cw_outbox {
    const cw_env_t *env;
    cw_producer_t *producer;
    cw_outbox_hooks_t hooks;
    int64_t max_entries;
    tracked_t **buckets;      /* by hash of (partition, field) */
    size_t bucket_count;
    size_t tracked;           /* entries between their first send and their removal */
    tracked_t *acked;         /* acknowledged, not yet removed from Redis */
    tracked_t *scheduled;     /* failed, waiting for their retry */
    struct removal *removing; /* HDELs sent, not yet answered */
    struct event *flush;
    struct event *retry_timer;
    uint64_t sends;
    error_count_t errors[ERROR_KINDS];
    size_t error_kinds;
    /* per kind: the last failure while no delivery of that kind succeeded since */
    char failing[CW_ENTRY__COUNT][192];
    int64_t failing_since_ms[CW_ENTRY__COUNT];
};

static void send_tracked(tracked_t *t, const char *value, size_t value_len);

/* ---- tracking ------------------------------------------------------------ */

static uint64_t hash_of(int32_t partition, const char *field, size_t field_len)
{
    return cw_hash64(field, field_len, (uint64_t)partition * 0x9e3779b97f4a7c15ULL + 1);
}

static tracked_t *find(const cw_outbox_t *outbox, int32_t partition, const char *field,
                       size_t field_len, uint64_t hash)
{
    for (tracked_t *t = outbox->buckets[hash % outbox->bucket_count]; t != NULL; t = t->chain)
        if (t->hash == hash && t->partition == partition && t->field_len == field_len &&
            memcmp(t->field, field, field_len) == 0)
            return t;
    return NULL;
}

static void grow_table(cw_outbox_t *outbox)
{
    size_t count = outbox->bucket_count * 2;
    tracked_t **buckets = cw_calloc(count, sizeof *buckets);
    if (buckets == NULL)
        return; /* longer chains, still correct */
    for (size_t b = 0; b < outbox->bucket_count; b++) {
        tracked_t *t = outbox->buckets[b];
        while (t != NULL) {
            tracked_t *chain = t->chain;
            t->chain = buckets[t->hash % count];
            buckets[t->hash % count] = t;
            t = chain;
        }
    }
    cw_free(outbox->buckets);
    outbox->buckets = buckets;
    outbox->bucket_count = count;
}

static tracked_t *track(cw_outbox_t *outbox, int32_t partition, const char *field,
                        size_t field_len, uint64_t hash)
{
    tracked_t *t = cw_calloc(1, sizeof *t + field_len + 1);
    if (t == NULL)
        return NULL;
    t->outbox = outbox;
    t->partition = partition;
    t->hash = hash;
    t->field_len = field_len;
    memcpy(t->field, field, field_len);
    if (outbox->tracked >= outbox->bucket_count)
        grow_table(outbox);
    t->chain = outbox->buckets[hash % outbox->bucket_count];
    outbox->buckets[hash % outbox->bucket_count] = t;
    outbox->tracked++;
    return t;
}

static void untrack(tracked_t *t)
{
    cw_outbox_t *outbox = t->outbox;
    tracked_t **link = &outbox->buckets[t->hash % outbox->bucket_count];
    while (*link != t)
        link = &(*link)->chain;
    *link = t->chain;
    outbox->tracked--;
    cw_free(t);
}

/* ---- removal on acknowledgement ------------------------------------------- */

/* One HDEL on its way. Its entries stay tracked until Redis answered, so a
 * reload whose read of the outbox was sent before the HDEL does not send
 * them again (cw_outbox_publish skips tracked entries). */
typedef struct removal {
    struct removal *next;      /* in outbox->removing */
    cw_outbox_t *outbox;       /* NULL once the outbox is freed */
    tracked_t *taken;          /* chained by their `next` */
} removal_t;

static void untrack_all(tracked_t *taken)
{
    while (taken != NULL) {
        tracked_t *next = taken->next;
        untrack(taken);
        taken = next;
    }
}

static void on_removed(redisReply *reply, void *arg)
{
    /* a failed HDEL only means the entry may be sent once more later */
    (void)reply;
    removal_t *removal = arg;
    cw_outbox_t *outbox = removal->outbox;
    if (outbox != NULL) {
        removal_t **link = &outbox->removing;
        while (*link != removal)
            link = &(*link)->next;
        *link = removal->next;
        untrack_all(removal->taken);
    }
    cw_free(removal);
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
        tracked_t **link = &outbox->acked, *taken = NULL;
        while (*link != NULL && argc < HDEL_MAX_FIELDS + 2) {
            tracked_t *t = *link;
            if (t->partition != partition) {
                link = &t->next;
                continue;
            }
            *link = t->next;
            t->next = taken;
            taken = t;
            argv[argc] = t->field;
            argvlen[argc++] = t->field_len;
        }
        argv[0] = "HDEL";
        argvlen[0] = 4;
        argv[1] = key;
        argvlen[1] = cw_key_outbox(key, outbox->env->config->key_prefix, partition);
        removal_t *removal = cw_calloc(1, sizeof *removal);
        if (removal != NULL && store != NULL && cw_store_ready(store)) {
            removal->outbox = outbox;
            removal->taken = taken;
            if (cw_store_send(store, on_removed, removal, argc, argv, argvlen) == 0) {
                removal->next = outbox->removing;
                outbox->removing = removal;
                continue;
            }
        }
        /* not sent: the entries stay in Redis, and a reload sends them */
        cw_free(removal);
        untrack_all(taken);
    }
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    cw_outbox_t *outbox = arg;
    flush_acked(outbox);
    /* deliveries make room in the producer: steps waiting for it may go */
    outbox->hooks.room(outbox->hooks.arg);
}

/* ---- failures and retries -------------------------------------------------- */

static const char *topic_of(const cw_outbox_t *outbox, cw_entry_kind_t kind)
{
    const cw_config_t *config = outbox->env->config;
    switch (kind) {
    case CW_ENTRY_ALERT:
        return config->alert_topic;
    case CW_ENTRY_OUTCOME:
        return config->outcome_topic;
    case CW_ENTRY_SCORE:
        return config->score_topic;
    default:
        return config->dlq_topic;
    }
}

static void count_error(cw_outbox_t *outbox, cw_entry_kind_t kind, rd_kafka_resp_err_t err)
{
    for (size_t i = 0; i < outbox->error_kinds; i++)
        if (outbox->errors[i].kind == kind && outbox->errors[i].err == err) {
            outbox->errors[i].count++;
            return;
        }
    if (outbox->error_kinds < ERROR_KINDS)
        outbox->errors[outbox->error_kinds++] = (error_count_t){kind, err, 1};
}

/* The entry is still in Redis: it is sent again after its own backoff,
 * doubling from a second up to five minutes, read back from Redis then. */
static void schedule_retry(tracked_t *t, rd_kafka_resp_err_t err)
{
    cw_outbox_t *outbox = t->outbox;
    count_error(outbox, t->kind, err);
    if (outbox->failing[t->kind][0] == '\0')
        outbox->failing_since_ms[t->kind] = cw_mono_ms();
    snprintf(outbox->failing[t->kind], sizeof outbox->failing[t->kind], "%s: %s",
             topic_of(outbox, t->kind), rd_kafka_err2str(err));
    int64_t wait_ms = RETRY_MIN_MS;
    for (int i = 1; i < t->attempts && wait_ms < RETRY_MAX_MS; i++)
        wait_ms *= 2;
    t->attempts++;
    t->retry_at_ms = cw_mono_ms() + (wait_ms < RETRY_MAX_MS ? wait_ms : RETRY_MAX_MS);
    t->stage = SCHEDULED;
    t->next = outbox->scheduled;
    outbox->scheduled = t;
    cw_log(LOG_WARNING, "outbox: publishing to %s failed (%s); the entry waits %lld ms, then "
                        "goes again",
           topic_of(outbox, t->kind), rd_kafka_err2str(err),
           (long long)(t->retry_at_ms - cw_mono_ms()));
}

static void on_delivered(rd_kafka_resp_err_t err, void *arg)
{
    tracked_t *t = arg;
    cw_outbox_t *outbox = t->outbox;
    cw_metrics_t *metrics = outbox->env->metrics;
    metrics->outbox_pending--;
    if (err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        return; /* the producer is closing: still in Redis, sent after the restart */
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        schedule_retry(t, err);
        return;
    }
    outbox->failing[t->kind][0] = '\0';
    if (t->kind == CW_ENTRY_ALERT)
        metrics->alerts_delivered++;
    if (outbox->acked == NULL)
        event_active(outbox->flush, EV_TIMEOUT, 0);
    t->stage = ACKED;
    t->next = outbox->acked;
    outbox->acked = t;
}

static void on_reread(redisReply *reply, void *arg)
{
    tracked_t *t = arg;
    if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
        send_tracked(t, reply->str, reply->len);
    } else if (reply != NULL && reply->type == REDIS_REPLY_NIL) {
        untrack(t); /* removed meanwhile: published by another */
    } else {
        t->attempts--; /* Redis's failure, not Kafka's: the same wait again */
        schedule_retry(t, RD_KAFKA_RESP_ERR__TRANSPORT);
    }
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_outbox_t *outbox = arg;
    cw_store_t *store = outbox->env->store;
    if (store == NULL || !cw_store_ready(store))
        return;
    int64_t now = cw_mono_ms();
    tracked_t **link = &outbox->scheduled;
    while (*link != NULL) {
        tracked_t *t = *link;
        if (t->retry_at_ms > now) {
            link = &t->next;
            continue;
        }
        *link = t->next;
        t->stage = IN_FLIGHT;
        char key[CW_KEY_SIZE];
        const char *argv[3] = {"HGET", key, t->field};
        size_t argvlen[3] = {4, cw_key_outbox(key, outbox->env->config->key_prefix, t->partition),
                             t->field_len};
        if (cw_store_send(store, on_reread, t, 3, argv, argvlen) != 0) {
            t->stage = SCHEDULED;
            t->next = *link;
            *link = t;
            return; /* Redis not ready: the next tick */
        }
    }
}

/* ---- publishing ------------------------------------------------------------ */

static void send_tracked(tracked_t *t, const char *value, size_t value_len)
{
    cw_outbox_t *outbox = t->outbox;
    cw_message_t message;
    if (cw_entry_decode(t->field, t->field_len, value, value_len, &message) != 0) {
        cw_log(LOG_ERR, "partition %d: outbox entry not understood; left in place",
               t->partition);
        untrack(t);
        return;
    }
    t->kind = message.kind;
    t->stage = IN_FLIGHT;
    rd_kafka_headers_t *headers = rd_kafka_headers_new((size_t)message.header_count);
    for (int i = 0; i < message.header_count; i++)
        rd_kafka_header_add(headers, message.headers[i].name, -1, message.headers[i].value, -1);
    outbox->sends++;
    rd_kafka_resp_err_t err =
        cw_producer_send(outbox->producer, topic_of(outbox, message.kind), message.key,
                         message.key_len, message.value, message.value_len, headers,
                         on_delivered, t);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(headers);
        schedule_retry(t, err);
        return;
    }
    outbox->env->metrics->outbox_pending++;
}

int cw_outbox_publish(cw_outbox_t *outbox, int32_t partition, const char *field,
                      size_t field_len, const char *value, size_t value_len)
{
    cw_message_t message;
    if (cw_entry_decode(field, field_len, value, value_len, &message) != 0)
        return -1;
    uint64_t hash = hash_of(partition, field, field_len);
    if (find(outbox, partition, field, field_len, hash) != NULL)
        return 0; /* already on its way, or waiting for its retry */
    tracked_t *t = track(outbox, partition, field, field_len, hash);
    if (t == NULL)
        return 0; /* out of memory: it stays in Redis, a reload sends it */
    send_tracked(t, value, value_len);
    return 0;
}

void cw_outbox_forget(cw_outbox_t *outbox, int32_t partition)
{
    tracked_t **link = &outbox->scheduled;
    while (*link != NULL) {
        tracked_t *t = *link;
        if (t->partition != partition) {
            link = &t->next;
            continue;
        }
        *link = t->next;
        untrack(t); /* the partition's next owner sends it from Redis */
    }
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
        else if (entry->kind == CW_ENTRY_OUTCOME)
            cw_metrics_churn(outbox->env->metrics, entry->churn_kind, entry->level,
                             entry->lead_weeks);
        else if (entry->kind == CW_ENTRY_SCORE) {
            outbox->env->metrics->score_records[0] += entry->level != 0;
            outbox->env->metrics->score_records[1] += entry->churn_kind != 0;
        }
        cw_outbox_publish(outbox, partition, entry->field, entry->field_len, entry->value,
                          entry->value_len);
    }
}

int cw_outbox_in_flight(const cw_outbox_t *outbox)
{
    return cw_producer_outstanding(outbox->producer);
}

bool cw_outbox_backlogged(const cw_outbox_t *outbox)
{
    return (int64_t)outbox->tracked >= outbox->max_entries;
}

bool cw_outbox_trouble(const cw_outbox_t *outbox, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    int64_t now = cw_mono_ms();
    for (int k = 0; k < CW_ENTRY__COUNT; k++)
        if (outbox->failing[k][0] != '\0' && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s (for %lld s)", len ? "; " : "",
                                    outbox->failing[k],
                                    (long long)((now - outbox->failing_since_ms[k]) / 1000));
    return len > 0;
}

void cw_outbox_render(const cw_outbox_t *outbox, struct evbuffer *out)
{
    evbuffer_add_printf(out, "# HELP cdrwarn_outbox_entries Outbox entries between their first "
                             "send and their removal from Redis (in flight, waiting for a retry "
                             "or for removal).\n# TYPE cdrwarn_outbox_entries gauge\n"
                             "cdrwarn_outbox_entries %zu\n",
                        outbox->tracked);
    evbuffer_add_printf(out, "# HELP cdrwarn_outbox_sends_total Messages handed to the Kafka "
                             "producer, retries included.\n# TYPE cdrwarn_outbox_sends_total "
                             "counter\ncdrwarn_outbox_sends_total %llu\n",
                        (unsigned long long)outbox->sends);
    evbuffer_add_printf(out, "# HELP cdrwarn_publish_errors_total Deliveries that failed, by "
                             "topic and error (the entry is retried).\n"
                             "# TYPE cdrwarn_publish_errors_total counter\n");
    for (size_t i = 0; i < outbox->error_kinds; i++)
        evbuffer_add_printf(out, "cdrwarn_publish_errors_total{topic=\"%s\",error=\"%s\"} %llu\n",
                            topic_of(outbox, outbox->errors[i].kind),
                            rd_kafka_err2name(outbox->errors[i].err),
                            (unsigned long long)outbox->errors[i].count);
}

/* ---- life cycle -------------------------------------------------------------- */

cw_outbox_t *cw_outbox_new(const cw_env_t *env, cw_producer_t *producer, int64_t max_entries,
                           const cw_outbox_hooks_t *hooks)
{
    cw_outbox_t *outbox = cw_calloc(1, sizeof *outbox);
    if (outbox == NULL)
        return NULL;
    outbox->env = env;
    outbox->producer = producer;
    outbox->hooks = *hooks;
    outbox->max_entries = max_entries;
    outbox->bucket_count = 1024;
    outbox->buckets = cw_calloc(outbox->bucket_count, sizeof *outbox->buckets);
    outbox->flush = event_new(env->base, -1, 0, on_flush, outbox);
    outbox->retry_timer = event_new(env->base, -1, EV_PERSIST, on_retry_timer, outbox);
    struct timeval tick = {0, RETRY_TICK_MS * 1000};
    if (outbox->buckets == NULL || outbox->flush == NULL || outbox->retry_timer == NULL ||
        event_add(outbox->retry_timer, &tick) != 0) {
        cw_outbox_free(outbox);
        return NULL;
    }
    return outbox;
}

void cw_outbox_flush(cw_outbox_t *outbox)
{
    if (outbox != NULL && outbox->buckets != NULL)
        flush_acked(outbox);
}

void cw_outbox_free(cw_outbox_t *outbox)
{
    if (outbox == NULL)
        return;
    if (outbox->buckets != NULL)
        flush_acked(outbox);
    /* HDELs still unanswered: their entries are freed below with the rest */
    for (removal_t *removal = outbox->removing; removal != NULL; removal = removal->next)
        removal->outbox = NULL;
    /* what is still tracked stays in Redis and is sent after the restart; the
     * producer is gone, so no delivery report refers to it any more */
    for (size_t b = 0; outbox->buckets != NULL && b < outbox->bucket_count; b++) {
        tracked_t *t = outbox->buckets[b];
        while (t != NULL) {
            tracked_t *chain = t->chain;
            cw_free(t);
            t = chain;
        }
    }
    cw_free(outbox->buckets);
    if (outbox->flush)
        event_free(outbox->flush);
    if (outbox->retry_timer)
        event_free(outbox->retry_timer);
    cw_free(outbox);
}
