#include "backtest.h"
bt_source_t *bt_source_kafka(const bt_opts_t *opts, const char *const *topics,
                             size_t topic_count, char *err, size_t err_size)
{
    (void)opts;
    (void)topics;
    (void)topic_count;
    snprintf(err, err_size, "no");
    return NULL;
}
