/* cdrwarn-backtest --svg: the report as a picture, hand-written SVG with no
 * library: for a sweep, precision and recall against the swept value beside
 * the precision/recall curve; without one, a bar per level (or record kind)
 * and per trigger (or item) with its precision, two bars a row when two
 * configurations are compared (see backtest.h). */
#include "backtest.h"

#include <inttypes.h>
#include <string.h>

#define FONT "font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\""
#define GRID "#d9d9d9"
#define INK "#222222"
#define MUTED "#666666"

/* Per class (cw_level_t order, index 0 = all): the weekly model's colours. */
static const char *const level_colours[] = {"#555555", "#1f77b4", "#d4a000", "#d62728"};
/* The monthly model's: all, potential churner, value churn. */
static const char *const kind_colours[] = {"#555555", "#9467bd", "#8c564b", "#555555"};
#define BIT_COLOUR "#2a9d8f"
#define RECALL_COLOUR "#e76f51"
#define CURVE_COLOUR "#264653"

static const char *class_colour(cw_precision_model_t model, int c)
{
    return model == CW_PRECISION_WEEKLY ? level_colours[c] : kind_colours[c];
}

/* Text as XML character data. */
static void xml_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*text, out);
        }
    }
}

static void text_at(FILE *out, double x, double y, const char *anchor, int size,
                    const char *colour, const char *weight, const char *text)
{
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\" "
            "font-weight=\"%s\">",
            x, y, anchor, size, colour, weight);
    xml_text(out, text);
    fputs("</text>\n", out);
}

static void begin(FILE *out, int width, int height)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" " FONT ">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            width, height, width, height);
}

static const char *model_words(cw_precision_model_t model)
{
    return model == CW_PRECISION_WEEKLY ? "weekly alerts" : "monthly score records";
}

/* thousandths of num / den, or -1 */
static int64_t thousandths(uint64_t num, uint64_t den)
{
    return cw_precision_ratio(num, den);
}

/* ---- the sweep --------------------------------------------------------------- */

typedef struct plot {
    double x, y, w, h;   /* the plotting area */
    double x_min, x_max; /* the data ranges */
    double y_min, y_max;
} plot_t;

static double px(const plot_t *p, double x)
{
    return p->x_max > p->x_min ? p->x + (x - p->x_min) / (p->x_max - p->x_min) * p->w
                               : p->x + p->w / 2;
}

static double py(const plot_t *p, double y)
{
    return p->y + p->h - (y - p->y_min) / (p->y_max - p->y_min) * p->h;
}

static void share_label(double v, char *out, size_t size)
{
    snprintf(out, size, "%.0f%%", v * 100);
}

/* Axes with a grid at the given ticks; shares are labelled in per cent. */
static void axes(FILE *out, const plot_t *p, const char *x_title, const char *y_title,
                 const double *x_ticks, size_t x_tick_count, bool x_as_share,
                 const double *y_ticks, size_t y_tick_count)
{
    char label[32];
    for (size_t i = 0; i < y_tick_count; i++) {
        double y = py(p, y_ticks[i]);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"1\"/>\n",
                p->x, y, p->x + p->w, y, GRID);
        share_label(y_ticks[i], label, sizeof label);
        text_at(out, p->x - 8, y + 4, "end", 12, MUTED, "normal", label);
    }
    for (size_t i = 0; i < x_tick_count; i++) {
        double x = px(p, x_ticks[i]);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"1\"/>\n",
                x, p->y, x, p->y + p->h, GRID);
        if (x_as_share)
            share_label(x_ticks[i], label, sizeof label);
        else
            snprintf(label, sizeof label, "%.10g", x_ticks[i]);
        text_at(out, x, p->y + p->h + 18, "middle", 12, MUTED, "normal", label);
    }
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"%s\" stroke-width=\"1\"/>\n",
            p->x, p->y, p->w, p->h, MUTED);
    text_at(out, p->x + p->w / 2, p->y + p->h + 40, "middle", 13, INK, "normal", x_title);
    fprintf(
        out,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" fill=\"%s\" "
        "transform=\"rotate(-90 %.1f %.1f)\">",
        p->x - 48, p->y + p->h / 2, INK, p->x - 48, p->y + p->h / 2);
    xml_text(out, y_title);
    fputs("</text>\n", out);
}

/* One series over the sweep's values: a line through the defined points
 * (a gap where the ratio is undefined) and a dot on each. */
static void series(FILE *out, const plot_t *p, const bt_sweep_t *sweep,
                   int64_t (*value_of)(const bt_report_t *, int), int arg,
                   const char *colour, double width, const char *dash)
{
    bool open = false;
    for (size_t i = 0; i < sweep->count; i++) {
        int64_t v = value_of(&sweep->reports[i], arg);
        if (v < 0) {
            if (open)
                fputs("\"/>\n", out);
            open = false;
            continue;
        }
        if (!open)
            fprintf(out,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                    "stroke-dasharray=\"%s\" stroke-linejoin=\"round\" points=\"",
                    colour, width, dash);
        fprintf(out, "%.1f,%.1f ", px(p, (double)sweep->values[i]),
                py(p, (double)v / 1000));
        open = true;
    }
    if (open)
        fputs("\"/>\n", out);
    for (size_t i = 0; i < sweep->count; i++) {
        int64_t v = value_of(&sweep->reports[i], arg);
        if (v >= 0)
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n",
                    px(p, (double)sweep->values[i]), py(p, (double)v / 1000), width + 1.5,
                    colour);
    }
}

static int64_t precision_of(const bt_report_t *report, int c)
{
    return thousandths(report->precision.classes[c].hits, report->precision.classes[c].mature);
}

static int64_t recall_of(const bt_report_t *report, int unused)
{
    (void)unused;
    return thousandths(report->precision.caught, report->precision.churners);
}

/* Round numbers for an axis from lo to hi: about six ticks. */
static size_t ticks(double lo, double hi, double *out, size_t most)
{
    if (hi <= lo) {
        out[0] = lo;
        return 1;
    }
    double raw = (hi - lo) / 6, step = 1;
    while (step * 10 <= raw)
        step *= 10;
    while (step > raw && step > 1e-9)
        step /= 10;
    if (step * 5 <= raw)
        step *= 5;
    else if (step * 2 <= raw)
        step *= 2;
    size_t n = 0;
    double first = step * (double)(int64_t)(lo / step);
    if (first < lo)
        first += step;
    for (double t = first; t <= hi + step * 1e-9 && n < most; t += step)
        out[n++] = t;
    return n;
}

/* A range of whole tenths holding [lo, hi] (a tenth at least), within 0..1:
 * the points spread over the plot instead of sitting in one corner. */
static void zoom(double lo, double hi, double *from, double *to)
{
    if (hi < lo) {
        *from = 0;
        *to = 1;
        return;
    }
    *from = (double)(int)(lo * 10 + 1e-9) / 10;
    *to = (double)(int)(hi * 10 - 1e-9) / 10 + 0.1;
    if (*to > 1)
        *to = 1;
    if (*to - *from < 0.1)
        *from = *to - 0.1;
}

static void legend_entry(FILE *out, double x, double y, const char *colour,
                         const char *dash, const char *label)
{
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"3\" stroke-dasharray=\"%s\"/>\n",
            x, y - 4, x + 24, y - 4, colour, dash);
    text_at(out, x + 30, y, "start", 12, INK, "normal", label);
}

int bt_svg_sweep(FILE *out, const bt_sweep_t *sweep)
{
    if (sweep->count == 0)
        return 0;
    cw_precision_model_t model = sweep->reports[0].model;
    const char *key = sweep->key;
    char title[256];
    begin(out, 1100, 560);
    snprintf(title, sizeof title,
             "%s from %" PRId64 " to %" PRId64 ": precision and recall of the %s", key,
             sweep->values[0], sweep->values[sweep->count - 1], model_words(model));
    text_at(out, 550, 32, "middle", 18, INK, "bold", title);
    snprintf(
        title, sizeof title,
        "precision = hits / mature %s, judged %" PRId64 " weeks on; recall = churners "
        "caught / churners",
        model == CW_PRECISION_WEEKLY ? "pairs" : "records", sweep->reports[0].horizon);
    text_at(out, 550, 54, "middle", 13, MUTED, "normal", title);

    /* left: each measure against the value, on the whole 0-100 % scale */
    plot_t left = {90,
                   110,
                   430,
                   330,
                   (double)sweep->values[0],
                   (double)sweep->values[sweep->count - 1],
                   0,
                   1};
    double xt[16], yt[16];
    size_t xn = ticks(left.x_min, left.x_max, xt, 16);
    size_t yn = ticks(0, 1, yt, 16);
    const char *name = strchr(key, '.') ? strchr(key, '.') + 1 : key;
    axes(out, &left, name, "share", xt, xn, false, yt, yn);
    text_at(out, left.x + left.w / 2, 96, "middle", 14, INK, "bold", "against the value");
    double ly = left.y + left.h + 70;
    double lx = left.x - 40;
    for (size_t i = 0; i < bt_class_count(model); i++) {
        int c = bt_class_index(model, i);
        bool defined = false;
        for (size_t k = 0; k < sweep->count; k++)
            defined |= precision_of(&sweep->reports[k], c) >= 0;
        if (!defined)
            continue; /* none mature at any value (blue switched off, say) */
        series(out, &left, sweep, precision_of, c, class_colour(model, c), 1.5, "5,4");
        char label[64];
        snprintf(label, sizeof label, "precision %s", bt_class_name(model, c));
        legend_entry(out, lx, ly, class_colour(model, c), "5,4", label);
        lx += 150;
    }
    series(out, &left, sweep, precision_of, 0, class_colour(model, 0), 3, "none");
    legend_entry(out, lx, ly, class_colour(model, 0), "none", "precision, all");
    series(out, &left, sweep, recall_of, 0, RECALL_COLOUR, 3, "none");
    legend_entry(out, lx + 130, ly, RECALL_COLOUR, "none", "recall");

    /* right: the precision/recall curve, zoomed on where its points are, each
     * point named by its value */
    double r_lo = 1, r_hi = 0, p_lo = 1, p_hi = 0;
    for (size_t i = 0; i < sweep->count; i++) {
        int64_t p = precision_of(&sweep->reports[i], 0),
                r = recall_of(&sweep->reports[i], 0);
        if (p < 0 || r < 0)
            continue;
        r_lo = (double)r / 1000 < r_lo ? (double)r / 1000 : r_lo;
        r_hi = (double)r / 1000 > r_hi ? (double)r / 1000 : r_hi;
        p_lo = (double)p / 1000 < p_lo ? (double)p / 1000 : p_lo;
        p_hi = (double)p / 1000 > p_hi ? (double)p / 1000 : p_hi;
    }
    plot_t right = {640, 110, 400, 330, 0, 1, 0, 1};
    zoom(r_lo, r_hi, &right.x_min, &right.x_max);
    zoom(p_lo, p_hi, &right.y_min, &right.y_max);
    xn = ticks(right.x_min, right.x_max, xt, 16);
    yn = ticks(right.y_min, right.y_max, yt, 16);
    axes(out, &right, "recall", "precision (all)", xt, xn, true, yt, yn);
    text_at(out, right.x + right.w / 2, 96, "middle", 14, INK, "bold",
            "precision against recall");
    fputs("<polyline fill=\"none\" stroke=\"" CURVE_COLOUR "\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\" points=\"",
          out);
    for (size_t i = 0; i < sweep->count; i++) {
        int64_t p = precision_of(&sweep->reports[i], 0),
                r = recall_of(&sweep->reports[i], 0);
        if (p >= 0 && r >= 0)
            fprintf(out, "%.1f,%.1f ", px(&right, (double)r / 1000),
                    py(&right, (double)p / 1000));
    }
    fputs("\"/>\n", out);
    /* a label per run of equal points ("50-80" where the value stopped
     * mattering), none where it would sit on another */
    double placed[BT_MAX_SWEEP][2];
    size_t placed_count = 0;
    for (size_t i = 0; i < sweep->count;) {
        int64_t p = precision_of(&sweep->reports[i], 0),
                r = recall_of(&sweep->reports[i], 0);
        size_t last = i;
        while (last + 1 < sweep->count &&
               precision_of(&sweep->reports[last + 1], 0) == p &&
               recall_of(&sweep->reports[last + 1], 0) == r)
            last++;
        if (p >= 0 && r >= 0) {
            double x = px(&right, (double)r / 1000), y = py(&right, (double)p / 1000);
            fprintf(out,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#ffffff\" "
                    "stroke=\"%s\" stroke-width=\"2\"/>\n",
                    x, y, CURVE_COLOUR);
            bool crowded = false;
            for (size_t k = 0; k < placed_count && !crowded; k++)
                crowded = (placed[k][0] - x) * (placed[k][0] - x) +
                              (placed[k][1] - y) * (placed[k][1] - y) <
                          16 * 16;
            if (!crowded) {
                char label[48];
                if (last > i)
                    snprintf(label, sizeof label, "%" PRId64 "-%" PRId64,
                             sweep->values[i], sweep->values[last]);
                else
                    snprintf(label, sizeof label, "%" PRId64, sweep->values[i]);
                text_at(out, x + 8, y - 7, "start", 11, INK, "normal", label);
                placed[placed_count][0] = x;
                placed[placed_count][1] = y;
                placed_count++;
            }
        }
        i = last + 1;
    }
    text_at(out, right.x + right.w, right.y + right.h + 70, "end", 12, MUTED, "normal",
            "each point: one run, named by its value");
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}

/* ---- bars ----------------------------------------------------------------------- */

typedef struct bar_row {
    char label[48];
    const char *colour;
    uint64_t num[2], den[2]; /* per report */
} bar_row_t;

static void bar(FILE *out, double x, double y, double full, double height,
                const char *colour, double opacity, uint64_t num, uint64_t den)
{
    int64_t t = thousandths(num, den);
    char label[64];
    if (t < 0) {
        text_at(out, x + 4, y + height - 4, "start", 11, MUTED, "normal",
                den == 0 ? "none mature" : "-");
        return;
    }
    double w = full * (double)t / 1000;
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
            "fill-opacity=\"%.2f\"/>\n",
            x, y, w, height, colour, opacity);
    snprintf(label, sizeof label,
             "%" PRId64 ".%03" PRId64 "  (%" PRIu64 " / %" PRIu64 ")", t / 1000, t % 1000,
             num, den);
    text_at(out, x + w + 6, y + height - 4, "start", 11, INK, "normal", label);
}

int bt_svg_bars(FILE *out, const bt_report_t *const *reports, const char *const *names,
                size_t count)
{
    if (count == 0 || count > 2)
        return -1;
    cw_precision_model_t model = reports[0]->model;
    bool weekly = model == CW_PRECISION_WEEKLY;
    bar_row_t rows[CW_PRECISION_CLASSES + CW_PRECISION_BITS + 2];
    size_t n = 0;
    for (size_t i = 0; i <= bt_class_count(model); i++) {
        int c = i < bt_class_count(model) ? bt_class_index(model, i) : 0;
        bar_row_t *row = &rows[n++];
        snprintf(row->label, sizeof row->label, "%s", bt_class_name(model, c));
        row->colour = class_colour(model, c);
        for (size_t k = 0; k < count; k++) {
            row->num[k] = reports[k]->precision.classes[c].hits;
            row->den[k] = reports[k]->precision.classes[c].mature;
        }
    }
    size_t first_bit = n;
    for (size_t b = 0; b < bt_bit_count(model); b++) {
        bar_row_t *row = &rows[n++];
        snprintf(row->label, sizeof row->label, "%s", bt_bit_name(model, (int)b));
        row->colour = BIT_COLOUR;
        for (size_t k = 0; k < count; k++) {
            row->num[k] = reports[k]->precision.bits[b].hits;
            row->den[k] = reports[k]->precision.bits[b].mature;
        }
    }
    size_t recall_row = n;
    bar_row_t *row = &rows[n++];
    snprintf(row->label, sizeof row->label, "recall (churners caught)");
    row->colour = RECALL_COLOUR;
    for (size_t k = 0; k < count; k++) {
        row->num[k] = reports[k]->precision.caught;
        row->den[k] = reports[k]->precision.churners;
    }

    double bar_h = 16, row_h = count == 2 ? 2 * bar_h + 10 : bar_h + 12;
    double top = 100, left = 230, full = 560;
    double height = top + (double)n * row_h + 2 * 30 + 40;
    begin(out, 960, (int)height);
    char title[256];
    snprintf(title, sizeof title, "Precision of the %s, per %s and per %s",
             model_words(model), weekly ? "level" : "kind", weekly ? "trigger" : "item");
    text_at(out, 480, 32, "middle", 18, INK, "bold", title);
    const bt_report_t *r0 = reports[0];
    char week[CW_PERIOD_LABEL_SIZE] = "none";
    if (r0->precision.mature_until != CW_WEEK_NONE)
        cw_period_label(CW_PERIOD_WEEK, r0->precision.mature_until, week);
    snprintf(title, sizeof title,
             "hits / mature %s (%s up to %s; a hit: churn within %" PRId64
             " weeks); %" PRIu64 " events",
             weekly ? "pairs" : "records", weekly ? "weeks" : "judged from weeks", week,
             r0->horizon, r0->events);
    text_at(out, 480, 54, "middle", 13, MUTED, "normal", title);
    if (count == 2) {
        for (size_t k = 0; k < 2; k++) {
            double x = 250 + (double)k * 300;
            fprintf(
                out,
                "<rect x=\"%.1f\" y=\"68\" width=\"18\" height=\"12\" fill=\"#555555\" "
                "fill-opacity=\"%.2f\"/>\n",
                x, k == 0 ? 1.0 : 0.45);
            text_at(out, x + 24, 79, "start", 12, INK, "normal", names[k]);
        }
    }
    /* the scale first, under the bars */
    double bottom = top + 2 * 30 + (double)n * row_h;
    for (int i = 0; i <= 10; i += 2) {
        double x = left + full * i / 10.0;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                x, top - 8, x, bottom, GRID);
        char label[16];
        snprintf(label, sizeof label, "%d%%", i * 10);
        text_at(out, x, bottom + 16, "middle", 11, MUTED, "normal", label);
    }
    double y = top;
    for (size_t i = 0; i < n; i++) {
        if (i == first_bit || i == recall_row) {
            y += 30;
            fprintf(
                out,
                "<line x1=\"20\" y1=\"%.1f\" x2=\"940\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                y - 16, y - 16, GRID);
        }
        text_at(out, left - 12, y + bar_h - 3, "end", 13, INK,
                i < first_bit ? "bold" : "normal", rows[i].label);
        for (size_t k = 0; k < count; k++)
            bar(out, left, y + (double)k * (bar_h + 4), full, bar_h, rows[i].colour,
                k == 0 ? 1.0 : 0.45, rows[i].num[k], rows[i].den[k]);
        y += row_h;
    }
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}
