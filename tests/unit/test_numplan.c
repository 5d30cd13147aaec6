/* Check suite for numplan.c: who owns a number (ported entries, longest
 * prefix), rival service numbers, and the number-plan file parsers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "numplan.h"

static char errbuf[256];

/* own: 134-139 and 1340 (CMCC); rivals: 130-132, 186 (CUCC), 133, 189 (CTCC),
 * and 1349 (satellite, a longer rival prefix inside an own one). */
static cw_numplan_t *sample_plan(void)
{
    static const char own[] =
        "134 CMCC\n135 CMCC\n136 CMCC\n137 CMCC\n138 CMCC\n139 CMCC\n"
        "1340 CMCC\n";
    static const char rival[] = "130 CUCC\n131 CUCC\n132 CUCC\n186 CUCC\n"
                                "133 CTCC\n189 CTCC\n1349 SAT\n";
    cw_numplan_t *plan = cw_numplan_new("86");
    ck_assert_ptr_nonnull(plan);
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(
        cw_numplan_parse_prefixes(plan, own, sizeof own - 1, "own.txt", true, &errs), 0);
    ck_assert_int_eq(cw_numplan_parse_prefixes(plan, rival, sizeof rival - 1, "rival.txt",
                                               false, &errs),
                     0);
    ck_assert_str_eq(cw_errlist_text(&errs), "");
    cw_errlist_free(&errs);
    return plan;
}

/* ---- owners ---- */

START_TEST(longest_prefix_wins)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_str_eq(cw_numplan_operator(plan, "13412345678"), "CMCC");
    ck_assert_str_eq(cw_numplan_operator(plan, "13401234567"), "CMCC");
    ck_assert_str_eq(cw_numplan_operator(plan, "13491234567"), "SAT");
    ck_assert_int_eq(cw_numplan_owner(plan, "13491234567"), CW_OWNER_RIVAL);
    ck_assert_int_eq(cw_numplan_owner(plan, "13481234567"), CW_OWNER_OWN);
    /* the prefix itself is a number the prefix matches */
    ck_assert_str_eq(cw_numplan_operator(plan, "1349"), "SAT");
    cw_numplan_free(plan);
}
END_TEST

START_TEST(unknown_numbers_have_no_operator)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_ptr_null(cw_numplan_operator(plan, "17712345678"));
    ck_assert_int_eq(cw_numplan_owner(plan, "17712345678"), CW_OWNER_UNKNOWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13"), CW_OWNER_UNKNOWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "1"), CW_OWNER_UNKNOWN);
    ck_assert_int_eq(cw_numplan_owner(plan, ""), CW_OWNER_UNKNOWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "10010"), CW_OWNER_UNKNOWN);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(own_and_rival_operators)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_int_eq(cw_numplan_owner(plan, "13800138000"), CW_OWNER_OWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13000130000"), CW_OWNER_RIVAL);
    ck_assert_int_eq(cw_numplan_owner(plan, "18600186000"), CW_OWNER_RIVAL);
    ck_assert_int_eq(cw_numplan_owner(plan, "18900189000"), CW_OWNER_RIVAL);
    ck_assert_str_eq(cw_numplan_operator(plan, "18900189000"), "CTCC");
    ck_assert_uint_eq(cw_numplan_prefix_count(plan), 14);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(operator_named_in_own_file_is_own_whatever_the_load_order)
{
    cw_numplan_t *plan = cw_numplan_new("86");
    /* the rival file names CMCC first (a mistake, or a shared range) */
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "147", "CMCC", false, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "14712345678"), CW_OWNER_RIVAL);
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "138", "CMCC", true, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "14712345678"), CW_OWNER_OWN);
    /* names are case-sensitive: "cmcc" is another operator */
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "150", "cmcc", false, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "15012345678"), CW_OWNER_RIVAL);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(prefix_listed_twice_keeps_the_last_operator)
{
    cw_numplan_t *plan = cw_numplan_new("86");
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "170", "CUCC", false, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "170", "CMCC", true, errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(cw_numplan_operator(plan, "17012345678"), "CMCC");
    ck_assert_int_eq(cw_numplan_owner(plan, "17012345678"), CW_OWNER_OWN);
    ck_assert_uint_eq(cw_numplan_prefix_count(plan), 1);
    cw_numplan_free(plan);
}
END_TEST

/* ---- ported numbers ---- */

START_TEST(ported_rival_looking_number_is_ours)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_int_eq(cw_numplan_owner(plan, "18612345678"), CW_OWNER_RIVAL);
    ck_assert_int_eq(
        cw_numplan_add_ported(plan, "+8618612345678", "CMCC", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "18612345678"), CW_OWNER_OWN);
    ck_assert_str_eq(cw_numplan_operator(plan, "18612345678"), "CMCC");
    /* only that number: its neighbour stays a rival's */
    ck_assert_int_eq(cw_numplan_owner(plan, "18612345679"), CW_OWNER_RIVAL);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(ported_own_looking_number_is_a_rivals)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_int_eq(
        cw_numplan_add_ported(plan, "008613800138000", "CTCC", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "13800138000"), CW_OWNER_RIVAL);
    ck_assert_str_eq(cw_numplan_operator(plan, "13800138000"), "CTCC");
    /* an operator only ever named as a porting target is known, not ours */
    ck_assert_int_eq(
        cw_numplan_add_ported(plan, "13800138001", "MVNO1", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "13800138001"), CW_OWNER_RIVAL);
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 2);
    /* ported twice: the last entry wins, the count does not grow */
    ck_assert_int_eq(
        cw_numplan_add_ported(plan, "13800138001", "CMCC", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "13800138001"), CW_OWNER_OWN);
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 2);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(ported_number_without_any_prefix_is_known)
{
    cw_numplan_t *plan = cw_numplan_new("86");
    ck_assert_int_eq(
        cw_numplan_add_ported(plan, "19912345678", "CMCC", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "19912345678"), CW_OWNER_RIVAL);
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "1", "CMCC", true, errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_owner(plan, "19912345678"), CW_OWNER_OWN);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(leading_zero_numbers_are_distinct)
{
    cw_numplan_t *plan = cw_numplan_new("86");
    ck_assert_int_eq(cw_numplan_add_ported(plan, "0123", "X", errbuf, sizeof errbuf), 0);
    ck_assert_str_eq(cw_numplan_operator(plan, "0123"), "X");
    ck_assert_ptr_null(cw_numplan_operator(plan, "123"));
    ck_assert_ptr_null(cw_numplan_operator(plan, "00123"));
    cw_numplan_free(plan);
}
END_TEST

START_TEST(large_ported_table_stays_correct)
{
    cw_numplan_t *plan = sample_plan();
    char number[16];
    for (int i = 0; i < 100000; i++) {
        /* every even one ported away to CUCC, every odd one ported in */
        snprintf(number, sizeof number, "%s%08d", i % 2 ? "186" : "138", i);
        ck_assert_int_eq(cw_numplan_add_ported(plan, number, i % 2 ? "CMCC" : "CUCC",
                                               errbuf, sizeof errbuf),
                         0);
    }
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 100000);
    for (int i = 0; i < 100000; i++) {
        snprintf(number, sizeof number, "%s%08d", i % 2 ? "186" : "138", i);
        ck_assert_int_eq(cw_numplan_owner(plan, number),
                         i % 2 ? CW_OWNER_OWN : CW_OWNER_RIVAL);
        /* the same digits under the other prefix were never ported */
        snprintf(number, sizeof number, "%s%08d", i % 2 ? "138" : "186", i);
        ck_assert_int_eq(cw_numplan_owner(plan, number),
                         i % 2 ? CW_OWNER_OWN : CW_OWNER_RIVAL);
    }
    snprintf(number, sizeof number, "138%08d", 100000);
    ck_assert_int_eq(cw_numplan_owner(plan, number), CW_OWNER_OWN);
    cw_numplan_free(plan);
}
END_TEST

/* ---- rival service numbers ---- */

START_TEST(service_numbers_match_exactly)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_int_eq(cw_numplan_add_service(plan, "10010", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_add_service(plan, "10000", errbuf, sizeof errbuf), 0);
    ck_assert(cw_numplan_is_rival_service(plan, "10010"));
    ck_assert(cw_numplan_is_rival_service(plan, "10000"));
    ck_assert(!cw_numplan_is_rival_service(plan, "100101"));
    ck_assert(!cw_numplan_is_rival_service(plan, "1001"));
    ck_assert(!cw_numplan_is_rival_service(plan, "10086"));
    ck_assert(!cw_numplan_is_rival_service(plan, "010010"));
    ck_assert_uint_eq(cw_numplan_service_count(plan), 2);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(staff_numbers_are_normalised_when_added)
{
    cw_numplan_t *plan = sample_plan();
    static const char staff[] = "# rival retention staff\n+8618600000001\n"
                                "008618600000002  # desk 2\n\n18600000003\n";
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(
        cw_numplan_parse_services(plan, staff, sizeof staff - 1, "staff.txt", &errs), 0);
    ck_assert(cw_numplan_is_rival_service(plan, "18600000001"));
    ck_assert(cw_numplan_is_rival_service(plan, "18600000002"));
    ck_assert(cw_numplan_is_rival_service(plan, "18600000003"));
    ck_assert(!cw_numplan_is_rival_service(plan, "18600000004"));
    ck_assert_uint_eq(cw_numplan_service_count(plan), 3);
    /* a service number keeps its prefix's operator */
    ck_assert_int_eq(cw_numplan_owner(plan, "18600000001"), CW_OWNER_RIVAL);
    cw_errlist_free(&errs);
    cw_numplan_free(plan);
}
END_TEST

/* ---- own service numbers (SPEC section 14) ---- */

START_TEST(own_service_numbers_match_exactly_and_apart_from_rival_ones)
{
    cw_numplan_t *plan = sample_plan();
    ck_assert_uint_eq(cw_numplan_own_service_count(plan), 0);
    ck_assert(!cw_numplan_is_own_service(plan, "10086"));
    ck_assert_int_eq(cw_numplan_add_own_service(plan, "10086", errbuf, sizeof errbuf), 0);
    ck_assert_int_eq(cw_numplan_add_own_service(plan, "+8613800138000", errbuf,
                                                sizeof errbuf),
                     0);
    ck_assert_int_eq(cw_numplan_add_service(plan, "10010", errbuf, sizeof errbuf), 0);
    ck_assert(cw_numplan_is_own_service(plan, "10086"));
    ck_assert(cw_numplan_is_own_service(plan, "13800138000")); /* normalised when added */
    ck_assert(!cw_numplan_is_own_service(plan, "100861"));
    ck_assert(!cw_numplan_is_own_service(plan, "1008"));
    ck_assert(!cw_numplan_is_own_service(plan, "010086"));
    ck_assert(!cw_numplan_is_own_service(plan, "10010"));
    ck_assert(!cw_numplan_is_rival_service(plan, "10086"));
    ck_assert_uint_eq(cw_numplan_own_service_count(plan), 2);
    ck_assert_uint_eq(cw_numplan_service_count(plan), 1);
    /* adding one twice keeps one */
    ck_assert_int_eq(cw_numplan_add_own_service(plan, "10086", errbuf, sizeof errbuf), 0);
    ck_assert_uint_eq(cw_numplan_own_service_count(plan), 2);
    ck_assert_int_eq(cw_numplan_add_own_service(plan, "12", errbuf, sizeof errbuf), -1);
    ck_assert_str_eq(errbuf, "bad number: expected 3..15 digits after normalisation");
    cw_numplan_free(plan);
}
END_TEST

/* ---- files ---- */

START_TEST(prefix_file_reports_every_bad_line)
{
    static const char text[] = "# own prefixes\n"
                               "138 CMCC\n"
                               "13a CMCC\n"
                               "139\n"
                               "\t \r\n"
                               "137 CMCC extra\n"
                               "1234567890123456 CMCC\n"
                               "+86 CMCC\n"
                               "135\tCMCC   # trailing comment\r\n"
                               "136 CMCC";
    cw_numplan_t *plan = cw_numplan_new("86");
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(
        cw_numplan_parse_prefixes(plan, text, sizeof text - 1, "own.txt", true, &errs),
        5);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "own.txt:3: bad prefix: expected 1..15 digits\n"
                     "own.txt:4: missing operator after the prefix\n"
                     "own.txt:6: extra column: expected only two columns\n"
                     "own.txt:7: bad prefix: expected 1..15 digits\n"
                     "own.txt:8: bad prefix: expected 1..15 digits\n");
    ck_assert_uint_eq(cw_numplan_prefix_count(plan), 3);
    ck_assert_int_eq(cw_numplan_owner(plan, "13512345678"), CW_OWNER_OWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13612345678"), CW_OWNER_OWN);
    /* bad lines add nothing */
    ck_assert_int_eq(cw_numplan_owner(plan, "13712345678"), CW_OWNER_UNKNOWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13912345678"), CW_OWNER_UNKNOWN);
    cw_errlist_free(&errs);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(ported_file_reports_bad_numbers_without_quoting_them)
{
    static const char text[] = "13800138000 CTCC\n"
                               "1380013800x CTCC\n"
                               "13800138001\n"
                               "12 CTCC\n"
                               "13800138002 CTCC more\n"
                               "13800138003 CT\x01"
                               "CC\n";
    cw_numplan_t *plan = cw_numplan_new("86");
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(cw_numplan_parse_ported(plan, text, sizeof text - 1, "p.txt", &errs),
                     5);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "p.txt:2: bad number: expected 3..15 digits after normalisation\n"
                     "p.txt:3: missing operator after the number\n"
                     "p.txt:4: bad number: expected 3..15 digits after normalisation\n"
                     "p.txt:5: extra column: expected only two columns\n"
                     "p.txt:6: bad operator: expected a word of 1..64 characters without "
                     "spaces or '#'\n");
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 1);
    cw_errlist_free(&errs);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(service_file_rejects_extra_columns)
{
    static const char text[] = "10010\n10000 CUCC\nabc\n";
    cw_numplan_t *plan = cw_numplan_new("86");
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(
        cw_numplan_parse_services(plan, text, sizeof text - 1, "s.txt", &errs), 2);
    ck_assert_str_eq(cw_errlist_text(&errs),
                     "s.txt:2: extra column: expected only a number\n"
                     "s.txt:3: bad number: expected 3..15 digits after normalisation\n");
    ck_assert_uint_eq(cw_numplan_service_count(plan), 1);
    cw_errlist_free(&errs);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(adders_explain_their_refusals)
{
    cw_numplan_t *plan = cw_numplan_new("86");
    ck_assert_int_eq(cw_numplan_add_prefix(plan, "", "X", false, errbuf, sizeof errbuf),
                     -1);
    ck_assert_str_eq(errbuf, "bad prefix: expected 1..15 digits");
    ck_assert_int_eq(cw_numplan_add_prefix(plan, "138", "", false, errbuf, sizeof errbuf),
                     -1);
    ck_assert_str_eq(
        errbuf,
        "bad operator: expected a word of 1..64 characters without spaces or '#'");
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "138", "China Mobile", false, errbuf, sizeof errbuf),
        -1);
    ck_assert_int_eq(cw_numplan_add_ported(plan, "+86", "X", errbuf, sizeof errbuf), -1);
    ck_assert_str_eq(errbuf, "bad number: expected 3..15 digits after normalisation");
    ck_assert_int_eq(cw_numplan_add_service(plan, "1001O", errbuf, sizeof errbuf), -1);
    /* a 15-digit prefix is the longest allowed; UTF-8 operator names are words */
    ck_assert_int_eq(
        cw_numplan_add_prefix(plan, "123456789012345",
                              "\xe4\xb8\xad\xe5\x9b\xbd\xe7\xa7\xbb\xe5\x8a\xa8", true,
                              errbuf, sizeof errbuf),
        0);
    ck_assert_int_eq(cw_numplan_owner(plan, "123456789012345"), CW_OWNER_OWN);
    ck_assert_uint_eq(cw_numplan_prefix_count(plan), 1);
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 0);
    ck_assert_uint_eq(cw_numplan_service_count(plan), 0);
    cw_numplan_free(plan);
}
END_TEST

START_TEST(loaders_read_files_and_report_unreadable_ones)
{
    char dir[] = "/tmp/cw-numplan-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/rival.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("186 CUCC\n189 CTCC\nbad\n", f);
    fclose(f);

    cw_numplan_t *plan = cw_numplan_new("86");
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(cw_numplan_load_prefixes(plan, path, false, &errs), 1);
    char want[512];
    snprintf(want, sizeof want, "%s:3: bad prefix: expected 1..15 digits\n", path);
    ck_assert_str_eq(cw_errlist_text(&errs), want);
    ck_assert_int_eq(cw_numplan_owner(plan, "18912345678"), CW_OWNER_RIVAL);
    cw_errlist_free(&errs);

    char missing[256];
    snprintf(missing, sizeof missing, "%s/nope.txt", dir);
    ck_assert_int_eq(cw_numplan_load_ported(plan, missing, &errs), 1);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory\n", missing);
    ck_assert_str_eq(cw_errlist_text(&errs), want);
    cw_errlist_free(&errs);

    ck_assert_int_eq(cw_numplan_load_services(plan, dir, &errs), 1);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory\n", dir);
    ck_assert_str_eq(cw_errlist_text(&errs), want);
    cw_errlist_free(&errs);

    cw_numplan_free(plan);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(allocation_failures_are_reported_not_fatal)
{
    static const char own[] = "138 CMCC\n139 CMCC\n";
    static const char rival[] = "186 CUCC\n189 CTCC\n";
    static const char ported[] = "18600000001 CMCC\n13800000001 CUCC\n";
    int clean = -1;
    for (long n = 0; n < 200 && clean < 0; n++) {
        cw_alloc_fail_after(n);
        cw_numplan_t *plan = cw_numplan_new("86");
        if (plan == NULL) {
            cw_alloc_fail_after(-1);
            continue;
        }
        cw_errlist_t errs = CW_ERRLIST_INIT;
        int errors =
            cw_numplan_parse_prefixes(plan, own, sizeof own - 1, "o", true, &errs);
        errors +=
            cw_numplan_parse_prefixes(plan, rival, sizeof rival - 1, "r", false, &errs);
        errors += cw_numplan_parse_ported(plan, ported, sizeof ported - 1, "q", &errs);
        int service_failed =
            cw_numplan_add_service(plan, "10010", errbuf, sizeof errbuf) != 0;
        cw_alloc_fail_after(-1);
        if (service_failed)
            ck_assert_str_eq(errbuf, "out of memory");
        if (errors == 0 && !service_failed) {
            clean = (int)n;
            ck_assert_int_eq(cw_numplan_owner(plan, "18600000001"), CW_OWNER_OWN);
            ck_assert_int_eq(cw_numplan_owner(plan, "13800000001"), CW_OWNER_RIVAL);
            ck_assert_int_eq(cw_numplan_owner(plan, "18900000001"), CW_OWNER_RIVAL);
            ck_assert(cw_numplan_is_rival_service(plan, "10010"));
        } else {
            /* every failure says so; lookups on what was built still work */
            ck_assert_int_eq(errs.count, errors);
            cw_numplan_owner(plan, "18600000001");
        }
        cw_errlist_free(&errs);
        cw_numplan_free(plan);
    }
    ck_assert_int_gt(clean, 0);
}
END_TEST

static Suite *numplan_suite(void)
{
    Suite *s = suite_create("numplan");
    TCase *tc = tcase_create("owners");
    tcase_add_test(tc, longest_prefix_wins);
    tcase_add_test(tc, unknown_numbers_have_no_operator);
    tcase_add_test(tc, own_and_rival_operators);
    tcase_add_test(tc, operator_named_in_own_file_is_own_whatever_the_load_order);
    tcase_add_test(tc, prefix_listed_twice_keeps_the_last_operator);
    suite_add_tcase(s, tc);

    tc = tcase_create("ported");
    tcase_add_test(tc, ported_rival_looking_number_is_ours);
    tcase_add_test(tc, ported_own_looking_number_is_a_rivals);
    tcase_add_test(tc, ported_number_without_any_prefix_is_known);
    tcase_add_test(tc, leading_zero_numbers_are_distinct);
    tcase_add_test(tc, large_ported_table_stays_correct);
    suite_add_tcase(s, tc);

    tc = tcase_create("services");
    tcase_add_test(tc, service_numbers_match_exactly);
    tcase_add_test(tc, staff_numbers_are_normalised_when_added);
    tcase_add_test(tc, own_service_numbers_match_exactly_and_apart_from_rival_ones);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, prefix_file_reports_every_bad_line);
    tcase_add_test(tc, ported_file_reports_bad_numbers_without_quoting_them);
    tcase_add_test(tc, service_file_rejects_extra_columns);
    tcase_add_test(tc, adders_explain_their_refusals);
    tcase_add_test(tc, loaders_read_files_and_report_unreadable_ones);
    tcase_add_test(tc, allocation_failures_are_reported_not_fatal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(numplan_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
