/* Check suite for console/report.c: the weekly report's arithmetic and its
 * CSV, and the same report of a month's monthly cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "report.h"

static cw_report_t *report_of(const char *const *pairs)
{
    size_t n = 0;
    while (pairs[2 * n])
        n++;
    const char *fields[64], *values[64];
    size_t flen[64], vlen[64];
    for (size_t i = 0; i < n; i++) {
        fields[i] = pairs[2 * i];
        values[i] = pairs[2 * i + 1];
        flen[i] = strlen(fields[i]);
        vlen[i] = strlen(values[i]);
    }
    cw_report_t *r = malloc(sizeof *r);
    cw_report_from_fields(r, "2026-W47", 8, n, fields, flen, values, vlen);
    return r;
}

static const char *const week[] = {
    "n:3",
    "4",
    "o:3:retained",
    "2",
    "o:3:churned",
    "1",
    "h:3",
    "1",
    "n:2",
    "3",
    "o:2:declined",
    "1",
    "n:1",
    "3",
    "h:1",
    "0",
    "a:zoe:n",
    "2",
    "a:zoe:o:retained",
    "2",
    "a:adam:n",
    "3",
    "a:adam:o:churned",
    "1",
    "a:adam:o:declined",
    "1",
    "a:adam:h",
    "1",
    "r:retained:price",
    "2",
    "r:churned:social",
    "1",
    "junk",
    "7",
    "o:9:retained",
    "5",
    "a:nocolon",
    "1",
    NULL,
    NULL,
};

START_TEST(levels_and_totals_add_up)
{
    cw_report_t *r = report_of(week);
    ck_assert_int_eq(r->level[3].cases, 4);
    ck_assert_int_eq(r->level[3].retained, 2);
    ck_assert_int_eq(cw_report_open(&r->level[3]), 1);
    ck_assert_int_eq(r->all.cases, 10);
    ck_assert_int_eq(cw_report_closed(&r->all), 4);
    ck_assert_int_eq(r->all.hits, 1);
    ck_assert_int_eq(r->reasons[0][0], 2); /* retained, price */
    ck_assert_int_eq(r->reasons[1][2], 1); /* churned, social */
    free(r);
}
END_TEST

START_TEST(ratios_are_thousandths_rounded_half_up_or_none)
{
    ck_assert_int_eq(cw_report_permille(1, 3), 333);
    ck_assert_int_eq(cw_report_permille(2, 3), 667);
    ck_assert_int_eq(cw_report_permille(1, 8), 125);
    ck_assert_int_eq(cw_report_permille(0, 5), 0);
    ck_assert_int_eq(cw_report_permille(3, 0), -1);
}
END_TEST

START_TEST(the_json_has_the_spec_fields)
{
    cw_report_t *r = report_of(week);
    json_t *j = cw_report_json(r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "week")), "2026-W47");
    json_t *red = json_object_get(json_object_get(j, "by_level"), "red");
    ck_assert_int_eq(json_integer_value(json_object_get(red, "cases")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(red, "open")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(red, "churned")), 1);
    ck_assert(json_real_value(json_object_get(j, "retention_rate")) == 0.5);
    ck_assert(json_real_value(json_object_get(j, "precision")) == 0.1);
    json_t *blue = json_object_get(json_object_get(j, "by_level"), "blue");
    ck_assert(json_is_null(json_object_get(blue, "retention_rate")));
    json_t *adam = json_object_get(json_object_get(j, "by_agent"), "adam");
    ck_assert_int_eq(json_integer_value(json_object_get(adam, "claimed")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(adam, "closed")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(adam, "retained")), 0);
    ck_assert_int_eq(json_object_size(json_object_get(j, "by_agent")), 2);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(the_csv_has_a_row_per_level_and_agent_sorted)
{
    cw_report_t *r = report_of(week);
    char *csv = cw_report_csv(r);
    ck_assert_str_eq(
        csv, "week,group,name,cases,open,closed,retained,churned,unreachable,declined,"
             "churned_within_horizon,retention_rate,precision\r\n"
             "2026-W47,level,red,4,1,3,2,1,0,0,1,0.667,0.250\r\n"
             "2026-W47,level,yellow,3,2,1,0,0,0,1,0,0.000,0.000\r\n"
             "2026-W47,level,blue,3,3,0,0,0,0,0,0,,0.000\r\n"
             "2026-W47,level,all,10,6,4,2,1,0,1,1,0.500,0.100\r\n"
             "2026-W47,agent,adam,3,1,2,0,1,0,1,1,0.000,0.333\r\n"
             "2026-W47,agent,zoe,2,0,2,2,0,0,0,0,1.000,0.000\r\n");
    cw_free(csv);
    free(r);
}
END_TEST

START_TEST(a_month_s_report_names_its_month)
{
    const char *fields[] = {"n:3", "o:3:retained", "n:1", "h:1"};
    const char *values[] = {"2", "1", "1", "1"};
    size_t flen[] = {3, 12, 3, 3}, vlen[] = {1, 1, 1, 1};
    cw_report_t *r = malloc(sizeof *r);
    cw_report_from_fields(r, "2026-11", 8, 4, fields, flen, values, vlen);
    ck_assert(r->monthly);
    json_t *j = cw_report_json(r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "month")), "2026-11");
    ck_assert_ptr_null(json_object_get(j, "week"));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "all"), "cases")), 3);
    json_decref(j);
    char *csv = cw_report_csv(r);
    ck_assert_int_eq(strncmp(csv, "month,group,name,cases,", 23), 0);
    ck_assert_ptr_nonnull(
        strstr(csv, "\r\n2026-11,level,all,3,2,1,1,0,0,0,1,1.000,0.333\r\n"));
    cw_free(csv);
    free(r);
    /* a week's stays a week's */
    cw_report_t *w = report_of(week);
    ck_assert(!w->monthly);
    free(w);
}
END_TEST

START_TEST(an_empty_week_reports_zeros_and_no_ratios)
{
    static const char *const none[] = {NULL, NULL};
    cw_report_t *r = report_of(none);
    json_t *j = cw_report_json(r);
    ck_assert(json_is_null(json_object_get(j, "retention_rate")));
    ck_assert(json_is_null(json_object_get(j, "precision")));
    json_decref(j);
    free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_report");
    TCase *arith = tcase_create("arithmetic");
    tcase_add_test(arith, levels_and_totals_add_up);
    tcase_add_test(arith, ratios_are_thousandths_rounded_half_up_or_none);
    tcase_add_test(arith, an_empty_week_reports_zeros_and_no_ratios);
    suite_add_tcase(s, arith);
    TCase *formats = tcase_create("formats");
    tcase_add_test(formats, the_json_has_the_spec_fields);
    tcase_add_test(formats, the_csv_has_a_row_per_level_and_agent_sorted);
    tcase_add_test(formats, a_month_s_report_names_its_month);
    suite_add_tcase(s, formats);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
