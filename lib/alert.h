/* The alert message (SPEC section 7): a stable id and the JSON value published
 * to the alert topic, with the evidence behind every trigger. */
#ifndef CW_ALERT_H
#define CW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "agg.h"
#include "rules.h"

#define CW_ALERT_ID_SIZE 33 /* 32 hex digits + NUL */

typedef struct cw_alert_input {
    const char *msisdn;         /* normalised */
    const cw_sub_t *sub;        /* profile: tier, subsidy_end, contract_end */
    const cw_eval_t *eval;      /* the evaluation to publish */
    int64_t event_time_ms;      /* the triggering event's time, or the week end */
    int64_t emitted_at_ms;      /* wall clock */
    const char *rules_version;  /* 16 hex digits */
    const cw_actions_t *actions;
} cw_alert_input_t;

/* The alert id: a hash of (msisdn, week, level, trigger set), the inputs that
 * make an alert distinct under the publish rule; the same inputs always give
 * the same id, on any machine, in any run. */
void cw_alert_id(const char *msisdn, int32_t week, cw_level_t level, uint8_t triggers,
                 char out[CW_ALERT_ID_SIZE]);

/* The alert's JSON (compact, keys in SPEC order, triggers in trigger order,
 * each with its evidence). Returns a new NUL-terminated string to free with
 * cw_free, its length in *len; NULL when out of memory. Evidence per trigger:
 *   complaints:      complaints, serious_complaints, overdue_complaints
 *   fwd_rival:       fwd_rival_days (count), days (["YYYY-MM-DD", ...])
 *   rival_service:   rival_service_calls
 *   plan_downgrade:  from_fee_fen, to_fee_fen
 *   contract_expiry: contract_end, days_left
 *   spend_drop:      spend_fen, prev_spend_fen
 *   usage_drop:      voice_s, prev_voice_s */
char *cw_alert_json(const cw_alert_input_t *input, size_t *len);

#endif
