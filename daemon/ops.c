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

static bool store(cw_ops_t *ops, const void *data, size_t len, cw_ops_item_t *item)
{
    if (ops->failed)
        return false;
    char *arena = cw_grow(ops->arena, &ops->cap, ops->used + len + 1, 1, 16);
    if (arena == NULL) {
        ops->failed = true;
        return false;
    }
    ops->arena = arena;
    memcpy(ops->arena + ops->used, data, len);
    ops->arena[ops->used + len] = '\0';
    item->offset = ops->used;
    item->len = len;
    ops->used += len + 1;
    return true;
}

static void push(cw_ops_t *ops, cw_ops_list_t *list, const void *data, size_t len)
{
    cw_ops_item_t item;
    if (!store(ops, data, len, &item))
        return;
    cw_ops_item_t *items =
        cw_grow(list->items, &list->cap, list->count + 1, sizeof item, 16);
    if (items == NULL) {
        ops->failed = true;
        return;
    }
    list->items = items;
    list->items[list->count++] = item;
}

static void push_str(cw_ops_t *ops, cw_ops_list_t *list, const char *text)
{
    push(ops, list, text, strlen(text));
}

static void push_int(cw_ops_t *ops, cw_ops_list_t *list, long long value)
{
    char text[24];
    push(ops, list, text, (size_t)snprintf(text, sizeof text, "%lld", value));
}

void cw_ops_init(cw_ops_t *ops, const char *meta_key, const char *outbox_key,
                 const char *expected_seq, const char *owner)
{
    memset(ops, 0, sizeof *ops);
    const char *head[4] = {meta_key, outbox_key, expected_seq, owner};
    for (int i = 0; i < 4; i++)
        store(ops, head[i], strlen(head[i]), &ops->head[i]);
}

void cw_ops_free(cw_ops_t *ops)
{
    cw_free(ops->arena);
    for (int k = 0; k < CW_OPS__KINDS; k++) {
        cw_free(ops->keys[k].items);
        cw_free(ops->args[k].items);
    }
    cw_free(ops->argv);
    cw_free(ops->argvlen);
    memset(ops, 0, sizeof *ops);
}

/* An operation of `kind` on `key` (NULL: on a field of the meta or outbox). */
static cw_ops_list_t *add(cw_ops_t *ops, cw_ops_kind_t kind, const char *key)
{
    if (key != NULL)
        push_str(ops, &ops->keys[kind], key);
    ops->counts[kind]++;
    return &ops->args[kind];
}

void cw_ops_set(cw_ops_t *ops, const char *key, const void *value, size_t len)
{
    push(ops, add(ops, CW_OPS_SET, key), value, len);
}

void cw_ops_expire(cw_ops_t *ops, const char *key, long long expire_at_ms)
{
    push_int(ops, add(ops, CW_OPS_EXPIRE, key), expire_at_ms);
}

void cw_ops_append(cw_ops_t *ops, const char *key, const void *value, size_t len,
                   long long expire_at_ms)
{
    cw_ops_list_t *args = add(ops, CW_OPS_APPEND, key);
    push(ops, args, value, len);
    push_int(ops, args, expire_at_ms);
}

void cw_ops_del(cw_ops_t *ops, const char *key)
{
    add(ops, CW_OPS_DEL, key);
}

void cw_ops_meta_int(cw_ops_t *ops, const char *field, long long value)
{
    cw_ops_list_t *args = add(ops, CW_OPS_META_SET, NULL);
    push_str(ops, args, field);
    push_int(ops, args, value);
}

void cw_ops_meta_del(cw_ops_t *ops, const char *field)
{
    push_str(ops, add(ops, CW_OPS_META_DEL, NULL), field);
}

void cw_ops_outbox_add(cw_ops_t *ops, const char *field, const void *value, size_t len)
{
    cw_ops_list_t *args = add(ops, CW_OPS_OUTBOX, NULL);
    push_str(ops, args, field);
    push(ops, args, value, len);
}

/* argv: numkeys; KEYS: meta, outbox, then every kind's keys in kind order;
 * ARGV: expected seq, owner, the count of each kind, then every kind's
 * arguments in kind order. */
int cw_ops_build(cw_ops_t *ops)
{
    size_t key_count = 2, arg_count = 2 + CW_OPS__KINDS;
    for (int k = 0; k < CW_OPS__KINDS; k++) {
        key_count += ops->keys[k].count;
        arg_count += ops->args[k].count;
    }
    /* the numbers go into the arena too */
    cw_ops_list_t numbers = {0};
    push_int(ops, &numbers, (long long)key_count);
    for (int k = 0; k < CW_OPS__KINDS; k++)
        push_int(ops, &numbers, (long long)ops->counts[k]);
    size_t argc = 1 + key_count + arg_count;
    cw_free(ops->argv);
    cw_free(ops->argvlen);
    ops->argv = cw_malloc(argc * sizeof *ops->argv);
    ops->argvlen = cw_malloc(argc * sizeof *ops->argvlen);
    if (ops->failed || ops->argv == NULL || ops->argvlen == NULL) {
        cw_free(numbers.items);
        ops->failed = true;
        return -1;
    }
    size_t i = 0;
#define PUT(item)                                                                             \
    do {                                                                                      \
        ops->argv[i] = ops->arena + (item).offset;                                            \
        ops->argvlen[i++] = (item).len;                                                       \
    } while (0)
    PUT(numbers.items[0]);
    PUT(ops->head[0]);
    PUT(ops->head[1]);
    for (int k = 0; k < CW_OPS__KINDS; k++)
        for (size_t j = 0; j < ops->keys[k].count; j++)
            PUT(ops->keys[k].items[j]);
    PUT(ops->head[2]);
    PUT(ops->head[3]);
    for (int k = 0; k < CW_OPS__KINDS; k++)
        PUT(numbers.items[1 + k]);
    for (int k = 0; k < CW_OPS__KINDS; k++)
        for (size_t j = 0; j < ops->args[k].count; j++)
            PUT(ops->args[k].items[j]);
#undef PUT
    cw_free(numbers.items);
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
        if (!sub->dirty && !sub->expire)
            continue;
        cw_key_sub(key, prefix, partition, sub->msisdn);
        if (sub->dirty) {
            size_t len = cw_sub_encode(&sub->state, buf, sizeof buf);
            if (len > 0)
                cw_ops_set(ops, key, buf, len);
            else /* not encodable (a state corrupted in memory): keep the stored one */
                cw_log(LOG_ERR,
                       "partition %d: a subscriber state could not be encoded; not written",
                       (int)partition);
        }
        if (sub->expire)
            cw_ops_expire(ops, key, expire_at);
    }
}
