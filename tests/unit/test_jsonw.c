/* Check suite for jsonw.c: the append-only JSON writer behind alerts. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jsonw.h"

START_TEST(commas_go_between_members_and_elements)
{
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_object(&w);
    cw_jsonw_key(&w, "a");
    cw_jsonw_int(&w, -7);
    cw_jsonw_key(&w, "b");
    cw_jsonw_array(&w);
    cw_jsonw_null(&w);
    cw_jsonw_bool(&w, true);
    cw_jsonw_bool(&w, false);
    cw_jsonw_string(&w, "x");
    cw_jsonw_object(&w);
    cw_jsonw_end(&w);
    cw_jsonw_end(&w);
    cw_jsonw_key(&w, "c");
    cw_jsonw_array(&w);
    cw_jsonw_end(&w);
    cw_jsonw_end(&w);
    size_t len;
    char *text = cw_jsonw_take(&w, &len);
    ck_assert_str_eq(text, "{\"a\":-7,\"b\":[null,true,false,\"x\",{}],\"c\":[]}");
    ck_assert_uint_eq(len, strlen(text));
    cw_free(text);
}
END_TEST

START_TEST(strings_are_escaped_into_valid_json)
{
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_array(&w);
    cw_jsonw_string(&w, "q\"b\\c\n\x01" "end");
    cw_jsonw_end(&w);
    char *text = cw_jsonw_take(&w, NULL);
    ck_assert_str_eq(text, "[\"q\\\"b\\\\c\\u000a\\u0001end\"]");
    json_error_t err;
    json_t *parsed = json_loads(text, 0, &err);
    ck_assert_ptr_nonnull(parsed);
    ck_assert_str_eq(json_string_value(json_array_get(parsed, 0)), "q\"b\\c\n\x01" "end");
    json_decref(parsed);
    cw_free(text);
}
END_TEST

START_TEST(unbalanced_or_too_deep_output_is_refused)
{
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_object(&w);
    ck_assert_ptr_null(cw_jsonw_take(&w, NULL)); /* never closed */

    cw_jsonw_init(&w);
    for (int i = 0; i <= CW_JSONW_DEPTH; i++)
        cw_jsonw_array(&w);
    for (int i = 0; i <= CW_JSONW_DEPTH; i++)
        cw_jsonw_end(&w);
    ck_assert_ptr_null(cw_jsonw_take(&w, NULL));

    cw_jsonw_init(&w);
    cw_jsonw_end(&w);
    ck_assert_ptr_null(cw_jsonw_take(&w, NULL));
}
END_TEST

START_TEST(allocation_failure_gives_null_not_a_partial_text)
{
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_alloc_fail_after(0);
    cw_jsonw_array(&w);
    cw_jsonw_string(&w, "lost");
    cw_jsonw_end(&w);
    cw_alloc_fail_after(-1);
    ck_assert_ptr_null(cw_jsonw_take(&w, NULL));
}
END_TEST

static Suite *jsonw_suite(void)
{
    Suite *s = suite_create("jsonw");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, commas_go_between_members_and_elements);
    tcase_add_test(tc, strings_are_escaped_into_valid_json);
    tcase_add_test(tc, unbalanced_or_too_deep_output_is_refused);
    tcase_add_test(tc, allocation_failure_gives_null_not_a_partial_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jsonw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
