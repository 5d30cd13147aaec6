/* Weeks and months as periods that close (see period.h). */
#include "period.h"

#include "month.h"
#include "week.h"

int32_t cw_period_of_ms(cw_period_t period, int64_t epoch_ms, int32_t utc_offset_s)
{
    return period == CW_PERIOD_WEEK ? cw_week_of_ms(epoch_ms, utc_offset_s)
                                    : cw_month_of_ms(epoch_ms, utc_offset_s);
}

int32_t cw_period_last_closed(cw_period_t period, int64_t stream_ms, int64_t late_grace_ms,
                              int32_t utc_offset_s)
{
    return period == CW_PERIOD_WEEK
               ? cw_week_last_closed(stream_ms, late_grace_ms, utc_offset_s)
               : cw_month_last_closed(stream_ms, late_grace_ms, utc_offset_s);
}

int32_t cw_period_last_day(cw_period_t period, int32_t index)
{
    return period == CW_PERIOD_WEEK ? cw_week_last_day(index) : cw_month_last_day(index);
}

int64_t cw_period_end_ms(cw_period_t period, int32_t index, int32_t utc_offset_s)
{
    return period == CW_PERIOD_WEEK ? cw_week_end_ms(index, utc_offset_s)
                                    : cw_month_end_ms(index, utc_offset_s);
}

void cw_period_label(cw_period_t period, int32_t index, char out[CW_PERIOD_LABEL_SIZE])
{
    if (period == CW_PERIOD_WEEK)
        cw_week_label(index, out);
    else
        cw_month_label(index, out);
}

const char *cw_period_name(cw_period_t period)
{
    return period == CW_PERIOD_WEEK ? "week" : "month";
}
