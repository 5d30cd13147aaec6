/* The alert message of SPEC section 7: its stable id and its JSON value, built
 * from one evaluation (rules.c) and the [actions] map (actions.c). */
#include "alert.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "date.h"
#include "hash.h"
#include "week.h"

void cw_alert_id(const char *msisdn, int32_t week, cw_level_t level, uint8_t triggers,
                 char out[CW_ALERT_ID_SIZE])
{
    /* the canonical text is part of the id's contract: alerts re-sent after
     * a crash must carry the id they had before, across releases too */
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    char canon[96];
    int n = snprintf(canon, sizeof canon, "%s|%s|%s|%u", msisdn, label,
                     cw_level_name(level), (unsigned)triggers);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof canon ? (size_t)n : sizeof canon - 1;
    cw_hash_hex(cw_hash64(canon, len, 1), out);
    cw_hash_hex(cw_hash64(canon, len, 2), out + 16);
    out[32] = '\0';
}

/* Builders that track failure in one flag, so the JSON is assembled in
 * straight-line code and checked once: jansson returns NULL / -1 when out of
 * memory and set_new() releases the value it was given either way. */
typedef struct builder {
    bool ok;
} builder_t;

static void put(builder_t *b, json_t *obj, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        b->ok = false;
}

static void push(builder_t *b, json_t *arr, json_t *value)
{
    if (value == NULL || json_array_append_new(arr, value) != 0)
        b->ok = false;
}

static json_t *date_or_null(int32_t day)
{
    if (day == CW_DAY_NONE)
        return json_null();
    char ymd[11];
    cw_date_format_ymd(day, ymd);
    return json_string(ymd);
}

static json_t *evidence(builder_t *b, cw_trigger_t trigger, const cw_alert_input_t *in)
{
    const cw_eval_t *ev = in->eval;
    json_t *obj = json_object();
    if (obj == NULL) {
        b->ok = false;
        return NULL;
    }
    switch (trigger) {
    case CW_TRIG_COMPLAINTS:
        put(b, obj, "complaints", json_integer(ev->cur.complaints));
        put(b, obj, "serious_complaints", json_integer(ev->cur.serious_complaints));
        put(b, obj, "overdue_complaints", json_integer(ev->cur.overdue_complaints));
        break;
    case CW_TRIG_FWD_RIVAL: {
        json_t *days = json_array();
        int count = 0;
        for (int d = 0; d < 7; d++) {
            if (ev->cur.fwd_rival_days & (1u << d)) {
                count++;
                if (days != NULL)
                    push(b, days, date_or_null(cw_week_first_day(ev->week) + d));
            }
        }
        put(b, obj, "fwd_rival_days", json_integer(count));
        put(b, obj, "days", days);
        break;
    }
    case CW_TRIG_RIVAL_SERVICE:
        put(b, obj, "rival_service_calls", json_integer(ev->cur.rival_service_calls));
        break;
    case CW_TRIG_PLAN_DOWNGRADE:
        put(b, obj, "from_fee_fen", json_integer(ev->cur.downgrade_from_fen));
        put(b, obj, "to_fee_fen", json_integer(ev->cur.downgrade_to_fen));
        break;
    case CW_TRIG_CONTRACT_EXPIRY:
        put(b, obj, "contract_end", date_or_null(in->sub->contract_end));
        put(b, obj, "days_left", json_integer(ev->contract_days_left));
        break;
    case CW_TRIG_SPEND_DROP:
        put(b, obj, "spend_fen", json_integer(ev->cur.spend_fen));
        put(b, obj, "prev_spend_fen", json_integer(ev->prev.spend_fen));
        break;
    case CW_TRIG_USAGE_DROP:
        put(b, obj, "voice_s", json_integer(ev->cur.voice_s));
        put(b, obj, "prev_voice_s", json_integer(ev->prev.voice_s));
        break;
    default:
        break;
    }
    return obj;
}

typedef struct action_sink {
    builder_t *b;
    json_t *arr;
} action_sink_t;

static void add_action(const char *name, void *arg)
{
    action_sink_t *sink = arg;
    if (sink->arr != NULL)
        push(sink->b, sink->arr, json_string(name));
}

char *cw_alert_json(const cw_alert_input_t *in, size_t *len)
{
    const cw_eval_t *ev = in->eval;
    builder_t b = {true};
    json_t *root = json_object();
    if (root == NULL)
        return NULL;

    char id[CW_ALERT_ID_SIZE];
    cw_alert_id(in->msisdn, ev->week, ev->level, ev->triggers, id);
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(ev->week, label);

    /* jansson keeps insertion order: the order below is the SPEC's */
    put(&b, root, "alert_id", json_string(id));
    put(&b, root, "msisdn", json_string(in->msisdn));
    put(&b, root, "level", json_string(cw_level_name(ev->level)));
    put(&b, root, "week", json_string(label));

    json_t *triggers = json_array();
    for (int t = 0; t < CW_TRIG__COUNT && triggers != NULL; t++) {
        if (!(ev->triggers & CW_TRIG_BIT(t)))
            continue;
        json_t *item = json_object();
        if (item != NULL) {
            put(&b, item, "name", json_string(cw_trigger_name((cw_trigger_t)t)));
            put(&b, item, "evidence", evidence(&b, (cw_trigger_t)t, in));
        }
        push(&b, triggers, item);
    }
    put(&b, root, "triggers", triggers);

    put(&b, root, "risk_tier", json_integer(ev->risk_tier));
    put(&b, root, "tier", json_string(cw_tier_name(in->sub->tier)));
    put(&b, root, "subsidy_end", date_or_null(in->sub->subsidy_end));
    put(&b, root, "contract_end", date_or_null(in->sub->contract_end));
    put(&b, root, "eval_date", date_or_null(ev->eval_date));
    put(&b, root, "event_time", json_integer(in->event_time_ms));
    put(&b, root, "emitted_at", json_integer(in->emitted_at_ms));

    action_sink_t sink = {&b, json_array()};
    if (in->actions != NULL)
        cw_actions_for_alert(in->actions, ev->level, in->sub->tier, ev->triggers,
                             add_action, &sink);
    put(&b, root, "actions", sink.arr);
    put(&b, root, "rules_version",
        json_string(in->rules_version ? in->rules_version : ""));

    char *out = NULL;
    if (b.ok) {
        /* dump into our own allocation: the caller frees with cw_free,
         * whatever allocator jansson was set up with */
        size_t need = json_dumpb(root, NULL, 0, JSON_COMPACT);
        if (need > 0)
            out = cw_malloc(need + 1);
        if (out != NULL) {
            size_t got = json_dumpb(root, out, need, JSON_COMPACT);
            if (got != need) {
                cw_free(out);
                out = NULL;
            } else {
                out[need] = '\0';
                if (len != NULL)
                    *len = need;
            }
        }
    }
    json_decref(root);
    return out;
}
