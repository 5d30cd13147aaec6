/* The running daemon: wires the modules together (config, Redis store,
 * Kafka producer and consumer, outbox, partition pipelines, HTTP), runs the
 * event loop with its signals and timers, readiness, reload and the
 * graceful stop. Everything runs on the loop's thread. */
#ifndef CW_DAEMON_H
#define CW_DAEMON_H

/* Runs the daemon with the config file until SIGTERM/SIGINT; returns the
 * process exit code. */
int cw_daemon_run(const char *config_path);

#endif
