/* Alert publishing and outbox clean-up on acknowledgement. */
#include "outbox.h"

#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "alloc.h"
#include "keys.h"
#include "log.h"
#include "part.h"
#include "producer.h"
#include "store.h"

typedef struct published {
    cw_daemon_t *daemon;
    int32_t partition;
    char alert_id[CW_ALERT_ID_SIZE];
} published_t;

static void on_removed(redisReply *reply, void *arg)
{
    /* a failed HDEL only means the alert may be sent once more later */
}

/* The alert is still in the outbox: reloading the partition sends it again. */
static void retry_later(cw_daemon_t *daemon, int32_t partition)
{
    if (partition < daemon->part_count && daemon->parts[partition] != NULL)
        cw_part_invalidate(daemon->parts[partition]);
}

static void on_delivered(rd_kafka_resp_err_t err, void *arg)
{
    published_t *p = arg;
    cw_daemon_t *daemon = p->daemon;
    daemon->metrics.outbox_pending--;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        daemon->metrics.alerts_delivered++;
        if (daemon->store != NULL && cw_store_ready(daemon->store)) {
            char key[CW_KEY_SIZE];
            const char *argv[3] = {"HDEL", key, p->alert_id};
            size_t argvlen[3] = {4, cw_key_outbox(key, cw_daemon_config(daemon)->key_prefix,
                                                  p->partition),
                                 strlen(p->alert_id)};
            cw_store_send(daemon->store, on_removed, NULL, 3, argv, argvlen);
        }
    }
    else
        retry_later(daemon, p->partition);
    cw_free(p);
}

void cw_outbox_publish(cw_daemon_t *daemon, int32_t partition, const char *alert_id,
                       const char *msisdn, const char *json, size_t json_len)
{
    published_t *p = cw_malloc(sizeof *p);
    if (p == NULL) {
        retry_later(daemon, partition);
        return;
    }
    p->daemon = daemon;
    p->partition = partition;
    snprintf(p->alert_id, sizeof p->alert_id, "%s", alert_id);
    const cw_config_t *config = cw_daemon_config(daemon);
    rd_kafka_headers_t *headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "cdrwarn.alert_id", -1, alert_id, -1);
    if (cw_producer_send(daemon->producer, config->alert_topic, msisdn, strlen(msisdn), json,
                         json_len, headers, on_delivered, p) != 0) {
        rd_kafka_headers_destroy(headers);
        cw_free(p);
        retry_later(daemon, partition);
        return;
    }
    daemon->metrics.outbox_pending++;
}
