/* Packs a subscriber state into the few bytes Redis keeps per subscriber, and
 * unpacks it again, distrusting every byte: the value may be damaged, cut or
 * written by a future version.
 *
 * Format, version 1 (varint = LEB128, svarint = zigzag LEB128):
 *   u8 version (1)
 *   u8 profile: bits 0-1 tier, bit 2 subsidy_end set, bit 3 contract_end set
 *   [svarint subsidy_end] [svarint contract_end]      (day numbers, when set)
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
 * A zero field costs nothing; a typical week costs about 8 bytes. */
#include "subcodec.h"

#include <stdbool.h>
#include <string.h>

#include "date.h"
#include "rules.h"

#define CODEC_VERSION 1

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

#define PROFILE_TIER_MASK 0x03u
#define PROFILE_HAS_SUBSIDY 0x04u
#define PROFILE_HAS_CONTRACT 0x08u

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

size_t cw_sub_encode(const cw_sub_t *sub, uint8_t *buf, size_t cap)
{
    writer_t w = {buf, cap, 0, false};
    put_byte(&w, CODEC_VERSION);
    uint8_t profile = (uint8_t)(sub->tier & PROFILE_TIER_MASK);
    if (sub->subsidy_end != CW_DAY_NONE)
        profile |= PROFILE_HAS_SUBSIDY;
    if (sub->contract_end != CW_DAY_NONE)
        profile |= PROFILE_HAS_CONTRACT;
    put_byte(&w, profile);
    if (profile & PROFILE_HAS_SUBSIDY)
        put_svarint(&w, sub->subsidy_end);
    if (profile & PROFILE_HAS_CONTRACT)
        put_svarint(&w, sub->contract_end);

    int count = sub->week_count < 0              ? 0
                : sub->week_count > CW_WEEKS_MAX ? CW_WEEKS_MAX
                                                 : sub->week_count;
    put_varint(&w, (uint64_t)count);
    for (int i = 0; i < count; i++) {
        const cw_week_agg_t *agg = &sub->weeks[i];
        if (i == 0)
            put_svarint(&w, agg->week);
        else
            put_varint(&w, (uint64_t)((int64_t)sub->weeks[i - 1].week - agg->week - 1));
        put_week(&w, agg);
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

static int decode(cw_sub_t *sub, reader_t *r)
{
    uint8_t version, profile;
    if (get_byte(r, &version) != 0 || version != CODEC_VERSION)
        return -1;
    if (get_byte(r, &profile) != 0 ||
        (profile & ~(PROFILE_TIER_MASK | PROFILE_HAS_SUBSIDY | PROFILE_HAS_CONTRACT)) !=
            0)
        return -1;
    sub->tier = (cw_tier_t)(profile & PROFILE_TIER_MASK);
    if ((profile & PROFILE_HAS_SUBSIDY) &&
        (get_int32_svarint(r, &sub->subsidy_end) != 0 || sub->subsidy_end == CW_DAY_NONE))
        return -1;
    if ((profile & PROFILE_HAS_CONTRACT) &&
        (get_int32_svarint(r, &sub->contract_end) != 0 ||
         sub->contract_end == CW_DAY_NONE))
        return -1;

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
