/* Redis key naming (see keys.h). Keys are built by hand, not with
 * snprintf: two per subscriber per step make this a hot path. */
#include "keys.h"

#include <string.h>


/* Appends src to out at *len, never past CW_KEY_SIZE - 1. */
static void put(char *out, size_t *len, const char *src, size_t n)
{
    if (*len + n > CW_KEY_SIZE - 1)
        n = CW_KEY_SIZE - 1 - *len;
    memcpy(out + *len, src, n);
    *len += n;
}

/* "<prefix>{p<partition>}:" */
static size_t tagged(char *out, const char *prefix, int32_t partition)
{
    size_t len = 0;
    put(out, &len, prefix, strlen(prefix));
    put(out, &len, "{p", 2);
    char digits[12];
    int n = 0;
    uint32_t value = partition < 0 ? 0 : (uint32_t)partition;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n > 0)
        put(out, &len, &digits[--n], 1);
    put(out, &len, "}:", 2);
    return len;
}

static size_t finish(char *out, size_t len, const char *kind, const char *suffix)
{
    put(out, &len, kind, strlen(kind));
    if (suffix != NULL)
        put(out, &len, suffix, strlen(suffix));
    out[len] = '\0';
    return len;
}

size_t cw_key_meta(char *out, const char *prefix, int32_t partition)
{
    return finish(out, tagged(out, prefix, partition), "meta", NULL);
}

size_t cw_key_outbox(char *out, const char *prefix, int32_t partition)
{
    return finish(out, tagged(out, prefix, partition), "outbox", NULL);
}

size_t cw_key_sub(char *out, const char *prefix, int32_t partition, const char *msisdn)
{
    return finish(out, tagged(out, prefix, partition), "s:", msisdn);
}

size_t cw_key_pattern(char *out, const char *prefix, const char *kind)
{
    size_t len = 0;
    put(out, &len, prefix, strlen(prefix));
    put(out, &len, "{p*}:", 5);
    return finish(out, len, kind, NULL);
}

size_t cw_key_seen(char *out, const char *prefix, int32_t partition, cw_period_t period,
                   int32_t index)
{
    char label[CW_PERIOD_LABEL_SIZE];
    cw_period_label(period, index, label);
    return finish(out, tagged(out, prefix, partition), "seen:", label);
}
