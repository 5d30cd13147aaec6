/* A partition's bookkeeping (its meta hash in Redis): the fence, the next
 * offset to apply per input topic, the stream time, the last closed week,
 * the week-close sweep's cursor and the partition count the state was
 * written for. The one place that knows the hash's field names: reading it
 * back (with range checks) and writing the changes of a step. */
#ifndef CW_META_H
#define CW_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "period.h"

#define CW_META_SEQ_SIZE 24
#define CW_META_OWNER_SIZE 128                /* "<member id>/<16 hex digits>" */
#define CW_META_FIELD_SIZE 300      /* "o:" + a topic name */
#define CW_STREAM_NONE INT64_MIN
#define CW_WEEK_NONE INT32_MIN   /* no period: a week's or a month's index */

/* Where the closes of one period stand. */
typedef struct cw_meta_close {
    int32_t closed;                          /* the last one closed; CW_WEEK_NONE: no event yet */
    int32_t sweep;                           /* the one being closed; CW_WEEK_NONE: none */
    int list;                                /* 0: its own seen list, 1: the one before's */
    int64_t offset;                          /* bytes of that list done */
} cw_meta_close_t;

typedef struct cw_meta {
    char seq[CW_META_SEQ_SIZE];              /* fence; "" before the first commit */
    char owner[CW_META_OWNER_SIZE];          /* the instance that claimed it last; "": none */
    int64_t next_offset[CW_MAX_INPUT_TOPICS]; /* -1: nothing applied yet */
    int64_t stream_ms;                       /* CW_STREAM_NONE: no event yet */
    cw_meta_close_t close[CW_PERIOD__COUNT]; /* weeks, months */
    int32_t partition_count;                 /* of the input topics when the state was
                                                first written; 0: unknown */
} cw_meta_t;

/* The meta of a partition nothing was ever written for. */
void cw_meta_reset(cw_meta_t *meta);

/* The input topics, for the per-topic offset fields. */
typedef struct cw_meta_topics {
    char *const *names;
    size_t count;
} cw_meta_topics_t;

/* Reads one field of the stored hash into meta. Returns 0; 1 for a field
 * this version does not know (ignored: a newer version may have written
 * it); -1 when the value is malformed or out of its range, with the field
 * named in err (err_size bytes). */
int cw_meta_read_field(cw_meta_t *meta, const cw_meta_topics_t *topics, const char *field,
                       size_t field_len, const char *value, size_t value_len, char *err,
                       size_t err_size);

/* True when the meta holds anything a commit wrote (not a fresh partition). */
bool cw_meta_written(const cw_meta_t *meta, size_t topic_count);

/* Field names, for the few places that write one field on its own. */
#define CW_META_SEQ "seq"
#define CW_META_PARTITION_COUNT "pc"
#define CW_META_OWNER "own"
/* "o:<topic>" into out[CW_META_FIELD_SIZE]. */
void cw_meta_offset_field(char *out, const char *topic);

/* What a commit writes: the fields of `next` that differ from `stored`, as
 * (field, value) sets and field deletions, in a fixed order. The stream time
 * is written when it differs or `always_stream` is set (a sweep writes the
 * stream time an idle close moved). */
typedef void (*cw_meta_set_fn)(const char *field, long long value, void *arg);
typedef void (*cw_meta_del_fn)(const char *field, void *arg);
void cw_meta_diff(const cw_meta_t *stored, const cw_meta_t *next, const cw_meta_topics_t *topics,
                  bool always_stream, cw_meta_set_fn set, cw_meta_del_fn del, void *arg);

#endif
