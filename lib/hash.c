/* Stable 64-bit hash used for alert ids and the rules version. */
#include "hash.h"

#include <string.h>

uint64_t cw_hash_mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

uint64_t cw_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    /* the finaliser spreads FNV's weak low bits over the word */
    return cw_hash_mix64(h);
}

uint64_t cw_hash_table(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ cw_hash_mix64(word)) * 0x100000001b3ULL;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, len);
    return cw_hash_mix64(h ^ tail);
}

void cw_hash_hex(uint64_t value, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[value & 0xf];
        value >>= 4;
    }
    out[16] = '\0';
}
