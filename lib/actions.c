/* The [actions] map: which retention actions an alert recommends, per
 * trigger, per level and per level and profile tier, and the de-duplicated
 * list one alert carries (SPEC sections 2 and 7). */
#include "actions.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

static void list_free(cw_action_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        cw_free(list->names[i]);
    cw_free(list->names);
    list->names = NULL;
    list->count = 0;
}

static bool is_action_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Parses a comma-separated value into a new list. Returns 0, -1 with the
 * reason in errbuf for a bad name, -2 when out of memory. */
static int list_parse(const char *value, cw_action_list_t *out, char *errbuf,
                      size_t errbuf_size)
{
    out->names = NULL;
    out->count = 0;
    const char *p = value;
    while (*p && is_space(*p))
        p++;
    if (*p == '\0')
        return 0; /* an empty value clears the list */

    size_t items = 1;
    for (const char *q = p; *q; q++)
        items += *q == ',';
    out->names = cw_calloc(items, sizeof *out->names);
    if (out->names == NULL)
        return -2;

    const char *item = value;
    for (;;) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        const char *b = item, *e = item + len;
        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        size_t n = (size_t)(e - b);
        size_t bad = 0;
        while (bad < n && is_action_char(b[bad]))
            bad++;
        if (n == 0 || bad < n) {
            if (n == 0)
                snprintf(
                    errbuf, errbuf_size,
                    "expected comma-separated action names, found an empty name in '%s'",
                    value);
            else
                snprintf(errbuf, errbuf_size,
                         "expected action names of letters, digits, '_', '.' and '-', "
                         "found '%.*s'",
                         (int)n, b);
            list_free(out);
            return -1;
        }
        char *name = cw_strndup(b, n);
        if (name == NULL) {
            list_free(out);
            return -2;
        }
        out->names[out->count++] = name;
        if (end == NULL)
            break;
        item = end + 1;
    }
    return 0;
}

/* The list a key names, or NULL when the key is not one of the map's. */
static cw_action_list_t *list_for_key(cw_actions_t *actions, const char *key)
{
    cw_trigger_t trigger;
    if (cw_trigger_parse(key, &trigger) == 0)
        return &actions->by_trigger[trigger];
    cw_level_t level;
    if (cw_level_parse(key, &level) == 0)
        return &actions->by_level[level];
    /* "<level>_<tier>": level names hold no '_', so the first one splits */
    const char *sep = strchr(key, '_');
    if (sep == NULL || (size_t)(sep - key) >= 16)
        return NULL;
    char level_name[16];
    memcpy(level_name, key, (size_t)(sep - key));
    level_name[sep - key] = '\0';
    cw_tier_t tier;
    if (cw_level_parse(level_name, &level) != 0 || cw_tier_parse(sep + 1, &tier) != 0)
        return NULL;
    return &actions->by_level_tier[level][tier];
}

int cw_actions_set(cw_actions_t *actions, const char *key, const char *value,
                   char *errbuf, size_t errbuf_size)
{
    cw_action_list_t *list = list_for_key(actions, key);
    if (list == NULL) {
        snprintf(
            errbuf, errbuf_size,
            "unknown key; expected a trigger (complaints, fwd_rival, rival_service, "
            "plan_downgrade, contract_expiry, spend_drop, usage_drop), a level (red, "
            "yellow, blue) or <level>_<tier> (tier: high, mid, low, unknown)");
        return -1;
    }
    cw_action_list_t parsed;
    int rc = list_parse(value, &parsed, errbuf, errbuf_size);
    if (rc == -2) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    if (rc != 0)
        return -1;
    list_free(list);
    *list = parsed;
    return 0;
}

int cw_actions_defaults(cw_actions_t *actions)
{
    static const struct {
        const char *key, *value;
    } defaults[] = {
        {"complaints", "service_recovery_callback"},
        {"spend_drop", "tailored_plan_offer"},
        {"usage_drop", "tailored_plan_offer"},
        {"fwd_rival", "retention_call"},
        {"rival_service", "retention_call"},
        {"plan_downgrade", "value_review"},
        {"contract_expiry", "renewal_offer"},
        {"red_high", "home_visit"},
    };
    memset(actions, 0, sizeof *actions);
    char errbuf[128];
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (cw_actions_set(actions, defaults[i].key, defaults[i].value, errbuf,
                           sizeof errbuf) != 0) {
            cw_actions_free(actions);
            return -1; /* the defaults are valid: only memory can fail */
        }
    }
    return 0;
}

void cw_actions_free(cw_actions_t *actions)
{
    for (int t = 0; t < CW_TRIG__COUNT; t++)
        list_free(&actions->by_trigger[t]);
    for (int l = 0; l < CW_LEVEL__COUNT; l++) {
        list_free(&actions->by_level[l]);
        for (int t = 0; t < CW_TIER__COUNT; t++)
            list_free(&actions->by_level_tier[l][t]);
    }
}

void cw_actions_for_alert(const cw_actions_t *actions, cw_level_t level, cw_tier_t tier,
                          uint8_t triggers, void (*emit)(const char *name, void *arg),
                          void *arg)
{
    /* the lists in precedence order; a name already emitted from an earlier
     * list (or earlier in the same one) is skipped, so no allocation is
     * needed and nothing can fail here */
    const cw_action_list_t *lists[2 + CW_TRIG__COUNT];
    size_t n = 0;
    if ((unsigned)level < CW_LEVEL__COUNT) {
        if ((unsigned)tier < CW_TIER__COUNT)
            lists[n++] = &actions->by_level_tier[level][tier];
        lists[n++] = &actions->by_level[level];
    }
    for (int t = 0; t < CW_TRIG__COUNT; t++)
        if (triggers & CW_TRIG_BIT(t))
            lists[n++] = &actions->by_trigger[t];

    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < lists[i]->count; k++) {
            const char *name = lists[i]->names[k];
            bool seen = false;
            for (size_t j = 0; j <= i && !seen; j++) {
                size_t upto = j < i ? lists[j]->count : k;
                for (size_t m = 0; m < upto && !seen; m++)
                    seen = strcmp(lists[j]->names[m], name) == 0;
            }
            if (!seen)
                emit(name, arg);
        }
    }
}
