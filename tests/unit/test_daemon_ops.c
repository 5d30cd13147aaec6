/* Check suite for daemon/ops.c: a step's operations as the commit script's
 * arguments and as a transaction's commands, in the order commit.lua and
 * step.c rely on. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

static cw_ops_t ops;

/* A step's operations: two states (one expiring), a seen list, a deleted
 * list, two meta fields set and one deleted, an outbox entry. */
static void a_step(void)
{
    cw_ops_init(&ops, "cw:{p3}:meta", "cw:{p3}:outbox", "41", "owner-a");
    cw_ops_set(&ops, "cw:{p3}:s:1", "state-1", 7);
    cw_ops_set(&ops, "cw:{p3}:s:2", "state-2", 7);
    cw_ops_expire(&ops, "cw:{p3}:s:2", 1700000000000LL);
    cw_ops_append(&ops, "cw:{p3}:seen:2026-W47", "1\n2\n", 4, 1700000000001LL);
    cw_ops_del(&ops, "cw:{p3}:seen:2026-W45");
    cw_ops_meta_int(&ops, "o:cdr", 100);
    cw_ops_meta_int(&ops, "st", 5);
    cw_ops_meta_del(&ops, "cs");
    cw_ops_outbox_add(&ops, "a:x", "{}", 2);
}

static void teardown(void)
{
    cw_ops_free(&ops);
}

/* Command i of the transaction, its words joined by spaces. */
static const char *command_text(size_t i)
{
    static char text[512];
    size_t len = 0;
    for (int a = 0; a < ops.command_argc[i]; a++) {
        size_t at = ops.command_start[i] + (size_t)a;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%.*s", a ? " " : "",
                                (int)ops.argvlen[at], ops.argv[at]);
    }
    return text;
}

START_TEST(a_transaction_writes_each_kind_in_one_command_and_ends_with_the_fence)
{
    a_step();
    ck_assert_int_eq(cw_ops_build_multi(&ops), 0);
    static const char *const expected[] = {
        "MULTI",
        "MSET cw:{p3}:s:1 state-1 cw:{p3}:s:2 state-2",
        "PEXPIREAT cw:{p3}:s:2 1700000000000",
        "APPEND cw:{p3}:seen:2026-W47 1\n2\n",
        "PEXPIREAT cw:{p3}:seen:2026-W47 1700000000001",
        "DEL cw:{p3}:seen:2026-W45",
        "HSET cw:{p3}:meta o:cdr 100 st 5",
        "HDEL cw:{p3}:meta cs",
        "HSET cw:{p3}:outbox a:x {}",
        "HINCRBY cw:{p3}:meta seq 1",
        "EXEC",
    };
    ck_assert_uint_eq(ops.command_count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < ops.command_count; i++)
        ck_assert_str_eq(command_text(i), expected[i]);
}
END_TEST

START_TEST(an_empty_step_is_only_the_fence)
{
    cw_ops_init(&ops, "m", "o", "", "me");
    ck_assert_int_eq(cw_ops_build_multi(&ops), 0);
    ck_assert_uint_eq(ops.command_count, 3);
    ck_assert_str_eq(command_text(0), "MULTI");
    ck_assert_str_eq(command_text(1), "HINCRBY m seq 1");
    ck_assert_str_eq(command_text(2), "EXEC");
}
END_TEST

START_TEST(the_script_arguments_hold_keys_then_counts_then_arguments_by_kind)
{
    a_step();
    int argc = cw_ops_build(&ops);
    /* numkeys; 2 + 2 states + 1 expiry + 1 append + 1 delete keys; seq, owner,
     * 7 counts; 2 + 1 + 2 + 0 + 4 + 1 + 2 arguments */
    ck_assert_int_eq(argc, 1 + 7 + 2 + 7 + 12);
    ck_assert_str_eq(ops.argv[0], "7");
    ck_assert_str_eq(ops.argv[1], "cw:{p3}:meta");
    ck_assert_str_eq(ops.argv[3], "cw:{p3}:s:1");
    ck_assert_str_eq(ops.argv[5], "cw:{p3}:s:2"); /* the expiry's key */
    ck_assert_str_eq(ops.argv[8], "41");
    ck_assert_str_eq(ops.argv[9], "owner-a");
    static const char *const counts[] = {"2", "1", "1", "1", "2", "1", "1"};
    for (int k = 0; k < 7; k++)
        ck_assert_str_eq(ops.argv[10 + k], counts[k]);
    ck_assert_str_eq(ops.argv[17], "state-1");
    ck_assert_str_eq(ops.argv[argc - 1], "{}");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("daemon_ops");
    TCase *tc = tcase_create("build");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, a_transaction_writes_each_kind_in_one_command_and_ends_with_the_fence);
    tcase_add_test(tc, an_empty_step_is_only_the_fence);
    tcase_add_test(tc, the_script_arguments_hold_keys_then_counts_then_arguments_by_kind);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
