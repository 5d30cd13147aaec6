/* Check suite for recovery.c: judging a partition's bookkeeping read back
 * from Redis against the group's committed offsets and this instance's
 * claim (SPEC section 13). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "recovery.h"

#define MINE "member-a/0123456789abcdef"

static cw_meta_t meta;
static int64_t floor_of[CW_MAX_INPUT_TOPICS];
static cw_recovery_t verdict;

static void setup(void)
{
    cw_meta_reset(&meta);
    strcpy(meta.owner, MINE);
    strcpy(meta.seq, "7");
    meta.next_offset[0] = 100;
    meta.next_offset[1] = 50;
    for (int t = 0; t < CW_MAX_INPUT_TOPICS; t++)
        floor_of[t] = -1;
}

static cw_redis_state_t judge(void)
{
    cw_recovery_judge(&meta, floor_of, 2, MINE, &verdict);
    return verdict.state;
}

START_TEST(redis_at_or_past_the_groups_offsets_is_intact)
{
    ck_assert_int_eq(judge(), CW_REDIS_INTACT);
    floor_of[0] = 100;
    floor_of[1] = 40;
    ck_assert_int_eq(judge(), CW_REDIS_INTACT);
    ck_assert_int_eq(verdict.rewind_to[0], CW_REWIND_NONE);
}
END_TEST

START_TEST(redis_below_the_groups_offsets_rolled_back_and_names_the_rewind)
{
    floor_of[0] = 130; /* 30 records Redis lost */
    floor_of[1] = 50;
    ck_assert_int_eq(judge(), CW_REDIS_ROLLED_BACK);
    ck_assert_int_eq(verdict.rewind_to[0], 100);
    ck_assert_int_eq(verdict.rewind_to[1], CW_REWIND_NONE);
    ck_assert_int_eq(verdict.replayed, 30);
}
END_TEST

START_TEST(a_topic_redis_never_applied_rewinds_to_its_start)
{
    meta.next_offset[1] = -1;
    floor_of[1] = 20;
    ck_assert_int_eq(judge(), CW_REDIS_ROLLED_BACK);
    ck_assert_int_eq(verdict.rewind_to[1], CW_REWIND_START);
    ck_assert_int_eq(verdict.replayed, 20);
}
END_TEST

START_TEST(no_state_with_committed_offsets_is_lost_and_without_them_fresh)
{
    cw_meta_reset(&meta); /* FLUSHALL: not even the claim */
    ck_assert_int_eq(judge(), CW_REDIS_UNCLAIMED); /* a fresh partition: claim it */
    floor_of[0] = 1;
    ck_assert_int_eq(judge(), CW_REDIS_LOST);
    strcpy(meta.owner, MINE); /* the claim written by this load: still lost */
    ck_assert_int_eq(judge(), CW_REDIS_LOST);
    floor_of[0] = 0; /* offset 0 committed: nothing was consumed */
    ck_assert_int_eq(judge(), CW_REDIS_INTACT);
}
END_TEST

START_TEST(another_claim_fences_this_instance_unless_redis_rolled_back)
{
    strcpy(meta.owner, "member-b/fedcba9876543210");
    ck_assert_int_eq(judge(), CW_REDIS_CLAIMED_ELSEWHERE);
    floor_of[0] = 101;
    ck_assert_int_eq(judge(), CW_REDIS_UNCLAIMED);
    meta.owner[0] = '\0'; /* state written before claims existed (an upgrade) */
    floor_of[0] = -1;
    ck_assert_int_eq(judge(), CW_REDIS_UNCLAIMED);
}
END_TEST

static Suite *recovery_suite(void)
{
    Suite *s = suite_create("recovery");
    TCase *tc = tcase_create("judge");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, redis_at_or_past_the_groups_offsets_is_intact);
    tcase_add_test(tc, redis_below_the_groups_offsets_rolled_back_and_names_the_rewind);
    tcase_add_test(tc, a_topic_redis_never_applied_rewinds_to_its_start);
    tcase_add_test(tc, no_state_with_committed_offsets_is_lost_and_without_them_fresh);
    tcase_add_test(tc, another_claim_fences_this_instance_unless_redis_rolled_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(recovery_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
