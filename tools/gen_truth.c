/* cdrwarn-gen's ground truth (--truth): one JSON line per subscriber saying
 * what it was made to do (tier and dates, weekly drift kinds and their
 * first week; with --churn its churn, when, how and why, and when a kept
 * drifter recovered; with --monthly its slow drift and the SPEC section 14
 * items that drift is meant to make true), for tests and the backtest to
 * join with what the daemon made of the traffic. */
#include "gen.h"

#include <inttypes.h>
#include <stdio.h>

#include "gen_churn.h"
#include "gen_monthly.h"
#include "week.h"

static void put_date_or_null(FILE *out, int32_t day)
{
    char text[11];
    if (day == CW_DAY_NONE) {
        fputs("null", out);
        return;
    }
    cw_date_format_ymd(day, text);
    fprintf(out, "\"%s\"", text);
}

static void put_churn(FILE *out, const cw_gen_model_t *model, uint32_t i)
{
    const cw_gen_opts_t *opts = model->opts;
    const cw_gen_sub_t *sub = &model->subs[i];
    int32_t first_week = cw_week_of_day(opts->start_day);
    char week[CW_WEEK_LABEL_SIZE];

    if (sub->drift_end_week != 0) {
        cw_week_label(first_week + sub->drift_end_week, week);
        fprintf(out, ",\"drift_end_week\":\"%s\"", week);
    } else {
        fputs(",\"drift_end_week\":null", out);
    }
    if (sub->churn_kind == 0) {
        fputs(",\"churn\":null", out);
        return;
    }
    cw_week_label(first_week + sub->churn_day / 7, week);
    fputs(",\"churn\":{\"date\":", out);
    put_date_or_null(out, opts->start_day + sub->churn_day);
    fprintf(out, ",\"ts\":%" PRId64 ",\"week\":\"%s\",\"kind\":\"%s\",\"to_operator\":",
            cw_gen_churn_ts(model, i), week,
            cw_gen_churn_kind_names[sub->churn_kind - 1]);
    if (sub->churn_kind == 1)
        fprintf(out, "\"%s\"", cw_gen_operator_names[sub->churn_to]);
    else
        fputs("null", out);
    fputs(",\"why\":\"", out);
    switch ((cw_gen_why_t)sub->churn_why) {
    case CW_GEN_WHY_DRIFT:
        for (int k = 0, n = 0; k < CW_GEN_DRIFT_CNT; k++)
            if (sub->drift & (1u << k))
                fprintf(out, "%s%s", n++ ? "+" : "", cw_gen_drift_names[k]);
        break;
    case CW_GEN_WHY_SLOW:
        fputs("slow_drift", out);
        break;
    default:
        fputs("unwarned", out);
        break;
    }
    fputc('"', out);
    /* weeks from the drift's first week to the churn's */
    if (sub->churn_why == CW_GEN_WHY_DRIFT)
        fprintf(out, ",\"lag_weeks\":%d", sub->churn_day / 7 - sub->drift_week);
    else if (sub->churn_why == CW_GEN_WHY_SLOW)
        fprintf(out, ",\"lag_weeks\":%d",
                (int)(cw_week_of_day(opts->start_day + sub->churn_day) -
                      cw_week_of_day(sub->slow_start)));
    else
        fputs(",\"lag_weeks\":null", out);
    if (sub->recycle_day != 0) {
        fputs(",\"recycled\":{\"date\":", out);
        put_date_or_null(out, opts->start_day + sub->recycle_day);
        fprintf(out, ",\"ts\":%" PRId64 "}}", cw_gen_churn_recycle_ts(model, i));
    } else {
        fputs(",\"recycled\":null}", out);
    }
}

static void put_slow(FILE *out, const cw_gen_sub_t *sub)
{
    if (sub->slow == 0) {
        fputs(",\"slow_drift\":null", out);
        return;
    }
    char from[8], full[8];
    int32_t month = cw_gen_slow_month(sub);
    cw_gen_month_label(month, from);
    cw_gen_month_label(month + 2, full);
    fprintf(out,
            ",\"slow_drift\":{\"from_month\":\"%s\",\"full_month\":\"%s\",\"symptoms\":[",
            from, full);
    for (int k = 0, n = 0; k < CW_GEN_SLOW_CNT; k++)
        if (sub->slow & (1u << k))
            fprintf(out, "%s\"%s\"", n++ ? "," : "", cw_gen_slow_names[k]);
    const char *items[13];
    int points;
    int cnt = cw_gen_slow_items(sub->slow, items, &points);
    fputs("],\"items\":[", out);
    for (int k = 0; k < cnt; k++)
        fprintf(out, "%s\"%s\"", k ? "," : "", items[k]);
    fprintf(out, "],\"points\":%d}", points);
}

int cw_gen_truth_write(const cw_gen_model_t *model, FILE *out)
{
    const cw_gen_opts_t *opts = model->opts;
    int32_t first_week = cw_week_of_day(opts->start_day);
    for (uint32_t i = 0; i < model->sub_cnt; i++) {
        const cw_gen_sub_t *sub = &model->subs[i];
        char subsidy[11] = "", contract[11] = "", week[CW_WEEK_LABEL_SIZE] = "";
        if (sub->subsidy_end != CW_DAY_NONE)
            cw_date_format_ymd(sub->subsidy_end, subsidy);
        if (sub->contract_end != CW_DAY_NONE)
            cw_date_format_ymd(sub->contract_end, contract);
        fprintf(out, "{\"msisdn\":\"%" PRIu64 "\",\"tier\":", sub->msisdn);
        if (sub->tier == CW_GEN_TIER_NONE)
            fputs("null,\"subsidy_end\":null,\"contract_end\":null", out);
        else
            fprintf(out, "\"%s\",\"subsidy_end\":%s%s%s,\"contract_end\":%s%s%s",
                    cw_gen_tier_names[sub->tier], *subsidy ? "\"" : "",
                    *subsidy ? subsidy : "null", *subsidy ? "\"" : "",
                    *contract ? "\"" : "", *contract ? contract : "null",
                    *contract ? "\"" : "");
        fputs(",\"drift\":[", out);
        for (int k = 0, n = 0; k < CW_GEN_DRIFT_CNT; k++)
            if (sub->drift & (1u << k))
                fprintf(out, "%s\"%s\"", n++ ? "," : "", cw_gen_drift_names[k]);
        if (sub->drift) {
            cw_week_label(first_week + sub->drift_week, week);
            fprintf(out, "],\"drift_week\":\"%s\"", week);
        } else {
            fputs("],\"drift_week\":null", out);
        }
        fprintf(out, ",\"billed\":%s", sub->billed ? "true" : "false");
        /* the default lines stay as they were before these models */
        if (opts->churn)
            put_churn(out, model, i);
        if (opts->monthly)
            put_slow(out, sub);
        fputs("}\n", out);
    }
    return ferror(out) ? -1 : 0;
}
