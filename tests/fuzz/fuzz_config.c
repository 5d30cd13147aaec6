/* libFuzzer target: the INI config parser. Any bytes must give a config or
 * a list of errors, never a crash, leak or sanitizer report. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "errlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_errlist_t errs = CW_ERRLIST_INIT;
    cw_config_t *config = NULL;
    int rc = cw_config_parse((const char *)data, size, "/fuzz/cdrwarn.conf", &config, &errs);
    if ((rc == 0) != (config != NULL))
        abort(); /* success must come with a config, failure without */
    cw_config_free(config);
    cw_errlist_free(&errs);
    return 0;
}
