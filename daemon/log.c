/* stderr logger with syslog priority prefixes and per-message rate limiting. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A warning or error may be logged BURST times per WINDOW seconds; the rest
 * are counted and summarised once the window is over. A message is its text
 * with the digits left out, so "Redis unreachable for 3 s" and "... 9 s" are
 * one message while two different errors (or two librdkafka messages, which
 * share one format) are two. Notices and info lines (start, stop, a week
 * closed on a partition) are bounded by what happens and never held back. */
#define RATE_SLOTS 64
#define RATE_BURST 5
#define RATE_WINDOW_S 30
#define RATE_SAMPLE 100 /* bytes of the message kept to name it in a summary */

typedef struct {
    uint64_t key; /* 0: free */
    time_t window_start;
    int count;
    int suppressed;
    int priority;
    char sample[RATE_SAMPLE];
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

/* FNV-1a of the text without its digits; never 0 (0 marks a free slot). */
static uint64_t message_key(const char *text)
{
    uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p >= '0' && *p <= '9')
            continue;
        hash = (hash ^ *p) * 1099511628211ULL;
    }
    return hash != 0 ? hash : 1;
}

static void write_summary(rate_slot_t *slot)
{
    char note[256];
    snprintf(note, sizeof note, "(%d more like \"%s\" suppressed in %d s)", slot->suppressed,
             slot->sample, RATE_WINDOW_S);
    write_line(slot->priority, note);
    slot->suppressed = 0;
}

/* Whether the message may be written now; a summary of the slot's previous
 * window is written first when it had suppressed repeats. */
static bool rate_admit(int priority, const char *text, time_t now)
{
    uint64_t key = message_key(text);
    rate_slot_t *slot = &slots[key % RATE_SLOTS];
    if (slot->key == key && now - slot->window_start < RATE_WINDOW_S) {
        if (slot->count < RATE_BURST) {
            slot->count++;
            return true;
        }
        slot->suppressed++;
        return false;
    }
    /* a new window, or another message taking the slot over */
    if (slot->key != 0 && slot->suppressed > 0)
        write_summary(slot);
    slot->key = key;
    slot->window_start = now;
    slot->count = 1;
    slot->suppressed = 0;
    slot->priority = priority;
    size_t len = strnlen(text, sizeof slot->sample - 1);
    memcpy(slot->sample, text, len);
    slot->sample[len] = '\0';
    return true;
}

void cw_log_flush_suppressed(time_t now)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < RATE_SLOTS; i++)
        if (slots[i].suppressed > 0 && now - slots[i].window_start >= RATE_WINDOW_S)
            write_summary(&slots[i]);
    pthread_mutex_unlock(&log_lock);
}

static void log_v(int priority, bool limited, const char *fmt, va_list ap)
{
    if (priority > min_priority)
        return;
    char text[1800];
    vsnprintf(text, sizeof text, fmt, ap);
    for (char *p = text; *p; p++)
        if (*p == '\n')
            *p = ' ';

    pthread_mutex_lock(&log_lock);
    if (!limited || rate_admit(priority, text, time(NULL)))
        write_line(priority, text);
    pthread_mutex_unlock(&log_lock);
}

void cw_log(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(priority, priority <= LOG_WARNING, fmt, ap);
    va_end(ap);
}

void cw_log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(LOG_CRIT, false, fmt, ap);
    va_end(ap);
    _exit(EXIT_FAILURE);
}

void cw_log_limited(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(priority, true, fmt, ap);
    va_end(ap);
}
