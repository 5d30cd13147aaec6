/* The integration-test harness (see harness.h): processes, clients, waits
 * with deadlines, and a cleanup that runs on every way out. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "slot.h"
#include "record.h"
#include "sha256.h"
#include "subcodec.h"

#ifndef CW_CDRWARND
#error "CW_CDRWARND must name the cdrwarnd binary"
#endif
#ifndef CW_DEVBROKER
#error "CW_DEVBROKER must name the cdrwarn-devbroker binary"
#endif
#ifndef CW_SOURCE_DIR
#error "CW_SOURCE_DIR must name the source tree"
#endif
#ifndef CW_GEN
#error "CW_GEN must name the cdrwarn-gen binary"
#endif

#define MAX_PROCS 32
#define MAX_CONF 64
#define STOP_GRACE_MS 10000
#define POLL_MS 50
#define LOG_TAIL_LINES 60
#define VALGRIND_EXIT 99

/* ---- processes ---------------------------------------------------------- */

/* A child process; `owner` is the process that started it, the only one
 * allowed to stop it (Check's forked children inherit these tables). */
typedef struct proc {
    const char *name;
    pid_t pid; /* 0 when not running */
    pid_t owner;
    int status;     /* wait status once reaped */
    bool valgrind;  /* runs under valgrind: exit 99 means it found errors */
    bool checked;   /* a cdrwarnd: its log is scanned for sanitizer reports */
    char log[300];  /* where its output goes, for the messages */
    long log_start; /* the log's size when it started */
} proc_t;

typedef struct conf_entry {
    char section[32];
    char key[96];
    char value[512];
} conf_entry_t;

struct cw_harness {
    char dir[256];
    char error[CW_HARNESS_ERR_SIZE];
    char *failure;
    int64_t started_ms;
    pid_t creator;
    /* processes */
    proc_t redis, broker, gen;
    proc_t daemons[CW_HARNESS_MAX_DAEMONS];
    int redis_port;
    char *redis_user, *redis_password; /* the harness client's AUTH */
    char redis_args[16][64];
    int redis_arg_count;
    int broker_in, broker_out; /* our ends of its stdin and stdout */
    char brokers[160];
    int partitions;
    int http_ports[CW_HARNESS_MAX_DAEMONS];
    int daemon_starts;
    char config_path[300]; /* instance 0's */
    char program[300];     /* cdrwarnd to run; "" = CW_CDRWARND */
    char log_paths[CW_HARNESS_MAX_DAEMONS][300];
    conf_entry_t conf[MAX_CONF];
    int conf_count;
    /* a Redis Cluster (cw_harness_cluster_start) or extra servers */
    proc_t nodes[CW_HARNESS_MAX_NODES];
    int node_ports[CW_HARNESS_MAX_NODES], node_bus_ports[CW_HARNESS_MAX_NODES];
    int node_count;
    bool node_cluster[CW_HARNESS_MAX_NODES]; /* started with --cluster-enabled yes */
    char node_args[16][64];
    int node_arg_count;
    bool cluster;         /* the daemon's Redis is node 0's cluster */
    proc_t proxy;         /* nutcracker in front of the plain nodes */
    int proxy_port;
    /* clients, each usable only in the process that made it */
    redisContext *redis_ctx;
    pid_t redis_ctx_owner;
    redisContext *node_ctx[CW_HARNESS_MAX_NODES];
    pid_t node_ctx_owner[CW_HARNESS_MAX_NODES];
    rd_kafka_t *producer;
    pid_t producer_owner;
    cw_harness_sent_t *sent;
    size_t sent_count, sent_cap;
    int reader_seq;
    bool dumped;
};

static proc_t *registry[MAX_PROCS];
static cw_harness_t *harnesses[8];
static bool hooks_installed;
/* daemons this process reaped with valgrind's error exit or a sanitizer
 * report in their log */
static int checker_failures;

static void kill_all_owned(void)
{
    pid_t self = getpid();
    for (int i = 0; i < MAX_PROCS; i++) {
        proc_t *p = registry[i];
        if (p != NULL && p->pid > 0 && p->owner == self)
            kill(-p->pid, SIGKILL); /* its process group: the process and any child */
    }
}

/* Async-signal-safe: kill the children, then die of the same signal. */
static void on_fatal_signal(int sig)
{
    kill_all_owned();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void at_exit(void)
{
    pid_t self = getpid();
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++)
        if (harnesses[i] != NULL && harnesses[i]->creator == self)
            cw_harness_free(harnesses[i]);
    kill_all_owned();
    if (checker_failures > 0) {
        /* a stop in a teardown cannot fail a Check test: fail the program */
        fprintf(stderr,
                "harness: valgrind or a sanitizer found errors in %d cdrwarnd run(s); "
                "failing the test program\n",
                checker_failures);
        fflush(NULL);
        _exit(EXIT_FAILURE);
    }
}

static void install_hooks(void)
{
    if (hooks_installed)
        return;
    hooks_installed = true;
    atexit(at_exit);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a dead child's pipe or socket must not kill the test */
}

static void registry_add(proc_t *p)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (registry[i] == p)
            return;
    for (int i = 0; i < MAX_PROCS; i++)
        if (registry[i] == NULL) {
            registry[i] = p;
            return;
        }
}

static void registry_remove(proc_t *p)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (registry[i] == p)
            registry[i] = NULL;
}

int64_t cw_harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cw_harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int set_error(cw_harness_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int set_error(cw_harness_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error, sizeof h->error, fmt, ap);
    va_end(ap);
    return -1;
}

void cw_harness_log(cw_harness_t *h, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[harness +%.3fs] %s\n", (double)(mono_ms() - h->started_ms) / 1000.0,
            line);
}

/* Whether the log, from `start` on, holds an AddressSanitizer, LeakSanitizer
 * or UndefinedBehaviorSanitizer report; its first lines go to stderr. */
static bool sanitizer_report(const char *path, long start)
{
    static const char *const markers[] = {"ERROR: AddressSanitizer",
                                          "ERROR: LeakSanitizer", "runtime error:"};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    fseek(f, start, SEEK_SET);
    char line[1024];
    int printed = -1;
    while (fgets(line, sizeof line, f) != NULL && printed < 60) {
        for (size_t i = 0; printed < 0 && i < sizeof markers / sizeof markers[0]; i++)
            if (strstr(line, markers[i]) != NULL)
                printed = 0;
        if (printed >= 0) {
            fputs(line, stderr);
            printed++;
        }
    }
    fclose(f);
    return printed >= 0;
}

/* valgrind's own lines (==pid== ...) of a log, to stderr: the temp dir with
 * the log is gone once the test ends. */
static void print_valgrind_report(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char tag[32], line[1024];
    snprintf(tag, sizeof tag, "==%d==", (int)pid);
    int printed = 0;
    while (fgets(line, sizeof line, f) != NULL && printed < 400)
        if (strncmp(line, tag, strlen(tag)) == 0) {
            fputs(line, stderr);
            printed++;
        }
    fclose(f);
}

/* Reaps the process when it has exited; true when it is gone. */
static bool proc_reap(proc_t *p, bool block)
{
    if (p->pid <= 0)
        return true;
    int status;
    pid_t r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
        pid_t pid = p->pid;
        p->status = r == p->pid ? status : 0;
        p->pid = 0;
        registry_remove(p);
        if (p->valgrind && WIFEXITED(p->status) &&
            WEXITSTATUS(p->status) == VALGRIND_EXIT) {
            checker_failures++;
            fprintf(stderr, "harness: VALGRIND found errors in %s (exit %d), from %s:\n",
                    p->name, VALGRIND_EXIT, p->log);
            print_valgrind_report(p->log, pid);
        } else if (p->checked && sanitizer_report(p->log, p->log_start)) {
            checker_failures++;
            fprintf(stderr,
                    "harness: a SANITIZER found errors in %s (pid %d): see above\n",
                    p->name, (int)pid);
        }
        return true;
    }
    return false;
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* Sends sig, waits up to timeout_ms, then SIGKILL. Either way the process
 * group goes too: a child of the process (Redis's AOF rewrite) does not
 * inherit the death signal. Returns 0 when it ended within the bound. */
static int proc_stop(proc_t *p, int sig, int timeout_ms)
{
    if (p->pid <= 0 || p->owner != getpid())
        return 0;
    pid_t pid = p->pid;
    kill(pid, sig);
    int64_t deadline = mono_ms() + timeout_ms;
    int rc = -1;
    while (rc != 0 && mono_ms() < deadline) {
        if (proc_reap(p, false))
            rc = 0;
        else
            cw_harness_sleep_ms(20);
    }
    kill(-pid, SIGKILL);
    if (rc != 0) {
        kill(pid, SIGKILL);
        proc_reap(p, true);
    }
    return rc;
}

/* Resolves a program name on PATH before fork: the child may only make
 * async-signal-safe calls. */
static int find_program(const char *name, char *out, size_t size)
{
    if (strchr(name, '/') != NULL) {
        snprintf(out, size, "%s", name);
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        snprintf(out, size, "%.*s/%s", (int)len, path, name);
        if (access(out, X_OK) == 0)
            return 0;
        path += len + (end ? 1 : 0);
    }
    return -1;
}

/* fork + exec in a process group of its own, killed when we die. stdin_fd,
 * stdout_fd and stderr_fd become 0, 1, 2 (-1: /dev/null). */
static int proc_spawn(cw_harness_t *h, proc_t *p, const char *name, char *const argv[],
                      int stdin_fd, int stdout_fd, int stderr_fd)
{
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0)
        return set_error(h, "%s: cannot open /dev/null: %s", name, strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(null_fd);
        return set_error(h, "%s: fork: %s", name, strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fds[3] = {stdin_fd < 0 ? null_fd : stdin_fd,
                      stdout_fd < 0 ? null_fd : stdout_fd,
                      stderr_fd < 0 ? null_fd : stderr_fd};
        /* dup first into high numbers so 0..2 may be sources too */
        for (int i = 0; i < 3; i++)
            fds[i] = fcntl(fds[i], F_DUPFD, 10);
        for (int i = 0; i < 3; i++)
            dup2(fds[i], i);
        closefrom(3);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(null_fd);
    p->name = name;
    p->pid = pid;
    p->owner = parent;
    p->status = 0;
    p->valgrind = false;
    p->checked = false;
    p->log[0] = '\0';
    p->log_start = 0;
    registry_add(p);
    return 0;
}

static int free_port(cw_harness_t *h)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return set_error(h, "socket: %s", strerror(errno));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return set_error(h, "cannot find a free loopback port: %s", strerror(errno));
    }
    close(fd);
    return ntohs(addr.sin_port);
}

static int open_log(cw_harness_t *h, const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", h->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        set_error(h, "cannot open %s: %s", path, strerror(errno));
    return fd;
}

/* ---- lifecycle ---------------------------------------------------------- */

cw_harness_t *cw_harness_new(const char *name)
{
    install_hooks();
    cw_harness_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->started_ms = mono_ms();
    h->creator = getpid();
    h->broker_in = h->broker_out = -1;
    snprintf(h->dir, sizeof h->dir, "/tmp/cw-%s-XXXXXX", name);
    if (mkdtemp(h->dir) == NULL) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", h->dir, strerror(errno));
        free(h);
        return NULL;
    }
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++)
        if (harnesses[i] == NULL) {
            harnesses[i] = h;
            break;
        }
    cw_harness_log(h, "temp dir %s", h->dir);
    return h;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void close_clients(cw_harness_t *h)
{
    pid_t self = getpid();
    if (h->redis_ctx != NULL && h->redis_ctx_owner == self)
        redisFree(h->redis_ctx);
    h->redis_ctx = NULL;
    for (int i = 0; i < CW_HARNESS_MAX_NODES; i++) {
        if (h->node_ctx[i] != NULL && h->node_ctx_owner[i] == self)
            redisFree(h->node_ctx[i]);
        h->node_ctx[i] = NULL;
    }
    if (h->producer != NULL && h->producer_owner == self) {
        rd_kafka_flush(h->producer, 2000);
        rd_kafka_purge(h->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(h->producer);
    }
    h->producer = NULL;
}

void cw_harness_stop(cw_harness_t *h)
{
    close_clients(h);
    /* proc_stop leaves alone what another process started */
    proc_stop(&h->gen, SIGTERM, STOP_GRACE_MS);
    for (int n = 0; n < CW_HARNESS_MAX_DAEMONS; n++)
        proc_stop(&h->daemons[n], SIGTERM,
                  STOP_GRACE_MS * (cw_harness_valgrind() ? 3 : 1));
    proc_stop(&h->broker, SIGTERM, STOP_GRACE_MS);
    proc_stop(&h->redis, SIGTERM, STOP_GRACE_MS);
    proc_stop(&h->proxy, SIGTERM, STOP_GRACE_MS);
    for (int i = 0; i < h->node_count; i++) {
        if (h->nodes[i].pid > 0 && h->nodes[i].owner == getpid())
            kill(h->nodes[i].pid, SIGCONT); /* a frozen node cannot hear SIGTERM */
        proc_stop(&h->nodes[i], SIGTERM, STOP_GRACE_MS);
    }
}

void cw_harness_free(cw_harness_t *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++)
        if (harnesses[i] == h)
            harnesses[i] = NULL;
    if (h->creator != getpid())
        return; /* a forked child's copy: the creator cleans up */
    cw_harness_stop(h);
    if (h->broker_in >= 0)
        close(h->broker_in);
    if (h->broker_out >= 0)
        close(h->broker_out);
    const char *keep = getenv("CW_KEEP_TMP");
    if (keep != NULL && strcmp(keep, "1") == 0)
        cw_harness_log(h, "kept %s (CW_KEEP_TMP=1)", h->dir);
    else
        nftw(h->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(h->sent);
    free(h->failure);
    free(h->redis_user);
    free(h->redis_password);
    free(h);
}

static const char *main_name;
static cw_harness_t **main_harness;

static void main_setup(void)
{
    *main_harness = cw_harness_new(main_name);
}

static void main_teardown(void)
{
    cw_harness_free(*main_harness);
    *main_harness = NULL;
}

int cw_harness_main(const char *name, const TTest *const *tests, size_t count,
                    int timeout_s, cw_harness_t **harness)
{
    main_name = name;
    main_harness = harness;
    Suite *s = suite_create(name);
    for (size_t i = 0; i < count; i++) {
        TCase *tc = tcase_create(tests[i]->name);
        tcase_add_unchecked_fixture(tc, main_setup, main_teardown);
        tcase_set_timeout(tc, timeout_s);
        tcase_add_test(tc, tests[i]);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *cw_harness_error(const cw_harness_t *h)
{
    return h->error;
}

const char *cw_harness_dir(const cw_harness_t *h)
{
    return h->dir;
}

static void print_tail(const cw_harness_t *h, const char *name, int lines)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", h->dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long start = size > 65536 ? size - 65536 : 0;
    fseek(f, start, SEEK_SET);
    char *text = malloc((size_t)(size - start) + 1);
    size_t n = text ? fread(text, 1, (size_t)(size - start), f) : 0;
    fclose(f);
    if (text == NULL)
        return;
    text[n] = '\0';
    const char *p = text + n;
    int seen = 0;
    while (p > text && seen <= lines) {
        p--;
        if (*p == '\n')
            seen++;
    }
    if (*p == '\n')
        p++;
    fprintf(stderr, "---- %s (last %d lines) ----\n%s%s---- end of %s ----\n", path,
            lines, p, n > 0 && text[n - 1] != '\n' ? "\n" : "", name);
    free(text);
}

void cw_harness_dump_logs(cw_harness_t *h)
{
    if (h == NULL || h->dumped)
        return;
    h->dumped = true;
    print_tail(h, "redis.log", 10);
    print_tail(h, "nutcracker.log", 10);
    for (int i = 0; i < h->node_count; i++) {
        char name[32];
        snprintf(name, sizeof name, "redis-node-%d.log", i);
        print_tail(h, name, 10);
    }
    print_tail(h, "broker.log", 10);
    print_tail(h, "gen.log", 10);
    for (int n = 1; n < CW_HARNESS_MAX_DAEMONS; n++) {
        char name[32];
        snprintf(name, sizeof name, "daemon-%d.log", n);
        print_tail(h, name, LOG_TAIL_LINES / 2);
    }
    print_tail(h, "daemon.log", LOG_TAIL_LINES);
}

void cw_harness_fail(cw_harness_t *h, const char *what)
{
    if (h->failure == NULL) {
        size_t size = strlen(what) + strlen(h->error) + 3;
        h->failure = malloc(size);
        if (h->failure != NULL)
            snprintf(h->failure, size, "%s: %s", what, h->error);
        cw_harness_log(h, "FAILED: %s: %s", what, h->error);
    }
    cw_harness_dump_logs(h);
}

const char *cw_harness_failure(const cw_harness_t *h)
{
    return h->failure;
}

/* ---- redis-server ------------------------------------------------------- */

/* The connection held in *slot when this process made it and it still
 * works, else a new one to the port, authenticated as the harness's own
 * client, stored there; NULL with the error. A connection another process
 * made (before a fork) is left alone. */
static redisContext *own_connection(cw_harness_t *h, redisContext **slot, pid_t *owner,
                                    int port)
{
    pid_t self = getpid();
    if (*slot != NULL && *owner == self && (*slot)->err == 0)
        return *slot;
    if (*slot != NULL && *owner == self)
        redisFree(*slot);
    *slot = NULL;
    struct timeval tv = {2, 0};
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (ctx == NULL || ctx->err) {
        set_error(h, "cannot connect to Redis on 127.0.0.1:%d: %s", port,
                  ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return NULL;
    }
    struct timeval cmd_tv = {5, 0};
    redisSetTimeout(ctx, cmd_tv);
    if (h->redis_password != NULL) {
        redisReply *reply =
            h->redis_user != NULL
                ? redisCommand(ctx, "AUTH %s %s", h->redis_user, h->redis_password)
                : redisCommand(ctx, "AUTH %s", h->redis_password);
        bool ok = reply != NULL && reply->type != REDIS_REPLY_ERROR;
        if (!ok)
            set_error(h, "Redis on 127.0.0.1:%d: AUTH as %s refused: %s", port,
                      h->redis_user ? h->redis_user : "default",
                      reply == NULL ? ctx->errstr : reply->str);
        if (reply != NULL)
            freeReplyObject(reply);
        if (!ok) {
            redisFree(ctx);
            return NULL;
        }
    }
    *slot = ctx;
    *owner = self;
    return ctx;
}

redisContext *cw_harness_redis(cw_harness_t *h)
{
    if (h->redis_port == 0) {
        set_error(h, "redis-server is not started");
        return NULL;
    }
    return own_connection(h, &h->redis_ctx, &h->redis_ctx_owner, h->redis_port);
}

static redisReply *cluster_cmd(cw_harness_t *h, const char *cmd, int len);

/* A command's reply, or NULL with the reason in the error (and the
 * connection dropped, so the next call reconnects). On a cluster the command
 * goes to any node and follows MOVED and ASK to the node serving its key. */
static redisReply *redis_cmd(cw_harness_t *h, const char *fmt, ...)
{
    if (h->cluster) {
        char *cmd = NULL;
        va_list ap;
        va_start(ap, fmt);
        int len = redisvFormatCommand(&cmd, fmt, ap);
        va_end(ap);
        if (len < 0) {
            set_error(h, "Redis: cannot format %s", fmt);
            return NULL;
        }
        redisReply *reply = cluster_cmd(h, cmd, len);
        redisFreeCommand(cmd);
        return reply;
    }
    redisContext *ctx = cw_harness_redis(h);
    if (ctx == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    if (reply == NULL) {
        set_error(h, "Redis: %s", ctx->errstr[0] ? ctx->errstr : "no reply");
        redisFree(ctx);
        h->redis_ctx = NULL;
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        set_error(h, "Redis: %s", reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

int cw_harness_redis_start(cw_harness_t *h, const char *const *extra)
{
    if (extra != NULL) {
        h->redis_arg_count = 0;
        for (int i = 0; extra[i] != NULL && i < 16; i++)
            snprintf(h->redis_args[h->redis_arg_count++], sizeof h->redis_args[0], "%s",
                     extra[i]);
    }
    char program[300];
    if (find_program("redis-server", program, sizeof program) != 0)
        return set_error(h,
                         "redis-server not found on PATH (apt-get install redis-server)");
    for (int attempt = 0; attempt < 3; attempt++) {
        if (h->redis_port == 0 || attempt > 0) {
            int port = free_port(h);
            if (port < 0)
                return -1;
            h->redis_port = port;
        }
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%d", h->redis_port);
        char *argv[40];
        int argc = 0;
        argv[argc++] = program;
        argv[argc++] = "--port";
        argv[argc++] = port_text;
        argv[argc++] = "--bind";
        argv[argc++] = "127.0.0.1";
        argv[argc++] = "--save";
        argv[argc++] = "";
        argv[argc++] = "--appendonly";
        argv[argc++] = "no";
        argv[argc++] = "--dir";
        argv[argc++] = h->dir;
        argv[argc++] = "--daemonize";
        argv[argc++] = "no";
        for (int i = 0; i < h->redis_arg_count; i++)
            argv[argc++] = h->redis_args[i];
        argv[argc] = NULL;
        int log = open_log(h, "redis.log");
        if (log < 0)
            return -1;
        int rc = proc_spawn(h, &h->redis, "redis-server", argv, -1, log, log);
        close(log);
        if (rc != 0)
            return -1;
        int64_t deadline = mono_ms() + 10000;
        while (mono_ms() < deadline) {
            if (proc_reap(&h->redis, false))
                break;
            redisReply *reply = redis_cmd(h, "PING");
            if (reply != NULL) {
                freeReplyObject(reply);
                cw_harness_log(h, "redis-server on 127.0.0.1:%d", h->redis_port);
                return 0;
            }
            cw_harness_sleep_ms(POLL_MS);
        }
        if (h->redis.pid > 0) {
            proc_stop(&h->redis, SIGKILL, 1000);
            return set_error(h, "redis-server on port %d did not answer PING within 10 s",
                             h->redis_port);
        }
        /* exited: most likely the port was taken in between; try another */
    }
    return set_error(h, "redis-server exited at start three times (see %s/redis.log)",
                     h->dir);
}

int cw_harness_redis_stop(cw_harness_t *h)
{
    if (h->redis_ctx != NULL && h->redis_ctx_owner == getpid())
        redisFree(h->redis_ctx);
    h->redis_ctx = NULL;
    if (proc_stop(&h->redis, SIGTERM, STOP_GRACE_MS) != 0)
        return set_error(h, "redis-server did not stop within %d s of SIGTERM",
                         STOP_GRACE_MS / 1000);
    return 0;
}

int cw_harness_redis_kill(cw_harness_t *h)
{
    if (h->redis_ctx != NULL && h->redis_ctx_owner == getpid())
        redisFree(h->redis_ctx);
    h->redis_ctx = NULL;
    proc_stop(&h->redis, SIGKILL, 5000);
    return 0;
}

int cw_harness_redis_port(const cw_harness_t *h)
{
    return h->redis_port;
}

void cw_harness_redis_auth(cw_harness_t *h, const char *user, const char *password)
{
    free(h->redis_user);
    free(h->redis_password);
    h->redis_user = user != NULL ? strdup(user) : NULL;
    h->redis_password = password != NULL ? strdup(password) : NULL;
    if (h->redis_ctx != NULL && h->redis_ctx_owner == getpid())
        redisFree(h->redis_ctx);
    h->redis_ctx = NULL; /* the next command connects with them */
}

/* ---- a Redis Cluster, and servers beside the daemon's ----------------------- */

static bool node_index_ok(cw_harness_t *h, int i)
{
    if (i >= 0 && i < h->node_count)
        return true;
    set_error(h, "no Redis node %d (0..%d)", i, h->node_count - 1);
    return false;
}

/* The synchronous client of node i (connected on first use, again after an
 * error; authenticated as the harness's own client); NULL with the error. */
redisContext *cw_harness_node_redis(cw_harness_t *h, int i)
{
    if (!node_index_ok(h, i))
        return NULL;
    return own_connection(h, &h->node_ctx[i], &h->node_ctx_owner[i], h->node_ports[i]);
}

/* A command on node i: its reply (error replies included), or NULL with the
 * error (the connection is dropped for the next call to redo). */
redisReply *cw_harness_node_command(cw_harness_t *h, int i, const char *fmt, ...)
{
    redisContext *ctx = cw_harness_node_redis(h, i);
    if (ctx == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    if (reply == NULL) {
        set_error(h, "Redis node %d: %s", i, ctx->errstr[0] ? ctx->errstr : "no reply");
        redisFree(ctx);
        h->node_ctx[i] = NULL;
    }
    return reply;
}

static redisReply *node_formatted(cw_harness_t *h, int i, const char *cmd, int len)
{
    redisContext *ctx = cw_harness_node_redis(h, i);
    if (ctx == NULL)
        return NULL;
    void *reply = NULL;
    if (redisAppendFormattedCommand(ctx, cmd, (size_t)len) != REDIS_OK ||
        redisGetReply(ctx, &reply) != REDIS_OK) {
        set_error(h, "Redis node %d: %s", i, ctx->errstr[0] ? ctx->errstr : "no reply");
        redisFree(ctx);
        h->node_ctx[i] = NULL;
        return NULL;
    }
    return reply;
}

static int node_by_port(const cw_harness_t *h, int port)
{
    for (int i = 0; i < h->node_count; i++)
        if (h->node_ports[i] == port)
            return i;
    return -1;
}

static redisReply *cluster_cmd(cw_harness_t *h, const char *cmd, int len)
{
    /* any node that answers; then where the redirections lead */
    int at = -1;
    for (int i = 0; i < h->node_count && at < 0; i++)
        if (h->nodes[i].pid > 0 && h->node_cluster[i] && cw_harness_node_redis(h, i) != NULL)
            at = i;
    if (at < 0)
        return set_error(h, "Redis: no cluster node answers"), NULL;
    for (int hop = 0; hop < 5; hop++) {
        redisReply *reply = node_formatted(h, at, cmd, len);
        if (reply == NULL)
            return NULL;
        if (reply->type != REDIS_REPLY_ERROR)
            return reply;
        bool moved = strncmp(reply->str, "MOVED ", 6) == 0;
        bool ask = strncmp(reply->str, "ASK ", 4) == 0;
        const char *colon = strrchr(reply->str, ':');
        int next = (moved || ask) && colon != NULL ? node_by_port(h, atoi(colon + 1)) : -1;
        if (next < 0) {
            set_error(h, "Redis: %s", reply->str);
            freeReplyObject(reply);
            return NULL;
        }
        freeReplyObject(reply);
        at = next;
        if (ask) {
            redisReply *asking = cw_harness_node_command(h, at, "ASKING");
            if (asking == NULL)
                return NULL;
            freeReplyObject(asking);
        }
    }
    return set_error(h, "Redis: more than 5 redirections"), NULL;
}

/* A reply made here, freed by freeReplyObject (hiredis 0.14 frees with free()). */
static redisReply *new_array(size_t cap)
{
    redisReply *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->type = REDIS_REPLY_ARRAY;
        r->element = calloc(cap ? cap : 1, sizeof *r->element);
        if (r->element == NULL) {
            free(r);
            return NULL;
        }
    }
    return r;
}

/* KEYS on every master of the cluster (or every server behind the proxy),
 * merged. */
static redisReply *cluster_keys(cw_harness_t *h, const char *pattern)
{
    redisReply *parts[CW_HARNESS_MAX_NODES] = {NULL};
    size_t total = 0;
    int rc = 0;
    for (int i = 0; i < h->node_count && rc == 0; i++) {
        if (h->nodes[i].pid <= 0 || h->node_cluster[i] != h->cluster)
            continue;
        redisReply *role = cw_harness_node_command(h, i, "ROLE");
        bool master = role != NULL && role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
                      role->element[0]->type == REDIS_REPLY_STRING &&
                      strcmp(role->element[0]->str, "master") == 0;
        if (role != NULL)
            freeReplyObject(role);
        if (!master)
            continue; /* a replica's keys are its master's; a dead node has none */
        parts[i] = cw_harness_node_command(h, i, "KEYS %s", pattern);
        if (parts[i] == NULL || parts[i]->type != REDIS_REPLY_ARRAY)
            rc = set_error(h, "KEYS %s on node %d failed", pattern, i);
        else
            total += parts[i]->elements;
    }
    redisReply *all = rc == 0 ? new_array(total) : NULL;
    for (int i = 0; i < h->node_count; i++) {
        if (parts[i] == NULL)
            continue;
        for (size_t k = 0; all != NULL && parts[i]->type == REDIS_REPLY_ARRAY &&
                           k < parts[i]->elements;
             k++) {
            all->element[all->elements++] = parts[i]->element[k];
            parts[i]->element[k] = NULL;
        }
        freeReplyObject(parts[i]);
    }
    return all;
}

redisReply *cw_harness_redis_keys(cw_harness_t *h, const char *pattern)
{
    if (h->cluster || h->proxy_port != 0)
        return cluster_keys(h, pattern);
    return redis_cmd(h, "KEYS %s", pattern);
}

redisReply *cw_harness_redis_command(cw_harness_t *h, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (len < 0) {
        set_error(h, "Redis: cannot format %s", fmt);
        return NULL;
    }
    redisReply *reply = NULL;
    if (h->cluster) {
        reply = cluster_cmd(h, cmd, len);
    } else {
        redisContext *ctx = cw_harness_redis(h);
        void *r = NULL;
        if (ctx != NULL && redisAppendFormattedCommand(ctx, cmd, (size_t)len) == REDIS_OK &&
            redisGetReply(ctx, &r) == REDIS_OK) {
            reply = r;
        } else if (ctx != NULL) {
            set_error(h, "Redis: %s", ctx->errstr[0] ? ctx->errstr : "no reply");
            redisFree(ctx);
            h->redis_ctx = NULL;
        }
        if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
            set_error(h, "Redis: %s", reply->str);
            freeReplyObject(reply);
            reply = NULL;
        }
    }
    redisFreeCommand(cmd);
    return reply;
}

bool cw_harness_cluster(const cw_harness_t *h)
{
    return h->cluster;
}

/* Starts node i's redis-server (again, with the same ports, folder and
 * nodes.conf, when it ran before) and waits for PING. */
static int node_spawn(cw_harness_t *h, int i)
{
    char program[300];
    if (find_program("redis-server", program, sizeof program) != 0)
        return set_error(h, "redis-server not found on PATH (apt-get install redis-server)");
    char dir[400], conf[420], port[16], bus[16], logname[32];
    snprintf(dir, sizeof dir, "%s/node-%d", h->dir, i);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return set_error(h, "mkdir %s: %s", dir, strerror(errno));
    snprintf(conf, sizeof conf, "%s/nodes.conf", dir);
    snprintf(port, sizeof port, "%d", h->node_ports[i]);
    snprintf(bus, sizeof bus, "%d", h->node_bus_ports[i]);
    snprintf(logname, sizeof logname, "redis-node-%d.log", i);
    char *argv[60];
    int argc = 0;
    argv[argc++] = program;
    argv[argc++] = "--port";
    argv[argc++] = port;
    argv[argc++] = "--bind";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--save";
    argv[argc++] = "";
    argv[argc++] = "--appendonly";
    argv[argc++] = "no";
    argv[argc++] = "--dir";
    argv[argc++] = dir;
    argv[argc++] = "--daemonize";
    argv[argc++] = "no";
    if (h->node_cluster[i]) {
        argv[argc++] = "--cluster-enabled";
        argv[argc++] = "yes";
        argv[argc++] = "--cluster-config-file";
        argv[argc++] = conf;
        argv[argc++] = "--cluster-port";
        argv[argc++] = bus;
        argv[argc++] = "--cluster-node-timeout";
        argv[argc++] = "3000";
    }
    for (int a = 0; a < h->node_arg_count; a++)
        argv[argc++] = h->node_args[a];
    argv[argc] = NULL;
    int log = open_log(h, logname);
    if (log < 0)
        return -1;
    int rc = proc_spawn(h, &h->nodes[i], "redis-server (node)", argv, -1, log, log);
    close(log);
    if (rc != 0)
        return -1;
    int64_t deadline = mono_ms() + 10000;
    while (mono_ms() < deadline) {
        if (proc_reap(&h->nodes[i], false))
            return set_error(h, "Redis node %d exited at start (see %s/%s)", i, h->dir, logname);
        redisReply *reply = cw_harness_node_command(h, i, "PING");
        bool up = reply != NULL && reply->type != REDIS_REPLY_ERROR;
        if (reply != NULL)
            freeReplyObject(reply);
        if (up)
            return 0;
        cw_harness_sleep_ms(POLL_MS);
    }
    proc_stop(&h->nodes[i], SIGKILL, 1000);
    return set_error(h, "Redis node %d on port %d did not answer PING within 10 s", i,
                     h->node_ports[i]);
}

static int add_nodes(cw_harness_t *h, int count, bool cluster, const char *const *extra)
{
    if (h->node_count + count > CW_HARNESS_MAX_NODES)
        return set_error(h, "at most %d extra Redis nodes", CW_HARNESS_MAX_NODES);
    if (extra != NULL) {
        h->node_arg_count = 0;
        for (int i = 0; extra[i] != NULL && i < 16; i++)
            snprintf(h->node_args[h->node_arg_count++], sizeof h->node_args[0], "%s",
                     extra[i]);
    }
    for (int n = 0; n < count; n++) {
        int i = h->node_count++;
        h->node_cluster[i] = cluster;
        if ((h->node_ports[i] = free_port(h)) < 0 || (h->node_bus_ports[i] = free_port(h)) < 0)
            return -1;
        if (node_spawn(h, i) != 0)
            return -1;
    }
    return 0;
}

int cw_harness_servers_start(cw_harness_t *h, int count, const char *const *extra)
{
    int first = h->node_count;
    if (add_nodes(h, count, false, extra) != 0)
        return -1;
    return first;
}

/* Runs a program to its end within timeout_ms, its output into log_name;
 * 0 when it exited 0. */
static int run_program(cw_harness_t *h, char *const argv[], const char *log_name,
                       int timeout_ms)
{
    int log = open_log(h, log_name);
    if (log < 0)
        return -1;
    proc_t p = {0};
    int rc = proc_spawn(h, &p, argv[0], argv, -1, log, log);
    close(log);
    if (rc != 0)
        return -1;
    int64_t deadline = mono_ms() + timeout_ms;
    while (!proc_reap(&p, false)) {
        if (mono_ms() >= deadline) {
            proc_stop(&p, SIGKILL, 1000);
            return set_error(h, "%s did not end within %d ms (see %s/%s)", argv[0], timeout_ms,
                             h->dir, log_name);
        }
        cw_harness_sleep_ms(POLL_MS);
    }
    if (exit_code(p.status) != 0)
        return set_error(h, "%s exited %d (see %s/%s)", argv[0], exit_code(p.status), h->dir,
                         log_name);
    return 0;
}

int cw_harness_cluster_wait_ok(cw_harness_t *h, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    char last[256] = "";
    for (;;) {
        bool ok = true;
        for (int i = 0; i < h->node_count && ok; i++) {
            if (!h->node_cluster[i] || h->nodes[i].pid <= 0)
                continue;
            redisReply *info = cw_harness_node_command(h, i, "CLUSTER INFO");
            ok = info != NULL && info->type == REDIS_REPLY_STRING &&
                 strstr(info->str, "cluster_state:ok") != NULL &&
                 strstr(info->str, "cluster_slots_ok:16384") != NULL;
            if (!ok)
                snprintf(last, sizeof last, "node %d: %.200s", i,
                         info == NULL ? h->error
                         : info->type == REDIS_REPLY_STRING ? "cluster_state not ok"
                                                            : "CLUSTER INFO failed");
            if (info != NULL)
                freeReplyObject(info);
        }
        if (ok)
            return 0;
        if (mono_ms() >= deadline)
            return set_error(h, "the cluster is not ok within %d ms: %s", timeout_ms, last);
        cw_harness_sleep_ms(100);
    }
}

int cw_harness_cluster_start(cw_harness_t *h, int masters, int replicas,
                             const char *const *extra)
{
    int total = masters * (1 + replicas);
    if (h->node_count != 0)
        return set_error(h, "the cluster must be the first Redis nodes started");
    if (add_nodes(h, total, true, extra) != 0)
        return -1;
    char program[300];
    if (find_program("redis-cli", program, sizeof program) != 0)
        return set_error(h, "redis-cli not found on PATH (apt-get install redis-tools)");
    char addrs[CW_HARNESS_MAX_NODES][32], count[16];
    char *argv[CW_HARNESS_MAX_NODES + 16];
    int argc = 0;
    argv[argc++] = program;
    if (h->redis_password != NULL) {
        argv[argc++] = "--no-auth-warning";
        argv[argc++] = "-a";
        argv[argc++] = h->redis_password;
    }
    argv[argc++] = "--cluster";
    argv[argc++] = "create";
    for (int i = 0; i < total; i++) {
        snprintf(addrs[i], sizeof addrs[i], "127.0.0.1:%d", h->node_ports[i]);
        argv[argc++] = addrs[i];
    }
    snprintf(count, sizeof count, "%d", replicas);
    argv[argc++] = "--cluster-replicas";
    argv[argc++] = count;
    argv[argc++] = "--cluster-yes";
    argv[argc] = NULL;
    if (run_program(h, argv, "cluster-create.log", 60000) != 0)
        return -1;
    if (cw_harness_cluster_wait_ok(h, 30000) != 0)
        return -1;
    /* every replica attached and synced, so that a failover has one to promote */
    int64_t deadline = mono_ms() + 30000;
    for (;;) {
        int synced = 0;
        for (int i = 0; i < total; i++) {
            redisReply *info = cw_harness_node_command(h, i, "INFO replication");
            if (info != NULL && info->type == REDIS_REPLY_STRING &&
                strstr(info->str, "role:slave") != NULL &&
                strstr(info->str, "master_link_status:up") != NULL)
                synced++;
            if (info != NULL)
                freeReplyObject(info);
        }
        if (synced == masters * replicas)
            break;
        if (mono_ms() >= deadline)
            return set_error(h, "%d of %d replicas in sync after 30 s", synced,
                             masters * replicas);
        cw_harness_sleep_ms(100);
    }
    h->cluster = true;
    h->redis_port = h->node_ports[0];
    cw_harness_config_set(h, "redis", "cluster", "yes");
    cw_harness_log(h, "Redis Cluster of %d masters and %d replica(s) each on 127.0.0.1:%d..",
                   masters, replicas, h->node_ports[0]);
    return 0;
}

int cw_harness_twemproxy_start(cw_harness_t *h, int servers)
{
    char program[300];
    if (find_program("nutcracker", program, sizeof program) != 0 &&
        find_program("/usr/sbin/nutcracker", program, sizeof program) != 0)
        return set_error(h, "nutcracker not found (apt-get install nutcracker)");
    int first = cw_harness_servers_start(h, servers, NULL);
    if (first < 0)
        return -1;
    int port = free_port(h), stats = free_port(h);
    if (port < 0 || stats < 0)
        return -1;
    char conf[400], stats_text[16];
    snprintf(conf, sizeof conf, "%s/nutcracker.yml", h->dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL)
        return set_error(h, "cannot write %s: %s", conf, strerror(errno));
    /* a partition's keys share the hash tag {p<N>}: one server each; hosts
     * never ejected, which would move keys to another server */
    fprintf(f,
            "cdrwarn:\n  listen: 127.0.0.1:%d\n  hash: fnv1a_64\n  hash_tag: \"{}\"\n"
            "  distribution: ketama\n  redis: true\n  auto_eject_hosts: false\n"
            "  timeout: 5000\n  preconnect: true\n  servers:\n",
            port);
    for (int i = first; i < first + servers; i++)
        fprintf(f, "   - 127.0.0.1:%d:1 server%d\n", h->node_ports[i], i - first);
    fclose(f);
    snprintf(stats_text, sizeof stats_text, "%d", stats);
    char *argv[] = {program, "-c", conf, "-s", stats_text, "-a", "127.0.0.1", NULL};
    int log = open_log(h, "nutcracker.log");
    if (log < 0)
        return -1;
    int rc = proc_spawn(h, &h->proxy, "nutcracker", argv, -1, log, log);
    close(log);
    if (rc != 0)
        return -1;
    h->proxy_port = port;
    h->redis_port = port; /* the daemon and the harness's own keyed reads go through it */
    int64_t deadline = mono_ms() + 10000;
    while (mono_ms() < deadline) {
        if (proc_reap(&h->proxy, false))
            return set_error(h, "nutcracker exited at start (see %s/nutcracker.log)", h->dir);
        redisReply *reply = redis_cmd(h, "PING");
        if (reply != NULL) {
            freeReplyObject(reply);
            cw_harness_log(h, "nutcracker on 127.0.0.1:%d in front of %d redis-server(s)", port,
                           servers);
            return 0;
        }
        cw_harness_sleep_ms(POLL_MS);
    }
    return set_error(h, "nutcracker on port %d did not answer PING within 10 s", port);
}

int cw_harness_node_count(const cw_harness_t *h)
{
    return h->node_count;
}

int cw_harness_node_port(const cw_harness_t *h, int i)
{
    return i >= 0 && i < h->node_count ? h->node_ports[i] : 0;
}

pid_t cw_harness_node_pid(const cw_harness_t *h, int i)
{
    return i >= 0 && i < h->node_count ? h->nodes[i].pid : 0;
}

int cw_harness_node_kill(cw_harness_t *h, int i)
{
    if (!node_index_ok(h, i))
        return -1;
    if (h->node_ctx[i] != NULL && h->node_ctx_owner[i] == getpid())
        redisFree(h->node_ctx[i]);
    h->node_ctx[i] = NULL;
    proc_stop(&h->nodes[i], SIGKILL, 5000);
    return 0;
}

int cw_harness_node_restart(cw_harness_t *h, int i)
{
    if (!node_index_ok(h, i))
        return -1;
    if (h->nodes[i].pid > 0)
        return set_error(h, "Redis node %d is running", i);
    return node_spawn(h, i);
}

int cw_harness_node_is_master(cw_harness_t *h, int i, bool *master)
{
    redisReply *role = cw_harness_node_command(h, i, "ROLE");
    if (role == NULL)
        return -1;
    *master = role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
              role->element[0]->type == REDIS_REPLY_STRING &&
              strcmp(role->element[0]->str, "master") == 0;
    freeReplyObject(role);
    return 0;
}

int cw_harness_cluster_node_of(cw_harness_t *h, const char *key)
{
    int slot = cw_slot_of(key, strlen(key));
    for (int i = 0; i < h->node_count; i++) {
        if (!h->node_cluster[i] || h->nodes[i].pid <= 0)
            continue;
        redisReply *slots = cw_harness_node_command(h, i, "CLUSTER SLOTS");
        int found = -1;
        for (size_t r = 0; slots != NULL && slots->type == REDIS_REPLY_ARRAY &&
                           r < slots->elements && found < 0;
             r++) {
            const redisReply *range = slots->element[r];
            if (range->elements >= 3 && range->element[0]->integer <= slot &&
                slot <= range->element[1]->integer && range->element[2]->elements >= 2)
                found = node_by_port(h, (int)range->element[2]->element[1]->integer);
        }
        if (slots != NULL)
            freeReplyObject(slots);
        if (found >= 0)
            return found;
    }
    return set_error(h, "no node serves the slot %d of %s", slot, key);
}

/* ---- cdrwarn-devbroker -------------------------------------------------- */

/* One line from the broker's stdout within the deadline. */
static int broker_read_line(cw_harness_t *h, char *line, size_t size, int timeout_ms)
{
    size_t len = 0;
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return set_error(h, "cdrwarn-devbroker wrote no line within %d ms",
                             timeout_ms);
        struct pollfd pfd = {h->broker_out, POLLIN, 0};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char c;
        ssize_t r = read(h->broker_out, &c, 1);
        if (r == 0)
            return set_error(
                h, "cdrwarn-devbroker closed its stdout (exited? see %s/broker.log)",
                h->dir);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return set_error(h, "reading cdrwarn-devbroker's stdout: %s",
                             strerror(errno));
        }
        if (c == '\n') {
            line[len] = '\0';
            return 0;
        }
        if (len + 1 < size)
            line[len++] = c;
    }
}

int cw_harness_broker_start(cw_harness_t *h, int partitions)
{
    static const char *const topics[] = {CW_HARNESS_TOPIC_CDR, CW_HARNESS_TOPIC_BILLING,
                                         CW_HARNESS_TOPIC_CRM, CW_HARNESS_TOPIC_ALERTS,
                                         CW_HARNESS_TOPIC_DLQ, CW_HARNESS_TOPIC_OUTCOMES,
                                         CW_HARNESS_TOPIC_SCORES};
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return set_error(h, "pipe: %s", strerror(errno));
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return set_error(h, "pipe: %s", strerror(errno));
    }
    char specs[5][96];
    char *argv[16];
    int argc = 0;
    argv[argc++] = CW_DEVBROKER;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    for (int i = 0; i < 5; i++) {
        snprintf(specs[i], sizeof specs[i], "%s:%d", topics[i], partitions);
        argv[argc++] = "--topic";
        argv[argc++] = specs[i];
    }
    argv[argc] = NULL;
    int log = open_log(h, "broker.log");
    int rc = log < 0 ? -1
                     : proc_spawn(h, &h->broker, "cdrwarn-devbroker", argv, in[0], out[1],
                                  log);
    if (log >= 0)
        close(log);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    h->broker_in = in[1];
    h->broker_out = out[0];
    h->partitions = partitions;
    char line[128];
    if (broker_read_line(h, line, sizeof line, 20000) != 0)
        return -1;
    if (strncmp(line, "127.0.0.1:", 10) != 0)
        return set_error(h, "cdrwarn-devbroker: expected \"127.0.0.1:PORT\", got '%s'",
                         line);
    snprintf(h->brokers, sizeof h->brokers, "%s", line);
    cw_harness_log(h, "cdrwarn-devbroker on %s, %d partition(s) a topic", h->brokers,
                   partitions);
    return 0;
}

/* Sends one command line and reads its one reply line, whatever it says. */
static int broker_ask(cw_harness_t *h, const char *command, char *line, size_t size)
{
    if (h->broker.pid <= 0)
        return set_error(h, "cdrwarn-devbroker is not running");
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s\n", command);
    if (n < 0 || (size_t)n >= sizeof buf)
        return set_error(h, "devbroker command too long: '%s'", command);
    if (write(h->broker_in, buf, (size_t)n) != n)
        return set_error(h, "writing '%s' to cdrwarn-devbroker: %s", command,
                         strerror(errno));
    return broker_read_line(h, line, size, 10000);
}

int cw_harness_broker_command(cw_harness_t *h, const char *command, char *reply,
                              size_t reply_size)
{
    char line[256];
    if (broker_ask(h, command, line, sizeof line) != 0)
        return -1;
    if (reply != NULL)
        snprintf(reply, reply_size, "%s", line);
    if (strcmp(line, "ok") != 0)
        return set_error(h, "cdrwarn-devbroker answered '%s' to '%s'", line, command);
    return 0;
}

int cw_harness_broker_pending(cw_harness_t *h, const char *api, long *count)
{
    char command[64], line[256];
    snprintf(command, sizeof command, "pending %s", api);
    if (broker_ask(h, command, line, sizeof line) != 0)
        return -1;
    char *end = line;
    long n = -1;
    if (strncmp(line, "ok ", 3) == 0) {
        errno = 0;
        n = strtol(line + 3, &end, 10);
        if (errno != 0 || end == line + 3 || *end != '\0')
            n = -1;
    }
    if (n < 0)
        return set_error(h, "cdrwarn-devbroker answered '%s' to '%s', expected \"ok N\"",
                         line, command);
    *count = n;
    return 0;
}

int cw_harness_broker_stop(cw_harness_t *h)
{
    if (proc_stop(&h->broker, SIGTERM, STOP_GRACE_MS) != 0)
        return set_error(h, "cdrwarn-devbroker did not stop within %d s of SIGTERM",
                         STOP_GRACE_MS / 1000);
    return 0;
}

const char *cw_harness_brokers(const cw_harness_t *h)
{
    return h->brokers;
}

int cw_harness_partitions(const cw_harness_t *h)
{
    return h->partitions;
}

/* ---- cdrwarnd ----------------------------------------------------------- */

void cw_harness_config_set(cw_harness_t *h, const char *section, const char *key,
                           const char *value)
{
    for (int i = 0; i < h->conf_count; i++) {
        if (strcmp(h->conf[i].section, section) == 0 &&
            strcmp(h->conf[i].key, key) == 0) {
            snprintf(h->conf[i].value, sizeof h->conf[i].value, "%s", value);
            return;
        }
    }
    if (h->conf_count == MAX_CONF)
        return;
    conf_entry_t *e = &h->conf[h->conf_count++];
    snprintf(e->section, sizeof e->section, "%s", section);
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->value, sizeof e->value, "%s", value);
}

static const char *conf_get(const cw_harness_t *h, const char *section, const char *key)
{
    for (int i = 0; i < h->conf_count; i++)
        if (strcmp(h->conf[i].section, section) == 0 && strcmp(h->conf[i].key, key) == 0)
            return h->conf[i].value;
    return NULL;
}

static const char *key_prefix(const cw_harness_t *h)
{
    const char *prefix = conf_get(h, "redis", "key_prefix");
    return prefix ? prefix : "cw:";
}

static bool daemon_index_ok(cw_harness_t *h, int n)
{
    if (n >= 0 && n < CW_HARNESS_MAX_DAEMONS)
        return true;
    set_error(h, "no cdrwarnd instance %d (0..%d)", n, CW_HARNESS_MAX_DAEMONS - 1);
    return false;
}

/* Instance n's config: the base, each key only where the test did not set
 * it, then the test's keys; [http] listen is the instance's own. */
static int config_write_n(cw_harness_t *h, int n, char *path, size_t path_size)
{
    if (h->brokers[0] == '\0' || h->redis_port == 0)
        return set_error(h, "start redis-server and cdrwarn-devbroker before the daemon");
    if (h->http_ports[n] == 0) {
        int port = free_port(h);
        if (port < 0)
            return -1;
        h->http_ports[n] = port;
    }
    char redis_port[16], listen[64];
    snprintf(redis_port, sizeof redis_port, "%d", h->redis_port);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", h->http_ports[n]);
    const struct {
        const char *section, *key, *value;
    } base[] = {
        {"kafka", "brokers", h->brokers},
        {"kafka", "group_id", CW_HARNESS_GROUP},
        {"kafka", "property.session.timeout.ms", "6000"},
        {"kafka", "property.heartbeat.interval.ms", "1000"},
        {"redis", "host", "127.0.0.1"},
        {"redis", "port", redis_port},
        {"numbers", "own_prefixes", CW_SOURCE_DIR "/config/own_prefixes.txt"},
        {"numbers", "rival_prefixes", CW_SOURCE_DIR "/config/rival_prefixes.txt"},
        {"numbers", "ported_numbers", CW_SOURCE_DIR "/config/ported.txt"},
        {"numbers", "rival_staff_numbers", CW_SOURCE_DIR "/config/rival_staff.txt"},
        {"http", "listen", listen},
    };
    static const char *const sections[] = {"kafka", "redis",   "time", "numbers",
                                           "rules", "actions", "http"};
    if (n == 0)
        snprintf(path, path_size, "%s/cdrwarn.conf", h->dir);
    else
        snprintf(path, path_size, "%s/cdrwarn-%d.conf", h->dir, n);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return set_error(h, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# written by the integration-test harness\n");
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        fprintf(f, "\n[%s]\n", sections[s]);
        for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
            if (strcmp(base[i].section, sections[s]) == 0 &&
                (conf_get(h, base[i].section, base[i].key) == NULL ||
                 (n > 0 && strcmp(base[i].key, "listen") == 0)))
                fprintf(f, "%s = %s\n", base[i].key, base[i].value);
        for (int i = 0; i < h->conf_count; i++)
            if (strcmp(h->conf[i].section, sections[s]) == 0 &&
                !(n > 0 && strcmp(h->conf[i].section, "http") == 0 &&
                  strcmp(h->conf[i].key, "listen") == 0))
                fprintf(f, "%s = %s\n", h->conf[i].key, h->conf[i].value);
    }
    if (fclose(f) != 0)
        return set_error(h, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

int cw_harness_config_write(cw_harness_t *h)
{
    return config_write_n(h, 0, h->config_path, sizeof h->config_path);
}

void cw_harness_daemon_program(cw_harness_t *h, const char *path)
{
    snprintf(h->program, sizeof h->program, "%s", path ? path : "");
}

const char *cw_harness_config_path(const cw_harness_t *h)
{
    return h->config_path;
}

bool cw_harness_valgrind(void)
{
    const char *value = getenv("CW_VALGRIND");
    return value != NULL && strcmp(value, "1") == 0;
}

int cw_harness_slowdown(void)
{
    return cw_harness_valgrind() ? 10 : 1;
}

const char *cw_harness_daemon_log_path_n(cw_harness_t *h, int n)
{
    if (!daemon_index_ok(h, n))
        return "";
    char path[sizeof h->log_paths[n]];
    if (n == 0)
        snprintf(path, sizeof path, "%s/daemon.log", h->dir);
    else
        snprintf(path, sizeof path, "%s/daemon-%d.log", h->dir, n);
    memcpy(h->log_paths[n], path, sizeof path);
    return h->log_paths[n];
}

int cw_harness_daemon_start_n(cw_harness_t *h, int n)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    if (daemon->pid > 0 && !proc_reap(daemon, false))
        return set_error(h, "cdrwarnd #%d is already running (pid %d)", n,
                         (int)daemon->pid);
    char config[300];
    if (n == 0) {
        if (cw_harness_config_write(h) != 0)
            return -1;
        snprintf(config, sizeof config, "%s", h->config_path);
    } else if (config_write_n(h, n, config, sizeof config) != 0) {
        return -1;
    }
    const char *log_path = cw_harness_daemon_log_path_n(h, n);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        return set_error(h, "cannot open %s: %s", log_path, strerror(errno));
    char marker[128];
    int len = snprintf(marker, sizeof marker, "==== harness: cdrwarnd start #%d ====\n",
                       ++h->daemon_starts);
    if (write(log, marker, (size_t)len) != len) {
        close(log);
        return set_error(h, "cannot write %s: %s", log_path, strerror(errno));
    }
    long log_start = (long)lseek(log, 0, SEEK_END);
    bool valgrind = cw_harness_valgrind();
    char program[300];
    char *argv[16];
    int argc = 0;
    if (valgrind) {
        if (find_program("valgrind", program, sizeof program) != 0) {
            close(log);
            return set_error(h, "CW_VALGRIND=1 but valgrind is not on PATH "
                                "(apt-get install valgrind)");
        }
        argv[argc++] = program;
        argv[argc++] = "--leak-check=full";
        argv[argc++] = "--errors-for-leak-kinds=definite";
        argv[argc++] = "--error-exitcode=99";
        argv[argc++] = "--num-callers=30";
    }
    argv[argc++] = h->program[0] ? h->program : CW_CDRWARND;
    argv[argc++] = "-c";
    argv[argc++] = config;
    argv[argc] = NULL;
    int rc = proc_spawn(h, daemon, n == 0 ? "cdrwarnd" : "cdrwarnd (another instance)",
                        argv, -1, log, log);
    close(log);
    if (rc == 0) {
        daemon->valgrind = valgrind;
        daemon->checked = true;
        daemon->log_start = log_start;
        snprintf(daemon->log, sizeof daemon->log, "%s", log_path);
        cw_harness_log(h, "cdrwarnd #%d start #%d (pid %d)%s", n, h->daemon_starts,
                       (int)daemon->pid, valgrind ? " under valgrind" : "");
    }
    return rc;
}

int cw_harness_daemon_start(cw_harness_t *h)
{
    return cw_harness_daemon_start_n(h, 0);
}

bool cw_harness_daemon_running_n(cw_harness_t *h, int n)
{
    return n >= 0 && n < CW_HARNESS_MAX_DAEMONS && !proc_reap(&h->daemons[n], false);
}

bool cw_harness_daemon_running(cw_harness_t *h)
{
    return cw_harness_daemon_running_n(h, 0);
}

int cw_harness_daemon_signal_n(cw_harness_t *h, int n, int sig)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    if (daemon->pid <= 0 || proc_reap(daemon, false))
        return -1;
    return kill(daemon->pid, sig);
}

int cw_harness_daemon_signal(cw_harness_t *h, int sig)
{
    return cw_harness_daemon_signal_n(h, 0, sig);
}

pid_t cw_harness_daemon_pid_n(const cw_harness_t *h, int n)
{
    return n >= 0 && n < CW_HARNESS_MAX_DAEMONS ? h->daemons[n].pid : 0;
}

pid_t cw_harness_redis_pid(const cw_harness_t *h)
{
    return h->redis.pid;
}

int cw_harness_daemon_wait_healthy_n(cw_harness_t *h, int n, int timeout_ms)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    int64_t deadline = mono_ms() + timeout_ms;
    int status = 0;
    char *body = NULL;
    while (mono_ms() < deadline) {
        if (proc_reap(daemon, false))
            return set_error(
                h, "cdrwarnd #%d exited with status %d before /healthz answered 200", n,
                exit_code(daemon->status));
        free(body);
        body = NULL;
        if (cw_harness_http_get_n(h, n, "/healthz", &status, &body) == 0 &&
            status == 200) {
            free(body);
            cw_harness_log(h, "cdrwarnd #%d healthy", n);
            return 0;
        }
        cw_harness_sleep_ms(100);
    }
    set_error(h, "cdrwarnd #%d: /healthz did not answer 200 within %d ms (last: %d %s)",
              n, timeout_ms, status, body ? body : "no answer");
    free(body);
    return -1;
}

int cw_harness_daemon_wait_healthy(cw_harness_t *h, int timeout_ms)
{
    return cw_harness_daemon_wait_healthy_n(h, 0, timeout_ms);
}

int cw_harness_daemon_stop_n(cw_harness_t *h, int n, int timeout_ms, int *status)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    if (daemon->pid <= 0)
        return set_error(h, "cdrwarnd #%d is not running", n);
    int64_t start = mono_ms();
    /* valgrind's leak check at exit takes its time */
    int rc = proc_stop(daemon, SIGTERM, daemon->valgrind ? timeout_ms * 3 : timeout_ms);
    int code = exit_code(daemon->status);
    if (status != NULL)
        *status = code;
    if (rc != 0)
        return set_error(h, "cdrwarnd #%d did not exit within %d ms of SIGTERM (killed)",
                         n, timeout_ms);
    cw_harness_log(h, "cdrwarnd #%d exited with status %d %.1f s after SIGTERM", n, code,
                   (double)(mono_ms() - start) / 1000.0);
    if (daemon->valgrind && code == VALGRIND_EXIT)
        return set_error(h, "cdrwarnd #%d: valgrind found errors (exit %d): see %s", n,
                         VALGRIND_EXIT, daemon->log);
    return 0;
}

int cw_harness_daemon_wait_exit_n(cw_harness_t *h, int n, int timeout_ms, int *status)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    if (daemon->pid <= 0 && status == NULL)
        return set_error(h, "cdrwarnd #%d is not running", n);
    int64_t start = mono_ms();
    int64_t deadline = start + (daemon->valgrind ? timeout_ms * 3 : timeout_ms);
    while (!proc_reap(daemon, false)) {
        if (mono_ms() >= deadline) {
            proc_stop(daemon, SIGKILL, 1000);
            return set_error(h, "cdrwarnd #%d did not exit within %d ms (killed)", n,
                             timeout_ms);
        }
        cw_harness_sleep_ms(20);
    }
    int code = exit_code(daemon->status);
    if (status != NULL)
        *status = code;
    cw_harness_log(h, "cdrwarnd #%d exited with status %d", n, code);
    if (daemon->valgrind && code == VALGRIND_EXIT)
        return set_error(h, "cdrwarnd #%d: valgrind found errors (exit %d): see %s", n,
                         VALGRIND_EXIT, daemon->log);
    return 0;
}

int cw_harness_daemon_stop(cw_harness_t *h, int timeout_ms, int *status)
{
    return cw_harness_daemon_stop_n(h, 0, timeout_ms, status);
}

int cw_harness_daemon_kill_n(cw_harness_t *h, int n)
{
    if (!daemon_index_ok(h, n))
        return -1;
    proc_t *daemon = &h->daemons[n];
    if (daemon->pid <= 0)
        return set_error(h, "cdrwarnd #%d is not running", n);
    kill(-daemon->pid, SIGKILL);
    kill(daemon->pid, SIGKILL);
    proc_reap(daemon, true);
    cw_harness_log(h, "cdrwarnd #%d killed (SIGKILL)", n);
    return 0;
}

int cw_harness_daemon_kill(cw_harness_t *h)
{
    return cw_harness_daemon_kill_n(h, 0);
}

bool cw_harness_daemon_log_contains_n(cw_harness_t *h, int n, const char *text)
{
    if (n < 0 || n >= CW_HARNESS_MAX_DAEMONS)
        return false;
    FILE *f = fopen(cw_harness_daemon_log_path_n(h, n), "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

bool cw_harness_daemon_log_contains(cw_harness_t *h, const char *text)
{
    return cw_harness_daemon_log_contains_n(h, 0, text);
}

int cw_harness_http_port_n(const cw_harness_t *h, int n)
{
    return n >= 0 && n < CW_HARNESS_MAX_DAEMONS ? h->http_ports[n] : 0;
}

int cw_harness_http_port(const cw_harness_t *h)
{
    return h->http_ports[0];
}

/* ---- cdrwarn-gen -------------------------------------------------------- */

int cw_harness_gen_start(cw_harness_t *h, const char *const *args)
{
    if (h->gen.pid > 0 && !proc_reap(&h->gen, false))
        return set_error(h, "cdrwarn-gen is already running (pid %d)", (int)h->gen.pid);
    if (h->brokers[0] == '\0')
        return set_error(h, "start cdrwarn-devbroker before cdrwarn-gen");
    char *argv[64];
    int argc = 0;
    argv[argc++] = CW_GEN;
    argv[argc++] = "--brokers";
    argv[argc++] = h->brokers;
    for (int i = 0; args != NULL && args[i] != NULL; i++) {
        if (argc == 63)
            return set_error(h, "cdrwarn-gen: too many arguments");
        argv[argc++] = (char *)args[i];
    }
    argv[argc] = NULL;
    int log = open_log(h, "gen.log");
    if (log < 0)
        return -1;
    int rc = proc_spawn(h, &h->gen, "cdrwarn-gen", argv, -1, log, log);
    close(log);
    if (rc == 0) {
        snprintf(h->gen.log, sizeof h->gen.log, "%s/gen.log", h->dir);
        cw_harness_log(h, "cdrwarn-gen started (pid %d)", (int)h->gen.pid);
    }
    return rc;
}

bool cw_harness_gen_running(cw_harness_t *h)
{
    return !proc_reap(&h->gen, false);
}

int cw_harness_gen_wait(cw_harness_t *h, int timeout_ms)
{
    int64_t start = mono_ms(), deadline = start + timeout_ms;
    while (!proc_reap(&h->gen, false)) {
        if (mono_ms() >= deadline) {
            proc_stop(&h->gen, SIGKILL, 1000);
            return set_error(h, "cdrwarn-gen did not finish within %d ms (killed)",
                             timeout_ms);
        }
        cw_harness_sleep_ms(20);
    }
    int code = exit_code(h->gen.status);
    if (code != 0)
        return set_error(h, "cdrwarn-gen exited with status %d (see %s/gen.log)", code,
                         h->dir);
    cw_harness_log(h, "cdrwarn-gen done in %.1f s", (double)(mono_ms() - start) / 1000.0);
    return 0;
}

int cw_harness_gen_run(cw_harness_t *h, const char *const *args, int timeout_ms)
{
    if (cw_harness_gen_start(h, args) != 0)
        return -1;
    return cw_harness_gen_wait(h, timeout_ms);
}

/* ---- Kafka: producing --------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    cw_harness_t *h = opaque;
    size_t index = (size_t)(uintptr_t)msg->_private;
    if (index == 0 || index > h->sent_count)
        return;
    cw_harness_sent_t *sent = &h->sent[index - 1];
    sent->err = msg->err;
    sent->partition = msg->partition;
    sent->offset = msg->err ? -1 : msg->offset;
}

static rd_kafka_t *producer(cw_harness_t *h)
{
    pid_t self = getpid();
    if (h->producer != NULL && h->producer_owner == self)
        return h->producer;
    h->producer = NULL; /* a forked parent's handle has no threads here */
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", h->brokers, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "message.max.bytes", "4194304", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "client.id", "cw-harness-producer", errstr,
                          sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        set_error(h, "producer config: %s", errstr);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, h);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        set_error(h, "producer: %s", errstr);
        return NULL;
    }
    h->producer = rk;
    h->producer_owner = self;
    return rk;
}

int cw_harness_send(cw_harness_t *h, const char *topic, const char *key,
                    const void *value, size_t len)
{
    rd_kafka_t *rk = producer(h);
    if (rk == NULL)
        return -1;
    if (h->sent_count == h->sent_cap) {
        size_t cap = h->sent_cap ? h->sent_cap * 2 : 256;
        cw_harness_sent_t *sent = realloc(h->sent, cap * sizeof *sent);
        if (sent == NULL)
            return set_error(h, "out of memory");
        h->sent = sent;
        h->sent_cap = cap;
    }
    cw_harness_sent_t *sent = &h->sent[h->sent_count];
    memset(sent, 0, sizeof *sent);
    snprintf(sent->topic, sizeof sent->topic, "%s", topic);
    sent->partition = -1;
    sent->offset = -1;
    sent->err = -1;
    h->sent_count++;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
            RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)h->sent_count), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 50);
            continue;
        }
        if (err) {
            h->sent_count--;
            return set_error(h, "produce to %s: %s", topic, rd_kafka_err2str(err));
        }
        break;
    }
    rd_kafka_poll(rk, 0);
    return (int)h->sent_count - 1;
}

int cw_harness_sendf(cw_harness_t *h, const char *topic, const char *key, const char *fmt,
                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *value = NULL;
    int len = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (len < 0)
        return set_error(h, "out of memory");
    int index = cw_harness_send(h, topic, key, value, (size_t)len);
    free(value);
    return index;
}

int cw_harness_send_event(cw_harness_t *h, const char *topic, const char *msisdn,
                          const char *type, int64_t ts_ms, const char *fields, ...)
{
    char *extra = NULL;
    va_list ap;
    va_start(ap, fields);
    int len = vasprintf(&extra, fields, ap);
    va_end(ap);
    if (len < 0)
        return set_error(h, "out of memory");
    int index = cw_harness_sendf(
        h, topic, msisdn,
        "{\"event_id\":\"h%d-%zu\",\"type\":\"%s\",\"msisdn\":\"%s\",\"ts\":%lld%s}",
        (int)getpid(), h->sent_count, type, msisdn, (long long)ts_ms, extra);
    free(extra);
    return index;
}

int cw_harness_flush(cw_harness_t *h, int timeout_ms)
{
    if (h->producer == NULL || h->producer_owner != getpid())
        return 0;
    rd_kafka_flush(h->producer, timeout_ms);
    int left = rd_kafka_outq_len(h->producer);
    if (left > 0)
        return set_error(h, "%d record(s) not acknowledged by the broker within %d ms",
                         left, timeout_ms);
    for (size_t i = 0; i < h->sent_count; i++)
        if (h->sent[i].err != 0)
            return set_error(h, "record #%zu to %s not delivered: %s", i,
                             h->sent[i].topic,
                             rd_kafka_err2str((rd_kafka_resp_err_t)h->sent[i].err));
    return 0;
}

const cw_harness_sent_t *cw_harness_sent(const cw_harness_t *h, int index)
{
    if (index < 0 || (size_t)index >= h->sent_count)
        return NULL;
    return &h->sent[index];
}

size_t cw_harness_sent_count(const cw_harness_t *h)
{
    return h->sent_count;
}

int32_t cw_harness_partition_of(const char *key, int partitions)
{
    return rd_kafka_msg_partitioner_consistent_random(NULL, key, strlen(key), partitions,
                                                      NULL, NULL);
}

/* ---- Kafka: reading ----------------------------------------------------- */

static rd_kafka_t *consumer_new(cw_harness_t *h, const char *group)
{
    char errstr[512], own_group[96];
    if (group == NULL) {
        /* assign() only, never joined: a name of its own commits nothing
         * anybody reads */
        snprintf(own_group, sizeof own_group, "cw-harness-reader-%d-%d", (int)getpid(),
                 ++h->reader_seq);
        group = own_group;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", h->brokers, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "client.id", "cw-harness-reader", errstr,
                          sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        set_error(h, "consumer config: %s", errstr);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        set_error(h, "consumer: %s", errstr);
        return NULL;
    }
    return rk;
}

static void consumer_free(rd_kafka_t *rk)
{
    /* never subscribed: nothing to leave or commit */
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

static int topic_partitions(cw_harness_t *h, rd_kafka_t *rk, const char *topic,
                            int64_t deadline)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int count = -1;
    while (count < 0 && mono_ms() < deadline) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && md->topics[0].err == 0 &&
                md->topics[0].partition_cnt > 0)
                count = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
        }
        if (count < 0)
            cw_harness_sleep_ms(100);
    }
    rd_kafka_topic_destroy(rkt);
    if (count < 0)
        set_error(h, "no metadata for topic %s", topic);
    return count;
}

static char *copy_bytes(const void *data, size_t len)
{
    char *out = malloc(len + 1);
    if (out != NULL) {
        if (len > 0)
            memcpy(out, data, len);
        out[len] = '\0';
    }
    return out;
}

static int msgs_add(cw_harness_msgs_t *msgs, const rd_kafka_message_t *m)
{
    if (msgs->count == msgs->cap) {
        size_t cap = msgs->cap ? msgs->cap * 2 : 64;
        cw_harness_msg_t *items = realloc(msgs->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        msgs->items = items;
        msgs->cap = cap;
    }
    cw_harness_msg_t *msg = &msgs->items[msgs->count++];
    memset(msg, 0, sizeof *msg);
    msg->partition = m->partition;
    msg->offset = m->offset;
    if (m->key != NULL) {
        msg->key = copy_bytes(m->key, m->key_len);
        msg->key_len = m->key_len;
    }
    if (m->payload != NULL) {
        msg->value = copy_bytes(m->payload, m->len);
        msg->value_len = m->len;
    }
    rd_kafka_headers_t *headers = NULL;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers) {
        size_t n = rd_kafka_header_cnt(headers);
        msg->headers = calloc(n ? n : 1, sizeof *msg->headers);
        for (size_t i = 0; msg->headers != NULL && i < n; i++) {
            const char *name;
            const void *value;
            size_t size;
            if (rd_kafka_header_get_all(headers, i, &name, &value, &size) != 0)
                break;
            msg->headers[i].name = copy_bytes(name, strlen(name));
            msg->headers[i].value = value ? copy_bytes(value, size) : NULL;
            msg->headers[i].len = size;
            msg->header_count++;
        }
    }
    return 0;
}

void cw_harness_msgs_free(cw_harness_msgs_t *msgs)
{
    for (size_t i = 0; i < msgs->count; i++) {
        cw_harness_msg_t *msg = &msgs->items[i];
        free(msg->key);
        free(msg->value);
        for (size_t j = 0; j < msg->header_count; j++) {
            free(msg->headers[j].name);
            free(msg->headers[j].value);
        }
        free(msg->headers);
    }
    free(msgs->items);
    memset(msgs, 0, sizeof *msgs);
}

const char *cw_harness_msg_header(const cw_harness_msg_t *msg, const char *name)
{
    for (size_t i = 0; i < msg->header_count; i++)
        if (strcmp(msg->headers[i].name, name) == 0)
            return msg->headers[i].value;
    return NULL;
}

bool cw_harness_dead_letter_value_is(const cw_harness_msg_t *msg, const void *value,
                                     size_t len)
{
    size_t kept = len > CW_RECORD_VALUE_KEPT ? CW_RECORD_VALUE_KEPT : len;
    if (msg->value_len != kept || (kept > 0 && memcmp(msg->value, value, kept) != 0))
        return false;
    if (kept == len)
        return cw_harness_msg_header(msg, "cdrwarn.value_bytes") == NULL;
    char bytes[24], digest[CW_SHA256_HEX_SIZE];
    snprintf(bytes, sizeof bytes, "%zu", len);
    cw_sha256_hex(value, len, digest);
    const char *got_bytes = cw_harness_msg_header(msg, "cdrwarn.value_bytes");
    const char *got_digest = cw_harness_msg_header(msg, "cdrwarn.value_sha256");
    return got_bytes != NULL && strcmp(got_bytes, bytes) == 0 && got_digest != NULL &&
           strcmp(got_digest, digest) == 0;
}

size_t cw_harness_dead_letter_headers(size_t value_len)
{
    return value_len > CW_RECORD_VALUE_KEPT ? 7 : 5;
}

/* One pass: everything up to the high watermarks of the moment. */
static int read_once(cw_harness_t *h, const char *topic, int64_t deadline,
                     cw_harness_msgs_t *out)
{
    rd_kafka_t *rk = consumer_new(h, NULL);
    if (rk == NULL)
        return -1;
    int rc = -1;
    int n = topic_partitions(h, rk, topic, deadline);
    int64_t *high = NULL, *next = NULL;
    rd_kafka_topic_partition_list_t *list = NULL;
    if (n <= 0)
        goto out;
    high = calloc((size_t)n, sizeof *high);
    next = calloc((size_t)n, sizeof *next);
    list = rd_kafka_topic_partition_list_new(n);
    if (high == NULL || next == NULL || list == NULL) {
        set_error(h, "out of memory");
        goto out;
    }
    int pending = 0;
    for (int p = 0; p < n; p++) {
        int64_t low;
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_query_watermark_offsets(
                    rk, topic, p, &low, &high[p], 2000)) != RD_KAFKA_RESP_ERR_NO_ERROR &&
               mono_ms() < deadline)
            cw_harness_sleep_ms(100);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            set_error(h, "%s [%d]: no watermarks: %s", topic, p, rd_kafka_err2str(err));
            goto out;
        }
        next[p] = low;
        if (high[p] > low)
            pending++;
        rd_kafka_topic_partition_list_add(list, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    if (rd_kafka_assign(rk, list) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        set_error(h, "%s: assign failed", topic);
        goto out;
    }
    while (pending > 0) {
        if (mono_ms() >= deadline) {
            set_error(
                h, "%s: not every record up to the high watermark could be read in time",
                topic);
            goto out;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition >= 0 &&
            m->partition < n && m->offset < high[m->partition]) {
            if (msgs_add(out, m) != 0) {
                rd_kafka_message_destroy(m);
                set_error(h, "out of memory");
                goto out;
            }
            if (m->offset + 1 >= high[m->partition] &&
                next[m->partition] < high[m->partition])
                pending--;
            next[m->partition] = m->offset + 1;
        }
        rd_kafka_message_destroy(m);
    }
    rc = 0;
out:
    if (list != NULL)
        rd_kafka_topic_partition_list_destroy(list);
    free(high);
    free(next);
    consumer_free(rk);
    return rc;
}

int cw_harness_read_topic(cw_harness_t *h, const char *topic, size_t min_count,
                          int timeout_ms, cw_harness_msgs_t *out)
{
    int64_t deadline = mono_ms() + timeout_ms;
    memset(out, 0, sizeof *out);
    for (;;) {
        cw_harness_msgs_free(out);
        if (read_once(h, topic, deadline, out) != 0)
            return -1;
        if (out->count >= min_count)
            return 0;
        if (mono_ms() >= deadline)
            return set_error(h, "%s: %zu record(s) after %d ms, expected at least %zu",
                             topic, out->count, timeout_ms, min_count);
        cw_harness_sleep_ms(200);
    }
}

int cw_harness_committed(cw_harness_t *h, const char *group, const char *topic,
                         int partitions, int64_t *offsets)
{
    rd_kafka_t *rk = consumer_new(h, group);
    if (rk == NULL)
        return -1;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, topic, p);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 10000);
    int rc = 0;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = set_error(h, "committed offsets of group %s on %s: %s", group, topic,
                       rd_kafka_err2str(err));
    } else {
        for (int i = 0; i < list->cnt; i++) {
            int64_t offset = list->elems[i].offset;
            offsets[list->elems[i].partition] = offset >= 0 ? offset : -1;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    consumer_free(rk);
    return rc;
}

/* ---- what the daemon stored --------------------------------------------- */

int cw_harness_meta(cw_harness_t *h, int32_t partition, cw_meta_t *meta, bool *found)
{
    char key[CW_KEY_SIZE];
    cw_key_meta(key, key_prefix(h), partition);
    cw_meta_reset(meta);
    redisReply *reply = redis_cmd(h, "HGETALL %s", key);
    if (reply == NULL)
        return -1;
    *found = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0;
    static const cw_meta_topics_t no_topics = {NULL, 0};
    int rc = 0;
    for (size_t i = 0; *found && i + 1 < reply->elements && rc == 0; i += 2) {
        const redisReply *field = reply->element[i], *value = reply->element[i + 1];
        char err[128];
        if (cw_meta_read_field(meta, &no_topics, field->str, field->len, value->str,
                               value->len, err, sizeof err) < 0)
            rc = set_error(h, "partition %d: %s", (int)partition, err);
    }
    freeReplyObject(reply);
    return rc;
}

int cw_harness_next_offset(cw_harness_t *h, int32_t partition, const char *topic,
                           int64_t *next)
{
    char key[CW_KEY_SIZE], field[CW_META_FIELD_SIZE];
    cw_key_meta(key, key_prefix(h), partition);
    cw_meta_offset_field(field, topic);
    redisReply *reply = redis_cmd(h, "HGET %s %s", key, field);
    if (reply == NULL)
        return -1;
    *next = reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : -1;
    freeReplyObject(reply);
    return 0;
}

int cw_harness_wait_committed_applied(cw_harness_t *h, const char *topic, int partitions,
                                      int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int64_t committed[partitions];
        if (cw_harness_committed(h, CW_HARNESS_GROUP, topic, partitions, committed) != 0)
            return -1;
        int differs = -1;
        int64_t applied = -1;
        for (int p = 0; p < partitions && differs < 0; p++) {
            if (cw_harness_next_offset(h, p, topic, &applied) != 0)
                return -1;
            if (committed[p] != applied)
                differs = p;
        }
        if (differs < 0)
            return 0;
        if (mono_ms() >= deadline)
            return set_error(h,
                             "%s [%d]: the group committed offset %lld, Redis applied up to "
                             "%lld (after %d ms): a restart would %s records",
                             topic, differs, (long long)committed[differs],
                             (long long)applied, timeout_ms,
                             committed[differs] < applied ? "replay" : "skip");
        cw_harness_sleep_ms(POLL_MS);
    }
}

int cw_harness_wait_applied(cw_harness_t *h, int timeout_ms)
{
    /* the newest offset sent per (input topic, partition) */
    static const char *const inputs[] = {CW_HARNESS_TOPIC_CDR, CW_HARNESS_TOPIC_BILLING,
                                         CW_HARNESS_TOPIC_CRM};
    const char *configured = conf_get(h, "kafka", "input_topics");
    if (configured != NULL && strcmp(configured, "cdr,billing,crm") != 0)
        return set_error(h, "wait_applied knows only the default input topics");
    int n = h->partitions;
    int64_t *want = calloc((size_t)(3 * n), sizeof *want);
    if (want == NULL)
        return set_error(h, "out of memory");
    for (int i = 0; i < 3 * n; i++)
        want[i] = -1;
    for (size_t i = 0; i < h->sent_count; i++) {
        const cw_harness_sent_t *s = &h->sent[i];
        for (int t = 0; t < 3; t++)
            if (strcmp(s->topic, inputs[t]) == 0 && s->partition >= 0 &&
                s->partition < n && s->offset + 1 > want[t * n + s->partition])
                want[t * n + s->partition] = s->offset + 1;
    }
    int64_t deadline = mono_ms() + timeout_ms;
    int rc = 0;
    for (int i = 0; i < 3 * n && rc == 0; i++) {
        if (want[i] < 0)
            continue;
        int64_t have = -1;
        for (;;) {
            if (cw_harness_next_offset(h, i % n, inputs[i / n], &have) == 0 &&
                have >= want[i])
                break;
            if (mono_ms() >= deadline) {
                rc = set_error(h,
                               "not applied within %d ms: %s [%d] next offset %s%lld, "
                               "expected %lld (daemon %s)",
                               timeout_ms, inputs[i / n], i % n, have >= 0 ? "" : "absent, ",
                               (long long)have, (long long)want[i],
                               cw_harness_daemon_running(h) ? "running" : "NOT running");
                break;
            }
            cw_harness_sleep_ms(POLL_MS);
        }
    }
    free(want);
    return rc;
}

int cw_harness_watermarks(cw_harness_t *h, const char *topic, int partitions,
                          int64_t *lows, int64_t *highs)
{
    rd_kafka_t *rk = consumer_new(h, NULL);
    if (rk == NULL)
        return -1;
    int64_t deadline = mono_ms() + 20000;
    int rc = 0;
    for (int p = 0; p < partitions && rc == 0; p++) {
        int64_t low = -1, high = -1;
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_query_watermark_offsets(
                    rk, topic, p, &low, &high, 2000)) != RD_KAFKA_RESP_ERR_NO_ERROR &&
               mono_ms() < deadline)
            cw_harness_sleep_ms(100);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = set_error(h, "%s [%d]: no watermarks: %s", topic, p,
                           rd_kafka_err2str(err));
        if (lows != NULL)
            lows[p] = low;
        if (highs != NULL)
            highs[p] = high;
    }
    consumer_free(rk);
    return rc;
}

int cw_harness_wait_caught_up(cw_harness_t *h, int timeout_ms)
{
    const char *configured = conf_get(h, "kafka", "input_topics");
    char topics[512];
    snprintf(topics, sizeof topics, "%s", configured ? configured : "cdr,billing,crm");
    int n = h->partitions;
    if (n <= 0)
        return set_error(h, "cdrwarn-devbroker is not started");
    int64_t *high = calloc((size_t)n, sizeof *high);
    if (high == NULL)
        return set_error(h, "out of memory");
    int64_t deadline = mono_ms() + timeout_ms;
    int rc = 0;
    char *save = NULL;
    for (char *topic = strtok_r(topics, ", ", &save); topic != NULL && rc == 0;
         topic = strtok_r(NULL, ", ", &save)) {
        if (cw_harness_watermarks(h, topic, n, NULL, high) != 0) {
            rc = -1;
            break;
        }
        for (int p = 0; p < n && rc == 0; p++) {
            if (high[p] <= 0)
                continue;
            int64_t have = -1;
            for (;;) {
                if (cw_harness_next_offset(h, p, topic, &have) == 0 && have >= high[p])
                    break;
                if (mono_ms() >= deadline) {
                    rc = set_error(
                        h,
                        "not caught up within %d ms: %s [%d] next offset %s%lld, "
                        "high watermark %lld (daemon %s)",
                        timeout_ms, topic, p, have >= 0 ? "" : "absent, ", (long long)have,
                        (long long)high[p],
                        cw_harness_daemon_running(h) ? "running" : "NOT running");
                    break;
                }
                cw_harness_sleep_ms(POLL_MS);
            }
        }
    }
    free(high);
    return rc;
}

/* KEYS is fine at the size of a test. */
static redisReply *keys_matching(cw_harness_t *h, const char *suffix)
{
    char pattern[CW_KEY_SIZE];
    cw_key_pattern(pattern, key_prefix(h), suffix);
    redisReply *reply = cw_harness_redis_keys(h, pattern);
    if (reply != NULL && reply->type != REDIS_REPLY_ARRAY) {
        set_error(h, "KEYS %s: unexpected reply type %d", pattern, reply->type);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

int cw_harness_wait_alerts_out(cw_harness_t *h, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        redisReply *reply = keys_matching(h, "outbox");
        if (reply == NULL)
            return -1;
        size_t left = 0;
        char first[128] = "";
        for (size_t i = 0; i < reply->elements; i++) {
            redisReply *len = redis_cmd(h, "HLEN %s", reply->element[i]->str);
            if (len != NULL && len->integer > 0) {
                left += (size_t)len->integer;
                if (first[0] == '\0')
                    snprintf(first, sizeof first, "%s", reply->element[i]->str);
            }
            if (len != NULL)
                freeReplyObject(len);
        }
        freeReplyObject(reply);
        if (left == 0)
            return 0;
        if (mono_ms() >= deadline)
            return set_error(h,
                             "%zu alert(s) still in the outbox (%s...) after %d ms: not "
                             "acknowledged by the alert topic (daemon %s)",
                             left, first, timeout_ms,
                             cw_harness_daemon_running(h) ? "running" : "NOT running");
        cw_harness_sleep_ms(POLL_MS);
    }
}

int cw_harness_wait_closed(cw_harness_t *h, int32_t week, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        redisReply *reply = keys_matching(h, "meta");
        if (reply == NULL)
            return -1;
        char lagging[160] = "";
        size_t with_stream = 0;
        for (size_t i = 0; i < reply->elements && lagging[0] == '\0'; i++) {
            const char *key = reply->element[i]->str;
            redisReply *fields = redis_cmd(h, "HMGET %s st cw sw", key);
            if (fields == NULL) {
                freeReplyObject(reply);
                return -1;
            }
            if (fields->type == REDIS_REPLY_ARRAY && fields->elements == 3 &&
                fields->element[0]->type == REDIS_REPLY_STRING) {
                with_stream++;
                bool closed = fields->element[1]->type == REDIS_REPLY_STRING &&
                              strtoll(fields->element[1]->str, NULL, 10) >= week;
                bool sweeping = fields->element[2]->type == REDIS_REPLY_STRING;
                if (!closed || sweeping)
                    snprintf(lagging, sizeof lagging, "%s: cw %s%s", key,
                             fields->element[1]->type == REDIS_REPLY_STRING
                                 ? fields->element[1]->str
                                 : "absent",
                             sweeping ? ", sweep under way" : "");
            }
            freeReplyObject(fields);
        }
        freeReplyObject(reply);
        if (with_stream > 0 && lagging[0] == '\0')
            return 0;
        if (mono_ms() >= deadline)
            return set_error(h, "week %d not closed within %d ms: %s (daemon %s)",
                             (int)week, timeout_ms,
                             with_stream ? lagging : "no partition has a stream time",
                             cw_harness_daemon_running(h) ? "running" : "NOT running");
        cw_harness_sleep_ms(POLL_MS);
    }
}

int cw_harness_sub_state(cw_harness_t *h, const char *msisdn, cw_sub_t *sub, bool *found)
{
    cw_sub_init(sub);
    *found = false;
    char suffix[64];
    snprintf(suffix, sizeof suffix, "s:%s", msisdn);
    redisReply *keys = keys_matching(h, suffix);
    if (keys == NULL)
        return -1;
    if (keys->elements > 1) {
        set_error(h, "subscriber %s has %zu states (one per partition expected)", msisdn,
                  keys->elements);
        freeReplyObject(keys);
        return -1;
    }
    if (keys->elements == 0) {
        freeReplyObject(keys);
        return 0;
    }
    redisReply *value = redis_cmd(h, "GET %s", keys->element[0]->str);
    freeReplyObject(keys);
    if (value == NULL)
        return -1;
    int rc = 0;
    if (value->type == REDIS_REPLY_STRING) {
        if (cw_sub_decode(sub, (const uint8_t *)value->str, value->len) != 0)
            rc = set_error(h, "the state of %s does not decode", msisdn);
        else
            *found = true;
    }
    freeReplyObject(value);
    return rc;
}

/* ---- HTTP --------------------------------------------------------------- */

int cw_harness_http_get(cw_harness_t *h, const char *path, int *status, char **body)
{
    return cw_harness_http_get_n(h, 0, path, status, body);
}

int cw_harness_http_get_n(cw_harness_t *h, int n, const char *path, int *status,
                          char **body)
{
    if (body != NULL)
        *body = NULL;
    *status = 0;
    if (!daemon_index_ok(h, n))
        return -1;
    int http_port = h->http_ports[n];
    if (http_port == 0)
        return set_error(h, "cdrwarnd #%d has no http port yet", n);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return set_error(h, "socket: %s", strerror(errno));
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)http_port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int64_t deadline = mono_ms() + 5000;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        set_error(h, "GET %s: connect: %s", path, strerror(errno));
        goto out;
    }
    struct pollfd pfd = {fd, POLLOUT, 0};
    if (poll(&pfd, 1, 5000) != 1) {
        set_error(h, "GET %s: connect timed out", path);
        goto out;
    }
    int soerr = 0;
    socklen_t soerr_len = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len);
    if (soerr != 0) {
        set_error(h, "GET %s: connect: %s", path, strerror(soerr));
        goto out;
    }
    char request[512];
    int request_len =
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                 path, http_port);
    if (send(fd, request, (size_t)request_len, MSG_NOSIGNAL) != request_len) {
        set_error(h, "GET %s: send: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            set_error(h, "GET %s: no complete answer within 5 s", path);
            goto out;
        }
        pfd = (struct pollfd){fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *grown = realloc(buf, cap);
            if (grown == NULL) {
                set_error(h, "out of memory");
                goto out;
            }
            buf = grown;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            set_error(h, "GET %s: recv: %s", path, strerror(errno));
            goto out;
        }
        len += (size_t)r;
    }
    if (buf == NULL || len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) {
        set_error(h, "GET %s: not an HTTP answer", path);
        goto out;
    }
    buf[len] = '\0';
    *status = atoi(buf + 9);
    char *start = strstr(buf, "\r\n\r\n");
    if (body != NULL)
        *body = strdup(start ? start + 4 : "");
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

int cw_harness_metric(cw_harness_t *h, const char *series, double *value)
{
    return cw_harness_metric_n(h, 0, series, value);
}

int cw_harness_metric_n(cw_harness_t *h, int n, const char *series, double *value)
{
    int status;
    char *body;
    if (cw_harness_http_get_n(h, n, "/metrics", &status, &body) != 0)
        return -1;
    if (status != 200) {
        free(body);
        return set_error(h, "GET /metrics answered %d", status);
    }
    size_t len = strlen(series);
    int rc = set_error(h, "/metrics has no sample %s", series);
    for (const char *line = body; line != NULL && *line;) {
        if (strncmp(line, series, len) == 0 && line[len] == ' ') {
            *value = strtod(line + len + 1, NULL);
            rc = 0;
            break;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    free(body);
    return rc;
}
