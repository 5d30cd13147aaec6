/* Passwords: checking one against an account's crypt(3) hash, and making a
 * new hash for `cdrwarn-console --hash-password` (yescrypt, "$y$", by
 * default), through libcrypt (libxcrypt on Debian). */
#ifndef CW_PASSWD_H
#define CW_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the password matches the hash (compared in constant time). A hash
 * crypt cannot use ("*", "!", unknown method) never matches. */
bool cw_passwd_check(const char *password, const char *hash);
/* A new hash of the password with a fresh random salt; `prefix` "$y$" or
 * "$6$" (NULL: "$y$"). A new string (cw_free), or NULL with errbuf. */
char *cw_passwd_hash(const char *password, const char *prefix, char *errbuf, size_t size);

#endif
