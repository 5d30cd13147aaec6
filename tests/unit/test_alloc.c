/* Check suite for alloc.c: cw_grow, the doubling realloc behind growable arrays. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"

/* an injected failure must not leak into the next test */
static void injection_off(void)
{
    cw_alloc_fail_after(-1);
}

/* From empty: the capacity is `first`, doubled until it holds the need; an
 * empty array needing nothing is still allocated, so that NULL always means
 * out of memory. */
START_TEST(an_empty_array_grows_to_first_or_doubles_from_it)
{
    static const struct {
        size_t need, size, first, cap;
    } cases[] = {
        {3, sizeof(int), 8, 8},   /* fits in first */
        {20, sizeof(int), 8, 32}, /* doubled from first */
        {0, sizeof(int), 4, 4},   /* needing nothing */
        {5, 1, 4, 8},             /* a char buffer grows by bytes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t cap = 0;
        unsigned char *items = cw_grow(NULL, &cap, cases[i].need, cases[i].size, cases[i].first);
        ck_assert_ptr_nonnull(items);
        ck_assert_uint_eq(cap, cases[i].cap);
        items[cap * cases[i].size - 1] = 7; /* all of it is there (ASan and valgrind) */
        cw_free(items);
    }
}
END_TEST

START_TEST(a_full_array_doubles_and_keeps_its_contents)
{
    size_t cap = 0;
    int *items = cw_grow(NULL, &cap, 8, sizeof *items, 8);
    ck_assert_ptr_nonnull(items);
    for (int i = 0; i < 8; i++)
        items[i] = i * 11;
    items = cw_grow(items, &cap, 9, sizeof *items, 8);
    ck_assert_ptr_nonnull(items);
    ck_assert_uint_eq(cap, 16);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(items[i], i * 11);
    items = cw_grow(items, &cap, 100, sizeof *items, 8);
    ck_assert_ptr_nonnull(items);
    ck_assert_uint_eq(cap, 128); /* doubled until it holds the need */
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(items[i], i * 11);
    cw_free(items);
}
END_TEST

START_TEST(an_array_big_enough_is_returned_as_it_is)
{
    size_t cap = 0;
    int *items = cw_grow(NULL, &cap, 1, sizeof *items, 16);
    ck_assert_ptr_nonnull(items);
    items[0] = 42;
    cw_alloc_fail_after(0); /* any allocation now would fail: there must be none */
    ck_assert_ptr_eq(cw_grow(items, &cap, 16, sizeof *items, 16), items);
    ck_assert_ptr_eq(cw_grow(items, &cap, 0, sizeof *items, 16), items);
    cw_alloc_fail_after(-1);
    ck_assert_uint_eq(cap, 16);
    ck_assert_int_eq(items[0], 42);
    cw_free(items);
}
END_TEST

START_TEST(out_of_memory_gives_null_and_leaves_the_array_to_the_caller)
{
    size_t cap = 0;
    int *items = cw_grow(NULL, &cap, 4, sizeof *items, 4);
    ck_assert_ptr_nonnull(items);
    for (int i = 0; i < 4; i++)
        items[i] = i + 1;
    cw_alloc_fail_after(0);
    ck_assert_ptr_null(cw_grow(items, &cap, 5, sizeof *items, 4));
    cw_alloc_fail_after(-1);
    ck_assert_uint_eq(cap, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(items[i], i + 1);
    cw_free(items); /* still ours: ASan and valgrind see a double free otherwise */

    cap = 0;
    cw_alloc_fail_after(0);
    ck_assert_ptr_null(cw_grow(NULL, &cap, 1, sizeof *items, 4));
    cw_alloc_fail_after(-1);
    ck_assert_uint_eq(cap, 0);
}
END_TEST

START_TEST(a_byte_count_past_size_max_is_refused)
{
    /* 2^60 elements of 16 bytes wrap to 0 bytes, which realloc would happily give */
    size_t cap = 0;
    size_t wrapping_first = SIZE_MAX / 16 + 1;
    ck_assert_ptr_null(cw_grow(NULL, &cap, 1, 16, wrapping_first));
    ck_assert_uint_eq(cap, 0);

    /* a need above the largest power of two: doubling would wrap to 0 and spin */
    int *items = cw_grow(NULL, &cap, 4, sizeof *items, 4);
    ck_assert_ptr_nonnull(items);
    ck_assert_ptr_null(cw_grow(items, &cap, SIZE_MAX, sizeof *items, 4));
    ck_assert_uint_eq(cap, 4);
    ck_assert_ptr_null(cw_grow(NULL, &(size_t){0}, SIZE_MAX, 1, (size_t)1 << 20));
    cw_free(items);
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *grow = tcase_create("grow");
    tcase_add_checked_fixture(grow, NULL, injection_off);
    tcase_add_test(grow, an_empty_array_grows_to_first_or_doubles_from_it);
    tcase_add_test(grow, a_full_array_doubles_and_keeps_its_contents);
    tcase_add_test(grow, an_array_big_enough_is_returned_as_it_is);
    suite_add_tcase(s, grow);
    TCase *failure = tcase_create("failure");
    tcase_add_checked_fixture(failure, NULL, injection_off);
    tcase_add_test(failure, out_of_memory_gives_null_and_leaves_the_array_to_the_caller);
    tcase_add_test(failure, a_byte_count_past_size_max_is_refused);
    suite_add_tcase(s, failure);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alloc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
