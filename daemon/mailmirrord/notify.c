/* notify.c - sd_notify(3) through libsystemd. */
#include "mailmirrord/notify.h"
#include "mailmirrord/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#define STATUS_MAX 256

/* sd_notify() returns 0 when NOTIFY_SOCKET is unset and > 0 once sent;
 * callers only care whether it failed. */
static int send_state(const char *state)
{
	int rc = sd_notify(0, state);

	return rc < 0 ? rc : 0;
}

int notify_ready(void)
{
	return send_state("READY=1");
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	return send_state(msg);
}

int notify_extend_timeout(uint64_t usec)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
	return send_state(msg);
}

int notify_stopping(void)
{
	return send_state("STOPPING=1");
}

int notify_status(const char *fmt, ...)
{
	char raw[4 * STATUS_MAX], msg[sizeof("STATUS=") + STATUS_MAX];
	va_list ap;
	int n;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	snprintf(msg, sizeof(msg), "STATUS=");
	log_sanitize(msg + 7, sizeof(msg) - 7, raw,
	             (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	return send_state(msg);
}

int notify_watchdog(bool all_fresh)
{
	if (!all_fresh)
		return 0;
	return send_state("WATCHDOG=1");
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	/* Also checks WATCHDOG_PID, so a child that inherited the
	 * environment does not think the watchdog is its own. */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}
