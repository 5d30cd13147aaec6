/* A growing list of human-readable error lines ("path:line: key: message"),
 * so a config check can report every problem at once, not just the first. */
#ifndef CW_ERRLIST_H
#define CW_ERRLIST_H

#include <stddef.h>

typedef struct cw_errlist {
    char *text;   /* owned; newline-separated lines, NUL-terminated; NULL when empty */
    size_t len;
    size_t cap;
    int count;    /* number of lines added */
} cw_errlist_t;

#define CW_ERRLIST_INIT {NULL, 0, 0, 0}

/* Appends one line (a newline is added). Out of memory: the line is lost but
 * count still grows, so the caller still sees that something failed. */
void cw_errlist_add(cw_errlist_t *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text, or "" when empty; borrowed until the next add or free. */
const char *cw_errlist_text(const cw_errlist_t *errs);
void cw_errlist_free(cw_errlist_t *errs);

#endif
