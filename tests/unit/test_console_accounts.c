/* Check suite for console/users.c, passwd.c, throttle.c and sessions.c: the
 * accounts file, password checks, sign-in limits and sessions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "passwd.h"
#include "sessions.h"
#include "throttle.h"
#include "users.h"

static const char *HASH = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";

START_TEST(the_accounts_file_parses_with_comments_and_roles)
{
    char text[1024];
    snprintf(text, sizeof text, "# staff\n\nalice:agent:%s\r\n  carol:supervisor:%s  # no\n", HASH,
             HASH);
    /* the trailing "# no" belongs to the hash field: refused */
    cw_users_t *users;
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(cw_users_parse(text, strlen(text), "users", &users, &errs), 1);
    ck_assert_ptr_nonnull(strstr(cw_errlist_text(&errs), "users:4: carol: expected a crypt(3)"));
    cw_errlist_free(&errs);
    snprintf(text, sizeof text, "# staff\n\nalice:agent:%s\r\n  carol:supervisor:%s\n", HASH, HASH);
    ck_assert_int_eq(cw_users_parse(text, strlen(text), "users", &users, &errs), 0);
    ck_assert_uint_eq(users->count, 2);
    ck_assert(!cw_users_find(users, "alice")->supervisor);
    ck_assert(cw_users_find(users, "carol")->supervisor);
    ck_assert_ptr_null(cw_users_find(users, "bob"));
    cw_users_free(users);
}
END_TEST

START_TEST(bad_lines_are_reported_by_number_without_their_text)
{
    const char *text = "alice:agent\nbob:admin:$6$x$yyyyyyyyyyyyy\nb@d:agent:$6$x$yyyyyyyyyyyyy\n"
                       "dup:agent:$6$x$yyyyyyyyyyyyy\ndup:agent:$6$x$yyyyyyyyyyyyy\n";
    cw_users_t *users;
    cw_errlist_t errs = CW_ERRLIST_INIT;
    ck_assert_int_eq(cw_users_parse(text, strlen(text), "f", &users, &errs), 4);
    const char *out = cw_errlist_text(&errs);
    ck_assert_ptr_nonnull(strstr(out, "f:1: expected name:role:hash"));
    ck_assert_ptr_nonnull(strstr(out, "f:2: bob: role: expected agent or supervisor"));
    ck_assert_ptr_nonnull(strstr(out, "f:3: user name"));
    ck_assert_ptr_nonnull(strstr(out, "f:5: dup: listed twice"));
    ck_assert_ptr_null(strstr(out, "$6$"));
    cw_errlist_free(&errs);
}
END_TEST

START_TEST(passwords_check_against_sha512_and_yescrypt_hashes)
{
    ck_assert(cw_passwd_check("password", HASH));
    ck_assert(!cw_passwd_check("Password", HASH));
    char why[128];
    char *y = cw_passwd_hash("correct horse", "$y$", why, sizeof why);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(strncmp(y, "$y$", 3), 0);
    ck_assert(cw_passwd_check("correct horse", y));
    ck_assert(!cw_passwd_check("correct horse!", y));
    char *again = cw_passwd_hash("correct horse", "$y$", why, sizeof why);
    ck_assert_str_ne(y, again); /* a fresh salt each time */
    cw_free(y);
    cw_free(again);
    ck_assert(!cw_passwd_check("x", "*"));
    ck_assert(!cw_passwd_check("x", "!locked"));
    ck_assert(!cw_passwd_check("x", "$99$nonsense"));
}
END_TEST

START_TEST(failures_beyond_the_free_ones_wait_longer_and_longer)
{
    static cw_throttle_t t;
    cw_throttle_init(&t, 5);
    int64_t now = 1000000;
    for (int i = 0; i < 4; i++)
        cw_throttle_fail(&t, "u:alice", now);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now), 0);
    cw_throttle_fail(&t, "u:alice", now);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now), CW_THROTTLE_BASE_MS);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now + CW_THROTTLE_BASE_MS), 0);
    cw_throttle_fail(&t, "u:alice", now + CW_THROTTLE_BASE_MS);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now + CW_THROTTLE_BASE_MS),
                     2 * CW_THROTTLE_BASE_MS);
    for (int i = 0; i < 20; i++)
        cw_throttle_fail(&t, "u:alice", now + CW_THROTTLE_BASE_MS);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now + CW_THROTTLE_BASE_MS), CW_THROTTLE_MAX_MS);
    ck_assert_int_eq(cw_throttle_wait(&t, "u:bob", now), 0);
    cw_throttle_clear(&t, "u:alice");
    ck_assert_int_eq(cw_throttle_wait(&t, "u:alice", now + CW_THROTTLE_BASE_MS), 0);
}
END_TEST

START_TEST(a_flood_of_names_never_grows_the_table)
{
    static cw_throttle_t t;
    cw_throttle_init(&t, 1);
    char key[32];
    for (int i = 0; i < 3 * CW_THROTTLE_SLOTS; i++) {
        snprintf(key, sizeof key, "u:n%d", i);
        cw_throttle_fail(&t, key, 1000 + i);
    }
    /* the newest are remembered */
    ck_assert_int_gt(cw_throttle_wait(&t, key, 1000 + 3 * CW_THROTTLE_SLOTS), 0);
}
END_TEST

START_TEST(sessions_are_found_by_token_and_expire)
{
    cw_sessions_t *s = cw_sessions_new();
    const cw_session_t *a = cw_sessions_create(s, "alice", 0);
    char token[CW_SESSION_TOKEN_LEN + 1], csrf[CW_SESSION_TOKEN_LEN + 1];
    strcpy(token, a->token);
    strcpy(csrf, a->csrf);
    ck_assert_uint_eq(strlen(token), CW_SESSION_TOKEN_LEN);
    ck_assert_str_ne(token, csrf);
    ck_assert_ptr_nonnull(cw_sessions_find(s, token, 1000));
    ck_assert_ptr_null(cw_sessions_find(s, csrf, 1000));
    ck_assert_ptr_null(cw_sessions_find(s, "short", 1000));
    /* idle too long */
    ck_assert_ptr_null(cw_sessions_find(s, token, 1000 + CW_SESSION_IDLE_MS + 1));
    const cw_session_t *b = cw_sessions_create(s, "bob", 0);
    strcpy(token, b->token);
    for (int64_t t = CW_SESSION_IDLE_MS / 2; t < CW_SESSION_MAX_MS; t += CW_SESSION_IDLE_MS / 2)
        ck_assert_ptr_nonnull(cw_sessions_find(s, token, t));
    ck_assert_ptr_null(cw_sessions_find(s, token, CW_SESSION_MAX_MS + 1));
    cw_sessions_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("console_accounts");
    TCase *users = tcase_create("users");
    tcase_add_test(users, the_accounts_file_parses_with_comments_and_roles);
    tcase_add_test(users, bad_lines_are_reported_by_number_without_their_text);
    tcase_add_test(users, passwords_check_against_sha512_and_yescrypt_hashes);
    suite_add_tcase(s, users);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, failures_beyond_the_free_ones_wait_longer_and_longer);
    tcase_add_test(limits, a_flood_of_names_never_grows_the_table);
    tcase_add_test(limits, sessions_are_found_by_token_and_expire);
    suite_add_tcase(s, limits);
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
