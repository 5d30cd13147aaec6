/* cdrwarn-watch: follows the alert topic and prints one coloured line per
 * alert, for demos and for people checking a deployment by eye. Retention
 * tools read the topic's JSON directly; this is only a viewer. */
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mask.h"

static volatile sig_atomic_t running = 1;

static void on_signal(int sig)
{
    running = 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: cdrwarn-watch --brokers HOST:PORT [--topic churn-alerts] [--unmask]\n"
            "                     [--count N] [--timeout SECONDS] [--json]\n"
            "       cdrwarn-watch --help\n"
            "Prints each alert of the alert topic as it arrives, from the beginning.\n"
            "\n"
            "  -b, --brokers HOST:PORT  the Kafka bootstrap servers\n"
            "  -t, --topic TOPIC        the alert topic (default churn-alerts)\n"
            "  -u, --unmask             print numbers in full (masked otherwise)\n"
            "  -n, --count N            exit after N alerts\n"
            "  -w, --timeout SECONDS    exit after that many seconds (exit 1 if fewer\n"
            "                           than --count came)\n"
            "  -j, --json               print the raw alert values instead\n"
            "  -h, --help               print this help and exit\n");
}

static const char *colour(const char *level, int tty)
{
    if (!tty)
        return "";
    if (strcmp(level, "red") == 0)
        return "\033[1;31m";
    if (strcmp(level, "yellow") == 0)
        return "\033[1;33m";
    if (strcmp(level, "blue") == 0)
        return "\033[1;34m";
    return "";
}

static void print_alert(const char *value, size_t len, int unmask, int tty)
{
    json_error_t err;
    json_t *alert = json_loadb(value, len, 0, &err);
    if (alert == NULL) {
        printf("(not JSON: %s)\n", err.text);
        return;
    }
    const char *level = json_string_value(json_object_get(alert, "level"));
    const char *week = json_string_value(json_object_get(alert, "week"));
    const char *msisdn = json_string_value(json_object_get(alert, "msisdn"));
    const char *tier = json_string_value(json_object_get(alert, "tier"));
    char masked[CW_MASK_SIZE];
    char triggers[512] = "", actions[512] = "";
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(alert, "triggers"), i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        char *evidence = json_dumps(json_object_get(item, "evidence"), JSON_COMPACT);
        snprintf(triggers + strlen(triggers), sizeof triggers - strlen(triggers), "%s%s%s",
                 i ? " " : "", name ? name : "?", evidence ? evidence : "");
        free(evidence);
    }
    json_array_foreach(json_object_get(alert, "actions"), i, item)
        snprintf(actions + strlen(actions), sizeof actions - strlen(actions), "%s%s", i ? "," : "",
                 json_string_value(item) ? json_string_value(item) : "?");
    printf("%s%-6s%s %s %s tier=%s risk=%lld %s%s%s\n", colour(level ? level : "", tty),
           level ? level : "?", tty ? "\033[0m" : "", week ? week : "?",
           unmask ? (msisdn ? msisdn : "?") : cw_mask_msisdn(msisdn, masked), tier ? tier : "?",
           (long long)json_integer_value(json_object_get(alert, "risk_tier")),
           triggers[0] ? triggers : "(no trigger)", actions[0] ? " -> " : "", actions);
    json_decref(alert);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"brokers", required_argument, NULL, 'b'}, {"topic", required_argument, NULL, 't'},
        {"unmask", no_argument, NULL, 'u'},        {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *brokers = NULL, *topic = "churn-alerts";
    int unmask = 0, json = 0;
    long count = 0, timeout_s = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "b:t:un:w:jh", options, NULL)) != -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'u': unmask = 1; break;
        case 'n': count = atol(optarg); break;
        case 'w': timeout_s = atol(optarg); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (brokers == NULL) {
        usage(stderr);
        return 2;
    }
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
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);

    int tty = isatty(STDOUT_FILENO);
    long seen = 0;
    time_t deadline = timeout_s > 0 ? time(NULL) + timeout_s : 0;
    while (running && (count == 0 || seen < count) && (deadline == 0 || time(NULL) < deadline)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);
        if (msg == NULL)
            continue;
        if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            seen++;
            if (json)
                printf("%.*s\n", (int)msg->len, (const char *)msg->payload);
            else
                print_alert(msg->payload, msg->len, unmask, tty);
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return (count > 0 && seen < count) ? 1 : 0;
}
