/* Masks subscriber numbers before they reach a log line. */
#include "mask.h"

#include <string.h>

char *cw_mask_msisdn(const char *number, char out[CW_MASK_SIZE])
{
    size_t len = number ? strlen(number) : 0;
    int plain = len > 0 && len < CW_MASK_SIZE;
    for (size_t i = 0; plain && i < len; i++)
        plain = (number[i] >= '0' && number[i] <= '9') || (i == 0 && number[i] == '+');
    if (!plain) {
        strcpy(out, "***");
        return out;
    }
    size_t keep_head = len >= 8 ? 3 : 0;
    size_t keep_tail = len >= 8 ? 4 : (len > 2 ? 2 : 0);
    for (size_t i = 0; i < len; i++)
        out[i] = (i < keep_head || i >= len - keep_tail) ? number[i] : '*';
    out[len] = '\0';
    return out;
}
