/* Packs a subscriber state into the few bytes Redis keeps per subscriber, and
 * unpacks it again, distrusting every byte: the value may be damaged, cut or
 * written by a future version.
 *
 * Format, version 2 (varint = LEB128, svarint = zigzag LEB128):
 *   u8 version (2)
 *   u8 profile: bits 0-1 tier, bit 2 subsidy_end set, bit 3 contract_end set,
 *      bit 4 churned, bit 5 months follow the weeks
 *   [svarint subsidy_end] [svarint contract_end]      (day numbers, when set)
 *   [varint churn_ts_ms]                              (when churned)
 *   varint week count (<= CW_WEEKS_MAX)
 *   per week, newest first:
 *     svarint week index for the first, varint (previous - this - 1) after
 *     varint field mask (FIELD_* bits), then each field whose bit is set:
 *       varint spend_fen, voice_s, calls, rival_service_calls, complaints,
 *              serious_complaints, overdue_complaints
 *       u8 fwd_rival_days
 *       varint downgrade_from_fen, downgrade_to_fen   (the plan_downgrade bit)
 *       u8 published_level, u8 published_triggers
 *       (FIELD_NO_EVENT: no bytes; the week's no_event flag)
 *   when months follow: varint month count (1..CW_MONTHS_MAX), per month,
 *   newest first:
 *     svarint month index (the first month only)
 *     varint field mask (MFIELD_* bits, the usual ones in the first byte)
 *     [varint (previous - this - 2)]  (MFIELD_GAP, never on the first: a
 *                                      month right before the previous one,
 *                                      the usual case, costs no byte)
 *     then each field whose bit is set:
 *       varint spend_fen, voice_s, calls, vas_fen, fwd_calls,
 *              own_service_calls, complaints, rival_service_calls,
 *              vip_services
 *       u8 fault_level (1..3)
 *       varint arrears_stops, new_services
 *       (MFIELD_DOWNGRADE: no bytes; plan_downgrade)
 *       varint arrears_ts_ms, owed_fen, months_owed   (the month's latest arrears)
 * A zero field costs nothing; a typical week costs about 8 bytes, a typical
 * month about 10.
 *
 * Version 1 is version 2 without profile bits 4 and 5: states written before
 * the churn mark and the months decode as not churned, without months. */
#include "subcodec.h"

#include <stdbool.h>
#include <string.h>

#include "date.h"
#include "rules.h"

#define CODEC_VERSION 2
#define CODEC_VERSION_NO_MONTHS 1

enum {
    FIELD_SPEND = 1u << 0,
    FIELD_VOICE = 1u << 1,
    FIELD_CALLS = 1u << 2,
    FIELD_RIVAL_SERVICE = 1u << 3,
    FIELD_COMPLAINTS = 1u << 4,
    FIELD_SERIOUS = 1u << 5,
    FIELD_OVERDUE = 1u << 6,
    FIELD_FWD_DAYS = 1u << 7,
    FIELD_DOWNGRADE = 1u << 8,
    FIELD_LEVEL = 1u << 9,
    FIELD_TRIGGERS = 1u << 10,
    FIELD_NO_EVENT = 1u << 11,
    FIELD__ALL = (1u << 12) - 1,
};

/* Ordered by how often a month has the field: a month of calls and fees
 * keeps its mask in one varint byte. */
enum {
    MFIELD_SPEND = 1u << 0,
    MFIELD_VOICE = 1u << 1,
    MFIELD_CALLS = 1u << 2,
    MFIELD_VAS = 1u << 3,
    MFIELD_FWD = 1u << 4,
    MFIELD_OWN_SERVICE = 1u << 5,
    MFIELD_COMPLAINTS = 1u << 6,
    MFIELD_RIVAL_SERVICE = 1u << 7,
    MFIELD_VIP = 1u << 8,
    MFIELD_FAULT = 1u << 9,
    MFIELD_ARREARS_STOPS = 1u << 10,
    MFIELD_NEW_SERVICES = 1u << 11,
    MFIELD_DOWNGRADE = 1u << 12,
    MFIELD_ARREARS = 1u << 13,
    MFIELD_GAP = 1u << 14,
    MFIELD__ALL = (1u << 15) - 1,
};

#define PROFILE_TIER_MASK 0x03u
#define PROFILE_HAS_SUBSIDY 0x04u
#define PROFILE_HAS_CONTRACT 0x08u
#define PROFILE_CHURNED 0x10u
#define PROFILE_HAS_MONTHS 0x20u
#define PROFILE_V1_BITS (PROFILE_TIER_MASK | PROFILE_HAS_SUBSIDY | PROFILE_HAS_CONTRACT)
#define PROFILE_V2_BITS (PROFILE_V1_BITS | PROFILE_CHURNED | PROFILE_HAS_MONTHS)

/* Money and seconds are stored saturated to [0, 2^49): 7 varint bytes at
 * most, which keeps a full 16-week state within CW_SUB_ENCODED_MAX (the
 * worst case is 1021 bytes), and 2^49 fen is beyond any real subscriber. */
#define SUM_MAX ((INT64_C(1) << 49) - 1)

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
} writer_t;

static void put_byte(writer_t *w, uint8_t b)
{
    if (w->len < w->cap)
        w->buf[w->len++] = b;
    else
        w->overflow = true;
}

static void put_varint(writer_t *w, uint64_t v)
{
    while (v >= 0x80) {
        put_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(w, (uint8_t)v);
}

static void put_svarint(writer_t *w, int64_t v)
{
    put_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static uint64_t clamp_sum(int64_t v)
{
    return v < 0 ? 0 : v > SUM_MAX ? (uint64_t)SUM_MAX : (uint64_t)v;
}

/* Event times as the parser allows them (0..CW_MAX_TS_MS). */
static uint64_t clamp_ts(int64_t v)
{
    return v < 0 ? 0 : v > CW_MAX_TS_MS ? (uint64_t)CW_MAX_TS_MS : (uint64_t)v;
}

static uint8_t clamp_fault(uint8_t level)
{
    return level > CW_FAULT_LEVEL_MAX ? CW_FAULT_LEVEL_MAX : level;
}

static unsigned week_mask(const cw_week_agg_t *agg)
{
    unsigned mask = 0;
    mask |= clamp_sum(agg->spend_fen) ? FIELD_SPEND : 0;
    mask |= clamp_sum(agg->voice_s) ? FIELD_VOICE : 0;
    mask |= agg->calls ? FIELD_CALLS : 0;
    mask |= agg->rival_service_calls ? FIELD_RIVAL_SERVICE : 0;
    mask |= agg->complaints ? FIELD_COMPLAINTS : 0;
    mask |= agg->serious_complaints ? FIELD_SERIOUS : 0;
    mask |= agg->overdue_complaints ? FIELD_OVERDUE : 0;
    mask |= agg->fwd_rival_days ? FIELD_FWD_DAYS : 0;
    mask |= agg->plan_downgrade ? FIELD_DOWNGRADE : 0;
    mask |= agg->published_level ? FIELD_LEVEL : 0;
    mask |= agg->published_triggers ? FIELD_TRIGGERS : 0;
    mask |= agg->no_event ? FIELD_NO_EVENT : 0;
    return mask;
}

static void put_week(writer_t *w, const cw_week_agg_t *agg)
{
    unsigned mask = week_mask(agg);
    put_varint(w, mask);
    if (mask & FIELD_SPEND)
        put_varint(w, clamp_sum(agg->spend_fen));
    if (mask & FIELD_VOICE)
        put_varint(w, clamp_sum(agg->voice_s));
    if (mask & FIELD_CALLS)
        put_varint(w, agg->calls);
    if (mask & FIELD_RIVAL_SERVICE)
        put_varint(w, agg->rival_service_calls);
    if (mask & FIELD_COMPLAINTS)
        put_varint(w, agg->complaints);
    if (mask & FIELD_SERIOUS)
        put_varint(w, agg->serious_complaints);
    if (mask & FIELD_OVERDUE)
        put_varint(w, agg->overdue_complaints);
    if (mask & FIELD_FWD_DAYS)
        put_byte(w, agg->fwd_rival_days);
    if (mask & FIELD_DOWNGRADE) {
        put_varint(w, clamp_sum(agg->downgrade_from_fen));
        put_varint(w, clamp_sum(agg->downgrade_to_fen));
    }
    if (mask & FIELD_LEVEL)
        put_byte(w, agg->published_level);
    if (mask & FIELD_TRIGGERS)
        put_byte(w, agg->published_triggers);
}

static unsigned month_mask(const cw_month_agg_t *m)
{
    unsigned mask = 0;
    mask |= clamp_sum(m->spend_fen) ? MFIELD_SPEND : 0;
    mask |= clamp_sum(m->voice_s) ? MFIELD_VOICE : 0;
    mask |= m->calls ? MFIELD_CALLS : 0;
    mask |= clamp_sum(m->vas_fen) ? MFIELD_VAS : 0;
    mask |= m->fwd_calls ? MFIELD_FWD : 0;
    mask |= m->own_service_calls ? MFIELD_OWN_SERVICE : 0;
    mask |= m->complaints ? MFIELD_COMPLAINTS : 0;
    mask |= m->rival_service_calls ? MFIELD_RIVAL_SERVICE : 0;
    mask |= m->vip_services ? MFIELD_VIP : 0;
    mask |= m->fault_level ? MFIELD_FAULT : 0;
    mask |= m->arrears_stops ? MFIELD_ARREARS_STOPS : 0;
    mask |= m->new_services ? MFIELD_NEW_SERVICES : 0;
    mask |= m->plan_downgrade ? MFIELD_DOWNGRADE : 0;
    mask |= m->has_arrears ? MFIELD_ARREARS : 0;
    return mask;
}

/* gap: months skipped between the previous (newer) month and this one */
static void put_month(writer_t *w, const cw_month_agg_t *m, uint64_t gap)
{
    unsigned mask = month_mask(m) | (gap > 0 ? MFIELD_GAP : 0);
    put_varint(w, mask);
    if (mask & MFIELD_GAP)
        put_varint(w, gap - 1);
    if (mask & MFIELD_SPEND)
        put_varint(w, clamp_sum(m->spend_fen));
    if (mask & MFIELD_VOICE)
        put_varint(w, clamp_sum(m->voice_s));
    if (mask & MFIELD_CALLS)
        put_varint(w, m->calls);
    if (mask & MFIELD_VAS)
        put_varint(w, clamp_sum(m->vas_fen));
    if (mask & MFIELD_FWD)
        put_varint(w, m->fwd_calls);
    if (mask & MFIELD_OWN_SERVICE)
        put_varint(w, m->own_service_calls);
    if (mask & MFIELD_COMPLAINTS)
        put_varint(w, m->complaints);
    if (mask & MFIELD_RIVAL_SERVICE)
        put_varint(w, m->rival_service_calls);
    if (mask & MFIELD_VIP)
        put_varint(w, m->vip_services);
    if (mask & MFIELD_FAULT)
        put_byte(w, clamp_fault(m->fault_level));
    if (mask & MFIELD_ARREARS_STOPS)
        put_varint(w, m->arrears_stops);
    if (mask & MFIELD_NEW_SERVICES)
        put_varint(w, m->new_services);
    if (mask & MFIELD_ARREARS) {
        put_varint(w, clamp_ts(m->arrears_ts_ms));
        put_varint(w, clamp_sum(m->owed_fen));
        put_varint(w, m->months_owed);
    }
}

static int clamp_count(int count, int max)
{
    return count < 0 ? 0 : count > max ? max : count;
}

size_t cw_sub_encode(const cw_sub_t *sub, uint8_t *buf, size_t cap)
{
    writer_t w = {buf, cap, 0, false};
    put_byte(&w, CODEC_VERSION);
    int months = clamp_count(sub->month_count, CW_MONTHS_MAX);
    uint8_t profile = (uint8_t)(sub->tier & PROFILE_TIER_MASK);
    if (sub->subsidy_end != CW_DAY_NONE)
        profile |= PROFILE_HAS_SUBSIDY;
    if (sub->contract_end != CW_DAY_NONE)
        profile |= PROFILE_HAS_CONTRACT;
    if (sub->churned)
        profile |= PROFILE_CHURNED;
    if (months > 0)
        profile |= PROFILE_HAS_MONTHS;
    put_byte(&w, profile);
    if (profile & PROFILE_HAS_SUBSIDY)
        put_svarint(&w, sub->subsidy_end);
    if (profile & PROFILE_HAS_CONTRACT)
        put_svarint(&w, sub->contract_end);
    if (profile & PROFILE_CHURNED)
        put_varint(&w, clamp_ts(sub->churn_ts_ms));

    int count = clamp_count(sub->week_count, CW_WEEKS_MAX);
    put_varint(&w, (uint64_t)count);
    for (int i = 0; i < count; i++) {
        const cw_week_agg_t *agg = &sub->weeks[i];
        if (i == 0)
            put_svarint(&w, agg->week);
        else
            put_varint(&w, (uint64_t)((int64_t)sub->weeks[i - 1].week - agg->week - 1));
        put_week(&w, agg);
    }
    if (months > 0) {
        put_varint(&w, (uint64_t)months);
        for (int i = 0; i < months; i++) {
            const cw_month_agg_t *m = &sub->months[i];
            uint64_t gap = 0;
            if (i == 0)
                put_svarint(&w, m->month);
            else
                gap = (uint64_t)((int64_t)sub->months[i - 1].month - m->month - 1);
            put_month(&w, m, gap);
        }
    }
    /* a partial encoding would decode as garbage or, worse, as a shorter
     * valid state: report nothing written instead */
    return w.overflow ? 0 : w.len;
}

typedef struct {
    const uint8_t *p, *end;
} reader_t;

static int get_byte(reader_t *r, uint8_t *out)
{
    if (r->p == r->end)
        return -1;
    *out = *r->p++;
    return 0;
}

static int get_varint(reader_t *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (get_byte(r, &b) != 0)
            return -1;
        /* the tenth byte may carry only the top bit of 64 */
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int get_uint(reader_t *r, uint64_t max, uint64_t *out)
{
    return get_varint(r, out) == 0 && *out <= max ? 0 : -1;
}

static int get_int32_svarint(reader_t *r, int32_t *out)
{
    uint64_t z;
    if (get_varint(r, &z) != 0)
        return -1;
    int64_t v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if (v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static int get_u32(reader_t *r, uint32_t *out)
{
    uint64_t v;
    if (get_uint(r, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_sum(reader_t *r, int64_t *out)
{
    uint64_t v;
    if (get_uint(r, SUM_MAX, &v) != 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int get_week(reader_t *r, cw_week_agg_t *agg)
{
    uint64_t mask;
    uint8_t b;
    if (get_uint(r, FIELD__ALL, &mask) != 0)
        return -1;
    if ((mask & FIELD_SPEND) && get_sum(r, &agg->spend_fen) != 0)
        return -1;
    if ((mask & FIELD_VOICE) && get_sum(r, &agg->voice_s) != 0)
        return -1;
    if ((mask & FIELD_CALLS) && get_u32(r, &agg->calls) != 0)
        return -1;
    if ((mask & FIELD_RIVAL_SERVICE) && get_u32(r, &agg->rival_service_calls) != 0)
        return -1;
    if ((mask & FIELD_COMPLAINTS) && get_u32(r, &agg->complaints) != 0)
        return -1;
    if ((mask & FIELD_SERIOUS) && get_u32(r, &agg->serious_complaints) != 0)
        return -1;
    if ((mask & FIELD_OVERDUE) && get_u32(r, &agg->overdue_complaints) != 0)
        return -1;
    if (mask & FIELD_FWD_DAYS) {
        if (get_byte(r, &b) != 0 || b >= 1u << 7) /* seven weekdays */
            return -1;
        agg->fwd_rival_days = b;
    }
    if (mask & FIELD_DOWNGRADE) {
        agg->plan_downgrade = true;
        if (get_sum(r, &agg->downgrade_from_fen) != 0 ||
            get_sum(r, &agg->downgrade_to_fen) != 0)
            return -1;
    }
    if (mask & FIELD_LEVEL) {
        if (get_byte(r, &b) != 0 || b >= CW_LEVEL__COUNT)
            return -1;
        agg->published_level = b;
    }
    if (mask & FIELD_TRIGGERS) {
        if (get_byte(r, &b) != 0 || b >= 1u << CW_TRIG__COUNT)
            return -1;
        agg->published_triggers = b;
    }
    agg->no_event = (mask & FIELD_NO_EVENT) != 0;
    return 0;
}

/* Reads one month; `newer` is the month before it in the encoding (NULL for
 * the first, whose index the caller has read). */
static int get_month(reader_t *r, const cw_month_agg_t *newer, cw_month_agg_t *m)
{
    uint64_t mask, v;
    uint8_t b;
    if (get_uint(r, MFIELD__ALL, &mask) != 0)
        return -1;
    if (newer != NULL) {
        uint64_t gap = 0;
        if ((mask & MFIELD_GAP) && get_uint(r, UINT32_MAX, &gap) != 0)
            return -1;
        if (mask & MFIELD_GAP)
            gap++;
        /* strictly decreasing by construction; only int32 underflow is left */
        int64_t month = (int64_t)newer->month - 1 - (int64_t)gap;
        if (month < INT32_MIN)
            return -1;
        m->month = (int32_t)month;
    } else if (mask & MFIELD_GAP) {
        return -1; /* the first month has its index, not a gap */
    }
    if ((mask & MFIELD_SPEND) && get_sum(r, &m->spend_fen) != 0)
        return -1;
    if ((mask & MFIELD_VOICE) && get_sum(r, &m->voice_s) != 0)
        return -1;
    if ((mask & MFIELD_CALLS) && get_u32(r, &m->calls) != 0)
        return -1;
    if ((mask & MFIELD_VAS) && get_sum(r, &m->vas_fen) != 0)
        return -1;
    if ((mask & MFIELD_FWD) && get_u32(r, &m->fwd_calls) != 0)
        return -1;
    if ((mask & MFIELD_OWN_SERVICE) && get_u32(r, &m->own_service_calls) != 0)
        return -1;
    if ((mask & MFIELD_COMPLAINTS) && get_u32(r, &m->complaints) != 0)
        return -1;
    if ((mask & MFIELD_RIVAL_SERVICE) && get_u32(r, &m->rival_service_calls) != 0)
        return -1;
    if ((mask & MFIELD_VIP) && get_u32(r, &m->vip_services) != 0)
        return -1;
    if (mask & MFIELD_FAULT) {
        /* 0 would have no bit: the encoding of a level is unique */
        if (get_byte(r, &b) != 0 || b == 0 || b > CW_FAULT_LEVEL_MAX)
            return -1;
        m->fault_level = b;
    }
    if ((mask & MFIELD_ARREARS_STOPS) && get_u32(r, &m->arrears_stops) != 0)
        return -1;
    if ((mask & MFIELD_NEW_SERVICES) && get_u32(r, &m->new_services) != 0)
        return -1;
    m->plan_downgrade = (mask & MFIELD_DOWNGRADE) != 0;
    if (mask & MFIELD_ARREARS) {
        m->has_arrears = true;
        if (get_uint(r, CW_MAX_TS_MS, &v) != 0)
            return -1;
        m->arrears_ts_ms = (int64_t)v;
        if (get_sum(r, &m->owed_fen) != 0 || get_u32(r, &m->months_owed) != 0)
            return -1;
    }
    return 0;
}

static int get_months(reader_t *r, cw_sub_t *sub)
{
    uint64_t count;
    /* the profile bit says months follow: at least one */
    if (get_uint(r, CW_MONTHS_MAX, &count) != 0 || count == 0)
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        cw_month_agg_t *m = &sub->months[i];
        if (i == 0 && get_int32_svarint(r, &m->month) != 0)
            return -1;
        if (get_month(r, i == 0 ? NULL : &sub->months[i - 1], m) != 0)
            return -1;
        sub->month_count = (int)i + 1;
    }
    return 0;
}

static int decode(cw_sub_t *sub, reader_t *r)
{
    uint8_t version, profile;
    if (get_byte(r, &version) != 0 ||
        (version != CODEC_VERSION && version != CODEC_VERSION_NO_MONTHS))
        return -1;
    uint8_t known = version == CODEC_VERSION ? PROFILE_V2_BITS : PROFILE_V1_BITS;
    if (get_byte(r, &profile) != 0 || (profile & ~known) != 0)
        return -1;
    sub->tier = (cw_tier_t)(profile & PROFILE_TIER_MASK);
    if ((profile & PROFILE_HAS_SUBSIDY) &&
        (get_int32_svarint(r, &sub->subsidy_end) != 0 || sub->subsidy_end == CW_DAY_NONE))
        return -1;
    if ((profile & PROFILE_HAS_CONTRACT) &&
        (get_int32_svarint(r, &sub->contract_end) != 0 ||
         sub->contract_end == CW_DAY_NONE))
        return -1;
    if (profile & PROFILE_CHURNED) {
        uint64_t ts;
        if (get_uint(r, CW_MAX_TS_MS, &ts) != 0)
            return -1;
        sub->churned = true;
        sub->churn_ts_ms = (int64_t)ts;
    }

    uint64_t count;
    if (get_uint(r, CW_WEEKS_MAX, &count) != 0)
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        cw_week_agg_t *agg = &sub->weeks[i];
        if (i == 0) {
            if (get_int32_svarint(r, &agg->week) != 0)
                return -1;
        } else {
            uint64_t gap;
            if (get_uint(r, UINT32_MAX, &gap) != 0)
                return -1;
            /* strictly decreasing by construction; only int32 underflow is left */
            int64_t week = (int64_t)sub->weeks[i - 1].week - 1 - (int64_t)gap;
            if (week < INT32_MIN)
                return -1;
            agg->week = (int32_t)week;
        }
        if (get_week(r, agg) != 0)
            return -1;
        sub->week_count = (int)i + 1;
    }
    if ((profile & PROFILE_HAS_MONTHS) && get_months(r, sub) != 0)
        return -1;
    return r->p == r->end ? 0 : -1;
}

int cw_sub_decode(cw_sub_t *sub, const uint8_t *buf, size_t len)
{
    cw_sub_init(sub);
    if (len == 0)
        return 0;
    if (buf == NULL)
        return -1;
    reader_t r = {buf, buf + len};
    if (decode(sub, &r) != 0) {
        cw_sub_init(sub);
        return -1;
    }
    return 0;
}
