/* The Redis Cluster slot map and the cluster's replies (see cluster.h). */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t size, const char *what)
{
    snprintf(err, size, "CLUSTER SLOTS: %s", what);
    return -1;
}

/* A node's entry: [host, port, id, ...]. */
static int read_addr(const redisReply *node, const char *asked_host, cw_cluster_addr_t *out)
{
    if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
        node->element[0]->type != REDIS_REPLY_STRING ||
        node->element[1]->type != REDIS_REPLY_INTEGER)
        return -1;
    const redisReply *host = node->element[0];
    long long port = node->element[1]->integer;
    if (port <= 0 || port > 65535)
        return -1;
    const char *name = host->str;
    size_t len = host->len;
    if (len == 0 || (len == 1 && name[0] == '?')) {
        name = asked_host;
        len = strlen(asked_host);
    }
    if (len >= sizeof out->host)
        return -1;
    memcpy(out->host, name, len);
    out->host[len] = '\0';
    out->port = (int)port;
    return 0;
}

static int find(const cw_cluster_addr_t *list, int count, const cw_cluster_addr_t *addr)
{
    for (int i = 0; i < count; i++)
        if (cw_cluster_addr_equal(&list[i], addr))
            return i;
    return -1;
}

int cw_slotmap_read(cw_slotmap_t *map, const redisReply *reply, const char *asked_host,
                    char *err, size_t err_size)
{
    memset(map, 0, sizeof *map);
    for (int s = 0; s < CW_SLOT_COUNT; s++)
        map->owner[s] = -1;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
        return fail(err, err_size, "not an array");
    for (size_t r = 0; r < reply->elements; r++) {
        const redisReply *range = reply->element[r];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
            range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER)
            return fail(err, err_size, "a slot range is not [first, last, master, ...]");
        long long first = range->element[0]->integer, last = range->element[1]->integer;
        if (first < 0 || last >= CW_SLOT_COUNT || first > last)
            return fail(err, err_size, "a slot range is out of bounds");
        cw_cluster_addr_t addr;
        if (read_addr(range->element[2], asked_host, &addr) != 0)
            return fail(err, err_size, "a master is not [host, port, ...]");
        int master = find(map->masters, map->master_count, &addr);
        if (master < 0) {
            if (map->master_count == CW_CLUSTER_MAX_NODES)
                return fail(err, err_size, "more masters than the store keeps");
            master = map->master_count++;
            map->masters[master] = addr;
        }
        for (long long s = first; s <= last; s++) {
            if (map->owner[s] < 0)
                map->slots[master]++;
            else if (map->owner[s] != master)
                return fail(err, err_size, "a slot is served by two masters");
            map->owner[s] = (int16_t)master;
        }
        for (size_t i = 3; i < range->elements; i++) {
            cw_cluster_addr_t replica;
            if (read_addr(range->element[i], asked_host, &replica) != 0)
                return fail(err, err_size, "a replica is not [host, port, ...]");
            if (find(map->replicas, map->replica_count, &replica) < 0 &&
                map->replica_count < CW_CLUSTER_MAX_NODES)
                map->replicas[map->replica_count++] = replica;
        }
    }
    return 0;
}

int cw_slotmap_master(const cw_slotmap_t *map, const cw_cluster_addr_t *addr)
{
    return find(map->masters, map->master_count, addr);
}

int cw_slotmap_uncovered(const cw_slotmap_t *map)
{
    int count = 0;
    for (int s = 0; s < CW_SLOT_COUNT; s++)
        count += map->owner[s] < 0;
    return count;
}

bool cw_slotmap_same(const cw_slotmap_t *a, const cw_slotmap_t *b)
{
    if (a->master_count != b->master_count)
        return false;
    for (int i = 0; i < a->master_count; i++)
        if (!cw_cluster_addr_equal(&a->masters[i], &b->masters[i]))
            return false;
    return memcmp(a->owner, b->owner, sizeof a->owner) == 0;
}

void cw_slotmap_ranges(const cw_slotmap_t *map, int master, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int s = 0; s < CW_SLOT_COUNT && len < size; s++) {
        if (map->owner[s] != master || (s > 0 && map->owner[s - 1] == master))
            continue;
        int last = s;
        while (last + 1 < CW_SLOT_COUNT && map->owner[last + 1] == master)
            last++;
        if (last == s)
            len += (size_t)snprintf(out + len, size - len, "%s%d", len ? ", " : "", s);
        else
            len += (size_t)snprintf(out + len, size - len, "%s%d-%d", len ? ", " : "", s, last);
    }
}

int cw_cluster_addr_parse(const char *text, size_t len, cw_cluster_addr_t *out)
{
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (text[i] == ':')
            colon = text + i;
    if (colon == NULL || colon == text)
        return -1;
    size_t host_len = (size_t)(colon - text);
    if (host_len >= sizeof out->host)
        return -1;
    long port = 0;
    const char *p = colon + 1, *end = text + len;
    if (p == end)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return -1;
        port = port * 10 + (*p - '0');
    }
    if (port <= 0 || port > 65535)
        return -1;
    memcpy(out->host, text, host_len);
    out->host[host_len] = '\0';
    out->port = (int)port;
    return 0;
}

bool cw_cluster_addr_equal(const cw_cluster_addr_t *a, const cw_cluster_addr_t *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

void cw_cluster_addr_name(const cw_cluster_addr_t *addr, char *out)
{
    snprintf(out, CW_CLUSTER_NAME_SIZE, "%s:%d", addr->host, addr->port);
}

static bool starts(const redisReply *reply, const char *word)
{
    size_t n = strlen(word);
    return reply->len >= n && memcmp(reply->str, word, n) == 0 &&
           (reply->len == n || reply->str[n] == ' ');
}

/* "MOVED 3999 127.0.0.1:6381" and "ASK 3999 127.0.0.1:6381". */
static cw_cluster_reply_t redirect(const redisReply *reply, cw_cluster_reply_t kind, size_t skip,
                                   int *slot, cw_cluster_addr_t *to)
{
    const char *p = reply->str + skip, *end = reply->str + reply->len;
    long s = 0;
    bool digits = false;
    while (p < end && *p >= '0' && *p <= '9' && s < CW_SLOT_COUNT) {
        s = s * 10 + (*p++ - '0');
        digits = true;
    }
    if (!digits || s >= CW_SLOT_COUNT || p == end || *p != ' ')
        return CW_CLUSTER_ANSWER; /* not the cluster's redirection after all */
    p++;
    cw_cluster_addr_t addr;
    if (cw_cluster_addr_parse(p, (size_t)(end - p), &addr) != 0)
        return CW_CLUSTER_ANSWER;
    if (slot != NULL)
        *slot = (int)s;
    if (to != NULL)
        *to = addr;
    return kind;
}

cw_cluster_reply_t cw_cluster_reply_kind(const redisReply *reply, int *slot,
                                         cw_cluster_addr_t *to)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR || reply->str == NULL)
        return CW_CLUSTER_ANSWER;
    if (starts(reply, "MOVED"))
        return redirect(reply, CW_CLUSTER_MOVED, 6, slot, to);
    if (starts(reply, "ASK"))
        return redirect(reply, CW_CLUSTER_ASK, 4, slot, to);
    if (starts(reply, "TRYAGAIN"))
        return CW_CLUSTER_TRYAGAIN;
    if (starts(reply, "CLUSTERDOWN"))
        return CW_CLUSTER_DOWN;
    return CW_CLUSTER_ANSWER;
}
