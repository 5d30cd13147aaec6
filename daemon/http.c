/* The operations endpoints: health for load balancers and supervisors,
 * Prometheus metrics for monitoring; bounded so that a slow or hostile
 * client costs at most a few descriptors for a few seconds. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "log.h"

/* libevent 2.1's evhttp has no connection limit and no per-connection hook
 * but the bufferevent factory (evhttp_set_bevcb). Each connection is tracked
 * from there: the factory makes the bufferevent, keeps a reference to it and
 * schedules `attach`, which runs before any byte of the connection is read
 * and finds the connection evhttp built around it (evhttp passes it as the
 * bufferevent's callback argument); from then on evhttp's close callback
 * says when it ends. The extra reference keeps the bufferevent valid in the
 * meantime, whatever evhttp did with it. */
typedef struct conn {
    cw_http_t *http;
    struct bufferevent *bev;         /* referenced until attached */
    struct evhttp_connection *evcon; /* NULL until attached */
    struct event *attach;
    struct event *deadline;
    bool counted; /* within max_connections; else refused */
    struct conn *prev, *next;
} conn_t;

struct cw_http {
    cw_http_handlers_t handlers;
    cw_http_limits_t limits;
    struct event_base *base;
    struct evhttp *server;
    conn_t *conns; /* every connection evhttp holds */
    int open;      /* the counted ones */
};

static const char refusal[] = "HTTP/1.1 503 Service Unavailable\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: 21\r\n"
                              "Connection: close\r\n"
                              "\r\n"
                              "too many connections\n";

/* ---- connections -------------------------------------------------------- */

static void conn_release(conn_t *conn)
{
    cw_http_t *http = conn->http;
    if (conn->counted)
        http->open--;
    if (conn->prev != NULL)
        conn->prev->next = conn->next;
    else
        http->conns = conn->next;
    if (conn->next != NULL)
        conn->next->prev = conn->prev;
    if (conn->attach != NULL)
        event_free(conn->attach);
    if (conn->deadline != NULL)
        event_free(conn->deadline);
    if (conn->bev != NULL)
        bufferevent_decref(conn->bev);
    cw_free(conn);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    conn_release(arg);
}

static const char *peer_of(const conn_t *conn)
{
    char *address = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(conn->evcon, &address, &port);
    return address != NULL ? address : "?";
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    conn_t *conn = arg;
    if (conn->evcon == NULL)
        return; /* not attached yet: attach itself comes first */
    cw_log(
        LOG_WARNING,
        "http: a request from %s was not done within %lld ms ([http] request_timeout); "
        "connection closed",
        peer_of(conn), (long long)conn->http->limits.request_timeout_ms);
    evhttp_connection_free(conn->evcon); /* calls on_close, which frees conn */
}

static void on_attach(evutil_socket_t fd, short what, void *arg)
{
    conn_t *conn = arg;
    bufferevent_event_cb eventcb = NULL;
    void *cbarg = NULL;
    bufferevent_getcb(conn->bev, NULL, NULL, &eventcb, &cbarg);
    if (eventcb == NULL || cbarg == NULL ||
        evhttp_connection_get_bufferevent(cbarg) != conn->bev) {
        /* evhttp gave it up already (it frees with callbacks cleared) */
        conn_release(conn);
        return;
    }
    conn->evcon = cbarg;
    evhttp_connection_set_closecb(conn->evcon, on_close, conn);
    bufferevent_decref(conn->bev);
    conn->bev = NULL;
    if (conn->counted)
        return;
    cw_log(LOG_WARNING,
           "http: %d connections open already ([http] max_connections); refused one "
           "from %s",
           conn->http->limits.max_connections, peer_of(conn));
    /* best effort: the socket is fresh, so the answer fits its send buffer */
    evutil_socket_t sock =
        bufferevent_getfd(evhttp_connection_get_bufferevent(conn->evcon));
    if (sock >= 0 &&
        send(sock, refusal, sizeof refusal - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        cw_log(LOG_DEBUG, "http: could not answer a refused connection: %m");
    evhttp_connection_free(conn->evcon); /* calls on_close, which frees conn */
}

/* evhttp's bufferevent factory: called for every accepted connection,
 * before evhttp sets the socket on what it returns. */
static struct bufferevent *new_connection(struct event_base *base, void *arg)
{
    cw_http_t *http = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    conn_t *conn = cw_calloc(1, sizeof *conn);
    if (bev == NULL || conn == NULL)
        goto fail;
    conn->http = http;
    conn->attach = event_new(base, -1, 0, on_attach, conn);
    conn->deadline = event_new(base, -1, 0, on_deadline, conn);
    if (conn->attach == NULL || conn->deadline == NULL)
        goto fail;
    struct timeval timeout = {
        (time_t)(http->limits.request_timeout_ms / 1000),
        (suseconds_t)(http->limits.request_timeout_ms % 1000 * 1000)};
    if (event_add(conn->deadline, &timeout) != 0)
        goto fail;
    conn->counted = http->open < http->limits.max_connections;
    if (conn->counted)
        http->open++;
    bufferevent_incref(bev);
    conn->bev = bev;
    conn->next = http->conns;
    if (http->conns != NULL)
        http->conns->prev = conn;
    http->conns = conn;
    event_active(conn->attach, EV_TIMEOUT, 1);
    return bev;
fail:
    /* out of memory: the connection goes on untracked, bounded only by
     * evhttp's own read and write timeouts (or, with no bufferevent either,
     * evhttp makes one or drops the connection) */
    if (conn != NULL) {
        if (conn->attach != NULL)
            event_free(conn->attach);
        if (conn->deadline != NULL)
            event_free(conn->deadline);
        cw_free(conn);
    }
    return bev;
}

/* ---- requests ----------------------------------------------------------- */

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *type, struct evbuffer *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    /* one request per connection: the deadline then bounds the request */
    evhttp_add_header(headers, "Connection", "close");
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

/* ---- the server --------------------------------------------------------- */

cw_http_t *cw_http_new(struct event_base *base, const char *listen,
                       const cw_http_handlers_t *handlers, const cw_http_limits_t *limits,
                       cw_errlist_t *errs)
{
    cw_http_t *http = cw_calloc(1, sizeof *http);
    if (http == NULL)
        return NULL;
    http->handlers = *handlers;
    http->limits = *limits;
    http->base = base;
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
    /* other methods get 501; a body is refused with 413 as soon as its
     * Content-Length (or first chunk) is seen, before it is read */
    evhttp_set_allowed_methods(http->server, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(http->server, CW_HTTP_MAX_HEADER_BYTES);
    evhttp_set_max_body_size(http->server, 0);
    struct timeval timeout = {(time_t)(limits->request_timeout_ms / 1000),
                              (suseconds_t)(limits->request_timeout_ms % 1000 * 1000)};
    evhttp_set_timeout_tv(http->server, &timeout);
    evhttp_set_bevcb(http->server, new_connection, http);
    evhttp_set_cb(http->server, "/healthz", on_healthz, http);
    evhttp_set_cb(http->server, "/metrics", on_metrics, http);
    evhttp_set_gencb(http->server, on_other, http);
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
        evhttp_free(http->server); /* closes every connection: on_close frees them */
    while (http->conns != NULL)
        conn_release(http->conns); /* the few evhttp had let go before their attach */
    cw_free(http);
}
