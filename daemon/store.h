/* The Redis connection: hiredis async on the event loop, with what hiredis
 * 0.14 lacks added here: reconnect with backoff, a timeout on every command
 * (a command unanswered for `timeout_ms` drops the connection), AUTH, and the
 * commit script loaded at every connect (EVALSHA, or EVAL where SCRIPT LOAD
 * is not available: twemproxy closes the connection on it, after which the
 * store sends neither SCRIPT nor INFO there).
 *
 * With `cluster` the node given is one node of a Redis Cluster: the store
 * learns the slot map from it (CLUSTER SLOTS, cluster.c), keeps one
 * connection per master (each authenticated and with the script loaded),
 * and sends each command to the master serving its key's slot: argv[1] for
 * a plain command, the first key for the script. Every key of a partition
 * shares one hash tag, so a step's commands all go to one node. What the
 * cluster answers while it changes reaches the caller as the error it is:
 * MOVED (the slot moved: a definite "not run"; the map is refreshed and the
 * caller's step fails and is redone from Redis's offsets), TRYAGAIN and
 * CLUSTERDOWN (the map is refreshed too). ASK is followed once, with
 * ASKING, on the migration's target. Replies of one slot's commands reach
 * their callbacks in the order the commands were sent, whichever node
 * answered. A lost node, a failover or a reshard leads to a refresh; the
 * map is also read again every 10 s (every second while a master is
 * unreachable), so a promoted replica is found by itself.
 *
 * With `wait_replicas` > 0 every commit script that ran is followed by WAIT
 * on the same connection, and its reply reaches the caller only once that
 * many replicas acknowledged it; a shortfall comes back as a NOREPLICAS
 * error instead of the script's answer (the commit ran on the master, but
 * the caller treats it as failed and reloads). */
#ifndef CW_STORE_H
#define CW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "metrics.h"

struct event_base;
typedef struct cw_store cw_store_t;

typedef struct cw_store_options {
    const char *host;
    int port;
    const char *user;        /* NULL: plain AUTH password, or no AUTH */
    const char *password;    /* NULL: no AUTH */
    int64_t timeout_ms;
    const char *script;      /* the Lua commit script */
    bool cluster;            /* host:port is one node of a Redis Cluster */
    int64_t wait_replicas;   /* replicas each commit waits for (WAIT); 0: none */
} cw_store_options_t;

/* A reply: borrowed for the callback's duration only. NULL when the command's
 * fate is unknown (connection lost or timed out: it may or may not have run). */
typedef void (*cw_store_reply_fn)(redisReply *reply, void *arg);
/* Called when the connection becomes ready (true) or is lost (false); on a
 * cluster, ready means the slot map is known and every master answers. */
typedef void (*cw_store_state_fn)(bool ready, void *arg);

/* Starts connecting at once; options are copied. NULL when out of memory. */
cw_store_t *cw_store_new(struct event_base *base, const cw_store_options_t *options,
                         cw_metrics_t *metrics, cw_store_state_fn on_state, void *state_arg);
/* Drops the connections; pending callbacks get NULL first. Never from a
 * reply callback. */
void cw_store_free(cw_store_t *store);

bool cw_store_ready(const cw_store_t *store);
/* No command sent is waiting for its reply. */
bool cw_store_idle(const cw_store_t *store);
/* Milliseconds since the connection was lost (0 while ready). */
int64_t cw_store_down_ms(const cw_store_t *store);
/* Redis answers but refused the last commit script for a reason of its own
 * (MISCONF, OOM, READONLY, NOREPLICAS): its error into buf, true. False
 * once a commit went through again. On a cluster, the first node's refusal,
 * named ("127.0.0.1:7001: OOM ..."). */
bool cw_store_write_refused(const cw_store_t *store, char *buf, size_t size);

/* Sends a command; argv is copied before return. Returns 0, or -1 when the
 * connection (on a cluster: the master serving argv[1]) is not ready (the
 * callback is then never called). */
int cw_store_send(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen);
/* Runs the commit script: argv holds numkeys, keys and args exactly as after
 * "EVALSHA sha" (the store puts the command and script in front). */
int cw_store_eval(cw_store_t *store, cw_store_reply_fn fn, void *arg, int argc,
                  const char **argv, const size_t *argvlen);

/* WAIT for `wait_replicas` replicas (within half the timeout) on the
 * connection of the node serving `key`, in order with that slot's
 * commands: the reply is the number of replicas that hold every write the
 * connection sent before. Returns -1 as cw_store_send does. */
int cw_store_wait(cw_store_t *store, const char *key, size_t len, cw_store_reply_fn fn,
                  void *arg);

/* ---- the nodes, for health and metrics ----------------------------------- */

#define CW_STORE_NODE_NAME_SIZE 136

typedef struct cw_store_node {
    char name[CW_STORE_NODE_NAME_SIZE]; /* "host:port" */
    bool ready;                         /* connected, authenticated, script loaded */
    int slots;                          /* hash slots it serves; 0 for one server */
} cw_store_node_t;

bool cw_store_cluster(const cw_store_t *store);
/* The nodes keys go to: the server, or the masters of the cluster's slot map
 * (none before the first map), in a stable order, at most `max` of them;
 * returns how many there are. */
size_t cw_store_nodes(const cw_store_t *store, cw_store_node_t *out, size_t max);
/* The index (in cw_store_nodes' order) of the node serving the key; -1
 * before the first slot map, or when no master serves its slot. */
int cw_store_node_of(const cw_store_t *store, const char *key, size_t len);

#endif
