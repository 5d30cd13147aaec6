/* Shared between part.c (pipeline and steps), apply.c (records) and sweep.c
 * (week close). Not for use outside the partition pipeline. */
#ifndef CW_PART_INTERNAL_H
#define CW_PART_INTERNAL_H

#include <hiredis/hiredis.h>

#include "agg.h"
#include "alert.h"
#include "config.h"
#include "event.h"
#include "ops.h"
#include "part.h"
#include "rules.h"

#define STEP_MAX_RECORDS 2000
#define STEP_MAX_SUBS 1000
#define SWEEP_CHUNK_BYTES 16384
#define SEQ_SIZE 24
#define STREAM_NONE INT64_MIN
#define WEEK_NONE INT32_MIN

/* The partition's bookkeeping row in Redis (the meta hash), mirrored. */
typedef struct part_meta {
    char seq[SEQ_SIZE];                       /* fence; "" before the first commit */
    int64_t next_offset[CW_MAX_INPUT_TOPICS]; /* -1: nothing applied yet */
    int64_t stream_ms;                        /* STREAM_NONE: no event yet */
    int32_t closed_week;                      /* WEEK_NONE: no event yet */
    int32_t sweep_week;                       /* WEEK_NONE: no sweep under way */
    int sweep_list;                           /* 0: seen list of W, 1: of W-1 */
    int64_t sweep_offset;                     /* bytes of that list done */
    int32_t partition_count;                  /* of the input topics when the
                                                 state was first written; 0: unknown */
} part_meta_t;

typedef enum { STEP_LOAD, STEP_APPLY, STEP_SWEEP } step_kind_t;

typedef struct step_sub {
    char msisdn[CW_NUMBER_SIZE];
    cw_sub_t state;
    bool dirty;
} step_sub_t;

typedef struct step_record {
    const cw_record_t *record; /* borrowed from the queue */
    int sub;                   /* index into subs, -1 for a bad record */
    bool replayed;             /* applied by an earlier run: skipped */
    cw_dlq_reason_t reason;
    char detail[CW_DETAIL_SIZE];
    cw_event_t event;
} step_record_t;

typedef struct step_alert {
    char alert_id[CW_ALERT_ID_SIZE];
    char msisdn[CW_NUMBER_SIZE];
    char *json;                /* owned */
    size_t len;
    cw_level_t level;
} step_alert_t;

typedef struct step_seen {
    int32_t week;
    char *text;                /* owned: "<msisdn>\n" lines */
    size_t len, cap;
} step_seen_t;

typedef struct cw_step cw_step_t;
typedef void (*step_fn)(cw_step_t *step);

struct cw_step {
    cw_part_t *part;
    step_kind_t kind;
    double started_s;
    int replies_pending;
    bool failed;
    step_fn after_load;        /* called once all subscriber states are in */
    step_fn after_commit;      /* called once the commit is acknowledged */
    part_meta_t meta;          /* as it will be once this step commits */
    /* subscribers touched, with an index by number */
    step_sub_t *subs;
    size_t sub_count, sub_cap;
    int32_t *index;            /* open addressing: sub index + 1, 0 = empty */
    size_t index_cap;
    /* apply */
    step_record_t *records;
    size_t record_count;
    size_t taken;              /* records this step accounts for (a prefix) */
    /* sweep */
    int32_t sweep_week;
    size_t sweep_consumed;     /* bytes of the seen list this chunk covers */
    bool sweep_finishing;
    /* outputs */
    step_alert_t *alerts;
    size_t alert_count, alert_cap;
    step_seen_t *seen;
    size_t seen_count, seen_cap;
    cw_ops_t ops;
};

struct cw_part {
    cw_daemon_t *daemon;
    int32_t partition;
    bool owned;
    bool loaded;               /* meta mirrors Redis */
    bool refused;              /* its state belongs to another partition count */
    part_meta_t meta;
    cw_record_t **queue;       /* ring buffer, owned */
    size_t q_head, q_len, q_cap;
    int64_t last_record_wall_ms;
    cw_step_t *step;           /* in flight, or NULL */
    struct event *backoff_timer;
    int64_t backoff_ms;
    bool backing_off;
    size_t sweep_evaluated;    /* for the week-close log line */
    size_t sweep_alerts;
};

/* part.c: step machinery */
cw_step_t *cw_step_new(cw_part_t *part, step_kind_t kind);
void cw_step_end(cw_step_t *step);                  /* frees, then kicks the partition */
void cw_step_fail(cw_step_t *step, const char *why);
/* Fails the step unless the reply has the expected type; true when it did. */
bool cw_step_reply_failed(cw_step_t *step, const redisReply *reply, int type,
                          const char *command);
/* Makes room for `count` subscribers (the step's most), once, up front. */
int cw_step_reserve(cw_step_t *step, size_t count);
int cw_step_sub(cw_step_t *step, const char *msisdn); /* index, or -1 when full */
void cw_step_load_subs(cw_step_t *step);              /* then after_load */
void cw_step_commit(cw_step_t *step);                 /* then after_commit */
int cw_step_add_alert(cw_step_t *step, step_sub_t *sub, const cw_eval_t *eval,
                      int64_t event_time_ms);
void cw_step_publish(cw_step_t *step);                /* after the commit */
void cw_step_write_subs(cw_step_t *step);             /* S ops for dirty states */
bool cw_step_abandoned(cw_step_t *step);              /* partition revoked: drop it */
int64_t cw_part_expire_at(const cw_part_t *part);

/* apply.c */
void cw_apply_begin(cw_part_t *part);
/* sweep.c */
bool cw_sweep_due(const cw_part_t *part);
void cw_sweep_begin(cw_part_t *part);

#endif
