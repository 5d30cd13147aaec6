/* Prometheus text exposition of the daemon's metrics. */
#include "metrics.h"

#include <event2/buffer.h>

static const double latency_bounds[CW_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

void cw_histogram_observe(cw_histogram_t *histogram, double seconds)
{
    for (int i = 0; i < CW_LATENCY_BUCKETS; i++) {
        if (seconds <= latency_bounds[i]) {
            histogram->buckets[i]++;
            break;
        }
    }
    histogram->count++;
    histogram->sum_s += seconds;
}

void cw_metrics_churn(cw_metrics_t *metrics, int kind, int caught_level, int lead_weeks)
{
    if (kind < 0 || kind >= CW_CHURN__COUNT || caught_level < 0 || caught_level >= CW_LEVEL__COUNT)
        return;
    metrics->churns[kind][caught_level]++;
    if (lead_weeks >= 0)
        metrics->churn_lead_weeks[lead_weeks > CW_LEAD_WEEKS_MAX ? CW_LEAD_WEEKS_MAX
                                                                  : lead_weeks]++;
}

static void family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(struct evbuffer *out, const char *name, const char *type, const char *help,
                   double value)
{
    family(out, name, type, help);
    evbuffer_add_printf(out, "%s %.17g\n", name, value);
}

static void histogram(struct evbuffer *out, const char *name, const char *help,
                      const cw_histogram_t *h)
{
    family(out, name, "histogram", help);
    uint64_t cumulative = 0;
    for (int i = 0; i < CW_LATENCY_BUCKETS; i++) {
        cumulative += h->buckets[i];
        evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, latency_bounds[i],
                            (unsigned long long)cumulative);
    }
    evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    evbuffer_add_printf(out, "%s_sum %.9f\n%s_count %llu\n", name, h->sum_s, name,
                        (unsigned long long)h->count);
}

void cw_metrics_render(const cw_metrics_t *m, struct evbuffer *out,
                       void (*per_partition)(struct evbuffer *out, void *arg), void *arg)
{
    family(out, "cdrwarn_build_info", "gauge", "Version of the running cdrwarnd.");
    evbuffer_add_printf(out, "cdrwarn_build_info{version=\"%s\"} 1\n", CW_VERSION);
    scalar(out, "cdrwarn_start_time_seconds", "gauge", "Start time of the daemon (epoch seconds).",
           (double)m->started_at_ms / 1000.0);

    scalar(out, "cdrwarn_records_consumed_total", "counter",
           "Kafka records taken from the input topics.", (double)m->records_consumed);
    scalar(out, "cdrwarn_records_replayed_total", "counter",
           "Records delivered again that had already been applied (skipped).",
           (double)m->records_replayed);

    family(out, "cdrwarn_events_total", "counter", "Events applied to the aggregates, by type.");
    for (int t = 0; t < CW_EV__COUNT; t++)
        evbuffer_add_printf(out, "cdrwarn_events_total{type=\"%s\"} %llu\n",
                            cw_event_type_name((cw_event_type_t)t),
                            (unsigned long long)m->events[t]);

    family(out, "cdrwarn_dlq_records_total", "counter",
           "Records sent to the dead-letter topic, by reason.");
    for (int r = 1; r < CW_DLQ__COUNT; r++)
        evbuffer_add_printf(out, "cdrwarn_dlq_records_total{reason=\"%s\"} %llu\n",
                            cw_dlq_reason_name((cw_dlq_reason_t)r), (unsigned long long)m->dlq[r]);

    family(out, "cdrwarn_alerts_total", "counter", "Alerts decided and stored for publishing, by level.");
    for (int l = CW_LEVEL_BLUE; l < CW_LEVEL__COUNT; l++)
        evbuffer_add_printf(out, "cdrwarn_alerts_total{level=\"%s\"} %llu\n",
                            cw_level_name((cw_level_t)l), (unsigned long long)m->alerts[l]);
    scalar(out, "cdrwarn_alerts_delivered_total", "counter",
           "Alerts acknowledged by the Kafka alert topic.", (double)m->alerts_delivered);
    family(out, "cdrwarn_churns_total", "counter",
           "Churn outcomes published, by churn kind and the highest level the churner was "
           "alerted with in the outcome horizon (none: not caught).");
    for (int k = 0; k < CW_CHURN__COUNT; k++)
        for (int l = 0; l < CW_LEVEL__COUNT; l++)
            evbuffer_add_printf(out, "cdrwarn_churns_total{kind=\"%s\",caught=\"%s\"} %llu\n",
                                cw_churn_kind_name((cw_churn_kind_t)k),
                                cw_level_name((cw_level_t)l), (unsigned long long)m->churns[k][l]);
    family(out, "cdrwarn_churn_lead_weeks", "histogram",
           "Caught churners by weeks between their first alert in the horizon and the churn.");
    uint64_t caught = 0, weeks_sum = 0;
    for (int w = 0; w <= CW_LEAD_WEEKS_MAX; w++) {
        caught += m->churn_lead_weeks[w];
        weeks_sum += (uint64_t)w * m->churn_lead_weeks[w];
        evbuffer_add_printf(out, "cdrwarn_churn_lead_weeks_bucket{le=\"%d\"} %llu\n", w,
                            (unsigned long long)caught);
    }
    evbuffer_add_printf(out,
                        "cdrwarn_churn_lead_weeks_bucket{le=\"+Inf\"} %llu\n"
                        "cdrwarn_churn_lead_weeks_sum %llu\ncdrwarn_churn_lead_weeks_count %llu\n",
                        (unsigned long long)caught, (unsigned long long)weeks_sum,
                        (unsigned long long)caught);
    scalar(out, "cdrwarn_outbox_pending", "gauge",
           "Alerts sent to Kafka and not yet acknowledged.", (double)m->outbox_pending);

    scalar(out, "cdrwarn_batches_total", "counter",
           "Batches of records applied and committed to Redis.", (double)m->batches);
    histogram(out, "cdrwarn_batch_latency_seconds",
              "Time from taking a batch to Redis acknowledging its commit.", &m->batch_latency);

    scalar(out, "cdrwarn_redis_roundtrips_total", "counter", "Redis commands answered.",
           (double)m->redis_roundtrips);
    scalar(out, "cdrwarn_redis_errors_total", "counter",
           "Redis commands that failed (error reply, timeout or lost connection).",
           (double)m->redis_errors);
    scalar(out, "cdrwarn_redis_reconnects_total", "counter", "Redis connections re-established.",
           (double)m->redis_reconnects);
    scalar(out, "cdrwarn_redis_fenced_total", "counter",
           "Commits refused because another owner of the partition wrote first.",
           (double)m->redis_fenced);
    scalar(out, "cdrwarn_redis_up", "gauge",
           "1 when the Redis connection is ready (a cluster: the slot map is known and every "
           "master answers).",
           (double)m->redis_up);
    family(out, "cdrwarn_redis_cluster_replies_total", "counter",
           "Redis Cluster answers other than the command's: redirections (MOVED: the slot "
           "moved, the step is redone; ASK: followed to the migration's target) and refusals "
           "while the cluster changes (TRYAGAIN, CLUSTERDOWN).");
    static const char *const cluster_replies[] = {"moved", "ask", "tryagain", "clusterdown"};
    for (int i = 0; i < 4; i++)
        evbuffer_add_printf(out, "cdrwarn_redis_cluster_replies_total{reply=\"%s\"} %llu\n",
                            cluster_replies[i], (unsigned long long)m->redis_cluster_replies[i]);
    scalar(out, "cdrwarn_redis_slot_map_refreshes_total", "counter",
           "Redis Cluster slot maps read (at start, after a redirection or a lost node, and "
           "every 10 s).",
           (double)m->redis_map_refreshes);
    scalar(out, "cdrwarn_redis_wait_shortfalls_total", "counter",
           "Commits that fewer replicas acknowledged than [redis] min_replicas_acked within "
           "half the Redis timeout (each is redone from Redis's offsets).",
           (double)m->redis_wait_shortfalls);
    scalar(out, "cdrwarn_state_cache_hits_total", "counter",
           "Subscriber states found in memory instead of read from Redis.",
           (double)m->state_cache_hits);
    scalar(out, "cdrwarn_state_cache_misses_total", "counter",
           "Subscriber states read from Redis: not in the state cache.",
           (double)m->state_cache_misses);
    scalar(out, "cdrwarn_state_cache_entries", "gauge", "Subscriber states in the state cache.",
           (double)m->state_cache_entries);
    scalar(out, "cdrwarn_state_cache_bytes", "gauge",
           "Memory the state cache counts against [redis] state_cache.",
           (double)m->state_cache_bytes);
    scalar(out, "cdrwarn_redis_rollbacks_total", "counter",
           "Partitions whose state in Redis was found behind the group's committed offsets "
           "(Redis came back older) and replayed from Redis's offsets.",
           (double)m->redis_rollbacks);
    scalar(out, "cdrwarn_records_rewound_total", "counter",
           "Records read again because Redis had lost their writes.", (double)m->records_rewound);
    scalar(out, "cdrwarn_partitions_fenced_total", "counter",
           "Partitions this instance stopped working because another instance claimed them.",
           (double)m->partitions_fenced);
    scalar(out, "cdrwarn_partitions_lost", "gauge",
           "Partitions refused because their state is gone from Redis while the group has "
           "committed offsets for them.",
           (double)m->partitions_lost);

    scalar(out, "cdrwarn_week_closes_total", "counter", "Week-close sweeps completed per partition.",
           (double)m->week_closes);
    scalar(out, "cdrwarn_month_closes_total", "counter",
           "Month closes (the value-churn model's scoring) completed per partition.",
           (double)m->month_closes);
    family(out, "cdrwarn_score_records_total", "counter",
           "Score records published, by what they say (a record can say both).");
    evbuffer_add_printf(out,
                        "cdrwarn_score_records_total{kind=\"potential_churner\"} %llu\n"
                        "cdrwarn_score_records_total{kind=\"value_churn\"} %llu\n",
                        (unsigned long long)m->score_records[0],
                        (unsigned long long)m->score_records[1]);
    family(out, "cdrwarn_scores", "histogram",
           "The monthly scores of the subscribers scored at month closes.");
    uint64_t scored = 0, score_sum = 0;
    for (int s = 0; s < CW_SCORE_CELLS; s++) {
        scored += m->scores[s];
        score_sum += (uint64_t)s * m->scores[s];
        if (s % 2 == 0 && s < CW_SCORE_CELLS - 1)
            evbuffer_add_printf(out, "cdrwarn_scores_bucket{le=\"%d\"} %llu\n", s,
                                (unsigned long long)scored);
    }
    evbuffer_add_printf(out,
                        "cdrwarn_scores_bucket{le=\"+Inf\"} %llu\ncdrwarn_scores_sum %llu\n"
                        "cdrwarn_scores_count %llu\n",
                        (unsigned long long)scored, (unsigned long long)score_sum,
                        (unsigned long long)scored);
    scalar(out, "cdrwarn_produce_errors_total", "counter",
           "Kafka produce attempts that failed (alerts and DLQ records are retried).",
           (double)m->produce_errors);
    scalar(out, "cdrwarn_consumer_joined", "gauge", "1 once the consumer has joined its group.",
           (double)m->consumer_joined);
    scalar(out, "cdrwarn_partitions_assigned", "gauge", "Input partition numbers owned.",
           (double)m->partitions_assigned);

    family(out, "cdrwarn_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
    evbuffer_add_printf(out, "cdrwarn_reloads_total{result=\"ok\"} %llu\n",
                        (unsigned long long)m->reloads_ok);
    evbuffer_add_printf(out, "cdrwarn_reloads_total{result=\"failed\"} %llu\n",
                        (unsigned long long)m->reloads_failed);

    if (per_partition != NULL)
        per_partition(out, arg);
}
