/* Case and subscriber ids: two SipHash-2-4 outputs under the two halves of
 * the console's key make 128 bits, written in base64url (see caseid.h). */
#include "caseid.h"

#include <stdio.h>
#include <string.h>

#include "siphash.h"
#include "token.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cw_caseid_key_parse(const char *hex, size_t len, uint8_t key[CW_CASEID_KEY_SIZE])
{
    if (hex == NULL || len != 2 * CW_CASEID_KEY_SIZE)
        return -1;
    for (size_t i = 0; i < CW_CASEID_KEY_SIZE; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static void derive(const uint8_t key[CW_CASEID_KEY_SIZE], const char *text,
                   char out[CW_CASEID_SIZE])
{
    uint8_t bytes[16];
    uint64_t a = cw_siphash(key, text, strlen(text));
    uint64_t b = cw_siphash(key + CW_SIPHASH_KEY_SIZE, text, strlen(text));
    for (int i = 0; i < 8; i++) {
        bytes[i] = (uint8_t)(a >> (8 * i));
        bytes[8 + i] = (uint8_t)(b >> (8 * i));
    }
    cw_token_b64url(bytes, sizeof bytes, out);
}

void cw_caseid_case(const uint8_t key[CW_CASEID_KEY_SIZE], const char *msisdn,
                    const char *week, char out[CW_CASEID_SIZE])
{
    char text[80];
    snprintf(text, sizeof text, "case|%.32s|%.16s", msisdn, week);
    derive(key, text, out);
}

void cw_caseid_subscriber(const uint8_t key[CW_CASEID_KEY_SIZE], const char *msisdn,
                          char out[CW_CASEID_SIZE])
{
    char text[64];
    snprintf(text, sizeof text, "subscriber|%.32s", msisdn);
    derive(key, text, out);
}
