/* Integration: every trigger and level end to end (SPEC sections 5 to 7),
 * the publish rule, the silent subscriber, late events inside and after the
 * grace period, and a week boundary that is one in local time but not in UTC.
 *
 * One daemon run on one partition per topic plays a scripted timeline so
 * that stream time is a single, deterministic clock; every subscriber has a
 * number of its own. The timeline (W = four weeks ago, local +08:00):
 *   P0  a clock event at Monday 07:00 of W: the partition starts with W-1
 *       closed, so the history below is stored but never evaluated
 *   P1  profiles and history dated in W-1
 *   P2  the week's events, in three rounds where arrival order matters
 *   P3  a clock event at end(W) + 1 h, then a late event dated in W
 *   P4  a clock event at end(W) + late_grace + 1 min: W closes (the sweep)
 *   P5  an event dated in W after the close
 * with a barrier (every record applied) between the steps. A fixture plays
 * the timeline once; each test checks one behaviour on what it left: the
 * alert topic, the states in Redis, /metrics. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "date.h"
#include "harness.h"
#include "rules.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define MINUTE 60000LL
#define WAIT_MS 30000

#define CLOCK "13900000000" /* no profile: tier unknown, never alerted */
#define COMPLAINTS "13800100001"
#define FWD "13800100002"
#define RIVAL_SERVICE "13800100003"
#define DOWNGRADE "13800100004"
#define CONTRACT "13800100005"
#define DROPS "13800100006"
#define SILENT "13800100007"
#define BLUE "13800100008"
#define BLUE_SUBSIDY_SOON "13800100018"
#define TIER2_QUIET "13800100028"
#define UNWATCHED "13800100009"
#define RED_THEN_LOWER "13800100010"
#define NEW_TRIGGER "13800100011"
#define YELLOW_THEN_RED "13800100012"
#define LOCAL_MONDAY "13800100013"
#define LATE_IN_GRACE "13800100014"
#define LATE_AFTER_CLOSE "13800100015"
#define SPEND_ONLY "13800100016"
#define USAGE_ONLY "13800100017"
#define BELOW_MIN_BASE "13800100019"
#define OVERDUE "13800100020"

static cw_harness_t *h;
static int32_t week; /* W */
static char label[CW_WEEK_LABEL_SIZE], prev_label[CW_WEEK_LABEL_SIZE];
static char far_subsidy[11], near_subsidy[11], contract_end[11];
static char rules_version[17];
static int64_t started_at, finished_at;
static cw_harness_msgs_t alerts;

/* ---- time ----------------------------------------------------------- */

/* Local time in week w: day 0 = Monday. */
static int64_t at(int32_t w, int day, int hour, int minute)
{
    return cw_week_start_ms(w, UTC8) + day * CW_MS_PER_DAY + hour * HOUR +
           minute * MINUTE;
}

static const char *date_of(int32_t day)
{
    static char buf[8][11];
    static int next;
    char *out = buf[next++ % 8];
    cw_date_format_ymd(day, out);
    return out;
}

static const char *date_in_week(int day)
{
    return date_of(cw_week_first_day(week) + day);
}

/* ---- the timeline --------------------------------------------------- */

#define SEND(topic, msisdn, type, ts, ...)                                               \
    CW_HARNESS_STEP(h, cw_harness_send_event(h, topic, msisdn, type, ts, __VA_ARGS__) < 0)
#define CDR CW_HARNESS_TOPIC_CDR
#define BILLING CW_HARNESS_TOPIC_BILLING
#define CRM CW_HARNESS_TOPIC_CRM

static int barrier(void)
{
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    return 0;
}

static int profile(const char *msisdn, const char *tier, const char *subsidy)
{
    char subsidy_json[16];
    snprintf(subsidy_json, sizeof subsidy_json, subsidy ? "\"%s\"" : "null", subsidy);
    SEND(CRM, msisdn, "profile", at(week - 1, 1, 10, 0),
         ",\"tier\":\"%s\",\"subsidy_end\":%s,\"contract_end\":null", tier, subsidy_json);
    return 0;
}

static int complaint(const char *msisdn, int64_t ts, const char *severity)
{
    SEND(CRM, msisdn, "complaint", ts, ",\"severity\":\"%s\"", severity);
    return 0;
}

static int call(const char *msisdn, int64_t ts, const char *direction, const char *peer,
                int seconds, int fen)
{
    SEND(CDR, msisdn, "voice", ts,
         ",\"direction\":\"%s\",\"peer\":\"%s\",\"duration_s\":%d,\"charge_fen\":%d",
         direction, peer, seconds, fen);
    return 0;
}

static int downgrade(const char *msisdn, int64_t ts)
{
    SEND(BILLING, msisdn, "plan_change", ts,
         ",\"from_fee_fen\":12800,\"to_fee_fen\":5800");
    return 0;
}

static int run_timeline(void)
{
    /* P0 */
    SEND(CDR, CLOCK, "data", at(week, 0, 7, 0), ",\"bytes\":1");
    if (barrier() != 0)
        return -1;

    /* P1: profiles and history in W-1 (closed: stored, never evaluated) */
    static const struct {
        const char *msisdn, *tier;
        const char *subsidy;
    } profiles[] = {
        {COMPLAINTS, "high", NULL},
        {FWD, "mid", NULL},
        {RIVAL_SERVICE, "high", NULL},
        {DOWNGRADE, "mid", far_subsidy},
        {CONTRACT, "high", NULL},
        {DROPS, "high", NULL},
        {SILENT, "high", NULL},
        {BLUE, "high", NULL},
        {BLUE_SUBSIDY_SOON, "mid", near_subsidy},
        {TIER2_QUIET, "high", far_subsidy},
        {UNWATCHED, "low", NULL},
        {RED_THEN_LOWER, "high", NULL},
        {NEW_TRIGGER, "high", NULL},
        {YELLOW_THEN_RED, "high", far_subsidy},
        {LOCAL_MONDAY, "high", NULL},
        {LATE_IN_GRACE, "high", NULL},
        {LATE_AFTER_CLOSE, "high", NULL},
        {SPEND_ONLY, "high", NULL},
        {USAGE_ONLY, "high", NULL},
        {BELOW_MIN_BASE, "high", NULL},
        {OVERDUE, "high", NULL},
    };
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (profile(profiles[i].msisdn, profiles[i].tier, profiles[i].subsidy) != 0)
            return -1;
    if (call(DROPS, at(week - 1, 2, 10, 0), "mo", "13800000999", 1200, 3000) != 0)
        return -1;
    SEND(BILLING, DROPS, "charge", at(week - 1, 2, 11, 0), ",\"charge_fen\":500");
    SEND(BILLING, SILENT, "charge", at(week - 1, 2, 10, 0), ",\"charge_fen\":5000");
    if (call(SILENT, at(week - 1, 3, 10, 0), "mo", "13800000999", 900, 0) != 0)
        return -1;
    SEND(BILLING, UNWATCHED, "charge", at(week - 1, 2, 10, 0), ",\"charge_fen\":5000");
    SEND(BILLING, SPEND_ONLY, "charge", at(week - 1, 2, 10, 0), ",\"charge_fen\":4000");
    SEND(BILLING, USAGE_ONLY, "charge", at(week - 1, 2, 10, 0), ",\"charge_fen\":3000");
    if (call(USAGE_ONLY, at(week - 1, 2, 11, 0), "mo", "13800000999", 1200, 0) != 0)
        return -1;
    SEND(BILLING, BELOW_MIN_BASE, "charge", at(week - 1, 2, 10, 0),
         ",\"charge_fen\":1999");
    /* Sunday 23:00 local = Sunday 15:00 UTC: still W-1 */
    if (call(LOCAL_MONDAY, cw_week_start_ms(week, UTC8) - HOUR, "mo", "13800000999", 60,
             0) != 0)
        return -1;
    if (barrier() != 0)
        return -1;

    /* P2, first round */
    if (complaint(COMPLAINTS, at(week, 1, 10, 0), "normal") != 0 ||
        complaint(COMPLAINTS, at(week, 2, 10, 0), "normal") != 0)
        return -1;
    /* a ported-in number is ours, an own number is ours: neither counts */
    if (call(FWD, at(week, 0, 9, 0), "fwd", "13012345678", 0, 0) != 0 ||
        call(FWD, at(week, 1, 9, 0), "fwd", "13100000001", 0, 0) != 0 ||
        call(FWD, at(week, 2, 9, 0), "fwd", "18600000002", 0, 0) != 0 ||
        call(FWD, at(week, 3, 9, 0), "fwd", "13300000003", 0, 0) != 0 ||
        call(FWD, at(week, 4, 9, 0), "fwd", "13100000004", 0, 0) != 0 ||
        call(FWD, at(week, 5, 9, 0), "fwd", "13800000999", 0, 0) != 0)
        return -1;
    /* +8610010 normalises to 8610010, which is no service number */
    if (call(RIVAL_SERVICE, at(week, 0, 11, 0), "mo", "+8610010", 60, 0) != 0 ||
        call(RIVAL_SERVICE, at(week, 1, 11, 0), "mo", "10010", 60, 0) != 0 ||
        call(RIVAL_SERVICE, at(week, 2, 11, 0), "mt", "10000", 30, 0) != 0)
        return -1;
    if (downgrade(DOWNGRADE, at(week, 1, 12, 0)) != 0)
        return -1;
    SEND(CRM, CONTRACT, "profile", at(week, 2, 12, 0), ",\"contract_end\":\"%s\"",
         contract_end);
    if (call(DROPS, at(week, 1, 13, 0), "mo", "13800000999", 300, 500) != 0)
        return -1;
    SEND(CDR, BLUE, "data", at(week, 1, 14, 0), ",\"bytes\":1000,\"charge_fen\":300");
    SEND(CDR, BLUE_SUBSIDY_SOON, "data", at(week, 1, 14, 0),
         ",\"bytes\":1000,\"charge_fen\":300");
    SEND(CDR, TIER2_QUIET, "data", at(week, 1, 14, 0),
         ",\"bytes\":1000,\"charge_fen\":300");
    /* below half of the week before: 1999 < 4000 / 2 and 599 < 1200 / 2 */
    SEND(BILLING, SPEND_ONLY, "charge", at(week, 2, 10, 0), ",\"charge_fen\":1999");
    SEND(BILLING, USAGE_ONLY, "charge", at(week, 2, 10, 0), ",\"charge_fen\":3000");
    if (call(USAGE_ONLY, at(week, 2, 11, 0), "mo", "13800000999", 599, 0) != 0)
        return -1;
    SEND(CRM, OVERDUE, "complaint", at(week, 2, 9, 0),
         ",\"severity\":\"normal\",\"overdue\":true");
    if (complaint(UNWATCHED, at(week, 1, 15, 0), "serious") != 0 ||
        complaint(UNWATCHED, at(week, 2, 15, 0), "serious") != 0 ||
        complaint(RED_THEN_LOWER, at(week, 1, 16, 0), "serious") != 0 ||
        complaint(NEW_TRIGGER, at(week, 1, 17, 0), "serious") != 0 ||
        complaint(YELLOW_THEN_RED, at(week, 1, 18, 0), "serious") != 0)
        return -1;
    /* Sunday 17:00 UTC = Monday 01:00 local: the next ISO week here; sent
     * with an RFC 3339 time and a +86 number */
    CW_HARNESS_STEP(h, cw_harness_sendf(h, CRM, LOCAL_MONDAY,
                                        "{\"event_id\":\"local-monday\",\"type\":"
                                        "\"complaint\",\"msisdn\":\"+86%s\",\"ts\":"
                                        "\"%sT17:00:00Z\",\"severity\":\"serious\"}",
                                        LOCAL_MONDAY,
                                        date_of(cw_week_first_day(week) - 1)) < 0);
    if (barrier() != 0)
        return -1;

    /* P2, second round */
    if (complaint(DOWNGRADE, at(week, 3, 12, 0), "serious") != 0)
        return -1;
    SEND(CRM, RED_THEN_LOWER, "profile", at(week, 3, 16, 0), ",\"subsidy_end\":\"%s\"",
         far_subsidy);
    if (call(NEW_TRIGGER, at(week, 3, 17, 0), "mo", "10099", 60, 0) != 0 ||
        call(NEW_TRIGGER, at(week, 4, 17, 0), "mo", "10099", 60, 0) != 0)
        return -1;
    SEND(CRM, YELLOW_THEN_RED, "profile", at(week, 3, 18, 0), ",\"subsidy_end\":null");
    if (barrier() != 0)
        return -1;

    /* P2, third round */
    if (downgrade(RED_THEN_LOWER, at(week, 4, 16, 0)) != 0 ||
        complaint(NEW_TRIGGER, at(week, 5, 17, 0), "normal") != 0)
        return -1;
    if (barrier() != 0)
        return -1;

    /* P3: stream time past end(W), inside the grace; then a late event */
    SEND(CDR, CLOCK, "data", cw_week_end_ms(week, UTC8) + HOUR, ",\"bytes\":1");
    if (barrier() != 0)
        return -1;
    if (complaint(LATE_IN_GRACE, at(week, 6, 20, 0), "serious") != 0)
        return -1;
    if (barrier() != 0)
        return -1;

    /* P4: W closes */
    SEND(CDR, CLOCK, "data", cw_week_end_ms(week, UTC8) + 6 * HOUR + MINUTE,
         ",\"bytes\":1");
    if (barrier() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_closed(h, week, WAIT_MS));

    /* P5: too late for W */
    if (complaint(LATE_AFTER_CLOSE, at(week, 6, 21, 0), "serious") != 0)
        return -1;
    if (barrier() != 0)
        return -1;
    return 0;
}

/* 22 alerts in all: see the tests below */
#define EXPECTED_ALERTS 22

static int read_rules_version(void)
{
    char command[600];
    snprintf(command, sizeof command, "'%s' -c '%s' --check-config", CW_CDRWARND,
             cw_harness_config_path(h));
    FILE *p = popen(command, "r");
    if (p == NULL)
        return -1;
    char line[512] = "";
    if (fgets(line, sizeof line, p) == NULL)
        line[0] = '\0';
    pclose(p);
    const char *v = strstr(line, "rules_version ");
    if (v == NULL || sscanf(v + 14, "%16[0-9a-f]", rules_version) != 1)
        return -1;
    return 0;
}

static int play(void)
{
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    /* on failure rules_version stays empty and the test that needs it says so */
    read_rules_version();
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    started_at = cw_harness_now_ms();
    if (run_timeline() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, EXPECTED_ALERTS,
                                             WAIT_MS, &alerts));
    finished_at = cw_harness_now_ms();
    cw_harness_log(h, "timeline played: %zu alert(s) on %s", alerts.count,
                   CW_HARNESS_TOPIC_ALERTS);
    return 0;
}

static void setup(void)
{
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 4;
    cw_week_label(week, label);
    cw_week_label(week - 1, prev_label);
    int32_t sunday = cw_week_last_day(week);
    cw_date_format_ymd(sunday + 800, far_subsidy);
    cw_date_format_ymd(sunday + 40, near_subsidy);
    cw_date_format_ymd(cw_week_first_day(week) + 2 + 10, contract_end);
    h = cw_harness_new("alerts");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    cw_harness_msgs_free(&alerts);
    cw_harness_free(h);
    h = NULL;
}

/* ---- checking alerts ------------------------------------------------ */

/* The subscriber's alerts in publishing order (one partition), parsed; a
 * new array. */
static json_t *alerts_of(const char *msisdn)
{
    json_t *out = json_array();
    for (size_t i = 0; i < alerts.count; i++) {
        const cw_harness_msg_t *m = &alerts.items[i];
        if (m->key == NULL || strcmp(m->key, msisdn) != 0)
            continue;
        json_error_t err;
        json_t *alert = json_loadb(m->value, m->value_len, 0, &err);
        CW_HARNESS_ASSERT(h, alert != NULL, "alert for %s is not JSON: %s", msisdn,
                          err.text);
        json_array_append_new(out, alert);
    }
    return out;
}

/* The alert without the fields no test can predict (checked elsewhere). */
static json_t *comparable(const json_t *alert)
{
    json_t *copy = json_deep_copy(alert);
    json_object_del(copy, "alert_id");
    json_object_del(copy, "emitted_at");
    json_object_del(copy, "rules_version");
    return copy;
}

/* Asserts that the subscriber's alerts are exactly the expected ones, in
 * order; each expected alert is a JSON text (printf format) with every field
 * but alert_id, emitted_at and rules_version. */
static void expect_alerts(const char *msisdn, int count, ...)
{
    json_t *got = alerts_of(msisdn);
    char *got_text = json_dumps(got, JSON_COMPACT);
    CW_HARNESS_ASSERT(h, (int)json_array_size(got) == count,
                      "%s: %zu alert(s) published, expected %d: %s", msisdn,
                      json_array_size(got), count, got_text);
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count; i++) {
        const char *text = va_arg(ap, const char *);
        json_error_t err;
        json_t *want = json_loads(text, 0, &err);
        CW_HARNESS_ASSERT(h, want != NULL, "expected alert %d of %s is no JSON: %s (%s)",
                          i, msisdn, err.text, text);
        json_t *have = comparable(json_array_get(got, (size_t)i));
        char *have_text = json_dumps(have, JSON_COMPACT);
        char *want_text = json_dumps(want, JSON_COMPACT);
        CW_HARNESS_ASSERT(h, json_equal(have, want),
                          "%s: alert %d is\n  %s\nexpected\n  %s", msisdn, i, have_text,
                          want_text);
        free(have_text);
        free(want_text);
        json_decref(have);
        json_decref(want);
    }
    va_end(ap);
    free(got_text);
    json_decref(got);
}

/* printf into a buffer that lives until the test ends */
static const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));

static const char *fmt(const char *format, ...)
{
    static char buf[8][2048];
    static int next;
    char *out = buf[next++ % 8];
    va_list ap;
    va_start(ap, format);
    vsnprintf(out, sizeof buf[0], format, ap);
    va_end(ap);
    return out;
}

#define COMPLAINTS_EVIDENCE(n, serious)                                                  \
    "{\"name\":\"complaints\",\"evidence\":{\"complaints\":" #n                          \
    ",\"serious_complaints\":" #serious ",\"overdue_complaints\":0}}"

static const char *alert_text(const char *msisdn, const char *level, const char *triggers,
                              int risk_tier, const char *tier, const char *subsidy,
                              const char *contract, const char *eval_date,
                              int64_t event_time, const char *actions)
{
    char subsidy_json[16], contract_json[16];
    snprintf(subsidy_json, sizeof subsidy_json, subsidy ? "\"%s\"" : "null", subsidy);
    snprintf(contract_json, sizeof contract_json, contract ? "\"%s\"" : "null", contract);
    return fmt("{\"msisdn\":\"%s\",\"level\":\"%s\",\"week\":\"%s\",\"triggers\":[%s],"
               "\"risk_tier\":%d,\"tier\":\"%s\",\"subsidy_end\":%s,\"contract_end\":%s,"
               "\"eval_date\":\"%s\",\"event_time\":%lld,\"actions\":[%s]}",
               msisdn, level, label, triggers, risk_tier, tier, subsidy_json,
               contract_json, eval_date, (long long)event_time, actions);
}

/* ---- one trigger, one level ----------------------------------------- */

START_TEST(two_complaints_in_a_week_are_red_for_a_high_tier_subscriber)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(COMPLAINTS, 1,
                  alert_text(COMPLAINTS, "red", COMPLAINTS_EVIDENCE(2, 0), 1, "high",
                             NULL, NULL, date_in_week(2), at(week, 2, 10, 0),
                             "\"home_visit\",\"service_recovery_callback\""));
}
END_TEST

START_TEST(forwards_to_rivals_on_three_days_are_red_and_a_fourth_day_adds_nothing)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(
        FWD, 1,
        alert_text(FWD, "red",
                   fmt("{\"name\":\"fwd_rival\",\"evidence\":{\"fwd_rival_days\":3,"
                       "\"days\":[\"%s\",\"%s\",\"%s\"]}}",
                       date_in_week(1), date_in_week(2), date_in_week(3)),
                   1, "mid", NULL, NULL, date_in_week(3), at(week, 3, 9, 0),
                   "\"retention_call\""));
}
END_TEST

START_TEST(one_overdue_complaint_is_red)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(OVERDUE, 1,
                  alert_text(OVERDUE, "red",
                             "{\"name\":\"complaints\",\"evidence\":{\"complaints\":1,"
                             "\"serious_complaints\":0,\"overdue_complaints\":1}}",
                             1, "high", NULL, NULL, date_in_week(2), at(week, 2, 9, 0),
                             "\"home_visit\",\"service_recovery_callback\""));
}
END_TEST

START_TEST(two_calls_with_rival_service_numbers_are_red)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(RIVAL_SERVICE, 1,
                  alert_text(RIVAL_SERVICE, "red",
                             "{\"name\":\"rival_service\",\"evidence\":"
                             "{\"rival_service_calls\":2}}",
                             1, "high", NULL, NULL, date_in_week(2), at(week, 2, 11, 0),
                             "\"home_visit\",\"retention_call\""));
}
END_TEST

#define DOWNGRADE_EVIDENCE                                                               \
    "{\"name\":\"plan_downgrade\",\"evidence\":{\"from_fee_fen\":12800,\"to_fee_fen\":"  \
    "5800}}"

START_TEST(plan_downgrade_with_a_far_subsidy_is_yellow_and_a_new_trigger_publishes_again)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(
        DOWNGRADE, 2,
        alert_text(DOWNGRADE, "yellow", DOWNGRADE_EVIDENCE, 2, "mid", far_subsidy, NULL,
                   date_in_week(1), at(week, 1, 12, 0), "\"value_review\""),
        alert_text(DOWNGRADE, "yellow", COMPLAINTS_EVIDENCE(1, 1) "," DOWNGRADE_EVIDENCE,
                   2, "mid", far_subsidy, NULL, date_in_week(3), at(week, 3, 12, 0),
                   "\"service_recovery_callback\",\"value_review\""));
}
END_TEST

START_TEST(contract_ending_within_30_days_is_red)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(CONTRACT, 1,
                  alert_text(CONTRACT, "red",
                             fmt("{\"name\":\"contract_expiry\",\"evidence\":"
                                 "{\"contract_end\":\"%s\",\"days_left\":10}}",
                                 contract_end),
                             1, "high", NULL, contract_end, date_in_week(2),
                             at(week, 2, 12, 0), "\"home_visit\",\"renewal_offer\""));
}
END_TEST

START_TEST(spend_and_usage_halving_are_red_when_the_week_closes)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(DROPS, 1,
                  alert_text(DROPS, "red",
                             "{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":500,"
                             "\"prev_spend_fen\":3500}},"
                             "{\"name\":\"usage_drop\",\"evidence\":{\"voice_s\":300,"
                             "\"prev_voice_s\":1200}}",
                             1, "high", NULL, NULL, date_in_week(6),
                             cw_week_end_ms(week, UTC8),
                             "\"home_visit\",\"tailored_plan_offer\""));
}
END_TEST

START_TEST(spend_below_half_alone_is_red_spend_drop_at_week_close)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(SPEND_ONLY, 1,
                  alert_text(SPEND_ONLY, "red",
                             "{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":1999,"
                             "\"prev_spend_fen\":4000}}",
                             1, "high", NULL, NULL, date_in_week(6),
                             cw_week_end_ms(week, UTC8),
                             "\"home_visit\",\"tailored_plan_offer\""));
}
END_TEST

START_TEST(usage_below_half_alone_is_red_usage_drop_at_week_close)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(USAGE_ONLY, 1,
                  alert_text(USAGE_ONLY, "red",
                             "{\"name\":\"usage_drop\",\"evidence\":{\"voice_s\":599,"
                             "\"prev_voice_s\":1200}}",
                             1, "high", NULL, NULL, date_in_week(6),
                             cw_week_end_ms(week, UTC8),
                             "\"home_visit\",\"tailored_plan_offer\""));
}
END_TEST

START_TEST(a_drop_from_below_the_minimum_base_is_no_drop)
{
    CW_HARNESS_REQUIRE(h);
    /* 1999 fen the week before, nothing in W: blue, not red */
    expect_alerts(BELOW_MIN_BASE, 1,
                  alert_text(BELOW_MIN_BASE, "blue", "", 1, "high", NULL, NULL,
                             date_in_week(6), cw_week_end_ms(week, UTC8), ""));
}
END_TEST

START_TEST(a_silent_subscriber_is_red_when_the_week_closes)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(SILENT, 1,
                  alert_text(SILENT, "red",
                             "{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":0,"
                             "\"prev_spend_fen\":5000}},"
                             "{\"name\":\"usage_drop\",\"evidence\":{\"voice_s\":0,"
                             "\"prev_voice_s\":900}}",
                             1, "high", NULL, NULL, date_in_week(6),
                             cw_week_end_ms(week, UTC8),
                             "\"home_visit\",\"tailored_plan_offer\""));
}
END_TEST

START_TEST(tier_1_without_a_trigger_is_blue_at_week_close)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(BLUE, 1,
                  alert_text(BLUE, "blue", "", 1, "high", NULL, NULL, date_in_week(6),
                             cw_week_end_ms(week, UTC8), ""));
    /* a subsidy ending within month + 3 is tier 1 too */
    expect_alerts(BLUE_SUBSIDY_SOON, 1,
                  alert_text(BLUE_SUBSIDY_SOON, "blue", "", 1, "mid", near_subsidy, NULL,
                             date_in_week(6), cw_week_end_ms(week, UTC8), ""));
    /* a subscriber seen only in W-1 is swept for W as well */
    expect_alerts(LATE_AFTER_CLOSE, 1,
                  alert_text(LATE_AFTER_CLOSE, "blue", "", 1, "high", NULL, NULL,
                             date_in_week(6), cw_week_end_ms(week, UTC8), ""));
}
END_TEST

START_TEST(tier_2_without_a_trigger_gets_no_alert)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(TIER2_QUIET, 0);
}
END_TEST

START_TEST(an_unwatched_tier_gets_no_alert_whatever_its_triggers)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(UNWATCHED, 0);
    expect_alerts(CLOCK, 0);
    /* the triggers were there: the state holds them */
    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, UNWATCHED, &sub, &found));
    const cw_week_agg_t *agg = cw_sub_find_week(&sub, week);
    CW_HARNESS_ASSERT(
        h,
        found && agg != NULL && agg->serious_complaints == 2 &&
            agg->published_level == CW_LEVEL_NONE,
        "unwatched subscriber: expected 2 serious complaints in W, none published");
}
END_TEST

/* ---- the publish rule ----------------------------------------------- */

START_TEST(a_lower_level_after_red_publishes_nothing_even_with_a_new_trigger)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(RED_THEN_LOWER, 1,
                  alert_text(RED_THEN_LOWER, "red", COMPLAINTS_EVIDENCE(1, 1), 1, "high",
                             NULL, NULL, date_in_week(1), at(week, 1, 16, 0),
                             "\"home_visit\",\"service_recovery_callback\""));
}
END_TEST

START_TEST(the_same_level_with_a_new_trigger_publishes_again_and_only_then)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(
        NEW_TRIGGER, 2,
        alert_text(NEW_TRIGGER, "red", COMPLAINTS_EVIDENCE(1, 1), 1, "high", NULL, NULL,
                   date_in_week(1), at(week, 1, 17, 0),
                   "\"home_visit\",\"service_recovery_callback\""),
        alert_text(NEW_TRIGGER, "red",
                   COMPLAINTS_EVIDENCE(1, 1) ",{\"name\":\"rival_service\","
                                             "\"evidence\":{\"rival_service_calls\":2}}",
                   1, "high", NULL, NULL, date_in_week(4), at(week, 4, 17, 0),
                   "\"home_visit\",\"service_recovery_callback\",\"retention_call\""));
}
END_TEST

START_TEST(a_higher_level_after_yellow_publishes)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(YELLOW_THEN_RED, 2,
                  alert_text(YELLOW_THEN_RED, "yellow", COMPLAINTS_EVIDENCE(1, 1), 2,
                             "high", far_subsidy, NULL, date_in_week(1),
                             at(week, 1, 18, 0), "\"service_recovery_callback\""),
                  alert_text(YELLOW_THEN_RED, "red", COMPLAINTS_EVIDENCE(1, 1), 1, "high",
                             NULL, NULL, date_in_week(3), at(week, 3, 18, 0),
                             "\"home_visit\",\"service_recovery_callback\""));
}
END_TEST

/* ---- weeks and lateness --------------------------------------------- */

START_TEST(monday_0100_local_is_sunday_utc_and_counts_in_the_local_week)
{
    CW_HARNESS_REQUIRE(h);
    /* sent as +86...: the alert and the state use the normalised number */
    expect_alerts(LOCAL_MONDAY, 1,
                  alert_text(LOCAL_MONDAY, "red", COMPLAINTS_EVIDENCE(1, 1), 1, "high",
                             NULL, NULL, date_in_week(0),
                             cw_week_start_ms(week, UTC8) + HOUR,
                             "\"home_visit\",\"service_recovery_callback\""));
    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, LOCAL_MONDAY, &sub, &found));
    CW_HARNESS_ASSERT(h, found, "no state for %s", LOCAL_MONDAY);
    const cw_week_agg_t *cur = cw_sub_find_week(&sub, week);
    const cw_week_agg_t *prev = cw_sub_find_week(&sub, week - 1);
    CW_HARNESS_ASSERT(h, cur != NULL && cur->complaints == 1 && cur->calls == 0,
                      "week %s: expected the Monday 01:00 complaint and no call", label);
    CW_HARNESS_ASSERT(
        h,
        prev != NULL && prev->calls == 1 && prev->voice_s == 60 && prev->complaints == 0,
        "week %s: expected the Sunday 23:00 call and no complaint", prev_label);
}
END_TEST

START_TEST(a_late_event_within_the_grace_period_is_evaluated)
{
    CW_HARNESS_REQUIRE(h);
    expect_alerts(LATE_IN_GRACE, 1,
                  alert_text(LATE_IN_GRACE, "red", COMPLAINTS_EVIDENCE(1, 1), 1, "high",
                             NULL, NULL, date_in_week(6), at(week, 6, 20, 0),
                             "\"home_visit\",\"service_recovery_callback\""));
}
END_TEST

START_TEST(a_late_event_after_the_week_closed_counts_but_alerts_nothing)
{
    CW_HARNESS_REQUIRE(h);
    /* only the blue of the sweep: a serious complaint would be red */
    json_t *got = alerts_of(LATE_AFTER_CLOSE);
    CW_HARNESS_ASSERT(
        h,
        json_array_size(got) == 1 &&
            strcmp(json_string_value(json_object_get(json_array_get(got, 0), "level")),
                   "blue") == 0,
        "%s: expected only the blue alert of the week close", LATE_AFTER_CLOSE);
    json_decref(got);
    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, LATE_AFTER_CLOSE, &sub, &found));
    const cw_week_agg_t *agg = cw_sub_find_week(&sub, week);
    CW_HARNESS_ASSERT(
        h,
        found && agg != NULL && agg->complaints == 1 && agg->serious_complaints == 1 &&
            agg->published_level == CW_LEVEL_BLUE,
        "%s: the late complaint must be in week %s's aggregate", LATE_AFTER_CLOSE, label);
    cw_meta_t meta;
    CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
    CW_HARNESS_ASSERT(h, found && meta.close[CW_PERIOD_WEEK].closed == week,
                      "partition 0: closed week %d, expected %d", (int)meta.close[CW_PERIOD_WEEK].closed,
                      (int)week);
}
END_TEST

/* ---- every alert ---------------------------------------------------- */

START_TEST(every_alert_carries_its_stable_id_the_rules_version_and_spec_key_order)
{
    CW_HARNESS_REQUIRE(h);
    static const char *const keys[] = {
        "alert_id",   "msisdn",     "level",       "week",         "triggers",
        "risk_tier",  "tier",       "subsidy_end", "contract_end", "eval_date",
        "event_time", "emitted_at", "actions",     "rules_version"};
    CW_HARNESS_ASSERT(h, alerts.count == EXPECTED_ALERTS,
                      "%zu alerts published, expected %d", alerts.count, EXPECTED_ALERTS);
    for (size_t i = 0; i < alerts.count; i++) {
        const cw_harness_msg_t *m = &alerts.items[i];
        json_error_t err;
        json_t *alert = json_loadb(m->value, m->value_len, 0, &err);
        CW_HARNESS_ASSERT(h, alert != NULL, "alert %zu is not JSON: %s", i, err.text);
        size_t k = 0;
        const char *key;
        json_t *value;
        json_object_foreach(alert, key, value)
        {
            CW_HARNESS_ASSERT(
                h, k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) == 0,
                "alert %zu: key %zu is '%s', expected '%s'", i, k, key,
                k < sizeof keys / sizeof keys[0] ? keys[k] : "(none)");
            k++;
        }
        CW_HARNESS_ASSERT(h, k == sizeof keys / sizeof keys[0], "alert %zu has %zu keys",
                          i, k);
        const char *msisdn = json_string_value(json_object_get(alert, "msisdn"));
        CW_HARNESS_ASSERT(h, m->key != NULL && strcmp(m->key, msisdn) == 0,
                          "alert %zu: key '%s', msisdn '%s'", i,
                          m->key ? m->key : "(null)", msisdn);
        int32_t alert_week;
        const char *week_text = json_string_value(json_object_get(alert, "week"));
        CW_HARNESS_ASSERT(
            h, cw_week_parse_label(week_text, strlen(week_text), &alert_week) == 0,
            "alert %zu: week '%s'", i, week_text);
        cw_level_t level;
        CW_HARNESS_ASSERT(
            h,
            cw_level_parse(json_string_value(json_object_get(alert, "level")), &level) ==
                0,
            "alert %zu: bad level", i);
        uint8_t bits = 0;
        size_t t;
        json_t *trigger;
        json_array_foreach(json_object_get(alert, "triggers"), t, trigger)
        {
            cw_trigger_t which;
            CW_HARNESS_ASSERT(
                h,
                cw_trigger_parse(json_string_value(json_object_get(trigger, "name")),
                                 &which) == 0,
                "alert %zu: unknown trigger", i);
            bits |= CW_TRIG_BIT(which);
        }
        char id[CW_ALERT_ID_SIZE];
        cw_alert_id(msisdn, alert_week, level, bits, id);
        const char *alert_id = json_string_value(json_object_get(alert, "alert_id"));
        CW_HARNESS_ASSERT(h, strcmp(alert_id, id) == 0,
                          "alert %zu: alert_id %s, expected %s", i, alert_id, id);
        const char *header = cw_harness_msg_header(m, "cdrwarn.alert_id");
        CW_HARNESS_ASSERT(h, header != NULL && strcmp(header, id) == 0,
                          "alert %zu: header cdrwarn.alert_id '%s', expected %s", i,
                          header ? header : "(none)", id);
        const char *version = json_string_value(json_object_get(alert, "rules_version"));
        CW_HARNESS_ASSERT(h, strcmp(version, rules_version) == 0,
                          "alert %zu: rules_version %s, --check-config says %s", i,
                          version, rules_version);
        json_int_t emitted = json_integer_value(json_object_get(alert, "emitted_at"));
        CW_HARNESS_ASSERT(h, emitted >= started_at && emitted <= finished_at,
                          "alert %zu: emitted_at %lld outside the run [%lld, %lld]", i,
                          (long long)emitted, (long long)started_at,
                          (long long)finished_at);
        for (size_t j = 0; j < i; j++) {
            const char *other =
                cw_harness_msg_header(&alerts.items[j], "cdrwarn.alert_id");
            CW_HARNESS_ASSERT(h, other == NULL || strcmp(other, id) != 0,
                              "alerts %zu and %zu are duplicates (%s)", j, i, id);
        }
        json_decref(alert);
    }
}
END_TEST

START_TEST(metrics_count_alerts_by_level_events_by_type_and_one_week_close)
{
    CW_HARNESS_REQUIRE(h);
    static const struct {
        const char *series;
        double want;
    } expected[] = {
        {"cdrwarn_alerts_total{level=\"red\"}", 15},
        {"cdrwarn_alerts_total{level=\"yellow\"}", 3},
        {"cdrwarn_alerts_total{level=\"blue\"}", 4},
        {"cdrwarn_alerts_delivered_total", EXPECTED_ALERTS},
        {"cdrwarn_week_closes_total", 1},
        {"cdrwarn_events_total{type=\"complaint\"}", 13},
        {"cdrwarn_events_total{type=\"profile\"}", 24},
        {"cdrwarn_events_total{type=\"plan_change\"}", 2},
        {"cdrwarn_events_total{type=\"charge\"}", 8},
        {"cdrwarn_events_total{type=\"data\"}", 6},
        {"cdrwarn_events_total{type=\"voice\"}", 17},
        {"cdrwarn_records_replayed_total", 0},
        {"cdrwarn_outbox_pending", 0},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        double value = -1;
        CW_HARNESS_OK(h, cw_harness_metric(h, expected[i].series, &value));
        CW_HARNESS_ASSERT(h, value == expected[i].want, "%s is %g, expected %g",
                          expected[i].series, value, expected[i].want);
    }
    for (int r = 1; r < CW_DLQ__COUNT; r++) {
        char series[96];
        snprintf(series, sizeof series, "cdrwarn_dlq_records_total{reason=\"%s\"}",
                 cw_dlq_reason_name((cw_dlq_reason_t)r));
        double value = -1;
        CW_HARNESS_OK(h, cw_harness_metric(h, series, &value));
        CW_HARNESS_ASSERT(h, value == 0, "%s is %g, expected 0", series, value);
    }
}
END_TEST

START_TEST(the_log_never_shows_a_full_msisdn)
{
    CW_HARNESS_REQUIRE(h);
    static const char *const numbers[] = {CLOCK,
                                          COMPLAINTS,
                                          FWD,
                                          RIVAL_SERVICE,
                                          DOWNGRADE,
                                          CONTRACT,
                                          DROPS,
                                          SILENT,
                                          BLUE,
                                          BLUE_SUBSIDY_SOON,
                                          TIER2_QUIET,
                                          UNWATCHED,
                                          RED_THEN_LOWER,
                                          NEW_TRIGGER,
                                          YELLOW_THEN_RED,
                                          LOCAL_MONDAY,
                                          LATE_IN_GRACE,
                                          LATE_AFTER_CLOSE,
                                          SPEND_ONLY,
                                          USAGE_ONLY,
                                          BELOW_MIN_BASE,
                                          OVERDUE};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, numbers[i]),
                          "the daemon's log shows %s unmasked (SPEC section 9)",
                          numbers[i]);
}
END_TEST

static Suite *alerts_suite(void)
{
    Suite *s = suite_create("alerts");
    TCase *tc = tcase_create("timeline");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, two_complaints_in_a_week_are_red_for_a_high_tier_subscriber);
    tcase_add_test(
        tc, forwards_to_rivals_on_three_days_are_red_and_a_fourth_day_adds_nothing);
    tcase_add_test(tc, one_overdue_complaint_is_red);
    tcase_add_test(tc, two_calls_with_rival_service_numbers_are_red);
    tcase_add_test(
        tc,
        plan_downgrade_with_a_far_subsidy_is_yellow_and_a_new_trigger_publishes_again);
    tcase_add_test(tc, contract_ending_within_30_days_is_red);
    tcase_add_test(tc, spend_and_usage_halving_are_red_when_the_week_closes);
    tcase_add_test(tc, spend_below_half_alone_is_red_spend_drop_at_week_close);
    tcase_add_test(tc, usage_below_half_alone_is_red_usage_drop_at_week_close);
    tcase_add_test(tc, a_drop_from_below_the_minimum_base_is_no_drop);
    tcase_add_test(tc, a_silent_subscriber_is_red_when_the_week_closes);
    tcase_add_test(tc, tier_1_without_a_trigger_is_blue_at_week_close);
    tcase_add_test(tc, tier_2_without_a_trigger_gets_no_alert);
    tcase_add_test(tc, an_unwatched_tier_gets_no_alert_whatever_its_triggers);
    tcase_add_test(tc, a_lower_level_after_red_publishes_nothing_even_with_a_new_trigger);
    tcase_add_test(tc, the_same_level_with_a_new_trigger_publishes_again_and_only_then);
    tcase_add_test(tc, a_higher_level_after_yellow_publishes);
    tcase_add_test(tc, monday_0100_local_is_sunday_utc_and_counts_in_the_local_week);
    tcase_add_test(tc, a_late_event_within_the_grace_period_is_evaluated);
    tcase_add_test(tc, a_late_event_after_the_week_closed_counts_but_alerts_nothing);
    tcase_add_test(
        tc, every_alert_carries_its_stable_id_the_rules_version_and_spec_key_order);
    tcase_add_test(tc, metrics_count_alerts_by_level_events_by_type_and_one_week_close);
    tcase_add_test(tc, the_log_never_shows_a_full_msisdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alerts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
