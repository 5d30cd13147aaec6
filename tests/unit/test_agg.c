/* Check suite for agg.c: the weekly aggregates an event adds to, local days
 * and weeks at the UTC offset, the order and eviction of held weeks, the
 * churn mark, and the monthly aggregates of the value-churn model. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "date.h"
#include "month.h"
#include "week.h"

#define OFFSET (8 * 3600)
/* Monday 2026-11-16 00:00 at +08:00 (= 2026-11-15T16:00Z), week 2026-W47 */
#define W47_START_MS 1794758400000LL
#define HOUR_MS 3600000LL
/* 2026-12-01 00:00 at +08:00 (= 2026-11-30T16:00Z): November ends */
#define DEC_START_MS 1796054400000LL
#define NOV_2026 682 /* month index: (2026 - 1970) * 12 + 10 */

static cw_numplan_t *plan;
static int32_t w47;

static void setup(void)
{
    char err[128];
    plan = cw_numplan_new("86");
    ck_assert_ptr_nonnull(plan);
    ck_assert_int_eq(cw_numplan_add_prefix(plan, "138", "CMCC", true, err, sizeof err),
                     0);
    ck_assert_int_eq(cw_numplan_add_prefix(plan, "186", "CUCC", false, err, sizeof err),
                     0);
    ck_assert_int_eq(cw_numplan_add_ported(plan, "18600000009", "CMCC", err, sizeof err),
                     0);
    ck_assert_int_eq(cw_numplan_add_service(plan, "10010", err, sizeof err), 0);
    ck_assert_int_eq(cw_numplan_add_service(plan, "18611112222", err, sizeof err), 0);
    ck_assert_int_eq(cw_numplan_add_own_service(plan, "10086", err, sizeof err), 0);
    w47 = cw_week_of_ms(W47_START_MS, OFFSET);
}

static void teardown(void)
{
    cw_numplan_free(plan);
}

static cw_event_t event(cw_event_type_t type, int64_t ts_ms)
{
    cw_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    strcpy(ev.msisdn, "13800138000");
    ev.ts_ms = ts_ms;
    ev.subsidy_end = CW_DAY_NONE;
    ev.contract_end = CW_DAY_NONE;
    return ev;
}

static cw_event_t voice(cw_direction_t dir, const char *peer, int64_t duration_s,
                        int64_t ts_ms)
{
    cw_event_t ev = event(CW_EV_VOICE, ts_ms);
    ev.direction = dir;
    strcpy(ev.peer, peer);
    ev.duration_s = duration_s;
    return ev;
}

/* ---- aggregates ---- */

START_TEST(fresh_subscriber_has_no_profile_and_no_weeks)
{
    cw_sub_t sub;
    memset(&sub, 0x5a, sizeof sub);
    cw_sub_init(&sub);
    ck_assert_int_eq(sub.tier, CW_TIER_UNKNOWN);
    ck_assert_int_eq(sub.subsidy_end, CW_DAY_NONE);
    ck_assert_int_eq(sub.contract_end, CW_DAY_NONE);
    ck_assert_int_eq(sub.week_count, 0);
    ck_assert_ptr_null(cw_sub_find_week(&sub, w47));
}
END_TEST

START_TEST(spend_sums_charge_of_every_event)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t ev = voice(CW_DIR_MO, "13900000000", 60, W47_START_MS);
    ev.charge_fen = 30;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev = event(CW_EV_SMS, W47_START_MS + HOUR_MS);
    ev.direction = CW_DIR_MT;
    strcpy(ev.peer, "10086");
    ev.charge_fen = 10;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev = event(CW_EV_DATA, W47_START_MS + 2 * HOUR_MS);
    ev.bytes = 1 << 20;
    ev.charge_fen = 500;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev = event(CW_EV_CHARGE, W47_START_MS + 3 * HOUR_MS);
    ev.charge_fen = 5800;
    cw_week_agg_t *agg = cw_sub_apply(&sub, &ev, plan, OFFSET);

    ck_assert_ptr_nonnull(agg);
    ck_assert_int_eq(agg->week, w47);
    ck_assert_int_eq(agg->spend_fen, 6340);
    /* sms, data and charge add spend only */
    ck_assert_int_eq(agg->voice_s, 60);
    ck_assert_uint_eq(agg->calls, 1);
    ck_assert_int_eq(sub.week_count, 1);
}
END_TEST

START_TEST(voice_mo_and_mt_count_calls_and_seconds)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t mo = voice(CW_DIR_MO, "13900000000", 120, W47_START_MS);
    cw_event_t mt = voice(CW_DIR_MT, "18600000001", 45, W47_START_MS + HOUR_MS);
    cw_event_t missed = voice(CW_DIR_MT, "18600000001", 0, W47_START_MS + HOUR_MS);
    cw_sub_apply(&sub, &mo, plan, OFFSET);
    cw_sub_apply(&sub, &mt, plan, OFFSET);
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &missed, plan, OFFSET);
    ck_assert_int_eq(agg->voice_s, 165);
    ck_assert_uint_eq(agg->calls, 3);
    ck_assert_uint_eq(agg->rival_service_calls, 0);
    ck_assert_uint_eq(agg->fwd_rival_days, 0);
}
END_TEST

START_TEST(calls_to_rival_service_numbers_are_counted)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t to_service = voice(CW_DIR_MO, "10010", 300, W47_START_MS);
    cw_event_t from_staff = voice(CW_DIR_MT, "18611112222", 60, W47_START_MS + HOUR_MS);
    cw_event_t longer = voice(CW_DIR_MO, "100101", 60, W47_START_MS + HOUR_MS);
    cw_event_t fwd_to_service = voice(CW_DIR_FWD, "10010", 60, W47_START_MS + HOUR_MS);
    cw_sub_apply(&sub, &to_service, plan, OFFSET);
    cw_sub_apply(&sub, &from_staff, plan, OFFSET);
    cw_sub_apply(&sub, &longer, plan, OFFSET);
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &fwd_to_service, plan, OFFSET);
    ck_assert_uint_eq(agg->rival_service_calls, 2);
    ck_assert_uint_eq(agg->calls, 3);
    ck_assert_int_eq(agg->voice_s, 420);
}
END_TEST

START_TEST(forward_counts_local_days_not_utc_days)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int64_t mon_local = W47_START_MS + 18 * HOUR_MS; /* 2026-11-16T10:00Z, Mon 18:00 */
    int64_t tue_local = 1794848400000LL;             /* 2026-11-16T17:00Z, Tue 01:00 */
    cw_event_t a = voice(CW_DIR_FWD, "18600000001", 30, mon_local);
    cw_event_t b = voice(CW_DIR_FWD, "18600000002", 30, tue_local);
    cw_sub_apply(&sub, &a, plan, OFFSET);
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &b, plan, OFFSET);
    /* both are Monday in UTC; locally Monday and Tuesday */
    ck_assert_int_eq(cw_date_weekday(cw_week_local_day(tue_local, 0)), 0);
    ck_assert_uint_eq(agg->fwd_rival_days, 0x03);
    ck_assert_int_eq(cw_week_fwd_day_count(agg), 2);

    /* Tue 23:00 local: still Tuesday */
    cw_event_t c = voice(CW_DIR_FWD, "18600000003", 30, W47_START_MS + 47 * HOUR_MS);
    agg = cw_sub_apply(&sub, &c, plan, OFFSET);
    ck_assert_int_eq(cw_week_fwd_day_count(agg), 2);
    /* Wed 00:00 local (2026-11-17T16:00Z, still Tuesday in UTC): a third day */
    cw_event_t d = voice(CW_DIR_FWD, "18600000003", 30, W47_START_MS + 48 * HOUR_MS);
    agg = cw_sub_apply(&sub, &d, plan, OFFSET);
    ck_assert_uint_eq(agg->fwd_rival_days, 0x07);
    ck_assert_int_eq(cw_week_fwd_day_count(agg), 3);
    /* a forward is not the subscriber's own call */
    ck_assert_int_eq(agg->voice_s, 0);
    ck_assert_uint_eq(agg->calls, 0);
}
END_TEST

START_TEST(forward_to_ported_own_number_is_not_counted)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t ported = voice(CW_DIR_FWD, "18600000009", 30, W47_START_MS);
    cw_event_t own = voice(CW_DIR_FWD, "13800000001", 30, W47_START_MS + 30 * HOUR_MS);
    cw_event_t unknown =
        voice(CW_DIR_FWD, "17700000000", 30, W47_START_MS + 60 * HOUR_MS);
    cw_sub_apply(&sub, &ported, plan, OFFSET);
    cw_sub_apply(&sub, &own, plan, OFFSET);
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &unknown, plan, OFFSET);
    ck_assert_uint_eq(agg->fwd_rival_days, 0);
    ck_assert_int_eq(cw_week_fwd_day_count(agg), 0);
    /* Sunday local is bit 6 */
    cw_event_t sunday =
        voice(CW_DIR_FWD, "18600000001", 30, W47_START_MS + 6 * 24 * HOUR_MS);
    agg = cw_sub_apply(&sub, &sunday, plan, OFFSET);
    ck_assert_uint_eq(agg->fwd_rival_days, 0x40);
}
END_TEST

START_TEST(plan_downgrade_keeps_latest_evidence)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t up = event(CW_EV_PLAN_CHANGE, W47_START_MS);
    up.from_fee_fen = 5800;
    up.to_fee_fen = 12800;
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &up, plan, OFFSET);
    ck_assert(!agg->plan_downgrade);
    ck_assert_int_eq(agg->downgrade_from_fen, 0);

    cw_event_t same = event(CW_EV_PLAN_CHANGE, W47_START_MS);
    same.from_fee_fen = same.to_fee_fen = 5800;
    agg = cw_sub_apply(&sub, &same, plan, OFFSET);
    ck_assert(!agg->plan_downgrade);

    cw_event_t down = event(CW_EV_PLAN_CHANGE, W47_START_MS + HOUR_MS);
    down.from_fee_fen = 12800;
    down.to_fee_fen = 8800;
    agg = cw_sub_apply(&sub, &down, plan, OFFSET);
    ck_assert(agg->plan_downgrade);
    ck_assert_int_eq(agg->downgrade_from_fen, 12800);
    ck_assert_int_eq(agg->downgrade_to_fen, 8800);

    down.from_fee_fen = 8800;
    down.to_fee_fen = 3800;
    agg = cw_sub_apply(&sub, &down, plan, OFFSET);
    ck_assert_int_eq(agg->downgrade_from_fen, 8800);
    ck_assert_int_eq(agg->downgrade_to_fen, 3800);
    /* a later upgrade does not undo the week's downgrade */
    agg = cw_sub_apply(&sub, &up, plan, OFFSET);
    ck_assert(agg->plan_downgrade);
    ck_assert_int_eq(agg->downgrade_to_fen, 3800);
}
END_TEST

START_TEST(complaints_count_by_kind)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t ev = event(CW_EV_COMPLAINT, W47_START_MS);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev.serious = true;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev.serious = false;
    ev.overdue = true;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ev.serious = true;
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_uint_eq(agg->complaints, 4);
    ck_assert_uint_eq(agg->serious_complaints, 2);
    ck_assert_uint_eq(agg->overdue_complaints, 2);
    ck_assert_int_eq(agg->spend_fen, 0);
}
END_TEST

START_TEST(profile_replaces_only_the_fields_it_carries)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t full = event(CW_EV_PROFILE, W47_START_MS);
    full.has_tier = full.has_subsidy_end = full.has_contract_end = true;
    full.tier = CW_TIER_HIGH;
    full.subsidy_end = cw_date_from_civil(2027, 3, 31);
    full.contract_end = cw_date_from_civil(2026, 12, 10);
    const cw_week_agg_t *agg = cw_sub_apply(&sub, &full, plan, OFFSET);
    /* a profile event counts as an event in its week */
    ck_assert_ptr_nonnull(agg);
    ck_assert_int_eq(agg->week, w47);
    ck_assert_int_eq(sub.week_count, 1);
    ck_assert_int_eq(sub.tier, CW_TIER_HIGH);

    cw_event_t tier_only = event(CW_EV_PROFILE, W47_START_MS + 8 * 24 * HOUR_MS);
    tier_only.has_tier = true;
    tier_only.tier = CW_TIER_MID;
    agg = cw_sub_apply(&sub, &tier_only, plan, OFFSET);
    ck_assert_int_eq(agg->week, w47 + 1);
    ck_assert_int_eq(sub.week_count, 2);
    ck_assert_int_eq(sub.tier, CW_TIER_MID);
    ck_assert_int_eq(sub.subsidy_end, cw_date_from_civil(2027, 3, 31));
    ck_assert_int_eq(sub.contract_end, cw_date_from_civil(2026, 12, 10));

    cw_event_t clear = event(CW_EV_PROFILE, W47_START_MS);
    clear.has_subsidy_end = true; /* subsidy_end: null */
    cw_sub_apply(&sub, &clear, plan, OFFSET);
    ck_assert_int_eq(sub.tier, CW_TIER_MID);
    ck_assert_int_eq(sub.subsidy_end, CW_DAY_NONE);
    ck_assert_int_eq(sub.contract_end, cw_date_from_civil(2026, 12, 10));
}
END_TEST

START_TEST(week_boundary_is_local_midnight)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    /* both Sunday 2026-11-22 in UTC; locally Sunday 23:30 and Monday 00:30 */
    cw_event_t sunday = event(CW_EV_CHARGE, 1795363200000LL - HOUR_MS / 2);
    cw_event_t monday = event(CW_EV_CHARGE, 1795363200000LL + HOUR_MS / 2);
    sunday.charge_fen = 100;
    monday.charge_fen = 7;
    ck_assert_int_eq(cw_week_of_ms(sunday.ts_ms, 0), cw_week_of_ms(monday.ts_ms, 0));
    cw_week_agg_t *a = cw_sub_apply(&sub, &sunday, plan, OFFSET);
    ck_assert_int_eq(a->week, w47);
    cw_week_agg_t *b = cw_sub_apply(&sub, &monday, plan, OFFSET);
    ck_assert_int_eq(b->week, w47 + 1);
    ck_assert_int_eq(sub.week_count, 2);
    ck_assert_int_eq(sub.weeks[0].week, w47 + 1);
    ck_assert_int_eq(sub.weeks[0].spend_fen, 7);
    ck_assert_int_eq(sub.weeks[1].week, w47);
    ck_assert_int_eq(sub.weeks[1].spend_fen, 100);
}
END_TEST

START_TEST(sums_saturate_instead_of_wrapping)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_week_agg_t *agg = cw_sub_get_week(&sub, w47);
    agg->spend_fen = INT64_MAX - 5;
    agg->calls = UINT32_MAX;
    cw_event_t ev = voice(CW_DIR_MO, "13900000000", 10, W47_START_MS);
    ev.charge_fen = 100;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_int_eq(agg->spend_fen, INT64_MAX);
    ck_assert_uint_eq(agg->calls, UINT32_MAX);
    ck_assert_int_eq(agg->voice_s, 10);
}
END_TEST

/* ---- held weeks ---- */

START_TEST(weeks_are_kept_newest_first)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    static const int order[] = {5, 1, 9, 3, 7};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(cw_sub_get_week(&sub, 100 + order[i])->week, 100 + order[i]);
    ck_assert_int_eq(sub.week_count, 5);
    static const int want[] = {109, 107, 105, 103, 101};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(sub.weeks[i].week, want[i]);
    /* an existing week is returned, not duplicated */
    cw_week_agg_t *w105 = cw_sub_get_week(&sub, 105);
    w105->calls = 3;
    ck_assert_ptr_eq(cw_sub_get_week(&sub, 105), w105);
    ck_assert_int_eq(sub.week_count, 5);
    ck_assert_ptr_eq(cw_sub_find_week(&sub, 105), w105);
    ck_assert_ptr_null(cw_sub_find_week(&sub, 104));
    ck_assert_ptr_null(cw_sub_find_week(&sub, 110));
    ck_assert_ptr_null(cw_sub_find_week(&sub, 100));
}
END_TEST

START_TEST(full_state_evicts_the_oldest_week)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    for (int i = 0; i < CW_WEEKS_MAX; i++)
        cw_sub_get_week(&sub, 200 + 2 * i)->calls = (uint32_t)i;
    ck_assert_int_eq(sub.week_count, CW_WEEKS_MAX);
    ck_assert_int_eq(sub.weeks[CW_WEEKS_MAX - 1].week, 200);

    /* newer than all: 200 goes */
    cw_week_agg_t *agg = cw_sub_get_week(&sub, 240);
    ck_assert_ptr_eq(agg, &sub.weeks[0]);
    ck_assert_uint_eq(agg->calls, 0);
    ck_assert_int_eq(sub.week_count, CW_WEEKS_MAX);
    ck_assert_int_eq(sub.weeks[CW_WEEKS_MAX - 1].week, 202);
    ck_assert_ptr_null(cw_sub_find_week(&sub, 200));

    /* in between: the oldest (202) goes, order holds */
    agg = cw_sub_get_week(&sub, 221);
    ck_assert_int_eq(agg->week, 221);
    ck_assert_int_eq(sub.weeks[CW_WEEKS_MAX - 1].week, 204);
    for (int i = 1; i < sub.week_count; i++)
        ck_assert_int_gt(sub.weeks[i - 1].week, sub.weeks[i].week);
    ck_assert_uint_eq(cw_sub_find_week(&sub, 222)->calls, 11);

    /* older than every held week of a full state: refused, nothing changes */
    cw_sub_t before = sub;
    ck_assert_ptr_null(cw_sub_get_week(&sub, 203));
    ck_assert_int_eq(memcmp(&before, &sub, sizeof sub), 0);
    /* and apply reports it the same way */
    cw_event_t ev = event(CW_EV_CHARGE, cw_week_start_ms(150, OFFSET));
    ev.charge_fen = 1;
    ck_assert_ptr_null(cw_sub_apply(&sub, &ev, plan, OFFSET));
    /* a refused profile event changes nothing either */
    cw_event_t profile = event(CW_EV_PROFILE, cw_week_start_ms(150, OFFSET));
    profile.has_tier = true;
    profile.tier = CW_TIER_HIGH;
    ck_assert_ptr_null(cw_sub_apply(&sub, &profile, plan, OFFSET));
    ck_assert_int_eq(memcmp(&before, &sub, sizeof sub), 0);
}
END_TEST

START_TEST(drop_before_removes_old_weeks_only)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    for (int w = 10; w < 15; w++)
        cw_sub_get_week(&sub, w)->calls = 1;
    cw_sub_drop_before(&sub, 12);
    ck_assert_int_eq(sub.week_count, 3);
    ck_assert_int_eq(sub.weeks[2].week, 12);
    ck_assert_ptr_null(cw_sub_find_week(&sub, 11));
    cw_sub_drop_before(&sub, 12);
    ck_assert_int_eq(sub.week_count, 3);
    cw_sub_drop_before(&sub, 100);
    ck_assert_int_eq(sub.week_count, 0);
}
END_TEST

START_TEST(an_event_clears_the_no_event_mark_of_its_week)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_week_agg_t *made = cw_sub_get_week(&sub, w47);
    made->no_event = true; /* as a week close leaves it for a silent subscriber */
    cw_sub_get_week(&sub, w47 - 1)->no_event = true;
    cw_event_t ev = event(CW_EV_SMS, W47_START_MS + HOUR_MS);
    ev.direction = CW_DIR_MO;
    strcpy(ev.peer, "10086");
    cw_week_agg_t *agg = cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_ptr_nonnull(agg);
    ck_assert_int_eq(agg->week, w47);
    ck_assert(!agg->no_event);
    ck_assert(cw_sub_find_week(&sub, w47 - 1)->no_event);
}
END_TEST

/* ---- the churn mark (SPEC section 10) ---- */

static cw_event_t churn(int64_t ts_ms)
{
    cw_event_t ev = event(CW_EV_CHURN, ts_ms);
    ev.churn_kind = CW_CHURN_PORT_OUT;
    strcpy(ev.to_operator, "unicom");
    return ev;
}

static cw_event_t profile_at(int64_t ts_ms, cw_tier_t tier)
{
    cw_event_t ev = event(CW_EV_PROFILE, ts_ms);
    ev.has_tier = true;
    ev.tier = tier;
    return ev;
}

START_TEST(churn_counts_in_its_week_and_sets_the_mark)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    ck_assert(!cw_sub_churned(&sub));
    ck_assert_int_eq(cw_sub_churn_ts(&sub), 0);
    cw_week_agg_t *made = cw_sub_get_week(&sub, w47);
    made->no_event = true;
    cw_event_t ev = churn(W47_START_MS + HOUR_MS);
    cw_week_agg_t *agg = cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_ptr_nonnull(agg);
    ck_assert_int_eq(agg->week, w47);
    ck_assert(!agg->no_event); /* an event like any other in its week */
    ck_assert(cw_sub_churned(&sub));
    ck_assert_int_eq(cw_sub_churn_ts(&sub), W47_START_MS + HOUR_MS);
    ck_assert_int_eq(sub.month_count, 1);
    ck_assert_int_eq(sub.months[0].month, NOV_2026);
}
END_TEST

START_TEST(second_churn_while_marked_changes_only_aggregates)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t first = churn(W47_START_MS + HOUR_MS);
    cw_sub_apply(&sub, &first, plan, OFFSET);
    /* dated earlier or later, in another week: the mark keeps the first */
    cw_event_t earlier = churn(W47_START_MS - 24 * HOUR_MS);
    earlier.churn_kind = CW_CHURN_CANCEL;
    cw_week_agg_t *agg = cw_sub_apply(&sub, &earlier, plan, OFFSET);
    ck_assert_int_eq(agg->week, w47 - 1);
    cw_event_t later = churn(W47_START_MS + 30 * HOUR_MS);
    cw_sub_apply(&sub, &later, plan, OFFSET);
    ck_assert(cw_sub_churned(&sub));
    ck_assert_int_eq(cw_sub_churn_ts(&sub), W47_START_MS + HOUR_MS);
    ck_assert_int_eq(sub.week_count, 2);
}
END_TEST

START_TEST(profile_dated_after_the_churn_clears_the_mark)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int64_t at = W47_START_MS + 10 * HOUR_MS;
    cw_event_t ev = churn(at);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    /* a profile one millisecond later: recycled or won back */
    cw_event_t won_back = profile_at(at + 1, CW_TIER_MID);
    cw_sub_apply(&sub, &won_back, plan, OFFSET);
    ck_assert(!cw_sub_churned(&sub));
    ck_assert_int_eq(cw_sub_churn_ts(&sub), 0);
    ck_assert_int_eq(sub.tier, CW_TIER_MID);
    /* and a churn after that marks again, with its own time */
    ev = churn(at + 5 * HOUR_MS);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert(cw_sub_churned(&sub));
    ck_assert_int_eq(cw_sub_churn_ts(&sub), at + 5 * HOUR_MS);
}
END_TEST

START_TEST(profile_dated_at_or_before_the_churn_keeps_the_mark)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int64_t at = W47_START_MS + 10 * HOUR_MS;
    cw_event_t ev = churn(at);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    /* arriving after the churn but dated before it: profile updated, mark kept */
    cw_event_t late = profile_at(at - 1, CW_TIER_HIGH);
    late.has_contract_end = true;
    late.contract_end = cw_date_from_civil(2027, 1, 31);
    cw_sub_apply(&sub, &late, plan, OFFSET);
    ck_assert(cw_sub_churned(&sub));
    ck_assert_int_eq(sub.tier, CW_TIER_HIGH);
    ck_assert_int_eq(sub.contract_end, cw_date_from_civil(2027, 1, 31));
    /* dated the same millisecond: not later, the mark stays */
    cw_event_t same = profile_at(at, CW_TIER_LOW);
    cw_sub_apply(&sub, &same, plan, OFFSET);
    ck_assert(cw_sub_churned(&sub));
    ck_assert_int_eq(sub.tier, CW_TIER_LOW);
    ck_assert_int_eq(cw_sub_churn_ts(&sub), at);
    /* other events never clear it */
    cw_event_t call = voice(CW_DIR_MO, "13900000000", 60, at + 24 * HOUR_MS);
    cw_sub_apply(&sub, &call, plan, OFFSET);
    ck_assert(cw_sub_churned(&sub));
}
END_TEST

START_TEST(refused_churn_sets_no_mark)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    for (int i = 0; i < CW_WEEKS_MAX; i++)
        cw_sub_get_week(&sub, w47 - i)->calls = 1;
    cw_sub_t before = sub;
    cw_event_t old = churn(cw_week_start_ms(w47 - CW_WEEKS_MAX, OFFSET));
    ck_assert_ptr_null(cw_sub_apply(&sub, &old, plan, OFFSET));
    ck_assert(!cw_sub_churned(&sub));
    ck_assert_int_eq(memcmp(&before, &sub, sizeof sub), 0);
}
END_TEST

/* ---- monthly aggregates (SPEC section 14) ---- */

START_TEST(month_sums_spend_voice_and_calls)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t call = voice(CW_DIR_MO, "13900000000", 120, W47_START_MS);
    call.charge_fen = 30;
    cw_event_t fwd = voice(CW_DIR_FWD, "13900000000", 40, W47_START_MS + HOUR_MS);
    cw_event_t data = event(CW_EV_DATA, W47_START_MS + 2 * HOUR_MS);
    data.charge_fen = 500;
    cw_event_t fee = event(CW_EV_SUBSCRIBE, W47_START_MS + 3 * HOUR_MS);
    fee.fee_fen = 1500; /* a subscription's fee is not spend */
    cw_sub_apply(&sub, &call, plan, OFFSET);
    cw_sub_apply(&sub, &fwd, plan, OFFSET);
    cw_sub_apply(&sub, &data, plan, OFFSET);
    cw_sub_apply(&sub, &fee, plan, OFFSET);
    const cw_month_agg_t *m = cw_sub_find_month(&sub, NOV_2026);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->spend_fen, 530);
    ck_assert_int_eq(m->voice_s, 120);
    ck_assert_uint_eq(m->calls, 1);
    ck_assert_uint_eq(m->fwd_calls, 1);
    ck_assert_uint_eq(m->new_services, 1);
    /* the weeks agree on what they share */
    ck_assert_int_eq(cw_sub_find_week(&sub, w47)->spend_fen, 530);
}
END_TEST

START_TEST(month_counts_forwards_to_any_peer)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    static const char *const peers[] = {"18600000001", "13800000001", "17700000000",
                                        "10010"};
    for (int i = 0; i < 4; i++) {
        cw_event_t fwd = voice(CW_DIR_FWD, peers[i], 10, W47_START_MS + i * HOUR_MS);
        cw_sub_apply(&sub, &fwd, plan, OFFSET);
    }
    const cw_month_agg_t *m = cw_sub_find_month(&sub, NOV_2026);
    ck_assert_uint_eq(m->fwd_calls, 4);
    ck_assert_uint_eq(m->calls, 0);
    ck_assert_uint_eq(m->rival_service_calls, 0); /* a forward is not a call */
    ck_assert_uint_eq(m->own_service_calls, 0);
}
END_TEST

START_TEST(month_counts_own_and_rival_service_calls)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t own_mo = voice(CW_DIR_MO, "10086", 300, W47_START_MS);
    cw_event_t own_mt = voice(CW_DIR_MT, "10086", 60, W47_START_MS + HOUR_MS);
    cw_event_t own_longer = voice(CW_DIR_MO, "100861", 60, W47_START_MS + HOUR_MS);
    cw_event_t rival = voice(CW_DIR_MO, "10010", 60, W47_START_MS + HOUR_MS);
    cw_event_t staff = voice(CW_DIR_MT, "18611112222", 60, W47_START_MS + HOUR_MS);
    cw_event_t sms = event(CW_EV_SMS, W47_START_MS + HOUR_MS);
    strcpy(sms.peer, "10086"); /* texts are not calls */
    const cw_event_t *evs[] = {&own_mo, &own_mt, &own_longer, &rival, &staff, &sms};
    for (int i = 0; i < 6; i++)
        cw_sub_apply(&sub, evs[i], plan, OFFSET);
    const cw_month_agg_t *m = cw_sub_find_month(&sub, NOV_2026);
    ck_assert_uint_eq(m->own_service_calls, 2);
    ck_assert_uint_eq(m->rival_service_calls, 2);
    ck_assert_uint_eq(m->calls, 5);
}
END_TEST

START_TEST(month_counts_crm_and_billing_events)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int64_t t = W47_START_MS;
    cw_event_t ev = event(CW_EV_COMPLAINT, t);
    ev.serious = true;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    static const cw_channel_t channels[] = {CW_CHANNEL_VIP, CW_CHANNEL_HALL, CW_CHANNEL_VIP,
                                            CW_CHANNEL_HOTLINE};
    for (int i = 0; i < 4; i++) {
        ev = event(CW_EV_SERVICE, t + i);
        ev.channel = channels[i];
        cw_sub_apply(&sub, &ev, plan, OFFSET);
    }
    static const cw_suspend_reason_t reasons[] = {CW_SUSPEND_ARREARS, CW_SUSPEND_REQUEST,
                                                  CW_SUSPEND_LOSS_REPORT, CW_SUSPEND_ARREARS};
    for (int i = 0; i < 4; i++) {
        ev = event(CW_EV_SUSPEND, t + i);
        ev.suspend_reason = reasons[i];
        cw_sub_apply(&sub, &ev, plan, OFFSET);
    }
    static const int levels[] = {2, 1, 3, 2};
    const cw_month_agg_t *m = NULL;
    for (int i = 0; i < 4; i++) {
        ev = event(CW_EV_FAULT, t + i);
        ev.fault_level = levels[i];
        cw_sub_apply(&sub, &ev, plan, OFFSET);
        m = cw_sub_find_month(&sub, NOV_2026);
        ck_assert_uint_eq(m->fault_level, i < 2 ? 2 : 3); /* the highest */
    }
    ev = event(CW_EV_PLAN_CHANGE, t);
    ev.from_fee_fen = 5800;
    ev.to_fee_fen = 12800;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert(!m->plan_downgrade);
    ev.from_fee_fen = 12800;
    ev.to_fee_fen = 5800;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_uint_eq(m->complaints, 2);
    ck_assert_uint_eq(m->vip_services, 2);
    ck_assert_uint_eq(m->arrears_stops, 2);
    ck_assert(m->plan_downgrade);
    ck_assert_int_eq(sub.month_count, 1);
}
END_TEST

START_TEST(month_vas_fen_counts_vas_items_only)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_event_t vas = event(CW_EV_CHARGE, W47_START_MS);
    vas.charge_fen = 990;
    vas.vas_item = true;
    cw_event_t rental = event(CW_EV_CHARGE, W47_START_MS + HOUR_MS);
    rental.charge_fen = 5800;
    cw_event_t call = voice(CW_DIR_MO, "13900000000", 60, W47_START_MS + HOUR_MS);
    call.charge_fen = 20;
    cw_sub_apply(&sub, &vas, plan, OFFSET);
    cw_sub_apply(&sub, &vas, plan, OFFSET);
    cw_sub_apply(&sub, &rental, plan, OFFSET);
    cw_sub_apply(&sub, &call, plan, OFFSET);
    const cw_month_agg_t *m = cw_sub_find_month(&sub, NOV_2026);
    ck_assert_int_eq(m->vas_fen, 1980);
    ck_assert_int_eq(m->spend_fen, 1980 + 5800 + 20);
}
END_TEST

static cw_event_t arrears(int64_t ts_ms, int64_t owed, int64_t months)
{
    cw_event_t ev = event(CW_EV_ARREARS, ts_ms);
    ev.owed_fen = owed;
    ev.months_owed = months;
    return ev;
}

START_TEST(month_keeps_the_latest_dated_arrears)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int64_t t = W47_START_MS;
    const cw_month_agg_t *m;
    cw_event_t ev = arrears(t, 15800, 2);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    m = cw_sub_find_month(&sub, NOV_2026);
    ck_assert(m->has_arrears);
    ck_assert_int_eq(m->owed_fen, 15800);
    ck_assert_uint_eq(m->months_owed, 2);
    ck_assert_int_eq(m->arrears_ts_ms, t);
    /* dated earlier, arriving later: the month keeps the later-dated figures */
    ev = arrears(t - HOUR_MS, 99, 9);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_int_eq(m->owed_fen, 15800);
    ck_assert_uint_eq(m->months_owed, 2);
    /* paid off later: zero owed is a figure too */
    ev = arrears(t + HOUR_MS, 0, 0);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert(m->has_arrears);
    ck_assert_int_eq(m->owed_fen, 0);
    ck_assert_uint_eq(m->months_owed, 0);
    /* dated the same millisecond: the one applied later wins */
    ev = arrears(t + HOUR_MS, 700, 1);
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    ck_assert_int_eq(m->owed_fen, 700);
    ck_assert_uint_eq(m->months_owed, 1);
    ck_assert_int_eq(m->arrears_ts_ms, t + HOUR_MS);
    /* without an arrears event a month owes nothing */
    cw_event_t next_month = arrears(DEC_START_MS, 1, 1);
    next_month.type = CW_EV_DATA;
    cw_sub_apply(&sub, &next_month, plan, OFFSET);
    const cw_month_agg_t *dec = cw_sub_find_month(&sub, NOV_2026 + 1);
    ck_assert(!dec->has_arrears);
    ck_assert_int_eq(dec->owed_fen, 0);
    ck_assert_uint_eq(dec->months_owed, 0);
}
END_TEST

START_TEST(month_boundary_is_local_midnight_of_the_first)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    /* both 2026-11-30 in UTC; locally Nov 30 23:59:59.999 and Dec 1 00:00 */
    cw_event_t last = event(CW_EV_CHARGE, DEC_START_MS - 1);
    cw_event_t first = event(CW_EV_CHARGE, DEC_START_MS);
    last.charge_fen = 100;
    first.charge_fen = 7;
    ck_assert_int_eq(cw_month_of_ms(last.ts_ms, 0), cw_month_of_ms(first.ts_ms, 0));
    cw_sub_apply(&sub, &last, plan, OFFSET);
    cw_sub_apply(&sub, &first, plan, OFFSET);
    ck_assert_int_eq(sub.month_count, 2);
    ck_assert_int_eq(sub.months[0].month, NOV_2026 + 1);
    ck_assert_int_eq(sub.months[0].spend_fen, 7);
    ck_assert_int_eq(sub.months[1].month, NOV_2026);
    ck_assert_int_eq(sub.months[1].spend_fen, 100);
    /* both in the same ISO week (Monday 2026-11-30 local) */
    ck_assert_int_eq(sub.week_count, 1);
}
END_TEST

START_TEST(month_sums_saturate)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    cw_month_agg_t *m = cw_sub_get_month(&sub, NOV_2026);
    m->spend_fen = INT64_MAX - 5;
    m->vas_fen = INT64_MAX - 5;
    m->calls = UINT32_MAX;
    m->new_services = UINT32_MAX;
    cw_event_t ev = event(CW_EV_CHARGE, W47_START_MS);
    ev.charge_fen = 100;
    ev.vas_item = true;
    cw_sub_apply(&sub, &ev, plan, OFFSET);
    cw_event_t call = voice(CW_DIR_MO, "13900000000", 10, W47_START_MS);
    cw_sub_apply(&sub, &call, plan, OFFSET);
    cw_event_t sub_ev = event(CW_EV_SUBSCRIBE, W47_START_MS);
    cw_sub_apply(&sub, &sub_ev, plan, OFFSET);
    m = &sub.months[0];
    ck_assert_int_eq(m->spend_fen, INT64_MAX);
    ck_assert_int_eq(m->vas_fen, INT64_MAX);
    ck_assert_uint_eq(m->calls, UINT32_MAX);
    ck_assert_uint_eq(m->new_services, UINT32_MAX);
}
END_TEST

START_TEST(months_are_kept_newest_first_and_the_oldest_makes_room)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    static const int order[] = {5, 1, 9, 3, 7, 2, 8, 4};
    for (int i = 0; i < 8; i++)
        cw_sub_get_month(&sub, order[i])->calls = (uint32_t)order[i];
    ck_assert_int_eq(sub.month_count, CW_MONTHS_MAX);
    static const int32_t want[] = {9, 8, 7, 5, 4, 3, 2, 1};
    for (int i = 0; i < CW_MONTHS_MAX; i++)
        ck_assert_int_eq(sub.months[i].month, want[i]);
    /* full: a newer month pushes the oldest out; an older one is refused */
    cw_sub_get_month(&sub, 10)->calls = 10;
    ck_assert_int_eq(sub.month_count, CW_MONTHS_MAX);
    ck_assert_ptr_null(cw_sub_find_month(&sub, 1));
    ck_assert_int_eq(sub.months[0].month, 10);
    ck_assert_ptr_null(cw_sub_get_month(&sub, 0));
    /* a month between the held ones pushes the oldest out too */
    cw_sub_get_month(&sub, 6);
    ck_assert_ptr_null(cw_sub_find_month(&sub, 2));
    ck_assert_uint_eq(cw_sub_find_month(&sub, 6)->calls, 0);
    ck_assert_uint_eq(cw_sub_find_month(&sub, 7)->calls, 7);
    /* existing months are found, not made again */
    ck_assert_ptr_eq(cw_sub_get_month(&sub, 8), cw_sub_find_month(&sub, 8));
}
END_TEST

START_TEST(an_event_older_than_every_held_month_counts_in_its_week_only)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    int32_t nov = NOV_2026;
    for (int i = 0; i < CW_MONTHS_MAX; i++)
        cw_sub_get_month(&sub, nov - i)->calls = 1;
    cw_event_t old = event(CW_EV_CHARGE, cw_month_start_ms(nov - CW_MONTHS_MAX, OFFSET));
    old.charge_fen = 50;
    cw_week_agg_t *agg = cw_sub_apply(&sub, &old, plan, OFFSET);
    ck_assert_ptr_nonnull(agg);
    ck_assert_int_eq(agg->spend_fen, 50);
    ck_assert_int_eq(sub.month_count, CW_MONTHS_MAX);
    ck_assert_ptr_null(cw_sub_find_month(&sub, nov - CW_MONTHS_MAX));
}
END_TEST

START_TEST(drop_months_before_removes_old_months_only)
{
    cw_sub_t sub;
    cw_sub_init(&sub);
    for (int m = 10; m < 15; m++)
        cw_sub_get_month(&sub, m)->calls = 1;
    cw_sub_drop_months_before(&sub, 12);
    ck_assert_int_eq(sub.month_count, 3);
    ck_assert_int_eq(sub.months[2].month, 12);
    ck_assert_ptr_null(cw_sub_find_month(&sub, 11));
    cw_sub_drop_months_before(&sub, 12);
    ck_assert_int_eq(sub.month_count, 3);
    cw_sub_drop_months_before(&sub, 100);
    ck_assert_int_eq(sub.month_count, 0);
    /* the weeks are not the months' business */
    ck_assert_int_eq(sub.week_count, 0);
    cw_sub_t fresh;
    cw_sub_init(&fresh);
    ck_assert_int_eq(memcmp(&sub, &fresh, sizeof sub), 0);
}
END_TEST

static Suite *agg_suite(void)
{
    Suite *s = suite_create("agg");
    TCase *tc = tcase_create("aggregates");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fresh_subscriber_has_no_profile_and_no_weeks);
    tcase_add_test(tc, spend_sums_charge_of_every_event);
    tcase_add_test(tc, voice_mo_and_mt_count_calls_and_seconds);
    tcase_add_test(tc, calls_to_rival_service_numbers_are_counted);
    tcase_add_test(tc, plan_downgrade_keeps_latest_evidence);
    tcase_add_test(tc, complaints_count_by_kind);
    tcase_add_test(tc, profile_replaces_only_the_fields_it_carries);
    tcase_add_test(tc, sums_saturate_instead_of_wrapping);
    tcase_add_test(tc, an_event_clears_the_no_event_mark_of_its_week);
    suite_add_tcase(s, tc);

    tc = tcase_create("local_time");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, forward_counts_local_days_not_utc_days);
    tcase_add_test(tc, forward_to_ported_own_number_is_not_counted);
    tcase_add_test(tc, week_boundary_is_local_midnight);
    suite_add_tcase(s, tc);

    tc = tcase_create("weeks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, weeks_are_kept_newest_first);
    tcase_add_test(tc, full_state_evicts_the_oldest_week);
    tcase_add_test(tc, drop_before_removes_old_weeks_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("churn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, churn_counts_in_its_week_and_sets_the_mark);
    tcase_add_test(tc, second_churn_while_marked_changes_only_aggregates);
    tcase_add_test(tc, profile_dated_after_the_churn_clears_the_mark);
    tcase_add_test(tc, profile_dated_at_or_before_the_churn_keeps_the_mark);
    tcase_add_test(tc, refused_churn_sets_no_mark);
    suite_add_tcase(s, tc);

    tc = tcase_create("months");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, month_sums_spend_voice_and_calls);
    tcase_add_test(tc, month_counts_forwards_to_any_peer);
    tcase_add_test(tc, month_counts_own_and_rival_service_calls);
    tcase_add_test(tc, month_counts_crm_and_billing_events);
    tcase_add_test(tc, month_vas_fen_counts_vas_items_only);
    tcase_add_test(tc, month_keeps_the_latest_dated_arrears);
    tcase_add_test(tc, month_boundary_is_local_midnight_of_the_first);
    tcase_add_test(tc, month_sums_saturate);
    tcase_add_test(tc, months_are_kept_newest_first_and_the_oldest_makes_room);
    tcase_add_test(tc, an_event_older_than_every_held_month_counts_in_its_week_only);
    tcase_add_test(tc, drop_months_before_removes_old_months_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(agg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
