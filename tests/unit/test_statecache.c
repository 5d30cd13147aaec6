/* Check suite for statecache.c: hits and misses, replacing and removing,
 * dropping a partition, the byte budget and the
 * eviction order (recently used entries stay), batched lookups. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "statecache.h"

static cw_statecache_t *cache;

static void put(int32_t partition, const char *key, const char *value)
{
    cw_statecache_item_t item = {key, strlen(key), (const uint8_t *)value, strlen(value)};
    ck_assert_int_eq(cw_statecache_put_many(cache, partition, &item, 1), 0);
}

/* The cached value of key as a string, or NULL on a miss. */
static const char *get(int32_t partition, const char *key)
{
    static char text[256];
    cw_statecache_item_t item = {.key = key, .key_len = strlen(key)};
    cw_statecache_get_many(cache, partition, &item, 1);
    if (item.bytes == NULL)
        return NULL;
    snprintf(text, sizeof text, "%.*s", (int)item.len, (const char *)item.bytes);
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

/* Removals close the gaps they leave in the table's probe runs: every key
 * still put is found after thousands of mixed puts and removes, with the
 * value it was last given. */
START_TEST(mixed_puts_and_removes_agree_with_a_plain_array)
{
    enum { KEYS = 3000 };
    static int version[KEYS]; /* 0: not cached */
    memset(version, 0, sizeof version);
    cache = cw_statecache_new(64 << 20);
    char key[32], value[48];
    unsigned seed = 7;
    for (int round = 0; round < 40000; round++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % KEYS);
        snprintf(key, sizeof key, "cw:{p%d}:s:1380%07d", k % 4, k);
        if ((seed >> 4) % 3 == 0) {
            cw_statecache_remove(cache, k % 4, key, strlen(key));
            version[k] = 0;
        } else {
            version[k] = round + 1;
            /* values of changing length: some fit in place, some do not */
            snprintf(value, sizeof value, "%.*s%d", (int)((seed >> 12) % 24), "xxxxxxxxxxxxxxxxxxxxxxxx",
                     version[k]);
            put(k % 4, key, value);
        }
    }
    size_t cached = 0;
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof key, "cw:{p%d}:s:1380%07d", k % 4, k);
        const char *got = get(k % 4, key);
        if (version[k] == 0) {
            ck_assert_ptr_null(got);
            continue;
        }
        cached++;
        ck_assert_ptr_nonnull(got);
        char number[16];
        snprintf(number, sizeof number, "%d", version[k]);
        size_t n = strlen(number), g = strlen(got);
        ck_assert_uint_ge(g, n);
        ck_assert_str_eq(got + g - n, number);
    }
    ck_assert_uint_eq(cw_statecache_stats(cache).entries, cached);
}
END_TEST

/* A step's lookups and puts go in batches (over the internal chunk of 32):
 * each item gets its own answer. */
START_TEST(batched_puts_and_gets_answer_each_key)
{
    enum { N = 100 };
    cache = cw_statecache_new(1 << 20);
    char keys[N][16], values[N][16];
    cw_statecache_item_t items[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        snprintf(values[i], sizeof values[i], "v%d", i);
        items[i] = (cw_statecache_item_t){keys[i], strlen(keys[i]),
                                          (const uint8_t *)values[i], strlen(values[i])};
    }
    ck_assert_int_eq(cw_statecache_put_many(cache, 5, items, N / 2), 0); /* the even half */
    for (int i = 0; i < N; i++)
        items[i].bytes = (const uint8_t *)"stale";
    cw_statecache_get_many(cache, 5, items, N);
    for (int i = 0; i < N; i++) {
        if (i >= N / 2) {
            ck_assert_ptr_null(items[i].bytes);
            continue;
        }
        ck_assert_ptr_nonnull(items[i].bytes);
        ck_assert_uint_eq(items[i].len, strlen(values[i]));
        ck_assert_int_eq(memcmp(items[i].bytes, values[i], items[i].len), 0);
    }
    cw_statecache_stats_t stats = cw_statecache_stats(cache);
    ck_assert_uint_eq(stats.hits, N / 2);
    ck_assert_uint_eq(stats.misses, N / 2);
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
    tcase_add_test(tc, mixed_puts_and_removes_agree_with_a_plain_array);
    tcase_add_test(tc, batched_puts_and_gets_answer_each_key);
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
