/* The close step of a week or a month (see sweep.h): read a chunk, decide,
 * commit. */
#include "sweep.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "close.h"
#include "keys.h"
#include "outbox.h"

typedef struct sweep {
    const cw_env_t *env;
    int32_t partition;
    cw_period_t period;
    cw_meta_t stored;          /* the partition's meta before this step */
    cw_meta_t meta;            /* as it will be once this step commits */
    cw_meta_close_t *close;    /* in meta: the period's closes */
    cw_subset_t subs;
    cw_entries_t entries;
    cw_ops_t ops;
    size_t evaluated, published;
    uint64_t scores[CW_SCORE_CELLS]; /* months: the scores counted */
    bool closes;               /* this step closes the period */
    cw_step_done_fn done;
    void *done_arg;
} sweep_t;

static void read_chunk(cw_step_t *step, sweep_t *sweep);

static void on_end(cw_step_t *step, bool ok, void *arg)
{
    sweep_t *sweep = arg;
    cw_step_result_t result = {
        .ok = ok,
        .why = cw_step_why(step),
        .claimed_elsewhere = cw_step_claimed_elsewhere(step),
        .meta = &sweep->meta,
        .period = sweep->period,
        .evaluated = sweep->evaluated,
        .published = sweep->published,
        .closed = ok && sweep->closes ? sweep->close->closed : CW_WEEK_NONE,
    };
    sweep->done(&result, sweep->done_arg);
    cw_subset_free(&sweep->subs);
    cw_entries_free(&sweep->entries);
    cw_ops_free(&sweep->ops);
    cw_free(sweep);
}

cw_step_t *cw_sweep_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          cw_period_t period, cw_step_done_fn done, void *arg)
{
    sweep_t *sweep = cw_calloc(1, sizeof *sweep);
    if (sweep == NULL)
        return NULL;
    *sweep = (sweep_t){.env = env, .partition = partition, .period = period, .stored = *meta,
                       .meta = *meta, .done = done, .done_arg = arg};
    sweep->close = &sweep->meta.close[period];
    cw_step_t *step = cw_step_new(env, partition, on_end, sweep);
    if (step == NULL) {
        cw_free(sweep);
        return NULL;
    }
    if (sweep->close->sweep == CW_WEEK_NONE)
        *sweep->close = (cw_meta_close_t){sweep->close->closed, sweep->close->closed + 1, 0, 0};
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
    for (int s = 0; s < CW_SCORE_CELLS; s++)
        metrics->scores[s] += sweep->scores[s];
    /* a close's chunk is a batch committed like any other: counted in both,
     * so the histogram's _count equals cdrwarn_batches_total */
    metrics->batches++;
    cw_histogram_observe(&metrics->batch_latency, cw_mono_s() - cw_step_started_s(step));
    cw_step_finish(step);
}

/* The last chunk is done: the period is closed, the list before it no
 * longer needed. */
static void finish(cw_step_t *step, sweep_t *sweep)
{
    const cw_config_t *config = sweep->env->config;
    int32_t closing = sweep->close->sweep;
    char key[CW_KEY_SIZE];
    start_ops(sweep);
    *sweep->close = (cw_meta_close_t){closing, CW_WEEK_NONE, 0, 0};
    add_meta(sweep);
    cw_key_seen(key, config->key_prefix, sweep->partition, sweep->period, closing - 1);
    cw_ops_del(&sweep->ops, key);
    sweep->closes = true;
    cw_step_commit(step, &sweep->ops, committed);
}

static void loaded(cw_step_t *step, void *arg)
{
    sweep_t *sweep = arg;
    const cw_env_t *env = sweep->env;
    cw_batch_ctx_t ctx = {env->config, env->setup, cw_wall_ms(), false};
    int rc = sweep->period == CW_PERIOD_WEEK
                 ? cw_close_evaluate(&sweep->subs, sweep->close->list, sweep->close->sweep,
                                     sweep->meta.stream_ms, &ctx, &sweep->entries,
                                     &sweep->evaluated, &sweep->published)
                 : cw_close_score_month(&sweep->subs, sweep->close->list, sweep->close->sweep,
                                        &ctx, &sweep->entries, &sweep->evaluated,
                                        &sweep->published, sweep->scores, CW_SCORE_CELLS);
    if (rc != 0) {
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
        if (sweep->close->list == 1) {
            finish(step, sweep);
            return;
        }
        sweep->close->list = 1; /* now the subscribers seen in the period before */
        sweep->close->offset = 0;
        read_chunk(step, sweep);
        return;
    }
    long consumed = cw_close_take(&sweep->subs, reply->str, reply->len);
    if (consumed < 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    sweep->close->offset += consumed;
    cw_step_load(step, &sweep->subs, loaded);
}

static void read_chunk(cw_step_t *step, sweep_t *sweep)
{
    const cw_config_t *config = sweep->env->config;
    char key[CW_KEY_SIZE], start[24], end[24];
    int32_t list_of = sweep->close->sweep - sweep->close->list;
    size_t key_len = cw_key_seen(key, config->key_prefix, sweep->partition, sweep->period, list_of);
    int start_len = snprintf(start, sizeof start, "%lld", (long long)sweep->close->offset);
    int end_len = snprintf(end, sizeof end, "%lld",
                           (long long)(sweep->close->offset + CW_CLOSE_CHUNK_BYTES - 1));
    const char *argv[4] = {"GETRANGE", key, start, end};
    size_t argvlen[4] = {8, key_len, (size_t)start_len, (size_t)end_len};
    cw_step_send(step, 4, argv, argvlen, REDIS_REPLY_STRING, on_range);
}
