/* Stable, portable 64-bit hashing for ids that must not change between runs
 * or machines (alert_id, rules_version). Not a cryptographic hash. */
#ifndef CW_HASH_H
#define CW_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a over the bytes, then a splitmix64 finaliser; `seed` selects an
 * independent-looking hash family member. */
uint64_t cw_hash64(const void *data, size_t len, uint64_t seed);

/* The splitmix64 finaliser alone: spreads the bits of a 64-bit value, for
 * hash tables keyed by numbers. */
uint64_t cw_hash_mix64(uint64_t value);

/* A fast hash for in-memory tables only: a word at a time, so it differs
 * between little- and big-endian machines (never store or send it). */
uint64_t cw_hash_table(const void *data, size_t len);

/* Writes 16 lowercase hex digits and a NUL into out[17]. */
void cw_hash_hex(uint64_t value, char out[17]);

#endif
