/* Accepting the loss of partitions' state (see accept.h). */
#include "accept.h"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "kafka_conf.h"
#include "keys.h"
#include "meta.h"
#include "secret.h"
#include "setup.h"

typedef struct accept {
    const cw_config_t *config;
    redisContext *redis;
    rd_kafka_t *rk;
    int32_t partition_count;
    bool from_committed;
} accept_t;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cdrwarnd --accept-state-loss: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int connect_redis(accept_t *acc)
{
    const cw_config_t *config = acc->config;
    struct timeval timeout = {10, 0};
    acc->redis = redisConnectWithTimeout(config->redis_host, (int)config->redis_port, timeout);
    if (acc->redis == NULL || acc->redis->err)
        return fail("cannot connect to Redis %s: %s", config->redis_host,
                    acc->redis ? acc->redis->errstr : "out of memory");
    cw_errlist_t errs = CW_ERRLIST_INIT;
    char *password = NULL;
    if (config->redis_password_file != NULL)
        password = cw_secret_read(config->redis_password_file, &errs);
    else if (config->redis_password != NULL)
        password = cw_strdup(config->redis_password);
    int rc = 0;
    if (errs.count > 0) {
        rc = fail("%s", cw_errlist_text(&errs));
    } else if (password != NULL) {
        redisReply *reply =
            config->redis_user ? redisCommand(acc->redis, "AUTH %s %s", config->redis_user, password)
                               : redisCommand(acc->redis, "AUTH %s", password);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
            rc = fail("Redis AUTH failed: %s", reply ? reply->str : acc->redis->errstr);
        freeReplyObject(reply);
    }
    cw_secret_free(password);
    cw_errlist_free(&errs);
    return rc;
}

static int connect_kafka(accept_t *acc)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    rd_kafka_conf_t *conf = cw_kafka_conf_new(acc->config, NULL, &errs);
    if (conf != NULL)
        cw_kafka_conf_set(conf, "group.id", acc->config->group_id, &errs);
    char errstr[512] = "";
    if (conf != NULL && errs.count == 0)
        acc->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    int rc = 0;
    if (acc->rk == NULL) {
        if (conf != NULL)
            rd_kafka_conf_destroy(conf);
        rc = fail("kafka: %s", errs.count ? cw_errlist_text(&errs) : errstr);
    }
    cw_errlist_free(&errs);
    if (rc != 0)
        return rc;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *topic = rd_kafka_topic_new(acc->rk, acc->config->input_topics[0], NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(acc->rk, 0, topic, &md, 10000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err == 0)
        acc->partition_count = md->topics[0].partition_cnt;
    else
        rc = fail("kafka: cannot read the partition count of %s: %s",
                  acc->config->input_topics[0], rd_kafka_err2str(err));
    if (md != NULL)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(topic);
    return rc;
}

/* Where partition p of topic t starts again: the group's committed offset
 * (the first record when it has none), or the first record. */
static int64_t start_of(accept_t *acc, int t, int32_t p)
{
    const char *topic = acc->config->input_topics[t];
    if (acc->from_committed) {
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic, p);
        int64_t offset = -1;
        if (rd_kafka_committed(acc->rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            list->elems[0].err == 0)
            offset = list->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(list);
        if (offset >= 0)
            return offset;
    }
    int64_t low = -1, high = -1;
    if (rd_kafka_query_watermark_offsets(acc->rk, topic, p, &low, &high, 10000) != 0)
        return -1;
    return low;
}

static int accept_partition(accept_t *acc, int32_t p)
{
    const cw_config_t *config = acc->config;
    char key[CW_KEY_SIZE];
    cw_key_meta(key, config->key_prefix, p);
    redisReply *reply = redisCommand(acc->redis, "HGETALL %s", key);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return fail("Redis HGETALL %s: %s", key, acc->redis->errstr);
    }
    cw_meta_t meta;
    cw_meta_reset(&meta);
    cw_meta_topics_t topics = {config->input_topics, config->input_topic_count};
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        char err[128];
        cw_meta_read_field(&meta, &topics, reply->element[i]->str, reply->element[i]->len,
                           reply->element[i + 1]->str, reply->element[i + 1]->len, err,
                           sizeof err);
    }
    freeReplyObject(reply);
    if (cw_meta_written(&meta, config->input_topic_count)) {
        printf("partition %d: holds state in Redis; left alone\n", (int)p);
        return 0;
    }
    for (size_t t = 0; t < config->input_topic_count; t++) {
        int64_t offset = start_of(acc, (int)t, p);
        if (offset < 0) {
            return fail("kafka: no offset for %s [%d]", config->input_topics[t], (int)p);
        }
        char field[CW_META_FIELD_SIZE];
        cw_meta_offset_field(field, config->input_topics[t]);
        reply = redisCommand(acc->redis, "HSET %s %s %lld", key, field, (long long)offset);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
            int rc = fail("Redis HSET %s: %s", key, reply ? reply->str : acc->redis->errstr);
            freeReplyObject(reply);
            return rc;
        }
        freeReplyObject(reply);
        printf("partition %d: %s starts again at offset %lld\n", (int)p, config->input_topics[t],
               (long long)offset);
    }
    return 0;
}

int cw_accept_state_loss(const char *config_path, const char *partitions, const char *from)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_setup_t *setup = NULL;
    if (cw_setup_load(config_path, &setup, &errs) != 0) {
        fputs(cw_errlist_text(&errs), stderr);
        cw_errlist_free(&errs);
        return 1;
    }
    cw_errlist_free(&errs);
    accept_t acc = {.config = setup->config};
    int rc = 0;
    if (strcmp(from, "committed") == 0)
        acc.from_committed = true;
    else if (strcmp(from, "earliest") != 0)
        rc = fail("--from: expected committed or earliest, found '%s'", from);
    if (rc == 0)
        rc = connect_redis(&acc);
    if (rc == 0)
        rc = connect_kafka(&acc);
    if (rc == 0 && strcmp(partitions, "all") == 0) {
        for (int32_t p = 0; p < acc.partition_count && rc == 0; p++)
            rc = accept_partition(&acc, p);
    } else if (rc == 0) {
        char *copy = cw_strdup(partitions), *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
             item = strtok_r(NULL, ",", &save)) {
            char *end;
            long p = strtol(item, &end, 10);
            if (*end != '\0' || p < 0 || p >= acc.partition_count)
                rc = fail("expected 'all' or partition numbers below the topics' count, found "
                          "'%s'",
                          item);
            else
                rc = accept_partition(&acc, (int32_t)p);
        }
        cw_free(copy);
    }
    if (acc.rk != NULL)
        rd_kafka_destroy(acc.rk);
    if (acc.redis != NULL)
        redisFree(acc.redis);
    cw_setup_free(setup);
    return rc;
}
