/* Check suite for meta.c: reading the partition meta hash back with range
 * checks, and the fields a commit writes for a step's changes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

static char *names[] = {"cdr", "crm"};
static const cw_meta_topics_t topics = {names, 2};

static int read(cw_meta_t *meta, const char *field, const char *value)
{
    char err[128];
    return cw_meta_read_field(meta, &topics, field, strlen(field), value, strlen(value), err,
                              sizeof err);
}

START_TEST(every_field_reads_back)
{
    cw_meta_t meta;
    cw_meta_reset(&meta);
    ck_assert(!cw_meta_written(&meta, 2));
    ck_assert_int_eq(read(&meta, "seq", "42"), 0);
    ck_assert_int_eq(read(&meta, "o:crm", "1000"), 0);
    ck_assert_int_eq(read(&meta, "st", "1794758400000"), 0);
    ck_assert_int_eq(read(&meta, "cw", "2911"), 0);
    ck_assert_int_eq(read(&meta, "sw", "2912"), 0);
    ck_assert_int_eq(read(&meta, "sl", "1"), 0);
    ck_assert_int_eq(read(&meta, "so", "16384"), 0);
    ck_assert_int_eq(read(&meta, "pc", "16"), 0);
    ck_assert_str_eq(meta.seq, "42");
    ck_assert_int_eq(meta.next_offset[0], -1);
    ck_assert_int_eq(meta.next_offset[1], 1000);
    ck_assert_int_eq(meta.stream_ms, 1794758400000LL);
    ck_assert_int_eq(meta.close[CW_PERIOD_WEEK].closed, 2911);
    ck_assert_int_eq(meta.close[CW_PERIOD_WEEK].sweep, 2912);
    ck_assert_int_eq(meta.close[CW_PERIOD_WEEK].list, 1);
    ck_assert_int_eq(meta.close[CW_PERIOD_WEEK].offset, 16384);
    ck_assert_int_eq(meta.partition_count, 16);
    ck_assert(cw_meta_written(&meta, 2));
}
END_TEST

START_TEST(unknown_fields_and_other_topics_are_ignored)
{
    cw_meta_t meta;
    cw_meta_reset(&meta);
    ck_assert_int_eq(read(&meta, "zz", "x"), 1);
    ck_assert_int_eq(read(&meta, "o:billing", "7"), 0);
    ck_assert_int_eq(meta.next_offset[0], -1);
    ck_assert_int_eq(meta.next_offset[1], -1);
}
END_TEST

START_TEST(malformed_and_out_of_range_values_are_refused)
{
    static const char *const bad[][2] = {
        {"seq", "-1"},   {"seq", "12a"},      {"o:cdr", ""},   {"o:cdr", "-5"},
        {"st", "-1"},    {"st", "99999999999999999"}, {"cw", "1e3"}, {"sl", "2"},
        {"so", "-1"},    {"pc", "0"},         {"sw", "99999999"}, {"o:cdr", "99999999999999999999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_meta_t meta;
        cw_meta_reset(&meta);
        ck_assert_msg(read(&meta, bad[i][0], bad[i][1]) == -1, "%s = '%s' was taken", bad[i][0],
                      bad[i][1]);
    }
}
END_TEST

static char written[1024];

static void set(const char *field, long long value, void *arg)
{
    size_t len = strlen(written);
    snprintf(written + len, sizeof written - len, "%s=%lld ", field, value);
}

static void del(const char *field, void *arg)
{
    size_t len = strlen(written);
    snprintf(written + len, sizeof written - len, "-%s ", field);
}

START_TEST(a_commit_writes_what_changed_and_deletes_a_finished_sweeps_cursor)
{
    cw_meta_t stored, next;
    cw_meta_reset(&stored);
    stored.next_offset[0] = 5;
    stored.stream_ms = 1000;
    stored.close[CW_PERIOD_WEEK].closed = 10;
    next = stored;
    next.next_offset[1] = 3;
    next.stream_ms = 2000;
    written[0] = '\0';
    cw_meta_diff(&stored, &next, &topics, false, set, del, NULL);
    ck_assert_str_eq(written, "o:crm=3 st=2000 ");
    /* a sweep chunk: the cursor, and the stream time however it stands */
    next = stored;
    next.close[CW_PERIOD_WEEK].sweep = 11;
    next.close[CW_PERIOD_WEEK].offset = 300;
    written[0] = '\0';
    cw_meta_diff(&stored, &next, &topics, true, set, del, NULL);
    ck_assert_str_eq(written, "st=1000 sw=11 sl=0 so=300 ");
    /* the week closed */
    stored = next;
    next.close[CW_PERIOD_WEEK].closed = 11;
    next.close[CW_PERIOD_WEEK].sweep = CW_WEEK_NONE;
    next.close[CW_PERIOD_WEEK].offset = 0;
    written[0] = '\0';
    cw_meta_diff(&stored, &next, &topics, false, set, del, NULL);
    ck_assert_str_eq(written, "cw=11 -sw -sl -so ");
}
END_TEST

static Suite *meta_suite(void)
{
    Suite *s = suite_create("meta");
    TCase *reading = tcase_create("read");
    tcase_add_test(reading, every_field_reads_back);
    tcase_add_test(reading, unknown_fields_and_other_topics_are_ignored);
    tcase_add_test(reading, malformed_and_out_of_range_values_are_refused);
    suite_add_tcase(s, reading);
    TCase *diff = tcase_create("diff");
    tcase_add_test(diff, a_commit_writes_what_changed_and_deletes_a_finished_sweeps_cursor);
    suite_add_tcase(s, diff);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(meta_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
