/* Integration: churn outcomes end to end (SPEC sections 3 and 10). One
 * daemon run on one partition plays a scripted timeline (W = four weeks
 * ago, local +08:00):
 *   P0  a clock event on Monday of W: the partition starts with W-1 closed
 *   P1  profiles, dated in W-1
 *   P2  in W: CAUGHT's two complaints (red); SILENT_AFTER's data, then its
 *       churn (cancel); RECYCLED's churn; TWICE's churn
 *   P3  in W+1 (W closes): RECYCLED's new profile, dated after its churn,
 *       then two complaints; TWICE's second churn; UNCAUGHT's data
 *   P4  in W+2 (W+1 closes): CAUGHT's churn (port_out to unicom), then
 *       UNCAUGHT's (cancel)
 * and then checks the outcome topic, the alert topic and /metrics. A
 * second test kills the daemon while an outcome is committed to Redis but
 * not yet delivered, and finds it published after the restart. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "keys.h"
#include "outcome.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define WAIT_MS 30000

#define CLOCK "13900000000" /* no profile: never alerted */
#define CAUGHT "13800300001"
#define UNCAUGHT "13800300002"
#define SILENT_AFTER "13800300003"
#define RECYCLED "13800300004"
#define TWICE "13800300005"

#define SEND(topic, msisdn, type, ts, ...)                                                   \
    CW_HARNESS_OK(h, cw_harness_send_event(h, topic, msisdn, type, ts, __VA_ARGS__) < 0)
#define CRM CW_HARNESS_TOPIC_CRM
#define CDR CW_HARNESS_TOPIC_CDR

static cw_harness_t *h;
static int32_t week;

static int64_t at(int32_t w, int day, int hour)
{
    return cw_week_start_ms(w, UTC8) + day * CW_MS_PER_DAY + hour * HOUR;
}

static void barrier(void)
{
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
}

static void profile(const char *msisdn, int64_t ts, const char *subsidy_json)
{
    SEND(CRM, msisdn, "profile", ts, ",\"tier\":\"high\",\"subsidy_end\":%s,\"contract_end\":null",
         subsidy_json);
}

static void churn(const char *msisdn, int64_t ts, const char *kind, const char *to)
{
    if (to != NULL)
        SEND(CRM, msisdn, "churn", ts, ",\"kind\":\"%s\",\"to_operator\":\"%s\"", kind, to);
    else
        SEND(CRM, msisdn, "churn", ts, ",\"kind\":\"%s\"", kind);
}

static void start(int partitions)
{
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, partitions));
    cw_harness_config_set(h, "kafka", "property.fetch.wait.max.ms", "10");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 4;
}

/* Every value of a topic keyed by msisdn, parsed. */
static size_t read_json(const char *topic, size_t min_count, const char *msisdn, json_t **out,
                        size_t most)
{
    cw_harness_msgs_t msgs;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, topic, min_count, WAIT_MS, &msgs));
    size_t n = 0;
    for (size_t i = 0; i < msgs.count && n < most; i++) {
        const cw_harness_msg_t *msg = &msgs.items[i];
        if (msg->key == NULL || strcmp(msg->key, msisdn) != 0)
            continue;
        out[n] = json_loadb(msg->value, msg->value_len, 0, NULL);
        CW_HARNESS_ASSERT(h, out[n] != NULL, "%s: a value that is not JSON", topic);
        n++;
    }
    cw_harness_msgs_free(&msgs);
    return n;
}

static const char *text(json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : NULL;
}

static void expect_outcome(json_t *outcome, const char *msisdn, const char *kind, const char *to,
                           int32_t churn_week, bool caught)
{
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(churn_week, label);
    CW_HARNESS_ASSERT(h, text(outcome, "msisdn") && strcmp(text(outcome, "msisdn"), msisdn) == 0,
                      "%s: msisdn", msisdn);
    CW_HARNESS_ASSERT(h, strcmp(text(outcome, "kind"), kind) == 0, "%s: kind %s, expected %s",
                      msisdn, text(outcome, "kind"), kind);
    if (to != NULL)
        CW_HARNESS_ASSERT(h, text(outcome, "to_operator") &&
                                 strcmp(text(outcome, "to_operator"), to) == 0,
                          "%s: to_operator", msisdn);
    else
        CW_HARNESS_ASSERT(h, json_is_null(json_object_get(outcome, "to_operator")),
                          "%s: to_operator should be null", msisdn);
    CW_HARNESS_ASSERT(h, strcmp(text(outcome, "week"), label) == 0, "%s: week %s, expected %s",
                      msisdn, text(outcome, "week"), label);
    CW_HARNESS_ASSERT(h, strcmp(text(outcome, "tier"), "high") == 0, "%s: tier", msisdn);
    CW_HARNESS_ASSERT(h, json_is_true(json_object_get(outcome, "watched")), "%s: watched",
                      msisdn);
    CW_HARNESS_ASSERT(h, json_boolean_value(json_object_get(outcome, "caught")) == caught,
                      "%s: caught should be %d", msisdn, caught);
    if (!caught) {
        CW_HARNESS_ASSERT(h, json_array_size(json_object_get(outcome, "alerted")) == 0,
                          "%s: alerted should be empty", msisdn);
        CW_HARNESS_ASSERT(h, json_is_null(json_object_get(outcome, "lead_weeks")),
                          "%s: lead_weeks should be null", msisdn);
    }
    char id[CW_OUTCOME_ID_SIZE];
    cw_outcome_id(msisdn, churn_week,
                  strcmp(kind, "port_out") == 0 ? CW_CHURN_PORT_OUT : CW_CHURN_CANCEL, id);
    CW_HARNESS_ASSERT(h, strcmp(text(outcome, "outcome_id"), id) == 0,
                      "%s: outcome_id %s, expected %s", msisdn, text(outcome, "outcome_id"), id);
}

static void free_all(json_t **values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(values[i]);
}

START_TEST(churns_publish_one_outcome_each_and_silence_the_churned)
{
    CW_HARNESS_REQUIRE(h);
    start(1);
    /* P0, P1 */
    SEND(CDR, CLOCK, "data", at(week, 0, 7), ",\"bytes\":1");
    barrier();
    profile(CAUGHT, at(week - 1, 1, 10), "null");
    profile(UNCAUGHT, at(week - 1, 1, 10), "\"2031-01-31\"");
    profile(SILENT_AFTER, at(week - 1, 1, 10), "null");
    profile(RECYCLED, at(week - 1, 1, 10), "null");
    profile(TWICE, at(week - 1, 1, 10), "null");
    barrier();
    /* P2 */
    SEND(CRM, CAUGHT, "complaint", at(week, 1, 9), ",\"severity\":\"normal\"");
    SEND(CRM, CAUGHT, "complaint", at(week, 1, 11), ",\"severity\":\"normal\"");
    SEND(CDR, SILENT_AFTER, "data", at(week, 1, 9), ",\"bytes\":100,\"charge_fen\":500");
    churn(SILENT_AFTER, at(week, 2, 9), "cancel", NULL);
    churn(RECYCLED, at(week, 1, 12), "port_out", "unicom");
    churn(TWICE, at(week, 1, 12), "port_out", "telecom");
    barrier();
    /* P3 */
    profile(RECYCLED, at(week + 1, 0, 10), "null");
    SEND(CRM, RECYCLED, "complaint", at(week + 1, 1, 9), ",\"severity\":\"normal\"");
    SEND(CRM, RECYCLED, "complaint", at(week + 1, 1, 10), ",\"severity\":\"normal\"");
    churn(TWICE, at(week + 1, 2, 9), "port_out", "telecom");
    SEND(CDR, UNCAUGHT, "data", at(week + 1, 2, 9), ",\"bytes\":100");
    barrier();
    /* P4 */
    churn(CAUGHT, at(week + 2, 1, 10), "port_out", "unicom");
    churn(UNCAUGHT, at(week + 2, 1, 11), "cancel", NULL);
    barrier();
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    json_t *values[8];
    size_t n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 5, CAUGHT, values, 8);
    CW_HARNESS_ASSERT(h, n == 1, "%zu outcomes for %s, expected 1", n, CAUGHT);
    expect_outcome(values[0], CAUGHT, "port_out", "unicom", week + 2, true);
    json_t *alerted = json_object_get(values[0], "alerted");
    json_t *first = json_array_get(alerted, 0);
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    CW_HARNESS_ASSERT(h, json_array_size(alerted) == 1 && strcmp(text(first, "week"), label) == 0 &&
                             strcmp(text(first, "level"), "red") == 0,
                      "%s: alerted should be [{%s, red}]", CAUGHT, label);
    json_t *triggers = json_object_get(first, "triggers");
    CW_HARNESS_ASSERT(h, json_array_size(triggers) == 1 &&
                             strcmp(json_string_value(json_array_get(triggers, 0)), "complaints") == 0,
                      "%s: triggers should be [complaints]", CAUGHT);
    CW_HARNESS_ASSERT(h, json_integer_value(json_object_get(values[0], "lead_weeks")) == 2,
                      "%s: lead_weeks should be 2", CAUGHT);
    free_all(values, n);

    n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 5, UNCAUGHT, values, 8);
    CW_HARNESS_ASSERT(h, n == 1, "%zu outcomes for %s, expected 1", n, UNCAUGHT);
    expect_outcome(values[0], UNCAUGHT, "cancel", NULL, week + 2, false);
    free_all(values, n);

    n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 5, SILENT_AFTER, values, 8);
    CW_HARNESS_ASSERT(h, n == 1, "%zu outcomes for %s, expected 1", n, SILENT_AFTER);
    expect_outcome(values[0], SILENT_AFTER, "cancel", NULL, week, false);
    free_all(values, n);
    /* the week closes would have made it blue (tier 1, no trigger) */
    n = read_json(CW_HARNESS_TOPIC_ALERTS, 1, SILENT_AFTER, values, 8);
    CW_HARNESS_ASSERT(h, n == 0, "%zu alerts for %s after its churn, expected none", n,
                      SILENT_AFTER);

    n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 5, TWICE, values, 8);
    CW_HARNESS_ASSERT(h, n == 1, "%zu outcomes for %s (two churns), expected 1", n, TWICE);
    expect_outcome(values[0], TWICE, "port_out", "telecom", week, false);
    free_all(values, n);

    n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 5, RECYCLED, values, 8);
    CW_HARNESS_ASSERT(h, n == 1, "%zu outcomes for %s, expected 1", n, RECYCLED);
    free_all(values, n);
    n = read_json(CW_HARNESS_TOPIC_ALERTS, 1, RECYCLED, values, 8);
    cw_week_label(week + 1, label);
    bool red_after = false;
    for (size_t i = 0; i < n; i++)
        red_after = red_after || (strcmp(text(values[i], "week"), label) == 0 &&
                                  strcmp(text(values[i], "level"), "red") == 0);
    free_all(values, n);
    CW_HARNESS_ASSERT(h, red_after, "%s: no red alert in %s after the profile that cleared its "
                                    "churn mark", RECYCLED, label);

    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_churns_total{kind=\"port_out\",caught=\"red\"}",
                                       &value));
    CW_HARNESS_ASSERT(h, value == 1, "churns port_out caught red: %g, expected 1", value);
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_churns_total{kind=\"port_out\",caught=\"none\"}",
                                       &value));
    CW_HARNESS_ASSERT(h, value == 2, "churns port_out not caught: %g, expected 2", value);
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_churns_total{kind=\"cancel\",caught=\"none\"}",
                                       &value));
    CW_HARNESS_ASSERT(h, value == 2, "churns cancel not caught: %g, expected 2", value);
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_churn_lead_weeks_bucket{le=\"1\"}", &value));
    CW_HARNESS_ASSERT(h, value == 0, "lead weeks <= 1: %g, expected 0", value);
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_churn_lead_weeks_bucket{le=\"2\"}", &value));
    CW_HARNESS_ASSERT(h, value == 1, "lead weeks <= 2: %g, expected 1", value);
    cw_harness_stop(h);
}
END_TEST

/* How many outcome entries the partition's outbox holds in Redis. */
static long outcomes_in_outbox(void)
{
    char key[CW_KEY_SIZE];
    cw_key_outbox(key, "cw:", 0);
    redisReply *reply = redisCommand(cw_harness_redis(h), "HKEYS %s", key);
    long count = 0;
    for (size_t i = 0; reply != NULL && i < reply->elements; i++)
        count += strncmp(reply->element[i]->str, "o:", 2) == 0;
    freeReplyObject(reply);
    return count;
}

START_TEST(an_outcome_committed_but_not_delivered_survives_a_kill)
{
    CW_HARNESS_REQUIRE(h);
    start(1);
    SEND(CDR, CLOCK, "data", at(week, 0, 7), ",\"bytes\":1");
    barrier();
    /* every broker answer 3 s late: an outcome committed to Redis waits that
     * long for its delivery report, and so to leave the outbox */
    CW_HARNESS_OK(h, cw_harness_broker_command(h, "rtt 3000", NULL, 0));
    profile(CAUGHT, at(week, 0, 8), "null");
    churn(CAUGHT, at(week, 0, 9), "cancel", NULL);
    long in_outbox = 0;
    for (int waited = 0; in_outbox == 0 && waited < WAIT_MS; waited += 20) {
        cw_harness_sleep_ms(20);
        in_outbox = outcomes_in_outbox();
    }
    CW_HARNESS_ASSERT(h, in_outbox == 1, "the outcome never reached the outbox");
    CW_HARNESS_OK(h, cw_harness_daemon_kill(h));
    cw_harness_log(h, "killed with the outcome committed and its delivery not acknowledged");
    CW_HARNESS_OK(h, cw_harness_broker_command(h, "rtt 0", NULL, 0));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    json_t *values[4];
    size_t n = read_json(CW_HARNESS_TOPIC_OUTCOMES, 1, CAUGHT, values, 4);
    CW_HARNESS_ASSERT(h, n >= 1, "the outcome was lost with the kill");
    expect_outcome(values[0], CAUGHT, "cancel", NULL, week, false);
    free_all(values, n);
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, 60000));
    CW_HARNESS_ASSERT(h, outcomes_in_outbox() == 0, "the outcome stays in the outbox");
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {churns_publish_one_outcome_each_and_silence_the_churned,
                            an_outcome_committed_but_not_delivered_survives_a_kill};
    return cw_harness_main("outcomes", tests, sizeof tests / sizeof tests[0], 180, &h);
}
