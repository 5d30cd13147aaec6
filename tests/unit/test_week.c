/* Check suite for week.c (SPEC section 4): local days and ISO weeks at a fixed
 * UTC offset (+8 h, -5 h, 0), week bounds as local Monday 00:00 in epoch ms,
 * the last closed week under a late grace, and "YYYY-Www" labels across year
 * boundaries, including pre-1970 instants (floor, not truncation). */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "week.h"

#define H (3600 * 1000LL)
#define PLUS8 (8 * 3600)
#define MINUS5 (-5 * 3600)

static int32_t day_of(int y, int m, int d)
{
    return cw_date_from_civil(y, m, d);
}

static const char *label_of(int32_t week, char out[CW_WEEK_LABEL_SIZE])
{
    cw_week_label(week, out);
    return out;
}

static int parse(const char *text, int32_t *week)
{
    return cw_week_parse_label(text, strlen(text), week);
}

/* ---- local days ---- */

START_TEST(local_day_at_plus8_turns_at_16h_utc)
{
    /* 2026-03-01 16:00 UTC is 2026-03-02 00:00 at +08:00 */
    int64_t turn = (int64_t)day_of(2026, 3, 1) * CW_MS_PER_DAY + 16 * H;
    ck_assert_int_eq(cw_week_local_day(turn - 1, PLUS8), day_of(2026, 3, 1));
    ck_assert_int_eq(cw_week_local_day(turn, PLUS8), day_of(2026, 3, 2));
    ck_assert_int_eq(cw_week_local_day(turn, 0), day_of(2026, 3, 1));
}
END_TEST

START_TEST(local_day_at_minus5_turns_at_05h_utc)
{
    int64_t turn = (int64_t)day_of(2026, 3, 2) * CW_MS_PER_DAY + 5 * H;
    ck_assert_int_eq(cw_week_local_day(turn - 1, MINUS5), day_of(2026, 3, 1));
    ck_assert_int_eq(cw_week_local_day(turn, MINUS5), day_of(2026, 3, 2));
    ck_assert_int_eq(cw_week_local_day(0, MINUS5), -1);
}
END_TEST

START_TEST(pre_1970_instants_floor_to_the_earlier_day)
{
    ck_assert_int_eq(cw_week_local_day(0, 0), 0);
    ck_assert_int_eq(cw_week_local_day(-1, 0), -1);
    ck_assert_int_eq(cw_week_local_day(-CW_MS_PER_DAY, 0), -1);
    ck_assert_int_eq(cw_week_local_day(-CW_MS_PER_DAY - 1, 0), -2);
    /* 1970-01-01 00:00 at +8 is -8 h UTC */
    ck_assert_int_eq(cw_week_local_day(-8 * H, PLUS8), 0);
    ck_assert_int_eq(cw_week_local_day(-8 * H - 1, PLUS8), -1);
    ck_assert_int_eq(cw_week_local_day((int64_t)day_of(1900, 1, 1) * CW_MS_PER_DAY, 0),
                     -25567);
}
END_TEST

START_TEST(week_zero_runs_from_monday_1969_12_29)
{
    ck_assert_int_eq(cw_week_first_day(0), day_of(1969, 12, 29));
    ck_assert_int_eq(cw_week_last_day(0), day_of(1970, 1, 4));
    ck_assert_int_eq(cw_week_of_day(-3), 0);
    ck_assert_int_eq(cw_week_of_day(3), 0);
    ck_assert_int_eq(cw_week_of_day(4), 1);
    ck_assert_int_eq(cw_week_of_day(-4), -1);
    ck_assert_int_eq(cw_week_of_day(-10), -1);
    ck_assert_int_eq(cw_week_of_day(-11), -2);
    ck_assert_int_eq(cw_week_of_ms(-1, 0), 0);
}
END_TEST

START_TEST(every_week_runs_monday_to_sunday)
{
    for (int32_t week = -5300; week <= 7000; week++) {
        int32_t first = cw_week_first_day(week), last = cw_week_last_day(week);
        ck_assert_int_eq(cw_date_weekday(first), 0);
        ck_assert_int_eq(cw_date_weekday(last), 6);
        ck_assert_int_eq(last - first, 6);
        ck_assert_int_eq(cw_week_of_day(first), week);
        ck_assert_int_eq(cw_week_of_day(last), week);
        ck_assert_int_eq(cw_week_of_day(first - 1), week - 1);
        ck_assert_int_eq(cw_week_of_day(last + 1), week + 1);
    }
}
END_TEST

/* ---- week bounds ---- */

START_TEST(sunday_20h_utc_is_next_week_at_plus8)
{
    /* Sunday 2026-03-01 20:00 UTC = Monday 2026-03-02 04:00 at +08:00 */
    int64_t t = (int64_t)day_of(2026, 3, 1) * CW_MS_PER_DAY + 20 * H;
    ck_assert_int_eq(t, 1772395200000LL);
    char out[CW_WEEK_LABEL_SIZE];
    ck_assert_int_eq(cw_week_local_day(t, 0), day_of(2026, 3, 1));
    ck_assert_int_eq(cw_week_local_day(t, PLUS8), day_of(2026, 3, 2));
    ck_assert_str_eq(label_of(cw_week_of_ms(t, 0), out), "2026-W09");
    ck_assert_str_eq(label_of(cw_week_of_ms(t, PLUS8), out), "2026-W10");
    ck_assert_int_eq(cw_week_of_ms(t, PLUS8), cw_week_of_ms(t, 0) + 1);
    /* and at -5 it is Sunday 15:00, still W09 */
    ck_assert_str_eq(label_of(cw_week_of_ms(t, MINUS5), out), "2026-W09");
}
END_TEST

START_TEST(week_starts_at_local_monday_midnight)
{
    int32_t week = cw_week_of_day(day_of(2026, 11, 16));
    ck_assert_int_eq(week, 2968);
    /* 2026-11-16T00:00:00+08:00, -05:00 and Z */
    ck_assert_int_eq(cw_week_start_ms(week, PLUS8), 1794758400000LL);
    ck_assert_int_eq(cw_week_start_ms(week, MINUS5), 1794805200000LL);
    ck_assert_int_eq(cw_week_start_ms(week, 0), 1794787200000LL);
    ck_assert_int_eq(cw_week_end_ms(week, PLUS8), 1794758400000LL + CW_MS_PER_WEEK);
    ck_assert_int_eq(cw_week_end_ms(week, PLUS8), cw_week_start_ms(week + 1, PLUS8));
}
END_TEST

START_TEST(week_bounds_are_start_inclusive_end_exclusive)
{
    static const int32_t offsets[] = {PLUS8,     MINUS5,     0,
                                      14 * 3600, -12 * 3600, 5 * 3600 + 1800};
    static const int32_t weeks[] = {-2000, -1, 0, 1, 2968, 2974, 2975, 7000};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        for (size_t j = 0; j < sizeof weeks / sizeof weeks[0]; j++) {
            int32_t off = offsets[i], week = weeks[j];
            int64_t start = cw_week_start_ms(week, off), end = cw_week_end_ms(week, off);
            ck_assert_int_eq(end - start, CW_MS_PER_WEEK);
            ck_assert_int_eq(cw_week_of_ms(start, off), week);
            ck_assert_int_eq(cw_week_of_ms(end - 1, off), week);
            ck_assert_int_eq(cw_week_of_ms(start - 1, off), week - 1);
            ck_assert_int_eq(cw_week_of_ms(end, off), week + 1);
            ck_assert_int_eq(cw_week_local_day(start, off), cw_week_first_day(week));
            ck_assert_int_eq(cw_week_local_day(end - 1, off), cw_week_last_day(week));
        }
    }
}
END_TEST

START_TEST(pre_1970_week_bounds_floor)
{
    /* week -1 is 1969-W52: Monday 1969-12-22 */
    char out[CW_WEEK_LABEL_SIZE];
    ck_assert_int_eq(cw_week_first_day(-1), day_of(1969, 12, 22));
    ck_assert_str_eq(label_of(-1, out), "1969-W52");
    ck_assert_int_eq(cw_week_start_ms(0, 0), -259200000LL);
    ck_assert_int_eq(cw_week_of_ms(-259200000LL, 0), 0);
    ck_assert_int_eq(cw_week_of_ms(-259200000LL - 1, 0), -1);
    ck_assert_int_eq(cw_week_start_ms(-1, 0), -259200000LL - CW_MS_PER_WEEK);
    ck_assert_int_eq(cw_week_start_ms(0, PLUS8), -259200000LL - 8 * H);
}
END_TEST

/* ---- last closed week ---- */

START_TEST(week_closes_exactly_at_end_plus_grace)
{
    const int64_t grace = 6 * H;
    int32_t week = cw_week_of_day(day_of(2026, 11, 16));
    int64_t end = cw_week_end_ms(week, PLUS8);
    ck_assert_int_eq(cw_week_last_closed(end + grace, grace, PLUS8), week);
    ck_assert_int_eq(cw_week_last_closed(end + grace - 1, grace, PLUS8), week - 1);
    /* the week stays the last closed one until the next closes */
    ck_assert_int_eq(cw_week_last_closed(end + CW_MS_PER_WEEK + grace - 1, grace, PLUS8),
                     week);
    ck_assert_int_eq(cw_week_last_closed(end + CW_MS_PER_WEEK + grace, grace, PLUS8),
                     week + 1);
}
END_TEST

START_TEST(week_closes_at_its_end_with_no_grace)
{
    int32_t week = cw_week_of_day(day_of(2027, 1, 3));
    int64_t end = cw_week_end_ms(week, MINUS5);
    ck_assert_int_eq(cw_week_last_closed(end, 0, MINUS5), week);
    ck_assert_int_eq(cw_week_last_closed(end - 1, 0, MINUS5), week - 1);
}
END_TEST

START_TEST(last_closed_is_largest_week_with_end_plus_grace_not_after_now)
{
    static const int32_t offsets[] = {PLUS8, MINUS5, 0};
    static const int64_t graces[] = {0, 1, 6 * H, 3 * CW_MS_PER_DAY, 30 * CW_MS_PER_DAY};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        for (size_t g = 0; g < sizeof graces / sizeof graces[0]; g++) {
            for (int32_t week = -3; week <= 3000; week += 97) {
                int32_t off = offsets[i];
                int64_t grace = graces[g];
                int64_t closes = cw_week_end_ms(week, off) + grace;
                ck_assert_int_eq(cw_week_last_closed(closes, grace, off), week);
                ck_assert_int_eq(cw_week_last_closed(closes - 1, grace, off), week - 1);
            }
        }
    }
}
END_TEST

/* ---- labels ---- */

START_TEST(last_days_of_2026_and_first_of_2027_are_2026_w53)
{
    char out[CW_WEEK_LABEL_SIZE];
    ck_assert_str_eq(label_of(cw_week_of_day(day_of(2026, 12, 28)), out), "2026-W53");
    ck_assert_str_eq(label_of(cw_week_of_day(day_of(2026, 12, 31)), out), "2026-W53");
    ck_assert_str_eq(label_of(cw_week_of_day(day_of(2027, 1, 3)), out), "2026-W53");
    /* 2027-01-03 23:59:59.999 at +8 */
    int64_t t = (int64_t)day_of(2027, 1, 4) * CW_MS_PER_DAY - 8 * H - 1;
    ck_assert_str_eq(label_of(cw_week_of_ms(t, PLUS8), out), "2026-W53");
    ck_assert_str_eq(label_of(cw_week_of_ms(t + 1, PLUS8), out), "2027-W01");
}
END_TEST

START_TEST(monday_2027_01_04_starts_2027_w01)
{
    char out[CW_WEEK_LABEL_SIZE];
    int32_t week = cw_week_of_day(day_of(2027, 1, 4));
    ck_assert_int_eq(week, 2975);
    ck_assert_str_eq(label_of(week, out), "2027-W01");
    ck_assert_int_eq(cw_week_first_day(week), day_of(2027, 1, 4));
    int32_t parsed = 0;
    ck_assert_int_eq(parse("2027-W01", &parsed), 0);
    ck_assert_int_eq(parsed, week);
    ck_assert_int_eq(cw_week_first_day(parsed), day_of(2027, 1, 4));
}
END_TEST

START_TEST(monday_2025_12_29_is_2026_w01)
{
    char out[CW_WEEK_LABEL_SIZE];
    ck_assert_str_eq(label_of(cw_week_of_day(day_of(2025, 12, 29)), out), "2026-W01");
    ck_assert_str_eq(label_of(cw_week_of_day(day_of(2025, 12, 28)), out), "2025-W52");
    int32_t week = 0;
    ck_assert_int_eq(parse("2026-W01", &week), 0);
    ck_assert_int_eq(cw_week_first_day(week), day_of(2025, 12, 29));
}
END_TEST

START_TEST(w53_exists_only_in_long_years)
{
    int32_t week = 0;
    ck_assert_int_eq(parse("2020-W53", &week), 0);
    ck_assert_int_eq(cw_week_first_day(week), day_of(2020, 12, 28));
    ck_assert_int_eq(parse("2026-W53", &week), 0);
    ck_assert_int_eq(cw_week_first_day(week), day_of(2026, 12, 28));
    ck_assert_int_eq(parse("2025-W53", &week), -1);
    ck_assert_int_eq(parse("2027-W53", &week), -1);
    ck_assert_int_eq(parse("2100-W53", &week), -1);
}
END_TEST

START_TEST(malformed_labels_are_refused)
{
    static const char *const bad[] = {
        "",         "2026",     "2026-W0",  "2026-W001", "2026-W1 ",
        " 2026-W1", "2026-w01", "2026W01",  "2026-X01",  "2026_W01",
        "2026-W00", "2026-W54", "2026-W99", "20a6-W01",  "2026-W0a",
        "-026-W01", "2026-W-1", "+026-W01", "2026-W 1",  "2026-W01x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t week = 0;
        ck_assert_msg(parse(bad[i], &week) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(label_parse_reads_only_len_bytes)
{
    int32_t week = 0;
    ck_assert_int_eq(cw_week_parse_label("2026-W47 and more", 8, &week), 0);
    ck_assert_int_eq(week, cw_week_of_day(day_of(2026, 11, 16)));
    ck_assert_int_eq(cw_week_parse_label("2026-W47", 7, &week), -1);
}
END_TEST

START_TEST(every_week_1990_to_2100_round_trips_in_order)
{
    /* the long years (53 ISO weeks) of 1990..2100 */
    static const int long_years[] = {1992, 1998, 2004, 2009, 2015, 2020, 2026,
                                     2032, 2037, 2043, 2048, 2054, 2060, 2065,
                                     2071, 2076, 2082, 2088, 2093, 2099};
    const int32_t first = cw_week_of_day(day_of(1990, 1, 1));
    const int32_t last = cw_week_of_day(day_of(2100, 12, 31));
    ck_assert_int_eq(first, 1044);
    ck_assert_int_eq(last, 6835);
    int year = 1990, num = 1, w53 = 0;
    for (int32_t week = first; week <= last; week++) {
        char expect[CW_WEEK_LABEL_SIZE], out[CW_WEEK_LABEL_SIZE];
        int32_t parsed = INT32_MIN;
        /* expected label by counting: W53 only in the listed years */
        if (week > first) {
            bool is_long = false;
            for (size_t i = 0; i < sizeof long_years / sizeof long_years[0]; i++)
                is_long = is_long || long_years[i] == year;
            if (num == (is_long ? 53 : 52)) {
                year++;
                num = 1;
            } else {
                num++;
            }
        }
        w53 += num == 53;
        expect[0] = (char)('0' + year / 1000);
        expect[1] = (char)('0' + year / 100 % 10);
        expect[2] = (char)('0' + year / 10 % 10);
        expect[3] = (char)('0' + year % 10);
        expect[4] = '-';
        expect[5] = 'W';
        expect[6] = (char)('0' + num / 10);
        expect[7] = (char)('0' + num % 10);
        expect[8] = '\0';
        ck_assert_str_eq(label_of(week, out), expect);
        ck_assert_int_eq(cw_week_parse_label(out, strlen(out), &parsed), 0);
        ck_assert_int_eq(parsed, week);
    }
    ck_assert_int_eq(year, 2100);
    ck_assert_int_eq(num, 52);
    ck_assert_int_eq(w53, 20);
}
END_TEST

static Suite *week_suite(void)
{
    Suite *s = suite_create("week");
    TCase *tc = tcase_create("days");
    tcase_add_test(tc, local_day_at_plus8_turns_at_16h_utc);
    tcase_add_test(tc, local_day_at_minus5_turns_at_05h_utc);
    tcase_add_test(tc, pre_1970_instants_floor_to_the_earlier_day);
    tcase_add_test(tc, week_zero_runs_from_monday_1969_12_29);
    tcase_add_test(tc, every_week_runs_monday_to_sunday);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_add_test(tc, sunday_20h_utc_is_next_week_at_plus8);
    tcase_add_test(tc, week_starts_at_local_monday_midnight);
    tcase_add_test(tc, week_bounds_are_start_inclusive_end_exclusive);
    tcase_add_test(tc, pre_1970_week_bounds_floor);
    suite_add_tcase(s, tc);

    tc = tcase_create("closed");
    tcase_add_test(tc, week_closes_exactly_at_end_plus_grace);
    tcase_add_test(tc, week_closes_at_its_end_with_no_grace);
    tcase_add_test(tc, last_closed_is_largest_week_with_end_plus_grace_not_after_now);
    suite_add_tcase(s, tc);

    tc = tcase_create("labels");
    tcase_add_test(tc, last_days_of_2026_and_first_of_2027_are_2026_w53);
    tcase_add_test(tc, monday_2027_01_04_starts_2027_w01);
    tcase_add_test(tc, monday_2025_12_29_is_2026_w01);
    tcase_add_test(tc, w53_exists_only_in_long_years);
    tcase_add_test(tc, malformed_labels_are_refused);
    tcase_add_test(tc, label_parse_reads_only_len_bytes);
    tcase_add_test(tc, every_week_1990_to_2100_round_trips_in_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(week_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
