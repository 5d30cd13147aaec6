/* cdrwarn-gen's JSON: writes one traffic record as SPEC section 3 text, with
 * the surface variety real feeds have (RFC 3339 or epoch times, "+86" or
 * "0086" numbers, defaults left out, unknown extra fields), and the bad
 * records of SPEC section 8. Hand-rolled appends into the caller's buffer:
 * no allocation per event. */
#include "gen.h"

#include <string.h>

#include "week.h"

const char *const cw_gen_type_names[CW_GEN_TYPE_CNT] = {
    "voice", "sms",     "data",    "charge", "plan_change", "complaint", "profile",
    "churn", "suspend", "arrears", "fault",  "service",     "subscribe",
};
const char *const cw_gen_drift_names[CW_GEN_DRIFT_CNT] = {
    "spend_drop", "usage_drop",    "silent",         "complaints",
    "fwd_rival",  "rival_service", "plan_downgrade", "contract_expiry",
};
const char *const cw_gen_bad_names[CW_GEN_BAD_CNT] = {
    "invalid_json", "not_object", "missing_field", "bad_field", "unknown_type",
    "bad_msisdn",   "future_ts",  "too_old",       "too_large",
};
const char *const cw_gen_tier_names[4] = {"high", "mid", "low", "none"};

static const char *const charge_items[] = {"rental", "vas_music", "vas_video",
                                           "vas_cloud"};
static const char *const dir_names[] = {"mo", "mt", "fwd"};

/* Variations of one record's text; the zero value is the plain event. */
typedef struct {
    int skip;               /* 1 event_id, 2 type, 3 msisdn, 4 ts left out */
    const char *type_name;  /* instead of the real type */
    const char *msisdn_raw; /* instead of the number */
    bool ts_set;
    int64_t ts;    /* instead of the record's time */
    int bad_field; /* 2, 3: event_id, 4: ts, 5, 6: a type field */
    size_t pad;    /* bytes of an extra "note" field */
} variant_t;

#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_u64_width(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width)
        tmp[n++] = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_u64(char *p, uint64_t v)
{
    return put_u64_width(p, v, 1);
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* A JSON string of a date, or null. */
static char *put_date(char *p, int32_t day)
{
    if (day == CW_DAY_NONE)
        return PUT_LIT(p, "null");
    char text[11];
    cw_date_format_ymd(day, text);
    *p++ = '"';
    p = put_str(p, text);
    *p++ = '"';
    return p;
}

/* RFC 3339 with milliseconds, at the operator's offset or in UTC. */
static char *put_rfc3339(char *p, int64_t ts, int32_t offset_s, const char *offset_text)
{
    int64_t local = ts + (int64_t)offset_s * 1000;
    int64_t day = cw_floor_div(local, CW_MS_PER_DAY);
    int64_t ms = local - day * CW_MS_PER_DAY;
    int y, m, d;
    cw_date_to_civil((int32_t)day, &y, &m, &d);
    *p++ = '"';
    p = put_u64_width(p, (uint64_t)y, 4);
    *p++ = '-';
    p = put_u64_width(p, (uint64_t)m, 2);
    *p++ = '-';
    p = put_u64_width(p, (uint64_t)d, 2);
    *p++ = 'T';
    p = put_u64_width(p, (uint64_t)(ms / 3600000), 2);
    *p++ = ':';
    p = put_u64_width(p, (uint64_t)(ms / 60000 % 60), 2);
    *p++ = ':';
    p = put_u64_width(p, (uint64_t)(ms / 1000 % 60), 2);
    *p++ = '.';
    p = put_u64_width(p, (uint64_t)(ms % 1000), 3);
    p = offset_s == 0 && offset_text == NULL ? PUT_LIT(p, "Z") : put_str(p, offset_text);
    *p++ = '"';
    return p;
}

/* A number as a source system might write it: mostly plain, some with the
 * country code. `pick` is 0..99. */
static char *put_number(char *p, const cw_gen_opts_t *opts, uint64_t number,
                        unsigned pick)
{
    *p++ = '"';
    if (number >= 10000000000ULL && number < 20000000000ULL) {
        if (pick < 5) {
            *p++ = '+';
            p = put_str(p, opts->country_code);
        } else if (pick < 7) {
            p = PUT_LIT(p, "00");
            p = put_str(p, opts->country_code);
        }
    }
    p = put_u64(p, number);
    *p++ = '"';
    return p;
}

static char *put_event_id(char *p, const cw_gen_opts_t *opts, uint64_t event_no)
{
    p = PUT_LIT(p, "\"g");
    p = put_u64(p, opts->seed);
    *p++ = '-';
    p = put_u64_width(p, event_no, 10);
    *p++ = '"';
    return p;
}

static size_t format_core(const cw_gen_model_t *model, const cw_gen_rec_t *rec,
                          uint64_t msisdn, uint64_t event_no, const variant_t *v,
                          char *buf)
{
    const cw_gen_opts_t *opts = model->opts;
    /* every surface choice comes from the event number: stable per event */
    uint64_t bits = cw_gen_hash4(opts->seed, 0x5eed, event_no, 0);
    unsigned pick_ts = (unsigned)(bits % 100);
    unsigned pick_msisdn = (unsigned)(bits >> 8) % 100;
    unsigned pick_peer = (unsigned)(bits >> 16) % 100;
    bool omit_default = (bits >> 24) & 1;
    bool extra_field = (bits >> 25) % 100 < 8;
    /* a bad field comes where the real one would; duplicate keys are legal
     * JSON but their meaning is parser-defined, so the real one is left out */
    int bad = v->bad_field;
    char *p = buf;

    *p++ = '{';
    if (v->skip != 1) {
        p = PUT_LIT(p, "\"event_id\":");
        if (bad == 2) {
            p = PUT_LIT(p, "\"\"");
        } else if (bad == 3) {
            /* 70 characters: over the 64 allowed */
            p = PUT_LIT(p, "\"gen-event-id-that-is-far-too-long-for-the-spec-"
                           "0123456789abcdefghijkl\"");
        } else {
            p = put_event_id(p, opts, event_no);
        }
        *p++ = ',';
    }
    if (v->skip != 2) {
        p = PUT_LIT(p, "\"type\":\"");
        p = put_str(p, v->type_name ? v->type_name : cw_gen_type_names[rec->type]);
        p = PUT_LIT(p, "\",");
    }
    if (v->skip != 3) {
        p = PUT_LIT(p, "\"msisdn\":");
        if (v->msisdn_raw != NULL) {
            *p++ = '"';
            p = put_str(p, v->msisdn_raw);
            *p++ = '"';
        } else {
            p = put_number(p, opts, msisdn, pick_msisdn);
        }
        *p++ = ',';
    }
    if (v->skip != 4) {
        int64_t ts = v->ts_set ? v->ts : rec->ts;
        p = PUT_LIT(p, "\"ts\":");
        if (bad == 4) {
            p = PUT_LIT(p, "\"yesterday\"");
        } else if (pick_ts < 10) {
            p = put_rfc3339(p, ts, opts->utc_offset_s, opts->utc_offset_text);
        } else if (pick_ts < 12) {
            p = put_rfc3339(p, ts, 0, NULL);
        } else {
            p = put_i64(p, ts);
        }
        *p++ = ',';
    }
    p--; /* the last comma; type fields add their own */

    /* bad_field 5 and 6: one wrong value in an otherwise complete body */
    int wrong = bad >= 5 ? bad - 4 : 0;
    switch ((cw_gen_type_t)rec->type) {
    case CW_GEN_VOICE:
        p = PUT_LIT(p, ",\"direction\":\"");
        p = put_str(p, dir_names[rec->dir]);
        p = PUT_LIT(p, "\",\"peer\":");
        p = wrong == 2 ? PUT_LIT(p, "\"n/a\"")
                       : put_number(p, opts, rec->peer, pick_peer);
        p = PUT_LIT(p, ",\"duration_s\":");
        p = wrong == 1 ? PUT_LIT(p, "-5") : put_u64(p, rec->a);
        if (rec->b != 0 || !omit_default) {
            p = PUT_LIT(p, ",\"charge_fen\":");
            p = put_u64(p, rec->b);
        }
        break;
    case CW_GEN_SMS:
        p = PUT_LIT(p, ",\"direction\":\"");
        p = put_str(p, wrong == 1 ? "sideways" : dir_names[rec->dir]);
        p = PUT_LIT(p, "\",\"peer\":");
        p = wrong == 2 ? PUT_LIT(p, "\"n/a\"")
                       : put_number(p, opts, rec->peer, pick_peer);
        if (rec->b != 0 || !omit_default) {
            p = PUT_LIT(p, ",\"charge_fen\":");
            p = put_u64(p, rec->b);
        }
        break;
    case CW_GEN_DATA:
        p = PUT_LIT(p, ",\"bytes\":");
        p = wrong == 1   ? PUT_LIT(p, "-1")
            : wrong == 2 ? PUT_LIT(p, "\"lots\"")
                         : put_u64(p, rec->a);
        if (rec->b != 0 || !omit_default || (rec->flags & CW_GEN_REC_CLOSING)) {
            p = PUT_LIT(p, ",\"charge_fen\":");
            p = put_u64(p, rec->b);
        }
        break;
    case CW_GEN_CHARGE:
        p = PUT_LIT(p, ",\"charge_fen\":");
        p = wrong == 1   ? PUT_LIT(p, "\"12.50\"")
            : wrong == 2 ? PUT_LIT(p, "-100")
                         : put_u64(p, rec->b);
        p = PUT_LIT(p, ",\"item\":\"");
        if (rec->a >= CW_GEN_ITEM_VAS) {
            p = PUT_LIT(p, "vas:");
            p = put_str(p, cw_gen_vas_names[(rec->a - CW_GEN_ITEM_VAS) % CW_GEN_VAS_CNT]);
        } else {
            p = put_str(p, charge_items[rec->a % 4]);
        }
        *p++ = '"';
        break;
    case CW_GEN_PLAN_CHANGE:
        p = PUT_LIT(p, ",\"from_fee_fen\":");
        p = wrong == 2 ? PUT_LIT(p, "\"high\"") : put_u64(p, rec->a);
        p = PUT_LIT(p, ",\"to_fee_fen\":");
        p = wrong == 1 ? PUT_LIT(p, "-100") : put_u64(p, rec->b);
        break;
    case CW_GEN_COMPLAINT:
        p = PUT_LIT(p, ",\"severity\":\"");
        p = put_str(p, wrong == 1 ? "urgent" : rec->dir ? "serious" : "normal");
        *p++ = '"';
        if (wrong == 2)
            p = PUT_LIT(p, ",\"overdue\":\"yes\"");
        else if ((rec->flags & CW_GEN_REC_OVERDUE) || !omit_default)
            p = (rec->flags & CW_GEN_REC_OVERDUE) ? PUT_LIT(p, ",\"overdue\":true")
                                                  : PUT_LIT(p, ",\"overdue\":false");
        break;
    case CW_GEN_PROFILE:
        if (rec->flags & CW_GEN_REC_PROFILE_PARTIAL) {
            /* an update: fields left out keep their value */
            p = PUT_LIT(p, ",\"contract_end\":");
            p = put_date(p, (int32_t)rec->b);
        } else {
            p = PUT_LIT(p, ",\"tier\":\"");
            p = put_str(p, wrong == 1 ? "platinum"
                                      : cw_gen_tier_names[model->subs[rec->sub].tier]);
            p = PUT_LIT(p, "\",\"subsidy_end\":");
            p = wrong == 2 ? PUT_LIT(p, "\"2026-02-30\"") : put_date(p, (int32_t)rec->a);
            p = PUT_LIT(p, ",\"contract_end\":");
            p = put_date(p, (int32_t)rec->b);
        }
        break;
    case CW_GEN_CHURN:
        p = PUT_LIT(p, ",\"kind\":\"");
        p = put_str(p, wrong == 1 ? "moved" : cw_gen_churn_kind_names[rec->a % 2]);
        *p++ = '"';
        if (wrong == 2) {
            p = PUT_LIT(p, ",\"to_operator\":42");
        } else if (rec->b != 0) {
            p = PUT_LIT(p, ",\"to_operator\":\"");
            p = put_str(p, cw_gen_operator_names[(rec->b - 1) % 2]);
            *p++ = '"';
        }
        break;
    case CW_GEN_SUSPEND:
        p = PUT_LIT(p, ",\"reason\":");
        if (wrong == 1) {
            p = PUT_LIT(p, "\"holiday\"");
        } else if (wrong == 2) {
            p = PUT_LIT(p, "3");
        } else {
            *p++ = '"';
            p = put_str(p, cw_gen_suspend_names[rec->a % 3]);
            *p++ = '"';
        }
        break;
    case CW_GEN_ARREARS:
        p = PUT_LIT(p, ",\"owed_fen\":");
        p = wrong == 1 ? PUT_LIT(p, "-500") : put_u64(p, rec->a);
        p = PUT_LIT(p, ",\"months\":");
        p = wrong == 2 ? PUT_LIT(p, "\"two\"") : put_u64(p, rec->b);
        break;
    case CW_GEN_FAULT:
        p = PUT_LIT(p, ",\"level\":");
        p = wrong == 1   ? PUT_LIT(p, "4")
            : wrong == 2 ? PUT_LIT(p, "\"high\"")
                         : put_u64(p, rec->a);
        break;
    case CW_GEN_SERVICE:
        p = PUT_LIT(p, ",\"channel\":");
        if (wrong == 1) {
            p = PUT_LIT(p, "\"email\"");
        } else if (wrong == 2) {
            p = PUT_LIT(p, "null");
        } else {
            *p++ = '"';
            p = put_str(p, cw_gen_channel_names[rec->a % 3]);
            *p++ = '"';
        }
        break;
    case CW_GEN_SUBSCRIBE:
        p = PUT_LIT(p, ",\"service\":\"");
        if (wrong != 1)
            p = put_str(p, cw_gen_vas_names[rec->a % CW_GEN_VAS_CNT]);
        *p++ = '"';
        if (wrong == 2) {
            p = PUT_LIT(p, ",\"fee_fen\":-1");
        } else if (rec->b != 0 || !omit_default) {
            p = PUT_LIT(p, ",\"fee_fen\":");
            p = put_u64(p, rec->b);
        }
        break;
    default:
        break;
    }
    if (extra_field && (rec->type == CW_GEN_VOICE || rec->type == CW_GEN_DATA) &&
        !(rec->flags & CW_GEN_REC_CLOSING)) {
        /* source systems add fields the daemon does not know: ignored */
        p = PUT_LIT(p, ",\"cell_id\":\"460-00-");
        p = put_u64(p, 10000 + (bits >> 32) % 50000);
        *p++ = '-';
        p = put_u64(p, (bits >> 48) % 256);
        *p++ = '"';
    }
    if (v->pad > 0) {
        p = PUT_LIT(p, ",\"note\":\"");
        for (size_t k = 0; k < v->pad; k++)
            *p++ = (char)('a' + k % 26);
        *p++ = '"';
    }
    *p++ = '}';
    return (size_t)(p - buf);
}

int cw_gen_topic_of(cw_gen_type_t type)
{
    switch (type) {
    case CW_GEN_VOICE:
    case CW_GEN_SMS:
    case CW_GEN_DATA:
        return CW_GEN_TOPIC_CDR;
    case CW_GEN_CHARGE:
    case CW_GEN_PLAN_CHANGE:
    case CW_GEN_SUSPEND:
    case CW_GEN_ARREARS:
    case CW_GEN_SUBSCRIBE:
        return CW_GEN_TOPIC_BILLING;
    default: /* complaint, profile, churn, fault, service */
        return CW_GEN_TOPIC_CRM;
    }
}

size_t cw_gen_format_event(const cw_gen_model_t *model, const cw_gen_rec_t *rec,
                           uint64_t msisdn, uint64_t event_no, char *buf)
{
    static const variant_t plain;
    return format_core(model, rec, msisdn, event_no, &plain, buf);
}

size_t cw_gen_format_key(uint64_t msisdn, char *buf)
{
    return (size_t)(put_u64(buf, msisdn) - buf);
}

size_t cw_gen_format_bad(const cw_gen_model_t *model, const cw_gen_rec_t *rec,
                         cw_gen_bad_t reason, uint64_t event_no, char *buf, int *topic)
{
    const cw_gen_opts_t *opts = model->opts;
    uint64_t msisdn = model->subs[rec->sub].msisdn;
    uint64_t bits = cw_gen_hash4(opts->seed, 0xbad, event_no, reason);
    variant_t v;
    size_t len;
    char *p = buf;

    memset(&v, 0, sizeof(v));
    *topic = cw_gen_topic_of((cw_gen_type_t)rec->type);
    switch (reason) {
    case CW_GEN_BAD_INVALID_JSON:
        len = format_core(model, rec, msisdn, event_no, &v, buf);
        if (bits & 1) {
            /* cut off mid-record, as by a broken forwarder */
            return len * 3 / 5;
        }
        /* a single-quoted key, as hand-written test data has */
        buf[1] = '\'';
        buf[10] = '\'';
        return len;
    case CW_GEN_BAD_NOT_OBJECT:
        switch (bits % 4) {
        case 0:
            p = PUT_LIT(p, "[\"");
            p = put_str(p, cw_gen_type_names[rec->type]);
            p = PUT_LIT(p, "\",\"");
            p = put_u64(p, msisdn);
            p = PUT_LIT(p, "\",");
            p = put_i64(p, rec->ts);
            *p++ = ']';
            break;
        case 1:
            p = PUT_LIT(p, "\"");
            p = put_str(p, cw_gen_type_names[rec->type]);
            p = PUT_LIT(p, " ");
            p = put_u64(p, msisdn);
            *p++ = '"';
            break;
        case 2:
            p = put_i64(p, rec->ts);
            break;
        default:
            p = PUT_LIT(p, "null");
            break;
        }
        return (size_t)(p - buf);
    case CW_GEN_BAD_MISSING_FIELD:
        v.skip = 1 + (int)(bits % 4);
        break;
    case CW_GEN_BAD_BAD_FIELD: {
        /* 2, 3: bad event_id; 4: bad ts; 5, 6: a type field */
        static const int variants[] = {2, 3, 4, 5, 6};
        v.bad_field = variants[bits % 5];
        break;
    }
    case CW_GEN_BAD_UNKNOWN_TYPE: {
        static const char *const names[] = {"mms", "roaming", "VOICE", "ussd"};
        v.type_name = names[bits % 4];
        break;
    }
    case CW_GEN_BAD_BAD_MSISDN: {
        static const char *const raws[] = {"1380013800x", "12", "+86-138-0013-8000",
                                           "8613800138000123456", ""};
        v.msisdn_raw = raws[bits % 5];
        break;
    }
    case CW_GEN_BAD_FUTURE_TS: {
        /* a source with its clock far ahead: a fixed day in 2100, so the
         * same arguments give the same bytes on any day (a reference run
         * and a faulty one may straddle midnight) */
        v.ts_set = true;
        v.ts = (int64_t)cw_date_from_civil(2100, 1, 1) * CW_MS_PER_DAY +
               (int64_t)(bits % (uint64_t)CW_MS_PER_DAY);
        break;
    }
    case CW_GEN_BAD_TOO_OLD: {
        int64_t start_ms =
            cw_week_start_ms(cw_week_of_day(opts->start_day), opts->utc_offset_s);
        v.ts_set = true;
        v.ts = start_ms - 20 * CW_MS_PER_WEEK + (int64_t)(bits % (uint64_t)CW_MS_PER_DAY);
        break;
    }
    case CW_GEN_BAD_TOO_LARGE:
        /* over the 64 KiB limit with room to spare */
        v.pad = 66 * 1024;
        break;
    default:
        break;
    }
    return format_core(model, rec, msisdn, event_no, &v, buf);
}
