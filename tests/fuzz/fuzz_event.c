/* libFuzzer target: the event parser. Any bytes must parse without a crash,
 * leak or sanitizer report, and the fast path must agree with the jansson
 * reference path on the reason, the detail and the event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_event_t fast, reference;
    char fast_detail[CW_DETAIL_SIZE], reference_detail[CW_DETAIL_SIZE];
    cw_dlq_reason_t a =
        cw_event_parse((const char *)data, size, "86", &fast, fast_detail, sizeof fast_detail);
    cw_dlq_reason_t b = cw_event_parse_reference((const char *)data, size, "86", &reference,
                                                 reference_detail, sizeof reference_detail);
    if (a != b || strcmp(fast_detail, reference_detail) != 0 ||
        (a == CW_DLQ_NONE && memcmp(&fast, &reference, sizeof fast) != 0))
        abort(); /* the two paths disagree */
    return 0;
}
