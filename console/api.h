/* The console's JSON API under /api/ (SPEC section 12): sign-in, the cases,
 * their workflow, the reports and the live stream. */
#ifndef CW_API_H
#define CW_API_H

#include "console_env.h"

struct evhttp_request;

/* Answers a request whose path starts with /api/. */
void cw_api_handle(cw_console_env_t *env, struct evhttp_request *req, const char *path);

#endif
