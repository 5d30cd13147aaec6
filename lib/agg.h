/* The per-subscriber state (SPEC section 4): profile attributes plus rolling
 * weekly aggregates and, per week, what has already been published for it
 * (SPEC section 6); the churn mark (SPEC section 10); and the monthly
 * aggregates of the value-churn model (SPEC section 14). Applying one event
 * changes one week and one month; nothing here knows about Redis or Kafka. */
#ifndef CW_AGG_H
#define CW_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "numplan.h"

/* Most weeks a subscriber state holds: weeks_kept (at most 15, see config)
 * plus the week after the stream-time week, which max_future can reach. */
#define CW_WEEKS_MAX 16
/* Months a subscriber state holds: the current month and the six before it
 * (SPEC section 14), plus the month after, which max_future can reach. */
#define CW_MONTHS_KEPT 7
#define CW_MONTHS_MAX (CW_MONTHS_KEPT + 1)

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

/* One local calendar month (SPEC section 14). Counts saturate. */
typedef struct cw_month_agg {
    int32_t month;                /* month index (month.h) */
    int64_t spend_fen;            /* charge_fen of every event */
    int64_t voice_s;              /* voice mo + mt */
    uint32_t calls;               /* voice mo + mt */
    int64_t vas_fen;              /* charge events whose item starts with "vas:" */
    uint32_t fwd_calls;           /* voice fwd, any peer */
    uint32_t own_service_calls;   /* voice mo/mt to an own_service_numbers peer */
    uint32_t complaints;
    uint32_t rival_service_calls; /* voice mo/mt to a rival service or staff number */
    uint32_t vip_services;        /* service events of channel "vip" */
    uint8_t fault_level;          /* highest fault level, 0 without one */
    uint32_t arrears_stops;       /* suspend events of reason "arrears" */
    uint32_t new_services;        /* subscribe events */
    bool plan_downgrade;
    /* the month's latest arrears event by event time (a tie goes to the one
     * applied later, as profiles do); all zero without one */
    bool has_arrears;
    int64_t arrears_ts_ms;
    int64_t owed_fen;
    uint32_t months_owed;
} cw_month_agg_t;

typedef struct cw_sub {
    cw_tier_t tier;               /* CW_TIER_UNKNOWN until a profile says otherwise */
    int32_t subsidy_end;          /* day number or CW_DAY_NONE */
    int32_t contract_end;         /* day number or CW_DAY_NONE */
    int week_count;
    cw_week_agg_t weeks[CW_WEEKS_MAX]; /* newest first, week indexes strictly decreasing */
    /* SPEC section 10: set by a churn event, cleared by a profile event dated
     * after it; read with cw_sub_churned() */
    bool churned;
    int64_t churn_ts_ms;          /* the marking churn's event time; 0 when not churned */
    int month_count;
    cw_month_agg_t months[CW_MONTHS_MAX]; /* newest first, indexes strictly decreasing */
} cw_sub_t;

/* A fresh subscriber: tier unknown, no subsidy, no contract, no weeks. */
void cw_sub_init(cw_sub_t *sub);

/* The week's aggregates, or NULL when the subscriber has none for it. */
const cw_week_agg_t *cw_sub_find_week(const cw_sub_t *sub, int32_t week);
/* Whether the subscriber had an event in `week` or a later one (weeks a
 * week close made for a silent subscriber do not count). */
bool cw_sub_active_since(const cw_sub_t *sub, int32_t week);
/* The week's aggregates, created zeroed when missing. When the state is full,
 * the oldest week makes room; returns NULL only when `week` is older than
 * every held week of a full state. Inserting moves the weeks array: a
 * pointer from an earlier call is stale after this one. */
cw_week_agg_t *cw_sub_get_week(cw_sub_t *sub, int32_t week);
/* Drops every week older than oldest_week. */
void cw_sub_drop_before(cw_sub_t *sub, int32_t oldest_week);

/* The month's aggregates, or NULL when the subscriber has none for it. */
const cw_month_agg_t *cw_sub_find_month(const cw_sub_t *sub, int32_t month);
/* The month's aggregates, created zeroed when missing; a full state drops
 * its oldest month to make room. NULL only when `month` is older than every
 * held month of a full state. Moves the months array like cw_sub_get_week. */
cw_month_agg_t *cw_sub_get_month(cw_sub_t *sub, int32_t month);
/* Drops every month older than oldest_month (the stream-time month minus
 * CW_MONTHS_KEPT - 1 keeps what SPEC section 14 needs). */
void cw_sub_drop_months_before(cw_sub_t *sub, int32_t oldest_month);

/* The churn mark of SPEC section 10. A caller tells that an event set it by
 * comparing cw_sub_churned() before and after cw_sub_apply(). */
bool cw_sub_churned(const cw_sub_t *sub);
/* The event time of the churn that set the mark; 0 when not churned. */
int64_t cw_sub_churn_ts(const cw_sub_t *sub);

/* Applies one validated event to its week (SPEC section 4 table) and its
 * local month (SPEC section 14); a profile event replaces the profile fields
 * it carries and also marks the week as one with an event. A churn event
 * counts in its week and month like any event and sets the churn mark when
 * it is not set (a second churn changes only the aggregates); a profile
 * event dated strictly later than the marking churn clears the mark (an
 * earlier or equally dated one keeps it). `plan` classifies peers;
 * `utc_offset_s` places the event in its local week, day and month. Returns
 * the week touched (never NULL for an event that passed
 * cw_event_check_time); when NULL, nothing changed (the month, the profile
 * and the mark included). */
cw_week_agg_t *cw_sub_apply(cw_sub_t *sub, const cw_event_t *event, const cw_numplan_t *plan,
                            int32_t utc_offset_s);

/* Number of set bits of fwd_rival_days. */
int cw_week_fwd_day_count(const cw_week_agg_t *agg);

#endif
