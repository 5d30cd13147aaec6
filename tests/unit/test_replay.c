/* Check suite for replay.c and substore.c: hand-made histories run through
 * the daemon's own steps and closes in memory, and the backtest report
 * computed from what they published (precision.c). H = 2 weeks, weeks
 * start on Monday 2026-11-16 (2026-W47) at +08:00. The histories pin the
 * issue's cases: a hit on the horizon's last week and one past it, an
 * immature pair, a churner caught in its churn week, an unwatched churner;
 * and the replay's own promises: closes right after the record that makes
 * them due and none at the end of the input, blue for the silent from the
 * week before's seen list, dead letters counted, month closes and score
 * records, and the same output however the records are split into calls. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "month.h"
#include "precision.h"
#include "replay.h"
#include "substore.h"
#include "week.h"

#define OFFSET (8 * 3600)
#define W47_START_MS 1794758400000LL /* Monday 2026-11-16 00:00 at +08:00 */
#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define NOW_MS (W47_START_MS + 200 * DAY_MS) /* the wall clock: after everything */
#define H 2
#define MAX_RECORDS 256

#define CLOCK "13900000000" /* no profile: moves the stream, never alerted */
#define HIT "13800000001"   /* red in W, churns in W + H */
#define PAST "13800000002"  /* red in W, churns in W + H + 1 */
#define YOUNG "13800000003" /* red in W + 1: immature when W + 2 is the last closed */
#define SAME "13800000004"  /* red in W + 1 and churns in it */
#define LOW "13800000005"   /* tier low: never alerted, churns in W + 1 */

static cw_setup_t setup_storage;
static cw_batch_ctx_t ctx;
static cw_record_t *records[MAX_RECORDS];
static size_t record_count;
static int32_t w;
static cw_entries_t published; /* copies of every entry, in order */

static void setup_with(const char *rules)
{
    char text[1024];
    snprintf(
        text, sizeof text,
        "[kafka]\nbrokers = b:1\ninput_topics = cdr\n"
        "[time]\nutc_offset = +08:00\nlate_grace = 6h\nmax_future = 10m\nweeks_kept = 4\n"
        "[rules]\noutcome_horizon_weeks = %d\n%s",
        H, rules);
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    ck_assert_msg(cw_config_parse(text, strlen(text), "t.conf", &config, &errs) == 0,
                  "%s", cw_errlist_text(&errs));
    cw_errlist_free(&errs);
    setup_storage.config = config;
    setup_storage.plan = cw_numplan_new("86");
    ck_assert_ptr_nonnull(setup_storage.plan);
    ctx = (cw_batch_ctx_t){config, &setup_storage, NOW_MS, false};
    record_count = 0;
    memset(&published, 0, sizeof published);
    w = cw_week_of_ms(W47_START_MS, OFFSET);
}

static void setup(void)
{
    setup_with("emit_blue = false\n");
}

static void setup_blue(void)
{
    setup_with("");
}

static void teardown(void)
{
    for (size_t i = 0; i < record_count; i++)
        cw_free(records[i]);
    cw_entries_free(&published);
    cw_config_free(setup_storage.config);
    cw_numplan_free(setup_storage.plan);
    cw_alloc_fail_after(-1);
}

/* ---- the history ---- */

static int64_t at(int32_t week, int day, int hour)
{
    return cw_week_start_ms(week, OFFSET) + day * DAY_MS + hour * HOUR_MS;
}

static void line(const char *value)
{
    ck_assert_uint_lt(record_count, MAX_RECORDS);
    size_t len = strlen(value);
    cw_record_t *record = cw_malloc(sizeof *record + len);
    ck_assert_ptr_nonnull(record);
    *record = (cw_record_t){
        .offset = (int64_t)record_count, .value_len = len, .value_bytes = len};
    memcpy(record->data, value, len);
    records[record_count++] = record;
}

static void event(const char *msisdn, int64_t ts, const char *type, const char *fields)
{
    char value[512];
    snprintf(value, sizeof value,
             "{\"event_id\":\"e%zu\",\"type\":\"%s\",\"msisdn\":\"%s\",\"ts\":%lld%s%s}",
             record_count, type, msisdn, (long long)ts, *fields ? "," : "", fields);
    line(value);
}

static void profile(const char *msisdn, int64_t ts, const char *tier)
{
    char fields[128];
    snprintf(fields, sizeof fields, "\"tier\":\"%s\",\"subsidy_end\":null", tier);
    event(msisdn, ts, "profile", fields);
}

static void complaints(const char *msisdn, int64_t ts)
{
    event(msisdn, ts, "complaint", "\"severity\":\"normal\"");
    event(msisdn, ts + HOUR_MS, "complaint", "\"severity\":\"normal\"");
}

static void churn(const char *msisdn, int64_t ts)
{
    event(msisdn, ts, "churn", "\"kind\":\"cancel\"");
}

/* The clock subscriber's data event at the given time. */
static void tick(int64_t ts)
{
    event(CLOCK, ts, "data", "\"bytes\":1");
}

/* ---- running it ---- */

static int keep(const cw_entry_t *entry, void *arg)
{
    cw_entries_t *entries = arg;
    /* a copy, as the replay's entries are freed after each step */
    char msisdn[32];
    const char *space = memchr(entry->value, ' ', entry->value_len);
    size_t len = space ? (size_t)(space - entry->value) : 0;
    snprintf(msisdn, sizeof msisdn, "%.*s", (int)len, entry->value);
    size_t json_len = space ? entry->value_len - len - 1 : 0;
    int rc = -1;
    switch (entry->kind) {
    case CW_ENTRY_ALERT:
        rc = cw_entries_add_alert(entries, entry->field, msisdn, space + 1, json_len,
                                  entry->level);
        break;
    case CW_ENTRY_OUTCOME:
        rc = cw_entries_add_outcome(entries, entry->field, msisdn, space + 1, json_len,
                                    entry->level, entry->churn_kind, entry->lead_weeks);
        break;
    case CW_ENTRY_SCORE:
        rc = cw_entries_add_score(entries, entry->field, msisdn, space + 1, json_len,
                                  entry->level != 0, entry->churn_kind != 0);
        break;
    default:
        rc = cw_entries_add_alert(entries, entry->field, "000", "", 0, 0);
        break;
    }
    if (rc == 0) {
        cw_entry_t *copy = &entries->items[entries->count - 1];
        copy->kind = entry->kind;
        copy->period = entry->period;
        copy->bits = entry->bits;
        copy->watched = entry->watched;
    }
    return rc;
}

/* Runs every record, `per_call` at a time (0: all at once). */
static cw_replay_t *replay(size_t per_call)
{
    cw_replay_t *r = cw_replay_new(&ctx, keep, &published);
    ck_assert_ptr_nonnull(r);
    size_t step = per_call ? per_call : record_count;
    for (size_t i = 0; i < record_count; i += step) {
        size_t n = record_count - i < step ? record_count - i : step;
        ck_assert_int_eq(cw_replay_records(r, (const cw_record_t *const *)records + i, n),
                         0);
    }
    return r;
}

static cw_precision_report_t report_of(const cw_replay_t *r, cw_precision_model_t model)
{
    cw_precision_t *p = cw_precision_new(model, H);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < published.count; i++)
        ck_assert_int_eq(cw_precision_entry(p, &published.items[i]), 0);
    cw_precision_report_t out;
    ck_assert_int_eq(
        cw_precision_report(p, cw_replay_counts(r)->last_closed[CW_PERIOD_WEEK], &out),
        0);
    cw_precision_free(p);
    return out;
}

static size_t count_kind(cw_entry_kind_t kind, const char *msisdn)
{
    size_t n = 0;
    for (size_t i = 0; i < published.count; i++)
        if (published.items[i].kind == kind &&
            (msisdn == NULL ||
             strncmp(published.items[i].value, msisdn, strlen(msisdn)) == 0))
            n++;
    return n;
}

/* The history of the issue's cases, W = 2026-W47. */
static void the_cases(void)
{
    tick(at(w, 0, 7)); /* the partition starts in W: W - 1 counts as closed */
    profile(HIT, at(w, 0, 8), "high");
    profile(PAST, at(w, 0, 8), "high");
    profile(YOUNG, at(w, 0, 8), "mid");
    profile(SAME, at(w, 0, 8), "high");
    profile(LOW, at(w, 0, 8), "low");
    complaints(HIT, at(w, 1, 9));
    complaints(PAST, at(w, 1, 9));
    tick(at(w + 1, 0, 7)); /* W closes */
    complaints(YOUNG, at(w + 1, 1, 9));
    complaints(SAME, at(w + 1, 2, 9));
    churn(SAME, at(w + 1, 3, 9));
    complaints(LOW, at(w + 1, 3, 9));
    churn(LOW, at(w + 1, 4, 9));
    tick(at(w + 2, 0, 7)); /* W + 1 closes */
    churn(HIT, at(w + 2, 2, 9));
    tick(at(w + 3, 0, 7)); /* W + 2 closes: the last week closed */
    churn(PAST, at(w + 3, 1, 9));
    tick(at(w + 3, 5, 9));
}

START_TEST(the_issues_cases_give_their_precision_and_recall)
{
    the_cases();
    cw_replay_t *r = replay(0);
    const cw_replay_counts_t *counts = cw_replay_counts(r);
    ck_assert_uint_eq(counts->records, record_count);
    ck_assert_int_eq(counts->last_closed[CW_PERIOD_WEEK], w + 2);
    ck_assert_uint_eq(counts->closes[CW_PERIOD_WEEK], 3);
    ck_assert_uint_eq(counts->alerts[CW_LEVEL_RED], 4); /* HIT, PAST, YOUNG, SAME */
    ck_assert_uint_eq(count_kind(CW_ENTRY_ALERT, LOW), 0);
    ck_assert_uint_eq(count_kind(CW_ENTRY_OUTCOME, NULL), 4);
    cw_precision_report_t rep = report_of(r, CW_PRECISION_WEEKLY);
    ck_assert_int_eq(rep.mature_until, w);
    /* mature: HIT's and PAST's pairs of W; YOUNG's and SAME's of W + 1 are not */
    ck_assert_uint_eq(rep.classes[0].pairs, 4);
    ck_assert_uint_eq(rep.classes[0].mature, 2);
    ck_assert_uint_eq(rep.classes[0].hits, 1); /* HIT's churn on W + H, PAST's past it */
    ck_assert_uint_eq(rep.bits[CW_TRIG_COMPLAINTS].hits, 1);
    /* churners: HIT, PAST, SAME (LOW was not watched) */
    ck_assert_uint_eq(rep.churners, 3);
    ck_assert_uint_eq(rep.caught,
                      2); /* HIT (lead 2) and SAME in its churn week (lead 0) */
    ck_assert_uint_eq(rep.lead[0], 1);
    ck_assert_uint_eq(rep.lead[2], 1);
    cw_replay_free(r);
}
END_TEST

START_TEST(no_week_closes_at_the_end_of_the_input)
{
    tick(at(w, 0, 1)); /* W - 1 is not closed yet: its grace ends at 06:00 */
    profile(HIT, at(w, 0, 2), "high");
    complaints(HIT, at(w, 0, 3));
    tick(at(w, 0, 5)); /* W ended, but its grace has not passed */
    cw_replay_t *r = replay(0);
    ck_assert_uint_eq(cw_replay_counts(r)->closes[CW_PERIOD_WEEK], 0);
    ck_assert_int_eq(cw_replay_counts(r)->last_closed[CW_PERIOD_WEEK], CW_WEEK_NONE);
    cw_precision_report_t rep = report_of(r, CW_PRECISION_WEEKLY);
    ck_assert_uint_eq(rep.classes[0].pairs, 1);
    ck_assert_uint_eq(rep.classes[0].mature, 0);
    cw_replay_free(r);
}
END_TEST

START_TEST(a_close_runs_right_after_the_record_that_makes_it_due)
{
    tick(at(w, 0, 7));
    profile(HIT, at(w, 0, 8), "high");
    tick(at(w + 1, 0, 7)); /* W closes here, before the next record */
    /* a complaint dated in W after its close counts but is not evaluated */
    complaints(HIT, at(w, 3, 9));
    cw_replay_t *r = replay(0);
    ck_assert_int_eq(cw_replay_counts(r)->last_closed[CW_PERIOD_WEEK], w);
    ck_assert_uint_eq(count_kind(CW_ENTRY_ALERT, NULL), 0);
    cw_sub_t sub;
    ck_assert_int_eq(cw_replay_state(r, HIT, &sub), 1);
    ck_assert_uint_eq(cw_sub_find_week(&sub, w)->complaints, 2);
    cw_replay_free(r);
}
END_TEST

START_TEST(a_silent_tier_one_subscriber_gets_blue_from_the_week_befores_list)
{
    tick(at(w, 0, 7));
    profile(HIT, at(w, 0, 8), "high"); /* on W's list only */
    tick(at(w + 1, 0, 7));             /* W closes: blue for W */
    tick(at(w + 2, 0, 7)); /* W + 1 closes: silent in it, blue from W's list */
    cw_replay_t *r = replay(0);
    ck_assert_uint_eq(count_kind(CW_ENTRY_ALERT, HIT), 2);
    ck_assert_int_eq(published.items[0].level, CW_LEVEL_BLUE);
    ck_assert_int_eq(published.items[0].period, w);
    ck_assert_int_eq(published.items[1].period, w + 1);
    /* W: CLOCK and HIT from W's list; W + 1: CLOCK from its own, HIT from W's */
    ck_assert_uint_eq(cw_replay_counts(r)->evaluated, 4);
    cw_replay_free(r);
}
END_TEST

START_TEST(dead_letters_are_counted_and_do_not_move_the_stream)
{
    tick(at(w, 0, 1));
    line("{not json");
    line("[]");
    event(HIT, at(w + 1, 0, 7), "churn", "\"kind\":\"moved_away\"");
    event(HIT, NOW_MS + DAY_MS, "data", "\"bytes\":1"); /* future_ts against --now */
    line("");                                           /* an empty value: invalid */
    cw_replay_t *r = replay(0);
    const cw_replay_counts_t *counts = cw_replay_counts(r);
    ck_assert_uint_eq(counts->records, 6);
    ck_assert_uint_eq(counts->applied, 1);
    ck_assert_uint_eq(counts->dead[CW_DLQ_INVALID_JSON], 2);
    ck_assert_uint_eq(counts->dead[CW_DLQ_NOT_OBJECT], 1);
    ck_assert_uint_eq(counts->dead[CW_DLQ_BAD_FIELD], 1);
    ck_assert_uint_eq(counts->dead[CW_DLQ_FUTURE_TS], 1);
    ck_assert_uint_eq(counts->entries[CW_ENTRY_DEAD_LETTER], 5);
    ck_assert_int_eq(cw_replay_meta(r)->stream_ms, at(w, 0, 1));
    ck_assert_uint_eq(counts->closes[CW_PERIOD_WEEK], 0);
    ck_assert_uint_eq(cw_replay_subscribers(r), 1);
    cw_replay_free(r);
}
END_TEST

START_TEST(a_month_close_publishes_the_score_record_of_a_value_churn)
{
    int32_t month = cw_month_of_ms(at(w, 0, 1), OFFSET); /* 2026-11 */
    int64_t next_month = cw_month_end_ms(month, OFFSET);
    tick(at(w, 0, 7));
    profile(HIT, at(w, 0, 8), "high");
    event(HIT, at(w, 1, 9), "plan_change", "\"from_fee_fen\":12800,\"to_fee_fen\":5800");
    tick(next_month + 7 * HOUR_MS); /* 2026-11 closes */
    churn(HIT, next_month + 8 * DAY_MS);
    tick(next_month + 30 * DAY_MS);
    cw_replay_t *r = replay(0);
    const cw_replay_counts_t *counts = cw_replay_counts(r);
    ck_assert_int_eq(counts->last_closed[CW_PERIOD_MONTH], month);
    ck_assert_uint_eq(counts->entries[CW_ENTRY_SCORE], 1);
    ck_assert_uint_eq(counts->scored, 1); /* CLOCK has no profile: not watched */
    cw_precision_report_t rep = report_of(r, CW_PRECISION_MONTHLY);
    ck_assert_uint_eq(rep.classes[CW_PRECISION_VALUE_CHURN].pairs, 1);
    ck_assert_uint_eq(rep.classes[0].mature, 1);
    ck_assert_uint_eq(rep.classes[0].hits, 1); /* churned a week after the month's end */
    ck_assert_uint_eq(rep.churners, 1);
    ck_assert_uint_eq(rep.caught, 1);
    cw_replay_free(r);
}
END_TEST

START_TEST(the_output_does_not_depend_on_how_the_records_are_split)
{
    the_cases();
    cw_replay_t *whole = replay(0);
    cw_entries_t first = published;
    memset(&published, 0, sizeof published);
    cw_replay_t *one_by_one = replay(1);
    ck_assert_uint_eq(published.count, first.count);
    for (size_t i = 0; i < first.count; i++) {
        ck_assert_int_eq(published.items[i].kind, first.items[i].kind);
        ck_assert_str_eq(published.items[i].field, first.items[i].field);
        ck_assert_uint_eq(published.items[i].value_len, first.items[i].value_len);
        ck_assert_mem_eq(published.items[i].value, first.items[i].value,
                         first.items[i].value_len);
    }
    ck_assert_int_eq(memcmp(cw_replay_counts(whole), cw_replay_counts(one_by_one),
                            sizeof(cw_replay_counts_t)),
                     0);
    cw_entries_free(&first);
    cw_replay_free(whole);
    cw_replay_free(one_by_one);
}
END_TEST

START_TEST(out_of_memory_stops_the_run_with_an_error)
{
    the_cases();
    for (long n = 0; n < 200; n += 7) {
        cw_alloc_fail_after(n);
        cw_replay_t *r = cw_replay_new(&ctx, keep, &published);
        int rc = r == NULL ? -1
                           : cw_replay_records(r, (const cw_record_t *const *)records,
                                               record_count);
        cw_alloc_fail_after(-1);
        ck_assert(rc == 0 || rc == -1);
        cw_replay_free(r);
        cw_entries_free(&published);
    }
}
END_TEST

/* ---- the store ---- */

START_TEST(the_store_keeps_each_subscribers_latest_bytes)
{
    cw_substore_t *store = cw_substore_new();
    ck_assert_ptr_nonnull(store);
    char msisdn[16];
    uint8_t bytes[300];
    for (int i = 0; i < 3000; i++) {
        snprintf(msisdn, sizeof msisdn, "1380000%04d", i);
        memset(bytes, i & 0xff, sizeof bytes);
        ck_assert_int_eq(cw_substore_put(store, msisdn, bytes, (size_t)(i % 200)), 0);
    }
    /* rewritten, longer and shorter */
    ck_assert_int_eq(cw_substore_put(store, "13800000007", bytes, 299), 0);
    ck_assert_int_eq(cw_substore_put(store, "13800000199", bytes, 3), 0);
    ck_assert_uint_eq(cw_substore_count(store), 3000);
    size_t len;
    const uint8_t *got = cw_substore_get(store, "13800000007", &len);
    ck_assert_uint_eq(len, 299);
    ck_assert_uint_eq(got[298], 2999 & 0xff);
    got = cw_substore_get(store, "13800000199", &len);
    ck_assert_uint_eq(len, 3);
    got = cw_substore_get(store, "13800001234", &len);
    ck_assert_uint_eq(len, 1234 % 200);
    ck_assert_uint_eq(got[0], 1234 & 0xff);
    ck_assert_ptr_null(cw_substore_get(store, "13800009999", &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(cw_substore_put(store, "12", bytes, 1), -1); /* not a number */
    ck_assert_uint_gt(cw_substore_bytes(store), 3000 * 100);
    cw_substore_free(store);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("report");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_issues_cases_give_their_precision_and_recall);
    tcase_add_test(tc, no_week_closes_at_the_end_of_the_input);
    tcase_add_test(tc, a_month_close_publishes_the_score_record_of_a_value_churn);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_close_runs_right_after_the_record_that_makes_it_due);
    tcase_add_test(tc, dead_letters_are_counted_and_do_not_move_the_stream);
    tcase_add_test(tc, the_output_does_not_depend_on_how_the_records_are_split);
    tcase_add_test(tc, out_of_memory_stops_the_run_with_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("blue");
    tcase_add_checked_fixture(tc, setup_blue, teardown);
    tcase_add_test(tc, a_silent_tier_one_subscriber_gets_blue_from_the_week_befores_list);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_test(tc, the_store_keeps_each_subscribers_latest_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(replay_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
