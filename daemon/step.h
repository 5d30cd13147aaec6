/* A step's round trips to Redis, for the partition pipeline's steps (apply,
 * sweep, and loading a partition's bookkeeping): load subscriber states,
 * send a command, run the commit script. Replies come back on the event
 * loop; each continuation runs once its replies are in. Any failure (no
 * answer, an error reply, a lost connection) fails the whole step: what
 * landed in Redis is unknown, so the owner reloads and retries, and the
 * step itself never retries. */
#ifndef CW_STEP_H
#define CW_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "env.h"
#include "ops.h"
#include "subset.h"

typedef struct cw_step cw_step_t;
typedef void (*cw_step_fn)(cw_step_t *step, void *arg);
typedef void (*cw_step_reply_fn)(cw_step_t *step, const redisReply *reply, void *arg);
/* The step ended; it is freed right after this returns. */
typedef void (*cw_step_end_fn)(cw_step_t *step, bool ok, void *arg);

/* A new step for the partition; `on_end` is called exactly once, with `arg`
 * (also given to every continuation). NULL when out of memory. The step is
 * held by its creator: it cannot end before cw_step_go, however early it
 * fails, so its owner can record it first. */
cw_step_t *cw_step_new(const cw_env_t *env, int32_t partition, cw_step_end_fn on_end,
                       void *arg);
/* Releases the creator's hold (once): a step that already failed or
 * finished ends now. */
void cw_step_go(cw_step_t *step);

/* Loads the states of the subscribers in `subs` (MGET in chunks); `then`
 * runs once all are in. A corrupt stored state is logged and starts fresh. */
void cw_step_load(cw_step_t *step, cw_subset_t *subs, cw_step_fn then);
/* Sends one command; `then` runs with its reply when the reply has the
 * expected type (REDIS_REPLY_*), else the step fails. Replies come in the
 * order the commands were sent. Returns false when it could not be sent:
 * the step has failed (and, without the creator's hold, may have ended). */
bool cw_step_send(cw_step_t *step, int argc, const char **argv, const size_t *argvlen,
                  int type, cw_step_reply_fn then);
/* WAIT on the partition's Redis connection ([redis] min_replicas_acked
 * replicas); `then` runs with the number of replicas holding every write
 * sent on it so far. Returns as cw_step_send does. */
bool cw_step_wait(cw_step_t *step, cw_step_reply_fn then);
/* Runs the commit script with the ops; `then` runs once Redis applied it
 * (cw_step_seq then gives the partition's new fence). A commit refused by
 * the fence counts in cdrwarn_redis_fenced_total. */
void cw_step_commit(cw_step_t *step, cw_ops_t *ops, cw_step_fn then);
/* The fence value the commit returned. */
long long cw_step_seq(const cw_step_t *step);

/* Ends the step (ok, unless it failed or was abandoned) once no reply is
 * pending. Call from a continuation once nothing else is to be sent.
 * cw_step_finish, cw_step_fail and cw_step_abandon may end and free the step
 * at once: the caller must not touch it afterwards. */
void cw_step_finish(cw_step_t *step);
/* Fails the step (the first reason is kept): it ends, not ok, once its
 * replies are in. */
void cw_step_fail(cw_step_t *step, const char *why);
/* The partition is gone: no continuation runs any more; the step ends, not
 * ok, once its replies are in. */
void cw_step_abandon(cw_step_t *step);

const char *cw_step_why(const cw_step_t *step);   /* why it failed; "" if not */
/* It failed because another instance claimed the partition. */
bool cw_step_claimed_elsewhere(const cw_step_t *step);
double cw_step_started_s(const cw_step_t *step);  /* monotonic */
int32_t cw_step_partition(const cw_step_t *step);

#endif
