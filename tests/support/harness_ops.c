/* Helpers for the operations tests (see harness_ops.h): the sd_notify
 * recorder, the /metrics parser, the health wait and the log and config
 * readers. */
#include "harness_ops.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CW_CDRWARND
#error "CW_CDRWARND must name the cdrwarnd binary"
#endif

#define RECV_POLL_MS 20
#define HEALTH_POLL_MS 20

static char last_error[1024];
static char *failure;

static int set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return -1;
}

const char *cw_harness_ops_error(void)
{
    return last_error;
}

void cw_harness_ops_fail(cw_harness_t *h, const char *what)
{
    if (failure == NULL) {
        size_t size = strlen(what) + strlen(last_error) + 3;
        failure = malloc(size);
        if (failure != NULL)
            snprintf(failure, size, "%s: %s", what, last_error);
        cw_harness_log(h, "FAILED: %s: %s", what, last_error);
    }
    cw_harness_dump_logs(h);
}

int cw_harness_ops_failf(cw_harness_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    cw_harness_ops_fail(h, "scenario");
    return -1;
}

const char *cw_harness_ops_failure(void)
{
    return failure;
}

int64_t cw_harness_ops_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- sd_notify ---------------------------------------------------------- */

struct cw_notifylog {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;
    pthread_t thread;
    bool running;
    volatile bool stopping;
    pthread_mutex_t lock;
    pthread_cond_t arrived;
    cw_notice_t *items;
    size_t count, cap;
};

static void *notifylog_run(void *arg)
{
    cw_notifylog_t *log = arg;
    while (!log->stopping) {
        struct pollfd pfd = {log->fd, POLLIN, 0};
        if (poll(&pfd, 1, RECV_POLL_MS) <= 0)
            continue;
        cw_notice_t notice;
        ssize_t n = recv(log->fd, notice.text, sizeof notice.text - 1, MSG_DONTWAIT);
        if (n < 0)
            continue;
        notice.at_us = cw_harness_ops_mono_us();
        notice.text[n] = '\0';
        pthread_mutex_lock(&log->lock);
        if (log->count == log->cap) {
            size_t cap = log->cap ? log->cap * 2 : 256;
            cw_notice_t *items = realloc(log->items, cap * sizeof *items);
            if (items != NULL) {
                log->items = items;
                log->cap = cap;
            }
        }
        if (log->count < log->cap)
            log->items[log->count++] = notice;
        pthread_cond_broadcast(&log->arrived);
        pthread_mutex_unlock(&log->lock);
    }
    return NULL;
}

cw_notifylog_t *cw_notifylog_open(const char *dir)
{
    cw_notifylog_t *log = calloc(1, sizeof *log);
    if (log == NULL) {
        set_error("out of memory");
        return NULL;
    }
    log->fd = -1;
    int len = snprintf(log->path, sizeof log->path, "%s/notify.sock", dir);
    if (len < 0 || (size_t)len >= sizeof log->path) {
        set_error("%s/notify.sock: path too long for a unix socket", dir);
        free(log);
        return NULL;
    }
    log->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, log->path, (size_t)len + 1);
    if (log->fd < 0 || bind(log->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        set_error("cannot bind %s: %s", log->path, strerror(errno));
        if (log->fd >= 0)
            close(log->fd);
        free(log);
        return NULL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&log->arrived, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&log->lock, NULL);
    int rc = pthread_create(&log->thread, NULL, notifylog_run, log);
    if (rc != 0) {
        set_error("pthread_create: %s", strerror(rc));
        close(log->fd);
        unlink(log->path);
        pthread_mutex_destroy(&log->lock);
        pthread_cond_destroy(&log->arrived);
        free(log);
        return NULL;
    }
    log->running = true;
    return log;
}

const char *cw_notifylog_path(const cw_notifylog_t *log)
{
    return log->path;
}

static bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; p != NULL && *p;) {
        if (strncmp(p, line, len) == 0)
            return true;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return false;
}

int cw_notifylog_wait(cw_notifylog_t *log, size_t from, const char *line, int timeout_ms)
{
    int64_t deadline_us = cw_harness_ops_mono_us() + (int64_t)timeout_ms * 1000;
    struct timespec deadline = {(time_t)(deadline_us / 1000000),
                                (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&log->lock);
    size_t next = from;
    int found = -1;
    for (;;) {
        for (; next < log->count && found < 0; next++)
            if (has_line(log->items[next].text, line))
                found = (int)next;
        if (found >= 0 || !log->running ||
            pthread_cond_timedwait(&log->arrived, &log->lock, &deadline) == ETIMEDOUT)
            break;
    }
    /* a last look: the timed wait may end just as one arrived */
    for (; next < log->count && found < 0; next++)
        if (has_line(log->items[next].text, line))
            found = (int)next;
    size_t count = log->count;
    pthread_mutex_unlock(&log->lock);
    if (found < 0)
        set_error(
            "no sd_notify \"%s\" from notice %zu on within %d ms (%zu notices in all)",
            line, from, timeout_ms, count);
    return found;
}

size_t cw_notifylog_count(cw_notifylog_t *log)
{
    if (log->running)
        pthread_mutex_lock(&log->lock);
    size_t count = log->count;
    if (log->running)
        pthread_mutex_unlock(&log->lock);
    return count;
}

int cw_notifylog_get(cw_notifylog_t *log, size_t i, cw_notice_t *notice)
{
    if (log->running)
        pthread_mutex_lock(&log->lock);
    int rc = i < log->count ? 0 : -1;
    if (rc == 0)
        *notice = log->items[i];
    if (log->running)
        pthread_mutex_unlock(&log->lock);
    if (rc != 0)
        set_error("no notice %zu", i);
    return rc;
}

void cw_notifylog_stop(cw_notifylog_t *log)
{
    if (log == NULL || !log->running)
        return;
    log->stopping = true;
    pthread_join(log->thread, NULL);
    log->running = false;
    close(log->fd);
    log->fd = -1;
    unlink(log->path);
}

void cw_notifylog_free(cw_notifylog_t *log)
{
    if (log == NULL)
        return;
    cw_notifylog_stop(log);
    pthread_mutex_destroy(&log->lock);
    pthread_cond_destroy(&log->arrived);
    free(log->items);
    free(log);
}

bool cw_notice_has(const cw_notice_t *notice, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = notice->text; p != NULL && *p;) {
        const char *end = strchr(p, '\n');
        size_t line_len = end ? (size_t)(end - p) : strlen(p);
        if (line_len == len && strncmp(p, line, len) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

bool cw_notice_value(const cw_notice_t *notice, const char *key, char *out, size_t size)
{
    size_t len = strlen(key);
    for (const char *p = notice->text; p != NULL && *p;) {
        const char *end = strchr(p, '\n');
        size_t line_len = end ? (size_t)(end - p) : strlen(p);
        if (line_len >= len && strncmp(p, key, len) == 0) {
            snprintf(out, size, "%.*s", (int)(line_len - len), p + len);
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* ---- /metrics ----------------------------------------------------------- */

static bool name_start(char c, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':');
}

static bool name_char(char c, bool colon)
{
    return name_start(c, colon) || (c >= '0' && c <= '9');
}

/* A metric name (colon allowed) or label name at p; its length, 0 when none. */
static size_t scan_name(const char *p, bool colon)
{
    if (!name_start(*p, colon))
        return 0;
    size_t n = 1;
    while (name_char(p[n], colon))
        n++;
    return n;
}

/* A sample value: a decimal float, +Inf, -Inf or NaN (Go's ParseFloat, which
 * Prometheus uses, also takes "Inf"). */
static bool parse_value(const char *text, double *value)
{
    if (strcmp(text, "+Inf") == 0 || strcmp(text, "Inf") == 0) {
        *value = INFINITY;
        return true;
    }
    if (strcmp(text, "-Inf") == 0) {
        *value = -INFINITY;
        return true;
    }
    if (strcmp(text, "NaN") == 0) {
        *value = NAN;
        return true;
    }
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return false;
    *value = strtod(text, NULL);
    return true;
}

static cw_scrape_family_t *family_named(cw_scrape_t *scrape, const char *name, size_t len)
{
    for (size_t i = 0; i < scrape->family_count; i++)
        if (strlen(scrape->families[i].name) == len &&
            strncmp(scrape->families[i].name, name, len) == 0)
            return &scrape->families[i];
    return NULL;
}

static cw_scrape_family_t *family_add(cw_scrape_t *scrape, const char *name, size_t len)
{
    cw_scrape_family_t *family = family_named(scrape, name, len);
    if (family != NULL)
        return family;
    if (len >= CW_SCRAPE_NAME_SIZE)
        return NULL;
    cw_scrape_family_t *families =
        realloc(scrape->families, (scrape->family_count + 1) * sizeof *families);
    if (families == NULL)
        return NULL;
    scrape->families = families;
    family = &families[scrape->family_count++];
    memset(family, 0, sizeof *family);
    memcpy(family->name, name, len);
    return family;
}

static bool has_suffix(const char *name, const char *family, const char *suffix)
{
    size_t n = strlen(family);
    return strncmp(name, family, n) == 0 && strcmp(name + n, suffix) == 0;
}

/* The family a sample name belongs to: a histogram's or summary's by suffix,
 * else the family of the same name. */
static cw_scrape_family_t *family_of(cw_scrape_t *scrape, const char *name)
{
    for (size_t i = 0; i < scrape->family_count; i++) {
        cw_scrape_family_t *f = &scrape->families[i];
        bool histogram = strcmp(f->type, "histogram") == 0;
        bool summary = strcmp(f->type, "summary") == 0;
        if ((histogram && has_suffix(name, f->name, "_bucket")) ||
            ((histogram || summary) &&
             (has_suffix(name, f->name, "_sum") || has_suffix(name, f->name, "_count"))))
            return f;
    }
    return family_named(scrape, name, strlen(name));
}

/* The format separates tokens by any run of blanks (spaces or tabs). */
static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Labels {a="x",b="y"} at *p (just after the name); advances *p past them. */
static int parse_labels(const char **p, cw_scrape_sample_t *sample, int line)
{
    const char *q = *p;
    if (*q != '{')
        return 0;
    q = skip_blanks(q + 1);
    while (*q != '}') {
        size_t n = scan_name(q, false);
        if (n == 0)
            return set_error("/metrics line %d: a label name expected at '%.20s'", line,
                             q);
        if (sample->label_count == CW_SCRAPE_LABELS || n >= sizeof sample->labels[0].name)
            return set_error("/metrics line %d: more labels than this parser keeps",
                             line);
        cw_scrape_label_t *label = &sample->labels[sample->label_count++];
        memcpy(label->name, q, n);
        label->name[n] = '\0';
        for (int i = 0; i < sample->label_count - 1; i++)
            if (strcmp(sample->labels[i].name, label->name) == 0)
                return set_error("/metrics line %d: label %s given twice", line,
                                 label->name);
        q = skip_blanks(q + n);
        if (*q != '=')
            return set_error("/metrics line %d: label %s: '=' expected", line,
                             label->name);
        q = skip_blanks(q + 1);
        if (*q != '"')
            return set_error("/metrics line %d: label %s: a quoted value expected", line,
                             label->name);
        q++;
        size_t len = 0;
        while (*q != '"') {
            char c = *q;
            if (c == '\0')
                return set_error("/metrics line %d: label %s: unterminated value", line,
                                 label->name);
            if (c == '\\') {
                q++;
                if (*q == 'n')
                    c = '\n';
                else if (*q == '\\' || *q == '"')
                    c = *q;
                else
                    return set_error("/metrics line %d: label %s: bad escape \\%c", line,
                                     label->name, *q ? *q : '0');
            }
            if (len + 1 >= sizeof label->value)
                return set_error("/metrics line %d: label %s: value too long", line,
                                 label->name);
            label->value[len++] = c;
            q++;
        }
        label->value[len] = '\0';
        q = skip_blanks(q + 1);
        if (*q == ',')
            q = skip_blanks(q + 1);
        else if (*q != '}')
            return set_error("/metrics line %d: ',' or '}' expected after label %s", line,
                             label->name);
    }
    *p = q + 1;
    return 0;
}

/* Two label sets equal whatever their order. */
static bool same_labels(const cw_scrape_sample_t *a, const cw_scrape_sample_t *b)
{
    if (a->label_count != b->label_count)
        return false;
    for (int i = 0; i < a->label_count; i++) {
        const char *value = cw_scrape_label(b, a->labels[i].name);
        if (value == NULL || strcmp(value, a->labels[i].value) != 0)
            return false;
    }
    return true;
}

static int parse_sample(cw_scrape_t *scrape, const char *text, int line,
                        cw_scrape_family_t **current)
{
    cw_scrape_sample_t sample;
    memset(&sample, 0, sizeof sample);
    sample.line = line;
    size_t n = scan_name(text, true);
    if (n == 0 || n >= sizeof sample.name)
        return set_error("/metrics line %d: not a sample line: '%.60s'", line, text);
    memcpy(sample.name, text, n);
    const char *p = text + n;
    if (*skip_blanks(p) == '{')
        p = skip_blanks(p);
    if (parse_labels(&p, &sample, line) != 0)
        return -1;
    snprintf(sample.series, sizeof sample.series, "%.*s", (int)(p - text), text);
    if (*p != ' ' && *p != '\t')
        return set_error("/metrics line %d: a blank before the value expected", line);
    p = skip_blanks(p);
    char value[64];
    size_t len = strcspn(p, " \t");
    if (len == 0 || len >= sizeof value)
        return set_error("/metrics line %d: no value", line);
    memcpy(value, p, len);
    value[len] = '\0';
    if (!parse_value(value, &sample.value))
        return set_error("/metrics line %d: value '%s' is not a number", line, value);
    p = skip_blanks(p + len);
    if (*p != '\0') {
        /* an optional timestamp: integer milliseconds */
        const char *t = p;
        if (*t == '-')
            t++;
        size_t digits = strspn(t, "0123456789");
        if (digits == 0 || *skip_blanks(t + digits) != '\0')
            return set_error("/metrics line %d: bad timestamp '%s'", line, p);
    }

    cw_scrape_family_t *family = family_of(scrape, sample.name);
    if (family == NULL || !family->has_help || !family->has_type)
        return set_error("/metrics line %d: %s has no # HELP and # TYPE before it", line,
                         sample.name);
    if (family != *current && family->samples > 0)
        return set_error("/metrics line %d: the samples of %s are not together", line,
                         family->name);
    *current = family;
    bool bucket = strcmp(family->type, "histogram") == 0 &&
                  has_suffix(sample.name, family->name, "_bucket");
    const char *le = cw_scrape_label(&sample, "le");
    double le_value;
    if (bucket && (le == NULL || !parse_value(le, &le_value)))
        return set_error("/metrics line %d: a histogram bucket needs a numeric le label",
                         line);
    if (!bucket && le != NULL && strcmp(family->type, "histogram") == 0)
        return set_error("/metrics line %d: le on a histogram's %s", line, sample.name);
    snprintf(sample.family, sizeof sample.family, "%s", family->name);
    for (size_t i = 0; i < scrape->sample_count; i++)
        if (strcmp(scrape->samples[i].name, sample.name) == 0 &&
            same_labels(&scrape->samples[i], &sample))
            return set_error("/metrics line %d: series %s already on line %d", line,
                             sample.series, scrape->samples[i].line);
    cw_scrape_sample_t *samples =
        realloc(scrape->samples, (scrape->sample_count + 1) * sizeof *samples);
    if (samples == NULL)
        return set_error("out of memory");
    scrape->samples = samples;
    samples[scrape->sample_count++] = sample;
    family->samples++;
    return 0;
}

/* "# HELP name text" and "# TYPE name type"; other comments are ignored. */
static int parse_comment(cw_scrape_t *scrape, const char *text, int line,
                         cw_scrape_family_t **current)
{
    const char *p = skip_blanks(text + 1);
    bool help = strncmp(p, "HELP", 4) == 0 && (p[4] == ' ' || p[4] == '\t');
    bool type = strncmp(p, "TYPE", 4) == 0 && (p[4] == ' ' || p[4] == '\t');
    if (!help && !type)
        return 0;
    const char *name = skip_blanks(p + 4);
    size_t n = scan_name(name, true);
    if (n == 0 || (name[n] != ' ' && name[n] != '\t' && name[n] != '\0'))
        return set_error("/metrics line %d: a metric name expected after %s", line,
                         help ? "HELP" : "TYPE");
    cw_scrape_family_t *family = family_add(scrape, name, n);
    if (family == NULL)
        return set_error("out of memory");
    if (family->samples > 0)
        return set_error("/metrics line %d: %s for %s after its samples", line,
                         help ? "HELP" : "TYPE", family->name);
    const char *rest = skip_blanks(name + n);
    if (help) {
        if (family->has_help)
            return set_error("/metrics line %d: a second HELP for %s", line,
                             family->name);
        family->has_help = true;
    } else {
        static const char *const types[] = {"counter", "gauge", "histogram", "summary",
                                            "untyped"};
        size_t len = strcspn(rest, " \t");
        bool known = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known =
                known || (strlen(types[i]) == len && strncmp(rest, types[i], len) == 0);
        if (!known || *skip_blanks(rest + len) != '\0')
            return set_error("/metrics line %d: unknown type '%s'", line, rest);
        if (family->has_type)
            return set_error("/metrics line %d: a second TYPE for %s", line,
                             family->name);
        family->has_type = true;
        snprintf(family->type, sizeof family->type, "%.*s", (int)len, rest);
    }
    *current = family;
    return 0;
}

int cw_scrape_parse(const char *text, cw_scrape_t *scrape)
{
    memset(scrape, 0, sizeof *scrape);
    size_t total = strlen(text);
    if (total > 0 && text[total - 1] != '\n')
        return set_error("/metrics: the last line does not end with a line feed");
    cw_scrape_family_t *current = NULL;
    int line = 0;
    for (const char *p = text; *p;) {
        line++;
        const char *end = strchr(p, '\n');
        size_t len = (size_t)(end - p);
        char *copy = malloc(len + 1);
        if (copy == NULL)
            return set_error("out of memory");
        memcpy(copy, p, len);
        copy[len] = '\0';
        int rc = 0;
        if (strchr(copy, '\r') != NULL)
            rc = set_error("/metrics line %d: a CR: lines end with a line feed alone",
                           line);
        else if (copy[0] == '#')
            rc = parse_comment(scrape, copy, line, &current);
        else if (copy[0] != '\0')
            rc = parse_sample(scrape, copy, line, &current);
        free(copy);
        if (rc != 0) {
            cw_scrape_free(scrape);
            return -1;
        }
        p = end + 1;
    }
    return 0;
}

int cw_scrape_get(cw_harness_t *h, cw_scrape_t *scrape)
{
    memset(scrape, 0, sizeof *scrape);
    int status = 0;
    char *body = NULL;
    if (cw_harness_http_get(h, "/metrics", &status, &body) != 0)
        return set_error("GET /metrics: %s", cw_harness_error(h));
    int rc = status == 200 ? cw_scrape_parse(body, scrape)
                           : set_error("GET /metrics answered %d", status);
    free(body);
    return rc;
}

void cw_scrape_free(cw_scrape_t *scrape)
{
    free(scrape->families);
    free(scrape->samples);
    memset(scrape, 0, sizeof *scrape);
}

const cw_scrape_sample_t *cw_scrape_find(const cw_scrape_t *scrape, const char *series)
{
    for (size_t i = 0; i < scrape->sample_count; i++)
        if (strcmp(scrape->samples[i].series, series) == 0)
            return &scrape->samples[i];
    return NULL;
}

const cw_scrape_family_t *cw_scrape_family(const cw_scrape_t *scrape, const char *name)
{
    return family_named((cw_scrape_t *)scrape, name, strlen(name));
}

const char *cw_scrape_label(const cw_scrape_sample_t *sample, const char *name)
{
    for (int i = 0; i < sample->label_count; i++)
        if (strcmp(sample->labels[i].name, name) == 0)
            return sample->labels[i].value;
    return NULL;
}

int cw_scrape_histogram(const cw_scrape_t *scrape, const char *family, double *count)
{
    const cw_scrape_family_t *f = cw_scrape_family(scrape, family);
    if (f == NULL || strcmp(f->type, "histogram") != 0)
        return set_error("%s: no histogram of that name", family);
    char bucket[CW_SCRAPE_NAME_SIZE + 8], sum[CW_SCRAPE_NAME_SIZE + 8],
        total[CW_SCRAPE_NAME_SIZE + 8];
    snprintf(bucket, sizeof bucket, "%s_bucket", family);
    snprintf(sum, sizeof sum, "%s_sum", family);
    snprintf(total, sizeof total, "%s_count", family);
    const cw_scrape_sample_t *sum_sample = cw_scrape_find(scrape, sum);
    const cw_scrape_sample_t *count_sample = cw_scrape_find(scrape, total);
    if (sum_sample == NULL || count_sample == NULL)
        return set_error("%s: %s missing", family, sum_sample ? total : sum);
    if (!(sum_sample->value >= 0) || isinf(sum_sample->value))
        return set_error("%s: _sum is %g", family, sum_sample->value);
    double prev_le = -INFINITY, prev_count = 0;
    size_t buckets = 0;
    bool inf_seen = false;
    for (size_t i = 0; i < scrape->sample_count; i++) {
        const cw_scrape_sample_t *s = &scrape->samples[i];
        if (strcmp(s->name, bucket) != 0)
            continue;
        if (s->label_count != 1)
            return set_error("%s: a bucket with labels besides le (line %d)", family,
                             s->line);
        if (inf_seen)
            return set_error("%s: a bucket after +Inf (line %d)", family, s->line);
        double le;
        parse_value(cw_scrape_label(s, "le"), &le);
        if (!(le > prev_le))
            return set_error("%s: le %g does not increase (line %d)", family, le,
                             s->line);
        if (s->value < prev_count)
            return set_error("%s: bucket le=%g holds %g, fewer than the %g below it",
                             family, le, s->value, prev_count);
        prev_le = le;
        prev_count = s->value;
        inf_seen = isinf(le);
        buckets++;
    }
    if (buckets == 0 || !inf_seen)
        return set_error("%s: no +Inf bucket", family);
    if (prev_count != count_sample->value)
        return set_error("%s: +Inf bucket %g differs from _count %g", family, prev_count,
                         count_sample->value);
    *count = count_sample->value;
    return 0;
}

/* ---- the daemon --------------------------------------------------------- */

int cw_harness_ops_health_wait(cw_harness_t *h, int status, const char *reason,
                               int timeout_ms, int *elapsed_ms, char **body)
{
    int64_t start = cw_harness_ops_mono_us();
    int64_t deadline = start + (int64_t)timeout_ms * 1000;
    int last_status = 0;
    char *last_body = NULL;
    char last_error_text[256] = "";
    int rc = -1;
    for (;;) {
        int got = 0;
        char *text = NULL;
        if (cw_harness_http_get(h, "/healthz", &got, &text) == 0) {
            free(last_body);
            last_body = text;
            last_status = got;
            if (got == status && (reason == NULL || strstr(text, reason) != NULL)) {
                rc = 0;
                break;
            }
        } else {
            snprintf(last_error_text, sizeof last_error_text, "%s", cw_harness_error(h));
        }
        if (cw_harness_ops_mono_us() >= deadline)
            break;
        cw_harness_sleep_ms(HEALTH_POLL_MS);
    }
    if (elapsed_ms != NULL)
        *elapsed_ms = (int)((cw_harness_ops_mono_us() - start) / 1000);
    if (rc != 0)
        set_error("/healthz did not answer %d%s%s within %d ms (last: %d %s%s)", status,
                  reason ? " with " : "", reason ? reason : "", timeout_ms, last_status,
                  last_body ? last_body : "", last_error_text);
    if (body != NULL)
        *body = last_body;
    else
        free(last_body);
    return rc;
}

static int count_lines(const char *path, const char *text, bool prefix, int *first)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return set_error("cannot read %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int count = 0, number = 0;
    *first = -1;
    while (getline(&line, &cap, f) >= 0) {
        number++;
        bool hit =
            prefix ? strncmp(line, text, strlen(text)) == 0 : strstr(line, text) != NULL;
        if (hit) {
            count++;
            if (*first < 0)
                *first = number;
        }
    }
    free(line);
    fclose(f);
    return count;
}

int cw_harness_ops_log_count(cw_harness_t *h, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/daemon.log", cw_harness_dir(h));
    int first;
    return count_lines(path, text, false, &first);
}

int cw_harness_ops_config_line(cw_harness_t *h, const char *text)
{
    int first;
    if (count_lines(cw_harness_config_path(h), text, true, &first) < 0)
        return -1;
    if (first < 0)
        set_error("%s: no line starts with '%s'", cw_harness_config_path(h), text);
    return first;
}

int cw_harness_ops_rules_version(cw_harness_t *h, char out[17])
{
    char command[1024];
    snprintf(command, sizeof command, "'%s' -c '%s' --check-config 2>&1", CW_CDRWARND,
             cw_harness_config_path(h));
    FILE *p = popen(command, "r");
    if (p == NULL)
        return set_error("popen %s: %s", command, strerror(errno));
    char line[1024], first[256] = "";
    bool found = false;
    while (fgets(line, sizeof line, p) != NULL) {
        if (first[0] == '\0')
            snprintf(first, sizeof first, "%.200s", line);
        const char *v = strstr(line, "rules_version ");
        if (!found && v != NULL && sscanf(v + 14, "%16[0-9a-f]", out) == 1 &&
            strlen(out) == 16)
            found = true;
    }
    int status = pclose(p);
    if (!found || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return set_error("cdrwarnd --check-config refused %s: %s",
                         cw_harness_config_path(h), first);
    return 0;
}
