/* The Redis nodes as the operator sees them: for each node the store talks
 * to (the one server, or each master of a Redis Cluster), whether it is
 * reachable and which of this instance's partitions it holds, for /healthz
 * and /metrics. */
#ifndef CW_NODES_H
#define CW_NODES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "parts.h"
#include "store.h"

struct evbuffer;

/* On a cluster, why Redis is not ready, as a health reason's detail: "no
 * slot map yet (asking 127.0.0.1:7000)" or "127.0.0.1:7001 (partitions 3,
 * 7)" for each master that does not answer. False for one server (its
 * reason is plain "redis unreachable"), or when nothing is down. */
bool cw_nodes_unreachable(const cw_store_t *store, const cw_parts_t *parts,
                          const cw_config_t *config, char *buf, size_t size);
/* ,"redis_nodes":[{"node":"127.0.0.1:7000","reachable":true,"slots":5461,
 * "partitions":[0,3]},...] for the /healthz body. */
void cw_nodes_health(const cw_store_t *store, const cw_parts_t *parts,
                     const cw_config_t *config, struct evbuffer *out);
/* cdrwarn_redis_node_up and cdrwarn_redis_node_partitions. */
void cw_nodes_render(const cw_store_t *store, const cw_parts_t *parts,
                     const cw_config_t *config, struct evbuffer *out);

#endif
