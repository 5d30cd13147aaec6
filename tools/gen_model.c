/* cdrwarn-gen's population: who the subscribers are (numbers, tiers, plans,
 * contract dates), how they use the phone (rates, call lengths, contacts),
 * and which of them drift toward churn, how and from which week (then, with
 * --monthly, gen_monthly.c's habits and slow drifters, and with --churn,
 * gen_churn.c's churners). Every value is a pure function of the options,
 * so traffic can be generated day by day without remembering anything
 * else. */
#include "gen_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gen_churn.h"
#include "gen_monthly.h"
#include "gen_number.h"

/* Monthly plan fees in fen per tier: watched tiers (high, mid) all pay more
 * than the 2000 fen a week the spend_drop rule needs as a base. */
static const uint32_t plan_fees[3][5] = {
    {15800, 18800, 23800, 28800, 38800},
    {8800, 9800, 12800, 8800, 9800},
    {1800, 3800, 5800, 3800, 1800},
};

enum {
    TAG_TIER = 1,
    TAG_HABITS,
    TAG_DATES,
    TAG_DRIFT_PICK,
    TAG_DRIFT_KIND,
    TAG_CONTACT, /* 7 is gen_number.c's TAG_NUMBER_OFFSET */
};

static uint64_t seeded(const cw_gen_model_t *model, uint64_t tag, uint64_t a, uint64_t b)
{
    return cw_gen_hash4(model->opts->seed, tag, a, b);
}

uint64_t cw_gen_model_contact(const cw_gen_model_t *model, uint32_t sub, unsigned k)
{
    uint64_t bits = seeded(model, TAG_CONTACT, sub, k);
    /* China Mobile holds most lines, so most contacts are own numbers */
    return cw_gen_number(cw_gen_unit(bits) < 0.72, cw_gen_mix(bits));
}

/* A date spread uniformly over [lo, hi] days after `base`. */
static int32_t date_in(cw_gen_rng_t *rng, int32_t base, int lo, int hi)
{
    return base + (int32_t)cw_gen_rng_range(rng, lo, hi);
}

static void build_subscriber(cw_gen_model_t *model, uint32_t i)
{
    const cw_gen_opts_t *opts = model->opts;
    cw_gen_sub_t *sub = &model->subs[i];
    cw_gen_rng_t rng;
    int32_t last_day = opts->start_day + 7 * opts->weeks - 1;

    sub->msisdn = cw_gen_number_of_sub(model, i);

    /* tiers high/mid/low in 20/40/40 shares; 2 % never get a profile */
    cw_gen_rng_seed(&rng, seeded(model, TAG_TIER, i, 0));
    double u = cw_gen_rng_unit(&rng);
    cw_gen_tier_t tier = u < 0.2   ? CW_GEN_TIER_HIGH
                         : u < 0.6 ? CW_GEN_TIER_MID
                                   : CW_GEN_TIER_LOW;
    sub->plan_fee_fen = plan_fees[tier][cw_gen_rng_range(&rng, 0, 4)];
    sub->downgrade_fee_fen =
        tier == CW_GEN_TIER_LOW ? 800 : plan_fees[tier + 1][cw_gen_rng_range(&rng, 0, 4)];
    sub->tier = cw_gen_rng_unit(&rng) < 0.02 ? CW_GEN_TIER_NONE : (uint8_t)tier;

    /* Risk tier 1 needs a subsidy ending within the 3-month horizon (or
     * none); tier 2 a later end. Contracts mostly end far away, a few in the
     * second or third month after the traffic, never within the 30 days the
     * contract_expiry rule looks at unless the subscriber drifts that way. */
    cw_gen_rng_seed(&rng, seeded(model, TAG_DATES, i, 0));
    u = cw_gen_rng_unit(&rng);
    sub->subsidy_end = u < 0.20   ? CW_DAY_NONE
                       : u < 0.55 ? date_in(&rng, opts->start_day, -90, 60)
                                  : date_in(&rng, opts->start_day, 200, 800);
    u = cw_gen_rng_unit(&rng);
    sub->contract_end = u < 0.15   ? CW_DAY_NONE
                        : u < 0.20 ? date_in(&rng, last_day, 45, 90)
                                   : date_in(&rng, opts->start_day, 180, 1100);

    /* habits: heavier users in the higher tiers */
    cw_gen_rng_seed(&rng, seeded(model, TAG_HABITS, i, 0));
    double tier_factor = tier == CW_GEN_TIER_HIGH  ? 1.3
                         : tier == CW_GEN_TIER_MID ? 1.0
                                                   : 0.8;
    sub->voice_per_day = (float)((1.8 + 2.8 * cw_gen_rng_unit(&rng)) * tier_factor);
    sub->sms_per_day = (float)(0.2 + 1.6 * cw_gen_rng_unit(&rng));
    sub->data_per_day = (float)((0.4 + 1.8 * cw_gen_rng_unit(&rng)) * tier_factor);
    sub->call_mean_s = (uint16_t)cw_gen_rng_range(&rng, 50, 240);
    sub->per_minute = tier == CW_GEN_TIER_LOW ? cw_gen_rng_unit(&rng) < 0.6
                                              : cw_gen_rng_unit(&rng) < 0.1;
    sub->vas_fen =
        cw_gen_rng_unit(&rng) < 0.3 ? (uint16_t)cw_gen_rng_range(&rng, 2, 15) * 100 : 0;
    sub->circle = (uint8_t)cw_gen_rng_range(&rng, 4, 24);
    sub->billing_dow = (uint8_t)cw_gen_rng_range(&rng, 0, 6);
    sub->rival_peer = cw_gen_number(false, cw_gen_rng_next(&rng));
    sub->complaint_style = (uint8_t)cw_gen_rng_range(&rng, 0, 2);
    sub->billed = 1;
}

static const cw_gen_drift_t drift_order[CW_GEN_DRIFT_CNT] = {
    CW_GEN_DRIFT_SPEND_DROP,      CW_GEN_DRIFT_COMPLAINTS, CW_GEN_DRIFT_FWD_RIVAL,
    CW_GEN_DRIFT_RIVAL_SERVICE,   CW_GEN_DRIFT_USAGE_DROP, CW_GEN_DRIFT_PLAN_DOWNGRADE,
    CW_GEN_DRIFT_CONTRACT_EXPIRY, CW_GEN_DRIFT_SILENT,
};

static void assign_drift(cw_gen_model_t *model, uint32_t i, uint32_t rank)
{
    const cw_gen_opts_t *opts = model->opts;
    cw_gen_sub_t *sub = &model->subs[i];
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, seeded(model, TAG_DRIFT_KIND, i, 0));

    /* round robin over the kinds, so the first eight drifting subscribers
     * of each group show all of them */
    cw_gen_drift_t first = drift_order[rank % CW_GEN_DRIFT_CNT];
    sub->drift = (uint8_t)(1u << first);
    if (first != CW_GEN_DRIFT_SILENT && cw_gen_rng_unit(&rng) < 0.35) {
        /* silent cannot go with anything: it sends nothing */
        cw_gen_drift_t second =
            (cw_gen_drift_t)cw_gen_rng_range(&rng, 0, CW_GEN_DRIFT_CNT - 1);
        if (second != CW_GEN_DRIFT_SILENT)
            sub->drift |= (uint8_t)(1u << second);
    }
    /* the last week, or the last two when there is a week before them to
     * compare with */
    int weeks = opts->weeks;
    sub->drift_week =
        (uint8_t)(weeks >= 3 && cw_gen_rng_unit(&rng) < 0.3 ? weeks - 2 : weeks - 1);
    if (sub->drift & (1u << CW_GEN_DRIFT_PLAN_DOWNGRADE) &&
        sub->downgrade_fee_fen >= sub->plan_fee_fen)
        sub->downgrade_fee_fen = sub->plan_fee_fen / 2;
    for (int k = 0; k < CW_GEN_DRIFT_CNT; k++)
        if (sub->drift & (1u << k))
            model->drift_cnt[k]++;
    model->drifting++;
}

/* Picks round(N * churn_pct / 100) subscribers (at least eight from 100
 * subscribers up, so every kind shows) with a seeded partial shuffle, and
 * hands out the kinds separately to watched (high, mid) and other
 * subscribers: drift in the watched tiers is what raises alerts. */
static int pick_drifting(cw_gen_model_t *model)
{
    const cw_gen_opts_t *opts = model->opts;
    uint32_t n = model->sub_cnt;
    uint32_t want = (uint32_t)llround((double)n * opts->churn_pct / 100.0);
    if (opts->churn_pct > 0 && n >= 100 && want < CW_GEN_DRIFT_CNT)
        want = CW_GEN_DRIFT_CNT;
    if (want == 0)
        return 0;

    uint32_t *order = cw_malloc((size_t)n * sizeof(*order));
    if (order == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, seeded(model, TAG_DRIFT_PICK, 0, 0));
    for (uint32_t i = 0; i < want; i++) {
        uint32_t j = i + (uint32_t)(cw_gen_rng_next(&rng) % (n - i));
        uint32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    uint32_t watched_rank = 0, other_rank = 0;
    for (uint32_t i = 0; i < want; i++) {
        uint8_t tier = model->subs[order[i]].tier;
        bool watched = tier == CW_GEN_TIER_HIGH || tier == CW_GEN_TIER_MID;
        assign_drift(model, order[i], watched ? watched_rank++ : other_rank++);
    }
    cw_free(order);
    return 0;
}

/* Events a drifting subscriber sends because of the drift itself, per
 * drifting week (gen_traffic.c): these are never scaled down, they are the
 * signal. */
static double drift_events_per_week(const cw_gen_sub_t *sub)
{
    double n = 0;
    if (sub->drift & (1u << CW_GEN_DRIFT_COMPLAINTS))
        n += sub->complaint_style == 0 ? 2.5 : 1;
    if (sub->drift & (1u << CW_GEN_DRIFT_FWD_RIVAL))
        n += 4 * 2;
    if (sub->drift & (1u << CW_GEN_DRIFT_RIVAL_SERVICE))
        n += 3;
    return n;
}

/* Billing is what spend_drop, silent and plan_downgrade show in, and most
 * of a slow drift. */
static bool needs_billing(const cw_gen_sub_t *sub)
{
    return (sub->drift & ((1u << CW_GEN_DRIFT_SPEND_DROP) | (1u << CW_GEN_DRIFT_SILENT) |
                          (1u << CW_GEN_DRIFT_PLAN_DOWNGRADE))) != 0 ||
           sub->slow != 0;
}

/* Share of the run a subscriber sends traffic in (--churn: until it left,
 * and again after a recycled number's profile). */
static double active_share(const cw_gen_model_t *model, const cw_gen_sub_t *sub)
{
    if (sub->churn_kind == 0)
        return 1.0;
    double days = 7.0 * model->opts->weeks;
    double active = sub->churn_day + 1;
    if (sub->recycle_day != 0)
        active += days - sub->recycle_day - 1;
    return active / days;
}

/* How many value-added services a set holds. */
static int popcount8(uint8_t bits)
{
    int n = 0;
    for (; bits != 0; bits &= (uint8_t)(bits - 1))
        n++;
    return n;
}

/* --events: scale activity so the total lands near the target. Profiles,
 * the drift's own events and the billing the drift shows in are fixed;
 * above the natural volume only usage grows, below it usage and the other
 * billing shrink by the same factor, keeping the natural mix. Billing
 * shrinks by billing only a share of the subscribers (the same ones every
 * week, so thinning makes no spurious spend drops). */
static void scale_activity(cw_gen_model_t *model)
{
    const cw_gen_opts_t *opts = model->opts;
    double weeks = opts->weeks;
    double fixed = model->sub_cnt - model->tier_cnt[CW_GEN_TIER_NONE];
    double usage = 0, billing = 0, billed_share = 1.0;

    model->usage_scale = 1.0;
    if (opts->events <= 0)
        return;
    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model->subs[i];
        double sub_usage =
            7.2 * sub->voice_per_day + 7.0 * sub->sms_per_day + 7.3 * sub->data_per_day;
        double sub_billing = sub->vas_fen ? 2 : 1;
        if (opts->monthly) {
            /* the rental daily, the services monthly, and rarer events */
            sub_billing = 7 + popcount8(sub->vas_set) / 4.35 + 0.2;
            if (sub->slow)
                fixed += (7 + 1.5) * weeks; /* the daily data pass, the symptoms */
        }
        double active = active_share(model, sub);
        sub_usage *= active;
        sub_billing *= active;
        if (sub->drift) {
            double drift_weeks = weeks - sub->drift_week;
            fixed += drift_events_per_week(sub) * drift_weeks;
            if (sub->drift & (1u << CW_GEN_DRIFT_PLAN_DOWNGRADE))
                fixed += 1;
            if (sub->drift & (1u << CW_GEN_DRIFT_CONTRACT_EXPIRY))
                fixed += 1;
            if (sub->drift & (1u << CW_GEN_DRIFT_SILENT)) {
                /* silent weeks send nothing */
                sub_usage *= sub->drift_week / weeks;
                sub_billing *= sub->drift_week / weeks;
            }
        }
        usage += sub_usage * weeks;
        if (needs_billing(sub))
            fixed += sub_billing * weeks;
        else
            billing += sub_billing * weeks;
    }
    double target = (double)opts->events - fixed;
    if (target < 0)
        target = 0;
    if (target >= usage + billing) {
        model->usage_scale = usage > 0 ? (target - billing) / usage : 0;
    } else {
        model->usage_scale = target / (usage + billing);
        billed_share = model->usage_scale;
    }
    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        cw_gen_sub_t *sub = &model->subs[i];
        sub->voice_per_day = (float)(sub->voice_per_day * model->usage_scale);
        sub->sms_per_day = (float)(sub->sms_per_day * model->usage_scale);
        sub->data_per_day = (float)(sub->data_per_day * model->usage_scale);
        if (billed_share < 1 && !needs_billing(sub))
            sub->billed = cw_gen_unit(seeded(model, TAG_HABITS, i, 1)) < billed_share;
    }
}

int cw_gen_model_build(cw_gen_model_t *model, const cw_gen_opts_t *opts, char *errbuf,
                       size_t errbuf_size)
{
    memset(model, 0, sizeof(*model));
    model->opts = opts;
    model->sub_cnt = opts->subscribers;
    model->subs = cw_calloc(model->sub_cnt, sizeof(*model->subs));
    if (model->subs == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory for %u subscribers", model->sub_cnt);
        return -1;
    }
    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        build_subscriber(model, i);
        model->tier_cnt[model->subs[i].tier]++;
    }
    if (pick_drifting(model) != 0 ||
        (opts->monthly && cw_gen_monthly_assign(model) != 0)) {
        snprintf(errbuf, errbuf_size, "out of memory picking drifting subscribers");
        cw_gen_model_free(model);
        return -1;
    }
    if (opts->churn)
        cw_gen_churn_assign(model);
    scale_activity(model);
    return 0;
}

void cw_gen_model_free(cw_gen_model_t *model)
{
    cw_free(model->subs);
    model->subs = NULL;
    model->sub_cnt = 0;
}
