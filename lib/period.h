/* The two periods that close on a partition's stream time: the ISO week of
 * the warning model (SPEC section 5 (b)) and the calendar month of the
 * value-churn model (SPEC section 14), both local at the UTC offset. One
 * week-close machinery serves both, given the period. */
#ifndef CW_PERIOD_H
#define CW_PERIOD_H

#include <stdint.h>

typedef enum { CW_PERIOD_WEEK = 0, CW_PERIOD_MONTH, CW_PERIOD__COUNT } cw_period_t;

#define CW_PERIOD_LABEL_SIZE 9 /* "2026-W47" or "2026-11", + NUL */

/* The period holding an instant. */
int32_t cw_period_of_ms(cw_period_t period, int64_t epoch_ms, int32_t utc_offset_s);
/* The newest period closed at stream time: the largest P with end(P) +
 * late_grace_ms <= stream_ms. */
int32_t cw_period_last_closed(cw_period_t period, int64_t stream_ms, int64_t late_grace_ms,
                              int32_t utc_offset_s);
/* Its last local day, and its end (the next period's start, epoch ms). */
int32_t cw_period_last_day(cw_period_t period, int32_t index);
int64_t cw_period_end_ms(cw_period_t period, int32_t index, int32_t utc_offset_s);
/* "2026-W47" or "2026-11". */
void cw_period_label(cw_period_t period, int32_t index, char out[CW_PERIOD_LABEL_SIZE]);
const char *cw_period_name(cw_period_t period); /* "week", "month" */

#endif
