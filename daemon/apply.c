/* The apply step: a prefix of the partition's queued records is parsed,
 * applied to the subscribers' states, evaluated (SPEC section 5 (a)), and
 * committed with its alerts and new offsets. The step stops right after the
 * record whose event time closes a week, so the week-close sweep sees exactly
 * the records before it, whatever the batch boundaries. */
#include "part_internal.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "consumer.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "week.h"

static void apply_loaded(cw_step_t *step);
static void apply_committed(cw_step_t *step);
static void add_dead_letters(cw_step_t *step);
static void publish_dead_letters(cw_step_t *step);

/* Parses up to STEP_MAX_RECORDS queued records and names the subscribers
 * they need. */
static int take_records(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    size_t n = part->q_len < STEP_MAX_RECORDS ? part->q_len : STEP_MAX_RECORDS;
    step->records = cw_malloc(n * sizeof *step->records);
    if (step->records == NULL || cw_step_reserve(step, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const cw_record_t *record = part->queue[(part->q_head + i) % part->q_cap];
        step_record_t *r = &step->records[i];
        r->record = record;
        r->sub = -1;
        r->replayed = false;
        r->detail[0] = '\0';
        r->reason = cw_event_parse(cw_record_value(record), record->value_len, config->country_code, &r->event,
                                   r->detail, sizeof r->detail);
        if (r->reason == CW_DLQ_NONE) {
            r->sub = cw_step_sub(step, r->event.msisdn);
            if (r->sub < 0) {
                if (i == 0)
                    return -1;
                break; /* enough subscribers for one step: the rest waits */
            }
        }
        step->record_count = i + 1;
    }
    return 0;
}

void cw_apply_begin(cw_part_t *part)
{
    cw_step_t *step = cw_step_new(part, STEP_APPLY);
    if (step == NULL)
        return;
    step->after_load = apply_loaded;
    step->after_commit = apply_committed;
    if (take_records(step) != 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    cw_step_load_subs(step);
}

static int seen_add(cw_step_t *step, int32_t week, const char *msisdn)
{
    step_seen_t *seen = NULL;
    for (size_t i = 0; i < step->seen_count && seen == NULL; i++)
        if (step->seen[i].week == week)
            seen = &step->seen[i];
    if (seen == NULL) {
        if (step->seen_count == step->seen_cap) {
            size_t cap = step->seen_cap ? step->seen_cap * 2 : 4;
            step_seen_t *grown = cw_realloc(step->seen, cap * sizeof *grown);
            if (grown == NULL)
                return -1;
            step->seen = grown;
            step->seen_cap = cap;
        }
        seen = &step->seen[step->seen_count++];
        *seen = (step_seen_t){.week = week};
    }
    size_t len = strlen(msisdn);
    if (seen->len + len + 1 > seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 1024;
        char *text = cw_realloc(seen->text, cap);
        if (text == NULL)
            return -1;
        seen->text = text;
        seen->cap = cap;
    }
    memcpy(seen->text + seen->len, msisdn, len);
    seen->text[seen->len + len] = '\n';
    seen->len += len + 1;
    return 0;
}

/* Applies one good record; returns -1 when out of memory. */
static int apply_one(cw_step_t *step, step_record_t *r, const cw_config_t *config,
                     const cw_setup_t *rules)
{
    step_sub_t *sub = &step->subs[r->sub];
    const cw_event_t *event = &r->event;
    int32_t week = cw_week_of_ms(event->ts_ms, config->utc_offset_s);
    /* the subscriber's first event in the week puts it on the week's list,
     * which the close of the week after reads too (SPEC section 5 (b)) */
    const cw_week_agg_t *before = cw_sub_find_week(&sub->state, week);
    bool first_event = before == NULL || before->no_event;
    cw_week_agg_t *agg = cw_sub_apply(&sub->state, event, rules->plan, config->utc_offset_s);
    if (agg == NULL) {
        r->reason = CW_DLQ_TOO_OLD;
        snprintf(r->detail, sizeof r->detail,
                 "ts: older than every week kept for the subscriber");
        return 0;
    }
    sub->dirty = true;
    if (first_event && seen_add(step, week, sub->msisdn) != 0)
        return -1;
    part_meta_t *meta = &step->meta;
    if (meta->stream_ms == STREAM_NONE || event->ts_ms > meta->stream_ms)
        meta->stream_ms = event->ts_ms;
    int32_t last_closed =
        cw_week_last_closed(meta->stream_ms, config->late_grace_ms, config->utc_offset_s);
    if (meta->closed_week == WEEK_NONE) /* the partition's first event: no history to close */
        meta->closed_week = last_closed;
    if (week > last_closed) {
        cw_eval_t eval;
        int32_t eval_date = cw_week_local_day(event->ts_ms, config->utc_offset_s);
        cw_rules_evaluate(&rules->config->rules, &sub->state, week, eval_date, false, &eval);
        if (cw_rules_should_publish(agg, &eval)) {
            cw_rules_mark_published(agg, &eval);
            if (cw_step_add_alert(step, sub, &eval, event->ts_ms) != 0)
                return -1;
        }
    }
    /* events for a closed week still count, but are not evaluated */
    return 0;
}

static void apply_loaded(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    const cw_setup_t *rules = cw_daemon_rules(part->daemon);
    int64_t now = cw_wall_ms();
    part_meta_t *meta = &step->meta;
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE];
    cw_key_meta(meta_key, config->key_prefix, part->partition);
    cw_key_outbox(outbox_key, config->key_prefix, part->partition);
    cw_ops_init(&step->ops, meta_key, outbox_key, meta->seq);

    for (size_t i = 0; i < step->record_count; i++) {
        step_record_t *r = &step->records[i];
        step->taken = i + 1;
        int topic = r->record->topic;
        int64_t offset = r->record->offset;
        if (meta->next_offset[topic] >= 0 && offset < meta->next_offset[topic]) {
            r->replayed = true; /* applied before a crash or rebalance */
            continue;
        }
        meta->next_offset[topic] = offset + 1;
        if (r->reason == CW_DLQ_NONE) {
            int32_t stream_week = meta->stream_ms == STREAM_NONE
                                      ? INT32_MIN
                                      : cw_week_of_ms(meta->stream_ms, config->utc_offset_s);
            r->reason = cw_event_check_time(&r->event, now, config->max_future_ms, stream_week,
                                            (int)config->weeks_kept, config->utc_offset_s,
                                            r->detail, sizeof r->detail);
        }
        if (r->reason != CW_DLQ_NONE)
            continue;
        if (apply_one(step, r, config, rules) != 0) {
            cw_step_fail(step, "out of memory");
            return;
        }
        if (meta->closed_week != WEEK_NONE &&
            cw_week_last_closed(meta->stream_ms, config->late_grace_ms, config->utc_offset_s) >
                meta->closed_week)
            break; /* a week closes here: sweep before the next record */
    }

    cw_step_write_subs(step);
    int64_t seen_expire = cw_part_expire_at(part);
    char key[CW_KEY_SIZE];
    for (size_t i = 0; i < step->seen_count; i++) {
        cw_key_seen(key, config->key_prefix, part->partition, step->seen[i].week);
        cw_ops_append(&step->ops, key, step->seen[i].text, step->seen[i].len, seen_expire);
    }
    for (size_t t = 0; t < config->input_topic_count; t++) {
        if (meta->next_offset[t] != part->meta.next_offset[t]) {
            char field[300];
            snprintf(field, sizeof field, "o:%s", config->input_topics[t]);
            cw_ops_meta_int(&step->ops, field, meta->next_offset[t]);
        }
    }
    if (meta->stream_ms != part->meta.stream_ms)
        cw_ops_meta_int(&step->ops, "st", meta->stream_ms);
    if (meta->closed_week != part->meta.closed_week)
        cw_ops_meta_int(&step->ops, "cw", meta->closed_week);
    add_dead_letters(step);
    cw_step_commit(step);
}

/* Bad records go into the outbox with this commit and to the DLQ after it:
 * a crash in between sends them again rather than losing them (SPEC
 * section 8), and no partition waits for Kafka. */
static void dead_letter_of(const step_record_t *r, const cw_config_t *config,
                           cw_dead_letter_t *letter)
{
    *letter = (cw_dead_letter_t){
        .reason = r->reason,
        .detail = r->detail,
        .topic = config->input_topics[r->record->topic],
        .partition = r->record->partition,
        .offset = r->record->offset,
        .key = cw_record_key(r->record),
        .key_len = r->record->key_len,
        .value = cw_record_value(r->record),
        .value_len = r->record->value_len,
    };
}

static void add_dead_letters(cw_step_t *step)
{
    const cw_config_t *config = cw_daemon_config(step->part->daemon);
    for (size_t i = 0; i < step->taken; i++) {
        step_record_t *r = &step->records[i];
        if (r->replayed || r->reason == CW_DLQ_NONE)
            continue;
        cw_dead_letter_t letter;
        dead_letter_of(r, config, &letter);
        cw_outbox_add_dead_letter(&step->ops, &letter);
    }
}

static void publish_dead_letters(cw_step_t *step)
{
    cw_daemon_t *daemon = step->part->daemon;
    for (size_t i = 0; i < step->taken; i++) {
        step_record_t *r = &step->records[i];
        if (r->replayed || r->reason == CW_DLQ_NONE)
            continue;
        cw_dead_letter_t letter;
        dead_letter_of(r, cw_daemon_config(daemon), &letter);
        cw_outbox_publish_dead_letter(daemon, &letter);
    }
}

/* ---- after the commit --------------------------------------------------- */

static void apply_committed(cw_step_t *step)
{
    cw_part_t *part = step->part;
    cw_daemon_t *daemon = part->daemon;
    const cw_config_t *config = cw_daemon_config(daemon);
    cw_metrics_t *metrics = &daemon->metrics;
    for (size_t i = 0; i < step->taken; i++) {
        step_record_t *r = &step->records[i];
        if (r->replayed)
            metrics->records_replayed++;
        else if (r->reason != CW_DLQ_NONE)
            metrics->dlq[r->reason]++;
        else
            metrics->events[r->event.type]++;
    }
    for (size_t t = 0; t < config->input_topic_count; t++)
        if (part->meta.next_offset[t] >= 0)
            cw_consumer_store_offset(daemon->consumer, (int)t, part->partition,
                                     part->meta.next_offset[t]);
    metrics->batches++;
    cw_histogram_observe(&metrics->batch_latency, cw_mono_s() - step->started_s);
    cw_step_publish(step);
    publish_dead_letters(step);
    /* the records are done: off the queue */
    for (size_t i = 0; i < step->taken; i++) {
        cw_free(part->queue[part->q_head]);
        part->q_head = (part->q_head + 1) % part->q_cap;
        part->q_len--;
    }
    cw_daemon_records_done(daemon, (int64_t)step->taken);
    cw_step_end(step);
}
