/* Kafka plumbing shared by the bench tools: a configuration from key/value
 * pairs, and the partitions of a set of topics with their watermarks (what
 * "every record read" and "every offset committed" are measured against). */
#include "bench.h"

#include <stdarg.h>
#include <string.h>

rd_kafka_conf_t *cwb_kafka_conf(const char *brokers, const char *const *pairs,
                                char *errbuf, size_t errbuf_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errbuf, errbuf_size) !=
        RD_KAFKA_CONF_OK)
        goto fail;
    for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
        if (rd_kafka_conf_set(conf, pairs[i], pairs[i + 1], errbuf, errbuf_size) !=
            RD_KAFKA_CONF_OK)
            goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static int partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                           char *errbuf, size_t errbuf_size)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rkt == NULL) {
        snprintf(errbuf, errbuf_size, "topic %s: %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    int count = -1;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        snprintf(errbuf, errbuf_size, "metadata for %s: %s", topic,
                 rd_kafka_err2str(err));
    else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
        snprintf(errbuf, errbuf_size, "topic %s: %s", topic,
                 md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
    else
        count = md->topics[0].partition_cnt;
    if (md != NULL)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return count;
}

rd_kafka_topic_partition_list_t *cwb_kafka_watermarks(rd_kafka_t *rk, char **topics,
                                                      int topic_count, int timeout_ms,
                                                      char *errbuf, size_t errbuf_size)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(256);
    for (int t = 0; t < topic_count; t++) {
        int count = partition_count(rk, topics[t], timeout_ms, errbuf, errbuf_size);
        if (count < 0)
            goto fail;
        for (int p = 0; p < count; p++) {
            int64_t low = 0, high = 0;
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                rk, topics[t], p, &low, &high, timeout_ms);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                snprintf(errbuf, errbuf_size, "watermarks of %s [%d]: %s", topics[t], p,
                         rd_kafka_err2str(err));
                goto fail;
            }
            rd_kafka_topic_partition_t *elem =
                rd_kafka_topic_partition_list_add(list, topics[t], p);
            elem->offset = high;
            elem->opaque = (void *)(intptr_t)low;
        }
    }
    return list;
fail:
    rd_kafka_topic_partition_list_destroy(list);
    return NULL;
}

int64_t cwb_kafka_records(const rd_kafka_topic_partition_list_t *marks, bool *dropped)
{
    int64_t total = 0;
    *dropped = false;
    for (int i = 0; i < marks->cnt; i++) {
        int64_t low = (int64_t)(intptr_t)marks->elems[i].opaque;
        if (low > 0)
            *dropped = true;
        total += marks->elems[i].offset - low;
    }
    return total;
}
