/* cdrwarn-gen's traffic (gen_traffic.c): the top of the generator's
 * layers, asking the model, churn and the monthly rhythms about each
 * subscriber-day; nothing below calls it. */
#ifndef CW_GEN_TRAFFIC_H
#define CW_GEN_TRAFFIC_H

#include "gen.h"

/* Fills `day` with every event of day `day_index` (0 = the --start Monday),
 * sorted by time. Returns 0 or -1 when out of memory. */
int cw_gen_traffic_day(const cw_gen_model_t *model, int day_index, cw_gen_day_t *day);

#endif
