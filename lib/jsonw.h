/* A small append-only JSON writer: objects, arrays, strings, integers,
 * booleans and null, written straight into one growing buffer with the
 * commas placed for the caller. For output whose shape the code fixes
 * (alerts, outcomes, score records), it avoids building a tree of
 * allocations first. */
#ifndef CW_JSONW_H
#define CW_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_JSONW_DEPTH 8

typedef struct cw_jsonw {
    char *buf;      /* owned until taken with cw_jsonw_take */
    size_t len, cap;
    bool failed;    /* out of memory or nesting too deep: the result is NULL */
    int depth;
    bool first[CW_JSONW_DEPTH];    /* no member written yet at this depth */
    char closing[CW_JSONW_DEPTH];  /* '}' or ']' */
    bool after_key;
} cw_jsonw_t;

void cw_jsonw_init(cw_jsonw_t *w);
void cw_jsonw_object(cw_jsonw_t *w); /* { */
void cw_jsonw_array(cw_jsonw_t *w);  /* [ */
void cw_jsonw_end(cw_jsonw_t *w);    /* } or ] */
void cw_jsonw_key(cw_jsonw_t *w, const char *key);
void cw_jsonw_string(cw_jsonw_t *w, const char *text);
void cw_jsonw_int(cw_jsonw_t *w, int64_t value);
void cw_jsonw_null(cw_jsonw_t *w);
void cw_jsonw_bool(cw_jsonw_t *w, bool value);
/* The NUL-terminated text (free with cw_free) and its length; NULL when
 * anything failed (the buffer is then freed). */
char *cw_jsonw_take(cw_jsonw_t *w, size_t *len);

#endif
