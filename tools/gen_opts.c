/* cdrwarn-gen command line: parses and checks the options into
 * cw_gen_opts_t, fills the defaults (the --start that keeps all traffic in
 * the past), and owns the --help text. */
#include "gen.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "week.h"

#define CW_GEN_MAX_SUBSCRIBERS 100000000L
#define CW_GEN_MAX_WEEKS 52

static const char usage_text[] =
    "usage: cdrwarn-gen (--brokers HOST:PORT | --stdout) [options]\n"
    "\n"
    "Synthetic churn-warning traffic (SPEC section 3 events): subscribers with\n"
    "weekly habits, some drifting toward churn, plus a share of bad records.\n"
    "The same arguments give the same event sequence, byte for byte.\n"
    "\n"
    "output:\n"
    "  --brokers HOST:PORT   produce to Kafka (idempotent producer), key = MSISDN\n"
    "  --stdout              write one JSON event per line to stdout instead\n"
    "  --topics A,B,C        voice/sms/data -> A, charge/plan_change -> B,\n"
    "                        complaint/profile -> C (default cdr,billing,crm)\n"
    "  --compression C       lz4 or none (default lz4)\n"
    "  --rate EPS            steady events per second, 0 = as fast as possible\n"
    "                        (default 0)\n"
    "  --no-close            no week-closing events after the last week\n"
    "  --partitions N        with --stdout: also write the closing events, for a\n"
    "                        first topic of N partitions\n"
    "  --quiet               no summary on stderr\n"
    "  --truth FILE          write every subscriber's number, tier, dates and drift\n"
    "                        kinds (the ground truth for tests) as JSON lines;\n"
    "                        with --churn also its churn, with --monthly its slow\n"
    "                        drift\n"
    "\n"
    "traffic:\n"
    "  --subscribers N       number of subscribers (default 1000)\n"
    "  --weeks W             weeks of traffic (default 3)\n"
    "  --start YYYY-MM-DD    first Monday, local time (default: the Monday W+1\n"
    "                        weeks before the current week, all traffic in the past)\n"
    "  --utc-offset +HH:MM   local time of the operator (default +08:00)\n"
    "  --seed S              random seed (default 1)\n"
    "  --events N            approximate total events; scales activity (default:\n"
    "                        natural activity, about 40 events per subscriber-week)\n"
    "  --churn-pct P         share of subscribers drifting toward churn (default 20)\n"
    "  --bad-pct P           share of bad records, every DLQ reason (default 0.2)\n"
    "  --country-code CC     country code for +CC numbers (default 86)\n"
    "  --help                this text\n"
    "\n"
    "models (all off by default: the traffic is the weekly model's alone):\n"
    "  --model weekly|full   full = --churn --monthly --recycle-pct 5, and\n"
    "                        --weeks 30 unless given (default weekly)\n"
    "  --churn               labelled churn events: drifts begin anywhere in the\n"
    "                        run, a share of the drifters churn some weeks later,\n"
    "                        the rest recover; a few others churn unwarned\n"
    "  --churn-share P       % of drifting subscribers (weekly or slow) who churn\n"
    "                        (default 60)\n"
    "  --churn-lag MIN:MAX   weeks from a drift's first week to its churn\n"
    "                        (default 1:4)\n"
    "  --unwarned-pct P      % of the other subscribers who churn without any\n"
    "                        warning (default 1.5)\n"
    "  --port-pct P          % of churns that port out to a rival operator, the\n"
    "                        rest cancel (default 70)\n"
    "  --recycle-pct P       % of churned numbers recycled: a fresh profile 2 to 6\n"
    "                        weeks after the churn, then plain traffic (default 0)\n"
    "  --monthly             the monthly model's events and rhythms: rental\n"
    "                        deducted daily, value-added services, subscriptions,\n"
    "                        arrears, suspensions, faults, service contacts; the\n"
    "                        default --start moves back to the Monday of the week\n"
    "                        holding the 1st of its month\n"
    "  --slow-pct P          % of subscribers drifting down slowly over months\n"
    "                        (default 6 with --monthly)\n"
    "  (any --churn-* / --unwarned-pct / --port-pct / --recycle-pct turns --churn\n"
    "  on, --slow-pct turns --monthly on)\n"
    "\n"
    "Drift kinds (one or two per drifting subscriber, in the last week or the last\n"
    "two; with --churn from any week but the first): spend_drop, usage_drop,\n"
    "silent, complaints, fwd_rival, rival_service, plan_downgrade,\n"
    "contract_expiry. Topics of the new types: suspend, arrears, subscribe ->\n"
    "2nd; churn, fault, service -> 3rd. Closing: one zero-charge data event per\n"
    "partition of the first topic, dated the end of the last week + 7 h, from a\n"
    "number that is no subscriber, so every partition's stream time passes the\n"
    "last week's end + 6 h and the daemon closes that week.\n"
    "Exit status: 0 when every message was delivered, 1 otherwise, 2 on usage\n"
    "errors.\n";

enum {
    OPT_BROKERS = 256,
    OPT_STDOUT,
    OPT_TOPICS,
    OPT_SUBSCRIBERS,
    OPT_WEEKS,
    OPT_START,
    OPT_UTC_OFFSET,
    OPT_SEED,
    OPT_EVENTS,
    OPT_RATE,
    OPT_CHURN_PCT,
    OPT_BAD_PCT,
    OPT_COUNTRY_CODE,
    OPT_NO_CLOSE,
    OPT_PARTITIONS,
    OPT_COMPRESSION,
    OPT_QUIET,
    OPT_TRUTH,
    OPT_HELP,
    OPT_MODEL,
    OPT_CHURN,
    OPT_CHURN_SHARE,
    OPT_CHURN_LAG,
    OPT_UNWARNED_PCT,
    OPT_PORT_PCT,
    OPT_RECYCLE_PCT,
    OPT_MONTHLY,
    OPT_SLOW_PCT,
};

static const struct option long_options[] = {
    {"brokers", required_argument, NULL, OPT_BROKERS},
    {"stdout", no_argument, NULL, OPT_STDOUT},
    {"topics", required_argument, NULL, OPT_TOPICS},
    {"subscribers", required_argument, NULL, OPT_SUBSCRIBERS},
    {"weeks", required_argument, NULL, OPT_WEEKS},
    {"start", required_argument, NULL, OPT_START},
    {"utc-offset", required_argument, NULL, OPT_UTC_OFFSET},
    {"seed", required_argument, NULL, OPT_SEED},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"churn-pct", required_argument, NULL, OPT_CHURN_PCT},
    {"bad-pct", required_argument, NULL, OPT_BAD_PCT},
    {"country-code", required_argument, NULL, OPT_COUNTRY_CODE},
    {"no-close", no_argument, NULL, OPT_NO_CLOSE},
    {"partitions", required_argument, NULL, OPT_PARTITIONS},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"truth", required_argument, NULL, OPT_TRUTH},
    {"help", no_argument, NULL, OPT_HELP},
    {"model", required_argument, NULL, OPT_MODEL},
    {"churn", no_argument, NULL, OPT_CHURN},
    {"churn-share", required_argument, NULL, OPT_CHURN_SHARE},
    {"churn-lag", required_argument, NULL, OPT_CHURN_LAG},
    {"unwarned-pct", required_argument, NULL, OPT_UNWARNED_PCT},
    {"port-pct", required_argument, NULL, OPT_PORT_PCT},
    {"recycle-pct", required_argument, NULL, OPT_RECYCLE_PCT},
    {"monthly", no_argument, NULL, OPT_MONTHLY},
    {"slow-pct", required_argument, NULL, OPT_SLOW_PCT},
    {NULL, 0, NULL, 0},
};

static int parse_i64(const char *text, int64_t min, int64_t max, int64_t *value)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

static int parse_double(const char *text, double min, double max, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max))
        return -1;
    *value = v;
    return 0;
}

/* "+08:00", "-05:30", "Z"; the text kept is the canonical "+HH:MM". */
/* The offset as the daemon's config reads it, and as RFC 3339 times write
 * it ("+08:00"). */
static int parse_utc_offset(const char *text, cw_gen_opts_t *opts)
{
    int32_t seconds;
    if (cw_config_parse_utc_offset(text, &seconds) != 0)
        return -1;
    unsigned magnitude = (unsigned)(seconds < 0 ? -seconds : seconds);
    opts->utc_offset_s = seconds;
    /* at most 14:00: two digits each */
    snprintf(opts->utc_offset_text, sizeof opts->utc_offset_text, "%c%02u:%02u",
             seconds < 0 ? '-' : '+', (magnitude / 3600) % 100, magnitude % 3600 / 60);
    return 0;
}

/* "MIN:MAX" weeks, 0 <= MIN <= MAX <= 52. */
static int parse_lag(const char *text, cw_gen_opts_t *opts)
{
    const char *colon = strchr(text, ':');
    char low[16];
    int64_t lo, hi;
    if (colon == NULL || (size_t)(colon - text) >= sizeof(low))
        return -1;
    memcpy(low, text, (size_t)(colon - text));
    low[colon - text] = '\0';
    if (parse_i64(low, 0, CW_GEN_MAX_WEEKS, &lo) != 0 ||
        parse_i64(colon + 1, 0, CW_GEN_MAX_WEEKS, &hi) != 0 || hi < lo)
        return -1;
    opts->churn_lag_min = (int)lo;
    opts->churn_lag_max = (int)hi;
    return 0;
}

/* A percentage option's value into *value; a message in errbuf otherwise. */
static int parse_pct(const char *name, const char *arg, double *value, char *errbuf,
                     size_t errbuf_size)
{
    if (parse_double(arg, 0, 100, value) == 0)
        return 0;
    snprintf(errbuf, errbuf_size, "%s: expected 0..100, found '%s'", name, arg);
    return -1;
}

/* The Monday of the week that holds the first of `day`'s month. */
static int32_t month_monday(int32_t day)
{
    int y, m, d;
    cw_date_to_civil(day, &y, &m, &d);
    int32_t first = cw_date_from_civil(y, m, 1);
    return first - cw_date_weekday(first);
}

static int parse_topics(const char *text, cw_gen_opts_t *opts)
{
    const char *p = text;
    for (int i = 0; i < CW_GEN_TOPIC_CNT; i++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= sizeof(opts->topics[i]))
            return -1;
        if ((i < CW_GEN_TOPIC_CNT - 1) != (end != NULL))
            return -1;
        memcpy(opts->topics[i], p, len);
        opts->topics[i][len] = '\0';
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int cw_gen_opts_parse(int argc, char **argv, cw_gen_opts_t *opts, char *errbuf,
                      size_t errbuf_size)
{
    int64_t number;
    bool have_start = false, have_weeks = false, have_recycle = false;
    bool model_full = false;

    memset(opts, 0, sizeof(*opts));
    strcpy(opts->topics[0], "cdr");
    strcpy(opts->topics[1], "billing");
    strcpy(opts->topics[2], "crm");
    opts->subscribers = 1000;
    opts->weeks = 3;
    opts->seed = 1;
    opts->churn_pct = 20;
    opts->bad_pct = 0.2;
    strcpy(opts->country_code, "86");
    opts->compress = true;
    opts->churn_share = 60;
    opts->churn_lag_min = 1;
    opts->churn_lag_max = 4;
    opts->unwarned_pct = 1.5;
    opts->port_pct = 70;
    opts->slow_pct = 6;
    parse_utc_offset("+08:00", opts);

    opterr = 0; /* our own messages, in errbuf */
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        const char *arg = optarg;
        switch (opt) {
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 1;
        case OPT_BROKERS:
            opts->brokers = arg;
            break;
        case OPT_STDOUT:
            opts->to_stdout = true;
            break;
        case OPT_TOPICS:
            if (parse_topics(arg, opts) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--topics: expected three names A,B,C, found '%s'", arg);
                return -1;
            }
            break;
        case OPT_SUBSCRIBERS:
            if (parse_i64(arg, 1, CW_GEN_MAX_SUBSCRIBERS, &number) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--subscribers: expected 1..%ld, found '%s'",
                         CW_GEN_MAX_SUBSCRIBERS, arg);
                return -1;
            }
            opts->subscribers = (uint32_t)number;
            break;
        case OPT_WEEKS:
            if (parse_i64(arg, 1, CW_GEN_MAX_WEEKS, &number) != 0) {
                snprintf(errbuf, errbuf_size, "--weeks: expected 1..%d, found '%s'",
                         CW_GEN_MAX_WEEKS, arg);
                return -1;
            }
            opts->weeks = (int)number;
            have_weeks = true;
            break;
        case OPT_START:
            if (cw_date_parse_ymd(arg, strlen(arg), &opts->start_day) != 0) {
                snprintf(errbuf, errbuf_size, "--start: expected YYYY-MM-DD, found '%s'",
                         arg);
                return -1;
            }
            if (cw_date_weekday(opts->start_day) != 0) {
                snprintf(errbuf, errbuf_size, "--start: %s is not a Monday", arg);
                return -1;
            }
            have_start = true;
            break;
        case OPT_UTC_OFFSET:
            if (parse_utc_offset(arg, opts) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--utc-offset: expected +HH:MM, -HH:MM, +HH or Z from -12:00 to "
                         "+14:00, found '%s'",
                         arg);
                return -1;
            }
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(arg, &end, 10);
            if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-') {
                snprintf(errbuf, errbuf_size,
                         "--seed: expected a number 0..2^64-1, found '%s'", arg);
                return -1;
            }
            opts->seed = seed;
            break;
        }
        case OPT_EVENTS:
            if (parse_i64(arg, 0, INT64_C(10000000000), &number) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--events: expected 0..10000000000, found '%s'", arg);
                return -1;
            }
            opts->events = number;
            break;
        case OPT_RATE:
            if (parse_double(arg, 0, 1e8, &opts->rate) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--rate: expected events per second >= 0, found '%s'", arg);
                return -1;
            }
            break;
        case OPT_CHURN_PCT:
            if (parse_double(arg, 0, 100, &opts->churn_pct) != 0) {
                snprintf(errbuf, errbuf_size, "--churn-pct: expected 0..100, found '%s'",
                         arg);
                return -1;
            }
            break;
        case OPT_BAD_PCT:
            if (parse_double(arg, 0, 50, &opts->bad_pct) != 0) {
                snprintf(errbuf, errbuf_size, "--bad-pct: expected 0..50, found '%s'",
                         arg);
                return -1;
            }
            break;
        case OPT_COUNTRY_CODE: {
            size_t len = strlen(arg);
            bool digits = len >= 1 && len <= 4;
            for (size_t i = 0; digits && i < len; i++)
                digits = arg[i] >= '0' && arg[i] <= '9';
            if (!digits) {
                snprintf(errbuf, errbuf_size,
                         "--country-code: expected 1 to 4 digits, found '%s'", arg);
                return -1;
            }
            memcpy(opts->country_code, arg, len + 1);
            break;
        }
        case OPT_NO_CLOSE:
            opts->no_close = true;
            break;
        case OPT_PARTITIONS:
            if (parse_i64(arg, 1, 100000, &number) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--partitions: expected 1..100000, found '%s'", arg);
                return -1;
            }
            opts->partitions = (int)number;
            break;
        case OPT_COMPRESSION:
            if (strcmp(arg, "lz4") == 0) {
                opts->compress = true;
            } else if (strcmp(arg, "none") == 0) {
                opts->compress = false;
            } else {
                snprintf(errbuf, errbuf_size,
                         "--compression: expected lz4 or none, found '%s'", arg);
                return -1;
            }
            break;
        case OPT_QUIET:
            opts->quiet = true;
            break;
        case OPT_TRUTH:
            opts->truth_path = arg;
            break;
        case OPT_MODEL:
            if (strcmp(arg, "full") == 0) {
                model_full = true;
            } else if (strcmp(arg, "weekly") == 0) {
                model_full = false;
            } else {
                snprintf(errbuf, errbuf_size,
                         "--model: expected weekly or full, found '%s'", arg);
                return -1;
            }
            break;
        case OPT_CHURN:
            opts->churn = true;
            break;
        case OPT_CHURN_SHARE:
            if (parse_pct("--churn-share", arg, &opts->churn_share, errbuf, errbuf_size))
                return -1;
            opts->churn = true;
            break;
        case OPT_CHURN_LAG:
            if (parse_lag(arg, opts) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--churn-lag: expected MIN:MAX weeks, 0 <= MIN <= MAX <= %d, "
                         "found '%s'",
                         CW_GEN_MAX_WEEKS, arg);
                return -1;
            }
            opts->churn = true;
            break;
        case OPT_UNWARNED_PCT:
            if (parse_pct("--unwarned-pct", arg, &opts->unwarned_pct, errbuf,
                          errbuf_size))
                return -1;
            opts->churn = true;
            break;
        case OPT_PORT_PCT:
            if (parse_pct("--port-pct", arg, &opts->port_pct, errbuf, errbuf_size))
                return -1;
            opts->churn = true;
            break;
        case OPT_RECYCLE_PCT:
            if (parse_pct("--recycle-pct", arg, &opts->recycle_pct, errbuf, errbuf_size))
                return -1;
            opts->churn = true;
            have_recycle = true;
            break;
        case OPT_MONTHLY:
            opts->monthly = true;
            break;
        case OPT_SLOW_PCT:
            if (parse_pct("--slow-pct", arg, &opts->slow_pct, errbuf, errbuf_size))
                return -1;
            opts->monthly = true;
            break;
        default:
            if (optopt != 0 && optopt >= OPT_BROKERS)
                snprintf(errbuf, errbuf_size, "option %s needs a value",
                         argv[optind - 1]);
            else
                snprintf(errbuf, errbuf_size, "unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(errbuf, errbuf_size, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if ((opts->brokers != NULL) == opts->to_stdout) {
        snprintf(errbuf, errbuf_size, "give exactly one of --brokers or --stdout");
        return -1;
    }
    if (opts->partitions > 0 && !opts->to_stdout) {
        snprintf(errbuf, errbuf_size,
                 "--partitions is for --stdout; with --brokers the count comes from "
                 "the metadata");
        return -1;
    }

    if (model_full) {
        opts->churn = true;
        opts->monthly = true;
        if (!have_recycle)
            opts->recycle_pct = 5;
        if (!have_weeks)
            opts->weeks = 30; /* six whole months and the weeks around them */
    }

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    opts->now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (!have_start) {
        int32_t this_week = cw_week_of_ms(opts->now_ms, opts->utc_offset_s);
        opts->start_day = cw_week_first_day(this_week - (opts->weeks + 1));
        /* months are the monthly model's unit: open with a whole one */
        if (opts->monthly)
            opts->start_day = month_monday(opts->start_day);
    }
    return 0;
}
