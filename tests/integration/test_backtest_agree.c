/* Integration: cdrwarn-backtest and cdrwarnd agree (SPEC section 11: the
 * backtest runs "exactly the rules" of the daemon). One history from
 * cdrwarn-gen --model full (labelled churn, the monthly model's events, bad
 * records of every reason; twelve weeks, so weeks and months close) goes,
 * the same bytes in the same order, to the daemon on one input topic of one
 * partition and to the backtest as a file. Then what the daemon published
 * on its topics equals what the backtest's --emit wrote, message for
 * message without emitted_at: every alert (so the same alerted pairs), every
 * churn outcome (outcome_id, caught, lead_weeks, alerted), every score
 * record; the backtest's report counts the same alerted pairs per level as
 * the alert topic holds, and as many dead letters as the DLQ topic. A second
 * test reads a history back from Kafka (--brokers) and finds the report of
 * the file. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "harness.h"
#include "period.h"
#include "week.h"

#ifndef CW_BACKTEST
#error "CW_BACKTEST must name the cdrwarn-backtest binary"
#endif
#ifndef CW_GEN_BINARY
#error "CW_GEN_BINARY must name the cdrwarn-gen binary"
#endif

#define UTC8 (8 * 3600)
#define GRACE_MS (6 * 3600 * 1000LL)
#define WAIT_MS 120000
#define CHUNK                                                                            \
    20000 /* records sent before waiting for the daemon: the devbroker keeps ~5 MB */

extern char **environ;

static cw_harness_t *h;

/* ---- processes ---- */

/* Runs argv with stdout to out_path (NULL: the test's log) and stderr to the
 * test's log, within timeout_ms; returns its exit status, -1 on a failure. */
static int run(char *const argv[], const char *out_path, int timeout_ms)
{
    char log[512];
    snprintf(log, sizeof log, "%s/tools.log", cw_harness_dir(h));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path ? out_path : log,
                                     O_WRONLY | O_CREAT | (out_path ? O_TRUNC : O_APPEND),
                                     0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log,
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    for (int waited = 0;; waited += 20) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "%s did not finish in %d ms\n", argv[0], timeout_ms);
            return -1;
        }
        cw_harness_sleep_ms(20);
    }
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", cw_harness_dir(h), name);
}

/* ---- lines and messages ---- */

typedef struct lines {
    char **items;
    size_t count, cap;
} lines_t;

static void lines_add(lines_t *lines, char *text)
{
    if (lines->count == lines->cap) {
        lines->cap = lines->cap ? lines->cap * 2 : 1024;
        lines->items = realloc(lines->items, lines->cap * sizeof *lines->items);
        ck_assert_ptr_nonnull(lines->items);
    }
    lines->items[lines->count++] = text;
}

static void lines_free(lines_t *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        free(lines->items[i]);
    free(lines->items);
    memset(lines, 0, sizeof *lines);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A published value as compared: emitted_at dropped, keys sorted. */
static char *normal_form(const char *value, size_t len, const char **kind)
{
    json_error_t err;
    json_t *root = json_loadb(value, len, 0, &err);
    CW_HARNESS_ASSERT(h, json_is_object(root),
                      "a published value that is not a JSON object");
    json_object_del(root, "emitted_at");
    *kind = json_object_get(root, "alert_id")     ? "alert"
            : json_object_get(root, "outcome_id") ? "outcome"
            : json_object_get(root, "score_id")   ? "score"
                                                  : "unknown";
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* The --emit file split by kind, in normal form. */
static void read_emitted(const char *path, lines_t *alerts, lines_t *outcomes,
                         lines_t *scores)
{
    FILE *f = fopen(path, "r");
    CW_HARNESS_ASSERT(h, f != NULL, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        const char *kind;
        char *text = normal_form(line, (size_t)len, &kind);
        if (strcmp(kind, "alert") == 0)
            lines_add(alerts, text);
        else if (strcmp(kind, "outcome") == 0)
            lines_add(outcomes, text);
        else if (strcmp(kind, "score") == 0)
            lines_add(scores, text);
        else
            ck_abort_msg(
                "--emit wrote something that is no alert, outcome or score record");
    }
    free(line);
    fclose(f);
}

/* A topic's values in normal form. */
static void read_published(const char *topic, size_t expected, lines_t *out)
{
    cw_harness_msgs_t msgs;
    /* the outbox is empty: everything is on the topic already */
    CW_HARNESS_OK(h, cw_harness_read_topic(h, topic, expected > 0, WAIT_MS, &msgs));
    for (size_t i = 0; i < msgs.count; i++) {
        const char *kind;
        lines_add(out, normal_form(msgs.items[i].value, msgs.items[i].value_len, &kind));
    }
    cw_harness_msgs_free(&msgs);
}

/* Equal as sets of messages (a duplicate after a retry would be a copy). */
static void expect_same(const char *what, lines_t *daemon, lines_t *backtest)
{
    qsort(daemon->items, daemon->count, sizeof *daemon->items, by_text);
    qsort(backtest->items, backtest->count, sizeof *backtest->items, by_text);
    size_t kept = 0; /* drop the daemon's duplicates */
    for (size_t i = 0; i < daemon->count; i++) {
        if (kept > 0 && strcmp(daemon->items[kept - 1], daemon->items[i]) == 0)
            free(daemon->items[i]);
        else
            daemon->items[kept++] = daemon->items[i];
    }
    daemon->count = kept;
    size_t i = 0;
    while (i < daemon->count && i < backtest->count &&
           strcmp(daemon->items[i], backtest->items[i]) == 0)
        i++;
    CW_HARNESS_ASSERT(
        h, i == daemon->count && i == backtest->count,
        "%s: the daemon published %zu, the backtest %zu; first difference:\n"
        "  daemon:   %s\n  backtest: %s",
        what, daemon->count, backtest->count,
        i < daemon->count ? daemon->items[i] : "(none)",
        i < backtest->count ? backtest->items[i] : "(none)");
}

/* ---- the history ---- */

/* The newest event time the daemon's partition will reach (valid events
 * not in the future), so the last week and month it closes. */
static int64_t stream_end(const lines_t *history)
{
    int64_t end = 0, now = cw_harness_now_ms();
    for (size_t i = 0; i < history->count; i++) {
        cw_event_t event;
        char detail[CW_DETAIL_SIZE];
        const char *text = history->items[i];
        if (cw_event_parse(text, strlen(text), "86", &event, detail, sizeof detail) ==
                CW_DLQ_NONE &&
            event.ts_ms <= now && event.ts_ms > end)
            end = event.ts_ms;
    }
    return end;
}

static void read_lines(const char *path, lines_t *lines)
{
    FILE *f = fopen(path, "r");
    CW_HARNESS_ASSERT(h, f != NULL, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        lines_add(lines, strndup(line, (size_t)len));
    }
    free(line);
    fclose(f);
}

/* Until the partition closed the week and the month and no close is under
 * way (the month's close follows the week's on the same stream time). */
static void wait_closed(int32_t week, int32_t month)
{
    for (int waited = 0;; waited += 100) {
        cw_meta_t meta;
        bool found;
        CW_HARNESS_OK(h, cw_harness_meta(h, 0, &meta, &found));
        const cw_meta_close_t *w = &meta.close[CW_PERIOD_WEEK],
                              *m = &meta.close[CW_PERIOD_MONTH];
        if (found && w->closed >= week && m->closed >= month &&
            w->sweep == CW_WEEK_NONE && m->sweep == CW_WEEK_NONE) {
            CW_HARNESS_ASSERT(
                h, w->closed == week && m->closed == month,
                "the daemon closed week %d and month %d, the data %d and %d", w->closed,
                m->closed, week, month);
            return;
        }
        CW_HARNESS_ASSERT(h, waited < WAIT_MS,
                          "the daemon has closed week %d and month %d, not %d and %d",
                          w->closed, m->closed, week, month);
        cw_harness_sleep_ms(100);
    }
}

static json_t *load_json(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    CW_HARNESS_ASSERT(h, root != NULL, "%s: not JSON: %s (line %d)", path, err.text,
                      err.line);
    return root;
}

static json_int_t member(json_t *root, const char *object, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(root, object), key));
}

/* The alerted pairs of the alert topic's values, per level. */
static void pairs_per_level(const lines_t *alerts, size_t counts[4])
{
    lines_t keys = {0};
    for (size_t i = 0; i < alerts->count; i++) {
        json_t *alert = json_loads(alerts->items[i], 0, NULL);
        const char *level = json_string_value(json_object_get(alert, "level"));
        int rank = strcmp(level, "red") == 0 ? 3 : strcmp(level, "yellow") == 0 ? 2 : 1;
        char *key = NULL;
        /* "msisdn week" then the rank, so the highest sorts last per pair */
        ck_assert_int_ge(asprintf(&key, "%s %s %d",
                                  json_string_value(json_object_get(alert, "msisdn")),
                                  json_string_value(json_object_get(alert, "week")),
                                  rank),
                         0);
        lines_add(&keys, key);
        json_decref(alert);
    }
    qsort(keys.items, keys.count, sizeof *keys.items, by_text);
    memset(counts, 0, 4 * sizeof *counts);
    for (size_t i = 0; i < keys.count; i++) {
        size_t len = strlen(keys.items[i]) - 2;
        bool last_of_pair =
            i + 1 == keys.count || strncmp(keys.items[i], keys.items[i + 1], len) != 0;
        if (last_of_pair)
            counts[keys.items[i][len + 1] - '0']++;
    }
    lines_free(&keys);
}

START_TEST(the_backtest_publishes_what_the_daemon_publishes)
{
    CW_HARNESS_REQUIRE(h);
    char history_path[512], emit_path[512], report_path[512], weekly_path[512];
    path_in(history_path, sizeof history_path, "history.jsonl");
    path_in(emit_path, sizeof emit_path, "emit.jsonl");
    path_in(report_path, sizeof report_path, "monthly.json");
    path_in(weekly_path, sizeof weekly_path, "weekly.json");
    char *gen[] = {CW_GEN_BINARY,   "--stdout",   "--model", "full",
                   "--subscribers", "300",        "--weeks", "12",
                   "--start",       "2025-09-01", "--seed",  "11",
                   "--partitions",  "1",          "--quiet", NULL};
    CW_HARNESS_ASSERT(h, run(gen, history_path, WAIT_MS) == 0, "cdrwarn-gen failed");
    lines_t history = {0};
    read_lines(history_path, &history);
    int64_t end = stream_end(&history);
    int32_t last_week = cw_period_last_closed(CW_PERIOD_WEEK, end, GRACE_MS, UTC8);
    int32_t last_month = cw_period_last_closed(CW_PERIOD_MONTH, end, GRACE_MS, UTC8);
    cw_harness_log(h, "history: %zu records, weeks close up to %d, months up to %d",
                   history.count, last_week, last_month);

    /* the daemon: one input topic of one partition, the records in file order */
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 1));
    cw_harness_config_set(h, "kafka", "input_topics", CW_HARNESS_TOPIC_CDR);
    cw_harness_config_set(h, "kafka", "property.fetch.wait.max.ms", "10");
    CW_HARNESS_OK(h, cw_harness_daemon_start(h));
    CW_HARNESS_OK(h, cw_harness_daemon_wait_healthy(h, 60000));
    for (size_t i = 0; i < history.count; i++) {
        CW_HARNESS_OK(h, cw_harness_send(h, CW_HARNESS_TOPIC_CDR, NULL, history.items[i],
                                         strlen(history.items[i])) < 0);
        if ((i + 1) % CHUNK == 0 || i + 1 == history.count) {
            CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
            CW_HARNESS_OK(h, cw_harness_wait_caught_up(h, WAIT_MS));
        }
    }
    wait_closed(last_week, last_month);
    CW_HARNESS_OK(h, cw_harness_wait_alerts_out(h, WAIT_MS));

    /* the backtest: the same bytes from the file, the same rules */
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)cw_harness_now_ms());
    char *monthly[] = {CW_BACKTEST, "-c",         (char *)cw_harness_config_path(h),
                       "--now",     now,          "--model",
                       "monthly",   "--emit",     emit_path,
                       "--json",    history_path, NULL};
    CW_HARNESS_ASSERT(h, run(monthly, report_path, WAIT_MS) == 0,
                      "cdrwarn-backtest failed");
    char *weekly[] = {CW_BACKTEST,  "-c", (char *)cw_harness_config_path(h),
                      "--now",      now,  "--json",
                      history_path, NULL};
    CW_HARNESS_ASSERT(h, run(weekly, weekly_path, WAIT_MS) == 0,
                      "cdrwarn-backtest failed");

    lines_t alerts = {0}, outcomes = {0}, scores = {0};
    read_emitted(emit_path, &alerts, &outcomes, &scores);
    cw_harness_log(h, "the backtest emitted %zu alerts, %zu outcomes, %zu score records",
                   alerts.count, outcomes.count, scores.count);
    CW_HARNESS_ASSERT(
        h, alerts.count > 500 && outcomes.count > 10 && scores.count > 0,
        "too little to compare: %zu alerts, %zu outcomes, %zu score records",
        alerts.count, outcomes.count, scores.count);
    lines_t published_alerts = {0}, published_outcomes = {0}, published_scores = {0};
    read_published(CW_HARNESS_TOPIC_ALERTS, alerts.count, &published_alerts);
    read_published(CW_HARNESS_TOPIC_OUTCOMES, outcomes.count, &published_outcomes);
    read_published(CW_HARNESS_TOPIC_SCORES, scores.count, &published_scores);

    size_t pairs[4];
    pairs_per_level(&published_alerts, pairs);
    expect_same("alerts", &published_alerts, &alerts);
    expect_same("outcomes", &published_outcomes, &outcomes);
    expect_same("score records", &published_scores, &scores);

    /* the report counts what the daemon published */
    json_t *report = load_json(weekly_path);
    CW_HARNESS_ASSERT(
        h,
        member(report, "pairs", "red") == (json_int_t)pairs[3] &&
            member(report, "pairs", "yellow") == (json_int_t)pairs[2] &&
            member(report, "pairs", "blue") == (json_int_t)pairs[1],
        "the report's pairs (red %lld, yellow %lld, blue %lld) are not the alert "
        "topic's (%zu, %zu, %zu)",
        (long long)member(report, "pairs", "red"),
        (long long)member(report, "pairs", "yellow"),
        (long long)member(report, "pairs", "blue"), pairs[3], pairs[2], pairs[1]);
    json_int_t dead = 0;
    const char *reason;
    json_t *count;
    json_object_foreach(json_object_get(report, "dead_letters"), reason, count) dead +=
        json_integer_value(count);
    cw_harness_msgs_t dlq;
    CW_HARNESS_OK(
        h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, (size_t)dead, WAIT_MS, &dlq));
    CW_HARNESS_ASSERT(h, dead > 0 && (json_int_t)dlq.count == dead,
                      "the DLQ holds %zu records, the report counts %lld dead letters",
                      dlq.count, (long long)dead);
    CW_HARNESS_ASSERT(h,
                      json_integer_value(json_object_get(report, "events")) ==
                          (json_int_t)history.count,
                      "events %lld, records %zu",
                      (long long)json_integer_value(json_object_get(report, "events")),
                      history.count);
    cw_harness_msgs_free(&dlq);
    json_decref(report);
    report = load_json(report_path);
    CW_HARNESS_ASSERT(h, member(report, "records", "all") == (json_int_t)scores.count,
                      "the monthly report counts %lld records, the topic holds %zu",
                      (long long)member(report, "records", "all"), scores.count);
    json_decref(report);

    lines_free(&history);
    lines_free(&alerts);
    lines_free(&outcomes);
    lines_free(&scores);
    lines_free(&published_alerts);
    lines_free(&published_outcomes);
    lines_free(&published_scores);
}
END_TEST

START_TEST(a_topic_range_read_from_kafka_reports_as_its_file)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_OK(h, cw_harness_redis_start(h, NULL)); /* the config names one */
    CW_HARNESS_OK(h, cw_harness_broker_start(h, 2));
    char history_path[512], from_file[512], from_kafka[512], later[512], config[512];
    path_in(history_path, sizeof history_path, "history.jsonl");
    path_in(from_file, sizeof from_file, "file.json");
    path_in(from_kafka, sizeof from_kafka, "kafka.json");
    path_in(later, sizeof later, "later.json");
    /* a small history on one topic of two partitions; the file holds the
     * records of partition 1 in their order */
    char *gen[] = {CW_GEN_BINARY, "--stdout", "--model", "full",    "--subscribers",
                   "60",          "--weeks",  "6",       "--start", "2025-09-01",
                   "--seed",      "12",       "--quiet", NULL};
    CW_HARNESS_ASSERT(h, run(gen, history_path, WAIT_MS) == 0, "cdrwarn-gen failed");
    lines_t history = {0};
    read_lines(history_path, &history);
    FILE *part1 = fopen(history_path, "w");
    ck_assert_ptr_nonnull(part1);
    for (size_t i = 0; i < history.count; i++) {
        json_t *event = json_loads(history.items[i], JSON_DECODE_ANY, NULL);
        const char *msisdn = json_is_object(event)
                                 ? json_string_value(json_object_get(event, "msisdn"))
                                 : NULL;
        /* keyed by the number when it has one, as the generator keys them */
        char key[32];
        snprintf(key, sizeof key, "%s", msisdn && *msisdn ? msisdn : "none");
        if (cw_harness_partition_of(key, 2) == 1)
            fprintf(part1, "%s\n", history.items[i]);
        CW_HARNESS_OK(h, cw_harness_send(h, CW_HARNESS_TOPIC_CDR, key, history.items[i],
                                         strlen(history.items[i])) < 0);
        json_decref(event);
    }
    fclose(part1);
    CW_HARNESS_OK(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_OK(h, cw_harness_config_write(h));
    char *file[] = {CW_BACKTEST, "-c",         (char *)cw_harness_config_path(h),
                    "--json",    history_path, NULL};
    CW_HARNESS_ASSERT(h, run(file, from_file, WAIT_MS) == 0, "cdrwarn-backtest failed");
    snprintf(config, sizeof config, "%s", cw_harness_config_path(h));
    char *kafka[] = {CW_BACKTEST,   "-c",
                     config,        "--json",
                     "--brokers",   (char *)cw_harness_brokers(h),
                     "--topics",    CW_HARNESS_TOPIC_CDR,
                     "--partition", "1",
                     NULL};
    CW_HARNESS_ASSERT(h, run(kafka, from_kafka, WAIT_MS) == 0,
                      "cdrwarn-backtest --brokers failed");
    json_t *a = load_json(from_file), *b = load_json(from_kafka);
    char *ta = json_dumps(a, JSON_COMPACT), *tb = json_dumps(b, JSON_COMPACT);
    CW_HARNESS_ASSERT(h, json_equal(a, b), "the file gave\n%s\nKafka gave\n%s", ta, tb);
    CW_HARNESS_ASSERT(h, json_integer_value(json_object_get(a, "events")) > 1000,
                      "too few events in partition 1: %s", ta);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
    /* partition 0 holds the rest: every record is read once. (--from and
     * --to are not tried: the devbroker, librdkafka's mock cluster, answers
     * every lookup by time with the end offset.) */
    char *other[] = {CW_BACKTEST,   "-c",        config,
                     "--json",      "--brokers", (char *)cw_harness_brokers(h),
                     "--partition", "0",         NULL};
    CW_HARNESS_ASSERT(h, run(other, later, WAIT_MS) == 0,
                      "cdrwarn-backtest --partition 0 failed");
    json_t *rest = load_json(later);
    a = load_json(from_file);
    json_int_t events = json_integer_value(json_object_get(a, "events")) +
                        json_integer_value(json_object_get(rest, "events"));
    CW_HARNESS_ASSERT(h, events == (json_int_t)history.count,
                      "partitions 0 and 1 hold %lld records, %zu were sent",
                      (long long)events, history.count);
    json_decref(a);
    json_decref(rest);
    lines_free(&history);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {
        the_backtest_publishes_what_the_daemon_publishes,
        a_topic_range_read_from_kafka_reports_as_its_file,
    };
    return cw_harness_main("backtest", tests, sizeof tests / sizeof tests[0], 280, &h);
}
