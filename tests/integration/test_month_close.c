/* Integration: the monthly value-churn model end to end (SPEC section 14).
 * One daemon run on one partition plays seven months of history in order
 * (M0 = seven months ago, local +08:00), so that each month closes when the
 * next one's first events arrive:
 *   SLOW      watched (high), 100 yuan a month for three months, then 20:
 *             value churn at M3 and M4; at M5 also three complaints and,
 *             from M4, three calls to a rival's service centre: a score of
 *             10 (spend_fall 3, complaints_3m 3, rival_service_6m 3,
 *             few_new_services 1), a potential churner;
 *   CHURNED   the same history, but churned in M0: never scored;
 *   LOW       the same history with a low tier: not watched, never scored.
 * Then the score topic holds exactly SLOW's three records, with their ids,
 * items and evidence, and /metrics counts the closes and the records. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "month.h"
#include "scorerec.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define WAIT_MS 30000
#define MONTHS 6

#define SLOW "13800400001"
#define CHURNED "13800400002"
#define LOW "13800400003"
#define CLOCK "13900000000"

#define SEND(topic, msisdn, type, ts, ...)                                                   \
    CW_HARNESS_OK(h, cw_harness_send_event(h, topic, msisdn, type, ts, __VA_ARGS__) < 0)
#define CRM CW_HARNESS_TOPIC_CRM
#define CDR CW_HARNESS_TOPIC_CDR
#define BILLING CW_HARNESS_TOPIC_BILLING

static cw_harness_t *h;
static int32_t m0;

/* Local noon on day `day` (1-based) of month m. */
static int64_t at(int32_t m, int day)
{
    return cw_month_start_ms(m, UTC8) + (day - 1) * CW_MS_PER_DAY + 12 * HOUR;
}

static void barrier(void)
{
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
}

/* One month of a subscriber's history: its rental, and what the month adds. */
static void month_of(const char *msisdn, int i)
{
    int32_t m = m0 + i;
    SEND(BILLING, msisdn, "charge", at(m, 5), ",\"charge_fen\":%d,\"item\":\"rental\"",
         i < 3 ? 10000 : 2000);
    if (i == 4)
        for (int c = 0; c < 3; c++)
            SEND(CDR, msisdn, "voice", at(m, 10) + c * HOUR,
                 ",\"direction\":\"mo\",\"peer\":\"10010\",\"duration_s\":60");
    if (i == 5)
        for (int c = 0; c < 3; c++)
            SEND(CRM, msisdn, "complaint", at(m, 12) + c * HOUR, ",\"severity\":\"normal\"");
}

static const char *text(json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

START_TEST(a_month_close_scores_watched_subscribers_and_publishes_their_records)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    cw_harness_config_set(h, "kafka", "property.fetch.wait.max.ms", "10");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    m0 = cw_month_of_ms(cw_harness_now_ms(), UTC8) - 7;

    SEND(CDR, CLOCK, "data", at(m0, 1), ",\"bytes\":1");
    barrier();
    SEND(CRM, SLOW, "profile", at(m0, 2), ",\"tier\":\"high\",\"subsidy_end\":null");
    SEND(CRM, CHURNED, "profile", at(m0, 2), ",\"tier\":\"high\",\"subsidy_end\":null");
    SEND(CRM, LOW, "profile", at(m0, 2), ",\"tier\":\"low\",\"subsidy_end\":null");
    SEND(CRM, CHURNED, "churn", at(m0, 3), ",\"kind\":\"cancel\"");
    for (int i = 0; i < MONTHS; i++) {
        month_of(SLOW, i);
        month_of(CHURNED, i);
        month_of(LOW, i);
        barrier();
    }
    /* the first day of M6 closes M5 */
    SEND(CDR, CLOCK, "data", at(m0 + MONTHS, 2), ",\"bytes\":1");
    barrier();
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    cw_harness_msgs_t msgs;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_SCORES, 3, WAIT_MS, &msgs));
    json_t *records[MONTHS] = {0};
    size_t count = 0;
    for (size_t i = 0; i < msgs.count; i++) {
        const cw_harness_msg_t *msg = &msgs.items[i];
        CW_HARNESS_ASSERT(h, msg->key && strcmp(msg->key, SLOW) == 0,
                          "a score record for %s, expected only %s's", msg->key ? msg->key : "",
                          SLOW);
        json_t *record = json_loadb(msg->value, msg->value_len, 0, NULL);
        CW_HARNESS_ASSERT(h, record != NULL, "a score record that is not JSON");
        char id[CW_SCORE_ID_SIZE];
        int32_t month;
        CW_HARNESS_ASSERT(h, cw_month_parse_label(text(record, "month"), 7, &month) == 0,
                          "a record's month '%s'", text(record, "month"));
        cw_scorerec_id(SLOW, month, id);
        CW_HARNESS_ASSERT(h, strcmp(text(record, "score_id"), id) == 0, "score_id %s, expected %s",
                          text(record, "score_id"), id);
        const char *header = cw_harness_msg_header(msg, "cdrwarn.score_id");
        CW_HARNESS_ASSERT(h, header && strcmp(header, id) == 0, "header cdrwarn.score_id");
        int i_month = month - m0;
        CW_HARNESS_ASSERT(h, i_month >= 3 && i_month <= 5 && records[i_month] == NULL,
                          "a record for M%d", i_month);
        records[i_month] = record;
        count++;
    }
    cw_harness_msgs_free(&msgs);
    CW_HARNESS_ASSERT(h, count == 3, "%zu score records, expected SLOW's M3, M4 and M5", count);
    for (int i = 3; i <= 4; i++) {
        CW_HARNESS_ASSERT(h, json_is_true(json_object_get(records[i], "value_churn")) &&
                                 json_is_false(json_object_get(records[i], "potential_churner")),
                          "M%d: value churn, not a potential churner", i);
    }
    json_t *m5 = records[5];
    CW_HARNESS_ASSERT(h, json_integer_value(json_object_get(m5, "score")) == 10 &&
                             json_is_true(json_object_get(m5, "potential_churner")) &&
                             json_is_true(json_object_get(m5, "value_churn")),
                      "M5: score %lld, expected 10, a potential churner and value churn",
                      (long long)json_integer_value(json_object_get(m5, "score")));
    static const char *const items[] = {"spend_fall", "complaints_3m", "rival_service_6m",
                                        "few_new_services"};
    json_t *got = json_object_get(m5, "items");
    CW_HARNESS_ASSERT(h, json_array_size(got) == 4, "M5: %zu items, expected 4",
                      json_array_size(got));
    for (size_t i = 0; i < 4; i++)
        CW_HARNESS_ASSERT(h, strcmp(text(json_array_get(got, i), "name"), items[i]) == 0,
                          "M5: item %zu is %s, expected %s (table order)", i,
                          text(json_array_get(got, i), "name"), items[i]);
    json_t *evidence = json_object_get(json_array_get(got, 0), "evidence");
    CW_HARNESS_ASSERT(h, json_integer_value(json_object_get(evidence, "spend_3m_fen")) == 6000 &&
                             json_integer_value(json_object_get(evidence, "spend_6m_fen")) == 36000,
                      "M5: spend_fall evidence");
    for (int i = 0; i < MONTHS; i++)
        json_decref(records[i]);

    double closes = 0, potential = 0, value = 0;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_month_closes_total", &closes));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_score_records_total{kind=\"potential_churner\"}",
                                       &potential));
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_score_records_total{kind=\"value_churn\"}",
                                       &value));
    CW_HARNESS_ASSERT(h, closes == MONTHS && potential == 1 && value == 3,
                      "month closes %g (expected %d), potential churners %g (1), value churn %g (3)",
                      closes, MONTHS, potential, value);
    CW_HARNESS_ASSERT(h, !cw_harness_daemon_log_contains(h, SLOW), "the log shows a full number");
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {a_month_close_scores_watched_subscribers_and_publishes_their_records};
    return cw_harness_main("month_close", tests, 1, 180, &h);
}
