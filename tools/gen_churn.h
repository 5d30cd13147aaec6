/* cdrwarn-gen's labelled churn (--churn, gen_churn.c). Below the model
 * (which calls the assignment) and the traffic (which asks about each
 * day); calls gen_day.c, gen_number.c and gen_monthly.c. */
#ifndef CW_GEN_CHURN_H
#define CW_GEN_CHURN_H

#include "gen.h"
#include "gen_day.h"

/* Decides, for --churn, who churns, when and how, spreads the weekly drifts
 * over the run and lets the drifters who stay recover; after the drifting
 * and slow drifting subscribers are picked. */
void cw_gen_churn_assign(cw_gen_model_t *model);
/* Epoch ms of a churning subscriber's churn event. */
int64_t cw_gen_churn_ts(const cw_gen_model_t *model, uint32_t sub);
/* Epoch ms of a recycled number's fresh profile. */
int64_t cw_gen_churn_recycle_ts(const cw_gen_model_t *model, uint32_t sub);
/* True when the subscriber has left and sends nothing on this day. */
bool cw_gen_churn_gone(const cw_gen_sub_t *sub, int day_index);
/* True on and after a recycled number's fresh profile: a new customer with
 * plain habits, no drift. */
bool cw_gen_churn_recycled(const cw_gen_sub_t *sub, int day_index);
/* The subscriber's churn on its churn day: drops what it would have sent
 * from the churn on (its records from index `first` of the day), then
 * sends the churn event; and a recycled number's fresh profile. */
void cw_gen_churn_day(cw_gen_dayctx_t *ctx, uint32_t sub, size_t first);

#endif
