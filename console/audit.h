/* The audit log ([console] audit_log): one JSON line for every full-number
 * display (who, when, which case, from where) and every sign-in, appended
 * and flushed before the number leaves the console. When a line cannot be
 * written the number is not shown: no display goes unrecorded. */
#ifndef CW_AUDIT_H
#define CW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_audit cw_audit_t;

/* Opens (creates, mode 0640) the file for appending; NULL with errbuf. */
cw_audit_t *cw_audit_open(const char *path, char *errbuf, size_t size);
void cw_audit_close(cw_audit_t *audit);
/* Appends {"at":"<RFC 3339 UTC>","ts":<ms>,"user","action","case","week",
 * "msisdn" (masked),"from"}; NULL fields are left out; a monthly case's
 * period (YYYY-MM) goes in as "month" instead of "week". Returns 0, or -1 when
 * the line could not be written whole. */
int cw_audit_write(cw_audit_t *audit, int64_t now_ms, const char *user,
                   const char *action, const char *case_id, const char *week,
                   const char *msisdn_masked, const char *from);

#endif
