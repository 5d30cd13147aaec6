/* Case records: Redis hash fields in, API JSON out (see caserec.h). The hash
 * uses short field names (m, w, l, ...) because there are hundreds of
 * thousands of cases; cases.lua writes the same names. */
#include "caserec.h"

#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "words.h"

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

bool cw_case_outcome_valid(const char *outcome)
{
    static const char *const list[] = {"retained", "churned", "unreachable", "declined",
                                       NULL};
    return outcome && in_list(outcome, list);
}

bool cw_case_reason_valid(const char *reason)
{
    static const char *const list[] = {"price",       "quality", "social",
                                       "convenience", "other",   NULL};
    return reason && in_list(reason, list);
}

bool cw_case_state_valid(const char *state)
{
    static const char *const list[] = {"new", "claimed", "contacted", "closed", NULL};
    return state && in_list(state, list);
}

static void copy(char *out, size_t size, const char *value, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(out, value, len);
    out[len] = '\0';
}

static int64_t to_int(const char *value, size_t len)
{
    char buf[24];
    copy(buf, sizeof buf, value, len);
    return strtoll(buf, NULL, 10);
}

int cw_case_from_fields(cw_case_t *c, size_t count, const char *const *fields,
                        const size_t *field_lens, const char *const *values,
                        const size_t *value_lens)
{
    memset(c, 0, sizeof *c);
    strcpy(c->state, "new");
    for (size_t i = 0; i < count; i++) {
        const char *f = fields[i], *v = values[i];
        size_t fl = field_lens[i], vl = value_lens[i];
#define IS(name) (fl == sizeof(name) - 1 && memcmp(f, name, fl) == 0)
        if (IS("id"))
            copy(c->id, sizeof c->id, v, vl);
        else if (IS("m"))
            copy(c->msisdn, sizeof c->msisdn, v, vl);
        else if (IS("w"))
            copy(c->week, sizeof c->week, v, vl);
        else if (IS("l"))
            c->level = (int)to_int(v, vl);
        else if (IS("t"))
            copy(c->tier, sizeof c->tier, v, vl);
        else if (IS("rt"))
            c->risk_tier = (int)to_int(v, vl);
        else if (IS("st"))
            copy(c->state, sizeof c->state, v, vl);
        else if (IS("ow"))
            copy(c->owner, sizeof c->owner, v, vl);
        else if (IS("oc"))
            copy(c->outcome, sizeof c->outcome, v, vl);
        else if (IS("rs"))
            copy(c->reason, sizeof c->reason, v, vl);
        else if (IS("ed"))
            copy(c->eval_date, sizeof c->eval_date, v, vl);
        else if (IS("se"))
            copy(c->subsidy_end, sizeof c->subsidy_end, v, vl);
        else if (IS("ce"))
            copy(c->contract_end, sizeof c->contract_end, v, vl);
        else if (IS("ca"))
            c->created_at = to_int(v, vl);
        else if (IS("ua"))
            c->updated_at = to_int(v, vl);
        else if (IS("ts"))
            c->alert_at = to_int(v, vl);
        else if (IS("v"))
            c->version = to_int(v, vl);
        else if (IS("h"))
            c->hit = vl == 1 && v[0] == '1';
        else if (IS("nn"))
            c->notes = to_int(v, vl);
        else if (IS("k"))
            c->monthly = vl == 1 && v[0] == 'm';
        else if (IS("sc"))
            c->score = to_int(v, vl);
        else if (IS("th"))
            c->threshold = to_int(v, vl);
        else if (IS("pc"))
            c->potential_churner = vl == 1 && v[0] == '1';
        else if (IS("vc"))
            c->value_churn = vl == 1 && v[0] == '1';
        else if (IS("tr")) {
            c->triggers = v;
            c->triggers_len = vl;
        } else if (IS("ac")) {
            c->actions = v;
            c->actions_len = vl;
        } else if (IS("al")) {
            c->alert_ids = v;
            c->alert_ids_len = vl;
        } else if (IS("cn")) {
            c->churn = v;
            c->churn_len = vl;
        }
#undef IS
    }
    if (c->id[0] == '\0' || c->week[0] == '\0' || c->level < 1 || c->level > 3)
        return -1;
    return 0;
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* The stored trigger (or item) objects, each with a "title" and "words"
 * added; an item keeps its "points". */
static json_t *triggers_json(const cw_case_t *c)
{
    json_t *stored =
        c->triggers ? json_loadb(c->triggers, c->triggers_len, 0, NULL) : NULL;
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(stored, i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *evidence = json_object_get(t, "evidence");
        if (name == NULL)
            continue;
        char words[512];
        cw_words_evidence(name, evidence, words, sizeof words);
        json_t *item = json_object();
        json_object_set_new(item, "name", json_string(name));
        json_object_set_new(item, "title", json_string(cw_words_title(name)));
        json_object_set_new(item, "words", json_string(words));
        json_t *points = json_object_get(t, "points");
        if (json_is_integer(points))
            json_object_set_new(item, "points", json_incref(points));
        json_object_set_new(item, "evidence",
                            json_is_object(evidence) ? json_incref(evidence)
                                                     : json_object());
        json_array_append_new(out, item);
    }
    json_decref(stored);
    return out;
}

static json_t *alert_ids_json(const cw_case_t *c)
{
    json_t *out = json_array();
    size_t start = 0;
    for (size_t i = 0; i <= c->alert_ids_len; i++) {
        if (i == c->alert_ids_len || c->alert_ids[i] == ' ') {
            if (i > start)
                json_array_append_new(out, json_stringn(c->alert_ids + start, i - start));
            start = i + 1;
        }
    }
    return out;
}

json_t *cw_case_json(const cw_case_t *c, bool full_number, json_t *history)
{
    char masked[CW_MASK_SIZE];
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(
        o, "msisdn",
        json_string(full_number ? c->msisdn : cw_mask_msisdn(c->msisdn, masked)));
    json_object_set_new(o, "msisdn_full", json_boolean(full_number));
    json_object_set_new(o, "kind", json_string(c->monthly ? "monthly" : "weekly"));
    json_object_set_new(o, "week", c->monthly ? json_null() : json_string(c->week));
    json_object_set_new(o, "month", c->monthly ? json_string(c->week) : json_null());
    json_object_set_new(o, "level", json_string(cw_intake_level_name(c->level)));
    json_object_set_new(o, "tier", str_or_null(c->tier));
    json_object_set_new(o, "risk_tier", json_integer(c->risk_tier));
    if (c->monthly) {
        json_object_set_new(o, "triggers", json_array());
        json_object_set_new(o, "items", triggers_json(c));
        json_object_set_new(o, "score", json_integer(c->score));
        json_object_set_new(o, "threshold", json_integer(c->threshold));
        json_object_set_new(o, "potential_churner", json_boolean(c->potential_churner));
        json_object_set_new(o, "value_churn", json_boolean(c->value_churn));
    } else {
        json_object_set_new(o, "triggers", triggers_json(c));
    }
    json_t *actions = c->actions ? json_loadb(c->actions, c->actions_len, 0, NULL) : NULL;
    json_object_set_new(o, "actions", json_is_array(actions) ? actions : json_array());
    if (actions && !json_is_array(actions))
        json_decref(actions);
    json_object_set_new(o, "state", json_string(c->state));
    json_object_set_new(o, "owner", str_or_null(c->owner));
    json_object_set_new(o, "outcome", str_or_null(c->outcome));
    json_object_set_new(o, "reason", str_or_null(c->reason));
    json_object_set_new(o, "alert_ids", c->monthly ? json_array() : alert_ids_json(c));
    if (c->monthly)
        json_object_set_new(o, "score_ids", alert_ids_json(c));
    json_object_set_new(o, "created_at", json_integer(c->created_at));
    json_object_set_new(o, "updated_at", json_integer(c->updated_at));
    json_object_set_new(o, "alert_at", json_integer(c->alert_at));
    json_object_set_new(o, "eval_date", str_or_null(c->eval_date));
    json_object_set_new(o, "subsidy_end", str_or_null(c->subsidy_end));
    json_object_set_new(o, "contract_end", str_or_null(c->contract_end));
    json_t *churn = c->churn ? json_loadb(c->churn, c->churn_len, 0, NULL) : NULL;
    json_object_set_new(o, "churn", json_is_object(churn) ? churn : json_null());
    if (churn && !json_is_object(churn))
        json_decref(churn);
    json_object_set_new(o, "churned_within_horizon", json_boolean(c->hit));
    json_object_set_new(o, "notes", json_integer(c->notes));
    json_object_set_new(o, "version", json_integer(c->version));
    if (history)
        json_object_set(o, "history", history);
    return o;
}
