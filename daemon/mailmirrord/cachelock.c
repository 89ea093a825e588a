/* cachelock.c - one daemon per cache; see cachelock.h. */
#include "mailmirrord/cachelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* A reader that asks whether a daemon runs (mailmirror status) holds a
 * shared lock for the time of two system calls; met here, it is waited
 * out for up to this long before the cache counts as another daemon's.
 * Without the wait, a status bar polling at the moment the daemon starts
 * would stop it. */
#define READER_PROBE_WAIT_MS 250
#define RETRY_MS             10

/* flock(2), not fcntl(2): the two kinds do not meet on Linux, so this
 * lock leaves SQLite's locks on the same file alone. */
static int lock_exclusive(int fd)
{
	int rc;

	for (int waited = 0;; waited += RETRY_MS) {
		do
			rc = flock(fd, LOCK_EX | LOCK_NB);
		while (rc < 0 && errno == EINTR);
		if (rc == 0 || errno != EWOULDBLOCK ||
		    waited >= READER_PROBE_WAIT_MS)
			return rc;
		nanosleep(&(struct timespec){.tv_nsec = RETRY_MS * 1000000L},
		          NULL);
	}
}

int cachelock_take(int *fd, const char *path, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (lock_exclusive(*fd) == 0)
		return 0;
	bool busy = errno == EWOULDBLOCK;
	if (busy)
		snprintf(err, errlen,
		         "%s is in use by another mailmirrord: one cache is "
		         "for one daemon (give this one a cache of its own)",
		         path);
	else
		snprintf(err, errlen, "%s: cannot lock it: %s", path,
		         strerror(errno));
	close(*fd);
	*fd = -1;
	return busy ? -2 : -1;
}

void cachelock_release(int *fd)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
}
