/* Allocation wrapper with failure injection for tests (see alloc.h). */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;

static int should_fail(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void cw_alloc_fail_after(long count)
{
    fail_countdown = count;
}

void *cw_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *cw_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *cw_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : realloc(ptr, size ? size : 1);
}

void *cw_grow(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
    /* an empty array is allocated even for need 0, so NULL means out of memory */
    if (need <= *cap && items != NULL)
        return items;
    /* a non-empty array gets here only when need > *cap: it at least doubles */
    size_t grown = *cap > 0 ? *cap : first > 0 ? first : 1;
    while (grown < need) {
        if (grown > SIZE_MAX / 2)
            return NULL;
        grown *= 2;
    }
    if (size > 0 && grown > SIZE_MAX / size)
        return NULL;
    void *bigger = cw_realloc(items, grown * size);
    if (bigger == NULL)
        return NULL;
    *cap = grown;
    return bigger;
}

char *cw_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = cw_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *cw_strdup(const char *s)
{
    return cw_strndup(s, strlen(s));
}

void cw_free(void *ptr)
{
    free(ptr);
}
