/* The week close (SPEC section 5 (b)): when a partition's stream time passes
 * end(W) + late_grace, every subscriber of the partition with an event in W
 * or W-1 is evaluated for W at W's last day, with spend_drop and usage_drop,
 * so subscribers who went silent are found too. The subscribers come from the
 * week's seen lists, read in chunks; progress is committed with each chunk, so
 * a restart resumes where it stopped, and the per-week published state makes
 * a chunk done twice publish nothing twice. */
#include "part_internal.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "week.h"

static void read_chunk(cw_step_t *step);
static void sweep_loaded(cw_step_t *step);
static void sweep_committed(cw_step_t *step);

bool cw_sweep_due(const cw_part_t *part)
{
    const part_meta_t *meta = &part->meta;
    if (!part->loaded)
        return false;
    if (meta->sweep_week != WEEK_NONE)
        return true;
    if (meta->closed_week == WEEK_NONE || meta->stream_ms == STREAM_NONE)
        return false;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    return cw_week_last_closed(meta->stream_ms, config->late_grace_ms, config->utc_offset_s) >
           meta->closed_week;
}

static void start_ops(cw_step_t *step)
{
    const cw_config_t *config = cw_daemon_config(step->part->daemon);
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE];
    cw_key_meta(meta_key, config->key_prefix, step->part->partition);
    cw_key_outbox(outbox_key, config->key_prefix, step->part->partition);
    cw_ops_init(&step->ops, meta_key, outbox_key, step->meta.seq);
    cw_ops_meta_int(&step->ops, "st", step->meta.stream_ms);
}

void cw_sweep_begin(cw_part_t *part)
{
    cw_step_t *step = cw_step_new(part, STEP_SWEEP);
    if (step == NULL)
        return;
    step->after_load = sweep_loaded;
    step->after_commit = sweep_committed;
    if (step->meta.sweep_week == WEEK_NONE) {
        step->meta.sweep_week = step->meta.closed_week + 1;
        step->meta.sweep_list = 0;
        step->meta.sweep_offset = 0;
        part->sweep_evaluated = part->sweep_alerts = 0;
    }
    step->sweep_week = step->meta.sweep_week;
    read_chunk(step);
}

/* The last chunk is done: the week is closed, its W-1 list no longer needed. */
static void finish_week(cw_step_t *step)
{
    const cw_config_t *config = cw_daemon_config(step->part->daemon);
    char key[CW_KEY_SIZE];
    start_ops(step);
    step->meta.closed_week = step->sweep_week;
    step->meta.sweep_week = WEEK_NONE;
    step->meta.sweep_list = 0;
    step->meta.sweep_offset = 0;
    cw_ops_meta_int(&step->ops, "cw", step->meta.closed_week);
    cw_ops_meta_del(&step->ops, "sw");
    cw_ops_meta_del(&step->ops, "sl");
    cw_ops_meta_del(&step->ops, "so");
    cw_key_seen(key, config->key_prefix, step->part->partition, step->sweep_week - 1);
    cw_ops_del(&step->ops, key);
    step->sweep_finishing = true;
    cw_step_commit(step);
}

static void on_range(redisReply *reply, void *arg)
{
    cw_step_t *step = arg;
    step->replies_pending--;
    if (cw_step_abandoned(step))
        return;
    if (cw_step_reply_failed(step, reply, REDIS_REPLY_STRING, "GETRANGE"))
        return;
    if (reply->len == 0) {
        if (step->meta.sweep_list == 0) {
            step->meta.sweep_list = 1; /* now the subscribers seen in W-1 */
            step->meta.sweep_offset = 0;
            read_chunk(step);
        } else {
            finish_week(step);
        }
        return;
    }
    /* at most one subscriber per 4 bytes: 3 digits and a newline */
    size_t most = reply->len / (CW_NUMBER_MIN + 1) + 1;
    if (cw_step_reserve(step, most) != 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    /* whole lines only; the next chunk starts after the last newline */
    size_t line_start = 0;
    for (size_t i = 0; i < reply->len; i++) {
        if (reply->str[i] != '\n')
            continue;
        char msisdn[CW_NUMBER_SIZE];
        size_t len = i - line_start;
        if (len >= CW_NUMBER_MIN && len <= CW_NUMBER_MAX) {
            memcpy(msisdn, reply->str + line_start, len);
            msisdn[len] = '\0';
            if (cw_step_sub(step, msisdn) < 0)
                break; /* enough for one chunk */
        }
        line_start = i + 1;
    }
    if (line_start == 0) /* no whole line in a full chunk: not a list we wrote */
        line_start = reply->len;
    step->sweep_consumed = line_start;
    cw_step_load_subs(step);
}

static void read_chunk(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    char key[CW_KEY_SIZE], start[24], end[24];
    int32_t list_week = step->sweep_week - step->meta.sweep_list;
    size_t key_len = cw_key_seen(key, config->key_prefix, part->partition, list_week);
    int start_len = snprintf(start, sizeof start, "%lld", (long long)step->meta.sweep_offset);
    int end_len = snprintf(end, sizeof end, "%lld",
                           (long long)(step->meta.sweep_offset + SWEEP_CHUNK_BYTES - 1));
    const char *argv[4] = {"GETRANGE", key, start, end};
    size_t argvlen[4] = {8, key_len, (size_t)start_len, (size_t)end_len};
    step->replies_pending++;
    if (cw_store_send(part->daemon->store, on_range, step, 4, argv, argvlen) != 0) {
        step->replies_pending--;
        cw_step_fail(step, "Redis not ready");
    }
}

static void sweep_loaded(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    const cw_setup_t *rules = cw_daemon_rules(part->daemon);
    int32_t week = step->sweep_week;
    int32_t eval_date = cw_week_last_day(week);
    int64_t week_end = cw_week_end_ms(week, config->utc_offset_s);
    start_ops(step);
    for (size_t i = 0; i < step->sub_count; i++) {
        step_sub_t *sub = &step->subs[i];
        const cw_week_agg_t *existing = cw_sub_find_week(&sub->state, week);
        /* a subscriber with an event in W is on W's list: evaluated there */
        if (step->meta.sweep_list == 1 && existing != NULL && !existing->no_event)
            continue;
        part->sweep_evaluated++;
        cw_eval_t eval;
        cw_rules_evaluate(&rules->config->rules, &sub->state, week, eval_date, true, &eval);
        cw_week_agg_t none = {.week = week};
        if (!cw_rules_should_publish(existing ? existing : &none, &eval))
            continue;
        cw_week_agg_t *agg = cw_sub_get_week(&sub->state, week);
        if (agg == NULL)
            continue; /* older than every kept week: nothing can hold its state */
        if (existing == NULL)
            agg->no_event = true; /* a silent subscriber: not on W's list */
        cw_rules_mark_published(agg, &eval);
        sub->dirty = true;
        if (cw_step_add_alert(step, sub, &eval, week_end) != 0) {
            cw_step_fail(step, "out of memory");
            return;
        }
        part->sweep_alerts++;
    }
    cw_step_write_subs(step);
    step->meta.sweep_offset += (int64_t)step->sweep_consumed;
    cw_ops_meta_int(&step->ops, "sw", step->meta.sweep_week);
    cw_ops_meta_int(&step->ops, "sl", step->meta.sweep_list);
    cw_ops_meta_int(&step->ops, "so", step->meta.sweep_offset);
    cw_step_commit(step);
}

static void sweep_committed(cw_step_t *step)
{
    cw_part_t *part = step->part;
    cw_step_publish(step);
    if (step->sweep_finishing) {
        char label[CW_WEEK_LABEL_SIZE];
        cw_week_label(step->sweep_week, label);
        part->daemon->metrics.week_closes++;
        cw_log(LOG_INFO, "partition %d: week %s closed: %zu subscriber(s) evaluated, %zu alert(s)",
               part->partition, label, part->sweep_evaluated, part->sweep_alerts);
        part->sweep_evaluated = part->sweep_alerts = 0;
    }
    /* a sweep chunk is a batch committed like any other: counted in both,
     * so the histogram's _count equals cdrwarn_batches_total */
    part->daemon->metrics.batches++;
    cw_histogram_observe(&part->daemon->metrics.batch_latency, cw_mono_s() - step->started_s);
    cw_step_end(step);
}
