/* Redis Cluster hash slots (see slot.h). */
#include "slot.h"

#include <string.h>

/* The table of CRC16-XMODEM over one byte, built once from the polynomial
 * (what the Redis Cluster specification's table holds). */
static uint16_t table[256];
static int table_ready;

static void build_table(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint16_t crc = (uint16_t)(b << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        table[b] = crc;
    }
    table_ready = 1;
}

uint16_t cw_slot_crc16(const void *data, size_t len)
{
    if (!table_ready)
        build_table();
    const unsigned char *p = data;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ table[((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

int cw_slot_of(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open != NULL) {
        size_t from = (size_t)(open - key) + 1;
        const char *close = memchr(key + from, '}', len - from);
        /* an empty tag "{}" hashes the whole key, as Redis does */
        if (close != NULL && close > key + from)
            return cw_slot_crc16(key + from, (size_t)(close - key) - from) & (CW_SLOT_COUNT - 1);
    }
    return cw_slot_crc16(key, len) & (CW_SLOT_COUNT - 1);
}
