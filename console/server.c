/* The HTTP server: routing, common answers, /healthz and /metrics (see
 * server.h). */
#include "server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "casestore.h"
#include "clock.h"
#include "feed.h"
#include "log.h"
#include "sessions.h"
#include "store.h"

struct cw_server {
    cw_console_env_t *env;
    cw_server_routes_t routes;
    struct evhttp *http;
};

static const char *reason_of(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

void cw_server_security_headers(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    /* everything the page needs comes from the console itself */
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
    evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

void cw_server_reply(cw_console_env_t *env, struct evhttp_request *req, int code,
                     const char *type, const char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    cw_server_security_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    if (evhttp_find_header(h, "Cache-Control") == NULL)
        evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (body != NULL && len > 0)
        evbuffer_add(buf, body, len);
    if (code >= 100 && code < 600)
        env->metrics.http_requests[code / 100]++;
    evhttp_send_reply(req, code, reason_of(code), buf);
    evbuffer_free(buf);
}

void cw_server_reply_json(cw_console_env_t *env, struct evhttp_request *req, int code,
                          json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (text == NULL) {
        cw_server_reply(env, req, 500, "application/json",
                        "{\"error\":\"out of memory\"}", 25);
        return;
    }
    cw_server_reply(env, req, code, "application/json", text, strlen(text));
    free(text);
}

void cw_server_reply_error(cw_console_env_t *env, struct evhttp_request *req, int code,
                           const char *message)
{
    json_t *body = json_object();
    json_object_set_new(body, "error", json_string(message));
    cw_server_reply_json(env, req, code, body);
}

static bool healthy(const cw_console_env_t *env, json_t *reasons)
{
    bool ok = true;
    if (env->stopping) {
        json_array_append_new(reasons, json_string("stopping"));
        ok = false;
    }
    if (!cw_casestore_ready(env)) {
        json_array_append_new(reasons, json_string("redis unreachable"));
        ok = false;
    }
    if (!env->metrics.consumer_joined) {
        json_array_append_new(reasons, json_string("consumer has not joined its group"));
        ok = false;
    }
    return ok;
}

static void on_healthz(cw_console_env_t *env, struct evhttp_request *req)
{
    json_t *reasons = json_array();
    bool ok = healthy(env, reasons);
    json_t *body = json_object();
    json_object_set_new(body, "status", json_string(ok ? "ok" : "unavailable"));
    json_object_set_new(body, "reasons", reasons);
    json_object_set_new(body, "streams", json_integer(cw_feed_count(env->feed)));
    cw_server_reply_json(env, req, ok ? 200 : 503, body);
}

#define COUNTER(name, help, value)                                                       \
    evbuffer_add_printf(                                                                 \
        out, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n",       \
        (unsigned long long)(value))
#define GAUGE(name, help, value)                                                         \
    evbuffer_add_printf(                                                                 \
        out, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " %lld\n",         \
        (long long)(value))

static void on_metrics(cw_console_env_t *env, struct evhttp_request *req)
{
    struct evbuffer *out = evbuffer_new();
    if (out == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    const cw_console_metrics_t *m = &env->metrics;
    evbuffer_add_printf(
        out,
        "# HELP cdrwarn_console_alerts_total Alerts consumed, by what they did "
        "to the cases.\n# TYPE cdrwarn_console_alerts_total counter\n"
        "cdrwarn_console_alerts_total{result=\"new_case\"} %llu\n"
        "cdrwarn_console_alerts_total{result=\"raised\"} %llu\n"
        "cdrwarn_console_alerts_total{result=\"duplicate\"} %llu\n",
        (unsigned long long)m->alerts_new, (unsigned long long)m->alerts_raised,
        (unsigned long long)m->alerts_duplicate);
    evbuffer_add_printf(out,
                        "# HELP cdrwarn_console_outcomes_total Churn outcomes consumed.\n"
                        "# TYPE cdrwarn_console_outcomes_total counter\n"
                        "cdrwarn_console_outcomes_total{result=\"applied\"} %llu\n"
                        "cdrwarn_console_outcomes_total{result=\"duplicate\"} %llu\n",
                        (unsigned long long)m->outcomes_applied,
                        (unsigned long long)m->outcomes_duplicate);
    evbuffer_add_printf(
        out,
        "# HELP cdrwarn_console_scores_total Score records consumed, by what "
        "they did to the monthly cases.\n"
        "# TYPE cdrwarn_console_scores_total counter\n"
        "cdrwarn_console_scores_total{result=\"new_case\"} %llu\n"
        "cdrwarn_console_scores_total{result=\"raised\"} %llu\n"
        "cdrwarn_console_scores_total{result=\"duplicate\"} %llu\n",
        (unsigned long long)m->scores_new, (unsigned long long)m->scores_raised,
        (unsigned long long)m->scores_duplicate);
    COUNTER("cdrwarn_console_bad_records_total",
            "Alerts, outcomes or score records that could not be read (logged with their "
            "offsets).",
            m->bad_records);
    COUNTER("cdrwarn_console_cases_changed_by_outcomes_total",
            "Cases closed as churned or marked by a churn outcome.",
            m->cases_auto_closed);
    COUNTER("cdrwarn_console_batches_total", "Batches of records applied.", m->batches);
    COUNTER("cdrwarn_console_batch_retries_total",
            "Batches sent again after Redis failed to answer.", m->batch_retries);
    GAUGE("cdrwarn_console_records_pending", "Records taken from Kafka, not yet applied.",
          env->records_pending(env->hook_arg));
    evbuffer_add_printf(
        out,
        "# HELP cdrwarn_console_logins_total Sign-in attempts by result.\n"
        "# TYPE cdrwarn_console_logins_total counter\n"
        "cdrwarn_console_logins_total{result=\"ok\"} %llu\n"
        "cdrwarn_console_logins_total{result=\"failed\"} %llu\n"
        "cdrwarn_console_logins_total{result=\"throttled\"} %llu\n",
        (unsigned long long)m->logins_ok, (unsigned long long)m->logins_failed,
        (unsigned long long)m->logins_throttled);
    COUNTER("cdrwarn_console_number_displays_total",
            "Full subscriber numbers shown, each written to the audit log.",
            m->number_displays);
    COUNTER("cdrwarn_console_actions_total",
            "Claims, assignments, state changes and notes applied.", m->actions);
    evbuffer_add_printf(out,
                        "# HELP cdrwarn_console_http_responses_total HTTP answers by "
                        "status class.\n# TYPE cdrwarn_console_http_responses_total "
                        "counter\n");
    for (int c = 2; c <= 5; c++)
        evbuffer_add_printf(out,
                            "cdrwarn_console_http_responses_total{code=\"%dxx\"} %llu\n",
                            c, (unsigned long long)m->http_requests[c]);
    GAUGE("cdrwarn_console_sessions", "Signed-in sessions.",
          cw_sessions_count(env->sessions));
    GAUGE("cdrwarn_console_streams", "Open live streams (pages showing the feed).",
          cw_feed_count(env->feed));
    COUNTER("cdrwarn_console_stream_events_total", "Events sent on the live stream.",
            m->sse_events);
    COUNTER("cdrwarn_console_streams_dropped_total",
            "Live streams ended because the browser could not keep up.",
            cw_feed_dropped(env->feed));
    GAUGE("cdrwarn_console_redis_up", "1 while the Redis connection is ready.",
          cw_casestore_ready(env) ? 1 : 0);
    COUNTER("cdrwarn_console_redis_roundtrips_total", "Redis commands answered.",
            env->store_metrics.redis_roundtrips);
    COUNTER("cdrwarn_console_redis_errors_total", "Redis commands failed or unanswered.",
            env->store_metrics.redis_errors);
    GAUGE("cdrwarn_console_consumer_joined", "1 once the consumer joined its group.",
          m->consumer_joined);
    GAUGE("cdrwarn_console_uptime_seconds", "Seconds since the start.",
          (cw_mono_ms() - env->started_ms) / 1000);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    env->metrics.http_requests[2]++;
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

/* Answers go out as headers and body in two writes; with Nagle on, the
 * second waits for the client's delayed ACK of the first (40 ms on Linux)
 * on every request of a kept-alive connection. */
static void no_delay(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    cw_server_t *server = arg;
    cw_console_env_t *env = server->env;
    no_delay(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (path == NULL || path[0] != '/') {
        cw_server_reply_error(env, req, 400, "bad request path");
        return;
    }
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    if (strncmp(path, "/api/", 5) == 0) {
        server->routes.api(env, req, path);
        return;
    }
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        cw_server_reply_error(env, req, 405, "only GET here");
        return;
    }
    if (strcmp(path, "/healthz") == 0)
        on_healthz(env, req);
    else if (strcmp(path, "/metrics") == 0)
        on_metrics(env, req);
    else if (!server->routes.page(env, req, path))
        cw_server_reply_error(env, req, 404, "no such page");
}

cw_server_t *cw_server_new(cw_console_env_t *env, const cw_server_routes_t *routes,
                           cw_errlist_t *errs)
{
    cw_server_t *server = cw_calloc(1, sizeof *server);
    if (server == NULL)
        return NULL;
    server->env = env;
    server->routes = *routes;
    server->http = evhttp_new(env->base);
    if (server->http == NULL)
        goto fail;
    const char *listen = env->config->console_listen;
    const char *colon = strrchr(listen, ':');
    if (colon == NULL) {
        cw_errlist_add(errs, "[console] listen: expected host:port, got '%s'", listen);
        goto fail;
    }
    char host[128];
    size_t host_len = (size_t)(colon - listen);
    const char *host_start = listen;
    if (host_len >= 2 && listen[0] == '[' && listen[host_len - 1] == ']') {
        host_start++;
        host_len -= 2;
    }
    if (host_len >= sizeof host) {
        cw_errlist_add(errs, "[console] listen: host too long");
        goto fail;
    }
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    int port = atoi(colon + 1);
    if (evhttp_bind_socket(server->http, host, (ev_uint16_t)port) != 0) {
        cw_errlist_add(errs, "[console] listen: cannot listen on %s: %m", listen);
        goto fail;
    }
    evhttp_set_allowed_methods(server->http,
                               EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(server->http, 64 * 1024);
    evhttp_set_max_headers_size(server->http, 32 * 1024);
    evhttp_set_gencb(server->http, on_request, server);
    /* idle keep-alive connections and stalled writes end after this; live
     * streams send a comment every 15 s, well within it */
    evhttp_set_timeout(server->http, 60);
    return server;
fail:
    cw_server_free(server);
    return NULL;
}

void cw_server_free(cw_server_t *server)
{
    if (server == NULL)
        return;
    if (server->http)
        evhttp_free(server->http);
    cw_free(server);
}
