/* Integration: [time] weeks_kept (SPEC section 2 and 4, README "How it
 * works"). One daemon run on one partition a topic with weeks_kept at its
 * smallest allowed value, 2, and late_grace 2h. One subscriber, high tier,
 * gets a profile and a charge in week W0 (six weeks ago), then one charge
 * in each of the weeks W0+1, W0+2 and W0+3 (weeks_kept + 2 weeks in all),
 * each charge of its own amount, with a barrier (applied, and the week
 * before closed) after each week. After each week its state in Redis is
 * read back; after the last one the PTTL of its key. Then one more charge,
 * dated in W0+1, arrives when that week is out of the window. Last, another
 * subscriber's events in W0+4 and W0+5 close W0+3 and W0+4: the first
 * subscriber is silent in W0+4, and its key's PTTL is read again.
 *
 * The rules checked: a state holds the stream-time week and the
 * weeks_kept - 1 before it, no older (every state written is trimmed); the
 * profile stays with the state whatever week it was sent in; an active
 * subscriber's key has no expiry (a later week close visits it), and the
 * close that finds it silent gives it one, (weeks_kept * 7 + 1) days +
 * late_grace later (cw_ops_expire_at); an event dated before the window
 * goes to the DLQ as too_old and changes nothing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "harness.h"
#include "week.h"

#define UTC8 (8 * 3600)
#define HOUR 3600000LL
#define PARTITIONS 1
#define WAIT_MS 30000
#define WEEKS_KEPT 2 /* the smallest lib/config.c allows */
#define WEEKS_SENT (WEEKS_KEPT + 2)
#define LATE_GRACE "2h"
#define LATE_GRACE_MS (2 * HOUR)
/* cw_part_expire_at: weeks_kept weeks plus a day plus the grace */
#define EXPIRE_MS ((WEEKS_KEPT * 7 + 1) * CW_MS_PER_DAY + LATE_GRACE_MS)
#define CLOCK_SLACK_MS 1000 /* Redis's and this process's clocks read apart */

#define SUB "13800800001"
#define CLOCK "13800800002"

static cw_harness_t *h;
static int32_t first_week; /* W0 */

/* what the fixture saw */
static cw_sub_t after_week[WEEKS_SENT]; /* the state after week W0 + k */
static bool found_after_week[WEEKS_SENT];
static long long pttl_active = -3;   /* after the last week's charge */
static long long pttl_silent = -3;   /* after the close that found it silent */
static int64_t pttl_lower = -1; /* the least PTTL an expiry set by that close gives */
static cw_sub_t final_state;
static bool final_found;
static cw_harness_msgs_t dlq;

/* The week's charge: an amount of its own, so each week is recognised. */
static int64_t charge_of(int32_t week)
{
    return 100 * (int64_t)(week - first_week + 1);
}

/* Wednesday 10:00 local of the week. */
static int64_t wednesday(int32_t week)
{
    return cw_week_start_ms(week, UTC8) + 2 * CW_MS_PER_DAY + 10 * HOUR;
}

static int send_charge(int32_t week, int64_t ts)
{
    CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_BILLING, SUB, "charge",
                                             ts, ",\"charge_fen\":%lld",
                                             (long long)charge_of(week)) < 0);
    return 0;
}

static int barrier(void)
{
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    CW_HARNESS_STEP(h, cw_harness_wait_applied(h, WAIT_MS));
    return 0;
}

static int read_pttl(long long *pttl)
{
    char key[CW_KEY_SIZE];
    cw_key_sub(key, "cw:", cw_harness_partition_of(SUB, PARTITIONS), SUB);
    redisContext *redis = cw_harness_redis(h);
    CW_HARNESS_STEP(h, redis == NULL);
    redisReply *reply = redisCommand(redis, "PTTL %s", key);
    if (reply == NULL) {
        cw_harness_fail(h, "PTTL: no reply");
        return -1;
    }
    if (reply->type == REDIS_REPLY_INTEGER)
        *pttl = reply->integer;
    freeReplyObject(reply);
    return 0;
}

static int play(void)
{
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    char weeks_kept[8];
    snprintf(weeks_kept, sizeof weeks_kept, "%d", WEEKS_KEPT);
    cw_harness_config_set(h, "time", "weeks_kept", weeks_kept);
    cw_harness_config_set(h, "time", "late_grace", LATE_GRACE);
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));

    /* W0: the profile on Monday, then the week's charge */
    CW_HARNESS_STEP(h,
                    cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, SUB, "profile",
                                          cw_week_start_ms(first_week, UTC8) + 9 * HOUR,
                                          ",\"tier\":\"high\",\"subsidy_end\":null,"
                                          "\"contract_end\":null") < 0);
    for (int k = 0; k < WEEKS_SENT; k++) {
        int32_t week = first_week + k;
        if (send_charge(week, wednesday(week)) != 0 || barrier() != 0)
            return -1;
        /* this week's charge carried the stream past end(week - 1) + grace */
        if (k > 0)
            CW_HARNESS_STEP(h, cw_harness_wait_closed(h, week - 1, WAIT_MS));
        CW_HARNESS_STEP(
            h, cw_harness_sub_state(h, SUB, &after_week[k], &found_after_week[k]));
    }
    if (read_pttl(&pttl_active) != 0)
        return -1;

    /* W0 + 1 is before the window [W0 + 2, W0 + 3] now */
    if (send_charge(first_week + 1, wednesday(first_week + 1) + CW_MS_PER_DAY) != 0 ||
        barrier() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_read_topic(h, CW_HARNESS_TOPIC_DLQ, 1, WAIT_MS, &dlq));
    CW_HARNESS_STEP(h, cw_harness_sub_state(h, SUB, &final_state, &final_found));

    /* another subscriber's events close W0+3 (SUB active in it) and W0+4
     * (SUB silent): that close gives SUB's key its expiry */
    int32_t silent_week = first_week + WEEKS_SENT;
    CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, CLOCK, "complaint",
                                             wednesday(silent_week),
                                             ",\"severity\":\"normal\"") < 0);
    if (barrier() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_closed(h, silent_week - 1, WAIT_MS));
    int64_t before_close_ms = cw_harness_now_ms();
    CW_HARNESS_STEP(h, cw_harness_send_event(h, CW_HARNESS_TOPIC_CRM, CLOCK, "complaint",
                                             wednesday(silent_week + 1),
                                             ",\"severity\":\"normal\"") < 0);
    if (barrier() != 0)
        return -1;
    CW_HARNESS_STEP(h, cw_harness_wait_closed(h, silent_week, WAIT_MS));
    if (read_pttl(&pttl_silent) != 0)
        return -1;
    /* the close came after before_close_ms: the expiry is at least
     * before_close_ms + EXPIRE_MS, read now */
    pttl_lower = before_close_ms + EXPIRE_MS - cw_harness_now_ms();
    cw_harness_log(h, "PTTL of the silent state %lld ms, expected %lld..%lld", pttl_silent,
                   (long long)pttl_lower, (long long)EXPIRE_MS);
    return 0;
}

static void setup(void)
{
    first_week = cw_week_of_ms(cw_harness_now_ms(), UTC8) - 6;
    h = cw_harness_new("expiry");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    cw_harness_msgs_free(&dlq);
    cw_harness_free(h);
    h = NULL;
}

/* The state holds exactly the weeks from..to (first_week-relative), each
 * with its week's charge. */
static void expect_weeks(const cw_sub_t *sub, const char *when, int from, int to)
{
    char label[CW_WEEK_LABEL_SIZE];
    CW_HARNESS_ASSERT(h, sub->week_count == to - from + 1,
                      "%s: the state holds %d weeks, expected %d (W0+%d..W0+%d); newest "
                      "W0%+d, oldest W0%+d",
                      when, sub->week_count, to - from + 1, from, to,
                      sub->week_count > 0 ? (int)(sub->weeks[0].week - first_week) : 0,
                      sub->week_count > 0
                          ? (int)(sub->weeks[sub->week_count - 1].week - first_week)
                          : 0);
    for (int k = 0; k < WEEKS_SENT; k++) {
        int32_t week = first_week + k;
        cw_week_label(week, label);
        const cw_week_agg_t *agg = cw_sub_find_week(sub, week);
        if (k < from || k > to) {
            CW_HARNESS_ASSERT(h, agg == NULL,
                              "%s: the state still holds %s (W0+%d), older than the "
                              "%d weeks kept",
                              when, label, k, WEEKS_KEPT);
            continue;
        }
        CW_HARNESS_ASSERT(h, agg != NULL, "%s: the state lacks %s (W0+%d)", when, label,
                          k);
        CW_HARNESS_ASSERT(h, agg->spend_fen == charge_of(week),
                          "%s: %s (W0+%d) has spend %lld fen, expected %lld", when, label,
                          k, (long long)agg->spend_fen, (long long)charge_of(week));
    }
}

START_TEST(the_state_holds_exactly_the_newest_weeks_kept_weeks)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, found_after_week[WEEKS_SENT - 1], "%s has no state in Redis",
                      SUB);
    expect_weeks(&after_week[WEEKS_SENT - 1], "after the last week",
                 WEEKS_SENT - WEEKS_KEPT, WEEKS_SENT - 1);
}
END_TEST

START_TEST(every_write_trims_the_state_to_the_stream_week_window)
{
    CW_HARNESS_REQUIRE(h);
    for (int k = 0; k < WEEKS_SENT; k++) {
        char when[32];
        snprintf(when, sizeof when, "after week W0+%d", k);
        CW_HARNESS_ASSERT(h, found_after_week[k], "%s: %s has no state in Redis", when,
                          SUB);
        int from = k - (WEEKS_KEPT - 1);
        expect_weeks(&after_week[k], when, from < 0 ? 0 : from, k);
    }
}
END_TEST

START_TEST(the_profile_outlives_the_week_it_was_sent_in)
{
    CW_HARNESS_REQUIRE(h);
    const cw_sub_t *sub = &after_week[WEEKS_SENT - 1];
    CW_HARNESS_ASSERT(h, cw_sub_find_week(sub, first_week) == NULL,
                      "the profile's week W0 is still held");
    CW_HARNESS_ASSERT(h, sub->tier == CW_TIER_HIGH,
                      "tier %s after the profile's week was dropped, expected high",
                      cw_tier_name(sub->tier));
}
END_TEST

START_TEST(an_active_subscribers_state_key_has_no_expiry)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, pttl_active == -1,
                      "PTTL of an active subscriber's state key is %lld, expected -1 (none: "
                      "the close of a week it is silent in sets it)",
                      pttl_active);
}
END_TEST

START_TEST(the_close_that_finds_it_silent_gives_it_weeks_kept_weeks_a_day_and_the_grace)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, pttl_silent > 0, "PTTL of the silent subscriber's key is %lld (-1: "
                      "no expiry, -2: no key)", pttl_silent);
    CW_HARNESS_ASSERT(
        h, pttl_silent >= pttl_lower - CLOCK_SLACK_MS && pttl_silent <= EXPIRE_MS + CLOCK_SLACK_MS,
        "PTTL %lld ms, expected %lld..%lld ms ((%d * 7 + 1) days + %s "
        "after the close)",
        pttl_silent, (long long)(pttl_lower - CLOCK_SLACK_MS),
        (long long)EXPIRE_MS + CLOCK_SLACK_MS, WEEKS_KEPT, LATE_GRACE);
}
END_TEST

START_TEST(an_event_dated_before_the_window_goes_to_the_dlq_as_too_old)
{
    CW_HARNESS_REQUIRE(h);
    CW_HARNESS_ASSERT(h, dlq.count == 1, "%zu records on the DLQ, expected 1", dlq.count);
    const char *reason = cw_harness_msg_header(&dlq.items[0], "cdrwarn.reason");
    const char *detail = cw_harness_msg_header(&dlq.items[0], "cdrwarn.detail");
    CW_HARNESS_ASSERT(h, reason != NULL && strcmp(reason, "too_old") == 0,
                      "cdrwarn.reason '%s', expected 'too_old' (detail '%s')",
                      reason ? reason : "(none)", detail ? detail : "(none)");
    char oldest[CW_WEEK_LABEL_SIZE], expected[128];
    cw_week_label(first_week + WEEKS_SENT - WEEKS_KEPT, oldest);
    snprintf(expected, sizeof expected, "expected week %s or later (weeks_kept %d)",
             oldest, WEEKS_KEPT);
    CW_HARNESS_ASSERT(h, detail != NULL && strstr(detail, expected) != NULL,
                      "cdrwarn.detail '%s' does not say '%s'", detail ? detail : "(none)",
                      expected);
    CW_HARNESS_ASSERT(h, final_found, "%s has no state in Redis at the end", SUB);
    expect_weeks(&final_state, "after the too-old event", WEEKS_SENT - WEEKS_KEPT,
                 WEEKS_SENT - 1);
}
END_TEST

static Suite *expiry_suite(void)
{
    Suite *s = suite_create("expiry");
    TCase *tc = tcase_create("weeks_kept");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_state_holds_exactly_the_newest_weeks_kept_weeks);
    tcase_add_test(tc, every_write_trims_the_state_to_the_stream_week_window);
    tcase_add_test(tc, the_profile_outlives_the_week_it_was_sent_in);
    tcase_add_test(tc, an_active_subscribers_state_key_has_no_expiry);
    tcase_add_test(tc, the_close_that_finds_it_silent_gives_it_weeks_kept_weeks_a_day_and_the_grace);
    tcase_add_test(tc, an_event_dated_before_the_window_goes_to_the_dlq_as_too_old);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expiry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
