/* One input record with its Kafka coordinates: copied out of librdkafka as
 * soon as the daemon consumes it (a librdkafka message pins its whole fetch
 * buffer, up to a megabyte per partition, so holding thousands of them would
 * tie memory to partitions times fetch size; copies tie it to the records
 * held), or read from a file by the backtest. */
#ifndef CW_RECORD_H
#define CW_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value longer than this is not kept whole: it can only be a too_large
 * dead letter (SPEC section 8), which keeps this much of it. */
#define CW_RECORD_VALUE_KEPT 65536
#define CW_RECORD_SHA256_HEX 64

typedef struct cw_record {
    int64_t offset;
    int32_t partition;
    int topic;              /* index into input_topics */
    bool has_key;
    size_t key_len;
    size_t value_len;       /* bytes of the value held */
    size_t value_bytes;     /* of the value as produced: above value_len when it was
                               cut to CW_RECORD_VALUE_KEPT */
    char data[];            /* the key, the value held, and when it was cut the
                               SHA-256 of the whole value (64 hex digits) */
} cw_record_t;

/* The bytes a record with these lengths needs after its header. */
static inline size_t cw_record_data_size(size_t key_len, size_t value_bytes)
{
    return value_bytes > CW_RECORD_VALUE_KEPT
               ? key_len + CW_RECORD_VALUE_KEPT + CW_RECORD_SHA256_HEX
               : key_len + value_bytes;
}

static inline const char *cw_record_key(const cw_record_t *record)
{
    return record->has_key ? record->data : NULL;
}

static inline const char *cw_record_value(const cw_record_t *record)
{
    return record->data + record->key_len;
}

/* The memory a record takes. */
static inline size_t cw_record_size(const cw_record_t *record)
{
    return sizeof *record + cw_record_data_size(record->key_len, record->value_bytes);
}

/* The whole value's SHA-256 in hex (not NUL-terminated) when the value was
 * cut, else NULL. */
static inline const char *cw_record_sha256(const cw_record_t *record)
{
    return record->value_bytes > record->value_len
               ? record->data + record->key_len + record->value_len
               : NULL;
}

#endif
