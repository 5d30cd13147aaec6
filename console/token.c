/* Base64url, constant-time comparison and cookie lookup (see token.h). */
#include "token.h"

#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *cw_token_b64url(const uint8_t *data, size_t len, char *out)
{
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

bool cw_token_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    /* walk the longer one whole so the time does not tell where they differ */
    size_t n = la > lb ? la : lb;
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = i < la ? (unsigned char)a[i] : 0;
        unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
        diff |= (unsigned)(ca ^ cb);
    }
    return diff == 0;
}

bool cw_token_valid(const char *text, size_t max)
{
    if (text == NULL)
        return false;
    size_t len = strlen(text);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

int cw_token_cookie(const char *header, const char *name, char *out, size_t size)
{
    if (header == NULL || size == 0)
        return -1;
    size_t name_len = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == ';' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t item_len = end ? (size_t)(end - p) : strlen(p);
        if (item_len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            size_t value_len = item_len - name_len - 1;
            while (value_len > 0 && p[name_len + 1 + value_len - 1] == ' ')
                value_len--;
            if (value_len >= size)
                return -1;
            memcpy(out, p + name_len + 1, value_len);
            out[value_len] = '\0';
            return 0;
        }
        p += item_len;
    }
    return -1;
}
