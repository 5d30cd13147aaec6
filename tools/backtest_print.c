/* cdrwarn-backtest's report as JSON (SPEC section 11's object; the monthly
 * model's own keys) and as tables a person reads, for one run, a compared
 * pair of runs and a sweep (see backtest.h). */
#include "backtest.h"

#include <inttypes.h>
#include <string.h>

#include "alloc.h"
#include "jsonw.h"
#include "mask.h"
#include "month.h"
#include "number.h"
#include "score.h"
#include "week.h"

#define COMPARE_LISTED 100 /* pairs listed per side in the tables */

/* ---- names ------------------------------------------------------------------ */

size_t bt_class_count(cw_precision_model_t model)
{
    return model == CW_PRECISION_WEEKLY ? 3 : 2;
}

int bt_class_index(cw_precision_model_t model, size_t i)
{
    static const int weekly[] = {CW_LEVEL_RED, CW_LEVEL_YELLOW, CW_LEVEL_BLUE};
    static const int monthly[] = {CW_PRECISION_POTENTIAL, CW_PRECISION_VALUE_CHURN};
    return model == CW_PRECISION_WEEKLY ? weekly[i] : monthly[i];
}

const char *bt_class_name(cw_precision_model_t model, int index)
{
    if (index == 0)
        return "all";
    if (model == CW_PRECISION_WEEKLY)
        return cw_level_name((cw_level_t)index);
    return index == CW_PRECISION_POTENTIAL ? "potential_churner" : "value_churn";
}

size_t bt_bit_count(cw_precision_model_t model)
{
    return model == CW_PRECISION_WEEKLY ? CW_TRIG__COUNT : CW_ITEM__COUNT;
}

const char *bt_bit_name(cw_precision_model_t model, int bit)
{
    return model == CW_PRECISION_WEEKLY ? cw_trigger_name((cw_trigger_t)bit)
                                        : cw_score_item_name((cw_score_item_t)bit);
}

static void ratio(uint64_t num, uint64_t den, char out[CW_PRECISION_RATIO_SIZE])
{
    cw_precision_ratio_text(num, den, out);
}

/* A ratio for a table: three decimals, "-" when undefined. */
static void ratio_cell(uint64_t num, uint64_t den, char out[CW_PRECISION_RATIO_SIZE])
{
    int64_t t = cw_precision_ratio(num, den);
    if (t < 0)
        snprintf(out, CW_PRECISION_RATIO_SIZE, "-");
    else
        snprintf(out, CW_PRECISION_RATIO_SIZE, "%" PRId64 ".%03" PRId64, t / 1000,
                 t % 1000);
}

static uint64_t dead_total(const bt_report_t *report)
{
    uint64_t total = 0;
    for (int r = 1; r < CW_DLQ__COUNT; r++)
        total += report->dead[r];
    return total;
}

/* ---- JSON ---------------------------------------------------------------------- */

/* {"red": 1, "yellow": 2, "blue": 3[, "all": 6]} from a per-class count. */
static void json_classes(FILE *out, const bt_report_t *report, const uint64_t *by_class,
                         bool all)
{
    fputc('{', out);
    for (size_t i = 0; i < bt_class_count(report->model); i++) {
        int c = bt_class_index(report->model, i);
        fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", bt_class_name(report->model, c),
                by_class[c]);
    }
    if (all)
        fprintf(out, ", \"all\": %" PRIu64, by_class[0]);
    fputc('}', out);
}

static void json_members(FILE *out, const bt_report_t *report)
{
    const cw_precision_report_t *p = &report->precision;
    cw_precision_model_t model = report->model;
    char text[CW_PRECISION_RATIO_SIZE];
    uint64_t pairs[CW_PRECISION_CLASSES], mature[CW_PRECISION_CLASSES],
        hits[CW_PRECISION_CLASSES];
    for (int c = 0; c < CW_PRECISION_CLASSES; c++) {
        pairs[c] = p->classes[c].pairs;
        mature[c] = p->classes[c].mature;
        hits[c] = p->classes[c].hits;
    }
    fprintf(out, "\"events\": %" PRIu64 ", \"dead_letters\": {", report->events);
    bool first = true;
    for (int r = 1; r < CW_DLQ__COUNT; r++) {
        if (report->dead[r] == 0)
            continue;
        fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ",
                cw_dlq_reason_name((cw_dlq_reason_t)r), report->dead[r]);
        first = false;
    }
    fputs("}, ", out);
    if (model == CW_PRECISION_WEEKLY) {
        fputs("\"alerts\": ", out);
        json_classes(out, report, report->alerts, false);
        fputs(", \"pairs\": ", out);
        json_classes(out, report, pairs, false);
    } else {
        fputs("\"records\": ", out);
        json_classes(out, report, pairs, true);
        fprintf(out, ", \"scored\": %" PRIu64, report->scored);
    }
    fputs(", \"mature\": ", out);
    json_classes(out, report, mature, true);
    fputs(", \"hits\": ", out);
    json_classes(out, report, hits, true);
    fputs(", \"precision\": {", out);
    for (size_t i = 0; i <= bt_class_count(model); i++) {
        int c = i < bt_class_count(model) ? bt_class_index(model, i) : 0;
        ratio(hits[c], mature[c], text);
        fprintf(out, "%s\"%s\": %s", i ? ", " : "", bt_class_name(model, c), text);
    }
    fprintf(out, "}, \"%s\": {", model == CW_PRECISION_WEEKLY ? "by_trigger" : "by_item");
    for (size_t b = 0; b < bt_bit_count(model); b++) {
        const cw_precision_cell_t *cell = &p->bits[b];
        ratio(cell->hits, cell->mature, text);
        fprintf(out,
                "%s\"%s\": {\"mature\": %" PRIu64 ", \"hits\": %" PRIu64
                ", \"precision\": %s}",
                b ? ", " : "", bt_bit_name(model, (int)b), cell->mature, cell->hits,
                text);
    }
    ratio(p->caught, p->churners, text);
    fprintf(out,
            "}, \"churners\": %" PRIu64 ", \"caught\": %" PRIu64 ", \"recall\": %s, "
            "\"lead_weeks\": {",
            p->churners, p->caught, text);
    first = true;
    for (int w = 0; w < CW_WEEKS_MAX; w++) {
        if (p->lead[w] == 0)
            continue;
        fprintf(out, "%s\"%d\": %" PRIu64, first ? "" : ", ", w, p->lead[w]);
        first = false;
    }
    fputc('}', out);
}

void bt_print_json(FILE *out, const bt_report_t *report)
{
    fputc('{', out);
    json_members(out, report);
    fputs("}\n", out);
}

void bt_print_sweep_json(FILE *out, const bt_sweep_t *sweep)
{
    fputs("[\n", out);
    for (size_t i = 0; i < sweep->count; i++) {
        fprintf(out, "{\"value\": %" PRId64 ", ", sweep->values[i]);
        json_members(out, &sweep->reports[i]);
        fprintf(out, "}%s\n", i + 1 < sweep->count ? "," : "");
    }
    fputs("]\n", out);
}

/* ---- tables ------------------------------------------------------------------ */

static void period_label(cw_period_t period, int32_t index,
                         char out[CW_PERIOD_LABEL_SIZE])
{
    if (index == CW_WEEK_NONE)
        snprintf(out, CW_PERIOD_LABEL_SIZE, "none");
    else
        cw_period_label(period, index, out);
}

void bt_print_tables(FILE *out, const bt_report_t *report)
{
    const cw_precision_report_t *p = &report->precision;
    cw_precision_model_t model = report->model;
    bool weekly = model == CW_PRECISION_WEEKLY;
    char a[CW_PERIOD_LABEL_SIZE], b[CW_PERIOD_LABEL_SIZE], r[CW_PRECISION_RATIO_SIZE];

    fprintf(out, "events        %" PRIu64 " (%" PRIu64 " subscribers)\n", report->events,
            report->subscribers);
    fprintf(out, "dead letters  %" PRIu64, dead_total(report));
    const char *sep = " (";
    for (int reason = 1; reason < CW_DLQ__COUNT; reason++) {
        if (report->dead[reason] == 0)
            continue;
        fprintf(out, "%s%s %" PRIu64, sep, cw_dlq_reason_name((cw_dlq_reason_t)reason),
                report->dead[reason]);
        sep = ", ";
    }
    fputs(*sep == ',' ? ")\n" : "\n", out);
    period_label(CW_PERIOD_WEEK, report->last_week, a);
    period_label(CW_PERIOD_WEEK, p->mature_until, b);
    fprintf(out, "closed        weeks up to %s", a);
    if (!weekly) {
        period_label(CW_PERIOD_MONTH, report->last_month, r);
        fprintf(out, ", months up to %s", r);
    }
    fprintf(out, "\nmature        %s up to %s (outcome_horizon_weeks %" PRId64 ")\n\n",
            weekly ? "weeks" : "records judged from weeks", b, report->horizon);

    if (weekly)
        fprintf(out, "%-18s %9s %9s %9s %9s %9s\n", "level", "alerts", "pairs", "mature",
                "hits", "precision");
    else
        fprintf(out, "%-18s %9s %9s %9s %9s\n", "record", "records", "mature", "hits",
                "precision");
    for (size_t i = 0; i <= bt_class_count(model); i++) {
        int c = i < bt_class_count(model) ? bt_class_index(model, i) : 0;
        const cw_precision_cell_t *cell = &p->classes[c];
        ratio_cell(cell->hits, cell->mature, r);
        if (weekly) {
            uint64_t alerts =
                c == 0 ? report->alerts[1] + report->alerts[2] + report->alerts[3]
                       : report->alerts[c];
            fprintf(out,
                    "%-18s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9s\n",
                    bt_class_name(model, c), alerts, cell->pairs, cell->mature,
                    cell->hits, r);
        } else {
            fprintf(out, "%-18s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9s\n",
                    bt_class_name(model, c), cell->pairs, cell->mature, cell->hits, r);
        }
    }
    if (!weekly)
        fprintf(out, "(%" PRIu64 " subscriber-months scored)\n", report->scored);
    fprintf(out, "\n%-18s %9s %9s %9s %9s\n", weekly ? "trigger" : "item",
            weekly ? "pairs" : "records", "mature", "hits", "precision");
    for (size_t bit = 0; bit < bt_bit_count(model); bit++) {
        const cw_precision_cell_t *cell = &p->bits[bit];
        ratio_cell(cell->hits, cell->mature, r);
        fprintf(out, "%-18s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9s\n",
                bt_bit_name(model, (int)bit), cell->pairs, cell->mature, cell->hits, r);
    }
    ratio_cell(p->caught, p->churners, r);
    fprintf(out, "\nchurners %" PRIu64 ", caught %" PRIu64 ", recall %s\n", p->churners,
            p->caught, r);
    fputs("lead weeks", out);
    bool any = false;
    for (int w = 0; w < CW_WEEKS_MAX; w++) {
        if (p->lead[w] == 0)
            continue;
        fprintf(out, "  %d: %" PRIu64, w, p->lead[w]);
        any = true;
    }
    fputs(any ? "\n" : "  none\n", out);
}

void bt_print_sweep_tables(FILE *out, const bt_sweep_t *sweep)
{
    if (sweep->count == 0)
        return;
    bool weekly = sweep->reports[0].model == CW_PRECISION_WEEKLY;
    const char *key = strchr(sweep->key, '.') ? strchr(sweep->key, '.') + 1 : sweep->key;
    fprintf(out, "%-24s %9s %9s %9s %9s %9s %9s %9s\n", key, weekly ? "pairs" : "records",
            "mature", "hits", "precision", "churners", "caught", "recall");
    for (size_t i = 0; i < sweep->count; i++) {
        const cw_precision_report_t *p = &sweep->reports[i].precision;
        char prec[CW_PRECISION_RATIO_SIZE], rec[CW_PRECISION_RATIO_SIZE];
        ratio_cell(p->classes[0].hits, p->classes[0].mature, prec);
        ratio_cell(p->caught, p->churners, rec);
        fprintf(out,
                "%-24" PRId64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9s %9" PRIu64
                " %9" PRIu64 " %9s\n",
                sweep->values[i], p->classes[0].pairs, p->classes[0].mature,
                p->classes[0].hits, prec, p->churners, p->caught, rec);
    }
}

/* ---- compare ------------------------------------------------------------------- */

/* What two runs published differently: the pairs only one side has, and
 * those both have with another level or other triggers (records: kinds or
 * items). Arrays owned. */
typedef struct diff {
    cw_precision_pair_t *only[2];
    size_t only_count[2];
    cw_precision_pair_t *changed[2]; /* side by side: changed[0][i] is changed[1][i] */
    size_t changed_count;
} diff_t;

static void diff_free(diff_t *diff)
{
    for (int side = 0; side < 2; side++) {
        cw_free(diff->only[side]);
        cw_free(diff->changed[side]);
    }
}

static int diff_make(const bt_compare_t *compare, diff_t *diff)
{
    memset(diff, 0, sizeof *diff);
    size_t n[2];
    cw_precision_pair_t *all[2];
    for (int side = 0; side < 2;
         side++) /* NULL: none, or out of memory (told apart below) */
        all[side] = cw_precision_pairs(compare->precisions[side], &n[side]);
    for (int side = 0; side < 2; side++) {
        diff->only[side] = cw_malloc((n[side] ? n[side] : 1) * sizeof *diff->only[side]);
        diff->changed[side] = cw_malloc((n[0] ? n[0] : 1) * sizeof *diff->changed[side]);
    }
    bool oom = diff->only[0] == NULL || diff->only[1] == NULL ||
               diff->changed[0] == NULL || diff->changed[1] == NULL ||
               (all[0] == NULL && cw_precision_pairs_count(compare->precisions[0]) > 0) ||
               (all[1] == NULL && cw_precision_pairs_count(compare->precisions[1]) > 0);
    for (int side = 0; side < 2 && !oom; side++) {
        for (size_t i = 0; i < n[side]; i++) {
            const cw_precision_pair_t *pair = &all[side][i];
            const cw_precision_pair_t *other =
                cw_precision_find(compare->precisions[!side], pair->msisdn, pair->period);
            if (other == NULL) {
                diff->only[side][diff->only_count[side]++] = *pair;
            } else if (side == 0 &&
                       (other->level != pair->level || other->bits != pair->bits)) {
                diff->changed[0][diff->changed_count] = *pair;
                diff->changed[1][diff->changed_count++] = *other;
            }
        }
    }
    cw_free(all[0]);
    cw_free(all[1]);
    if (oom)
        diff_free(diff);
    return oom ? -1 : 0;
}

static void number_text(const bt_compare_t *compare, uint64_t packed,
                        char out[CW_MASK_SIZE])
{
    char number[CW_NUMBER_SIZE];
    cw_number_unpack(packed, number);
    if (compare->full_numbers)
        snprintf(out, CW_MASK_SIZE, "%s", number);
    else
        cw_mask_msisdn(number, out);
}

/* "level": ..., "triggers": [...] (records: their kinds and items). */
static void json_pair_detail(FILE *out, cw_precision_model_t model,
                             const cw_precision_pair_t *pair)
{
    if (model == CW_PRECISION_WEEKLY)
        fprintf(out, "\"level\": \"%s\", \"triggers\": [",
                cw_level_name((cw_level_t)pair->level));
    else
        fprintf(out, "\"potential_churner\": %s, \"value_churn\": %s, \"items\": [",
                pair->level & CW_PRECISION_POTENTIAL ? "true" : "false",
                pair->level & CW_PRECISION_VALUE_CHURN ? "true" : "false");
    bool first = true;
    for (size_t b = 0; b < bt_bit_count(model); b++) {
        if (!(pair->bits & (1u << b)))
            continue;
        fprintf(out, "%s\"%s\"", first ? "" : ", ", bt_bit_name(model, (int)b));
        first = false;
    }
    fputc(']', out);
}

/* {"msisdn": ..., "week": ... (or "month"), then the detail of one side or
 * of both ("a" and "b"). */
static void json_pair(FILE *out, const bt_compare_t *compare, cw_precision_model_t model,
                      const cw_precision_pair_t *pair, const cw_precision_pair_t *other)
{
    char number[CW_MASK_SIZE], label[CW_PERIOD_LABEL_SIZE];
    number_text(compare, pair->msisdn, number);
    bool weekly = model == CW_PRECISION_WEEKLY;
    cw_period_label(weekly ? CW_PERIOD_WEEK : CW_PERIOD_MONTH, pair->period, label);
    fprintf(out, "{\"msisdn\": \"%s\", \"%s\": \"%s\", ", number,
            weekly ? "week" : "month", label);
    if (other == NULL) {
        json_pair_detail(out, model, pair);
    } else {
        fputs("\"a\": {", out);
        json_pair_detail(out, model, pair);
        fputs("}, \"b\": {", out);
        json_pair_detail(out, model, other);
        fputc('}', out);
    }
    fputc('}', out);
}

/* A pair's level (or kinds) and triggers (or items) for a table. */
static void text_pair_detail(FILE *out, cw_precision_model_t model,
                             const cw_precision_pair_t *pair)
{
    if (model == CW_PRECISION_WEEKLY)
        fprintf(out, "%s", cw_level_name((cw_level_t)pair->level));
    else
        fprintf(out, "%s%s%s", pair->level & CW_PRECISION_POTENTIAL ? "potential" : "",
                pair->level == (CW_PRECISION_POTENTIAL | CW_PRECISION_VALUE_CHURN) ? "+"
                                                                                   : "",
                pair->level & CW_PRECISION_VALUE_CHURN ? "value" : "");
    const char *sep = " (";
    for (size_t bit = 0; bit < bt_bit_count(model); bit++) {
        if (!(pair->bits & (1u << bit)))
            continue;
        fprintf(out, "%s%s", sep, bt_bit_name(model, (int)bit));
        sep = ", ";
    }
    fputs(*sep == ',' ? ")" : "", out);
}

static void text_pairs(FILE *out, const bt_compare_t *compare, const char *title,
                       const cw_precision_pair_t *pairs,
                       const cw_precision_pair_t *others, size_t n)
{
    cw_precision_model_t model = compare->reports[0]->model;
    bool weekly = model == CW_PRECISION_WEEKLY;
    fprintf(out, "\n%s: %zu\n", title, n);
    for (size_t i = 0; i < n && i < COMPARE_LISTED; i++) {
        char number[CW_MASK_SIZE], label[CW_PERIOD_LABEL_SIZE];
        number_text(compare, pairs[i].msisdn, number);
        cw_period_label(weekly ? CW_PERIOD_WEEK : CW_PERIOD_MONTH, pairs[i].period,
                        label);
        fprintf(out, "  %-8s  %-15s  ", label, number);
        text_pair_detail(out, model, &pairs[i]);
        if (others != NULL) {
            fputs("  ->  ", out);
            text_pair_detail(out, model, &others[i]);
        }
        fputc('\n', out);
    }
    if (n > COMPARE_LISTED)
        fprintf(out, "  ... and %zu more (--json lists them all)\n", n - COMPARE_LISTED);
}

/* A file name as a JSON string. */
static int json_string(FILE *out, const char *text)
{
    cw_jsonw_t w;
    cw_jsonw_init(&w);
    cw_jsonw_string(&w, text);
    size_t len;
    char *json = cw_jsonw_take(&w, &len);
    if (json == NULL)
        return -1;
    fwrite(json, 1, len, out);
    cw_free(json);
    return 0;
}

int bt_print_compare_json(FILE *out, const bt_compare_t *compare)
{
    cw_precision_model_t model = compare->reports[0]->model;
    fputs("{\"configs\": [", out);
    if (json_string(out, compare->names[0]) != 0)
        return -1;
    fputs(", ", out);
    if (json_string(out, compare->names[1]) != 0)
        return -1;
    fputs("], \"reports\": [\n", out);
    for (int side = 0; side < 2; side++) {
        fputc('{', out);
        json_members(out, compare->reports[side]);
        fputs(side == 0 ? "},\n" : "}],\n", out);
    }
    diff_t diff;
    if (diff_make(compare, &diff) != 0)
        return -1;
    for (int side = 0; side < 2; side++) {
        fprintf(out, "\"only_%c\": [", side == 0 ? 'a' : 'b');
        for (size_t i = 0; i < diff.only_count[side]; i++) {
            fputs(i ? ",\n  " : "\n  ", out);
            json_pair(out, compare, model, &diff.only[side][i], NULL);
        }
        fputs("],\n", out);
    }
    fputs("\"changed\": [", out);
    for (size_t i = 0; i < diff.changed_count; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        json_pair(out, compare, model, &diff.changed[0][i], &diff.changed[1][i]);
    }
    fputs("]}\n", out);
    diff_free(&diff);
    return 0;
}

/* One row of the side-by-side table. */
static void row(FILE *out, const char *what, const char *a, const char *b)
{
    fprintf(out, "%-26s %18s %18s\n", what, a, b);
}

static void row_count(FILE *out, const char *what, uint64_t a, uint64_t b)
{
    char x[24], y[24];
    snprintf(x, sizeof x, "%" PRIu64, a);
    snprintf(y, sizeof y, "%" PRIu64, b);
    row(out, what, x, y);
}

static void row_ratio(FILE *out, const char *what, const cw_precision_cell_t *a,
                      const cw_precision_cell_t *b)
{
    char x[CW_PRECISION_RATIO_SIZE], y[CW_PRECISION_RATIO_SIZE];
    ratio_cell(a->hits, a->mature, x);
    ratio_cell(b->hits, b->mature, y);
    row(out, what, x, y);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int bt_print_compare_tables(FILE *out, const bt_compare_t *compare)
{
    const bt_report_t *ra = compare->reports[0], *rb = compare->reports[1];
    const cw_precision_report_t *a = &ra->precision, *b = &rb->precision;
    cw_precision_model_t model = ra->model;
    bool weekly = model == CW_PRECISION_WEEKLY;
    char what[64], x[CW_PRECISION_RATIO_SIZE], y[CW_PRECISION_RATIO_SIZE];
    row(out, "", base_name(compare->names[0]), base_name(compare->names[1]));
    row_count(out, "events", ra->events, rb->events);
    for (size_t i = 0; i <= bt_class_count(model); i++) {
        int c = i < bt_class_count(model) ? bt_class_index(model, i) : 0;
        snprintf(what, sizeof what, "%s %s", weekly ? "pairs" : "records",
                 bt_class_name(model, c));
        row_count(out, what, a->classes[c].pairs, b->classes[c].pairs);
    }
    for (size_t i = 0; i <= bt_class_count(model); i++) {
        int c = i < bt_class_count(model) ? bt_class_index(model, i) : 0;
        snprintf(what, sizeof what, "mature %s", bt_class_name(model, c));
        row_count(out, what, a->classes[c].mature, b->classes[c].mature);
        snprintf(what, sizeof what, "precision %s", bt_class_name(model, c));
        row_ratio(out, what, &a->classes[c], &b->classes[c]);
    }
    for (size_t bit = 0; bit < bt_bit_count(model); bit++) {
        snprintf(what, sizeof what, "precision %s", bt_bit_name(model, (int)bit));
        row_ratio(out, what, &a->bits[bit], &b->bits[bit]);
    }
    row_count(out, "churners", a->churners, b->churners);
    row_count(out, "caught", a->caught, b->caught);
    ratio_cell(a->caught, a->churners, x);
    ratio_cell(b->caught, b->churners, y);
    row(out, "recall", x, y);
    diff_t diff;
    if (diff_make(compare, &diff) != 0)
        return -1;
    for (int side = 0; side < 2; side++) {
        char title[256];
        snprintf(title, sizeof title, "%s only by %s",
                 weekly ? "pairs alerted" : "records", base_name(compare->names[side]));
        text_pairs(out, compare, title, diff.only[side], NULL, diff.only_count[side]);
    }
    text_pairs(out, compare,
               weekly ? "pairs alerted by both, at another level or with other triggers"
                      : "records of both, of other kinds or with other items",
               diff.changed[0], diff.changed[1], diff.changed_count);
    diff_free(&diff);
    return 0;
}
