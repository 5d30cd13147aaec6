/* The alert message of SPEC section 7: its stable id and its JSON value, built
 * from one evaluation (rules.c) and the [actions] map (actions.c). */
#include "alert.h"

#include "jsonw.h"

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
static void date_or_null(cw_jsonw_t *w, int32_t day)
{
    if (day == CW_DAY_NONE) {
        cw_jsonw_null(w);
        return;
    }
    char ymd[11];
    cw_date_format_ymd(day, ymd);
    cw_jsonw_string(w, ymd);
}

static void int_member(cw_jsonw_t *w, const char *key, int64_t value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_int(w, value);
}

static void evidence(cw_jsonw_t *w, cw_trigger_t trigger, const cw_alert_input_t *in)
{
    const cw_eval_t *ev = in->eval;
    cw_jsonw_object(w);
    switch (trigger) {
    case CW_TRIG_COMPLAINTS:
        int_member(w, "complaints", ev->cur.complaints);
        int_member(w, "serious_complaints", ev->cur.serious_complaints);
        int_member(w, "overdue_complaints", ev->cur.overdue_complaints);
        break;
    case CW_TRIG_FWD_RIVAL: {
        int count = 0;
        for (int d = 0; d < 7; d++)
            count += (ev->cur.fwd_rival_days >> d) & 1;
        int_member(w, "fwd_rival_days", count);
        cw_jsonw_key(w, "days");
        cw_jsonw_array(w);
        for (int d = 0; d < 7; d++)
            if (ev->cur.fwd_rival_days & (1u << d))
                date_or_null(w, cw_week_first_day(ev->week) + d);
        cw_jsonw_end(w);
        break;
    }
    case CW_TRIG_RIVAL_SERVICE:
        int_member(w, "rival_service_calls", ev->cur.rival_service_calls);
        break;
    case CW_TRIG_PLAN_DOWNGRADE:
        int_member(w, "from_fee_fen", ev->cur.downgrade_from_fen);
        int_member(w, "to_fee_fen", ev->cur.downgrade_to_fen);
        break;
    case CW_TRIG_CONTRACT_EXPIRY:
        cw_jsonw_key(w, "contract_end");
        date_or_null(w, in->sub->contract_end);
        int_member(w, "days_left", ev->contract_days_left);
        break;
    case CW_TRIG_SPEND_DROP:
        int_member(w, "spend_fen", ev->cur.spend_fen);
        int_member(w, "prev_spend_fen", ev->prev.spend_fen);
        break;
    case CW_TRIG_USAGE_DROP:
        int_member(w, "voice_s", ev->cur.voice_s);
        int_member(w, "prev_voice_s", ev->prev.voice_s);
        break;
    default:
        break;
    }
    cw_jsonw_end(w);
}

static void add_action(const char *name, void *arg)
{
    cw_jsonw_string(arg, name);
}

static void string_member(cw_jsonw_t *w, const char *key, const char *value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_string(w, value);
}

char *cw_alert_json(const cw_alert_input_t *in, size_t *len)
{
    const cw_eval_t *ev = in->eval;
    char id[CW_ALERT_ID_SIZE];
    cw_alert_id(in->msisdn, ev->week, ev->level, ev->triggers, id);
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(ev->week, label);

    /* written in the SPEC's key order */
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_object(&w);
    string_member(&w, "alert_id", id);
    string_member(&w, "msisdn", in->msisdn);
    string_member(&w, "level", cw_level_name(ev->level));
    string_member(&w, "week", label);
    cw_jsonw_key(&w, "triggers");
    cw_jsonw_array(&w);
    for (int t = 0; t < CW_TRIG__COUNT; t++) {
        if (!(ev->triggers & CW_TRIG_BIT(t)))
            continue;
        cw_jsonw_object(&w);
        string_member(&w, "name", cw_trigger_name((cw_trigger_t)t));
        cw_jsonw_key(&w, "evidence");
        evidence(&w, (cw_trigger_t)t, in);
        cw_jsonw_end(&w);
    }
    cw_jsonw_end(&w);
    int_member(&w, "risk_tier", ev->risk_tier);
    string_member(&w, "tier", cw_tier_name(in->sub->tier));
    cw_jsonw_key(&w, "subsidy_end");
    date_or_null(&w, in->sub->subsidy_end);
    cw_jsonw_key(&w, "contract_end");
    date_or_null(&w, in->sub->contract_end);
    cw_jsonw_key(&w, "eval_date");
    date_or_null(&w, ev->eval_date);
    int_member(&w, "event_time", in->event_time_ms);
    int_member(&w, "emitted_at", in->emitted_at_ms);
    cw_jsonw_key(&w, "actions");
    cw_jsonw_array(&w);
    if (in->actions != NULL)
        cw_actions_for_alert(in->actions, ev->level, in->sub->tier, ev->triggers, add_action,
                             &w);
    cw_jsonw_end(&w);
    string_member(&w, "rules_version", in->rules_version ? in->rules_version : "");
    cw_jsonw_end(&w);
    return cw_jsonw_take(&w, len);
}
