/* cdrwarnd's command line: run in the foreground, or check a configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "daemon.h"
#include "errlist.h"
#include "kafka_conf.h"
#include "log.h"
#include "setup.h"

#define DEFAULT_CONFIG "/etc/cdrwarn/cdrwarn.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: cdrwarnd [-c FILE] [--check-config] [--debug]\n"
            "       cdrwarnd [-c FILE] --accept-state-loss PARTITIONS [--from committed|earliest]\n"
            "       cdrwarnd --version | --help\n"
            "\n"
            "Streaming churn early-warning daemon: consumes call-detail, billing and CRM\n"
            "events from Kafka, keeps weekly per-subscriber aggregates in Redis and\n"
            "publishes red/yellow/blue churn alerts to a Kafka topic.\n"
            "\n"
            "  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
            "  -t, --check-config   check FILE and the number-plan files it names; print\n"
            "                       every error as file:line: [section] key: message;\n"
            "                       exit 0 when valid, 1 otherwise\n"
            "  -d, --debug          log at debug level\n"
            "  --accept-state-loss PARTITIONS\n"
            "                       for partitions whose state is gone from Redis ('all' or\n"
            "                       numbers like 0,3,7): accept the loss and let them start\n"
            "                       again --from the group's committed offsets (default) or\n"
            "                       the topics' earliest records; partitions that hold state\n"
            "                       are left alone. The running daemon picks it up within 10 s\n"
            "  -V, --version        print the version and exit\n"
            "  -h, --help           print this help and exit\n"
            "\n"
            "Runs in the foreground and logs to stderr (systemd style). Signals: SIGTERM or\n"
            "SIGINT stop gracefully, SIGHUP reloads rules, thresholds and number plans.\n");
}

static int check_config(const char *path)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_setup_t *setup = NULL;
    int errors = cw_setup_load(path, &setup, &errs);
    if (errors == 0)
        errors = cw_kafka_conf_check(setup->config, &errs);
    if (errors != 0) {
        fputs(cw_errlist_text(&errs), stderr);
        fprintf(stderr, "%s: %d error(s)\n", path, errs.count > 0 ? errs.count : 1);
    } else {
        printf("%s: configuration OK (rules_version %s)\n", path, setup->config->rules_version);
    }
    cw_setup_free(setup);
    cw_errlist_free(&errs);
    return errors == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 't'},
        {"debug", no_argument, NULL, 'd'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"accept-state-loss", required_argument, NULL, 'A'},
        {"from", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = DEFAULT_CONFIG;
    int check = 0;
    const char *accept = NULL, *from = "committed";
    int opt;
    while ((opt = getopt_long(argc, argv, "c:tdVh", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check = 1;
            break;
        case 'd':
            cw_log_set_level(LOG_DEBUG);
            break;
        case 'V':
            printf("cdrwarnd %s\n", CW_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'A':
            accept = optarg;
            break;
        case 'F':
            from = optarg;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cdrwarnd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (check)
        return check_config(config_path);
    if (accept != NULL)
        return cw_accept_state_loss(config_path, accept, from);
    return cw_daemon_run(config_path);
}
