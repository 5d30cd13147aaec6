/* Check suite for month.c: local calendar months at a UTC offset, their
 * first and last days and instants, labels, and the month close, pinned at
 * year ends, leap Februaries and offsets either side of UTC. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "month.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define UTC_MINUS5 (-5 * 3600)
#define HOUR_MS 3600000LL

static int32_t month_of(int y, int m)
{
    return (int32_t)((y - 1970) * 12 + (m - 1));
}

START_TEST(month_index_counts_from_1970_01)
{
    ck_assert_int_eq(cw_month_of_day(0), 0); /* 1970-01-01 */
    ck_assert_int_eq(cw_month_of_day(cw_date_from_civil(1970, 1, 31)), 0);
    ck_assert_int_eq(cw_month_of_day(cw_date_from_civil(1970, 2, 1)), 1);
    ck_assert_int_eq(cw_month_of_day(cw_date_from_civil(1969, 12, 31)), -1);
    ck_assert_int_eq(cw_month_of_day(cw_date_from_civil(2026, 11, 20)), 682);
    ck_assert_int_eq(cw_month_of_day(cw_date_from_civil(9999, 12, 31)),
                     month_of(9999, 12));
}
END_TEST

START_TEST(first_and_last_days_across_year_and_leap_years)
{
    static const struct {
        int y, m, last;
    } rows[] = {
        {2026, 12, 31}, {2027, 1, 31}, {2028, 2, 29}, {2026, 2, 28},
        {2000, 2, 29},  {1900, 2, 28}, {2026, 4, 30}, {1969, 12, 31},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int32_t m = month_of(rows[i].y, rows[i].m);
        ck_assert_int_eq(cw_month_first_day(m),
                         cw_date_from_civil(rows[i].y, rows[i].m, 1));
        ck_assert_int_eq(cw_month_last_day(m),
                         cw_date_from_civil(rows[i].y, rows[i].m, rows[i].last));
        ck_assert_int_eq(cw_month_of_day(cw_month_first_day(m)), m);
        ck_assert_int_eq(cw_month_of_day(cw_month_last_day(m)), m);
        ck_assert_int_eq(cw_month_last_day(m) + 1, cw_month_first_day(m + 1));
    }
}
END_TEST

START_TEST(month_of_an_instant_is_local)
{
    /* 2026-12-31T16:00Z is 2027-01-01 00:00 at +08:00 and 11:00 on the 31st
     * at -05:00 */
    int64_t ny_utc8 = 1798732800000LL;
    ck_assert_int_eq(cw_month_of_ms(ny_utc8, UTC8), month_of(2027, 1));
    ck_assert_int_eq(cw_month_of_ms(ny_utc8 - 1, UTC8), month_of(2026, 12));
    ck_assert_int_eq(cw_month_of_ms(ny_utc8, 0), month_of(2026, 12));
    ck_assert_int_eq(cw_month_of_ms(ny_utc8, UTC_MINUS5), month_of(2026, 12));
    /* 2027-01-01T05:00Z is midnight at -05:00 */
    int64_t ny_minus5 = ny_utc8 + 13 * HOUR_MS;
    ck_assert_int_eq(cw_month_of_ms(ny_minus5 - 1, UTC_MINUS5), month_of(2026, 12));
    ck_assert_int_eq(cw_month_of_ms(ny_minus5, UTC_MINUS5), month_of(2027, 1));
    /* before the epoch */
    ck_assert_int_eq(cw_month_of_ms(-1, 0), -1);
    ck_assert_int_eq(cw_month_of_ms(0, UTC_MINUS5), -1);
}
END_TEST

START_TEST(start_and_end_ms_are_local_midnight)
{
    int32_t dec = month_of(2026, 12);
    ck_assert_int_eq(cw_month_start_ms(dec, UTC8),
                     1796054400000LL);                             /* 2026-11-30T16:00Z */
    ck_assert_int_eq(cw_month_end_ms(dec, UTC8), 1798732800000LL); /* 2026-12-31T16:00Z */
    ck_assert_int_eq(cw_month_end_ms(dec, UTC8), cw_month_start_ms(dec + 1, UTC8));
    ck_assert_int_eq(cw_month_start_ms(dec, 0), 1796083200000LL);
    ck_assert_int_eq(cw_month_start_ms(dec, UTC_MINUS5), 1796083200000LL + 5 * HOUR_MS);
    /* the end is exclusive: its last millisecond is in the month */
    ck_assert_int_eq(cw_month_of_ms(cw_month_end_ms(dec, UTC8) - 1, UTC8), dec);
    ck_assert_int_eq(cw_month_of_ms(cw_month_end_ms(dec, UTC8), UTC8), dec + 1);
    ck_assert_int_eq(cw_month_of_ms(cw_month_start_ms(dec, UTC_MINUS5), UTC_MINUS5), dec);
    ck_assert_int_eq(cw_month_of_ms(cw_month_start_ms(dec, UTC_MINUS5) - 1, UTC_MINUS5),
                     dec - 1);
    /* a February of a leap year is 29 days long */
    int32_t feb = month_of(2028, 2);
    ck_assert_int_eq(cw_month_end_ms(feb, UTC8) - cw_month_start_ms(feb, UTC8),
                     29 * CW_MS_PER_DAY);
}
END_TEST

START_TEST(month_closes_at_its_end_plus_the_grace)
{
    int32_t nov = month_of(2026, 11);
    int64_t end = cw_month_end_ms(nov, UTC8);
    int64_t grace = 6 * HOUR_MS;
    ck_assert_int_eq(cw_month_last_closed(end + grace - 1, grace, UTC8), nov - 1);
    ck_assert_int_eq(cw_month_last_closed(end + grace, grace, UTC8), nov);
    ck_assert_int_eq(cw_month_last_closed(end, 0, UTC8), nov);
    ck_assert_int_eq(cw_month_last_closed(end - 1, 0, UTC8), nov - 1);
    /* across the year end, at another offset */
    int32_t dec = month_of(2026, 12);
    int64_t dec_end = cw_month_end_ms(dec, UTC_MINUS5);
    ck_assert_int_eq(cw_month_last_closed(dec_end + grace, grace, UTC_MINUS5), dec);
    ck_assert_int_eq(cw_month_last_closed(dec_end + grace - 1, grace, UTC_MINUS5), nov);
}
END_TEST

START_TEST(labels_are_yyyy_mm_and_parse_back)
{
    static const struct {
        int y, m;
        const char *label;
    } rows[] = {
        {2026, 11, "2026-11"}, {2026, 12, "2026-12"}, {2027, 1, "2027-01"},
        {1970, 1, "1970-01"},  {1969, 12, "1969-12"}, {9999, 12, "9999-12"},
        {1900, 1, "1900-01"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char label[CW_MONTH_LABEL_SIZE];
        int32_t m = month_of(rows[i].y, rows[i].m);
        cw_month_label(m, label);
        ck_assert_str_eq(label, rows[i].label);
        int32_t back = INT32_MIN;
        ck_assert_int_eq(cw_month_parse_label(label, strlen(label), &back), 0);
        ck_assert_int_eq(back, m);
    }
    char label[CW_MONTH_LABEL_SIZE];
    cw_month_label(month_of(10000, 1), label);
    ck_assert_str_eq(label, "0000-00");
    cw_month_label(INT32_MIN, label);
    ck_assert_str_eq(label, "0000-00");
}
END_TEST

START_TEST(malformed_labels_are_refused)
{
    static const char *const bad[] = {"2026-13", "2026-00",    "2026-1",  "2026/11",
                                      "26-11",   "2026-11-01", "1899-12", "2026-1a",
                                      "",        "abcd-ef"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t m = 42;
        ck_assert_msg(cw_month_parse_label(bad[i], strlen(bad[i]), &m) == -1, "%s",
                      bad[i]);
        ck_assert_int_eq(m, 42);
    }
}
END_TEST

static Suite *month_suite(void)
{
    Suite *s = suite_create("month");
    TCase *tc = tcase_create("index");
    tcase_add_test(tc, month_index_counts_from_1970_01);
    tcase_add_test(tc, first_and_last_days_across_year_and_leap_years);
    suite_add_tcase(s, tc);

    tc = tcase_create("local_time");
    tcase_add_test(tc, month_of_an_instant_is_local);
    tcase_add_test(tc, start_and_end_ms_are_local_midnight);
    tcase_add_test(tc, month_closes_at_its_end_plus_the_grace);
    suite_add_tcase(s, tc);

    tc = tcase_create("labels");
    tcase_add_test(tc, labels_are_yyyy_mm_and_parse_back);
    tcase_add_test(tc, malformed_labels_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(month_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
