/* What a benchmark run is measured by: clocks, a process's CPU time and peak
 * RSS from /proc, Redis's own CPU and memory from INFO, and the daemon's
 * counters from its Prometheus endpoint. */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <hiredis/hiredis.h>

int64_t cwb_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cwb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cwb_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int cwb_split(char *text, char **out, int max)
{
    int count = 0;
    for (char *save = NULL, *piece = strtok_r(text, ",", &save); piece != NULL;
         piece = strtok_r(NULL, ",", &save)) {
        if (count == max)
            return -1;
        out[count++] = piece;
    }
    return count;
}

/* ---- /proc ---- */

int64_t cwb_proc_cpu_us(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    buf[len] = '\0';
    /* the command name may hold spaces and parentheses: fields count from
     * the last ')'; utime and stime are fields 14 and 15 */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)((utime + stime) * 1000000ULL / (unsigned long long)hz);
}

int64_t cwb_host_cpu_us(void)
{
    FILE *in = fopen("/proc/stat", "r");
    if (in == NULL)
        return -1;
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
    int n = fscanf(in, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
                   &system, &idle, &iowait, &irq, &softirq, &steal);
    fclose(in);
    if (n != 8)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (int64_t)((user + nice + system + irq + softirq + steal) * 1000000ULL /
                     (unsigned long long)hz);
}

int64_t cwb_proc_hwm_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return -1;
    int64_t kb = -1;
    while (fgets(line, sizeof line, in) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtoll(line + 6, NULL, 10);
            break;
        }
    fclose(in);
    return kb;
}

/* ---- Redis ---- */

/* The number after "name:" in an INFO text, or -1. */
static double info_field(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, len) == 0 && p[len] == ':')
            return strtod(p + len + 1, NULL);
    }
    return -1;
}

int cwb_redis_stats(int port, cwb_redis_stats_t *stats, char *errbuf, size_t errbuf_size)
{
    struct timeval timeout = {2, 0};
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, timeout);
    if (ctx == NULL || ctx->err) {
        snprintf(errbuf, errbuf_size, "redis 127.0.0.1:%d: %s", port,
                 ctx ? ctx->errstr : "out of memory");
        if (ctx != NULL)
            redisFree(ctx);
        return -1;
    }
    redisSetTimeout(ctx, timeout);
    redisReply *reply = redisCommand(ctx, "INFO");
    int rc = -1;
    if (reply == NULL) {
        snprintf(errbuf, errbuf_size, "redis INFO: %s", ctx->errstr);
    } else if (reply->type != REDIS_REPLY_STRING) {
        snprintf(errbuf, errbuf_size, "redis INFO: unexpected reply type %d",
                 reply->type);
    } else {
        double user = info_field(reply->str, "used_cpu_user");
        double sys = info_field(reply->str, "used_cpu_sys");
        double mem = info_field(reply->str, "used_memory");
        if (user < 0 || sys < 0 || mem < 0) {
            snprintf(errbuf, errbuf_size,
                     "redis INFO: used_cpu_user, used_cpu_sys or "
                     "used_memory missing");
        } else {
            stats->cpu_s = user + sys;
            stats->used_memory = (long long)mem;
            rc = 0;
        }
    }
    if (reply != NULL)
        freeReplyObject(reply);
    redisFree(ctx);
    return rc;
}

/* ---- the daemon's /metrics ---- */

/* Sum of the values of every sample of family `name` (with or without
 * labels) in a Prometheus text. */
static double metric_sum(const char *text, const char *name)
{
    size_t len = strlen(name);
    double sum = 0;
    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, len) != 0 || (p[len] != ' ' && p[len] != '{'))
            continue;
        const char *end = strchr(p, '\n');
        const char *space = NULL;
        for (const char *q = p; q < (end ? end : p + strlen(p)); q++)
            if (*q == ' ')
                space = q;
        if (space != NULL)
            sum += strtod(space + 1, NULL);
    }
    return sum;
}

int cwb_metrics_get(const char *addr, int timeout_ms, cwb_metrics_t *metrics,
                    char *errbuf, size_t errbuf_size)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof host) {
        snprintf(errbuf, errbuf_size, "metrics address: expected HOST:PORT, found '%s'",
                 addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        snprintf(errbuf, errbuf_size, "metrics address: '%s' is not an IPv4 address",
                 host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errbuf, errbuf_size, "socket: %s", strerror(errno));
        return -1;
    }
    /* on Linux the send timeout bounds connect() too */
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static char buf[1 << 20];
    size_t len = 0;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        snprintf(errbuf, errbuf_size, "connect %s: %s", addr, strerror(errno));
        goto out;
    }
    static const char request[] = "GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n";
    if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) {
        snprintf(errbuf, errbuf_size, "write %s: %s", addr, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n == 0)
            break;
        if (n < 0) {
            snprintf(errbuf, errbuf_size, "read %s: %s", addr,
                     errno == EAGAIN ? "timed out" : strerror(errno));
            goto out;
        }
        len += (size_t)n;
        if (len == sizeof buf - 1)
            break;
    }
    buf[len] = '\0';
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strstr(buf, " 200 ") == NULL) {
        snprintf(errbuf, errbuf_size, "GET http://%s/metrics: not a 200 answer", addr);
        goto out;
    }
    metrics->records_consumed = metric_sum(buf, "cdrwarn_records_consumed_total");
    metrics->consumer_lag = metric_sum(buf, "cdrwarn_consumer_lag");
    metrics->alerts = metric_sum(buf, "cdrwarn_alerts_total");
    metrics->alerts_delivered = metric_sum(buf, "cdrwarn_alerts_delivered_total");
    metrics->outbox_pending = metric_sum(buf, "cdrwarn_outbox_pending");
    metrics->dlq = metric_sum(buf, "cdrwarn_dlq_records_total");
    metrics->batches = metric_sum(buf, "cdrwarn_batches_total");
    metrics->batch_latency_sum_s = metric_sum(buf, "cdrwarn_batch_latency_seconds_sum");
    metrics->redis_roundtrips = metric_sum(buf, "cdrwarn_redis_roundtrips_total");
    rc = 0;
out:
    close(fd);
    return rc;
}

void cwb_report(FILE *out, const char *key, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    printf("%s=%s\n", key, value);
    fflush(stdout);
    if (out != NULL) {
        fprintf(out, "%s=%s\n", key, value);
        fflush(out);
    }
}
