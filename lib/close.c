/* The week close's decisions (see close.h). */
#include "close.h"

#include <string.h>

#include "alloc.h"

#include "scorerec.h"
#include "week.h"

long cw_close_take(cw_subset_t *subs, const char *text, size_t len)
{
    /* at most one subscriber per 4 bytes (3 digits and a newline), and no
     * more than a step's worth */
    size_t most = len / (CW_NUMBER_MIN + 1) + 1;
    if (cw_subset_init(subs, most < CW_BATCH_MAX_SUBS ? most : CW_BATCH_MAX_SUBS) != 0)
        return -1;
    size_t line_start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        char msisdn[CW_NUMBER_SIZE];
        size_t line_len = i - line_start;
        if (line_len >= CW_NUMBER_MIN && line_len <= CW_NUMBER_MAX) {
            memcpy(msisdn, text + line_start, line_len);
            msisdn[line_len] = '\0';
            if (cw_subset_add(subs, msisdn) < 0)
                break; /* enough for one chunk */
        }
        line_start = i + 1;
    }
    if (line_start == 0) /* no whole line in a full chunk: not a list we wrote */
        line_start = len;
    return (long)line_start;
}

int cw_close_evaluate(cw_subset_t *subs, int list, int32_t week, int64_t stream_ms,
                      const cw_batch_ctx_t *ctx, cw_entries_t *entries, size_t *evaluated,
                      size_t *alerts)
{
    int32_t eval_date = cw_week_last_day(week);
    int64_t week_end = cw_week_end_ms(week, ctx->config->utc_offset_s);
    for (size_t i = 0; i < subs->count; i++) {
        cw_subset_entry_t *sub = &subs->subs[i];
        const cw_week_agg_t *existing = cw_sub_find_week(&sub->state, week);
        /* a subscriber with an event in W is on W's list: evaluated there */
        if (list == 1 && existing != NULL && !existing->no_event)
            continue;
        /* silent in W: no later close visits it unless it has events again,
         * which store it anew without an expiry */
        sub->expire = list == 1;
        (*evaluated)++;
        cw_eval_t eval;
        cw_rules_evaluate(&ctx->setup->config->rules, &sub->state, week, eval_date, true, &eval);
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
        if (cw_batch_alert(entries, ctx, sub, &eval, week_end) != 0)
            return -1;
        (*alerts)++;
    }
    cw_subset_drop_before(subs, cw_batch_oldest_week(ctx->config, stream_ms),
                          cw_batch_oldest_month(ctx->config, stream_ms));
    return 0;
}

int cw_close_score_month(cw_subset_t *subs, int list, int32_t month, const cw_batch_ctx_t *ctx,
                         cw_entries_t *entries, size_t *scored, size_t *records,
                         uint64_t *score_counts, size_t score_cells)
{
    const cw_config_t *rules = ctx->setup->config;
    for (size_t i = 0; i < subs->count; i++) {
        const cw_subset_entry_t *sub = &subs->subs[i];
        /* a subscriber with an event in M is on M's list: scored there */
        if (list == 1 && cw_sub_find_month(&sub->state, month) != NULL)
            continue;
        cw_score_t score;
        cw_score_evaluate(&rules->score, &rules->rules, &sub->state, month, &score);
        if (!score.eligible)
            continue;
        (*scored)++;
        if (score_counts != NULL && score_cells > 0)
            score_counts[score.score < (int64_t)score_cells ? (size_t)score.score
                                                             : score_cells - 1]++;
        if (!cw_score_should_publish(&score))
            continue;
        cw_scorerec_input_t input = {sub->msisdn, &score, ctx->now_ms, rules->rules_version};
        size_t len = 0;
        char *json = NULL;
        char id[CW_SCORE_ID_SIZE] = "";
        if (!ctx->decisions_only) {
            json = cw_scorerec_json(&input, &len);
            if (json == NULL)
                return -1;
            cw_scorerec_id(sub->msisdn, month, id);
        }
        int rc = cw_entries_add_score(entries, id, sub->msisdn, json ? json : "", len,
                                      score.potential_churner, score.value_churn);
        cw_free(json);
        if (rc != 0)
            return -1;
        entries->items[entries->count - 1].period = month;
        entries->items[entries->count - 1].bits = score.items;
        (*records)++;
    }
    return 0;
}
