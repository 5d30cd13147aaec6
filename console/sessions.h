/* Signed-in sessions: a random token in an HttpOnly, SameSite=Strict cookie
 * names one, and each carries its own random CSRF value that every POST must
 * echo in X-CSRF-Token (SPEC section 12). Kept in memory: a restart signs
 * everyone out, which costs a sign-in and keeps no credential in Redis. */
#ifndef CW_SESSIONS_H
#define CW_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "users.h"

#define CW_SESSION_TOKEN_LEN 43 /* 32 random bytes, base64url */
#define CW_SESSION_IDLE_MS (12 * 3600 * 1000LL)   /* a working day without a request */
#define CW_SESSION_MAX_MS (24 * 3600 * 1000LL)    /* then a new sign-in, whatever happens */
#define CW_SESSIONS_MAX 10000

typedef struct cw_session {
    char token[CW_SESSION_TOKEN_LEN + 1];
    char csrf[CW_SESSION_TOKEN_LEN + 1];
    char user[CW_USER_NAME_MAX + 1];
    int64_t created_ms, seen_ms;
} cw_session_t;

typedef struct cw_sessions cw_sessions_t;

cw_sessions_t *cw_sessions_new(void);
void cw_sessions_free(cw_sessions_t *sessions);
/* A new session for the user (the oldest one is dropped when full); NULL
 * when no random bytes could be had. Borrowed until dropped. */
const cw_session_t *cw_sessions_create(cw_sessions_t *sessions, const char *user,
                                       int64_t now_ms);
/* The live session of a token (its idle clock restarted), or NULL. */
const cw_session_t *cw_sessions_find(cw_sessions_t *sessions, const char *token,
                                     int64_t now_ms);
void cw_sessions_drop(cw_sessions_t *sessions, const char *token);
/* Drops the sessions of users no longer in the accounts file. */
void cw_sessions_prune(cw_sessions_t *sessions, const cw_users_t *users, int64_t now_ms);
int cw_sessions_count(const cw_sessions_t *sessions);

/* Fills buf with len random bytes from the kernel; 0 or -1. */
int cw_random_bytes(void *buf, size_t len);

#endif
