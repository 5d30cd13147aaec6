/* Input events (SPEC section 3): parsing and validation of one Kafka record's
 * JSON value into a cw_event_t, or the DLQ reason (SPEC section 8) why not. */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "number.h"

#define CW_EVENT_MAX_BYTES 65536 /* larger values are too_large */
#define CW_EVENT_ID_MAX_CHARS 64
/* 64 characters of UTF-8 take at most 256 bytes */
#define CW_EVENT_ID_SIZE (4 * CW_EVENT_ID_MAX_CHARS + 1)
#define CW_TO_OPERATOR_MAX_CHARS 64 /* churn to_operator */
#define CW_TO_OPERATOR_SIZE (4 * CW_TO_OPERATOR_MAX_CHARS + 1)
#define CW_SERVICE_MAX_CHARS 64     /* subscribe service */
#define CW_DETAIL_SIZE 160       /* DLQ detail text, NUL included */

/* Upper bounds of numeric fields; above them a value is bad_field ("out of
 * range"). They keep weekly sums far from int64 overflow. */
#define CW_MAX_DURATION_S (31LL * 86400)
#define CW_MAX_FEN 100000000000LL          /* 1 000 000 000 yuan */
#define CW_MAX_BYTES 1000000000000000LL    /* 1 PB */
#define CW_MAX_TS_MS 253402300799999LL     /* 9999-12-31T23:59:59.999Z */
#define CW_MAX_MONTHS_OWED 1200            /* arrears months: a hundred years */
#define CW_FAULT_LEVEL_MAX 3

typedef enum {
    CW_EV_VOICE = 0,
    CW_EV_SMS,
    CW_EV_DATA,
    CW_EV_CHARGE,
    CW_EV_PLAN_CHANGE,
    CW_EV_COMPLAINT,
    CW_EV_PROFILE,
    /* SPEC sections 10 and 14; new types go at the end so stored and
     * metric numbering stays */
    CW_EV_CHURN,
    CW_EV_SUSPEND,
    CW_EV_ARREARS,
    CW_EV_FAULT,
    CW_EV_SERVICE,
    CW_EV_SUBSCRIBE,
    CW_EV__COUNT
} cw_event_type_t;

typedef enum { CW_DIR_MO = 0, CW_DIR_MT, CW_DIR_FWD } cw_direction_t;

/* churn kind (SPEC section 10) */
typedef enum { CW_CHURN_PORT_OUT = 0, CW_CHURN_CANCEL, CW_CHURN__COUNT } cw_churn_kind_t;
/* suspend reason (SPEC section 3) */
typedef enum {
    CW_SUSPEND_ARREARS = 0,
    CW_SUSPEND_REQUEST,
    CW_SUSPEND_LOSS_REPORT,
    CW_SUSPEND__COUNT
} cw_suspend_reason_t;
/* service channel (SPEC section 3) */
typedef enum { CW_CHANNEL_VIP = 0, CW_CHANNEL_HALL, CW_CHANNEL_HOTLINE, CW_CHANNEL__COUNT } cw_channel_t;

/* Profile tier; UNKNOWN for a subscriber with no profile event yet. */
typedef enum { CW_TIER_UNKNOWN = 0, CW_TIER_LOW, CW_TIER_MID, CW_TIER_HIGH, CW_TIER__COUNT } cw_tier_t;

typedef enum {
    CW_DLQ_NONE = 0,
    CW_DLQ_INVALID_JSON,
    CW_DLQ_NOT_OBJECT,
    CW_DLQ_MISSING_FIELD,
    CW_DLQ_BAD_FIELD,
    CW_DLQ_UNKNOWN_TYPE,
    CW_DLQ_BAD_MSISDN,
    CW_DLQ_FUTURE_TS,
    CW_DLQ_TOO_OLD,
    CW_DLQ_TOO_LARGE,
    CW_DLQ__COUNT
} cw_dlq_reason_t;

typedef struct cw_event {
    cw_event_type_t type;
    char event_id[CW_EVENT_ID_SIZE]; /* as the record gave it (valid UTF-8, 1..64 chars) */
    char msisdn[CW_NUMBER_SIZE]; /* normalised */
    int64_t ts_ms;               /* epoch ms UTC */
    /* voice, sms */
    cw_direction_t direction;
    char peer[CW_NUMBER_SIZE];   /* normalised */
    int64_t duration_s;          /* voice */
    int64_t charge_fen;          /* voice, sms, data, charge; 0 when absent */
    bool vas_item;               /* charge: item present and starting with "vas:" */
    int64_t bytes;               /* data */
    int64_t from_fee_fen;        /* plan_change */
    int64_t to_fee_fen;
    bool serious;                /* complaint: severity == "serious" */
    bool overdue;                /* complaint */
    /* profile: the has_* flags say which fields the event carried; a field
     * present as null sets the date to CW_DAY_NONE */
    bool has_tier, has_subsidy_end, has_contract_end;
    cw_tier_t tier;
    int32_t subsidy_end;         /* day number or CW_DAY_NONE */
    int32_t contract_end;
    /* churn: to_operator is "" when the event had none */
    cw_churn_kind_t churn_kind;
    char to_operator[CW_TO_OPERATOR_SIZE];
    cw_suspend_reason_t suspend_reason; /* suspend */
    int64_t owed_fen;            /* arrears */
    int64_t months_owed;         /* arrears: the record's "months" */
    int fault_level;             /* fault: 1..3 */
    cw_channel_t channel;        /* service */
    int64_t fee_fen;             /* subscribe; 0 when absent (not a charge: no spend) */
} cw_event_t;

/* Names exactly as the SPEC writes them ("voice", "bad_msisdn", "high"). */
const char *cw_event_type_name(cw_event_type_t type);
const char *cw_dlq_reason_name(cw_dlq_reason_t reason);
const char *cw_tier_name(cw_tier_t tier);
const char *cw_churn_kind_name(cw_churn_kind_t kind);         /* "port_out", "cancel" */
const char *cw_suspend_reason_name(cw_suspend_reason_t reason); /* "arrears", ... */
const char *cw_channel_name(cw_channel_t channel);            /* "vip", "hall", "hotline" */
/* Parses a tier name ("high", "mid", "low", "unknown"); -1 when none. */
int cw_tier_parse(const char *name, cw_tier_t *tier);

/* Parses and validates one record value (len bytes, not NUL-terminated, may
 * hold any bytes). On success fills *event and returns CW_DLQ_NONE; otherwise
 * returns the reason and writes a one-line explanation naming the field into
 * detail (never the MSISDN's digits). Checks, first failure wins: size
 * (too_large), JSON syntax incl. invalid UTF-8, NUL and duplicate keys
 * (invalid_json; a number too large for int64 or double is bad_field
 * "integer out of range"), top level (not_object), the common fields
 * event_id, type, msisdn, ts present (missing_field), type known
 * (unknown_type; a non-string type is bad_field), event_id a string of
 * 1..64 characters (bad_field), msisdn (bad_msisdn), ts (bad_field), then the
 * type's own fields (missing_field / bad_field; a churn's `kind` missing is
 * bad_field, as SPEC section 10 says). Unknown fields are ignored. */
cw_dlq_reason_t cw_event_parse(const char *value, size_t len, const char *country_code,
                               cw_event_t *event, char *detail, size_t detail_size);

/* The same checks through jansson alone. cw_event_parse takes a faster path
 * for plain flat records and must agree with this one on every input (the
 * tests and the fuzzer compare them). */
cw_dlq_reason_t cw_event_parse_reference(const char *value, size_t len, const char *country_code,
                                         cw_event_t *event, char *detail, size_t detail_size);

/* The time checks that need the daemon's clocks (SPEC sections 2 and 8):
 * future_ts when ts_ms > now_ms + max_future_ms; too_old when the event's
 * week is older than stream_week - (weeks_kept - 1). stream_week is the
 * partition's stream-time week, or INT32_MIN when it has none yet. */
cw_dlq_reason_t cw_event_check_time(const cw_event_t *event, int64_t now_ms,
                                    int64_t max_future_ms, int32_t stream_week,
                                    int weeks_kept, int32_t utc_offset_s,
                                    char *detail, size_t detail_size);

#endif
