/* The partition pipeline (see part.h): its queue, its bookkeeping and which
 * step runs next. */
#include "part.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "apply.h"
#include "backoff.h"
#include "batch.h"
#include "clock.h"
#include "keys.h"
#include "log.h"
#include "meta.h"
#include "outbox.h"
#include "step.h"
#include "store.h"
#include "sweep.h"
#include "week.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
/* Alerts and dead letters in the producer before week-close steps wait: a
 * close emits alerts in bursts (a blue one for every quiet tier-1
 * subscriber), and an unbounded producer queue would be the daemon's
 * largest memory cost. They are safe in the Redis outbox meanwhile; steps of
 * records, which alert rarely, go on. */
#define MAX_OUTSTANDING 20000

struct cw_part {
    cw_env_t *env;
    int32_t partition;
    bool owned;
    bool loaded;               /* meta mirrors Redis */
    bool refused;              /* its state belongs to another partition count */
    cw_meta_t meta;
    cw_record_t **queue;       /* ring buffer, owned */
    size_t q_head, q_len, q_cap;
    const cw_record_t **window; /* the queue's prefix a step takes, in order */
    int64_t last_record_wall_ms;
    cw_step_t *step;           /* in flight, or NULL */
    bool step_counted;         /* it holds one of env's step slots */
    cw_meta_t loading;         /* the bookkeeping being read */
    struct event *backoff_timer;
    cw_backoff_t backoff;
    bool backing_off;
    size_t sweep_evaluated;    /* for the week-close log line */
    size_t sweep_alerts;
};

static void on_backoff_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_part_t *part = arg;
    part->backing_off = false;
    cw_part_kick(part);
}

cw_part_t *cw_part_new(cw_env_t *env, int32_t partition)
{
    cw_part_t *part = cw_calloc(1, sizeof *part);
    if (part == NULL)
        return NULL;
    part->env = env;
    part->partition = partition;
    part->owned = true;
    cw_backoff_init(&part->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    part->last_record_wall_ms = cw_wall_ms();
    cw_meta_reset(&part->meta);
    part->window = cw_malloc(CW_BATCH_MAX_RECORDS * sizeof *part->window);
    part->backoff_timer = evtimer_new(env->base, on_backoff_timer, part);
    if (part->window == NULL || part->backoff_timer == NULL) {
        if (part->backoff_timer != NULL)
            event_free(part->backoff_timer);
        cw_free(part->window);
        cw_free(part);
        return NULL;
    }
    return part;
}

static void pop(cw_part_t *part, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        cw_free(part->queue[part->q_head]);
        part->q_head = (part->q_head + 1) % part->q_cap;
        part->q_len--;
    }
    if (count > 0)
        part->env->records_done((int64_t)count, part->env->hook_arg);
}

static void part_free(cw_part_t *part)
{
    pop(part, part->q_len);
    event_free(part->backoff_timer);
    cw_free(part->queue);
    cw_free(part->window);
    cw_free(part);
}

void cw_part_release(cw_part_t *part)
{
    part->owned = false;
    pop(part, part->q_len);
    if (part->step == NULL)
        part_free(part);
    else
        cw_step_abandon(part->step); /* its end frees the partition, maybe at once */
}

void cw_part_push(cw_part_t *part, cw_record_t *record)
{
    if (part->q_len == part->q_cap) {
        size_t cap = part->q_cap ? part->q_cap * 2 : 256;
        cw_record_t **queue = cw_malloc(cap * sizeof *queue);
        if (queue == NULL)
            cw_log_fatal("partition %d: out of memory queueing a record; exiting so that "
                         "it is read again after the restart",
                         part->partition);
        for (size_t i = 0; i < part->q_len; i++)
            queue[i] = part->queue[(part->q_head + i) % part->q_cap];
        cw_free(part->queue);
        part->queue = queue;
        part->q_cap = cap;
        part->q_head = 0;
    }
    part->queue[(part->q_head + part->q_len) % part->q_cap] = record;
    part->q_len++;
    part->last_record_wall_ms = cw_wall_ms();
    cw_part_kick(part);
}

static void retry_after_backoff(cw_part_t *part, int64_t wait_ms)
{
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    evtimer_add(part->backoff_timer, &tv);
    part->backing_off = true;
}

/* ---- the end of a step -------------------------------------------------- */

static void step_ended(cw_part_t *part)
{
    cw_env_t *env = part->env;
    bool counted = part->step_counted;
    part->step = NULL;
    part->step_counted = false;
    if (counted)
        env->steps_in_flight--;
    if (!part->owned)
        part_free(part);
    else if (!counted)
        cw_part_kick(part);
    /* a slot is free: a round of every partition, this one included */
    if (counted)
        env->step_slot_freed(env->hook_arg);
}

/* A failed step: what landed in Redis is unknown, so reload the bookkeeping
 * after a backoff and go on from there. */
static void step_failed(cw_part_t *part, const char *why)
{
    part->loaded = false;
    if (!part->owned)
        return;
    int64_t wait_ms = cw_backoff_take(&part->backoff);
    cw_log(LOG_WARNING, "partition %d: step failed (%s); retrying in %lld ms", part->partition,
           why, (long long)wait_ms);
    retry_after_backoff(part, wait_ms);
}

static void week_closed(cw_part_t *part, int32_t week)
{
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    part->env->metrics->week_closes++;
    cw_log(LOG_INFO, "partition %d: week %s closed: %zu subscriber(s) evaluated, %zu alert(s)",
           part->partition, label, part->sweep_evaluated, part->sweep_alerts);
    part->sweep_evaluated = part->sweep_alerts = 0;
}

static void on_step_done(const cw_step_result_t *result, void *arg)
{
    cw_part_t *part = arg;
    if (!result->ok) {
        step_failed(part, result->why);
    } else if (part->owned) {
        part->meta = *result->meta;
        cw_backoff_reset(&part->backoff);
        part->sweep_evaluated += result->evaluated;
        part->sweep_alerts += result->alerts;
        if (result->closed_week != CW_WEEK_NONE)
            week_closed(part, result->closed_week);
        pop(part, result->records_done);
    }
    step_ended(part);
}

/* ---- loading the partition's bookkeeping -------------------------------- */

/* A subscriber's partition is its hash modulo the partition count: with
 * another count its state sits under a partition that no longer gets its
 * records, and applying would start it afresh. Only a person can mend that
 * (README, "Known limitations"), so the daemon stops without applying. */
static bool written_for_other_count(cw_part_t *part, const cw_meta_t *meta)
{
    int32_t now = part->env->partition_count;
    if (meta->partition_count == 0 || now == 0 || meta->partition_count == now)
        return false;
    cw_log(LOG_CRIT,
           "partition %d: its state in Redis was written when the input topics had %d "
           "partitions; they have %d now, so subscribers' states are under other "
           "partitions: refusing to apply (migrate the state or use a new key_prefix)",
           part->partition, (int)meta->partition_count, (int)now);
    part->refused = true;
    part->env->fail(part->env->hook_arg);
    return true;
}

static void on_recorded(cw_step_t *step, const redisReply *reply, void *arg)
{
}

static void on_meta(cw_step_t *step, const redisReply *reply, void *arg)
{
    cw_part_t *part = arg;
    const cw_config_t *config = part->env->config;
    cw_meta_topics_t topics = {config->input_topics, config->input_topic_count};
    cw_meta_reset(&part->loading);
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        if (field->str == NULL || value->str == NULL)
            continue;
        char err[128];
        if (cw_meta_read_field(&part->loading, &topics, field->str, field->len, value->str,
                               value->len, err, sizeof err) < 0) {
            cw_log(LOG_ERR, "partition %d: %s", part->partition, err);
            cw_step_fail(step, "its meta in Redis is malformed");
            return;
        }
    }
}

static void on_outbox(cw_step_t *step, const redisReply *reply, void *arg)
{
    cw_part_t *part = arg;
    if (written_for_other_count(part, &part->loading)) {
        cw_step_finish(step);
        return;
    }
    /* alerts and dead letters committed but maybe never acknowledged by
     * Kafka (a crash, a lost connection): send them again */
    size_t resent = 0;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        if (field->str == NULL || value->str == NULL)
            continue;
        if (cw_outbox_publish(part->env->outbox, part->partition, field->str, field->len,
                              value->str, value->len) == 0)
            resent++;
        else
            cw_log(LOG_ERR, "partition %d: outbox entry not understood; left in place",
                   part->partition);
    }
    if (resent > 0)
        cw_log(LOG_NOTICE, "partition %d: re-sending %zu alert(s) and dead letter(s) from the outbox",
               part->partition, resent);
    part->meta = part->loading;
    part->loaded = true;
    cw_step_finish(step);
}

static void on_load_end(cw_step_t *step, bool ok, void *arg)
{
    cw_part_t *part = arg;
    if (!ok)
        step_failed(part, cw_step_why(step));
    step_ended(part);
}

/* Records the step (and its slot) as the partition's one in flight, then
 * lets it go: a step that failed at once ends now, through the usual path. */
static void start_step(cw_part_t *part, cw_step_t *step, bool counted)
{
    if (step == NULL)
        return; /* out of memory: the next kick tries again */
    part->step = step;
    part->step_counted = counted;
    if (counted)
        part->env->steps_in_flight++;
    cw_step_go(step);
}

static void load_begin(cw_part_t *part)
{
    const cw_env_t *env = part->env;
    cw_step_t *step = cw_step_new(env, part->partition, on_load_end, part);
    if (step == NULL)
        return;
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE], count[16];
    size_t meta_len = cw_key_meta(meta_key, env->config->key_prefix, part->partition);
    size_t outbox_len = cw_key_outbox(outbox_key, env->config->key_prefix, part->partition);
    bool sent = true;
    if (env->partition_count > 0) {
        /* the partition count the state is written for, kept from the first load */
        snprintf(count, sizeof count, "%d", (int)env->partition_count);
        const char *record[4] = {"HSETNX", meta_key, CW_META_PARTITION_COUNT, count};
        size_t record_len[4] = {6, meta_len, strlen(CW_META_PARTITION_COUNT), strlen(count)};
        sent = cw_step_send(step, 4, record, record_len, REDIS_REPLY_INTEGER, on_recorded);
    }
    const char *argv[2] = {"HGETALL", meta_key};
    size_t argvlen[2] = {7, meta_len};
    sent = sent && cw_step_send(step, 2, argv, argvlen, REDIS_REPLY_ARRAY, on_meta);
    argv[1] = outbox_key;
    argvlen[1] = outbox_len;
    if (sent)
        cw_step_send(step, 2, argv, argvlen, REDIS_REPLY_ARRAY, on_outbox);
    start_step(part, step, false);
}

/* ---- which step next ---------------------------------------------------- */

static bool take_slot(cw_part_t *part, bool sweep)
{
    const cw_env_t *env = part->env;
    return env->steps_in_flight < CW_MAX_STEPS &&
           (!sweep || cw_outbox_in_flight(env->outbox) < MAX_OUTSTANDING);
}

void cw_part_kick(cw_part_t *part)
{
    const cw_env_t *env = part->env;
    if (!part->owned || part->step != NULL || part->backing_off || part->refused)
        return;
    if (env->store == NULL || !cw_store_ready(env->store))
        return; /* the store's ready callback kicks every partition */
    if (!part->loaded) {
        load_begin(part);
    } else if (cw_sweep_due(env->config, &part->meta)) {
        if (!env->stopping && take_slot(part, true))
            start_step(part,
                       cw_sweep_begin(env, part->partition, &part->meta, on_step_done, part),
                       true);
    } else if (part->q_len > 0 && !env->stopping && take_slot(part, false)) {
        size_t n = part->q_len < CW_BATCH_MAX_RECORDS ? part->q_len : CW_BATCH_MAX_RECORDS;
        for (size_t i = 0; i < n; i++)
            part->window[i] = part->queue[(part->q_head + i) % part->q_cap];
        start_step(part,
                   cw_apply_begin(env, part->partition, &part->meta, part->window, n,
                                  on_step_done, part),
                   true);
    }
}

void cw_part_tick(cw_part_t *part, int64_t wall_ms)
{
    const cw_env_t *env = part->env;
    if (!part->loaded || part->step != NULL || part->q_len > 0 || env->stopping)
        return;
    if (part->meta.stream_ms == CW_STREAM_NONE || wall_ms <= part->meta.stream_ms)
        return;
    if (wall_ms - part->last_record_wall_ms < env->config->idle_close_ms)
        return;
    /* a silent partition takes the wall clock as its stream time, never
     * moving it backwards, so its weeks close on time (SPEC section 5) */
    part->meta.stream_ms = wall_ms;
    if (cw_sweep_due(env->config, &part->meta))
        cw_part_kick(part);
}

void cw_part_invalidate(cw_part_t *part)
{
    part->loaded = false;
    if (!part->backing_off && part->step == NULL)
        retry_after_backoff(part, 50); /* not at once: the caller may be mid-step */
}

bool cw_part_busy(const cw_part_t *part)
{
    return part->step != NULL;
}

int64_t cw_part_next_offset(const cw_part_t *part, int topic_index)
{
    return part->loaded ? part->meta.next_offset[topic_index] : -1;
}

int64_t cw_part_stream_ms(const cw_part_t *part)
{
    return part->meta.stream_ms;
}
