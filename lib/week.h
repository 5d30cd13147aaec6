/* ISO 8601 weeks and local days at a fixed UTC offset (SPEC section 4).
 * A week is identified by its index: the number of whole weeks between the
 * Monday 1969-12-29 and the week's Monday, in local time. */
#ifndef CW_WEEK_H
#define CW_WEEK_H

#include <stddef.h>
#include <stdint.h>

#define CW_WEEK_LABEL_SIZE 9 /* "2026-W47" + NUL */
#define CW_MS_PER_DAY 86400000LL
#define CW_MS_PER_WEEK (7 * CW_MS_PER_DAY)

/* Local day number (days since 1970-01-01 local) of an instant. */
int32_t cw_week_local_day(int64_t epoch_ms, int32_t utc_offset_s);
/* Week index holding a local day number. */
int32_t cw_week_of_day(int32_t day);
/* Week index of an instant at the offset. */
int32_t cw_week_of_ms(int64_t epoch_ms, int32_t utc_offset_s);
/* Local day number of the week's Monday and Sunday. */
int32_t cw_week_first_day(int32_t week);
int32_t cw_week_last_day(int32_t week);
/* Epoch ms UTC of local Monday 00:00 that starts the week, and of the next
 * Monday 00:00, which ends it (exclusive). */
int64_t cw_week_start_ms(int32_t week, int32_t utc_offset_s);
int64_t cw_week_end_ms(int32_t week, int32_t utc_offset_s);

/* The newest week that is closed at stream time `stream_ms`: the largest W
 * with end(W) + late_grace_ms <= stream_ms. */
int32_t cw_week_last_closed(int64_t stream_ms, int64_t late_grace_ms, int32_t utc_offset_s);

/* "YYYY-Www" with the ISO week-year, into out[CW_WEEK_LABEL_SIZE]. */
void cw_week_label(int32_t week, char out[CW_WEEK_LABEL_SIZE]);
/* Parses "YYYY-Www" (len bytes); -1 when malformed or the week does not
 * exist in that ISO year (W53 only in long years). */
int cw_week_parse_label(const char *text, size_t len, int32_t *week);

#endif
