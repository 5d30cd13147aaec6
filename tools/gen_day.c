/* cdrwarn-gen's day clock and record buffer: every part of a subscriber-day
 * (gen_traffic.c, gen_churn.c, gen_monthly.c) appends its records here, so
 * this sits below all of them and calls none. */
#include "gen_day.h"

#include <string.h>

#include "alloc.h"
#include "week.h"

#define DAY_MS_PER_HOUR 3600000LL
#define DAY_MS_PER_MINUTE 60000LL

int64_t cw_gen_day_start_ms(const cw_gen_model_t *model, int day_index)
{
    return (int64_t)(model->opts->start_day + day_index) * CW_MS_PER_DAY -
           (int64_t)model->opts->utc_offset_s * 1000;
}

cw_gen_rec_t *cw_gen_push(cw_gen_dayctx_t *ctx, uint32_t sub, cw_gen_type_t type,
                          int64_t ts)
{
    cw_gen_day_t *day = ctx->day;
    cw_gen_rec_t *recs =
        cw_grow(day->recs, &day->cap, day->cnt + 1, sizeof(*recs), 65536);
    if (recs == NULL) {
        ctx->failed = true;
        return NULL;
    }
    day->recs = recs;
    cw_gen_rec_t *rec = &day->recs[day->cnt++];
    memset(rec, 0, sizeof(*rec));
    /* profiles hold the first minute of the traffic to themselves */
    if (ctx->day_index == 0 && type != CW_GEN_PROFILE &&
        ts < ctx->day_start_ms + DAY_MS_PER_MINUTE)
        ts += DAY_MS_PER_MINUTE;
    rec->ts = ts;
    rec->sub = sub;
    rec->seq = ctx->seq++;
    rec->type = (uint8_t)type;
    return rec;
}

int64_t cw_gen_time_between(const cw_gen_dayctx_t *ctx, cw_gen_rng_t *rng, int from_hour,
                            int to_hour)
{
    return ctx->day_start_ms + from_hour * DAY_MS_PER_HOUR +
           cw_gen_rng_range(rng, 0, (to_hour - from_hour) * DAY_MS_PER_HOUR - 1);
}

void cw_gen_day_free(cw_gen_day_t *day)
{
    cw_free(day->recs);
    memset(day, 0, sizeof(*day));
}
