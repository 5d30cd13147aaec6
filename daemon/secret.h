/* Secrets from files ([redis] password_file), and the warning an operator
 * needs when a file holding a secret can be read by other users. Secrets are
 * never logged, and never cut: one too long for its buffer is an error. */
#ifndef CW_SECRET_H
#define CW_SECRET_H

#include <stdbool.h>

#include "config.h"
#include "errlist.h"

/* The longest secret a password file may hold, in bytes. */
#define CW_SECRET_MAX_BYTES 1024

/* Reads the file's first line (its newline and trailing whitespace dropped)
 * into a new string; NULL with the reason in errs (naming the file, never
 * its content) when the file cannot be read, the line is empty, longer than
 * CW_SECRET_MAX_BYTES or holds a NUL byte. */
char *cw_secret_read(const char *path, cw_errlist_t *errs);
/* Logs a warning when the file is readable by group or others. `what` says
 * which secret it holds. Returns 1 when it warned, else 0. */
int cw_secret_warn_if_exposed(const char *path, const char *what);
/* The Redis password of the config ([redis] password_file, or password),
 * warning when its file is readable by others; NULL when there is none or
 * with the reason in errs (then *failed is set). */
char *cw_secret_redis_password(const cw_config_t *config, cw_errlist_t *errs, bool *failed);
/* Overwrites and frees a secret. */
void cw_secret_free(char *secret);

#endif
