/* Which configuration values are secrets: the rule the permission check of
 * the config file follows, so that any secret in it, not only the Redis
 * password, makes a file readable by other users worth a warning. */
#ifndef CW_SECRETS_H
#define CW_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Whether a [kafka] property.<name> holds a secret (name without
 * "property."): its name contains "password" or "secret"
 * (sasl.password, ssl.key.password, ssl.keystore.password,
 * sasl.oauthbearer.client.secret), or "key.pem" (ssl.key.pem, a private key
 * inline); case ignored. */
bool cw_secrets_property(const char *name);

/* Names the secrets written in the config file itself, for a warning:
 * "the Redis password" for [redis] password, "[kafka] property.<name>" for
 * each secret property, in file order, joined with ", " (cut to size with
 * "..." when they do not fit). Returns how many there are; out is "" when
 * none. Never writes a value. */
int cw_secrets_in_config(const cw_config_t *config, char *out, size_t size);

#endif
