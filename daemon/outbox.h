/* Publishing alerts from the Redis outbox. An alert enters the outbox in the
 * same atomic commit that records it as published for its subscriber and
 * week; it leaves the outbox only once Kafka acknowledged it. A crash in
 * between sends it again with the same alert_id (SPEC section 7). */
#ifndef CW_OUTBOX_H
#define CW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* Produces the alert (key = msisdn, value = json) to the alert topic; on
 * acknowledgement removes it from the partition's outbox. When the producer
 * refuses it, or it fails for good, the partition is marked for a reload,
 * which sends its whole outbox again. */
void cw_outbox_publish(cw_daemon_t *daemon, int32_t partition, const char *alert_id,
                       const char *msisdn, const char *json, size_t json_len);

#endif
