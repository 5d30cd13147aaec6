/* Redis connection management for the daemon (see store.h). */
#include "store.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <string.h>

#include "alloc.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SCRIPT_SHA_SIZE 41
#define KEEPALIVE_MS 1000

/* One command in flight, kept in send order so the oldest one's age tells
 * whether Redis stopped answering. */
typedef struct pending {
    struct pending *prev, *next;
    cw_store_t *store;
    cw_store_reply_fn fn;
    void *arg;
    int64_t sent_ms;
    bool eval;               /* the commit script */
} pending_t;

struct cw_store {
    struct event_base *base;
    cw_store_options_t options;  /* strings owned */
    cw_metrics_t *metrics;
    cw_store_state_fn on_state;
    void *state_arg;

    redisAsyncContext *ac;       /* NULL while disconnected */
    bool ready;                  /* connected, authenticated, script loaded */
    bool freeing;
    char script_sha[SCRIPT_SHA_SIZE]; /* empty: use EVAL */
    pending_t head;              /* sentinel of the in-flight list */
    int64_t down_since_ms;
    char write_refused[160];     /* the last commit's refusal by Redis; "" when it went through */
    int64_t last_sent_ms;
    cw_backoff_t backoff;
    struct event *reconnect_timer;
    struct event *timeout_timer;
};

static void connect_now(cw_store_t *store);

static void set_ready(cw_store_t *store, bool ready)
{
    if (store->ready == ready)
        return;
    store->ready = ready;
    store->metrics->redis_up = ready;
    if (ready) {
        cw_backoff_reset(&store->backoff);
        store->down_since_ms = 0;
        store->metrics->redis_reconnects++;
        cw_log(LOG_NOTICE, "Redis %s:%d ready", store->options.host, store->options.port);
    } else {
        store->down_since_ms = cw_mono_ms();
    }
    store->on_state(ready, store->state_arg);
}

static void schedule_reconnect(cw_store_t *store)
{
    if (store->freeing)
        return;
    int64_t wait_ms = cw_backoff_take(&store->backoff);
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    evtimer_add(store->reconnect_timer, &tv);
}

/* Whether Redis refuses writes, from a commit's reply. */
static void note_write(cw_store_t *store, const redisReply *reply)
{
    static const char *const refusals[] = {"MISCONF", "OOM", "READONLY", "NOREPLICAS",
                                           "MASTERDOWN"};
    if (reply == NULL)
        return; /* unknown: the connection went */
    if (reply->type != REDIS_REPLY_ERROR) {
        store->write_refused[0] = '\0';
        return;
    }
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strncmp(reply->str, refusals[i], strlen(refusals[i])) == 0 &&
            reply->str[strlen(refusals[i])] == ' ')
            snprintf(store->write_refused, sizeof store->write_refused, "%s", reply->str);
}

static void on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
    pending_t *p = privdata;
    cw_store_t *store = p->store;
    redisReply *reply = reply_ptr;
    p->prev->next = p->next;
    p->next->prev = p->prev;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        store->metrics->redis_errors++;
    else
        store->metrics->redis_roundtrips++;
    if (p->eval)
        note_write(store, reply);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
        strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        /* the server lost its script cache (restart, SCRIPT FLUSH, failover):
         * the caller retries, and EVAL carries the script from now on */
        store->script_sha[0] = '\0';
    }
    cw_store_reply_fn fn = p->fn;
    void *arg = p->arg;
    cw_free(p);
    if (fn != NULL)
        fn(reply, arg);
}

static int send_raw(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                    const char **argv, const size_t *argvlen, bool eval)
{
    if (store->ac == NULL)
        return -1;
    pending_t *p = cw_calloc(1, sizeof *p);
    if (p == NULL)
        return -1;
    p->store = store;
    p->fn = fn;
    p->arg = arg;
    p->sent_ms = cw_mono_ms();
    p->eval = eval;
    store->last_sent_ms = p->sent_ms;
    if (redisAsyncCommandArgv(store->ac, on_reply, p, argc, argv, argvlen) != REDIS_OK) {
        cw_free(p);
        return -1;
    }
    p->prev = store->head.prev;
    p->next = &store->head;
    store->head.prev->next = p;
    store->head.prev = p;
    return 0;
}

int cw_store_send(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen)
{
    if (!store->ready)
        return -1;
    return send_raw(store, fn, arg, argc, argv, argvlen, false);
}

int cw_store_eval(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen)
{
    if (!store->ready)
        return -1;
    const char **full = cw_malloc((size_t)(argc + 2) * sizeof *full);
    size_t *full_len = cw_malloc((size_t)(argc + 2) * sizeof *full_len);
    int rc = -1;
    if (full != NULL && full_len != NULL) {
        bool by_sha = store->script_sha[0] != '\0';
        full[0] = by_sha ? "EVALSHA" : "EVAL";
        full[1] = by_sha ? store->script_sha : store->options.script;
        full_len[0] = strlen(full[0]);
        full_len[1] = strlen(full[1]);
        memcpy(full + 2, argv, (size_t)argc * sizeof *argv);
        memcpy(full_len + 2, argvlen, (size_t)argc * sizeof *argvlen);
        rc = send_raw(store, fn, arg, argc + 2, full, full_len, true);
    }
    cw_free(full);
    cw_free(full_len);
    return rc;
}

static void drop_connection(cw_store_t *store, const char *why)
{
    if (store->ac == NULL)
        return;
    cw_log(LOG_WARNING, "Redis %s:%d: %s; reconnecting", store->options.host,
           store->options.port, why);
    redisAsyncContext *ac = store->ac;
    store->ac = NULL;
    set_ready(store, false);
    /* calls every pending callback with NULL, then the disconnect callback */
    redisAsyncFree(ac);
}

/* Redis must never evict: a state, a partition's meta or its outbox gone
 * loses data (the partition is then refused, SPEC section 13). Every
 * policy but noeviction evicts something, volatile-* ones the states too,
 * which carry a TTL. */
static void on_memory_info(redisReply *reply, void *arg)
{
    cw_store_t *store = arg;
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_STRING) {
        cw_log(LOG_NOTICE,
               "Redis %s:%d: cannot read INFO memory (%s); make sure its maxmemory-policy is "
               "noeviction",
               store->options.host, store->options.port,
               reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
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
           "Redis %s:%d: maxmemory-policy is %.*s: when it fills up it evicts keys, and an "
           "evicted state, partition meta or outbox loses data; set maxmemory-policy "
           "noeviction (a full Redis then refuses writes, which the daemon survives)",
           store->options.host, store->options.port, (int)(len < 32 ? len : 32), line);
}

static void on_script_loaded(redisReply *reply, void *arg)
{
    cw_store_t *store = arg;
    if (reply == NULL)
        return; /* connection already lost; the disconnect path reconnects */
    if (reply->type == REDIS_REPLY_STRING && reply->len == SCRIPT_SHA_SIZE - 1) {
        memcpy(store->script_sha, reply->str, SCRIPT_SHA_SIZE - 1);
        store->script_sha[SCRIPT_SHA_SIZE - 1] = '\0';
    } else {
        /* e.g. a proxy without SCRIPT: every commit then carries the script */
        store->script_sha[0] = '\0';
        cw_log(LOG_NOTICE, "Redis: SCRIPT LOAD refused (%s); using EVAL",
               reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    const char *argv[2] = {"INFO", "memory"};
    size_t argvlen[2] = {4, 6};
    send_raw(store, on_memory_info, store, 2, argv, argvlen, false);
    set_ready(store, true);
}

static void on_auth(redisReply *reply, void *arg)
{
    cw_store_t *store = arg;
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        /* the reply names no secret; the password itself is never logged */
        cw_log(LOG_ERR, "Redis %s:%d: authentication failed: %s", store->options.host,
               store->options.port, reply->str);
        return; /* the timeout check is not armed for this; drop from a timer */
    }
    const char *argv[] = {"SCRIPT", "LOAD", store->options.script};
    size_t argvlen[] = {6, 4, strlen(store->options.script)};
    if (send_raw(store, on_script_loaded, store, 3, argv, argvlen, false) != 0)
        drop_connection(store, "cannot send SCRIPT LOAD");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    cw_store_t *store = ac->data;
    if (store == NULL)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        cw_log(LOG_WARNING, "Redis %s:%d: cannot connect: %s", store->options.host,
               store->options.port, ac->errstr);
        store->ac = NULL;
        schedule_reconnect(store);
        return;
    }
    if (store->options.password != NULL) {
        const char *argv[3] = {"AUTH"};
        size_t argvlen[3] = {4};
        int argc = 1;
        if (store->options.user != NULL) {
            argv[argc] = store->options.user;
            argvlen[argc++] = strlen(store->options.user);
        }
        argv[argc] = store->options.password;
        argvlen[argc++] = strlen(store->options.password);
        if (send_raw(store, on_auth, store, argc, argv, argvlen, false) != 0)
            drop_connection(store, "cannot send AUTH");
    } else {
        on_auth(&(redisReply){.type = REDIS_REPLY_STATUS}, store);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    cw_store_t *store = ac->data;
    if (store == NULL)
        return;
    if (store->ac == ac) {
        cw_log(LOG_WARNING, "Redis %s:%d: connection lost: %s", store->options.host,
               store->options.port, status == REDIS_OK ? "closed" : ac->errstr);
        store->ac = NULL;
        set_ready(store, false);
    }
    /* the context is freed by hiredis right after this callback */
    schedule_reconnect(store);
}

static void connect_now(cw_store_t *store)
{
    redisAsyncContext *ac = redisAsyncConnect(store->options.host, store->options.port);
    if (ac == NULL) {
        schedule_reconnect(store);
        return;
    }
    if (ac->err) {
        cw_log(LOG_WARNING, "Redis %s:%d: cannot connect: %s", store->options.host,
               store->options.port, ac->errstr);
        redisAsyncFree(ac);
        schedule_reconnect(store);
        return;
    }
    ac->data = store;
    redisLibeventAttach(ac, store->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    store->ac = ac;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_store_t *store = arg;
    if (store->ac == NULL)
        connect_now(store);
}

/* Redis answers in order, so the first pending command is the oldest. A
 * connection whose oldest command is overdue is dropped: its replies can no
 * longer be trusted to come, and the callers retry idempotently. */
static void on_timeout_timer(evutil_socket_t fd, short what, void *arg)
{
    cw_store_t *store = arg;
    if (store->ac == NULL)
        return;
    int64_t now = cw_mono_ms();
    pending_t *oldest = store->head.next;
    if (oldest != &store->head && now - oldest->sent_ms > store->options.timeout_ms) {
        drop_connection(store, "command timed out");
    } else if (store->ready && oldest == &store->head && now - store->last_sent_ms >= KEEPALIVE_MS) {
        /* an idle connection is checked too, so health turns 503 when Redis
         * stops answering even while no record arrives */
        const char *argv[1] = {"PING"};
        size_t argvlen[1] = {4};
        send_raw(store, NULL, NULL, 1, argv, argvlen, false);
    } else if (!store->ready && store->down_since_ms != 0 &&
               now - store->down_since_ms > store->options.timeout_ms &&
               oldest == &store->head) {
        /* connected but never got ready (e.g. AUTH refused): start over */
        drop_connection(store, "not ready in time");
    }
}

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
    store->head.next = store->head.prev = &store->head;
    cw_backoff_init(&store->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    store->down_since_ms = cw_mono_ms();
    store->reconnect_timer = evtimer_new(base, on_reconnect_timer, store);
    store->timeout_timer = event_new(base, -1, EV_PERSIST, on_timeout_timer, store);
    if (store->options.host == NULL || store->options.script == NULL ||
        store->reconnect_timer == NULL || store->timeout_timer == NULL ||
        (options->user && !store->options.user) || (options->password && !store->options.password)) {
        cw_store_free(store);
        return NULL;
    }
    struct timeval tick = {0, 250 * 1000};
    evtimer_add(store->timeout_timer, &tick);
    connect_now(store);
    return store;
}

void cw_store_free(cw_store_t *store)
{
    if (store == NULL)
        return;
    store->freeing = true;
    if (store->ac != NULL) {
        redisAsyncContext *ac = store->ac;
        store->ac = NULL;
        store->ready = false;
        redisAsyncFree(ac);
    }
    if (store->reconnect_timer)
        event_free(store->reconnect_timer);
    if (store->timeout_timer)
        event_free(store->timeout_timer);
    if (store->options.password) /* do not leave the secret in freed memory */
        memset((char *)store->options.password, 0, strlen(store->options.password));
    cw_free((char *)store->options.host);
    cw_free((char *)store->options.user);
    cw_free((char *)store->options.password);
    cw_free((char *)store->options.script);
    cw_free(store);
}

bool cw_store_write_refused(const cw_store_t *store, char *buf, size_t size)
{
    if (store->write_refused[0] == '\0')
        return false;
    snprintf(buf, size, "%s", store->write_refused);
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
