/* Loads the config file and the number-plan files it names as one unit, so
 * start-up, --check-config and SIGHUP reload accept exactly the same input
 * and report every problem of every file at once. */
#include "setup.h"

#include "alloc.h"

int cw_setup_load(const char *config_path, cw_setup_t **out, cw_errlist_t *errs)
{
    return cw_setup_load_with(config_path, NULL, 0, out, errs);
}

int cw_setup_load_with(const char *config_path, const char *const *overrides,
                       size_t override_count, cw_setup_t **out, cw_errlist_t *errs)
{
    *out = NULL;
    cw_config_t *config = NULL;
    int rc = cw_config_load_with(config_path, overrides, override_count, &config, errs);
    if (rc != 0)
        return rc; /* without a valid config there are no file names to follow */

    cw_setup_t *setup = cw_calloc(1, sizeof *setup);
    if (setup == NULL) {
        cw_config_free(config);
        return -1;
    }
    setup->config = config;
    setup->plan = cw_numplan_new(config->country_code);
    if (setup->plan == NULL) {
        cw_setup_free(setup);
        return -1;
    }

    /* prefixes before ported numbers: a ported entry names an operator that
     * the prefix files say is ours or a rival's */
    int errors = 0;
    if (config->own_prefixes_path != NULL)
        errors +=
            cw_numplan_load_prefixes(setup->plan, config->own_prefixes_path, true, errs);
    if (config->rival_prefixes_path != NULL)
        errors += cw_numplan_load_prefixes(setup->plan, config->rival_prefixes_path,
                                           false, errs);
    if (config->ported_numbers_path != NULL)
        errors += cw_numplan_load_ported(setup->plan, config->ported_numbers_path, errs);
    if (config->rival_staff_numbers_path != NULL)
        errors +=
            cw_numplan_load_services(setup->plan, config->rival_staff_numbers_path, errs);
    for (size_t i = 0; i < config->rival_service_numbers.count; i++) {
        char errbuf[160];
        if (cw_numplan_add_service(setup->plan, config->rival_service_numbers.items[i], errbuf,
                                   sizeof errbuf) != 0) {
            cw_errlist_add(errs, "%s: [numbers] rival_service_numbers: %s", config_path,
                           errbuf);
            errors++;
        }
    }

    for (size_t i = 0; i < config->own_service_numbers.count; i++) {
        char errbuf[160];
        if (cw_numplan_add_own_service(setup->plan, config->own_service_numbers.items[i],
                                       errbuf, sizeof errbuf) != 0) {
            cw_errlist_add(errs, "%s: [numbers] own_service_numbers: %s", config_path,
                           errbuf);
            errors++;
        }
    }

    if (errors != 0) {
        cw_setup_free(setup);
        return errors;
    }
    *out = setup;
    return 0;
}

void cw_setup_free(cw_setup_t *setup)
{
    if (setup == NULL)
        return;
    cw_numplan_free(setup->plan);
    cw_config_free(setup->config);
    cw_free(setup);
}
