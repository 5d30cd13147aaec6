/* The running console (SPEC section 12): one libevent loop that owns the
 * Redis connection (the daemon's store module with cases.lua), the Kafka
 * consumer of alerts, outcomes and score records, the HTTP server (page, API, live
 * stream, /healthz, /metrics), the sessions, the audit log, signals and timers.
 * Everything runs on the loop's thread. console.c wires the modules: they
 * get an environment (env.h) and never call the console by name. */
#ifndef CW_CONSOLE_H
#define CW_CONSOLE_H

/* Runs the console with the config file until SIGTERM/SIGINT; returns the
 * process exit code. */
int cw_console_run(const char *config_path);

/* --check-config: the config, the accounts file and the property.* lines;
 * prints every error; returns the exit code (0 valid, 1 not). */
int cw_console_check(const char *config_path);

#endif
