/* Case store calls (see casestore.h). The secret that keys case ids lives in
 * Redis too (console.c loads it at connect), so every console instance on
 * the same data computes the same ids. */
#include "casestore.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "caseid.h"
#include "clock.h"

void cw_argv_init(cw_argv_t *a)
{
    memset(a, 0, sizeof *a);
}

void cw_argv_add(cw_argv_t *a, const char *s, size_t len)
{
    if (a->failed)
        return;
    /* items and lens grow in step; a->cap moves once both have */
    size_t items_cap = a->cap, lens_cap = a->cap;
    char **items = cw_grow(a->items, &items_cap, a->count + 1, sizeof *items, 64);
    if (items == NULL) {
        a->failed = true;
        return;
    }
    a->items = items;
    size_t *lens = cw_grow(a->lens, &lens_cap, a->count + 1, sizeof *lens, 64);
    if (lens == NULL) {
        a->failed = true;
        return;
    }
    a->lens = lens;
    a->cap = lens_cap;
    char *copy = cw_malloc(len + 1);
    if (copy == NULL) {
        a->failed = true;
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    a->items[a->count] = copy;
    a->lens[a->count++] = len;
}

void cw_argv_addz(cw_argv_t *a, const char *s)
{
    cw_argv_add(a, s ? s : "", s ? strlen(s) : 0);
}

void cw_argv_addi(cw_argv_t *a, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    cw_argv_add(a, buf, (size_t)n);
}

void cw_argv_free(cw_argv_t *a)
{
    for (size_t i = 0; i < a->count; i++)
        cw_free(a->items[i]);
    cw_free(a->items);
    cw_free(a->lens);
    memset(a, 0, sizeof *a);
}

static void begin(const cw_console_env_t *env, cw_argv_t *a, const char *op)
{
    cw_argv_init(a);
    cw_argv_addz(a, "1");
    cw_argv_addz(a, env->base_key);
    cw_argv_addz(a, op);
}

void cw_casestore_alerts_begin(const cw_console_env_t *env, cw_argv_t *a, int64_t now_ms)
{
    begin(env, a, "alerts");
    cw_argv_addi(a, now_ms);
    cw_argv_addz(a, "0"); /* the count, set at the end */
}

void cw_casestore_alerts_add(const cw_console_env_t *env, cw_argv_t *a,
                             const cw_intake_alert_t *alert)
{
    char case_id[CW_CASEID_SIZE], sub_id[CW_CASEID_SIZE];
    cw_caseid_case(env->id_key, alert->msisdn, alert->week, case_id);
    cw_caseid_subscriber(env->id_key, alert->msisdn, sub_id);
    cw_argv_addz(a, case_id);
    cw_argv_addz(a, sub_id);
    cw_argv_addz(a, alert->alert_id);
    cw_argv_addz(a, alert->msisdn);
    cw_argv_addi(a, alert->level);
    cw_argv_addz(a, alert->week);
    cw_argv_addz(a, alert->tier);
    cw_argv_addi(a, alert->risk_tier);
    cw_argv_addz(a, alert->subsidy_end);
    cw_argv_addz(a, alert->contract_end);
    cw_argv_addz(a, alert->eval_date);
    cw_argv_addi(a, alert->emitted_at);
    cw_argv_addz(a, alert->triggers);
    cw_argv_addz(a, alert->actions);
}

void cw_casestore_scores_begin(const cw_console_env_t *env, cw_argv_t *a, int64_t now_ms)
{
    begin(env, a, "scores");
    cw_argv_addi(a, now_ms);
    cw_argv_addz(a, "0"); /* the count, set at the end */
}

void cw_casestore_scores_add(const cw_console_env_t *env, cw_argv_t *a,
                             const cw_intake_score_t *score)
{
    char case_id[CW_CASEID_SIZE], sub_id[CW_CASEID_SIZE];
    /* a month label never equals a week label: the ids of a subscriber's
     * monthly and weekly cases differ */
    cw_caseid_case(env->id_key, score->msisdn, score->month, case_id);
    cw_caseid_subscriber(env->id_key, score->msisdn, sub_id);
    cw_argv_addz(a, case_id);
    cw_argv_addz(a, sub_id);
    cw_argv_addz(a, score->score_id);
    cw_argv_addz(a, score->msisdn);
    cw_argv_addi(a, cw_intake_score_level(score));
    cw_argv_addz(a, score->month);
    cw_argv_addz(a, score->tier);
    cw_argv_addi(a, score->risk_tier);
    cw_argv_addz(a, score->eval_date);
    cw_argv_addi(a, score->emitted_at);
    cw_argv_addz(a, score->items);
    cw_argv_addi(a, score->score);
    cw_argv_addi(a, score->threshold);
    cw_argv_addz(a, score->potential_churner ? "1" : "0");
    cw_argv_addz(a, score->value_churn ? "1" : "0");
    cw_argv_addz(a, score->end_week);
}

void cw_casestore_alerts_end(cw_argv_t *a, int count)
{
    if (a->failed || a->count < 5)
        return;
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", count);
    cw_free(a->items[4]);
    a->items[4] = cw_strdup(buf);
    a->lens[4] = (size_t)n;
    if (a->items[4] == NULL)
        a->failed = true;
}

void cw_casestore_outcome(const cw_console_env_t *env, cw_argv_t *a,
                          const cw_intake_outcome_t *outcome, const char *horizon_low,
                          int64_t now_ms)
{
    char sub_id[CW_CASEID_SIZE];
    cw_caseid_subscriber(env->id_key, outcome->msisdn, sub_id);
    begin(env, a, "outcome");
    cw_argv_addi(a, now_ms);
    cw_argv_addz(a, sub_id);
    cw_argv_addz(a, outcome->outcome_id);
    cw_argv_addz(a, outcome->week);
    cw_argv_addz(a, horizon_low);
    json_t *churn = json_object();
    json_object_set_new(churn, "kind", json_string(outcome->kind));
    json_object_set_new(churn, "to_operator",
                        outcome->to_operator[0] ? json_string(outcome->to_operator)
                                                : json_null());
    json_object_set_new(churn, "churn_date",
                        outcome->churn_date[0] ? json_string(outcome->churn_date)
                                               : json_null());
    json_object_set_new(churn, "week", json_string(outcome->week));
    char *text = json_dumps(churn, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(churn);
    cw_argv_addz(a, text ? text : "{}");
    free(text);
    char what[160];
    snprintf(what, sizeof what, "closed: churned (%s%s%s%s%s)",
             strcmp(outcome->kind, "port_out") == 0 ? "ported out" : "cancelled",
             outcome->to_operator[0] ? " to " : "", outcome->to_operator,
             outcome->churn_date[0] ? " on " : "", outcome->churn_date);
    cw_argv_addz(a, what);
}

bool cw_casestore_ready(const cw_console_env_t *env)
{
    return env->store != NULL && cw_store_ready(env->store) && env->id_key_ready;
}

int cw_casestore_send(cw_console_env_t *env, const cw_argv_t *a, cw_store_reply_fn fn,
                      void *arg)
{
    if (a->failed || !cw_casestore_ready(env))
        return -1;
    return cw_store_eval(env->store, fn, arg, (int)a->count, (const char **)a->items,
                         a->lens);
}

static int send_and_free(cw_console_env_t *env, cw_argv_t *a, cw_store_reply_fn fn,
                         void *arg)
{
    int rc = cw_casestore_send(env, a, fn, arg);
    cw_argv_free(a);
    return rc;
}

int cw_casestore_get(cw_console_env_t *env, const char *id, cw_store_reply_fn fn,
                     void *arg)
{
    cw_argv_t a;
    begin(env, &a, "get");
    cw_argv_addz(&a, id);
    return send_and_free(env, &a, fn, arg);
}

int cw_casestore_update(cw_console_env_t *env, const cw_case_t *c, const char *state,
                        const char *owner, const char *outcome, const char *reason,
                        const char *history_json, bool note, cw_store_reply_fn fn,
                        void *arg)
{
    cw_argv_t a;
    begin(env, &a, "update");
    cw_argv_addi(&a, cw_wall_ms());
    cw_argv_addz(&a, c->id);
    cw_argv_addi(&a, c->version);
    cw_argv_addz(&a, state);
    cw_argv_addz(&a, owner);
    cw_argv_addz(&a, outcome);
    cw_argv_addz(&a, reason);
    cw_argv_addz(&a, history_json);
    cw_argv_addz(&a, note ? "1" : "0");
    return send_and_free(env, &a, fn, arg);
}

int cw_casestore_list(cw_console_env_t *env, const cw_casestore_query_t *q,
                      cw_store_reply_fn fn, void *arg)
{
    cw_argv_t a;
    begin(env, &a, "list");
    cw_argv_addz(&a, q->index);
    cw_argv_addi(&a, q->min_score);
    cw_argv_addi(&a, q->max_score);
    cw_argv_addz(&a, q->after_id);
    cw_argv_addi(&a, q->after_score);
    cw_argv_addi(&a, q->limit);
    cw_argv_addi(&a, q->max_scan);
    cw_argv_addz(&a, q->state);
    cw_argv_addz(&a, q->owner);
    cw_argv_addz(&a, q->tier);
    cw_argv_addz(&a, q->trigger);
    cw_argv_addz(&a, q->week);
    cw_argv_addz(&a, q->kind);
    return send_and_free(env, &a, fn, arg);
}

static int plain(cw_console_env_t *env, cw_store_reply_fn fn, void *arg, int argc,
                 const char **argv)
{
    if (!cw_casestore_ready(env))
        return -1;
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return cw_store_send(env->store, fn, arg, argc, argv, lens);
}

int cw_casestore_report(cw_console_env_t *env, const char *week, cw_store_reply_fn fn,
                        void *arg)
{
    char key[160];
    snprintf(key, sizeof key, "%s:rep:%s", env->base_key, week);
    const char *argv[] = {"HGETALL", key};
    return plain(env, fn, arg, 2, argv);
}

int cw_casestore_weeks(cw_console_env_t *env, cw_store_reply_fn fn, void *arg)
{
    char key[160];
    snprintf(key, sizeof key, "%s:weeks", env->base_key);
    const char *argv[] = {"ZRANGE", key, "0", "-1"};
    return plain(env, fn, arg, 4, argv);
}

int cw_casestore_months(cw_console_env_t *env, cw_store_reply_fn fn, void *arg)
{
    char key[160];
    snprintf(key, sizeof key, "%s:months", env->base_key);
    const char *argv[] = {"ZRANGE", key, "0", "-1"};
    return plain(env, fn, arg, 4, argv);
}

int cw_casestore_pairs(const redisReply *reply, const char ***fields, size_t **field_lens,
                       const char ***values, size_t **value_lens, size_t *count)
{
    *fields = *values = NULL;
    *field_lens = *value_lens = NULL;
    *count = 0;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0)
        return -1;
    size_t n = reply->elements / 2;
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    *fields = cw_calloc(n + 1, sizeof **fields);
    *values = cw_calloc(n + 1, sizeof **values);
    *field_lens = cw_calloc(n + 1, sizeof **field_lens);
    *value_lens = cw_calloc(n + 1, sizeof **value_lens);
    if (!*fields || !*values || !*field_lens || !*value_lens) {
        cw_casestore_pairs_free(*fields, *field_lens, *values, *value_lens);
        *fields = *values = NULL;
        *field_lens = *value_lens = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        (*fields)[i] = reply->element[2 * i]->str;
        (*field_lens)[i] = reply->element[2 * i]->len;
        (*values)[i] = reply->element[2 * i + 1]->str;
        (*value_lens)[i] = reply->element[2 * i + 1]->len;
    }
    *count = n;
    return 0;
}

void cw_casestore_pairs_free(const char **fields, size_t *field_lens, const char **values,
                             size_t *value_lens)
{
    cw_free((void *)fields);
    cw_free((void *)values);
    cw_free(field_lens);
    cw_free(value_lens);
}

json_t *cw_casestore_history(const redisReply *item)
{
    const redisReply *list =
        item && item->type == REDIS_REPLY_ARRAY && item->elements == 2 ? item->element[1]
                                                                       : NULL;
    json_t *out = json_array();
    for (size_t i = 0; list && list->type == REDIS_REPLY_ARRAY && i < list->elements;
         i++) {
        const redisReply *e = list->element[i];
        if (e->type != REDIS_REPLY_STRING)
            continue;
        json_t *entry = json_loadb(e->str, e->len, 0, NULL);
        if (json_is_object(entry))
            json_array_append_new(out, entry);
        else
            json_decref(entry);
    }
    return out;
}

json_t *cw_casestore_case_json(const redisReply *item, bool full_number)
{
    cw_case_t c;
    if (cw_casestore_case(item, &c) != 0)
        return NULL;
    json_t *history = cw_casestore_history(item);
    json_t *out = cw_case_json(&c, full_number, history);
    json_decref(history);
    return out;
}

int cw_casestore_case(const redisReply *item, cw_case_t *c)
{
    if (item == NULL || item->type != REDIS_REPLY_ARRAY || item->elements != 2)
        return -1;
    const redisReply *reply = item->element[0];
    const char **fields, **values;
    size_t *field_lens, *value_lens, count;
    if (cw_casestore_pairs(reply, &fields, &field_lens, &values, &value_lens, &count) !=
        0)
        return -1;
    int rc = count == 0
                 ? -1
                 : cw_case_from_fields(c, count, fields, field_lens, values, value_lens);
    cw_casestore_pairs_free(fields, field_lens, values, value_lens);
    return rc;
}
