/* Check suite for setup.c: the config and every number-plan file it names
 * load as one unit, with every error of every file reported together; the
 * shipped config/cdrwarn.conf loads cleanly from the repository. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "numplan.h"
#include "setup.h"

#define SHIPPED CW_SOURCE_DIR "/config/cdrwarn.conf"
#define SETUP_DIR CW_TEST_DATA_DIR "/config/setup"

static cw_errlist_t errs;

static void setup(void)
{
    cw_errlist_t empty = CW_ERRLIST_INIT;
    errs = empty;
}

static void teardown(void)
{
    cw_errlist_free(&errs);
    cw_alloc_fail_after(-1);
}

START_TEST(shipped_config_loads_without_errors)
{
    cw_setup_t *s = NULL;
    int rc = cw_setup_load(SHIPPED, &s, &errs);
    ck_assert_msg(rc == 0, "rc %d:\n%s", rc, cw_errlist_text(&errs));
    ck_assert_str_eq(cw_errlist_text(&errs), "");
    ck_assert_ptr_nonnull(s);
    const cw_config_t *c = s->config;
    ck_assert_str_eq(c->brokers, "127.0.0.1:9092");
    ck_assert_str_eq(c->own_prefixes_path, CW_SOURCE_DIR "/config/own_prefixes.txt");
    ck_assert_str_eq(c->rival_prefixes_path, CW_SOURCE_DIR "/config/rival_prefixes.txt");
    ck_assert_str_eq(c->ported_numbers_path, CW_SOURCE_DIR "/config/ported.txt");
    ck_assert_str_eq(c->rival_staff_numbers_path,
                     CW_SOURCE_DIR "/config/rival_staff.txt");
    /* the example's [rules] are exactly the SPEC's defaults */
    ck_assert_str_eq(c->rules_version, "671c68b0ca968901");
    cw_setup_free(s);
}
END_TEST

START_TEST(shipped_number_plan_classifies_numbers)
{
    cw_setup_t *s = NULL;
    ck_assert_int_eq(cw_setup_load(SHIPPED, &s, &errs), 0);
    const cw_numplan_t *plan = s->plan;
    ck_assert_uint_eq(cw_numplan_prefix_count(plan), 23 + 24);
    ck_assert_uint_eq(cw_numplan_ported_count(plan), 2);
    ck_assert_uint_eq(cw_numplan_service_count(plan), 3 + 2);
    ck_assert_int_eq(cw_numplan_owner(plan, "13800138000"), CW_OWNER_OWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "19812345678"), CW_OWNER_OWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13112345678"), CW_OWNER_RIVAL);
    ck_assert_str_eq(cw_numplan_operator(plan, "13112345678"), "chinaunicom");
    ck_assert_str_eq(cw_numplan_operator(plan, "19912345678"), "chinatelecom");
    ck_assert_int_eq(cw_numplan_owner(plan, "12012345678"), CW_OWNER_UNKNOWN);
    /* ported entries beat the prefixes, both ways */
    ck_assert_int_eq(cw_numplan_owner(plan, "13012345678"), CW_OWNER_OWN);
    ck_assert_int_eq(cw_numplan_owner(plan, "13800000001"), CW_OWNER_RIVAL);
    ck_assert_str_eq(cw_numplan_operator(plan, "13800000001"), "chinatelecom");
    /* service centres from the config, staff numbers from the file */
    ck_assert(cw_numplan_is_rival_service(plan, "10010"));
    ck_assert(cw_numplan_is_rival_service(plan, "10000"));
    ck_assert(cw_numplan_is_rival_service(plan, "10099"));
    ck_assert(cw_numplan_is_rival_service(plan, "13312340000"));
    ck_assert(cw_numplan_is_rival_service(plan, "18612340000"));
    ck_assert(!cw_numplan_is_rival_service(plan, "10086"));
    /* our own service centre, for the monthly model */
    ck_assert_uint_eq(cw_numplan_own_service_count(plan), 1);
    ck_assert(cw_numplan_is_own_service(plan, "10086"));
    ck_assert(!cw_numplan_is_own_service(plan, "10010"));
    cw_setup_free(s);
}
END_TEST

START_TEST(errors_of_every_file_are_reported_together)
{
    cw_setup_t *s = (cw_setup_t *)1;
    ck_assert_int_eq(cw_setup_load(SETUP_DIR "/bad_files/cdrwarn.conf", &s, &errs), 4);
    ck_assert_ptr_null(s);
    /* clang-format off */
    ck_assert_str_eq(cw_errlist_text(&errs),
        SETUP_DIR "/bad_files/own.txt:3: bad prefix: expected 1..15 digits\n"
        SETUP_DIR "/bad_files/rival.txt:3: missing operator after the prefix\n"
        SETUP_DIR "/bad_files/ported.txt:2: extra column: expected only two columns\n"
        SETUP_DIR "/bad_files/staff.txt:2: bad number: expected 3..15 digits after normalisation\n");
    /* clang-format on */
}
END_TEST

START_TEST(missing_plan_file_is_an_error)
{
    cw_setup_t *s = (cw_setup_t *)1;
    ck_assert_int_eq(cw_setup_load(SETUP_DIR "/missing_file/cdrwarn.conf", &s, &errs), 1);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(
        cw_errlist_text(&errs),
        SETUP_DIR "/missing_file/missing.txt: cannot read: No such file or directory\n");
}
END_TEST

START_TEST(empty_paths_load_no_files)
{
    cw_setup_t *s = NULL;
    ck_assert_int_eq(cw_setup_load(SETUP_DIR "/no_files/cdrwarn.conf", &s, &errs), 0);
    ck_assert_uint_eq(cw_numplan_prefix_count(s->plan), 0);
    ck_assert_uint_eq(cw_numplan_ported_count(s->plan), 0);
    ck_assert_uint_eq(cw_numplan_service_count(s->plan),
                      3); /* the default service centres */
    ck_assert_uint_eq(cw_numplan_own_service_count(s->plan), 1); /* 10086 by default */
    ck_assert(cw_numplan_is_own_service(s->plan, "10086"));
    ck_assert_int_eq(cw_numplan_owner(s->plan, "13800138000"), CW_OWNER_UNKNOWN);
    cw_setup_free(s);
}
END_TEST

START_TEST(config_errors_stop_before_the_plan_files)
{
    /* the invalid-config cases have no plan files beside them: only the
     * config's own error may appear */
    cw_setup_t *s = (cw_setup_t *)1;
    ck_assert_int_eq(cw_setup_load(CW_TEST_DATA_DIR
                                   "/config/invalid/misspelt_key/cdrwarn.conf",
                                   &s, &errs),
                     1);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(
        cw_errlist_text(&errs), CW_TEST_DATA_DIR
        "/config/invalid/misspelt_key/cdrwarn.conf:3: [kafka] group_di: unknown "
        "key; did you mean 'group_id'?\n");
}
END_TEST

START_TEST(missing_config_file_is_reported_at_line_0)
{
    cw_setup_t *s = (cw_setup_t *)1;
    ck_assert_int_eq(cw_setup_load(SETUP_DIR "/nope.conf", &s, &errs), 1);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(cw_errlist_text(&errs), SETUP_DIR
                     "/nope.conf: cannot open the config file: No such file or "
                     "directory\n");
}
END_TEST

START_TEST(setup_fails_cleanly_at_every_allocation)
{
    int rc = -1;
    long n;
    for (n = 0; rc != 0; n++) {
        ck_assert_int_lt(n, 20000);
        cw_setup_t *s = (cw_setup_t *)1;
        cw_errlist_free(&errs);
        cw_alloc_fail_after(n);
        rc = cw_setup_load(SHIPPED, &s, &errs);
        cw_alloc_fail_after(-1);
        if (rc != 0)
            ck_assert_ptr_null(s); /* -1, or the loaders' "out of memory" lines */
        else
            cw_setup_free(s);
    }
    ck_assert_int_gt(n, 50);
}
END_TEST

static Suite *setup_suite(void)
{
    Suite *s = suite_create("setup");

    TCase *shipped = tcase_create("shipped_config");
    tcase_add_checked_fixture(shipped, setup, teardown);
    tcase_add_test(shipped, shipped_config_loads_without_errors);
    tcase_add_test(shipped, shipped_number_plan_classifies_numbers);
    suite_add_tcase(s, shipped);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, errors_of_every_file_are_reported_together);
    tcase_add_test(errors, missing_plan_file_is_an_error);
    tcase_add_test(errors, empty_paths_load_no_files);
    tcase_add_test(errors, config_errors_stop_before_the_plan_files);
    tcase_add_test(errors, missing_config_file_is_reported_at_line_0);
    suite_add_tcase(s, errors);

    TCase *memory = tcase_create("memory");
    tcase_add_checked_fixture(memory, setup, teardown);
    tcase_set_timeout(memory, 120);
    tcase_add_test(memory, setup_fails_cleanly_at_every_allocation);
    suite_add_tcase(s, memory);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(setup_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
