/* The running console (SPEC section 12): one libevent loop that owns the
 * Redis connection (the daemon's store module with cases.lua), the Kafka
 * consumer of alerts, outcomes and score records, the HTTP server (page, API, live
 * stream, /healthz, /metrics), the sessions, the audit log, signals and timers.
 * Everything runs on the loop's thread. */
#ifndef CW_CONSOLE_H
#define CW_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "caseid.h"
#include "config.h"
#include "metrics.h"
#include "throttle.h"
#include "users.h"

struct event_base;
struct event;
typedef struct cw_store cw_store_t;
typedef struct cw_ingest cw_ingest_t;
typedef struct cw_server cw_server_t;
typedef struct cw_feed cw_feed_t;
typedef struct cw_sessions cw_sessions_t;
typedef struct cw_audit cw_audit_t;

/* What /metrics shows beside the store's Redis counters. */
typedef struct cw_console_metrics {
    uint64_t alerts_new, alerts_raised, alerts_duplicate;
    uint64_t outcomes_applied, outcomes_duplicate;
    uint64_t scores_new, scores_raised,
        scores_duplicate; /* score records (SPEC section 14) */
    uint64_t bad_records; /* alerts, outcomes or score records that could not be read */
    uint64_t cases_auto_closed; /* closed as churned by an outcome */
    uint64_t batches, batch_retries;
    uint64_t logins_ok, logins_failed, logins_throttled;
    uint64_t number_displays;  /* full MSISDNs shown (each audited) */
    uint64_t actions;          /* claims, assignments, state changes, notes */
    uint64_t http_requests[6]; /* by status class: [2] 2xx ... [5] 5xx */
    uint64_t sse_events, sse_dropped;
    int consumer_joined;
} cw_console_metrics_t;

typedef struct cw_console {
    struct event_base *base;
    const char *config_path;
    cw_config_t *config; /* owned: the start-up config */
    cw_users_t *users;   /* owned: SIGHUP reloads it */
    char *dummy_hash;    /* owned: checked for unknown users (same timing) */
    char base_key[96];   /* "<key_prefix>{console}" */
    uint8_t id_key[CW_CASEID_KEY_SIZE];
    bool id_key_ready; /* the case-id secret is loaded from Redis */
    cw_store_t *store;
    cw_metrics_t store_metrics; /* the store's Redis counters */
    cw_console_metrics_t metrics;
    cw_ingest_t *ingest;
    cw_server_t *server;
    cw_feed_t *feed;
    cw_sessions_t *sessions;
    cw_audit_t *audit;
    cw_throttle_t user_throttle; /* sign-in failures per user name */
    cw_throttle_t addr_throttle; /* ... and per client address */
    bool stopping;
    bool ready_sent;
    int64_t started_ms;
    struct event *signals[4];
    struct event *tick_timer;
} cw_console_t;

/* Runs the console with the config file until SIGTERM/SIGINT; returns the
 * process exit code. */
int cw_console_run(const char *config_path);

/* --check-config: the config, the accounts file and the property.* lines;
 * prints every error; returns the exit code (0 valid, 1 not). */
int cw_console_check(const char *config_path);

/* The Redis connection is ready and the id secret loaded: ingest and the API
 * may use the store. */
bool cw_console_store_ready(const cw_console_t *console);

/* The week label of "now" at the config's UTC offset. */
void cw_console_current_week(const cw_console_t *console, char out[9]);

#endif
