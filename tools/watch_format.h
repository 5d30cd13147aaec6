/* cdrwarn-watch's lines: one line of text for each record of the daemon's
 * output topics (an alert, a churn outcome, a score record; SPEC sections 7,
 * 10 and 14), told apart by their id field, for people watching a topic by
 * eye. MSISDNs are masked unless asked otherwise. */
#ifndef CW_WATCH_FORMAT_H
#define CW_WATCH_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/* What a record is, by its id field. */
typedef enum {
    CW_WATCH_ALERT = 0, /* alert_id */
    CW_WATCH_OUTCOME,   /* outcome_id */
    CW_WATCH_SCORE,     /* score_id */
    CW_WATCH_OTHER,     /* JSON, but none of those: printed as it is */
    CW_WATCH_INVALID,   /* not a JSON object */
} cw_watch_kind_t;

/* Formats one record's value (len bytes) as a line without its newline into
 * out (size bytes, always NUL-terminated; a longer line is cut). `colour`
 * adds terminal colours: alerts by level, outcomes and score records by
 * kind. Returns what the record is. */
cw_watch_kind_t cw_watch_format(const char *value, size_t len, bool unmask, bool colour,
                                char *out, size_t size);

#endif
