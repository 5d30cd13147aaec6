/* Check suite for console/siphash.c, caseid.c and token.c: the ids and
 * tokens the console's security rests on. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseid.h"
#include "siphash.h"
#include "token.h"

START_TEST(siphash_matches_the_paper_vector)
{
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    ck_assert_uint_eq(cw_siphash(key, msg, sizeof msg), 0xa129ca6149be45e5ULL);
}
END_TEST

static void test_key(uint8_t key[CW_CASEID_KEY_SIZE])
{
    ck_assert_int_eq(cw_caseid_key_parse("000102030405060708090a0b0c0d0e0f"
                                         "101112131415161718191a1b1c1d1e1f",
                                         64, key),
                     0);
}

START_TEST(case_ids_are_stable_url_safe_and_reveal_no_number)
{
    uint8_t key[CW_CASEID_KEY_SIZE];
    test_key(key);
    char a[CW_CASEID_SIZE], b[CW_CASEID_SIZE], c[CW_CASEID_SIZE], s[CW_CASEID_SIZE];
    cw_caseid_case(key, "13800138000", "2026-W47", a);
    cw_caseid_case(key, "13800138000", "2026-W47", b);
    cw_caseid_case(key, "13800138000", "2026-W48", c);
    cw_caseid_subscriber(key, "13800138000", s);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, s);
    ck_assert_uint_eq(strlen(a), CW_CASEID_LEN);
    ck_assert(cw_token_valid(a, CW_CASEID_LEN));
    ck_assert_ptr_null(strstr(a, "8000"));
    /* pinned (tests/console/cwconsole.py computes the same independently):
     * ids in URLs and Redis must not change between releases */
    ck_assert_str_eq(a, "Fo452KpZj_khivxt6_dbNw");
}
END_TEST

START_TEST(another_key_gives_other_ids)
{
    uint8_t key[CW_CASEID_KEY_SIZE];
    test_key(key);
    char a[CW_CASEID_SIZE], b[CW_CASEID_SIZE];
    cw_caseid_case(key, "13800138000", "2026-W47", a);
    key[31] ^= 1;
    cw_caseid_case(key, "13800138000", "2026-W47", b);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(a_malformed_key_is_refused)
{
    uint8_t key[CW_CASEID_KEY_SIZE];
    ck_assert_int_eq(cw_caseid_key_parse("00", 2, key), -1);
    ck_assert_int_eq(cw_caseid_key_parse("zz0102030405060708090a0b0c0d0e0f"
                                         "101112131415161718191a1b1c1d1e1f",
                                         64, key),
                     -1);
}
END_TEST

START_TEST(base64url_has_no_padding_and_no_plus_or_slash)
{
    char out[16];
    const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    ck_assert_str_eq(cw_token_b64url(bytes, 3, out), "-_-_");
    ck_assert_str_eq(cw_token_b64url((const uint8_t *)"f", 1, out), "Zg");
    ck_assert_str_eq(cw_token_b64url((const uint8_t *)"fo", 2, out), "Zm8");
    ck_assert_str_eq(cw_token_b64url((const uint8_t *)"foo", 3, out), "Zm9v");
}
END_TEST

START_TEST(tokens_compare_equal_only_when_identical)
{
    ck_assert(cw_token_equal("abc", "abc"));
    ck_assert(!cw_token_equal("abc", "abd"));
    ck_assert(!cw_token_equal("abc", "abcd"));
    ck_assert(!cw_token_equal("", "a"));
    ck_assert(!cw_token_equal(NULL, "a"));
    ck_assert(!cw_token_equal(NULL, NULL));
}
END_TEST

START_TEST(only_base64url_text_is_a_plausible_token)
{
    ck_assert(cw_token_valid("aZ09-_", 10));
    ck_assert(!cw_token_valid("", 10));
    ck_assert(!cw_token_valid("abc/def", 10));
    ck_assert(!cw_token_valid("../x", 10));
    ck_assert(!cw_token_valid("abcdefghijk", 10));
}
END_TEST

START_TEST(a_cookie_is_found_by_exact_name)
{
    char out[64];
    ck_assert_int_eq(cw_token_cookie("a=1; cwc_session=xyz; b=2", "cwc_session", out, sizeof out), 0);
    ck_assert_str_eq(out, "xyz");
    ck_assert_int_eq(cw_token_cookie("xcwc_session=1", "cwc_session", out, sizeof out), -1);
    ck_assert_int_eq(cw_token_cookie("cwc_session", "cwc_session", out, sizeof out), -1);
    ck_assert_int_eq(cw_token_cookie(NULL, "cwc_session", out, sizeof out), -1);
    ck_assert_int_eq(cw_token_cookie("cwc_session=0123456789", "cwc_session", out, 5), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_caseid");
    TCase *ids = tcase_create("ids");
    tcase_add_test(ids, siphash_matches_the_paper_vector);
    tcase_add_test(ids, case_ids_are_stable_url_safe_and_reveal_no_number);
    tcase_add_test(ids, another_key_gives_other_ids);
    tcase_add_test(ids, a_malformed_key_is_refused);
    suite_add_tcase(s, ids);
    TCase *tokens = tcase_create("tokens");
    tcase_add_test(tokens, base64url_has_no_padding_and_no_plus_or_slash);
    tcase_add_test(tokens, tokens_compare_equal_only_when_identical);
    tcase_add_test(tokens, only_base64url_text_is_a_plausible_token);
    tcase_add_test(tokens, a_cookie_is_found_by_exact_name);
    suite_add_tcase(s, tokens);
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
