/* Civil dates as day numbers (days since 1970-01-01), their text forms, and
 * RFC 3339 timestamps. Pure arithmetic on the proleptic Gregorian calendar. */
#ifndef CW_DATE_H
#define CW_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "no date" (a null subsidy_end or contract_end) */
#define CW_DAY_NONE INT32_MIN

/* Day number of year-month-day; month 1..12, day 1..31 (not validated). */
int32_t cw_date_from_civil(int year, int month, int day);
void cw_date_to_civil(int32_t day, int *year, int *month, int *mday);
/* 0 = Monday ... 6 = Sunday */
int cw_date_weekday(int32_t day);
int cw_date_days_in_month(int year, int month);

/* Last day of the month that is `months` after the month holding `day`
 * (months >= 0): the risk-tier horizon of SPEC section 6. */
int32_t cw_date_month_end_after(int32_t day, int months);

/* Parses exactly "YYYY-MM-DD" (len bytes, no NUL needed) into a day number.
 * Returns 0, or -1 when the text is not a real date of years 1900..9999. */
int cw_date_parse_ymd(const char *text, size_t len, int32_t *day);
/* Writes "YYYY-MM-DD" and a NUL into out[11]. */
void cw_date_format_ymd(int32_t day, char out[11]);

/* Parses an RFC 3339 date-time with a mandatory offset ("Z", "+08:00",
 * "-05:30"; 'T' or 't' or ' ' between date and time; optional fraction of a
 * second, truncated to milliseconds) into epoch milliseconds UTC.
 * Returns 0 or -1. */
int cw_date_parse_rfc3339(const char *text, size_t len, int64_t *epoch_ms);

/* Floor division helpers that are right for negative numbers too. */
static inline int64_t cw_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#endif
