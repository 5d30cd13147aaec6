/* The console's staff accounts ([console] users_file, SPEC section 12): one
 * line per account, "name:role:hash", role agent or supervisor, hash a
 * crypt(3) string ($y$ yescrypt, $6$ SHA-512 crypt ...), "#" comments. Parsing
 * is pure; reading the file and checking passwords are passwd.c's. */
#ifndef CW_USERS_H
#define CW_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"

#define CW_USER_NAME_MAX 64

typedef struct cw_user {
    char *name;        /* [A-Za-z0-9._-], 1..64 characters */
    bool supervisor;   /* else agent */
    char *hash;        /* the crypt(3) string */
} cw_user_t;

typedef struct cw_users {
    cw_user_t *items;  /* owned, in file order */
    size_t count;
} cw_users_t;

/* Parses the file's text; `path` names it in errors ("path:line: message";
 * no line ever echoes a hash). Returns 0 and a new list in *out, or the
 * number of errors (all in errs). -1 when out of memory. */
int cw_users_parse(const char *text, size_t len, const char *path, cw_users_t **out,
                   cw_errlist_t *errs);
void cw_users_free(cw_users_t *users);
/* The account of that name, or NULL. Borrowed. */
const cw_user_t *cw_users_find(const cw_users_t *users, const char *name);
/* Whether a user name is well formed (see cw_user_t). */
bool cw_users_name_valid(const char *name);

#endif
