/* cdrwarn-gen's day clock and record buffer (gen_day.c): where a local day
 * starts, times within it, and appending records to it. The bottom layer
 * that traffic, churn and the monthly rhythms all write through; it calls
 * no other gen file. */
#ifndef CW_GEN_DAY_H
#define CW_GEN_DAY_H

#include "gen.h"

/* What the generation of one day knows, shared by gen_traffic.c,
 * gen_churn.c and gen_monthly.c. */
typedef struct {
    const cw_gen_model_t *model; /* borrowed */
    cw_gen_day_t *day;           /* borrowed */
    int day_index;
    int week;
    int dow; /* 0 = Monday */
    int64_t day_start_ms;
    uint32_t seq;
    bool failed;
} cw_gen_dayctx_t;

/* Epoch ms of the day index's local midnight. */
int64_t cw_gen_day_start_ms(const cw_gen_model_t *model, int day_index);
/* Appends a zeroed record of `type` at `ts`; NULL (and ctx->failed) when
 * out of memory. */
cw_gen_rec_t *cw_gen_push(cw_gen_dayctx_t *ctx, uint32_t sub, cw_gen_type_t type,
                          int64_t ts);
/* A time between two local hours of the day. */
int64_t cw_gen_time_between(const cw_gen_dayctx_t *ctx, cw_gen_rng_t *rng, int from_hour,
                            int to_hour);
void cw_gen_day_free(cw_gen_day_t *day);

#endif
