/* Masking of subscriber numbers for logs: MSISDNs are personal data. */
#ifndef CW_MASK_H
#define CW_MASK_H

#include <stddef.h>

#define CW_MASK_SIZE 32

/* "13800138000" -> "138****8000": the first 3 and last 4 digits stay, the
 * middle becomes '*'. Numbers of 7 digits or fewer keep only their last 2.
 * Anything that is not a plain digit string is masked whole ("***").
 * Returns `out`. */
char *cw_mask_msisdn(const char *number, char out[CW_MASK_SIZE]);

#endif
