/* Builder for the commit script's arguments (see commit.lua): keys and
 * operations collected while a step is worked out, then handed to Redis in
 * one EVALSHA. Copies everything into one arena, so callers can pass
 * temporaries. */
#ifndef CW_OPS_H
#define CW_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "meta.h"
#include "subset.h"

typedef struct cw_ops_item {
    size_t offset; /* into the arena */
    size_t len;
} cw_ops_item_t;

typedef struct cw_ops_list {
    cw_ops_item_t *items;
    size_t count, cap;
} cw_ops_list_t;

/* The kinds of operation, in the order commit.lua runs them. */
typedef enum {
    CW_OPS_SET,              /* a state: key; value */
    CW_OPS_EXPIRE,           /* key; epoch ms */
    CW_OPS_APPEND,           /* a seen list: key; value, epoch ms */
    CW_OPS_DEL,              /* key */
    CW_OPS_META_SET,         /* field, value */
    CW_OPS_META_DEL,         /* field */
    CW_OPS_OUTBOX,           /* field, value */
    CW_OPS__KINDS
} cw_ops_kind_t;

typedef struct cw_ops {
    char *arena;
    size_t used, cap;
    cw_ops_list_t keys[CW_OPS__KINDS];
    cw_ops_list_t args[CW_OPS__KINDS];
    size_t counts[CW_OPS__KINDS]; /* operations of each kind */
    cw_ops_item_t head[4];   /* meta key, outbox key, expected seq, owner */
    bool failed;             /* out of memory somewhere: do not send */
    /* filled by cw_ops_build */
    const char **argv;
    size_t *argvlen;
} cw_ops_t;

/* Starts with KEYS[1] = meta, KEYS[2] = outbox, ARGV[1] = expected seq and
 * ARGV[2] = the owner's claim. */
void cw_ops_init(cw_ops_t *ops, const char *meta_key, const char *outbox_key,
                 const char *expected_seq, const char *owner);
/* The same for a partition's step: its meta and outbox keys, fenced by the
 * seq and the claim the partition's meta holds. */
void cw_ops_begin(cw_ops_t *ops, const char *prefix, int32_t partition, const cw_meta_t *stored);
/* M and X ops for the meta fields a step changed (lib/meta.c decides
 * which); `always_stream` writes the stream time even when unchanged. */
void cw_ops_meta_changes(cw_ops_t *ops, const cw_config_t *config, const cw_meta_t *stored,
                         const cw_meta_t *next, bool always_stream);
void cw_ops_free(cw_ops_t *ops);

/* The operations of commit.lua (bytes copied). */
void cw_ops_set(cw_ops_t *ops, const char *key, const void *value, size_t len);
void cw_ops_expire(cw_ops_t *ops, const char *key, long long expire_at_ms);
void cw_ops_append(cw_ops_t *ops, const char *key, const void *value, size_t len,
                   long long expire_at_ms);
void cw_ops_del(cw_ops_t *ops, const char *key);
void cw_ops_meta_int(cw_ops_t *ops, const char *field, long long value);
void cw_ops_meta_del(cw_ops_t *ops, const char *field);
void cw_ops_outbox_add(cw_ops_t *ops, const char *field, const void *value, size_t len);

/* When keys given an expiry now expire: weeks_kept weeks (plus the grace
 * and a day) from now, long enough for every week close that still reads
 * them, in real time and in replays of old traffic alike. */
int64_t cw_ops_expire_at(const cw_config_t *config);
/* S ops for the changed states of a step's subscribers, and E ops (expiring
 * at expire_at) for those marked to expire: a state is kept without an
 * expiry while a later week close will visit it, and given one by the close
 * that finds it silent (lib/subset.h). */
void cw_ops_write_states(cw_ops_t *ops, const char *prefix, int32_t partition,
                         const cw_subset_t *subs, int64_t expire_at);

/* Builds argv = [numkeys, keys..., args...] as commit.lua reads them,
 * pointing into the arena (valid until the next change or free). Returns
 * the count, or -1 if failed. */
int cw_ops_build(cw_ops_t *ops);

#endif
