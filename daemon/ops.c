/* Collects a commit's keys and operations into one argument vector. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "keys.h"
#include "log.h"
#include "subcodec.h"
#include "week.h"

static bool grow(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = cw_realloc(*items, cap2 * size);
    if (p == NULL)
        return false;
    *items = p;
    *cap = cap2;
    return true;
}

static bool store(cw_ops_t *ops, const void *data, size_t len, cw_ops_item_t *item)
{
    if (ops->failed || !grow((void **)&ops->arena, &ops->cap, ops->used + len + 1, 1)) {
        ops->failed = true;
        return false;
    }
    memcpy(ops->arena + ops->used, data, len);
    ops->arena[ops->used + len] = '\0';
    item->offset = ops->used;
    item->len = len;
    ops->used += len + 1;
    return true;
}

void cw_ops_arg(cw_ops_t *ops, const void *data, size_t len)
{
    cw_ops_item_t item;
    if (!store(ops, data, len, &item))
        return;
    if (!grow((void **)&ops->args, &ops->arg_cap, ops->arg_count + 1, sizeof item)) {
        ops->failed = true;
        return;
    }
    ops->args[ops->arg_count++] = item;
}

void cw_ops_str(cw_ops_t *ops, const char *text)
{
    cw_ops_arg(ops, text, strlen(text));
}

void cw_ops_int(cw_ops_t *ops, long long value)
{
    char text[24];
    cw_ops_arg(ops, text, (size_t)snprintf(text, sizeof text, "%lld", value));
}

void cw_ops_key(cw_ops_t *ops, const char *key, char out[16])
{
    cw_ops_item_t item;
    snprintf(out, 16, "%zu", ops->key_count + 1);
    if (!store(ops, key, strlen(key), &item))
        return;
    if (!grow((void **)&ops->keys, &ops->key_cap, ops->key_count + 1, sizeof item)) {
        ops->failed = true;
        return;
    }
    ops->keys[ops->key_count++] = item;
}

void cw_ops_init(cw_ops_t *ops, const char *meta_key, const char *outbox_key,
                 const char *expected_seq, const char *owner)
{
    memset(ops, 0, sizeof *ops);
    char index[16];
    cw_ops_key(ops, meta_key, index);
    cw_ops_key(ops, outbox_key, index);
    cw_ops_str(ops, expected_seq);
    cw_ops_str(ops, owner);
}

void cw_ops_free(cw_ops_t *ops)
{
    cw_free(ops->arena);
    cw_free(ops->keys);
    cw_free(ops->args);
    cw_free(ops->argv);
    cw_free(ops->argvlen);
    memset(ops, 0, sizeof *ops);
}

static void keyed_op(cw_ops_t *ops, const char *op, const char *key, const void *value,
                     size_t len, long long expire_at_ms)
{
    char index[16];
    cw_ops_key(ops, key, index);
    cw_ops_str(ops, op);
    cw_ops_str(ops, index);
    if (value != NULL) {
        cw_ops_arg(ops, value, len);
        cw_ops_int(ops, expire_at_ms);
    }
    ops->op_count++;
}

void cw_ops_set(cw_ops_t *ops, const char *key, const void *value, size_t len, long long expire_at_ms)
{
    keyed_op(ops, "S", key, value, len, expire_at_ms);
}

void cw_ops_append(cw_ops_t *ops, const char *key, const void *value, size_t len,
                   long long expire_at_ms)
{
    keyed_op(ops, "A", key, value, len, expire_at_ms);
}

void cw_ops_del(cw_ops_t *ops, const char *key)
{
    keyed_op(ops, "D", key, NULL, 0, 0);
}

void cw_ops_meta_int(cw_ops_t *ops, const char *field, long long value)
{
    cw_ops_str(ops, "M");
    cw_ops_str(ops, field);
    cw_ops_int(ops, value);
    ops->op_count++;
}

void cw_ops_meta_del(cw_ops_t *ops, const char *field)
{
    cw_ops_str(ops, "X");
    cw_ops_str(ops, field);
    ops->op_count++;
}

void cw_ops_outbox_add(cw_ops_t *ops, const char *field, const void *value, size_t len)
{
    cw_ops_str(ops, "O");
    cw_ops_str(ops, field);
    cw_ops_arg(ops, value, len);
    ops->op_count++;
}

int cw_ops_build(cw_ops_t *ops)
{
    if (ops->failed)
        return -1;
    /* numkeys goes into the arena too */
    char numkeys[24];
    cw_ops_item_t nk;
    if (!store(ops, numkeys, (size_t)snprintf(numkeys, sizeof numkeys, "%zu", ops->key_count), &nk))
        return -1;
    size_t argc = 1 + ops->key_count + ops->arg_count;
    cw_free(ops->argv);
    cw_free(ops->argvlen);
    ops->argv = cw_malloc(argc * sizeof *ops->argv);
    ops->argvlen = cw_malloc(argc * sizeof *ops->argvlen);
    if (ops->argv == NULL || ops->argvlen == NULL) {
        ops->failed = true;
        return -1;
    }
    size_t i = 0;
    ops->argv[i] = ops->arena + nk.offset;
    ops->argvlen[i++] = nk.len;
    for (size_t k = 0; k < ops->key_count; k++, i++) {
        ops->argv[i] = ops->arena + ops->keys[k].offset;
        ops->argvlen[i] = ops->keys[k].len;
    }
    for (size_t a = 0; a < ops->arg_count; a++, i++) {
        ops->argv[i] = ops->arena + ops->args[a].offset;
        ops->argvlen[i] = ops->args[a].len;
    }
    return (int)argc;
}

void cw_ops_begin(cw_ops_t *ops, const char *prefix, int32_t partition, const cw_meta_t *stored)
{
    char meta_key[CW_KEY_SIZE], outbox_key[CW_KEY_SIZE];
    cw_key_meta(meta_key, prefix, partition);
    cw_key_outbox(outbox_key, prefix, partition);
    cw_ops_init(ops, meta_key, outbox_key, stored->seq, stored->owner);
}

static void meta_set(const char *field, long long value, void *arg)
{
    cw_ops_meta_int(arg, field, value);
}

static void meta_del(const char *field, void *arg)
{
    cw_ops_meta_del(arg, field);
}

void cw_ops_meta_changes(cw_ops_t *ops, const cw_config_t *config, const cw_meta_t *stored,
                         const cw_meta_t *next, bool always_stream)
{
    cw_meta_topics_t topics = {config->input_topics, config->input_topic_count};
    cw_meta_diff(stored, next, &topics, always_stream, meta_set, meta_del, ops);
}

int64_t cw_ops_expire_at(const cw_config_t *config)
{
    return cw_wall_ms() + (config->weeks_kept * 7 + 1) * CW_MS_PER_DAY + config->late_grace_ms;
}

void cw_ops_write_states(cw_ops_t *ops, const char *prefix, int32_t partition,
                         const cw_subset_t *subs, int64_t expire_at)
{
    uint8_t buf[CW_SUB_ENCODED_MAX];
    char key[CW_KEY_SIZE];
    for (size_t i = 0; i < subs->count; i++) {
        const cw_subset_entry_t *sub = &subs->subs[i];
        if (!sub->dirty)
            continue;
        size_t len = cw_sub_encode(&sub->state, buf, sizeof buf);
        if (len == 0) {
            /* not encodable (a state corrupted in memory): keep the stored one */
            cw_log(LOG_ERR, "partition %d: a subscriber state could not be encoded; not written",
                   (int)partition);
            continue;
        }
        cw_key_sub(key, prefix, partition, sub->msisdn);
        cw_ops_set(ops, key, buf, len, expire_at);
    }
}
