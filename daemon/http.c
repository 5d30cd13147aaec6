/* The operations endpoints: health for load balancers and supervisors,
 * Prometheus metrics for monitoring. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "consumer.h"
#include "log.h"
#include "part.h"
#include "store.h"

struct cw_http {
    cw_daemon_t *daemon;
    struct evhttp *server;
};

bool cw_http_health(const cw_daemon_t *daemon, char *buf, size_t size)
{
    size_t len = 0;
    bool healthy = true;
    len += (size_t)snprintf(buf + len, size - len, "[");
#define REASON(cond, text)                                                                     \
    if (cond) {                                                                                \
        len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s\"%s\"",           \
                                healthy ? "" : ",", text);                                     \
        healthy = false;                                                                       \
    }
    REASON(daemon->stopping, "stopping");
    REASON(!daemon->metrics.consumer_joined, "consumer has not joined its group");
    REASON(daemon->store == NULL || !cw_store_ready(daemon->store), "redis unreachable");
#undef REASON
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return healthy;
}

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
    char reasons[512];
    bool healthy = cw_http_health(http->daemon, reasons, sizeof reasons);
    evbuffer_add_printf(body, "{\"status\":\"%s\",\"reasons\":%s,\"partitions\":%d}\n",
                        healthy ? "ok" : "unavailable", reasons,
                        http->daemon->metrics.partitions_assigned);
    reply_text(req, healthy ? 200 : 503, healthy ? "OK" : "Service Unavailable",
               "application/json", body);
    evbuffer_free(body);
}

static void render_partitions(struct evbuffer *out, void *arg)
{
    cw_daemon_t *daemon = arg;
    const cw_config_t *config = cw_daemon_config(daemon);
    evbuffer_add_printf(out, "# HELP cdrwarn_consumer_lag Records on the broker not yet applied, "
                             "per input topic partition.\n# TYPE cdrwarn_consumer_lag gauge\n");
    for (int32_t p = 0; p < daemon->part_count; p++) {
        cw_part_t *part = daemon->parts[p];
        if (part == NULL || daemon->consumer == NULL)
            continue;
        for (size_t t = 0; t < config->input_topic_count; t++) {
            int64_t high = cw_consumer_high_watermark(daemon->consumer, (int)t, p);
            int64_t next = cw_part_next_offset(part, (int)t);
            if (high < 0)
                continue;
            int64_t lag = next < 0 ? high : (high > next ? high - next : 0);
            evbuffer_add_printf(out, "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                                config->input_topics[t], (int)p, (long long)lag);
        }
    }
    evbuffer_add_printf(out, "# HELP cdrwarn_stream_time_seconds Stream time of a partition "
                             "number: the newest event time seen on it.\n"
                             "# TYPE cdrwarn_stream_time_seconds gauge\n");
    for (int32_t p = 0; p < daemon->part_count; p++) {
        cw_part_t *part = daemon->parts[p];
        if (part == NULL || cw_part_stream_ms(part) == INT64_MIN)
            continue;
        evbuffer_add_printf(out, "cdrwarn_stream_time_seconds{partition=\"%d\"} %.3f\n", (int)p,
                            (double)cw_part_stream_ms(part) / 1000.0);
    }
    /* the running [time] settings, so that an alerting rule can tell a week
     * close that is late (stream time behind the wall clock by more than
     * both) without copying the config (ops/prometheus/cdrwarn.rules.yml) */
    evbuffer_add_printf(out,
                        "# HELP cdrwarn_late_grace_seconds The running [time] late_grace.\n"
                        "# TYPE cdrwarn_late_grace_seconds gauge\n"
                        "cdrwarn_late_grace_seconds %.3f\n",
                        (double)config->late_grace_ms / 1000.0);
    evbuffer_add_printf(out,
                        "# HELP cdrwarn_idle_close_seconds The running [time] idle_close.\n"
                        "# TYPE cdrwarn_idle_close_seconds gauge\n"
                        "cdrwarn_idle_close_seconds %.3f\n",
                        (double)config->idle_close_ms / 1000.0);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    cw_http_t *http = arg;
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    cw_metrics_render(&http->daemon->metrics, body, render_partitions, http->daemon);
    reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
    evbuffer_free(body);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    evhttp_send_error(req, 404, "only /healthz and /metrics here");
}

cw_http_t *cw_http_new(cw_daemon_t *daemon, const char *listen, cw_errlist_t *errs)
{
    cw_http_t *http = cw_calloc(1, sizeof *http);
    if (http == NULL)
        return NULL;
    http->daemon = daemon;
    http->server = evhttp_new(daemon->base);
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
