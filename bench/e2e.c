/* cwbench-e2e: times cdrwarnd over a preloaded data set, from the first record
 * consumed (the daemons' records_consumed_total turning non-zero, polled
 * finely) to the last offset committed (the group's committed offsets equal
 * to the high watermarks of every input partition), and samples the daemons'
 * and Redis's CPU at both ends, then the peak RSS and Redis memory. Started by
 * bench/run.sh before the daemons; prints key=value lines. */
#include "bench.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INSTANCES 16
#define COMMIT_POLL_US 20000
#define SETTLE_POLL_US 250000

typedef struct {
    const char *brokers;
    const char *group;
    char *topics[CWB_MAX_LIST];
    int topic_count;
    char *metrics[MAX_INSTANCES];
    int instance_count;
    int pids[MAX_INSTANCES];
    int pid_count;
    int redis_ports[MAX_INSTANCES]; /* one server, or every master of a cluster */
    int redis_count;
    int timeout_s;
    int poll_us;
    int settle_s;
    const char *out_path;
    char *other_names[MAX_INSTANCES]; /* --other NAME:PID, CPU reported for context */
    int other_pids[MAX_INSTANCES];
    int other_count;
} opts_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: cwbench-e2e --brokers B --group G --topics T1,T2.. --metrics "
        "HOST:PORT,..\n"
        "                   --pids PID,.. --redis-port N[,N..] [--timeout S] [--poll-us US]\n"
        "                   [--settle S] [--other NAME:PID].. [--out FILE]\n"
        "\n"
        "Waits (at most --timeout s, default 600) for the daemons to consume their\n"
        "first record (GET /metrics every --poll-us us, default 2000), then for the\n"
        "group's committed offsets to reach the high watermarks of every partition\n"
        "of the topics (every 20 ms; /metrics every 100 ms meanwhile, for the times\n"
        "all records were consumed and the lag reached 0); then up to --settle s\n"
        "(default 30) for the daemons to go idle. Prints key=value lines (and\n"
        "appends them to --out); --other adds NAME_cpu_s, another process's CPU\n"
        "over the same interval. With several --redis-port (a cluster's masters)\n"
        "Redis's figures are summed, and each node's CPU and memory reported too.\n"
        "Exit 0, 1 on a failed measurement, 2 on usage errors, 3 when the broker\n"
        "dropped records of the data set (low watermark above 0).\n");
}

static int parse_args(int argc, char **argv, opts_t *opts)
{
    static const struct option longopts[] = {{"brokers", required_argument, NULL, 'b'},
                                             {"group", required_argument, NULL, 'g'},
                                             {"topics", required_argument, NULL, 't'},
                                             {"metrics", required_argument, NULL, 'm'},
                                             {"pids", required_argument, NULL, 'p'},
                                             {"redis-port", required_argument, NULL, 'r'},
                                             {"timeout", required_argument, NULL, 'T'},
                                             {"poll-us", required_argument, NULL, 'P'},
                                             {"settle", required_argument, NULL, 's'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"other", required_argument, NULL, 'O'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char *pids[MAX_INSTANCES];
    opts->timeout_s = 600;
    opts->poll_us = 2000;
    opts->settle_s = 30;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            opts->brokers = optarg;
            break;
        case 'g':
            opts->group = optarg;
            break;
        case 't':
            opts->topic_count = cwb_split(optarg, opts->topics, CWB_MAX_LIST);
            break;
        case 'm':
            opts->instance_count = cwb_split(optarg, opts->metrics, MAX_INSTANCES);
            break;
        case 'p':
            opts->pid_count = cwb_split(optarg, pids, MAX_INSTANCES);
            for (int i = 0; i < opts->pid_count; i++)
                opts->pids[i] = atoi(pids[i]);
            break;
        case 'r': {
            char *ports[MAX_INSTANCES];
            opts->redis_count = cwb_split(optarg, ports, MAX_INSTANCES);
            for (int i = 0; i < opts->redis_count; i++)
                opts->redis_ports[i] = atoi(ports[i]);
            break;
        }
        case 'T':
            opts->timeout_s = atoi(optarg);
            break;
        case 'P':
            opts->poll_us = atoi(optarg);
            break;
        case 's':
            opts->settle_s = atoi(optarg);
            break;
        case 'o':
            opts->out_path = optarg;
            break;
        case 'O': {
            char *colon = strchr(optarg, ':');
            if (colon == NULL || opts->other_count == MAX_INSTANCES)
                return -1;
            *colon = '\0';
            opts->other_names[opts->other_count] = optarg;
            opts->other_pids[opts->other_count++] = atoi(colon + 1);
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (!opts->brokers || !opts->group || opts->topic_count <= 0 ||
        opts->instance_count <= 0 || opts->pid_count <= 0 || opts->redis_count <= 0 ||
        opts->timeout_s <= 0 || opts->poll_us <= 0 || opts->settle_s < 0) {
        fprintf(stderr,
                "cwbench-e2e: --brokers, --group, --topics, --metrics, --pids and "
                "--redis-port are required\n");
        return -1;
    }
    return 0;
}

/* INFO of every Redis node: each one's, and their sum in all. */
static int redis_stats(const opts_t *opts, cwb_redis_stats_t *all, cwb_redis_stats_t *each,
                       char *errbuf, size_t errbuf_size)
{
    all->cpu_s = 0;
    all->used_memory = 0;
    for (int i = 0; i < opts->redis_count; i++) {
        if (cwb_redis_stats(opts->redis_ports[i], &each[i], errbuf, errbuf_size) != 0)
            return -1;
        all->cpu_s += each[i].cpu_s;
        all->used_memory += each[i].used_memory;
    }
    return 0;
}

static int64_t cpu_sum(const opts_t *opts)
{
    int64_t sum = 0;
    for (int i = 0; i < opts->pid_count; i++) {
        int64_t us = cwb_proc_cpu_us(opts->pids[i]);
        if (us < 0)
            return -1;
        sum += us;
    }
    return sum;
}

/* Sum of every instance's metrics; -1 when one of them does not answer. */
static int metrics_sum(const opts_t *opts, int timeout_ms, cwb_metrics_t *sum,
                       char *errbuf, size_t errbuf_size)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < opts->instance_count; i++) {
        cwb_metrics_t one;
        if (cwb_metrics_get(opts->metrics[i], timeout_ms, &one, errbuf, errbuf_size) != 0)
            return -1;
        sum->records_consumed += one.records_consumed;
        sum->consumer_lag += one.consumer_lag;
        sum->alerts += one.alerts;
        sum->alerts_delivered += one.alerts_delivered;
        sum->outbox_pending += one.outbox_pending;
        sum->dlq += one.dlq;
        sum->batches += one.batches;
        sum->batch_latency_sum_s += one.batch_latency_sum_s;
        sum->redis_roundtrips += one.redis_roundtrips;
    }
    return 0;
}

static bool all_alive(const opts_t *opts)
{
    return cpu_sum(opts) >= 0;
}

/* Partitions whose committed offset has not reached the high watermark. */
static int uncommitted(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *marks,
                       char *errbuf, size_t errbuf_size)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_copy(marks);
    for (int i = 0; i < list->cnt; i++)
        list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 5000);
    int left = -1;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errbuf, errbuf_size, "committed offsets: %s", rd_kafka_err2str(err));
    } else {
        left = 0;
        for (int i = 0; i < list->cnt; i++) {
            int64_t high = marks->elems[i].offset;
            int64_t low = (int64_t)(intptr_t)marks->elems[i].opaque;
            if (high > low && list->elems[i].offset < high)
                left++;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return left;
}

int main(int argc, char **argv)
{
    opts_t opts;
    char errbuf[512];
    memset(&opts, 0, sizeof opts);
    if (parse_args(argc, argv, &opts) != 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    FILE *out = NULL;
    if (opts.out_path != NULL && (out = fopen(opts.out_path, "a")) == NULL) {
        perror(opts.out_path);
        return 2;
    }

    /* a group member that never joins: it only reads the group's offsets */
    static const char *const pairs[] = {"enable.auto.commit", "false", "client.id",
                                        "cwbench-e2e", NULL};
    int rc = 1;
    rd_kafka_topic_partition_list_t *marks = NULL;
    rd_kafka_conf_t *conf = cwb_kafka_conf(opts.brokers, pairs, errbuf, sizeof errbuf);
    if (conf == NULL || rd_kafka_conf_set(conf, "group.id", opts.group, errbuf,
                                          sizeof errbuf) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "cwbench-e2e: %s\n", errbuf);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "cwbench-e2e: %s\n", errbuf);
        return 1;
    }
    conf = NULL;
    marks = cwb_kafka_watermarks(rk, opts.topics, opts.topic_count, 10000, errbuf,
                                 sizeof errbuf);
    if (marks == NULL) {
        fprintf(stderr, "cwbench-e2e: %s\n", errbuf);
        goto done;
    }
    bool dropped;
    int64_t records = cwb_kafka_records(marks, &dropped);
    if (dropped) {
        fprintf(stderr,
                "cwbench-e2e: the broker dropped the oldest records of some input "
                "partitions (low watermark > 0): too much data per partition for "
                "cdrwarn-devbroker; use more partitions\n");
        rc = 3;
        goto done;
    }
    cwb_report(out, "records", "%" PRId64, records);
    cwb_report(out, "input_partitions", "%d", marks->cnt);

    /* 1. the first record consumed */
    int64_t start = cwb_mono_us(), deadline = start + (int64_t)opts.timeout_s * 1000000;
    int64_t t0 = 0, cpu0 = 0, other0[MAX_INSTANCES], other1[MAX_INSTANCES];
    int64_t host0 = 0, self0 = 0;
    cwb_redis_stats_t redis0, redis1, redis2;
    cwb_redis_stats_t node0[MAX_INSTANCES], node1[MAX_INSTANCES], node2[MAX_INSTANCES];
    cwb_metrics_t metrics;
    while (!stop_requested) {
        int64_t now = cwb_mono_us();
        if (now > deadline) {
            fprintf(stderr, "cwbench-e2e: no record consumed within %d s\n",
                    opts.timeout_s);
            goto done;
        }
        if (!all_alive(&opts)) {
            fprintf(stderr, "cwbench-e2e: a daemon exited before consuming\n");
            goto done;
        }
        if (metrics_sum(&opts, 1000, &metrics, errbuf, sizeof errbuf) == 0 &&
            metrics.records_consumed > 0) {
            t0 = now;
            cpu0 = cpu_sum(&opts);
            for (int i = 0; i < opts.other_count; i++)
                other0[i] = cwb_proc_cpu_us(opts.other_pids[i]);
            host0 = cwb_host_cpu_us();
            self0 = cwb_proc_cpu_us(getpid());
            break;
        }
        cwb_sleep_us(opts.poll_us - (cwb_mono_us() - now));
    }
    if (stop_requested ||
        redis_stats(&opts, &redis0, node0, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "cwbench-e2e: %s\n", stop_requested ? "interrupted" : errbuf);
        goto done;
    }

    /* 2. every offset committed; on the way, when every record was consumed
     * and when the daemons' lag reached 0 (all applied) */
    int64_t t_consumed = 0, t_applied = 0, t1 = 0;
    int left = -1;
    unsigned polls = 0;
    while (!stop_requested) {
        int64_t now = cwb_mono_us();
        if (now > deadline) {
            fprintf(stderr,
                    "cwbench-e2e: %d partition(s) not committed within %d s; "
                    "consumed %.0f of %" PRId64 "\n",
                    left, opts.timeout_s, metrics.records_consumed, records);
            goto done;
        }
        if (!all_alive(&opts)) {
            fprintf(stderr, "cwbench-e2e: a daemon exited during the run\n");
            goto done;
        }
        /* every 100 ms: each scrape costs the daemon a little CPU */
        if (polls++ % 5 == 0 &&
            metrics_sum(&opts, 2000, &metrics, errbuf, sizeof errbuf) == 0) {
            if (t_consumed == 0 && metrics.records_consumed >= (double)records)
                t_consumed = now;
            if (t_applied == 0 && t_consumed != 0 && metrics.consumer_lag == 0)
                t_applied = now;
        }
        left = uncommitted(rk, marks, errbuf, sizeof errbuf);
        if (left == 0) {
            t1 = cwb_mono_us();
            break;
        }
        cwb_sleep_us(COMMIT_POLL_US - (cwb_mono_us() - now));
    }
    if (stop_requested)
        goto done;
    int64_t cpu1 = cpu_sum(&opts);
    for (int i = 0; i < opts.other_count; i++)
        other1[i] = cwb_proc_cpu_us(opts.other_pids[i]);
    int64_t host1 = cwb_host_cpu_us(), self1 = cwb_proc_cpu_us(getpid());
    if (redis_stats(&opts, &redis1, node1, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "cwbench-e2e: %s\n", errbuf);
        goto done;
    }
    if (t_consumed == 0)
        t_consumed = t1;
    if (t_applied == 0)
        t_applied = t1;

    /* 3. the tail: alerts still being published, a week-close sweep still
     * running after the last offset was committed */
    int64_t settle_deadline = cwb_mono_us() + (int64_t)opts.settle_s * 1000000;
    int64_t prev_cpu = cpu1, t_settled = t1;
    bool settled = false;
    while (!stop_requested && cwb_mono_us() < settle_deadline) {
        cwb_sleep_us(SETTLE_POLL_US);
        int64_t cpu = cpu_sum(&opts);
        if (cpu < 0)
            break;
        bool idle = (cpu - prev_cpu) * 50 < SETTLE_POLL_US; /* < 2 % of a core */
        prev_cpu = cpu;
        if (idle && metrics_sum(&opts, 2000, &metrics, errbuf, sizeof errbuf) == 0 &&
            metrics.alerts_delivered >= metrics.alerts && metrics.outbox_pending == 0) {
            settled = true;
            break;
        }
        t_settled = cwb_mono_us();
    }
    int64_t cpu2 = prev_cpu;
    if (redis_stats(&opts, &redis2, node2, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "cwbench-e2e: %s\n", errbuf);
        goto done;
    }
    metrics_sum(&opts, 2000, &metrics, errbuf, sizeof errbuf);

    double secs = (double)(t1 - t0) / 1e6;
    cwb_report(out, "e2e_s", "%.3f", secs);
    cwb_report(out, "events_per_s", "%.0f", (double)records / secs);
    cwb_report(out, "consumed_s", "%.3f", (double)(t_consumed - t0) / 1e6);
    cwb_report(out, "applied_s", "%.3f", (double)(t_applied - t0) / 1e6);
    cwb_report(out, "daemon_cpu_s", "%.3f", (double)(cpu1 - cpu0) / 1e6);
    cwb_report(out, "daemon_cpu_us_per_event", "%.2f",
               (double)(cpu1 - cpu0) / (double)records);
    cwb_report(out, "redis_cpu_s", "%.3f", redis1.cpu_s - redis0.cpu_s);
    cwb_report(out, "redis_cpu_us_per_event", "%.2f",
               (redis1.cpu_s - redis0.cpu_s) * 1e6 / (double)records);
    cwb_report(out, "tail_s", "%.3f", (double)(t_settled - t1) / 1e6);
    cwb_report(out, "tail_settled", "%d", settled ? 1 : 0);
    cwb_report(out, "daemon_cpu_incl_tail_us_per_event", "%.2f",
               (double)(cpu2 - cpu0) / (double)records);
    cwb_report(out, "redis_cpu_incl_tail_us_per_event", "%.2f",
               (redis2.cpu_s - redis0.cpu_s) * 1e6 / (double)records);
    /* what else ran on the host meanwhile: the measurement is only as good
     * as the machine was quiet */
    int64_t background = (host1 - host0) - (cpu1 - cpu0) - (self1 - self0);
    for (int i = 0; i < opts.other_count; i++) {
        char key[80];
        snprintf(key, sizeof key, "%s_cpu_s", opts.other_names[i]);
        cwb_report(out, key, "%.3f", (double)(other1[i] - other0[i]) / 1e6);
        background -= other1[i] - other0[i];
    }
    cwb_report(out, "host_cpu_s", "%.3f", (double)(host1 - host0) / 1e6);
    cwb_report(out, "self_cpu_s", "%.3f", (double)(self1 - self0) / 1e6);
    /* /proc counts in clock ticks: a quiet host can come out slightly below 0 */
    cwb_report(out, "background_cores", "%.2f",
               background > 0 ? (double)background / (double)(t1 - t0) : 0.0);
    int64_t hwm_max = 0, hwm_sum = 0;
    for (int i = 0; i < opts.pid_count; i++) {
        int64_t kb = cwb_proc_hwm_kb(opts.pids[i]);
        hwm_sum += kb;
        if (kb > hwm_max)
            hwm_max = kb;
    }
    cwb_report(out, "daemon_hwm_kb_max", "%" PRId64, hwm_max);
    cwb_report(out, "daemon_hwm_kb_sum", "%" PRId64, hwm_sum);
    cwb_report(out, "redis_used_memory", "%lld", redis2.used_memory);
    cwb_report(out, "redis_nodes", "%d", opts.redis_count);
    for (int i = 0; i < opts.redis_count; i++) {
        char key[80];
        snprintf(key, sizeof key, "redis_node%d_port", i);
        cwb_report(out, key, "%d", opts.redis_ports[i]);
        snprintf(key, sizeof key, "redis_node%d_cpu_us_per_event", i);
        cwb_report(out, key, "%.2f", (node1[i].cpu_s - node0[i].cpu_s) * 1e6 / (double)records);
        snprintf(key, sizeof key, "redis_node%d_used_memory", i);
        cwb_report(out, key, "%lld", node2[i].used_memory);
    }
    cwb_report(out, "records_consumed", "%.0f", metrics.records_consumed);
    cwb_report(out, "alerts", "%.0f", metrics.alerts);
    cwb_report(out, "alerts_delivered", "%.0f", metrics.alerts_delivered);
    cwb_report(out, "dlq", "%.0f", metrics.dlq);
    cwb_report(out, "batches", "%.0f", metrics.batches);
    cwb_report(out, "records_per_batch", "%.1f",
               metrics.batches > 0 ? metrics.records_consumed / metrics.batches : 0.0);
    cwb_report(out, "batch_latency_mean_ms", "%.2f",
               metrics.batches > 0 ? 1000 * metrics.batch_latency_sum_s / metrics.batches
                                   : 0.0);
    cwb_report(out, "redis_roundtrips", "%.0f", metrics.redis_roundtrips);
    rc = 0;
done:
    if (marks != NULL)
        rd_kafka_topic_partition_list_destroy(marks);
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    if (out != NULL)
        fclose(out);
    return rc;
}
