/* The outcome record of SPEC section 10: from the published levels and
 * triggers a churned subscriber's weeks keep (rules.c marked them) to the
 * caught / lead-weeks verdict, its stable id and its JSON. */
#include "outcome.h"

#include "jsonw.h"

#include <stdio.h>
#include <string.h>

#include "date.h"
#include "hash.h"
#include "week.h"

void cw_outcome_compute(const cw_rules_t *rules, const cw_sub_t *sub, int64_t churn_ts_ms,
                        int32_t utc_offset_s, cw_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    out->churn_date = cw_week_local_day(churn_ts_ms, utc_offset_s);
    out->week = cw_week_of_day(out->churn_date);
    out->tier = sub->tier;
    out->watched = (unsigned)sub->tier < CW_TIER__COUNT &&
                   (rules->watched_tiers & (1u << sub->tier)) != 0;
    int64_t horizon = rules->outcome_horizon_weeks < 0 ? 0 : rules->outcome_horizon_weeks;
    int64_t first = (int64_t)out->week - horizon;
    /* the weeks are held newest first: walk them backwards for oldest first */
    for (int i = sub->week_count - 1; i >= 0; i--) {
        const cw_week_agg_t *agg = &sub->weeks[i];
        if (agg->week < first || agg->week > out->week ||
            agg->published_level == CW_LEVEL_NONE)
            continue;
        cw_outcome_week_t *w = &out->alerted[out->alerted_count++];
        w->week = agg->week;
        w->level = agg->published_level < CW_LEVEL__COUNT
                       ? (cw_level_t)agg->published_level
                       : CW_LEVEL_RED;
        w->triggers = agg->published_triggers;
        if (w->level > out->caught_level)
            out->caught_level = w->level;
    }
    out->caught = out->alerted_count > 0;
    out->lead_weeks = out->caught ? (int)(out->week - out->alerted[0].week) : -1;
}

void cw_outcome_id(const char *msisdn, int32_t week, cw_churn_kind_t kind,
                   char out[CW_OUTCOME_ID_SIZE])
{
    /* like the alert id, the canonical text is part of the contract: an
     * outcome re-sent after a crash carries the id it had, across releases */
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    char canon[96];
    int n = snprintf(canon, sizeof canon, "outcome|%s|%s|%s", msisdn, label,
                     cw_churn_kind_name(kind));
    size_t len = n < 0 ? 0 : (size_t)n < sizeof canon ? (size_t)n : sizeof canon - 1;
    cw_hash_hex(cw_hash64(canon, len, 1), out);
    cw_hash_hex(cw_hash64(canon, len, 2), out + 16);
    out[32] = '\0';
}

static void string_member(cw_jsonw_t *w, const char *key, const char *value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_string(w, value);
}

static void week_member(cw_jsonw_t *w, const char *key, int32_t week)
{
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    string_member(w, key, label);
}

char *cw_outcome_json(const cw_outcome_input_t *in, size_t *len, cw_outcome_t *summary)
{
    const cw_event_t *ev = in->event;
    cw_outcome_t oc;
    cw_outcome_compute(in->rules, in->sub, ev->ts_ms, in->utc_offset_s, &oc);
    if (summary != NULL)
        *summary = oc;
    char id[CW_OUTCOME_ID_SIZE];
    cw_outcome_id(in->msisdn, oc.week, ev->churn_kind, id);
    char ymd[11];
    cw_date_format_ymd(oc.churn_date, ymd);

    /* written in the SPEC's key order */
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_object(&w);
    string_member(&w, "outcome_id", id);
    string_member(&w, "msisdn", in->msisdn);
    string_member(&w, "kind", cw_churn_kind_name(ev->churn_kind));
    cw_jsonw_key(&w, "to_operator");
    if (ev->to_operator[0] != '\0')
        cw_jsonw_string(&w, ev->to_operator);
    else
        cw_jsonw_null(&w);
    string_member(&w, "churn_date", ymd);
    week_member(&w, "week", oc.week);
    string_member(&w, "tier", cw_tier_name(oc.tier));
    cw_jsonw_key(&w, "watched");
    cw_jsonw_bool(&w, oc.watched);
    cw_jsonw_key(&w, "alerted");
    cw_jsonw_array(&w);
    for (int i = 0; i < oc.alerted_count; i++) {
        const cw_outcome_week_t *a = &oc.alerted[i];
        cw_jsonw_object(&w);
        week_member(&w, "week", a->week);
        string_member(&w, "level", cw_level_name(a->level));
        cw_jsonw_key(&w, "triggers");
        cw_jsonw_array(&w);
        for (int t = 0; t < CW_TRIG__COUNT; t++)
            if (a->triggers & CW_TRIG_BIT(t))
                cw_jsonw_string(&w, cw_trigger_name((cw_trigger_t)t));
        cw_jsonw_end(&w);
        cw_jsonw_end(&w);
    }
    cw_jsonw_end(&w);
    cw_jsonw_key(&w, "caught");
    cw_jsonw_bool(&w, oc.caught);
    cw_jsonw_key(&w, "lead_weeks");
    if (oc.caught)
        cw_jsonw_int(&w, oc.lead_weeks);
    else
        cw_jsonw_null(&w);
    string_member(&w, "event_id", ev->event_id);
    cw_jsonw_key(&w, "emitted_at");
    cw_jsonw_int(&w, in->emitted_at_ms);
    cw_jsonw_end(&w);
    return cw_jsonw_take(&w, len);
}
