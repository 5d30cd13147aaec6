/* One backtest run: a configuration (with its --set overrides) loaded as
 * the daemon loads it, the records replayed through lib/replay.c (the
 * daemon's own steps and closes), what the run publishes counted by
 * lib/precision.c and, with --emit, written out as the topics would carry
 * it (see backtest.h). */
#include "backtest.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"

#define EMITTED_AT ",\"emitted_at\":"

struct bt_run {
    cw_setup_t *setup;
    cw_batch_ctx_t ctx;
    cw_replay_t *replay;
    cw_precision_t *precision;
    cw_precision_model_t model;
    FILE *emit;
    char *line; /* one emitted line */
    size_t line_cap;
    int emit_errno; /* the first write that failed; 0: none */
    bool out_of_memory;
};

size_t bt_emit_json(const cw_entry_t *entry, char *out, size_t cap)
{
    const char *space = memchr(entry->value, ' ', entry->value_len);
    if (space == NULL)
        return 0;
    const char *json = space + 1;
    size_t len = entry->value_len - (size_t)(json - entry->value);
    /* the JSON is the lib's own, compact: the member is ',"emitted_at":<digits>'
     * (an unescaped quote before ':' cannot occur inside a string value) */
    const char *member = memmem(json, len, EMITTED_AT, strlen(EMITTED_AT));
    size_t before = member != NULL ? (size_t)(member - json) : len;
    size_t after = before;
    if (member != NULL) {
        after += strlen(EMITTED_AT);
        while (after < len &&
               (json[after] == '-' || (json[after] >= '0' && json[after] <= '9')))
            after++;
    }
    size_t total = before + (len - after);
    if (total + 1 > cap)
        return 0;
    memcpy(out, json, before);
    memcpy(out + before, json + after, len - after);
    out[total] = '\0';
    return total;
}

static bool emitted(const bt_run_t *run, cw_entry_kind_t kind)
{
    return kind == CW_ENTRY_ALERT || kind == CW_ENTRY_OUTCOME ||
           (kind == CW_ENTRY_SCORE && run->model == CW_PRECISION_MONTHLY);
}

static void emit(bt_run_t *run, const cw_entry_t *entry)
{
    if (run->line_cap < entry->value_len + 2) {
        size_t cap = entry->value_len + 2 > 4096 ? entry->value_len + 2 : 4096;
        char *line = cw_realloc(run->line, cap);
        if (line == NULL) {
            run->out_of_memory = true;
            return;
        }
        run->line = line;
        run->line_cap = cap;
    }
    size_t len = bt_emit_json(entry, run->line, run->line_cap - 1);
    if (len == 0)
        return; /* every published entry has its JSON */
    run->line[len++] = '\n';
    if (fwrite(run->line, 1, len, run->emit) != len && run->emit_errno == 0)
        run->emit_errno = errno != 0 ? errno : EIO;
}

static int on_entry(const cw_entry_t *entry, void *arg)
{
    bt_run_t *run = arg;
    if (cw_precision_entry(run->precision, entry) != 0) {
        run->out_of_memory = true;
        return -1;
    }
    if (run->emit != NULL && emitted(run, entry->kind))
        emit(run, entry);
    return run->out_of_memory || run->emit_errno != 0 ? -1 : 0;
}

bt_run_t *bt_run_new(const char *config_path, const char *const *sets, size_t set_count,
                     cw_precision_model_t model, int64_t now_ms, FILE *emit_to,
                     cw_errlist_t *errs)
{
    bt_run_t *run = cw_calloc(1, sizeof *run);
    if (run == NULL)
        goto oom;
    int rc = cw_setup_load_with(config_path, sets, set_count, &run->setup, errs);
    if (rc != 0) {
        if (rc < 0)
            goto oom;
        bt_run_free(run);
        return NULL;
    }
    run->model = model;
    run->emit = emit_to;
    run->ctx = (cw_batch_ctx_t){run->setup->config, run->setup, now_ms, emit_to == NULL};
    run->replay = cw_replay_new(&run->ctx, on_entry, run);
    run->precision =
        cw_precision_new(model, (int32_t)run->setup->config->rules.outcome_horizon_weeks);
    if (run->replay == NULL || run->precision == NULL)
        goto oom;
    return run;
oom:
    cw_errlist_add(errs, "out of memory");
    bt_run_free(run);
    return NULL;
}

const cw_config_t *bt_run_config(const bt_run_t *run)
{
    return run->setup->config;
}

const cw_precision_t *bt_run_precision(const bt_run_t *run)
{
    return run->precision;
}

int bt_run_feed(bt_run_t *run, const cw_record_t *const *records, size_t count, char *err,
                size_t err_size)
{
    if (cw_replay_records(run->replay, records, count) == 0)
        return 0;
    if (run->emit_errno != 0)
        snprintf(err, err_size, "--emit: %s", strerror(run->emit_errno));
    else
        snprintf(err, err_size, "out of memory");
    return -1;
}

int bt_run_report(const bt_run_t *run, bt_report_t *out)
{
    const cw_replay_counts_t *counts = cw_replay_counts(run->replay);
    memset(out, 0, sizeof *out);
    out->model = run->model;
    out->horizon = run->setup->config->rules.outcome_horizon_weeks;
    out->events = counts->records;
    memcpy(out->dead, counts->dead, sizeof out->dead);
    memcpy(out->alerts, counts->alerts, sizeof out->alerts);
    out->records = counts->entries[CW_ENTRY_SCORE];
    out->scored = counts->scored;
    out->last_week = counts->last_closed[CW_PERIOD_WEEK];
    out->last_month = counts->last_closed[CW_PERIOD_MONTH];
    out->subscribers = cw_replay_subscribers(run->replay);
    out->state_bytes = cw_replay_state_bytes(run->replay);
    return cw_precision_report(run->precision, out->last_week, &out->precision);
}

void bt_run_release(bt_run_t *run)
{
    cw_replay_free(run->replay);
    run->replay = NULL;
}

void bt_run_free(bt_run_t *run)
{
    if (run == NULL)
        return;
    cw_replay_free(run->replay);
    cw_precision_free(run->precision);
    cw_setup_free(run->setup);
    cw_free(run->line);
    cw_free(run);
}
