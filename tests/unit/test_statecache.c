/* Check suite for statecache.c: hits and misses, replacing and removing,
 * dropping a partition, the byte budget and the least recently used order. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "statecache.h"

static cw_statecache_t *cache;

static void put(int32_t partition, const char *key, const char *value)
{
    ck_assert_int_eq(cw_statecache_put(cache, partition, key, strlen(key),
                                       (const uint8_t *)value, strlen(value)),
                     0);
}

/* The cached value of key as a string, or NULL on a miss. */
static const char *get(int32_t partition, const char *key)
{
    static char text[256];
    const uint8_t *bytes;
    size_t len;
    if (!cw_statecache_get(cache, partition, key, strlen(key), &bytes, &len))
        return NULL;
    snprintf(text, sizeof text, "%.*s", (int)len, (const char *)bytes);
    return text;
}

static void teardown(void)
{
    cw_statecache_free(cache);
    cache = NULL;
}

START_TEST(a_put_key_is_a_hit_with_its_bytes_and_others_are_misses)
{
    cache = cw_statecache_new(1 << 20);
    put(3, "cw:{p3}:s:13800138000", "state-a");
    ck_assert_str_eq(get(3, "cw:{p3}:s:13800138000"), "state-a");
    ck_assert_ptr_null(get(3, "cw:{p3}:s:13800138001"));
    ck_assert_ptr_null(get(4, "cw:{p3}:s:13800138000")); /* another partition's */
    cw_statecache_stats_t stats = cw_statecache_stats(cache);
    ck_assert_uint_eq(stats.hits, 1);
    ck_assert_uint_eq(stats.misses, 2);
    ck_assert_uint_eq(stats.entries, 1);
}
END_TEST

START_TEST(a_second_put_replaces_and_a_remove_forgets)
{
    cache = cw_statecache_new(1 << 20);
    put(0, "k", "old");
    put(0, "k", "newer and longer");
    ck_assert_str_eq(get(0, "k"), "newer and longer");
    ck_assert_uint_eq(cw_statecache_stats(cache).entries, 1);
    cw_statecache_remove(cache, 0, "k", 1);
    ck_assert_ptr_null(get(0, "k"));
    ck_assert_uint_eq(cw_statecache_stats(cache).entries, 0);
    cw_statecache_remove(cache, 0, "k", 1); /* twice: nothing happens */
}
END_TEST

START_TEST(dropping_a_partition_forgets_its_entries_only)
{
    cache = cw_statecache_new(1 << 20);
    put(1, "a", "1a");
    put(2, "b", "2b");
    cw_statecache_drop_partition(cache, 1);
    ck_assert_ptr_null(get(1, "a"));
    ck_assert_str_eq(get(2, "b"), "2b");
    /* what is put after the drop is kept */
    put(1, "a", "1a again");
    ck_assert_str_eq(get(1, "a"), "1a again");
}
END_TEST

START_TEST(the_budget_holds_and_the_least_recently_used_go_first)
{
    cache = cw_statecache_new(64 << 10);
    char key[32], value[200];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        put(0, key, value);
        if (i >= 1)
            ck_assert_ptr_nonnull(get(0, "key-0")); /* kept fresh by use */
        ck_assert_uint_le(cw_statecache_stats(cache).bytes, 64 << 10);
    }
    ck_assert_ptr_nonnull(get(0, "key-1999"));
    ck_assert_ptr_null(get(0, "key-1")); /* the oldest unused went */
    cw_statecache_stats_t stats = cw_statecache_stats(cache);
    ck_assert_uint_gt(stats.entries, 100);
    ck_assert_uint_lt(stats.entries, 2000);
}
END_TEST

START_TEST(an_entry_over_an_eighth_of_the_budget_is_not_kept)
{
    cache = cw_statecache_new(4096);
    char big[1024];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put(0, "small", "s");
    put(0, "small", big); /* replaces: the old bytes must not stay */
    ck_assert_ptr_null(get(0, "small"));
}
END_TEST

START_TEST(a_cache_of_no_bytes_holds_nothing)
{
    cache = cw_statecache_new(0);
    put(0, "k", "v");
    ck_assert_ptr_null(get(0, "k"));
    ck_assert_uint_eq(cw_statecache_stats(cache).entries, 0);
}
END_TEST

static Suite *statecache_suite(void)
{
    Suite *s = suite_create("statecache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, a_put_key_is_a_hit_with_its_bytes_and_others_are_misses);
    tcase_add_test(tc, a_second_put_replaces_and_a_remove_forgets);
    tcase_add_test(tc, dropping_a_partition_forgets_its_entries_only);
    tcase_add_test(tc, the_budget_holds_and_the_least_recently_used_go_first);
    tcase_add_test(tc, an_entry_over_an_eighth_of_the_budget_is_not_kept);
    tcase_add_test(tc, a_cache_of_no_bytes_holds_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(statecache_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
