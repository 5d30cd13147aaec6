/* cdrwarn-gen's monthly rhythms (--monthly; SPEC sections 3 and 14): the
 * plan's rental deducted day by day, value-added services charged once a
 * month each and now and then a new one subscribed, arrears and
 * suspensions for the few who pay late, occasional faults and service
 * contacts; and the slow drifters, whose spend falls month by month while
 * arrears, faults, service calls and forwarded calls pile up, each symptom
 * spread thin enough that no week ever crosses a weekly threshold. Part of
 * the population (cw_gen_monthly_assign, from gen_model.c) and of each
 * subscriber-day (cw_gen_monthly_day, from gen_traffic.c). */
#include "gen_monthly.h"

#include <math.h>
#include <string.h>

#include "alloc.h"

const char *const cw_gen_vas_names[CW_GEN_VAS_CNT] = {
    "music", "video", "cloud", "news", "ringback", "game", "reading", "security",
};
const uint16_t cw_gen_vas_fees[CW_GEN_VAS_CNT] = {300, 1000, 600, 200,
                                                  500, 800,  500, 400};
const char *const cw_gen_slow_names[CW_GEN_SLOW_CNT] = {
    "spend",         "arrears", "fault", "complaints", "own_service",
    "rival_service", "vip",     "vas",   "fwd",
};
const char *const cw_gen_suspend_names[3] = {"arrears", "request", "loss_report"};
const char *const cw_gen_channel_names[3] = {"vip", "hall", "hotline"};

enum {
    TAG_M_HABITS = 301,
    TAG_M_SLOW_PICK,
    TAG_M_SLOW,
    TAG_M_PLAN,
    TAG_M_SLOW_PLAN,
    TAG_M_FWD_WEEK,
    TAG_M_DAY,
    TAG_M_VAS_DAY,
};

enum { SUSPEND_ARREARS, SUSPEND_REQUEST, SUSPEND_LOSS_REPORT };
enum { CHANNEL_VIP, CHANNEL_HALL, CHANNEL_HOTLINE };

#define M_MS_PER_MINUTE 60000LL
#define M_OWN_SERVICE 10086ULL
static const uint64_t m_rival_service[] = {10010, 10000};

/* The SPEC section 14 items in the SPEC's table order, the symptom meant to
 * make each true, and its default points. */
static const struct {
    const char *name;
    cw_gen_slow_t symptom;
    int points;
} slow_items[] = {
    {"spend_fall", CW_GEN_SLOW_SPEND, 3},
    {"fwd_3m", CW_GEN_SLOW_FWD, 1},
    {"fwd_1m", CW_GEN_SLOW_FWD, 1},
    {"arrears_stops", CW_GEN_SLOW_ARREARS, 2},
    {"owed", CW_GEN_SLOW_ARREARS, 1},
    {"months_owed", CW_GEN_SLOW_ARREARS, 2},
    {"fault", CW_GEN_SLOW_FAULT, 2},
    {"complaints_3m", CW_GEN_SLOW_COMPLAINTS, 3},
    {"own_service", CW_GEN_SLOW_OWN_SERVICE, 3},
    {"rival_service_6m", CW_GEN_SLOW_RIVAL_SERVICE, 3},
    {"vip_service", CW_GEN_SLOW_VIP, 2},
    {"few_new_services", CW_GEN_SLOW_VAS, 1},
    {"vas_fall", CW_GEN_SLOW_VAS, 2},
};
#define SLOW_ITEM_CNT (sizeof(slow_items) / sizeof(slow_items[0]))

/* A slow drifter's symptoms add up to at least this many default points
 * (the [score] threshold is 10): a margin for an item that shows late. */
#define SLOW_MIN_POINTS 12
/* A slow drifter's daily data pass costs this share of its monthly plan
 * fee a month before the drift, and halves every three weeks of it: spend
 * falls month by month, the pass by a fifth a week, the whole bill far
 * less, never halving in a week. */
#define SLOW_PASS_SHARE 0.8
#define SLOW_HALF_LIFE_DAYS 21.0
/* VAS fees of a month stay under this share of a week's rental, so a week
 * in which they fall due never towers over the next (a spend_drop). */
#define VAS_CAP_OF_WEEK 0.4

int32_t cw_gen_month_of_day(int32_t day)
{
    int y, m, d;
    cw_date_to_civil(day, &y, &m, &d);
    return y * 12 + m - 1;
}

int32_t cw_gen_month_first_day(int32_t month)
{
    return cw_date_from_civil(month / 12, month % 12 + 1, 1);
}

void cw_gen_month_label(int32_t month, char out[8])
{
    int y = month / 12, m = month % 12 + 1;
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '\0';
}

int32_t cw_gen_slow_month(const cw_gen_sub_t *sub)
{
    return cw_gen_month_of_day(sub->slow_start);
}

int cw_gen_slow_items(uint16_t symptoms, const char *items[13], int *points)
{
    int n = 0;
    *points = 0;
    for (size_t k = 0; k < SLOW_ITEM_CNT; k++) {
        if (!(symptoms & (1u << slow_items[k].symptom)))
            continue;
        items[n++] = slow_items[k].name;
        *points += slow_items[k].points;
    }
    return n;
}

static int symptom_points(cw_gen_slow_t symptom)
{
    int points = 0;
    for (size_t k = 0; k < SLOW_ITEM_CNT; k++)
        if (slow_items[k].symptom == symptom)
            points += slow_items[k].points;
    return points;
}

double cw_gen_slow_factor(const cw_gen_model_t *model, uint32_t i, int day_index)
{
    const cw_gen_sub_t *sub = &model->subs[i];
    int32_t day = model->opts->start_day + day_index;
    if (sub->slow == 0 || day < sub->slow_start)
        return 1.0;
    return pow(0.5, (day - sub->slow_start) / SLOW_HALF_LIFE_DAYS);
}

static uint32_t vas_cap(const cw_gen_sub_t *sub)
{
    return (uint32_t)(sub->plan_fee_fen * 7.0 / 30 * VAS_CAP_OF_WEEK);
}

static uint32_t vas_total(uint8_t mask)
{
    uint32_t total = 0;
    for (int s = 0; s < CW_GEN_VAS_CNT; s++)
        if (mask & (1u << s))
            total += cw_gen_vas_fees[s];
    return total;
}

static int vas_count(uint8_t mask)
{
    int n = 0;
    for (int s = 0; s < CW_GEN_VAS_CNT; s++)
        n += (mask >> s) & 1;
    return n;
}

/* ---- the population ---- */

/* Months of the run whose every day is in it, as month indexes. */
static void full_months(const cw_gen_opts_t *opts, int32_t *first, int32_t *last)
{
    int32_t last_day = opts->start_day + 7 * opts->weeks - 1;
    *first = cw_gen_month_of_day(opts->start_day);
    if (cw_gen_month_first_day(*first) != opts->start_day)
        (*first)++;
    *last = cw_gen_month_of_day(last_day + 1) - 1;
}

/* The months a slow drift may start in: three whole months before it (the
 * 6-month means then hold a baseline), and its first two months and the
 * one after them, in which every item should show, inside the run. Runs
 * too short for that get fewer baseline months, then items that show
 * only after the run; none with less than a week of drift in the run. */
static bool slow_months(const cw_gen_opts_t *opts, int32_t *lo, int32_t *hi)
{
    int32_t first, last;
    full_months(opts, &first, &last);
    *lo = first + 3;
    *hi = last - 2;
    if (*lo > *hi)
        *lo = first + 1;
    if (*lo > *hi)
        *hi = *lo;
    int32_t last_day = opts->start_day + 7 * opts->weeks - 1;
    return cw_gen_month_first_day(*lo) <= last_day - 7;
}

/* The cheapest set of services holding `mask` with two or more worth at
 * least 10 yuan a month (what vas_fall needs as a base) within the cap;
 * `mask` itself when there is none. */
static uint8_t vas_baseline(const cw_gen_sub_t *sub, uint8_t mask)
{
    uint32_t cap = vas_cap(sub), best_total = UINT32_MAX;
    uint8_t best = mask;
    for (unsigned set = 0; set < (1u << CW_GEN_VAS_CNT); set++) {
        uint32_t total = vas_total((uint8_t)set);
        if ((set & mask) != mask || vas_count((uint8_t)set) < 2 || total < 1000 ||
            total > cap || total >= best_total)
            continue;
        best = (uint8_t)set;
        best_total = total;
    }
    return best;
}

static void assign_slow(cw_gen_model_t *model, uint32_t i, int32_t lo, int32_t hi)
{
    const cw_gen_opts_t *opts = model->opts;
    cw_gen_sub_t *sub = &model->subs[i];
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, cw_gen_hash4(opts->seed, TAG_M_SLOW, i, 0));

    sub->slow_start = cw_gen_month_first_day((int32_t)cw_gen_rng_range(&rng, lo, hi));
    cw_gen_slow_t pool[CW_GEN_SLOW_CNT];
    int n = 0;
    pool[n++] = CW_GEN_SLOW_ARREARS;
    pool[n++] = CW_GEN_SLOW_FAULT;
    pool[n++] = CW_GEN_SLOW_COMPLAINTS;
    pool[n++] = CW_GEN_SLOW_OWN_SERVICE;
    pool[n++] = CW_GEN_SLOW_RIVAL_SERVICE;
    pool[n++] = CW_GEN_SLOW_FWD;
    if (sub->tier == CW_GEN_TIER_HIGH)
        pool[n++] = CW_GEN_SLOW_VIP; /* the key-account team serves the high tier */
    uint8_t vas = vas_baseline(sub, sub->vas_set);
    if (vas_count(vas) >= 2 && vas_total(vas) >= 1000)
        pool[n++] = CW_GEN_SLOW_VAS;
    for (int k = n - 1; k > 0; k--) {
        int j = (int)cw_gen_rng_range(&rng, 0, k);
        cw_gen_slow_t tmp = pool[k];
        pool[k] = pool[j];
        pool[j] = tmp;
    }
    uint16_t symptoms = 1u << CW_GEN_SLOW_SPEND;
    int points = symptom_points(CW_GEN_SLOW_SPEND);
    for (int k = 0; k < n && points < SLOW_MIN_POINTS; k++) {
        symptoms |= (uint16_t)(1u << pool[k]);
        points += symptom_points(pool[k]);
    }
    sub->slow = symptoms;
    if (symptoms & (1u << CW_GEN_SLOW_VAS))
        sub->vas_set = vas;
    /* a contract ending in the run would raise contract_expiry, a weekly
     * trigger: this one renewed earlier */
    int32_t last_day = opts->start_day + 7 * opts->weeks - 1;
    if (sub->contract_end != CW_DAY_NONE && sub->contract_end <= last_day + 30)
        sub->contract_end += 365 * ((last_day + 30 - sub->contract_end) / 365 + 1);
    for (int k = 0; k < CW_GEN_SLOW_CNT; k++)
        if (symptoms & (1u << k))
            model->slow_symptom_cnt[k]++;
    model->slow_cnt++;
}

int cw_gen_monthly_assign(cw_gen_model_t *model)
{
    const cw_gen_opts_t *opts = model->opts;
    uint32_t n = model->sub_cnt;

    for (uint32_t i = 0; i < n; i++) {
        cw_gen_sub_t *sub = &model->subs[i];
        cw_gen_rng_t rng;
        cw_gen_rng_seed(&rng, cw_gen_hash4(opts->seed, TAG_M_HABITS, i, 0));
        uint32_t cap = vas_cap(sub);
        uint8_t mask = 0;
        for (int s = 0; s < CW_GEN_VAS_CNT; s++)
            if (cw_gen_rng_unit(&rng) < 0.12 &&
                vas_total(mask) + cw_gen_vas_fees[s] <= cap)
                mask |= (uint8_t)(1u << s);
        sub->vas_set = mask;
        sub->late_payer = cw_gen_rng_unit(&rng) < 0.06;
    }

    int32_t lo, hi;
    if (opts->slow_pct <= 0 || !slow_months(opts, &lo, &hi))
        return 0;
    /* slow drifters: among the watched tiers (the only ones SPEC 14
     * scores) without a weekly drift */
    uint32_t *order = cw_malloc((size_t)n * sizeof(*order));
    if (order == NULL)
        return -1;
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < n; i++)
        if (model->subs[i].drift == 0 && (model->subs[i].tier == CW_GEN_TIER_HIGH ||
                                          model->subs[i].tier == CW_GEN_TIER_MID))
            order[cnt++] = i;
    uint32_t want = (uint32_t)llround((double)n * opts->slow_pct / 100.0);
    if (want > cnt)
        want = cnt;
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng, cw_gen_hash4(opts->seed, TAG_M_SLOW_PICK, 0, 0));
    for (uint32_t k = 0; k < want; k++) {
        uint32_t j = k + (uint32_t)(cw_gen_rng_next(&rng) % (cnt - k));
        uint32_t tmp = order[k];
        order[k] = order[j];
        order[j] = tmp;
        assign_slow(model, order[k], lo, hi);
    }
    cw_free(order);
    return 0;
}

/* ---- a month's plan ---- */

/* What a subscriber's month holds besides its daily rental: one draw per
 * (subscriber, month), the same whichever day asks. Days are numbers. */
typedef struct {
    int32_t subscribe_day; /* CW_DAY_NONE = none */
    unsigned subscribe_pick;
    bool drop;
    unsigned drop_pick;
    int32_t arrears_day, stop_day, pay_day; /* late payment; CW_DAY_NONE = none */
    int32_t fault_day;
    int fault_level;
    int32_t hall_day, hotline_day, vip_day, request_day, loss_day;
} month_plan_t;

/* A day of the month, or CW_DAY_NONE when the chance is missed. The draws
 * are made either way, so one chance does not move another. */
static int32_t maybe_day(cw_gen_rng_t *rng, double p, int32_t first, int dim)
{
    double u = cw_gen_rng_unit(rng);
    int32_t day = first + (int32_t)cw_gen_rng_range(rng, 0, dim - 1);
    return u < p ? day : CW_DAY_NONE;
}

static void month_plan(const cw_gen_model_t *model, uint32_t i, int32_t month,
                       month_plan_t *plan)
{
    const cw_gen_sub_t *sub = &model->subs[i];
    int32_t first = cw_gen_month_first_day(month);
    int dim = cw_gen_month_first_day(month + 1) - first;
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng,
                    cw_gen_hash4(model->opts->seed, TAG_M_PLAN, i, (uint64_t)month));

    /* a new service every five months or so; none for a slow drifter who
     * is dropping them (few_new_services) */
    bool no_new = (sub->slow & (1u << CW_GEN_SLOW_VAS)) != 0;
    plan->subscribe_day = maybe_day(&rng, no_new ? 0 : 0.2, first, dim);
    plan->subscribe_pick = (unsigned)cw_gen_rng_next(&rng);
    plan->drop = cw_gen_rng_unit(&rng) < 0.05;
    plan->drop_pick = (unsigned)cw_gen_rng_next(&rng);

    /* a late payer misses the due date (the 20th) some months, gets a stop
     * after five days unpaid, and pays within twelve */
    bool late = cw_gen_rng_unit(&rng) < 0.3 && sub->late_payer;
    int32_t arrears_day = first + 20 + (int32_t)cw_gen_rng_range(&rng, 0, 4);
    int pay_after = (int)cw_gen_rng_range(&rng, 1, 12);
    plan->arrears_day = late ? arrears_day : CW_DAY_NONE;
    plan->pay_day = late ? arrears_day + pay_after : CW_DAY_NONE;
    plan->stop_day = late && pay_after > 5 ? arrears_day + 5 : CW_DAY_NONE;

    double u_level = cw_gen_rng_unit(&rng);
    plan->fault_day = maybe_day(&rng, 0.027, first, dim);
    plan->fault_level = u_level < 0.74 ? 1 : u_level < 0.93 ? 2 : 3;
    plan->hall_day = maybe_day(&rng, 0.05, first, dim);
    plan->hotline_day = maybe_day(&rng, 0.10, first, dim);
    plan->vip_day = maybe_day(&rng, sub->tier == CW_GEN_TIER_HIGH ? 0.10 : 0, first, dim);
    plan->request_day = maybe_day(&rng, 0.004, first, dim);
    plan->loss_day = maybe_day(&rng, 0.003, first, dim);
}

/* The service a subscription adds to `mask`, or -1 when none fits. */
static int subscribe_pick(const cw_gen_sub_t *sub, uint8_t mask, unsigned pick)
{
    uint32_t cap = vas_cap(sub), total = vas_total(mask);
    for (int k = 0; k < CW_GEN_VAS_CNT; k++) {
        int s = (int)((pick + (unsigned)k) % CW_GEN_VAS_CNT);
        if (!(mask & (1u << s)) && total + cw_gen_vas_fees[s] <= cap)
            return s;
    }
    return -1;
}

static uint8_t drop_biggest(uint8_t mask)
{
    int best = -1;
    for (int s = 0; s < CW_GEN_VAS_CNT; s++)
        if ((mask & (1u << s)) &&
            (best < 0 || cw_gen_vas_fees[s] > cw_gen_vas_fees[best]))
            best = s;
    return best < 0 ? mask : (uint8_t)(mask & ~(1u << best));
}

/* The services charged in `month`: those held at the start, plus the ones
 * subscribed and minus the ones dropped in the months before; a slow
 * drifter dropping services loses its dearest at the start of each month
 * of its drift. */
static uint8_t vas_held(const cw_gen_model_t *model, uint32_t i, int32_t month)
{
    const cw_gen_sub_t *sub = &model->subs[i];
    uint8_t mask = sub->vas_set;
    int32_t shrink_from =
        (sub->slow & (1u << CW_GEN_SLOW_VAS)) ? cw_gen_slow_month(sub) : INT32_MAX;
    month_plan_t plan;
    for (int32_t mm = cw_gen_month_of_day(model->opts->start_day);; mm++) {
        if (mm >= shrink_from)
            mask = drop_biggest(mask);
        if (mm >= month)
            break;
        month_plan(model, i, mm, &plan);
        if (plan.subscribe_day != CW_DAY_NONE &&
            plan.subscribe_day >= model->opts->start_day) {
            int s = subscribe_pick(sub, mask, plan.subscribe_pick);
            if (s >= 0)
                mask |= (uint8_t)(1u << s);
        }
        int held = vas_count(mask);
        /* a slow drifter dropping services keeps them all until then */
        if (plan.drop && held > 0 && shrink_from == INT32_MAX) {
            unsigned nth = plan.drop_pick % (unsigned)held;
            for (int s = 0; s < CW_GEN_VAS_CNT; s++)
                if ((mask & (1u << s)) && nth-- == 0) {
                    mask &= (uint8_t) ~(1u << s);
                    break;
                }
        }
    }
    return mask;
}

/* ---- one subscriber-day ---- */

/* The services whose monthly fee falls due on this day of the month: each
 * service of a subscriber has its own day, 1..28, so the fees of a month
 * spread over its weeks and no week's spend stands out. */
static uint8_t vas_due_today(const cw_gen_model_t *model, uint32_t i, int mday)
{
    if (mday > 28)
        return 0;
    uint8_t due = 0;
    for (int s = 0; s < CW_GEN_VAS_CNT; s++)
        if ((int)(cw_gen_hash4(model->opts->seed, TAG_M_VAS_DAY, i, (uint64_t)s) % 28) +
                1 ==
            mday)
            due |= (uint8_t)(1u << s);
    return due;
}

static cw_gen_rec_t *m_push(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_type_t type,
                            cw_gen_rng_t *rng, int from_hour, int to_hour)
{
    return cw_gen_push(ctx, i, type, cw_gen_time_between(ctx, rng, from_hour, to_hour));
}

static void m_suspend(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, int reason)
{
    /* stops for arrears run with the night's billing; others in the day */
    cw_gen_rec_t *rec = reason == SUSPEND_ARREARS
                            ? m_push(ctx, i, CW_GEN_SUSPEND, rng, 0, 2)
                            : m_push(ctx, i, CW_GEN_SUSPEND, rng, 9, 21);
    if (rec != NULL)
        rec->a = (uint32_t)reason;
}

static void m_arrears(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, uint32_t owed,
                      uint32_t months)
{
    cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_ARREARS, rng, 6, 9);
    if (rec != NULL) {
        rec->a = owed;
        rec->b = months;
    }
}

static void m_service(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, int channel)
{
    cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_SERVICE, rng, 9, 20);
    if (rec != NULL)
        rec->a = (uint32_t)channel;
}

static void m_fault(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng, int level)
{
    cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_FAULT, rng, 8, 22);
    if (rec != NULL)
        rec->a = (uint32_t)level;
}

/* A call to a service centre; a call to ours is logged in CRM as a hotline
 * contact half the time. */
static void m_service_call(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng,
                           uint64_t number, int min_s, int max_s)
{
    cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_VOICE, rng, 9, 21);
    if (rec == NULL)
        return;
    rec->dir = CW_GEN_DIR_MO;
    rec->peer = number;
    rec->a = (uint32_t)cw_gen_rng_range(rng, min_s, max_s);
    int64_t after =
        rec->ts + rec->a * 1000LL + cw_gen_rng_range(rng, 1, 10) * M_MS_PER_MINUTE;
    if (number == M_OWN_SERVICE && cw_gen_rng_unit(rng) < 0.5 &&
        after < ctx->day_start_ms + 24 * 60 * M_MS_PER_MINUTE) {
        cw_gen_rec_t *contact = cw_gen_push(ctx, i, CW_GEN_SERVICE, after);
        if (contact != NULL)
            contact->a = CHANNEL_HOTLINE;
    }
}

/* The month-plan events of one month that fall on `day`. */
static void month_events(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng,
                         const month_plan_t *plan, int32_t day, uint32_t fee_fen,
                         bool arrears_ok, bool noise)
{
    const cw_gen_sub_t *sub = &ctx->model->subs[i];
    if (arrears_ok && plan->arrears_day == day)
        m_arrears(ctx, i, rng, fee_fen + vas_total(sub->vas_set), 1);
    if (arrears_ok && plan->stop_day == day)
        m_suspend(ctx, i, rng, SUSPEND_ARREARS);
    if (arrears_ok && plan->pay_day == day &&
        plan->arrears_day >= ctx->model->opts->start_day)
        m_arrears(ctx, i, rng, 0, 0); /* paid */
    if (!noise)
        return;
    if (plan->fault_day == day)
        m_fault(ctx, i, rng, plan->fault_level);
    if (plan->hall_day == day)
        m_service(ctx, i, rng, CHANNEL_HALL);
    if (plan->hotline_day == day)
        m_service(ctx, i, rng, CHANNEL_HOTLINE);
    if (plan->vip_day == day)
        m_service(ctx, i, rng, CHANNEL_VIP);
    if (plan->request_day == day)
        m_suspend(ctx, i, rng, SUSPEND_REQUEST);
    if (plan->loss_day == day)
        m_suspend(ctx, i, rng, SUSPEND_LOSS_REPORT);
}

/* A slow drifter's symptoms on one day of month `k` of its drift (0 = the
 * first). Each symptom is laid out over its month from a stream seeded by
 * (subscriber, month): at most one complaint and one rival call a month,
 * between the 8th and the 21st, so two never share a week; arrears grow by
 * a month's fee every month, each followed by a stop. */
static void slow_events(cw_gen_dayctx_t *ctx, uint32_t i, cw_gen_rng_t *rng,
                        int32_t month, int k, int mday, uint32_t fee_fen)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_sub_t *sub = &model->subs[i];
    uint16_t slow = sub->slow;
    cw_gen_rng_t plan;
    cw_gen_rng_seed(&plan,
                    cw_gen_hash4(model->opts->seed, TAG_M_SLOW_PLAN, i, (uint64_t)month));
    int arrears_day = 21 + (int)cw_gen_rng_range(&plan, 0, 2);
    int stop_day = arrears_day + (int)cw_gen_rng_range(&plan, 2, 4);
    int fault_day = (int)cw_gen_rng_range(&plan, 3, 27);
    int fault_level = cw_gen_rng_unit(&plan) < 0.4 ? 3 : 2;
    int complaint_day = (int)cw_gen_rng_range(&plan, 8, 21);
    int rival_day = (int)cw_gen_rng_range(&plan, 8, 21);
    uint64_t rival_number = m_rival_service[cw_gen_rng_next(&plan) % 2];
    int own_days[3];
    own_days[0] = (int)cw_gen_rng_range(&plan, 1, 9);
    own_days[1] = own_days[0] + (int)cw_gen_rng_range(&plan, 5, 9);
    own_days[2] = cw_gen_rng_unit(&plan) < 0.5
                      ? own_days[1] + (int)cw_gen_rng_range(&plan, 5, 9)
                      : 0;
    int vip_days[2];
    vip_days[0] = (int)cw_gen_rng_range(&plan, 2, 12);
    vip_days[1] = cw_gen_rng_unit(&plan) < 0.5
                      ? vip_days[0] + (int)cw_gen_rng_range(&plan, 7, 14)
                      : 0;

    if ((slow & (1u << CW_GEN_SLOW_ARREARS)) && sub->billed) {
        if (mday == arrears_day)
            m_arrears(ctx, i, rng, (uint32_t)(k + 1) * fee_fen, (uint32_t)(k + 1));
        if (mday == stop_day)
            m_suspend(ctx, i, rng, SUSPEND_ARREARS);
    }
    if ((slow & (1u << CW_GEN_SLOW_FAULT)) && mday == fault_day)
        m_fault(ctx, i, rng, fault_level);
    if ((slow & (1u << CW_GEN_SLOW_COMPLAINTS)) && mday == complaint_day) {
        cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_COMPLAINT, rng, 9, 20);
        if (rec != NULL)
            rec->dir = 0; /* normal, answered in time */
    }
    if ((slow & (1u << CW_GEN_SLOW_RIVAL_SERVICE)) && mday == rival_day)
        m_service_call(ctx, i, rng, rival_number, 60, 300);
    if (slow & (1u << CW_GEN_SLOW_OWN_SERVICE))
        for (int n = 0; n < 3; n++)
            if (own_days[n] == mday)
                m_service_call(ctx, i, rng, M_OWN_SERVICE, 60, 300);
    if (slow & (1u << CW_GEN_SLOW_VIP))
        for (int n = 0; n < 2; n++)
            if (vip_days[n] == mday)
                m_service(ctx, i, rng, CHANNEL_VIP);
    if (slow & (1u << CW_GEN_SLOW_FWD)) {
        /* calls forwarded to the rival line on two days a week: three
         * days would be the weekly fwd_rival trigger */
        cw_gen_rng_t week;
        cw_gen_rng_seed(&week, cw_gen_hash4(model->opts->seed, TAG_M_FWD_WEEK, i,
                                            (uint64_t)ctx->week));
        int a = (int)cw_gen_rng_range(&week, 0, 6);
        int b = (a + (int)cw_gen_rng_range(&week, 1, 6)) % 7;
        if (ctx->dow == a || ctx->dow == b) {
            int calls = (int)cw_gen_rng_range(rng, 1, 2);
            for (int c = 0; c < calls; c++) {
                cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_VOICE, rng, 8, 22);
                if (rec == NULL)
                    return;
                rec->dir = CW_GEN_DIR_FWD;
                rec->peer = sub->rival_peer;
                rec->a = (uint32_t)cw_gen_rng_range(rng, 15, 400);
            }
        }
    }
}

void cw_gen_monthly_day(cw_gen_dayctx_t *ctx, uint32_t i, uint32_t fee_fen,
                        double rental_factor, bool vas, bool recycled)
{
    const cw_gen_model_t *model = ctx->model;
    const cw_gen_opts_t *opts = model->opts;
    const cw_gen_sub_t *sub = &model->subs[i];
    int32_t day = opts->start_day + ctx->day_index;
    int y, m, mday;
    cw_date_to_civil(day, &y, &m, &mday);
    int32_t month = y * 12 + m - 1;
    int dim = cw_date_days_in_month(y, m);
    bool slow = sub->slow != 0 && !recycled;
    bool slow_on = slow && day >= sub->slow_start;
    cw_gen_rng_t rng;
    cw_gen_rng_seed(&rng,
                    cw_gen_hash4(opts->seed, TAG_M_DAY, i, (uint64_t)ctx->day_index));

    if (sub->billed) {
        /* the month's fee in daily parts that add up to it exactly */
        uint64_t due = (uint64_t)fee_fen * (uint64_t)mday / (uint64_t)dim -
                       (uint64_t)fee_fen * (uint64_t)(mday - 1) / (uint64_t)dim;
        cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_CHARGE, &rng, 0, 2);
        if (rec == NULL)
            return;
        rec->a = 0; /* rental */
        rec->b = (uint32_t)((double)due * rental_factor + 0.5);
        uint8_t due_today = vas_due_today(model, i, mday);
        if (due_today != 0 && vas && !recycled) {
            uint8_t held = vas_held(model, i, month) & due_today;
            int64_t ts = cw_gen_time_between(ctx, &rng, 2, 5);
            for (int s = 0; s < CW_GEN_VAS_CNT; s++) {
                if (!(held & (1u << s)))
                    continue;
                rec = cw_gen_push(ctx, i, CW_GEN_CHARGE, ts + s * 1000);
                if (rec == NULL)
                    return;
                rec->a = CW_GEN_ITEM_VAS + (uint32_t)s;
                rec->b = cw_gen_vas_fees[s];
            }
        }
    }

    month_plan_t plan;
    month_plan(model, i, month, &plan);
    if (plan.subscribe_day == day && !recycled && sub->billed) {
        int s = subscribe_pick(sub, vas_held(model, i, month), plan.subscribe_pick);
        if (s >= 0) {
            cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_SUBSCRIBE, &rng, 10, 22);
            if (rec == NULL)
                return;
            rec->a = (uint32_t)s;
            rec->b = cw_gen_vas_fees[s];
        }
    }
    /* a slow drifter's own symptoms replace the noise: the items it trips
     * are the ones it is meant to */
    bool arrears_ok = sub->billed && !recycled && !slow_on;
    month_events(ctx, i, &rng, &plan, day, fee_fen, arrears_ok, !slow_on);
    /* a late payment can cross into the next month (not when its arrears
     * were before the run) */
    month_plan(model, i, month - 1, &plan);
    if (arrears_ok && plan.pay_day == day && plan.arrears_day >= opts->start_day)
        m_arrears(ctx, i, &rng, 0, 0);

    if (!slow)
        return;
    if (sub->billed) {
        /* the heavy out-of-bundle data user's daily pass: most of what
         * falls in a slow drift's spend */
        double f = cw_gen_slow_factor(model, i, ctx->day_index);
        cw_gen_rec_t *rec = m_push(ctx, i, CW_GEN_DATA, &rng, 19, 23);
        if (rec == NULL)
            return;
        rec->a = (uint32_t)(f * (double)cw_gen_rng_range(&rng, 150, 400) * 1e6);
        rec->b = (uint32_t)(sub->plan_fee_fen * SLOW_PASS_SHARE / 30 * f + 0.5);
    }
    if (slow_on)
        slow_events(ctx, i, &rng, month, month - cw_gen_slow_month(sub), mday, fee_fen);
}
