/* Wiring of the daemon: start-up in dependency order, the event loop's
 * signals and timers, readiness, reload and the graceful stop. */
#include "daemon.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "consumer.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "part.h"
#include "producer.h"
#include "secret.h"
#include "store.h"

extern const char cw_commit_script[];

#define STOP_TIMEOUT_MS 20000
#define TOPIC_WAIT_MS 30000
#define STATUS_EVERY_MS 5000

const cw_config_t *cw_daemon_config(const cw_daemon_t *daemon)
{
    return daemon->boot->config;
}

const cw_setup_t *cw_daemon_rules(const cw_daemon_t *daemon)
{
    return daemon->setup;
}

/* ---- readiness and status ----------------------------------------------- */

static void maybe_ready(cw_daemon_t *daemon)
{
    if (daemon->ready_sent || daemon->stopping || !daemon->metrics.consumer_joined ||
        daemon->store == NULL || !cw_store_ready(daemon->store))
        return;
    daemon->ready_sent = true;
    cw_log(LOG_NOTICE, "ready: consuming %d partition number(s)",
           daemon->metrics.partitions_assigned);
    cw_notify("READY=1\nSTATUS=consuming");
}

static int64_t total_lag(cw_daemon_t *daemon)
{
    const cw_config_t *config = cw_daemon_config(daemon);
    int64_t lag = 0;
    for (int32_t p = 0; p < daemon->part_count; p++) {
        if (daemon->parts[p] == NULL)
            continue;
        for (size_t t = 0; t < config->input_topic_count; t++) {
            int64_t high = cw_consumer_high_watermark(daemon->consumer, (int)t, p);
            int64_t next = cw_part_next_offset(daemon->parts[p], (int)t);
            if (high >= 0 && next >= 0 && high > next)
                lag += high - next;
        }
    }
    return lag;
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
    if (cw_store_ready(daemon->store))
        snprintf(redis, sizeof redis, "redis up");
    else
        snprintf(redis, sizeof redis, "REDIS DOWN %llds",
                 (long long)(cw_store_down_ms(daemon->store) / 1000));
    char status[256];
    snprintf(status, sizeof status,
             "STATUS=%s%d partitions, %.0f events/s, %llu alerts, lag %lld, %s",
             daemon->stopping ? "stopping: " : "", daemon->metrics.partitions_assigned,
             daemon->events_per_s, (unsigned long long)alerts, (long long)total_lag(daemon),
             redis);
    cw_notify(status);
}

/* ---- records and steps -------------------------------------------------- */

static void grow_parts(cw_daemon_t *daemon, int32_t needed)
{
    if (needed <= daemon->part_count)
        return;
    cw_part_t **parts = cw_realloc(daemon->parts, (size_t)needed * sizeof *parts);
    if (parts == NULL)
        return;
    for (int32_t p = daemon->part_count; p < needed; p++)
        parts[p] = NULL;
    daemon->parts = parts;
    daemon->part_count = needed;
}

static void on_assigned(const int32_t *partitions, int count, void *arg)
{
    cw_daemon_t *daemon = arg;
    for (int i = 0; i < count; i++) {
        int32_t p = partitions[i];
        grow_parts(daemon, p + 1);
        if (p >= daemon->part_count || daemon->parts[p] != NULL)
            continue;
        daemon->parts[p] = cw_part_new(daemon, p);
        if (daemon->parts[p] != NULL) {
            daemon->metrics.partitions_assigned++;
            cw_part_kick(daemon->parts[p]);
        }
    }
    maybe_ready(daemon);
}

static void on_revoked(const int32_t *partitions, int count, void *arg)
{
    cw_daemon_t *daemon = arg;
    for (int i = 0; i < count; i++) {
        int32_t p = partitions[i];
        if (p < daemon->part_count && daemon->parts[p] != NULL) {
            cw_part_release(daemon->parts[p]);
            daemon->parts[p] = NULL;
            daemon->metrics.partitions_assigned--;
        }
    }
}

static void on_record(cw_record_t *record, void *arg)
{
    cw_daemon_t *daemon = arg;
    int32_t p = record->partition;
    if (p < 0 || p >= daemon->part_count || daemon->parts[p] == NULL) {
        cw_free(record); /* fetched before a revoke: not ours now */
        return;
    }
    daemon->records_held++;
    cw_part_push(daemon->parts[p], record);
}

static bool consumer_full(void *arg)
{
    cw_daemon_t *daemon = arg;
    return daemon->stopping ||
           daemon->records_held >= cw_daemon_config(daemon)->max_in_flight;
}

void cw_daemon_records_done(cw_daemon_t *daemon, int64_t count)
{
    daemon->records_held -= count;
    /* resume consumption at once, but from the loop, outside this call chain */
    if (daemon->drain_event != NULL && !daemon->stopping)
        event_active(daemon->drain_event, EV_TIMEOUT, 0);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (daemon->consumer != NULL)
        cw_consumer_drain(daemon->consumer);
}

bool cw_daemon_step_slot(cw_daemon_t *daemon, bool sweep)
{
    return daemon->steps_in_flight < CW_MAX_STEPS &&
           (!sweep || cw_producer_outstanding(daemon->producer) < CW_MAX_OUTSTANDING);
}

void cw_daemon_step_done(cw_daemon_t *daemon)
{
    daemon->steps_in_flight--;
    cw_daemon_kick(daemon);
}

void cw_daemon_kick(cw_daemon_t *daemon)
{
    /* round-robin from a moving start so that no partition starves */
    static int32_t next;
    for (int32_t i = 0; i < daemon->part_count && cw_daemon_step_slot(daemon, false); i++) {
        int32_t p = (next + i) % daemon->part_count;
        if (daemon->parts[p] != NULL)
            cw_part_kick(daemon->parts[p]);
    }
    if (daemon->part_count > 0)
        next = (next + 1) % daemon->part_count;
}

static void on_store_state(bool ready, void *arg)
{
    cw_daemon_t *daemon = arg;
    if (!ready)
        return; /* steps in flight fail by themselves and back off */
    for (int32_t p = 0; p < daemon->part_count; p++) {
        if (daemon->parts[p] == NULL)
            continue;
        cw_part_invalidate(daemon->parts[p]);
        cw_part_kick(daemon->parts[p]);
    }
    maybe_ready(daemon);
}

/* ---- reload ------------------------------------------------------------- */

static void reload(cw_daemon_t *daemon)
{
    /* Before the first READY=1, or once STOPPING=1 is out, systemd is not in
     * the active state a reload belongs to: the new rules apply all the same,
     * but READY=1 stays the start's own signal (group joined, Redis up). */
    bool tell_systemd = daemon->ready_sent && !daemon->stopping;
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
    if (failed == 0 && cw_config_reload_check(cw_daemon_config(daemon), setup->config,
                                              restart_keys, sizeof restart_keys, &errs) > 0) {
        cw_setup_free(setup);
        setup = NULL;
        failed = 1;
    }
    if (failed != 0) {
        daemon->metrics.reloads_failed++;
        cw_log(LOG_ERR, "reload refused, the running configuration stays: %d error(s)",
               errs.count);
        const char *text = cw_errlist_text(&errs);
        while (*text) {
            const char *end = strchr(text, '\n');
            int len = end ? (int)(end - text) : (int)strlen(text);
            cw_log(LOG_ERR, "reload: %.*s", len, text);
            text += len + (end ? 1 : 0);
        }
    } else {
        if (restart_keys[0] != '\0')
            cw_log(LOG_WARNING,
                   "reload: %s changed; that takes effect only at the next restart, the "
                   "running value stays",
                   restart_keys);
        if (daemon->setup != daemon->boot)
            cw_setup_free(daemon->setup);
        daemon->setup = setup;
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
    for (int32_t p = 0; p < daemon->part_count; p++)
        if (daemon->parts[p] != NULL && cw_part_busy(daemon->parts[p]))
            return false;
    return cw_producer_outstanding(daemon->producer) == 0;
}

static void begin_stop(cw_daemon_t *daemon, const char *why)
{
    if (daemon->stopping) {
        cw_log(LOG_WARNING, "%s again: stopping now", why);
        event_base_loopbreak(daemon->base);
        return;
    }
    cw_log(LOG_NOTICE, "%s: finishing the batch in flight, then stopping", why);
    daemon->stopping = true;
    daemon->stop_deadline_ms = cw_mono_ms() + STOP_TIMEOUT_MS;
    cw_notify("STOPPING=1");
}

void cw_daemon_fail(cw_daemon_t *daemon)
{
    if (daemon->exit_code == 0)
        daemon->exit_code = 1;
    if (!daemon->stopping)
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
    for (int32_t p = 0; p < daemon->part_count; p++)
        if (daemon->parts[p] != NULL)
            cw_part_tick(daemon->parts[p], wall);
    if (daemon->stopping) {
        if (drained(daemon) || cw_mono_ms() > daemon->stop_deadline_ms) {
            if (!drained(daemon))
                cw_log(LOG_WARNING, "stop: gave up waiting after %d s; unacknowledged work is "
                                    "redone after the restart", STOP_TIMEOUT_MS / 1000);
            event_base_loopbreak(daemon->base);
        }
        return;
    }
    if (daemon->consumer != NULL)
        cw_consumer_drain(daemon->consumer);
    cw_daemon_kick(daemon);
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

static char *redis_password(const cw_config_t *config, cw_errlist_t *errs)
{
    if (config->redis_password_file != NULL) {
        cw_secret_warn_if_exposed(config->redis_password_file, "the Redis password");
        return cw_secret_read(config->redis_password_file, errs);
    }
    if (config->redis_password != NULL) {
        cw_secret_warn_if_exposed(config->path, "the Redis password");
        return cw_strdup(config->redis_password);
    }
    return NULL;
}

static int start(cw_daemon_t *daemon, cw_errlist_t *errs)
{
    const cw_config_t *config = cw_daemon_config(daemon);
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        daemon->signals[i] = evsignal_new(daemon->base, sigs[i], on_signal, daemon);
        if (daemon->signals[i] == NULL || event_add(daemon->signals[i], NULL) != 0) {
            cw_errlist_add(errs, "cannot watch signal %d", sigs[i]);
            return -1;
        }
    }
    daemon->http = cw_http_new(daemon, config->http_listen, errs);
    if (daemon->http == NULL)
        return -1;

    char *password = redis_password(config, errs);
    if ((config->redis_password_file != NULL || config->redis_password != NULL) && password == NULL)
        return -1;
    cw_store_options_t options = {
        .host = config->redis_host,
        .port = (int)config->redis_port,
        .user = config->redis_user,
        .password = password,
        .timeout_ms = config->redis_timeout_ms,
        .script = cw_commit_script,
    };
    daemon->store = cw_store_new(daemon->base, &options, &daemon->metrics, on_store_state, daemon);
    cw_secret_free(password);
    if (daemon->store == NULL) {
        cw_errlist_add(errs, "out of memory");
        return -1;
    }
    daemon->producer = cw_producer_new(daemon->base, config, &daemon->metrics, errs);
    daemon->outbox = cw_outbox_new(daemon);
    if (daemon->producer == NULL || daemon->outbox == NULL)
        return -1;
    cw_notify("STATUS=joining the consumer group");
    cw_consumer_handlers_t handlers = {
        .assigned = on_assigned,
        .revoked = on_revoked,
        .record = on_record,
        .full = consumer_full,
        .arg = daemon,
    };
    daemon->consumer =
        cw_consumer_new(daemon->base, config, &handlers, &daemon->metrics, TOPIC_WAIT_MS, errs);
    if (daemon->consumer == NULL)
        return -1;
    grow_parts(daemon, cw_consumer_partition_count(daemon->consumer));

    daemon->drain_event = event_new(daemon->base, -1, 0, on_drain, daemon);
    if (daemon->drain_event == NULL)
        return -1;
    daemon->tick_timer = event_new(daemon->base, -1, EV_PERSIST, on_tick, daemon);
    struct timeval tick = {0, 200 * 1000};
    if (daemon->tick_timer == NULL || event_add(daemon->tick_timer, &tick) != 0)
        return -1;
    uint64_t watchdog_usec = cw_notify_watchdog_usec();
    if (watchdog_usec > 0) {
        daemon->watchdog_timer = event_new(daemon->base, -1, EV_PERSIST, on_watchdog, daemon);
        struct timeval half = {(time_t)(watchdog_usec / 2 / 1000000),
                               (suseconds_t)(watchdog_usec / 2 % 1000000)};
        if (daemon->watchdog_timer == NULL || event_add(daemon->watchdog_timer, &half) != 0)
            return -1;
    }
    return 0;
}

static void stop(cw_daemon_t *daemon)
{
    /* closing the consumer commits the stored offsets and revokes its
     * partitions through the handlers */
    cw_consumer_free(daemon->consumer);
    daemon->consumer = NULL;
    if (daemon->producer != NULL) {
        int left = cw_producer_flush(daemon->producer, 5000);
        if (left > 0)
            cw_log(LOG_WARNING, "stop: %d message(s) not acknowledged; alerts among them stay "
                                "in the Redis outbox and are sent after the restart", left);
    }
    for (int32_t p = 0; p < daemon->part_count; p++)
        if (daemon->parts[p] != NULL) {
            cw_part_release(daemon->parts[p]);
            daemon->parts[p] = NULL;
        }
    cw_producer_free(daemon->producer);
    cw_outbox_free(daemon->outbox); /* removes what was acknowledged last */
    cw_store_free(daemon->store);
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
    cw_free(daemon->parts);
    if (daemon->setup != daemon->boot)
        cw_setup_free(daemon->setup);
    cw_setup_free(daemon->boot);
    event_base_free(daemon->base);
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
    daemon->base = event_base_new();
    if (daemon->base == NULL) {
        cw_setup_free(daemon->boot);
        return 1;
    }
    cw_log(LOG_NOTICE, "cdrwarnd %s starting: brokers %s, group %s, redis %s:%lld, rules_version %s",
           CW_VERSION, daemon->boot->config->brokers, daemon->boot->config->group_id,
           daemon->boot->config->redis_host, (long long)daemon->boot->config->redis_port,
           daemon->boot->config->rules_version);
    int rc = 0;
    if (start(daemon, &errs) != 0) {
        log_errors("start", &errs);
        rc = 1;
    } else {
        event_base_dispatch(daemon->base);
        cw_log(LOG_NOTICE, "stopping: committing offsets and leaving the group");
    }
    daemon->stopping = true;
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
