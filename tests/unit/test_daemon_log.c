/* Check suite for daemon/log.c: what reaches the journal. Lines carry their
 * <N> syslog priority; a warning or error repeated in a burst is cut to 5
 * lines per 30 s and summarised, different messages are never held back for
 * sharing a format, and info lines never are; a fatal line is critical and
 * ends the process with status 1 at once. Each test logs texts of its own: the
 * limiter's state lives as long as the process (CK_FORK=no runs every test in one). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* stderr goes to a temp file while a test logs; the text written, as a new
 * string, once it is done. */
static FILE *capture;
static int saved_stderr = -1;

static void capture_start(void)
{
    capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    ck_assert_int_ge(saved_stderr, 0);
    ck_assert_int_ge(dup2(fileno(capture), STDERR_FILENO), 0);
}

static char *capture_end(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    long size = ftell(capture);
    ck_assert_int_ge(size, 0);
    char *text = calloc(1, (size_t)size + 1);
    rewind(capture);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, capture), (size_t)size);
    fclose(capture);
    return text;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(a_line_carries_its_syslog_priority)
{
    capture_start();
    cw_log(LOG_WARNING, "priority check %s", "warning");
    cw_log(LOG_ERR, "priority check %s", "error");
    char *text = capture_end();
    ck_assert_str_eq(text, "<4>priority check warning\n<3>priority check error\n");
    free(text);
}
END_TEST

START_TEST(a_repeated_message_is_cut_to_five_lines_then_summarised)
{
    capture_start();
    for (int i = 0; i < 12; i++)
        cw_log(LOG_ERR, "burst check: Redis unreachable for %d s", i);
    cw_log_flush_suppressed(time(NULL)); /* the window is not over yet */
    char *during = capture_end();
    ck_assert_int_eq(count_of(during, "<3>burst check: Redis unreachable for "), 5);
    ck_assert_int_eq(count_of(during, "suppressed"), 0);
    free(during);

    capture_start();
    cw_log_flush_suppressed(time(NULL) + 30);
    char *after = capture_end();
    ck_assert_str_eq(after, "<3>(7 more like \"burst check: Redis unreachable for 0 s\" "
                            "suppressed in 30 s)\n");
    free(after);
}
END_TEST

START_TEST(info_lines_are_never_held_back)
{
    capture_start();
    for (int p = 0; p < 20; p++)
        cw_log(LOG_INFO, "info check: partition %d: week closed", p);
    for (int i = 0; i < 8; i++)
        cw_log_limited(LOG_INFO, "limited info check %d", i);
    cw_log_flush_suppressed(time(NULL) + 30);
    char *text = capture_end();
    ck_assert_int_eq(count_of(text, "<6>info check: partition "), 20);
    ck_assert_int_eq(count_of(text, "<6>limited info check "), 5);
    ck_assert_int_eq(count_of(text, "<6>(3 more like \"limited info check 0\""), 1);
    free(text);
}
END_TEST

START_TEST(different_messages_with_one_format_are_all_written)
{
    /* librdkafka's messages all come through one format */
    capture_start();
    for (int i = 0; i < 12; i++) {
        char fac[16];
        snprintf(fac, sizeof fac, "FAC%c", 'A' + i);
        cw_log(LOG_WARNING, "format check %s: %s", fac, "something happened");
    }
    char *text = capture_end();
    ck_assert_int_eq(count_of(text, "<4>format check FAC"), 12);
    ck_assert_int_eq(count_of(text, "suppressed"), 0);
    free(text);
}
END_TEST

START_TEST(a_fatal_line_is_critical_and_exits_1_at_once)
{
    capture_start();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cw_log_fatal("fatal check: out of memory on partition %d", 7);
        _exit(99); /* not reached */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    char *text = capture_end();
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    ck_assert_str_eq(text, "<2>fatal check: out of memory on partition 7\n");
    free(text);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("daemon_log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, a_line_carries_its_syslog_priority);
    tcase_add_test(tc, a_repeated_message_is_cut_to_five_lines_then_summarised);
    tcase_add_test(tc, info_lines_are_never_held_back);
    tcase_add_test(tc, different_messages_with_one_format_are_all_written);
    tcase_add_test(tc, a_fatal_line_is_critical_and_exits_1_at_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
