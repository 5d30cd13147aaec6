/* The [actions] map (SPEC section 2): recommended retention actions per
 * trigger, per level, and per level and profile tier ("red_high"). */
#ifndef CW_ACTIONS_H
#define CW_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rules.h"

typedef struct cw_action_list {
    char **names;   /* owned */
    size_t count;
} cw_action_list_t;

typedef struct cw_actions {
    cw_action_list_t by_trigger[CW_TRIG__COUNT];                   /* "spend_drop" */
    cw_action_list_t by_level[CW_LEVEL__COUNT];                    /* "red" */
    cw_action_list_t by_level_tier[CW_LEVEL__COUNT][CW_TIER__COUNT]; /* "red_high" */
} cw_actions_t;

/* Fills the SPEC's default map. Returns 0, or -1 when out of memory. */
int cw_actions_defaults(cw_actions_t *actions);
void cw_actions_free(cw_actions_t *actions);

/* Sets the list for one key (a trigger name, a level name, or
 * "<level>_<tier>") from a comma-separated value; an empty value clears it.
 * Action names are words of [A-Za-z0-9_.-]. Returns 0, or -1 with the reason
 * in errbuf (unknown key, bad action name, out of memory). */
int cw_actions_set(cw_actions_t *actions, const char *key, const char *value, char *errbuf,
                   size_t errbuf_size);

/* The actions of an alert, each once: first those of "<level>_<tier>", then
 * of "<level>", then of each true trigger in trigger order. Calls `emit` for
 * each distinct name in that order. */
void cw_actions_for_alert(const cw_actions_t *actions, cw_level_t level, cw_tier_t tier,
                          uint8_t triggers, void (*emit)(const char *name, void *arg),
                          void *arg);

#endif
