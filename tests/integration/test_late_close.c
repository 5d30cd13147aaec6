/* Integration: an event that arrives after its week closed still makes the
 * subscriber one "with an event in W" for the close of W+1 (SPEC section 5
 * (b)), even when W's close had already stored an alert for the subscriber
 * (who was silent in W until then).
 *
 * One partition, one topic, so arrival order is the script's (W = four weeks
 * ago, local +08:00, late_grace 6 h):
 *   P0  a clock event on Monday 07:00 of W: W-1 is closed from the start
 *   P1  profiles (tier high) and 5000 fen of spend in W-1 for LATE and QUIET
 *   P2  the clock passes end(W) + grace: W closes; both went silent, so both
 *       get spend_drop for W
 *   P3  a charge of 5000 fen for LATE dated in W: too late to be evaluated,
 *       but it counts, and it is LATE's first event in W
 *   P4  the clock passes end(W+1) + grace: W+1 closes; LATE had an event in
 *       W and none in W+1: spend_drop for W+1 (5000 -> 0); QUIET had none in
 *       W or W+1: not evaluated, nothing more. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define MINUTE 60000LL
#define GRACE (6 * HOUR)
#define WAIT_MS 30000

#define CLOCK "13900000000" /* no profile: never alerted */
#define LATE "13800600001"
#define QUIET "13800600002"

static cw_harness_t *h;

static int64_t at(int32_t w, int day, int hour)
{
    return cw_week_start_ms(w, UTC8) + day * CW_MS_PER_DAY + hour * HOUR;
}

static int send(const char *msisdn, const char *type, int64_t ts, const char *fields)
{
    return cw_harness_send_event(h, CW_HARNESS_TOPIC_CDR, msisdn, type, ts, "%s", fields);
}

/* Every record sent so far is applied. */
static void barrier(void)
{
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
}

static void close_week(int32_t week)
{
    CW_HARNESS_ASSERT(h,
                      send(CLOCK, "data", cw_week_end_ms(week, UTC8) + GRACE + MINUTE,
                           ",\"bytes\":1") >= 0,
                      "send: %s", cw_harness_error(h));
    barrier();
    CW_HARNESS_OK(h, cw_harness_wait_closed(h, week, WAIT_MS));
}

/* The alerts published for msisdn, as "week:trigger(evidence)" texts in
 * publishing order, into out. */
static void alerts_of(const cw_harness_msgs_t *alerts, const char *msisdn, char *out,
                      size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < alerts->count; i++) {
        const cw_harness_msg_t *m = &alerts->items[i];
        if (m->key == NULL || strcmp(m->key, msisdn) != 0)
            continue;
        json_t *alert = json_loadb(m->value, m->value_len, 0, NULL);
        CW_HARNESS_ASSERT(h, alert != NULL, "an alert for %s is not JSON", msisdn);
        json_t *triggers = json_object_get(alert, "triggers");
        char *evidence = json_dumps(triggers, JSON_COMPACT);
        len += (size_t)snprintf(out + len, size - len, "%s%s %s", len ? "; " : "",
                                json_string_value(json_object_get(alert, "week")),
                                evidence ? evidence : "?");
        free(evidence);
        json_decref(alert);
        CW_HARNESS_ASSERT(h, len < size, "alerts of %s too long to compare", msisdn);
    }
}

START_TEST(a_late_event_puts_the_subscriber_on_the_next_week_close)
{
    CW_HARNESS_REQUIRE(h);
    int32_t week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 4;
    char label[CW_WEEK_LABEL_SIZE], next_label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    cw_week_label(week + 1, next_label);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* P0, P1 */
    CW_HARNESS_ASSERT(
        h,
        send(CLOCK, "data", at(week, 0, 7), ",\"bytes\":1") >= 0 &&
            send(LATE, "profile", at(week - 1, 1, 10), ",\"tier\":\"high\"") >= 0 &&
            send(QUIET, "profile", at(week - 1, 1, 10), ",\"tier\":\"high\"") >= 0 &&
            send(LATE, "charge", at(week - 1, 2, 10), ",\"charge_fen\":5000") >= 0 &&
            send(QUIET, "charge", at(week - 1, 2, 10), ",\"charge_fen\":5000") >= 0,
        "send: %s", cw_harness_error(h));
    barrier();
    /* P2 */
    close_week(week);
    /* P3 */
    CW_HARNESS_ASSERT(h,
                      send(LATE, "charge", at(week, 3, 10), ",\"charge_fen\":5000") >= 0,
                      "send: %s", cw_harness_error(h));
    barrier();
    /* P4 */
    close_week(week + 1);
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(h,
                  cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, 3, WAIT_MS, &alerts));
    char got[2048], want[2048];
    alerts_of(&alerts, LATE, got, sizeof got);
    snprintf(
        want, sizeof want,
        "%s [{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":0,\"prev_spend_fen\":"
        "5000}}]; %s [{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":0,"
        "\"prev_spend_fen\":5000}}]",
        label, next_label);
    CW_HARNESS_ASSERT(h, strcmp(got, want) == 0, "%s's alerts:\n  %s\nexpected\n  %s",
                      LATE, got, want);
    alerts_of(&alerts, QUIET, got, sizeof got);
    snprintf(
        want, sizeof want,
        "%s [{\"name\":\"spend_drop\",\"evidence\":{\"spend_fen\":0,\"prev_spend_fen\":"
        "5000}}]",
        label);
    CW_HARNESS_ASSERT(h, strcmp(got, want) == 0, "%s's alerts:\n  %s\nexpected\n  %s",
                      QUIET, got, want);
    CW_HARNESS_ASSERT(h, alerts.count == 3, "%zu alerts in all, expected 3",
                      alerts.count);
    cw_harness_msgs_free(&alerts);

    cw_sub_t sub;
    bool found;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, LATE, &sub, &found));
    const cw_week_agg_t *agg = found ? cw_sub_find_week(&sub, week) : NULL;
    CW_HARNESS_ASSERT(
        h, agg != NULL && agg->spend_fen == 5000 && !agg->no_event,
        "%s's week %s in Redis: %s, expected 5000 fen of spend from the late "
        "charge",
        LATE, label, agg ? "without that spend" : "missing");
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, WAIT_MS, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    cw_harness_stop(h);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {a_late_event_puts_the_subscriber_on_the_next_week_close};
    return cw_harness_main("late_close", tests, sizeof tests / sizeof tests[0], 120, &h);
}
