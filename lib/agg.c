/* Applies validated events to a subscriber's rolling weekly and monthly
 * aggregates and churn mark (SPEC sections 4, 10 and 14): the step between a
 * parsed record and the rules that read the state. Pure state changes;
 * storing the state is the codec's and daemon's. */
#include "agg.h"

#include <string.h>

#include "date.h"
#include "month.h"
#include "week.h"

void cw_sub_init(cw_sub_t *sub)
{
    memset(sub, 0, sizeof *sub);
    sub->tier = CW_TIER_UNKNOWN;
    sub->subsidy_end = CW_DAY_NONE;
    sub->contract_end = CW_DAY_NONE;
}

const cw_week_agg_t *cw_sub_find_week(const cw_sub_t *sub, int32_t week)
{
    for (int i = 0; i < sub->week_count; i++) {
        if (sub->weeks[i].week == week)
            return &sub->weeks[i];
        if (sub->weeks[i].week < week)
            break;
    }
    return NULL;
}

bool cw_sub_active_since(const cw_sub_t *sub, int32_t week)
{
    for (int i = 0; i < sub->week_count && sub->weeks[i].week >= week; i++)
        if (!sub->weeks[i].no_event)
            return true;
    return false;
}

cw_week_agg_t *cw_sub_get_week(cw_sub_t *sub, int32_t week)
{
    int i = 0;
    while (i < sub->week_count && sub->weeks[i].week > week)
        i++;
    if (i < sub->week_count && sub->weeks[i].week == week)
        return &sub->weeks[i];
    if (sub->week_count == CW_WEEKS_MAX) {
        if (i == CW_WEEKS_MAX)
            return NULL;
        sub->week_count--; /* the oldest makes room */
    }
    memmove(&sub->weeks[i + 1], &sub->weeks[i],
            (size_t)(sub->week_count - i) * sizeof sub->weeks[0]);
    memset(&sub->weeks[i], 0, sizeof sub->weeks[i]);
    sub->weeks[i].week = week;
    sub->week_count++;
    return &sub->weeks[i];
}

void cw_sub_drop_before(cw_sub_t *sub, int32_t oldest_week)
{
    while (sub->week_count > 0 && sub->weeks[sub->week_count - 1].week < oldest_week)
        sub->week_count--;
    memset(&sub->weeks[sub->week_count], 0,
           (size_t)(CW_WEEKS_MAX - sub->week_count) * sizeof sub->weeks[0]);
}

const cw_month_agg_t *cw_sub_find_month(const cw_sub_t *sub, int32_t month)
{
    for (int i = 0; i < sub->month_count; i++) {
        if (sub->months[i].month == month)
            return &sub->months[i];
        if (sub->months[i].month < month)
            break;
    }
    return NULL;
}

cw_month_agg_t *cw_sub_get_month(cw_sub_t *sub, int32_t month)
{
    int i = 0;
    while (i < sub->month_count && sub->months[i].month > month)
        i++;
    if (i < sub->month_count && sub->months[i].month == month)
        return &sub->months[i];
    if (sub->month_count == CW_MONTHS_MAX) {
        if (i == CW_MONTHS_MAX)
            return NULL;
        sub->month_count--; /* the oldest makes room */
    }
    memmove(&sub->months[i + 1], &sub->months[i],
            (size_t)(sub->month_count - i) * sizeof sub->months[0]);
    memset(&sub->months[i], 0, sizeof sub->months[i]);
    sub->months[i].month = month;
    sub->month_count++;
    return &sub->months[i];
}

void cw_sub_drop_months_before(cw_sub_t *sub, int32_t oldest_month)
{
    while (sub->month_count > 0 && sub->months[sub->month_count - 1].month < oldest_month)
        sub->month_count--;
    memset(&sub->months[sub->month_count], 0,
           (size_t)(CW_MONTHS_MAX - sub->month_count) * sizeof sub->months[0]);
}

bool cw_sub_churned(const cw_sub_t *sub)
{
    return sub->churned;
}

int64_t cw_sub_churn_ts(const cw_sub_t *sub)
{
    return sub->churned ? sub->churn_ts_ms : 0;
}

/* Sums saturate instead of wrapping: a runaway source must not turn a large
 * spend into a negative one (or into undefined behaviour). */
static void add_sat64(int64_t *sum, int64_t n)
{
    if (__builtin_add_overflow(*sum, n, sum))
        *sum = n < 0 ? INT64_MIN : INT64_MAX;
}

static void inc_sat32(uint32_t *count)
{
    if (*count < UINT32_MAX)
        (*count)++;
}

/* The monthly aggregates of SPEC section 14 for one event. */
static void apply_month(cw_month_agg_t *m, const cw_event_t *event, const cw_numplan_t *plan)
{
    add_sat64(&m->spend_fen, event->charge_fen);
    switch (event->type) {
    case CW_EV_VOICE:
        if (event->direction == CW_DIR_FWD) {
            inc_sat32(&m->fwd_calls);
        } else {
            add_sat64(&m->voice_s, event->duration_s);
            inc_sat32(&m->calls);
            if (cw_numplan_is_own_service(plan, event->peer))
                inc_sat32(&m->own_service_calls);
            if (cw_numplan_is_rival_service(plan, event->peer))
                inc_sat32(&m->rival_service_calls);
        }
        break;
    case CW_EV_CHARGE:
        if (event->vas_item)
            add_sat64(&m->vas_fen, event->charge_fen);
        break;
    case CW_EV_PLAN_CHANGE:
        if (event->to_fee_fen < event->from_fee_fen)
            m->plan_downgrade = true;
        break;
    case CW_EV_COMPLAINT:
        inc_sat32(&m->complaints);
        break;
    case CW_EV_SUSPEND:
        if (event->suspend_reason == CW_SUSPEND_ARREARS)
            inc_sat32(&m->arrears_stops);
        break;
    case CW_EV_ARREARS:
        /* billing may send a correction dated earlier after a later state:
         * the month ends with what the latest-dated event said */
        if (!m->has_arrears || event->ts_ms >= m->arrears_ts_ms) {
            m->has_arrears = true;
            m->arrears_ts_ms = event->ts_ms;
            m->owed_fen = event->owed_fen;
            m->months_owed = event->months_owed < 0            ? 0
                             : event->months_owed > UINT32_MAX ? UINT32_MAX
                                                               : (uint32_t)event->months_owed;
        }
        break;
    case CW_EV_FAULT:
        if (event->fault_level > m->fault_level)
            m->fault_level = (uint8_t)(event->fault_level > 255 ? 255 : event->fault_level);
        break;
    case CW_EV_SERVICE:
        if (event->channel == CW_CHANNEL_VIP)
            inc_sat32(&m->vip_services);
        break;
    case CW_EV_SUBSCRIBE:
        inc_sat32(&m->new_services);
        break;
    case CW_EV_SMS:
    case CW_EV_DATA:
    case CW_EV_PROFILE:
    case CW_EV_CHURN:
    case CW_EV__COUNT:
        break;
    }
}

cw_week_agg_t *cw_sub_apply(cw_sub_t *sub, const cw_event_t *event,
                            const cw_numplan_t *plan, int32_t utc_offset_s)
{
    int32_t day = cw_week_local_day(event->ts_ms, utc_offset_s);
    cw_week_agg_t *agg = cw_sub_get_week(sub, cw_week_of_day(day));
    /* refused before anything changes, so the caller can send the record to
     * the DLQ and keep the state as it was */
    if (agg == NULL)
        return NULL;
    /* the months cover every week the daemon accepts (cw_event_check_time
     * keeps events within weeks_kept weeks of the stream); an older event
     * that the weeks still take counts in them only, when the months are
     * full and all newer. The weeks array does not move: agg stays valid. */
    cw_month_agg_t *month = cw_sub_get_month(sub, cw_month_of_day(day));

    if (event->type == CW_EV_PROFILE) {
        /* by arrival: CRM sends a subscriber's profile changes in order on
         * one partition */
        if (event->has_tier)
            sub->tier = event->tier;
        if (event->has_subsidy_end)
            sub->subsidy_end = event->subsidy_end;
        if (event->has_contract_end)
            sub->contract_end = event->contract_end;
        /* a number recycled or a customer won back: CRM's word dated after
         * the churn ends it; an older profile arriving late does not */
        if (sub->churned && event->ts_ms > sub->churn_ts_ms) {
            sub->churned = false;
            sub->churn_ts_ms = 0;
        }
    } else if (event->type == CW_EV_CHURN && !sub->churned) {
        /* processing order decides, not event time: a second churn while
         * marked keeps the first one's time */
        sub->churned = true;
        sub->churn_ts_ms = event->ts_ms;
    }
    if (month != NULL)
        apply_month(month, event, plan);

    agg->no_event = false;
    add_sat64(&agg->spend_fen, event->charge_fen);
    switch (event->type) {
    case CW_EV_VOICE:
        if (event->direction == CW_DIR_FWD) {
            /* a forward is not a call of the subscriber's: only its target
             * counts, and only by local day */
            if (cw_numplan_owner(plan, event->peer) == CW_OWNER_RIVAL)
                agg->fwd_rival_days |= (uint8_t)(1u << cw_date_weekday(day));
        } else {
            add_sat64(&agg->voice_s, event->duration_s);
            inc_sat32(&agg->calls);
            if (cw_numplan_is_rival_service(plan, event->peer))
                inc_sat32(&agg->rival_service_calls);
        }
        break;
    case CW_EV_PLAN_CHANGE:
        if (event->to_fee_fen < event->from_fee_fen) {
            agg->plan_downgrade = true;
            agg->downgrade_from_fen = event->from_fee_fen;
            agg->downgrade_to_fen = event->to_fee_fen;
        }
        break;
    case CW_EV_COMPLAINT:
        inc_sat32(&agg->complaints);
        if (event->serious)
            inc_sat32(&agg->serious_complaints);
        if (event->overdue)
            inc_sat32(&agg->overdue_complaints);
        break;
    case CW_EV_SMS:
    case CW_EV_DATA:
    case CW_EV_CHARGE:
    case CW_EV_PROFILE:
    case CW_EV_CHURN:
    case CW_EV_SUSPEND:
    case CW_EV_ARREARS:
    case CW_EV_FAULT:
    case CW_EV_SERVICE:
    case CW_EV_SUBSCRIBE:
    case CW_EV__COUNT:
        break;
    }
    return agg;
}

int cw_week_fwd_day_count(const cw_week_agg_t *agg)
{
    return __builtin_popcount(agg->fwd_rival_days);
}
