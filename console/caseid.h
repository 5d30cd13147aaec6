/* Opaque ids for cases and subscribers (SPEC section 12): a keyed hash of
 * (MSISDN, week) for a case and of the MSISDN for the subscriber's index, so
 * URLs, logs and Redis key names never carry a number. The 32-byte key is
 * the console's secret (kept in Redis, made once); the same key always gives
 * the same ids, so a replayed topic lands on the same cases. */
#ifndef CW_CASEID_H
#define CW_CASEID_H

#include <stddef.h>
#include <stdint.h>

#define CW_CASEID_KEY_SIZE 32
/* 16 bytes as base64url: 22 characters */
#define CW_CASEID_LEN 22
#define CW_CASEID_SIZE (CW_CASEID_LEN + 1)

/* Parses the key from its stored form, 64 hex digits. Returns 0 or -1. */
int cw_caseid_key_parse(const char *hex, size_t len, uint8_t key[CW_CASEID_KEY_SIZE]);

/* The case id of (msisdn, week label) into out. */
void cw_caseid_case(const uint8_t key[CW_CASEID_KEY_SIZE], const char *msisdn,
                    const char *week, char out[CW_CASEID_SIZE]);
/* The subscriber id of an MSISDN into out (a different id from any case's). */
void cw_caseid_subscriber(const uint8_t key[CW_CASEID_KEY_SIZE], const char *msisdn,
                          char out[CW_CASEID_SIZE]);

#endif
