/* cdrwarn-watch: follows the alert topic (or the outcome and score topics)
 * and prints one coloured line per record (watch_format.c), for demos and
 * for people checking a deployment by eye. Retention tools read the topics'
 * JSON directly; this is only a viewer. */
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watch_format.h"

#define MAX_TOPICS 8

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
    running = 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: cdrwarn-watch --brokers HOST:PORT [--topic TOPIC[,TOPIC...]] [--unmask]\n"
        "                     [--count N] [--timeout SECONDS] [--json]\n"
        "       cdrwarn-watch --help\n"
        "Prints each record of the topics as it arrives, from the beginning: alerts,\n"
        "churn outcomes (churn-outcomes) and score records (churn-scores), one line\n"
        "each.\n"
        "\n"
        "  -b, --brokers HOST:PORT  the Kafka bootstrap servers\n"
        "  -t, --topic TOPIC[,...]  the topics to read, comma-separated or given\n"
        "                           again, up to %d (default churn-alerts)\n"
        "  -u, --unmask             print numbers in full (masked otherwise)\n"
        "  -n, --count N            exit after N records\n"
        "  -w, --timeout SECONDS    exit after that many seconds (exit 1 if fewer\n"
        "                           than --count came)\n"
        "  -j, --json               print the raw values instead\n"
        "  -h, --help               print this help and exit\n",
        MAX_TOPICS);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"unmask", no_argument, NULL, 'u'},
        {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *brokers = NULL;
    char *topics_given[MAX_TOPICS];
    int topic_count = 0;
    int unmask = 0, json = 0;
    long count = 0, timeout_s = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:un:w:jh", options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            brokers = optarg;
            break;
        case 't':
            for (char *save = NULL, *name = strtok_r(optarg, ",", &save); name != NULL;
                 name = strtok_r(NULL, ",", &save)) {
                if (topic_count == MAX_TOPICS) {
                    fprintf(stderr, "cdrwarn-watch: at most %d topics\n", MAX_TOPICS);
                    return 2;
                }
                topics_given[topic_count++] = name;
            }
            break;
        case 'u':
            unmask = 1;
            break;
        case 'n':
            count = atol(optarg);
            break;
        case 'w':
            timeout_s = atol(optarg);
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (brokers == NULL) {
        usage(stderr);
        return 2;
    }
    if (topic_count == 0)
        topics_given[topic_count++] = "churn-alerts";
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[64];
    snprintf(group, sizeof group, "cdrwarn-watch-%d", (int)getpid());
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr)) {
        fprintf(stderr, "cdrwarn-watch: %s\n", errstr);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        fprintf(stderr, "cdrwarn-watch: %s\n", errstr);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new(topic_count);
    for (int i = 0; i < topic_count; i++)
        rd_kafka_topic_partition_list_add(topics, topics_given[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);

    int tty = isatty(STDOUT_FILENO);
    long seen = 0;
    time_t deadline = timeout_s > 0 ? time(NULL) + timeout_s : 0;
    while (running && (count == 0 || seen < count) &&
           (deadline == 0 || time(NULL) < deadline)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);
        if (msg == NULL)
            continue;
        if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            seen++;
            if (json) {
                printf("%.*s\n", (int)msg->len, (const char *)msg->payload);
            } else {
                char line[4096];
                cw_watch_format(msg->payload, msg->len, unmask, tty, line, sizeof line);
                printf("%s\n", line);
            }
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return (count > 0 && seen < count) ? 1 : 0;
}
