/* Integration: weeks close even when traffic stops (SPEC section 5): a
 * partition silent for idle_close takes the wall clock as its stream time
 * and closes every week up to the last one, so a subscriber who went silent
 * gets its spend_drop and usage_drop alert with no later record at all. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define IDLE_MS 4000
#define SILENT "13800500001"

static cw_harness_t *h;

static void setup(void)
{
    h = cw_harness_new("idle");
}

static void teardown(void)
{
    cw_harness_free(h);
    h = NULL;
}

static int64_t at(int32_t w, int day, int hour)
{
    return cw_week_start_ms(w, UTC8) + day * CW_MS_PER_DAY + hour * HOUR;
}

static void check_alert(json_t *alert, const char *level, int32_t week,
                        const char *triggers)
{
    char label[CW_WEEK_LABEL_SIZE], sunday[11];
    cw_week_label(week, label);
    cw_date_format_ymd(cw_week_last_day(week), sunday);
    char *text = json_dumps(alert, JSON_COMPACT);
    json_error_t err;
    json_t *want = json_loads(triggers, 0, &err);
    CW_HARNESS_ASSERT(h, want != NULL, "bad expected triggers %s", triggers);
    CW_HARNESS_ASSERT(
        h,
        strcmp(json_string_value(json_object_get(alert, "level")), level) == 0 &&
            strcmp(json_string_value(json_object_get(alert, "week")), label) == 0 &&
            strcmp(json_string_value(json_object_get(alert, "eval_date")), sunday) == 0 &&
            json_integer_value(json_object_get(alert, "event_time")) ==
                cw_week_end_ms(week, UTC8) &&
            json_equal(json_object_get(alert, "triggers"), want),
        "alert %s\nexpected level %s, week %s, eval_date %s, event_time %lld, "
        "triggers %s",
        text, level, label, sunday, (long long)cw_week_end_ms(week, UTC8), triggers);
    json_decref(want);
    free(text);
}

START_TEST(a_silent_partition_closes_its_weeks_by_the_wall_clock)
{
    CW_HARNESS_REQUIRE(h);
    /* the newest week the wall clock closes (late_grace 6 h): W+1, where the
     * subscriber is silent; W is its last active week */
    int32_t last = cw_week_last_closed(cw_harness_now_ms(), 6 * HOUR, UTC8);
    int32_t week = last - 1;
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    cw_harness_config_set(h, "time", "idle_close", "4s");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* one topic, so the daemon sees them in this order: W-1 closed first,
     * then the subscriber's activity in W, then nothing more */
    const char *topic = CW_HARNESS_TOPIC_CDR;
    CW_HARNESS_ASSERT(
        h,
        cw_harness_send_event(h, topic, "13900000000", "data", at(week, 0, 7),
                              ",\"bytes\":1") >= 0 &&
            cw_harness_send_event(h, topic, SILENT, "profile", at(week, 1, 10),
                                  ",\"tier\":\"high\"") >= 0 &&
            cw_harness_send_event(h, topic, SILENT, "voice", at(week, 1, 11),
                                  ",\"direction\":\"mo\",\"peer\":"
                                  "\"13800000999\",\"duration_s\":900,"
                                  "\"charge_fen\":1000") >= 0 &&
            cw_harness_send_event(h, topic, SILENT, "charge", at(week, 2, 11),
                                  ",\"charge_fen\":2000") >= 0,
        "send: %s", cw_harness_error(h));
    int64_t sent_at = cw_harness_now_ms();
    CW_HARNESS_OK(h, cw_harness_flush(h, 30000));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, 30000));
    cw_meta_t meta;
    bool found;
    CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
    CW_HARNESS_ASSERT(
        h, found && meta.close[CW_PERIOD_WEEK].closed == week - 1,
        "closed week %d right after the records, expected %d (idle_close has "
        "not passed yet)",
        (int)meta.close[CW_PERIOD_WEEK].closed, (int)week - 1);

    CW_HARNESS_OK(h, cw_harness_wait_closed(h, last, 30000));
    int64_t closed_at = cw_harness_now_ms();
    CW_HARNESS_ASSERT(
        h, closed_at - sent_at >= IDLE_MS - 100,
        "weeks closed %lld ms after the last record, before idle_close (%d ms)",
        (long long)(closed_at - sent_at), IDLE_MS);
    CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
    int64_t stream = meta.stream_ms;
    CW_HARNESS_ASSERT(h, found && stream >= sent_at && stream <= closed_at,
                      "stream time %lld is not the wall clock of the close [%lld, %lld]",
                      (long long)stream, (long long)sent_at, (long long)closed_at);
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, 30000));

    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(h,
                  cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 2, 30000, &alerts));
    CW_HARNESS_ASSERT(h, alerts.count == 2,
                      "%zu alerts, expected blue for W and red for W+1", alerts.count);
    json_t *blue = json_loadb(alerts.items[0].value, alerts.items[0].value_len, 0, NULL);
    json_t *red = json_loadb(alerts.items[1].value, alerts.items[1].value_len, 0, NULL);
    CW_HARNESS_ASSERT(h, blue != NULL && red != NULL, "alerts are not JSON");
    check_alert(blue, "blue", week, "[]");
    check_alert(
        red, "red", week + 1,
        "[{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":0,\"prev_spend_fen\":3000}"
        "},"
        "{\"name\":\"usage_drop\",\"evidence\":{\"voice_s\":0,\"prev_voice_s\":900}}]");
    json_decref(blue);
    json_decref(red);
    cw_harness_msgs_free(&alerts);

    double closes = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_week_closes_total", &closes));
    CW_HARNESS_ASSERT(h, closes == 2, "%g week closes, expected 2 (W and W+1)", closes);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    cw_harness_stop(h);
}
END_TEST

static Suite *idle_suite(void)
{
    Suite *s = suite_create("idle_close");
    TCase *tc = tcase_create("wall_clock");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_silent_partition_closes_its_weeks_by_the_wall_clock);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(idle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
