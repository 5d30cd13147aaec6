/* Alerts, outcomes and score records from Kafka into the case store (see
 * ingest.h). */
#include "ingest.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "casestore.h"
#include "clock.h"
#include "cluster.h"
#include "feed.h"
#include "intake.h"
#include "kafka_conf.h"
#include "log.h"
#include "store.h"
#include "week.h"

#define BATCH_MAX 500   /* records per batch: one alerts call of this many */
#define IN_FLIGHT_MAX 4 /* batches sent and not yet answered */
#define FEED_BULK 200   /* more changed cases than this in a batch: "reload" */
#define CLOSE_TIMEOUT_MS 10000

typedef struct position {
    char *topic; /* borrowed from the ingest's names */
    int32_t partition;
    int64_t next_offset;
} position_t;

typedef struct batch batch_t;
typedef struct call {
    batch_t *batch;
    cw_argv_t argv;
    bool done; /* answered with a usable reply */
} call_t;

struct batch {
    batch_t *next;
    cw_ingest_t *ingest;
    call_t *calls;
    int call_count;
    int answered; /* replies (of any kind) since the last send */
    bool failed;  /* a call must be sent again */
    position_t *positions;
    int position_count;
    int records;
};

struct cw_ingest {
    cw_console_env_t *env;
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    char *alert_topic, *outcome_topic, *score_topic;
    int wake_pipe[2];
    struct event *wake_event;
    struct event *poll_timer;
    batch_t *head, *tail;
    int in_flight;
    int pending_records;
};

static void drain(cw_ingest_t *ingest);

static void batch_free(batch_t *b)
{
    for (int i = 0; i < b->call_count; i++)
        cw_argv_free(&b->calls[i].argv);
    cw_free(b->calls);
    cw_free(b->positions);
    cw_free(b);
}

static bool batch_done(const batch_t *b)
{
    for (int i = 0; i < b->call_count; i++)
        if (!b->calls[i].done)
            return false;
    return true;
}

static void store_offsets(cw_ingest_t *ingest, const batch_t *b)
{
    if (b->position_count == 0)
        return;
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new(b->position_count);
    for (int i = 0; i < b->position_count; i++)
        rd_kafka_topic_partition_list_add(list, b->positions[i].topic,
                                          b->positions[i].partition)
            ->offset = b->positions[i].next_offset;
    /* fails harmlessly for a partition given away meanwhile */
    rd_kafka_offsets_store(ingest->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

/* Completed batches leave in the order they were taken, so a stored offset
 * never passes a record that is not applied yet. */
static void retire(cw_ingest_t *ingest)
{
    while (ingest->head != NULL && batch_done(ingest->head)) {
        batch_t *b = ingest->head;
        ingest->head = b->next;
        if (ingest->head == NULL)
            ingest->tail = NULL;
        store_offsets(ingest, b);
        ingest->pending_records -= b->records;
        batch_free(b);
    }
}

/* The changed cases of a reply, from element `first` on, to the live
 * stream: one "case" event each, or one "reload" when there are many. */
static void publish(cw_ingest_t *ingest, const redisReply *reply, size_t first)
{
    cw_console_env_t *env = ingest->env;
    if (reply->elements <= first)
        return;
    size_t changed = reply->elements - first;
    if (changed > FEED_BULK) {
        char text[96];
        int n = snprintf(text, sizeof text, "event: reload\ndata: {\"changed\":%zu}\n\n",
                         changed);
        cw_feed_broadcast(env->feed, text, (size_t)n);
        env->metrics.sse_events++;
        return;
    }
    struct evbuffer *out = evbuffer_new();
    if (out == NULL)
        return;
    for (size_t i = first; i < reply->elements; i++) {
        json_t *json = cw_casestore_case_json(reply->element[i], false);
        char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
        json_decref(json);
        if (text == NULL)
            continue;
        evbuffer_add_printf(out, "event: case\ndata: %s\n\n", text);
        free(text);
        env->metrics.sse_events++;
    }
    size_t len = evbuffer_get_length(out);
    const char *text = (const char *)evbuffer_pullup(out, -1);
    if (text != NULL)
        cw_feed_broadcast(env->feed, text, len);
    evbuffer_free(out);
}

static bool script_error(const redisReply *reply)
{
    return reply != NULL && reply->type == REDIS_REPLY_ERROR;
}

static void on_reply(redisReply *reply, void *arg)
{
    call_t *call = arg;
    batch_t *b = call->batch;
    cw_ingest_t *ingest = b->ingest;
    cw_console_env_t *env = ingest->env;
    b->answered++;
    bool ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
              reply->element[0]->type == REDIS_REPLY_INTEGER;
    if (!ok) {
        if (script_error(reply) && cw_cluster_reply_kind(reply, NULL, NULL) != CW_CLUSTER_ANSWER)
            cw_log(LOG_WARNING, "console: the Redis Cluster is changing (%s); the batch goes "
                                "again",
                   reply->str);
        else if (script_error(reply))
            cw_log(LOG_ERR, "console: the case store refused a batch: %s", reply->str);
        b->failed = true;
    } else {
        call->done = true;
        const char *op = call->argv.items[2];
        if (strcmp(op, "alerts") == 0 && reply->elements >= 3) {
            env->metrics.alerts_new += (uint64_t)reply->element[0]->integer;
            env->metrics.alerts_raised += (uint64_t)reply->element[1]->integer;
            env->metrics.alerts_duplicate += (uint64_t)reply->element[2]->integer;
            publish(ingest, reply, 3);
        } else if (strcmp(op, "scores") == 0 && reply->elements >= 3) {
            env->metrics.scores_new += (uint64_t)reply->element[0]->integer;
            env->metrics.scores_raised += (uint64_t)reply->element[1]->integer;
            env->metrics.scores_duplicate += (uint64_t)reply->element[2]->integer;
            publish(ingest, reply, 3);
        } else if (strcmp(op, "outcome") == 0) {
            if (reply->element[0]->integer == 1) {
                env->metrics.outcomes_applied++;
                env->metrics.cases_auto_closed += reply->elements - 1;
            } else {
                env->metrics.outcomes_duplicate++;
            }
            publish(ingest, reply, 1);
        }
    }
    if (b->answered == b->call_count) {
        ingest->in_flight--;
        if (b->failed)
            env->metrics.batch_retries++;
    }
    retire(ingest);
}

static int send_batch(cw_ingest_t *ingest, batch_t *b)
{
    b->answered = 0;
    b->failed = false;
    int sent = 0;
    for (int i = 0; i < b->call_count; i++) {
        if (b->calls[i].done) {
            b->answered++;
            continue;
        }
        if (cw_casestore_send(ingest->env, &b->calls[i].argv, on_reply,
                              &b->calls[i]) != 0) {
            b->answered++;
            b->failed = true;
        } else {
            sent++;
        }
    }
    if (sent > 0 || b->answered < b->call_count)
        ingest->in_flight++;
    else if (b->failed)
        return -1;
    return 0;
}

/* Sends again the batches whose calls failed, oldest first. */
static bool resend_failed(cw_ingest_t *ingest)
{
    bool waiting = false;
    for (batch_t *b = ingest->head; b != NULL; b = b->next) {
        if (!b->failed || b->answered < b->call_count)
            continue;
        if (!cw_casestore_ready(ingest->env) || send_batch(ingest, b) != 0) {
            waiting = true;
            break;
        }
    }
    return waiting;
}

static bool any_failed(const cw_ingest_t *ingest)
{
    for (batch_t *b = ingest->head; b != NULL; b = b->next)
        if (b->failed)
            return true;
    return false;
}

static void add_position(batch_t *b, char *topic, int32_t partition, int64_t offset)
{
    for (int i = 0; i < b->position_count; i++)
        if (b->positions[i].topic == topic && b->positions[i].partition == partition) {
            if (offset + 1 > b->positions[i].next_offset)
                b->positions[i].next_offset = offset + 1;
            return;
        }
    b->positions[b->position_count++] = (position_t){topic, partition, offset + 1};
}

static call_t *new_call(batch_t *b)
{
    call_t *call = &b->calls[b->call_count++];
    call->batch = b;
    return call;
}

static void log_bad(const rd_kafka_message_t *msg, const char *what, const char *why)
{
    /* the value holds a subscriber number: never logged, only where it is */
    cw_log(LOG_WARNING, "console: %s at %s [%d] offset %lld cannot be used: %s", what,
           rd_kafka_topic_name(msg->rkt), (int)msg->partition, (long long)msg->offset,
           why);
}

static void take(cw_ingest_t *ingest, rd_kafka_message_t **msgs, ssize_t n)
{
    cw_console_env_t *env = ingest->env;
    batch_t *b = cw_calloc(1, sizeof *b);
    if (b != NULL) {
        b->ingest = ingest;
        b->calls = cw_calloc((size_t)n + 2, sizeof *b->calls);
        b->positions = cw_calloc((size_t)n, sizeof *b->positions);
    }
    if (b == NULL || b->calls == NULL || b->positions == NULL)
        cw_log_fatal(
            "console: out of memory taking %zd records; exiting so that they are "
            "read again after the restart",
            n);
    int64_t now = cw_wall_ms();
    call_t *alerts = new_call(b);
    cw_casestore_alerts_begin(env, &alerts->argv, now);
    int alert_count = 0;
    call_t *scores = new_call(b);
    cw_casestore_scores_begin(env, &scores->argv, now);
    int score_count = 0;
    for (ssize_t i = 0; i < n; i++) {
        rd_kafka_message_t *msg = msgs[i];
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                cw_log(LOG_WARNING, "console: kafka: %s", rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            continue;
        }
        const char *topic = rd_kafka_topic_name(msg->rkt);
        char *name = strcmp(topic, ingest->alert_topic) == 0     ? ingest->alert_topic
                     : strcmp(topic, ingest->outcome_topic) == 0 ? ingest->outcome_topic
                     : strcmp(topic, ingest->score_topic) == 0   ? ingest->score_topic
                                                                 : NULL;
        if (name == NULL) {
            rd_kafka_message_destroy(msg);
            continue;
        }
        add_position(b, name, msg->partition, msg->offset);
        b->records++;
        char why[160];
        if (name == ingest->alert_topic) {
            cw_intake_alert_t alert;
            if (cw_intake_alert_parse(msg->payload, msg->len, &alert, why, sizeof why) !=
                0) {
                env->metrics.bad_records++;
                log_bad(msg, "alert", why);
            } else {
                cw_casestore_alerts_add(env, &alerts->argv, &alert);
                cw_intake_alert_free(&alert);
                alert_count++;
            }
        } else if (name == ingest->score_topic) {
            cw_intake_score_t score;
            if (cw_intake_score_parse(msg->payload, msg->len, &score, why, sizeof why) !=
                0) {
                env->metrics.bad_records++;
                log_bad(msg, "score record", why);
            } else {
                cw_casestore_scores_add(env, &scores->argv, &score);
                cw_intake_score_free(&score);
                score_count++;
            }
        } else {
            cw_intake_outcome_t outcome;
            int32_t week;
            if (cw_intake_outcome_parse(msg->payload, msg->len, &outcome, why,
                                        sizeof why) != 0 ||
                cw_week_parse_label(outcome.week, strlen(outcome.week), &week) != 0) {
                env->metrics.bad_records++;
                log_bad(msg, "outcome", why);
            } else {
                char low[CW_WEEK_LABEL_SIZE];
                cw_week_label(
                    week - (int32_t)env->config->rules.outcome_horizon_weeks, low);
                call_t *call = new_call(b);
                cw_casestore_outcome(env, &call->argv, &outcome, low, now);
            }
        }
        rd_kafka_message_destroy(msg);
    }
    cw_casestore_alerts_end(&alerts->argv, alert_count);
    if (alert_count == 0) {
        /* nothing for the alerts call to do: it counts as answered */
        cw_argv_free(&alerts->argv);
        alerts->done = true;
    }
    cw_casestore_alerts_end(&scores->argv, score_count);
    if (score_count == 0) {
        cw_argv_free(&scores->argv);
        scores->done = true;
    }
    for (int i = 0; i < b->call_count; i++)
        if (b->calls[i].argv.failed)
            cw_log_fatal(
                "console: out of memory building a batch; exiting so that it is read "
                "again after the restart");
    env->metrics.batches++;
    ingest->pending_records += b->records;
    if (ingest->tail)
        ingest->tail->next = b;
    else
        ingest->head = b;
    ingest->tail = b;
    if (batch_done(b)) {
        retire(ingest);
        return;
    }
    if (send_batch(ingest, b) != 0)
        b->failed = true;
}

static void drain(cw_ingest_t *ingest)
{
    cw_console_env_t *env = ingest->env;
    if (env->stopping || !cw_casestore_ready(env))
        return;
    if (any_failed(ingest) && resend_failed(ingest))
        return;
    rd_kafka_message_t *msgs[BATCH_MAX];
    while (ingest->in_flight < IN_FLIGHT_MAX && !any_failed(ingest)) {
        ssize_t n = rd_kafka_consume_batch_queue(ingest->queue, 0, msgs, BATCH_MAX);
        if (n <= 0)
            break;
        take(ingest, msgs, n);
    }
}

void cw_ingest_kick(cw_ingest_t *ingest)
{
    if (ingest != NULL)
        drain(ingest);
}

int cw_ingest_pending(const cw_ingest_t *ingest)
{
    return ingest ? ingest->pending_records : 0;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    drain(arg);
}

static void on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
    /* the io event fires only when the queue turns non-empty; this also
     * resends failed batches once Redis is back */
    drain(arg);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque)
{
    cw_ingest_t *ingest = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        cw_log(LOG_INFO, "console: kafka: assigned %d partition(s)", list->cnt);
        rd_kafka_assign(rk, list);
        ingest->env->metrics.consumer_joined = 1;
    } else {
        cw_log(LOG_INFO, "console: kafka: revoked %d partition(s)", list->cnt);
        rd_kafka_assign(rk, NULL);
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    cw_log(LOG_WARNING, "console: kafka: %s: %s",
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

cw_ingest_t *cw_ingest_new(cw_console_env_t *env, cw_errlist_t *errs)
{
    const cw_config_t *config = env->config;
    cw_ingest_t *ingest = cw_calloc(1, sizeof *ingest);
    if (ingest == NULL)
        return NULL;
    ingest->env = env;
    ingest->wake_pipe[0] = ingest->wake_pipe[1] = -1;
    ingest->alert_topic = cw_strdup(config->alert_topic);
    ingest->outcome_topic = cw_strdup(config->outcome_topic);
    ingest->score_topic = cw_strdup(config->score_topic);
    if (ingest->alert_topic == NULL || ingest->outcome_topic == NULL ||
        ingest->score_topic == NULL)
        goto fail;
    static const char *const defaults[] = {
        "auto.offset.reset",          "earliest", "client.id", "cdrwarn-console",
        "queued.max.messages.kbytes", "16384",    NULL};
    rd_kafka_conf_t *conf = cw_kafka_conf_new(config, defaults, errs);
    if (conf == NULL)
        goto fail;
    cw_kafka_conf_set(conf, "group.id", config->console_group_id, errs);
    cw_kafka_conf_set(conf, "enable.auto.offset.store", "false", errs);
    cw_kafka_conf_set(conf, "enable.auto.commit", "true", errs);
    cw_kafka_conf_set(conf, "auto.commit.interval.ms", "1000", errs);
    cw_kafka_conf_set(conf, "enable.partition.eof", "false", errs);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, ingest);
    char errstr[512];
    ingest->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (ingest->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        cw_errlist_add(errs, "kafka consumer: %s", errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(ingest->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(topics, ingest->alert_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, ingest->outcome_topic,
                                      RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, ingest->score_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(ingest->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        cw_errlist_add(errs, "kafka: cannot subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }
    if (pipe2(ingest->wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        cw_errlist_add(errs, "kafka consumer: pipe: %m");
        goto fail;
    }
    ingest->queue = rd_kafka_queue_get_consumer(ingest->rk);
    rd_kafka_queue_io_event_enable(ingest->queue, ingest->wake_pipe[1], "1", 1);
    ingest->wake_event = event_new(env->base, ingest->wake_pipe[0],
                                   EV_READ | EV_PERSIST, on_wake, ingest);
    ingest->poll_timer = event_new(env->base, -1, EV_PERSIST, on_poll_timer, ingest);
    if (ingest->wake_event == NULL || ingest->poll_timer == NULL)
        goto fail;
    event_add(ingest->wake_event, NULL);
    struct timeval tick = {0, 100 * 1000};
    event_add(ingest->poll_timer, &tick);
    return ingest;
fail:
    cw_ingest_free(ingest);
    return NULL;
}

void cw_ingest_free(cw_ingest_t *ingest)
{
    if (ingest == NULL)
        return;
    if (ingest->wake_event)
        event_free(ingest->wake_event);
    if (ingest->poll_timer)
        event_free(ingest->poll_timer);
    if (ingest->queue) {
        rd_kafka_queue_io_event_enable(ingest->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(ingest->queue);
    }
    if (ingest->rk) {
        /* a bounded close: with the broker gone it would wait for ever, and
         * anything not committed is only read (and de-duplicated) again */
        rd_kafka_queue_t *queue = rd_kafka_queue_new(ingest->rk);
        rd_kafka_error_t *error = rd_kafka_consumer_close_queue(ingest->rk, queue);
        if (error != NULL) {
            rd_kafka_error_destroy(error);
        } else {
            int64_t deadline = cw_mono_ms() + CLOSE_TIMEOUT_MS;
            while (!rd_kafka_consumer_closed(ingest->rk) && cw_mono_ms() < deadline) {
                rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 100);
                /* the revocation must be acknowledged, or the close never ends */
                if (event != NULL &&
                    rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE)
                    on_rebalance(ingest->rk, rd_kafka_event_error(event),
                                 rd_kafka_event_topic_partition_list(event), ingest);
                if (event)
                    rd_kafka_event_destroy(event);
            }
        }
        rd_kafka_queue_destroy(queue);
        rd_kafka_destroy_flags(ingest->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    for (int i = 0; i < 2; i++)
        if (ingest->wake_pipe[i] >= 0)
            close(ingest->wake_pipe[i]);
    while (ingest->head) {
        batch_t *b = ingest->head;
        ingest->head = b->next;
        batch_free(b);
    }
    cw_free(ingest->alert_topic);
    cw_free(ingest->outcome_topic);
    cw_free(ingest->score_topic);
    cw_free(ingest);
}
