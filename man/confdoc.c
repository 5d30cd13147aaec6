/* Build step of the man pages: reads the source of cdrwarn.conf(5) with its
 * @section.key@ placeholders, writes the scdoc page with each key's type,
 * bounds, default and reload behaviour taken from the config table
 * (lib/confdoc.c), and fails the build when the page and the table disagree.
 * Usage: cw-confdoc IN OUT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "confdoc.h"
#include "errlist.h"

#define MAX_SOURCE_BYTES (1024 * 1024)

static char *slurp(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "cw-confdoc: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = cw_malloc(MAX_SOURCE_BYTES + 1);
    size_t n = text ? fread(text, 1, MAX_SOURCE_BYTES + 1, file) : 0;
    int failed = text == NULL || ferror(file) || n > MAX_SOURCE_BYTES;
    fclose(file);
    if (failed) {
        fprintf(stderr, "cw-confdoc: %s: cannot read it (or over %d bytes)\n", path,
                MAX_SOURCE_BYTES);
        cw_free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cw-confdoc IN OUT\n");
        return 2;
    }
    size_t len = 0;
    char *source = slurp(argv[1], &len);
    if (source == NULL)
        return 1;
    cw_errlist_t errs = CW_ERRLIST_INIT;
    char *page = NULL;
    int rc = cw_confdoc_expand(source, len, argv[1], &page, &errs);
    cw_free(source);
    if (rc != 0) {
        fputs(rc < 0 ? "cw-confdoc: out of memory\n" : cw_errlist_text(&errs), stderr);
        cw_errlist_free(&errs);
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    int failed = out == NULL || fputs(page, out) == EOF;
    if (out != NULL && fclose(out) != 0)
        failed = 1;
    if (failed) {
        fprintf(stderr, "cw-confdoc: %s: %s\n", argv[2], strerror(errno));
        remove(argv[2]);
    }
    cw_free(page);
    return failed ? 1 : 0;
}
