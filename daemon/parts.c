/* The owned partitions (see parts.h). */
#include "parts.h"

#include <event2/buffer.h>
#include <stdio.h>

#include "alloc.h"
#include "consumer.h"
#include "meta.h"
#include "part.h"

struct cw_parts {
    cw_env_t *env;
    cw_part_t **by_number;     /* NULL when not owned */
    int32_t count;
    int32_t next;              /* where the next round starts */
};

cw_parts_t *cw_parts_new(cw_env_t *env, int32_t partition_count)
{
    cw_parts_t *parts = cw_calloc(1, sizeof *parts);
    if (parts == NULL)
        return NULL;
    parts->env = env;
    parts->count = partition_count;
    parts->by_number = cw_calloc(partition_count > 0 ? (size_t)partition_count : 1,
                                 sizeof *parts->by_number);
    if (parts->by_number == NULL) {
        cw_free(parts);
        return NULL;
    }
    return parts;
}

void cw_parts_free(cw_parts_t *parts)
{
    if (parts == NULL)
        return;
    for (int32_t p = 0; p < parts->count; p++)
        if (parts->by_number[p] != NULL)
            cw_part_release(parts->by_number[p]);
    cw_free(parts->by_number);
    cw_free(parts);
}

static cw_part_t *owned(const cw_parts_t *parts, int32_t p)
{
    return p >= 0 && p < parts->count ? parts->by_number[p] : NULL;
}

bool cw_parts_owns(const cw_parts_t *parts, int32_t partition)
{
    return owned(parts, partition) != NULL;
}

int32_t cw_parts_count(const cw_parts_t *parts)
{
    return parts->count;
}

/* Topics can gain partitions while the daemon runs: the table grows. */
static bool make_room(cw_parts_t *parts, int32_t p)
{
    if (p < parts->count)
        return true;
    cw_part_t **grown = cw_realloc(parts->by_number, ((size_t)p + 1) * sizeof *grown);
    if (grown == NULL)
        return false;
    for (int32_t i = parts->count; i <= p; i++)
        grown[i] = NULL;
    parts->by_number = grown;
    parts->count = p + 1;
    return true;
}

void cw_parts_assign(cw_parts_t *parts, const int32_t *partitions, int count,
                     const int64_t *committed)
{
    for (int i = 0; i < count; i++) {
        int32_t p = partitions[i];
        if (p < 0 || !make_room(parts, p) || parts->by_number[p] != NULL)
            continue;
        parts->by_number[p] = cw_part_new(parts->env, p, committed + i * CW_MAX_INPUT_TOPICS);
        if (parts->by_number[p] != NULL) {
            parts->env->metrics->partitions_assigned++;
            cw_part_kick(parts->by_number[p]);
        }
    }
}

void cw_parts_revoke(cw_parts_t *parts, const int32_t *partitions, int count)
{
    for (int i = 0; i < count; i++) {
        cw_part_t *part = owned(parts, partitions[i]);
        if (part == NULL)
            continue;
        parts->by_number[partitions[i]] = NULL;
        parts->env->metrics->partitions_assigned--;
        cw_part_release(part);
    }
}

bool cw_parts_push(cw_parts_t *parts, cw_record_t *record)
{
    cw_part_t *part = owned(parts, record->partition);
    if (part == NULL) {
        cw_free(record);
        return false;
    }
    cw_part_push(part, record);
    return true;
}

void cw_parts_kick(cw_parts_t *parts)
{
    for (int32_t i = 0; i < parts->count && parts->env->steps_in_flight < CW_MAX_STEPS; i++) {
        cw_part_t *part = parts->by_number[(parts->next + i) % parts->count];
        if (part != NULL)
            cw_part_kick(part);
    }
    if (parts->count > 0)
        parts->next = (parts->next + 1) % parts->count;
}

void cw_parts_tick(cw_parts_t *parts, int64_t wall_ms)
{
    for (int32_t p = 0; p < parts->count; p++)
        if (parts->by_number[p] != NULL)
            cw_part_tick(parts->by_number[p], wall_ms);
}

void cw_parts_invalidate(cw_parts_t *parts, int32_t partition)
{
    for (int32_t p = 0; p < parts->count; p++) {
        if (parts->by_number[p] == NULL || (partition >= 0 && p != partition))
            continue;
        cw_part_invalidate(parts->by_number[p]);
        cw_part_kick(parts->by_number[p]);
    }
}

bool cw_parts_busy(const cw_parts_t *parts)
{
    for (int32_t p = 0; p < parts->count; p++)
        if (parts->by_number[p] != NULL && cw_part_busy(parts->by_number[p]))
            return true;
    return false;
}

bool cw_parts_refused(const cw_parts_t *parts, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int32_t p = 0; p < parts->count; p++)
        if (parts->by_number[p] != NULL && cw_part_refused(parts->by_number[p]) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? ", " : "", (int)p);
    return len > 0;
}

/* The partition's lag on one topic: what the broker holds beyond the next
 * offset to apply (all of it while that offset is unknown); -1 when the
 * broker's high watermark is not known yet. */
static int64_t lag_of(const cw_parts_t *parts, const cw_part_t *part, int topic, int32_t p)
{
    if (parts->env->consumer == NULL)
        return -1;
    int64_t high = cw_consumer_high_watermark(parts->env->consumer, topic, p);
    if (high < 0)
        return -1;
    int64_t next = cw_part_next_offset(part, topic);
    return next < 0 ? high : (high > next ? high - next : 0);
}

int64_t cw_parts_lag(const cw_parts_t *parts)
{
    int64_t total = 0;
    for (int32_t p = 0; p < parts->count; p++) {
        if (parts->by_number[p] == NULL)
            continue;
        for (size_t t = 0; t < parts->env->config->input_topic_count; t++) {
            int64_t lag = lag_of(parts, parts->by_number[p], (int)t, p);
            if (lag > 0)
                total += lag;
        }
    }
    return total;
}

void cw_parts_render(const cw_parts_t *parts, struct evbuffer *out)
{
    const cw_config_t *config = parts->env->config;
    evbuffer_add_printf(out, "# HELP cdrwarn_consumer_lag Records on the broker not yet applied, "
                             "per input topic partition.\n# TYPE cdrwarn_consumer_lag gauge\n");
    for (int32_t p = 0; p < parts->count; p++) {
        if (parts->by_number[p] == NULL)
            continue;
        for (size_t t = 0; t < config->input_topic_count; t++) {
            int64_t lag = lag_of(parts, parts->by_number[p], (int)t, p);
            if (lag >= 0)
                evbuffer_add_printf(out,
                                    "cdrwarn_consumer_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                                    config->input_topics[t], (int)p, (long long)lag);
        }
    }
    evbuffer_add_printf(out, "# HELP cdrwarn_stream_time_seconds Stream time of a partition "
                             "number: the newest event time seen on it.\n"
                             "# TYPE cdrwarn_stream_time_seconds gauge\n");
    for (int32_t p = 0; p < parts->count; p++) {
        if (parts->by_number[p] == NULL ||
            cw_part_stream_ms(parts->by_number[p]) == CW_STREAM_NONE)
            continue;
        evbuffer_add_printf(out, "cdrwarn_stream_time_seconds{partition=\"%d\"} %.3f\n", (int)p,
                            (double)cw_part_stream_ms(parts->by_number[p]) / 1000.0);
    }
}
