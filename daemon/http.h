/* GET /healthz and GET /metrics on [http] listen (libevent evhttp). What
 * they say comes from whoever created the server, through two callbacks.
 * The server is bounded, so that no client can take the descriptors and
 * memory Kafka and Redis need: request headers of at most
 * CW_HTTP_MAX_HEADER_BYTES, no request body (refused before it is read), at
 * most `max_connections` connections at once and one request per
 * connection, closed `request_timeout_ms` after it was accepted whatever
 * state it is in. */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"

/* The request line and headers together; more is answered 400. */
#define CW_HTTP_MAX_HEADER_BYTES 8192

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

typedef struct cw_http_limits {
    int max_connections;        /* open at once; one more is answered 503 and closed */
    int64_t request_timeout_ms; /* from accept to the reply's last byte */
} cw_http_limits_t;

/* Binds the listen address; NULL with the reason in errs. */
cw_http_t *cw_http_new(struct event_base *base, const char *listen,
                       const cw_http_handlers_t *handlers, const cw_http_limits_t *limits,
                       cw_errlist_t *errs);
void cw_http_free(cw_http_t *http);

#endif
