/* The Redis nodes for /healthz and /metrics (see nodes.h). */
#include "nodes.h"

#include <event2/buffer.h>
#include <stdio.h>

#include "cluster.h"
#include "keys.h"

#define MAX_NODES CW_CLUSTER_MAX_NODES

/* The node holding the partition's keys (all share its hash tag), or -1. */
static int node_of(const cw_store_t *store, const cw_config_t *config, int32_t partition)
{
    char key[CW_KEY_SIZE];
    size_t len = cw_key_meta(key, config->key_prefix, partition);
    return cw_store_node_of(store, key, len);
}

bool cw_nodes_unreachable(const cw_store_t *store, const cw_parts_t *parts,
                          const cw_config_t *config, char *buf, size_t size)
{
    buf[0] = '\0';
    if (store == NULL || !cw_store_cluster(store) || cw_store_ready(store))
        return false;
    cw_store_node_t nodes[MAX_NODES];
    size_t count = cw_store_nodes(store, nodes, MAX_NODES);
    if (count == 0) {
        snprintf(buf, size, "no slot map yet (asking %s:%lld)", config->redis_host,
                 (long long)config->redis_port);
        return true;
    }
    size_t len = 0;
    for (size_t i = 0; i < count && i < MAX_NODES && len < size; i++) {
        if (nodes[i].ready)
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s (", len ? ", " : "", nodes[i].name);
        size_t held = 0;
        for (int32_t p = 0; parts != NULL && p < cw_parts_count(parts) && len < size; p++)
            if (cw_parts_owns(parts, p) && node_of(store, config, p) == (int)i)
                len += (size_t)snprintf(buf + len, size - len, "%s%d",
                                        held++ ? ", " : "partitions ", (int)p);
        if (len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s)",
                                    held ? "" : "no partition of this instance");
    }
    if (len == 0)
        snprintf(buf, size, "connecting to the masters");
    return true;
}

void cw_nodes_health(const cw_store_t *store, const cw_parts_t *parts,
                     const cw_config_t *config, struct evbuffer *out)
{
    if (store == NULL)
        return;
    cw_store_node_t nodes[MAX_NODES];
    size_t count = cw_store_nodes(store, nodes, MAX_NODES);
    evbuffer_add_printf(out, ",\"redis_nodes\":[");
    for (size_t i = 0; i < count && i < MAX_NODES; i++) {
        evbuffer_add_printf(out, "%s{\"node\":\"%s\",\"reachable\":%s,\"slots\":%d,\"partitions\":[",
                            i ? "," : "", nodes[i].name, nodes[i].ready ? "true" : "false",
                            nodes[i].slots);
        int held = 0;
        for (int32_t p = 0; parts != NULL && p < cw_parts_count(parts); p++)
            if (cw_parts_owns(parts, p) && node_of(store, config, p) == (int)i)
                evbuffer_add_printf(out, "%s%d", held++ ? "," : "", (int)p);
        evbuffer_add_printf(out, "]}");
    }
    evbuffer_add_printf(out, "]");
}

void cw_nodes_render(const cw_store_t *store, const cw_parts_t *parts,
                     const cw_config_t *config, struct evbuffer *out)
{
    cw_store_node_t nodes[MAX_NODES];
    size_t count = store != NULL ? cw_store_nodes(store, nodes, MAX_NODES) : 0;
    if (count > MAX_NODES)
        count = MAX_NODES;
    evbuffer_add_printf(out, "# HELP cdrwarn_redis_node_up 1 when the connection to the Redis "
                             "node is ready: the server, or each master of the cluster's slot "
                             "map.\n# TYPE cdrwarn_redis_node_up gauge\n");
    for (size_t i = 0; i < count; i++)
        evbuffer_add_printf(out, "cdrwarn_redis_node_up{node=\"%s\"} %d\n", nodes[i].name,
                            nodes[i].ready ? 1 : 0);
    evbuffer_add_printf(out, "# HELP cdrwarn_redis_node_partitions Partitions of this instance "
                             "whose state the Redis node holds.\n"
                             "# TYPE cdrwarn_redis_node_partitions gauge\n");
    for (size_t i = 0; i < count; i++) {
        int held = 0;
        for (int32_t p = 0; parts != NULL && p < cw_parts_count(parts); p++)
            held += cw_parts_owns(parts, p) && node_of(store, config, p) == (int)i;
        evbuffer_add_printf(out, "cdrwarn_redis_node_partitions{node=\"%s\"} %d\n",
                            nodes[i].name, held);
    }
}
