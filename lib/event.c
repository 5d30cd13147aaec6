/* Turns one Kafka record value into a validated cw_event_t, or into the DLQ
 * reason and a one-line detail saying why not: the first step of every
 * record's way through the daemon. */
#include "event.h"

#include "jsonflat.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "week.h"

static const char *const type_names[CW_EV__COUNT] = {
    "voice", "sms", "data", "charge", "plan_change", "complaint", "profile",
    "churn", "suspend", "arrears", "fault", "service", "subscribe",
};

static const char *const reason_names[CW_DLQ__COUNT] = {
    "none",         "invalid_json", "not_object", "missing_field", "bad_field",
    "unknown_type", "bad_msisdn",   "future_ts",  "too_old",       "too_large",
};

static const char *const tier_names[CW_TIER__COUNT] = {"unknown", "low", "mid", "high"};
static const char *const churn_kind_names[CW_CHURN__COUNT] = {"port_out", "cancel"};
static const char *const suspend_reason_names[CW_SUSPEND__COUNT] = {"arrears", "request",
                                                                    "loss_report"};
static const char *const channel_names[CW_CHANNEL__COUNT] = {"vip", "hall", "hotline"};

const char *cw_event_type_name(cw_event_type_t type)
{
    return (unsigned)type < CW_EV__COUNT ? type_names[type] : "unknown";
}

const char *cw_dlq_reason_name(cw_dlq_reason_t reason)
{
    return (unsigned)reason < CW_DLQ__COUNT ? reason_names[reason] : "unknown";
}

const char *cw_tier_name(cw_tier_t tier)
{
    return (unsigned)tier < CW_TIER__COUNT ? tier_names[tier] : "unknown";
}

const char *cw_churn_kind_name(cw_churn_kind_t kind)
{
    return (unsigned)kind < CW_CHURN__COUNT ? churn_kind_names[kind] : "unknown";
}

const char *cw_suspend_reason_name(cw_suspend_reason_t reason)
{
    return (unsigned)reason < CW_SUSPEND__COUNT ? suspend_reason_names[reason] : "unknown";
}

const char *cw_channel_name(cw_channel_t channel)
{
    return (unsigned)channel < CW_CHANNEL__COUNT ? channel_names[channel] : "unknown";
}

int cw_tier_parse(const char *name, cw_tier_t *tier)
{
    if (name == NULL)
        return -1;
    for (int t = 0; t < CW_TIER__COUNT; t++) {
        if (strcmp(name, tier_names[t]) == 0) {
            *tier = (cw_tier_t)t;
            return 0;
        }
    }
    return -1;
}

/* The fields the validation looks at, by slot. Both parsers (the flat
 * scanner and jansson) fill the same table, so the checks and their wording
 * exist once. */
enum {
    F_EVENT_ID, F_TYPE, F_MSISDN, F_TS, F_DIRECTION, F_PEER, F_DURATION_S,
    F_CHARGE_FEN, F_BYTES, F_ITEM, F_FROM_FEE_FEN, F_TO_FEE_FEN, F_SEVERITY,
    F_OVERDUE, F_TIER, F_SUBSIDY_END, F_CONTRACT_END, F_KIND, F_TO_OPERATOR, F_REASON,
    F_OWED_FEN, F_MONTHS, F_LEVEL, F_CHANNEL, F_SERVICE, F_FEE_FEN, F__COUNT
};

static const char *const field_names[F__COUNT] = {
    "event_id", "type", "msisdn", "ts", "direction", "peer", "duration_s",
    "charge_fen", "bytes", "item", "from_fee_fen", "to_fee_fen", "severity",
    "overdue", "tier", "subsidy_end", "contract_end", "kind", "to_operator", "reason",
    "owed_fen", "months", "level", "channel", "service", "fee_fen",
};

static int slot_of(const char *key, size_t len)
{
    for (int f = 0; f < F__COUNT; f++)
        if (field_names[f][0] == key[0] && strlen(field_names[f]) == len &&
            memcmp(field_names[f], key, len) == 0)
            return f;
    return -1;
}

/* What one parse needs to report a failure: the record's fields and where
 * the detail goes. Keeps the field helpers' argument lists short. */
typedef struct {
    const cw_jv_t *fields;
    char *detail;
    size_t detail_size;
} parse_ctx_t;

static const cw_jv_t *get(const parse_ctx_t *ctx, int field)
{
    const cw_jv_t *value = &ctx->fields[field];
    return value->kind == CW_JV_ABSENT ? NULL : value;
}

static cw_dlq_reason_t fail(char *detail, size_t size, cw_dlq_reason_t reason,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static cw_dlq_reason_t fail(char *detail, size_t size, cw_dlq_reason_t reason,
                            const char *fmt, ...)
{
    if (detail != NULL && size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, size, fmt, ap);
        va_end(ap);
    }
    return reason;
}

/* How a detail names what it found instead of the expected value: the JSON
 * kind only, never the value, which may be personal data. */
static const char *json_kind(const cw_jv_t *value)
{
    switch (value->kind) {
    case CW_JV_OBJECT:
        return "an object";
    case CW_JV_ARRAY:
        return "an array";
    case CW_JV_STRING:
        return "a string";
    case CW_JV_INT:
        return "an integer";
    case CW_JV_REAL:
        return "a real number";
    case CW_JV_BOOL:
        return "a boolean";
    case CW_JV_NULL:
        return "null";
    case CW_JV_ABSENT:
        break;
    }
    return "an unknown value";
}

static cw_dlq_reason_t missing(parse_ctx_t *ctx, int field, const char *type)
{
    return fail(ctx->detail, ctx->detail_size, CW_DLQ_MISSING_FIELD,
                "%s: missing (required for type %s)", field_names[field], type);
}

static cw_dlq_reason_t get_int_range(parse_ctx_t *ctx, int field, const char *type,
                                     int64_t min, int64_t max, bool required, int64_t *out)
{
    const cw_jv_t *value = get(ctx, field);
    const char *name = field_names[field];
    if (value == NULL) {
        *out = 0;
        return required ? missing(ctx, field, type) : CW_DLQ_NONE;
    }
    if (value->kind != CW_JV_INT)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected an integer %" PRId64 "..%" PRId64 ", got %s", name, min,
                    max, json_kind(value));
    int64_t n = value->integer;
    if (n < min || n > max)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected an integer %" PRId64 "..%" PRId64 ", got %s", name, min,
                    max,
                    n > max ? "a larger integer"
                    : n < 0 ? "a negative integer"
                            : "a smaller integer");
    *out = n;
    return CW_DLQ_NONE;
}

static cw_dlq_reason_t get_int(parse_ctx_t *ctx, int field, const char *type, int64_t max,
                               bool required, int64_t *out)
{
    return get_int_range(ctx, field, type, 0, max, required, out);
}

/* Looks a required string field up; on success the text is borrowed from
 * the record (or the JSON tree). */
static cw_dlq_reason_t get_string(parse_ctx_t *ctx, int field, const char *type,
                                  const char *expected, const char **text, size_t *len)
{
    const cw_jv_t *value = get(ctx, field);
    if (value == NULL)
        return missing(ctx, field, type);
    if (value->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected %s, got %s", field_names[field], expected, json_kind(value));
    *text = value->text;
    *len = value->len;
    return CW_DLQ_NONE;
}

static bool text_is(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len == n && memcmp(text, word, n) == 0;
}

/* A required string field that must be one of `count` words; *out is the
 * word's index. `expected` lists them as the detail says it. */
static cw_dlq_reason_t get_word(parse_ctx_t *ctx, int field, const char *type,
                                const char *expected, const char *const *words, int count,
                                int *out)
{
    const char *text = NULL;
    size_t len = 0;
    cw_dlq_reason_t r = get_string(ctx, field, type, expected, &text, &len);
    if (r != CW_DLQ_NONE)
        return r;
    for (int i = 0; i < count; i++) {
        if (text_is(text, len, words[i])) {
            *out = i;
            return CW_DLQ_NONE;
        }
    }
    return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                "%s: expected %s, got another string", field_names[field], expected);
}

static cw_dlq_reason_t get_direction(parse_ctx_t *ctx, const char *type, bool fwd_ok,
                                     cw_direction_t *direction)
{
    const char *expected = fwd_ok ? "\"mo\", \"mt\" or \"fwd\"" : "\"mo\" or \"mt\"";
    const char *text = NULL;
    size_t len = 0;
    cw_dlq_reason_t r = get_string(ctx, F_DIRECTION, type, expected, &text, &len);
    if (r != CW_DLQ_NONE)
        return r;
    if (text_is(text, len, "mo"))
        *direction = CW_DIR_MO;
    else if (text_is(text, len, "mt"))
        *direction = CW_DIR_MT;
    else if (fwd_ok && text_is(text, len, "fwd"))
        *direction = CW_DIR_FWD;
    else
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "direction: expected %s, got another string", expected);
    return CW_DLQ_NONE;
}

static cw_dlq_reason_t get_peer(parse_ctx_t *ctx, const char *type,
                                const char *country_code, char peer[CW_NUMBER_SIZE])
{
    static const char expected[] = "a number of 3..15 digits";
    const char *text = NULL;
    size_t len = 0;
    cw_dlq_reason_t r = get_string(ctx, F_PEER, type, expected, &text, &len);
    if (r != CW_DLQ_NONE)
        return r;
    if (cw_number_normalise(text, len, country_code, peer) < 0)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "peer: expected %s, got a string that is not one", expected);
    return CW_DLQ_NONE;
}

/* Optional profile date: absent leaves *has false, null means "no date". */
static cw_dlq_reason_t get_date(parse_ctx_t *ctx, int field, bool *has, int32_t *day)
{
    const cw_jv_t *value = get(ctx, field);
    const char *name = field_names[field];
    *day = CW_DAY_NONE;
    if (value == NULL)
        return CW_DLQ_NONE;
    *has = true;
    if (value->kind == CW_JV_NULL)
        return CW_DLQ_NONE;
    if (value->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected a date YYYY-MM-DD or null, got %s", name, json_kind(value));
    if (cw_date_parse_ymd(value->text, value->len, day) != 0)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected a date YYYY-MM-DD or null, got a string that is not a "
                    "real date",
                    name);
    return CW_DLQ_NONE;
}

static cw_dlq_reason_t parse_voice(parse_ctx_t *ctx, const char *cc, cw_event_t *ev)
{
    cw_dlq_reason_t r;
    if ((r = get_direction(ctx, "voice", true, &ev->direction)) != CW_DLQ_NONE)
        return r;
    if ((r = get_peer(ctx, "voice", cc, ev->peer)) != CW_DLQ_NONE)
        return r;
    if ((r = get_int(ctx, F_DURATION_S, "voice", CW_MAX_DURATION_S, true, &ev->duration_s)) !=
        CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_CHARGE_FEN, "voice", CW_MAX_FEN, false, &ev->charge_fen);
}

static cw_dlq_reason_t parse_sms(parse_ctx_t *ctx, const char *cc, cw_event_t *ev)
{
    cw_dlq_reason_t r;
    if ((r = get_direction(ctx, "sms", false, &ev->direction)) != CW_DLQ_NONE)
        return r;
    if ((r = get_peer(ctx, "sms", cc, ev->peer)) != CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_CHARGE_FEN, "sms", CW_MAX_FEN, false, &ev->charge_fen);
}

static cw_dlq_reason_t parse_data(parse_ctx_t *ctx, cw_event_t *ev)
{
    cw_dlq_reason_t r = get_int(ctx, F_BYTES, "data", CW_MAX_BYTES, true, &ev->bytes);
    if (r != CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_CHARGE_FEN, "data", CW_MAX_FEN, false, &ev->charge_fen);
}

static cw_dlq_reason_t parse_charge(parse_ctx_t *ctx, cw_event_t *ev)
{
    cw_dlq_reason_t r = get_int(ctx, F_CHARGE_FEN, "charge", CW_MAX_FEN, true, &ev->charge_fen);
    if (r != CW_DLQ_NONE)
        return r;
    const cw_jv_t *item = get(ctx, F_ITEM);
    if (item != NULL && item->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "item: expected a string, got %s", json_kind(item));
    /* value-added service fees feed the monthly vas_fen (SPEC section 14) */
    ev->vas_item = item != NULL && item->len >= 4 && memcmp(item->text, "vas:", 4) == 0;
    return CW_DLQ_NONE;
}

static cw_dlq_reason_t parse_plan_change(parse_ctx_t *ctx, cw_event_t *ev)
{
    cw_dlq_reason_t r =
        get_int(ctx, F_FROM_FEE_FEN, "plan_change", CW_MAX_FEN, true, &ev->from_fee_fen);
    if (r != CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_TO_FEE_FEN, "plan_change", CW_MAX_FEN, true, &ev->to_fee_fen);
}

static cw_dlq_reason_t parse_complaint(parse_ctx_t *ctx, cw_event_t *ev)
{
    static const char expected[] = "\"normal\" or \"serious\"";
    const char *text = NULL;
    size_t len = 0;
    cw_dlq_reason_t r = get_string(ctx, F_SEVERITY, "complaint", expected, &text, &len);
    if (r != CW_DLQ_NONE)
        return r;
    if (text_is(text, len, "serious"))
        ev->serious = true;
    else if (!text_is(text, len, "normal"))
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "severity: expected %s, got another string", expected);
    const cw_jv_t *overdue = get(ctx, F_OVERDUE);
    if (overdue != NULL) {
        if (overdue->kind != CW_JV_BOOL)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "overdue: expected a boolean, got %s", json_kind(overdue));
        ev->overdue = overdue->boolean;
    }
    return CW_DLQ_NONE;
}

/* UTF-8 code points: every byte that is not a continuation byte starts one.
 * Both parsers accept valid UTF-8 only. */
static size_t utf8_chars(const char *text, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)text[i] & 0xC0) != 0x80;
    return chars;
}

/* Copies a string value of 1..max_chars characters into out[size]; the
 * detail's wording is event_id's. Valid UTF-8 spends at most 4 bytes a
 * character, so the text fits whenever the count does. */
static cw_dlq_reason_t copy_text(parse_ctx_t *ctx, const cw_jv_t *value, const char *name,
                                 size_t max_chars, char *out, size_t size)
{
    if (value->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected a string of 1..%zu characters, got %s", name, max_chars,
                    json_kind(value));
    size_t chars = utf8_chars(value->text, value->len);
    if (chars < 1 || chars > max_chars || value->len >= size)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "%s: expected a string of 1..%zu characters, got %s", name, max_chars,
                    chars == 0 ? "an empty string" : "a longer string");
    if (out != NULL) {
        memcpy(out, value->text, value->len);
        out[value->len] = '\0';
    }
    return CW_DLQ_NONE;
}

static cw_dlq_reason_t parse_churn(parse_ctx_t *ctx, cw_event_t *ev)
{
    static const char expected[] = "\"port_out\" or \"cancel\"";
    /* SPEC section 10: a churn without its kind is bad_field, not
     * missing_field */
    if (get(ctx, F_KIND) == NULL)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "kind: missing (required for type churn; expected %s)", expected);
    int kind = 0;
    cw_dlq_reason_t r =
        get_word(ctx, F_KIND, "churn", expected, churn_kind_names, CW_CHURN__COUNT, &kind);
    if (r != CW_DLQ_NONE)
        return r;
    ev->churn_kind = (cw_churn_kind_t)kind;
    const cw_jv_t *to = get(ctx, F_TO_OPERATOR);
    if (to == NULL)
        return CW_DLQ_NONE;
    return copy_text(ctx, to, "to_operator", CW_TO_OPERATOR_MAX_CHARS, ev->to_operator,
                     sizeof ev->to_operator);
}

static cw_dlq_reason_t parse_suspend(parse_ctx_t *ctx, cw_event_t *ev)
{
    int reason = 0;
    cw_dlq_reason_t r =
        get_word(ctx, F_REASON, "suspend", "\"arrears\", \"request\" or \"loss_report\"",
                 suspend_reason_names, CW_SUSPEND__COUNT, &reason);
    ev->suspend_reason = (cw_suspend_reason_t)reason;
    return r;
}

static cw_dlq_reason_t parse_arrears(parse_ctx_t *ctx, cw_event_t *ev)
{
    cw_dlq_reason_t r = get_int(ctx, F_OWED_FEN, "arrears", CW_MAX_FEN, true, &ev->owed_fen);
    if (r != CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_MONTHS, "arrears", CW_MAX_MONTHS_OWED, true, &ev->months_owed);
}

static cw_dlq_reason_t parse_fault(parse_ctx_t *ctx, cw_event_t *ev)
{
    int64_t level = 0;
    cw_dlq_reason_t r =
        get_int_range(ctx, F_LEVEL, "fault", 1, CW_FAULT_LEVEL_MAX, true, &level);
    ev->fault_level = (int)level;
    return r;
}

static cw_dlq_reason_t parse_service(parse_ctx_t *ctx, cw_event_t *ev)
{
    int channel = 0;
    cw_dlq_reason_t r =
        get_word(ctx, F_CHANNEL, "service", "\"vip\", \"hall\" or \"hotline\"",
                 channel_names, CW_CHANNEL__COUNT, &channel);
    ev->channel = (cw_channel_t)channel;
    return r;
}

static cw_dlq_reason_t parse_subscribe(parse_ctx_t *ctx, cw_event_t *ev)
{
    const cw_jv_t *service = get(ctx, F_SERVICE);
    if (service == NULL)
        return missing(ctx, F_SERVICE, "subscribe");
    /* the name is checked, not kept: only the count of new services matters */
    cw_dlq_reason_t r = copy_text(ctx, service, "service", CW_SERVICE_MAX_CHARS, NULL,
                                  CW_SERVICE_MAX_CHARS * 4 + 1);
    if (r != CW_DLQ_NONE)
        return r;
    return get_int(ctx, F_FEE_FEN, "subscribe", CW_MAX_FEN, false, &ev->fee_fen);
}

static cw_dlq_reason_t parse_profile(parse_ctx_t *ctx, cw_event_t *ev)
{
    static const char expected[] = "\"high\", \"mid\" or \"low\"";
    const cw_jv_t *tier = get(ctx, F_TIER);
    if (tier != NULL) {
        if (tier->kind != CW_JV_STRING)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "tier: expected %s, got %s", expected, json_kind(tier));
        /* "unknown" is the state before any profile, not something CRM may say */
        if (text_is(tier->text, tier->len, "high"))
            ev->tier = CW_TIER_HIGH;
        else if (text_is(tier->text, tier->len, "mid"))
            ev->tier = CW_TIER_MID;
        else if (text_is(tier->text, tier->len, "low"))
            ev->tier = CW_TIER_LOW;
        else
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "tier: expected %s, got another string", expected);
        ev->has_tier = true;
    }
    cw_dlq_reason_t r = get_date(ctx, F_SUBSIDY_END, &ev->has_subsidy_end, &ev->subsidy_end);
    if (r != CW_DLQ_NONE)
        return r;
    return get_date(ctx, F_CONTRACT_END, &ev->has_contract_end, &ev->contract_end);
}

/* Maps the type string by length first, so most records cost one memcmp
 * (the CDR types, by far the most frequent, are tried first). */
static int type_from_text(const char *text, size_t len)
{
    switch (len) {
    case 3:
        return memcmp(text, "sms", 3) == 0 ? CW_EV_SMS : -1;
    case 4:
        return memcmp(text, "data", 4) == 0 ? CW_EV_DATA : -1;
    case 5:
        if (memcmp(text, "voice", 5) == 0)
            return CW_EV_VOICE;
        if (memcmp(text, "churn", 5) == 0)
            return CW_EV_CHURN;
        return memcmp(text, "fault", 5) == 0 ? CW_EV_FAULT : -1;
    case 6:
        return memcmp(text, "charge", 6) == 0 ? CW_EV_CHARGE : -1;
    case 7:
        if (memcmp(text, "profile", 7) == 0)
            return CW_EV_PROFILE;
        if (memcmp(text, "suspend", 7) == 0)
            return CW_EV_SUSPEND;
        if (memcmp(text, "arrears", 7) == 0)
            return CW_EV_ARREARS;
        return memcmp(text, "service", 7) == 0 ? CW_EV_SERVICE : -1;
    case 9:
        if (memcmp(text, "complaint", 9) == 0)
            return CW_EV_COMPLAINT;
        return memcmp(text, "subscribe", 9) == 0 ? CW_EV_SUBSCRIBE : -1;
    case 11:
        return memcmp(text, "plan_change", 11) == 0 ? CW_EV_PLAN_CHANGE : -1;
    default:
        return -1;
    }
}


static cw_dlq_reason_t parse_ts(parse_ctx_t *ctx, const cw_jv_t *value, int64_t *ts_ms)
{
    static const char expected[] =
        "epoch milliseconds 0..253402300799999 or an RFC 3339 string with offset";
    int64_t ms;
    if (value->kind == CW_JV_INT) {
        ms = value->integer;
        if (ms < 0 || ms > CW_MAX_TS_MS)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "ts: expected %s, got an integer out of range", expected);
    } else if (value->kind == CW_JV_STRING) {
        if (cw_date_parse_rfc3339(value->text, value->len, &ms) != 0)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "ts: expected %s, got a string that is not one", expected);
        if (ms < 0 || ms > CW_MAX_TS_MS)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                        "ts: expected %s, got a time out of range", expected);
    } else {
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD, "ts: expected %s, got %s",
                    expected, json_kind(value));
    }
    *ts_ms = ms;
    return CW_DLQ_NONE;
}

/* jansson's message without its " near '<text>'" context, which quotes the
 * record and so may carry a phone number; control bytes become '?' so the
 * detail stays one line. */
static cw_dlq_reason_t json_error_detail(const json_error_t *err, char *detail,
                                         size_t size)
{
    if (json_error_code(err) == json_error_numeric_overflow) {
        bool integer = strncmp(err->text, "real", 4) != 0;
        return fail(detail, size, CW_DLQ_BAD_FIELD, "%s out of range at position %d",
                    integer ? "integer" : "number", err->position);
    }
    char text[JSON_ERROR_TEXT_LENGTH];
    snprintf(text, sizeof text, "%s", err->text);
    char *near = strstr(text, " near '");
    if (near != NULL)
        *near = '\0';
    for (char *p = text; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return fail(detail, size, CW_DLQ_INVALID_JSON, "%s at position %d",
                text[0] != '\0' ? text : "malformed JSON", err->position);
}

static cw_dlq_reason_t validate(parse_ctx_t *ctx, const char *country_code, cw_event_t *ev)
{
    static const int common[] = {F_EVENT_ID, F_TYPE, F_MSISDN, F_TS};
    for (int i = 0; i < 4; i++)
        if (get(ctx, common[i]) == NULL)
            return fail(ctx->detail, ctx->detail_size, CW_DLQ_MISSING_FIELD,
                        "%s: missing (required for every event)", field_names[common[i]]);
    const cw_jv_t *event_id = get(ctx, F_EVENT_ID), *type = get(ctx, F_TYPE),
                  *msisdn = get(ctx, F_MSISDN), *ts = get(ctx, F_TS);

    if (type->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_FIELD,
                    "type: expected a string, got %s", json_kind(type));
    int t = type_from_text(type->text, type->len);
    if (t < 0)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_UNKNOWN_TYPE,
                    "type: expected voice, sms, data, charge, plan_change, complaint, "
                    "profile, churn, suspend, arrears, fault, service or subscribe, got "
                    "another string");
    ev->type = (cw_event_type_t)t;

    cw_dlq_reason_t r = copy_text(ctx, event_id, "event_id", CW_EVENT_ID_MAX_CHARS,
                                  ev->event_id, sizeof ev->event_id);
    if (r != CW_DLQ_NONE)
        return r;

    if (msisdn->kind != CW_JV_STRING)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_MSISDN,
                    "msisdn: expected a number of 3..15 digits, got %s", json_kind(msisdn));
    if (cw_number_normalise(msisdn->text, msisdn->len, country_code, ev->msisdn) < 0)
        return fail(ctx->detail, ctx->detail_size, CW_DLQ_BAD_MSISDN,
                    "msisdn: expected a number of 3..15 digits, got a string that is not "
                    "one");

    r = parse_ts(ctx, ts, &ev->ts_ms);
    if (r != CW_DLQ_NONE)
        return r;

    switch (ev->type) {
    case CW_EV_VOICE:
        return parse_voice(ctx, country_code, ev);
    case CW_EV_SMS:
        return parse_sms(ctx, country_code, ev);
    case CW_EV_DATA:
        return parse_data(ctx, ev);
    case CW_EV_CHARGE:
        return parse_charge(ctx, ev);
    case CW_EV_PLAN_CHANGE:
        return parse_plan_change(ctx, ev);
    case CW_EV_COMPLAINT:
        return parse_complaint(ctx, ev);
    case CW_EV_PROFILE:
        return parse_profile(ctx, ev);
    case CW_EV_CHURN:
        return parse_churn(ctx, ev);
    case CW_EV_SUSPEND:
        return parse_suspend(ctx, ev);
    case CW_EV_ARREARS:
        return parse_arrears(ctx, ev);
    case CW_EV_FAULT:
        return parse_fault(ctx, ev);
    case CW_EV_SERVICE:
        return parse_service(ctx, ev);
    case CW_EV_SUBSCRIBE:
        return parse_subscribe(ctx, ev);
    case CW_EV__COUNT:
        break;
    }
    return CW_DLQ_NONE;
}

static void from_json(const json_t *json, cw_jv_t *value)
{
    switch (json_typeof(json)) {
    case JSON_OBJECT:
        value->kind = CW_JV_OBJECT;
        break;
    case JSON_ARRAY:
        value->kind = CW_JV_ARRAY;
        break;
    case JSON_STRING:
        value->kind = CW_JV_STRING;
        value->text = json_string_value(json);
        value->len = json_string_length(json);
        break;
    case JSON_INTEGER:
        value->kind = CW_JV_INT;
        value->integer = (int64_t)json_integer_value(json);
        break;
    case JSON_REAL:
        value->kind = CW_JV_REAL;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        value->kind = CW_JV_BOOL;
        value->boolean = json_is_true(json);
        break;
    case JSON_NULL:
        value->kind = CW_JV_NULL;
        break;
    }
}

static void reset(cw_event_t *event, char *detail, size_t detail_size)
{
    memset(event, 0, sizeof *event);
    event->subsidy_end = CW_DAY_NONE;
    event->contract_end = CW_DAY_NONE;
    if (detail != NULL && detail_size > 0)
        detail[0] = '\0';
}

cw_dlq_reason_t cw_event_parse_reference(const char *value, size_t len,
                                         const char *country_code, cw_event_t *event,
                                         char *detail, size_t detail_size)
{
    reset(event, detail, detail_size);
    if (len > CW_EVENT_MAX_BYTES)
        return fail(detail, detail_size, CW_DLQ_TOO_LARGE,
                    "value: expected at most %d bytes, got more", CW_EVENT_MAX_BYTES);
    if (value == NULL) {
        value = "";
        len = 0;
    }
    json_error_t err;
    /* DECODE_ANY so that a bare scalar is valid JSON and reported as
     * not_object rather than invalid_json */
    json_t *root = json_loadb(value, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (root == NULL)
        return json_error_detail(&err, detail, detail_size);

    cw_dlq_reason_t r;
    cw_jv_t fields[F__COUNT] = {0};
    if (!json_is_object(root)) {
        cw_jv_t top = {0};
        from_json(root, &top);
        r = fail(detail, detail_size, CW_DLQ_NOT_OBJECT, "value: expected an object, got %s",
                 json_kind(&top));
    } else {
        const char *key;
        json_t *member;
        json_object_foreach(root, key, member) {
            int slot = slot_of(key, strlen(key));
            if (slot >= 0)
                from_json(member, &fields[slot]);
        }
        parse_ctx_t ctx = {fields, detail, detail_size};
        r = validate(&ctx, country_code, event);
    }
    json_decref(root);
    return r;
}

cw_dlq_reason_t cw_event_parse(const char *value, size_t len, const char *country_code,
                               cw_event_t *event, char *detail, size_t detail_size)
{
    cw_jv_t fields[F__COUNT] = {0};
    if (value != NULL && len <= CW_EVENT_MAX_BYTES &&
        cw_jsonflat_scan(value, len, slot_of, fields) == 0) {
        reset(event, detail, detail_size);
        parse_ctx_t ctx = {fields, detail, detail_size};
        return validate(&ctx, country_code, event);
    }
    return cw_event_parse_reference(value, len, country_code, event, detail, detail_size);
}

cw_dlq_reason_t cw_event_check_time(const cw_event_t *event, int64_t now_ms,
                                    int64_t max_future_ms, int32_t stream_week,
                                    int weeks_kept, int32_t utc_offset_s, char *detail,
                                    size_t detail_size)
{
    if (detail != NULL && detail_size > 0)
        detail[0] = '\0';
    if (event->ts_ms - now_ms > max_future_ms)
        return fail(detail, detail_size, CW_DLQ_FUTURE_TS,
                    "ts: expected at most %" PRId64
                    " ms ahead of the wall clock, got later",
                    max_future_ms);
    if (stream_week != INT32_MIN) {
        int64_t oldest = (int64_t)stream_week - (weeks_kept - 1);
        if (cw_week_of_ms(event->ts_ms, utc_offset_s) < oldest) {
            char label[CW_WEEK_LABEL_SIZE];
            cw_week_label((int32_t)oldest, label);
            return fail(
                detail, detail_size, CW_DLQ_TOO_OLD,
                "ts: expected week %s or later (weeks_kept %d), got an older week", label,
                weeks_kept);
        }
    }
    return CW_DLQ_NONE;
}
