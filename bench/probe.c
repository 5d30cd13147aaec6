/* cwbench-probe: alert latency under load. Every --interval-ms it sends a
 * probe subscriber (a fresh own-operator MSISDN) a profile of tier "high"
 * with no subsidy and then a "serious" complaint, which makes cdrwarnd publish
 * a red alert at once; a consumer assigned to every partition of the alert
 * topic notes when the alert with that MSISDN arrives. Latency = alert
 * arrival - the moment the complaint was handed to librdkafka, both on this
 * process's monotonic clock. */
#include "bench.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROBES 100000

typedef struct {
    const char *brokers;
    const char *topic;
    const char *alert_topic;
    int interval_ms;
    int duration_s;
    int wait_s;
    int64_t event_ts; /* 0 = the wall clock at each probe */
    uint64_t first_msisdn;
    const char *fetch_wait_ms;
    const char *out_path;
} opts_t;

typedef struct {
    int64_t sent_us;          /* complaint handed to librdkafka */
    _Atomic int64_t acked_us; /* complaint acknowledged by the broker */
    _Atomic int64_t alert_us; /* first alert for the MSISDN arrived */
    _Atomic int red;          /* that alert was red */
} probe_t;

static probe_t probes[MAX_PROBES];
static atomic_int stop_consumer;
static volatile sig_atomic_t stop_requested;
static opts_t opts;
static _Atomic long alerts_seen, alerts_other;

static void on_signal(int sig)
{
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: cwbench-probe --brokers B [--topic crm] [--alert-topic churn-alerts]\n"
        "                     [--interval-ms 50] [--duration S] [--wait S]\n"
        "                     [--event-ts MS] [--first-msisdn 13900000000]\n"
        "                     [--fetch-wait-ms 1] [--out FILE]\n"
        "\n"
        "Sends one probe every --interval-ms for --duration s (default 25), waits up\n"
        "to --wait s (default 10) for the last alerts, prints key=value lines:\n"
        "probes, alerts received, lost, latency p50/p90/p99/max in ms. --event-ts\n"
        "dates the probe events (epoch ms; default: the wall clock).\n"
        "--fetch-wait-ms is the alert consumer's fetch.wait.max.ms: keep it small,\n"
        "librdkafka's mock broker holds an empty fetch for the whole wait even when\n"
        "data arrives meanwhile.\n");
}

static int parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"alert-topic", required_argument, NULL, 'a'},
        {"interval-ms", required_argument, NULL, 'i'},
        {"duration", required_argument, NULL, 'd'},
        {"wait", required_argument, NULL, 'w'},
        {"event-ts", required_argument, NULL, 'e'},
        {"first-msisdn", required_argument, NULL, 'f'},
        {"fetch-wait-ms", required_argument, NULL, 'F'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    opts.topic = "crm";
    opts.alert_topic = "churn-alerts";
    opts.interval_ms = 50;
    opts.duration_s = 25;
    opts.wait_s = 10;
    opts.first_msisdn = 13900000000ULL;
    opts.fetch_wait_ms = "1";
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            opts.brokers = optarg;
            break;
        case 't':
            opts.topic = optarg;
            break;
        case 'a':
            opts.alert_topic = optarg;
            break;
        case 'i':
            opts.interval_ms = atoi(optarg);
            break;
        case 'd':
            opts.duration_s = atoi(optarg);
            break;
        case 'w':
            opts.wait_s = atoi(optarg);
            break;
        case 'e':
            opts.event_ts = strtoll(optarg, NULL, 10);
            break;
        case 'f':
            opts.first_msisdn = strtoull(optarg, NULL, 10);
            break;
        case 'F':
            opts.fetch_wait_ms = optarg;
            break;
        case 'o':
            opts.out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (opts.brokers == NULL || opts.interval_ms <= 0 || opts.duration_s <= 0 ||
        opts.wait_s < 0 ||
        (int64_t)opts.duration_s * 1000 / opts.interval_ms > MAX_PROBES) {
        fprintf(stderr, "cwbench-probe: --brokers is required; at most %d probes\n",
                MAX_PROBES);
        return -1;
    }
    return 0;
}

/* ---- the alert side ---- */

static void on_alert(const rd_kafka_message_t *msg, int64_t now)
{
    atomic_fetch_add(&alerts_seen, 1);
    char key[24];
    if (msg->key == NULL || msg->key_len == 0 || msg->key_len >= sizeof key)
        return;
    memcpy(key, msg->key, msg->key_len);
    key[msg->key_len] = '\0';
    char *end;
    uint64_t msisdn = strtoull(key, &end, 10);
    if (*end != '\0' || msisdn < opts.first_msisdn ||
        msisdn - opts.first_msisdn >= MAX_PROBES) {
        atomic_fetch_add(&alerts_other, 1);
        return;
    }
    probe_t *probe = &probes[msisdn - opts.first_msisdn];
    int64_t expected = 0;
    if (atomic_compare_exchange_strong(&probe->alert_us, &expected, now)) {
        const char *value = msg->payload;
        bool red =
            value != NULL && memmem(value, msg->len, "\"level\":\"red\"", 13) != NULL;
        atomic_store(&probe->red, red);
    }
}

static void *consume_alerts(void *arg)
{
    rd_kafka_t *rk = arg;
    while (!atomic_load(&stop_consumer)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 50);
        if (msg == NULL)
            continue;
        int64_t now = cwb_mono_us();
        if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR)
            on_alert(msg, now);
        else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "cwbench-probe: alert consumer: %s\n",
                    rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
    }
    return NULL;
}

/* A consumer on every partition of the alert topic from its current end, so
 * no alert produced after this returns is missed and no group join delays
 * the start. */
static rd_kafka_t *alert_consumer_new(char *errbuf, size_t errbuf_size)
{
    const char *pairs[] = {"group.id",  "cwbench-probe",        "enable.auto.commit",
                           "false",     "fetch.wait.max.ms",    opts.fetch_wait_ms,
                           "client.id", "cwbench-probe-alerts", NULL};
    rd_kafka_conf_t *conf = cwb_kafka_conf(opts.brokers, pairs, errbuf, errbuf_size);
    if (conf == NULL)
        return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, errbuf_size);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    char *topics[1] = {(char *)opts.alert_topic};
    rd_kafka_topic_partition_list_t *marks =
        cwb_kafka_watermarks(rk, topics, 1, 10000, errbuf, errbuf_size);
    if (marks == NULL) {
        rd_kafka_destroy(rk);
        return NULL;
    }
    for (int i = 0; i < marks->cnt; i++)
        marks->elems[i].opaque = NULL;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, marks);
    rd_kafka_topic_partition_list_destroy(marks);
    if (err) {
        snprintf(errbuf, errbuf_size, "assign %s: %s", opts.alert_topic,
                 rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* ---- the probe side ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    intptr_t index = (intptr_t)msg->_private;
    if (index < 0)
        return;
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "cwbench-probe: probe %ld not delivered: %s\n", (long)index,
                rd_kafka_err2str(msg->err));
        return;
    }
    atomic_store(&probes[index].acked_us, cwb_mono_us());
}

static int produce(rd_kafka_t *rk, const char *key, const char *value, intptr_t index)
{
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(opts.topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)value, strlen(value)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)index),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "cwbench-probe: produce: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static int send_probe(rd_kafka_t *rk, int index)
{
    char key[24], value[512];
    uint64_t msisdn = opts.first_msisdn + (uint64_t)index;
    int64_t ts = opts.event_ts > 0 ? opts.event_ts : cwb_wall_ms();
    snprintf(key, sizeof key, "%" PRIu64, msisdn);
    snprintf(value, sizeof value,
             "{\"event_id\":\"bench-probe-%d-p\",\"type\":\"profile\",\"msisdn\":\"%s\","
             "\"ts\":%" PRId64 ",\"tier\":\"high\",\"subsidy_end\":null,"
             "\"contract_end\":null}",
             index, key, ts);
    if (produce(rk, key, value, -1) != 0)
        return -1;
    snprintf(
        value, sizeof value,
        "{\"event_id\":\"bench-probe-%d-c\",\"type\":\"complaint\",\"msisdn\":\"%s\","
        "\"ts\":%" PRId64 ",\"severity\":\"serious\",\"overdue\":false}",
        index, key, ts);
    probes[index].sent_us = cwb_mono_us();
    return produce(rk, key, value, index);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in ms. */
static double pct_ms(const int64_t *sorted, int count, double pct)
{
    if (count == 0)
        return -1;
    int rank = (int)(pct / 100.0 * count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return (double)sorted[rank - 1] / 1000.0;
}

int main(int argc, char **argv)
{
    char errbuf[512];
    if (parse_args(argc, argv) != 0) {
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

    rd_kafka_t *alerts = alert_consumer_new(errbuf, sizeof errbuf);
    if (alerts == NULL) {
        fprintf(stderr, "cwbench-probe: %s\n", errbuf);
        return 1;
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, consume_alerts, alerts) != 0) {
        fprintf(stderr, "cwbench-probe: cannot start the alert consumer thread\n");
        rd_kafka_destroy(alerts);
        return 1;
    }

    /* no batching delay: each probe leaves at once */
    static const char *const pairs[] = {"linger.ms", "0", "client.id", "cwbench-probe",
                                        NULL};
    rd_kafka_conf_t *conf = cwb_kafka_conf(opts.brokers, pairs, errbuf, sizeof errbuf);
    rd_kafka_t *rk = NULL;
    if (conf != NULL) {
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof errbuf);
        if (rk == NULL)
            rd_kafka_conf_destroy(conf);
    }
    int rc = 1, sent = 0;
    if (rk == NULL) {
        fprintf(stderr, "cwbench-probe: %s\n", errbuf);
        goto done;
    }

    int count = (int)((int64_t)opts.duration_s * 1000 / opts.interval_ms);
    int64_t start = cwb_mono_us();
    for (int i = 0; i < count && !stop_requested; i++) {
        /* serve delivery reports while waiting, so an ack is timed when it
         * arrives, not at the next probe */
        int64_t due = start + (int64_t)i * opts.interval_ms * 1000;
        for (int64_t left = due - cwb_mono_us(); left > 0; left = due - cwb_mono_us())
            rd_kafka_poll(rk, left >= 1000 ? (int)(left / 1000) : 0);
        if (send_probe(rk, i) != 0)
            break;
        sent++;
        rd_kafka_poll(rk, 0);
    }
    int64_t deadline = cwb_mono_us() + (int64_t)opts.wait_s * 1000000;
    int received = 0;
    while (!stop_requested) {
        rd_kafka_poll(rk, 10);
        received = 0;
        for (int i = 0; i < sent; i++)
            received += atomic_load(&probes[i].alert_us) != 0;
        if (received == sent || cwb_mono_us() > deadline)
            break;
    }
    rd_kafka_flush(rk, 5000);

    static int64_t latency[MAX_PROBES], ack[MAX_PROBES];
    int n = 0, acked = 0, not_red = 0;
    for (int i = 0; i < sent; i++) {
        int64_t at = atomic_load(&probes[i].alert_us);
        int64_t acked_at = atomic_load(&probes[i].acked_us);
        if (acked_at != 0)
            ack[acked++] = acked_at - probes[i].sent_us;
        if (at == 0)
            continue;
        latency[n++] = at - probes[i].sent_us;
        not_red += !atomic_load(&probes[i].red);
    }
    qsort(latency, (size_t)n, sizeof latency[0], cmp_i64);
    qsort(ack, (size_t)acked, sizeof ack[0], cmp_i64);
    cwb_report(out, "probes", "%d", sent);
    cwb_report(out, "probe_alerts", "%d", n);
    cwb_report(out, "probe_lost", "%d", sent - n);
    cwb_report(out, "probe_not_red", "%d", not_red);
    cwb_report(out, "alert_p50_ms", "%.1f", pct_ms(latency, n, 50));
    cwb_report(out, "alert_p90_ms", "%.1f", pct_ms(latency, n, 90));
    cwb_report(out, "alert_p99_ms", "%.1f", pct_ms(latency, n, 99));
    cwb_report(out, "alert_max_ms", "%.1f", pct_ms(latency, n, 100));
    cwb_report(out, "probe_ack_p50_ms", "%.1f", pct_ms(ack, acked, 50));
    cwb_report(out, "probe_ack_p99_ms", "%.1f", pct_ms(ack, acked, 99));
    cwb_report(out, "alerts_seen_other", "%ld", atomic_load(&alerts_other));
    rc = n > 0 && !stop_requested ? 0 : 1;
done:
    atomic_store(&stop_consumer, 1);
    pthread_join(thread, NULL);
    rd_kafka_consumer_close(alerts);
    rd_kafka_destroy(alerts);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    if (out != NULL)
        fclose(out);
    return rc;
}
