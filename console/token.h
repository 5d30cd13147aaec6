/* Small pieces of the console's web security that are pure computation:
 * URL-safe base64 for ids and tokens, constant-time comparison of secrets,
 * and finding one cookie in a Cookie header. */
#ifndef CW_TOKEN_H
#define CW_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters cw_token_b64url writes for `len` bytes (no padding), without
 * the NUL. */
#define CW_TOKEN_B64_LEN(len) (((len) * 4 + 2) / 3)

/* Base64url without padding ("-" and "_" for "+" and "/"); out must hold
 * CW_TOKEN_B64_LEN(len) + 1 bytes. Returns out. */
char *cw_token_b64url(const uint8_t *data, size_t len, char *out);

/* Whether a and b are equal, in time that depends only on their lengths:
 * session tokens and CSRF values must not leak a matching prefix through
 * timing. NULL equals nothing. */
bool cw_token_equal(const char *a, const char *b);

/* Whether the text is a plausible token or id: 1..max characters of the
 * base64url alphabet. Everything else is refused before any lookup. */
bool cw_token_valid(const char *text, size_t max);

/* Copies the value of cookie `name` from a Cookie header ("a=1; b=2") into
 * out (NUL-terminated). Returns 0, or -1 when absent or longer than size - 1. */
int cw_token_cookie(const char *header, const char *name, char *out, size_t size);

#endif
