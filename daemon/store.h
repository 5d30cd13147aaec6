/* The Redis connection: hiredis async on the event loop, with what hiredis
 * 0.14 lacks added here: reconnect with backoff, a timeout on every command
 * (a command unanswered for `timeout_ms` drops the connection), AUTH, and the
 * commit script loaded at every connect (EVALSHA, or EVAL where SCRIPT LOAD
 * is not available, e.g. behind twemproxy). */
#ifndef CW_STORE_H
#define CW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "metrics.h"

struct event_base;
typedef struct cw_store cw_store_t;

typedef struct cw_store_options {
    const char *host;
    int port;
    const char *user;        /* NULL: plain AUTH password, or no AUTH */
    const char *password;    /* NULL: no AUTH */
    int64_t timeout_ms;
    const char *script;      /* the Lua commit script */
} cw_store_options_t;

/* A reply: borrowed for the callback's duration only. NULL when the command's
 * fate is unknown (connection lost or timed out: it may or may not have run). */
typedef void (*cw_store_reply_fn)(redisReply *reply, void *arg);
/* Called when the connection becomes ready (true) or is lost (false). */
typedef void (*cw_store_state_fn)(bool ready, void *arg);

/* Starts connecting at once; options are copied. NULL when out of memory. */
cw_store_t *cw_store_new(struct event_base *base, const cw_store_options_t *options,
                         cw_metrics_t *metrics, cw_store_state_fn on_state, void *state_arg);
/* Drops the connection; pending callbacks get NULL first. */
void cw_store_free(cw_store_t *store);

bool cw_store_ready(const cw_store_t *store);
/* Milliseconds since the connection was lost (0 while ready). */
int64_t cw_store_down_ms(const cw_store_t *store);
/* Redis answers but refused the last commit script for a reason of its own
 * (MISCONF, OOM, READONLY, NOREPLICAS): its error into buf, true. False
 * once a commit went through again. */
bool cw_store_write_refused(const cw_store_t *store, char *buf, size_t size);

/* Sends a command; argv is copied before return. Returns 0, or -1 when the
 * connection is not ready (the callback is then never called). */
int cw_store_send(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen);
/* Runs the commit script: argv holds numkeys, keys and args exactly as after
 * "EVALSHA sha" (the store puts the command and script in front). */
int cw_store_eval(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen);

#endif
