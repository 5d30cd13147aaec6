/* cdrwarn-gen: the types and declarations shared by the generator's files.
 * The flow is options (gen_opts.c) -> subscribers and their habits
 * (gen_model.c) -> one day of time-ordered traffic records (gen_traffic.c)
 * -> JSON text, good or deliberately bad (gen_format.c) -> stdout or Kafka
 * (gen_sink.c), driven by gen_main.c, with the ground truth written by
 * gen_truth.c. Two optional models add to the population and to each day:
 * labelled churn (--churn, gen_churn.c) and the monthly rhythms with the
 * slow drifters (--monthly, gen_monthly.c). Everything before the sink is a
 * pure function of the options, so the same arguments give the same bytes.
 *
 * The population and day files each have their own header and call only
 * downward, never in a circle (a file calls only those listed under it):
 *   gen_traffic.c  the top: each subscriber-day
 *   gen_model.c    builds the subscribers, then the two models' parts
 *   gen_churn.c    labelled churn
 *   gen_monthly.c  monthly rhythms, slow drifters, calendar months
 *   gen_number.c, gen_day.c  numbering plan; day clock and record buffer
 * What a lower file needs from a higher one is passed down as data (the
 * subscriber's fields, or an argument such as cw_gen_monthly_day's
 * `recycled`). */
#ifndef CW_GEN_H
#define CW_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "date.h"

/* ---- small deterministic randomness, shared by every file ---- */

/* splitmix64: one well-mixed 64-bit value per input, no state to carry. */
static inline uint64_t cw_gen_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A value that depends on every argument; tags keep streams apart. */
static inline uint64_t cw_gen_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return cw_gen_mix(cw_gen_mix(cw_gen_mix(cw_gen_mix(a) ^ b) ^ c) ^ d);
}

typedef struct {
    uint64_t state;
} cw_gen_rng_t;

static inline void cw_gen_rng_seed(cw_gen_rng_t *rng, uint64_t seed)
{
    rng->state = seed;
}

static inline uint64_t cw_gen_rng_next(cw_gen_rng_t *rng)
{
    rng->state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = rng->state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double cw_gen_rng_unit(cw_gen_rng_t *rng)
{
    return (double)(cw_gen_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi] (inclusive; hi >= lo). */
static inline int64_t cw_gen_rng_range(cw_gen_rng_t *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(cw_gen_rng_next(rng) % (uint64_t)(hi - lo + 1));
}

static inline double cw_gen_unit(uint64_t bits)
{
    return (double)(bits >> 11) * (1.0 / 9007199254740992.0);
}

enum { CW_GEN_TOPIC_CDR, CW_GEN_TOPIC_BILLING, CW_GEN_TOPIC_CRM, CW_GEN_TOPIC_CNT };

/* SPEC section 3 event types, in the spec's order. */
typedef enum {
    CW_GEN_VOICE,
    CW_GEN_SMS,
    CW_GEN_DATA,
    CW_GEN_CHARGE,
    CW_GEN_PLAN_CHANGE,
    CW_GEN_COMPLAINT,
    CW_GEN_PROFILE,
    CW_GEN_CHURN,
    CW_GEN_SUSPEND,
    CW_GEN_ARREARS,
    CW_GEN_FAULT,
    CW_GEN_SERVICE,
    CW_GEN_SUBSCRIBE,
    CW_GEN_TYPE_CNT
} cw_gen_type_t;

/* The types of the first version of SPEC section 3: the only ones the
 * default traffic has (see --churn and --monthly). */
#define CW_GEN_WEEKLY_TYPE_CNT (CW_GEN_PROFILE + 1)

/* Ways a subscriber drifts toward churn; names are the SPEC's trigger words
 * where one trigger is aimed at ("silent" aims at spend_drop + usage_drop
 * seen only at week close). */
typedef enum {
    CW_GEN_DRIFT_SPEND_DROP,
    CW_GEN_DRIFT_USAGE_DROP,
    CW_GEN_DRIFT_SILENT,
    CW_GEN_DRIFT_COMPLAINTS,
    CW_GEN_DRIFT_FWD_RIVAL,
    CW_GEN_DRIFT_RIVAL_SERVICE,
    CW_GEN_DRIFT_PLAN_DOWNGRADE,
    CW_GEN_DRIFT_CONTRACT_EXPIRY,
    CW_GEN_DRIFT_CNT
} cw_gen_drift_t;

/* SPEC section 8 DLQ reasons, in the spec's order. */
typedef enum {
    CW_GEN_BAD_INVALID_JSON,
    CW_GEN_BAD_NOT_OBJECT,
    CW_GEN_BAD_MISSING_FIELD,
    CW_GEN_BAD_BAD_FIELD,
    CW_GEN_BAD_UNKNOWN_TYPE,
    CW_GEN_BAD_BAD_MSISDN,
    CW_GEN_BAD_FUTURE_TS,
    CW_GEN_BAD_TOO_OLD,
    CW_GEN_BAD_TOO_LARGE,
    CW_GEN_BAD_CNT
} cw_gen_bad_t;

/* Symptoms of a slow drifter (--monthly): each is meant to make SPEC section
 * 14 items true (cw_gen_slow_items), never a weekly trigger. */
typedef enum {
    CW_GEN_SLOW_SPEND,         /* spend_fall */
    CW_GEN_SLOW_ARREARS,       /* arrears_stops, owed, months_owed */
    CW_GEN_SLOW_FAULT,         /* fault */
    CW_GEN_SLOW_COMPLAINTS,    /* complaints_3m */
    CW_GEN_SLOW_OWN_SERVICE,   /* own_service */
    CW_GEN_SLOW_RIVAL_SERVICE, /* rival_service_6m */
    CW_GEN_SLOW_VIP,           /* vip_service */
    CW_GEN_SLOW_VAS,           /* vas_fall, few_new_services */
    CW_GEN_SLOW_FWD,           /* fwd_3m, fwd_1m */
    CW_GEN_SLOW_CNT
} cw_gen_slow_t;

/* Why a subscriber churned (--churn). */
typedef enum {
    CW_GEN_WHY_NONE,
    CW_GEN_WHY_DRIFT,    /* a weekly drift, --churn-lag weeks after it began */
    CW_GEN_WHY_SLOW,     /* a slow drift, after its items all showed */
    CW_GEN_WHY_UNWARNED, /* nothing announced it */
} cw_gen_why_t;

typedef enum {
    CW_GEN_TIER_HIGH,
    CW_GEN_TIER_MID,
    CW_GEN_TIER_LOW,
    CW_GEN_TIER_NONE
} cw_gen_tier_t;

extern const char *const cw_gen_type_names[CW_GEN_TYPE_CNT];
extern const char *const cw_gen_drift_names[CW_GEN_DRIFT_CNT];
extern const char *const cw_gen_bad_names[CW_GEN_BAD_CNT];
extern const char *const cw_gen_tier_names[4];
extern const char *const cw_gen_slow_names[CW_GEN_SLOW_CNT];
/* churn kinds (port_out, cancel), the rival operators a number ports to
 * (named as in config/rival_prefixes.txt), suspend reasons, service
 * channels: the SPEC's words, indexed by the record fields below */
extern const char *const cw_gen_churn_kind_names[2];
extern const char *const cw_gen_operator_names[2];
extern const char *const cw_gen_suspend_names[3];
extern const char *const cw_gen_channel_names[3];
/* value-added services (--monthly): "vas:<name>" charges, subscribe events */
#define CW_GEN_VAS_CNT 8
extern const char *const cw_gen_vas_names[CW_GEN_VAS_CNT];
extern const uint16_t cw_gen_vas_fees[CW_GEN_VAS_CNT]; /* fen a month */

/* ---- options (gen_opts.c) ---- */

typedef struct {
    const char *brokers; /* borrowed from argv; NULL with --stdout */
    bool to_stdout;
    char topics[CW_GEN_TOPIC_CNT][256];
    uint32_t subscribers;
    int weeks;
    int32_t start_day; /* local day number of the first Monday */
    int32_t utc_offset_s;
    char utc_offset_text[8]; /* "+08:00", as written into RFC 3339 times */
    uint64_t seed;
    int64_t events; /* 0 = natural activity */
    double rate;    /* events per second, 0 = as fast as possible */
    double churn_pct;
    double bad_pct;
    char country_code[8];
    bool no_close;
    int partitions; /* --partitions: closing events with --stdout; 0 = none */
    bool compress;  /* lz4 */
    bool quiet;
    const char *truth_path; /* --truth: borrowed from argv; NULL = none */
    int64_t now_ms;         /* wall clock at start: the default start depends on it */
    /* labelled churn (gen_churn.c); off by default */
    bool churn;
    double churn_share; /* % of drifting subscribers (weekly or slow) who churn */
    int churn_lag_min;  /* weeks from a weekly drift's first week to its churn */
    int churn_lag_max;
    double unwarned_pct; /* % of the other subscribers who churn without warning */
    double port_pct;     /* % of churns that are port-outs (the rest cancel) */
    double recycle_pct;  /* % of churned numbers that get a fresh profile later */
    /* monthly rhythms and slow drifters (gen_monthly.c); off by default */
    bool monthly;
    double slow_pct; /* % of subscribers drifting down slowly, over months */
} cw_gen_opts_t;

/* Returns 0 to run, 1 when --help was printed, -1 on a usage error (message
 * in errbuf). */
int cw_gen_opts_parse(int argc, char **argv, cw_gen_opts_t *opts, char *errbuf,
                      size_t errbuf_size);

/* ---- subscribers (built by gen_model.c) ---- */

typedef struct {
    uint64_t msisdn;     /* 11 digits, own operator */
    uint64_t rival_peer; /* the rival line a fwd_rival subscriber forwards to */
    int32_t subsidy_end; /* day number or CW_DAY_NONE */
    int32_t contract_end;
    uint32_t plan_fee_fen;      /* monthly */
    uint32_t downgrade_fee_fen; /* plan after a plan_downgrade drift */
    uint16_t vas_fen;           /* weekly VAS charge, 0 = none (not with --monthly) */
    uint16_t call_mean_s;
    float voice_per_day; /* after --events scaling */
    float sms_per_day;
    float data_per_day;
    uint8_t tier;            /* cw_gen_tier_t; NONE = never sends a profile */
    uint8_t drift;           /* bit (1 << cw_gen_drift_t) per drift kind */
    uint8_t drift_week;      /* first drifting week, counted from --start */
    uint8_t complaint_style; /* 0: two or more normal, 1: serious, 2: overdue */
    uint8_t per_minute;      /* pays voice and SMS by use */
    uint8_t circle;          /* number of frequent contacts */
    uint8_t billing_dow;     /* weekday billing posts the weekly charges */
    uint8_t billed;          /* gets billing events at all (see --events) */
    /* --churn (gen_churn.c); zero = none. Day indexes count from --start. */
    uint8_t churn_kind;       /* 0 none, else 1 + index of cw_gen_churn_kind_names */
    uint8_t churn_to;         /* port-outs: index of cw_gen_operator_names */
    uint8_t churn_why;        /* cw_gen_why_t */
    uint8_t drift_end_week;   /* a kept drifter recovers from this week on; 0 never */
    int16_t churn_day;        /* day index of the churn (when churn_kind) */
    int16_t recycle_day;      /* day index of the recycled number's profile; 0 none */
    uint32_t churn_ms_of_day; /* local time of day of the churn event */
    /* --monthly (gen_monthly.c) */
    uint16_t slow;      /* bit (1 << cw_gen_slow_t) per symptom; 0 = no slow drift */
    uint8_t vas_set;    /* value-added services held at --start, bit per service */
    uint8_t late_payer; /* sometimes pays late: arrears noise */
    int32_t slow_start; /* day number of the first day of the slow drift's month */
} cw_gen_sub_t;

typedef struct {
    const cw_gen_opts_t *opts; /* borrowed */
    cw_gen_sub_t *subs;        /* owned, sub_cnt entries */
    uint32_t sub_cnt;
    double usage_scale;
    uint32_t tier_cnt[4];
    uint32_t drift_cnt[CW_GEN_DRIFT_CNT]; /* subscribers per drift kind */
    uint32_t drifting;
    uint32_t churn_cnt[CW_GEN_WHY_UNWARNED + 1]; /* churns in the traffic, by why */
    uint32_t recycled;
    uint32_t slow_cnt; /* slow drifters */
    uint32_t slow_symptom_cnt[CW_GEN_SLOW_CNT];
} cw_gen_model_t;

/* ---- one day of records (gen_day.c, gen_traffic.c) ---- */

/* One event before formatting. Field use by type:
 * voice: a = duration_s, b = charge_fen, dir, peer
 * sms: b = charge_fen, dir, peer
 * data: a = bytes, b = charge_fen
 * charge: a = item index (CW_GEN_ITEM_VAS + service: "vas:<name>"), b = charge_fen
 * plan_change: a = from_fee_fen, b = to_fee_fen
 * complaint: dir = severity (0 normal, 1 serious), flags & OVERDUE
 * profile: a = subsidy_end, b = contract_end (int32 day numbers), flags
 * churn: a = kind index, b = operator index + 1 (0 = no to_operator)
 * suspend: a = reason index; arrears: a = owed_fen, b = months
 * fault: a = level; service: a = channel index
 * subscribe: a = service index, b = fee_fen */
typedef struct {
    int64_t ts;    /* epoch ms UTC */
    uint64_t peer; /* voice and sms */
    uint32_t sub;
    uint32_t seq; /* generation order within the day: a stable tie break */
    uint32_t a;
    uint32_t b;
    uint8_t type;
    uint8_t dir; /* 0 mo, 1 mt, 2 fwd */
    uint8_t flags;
} cw_gen_rec_t;

/* cw_gen_rec_t flags. A partial profile is an update carrying contract_end
 * only; a closing record is a week-closing event, not a subscriber's. */
#define CW_GEN_REC_OVERDUE 0x01
#define CW_GEN_REC_PROFILE_PARTIAL 0x02
#define CW_GEN_REC_CLOSING 0x04

/* charge item indexes: below this the weekly model's names ("rental",
 * "vas_music", ...), from it "vas:<cw_gen_vas_names[a - it]>" */
#define CW_GEN_ITEM_VAS 16

enum { CW_GEN_DIR_MO, CW_GEN_DIR_MT, CW_GEN_DIR_FWD };

typedef struct {
    cw_gen_rec_t *recs; /* owned, reused day after day */
    size_t cnt;
    size_t cap;
} cw_gen_day_t;

/* ---- ground truth (gen_truth.c) ---- */

/* Writes one JSON line per subscriber to `out` (borrowed); 0, or -1 when
 * the stream reports an error. */
int cw_gen_truth_write(const cw_gen_model_t *model, FILE *out);

/* ---- JSON text (gen_format.c) ---- */

/* Largest text cw_gen_format_* writes (too_large records are the biggest). */
#define CW_GEN_TEXT_MAX (96 * 1024)

int cw_gen_topic_of(cw_gen_type_t type);
/* Writes the event's JSON into buf[CW_GEN_TEXT_MAX]; returns its length.
 * `event_no` numbers the event_id and picks the surface variations (time
 * format, number format), so a given event always reads the same. */
size_t cw_gen_format_event(const cw_gen_model_t *model, const cw_gen_rec_t *rec,
                           uint64_t msisdn, uint64_t event_no, char *buf);
/* A bad record for `reason`, modelled on `rec`; sets *topic. */
size_t cw_gen_format_bad(const cw_gen_model_t *model, const cw_gen_rec_t *rec,
                         cw_gen_bad_t reason, uint64_t event_no, char *buf, int *topic);
/* The subscriber's number as the message key (normalised digits). */
size_t cw_gen_format_key(uint64_t msisdn, char *buf);

/* ---- output (gen_sink.c) ---- */

typedef struct cw_gen_sink cw_gen_sink_t;

typedef struct {
    uint64_t sent;      /* handed to stdout or to librdkafka */
    uint64_t delivered; /* acknowledged by the broker (== sent for stdout) */
    uint64_t failed;
    char first_error[256];
} cw_gen_sink_stats_t;

/* Returns NULL with a message in errbuf. */
cw_gen_sink_t *cw_gen_sink_open(const cw_gen_opts_t *opts, char *errbuf,
                                size_t errbuf_size);
/* Paces to --rate, then writes or enqueues one message. Returns 0, or -1 on a
 * write error to stdout (Kafka errors are counted, not returned). */
int cw_gen_sink_send(cw_gen_sink_t *sink, int topic, const char *key, size_t key_len,
                     const char *value, size_t value_len);
/* Partition count of the first topic (from metadata, or --partitions with
 * --stdout); 0 when unknown. */
int cw_gen_sink_partitions(const cw_gen_sink_t *sink);
/* Flushes, fills *stats, frees the sink. Returns 0 when every message was
 * delivered. */
int cw_gen_sink_close(cw_gen_sink_t *sink, cw_gen_sink_stats_t *stats);

#endif
