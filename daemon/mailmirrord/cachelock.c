/* cachelock.c - one daemon per cache; see cachelock.h. */
#include "mailmirrord/cachelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int cachelock_take(int *fd, const char *path, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* flock(2), not fcntl(2): the two kinds do not meet on Linux, so
	 * this lock leaves SQLite's locks on the same file alone. */
	int rc;
	do
		rc = flock(*fd, LOCK_EX | LOCK_NB);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		snprintf(err, errlen,
		         "%s is in use by another mailmirrord: one cache is "
		         "for one daemon (give this one a cache of its own)",
		         path);
	else
		snprintf(err, errlen, "%s: cannot lock it: %s", path,
		         strerror(errno));
	close(*fd);
	*fd = -1;
	return -1;
}

void cachelock_release(int *fd)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
}
