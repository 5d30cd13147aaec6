/* Idempotent producer for alerts and DLQ records, polled from the event loop. */
#include "producer.h"

#include <string.h>

#include "alloc.h"
#include "kafka_conf.h"
#include "kafka_log.h"
#include "log.h"
#include "wakepipe.h"

/* The output topics: alerts, dead letters, outcomes, scores. */
#define OUTPUT_TOPICS 4

struct cw_producer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *main_queue;
    rd_kafka_topic_t *topics[OUTPUT_TOPICS]; /* held only so their leaders are known early */
    cw_metrics_t *metrics;
    cw_wakepipe_t wake;
    cw_kafka_log_t log;
};

typedef struct delivery {
    cw_delivery_fn fn;
    void *arg;
} delivery_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    cw_producer_t *producer = opaque;
    delivery_t *d = msg->_private;
    if (msg->err) {
        producer->metrics->produce_errors++;
        cw_log(LOG_ERR, "kafka: delivery to %s failed: %s", rd_kafka_topic_name(msg->rkt),
               rd_kafka_err2str(msg->err));
    }
    if (d != NULL) {
        d->fn(msg->err, d->arg);
        cw_free(d);
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    cw_log(err == RD_KAFKA_RESP_ERR__FATAL ? LOG_CRIT : LOG_WARNING, "kafka producer: %s: %s",
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void serve(void *arg)
{
    cw_producer_t *producer = arg;
    while (rd_kafka_poll(producer->rk, 0) > 0)
        ;
}

cw_producer_t *cw_producer_new(struct event_base *base, const cw_config_t *config,
                               cw_metrics_t *metrics, cw_errlist_t *errs)
{
    cw_producer_t *producer = cw_calloc(1, sizeof *producer);
    if (producer == NULL)
        return NULL;
    producer->metrics = metrics;
    /* DLQ records carry input values unchanged, up to the broker's own limit */
    /* alerts, dead letters, outcomes and scores alike are compressed */
    static const char *const defaults[] = {"linger.ms", "5", "compression.codec", "lz4",
                                           "message.max.bytes", "16777216",
                                           "queue.buffering.max.messages", "1000000",
                                           "client.id", "cdrwarnd-producer", NULL};
    rd_kafka_conf_t *conf = cw_kafka_conf_new(config, defaults, errs);
    if (conf == NULL)
        goto fail;
    /* the guarantees of SPEC section 7 rest on these; set after property.*
     * so an operator cannot switch them off by accident */
    cw_kafka_conf_set(conf, "enable.idempotence", "true", errs);
    cw_kafka_conf_set(conf, "message.timeout.ms", "0", errs);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, producer);

    char errstr[512];
    producer->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (producer->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        cw_errlist_add(errs, "kafka producer: %s", errstr);
        goto fail;
    }
    if (cw_kafka_log_start(&producer->log, producer->rk, base, errs) != 0)
        goto fail;
    /* librdkafka looks a topic's leader up when the topic is first named: at
     * the first alert of a week close that held 20,000 alerts for ~0.45 s
     * (bench/RESULTS.md), and the close with them. Named now, the look-ups
     * are done by then. */
    const char *const outputs[OUTPUT_TOPICS] = {config->alert_topic, config->dlq_topic,
                                                config->outcome_topic, config->score_topic};
    for (size_t i = 0; i < OUTPUT_TOPICS; i++)
        if (outputs[i] != NULL)
            producer->topics[i] = rd_kafka_topic_new(producer->rk, outputs[i], NULL);
    producer->main_queue = rd_kafka_queue_get_main(producer->rk);
    if (cw_wakepipe_start(&producer->wake, base, producer->main_queue, 100, serve, producer,
                          "kafka producer", errs) != 0)
        goto fail;
    return producer;
fail:
    cw_producer_free(producer);
    return NULL;
}

rd_kafka_resp_err_t cw_producer_send(cw_producer_t *producer, const char *topic, const void *key,
                     size_t key_len, const void *value, size_t value_len,
                     rd_kafka_headers_t *headers, cw_delivery_fn fn, void *arg)
{
    delivery_t *d = NULL;
    if (fn != NULL) {
        d = cw_malloc(sizeof *d);
        if (d == NULL)
            return RD_KAFKA_RESP_ERR__FAIL;
        d->fn = fn;
        d->arg = arg;
    }
    rd_kafka_resp_err_t err;
    if (headers != NULL)
        err = rd_kafka_producev(producer->rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE((void *)value, value_len),
                                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    else
        err = rd_kafka_producev(producer->rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_OPAQUE(d),
                                RD_KAFKA_V_END);
    if (err) {
        producer->metrics->produce_errors++;
        cw_log(LOG_ERR, "kafka: cannot queue a message for %s: %s", topic, rd_kafka_err2str(err));
        cw_free(d);
        return err;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

int cw_producer_flush(cw_producer_t *producer, int timeout_ms)
{
    rd_kafka_flush(producer->rk, timeout_ms);
    serve(producer);
    return rd_kafka_outq_len(producer->rk);
}

int cw_producer_outstanding(const cw_producer_t *producer)
{
    return rd_kafka_outq_len(producer->rk);
}

void cw_producer_free(cw_producer_t *producer)
{
    if (producer == NULL)
        return;
    cw_wakepipe_stop(&producer->wake);
    if (producer->main_queue)
        rd_kafka_queue_destroy(producer->main_queue);
    if (producer->rk) {
        /* undelivered messages still call back, so their contexts are freed */
        rd_kafka_purge(producer->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(producer->rk, 0);
        for (size_t i = 0; i < OUTPUT_TOPICS; i++)
            if (producer->topics[i] != NULL)
                rd_kafka_topic_destroy(producer->topics[i]);
        cw_kafka_log_stop(&producer->log);
        rd_kafka_destroy(producer->rk);
    }
    cw_free(producer);
}
