/* The closes' decisions, with no I/O. A week (SPEC section 5 (b)): when a
 * partition's stream time passes end(W) + late_grace, every subscriber with
 * an event in W or W-1 is evaluated for W at W's last day, drops and blue
 * included, so subscribers who went silent are found too. A month (SPEC
 * section 14) likewise: every watched subscriber with an event in M or M-1
 * is scored for M. The subscribers come from the period's seen lists, read
 * by the caller in chunks; this names a chunk's subscribers and evaluates
 * them once their states are loaded. */
#ifndef CW_CLOSE_H
#define CW_CLOSE_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* Bytes of a seen list read per chunk. */
#define CW_CLOSE_CHUNK_BYTES 16384

/* Readies `subs` for a chunk of `len` bytes of a seen list and adds its
 * subscribers ("<msisdn>\n" lines; whole lines only). Returns the bytes the
 * chunk covers (the next chunk starts there), or -1 when out of memory. A
 * full chunk without a whole line (not a list this daemon wrote) is covered
 * whole. */
long cw_close_take(cw_subset_t *subs, const char *text, size_t len);

/* Evaluates the chunk's subscribers for `week`: `list` 0 is W's seen list,
 * 1 is W-1's (whose subscribers with an event in W were evaluated from W's).
 * Alerts go to entries; changed states are marked dirty and trimmed to the
 * weeks kept at `stream_ms`; the silent ones (list 1's) are marked to
 * expire, since no later close visits them. Adds to *evaluated and *alerts. Returns 0 or -1
 * (out of memory). */
int cw_close_evaluate(cw_subset_t *subs, int list, int32_t week, int64_t stream_ms,
                      const cw_batch_ctx_t *ctx, cw_entries_t *entries, size_t *evaluated,
                      size_t *alerts);

/* Scores the chunk's subscribers for `month` (list 0: M's seen list, 1:
 * M-1's, whose subscribers with an event in M were scored from M's). A
 * watched subscriber without a churn mark is scored (counted in *scored,
 * its score in score_counts[min(score, score_cells - 1)]); a score at the
 * threshold or value churn is a score record in entries (*records). States
 * are not changed. Returns 0 or -1 (out of memory). */
int cw_close_score_month(cw_subset_t *subs, int list, int32_t month, const cw_batch_ctx_t *ctx,
                         cw_entries_t *entries, size_t *scored, size_t *records,
                         uint64_t *score_counts, size_t score_cells);

#endif
