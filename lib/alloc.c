/* Allocation wrapper with failure injection for tests (see alloc.h). */
#include "alloc.h"

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
