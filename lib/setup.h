/* Everything the rules need from disk, loaded and checked as one unit: the
 * config file and the number plan files it names. Start-up, --check-config
 * and SIGHUP reload all go through here, so they accept exactly the same. */
#ifndef CW_SETUP_H
#define CW_SETUP_H

#include "config.h"
#include "errlist.h"
#include "numplan.h"

typedef struct cw_setup {
    cw_config_t *config;   /* owned */
    cw_numplan_t *plan;    /* owned */
} cw_setup_t;

/* Loads the config and every number-plan file; on success returns 0 and a new
 * setup; otherwise the number of errors (all in errs) and NULL. */
int cw_setup_load(const char *config_path, cw_setup_t **out, cw_errlist_t *errs);
/* The same with [rules] and [score] values given apart from the file
 * ("rules.KEY=VALUE", see cw_config_load_with). */
int cw_setup_load_with(const char *config_path, const char *const *overrides,
                       size_t override_count, cw_setup_t **out, cw_errlist_t *errs);
void cw_setup_free(cw_setup_t *setup);

#endif
