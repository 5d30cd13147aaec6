/* cdrwarn-gen's monthly rhythms and slow drifters (--monthly,
 * gen_monthly.c), and the calendar months they count in. Below the model
 * (which calls the assignment) and churn (which asks when a slow drift
 * shows); calls only gen_day.c. */
#ifndef CW_GEN_MONTHLY_H
#define CW_GEN_MONTHLY_H

#include "gen.h"
#include "gen_day.h"

/* Gives every subscriber its value-added services and payment habit, and
 * picks the slow drifters with their symptoms and first month. Returns 0 or
 * -1 when out of memory. */
int cw_gen_monthly_assign(cw_gen_model_t *model);
/* Month index (year * 12 + month - 1) of a day number. */
int32_t cw_gen_month_of_day(int32_t day);
/* First day number of a month index. */
int32_t cw_gen_month_first_day(int32_t month);
/* "YYYY-MM" and a NUL into out[8]. */
void cw_gen_month_label(int32_t month, char out[8]);
/* The slow drift's month index, and the first month in which every item of
 * its symptoms should show (two months later). */
int32_t cw_gen_slow_month(const cw_gen_sub_t *sub);
/* The SPEC section 14 items a symptom set is meant to make true, in the
 * SPEC's table order; returns how many were written (at most 13), and the
 * items' default points in *points. */
int cw_gen_slow_items(uint16_t symptoms, const char *items[13], int *points);
/* Factor (0, 1] of a slow drifter's usage on a day: 1 before its drift. */
double cw_gen_slow_factor(const cw_gen_model_t *model, uint32_t sub, int day_index);
/* The monthly rhythms of one subscriber-day: the plan's rental deducted
 * daily, value-added service fees and subscriptions, arrears, suspensions,
 * faults, service contacts, and a slow drifter's symptoms. `fee_fen` is the
 * plan in force, `rental_factor` < 1 in a spend_drop drift, `vas` false
 * when value-added services are off (spend_drop drift), `recycled` true
 * on the days of a recycled number's new owner (--churn; the caller knows
 * it, so this layer need not ask gen_churn.c). */
void cw_gen_monthly_day(cw_gen_dayctx_t *ctx, uint32_t sub, uint32_t fee_fen,
                        double rental_factor, bool vas, bool recycled);

#endif
