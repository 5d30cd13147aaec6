/* The console's Kafka consumer (SPEC section 12): alert_topic, outcome_topic
 * and score_topic (the monthly model's records, SPEC section 14) in the
 * console's own group ([console] group_id), drained in batches from the
 * event loop, each batch applied with cases.lua calls and its offsets stored
 * for commit only once Redis answered. A replayed record changes nothing
 * (alerts de-duplicate by alert_id, outcomes by outcome_id, score records
 * by score_id), so a batch whose fate is unknown (Redis lost) is simply sent
 * again. */
#ifndef CW_INGEST_H
#define CW_INGEST_H

#include "console_env.h"
#include "errlist.h"

typedef struct cw_ingest cw_ingest_t;

/* Creates the consumer and subscribes; NULL with errs. */
cw_ingest_t *cw_ingest_new(cw_console_env_t *env, cw_errlist_t *errs);
/* Commits what was applied and leaves the group (bounded), then frees. */
void cw_ingest_free(cw_ingest_t *ingest);
/* Drains what is waiting now (called when the store becomes ready). */
void cw_ingest_kick(cw_ingest_t *ingest);
/* Records taken but not yet applied (for the STATUS line and /metrics). */
int cw_ingest_pending(const cw_ingest_t *ingest);

#endif
