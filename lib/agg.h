/* The per-subscriber state (SPEC section 4): profile attributes plus rolling
 * weekly aggregates and, per week, what has already been published for it
 * (SPEC section 6). Applying one event changes one week; nothing here knows
 * about Redis or Kafka. */
#ifndef CW_AGG_H
#define CW_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "numplan.h"

/* Most weeks a subscriber state holds: weeks_kept (at most 15, see config)
 * plus the week after the stream-time week, which max_future can reach. */
#define CW_WEEKS_MAX 16

typedef struct cw_week_agg {
    int32_t week;                 /* week index (week.h) */
    int64_t spend_fen;
    int64_t voice_s;
    uint32_t calls;
    uint32_t rival_service_calls;
    uint32_t complaints;
    uint32_t serious_complaints;
    uint32_t overdue_complaints;
    uint8_t fwd_rival_days;       /* bit d set: a forward to a rival on local weekday d (0 = Mon) */
    bool plan_downgrade;
    int64_t downgrade_from_fen;   /* evidence: the latest downgrade of the week */
    int64_t downgrade_to_fen;
    uint8_t published_level;      /* cw_level_t: highest level published for the week */
    uint8_t published_triggers;   /* union of trigger bits published for the week */
    bool no_event;                /* made by a week close to hold what it published for a
                                     silent subscriber; cleared by the week's first event */
} cw_week_agg_t;

typedef struct cw_sub {
    cw_tier_t tier;               /* CW_TIER_UNKNOWN until a profile says otherwise */
    int32_t subsidy_end;          /* day number or CW_DAY_NONE */
    int32_t contract_end;         /* day number or CW_DAY_NONE */
    int week_count;
    cw_week_agg_t weeks[CW_WEEKS_MAX]; /* newest first, week indexes strictly decreasing */
} cw_sub_t;

/* A fresh subscriber: tier unknown, no subsidy, no contract, no weeks. */
void cw_sub_init(cw_sub_t *sub);

/* The week's aggregates, or NULL when the subscriber has none for it. */
const cw_week_agg_t *cw_sub_find_week(const cw_sub_t *sub, int32_t week);
/* The week's aggregates, created zeroed when missing. When the state is full,
 * the oldest week makes room; returns NULL only when `week` is older than
 * every held week of a full state. Inserting moves the weeks array: a
 * pointer from an earlier call is stale after this one. */
cw_week_agg_t *cw_sub_get_week(cw_sub_t *sub, int32_t week);
/* Drops every week older than oldest_week. */
void cw_sub_drop_before(cw_sub_t *sub, int32_t oldest_week);

/* Applies one validated event to its week (SPEC section 4 table); a profile
 * event replaces the profile fields it carries and also marks the week as
 * one with an event. `plan` classifies peers; `utc_offset_s` places the event
 * in its local week and day. Returns the week touched (never NULL for an
 * event that passed cw_event_check_time). */
cw_week_agg_t *cw_sub_apply(cw_sub_t *sub, const cw_event_t *event, const cw_numplan_t *plan,
                            int32_t utc_offset_s);

/* Number of set bits of fwd_rival_days. */
int cw_week_fwd_day_count(const cw_week_agg_t *agg);

#endif
