/* The daemon's counters and gauges, and their Prometheus text rendering
 * (SPEC section 9). Counters only grow; the event loop is the only writer. */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stdint.h>

#include "event.h"
#include "rules.h"

struct evbuffer;

#define CW_LATENCY_BUCKETS 12
#define CW_LEAD_WEEKS_MAX 15
#define CW_SCORE_CELLS 32 /* scores 0..30 and "31 or more" */

typedef struct cw_histogram {
    uint64_t buckets[CW_LATENCY_BUCKETS]; /* cumulative counts are built when rendering */
    uint64_t count;
    double sum_s;
} cw_histogram_t;

typedef struct cw_metrics {
    uint64_t records_consumed;
    uint64_t records_replayed;             /* skipped: already applied before */
    uint64_t events[CW_EV__COUNT];         /* applied, by type */
    uint64_t dlq[CW_DLQ__COUNT];           /* by reason */
    uint64_t alerts[CW_LEVEL__COUNT];      /* written to the outbox, by level */
    uint64_t alerts_delivered;             /* acknowledged by Kafka */
    uint64_t churns[CW_CHURN__COUNT][CW_LEVEL__COUNT]; /* by kind and caught level */
    uint64_t churn_lead_weeks[CW_LEAD_WEEKS_MAX + 1]; /* caught churns by lead weeks */
    uint64_t batches;
    cw_histogram_t batch_latency;          /* first record taken to Redis commit acknowledged */
    uint64_t redis_roundtrips;
    uint64_t redis_errors;
    uint64_t redis_reconnects;
    uint64_t redis_fenced;                 /* commits refused: another owner wrote first */
    /* a cluster's answers that were not the command's: MOVED, ASK, TRYAGAIN,
     * CLUSTERDOWN (cluster.h's cw_cluster_reply_t minus one) */
    uint64_t redis_cluster_replies[4];
    uint64_t redis_map_refreshes;          /* cluster slot maps read */
    uint64_t redis_wait_shortfalls;        /* commits fewer replicas acknowledged than asked */
    uint64_t state_cache_hits, state_cache_misses;
    uint64_t state_cache_entries, state_cache_bytes;
    uint64_t redis_rollbacks;              /* partitions found behind the group's offsets */
    uint64_t records_rewound;              /* records applied again after a rollback */
    uint64_t partitions_fenced;            /* partitions given up: another instance claimed them */
    int partitions_lost;                   /* partitions refused: their state is gone */
    uint64_t week_closes;
    uint64_t month_closes;
    uint64_t score_records[2];             /* [0] potential churners, [1] value churn */
    uint64_t scores[CW_SCORE_CELLS];       /* subscribers scored at month closes, by score */
    uint64_t produce_errors;
    uint64_t reloads_ok;
    uint64_t reloads_failed;
    int64_t outbox_pending;                /* alerts produced but not yet acknowledged */
    int redis_up;
    int consumer_joined;
    int partitions_assigned;
    int64_t started_at_ms;
} cw_metrics_t;

void cw_histogram_observe(cw_histogram_t *histogram, double seconds);
/* A churn outcome published: its kind, the highest level it was caught
 * with (CW_LEVEL_NONE: not caught) and its lead weeks (-1: not caught). */
void cw_metrics_churn(cw_metrics_t *metrics, int kind, int caught_level, int lead_weeks);

/* Renders every family with HELP and TYPE lines. `per_partition` adds the
 * families whose labels are only known at run time (consumer lag, stream
 * time); it may be NULL. */
void cw_metrics_render(const cw_metrics_t *metrics, struct evbuffer *out,
                       void (*per_partition)(struct evbuffer *out, void *arg), void *arg);

#endif
