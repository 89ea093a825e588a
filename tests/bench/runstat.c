/* runstat.c - run a command, append its wall time, CPU time and peak RSS.
 *
 *	runstat OUT COMMAND [ARG]...
 *
 * Runs COMMAND (stdin, stdout and stderr inherited) and appends one line
 * to OUT:
 *
 *	WALL_S USER_S SYS_S MAXRSS_KB
 *
 * from wait4(2): CPU times and ru_maxrss are the child's, its threads and
 * the children it reaped included (mailmirrord's account workers are
 * threads). Wall time is CLOCK_MONOTONIC around fork and wait.
 *
 * Why C: Linux carries the peak RSS of a process across execve(2), so a
 * child forked from a Python interpreter starts with the interpreter's
 * ~10 MiB as its peak, which would swamp raw_fetch's real figure. This
 * program is small enough not to matter.
 *
 * Exits with the command's status (128+N for signal N) and appends
 * nothing then, so that a failed run never becomes a figure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runstat OUT COMMAND [ARG]...\n");
		return 2;
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "runstat: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "runstat: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "runstat: wait4: %s\n",
			        strerror(errno));
			return 2;
		}
	}
	double wall = now() - t0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	if (WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	FILE *f = fopen(argv[1], "a");
	if (!f) {
		fprintf(stderr, "runstat: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	fprintf(f, "%.6f %.3f %.3f %ld\n", wall, seconds(ru.ru_utime),
	        seconds(ru.ru_stime), ru.ru_maxrss);
	return fclose(f) == 0 ? 0 : 2;
}
