/* Check suite for batch.c: the apply step's decisions without Redis or
 * Kafka: replays skipped by offset, the clocks' dead letters, seen lists,
 * the closed-week bootstrap of a fresh partition, the stop at a week close,
 * a late event for a closed week, which states are marked to expire, alerts
 * and the step's subscriber limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alloc.h"
#include "batch.h"
#include "week.h"

#define OFFSET (8 * 3600)
/* Monday 2026-11-16 00:00 at +08:00, week 2026-W47 */
#define W47_START_MS 1794758400000LL
#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
/* the wall clock of every test: a Wednesday of 2026-W49 */
#define NOW_MS (W47_START_MS + 16 * DAY_MS)
#define SUB "13800138000"

static cw_setup_t setup_storage;
static cw_batch_ctx_t ctx;
static cw_meta_t meta;
static cw_batch_t batch;
static cw_record_t *records[CW_BATCH_MAX_RECORDS + 8];
static size_t record_count;
static int32_t w47;

static void setup(void)
{
    static const char text[] = "[kafka]\nbrokers = b:1\ninput_topics = cdr,crm\n"
                               "[time]\nutc_offset = +08:00\nlate_grace = 6h\n"
                               "max_future = 10m\nweeks_kept = 4\n";
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    ck_assert_int_eq(cw_config_parse(text, strlen(text), "t.conf", &config, &errs), 0);
    cw_errlist_free(&errs);
    setup_storage.config = config;
    setup_storage.plan = cw_numplan_new("86");
    ck_assert_ptr_nonnull(setup_storage.plan);
    ctx = (cw_batch_ctx_t){config, &setup_storage, NOW_MS, false};
    cw_meta_reset(&meta);
    memset(&batch, 0, sizeof batch);
    record_count = 0;
    w47 = cw_week_of_ms(W47_START_MS, OFFSET);
}

static void teardown(void)
{
    cw_batch_free(&batch);
    for (size_t i = 0; i < record_count; i++)
        cw_free(records[i]);
    cw_config_free(setup_storage.config);
    cw_numplan_free(setup_storage.plan);
}

static void add_record(int topic, int64_t offset, const char *value)
{
    size_t len = strlen(value);
    cw_record_t *record = cw_malloc(sizeof *record + 11 + len);
    ck_assert_ptr_nonnull(record);
    *record = (cw_record_t){.offset = offset, .partition = 3, .topic = topic, .has_key = true,
                            .key_len = 11, .value_len = len, .value_bytes = len};
    memcpy(record->data, SUB, 11);
    memcpy(record->data + 11, value, len);
    records[record_count++] = record;
}

/* An event of `type` with its own `fields` ("\"severity\":\"normal\""), its
 * event id made from the offset. */
static void add_event(int topic, int64_t offset, const char *msisdn, int64_t ts_ms,
                      const char *type, const char *fields)
{
    char value[256];
    snprintf(value, sizeof value,
             "{\"event_id\":\"e%lld\",\"type\":\"%s\",\"msisdn\":\"%s\",\"ts\":%lld,%s}",
             (long long)offset, type, msisdn, (long long)ts_ms, fields);
    add_record(topic, offset, value);
}

static void add_complaint(int topic, int64_t offset, const char *msisdn, int64_t ts_ms)
{
    add_event(topic, offset, msisdn, ts_ms, "complaint", "\"severity\":\"normal\"");
}

static void add_profile(int topic, int64_t offset, const char *msisdn, int64_t ts_ms)
{
    add_event(topic, offset, msisdn, ts_ms, "profile",
              "\"tier\":\"high\",\"subsidy_end\":null");
}

/* Takes and applies every record added, with states as loaded: fresh. */
static void run(void)
{
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 4 << 20),
                     0);
    ck_assert_int_eq(cw_batch_apply(&batch, &ctx, &meta), 0);
}

static const char *seen_of(int32_t week)
{
    for (size_t i = 0; i < batch.seen_count; i++)
        if (batch.seen[i].period == CW_PERIOD_WEEK && batch.seen[i].index == week) {
            static char text[4096];
            snprintf(text, sizeof text, "%.*s", (int)batch.seen[i].len, batch.seen[i].text);
            return text;
        }
    return "";
}

/* ---- offsets ---- */

START_TEST(records_below_the_stored_offset_are_replays_and_change_nothing)
{
    meta.next_offset[0] = 10;
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_complaint(0, 8, SUB, W47_START_MS + HOUR_MS);
    add_complaint(0, 9, SUB, W47_START_MS + HOUR_MS);
    add_complaint(0, 10, SUB, W47_START_MS + 2 * HOUR_MS);
    add_complaint(1, 0, SUB, W47_START_MS + 3 * HOUR_MS); /* another topic: its own offset */
    run();
    ck_assert_uint_eq(batch.taken, 4);
    ck_assert_int_eq(batch.items[0].fate, CW_FATE_REPLAYED);
    ck_assert_int_eq(batch.items[1].fate, CW_FATE_REPLAYED);
    ck_assert_int_eq(batch.items[2].fate, CW_FATE_APPLIED);
    ck_assert_int_eq(batch.items[3].fate, CW_FATE_APPLIED);
    ck_assert_int_eq(batch.meta.next_offset[0], 11);
    ck_assert_int_eq(batch.meta.next_offset[1], 1);
    const cw_week_agg_t *agg = cw_sub_find_week(&batch.subs.subs[0].state, w47);
    ck_assert_ptr_nonnull(agg);
    ck_assert_uint_eq(agg->complaints, 2); /* the replays did not count */
    ck_assert_str_eq(seen_of(w47), SUB "\n");
}
END_TEST

/* ---- dead letters ---- */

START_TEST(bad_records_become_dead_letters_with_their_source_and_move_the_offset)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_record(0, 5, "{not json");
    add_complaint(0, 6, SUB, NOW_MS + 11 * 60 * 1000);     /* beyond max_future */
    add_complaint(0, 7, SUB, W47_START_MS - 4 * 7 * DAY_MS); /* older than weeks kept */
    run();
    ck_assert_uint_eq(batch.taken, 3);
    ck_assert_int_eq(batch.items[0].reason, CW_DLQ_INVALID_JSON);
    ck_assert_int_eq(batch.items[1].reason, CW_DLQ_FUTURE_TS);
    ck_assert_int_eq(batch.items[2].reason, CW_DLQ_TOO_OLD);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(batch.items[i].fate, CW_FATE_DEAD);
    ck_assert_int_eq(batch.meta.next_offset[0], 8);
    ck_assert_int_eq(batch.meta.stream_ms, W47_START_MS); /* dead letters do not move it */
    ck_assert_uint_eq(batch.entries.count, 3);
    ck_assert_int_eq(batch.entries.items[0].kind, CW_ENTRY_DEAD_LETTER);
    ck_assert_str_eq(batch.entries.items[0].field, "d:cdr:5");
    cw_message_t message;
    const cw_entry_t *entry = &batch.entries.items[1];
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_str_eq(message.headers[0].value, "future_ts");
    ck_assert_str_eq(message.headers[2].value, "cdr");
    ck_assert_str_eq(message.headers[3].value, "3");
    ck_assert_str_eq(message.headers[4].value, "6");
    ck_assert_uint_eq(message.key_len, 11);
    ck_assert_mem_eq(message.key, SUB, 11);
    ck_assert_uint_eq(message.value_len, records[1]->value_len);
    ck_assert_mem_eq(message.value, cw_record_value(records[1]), message.value_len);
}
END_TEST

START_TEST(a_value_cut_short_is_too_large_with_its_length_and_digest)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    /* as the consumer holds a 1 MB value: its first 64 KiB and its digest */
    cw_record_t *record =
        cw_malloc(sizeof *record + cw_record_data_size(0, 1048576));
    ck_assert_ptr_nonnull(record);
    *record = (cw_record_t){.offset = 9, .partition = 3, .topic = 0, .value_len = 65536,
                            .value_bytes = 1048576};
    memset(record->data, '{', 65536);
    memset(record->data + 65536, 'a', 64);
    records[record_count++] = record;
    run();
    ck_assert_int_eq(batch.items[0].fate, CW_FATE_DEAD);
    ck_assert_int_eq(batch.items[0].reason, CW_DLQ_TOO_LARGE);
    const cw_entry_t *entry = &batch.entries.items[0];
    cw_message_t message;
    ck_assert_int_eq(cw_entry_decode(entry->field, entry->field_len, entry->value,
                                     entry->value_len, &message),
                     0);
    ck_assert_uint_eq(message.value_len, 65536);
    ck_assert_ptr_null(message.key);
    ck_assert_str_eq(message.headers[5].name, "cdrwarn.value_bytes");
    ck_assert_str_eq(message.headers[5].value, "1048576");
    ck_assert_uint_eq(strspn(message.headers[6].value, "a"), 64);
}
END_TEST

/* ---- week close ---- */

START_TEST(a_fresh_partition_takes_the_weeks_before_its_first_event_as_closed)
{
    /* Wednesday of W49: W48 ended on Monday 00:00, more than 6 h ago */
    add_complaint(0, 0, SUB, NOW_MS - HOUR_MS);
    run();
    ck_assert_int_eq(batch.meta.close[CW_PERIOD_WEEK].closed, w47 + 1);
    ck_assert_int_eq(batch.meta.stream_ms, NOW_MS - HOUR_MS);
    /* within the first 6 h of a week, the week before is not closed yet */
    cw_batch_free(&batch);
    cw_meta_reset(&meta);
    add_complaint(0, 1, SUB, W47_START_MS + 7 * DAY_MS + HOUR_MS);
    cw_free(records[0]);
    records[0] = records[1];
    record_count = 1;
    run();
    ck_assert_int_eq(batch.meta.close[CW_PERIOD_WEEK].closed, w47 - 1);
}
END_TEST

START_TEST(a_step_stops_right_after_the_record_that_closes_a_week)
{
    meta.stream_ms = W47_START_MS + 6 * DAY_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_complaint(0, 0, SUB, W47_START_MS + 6 * DAY_MS + HOUR_MS);
    /* Monday of W48, 7 h in: end(W47) + late_grace has passed */
    add_complaint(0, 1, "13800138001", W47_START_MS + 7 * DAY_MS + 7 * HOUR_MS);
    add_complaint(0, 2, SUB, W47_START_MS + 7 * DAY_MS + 8 * HOUR_MS);
    run();
    ck_assert_uint_eq(batch.taken, 2);
    ck_assert_int_eq(batch.items[2].fate, CW_FATE_UNDECIDED);
    ck_assert_int_eq(batch.meta.next_offset[0], 2);
    ck_assert_int_eq(batch.meta.close[CW_PERIOD_WEEK].closed, w47 - 1); /* the week close sets it */
    ck_assert_int_eq(cw_week_last_closed(batch.meta.stream_ms, 6 * HOUR_MS, OFFSET), w47);
}
END_TEST

START_TEST(a_late_event_for_a_closed_week_counts_and_joins_its_list_but_is_not_evaluated)
{
    meta.stream_ms = W47_START_MS + 8 * DAY_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47;
    /* the close of W47 alerted this silent subscriber: a week record with the
     * no-event mark */
    add_profile(0, 0, SUB, W47_START_MS + 8 * DAY_MS);
    add_complaint(0, 1, SUB, W47_START_MS + DAY_MS);
    add_complaint(0, 2, SUB, W47_START_MS + DAY_MS);
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 4 << 20),
                     0);
    cw_week_agg_t *marked = cw_sub_get_week(&batch.subs.subs[0].state, w47);
    marked->no_event = true;
    marked->published_level = CW_LEVEL_BLUE;
    ck_assert_int_eq(cw_batch_apply(&batch, &ctx, &meta), 0);
    ck_assert_uint_eq(batch.taken, 3);
    const cw_week_agg_t *agg = cw_sub_find_week(&batch.subs.subs[0].state, w47);
    ck_assert_uint_eq(agg->complaints, 2);
    ck_assert(!agg->no_event);
    ck_assert_str_eq(seen_of(w47), SUB "\n"); /* the close of W48 reads it */
    ck_assert_uint_eq(batch.entries.count, 0); /* no alert for a closed week */
}
END_TEST

/* ---- expiry ---- */

/* The stream in W48 (Tuesday), W47 closed: W47's and later lists are still read. */
static void in_w48_with_w47_closed(void)
{
    meta.stream_ms = W47_START_MS + 8 * DAY_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47;
}

START_TEST(a_state_on_a_list_a_close_still_reads_is_kept_without_expiry)
{
    in_w48_with_w47_closed();
    add_complaint(0, 0, SUB, W47_START_MS + 8 * DAY_MS + HOUR_MS);          /* W48 */
    add_complaint(0, 1, "13800138001", W47_START_MS + 2 * DAY_MS);          /* late, W47 */
    run();
    ck_assert_uint_eq(batch.subs.count, 2);
    for (size_t i = 0; i < batch.subs.count; i++) {
        ck_assert(batch.subs.subs[i].dirty);
        ck_assert_msg(!batch.subs.subs[i].expire, "%s marked to expire",
                      batch.subs.subs[i].msisdn);
    }
}
END_TEST

START_TEST(a_state_written_for_late_events_only_is_marked_to_expire)
{
    in_w48_with_w47_closed();
    /* W46: its list was read by the close of W47 and is gone */
    add_complaint(0, 0, SUB, W47_START_MS - 5 * DAY_MS);
    run();
    ck_assert_uint_eq(batch.items[0].fate, CW_FATE_APPLIED);
    ck_assert(batch.subs.subs[0].dirty);
    ck_assert(batch.subs.subs[0].expire);
}
END_TEST

START_TEST(a_late_event_of_a_subscriber_active_in_a_read_week_does_not_expire_it)
{
    in_w48_with_w47_closed();
    add_complaint(0, 0, SUB, W47_START_MS - 5 * DAY_MS);                    /* W46 */
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 4 << 20),
                     0);
    /* stored: an event in W48 already (a close's silent-week record would not count) */
    cw_sub_get_week(&batch.subs.subs[0].state, w47 + 1)->complaints = 1;
    ck_assert_int_eq(cw_batch_apply(&batch, &ctx, &meta), 0);
    ck_assert(batch.subs.subs[0].dirty);
    ck_assert(!batch.subs.subs[0].expire);
    /* the same with only a no-event record of W48 (made by a close): it expires */
    cw_batch_free(&batch);
    memset(&batch, 0, sizeof batch);
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 4 << 20),
                     0);
    cw_sub_get_week(&batch.subs.subs[0].state, w47 + 1)->no_event = true;
    ck_assert_int_eq(cw_batch_apply(&batch, &ctx, &meta), 0);
    ck_assert(batch.subs.subs[0].expire);
}
END_TEST

START_TEST(a_replayed_record_marks_nothing)
{
    in_w48_with_w47_closed();
    meta.next_offset[0] = 5;
    add_complaint(0, 0, SUB, W47_START_MS - 5 * DAY_MS);
    run();
    ck_assert_uint_eq(batch.items[0].fate, CW_FATE_REPLAYED);
    ck_assert(!batch.subs.subs[0].dirty);
    ck_assert(!batch.subs.subs[0].expire);
}
END_TEST

/* ---- alerts ---- */

START_TEST(two_complaints_of_a_watched_subscriber_give_one_red_alert)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_profile(0, 0, SUB, W47_START_MS + HOUR_MS);
    add_complaint(0, 1, SUB, W47_START_MS + 2 * HOUR_MS);
    add_complaint(0, 2, SUB, W47_START_MS + 3 * HOUR_MS);
    add_complaint(0, 3, SUB, W47_START_MS + 4 * HOUR_MS); /* the same level and triggers */
    run();
    ck_assert_uint_eq(batch.entries.count, 1);
    const cw_entry_t *entry = &batch.entries.items[0];
    ck_assert_int_eq(entry->kind, CW_ENTRY_ALERT);
    ck_assert_int_eq(entry->level, CW_LEVEL_RED);
    char id[CW_ALERT_ID_SIZE];
    cw_alert_id(SUB, w47, CW_LEVEL_RED, CW_TRIG_BIT(CW_TRIG_COMPLAINTS), id);
    ck_assert_str_eq(entry->field, id);
    static const char start[] = SUB " {\"alert_id\":";
    ck_assert_int_eq(strncmp(entry->value, start, strlen(start)), 0);
    ck_assert_ptr_nonnull(strstr(entry->value, "\"emitted_at\":1796140800000"));
    ck_assert(batch.subs.subs[0].dirty);
}
END_TEST

START_TEST(an_alert_entry_carries_its_week_and_triggers_as_values)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_profile(0, 0, SUB, W47_START_MS + HOUR_MS);
    add_complaint(0, 1, SUB, W47_START_MS + 2 * HOUR_MS);
    add_complaint(0, 2, SUB, W47_START_MS + 3 * HOUR_MS);
    run();
    ck_assert_uint_eq(batch.entries.count, 1);
    ck_assert_int_eq(batch.entries.items[0].period, w47);
    ck_assert_uint_eq(batch.entries.items[0].bits, CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
}
END_TEST

START_TEST(an_outcome_entry_carries_its_churn_week_and_whether_watched)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_profile(0, 0, SUB, W47_START_MS + HOUR_MS);
    add_event(0, 1, SUB, W47_START_MS + DAY_MS, "churn", "\"kind\":\"cancel\"");
    add_event(0, 2, "13800138001", W47_START_MS + DAY_MS, "churn", "\"kind\":\"cancel\"");
    run();
    ck_assert_uint_eq(batch.entries.count, 2);
    ck_assert_int_eq(batch.entries.items[0].kind, CW_ENTRY_OUTCOME);
    ck_assert_int_eq(batch.entries.items[0].period, w47);
    ck_assert(batch.entries.items[0].watched);
    ck_assert(!batch.entries.items[1].watched); /* no profile: tier unknown */
}
END_TEST

START_TEST(decisions_only_gives_the_same_entries_without_messages)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    add_profile(0, 0, SUB, W47_START_MS + HOUR_MS);
    add_complaint(0, 1, SUB, W47_START_MS + 2 * HOUR_MS);
    add_complaint(0, 2, SUB, W47_START_MS + 3 * HOUR_MS);
    add_event(0, 3, SUB, W47_START_MS + DAY_MS, "churn", "\"kind\":\"cancel\"");
    ctx.decisions_only = true;
    run();
    ck_assert_uint_eq(batch.entries.count, 2);
    const cw_entry_t *alert = &batch.entries.items[0], *outcome = &batch.entries.items[1];
    ck_assert_int_eq(alert->kind, CW_ENTRY_ALERT);
    ck_assert_int_eq(alert->level, CW_LEVEL_RED);
    ck_assert_int_eq(alert->period, w47);
    ck_assert_uint_eq(alert->bits, CW_TRIG_BIT(CW_TRIG_COMPLAINTS));
    ck_assert_str_eq(alert->field, "");
    ck_assert_uint_eq(alert->value_len, strlen(SUB " "));
    ck_assert_mem_eq(alert->value, SUB " ", alert->value_len);
    ck_assert_int_eq(outcome->kind, CW_ENTRY_OUTCOME);
    ck_assert_int_eq(outcome->period, w47);
    ck_assert(outcome->watched);
    ck_assert_int_eq(outcome->level, CW_LEVEL_RED); /* caught with red */
    ck_assert_int_eq(outcome->lead_weeks, 0);
}
END_TEST

START_TEST(a_step_takes_no_more_subscribers_than_it_can_hold)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    char msisdn[16];
    for (int i = 0; i < CW_BATCH_MAX_SUBS + 5; i++) {
        snprintf(msisdn, sizeof msisdn, "1380000%04d", i);
        add_complaint(0, i, msisdn, W47_START_MS + HOUR_MS);
    }
    run();
    ck_assert_uint_eq(batch.count, CW_BATCH_MAX_SUBS);
    ck_assert_uint_eq(batch.taken, CW_BATCH_MAX_SUBS);
    ck_assert_int_eq(batch.meta.next_offset[0], CW_BATCH_MAX_SUBS);
}
END_TEST

START_TEST(a_step_takes_no_more_bytes_than_its_bound_but_always_one_record)
{
    meta.stream_ms = W47_START_MS;
    meta.close[CW_PERIOD_WEEK].closed = w47 - 1;
    for (int i = 0; i < 10; i++)
        add_complaint(0, i, SUB, W47_START_MS + HOUR_MS);
    size_t one = records[0]->key_len + records[0]->value_len;
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 3 * one),
                     0);
    ck_assert_uint_eq(batch.count, 3);
    cw_batch_free(&batch);
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 1),
                     0);
    ck_assert_uint_eq(batch.count, 1);
}
END_TEST

START_TEST(old_weeks_are_dropped_from_changed_states_before_they_are_written)
{
    ctx.now_ms = W47_START_MS + 29 * DAY_MS;
    meta.stream_ms = W47_START_MS + 28 * DAY_MS; /* W51: 4 weeks kept = W48..W51 */
    meta.close[CW_PERIOD_WEEK].closed = w47 + 3;
    add_complaint(0, 0, SUB, W47_START_MS + 28 * DAY_MS + HOUR_MS);
    ck_assert_int_eq(cw_batch_take(&batch, (const cw_record_t *const *)records, record_count,
                                   "86", 4 << 20),
                     0);
    cw_sub_get_week(&batch.subs.subs[0].state, w47)->complaints = 1;
    cw_sub_get_week(&batch.subs.subs[0].state, w47 + 1)->complaints = 1;
    ck_assert_int_eq(cw_batch_apply(&batch, &ctx, &meta), 0);
    ck_assert_int_eq(batch.items[0].fate, CW_FATE_APPLIED);
    ck_assert_ptr_null(cw_sub_find_week(&batch.subs.subs[0].state, w47));
    ck_assert_ptr_nonnull(cw_sub_find_week(&batch.subs.subs[0].state, w47 + 1));
}
END_TEST

static Suite *batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *offsets = tcase_create("offsets");
    tcase_add_checked_fixture(offsets, setup, teardown);
    tcase_add_test(offsets, records_below_the_stored_offset_are_replays_and_change_nothing);
    suite_add_tcase(s, offsets);
    TCase *dead = tcase_create("dead_letters");
    tcase_add_checked_fixture(dead, setup, teardown);
    tcase_add_test(dead, bad_records_become_dead_letters_with_their_source_and_move_the_offset);
    tcase_add_test(dead, a_value_cut_short_is_too_large_with_its_length_and_digest);
    suite_add_tcase(s, dead);
    TCase *close = tcase_create("week_close");
    tcase_add_checked_fixture(close, setup, teardown);
    tcase_add_test(close, a_fresh_partition_takes_the_weeks_before_its_first_event_as_closed);
    tcase_add_test(close, a_step_stops_right_after_the_record_that_closes_a_week);
    tcase_add_test(close,
                   a_late_event_for_a_closed_week_counts_and_joins_its_list_but_is_not_evaluated);
    suite_add_tcase(s, close);
    TCase *expiry = tcase_create("expiry");
    tcase_add_checked_fixture(expiry, setup, teardown);
    tcase_add_test(expiry, a_state_on_a_list_a_close_still_reads_is_kept_without_expiry);
    tcase_add_test(expiry, a_state_written_for_late_events_only_is_marked_to_expire);
    tcase_add_test(expiry, a_late_event_of_a_subscriber_active_in_a_read_week_does_not_expire_it);
    tcase_add_test(expiry, a_replayed_record_marks_nothing);
    suite_add_tcase(s, expiry);
    TCase *alerts = tcase_create("alerts");
    tcase_add_checked_fixture(alerts, setup, teardown);
    tcase_add_test(alerts, two_complaints_of_a_watched_subscriber_give_one_red_alert);
    tcase_add_test(alerts, an_alert_entry_carries_its_week_and_triggers_as_values);
    tcase_add_test(alerts, an_outcome_entry_carries_its_churn_week_and_whether_watched);
    tcase_add_test(alerts, decisions_only_gives_the_same_entries_without_messages);
    suite_add_tcase(s, alerts);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, a_step_takes_no_more_subscribers_than_it_can_hold);
    tcase_add_test(limits, a_step_takes_no_more_bytes_than_its_bound_but_always_one_record);
    tcase_add_test(limits, old_weeks_are_dropped_from_changed_states_before_they_are_written);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(batch_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
