/* GET /healthz and GET /metrics on [http] listen (libevent evhttp). What
 * they say comes from whoever created the server, through two callbacks. */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"

struct event_base;
struct evbuffer;
typedef struct cw_http cw_http_t;

typedef struct cw_http_handlers {
    /* The reasons the daemon is not healthy, as a JSON array of strings
     * into buf (an empty array when healthy); true when healthy. */
    bool (*health)(char *buf, size_t size, void *arg);
    /* Extra JSON members of /healthz ("\"partitions\":3"). */
    void (*health_extra)(struct evbuffer *out, void *arg);
    /* The Prometheus text of /metrics. */
    void (*metrics)(struct evbuffer *out, void *arg);
    void *arg;
} cw_http_handlers_t;

/* Binds the listen address; NULL with the reason in errs. */
cw_http_t *cw_http_new(struct event_base *base, const char *listen,
                       const cw_http_handlers_t *handlers, cw_errlist_t *errs);
void cw_http_free(cw_http_t *http);

#endif
