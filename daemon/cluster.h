/* The Redis Cluster slot map and the cluster's own replies: which master
 * serves each of the 16384 hash slots, read from a node's CLUSTER SLOTS
 * answer, and what a MOVED, ASK, TRYAGAIN or CLUSTERDOWN error says. The
 * store (store.c) keeps one connection per master of the map and routes each
 * command by its key's slot (lib/slot.c). */
#ifndef CW_CLUSTER_H
#define CW_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "slot.h"

#define CW_CLUSTER_MAX_NODES 128
#define CW_CLUSTER_HOST_SIZE 128
#define CW_CLUSTER_NAME_SIZE (CW_CLUSTER_HOST_SIZE + 8) /* "host:port" */

typedef struct cw_cluster_addr {
    char host[CW_CLUSTER_HOST_SIZE];
    int port;
} cw_cluster_addr_t;

typedef struct cw_slotmap {
    int master_count;
    cw_cluster_addr_t masters[CW_CLUSTER_MAX_NODES];
    int slots[CW_CLUSTER_MAX_NODES];         /* slots each master serves */
    int replica_count;                        /* other nodes to ask for the map later */
    cw_cluster_addr_t replicas[CW_CLUSTER_MAX_NODES];
    int16_t owner[CW_SLOT_COUNT];             /* index into masters; -1: none serves it */
} cw_slotmap_t;

/* What a reply is, for the cluster. */
typedef enum {
    CW_CLUSTER_ANSWER,   /* anything but the errors below */
    CW_CLUSTER_MOVED,    /* the slot is served elsewhere now: refresh the map */
    CW_CLUSTER_ASK,      /* the slot is migrating and the key is at the target */
    CW_CLUSTER_TRYAGAIN, /* a multi-key command while the slot's keys are split */
    CW_CLUSTER_DOWN,     /* CLUSTERDOWN: the cluster does not serve the slot now */
} cw_cluster_reply_t;

/* Reads a CLUSTER SLOTS answer into map. A node whose address the cluster
 * does not know ("" or "?") is taken to be `asked_host`, the host the
 * answer came from. 0, or -1 with the reason in err. */
int cw_slotmap_read(cw_slotmap_t *map, const redisReply *reply, const char *asked_host,
                    char *err, size_t err_size);
/* The index of the master at that address, or -1. */
int cw_slotmap_master(const cw_slotmap_t *map, const cw_cluster_addr_t *addr);
/* How many slots no master serves. */
int cw_slotmap_uncovered(const cw_slotmap_t *map);
/* The same masters serving the same slots. */
bool cw_slotmap_same(const cw_slotmap_t *a, const cw_slotmap_t *b);
/* "0-5460, 10923" for the master's slots, cut to fit. */
void cw_slotmap_ranges(const cw_slotmap_t *map, int master, char *out, size_t size);

/* Classifies a reply; for MOVED and ASK, the slot and the node named
 * (either pointer may be NULL). */
cw_cluster_reply_t cw_cluster_reply_kind(const redisReply *reply, int *slot,
                                         cw_cluster_addr_t *to);
/* "host:port" (the last colon separates, so IPv6 hosts work); 0 or -1. */
int cw_cluster_addr_parse(const char *text, size_t len, cw_cluster_addr_t *out);
bool cw_cluster_addr_equal(const cw_cluster_addr_t *a, const cw_cluster_addr_t *b);
/* "host:port" into out[CW_CLUSTER_NAME_SIZE]. */
void cw_cluster_addr_name(const cw_cluster_addr_t *addr, char *out);

#endif
