/* Check suite for subcodec.c: round trips, the size a typical subscriber
 * costs in Redis, states written by the previous version, and decoding that
 * survives any bytes. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "date.h"
#include "month.h"
#include "rules.h"
#include "subcodec.h"

static void assert_week_eq(const cw_week_agg_t *a, const cw_week_agg_t *b)
{
    ck_assert_int_eq(a->week, b->week);
    ck_assert_int_eq(a->spend_fen, b->spend_fen);
    ck_assert_int_eq(a->voice_s, b->voice_s);
    ck_assert_uint_eq(a->calls, b->calls);
    ck_assert_uint_eq(a->rival_service_calls, b->rival_service_calls);
    ck_assert_uint_eq(a->complaints, b->complaints);
    ck_assert_uint_eq(a->serious_complaints, b->serious_complaints);
    ck_assert_uint_eq(a->overdue_complaints, b->overdue_complaints);
    ck_assert_uint_eq(a->fwd_rival_days, b->fwd_rival_days);
    ck_assert_int_eq(a->plan_downgrade, b->plan_downgrade);
    ck_assert_int_eq(a->downgrade_from_fen, b->downgrade_from_fen);
    ck_assert_int_eq(a->downgrade_to_fen, b->downgrade_to_fen);
    ck_assert_uint_eq(a->published_level, b->published_level);
    ck_assert_uint_eq(a->published_triggers, b->published_triggers);
    ck_assert_int_eq(a->no_event, b->no_event);
}

static void assert_month_eq(const cw_month_agg_t *a, const cw_month_agg_t *b)
{
    ck_assert_int_eq(a->month, b->month);
    ck_assert_int_eq(a->spend_fen, b->spend_fen);
    ck_assert_int_eq(a->voice_s, b->voice_s);
    ck_assert_uint_eq(a->calls, b->calls);
    ck_assert_int_eq(a->vas_fen, b->vas_fen);
    ck_assert_uint_eq(a->fwd_calls, b->fwd_calls);
    ck_assert_uint_eq(a->own_service_calls, b->own_service_calls);
    ck_assert_uint_eq(a->complaints, b->complaints);
    ck_assert_uint_eq(a->rival_service_calls, b->rival_service_calls);
    ck_assert_uint_eq(a->vip_services, b->vip_services);
    ck_assert_uint_eq(a->fault_level, b->fault_level);
    ck_assert_uint_eq(a->arrears_stops, b->arrears_stops);
    ck_assert_uint_eq(a->new_services, b->new_services);
    ck_assert_int_eq(a->plan_downgrade, b->plan_downgrade);
    ck_assert_int_eq(a->has_arrears, b->has_arrears);
    ck_assert_int_eq(a->arrears_ts_ms, b->arrears_ts_ms);
    ck_assert_int_eq(a->owed_fen, b->owed_fen);
    ck_assert_uint_eq(a->months_owed, b->months_owed);
}

static void assert_sub_eq(const cw_sub_t *a, const cw_sub_t *b)
{
    ck_assert_int_eq(a->tier, b->tier);
    ck_assert_int_eq(a->subsidy_end, b->subsidy_end);
    ck_assert_int_eq(a->contract_end, b->contract_end);
    ck_assert_int_eq(a->churned, b->churned);
    ck_assert_int_eq(a->churn_ts_ms, b->churn_ts_ms);
    ck_assert_int_eq(a->week_count, b->week_count);
    for (int i = 0; i < a->week_count; i++)
        assert_week_eq(&a->weeks[i], &b->weeks[i]);
    ck_assert_int_eq(a->month_count, b->month_count);
    for (int i = 0; i < a->month_count; i++)
        assert_month_eq(&a->months[i], &b->months[i]);
}

static void assert_fresh(const cw_sub_t *sub)
{
    cw_sub_t fresh;
    cw_sub_init(&fresh);
    assert_sub_eq(sub, &fresh);
}

/* A mid-tier subscriber with 9 weeks of ordinary use and one alert. */
static void typical_sub(cw_sub_t *sub)
{
    cw_sub_init(sub);
    sub->tier = CW_TIER_HIGH;
    sub->subsidy_end = cw_date_from_civil(2027, 3, 31);
    sub->contract_end = cw_date_from_civil(2026, 12, 10);
    int32_t newest = 2916; /* 2026-W47 */
    for (int i = 8; i >= 0; i--) {
        cw_week_agg_t *agg = cw_sub_get_week(sub, newest - i);
        agg->spend_fen = 9000 + 731 * i;
        agg->voice_s = 2400 + 397 * i;
        agg->calls = (uint32_t)(40 + 5 * i);
        agg->complaints = i == 1 ? 1 : 0;
    }
    cw_week_agg_t *last = &sub->weeks[0];
    last->spend_fen = 3800;
    last->complaints = 2;
    last->serious_complaints = 1;
    last->rival_service_calls = 2;
    last->fwd_rival_days = 0x15;
    last->plan_downgrade = true;
    last->downgrade_from_fen = 12800;
    last->downgrade_to_fen = 5800;
    last->published_level = CW_LEVEL_RED;
    last->published_triggers =
        CW_TRIG_BIT(CW_TRIG_COMPLAINTS) | CW_TRIG_BIT(CW_TRIG_FWD_RIVAL);
}

/* Seven active months of a mid/high-end subscriber (SPEC section 14): about
 * 450 yuan and 400 minutes a month in ~280 calls, a value-added service
 * every month, a few forwards and calls to the service centre, one
 * complaint, one fault ticket and one new service in the half year. */
static void typical_months(cw_sub_t *sub)
{
    int32_t newest = cw_month_of_day(cw_date_from_civil(2026, 11, 20));
    for (int i = 6; i >= 0; i--) {
        cw_month_agg_t *m = cw_sub_get_month(sub, newest - i);
        m->spend_fen = 45000 + 1371 * i;
        m->voice_s = 24000 + 913 * i;
        m->calls = (uint32_t)(280 + 7 * i);
        m->vas_fen = 1500;
        m->fwd_calls = i % 3 == 0 ? 2 : 0;
        m->own_service_calls = i % 2;
        m->complaints = i == 1 ? 1 : 0;
        m->fault_level = i == 2 ? 2 : 0;
        m->new_services = i == 4 ? 1 : 0;
    }
}

/* The largest values the codec keeps, in every field of every week. */
static void extreme_sub(cw_sub_t *sub)
{
    cw_sub_init(sub);
    sub->tier = CW_TIER_MID;
    sub->subsidy_end = INT32_MAX;
    sub->contract_end = INT32_MIN + 1;
    const int64_t sum_max = (INT64_C(1) << 49) - 1;
    for (int i = 0; i < CW_WEEKS_MAX; i++) {
        /* gaps as wide as int32 allows */
        int32_t week = i == 0 ? INT32_MAX : INT32_MIN + (CW_WEEKS_MAX - 1 - i);
        cw_week_agg_t *agg = &sub->weeks[i];
        agg->week = week;
        agg->spend_fen = sum_max;
        agg->voice_s = sum_max;
        agg->calls = agg->rival_service_calls = agg->complaints = UINT32_MAX;
        agg->serious_complaints = agg->overdue_complaints = UINT32_MAX;
        agg->fwd_rival_days = 0x7f;
        agg->plan_downgrade = true;
        agg->downgrade_from_fen = agg->downgrade_to_fen = sum_max;
        agg->published_level = CW_LEVEL_RED;
        agg->published_triggers = 0x7f;
        agg->no_event = true;
    }
    sub->week_count = CW_WEEKS_MAX;
    sub->churned = true;
    sub->churn_ts_ms = CW_MAX_TS_MS;
    for (int i = 0; i < CW_MONTHS_MAX; i++) {
        int32_t month = i == 0 ? INT32_MAX : INT32_MIN + (CW_MONTHS_MAX - 1 - i);
        cw_month_agg_t *m = &sub->months[i];
        m->month = month;
        m->spend_fen = m->voice_s = m->vas_fen = m->owed_fen = sum_max;
        m->calls = m->fwd_calls = m->own_service_calls = m->complaints = UINT32_MAX;
        m->rival_service_calls = m->vip_services = m->arrears_stops = UINT32_MAX;
        m->new_services = m->months_owed = UINT32_MAX;
        m->fault_level = 3;
        m->plan_downgrade = true;
        m->has_arrears = true;
        m->arrears_ts_ms = CW_MAX_TS_MS;
    }
    sub->month_count = CW_MONTHS_MAX;
}

/* ---- round trips ---- */

START_TEST(fresh_state_round_trips_in_three_bytes)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_uint_eq(len, 3);
    ck_assert_uint_eq(buf[0], 2); /* version */
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_fresh(&back);
}
END_TEST

START_TEST(empty_input_is_a_fresh_state)
{
    cw_sub_t sub;
    typical_sub(&sub);
    ck_assert_int_eq(cw_sub_decode(&sub, NULL, 0), 0);
    assert_fresh(&sub);
}
END_TEST

START_TEST(typical_state_round_trips)
{
    cw_sub_t sub, back;
    typical_sub(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
}
END_TEST

/* SPEC section 14 months on top of the weekly state: the measure the
 * README's memory figures and the design's budget (~100 bytes) rest on. */
START_TEST(typical_seven_months_cost_under_100_bytes_more)
{
    cw_sub_t sub;
    typical_sub(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t weeks_only = cw_sub_encode(&sub, buf, sizeof buf);
    typical_months(&sub);
    ck_assert_int_eq(sub.month_count, 7);
    size_t with_months = cw_sub_encode(&sub, buf, sizeof buf);
    size_t growth = with_months - weeks_only;
    fprintf(stderr, "subcodec: 9 weeks %zu bytes; with 7 months %zu (+%zu, %.1f a month)\n",
            weeks_only, with_months, growth, growth / 7.0);
    ck_assert_uint_le(growth, 100);
    ck_assert_uint_ge(growth, 7 * 8);
    /* a churned subscriber costs a few bytes more, not a month's worth */
    sub.churned = true;
    sub.churn_ts_ms = 1795312800000LL;
    ck_assert_uint_le(cw_sub_encode(&sub, buf, sizeof buf), with_months + 7);
}
END_TEST

START_TEST(typical_nine_weeks_cost_under_100_bytes)
{
    cw_sub_t sub;
    typical_sub(&sub);
    ck_assert_int_eq(sub.week_count, 9);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    /* 85 bytes today; the budget is 150 */
    ck_assert_uint_le(len, 100);
    ck_assert_uint_ge(len, 60);
}
END_TEST

START_TEST(typical_state_with_months_and_churn_round_trips)
{
    cw_sub_t sub, back;
    typical_sub(&sub);
    typical_months(&sub);
    sub.churned = true;
    sub.churn_ts_ms = 1795312800000LL;
    cw_month_agg_t *m = &sub.months[0];
    m->rival_service_calls = 3;
    m->vip_services = 1;
    m->arrears_stops = 2;
    m->plan_downgrade = true;
    m->has_arrears = true;
    m->arrears_ts_ms = 1795312800123LL;
    m->owed_fen = 15800;
    m->months_owed = 2;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
}
END_TEST

/* The churn mark: a flag bit and the churn's time, nothing when not set. */
START_TEST(churn_mark_round_trips_and_costs_nothing_unset)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t plain = cw_sub_encode(&sub, buf, sizeof buf);
    sub.churned = true;
    sub.churn_ts_ms = 0; /* a churn at the epoch is still a churn */
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_uint_eq(len, plain + 1);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    ck_assert(back.churned);
    ck_assert_int_eq(back.churn_ts_ms, 0);
    sub.churn_ts_ms = 1795312800000LL;
    len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    ck_assert(back.churned);
    ck_assert_int_eq(back.churn_ts_ms, 1795312800000LL);
}
END_TEST

/* A month made by an event that adds to no monthly figure still exists. */
START_TEST(an_empty_month_round_trips)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    cw_sub_get_month(&sub, 682);
    cw_sub_get_month(&sub, 679)->fault_level = 1;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
    ck_assert_int_eq(back.month_count, 2);
    ck_assert_int_eq(back.months[1].month, 679);
}
END_TEST

/* What a state written before the churn mark and the months (format
 * version 1) looked like: these bytes are what the encoder wrote then, for
 * a high-tier subscriber with subsidy and contract ends, four weeks of use
 * (the newest with every trigger's figures and a red alert) and a week
 * after them that a week close made (blue, no event). */
static const uint8_t v1_state[] = {
    0x01, 0x0f, 0xd8, 0xc6, 0x02, 0xfa, 0xc4, 0x02, 0x05, 0xca, 0x2d, 0x80, 0x14, 0x01,
    0x00, 0xff, 0x0f, 0xa8, 0x46, 0xe0, 0x12, 0x28, 0x03, 0x02, 0x01, 0x01, 0x15, 0x80,
    0x64, 0xa8, 0x2d, 0x03, 0x03, 0x00, 0x07, 0x83, 0x4c, 0xed, 0x15, 0x2d, 0x00, 0x07,
    0xde, 0x51, 0xfa, 0x18, 0x32, 0x00, 0x07, 0xb9, 0x57, 0x87, 0x1c, 0x37,
};

START_TEST(version_1_state_still_decodes)
{
    cw_sub_t back;
    ck_assert_int_eq(cw_sub_decode(&back, v1_state, sizeof v1_state), 0);
    ck_assert_int_eq(back.tier, CW_TIER_HIGH);
    ck_assert_int_eq(back.subsidy_end, cw_date_from_civil(2027, 3, 31));
    ck_assert_int_eq(back.contract_end, cw_date_from_civil(2026, 12, 10));
    ck_assert(!back.churned);
    ck_assert_int_eq(back.churn_ts_ms, 0);
    ck_assert_int_eq(back.month_count, 0);
    ck_assert_int_eq(back.week_count, 5);
    const cw_week_agg_t *silent = &back.weeks[0];
    ck_assert_int_eq(silent->week, 2917);
    ck_assert(silent->no_event);
    ck_assert_uint_eq(silent->published_level, CW_LEVEL_BLUE);
    ck_assert_int_eq(silent->spend_fen, 0);
    const cw_week_agg_t *w = &back.weeks[1];
    ck_assert_int_eq(w->week, 2916);
    ck_assert_int_eq(w->spend_fen, 9000);
    ck_assert_int_eq(w->voice_s, 2400);
    ck_assert_uint_eq(w->calls, 40);
    ck_assert_uint_eq(w->rival_service_calls, 3);
    ck_assert_uint_eq(w->complaints, 2);
    ck_assert_uint_eq(w->serious_complaints, 1);
    ck_assert_uint_eq(w->overdue_complaints, 1);
    ck_assert_uint_eq(w->fwd_rival_days, 0x15);
    ck_assert(w->plan_downgrade);
    ck_assert_int_eq(w->downgrade_from_fen, 12800);
    ck_assert_int_eq(w->downgrade_to_fen, 5800);
    ck_assert_uint_eq(w->published_level, CW_LEVEL_RED);
    ck_assert_uint_eq(w->published_triggers,
                      CW_TRIG_BIT(CW_TRIG_COMPLAINTS) | CW_TRIG_BIT(CW_TRIG_FWD_RIVAL));
    ck_assert(!w->no_event);
    for (int i = 2; i < 5; i++) {
        int k = i - 1; /* weeks back from 2916 */
        ck_assert_int_eq(back.weeks[i].week, 2916 - k);
        ck_assert_int_eq(back.weeks[i].spend_fen, 9000 + 731 * k);
        ck_assert_int_eq(back.weeks[i].voice_s, 2400 + 397 * k);
        ck_assert_uint_eq(back.weeks[i].calls, (uint32_t)(40 + 5 * k));
        ck_assert_uint_eq(back.weeks[i].published_level, CW_LEVEL_NONE);
    }
    /* written again, it is the current version and decodes the same */
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&back, buf, sizeof buf);
    ck_assert_uint_eq(buf[0], 2);
    ck_assert_uint_eq(len, sizeof v1_state); /* no mark, no months: no byte more */
    ck_assert_int_eq(memcmp(buf + 1, v1_state + 1, len - 1), 0);
    cw_sub_t again;
    ck_assert_int_eq(cw_sub_decode(&again, buf, len), 0);
    assert_sub_eq(&back, &again);
    /* an empty version 1 state */
    static const uint8_t v1_fresh[] = {0x01, 0x00, 0x00};
    ck_assert_int_eq(cw_sub_decode(&again, v1_fresh, sizeof v1_fresh), 0);
    assert_fresh(&again);
}
END_TEST

START_TEST(extreme_state_fits_the_encoded_max)
{
    cw_sub_t sub, back;
    extreme_sub(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_uint_gt(len, 0);
    /* the header's worst case, as documented there */
    ck_assert_uint_eq(len, 1648);
    ck_assert_uint_le(len, CW_SUB_ENCODED_MAX);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
}
END_TEST

START_TEST(out_of_range_sums_are_stored_saturated)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    cw_week_agg_t *agg = cw_sub_get_week(&sub, 2916);
    agg->spend_fen = INT64_MAX;
    agg->voice_s = -5;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    ck_assert_int_eq(back.weeks[0].spend_fen, (INT64_C(1) << 49) - 1);
    ck_assert_int_eq(back.weeks[0].voice_s, 0);
}
END_TEST

START_TEST(downgrade_evidence_is_kept_only_with_the_flag)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    cw_week_agg_t *agg = cw_sub_get_week(&sub, 2916);
    agg->downgrade_from_fen = 100;
    agg->downgrade_to_fen = 50;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    ck_assert(!back.weeks[0].plan_downgrade);
    ck_assert_int_eq(back.weeks[0].downgrade_from_fen, 0);
    ck_assert_int_eq(back.weeks[0].downgrade_to_fen, 0);
    /* an empty week still exists: a profile event made it */
    ck_assert_int_eq(back.week_count, 1);
    ck_assert_int_eq(back.weeks[0].week, 2916);
}
END_TEST

/* A week a week-close made for a silent subscriber: only what it published,
 * and the mark that the subscriber had no event in it. */
START_TEST(a_week_without_events_keeps_its_mark)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    cw_week_agg_t *agg = cw_sub_get_week(&sub, 2916);
    agg->published_level = CW_LEVEL_RED;
    agg->published_triggers = CW_TRIG_BIT(CW_TRIG_SPEND_DROP);
    agg->no_event = true;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
    agg->no_event = false;
    uint8_t plain[CW_SUB_ENCODED_MAX];
    /* the mark is a bit of the field mask: no byte of its own */
    ck_assert_uint_eq(cw_sub_encode(&sub, plain, sizeof plain), len);
    ck_assert_int_eq(cw_sub_decode(&back, plain, len), 0);
    ck_assert(!back.weeks[0].no_event);
}
END_TEST

START_TEST(negative_weeks_and_dates_round_trip)
{
    cw_sub_t sub, back;
    cw_sub_init(&sub);
    sub.subsidy_end = cw_date_from_civil(1900, 1, 1);
    sub.contract_end = 0;
    cw_sub_get_week(&sub, -3)->calls = 1;
    cw_sub_get_week(&sub, 0)->calls = 2;
    cw_sub_get_week(&sub, -1000)->calls = 3;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    ck_assert_int_eq(cw_sub_decode(&back, buf, len), 0);
    assert_sub_eq(&sub, &back);
}
END_TEST

START_TEST(small_buffer_gets_nothing_and_no_overrun)
{
    cw_sub_t sub;
    typical_sub(&sub);
    uint8_t full[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, full, sizeof full);
    uint8_t buf[CW_SUB_ENCODED_MAX + 1];
    for (size_t cap = 0; cap < len; cap++) {
        memset(buf, 0xee, sizeof buf);
        ck_assert_uint_eq(cw_sub_encode(&sub, buf, cap), 0);
        for (size_t i = cap; i < sizeof buf; i++)
            ck_assert_uint_eq(buf[i], 0xee);
    }
    ck_assert_uint_eq(cw_sub_encode(&sub, buf, len), len);
    ck_assert_int_eq(memcmp(buf, full, len), 0);
}
END_TEST

/* ---- hostile bytes ---- */

START_TEST(every_truncation_is_rejected)
{
    cw_sub_t sub, back;
    typical_sub(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    for (size_t cut = 1; cut < len; cut++) {
        /* a heap copy of exactly `cut` bytes, so ASan sees any overread */
        uint8_t *part = cw_malloc(cut);
        ck_assert_ptr_nonnull(part);
        memcpy(part, buf, cut);
        ck_assert_msg(cw_sub_decode(&back, part, cut) == -1, "cut at %zu", cut);
        assert_fresh(&back);
        cw_free(part);
    }
}
END_TEST

START_TEST(trailing_bytes_are_rejected)
{
    cw_sub_t sub, back;
    typical_sub(&sub);
    uint8_t buf[CW_SUB_ENCODED_MAX + 1];
    size_t len = cw_sub_encode(&sub, buf, CW_SUB_ENCODED_MAX);
    buf[len] = 0;
    ck_assert_int_eq(cw_sub_decode(&back, buf, len + 1), -1);
    assert_fresh(&back);
}
END_TEST

START_TEST(malformed_encodings_are_rejected)
{
#define ROW(...)                                                                         \
    {                                                                                    \
        (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})           \
    }
    const struct {
        const uint8_t *bytes;
        size_t len;
    } rows[] = {
        ROW(0x00, 0x00, 0x00), /* version 0 */
        ROW(0x03, 0x00, 0x00), /* a future version */
        ROW(0x01, 0x10, 0x00), /* version 1 knew no churn mark */
        ROW(0x01, 0x20, 0x00), /* nor months */
        ROW(0x02, 0x40, 0x00), /* unknown profile bit */
        ROW(0x02, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            0x00), /* churn time beyond year 9999 */
        ROW(0x02, 0x10), /* churned, no time */
        ROW(0x02, 0x20, 0x00, 0x00), /* months follow: none */
        ROW(0x02, 0x20, 0x00, 0x09), /* 9 months */
        ROW(0x02, 0x20, 0x00, 0x01), /* a month count and nothing */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x80, 0x02), /* unknown month field bit */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x80, 0x01, 0x00), /* a gap on the first */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x04, 0x00), /* fault level 0 */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x04, 0x04), /* fault level 4 */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x40, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0x80, 0x80, 0x01, 0x00, 0x00), /* arrears time beyond year 9999 */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x80, 0x40, 0x01, 0x01), /* arrears cut short */
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0x01), /* vas_fen at 2^49 */
        /* month 1, then a gap that passes INT32_MIN */
        ROW(0x02, 0x20, 0x00, 0x02, 0x02, 0x00, 0x80, 0x80, 0x01, 0xff, 0xff, 0xff, 0xff,
            0x0f),
        /* month INT32_MIN, then one more below it */
        ROW(0x02, 0x20, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00),
        ROW(0x02, 0x20, 0x00, 0x01, 0x02, 0x00, 0x00), /* a trailing byte */
        ROW(0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0x1f,
            0x00), /* subsidy_end beyond int32 */
        ROW(0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f,
            0x00),             /* subsidy_end = CW_DAY_NONE */
        ROW(0x01, 0x00, 0x11), /* 17 weeks */
        ROW(0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x01), /* an 11-byte varint */
        ROW(0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0x02),                                     /* a varint above 2^64 */
        ROW(0x01, 0x00, 0x01, 0x02, 0x80, 0x20),       /* unknown field bit */
        ROW(0x01, 0x00, 0x01, 0x02, 0x80, 0x01, 0x80), /* fwd days beyond Sunday */
        ROW(0x01, 0x00, 0x01, 0x02, 0x80, 0x04, 0x04), /* level above red */
        ROW(0x01, 0x00, 0x01, 0x02, 0x80, 0x08, 0x80), /* unknown trigger bit */
        ROW(0x01, 0x00, 0x01, 0x02, 0x04, 0x80, 0x80, 0x80, 0x80,
            0x10), /* calls > 2^32-1 */
        ROW(0x01, 0x00, 0x01, 0x02, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
            0x01), /* spend at 2^49 */
        /* week INT32_MIN, then one more below it */
        ROW(0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00),
        /* week 1, then a gap that passes INT32_MIN */
        ROW(0x01, 0x00, 0x02, 0x02, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00),
    };
#undef ROW
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cw_sub_t back;
        typical_sub(&back);
        ck_assert_msg(cw_sub_decode(&back, rows[i].bytes, rows[i].len) == -1, "row %zu",
                      i);
        assert_fresh(&back);
    }
}
END_TEST

START_TEST(hand_written_months_decode)
{
    /* version 2, churned at ts 5, no weeks; 3 months: 682 (zigzag 1364 =
     * 0xd4 0x0a) with spend 7; 681 with fault 2; 678 (a gap of 2) with the
     * downgrade and arrears at ts 9 of 300 fen, 1 month */
    static const uint8_t bytes[] = {0x02, 0x30, 0x05, 0x00, 0x03, 0xd4, 0x0a, 0x01, 0x07,
                                    0x80, 0x04, 0x02, 0x80, 0xe0, 0x01, 0x01, 0x09, 0xac,
                                    0x02, 0x01};
    cw_sub_t back;
    ck_assert_int_eq(cw_sub_decode(&back, bytes, sizeof bytes), 0);
    ck_assert(back.churned);
    ck_assert_int_eq(back.churn_ts_ms, 5);
    ck_assert_int_eq(back.week_count, 0);
    ck_assert_int_eq(back.month_count, 3);
    ck_assert_int_eq(back.months[0].month, 682);
    ck_assert_int_eq(back.months[0].spend_fen, 7);
    ck_assert_int_eq(back.months[1].month, 681);
    ck_assert_uint_eq(back.months[1].fault_level, 2);
    ck_assert_int_eq(back.months[2].month, 678);
    ck_assert(back.months[2].plan_downgrade);
    ck_assert(back.months[2].has_arrears);
    ck_assert_int_eq(back.months[2].arrears_ts_ms, 9);
    ck_assert_int_eq(back.months[2].owed_fen, 300);
    ck_assert_uint_eq(back.months[2].months_owed, 1);
    /* the encoder writes exactly these bytes back */
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&back, buf, sizeof buf);
    ck_assert_uint_eq(len, sizeof bytes);
    ck_assert_int_eq(memcmp(buf, bytes, len), 0);
}
END_TEST

START_TEST(hand_written_encoding_decodes)
{
    /* profile low + contract_end day 2 (zigzag 4); 2 weeks: 5 then 3 (gap 1);
     * week 5 has calls 7, week 3 has fwd days Mon+Wed */
    static const uint8_t bytes[] = {0x01, 0x09, 0x04, 0x02, 0x0a, 0x04,
                                    0x07, 0x01, 0x80, 0x01, 0x05};
    cw_sub_t back;
    ck_assert_int_eq(cw_sub_decode(&back, bytes, sizeof bytes), 0);
    ck_assert_int_eq(back.tier, CW_TIER_LOW);
    ck_assert_int_eq(back.subsidy_end, CW_DAY_NONE);
    ck_assert_int_eq(back.contract_end, 2);
    ck_assert_int_eq(back.week_count, 2);
    ck_assert_int_eq(back.weeks[0].week, 5);
    ck_assert_uint_eq(back.weeks[0].calls, 7);
    ck_assert_int_eq(back.weeks[1].week, 3);
    ck_assert_uint_eq(back.weeks[1].fwd_rival_days, 0x05);
    ck_assert_uint_eq(back.weeks[1].calls, 0);
}
END_TEST

/* xorshift64*: a fixed seed so a failure reproduces */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool sub_equal(const cw_sub_t *a, const cw_sub_t *b)
{
    if (a->tier != b->tier || a->subsidy_end != b->subsidy_end ||
        a->contract_end != b->contract_end || a->week_count != b->week_count ||
        a->churned != b->churned || a->churn_ts_ms != b->churn_ts_ms ||
        a->month_count != b->month_count)
        return false;
    for (int i = 0; i < a->month_count; i++) {
        const cw_month_agg_t *x = &a->months[i], *y = &b->months[i];
        if (x->month != y->month || x->spend_fen != y->spend_fen || x->voice_s != y->voice_s ||
            x->calls != y->calls || x->vas_fen != y->vas_fen || x->fwd_calls != y->fwd_calls ||
            x->own_service_calls != y->own_service_calls || x->complaints != y->complaints ||
            x->rival_service_calls != y->rival_service_calls ||
            x->vip_services != y->vip_services || x->fault_level != y->fault_level ||
            x->arrears_stops != y->arrears_stops || x->new_services != y->new_services ||
            x->plan_downgrade != y->plan_downgrade || x->has_arrears != y->has_arrears ||
            x->arrears_ts_ms != y->arrears_ts_ms || x->owed_fen != y->owed_fen ||
            x->months_owed != y->months_owed)
            return false;
    }
    for (int i = 0; i < a->week_count; i++) {
        const cw_week_agg_t *x = &a->weeks[i], *y = &b->weeks[i];
        if (x->week != y->week || x->spend_fen != y->spend_fen ||
            x->voice_s != y->voice_s || x->calls != y->calls ||
            x->rival_service_calls != y->rival_service_calls ||
            x->complaints != y->complaints ||
            x->serious_complaints != y->serious_complaints ||
            x->overdue_complaints != y->overdue_complaints ||
            x->fwd_rival_days != y->fwd_rival_days ||
            x->plan_downgrade != y->plan_downgrade ||
            x->downgrade_from_fen != y->downgrade_from_fen ||
            x->downgrade_to_fen != y->downgrade_to_fen ||
            x->published_level != y->published_level ||
            x->published_triggers != y->published_triggers || x->no_event != y->no_event)
            return false;
    }
    return true;
}

/* Whatever decodes must be a state the rest of the daemon can trust and must
 * survive another round trip; a rejected input must leave a fresh state.
 * Returns what is wrong, or NULL. Plain checks, not ck_assert: the fuzz loops
 * call this hundreds of thousands of times. */
static const char *insanity(const uint8_t *bytes, size_t len, bool *decoded)
{
    cw_sub_t back, fresh;
    cw_sub_init(&fresh);
    *decoded = cw_sub_decode(&back, bytes, len) == 0;
    if (!*decoded)
        return sub_equal(&back, &fresh) ? NULL : "rejected input left a non-fresh state";
    if (back.week_count < 0 || back.week_count > CW_WEEKS_MAX)
        return "week count out of range";
    if (back.tier >= CW_TIER__COUNT)
        return "tier out of range";
    for (int i = 1; i < back.week_count; i++)
        if (back.weeks[i - 1].week <= back.weeks[i].week)
            return "weeks not strictly decreasing";
    if (back.month_count < 0 || back.month_count > CW_MONTHS_MAX)
        return "month count out of range";
    for (int i = 1; i < back.month_count; i++)
        if (back.months[i - 1].month <= back.months[i].month)
            return "months not strictly decreasing";
    for (int i = 0; i < back.month_count; i++)
        if (back.months[i].fault_level > 3)
            return "fault level out of range";
    uint8_t again[CW_SUB_ENCODED_MAX];
    size_t n = cw_sub_encode(&back, again, sizeof again);
    if (n == 0)
        return "decoded state does not encode";
    cw_sub_t twice;
    if (cw_sub_decode(&twice, again, n) != 0 || !sub_equal(&back, &twice))
        return "decoded state does not round-trip";
    return NULL;
}

START_TEST(random_garbage_never_crashes)
{
    rng_state = 0x9e3779b97f4a7c15ULL;
    int decoded = 0;
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(rng() % 64);
        uint8_t *bytes = cw_malloc(len ? len : 1);
        ck_assert_ptr_nonnull(bytes);
        for (size_t i = 0; i < len; i++)
            bytes[i] = (uint8_t)rng();
        /* a valid header half the time, so the fuzzing gets past it: either
         * version, the newer with the churn mark and months possible */
        if (len >= 3 && round % 2) {
            bool v2 = round % 4 == 3;
            bytes[0] = v2 ? 2 : 1;
            bytes[1] &= v2 ? 0x3b : 0x0b;
            bytes[2] %= 4;
        }
        bool ok;
        const char *why = insanity(bytes, len, &ok);
        cw_free(bytes);
        if (why != NULL)
            ck_abort_msg("round %d: %s", round, why);
        decoded += ok;
    }
    /* the header nudge must have let some through, or the loop tested little */
    ck_assert_int_gt(decoded, 100);
}
END_TEST

START_TEST(mutated_encodings_never_crash)
{
    rng_state = 42;
    cw_sub_t sub;
    typical_sub(&sub);
    typical_months(&sub);
    sub.churned = true;
    sub.churn_ts_ms = 1795312800000LL;
    sub.months[0].has_arrears = true;
    sub.months[0].arrears_ts_ms = 1795312800000LL;
    sub.months[0].owed_fen = 100;
    uint8_t good[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, good, sizeof good);
    for (int round = 0; round < 100000; round++) {
        uint8_t *bytes = cw_malloc(len);
        ck_assert_ptr_nonnull(bytes);
        memcpy(bytes, good, len);
        int flips = 1 + (int)(rng() % 4);
        for (int f = 0; f < flips; f++)
            bytes[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
        bool ok;
        const char *why = insanity(bytes, len, &ok);
        cw_free(bytes);
        if (why != NULL)
            ck_abort_msg("round %d: %s", round, why);
    }
}
END_TEST

static Suite *subcodec_suite(void)
{
    Suite *s = suite_create("subcodec");
    TCase *tc = tcase_create("round_trip");
    tcase_add_test(tc, fresh_state_round_trips_in_three_bytes);
    tcase_add_test(tc, empty_input_is_a_fresh_state);
    tcase_add_test(tc, typical_state_round_trips);
    tcase_add_test(tc, typical_state_with_months_and_churn_round_trips);
    tcase_add_test(tc, churn_mark_round_trips_and_costs_nothing_unset);
    tcase_add_test(tc, an_empty_month_round_trips);
    tcase_add_test(tc, extreme_state_fits_the_encoded_max);
    tcase_add_test(tc, out_of_range_sums_are_stored_saturated);
    tcase_add_test(tc, downgrade_evidence_is_kept_only_with_the_flag);
    tcase_add_test(tc, a_week_without_events_keeps_its_mark);
    tcase_add_test(tc, negative_weeks_and_dates_round_trip);
    tcase_add_test(tc, small_buffer_gets_nothing_and_no_overrun);
    suite_add_tcase(s, tc);

    tc = tcase_create("size");
    tcase_add_test(tc, typical_nine_weeks_cost_under_100_bytes);
    tcase_add_test(tc, typical_seven_months_cost_under_100_bytes_more);
    suite_add_tcase(s, tc);

    tc = tcase_create("old_format");
    tcase_add_test(tc, version_1_state_still_decodes);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_truncation_is_rejected);
    tcase_add_test(tc, trailing_bytes_are_rejected);
    tcase_add_test(tc, malformed_encodings_are_rejected);
    tcase_add_test(tc, hand_written_encoding_decodes);
    tcase_add_test(tc, hand_written_months_decode);
    tcase_add_test(tc, random_garbage_never_crashes);
    tcase_add_test(tc, mutated_encodings_never_crash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(subcodec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
