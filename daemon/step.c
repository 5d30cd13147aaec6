/* A step's round trips to Redis (see step.h). */
#include "step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "keys.h"
#include "log.h"
#include "mask.h"
#include "statecache.h"
#include "store.h"

#define MGET_CHUNK 500

struct cw_step {
    const cw_env_t *env;
    int32_t partition;
    cw_step_end_fn on_end;
    void *arg;
    double started_s;
    int replies_pending;       /* and the creator's hold until cw_step_go */
    bool failed, abandoned, finished;
    bool claimed_elsewhere;    /* the commit found another instance's claim */
    char why[160];
    long long seq;
    cw_subset_t *subs;         /* being loaded */
    size_t *misses;            /* owned: the indexes into subs of those read from Redis */
    const cw_ops_t *ops;       /* committed: what the state cache learns once it landed */
};

/* One command in flight. */
typedef struct sent {
    cw_step_t *step;
    int type;                  /* the reply type expected */
    const char *command;       /* for the failure's reason */
    cw_step_reply_fn on_reply; /* a command's own handler, or NULL */
    cw_step_fn then;           /* MGET and commit: once all replies are in */
    size_t first, count;       /* MGET: the subscribers it loads (step->misses[first..]) */
} sent_t;

cw_step_t *cw_step_new(const cw_env_t *env, int32_t partition, cw_step_end_fn on_end,
                       void *arg)
{
    cw_step_t *step = cw_calloc(1, sizeof *step);
    if (step == NULL)
        return NULL;
    step->env = env;
    step->partition = partition;
    step->on_end = on_end;
    step->arg = arg;
    step->started_s = cw_mono_s();
    step->replies_pending = 1; /* the creator's hold */
    return step;
}

/* Ends the step once nothing is pending and it is over one way or another. */
static void maybe_end(cw_step_t *step)
{
    if (step->replies_pending > 0 || !(step->failed || step->abandoned || step->finished))
        return;
    bool ok = !step->failed && !step->abandoned;
    /* what landed in Redis is unknown: the partition's cached states may be wrong */
    if (!ok)
        cw_statecache_drop_partition(step->env->cache, step->partition);
    step->on_end(step, ok, step->arg);
    cw_free(step->misses);
    cw_free(step);
}

static void count_cache(const cw_env_t *env)
{
    cw_statecache_stats_t stats = cw_statecache_stats(env->cache);
    env->metrics->state_cache_hits = stats.hits;
    env->metrics->state_cache_misses = stats.misses;
    env->metrics->state_cache_entries = stats.entries;
    env->metrics->state_cache_bytes = stats.bytes;
}

/* The commit landed: Redis holds the states it set, and may drop those it
 * gave an expiry. */
static void learn_commit(cw_step_t *step)
{
    enum { CHUNK = 64 };
    const cw_ops_t *ops = step->ops;
    cw_statecache_t *cache = step->env->cache;
    const cw_ops_list_t *keys = &ops->keys[CW_OPS_SET], *values = &ops->args[CW_OPS_SET];
    cw_statecache_item_t items[CHUNK];
    for (size_t first = 0; first < keys->count; first += CHUNK) {
        size_t count = keys->count - first < CHUNK ? keys->count - first : CHUNK;
        for (size_t k = 0; k < count; k++)
            items[k] = (cw_statecache_item_t){
                .key = ops->arena + keys->items[first + k].offset,
                .key_len = keys->items[first + k].len,
                .bytes = (const uint8_t *)ops->arena + values->items[first + k].offset,
                .len = values->items[first + k].len};
        if (cw_statecache_put_many(cache, step->partition, items, count) != 0)
            cw_statecache_drop_partition(cache, step->partition); /* out of memory */
    }
    keys = &ops->keys[CW_OPS_EXPIRE];
    for (size_t i = 0; i < keys->count; i++)
        cw_statecache_remove(cache, step->partition, ops->arena + keys->items[i].offset,
                             keys->items[i].len);
    count_cache(step->env);
}

void cw_step_go(cw_step_t *step)
{
    step->replies_pending--;
    maybe_end(step);
}

void cw_step_finish(cw_step_t *step)
{
    step->finished = true;
    maybe_end(step);
}

void cw_step_fail(cw_step_t *step, const char *why)
{
    if (!step->failed) {
        step->failed = true;
        snprintf(step->why, sizeof step->why, "%s", why);
    }
    /* with replies outstanding, the last of them ends the step */
    maybe_end(step);
}

void cw_step_abandon(cw_step_t *step)
{
    step->abandoned = true;
    maybe_end(step);
}

const char *cw_step_why(const cw_step_t *step)
{
    return step->why;
}

double cw_step_started_s(const cw_step_t *step)
{
    return step->started_s;
}

int32_t cw_step_partition(const cw_step_t *step)
{
    return step->partition;
}

bool cw_step_claimed_elsewhere(const cw_step_t *step)
{
    return step->claimed_elsewhere;
}

long long cw_step_seq(const cw_step_t *step)
{
    return step->seq;
}

static void on_reply(redisReply *reply, void *arg);

/* Sends a command for the step; false when it could not be sent (the step
 * has then failed, and may have ended). */
static bool send_one(cw_step_t *step, sent_t *sent, bool eval, int argc, const char **argv,
                     const size_t *argvlen)
{
    step->replies_pending++;
    int rc = -1;
    if (sent != NULL)
        rc = eval ? cw_store_eval(step->env->store, on_reply, sent, argc, argv, argvlen)
                  : cw_store_send(step->env->store, on_reply, sent, argc, argv, argvlen);
    if (rc == 0)
        return true;
    step->replies_pending--;
    cw_free(sent);
    cw_step_fail(step, sent == NULL ? "out of memory" : "Redis not ready");
    return false;
}

static sent_t *new_sent(cw_step_t *step, int type, const char *command)
{
    sent_t *sent = cw_calloc(1, sizeof *sent);
    if (sent != NULL) {
        sent->step = step;
        sent->type = type;
        sent->command = command;
    }
    return sent;
}

static void load_values(cw_step_t *step, const sent_t *sent, const redisReply *reply)
{
    for (size_t i = 0; i < sent->count; i++) {
        const redisReply *value = reply->element[i];
        size_t sub = step->misses[sent->first + i];
        if (value->type != REDIS_REPLY_STRING)
            continue; /* a new subscriber */
        if (cw_subset_load(step->subs, sub, (const uint8_t *)value->str, value->len) != 0) {
            /* the key, its MSISDN masked: which one an operator may inspect */
            char masked[CW_MASK_SIZE], key[CW_KEY_SIZE];
            cw_mask_msisdn(step->subs->subs[sub].msisdn, masked);
            cw_key_sub(key, step->env->config->key_prefix, step->partition, masked);
            cw_log(LOG_ERR,
                   "partition %d: the stored subscriber state %s (%zu bytes) does not "
                   "decode; starting it afresh",
                   step->partition, key, value->len);
        }
    }
}

static void on_reply(redisReply *reply, void *arg)
{
    sent_t *sent = arg;
    cw_step_t *step = sent->step;
    step->replies_pending--;
    if (step->abandoned || step->failed) {
        cw_free(sent);
        maybe_end(step);
        return;
    }
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
        strncmp(reply->str, "FENCED", 6) == 0) {
        step->env->metrics->redis_fenced++; /* another owner wrote first */
        step->claimed_elsewhere = strncmp(reply->str, "FENCED_OWNER", 12) == 0;
    }
    if (reply == NULL || reply->type != sent->type) {
        char why[160];
        if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
            snprintf(why, sizeof why, "%s: %s", sent->command, reply->str);
        else
            snprintf(why, sizeof why, "%s without an answer", sent->command);
        cw_free(sent);
        cw_step_fail(step, why);
        return;
    }
    if (sent->count > 0 && reply->elements != sent->count) {
        cw_free(sent);
        cw_step_fail(step, "MGET answered with another number of values");
        return;
    }
    if (sent->count > 0)
        load_values(step, sent, reply);
    if (sent->type == REDIS_REPLY_INTEGER && sent->then != NULL) {
        step->seq = reply->integer; /* the commit's new fence */
        learn_commit(step);
    }
    cw_step_reply_fn on_reply_fn = sent->on_reply;
    cw_step_fn then = sent->then;
    cw_free(sent);
    if (on_reply_fn != NULL)
        on_reply_fn(step, reply, step->arg);
    else if (then != NULL && step->replies_pending == 0)
        then(step, step->arg);
}

bool cw_step_send(cw_step_t *step, int argc, const char **argv, const size_t *argvlen,
                  int type, cw_step_reply_fn then)
{
    sent_t *sent = new_sent(step, type, argv[0]);
    if (sent != NULL)
        sent->on_reply = then;
    return send_one(step, sent, false, argc, argv, argvlen);
}

bool cw_step_wait(cw_step_t *step, cw_step_reply_fn then)
{
    char key[CW_KEY_SIZE];
    size_t len = cw_key_meta(key, step->env->config->key_prefix, step->partition);
    sent_t *sent = new_sent(step, REDIS_REPLY_INTEGER, "WAIT");
    step->replies_pending++;
    if (sent != NULL) {
        sent->on_reply = then;
        if (cw_store_wait(step->env->store, key, len, on_reply, sent) == 0)
            return true;
    }
    step->replies_pending--;
    cw_free(sent);
    cw_step_fail(step, sent == NULL ? "out of memory" : "Redis not ready");
    return false;
}

/* Takes the states the cache holds; the others are step->misses. Returns
 * how many missed, or -1 when out of memory. */
static long from_cache(cw_step_t *step, cw_subset_t *subs)
{
    enum { CHUNK = 64 };
    cw_free(step->misses);
    step->misses = cw_malloc(subs->count * sizeof *step->misses);
    if (step->misses == NULL)
        return -1;
    const char *prefix = step->env->config->key_prefix;
    char keys[CHUNK][CW_KEY_SIZE];
    cw_statecache_item_t items[CHUNK];
    size_t missed = 0;
    for (size_t first = 0; first < subs->count; first += CHUNK) {
        size_t count = subs->count - first < CHUNK ? subs->count - first : CHUNK;
        for (size_t k = 0; k < count; k++)
            items[k] = (cw_statecache_item_t){
                .key = keys[k],
                .key_len = cw_key_sub(keys[k], prefix, step->partition,
                                      subs->subs[first + k].msisdn)};
        cw_statecache_get_many(step->env->cache, step->partition, items, count);
        for (size_t k = 0; k < count; k++)
            if (items[k].bytes == NULL ||
                cw_subset_load(subs, first + k, items[k].bytes, items[k].len) != 0)
                step->misses[missed++] = first + k;
    }
    count_cache(step->env);
    return (long)missed;
}

void cw_step_load(cw_step_t *step, cw_subset_t *subs, cw_step_fn then)
{
    step->subs = subs;
    long missed = from_cache(step, subs);
    if (missed < 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    if (missed == 0) {
        then(step, step->arg);
        return;
    }
    const char *prefix = step->env->config->key_prefix;
    const char *argv[MGET_CHUNK + 1];
    size_t argvlen[MGET_CHUNK + 1];
    char (*keys)[CW_KEY_SIZE] = cw_malloc(MGET_CHUNK * sizeof *keys);
    if (keys == NULL) {
        cw_step_fail(step, "out of memory");
        return;
    }
    /* counted first, so that no reply can run `then` before the last is sent */
    step->replies_pending++;
    for (size_t first = 0; first < (size_t)missed; first += MGET_CHUNK) {
        size_t count = (size_t)missed - first < MGET_CHUNK ? (size_t)missed - first : MGET_CHUNK;
        argv[0] = "MGET";
        argvlen[0] = 4;
        for (size_t i = 0; i < count; i++) {
            argvlen[i + 1] = cw_key_sub(keys[i], prefix, step->partition,
                                        subs->subs[step->misses[first + i]].msisdn);
            argv[i + 1] = keys[i];
        }
        sent_t *sent = new_sent(step, REDIS_REPLY_ARRAY, "MGET");
        if (sent != NULL) {
            sent->then = then;
            sent->first = first;
            sent->count = count;
        }
        if (!send_one(step, sent, false, (int)count + 1, argv, argvlen))
            break;
    }
    cw_free(keys);
    step->replies_pending--;
    if (step->replies_pending > 0)
        return;
    /* every reply came already, so none ran `then` */
    if (step->failed || step->abandoned)
        maybe_end(step);
    else
        then(step, step->arg);
}

void cw_step_commit(cw_step_t *step, cw_ops_t *ops, cw_step_fn then)
{
    int argc = cw_ops_build(ops);
    if (argc < 0) {
        cw_step_fail(step, "out of memory");
        return;
    }
    step->ops = ops;
    sent_t *sent = new_sent(step, REDIS_REPLY_INTEGER, "commit");
    if (sent != NULL)
        sent->then = then;
    send_one(step, sent, true, argc, ops->argv, ops->argvlen);
}
