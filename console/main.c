/* cdrwarn-console's command line: serve, check a configuration, or make a
 * password hash for the accounts file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "alloc.h"
#include "console.h"
#include "errlist.h"
#include "log.h"
#include "passwd.h"

#define DEFAULT_CONFIG "/etc/cdrwarn/cdrwarn.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: cdrwarn-console [-c FILE] [--check-config] [--debug]\n"
            "       cdrwarn-console --hash-password [--method yescrypt|sha512]\n"
            "       cdrwarn-console --version | --help\n"
            "\n"
            "The retention staff's web console: a live feed of cdrwarn's churn alerts, a\n"
            "worklist with owners and outcomes, and the weekly report. Serves the page and\n"
            "its API on [console] listen; keeps its cases in Redis under [console]\n"
            "key_prefix; consumes alert_topic and outcome_topic in its own group.\n"
            "\n"
            "  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
            "  -t, --check-config   check FILE and the accounts file; exit 0 when valid\n"
            "      --hash-password  read a password (twice from a terminal, once from a\n"
            "                       pipe) and print its crypt(3) hash for a users_file line\n"
            "                       name:role:hash\n"
            "      --method M       yescrypt ($y$, the default) or sha512 ($6$)\n"
            "  -d, --debug          log at debug level\n"
            "  -V, --version        print the version and exit\n"
            "  -h, --help           print this help and exit\n"
            "\n"
            "Runs in the foreground and logs to stderr (systemd style). SIGTERM or SIGINT\n"
            "stop it; SIGHUP re-reads the accounts file.\n");
}

/* One line from stdin without echo when it is a terminal; NULL at EOF. */
static char *read_password(const char *prompt)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char buf[1100];
    char *line = fgets(buf, sizeof buf, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (line == NULL)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *copy = cw_strdup(buf);
    memset(buf, 0, sizeof buf);
    return copy;
}

static int hash_password(const char *method)
{
    const char *prefix = strcmp(method, "sha512") == 0 ? "$6$" : "$y$";
    if (strcmp(method, "sha512") != 0 && strcmp(method, "yescrypt") != 0) {
        fprintf(stderr, "cdrwarn-console: --method: expected yescrypt or sha512\n");
        return 2;
    }
    char *password = read_password("Password: ");
    if (password == NULL || strlen(password) < 8 || strlen(password) > 1024) {
        fprintf(stderr, "cdrwarn-console: expected a password of 8 to 1024 characters\n");
        cw_free(password);
        return 1;
    }
    if (isatty(STDIN_FILENO)) {
        char *again = read_password("Again: ");
        bool same = again && strcmp(again, password) == 0;
        cw_free(again);
        if (!same) {
            fprintf(stderr, "cdrwarn-console: the two passwords differ\n");
            cw_free(password);
            return 1;
        }
    }
    char why[256];
    char *hash = cw_passwd_hash(password, prefix, why, sizeof why);
    memset(password, 0, strlen(password));
    cw_free(password);
    if (hash == NULL) {
        fprintf(stderr, "cdrwarn-console: %s\n", why);
        return 1;
    }
    printf("%s\n", hash);
    cw_free(hash);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 't'},
        {"hash-password", no_argument, NULL, 'H'},
        {"method", required_argument, NULL, 'm'},
        {"debug", no_argument, NULL, 'd'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = DEFAULT_CONFIG;
    const char *method = "yescrypt";
    bool check = false, hash = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:tdVh", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check = true;
            break;
        case 'H':
            hash = true;
            break;
        case 'm':
            method = optarg;
            break;
        case 'd':
            cw_log_set_level(LOG_DEBUG);
            break;
        case 'V':
            printf("cdrwarn-console %s\n", CW_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cdrwarn-console: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (hash)
        return hash_password(method);
    if (check)
        return cw_console_check(config_path);
    return cw_console_run(config_path);
}
