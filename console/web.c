/* The page (SPEC section 12): plain HTML, CSS and JavaScript from
 * console/web/, embedded into the binary at build time, so the console needs
 * no files beside it and the browser fetches nothing from anywhere else. */
#include "web.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <string.h>

#include "server.h"

extern const char cw_web_index_html[];
extern const char cw_web_app_css[];
extern const char cw_web_app_js[];
extern const char cw_web_icon_svg[];

static const struct {
    const char *path;
    const char *type;
    const char *body;
} files[] = {
    {"/", "text/html; charset=utf-8", cw_web_index_html},
    {"/index.html", "text/html; charset=utf-8", cw_web_index_html},
    {"/app.css", "text/css; charset=utf-8", cw_web_app_css},
    {"/app.js", "text/javascript; charset=utf-8", cw_web_app_js},
    {"/icon.svg", "image/svg+xml", cw_web_icon_svg},
    {"/favicon.ico", "image/svg+xml", cw_web_icon_svg},
};

int cw_web_serve(cw_console_env_t *env, struct evhttp_request *req, const char *path)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(path, files[i].path) != 0)
            continue;
        /* a new build may change them; the browser asks again each time */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
        cw_server_reply(env, req, 200, files[i].type, files[i].body,
                        strlen(files[i].body));
        return 1;
    }
    return 0;
}
