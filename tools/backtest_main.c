/* cdrwarn-backtest (SPEC section 11): reads a recorded history, runs it
 * through cdrwarnd's own rules once per configuration (one, two with
 * --compare, one per value with --sweep), and prints how well the alerts
 * (or with --model monthly the score records) predicted the churn in it.
 * Files are read once per run; standard input and Kafka once for all runs,
 * side by side. */
#include "backtest.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

typedef struct main_state {
    bt_opts_t opts;
    size_t run_count;
    bt_run_t **runs;
    bt_report_t *reports;
    int64_t *values;         /* the sweep's */
    char (*sweep_sets)[160]; /* "rules.KEY=V" per value */
    FILE *emit;
    bt_source_t *source;
    uint64_t records_read;
} main_state_t;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_errors(const cw_errlist_t *errs)
{
    fputs(cw_errlist_text(errs), stderr);
}

/* Every run's configuration, loaded (and so checked) before any input is read. */
static int make_runs(main_state_t *st, int64_t now_ms)
{
    const bt_opts_t *opts = &st->opts;
    st->run_count = opts->sweep ? bt_opts_sweep_count(opts) : opts->compare ? 2 : 1;
    st->runs = cw_calloc(st->run_count, sizeof *st->runs);
    st->reports = cw_calloc(st->run_count, sizeof *st->reports);
    st->values = cw_calloc(st->run_count, sizeof *st->values);
    st->sweep_sets = cw_calloc(st->run_count, sizeof *st->sweep_sets);
    if (st->runs == NULL || st->reports == NULL || st->values == NULL ||
        st->sweep_sets == NULL) {
        fprintf(stderr, "cdrwarn-backtest: out of memory\n");
        return -1;
    }
    const char *sets[BT_MAX_SETS + 1];
    memcpy(sets, opts->sets, opts->set_count * sizeof *sets);
    for (size_t i = 0; i < st->run_count; i++) {
        size_t set_count = opts->set_count;
        const char *config = opts->config;
        if (opts->sweep) {
            st->values[i] = bt_opts_sweep_value(opts, i);
            snprintf(st->sweep_sets[i], sizeof st->sweep_sets[i], "%s=%" PRId64,
                     opts->sweep_key, st->values[i]);
            sets[set_count++] = st->sweep_sets[i];
        } else if (i == 1) {
            config = opts->compare;
        }
        cw_errlist_t errs = CW_ERRLIST_INIT;
        st->runs[i] =
            bt_run_new(config, sets, set_count, opts->model, now_ms, st->emit, &errs);
        if (st->runs[i] == NULL) {
            print_errors(&errs);
            cw_errlist_free(&errs);
            return -1;
        }
        cw_errlist_free(&errs);
    }
    return 0;
}

static int open_source(main_state_t *st)
{
    char err[512];
    const bt_opts_t *opts = &st->opts;
    if (opts->brokers == NULL) {
        st->source = bt_source_files(opts->inputs, opts->input_count, err, sizeof err);
    } else {
        /* --topics, or the first configuration's input topics */
        const cw_config_t *config = bt_run_config(st->runs[0]);
        char *list = NULL;
        const char *topics[CW_MAX_INPUT_TOPICS];
        size_t count = 0;
        if (opts->topics != NULL) {
            list = cw_strdup(opts->topics);
            for (char *save = NULL, *t = list ? strtok_r(list, ",", &save) : NULL;
                 t != NULL && count < CW_MAX_INPUT_TOPICS; t = strtok_r(NULL, ",", &save))
                topics[count++] = t;
        } else {
            for (size_t i = 0; i < config->input_topic_count; i++)
                topics[count++] = config->input_topics[i];
        }
        st->source = count > 0
                         ? bt_source_kafka(opts, config, topics, count, err, sizeof err)
                         : NULL;
        if (count == 0)
            snprintf(err, sizeof err, "--topics: no topic named");
        cw_free(list);
    }
    if (st->source == NULL) {
        fprintf(stderr, "cdrwarn-backtest: %s\n", err);
        return -1;
    }
    return 0;
}

/* Reads the source to its end, feeding runs [first, first + count). */
static int feed(main_state_t *st, size_t first, size_t count)
{
    char err[512];
    for (;;) {
        const cw_record_t *const *records;
        size_t n;
        if (bt_source_next(st->source, &records, &n, err, sizeof err) != 0) {
            fprintf(stderr, "cdrwarn-backtest: %s\n", err);
            return -1;
        }
        if (n == 0)
            return 0;
        st->records_read += n;
        for (size_t i = first; i < first + count; i++) {
            if (bt_run_feed(st->runs[i], records, n, err, sizeof err) != 0) {
                fprintf(stderr, "cdrwarn-backtest: %s\n", err);
                return -1;
            }
        }
    }
}

/* One pass per run when the input can be read again (memory for one run's
 * states at a time), else one pass for all. */
static int run_all(main_state_t *st)
{
    char err[512];
    bool sequential = st->run_count > 1 && bt_source_rewindable(st->source);
    for (size_t i = 0; i < st->run_count; i += sequential ? 1 : st->run_count) {
        if (i > 0 && bt_source_rewind(st->source, err, sizeof err) != 0) {
            fprintf(stderr, "cdrwarn-backtest: %s\n", err);
            return -1;
        }
        size_t count = sequential ? 1 : st->run_count;
        if (feed(st, i, count) != 0)
            return -1;
        for (size_t j = i; j < i + count; j++) {
            if (bt_run_report(st->runs[j], &st->reports[j]) != 0) {
                fprintf(stderr, "cdrwarn-backtest: out of memory\n");
                return -1;
            }
            bt_run_release(st->runs[j]); /* the states are no longer needed */
        }
    }
    return 0;
}

static int print(main_state_t *st)
{
    const bt_opts_t *opts = &st->opts;
    int rc = 0;
    if (opts->sweep) {
        bt_sweep_t sweep = {opts->sweep_key, st->values, st->reports, st->run_count};
        (opts->json ? bt_print_sweep_json : bt_print_sweep_tables)(stdout, &sweep);
    } else if (opts->compare != NULL) {
        bt_compare_t compare = {
            .names = {opts->config, opts->compare},
            .reports = {&st->reports[0], &st->reports[1]},
            .precisions = {bt_run_precision(st->runs[0]), bt_run_precision(st->runs[1])},
            .full_numbers = opts->full_numbers,
        };
        rc = (opts->json ? bt_print_compare_json : bt_print_compare_tables)(stdout,
                                                                            &compare);
    } else {
        (opts->json ? bt_print_json : bt_print_tables)(stdout, &st->reports[0]);
    }
    if (rc != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cdrwarn-backtest: writing the report failed\n");
        return -1;
    }
    if (opts->svg == NULL)
        return 0;
    FILE *svg = fopen(opts->svg, "w");
    if (svg == NULL) {
        fprintf(stderr, "cdrwarn-backtest: %s: %s\n", opts->svg, strerror(errno));
        return -1;
    }
    if (opts->sweep) {
        bt_sweep_t sweep = {opts->sweep_key, st->values, st->reports, st->run_count};
        rc = bt_svg_sweep(svg, &sweep);
    } else {
        const bt_report_t *reports[2] = {&st->reports[0], &st->reports[1]};
        const char *names[2] = {opts->config, opts->compare};
        rc = bt_svg_bars(svg, reports, names, st->run_count);
    }
    if (fclose(svg) != 0 || rc != 0) {
        fprintf(stderr, "cdrwarn-backtest: %s: %s\n", opts->svg, strerror(errno));
        return -1;
    }
    return 0;
}

static void cleanup(main_state_t *st)
{
    for (size_t i = 0; st->runs != NULL && i < st->run_count; i++)
        bt_run_free(st->runs[i]);
    cw_free(st->runs);
    cw_free(st->reports);
    cw_free(st->values);
    cw_free(st->sweep_sets);
    bt_source_free(st->source);
}

int main(int argc, char **argv)
{
    /* a step's buffers are a few MB, taken and given back a thousand times a
     * second: keep them on the heap rather than in fresh mappings */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    main_state_t st;
    memset(&st, 0, sizeof st);
    int rc = bt_opts_parse(argc, argv, &st.opts);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    double started = mono_s();
    int64_t now_ms = st.opts.has_now ? st.opts.now_ms : wall_ms();
    int status = 1;
    if (st.opts.emit != NULL) {
        st.emit = fopen(st.opts.emit, "w");
        if (st.emit == NULL) {
            fprintf(stderr, "cdrwarn-backtest: %s: %s\n", st.opts.emit, strerror(errno));
            return 1;
        }
    }
    if (make_runs(&st, now_ms) != 0 || open_source(&st) != 0 || run_all(&st) != 0)
        goto done;
    if (st.emit != NULL) {
        FILE *emit = st.emit;
        st.emit = NULL;
        if (fclose(emit) != 0) {
            fprintf(stderr, "cdrwarn-backtest: %s: %s\n", st.opts.emit, strerror(errno));
            goto done;
        }
    }
    double seconds = mono_s() - started;
    fprintf(stderr,
            "cdrwarn-backtest: %" PRIu64
            " records, %zu run(s) in %.2f s (%.0f events/s), %" PRIu64
            " subscribers, %.1f MB of states\n",
            st.records_read, st.run_count, seconds,
            seconds > 0 ? (double)st.records_read / seconds : 0.0,
            st.reports[0].subscribers,
            (double)st.reports[0].state_bytes / (1024.0 * 1024.0));
    if (print(&st) != 0)
        goto done;
    status = 0;
done:
    if (st.emit != NULL)
        fclose(st.emit);
    cleanup(&st);
    return status;
}
