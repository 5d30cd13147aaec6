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

typedef struct cw_record {
    int64_t offset;
    int32_t partition;
    int topic;              /* index into input_topics */
    bool has_key;
    size_t key_len;
    size_t value_len;
    char data[];            /* the key, then the value */
} cw_record_t;

static inline const char *cw_record_key(const cw_record_t *record)
{
    return record->has_key ? record->data : NULL;
}

static inline const char *cw_record_value(const cw_record_t *record)
{
    return record->data + record->key_len;
}

#endif
