/* fd_limit.c - see fd_limit.h. */
#include "harness/fd_limit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* The highest descriptor open, or -1. */
static int highest_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int highest = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (fd > highest && fd != dirfd(d))
			highest = fd;
	}
	closedir(d);
	return highest;
}

int harness_leave_descriptors(int spare, rlim_t *was)
{
	struct rlimit rl;
	int highest = highest_open();
	if (highest < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	*was = rl.rlim_cur;
	/* open() takes the lowest free number: the gaps fill first. */
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (fd > highest) {
			close(fd);
			break;
		}
	}
	rl.rlim_cur = (rlim_t)highest + 1 + (rlim_t)spare;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int harness_fd_limit_restore(rlim_t was)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = was;
	return setrlimit(RLIMIT_NOFILE, &rl);
}
