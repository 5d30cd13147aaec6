/* Check suite for close.c: the week close's reading of seen-list chunks
 * (whole lines only, where the next chunk starts) and its evaluation of a
 * chunk: silent subscribers found and marked, W-1's list skipping those
 * already evaluated from W's, nothing published twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "close.h"
#include "week.h"

#define OFFSET (8 * 3600)
#define W47_START_MS 1794758400000LL /* Monday 2026-11-16 00:00 at +08:00 */
#define DAY_MS 86400000LL

static cw_setup_t setup_storage;
static cw_batch_ctx_t ctx;
static cw_subset_t subs;
static cw_entries_t entries;
static int32_t w47;

static void setup(void)
{
    static const char text[] = "[kafka]\nbrokers = b:1\n[time]\nweeks_kept = 4\n";
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    ck_assert_int_eq(cw_config_parse(text, strlen(text), "t.conf", &config, &errs), 0);
    cw_errlist_free(&errs);
    setup_storage.config = config;
    setup_storage.plan = cw_numplan_new("86");
    ctx = (cw_batch_ctx_t){config, &setup_storage, W47_START_MS + 8 * DAY_MS, false};
    memset(&subs, 0, sizeof subs);
    memset(&entries, 0, sizeof entries);
    w47 = cw_week_of_ms(W47_START_MS, OFFSET);
}

static void teardown(void)
{
    cw_subset_free(&subs);
    cw_entries_free(&entries);
    cw_config_free(setup_storage.config);
    cw_numplan_free(setup_storage.plan);
}

START_TEST(a_chunk_covers_whole_lines_and_the_next_starts_after_the_last_newline)
{
    static const char chunk[] = "13800138000\n13800138001\n138001";
    ck_assert_int_eq(cw_close_take(&subs, chunk, strlen(chunk)), 24);
    ck_assert_uint_eq(subs.count, 2);
    ck_assert_str_eq(subs.subs[1].msisdn, "13800138001");
}
END_TEST

START_TEST(a_chunk_without_a_newline_is_covered_whole_and_lines_of_no_number_are_skipped)
{
    static const char junk[] = "123456789012345678901234567890";
    ck_assert_int_eq(cw_close_take(&subs, junk, strlen(junk)), (long)strlen(junk));
    ck_assert_uint_eq(subs.count, 0);
    cw_subset_free(&subs);
    static const char odd[] = "12\n13800138000\n";
    ck_assert_int_eq(cw_close_take(&subs, odd, strlen(odd)), (long)strlen(odd));
    ck_assert_uint_eq(subs.count, 1);
}
END_TEST

START_TEST(a_chunk_stops_at_a_steps_worth_of_subscribers)
{
    size_t lines = CW_BATCH_MAX_SUBS + 10;
    char *text = malloc(lines * 12 + 1);
    for (size_t i = 0; i < lines; i++)
        snprintf(text + i * 12, 13, "138000%05zu\n", i);
    long consumed = cw_close_take(&subs, text, lines * 12);
    ck_assert_uint_eq(subs.count, CW_BATCH_MAX_SUBS);
    /* the next chunk starts with the first line not taken */
    ck_assert_int_eq(consumed, CW_BATCH_MAX_SUBS * 12);
    free(text);
}
END_TEST

static cw_subset_entry_t *tier_one(const char *msisdn)
{
    int i = cw_subset_add(&subs, msisdn);
    ck_assert_int_ge(i, 0);
    subs.subs[i].state.tier = CW_TIER_HIGH;
    return &subs.subs[i];
}

START_TEST(a_silent_tier_one_subscriber_gets_blue_and_the_no_event_mark)
{
    ck_assert_int_eq(cw_subset_init(&subs, 4), 0);
    cw_subset_entry_t *silent = tier_one("13800138000");
    cw_sub_get_week(&silent->state, w47 - 1)->calls = 3; /* on W-1's list only */
    size_t evaluated = 0, alerts = 0;
    ck_assert_int_eq(cw_close_evaluate(&subs, 1, w47, W47_START_MS + 8 * DAY_MS, &ctx, &entries,
                                       &evaluated, &alerts),
                     0);
    ck_assert_uint_eq(evaluated, 1);
    ck_assert_uint_eq(alerts, 1);
    ck_assert_int_eq(entries.items[0].level, CW_LEVEL_BLUE);
    ck_assert_int_eq(entries.items[0].period, w47); /* the values the backtest counts */
    ck_assert_uint_eq(entries.items[0].bits, 0);
    const cw_week_agg_t *agg = cw_sub_find_week(&silent->state, w47);
    ck_assert_ptr_nonnull(agg);
    ck_assert(agg->no_event);
    ck_assert_uint_eq(agg->published_level, CW_LEVEL_BLUE);
    ck_assert(silent->dirty);
    ck_assert(silent->expire); /* no later close visits it */
    /* the same chunk done again (a restart before its commit landed, or
     * after): nothing new to publish */
    ck_assert_int_eq(cw_close_evaluate(&subs, 1, w47, W47_START_MS + 8 * DAY_MS, &ctx, &entries,
                                       &evaluated, &alerts),
                     0);
    ck_assert_uint_eq(alerts, 1);
}
END_TEST

START_TEST(w_minus_1s_list_skips_subscribers_with_an_event_in_w)
{
    ck_assert_int_eq(cw_subset_init(&subs, 4), 0);
    cw_subset_entry_t *active = tier_one("13800138000");
    cw_sub_get_week(&active->state, w47)->calls = 1;
    size_t evaluated = 0, alerts = 0;
    ck_assert_int_eq(cw_close_evaluate(&subs, 1, w47, W47_START_MS + 8 * DAY_MS, &ctx, &entries,
                                       &evaluated, &alerts),
                     0);
    ck_assert_uint_eq(evaluated, 0);
    ck_assert(!active->expire);
    /* from W's own list it is evaluated, and W+1's close visits it again */
    ck_assert_int_eq(cw_close_evaluate(&subs, 0, w47, W47_START_MS + 8 * DAY_MS, &ctx, &entries,
                                       &evaluated, &alerts),
                     0);
    ck_assert_uint_eq(evaluated, 1);
    ck_assert_uint_eq(alerts, 1);
    ck_assert(!active->expire);
}
END_TEST

static Suite *close_suite(void)
{
    Suite *s = suite_create("close");
    TCase *chunks = tcase_create("chunks");
    tcase_add_checked_fixture(chunks, setup, teardown);
    tcase_add_test(chunks, a_chunk_covers_whole_lines_and_the_next_starts_after_the_last_newline);
    tcase_add_test(chunks,
                   a_chunk_without_a_newline_is_covered_whole_and_lines_of_no_number_are_skipped);
    tcase_add_test(chunks, a_chunk_stops_at_a_steps_worth_of_subscribers);
    suite_add_tcase(s, chunks);
    TCase *evaluate = tcase_create("evaluate");
    tcase_add_checked_fixture(evaluate, setup, teardown);
    tcase_add_test(evaluate, a_silent_tier_one_subscriber_gets_blue_and_the_no_event_mark);
    tcase_add_test(evaluate, w_minus_1s_list_skips_subscribers_with_an_event_in_w);
    suite_add_tcase(s, evaluate);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(close_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
