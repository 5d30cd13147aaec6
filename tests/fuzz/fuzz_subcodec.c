/* libFuzzer target: the stored subscriber-state codec. Any bytes from Redis
 * must decode or be refused without a crash; what decodes (either format
 * version: the seeds hold a version 1 state and a version 2 one with the
 * churn mark and months) must re-encode to a state that decodes to the same
 * thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_sub_t sub, again;
    if (cw_sub_decode(&sub, data, size) != 0)
        return 0;
    uint8_t buf[CW_SUB_ENCODED_MAX];
    size_t len = cw_sub_encode(&sub, buf, sizeof buf);
    if (len == 0)
        return 0; /* a decodable but not re-encodable state is refused on write */
    if (cw_sub_decode(&again, buf, len) != 0 || memcmp(&sub, &again, sizeof sub) != 0)
        abort();
    return 0;
}
