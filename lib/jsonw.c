/* Append-only JSON writer (see jsonw.h). */
#include "jsonw.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

static void append(cw_jsonw_t *w, const char *text, size_t n)
{
    if (w->failed)
        return;
    char *buf = cw_grow(w->buf, &w->cap, w->len + n + 1, 1, 512);
    if (buf == NULL) {
        w->failed = true;
        return;
    }
    w->buf = buf;
    memcpy(w->buf + w->len, text, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Something is about to be written where a member or element goes: the
 * comma before it, unless it is the first or the value right after a key. */
static void separate(cw_jsonw_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth - 1])
            append(w, ",", 1);
        w->first[w->depth - 1] = false;
    }
}

static void quoted(cw_jsonw_t *w, const char *text)
{
    append(w, "\"", 1);
    const char *run = text;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        append(w, run, (size_t)(p - run));
        char esc[8];
        int n = (c == '"' || c == '\\') ? snprintf(esc, sizeof esc, "\\%c", c)
                                        : snprintf(esc, sizeof esc, "\\u%04x", c);
        append(w, esc, (size_t)n);
        run = p + 1;
    }
    append(w, run, strlen(run));
    append(w, "\"", 1);
}

static void open_container(cw_jsonw_t *w, char opening, char closing)
{
    separate(w);
    if (w->depth == CW_JSONW_DEPTH) {
        w->failed = true;
        return;
    }
    append(w, &opening, 1);
    w->first[w->depth] = true;
    w->closing[w->depth++] = closing;
}

void cw_jsonw_init(cw_jsonw_t *w)
{
    memset(w, 0, sizeof *w);
}

void cw_jsonw_object(cw_jsonw_t *w)
{
    open_container(w, '{', '}');
}

void cw_jsonw_array(cw_jsonw_t *w)
{
    open_container(w, '[', ']');
}

void cw_jsonw_end(cw_jsonw_t *w)
{
    if (w->depth == 0 || w->after_key) {
        w->failed = true;
        return;
    }
    w->depth--;
    append(w, &w->closing[w->depth], 1);
}

void cw_jsonw_key(cw_jsonw_t *w, const char *key)
{
    separate(w);
    quoted(w, key);
    append(w, ":", 1);
    w->after_key = true;
}

void cw_jsonw_string(cw_jsonw_t *w, const char *text)
{
    separate(w);
    quoted(w, text ? text : "");
}

void cw_jsonw_int(cw_jsonw_t *w, int64_t value)
{
    separate(w);
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)value);
    append(w, text, (size_t)n);
}

void cw_jsonw_null(cw_jsonw_t *w)
{
    separate(w);
    append(w, "null", 4);
}

void cw_jsonw_bool(cw_jsonw_t *w, bool value)
{
    separate(w);
    if (value)
        append(w, "true", 4);
    else
        append(w, "false", 5);
}

char *cw_jsonw_take(cw_jsonw_t *w, size_t *len)
{
    if (w->failed || w->depth != 0 || w->buf == NULL) {
        cw_free(w->buf);
        w->buf = NULL;
        return NULL;
    }
    char *out = w->buf;
    if (len != NULL)
        *len = w->len;
    w->buf = NULL;
    return out;
}
