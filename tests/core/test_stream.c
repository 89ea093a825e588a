/* test_stream.c - the "/bin/sh -c command" transport. */
#include <criterion/criterion.h>

#include "imap4.h"
#include "io/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads until len bytes or the deadline. */
static size_t read_all(struct imap4_transport *t, char *buf, size_t len, int ms)
{
	int64_t deadline = imap4_deadline(ms);
	size_t got = 0;

	while (got < len) {
		ssize_t n =
		        imap4_transport_read(t, buf + got, len - got, deadline);
		if (n < 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* The child's pid, which the command prints as its first line. */
static pid_t read_pid(struct imap4_transport *t)
{
	char line[32] = "";
	size_t i = 0;

	while (i < sizeof(line) - 1) {
		if (imap4_transport_read(t, line + i, 1,
		                         imap4_deadline(5000)) != 1)
			break;
		if (line[i++] == '\n')
			break;
	}
	return (pid_t)atol(line);
}

Test(stream, cat_round_trip)
{
	struct imap4_transport *t;
	char err[256] = "", buf[8192];
	static char big[256 * 1024];
	size_t i;

	cr_assert_eq(imap4_stream_open(&t, "cat", -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(t->ops->name, "stream");
	cr_assert_eq(imap4_transport_write(t, "a1 NOOP\r\n", 9,
	                                   imap4_deadline(2000)),
	             0);
	cr_assert_eq(imap4_transport_wait(t, -1, imap4_deadline(2000)), 1);
	cr_assert_eq(read_all(t, buf, 9, 2000), 9);
	cr_assert_eq(memcmp(buf, "a1 NOOP\r\n", 9), 0);

	/* More than a pipe holds: write and read must interleave, which
	 * a small write then read at a time does. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (i = 0; i < sizeof(big); i += sizeof(buf)) {
		cr_assert_eq(imap4_transport_write(t, big + i, sizeof(buf),
		                                   imap4_deadline(2000)),
		             0);
		cr_assert_eq(read_all(t, buf, sizeof(buf), 2000), sizeof(buf));
		cr_assert_eq(memcmp(buf, big + i, sizeof(buf)), 0);
	}
	imap4_transport_close(&t);
	cr_assert_null(t);
}

Test(stream, command_that_exits)
{
	struct imap4_transport *t;
	char err[256] = "", buf[64];
	size_t got;
	int rc = 0, i;

	cr_assert_eq(imap4_stream_open(&t,
	                               "printf '* PREAUTH hi\\r\\n'; exit 3",
	                               -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	got = read_all(t, buf, sizeof(buf), 2000);
	cr_assert_eq(got, 14);
	cr_assert_eq(memcmp(buf, "* PREAUTH hi\r\n", 14), 0);
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(2000)),
	        IMAP4_EEOF);
	/* The end says how the command ended. */
	cr_assert(strstr(t->errmsg, "closed the connection: it exited with "
	                            "status 3"),
	          "%s", t->errmsg);
	/* Once the reader is gone a write fails, and SIGPIPE (which would
	 * kill this test) is not raised. The exiting shell may release its
	 * stdin a moment after its stdout, so the first writes may still
	 * land in the pipe. */
	for (i = 0; i < 200; i++) {
		rc = imap4_transport_write(t, "x\r\n", 3, imap4_deadline(2000));
		if (rc != 0)
			break;
		usleep(10 * 1000);
	}
	cr_assert_eq(rc, IMAP4_EIO, "%d %s", rc, t->errmsg);
	cr_assert(strstr(t->errmsg, "Broken pipe"), "%s", t->errmsg);
	imap4_transport_close(&t);
}

Test(stream, stderr_is_not_the_stream)
{
	struct imap4_transport *t;
	char err[256] = "", buf[16];

	cr_assert_eq(imap4_stream_open(&t,
	                               "echo test_stream: this line on stderr "
	                               "is expected >&2; echo ok",
	                               -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(read_all(t, buf, 3, 2000), 3);
	cr_assert_eq(memcmp(buf, "ok\n", 3), 0);
	imap4_transport_close(&t);
}

Test(stream, read_deadline)
{
	struct imap4_transport *t;
	char err[256] = "", buf[16];
	int64_t start;

	cr_assert_eq(
	        imap4_stream_open(&t, "sleep 30", -1, NULL, err, sizeof(err)),
	        0);
	start = imap4_now_ms();
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(150)),
	        IMAP4_ETIMEOUT);
	cr_assert_geq(imap4_now_ms() - start, 150);
	start = imap4_now_ms();
	imap4_transport_close(&t); /* SIGTERM ends the sleep */
	cr_assert_lt(imap4_now_ms() - start, 1500);
}

Test(stream, child_is_reaped_on_close)
{
	struct imap4_transport *t;
	char err[256] = "";
	pid_t pid;

	cr_assert_eq(imap4_stream_open(&t, "echo $$; exec cat", -1, NULL, err,
	                               sizeof(err)),
	             0, "%s", err);
	pid = read_pid(t);
	cr_assert_gt(pid, 0);
	imap4_transport_close(&t);
	/* Reaped: no zombie left for this process to collect. */
	errno = 0;
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

Test(stream, command_ignoring_sigterm_is_killed_and_reaped)
{
	struct imap4_transport *t;
	char err[256] = "";
	int64_t start;
	pid_t pid;

	cr_assert_eq(imap4_stream_open(&t,
	                               "trap '' TERM; echo $$; "
	                               "while :; do sleep 0.05; done",
	                               -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	pid = read_pid(t);
	cr_assert_gt(pid, 0);
	start = imap4_now_ms();
	imap4_transport_close(&t);
	/* 100 ms to exit, 500 ms after SIGTERM, then SIGKILL. */
	cr_assert_geq(imap4_now_ms() - start, 550);
	cr_assert_lt(imap4_now_ms() - start, 3000);
	errno = 0;
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	cr_assert_eq(kill(pid, 0), -1);
}

/* Whether pid runs: a zombie has ended (its reaper here may be this test
 * process, should the runner be a subreaper). */
static bool running(pid_t pid)
{
	char path[64], stat[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* A shell that forks ("sleep; cat" runs sleep as its child) has its
 * children ended with it, whether it ended by itself or was killed. */
Test(stream, what_the_command_started_ends_with_it)
{
	struct imap4_transport *t;
	char err[256] = "";
	pid_t pid;
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

	if (tty >= 0) {
		close(tty);
		cr_skip_test("run from a terminal: the command stays in our "
		             "process group, so that ssh can prompt");
	}
	cr_assert_eq(imap4_stream_open(&t, "sleep 30 & echo $!; sleep 31; cat",
	                               -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	pid = read_pid(t);
	cr_assert_gt(pid, 0);
	cr_assert(running(pid));
	imap4_transport_close(&t);
	for (int i = 0; i < 100 && running(pid); i++)
		usleep(10000);
	cr_assert_not(running(pid), "the command's child %d still runs",
	              (int)pid);
}

/* Opens command, which prints the pid of a process it started that
 * ignores SIGTERM and lingers after EOF, closes, and requires that
 * process gone soon after the close, which stays bounded. */
static void lingering_process_ends(const char *command)
{
	struct imap4_transport *t;
	char err[256] = "";
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

	if (tty >= 0) {
		close(tty);
		cr_skip_test("run from a terminal: the command stays in our "
		             "process group, so that ssh can prompt");
	}
	cr_assert_eq(imap4_stream_open(&t, command, -1, NULL, err, sizeof(err)),
	             0, "%s", err);
	pid_t pid = read_pid(t);
	cr_assert_gt(pid, 0);
	cr_assert(running(pid));
	int64_t start = imap4_now_ms();
	imap4_transport_close(&t);
	int64_t took = imap4_now_ms() - start;
	for (int i = 0; i < 300 && running(pid); i++)
		usleep(10000);
	bool alive = running(pid);
	if (alive)
		kill(pid, SIGKILL); /* no stray process, whatever the result */
	cr_assert_not(alive, "%d, which ignores SIGTERM, outlived the close",
	              (int)pid);
	/* 100 + 500 + 500 ms at most, and the polls: slack for a loaded
	 * machine. */
	cr_assert_lt(took, 5000, "the close took %lld ms", (long long)took);
}

/* explore75: a program the shell ran without exec, that ignores SIGTERM
 * and lingers after EOF, outlived the close: the shell, ended by SIGTERM,
 * was reaped, and the group got SIGTERM alone. Now SIGKILL follows while
 * anything is left in the group. */
Test(stream, a_grandchild_ignoring_sigterm_is_killed, .timeout = 30)
{
	lingering_process_ends("sh -c 'trap \"\" TERM; echo $$; "
	                       "while :; do sleep 0.05; done'; true");
}

/* The same when the shell ends by itself at EOF and leaves it behind. */
Test(stream, a_child_left_behind_ignoring_sigterm_is_killed, .timeout = 30)
{
	lingering_process_ends("trap '' TERM; sleep 60 & echo $!; cat");
}

Test(stream, empty_command)
{
	struct imap4_transport *t = (void *)1;
	char err[64];

	cr_assert_eq(imap4_stream_open(&t, "", -1, NULL, err, sizeof(err)),
	             IMAP4_EINVAL);
	cr_assert_null(t);
}

Test(stream, pipes_do_not_leak_into_children)
{
	struct imap4_transport *a, *b;
	char err[256] = "", path[64], pipe_a[64], out[4096];
	ssize_t n;
	size_t got;

	/* The pipe a reads from must not be open in b's shell: our fds are
	 * close-on-exec. Its identity is the "pipe:[inode]" link. */
	cr_assert_eq(imap4_stream_open(&a, "cat", -1, NULL, err, sizeof(err)),
	             0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a->fd);
	n = readlink(path, pipe_a, sizeof(pipe_a) - 1);
	cr_assert_gt(n, 0);
	pipe_a[n] = '\0';
	cr_assert(strncmp(pipe_a, "pipe:", 5) == 0, "%s", pipe_a);
	cr_assert_eq(imap4_stream_open(&b, "ls -l /proc/$$/fd", -1, NULL, err,
	                               sizeof(err)),
	             0);
	got = read_all(b, out, sizeof(out) - 1, 2000);
	out[got] = '\0';
	cr_assert(strstr(out, "pipe:"), "%s", out); /* its own stdin */
	cr_assert_null(strstr(out, pipe_a), "%s leaked: %s", pipe_a, out);
	imap4_transport_close(&b);
	imap4_transport_close(&a);
}
