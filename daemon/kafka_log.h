/* librdkafka's log lines on the event loop: with log.queue set (see
 * kafka_conf.c), a client's logs wait on a queue of their own, served here
 * from the loop, instead of calling back from librdkafka's threads. */
#ifndef CW_KAFKA_LOG_H
#define CW_KAFKA_LOG_H

#include <librdkafka/rdkafka.h>

#include "errlist.h"
#include "wakepipe.h"

struct event_base;

typedef struct cw_kafka_log {
    rd_kafka_t *rk;            /* borrowed */
    rd_kafka_queue_t *queue;
    cw_wakepipe_t wake;
} cw_kafka_log_t;

/* Writes one librdkafka log line (rate-limited: an outage repeats them). */
void cw_kafka_log_line(const rd_kafka_t *rk, int level, const char *fac, const char *text);

/* Starts serving rk's logs on the loop. Returns 0 or -1 (errs). */
int cw_kafka_log_start(cw_kafka_log_t *log, rd_kafka_t *rk, struct event_base *base,
                       cw_errlist_t *errs);
/* Writes what is queued, then hands rk's logs back to its main queue. Safe
 * on a zeroed one. */
void cw_kafka_log_stop(cw_kafka_log_t *log);

#endif
