/* librdkafka configuration shared by the consumer, the producer and
 * --check-config. */
#include "kafka_conf.h"

#include "kafka_log.h"

#include <string.h>

int cw_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                      cw_errlist_t *errs)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        cw_errlist_add(errs, "librdkafka %s: %s", name, errstr);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *cw_kafka_conf_new(const cw_config_t *config, const char *const *defaults,
                                   cw_errlist_t *errs)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int before = errs->count;
    cw_kafka_conf_set(conf, "bootstrap.servers", config->brokers, errs);
    cw_kafka_conf_set(conf, "log.connection.close", "false", errs);
    /* logs wait on a queue served from the event loop (kafka_log.c); the
     * callback only sees what comes before that queue is set */
    cw_kafka_conf_set(conf, "log.queue", "true", errs);
    rd_kafka_conf_set_log_cb(conf, cw_kafka_log_line);
    for (size_t i = 0; defaults != NULL && defaults[i] != NULL; i += 2)
        cw_kafka_conf_set(conf, defaults[i], defaults[i + 1], errs);
    for (size_t i = 0; i < config->kafka_prop_count; i++) {
        const cw_kafka_prop_t *prop = &config->kafka_props[i];
        char errstr[512];
        if (rd_kafka_conf_set(conf, prop->name, prop->value, errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK)
            cw_errlist_add(errs, "%s:%d: [kafka] property.%s: %s", config->path, prop->line,
                           prop->name, errstr);
    }
    if (errs->count != before) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

int cw_kafka_conf_check(const cw_config_t *config, cw_errlist_t *errs)
{
    int before = errs->count;
    rd_kafka_conf_t *conf = cw_kafka_conf_new(config, NULL, errs);
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    return errs->count - before;
}
