/* SHA-256 (FIPS 180-4): the digest a dead letter of a value too large to
 * keep whole carries, so the original can be matched at its source. */
#ifndef CW_SHA256_H
#define CW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CW_SHA256_HEX_SIZE 65 /* 64 lower-case hex digits + NUL */

typedef struct cw_sha256 {
    uint32_t state[8];
    uint64_t length;           /* bytes hashed so far */
    uint8_t block[64];
    size_t used;               /* bytes waiting in block */
} cw_sha256_t;

void cw_sha256_init(cw_sha256_t *ctx);
void cw_sha256_update(cw_sha256_t *ctx, const void *data, size_t len);
void cw_sha256_final(cw_sha256_t *ctx, uint8_t digest[32]);
/* The digest of len bytes as lower-case hex into out[CW_SHA256_HEX_SIZE]. */
void cw_sha256_hex(const void *data, size_t len, char out[CW_SHA256_HEX_SIZE]);

#endif
