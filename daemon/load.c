/* Loading a partition's bookkeeping (see load.h). */
#include "load.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "statecache.h"

typedef struct load {
    const cw_env_t *env;
    int32_t partition;
    char owner[CW_META_OWNER_SIZE];
    int64_t floor[CW_MAX_INPUT_TOPICS];
    cw_meta_t meta;
    cw_load_result_t result;
    cw_load_done_fn done;
    void *done_arg;
} load_t;

static void on_end(cw_step_t *step, bool ok, void *arg)
{
    load_t *load = arg;
    load->result.ok = ok;
    load->result.why = cw_step_why(step);
    load->result.meta = &load->meta;
    load->done(&load->result, load->done_arg);
    cw_free(load);
}

static void on_written(cw_step_t *step, const redisReply *reply, void *arg)
{
}

/* min_replicas_acked: what the outbox holds is sent again only once the
 * replicas hold the commits before (a commit that fell short of them failed
 * its step, but landed on the master). */
static void on_waited(cw_step_t *step, const redisReply *reply, void *arg)
{
    load_t *load = arg;
    long long want = load->env->config->min_replicas_acked;
    if (reply->integer < want) {
        char why[160];
        snprintf(why, sizeof why,
                 "NOREPLICAS %lld of %lld replica(s) hold the partition's writes "
                 "([redis] min_replicas_acked)",
                 reply->integer, want);
        cw_step_fail(step, why);
    }
}

static void on_meta(cw_step_t *step, const redisReply *reply, void *arg)
{
    load_t *load = arg;
    const cw_config_t *config = load->env->config;
    cw_meta_topics_t topics = {config->input_topics, config->input_topic_count};
    cw_meta_reset(&load->meta);
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        if (field->str == NULL || value->str == NULL)
            continue;
        char err[128];
        if (cw_meta_read_field(&load->meta, &topics, field->str, field->len, value->str,
                               value->len, err, sizeof err) < 0) {
            cw_log(LOG_ERR, "partition %d: %s", load->partition, err);
            cw_step_fail(step, "its meta in Redis is malformed");
            return;
        }
    }
}

/* Alerts and dead letters committed but maybe never acknowledged by Kafka
 * (a crash, a lost connection): sent again. */
static size_t resend(load_t *load, const redisReply *reply)
{
    size_t resent = 0;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        if (field->str == NULL || value->str == NULL)
            continue;
        if (cw_outbox_publish(load->env->outbox, load->partition, field->str, field->len,
                              value->str, value->len) == 0)
            resent++;
        else
            cw_log(LOG_ERR, "partition %d: outbox entry not understood; left in place",
                   load->partition);
    }
    return resent;
}

static void on_outbox(cw_step_t *step, const redisReply *reply, void *arg)
{
    load_t *load = arg;
    const cw_env_t *env = load->env;
    int32_t count = env->partition_count;
    if (load->meta.partition_count != 0 && count != 0 && load->meta.partition_count != count) {
        load->result.other_count = load->meta.partition_count;
        cw_step_finish(step);
        return;
    }
    cw_recovery_judge(&load->meta, load->floor, env->config->input_topic_count, load->owner,
                      &load->result.verdict);
    cw_redis_state_t state = load->result.verdict.state;
    if (state == CW_REDIS_INTACT || state == CW_REDIS_ROLLED_BACK)
        load->result.resent = resend(load, reply);
    cw_step_finish(step);
}

cw_step_t *cw_load_begin(const cw_env_t *env, int32_t partition, const char *claim,
                         const char *owner, const int64_t *floor, cw_load_done_fn done,
                         void *arg)
{
    load_t *load = cw_calloc(1, sizeof *load);
    if (load == NULL)
        return NULL;
    load->env = env;
    load->partition = partition;
    /* whatever made the partition load again (an assignment, a failure, a
     * reconnect, an audit), its states in Redis may not be what this
     * instance last wrote */
    cw_statecache_drop_partition(env->cache, partition);
    snprintf(load->owner, sizeof load->owner, "%s", owner);
    memcpy(load->floor, floor, sizeof load->floor);
    load->done = done;
    load->done_arg = arg;
    cw_step_t *step = cw_step_new(env, partition, on_end, load);
    if (step == NULL) {
        cw_free(load);
        return NULL;
    }
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE], count[16];
    size_t meta_len = cw_key_meta(meta_key, env->config->key_prefix, partition);
    size_t outbox_len = cw_key_outbox(outbox_key, env->config->key_prefix, partition);
    bool sent = true;
    if (env->partition_count > 0) {
        /* the partition count the state is written for, kept from the first load */
        snprintf(count, sizeof count, "%d", (int)env->partition_count);
        const char *argv[4] = {"HSETNX", meta_key, CW_META_PARTITION_COUNT, count};
        size_t argvlen[4] = {6, meta_len, strlen(CW_META_PARTITION_COUNT), strlen(count)};
        sent = cw_step_send(step, 4, argv, argvlen, REDIS_REPLY_INTEGER, on_written);
    }
    if (sent && claim != NULL) {
        const char *argv[4] = {"HSET", meta_key, CW_META_OWNER, claim};
        size_t argvlen[4] = {4, meta_len, strlen(CW_META_OWNER), strlen(claim)};
        sent = cw_step_send(step, 4, argv, argvlen, REDIS_REPLY_INTEGER, on_written);
    }
    const char *argv[2] = {"HGETALL", meta_key};
    size_t argvlen[2] = {7, meta_len};
    sent = sent && cw_step_send(step, 2, argv, argvlen, REDIS_REPLY_ARRAY, on_meta);
    if (sent && env->config->min_replicas_acked > 0)
        sent = cw_step_wait(step, on_waited);
    argv[1] = outbox_key;
    argvlen[1] = outbox_len;
    if (sent)
        cw_step_send(step, 2, argv, argvlen, REDIS_REPLY_ARRAY, on_outbox);
    return step;
}
