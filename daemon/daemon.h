/* The running daemon: one event loop that owns the Kafka consumer and
 * producer, the Redis connection, the HTTP endpoints, the per-partition
 * pipelines, signals and timers. Everything runs on the loop's thread. */
#ifndef CW_DAEMON_H
#define CW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "setup.h"

struct event_base;
struct event;
typedef struct cw_part cw_part_t;
typedef struct cw_store cw_store_t;
typedef struct cw_producer cw_producer_t;
typedef struct cw_consumer cw_consumer_t;
typedef struct cw_http cw_http_t;
typedef struct cw_outbox cw_outbox_t;

/* Apply and sweep steps in flight at once over all partitions: enough to keep
 * Redis and both cores busy, few enough to bound memory. */
#define CW_MAX_STEPS 8
/* Alerts and dead letters queued in the producer before week-close sweeps
 * wait: a sweep emits alerts in bursts (a blue one for every quiet tier-1
 * subscriber), and an unbounded producer queue would be the daemon's
 * largest memory cost. They are safe in the Redis outbox meanwhile; steps of
 * records, which alert rarely, go on. */
#define CW_MAX_OUTSTANDING 20000

typedef struct cw_daemon {
    struct event_base *base;
    const char *config_path;
    /* Connections, topics, keys and time settings come from the start-up
     * config and need a restart to change; rules, actions and number plans
     * come from `setup`, which SIGHUP replaces. */
    cw_setup_t *boot;             /* owned: the start-up setup */
    cw_setup_t *setup;            /* owned when != boot: the current rules */
    cw_store_t *store;
    cw_producer_t *producer;
    cw_outbox_t *outbox;
    cw_consumer_t *consumer;
    cw_http_t *http;
    cw_metrics_t metrics;

    cw_part_t **parts;            /* by partition number; NULL when not owned */
    int32_t part_count;
    int64_t records_held;         /* records in partition queues */
    int steps_in_flight;

    bool stopping;
    bool ready_sent;
    int exit_code;
    int64_t stop_deadline_ms;     /* monotonic */
    struct event *signals[4];
    struct event *tick_timer;     /* idle close, STATUS, drain, shutdown */
    struct event *drain_event;    /* resumes consumption once records are done */
    struct event *watchdog_timer;
    uint64_t status_events_prev;
    int64_t status_at_ms;
    double events_per_s;
} cw_daemon_t;

/* Runs the daemon with the config file until SIGTERM/SIGINT; returns the
 * process exit code. */
int cw_daemon_run(const char *config_path);

/* Called by the partition pipelines. */
const cw_config_t *cw_daemon_config(const cw_daemon_t *daemon);   /* start-up config */
const cw_setup_t *cw_daemon_rules(const cw_daemon_t *daemon);     /* current rules */
/* A partition pipeline finished with some records or a step: the daemon may
 * resume consumption and start waiting steps. */
void cw_daemon_records_done(cw_daemon_t *daemon, int64_t count);
void cw_daemon_step_done(cw_daemon_t *daemon);
/* Something only a person can mend (logged by the caller): stops the daemon
 * gracefully, with exit status 1. */
void cw_daemon_fail(cw_daemon_t *daemon);
/* Gives free step slots to partitions with work waiting. */
void cw_daemon_kick(cw_daemon_t *daemon);
/* Whether a step (a sweep when `sweep`) may start now. */
bool cw_daemon_step_slot(cw_daemon_t *daemon, bool sweep);

#endif
