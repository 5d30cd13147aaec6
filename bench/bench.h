/* cdrwarn benchmark tools: declarations shared by cwbench-e2e, cwbench-consume
 * and cwbench-probe. bench_sample.c reads what a run is measured by (process
 * CPU and memory from /proc, Redis INFO, the daemon's /metrics), bench_kafka.c
 * holds the Kafka plumbing the three tools share. bench/run.sh drives them. */
#ifndef CWB_BENCH_H
#define CWB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#define CWB_MAX_LIST 64

/* ---- clocks and small helpers (bench_sample.c) ---- */

/* CLOCK_MONOTONIC in microseconds: every interval a tool reports. */
int64_t cwb_mono_us(void);
/* CLOCK_REALTIME in milliseconds: event times. */
int64_t cwb_wall_ms(void);
void cwb_sleep_us(int64_t us);
/* Splits "a,b,c" into at most `max` borrowed pieces of `text` (modified in
 * place). Returns the count, or -1 when there are more than `max`. */
int cwb_split(char *text, char **out, int max);

/* ---- process, Redis and daemon sampling (bench_sample.c) ---- */

/* user + sys CPU time of a process in microseconds (/proc/PID/stat), -1 when
 * the process is gone. */
int64_t cwb_proc_cpu_us(int pid);
/* CPU time all processes of the host have used (/proc/stat: user, nice,
 * system, irq, softirq, steal), in microseconds. */
int64_t cwb_host_cpu_us(void);
/* Peak resident set size (VmHWM) of a process in KiB, -1 when unknown. */
int64_t cwb_proc_hwm_kb(int pid);

typedef struct {
    double cpu_s;          /* used_cpu_user + used_cpu_sys */
    long long used_memory; /* bytes */
} cwb_redis_stats_t;

/* One INFO round trip to 127.0.0.1:port. Returns 0 or -1 with errbuf. */
int cwb_redis_stats(int port, cwb_redis_stats_t *stats, char *errbuf, size_t errbuf_size);

/* What bench tools read from a daemon's GET /metrics. */
typedef struct {
    double records_consumed;
    double consumer_lag; /* sum over partitions */
    double alerts;       /* sum over levels */
    double alerts_delivered;
    double outbox_pending;
    double dlq; /* sum over reasons */
    double batches;
    double batch_latency_sum_s;
    double redis_roundtrips;
} cwb_metrics_t;

/* GET /metrics from "host:port" (IPv4), bounded by timeout_ms. Returns 0 or
 * -1 with errbuf (daemon not listening yet, timeout). */
int cwb_metrics_get(const char *addr, int timeout_ms, cwb_metrics_t *metrics,
                    char *errbuf, size_t errbuf_size);

/* ---- Kafka (bench_kafka.c) ---- */

/* A librdkafka configuration with bootstrap.servers set; `pairs` is a
 * NULL-terminated key, value, key, value... list. Returns NULL with errbuf. */
rd_kafka_conf_t *cwb_kafka_conf(const char *brokers, const char *const *pairs,
                                char *errbuf, size_t errbuf_size);

/* Every partition of the topics with its high watermark in ->offset (and the
 * low watermark in the element's opaque, cast to intptr_t). Returns a new list
 * or NULL with errbuf. */
rd_kafka_topic_partition_list_t *cwb_kafka_watermarks(rd_kafka_t *rk, char **topics,
                                                      int topic_count, int timeout_ms,
                                                      char *errbuf, size_t errbuf_size);
/* Sum of high - low over a list from cwb_kafka_watermarks; *dropped is set
 * when some low watermark is above 0 (the broker discarded old records). */
int64_t cwb_kafka_records(const rd_kafka_topic_partition_list_t *marks, bool *dropped);

/* Writes "key=value\n" to stdout and, when out is not NULL, to out. */
void cwb_report(FILE *out, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
