/* Helpers for the operations tests (tests/integration/test_ops_*.c), beside
 * the harness: an sd_notify socket that records every datagram the daemon
 * sends with its arrival time, a strict parser of the Prometheus text format
 * of /metrics, a bounded wait on /healthz, the daemon's log counted by line,
 * and the rules_version of `cdrwarnd --check-config`.
 *
 * Every fallible call returns 0 (or an index >= 0) and -1 on failure, with
 * the reason in cw_harness_ops_error(); every wait has a deadline. A scenario
 * run in an unchecked fixture uses CW_OPS_STEP (and CW_HARNESS_STEP for the
 * harness's own calls); every test then begins with CW_OPS_REQUIRE. */
#ifndef CW_HARNESS_OPS_H
#define CW_HARNESS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The reason of the last failed call of this module. */
const char *cw_harness_ops_error(void);
/* Remembers the first failure of a scenario as "<what>: <error>" and dumps
 * the processes' logs. */
void cw_harness_ops_fail(cw_harness_t *h, const char *what);
const char *cw_harness_ops_failure(void); /* NULL when none */
/* The same for a failure the scenario found itself; returns -1. */
int cw_harness_ops_failf(cw_harness_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define CW_OPS_STEP(h, call)                                                             \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            cw_harness_ops_fail(h, #call);                                               \
            return -1;                                                                   \
        }                                                                                \
    } while (0)

#define CW_OPS_OK(h, call)                                                               \
    do {                                                                                 \
        if ((call) != 0) {                                                               \
            cw_harness_dump_logs(h);                                                     \
            ck_abort_msg("%s failed: %s", #call, cw_harness_ops_error());                \
        }                                                                                \
    } while (0)

#define CW_OPS_REQUIRE(h)                                                                \
    do {                                                                                 \
        CW_HARNESS_REQUIRE(h);                                                           \
        ck_assert_msg(cw_harness_ops_failure() == NULL, "the scenario failed: %s",       \
                      cw_harness_ops_failure());                                         \
    } while (0)

/* Monotonic clock in microseconds: the clock of MONOTONIC_USEC= and of the
 * arrival times below (CLOCK_MONOTONIC is one clock for every process). */
int64_t cw_harness_ops_mono_us(void);

/* ---- sd_notify ---------------------------------------------------------- */

#define CW_NOTICE_SIZE 512

/* One datagram as received: its lines ("READY=1\nSTATUS=consuming") and the
 * monotonic time of its arrival. */
typedef struct cw_notice {
    int64_t at_us;
    char text[CW_NOTICE_SIZE];
} cw_notice_t;

typedef struct cw_notifylog cw_notifylog_t;

/* Binds an AF_UNIX datagram socket at <dir>/notify.sock and records every
 * datagram from then on, in a thread of its own. A new log, or NULL. */
cw_notifylog_t *cw_notifylog_open(const char *dir);
/* The socket's path, for NOTIFY_SOCKET. Borrowed from the log. */
const char *cw_notifylog_path(const cw_notifylog_t *log);
/* Until a notice at index >= from has a line starting with `line`
 * ("READY=1", "STATUS=", "WATCHDOG=1"); returns its index, or -1 when none
 * came within timeout_ms. */
int cw_notifylog_wait(cw_notifylog_t *log, size_t from, const char *line, int timeout_ms);
size_t cw_notifylog_count(cw_notifylog_t *log);
/* A copy of notice i; -1 when there is none. */
int cw_notifylog_get(cw_notifylog_t *log, size_t i, cw_notice_t *notice);
/* Stops recording (joins the thread, closes and removes the socket); what was
 * recorded stays readable without locks, so forked tests can read it. */
void cw_notifylog_stop(cw_notifylog_t *log);
void cw_notifylog_free(cw_notifylog_t *log); /* NULL is fine */

/* Whether the notice has exactly this line ("READY=1"). */
bool cw_notice_has(const cw_notice_t *notice, const char *line);
/* The value of the notice's line "<key>=<value>" (key given as "STATUS="),
 * copied into out; false when the notice has no such line. */
bool cw_notice_value(const cw_notice_t *notice, const char *key, char *out, size_t size);

/* ---- /metrics ----------------------------------------------------------- */

#define CW_SCRAPE_NAME_SIZE 128
#define CW_SCRAPE_LABELS 4

typedef struct cw_scrape_label {
    char name[64];
    char value[128]; /* unescaped */
} cw_scrape_label_t;

typedef struct cw_scrape_sample {
    char name[CW_SCRAPE_NAME_SIZE];   /* as exposed: ..._bucket, ..._count */
    char family[CW_SCRAPE_NAME_SIZE]; /* the family it belongs to */
    char series[512];                 /* the line up to the value, as exposed */
    cw_scrape_label_t labels[CW_SCRAPE_LABELS];
    int label_count;
    double value;
    int line;
} cw_scrape_sample_t;

typedef struct cw_scrape_family {
    char name[CW_SCRAPE_NAME_SIZE];
    char type[16]; /* counter, gauge, histogram, summary, untyped */
    bool has_help, has_type;
    size_t samples;
} cw_scrape_family_t;

typedef struct cw_scrape {
    cw_scrape_family_t *families;
    size_t family_count;
    cw_scrape_sample_t *samples;
    size_t sample_count;
} cw_scrape_t;

/* Parses an exposition in the Prometheus text format 0.0.4, strictly: every
 * line a comment, a "# HELP", a "# TYPE" or a sample line that parses
 * (metric and label names, quoted and escaped label values, a number, +Inf,
 * -Inf or NaN, an optional integer timestamp; tokens apart by blanks);
 * every family has one HELP and one TYPE before its samples, and its samples
 * together; a histogram's samples are its _bucket (with le), _sum and _count;
 * no series twice. The error names the line. *scrape is reset first and
 * left empty on failure. */
int cw_scrape_parse(const char *text, cw_scrape_t *scrape);
/* GET /metrics (200 expected), then cw_scrape_parse. */
int cw_scrape_get(cw_harness_t *h, cw_scrape_t *scrape);
void cw_scrape_free(cw_scrape_t *scrape);
/* The sample whose series is exactly `series` (labels as exposed, e.g.
 * cdrwarn_events_total{type="sms"}); NULL when absent. Borrowed. */
const cw_scrape_sample_t *cw_scrape_find(const cw_scrape_t *scrape, const char *series);
/* The family named `name`; NULL when absent. Borrowed. */
const cw_scrape_family_t *cw_scrape_family(const cw_scrape_t *scrape, const char *name);
/* The value of one label of the sample; NULL when it has no such label. */
const char *cw_scrape_label(const cw_scrape_sample_t *sample, const char *name);
/* Checks a histogram family: buckets in increasing le order ending with
 * +Inf, cumulative counts never decreasing, +Inf equal to _count, _sum
 * present and not negative; *count is its _count. */
int cw_scrape_histogram(const cw_scrape_t *scrape, const char *family, double *count);

/* ---- the daemon --------------------------------------------------------- */

/* Polls GET /healthz every 20 ms until it answers `status` (and, when
 * `reason` is not NULL, the body holds it); *elapsed_ms is the time taken,
 * *body (may be NULL) the last body, malloc'd. */
int cw_harness_ops_health_wait(cw_harness_t *h, int status, const char *reason,
                               int timeout_ms, int *elapsed_ms, char **body);
/* The number of lines of the daemon's log (every run so far) holding text;
 * -1 when the log cannot be read. */
int cw_harness_ops_log_count(cw_harness_t *h, const char *text);
/* The 1-based number of the first line of the written config that starts
 * with text; -1 when none. */
int cw_harness_ops_config_line(cw_harness_t *h, const char *text);
/* The rules_version `cdrwarnd -c <config> --check-config` prints for the
 * config as written now; -1 when the config is refused. */
int cw_harness_ops_rules_version(cw_harness_t *h, char out[17]);

#endif
