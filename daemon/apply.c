/* The apply step (see apply.h): load, decide, commit, publish. */
#include "apply.h"

#include <stdio.h>

#include "alloc.h"
#include "batch.h"
#include "clock.h"
#include "consumer.h"
#include "keys.h"
#include "outbox.h"
#include "week.h"

typedef struct apply {
    const cw_env_t *env;
    int32_t partition;
    cw_meta_t stored;          /* the partition's meta before this step */
    cw_batch_t batch;
    cw_ops_t ops;
    cw_step_done_fn done;
    void *done_arg;
} apply_t;

static void loaded(cw_step_t *step, void *arg);
static void committed(cw_step_t *step, void *arg);

static void on_end(cw_step_t *step, bool ok, void *arg)
{
    apply_t *apply = arg;
    cw_step_result_t result = {
        .ok = ok,
        .why = cw_step_why(step),
        .claimed_elsewhere = cw_step_claimed_elsewhere(step),
        .records_done = ok ? apply->batch.taken : 0,
        .meta = &apply->batch.meta,
        .closed = CW_WEEK_NONE,
    };
    apply->done(&result, apply->done_arg);
    cw_batch_free(&apply->batch);
    cw_ops_free(&apply->ops);
    cw_free(apply);
}

cw_step_t *cw_apply_begin(const cw_env_t *env, int32_t partition, const cw_meta_t *meta,
                          const cw_record_t *const *records, size_t count,
                          cw_step_done_fn done, void *arg)
{
    apply_t *apply = cw_calloc(1, sizeof *apply);
    if (apply == NULL)
        return NULL;
    *apply = (apply_t){.env = env, .partition = partition, .stored = *meta, .done = done,
                       .done_arg = arg};
    cw_step_t *step = cw_step_new(env, partition, on_end, apply);
    if (step == NULL) {
        cw_free(apply);
        return NULL;
    }
    if (cw_batch_take(&apply->batch, records, count, env->config->country_code,
                      (size_t)env->config->max_step_bytes) != 0 ||
        apply->batch.count == 0)
        cw_step_fail(step, "out of memory");
    else
        cw_step_load(step, &apply->batch.subs, loaded);
    return step;
}

/* The states, seen lists, meta changes and outbox entries of the step, as
 * the commit script's operations. */
static void build_ops(apply_t *apply)
{
    const cw_config_t *config = apply->env->config;
    cw_batch_t *batch = &apply->batch;
    cw_ops_t *ops = &apply->ops;
    char key[CW_KEY_SIZE];
    cw_ops_begin(ops, config->key_prefix, apply->partition, &apply->stored);
    int64_t expire_at = cw_ops_expire_at(config);
    cw_ops_write_states(ops, config->key_prefix, apply->partition, &batch->subs, expire_at);
    for (size_t i = 0; i < batch->seen_count; i++) {
        cw_key_seen(key, config->key_prefix, apply->partition, batch->seen[i].period,
                    batch->seen[i].index);
        cw_ops_append(ops, key, batch->seen[i].text, batch->seen[i].len, expire_at);
    }
    cw_ops_meta_changes(ops, config, &apply->stored, &batch->meta, false);
    cw_outbox_commit(ops, &batch->entries);
}

static void loaded(cw_step_t *step, void *arg)
{
    apply_t *apply = arg;
    cw_batch_ctx_t ctx = {apply->env->config, apply->env->setup, cw_wall_ms(), false};
    if (cw_batch_apply(&apply->batch, &ctx, &apply->stored) != 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    build_ops(apply);
    cw_step_commit(step, &apply->ops, committed);
}

static void count(cw_metrics_t *metrics, const cw_batch_t *batch)
{
    for (size_t i = 0; i < batch->taken; i++) {
        const cw_batch_item_t *item = &batch->items[i];
        if (item->fate == CW_FATE_REPLAYED)
            metrics->records_replayed++;
        else if (item->fate == CW_FATE_DEAD)
            metrics->dlq[item->reason]++;
        else
            metrics->events[item->event.type]++;
    }
}

static void committed(cw_step_t *step, void *arg)
{
    apply_t *apply = arg;
    const cw_env_t *env = apply->env;
    cw_batch_t *batch = &apply->batch;
    snprintf(batch->meta.seq, sizeof batch->meta.seq, "%lld", cw_step_seq(step));
    count(env->metrics, batch);
    for (size_t t = 0; t < env->config->input_topic_count; t++)
        if (batch->meta.next_offset[t] >= 0 && env->consumer != NULL)
            cw_consumer_store_offset(env->consumer, (int)t, apply->partition,
                                     batch->meta.next_offset[t]);
    env->metrics->batches++;
    cw_histogram_observe(&env->metrics->batch_latency, cw_mono_s() - cw_step_started_s(step));
    cw_outbox_publish_all(env->outbox, apply->partition, &batch->entries);
    cw_step_finish(step);
}
