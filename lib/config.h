/* The INI configuration (SPEC section 2): parsing, defaults, validation.
 * Table-driven: every key has a type, a default and bounds; errors name the
 * file, line and key. Keys beyond the SPEC are documented in README.md. */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "errlist.h"
#include "rules.h"
#include "score.h"

#define CW_MAX_INPUT_TOPICS 16
#define CW_WEEKS_KEPT_MAX 15
#define CW_RULES_VERSION_SIZE 17 /* 16 hex digits + NUL */
#define CW_KEY_PREFIX_MAX_CHARS 64 /* leaves room in a Redis key for the rest */

/* A list of normalised numbers ([numbers] *_service_numbers). */
typedef struct cw_number_list {
    char **items;
    size_t count;
} cw_number_list_t;

/* What a SIGHUP does with a changed key: apply it, keep the running value
 * until a restart (and say so), or refuse the whole reload. */
typedef enum { CW_RELOAD_APPLY = 0, CW_RELOAD_RESTART, CW_RELOAD_REFUSE } cw_reload_t;

/* A [kafka] property.<name> line, passed to librdkafka unchanged. */
typedef struct cw_kafka_prop {
    char *name;    /* without "property." */
    char *value;
    int line;      /* for errors librdkafka reports later */
} cw_kafka_prop_t;

typedef struct cw_config {
    char *path;                   /* the file as given */
    /* [kafka] */
    char *brokers;
    char *group_id;
    char **input_topics;
    size_t input_topic_count;
    char *alert_topic;
    char *dlq_topic;
    char *outcome_topic;          /* churn outcomes (SPEC section 10) */
    char *score_topic;            /* monthly score records (SPEC section 14) */
    cw_kafka_prop_t *kafka_props;
    size_t kafka_prop_count;
    int64_t max_in_flight;        /* records held in memory before consumption pauses */
    int64_t max_outbox;           /* outbox entries on their way before new records wait */
    int64_t max_in_flight_bytes;  /* bytes of records held before consumption pauses */
    /* [redis] */
    char *redis_host;
    int64_t redis_port;
    char *redis_password;         /* NULL when not set */
    char *redis_password_file;    /* resolved path, NULL when not set */
    char *redis_user;             /* NULL when not set */
    char *key_prefix;
    int64_t redis_timeout_ms;     /* a command unanswered this long drops the connection */
    int64_t max_step_bytes;       /* record bytes one step takes at most (its commit's size) */
    int64_t state_cache_bytes;    /* subscriber states kept in memory between steps; 0 = none */
    bool redis_cluster;           /* host:port is one node of a Redis Cluster */
    int64_t min_replicas_acked;   /* replicas each commit waits for (WAIT); 0: none */
    /* [time] */
    int32_t utc_offset_s;
    int64_t late_grace_ms;
    int64_t max_future_ms;
    int64_t idle_close_ms;
    int64_t weeks_kept;
    /* [numbers]; paths resolved against the config file's folder, NULL when
     * the value is empty (no such file) */
    char *country_code;
    char *rival_prefixes_path;
    char *own_prefixes_path;
    char *ported_numbers_path;
    cw_number_list_t rival_service_numbers;
    char *rival_staff_numbers_path;
    cw_number_list_t own_service_numbers;
    /* [rules], [actions], [score] */
    cw_rules_t rules;
    cw_actions_t actions;
    cw_score_rules_t score;
    char rules_version[CW_RULES_VERSION_SIZE]; /* hash of the effective [rules] and [score] */
    /* [http] */
    char *http_listen;            /* "host:port" */
    int64_t http_max_connections; /* open at once; more are refused */
    int64_t http_request_timeout_ms; /* from accept to the reply's last byte */
    /* [console] (cdrwarn-console only) */
    char *console_listen;
    char *console_key_prefix;
    char *console_users_file;     /* resolved path */
    char *console_group_id;       /* the console's own consumer group */
    char *console_audit_log;      /* resolved path: every full-number display */
    bool console_secure_cookies;  /* mark the session cookie Secure (behind TLS) */
} cw_config_t;

/* Reads and parses the file. On success returns 0 and a new config in *out
 * (free with cw_config_free). On failure returns the number of errors (> 0),
 * every one added to errs as "path:line: [section] key: message" (line 0 for
 * a file that cannot be read or a required key that is missing), and *out
 * is NULL. -1 only when out of memory. */
int cw_config_load(const char *path, cw_config_t **out, cw_errlist_t *errs);
/* The same from bytes already read; `path` names them in errors and anchors
 * relative paths. */
int cw_config_parse(const char *text, size_t len, const char *path, cw_config_t **out,
                    cw_errlist_t *errs);
/* The same with values given apart from the file (cdrwarn-backtest's --set),
 * each "section.key=value" ("rules.spend_drop_pct=40"), applied after the
 * file's lines as if the file said so instead: validated by the same table
 * and cross-key checks, an error naming the override ("--set
 * rules.spend_drop_pct=120: [rules] spend_drop_pct: expected an integer from
 * 1 to 100, found '120'"). Only [rules] and [score] keys may be overridden. */
int cw_config_load_with(const char *path, const char *const *overrides, size_t override_count,
                        cw_config_t **out, cw_errlist_t *errs);
int cw_config_parse_with(const char *text, size_t len, const char *path,
                         const char *const *overrides, size_t override_count, cw_config_t **out,
                         cw_errlist_t *errs);
void cw_config_free(cw_config_t *config);

/* A reload's verdict on a new config against the running one: every key
 * whose directive says a reload refuses it and that changed is added to errs
 * (the return value counts them: > 0 refuses the reload); every changed key
 * that only a restart applies is named in restart_keys ("[redis] timeout,
 * [http] listen"; empty when none). Values are never written: some are
 * secrets. */
int cw_config_reload_check(const cw_config_t *running, const cw_config_t *next,
                           char *restart_keys, size_t size, cw_errlist_t *errs);

/* One directive of the table, for documentation and its tests (the man
 * page must name every key with its default). */
typedef struct cw_config_key {
    const char *section;      /* "kafka" */
    const char *key;          /* "brokers" */
    const char *type;         /* "integer", "duration", "path", ... */
    const char *def;          /* as a file would write it; NULL: required */
    int64_t min, max;         /* integers and durations (ms); both 0: no bounds */
    cw_reload_t reload;
} cw_config_key_t;

/* The table's size, and its entries in SPEC order ([actions] and
 * [kafka] property.* are free-form and not in it). */
size_t cw_config_key_count(void);
void cw_config_key_at(size_t index, cw_config_key_t *out);

/* Parses a duration with an optional ms/s/m/h/d suffix (no suffix = seconds)
 * into milliseconds. Returns 0 or -1. */
int cw_config_parse_duration(const char *text, int64_t *ms);
/* Parses "+HH:MM", "-HH:MM", "+HH" or "Z" into seconds east of UTC
 * (-12:00..+14:00). Returns 0 or -1. */
int cw_config_parse_utc_offset(const char *text, int32_t *seconds);

#endif
