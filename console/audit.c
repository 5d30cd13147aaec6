/* The audit log (see audit.h): O_APPEND, one write() per line so lines from
 * a restart never interleave, fdatasync so a crash keeps what was shown. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

struct cw_audit {
    int fd;
};

cw_audit_t *cw_audit_open(const char *path, char *errbuf, size_t size)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(errbuf, size, "cannot open the audit log %s: %s", path, strerror(errno));
        return NULL;
    }
    cw_audit_t *audit = cw_calloc(1, sizeof *audit);
    if (audit == NULL) {
        close(fd);
        snprintf(errbuf, size, "out of memory");
        return NULL;
    }
    audit->fd = fd;
    return audit;
}

void cw_audit_close(cw_audit_t *audit)
{
    if (audit == NULL)
        return;
    close(audit->fd);
    cw_free(audit);
}

static void set(json_t *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_set_new(o, key, json_string(value));
}

int cw_audit_write(cw_audit_t *audit, int64_t now_ms, const char *user,
                   const char *action, const char *case_id, const char *week,
                   const char *msisdn_masked, const char *from)
{
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char at[80];
    snprintf(at, sizeof at, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(now_ms % 1000));
    json_t *o = json_object();
    set(o, "at", at);
    json_object_set_new(o, "ts", json_integer(now_ms));
    set(o, "user", user);
    set(o, "action", action);
    set(o, "case", case_id);
    /* a monthly case's period is a month (YYYY-MM, no W) */
    set(o, week != NULL && strchr(week, 'W') == NULL ? "month" : "week", week);
    set(o, "msisdn", msisdn_masked);
    set(o, "from", from);
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (line == NULL)
        return -1;
    size_t len = strlen(line);
    line[len] = '\n';
    ssize_t n = write(audit->fd, line, len + 1);
    free(line);
    if (n != (ssize_t)(len + 1))
        return -1;
    return fdatasync(audit->fd) == 0 || errno == EINVAL ? 0 : -1;
}
