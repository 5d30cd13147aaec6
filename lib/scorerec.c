/* The score record of SPEC section 14: its stable id and its JSON value,
 * built from one scoring (score.c), as alert.c does for an evaluation. */
#include "scorerec.h"

#include "jsonw.h"

#include <stdio.h>

#include "date.h"
#include "hash.h"
#include "month.h"

void cw_scorerec_id(const char *msisdn, int32_t month, char out[CW_SCORE_ID_SIZE])
{
    /* the canonical text is part of the id's contract (see cw_alert_id) */
    char label[CW_MONTH_LABEL_SIZE];
    cw_month_label(month, label);
    char canon[64];
    int n = snprintf(canon, sizeof canon, "score|%s|%s", msisdn, label);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof canon ? (size_t)n : sizeof canon - 1;
    cw_hash_hex(cw_hash64(canon, len, 1), out);
    cw_hash_hex(cw_hash64(canon, len, 2), out + 16);
    out[32] = '\0';
}

static void int_member(cw_jsonw_t *w, const char *key, int64_t value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_int(w, value);
}

static void string_member(cw_jsonw_t *w, const char *key, const char *value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_string(w, value);
}

static void bool_member(cw_jsonw_t *w, const char *key, bool value)
{
    cw_jsonw_key(w, key);
    cw_jsonw_bool(w, value);
}

static void evidence(cw_jsonw_t *w, cw_score_item_t item, const cw_score_t *s)
{
    cw_jsonw_object(w);
    switch (item) {
    case CW_ITEM_SPEND_FALL:
        int_member(w, "spend_3m_fen", s->spend_3m_fen);
        int_member(w, "spend_6m_fen", s->spend_6m_fen);
        break;
    case CW_ITEM_FWD_3M:
        int_member(w, "fwd_3m_calls", s->fwd_3m_calls);
        break;
    case CW_ITEM_FWD_1M:
        int_member(w, "fwd_1m_calls", s->fwd_1m_calls);
        break;
    case CW_ITEM_ARREARS_STOPS:
        int_member(w, "arrears_stops_6m", s->arrears_stops_6m);
        break;
    case CW_ITEM_OWED:
        int_member(w, "owed_fen", s->owed_fen);
        break;
    case CW_ITEM_MONTHS_OWED:
        int_member(w, "months_owed", s->months_owed);
        break;
    case CW_ITEM_FAULT:
        int_member(w, "fault_level_3m", s->fault_level_3m);
        break;
    case CW_ITEM_COMPLAINTS_3M:
        int_member(w, "complaints_3m", s->complaints_3m);
        break;
    case CW_ITEM_OWN_SERVICE:
        int_member(w, "own_service_calls_6m", s->own_service_calls_6m);
        break;
    case CW_ITEM_RIVAL_SERVICE_6M:
        int_member(w, "rival_service_calls_6m", s->rival_service_calls_6m);
        break;
    case CW_ITEM_VIP_SERVICE:
        int_member(w, "vip_services_6m", s->vip_services_6m);
        break;
    case CW_ITEM_FEW_NEW_SERVICES:
        int_member(w, "new_services_6m", s->new_services_6m);
        break;
    case CW_ITEM_VAS_FALL:
        int_member(w, "vas_2m_fen", s->vas_2m_fen);
        int_member(w, "prev_vas_2m_fen", s->prev_vas_2m_fen);
        break;
    case CW_ITEM__COUNT:
        break;
    }
    cw_jsonw_end(w);
}

char *cw_scorerec_json(const cw_scorerec_input_t *in, size_t *len)
{
    const cw_score_t *s = in->score;
    char id[CW_SCORE_ID_SIZE];
    cw_scorerec_id(in->msisdn, s->month, id);
    char label[CW_MONTH_LABEL_SIZE];
    cw_month_label(s->month, label);
    char ymd[11];
    cw_date_format_ymd(s->eval_date, ymd);

    /* written in the SPEC's key order */
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_object(&w);
    string_member(&w, "score_id", id);
    string_member(&w, "msisdn", in->msisdn);
    string_member(&w, "month", label);
    int_member(&w, "score", s->score);
    int_member(&w, "threshold", s->threshold);
    bool_member(&w, "potential_churner", s->potential_churner);
    bool_member(&w, "value_churn", s->value_churn);
    cw_jsonw_key(&w, "items");
    cw_jsonw_array(&w);
    for (int i = 0; i < CW_ITEM__COUNT; i++) {
        if (!(s->items & CW_ITEM_BIT(i)))
            continue;
        cw_jsonw_object(&w);
        string_member(&w, "name", cw_score_item_name((cw_score_item_t)i));
        int_member(&w, "points", s->points[i]);
        cw_jsonw_key(&w, "evidence");
        evidence(&w, (cw_score_item_t)i, s);
        cw_jsonw_end(&w);
    }
    cw_jsonw_end(&w);
    string_member(&w, "tier", cw_tier_name(s->tier));
    int_member(&w, "risk_tier", s->risk_tier);
    string_member(&w, "eval_date", ymd);
    int_member(&w, "emitted_at", in->emitted_at_ms);
    string_member(&w, "rules_version", in->rules_version ? in->rules_version : "");
    cw_jsonw_end(&w);
    return cw_jsonw_take(&w, len);
}
