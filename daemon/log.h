/* Logging to stderr with <N> syslog priority prefixes, which journald turns
 * into priorities. Repeated warnings and errors (the same text, digits aside)
 * are rate-limited so an outage does not flood the journal. MSISDNs must be masked by the caller
 * (cw_mask_msisdn) before they reach a log line. */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <syslog.h>
#include <time.h>

/* Minimum priority written (LOG_DEBUG writes everything); default LOG_INFO. */
void cw_log_set_level(int priority);
/* Thread-safe: librdkafka logs from its own threads through here. */
/* Warnings and errors are rate-limited; notices and info lines are not. */
void cw_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rate-limited at any priority: for messages this daemon does not control
 * (librdkafka's), which can repeat at info level during an outage. */
void cw_log_limited(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Logs at LOG_CRIT and ends the process at once with exit status 1, with no
 * further step applied or offset committed: for a record that can be neither
 * applied nor kept, which a restart (systemd's Restart=on-failure) reads
 * again from Kafka instead of skipping it. */
void cw_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Writes the "(N more like ... suppressed)" summary of every message whose
 * rate-limit window ended by `now` (time(NULL)); the daemon calls it from a
 * timer so a summary does not wait for the message to come back. */
void cw_log_flush_suppressed(time_t now);

#endif
