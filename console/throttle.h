/* Login attempt limits: a password guesser gets a few tries, then waits
 * longer and longer. Two keys are limited per attempt, the user name (against
 * guessing one account from many addresses) and the client address (against
 * trying many accounts from one); a fixed table, so a flood of names cannot
 * grow memory. Pure: the caller passes the time. */
#ifndef CW_THROTTLE_H
#define CW_THROTTLE_H

#include <stdint.h>

#define CW_THROTTLE_SLOTS 4096
#define CW_THROTTLE_BASE_MS 30000        /* the first wait; doubles with each failure */
#define CW_THROTTLE_MAX_MS (15 * 60000)  /* the longest wait */
#define CW_THROTTLE_FORGET_MS (60 * 60000) /* a key quiet this long starts afresh */

typedef struct cw_throttle_slot {
    uint64_t key;              /* 0: free */
    int failures;
    int64_t last_ms;           /* the last failure */
} cw_throttle_slot_t;

typedef struct cw_throttle {
    int free_failures;         /* failures before the first wait */
    cw_throttle_slot_t slots[CW_THROTTLE_SLOTS];
} cw_throttle_t;

/* free_failures: 5 suits a user name; an address, which a whole office may
 * share behind one proxy, gets more. */
void cw_throttle_init(cw_throttle_t *t, int free_failures);
/* Milliseconds the key must still wait before another attempt (0: go on). */
int64_t cw_throttle_wait(const cw_throttle_t *t, const char *key, int64_t now_ms);
/* Records a failed attempt. */
void cw_throttle_fail(cw_throttle_t *t, const char *key, int64_t now_ms);
/* A successful login clears the key. */
void cw_throttle_clear(cw_throttle_t *t, const char *key);

#endif
