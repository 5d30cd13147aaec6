/* Redis connection management for the daemon and the console (see store.h):
 * one node (a server, or a proxy in front of several), or every master of a
 * Redis Cluster with the slot map that routes commands to them. */
#include "store.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "backoff.h"
#include "clock.h"
#include "cluster.h"
#include "log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SCRIPT_SHA_SIZE 41
#define KEEPALIVE_MS 1000
#define TICK_MS 250
/* The slot map is read again at most this often, however many MOVED
 * answers come in at once; every 10 s while all is well, every second
 * while a master cannot be reached (to find the replica promoted in its
 * place). */
#define REFRESH_MIN_MS 200
#define REFRESH_READY_MS 10000
#define REFRESH_DOWN_MS 1000

typedef struct node node_t;

/* One command in flight, kept in its node's list in send order so the oldest
 * one's age tells whether Redis stopped answering. */
typedef struct pending {
    struct pending *prev, *next;
    node_t *node;              /* the node it was sent to last */
    cw_store_t *store;
    cw_store_reply_fn fn;
    void *arg;
    int64_t sent_ms;
    bool eval;                 /* the commit script */
    /* a cluster's keyed commands (slot >= 0): delivered in send order per slot */
    int slot;                  /* -1: delivered as it comes */
    struct pending *slot_prev, *slot_next; /* undelivered commands of the slot */
    bool done;                 /* answered; waits for an earlier one of its slot */
    redisReply *held;          /* that answer, copied (NULL: unknown) */
    char *cmd;                 /* as sent (RESP), to send again after an ASK */
    size_t cmd_len;
    bool asked;                /* followed an ASK already */
    /* min_replicas_acked */
    struct pending *commit;    /* a WAIT: the commit it follows */
    redisReply *committed;     /* a commit waiting for its WAIT: the script's answer */
} pending_t;

struct node {
    node_t *next;              /* in the store's list (or the retired list) */
    cw_store_t *store;
    cw_cluster_addr_t addr;
    char name[CW_CLUSTER_NAME_SIZE];
    redisAsyncContext *ac;     /* NULL while disconnected */
    bool ready;                /* connected, authenticated, script loaded */
    bool master;               /* a master of the slot map (cluster) */
    bool proxy;                /* it closed the connection on SCRIPT LOAD: a proxy */
    char script_sha[SCRIPT_SHA_SIZE]; /* empty: use EVAL */
    pending_t head;            /* sentinel of the in-flight list */
    int64_t down_since_ms;
    int64_t last_sent_ms;
    char write_refused[160];   /* the last commit's refusal by Redis; "" when it went through */
    cw_backoff_t backoff;
    struct event *reconnect_timer;
};

struct cw_store {
    struct event_base *base;
    cw_store_options_t options; /* strings owned */
    cw_metrics_t *metrics;
    cw_store_state_fn on_state;
    void *state_arg;

    bool ready;                 /* one node: its readiness; a cluster: map known, masters ready */
    bool freeing;
    int64_t down_since_ms;
    node_t *nodes;              /* one node, or the masters (and a probe while none answers) */
    node_t *retired;            /* nodes to free once out of every callback */
    struct event *timeout_timer;
    struct event *gc_event;

    /* a cluster */
    cw_slotmap_t *map;          /* NULL until the first is read */
    node_t *by_master[CW_CLUSTER_MAX_NODES]; /* the node of each master of the map */
    pending_t **slot_tail;      /* [CW_SLOT_COUNT]: the newest undelivered command */
    bool refreshing;            /* a CLUSTER SLOTS is on its way */
    bool refresh_wanted;        /* another is due as soon as allowed */
    int64_t refreshed_ms;       /* monotonic: when the last was sent */
    int seed_next;              /* the next address to ask when no node answers */
    int64_t probed_ms;          /* monotonic: when the last was asked */
};

static void connect_now(node_t *node);
static void request_refresh(cw_store_t *store);

/* ---- readiness ------------------------------------------------------------ */

static bool cluster_ready(const cw_store_t *store)
{
    if (store->map == NULL || store->map->master_count == 0)
        return false;
    for (int i = 0; i < store->map->master_count; i++)
        if (store->by_master[i] == NULL || !store->by_master[i]->ready)
            return false;
    return true;
}

static void update_ready(cw_store_t *store)
{
    if (store->freeing)
        return;
    bool ready = store->options.cluster ? cluster_ready(store) : store->nodes->ready;
    if (store->ready == ready)
        return;
    store->ready = ready;
    store->metrics->redis_up = ready;
    if (ready)
        store->down_since_ms = 0;
    else
        store->down_since_ms = cw_mono_ms();
    store->on_state(ready, store->state_arg);
}

static void set_ready(node_t *node, bool ready)
{
    if (node->ready == ready)
        return;
    cw_store_t *store = node->store;
    node->ready = ready;
    if (ready) {
        cw_backoff_reset(&node->backoff);
        node->down_since_ms = 0;
        store->metrics->redis_reconnects++;
        cw_log(LOG_NOTICE, "Redis %s ready", node->name);
        if (store->options.cluster && (store->map == NULL || store->refresh_wanted))
            request_refresh(store);
    } else {
        node->down_since_ms = cw_mono_ms();
    }
    update_ready(store);
}

static void schedule_reconnect(node_t *node)
{
    if (node->store->freeing)
        return;
    int64_t wait_ms = cw_backoff_take(&node->backoff);
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    evtimer_add(node->reconnect_timer, &tv);
}

/* Whether Redis refuses writes, from a commit's reply. */
static void note_write(node_t *node, const redisReply *reply)
{
    static const char *const refusals[] = {"MISCONF", "OOM", "READONLY", "NOREPLICAS",
                                           "MASTERDOWN"};
    if (reply == NULL)
        return; /* unknown: the connection went */
    if (reply->type != REDIS_REPLY_ERROR) {
        node->write_refused[0] = '\0';
        return;
    }
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strncmp(reply->str, refusals[i], strlen(refusals[i])) == 0 &&
            reply->str[strlen(refusals[i])] == ' ')
            snprintf(node->write_refused, sizeof node->write_refused, "%.159s", reply->str);
}

/* ---- replies held back for an earlier command of their slot --------------- */

/* A deep copy the store owns (hiredis frees its own after the callback). */
static redisReply *reply_copy(const redisReply *reply)
{
    redisReply *copy = cw_calloc(1, sizeof *copy);
    if (copy == NULL)
        return NULL;
    copy->type = reply->type;
    copy->integer = reply->integer;
    if (reply->str != NULL) {
        copy->str = cw_malloc(reply->len + 1);
        if (copy->str == NULL)
            goto fail;
        memcpy(copy->str, reply->str, reply->len);
        copy->str[reply->len] = '\0';
        copy->len = reply->len;
    }
    if (reply->elements > 0) {
        copy->element = cw_calloc(reply->elements, sizeof *copy->element);
        if (copy->element == NULL)
            goto fail;
        copy->elements = reply->elements;
        for (size_t i = 0; i < reply->elements; i++)
            if ((copy->element[i] = reply_copy(reply->element[i])) == NULL)
                goto fail;
    }
    return copy;
fail:
    for (size_t i = 0; copy->element != NULL && i < copy->elements; i++)
        if (copy->element[i] != NULL) {
            redisReply *e = copy->element[i];
            copy->element[i] = NULL;
            cw_free(e->str); /* leaves of a failed copy: freed one level at a time */
            cw_free(e->element);
            cw_free(e);
        }
    cw_free(copy->element);
    cw_free(copy->str);
    cw_free(copy);
    return NULL;
}

static void reply_free(redisReply *reply)
{
    if (reply == NULL)
        return;
    for (size_t i = 0; i < reply->elements; i++)
        reply_free(reply->element[i]);
    cw_free(reply->element);
    cw_free(reply->str);
    cw_free(reply);
}

static void pending_free(pending_t *p)
{
    if (p->cmd != NULL)
        redisFreeCommand(p->cmd);
    reply_free(p->committed);
    cw_free(p);
}

/* The command's answer reaches its callback: at once, or, for a cluster's
 * keyed command, once every earlier command of its slot was delivered (a
 * command sent again after an ASK, or before a refresh moved the slot, may
 * be answered after a later one). */
static void complete(cw_store_t *store, pending_t *p, redisReply *reply)
{
    if (p->slot < 0) {
        if (p->fn != NULL)
            p->fn(reply, p->arg);
        pending_free(p);
        return;
    }
    if (p->slot_prev != NULL) {
        p->done = true;
        p->held = reply != NULL ? reply_copy(reply) : NULL; /* out of memory: unknown */
        return;
    }
    bool owned = false;
    for (;;) {
        /* still first of its slot while its callback runs: what completes
         * meanwhile is held behind it */
        if (p->fn != NULL)
            p->fn(reply, p->arg);
        if (owned)
            reply_free(reply);
        pending_t *next = p->slot_next;
        if (next != NULL)
            next->slot_prev = NULL;
        else
            store->slot_tail[p->slot] = NULL;
        pending_free(p);
        if (next == NULL || !next->done)
            return;
        p = next;
        reply = p->held;
        p->held = NULL;
        owned = true;
    }
}

/* ---- sending -------------------------------------------------------------- */

static void on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata);

static pending_t *pending_new(cw_store_t *store, cw_store_reply_fn fn, void *arg)
{
    pending_t *p = cw_calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->store = store;
    p->fn = fn;
    p->arg = arg;
    p->slot = -1;
    return p;
}

/* Sends p on the node (its RESP copy when it has one, else argv); 0, or -1
 * when the node has no connection. */
static int node_submit(node_t *node, pending_t *p, int argc, const char **argv,
                       const size_t *argvlen)
{
    if (node->ac == NULL)
        return -1;
    int rc = p->cmd != NULL
                 ? redisAsyncFormattedCommand(node->ac, on_reply, p, p->cmd, p->cmd_len)
                 : redisAsyncCommandArgv(node->ac, on_reply, p, argc, argv, argvlen);
    if (rc != REDIS_OK)
        return -1;
    p->node = node;
    p->sent_ms = cw_mono_ms();
    node->last_sent_ms = p->sent_ms;
    p->prev = node->head.prev;
    p->next = &node->head;
    node->head.prev->next = p;
    node->head.prev = p;
    return 0;
}

/* An internal command of the node's own (AUTH, SCRIPT LOAD, PING ...). */
static int send_raw(node_t *node, cw_store_reply_fn fn, void *arg, int argc,
                    const char **argv, const size_t *argvlen)
{
    pending_t *p = pending_new(node->store, fn, arg);
    if (p == NULL)
        return -1;
    if (node_submit(node, p, argc, argv, argvlen) != 0) {
        cw_free(p);
        return -1;
    }
    return 0;
}

/* A caller's command on the node serving its key. */
static int send_keyed(cw_store_t *store, node_t *node, int slot, cw_store_reply_fn fn,
                      void *arg, int argc, const char **argv, const size_t *argvlen,
                      bool eval)
{
    pending_t *p = pending_new(store, fn, arg);
    if (p == NULL)
        return -1;
    p->eval = eval;
    if (store->options.cluster) {
        int len = redisFormatCommandArgv(&p->cmd, argc, argv, argvlen);
        if (len < 0) {
            cw_free(p);
            return -1;
        }
        p->cmd_len = (size_t)len;
    }
    if (node_submit(node, p, argc, argv, argvlen) != 0) {
        pending_free(p);
        return -1;
    }
    if (slot >= 0) {
        p->slot = slot;
        p->slot_prev = store->slot_tail[slot];
        if (p->slot_prev != NULL)
            p->slot_prev->slot_next = p;
        store->slot_tail[slot] = p;
    }
    return 0;
}

/* The node a key's command goes to (NULL: none known), and its slot (-1
 * for one server). */
static node_t *route(const cw_store_t *store, const char *key, size_t len, int *slot)
{
    *slot = -1;
    if (!store->options.cluster)
        return store->nodes;
    if (store->map == NULL)
        return NULL;
    *slot = cw_slot_of(key, len);
    int master = store->map->owner[*slot];
    return master < 0 ? NULL : store->by_master[master];
}

int cw_store_send(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen)
{
    if (store->freeing || argc < 1)
        return -1;
    if (!store->options.cluster) {
        if (!store->ready)
            return -1;
        return send_keyed(store, store->nodes, -1, fn, arg, argc, argv, argvlen, false);
    }
    int slot;
    node_t *node = argc >= 2 ? route(store, argv[1], argvlen[1], &slot) : NULL;
    if (node == NULL || !node->ready)
        return -1;
    return send_keyed(store, node, slot, fn, arg, argc, argv, argvlen, false);
}

int cw_store_eval(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen)
{
    if (store->freeing || argc < 1)
        return -1;
    node_t *node = store->nodes;
    int slot = -1;
    if (store->options.cluster) {
        /* argv[0] is numkeys: the first key follows it */
        node = argc >= 2 ? route(store, argv[1], argvlen[1], &slot) : NULL;
        if (node == NULL || !node->ready)
            return -1;
    } else if (!store->ready) {
        return -1;
    }
    const char **full = cw_malloc((size_t)(argc + 2) * sizeof *full);
    size_t *full_len = cw_malloc((size_t)(argc + 2) * sizeof *full_len);
    int rc = -1;
    if (full != NULL && full_len != NULL) {
        bool by_sha = node->script_sha[0] != '\0';
        full[0] = by_sha ? "EVALSHA" : "EVAL";
        full[1] = by_sha ? node->script_sha : store->options.script;
        full_len[0] = strlen(full[0]);
        full_len[1] = strlen(full[1]);
        memcpy(full + 2, argv, (size_t)argc * sizeof *argv);
        memcpy(full_len + 2, argvlen, (size_t)argc * sizeof *argvlen);
        rc = send_keyed(store, node, slot, fn, arg, argc + 2, full, full_len, true);
    }
    cw_free(full);
    cw_free(full_len);
    return rc;
}

int cw_store_wait(cw_store_t *store, const char *key, size_t len, cw_store_reply_fn fn,
                  void *arg)
{
    if (store->freeing)
        return -1;
    int slot = -1;
    node_t *node = store->options.cluster ? route(store, key, len, &slot) : store->nodes;
    if (node == NULL || !node->ready || (!store->options.cluster && !store->ready))
        return -1;
    char count[24], timeout[24];
    snprintf(count, sizeof count, "%lld", (long long)store->options.wait_replicas);
    snprintf(timeout, sizeof timeout, "%lld", (long long)(store->options.timeout_ms / 2));
    const char *argv[3] = {"WAIT", count, timeout};
    size_t argvlen[3] = {4, strlen(count), strlen(timeout)};
    return send_keyed(store, node, slot, fn, arg, 3, argv, argvlen, false);
}

/* ---- replies ---------------------------------------------------------------- */

static node_t *find_node(const cw_store_t *store, const cw_cluster_addr_t *addr)
{
    for (node_t *node = store->nodes; node != NULL; node = node->next)
        if (cw_cluster_addr_equal(&node->addr, addr))
            return node;
    return NULL;
}

/* ASK: the slot is migrating and the key is on the target already; the
 * command goes there once, right behind ASKING. 0 when it was sent. */
static int follow_ask(cw_store_t *store, pending_t *p, const cw_cluster_addr_t *to)
{
    node_t *target = find_node(store, to);
    if (target == NULL || !target->ready || p->cmd == NULL)
        return -1; /* the caller gets the ASK and retries; a refresh brings the node */
    const char *argv[1] = {"ASKING"};
    size_t argvlen[1] = {6};
    if (send_raw(target, NULL, NULL, 1, argv, argvlen) != 0 ||
        node_submit(target, p, 0, NULL, NULL) != 0)
        return -1;
    p->asked = true;
    return 0;
}

/* A commit ran: WAIT for the replicas on the same connection before its
 * answer goes to the caller. */
static void wait_replicas(node_t *node, pending_t *p, const redisReply *reply)
{
    cw_store_t *store = node->store;
    pending_t *w = pending_new(store, NULL, NULL);
    p->committed = reply_copy(reply);
    char count[24], timeout[24];
    snprintf(count, sizeof count, "%lld", (long long)store->options.wait_replicas);
    /* answered well inside the store's own timeout, which would drop the connection */
    snprintf(timeout, sizeof timeout, "%lld", (long long)(store->options.timeout_ms / 2));
    const char *argv[3] = {"WAIT", count, timeout};
    size_t argvlen[3] = {4, strlen(count), strlen(timeout)};
    if (w == NULL || p->committed == NULL || node_submit(node, w, 3, argv, argvlen) != 0) {
        cw_free(w);
        complete(store, p, NULL); /* it ran, but whether a replica has it is unknown */
        return;
    }
    w->commit = p;
}

static void on_waited(cw_store_t *store, pending_t *w, const redisReply *reply)
{
    pending_t *p = w->commit;
    if (reply == NULL) {
        complete(store, p, NULL);
        return;
    }
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= store->options.wait_replicas) {
        redisReply *committed = p->committed;
        p->committed = NULL;
        complete(store, p, committed);
        reply_free(committed);
        return;
    }
    store->metrics->redis_wait_shortfalls++;
    char text[200];
    if (reply->type == REDIS_REPLY_INTEGER)
        snprintf(text, sizeof text,
                 "NOREPLICAS %lld of %lld replica(s) acknowledged the commit within %lld ms "
                 "([redis] min_replicas_acked)",
                 reply->integer, (long long)store->options.wait_replicas,
                 (long long)(store->options.timeout_ms / 2));
    else
        snprintf(text, sizeof text, "NOREPLICAS WAIT refused: %.150s",
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    redisReply refusal = {.type = REDIS_REPLY_ERROR, .str = text, .len = strlen(text)};
    note_write(w->node, &refusal);
    complete(store, p, &refusal);
}

static void on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
    pending_t *p = privdata;
    node_t *node = p->node;
    cw_store_t *store = p->store;
    redisReply *reply = reply_ptr;
    p->prev->next = p->next;
    p->next->prev = p->prev;
    if (store->options.cluster && reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        cw_cluster_addr_t to;
        cw_cluster_reply_t kind = cw_cluster_reply_kind(reply, NULL, &to);
        if (kind != CW_CLUSTER_ANSWER)
            store->metrics->redis_cluster_replies[kind - 1]++;
        if (kind == CW_CLUSTER_ASK && !p->asked && follow_ask(store, p, &to) == 0)
            return; /* answered by the target */
        if (kind == CW_CLUSTER_MOVED || kind == CW_CLUSTER_TRYAGAIN || kind == CW_CLUSTER_DOWN ||
            kind == CW_CLUSTER_ASK)
            request_refresh(store);
    }
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        store->metrics->redis_errors++;
    else
        store->metrics->redis_roundtrips++;
    if (p->commit != NULL) {
        on_waited(store, p, reply);
        pending_free(p);
        return;
    }
    if (p->eval)
        note_write(node, reply);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
        strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        /* the server lost its script cache (restart, SCRIPT FLUSH, failover):
         * the caller retries, and EVAL carries the script from now on */
        node->script_sha[0] = '\0';
    }
    if (p->eval && store->options.wait_replicas > 0 && reply != NULL &&
        reply->type != REDIS_REPLY_ERROR) {
        wait_replicas(node, p, reply);
        return;
    }
    complete(store, p, reply);
}

/* ---- connections ------------------------------------------------------------ */

static void drop_connection(node_t *node, const char *why)
{
    if (node->ac == NULL)
        return;
    cw_log(LOG_WARNING, "Redis %s: %s; reconnecting", node->name, why);
    redisAsyncContext *ac = node->ac;
    node->ac = NULL;
    set_ready(node, false);
    /* calls every pending callback with NULL, then the disconnect callback,
     * which schedules the reconnect; hiredis calls it only for a connected
     * context, so one still connecting (a server that accepted nothing yet)
     * gets its reconnect here, or it would never come */
    redisAsyncFree(ac);
    if (!evtimer_pending(node->reconnect_timer, NULL))
        schedule_reconnect(node);
    request_refresh(node->store);
}

/* Redis must never evict: a state, a partition's meta or its outbox gone
 * loses data (the partition is then refused, SPEC section 13). Every
 * policy but noeviction evicts something, volatile-* ones the states too,
 * which carry a TTL. */
static void on_memory_info(redisReply *reply, void *arg)
{
    node_t *node = arg;
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_STRING) {
        cw_log(LOG_NOTICE,
               "Redis %s: cannot read INFO memory (%s); make sure its maxmemory-policy is "
               "noeviction",
               node->name, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        return;
    }
    const char *line = strstr(reply->str, "maxmemory_policy:");
    if (line == NULL)
        return;
    line += strlen("maxmemory_policy:");
    size_t len = strcspn(line, "\r\n");
    if (len == strlen("noeviction") && strncmp(line, "noeviction", len) == 0)
        return;
    cw_log(LOG_CRIT,
           "Redis %s: maxmemory-policy is %.*s: when it fills up it evicts keys, and an "
           "evicted state, partition meta or outbox loses data; set maxmemory-policy "
           "noeviction (a full Redis then refuses writes, which the daemon survives)",
           node->name, (int)(len < 32 ? len : 32), line);
}

static void on_script_loaded(redisReply *reply, void *arg)
{
    node_t *node = arg;
    if (reply == NULL) {
        /* connection already lost; the disconnect path reconnects. Lost by
         * the other side (not dropped here: node->ac is still set) right on
         * SCRIPT LOAD is what twemproxy does with a command it does not
         * know: from now on this node gets neither SCRIPT nor INFO, and
         * every commit carries its script (EVAL) */
        if (node->ac != NULL && !node->store->freeing && !node->proxy) {
            node->proxy = true;
            cw_log(LOG_NOTICE,
                   "Redis %s closed the connection on SCRIPT LOAD (a proxy such as "
                   "twemproxy?): commits carry their script (EVAL) from now on",
                   node->name);
        }
        return;
    }
    if (reply->type == REDIS_REPLY_STRING && reply->len == SCRIPT_SHA_SIZE - 1) {
        memcpy(node->script_sha, reply->str, SCRIPT_SHA_SIZE - 1);
        node->script_sha[SCRIPT_SHA_SIZE - 1] = '\0';
    } else {
        /* e.g. a proxy without SCRIPT: every commit then carries the script */
        node->script_sha[0] = '\0';
        cw_log(LOG_NOTICE, "Redis: SCRIPT LOAD refused (%s); using EVAL",
               reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    const char *argv[2] = {"INFO", "memory"};
    size_t argvlen[2] = {4, 6};
    send_raw(node, on_memory_info, node, 2, argv, argvlen);
    set_ready(node, true);
}

static void on_auth(redisReply *reply, void *arg)
{
    node_t *node = arg;
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        /* the reply names no secret; the password itself is never logged */
        cw_log(LOG_ERR, "Redis %s: authentication failed: %s", node->name, reply->str);
        return; /* the timeout check is not armed for this; drop from a timer */
    }
    if (node->proxy) {
        node->script_sha[0] = '\0';
        set_ready(node, true);
        return;
    }
    const char *script = node->store->options.script;
    const char *argv[] = {"SCRIPT", "LOAD", script};
    size_t argvlen[] = {6, 4, strlen(script)};
    if (send_raw(node, on_script_loaded, node, 3, argv, argvlen) != 0)
        drop_connection(node, "cannot send SCRIPT LOAD");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    node_t *node = ac->data;
    if (node == NULL)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        cw_log(LOG_WARNING, "Redis %s: cannot connect: %s", node->name, ac->errstr);
        node->ac = NULL;
        schedule_reconnect(node);
        request_refresh(node->store);
        return;
    }
    const cw_store_options_t *options = &node->store->options;
    if (options->password != NULL) {
        const char *argv[3] = {"AUTH"};
        size_t argvlen[3] = {4};
        int argc = 1;
        if (options->user != NULL) {
            argv[argc] = options->user;
            argvlen[argc++] = strlen(options->user);
        }
        argv[argc] = options->password;
        argvlen[argc++] = strlen(options->password);
        if (send_raw(node, on_auth, node, argc, argv, argvlen) != 0)
            drop_connection(node, "cannot send AUTH");
    } else {
        on_auth(&(redisReply){.type = REDIS_REPLY_STATUS}, node);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    node_t *node = ac->data;
    if (node == NULL)
        return;
    if (node->ac == ac) {
        cw_log(LOG_WARNING, "Redis %s: connection lost: %s", node->name,
               status == REDIS_OK ? "closed" : ac->errstr);
        node->ac = NULL;
        set_ready(node, false);
        request_refresh(node->store);
    }
    /* the context is freed by hiredis right after this callback */
    schedule_reconnect(node);
}

static void connect_now(node_t *node)
{
    redisAsyncContext *ac = redisAsyncConnect(node->addr.host, node->addr.port);
    if (ac == NULL) {
        schedule_reconnect(node);
        return;
    }
    if (ac->err) {
        cw_log(LOG_WARNING, "Redis %s: cannot connect: %s", node->name, ac->errstr);
        redisAsyncFree(ac);
        schedule_reconnect(node);
        return;
    }
    ac->data = node;
    redisLibeventAttach(ac, node->store->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    node->ac = ac;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    node_t *node = arg;
    if (node->ac == NULL)
        connect_now(node);
}

static node_t *node_new(cw_store_t *store, const cw_cluster_addr_t *addr)
{
    node_t *node = cw_calloc(1, sizeof *node);
    if (node == NULL)
        return NULL;
    node->store = store;
    node->addr = *addr;
    cw_cluster_addr_name(addr, node->name);
    node->head.next = node->head.prev = &node->head;
    cw_backoff_init(&node->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    node->down_since_ms = cw_mono_ms();
    node->reconnect_timer = evtimer_new(store->base, on_reconnect_timer, node);
    if (node->reconnect_timer == NULL) {
        cw_free(node);
        return NULL;
    }
    node->next = store->nodes;
    store->nodes = node;
    connect_now(node);
    return node;
}

/* Drops the node's connection (its commands' callbacks get NULL) and frees
 * it. Never from one of its own callbacks: see retire(). */
static void node_free(node_t *node)
{
    if (node->ac != NULL) {
        redisAsyncContext *ac = node->ac;
        node->ac = NULL;
        node->ready = false;
        ac->data = NULL; /* no reconnect from its disconnect callback */
        redisAsyncFree(ac);
    }
    event_free(node->reconnect_timer);
    cw_free(node);
}

/* Not a master of the map any more (demoted, removed, or a probe): taken
 * out of routing now, freed from the loop, outside every callback. */
static void retire(cw_store_t *store, node_t *node)
{
    node_t **link = &store->nodes;
    while (*link != node)
        link = &(*link)->next;
    *link = node->next;
    node->next = store->retired;
    store->retired = node;
    event_active(store->gc_event, EV_TIMEOUT, 0);
}

static void on_gc(evutil_socket_t fd, short what, void *arg)
{
    cw_store_t *store = arg;
    while (store->retired != NULL) {
        node_t *node = store->retired;
        store->retired = node->next;
        node_free(node);
    }
}

/* ---- the slot map (a cluster) ------------------------------------------------ */

static void log_map(const cw_store_t *store, const node_t *from)
{
    const cw_slotmap_t *map = store->map;
    char text[512];
    size_t len = 0;
    for (int i = 0; i < map->master_count && len < sizeof text; i++) {
        char name[CW_CLUSTER_NAME_SIZE], ranges[96];
        cw_cluster_addr_name(&map->masters[i], name);
        cw_slotmap_ranges(map, i, ranges, sizeof ranges);
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s (%d slots: %s)",
                                i ? ", " : "", name, map->slots[i], ranges);
    }
    cw_log(LOG_NOTICE, "Redis cluster: slot map from %s: %d master(s): %s", from->name,
           map->master_count, text);
    int uncovered = cw_slotmap_uncovered(map);
    if (uncovered > 0)
        cw_log(LOG_WARNING,
               "Redis cluster: no master serves %d slot(s); partitions in them wait", uncovered);
}

static void apply_map(cw_store_t *store, cw_slotmap_t *map, const node_t *from)
{
    bool changed = store->map == NULL || !cw_slotmap_same(store->map, map);
    cw_free(store->map);
    store->map = map;
    for (node_t *node = store->nodes; node != NULL; node = node->next)
        node->master = false;
    for (int i = 0; i < map->master_count; i++) {
        node_t *node = find_node(store, &map->masters[i]);
        if (node == NULL)
            node = node_new(store, &map->masters[i]);
        store->by_master[i] = node; /* NULL when out of memory: not ready */
        if (node != NULL)
            node->master = true;
    }
    for (int i = map->master_count; i < CW_CLUSTER_MAX_NODES; i++)
        store->by_master[i] = NULL;
    node_t *node = store->nodes;
    while (node != NULL) {
        node_t *next = node->next;
        if (!node->master)
            retire(store, node);
        node = next;
    }
    if (changed)
        log_map(store, from);
    update_ready(store);
}

static void on_slots(redisReply *reply, void *arg)
{
    node_t *node = arg;
    cw_store_t *store = node->store;
    store->refreshing = false;
    if (reply == NULL || store->freeing) {
        store->refresh_wanted = true;
        return;
    }
    char err[160];
    cw_slotmap_t *map = cw_malloc(sizeof *map);
    if (map == NULL) {
        store->refresh_wanted = true;
        return;
    }
    /* a refusal is asked again by the tick: every second while not ready */
    if (reply->type == REDIS_REPLY_ERROR ||
        cw_slotmap_read(map, reply, node->addr.host, err, sizeof err) != 0) {
        cw_log(LOG_ERR, "Redis %s: no slot map: %s (is it a node of a Redis Cluster? "
                        "[redis] cluster = yes says so)",
               node->name, reply->type == REDIS_REPLY_ERROR ? reply->str : err);
        cw_free(map);
        return;
    }
    store->metrics->redis_map_refreshes++;
    if (map->master_count == 0) {
        cw_log(LOG_WARNING, "Redis %s: the cluster serves no slot yet", node->name);
        cw_free(map);
        return;
    }
    apply_map(store, map, node);
}

/* No node answers: connect to one more address the cluster was known by
 * (the configured node first), to ask it for the map. */
static void probe(cw_store_t *store)
{
    int64_t now = cw_mono_ms();
    if (now - store->probed_ms < REFRESH_DOWN_MS)
        return;
    for (node_t *node = store->nodes; node != NULL; node = node->next)
        if (!node->master && node->ac != NULL && now - node->down_since_ms < REFRESH_DOWN_MS)
            return; /* a probe is on its way */
    store->probed_ms = now;
    cw_cluster_addr_t seeds[1 + 2 * CW_CLUSTER_MAX_NODES];
    int count = 0;
    snprintf(seeds[0].host, sizeof seeds[0].host, "%s", store->options.host);
    seeds[count++].port = store->options.port;
    if (store->map != NULL) {
        for (int i = 0; i < store->map->master_count; i++)
            seeds[count++] = store->map->masters[i];
        for (int i = 0; i < store->map->replica_count; i++)
            seeds[count++] = store->map->replicas[i];
    }
    for (int tried = 0; tried < count; tried++) {
        const cw_cluster_addr_t *seed = &seeds[store->seed_next++ % count];
        node_t *node = find_node(store, seed);
        if (node != NULL) {
            if (!node->master)
                retire(store, node); /* a probe that never got ready: try another */
            continue;
        }
        node_new(store, seed);
        return;
    }
}

static void request_refresh(cw_store_t *store)
{
    if (!store->options.cluster || store->freeing)
        return;
    store->refresh_wanted = true;
    int64_t now = cw_mono_ms();
    if (store->refreshing || now - store->refreshed_ms < REFRESH_MIN_MS)
        return; /* the tick sends it when allowed */
    node_t *asker = NULL;
    for (node_t *node = store->nodes; node != NULL && asker == NULL; node = node->next)
        if (node->ready)
            asker = node;
    if (asker == NULL) {
        probe(store);
        return;
    }
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    size_t argvlen[2] = {7, 5};
    if (send_raw(asker, on_slots, asker, 2, argv, argvlen) == 0) {
        store->refreshing = true;
        store->refresh_wanted = false;
        store->refreshed_ms = now;
    }
}

/* ---- the tick: timeouts, keepalives, refreshes --------------------------------- */

/* Redis answers in order, so the first pending command is the oldest. A
 * connection whose oldest command is overdue is dropped: its replies can no
 * longer be trusted to come, and the callers retry idempotently. */
static void check_node(node_t *node, int64_t now)
{
    if (node->ac == NULL)
        return;
    int64_t timeout_ms = node->store->options.timeout_ms;
    pending_t *oldest = node->head.next;
    if (oldest != &node->head && now - oldest->sent_ms > timeout_ms) {
        drop_connection(node, "command timed out");
    } else if (node->ready && oldest == &node->head && now - node->last_sent_ms >= KEEPALIVE_MS) {
        /* an idle connection is checked too, so health turns 503 when Redis
         * stops answering even while no record arrives */
        const char *argv[1] = {"PING"};
        size_t argvlen[1] = {4};
        send_raw(node, NULL, NULL, 1, argv, argvlen);
    } else if (!node->ready && node->down_since_ms != 0 &&
               now - node->down_since_ms > timeout_ms && oldest == &node->head) {
        /* connected but never got ready (e.g. AUTH refused): start over */
        drop_connection(node, "not ready in time");
    }
}

static void on_timeout_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_store_t *store = arg;
    int64_t now = cw_mono_ms();
    node_t *node = store->nodes;
    while (node != NULL) {
        node_t *next = node->next; /* a drop may retire nothing now, but be safe */
        check_node(node, now);
        node = next;
    }
    if (store->options.cluster && !store->refreshing &&
        (store->refresh_wanted ||
         now - store->refreshed_ms >= (store->ready ? REFRESH_READY_MS : REFRESH_DOWN_MS)))
        request_refresh(store);
}

/* ---- life cycle ------------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s ? cw_strdup(s) : NULL;
}

cw_store_t *cw_store_new(struct event_base *base, const cw_store_options_t *options,
                         cw_metrics_t *metrics, cw_store_state_fn on_state, void *state_arg)
{
    cw_store_t *store = cw_calloc(1, sizeof *store);
    if (store == NULL)
        return NULL;
    store->base = base;
    store->metrics = metrics;
    store->on_state = on_state;
    store->state_arg = state_arg;
    store->options = *options;
    store->options.host = dup_or_null(options->host);
    store->options.user = dup_or_null(options->user);
    store->options.password = dup_or_null(options->password);
    store->options.script = dup_or_null(options->script);
    store->down_since_ms = cw_mono_ms();
    store->timeout_timer = event_new(base, -1, EV_PERSIST, on_timeout_timer, store);
    store->gc_event = event_new(base, -1, 0, on_gc, store);
    if (options->cluster)
        store->slot_tail = cw_calloc(CW_SLOT_COUNT, sizeof *store->slot_tail);
    cw_cluster_addr_t addr = {.port = options->port};
    if (store->options.host == NULL || store->options.script == NULL ||
        store->timeout_timer == NULL || store->gc_event == NULL ||
        (options->cluster && store->slot_tail == NULL) ||
        strlen(options->host) >= sizeof addr.host || (options->user && !store->options.user) ||
        (options->password && !store->options.password)) {
        cw_store_free(store);
        return NULL;
    }
    snprintf(addr.host, sizeof addr.host, "%s", options->host);
    struct timeval tick = {0, TICK_MS * 1000};
    evtimer_add(store->timeout_timer, &tick);
    /* one server: its node; a cluster: the node given, until it names the masters */
    if (node_new(store, &addr) == NULL) {
        cw_store_free(store);
        return NULL;
    }
    return store;
}

void cw_store_free(cw_store_t *store)
{
    if (store == NULL)
        return;
    store->freeing = true;
    store->ready = false;
    while (store->nodes != NULL) {
        node_t *node = store->nodes;
        store->nodes = node->next;
        node_free(node);
    }
    while (store->retired != NULL) {
        node_t *node = store->retired;
        store->retired = node->next;
        node_free(node);
    }
    if (store->timeout_timer)
        event_free(store->timeout_timer);
    if (store->gc_event)
        event_free(store->gc_event);
    if (store->options.password) /* do not leave the secret in freed memory */
        memset((char *)store->options.password, 0, strlen(store->options.password));
    cw_free((char *)store->options.host);
    cw_free((char *)store->options.user);
    cw_free((char *)store->options.password);
    cw_free((char *)store->options.script);
    cw_free(store->map);
    cw_free(store->slot_tail);
    cw_free(store);
}

/* ---- state ------------------------------------------------------------------------ */

bool cw_store_write_refused(const cw_store_t *store, char *buf, size_t size)
{
    for (const node_t *node = store->nodes; node != NULL; node = node->next) {
        if (node->write_refused[0] == '\0')
            continue;
        if (store->options.cluster)
            snprintf(buf, size, "%s: %s", node->name, node->write_refused);
        else
            snprintf(buf, size, "%s", node->write_refused);
        return true;
    }
    return false;
}

bool cw_store_idle(const cw_store_t *store)
{
    for (const node_t *node = store->nodes; node != NULL; node = node->next)
        if (node->head.next != &node->head)
            return false;
    return true;
}

bool cw_store_ready(const cw_store_t *store)
{
    return store->ready;
}

int64_t cw_store_down_ms(const cw_store_t *store)
{
    return store->ready ? 0 : cw_mono_ms() - store->down_since_ms;
}

bool cw_store_cluster(const cw_store_t *store)
{
    return store->options.cluster;
}

size_t cw_store_nodes(const cw_store_t *store, cw_store_node_t *out, size_t max)
{
    if (!store->options.cluster) {
        if (max > 0) {
            snprintf(out[0].name, sizeof out[0].name, "%s", store->nodes->name);
            out[0].ready = store->nodes->ready;
            out[0].slots = 0;
        }
        return 1;
    }
    if (store->map == NULL)
        return 0;
    size_t count = (size_t)store->map->master_count;
    for (size_t i = 0; i < count && i < max; i++) {
        cw_cluster_addr_name(&store->map->masters[i], out[i].name);
        out[i].ready = store->by_master[i] != NULL && store->by_master[i]->ready;
        out[i].slots = store->map->slots[i];
    }
    return count;
}

int cw_store_node_of(const cw_store_t *store, const char *key, size_t len)
{
    if (!store->options.cluster)
        return 0;
    if (store->map == NULL)
        return -1;
    return store->map->owner[cw_slot_of(key, len)];
}
