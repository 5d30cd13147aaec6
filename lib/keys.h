/* Redis key names. Every key of partition p carries the hash tag {p<p>}, so
 * one partition's keys live in one Redis Cluster slot and the commit script
 * may touch them together; partitions spread over the cluster's nodes.
 *   <prefix>{p<p>}:meta          hash: seq (fence), o:<topic> next offsets,
 *                                stream time, closed week, sweep cursor
 *   <prefix>{p<p>}:outbox        hash: alert_id -> "<msisdn> <alert json>"
 *   <prefix>{p<p>}:s:<msisdn>    string: the subscriber's encoded state
 *   <prefix>{p<p>}:seen:<week>   string: "<msisdn>\n" per subscriber with an
 *                                event in that week (the week-close sweep list) */
#ifndef CW_KEYS_H
#define CW_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "period.h"

#define CW_KEY_SIZE 160

/* Each writes a NUL-terminated key into out[CW_KEY_SIZE]; returns its length. */
size_t cw_key_meta(char *out, const char *prefix, int32_t partition);
size_t cw_key_outbox(char *out, const char *prefix, int32_t partition);
size_t cw_key_sub(char *out, const char *prefix, int32_t partition, const char *msisdn);
/* A week's or a month's seen list: "seen:2026-W47", "seen:2026-11". */
size_t cw_key_seen(char *out, const char *prefix, int32_t partition, cw_period_t period,
                   int32_t index);
/* A KEYS/SCAN pattern for one kind of key of every partition:
 * "<prefix>{p*}:<kind>" ("s:*", "meta", "seen:*"). */
size_t cw_key_pattern(char *out, const char *prefix, const char *kind);

#endif
