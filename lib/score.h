/* The monthly value-churn model (SPEC section 14): the [score] settings,
 * each item's threshold and points. */
#ifndef CW_SCORE_H
#define CW_SCORE_H

#include <stdint.h>

/* The [score] section, one field per key of SPEC section 2. */
typedef struct cw_score_rules {
    int64_t threshold;
    int64_t spend_fall_pct;
    int64_t spend_fall_points;
    int64_t fwd_3m_calls;
    int64_t fwd_3m_points;
    int64_t fwd_1m_calls;
    int64_t fwd_1m_points;
    int64_t arrears_stops_6m;
    int64_t arrears_stops_points;
    int64_t owed_points;
    int64_t months_owed;
    int64_t months_owed_points;
    int64_t fault_level_3m;
    int64_t fault_points;
    int64_t complaints_3m;
    int64_t complaints_points;
    int64_t own_service_calls_6m;
    int64_t own_service_points;
    int64_t rival_service_calls_6m;
    int64_t rival_service_points;
    int64_t vip_services_6m;
    int64_t vip_service_points;
    int64_t new_services_6m;
    int64_t few_new_services_points;
    int64_t vas_fall_pct;
    int64_t vas_fall_min_base_fen;
    int64_t vas_fall_points;
    int64_t value_drop_pct;
    int64_t value_drop_min_base_fen;
} cw_score_rules_t;

#endif
