/* A fast scanner for the common shape of an event record: one flat JSON
 * object whose values are plain ASCII strings without escapes, integers,
 * booleans or null. It allocates nothing and validates the full syntax of
 * what it accepts; for anything else (nesting, escapes, non-ASCII text,
 * reals, duplicate keys, any error) it declines, and the caller parses with
 * jansson, which then decides and words every error. */
#ifndef CW_JSONFLAT_H
#define CW_JSONFLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CW_JV_ABSENT = 0,
    CW_JV_NULL,
    CW_JV_BOOL,
    CW_JV_INT,
    CW_JV_REAL,
    CW_JV_STRING,
    CW_JV_OBJECT,
    CW_JV_ARRAY,
} cw_jv_kind_t;

/* One top-level value; text points into the scanned bytes (or into the
 * jansson tree when filled from it). */
typedef struct cw_jv {
    cw_jv_kind_t kind;
    bool boolean;
    int64_t integer;
    const char *text;
    size_t len;
} cw_jv_t;

/* Maps a key to the slot that keeps its value, or -1 for keys not kept. */
typedef int (*cw_jsonflat_slot_fn)(const char *key, size_t len);

/* Scans len bytes. Returns 0 when they are exactly one flat object of the
 * accepted shape (slots of kept keys filled, others untouched), -1 when the
 * caller must use a full parser. */
int cw_jsonflat_scan(const char *text, size_t len, cw_jsonflat_slot_fn slot_of, cw_jv_t *slots);

#endif
