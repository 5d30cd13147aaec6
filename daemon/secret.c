/* Reading secrets from files and warning about loose permissions. */
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "log.h"

char *cw_secret_read(const char *path, cw_errlist_t *errs)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        cw_errlist_add(errs, "%s: cannot read the password file: %s", path, strerror(errno));
        return NULL;
    }
    char line[1024];
    char *secret = NULL;
    if (fgets(line, sizeof line, f) != NULL) {
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        if (len == 0)
            cw_errlist_add(errs, "%s: the password file's first line is empty", path);
        else
            secret = cw_strdup(line);
    } else {
        cw_errlist_add(errs, "%s: the password file is empty", path);
    }
    memset(line, 0, sizeof line);
    fclose(f);
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

void cw_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    memset(secret, 0, strlen(secret));
    cw_free(secret);
}
