/* The partition pipeline: its queue, its bookkeeping, and the step machinery
 * shared by the apply path (apply.c) and the week close (sweep.c). */
#include "part_internal.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "consumer.h"
#include "hash.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "subcodec.h"
#include "week.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define MGET_CHUNK 500

static void part_free(cw_part_t *part);
static void load_begin(cw_part_t *part);

/* ---- the partition ---------------------------------------------------- */

static void meta_reset(part_meta_t *meta)
{
    meta->seq[0] = '\0';
    for (int i = 0; i < CW_MAX_INPUT_TOPICS; i++)
        meta->next_offset[i] = -1;
    meta->stream_ms = STREAM_NONE;
    meta->closed_week = WEEK_NONE;
    meta->sweep_week = WEEK_NONE;
    meta->sweep_list = 0;
    meta->sweep_offset = 0;
    meta->partition_count = 0;
}

static void on_backoff_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_part_t *part = arg;
    part->backing_off = false;
    cw_part_kick(part);
}

cw_part_t *cw_part_new(cw_daemon_t *daemon, int32_t partition)
{
    cw_part_t *part = cw_calloc(1, sizeof *part);
    if (part == NULL)
        return NULL;
    part->daemon = daemon;
    part->partition = partition;
    part->owned = true;
    part->backoff_ms = BACKOFF_MIN_MS;
    part->last_record_wall_ms = cw_wall_ms();
    meta_reset(&part->meta);
    part->backoff_timer = evtimer_new(daemon->base, on_backoff_timer, part);
    if (part->backoff_timer == NULL) {
        cw_free(part);
        return NULL;
    }
    return part;
}

static void drop_queue(cw_part_t *part)
{
    while (part->q_len > 0) {
        cw_free(part->queue[part->q_head]);
        part->q_head = (part->q_head + 1) % part->q_cap;
        part->q_len--;
        cw_daemon_records_done(part->daemon, 1);
    }
}

static void part_free(cw_part_t *part)
{
    drop_queue(part);
    event_free(part->backoff_timer);
    cw_free(part->queue);
    cw_free(part);
}

void cw_part_release(cw_part_t *part)
{
    part->owned = false;
    drop_queue(part);
    if (part->step == NULL)
        part_free(part);
    /* else: the step's callbacks see !owned and free the partition */
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

void cw_part_kick(cw_part_t *part)
{
    if (!part->owned || part->step != NULL || part->backing_off || part->refused)
        return;
    cw_daemon_t *daemon = part->daemon;
    if (daemon->store == NULL || !cw_store_ready(daemon->store))
        return; /* the store's ready callback kicks every partition */
    if (!part->loaded) {
        load_begin(part);
    } else if (cw_sweep_due(part)) {
        if (cw_daemon_step_slot(daemon, true) && !daemon->stopping)
            cw_sweep_begin(part);
    } else if (part->q_len > 0 && !daemon->stopping) {
        if (cw_daemon_step_slot(daemon, false))
            cw_apply_begin(part);
    }
}

void cw_part_tick(cw_part_t *part, int64_t wall_ms)
{
    const cw_config_t *config = cw_daemon_config(part->daemon);
    if (!part->loaded || part->step != NULL || part->q_len > 0 || part->daemon->stopping)
        return;
    if (part->meta.stream_ms == STREAM_NONE || wall_ms <= part->meta.stream_ms)
        return;
    if (wall_ms - part->last_record_wall_ms < config->idle_close_ms)
        return;
    /* a silent partition takes the wall clock as its stream time, never
     * moving it backwards, so its weeks close on time (SPEC section 5) */
    part->meta.stream_ms = wall_ms;
    if (cw_sweep_due(part))
        cw_part_kick(part);
}

void cw_part_invalidate(cw_part_t *part)
{
    part->loaded = false;
    if (!part->backing_off && part->step == NULL) {
        /* not at once: the caller may be in the middle of a step's end */
        struct timeval tv = {0, 50 * 1000};
        evtimer_add(part->backoff_timer, &tv);
        part->backing_off = true;
    }
}

bool cw_part_idle(const cw_part_t *part)
{
    return part->step == NULL && part->q_len == 0;
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

int32_t cw_part_number(const cw_part_t *part)
{
    return part->partition;
}

int64_t cw_part_expire_at(const cw_part_t *part)
{
    /* kept weeks_kept weeks (plus the grace and a day) after the last write:
     * long enough for every sweep that still reads it, in real time and in
     * replays of old traffic alike */
    const cw_config_t *config = cw_daemon_config(part->daemon);
    return cw_wall_ms() + (config->weeks_kept * 7 + 1) * CW_MS_PER_DAY + config->late_grace_ms;
}

/* ---- steps ------------------------------------------------------------ */

cw_step_t *cw_step_new(cw_part_t *part, step_kind_t kind)
{
    cw_step_t *step = cw_calloc(1, sizeof *step);
    if (step == NULL)
        return NULL;
    step->part = part;
    step->kind = kind;
    step->started_s = cw_mono_s();
    step->meta = part->meta;
    part->step = step;
    if (kind != STEP_LOAD)
        part->daemon->steps_in_flight++;
    return step;
}

static void step_free(cw_step_t *step)
{
    for (size_t i = 0; i < step->alert_count; i++)
        cw_free(step->alerts[i].json);
    for (size_t i = 0; i < step->seen_count; i++)
        cw_free(step->seen[i].text);
    cw_free(step->alerts);
    cw_free(step->seen);
    cw_free(step->subs);
    cw_free(step->index);
    cw_free(step->records);
    cw_ops_free(&step->ops);
    cw_free(step);
}

void cw_step_end(cw_step_t *step)
{
    cw_part_t *part = step->part;
    cw_daemon_t *daemon = part->daemon;
    bool counted = step->kind != STEP_LOAD;
    part->step = NULL;
    step_free(step);
    if (counted)
        cw_daemon_step_done(daemon);
    if (!part->owned) {
        part_free(part);
        return;
    }
    cw_part_kick(part);
}

/* A failed step: what landed in Redis is unknown, so reload the bookkeeping
 * after a backoff and go on from there. */
static void step_finish_failed(cw_step_t *step)
{
    cw_part_t *part = step->part;
    part->loaded = false;
    if (part->owned) {
        struct timeval tv = {part->backoff_ms / 1000, (part->backoff_ms % 1000) * 1000};
        evtimer_add(part->backoff_timer, &tv);
        part->backing_off = true;
        part->backoff_ms = part->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                                 : part->backoff_ms * 2;
    }
    cw_step_end(step);
}

bool cw_step_abandoned(cw_step_t *step)
{
    if (step->part->owned && !step->failed)
        return false;
    if (step->replies_pending == 0) {
        if (step->failed)
            step_finish_failed(step);
        else
            cw_step_end(step);
    }
    return true;
}

void cw_step_fail(cw_step_t *step, const char *why)
{
    cw_part_t *part = step->part;
    if (!step->failed) {
        step->failed = true;
        if (part->owned)
            cw_log(LOG_WARNING, "partition %d: step failed (%s); retrying in %lld ms",
                   part->partition, why, (long long)part->backoff_ms);
    }
    /* with replies outstanding, the last of them ends the step */
    if (step->replies_pending == 0)
        step_finish_failed(step);
}

int cw_step_reserve(cw_step_t *step, size_t count)
{
    if (count > STEP_MAX_SUBS)
        count = STEP_MAX_SUBS;
    if (count == 0)
        count = 1;
    step->sub_cap = count;
    step->index_cap = 2 * count; /* at most half full: short probe runs */
    step->subs = cw_malloc(step->sub_cap * sizeof *step->subs);
    step->index = cw_calloc(step->index_cap, sizeof *step->index);
    return step->subs != NULL && step->index != NULL ? 0 : -1;
}

int cw_step_sub(cw_step_t *step, const char *msisdn)
{
    size_t slot = cw_hash64(msisdn, strlen(msisdn), 0) % step->index_cap;
    while (step->index[slot] != 0) {
        int i = step->index[slot] - 1;
        if (strcmp(step->subs[i].msisdn, msisdn) == 0)
            return i;
        slot = (slot + 1) % step->index_cap;
    }
    if (step->sub_count == step->sub_cap)
        return -1;
    step_sub_t *sub = &step->subs[step->sub_count];
    strcpy(sub->msisdn, msisdn);
    cw_sub_init(&sub->state);
    sub->dirty = false;
    step->index[slot] = (int32_t)++step->sub_count;
    return (int)step->sub_count - 1;
}

bool cw_step_reply_failed(cw_step_t *step, const redisReply *reply, int type,
                          const char *command)
{
    if (reply != NULL && reply->type == type)
        return false;
    char why[160];
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
        snprintf(why, sizeof why, "%s: %s", command, reply->str);
    else
        snprintf(why, sizeof why, "%s without an answer", command);
    cw_step_fail(step, why);
    return true;
}

/* ---- loading subscriber states (MGET) --------------------------------- */

typedef struct mget_ctx {
    cw_step_t *step;
    size_t first, count;
} mget_ctx_t;

static void on_mget(redisReply *reply, void *arg)
{
    mget_ctx_t *ctx = arg;
    cw_step_t *step = ctx->step;
    step->replies_pending--;
    if (cw_step_abandoned(step)) {
        cw_free(ctx);
        return;
    }
    if (cw_step_reply_failed(step, reply, REDIS_REPLY_ARRAY, "MGET")) {
        cw_free(ctx);
        return;
    }
    if (reply->elements != ctx->count) {
        cw_free(ctx);
        cw_step_fail(step, "MGET answered with another number of values");
        return;
    }
    for (size_t i = 0; i < ctx->count; i++) {
        redisReply *value = reply->element[i];
        step_sub_t *sub = &step->subs[ctx->first + i];
        if (value->type != REDIS_REPLY_STRING)
            continue; /* a new subscriber */
        if (cw_sub_decode(&sub->state, (const uint8_t *)value->str, value->len) != 0)
            cw_log(LOG_ERR, "partition %d: a stored subscriber state is corrupt; starting it afresh",
                   step->part->partition);
    }
    cw_free(ctx);
    if (step->replies_pending == 0)
        step->after_load(step);
}

void cw_step_load_subs(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    if (step->sub_count == 0) {
        step->after_load(step);
        return;
    }
    const char *argv[MGET_CHUNK + 1];
    size_t argvlen[MGET_CHUNK + 1];
    char (*keys)[CW_KEY_SIZE] = cw_malloc(MGET_CHUNK * sizeof *keys);
    if (keys == NULL) {
        cw_step_fail(step, "out of memory");
        return;
    }
    /* count the replies first, so that none can complete the step early */
    for (size_t first = 0; first < step->sub_count; first += MGET_CHUNK)
        step->replies_pending++;
    int unsent = 0;
    for (size_t first = 0; first < step->sub_count; first += MGET_CHUNK) {
        size_t count = step->sub_count - first < MGET_CHUNK ? step->sub_count - first : MGET_CHUNK;
        argv[0] = "MGET";
        argvlen[0] = 4;
        for (size_t i = 0; i < count; i++) {
            argvlen[i + 1] = cw_key_sub(keys[i], config->key_prefix, part->partition,
                                        step->subs[first + i].msisdn);
            argv[i + 1] = keys[i];
        }
        mget_ctx_t *ctx = cw_malloc(sizeof *ctx);
        if (ctx != NULL) {
            *ctx = (mget_ctx_t){step, first, count};
            if (cw_store_send(part->daemon->store, on_mget, ctx, (int)count + 1, argv, argvlen) == 0)
                continue;
            cw_free(ctx);
        }
        step->replies_pending--;
        unsent++;
    }
    cw_free(keys);
    if (unsent > 0)
        cw_step_fail(step, "Redis not ready");
}

/* ---- committing ------------------------------------------------------- */

static void on_commit(redisReply *reply, void *arg)
{
    cw_step_t *step = arg;
    cw_part_t *part = step->part;
    step->replies_pending--;
    if (cw_step_abandoned(step))
        return;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "FENCED", 6) == 0)
        part->daemon->metrics.redis_fenced++; /* another owner wrote first */
    if (cw_step_reply_failed(step, reply, REDIS_REPLY_INTEGER, "commit"))
        return;
    snprintf(step->meta.seq, SEQ_SIZE, "%lld", reply->integer);
    part->meta = step->meta;
    part->backoff_ms = BACKOFF_MIN_MS;
    step->after_commit(step);
}

void cw_step_commit(cw_step_t *step)
{
    int argc = cw_ops_build(&step->ops);
    step->replies_pending++;
    if (argc < 0 || cw_store_eval(step->part->daemon->store, on_commit, step, argc,
                                  step->ops.argv, step->ops.argvlen) != 0) {
        step->replies_pending--;
        cw_step_fail(step, argc < 0 ? "out of memory" : "Redis not ready");
    }
}

void cw_step_write_subs(cw_step_t *step)
{
    cw_part_t *part = step->part;
    const cw_config_t *config = cw_daemon_config(part->daemon);
    int64_t expire_at = cw_part_expire_at(part);
    int32_t oldest = WEEK_NONE;
    if (step->meta.stream_ms != STREAM_NONE)
        oldest = cw_week_of_ms(step->meta.stream_ms, config->utc_offset_s) -
                 (int32_t)(config->weeks_kept - 1);
    uint8_t buf[CW_SUB_ENCODED_MAX];
    char key[CW_KEY_SIZE];
    for (size_t i = 0; i < step->sub_count; i++) {
        step_sub_t *sub = &step->subs[i];
        if (!sub->dirty)
            continue;
        if (oldest != WEEK_NONE)
            cw_sub_drop_before(&sub->state, oldest);
        size_t len = cw_sub_encode(&sub->state, buf, sizeof buf);
        if (len == 0) {
            /* not encodable (a state corrupted in memory): keep the stored one */
            cw_log(LOG_ERR, "partition %d: a subscriber state could not be encoded; not written",
                   part->partition);
            continue;
        }
        cw_key_sub(key, config->key_prefix, part->partition, sub->msisdn);
        cw_ops_set(&step->ops, key, buf, len, expire_at);
    }
}

/* ---- alerts ----------------------------------------------------------- */

int cw_step_add_alert(cw_step_t *step, step_sub_t *sub, const cw_eval_t *eval,
                      int64_t event_time_ms)
{
    const cw_setup_t *rules = cw_daemon_rules(step->part->daemon);
    if (step->alert_count == step->alert_cap) {
        size_t cap = step->alert_cap ? step->alert_cap * 2 : 16;
        step_alert_t *alerts = cw_realloc(step->alerts, cap * sizeof *alerts);
        if (alerts == NULL)
            return -1;
        step->alerts = alerts;
        step->alert_cap = cap;
    }
    cw_alert_input_t input = {
        .msisdn = sub->msisdn,
        .sub = &sub->state,
        .eval = eval,
        .event_time_ms = event_time_ms,
        .emitted_at_ms = cw_wall_ms(),
        .rules_version = rules->config->rules_version,
        .actions = &rules->config->actions,
    };
    size_t json_len;
    char *json = cw_alert_json(&input, &json_len);
    if (json == NULL)
        return -1;
    step_alert_t *alert = &step->alerts[step->alert_count];
    alert->json = json;
    alert->len = json_len;
    cw_alert_id(sub->msisdn, eval->week, eval->level, eval->triggers, alert->alert_id);
    strcpy(alert->msisdn, sub->msisdn);
    alert->level = eval->level;
    step->alert_count++;
    cw_outbox_add_alert(&step->ops, alert->alert_id, alert->msisdn, json, json_len);
    return 0;
}

void cw_step_publish(cw_step_t *step)
{
    cw_daemon_t *daemon = step->part->daemon;
    for (size_t i = 0; i < step->alert_count; i++) {
        step_alert_t *alert = &step->alerts[i];
        daemon->metrics.alerts[alert->level]++;
        cw_outbox_publish_alert(daemon, step->part->partition, alert->alert_id, alert->msisdn,
                                alert->json, alert->len);
    }
}

/* ---- loading the partition's bookkeeping ------------------------------ */

static void parse_meta(cw_part_t *part, part_meta_t *meta, const redisReply *reply)
{
    const cw_config_t *config = cw_daemon_config(part->daemon);
    meta_reset(meta);
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const char *field = reply->element[i]->str;
        const char *value = reply->element[i + 1]->str;
        if (field == NULL || value == NULL)
            continue;
        long long number = strtoll(value, NULL, 10);
        if (strcmp(field, "seq") == 0) {
            snprintf(meta->seq, SEQ_SIZE, "%s", value);
        } else if (strcmp(field, "st") == 0) {
            meta->stream_ms = number;
        } else if (strcmp(field, "cw") == 0) {
            meta->closed_week = (int32_t)number;
        } else if (strcmp(field, "sw") == 0) {
            meta->sweep_week = (int32_t)number;
        } else if (strcmp(field, "sl") == 0) {
            meta->sweep_list = (int)number;
        } else if (strcmp(field, "so") == 0) {
            meta->sweep_offset = number;
        } else if (strcmp(field, "pc") == 0) {
            meta->partition_count = (int32_t)number;
        } else if (strncmp(field, "o:", 2) == 0) {
            for (size_t t = 0; t < config->input_topic_count; t++)
                if (strcmp(field + 2, config->input_topics[t]) == 0)
                    meta->next_offset[t] = number;
        }
    }
}

static void on_meta(redisReply *reply, void *arg)
{
    cw_step_t *step = arg;
    step->replies_pending--;
    if (cw_step_abandoned(step))
        return;
    if (cw_step_reply_failed(step, reply, REDIS_REPLY_ARRAY, "HGETALL"))
        return;
    parse_meta(step->part, &step->meta, reply);
}

static void on_recorded(redisReply *reply, void *arg)
{
    cw_step_t *step = arg;
    step->replies_pending--;
    if (cw_step_abandoned(step))
        return;
    cw_step_reply_failed(step, reply, REDIS_REPLY_INTEGER, "HSETNX");
}

/* A subscriber's partition is its hash modulo the partition count: with
 * another count its state sits under a partition that no longer gets its
 * records, and applying would start it afresh. Only a person can mend that
 * (README, "Known limitations"), so the daemon stops without applying. */
static bool written_for_other_count(cw_part_t *part, const part_meta_t *meta)
{
    cw_daemon_t *daemon = part->daemon;
    int32_t now = daemon->consumer ? cw_consumer_partition_count(daemon->consumer) : 0;
    if (meta->partition_count == 0 || now == 0 || meta->partition_count == now)
        return false;
    cw_log(LOG_CRIT,
           "partition %d: its state in Redis was written when the input topics had %d "
           "partitions; they have %d now, so subscribers' states are under other "
           "partitions: refusing to apply (migrate the state or use a new key_prefix)",
           part->partition, (int)meta->partition_count, (int)now);
    part->refused = true;
    cw_daemon_fail(daemon);
    return true;
}

static void on_outbox(redisReply *reply, void *arg)
{
    cw_step_t *step = arg;
    cw_part_t *part = step->part;
    step->replies_pending--;
    if (cw_step_abandoned(step))
        return;
    if (cw_step_reply_failed(step, reply, REDIS_REPLY_ARRAY, "HGETALL"))
        return;
    if (written_for_other_count(part, &step->meta)) {
        cw_step_end(step);
        return;
    }
    /* alerts and dead letters committed but maybe never acknowledged by
     * Kafka (a crash, a lost connection): send them again */
    size_t resent = 0;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        if (field->str == NULL || value->str == NULL)
            continue;
        if (cw_outbox_resend(part->daemon, part->partition, field->str, field->len, value->str,
                             value->len) == 0)
            resent++;
        else
            cw_log(LOG_ERR, "partition %d: outbox entry not understood; left in place",
                   part->partition);
    }
    if (resent > 0)
        cw_log(LOG_NOTICE, "partition %d: re-sending %zu alert(s) and dead letter(s) from the outbox",
               part->partition, resent);
    part->meta = step->meta;
    part->loaded = true;
    cw_step_end(step);
}

static void load_begin(cw_part_t *part)
{
    const cw_config_t *config = cw_daemon_config(part->daemon);
    cw_step_t *step = cw_step_new(part, STEP_LOAD);
    if (step == NULL)
        return;
    cw_store_t *store = part->daemon->store;
    cw_consumer_t *consumer = part->daemon->consumer;
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE], count[16];
    size_t meta_len = cw_key_meta(meta_key, config->key_prefix, part->partition);
    snprintf(count, sizeof count, "%d",
             consumer ? (int)cw_consumer_partition_count(consumer) : 0);
    /* the partition count the state is written for, kept from the first load */
    const char *record[4] = {"HSETNX", meta_key, "pc", count};
    size_t record_len[4] = {6, meta_len, 2, strlen(count)};
    const char *argv[2] = {"HGETALL", meta_key};
    size_t argvlen[2] = {7, meta_len};
    int sent = 0;
    step->replies_pending = consumer != NULL ? 3 : 2;
    if (consumer != NULL)
        sent += cw_store_send(store, on_recorded, step, 4, record, record_len) == 0;
    sent += cw_store_send(store, on_meta, step, 2, argv, argvlen) == 0;
    argv[1] = outbox_key;
    argvlen[1] = cw_key_outbox(outbox_key, config->key_prefix, part->partition);
    sent += cw_store_send(store, on_outbox, step, 2, argv, argvlen) == 0;
    if (sent < step->replies_pending) {
        step->replies_pending = sent;
        cw_step_fail(step, "Redis not ready");
    }
}
