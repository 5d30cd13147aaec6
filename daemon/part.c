/* The partition pipeline (see part.h): its queue, its bookkeeping and which
 * step runs next. */
#include "part.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "alloc.h"
#include "apply.h"
#include "backoff.h"
#include "batch.h"
#include "clock.h"
#include "consumer.h"
#include "load.h"
#include "log.h"
#include "meta.h"
#include "outbox.h"
#include "step.h"
#include "store.h"
#include "sweep.h"
#include "week.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
/* How often a partition refused for lost state looks again: the operator
 * may have restored Redis or accepted the loss (cdrwarnd --accept-state-loss). */
#define LOST_RETRY_MS 10000
/* How often an idle partition reads its bookkeeping again: a busy one finds
 * out at its next commit that Redis lost its state (FLUSHALL, eviction), an
 * idle one would not until its next record. */
#define AUDIT_MS 10000
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
    bool lost;                 /* its state is gone from Redis: refused until it is back */
    bool fenced;               /* another instance claimed it: given up until reassigned */
    bool paused;               /* its fetching is paused */
    char claim[CW_META_OWNER_SIZE]; /* this assignment's claim: "<member id>/<random>" */
    bool claimed;              /* the claim was written */
    /* per input topic, the highest offset the group may have committed: the
     * assignment's committed offsets, then every offset stored since */
    int64_t floor[CW_MAX_INPUT_TOPICS];
    cw_meta_t meta;
    cw_record_t **queue;       /* ring buffer, owned */
    size_t q_head, q_len, q_cap;
    const cw_record_t **window; /* the queue's prefix a step takes, in order */
    int64_t last_record_wall_ms;
    int64_t loaded_at_ms;      /* monotonic: the last load */
    cw_step_t *step;           /* in flight, or NULL */
    bool step_counted;         /* it holds one of env's step slots */
    struct event *backoff_timer;
    cw_backoff_t backoff;
    bool backing_off;
    size_t close_evaluated[CW_PERIOD__COUNT]; /* for the close's log line */
    size_t close_published[CW_PERIOD__COUNT];
};

static void on_backoff_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_part_t *part = arg;
    part->backing_off = false;
    cw_part_kick(part);
}

/* A claim no other assignment makes: the member id (for the person reading
 * Redis) and 64 random bits. */
static void make_claim(cw_part_t *part)
{
    char member[96] = "";
    uint64_t nonce = 0;
    if (part->env->consumer != NULL)
        cw_consumer_member_id(part->env->consumer, member, sizeof member);
    if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
        nonce = (uint64_t)cw_mono_ms() ^ ((uint64_t)cw_wall_ms() << 20);
    snprintf(part->claim, sizeof part->claim, "%s/%016llx", member[0] ? member : "cdrwarnd",
             (unsigned long long)nonce);
}

cw_part_t *cw_part_new(cw_env_t *env, int32_t partition, const int64_t *committed)
{
    cw_part_t *part = cw_calloc(1, sizeof *part);
    if (part == NULL)
        return NULL;
    part->env = env;
    part->partition = partition;
    part->owned = true;
    memcpy(part->floor, committed, sizeof part->floor);
    make_claim(part);
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
    int64_t bytes = 0;
    for (size_t i = 0; i < count; i++) {
        bytes += (int64_t)cw_record_size(part->queue[part->q_head]);
        cw_free(part->queue[part->q_head]);
        part->q_head = (part->q_head + 1) % part->q_cap;
        part->q_len--;
    }
    if (count > 0)
        part->env->records_done((int64_t)count, bytes, part->env->hook_arg);
}

static void set_paused(cw_part_t *part, bool pause)
{
    if (part->paused == pause || part->env->consumer == NULL)
        return;
    cw_consumer_pause(part->env->consumer, part->partition, pause);
    part->paused = pause;
}

static void part_free(cw_part_t *part)
{
    pop(part, part->q_len);
    set_paused(part, false); /* a later assignment starts unpaused */
    if (part->lost)
        part->env->metrics->partitions_lost--;
    event_free(part->backoff_timer);
    cw_free(part->queue);
    cw_free(part->window);
    cw_free(part);
}

void cw_part_release(cw_part_t *part)
{
    part->owned = false;
    cw_outbox_forget(part->env->outbox, part->partition);
    pop(part, part->q_len);
    if (part->step == NULL)
        part_free(part);
    else
        cw_step_abandon(part->step); /* its end frees the partition, maybe at once */
}

void cw_part_push(cw_part_t *part, cw_record_t *record)
{
    if (part->lost || part->fenced) {
        /* not applied and not committed: read again once it may be */
        int64_t bytes = (int64_t)cw_record_size(record);
        cw_free(record);
        part->env->records_done(1, bytes, part->env->hook_arg);
        return;
    }
    if (part->q_len == part->q_cap) {
        size_t old_cap = part->q_cap;
        cw_record_t **queue =
            cw_grow(part->queue, &part->q_cap, part->q_len + 1, sizeof *queue, 256);
        if (queue == NULL)
            cw_log_fatal("partition %d: out of memory queueing a record; exiting so that "
                         "it is read again after the restart",
                         part->partition);
        /* the full ring's records that wrapped round to the front go on after the old
         * end, where the doubled capacity has room for them: the order is kept */
        memcpy(queue + old_cap, queue, part->q_head * sizeof *queue);
        part->queue = queue;
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

static void period_closed(cw_part_t *part, cw_period_t period, int32_t index)
{
    char label[CW_PERIOD_LABEL_SIZE];
    cw_period_label(period, index, label);
    if (period == CW_PERIOD_WEEK) {
        part->env->metrics->week_closes++;
        cw_log(LOG_INFO, "partition %d: week %s closed: %zu subscriber(s) evaluated, %zu alert(s)",
               part->partition, label, part->close_evaluated[period],
               part->close_published[period]);
    } else {
        part->env->metrics->month_closes++;
        cw_log(LOG_INFO,
               "partition %d: month %s closed: %zu subscriber(s) scored, %zu score record(s)",
               part->partition, label, part->close_evaluated[period],
               part->close_published[period]);
    }
    part->close_evaluated[period] = part->close_published[period] = 0;
}

static void give_up_fenced(cw_part_t *part);

static void on_step_done(const cw_step_result_t *result, void *arg)
{
    cw_part_t *part = arg;
    if (!result->ok && result->claimed_elsewhere && part->owned) {
        part->loaded = false;
        give_up_fenced(part);
    } else if (!result->ok) {
        step_failed(part, result->why);
    } else if (part->owned) {
        part->meta = *result->meta;
        /* offsets stored for the group commit: Redis must never hold less */
        for (size_t t = 0; t < CW_MAX_INPUT_TOPICS; t++)
            if (result->meta->next_offset[t] > part->floor[t])
                part->floor[t] = result->meta->next_offset[t];
        cw_backoff_reset(&part->backoff);
        part->close_evaluated[result->period] += result->evaluated;
        part->close_published[result->period] += result->published;
        if (result->closed != CW_WEEK_NONE)
            period_closed(part, result->period, result->closed);
        pop(part, result->records_done);
    }
    step_ended(part);
}

/* ---- loading the partition's bookkeeping -------------------------------- */

/* Drops the queued records of one topic (-1: all), keeping the others in
 * order. */
static void drop_queued(cw_part_t *part, int topic)
{
    size_t kept = 0, dropped = 0;
    int64_t bytes = 0;
    for (size_t i = 0; i < part->q_len; i++) {
        cw_record_t *record = part->queue[(part->q_head + i) % part->q_cap];
        if (topic < 0 || record->topic == topic) {
            bytes += (int64_t)cw_record_size(record);
            cw_free(record);
            dropped++;
        } else {
            part->queue[(part->q_head + kept++) % part->q_cap] = record;
        }
    }
    part->q_len = kept;
    if (dropped > 0)
        part->env->records_done((int64_t)dropped, bytes, part->env->hook_arg);
}

/* Moves the consumer of each topic back to where Redis stands. */
static void rewind_to(cw_part_t *part, const int64_t *offsets)
{
    for (size_t t = 0; t < part->env->config->input_topic_count; t++) {
        if (offsets[t] == CW_REWIND_NONE)
            continue;
        drop_queued(part, (int)t);
        if (part->env->consumer != NULL)
            cw_consumer_seek(part->env->consumer, (int)t, part->partition,
                             offsets[t] == CW_REWIND_START ? RD_KAFKA_OFFSET_BEGINNING
                                                           : offsets[t]);
        part->floor[t] = offsets[t] == CW_REWIND_START ? 0 : offsets[t];
    }
}

/* A subscriber's partition is its hash modulo the partition count: with
 * another count its state sits under a partition that no longer gets its
 * records, and applying would start it afresh. Only a person can mend that
 * (README, "Known limitations"), so the daemon stops without applying. */
static void written_for_other_count(cw_part_t *part, int32_t count)
{
    cw_log(LOG_CRIT,
           "partition %d: its state in Redis was written when the input topics had %d "
           "partitions; they have %d now, so subscribers' states are under other "
           "partitions: refusing to apply (migrate the state or use a new key_prefix)",
           part->partition, (int)count, (int)part->env->partition_count);
    part->refused = true;
    part->env->fail(part->env->hook_arg);
}

/* SPEC section 13: state gone while the group has committed offsets. Nothing
 * is applied or committed for the partition until Redis holds its state
 * again; it is looked at every LOST_RETRY_MS. */
static void refuse_lost(cw_part_t *part)
{
    if (!part->lost) {
        cw_log(LOG_CRIT,
               "partition %d: its state is gone from Redis (no offsets, no stream time) while "
               "the consumer group has committed offsets for it: refusing to apply its records, "
               "which would start every subscriber afresh and lose its alerts. Recover by "
               "restoring Redis from a backup, or accept the loss and start the partition "
               "again with: cdrwarnd -c CONFIG --accept-state-loss %d [--from committed|earliest]",
               part->partition, part->partition);
        part->lost = true;
        part->env->metrics->partitions_lost++;
    }
    drop_queued(part, -1);
    set_paused(part, true);
    retry_after_backoff(part, LOST_RETRY_MS);
}

/* Another instance claimed the partition since this one did: this one is a
 * stale owner (it lost the partition in a rebalance it has not heard of
 * yet). It stops working the partition until the group assigns it again. */
static void give_up_fenced(cw_part_t *part)
{
    cw_log(LOG_WARNING,
           "partition %d: another instance claimed it; stopping work on it until the group "
           "assigns it to this one again",
           part->partition);
    part->fenced = true;
    part->env->metrics->partitions_fenced++;
    drop_queued(part, -1);
    set_paused(part, true);
}

/* The state is back (restored, or the loss accepted): the consumer goes to
 * where Redis stands, whatever it fetched and dropped meanwhile. */
static void leave_lost(cw_part_t *part, const cw_meta_t *meta)
{
    int64_t offsets[CW_MAX_INPUT_TOPICS];
    for (size_t t = 0; t < CW_MAX_INPUT_TOPICS; t++)
        offsets[t] = meta->next_offset[t] >= 0 ? meta->next_offset[t] : CW_REWIND_START;
    rewind_to(part, offsets);
    part->lost = false;
    part->env->metrics->partitions_lost--;
    set_paused(part, false);
    cw_log(LOG_NOTICE, "partition %d: its state is back in Redis; applying again",
           part->partition);
}

static void on_loaded(const cw_load_result_t *result, void *arg)
{
    cw_part_t *part = arg;
    if (!result->ok) {
        step_failed(part, result->why);
    } else if (!part->owned) {
        /* released meanwhile: nothing to act on */
    } else if (result->other_count != 0) {
        written_for_other_count(part, result->other_count);
    } else {
        const cw_recovery_t *verdict = &result->verdict;
        part->claimed = true;
        switch (verdict->state) {
        case CW_REDIS_LOST:
            refuse_lost(part);
            break;
        case CW_REDIS_UNCLAIMED:
            part->claimed = false; /* the next load claims it */
            break;
        case CW_REDIS_CLAIMED_ELSEWHERE:
            give_up_fenced(part);
            break;
        case CW_REDIS_ROLLED_BACK:
            cw_log(LOG_WARNING,
                   "partition %d: Redis holds less than the consumer group committed (it came "
                   "back older: a restore, a failover or a host crash); replaying %lld record(s) "
                   "from Redis's offsets",
                   part->partition, (long long)verdict->replayed);
            part->env->metrics->redis_rollbacks++;
            part->env->metrics->records_rewound += (uint64_t)verdict->replayed;
            rewind_to(part, verdict->rewind_to);
            /* fall through */
        case CW_REDIS_INTACT:
            if (part->lost)
                leave_lost(part, result->meta);
            part->meta = *result->meta;
            snprintf(part->meta.owner, sizeof part->meta.owner, "%s", part->claim);
            part->loaded = true;
            part->loaded_at_ms = cw_mono_ms();
            if (result->resent > 0)
                cw_log(LOG_NOTICE,
                       "partition %d: re-sending %zu alert(s) and dead letter(s) from the outbox",
                       part->partition, result->resent);
            break;
        }
    }
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
    start_step(part,
               cw_load_begin(part->env, part->partition, part->claimed ? NULL : part->claim,
                             part->claim, part->floor, on_loaded, part),
               false);
}

/* ---- which step next ---------------------------------------------------- */

static bool take_slot(cw_part_t *part, bool sweep)
{
    const cw_env_t *env = part->env;
    /* a week close publishes in bursts, records rarely: each waits for room
     * of its own */
    if (sweep ? cw_outbox_in_flight(env->outbox) >= MAX_OUTSTANDING
              : cw_outbox_backlogged(env->outbox))
        return false;
    return env->steps_in_flight < CW_MAX_STEPS;
}

void cw_part_kick(cw_part_t *part)
{
    const cw_env_t *env = part->env;
    if (!part->owned || part->step != NULL || part->backing_off || part->refused ||
        part->fenced)
        return;
    if (env->store == NULL || !cw_store_ready(env->store))
        return; /* the store's ready callback kicks every partition */
    if (!part->loaded) {
        load_begin(part);
    } else if (cw_batch_close_due(env->config, &part->meta, CW_PERIOD_WEEK) ||
               cw_batch_close_due(env->config, &part->meta, CW_PERIOD_MONTH)) {
        /* weeks before months: both close on the same stream time */
        cw_period_t period = cw_batch_close_due(env->config, &part->meta, CW_PERIOD_WEEK)
                                 ? CW_PERIOD_WEEK
                                 : CW_PERIOD_MONTH;
        if (!env->stopping && take_slot(part, true))
            start_step(part,
                       cw_sweep_begin(env, part->partition, &part->meta, period, on_step_done,
                                      part),
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
    if (cw_mono_ms() - part->loaded_at_ms >= AUDIT_MS) {
        cw_part_invalidate(part);
        return;
    }
    if (part->meta.stream_ms == CW_STREAM_NONE || wall_ms <= part->meta.stream_ms)
        return;
    if (wall_ms - part->last_record_wall_ms < env->config->idle_close_ms)
        return;
    /* a silent partition takes the wall clock as its stream time, never
     * moving it backwards, so its weeks close on time (SPEC section 5) */
    part->meta.stream_ms = wall_ms;
    if (cw_batch_close_due(env->config, &part->meta, CW_PERIOD_WEEK) ||
        cw_batch_close_due(env->config, &part->meta, CW_PERIOD_MONTH))
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

bool cw_part_refused(const cw_part_t *part)
{
    return part->lost;
}
