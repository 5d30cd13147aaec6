/* Secrets from files ([redis] password_file), and the warning an operator
 * needs when a file holding a secret can be read by other users. Secrets are
 * never logged. */
#ifndef CW_SECRET_H
#define CW_SECRET_H

#include "errlist.h"

/* Reads the file's first line (trailing newline and whitespace dropped) into
 * a new string; NULL with the reason in errs. */
char *cw_secret_read(const char *path, cw_errlist_t *errs);
/* Logs a warning when the file is readable by group or others. `what` says
 * which secret it holds. Returns 1 when it warned, else 0. */
int cw_secret_warn_if_exposed(const char *path, const char *what);
/* Overwrites and frees a secret. */
void cw_secret_free(char *secret);

#endif
