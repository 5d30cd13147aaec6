/* Integration: SIGHUP reloads [rules] in place (SPEC section 1, README
 * "Operations"). One daemon run on two partitions a topic, every subscriber
 * high tier without subsidy (tier 1), complaints in one past week:
 *   1. complaints_per_week = 2: two complaints are red;
 *   2. SIGHUP with complaints_per_week = 3: two complaints are nothing now,
 *      three are red, and that alert carries the new rules_version;
 *   3. SIGHUP after a line "170 chinaunicom" was added to the rival prefix
 *      file on disk (a copy in the temp dir; the config unchanged): forwards
 *      to 17012345678 on three days were nothing before, are red now;
 *   3b. SIGHUP with [numbers] country_code = 852 and [redis] timeout = 3s:
 *      refused (every stored number depends on the country code); then
 *      with country_code back at 86: taken, with a warning that names
 *      [redis] timeout as a change only a restart applies;
 *   4. SIGHUP with a misspelt key (and complaints_per_week = 2 beside it):
 *      refused, logged with file:line and key, counted as failed; two
 *      complaints are still nothing and three still red under version 3.
 * Throughout, the consumer keeps its group membership: one assignment, no
 * revocation, no record consumed twice. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_ops.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define PARTITIONS 2
#define WAIT_MS 30000

#define BEFORE "13800700001"        /* 2 complaints under the threshold 2 */
#define RAISED_TWO "13800700002"    /* 2 complaints under the threshold 3 */
#define RAISED_THREE "13800700003"  /* 3 complaints under the threshold 3 */
#define REFUSED_TWO "13800700004"   /* 2 complaints after the refused reload */
#define REFUSED_THREE "13800700005" /* 3 complaints after the refused reload */
#define FWD_BEFORE "13800700006"    /* forwards to PEER before 170 was a rival prefix */
#define FWD_AFTER "13800700007"     /* forwards to PEER after it became one */
#define PEER "17012345678"          /* 170: in no prefix file of config/ */
#define RIVAL_LINE "170 chinaunicom"
#define FWD_DAYS 3 /* [rules] fwd_rival_days, the default */
#define MISSPELT "complaints_per_wek"

static cw_harness_t *h;
static int32_t week; /* two weeks ago: nothing closes */
static size_t input_records;
static char version_2[17], version_3[17];
static int bad_version_rc = 0;
static int misspelt_line = -1;
static cw_harness_msgs_t alerts;
static char rival_path[512]; /* the rival prefix file the daemon reads */
static cw_sub_t fwd_before_state, fwd_after_state;
static bool fwd_before_found, fwd_after_found;

static const char *const subscribers[] = {
    BEFORE, RAISED_TWO, RAISED_THREE, REFUSED_TWO, REFUSED_THREE, FWD_BEFORE, FWD_AFTER};

static int complaints(const char *msisdn, int count)
{
    for (int k = 0; k < count; k++) {
        int64_t ts = cw_week_start_ms(week, UTC8) + (k + 1) * CW_MS_PER_DAY + 10 * HOUR;
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, msisdn,
                                                 "complaint", ts,
                                                 ",\"severity\":\"normal\"") < 0);
        input_records++;
    }
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    return 0;
}

/* Incoming calls forwarded to PEER on Tuesday, Wednesday and Thursday. */
static int forwards(const char *msisdn)
{
    for (int d = 1; d <= FWD_DAYS; d++) {
        int64_t ts = cw_week_start_ms(week, UTC8) + d * CW_MS_PER_DAY + 11 * HOUR;
        CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, "voice",
                                                 ts,
                                                 ",\"direction\":\"fwd\",\"peer\":\"%s\","
                                                 "\"duration_s\":0",
                                                 PEER) < 0);
        input_records++;
    }
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    return 0;
}

/* Copies src to dst, then appends `extra` (a line) when not NULL. */
static int copy_file(const char *src, const char *dst, const char *extra)
{
    FILE *in = fopen(src, "r");
    if (in == NULL)
        return cw_harness_ops_failf(h, "cannot read %s: %s", src, strerror(errno));
    FILE *out = fopen(dst, "w");
    if (out == NULL) {
        fclose(in);
        return cw_harness_ops_failf(h, "cannot write %s: %s", dst, strerror(errno));
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (extra != NULL)
        fprintf(out, "%s\n", extra);
    bool failed = ferror(in) != 0;
    fclose(in);
    if (fclose(out) != 0 || failed)
        return cw_harness_ops_failf(h, "cannot copy %s to %s", src, dst);
    return 0;
}

/* SIGHUP, then until /metrics counts it under result. */
static int reload(const char *result, double count)
{
    char series[64];
    snprintf(series, sizeof series, "cdrwarn_reloads_total{result=\"%s\"}", result);
    CW_HARNESS_STEP(h, cw_harness_daemon_signal(h, SIGHUP));
    double value = -1;
    for (int waited = 0; waited < WAIT_MS; waited += 50) {
        if (cw_harness_metric(h, series, &value) == 0 && value == count)
            return 0;
        cw_harness_sleep_ms(50);
    }
    return cw_harness_ops_failf(h, "%s is %g %d ms after SIGHUP, expected %g", series,
                                value, WAIT_MS, count);
}

static int play(void)
{
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    cw_harness_config_set(h, "rules", "complaints_per_week", "2");
    snprintf(rival_path, sizeof rival_path, "%s/rival_prefixes.txt", cw_harness_dir(h));
    if (copy_file(CW_SOURCE_DIR "/config/rival_prefixes.txt", rival_path, NULL) != 0)
        return -1;
    cw_harness_config_set(h, "numbers", "rival_prefixes", rival_path);
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_OPS_STEP(h, cw_harness_ops_rules_version(h, version_2));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    int64_t monday = cw_week_start_ms(week, UTC8) + 9 * HOUR;
    for (size_t i = 0; i < sizeof subscribers / sizeof subscribers[0]; i++) {
        CW_HARNESS_STEP(h, cw_harness_send_event(
                               h, CW_HARNESS_TOPIC_CRM, subscribers[i], "profile", monday,
                               ",\"tier\":\"high\",\"subsidy_end\":null") < 0);
        input_records++;
    }

    /* 1 */
    if (complaints(BEFORE, 2) != 0)
        return -1;

    /* 2 */
    cw_harness_config_set(h, "rules", "complaints_per_week", "3");
    CW_HARNESS_STEP(h, cw_harness_config_write(h));
    CW_OPS_STEP(h, cw_harness_ops_rules_version(h, version_3));
    CW_OPS_STEP(h, reload("ok", 1));
    if (complaints(RAISED_TWO, 2) != 0 || complaints(RAISED_THREE, 3) != 0)
        return -1;

    /* 3: the config stays as it is; only the file changes */
    if (forwards(FWD_BEFORE) != 0)
        return -1;
    CW_HARNESS_STEP(
        h, cw_harness_sub_state(h, FWD_BEFORE, &fwd_before_state, &fwd_before_found));
    if (copy_file(CW_SOURCE_DIR "/config/rival_prefixes.txt", rival_path, RIVAL_LINE) !=
        0)
        return -1;
    CW_OPS_STEP(h, reload("ok", 2));
    if (forwards(FWD_AFTER) != 0)
        return -1;
    CW_HARNESS_STEP(
        h, cw_harness_sub_state(h, FWD_AFTER, &fwd_after_state, &fwd_after_found));

    /* 3b */
    cw_harness_config_set(h, "numbers", "country_code", "852");
    cw_harness_config_set(h, "redis", "timeout", "3s");
    CW_HARNESS_STEP(h, cw_harness_config_write(h));
    CW_OPS_STEP(h, reload("failed", 1));
    cw_harness_config_set(h, "numbers", "country_code", "86");
    CW_HARNESS_STEP(h, cw_harness_config_write(h));
    CW_OPS_STEP(h, reload("ok", 3));

    /* 4: were it taken, the threshold would be 2 again */
    cw_harness_config_set(h, "rules", "complaints_per_week", "2");
    cw_harness_config_set(h, "rules", MISSPELT, "2");
    CW_HARNESS_STEP(h, cw_harness_config_write(h));
    misspelt_line = cw_harness_ops_config_line(h, MISSPELT " =");
    CW_OPS_STEP(h, misspelt_line < 0);
    char unused[17];
    bad_version_rc = cw_harness_ops_rules_version(h, unused);
    CW_OPS_STEP(h, reload("failed", 2));
    if (complaints(REFUSED_TWO, 2) != 0 || complaints(REFUSED_THREE, 3) != 0)
        return -1;

    /* at least the three complaint alerts; whether the forwards made a
     * fourth is a test's to say, not a wait's */
    CW_HARNESS_STEP(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    CW_HARNESS_STEP(
        h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 3, WAIT_MS, &alerts));
    return 0;
}

static void setup(void)
{
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    h = cw_harness_new("ops-reload");
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

/* The subscriber's one alert, parsed (a new reference); NULL when it has
 * none; fails when it has more. */
static json_t *alert_of(const char *msisdn)
{
    json_t *found = NULL;
    for (size_t i = 0; i < alerts.count; i++) {
        const cw_harness_msg_t *m = &alerts.items[i];
        if (m->key == NULL || strcmp(m->key, msisdn) != 0)
            continue;
        CW_HARNESS_ASSERT(h, found == NULL, "%s has more than one alert", msisdn);
        found = json_loadb(m->value, m->value_len, 0, NULL);
        CW_HARNESS_ASSERT(h, found != NULL, "the alert of %s is not JSON", msisdn);
    }
    return found;
}

/* A red alert for exactly `count` complaints, made under `version`. */
static void expect_red(const char *msisdn, int count, const char *version)
{
    json_t *alert = alert_of(msisdn);
    CW_HARNESS_ASSERT(h, alert != NULL, "%s: no alert for %d complaints", msisdn, count);
    char *text = json_dumps(alert, JSON_COMPACT);
    json_t *trigger = json_array_get(json_object_get(alert, "triggers"), 0);
    const char *level = json_string_value(json_object_get(alert, "level"));
    const char *name = json_string_value(json_object_get(trigger, "name"));
    json_int_t seen = json_integer_value(
        json_object_get(json_object_get(trigger, "evidence"), "complaints"));
    CW_HARNESS_ASSERT(h,
                      level != NULL && strcmp(level, "red") == 0 && name != NULL &&
                          strcmp(name, "complaints") == 0 && seen == count,
                      "%s: expected red for %d complaints, got %s", msisdn, count, text);
    const char *got = json_string_value(json_object_get(alert, "rules_version"));
    CW_HARNESS_ASSERT(h, got != NULL && strcmp(got, version) == 0,
                      "%s: rules_version %s, expected %s: %s", msisdn,
                      got ? got : "(none)", version, text);
    free(text);
    json_decref(alert);
}

static void expect_none(const char *msisdn, const char *why)
{
    json_t *alert = alert_of(msisdn);
    char *text = alert ? json_dumps(alert, JSON_COMPACT) : NULL;
    CW_HARNESS_ASSERT(h, alert == NULL, "%s got an alert %s: %s", msisdn, why, text);
}

static double metric(const char *series)
{
    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, series, &value));
    return value;
}

/* ---- the tests ------------------------------------------------------ */

START_TEST(before_any_reload_two_complaints_are_red_under_the_started_rules_version)
{
    CW_OPS_REQUIRE(h);
    expect_red(BEFORE, 2, version_2);
}
END_TEST

START_TEST(a_raised_threshold_applies_to_the_next_evaluation)
{
    CW_OPS_REQUIRE(h);
    expect_none(RAISED_TWO, "for 2 complaints with complaints_per_week reloaded to 3");
    expect_red(RAISED_THREE, 3, version_3);
}
END_TEST

START_TEST(the_next_alert_carries_the_rules_version_check_config_prints)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, strcmp(version_2, version_3) != 0,
                      "rules_version %s did not change with complaints_per_week",
                      version_2);
    CW_HARNESS_ASSERT(h, cw_harness_daemon_log_contains(h, version_3),
                      "the log does not name rules_version %s after the reload",
                      version_3);
    expect_red(RAISED_THREE, 3, version_3);
}
END_TEST

START_TEST(a_prefix_added_to_the_rival_file_makes_forwards_to_it_count_after_sighup)
{
    CW_OPS_REQUIRE(h);
    /* before: PEER belonged to no operator */
    expect_none(FWD_BEFORE, "for forwards to " PEER " before " RIVAL_LINE " was added");
    CW_HARNESS_ASSERT(h, fwd_before_found, "%s has no state in Redis", FWD_BEFORE);
    const cw_week_agg_t *agg = cw_sub_find_week(&fwd_before_state, week);
    CW_HARNESS_ASSERT(h, agg != NULL && agg->fwd_rival_days == 0,
                      "%s: fwd_rival_days 0x%x before the reload, expected none",
                      FWD_BEFORE, agg ? agg->fwd_rival_days : 0xffu);

    /* after: the same forwards are to a rival on each of the three days */
    CW_HARNESS_ASSERT(h, fwd_after_found, "%s has no state in Redis", FWD_AFTER);
    agg = cw_sub_find_week(&fwd_after_state, week);
    CW_HARNESS_ASSERT(h, agg != NULL && agg->fwd_rival_days == 0x0e,
                      "%s: fwd_rival_days 0x%x after the reload, expected 0x0e "
                      "(Tuesday..Thursday)",
                      FWD_AFTER, agg ? agg->fwd_rival_days : 0u);
    json_t *alert = alert_of(FWD_AFTER);
    CW_HARNESS_ASSERT(h, alert != NULL,
                      "%s: no alert for forwards to %s after the reload", FWD_AFTER,
                      PEER);
    char *text = json_dumps(alert, JSON_COMPACT);
    json_t *triggers = json_object_get(alert, "triggers");
    json_t *trigger = json_array_get(triggers, 0);
    json_t *evidence = json_object_get(trigger, "evidence");
    const char *level = json_string_value(json_object_get(alert, "level"));
    const char *name = json_string_value(json_object_get(trigger, "name"));
    CW_HARNESS_ASSERT(
        h,
        level != NULL && strcmp(level, "red") == 0 && json_array_size(triggers) == 1 &&
            name != NULL && strcmp(name, "fwd_rival") == 0 &&
            json_integer_value(json_object_get(evidence, "fwd_rival_days")) == FWD_DAYS &&
            json_array_size(json_object_get(evidence, "days")) == FWD_DAYS,
        "%s: expected red for fwd_rival on %d days, got %s", FWD_AFTER, FWD_DAYS, text);
    /* the number plan is not part of rules_version */
    const char *got = json_string_value(json_object_get(alert, "rules_version"));
    CW_HARNESS_ASSERT(h, got != NULL && strcmp(got, version_3) == 0,
                      "%s: rules_version %s, expected %s: %s", FWD_AFTER,
                      got ? got : "(none)", version_3, text);
    free(text);
    json_decref(alert);
}
END_TEST

START_TEST(a_misspelt_key_is_refused_with_file_line_and_key_in_the_log)
{
    CW_OPS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, bad_version_rc != 0, "--check-config accepted the misspelt key");
    char expected[600];
    snprintf(expected, sizeof expected, "reload: %s:%d: [rules] %s: unknown key",
             cw_harness_config_path(h), misspelt_line, MISSPELT);
    CW_HARNESS_ASSERT(h, cw_harness_ops_log_count(h, expected) == 1,
                      "the log has %d lines '%s'", cw_harness_ops_log_count(h, expected),
                      expected);
    CW_HARNESS_ASSERT(h, cw_harness_ops_log_count(h, "reload refused") == 2,
                      "the log has %d 'reload refused', expected 2 (3b and 4)",
                      cw_harness_ops_log_count(h, "reload refused"));
    double failed = metric("cdrwarn_reloads_total{result=\"failed\"}");
    double ok = metric("cdrwarn_reloads_total{result=\"ok\"}");
    CW_HARNESS_ASSERT(h, failed == 2 && ok == 3,
                      "reloads_total ok %g, failed %g; expected 3, 2", ok, failed);
}
END_TEST

START_TEST(a_country_code_change_is_refused_and_restart_only_keys_are_named)
{
    CW_OPS_REQUIRE(h);
    char expected[600];
    snprintf(
        expected, sizeof expected,
        "reload: %s: [numbers] country_code: changed from 86 to 852; a change of this "
        "key needs a restart, not a reload",
        cw_harness_config_path(h));
    CW_HARNESS_ASSERT(h, cw_harness_ops_log_count(h, expected) == 1,
                      "the log has %d lines '%s'", cw_harness_ops_log_count(h, expected),
                      expected);
    const char *warning =
        "reload: [redis] timeout changed; that takes effect only at the "
        "next restart, the running value stays";
    /* 3b's taken reload and 4's refused one: the warning comes with the taken */
    CW_HARNESS_ASSERT(h, cw_harness_ops_log_count(h, warning) == 1,
                      "the log has %d lines '%s', expected 1",
                      cw_harness_ops_log_count(h, warning), warning);
}
END_TEST

START_TEST(a_refused_reload_keeps_the_running_rules)
{
    CW_OPS_REQUIRE(h);
    expect_none(REFUSED_TWO, "for 2 complaints after a refused reload back to 2");
    expect_red(REFUSED_THREE, 3, version_3);
    CW_HARNESS_ASSERT(h, alerts.count == 4, "%zu alerts published, expected 4",
                      alerts.count);
}
END_TEST

START_TEST(reloads_keep_the_group_membership_and_replay_nothing)
{
    CW_OPS_REQUIRE(h);
    int assigned = cw_harness_ops_log_count(h, "kafka: assigned");
    int revoked = cw_harness_ops_log_count(h, "kafka: revoked");
    CW_HARNESS_ASSERT(h, assigned == 1 && revoked == 0,
                      "%d assignments and %d revocations logged; expected 1 and 0",
                      assigned, revoked);
    CW_HARNESS_ASSERT(h, metric("cdrwarn_records_replayed_total") == 0,
                      "records were replayed across the reloads");
    CW_HARNESS_ASSERT(h,
                      metric("cdrwarn_records_consumed_total") == (double)input_records,
                      "%g records consumed, %zu sent",
                      metric("cdrwarn_records_consumed_total"), input_records);
    CW_HARNESS_ASSERT(h, metric("cdrwarn_partitions_assigned") == PARTITIONS,
                      "%g partitions assigned", metric("cdrwarn_partitions_assigned"));
    int status = 0;
    CW_HARNESS_OK(h, cw_harness_http_get(h, "/healthz", &status, NULL));
    CW_HARNESS_ASSERT(h, status == 200, "/healthz answered %d after the reloads", status);
}
END_TEST

START_TEST(the_log_never_shows_a_full_msisdn)
{
    CW_OPS_REQUIRE(h);
    for (size_t i = 0; i < sizeof subscribers / sizeof subscribers[0]; i++)
        CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, subscribers[i]),
                          "the daemon's log shows %s unmasked (SPEC section 9)",
                          subscribers[i]);
}
END_TEST

static Suite *ops_reload_suite(void)
{
    Suite *s = suite_create("ops_reload");
    TCase *tc = tcase_create("sighup");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, before_any_reload_two_complaints_are_red_under_the_started_rules_version);
    tcase_add_test(tc, a_raised_threshold_applies_to_the_next_evaluation);
    tcase_add_test(tc, the_next_alert_carries_the_rules_version_check_config_prints);
    tcase_add_test(
        tc, a_prefix_added_to_the_rival_file_makes_forwards_to_it_count_after_sighup);
    tcase_add_test(tc, a_misspelt_key_is_refused_with_file_line_and_key_in_the_log);
    tcase_add_test(tc, a_country_code_change_is_refused_and_restart_only_keys_are_named);
    tcase_add_test(tc, a_refused_reload_keeps_the_running_rules);
    tcase_add_test(tc, reloads_keep_the_group_membership_and_replay_nothing);
    tcase_add_test(tc, the_log_never_shows_a_full_msisdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_reload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
