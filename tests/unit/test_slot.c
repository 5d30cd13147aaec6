/* Check suite for lib/slot.c: Redis Cluster hash slots, against what Redis
 * 7.0's CLUSTER KEYSLOT answered for the same keys (recorded from a
 * redis-server started with --cluster-enabled yes). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "slot.h"

static int slot(const char *key)
{
    return cw_slot_of(key, strlen(key));
}

START_TEST(crc16_is_the_xmodem_variant)
{
    /* the check value of CRC-16/XMODEM, and the Redis specification's example */
    ck_assert_uint_eq(cw_slot_crc16("123456789", 9), 0x31c3);
    ck_assert_uint_eq(cw_slot_crc16("", 0), 0);
}
END_TEST

START_TEST(slots_of_plain_keys_match_cluster_keyslot)
{
    ck_assert_int_eq(slot("123456789"), 12739);
    ck_assert_int_eq(slot("a"), 15495);
    ck_assert_int_eq(slot(""), 0);
}
END_TEST

START_TEST(a_partitions_keys_share_the_slot_of_its_hash_tag)
{
    ck_assert_int_eq(slot("{p0}"), 15882);
    ck_assert_int_eq(slot("cw:{p0}:meta"), 15882);
    ck_assert_int_eq(slot("cw:{p1}:outbox"), 11819);
    ck_assert_int_eq(slot("cw:{p15}:s:13800138000"), 2138);
    ck_assert_int_eq(slot("cw:{p127}:seen:2025-W10"), 5539);
    ck_assert_int_eq(slot("cwc:{console}:secret"), 15168);
    /* the key layout's own names land where their tag does */
    char meta[CW_KEY_SIZE], sub[CW_KEY_SIZE], seen[CW_KEY_SIZE];
    size_t meta_len = cw_key_meta(meta, "prod:", 9);
    size_t sub_len = cw_key_sub(sub, "prod:", 9, "13800138000");
    size_t seen_len = cw_key_seen(seen, "prod:", 9, CW_PERIOD_WEEK, 2900);
    ck_assert_int_eq(cw_slot_of(meta, meta_len), slot("{p9}"));
    ck_assert_int_eq(cw_slot_of(sub, sub_len), slot("{p9}"));
    ck_assert_int_eq(cw_slot_of(seen, seen_len), slot("{p9}"));
}
END_TEST

START_TEST(hash_tag_edge_cases_follow_redis)
{
    ck_assert_int_eq(slot("{user1000}.following"), 3443);
    ck_assert_int_eq(slot("{user1000}.followers"), 3443);
    /* an empty first tag: the whole key */
    ck_assert_int_eq(slot("foo{}{bar}"), 8363);
    ck_assert_int_eq(slot("{}"), 15257);
    /* the tag runs from the first '{' to the first '}' after it */
    ck_assert_int_eq(slot("foo{{bar}}zap"), 4015);
    ck_assert_int_eq(slot("foo{bar}{zap}"), 5061);
    /* no closing brace, or one only before the opening one: the whole key */
    ck_assert_int_eq(slot("foo{"), 7673);
    ck_assert_int_eq(slot("}foo{bar"), 7622);
    ck_assert_int_eq(slot("{p}"), 16023);
}
END_TEST

START_TEST(every_slot_is_in_range)
{
    char key[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        int s = cw_slot_of(key, (size_t)n);
        ck_assert_int_ge(s, 0);
        ck_assert_int_lt(s, CW_SLOT_COUNT);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("slot");
    TCase *crc = tcase_create("crc16");
    tcase_add_test(crc, crc16_is_the_xmodem_variant);
    suite_add_tcase(s, crc);
    TCase *slots = tcase_create("slots");
    tcase_add_test(slots, slots_of_plain_keys_match_cluster_keyslot);
    tcase_add_test(slots, a_partitions_keys_share_the_slot_of_its_hash_tag);
    tcase_add_test(slots, hash_tag_edge_cases_follow_redis);
    tcase_add_test(slots, every_slot_is_in_range);
    suite_add_tcase(s, slots);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
