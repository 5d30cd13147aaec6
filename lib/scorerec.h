/* The score record (SPEC section 14): a stable id and the JSON value
 * published to the score topic for one scoring of a subscriber's month. */
#ifndef CW_SCOREREC_H
#define CW_SCOREREC_H

#include <stddef.h>
#include <stdint.h>

#include "score.h"

#define CW_SCORE_ID_SIZE 33 /* 32 hex digits + NUL */

/* The score id: a hash of (msisdn, month); the same inputs always give the
 * same id, on any machine, in any run. */
void cw_scorerec_id(const char *msisdn, int32_t month, char out[CW_SCORE_ID_SIZE]);

typedef struct cw_scorerec_input {
    const char *msisdn;        /* normalised */
    const cw_score_t *score;   /* cw_score_evaluate's result */
    int64_t emitted_at_ms;     /* wall clock */
    const char *rules_version; /* 16 hex digits: [rules] and [score] */
} cw_scorerec_input_t;

/* The record's JSON (compact, keys in SPEC order: score_id, msisdn, month,
 * score, threshold, potential_churner, value_churn, items, tier, risk_tier,
 * eval_date, emitted_at, rules_version). items lists the true items in table
 * order, each {name, points, evidence}; an item configured with 0 points
 * is still listed when true. Evidence per item:
 *   spend_fall:       spend_3m_fen, spend_6m_fen (sums over M-2..M, M-5..M)
 *   fwd_3m:           fwd_3m_calls
 *   fwd_1m:           fwd_1m_calls
 *   arrears_stops:    arrears_stops_6m
 *   owed:             owed_fen
 *   months_owed:      months_owed
 *   fault:            fault_level_3m
 *   complaints_3m:    complaints_3m
 *   own_service:      own_service_calls_6m
 *   rival_service_6m: rival_service_calls_6m
 *   vip_service:      vip_services_6m
 *   few_new_services: new_services_6m
 *   vas_fall:         vas_2m_fen (M-1..M), prev_vas_2m_fen (M-3..M-2)
 * Returns a new NUL-terminated string to free with cw_free, its length in
 * *len; NULL when out of memory. */
char *cw_scorerec_json(const cw_scorerec_input_t *in, size_t *len);

#endif
