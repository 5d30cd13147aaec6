/* Sessions in memory (see sessions.h). A token is looked up by comparing it
 * in constant time with each live one: a few hundred staff, so a scan costs
 * microseconds and never tells through timing how much of a guess was right. */
#include "sessions.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "alloc.h"
#include "token.h"

struct cw_sessions {
    cw_session_t *items;
    int count;
    size_t cap;
};

int cw_random_bytes(void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static int random_token(char out[CW_SESSION_TOKEN_LEN + 1])
{
    uint8_t bytes[32];
    if (cw_random_bytes(bytes, sizeof bytes) != 0)
        return -1;
    cw_token_b64url(bytes, sizeof bytes, out);
    memset(bytes, 0, sizeof bytes);
    return 0;
}

cw_sessions_t *cw_sessions_new(void)
{
    return cw_calloc(1, sizeof(cw_sessions_t));
}

void cw_sessions_free(cw_sessions_t *sessions)
{
    if (sessions == NULL)
        return;
    if (sessions->items)
        memset(sessions->items, 0, sessions->cap * sizeof *sessions->items);
    cw_free(sessions->items);
    cw_free(sessions);
}

static void remove_at(cw_sessions_t *s, int i)
{
    s->items[i] = s->items[s->count - 1];
    memset(&s->items[s->count - 1], 0, sizeof s->items[0]);
    s->count--;
}

static bool expired(const cw_session_t *session, int64_t now_ms)
{
    return now_ms - session->seen_ms > CW_SESSION_IDLE_MS ||
           now_ms - session->created_ms > CW_SESSION_MAX_MS;
}

const cw_session_t *cw_sessions_create(cw_sessions_t *s, const char *user, int64_t now_ms)
{
    for (int i = s->count - 1; i >= 0; i--)
        if (expired(&s->items[i], now_ms))
            remove_at(s, i);
    if (s->count == CW_SESSIONS_MAX) {
        int oldest = 0;
        for (int i = 1; i < s->count; i++)
            if (s->items[i].seen_ms < s->items[oldest].seen_ms)
                oldest = i;
        remove_at(s, oldest);
    }
    cw_session_t *grown =
        cw_grow(s->items, &s->cap, (size_t)s->count + 1, sizeof *grown, 32);
    if (grown == NULL)
        return NULL;
    s->items = grown;
    cw_session_t *session = &s->items[s->count];
    memset(session, 0, sizeof *session);
    if (random_token(session->token) != 0 || random_token(session->csrf) != 0)
        return NULL;
    snprintf(session->user, sizeof session->user, "%s", user);
    session->created_ms = session->seen_ms = now_ms;
    s->count++;
    return session;
}

const cw_session_t *cw_sessions_find(cw_sessions_t *s, const char *token, int64_t now_ms)
{
    if (!cw_token_valid(token, CW_SESSION_TOKEN_LEN))
        return NULL;
    int found = -1;
    for (int i = 0; i < s->count; i++)
        if (cw_token_equal(s->items[i].token, token))
            found = i;
    if (found < 0)
        return NULL;
    if (expired(&s->items[found], now_ms)) {
        remove_at(s, found);
        return NULL;
    }
    s->items[found].seen_ms = now_ms;
    return &s->items[found];
}

void cw_sessions_drop(cw_sessions_t *s, const char *token)
{
    for (int i = s->count - 1; i >= 0; i--)
        if (cw_token_equal(s->items[i].token, token))
            remove_at(s, i);
}

void cw_sessions_prune(cw_sessions_t *s, const cw_users_t *users, int64_t now_ms)
{
    for (int i = s->count - 1; i >= 0; i--)
        if (expired(&s->items[i], now_ms) || cw_users_find(users, s->items[i].user) == NULL)
            remove_at(s, i);
}

int cw_sessions_count(const cw_sessions_t *s)
{
    return s->count;
}
