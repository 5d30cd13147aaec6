/* What the daemon's modules are given when they are created: the event
 * loop, the configuration, the connections, the metrics, and a few hooks
 * back into whoever wired them. The daemon fills it and owns it; modules
 * read it and never call the daemon by name, so dependencies run one way. */
#ifndef CW_ENV_H
#define CW_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "setup.h"

struct event_base;
typedef struct cw_store cw_store_t;
typedef struct cw_outbox cw_outbox_t;
typedef struct cw_consumer cw_consumer_t;
typedef struct cw_statecache cw_statecache_t;

/* Apply and sweep steps in flight at once over all partitions: enough to keep
 * Redis and both cores busy, few enough to bound memory. */
#define CW_MAX_STEPS 8

typedef struct cw_env {
    struct event_base *base;
    const cw_config_t *config;   /* start-up config: connections, keys, time (restart to change) */
    const cw_setup_t *setup;     /* current rules, number plan, actions (a reload replaces it) */
    cw_metrics_t *metrics;
    cw_store_t *store;
    cw_outbox_t *outbox;
    cw_consumer_t *consumer;     /* offsets for the group commit; NULL until it exists */
    cw_statecache_t *cache;      /* states as the last commits wrote them (step.c) */
    int32_t partition_count;     /* of the input topics; 0 until known */
    bool stopping;               /* a stop began: no new steps */
    int steps_in_flight;         /* counted by the partition pipelines only */

    /* hooks into whoever wired the modules */
    /* records (and their memory, cw_record_size) left a partition queue */
    void (*records_done)(int64_t count, int64_t bytes, void *arg);
    void (*step_slot_freed)(void *arg);             /* another partition may start a step */
    void (*fail)(void *arg);     /* only a person can mend it (logged): stop, exit 1 */
    void *hook_arg;
} cw_env_t;

#endif
