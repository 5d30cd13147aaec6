/* The daemon's run of one partition, in memory, for the backtest (SPEC
 * section 11): records go through the very steps cdrwarnd takes
 * (lib/batch.c: parse, clocks, apply, evaluate, the publish rule, churn
 * marks and outcomes), and whenever a step leaves a week or a month due,
 * its close runs (lib/close.c) before the next record, weeks before months,
 * chunk by chunk over the period's seen lists, as daemon/part.c and
 * daemon/sweep.c order them. The states live in a cw_substore_t instead of
 * Redis and the seen lists in memory; there is no idle close (a replay has
 * no wall clock to wait on) and no expiry of silent subscribers. Everything
 * the daemon would publish is handed, in publishing order, to a callback. */
#ifndef CW_REPLAY_H
#define CW_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "batch.h"
#include "entry.h"
#include "period.h"
#include "record.h"

typedef struct cw_replay cw_replay_t;

/* Called with each entry as the daemon would publish it (alerts, dead
 * letters, outcomes, score records), borrowed for the call. A non-zero
 * return stops the run (cw_replay_records returns -1). */
typedef int (*cw_replay_entry_fn)(const cw_entry_t *entry, void *arg);

typedef struct cw_replay_counts {
    uint64_t records;                      /* every record given */
    uint64_t applied;                      /* applied to a subscriber */
    uint64_t dead[CW_DLQ__COUNT];          /* dead letters by reason */
    uint64_t entries[CW_ENTRY__COUNT];     /* what was published, by kind */
    uint64_t alerts[CW_LEVEL__COUNT];      /* alerts by level */
    int32_t last_closed[CW_PERIOD__COUNT]; /* the last week and month the run closed;
                                              CW_WEEK_NONE: none */
    uint64_t closes[CW_PERIOD__COUNT];     /* closes run */
    uint64_t evaluated;                    /* subscribers evaluated at week closes */
    uint64_t scored;                       /* subscribers scored at month closes */
} cw_replay_counts_t;

/* A fresh partition (nothing applied, no stream time). `ctx` is borrowed
 * for the replay's life: its config, setup (the rules) and now_ms (the wall
 * clock future_ts is judged against, and emitted_at). NULL when out of
 * memory. */
cw_replay_t *cw_replay_new(const cw_batch_ctx_t *ctx, cw_replay_entry_fn fn, void *arg);
void cw_replay_free(cw_replay_t *replay);

/* Applies the records in order (their topic indexes into the config's
 * input topics, their offsets increasing per topic: a record below the
 * next offset is skipped as the daemon skips a replayed one), running each
 * close as soon as it is due. Records are borrowed for the call. Returns 0,
 * or -1 when out of memory or the callback stopped the run (the replay is
 * then unusable). */
int cw_replay_records(cw_replay_t *replay, const cw_record_t *const *records,
                      size_t count);

const cw_replay_counts_t *cw_replay_counts(const cw_replay_t *replay);
/* The partition's bookkeeping: stream time, next offsets, closes. */
const cw_meta_t *cw_replay_meta(const cw_replay_t *replay);
/* Subscribers held, and the bytes their states take. */
size_t cw_replay_subscribers(const cw_replay_t *replay);
size_t cw_replay_state_bytes(const cw_replay_t *replay);
/* A subscriber's state as it stands (fresh when unknown). Returns 1 when
 * the replay holds one, 0 when not, -1 when it does not decode. */
int cw_replay_state(const cw_replay_t *replay, const char *msisdn, cw_sub_t *out);

#endif
