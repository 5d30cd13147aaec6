/* cdrwarn-gen's traffic: turns the population of gen_model.c into the events
 * of one local day, every subscriber interleaved, sorted by time. Each
 * subscriber-day draws from its own seeded stream, so a day's traffic does
 * not depend on the days before it or on the order of the work. With
 * --monthly and --churn, gen_monthly.c and gen_churn.c add their part of
 * each subscriber-day here. */
#include "gen_traffic.h"

#include <math.h>
#include <stdlib.h>

#include "gen_churn.h"
#include "gen_day.h"
#include "gen_model.h"
#include "gen_monthly.h"
#include "gen_number.h"

#define MS_PER_HOUR 3600000LL

enum {
    TAG_DAY = 101,
    TAG_DRIFT_PLAN,
    TAG_NOISE,
    TAG_UPGRADE,
    TAG_FWD,
    TAG_WEEK_CALLS,
};

/* Relative activity per local hour: quiet at night, busy in the evening. */
static const uint8_t voice_hours[24] = {4,  2,  1,  1,  1,  2,  6,  14, 22, 26, 28, 27,
                                        24, 26, 28, 27, 27, 29, 33, 36, 36, 31, 22, 12};
static const uint8_t sms_hours[24] = {5,  3,  2,  1,  1,  2,  5,  12, 18, 20, 21, 21,
                                      22, 21, 20, 20, 21, 23, 26, 29, 31, 30, 24, 13};
static const uint8_t data_hours[24] = {10, 7,  5,  3,  2,  3,  7,  15, 20, 20, 20, 22,
                                       25, 22, 20, 20, 22, 25, 30, 35, 40, 40, 35, 20};

/* Rival operators' customer-service numbers, and our own. */
static const uint64_t rival_service[] = {10010, 10000};
#define OWN_SERVICE 10086

typedef cw_gen_dayctx_t day_ctx_t;

static int rec_cmp(const void *pa, const void *pb)
{
    const cw_gen_rec_t *a = pa, *b = pb;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static unsigned poisson(cw_gen_rng_t *rng, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 30) {
        /* normal approximation; Knuth's product would underflow */
        double u1 = cw_gen_rng_unit(rng), u2 = cw_gen_rng_unit(rng);
        double g = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
        double n = floor(lambda + sqrt(lambda) * g + 0.5);
        return n < 0 ? 0 : (unsigned)n;
    }
    double limit = exp(-lambda), product = cw_gen_rng_unit(rng);
    unsigned n = 0;
    while (product > limit) {
        n++;
        product *= cw_gen_rng_unit(rng);
    }
    return n;
}

static double exponential(cw_gen_rng_t *rng, double mean)
{
    return -mean * log(1.0 - cw_gen_rng_unit(rng));
}

/* A time on this day with the hour drawn from the rhythm table. */
static int64_t time_in_day(day_ctx_t *ctx, cw_gen_rng_t *rng, const uint8_t hours[24])
{
    unsigned total = 0;
    for (int h = 0; h < 24; h++)
        total += hours[h];
    unsigned pick = (unsigned)(cw_gen_rng_next(rng) % total);
    int hour = 0;
    while (pick >= hours[hour])
        pick -= hours[hour++];
    return ctx->day_start_ms + hour * MS_PER_HOUR +
           (int64_t)(cw_gen_rng_next(rng) % (uint64_t)MS_PER_HOUR);
}

static uint64_t pick_peer(const cw_gen_model_t *model, uint32_t i, cw_gen_rng_t *rng)
{
    const cw_gen_sub_t *sub = &model->subs[i];
    double u = cw_gen_rng_unit(rng);
    if (u < 0.8) {
        /* the first contacts are the closest: squaring favours them */
        double v = cw_gen_rng_unit(rng);
        return cw_gen_model_contact(model, i, (unsigned)(v * v * sub->circle));
    }
    return cw_gen_number(cw_gen_rng_unit(rng) < 0.7, cw_gen_rng_next(rng));
}

/* The drift of subscriber i in this week: the kinds, and how deep into
 * the drift the week is (0 = first drifting week). */
static uint8_t drift_now(const cw_gen_sub_t *sub, int week, int *depth)
{
    if (sub->drift == 0 || week < sub->drift_week)
        return 0;
    if (sub->drift_end_week != 0 && week >= sub->drift_end_week)
        return 0; /* --churn: kept, and recovered */
    *depth = week - sub->drift_week;
    return sub->drift;
}

static bool has(uint8_t drift, cw_gen_drift_t kind)
{
    return (drift & (1u << kind)) != 0;
}

static void gen_voice(day_ctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, double dur_factor,
                      bool per_minute)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_sub_t *sub = &model->subs[i];
    cw_gen_rec_t *rec =
        cw_gen_push(ctx, i, CW_GEN_VOICE, time_in_day(ctx, rng, voice_hours));
    if (rec == NULL)
        return;
    /* the monthly model counts forwards and calls to our service centre
     * over months: its rhythm makes both rarer, so that they mean
     * something (the same draws, other cut-offs) */
    bool monthly = model->opts->monthly;
    double u = cw_gen_rng_unit(rng);
    rec->dir = u < 0.52                      ? CW_GEN_DIR_MO
               : u < (monthly ? 0.99 : 0.97) ? CW_GEN_DIR_MT
                                             : CW_GEN_DIR_FWD;
    if (rec->dir == CW_GEN_DIR_FWD) {
        /* forwarded to the subscriber's own second line: our operator */
        rec->peer =
            cw_gen_number(true, cw_gen_hash4(model->opts->seed, TAG_FWD, i, 0));
    } else if (rec->dir == CW_GEN_DIR_MO &&
               cw_gen_rng_unit(rng) < (monthly ? 0.003 : 0.01)) {
        rec->peer = OWN_SERVICE;
    } else {
        rec->peer = pick_peer(model, i, rng);
    }
    if (rec->dir == CW_GEN_DIR_MT && cw_gen_rng_unit(rng) < 0.08) {
        rec->a = 0; /* missed */
    } else {
        /* gamma(3): call lengths vary, but less wildly than exponential,
         * so a normal week never looks like a usage_drop */
        double mean = sub->call_mean_s * dur_factor / 3;
        double d =
            exponential(rng, mean) + exponential(rng, mean) + exponential(rng, mean) + 3;
        rec->a = (uint32_t)(d > 7200 ? 7200 : d);
    }
    if (rec->dir == CW_GEN_DIR_MO && per_minute && rec->a > 0)
        rec->b = (rec->a + 59) / 60 * 15;
}

static void gen_sms(day_ctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, bool per_minute)
{
    cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_SMS, time_in_day(ctx, rng, sms_hours));
    if (rec == NULL)
        return;
    rec->dir = cw_gen_rng_unit(rng) < 0.55 ? CW_GEN_DIR_MO : CW_GEN_DIR_MT;
    if (rec->dir == CW_GEN_DIR_MT && cw_gen_rng_unit(rng) < 0.15)
        /* bank and service notifications from 106 short codes */
        rec->peer = 106000000000ULL + cw_gen_rng_next(rng) % 1000000000ULL;
    else
        rec->peer = pick_peer(ctx->model, i, rng);
    if (rec->dir == CW_GEN_DIR_MO && per_minute)
        rec->b = 10;
}

static void gen_data(day_ctx_t *ctx, uint32_t i, cw_gen_rng_t *rng)
{
    cw_gen_rec_t *rec =
        cw_gen_push(ctx, i, CW_GEN_DATA, time_in_day(ctx, rng, data_hours));
    if (rec == NULL)
        return;
    double bytes = exponential(rng, 6e6) * (0.2 + cw_gen_rng_unit(rng) * 1.8);
    rec->a = (uint32_t)(bytes > 2e9 ? 2e9 : bytes);
    if (cw_gen_rng_unit(rng) < 0.04)
        rec->b = (uint32_t)cw_gen_rng_range(rng, 1, 8) * 100; /* out of bundle */
}

/* The monthly fee in force on this day, after any plan_downgrade. */
static uint32_t plan_fee_on(const cw_gen_model_t *model, uint32_t i, int week, int dow)
{
    const cw_gen_sub_t *sub = &model->subs[i];
    if (!has(sub->drift, CW_GEN_DRIFT_PLAN_DOWNGRADE) || week < sub->drift_week)
        return sub->plan_fee_fen;
    cw_gen_rng_t plan;
    cw_gen_rng_seed(&plan, cw_gen_hash4(model->opts->seed, TAG_DRIFT_PLAN, i,
                                        CW_GEN_DRIFT_PLAN_DOWNGRADE));
    int change_dow = (int)cw_gen_rng_range(&plan, 0, 3);
    return week > sub->drift_week || dow > change_dow ? sub->downgrade_fee_fen
                                                      : sub->plan_fee_fen;
}

static void gen_billing(day_ctx_t *ctx, uint32_t i, cw_gen_rng_t *rng,
                        double rental_factor, bool vas)
{
    const cw_gen_sub_t *sub = &ctx->model->subs[i];
    /* --monthly deducts the rental daily instead (gen_monthly.c) */
    if (!sub->billed || ctx->dow != sub->billing_dow || ctx->model->opts->monthly)
        return;
    /* the billing run posts weekly between 02:00 and 04:00 */
    int64_t ts = cw_gen_time_between(ctx, rng, 2, 4);
    cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_CHARGE, ts);
    if (rec == NULL)
        return;
    uint32_t fee = plan_fee_on(ctx->model, i, ctx->week, ctx->dow);
    rec->a = 0; /* rental */
    rec->b = (uint32_t)((double)fee * 7 / 30 * rental_factor + 0.5);
    if (vas && sub->vas_fen > 0) {
        rec = cw_gen_push(ctx, i, CW_GEN_CHARGE, ts + cw_gen_rng_range(rng, 1000, 60000));
        if (rec == NULL)
            return;
        rec->a = 1 + (uint32_t)(sub->msisdn % 3); /* which service */
        rec->b = sub->vas_fen;
    }
}

/* Rare harmless noise, below every trigger threshold: a single complaint, a
 * single call to a rival service centre, a plan upgrade. `quiet`: no
 * complaint or rival call (a slow drifter makes its own, one a month, and
 * noise could put two in a week). */
static void gen_noise(day_ctx_t *ctx, uint32_t i, uint8_t drift, bool quiet)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_sub_t *sub = &model->subs[i];
    uint64_t h = cw_gen_hash4(model->opts->seed, TAG_NOISE, i, (uint64_t)ctx->week);
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, h);
    double u_complaint = cw_gen_rng_unit(&rng);
    int complaint_dow = (int)cw_gen_rng_range(&rng, 0, 6);
    double u_rival = cw_gen_rng_unit(&rng);
    int rival_dow = (int)cw_gen_rng_range(&rng, 0, 6);

    if (u_complaint < 0.01 && complaint_dow == ctx->dow &&
        !has(drift, CW_GEN_DRIFT_COMPLAINTS) && !quiet) {
        cw_gen_rec_t *rec =
            cw_gen_push(ctx, i, CW_GEN_COMPLAINT, cw_gen_time_between(ctx, &rng, 9, 21));
        if (rec != NULL)
            rec->dir = 0;
    }
    if (u_rival < 0.005 && rival_dow == ctx->dow &&
        !has(drift, CW_GEN_DRIFT_RIVAL_SERVICE) && !quiet) {
        cw_gen_rec_t *rec =
            cw_gen_push(ctx, i, CW_GEN_VOICE, cw_gen_time_between(ctx, &rng, 9, 21));
        if (rec != NULL) {
            rec->dir = CW_GEN_DIR_MO;
            rec->peer = rival_service[cw_gen_rng_next(&rng) % 2];
            rec->a = (uint32_t)cw_gen_rng_range(&rng, 30, 400);
        }
    }

    uint64_t up = cw_gen_hash4(model->opts->seed, TAG_UPGRADE, i, 0);
    if (cw_gen_unit(up) < 0.01 && sub->drift == 0 &&
        (int)((up >> 8) % (uint64_t)model->opts->weeks) == ctx->week &&
        (int)((up >> 16) % 7) == ctx->dow) {
        cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_PLAN_CHANGE,
                                        cw_gen_time_between(ctx, &rng, 10, 18));
        if (rec != NULL) {
            rec->a = sub->plan_fee_fen;
            rec->b = sub->plan_fee_fen + 3000;
        }
    }
}

/* The drift's own events on this day. Each kind lays out its week from a
 * stream seeded by (subscriber, week, kind), and the day emits its share. */
static void gen_drift(day_ctx_t *ctx, uint32_t i, uint8_t drift)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_opts_t *opts = model->opts;
    const cw_gen_sub_t *sub = &model->subs[i];
    cw_gen_rng_t plan, rng;
    cw_gen_rng_seed(&rng, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                       ((uint64_t)ctx->day_index << 8) | 0xff));

    if (has(drift, CW_GEN_DRIFT_COMPLAINTS)) {
        cw_gen_rng_seed(&plan, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                            ((uint64_t)ctx->week << 8) | 1));
        /* two or three normal ones on different days, or one serious, or
         * one left unanswered */
        int cnt = sub->complaint_style == 0 ? (int)cw_gen_rng_range(&plan, 2, 3) : 1;
        int first = (int)cw_gen_rng_range(&plan, 0, 6);
        for (int k = 0; k < cnt; k++) {
            if ((first + 2 * k) % 7 != ctx->dow)
                continue;
            cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_COMPLAINT,
                                            cw_gen_time_between(ctx, &rng, 8, 22));
            if (rec == NULL)
                return;
            rec->dir = sub->complaint_style == 1;
            if (sub->complaint_style == 2)
                rec->flags |= CW_GEN_REC_OVERDUE;
        }
    }
    if (has(drift, CW_GEN_DRIFT_FWD_RIVAL)) {
        cw_gen_rng_seed(&plan, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                            ((uint64_t)ctx->week << 8) | 2));
        /* incoming calls forwarded to the new (rival) line on 3 to 5 days */
        int days = (int)cw_gen_rng_range(&plan, 3, 5);
        int first = (int)cw_gen_rng_range(&plan, 0, 6);
        for (int k = 0; k < days; k++) {
            if ((first + k) % 7 != ctx->dow)
                continue;
            int calls = (int)cw_gen_rng_range(&rng, 1, 3);
            for (int c = 0; c < calls; c++) {
                cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_VOICE,
                                                time_in_day(ctx, &rng, voice_hours));
                if (rec == NULL)
                    return;
                rec->dir = CW_GEN_DIR_FWD;
                rec->peer = sub->rival_peer;
                rec->a = (uint32_t)cw_gen_rng_range(&rng, 15, 400);
            }
        }
    }
    if (has(drift, CW_GEN_DRIFT_RIVAL_SERVICE)) {
        cw_gen_rng_seed(&plan, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                            ((uint64_t)ctx->week << 8) | 3));
        /* asking the competitors about their offers, two to four times */
        int cnt = (int)cw_gen_rng_range(&plan, 2, 4);
        for (int k = 0; k < cnt; k++) {
            int dow = (int)cw_gen_rng_range(&plan, 0, 6);
            uint64_t number = rival_service[cw_gen_rng_next(&plan) % 2];
            if (dow != ctx->dow)
                continue;
            cw_gen_rec_t *rec =
                cw_gen_push(ctx, i, CW_GEN_VOICE, cw_gen_time_between(ctx, &rng, 9, 21));
            if (rec == NULL)
                return;
            rec->dir = CW_GEN_DIR_MO;
            rec->peer = number;
            rec->a = (uint32_t)cw_gen_rng_range(&rng, 60, 900);
        }
    }
    if (ctx->week == sub->drift_week && has(drift, CW_GEN_DRIFT_PLAN_DOWNGRADE)) {
        cw_gen_rng_seed(&plan, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                            CW_GEN_DRIFT_PLAN_DOWNGRADE));
        if ((int)cw_gen_rng_range(&plan, 0, 3) == ctx->dow) {
            cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_PLAN_CHANGE,
                                            cw_gen_time_between(ctx, &rng, 9, 20));
            if (rec == NULL)
                return;
            rec->a = sub->plan_fee_fen;
            rec->b = sub->downgrade_fee_fen;
        }
    }
    if (ctx->week == sub->drift_week && has(drift, CW_GEN_DRIFT_CONTRACT_EXPIRY)) {
        cw_gen_rng_seed(&plan, cw_gen_hash4(opts->seed, TAG_DRIFT_PLAN, i,
                                            CW_GEN_DRIFT_CONTRACT_EXPIRY));
        if ((int)cw_gen_rng_range(&plan, 1, 3) == ctx->dow) {
            /* CRM learns the contract ends soon: 0..15 days after the last
             * week, within 30 days of every day from this one on; with
             * --churn, where drifts start anywhere in the run, 7..22 days
             * after this one */
            int32_t last_day = opts->start_day + 7 * opts->weeks - 1;
            if (opts->churn)
                last_day = opts->start_day + ctx->day_index + 7;
            cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_PROFILE,
                                            cw_gen_time_between(ctx, &rng, 9, 18));
            if (rec == NULL)
                return;
            rec->flags |= CW_GEN_REC_PROFILE_PARTIAL;
            rec->a = (uint32_t)CW_DAY_NONE;
            rec->b = (uint32_t)(last_day + (int32_t)cw_gen_rng_range(&plan, 0, 15));
        }
    }
}

/* Calls are the usage_drop measure, so their weekly count is drawn once per
 * week (the habit, +-10 %) and spread over the days, weekends a little
 * busier; daily Poisson draws would make quiet weeks look like drops. */
static unsigned calls_today(day_ctx_t *ctx, uint32_t i, double per_day)
{
    cw_gen_rng_t week_rng;
    cw_gen_rng_seed(&week_rng, cw_gen_hash4(ctx->model->opts->seed, TAG_WEEK_CALLS, i,
                                            (uint64_t)ctx->week));
    double total = per_day * 7.2 * (0.9 + 0.2 * cw_gen_rng_unit(&week_rng));
    unsigned n = (unsigned)total;
    if (cw_gen_rng_unit(&week_rng) < total - n)
        n++;
    unsigned today = 0;
    for (unsigned k = 0; k < n; k++) {
        double x = cw_gen_rng_unit(&week_rng) * 7.2;
        int dow = x < 5 ? (int)x : 5 + (int)((x - 5) / 1.1);
        today += dow == ctx->dow;
    }
    return today;
}

static void gen_subscriber_day(day_ctx_t *ctx, uint32_t i)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_opts_t *opts = model->opts;
    const cw_gen_sub_t *sub = &model->subs[i];
    size_t first = ctx->day->cnt;
    bool recycled = false;
    if (opts->churn) {
        if (cw_gen_churn_gone(sub, ctx->day_index))
            return;
        if (sub->recycle_day != 0 && ctx->day_index == sub->recycle_day) {
            /* the number's new owner: only the fresh profile today */
            cw_gen_churn_day(ctx, i, first);
            return;
        }
        recycled = cw_gen_churn_recycled(sub, ctx->day_index);
    }
    int depth = 0;
    uint8_t drift = recycled ? 0 : drift_now(sub, ctx->week, &depth);
    if (has(drift, CW_GEN_DRIFT_SILENT)) {
        if (opts->churn)
            cw_gen_churn_day(ctx, i, first);
        return;
    }

    cw_gen_rng_t rng;
    cw_gen_rng_seed(
        &rng, cw_gen_hash4(model->opts->seed, TAG_DAY, i, (uint64_t)ctx->day_index));

    double voice = sub->voice_per_day, sms = sub->sms_per_day, data = sub->data_per_day;
    double dur_factor = 1.0, rental_factor = 1.0;
    bool per_minute = sub->per_minute, vas = sub->vas_fen > 0;
    if (has(drift, CW_GEN_DRIFT_SPEND_DROP)) {
        /* moving to another line: usage and the bill shrink together */
        double f = depth == 0 ? 0.3 : 0.2;
        voice *= f;
        sms *= f;
        data *= f;
        per_minute = false;
        vas = false;
        rental_factor = 0.3;
    }
    if (has(drift, CW_GEN_DRIFT_USAGE_DROP)) {
        voice *= depth == 0 ? 0.25 : 0.15;
        dur_factor = 0.6;
        sms *= 0.6;
        data *= 0.6;
    }
    if (has(drift, CW_GEN_DRIFT_FWD_RIVAL))
        voice *= 0.7;
    bool slow_on = false;
    if (opts->monthly && sub->slow != 0 && !recycled) {
        /* a slow drifter's usage moves elsewhere, a little every day: data
         * and texts to half, calls (usage_drop's measure) only to 80 %, so
         * that the weekly figures do not get thin and jumpy */
        double f = cw_gen_slow_factor(model, i, ctx->day_index);
        voice *= 0.8 + 0.2 * f;
        sms *= 0.5 + 0.5 * f;
        data *= 0.5 + 0.5 * f;
        slow_on = opts->start_day + ctx->day_index >= sub->slow_start;
    }
    if (ctx->dow >= 5)
        data *= 1.15;

    unsigned n = calls_today(ctx, i, voice);
    for (unsigned k = 0; k < n; k++)
        gen_voice(ctx, i, &rng, dur_factor, per_minute);
    n = poisson(&rng, sms);
    for (unsigned k = 0; k < n; k++)
        gen_sms(ctx, i, &rng, per_minute);
    n = poisson(&rng, data);
    for (unsigned k = 0; k < n; k++)
        gen_data(ctx, i, &rng);
    gen_billing(ctx, i, &rng, rental_factor, vas);
    gen_noise(ctx, i, drift, slow_on);
    if (drift)
        gen_drift(ctx, i, drift);
    if (opts->monthly)
        cw_gen_monthly_day(ctx, i, plan_fee_on(model, i, ctx->week, ctx->dow),
                           rental_factor, !has(drift, CW_GEN_DRIFT_SPEND_DROP),
                           recycled);
    if (opts->churn)
        cw_gen_churn_day(ctx, i, first);
}

/* Day 0 opens with every subscriber's profile from the CRM sync, spread
 * over the first minute. */
static void gen_profiles(day_ctx_t *ctx)
{
    const cw_gen_model_t *model = ctx->model;
    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model->subs[i];
        if (sub->tier == CW_GEN_TIER_NONE)
            continue;
        int64_t ts = ctx->day_start_ms + (int64_t)((uint64_t)i * 59000 / model->sub_cnt);
        cw_gen_rec_t *rec = cw_gen_push(ctx, i, CW_GEN_PROFILE, ts);
        if (rec == NULL)
            return;
        rec->a = (uint32_t)sub->subsidy_end;
        rec->b = (uint32_t)sub->contract_end;
    }
}

int cw_gen_traffic_day(const cw_gen_model_t *model, int day_index, cw_gen_day_t *day)
{
    day_ctx_t ctx = {
        .model = model,
        .day = day,
        .day_index = day_index,
        .week = day_index / 7,
        .dow = day_index % 7,
        .day_start_ms = cw_gen_day_start_ms(model, day_index),
    };
    day->cnt = 0;
    if (day_index == 0)
        gen_profiles(&ctx);
    for (uint32_t i = 0; i < model->sub_cnt && !ctx.failed; i++)
        gen_subscriber_day(&ctx, i);
    if (ctx.failed)
        return -1;
    qsort(day->recs, day->cnt, sizeof(*day->recs), rec_cmp);
    return 0;
}
