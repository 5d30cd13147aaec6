/* librdkafka's logs served from the event loop (see kafka_log.h). */
#include "kafka_log.h"

#include <string.h>

#include "log.h"

/* property.* lines go to the consumer and the producer alike; that one of
 * them ignores a property meant for the other is not news */
static int level_of(const char *fac, const char *text, int level)
{
    if (strcmp(fac, "CONFWARN") == 0 &&
        (strstr(text, "is a consumer property and will be ignored by this producer") ||
         strstr(text, "is a producer property and will be ignored by this consumer")))
        return LOG_DEBUG;
    return level; /* librdkafka levels are syslog levels */
}

void cw_kafka_log_line(const rd_kafka_t *rk, int level, const char *fac, const char *text)
{
    cw_log_limited(level_of(fac, text, level), "kafka %s: %s: %s", rd_kafka_name(rk), fac,
                   text);
}

static void serve(void *arg)
{
    cw_kafka_log_t *log = arg;
    rd_kafka_event_t *event;
    while ((event = rd_kafka_queue_poll(log->queue, 0)) != NULL) {
        const char *fac = NULL, *text = NULL;
        int level = LOG_INFO;
        if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_LOG &&
            rd_kafka_event_log(event, &fac, &text, &level) == 0)
            cw_kafka_log_line(log->rk, level, fac ? fac : "", text ? text : "");
        rd_kafka_event_destroy(event);
    }
}

int cw_kafka_log_start(cw_kafka_log_t *log, rd_kafka_t *rk, struct event_base *base,
                       cw_errlist_t *errs)
{
    memset(log, 0, sizeof *log);
    log->rk = rk;
    log->queue = rd_kafka_queue_new(rk);
    if (log->queue == NULL) {
        cw_errlist_add(errs, "kafka %s: cannot make its log queue", rd_kafka_name(rk));
        return -1;
    }
    if (cw_wakepipe_start(&log->wake, base, log->queue, 1000, serve, log, "kafka log", errs) !=
        0) {
        rd_kafka_queue_destroy(log->queue);
        log->queue = NULL;
        return -1;
    }
    rd_kafka_set_log_queue(rk, log->queue);
    return 0;
}

void cw_kafka_log_stop(cw_kafka_log_t *log)
{
    if (log->queue == NULL)
        return;
    serve(log);
    rd_kafka_set_log_queue(log->rk, NULL);
    cw_wakepipe_stop(&log->wake);
    rd_kafka_queue_destroy(log->queue);
    log->queue = NULL;
}
