/* Civil-date arithmetic on day numbers, YYYY-MM-DD and RFC 3339 parsing.
 * Day numbers make date comparisons and differences plain integer maths. */
#include "date.h"

#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days, valid for all years. */
int32_t cw_date_from_civil(int year, int month, int day)
{
    year -= month <= 2;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const int yoe = year - era * 400;
    const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cw_date_to_civil(int32_t day, int *year, int *month, int *mday)
{
    int64_t z = (int64_t)day + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = (int)(yoe + era * 400 + (m <= 2));
}

int cw_date_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    int w = (int)(((int64_t)day + 3) % 7);
    return w < 0 ? w + 7 : w;
}

static int is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int cw_date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

int32_t cw_date_month_end_after(int32_t day, int months)
{
    int year, month, mday;
    cw_date_to_civil(day, &year, &month, &mday);
    int64_t total = (int64_t)year * 12 + (month - 1) + months;
    int ny = (int)cw_floor_div(total, 12);
    int nm = (int)(total - (int64_t)ny * 12) + 1;
    return cw_date_from_civil(ny, nm, cw_date_days_in_month(ny, nm));
}

/* Reads exactly n decimal digits; -1 when one is not a digit. */
static int read_digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int cw_date_parse_ymd(const char *text, size_t len, int32_t *day)
{
    if (len != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    int y = read_digits(text, 4), m = read_digits(text + 5, 2), d = read_digits(text + 8, 2);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > cw_date_days_in_month(y, m))
        return -1;
    *day = cw_date_from_civil(y, m, d);
    return 0;
}

void cw_date_format_ymd(int32_t day, char out[11])
{
    int y, m, d;
    cw_date_to_civil(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        strcpy(out, "0000-00-00");
        return;
    }
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int cw_date_parse_rfc3339(const char *text, size_t len, int64_t *epoch_ms)
{
    /* YYYY-MM-DDTHH:MM:SS is 19 bytes; an offset needs at least one more */
    if (len < 20)
        return -1;
    int32_t day;
    if (cw_date_parse_ymd(text, 10, &day) != 0)
        return -1;
    char sep = text[10];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return -1;
    if (text[13] != ':' || text[16] != ':')
        return -1;
    int hh = read_digits(text + 11, 2), mm = read_digits(text + 14, 2),
        ss = read_digits(text + 17, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return -1;
    if (ss == 60) /* a leap second: counted as the last second of the minute */
        ss = 59;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < len && text[i] == '.') {
        i++;
        size_t digits = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (text[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0)
            return -1;
        for (size_t k = digits; k < 3; k++)
            frac_ms *= 10;
    }
    int64_t offset_s;
    if (i + 1 == len && (text[i] == 'Z' || text[i] == 'z')) {
        offset_s = 0;
    } else if (i + 6 == len && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
        int oh = read_digits(text + i + 1, 2), om = read_digits(text + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset_s = (int64_t)(oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    int64_t local_s = (int64_t)day * 86400 + hh * 3600 + mm * 60 + ss;
    *epoch_ms = (local_s - offset_s) * 1000 + frac_ms;
    return 0;
}
