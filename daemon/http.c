/* The operations endpoints: health for load balancers and supervisors,
 * Prometheus metrics for monitoring. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct cw_http {
    cw_http_handlers_t handlers;
    struct evhttp *server;
};

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *type, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason, body);
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
    cw_http_t *http = arg;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    char reasons[2048];
    bool healthy = http->handlers.health(reasons, sizeof reasons, http->handlers.arg);
    evbuffer_add_printf(body, "{\"status\":\"%s\",\"reasons\":%s,",
                        healthy ? "ok" : "unavailable", reasons);
    http->handlers.health_extra(body, http->handlers.arg);
    evbuffer_add_printf(body, "}\n");
    reply_text(req, healthy ? 200 : 503, healthy ? "OK" : "Service Unavailable",
               "application/json", body);
    evbuffer_free(body);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    cw_http_t *http = arg;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    http->handlers.metrics(body, http->handlers.arg);
    reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
    evbuffer_free(body);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    evhttp_send_error(req, 404, "only /healthz and /metrics here");
}

cw_http_t *cw_http_new(struct event_base *base, const char *listen,
                       const cw_http_handlers_t *handlers, cw_errlist_t *errs)
{
    cw_http_t *http = cw_calloc(1, sizeof *http);
    if (http == NULL)
        return NULL;
    http->handlers = *handlers;
    http->server = evhttp_new(base);
    if (http->server == NULL)
        goto fail;
    /* host:port or [v6]:port */
    const char *colon = strrchr(listen, ':');
    if (colon == NULL) {
        cw_errlist_add(errs, "[http] listen: expected host:port, got '%s'", listen);
        goto fail;
    }
    char host[128];
    size_t host_len = (size_t)(colon - listen);
    if (host_len >= 2 && listen[0] == '[' && listen[host_len - 1] == ']') {
        listen++;
        host_len -= 2;
    }
    if (host_len >= sizeof host) {
        cw_errlist_add(errs, "[http] listen: host too long");
        goto fail;
    }
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    int port = atoi(colon + 1);
    if (evhttp_bind_socket(http->server, host, (ev_uint16_t)port) != 0) {
        cw_errlist_add(errs, "[http] listen: cannot listen on %s:%d: %m", host, port);
        goto fail;
    }
    evhttp_set_allowed_methods(http->server, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_cb(http->server, "/healthz", on_healthz, http);
    evhttp_set_cb(http->server, "/metrics", on_metrics, http);
    evhttp_set_gencb(http->server, on_other, http);
    evhttp_set_timeout(http->server, 10);
    return http;
fail:
    cw_http_free(http);
    return NULL;
}

void cw_http_free(cw_http_t *http)
{
    if (http == NULL)
        return;
    if (http->server)
        evhttp_free(http->server);
    cw_free(http);
}
