/* One allocation wrapper for the whole project, with a hook so tests can fail
 * the Nth allocation and prove the error paths. */
#ifndef CW_ALLOC_H
#define CW_ALLOC_H

#include <stddef.h>

/* All return NULL on failure (real or injected); never abort. */
void *cw_malloc(size_t size);
void *cw_calloc(size_t count, size_t size);
void *cw_realloc(void *ptr, size_t size);
char *cw_strdup(const char *s);
char *cw_strndup(const char *s, size_t n);
void cw_free(void *ptr);

/* Test hook: let `count` more allocations succeed, then fail every one after.
 * A negative count switches injection off (the default). */
void cw_alloc_fail_after(long count);

#endif
