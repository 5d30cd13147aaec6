/* The key reference of cdrwarn.conf(5), filled in from the config table: the
 * page's source names each key once as @section.key@ beside the prose that
 * explains it, and the build replaces that with the key's type, bounds,
 * default and reload behaviour, so the page can neither miss a key nor show
 * a stale default. */
#ifndef CW_CONFDOC_H
#define CW_CONFDOC_H

#include <stddef.h>

#include "config.h"
#include "errlist.h"

#define CW_CONFDOC_LINE_SIZE 256

/* The description of one key in scdoc markup:
 * "Default: *60000* (integer, 100 to 1000000). A change needs a restart."
 * Returns 0, or -1 when out is too small (then out holds a cut copy). */
int cw_confdoc_describe(const cw_config_key_t *key, char *out, size_t size);

/* Replaces every placeholder @<section>.<key>@ of the page source `text`
 * (len bytes) with cw_confdoc_describe's text; "@@" stands for one '@' and
 * any other '@' is copied as it is. On success returns 0 and a new
 * NUL-terminated page in *out (free with cw_free). Otherwise returns the
 * number of errors (> 0), each added to errs as "path:line: message" (an
 * unknown key, a key named twice) or "path: message" (a key of the table
 * the page never names), and *out is NULL; -1 when out of memory. */
int cw_confdoc_expand(const char *text, size_t len, const char *path, char **out,
                      cw_errlist_t *errs);

#endif
