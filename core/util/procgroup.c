/* procgroup.c - a process group's running members, from /proc. */
#include "util/procgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool imap4_procgroup_runs(pid_t pgid)
{
	struct dirent *e;
	bool runs = false;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return true;
	while (!runs && (e = readdir(d)) != NULL) {
		char path[sizeof(e->d_name) + 16], stat[512], state;
		long ppid, pgrp;
		const char *p;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold a ')'. */
		p = strrchr(stat, ')');
		runs = p &&
		       sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) ==
		               3 &&
		       pgrp == (long)pgid && state != 'Z' && state != 'X';
	}
	closedir(d);
	return runs;
}
