/* Local calendar months at a fixed UTC offset (SPEC section 14), the period
 * of the monthly value-churn model as weeks (week.h) are the weekly one's. A
 * month is identified by its index: months since 1970-01, local time. */
#ifndef CW_MONTH_H
#define CW_MONTH_H

#include <stddef.h>
#include <stdint.h>

#define CW_MONTH_LABEL_SIZE 8 /* "2026-11" + NUL */

/* Month index holding a local day number (days since 1970-01-01 local). */
int32_t cw_month_of_day(int32_t day);
/* Month index of an instant at the offset. */
int32_t cw_month_of_ms(int64_t epoch_ms, int32_t utc_offset_s);
/* Local day number of the month's first and last day. */
int32_t cw_month_first_day(int32_t month);
int32_t cw_month_last_day(int32_t month);
/* Epoch ms UTC of local 00:00 on the month's first day, and of the next
 * month's first day, which ends it (exclusive). */
int64_t cw_month_start_ms(int32_t month, int32_t utc_offset_s);
int64_t cw_month_end_ms(int32_t month, int32_t utc_offset_s);
/* The newest month that is closed at stream time `stream_ms`: the largest M
 * with end(M) + late_grace_ms <= stream_ms (SPEC section 14, month close). */
int32_t cw_month_last_closed(int64_t stream_ms, int64_t late_grace_ms,
                             int32_t utc_offset_s);

/* "YYYY-MM" into out[CW_MONTH_LABEL_SIZE] ("0000-00" outside years 0..9999). */
void cw_month_label(int32_t month, char out[CW_MONTH_LABEL_SIZE]);
/* Parses "YYYY-MM" (len bytes, years 1900..9999); 0 or -1. */
int cw_month_parse_label(const char *text, size_t len, int32_t *month);

#endif
