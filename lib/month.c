/* Local calendar months at a fixed UTC offset: indexes counted from 1970-01
 * so that month arithmetic (M-1, M-5) is integer arithmetic, as weeks are in
 * week.c; labels only for display and score records. */
#include "month.h"

#include "date.h"
#include "week.h"

int32_t cw_month_of_day(int32_t day)
{
    int y, m, d;
    cw_date_to_civil(day, &y, &m, &d);
    return (int32_t)(((int64_t)y - 1970) * 12 + (m - 1));
}

int32_t cw_month_of_ms(int64_t epoch_ms, int32_t utc_offset_s)
{
    return cw_month_of_day(cw_week_local_day(epoch_ms, utc_offset_s));
}

/* Year and month (1..12) of a month index. */
static void civil_month(int32_t month, int *year, int *mon)
{
    int64_t total = (int64_t)month + 1970 * 12;
    int64_t y = cw_floor_div(total, 12);
    *year = (int)y;
    *mon = (int)(total - y * 12) + 1;
}

int32_t cw_month_first_day(int32_t month)
{
    int y, m;
    civil_month(month, &y, &m);
    return cw_date_from_civil(y, m, 1);
}

int32_t cw_month_last_day(int32_t month)
{
    int y, m;
    civil_month(month, &y, &m);
    return cw_date_from_civil(y, m, cw_date_days_in_month(y, m));
}

int64_t cw_month_start_ms(int32_t month, int32_t utc_offset_s)
{
    return (int64_t)cw_month_first_day(month) * CW_MS_PER_DAY -
           (int64_t)utc_offset_s * 1000;
}

int64_t cw_month_end_ms(int32_t month, int32_t utc_offset_s)
{
    return cw_month_start_ms(month + 1, utc_offset_s);
}

int32_t cw_month_last_closed(int64_t stream_ms, int64_t late_grace_ms,
                             int32_t utc_offset_s)
{
    /* end(M) + grace <= t  <=>  start(M + 1) <= t - grace  <=>  M + 1 <= month(t - grace)
     */
    return cw_month_of_ms(stream_ms - late_grace_ms, utc_offset_s) - 1;
}

void cw_month_label(int32_t month, char out[CW_MONTH_LABEL_SIZE])
{
    int y, m;
    civil_month(month, &y, &m);
    if (y < 0 || y > 9999)
        y = m = 0;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '\0';
}

int cw_month_parse_label(const char *text, size_t len, int32_t *month)
{
    if (len != 7 || text[4] != '-')
        return -1;
    int y = 0, m = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return -1;
        if (i < 4)
            y = y * 10 + (text[i] - '0');
        else
            m = m * 10 + (text[i] - '0');
    }
    if (y < 1900 || m < 1 || m > 12)
        return -1;
    *month = (y - 1970) * 12 + (m - 1);
    return 0;
}
