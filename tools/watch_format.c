/* Turns the daemon's output records into the one-line summaries
 * cdrwarn-watch prints (see watch_format.h). Only a viewer: retention tools
 * read the topics' JSON. */
#include "watch_format.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

#define RESET "\033[0m"

typedef struct {
    char *buf;
    size_t size, len;
} line_t;

static void put(line_t *line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(line_t *line, const char *fmt, ...)
{
    if (line->len + 1 >= line->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line->buf + line->len, line->size - line->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        line->len +=
            (size_t)n < line->size - line->len ? (size_t)n : line->size - line->len - 1;
}

static const char *text(json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    return value ? value : "?";
}

static const char *level_colour(const char *level)
{
    if (strcmp(level, "red") == 0)
        return "\033[1;31m";
    if (strcmp(level, "yellow") == 0)
        return "\033[1;33m";
    if (strcmp(level, "blue") == 0)
        return "\033[1;34m";
    return "";
}

static const char *number(json_t *record, bool unmask, char masked[CW_MASK_SIZE])
{
    const char *msisdn = json_string_value(json_object_get(record, "msisdn"));
    if (msisdn == NULL)
        return "?";
    return unmask ? msisdn : cw_mask_msisdn(msisdn, masked);
}

/* " name{evidence}" for each element of an array of {name, evidence}
 * objects, with "(points)" after the name when the element has points. */
static void put_named(line_t *line, json_t *array)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        put(line, "%s%s", i ? " " : "", text(item, "name"));
        json_t *points = json_object_get(item, "points");
        if (json_is_integer(points))
            put(line, "(%lld)", (long long)json_integer_value(points));
        char *evidence = json_dumps(json_object_get(item, "evidence"), JSON_COMPACT);
        if (evidence != NULL)
            put(line, "%s", evidence);
        free(evidence);
    }
}

static void format_alert(line_t *line, json_t *alert, bool unmask, bool colour)
{
    const char *level = text(alert, "level");
    char masked[CW_MASK_SIZE];
    put(line, "%s%-6s%s %s %s tier=%s risk=%lld ", colour ? level_colour(level) : "",
        level, colour ? RESET : "", text(alert, "week"), number(alert, unmask, masked),
        text(alert, "tier"),
        (long long)json_integer_value(json_object_get(alert, "risk_tier")));
    json_t *triggers = json_object_get(alert, "triggers");
    if (json_array_size(triggers) > 0)
        put_named(line, triggers);
    else
        put(line, "(no trigger)");
    json_t *actions = json_object_get(alert, "actions");
    size_t i;
    json_t *action;
    json_array_foreach(actions, i, action)
        put(line, "%s%s", i ? "," : " -> ",
            json_string_value(action) ? json_string_value(action) : "?");
}

/* "churn  2026-W47 138****8000 port_out to chinaunicom tier=high watched,
 * caught red 2 week(s) ahead: 2026-W45 red complaints,fwd_rival; ..." */
static void format_outcome(line_t *line, json_t *outcome, bool unmask, bool colour)
{
    char masked[CW_MASK_SIZE];
    put(line, "%schurn %s %s %s %s", colour ? "\033[1;35m" : "", colour ? RESET : "",
        text(outcome, "week"), number(outcome, unmask, masked), text(outcome, "kind"));
    const char *to = json_string_value(json_object_get(outcome, "to_operator"));
    if (to != NULL)
        put(line, " to %s", to);
    put(line, " on %s tier=%s %s", text(outcome, "churn_date"), text(outcome, "tier"),
        json_is_true(json_object_get(outcome, "watched")) ? "watched" : "not watched");
    json_t *alerted = json_object_get(outcome, "alerted");
    if (!json_is_true(json_object_get(outcome, "caught")) ||
        json_array_size(alerted) == 0) {
        put(line, ", not caught");
        return;
    }
    /* the highest level over the alerted weeks, as the churn metric counts it */
    static const char *const levels[] = {"blue", "yellow", "red"};
    int best = -1;
    size_t i;
    json_t *week;
    json_array_foreach(alerted, i,
                       week) for (int l = 0; l < 3;
                                  l++) if (strcmp(text(week, "level"), levels[l]) == 0 &&
                                           l > best) best = l;
    json_t *lead = json_object_get(outcome, "lead_weeks");
    put(line, ", caught %s%s%s %lld week(s) ahead:",
        colour && best >= 0 ? level_colour(levels[best]) : "",
        best >= 0 ? levels[best] : "?", colour && best >= 0 ? RESET : "",
        (long long)json_integer_value(lead));
    json_array_foreach(alerted, i, week)
    {
        put(line, "%s %s %s", i ? ";" : "", text(week, "week"), text(week, "level"));
        size_t t;
        json_t *trigger;
        json_array_foreach(json_object_get(week, "triggers"), t, trigger)
            put(line, "%s%s", t ? "," : " ",
                json_string_value(trigger) ? json_string_value(trigger) : "?");
    }
}

/* "score  2026-11 138****8000 12/10 potential churner tier=high risk=1
 * spend_fall(3){...} ..." */
static void format_score(line_t *line, json_t *record, bool unmask, bool colour)
{
    char masked[CW_MASK_SIZE];
    bool potential = json_is_true(json_object_get(record, "potential_churner"));
    bool value = json_is_true(json_object_get(record, "value_churn"));
    put(line, "%sscore %s %s %s %lld/%lld %s%s%s tier=%s risk=%lld ",
        colour ? "\033[1;36m" : "", colour ? RESET : "", text(record, "month"),
        number(record, unmask, masked),
        (long long)json_integer_value(json_object_get(record, "score")),
        (long long)json_integer_value(json_object_get(record, "threshold")),
        potential ? "potential churner" : "", potential && value ? ", " : "",
        value ? "value churn" : "", text(record, "tier"),
        (long long)json_integer_value(json_object_get(record, "risk_tier")));
    json_t *items = json_object_get(record, "items");
    if (json_array_size(items) > 0)
        put_named(line, items);
    else
        put(line, "(no item)");
}

cw_watch_kind_t cw_watch_format(const char *value, size_t len, bool unmask, bool colour,
                                char *out, size_t size)
{
    line_t line = {out, size, 0};
    if (size == 0)
        return CW_WATCH_INVALID;
    out[0] = '\0';
    json_error_t err;
    json_t *record = value ? json_loadb(value, len, 0, &err) : NULL;
    if (!json_is_object(record)) {
        put(&line, "(not a JSON object%s%s)", record ? "" : ": ", record ? "" : err.text);
        json_decref(record);
        return CW_WATCH_INVALID;
    }
    cw_watch_kind_t kind = CW_WATCH_OTHER;
    if (json_object_get(record, "alert_id") != NULL) {
        kind = CW_WATCH_ALERT;
        format_alert(&line, record, unmask, colour);
    } else if (json_object_get(record, "outcome_id") != NULL) {
        kind = CW_WATCH_OUTCOME;
        format_outcome(&line, record, unmask, colour);
    } else if (json_object_get(record, "score_id") != NULL) {
        kind = CW_WATCH_SCORE;
        format_score(&line, record, unmask, colour);
    } else {
        /* not ours: its numbers are not known to be masked, so not shown */
        put(&line, "(not a cdrwarn record: no alert_id, outcome_id or score_id)");
    }
    json_decref(record);
    return kind;
}
