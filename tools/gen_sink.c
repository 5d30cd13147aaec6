/* cdrwarn-gen's output end: one message at a time to stdout or to Kafka
 * through an idempotent producer, paced to --rate, with delivery reports
 * counted so the exit status can say whether everything arrived. */
#include "gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "alloc.h"

/* Above this lag the pacer forgets the debt: a stall (broker down) must not
 * be followed by a burst to catch up. */
#define PACE_MAX_LAG_NS 100000000LL
/* Sleeping for less than this costs more than it saves. */
#define PACE_MIN_SLEEP_NS 200000LL
#define PACE_SLICE_NS 5000000LL
#define POLL_EVERY 256

struct cw_gen_sink {
    const cw_gen_opts_t *opts; /* borrowed */
    rd_kafka_t *rk;            /* NULL with --stdout */
    rd_kafka_topic_t *rkt[CW_GEN_TOPIC_CNT];
    int partitions[CW_GEN_TOPIC_CNT];
    cw_gen_sink_stats_t stats;
    uint64_t since_poll;
    int64_t pace_start_ns;
    uint64_t paced;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs on the thread that calls rd_kafka_poll(): ours. */
static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    cw_gen_sink_t *sink = opaque;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        sink->stats.delivered++;
        return;
    }
    if (sink->stats.failed++ == 0)
        snprintf(sink->stats.first_error, sizeof(sink->stats.first_error),
                 "%s [%" PRId32 "]: %s", rd_kafka_topic_name(msg->rkt), msg->partition,
                 rd_kafka_err2str(msg->err));
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                    char *errbuf, size_t errbuf_size)
{
    if (rd_kafka_conf_set(conf, key, value, errbuf, errbuf_size) != RD_KAFKA_CONF_OK)
        return -1;
    return 0;
}

/* Partition counts of the three topics, which must be equal for the daemon
 * (co-partitioning); a mismatch is only warned about here, the daemon is
 * the one that refuses. */
static int read_metadata(cw_gen_sink_t *sink, char *errbuf, size_t errbuf_size)
{
    for (int t = 0; t < CW_GEN_TOPIC_CNT; t++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(sink->rk, 0, sink->rkt[t], &md, 10000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errbuf, errbuf_size, "metadata for topic %s from %s: %s",
                     sink->opts->topics[t], sink->opts->brokers, rd_kafka_err2str(err));
            return -1;
        }
        if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errbuf, errbuf_size, "topic %s: %s", sink->opts->topics[t],
                     md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
            rd_kafka_metadata_destroy(md);
            return -1;
        }
        sink->partitions[t] = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    if (sink->partitions[1] != sink->partitions[0] ||
        sink->partitions[2] != sink->partitions[0])
        fprintf(stderr,
                "cdrwarn-gen: warning: topics %s, %s, %s have %d, %d, %d partitions; "
                "cdrwarnd needs them co-partitioned (equal counts)\n",
                sink->opts->topics[0], sink->opts->topics[1], sink->opts->topics[2],
                sink->partitions[0], sink->partitions[1], sink->partitions[2]);
    return 0;
}

static int kafka_open(cw_gen_sink_t *sink, char *errbuf, size_t errbuf_size)
{
    const cw_gen_opts_t *opts = sink->opts;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "bootstrap.servers", opts->brokers, errbuf, errbuf_size) != 0 ||
        conf_set(conf, "client.id", "cdrwarn-gen", errbuf, errbuf_size) != 0 ||
        /* no duplicates or reordering across broker retries */
        conf_set(conf, "enable.idempotence", "true", errbuf, errbuf_size) != 0 ||
        conf_set(conf, "compression.type", opts->compress ? "lz4" : "none", errbuf,
                 errbuf_size) != 0 ||
        conf_set(conf, "linger.ms", "5", errbuf, errbuf_size) != 0 ||
        conf_set(conf, "batch.num.messages", "10000", errbuf, errbuf_size) != 0 ||
        conf_set(conf, "queue.buffering.max.messages", "500000", errbuf, errbuf_size) !=
            0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
    rd_kafka_conf_set_opaque(conf, sink);
    sink->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errbuf_size);
    if (sink->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    conf = NULL; /* owned by rk now */
    for (int t = 0; t < CW_GEN_TOPIC_CNT; t++) {
        sink->rkt[t] = rd_kafka_topic_new(sink->rk, opts->topics[t], NULL);
        if (sink->rkt[t] == NULL) {
            snprintf(errbuf, errbuf_size, "topic %s: %s", opts->topics[t],
                     rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
    }
    return read_metadata(sink, errbuf, errbuf_size);
}

static void sink_free(cw_gen_sink_t *sink)
{
    for (int t = 0; t < CW_GEN_TOPIC_CNT; t++)
        if (sink->rkt[t] != NULL)
            rd_kafka_topic_destroy(sink->rkt[t]);
    if (sink->rk != NULL)
        rd_kafka_destroy(sink->rk);
    cw_free(sink);
}

cw_gen_sink_t *cw_gen_sink_open(const cw_gen_opts_t *opts, char *errbuf,
                                size_t errbuf_size)
{
    cw_gen_sink_t *sink = cw_calloc(1, sizeof(*sink));
    if (sink == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return NULL;
    }
    sink->opts = opts;
    if (opts->to_stdout) {
        /* full buffering: a line at a time would be a syscall per event */
        static char stdout_buf[1 << 20];
        setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
        for (int t = 0; t < CW_GEN_TOPIC_CNT; t++)
            sink->partitions[t] = opts->partitions;
        return sink;
    }
    if (kafka_open(sink, errbuf, errbuf_size) != 0) {
        sink_free(sink);
        return NULL;
    }
    return sink;
}

/* Token bucket with one token per event: sleep in slices until the event is
 * due, serving delivery reports meanwhile. */
static void pace(cw_gen_sink_t *sink)
{
    double rate = sink->opts->rate;
    if (rate <= 0)
        return;
    int64_t now = mono_ns();
    if (sink->paced == 0)
        sink->pace_start_ns = now;
    int64_t due = sink->pace_start_ns + (int64_t)((double)sink->paced * 1e9 / rate);
    if (now - due > PACE_MAX_LAG_NS) {
        sink->pace_start_ns += now - due - PACE_MAX_LAG_NS;
        due = now - PACE_MAX_LAG_NS;
    }
    while (due - now > PACE_MIN_SLEEP_NS) {
        int64_t wait = due - now < PACE_SLICE_NS ? due - now : PACE_SLICE_NS;
        if (sink->rk != NULL)
            rd_kafka_poll(sink->rk, 0);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)wait};
        nanosleep(&ts, NULL);
        now = mono_ns();
    }
    sink->paced++;
}

int cw_gen_sink_send(cw_gen_sink_t *sink, int topic, const char *key, size_t key_len,
                     const char *value, size_t value_len)
{
    pace(sink);
    if (sink->rk == NULL) {
        fwrite(value, 1, value_len, stdout);
        if (putchar('\n') == EOF)
            return -1;
        sink->stats.sent++;
        sink->stats.delivered++;
        return 0;
    }
    for (;;) {
        if (rd_kafka_produce(sink->rkt[topic], RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                             (void *)value, value_len, key, key_len, NULL) == 0)
            break;
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* the broker is slower than we are: wait for deliveries */
            rd_kafka_poll(sink->rk, 10);
            continue;
        }
        if (sink->stats.failed++ == 0)
            snprintf(sink->stats.first_error, sizeof(sink->stats.first_error),
                     "producing to %.64s: %.120s", sink->opts->topics[topic],
                     rd_kafka_err2str(err));
        return 0;
    }
    sink->stats.sent++;
    if (++sink->since_poll >= POLL_EVERY) {
        sink->since_poll = 0;
        rd_kafka_poll(sink->rk, 0);
    }
    return 0;
}

int cw_gen_sink_partitions(const cw_gen_sink_t *sink)
{
    return sink->partitions[CW_GEN_TOPIC_CDR];
}

int cw_gen_sink_close(cw_gen_sink_t *sink, cw_gen_sink_stats_t *stats)
{
    if (sink->rk != NULL) {
        /* librdkafka fails every message after message.timeout.ms (5 min),
         * so this loop ends even with the broker gone */
        while (rd_kafka_flush(sink->rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
            ;
        rd_kafka_poll(sink->rk, 0);
    } else if (fflush(stdout) != 0 && sink->stats.failed++ == 0) {
        snprintf(sink->stats.first_error, sizeof(sink->stats.first_error),
                 "writing to stdout: %s", strerror(errno));
    }
    *stats = sink->stats;
    sink_free(sink);
    return stats->failed == 0 && stats->delivered == stats->sent ? 0 : -1;
}
