/* Parsing the accounts file (see users.h). */
#include "users.h"

#include <string.h>

#include "alloc.h"

bool cw_users_name_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > CW_USER_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool hash_plausible(const char *hash)
{
    size_t len = strlen(hash);
    if (len < 13 || len > 512)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hash[i] <= ' ' || hash[i] > '~' || hash[i] == ':')
            return false;
    return true;
}

void cw_users_free(cw_users_t *users)
{
    if (users == NULL)
        return;
    for (size_t i = 0; i < users->count; i++) {
        cw_free(users->items[i].name);
        if (users->items[i].hash) {
            memset(users->items[i].hash, 0, strlen(users->items[i].hash));
            cw_free(users->items[i].hash);
        }
    }
    cw_free(users->items);
    cw_free(users);
}

const cw_user_t *cw_users_find(const cw_users_t *users, const char *name)
{
    for (size_t i = 0; users && name && i < users->count; i++)
        if (strcmp(users->items[i].name, name) == 0)
            return &users->items[i];
    return NULL;
}

int cw_users_parse(const char *text, size_t len, const char *path, cw_users_t **out,
                   cw_errlist_t *errs)
{
    *out = NULL;
    cw_users_t *users = cw_calloc(1, sizeof *users);
    if (users == NULL)
        return -1;
    int errors = 0;
    size_t cap = 0;
    int line_no = 0;
    size_t pos = 0;
    while (pos < len) {
        line_no++;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - start) : len - pos;
        pos += line_len + (nl ? 1 : 0);
        char line[1024];
        if (line_len >= sizeof line) {
            cw_errlist_add(errs, "%s:%d: line too long", path, line_no);
            errors++;
            continue;
        }
        memcpy(line, start, line_len);
        line[line_len] = '\0';
        /* trailing CR and blanks, leading blanks */
        while (line_len > 0 && (line[line_len - 1] == '\r' || line[line_len - 1] == ' ' ||
                                line[line_len - 1] == '\t'))
            line[--line_len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        char *c1 = strchr(p, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL) {
            /* never echo the line: it may hold a password typed by mistake */
            cw_errlist_add(errs, "%s:%d: expected name:role:hash", path, line_no);
            errors++;
            continue;
        }
        *c1 = *c2 = '\0';
        const char *name = p, *role = c1 + 1, *hash = c2 + 1;
        if (!cw_users_name_valid(name)) {
            cw_errlist_add(errs, "%s:%d: user name: expected 1..%d of A-Z a-z 0-9 . _ -", path,
                           line_no, CW_USER_NAME_MAX);
            errors++;
            continue;
        }
        bool supervisor = strcmp(role, "supervisor") == 0;
        if (!supervisor && strcmp(role, "agent") != 0) {
            cw_errlist_add(errs, "%s:%d: %s: role: expected agent or supervisor", path, line_no,
                           name);
            errors++;
            continue;
        }
        if (!hash_plausible(hash)) {
            cw_errlist_add(errs,
                           "%s:%d: %s: expected a crypt(3) hash (make one with "
                           "cdrwarn-console --hash-password)",
                           path, line_no, name);
            errors++;
            continue;
        }
        if (cw_users_find(users, name) != NULL) {
            cw_errlist_add(errs, "%s:%d: %s: listed twice", path, line_no, name);
            errors++;
            continue;
        }
        cw_user_t *grown =
            cw_grow(users->items, &cap, users->count + 1, sizeof *grown, 16);
        if (grown == NULL)
            goto oom;
        users->items = grown;
        cw_user_t *u = &users->items[users->count];
        u->name = cw_strdup(name);
        u->hash = cw_strdup(hash);
        u->supervisor = supervisor;
        users->count++;
        if (u->name == NULL || u->hash == NULL)
            goto oom;
    }
    if (errors > 0) {
        cw_users_free(users);
        return errors;
    }
    *out = users;
    return 0;
oom:
    cw_users_free(users);
    return -1;
}
