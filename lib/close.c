/* The week close's decisions (see close.h). */
#include "close.h"

#include <string.h>

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
    cw_subset_drop_before(subs, cw_batch_oldest_week(ctx->config, stream_ms));
    return 0;
}
