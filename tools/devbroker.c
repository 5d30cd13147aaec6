/* cdrwarn-devbroker: a one-broker Kafka for development, demos and tests.
 * librdkafka's mock cluster speaks the protocol; this file gives it a fixed
 * bootstrap port (the mock picks a random one), a stdin command channel for
 * fault injection, and a clean stop on SIGTERM/SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "alloc.h"

#define CW_DEVBROKER_ID 1
/* A slow reader must not make the proxy buffer without bound: stop reading
 * from one side while the other side's output holds this much. */
#define CW_PROXY_HIGH_WATER (4 * 1024 * 1024)
#define CW_MAX_TOPICS 64
#define CW_MAX_PARTITIONS 100000

typedef struct {
    char *name;
    int partitions;
} cw_devbroker_topic_t;

typedef struct {
    int port;
    int topic_cnt;
    cw_devbroker_topic_t topics[CW_MAX_TOPICS];
} cw_devbroker_opts_t;

typedef struct cw_proxy_conn cw_proxy_conn_t;

typedef struct {
    struct event_base *base;
    rd_kafka_t *rk;                    /* owns nothing but the mock's bookkeeping */
    rd_kafka_mock_cluster_t *mcluster; /* owned, destroyed before rk */
    struct sockaddr_storage upstream;  /* the mock broker's own listener */
    int upstream_len;
    struct evconnlistener *listener;
    struct event *stdin_ev;
    struct evbuffer *stdin_buf;
    cw_proxy_conn_t *conns; /* open proxied connections, freed at shutdown */
} cw_devbroker_t;

/* One proxied TCP connection: bytes from `client` go to `upstream` and back.
 * Freed when both sides are done. */
struct cw_proxy_conn {
    cw_devbroker_t *db;
    cw_proxy_conn_t *prev, *next;
    struct bufferevent *client;
    struct bufferevent *upstream;
};

/* Kafka protocol API keys accepted by the "error" and "pending" commands. */
static const struct {
    const char *name;
    int16_t key;
} cw_api_keys[] = {
    {"produce", 0},          {"fetch", 1},        {"listoffsets", 2},
    {"metadata", 3},         {"offsetcommit", 8}, {"offsetfetch", 9},
    {"findcoordinator", 10}, {"joingroup", 11},   {"heartbeat", 12},
    {"leavegroup", 13},      {"syncgroup", 14},   {"apiversions", 18},
    {"initproducerid", 22},
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: cdrwarn-devbroker --port P --topic NAME:PARTITIONS [--topic ...]\n"
        "       cdrwarn-devbroker -h | --help\n"
        "\n"
        "Runs librdkafka's mock Kafka cluster (one broker) for development and\n"
        "tests. Listens on 127.0.0.1:P (0 = any free port), creates the topics,\n"
        "prints the bootstrap address \"127.0.0.1:P\" on stdout once ready and\n"
        "runs until SIGTERM or SIGINT.\n"
        "\n"
        "Fault injection: one command per line on stdin, each answered with one\n"
        "line on stdout, \"ok\" (\"ok N\" for pending) or \"error: ...\":\n"
        "  down | up                      take broker 1 down / bring it back\n"
        "  rtt MS                         delay every broker response by MS ms\n"
        "  error API ERRCODE COUNT        fail the next COUNT requests of API\n"
        "                                 (produce, fetch, offsetcommit, offsetfetch,\n"
        "                                 joingroup, heartbeat, syncgroup, metadata,\n"
        "                                 findcoordinator, leavegroup, listoffsets,\n"
        "                                 apiversions, initproducerid) with ERRCODE,\n"
        "                                 a librdkafka error name (REQUEST_TIMED_OUT)\n"
        "                                 or number; the errors wait on broker 1's\n"
        "                                 stack until requests take them (librdkafka\n"
        "                                 2.0.2 cannot drop them)\n"
        "  pending API                    \"ok N\": N of the injected API errors\n"
        "                                 have not been hit by a request yet\n"
        "End of stdin only ends the commands; the broker keeps running.\n"
        "\n"
        "The mock keeps at most 5 MiB or 100000 message batches per partition;\n"
        "older data is dropped (the log start offset moves forward).\n");
}

static int parse_int(const char *text, long min, long max, long *value)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

static int parse_topic(const char *arg, cw_devbroker_topic_t *topic, char *errbuf,
                       size_t errbuf_size)
{
    const char *colon = strrchr(arg, ':');
    long partitions;
    if (colon == NULL || colon == arg) {
        snprintf(errbuf, errbuf_size, "--topic: expected NAME:PARTITIONS, found '%s'",
                 arg);
        return -1;
    }
    if (parse_int(colon + 1, 1, CW_MAX_PARTITIONS, &partitions) != 0) {
        snprintf(errbuf, errbuf_size,
                 "--topic %s: partitions must be a number 1..%d, found '%s'", arg,
                 CW_MAX_PARTITIONS, colon + 1);
        return -1;
    }
    topic->name = cw_strndup(arg, (size_t)(colon - arg));
    if (topic->name == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    topic->partitions = (int)partitions;
    return 0;
}

/* Returns 0 to run, 1 when --help was shown, -1 on a usage error. */
static int parse_args(int argc, char **argv, cw_devbroker_opts_t *opts, char *errbuf,
                      size_t errbuf_size)
{
    bool have_port = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (i + 1 >= argc) {
            snprintf(errbuf, errbuf_size, "%s: unknown option or missing value", arg);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--port") == 0) {
            long port;
            if (parse_int(value, 0, 65535, &port) != 0) {
                snprintf(errbuf, errbuf_size,
                         "--port: expected a number 0..65535, found '%s'", value);
                return -1;
            }
            opts->port = (int)port;
            have_port = true;
        } else if (strcmp(arg, "--topic") == 0) {
            if (opts->topic_cnt == CW_MAX_TOPICS) {
                snprintf(errbuf, errbuf_size, "--topic: at most %d topics",
                         CW_MAX_TOPICS);
                return -1;
            }
            if (parse_topic(value, &opts->topics[opts->topic_cnt], errbuf, errbuf_size))
                return -1;
            opts->topic_cnt++;
        } else {
            snprintf(errbuf, errbuf_size, "unknown option '%s'", arg);
            return -1;
        }
    }
    if (!have_port) {
        snprintf(errbuf, errbuf_size, "--port is required");
        return -1;
    }
    return 0;
}

/* ---- the TCP proxy from the fixed port to the mock broker ---- */

static void proxy_conn_free(cw_proxy_conn_t *conn)
{
    if (conn->prev != NULL)
        conn->prev->next = conn->next;
    else
        conn->db->conns = conn->next;
    if (conn->next != NULL)
        conn->next->prev = conn->prev;
    if (conn->client != NULL)
        bufferevent_free(conn->client);
    if (conn->upstream != NULL)
        bufferevent_free(conn->upstream);
    cw_free(conn);
}

static struct bufferevent *proxy_peer(cw_proxy_conn_t *conn, struct bufferevent *bev)
{
    return bev == conn->client ? conn->upstream : conn->client;
}

static void proxy_read_cb(struct bufferevent *bev, void *arg);
static void proxy_event_cb(struct bufferevent *bev, short what, void *arg);

/* The peer drained its backlog: resume reading the side that was paused. */
static void proxy_drained_cb(struct bufferevent *bev, void *arg)
{
    cw_proxy_conn_t *conn = arg;
    struct bufferevent *peer = proxy_peer(conn, bev);
    bufferevent_setcb(bev, proxy_read_cb, NULL, proxy_event_cb, conn);
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    if (peer != NULL)
        bufferevent_enable(peer, EV_READ);
}

/* One side has closed; the other is being flushed before the pair goes. */
static void proxy_close_on_drain_cb(struct bufferevent *bev, void *arg)
{
    cw_proxy_conn_t *conn = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        proxy_conn_free(conn);
}

static void proxy_read_cb(struct bufferevent *bev, void *arg)
{
    cw_proxy_conn_t *conn = arg;
    struct bufferevent *peer = proxy_peer(conn, bev);
    if (peer == NULL) {
        evbuffer_drain(bufferevent_get_input(bev), SIZE_MAX);
        return;
    }
    struct evbuffer *out = bufferevent_get_output(peer);
    evbuffer_add_buffer(out, bufferevent_get_input(bev));
    if (evbuffer_get_length(out) >= CW_PROXY_HIGH_WATER) {
        bufferevent_disable(bev, EV_READ);
        bufferevent_setwatermark(peer, EV_WRITE, CW_PROXY_HIGH_WATER / 2, 0);
        bufferevent_setcb(peer, proxy_read_cb, proxy_drained_cb, proxy_event_cb, conn);
    }
}

static void proxy_event_cb(struct bufferevent *bev, short what, void *arg)
{
    cw_proxy_conn_t *conn = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;

    struct bufferevent *peer = proxy_peer(conn, bev);
    /* whatever this side still sent must reach the other side first */
    if (peer != NULL && (what & BEV_EVENT_EOF))
        proxy_read_cb(bev, conn);
    if (bev == conn->client)
        conn->client = NULL;
    else
        conn->upstream = NULL;
    bufferevent_free(bev);

    if (peer == NULL) {
        proxy_conn_free(conn);
    } else if (evbuffer_get_length(bufferevent_get_output(peer)) > 0) {
        bufferevent_disable(peer, EV_READ);
        bufferevent_setwatermark(peer, EV_WRITE, 0, 0);
        bufferevent_setcb(peer, NULL, proxy_close_on_drain_cb, proxy_event_cb, conn);
        bufferevent_enable(peer, EV_WRITE);
    } else {
        proxy_conn_free(conn);
    }
}

static void proxy_accept_cb(struct evconnlistener *listener, evutil_socket_t fd,
                            struct sockaddr *addr, int addrlen, void *arg)
{
    cw_devbroker_t *db = arg;
    cw_proxy_conn_t *conn = cw_calloc(1, sizeof(*conn));
    if (conn == NULL) {
        evutil_closesocket(fd);
        return;
    }
    conn->db = db;
    conn->next = db->conns;
    if (db->conns != NULL)
        db->conns->prev = conn;
    db->conns = conn;
    conn->client = bufferevent_socket_new(db->base, fd, BEV_OPT_CLOSE_ON_FREE);
    conn->upstream = bufferevent_socket_new(db->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (conn->client == NULL || conn->upstream == NULL) {
        if (conn->client == NULL)
            evutil_closesocket(fd);
        proxy_conn_free(conn);
        return;
    }
    bufferevent_setcb(conn->client, proxy_read_cb, NULL, proxy_event_cb, conn);
    bufferevent_setcb(conn->upstream, proxy_read_cb, NULL, proxy_event_cb, conn);
    /* Bytes the client sends before the upstream connect completes wait in
     * the upstream's output buffer. */
    if (bufferevent_socket_connect(conn->upstream, (struct sockaddr *)&db->upstream,
                                   db->upstream_len) != 0) {
        proxy_conn_free(conn);
        return;
    }
    bufferevent_enable(conn->client, EV_READ | EV_WRITE);
    bufferevent_enable(conn->upstream, EV_READ | EV_WRITE);
}

static void proxy_listen_error_cb(struct evconnlistener *listener, void *arg)
{
    /* EMFILE and friends: keep serving the connections we have */
    fprintf(stderr, "cdrwarn-devbroker: accept: %s\n",
            evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* ---- fault-injection commands on stdin ---- */

static int parse_api_key(const char *name, int16_t *key)
{
    for (size_t i = 0; i < sizeof(cw_api_keys) / sizeof(cw_api_keys[0]); i++)
        if (strcasecmp(name, cw_api_keys[i].name) == 0) {
            *key = cw_api_keys[i].key;
            return 0;
        }
    return -1;
}

/* An error name as librdkafka spells it without its prefix
 * ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT"), with the prefix, or a number. */
static int parse_err_code(const char *text, rd_kafka_resp_err_t *err)
{
    long number;
    if (parse_int(text, -200, 200, &number) == 0) {
        *err = (rd_kafka_resp_err_t)number;
        return 0;
    }
    static const char prefix[] = "RD_KAFKA_RESP_ERR_";
    if (strncasecmp(text, prefix, sizeof(prefix) - 1) == 0)
        text += sizeof(prefix) - 1;

    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++)
        if (descs[i].name != NULL && strcasecmp(descs[i].name, text) == 0) {
            *err = descs[i].code;
            return 0;
        }
    return -1;
}

static void cmd_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void cmd_reply(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void cmd_error(cw_devbroker_t *db, char **argv, int argc)
{
    int16_t key;
    rd_kafka_resp_err_t err;
    long count;
    if (argc != 4) {
        cmd_reply("error: usage: error API ERRCODE COUNT");
        return;
    }
    if (parse_api_key(argv[1], &key) != 0) {
        cmd_reply("error: unknown API '%s'", argv[1]);
        return;
    }
    if (parse_err_code(argv[2], &err) != 0) {
        cmd_reply("error: unknown error code '%s'", argv[2]);
        return;
    }
    if (parse_int(argv[3], 1, 1000000, &count) != 0) {
        cmd_reply("error: COUNT must be 1..1000000, found '%s'", argv[3]);
        return;
    }
    /* On the broker's own stack, not the cluster's: only the broker's can be
     * counted (rd_kafka_mock_broker_error_stack_cnt), which is what "pending"
     * answers. One tuple a call: the error/RTT list is variadic. */
    for (long i = 0; i < count; i++) {
        rd_kafka_resp_err_t push_err = rd_kafka_mock_broker_push_request_error_rtts(
            db->mcluster, CW_DEVBROKER_ID, key, 1, err, 0);
        if (push_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            cmd_reply("error: %s (%ld of %ld errors pushed)", rd_kafka_err2str(push_err),
                      i, count);
            return;
        }
    }
    cmd_reply("ok");
}

/* The errors injected for `key` that no request has taken yet. */
static rd_kafka_resp_err_t pending_count(cw_devbroker_t *db, int16_t key, size_t *cnt)
{
    /* left untouched when nothing was ever pushed for this key */
    *cnt = 0;
    return rd_kafka_mock_broker_error_stack_cnt(db->mcluster, CW_DEVBROKER_ID, key, cnt);
}

static void cmd_pending(cw_devbroker_t *db, char **argv, int argc)
{
    int16_t key;
    size_t cnt;
    if (argc != 2) {
        cmd_reply("error: usage: pending API");
        return;
    }
    if (parse_api_key(argv[1], &key) != 0) {
        cmd_reply("error: unknown API '%s'", argv[1]);
        return;
    }
    rd_kafka_resp_err_t err = pending_count(db, key, &cnt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cmd_reply("error: %s", rd_kafka_err2str(err));
        return;
    }
    cmd_reply("ok %zu", cnt);
}

static void cmd_run(cw_devbroker_t *db, char *line)
{
    char *argv[8];
    int argc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok != NULL && argc < 8;
         tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;
    if (argc == 0)
        return; /* blank lines get no answer: nothing was asked */

    rd_kafka_resp_err_t err;
    if (strcasecmp(argv[0], "down") == 0 && argc == 1) {
        err = rd_kafka_mock_broker_set_down(db->mcluster, CW_DEVBROKER_ID);
    } else if (strcasecmp(argv[0], "up") == 0 && argc == 1) {
        err = rd_kafka_mock_broker_set_up(db->mcluster, CW_DEVBROKER_ID);
    } else if (strcasecmp(argv[0], "rtt") == 0 && argc == 2) {
        long ms;
        if (parse_int(argv[1], 0, 3600000, &ms) != 0) {
            cmd_reply("error: rtt: expected milliseconds 0..3600000, found '%s'",
                      argv[1]);
            return;
        }
        err = rd_kafka_mock_broker_set_rtt(db->mcluster, CW_DEVBROKER_ID, (int)ms);
    } else if (strcasecmp(argv[0], "error") == 0) {
        cmd_error(db, argv, argc);
        return;
    } else if (strcasecmp(argv[0], "pending") == 0) {
        cmd_pending(db, argv, argc);
        return;
    } else {
        cmd_reply("error: unknown command '%s' (down, up, rtt MS, "
                  "error API ERRCODE COUNT, pending API)",
                  argv[0]);
        return;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        cmd_reply("error: %s", rd_kafka_err2str(err));
    else
        cmd_reply("ok");
}

static void cmd_run_lines(cw_devbroker_t *db, bool at_eof)
{
    char *line;
    size_t len;
    while ((line = evbuffer_readln(db->stdin_buf, &len, EVBUFFER_EOL_LF)) != NULL) {
        cmd_run(db, line);
        free(line); /* evbuffer_readln allocates with libevent's allocator */
    }
    if (at_eof && evbuffer_get_length(db->stdin_buf) > 0) {
        /* a last command without its newline still counts */
        evbuffer_add(db->stdin_buf, "\n", 1);
        cmd_run_lines(db, false);
    }
}

static void stdin_cb(evutil_socket_t fd, short what, void *arg)
{
    cw_devbroker_t *db = arg;
    int n = evbuffer_read(db->stdin_buf, fd, 4096);
    if (n > 0) {
        cmd_run_lines(db, false);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    cmd_run_lines(db, true);
    event_del(db->stdin_ev);
}

/* epoll cannot watch regular files or /dev/null; such a stdin never blocks,
 * so it is read to its end right away. */
static int stdin_setup(cw_devbroker_t *db)
{
    struct stat st;
    db->stdin_buf = evbuffer_new();
    if (db->stdin_buf == NULL)
        return -1;
    if (fstat(STDIN_FILENO, &st) != 0)
        return 0; /* no stdin at all: no commands */
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO)) {
        /* Left blocking: the descriptor may be shared with the parent (a
         * terminal, a test's pipe), and one read after readiness never
         * blocks. */
        db->stdin_ev =
            event_new(db->base, STDIN_FILENO, EV_READ | EV_PERSIST, stdin_cb, db);
        if (db->stdin_ev == NULL || event_add(db->stdin_ev, NULL) != 0)
            return -1;
        return 0;
    }
    int n;
    while ((n = evbuffer_read(db->stdin_buf, STDIN_FILENO, 65536)) > 0)
        cmd_run_lines(db, false);
    cmd_run_lines(db, true);
    return 0;
}

/* ---- setup and main ---- */

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static int mock_start(cw_devbroker_t *db, const cw_devbroker_opts_t *opts, char *errbuf,
                      size_t errbuf_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only hosts the mock; quiet its "no bootstrap.servers"
     * warning, real errors still show. */
    if (rd_kafka_conf_set(conf, "log_level", "3", errbuf, errbuf_size) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    db->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errbuf_size);
    if (db->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    conf = NULL; /* owned by rk now */

    db->mcluster = rd_kafka_mock_cluster_new(db->rk, 1);
    if (db->mcluster == NULL) {
        snprintf(errbuf, errbuf_size, "rd_kafka_mock_cluster_new failed");
        return -1;
    }
    for (int i = 0; i < opts->topic_cnt; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
            db->mcluster, opts->topics[i].name, opts->topics[i].partitions, 1);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errbuf, errbuf_size, "creating topic %s: %s", opts->topics[i].name,
                     rd_kafka_err2str(err));
            return -1;
        }
    }

    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(db->mcluster);
    db->upstream_len = (int)sizeof(db->upstream);
    if (bootstraps == NULL ||
        evutil_parse_sockaddr_port(bootstraps, (struct sockaddr *)&db->upstream,
                                   &db->upstream_len) != 0) {
        snprintf(errbuf, errbuf_size, "cannot parse the mock broker address '%s'",
                 bootstraps ? bootstraps : "(null)");
        return -1;
    }
    return 0;
}

static int listen_start(cw_devbroker_t *db, int port, int *bound_port, char *errbuf,
                        size_t errbuf_size)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((uint16_t)port);
    db->listener = evconnlistener_new_bind(
        db->base, proxy_accept_cb, db,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
        (struct sockaddr *)&sin, (int)sizeof(sin));
    if (db->listener == NULL) {
        snprintf(errbuf, errbuf_size, "cannot listen on 127.0.0.1:%d: %s", port,
                 strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(db->listener, proxy_listen_error_cb);

    struct sockaddr_in bound;
    socklen_t len = sizeof(bound);
    if (getsockname(evconnlistener_get_fd(db->listener), (struct sockaddr *)&bound,
                    &len) != 0) {
        snprintf(errbuf, errbuf_size, "getsockname: %s", strerror(errno));
        return -1;
    }
    *bound_port = ntohs(bound.sin_port);
    return 0;
}

static void devbroker_finalise(cw_devbroker_t *db)
{
    if (db->stdin_ev != NULL)
        event_free(db->stdin_ev);
    if (db->stdin_buf != NULL)
        evbuffer_free(db->stdin_buf);
    if (db->listener != NULL)
        evconnlistener_free(db->listener);
    /* clients of connections still open see a disconnect, as from a
     * stopping broker */
    while (db->conns != NULL)
        proxy_conn_free(db->conns);
    if (db->mcluster != NULL)
        rd_kafka_mock_cluster_destroy(db->mcluster);
    if (db->rk != NULL)
        rd_kafka_destroy(db->rk);
    if (db->base != NULL)
        event_base_free(db->base);
}

int main(int argc, char **argv)
{
    cw_devbroker_opts_t opts;
    cw_devbroker_t db;
    char errbuf[512];
    int rc = 1;
    struct event *sig_term = NULL, *sig_int = NULL;

    memset(&opts, 0, sizeof(opts));
    memset(&db, 0, sizeof(db));
    errbuf[0] = '\0';

    int parsed = parse_args(argc, argv, &opts, errbuf, sizeof(errbuf));
    if (parsed == 1) {
        usage(stdout);
        return 0;
    }
    if (parsed < 0) {
        fprintf(stderr, "cdrwarn-devbroker: %s (see --help)\n", errbuf);
        rc = 2;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);

    db.base = event_base_new();
    if (db.base == NULL) {
        fprintf(stderr, "cdrwarn-devbroker: event_base_new failed\n");
        goto out;
    }
    sig_term = evsignal_new(db.base, SIGTERM, signal_cb, db.base);
    sig_int = evsignal_new(db.base, SIGINT, signal_cb, db.base);
    if (sig_term == NULL || sig_int == NULL || event_add(sig_term, NULL) != 0 ||
        event_add(sig_int, NULL) != 0) {
        fprintf(stderr, "cdrwarn-devbroker: cannot install signal handlers\n");
        goto out;
    }

    int bound_port;
    if (listen_start(&db, opts.port, &bound_port, errbuf, sizeof(errbuf)) != 0 ||
        mock_start(&db, &opts, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "cdrwarn-devbroker: %s\n", errbuf);
        goto out;
    }

    /* The one line a test waits for: everything is ready to serve now. */
    printf("127.0.0.1:%d\n", bound_port);
    fflush(stdout);

    if (stdin_setup(&db) != 0) {
        fprintf(stderr, "cdrwarn-devbroker: cannot read commands from stdin\n");
        goto out;
    }

    if (event_base_dispatch(db.base) < 0) {
        fprintf(stderr, "cdrwarn-devbroker: event loop failed\n");
        goto out;
    }
    rc = 0;

out:
    if (sig_term != NULL)
        event_free(sig_term);
    if (sig_int != NULL)
        event_free(sig_int);
    devbroker_finalise(&db);
    for (int i = 0; i < opts.topic_cnt; i++)
        cw_free(opts.topics[i].name);
    return rc;
}
