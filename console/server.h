/* The console's HTTP server on [console] listen (libevent evhttp): /healthz,
 * /metrics, and the answer helpers with the security headers every answer
 * carries. The API and the page come in as routes from whoever wires it, so
 * they may use the helpers without the server knowing them. */
#ifndef CW_SERVER_H
#define CW_SERVER_H

#include <jansson.h>

#include "console_env.h"
#include "errlist.h"

struct evhttp_request;
typedef struct cw_server cw_server_t;

/* The requests the server hands on: whoever wires it names the handlers, so
 * the server never calls the API or the page by name. */
typedef struct cw_server_routes {
    /* everything under /api/ */
    void (*api)(cw_console_env_t *env, struct evhttp_request *req, const char *path);
    /* a file of the page (GET or HEAD); false when there is no such file */
    int (*page)(cw_console_env_t *env, struct evhttp_request *req, const char *path);
} cw_server_routes_t;

cw_server_t *cw_server_new(cw_console_env_t *env, const cw_server_routes_t *routes,
                           cw_errlist_t *errs);
void cw_server_free(cw_server_t *server);

/* Answers with a JSON body (the reference is taken) and counts the status. */
void cw_server_reply_json(cw_console_env_t *env, struct evhttp_request *req, int code,
                          json_t *body);
/* {"error": message} with the status. */
void cw_server_reply_error(cw_console_env_t *env, struct evhttp_request *req, int code,
                           const char *message);
/* Any body with its content type. */
void cw_server_reply(cw_console_env_t *env, struct evhttp_request *req, int code,
                     const char *type, const char *body, size_t len);
/* The headers every answer gets (CSP, no sniffing, no framing, no referrer). */
void cw_server_security_headers(struct evhttp_request *req);

#endif
