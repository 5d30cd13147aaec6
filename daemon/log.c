/* stderr logger with syslog priority prefixes and per-message rate limiting. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A message format may be logged BURST times per WINDOW seconds; the rest are
 * counted and summarised when the window ends. Keyed by the format string, so
 * "Redis unreachable: %s" is one message whatever the error text. */
#define RATE_SLOTS 64
#define RATE_BURST 5
#define RATE_WINDOW_S 30

typedef struct {
    const char *fmt;
    time_t window_start;
    int count;
    int suppressed;
} rate_slot_t;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static rate_slot_t slots[RATE_SLOTS];
static int min_priority = LOG_INFO;

void cw_log_set_level(int priority)
{
    min_priority = priority;
}

static void write_line(int priority, const char *text)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "<%d>%s\n", priority, text);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* one write per line keeps lines whole when threads log together */
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

/* Returns the number of suppressed repeats to report (>= 0) when the message
 * may be written, -1 when it must be suppressed. */
static int rate_check(const char *fmt, time_t now)
{
    rate_slot_t *slot = &slots[((uintptr_t)fmt >> 3) % RATE_SLOTS];
    if (slot->fmt != fmt || now - slot->window_start >= RATE_WINDOW_S) {
        int suppressed = slot->fmt == fmt ? slot->suppressed : 0;
        slot->fmt = fmt;
        slot->window_start = now;
        slot->count = 1;
        slot->suppressed = 0;
        return suppressed;
    }
    if (slot->count < RATE_BURST) {
        slot->count++;
        return 0;
    }
    slot->suppressed++;
    return -1;
}

void cw_log(int priority, const char *fmt, ...)
{
    if (priority > min_priority)
        return;
    char text[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (*p == '\n')
            *p = ' ';

    pthread_mutex_lock(&log_lock);
    int suppressed = rate_check(fmt, time(NULL));
    if (suppressed > 0) {
        char note[128];
        snprintf(note, sizeof note, "(%d similar messages suppressed in the last %d s)",
                 suppressed, RATE_WINDOW_S);
        write_line(priority, note);
    }
    if (suppressed >= 0)
        write_line(priority, text);
    pthread_mutex_unlock(&log_lock);
}
