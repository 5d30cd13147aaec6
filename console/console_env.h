/* What the console's modules are given when they are created: the event
 * loop, the configuration, the accounts, the case store, the sessions, the
 * live feed, the audit log, the metrics, and a hook back into whoever wired
 * them. The console (console.c) fills it and owns it; modules read it and
 * never call the console by name, so dependencies run one way. */
#ifndef CW_CONSOLE_ENV_H
#define CW_CONSOLE_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "caseid.h"
#include "config.h"
#include "metrics.h"
#include "throttle.h"
#include "users.h"

struct event_base;
typedef struct cw_store cw_store_t;
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

typedef struct cw_console_env {
    struct event_base *base;
    const cw_config_t *config; /* the start-up config */
    cw_users_t *users;         /* the accounts: SIGHUP replaces them */
    char *dummy_hash;          /* checked for unknown users (same timing) */
    char base_key[96];         /* "<key_prefix>{console}" */
    uint8_t id_key[CW_CASEID_KEY_SIZE];
    bool id_key_ready; /* the case-id secret is loaded from Redis */
    cw_store_t *store;
    cw_metrics_t store_metrics; /* the store's Redis counters */
    cw_console_metrics_t metrics;
    cw_feed_t *feed;
    cw_sessions_t *sessions;
    cw_audit_t *audit;
    cw_throttle_t user_throttle; /* sign-in failures per user name */
    cw_throttle_t addr_throttle; /* ... and per client address */
    bool stopping;               /* a stop began (SIGTERM/SIGINT) */
    int64_t started_ms;          /* monotonic */

    /* hooks into whoever wired the modules */
    int (*records_pending)(void *arg); /* taken from Kafka, not yet applied */
    void *hook_arg;
} cw_console_env_t;

#endif
