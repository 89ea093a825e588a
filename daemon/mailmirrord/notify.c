/* notify.c - sd_notify(3) through libsystemd, loaded when systemd asks.
 *
 * Linked, libsystemd and the six libraries it brings (libgcrypt, liblzma,
 * libzstd, liblz4, libcap, libgpg-error) cost every start 1.2 ms of
 * loading and relocating: a sixth of a --once resync's own time, paid
 * even by the runs outside systemd, which never send a notification. It
 * is opened instead the first time systemd's environment asks for it
 * (NOTIFY_SOCKET, or WATCHDOG_USEC), and kept for the process's life.
 */
#include "mailmirrord/notify.h"
#include "mailmirrord/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#define STATUS_MAX 256

/* The soname of libsystemd's stable ABI (libsystemd0). */
#define LIBSYSTEMD "libsystemd.so.0"

static pthread_once_t sd_once = PTHREAD_ONCE_INIT;
static __typeof__(sd_notify) *sd_notify_fn;
static __typeof__(sd_watchdog_enabled) *sd_watchdog_enabled_fn;

static void sd_load(void)
{
	void *lib = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		log_warning(NULL, NULL,
		            "systemd asks for notifications, but %s",
		            dlerror());
		return;
	}
	sd_notify_fn = (__typeof__(sd_notify) *)dlsym(lib, "sd_notify");
	sd_watchdog_enabled_fn = (__typeof__(sd_watchdog_enabled) *)dlsym(
	        lib, "sd_watchdog_enabled");
}

/* Whether libsystemd is there to be called; loads it the first time. */
static bool sd_loaded(void)
{
	pthread_once(&sd_once, sd_load);
	return sd_notify_fn != NULL && sd_watchdog_enabled_fn != NULL;
}

/* sd_notify() returns 0 when NOTIFY_SOCKET is unset and > 0 once sent;
 * callers only care whether it failed. */
static int send_state(const char *state)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (!sd_loaded())
		return -ENOSYS;
	int rc = sd_notify_fn(0, state);

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
	if (getenv("WATCHDOG_USEC") == NULL || !sd_loaded() ||
	    sd_watchdog_enabled_fn(0, &usec) <= 0)
		return 0;
	return usec;
}
