/* systemd notification protocol (sd_notify): READY, STATUS, WATCHDOG,
 * RELOADING, STOPPING. Written straight to $NOTIFY_SOCKET, so the daemon needs
 * no libsystemd and behaves the same under any supervisor that speaks it. */
#ifndef CW_NOTIFY_H
#define CW_NOTIFY_H

#include <stdint.h>

/* Sends one notification message (e.g. "READY=1\nSTATUS=consuming"); a no-op
 * without $NOTIFY_SOCKET. Returns 0 or -1. */
int cw_notify(const char *message);
/* The watchdog interval systemd asked for ($WATCHDOG_USEC, honouring
 * $WATCHDOG_PID), in microseconds; 0 when none. */
uint64_t cw_notify_watchdog_usec(void);

#endif
