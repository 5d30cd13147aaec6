/* Integration: an upgrade over live state (issue 17.2, SPEC section 14). Redis
 * holds what the previous release left: subscriber states in codec version 1
 * (no churn mark, no months), a partition meta without the month fields
 * (cm, msw, msl, mso), the weeks' seen lists. That state is the fixture
 * tests/data/upgrade/v1-state.txt, written by cdrwarnd built from commit
 * c62f441 (the last to write version 1) running the OLD PHASE below. This
 * daemon starts on it with no migration step, and:
 *   - every record the old daemon applied is skipped (the topics are filled
 *     again with the old phase's records, at the same offsets);
 *   - the old aggregates carry on: A's second complaint of a week whose
 *     first came before the upgrade makes the complaints trigger; the spend
 *     of weeks before the upgrade is the base of spend drops at the close;
 *   - what the old daemon published carries on: B's third complaint of a
 *     week it alerted red for complaints alerts nothing; E's churn outcome
 *     lists the week the old daemon alerted;
 *   - the old seen lists drive the close: F and D, silent since the
 *     upgrade, get their spend drops;
 *   - the month closes on the old meta and scores from the months begun
 *     since the upgrade: C's plan downgrade is value churn;
 *   - every state written since is version 2 with its months, and G, not
 *     touched since, is still version 1 and still reads.
 * Timeline (local +08:00, 2025): W32 = 4-10 Aug, W33 = 11-17 Aug, W34 =
 * 18-24 Aug, W35 = 25-31 Aug; August ends when W35 does, so one clock event
 * on 1 Sep closes both.
 *
 * To write the fixture again (only needed if the old phase changes): build
 * cdrwarnd from commit c62f441, then run this program with
 * CW_UPGRADE_OLD_CDRWARND=<that binary> and CW_UPGRADE_WRITE=<fixture path>:
 * it runs the old phase on the old daemon and dumps Redis. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "harness.h"
#include "keys.h"
#include "month.h"
#include "outcome.h"
#include "scorerec.h"
#include "week.h"

#define FIXTURE CW_SOURCE_DIR "/tests/data/upgrade/v1-state.txt"
#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define WAIT_MS 30000

#define A "13800500001" /* complaints across the upgrade, then a spend drop */
#define B "13800500002" /* alerted red before, a third complaint after */
#define C "13800500003" /* a plan downgrade after: value churn in August */
#define D "13800500004" /* silent since the upgrade: a spend drop at W35 */
#define E "13800500005" /* alerted red before, churns after */
#define F "13800500006" /* silent since W33: a spend drop at W34 */
#define G "13800500007" /* only in W32: never touched again */
#define CLOCK "13900000000"

#define SEND(topic, msisdn, type, ts, ...)                                               \
    CW_HARNESS_OK(h, cw_harness_send_event(h, topic, msisdn, type, ts, __VA_ARGS__) < 0)
#define CRM CW_HARNESS_TOPIC_CRM
#define CDR CW_HARNESS_TOPIC_CDR
#define BILLING CW_HARNESS_TOPIC_BILLING

static cw_harness_t *h;

/* Local time on a day of August (or 1 Sep as day 32) 2025. */
static int64_t aug(int day, int hour)
{
    return cw_month_start_ms(cw_month_of_day(cw_date_from_civil(2025, 8, 1)), UTC8) +
           (day - 1) * CW_MS_PER_DAY + hour * HOUR;
}

static void profile(const char *msisdn, int64_t ts)
{
    SEND(CRM, msisdn, "profile", ts,
         ",\"tier\":\"high\",\"subsidy_end\":null,\"contract_end\":null");
}

static void charge(const char *msisdn, int64_t ts, int fen)
{
    SEND(BILLING, msisdn, "charge", ts, ",\"charge_fen\":%d,\"item\":\"rental\"", fen);
}

static void complaint(const char *msisdn, int64_t ts)
{
    SEND(CRM, msisdn, "complaint", ts, ",\"severity\":\"normal\"");
}

static void clock_event(int64_t ts)
{
    SEND(CDR, CLOCK, "data", ts, ",\"bytes\":1");
}

/* Every record sent so far applied: the input topics are consumed in an
 * order of their own, and a week or month close must come after the events
 * dated before it (the barriers are met at once when the records were
 * applied before, as the old phase's are in the fixture). */
static void barrier(void)
{
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
}

/* What the previous release applied; sent again before the new daemon
 * starts, so each record sits at the offset Redis says was applied. */
static void old_phase(void)
{
    profile(G, aug(4, 9));
    charge(G, aug(5, 12), 1000);
    const char *const subs[] = {A, B, C, D, E, F};
    for (size_t i = 0; i < 6; i++)
        profile(subs[i], aug(11, 0) + (int64_t)i * 60000);
    charge(A, aug(12, 12), 12000);
    charge(C, aug(12, 12), 12000);
    charge(D, aug(12, 12), 12000);
    charge(F, aug(12, 12), 5000);
    complaint(E, aug(13, 10));
    complaint(E, aug(13, 11)); /* red W33: complaints */
    barrier();
    clock_event(aug(18, 7)); /* W33 closes */
    barrier();
    charge(A, aug(19, 12), 12000);
    charge(C, aug(19, 12), 12000);
    charge(D, aug(19, 12), 12000);
    complaint(A, aug(20, 10)); /* one: no trigger */
    complaint(B, aug(20, 10));
    complaint(B, aug(20, 11)); /* red W34: complaints */
    barrier();
    clock_event(aug(22, 12));
    barrier();
}

static void new_phase(void)
{
    complaint(A, aug(23, 10)); /* the second of W34: red W34, complaints */
    complaint(B, aug(23, 11)); /* the third: nothing new to publish */
    barrier();
    charge(A, aug(26, 12), 3000); /* carries the stream past W34's close */
    barrier();
    charge(C, aug(26, 12), 12000);
    SEND(BILLING, C, "plan_change", aug(27, 10),
         ",\"from_fee_fen\":12800,\"to_fee_fen\":5800");
    SEND(CRM, E, "churn", aug(28, 10), ",\"kind\":\"cancel\"");
    barrier();
    clock_event(aug(32, 7)); /* W35 and August close */
    barrier();
}

static void setup(void)
{
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    cw_harness_config_set(h, "kafka", "property.fetch.wait.max.ms", "10");
    cw_harness_config_set(h, "rules", "emit_blue", "false");
    cw_harness_config_set(h, "time", "idle_close", "30d");
}

/* ---- the fixture: Redis as the old daemon left it --------------------------- */

static void hex(const char *bytes, size_t len, FILE *out)
{
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%02x", (unsigned char)bytes[i]);
}

static size_t unhex(const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (; text[0] && text[1] && n < size; text += 2) {
        unsigned byte;
        if (sscanf(text, "%2x", &byte) != 1)
            break;
        out[n++] = (char)byte;
    }
    return n;
}

static redisReply *cmd(const char *fmt, ...)
{
    redisContext *redis = cw_harness_redis(h);
    CW_HARNESS_ASSERT(h, redis != NULL, "Redis: %s", cw_harness_error(h));
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(redis, fmt, ap);
    va_end(ap);
    CW_HARNESS_ASSERT(h, reply != NULL && reply->type != REDIS_REPLY_ERROR,
                      "Redis %s: %s", fmt, reply ? reply->str : redis->errstr);
    return reply;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "S <key> <hex value>" per string, "H <key> <field> <hex value>" per hash
 * field; keys sorted. */
static void dump_redis(const char *path)
{
    FILE *out = fopen(path, "w");
    CW_HARNESS_ASSERT(h, out != NULL, "cannot write %s", path);
    fprintf(
        out,
        "# Redis as cdrwarnd built from commit c62f441 (codec version 1, a meta without\n"
        "# the month fields) left it after the old phase of "
        "tests/integration/test_upgrade.c\n");
    redisReply *keys = cmd("KEYS *");
    char **names = calloc(keys->elements + 1, sizeof *names);
    for (size_t i = 0; i < keys->elements; i++)
        names[i] = keys->element[i]->str;
    qsort(names, keys->elements, sizeof *names, name_cmp);
    for (size_t i = 0; i < keys->elements; i++) {
        redisReply *type = cmd("TYPE %s", names[i]);
        if (strcmp(type->str, "string") == 0) {
            redisReply *value = cmd("GET %s", names[i]);
            fprintf(out, "S %s ", names[i]);
            hex(value->str, value->len, out);
            fputc('\n', out);
            freeReplyObject(value);
        } else if (strcmp(type->str, "hash") == 0) {
            redisReply *all = cmd("HGETALL %s", names[i]);
            for (size_t f = 0; f + 1 < all->elements; f += 2) {
                fprintf(out, "H %s %s ", names[i], all->element[f]->str);
                hex(all->element[f + 1]->str, all->element[f + 1]->len, out);
                fputc('\n', out);
            }
            freeReplyObject(all);
        } else {
            CW_HARNESS_ASSERT(h, false, "key %s of type %s: not in the fixture format",
                              names[i], type->str);
        }
        freeReplyObject(type);
    }
    free(names);
    freeReplyObject(keys);
    CW_HARNESS_ASSERT(h, fclose(out) == 0, "cannot write %s", path);
}

/* Loads the fixture; returns how many subscriber states it holds. */
static int load_fixture(void)
{
    FILE *in = fopen(FIXTURE, "r");
    CW_HARNESS_ASSERT(h, in != NULL, "cannot read %s", FIXTURE);
    char line[8192], key[256], field[256], text[4096], value[2048];
    int states = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        size_t len;
        if (sscanf(line, "S %255s %4095s", key, text) == 2) {
            len = unhex(text, value, sizeof value);
            freeReplyObject(cmd("SET %s %b", key, value, len));
            if (strstr(key, "}:s:") != NULL) {
                states++;
                CW_HARNESS_ASSERT(h, len > 0 && value[0] == 1,
                                  "the fixture's state %s is not codec version 1", key);
            }
        } else if (sscanf(line, "H %255s %255s %4095s", key, field, text) == 3) {
            len = unhex(text, value, sizeof value);
            CW_HARNESS_ASSERT(
                h, strncmp(field, "cm", 2) != 0 && strncmp(field, "ms", 2) != 0,
                "the fixture's meta has a month field: %s", field);
            freeReplyObject(cmd("HSET %s %s %b", key, field, value, len));
        } else {
            CW_HARNESS_ASSERT(h, false, "%s: a line not in the fixture format: %s",
                              FIXTURE, line);
        }
    }
    fclose(in);
    return states;
}

/* ---- what the new daemon published ------------------------------------------ */

static json_t *read_topic(const char *topic, size_t count)
{
    cw_harness_msgs_t msgs;
    CW_HARNESS_OK(h, cw_harness_read_topic(h, topic, count, WAIT_MS, &msgs));
    json_t *all = json_array();
    for (size_t i = 0; i < msgs.count; i++) {
        json_t *value = json_loadb(msgs.items[i].value, msgs.items[i].value_len, 0, NULL);
        CW_HARNESS_ASSERT(h, value != NULL, "%s: a value that is not JSON", topic);
        json_array_append_new(all, value);
    }
    cw_harness_msgs_free(&msgs);
    return all;
}

static const char *text_of(json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    return value ? value : "";
}

static long long evidence(json_t *alert, const char *key)
{
    json_t *trigger = json_array_get(json_object_get(alert, "triggers"), 0);
    return (long long)json_integer_value(
        json_object_get(json_object_get(trigger, "evidence"), key));
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* "<msisdn> <week> <level> <trigger,...>" of each alert, sorted, one string. */
static void alert_lines(json_t *alerts, char *out, size_t size)
{
    char lines[16][128];
    size_t n = 0;
    size_t i;
    json_t *alert;
    json_array_foreach(alerts, i, alert)
    {
        if (n == 16)
            break;
        char names[96] = "";
        size_t t;
        json_t *trigger;
        json_array_foreach(json_object_get(alert, "triggers"), t, trigger)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     t ? "," : "", text_of(trigger, "name"));
        snprintf(lines[n++], sizeof lines[0], "%s %s %s %s", text_of(alert, "msisdn"),
                 text_of(alert, "week"), text_of(alert, "level"), names);
    }
    qsort(lines, n, sizeof lines[0], line_cmp);
    out[0] = '\0';
    for (i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s\n", lines[i]);
}

static json_t *find(json_t *records, const char *msisdn, const char *key,
                    const char *value)
{
    size_t i;
    json_t *record;
    json_array_foreach(
        records, i, record) if (strcmp(text_of(record, "msisdn"), msisdn) == 0 &&
                                strcmp(text_of(record, key), value) == 0) return record;
    return NULL;
}

static void state_of(const char *msisdn, cw_sub_t *sub, int *version)
{
    bool found = false;
    CW_HARNESS_OK(h, cw_harness_sub_state(h, msisdn, sub, &found));
    CW_HARNESS_ASSERT(h, found, "no state for %s", msisdn);
    char key[CW_KEY_SIZE];
    cw_key_sub(key, "cw:", 0, msisdn);
    redisReply *value = cmd("GET %s", key);
    CW_HARNESS_ASSERT(h, value->type == REDIS_REPLY_STRING && value->len > 0,
                      "%s: no value", key);
    *version = (unsigned char)value->str[0];
    freeReplyObject(value);
}

static int32_t week_of(int day)
{
    return cw_week_of_ms(aug(day, 12), UTC8);
}

START_TEST(the_daemon_carries_on_from_a_previous_release_s_state_without_a_migration)
{
    CW_HARNESS_REQUIRE(h);
    setup();
    const char *old_daemon = getenv("CW_UPGRADE_OLD_CDRWARND");
    const char *write = getenv("CW_UPGRADE_WRITE");
    if (old_daemon != NULL && write != NULL) {
        /* the fixture's making: the old phase on the old daemon */
        cw_harness_daemon_program(h, old_daemon);
        CW_HARNESS_OK(h, cw_harness_daemon_start(h));
        CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
        old_phase();
        CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));
        int status = -1;
        CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
        CW_HARNESS_ASSERT(h, status == 0, "the old daemon exited with %d", status);
        dump_redis(write);
        cw_harness_log(h, "fixture written to %s", write);
        return;
    }

    /* Redis as the previous release left it, the topics as they were */
    int states = load_fixture();
    CW_HARNESS_ASSERT(h, states == 8,
                      "%d subscriber states in the fixture, expected 8 (A to G "
                      "and the clock's number)",
                      states);
    old_phase();
    size_t old_records = cw_harness_sent_count(h);

    /* no migration: the daemon starts on it */
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    CW_HARNESS_OK(h, cw_harness_wait_applied(h, WAIT_MS));
    double replayed = -1;
    CW_HARNESS_OK(
        h, cw_harness_metric(h, "cdrwarn_events_total{type=\"profile\"}", &replayed));
    CW_HARNESS_ASSERT(
        h, replayed == 0,
        "%.0f profile event(s) applied again: the %zu records the old daemon "
        "applied must be skipped",
        replayed, old_records);

    new_phase();
    CW_HARNESS_OK(h, cw_harness_wait_closed(h, week_of(25), WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    /* the alerts: exactly these */
    json_t *alerts = read_topic(CW_HARNESS_TOPIC_ALERTS, 5);
    char got[2048], want[2048];
    alert_lines(alerts, got, sizeof got);
    char w34[CW_WEEK_LABEL_SIZE], w35[CW_WEEK_LABEL_SIZE], w33[CW_WEEK_LABEL_SIZE];
    cw_week_label(week_of(18), w34);
    cw_week_label(week_of(25), w35);
    cw_week_label(week_of(11), w33);
    snprintf(want, sizeof want,
             A " %s red complaints\n" A " %s red spend_drop\n" C
               " %s red plan_downgrade\n" D " %s red spend_drop\n" F
               " %s red spend_drop\n",
             w34, w35, w35, w35, w34);
    CW_HARNESS_ASSERT(h, strcmp(got, want) == 0, "alerts:\n%sexpected:\n%s", got, want);
    /* their figures came from both sides of the upgrade */
    json_t *a34 = find(alerts, A, "week", w34);
    CW_HARNESS_ASSERT(h, evidence(a34, "complaints") == 2, "A's complaints in %s: %lld",
                      w34, evidence(a34, "complaints"));
    json_t *a35 = find(alerts, A, "week", w35);
    CW_HARNESS_ASSERT(
        h, evidence(a35, "spend_fen") == 3000 && evidence(a35, "prev_spend_fen") == 12000,
        "A's spend drop: %lld from %lld", evidence(a35, "spend_fen"),
        evidence(a35, "prev_spend_fen"));
    json_t *d35 = find(alerts, D, "week", w35);
    CW_HARNESS_ASSERT(h, evidence(d35, "prev_spend_fen") == 12000,
                      "D's spend drop from %lld", evidence(d35, "prev_spend_fen"));
    json_t *f34 = find(alerts, F, "week", w34);
    CW_HARNESS_ASSERT(h, evidence(f34, "prev_spend_fen") == 5000,
                      "F's spend drop from %lld", evidence(f34, "prev_spend_fen"));
    json_decref(alerts);

    /* E's outcome lists the week the old daemon alerted */
    json_t *outcomes = read_topic(CW_HARNESS_TOPIC_OUTCOMES, 1);
    CW_HARNESS_ASSERT(h, json_array_size(outcomes) == 1, "%zu outcomes, expected E's",
                      json_array_size(outcomes));
    json_t *outcome = json_array_get(outcomes, 0);
    json_t *alerted = json_object_get(outcome, "alerted");
    json_t *first = json_array_get(alerted, 0);
    CW_HARNESS_ASSERT(h,
                      strcmp(text_of(outcome, "msisdn"), E) == 0 &&
                          json_is_true(json_object_get(outcome, "caught")) &&
                          json_array_size(alerted) == 1 &&
                          strcmp(text_of(first, "week"), w33) == 0 &&
                          strcmp(text_of(first, "level"), "red") == 0 &&
                          json_integer_value(json_object_get(outcome, "lead_weeks")) == 2,
                      "E's outcome should list its red %s from before the upgrade: %s",
                      w33, json_dumps(outcome, JSON_COMPACT));
    json_decref(outcomes);

    /* August closes on the old meta; C's downgrade is value churn */
    int32_t august = cw_month_of_day(cw_date_from_civil(2025, 8, 1));
    cw_meta_t meta;
    bool found = false;
    for (int waited = 0; waited < WAIT_MS; waited += 50) {
        CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
        if (found && meta.close[CW_PERIOD_MONTH].closed == august &&
            meta.close[CW_PERIOD_MONTH].sweep == CW_WEEK_NONE)
            break;
        cw_harness_sleep_ms(50);
    }
    CW_HARNESS_ASSERT(h, found && meta.close[CW_PERIOD_MONTH].closed == august,
                      "August not closed (closed month %d, expected %d)",
                      (int)meta.close[CW_PERIOD_MONTH].closed, (int)august);
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));
    json_t *scores = read_topic(CW_HARNESS_TOPIC_SCORES, 1);
    CW_HARNESS_ASSERT(h, json_array_size(scores) == 1, "%zu score records, expected C's",
                      json_array_size(scores));
    json_t *score = json_array_get(scores, 0);
    char score_id[CW_SCORE_ID_SIZE];
    cw_scorerec_id(C, august, score_id);
    CW_HARNESS_ASSERT(h,
                      strcmp(text_of(score, "msisdn"), C) == 0 &&
                          strcmp(text_of(score, "month"), "2025-08") == 0 &&
                          strcmp(text_of(score, "score_id"), score_id) == 0 &&
                          json_is_true(json_object_get(score, "value_churn")) &&
                          json_is_false(json_object_get(score, "potential_churner")),
                      "C's score record: %s", json_dumps(score, JSON_COMPACT));
    json_decref(scores);

    /* the states: rewritten in version 2 with their months, old weeks kept */
    cw_sub_t sub;
    int version;
    const char *const touched[] = {A, B, C, D, E, F};
    for (size_t i = 0; i < 6; i++) {
        state_of(touched[i], &sub, &version);
        CW_HARNESS_ASSERT(h, version == 2, "%s is stored in version %d, expected 2",
                          touched[i], version);
    }
    state_of(A, &sub, &version);
    const cw_week_agg_t *a33 = cw_sub_find_week(&sub, week_of(11));
    const cw_week_agg_t *a34w = cw_sub_find_week(&sub, week_of(18));
    const cw_month_agg_t *a_aug = cw_sub_find_month(&sub, august);
    CW_HARNESS_ASSERT(
        h,
        sub.tier == CW_TIER_HIGH && a33 && a33->spend_fen == 12000 && a34w &&
            a34w->spend_fen == 12000 && a34w->complaints == 2 && a_aug &&
            a_aug->spend_fen == 3000 && a_aug->complaints == 1,
        "A's state: the weeks from before the upgrade, August from after it");
    state_of(C, &sub, &version);
    const cw_month_agg_t *c_aug = cw_sub_find_month(&sub, august);
    CW_HARNESS_ASSERT(h, c_aug && c_aug->plan_downgrade && c_aug->spend_fen == 12000,
                      "C's August: a downgrade and 12000 fen");
    state_of(E, &sub, &version);
    CW_HARNESS_ASSERT(h, cw_sub_churned(&sub) && cw_sub_churn_ts(&sub) == aug(28, 10),
                      "E carries its churn mark");
    /* G, untouched since, is still as the old daemon wrote it, and reads */
    state_of(G, &sub, &version);
    const cw_week_agg_t *g32 = cw_sub_find_week(&sub, week_of(4));
    CW_HARNESS_ASSERT(h,
                      version == 1 && sub.tier == CW_TIER_HIGH && g32 &&
                          g32->spend_fen == 1000 && sub.month_count == 0,
                      "G: version %d, its week 32 from before the upgrade", version);

    int status = -1;
    CW_HARNESS_OK(h, cw_harness_daemon_stop(h, 30000, &status));
    CW_HARNESS_ASSERT(h, status == 0, "cdrwarnd exited with %d", status);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        the_daemon_carries_on_from_a_previous_release_s_state_without_a_migration};
    return cw_harness_main("upgrade", tests, 1, 120, &h);
}
