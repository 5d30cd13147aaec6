/* Reading secrets from files and warning about loose permissions. */
#include "secret.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "log.h"

/* Room for the longest secret and some trailing whitespace to drop. */
#define LINE_BYTES (CW_SECRET_MAX_BYTES + 64)

char *cw_secret_read(const char *path, cw_errlist_t *errs)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        cw_errlist_add(errs, "%s: cannot read the password file: %s", path,
                       strerror(errno));
        return NULL;
    }
    char line[LINE_BYTES];
    size_t len = 0;
    bool too_long = false, nul = false;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (len == sizeof line) {
            too_long = true;
            break;
        }
        nul = nul || c == '\0';
        line[len++] = (char)c;
    }
    bool empty_file = len == 0 && c == EOF && !ferror(f);
    bool failed = ferror(f) != 0;
    fclose(f);
    while (len > 0 &&
           (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    char *secret = NULL;
    if (failed)
        cw_errlist_add(errs, "%s: cannot read the password file", path);
    else if (too_long || len > CW_SECRET_MAX_BYTES)
        cw_errlist_add(
            errs,
            "%s: the password file's first line is longer than %d bytes; it is "
            "refused rather than cut",
            path, CW_SECRET_MAX_BYTES);
    else if (nul)
        cw_errlist_add(errs, "%s: the password file's first line holds a NUL byte", path);
    else if (empty_file)
        cw_errlist_add(errs, "%s: the password file is empty", path);
    else if (len == 0)
        cw_errlist_add(errs, "%s: the password file's first line is empty", path);
    else if ((secret = cw_strndup(line, len)) == NULL)
        cw_errlist_add(errs, "%s: out of memory", path);
    memset(line, 0, sizeof line);
    return secret;
}

int cw_secret_warn_if_exposed(const char *path, const char *what)
{
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return 0;
    cw_log(LOG_WARNING,
           "SECURITY: %s holds %s and is readable by other users (mode %04o); "
           "run: chmod 600 %s",
           path, what, (unsigned)(st.st_mode & 07777), path);
    return 1;
}

char *cw_secret_redis_password(const cw_config_t *config, cw_errlist_t *errs, bool *failed)
{
    char *password = NULL;
    if (config->redis_password_file != NULL) {
        cw_secret_warn_if_exposed(config->redis_password_file, "the Redis password");
        password = cw_secret_read(config->redis_password_file, errs);
    } else if (config->redis_password != NULL) {
        password = cw_strdup(config->redis_password);
    }
    *failed = password == NULL &&
              (config->redis_password_file != NULL || config->redis_password != NULL);
    return password;
}

void cw_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    memset(secret, 0, strlen(secret));
    cw_free(secret);
}
