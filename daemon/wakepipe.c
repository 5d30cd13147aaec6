/* The librdkafka queue wake-up for the event loop (see wakepipe.h). */
#include "wakepipe.h"

#include <event2/event.h>
#include <fcntl.h>
#include <unistd.h>

#include "alloc.h"

typedef struct served {
    void (*serve)(void *arg);
    void *arg;
} served_t;

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    served_t *served = arg;
    char drain[64];
    while (read(fd, drain, sizeof drain) > 0)
        ;
    served->serve(served->arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    served_t *served = arg;
    served->serve(served->arg);
}

int cw_wakepipe_start(cw_wakepipe_t *wake, struct event_base *base, rd_kafka_queue_t *queue,
                      int poll_ms, void (*serve)(void *arg), void *arg, const char *what,
                      cw_errlist_t *errs)
{
    *wake = (cw_wakepipe_t){.fds = {-1, -1}};
    served_t *served = cw_malloc(sizeof *served);
    if (served == NULL) {
        cw_errlist_add(errs, "%s: out of memory", what);
        return -1;
    }
    *served = (served_t){serve, arg};
    if (pipe2(wake->fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        cw_errlist_add(errs, "%s: pipe: %m", what);
        cw_free(served);
        return -1;
    }
    wake->open = true;
    wake->readable = event_new(base, wake->fds[0], EV_READ | EV_PERSIST, on_readable, served);
    wake->timer = event_new(base, -1, EV_PERSIST, on_timer, served);
    if (wake->readable == NULL || wake->timer == NULL) {
        cw_errlist_add(errs, "%s: cannot watch its queue", what);
        if (wake->readable == NULL && wake->timer == NULL)
            cw_free(served);
        cw_wakepipe_stop(wake);
        return -1;
    }
    wake->queue = queue;
    rd_kafka_queue_io_event_enable(queue, wake->fds[1], "1", 1);
    event_add(wake->readable, NULL);
    struct timeval tick = {poll_ms / 1000, (poll_ms % 1000) * 1000};
    event_add(wake->timer, &tick);
    return 0;
}

void cw_wakepipe_stop(cw_wakepipe_t *wake)
{
    if (!wake->open)
        return;
    served_t *served = NULL;
    if (wake->readable != NULL) {
        served = event_get_callback_arg(wake->readable);
        event_free(wake->readable);
    }
    if (wake->timer != NULL) {
        served = event_get_callback_arg(wake->timer);
        event_free(wake->timer);
    }
    cw_free(served);
    if (wake->queue != NULL)
        rd_kafka_queue_io_event_enable(wake->queue, -1, NULL, 0);
    for (int i = 0; i < 2; i++)
        if (wake->fds[i] >= 0)
            close(wake->fds[i]);
    *wake = (cw_wakepipe_t){.fds = {-1, -1}};
}
