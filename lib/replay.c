/* The daemon's run of one partition, in memory (see replay.h). */
#include "replay.h"

#include <string.h>

#include "alloc.h"
#include "close.h"
#include "subcodec.h"
#include "substore.h"

/* A period's seen list: "<msisdn>\n" for each subscriber's first event in
 * it, in the order the daemon appends them. */
typedef struct seen {
    cw_period_t period;
    int32_t index;
    char *text;
    size_t len, cap;
} seen_t;

struct cw_replay {
    const cw_batch_ctx_t *ctx;
    cw_replay_entry_fn fn;
    void *arg;
    cw_substore_t *store;
    cw_meta_t meta;
    seen_t *seen;
    size_t seen_count, seen_cap;
    cw_replay_counts_t counts;
};

cw_replay_t *cw_replay_new(const cw_batch_ctx_t *ctx, cw_replay_entry_fn fn, void *arg)
{
    cw_replay_t *replay = cw_calloc(1, sizeof *replay);
    if (replay == NULL)
        return NULL;
    replay->ctx = ctx;
    replay->fn = fn;
    replay->arg = arg;
    replay->store = cw_substore_new();
    if (replay->store == NULL) {
        cw_free(replay);
        return NULL;
    }
    cw_meta_reset(&replay->meta);
    for (int p = 0; p < CW_PERIOD__COUNT; p++)
        replay->counts.last_closed[p] = CW_WEEK_NONE;
    return replay;
}

void cw_replay_free(cw_replay_t *replay)
{
    if (replay == NULL)
        return;
    for (size_t i = 0; i < replay->seen_count; i++)
        cw_free(replay->seen[i].text);
    cw_free(replay->seen);
    cw_substore_free(replay->store);
    cw_free(replay);
}

const cw_replay_counts_t *cw_replay_counts(const cw_replay_t *replay)
{
    return &replay->counts;
}

const cw_meta_t *cw_replay_meta(const cw_replay_t *replay)
{
    return &replay->meta;
}

size_t cw_replay_subscribers(const cw_replay_t *replay)
{
    return cw_substore_count(replay->store);
}

size_t cw_replay_state_bytes(const cw_replay_t *replay)
{
    return cw_substore_bytes(replay->store);
}

int cw_replay_state(const cw_replay_t *replay, const char *msisdn, cw_sub_t *out)
{
    size_t len;
    const uint8_t *bytes = cw_substore_get(replay->store, msisdn, &len);
    if (bytes == NULL) {
        cw_sub_init(out);
        return 0;
    }
    return cw_sub_decode(out, bytes, len) == 0 ? 1 : -1;
}

/* ---- states: what the daemon's MGET and commit do with Redis ------------- */

/* Lookups run ahead of decoding, the slot of a subscriber SLOT_AHEAD
 * places on, its state's bytes STATE_AHEAD places on: the memory reads of
 * many subscribers overlap instead of waiting one after the other. */
#define SLOT_AHEAD 12
#define STATE_AHEAD 6

static void load_states(const cw_replay_t *replay, cw_subset_t *subs)
{
    for (size_t i = 0; i < subs->count && i < SLOT_AHEAD; i++)
        cw_substore_prefetch(replay->store, subs->subs[i].msisdn);
    for (size_t i = 0; i < subs->count && i < STATE_AHEAD; i++)
        cw_substore_prefetch_state(replay->store, subs->subs[i].msisdn);
    for (size_t i = 0; i < subs->count; i++) {
        if (i + SLOT_AHEAD < subs->count)
            cw_substore_prefetch(replay->store, subs->subs[i + SLOT_AHEAD].msisdn);
        if (i + STATE_AHEAD < subs->count)
            cw_substore_prefetch_state(replay->store, subs->subs[i + STATE_AHEAD].msisdn);
        size_t len;
        const uint8_t *bytes = cw_substore_get(replay->store, subs->subs[i].msisdn, &len);
        /* the store holds only what cw_sub_encode wrote: it decodes */
        if (bytes != NULL)
            cw_subset_load(subs, i, bytes, len);
    }
}

static int write_states(cw_replay_t *replay, const cw_subset_t *subs)
{
    uint8_t buf[CW_SUB_ENCODED_MAX];
    for (size_t i = 0; i < subs->count; i++) {
        if (!subs->subs[i].dirty)
            continue;
        size_t len = cw_sub_encode(&subs->subs[i].state, buf, sizeof buf);
        if (cw_substore_put(replay->store, subs->subs[i].msisdn, buf, len) != 0)
            return -1;
    }
    return 0;
}

/* What a commit's publisher then sends, in order. */
static int publish(cw_replay_t *replay, const cw_entries_t *entries)
{
    for (size_t i = 0; i < entries->count; i++) {
        const cw_entry_t *entry = &entries->items[i];
        replay->counts.entries[entry->kind]++;
        if (entry->kind == CW_ENTRY_ALERT && entry->level > 0 &&
            entry->level < CW_LEVEL__COUNT)
            replay->counts.alerts[entry->level]++;
        if (replay->fn != NULL && replay->fn(entry, replay->arg) != 0)
            return -1;
    }
    return 0;
}

/* ---- seen lists ----------------------------------------------------------- */

static seen_t *seen_find(cw_replay_t *replay, cw_period_t period, int32_t index)
{
    for (size_t i = 0; i < replay->seen_count; i++)
        if (replay->seen[i].period == period && replay->seen[i].index == index)
            return &replay->seen[i];
    return NULL;
}

/* A list the closes still read: the next period to close reads its own
 * and the one before, which is the last closed. */
static bool seen_needed(const cw_replay_t *replay, cw_period_t period, int32_t index)
{
    int32_t closed = replay->meta.close[period].closed;
    return closed == CW_WEEK_NONE || index >= closed;
}

static int seen_append(cw_replay_t *replay, const cw_seen_list_t *list)
{
    if (!seen_needed(replay, list->period, list->index))
        return 0; /* the daemon appends to a list no close reads again */
    seen_t *seen = seen_find(replay, list->period, list->index);
    if (seen == NULL) {
        seen_t *grown = cw_grow(replay->seen, &replay->seen_cap, replay->seen_count + 1,
                                sizeof *grown, 8);
        if (grown == NULL)
            return -1;
        replay->seen = grown;
        seen = &replay->seen[replay->seen_count++];
        *seen = (seen_t){.period = list->period, .index = list->index};
    }
    char *text = cw_grow(seen->text, &seen->cap, seen->len + list->len, 1, 4096);
    if (text == NULL)
        return -1;
    seen->text = text;
    memcpy(seen->text + seen->len, list->text, list->len);
    seen->len += list->len;
    return 0;
}

/* Drops the lists no close reads any more (the daemon deletes them). */
static void seen_prune(cw_replay_t *replay)
{
    size_t kept = 0;
    for (size_t i = 0; i < replay->seen_count; i++) {
        if (seen_needed(replay, replay->seen[i].period, replay->seen[i].index))
            replay->seen[kept++] = replay->seen[i];
        else
            cw_free(replay->seen[i].text);
    }
    replay->seen_count = kept;
}

/* ---- closes: daemon/sweep.c without Redis --------------------------------- */

/* One chunk of a list: its subscribers evaluated (weeks) or scored (months),
 * their states written, what they published sent. Returns the bytes the
 * chunk covered, or -1. */
static long close_chunk(cw_replay_t *replay, cw_period_t period, int list,
                        int32_t closing, const char *text, size_t len)
{
    cw_subset_t subs;
    cw_entries_t entries = {0};
    size_t evaluated = 0, published = 0;
    long covered = cw_close_take(&subs, text, len);
    if (covered < 0)
        return -1;
    load_states(replay, &subs);
    int rc = period == CW_PERIOD_WEEK
                 ? cw_close_evaluate(&subs, list, closing, replay->meta.stream_ms,
                                     replay->ctx, &entries, &evaluated, &published)
                 : cw_close_score_month(&subs, list, closing, replay->ctx, &entries,
                                        &evaluated, &published, NULL, 0);
    if (rc == 0)
        rc = write_states(replay, &subs);
    if (rc == 0)
        rc = publish(replay, &entries);
    if (period == CW_PERIOD_WEEK)
        replay->counts.evaluated += evaluated;
    else
        replay->counts.scored += evaluated;
    cw_entries_free(&entries);
    cw_subset_free(&subs);
    return rc == 0 ? covered : -1;
}

/* Closes the period after the last closed: its own seen list, then the one
 * before, in chunks of the size the daemon reads. */
static int close_next(cw_replay_t *replay, cw_period_t period)
{
    int32_t closing = replay->meta.close[period].closed + 1;
    for (int list = 0; list < 2; list++) {
        const seen_t *seen = seen_find(replay, period, closing - list);
        size_t offset = 0;
        while (seen != NULL && offset < seen->len) {
            size_t len = seen->len - offset;
            if (len > CW_CLOSE_CHUNK_BYTES)
                len = CW_CLOSE_CHUNK_BYTES;
            long covered =
                close_chunk(replay, period, list, closing, seen->text + offset, len);
            if (covered < 0)
                return -1;
            /* a list this replay wrote always ends its lines; never stand still */
            offset += covered > 0 ? (size_t)covered : len;
            seen =
                seen_find(replay, period, closing - list); /* the array may have moved */
        }
    }
    replay->meta.close[period].closed = closing;
    replay->counts.last_closed[period] = closing;
    replay->counts.closes[period]++;
    seen_prune(replay);
    return 0;
}

/* Every close due, weeks before months (they close on the same stream time),
 * as daemon/part.c picks them. */
static int close_due(cw_replay_t *replay)
{
    const cw_config_t *config = replay->ctx->config;
    for (;;) {
        cw_period_t period;
        if (cw_batch_close_due(config, &replay->meta, CW_PERIOD_WEEK))
            period = CW_PERIOD_WEEK;
        else if (cw_batch_close_due(config, &replay->meta, CW_PERIOD_MONTH))
            period = CW_PERIOD_MONTH;
        else
            return 0;
        if (close_next(replay, period) != 0)
            return -1;
    }
}

/* ---- apply steps: daemon/apply.c without Redis ---------------------------- */

static void count_fates(cw_replay_t *replay, const cw_batch_t *batch)
{
    for (size_t i = 0; i < batch->taken; i++) {
        const cw_batch_item_t *item = &batch->items[i];
        if (item->fate == CW_FATE_DEAD)
            replay->counts.dead[item->reason]++;
        else if (item->fate == CW_FATE_APPLIED)
            replay->counts.applied++;
    }
    replay->counts.records += batch->taken;
}

/* One step over a prefix of the records; *taken says how many it decided. */
static int step(cw_replay_t *replay, const cw_record_t *const *records, size_t count,
                size_t *taken)
{
    const cw_config_t *config = replay->ctx->config;
    cw_batch_t batch;
    int rc = cw_batch_take(&batch, records, count, config->country_code,
                           (size_t)config->max_step_bytes);
    if (rc == 0 && batch.count == 0)
        rc = -1;
    if (rc == 0) {
        load_states(replay, &batch.subs);
        rc = cw_batch_apply(&batch, replay->ctx, &replay->meta);
    }
    if (rc == 0)
        rc = write_states(replay, &batch.subs);
    for (size_t i = 0; rc == 0 && i < batch.seen_count; i++) {
        /* the step's closes are judged by the meta before it, as the
         * daemon's list keys are */
        rc = seen_append(replay, &batch.seen[i]);
    }
    if (rc == 0) {
        replay->meta = batch.meta;
        count_fates(replay, &batch);
        *taken = batch.taken;
        rc = publish(replay, &batch.entries);
    }
    cw_batch_free(&batch);
    return rc;
}

int cw_replay_records(cw_replay_t *replay, const cw_record_t *const *records,
                      size_t count)
{
    size_t done = 0;
    if (close_due(replay) != 0)
        return -1;
    while (done < count) {
        size_t taken = 0;
        if (step(replay, records + done, count - done, &taken) != 0)
            return -1;
        done += taken;
        if (close_due(replay) != 0)
            return -1;
    }
    return 0;
}
