/* Building librdkafka configurations from cdrwarn's config: the settings the
 * daemon's guarantees depend on, then the operator's property.* lines. */
#ifndef CW_KAFKA_CONF_H
#define CW_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "errlist.h"

/* A new conf with bootstrap.servers, logging through cw_log, then `defaults`
 * (NULL-terminated name, value pairs; may be NULL), then every property.*
 * line, so the operator's lines win over defaults. NULL with errors (naming
 * the config line) in errs. */
rd_kafka_conf_t *cw_kafka_conf_new(const cw_config_t *config, const char *const *defaults,
                                   cw_errlist_t *errs);
/* Sets one property or adds "what: message" to errs; returns 0 or -1. */
int cw_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                      cw_errlist_t *errs);
/* --check-config: applies every property.* to scratch consumer and producer
 * confs; returns the number of errors added. */
int cw_kafka_conf_check(const cw_config_t *config, cw_errlist_t *errs);

#endif
