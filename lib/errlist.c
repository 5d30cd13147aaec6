/* Accumulates error lines for reports such as --check-config. */
#include "errlist.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>

void cw_errlist_add(cw_errlist_t *errs, const char *fmt, ...)
{
    errs->count++;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t add = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    char *text = cw_grow(errs->text, &errs->cap, errs->len + add + 2, 1, 256);
    if (text == NULL)
        return;
    errs->text = text;
    for (size_t i = 0; i < add; i++)
        errs->text[errs->len++] = line[i];
    errs->text[errs->len++] = '\n';
    errs->text[errs->len] = '\0';
}

const char *cw_errlist_text(const cw_errlist_t *errs)
{
    return errs->text ? errs->text : "";
}

void cw_errlist_free(cw_errlist_t *errs)
{
    cw_free(errs->text);
    errs->text = NULL;
    errs->len = errs->cap = 0;
    errs->count = 0;
}
