/* Redis key naming (see keys.h for the layout). */
#include "keys.h"

#include <stdio.h>

#include "week.h"

static size_t finish(int n)
{
    return n < 0 ? 0 : ((size_t)n >= CW_KEY_SIZE ? CW_KEY_SIZE - 1 : (size_t)n);
}

size_t cw_key_meta(char *out, const char *prefix, int32_t partition)
{
    return finish(snprintf(out, CW_KEY_SIZE, "%s{p%d}:meta", prefix, (int)partition));
}

size_t cw_key_outbox(char *out, const char *prefix, int32_t partition)
{
    return finish(snprintf(out, CW_KEY_SIZE, "%s{p%d}:outbox", prefix, (int)partition));
}

size_t cw_key_sub(char *out, const char *prefix, int32_t partition, const char *msisdn)
{
    return finish(snprintf(out, CW_KEY_SIZE, "%s{p%d}:s:%s", prefix, (int)partition, msisdn));
}

size_t cw_key_seen(char *out, const char *prefix, int32_t partition, int32_t week)
{
    char label[CW_WEEK_LABEL_SIZE];
    cw_week_label(week, label);
    return finish(snprintf(out, CW_KEY_SIZE, "%s{p%d}:seen:%s", prefix, (int)partition, label));
}
