/* The apply step's decisions (see batch.h). */
#include "batch.h"

#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "alloc.h"
#include "month.h"
#include "outcome.h"
#include "week.h"

int cw_batch_take(cw_batch_t *batch, const cw_record_t *const *records, size_t count,
                  const char *country_code, size_t max_bytes)
{
    size_t bytes = 0;
    memset(batch, 0, sizeof *batch);
    size_t n = count < CW_BATCH_MAX_RECORDS ? count : CW_BATCH_MAX_RECORDS;
    batch->items = cw_malloc((n ? n : 1) * sizeof *batch->items);
    if (batch->items == NULL ||
        cw_subset_init(&batch->subs, n < CW_BATCH_MAX_SUBS ? n : CW_BATCH_MAX_SUBS) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const cw_record_t *record = records[i];
        bytes += record->key_len + record->value_len;
        if (i > 0 && bytes > max_bytes)
            break; /* enough bytes for one commit: the rest waits */
        cw_batch_item_t *item = &batch->items[i];
        item->record = record;
        item->sub = -1;
        item->fate = CW_FATE_UNDECIDED;
        item->detail[0] = '\0';
        /* a value cut short was too large: the parser says so from its length */
        item->reason = record->value_bytes > record->value_len
                           ? cw_event_parse(NULL, record->value_bytes, country_code,
                                            &item->event, item->detail, sizeof item->detail)
                           : cw_event_parse(cw_record_value(record), record->value_len,
                                            country_code, &item->event, item->detail,
                                            sizeof item->detail);
        if (item->reason == CW_DLQ_NONE) {
            item->sub = cw_subset_add(&batch->subs, item->event.msisdn);
            if (item->sub < 0)
                break; /* enough subscribers for one step: the rest waits */
        }
        batch->count = i + 1;
    }
    return 0;
}

void cw_batch_free(cw_batch_t *batch)
{
    for (size_t i = 0; i < batch->seen_count; i++)
        cw_free(batch->seen[i].text);
    cw_free(batch->seen);
    cw_free(batch->items);
    cw_subset_free(&batch->subs);
    cw_entries_free(&batch->entries);
    memset(batch, 0, sizeof *batch);
}

int32_t cw_batch_oldest_week(const cw_config_t *config, int64_t stream_ms)
{
    if (stream_ms == CW_STREAM_NONE)
        return CW_WEEK_NONE;
    return cw_week_of_ms(stream_ms, config->utc_offset_s) - (int32_t)(config->weeks_kept - 1);
}

int32_t cw_batch_oldest_month(const cw_config_t *config, int64_t stream_ms)
{
    if (stream_ms == CW_STREAM_NONE)
        return CW_WEEK_NONE;
    return cw_month_of_ms(stream_ms, config->utc_offset_s) - (CW_MONTHS_KEPT - 1);
}

bool cw_batch_close_due(const cw_config_t *config, const cw_meta_t *meta, cw_period_t period)
{
    const cw_meta_close_t *close = &meta->close[period];
    if (close->sweep != CW_WEEK_NONE)
        return true;
    if (close->closed == CW_WEEK_NONE || meta->stream_ms == CW_STREAM_NONE)
        return false;
    return cw_period_last_closed(period, meta->stream_ms, config->late_grace_ms,
                                 config->utc_offset_s) > close->closed;
}

int cw_batch_alert(cw_entries_t *entries, const cw_batch_ctx_t *ctx,
                   const cw_subset_entry_t *sub, const cw_eval_t *eval, int64_t event_time_ms)
{
    const cw_config_t *rules = ctx->setup->config;
    cw_alert_input_t input = {
        .msisdn = sub->msisdn,
        .sub = &sub->state,
        .eval = eval,
        .event_time_ms = event_time_ms,
        .emitted_at_ms = ctx->now_ms,
        .rules_version = rules->rules_version,
        .actions = &rules->actions,
    };
    size_t json_len = 0;
    char *json = NULL;
    char alert_id[CW_ALERT_ID_SIZE] = "";
    if (!ctx->decisions_only) {
        json = cw_alert_json(&input, &json_len);
        if (json == NULL)
            return -1;
        cw_alert_id(sub->msisdn, eval->week, eval->level, eval->triggers, alert_id);
    }
    int rc = cw_entries_add_alert(entries, alert_id, sub->msisdn, json ? json : "", json_len,
                                  (int)eval->level);
    cw_free(json);
    if (rc == 0) {
        entries->items[entries->count - 1].period = eval->week;
        entries->items[entries->count - 1].bits = eval->triggers;
    }
    return rc;
}

/* SPEC section 10: the churn that set the mark publishes what the warning
 * system had said about the subscriber before it. */
static int add_outcome(cw_batch_t *batch, const cw_batch_ctx_t *ctx,
                       const cw_subset_entry_t *sub, const cw_event_t *event)
{
    cw_outcome_input_t input = {
        .msisdn = sub->msisdn,
        .sub = &sub->state,
        .event = event,
        .rules = &ctx->setup->config->rules,
        .utc_offset_s = ctx->config->utc_offset_s,
        .emitted_at_ms = ctx->now_ms,
    };
    cw_outcome_t outcome;
    size_t len = 0;
    char *json = NULL;
    char id[CW_OUTCOME_ID_SIZE] = "";
    if (ctx->decisions_only) {
        cw_outcome_compute(input.rules, input.sub, event->ts_ms, input.utc_offset_s, &outcome);
    } else {
        json = cw_outcome_json(&input, &len, &outcome);
        if (json == NULL)
            return -1;
        cw_outcome_id(sub->msisdn, outcome.week, event->churn_kind, id);
    }
    int rc = cw_entries_add_outcome(&batch->entries, id, sub->msisdn, json ? json : "", len,
                                    (int)outcome.caught_level, (int)event->churn_kind,
                                    outcome.lead_weeks);
    cw_free(json);
    if (rc == 0) {
        cw_entry_t *entry = &batch->entries.items[batch->entries.count - 1];
        entry->period = outcome.week;
        entry->watched = outcome.watched;
    }
    return rc;
}

static int seen_add(cw_batch_t *batch, cw_period_t period, int32_t index, const char *msisdn)
{
    cw_seen_list_t *seen = NULL;
    for (size_t i = 0; i < batch->seen_count && seen == NULL; i++)
        if (batch->seen[i].period == period && batch->seen[i].index == index)
            seen = &batch->seen[i];
    if (seen == NULL) {
        cw_seen_list_t *grown = cw_grow(batch->seen, &batch->seen_cap,
                                        batch->seen_count + 1, sizeof *grown, 4);
        if (grown == NULL)
            return -1;
        batch->seen = grown;
        seen = &batch->seen[batch->seen_count++];
        *seen = (cw_seen_list_t){.period = period, .index = index};
    }
    size_t len = strlen(msisdn);
    char *text = cw_grow(seen->text, &seen->cap, seen->len + len + 1, 1, 1024);
    if (text == NULL)
        return -1;
    seen->text = text;
    memcpy(seen->text + seen->len, msisdn, len);
    seen->text[seen->len + len] = '\n';
    seen->len += len + 1;
    return 0;
}

/* Applies one good record; returns -1 when out of memory. */
static int apply_one(cw_batch_t *batch, cw_batch_item_t *item, const cw_batch_ctx_t *ctx)
{
    const cw_config_t *config = ctx->config;
    cw_subset_entry_t *sub = &batch->subs.subs[item->sub];
    const cw_event_t *event = &item->event;
    int32_t week = cw_week_of_ms(event->ts_ms, config->utc_offset_s);
    /* the subscriber's first event in the week puts it on the week's list,
     * which the close of the week after reads too (SPEC section 5 (b)) */
    const cw_week_agg_t *before = cw_sub_find_week(&sub->state, week);
    bool first_event = before == NULL || before->no_event;
    /* likewise the month's list, which the month close reads (SPEC 14) */
    int32_t month = cw_month_of_ms(event->ts_ms, config->utc_offset_s);
    bool first_in_month = cw_sub_find_month(&sub->state, month) == NULL;
    bool was_churned = cw_sub_churned(&sub->state);
    cw_week_agg_t *agg =
        cw_sub_apply(&sub->state, event, ctx->setup->plan, config->utc_offset_s);
    if (agg == NULL) {
        item->fate = CW_FATE_DEAD;
        item->reason = CW_DLQ_TOO_OLD;
        snprintf(item->detail, sizeof item->detail,
                 "ts: older than every week kept for the subscriber");
        return 0;
    }
    item->fate = CW_FATE_APPLIED;
    sub->dirty = true;
    if (first_event && seen_add(batch, CW_PERIOD_WEEK, week, sub->msisdn) != 0)
        return -1;
    if (first_in_month && cw_sub_find_month(&sub->state, month) != NULL &&
        seen_add(batch, CW_PERIOD_MONTH, month, sub->msisdn) != 0)
        return -1;
    if (!was_churned && cw_sub_churned(&sub->state) && add_outcome(batch, ctx, sub, event) != 0)
        return -1;
    cw_meta_t *meta = &batch->meta;
    if (meta->stream_ms == CW_STREAM_NONE || event->ts_ms > meta->stream_ms)
        meta->stream_ms = event->ts_ms;
    for (int p = 0; p < CW_PERIOD__COUNT; p++)
        if (meta->close[p].closed == CW_WEEK_NONE) /* the first event: no history to close */
            meta->close[p].closed = cw_period_last_closed(p, meta->stream_ms,
                                                          config->late_grace_ms,
                                                          config->utc_offset_s);
    int32_t last_closed =
        cw_week_last_closed(meta->stream_ms, config->late_grace_ms, config->utc_offset_s);
    if (week <= last_closed)
        return 0; /* events for a closed week still count, but are not evaluated */
    cw_eval_t eval;
    int32_t eval_date = cw_week_local_day(event->ts_ms, config->utc_offset_s);
    cw_rules_evaluate(&ctx->setup->config->rules, &sub->state, week, eval_date, false, &eval);
    if (!cw_rules_should_publish(agg, &eval))
        return 0;
    cw_rules_mark_published(agg, &eval);
    return cw_batch_alert(&batch->entries, ctx, sub, &eval, event->ts_ms);
}

static int add_dead_letter(cw_batch_t *batch, const cw_batch_item_t *item,
                           const cw_config_t *config)
{
    const cw_record_t *record = item->record;
    cw_dead_letter_t letter = {
        .reason = item->reason,
        .detail = item->detail,
        .topic = config->input_topics[record->topic],
        .partition = record->partition,
        .offset = record->offset,
        .key = cw_record_key(record),
        .key_len = record->key_len,
        .value = cw_record_value(record),
        .value_len = record->value_len,
        .value_bytes = record->value_bytes,
        .value_sha256 = cw_record_sha256(record),
    };
    return cw_entries_add_dead_letter(&batch->entries, &letter);
}

int cw_batch_apply(cw_batch_t *batch, const cw_batch_ctx_t *ctx, const cw_meta_t *meta)
{
    const cw_config_t *config = ctx->config;
    batch->meta = *meta;
    cw_meta_t *next = &batch->meta;
    for (size_t i = 0; i < batch->count; i++) {
        cw_batch_item_t *item = &batch->items[i];
        batch->taken = i + 1;
        int topic = item->record->topic;
        int64_t offset = item->record->offset;
        if (next->next_offset[topic] >= 0 && offset < next->next_offset[topic]) {
            item->fate = CW_FATE_REPLAYED; /* applied before a crash or rebalance */
            continue;
        }
        next->next_offset[topic] = offset + 1;
        if (item->reason == CW_DLQ_NONE) {
            int32_t stream_week = next->stream_ms == CW_STREAM_NONE
                                      ? INT32_MIN
                                      : cw_week_of_ms(next->stream_ms, config->utc_offset_s);
            item->reason = cw_event_check_time(&item->event, ctx->now_ms, config->max_future_ms,
                                               stream_week, (int)config->weeks_kept,
                                               config->utc_offset_s, item->detail,
                                               sizeof item->detail);
        }
        if (item->reason == CW_DLQ_NONE && apply_one(batch, item, ctx) != 0)
            return -1;
        if (item->reason != CW_DLQ_NONE) {
            /* bad records go to the outbox with this commit and to the DLQ after
             * it: a crash in between sends them again rather than losing them
             * (SPEC section 8), and no partition waits for Kafka */
            item->fate = CW_FATE_DEAD;
            if (add_dead_letter(batch, item, config) != 0)
                return -1;
            continue;
        }
        if (cw_batch_close_due(config, next, CW_PERIOD_WEEK) ||
            cw_batch_close_due(config, next, CW_PERIOD_MONTH))
            break; /* a week or a month closes here: its close before the next record */
    }
    cw_subset_drop_before(&batch->subs, cw_batch_oldest_week(config, next->stream_ms),
                          cw_batch_oldest_month(config, next->stream_ms));
    /* A state is stored without an expiry while a week close will still read
     * a seen list it is on: the lists of the last closed week and after. One
     * written for late events only is on none of them, so nothing would ever
     * visit it again: it expires like a silent subscriber's. */
    int32_t closed = next->close[CW_PERIOD_WEEK].closed;
    for (size_t i = 0; i < batch->subs.count; i++) {
        cw_subset_entry_t *sub = &batch->subs.subs[i];
        sub->expire = sub->dirty && closed != CW_WEEK_NONE &&
                      !cw_sub_active_since(&sub->state, closed);
    }
    return 0;
}
