/* Check suite for number.c (SPEC section 3): a leading "+" or "00" is
 * dropped, then the country code when what remains is longer than 11 digits;
 * the result must be 3..15 digits, else the number is refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/* normalises a NUL-terminated text with country code "86"; returns the
 * normaliser's result and leaves the digits in out */
static int norm(const char *text, char out[CW_NUMBER_SIZE])
{
    memset(out, 'X', CW_NUMBER_SIZE);
    return cw_number_normalise(text, strlen(text), "86", out);
}

/* text normalises (country code 86) to exactly `want` */
static void expect_norm(const char *text, const char *want)
{
    char out[CW_NUMBER_SIZE];
    int digits = norm(text, out);
    ck_assert_msg(digits == (int)strlen(want), "%s: %d digits, expected %zu", text,
                  digits, strlen(want));
    ck_assert_msg(strcmp(out, want) == 0, "%s: '%s', expected '%s'", text, out, want);
}

/* ---- the three ways of writing one line ---- */

START_TEST(plus_double_zero_and_national_forms_are_equal)
{
    static const char *const forms[] = {"+8613800138000", "008613800138000",
                                        "8613800138000", "13800138000"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char out[CW_NUMBER_SIZE];
        ck_assert_msg(norm(forms[i], out) == 11, "'%s' refused", forms[i]);
        ck_assert_str_eq(out, "13800138000");
    }
}
END_TEST

START_TEST(country_code_kept_when_eleven_digits_or_fewer_remain)
{
    /* 11 digits that merely start with 86 are a national number */
    expect_norm("86123456789", "86123456789");
    expect_norm("+86123456789", "86123456789");
    expect_norm("0086123", "86123");
    expect_norm("861", "861");
}
END_TEST

START_TEST(country_code_dropped_when_twelve_digits_remain)
{
    expect_norm("+861234567890", "1234567890");
    expect_norm("861234567890", "1234567890");
}
END_TEST

START_TEST(other_country_codes_are_kept)
{
    expect_norm("+442071234567", "442071234567");
    expect_norm("0085291234567", "85291234567");
}
END_TEST

START_TEST(no_country_code_configured_strips_only_the_prefix)
{
    char out[CW_NUMBER_SIZE];
    ck_assert_int_eq(cw_number_normalise("+8613800138000", 14, NULL, out), 13);
    ck_assert_str_eq(out, "8613800138000");
    ck_assert_int_eq(cw_number_normalise("+8613800138000", 14, "", out), 13);
    ck_assert_str_eq(out, "8613800138000");
}
END_TEST

START_TEST(longer_country_code_is_dropped_whole)
{
    char out[CW_NUMBER_SIZE];
    ck_assert_int_eq(cw_number_normalise("+852912345678", 13, "852", out), 9);
    ck_assert_str_eq(out, "912345678");
    /* 11 digits: kept */
    ck_assert_int_eq(cw_number_normalise("+85291234567", 12, "852", out), 11);
    ck_assert_str_eq(out, "85291234567");
}
END_TEST

START_TEST(only_one_international_prefix_is_dropped)
{
    expect_norm("+0013800138000", "0013800138000");
    expect_norm("00008613800", "008613800");
}
END_TEST

/* ---- lengths ---- */

START_TEST(three_and_fifteen_digits_are_accepted)
{
    expect_norm("123", "123");
    expect_norm("+123", "123");
    expect_norm("00123", "123");
    expect_norm("123456789012345", "123456789012345");
    expect_norm("+123456789012345", "123456789012345");
}
END_TEST

START_TEST(fewer_than_three_digits_are_refused)
{
    static const char *const bad[] = {"12", "1", "+12", "0012", "00", "+", "000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[CW_NUMBER_SIZE];
        ck_assert_msg(norm(bad[i], out) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(more_than_fifteen_digits_are_refused)
{
    static const char *const bad[] = {"1234567890123456", "+1234567890123456",
                                      "001234567890123456", "861234567890123456",
                                      "12345678901234567890123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[CW_NUMBER_SIZE];
        ck_assert_msg(norm(bad[i], out) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(length_is_checked_after_the_country_code_goes)
{
    /* 17 digits with the country code, 15 without */
    expect_norm("+86123456789012345", "123456789012345");
    /* 15 digits starting with 86 lose it: 13 remain */
    expect_norm("861234567890123", "1234567890123");
}
END_TEST

/* ---- not numbers ---- */

START_TEST(empty_text_is_refused)
{
    char out[CW_NUMBER_SIZE];
    ck_assert_int_eq(cw_number_normalise("", 0, "86", out), -1);
    ck_assert_int_eq(cw_number_normalise("13800138000", 0, "86", out), -1);
}
END_TEST

START_TEST(non_digits_are_refused)
{
    static const char *const bad[] = {
        "138-0013-8000", " 13800138000",    "13800138000 ",
        "1380013800a",   "++8613800138000", "+86 13800138000",
        "+-13800138000", "86+13800138000",  "(010)12345678",
        "1.3800138000",  "0x1380013800",    "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[CW_NUMBER_SIZE];
        ck_assert_msg(norm(bad[i], out) == -1, "'%s' was accepted", bad[i]);
    }
}
END_TEST

START_TEST(embedded_nul_is_a_non_digit)
{
    char out[CW_NUMBER_SIZE];
    char text[] = "13800138000";
    text[3] = '\0';
    ck_assert_int_eq(cw_number_normalise(text, 11, "86", out), -1);
}
END_TEST

START_TEST(normalise_reads_only_len_bytes)
{
    char out[CW_NUMBER_SIZE];
    ck_assert_int_eq(cw_number_normalise("13800138000xyz", 11, "86", out), 11);
    ck_assert_str_eq(out, "13800138000");
    ck_assert_int_eq(cw_number_normalise("+8613800138000999", 14, "86", out), 11);
    ck_assert_str_eq(out, "13800138000");
}
END_TEST

START_TEST(packed_numbers_come_back_digit_for_digit)
{
    const char *numbers[] = {"100", "0123", "123", "13800138000", "999999999999999",
                             "000000000000000"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        uint64_t packed = cw_number_pack(numbers[i]);
        ck_assert_uint_ne(packed, 0);
        char back[CW_NUMBER_SIZE];
        cw_number_unpack(packed, back);
        ck_assert_str_eq(back, numbers[i]);
    }
    /* leading zeros count: "0123" is not "123" */
    ck_assert_uint_ne(cw_number_pack("0123"), cw_number_pack("123"));
}
END_TEST

START_TEST(pack_refuses_what_is_not_a_normalised_number)
{
    ck_assert_uint_eq(cw_number_pack("12"), 0);
    ck_assert_uint_eq(cw_number_pack("1234567890123456"), 0);
    ck_assert_uint_eq(cw_number_pack("+8613800138000"), 0);
    ck_assert_uint_eq(cw_number_pack(""), 0);
}
END_TEST

static Suite *number_suite(void)
{
    Suite *s = suite_create("number");
    TCase *tc = tcase_create("prefixes");
    tcase_add_test(tc, plus_double_zero_and_national_forms_are_equal);
    tcase_add_test(tc, country_code_kept_when_eleven_digits_or_fewer_remain);
    tcase_add_test(tc, country_code_dropped_when_twelve_digits_remain);
    tcase_add_test(tc, other_country_codes_are_kept);
    tcase_add_test(tc, no_country_code_configured_strips_only_the_prefix);
    tcase_add_test(tc, longer_country_code_is_dropped_whole);
    tcase_add_test(tc, only_one_international_prefix_is_dropped);
    suite_add_tcase(s, tc);

    tc = tcase_create("lengths");
    tcase_add_test(tc, three_and_fifteen_digits_are_accepted);
    tcase_add_test(tc, fewer_than_three_digits_are_refused);
    tcase_add_test(tc, more_than_fifteen_digits_are_refused);
    tcase_add_test(tc, length_is_checked_after_the_country_code_goes);
    suite_add_tcase(s, tc);

    tc = tcase_create("not_numbers");
    tcase_add_test(tc, empty_text_is_refused);
    tcase_add_test(tc, non_digits_are_refused);
    tcase_add_test(tc, embedded_nul_is_a_non_digit);
    tcase_add_test(tc, normalise_reads_only_len_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("packed");
    tcase_add_test(tc, packed_numbers_come_back_digit_for_digit);
    tcase_add_test(tc, pack_refuses_what_is_not_a_normalised_number);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(number_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
