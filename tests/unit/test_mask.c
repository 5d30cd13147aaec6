/* Check suite for mask.c, hash.c and errlist.c: the small helpers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "hash.h"
#include "mask.h"

START_TEST(mobile_number_keeps_head_and_tail)
{
    char out[CW_MASK_SIZE];
    ck_assert_str_eq(cw_mask_msisdn("13800138000", out), "138****8000");
}
END_TEST

START_TEST(short_number_keeps_last_two)
{
    char out[CW_MASK_SIZE];
    ck_assert_str_eq(cw_mask_msisdn("10086", out), "***86");
}
END_TEST

START_TEST(non_digits_are_masked_whole)
{
    char out[CW_MASK_SIZE];
    ck_assert_str_eq(cw_mask_msisdn("138-0013-8000", out), "***");
    ck_assert_str_eq(cw_mask_msisdn(NULL, out), "***");
    ck_assert_str_eq(cw_mask_msisdn("", out), "***");
}
END_TEST

START_TEST(hash_is_stable_across_runs)
{
    /* pinned: alert ids in the field must not change between releases */
    char hex[17];
    cw_hash_hex(cw_hash64("abc", 3, 0), hex);
    ck_assert_str_eq(hex, "0dd490490804b508");
    ck_assert_uint_eq(cw_hash64("abc", 3, 0), cw_hash64("abc", 3, 0));
    ck_assert_uint_ne(cw_hash64("abc", 3, 0), cw_hash64("abc", 3, 1));
    ck_assert_uint_ne(cw_hash64("abc", 3, 0), cw_hash64("abd", 3, 0));
}
END_TEST

START_TEST(errlist_collects_lines)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_str_eq(cw_errlist_text(&errs), "");
    cw_errlist_add(&errs, "%s:%d: %s", "a.conf", 3, "first");
    cw_errlist_add(&errs, "%s:%d: %s", "a.conf", 9, "second");
    ck_assert_int_eq(errs.count, 2);
    ck_assert_str_eq(cw_errlist_text(&errs), "a.conf:3: first\na.conf:9: second\n");
    cw_errlist_free(&errs);
    ck_assert_int_eq(errs.count, 0);
}
END_TEST

static Suite *mask_suite(void)
{
    Suite *s = suite_create("mask");
    TCase *tc = tcase_create("mask");
    tcase_add_test(tc, mobile_number_keeps_head_and_tail);
    tcase_add_test(tc, short_number_keeps_last_two);
    tcase_add_test(tc, non_digits_are_masked_whole);
    suite_add_tcase(s, tc);
    TCase *helpers = tcase_create("helpers");
    tcase_add_test(helpers, hash_is_stable_across_runs);
    tcase_add_test(helpers, errlist_collects_lines);
    suite_add_tcase(s, helpers);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mask_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
