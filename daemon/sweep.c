/* The week-close step (see sweep.h): read a chunk, decide, commit. */
#include "sweep.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "close.h"
#include "keys.h"
#include "outbox.h"
#include "week.h"

typedef struct sweep {
    const cw_env_t *env;
    int32_t partition;
    cw_meta_t stored;          /* the partition's meta before this step */
    cw_meta_t meta;            /* as it will be once this step commits */
    cw_subset_t subs;
    cw_entries_t entries;
    cw_ops_t ops;
    size_t evaluated, alerts;
    bool closes;               /* this step closes the week */
    cw_step_done_fn done;
    void *done_arg;
} sweep_t;

static void read_chunk(cw_step_t *step, sweep_t *sweep);

bool cw_sweep_due(const cw_config_t *config, const cw_meta_t *meta)
{
    if (meta->sweep_week != CW_WEEK_NONE)
        return true;
    if (meta->closed_week == CW_WEEK_NONE || meta->stream_ms == CW_STREAM_NONE)
        return false;
    return cw_week_last_closed(meta->stream_ms, config->late_grace_ms, config->utc_offset_s) >
           meta->closed_week;
}

static void on_end(cw_step_t *step, bool ok, void *arg)
{
    sweep_t *sweep = arg;
    cw_step_result_t result = {
        .ok = ok,
        .why = cw_step_why(step),
        .claimed_elsewhere = cw_step_claimed_elsewhere(step),
        .meta = &sweep->meta,
        .evaluated = sweep->evaluated,
        .alerts = sweep->alerts,
        .closed_week = ok && sweep->closes ? sweep->meta.closed_week : CW_WEEK_NONE,
    };
    sweep->done(&result, sweep->done_arg);
    cw_subset_free(&sweep->subs);
    cw_entries_free(&sweep->entries);
    cw_ops_free(&sweep->ops);
    cw_free(sweep);
}

cw_step_t *cw_sweep_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          cw_step_done_fn done, void *arg)
{
    sweep_t *sweep = cw_calloc(1, sizeof *sweep);
    if (sweep == NULL)
        return NULL;
    *sweep = (sweep_t){.env = env, .partition = partition, .stored = *meta, .meta = *meta,
                       .done = done, .done_arg = arg};
    cw_step_t *step = cw_step_new(env, partition, on_end, sweep);
    if (step == NULL) {
        cw_free(sweep);
        return NULL;
    }
    if (sweep->meta.sweep_week == CW_WEEK_NONE) {
        sweep->meta.sweep_week = sweep->meta.closed_week + 1;
        sweep->meta.sweep_list = 0;
        sweep->meta.sweep_offset = 0;
    }
    read_chunk(step, sweep);
    return step;
}

static void start_ops(sweep_t *sweep)
{
    cw_ops_begin(&sweep->ops, sweep->env->config->key_prefix, sweep->partition, &sweep->stored);
}

/* The stream time is written whatever else changed: an idle close moved it
 * without a commit. */
static void add_meta(sweep_t *sweep)
{
    cw_ops_meta_changes(&sweep->ops, sweep->env->config, &sweep->stored, &sweep->meta, true);
}

static void committed(cw_step_t *step, void *arg)
{
    sweep_t *sweep = arg;
    cw_metrics_t *metrics = sweep->env->metrics;
    snprintf(sweep->meta.seq, sizeof sweep->meta.seq, "%lld", cw_step_seq(step));
    cw_outbox_publish_all(sweep->env->outbox, sweep->partition, &sweep->entries);
    /* a sweep chunk is a batch committed like any other: counted in both,
     * so the histogram's _count equals cdrwarn_batches_total */
    metrics->batches++;
    cw_histogram_observe(&metrics->batch_latency, cw_mono_s() - cw_step_started_s(step));
    cw_step_finish(step);
}

/* The last chunk is done: the week is closed, its W-1 list no longer needed. */
static void finish_week(cw_step_t *step, sweep_t *sweep)
{
    const cw_config_t *config = sweep->env->config;
    int32_t week = sweep->meta.sweep_week;
    char key[CW_KEY_SIZE];
    start_ops(sweep);
    sweep->meta.closed_week = week;
    sweep->meta.sweep_week = CW_WEEK_NONE;
    sweep->meta.sweep_list = 0;
    sweep->meta.sweep_offset = 0;
    add_meta(sweep);
    cw_key_seen(key, config->key_prefix, sweep->partition, week - 1);
    cw_ops_del(&sweep->ops, key);
    sweep->closes = true;
    cw_step_commit(step, &sweep->ops, committed);
}

static void loaded(cw_step_t *step, void *arg)
{
    sweep_t *sweep = arg;
    const cw_env_t *env = sweep->env;
    cw_batch_ctx_t ctx = {env->config, env->setup, cw_wall_ms()};
    if (cw_close_evaluate(&sweep->subs, sweep->meta.sweep_list, sweep->meta.sweep_week,
                          sweep->meta.stream_ms, &ctx, &sweep->entries, &sweep->evaluated,
                          &sweep->alerts) != 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    start_ops(sweep);
    cw_ops_write_states(&sweep->ops, env->config->key_prefix, sweep->partition, &sweep->subs,
                        cw_ops_expire_at(env->config));
    add_meta(sweep);
    cw_outbox_commit(&sweep->ops, &sweep->entries);
    cw_step_commit(step, &sweep->ops, committed);
}

static void on_range(cw_step_t *step, const redisReply *reply, void *arg)
{
    sweep_t *sweep = arg;
    if (reply->len == 0) {
        if (sweep->meta.sweep_list == 1) {
            finish_week(step, sweep);
            return;
        }
        sweep->meta.sweep_list = 1; /* now the subscribers seen in W-1 */
        sweep->meta.sweep_offset = 0;
        read_chunk(step, sweep);
        return;
    }
    long consumed = cw_close_take(&sweep->subs, reply->str, reply->len);
    if (consumed < 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    sweep->meta.sweep_offset += consumed;
    cw_step_load(step, &sweep->subs, loaded);
}

static void read_chunk(cw_step_t *step, sweep_t *sweep)
{
    const cw_config_t *config = sweep->env->config;
    char key[CW_KEY_SIZE], start[24], end[24];
    int32_t list_week = sweep->meta.sweep_week - sweep->meta.sweep_list;
    size_t key_len = cw_key_seen(key, config->key_prefix, sweep->partition, list_week);
    int start_len = snprintf(start, sizeof start, "%lld", (long long)sweep->meta.sweep_offset);
    int end_len = snprintf(end, sizeof end, "%lld",
                           (long long)(sweep->meta.sweep_offset + CW_CLOSE_CHUNK_BYTES - 1));
    const char *argv[4] = {"GETRANGE", key, start, end};
    size_t argvlen[4] = {8, key_len, (size_t)start_len, (size_t)end_len};
    cw_step_send(step, 4, argv, argvlen, REDIS_REPLY_STRING, on_range);
}
