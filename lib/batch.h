/* The apply step's decisions (SPEC sections 4, 5 (a) and 8), with no I/O: a
 * prefix of a partition's queued records is parsed, the subscribers it needs
 * are named (the caller loads their states), then each record is applied in
 * order: skipped when it is below the partition's next offset (applied
 * before a crash or rebalance), checked against the clocks, applied to its
 * subscriber, put on its week's seen list, evaluated, and turned into an
 * alert when the publish rule says so; a record that cannot be applied
 * becomes a dead letter. The step stops right after the record whose event
 * time closes a week, so the week close sees exactly the records before it.
 * The daemon commits what this decides; the backtest runs the same code. */
#ifndef CW_BATCH_H
#define CW_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "event.h"
#include "meta.h"
#include "period.h"
#include "record.h"
#include "rules.h"
#include "setup.h"
#include "subset.h"

#define CW_BATCH_MAX_RECORDS 1000
#define CW_BATCH_MAX_SUBS 500

/* What a step decides with. */
typedef struct cw_batch_ctx {
    const cw_config_t *config;   /* time settings, topics, country code (start-up) */
    const cw_setup_t *setup;     /* rules, number plan, actions, rules_version (current) */
    int64_t now_ms;              /* wall clock: future_ts, emitted_at */
    bool decisions_only;         /* entries carry what was decided (entry.h's values) but
                                    no message, neither JSON nor id: for a backtest that
                                    only counts (the daemon publishes, so never sets it) */
} cw_batch_ctx_t;

typedef enum {
    CW_FATE_UNDECIDED = 0,       /* after the step's stop: left for the next step */
    CW_FATE_REPLAYED,            /* applied by an earlier run: skipped */
    CW_FATE_DEAD,                /* a dead letter (reason, detail) */
    CW_FATE_APPLIED,
} cw_fate_t;

typedef struct cw_batch_item {
    const cw_record_t *record;   /* borrowed */
    cw_dlq_reason_t reason;
    char detail[CW_DETAIL_SIZE];
    cw_event_t event;
    int sub;                     /* index into subs; -1 for a record that did not parse */
    cw_fate_t fate;
} cw_batch_item_t;

/* The subscribers with a first event in a week or a month: "<msisdn>\n"
 * lines, the list the period's close reads. */
typedef struct cw_seen_list {
    cw_period_t period;
    int32_t index;
    char *text;                  /* owned */
    size_t len, cap;
} cw_seen_list_t;

typedef struct cw_batch {
    cw_batch_item_t *items;      /* the records taken, in order */
    size_t count;
    size_t taken;                /* after apply: the prefix decided (the rest waits) */
    cw_subset_t subs;
    cw_seen_list_t *seen;
    size_t seen_count, seen_cap;
    cw_entries_t entries;        /* alerts and dead letters, in the order decided */
    cw_meta_t meta;              /* as it will be once the step commits */
} cw_batch_t;

/* Parses up to `count` records (at most CW_BATCH_MAX_RECORDS) and names
 * their subscribers; takes fewer when the subscribers of one step run out
 * or the records' bytes would pass max_bytes (one is always taken).
 * Returns 0, or -1 when out of memory. */
int cw_batch_take(cw_batch_t *batch, const cw_record_t *const *records, size_t count,
                  const char *country_code, size_t max_bytes);

/* Applies the taken records to the loaded states, starting from the
 * partition's `meta`; a changed state on no seen list a week close will
 * still read (late events only) is marked to expire. Returns 0, or -1 when out of memory (nothing decided
 * may then be committed). */
int cw_batch_apply(cw_batch_t *batch, const cw_batch_ctx_t *ctx, const cw_meta_t *meta);

void cw_batch_free(cw_batch_t *batch);

/* The oldest week and month a subscriber keeps at the stream time
 * (CW_WEEK_NONE: no stream time yet): older ones are dropped from states
 * before they are written. */
int32_t cw_batch_oldest_week(const cw_config_t *config, int64_t stream_ms);
int32_t cw_batch_oldest_month(const cw_config_t *config, int64_t stream_ms);
/* Whether a period closes at the meta's stream time (a close under way or
 * one due): the step stops, the close goes first. */
bool cw_batch_close_due(const cw_config_t *config, const cw_meta_t *meta, cw_period_t period);

/* Adds the alert of an evaluation to be published. Returns 0 or -1. */
int cw_batch_alert(cw_entries_t *entries, const cw_batch_ctx_t *ctx,
                   const cw_subset_entry_t *sub, const cw_eval_t *eval, int64_t event_time_ms);

#endif
