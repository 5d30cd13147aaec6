/* Parsing and checking alerts and outcomes as they come off Kafka (see
 * intake.h). jansson reads the value; every field the console stores is
 * checked for type and shape so a case never holds what the page cannot show. */
#include "intake.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "date.h"
#include "month.h"
#include "week.h"

#define FAIL(...)                                                                        \
    do {                                                                                 \
        snprintf(errbuf, errbuf_size, __VA_ARGS__);                                      \
        goto fail;                                                                       \
    } while (0)

int cw_intake_level(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "red") == 0)
        return 3;
    if (strcmp(name, "yellow") == 0)
        return 2;
    if (strcmp(name, "blue") == 0)
        return 1;
    return 0;
}

const char *cw_intake_level_name(int level)
{
    static const char *const names[] = {"", "blue", "yellow", "red"};
    return level >= 1 && level <= 3 ? names[level] : "";
}

/* An id: printable ASCII without spaces, quotes or backslashes. */
static bool id_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > CW_INTAKE_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
            return false;
    return true;
}

static bool msisdn_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > CW_INTAKE_MSISDN_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool word_ok(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* A string member into out (size bytes); -1 when missing, not a string or
 * too long. */
static int get_string(json_t *obj, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) >= size)
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return (int)strlen(out) == (int)json_string_length(v) ? 0 : -1; /* no NUL inside */
}

/* A date member: "YYYY-MM-DD" or null (out ""); absent counts as null when
 * `optional`. */
static int get_date(json_t *obj, const char *key, char out[CW_INTAKE_DATE_SIZE],
                    bool optional)
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (v == NULL)
        return optional ? 0 : -1;
    if (json_is_null(v))
        return 0;
    int32_t day;
    if (!json_is_string(v) || json_string_length(v) != 10 ||
        cw_date_parse_ymd(json_string_value(v), 10, &day) != 0)
        return -1;
    memcpy(out, json_string_value(v), 11);
    return 0;
}

static int get_week(json_t *obj, const char *key, char out[CW_INTAKE_WEEK_SIZE])
{
    json_t *v = json_object_get(obj, key);
    int32_t week;
    if (!json_is_string(v) || json_string_length(v) != 8 ||
        cw_week_parse_label(json_string_value(v), 8, &week) != 0)
        return -1;
    memcpy(out, json_string_value(v), 9);
    return 0;
}

static json_t *load(const char *json, size_t len, char *errbuf, size_t errbuf_size)
{
    json_error_t error;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        snprintf(errbuf, errbuf_size, "not valid JSON (line %d, column %d)", error.line,
                 error.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(errbuf, errbuf_size, "not a JSON object");
        return NULL;
    }
    return root;
}

/* Triggers: an array of up to 16 objects, each a lower-case "name" and an
 * "evidence" object (empty for a blue alert: no trigger, only the risk
 * tier); stored as given, compactly. */
static char *triggers_text(json_t *triggers)
{
    if (!json_is_array(triggers) || json_array_size(triggers) > 16)
        return NULL;
    size_t i;
    json_t *t;
    json_array_foreach(triggers, i, t)
    {
        json_t *name = json_object_get(t, "name");
        if (!json_is_object(t) || !json_is_string(name) ||
            !word_ok(json_string_value(name), 32) ||
            !json_is_object(json_object_get(t, "evidence")))
            return NULL;
    }
    return json_dumps(triggers, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static char *actions_text(json_t *actions)
{
    if (!json_is_array(actions) || json_array_size(actions) > 32)
        return NULL;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        if (!json_is_string(a))
            return NULL;
        const char *s = json_string_value(a);
        size_t len = strlen(s);
        if (len == 0 || len > 64)
            return NULL;
        for (size_t k = 0; k < len; k++)
            if (!((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') ||
                  (s[k] >= '0' && s[k] <= '9') || s[k] == '_' || s[k] == '.' ||
                  s[k] == '-'))
                return NULL;
    }
    return json_dumps(actions, JSON_COMPACT);
}

int cw_intake_alert_parse(const char *json, size_t len, cw_intake_alert_t *alert,
                          char *errbuf, size_t errbuf_size)
{
    memset(alert, 0, sizeof *alert);
    json_t *root = load(json, len, errbuf, errbuf_size);
    if (root == NULL)
        return -1;
    char level[8];
    if (get_string(root, "alert_id", alert->alert_id, sizeof alert->alert_id) != 0 ||
        !id_ok(alert->alert_id))
        FAIL("alert_id: expected a string of 1..%d printable characters",
             CW_INTAKE_ID_MAX);
    if (get_string(root, "msisdn", alert->msisdn, sizeof alert->msisdn) != 0 ||
        !msisdn_ok(alert->msisdn))
        FAIL("msisdn: expected 3..15 digits");
    if (get_string(root, "level", level, sizeof level) != 0 ||
        (alert->level = cw_intake_level(level)) == 0)
        FAIL("level: expected red, yellow or blue");
    if (get_week(root, "week", alert->week) != 0)
        FAIL("week: expected YYYY-Www");
    if (get_string(root, "tier", alert->tier, sizeof alert->tier) != 0 ||
        (strcmp(alert->tier, "high") != 0 && strcmp(alert->tier, "mid") != 0 &&
         strcmp(alert->tier, "low") != 0 && strcmp(alert->tier, "unknown") != 0))
        FAIL("tier: expected high, mid, low or unknown");
    json_t *risk = json_object_get(root, "risk_tier");
    if (!json_is_integer(risk) || json_integer_value(risk) < 1 ||
        json_integer_value(risk) > 2)
        FAIL("risk_tier: expected 1 or 2");
    alert->risk_tier = (int)json_integer_value(risk);
    if (get_date(root, "subsidy_end", alert->subsidy_end, true) != 0)
        FAIL("subsidy_end: expected YYYY-MM-DD or null");
    if (get_date(root, "contract_end", alert->contract_end, true) != 0)
        FAIL("contract_end: expected YYYY-MM-DD or null");
    if (get_date(root, "eval_date", alert->eval_date, false) != 0 || !alert->eval_date[0])
        FAIL("eval_date: expected YYYY-MM-DD");
    json_t *emitted = json_object_get(root, "emitted_at");
    if (!json_is_integer(emitted) || json_integer_value(emitted) < 0)
        FAIL("emitted_at: expected epoch milliseconds");
    alert->emitted_at = json_integer_value(emitted);
    if ((alert->triggers = triggers_text(json_object_get(root, "triggers"))) == NULL)
        FAIL("triggers: expected an array of {\"name\", \"evidence\"} objects");
    if ((alert->actions = actions_text(json_object_get(root, "actions"))) == NULL)
        FAIL("actions: expected an array of action names");
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    cw_intake_alert_free(alert);
    return -1;
}

void cw_intake_alert_free(cw_intake_alert_t *alert)
{
    /* json_dumps allocates with jansson's allocator (malloc) */
    free(alert->triggers);
    free(alert->actions);
    alert->triggers = alert->actions = NULL;
}

int cw_intake_outcome_parse(const char *json, size_t len, cw_intake_outcome_t *outcome,
                            char *errbuf, size_t errbuf_size)
{
    memset(outcome, 0, sizeof *outcome);
    json_t *root = load(json, len, errbuf, errbuf_size);
    if (root == NULL)
        return -1;
    if (get_string(root, "outcome_id", outcome->outcome_id, sizeof outcome->outcome_id) !=
            0 ||
        !id_ok(outcome->outcome_id))
        FAIL("outcome_id: expected a string of 1..%d printable characters",
             CW_INTAKE_ID_MAX);
    if (get_string(root, "msisdn", outcome->msisdn, sizeof outcome->msisdn) != 0 ||
        !msisdn_ok(outcome->msisdn))
        FAIL("msisdn: expected 3..15 digits");
    if (get_string(root, "kind", outcome->kind, sizeof outcome->kind) != 0 ||
        (strcmp(outcome->kind, "port_out") != 0 && strcmp(outcome->kind, "cancel") != 0))
        FAIL("kind: expected port_out or cancel");
    json_t *to = json_object_get(root, "to_operator");
    if (to != NULL && !json_is_null(to)) {
        if (get_string(root, "to_operator", outcome->to_operator,
                       sizeof outcome->to_operator) != 0)
            FAIL("to_operator: expected a string of at most 64 bytes or null");
    }
    if (get_week(root, "week", outcome->week) != 0)
        FAIL("week: expected YYYY-Www");
    if (get_date(root, "churn_date", outcome->churn_date, true) != 0)
        FAIL("churn_date: expected YYYY-MM-DD");
    json_t *emitted = json_object_get(root, "emitted_at");
    if (emitted != NULL && !json_is_integer(emitted))
        FAIL("emitted_at: expected epoch milliseconds");
    outcome->emitted_at = emitted ? json_integer_value(emitted) : 0;
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    return -1;
}

/* Items: an array of up to 16 objects, each a lower-case "name", integer
 * "points" (0 or more) and an "evidence" object; stored as given. */
static char *items_text(json_t *items)
{
    if (!json_is_array(items) || json_array_size(items) > 16)
        return NULL;
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t)
    {
        json_t *name = json_object_get(t, "name");
        json_t *points = json_object_get(t, "points");
        if (!json_is_object(t) || !json_is_string(name) ||
            !word_ok(json_string_value(name), 32) || !json_is_integer(points) ||
            json_integer_value(points) < 0 ||
            !json_is_object(json_object_get(t, "evidence")))
            return NULL;
    }
    return json_dumps(items, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

int cw_intake_score_parse(const char *json, size_t len, cw_intake_score_t *score,
                          char *errbuf, size_t errbuf_size)
{
    memset(score, 0, sizeof *score);
    json_t *root = load(json, len, errbuf, errbuf_size);
    if (root == NULL)
        return -1;
    if (get_string(root, "score_id", score->score_id, sizeof score->score_id) != 0 ||
        !id_ok(score->score_id))
        FAIL("score_id: expected a string of 1..%d printable characters",
             CW_INTAKE_ID_MAX);
    if (get_string(root, "msisdn", score->msisdn, sizeof score->msisdn) != 0 ||
        !msisdn_ok(score->msisdn))
        FAIL("msisdn: expected 3..15 digits");
    int32_t month;
    if (get_string(root, "month", score->month, sizeof score->month) != 0 ||
        strlen(score->month) != 7 || cw_month_parse_label(score->month, 7, &month) != 0)
        FAIL("month: expected YYYY-MM");
    cw_week_label(cw_week_of_day(cw_month_last_day(month)), score->end_week);
    json_t *points = json_object_get(root, "score");
    json_t *threshold = json_object_get(root, "threshold");
    if (!json_is_integer(points) || json_integer_value(points) < 0)
        FAIL("score: expected an integer of 0 or more");
    if (!json_is_integer(threshold) || json_integer_value(threshold) < 0)
        FAIL("threshold: expected an integer of 0 or more");
    score->score = json_integer_value(points);
    score->threshold = json_integer_value(threshold);
    json_t *potential = json_object_get(root, "potential_churner");
    json_t *value = json_object_get(root, "value_churn");
    if (!json_is_boolean(potential))
        FAIL("potential_churner: expected true or false");
    if (!json_is_boolean(value))
        FAIL("value_churn: expected true or false");
    score->potential_churner = json_is_true(potential);
    score->value_churn = json_is_true(value);
    if (!score->potential_churner && !score->value_churn)
        FAIL("potential_churner, value_churn: expected one of them true");
    if (get_string(root, "tier", score->tier, sizeof score->tier) != 0 ||
        (strcmp(score->tier, "high") != 0 && strcmp(score->tier, "mid") != 0 &&
         strcmp(score->tier, "low") != 0 && strcmp(score->tier, "unknown") != 0))
        FAIL("tier: expected high, mid, low or unknown");
    json_t *risk = json_object_get(root, "risk_tier");
    if (!json_is_integer(risk) || json_integer_value(risk) < 1 ||
        json_integer_value(risk) > 2)
        FAIL("risk_tier: expected 1 or 2");
    score->risk_tier = (int)json_integer_value(risk);
    if (get_date(root, "eval_date", score->eval_date, false) != 0 || !score->eval_date[0])
        FAIL("eval_date: expected YYYY-MM-DD");
    json_t *emitted = json_object_get(root, "emitted_at");
    if (!json_is_integer(emitted) || json_integer_value(emitted) < 0)
        FAIL("emitted_at: expected epoch milliseconds");
    score->emitted_at = json_integer_value(emitted);
    if ((score->items = items_text(json_object_get(root, "items"))) == NULL)
        FAIL("items: expected an array of {\"name\", \"points\", \"evidence\"} objects");
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    cw_intake_score_free(score);
    return -1;
}

void cw_intake_score_free(cw_intake_score_t *score)
{
    free(score->items);
    score->items = NULL;
}

int cw_intake_score_level(const cw_intake_score_t *score)
{
    if (!score->potential_churner)
        return 1;
    return score->risk_tier == 1 ? 3 : 2;
}
