/* Integration: cdrwarnd killed (SIGKILL) in the middle of a stream and
 * restarted changes no aggregate and loses no alert (SPEC sections 4 and 7):
 * every record is applied exactly once, the records the group had not
 * committed yet are skipped as replays (and counted), alerts committed but
 * maybe unsent are sent again with the same alert_id.
 *
 * Four partitions a topic, 48 subscribers in four classes, one week W (two
 * weeks ago) with W-1 as history (stored while W-1 is already closed):
 *   class 0: two complaints in W             -> red [complaints]
 *   class 1: spend 4000 -> 500 fen            -> red [spend_drop] at close
 *   class 2: a serious complaint and the drop -> red [complaints], then
 *                                                red [complaints, spend_drop]
 *   class 3: steady                           -> blue at close
 * The daemon is killed while the first half of W's records arrives; the
 * second half is sent while it is down; after the restart every partition's
 * W is closed with a clock event.
 *
 * A second case kills the daemon in the middle of a week close whose sweep
 * takes several steps (2500 subscribers on one partition): the restarted
 * daemon resumes it, and every subscriber gets its one alert. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "harness.h"
#include "rules.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define PARTITIONS 4
#define SUBSCRIBERS 48
#define DATA_EVENTS 100 /* per subscriber in W */
#define WAIT_MS 60000

static cw_harness_t *h;
static int32_t week;
static int bad_sent[8]; /* send indexes of the bad records, two a chunk */
static int bad_count;
static char clocks[PARTITIONS][24]; /* a number on each partition, no profile */

static const char *const inputs[] = {CW_HARNESS_TOPIC_CDR, CW_HARNESS_TOPIC_BILLING,
                                     CW_HARNESS_TOPIC_CRM};

static void setup(void)
{
    h = cw_harness_new("restart");
    week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 2;
    for (int p = 0; p < PARTITIONS; p++) {
        for (int j = 0; j < 10000; j++) {
            snprintf(clocks[p], sizeof clocks[p], "1390000%04d", j);
            if (cw_harness_partition_of(clocks[p], PARTITIONS) == p)
                break;
        }
    }
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

static void msisdn_of(int i, char out[24])
{
    snprintf(out, 24, "1380040%04d", i);
}

static int fen_per_event(int i)
{
    return i % 4 == 1 || i % 4 == 2 ? 5 : 40; /* x 100 events: 500 or 4000 */
}

#define SEND(topic, msisdn, type, ts, ...)                                               \
    CW_HARNESS_ASSERT(                                                                   \
        h, cw_harness_send_event(h, topic, msisdn, type, ts, __VA_ARGS__) >= 0,          \
        "send: %s", cw_harness_error(h))

static void barrier(void)
{
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
}

/* W's data events first..last-1 for every subscriber; chunk 0 carries the
 * first complaints, chunk 2 the second ones; each chunk two bad records. */
static void send_week(int first, int last, int chunk)
{
    for (int b = 0; b < 2; b++) {
        char msisdn[24];
        msisdn_of((chunk * 2 + b) * 7 % SUBSCRIBERS, msisdn);
        bad_sent[bad_count] =
            cw_harness_sendf(h, b ? CW_HARNESS_TOPIC_BILLING : CW_HARNESS_TOPIC_CDR,
                             msisdn, "{\"event_id\":\"bad-%d-%d\",", chunk, b);
        CW_HARNESS_ASSERT(h, bad_sent[bad_count] >= 0, "send: %s", cw_harness_error(h));
        bad_count++;
    }
    for (int k = first; k < last; k++) {
        for (int i = 0; i < SUBSCRIBERS; i++) {
            char msisdn[24];
            msisdn_of(i, msisdn);
            SEND(CW_HARNESS_TOPIC_CDR, msisdn, "data", at(week, 1, 8) + k * 60000LL,
                 ",\"bytes\":4096,\"charge_fen\":%d", fen_per_event(i));
        }
    }
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        if (i % 4 == 0 && chunk != 1)
            SEND(CW_HARNESS_TOPIC_CRM, msisdn, "complaint",
                 at(week, chunk == 0 ? 1 : 3, 9), ",\"severity\":\"normal\"");
        if (i % 4 == 2 && chunk == 0)
            SEND(CW_HARNESS_TOPIC_CRM, msisdn, "complaint", at(week, 1, 9),
                 ",\"severity\":\"serious\"");
    }
}

static int64_t meta_next(int p, int t)
{
    int64_t next;
    CW_HARNESS_OK(h, cw_harness_next_offset(h, p, inputs[t], &next));
    return next >= 0 ? next : 0;
}

static int64_t applied_total(void)
{
    int64_t total = 0;
    for (int p = 0; p < PARTITIONS; p++)
        for (int t = 0; t < 3; t++)
            total += meta_next(p, t);
    return total;
}

/* Records Redis holds as applied but the group has not committed: what the
 * restarted daemon must skip. Read twice until stable, as a commit the
 * killed daemon had in flight may still land. */
static int64_t uncommitted(void)
{
    int64_t last = -1;
    for (int attempt = 0; attempt < 10; attempt++) {
        int64_t total = 0;
        for (int t = 0; t < 3; t++) {
            int64_t committed[PARTITIONS];
            CW_HARNESS_OK(h, cw_harness_committed(h, CW_HARNESS_GROUP, inputs[t],
                                                  PARTITIONS, committed));
            for (int p = 0; p < PARTITIONS; p++) {
                int64_t next = meta_next(p, t);
                int64_t from = committed[p] < 0 ? 0 : committed[p];
                CW_HARNESS_ASSERT(
                    h, from <= next,
                    "%s [%d]: committed %lld is beyond what Redis applied (%lld)",
                    inputs[t], p, (long long)from, (long long)next);
                total += next - from;
            }
        }
        if (total == last)
            return total;
        last = total;
        cw_harness_sleep_ms(300);
    }
    return last;
}

static double metric(const char *series)
{
    double value = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, series, &value));
    return value;
}

/* The distinct alerts expected for subscriber i, as "level:trigger,trigger". */
static int expected_alerts(int i, const char *out[2])
{
    switch (i % 4) {
    case 0:
        out[0] = "red:complaints";
        return 1;
    case 1:
        out[0] = "red:spend_drop";
        return 1;
    case 2:
        out[0] = "red:complaints";
        out[1] = "red:complaints,spend_drop";
        return 2;
    default:
        out[0] = "blue:";
        return 1;
    }
}

START_TEST(sigkill_mid_stream_changes_no_aggregate_and_loses_no_alert)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, PARTITIONS));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* W-1 closed from the start; profiles and W-1 spend as history */
    for (int p = 0; p < PARTITIONS; p++)
        SEND(CW_HARNESS_TOPIC_CDR, clocks[p], "data", at(week, 0, 7), ",\"bytes\":1");
    barrier();
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        SEND(CW_HARNESS_TOPIC_CRM, msisdn, "profile", at(week - 1, 1, 10),
             ",\"tier\":\"high\",\"subsidy_end\":null,\"contract_end\":null");
        for (int k = 0; k < 4; k++)
            SEND(CW_HARNESS_TOPIC_BILLING, msisdn, "charge", at(week - 1, 2, 10 + k),
                 ",\"charge_fen\":1000");
    }
    barrier();
    int64_t history = applied_total();

    /* the first half of W; the kill comes while its second quarter arrives */
    send_week(0, DATA_EVENTS / 4, 0);
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    int64_t seen = history;
    for (int waited = 0; waited < 30000 && seen == history; waited += 5) {
        seen = applied_total();
        if (seen == history)
            cw_harness_sleep_ms(5);
    }
    CW_HARNESS_ASSERT(h, seen > history, "the daemon applied nothing of W in 30 s");
    send_week(DATA_EVENTS / 4, DATA_EVENTS / 2, 1);
    CW_HARNESS_OK(h, cw_harness_daemon_kill(h));
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    int64_t applied_at_kill = applied_total();
    int64_t replays = uncommitted();
    cw_harness_log(
        h, "killed with %lld of %zu records applied; %lld applied but uncommitted",
        (long long)applied_at_kill, cw_harness_sent_count(h), (long long)replays);

    /* the rest while it is down, then the restart */
    send_week(DATA_EVENTS / 2, DATA_EVENTS, 2);
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    int64_t applied_after = applied_total();
    CW_HARNESS_ASSERT(h, applied_after == (int64_t)cw_harness_sent_count(h),
                      "%lld records applied, %zu sent", (long long)applied_after,
                      cw_harness_sent_count(h));
    double replayed = metric("cdrwarn_records_replayed_total");
    CW_HARNESS_ASSERT(h, replayed == (double)replays,
                      "the restarted daemon counted %.0f replayed records, expected %lld "
                      "(applied before the kill, not committed to the group)",
                      replayed, (long long)replays);
    double events = metric("cdrwarn_events_total{type=\"data\"}") +
                    metric("cdrwarn_events_total{type=\"complaint\"}") +
                    metric("cdrwarn_dlq_records_total{reason=\"invalid_json\"}");
    CW_HARNESS_ASSERT(
        h, events == (double)(applied_after - applied_at_kill),
        "the restarted daemon applied or dead-lettered %.0f records, expected %lld",
        events, (long long)(applied_after - applied_at_kill));

    /* close W everywhere */
    for (int p = 0; p < PARTITIONS; p++)
        SEND(CW_HARNESS_TOPIC_CDR, clocks[p], "data",
             cw_week_end_ms(week, UTC8) + 6 * HOUR + 60000, ",\"bytes\":1");
    barrier();
    CW_HARNESS_OK(h, cw_harness_wait_closed(h, week, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    /* aggregates: exactly once */
    for (int i = 0; i < SUBSCRIBERS; i++) {
        char msisdn[24];
        msisdn_of(i, msisdn);
        cw_sub_t sub;
        bool found;
        CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, &sub, &found));
        CW_HARNESS_ASSERT(h, found, "%s: no state", msisdn);
        const cw_week_agg_t *cur = cw_sub_find_week(&sub, week);
        const cw_week_agg_t *prev = cw_sub_find_week(&sub, week - 1);
        CW_HARNESS_ASSERT(h, prev != NULL && prev->spend_fen == 4000,
                          "%s: W-1 spend %lld, expected 4000", msisdn,
                          (long long)(prev ? prev->spend_fen : -1));
        CW_HARNESS_ASSERT(
            h, cur != NULL && cur->spend_fen == DATA_EVENTS * fen_per_event(i),
            "%s: W spend %lld, expected %d", msisdn,
            (long long)(cur ? cur->spend_fen : -1), DATA_EVENTS * fen_per_event(i));
        uint32_t complaints = i % 4 == 0 ? 2 : i % 4 == 2 ? 1 : 0;
        CW_HARNESS_ASSERT(h,
                          cur->complaints == complaints &&
                              cur->serious_complaints == (i % 4 == 2 ? 1u : 0u),
                          "%s: %u complaints (%u serious) in W, expected %u", msisdn,
                          cur->complaints, cur->serious_complaints, complaints);
        CW_HARNESS_ASSERT(
            h, cur->published_level == (i % 4 == 3 ? CW_LEVEL_BLUE : CW_LEVEL_RED),
            "%s: published level %u", msisdn, cur->published_level);
    }

    /* alerts: every expected one at least once, duplicates only with the
     * same id, nothing else */
    size_t distinct_expected = 0;
    for (int i = 0; i < SUBSCRIBERS; i++) {
        const char *want[2];
        distinct_expected += (size_t)expected_alerts(i, want);
    }
    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, distinct_expected,
                                           WAIT_MS, &alerts));
    char(*seen_ids)[CW_ALERT_ID_SIZE] = calloc(alerts.count, sizeof *seen_ids);
    size_t distinct = 0, duplicates = 0;
    for (size_t a = 0; a < alerts.count; a++) {
        const cw_harness_msg_t *m = &alerts.items[a];
        json_error_t err;
        json_t *alert = json_loadb(m->value, m->value_len, 0, &err);
        CW_HARNESS_ASSERT(h, alert != NULL, "alert %zu is not JSON: %s", a, err.text);
        const char *msisdn = json_string_value(json_object_get(alert, "msisdn"));
        const char *level = json_string_value(json_object_get(alert, "level"));
        int i = -1;
        for (int s = 0; s < SUBSCRIBERS && i < 0; s++) {
            char candidate[24];
            msisdn_of(s, candidate);
            if (strcmp(candidate, msisdn) == 0)
                i = s;
        }
        CW_HARNESS_ASSERT(h, i >= 0, "alert %zu for %s, who should get none", a, msisdn);
        char kind[128];
        int len = snprintf(kind, sizeof kind, "%s:", level);
        uint8_t bits = 0;
        size_t t;
        json_t *trigger;
        json_array_foreach(json_object_get(alert, "triggers"), t, trigger)
        {
            const char *name = json_string_value(json_object_get(trigger, "name"));
            len += snprintf(kind + len, sizeof kind - (size_t)len, "%s%s", t ? "," : "",
                            name);
            cw_trigger_t which;
            CW_HARNESS_ASSERT(h, cw_trigger_parse(name, &which) == 0,
                              "unknown trigger %s", name);
            bits |= CW_TRIG_BIT(which);
            if (which == CW_TRIG_SPEND_DROP) {
                json_t *evidence = json_object_get(trigger, "evidence");
                CW_HARNESS_ASSERT(
                    h,
                    json_integer_value(json_object_get(evidence, "spend_fen")) == 500 &&
                        json_integer_value(json_object_get(evidence, "prev_spend_fen")) ==
                            4000,
                    "%s: spend_drop evidence is not 500 after 4000", msisdn);
            }
        }
        const char *want[2];
        int n = expected_alerts(i, want);
        CW_HARNESS_ASSERT(
            h, strcmp(kind, want[0]) == 0 || (n == 2 && strcmp(kind, want[1]) == 0),
            "%s: unexpected alert %s", msisdn, kind);
        char label[CW_WEEK_LABEL_SIZE];
        cw_week_label(week, label);
        CW_HARNESS_ASSERT(
            h, strcmp(json_string_value(json_object_get(alert, "week")), label) == 0,
            "%s %s: week %s, expected %s", msisdn, kind,
            json_string_value(json_object_get(alert, "week")), label);
        char id[CW_ALERT_ID_SIZE];
        cw_level_t lvl;
        cw_level_parse(level, &lvl);
        cw_alert_id(msisdn, week, lvl, bits, id);
        const char *alert_id = json_string_value(json_object_get(alert, "alert_id"));
        const char *header = cw_harness_msg_header(m, "cdrwarn.alert_id");
        CW_HARNESS_ASSERT(h,
                          strcmp(alert_id, id) == 0 && header && strcmp(header, id) == 0,
                          "%s %s: alert_id %s (header %s), expected %s", msisdn, kind,
                          alert_id, header ? header : "(none)", id);
        bool dup = false;
        for (size_t d = 0; d < distinct && !dup; d++)
            dup = strcmp(seen_ids[d], id) == 0;
        if (dup)
            duplicates++;
        else
            strcpy(seen_ids[distinct++], id);
        json_decref(alert);
    }
    cw_harness_log(h, "%zu alert(s) on the topic: %zu distinct, %zu duplicate(s)",
                   alerts.count, distinct, duplicates);
    CW_HARNESS_ASSERT(h, distinct == distinct_expected,
                      "%zu distinct alerts, expected %zu", distinct, distinct_expected);
    free(seen_ids);
    cw_harness_msgs_free(&alerts);

    /* dead letters: every bad record at least once, nothing else */
    cw_harness_msgs_t dlq;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, (size_t)bad_count,
                                           WAIT_MS, &dlq));
    for (int b = 0; b < bad_count; b++) {
        const cw_harness_sent_t *sent = cw_harness_sent(h, bad_sent[b]);
        char partition[16], offset[24];
        snprintf(partition, sizeof partition, "%d", (int)sent->partition);
        snprintf(offset, sizeof offset, "%lld", (long long)sent->offset);
        int copies = 0;
        for (size_t i = 0; i < dlq.count; i++) {
            const char *topic =
                cw_harness_msg_header(&dlq.items[i], "cdrwarn.source.topic");
            const char *p =
                cw_harness_msg_header(&dlq.items[i], "cdrwarn.source.partition");
            const char *o = cw_harness_msg_header(&dlq.items[i], "cdrwarn.source.offset");
            copies += topic && p && o && strcmp(topic, sent->topic) == 0 &&
                      strcmp(p, partition) == 0 && strcmp(o, offset) == 0;
        }
        CW_HARNESS_ASSERT(h, copies >= 1, "bad record %s [%s] @%s is not on the DLQ",
                          sent->topic, partition, offset);
    }
    for (size_t i = 0; i < dlq.count; i++) {
        const char *reason = cw_harness_msg_header(&dlq.items[i], "cdrwarn.reason");
        CW_HARNESS_ASSERT(h, reason && strcmp(reason, "invalid_json") == 0,
                          "DLQ record %zu: reason %s", i, reason ? reason : "(none)");
    }
    cw_harness_log(h, "%zu dead letter(s) for %d bad record(s)", dlq.count, bad_count);
    cw_harness_msgs_free(&dlq);

    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    cw_harness_stop(h);
}
END_TEST

/* ---- a kill in the middle of a week close ------------------------------ */

#define SWEPT 2500 /* more than one sweep step holds (1000) */

static void swept_msisdn(int i, char out[24])
{
    snprintf(out, 24, "1350060%04d", i);
}

START_TEST(sigkill_in_the_middle_of_a_week_close_resumes_it_exactly_once)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    /* one topic: the close comes after everything else. W-1 closed first;
     * every subscriber spent 3000 fen in W-1, the even ones 3000 in W too */
    const char *topic = CW_HARNESS_TOPIC_CDR;
    SEND(topic, clocks[0], "data", at(week, 0, 7), ",\"bytes\":1");
    for (int i = 0; i < SWEPT; i++) {
        char msisdn[24];
        swept_msisdn(i, msisdn);
        SEND(topic, msisdn, "profile", at(week - 1, 1, 10), ",\"tier\":\"high\"");
        SEND(topic, msisdn, "charge", at(week - 1, 2, 10), ",\"charge_fen\":3000");
        if (i % 2 == 0)
            SEND(topic, msisdn, "charge", at(week, 2, 10), ",\"charge_fen\":3000");
    }
    SEND(topic, clocks[0], "data", cw_week_end_ms(week, UTC8) + 6 * HOUR + 60000,
         ",\"bytes\":1");
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));

    /* the kill as soon as the first sweep step is committed */
    cw_meta_t meta;
    bool found, sweeping = false, closed = false;
    for (int64_t deadline = cw_harness_now_ms() + WAIT_MS;
         !sweeping && !closed && cw_harness_now_ms() < deadline;) {
        CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
        sweeping = meta.close[CW_PERIOD_WEEK].sweep != CW_WEEK_NONE;
        closed = meta.close[CW_PERIOD_WEEK].closed == week; /* the whole close fitted between two polls */
    }
    CW_HARNESS_ASSERT(h, sweeping || closed,
                      "the close of week %d did not begin within %d ms", (int)week,
                      WAIT_MS);
    CW_HARNESS_OK(h, cw_harness_daemon_kill(h));
    /* what the restart must finish: Redis as the dead daemon left it */
    CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
    sweeping = meta.close[CW_PERIOD_WEEK].sweep != CW_WEEK_NONE;
    if (sweeping)
        cw_harness_log(h, "killed with the sweep of week %d at byte %lld of its list",
                       (int)meta.close[CW_PERIOD_WEEK].sweep, (long long)meta.close[CW_PERIOD_WEEK].offset);
    else
        cw_harness_log(h, "the close ended before the kill: only the restart is checked");

    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_closed(h, week, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    /* one distinct alert a subscriber: red spend_drop for the odd ones
     * (silent in W), blue for the even ones */
    cw_harness_msgs_t alerts;
    CW_HARNESS_OK(
        h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_ALERTS, SWEPT, WAIT_MS, &alerts));
    char *levels = calloc(SWEPT, 1);
    size_t duplicates = 0;
    for (size_t a = 0; a < alerts.count; a++) {
        const cw_harness_msg_t *m = &alerts.items[a];
        int i = -1;
        CW_HARNESS_ASSERT(h,
                          m->key != NULL && sscanf(m->key, "1350060%4d", &i) == 1 &&
                              i >= 0 && i < SWEPT,
                          "alert %zu for %s, who should get none", a,
                          m->key ? m->key : "(null)");
        const char *want =
            i % 2 ? "\"level\":\"red\",\"week\"" : "\"level\":\"blue\",\"week\"";
        CW_HARNESS_ASSERT(
            h,
            strstr(m->value, want) != NULL &&
                (i % 2 == 0 ||
                 strstr(m->value, "{\"name\":\"spend_drop\",\"evidence\":"
                                  "{\"spend_fen\":0,\"prev_spend_fen\":3000}}]") != NULL),
            "%s: unexpected alert %s", m->key, m->value);
        if (levels[i])
            duplicates++;
        levels[i] = 1;
    }
    for (int i = 0; i < SWEPT; i++)
        CW_HARNESS_ASSERT(h, levels[i], "subscriber %d got no alert from the week close",
                          i);
    CW_HARNESS_ASSERT(h, alerts.count - duplicates == SWEPT,
                      "%zu distinct alerts, expected %d", alerts.count - duplicates,
                      SWEPT);
    cw_harness_log(h, "%zu alert(s), %zu duplicate(s)", alerts.count, duplicates);
    free(levels);
    cw_harness_msgs_free(&alerts);
    double closes = -1;
    CW_HARNESS_OK(h, cw_harness_metric(h, "cdrwarn_week_closes_total", &closes));
    CW_HARNESS_ASSERT(h, closes == (sweeping ? 1 : 0),
                      "the restarted daemon closed %g week(s), expected %d", closes,
                      sweeping ? 1 : 0);
    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with status %d after SIGTERM",
                      status);
    cw_harness_stop(h);
}
END_TEST

static Suite *restart_suite(void)
{
    Suite *s = suite_create("restart");
    TCase *tc = tcase_create("sigkill");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 280);
    tcase_add_test(tc, sigkill_mid_stream_changes_no_aggregate_and_loses_no_alert);
    suite_add_tcase(s, tc);
    TCase *close = tcase_create("sigkill_in_week_close");
    tcase_add_unchecked_fixture(close, setup, teardown);
    tcase_set_timeout(close, 280);
    tcase_add_test(close, sigkill_in_the_middle_of_a_week_close_resumes_it_exactly_once);
    suite_add_tcase(s, close);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(restart_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
