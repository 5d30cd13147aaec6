/* The console's process: start-up, the event loop, signals, timers, the
 * case-id secret, sd_notify, and an orderly stop (see console.h). This file
 * wires the modules: it fills their environment (env.h) and hooks, and is
 * the only one that knows them all; none of them calls back into it by
 * name. */
#include "console.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api.h"
#include "audit.h"
#include "casestore.h"
#include "clock.h"
#include "console_env.h"
#include "feed.h"
#include "ingest.h"
#include "kafka_conf.h"
#include "log.h"
#include "notify.h"
#include "passwd.h"
#include "secret.h"
#include "server.h"
#include "sessions.h"
#include "store.h"
#include "web.h"

#define STOP_TIMEOUT_MS 5000

extern const char cw_console_script[];

typedef struct cw_console {
    cw_console_env_t env; /* what the modules are given; its objects are owned here */
    const char *config_path;
    cw_config_t *config; /* owned: the start-up config (env.config) */
    cw_ingest_t *ingest;
    cw_server_t *server;
    bool ready_sent;
    struct event *signals[4];
    struct event *tick_timer;
} cw_console_t;

/* The HTTP server's routes beyond /healthz and /metrics. */
static const cw_server_routes_t routes = {
    .api = cw_api_handle,
    .page = cw_web_serve,
};

static int records_pending(void *arg)
{
    cw_console_t *console = arg;
    return cw_ingest_pending(console->ingest);
}

/* Reads and parses the accounts file; NULL with errs. */
static cw_users_t *load_users(const char *path, cw_errlist_t *errs)
{
    if (path == NULL) {
        cw_errlist_add(errs, "[console] users_file: not set: the console needs accounts");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cw_errlist_add(errs, "%s: cannot open the accounts file: %s", path,
                       strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *grown = cw_realloc(text, cap);
            if (grown == NULL) {
                cw_free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    cw_secret_warn_if_exposed(path, "password hashes");
    cw_users_t *users = NULL;
    int rc = cw_users_parse(text ? text : "", len, path, &users, errs);
    if (text) {
        memset(text, 0, len);
        cw_free(text);
    }
    if (rc != 0)
        return NULL;
    if (users->count == 0) {
        cw_errlist_add(errs, "%s: no accounts (add name:role:hash lines)", path);
        cw_users_free(users);
        return NULL;
    }
    return users;
}

static void log_errors(const char *what, cw_errlist_t *errs)
{
    const char *text = cw_errlist_text(errs);
    while (*text) {
        const char *end = strchr(text, '\n');
        int len = end ? (int)(end - text) : (int)strlen(text);
        cw_log(LOG_ERR, "%s%.*s", what, len, text);
        text += len + (end ? 1 : 0);
    }
}

static void reload_users(cw_console_t *console)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_users_t *users = load_users(console->config->console_users_file, &errs);
    if (users == NULL) {
        log_errors("reload: accounts kept as they were: ", &errs);
    } else {
        cw_users_free(console->env.users);
        console->env.users = users;
        cw_sessions_prune(console->env.sessions, users, cw_wall_ms());
        cw_log(LOG_NOTICE, "reload: %zu account(s) from %s", users->count,
               console->config->console_users_file);
    }
    cw_errlist_free(&errs);
}

/* ---- the case-id secret -------------------------------------------------- */

static void on_secret(redisReply *reply, void *arg)
{
    cw_console_t *console = arg;
    if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
        cw_caseid_key_parse(reply->str, reply->len, console->env.id_key) != 0) {
        cw_log(LOG_ERR,
               "console: the case-id secret %s:secret in Redis is missing or not 64 "
               "hex digits; case ids cannot be made",
               console->env.base_key);
        return;
    }
    bool first = !console->env.id_key_ready;
    console->env.id_key_ready = true;
    if (first)
        cw_log(LOG_INFO, "console: case store ready (%s)", console->env.base_key);
    cw_ingest_kick(console->ingest);
}

/* Made once, by whichever console gets there first (SET NX), and kept for
 * good: every case id depends on it. */
static void load_secret(cw_console_t *console)
{
    uint8_t bytes[CW_CASEID_KEY_SIZE];
    char hex[2 * CW_CASEID_KEY_SIZE + 1];
    if (cw_random_bytes(bytes, sizeof bytes) != 0) {
        cw_log(LOG_ERR, "console: no random bytes for the case-id secret");
        return;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
    char key[128];
    snprintf(key, sizeof key, "%s:secret", console->env.base_key);
    const char *set[] = {"SET", key, hex, "NX"};
    size_t set_len[] = {3, strlen(key), strlen(hex), 2};
    const char *get[] = {"GET", key};
    size_t get_len[] = {3, strlen(key)};
    cw_store_send(console->env.store, NULL, NULL, 4, set, set_len);
    cw_store_send(console->env.store, on_secret, console, 2, get, get_len);
    memset(bytes, 0, sizeof bytes);
    memset(hex, 0, sizeof hex);
}

static void on_store_state(bool ready, void *arg)
{
    cw_console_t *console = arg;
    if (ready)
        load_secret(console);
}

/* ---- signals, timers, stop ------------------------------------------------ */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    cw_console_t *console = arg;
    if (sig == SIGHUP) {
        reload_users(console);
        return;
    }
    if (console->env.stopping) {
        cw_log(LOG_NOTICE, "second signal: stopping at once");
        event_base_loopbreak(console->env.base);
        return;
    }
    cw_log(LOG_NOTICE, "stopping (signal %d)", (int)sig);
    console->env.stopping = true;
    cw_notify("STOPPING=1");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    cw_console_t *console = arg;
    static int64_t stop_started;
    int64_t now = cw_mono_ms();
    cw_log_flush_suppressed(time(NULL));
    if (console->env.stopping) {
        if (stop_started == 0)
            stop_started = now;
        if (cw_ingest_pending(console->ingest) == 0 ||
            now - stop_started > STOP_TIMEOUT_MS)
            event_base_loopexit(console->env.base, NULL);
        return;
    }
    if (!console->ready_sent && cw_casestore_ready(&console->env)) {
        console->ready_sent = true;
        cw_notify("READY=1\nSTATUS=serving");
        cw_log(LOG_NOTICE, "console ready on http://%s/",
               console->config->console_listen);
    }
    static int64_t last_status;
    if (now - last_status >= 5000) {
        last_status = now;
        char status[200];
        snprintf(
            status, sizeof status,
            "STATUS=%llu alerts, %llu outcomes, %llu score records, %d live page(s), "
            "redis %s, kafka %s",
            (unsigned long long)(console->env.metrics.alerts_new +
                                 console->env.metrics.alerts_raised),
            (unsigned long long)console->env.metrics.outcomes_applied,
            (unsigned long long)(console->env.metrics.scores_new +
                                 console->env.metrics.scores_raised),
            cw_feed_count(console->env.feed),
            cw_casestore_ready(&console->env) ? "up" : "down",
            console->env.metrics.consumer_joined ? "joined" : "joining");
        cw_notify(status);
    }
    static int64_t last_watchdog;
    uint64_t watchdog = cw_notify_watchdog_usec();
    if (watchdog > 0 && (uint64_t)(now - last_watchdog) * 2000 >= watchdog) {
        last_watchdog = now;
        cw_notify("WATCHDOG=1");
    }
}

static char *redis_password(const cw_config_t *config, cw_errlist_t *errs)
{
    if (config->redis_password_file != NULL) {
        cw_secret_warn_if_exposed(config->redis_password_file, "the Redis password");
        return cw_secret_read(config->redis_password_file, errs);
    }
    if (config->redis_password != NULL) {
        cw_secret_warn_if_exposed(config->path, "the Redis password");
        return cw_strdup(config->redis_password);
    }
    return NULL;
}

static int start(cw_console_t *console, cw_errlist_t *errs)
{
    const cw_config_t *config = console->config;
    snprintf(console->env.base_key, sizeof console->env.base_key, "%s{console}",
             config->console_key_prefix);
    console->env.users = load_users(config->console_users_file, errs);
    if (console->env.users == NULL)
        return -1;
    char why[256];
    console->env.audit = cw_audit_open(config->console_audit_log, why, sizeof why);
    if (console->env.audit == NULL) {
        cw_errlist_add(errs, "[console] audit_log: %s", why);
        return -1;
    }
    console->env.dummy_hash =
        cw_passwd_hash("no account has this password", "$y$", why, sizeof why);
    if (console->env.dummy_hash == NULL) {
        cw_errlist_add(errs, "password hashing: %s", why);
        return -1;
    }
    cw_throttle_init(&console->env.user_throttle, 5);
    cw_throttle_init(&console->env.addr_throttle, 30);
    console->env.sessions = cw_sessions_new();
    console->env.feed = cw_feed_new(console->env.base);
    if (console->env.sessions == NULL || console->env.feed == NULL)
        return -1;
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        console->signals[i] =
            evsignal_new(console->env.base, sigs[i], on_signal, console);
        if (console->signals[i] == NULL || event_add(console->signals[i], NULL) != 0) {
            cw_errlist_add(errs, "cannot watch signal %d", sigs[i]);
            return -1;
        }
    }
    console->server = cw_server_new(&console->env, &routes, errs);
    if (console->server == NULL)
        return -1;
    char *password = redis_password(config, errs);
    if ((config->redis_password_file != NULL || config->redis_password != NULL) &&
        password == NULL)
        return -1;
    cw_store_options_t options = {
        .host = config->redis_host,
        .port = (int)config->redis_port,
        .user = config->redis_user,
        .password = password,
        .timeout_ms = config->redis_timeout_ms,
        .script = cw_console_script,
        .cluster = config->redis_cluster,
        .wait_replicas = config->min_replicas_acked,
    };
    console->env.store =
        cw_store_new(console->env.base, &options, &console->env.store_metrics,
                     on_store_state, console);
    cw_secret_free(password);
    if (console->env.store == NULL)
        return -1;
    console->ingest = cw_ingest_new(&console->env, errs);
    if (console->ingest == NULL)
        return -1;
    console->tick_timer = event_new(console->env.base, -1, EV_PERSIST, on_tick, console);
    if (console->tick_timer == NULL)
        return -1;
    struct timeval tick = {0, 100 * 1000};
    event_add(console->tick_timer, &tick);
    return 0;
}

static void finish(cw_console_t *console)
{
    /* streams end first (evhttp must not free a request a stream holds);
     * then the store, whose pending replies come back as failures: API
     * requests still waiting get their 503 while the server is there, and
     * ingest batches learn they were not applied (the consumer commits only
     * what was); then the server and the consumer */
    cw_feed_free(console->env.feed);
    console->env.feed = NULL;
    cw_store_free(console->env.store);
    console->env.store = NULL;
    cw_server_free(console->server);
    cw_ingest_free(console->ingest);
    for (size_t i = 0; i < sizeof console->signals / sizeof console->signals[0]; i++)
        if (console->signals[i])
            event_free(console->signals[i]);
    if (console->tick_timer)
        event_free(console->tick_timer);
    cw_sessions_free(console->env.sessions);
    cw_audit_close(console->env.audit);
    cw_users_free(console->env.users);
    cw_free(console->env.dummy_hash);
    cw_config_free(console->config);
    if (console->env.base)
        event_base_free(console->env.base);
    memset(console->env.id_key, 0, sizeof console->env.id_key);
    cw_free(console);
}

int cw_console_check(const char *config_path)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    int errors = cw_config_load(config_path, &config, &errs);
    if (errors == 0)
        errors = cw_kafka_conf_check(config, &errs);
    if (errors == 0) {
        cw_users_t *users = load_users(config->console_users_file, &errs);
        if (users == NULL)
            errors = 1;
        else
            printf("%s: configuration OK; %zu account(s) in %s\n", config_path,
                   users->count, config->console_users_file);
        cw_users_free(users);
    }
    if (errors != 0) {
        fputs(cw_errlist_text(&errs), stderr);
        fprintf(stderr, "%s: %d error(s)\n", config_path,
                errs.count > 0 ? errs.count : 1);
    }
    cw_config_free(config);
    cw_errlist_free(&errs);
    return errors == 0 ? 0 : 1;
}

int cw_console_run(const char *config_path)
{
    signal(SIGPIPE, SIG_IGN);
    cw_console_t *console = cw_calloc(1, sizeof *console);
    if (console == NULL)
        return 1;
    console->config_path = config_path;
    console->env.started_ms = cw_mono_ms();
    console->env.records_pending = records_pending;
    console->env.hook_arg = console;
    cw_errlist_t errs = CW_ERRLIST_INIT;
    int rc = 1;
    if (cw_config_load(config_path, &console->config, &errs) != 0) {
        log_errors("", &errs);
        goto out;
    }
    console->env.config = console->config;
    console->env.base = event_base_new();
    if (console->env.base == NULL || start(console, &errs) != 0) {
        log_errors("cannot start: ", &errs);
        goto out;
    }
    cw_log(LOG_NOTICE,
           "cdrwarn-console %s starting: http://%s/, %zu account(s), Redis %s:%lld",
           CW_VERSION, console->config->console_listen, console->env.users->count,
           console->config->redis_host, (long long)console->config->redis_port);
    event_base_dispatch(console->env.base);
    cw_log(LOG_NOTICE, "stopped");
    rc = 0;
out:
    cw_errlist_free(&errs);
    finish(console);
    return rc;
}
