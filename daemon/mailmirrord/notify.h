/* notify.h - telling systemd how the daemon is doing (sd_notify(3)).
 *
 * Every function is a no-op returning 0 when NOTIFY_SOCKET is unset (run
 * by hand, or with Type=simple), so callers never check how they were
 * started. A failure to send returns a negative errno-style value and
 * changes nothing else: the caller may log it once and carry on, since a
 * lost notification is systemd's timeout to handle, not a reason to stop.
 *
 * The protocol, in the order the daemon uses it:
 *	start:	notify_status("..."), notify_ready()
 *	SIGHUP:	notify_reloading(), load and apply, notify_ready()
 *	SIGTERM: notify_stopping()
 *	always:	notify_watchdog(fresh) every notify_watchdog_usec() / 2
 *
 * The watchdog is not a timer: the supervisor calls notify_watchdog()
 * with whether every account worker has reported progress recently, and
 * nothing is sent when one has not. A hung worker (a server that stops
 * answering, a deadlock) thus makes systemd restart the daemon instead of
 * being papered over by a free-running ping.
 *
 * Thread-safe (sd_notify opens a socket per call); NOTIFY_SOCKET is left
 * in the environment so that a re-exec keeps it.
 */
#ifndef MAILMIRRORD_NOTIFY_H
#define MAILMIRRORD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* READY=1: startup or a reload is complete. */
int notify_ready(void);

/* RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC now>: systemd 253 and
 * later need the timestamp for Type=notify-reload; 252 (Debian 12) takes
 * RELOADING=1 alone and ignores the extra field. Follow with
 * notify_ready() once the new configuration is in use. */
int notify_reloading(void);

/* STOPPING=1: shutdown has begun. */
int notify_stopping(void);

/* EXTEND_TIMEOUT_USEC: the start (or stop) under way needs usec more
 * before the service manager gives up on it (systemd 236 and later). */
int notify_extend_timeout(uint64_t usec);

/* STATUS=<text>, shown by systemctl status. The text is printf-formatted,
 * sanitized as log lines are (a newline would start another field of the
 * datagram) and cut to 256 bytes. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* WATCHDOG=1 when all_fresh, else nothing (returns 0). */
int notify_watchdog(bool all_fresh);

/* The watchdog interval systemd expects pings within (WatchdogSec=), in
 * microseconds, or 0 when the watchdog is off for this process. */
uint64_t notify_watchdog_usec(void);

#endif
