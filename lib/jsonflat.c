/* Zero-allocation scanner for flat event objects (see jsonflat.h). */
#include "jsonflat.h"

#include <string.h>

/* Unknown keys are remembered to catch duplicates among them; an object
 * with more of them than this is left to the full parser. */
#define MAX_OTHER_KEYS 16
#define MAX_INT_DIGITS 18 /* always fits in int64 */

typedef struct {
    const char *p, *end;
} scan_t;

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* A string without escapes, control characters or non-ASCII bytes. */
static int scan_string(scan_t *s, const char **text, size_t *len)
{
    if (s->p >= s->end || *s->p != '"')
        return -1;
    const char *start = ++s->p;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *text = start;
            *len = (size_t)(s->p - start);
            s->p++;
            return 0;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return -1;
        s->p++;
    }
    return -1;
}

/* An integer in JSON's grammar of at most MAX_INT_DIGITS digits; reals
 * and longer numbers are declined (overflow wording belongs to jansson). */
static int scan_integer(scan_t *s, int64_t *value)
{
    bool negative = false;
    if (s->p < s->end && *s->p == '-') {
        negative = true;
        s->p++;
    }
    const char *digits = s->p;
    int64_t v = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (s->p - digits == MAX_INT_DIGITS)
            return -1; /* checked before multiplying: no overflow */
        v = v * 10 + (*s->p - '0');
        s->p++;
    }
    size_t n = (size_t)(s->p - digits);
    if (n == 0 || (n > 1 && digits[0] == '0'))
        return -1;
    if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
        return -1;
    *value = negative ? -v : v;
    return 0;
}

static int scan_literal(scan_t *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

static int scan_value(scan_t *s, cw_jv_t *v)
{
    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case '"':
        v->kind = CW_JV_STRING;
        return scan_string(s, &v->text, &v->len);
    case 't':
        v->kind = CW_JV_BOOL;
        v->boolean = true;
        return scan_literal(s, "true", 4);
    case 'f':
        v->kind = CW_JV_BOOL;
        v->boolean = false;
        return scan_literal(s, "false", 5);
    case 'n':
        v->kind = CW_JV_NULL;
        return scan_literal(s, "null", 4);
    default:
        v->kind = CW_JV_INT;
        return scan_integer(s, &v->integer);
    }
}

int cw_jsonflat_scan(const char *text, size_t len, cw_jsonflat_slot_fn slot_of, cw_jv_t *slots)
{
    scan_t s = {text, text + len};
    struct {
        const char *key;
        size_t len;
    } others[MAX_OTHER_KEYS];
    size_t other_count = 0;

    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return -1;
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            const char *key;
            size_t key_len;
            skip_ws(&s);
            if (scan_string(&s, &key, &key_len) != 0)
                return -1;
            skip_ws(&s);
            if (s.p >= s.end || *s.p != ':')
                return -1;
            s.p++;
            skip_ws(&s);
            cw_jv_t value = {0};
            if (scan_value(&s, &value) != 0)
                return -1;
            int slot = slot_of(key, key_len);
            if (slot >= 0) {
                if (slots[slot].kind != CW_JV_ABSENT)
                    return -1; /* a duplicate key: jansson words the error */
                slots[slot] = value;
            } else {
                for (size_t i = 0; i < other_count; i++)
                    if (others[i].len == key_len && memcmp(others[i].key, key, key_len) == 0)
                        return -1;
                if (other_count == MAX_OTHER_KEYS)
                    return -1;
                others[other_count].key = key;
                others[other_count++].len = key_len;
            }
            skip_ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                continue;
            }
            if (s.p < s.end && *s.p == '}') {
                s.p++;
                break;
            }
            return -1;
        }
    }
    skip_ws(&s);
    return s.p == s.end ? 0 : -1;
}
