/* The case store's operations over the Redis connection: each one call of
 * cases.lua (or one plain command) under the console's base key. Replies go
 * to the caller's callback as hiredis gives them (borrowed for the callback;
 * NULL when the connection was lost and the command's fate is unknown). */
#ifndef CW_CASESTORE_H
#define CW_CASESTORE_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "caserec.h"
#include "console_env.h"
#include "intake.h"
#include "store.h"

#define CW_CASESTORE_ALERT_ARGS 14
#define CW_CASESTORE_SCORE_ARGS 16

/* A growing argument vector for one script call; strings are copied. */
typedef struct cw_argv {
    char **items;
    size_t *lens;
    size_t count, cap;
    bool failed;
} cw_argv_t;

void cw_argv_init(cw_argv_t *a);
void cw_argv_add(cw_argv_t *a, const char *s, size_t len);
void cw_argv_addz(cw_argv_t *a, const char *s);
void cw_argv_addi(cw_argv_t *a, int64_t v);
void cw_argv_free(cw_argv_t *a);

/* The Redis connection is ready and the case-id secret loaded: the case
 * store may be used. */
bool cw_casestore_ready(const cw_console_env_t *env);

/* Starts an "alerts" call: numkeys, the base key, op, now, and a count slot
 * filled by cw_casestore_alerts_end. */
void cw_casestore_alerts_begin(const cw_console_env_t *env, cw_argv_t *a, int64_t now_ms);
void cw_casestore_alerts_add(const cw_console_env_t *env, cw_argv_t *a,
                             const cw_intake_alert_t *alert);
void cw_casestore_alerts_end(cw_argv_t *a, int count);

/* A "scores" call, built the same way: begin, one add per score record,
 * then cw_casestore_alerts_end with the count. */
void cw_casestore_scores_begin(const cw_console_env_t *env, cw_argv_t *a, int64_t now_ms);
void cw_casestore_scores_add(const cw_console_env_t *env, cw_argv_t *a,
                             const cw_intake_score_t *score);

/* An "outcome" call for one churn outcome; horizon_low = the first week of
 * the horizon (churn week minus outcome_horizon_weeks). */
void cw_casestore_outcome(const cw_console_env_t *env, cw_argv_t *a,
                          const cw_intake_outcome_t *outcome, const char *horizon_low,
                          int64_t now_ms);

/* Sends a prepared call; 0, or -1 when the connection is not ready. */
int cw_casestore_send(cw_console_env_t *env, const cw_argv_t *a, cw_store_reply_fn fn,
                      void *arg);

/* One-call helpers. */
int cw_casestore_get(cw_console_env_t *env, const char *id, cw_store_reply_fn fn,
                     void *arg);
int cw_casestore_update(cw_console_env_t *env, const cw_case_t *c, const char *state,
                        const char *owner, const char *outcome, const char *reason,
                        const char *history_json, bool note, cw_store_reply_fn fn,
                        void *arg);
/* A page of the list: see cases.lua "list" for the arguments. */
typedef struct cw_casestore_query {
    char index[96]; /* z:open, z:st:new, z:own:<user>, z:all, ... */
    int64_t min_score, max_score;
    char after_id[CW_CASEID_SIZE];
    int64_t after_score;
    int limit;
    int max_scan;
    const char *state, *owner, *tier, *trigger, *week; /* "" for none; week: a week, or a
                                                         monthly case's month */
    const char *kind;                                  /* "", "weekly", "monthly" */
} cw_casestore_query_t;
int cw_casestore_list(cw_console_env_t *env, const cw_casestore_query_t *q,
                      cw_store_reply_fn fn, void *arg);
/* The counters of a week, or of a month's monthly cases (label YYYY-MM). */
int cw_casestore_report(cw_console_env_t *env, const char *week, cw_store_reply_fn fn,
                        void *arg);
int cw_casestore_weeks(cw_console_env_t *env, cw_store_reply_fn fn, void *arg);
/* The months with monthly cases. */
int cw_casestore_months(cw_console_env_t *env, cw_store_reply_fn fn, void *arg);

/* A case from cases.lua's reply for one ({fields and values, history});
 * -1 when it is not one. */
int cw_casestore_case(const redisReply *item, cw_case_t *c);
/* Its JSON for the API and the stream (new reference; NULL when the reply
 * is not a case): the number masked unless `full_number`, the history
 * included. */
json_t *cw_casestore_case_json(const redisReply *item, bool full_number);
/* Its history entries as a JSON array (new reference; empty when none). */
json_t *cw_casestore_history(const redisReply *item);
/* Field/value pairs of an array reply as parallel arrays (borrowed from the
 * reply; *count pairs). Returns 0, or -1 when not an even array of strings. */
int cw_casestore_pairs(const redisReply *reply, const char ***fields, size_t **field_lens,
                       const char ***values, size_t **value_lens, size_t *count);
void cw_casestore_pairs_free(const char **fields, size_t *field_lens, const char **values,
                             size_t *value_lens);

#endif
