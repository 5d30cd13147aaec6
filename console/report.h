/* The weekly report of SPEC section 12, from the counters the case store
 * keeps per week (cases.lua adds and removes a case's contribution on every
 * change): cases by level and outcome, retention rate (retained / closed),
 * precision so far (cases whose subscriber churned within the horizon /
 * cases), and the same per agent. JSON for the page, CSV for marketing. The
 * monthly cases of a month (SPEC section 14) have the same report, from
 * the month's counters. */
#ifndef CW_REPORT_H
#define CW_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_REPORT_AGENTS_MAX 512

typedef struct cw_report_row {
    int64_t cases, retained, churned, unreachable, declined, hits;
} cw_report_row_t;

typedef struct cw_report {
    char week[9]; /* the week, or the month (YYYY-MM) */
    bool monthly; /* a month's report */
    int horizon_weeks;
    cw_report_row_t level[4]; /* index 1 blue .. 3 red; 0 unused */
    cw_report_row_t all;
    int64_t reasons[4][5]; /* [outcome][reason] of closed cases */
    size_t agent_count;
    char agents[CW_REPORT_AGENTS_MAX][65];
    cw_report_row_t agent_rows[CW_REPORT_AGENTS_MAX];
} cw_report_t;

/* Fills the report of a week ("2026-W47") or of a month's monthly cases
 * ("2026-11", a label without a W) from its counter fields (n:<level>,
 * o:<level>:<outcome>, h:<level>, a:<user>:n, a:<user>:o:<outcome>,
 * a:<user>:h, r:<outcome>:<reason>); unknown fields are ignored. */
void cw_report_from_fields(cw_report_t *r, const char *week, int horizon_weeks,
                           size_t count, const char *const *fields,
                           const size_t *field_lens, const char *const *values,
                           const size_t *value_lens);

/* Closed and open cases of a row. */
int64_t cw_report_closed(const cw_report_row_t *row);
int64_t cw_report_open(const cw_report_row_t *row);
/* A ratio in thousandths, rounded half up; -1 when the denominator is 0. */
int64_t cw_report_permille(int64_t num, int64_t den);

/* The report as JSON (new reference); a month's says "month" where a
 * week's says "week". */
json_t *cw_report_json(const cw_report_t *r);
/* The report as CSV (RFC 4180, CRLF line ends), a new string (free with
 * cw_free); NULL when out of memory. One row per level, "all", then per
 * agent, with the same columns; the first is "week" or "month". */
char *cw_report_csv(const cw_report_t *r);

#endif
