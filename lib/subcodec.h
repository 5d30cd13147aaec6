/* The compact binary encoding of a subscriber state as stored in Redis: one
 * string per subscriber, varints, only the weeks that exist. Memory per
 * subscriber is what grows with the operator's size, so every byte counts.
 * The format has a version byte; decoding reads the current version and the
 * one before it (states written before the churn mark and the months), and
 * rejects what it does not know. */
#ifndef CW_SUBCODEC_H
#define CW_SUBCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

/* Upper bound of an encoded state's size (the worst case, every field of
 * every week and month at its largest, is 1648 bytes). */
#define CW_SUB_ENCODED_MAX 2048

/* Encodes into buf (cap >= CW_SUB_ENCODED_MAX is always enough); returns
 * the number of bytes written. */
size_t cw_sub_encode(const cw_sub_t *sub, uint8_t *buf, size_t cap);
/* Decodes len bytes; an empty input gives a fresh state. Returns 0, or -1
 * when the bytes are not a valid encoding (the state is then fresh). */
int cw_sub_decode(cw_sub_t *sub, const uint8_t *buf, size_t len);

#endif
