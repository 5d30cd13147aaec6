/* Wakes the event loop when a librdkafka queue gets something: librdkafka
 * writes a byte into a pipe (rd_kafka_queue_io_event_enable), libevent
 * watches the pipe's other end; a timer serves the queue too, as a safety
 * net, since the io event fires only when the queue becomes non-empty. */
#ifndef CW_WAKEPIPE_H
#define CW_WAKEPIPE_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>

#include "errlist.h"

struct event_base;
struct event;

typedef struct cw_wakepipe {
    rd_kafka_queue_t *queue;   /* borrowed */
    bool open;                 /* the pipe exists */
    int fds[2];
    struct event *readable;
    struct event *timer;
} cw_wakepipe_t;

/* Starts calling serve(arg) on the loop whenever `queue` has events, and
 * every `poll_ms`. Returns 0, or -1 with the reason in errs (`what` names
 * the queue's owner). */
int cw_wakepipe_start(cw_wakepipe_t *wake, struct event_base *base, rd_kafka_queue_t *queue,
                      int poll_ms, void (*serve)(void *arg), void *arg, const char *what,
                      cw_errlist_t *errs);
/* Stops watching and closes the pipe (the queue stays). Safe on a zeroed or
 * half-started one. */
void cw_wakepipe_stop(cw_wakepipe_t *wake);

#endif
