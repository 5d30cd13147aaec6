/* GET /healthz and GET /metrics on [http] listen (libevent evhttp). */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include "daemon.h"
#include "errlist.h"

/* Binds the listen address; NULL with the reason in errs. */
cw_http_t *cw_http_new(cw_daemon_t *daemon, const char *listen, cw_errlist_t *errs);
void cw_http_free(cw_http_t *http);

/* Why the daemon is not healthy, as a JSON array of strings into buf (an
 * empty array when healthy); returns true when healthy. */
bool cw_http_health(const cw_daemon_t *daemon, char *buf, size_t size);

#endif
