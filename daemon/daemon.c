/* Wiring of the daemon: start-up in dependency order, the event loop's
 * signals and timers, readiness, reload and the graceful stop. The modules
 * get an environment (env.h) and hooks at creation; none of them calls back
 * into this file by name. */
#include "daemon.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "consumer.h"
#include "env.h"
#include "http.h"
#include "log.h"
#include "nodes.h"
#include "notify.h"
#include "outbox.h"
#include "parts.h"
#include "producer.h"
#include "secret.h"
#include "secrets.h"
#include "statecache.h"
#include "store.h"

extern const char cw_commit_script[];

#define STOP_TIMEOUT_MS 20000
#define STOP_REMOVALS_MS 2000 /* for the last outbox removals to reach Redis */
#define TOPIC_WAIT_MS 30000
#define STATUS_EVERY_MS 5000

typedef struct cw_daemon {
    const char *config_path;
    /* Connections, topics, keys and time settings come from the start-up
     * config and need a restart to change; rules, actions, the score and
     * number plans come from `setup`, which SIGHUP replaces. */
    cw_setup_t *boot;             /* owned: the start-up setup */
    cw_setup_t *setup;            /* owned when != boot: the current rules */
    cw_env_t env;                 /* what the modules are given */
    cw_metrics_t metrics;
    cw_producer_t *producer;
    cw_http_t *http;
    cw_parts_t *parts;
    int64_t records_held;         /* records in partition queues */
    int64_t bytes_held;           /* and their memory */

    bool ready_sent;
    int exit_code;
    int64_t stop_deadline_ms;     /* monotonic */
    struct event *signals[3];
    struct event *tick_timer;     /* idle close, STATUS, drain, shutdown */
    struct event *drain_event;    /* resumes consumption once records are done */
    struct event *watchdog_timer;
    uint64_t status_events_prev;
    int64_t status_at_ms;
    double events_per_s;
} cw_daemon_t;

/* ---- readiness and status ----------------------------------------------- */

static void maybe_ready(cw_daemon_t *daemon)
{
    if (daemon->ready_sent || daemon->env.stopping || !daemon->metrics.consumer_joined ||
        daemon->env.store == NULL || !cw_store_ready(daemon->env.store))
        return;
    daemon->ready_sent = true;
    cw_log(LOG_NOTICE, "ready: consuming %d partition number(s)",
           daemon->metrics.partitions_assigned);
    cw_notify("READY=1\nSTATUS=consuming");
}

static void update_status(cw_daemon_t *daemon)
{
    int64_t now = cw_mono_ms();
    uint64_t events = 0, alerts = 0;
    for (int t = 0; t < CW_EV__COUNT; t++)
        events += daemon->metrics.events[t];
    for (int l = 0; l < CW_LEVEL__COUNT; l++)
        alerts += daemon->metrics.alerts[l];
    if (daemon->status_at_ms != 0 && now > daemon->status_at_ms)
        daemon->events_per_s = (double)(events - daemon->status_events_prev) * 1000.0 /
                               (double)(now - daemon->status_at_ms);
    daemon->status_at_ms = now;
    daemon->status_events_prev = events;
    char redis[64];
    if (cw_store_ready(daemon->env.store))
        snprintf(redis, sizeof redis, "redis up");
    else
        snprintf(redis, sizeof redis, "REDIS DOWN %llds",
                 (long long)(cw_store_down_ms(daemon->env.store) / 1000));
    char status[256];
    snprintf(status, sizeof status,
             "STATUS=%s%d partitions, %.0f events/s, %llu alerts, lag %lld, %s",
             daemon->env.stopping ? "stopping: " : "", daemon->metrics.partitions_assigned,
             daemon->events_per_s, (unsigned long long)alerts, (long long)(daemon->parts ? cw_parts_lag(daemon->parts) : 0),
             redis);
    cw_notify(status);
}

/* ---- records and steps -------------------------------------------------- */

static void on_assigned(const int32_t *partitions, int count, const int64_t *committed,
                        void *arg)
{
    cw_daemon_t *daemon = arg;
    cw_parts_assign(daemon->parts, partitions, count, committed);
    maybe_ready(daemon);
}

static void on_revoked(const int32_t *partitions, int count, void *arg)
{
    cw_daemon_t *daemon = arg;
    cw_parts_revoke(daemon->parts, partitions, count);
}

static void on_record(cw_record_t *record, void *arg)
{
    cw_daemon_t *daemon = arg;
    int64_t bytes = (int64_t)cw_record_size(record);
    daemon->records_held++;
    daemon->bytes_held += bytes;
    if (!cw_parts_push(daemon->parts, record)) {
        daemon->records_held--; /* fetched before a revoke: not ours now */
        daemon->bytes_held -= bytes;
    }
}

static bool consumer_full(void *arg)
{
    cw_daemon_t *daemon = arg;
    return daemon->env.stopping || daemon->records_held >= daemon->env.config->max_in_flight ||
           daemon->bytes_held >= daemon->env.config->max_in_flight_bytes;
}

static void records_done(int64_t count, int64_t bytes, void *arg)
{
    cw_daemon_t *daemon = arg;
    daemon->records_held -= count;
    daemon->bytes_held -= bytes;
    /* resume consumption at once, but from the loop, outside this call chain */
    if (daemon->drain_event != NULL && !daemon->env.stopping)
        event_active(daemon->drain_event, EV_TIMEOUT, 0);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (daemon->env.consumer != NULL)
        cw_consumer_drain(daemon->env.consumer);
}

static void kick_parts(void *arg)
{
    cw_daemon_t *daemon = arg;
    if (daemon->parts != NULL)
        cw_parts_kick(daemon->parts);
}

static void on_store_state(bool ready, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (!ready)
        return; /* steps in flight fail by themselves and back off */
    if (daemon->parts != NULL)
        cw_parts_invalidate(daemon->parts, -1);
    maybe_ready(daemon);
}

static void log_errors(const char *what, const cw_errlist_t *errs)
{
    const char *text = cw_errlist_text(errs);
    while (*text) {
        const char *end = strchr(text, '\n');
        int len = end ? (int)(end - text) : (int)strlen(text);
        cw_log(LOG_ERR, "%s: %.*s", what, len, text);
        text += len + (end ? 1 : 0);
    }
}

/* ---- reload ------------------------------------------------------------- */

static void reload(cw_daemon_t *daemon)
{
    /* Before the first READY=1, or once STOPPING=1 is out, systemd is not in
     * the active state a reload belongs to: the new rules apply all the same,
     * but READY=1 stays the start's own signal (group joined, Redis up). */
    bool tell_systemd = daemon->ready_sent && !daemon->env.stopping;
    if (tell_systemd) {
        char msg[96];
        snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%lld",
                 (long long)cw_mono_ms() * 1000);
        cw_notify(msg);
    }
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_setup_t *setup = NULL;
    int failed = cw_setup_load(daemon->config_path, &setup, &errs);
    char restart_keys[512] = "";
    if (failed == 0 && cw_config_reload_check(daemon->env.config, setup->config,
                                              restart_keys, sizeof restart_keys, &errs) > 0) {
        cw_setup_free(setup);
        setup = NULL;
        failed = 1;
    }
    if (failed != 0) {
        daemon->metrics.reloads_failed++;
        cw_log(LOG_ERR, "reload refused, the running configuration stays: %d error(s)",
               errs.count);
        log_errors("reload", &errs);
    } else {
        if (restart_keys[0] != '\0')
            cw_log(LOG_WARNING,
                   "reload: %s changed; that takes effect only at the next restart, the "
                   "running value stays",
                   restart_keys);
        if (daemon->setup != daemon->boot)
            cw_setup_free(daemon->setup);
        daemon->setup = setup;
        daemon->env.setup = setup;
        daemon->metrics.reloads_ok++;
        cw_log(LOG_NOTICE, "reloaded %s: rules_version %s, %zu prefixes, %zu ported numbers",
               daemon->config_path, setup->config->rules_version,
               cw_numplan_prefix_count(setup->plan), cw_numplan_ported_count(setup->plan));
    }
    cw_errlist_free(&errs);
    if (tell_systemd)
        cw_notify("READY=1");
    update_status(daemon);
}

/* ---- stop --------------------------------------------------------------- */

static bool drained(cw_daemon_t *daemon)
{
    return (daemon->parts == NULL || !cw_parts_busy(daemon->parts)) &&
           cw_producer_outstanding(daemon->producer) == 0;
}

static void begin_stop(cw_daemon_t *daemon, const char *why)
{
    if (daemon->env.stopping) {
        cw_log(LOG_WARNING, "%s again: stopping now", why);
        event_base_loopbreak(daemon->env.base);
        return;
    }
    cw_log(LOG_NOTICE, "%s: finishing the batch in flight, then stopping", why);
    daemon->env.stopping = true;
    daemon->stop_deadline_ms = cw_mono_ms() + STOP_TIMEOUT_MS;
    cw_notify("STOPPING=1");
}

/* Something only a person can mend (logged by the caller): stop gracefully,
 * with exit status 1. */
static void fail(void *arg)
{
    cw_daemon_t *daemon = arg;
    if (daemon->exit_code == 0)
        daemon->exit_code = 1;
    if (!daemon->env.stopping)
        begin_stop(daemon, "cannot go on");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (sig == SIGHUP)
        reload(daemon);
    else
        begin_stop(daemon, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- timers ------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    cw_daemon_t *daemon = arg;
    int64_t wall = cw_wall_ms();
    if (daemon->parts != NULL)
        cw_parts_tick(daemon->parts, wall);
    if (daemon->env.stopping) {
        if (drained(daemon) || cw_mono_ms() > daemon->stop_deadline_ms) {
            if (!drained(daemon))
                cw_log(LOG_WARNING, "stop: gave up waiting after %d s; unacknowledged work is "
                                    "redone after the restart", STOP_TIMEOUT_MS / 1000);
            event_base_loopbreak(daemon->env.base);
        }
        return;
    }
    if (daemon->env.consumer != NULL)
        cw_consumer_drain(daemon->env.consumer);
    kick_parts(daemon);
    if (cw_mono_ms() - daemon->status_at_ms >= STATUS_EVERY_MS) {
        update_status(daemon);
        cw_log_flush_suppressed(time(NULL));
    }
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    /* sent from the loop itself: a hung loop stops it and systemd restarts us */
    cw_notify("WATCHDOG=1");
}

/* ---- start and run ------------------------------------------------------ */

/* Any secret in the config file itself, not only the Redis password
 * (lib/secrets.c says which values are secrets). */
static void warn_if_config_exposed(const cw_config_t *config)
{
    char secrets[512];
    if (cw_secrets_in_config(config, secrets, sizeof secrets) > 0)
        cw_secret_warn_if_exposed(config->path, secrets);
}

/* ---- health and metrics ------------------------------------------------- */

static bool health(char *buf, size_t size, void *arg)
{
    cw_daemon_t *daemon = arg;
    enum { MOST = 6, REASON_SIZE = 320 };
    char reasons[MOST][REASON_SIZE];
    int count = 0;
    char text[REASON_SIZE - 64];
    if (daemon->env.stopping)
        snprintf(reasons[count++], REASON_SIZE, "stopping");
    if (daemon->env.consumer == NULL)
        snprintf(reasons[count++], REASON_SIZE, "consumer has not joined its group");
    else if (cw_consumer_trouble(daemon->env.consumer, text, sizeof text))
        snprintf(reasons[count++], REASON_SIZE, "%s", text);
    if (cw_nodes_unreachable(daemon->env.store, daemon->parts, daemon->env.config, text,
                             sizeof text))
        snprintf(reasons[count++], REASON_SIZE, "redis unreachable: %s", text);
    else if (daemon->env.store == NULL || !cw_store_ready(daemon->env.store))
        snprintf(reasons[count++], REASON_SIZE, "redis unreachable");
    else if (cw_store_write_refused(daemon->env.store, text, sizeof text))
        snprintf(reasons[count++], REASON_SIZE, "redis refuses writes: %s", text);
    if (daemon->env.outbox != NULL && cw_outbox_trouble(daemon->env.outbox, text, sizeof text))
        snprintf(reasons[count++], REASON_SIZE, "publishing failing: %s", text);
    if (daemon->parts != NULL && cw_parts_refused(daemon->parts, text, sizeof text))
        snprintf(reasons[count++], REASON_SIZE,
                 "state gone from redis, partitions refused: %s (see the log)", text);
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < count && len < size; i++) {
        /* reasons come from Redis and librdkafka too: no quote may end the string */
        for (char *q = reasons[i]; *q; q++)
            if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
                *q = '\'';
        len += (size_t)snprintf(buf + len, size - len, "%s\"%s\"", i ? "," : "", reasons[i]);
    }
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return count == 0;
}

static void health_extra(struct evbuffer *out, void *arg)
{
    cw_daemon_t *daemon = arg;
    evbuffer_add_printf(out, "\"partitions\":%d", daemon->metrics.partitions_assigned);
    cw_nodes_health(daemon->env.store, daemon->parts, daemon->env.config, out);
}

/* The running [time] settings (the start-up config's: a reload does not
 * change them), so that an alerting rule can tell a week close that is late,
 * the stream time behind the wall clock by more than both, without a copy of
 * the config (ops/prometheus/cdrwarn.rules.yml). */
static void render_time_settings(struct evbuffer *out, const cw_config_t *config)
{
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

static void render_parts(struct evbuffer *out, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (daemon->parts != NULL)
        cw_parts_render(daemon->parts, out);
    if (daemon->env.outbox != NULL)
        cw_outbox_render(daemon->env.outbox, out);
    cw_nodes_render(daemon->env.store, daemon->parts, daemon->env.config, out);
    render_time_settings(out, daemon->env.config);
}

static void render_metrics(struct evbuffer *out, void *arg)
{
    cw_daemon_t *daemon = arg;
    cw_metrics_render(&daemon->metrics, out, render_parts, daemon);
}

/* ---- start and run ------------------------------------------------------ */

static int start(cw_daemon_t *daemon, cw_errlist_t *errs)
{
    cw_env_t *env = &daemon->env;
    const cw_config_t *config = env->config;
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        daemon->signals[i] = evsignal_new(env->base, sigs[i], on_signal, daemon);
        if (daemon->signals[i] == NULL || event_add(daemon->signals[i], NULL) != 0) {
            cw_errlist_add(errs, "cannot watch signal %d", sigs[i]);
            return -1;
        }
    }
    cw_http_handlers_t endpoints = {health, health_extra, render_metrics, daemon};
    cw_http_limits_t limits = {(int)config->http_max_connections,
                               config->http_request_timeout_ms};
    daemon->http = cw_http_new(env->base, config->http_listen, &endpoints, &limits, errs);
    if (daemon->http == NULL)
        return -1;

    warn_if_config_exposed(config);
    bool no_password;
    char *password = cw_secret_redis_password(config, errs, &no_password);
    if (no_password)
        return -1;
    cw_store_options_t options = {
        .host = config->redis_host,
        .port = (int)config->redis_port,
        .user = config->redis_user,
        .password = password,
        .timeout_ms = config->redis_timeout_ms,
        .script = cw_commit_script,
        .cluster = config->redis_cluster,
        .wait_replicas = config->min_replicas_acked,
    };
    env->store = cw_store_new(env->base, &options, env->metrics, on_store_state, daemon);
    cw_secret_free(password);
    if (env->store == NULL) {
        cw_errlist_add(errs, "out of memory");
        return -1;
    }
    env->cache = cw_statecache_new((size_t)config->state_cache_bytes);
    if (env->cache == NULL) {
        cw_errlist_add(errs, "out of memory");
        return -1;
    }
    daemon->producer = cw_producer_new(env->base, config, env->metrics, errs);
    if (daemon->producer == NULL)
        return -1;
    cw_outbox_hooks_t outbox_hooks = {kick_parts, daemon};
    env->outbox = cw_outbox_new(env, daemon->producer, config->max_outbox, &outbox_hooks);
    if (env->outbox == NULL)
        return -1;
    cw_notify("STATUS=joining the consumer group");
    cw_consumer_handlers_t handlers = {
        .assigned = on_assigned,
        .revoked = on_revoked,
        .record = on_record,
        .full = consumer_full,
        .arg = daemon,
    };
    env->consumer = cw_consumer_new(env->base, config, &handlers, env->metrics, TOPIC_WAIT_MS, errs);
    if (env->consumer == NULL)
        return -1;
    env->partition_count = cw_consumer_partition_count(env->consumer);
    daemon->parts = cw_parts_new(env, env->partition_count);
    if (daemon->parts == NULL)
        return -1;

    daemon->drain_event = event_new(env->base, -1, 0, on_drain, daemon);
    if (daemon->drain_event == NULL)
        return -1;
    daemon->tick_timer = event_new(env->base, -1, EV_PERSIST, on_tick, daemon);
    struct timeval tick = {0, 200 * 1000};
    if (daemon->tick_timer == NULL || event_add(daemon->tick_timer, &tick) != 0)
        return -1;
    uint64_t watchdog_usec = cw_notify_watchdog_usec();
    if (watchdog_usec > 0) {
        daemon->watchdog_timer = event_new(env->base, -1, EV_PERSIST, on_watchdog, daemon);
        struct timeval half = {(time_t)(watchdog_usec / 2 / 1000000),
                               (suseconds_t)(watchdog_usec / 2 % 1000000)};
        if (daemon->watchdog_timer == NULL || event_add(daemon->watchdog_timer, &half) != 0)
            return -1;
    }
    return 0;
}

static void stop(cw_daemon_t *daemon)
{
    cw_env_t *env = &daemon->env;
    /* closing the consumer commits the stored offsets and revokes its
     * partitions through the handlers */
    cw_consumer_free(env->consumer);
    env->consumer = NULL;
    if (daemon->producer != NULL) {
        int left = cw_producer_flush(daemon->producer, 5000);
        if (left > 0)
            cw_log(LOG_WARNING, "stop: %d message(s) not acknowledged; alerts among them stay "
                                "in the Redis outbox and are sent after the restart", left);
    }
    /* the entries acknowledged last leave the Redis outbox before the
     * connection goes, or the restart would send them again */
    if (env->outbox != NULL && env->store != NULL) {
        cw_outbox_flush(env->outbox);
        int64_t until = cw_mono_ms() + STOP_REMOVALS_MS;
        while (!cw_store_idle(env->store) && cw_mono_ms() < until)
            event_base_loop(env->base, EVLOOP_ONCE);
    }
    cw_parts_free(daemon->parts);
    daemon->parts = NULL;
    cw_producer_free(daemon->producer);
    cw_outbox_free(env->outbox);
    cw_store_free(env->store);
    cw_statecache_free(env->cache);
    env->cache = NULL;
    cw_http_free(daemon->http);
    for (size_t i = 0; i < sizeof daemon->signals / sizeof daemon->signals[0]; i++)
        if (daemon->signals[i] != NULL)
            event_free(daemon->signals[i]);
    if (daemon->tick_timer)
        event_free(daemon->tick_timer);
    if (daemon->drain_event)
        event_free(daemon->drain_event);
    if (daemon->watchdog_timer)
        event_free(daemon->watchdog_timer);
    if (daemon->setup != daemon->boot)
        cw_setup_free(daemon->setup);
    cw_setup_free(daemon->boot);
    event_base_free(env->base);
}

int cw_daemon_run(const char *config_path)
{
    cw_daemon_t daemon_storage, *daemon = &daemon_storage;
    memset(daemon, 0, sizeof *daemon);
    daemon->config_path = config_path;
    daemon->metrics.started_at_ms = cw_wall_ms();
    signal(SIGPIPE, SIG_IGN);

    cw_errlist_t errs = CW_ERRLIST_INIT;
    if (cw_setup_load(config_path, &daemon->boot, &errs) != 0) {
        log_errors("config", &errs);
        cw_errlist_free(&errs);
        return 1;
    }
    daemon->setup = daemon->boot;
    cw_env_t *env = &daemon->env;
    env->config = daemon->boot->config;
    env->setup = daemon->setup;
    env->metrics = &daemon->metrics;
    env->records_done = records_done;
    env->step_slot_freed = kick_parts;
    env->fail = fail;
    env->hook_arg = daemon;
    env->base = event_base_new();
    if (env->base == NULL) {
        cw_setup_free(daemon->boot);
        return 1;
    }
    cw_log(LOG_NOTICE, "cdrwarnd %s starting: brokers %s, group %s, redis %s%s:%lld, rules_version %s",
           CW_VERSION, env->config->brokers, env->config->group_id,
           env->config->redis_cluster ? "cluster " : "", env->config->redis_host,
           (long long)env->config->redis_port, env->config->rules_version);
    int rc = 0;
    if (start(daemon, &errs) != 0) {
        log_errors("start", &errs);
        rc = 1;
    } else {
        event_base_dispatch(env->base);
        cw_log(LOG_NOTICE, "stopping: committing offsets and leaving the group");
    }
    env->stopping = true;
    stop(daemon);
    cw_errlist_free(&errs);
    if (rc == 0 && daemon->exit_code != 0) {
        rc = daemon->exit_code;
        cw_log(LOG_ERR, "stopped after an error (exit status %d)", rc);
    } else if (rc == 0) {
        cw_log(LOG_NOTICE, "stopped");
    }
    return rc;
}
