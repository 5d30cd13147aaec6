/* ISO weeks and local days at a fixed UTC offset. Weeks are indexes counted
 * from the Monday 1969-12-29 so that week arithmetic is integer arithmetic;
 * labels are made only for display and alerts. */
#include "week.h"

#include "date.h"


int32_t cw_week_local_day(int64_t epoch_ms, int32_t utc_offset_s)
{
    return (int32_t)cw_floor_div(epoch_ms + (int64_t)utc_offset_s * 1000, CW_MS_PER_DAY);
}

int32_t cw_week_of_day(int32_t day)
{
    /* day -3 is Monday 1969-12-29, the first day of week 0 */
    return (int32_t)cw_floor_div((int64_t)day + 3, 7);
}

int32_t cw_week_of_ms(int64_t epoch_ms, int32_t utc_offset_s)
{
    return cw_week_of_day(cw_week_local_day(epoch_ms, utc_offset_s));
}

int32_t cw_week_first_day(int32_t week)
{
    return week * 7 - 3;
}

int32_t cw_week_last_day(int32_t week)
{
    return week * 7 + 3;
}

int64_t cw_week_start_ms(int32_t week, int32_t utc_offset_s)
{
    return (int64_t)cw_week_first_day(week) * CW_MS_PER_DAY - (int64_t)utc_offset_s * 1000;
}

int64_t cw_week_end_ms(int32_t week, int32_t utc_offset_s)
{
    return cw_week_start_ms(week + 1, utc_offset_s);
}

int32_t cw_week_last_closed(int64_t stream_ms, int64_t late_grace_ms, int32_t utc_offset_s)
{
    /* end(W) + grace <= t  <=>  start(W + 1) <= t - grace  <=>  W + 1 <= week(t - grace) */
    return cw_week_of_ms(stream_ms - late_grace_ms, utc_offset_s) - 1;
}

/* The ISO week-year and week number: the week belongs to the year of its
 * Thursday. */
static void iso_year_week(int32_t week, int *iso_year, int *iso_week)
{
    int32_t thursday = cw_week_first_day(week) + 3;
    int y, m, d;
    cw_date_to_civil(thursday, &y, &m, &d);
    *iso_year = y;
    *iso_week = (thursday - cw_date_from_civil(y, 1, 1)) / 7 + 1;
}

void cw_week_label(int32_t week, char out[CW_WEEK_LABEL_SIZE])
{
    int y, w;
    iso_year_week(week, &y, &w);
    if (y < 0 || y > 9999)
        y = 0;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = 'W';
    out[6] = (char)('0' + w / 10);
    out[7] = (char)('0' + w % 10);
    out[8] = '\0';
}

int cw_week_parse_label(const char *text, size_t len, int32_t *week)
{
    if (len != 8 || text[4] != '-' || text[5] != 'W')
        return -1;
    int y = 0, n = 0;
    for (int i = 0; i < 4; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        y = y * 10 + (text[i] - '0');
    }
    for (int i = 6; i < 8; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        n = n * 10 + (text[i] - '0');
    }
    if (n < 1 || n > 53)
        return -1;
    /* week 1 is the week holding 4 January */
    int32_t candidate = cw_week_of_day(cw_date_from_civil(y, 1, 4)) + n - 1;
    int cy, cw;
    iso_year_week(candidate, &cy, &cw);
    if (cy != y || cw != n)
        return -1;
    *week = candidate;
    return 0;
}
