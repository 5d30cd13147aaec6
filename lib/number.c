/* Normalises subscriber and peer numbers so that the same line compares equal
 * however the source system wrote it ("+86138...", "0086138...", "138..."). */
#include "number.h"

#include <string.h>

int cw_number_normalise(const char *text, size_t len, const char *country_code,
                        char out[CW_NUMBER_SIZE])
{
    if (len > 0 && text[0] == '+') {
        text++;
        len--;
    } else if (len >= 2 && text[0] == '0' && text[1] == '0') {
        text += 2;
        len -= 2;
    }
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return -1;
    size_t cc_len = country_code ? strlen(country_code) : 0;
    if (len > 11 && cc_len > 0 && len > cc_len && memcmp(text, country_code, cc_len) == 0) {
        text += cc_len;
        len -= cc_len;
    }
    if (len < CW_NUMBER_MIN || len > CW_NUMBER_MAX)
        return -1;
    memcpy(out, text, len);
    out[len] = '\0';
    return (int)len;
}
