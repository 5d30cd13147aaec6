/* Check suite for daemon/secret.c: a password file's first line is the
 * secret, whole or not at all (never cut), errors name the file and never
 * the secret, and a file readable by others is warned about. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlist.h"
#include "secret.h"

static char dir[64];
static char path[128];
static cw_errlist_t errs;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cw-secret-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/redis.secret", dir);
    cw_errlist_t empty = CW_ERRLIST_INIT;
    errs = empty;
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
    cw_errlist_free(&errs);
}

static void write_file(const void *bytes, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* A secret of `len` bytes: "s3cret-" then letters. */
static char *secret_of(size_t len)
{
    char *s = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        s[i] = i < 7 ? "s3cret-"[i] : (char)('a' + i % 26);
    s[len] = '\0';
    return s;
}

/* Reads a file that must be refused: the error names the file, and holds
 * nothing of the secret. */
static void expect_refused(const char *why, const char *secret)
{
    char *got = cw_secret_read(path, &errs);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(errs.count, 1);
    const char *text = cw_errlist_text(&errs);
    ck_assert_msg(strncmp(text, path, strlen(path)) == 0,
                  "the error does not name the file: %s", text);
    ck_assert_msg(strstr(text, why) != NULL, "expected \"%s\" in: %s", why, text);
    if (secret != NULL)
        ck_assert_msg(strstr(text, "s3cret") == NULL, "the error holds the secret: %s",
                      text);
}

START_TEST(the_first_line_is_the_secret_without_its_line_end)
{
    write_file("s3cret-abc \r\nsecond line\n", 25, 0600);
    char *got = cw_secret_read(path, &errs);
    ck_assert_str_eq(got, "s3cret-abc");
    ck_assert_int_eq(errs.count, 0);
    cw_secret_free(got);
}
END_TEST

START_TEST(a_secret_of_the_longest_length_is_read_whole)
{
    char *secret = secret_of(CW_SECRET_MAX_BYTES);
    char *line = malloc(CW_SECRET_MAX_BYTES + 2);
    memcpy(line, secret, CW_SECRET_MAX_BYTES);
    memcpy(line + CW_SECRET_MAX_BYTES, "\n", 2);
    write_file(line, CW_SECRET_MAX_BYTES + 1, 0600);
    char *got = cw_secret_read(path, &errs);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(strlen(got), CW_SECRET_MAX_BYTES);
    ck_assert_str_eq(got, secret);
    cw_secret_free(got);
    free(line);
    free(secret);
}
END_TEST

START_TEST(a_secret_one_byte_longer_is_refused_not_cut)
{
    char *secret = secret_of(CW_SECRET_MAX_BYTES + 1);
    write_file(secret, CW_SECRET_MAX_BYTES + 1, 0600);
    expect_refused("longer than 1024 bytes", secret);
    free(secret);
}
END_TEST

START_TEST(a_secret_far_longer_than_any_buffer_is_refused)
{
    char *secret = secret_of(100000);
    write_file(secret, 100000, 0600);
    expect_refused("longer than 1024 bytes", secret);
    free(secret);
}
END_TEST

START_TEST(a_nul_byte_in_the_secret_is_refused)
{
    write_file("s3cret\0tail\n", 12, 0600);
    expect_refused("NUL byte", "s3cret");
}
END_TEST

START_TEST(empty_files_and_lines_are_refused)
{
    write_file("", 0, 0600);
    expect_refused("the password file is empty", NULL);
    cw_errlist_free(&errs);
    cw_errlist_t empty = CW_ERRLIST_INIT;
    errs = empty;
    write_file(" \t\nsecond\n", 10, 0600);
    expect_refused("first line is empty", NULL);
}
END_TEST

START_TEST(a_missing_file_is_named_with_the_reason)
{
    expect_refused("cannot read the password file: No such file or directory", NULL);
}
END_TEST

/* stderr into a temp file while the warning is logged */
static char *captured_warning(const char *what, int *warned)
{
    FILE *capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    *warned = cw_secret_warn_if_exposed(path, what);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    long size = ftell(capture);
    char *text = calloc(1, (size_t)size + 1);
    rewind(capture);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, capture), (size_t)size);
    fclose(capture);
    return text;
}

START_TEST(a_file_readable_by_others_is_warned_about_by_name_and_mode)
{
    write_file("s3cret\n", 7, 0644);
    int warned = 0;
    char *text = captured_warning("[kafka] property.sasl.password", &warned);
    ck_assert_int_eq(warned, 1);
    char expected[512];
    snprintf(
        expected, sizeof expected,
        "<4>SECURITY: %s holds [kafka] property.sasl.password and is readable by other "
        "users (mode 0644); run: chmod 600 %s\n",
        path, path);
    ck_assert_str_eq(text, expected);
    free(text);
}
END_TEST

START_TEST(a_file_of_mode_0600_is_not_warned_about)
{
    write_file("s3cret\n", 7, 0600);
    int warned = -1;
    char *text = captured_warning("the Redis password", &warned);
    ck_assert_int_eq(warned, 0);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

static Suite *secret_suite(void)
{
    Suite *s = suite_create("daemon_secret");
    TCase *read = tcase_create("read");
    tcase_add_checked_fixture(read, setup, teardown);
    tcase_add_test(read, the_first_line_is_the_secret_without_its_line_end);
    tcase_add_test(read, a_secret_of_the_longest_length_is_read_whole);
    tcase_add_test(read, a_secret_one_byte_longer_is_refused_not_cut);
    tcase_add_test(read, a_secret_far_longer_than_any_buffer_is_refused);
    tcase_add_test(read, a_nul_byte_in_the_secret_is_refused);
    tcase_add_test(read, empty_files_and_lines_are_refused);
    tcase_add_test(read, a_missing_file_is_named_with_the_reason);
    suite_add_tcase(s, read);
    TCase *warn = tcase_create("warn");
    tcase_add_checked_fixture(warn, setup, teardown);
    tcase_add_test(warn, a_file_readable_by_others_is_warned_about_by_name_and_mode);
    tcase_add_test(warn, a_file_of_mode_0600_is_not_warned_about);
    suite_add_tcase(s, warn);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(secret_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
