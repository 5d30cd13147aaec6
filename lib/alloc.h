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

/* The array `items` (of `size`-byte elements, *cap of them) made to hold at
 * least `need`: itself when it already does, else a bigger copy (capacity
 * doubled from `first`, or more) with *cap updated. NULL only when out of
 * memory or when the bytes would overflow size_t: items is then unchanged and
 * still the caller's, *cap too. Returns the array rather than taking void **
 * so callers need no aliasing casts. */
void *cw_grow(void *items, size_t *cap, size_t need, size_t size, size_t first);

/* Test hook: let `count` more allocations succeed, then fail every one after.
 * A negative count switches injection off (the default). */
void cw_alloc_fail_after(long count);

#endif
