/* Check suite for event.c: parsing and validating input records, and the DLQ
 * reason (with a detail free of personal data) for every kind of bad one. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "date.h"
#include "event.h"
#include "week.h"

#define CC "86"
/* 2026-11-16T17:00:00Z = Tuesday 01:00 at +08:00, ISO week 2026-W47 */
#define TS_MS 1794848400000LL
#define COMMON "\"event_id\":\"e-1\",\"msisdn\":\"13800138000\",\"ts\":1794848400000"

static char detail[CW_DETAIL_SIZE];

static cw_dlq_reason_t parse(const char *json, cw_event_t *ev)
{
    return cw_event_parse(json, strlen(json), CC, ev, detail, sizeof detail);
}

/* Replaces the one '@' in `tmpl` with `value`. */
static const char *fill(const char *tmpl, const char *value)
{
    static char out[1024];
    const char *at = strchr(tmpl, '@');
    ck_assert_ptr_nonnull(at);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - tmpl), tmpl, value, at + 1);
    return out;
}

/* ---- names ---- */

START_TEST(names_are_the_spec_words)
{
    ck_assert_str_eq(cw_event_type_name(CW_EV_VOICE), "voice");
    ck_assert_str_eq(cw_event_type_name(CW_EV_SMS), "sms");
    ck_assert_str_eq(cw_event_type_name(CW_EV_DATA), "data");
    ck_assert_str_eq(cw_event_type_name(CW_EV_CHARGE), "charge");
    ck_assert_str_eq(cw_event_type_name(CW_EV_PLAN_CHANGE), "plan_change");
    ck_assert_str_eq(cw_event_type_name(CW_EV_COMPLAINT), "complaint");
    ck_assert_str_eq(cw_event_type_name(CW_EV_PROFILE), "profile");
    ck_assert_str_eq(cw_event_type_name(CW_EV_CHURN), "churn");
    ck_assert_str_eq(cw_event_type_name(CW_EV_SUSPEND), "suspend");
    ck_assert_str_eq(cw_event_type_name(CW_EV_ARREARS), "arrears");
    ck_assert_str_eq(cw_event_type_name(CW_EV_FAULT), "fault");
    ck_assert_str_eq(cw_event_type_name(CW_EV_SERVICE), "service");
    ck_assert_str_eq(cw_event_type_name(CW_EV_SUBSCRIBE), "subscribe");
    ck_assert_str_eq(cw_event_type_name(CW_EV__COUNT), "unknown");
    /* the numbering of the first seven is stored and exported: it stays */
    ck_assert_int_eq(CW_EV_PROFILE, 6);
    ck_assert_int_eq(CW_EV_CHURN, 7);
    ck_assert_int_eq(CW_EV__COUNT, 13);
    ck_assert_str_eq(cw_churn_kind_name(CW_CHURN_PORT_OUT), "port_out");
    ck_assert_str_eq(cw_churn_kind_name(CW_CHURN_CANCEL), "cancel");
    ck_assert_str_eq(cw_churn_kind_name(CW_CHURN__COUNT), "unknown");
    ck_assert_str_eq(cw_suspend_reason_name(CW_SUSPEND_ARREARS), "arrears");
    ck_assert_str_eq(cw_suspend_reason_name(CW_SUSPEND_REQUEST), "request");
    ck_assert_str_eq(cw_suspend_reason_name(CW_SUSPEND_LOSS_REPORT), "loss_report");
    ck_assert_str_eq(cw_channel_name(CW_CHANNEL_VIP), "vip");
    ck_assert_str_eq(cw_channel_name(CW_CHANNEL_HALL), "hall");
    ck_assert_str_eq(cw_channel_name(CW_CHANNEL_HOTLINE), "hotline");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_INVALID_JSON), "invalid_json");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_NOT_OBJECT), "not_object");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_MISSING_FIELD), "missing_field");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_BAD_FIELD), "bad_field");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_UNKNOWN_TYPE), "unknown_type");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_BAD_MSISDN), "bad_msisdn");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_FUTURE_TS), "future_ts");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_TOO_OLD), "too_old");
    ck_assert_str_eq(cw_dlq_reason_name(CW_DLQ_TOO_LARGE), "too_large");
}
END_TEST

START_TEST(tier_names_round_trip)
{
    static const char *const names[] = {"unknown", "low", "mid", "high"};
    for (int t = 0; t < CW_TIER__COUNT; t++) {
        cw_tier_t tier = CW_TIER__COUNT;
        ck_assert_str_eq(cw_tier_name((cw_tier_t)t), names[t]);
        ck_assert_int_eq(cw_tier_parse(names[t], &tier), 0);
        ck_assert_int_eq(tier, t);
    }
    cw_tier_t tier = CW_TIER_LOW;
    ck_assert_int_eq(cw_tier_parse("High", &tier), -1);
    ck_assert_int_eq(cw_tier_parse("", &tier), -1);
    ck_assert_int_eq(tier, CW_TIER_LOW);
}
END_TEST

/* ---- every type, every field ---- */

START_TEST(voice_fills_every_field)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"voice\",\"direction\":\"mt\","
              "\"peer\":\"+8613900139000\",\"duration_s\":125,\"charge_fen\":30}",
              &ev),
        CW_DLQ_NONE);
    ck_assert_str_eq(detail, "");
    ck_assert_int_eq(ev.type, CW_EV_VOICE);
    ck_assert_str_eq(ev.msisdn, "13800138000");
    ck_assert_int_eq(ev.ts_ms, TS_MS);
    ck_assert_int_eq(ev.direction, CW_DIR_MT);
    ck_assert_str_eq(ev.peer, "13900139000");
    ck_assert_int_eq(ev.duration_s, 125);
    ck_assert_int_eq(ev.charge_fen, 30);
}
END_TEST

START_TEST(voice_directions_and_default_charge)
{
    static const char *const dirs[] = {"mo", "mt", "fwd"};
    static const cw_direction_t want[] = {CW_DIR_MO, CW_DIR_MT, CW_DIR_FWD};
    for (int i = 0; i < 3; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{" COMMON ",\"type\":\"voice\",\"direction\":\"%s\",\"peer\":\"10010\","
                 "\"duration_s\":0}",
                 dirs[i]);
        cw_event_t ev;
        ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
        ck_assert_int_eq(ev.direction, want[i]);
        ck_assert_int_eq(ev.charge_fen, 0);
        ck_assert_int_eq(ev.duration_s, 0);
        ck_assert_str_eq(ev.peer, "10010");
    }
}
END_TEST

START_TEST(voice_duration_limits)
{
    cw_event_t ev;
    const char *tmpl =
        "{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":\"10010\","
        "\"duration_s\":@}";
    ck_assert_int_eq(parse(fill(tmpl, "2678400"), &ev), CW_DLQ_NONE);
    ck_assert_int_eq(ev.duration_s, CW_MAX_DURATION_S);
    ck_assert_int_eq(parse(fill(tmpl, "2678401"), &ev), CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "duration_s: expected an integer 0..2678400, got a larger integer");
    ck_assert_int_eq(parse(fill(tmpl, "-1"), &ev), CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(
        detail, "duration_s: expected an integer 0..2678400, got a negative integer");
    ck_assert_int_eq(parse(fill(tmpl, "\"60\""), &ev), CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "duration_s: expected an integer 0..2678400, got a string");
}
END_TEST

START_TEST(sms_fills_fields_and_rejects_fwd)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"sms\",\"direction\":\"mo\","
                           "\"peer\":\"0086 13900139000\"}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "peer: expected a number of 3..15 digits, got a string that is "
                     "not one");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"sms\",\"direction\":\"mo\","
                           "\"peer\":\"008613900139000\",\"charge_fen\":10}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_SMS);
    ck_assert_int_eq(ev.direction, CW_DIR_MO);
    ck_assert_str_eq(ev.peer, "13900139000");
    ck_assert_int_eq(ev.charge_fen, 10);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"sms\",\"direction\":\"mt\","
                           "\"peer\":\"10086\"}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.charge_fen, 0);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"sms\",\"direction\":\"fwd\","
                           "\"peer\":\"10086\"}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "direction: expected \"mo\" or \"mt\", got another string");
}
END_TEST

START_TEST(data_fills_fields)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"data\",\"bytes\":1000000000000000,"
                           "\"charge_fen\":100000000000}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_DATA);
    ck_assert_int_eq(ev.bytes, CW_MAX_BYTES);
    ck_assert_int_eq(ev.charge_fen, CW_MAX_FEN);
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"data\",\"bytes\":1000000000000001}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"data\",\"bytes\":5,"
                           "\"charge_fen\":100000000001}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(
        detail, "charge_fen: expected an integer 0..100000000000, got a larger integer");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"data\",\"bytes\":0}", &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.charge_fen, 0);
}
END_TEST

START_TEST(charge_needs_charge_fen_and_string_item)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":5800,"
                           "\"item\":\"rental\"}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_CHARGE);
    ck_assert_int_eq(ev.charge_fen, 5800);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":1}", &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"item\":\"rental\"}", &ev),
                     CW_DLQ_MISSING_FIELD);
    ck_assert_str_eq(detail, "charge_fen: missing (required for type charge)");
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":1,\"item\":7}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "item: expected a string, got an integer");
}
END_TEST

START_TEST(charge_item_starting_with_vas_is_a_value_added_fee)
{
    static const struct {
        const char *item; /* NULL: no item field */
        bool vas;
    } rows[] = {
        {"vas:music", true}, {"vas:", true},     {"vas", false},    {"VAS:music", false},
        {" vas:x", false},   {"rental", false},  {"xvas:y", false}, {NULL, false},
        {"vas:\u97f3", true}, /* escaped: the reference path decides */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char json[256];
        if (rows[i].item != NULL)
            snprintf(json, sizeof json,
                     "{" COMMON ",\"type\":\"charge\",\"charge_fen\":900,\"item\":\"%s\"}",
                     rows[i].item);
        else
            snprintf(json, sizeof json, "{" COMMON ",\"type\":\"charge\",\"charge_fen\":900}");
        cw_event_t ev;
        ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
        ck_assert_msg(ev.vas_item == rows[i].vas, "%s", json);
        ck_assert_int_eq(ev.charge_fen, 900);
    }
}
END_TEST

START_TEST(event_id_is_kept_as_sent)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"data\",\"bytes\":1}", &ev), CW_DLQ_NONE);
    ck_assert_str_eq(ev.event_id, "e-1");
    /* an escape takes the jansson path; the id is the decoded text */
    ck_assert_int_eq(parse("{\"event_id\":\"crm\\u002d9\\u4e2d\",\"msisdn\":\"10086\",\"ts\":0,"
                           "\"type\":\"data\",\"bytes\":1}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_str_eq(ev.event_id, "crm-9\xe4\xb8\xad");
}
END_TEST

START_TEST(churn_fills_kind_and_to_operator)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"churn\",\"kind\":\"port_out\","
                           "\"to_operator\":\"unicom\"}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_CHURN);
    ck_assert_int_eq(ev.churn_kind, CW_CHURN_PORT_OUT);
    ck_assert_str_eq(ev.to_operator, "unicom");
    ck_assert_str_eq(ev.event_id, "e-1");
    ck_assert_int_eq(ev.charge_fen, 0);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"churn\",\"kind\":\"cancel\"}", &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.churn_kind, CW_CHURN_CANCEL);
    ck_assert_str_eq(ev.to_operator, "");
}
END_TEST

/* SPEC section 10 words it so: a churn without its kind is bad_field, not
 * missing_field as the other types' own fields are. */
START_TEST(churn_kind_missing_or_unknown_is_bad_field)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"churn\",\"to_operator\":\"unicom\"}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "kind: missing (required for type churn; expected \"port_out\" "
                             "or \"cancel\")");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"churn\",\"kind\":\"moved\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "kind: expected \"port_out\" or \"cancel\", got another string");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"churn\",\"kind\":\"PORT_OUT\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"churn\",\"kind\":null}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "kind: expected \"port_out\" or \"cancel\", got null");
}
END_TEST

START_TEST(churn_to_operator_must_be_a_short_string)
{
    cw_event_t ev;
    static const struct {
        const char *value;
        const char *detail;
    } rows[] = {
        {"7", "to_operator: expected a string of 1..64 characters, got an integer"},
        {"null", "to_operator: expected a string of 1..64 characters, got null"},
        {"[\"unicom\"]", "to_operator: expected a string of 1..64 characters, got an array"},
        {"\"\"", "to_operator: expected a string of 1..64 characters, got an empty string"},
        {"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         "to_operator: expected a string of 1..64 characters, got a longer string"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *json = fill("{" COMMON ",\"type\":\"churn\",\"kind\":\"cancel\","
                                "\"to_operator\":@}",
                                rows[i].value);
        ck_assert_msg(parse(json, &ev) == CW_DLQ_BAD_FIELD, "%s", json);
        ck_assert_str_eq(detail, rows[i].detail);
    }
    /* 64 characters of three bytes each fit */
    char name[64 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(name, "\xe8\x81\x94"); /* U+8054 */
    char json[512];
    snprintf(json, sizeof json,
             "{" COMMON ",\"type\":\"churn\",\"kind\":\"port_out\",\"to_operator\":\"%s\"}",
             name);
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
    ck_assert_str_eq(ev.to_operator, name);
}
END_TEST

START_TEST(suspend_reasons)
{
    static const char *const names[] = {"arrears", "request", "loss_report"};
    static const cw_suspend_reason_t want[] = {CW_SUSPEND_ARREARS, CW_SUSPEND_REQUEST,
                                               CW_SUSPEND_LOSS_REPORT};
    cw_event_t ev;
    for (int i = 0; i < 3; i++) {
        char json[256];
        snprintf(json, sizeof json, "{" COMMON ",\"type\":\"suspend\",\"reason\":\"%s\"}",
                 names[i]);
        ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
        ck_assert_int_eq(ev.type, CW_EV_SUSPEND);
        ck_assert_int_eq(ev.suspend_reason, want[i]);
    }
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"suspend\",\"reason\":\"theft\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "reason: expected \"arrears\", \"request\" or \"loss_report\", "
                             "got another string");
}
END_TEST

START_TEST(arrears_amount_and_months_limits)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"arrears\",\"owed_fen\":15800,\"months\":2}", &ev),
        CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_ARREARS);
    ck_assert_int_eq(ev.owed_fen, 15800);
    ck_assert_int_eq(ev.months_owed, 2);
    ck_assert_int_eq(ev.charge_fen, 0); /* what is owed is not spend */
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"arrears\",\"owed_fen\":0,\"months\":0}", &ev),
        CW_DLQ_NONE);
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"arrears\",\"owed_fen\":100000000000,\"months\":1200}",
              &ev),
        CW_DLQ_NONE);
    ck_assert_int_eq(ev.months_owed, 1200);
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"arrears\",\"owed_fen\":1,\"months\":1201}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "months: expected an integer 0..1200, got a larger integer");
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"arrears\",\"owed_fen\":-1,\"months\":1}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "owed_fen: expected an integer 0..100000000000, got a negative integer");
}
END_TEST

START_TEST(fault_level_is_one_to_three)
{
    cw_event_t ev;
    for (int level = 1; level <= 3; level++) {
        char json[256];
        snprintf(json, sizeof json, "{" COMMON ",\"type\":\"fault\",\"level\":%d}", level);
        ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
        ck_assert_int_eq(ev.type, CW_EV_FAULT);
        ck_assert_int_eq(ev.fault_level, level);
    }
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"fault\",\"level\":0}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "level: expected an integer 1..3, got a smaller integer");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"fault\",\"level\":4}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "level: expected an integer 1..3, got a larger integer");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"fault\",\"level\":-2}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "level: expected an integer 1..3, got a negative integer");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"fault\",\"level\":\"3\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "level: expected an integer 1..3, got a string");
}
END_TEST

START_TEST(service_channels)
{
    static const char *const names[] = {"vip", "hall", "hotline"};
    static const cw_channel_t want[] = {CW_CHANNEL_VIP, CW_CHANNEL_HALL, CW_CHANNEL_HOTLINE};
    cw_event_t ev;
    for (int i = 0; i < 3; i++) {
        char json[256];
        snprintf(json, sizeof json, "{" COMMON ",\"type\":\"service\",\"channel\":\"%s\"}",
                 names[i]);
        ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
        ck_assert_int_eq(ev.type, CW_EV_SERVICE);
        ck_assert_int_eq(ev.channel, want[i]);
    }
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"service\",\"channel\":\"VIP\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "channel: expected \"vip\", \"hall\" or \"hotline\", got another string");
}
END_TEST

START_TEST(subscribe_needs_a_service_name_and_defaults_the_fee)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"subscribe\",\"service\":\"vas:music\"}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_SUBSCRIBE);
    ck_assert_int_eq(ev.fee_fen, 0);
    ck_assert_int_eq(ev.charge_fen, 0); /* a fee is not a charge */
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"subscribe\",\"service\":\"x\","
                           "\"fee_fen\":1500}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.fee_fen, 1500);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"subscribe\",\"service\":\"\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "service: expected a string of 1..64 characters, got an empty string");
    char json[256];
    snprintf(json, sizeof json,
             "{" COMMON ",\"type\":\"subscribe\",\"service\":\"%s\"}",
             "0123456789012345678901234567890123456789012345678901234567890123");
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
    snprintf(json, sizeof json,
             "{" COMMON ",\"type\":\"subscribe\",\"service\":\"%s\"}",
             "01234567890123456789012345678901234567890123456789012345678901234");
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "service: expected a string of 1..64 characters, got a longer string");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"subscribe\",\"service\":\"x\","
                           "\"fee_fen\":-5}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
}
END_TEST

START_TEST(plan_change_fills_fees)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"plan_change\",\"from_fee_fen\":12800,"
                           "\"to_fee_fen\":5800}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_PLAN_CHANGE);
    ck_assert_int_eq(ev.from_fee_fen, 12800);
    ck_assert_int_eq(ev.to_fee_fen, 5800);
    ck_assert_int_eq(ev.charge_fen, 0);
}
END_TEST

START_TEST(complaint_severity_and_overdue)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"complaint\",\"severity\":\"normal\"}", &ev),
        CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_COMPLAINT);
    ck_assert(!ev.serious);
    ck_assert(!ev.overdue);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"complaint\",\"severity\":\"serious\","
                           "\"overdue\":true}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert(ev.serious);
    ck_assert(ev.overdue);
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"complaint\",\"severity\":\"normal\","
                           "\"overdue\":false}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert(!ev.overdue);
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"complaint\",\"severity\":\"urgent\"}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "severity: expected \"normal\" or \"serious\", got another string");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"complaint\",\"severity\":\"normal\","
                           "\"overdue\":1}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "overdue: expected a boolean, got an integer");
}
END_TEST

START_TEST(profile_with_every_field)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"profile\",\"tier\":\"high\","
              "\"subsidy_end\":\"2027-02-28\",\"contract_end\":\"2026-12-10\"}",
              &ev),
        CW_DLQ_NONE);
    ck_assert_int_eq(ev.type, CW_EV_PROFILE);
    ck_assert(ev.has_tier && ev.has_subsidy_end && ev.has_contract_end);
    ck_assert_int_eq(ev.tier, CW_TIER_HIGH);
    ck_assert_int_eq(ev.subsidy_end, cw_date_from_civil(2027, 2, 28));
    ck_assert_int_eq(ev.contract_end, cw_date_from_civil(2026, 12, 10));
}
END_TEST

START_TEST(profile_with_only_some_fields)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\",\"tier\":\"mid\"}", &ev),
                     CW_DLQ_NONE);
    ck_assert(ev.has_tier);
    ck_assert(!ev.has_subsidy_end);
    ck_assert(!ev.has_contract_end);
    ck_assert_int_eq(ev.tier, CW_TIER_MID);
    ck_assert_int_eq(ev.subsidy_end, CW_DAY_NONE);
    ck_assert_int_eq(ev.contract_end, CW_DAY_NONE);

    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\",\"subsidy_end\":null}", &ev),
                     CW_DLQ_NONE);
    ck_assert(!ev.has_tier);
    ck_assert(ev.has_subsidy_end);
    ck_assert(!ev.has_contract_end);
    ck_assert_int_eq(ev.subsidy_end, CW_DAY_NONE);

    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\",\"tier\":\"low\","
                           "\"contract_end\":null}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.tier, CW_TIER_LOW);
    ck_assert(ev.has_contract_end);
    ck_assert_int_eq(ev.contract_end, CW_DAY_NONE);

    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\"}", &ev), CW_DLQ_NONE);
    ck_assert(!ev.has_tier && !ev.has_subsidy_end && !ev.has_contract_end);
}
END_TEST

START_TEST(profile_rejects_unknown_tier_and_unreal_dates)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\",\"tier\":\"unknown\"}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "tier: expected \"high\", \"mid\" or \"low\", got another string");
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"profile\",\"subsidy_end\":\"2026-02-29\"}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "subsidy_end: expected a date YYYY-MM-DD or null, got a string "
                     "that is not a real date");
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"profile\",\"contract_end\":\"2026-1-5\"}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(
        parse("{" COMMON ",\"type\":\"profile\",\"contract_end\":20261205}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "contract_end: expected a date YYYY-MM-DD or null, got an integer");
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"profile\",\"tier\":null}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "tier: expected \"high\", \"mid\" or \"low\", got null");
}
END_TEST

START_TEST(unknown_extra_fields_are_ignored)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{\"source\":{\"x\":[1,2.5,null]}," COMMON
                           ",\"type\":\"charge\","
                           "\"charge_fen\":1,\"extra\":\"\\u4e2d\"}",
                           &ev),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.charge_fen, 1);
}
END_TEST

/* Every typed field, given each wrong kind of JSON value, is bad_field and the
 * detail names the field. */
START_TEST(wrong_type_in_every_field_is_bad_field)
{
    static const struct {
        const char *tmpl;
        const char *field;
        bool is_string;
        bool is_bool;
    } rows[] = {
        {"{" COMMON
         ",\"type\":\"voice\",\"direction\":@,\"peer\":\"10010\",\"duration_s\":1}",
         "direction", true, false},
        {"{" COMMON
         ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":@,\"duration_s\":1}",
         "peer", true, false},
        {"{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":\"10010\","
         "\"duration_s\":@}",
         "duration_s", false, false},
        {"{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":\"10010\","
         "\"duration_s\":1,\"charge_fen\":@}",
         "charge_fen", false, false},
        {"{" COMMON ",\"type\":\"sms\",\"direction\":@,\"peer\":\"10010\"}", "direction",
         true, false},
        {"{" COMMON ",\"type\":\"sms\",\"direction\":\"mo\",\"peer\":@}", "peer", true,
         false},
        {"{" COMMON ",\"type\":\"sms\",\"direction\":\"mo\",\"peer\":\"10010\","
         "\"charge_fen\":@}",
         "charge_fen", false, false},
        {"{" COMMON ",\"type\":\"data\",\"bytes\":@}", "bytes", false, false},
        {"{" COMMON ",\"type\":\"data\",\"bytes\":1,\"charge_fen\":@}", "charge_fen",
         false, false},
        {"{" COMMON ",\"type\":\"charge\",\"charge_fen\":@}", "charge_fen", false, false},
        {"{" COMMON ",\"type\":\"charge\",\"charge_fen\":1,\"item\":@}", "item", true,
         false},
        {"{" COMMON ",\"type\":\"plan_change\",\"from_fee_fen\":@,\"to_fee_fen\":1}",
         "from_fee_fen", false, false},
        {"{" COMMON ",\"type\":\"plan_change\",\"from_fee_fen\":1,\"to_fee_fen\":@}",
         "to_fee_fen", false, false},
        {"{" COMMON ",\"type\":\"complaint\",\"severity\":@}", "severity", true, false},
        {"{" COMMON ",\"type\":\"complaint\",\"severity\":\"normal\",\"overdue\":@}",
         "overdue", false, true},
        {"{" COMMON ",\"type\":\"profile\",\"tier\":@}", "tier", true, false},
        {"{" COMMON ",\"type\":\"profile\",\"subsidy_end\":@}", "subsidy_end", true,
         false},
        {"{" COMMON ",\"type\":\"profile\",\"contract_end\":@}", "contract_end", true,
         false},
        {"{" COMMON ",\"type\":\"churn\",\"kind\":@}", "kind", true, false},
        {"{" COMMON ",\"type\":\"churn\",\"kind\":\"cancel\",\"to_operator\":@}",
         "to_operator", true, false},
        {"{" COMMON ",\"type\":\"suspend\",\"reason\":@}", "reason", true, false},
        {"{" COMMON ",\"type\":\"arrears\",\"owed_fen\":@,\"months\":1}", "owed_fen", false,
         false},
        {"{" COMMON ",\"type\":\"arrears\",\"owed_fen\":1,\"months\":@}", "months", false,
         false},
        {"{" COMMON ",\"type\":\"fault\",\"level\":@}", "level", false, false},
        {"{" COMMON ",\"type\":\"service\",\"channel\":@}", "channel", true, false},
        {"{" COMMON ",\"type\":\"subscribe\",\"service\":@}", "service", true, false},
        {"{" COMMON ",\"type\":\"subscribe\",\"service\":\"s\",\"fee_fen\":@}", "fee_fen",
         false, false},
    };
    static const char *const wrong[] = {"null", "1.5", "true", "[]", "{}", "\"x\"", "7"};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
            bool is_string_value = wrong[w][0] == '"';
            bool is_bool_value = strcmp(wrong[w], "true") == 0;
            bool is_int_value = strcmp(wrong[w], "7") == 0;
            bool nullable = strcmp(wrong[w], "null") == 0 && rows[r].field[0] != 't' &&
                            strstr(rows[r].field, "_end") != NULL;
            /* a free-form string field takes any string */
            bool item_string = is_string_value && (strcmp(rows[r].field, "item") == 0 ||
                                                   strcmp(rows[r].field, "to_operator") == 0 ||
                                                   strcmp(rows[r].field, "service") == 0);
            /* the values that are right for the field are not the point here */
            if ((rows[r].is_bool && is_bool_value) || nullable || item_string ||
                (!rows[r].is_string && !rows[r].is_bool && is_int_value))
                continue;
            cw_event_t ev;
            const char *json = fill(rows[r].tmpl, wrong[w]);
            ck_assert_msg(parse(json, &ev) == CW_DLQ_BAD_FIELD, "%s", json);
            size_t n = strlen(rows[r].field);
            ck_assert_msg(strncmp(detail, rows[r].field, n) == 0 && detail[n] == ':',
                          "%s -> %s", json, detail);
        }
    }
}
END_TEST

START_TEST(missing_required_field_of_each_type)
{
    static const struct {
        const char *json;
        const char *detail;
    } rows[] = {
        {"{" COMMON ",\"type\":\"voice\",\"peer\":\"10010\",\"duration_s\":1}",
         "direction: missing (required for type voice)"},
        {"{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"duration_s\":1}",
         "peer: missing (required for type voice)"},
        {"{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":\"10010\"}",
         "duration_s: missing (required for type voice)"},
        {"{" COMMON ",\"type\":\"sms\",\"peer\":\"10010\"}",
         "direction: missing (required for type sms)"},
        {"{" COMMON ",\"type\":\"sms\",\"direction\":\"mt\"}",
         "peer: missing (required for type sms)"},
        {"{" COMMON ",\"type\":\"data\",\"charge_fen\":1}",
         "bytes: missing (required for type data)"},
        {"{" COMMON ",\"type\":\"charge\"}",
         "charge_fen: missing (required for type charge)"},
        {"{" COMMON ",\"type\":\"plan_change\",\"to_fee_fen\":1}",
         "from_fee_fen: missing (required for type plan_change)"},
        {"{" COMMON ",\"type\":\"plan_change\",\"from_fee_fen\":1}",
         "to_fee_fen: missing (required for type plan_change)"},
        {"{" COMMON ",\"type\":\"complaint\",\"overdue\":true}",
         "severity: missing (required for type complaint)"},
        {"{" COMMON ",\"type\":\"suspend\"}", "reason: missing (required for type suspend)"},
        {"{" COMMON ",\"type\":\"arrears\",\"months\":1}",
         "owed_fen: missing (required for type arrears)"},
        {"{" COMMON ",\"type\":\"arrears\",\"owed_fen\":1}",
         "months: missing (required for type arrears)"},
        {"{" COMMON ",\"type\":\"fault\"}", "level: missing (required for type fault)"},
        {"{" COMMON ",\"type\":\"service\"}", "channel: missing (required for type service)"},
        {"{" COMMON ",\"type\":\"subscribe\",\"fee_fen\":1}",
         "service: missing (required for type subscribe)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cw_event_t ev;
        ck_assert_msg(parse(rows[i].json, &ev) == CW_DLQ_MISSING_FIELD, "%s",
                      rows[i].json);
        ck_assert_str_eq(detail, rows[i].detail);
    }
}
END_TEST

/* ---- common fields ---- */

START_TEST(missing_common_fields_in_spec_order)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{}", &ev), CW_DLQ_MISSING_FIELD);
    ck_assert_str_eq(detail, "event_id: missing (required for every event)");
    ck_assert_int_eq(parse("{\"event_id\":\"e\"}", &ev), CW_DLQ_MISSING_FIELD);
    ck_assert_str_eq(detail, "type: missing (required for every event)");
    ck_assert_int_eq(parse("{\"event_id\":\"e\",\"type\":\"nope\"}", &ev),
                     CW_DLQ_MISSING_FIELD);
    ck_assert_str_eq(detail, "msisdn: missing (required for every event)");
    ck_assert_int_eq(parse("{\"event_id\":1,\"type\":\"nope\",\"msisdn\":\"x\"}", &ev),
                     CW_DLQ_MISSING_FIELD);
    ck_assert_str_eq(detail, "ts: missing (required for every event)");
}
END_TEST

START_TEST(type_is_checked_before_the_other_common_fields)
{
    cw_event_t ev;
    ck_assert_int_eq(
        parse("{\"event_id\":\"\",\"type\":\"fax\",\"msisdn\":\"x\",\"ts\":null}", &ev),
        CW_DLQ_UNKNOWN_TYPE);
    ck_assert_str_eq(detail,
                     "type: expected voice, sms, data, charge, plan_change, complaint, "
                     "profile, churn, suspend, arrears, fault, service or subscribe, got "
                     "another string");
    /* new names share their length with old ones: each is told apart */
    static const char *const near[] = {"churns", "faul", "servic", "subscribes", "arrear",
                                       "suspends", "Churn"};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
        ck_assert_int_eq(parse(fill("{\"event_id\":\"e\",\"type\":\"@\",\"msisdn\":\"1\","
                                    "\"ts\":0}",
                                    near[i]),
                               &ev),
                         CW_DLQ_UNKNOWN_TYPE);
    ck_assert_int_eq(
        parse("{\"event_id\":\"\",\"type\":5,\"msisdn\":\"x\",\"ts\":null}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail, "type: expected a string, got an integer");
    ck_assert_int_eq(
        parse("{\"event_id\":\"e\",\"type\":null,\"msisdn\":\"1\",\"ts\":0}", &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(
        parse("{\"event_id\":\"e\",\"type\":\"Voice\",\"msisdn\":\"1\",\"ts\":0}", &ev),
        CW_DLQ_UNKNOWN_TYPE);
    /* then event_id, msisdn, ts, in that order */
    ck_assert_int_eq(
        parse("{\"event_id\":\"\",\"type\":\"charge\",\"msisdn\":\"x\",\"ts\":null}",
              &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "event_id: expected a string of 1..64 characters, got an empty "
                     "string");
    ck_assert_int_eq(
        parse("{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":\"x\",\"ts\":null}",
              &ev),
        CW_DLQ_BAD_MSISDN);
    ck_assert_int_eq(
        parse("{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":null}",
              &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "ts: expected epoch milliseconds 0..253402300799999 or an RFC "
                     "3339 string with offset, got null");
}
END_TEST

START_TEST(event_id_counts_characters_not_bytes)
{
    char id[64 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(id, "\xe4\xb8\xad"); /* U+4E2D, three bytes */
    char json[512];
    cw_event_t ev;
    snprintf(json, sizeof json,
             "{\"event_id\":\"%s\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":0,"
             "\"charge_fen\":1}",
             id);
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);

    char ascii[66];
    memset(ascii, 'a', 65);
    ascii[65] = '\0';
    snprintf(json, sizeof json,
             "{\"event_id\":\"%.64s\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":0,"
             "\"charge_fen\":1}",
             ascii);
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_NONE);
    snprintf(json, sizeof json,
             "{\"event_id\":\"%s\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":0,"
             "\"charge_fen\":1}",
             ascii);
    ck_assert_int_eq(parse(json, &ev), CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(
        detail, "event_id: expected a string of 1..64 characters, got a longer string");
    ck_assert_int_eq(
        parse("{\"event_id\":42,\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":0,"
              "\"charge_fen\":1}",
              &ev),
        CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(detail,
                     "event_id: expected a string of 1..64 characters, got an integer");
}
END_TEST

START_TEST(msisdn_is_normalised)
{
    static const struct {
        const char *in;
        const char *out;
    } rows[] = {
        {"13800138000", "13800138000"},
        {"+8613800138000", "13800138000"},
        {"008613800138000", "13800138000"},
        {"8613800138000", "13800138000"},
        /* 11 digits remain after "86": not more than 11, so the code stays */
        {"86138001380", "86138001380"},
        {"+86138001380", "86138001380"},
        {"10086", "10086"},
        {"123", "123"},
        {"123456789012345", "123456789012345"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":\"%s\",\"ts\":0,"
                 "\"charge_fen\":1}",
                 rows[i].in);
        cw_event_t ev;
        ck_assert_msg(parse(json, &ev) == CW_DLQ_NONE, "%s", rows[i].in);
        ck_assert_str_eq(ev.msisdn, rows[i].out);
    }
}
END_TEST

START_TEST(bad_msisdn_in_every_form)
{
    static const char *const bad[] = {
        "\"12\"",
        "\"1234567890123456\"",
        "\"\"",
        "\"+\"",
        "\"138 0013 8000\"",
        "\"138-0013-8000\"",
        "null",
        "13800138000",
        "[\"13800138000\"]",
        "\"++8613800138000\"",
        "true",
        "\"\\u0661\\u0662\\u0663\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":%s,\"ts\":0,"
                 "\"charge_fen\":1}",
                 bad[i]);
        cw_event_t ev;
        ck_assert_msg(parse(json, &ev) == CW_DLQ_BAD_MSISDN, "%s", bad[i]);
        ck_assert_msg(strncmp(detail, "msisdn: ", 8) == 0, "%s", detail);
    }
}
END_TEST

START_TEST(ts_forms_agree)
{
    static const struct {
        const char *ts;
        long long ms;
    } rows[] = {
        {"1794848400000", TS_MS},
        {"\"2026-11-16T17:00:00Z\"", TS_MS},
        {"\"2026-11-17T01:00:00+08:00\"", TS_MS},
        {"\"2026-11-17t01:00:00+08:00\"", TS_MS},
        {"\"2026-11-16T12:00:00-05:00\"", TS_MS},
        {"\"2026-11-17T01:00:00.5+08:00\"", TS_MS + 500},
        {"\"2026-11-16T17:00:00.123456Z\"", TS_MS + 123},
        {"0", 0},
        {"\"1970-01-01T00:00:00Z\"", 0},
        {"253402300799999", CW_MAX_TS_MS},
        {"\"9999-12-31T23:59:59.999Z\"", CW_MAX_TS_MS},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":%s,"
                 "\"charge_fen\":1}",
                 rows[i].ts);
        cw_event_t ev;
        ck_assert_msg(parse(json, &ev) == CW_DLQ_NONE, "%s: %s", rows[i].ts, detail);
        ck_assert_int_eq(ev.ts_ms, rows[i].ms);
    }
}
END_TEST

START_TEST(bad_ts_in_every_form)
{
    static const char *const bad[] = {
        "-1",
        "253402300800000",
        "1.7e12",
        "1794848400000.0",
        "true",
        "null",
        "{}",
        "\"1794848400000\"",
        "\"2026-11-16T17:00:00\"",
        "\"2026-11-16\"",
        "\"2026-02-30T00:00:00Z\"",
        "\"1969-12-31T23:59:59Z\"",
        "\"1970-01-01T07:59:59+08:00\"",
        "\"9999-12-31T23:59:59-01:00\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"event_id\":\"e\",\"type\":\"charge\",\"msisdn\":\"10086\",\"ts\":%s,"
                 "\"charge_fen\":1}",
                 bad[i]);
        cw_event_t ev;
        ck_assert_msg(parse(json, &ev) == CW_DLQ_BAD_FIELD, "%s", bad[i]);
        ck_assert_msg(strncmp(detail, "ts: expected ", 13) == 0, "%s", detail);
    }
}
END_TEST

START_TEST(peer_is_normalised_like_msisdn)
{
    cw_event_t ev;
    const char *tmpl = "{" COMMON ",\"type\":\"voice\",\"direction\":\"mo\",\"peer\":@,"
                       "\"duration_s\":1}";
    ck_assert_int_eq(parse(fill(tmpl, "\"0086 10010\""), &ev), CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(parse(fill(tmpl, "\"008610010\""), &ev), CW_DLQ_NONE);
    ck_assert_str_eq(ev.peer, "8610010");
    ck_assert_int_eq(parse(fill(tmpl, "\"+8618612345678\""), &ev), CW_DLQ_NONE);
    ck_assert_str_eq(ev.peer, "18612345678");
    ck_assert_int_eq(parse(fill(tmpl, "\"12\""), &ev), CW_DLQ_BAD_FIELD);
    ck_assert_int_eq(parse(fill(tmpl, "\"1234567890123456\""), &ev), CW_DLQ_BAD_FIELD);
}
END_TEST

/* ---- the JSON itself ---- */

/* A valid charge event padded with spaces to exactly `len` bytes. */
static char *padded_event(size_t len)
{
    static const char head[] = "{" COMMON ",\"type\":\"charge\",\"charge_fen\":1";
    char *buf = cw_malloc(len);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, head, sizeof head - 1);
    memset(buf + sizeof head - 1, ' ', len - sizeof head);
    buf[len - 1] = '}';
    return buf;
}

START_TEST(too_large_starts_above_64_kib)
{
    cw_event_t ev;
    char *ok = padded_event(65536);
    ck_assert_int_eq(cw_event_parse(ok, 65536, CC, &ev, detail, sizeof detail),
                     CW_DLQ_NONE);
    ck_assert_int_eq(ev.charge_fen, 1);
    cw_free(ok);
    char *big = padded_event(65537);
    ck_assert_int_eq(cw_event_parse(big, 65537, CC, &ev, detail, sizeof detail),
                     CW_DLQ_TOO_LARGE);
    ck_assert_str_eq(detail, "value: expected at most 65536 bytes, got more");
    cw_free(big);
}
END_TEST

START_TEST(malformed_json_is_invalid_json)
{
#define ROW(s)                                                                           \
    {                                                                                    \
        s, sizeof(s) - 1                                                                 \
    }
    static const struct {
        const char *bytes;
        size_t len;
    } rows[] = {
        ROW(""),
        ROW("   "),
        ROW("{"),
        ROW("{\"event_id\":\"e\",}"),
        ROW("{\"a\":1} x"),
        ROW("{'a':1}"),
        ROW("{\"a\":01}"),
        ROW("{\"a\":\"\xff\"}"),         /* invalid UTF-8 */
        ROW("{\"a\":\"\xc3\x28\"}"),     /* bad continuation byte */
        ROW("{\"a\":\"\xed\xa0\x80\"}"), /* encoded surrogate */
        ROW("{\"a\":1}\0"),              /* raw NUL after the object */
        ROW("{\"a\":\"x\0y\"}"),         /* raw NUL in a string */
        ROW("{\"a\":\"\\u0000\"}"),      /* escaped NUL */
        ROW("{\"a\\u0000\":1}"),         /* NUL in a key */
        ROW("{\"a\":\"\\ud800\"}"),      /* lone surrogate escape */
        ROW("{\"a\":1,\"a\":2}"),        /* duplicate key */
        ROW("{\"a\":\"tab\there\"}"),    /* raw control character */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cw_event_t ev;
        ck_assert_msg(cw_event_parse(rows[i].bytes, rows[i].len, CC, &ev, detail,
                                     sizeof detail) == CW_DLQ_INVALID_JSON,
                      "row %zu", i);
        ck_assert_msg(strstr(detail, " at position ") != NULL, "row %zu: %s", i, detail);
    }
#undef ROW
}
END_TEST

START_TEST(duplicate_common_key_is_invalid_json)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":1,"
                           "\"msisdn\":\"13900139000\"}",
                           &ev),
                     CW_DLQ_INVALID_JSON);
    ck_assert_ptr_nonnull(strstr(detail, "duplicate object key"));
}
END_TEST

START_TEST(deep_nesting_is_invalid_json)
{
    size_t depth = 5000;
    char *buf = cw_malloc(2 * depth + 64);
    ck_assert_ptr_nonnull(buf);
    size_t n = 0;
    n += (size_t)sprintf(buf, "{\"x\":");
    for (size_t i = 0; i < depth; i++)
        buf[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    cw_event_t ev;
    ck_assert_int_eq(cw_event_parse(buf, n, CC, &ev, detail, sizeof detail),
                     CW_DLQ_INVALID_JSON);
    ck_assert_ptr_nonnull(strstr(detail, "maximum parsing depth reached"));
    cw_free(buf);
}
END_TEST

START_TEST(numeric_overflow_is_bad_field)
{
    cw_event_t ev;
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":"
                           "99999999999999999999}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_ptr_nonnull(strstr(detail, "integer out of range"));
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":"
                           "-99999999999999999999}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_ptr_nonnull(strstr(detail, "integer out of range"));
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":1e400}", &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_ptr_nonnull(strstr(detail, "number out of range"));
    /* the largest int64 parses and is then out of the field's range */
    ck_assert_int_eq(parse("{" COMMON ",\"type\":\"charge\",\"charge_fen\":"
                           "9223372036854775807}",
                           &ev),
                     CW_DLQ_BAD_FIELD);
    ck_assert_str_eq(
        detail, "charge_fen: expected an integer 0..100000000000, got a larger integer");
}
END_TEST

START_TEST(top_level_non_object_is_not_object)
{
    static const char *const rows[] = {
        "[]", "[{\"type\":\"voice\"}]", "\"voice\"", "42", "null", "true", " 1.5 "};
    static const char *const kinds[] = {"an array",     "an array", "a string",
                                        "an integer",   "null",     "a boolean",
                                        "a real number"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cw_event_t ev;
        ck_assert_msg(parse(rows[i], &ev) == CW_DLQ_NOT_OBJECT, "%s", rows[i]);
        char want[64];
        snprintf(want, sizeof want, "value: expected an object, got %s", kinds[i]);
        ck_assert_str_eq(detail, want);
    }
}
END_TEST

/* ---- personal data stays out of details ---- */

START_TEST(details_never_quote_numbers)
{
    static const char *const rows[] = {
        /* jansson would say "invalid token near '13800138000x'" */
        "{\"msisdn\": 13800138000x}",
        /* jansson: "invalid token near '13800138000.'" */
        "{\"msisdn\": 13800138000.}",
        /* jansson: "':' expected near '\"13800138000\"'" */
        "{\"msisdn\" \"13800138000\"}",
        /* jansson: "premature end of input near '\"13800138000'" */
        "{\"msisdn\":\"13800138000",
        "{\"msisdn\": \"13800138000\" \"x\"}",
        "{\"peer\":\"13800138000\",\"msisdn\":\"13800138000\"",
        "{\"event_id\":\"e\",\"type\":\"sms\",\"msisdn\":\"13800138000\",\"ts\":0,"
        "\"direction\":\"mo\",\"peer\":\"13800138000a\"}",
        "{\"event_id\":\"e\",\"type\":\"sms\",\"msisdn\":\"1380013800099999\",\"ts\":0}",
        "{\"event_id\":\"13800138000\",\"type\":\"x\",\"msisdn\":\"13800138000\",\"ts\":"
        "0}",
        "{\"event_id\":\"e\",\"type\":\"data\",\"msisdn\":\"13800138000\",\"ts\":0,"
        "\"bytes\":13800138000.5}",
        "{\"event_id\":\"e\",\"type\":\"sms\",\"msisdn\":\"13800138000\",\"ts\":0,"
        "\"direction\":\"13800138000\",\"peer\":\"10086\"}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cw_event_t ev;
        ck_assert_int_ne(parse(rows[i], &ev), CW_DLQ_NONE);
        ck_assert_msg(detail[0] != '\0', "%s", rows[i]);
        ck_assert_msg(strstr(detail, "138001") == NULL, "%s -> %s", rows[i], detail);
        ck_assert_msg(strchr(detail, '\n') == NULL, "%s", detail);
    }
}
END_TEST

/* ---- time checks that need the daemon's clocks ---- */

START_TEST(future_ts_boundary)
{
    cw_event_t ev = {.ts_ms = TS_MS};
    int64_t max_future = 600000;
    ck_assert_int_eq(cw_event_check_time(&ev, TS_MS - max_future, max_future, INT32_MIN,
                                         9, 28800, detail, sizeof detail),
                     CW_DLQ_NONE);
    ck_assert_int_eq(cw_event_check_time(&ev, TS_MS - max_future - 1, max_future,
                                         INT32_MIN, 9, 28800, detail, sizeof detail),
                     CW_DLQ_FUTURE_TS);
    ck_assert_str_eq(detail,
                     "ts: expected at most 600000 ms ahead of the wall clock, got later");
    ck_assert_int_eq(cw_event_check_time(&ev, TS_MS + 86400000, max_future, INT32_MIN, 9,
                                         28800, detail, sizeof detail),
                     CW_DLQ_NONE);
}
END_TEST

START_TEST(too_old_boundary_is_local_week)
{
    int32_t offset = 8 * 3600;
    /* 2026-11-15T16:00Z is Monday 2026-11-16 00:00 local: week W47 at +08:00 */
    int64_t w47_start = 1794758400000LL;
    int32_t w47 = cw_week_of_ms(w47_start, offset);
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(w47, label);
    ck_assert_str_eq(label, "2026-W47");
    int32_t stream_week = w47 + 8; /* weeks_kept 9: W47 is the oldest kept */
    int64_t now = w47_start + 100 * CW_MS_PER_WEEK;

    cw_event_t ev = {.ts_ms = w47_start};
    ck_assert_int_eq(cw_event_check_time(&ev, now, 600000, stream_week, 9, offset, detail,
                                         sizeof detail),
                     CW_DLQ_NONE);
    ev.ts_ms = w47_start - 1; /* Sunday 23:59:59.999 local: W46 */
    ck_assert_int_eq(cw_event_check_time(&ev, now, 600000, stream_week, 9, offset, detail,
                                         sizeof detail),
                     CW_DLQ_TOO_OLD);
    ck_assert_str_eq(detail, "ts: expected week 2026-W47 or later (weeks_kept 9), got an "
                             "older week");
    ck_assert_int_eq(cw_event_check_time(&ev, now, 600000, INT32_MIN, 9, offset, detail,
                                         sizeof detail),
                     CW_DLQ_NONE);
    ck_assert_int_eq(cw_event_check_time(&ev, now, 600000, stream_week, 10, offset,
                                         detail, sizeof detail),
                     CW_DLQ_NONE);
    /* Sunday 17:00 UTC is Monday 01:00 local: kept at +08:00, too old in UTC */
    ev.ts_ms = w47_start + 3600000;
    ck_assert_int_eq(cw_event_check_time(&ev, now, 600000, stream_week, 9, offset, detail,
                                         sizeof detail),
                     CW_DLQ_NONE);
    ck_assert_int_eq(
        cw_event_check_time(&ev, now, 600000, stream_week, 9, 0, detail, sizeof detail),
        CW_DLQ_TOO_OLD);
}
END_TEST

START_TEST(future_ts_wins_over_too_old)
{
    cw_event_t ev = {.ts_ms = TS_MS};
    int32_t stream_week = cw_week_of_ms(TS_MS, 0) + 20;
    ck_assert_int_eq(cw_event_check_time(&ev, TS_MS - 3600000, 0, stream_week, 9, 0,
                                         detail, sizeof detail),
                     CW_DLQ_FUTURE_TS);
}
END_TEST

/* ---- data-driven bad records: tests/data/events/<case>/{input,reason} ---- */

static size_t read_all(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

START_TEST(data_cases_give_their_reason)
{
    static char input[CW_EVENT_MAX_BYTES + 16];
    const char *root = CW_TEST_DATA_DIR "/events";
    DIR *dir = opendir(root);
    ck_assert_msg(dir != NULL, "cannot open %s", root);
    int cases = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], reason[64];
        snprintf(path, sizeof path, "%s/%s/input", root, de->d_name);
        size_t len = read_all(path, input, sizeof input);
        snprintf(path, sizeof path, "%s/%s/reason", root, de->d_name);
        size_t rlen = read_all(path, reason, sizeof reason - 1);
        while (rlen > 0 && (reason[rlen - 1] == '\n' || reason[rlen - 1] == ' '))
            rlen--;
        reason[rlen] = '\0';
        cw_event_t ev;
        cw_dlq_reason_t got = cw_event_parse(input, len, CC, &ev, detail, sizeof detail);
        ck_assert_msg(strcmp(cw_dlq_reason_name(got), reason) == 0,
                      "%s: want %s, got %s (%s)", de->d_name, reason,
                      cw_dlq_reason_name(got), detail);
        cases++;
    }
    closedir(dir);
    ck_assert_int_ge(cases, 10);
}
END_TEST

static Suite *event_suite(void)
{
    Suite *s = suite_create("event");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, names_are_the_spec_words);
    tcase_add_test(tc, tier_names_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("types");
    tcase_add_test(tc, voice_fills_every_field);
    tcase_add_test(tc, voice_directions_and_default_charge);
    tcase_add_test(tc, voice_duration_limits);
    tcase_add_test(tc, sms_fills_fields_and_rejects_fwd);
    tcase_add_test(tc, data_fills_fields);
    tcase_add_test(tc, charge_needs_charge_fen_and_string_item);
    tcase_add_test(tc, plan_change_fills_fees);
    tcase_add_test(tc, complaint_severity_and_overdue);
    tcase_add_test(tc, profile_with_every_field);
    tcase_add_test(tc, profile_with_only_some_fields);
    tcase_add_test(tc, profile_rejects_unknown_tier_and_unreal_dates);
    tcase_add_test(tc, charge_item_starting_with_vas_is_a_value_added_fee);
    tcase_add_test(tc, event_id_is_kept_as_sent);
    tcase_add_test(tc, churn_fills_kind_and_to_operator);
    tcase_add_test(tc, churn_kind_missing_or_unknown_is_bad_field);
    tcase_add_test(tc, churn_to_operator_must_be_a_short_string);
    tcase_add_test(tc, suspend_reasons);
    tcase_add_test(tc, arrears_amount_and_months_limits);
    tcase_add_test(tc, fault_level_is_one_to_three);
    tcase_add_test(tc, service_channels);
    tcase_add_test(tc, subscribe_needs_a_service_name_and_defaults_the_fee);
    tcase_add_test(tc, unknown_extra_fields_are_ignored);
    tcase_add_test(tc, wrong_type_in_every_field_is_bad_field);
    tcase_add_test(tc, missing_required_field_of_each_type);
    suite_add_tcase(s, tc);

    tc = tcase_create("common");
    tcase_add_test(tc, missing_common_fields_in_spec_order);
    tcase_add_test(tc, type_is_checked_before_the_other_common_fields);
    tcase_add_test(tc, event_id_counts_characters_not_bytes);
    tcase_add_test(tc, msisdn_is_normalised);
    tcase_add_test(tc, bad_msisdn_in_every_form);
    tcase_add_test(tc, ts_forms_agree);
    tcase_add_test(tc, bad_ts_in_every_form);
    tcase_add_test(tc, peer_is_normalised_like_msisdn);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_test(tc, too_large_starts_above_64_kib);
    tcase_add_test(tc, malformed_json_is_invalid_json);
    tcase_add_test(tc, duplicate_common_key_is_invalid_json);
    tcase_add_test(tc, deep_nesting_is_invalid_json);
    tcase_add_test(tc, numeric_overflow_is_bad_field);
    tcase_add_test(tc, top_level_non_object_is_not_object);
    tcase_add_test(tc, data_cases_give_their_reason);
    suite_add_tcase(s, tc);

    tc = tcase_create("privacy");
    tcase_add_test(tc, details_never_quote_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_add_test(tc, future_ts_boundary);
    tcase_add_test(tc, too_old_boundary_is_local_week);
    tcase_add_test(tc, future_ts_wins_over_too_old);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(event_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
