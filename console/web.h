/* The console's page: HTML, CSS and JavaScript embedded in the binary. */
#ifndef CW_WEB_H
#define CW_WEB_H

#include "console_env.h"

struct evhttp_request;

/* Serves a file of the page; false when there is no such file. */
int cw_web_serve(cw_console_env_t *env, struct evhttp_request *req, const char *path);

#endif
