/* crypt(3) password checks and hashes (see passwd.h). */
#include "passwd.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "token.h"

bool cw_passwd_check(const char *password, const char *hash)
{
    if (password == NULL || hash == NULL || hash[0] != '$')
        return false;
    struct crypt_data *data = cw_calloc(1, sizeof *data);
    if (data == NULL)
        return false;
    const char *out = crypt_r(password, hash, data);
    /* libxcrypt answers a failure with a string starting with '*' */
    bool ok = out != NULL && out[0] != '*' && cw_token_equal(out, hash);
    memset(data, 0, sizeof *data);
    cw_free(data);
    return ok;
}

char *cw_passwd_hash(const char *password, const char *prefix, char *errbuf, size_t size)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(prefix ? prefix : "$y$", 0, NULL, 0, setting, sizeof setting) ==
        NULL) {
        snprintf(errbuf, size, "cannot make a salt for %s: %s", prefix ? prefix : "$y$",
                 strerror(errno));
        return NULL;
    }
    struct crypt_data *data = cw_calloc(1, sizeof *data);
    if (data == NULL) {
        snprintf(errbuf, size, "out of memory");
        return NULL;
    }
    const char *out = crypt_r(password, setting, data);
    char *hash = NULL;
    if (out == NULL || out[0] == '*')
        snprintf(errbuf, size, "crypt failed: %s", strerror(errno));
    else if ((hash = cw_strdup(out)) == NULL)
        snprintf(errbuf, size, "out of memory");
    memset(data, 0, sizeof *data);
    cw_free(data);
    return hash;
}
