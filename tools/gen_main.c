/* cdrwarn-gen: synthetic traffic for cdrwarnd. Builds the population, walks
 * the weeks day by day sending every event in time order (with a share of
 * bad records mixed in), then the week-closing events, and reports what it
 * sent on stderr. */
#include "gen.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "alloc.h"
#include "gen_day.h"
#include "gen_model.h"
#include "gen_number.h"
#include "gen_traffic.h"
#include "week.h"

#define CLOSING_HOURS 7 /* after the last week's end: past the 6 h grace */
#define CLOSING_MAX_TRIES 1000000

typedef struct {
    const cw_gen_opts_t *opts;
    const cw_gen_model_t *model;
    cw_gen_sink_t *sink;
    char *buf; /* owned, CW_GEN_TEXT_MAX bytes, reused for every message */
    uint64_t event_no;
    uint64_t by_type[CW_GEN_TYPE_CNT];
    uint64_t by_bad[CW_GEN_BAD_CNT];
    uint64_t bad_total;
    uint64_t closing;
    bool write_failed;
} run_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

static void send_text(run_t *run, int topic, uint64_t msisdn, size_t len)
{
    char key[24];
    size_t key_len = cw_gen_format_key(msisdn, key);
    if (cw_gen_sink_send(run->sink, topic, key, key_len, run->buf, len) != 0)
        run->write_failed = true;
}

/* Bad records follow a good one of the same subscriber, as a broken source
 * would interleave them; reasons take turns so every one shows. */
static void maybe_send_bad(run_t *run, const cw_gen_rec_t *rec)
{
    const cw_gen_opts_t *opts = run->opts;
    if (opts->bad_pct <= 0 || rec->type == CW_GEN_PROFILE)
        return;
    if (cw_gen_unit(cw_gen_hash4(opts->seed, 0xbad0, run->event_no, 0)) * 100 >=
        opts->bad_pct)
        return;
    cw_gen_bad_t reason = (cw_gen_bad_t)((run->bad_total + opts->seed) % CW_GEN_BAD_CNT);
    int topic;
    size_t len =
        cw_gen_format_bad(run->model, rec, reason, run->event_no, run->buf, &topic);
    run->event_no++;
    send_text(run, topic, run->model->subs[rec->sub].msisdn, len);
    run->by_bad[reason]++;
    run->bad_total++;
}

static int send_traffic(run_t *run)
{
    cw_gen_day_t day;
    memset(&day, 0, sizeof(day));
    for (int d = 0; d < 7 * run->opts->weeks && !stop_requested && !run->write_failed;
         d++) {
        if (cw_gen_traffic_day(run->model, d, &day) != 0) {
            fprintf(stderr, "cdrwarn-gen: out of memory generating day %d\n", d);
            cw_gen_day_free(&day);
            return -1;
        }
        for (size_t k = 0; k < day.cnt && !stop_requested && !run->write_failed; k++) {
            const cw_gen_rec_t *rec = &day.recs[k];
            uint64_t msisdn = run->model->subs[rec->sub].msisdn;
            size_t len =
                cw_gen_format_event(run->model, rec, msisdn, run->event_no, run->buf);
            run->event_no++;
            send_text(run, cw_gen_topic_of((cw_gen_type_t)rec->type), msisdn, len);
            run->by_type[rec->type]++;
            maybe_send_bad(run, rec);
        }
    }
    cw_gen_day_free(&day);
    return 0;
}

/* One zero-charge data event per partition of the first topic, dated the
 * last week's end + 7 h, so every partition's stream time passes end + 6 h
 * and the daemon closes the last week. The number for partition p is one
 * that librdkafka's default partitioner for keyed messages
 * (consistent_random: CRC32 of the key) puts on p, and that is no
 * subscriber: with no profile it has tier "unknown" and never alerts. */
static int send_closing(run_t *run)
{
    const cw_gen_opts_t *opts = run->opts;
    int partitions = cw_gen_sink_partitions(run->sink);
    if (opts->no_close || partitions <= 0)
        return 0;

    int32_t last_week = cw_week_of_day(opts->start_day) + opts->weeks - 1;
    cw_gen_rec_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.type = CW_GEN_DATA;
    rec.flags = CW_GEN_REC_CLOSING;
    rec.ts = cw_week_end_ms(last_week, opts->utc_offset_s) + CLOSING_HOURS * 3600000LL;

    for (int p = 0; p < partitions && !stop_requested; p++) {
        uint64_t msisdn = 0;
        for (uint64_t attempt = 0; attempt < CLOSING_MAX_TRIES; attempt++) {
            uint64_t candidate = cw_gen_number(
                true, cw_gen_hash4(opts->seed, 0xc105e, (uint64_t)p, attempt));
            char key[24];
            size_t key_len = cw_gen_format_key(candidate, key);
            if (rd_kafka_msg_partitioner_consistent_random(NULL, key, key_len, partitions,
                                                           NULL, NULL) == p &&
                !cw_gen_number_is_subscriber(run->model, candidate)) {
                msisdn = candidate;
                break;
            }
        }
        if (msisdn == 0) {
            fprintf(stderr, "cdrwarn-gen: found no number for partition %d\n", p);
            return -1;
        }
        size_t len =
            cw_gen_format_event(run->model, &rec, msisdn, run->event_no, run->buf);
        run->event_no++;
        send_text(run, CW_GEN_TOPIC_CDR, msisdn, len);
        run->closing++;
    }
    return 0;
}

/* --truth: what each subscriber was made to do, for tests to compare the
 * daemon's alerts and outcomes with (gen_truth.c). */
static int write_truth(const cw_gen_model_t *model, const char *path)
{
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        fprintf(stderr, "cdrwarn-gen: --truth %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = cw_gen_truth_write(model, out);
    if (fclose(out) != 0 || rc != 0) {
        fprintf(stderr, "cdrwarn-gen: --truth %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static double elapsed_s(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

static void print_summary(const run_t *run, const cw_gen_sink_stats_t *stats, double secs)
{
    const cw_gen_opts_t *opts = run->opts;
    const cw_gen_model_t *model = run->model;
    int32_t first_week = cw_week_of_day(opts->start_day);
    char first_label[CW_WEEK_LABEL_SIZE], last_label[CW_WEEK_LABEL_SIZE], start[11];
    cw_week_label(first_week, first_label);
    cw_week_label(first_week + opts->weeks - 1, last_label);
    cw_date_format_ymd(opts->start_day, start);

    fprintf(stderr,
            "cdrwarn-gen: %" PRIu32 " subscribers (high %" PRIu32 ", mid %" PRIu32
            ", low %" PRIu32 ", no profile %" PRIu32
            "), %s..%s from %s at %s, seed %" PRIu64 "\n",
            model->sub_cnt, model->tier_cnt[CW_GEN_TIER_HIGH],
            model->tier_cnt[CW_GEN_TIER_MID], model->tier_cnt[CW_GEN_TIER_LOW],
            model->tier_cnt[CW_GEN_TIER_NONE], first_label, last_label, start,
            opts->utc_offset_text, opts->seed);
    uint64_t good = 0;
    fprintf(stderr, "  events:");
    for (int t = 0; t < CW_GEN_TYPE_CNT; t++) {
        /* the types of --churn and --monthly only where they are on */
        if (t < CW_GEN_WEEKLY_TYPE_CNT || opts->churn || opts->monthly)
            fprintf(stderr, " %s %" PRIu64, cw_gen_type_names[t], run->by_type[t]);
        good += run->by_type[t];
    }
    fprintf(stderr, " (total %" PRIu64 ", activity scale %.3f)\n", good,
            model->usage_scale);
    fprintf(stderr, "  drifting subscribers: %" PRIu32 ";", model->drifting);
    for (int k = 0; k < CW_GEN_DRIFT_CNT; k++)
        fprintf(stderr, " %s %" PRIu32, cw_gen_drift_names[k], model->drift_cnt[k]);
    if (opts->churn)
        fprintf(stderr,
                "\n  churns: %" PRIu32 " after a drift, %" PRIu32
                " after a slow drift, %" PRIu32 " unwarned; %" PRIu32 " numbers recycled",
                model->churn_cnt[CW_GEN_WHY_DRIFT], model->churn_cnt[CW_GEN_WHY_SLOW],
                model->churn_cnt[CW_GEN_WHY_UNWARNED], model->recycled);
    if (opts->monthly) {
        fprintf(stderr, "\n  slow drifters: %" PRIu32 ";", model->slow_cnt);
        for (int k = 0; k < CW_GEN_SLOW_CNT; k++)
            fprintf(stderr, " %s %" PRIu32, cw_gen_slow_names[k],
                    model->slow_symptom_cnt[k]);
    }
    fprintf(stderr, "\n  bad records: %" PRIu64 ";", run->bad_total);
    for (int r = 0; r < CW_GEN_BAD_CNT; r++)
        fprintf(stderr, " %s %" PRIu64, cw_gen_bad_names[r], run->by_bad[r]);
    fprintf(stderr, "\n  closing events: %" PRIu64 "\n", run->closing);
    fprintf(stderr,
            "  messages: sent %" PRIu64 ", delivered %" PRIu64 ", failed %" PRIu64
            "; %.2f s, %.0f events/s\n",
            stats->sent, stats->delivered, stats->failed, secs,
            secs > 0 ? (double)stats->sent / secs : 0.0);
}

int main(int argc, char **argv)
{
    cw_gen_opts_t opts;
    cw_gen_model_t model;
    cw_gen_sink_stats_t stats;
    run_t run;
    char errbuf[512];
    struct timespec started;
    int rc = 1;

    int parsed = cw_gen_opts_parse(argc, argv, &opts, errbuf, sizeof(errbuf));
    if (parsed == 1)
        return 0;
    if (parsed < 0) {
        fprintf(stderr, "cdrwarn-gen: %s (see --help)\n", errbuf);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &started);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (cw_gen_model_build(&model, &opts, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "cdrwarn-gen: %s\n", errbuf);
        return 1;
    }
    memset(&run, 0, sizeof(run));
    memset(&stats, 0, sizeof(stats));
    if (opts.truth_path != NULL && write_truth(&model, opts.truth_path) != 0)
        goto out;
    run.opts = &opts;
    run.model = &model;
    run.buf = cw_malloc(CW_GEN_TEXT_MAX);
    if (run.buf == NULL) {
        fprintf(stderr, "cdrwarn-gen: out of memory\n");
        goto out;
    }
    run.sink = cw_gen_sink_open(&opts, errbuf, sizeof(errbuf));
    if (run.sink == NULL) {
        fprintf(stderr, "cdrwarn-gen: %s\n", errbuf);
        goto out;
    }

    int sent_ok = send_traffic(&run) == 0 && !stop_requested && send_closing(&run) == 0;
    int delivered_ok = cw_gen_sink_close(run.sink, &stats) == 0;
    run.sink = NULL;
    if (!opts.quiet)
        print_summary(&run, &stats, elapsed_s(&started));
    if (stats.failed > 0)
        fprintf(stderr, "cdrwarn-gen: %" PRIu64 " messages failed, first: %s\n",
                stats.failed, stats.first_error);
    if (stop_requested)
        fprintf(stderr, "cdrwarn-gen: interrupted\n");
    if (run.write_failed)
        fprintf(stderr, "cdrwarn-gen: writing to stdout failed\n");
    rc = sent_ok && delivered_ok && !run.write_failed ? 0 : 1;

out:
    cw_free(run.buf);
    cw_gen_model_free(&model);
    return rc;
}
