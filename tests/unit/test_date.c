/* Check suite for date.c: civil dates <-> day numbers, weekdays, month
 * lengths (leap years), the month-end horizon of SPEC section 6, "YYYY-MM-DD"
 * parsing (years 1900..9999, real dates only) and RFC 3339 `ts` strings of
 * SPEC section 3 (mandatory offset, fraction truncated to ms). Expected epoch
 * values were computed independently (Python datetime). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

static int parse_ymd(const char *text, int32_t *day)
{
    return cw_date_parse_ymd(text, strlen(text), day);
}

static int parse_ts(const char *text, int64_t *ms)
{
    return cw_date_parse_rfc3339(text, strlen(text), ms);
}

/* text parses to exactly `want` epoch milliseconds */
static void expect_ts(const char *text, int64_t want)
{
    int64_t ms = 0;
    ck_assert_msg(parse_ts(text, &ms) == 0, "%s refused", text);
    ck_assert_msg(ms == want, "%s: %lld ms, expected %lld", text, (long long)ms,
                  (long long)want);
}

/* text parses to exactly day number `want` */
static void expect_ymd(const char *text, int32_t want)
{
    int32_t day = 0;
    ck_assert_msg(parse_ymd(text, &day) == 0, "%s refused", text);
    ck_assert_msg(day == want, "%s: day %d, expected %d", text, (int)day, (int)want);
}

/* the last day of the month `months` after y-m-d is ey-em-ed */
static void expect_month_end(int y, int m, int d, int months, int ey, int em, int ed)
{
    int32_t got = cw_date_month_end_after(cw_date_from_civil(y, m, d), months);
    char text[11];
    cw_date_format_ymd(got, text);
    ck_assert_msg(got == cw_date_from_civil(ey, em, ed),
                  "%04d-%02d-%02d + %d months ends on %s, expected %04d-%02d-%02d", y, m,
                  d, months, text, ey, em, ed);
}

/* ---- civil dates ---- */

START_TEST(known_dates_have_known_day_numbers)
{
    ck_assert_int_eq(cw_date_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(cw_date_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(cw_date_from_civil(1900, 1, 1), -25567);
    ck_assert_int_eq(cw_date_from_civil(2000, 2, 29), 11016);
    ck_assert_int_eq(cw_date_from_civil(2024, 2, 29), 19782);
    ck_assert_int_eq(cw_date_from_civil(2026, 11, 15), 20772);
    ck_assert_int_eq(cw_date_from_civil(2027, 2, 28), 20877);
    ck_assert_int_eq(cw_date_from_civil(9999, 12, 31), 2932896);
    ck_assert_int_eq(cw_date_from_civil(1, 1, 1), -719162);
}
END_TEST

START_TEST(every_day_1600_to_2500_round_trips_in_order)
{
    /* walk the calendar by hand with days_in_month and compare both ways */
    int y = 1600, m = 1, d = 1;
    int32_t day = cw_date_from_civil(y, m, d);
    int weekday = cw_date_weekday(day);
    for (; y <= 2500; day++) {
        int cy, cm, cd;
        cw_date_to_civil(day, &cy, &cm, &cd);
        ck_assert_int_eq(cy, y);
        ck_assert_int_eq(cm, m);
        ck_assert_int_eq(cd, d);
        ck_assert_int_eq(cw_date_from_civil(y, m, d), day);
        ck_assert_int_eq(cw_date_weekday(day), weekday);
        weekday = (weekday + 1) % 7;
        if (++d > cw_date_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    ck_assert_int_eq(day, cw_date_from_civil(2501, 1, 1));
}
END_TEST

START_TEST(weekday_is_zero_on_monday)
{
    ck_assert_int_eq(cw_date_weekday(0), 3); /* Thursday 1970-01-01 */
    ck_assert_int_eq(cw_date_weekday(-3), 0);
    ck_assert_int_eq(cw_date_weekday(-4), 6);
    ck_assert_int_eq(cw_date_weekday(cw_date_from_civil(2026, 3, 1)), 6);
    ck_assert_int_eq(cw_date_weekday(cw_date_from_civil(2026, 3, 2)), 0);
    ck_assert_int_eq(cw_date_weekday(cw_date_from_civil(2000, 1, 1)), 5);
    ck_assert_int_eq(cw_date_weekday(cw_date_from_civil(1900, 1, 1)), 0);
    ck_assert_int_eq(cw_date_weekday(cw_date_from_civil(1, 1, 1)), 0);
}
END_TEST

START_TEST(february_has_29_days_in_leap_years_only)
{
    ck_assert_int_eq(cw_date_days_in_month(2024, 2), 29);
    ck_assert_int_eq(cw_date_days_in_month(2026, 2), 28);
    ck_assert_int_eq(cw_date_days_in_month(1900, 2), 28);
    ck_assert_int_eq(cw_date_days_in_month(2000, 2), 29);
    ck_assert_int_eq(cw_date_days_in_month(2100, 2), 28);
    ck_assert_int_eq(cw_date_days_in_month(2400, 2), 29);
}
END_TEST

START_TEST(other_months_have_fixed_lengths)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        ck_assert_int_eq(cw_date_days_in_month(2026, m), len[m - 1]);
    ck_assert_int_eq(cw_date_days_in_month(2026, 0), 0);
    ck_assert_int_eq(cw_date_days_in_month(2026, 13), 0);
}
END_TEST

/* ---- risk-tier horizon ---- */

START_TEST(month_end_after_three_months_of_november_is_end_of_february)
{
    expect_month_end(2026, 11, 15, 3, 2027, 2, 28);
    expect_month_end(2026, 11, 30, 3, 2027, 2, 28);
    expect_month_end(2027, 11, 1, 3, 2028, 2, 29);
}
END_TEST

START_TEST(month_end_after_january_31_plus_one_is_end_of_february)
{
    expect_month_end(2026, 1, 31, 1, 2026, 2, 28);
    expect_month_end(2024, 1, 31, 1, 2024, 2, 29);
    expect_month_end(1900, 1, 31, 1, 1900, 2, 28);
}
END_TEST

START_TEST(month_end_after_zero_months_is_this_months_end)
{
    expect_month_end(2026, 11, 15, 0, 2026, 11, 30);
    expect_month_end(2026, 12, 1, 0, 2026, 12, 31);
    int32_t end = cw_date_from_civil(2026, 2, 28);
    ck_assert_int_eq(cw_date_month_end_after(end, 0), end);
}
END_TEST

START_TEST(month_end_after_crosses_years_and_1970)
{
    expect_month_end(2026, 12, 31, 1, 2027, 1, 31);
    expect_month_end(2026, 5, 5, 12, 2027, 5, 31);
    expect_month_end(2022, 2, 10, 24, 2024, 2, 29);
    ck_assert_int_eq(cw_date_month_end_after(-1, 2), cw_date_from_civil(1970, 2, 28));
    expect_month_end(1999, 3, 3, 1200, 2099, 3, 31);
}
END_TEST

/* ---- YYYY-MM-DD ---- */

START_TEST(real_dates_parse)
{
    expect_ymd("2026-11-15", 20772);
    expect_ymd("2024-02-29", 19782);
    expect_ymd("2000-02-29", 11016);
    expect_ymd("1900-01-01", -25567);
    expect_ymd("9999-12-31", 2932896);
    expect_ymd("1969-12-31", -1);
}
END_TEST

START_TEST(impossible_dates_are_refused)
{
    static const char *const bad[] = {
        "2026-02-30", "2026-02-29", "1900-02-29", "2100-02-29", "2026-13-01",
        "2026-00-10", "2026-01-00", "2026-04-31", "2026-01-32", "2026-99-99",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t day = 0;
        ck_assert_msg(parse_ymd(bad[i], &day) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(years_outside_1900_to_9999_are_refused)
{
    static const char *const bad[] = {"1899-12-31", "0000-01-01", "0999-06-15",
                                      "10000-01-01", "-2026-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t day = 0;
        ck_assert_msg(parse_ymd(bad[i], &day) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(malformed_dates_are_refused)
{
    static const char *const bad[] = {
        "",           "2026",        "2026-1-01",   "2026-01-1",
        "26-01-01",   "2026-01-011", "2026-01-01 ", " 2026-01-01",
        "2026/01/01", "2026-01_01",  "20260101",    "2026-0a-01",
        "+026-01-01", "2026-01- 1",  "2026-1-1",    "2026--1-01",
        "2026-01-+1", "2026-01-01Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t day = 0;
        ck_assert_msg(parse_ymd(bad[i], &day) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(ymd_parse_reads_only_len_bytes)
{
    int32_t day = 0;
    ck_assert_int_eq(cw_date_parse_ymd("2026-11-15T08:00:00Z", 10, &day), 0);
    ck_assert_int_eq(day, 20772);
    ck_assert_int_eq(cw_date_parse_ymd("2026-11-15", 9, &day), -1);
}
END_TEST

START_TEST(format_and_parse_round_trip_1900_to_9999)
{
    char out[11];
    cw_date_format_ymd(20772, out);
    ck_assert_str_eq(out, "2026-11-15");
    cw_date_format_ymd(-25567, out);
    ck_assert_str_eq(out, "1900-01-01");
    cw_date_format_ymd(2932896, out);
    ck_assert_str_eq(out, "9999-12-31");
    for (int32_t day = -25567; day <= 2932896; day += 17) {
        int32_t parsed = INT32_MIN;
        cw_date_format_ymd(day, out);
        ck_assert_uint_eq(strlen(out), 10);
        ck_assert_int_eq(cw_date_parse_ymd(out, 10, &parsed), 0);
        ck_assert_int_eq(parsed, day);
    }
}
END_TEST

/* ---- RFC 3339 ---- */

START_TEST(utc_z_timestamp_gives_exact_epoch_ms)
{
    expect_ts("2026-05-17T04:34:56Z", 1778992496000LL);
    expect_ts("2026-05-17T04:34:56z", 1778992496000LL);
    expect_ts("1970-01-01T00:00:00Z", 0);
    expect_ts("9999-12-31T23:59:59Z", 253402300799000LL);
}
END_TEST

START_TEST(positive_offset_is_subtracted)
{
    expect_ts("2026-05-17T12:34:56+08:00", 1778992496000LL);
    expect_ts("1970-01-01T08:00:00+08:00", 0);
    /* local New Year at +8 is still the old year in UTC */
    expect_ts("2026-01-01T00:30:00+08:00", 1767198600000LL);
}
END_TEST

START_TEST(negative_half_hour_offset_is_added)
{
    expect_ts("2026-05-17T12:34:56-05:30", 1779041096000LL);
    expect_ts("2026-05-17T12:34:56+05:30", 1779001496000LL);
    expect_ts("2026-05-17T12:34:56-00:00", 1779021296000LL);
}
END_TEST

START_TEST(lowercase_t_and_space_separate_date_and_time)
{
    expect_ts("2026-05-17t12:34:56+08:00", 1778992496000LL);
    expect_ts("2026-05-17 12:34:56+08:00", 1778992496000LL);
    expect_ts("2026-05-17 04:34:56Z", 1778992496000LL);
}
END_TEST

START_TEST(fractions_are_truncated_to_milliseconds)
{
    expect_ts("2026-05-17T12:34:56.789+08:00", 1778992496789LL);
    expect_ts("2026-05-17T04:34:56.5Z", 1778992496500LL);
    expect_ts("2026-05-17T04:34:56.12Z", 1778992496120LL);
    expect_ts("2026-05-17T04:34:56.123456789Z", 1778992496123LL);
    expect_ts("2026-05-17T04:34:56.9999Z", 1778992496999LL);
    expect_ts("2026-05-17T04:34:56.000Z", 1778992496000LL);
}
END_TEST

START_TEST(pre_1970_timestamps_are_negative)
{
    expect_ts("1969-12-31T23:59:59.500Z", -500);
    expect_ts("1900-01-01T00:00:00Z", -2208988800000LL);
    expect_ts("1970-01-01T07:59:59.999+08:00", -1);
}
END_TEST

START_TEST(leap_second_counts_as_second_59)
{
    expect_ts("2016-12-31T23:59:60Z", 1483228799000LL);
}
END_TEST

START_TEST(timestamp_without_offset_is_refused)
{
    static const char *const bad[] = {
        "2026-05-17T12:34:56", "2026-05-17T12:34:56.789", "2026-05-17T12:34:56.",
        "2026-05-17",          "2026-05-17T12:34",        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        ck_assert_msg(parse_ts(bad[i], &ms) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(bad_time_of_day_is_refused)
{
    static const char *const bad[] = {
        "2026-05-17T24:00:00Z", "2026-05-17T12:60:00Z", "2026-05-17T12:34:61Z",
        "2026-05-17T99:00:00Z", "2026-05-17T1:34:56Z",  "2026-05-17T12:3:56Z",
        "2026-05-17T12:34:5Z",  "2026-05-17Ta2:34:56Z", "2026-05-17T12:34:5aZ",
        "2026-05-17T-1:34:56Z", "2026-05-17T12-34-56Z", "2026-05-17T12:34-56Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        ck_assert_msg(parse_ts(bad[i], &ms) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(bad_offsets_separators_and_dates_are_refused)
{
    static const char *const bad[] = {
        "2026-05-17T12:34:56+0800",   "2026-05-17T12:34:56+08",
        "2026-05-17T12:34:56+8:00",   "2026-05-17T12:34:56+24:00",
        "2026-05-17T12:34:56+08:60",  "2026-05-17T12:34:5608:00",
        "2026-05-17T12:34:56 +08:00", "2026-05-17T12:34:56+08:00x",
        "2026-05-17T12:34:56Z ",      "2026-05-17T12:34:56ZZ",
        "2026-05-17T12:34:56.Z",      "2026-05-17T12:34:56,5Z",
        "2026-05-17T12:34:56.5.5Z",   "2026-05-17X12:34:56Z",
        "2026-05-17x12:34:56Z",       "2026-05-17_12:34:56Z",
        "2026-02-30T12:34:56Z",       "1899-12-31T23:59:59Z",
        "2026-5-17T12:34:56+08:00",   "2026-05-17T12:34:56+08:0a",
        "2026-05-17T12:34:56*08:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        ck_assert_msg(parse_ts(bad[i], &ms) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(timestamp_parse_reads_only_len_bytes)
{
    int64_t ms = 0;
    const char *text = "2026-05-17T04:34:56Zjunk";
    ck_assert_int_eq(cw_date_parse_rfc3339(text, 20, &ms), 0);
    ck_assert_int_eq(ms, 1778992496000LL);
    ck_assert_int_eq(cw_date_parse_rfc3339(text, 19, &ms), -1);
}
END_TEST

static Suite *date_suite(void)
{
    Suite *s = suite_create("date");
    TCase *tc = tcase_create("civil");
    tcase_add_test(tc, known_dates_have_known_day_numbers);
    tcase_add_test(tc, every_day_1600_to_2500_round_trips_in_order);
    tcase_add_test(tc, weekday_is_zero_on_monday);
    tcase_add_test(tc, february_has_29_days_in_leap_years_only);
    tcase_add_test(tc, other_months_have_fixed_lengths);
    suite_add_tcase(s, tc);

    tc = tcase_create("horizon");
    tcase_add_test(tc, month_end_after_three_months_of_november_is_end_of_february);
    tcase_add_test(tc, month_end_after_january_31_plus_one_is_end_of_february);
    tcase_add_test(tc, month_end_after_zero_months_is_this_months_end);
    tcase_add_test(tc, month_end_after_crosses_years_and_1970);
    suite_add_tcase(s, tc);

    tc = tcase_create("ymd");
    tcase_add_test(tc, real_dates_parse);
    tcase_add_test(tc, impossible_dates_are_refused);
    tcase_add_test(tc, years_outside_1900_to_9999_are_refused);
    tcase_add_test(tc, malformed_dates_are_refused);
    tcase_add_test(tc, ymd_parse_reads_only_len_bytes);
    tcase_add_test(tc, format_and_parse_round_trip_1900_to_9999);
    suite_add_tcase(s, tc);

    tc = tcase_create("rfc3339");
    tcase_add_test(tc, utc_z_timestamp_gives_exact_epoch_ms);
    tcase_add_test(tc, positive_offset_is_subtracted);
    tcase_add_test(tc, negative_half_hour_offset_is_added);
    tcase_add_test(tc, lowercase_t_and_space_separate_date_and_time);
    tcase_add_test(tc, fractions_are_truncated_to_milliseconds);
    tcase_add_test(tc, pre_1970_timestamps_are_negative);
    tcase_add_test(tc, leap_second_counts_as_second_59);
    tcase_add_test(tc, timestamp_without_offset_is_refused);
    tcase_add_test(tc, bad_time_of_day_is_refused);
    tcase_add_test(tc, bad_offsets_separators_and_dates_are_refused);
    tcase_add_test(tc, timestamp_parse_reads_only_len_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(date_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
