/* Check suite for lib/keys.c: the Redis key layout, which stored data
 * depends on (a changed name orphans every state in Redis). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "week.h"

START_TEST(keys_carry_the_partition_hash_tag)
{
    char key[CW_KEY_SIZE];
    ck_assert_uint_eq(cw_key_sub(key, "cw:", 17, "13800138000"), 22);
    ck_assert_str_eq(key, "cw:{p17}:s:13800138000");
    cw_key_meta(key, "cw:", 0);
    ck_assert_str_eq(key, "cw:{p0}:meta");
    cw_key_outbox(key, "prod:cw:", 1023);
    ck_assert_str_eq(key, "prod:cw:{p1023}:outbox");
    int32_t week;
    ck_assert_int_eq(cw_week_parse_label("2026-W53", 8, &week), 0);
    cw_key_seen(key, "cw:", 5, CW_PERIOD_WEEK, week);
    ck_assert_str_eq(key, "cw:{p5}:seen:2026-W53");
}
END_TEST

START_TEST(overlong_keys_are_cut_not_overrun)
{
    char prefix[300];
    memset(prefix, 'x', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    char key[CW_KEY_SIZE + 8];
    memset(key, '#', sizeof key);
    size_t len = cw_key_sub(key, prefix, 1, "13800138000");
    ck_assert_uint_eq(len, CW_KEY_SIZE - 1);
    ck_assert_uint_eq(strlen(key), CW_KEY_SIZE - 1);
    ck_assert_int_eq(key[CW_KEY_SIZE], '#');
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, keys_carry_the_partition_hash_tag);
    tcase_add_test(tc, overlong_keys_are_cut_not_overrun);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
