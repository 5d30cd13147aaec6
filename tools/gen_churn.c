/* cdrwarn-gen's labelled churn (--churn; SPEC sections 3 and 10): who
 * leaves, when and how, and the events that say so. A share of the drifting
 * subscribers churn (port out to a rival operator, or cancel) some weeks
 * after their drift began and send nothing after it; the drifters who stay
 * recover after a few weeks; a few subscribers who never drifted leave
 * without warning; and a share of the churned numbers are recycled: a
 * fresh profile, later than the churn, then plain traffic. */
#include "gen_churn.h"

#include "gen_monthly.h"
#include "gen_number.h"

enum {
    TAG_CHURN = 201,
    TAG_CHURN_RECYCLE,
    TAG_CHURN_RENEW,
};

/* weeks a kept drifter drifts before it recovers */
#define CHURN_KEEP_MIN_WEEKS 2
#define CHURN_KEEP_MAX_WEEKS 6
/* days from a churn to the recycled number's new profile (operators hold
 * a number back for longer; a short gap keeps it inside test runs) */
#define CHURN_RECYCLE_MIN_DAYS 14
#define CHURN_RECYCLE_MAX_DAYS 42
/* a slow drifter leaves within this many days after the month in which
 * all its items show */
#define CHURN_SLOW_MAX_DAYS 35
/* CRM handles port-outs and cancellations in business hours */
#define CHURN_FIRST_HOUR 9
#define CHURN_LAST_HOUR 19
#define MS_PER_HOUR_CHURN 3600000LL

const char *const cw_gen_churn_kind_names[2] = {"port_out", "cancel"};

static bool churn_has(uint8_t drift, cw_gen_drift_t kind)
{
    return (drift & (1u << kind)) != 0;
}

void cw_gen_churn_assign(cw_gen_model_t *model)
{
    const cw_gen_opts_t *opts = model->opts;
    int weeks = opts->weeks, days = 7 * opts->weeks;

    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        cw_gen_sub_t *sub = &model->subs[i];
        cw_gen_rng_t rng;
        cw_gen_rng_seed(&rng, cw_gen_hash4(opts->seed, TAG_CHURN, i, 0));
        /* every draw is made for everyone, in one order: a larger share
         * adds churners without moving anyone else's dates */
        double u_churn = cw_gen_rng_unit(&rng);
        double u_unwarned = cw_gen_rng_unit(&rng);
        int spread_week = weeks >= 2 ? (int)cw_gen_rng_range(&rng, 1, weeks - 1) : 0;
        int lag = (int)cw_gen_rng_range(&rng, opts->churn_lag_min, opts->churn_lag_max);
        int dow = (int)cw_gen_rng_range(&rng, 0, 6);
        int keep =
            (int)cw_gen_rng_range(&rng, CHURN_KEEP_MIN_WEEKS, CHURN_KEEP_MAX_WEEKS);
        int unwarned_day = days > 7 ? (int)cw_gen_rng_range(&rng, 7, days - 1) : 0;
        int slow_gap = (int)cw_gen_rng_range(&rng, 1, CHURN_SLOW_MAX_DAYS);
        double u_port = cw_gen_rng_unit(&rng);
        double u_operator = cw_gen_rng_unit(&rng);
        double u_recycle = cw_gen_rng_unit(&rng);
        int recycle_gap =
            (int)cw_gen_rng_range(&rng, CHURN_RECYCLE_MIN_DAYS, CHURN_RECYCLE_MAX_DAYS);
        uint32_t ms_of_day =
            (uint32_t)cw_gen_rng_range(&rng, CHURN_FIRST_HOUR * MS_PER_HOUR_CHURN,
                                       CHURN_LAST_HOUR * MS_PER_HOUR_CHURN - 1);

        int churn_day = -1;
        cw_gen_why_t why = CW_GEN_WHY_NONE;
        bool churns = u_churn * 100 < opts->churn_share;
        if (sub->drift != 0) {
            /* drifts begin anywhere in the run, so churn can follow them
             * inside it */
            sub->drift_week = (uint8_t)spread_week;
            if (churns) {
                churn_day = 7 * (sub->drift_week + lag) + dow;
                why = CW_GEN_WHY_DRIFT;
            } else if (sub->drift_week + keep < weeks) {
                sub->drift_end_week = (uint8_t)(sub->drift_week + keep);
            }
        } else if (sub->slow != 0) {
            if (churns) {
                int32_t full_end = cw_gen_month_first_day(cw_gen_slow_month(sub) + 3) - 1;
                churn_day = full_end - opts->start_day + slow_gap;
                why = CW_GEN_WHY_SLOW;
            }
        } else if (u_unwarned * 100 < opts->unwarned_pct && days > 7) {
            churn_day = unwarned_day;
            why = CW_GEN_WHY_UNWARNED;
        }
        /* a churn due after the run is not in it: that drifter drifts to
         * the end, as one would who leaves later */
        if (why == CW_GEN_WHY_NONE || churn_day >= days)
            continue;

        sub->churn_why = (uint8_t)why;
        sub->churn_day = (int16_t)churn_day;
        sub->churn_ms_of_day = ms_of_day;
        sub->churn_kind = u_port * 100 < opts->port_pct ? 1 : 2;
        /* a number ports to where its owner already forwards calls */
        bool forwards = churn_has(sub->drift, CW_GEN_DRIFT_FWD_RIVAL) ||
                        (sub->slow & (1u << CW_GEN_SLOW_FWD)) != 0;
        sub->churn_to = (uint8_t)(forwards ? cw_gen_number_operator(sub->rival_peer)
                                  : u_operator < 0.55 ? 0
                                                      : 1);
        model->churn_cnt[why]++;
        if (sub->tier != CW_GEN_TIER_NONE && u_recycle * 100 < opts->recycle_pct &&
            churn_day + recycle_gap < days) {
            sub->recycle_day = (int16_t)(churn_day + recycle_gap);
            model->recycled++;
        }
    }
}

int64_t cw_gen_churn_ts(const cw_gen_model_t *model, uint32_t sub)
{
    const cw_gen_sub_t *s = &model->subs[sub];
    return cw_gen_day_start_ms(model, s->churn_day) + s->churn_ms_of_day;
}

int64_t cw_gen_churn_recycle_ts(const cw_gen_model_t *model, uint32_t sub)
{
    const cw_gen_sub_t *s = &model->subs[sub];
    uint64_t bits = cw_gen_hash4(model->opts->seed, TAG_CHURN_RECYCLE, sub, 0);
    /* the new owner signs up in a shop between 10:00 and 18:00 */
    return cw_gen_day_start_ms(model, s->recycle_day) + 10 * MS_PER_HOUR_CHURN +
           (int64_t)(bits % (uint64_t)(8 * MS_PER_HOUR_CHURN));
}

bool cw_gen_churn_gone(const cw_gen_sub_t *sub, int day_index)
{
    return sub->churn_kind != 0 && day_index > sub->churn_day &&
           (sub->recycle_day == 0 || day_index < sub->recycle_day);
}

bool cw_gen_churn_recycled(const cw_gen_sub_t *sub, int day_index)
{
    return sub->recycle_day != 0 && day_index > sub->recycle_day;
}

/* A kept drifter whose contract was ending renews it when it recovers. */
static void churn_renew(cw_gen_dayctx_t *ctx, uint32_t i)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_sub_t *sub = &model->subs[i];
    uint64_t bits = cw_gen_hash4(model->opts->seed, TAG_CHURN_RENEW, i, 0);
    if (ctx->week != sub->drift_end_week || (int)(bits % 5) != ctx->dow)
        return;
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, cw_gen_mix(bits));
    cw_gen_rec_t *rec =
        cw_gen_push(ctx, i, CW_GEN_PROFILE, cw_gen_time_between(ctx, &rng, 10, 18));
    if (rec == NULL)
        return;
    rec->flags |= CW_GEN_REC_PROFILE_PARTIAL;
    rec->a = (uint32_t)CW_DAY_NONE;
    rec->b = (uint32_t)(model->opts->start_day + ctx->day_index + 730);
}

void cw_gen_churn_day(cw_gen_dayctx_t *ctx, uint32_t i, size_t first)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_sub_t *sub = &model->subs[i];
    if (sub->churn_kind == 0) {
        if (sub->drift_end_week != 0 &&
            churn_has(sub->drift, CW_GEN_DRIFT_CONTRACT_EXPIRY))
            churn_renew(ctx, i);
        return;
    }
    if (ctx->day_index == sub->churn_day) {
        /* nothing from the churn on: the line is gone */
        int64_t ts = cw_gen_churn_ts(model, i);
        cw_gen_day_t *day = ctx->day;
        size_t kept = first;
        for (size_t k = first; k < day->cnt; k++)
            if (day->recs[k].ts < ts)
                day->recs[kept++] = day->recs[k];
        day->cnt = kept;
        cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_CHURN, ts);
        if (rec == NULL)
            return;
        rec->a = (uint32_t)(sub->churn_kind - 1);
        rec->b = sub->churn_kind == 1 ? sub->churn_to + 1u : 0;
    } else if (sub->recycle_day != 0 && ctx->day_index == sub->recycle_day) {
        /* a new owner: a full profile, no subsidy or contract yet */
        cw_gen_rec_t *rec =
            cw_gen_push(ctx, i, CW_GEN_PROFILE, cw_gen_churn_recycle_ts(model, i));
        if (rec == NULL)
            return;
        rec->a = (uint32_t)CW_DAY_NONE;
        rec->b = (uint32_t)CW_DAY_NONE;
    }
}
