/* cdrwarn-backtest's command line (see backtest.h and
 * man/cdrwarn-backtest.1.scd). */
#include "backtest.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

static const char usage_text[] =
    "usage: cdrwarn-backtest -c FILE [options] [INPUT ...]\n"
    "\n"
    "Replays recorded events (JSON lines, one record a line; '-' or no INPUT\n"
    "= standard input) through the rules of cdrwarnd, in memory, and reports\n"
    "how well the alerts predicted the churn in the same history.\n"
    "\n"
    "  -c, --config FILE     the configuration ([rules], [actions], [score],\n"
    "                        [time], [numbers] as cdrwarnd reads them)\n"
    "  --json                the report as JSON instead of tables\n"
    "  --set SECTION.KEY=VALUE\n"
    "                        override a [rules] or [score] key (repeatable)\n"
    "  --compare FILE2       run a second configuration over the same input:\n"
    "                        both reports and the pairs only one of them alerted\n"
    "  --sweep SECTION.KEY=FROM:TO:STEP\n"
    "                        one run per value; precision and recall of each\n"
    "  --svg OUT             draw the sweep's precision/recall curve (without a\n"
    "                        sweep: precision per level and per trigger)\n"
    "  --emit FILE           write every record the run would publish, one JSON\n"
    "                        object a line, without emitted_at\n"
    "  --now TIME            the wall clock future_ts is judged against (RFC 3339\n"
    "                        or epoch ms; default: now)\n"
    "  --model weekly|monthly\n"
    "                        report on the weekly alerts (default) or the monthly\n"
    "                        score records\n"
    "  --full-numbers        list the compared pairs with whole numbers (masked\n"
    "                        by default)\n"
    "\n"
    "Kafka input instead of files:\n"
    "  --brokers HOST:PORT   read the input topics' records from Kafka\n"
    "  --topics A,B,...      the topics (default: [kafka] input_topics)\n"
    "  --partition N         one partition number of every topic (default: all,\n"
    "                        as one stream in time order)\n"
    "  --from TIME --to TIME the records with a timestamp in [from, to) (RFC 3339\n"
    "                        or epoch ms; default: from the first, to the end)\n"
    "\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 when the report was printed, 1 on an error (a configuration\n"
    "or input that cannot be read), 2 on a usage error.\n";

enum {
    OPT_JSON = 256,
    OPT_SET,
    OPT_COMPARE,
    OPT_SWEEP,
    OPT_SVG,
    OPT_EMIT,
    OPT_NOW,
    OPT_MODEL,
    OPT_FULL_NUMBERS,
    OPT_BROKERS,
    OPT_TOPICS,
    OPT_PARTITION,
    OPT_FROM,
    OPT_TO,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, OPT_JSON},
    {"set", required_argument, NULL, OPT_SET},
    {"compare", required_argument, NULL, OPT_COMPARE},
    {"sweep", required_argument, NULL, OPT_SWEEP},
    {"svg", required_argument, NULL, OPT_SVG},
    {"emit", required_argument, NULL, OPT_EMIT},
    {"now", required_argument, NULL, OPT_NOW},
    {"model", required_argument, NULL, OPT_MODEL},
    {"full-numbers", no_argument, NULL, OPT_FULL_NUMBERS},
    {"brokers", required_argument, NULL, OPT_BROKERS},
    {"topics", required_argument, NULL, OPT_TOPICS},
    {"partition", required_argument, NULL, OPT_PARTITION},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cdrwarn-backtest: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'cdrwarn-backtest --help'.\n");
    va_end(ap);
    return 2;
}

static int parse_int(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* RFC 3339 with an offset, or epoch milliseconds. */
static int parse_time(const char *text, int64_t *ms)
{
    if (parse_int(text, ms) == 0)
        return 0;
    return cw_date_parse_rfc3339(text, strlen(text), ms);
}

/* "rules.KEY" or "score.KEY" before the '='. */
static bool overridable(const char *text)
{
    return strncmp(text, "rules.", 6) == 0 || strncmp(text, "score.", 6) == 0;
}

static int parse_sweep(bt_opts_t *opts, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || !overridable(arg) || (size_t)(eq - arg) >= sizeof opts->sweep_key ||
        eq - arg <= 6)
        return usage_error("--sweep: expected rules.KEY=FROM:TO:STEP (or score.KEY=...), "
                           "found '%s'",
                           arg);
    char range[96];
    snprintf(range, sizeof range, "%s", eq + 1);
    char *first = strchr(range, ':');
    char *second = first ? strchr(first + 1, ':') : NULL;
    if (first == NULL || second == NULL)
        return usage_error("--sweep: expected FROM:TO:STEP after '=', found '%s'",
                           eq + 1);
    *first = *second = '\0';
    if (parse_int(range, &opts->sweep_from) != 0 ||
        parse_int(first + 1, &opts->sweep_to) != 0 ||
        parse_int(second + 1, &opts->sweep_step) != 0)
        return usage_error("--sweep: FROM, TO and STEP must be integers, found '%s'",
                           eq + 1);
    if (opts->sweep_step <= 0 || opts->sweep_from > opts->sweep_to)
        return usage_error("--sweep: expected FROM <= TO and STEP > 0, found '%s'",
                           eq + 1);
    if ((opts->sweep_to - opts->sweep_from) / opts->sweep_step + 1 > BT_MAX_SWEEP)
        return usage_error("--sweep: more than 1000 values in '%s'", eq + 1);
    memcpy(opts->sweep_key, arg, (size_t)(eq - arg));
    opts->sweep_key[eq - arg] = '\0';
    opts->sweep = true;
    return 0;
}

size_t bt_opts_sweep_count(const bt_opts_t *opts)
{
    if (!opts->sweep)
        return 0;
    return (size_t)((opts->sweep_to - opts->sweep_from) / opts->sweep_step + 1);
}

int64_t bt_opts_sweep_value(const bt_opts_t *opts, size_t i)
{
    return opts->sweep_from + (int64_t)i * opts->sweep_step;
}

static int check(const bt_opts_t *opts)
{
    if (opts->config == NULL)
        return usage_error("%s", "-c FILE is required");
    if (opts->sweep && opts->compare != NULL)
        return usage_error("%s", "--sweep and --compare cannot be combined");
    if (opts->emit != NULL && strcmp(opts->emit, "-") == 0)
        return usage_error("%s",
                           "--emit -: the report goes to standard output; name a file");
    if (opts->emit != NULL && (opts->sweep || opts->compare != NULL))
        return usage_error("%s",
                           "--emit writes one run: it cannot be combined with --sweep "
                           "or --compare");
    if (opts->brokers != NULL && opts->input_count > 0)
        return usage_error("%s", "--brokers reads Kafka: no INPUT files with it");
    if (opts->brokers == NULL &&
        (opts->topics != NULL || opts->has_from || opts->has_to || opts->partition >= 0))
        return usage_error("%s", "--topics, --partition, --from and --to need --brokers");
    if (opts->has_from && opts->has_to && opts->from_ms >= opts->to_ms)
        return usage_error("%s", "--from must be before --to");
    return 0;
}

int bt_opts_parse(int argc, char **argv, bt_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->partition = -1;
    opts->model = CW_PRECISION_WEEKLY;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:", long_options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'c':
            opts->config = optarg;
            break;
        case OPT_JSON:
            opts->json = true;
            break;
        case OPT_SET:
            if (strchr(optarg, '=') == NULL || !overridable(optarg))
                return usage_error("--set: expected rules.KEY=VALUE or score.KEY=VALUE, "
                                   "found '%s'",
                                   optarg);
            if (opts->set_count == BT_MAX_SETS)
                return usage_error("%s", "--set: at most 64 of them");
            opts->sets[opts->set_count++] = optarg;
            break;
        case OPT_COMPARE:
            opts->compare = optarg;
            break;
        case OPT_SWEEP:
            rc = parse_sweep(opts, optarg);
            break;
        case OPT_SVG:
            opts->svg = optarg;
            break;
        case OPT_EMIT:
            opts->emit = optarg;
            break;
        case OPT_NOW:
            if (parse_time(optarg, &opts->now_ms) != 0)
                return usage_error("--now: expected RFC 3339 with an offset or epoch "
                                   "milliseconds, found '%s'",
                                   optarg);
            opts->has_now = true;
            break;
        case OPT_MODEL:
            if (strcmp(optarg, "weekly") == 0)
                opts->model = CW_PRECISION_WEEKLY;
            else if (strcmp(optarg, "monthly") == 0)
                opts->model = CW_PRECISION_MONTHLY;
            else
                return usage_error("--model: expected weekly or monthly, found '%s'",
                                   optarg);
            break;
        case OPT_FULL_NUMBERS:
            opts->full_numbers = true;
            break;
        case OPT_BROKERS:
            opts->brokers = optarg;
            break;
        case OPT_TOPICS:
            opts->topics = optarg;
            break;
        case OPT_PARTITION: {
            int64_t n;
            if (parse_int(optarg, &n) != 0 || n < 0 || n > 100000)
                return usage_error("--partition: expected a partition number, found '%s'",
                                   optarg);
            opts->partition = (int)n;
            break;
        }
        case OPT_FROM:
        case OPT_TO: {
            int64_t *slot = c == OPT_FROM ? &opts->from_ms : &opts->to_ms;
            if (parse_time(optarg, slot) != 0)
                return usage_error(
                    "--from/--to: expected RFC 3339 with an offset or epoch "
                    "milliseconds, found '%s'",
                    optarg);
            *(c == OPT_FROM ? &opts->has_from : &opts->has_to) = true;
            break;
        }
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 1;
        case OPT_VERSION:
            printf("cdrwarn-backtest %s\n", CW_VERSION);
            return 1;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (rc != 0)
            return rc;
    }
    for (int i = optind; i < argc; i++) {
        if (opts->input_count == BT_MAX_INPUTS)
            return usage_error("%s", "at most 256 INPUT files");
        opts->inputs[opts->input_count++] = argv[i];
    }
    return check(opts);
}
