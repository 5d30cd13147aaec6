/* One case as the console keeps it (SPEC section 12): the fields of its Redis
 * hash, read into a struct, and its JSON for the API and the live stream. A
 * case is weekly, per (subscriber, week) from alerts, or monthly, per
 * (subscriber, month) from a score record of the monthly model (SPEC
 * section 14).
 * Whether the full MSISDN goes out is the caller's decision (caserec only
 * masks or not); the caller audits every full display. */
#ifndef CW_CASEREC_H
#define CW_CASEREC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caseid.h"
#include "intake.h"

#define CW_CASE_NAME_MAX 64 /* user names */

typedef struct cw_case {
    char id[CW_CASEID_SIZE];
    char msisdn[CW_INTAKE_MSISDN_MAX + 1];
    bool monthly;                   /* a score record's case, not an alert's */
    char week[CW_INTAKE_WEEK_SIZE]; /* its period: the week, or the month (YYYY-MM) */
    int level;                      /* 1 blue .. 3 red */
    char tier[8];
    int risk_tier;
    char state[12];                   /* new, claimed, contacted, closed */
    char owner[CW_CASE_NAME_MAX + 1]; /* "" until claimed */
    char outcome[16];                 /* "" while open */
    char reason[16];                  /* "" when not known */
    char eval_date[CW_INTAKE_DATE_SIZE];
    char subsidy_end[CW_INTAKE_DATE_SIZE];
    char contract_end[CW_INTAKE_DATE_SIZE];
    int64_t created_at, updated_at, alert_at; /* ms */
    int64_t version; /* grows with every change: compare-and-set */
    bool hit;        /* the subscriber churned within the horizon */
    int64_t notes;
    /* monthly cases: the score record's figures */
    int64_t score, threshold;
    bool potential_churner, value_churn;
    /* borrowed from the fields the case was read from */
    const char *triggers; /* JSON array: the triggers, or a monthly case's items */
    size_t triggers_len;
    const char *actions; /* JSON array */
    size_t actions_len;
    const char *alert_ids; /* space-separated; a monthly case's score ids */
    size_t alert_ids_len;
    const char *churn; /* JSON object or NULL */
    size_t churn_len;
} cw_case_t;

/* Fills a case from the hash's field/value pairs (as HGETALL gives them);
 * strings are borrowed from `values`. Returns 0, or -1 when the fields do not
 * make a case (no id, week or level). */
int cw_case_from_fields(cw_case_t *c, size_t count, const char *const *fields,
                        const size_t *field_lens, const char *const *values,
                        const size_t *value_lens);

/* The case as JSON (a new reference, NULL when out of memory): the number
 * masked unless `full_number`; `history` (borrowed, may be NULL) is a JSON
 * array of {"at","by","what"} entries added as "history". */
json_t *cw_case_json(const cw_case_t *c, bool full_number, json_t *history);

/* States and what a case can be closed with (SPEC section 12). */
bool cw_case_outcome_valid(
    const char *outcome); /* retained, churned, unreachable, declined */
bool cw_case_reason_valid(
    const char *reason); /* price, quality, social, convenience, other */
bool cw_case_state_valid(const char *state); /* new, claimed, contacted, closed */

#endif
