/* SipHash-2-4, a keyed pseudo-random function (Aumasson and Bernstein,
 * 2012): the console derives case ids from subscriber numbers with it, so an
 * id names a case without revealing the number to whoever sees the id. */
#ifndef CW_SIPHASH_H
#define CW_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define CW_SIPHASH_KEY_SIZE 16

/* The 64-bit SipHash-2-4 of the bytes under the 16-byte key. */
uint64_t cw_siphash(const uint8_t key[CW_SIPHASH_KEY_SIZE], const void *data, size_t len);

#endif
