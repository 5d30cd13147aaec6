/* The partition meta hash (see meta.h): field names, reading with range
 * checks, and the changes a commit writes. */
#include "meta.h"

#include <stdio.h>
#include <string.h>

#include "week.h"

#define F_STREAM "st"
#define F_CLOSED "cw"
#define F_SWEEP_WEEK "sw"
#define F_SWEEP_LIST "sl"
#define F_SWEEP_OFFSET "so"
#define F_OFFSET_PREFIX "o:"

/* Week indexes of years 1900..9999: anything else was not written by us. */
#define WEEK_MIN (-3653)
#define WEEK_MAX 417000

void cw_meta_reset(cw_meta_t *meta)
{
    meta->seq[0] = '\0';
    meta->owner[0] = '\0';
    for (int i = 0; i < CW_MAX_INPUT_TOPICS; i++)
        meta->next_offset[i] = -1;
    meta->stream_ms = CW_STREAM_NONE;
    meta->closed_week = CW_WEEK_NONE;
    meta->sweep_week = CW_WEEK_NONE;
    meta->sweep_list = 0;
    meta->sweep_offset = 0;
    meta->partition_count = 0;
}

void cw_meta_offset_field(char *out, const char *topic)
{
    snprintf(out, CW_META_FIELD_SIZE, F_OFFSET_PREFIX "%s", topic);
}

static bool is(const char *field, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(field, name, len) == 0;
}

/* A decimal integer, all of `len` bytes, within [min, max]. */
static int number(const char *value, size_t len, long long min, long long max, long long *out)
{
    if (len == 0 || len > 20)
        return -1;
    size_t i = 0;
    bool negative = value[0] == '-';
    if (negative)
        i++;
    if (i == len)
        return -1;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        unsigned long long digit = (unsigned long long)(value[i] - '0');
        if (v > (9223372036854775807ULL - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    long long n = negative ? -(long long)v : (long long)v;
    if (n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

int cw_meta_read_field(cw_meta_t *meta, const cw_meta_topics_t *topics, const char *field,
                       size_t field_len, const char *value, size_t value_len, char *err,
                       size_t err_size)
{
    long long n = 0;
    int rc = 0;
    if (is(field, field_len, CW_META_SEQ)) {
        rc = number(value, value_len, 0, INT64_MAX, &n);
        if (rc == 0)
            snprintf(meta->seq, sizeof meta->seq, "%.*s", (int)value_len, value);
    } else if (is(field, field_len, CW_META_OWNER)) {
        rc = value_len > 0 && value_len < sizeof meta->owner ? 0 : -1;
        if (rc == 0)
            snprintf(meta->owner, sizeof meta->owner, "%.*s", (int)value_len, value);
    } else if (is(field, field_len, F_STREAM)) {
        if ((rc = number(value, value_len, 0, CW_MAX_TS_MS, &n)) == 0)
            meta->stream_ms = n;
    } else if (is(field, field_len, F_CLOSED)) {
        if ((rc = number(value, value_len, WEEK_MIN, WEEK_MAX, &n)) == 0)
            meta->closed_week = (int32_t)n;
    } else if (is(field, field_len, F_SWEEP_WEEK)) {
        if ((rc = number(value, value_len, WEEK_MIN, WEEK_MAX, &n)) == 0)
            meta->sweep_week = (int32_t)n;
    } else if (is(field, field_len, F_SWEEP_LIST)) {
        if ((rc = number(value, value_len, 0, 1, &n)) == 0)
            meta->sweep_list = (int)n;
    } else if (is(field, field_len, F_SWEEP_OFFSET)) {
        if ((rc = number(value, value_len, 0, INT64_MAX, &n)) == 0)
            meta->sweep_offset = n;
    } else if (is(field, field_len, CW_META_PARTITION_COUNT)) {
        if ((rc = number(value, value_len, 1, 1000000, &n)) == 0)
            meta->partition_count = (int32_t)n;
    } else if (field_len > 2 && memcmp(field, F_OFFSET_PREFIX, 2) == 0) {
        for (size_t t = 0; t < topics->count; t++) {
            if (!is(field + 2, field_len - 2, topics->names[t]))
                continue;
            if ((rc = number(value, value_len, 0, INT64_MAX, &n)) == 0)
                meta->next_offset[t] = n;
            break;
        }
        /* another topic's offset: a topic no longer listed in input_topics */
    } else {
        return 1;
    }
    if (rc != 0) {
        snprintf(err, err_size, "meta field '%.*s': expected a number in its range",
                 (int)(field_len < 64 ? field_len : 64), field);
        return -1;
    }
    return 0;
}

bool cw_meta_written(const cw_meta_t *meta, size_t topic_count)
{
    if (meta->seq[0] != '\0' || meta->stream_ms != CW_STREAM_NONE)
        return true;
    for (size_t t = 0; t < topic_count; t++)
        if (meta->next_offset[t] >= 0)
            return true;
    return false;
}

void cw_meta_diff(const cw_meta_t *stored, const cw_meta_t *next, const cw_meta_topics_t *topics,
                  bool always_stream, cw_meta_set_fn set, cw_meta_del_fn del, void *arg)
{
    char field[CW_META_FIELD_SIZE];
    for (size_t t = 0; t < topics->count; t++) {
        if (next->next_offset[t] == stored->next_offset[t])
            continue;
        cw_meta_offset_field(field, topics->names[t]);
        set(field, next->next_offset[t], arg);
    }
    if (always_stream || next->stream_ms != stored->stream_ms)
        set(F_STREAM, next->stream_ms, arg);
    if (next->closed_week != stored->closed_week)
        set(F_CLOSED, next->closed_week, arg);
    if (next->sweep_week == CW_WEEK_NONE) {
        if (stored->sweep_week != CW_WEEK_NONE) {
            del(F_SWEEP_WEEK, arg);
            del(F_SWEEP_LIST, arg);
            del(F_SWEEP_OFFSET, arg);
        }
        return;
    }
    if (next->sweep_week != stored->sweep_week)
        set(F_SWEEP_WEEK, next->sweep_week, arg);
    if (next->sweep_list != stored->sweep_list || next->sweep_week != stored->sweep_week)
        set(F_SWEEP_LIST, next->sweep_list, arg);
    if (next->sweep_offset != stored->sweep_offset || next->sweep_week != stored->sweep_week)
        set(F_SWEEP_OFFSET, next->sweep_offset, arg);
}
