/* Which configuration values are secrets (see secrets.h for the rule). */
#include "secrets.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* strcasestr without the GNU extension */
static bool contains(const char *name, const char *part)
{
    size_t len = strlen(part);
    for (; *name != '\0'; name++)
        if (strncasecmp(name, part, len) == 0)
            return true;
    return false;
}

bool cw_secrets_property(const char *name)
{
    return contains(name, "password") || contains(name, "secret") ||
           contains(name, "key.pem");
}

/* Appends one name; false once out is full (then ends with "..."). */
static bool append(char *out, size_t size, size_t *len, const char *prefix,
                   const char *name)
{
    int n = snprintf(out + *len, size - *len, "%s%s%s", *len ? ", " : "", prefix, name);
    if (n >= 0 && (size_t)n < size - *len) {
        *len += (size_t)n;
        return true;
    }
    if (size >= 4)
        memcpy(out + size - 4, "...", 4);
    *len = size - 1;
    return false;
}

int cw_secrets_in_config(const cw_config_t *config, char *out, size_t size)
{
    int count = 0;
    size_t len = 0;
    bool room = size > 0;
    if (room)
        out[0] = '\0';
    if (config->redis_password != NULL) {
        count++;
        room = room && append(out, size, &len, "", "the Redis password");
    }
    for (size_t i = 0; i < config->kafka_prop_count; i++) {
        if (!cw_secrets_property(config->kafka_props[i].name))
            continue;
        count++;
        room = room &&
               append(out, size, &len, "[kafka] property.", config->kafka_props[i].name);
    }
    return count;
}
