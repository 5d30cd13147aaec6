/* The producer for the alert and dead-letter topics: idempotent, no delivery
 * timeout (an alert waits for the broker as long as it takes), delivery
 * reports handed to the event loop through librdkafka's queue io event. */
#ifndef CW_PRODUCER_H
#define CW_PRODUCER_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "errlist.h"
#include "metrics.h"

struct event_base;
typedef struct cw_producer cw_producer_t;

/* Called on the event loop once the message is acknowledged (err == 0) or
 * has failed for good. */
typedef void (*cw_delivery_fn)(rd_kafka_resp_err_t err, void *arg);

cw_producer_t *cw_producer_new(struct event_base *base, const cw_config_t *config,
                               cw_metrics_t *metrics, cw_errlist_t *errs);
void cw_producer_free(cw_producer_t *producer);

/* Queues one message (key and value are copied; headers are taken on success
 * and may be NULL). Returns 0, or librdkafka's reason it refused (the
 * callback is then never called). */
rd_kafka_resp_err_t cw_producer_send(cw_producer_t *producer, const char *topic, const void *key,
                     size_t key_len, const void *value, size_t value_len,
                     rd_kafka_headers_t *headers, cw_delivery_fn fn, void *arg);
/* Waits up to timeout_ms for outstanding messages; returns how many remain. */
int cw_producer_flush(cw_producer_t *producer, int timeout_ms);
/* Messages queued and not yet acknowledged. */
int cw_producer_outstanding(const cw_producer_t *producer);

#endif
