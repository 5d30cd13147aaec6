/* The console's HTTP server on [console] listen (libevent evhttp): the page,
 * the JSON API under /api/, the live stream, /healthz and /metrics, with the
 * security headers every answer carries. */
#ifndef CW_SERVER_H
#define CW_SERVER_H

#include <jansson.h>

#include "console.h"
#include "errlist.h"

struct evhttp_request;

cw_server_t *cw_server_new(cw_console_t *console, cw_errlist_t *errs);
void cw_server_free(cw_server_t *server);

/* Answers with a JSON body (the reference is taken) and counts the status. */
void cw_server_reply_json(cw_console_t *console, struct evhttp_request *req, int code,
                          json_t *body);
/* {"error": message} with the status. */
void cw_server_reply_error(cw_console_t *console, struct evhttp_request *req, int code,
                           const char *message);
/* Any body with its content type. */
void cw_server_reply(cw_console_t *console, struct evhttp_request *req, int code,
                     const char *type, const char *body, size_t len);
/* The headers every answer gets (CSP, no sniffing, no framing, no referrer). */
void cw_server_security_headers(struct evhttp_request *req);

/* The API (api.c) and the page (web.c). */
void cw_api_handle(cw_console_t *console, struct evhttp_request *req, const char *path);
/* Serves a file of the page; false when there is no such file. */
int cw_web_serve(cw_console_t *console, struct evhttp_request *req, const char *path);

#endif
