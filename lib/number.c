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

/* 15 digits are below 10^15 < 2^50: the count goes above them. */
#define PACK_DIGITS_SHIFT 50

uint64_t cw_number_pack(const char *normalised)
{
    uint64_t value = 0;
    size_t len = 0;
    for (; normalised[len] != '\0'; len++) {
        if (len == CW_NUMBER_MAX || normalised[len] < '0' || normalised[len] > '9')
            return 0;
        value = value * 10 + (uint64_t)(normalised[len] - '0');
    }
    if (len < CW_NUMBER_MIN)
        return 0;
    return value | (uint64_t)len << PACK_DIGITS_SHIFT;
}

void cw_number_unpack(uint64_t packed, char out[CW_NUMBER_SIZE])
{
    size_t len = (size_t)(packed >> PACK_DIGITS_SHIFT);
    uint64_t value = packed & ((1ULL << PACK_DIGITS_SHIFT) - 1);
    if (len > CW_NUMBER_MAX)
        len = 0;
    out[len] = '\0';
    for (size_t i = len; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10);
        value /= 10;
    }
}
