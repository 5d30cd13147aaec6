/* cdrwarn-backtest: declarations shared by the tool's files. The flow is
 * options (backtest_opts.c) -> records read from JSON lines
 * (backtest_input.c) or a Kafka topic range (backtest_kafka.c) -> one run
 * per configuration (backtest_run.c: the daemon's own steps in memory,
 * lib/replay.c, counted by lib/precision.c, optionally written out with
 * --emit) -> the report as JSON or tables (backtest_print.c) and the
 * picture (backtest_svg.c), driven by backtest_main.c. Every rule is in
 * lib/; nothing here decides an alert. */
#ifndef CW_BACKTEST_H
#define CW_BACKTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errlist.h"
#include "precision.h"
#include "record.h"
#include "replay.h"
#include "setup.h"

#define BT_MAX_SETS 64
#define BT_MAX_SWEEP 1000
#define BT_MAX_INPUTS 256

/* ---- options (backtest_opts.c) ---- */

typedef struct bt_opts {
    const char *config;            /* -c */
    const char *compare;           /* --compare FILE2, or NULL */
    const char *sets[BT_MAX_SETS]; /* --set rules.KEY=VALUE, in order */
    size_t set_count;
    /* --sweep SECTION.KEY=FROM:TO:STEP */
    bool sweep;
    char sweep_key[128]; /* "rules.spend_drop_pct" */
    int64_t sweep_from, sweep_to, sweep_step;
    bool json;        /* --json */
    const char *svg;  /* --svg OUT */
    const char *emit; /* --emit FILE */
    bool has_now;
    int64_t now_ms;             /* --now */
    cw_precision_model_t model; /* --model weekly|monthly */
    bool full_numbers;          /* --full-numbers: compare lists unmasked */
    /* Kafka input */
    const char *brokers; /* --brokers */
    const char *topics;  /* --topics A,B,... */
    bool has_from, has_to;
    int64_t from_ms, to_ms; /* --from, --to */
    int partition;          /* --partition N, -1: every partition */
    /* JSON lines input */
    const char *inputs[BT_MAX_INPUTS];
    size_t input_count;
} bt_opts_t;

/* Parses argv. Returns 0 to run, 1 after --help or --version (printed), 2 on
 * a usage error (explained on stderr). */
int bt_opts_parse(int argc, char **argv, bt_opts_t *opts);
/* The values a sweep runs, FROM, FROM + STEP, ... up to TO. */
size_t bt_opts_sweep_count(const bt_opts_t *opts);
int64_t bt_opts_sweep_value(const bt_opts_t *opts, size_t i);

/* ---- input (backtest_input.c, backtest_kafka.c) ---- */

/* A source of records, in order, one batch at a time. */
typedef struct bt_source bt_source_t;

/* The records of one batch, laid out in one arena (no allocation per
 * record): topic 0, partition 0, offsets counting the stream's records. */
#define BT_BATCH_RECORDS 16384
typedef struct bt_batch {
    char *arena;
    size_t arena_len;
    const cw_record_t **records;
    size_t count;
    int64_t next_offset;
} bt_batch_t;
int bt_batch_init(bt_batch_t *batch); /* 0 or -1 (out of memory) */
void bt_batch_free(bt_batch_t *batch);
void bt_batch_reset(bt_batch_t *batch); /* empty again; the offsets go on */
/* Whether one more record (of any value, with a key of key_len) fits. */
bool bt_batch_room(const bt_batch_t *batch, size_t key_len);
/* Adds a record (key NULL: none); a value longer than CW_RECORD_VALUE_KEPT
 * is held as its first bytes and its SHA-256, as the daemon's consumer
 * holds it. Check bt_batch_room first. */
void bt_batch_add(bt_batch_t *batch, const void *key, size_t key_len, const char *value,
                  size_t len);

/* What a source other than files does (Kafka). */
typedef struct bt_source_ops {
    int (*next)(void *impl, const cw_record_t *const **records, size_t *count, char *err,
                size_t err_size);
    int (*rewind)(void *impl, char *err, size_t err_size); /* NULL: cannot */
    void (*free)(void *impl);
} bt_source_ops_t;
/* A source driven by ops on impl (taken: freed with the source); NULL when
 * out of memory. */
bt_source_t *bt_source_new(const bt_source_ops_t *ops, void *impl);

/* JSON lines from files ("-" = standard input; none: standard input), one
 * record a line as one stream: topic 0, partition 0, offsets counting the
 * lines of every file in turn. A line longer than the record's kept value is
 * held as its first CW_RECORD_VALUE_KEPT bytes and its SHA-256 (a too_large
 * dead letter, as the daemon's consumer holds it). Empty lines are not
 * records. NULL with err when a file cannot be opened. */
bt_source_t *bt_source_files(const char *const *paths, size_t count, char *err,
                             size_t err_size);
/* A topic range from Kafka (--brokers, --topics, --from, --to): the topics'
 * records of one partition number (or of every partition, as if they were
 * one), from the first at or after `from` to the last before `to`, merged
 * into one stream by record timestamp; `config` gives the property.* lines
 * (TLS, SASL). */
bt_source_t *bt_source_kafka(const bt_opts_t *opts, const cw_config_t *config,
                             const char *const *topics, size_t topic_count, char *err,
                             size_t err_size);
/* Whether the source can be read again from the start (files, not pipes). */
bool bt_source_rewindable(const bt_source_t *source);
/* Starts over from the first record. 0 or -1 (with err). */
int bt_source_rewind(bt_source_t *source, char *err, size_t err_size);
/* The next records (borrowed until the next call): *count 0 at the end.
 * Returns 0, or -1 on a read error (with err). */
int bt_source_next(bt_source_t *source, const cw_record_t *const **records, size_t *count,
                   char *err, size_t err_size);
void bt_source_free(bt_source_t *source);

/* ---- one run of one configuration (backtest_run.c) ---- */

typedef struct bt_run bt_run_t;

/* The report of one run: what SPEC section 11 prints. */
typedef struct bt_report {
    cw_precision_model_t model;
    int64_t horizon;
    uint64_t events;
    uint64_t dead[CW_DLQ__COUNT];
    uint64_t alerts[CW_LEVEL__COUNT];
    uint64_t records;              /* score records (monthly) */
    uint64_t scored;               /* subscriber-months scored (monthly) */
    int32_t last_week, last_month; /* the last closed; CW_WEEK_NONE: none */
    uint64_t subscribers;
    size_t state_bytes;
    cw_precision_report_t precision;
} bt_report_t;

/* Loads the configuration with its overrides and readies a run. emit (may
 * be NULL) receives what the run publishes, as --emit writes it. Returns
 * NULL with the errors in errs. */
bt_run_t *bt_run_new(const char *config_path, const char *const *sets, size_t set_count,
                     cw_precision_model_t model, int64_t now_ms, FILE *emit,
                     cw_errlist_t *errs);
/* The run's configuration (its input topics for Kafka input). */
const cw_config_t *bt_run_config(const bt_run_t *run);
/* Feeds records in order. Returns 0, or -1 (with err): out of memory or
 * --emit failing. */
int bt_run_feed(bt_run_t *run, const cw_record_t *const *records, size_t count, char *err,
                size_t err_size);
/* The report as it stands. Returns 0 or -1 (out of memory). */
int bt_run_report(const bt_run_t *run, bt_report_t *out);
const cw_precision_t *bt_run_precision(const bt_run_t *run);
/* Frees the run's subscriber states once its report is taken; the pairs
 * (for --compare) stay. */
void bt_run_release(bt_run_t *run);
void bt_run_free(bt_run_t *run);

/* The JSON an entry publishes, without its emitted_at member, into out
 * (cap bytes): its length, or 0 when it does not fit or has no JSON. */
size_t bt_emit_json(const cw_entry_t *entry, char *out, size_t cap);

/* ---- output (backtest_print.c, backtest_svg.c) ---- */

/* One report as the JSON object of SPEC section 11 (monthly: its own keys). */
void bt_print_json(FILE *out, const bt_report_t *report);
/* The same as tables. */
void bt_print_tables(FILE *out, const bt_report_t *report);

/* --compare: both reports and the pairs only one side had. */
typedef struct bt_compare {
    const char *names[2]; /* the two config paths */
    const bt_report_t *reports[2];
    const cw_precision_t *precisions[2];
    bool full_numbers; /* list numbers unmasked */
} bt_compare_t;
int bt_print_compare_json(FILE *out, const bt_compare_t *compare);
int bt_print_compare_tables(FILE *out, const bt_compare_t *compare);

/* --sweep: one report per value. */
typedef struct bt_sweep {
    const char *key; /* "rules.spend_drop_pct" */
    const int64_t *values;
    const bt_report_t *reports;
    size_t count;
} bt_sweep_t;
void bt_print_sweep_json(FILE *out, const bt_sweep_t *sweep);
void bt_print_sweep_tables(FILE *out, const bt_sweep_t *sweep);

/* The names of a model's classes and bits, as the report prints them. */
size_t bt_class_count(cw_precision_model_t model);
int bt_class_index(cw_precision_model_t model, size_t i); /* into cells, top first */
const char *bt_class_name(cw_precision_model_t model, int index);
size_t bt_bit_count(cw_precision_model_t model);
const char *bt_bit_name(cw_precision_model_t model, int bit);

/* --svg: the sweep's precision/recall curve, or (sweep NULL) one report's
 * (or two compared reports') precision per class and per trigger. Returns 0
 * or -1 (errno set by the write). */
int bt_svg_sweep(FILE *out, const bt_sweep_t *sweep);
int bt_svg_bars(FILE *out, const bt_report_t *const *reports, const char *const *names,
                size_t count);

#endif
