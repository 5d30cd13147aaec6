/* cwbench-consume: the Kafka ceiling. A consumer-group member on the same
 * topics as cdrwarnd, with its own group id and the daemon's fetch settings,
 * that does nothing per record: how fast this broker hands out this data set
 * on this machine, from the first record to the last. */
#include "bench.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 1000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: cwbench-consume --brokers B --topics T1,T2.. [--group G] [--timeout S]\n"
        "                       [--property KEY=VALUE]... [--out FILE]\n"
        "\n"
        "Joins group G (default cwbench-ceiling-PID), reads every record up to the\n"
        "high watermarks seen at start and prints key=value lines: records,\n"
        "consume_s (first record to last) and consume_events_per_s. --property\n"
        "passes librdkafka settings. Gives up after --timeout s (default 300).\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"brokers", required_argument, NULL, 'b'},
                                             {"topics", required_argument, NULL, 't'},
                                             {"group", required_argument, NULL, 'g'},
                                             {"timeout", required_argument, NULL, 'T'},
                                             {"property", required_argument, NULL, 'X'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *brokers = NULL, *group = NULL, *out_path = NULL;
    char *topics[CWB_MAX_LIST];
    const char *props[2 * CWB_MAX_LIST + 1];
    int topic_count = 0, prop_count = 0, timeout_s = 300;
    char group_buf[64], errbuf[512];
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            brokers = optarg;
            break;
        case 't':
            topic_count = cwb_split(optarg, topics, CWB_MAX_LIST);
            break;
        case 'g':
            group = optarg;
            break;
        case 'T':
            timeout_s = atoi(optarg);
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || prop_count == CWB_MAX_LIST) {
                usage(stderr);
                return 2;
            }
            *eq = '\0';
            props[2 * prop_count] = optarg;
            props[2 * prop_count + 1] = eq + 1;
            prop_count++;
            break;
        }
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    props[2 * prop_count] = NULL;
    if (brokers == NULL || topic_count <= 0 || timeout_s <= 0) {
        usage(stderr);
        return 2;
    }
    if (group == NULL) {
        snprintf(group_buf, sizeof group_buf, "cwbench-ceiling-%d", (int)getpid());
        group = group_buf;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    FILE *out = NULL;
    if (out_path != NULL && (out = fopen(out_path, "a")) == NULL) {
        perror(out_path);
        return 2;
    }

    /* the daemon's consumer defaults (daemon/consumer.c), so the ceiling is
     * what the same fetch settings give; --property pairs come last and win */
    static const char *const defaults[] = {"client.id",
                                           "cwbench-consume",
                                           "auto.offset.reset",
                                           "earliest",
                                           "partition.assignment.strategy",
                                           "range",
                                           "enable.partition.eof",
                                           "false",
                                           "queued.max.messages.kbytes",
                                           "16384",
                                           NULL};
    rd_kafka_conf_t *conf = cwb_kafka_conf(brokers, defaults, errbuf, sizeof errbuf);
    if (conf != NULL && rd_kafka_conf_set(conf, "group.id", group, errbuf,
                                          sizeof errbuf) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        conf = NULL;
    }
    for (int i = 0; conf != NULL && i < prop_count; i++)
        if (rd_kafka_conf_set(conf, props[2 * i], props[2 * i + 1], errbuf,
                              sizeof errbuf) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            conf = NULL;
        }
    if (conf == NULL) {
        fprintf(stderr, "cwbench-consume: %s\n", errbuf);
        return 2;
    }

    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "cwbench-consume: %s\n", errbuf);
        return 1;
    }
    conf = NULL;
    rd_kafka_poll_set_consumer(rk);
    int rc = 1;
    rd_kafka_topic_partition_list_t *marks =
        cwb_kafka_watermarks(rk, topics, topic_count, 10000, errbuf, sizeof errbuf);
    if (marks == NULL) {
        fprintf(stderr, "cwbench-consume: %s\n", errbuf);
        goto done;
    }
    bool dropped;
    int64_t records = cwb_kafka_records(marks, &dropped);
    rd_kafka_topic_partition_list_t *subscription =
        rd_kafka_topic_partition_list_new(topic_count);
    for (int t = 0; t < topic_count; t++)
        rd_kafka_topic_partition_list_add(subscription, topics[t], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subscription);
    rd_kafka_topic_partition_list_destroy(subscription);
    if (err) {
        fprintf(stderr, "cwbench-consume: subscribe: %s\n", rd_kafka_err2str(err));
        goto done;
    }

    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[BATCH];
    int64_t deadline = cwb_mono_us() + (int64_t)timeout_s * 1000000;
    int64_t first = 0, last = 0, count = 0;
    while (!stop_requested && count < records) {
        if (cwb_mono_us() > deadline) {
            fprintf(stderr,
                    "cwbench-consume: read %" PRId64 " of %" PRId64
                    " records within %d s\n",
                    count, records, timeout_s);
            break;
        }
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, BATCH);
        for (ssize_t i = 0; i < n; i++) {
            if (batch[i]->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (count++ == 0)
                    first = cwb_mono_us();
            }
            rd_kafka_message_destroy(batch[i]);
        }
        if (n > 0)
            last = cwb_mono_us();
    }
    rd_kafka_queue_destroy(queue);
    if (count >= records && records > 0) {
        double secs = (double)(last - first) / 1e6;
        cwb_report(out, "consume_records", "%" PRId64, count);
        cwb_report(out, "consume_s", "%.3f", secs);
        cwb_report(out, "consume_events_per_s", "%.0f", (double)count / secs);
        rc = 0;
    }
    rd_kafka_consumer_close(rk);
done:
    if (marks != NULL)
        rd_kafka_topic_partition_list_destroy(marks);
    rd_kafka_destroy(rk);
    if (out != NULL)
        fclose(out);
    return rc;
}
