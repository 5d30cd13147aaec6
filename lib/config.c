/* The INI configuration reader of SPEC section 2, used by start-up,
 * --check-config and reload alike: a table of directives with type, default
 * and bounds, a line parser that collects every error as
 * "path:line: [section] key: message", and the cross-key checks run once the
 * whole file is read. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "hash.h"
#include "number.h"
#include "secrets.h"

#define MAX_FILE_BYTES (1024 * 1024) /* a config is a few KiB; refuse to slurp a disk */
#define TOPIC_MAX_CHARS 249          /* Kafka's own limit */
#define FOUND_SIZE 96

#define MS_SECOND 1000LL
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)

typedef enum {
    SEC_NONE = -1,
    SEC_KAFKA = 0,
    SEC_REDIS,
    SEC_TIME,
    SEC_NUMBERS,
    SEC_RULES,
    SEC_ACTIONS,
    SEC_HTTP,
    SEC_SCORE,
    SEC_CONSOLE,
    SEC__COUNT
} section_t;

static const char *const section_names[SEC__COUNT] = {
    "kafka", "redis", "time", "numbers", "rules", "actions", "http", "score", "console",
};

typedef enum {
    T_STRING,       /* char *, non-empty */
    T_OPT_STRING,   /* char *, empty -> NULL */
    T_PORT,         /* int64_t, 1..65535 */
    T_INT,          /* int64_t, min..max */
    T_BOOL,         /* bool */
    T_DURATION,     /* int64_t milliseconds, min..max */
    T_UTC_OFFSET,   /* int32_t seconds */
    T_TOPIC,        /* char * */
    T_TOPIC_LIST,   /* input_topics */
    T_PATH,         /* char *, resolved; empty -> NULL */
    T_LISTEN,       /* char *, host:port */
    T_COUNTRY_CODE, /* char *, 1..3 digits */
    T_KEY_PREFIX,   /* char *, at most KEY_PREFIX_MAX_CHARS */
    T_NUMBER_LIST,  /* cw_number_list_t: normalised after the parse */
    T_TIERS,        /* uint8_t bit set of cw_tier_t */
    T_BYTES,        /* int64_t bytes, min..max: a whole number with an optional K, M or G */
} type_t;

typedef struct directive {
    section_t section;
    const char *key;
    type_t type;
    size_t offset;   /* of the field in cw_config_t */
    const char *def; /* parsed like a file value; NULL = required */
    int64_t min, max;
    cw_reload_t reload; /* what a SIGHUP does when the key changed */
} directive_t;

#define OFF(field) offsetof(cw_config_t, field)
#define NOLIM 0, 0
/* what a reload does with a changed key: connections, the key layout and
 * time keeping need a restart; the rules, actions, score and number plan
 * apply at once */
#define RESTART CW_RELOAD_RESTART
#define APPLY CW_RELOAD_APPLY
#define REFUSE CW_RELOAD_REFUSE
#define POINTS 0, 100
#define COUNT 1, 1000000

/* Every key of SPEC section 2, in its order, plus [kafka] max_in_flight,
 * [redis] timeout and the [http] limits (documented in README.md). [rules]
 * and [score] keys make rules_version; [actions] keys are free-form and
 * handled apart. */
static const directive_t directives[] = {
    {SEC_KAFKA, "brokers", T_STRING, OFF(brokers), NULL, NOLIM, RESTART},
    {SEC_KAFKA, "group_id", T_STRING, OFF(group_id), "cdrwarn", NOLIM, RESTART},
    {SEC_KAFKA, "input_topics", T_TOPIC_LIST, OFF(input_topics), "cdr,billing,crm", NOLIM,
     RESTART},
    {SEC_KAFKA, "alert_topic", T_TOPIC, OFF(alert_topic), "churn-alerts", NOLIM, RESTART},
    {SEC_KAFKA, "dlq_topic", T_TOPIC, OFF(dlq_topic), "cdrwarn-dlq", NOLIM, RESTART},
    {SEC_KAFKA, "outcome_topic", T_TOPIC, OFF(outcome_topic), "churn-outcomes", NOLIM,
     RESTART},
    {SEC_KAFKA, "score_topic", T_TOPIC, OFF(score_topic), "churn-scores", NOLIM, RESTART},
    {SEC_KAFKA, "max_in_flight", T_INT, OFF(max_in_flight), "60000", 100, 1000000, RESTART},
    {SEC_KAFKA, "max_outbox", T_INT, OFF(max_outbox), "100000", 1000, 10000000, RESTART},
    {SEC_KAFKA, "max_in_flight_bytes", T_BYTES, OFF(max_in_flight_bytes), "32M", 1LL << 20,
     16LL << 30, RESTART},
    {SEC_REDIS, "host", T_STRING, OFF(redis_host), "127.0.0.1", NOLIM, RESTART},
    {SEC_REDIS, "port", T_PORT, OFF(redis_port), "6379", 1, 65535, RESTART},
    {SEC_REDIS, "password", T_OPT_STRING, OFF(redis_password), "", NOLIM, RESTART},
    {SEC_REDIS, "password_file", T_PATH, OFF(redis_password_file), "", NOLIM, RESTART},
    {SEC_REDIS, "user", T_OPT_STRING, OFF(redis_user), "", NOLIM, RESTART},
    {SEC_REDIS, "key_prefix", T_KEY_PREFIX, OFF(key_prefix), "cw:", NOLIM, RESTART},
    {SEC_REDIS, "cluster", T_BOOL, OFF(redis_cluster), "no", NOLIM, RESTART},
    {SEC_REDIS, "min_replicas_acked", T_INT, OFF(min_replicas_acked), "0", 0, 16, RESTART},
    {SEC_REDIS, "timeout", T_DURATION, OFF(redis_timeout_ms), "5s", 100, 5 * MS_MINUTE,
     RESTART},
    {SEC_REDIS, "max_step_bytes", T_BYTES, OFF(max_step_bytes), "4M", 128LL << 10, 256LL << 20,
     RESTART},
    {SEC_REDIS, "state_cache", T_BYTES, OFF(state_cache_bytes), "32M", 0, 64LL << 30, RESTART},
    {SEC_TIME, "utc_offset", T_UTC_OFFSET, OFF(utc_offset_s), "+08:00", NOLIM, RESTART},
    {SEC_TIME, "late_grace", T_DURATION, OFF(late_grace_ms), "6h", 0, 30 * MS_DAY, RESTART},
    {SEC_TIME, "max_future", T_DURATION, OFF(max_future_ms), "10m", 0, 7 * MS_DAY, RESTART},
    {SEC_TIME, "idle_close", T_DURATION, OFF(idle_close_ms), "1h", MS_SECOND, 30 * MS_DAY,
     RESTART},
    {SEC_TIME, "weeks_kept", T_INT, OFF(weeks_kept), "9", 2, CW_WEEKS_KEPT_MAX, RESTART},
    /* every stored subscriber is keyed by a number normalised with it */
    {SEC_NUMBERS, "country_code", T_COUNTRY_CODE, OFF(country_code), "86", NOLIM, REFUSE},
    {SEC_NUMBERS, "rival_prefixes", T_PATH, OFF(rival_prefixes_path),
     "/etc/cdrwarn/rival_prefixes.txt", NOLIM, APPLY},
    {SEC_NUMBERS, "own_prefixes", T_PATH, OFF(own_prefixes_path),
     "/etc/cdrwarn/own_prefixes.txt", NOLIM, APPLY},
    {SEC_NUMBERS, "ported_numbers", T_PATH, OFF(ported_numbers_path),
     "/etc/cdrwarn/ported.txt", NOLIM, APPLY},
    {SEC_NUMBERS, "rival_service_numbers", T_NUMBER_LIST, OFF(rival_service_numbers),
     "10010,10000,10099", NOLIM, APPLY},
    {SEC_NUMBERS, "rival_staff_numbers", T_PATH, OFF(rival_staff_numbers_path),
     "/etc/cdrwarn/rival_staff.txt", NOLIM, APPLY},
    {SEC_NUMBERS, "own_service_numbers", T_NUMBER_LIST, OFF(own_service_numbers), "10086",
     NOLIM, APPLY},
    {SEC_RULES, "watched_tiers", T_TIERS, OFF(rules.watched_tiers), "high,mid", NOLIM, APPLY},
    {SEC_RULES, "complaints_per_week", T_INT, OFF(rules.complaints_per_week), "2", 1,
     INT64_MAX, APPLY},
    {SEC_RULES, "spend_drop_pct", T_INT, OFF(rules.spend_drop_pct), "50", 1, 100, APPLY},
    {SEC_RULES, "spend_drop_min_base_fen", T_INT, OFF(rules.spend_drop_min_base_fen), "2000",
     0, INT64_MAX, APPLY},
    {SEC_RULES, "usage_drop_pct", T_INT, OFF(rules.usage_drop_pct), "50", 1, 100, APPLY},
    {SEC_RULES, "usage_drop_min_base_s", T_INT, OFF(rules.usage_drop_min_base_s), "600", 0,
     INT64_MAX, APPLY},
    {SEC_RULES, "fwd_rival_days", T_INT, OFF(rules.fwd_rival_days), "3", 1, 7, APPLY},
    {SEC_RULES, "rival_service_calls", T_INT, OFF(rules.rival_service_calls), "2", 1,
     INT64_MAX, APPLY},
    {SEC_RULES, "contract_expiry_days", T_INT, OFF(rules.contract_expiry_days), "30", 0, 3650,
     APPLY},
    {SEC_RULES, "subsidy_horizon_months", T_INT, OFF(rules.subsidy_horizon_months), "3", 0,
     120, APPLY},
    {SEC_RULES, "emit_blue", T_BOOL, OFF(rules.emit_blue), "true", NOLIM, APPLY},
    {SEC_RULES, "outcome_horizon_weeks", T_INT, OFF(rules.outcome_horizon_weeks), "8", 0,
     CW_WEEKS_KEPT_MAX - 1, APPLY},
    {SEC_HTTP, "listen", T_LISTEN, OFF(http_listen), "127.0.0.1:9464", NOLIM, RESTART},
    {SEC_HTTP, "max_connections", T_INT, OFF(http_max_connections), "16", 1, 1024,
     RESTART},
    {SEC_HTTP, "request_timeout", T_DURATION, OFF(http_request_timeout_ms), "5s", 100,
     5 * MS_MINUTE, RESTART},
    {SEC_SCORE, "threshold", T_INT, OFF(score.threshold), "10", 1, 1000, APPLY},
    {SEC_SCORE, "spend_fall_pct", T_INT, OFF(score.spend_fall_pct), "90", 1, 100, APPLY},
    {SEC_SCORE, "spend_fall_points", T_INT, OFF(score.spend_fall_points), "3", POINTS, APPLY},
    {SEC_SCORE, "fwd_3m_calls", T_INT, OFF(score.fwd_3m_calls), "10", COUNT, APPLY},
    {SEC_SCORE, "fwd_3m_points", T_INT, OFF(score.fwd_3m_points), "1", POINTS, APPLY},
    {SEC_SCORE, "fwd_1m_calls", T_INT, OFF(score.fwd_1m_calls), "5", COUNT, APPLY},
    {SEC_SCORE, "fwd_1m_points", T_INT, OFF(score.fwd_1m_points), "1", POINTS, APPLY},
    {SEC_SCORE, "arrears_stops_6m", T_INT, OFF(score.arrears_stops_6m), "3", COUNT, APPLY},
    {SEC_SCORE, "arrears_stops_points", T_INT, OFF(score.arrears_stops_points), "2", POINTS,
     APPLY},
    {SEC_SCORE, "owed_points", T_INT, OFF(score.owed_points), "1", POINTS, APPLY},
    {SEC_SCORE, "months_owed", T_INT, OFF(score.months_owed), "1", COUNT, APPLY},
    {SEC_SCORE, "months_owed_points", T_INT, OFF(score.months_owed_points), "2", POINTS,
     APPLY},
    {SEC_SCORE, "fault_level_3m", T_INT, OFF(score.fault_level_3m), "1", 1, 3, APPLY},
    {SEC_SCORE, "fault_points", T_INT, OFF(score.fault_points), "2", POINTS, APPLY},
    {SEC_SCORE, "complaints_3m", T_INT, OFF(score.complaints_3m), "3", COUNT, APPLY},
    {SEC_SCORE, "complaints_points", T_INT, OFF(score.complaints_points), "3", POINTS, APPLY},
    {SEC_SCORE, "own_service_calls_6m", T_INT, OFF(score.own_service_calls_6m), "5", COUNT,
     APPLY},
    {SEC_SCORE, "own_service_points", T_INT, OFF(score.own_service_points), "3", POINTS,
     APPLY},
    {SEC_SCORE, "rival_service_calls_6m", T_INT, OFF(score.rival_service_calls_6m), "3",
     COUNT, APPLY},
    {SEC_SCORE, "rival_service_points", T_INT, OFF(score.rival_service_points), "3", POINTS,
     APPLY},
    {SEC_SCORE, "vip_services_6m", T_INT, OFF(score.vip_services_6m), "3", COUNT, APPLY},
    {SEC_SCORE, "vip_service_points", T_INT, OFF(score.vip_service_points), "2", POINTS,
     APPLY},
    {SEC_SCORE, "new_services_6m", T_INT, OFF(score.new_services_6m), "1", 0, 1000000, APPLY},
    {SEC_SCORE, "few_new_services_points", T_INT, OFF(score.few_new_services_points), "1",
     POINTS, APPLY},
    {SEC_SCORE, "vas_fall_pct", T_INT, OFF(score.vas_fall_pct), "20", 1, 100, APPLY},
    {SEC_SCORE, "vas_fall_min_base_fen", T_INT, OFF(score.vas_fall_min_base_fen), "1000", 0,
     CW_MAX_FEN, APPLY},
    {SEC_SCORE, "vas_fall_points", T_INT, OFF(score.vas_fall_points), "2", POINTS, APPLY},
    {SEC_SCORE, "value_drop_pct", T_INT, OFF(score.value_drop_pct), "30", 1, 100, APPLY},
    {SEC_SCORE, "value_drop_min_base_fen", T_INT, OFF(score.value_drop_min_base_fen), "5000",
     0, CW_MAX_FEN, APPLY},
    {SEC_CONSOLE, "listen", T_LISTEN, OFF(console_listen), "127.0.0.1:8080", NOLIM, RESTART},
    {SEC_CONSOLE, "key_prefix", T_KEY_PREFIX, OFF(console_key_prefix), "cwc:", NOLIM,
     RESTART},
    {SEC_CONSOLE, "users_file", T_PATH, OFF(console_users_file),
     "/etc/cdrwarn/console-users", NOLIM, APPLY},
    {SEC_CONSOLE, "group_id", T_STRING, OFF(console_group_id), "cdrwarn-console", NOLIM,
     RESTART},
    {SEC_CONSOLE, "audit_log", T_PATH, OFF(console_audit_log),
     "/var/log/cdrwarn/console-audit.log", NOLIM, RESTART},
    {SEC_CONSOLE, "secure_cookies", T_BOOL, OFF(console_secure_cookies), "no", NOLIM, RESTART},
};

#define N_DIRECTIVES (sizeof directives / sizeof directives[0])

/* librdkafka keys that have a config key of their own: two places to set one
 * thing is how an operator ends up debugging the wrong one. */
static const struct {
    const char *property, *instead;
} shadowed_props[] = {
    {"bootstrap.servers", "brokers"},
    {"metadata.broker.list", "brokers"},
    {"group.id", "group_id"},
};

typedef struct seen_key {
    char *key;
    int line;
} seen_key_t;

typedef struct parser {
    const char *path;
    const char *source; /* what errors name: the path, or the override being applied */
    size_t dir_len; /* bytes of path up to and including its last '/' */
    cw_config_t *config;
    cw_errlist_t *errs;
    int errors;
    bool oom;
    int lines[N_DIRECTIVES]; /* where each key was given; 0 = default */
    int section_lines[SEC__COUNT]; /* each section's first header; 0 = absent */
    /* number lists as written, normalised once country_code is known */
    char *number_raw[N_DIRECTIVES];
    seen_key_t *action_keys;
    size_t action_key_count;
} parser_t;

static void report(parser_t *p, int line, section_t sec, const char *key, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static void report(parser_t *p, int line, section_t sec, const char *key, const char *fmt,
                   ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->errors++;
    /* "file:line:" as compilers write it; "file:" alone when no line holds
     * the mistake (a missing section, an unreadable file) */
    char where[32] = "";
    if (line > 0)
        snprintf(where, sizeof where, "%d:", line);
    if (sec != SEC_NONE && key != NULL)
        cw_errlist_add(p->errs, "%s:%s [%s] %s: %s", p->source, where, section_names[sec], key,
                       msg);
    else if (key != NULL)
        cw_errlist_add(p->errs, "%s:%s %s: %s", p->source, where, key, msg);
    else
        cw_errlist_add(p->errs, "%s:%s %s", p->source, where, msg);
}

/* The offending text for an error message: quoted, control bytes shown as
 * '?', cut after 64 bytes so one huge line cannot drown the report. */
static const char *found(const char *text, size_t len, char out[FOUND_SIZE])
{
    if (len == 0)
        return "an empty value";
    size_t n = 0;
    out[n++] = '\'';
    for (size_t i = 0; i < len && i < 64; i++) {
        unsigned char c = (unsigned char)text[i];
        out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (len > 64) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return out;
}

static const char *found_str(const char *text, char out[FOUND_SIZE])
{
    return found(text, strlen(text), out);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '.' || c == '-';
}

static bool has_space(const char *s)
{
    for (; *s; s++)
        if (is_space(*s) || *s == '\n')
            return true;
    return false;
}

/* Trims [*b, *e) in place. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

/* Decimal integer with an optional '-'; -1 when malformed or out of int64. */
static int parse_int(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (!is_digit(*s))
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; is_digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*s != '\0')
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* A size in bytes with an optional K, M or G suffix (powers of 1024). */
static int parse_bytes(const char *text, int64_t *out)
{
    const char *s = text;
    if (!is_digit(*s))
        return -1;
    int64_t v = 0;
    for (; is_digit(*s); s++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    int shift = 0;
    if (strcasecmp(s, "k") == 0)
        shift = 10;
    else if (strcasecmp(s, "m") == 0)
        shift = 20;
    else if (strcasecmp(s, "g") == 0)
        shift = 30;
    else if (*s != '\0')
        return -1;
    if (v > (INT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int cw_config_parse_duration(const char *text, int64_t *ms)
{
    const char *s = text;
    if (!is_digit(*s))
        return -1;
    int64_t v = 0;
    for (; is_digit(*s); s++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    int64_t unit;
    if (strcmp(s, "") == 0 || strcmp(s, "s") == 0)
        unit = MS_SECOND;
    else if (strcmp(s, "ms") == 0)
        unit = 1;
    else if (strcmp(s, "m") == 0)
        unit = MS_MINUTE;
    else if (strcmp(s, "h") == 0)
        unit = MS_HOUR;
    else if (strcmp(s, "d") == 0)
        unit = MS_DAY;
    else
        return -1;
    if (v > INT64_MAX / unit)
        return -1;
    *ms = v * unit;
    return 0;
}

int cw_config_parse_utc_offset(const char *text, int32_t *seconds)
{
    if (strcmp(text, "Z") == 0 || strcmp(text, "z") == 0) {
        *seconds = 0;
        return 0;
    }
    size_t len = strlen(text);
    if ((len != 3 && len != 6) || (text[0] != '+' && text[0] != '-') ||
        !is_digit(text[1]) || !is_digit(text[2]))
        return -1;
    int hours = (text[1] - '0') * 10 + (text[2] - '0');
    int minutes = 0;
    if (len == 6) {
        if (text[3] != ':' || !is_digit(text[4]) || !is_digit(text[5]))
            return -1;
        minutes = (text[4] - '0') * 10 + (text[5] - '0');
        if (minutes > 59)
            return -1;
    }
    int32_t s = (int32_t)(hours * 3600 + minutes * 60);
    if (text[0] == '-')
        s = -s;
    /* the offsets in use on Earth: UTC-12:00 to UTC+14:00 */
    if (s < -12 * 3600 || s > 14 * 3600)
        return -1;
    *seconds = s;
    return 0;
}

/* "30d", "100ms", "5m": a bound in the largest unit that divides it. */
static void format_duration(int64_t ms, char out[32])
{
    if (ms != 0 && ms % MS_DAY == 0)
        snprintf(out, 32, "%lldd", (long long)(ms / MS_DAY));
    else if (ms != 0 && ms % MS_HOUR == 0)
        snprintf(out, 32, "%lldh", (long long)(ms / MS_HOUR));
    else if (ms != 0 && ms % MS_MINUTE == 0)
        snprintf(out, 32, "%lldm", (long long)(ms / MS_MINUTE));
    else if (ms % MS_SECOND == 0)
        snprintf(out, 32, "%llds", (long long)(ms / MS_SECOND));
    else
        snprintf(out, 32, "%lldms", (long long)ms);
}

static bool valid_topic(const char *b, size_t len)
{
    if (len == 0 || len > TOPIC_MAX_CHARS)
        return false;
    /* Kafka refuses these two names outright */
    if ((len == 1 && b[0] == '.') || (len == 2 && b[0] == '.' && b[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_key_char(b[i]))
            return false;
    return true;
}

static bool valid_port(const char *s)
{
    int64_t port;
    return parse_int(s, &port) == 0 && s[0] != '-' && port >= 1 && port <= 65535;
}

/* "host:port" or "[v6addr]:port". */
static bool valid_listen(const char *s)
{
    if (has_space(s))
        return false;
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close == s + 1 || close[1] != ':')
            return false;
        colon = close + 1;
    } else {
        colon = strchr(s, ':');
        if (colon == NULL || colon == s || strchr(colon + 1, ':') != NULL)
            return false;
    }
    return valid_port(colon + 1);
}

static void *field(parser_t *p, const directive_t *d)
{
    return (char *)p->config + d->offset;
}

static void set_string(parser_t *p, const directive_t *d, char *value)
{
    char **slot = field(p, d);
    cw_free(*slot);
    *slot = value;
}

static char *dup_or_oom(parser_t *p, const char *s, size_t len)
{
    char *copy = cw_strndup(s, len);
    if (copy == NULL)
        p->oom = true;
    return copy;
}

/* Relative paths hang off the config file's folder, so a config and the
 * files beside it move together. */
static char *resolve_path(parser_t *p, const char *value)
{
    if (value[0] == '/' || p->dir_len == 0)
        return dup_or_oom(p, value, strlen(value));
    size_t len = strlen(value);
    char *out = cw_malloc(p->dir_len + len + 1);
    if (out == NULL) {
        p->oom = true;
        return NULL;
    }
    memcpy(out, p->path, p->dir_len);
    memcpy(out + p->dir_len, value, len + 1);
    return out;
}

static void free_list(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        cw_free(items[i]);
    cw_free(items);
}

static int set_topic_list(parser_t *p, const directive_t *d, const char *value, int line)
{
    char buf[FOUND_SIZE];
    size_t count = 1;
    for (const char *q = value; *q; q++)
        count += *q == ',';
    if (count > CW_MAX_INPUT_TOPICS) {
        report(p, line, d->section, d->key,
               "expected 1 to %d comma-separated topic names, found %zu topics",
               CW_MAX_INPUT_TOPICS, count);
        return 1;
    }
    char **topics = cw_calloc(count, sizeof *topics);
    if (topics == NULL) {
        p->oom = true;
        return -1;
    }
    size_t n = 0;
    const char *item = value;
    for (;;) {
        const char *end = strchr(item, ',');
        const char *b = item, *e = end ? end : item + strlen(item);
        trim(&b, &e);
        size_t len = (size_t)(e - b);
        if (!valid_topic(b, len)) {
            report(
                p, line, d->section, d->key,
                "expected 1 to %d comma-separated topic names of letters, digits, '.', "
                "'_' or '-' (at most %d each), found %s",
                CW_MAX_INPUT_TOPICS, TOPIC_MAX_CHARS, found(b, len, buf));
            free_list(topics, n);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            if (strlen(topics[i]) == len && memcmp(topics[i], b, len) == 0) {
                report(p, line, d->section, d->key,
                       "expected distinct topics, found %s listed twice",
                       found(b, len, buf));
                free_list(topics, n);
                return 1;
            }
        }
        topics[n] = dup_or_oom(p, b, len);
        if (topics[n] == NULL) {
            free_list(topics, n);
            return -1;
        }
        n++;
        if (end == NULL)
            break;
        item = end + 1;
    }
    free_list(p->config->input_topics, p->config->input_topic_count);
    p->config->input_topics = topics;
    p->config->input_topic_count = n;
    return 0;
}

static int set_tiers(parser_t *p, const directive_t *d, const char *value, int line)
{
    char buf[FOUND_SIZE];
    uint8_t bits = 0;
    const char *item = value;
    for (;;) {
        const char *end = strchr(item, ',');
        const char *b = item, *e = end ? end : item + strlen(item);
        trim(&b, &e);
        char name[16];
        size_t len = (size_t)(e - b);
        cw_tier_t tier;
        bool ok = len > 0 && len < sizeof name;
        if (ok) {
            memcpy(name, b, len);
            name[len] = '\0';
            ok = cw_tier_parse(name, &tier) == 0;
        }
        if (!ok) {
            report(p, line, d->section, d->key,
                   "expected a comma-separated list of tiers (high, mid, low, unknown), "
                   "found %s",
                   found(b, len, buf));
            return 1;
        }
        bits |= (uint8_t)(1u << tier);
        if (end == NULL)
            break;
        item = end + 1;
    }
    *(uint8_t *)field(p, d) = bits;
    return 0;
}

/* Parses `value` for directive `d` and stores it. Returns 0, 1 when the value
 * is bad (reported), -1 when out of memory. */
static int set_value(parser_t *p, const directive_t *d, const char *value, int line)
{
    char buf[FOUND_SIZE];
    const char *what = found_str(value, buf);
    int64_t num = 0;
    switch (d->type) {
    case T_STRING:
        if (value[0] == '\0') {
            report(p, line, d->section, d->key, "expected a non-empty value, found %s",
                   what);
            return 1;
        }
        break;
    case T_OPT_STRING:
        if (value[0] == '\0') {
            set_string(p, d, NULL);
            return 0;
        }
        break;
    case T_PORT:
        if (!valid_port(value)) {
            report(p, line, d->section, d->key,
                   "expected a port from 1 to 65535, found %s", what);
            return 1;
        }
        parse_int(value, &num);
        *(int64_t *)field(p, d) = num;
        return 0;
    case T_INT:
        if (parse_int(value, &num) != 0 || num < d->min || num > d->max) {
            if (d->max == INT64_MAX)
                report(p, line, d->section, d->key,
                       "expected an integer >= %lld, found %s", (long long)d->min, what);
            else
                report(p, line, d->section, d->key,
                       "expected an integer from %lld to %lld, found %s",
                       (long long)d->min, (long long)d->max, what);
            return 1;
        }
        *(int64_t *)field(p, d) = num;
        return 0;
    case T_BYTES:
        if (parse_bytes(value, &num) != 0 || num < d->min || num > d->max) {
            report(p, line, d->section, d->key,
                   "expected a size from %lldK to %lldM (a whole number with an optional K, M "
                   "or G suffix; none = bytes), found %s",
                   (long long)(d->min >> 10), (long long)(d->max >> 20), what);
            return 1;
        }
        *(int64_t *)field(p, d) = num;
        return 0;
    case T_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
                *(bool *)field(p, d) = strcasecmp(value, yes[i]) == 0;
                return 0;
            }
        }
        report(p, line, d->section, d->key,
               "expected true, false, yes, no, on, off, 1 or 0, found %s", what);
        return 1;
    }
    case T_DURATION:
        if (cw_config_parse_duration(value, &num) != 0 || num < d->min || num > d->max) {
            char lo[32], hi[32];
            format_duration(d->min, lo);
            format_duration(d->max, hi);
            report(
                p, line, d->section, d->key,
                "expected a duration from %s to %s (a whole number with an optional ms, "
                "s, m, h or d suffix; none = seconds), found %s",
                lo, hi, what);
            return 1;
        }
        *(int64_t *)field(p, d) = num;
        return 0;
    case T_UTC_OFFSET: {
        int32_t seconds;
        if (cw_config_parse_utc_offset(value, &seconds) != 0) {
            report(
                p, line, d->section, d->key,
                "expected a UTC offset +HH:MM, -HH:MM, +HH or Z from -12:00 to +14:00, "
                "found %s",
                what);
            return 1;
        }
        *(int32_t *)field(p, d) = seconds;
        return 0;
    }
    case T_TOPIC:
        if (!valid_topic(value, strlen(value))) {
            report(p, line, d->section, d->key,
                   "expected a topic name of 1 to %d letters, digits, '.', '_' or '-', "
                   "found %s",
                   TOPIC_MAX_CHARS, what);
            return 1;
        }
        break;
    case T_TOPIC_LIST:
        return set_topic_list(p, d, value, line);
    case T_PATH: {
        char *path = NULL;
        if (value[0] != '\0' && (path = resolve_path(p, value)) == NULL)
            return -1;
        set_string(p, d, path);
        return 0;
    }
    case T_LISTEN:
        if (!valid_listen(value)) {
            report(
                p, line, d->section, d->key,
                "expected host:port or [IPv6 address]:port with a port from 1 to 65535, "
                "found %s",
                what);
            return 1;
        }
        break;
    case T_COUNTRY_CODE: {
        size_t len = strlen(value);
        bool ok = len >= 1 && len <= 3 && value[0] != '0';
        for (size_t i = 0; ok && i < len; i++)
            ok = is_digit(value[i]);
        if (!ok) {
            report(p, line, d->section, d->key,
                   "expected a country calling code of 1 to 3 digits, found %s", what);
            return 1;
        }
        break;
    }
    case T_KEY_PREFIX:
        /* braces would make a Redis Cluster hash tag of the prefix and put
         * every subscriber in one slot; a long one would not fit a key */
        if (value[0] == '\0' || has_space(value) || strpbrk(value, "{}") != NULL ||
            strlen(value) > CW_KEY_PREFIX_MAX_CHARS) {
            report(p, line, d->section, d->key,
                   "expected a non-empty prefix of at most %d characters without "
                   "whitespace, '{' or '}', found %s",
                   CW_KEY_PREFIX_MAX_CHARS, what);
            return 1;
        }
        break;
    case T_NUMBER_LIST: {
        /* the country code may come later in the file: checked after the parse */
        char *raw = dup_or_oom(p, value, strlen(value));
        if (raw == NULL)
            return -1;
        size_t index = (size_t)(d - directives);
        cw_free(p->number_raw[index]);
        p->number_raw[index] = raw;
        return 0;
    }
    case T_TIERS:
        return set_tiers(p, d, value, line);
    }
    char *copy = dup_or_oom(p, value, strlen(value));
    if (copy == NULL)
        return -1;
    set_string(p, d, copy);
    return 0;
}

/* Levenshtein distance, capped: enough to suggest "brokers" for "brokrs". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void report_unknown_key(parser_t *p, int line, section_t sec, const char *key)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        if (directives[i].section != sec && strcmp(directives[i].key, key) == 0) {
            report(p, line, sec, key, "unknown key in this section; it belongs in [%s]",
                   section_names[directives[i].section]);
            return;
        }
    }
    const char *best = NULL;
    size_t best_distance = 3; /* suggest only near misses */
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        if (directives[i].section != sec)
            continue;
        size_t dist = edit_distance(key, directives[i].key);
        if (dist < best_distance) {
            best = directives[i].key;
            best_distance = dist;
        }
    }
    if (best != NULL) {
        report(p, line, sec, key, "unknown key; did you mean '%s'?", best);
        return;
    }
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        if (directives[i].section != sec)
            continue;
        int w =
            snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", directives[i].key);
        if (w > 0 && (size_t)w < sizeof list - n)
            n += (size_t)w;
    }
    if (sec == SEC_KAFKA)
        snprintf(list + n, sizeof list - n, ", property.<name>");
    report(p, line, sec, key, "unknown key; expected one of %s", list);
}

static void add_property(parser_t *p, int line, const char *key, const char *value)
{
    const char *name = key + strlen("property.");
    cw_config_t *c = p->config;
    if (name[0] == '\0') {
        report(p, line, SEC_KAFKA, key,
               "expected property.<librdkafka key>, found no name");
        return;
    }
    for (size_t i = 0; i < sizeof shadowed_props / sizeof shadowed_props[0]; i++) {
        if (strcmp(name, shadowed_props[i].property) == 0) {
            report(p, line, SEC_KAFKA, key, "set by [kafka] %s; use that key instead",
                   shadowed_props[i].instead);
            return;
        }
    }
    for (size_t i = 0; i < c->kafka_prop_count; i++) {
        if (strcmp(c->kafka_props[i].name, name) == 0) {
            report(p, line, SEC_KAFKA, key, "given twice, first at line %d",
                   c->kafka_props[i].line);
            return;
        }
    }
    cw_kafka_prop_t *props =
        cw_realloc(c->kafka_props, (c->kafka_prop_count + 1) * sizeof *c->kafka_props);
    if (props == NULL) {
        p->oom = true;
        return;
    }
    c->kafka_props = props;
    cw_kafka_prop_t *prop = &props[c->kafka_prop_count];
    prop->name = cw_strdup(name);
    prop->value = cw_strdup(value);
    prop->line = line;
    if (prop->name == NULL || prop->value == NULL) {
        cw_free(prop->name);
        cw_free(prop->value);
        p->oom = true;
        return;
    }
    c->kafka_prop_count++;
}

static void set_action(parser_t *p, int line, const char *key, const char *value)
{
    for (size_t i = 0; i < p->action_key_count; i++) {
        if (strcmp(p->action_keys[i].key, key) == 0) {
            report(p, line, SEC_ACTIONS, key, "given twice, first at line %d",
                   p->action_keys[i].line);
            return;
        }
    }
    char errbuf[512];
    if (cw_actions_set(&p->config->actions, key, value, errbuf, sizeof errbuf) != 0) {
        if (strcmp(errbuf, "out of memory") == 0)
            p->oom = true;
        else
            report(p, line, SEC_ACTIONS, key, "%s", errbuf);
        return;
    }
    seen_key_t *keys =
        cw_realloc(p->action_keys, (p->action_key_count + 1) * sizeof *p->action_keys);
    if (keys == NULL) {
        p->oom = true;
        return;
    }
    p->action_keys = keys;
    keys[p->action_key_count].key = cw_strdup(key);
    keys[p->action_key_count].line = line;
    if (keys[p->action_key_count].key == NULL) {
        p->oom = true;
        return;
    }
    p->action_key_count++;
}

static void set_key(parser_t *p, int line, section_t sec, const char *key,
                    const char *value)
{
    if (sec == SEC_ACTIONS) {
        set_action(p, line, key, value);
        return;
    }
    if (strncmp(key, "property.", strlen("property.")) == 0) {
        if (sec == SEC_KAFKA)
            add_property(p, line, key, value);
        else
            report(p, line, sec, key, "property.<name> keys belong in [kafka]");
        return;
    }
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive_t *d = &directives[i];
        if (d->section != sec || strcmp(d->key, key) != 0)
            continue;
        if (p->lines[i] != 0) {
            report(p, line, sec, key, "given twice, first at line %d", p->lines[i]);
            return;
        }
        p->lines[i] = line;
        if (set_value(p, d, value, line) < 0)
            p->oom = true;
        return;
    }
    report_unknown_key(p, line, sec, key);
}

/* Whether the key's value is a secret (lib/secrets.c has the rule). */
static bool secret_key(section_t sec, const char *key)
{
    if (sec == SEC_REDIS)
        return strcmp(key, "password") == 0;
    return sec == SEC_KAFKA && strncmp(key, "property.", strlen("property.")) == 0 &&
           cw_secrets_property(key + strlen("property."));
}

/* One line, without its newline: a section header, a key = value pair, or
 * nothing once the comment and whitespace are gone. */
static void parse_line(parser_t *p, int line, const char *b, const char *e,
                       section_t *sec, bool *skip)
{
    char buf[FOUND_SIZE];
    if (memchr(b, '\0', (size_t)(e - b)) != NULL) {
        report(p, line, SEC_NONE, NULL,
               "malformed line: expected text, found a NUL byte");
        return;
    }
    const char *hash = memchr(b, '#', (size_t)(e - b));
    if (hash != NULL)
        e = hash;
    trim(&b, &e);
    if (b == e)
        return;

    if (*b == '[') {
        const char *nb = b + 1, *ne = e - 1;
        if (e - b < 2 || *ne != ']') {
            /* the line is never echoed: it may be a secret with a typo */
            report(p, line, SEC_NONE, NULL,
                   "malformed line: expected '[section]', found no closing ']'");
            return;
        }
        trim(&nb, &ne);
        for (int s = 0; s < SEC__COUNT; s++) {
            if (strlen(section_names[s]) == (size_t)(ne - nb) &&
                memcmp(section_names[s], nb, (size_t)(ne - nb)) == 0) {
                *sec = (section_t)s;
                *skip = false;
                if (p->section_lines[s] == 0)
                    p->section_lines[s] = line;
                return;
            }
        }
        report(p, line, SEC_NONE, NULL,
               "unknown section %s; expected one of [kafka], [redis], [time], [numbers], "
               "[rules], [actions], [http], [score], [console]",
               found(b, (size_t)(e - b), buf));
        /* its keys would only repeat the same mistake */
        *skip = true;
        return;
    }

    const char *eq = memchr(b, '=', (size_t)(e - b));
    const char *kb = b, *ke = eq ? eq : e;
    if (eq != NULL)
        trim(&kb, &ke);
    bool key_ok = eq != NULL && kb < ke;
    for (const char *q = kb; key_ok && q < ke; q++)
        key_ok = is_key_char(*q);
    if (!key_ok) {
        /* named by its line, never its text: "password hunter2" (a line
         * without '=') must not reach the journal */
        report(p, line, SEC_NONE, NULL,
               eq == NULL ? "malformed line: expected 'key = value', found no '='"
                          : "malformed line: expected a key of letters, digits, '_', '.' "
                            "or '-' before '='");
        return;
    }
    if (*skip)
        return;
    const char *vb = eq + 1, *ve = e;
    trim(&vb, &ve);
    char *key = cw_strndup(kb, (size_t)(ke - kb));
    char *value = cw_strndup(vb, (size_t)(ve - vb));
    if (key == NULL || value == NULL) {
        p->oom = true;
    } else if (*sec == SEC_NONE) {
        report(p, line, SEC_NONE, key,
               "key outside any section; expected a [section] line first");
    } else if (hash != NULL && ve == hash && vb < ve && secret_key(*sec, key)) {
        /* "password = abc#def" would be the secret "abc": refused, not cut */
        report(p, line, *sec, key,
               "expected a secret without '#', found one followed at once by '#', which "
               "starts a comment and would cut it%s",
               *sec == SEC_REDIS ? "; put such a password in password_file" : "");
    } else {
        set_key(p, line, *sec, key, value);
    }
    cw_free(key);
    cw_free(value);
}

static void check_number_list(parser_t *p, const directive_t *d, const char *raw,
                              int line)
{
    cw_number_list_t *list = field(p, d);
    char buf[FOUND_SIZE];
    const char *b = raw, *e = raw + strlen(raw);
    trim(&b, &e);
    if (b == e)
        return; /* no such numbers at all is a valid choice */
    size_t count = 1;
    for (const char *q = raw; *q; q++)
        count += *q == ',';
    list->items = cw_calloc(count, sizeof *list->items);
    if (list->items == NULL) {
        p->oom = true;
        return;
    }
    const char *item = raw;
    for (;;) {
        const char *end = strchr(item, ',');
        b = item;
        e = end ? end : item + strlen(item);
        trim(&b, &e);
        char number[CW_NUMBER_SIZE];
        if (cw_number_normalise(b, (size_t)(e - b), p->config->country_code, number) < 0) {
            report(
                p, line, d->section, d->key,
                "expected comma-separated numbers of 3 to 15 digits (an optional leading "
                "'+' or '00'), found %s",
                found(b, (size_t)(e - b), buf));
        } else {
            char *copy = dup_or_oom(p, number, strlen(number));
            if (copy == NULL)
                return;
            list->items[list->count++] = copy;
        }
        if (end == NULL)
            break;
        item = end + 1;
    }
}

static void check_number_lists(parser_t *p)
{
    for (size_t i = 0; i < N_DIRECTIVES && !p->oom; i++)
        if (p->number_raw[i] != NULL)
            check_number_list(p, &directives[i], p->number_raw[i], p->lines[i]);
}

static int line_of(const parser_t *p, const char *key)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++)
        if (strcmp(directives[i].key, key) == 0)
            return p->lines[i];
    return 0;
}

static int later(int a, int b)
{
    return a > b ? a : b;
}

static void check_cross_keys(parser_t *p)
{
    cw_config_t *c = p->config;
    char buf[FOUND_SIZE];
    int topics_line = line_of(p, "input_topics");
    enum { OUTPUTS = 4 };
    const char *outputs[OUTPUTS] = {"alert_topic", "dlq_topic", "outcome_topic", "score_topic"};
    const char *values[OUTPUTS] = {c->alert_topic, c->dlq_topic, c->outcome_topic,
                                   c->score_topic};
    for (int k = 0; k < OUTPUTS; k++) {
        for (size_t i = 0; i < c->input_topic_count; i++) {
            if (strcmp(values[k], c->input_topics[i]) == 0) {
                report(p, later(line_of(p, outputs[k]), topics_line), SEC_KAFKA,
                       outputs[k],
                       "expected a topic that is not an input topic, found %s, which "
                       "input_topics lists",
                       found_str(values[k], buf));
            }
        }
        for (int j = 0; j < k; j++)
            if (strcmp(values[k], values[j]) == 0)
                report(p, later(line_of(p, outputs[j]), line_of(p, outputs[k])), SEC_KAFKA,
                       outputs[k], "expected a topic other than %s, found the same %s",
                       outputs[j], found_str(values[k], buf));
    }
    /* left at its default, the horizon shrinks to what the kept weeks hold,
     * so a config that keeps few weeks stays valid; set too far, it is an error */
    if (line_of(p, "outcome_horizon_weeks") == 0 &&
        c->rules.outcome_horizon_weeks > c->weeks_kept - 1)
        c->rules.outcome_horizon_weeks = c->weeks_kept - 1;
    if (c->rules.outcome_horizon_weeks > c->weeks_kept - 1)
        report(p, later(line_of(p, "outcome_horizon_weeks"), line_of(p, "weeks_kept")),
               SEC_RULES, "outcome_horizon_weeks",
               "expected at most weeks_kept - 1 = %lld (the alerted weeks an outcome lists "
               "come from the kept ones), found %lld",
               (long long)(c->weeks_kept - 1), (long long)c->rules.outcome_horizon_weeks);

    int pw_line = line_of(p, "password"), file_line = line_of(p, "password_file");
    if (c->redis_password != NULL && c->redis_password_file != NULL)
        report(p, later(pw_line, file_line), SEC_REDIS,
               pw_line > file_line ? "password" : "password_file",
               "expected one of password and password_file, found both (lines %d and %d)",
               pw_line < file_line ? pw_line : file_line, later(pw_line, file_line));
    if (c->redis_user != NULL && c->redis_password == NULL &&
        c->redis_password_file == NULL)
        report(p, line_of(p, "user"), SEC_REDIS, "user",
               "expected password or password_file with an ACL user, found neither");
}

/* The canonical text of a directive's effective value: what rules_version
 * hashes and what a reload compares. Tiers are listed in a fixed order, so
 * "mid,high" and "high,mid" are the same value. */
static void value_text(const cw_config_t *c, const directive_t *d, char *out, size_t size)
{
    const void *slot = (const char *)c + d->offset;
    size_t n = 0;
    out[0] = '\0';
    switch (d->type) {
    case T_PORT:
    case T_INT:
    case T_DURATION:
    case T_BYTES:
        snprintf(out, size, "%lld", (long long)*(const int64_t *)slot);
        break;
    case T_BOOL:
        snprintf(out, size, "%d", *(const bool *)slot ? 1 : 0);
        break;
    case T_UTC_OFFSET:
        snprintf(out, size, "%d", (int)*(const int32_t *)slot);
        break;
    case T_TIERS:
        for (int t = 0; t < CW_TIER__COUNT; t++)
            if (*(const uint8_t *)slot & (1u << t) && n < size)
                n += (size_t)snprintf(out + n, size - n, "%s,", cw_tier_name((cw_tier_t)t));
        break;
    case T_TOPIC_LIST:
        for (size_t i = 0; i < c->input_topic_count && n < size; i++)
            n += (size_t)snprintf(out + n, size - n, "%s,", c->input_topics[i]);
        break;
    case T_NUMBER_LIST: {
        const cw_number_list_t *list = slot;
        for (size_t i = 0; i < list->count && n < size; i++)
            n += (size_t)snprintf(out + n, size - n, "%s,", list->items[i]);
        break;
    }
    default: {
        const char *text = *(char *const *)slot;
        /* NUL marks "not set", which no set value can spell */
        snprintf(out, size, "%s", text ? text : "\x01");
        break;
    }
    }
}

static bool makes_rules_version(const directive_t *d)
{
    return d->section == SEC_RULES || d->section == SEC_SCORE;
}

/* A hash of the effective [rules] and [score] values: the version changes
 * with a threshold or points and with nothing else (not comments, not order,
 * not "mid,high" against "high,mid"). */
static void compute_rules_version(cw_config_t *c)
{
    uint64_t hash = cw_hash64("cdrwarn-rules-2", 15, 0);
    char value[1024];
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive_t *d = &directives[i];
        if (!makes_rules_version(d))
            continue;
        value_text(c, d, value, sizeof value);
        hash = cw_hash64(section_names[d->section], strlen(section_names[d->section]), hash);
        hash = cw_hash64(d->key, strlen(d->key), hash);
        hash = cw_hash64(value, strlen(value) + 1, hash);
    }
    cw_hash_hex(hash, c->rules_version);
}

static bool same_properties(const cw_config_t *a, const cw_config_t *b)
{
    if (a->kafka_prop_count != b->kafka_prop_count)
        return false;
    for (size_t i = 0; i < a->kafka_prop_count; i++)
        if (strcmp(a->kafka_props[i].name, b->kafka_props[i].name) != 0 ||
            strcmp(a->kafka_props[i].value, b->kafka_props[i].value) != 0)
            return false;
    return true;
}

static void name_key(char *out, size_t size, size_t *len, const char *section,
                     const char *key)
{
    if (*len < size)
        *len += (size_t)snprintf(out + *len, size - *len, "%s[%s] %s", *len ? ", " : "",
                                 section, key);
}

int cw_config_reload_check(const cw_config_t *running, const cw_config_t *next,
                           char *restart_keys, size_t size, cw_errlist_t *errs)
{
    size_t len = 0;
    int refused = 0;
    char a[1024], b[1024];
    restart_keys[0] = '\0';
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive_t *d = &directives[i];
        if (d->reload == CW_RELOAD_APPLY)
            continue;
        value_text(running, d, a, sizeof a);
        value_text(next, d, b, sizeof b);
        if (strcmp(a, b) == 0)
            continue;
        if (d->reload == CW_RELOAD_REFUSE) {
            /* a refused key is never a secret: its values may be named */
            cw_errlist_add(errs,
                           "%s: [%s] %s: changed from %s to %s; a change of this key needs "
                           "a restart, not a reload",
                           next->path, section_names[d->section], d->key, a, b);
            refused++;
        } else {
            name_key(restart_keys, size, &len, section_names[d->section], d->key);
        }
    }
    if (!same_properties(running, next))
        name_key(restart_keys, size, &len, "kafka", "property.*");
    return refused;
}

void cw_config_free(cw_config_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < N_DIRECTIVES; i++) {
        const directive_t *d = &directives[i];
        void *slot = (char *)c + d->offset;
        switch (d->type) {
        case T_STRING:
        case T_OPT_STRING:
        case T_TOPIC:
        case T_PATH:
        case T_LISTEN:
        case T_COUNTRY_CODE:
        case T_KEY_PREFIX:
            cw_free(*(char **)slot);
            break;
        case T_NUMBER_LIST: {
            cw_number_list_t *list = slot;
            free_list(list->items, list->count);
            break;
        }
        default:
            break;
        }
    }
    cw_free(c->path);
    free_list(c->input_topics, c->input_topic_count);
    for (size_t i = 0; i < c->kafka_prop_count; i++) {
        cw_free(c->kafka_props[i].name);
        cw_free(c->kafka_props[i].value);
    }
    cw_free(c->kafka_props);
    cw_actions_free(&c->actions);
    cw_free(c);
}

static const char *const type_names[] = {
    [T_STRING] = "string",         [T_OPT_STRING] = "string",
    [T_PORT] = "port",             [T_INT] = "integer",
    [T_BOOL] = "boolean",          [T_DURATION] = "duration",
    [T_UTC_OFFSET] = "UTC offset", [T_TOPIC] = "topic",
    [T_TOPIC_LIST] = "topic list", [T_PATH] = "path",
    [T_LISTEN] = "host:port",      [T_COUNTRY_CODE] = "country code",
    [T_KEY_PREFIX] = "key prefix", [T_NUMBER_LIST] = "number list",
    [T_TIERS] = "tier list",       [T_BYTES] = "size",
};

size_t cw_config_key_count(void)
{
    return N_DIRECTIVES;
}

void cw_config_key_at(size_t index, cw_config_key_t *out)
{
    const directive_t *d = &directives[index];
    *out = (cw_config_key_t){
        .section = section_names[d->section],
        .key = d->key,
        .type = type_names[d->type],
        .def = d->def,
        .min = d->min,
        .max = d->max,
        .reload = d->reload,
    };
}

/* The line an overridden key is said to come from: set, but on no line. */
#define OVERRIDE_LINE (-1)

/* One "section.key=value" given apart from the file; errors name it. */
static void apply_override(parser_t *p, const char *text)
{
    char source[320];
    snprintf(source, sizeof source, "--set %s", text);
    p->source = source;
    const char *dot = strchr(text, '.');
    const char *eq = strchr(text, '=');
    section_t sec = SEC_NONE;
    if (dot != NULL && eq != NULL && dot < eq) {
        size_t len = (size_t)(dot - text);
        if (len == strlen("rules") && memcmp(text, "rules", len) == 0)
            sec = SEC_RULES;
        else if (len == strlen("score") && memcmp(text, "score", len) == 0)
            sec = SEC_SCORE;
    }
    if (sec == SEC_NONE) {
        report(p, 0, SEC_NONE, NULL,
               "expected rules.KEY=VALUE or score.KEY=VALUE (only [rules] and [score] keys "
               "can be overridden)");
        p->source = p->path;
        return;
    }
    const char *kb = dot + 1, *ke = eq, *vb = eq + 1, *ve = eq + strlen(eq);
    trim(&kb, &ke);
    trim(&vb, &ve);
    char *key = cw_strndup(kb, (size_t)(ke - kb));
    char *value = cw_strndup(vb, (size_t)(ve - vb));
    size_t i = 0;
    while (key != NULL && i < N_DIRECTIVES &&
           (directives[i].section != sec || strcmp(directives[i].key, key) != 0))
        i++;
    if (key == NULL || value == NULL) {
        p->oom = true;
    } else if (i == N_DIRECTIVES) {
        report_unknown_key(p, 0, sec, key);
    } else {
        /* the file's own line for the key, if any, no longer counts */
        p->lines[i] = OVERRIDE_LINE;
        if (set_value(p, &directives[i], value, 0) < 0)
            p->oom = true;
    }
    cw_free(key);
    cw_free(value);
    p->source = p->path;
}

int cw_config_parse(const char *text, size_t len, const char *path, cw_config_t **out,
                    cw_errlist_t *errs)
{
    return cw_config_parse_with(text, len, path, NULL, 0, out, errs);
}

int cw_config_parse_with(const char *text, size_t len, const char *path,
                         const char *const *overrides, size_t override_count, cw_config_t **out,
                         cw_errlist_t *errs)
{
    *out = NULL;
    parser_t p;
    memset(&p, 0, sizeof p);
    p.path = path;
    p.source = path;
    p.errs = errs;
    const char *slash = strrchr(path, '/');
    p.dir_len = slash ? (size_t)(slash - path) + 1 : 0;

    p.config = cw_calloc(1, sizeof *p.config);
    if (p.config == NULL)
        return -1;
    cw_rules_defaults(&p.config->rules);
    if ((p.config->path = cw_strdup(path)) == NULL ||
        cw_actions_defaults(&p.config->actions) != 0)
        p.oom = true;

    /* defaults go through the same setters as file values, so a default can
     * never be something the file could not say */
    for (size_t i = 0; i < N_DIRECTIVES && !p.oom; i++) {
        if (directives[i].def != NULL &&
            set_value(&p, &directives[i], directives[i].def, 0) < 0)
            p.oom = true;
    }

    size_t pos = 0;
    /* a UTF-8 byte order mark, as some Windows editors write */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    section_t sec = SEC_NONE;
    bool skip = false;
    int line = 0;
    while (pos < len && !p.oom) {
        const char *b = text + pos;
        const char *nl = memchr(b, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        parse_line(&p, ++line, b, e, &sec, &skip);
        pos = (size_t)(e - text) + 1;
    }
    for (size_t i = 0; i < override_count && !p.oom; i++)
        apply_override(&p, overrides[i]);

    if (!p.oom) {
        /* a required key given with a bad value was reported on its line;
         * a missing one is reported on its section's header */
        for (size_t i = 0; i < N_DIRECTIVES; i++) {
            if (directives[i].def != NULL || p.lines[i] != 0)
                continue;
            section_t home = directives[i].section;
            if (p.section_lines[home] != 0)
                report(&p, p.section_lines[home], home, directives[i].key,
                       "required key is missing from this section");
            else
                report(&p, 0, home, directives[i].key,
                       "required key is missing, and so is its section [%s]",
                       section_names[home]);
        }
        check_number_lists(&p);
    }
    if (!p.oom)
        check_cross_keys(&p);
    if (!p.oom && p.errors == 0)
        compute_rules_version(p.config);

    for (size_t i = 0; i < N_DIRECTIVES; i++)
        cw_free(p.number_raw[i]);
    for (size_t i = 0; i < p.action_key_count; i++)
        cw_free(p.action_keys[i].key);
    cw_free(p.action_keys);
    if (p.oom) {
        cw_config_free(p.config);
        return -1;
    }
    if (p.errors > 0) {
        cw_config_free(p.config);
        return p.errors;
    }
    *out = p.config;
    return 0;
}

int cw_config_load(const char *path, cw_config_t **out, cw_errlist_t *errs)
{
    return cw_config_load_with(path, NULL, 0, out, errs);
}

int cw_config_load_with(const char *path, const char *const *overrides, size_t override_count,
                        cw_config_t **out, cw_errlist_t *errs)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cw_errlist_add(errs, "%s: cannot open the config file: %s", path,
                       strerror(errno));
        return 1;
    }
    size_t cap = 4096, len = 0;
    char *text = cw_malloc(cap);
    if (text == NULL) {
        fclose(f);
        return -1;
    }
    for (;;) {
        if (len > MAX_FILE_BYTES) {
            cw_errlist_add(errs, "%s: the config file is larger than %d bytes", path,
                           MAX_FILE_BYTES);
            cw_free(text);
            fclose(f);
            return 1;
        }
        if (len == cap) {
            /* one byte past the limit is enough to know the file is too large */
            size_t bigger_cap =
                cap * 2 > MAX_FILE_BYTES + 1 ? MAX_FILE_BYTES + 1 : cap * 2;
            char *bigger = cw_realloc(text, bigger_cap);
            if (bigger == NULL) {
                cw_free(text);
                fclose(f);
                return -1;
            }
            text = bigger;
            cap = bigger_cap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        cw_errlist_add(errs, "%s: cannot read the config file: %s", path,
                       strerror(errno));
        cw_free(text);
        fclose(f);
        return 1;
    }
    fclose(f);
    int rc = cw_config_parse_with(text, len, path, overrides, override_count, out, errs);
    cw_free(text);
    return rc;
}
