/* Normalisation of subscriber and peer numbers (SPEC section 3): drop a
 * leading "+" or "00", then a leading country code when what remains is
 * longer than 11 digits; the result must be 3..15 digits. */
#ifndef CW_NUMBER_H
#define CW_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#define CW_NUMBER_MIN 3
#define CW_NUMBER_MAX 15
#define CW_NUMBER_SIZE (CW_NUMBER_MAX + 1)

/* `text` is len bytes (no NUL needed); `country_code` is digits ("86").
 * Writes the normalised digits and a NUL into out[CW_NUMBER_SIZE].
 * Returns the number of digits, or -1 when the text is not a number (empty,
 * a non-digit, too short or too long after normalisation). */
int cw_number_normalise(const char *text, size_t len, const char *country_code,
                        char out[CW_NUMBER_SIZE]);

/* A normalised number as one 64-bit value (its digits and their count, so
 * "0123" and "123" differ), for tables of many numbers; never 0. Returns 0
 * for text that is not 3..15 digits. */
uint64_t cw_number_pack(const char *normalised);
/* The digits back, NUL-terminated, into out[CW_NUMBER_SIZE]. */
void cw_number_unpack(uint64_t packed, char out[CW_NUMBER_SIZE]);

#endif
