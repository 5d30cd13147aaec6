/* The number plan (SPEC section 4): which operator a number belongs to,
 * whether it is a rival's customer-service or staff number, and whether it is
 * our own customer-service centre (SPEC section 14). Prefixes live in a
 * digit trie, so a lookup costs at most 15 steps whatever the table size;
 * ported numbers and service numbers live in hash tables. Built once at
 * start or reload, then read-only: lookups need no locking. */
#ifndef CW_NUMPLAN_H
#define CW_NUMPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"

typedef struct cw_numplan cw_numplan_t;

typedef enum {
    CW_OWNER_UNKNOWN = 0, /* no ported entry, no matching prefix */
    CW_OWNER_OWN,         /* an operator named in own_prefixes */
    CW_OWNER_RIVAL,       /* a known operator that is not ours */
} cw_owner_t;

/* New, empty plan; NULL when out of memory. Free with cw_numplan_free. */
cw_numplan_t *cw_numplan_new(const char *country_code);
void cw_numplan_free(cw_numplan_t *plan);

/* Adders: `number`/`prefix` are normalised with the plan's country code
 * (prefixes are taken as digits as written). Return 0, or -1 with the reason
 * in errbuf. Operator names are case-sensitive words. A prefix listed twice
 * keeps the last operator. */
int cw_numplan_add_prefix(cw_numplan_t *plan, const char *prefix, const char *operator_name,
                          bool own, char *errbuf, size_t errbuf_size);
int cw_numplan_add_ported(cw_numplan_t *plan, const char *number, const char *operator_name,
                          char *errbuf, size_t errbuf_size);
int cw_numplan_add_service(cw_numplan_t *plan, const char *number, char *errbuf,
                           size_t errbuf_size);
/* An own customer-service number ([numbers] own_service_numbers). */
int cw_numplan_add_own_service(cw_numplan_t *plan, const char *number, char *errbuf,
                               size_t errbuf_size);

/* File loaders. Lines: "<prefix> <operator>" (prefix files),
 * "<number> <operator>" (ported), "<number>" (staff numbers); '#' starts a
 * comment, blank lines are skipped. Every bad line is added to `errs` as
 * "path:line: message"; returns the number of errors (0 = loaded). The
 * parse_* variants take the file's bytes, for tests and fuzzing. */
int cw_numplan_load_prefixes(cw_numplan_t *plan, const char *path, bool own,
                             cw_errlist_t *errs);
int cw_numplan_load_ported(cw_numplan_t *plan, const char *path, cw_errlist_t *errs);
int cw_numplan_load_services(cw_numplan_t *plan, const char *path, cw_errlist_t *errs);
int cw_numplan_parse_prefixes(cw_numplan_t *plan, const char *text, size_t len,
                              const char *path, bool own, cw_errlist_t *errs);
int cw_numplan_parse_ported(cw_numplan_t *plan, const char *text, size_t len,
                            const char *path, cw_errlist_t *errs);
int cw_numplan_parse_services(cw_numplan_t *plan, const char *text, size_t len,
                              const char *path, cw_errlist_t *errs);

/* Lookups take a normalised number (digits, NUL-terminated). */
cw_owner_t cw_numplan_owner(const cw_numplan_t *plan, const char *number);
/* The operator's name, or NULL when unknown; borrowed for the plan's life. */
const char *cw_numplan_operator(const cw_numplan_t *plan, const char *number);
bool cw_numplan_is_rival_service(const cw_numplan_t *plan, const char *number);
bool cw_numplan_is_own_service(const cw_numplan_t *plan, const char *number);

/* Counts, for logs and metrics. */
size_t cw_numplan_prefix_count(const cw_numplan_t *plan);
size_t cw_numplan_ported_count(const cw_numplan_t *plan);
size_t cw_numplan_service_count(const cw_numplan_t *plan);
size_t cw_numplan_own_service_count(const cw_numplan_t *plan);

#endif
