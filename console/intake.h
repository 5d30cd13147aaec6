/* What the console reads from Kafka: alerts (SPEC section 7), churn
 * outcomes (SPEC section 10) and the monthly model's score records (SPEC
 * section 14), parsed and checked before they touch a case.
 * A record that fails is counted and logged by its topic position, never by
 * its content (it holds a subscriber number). */
#ifndef CW_INTAKE_H
#define CW_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_INTAKE_ID_MAX 128
#define CW_INTAKE_MSISDN_MAX 15
#define CW_INTAKE_DATE_SIZE 11 /* "YYYY-MM-DD" + NUL; "" for null */
#define CW_INTAKE_WEEK_SIZE 9
#define CW_INTAKE_MONTH_SIZE 8 /* "YYYY-MM" + NUL */

typedef struct cw_intake_alert {
    char alert_id[CW_INTAKE_ID_MAX + 1];
    char msisdn[CW_INTAKE_MSISDN_MAX + 1];
    int level; /* 1 blue, 2 yellow, 3 red */
    char week[CW_INTAKE_WEEK_SIZE];
    char tier[8];  /* high, mid, low, unknown */
    int risk_tier; /* 1 or 2 */
    char subsidy_end[CW_INTAKE_DATE_SIZE];
    char contract_end[CW_INTAKE_DATE_SIZE];
    char eval_date[CW_INTAKE_DATE_SIZE];
    int64_t emitted_at; /* ms */
    char *triggers;     /* owned: compact JSON array of {"name","evidence"} */
    char *actions;      /* owned: compact JSON array of strings */
} cw_intake_alert_t;

typedef struct cw_intake_outcome {
    char outcome_id[CW_INTAKE_ID_MAX + 1];
    char msisdn[CW_INTAKE_MSISDN_MAX + 1];
    char kind[16];        /* port_out, cancel */
    char to_operator[65]; /* "" for null */
    char churn_date[CW_INTAKE_DATE_SIZE];
    char week[CW_INTAKE_WEEK_SIZE];
    int64_t emitted_at; /* ms; 0 when absent */
} cw_intake_outcome_t;

typedef struct cw_intake_score {
    char score_id[CW_INTAKE_ID_MAX + 1];
    char msisdn[CW_INTAKE_MSISDN_MAX + 1];
    char month[CW_INTAKE_MONTH_SIZE];
    char end_week[CW_INTAKE_WEEK_SIZE]; /* the week holding the month's last day */
    int64_t score, threshold;
    bool potential_churner, value_churn; /* at least one of them */
    char tier[8];
    int risk_tier; /* 1 or 2 */
    char eval_date[CW_INTAKE_DATE_SIZE];
    int64_t emitted_at; /* ms */
    char *items;        /* owned: compact JSON array of
                           {"name","points","evidence"} */
} cw_intake_score_t;

/* Parses an alert value. Returns 0 (free with cw_intake_alert_free), or -1
 * with what was wrong (a field name, never a value) in errbuf. */
int cw_intake_alert_parse(const char *json, size_t len, cw_intake_alert_t *alert,
                          char *errbuf, size_t errbuf_size);
void cw_intake_alert_free(cw_intake_alert_t *alert);

int cw_intake_outcome_parse(const char *json, size_t len, cw_intake_outcome_t *outcome,
                            char *errbuf, size_t errbuf_size);

/* Parses a score record; the same contract as cw_intake_alert_parse (free
 * with cw_intake_score_free). A record that is neither a potential churner
 * nor value churn is refused: the daemon publishes no such record. */
int cw_intake_score_parse(const char *json, size_t len, cw_intake_score_t *score,
                          char *errbuf, size_t errbuf_size);
void cw_intake_score_free(cw_intake_score_t *score);

/* Where a monthly case stands in the feed, on the weekly model's scale
 * (SPEC section 6: a warning sign at risk tier 1 is red, at risk tier 2
 * yellow; none, blue): a potential churner is red at risk tier 1 and yellow
 * at risk tier 2; value churn alone is blue, a customer to watch. */
int cw_intake_score_level(const cw_intake_score_t *score);

/* "red" -> 3, "yellow" -> 2, "blue" -> 1, else 0; and back ("" for 0). */
int cw_intake_level(const char *name);
const char *cw_intake_level_name(int level);

#endif
