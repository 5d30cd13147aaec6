/* The partition meta hash (see meta.h): field names, reading with range
 * checks, and the changes a commit writes. */
#include "meta.h"

#include <stdio.h>
#include <string.h>


#define F_STREAM "st"
#define F_OFFSET_PREFIX "o:"

/* The fields of each period's closes: weeks kept the names they always had. */
static const struct {
    const char *closed, *sweep, *list, *offset;
} close_fields[CW_PERIOD__COUNT] = {
    [CW_PERIOD_WEEK] = {"cw", "sw", "sl", "so"},
    [CW_PERIOD_MONTH] = {"cm", "msw", "msl", "mso"},
};

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
    for (int p = 0; p < CW_PERIOD__COUNT; p++)
        meta->close[p] = (cw_meta_close_t){CW_WEEK_NONE, CW_WEEK_NONE, 0, 0};
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

/* A field of a period's closes: 0, 1 when it is none of them, -1 when its
 * value is out of range. */
static int read_close(cw_meta_t *meta, const char *field, size_t field_len, const char *value,
                      size_t value_len)
{
    long long n;
    for (int p = 0; p < CW_PERIOD__COUNT; p++) {
        cw_meta_close_t *close = &meta->close[p];
        if (is(field, field_len, close_fields[p].closed) ||
            is(field, field_len, close_fields[p].sweep)) {
            if (number(value, value_len, WEEK_MIN, WEEK_MAX, &n) != 0)
                return -1;
            *(is(field, field_len, close_fields[p].closed) ? &close->closed : &close->sweep) =
                (int32_t)n;
            return 0;
        }
        if (is(field, field_len, close_fields[p].list)) {
            if (number(value, value_len, 0, 1, &n) != 0)
                return -1;
            close->list = (int)n;
            return 0;
        }
        if (is(field, field_len, close_fields[p].offset)) {
            if (number(value, value_len, 0, INT64_MAX, &n) != 0)
                return -1;
            close->offset = n;
            return 0;
        }
    }
    return 1;
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
    } else if ((rc = read_close(meta, field, field_len, value, value_len)) != 1) {
        /* a period's close */
    } else if (is(field, field_len, CW_META_PARTITION_COUNT)) {
        if ((rc = number(value, value_len, 1, 1000000, &n)) == 0)
            meta->partition_count = (int32_t)n;
    } else if (field_len > 2 && memcmp(field, F_OFFSET_PREFIX, 2) == 0) {
        rc = 0;
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

static void close_diff(const cw_meta_close_t *stored, const cw_meta_close_t *next, int p,
                       cw_meta_set_fn set, cw_meta_del_fn del, void *arg)
{
    if (next->closed != stored->closed)
        set(close_fields[p].closed, next->closed, arg);
    if (next->sweep == CW_WEEK_NONE) {
        if (stored->sweep != CW_WEEK_NONE) {
            del(close_fields[p].sweep, arg);
            del(close_fields[p].list, arg);
            del(close_fields[p].offset, arg);
        }
        return;
    }
    if (next->sweep != stored->sweep)
        set(close_fields[p].sweep, next->sweep, arg);
    if (next->list != stored->list || next->sweep != stored->sweep)
        set(close_fields[p].list, next->list, arg);
    if (next->offset != stored->offset || next->sweep != stored->sweep)
        set(close_fields[p].offset, next->offset, arg);
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
    for (int p = 0; p < CW_PERIOD__COUNT; p++)
        close_diff(&stored->close[p], &next->close[p], p, set, del, arg);
}
