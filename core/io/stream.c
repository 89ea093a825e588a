/* stream.c - a child process's stdin and stdout as the byte stream.
 *
 * imaplib's IMAP4_stream: "/bin/sh -c command" (an ssh tunnel, a local
 * imapd). The child is started with posix_spawn(3) rather than a bare
 * fork(): glibc implements it as a vfork-style clone followed by exec, so a
 * multi-threaded daemon neither copies its address space nor runs
 * non-async-signal-safe code in the child between fork and exec.
 */
#include "io/fdio.h"
#include "util/procgroup.h"

#include "imap4.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* After its stdin closes a well-behaved child (ssh, imapd) exits at once;
 * one that does not gets SIGTERM, and SIGKILL if it ignores that too.
 * SIGKILL cannot be refused: KILL_GRACE_MS is only for the kernel to end
 * them, so that the close returns once they are gone. */
enum {
	EXIT_GRACE_MS = 100,
	TERM_GRACE_MS = 500,
	KILL_GRACE_MS = 500,
	REAP_POLL_MS = 5
};

struct stream_transport {
	struct imap4_fd_transport io; /* io.base.fd: child's stdout */
	pid_t pid;
	pid_t target; /* what the close signals: -pid, its process group,
	                 or pid alone (see spawn_shell) */
	bool reaped;  /* pid is no longer ours to wait for or signal */
	int status;   /* its wait status once reaped here, or -1 */
};

/* Waits up to ms for pid to end; true once it is reaped (or cannot be:
 * ECHILD means SIGCHLD is ignored and the kernel reaped it). *status, when
 * not NULL, gets its wait status if we reaped it, else stays as it was. */
static bool reap_within(pid_t pid, int ms, int *status)
{
	int64_t end = imap4_now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		const struct timespec nap = {0, REAP_POLL_MS * 1000000L};

		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		if (imap4_now_ms() >= end)
			return false;
		nanosleep(&nap, NULL);
	}
}

/* Whether a process of group pgid still runs, zombies aside
 * (imap4_procgroup_runs). EPERM from kill: members we may not signal,
 * which no waiting ends. */
static bool group_runs(pid_t pgid)
{
	return kill(-pgid, 0) == 0 && imap4_procgroup_runs(pgid);
}

/* Whether the command has ended: the shell reaped and, when it leads a
 * process group of its own, nothing left running in that group. Members
 * that outlived the shell (a pipeline, a program it ran without exec, one
 * gone to the background) are ours to reap when this process is their
 * reaper (a subreaper, or PID 1 in a container), else init's. */
static bool command_ended(struct stream_transport *s)
{
	if (!s->reaped) {
		pid_t r = waitpid(s->pid, NULL, WNOHANG);

		/* ECHILD: SIGCHLD is ignored and the kernel reaped it. */
		if (r == s->pid || (r < 0 && errno == ECHILD))
			s->reaped = true;
	}
	if (s->target > 0)
		return s->reaped;
	for (pid_t r; (r = waitpid(s->target, NULL, WNOHANG)) > 0;)
		s->reaped |= r == s->pid;
	/* The group outlives its reaped leader while it has members, and
	 * its number is not given to another process meanwhile. */
	return s->reaped && !group_runs(s->pid);
}

/* Waits up to ms for command_ended. */
static bool end_within(struct stream_transport *s, int ms)
{
	int64_t end = imap4_now_ms() + ms;
	const struct timespec nap = {0, REAP_POLL_MS * 1000000L};

	while (!command_ended(s)) {
		if (imap4_now_ms() >= end)
			return false;
		nanosleep(&nap, NULL);
	}
	return true;
}

static void stream_close(struct imap4_transport *t)
{
	struct stream_transport *s = (struct stream_transport *)t;

	/* EOF on its stdin is the child's cue to finish. The signals go to
	 * its process group (spawn_shell), and each step waits for the whole
	 * group, not the shell alone: a shell that forked ("cmd; cmd2", a
	 * pipeline) ends by SIGTERM while a child that ignores it lived on
	 * (explore75). At most EXIT_GRACE_MS + TERM_GRACE_MS + KILL_GRACE_MS,
	 * and a little more for the shell's last wait. */
	imap4_fdio_clear(&s->io);
	if (s->pid > 0 && !end_within(s, EXIT_GRACE_MS)) {
		kill(s->target, SIGTERM);
		if (!end_within(s, TERM_GRACE_MS)) {
			kill(s->target, SIGKILL);
			if (!s->reaped)
				while (waitpid(s->pid, NULL, 0) < 0 &&
				       errno == EINTR)
					;
			s->reaped = true;
			end_within(s, KILL_GRACE_MS);
		}
	}
	/* Whatever /proc did not show as running (a process whose first
	 * thread alone ended looks a zombie) is not left behind: SIGKILL
	 * does nothing to zombies. */
	if (s->pid > 0 && s->target < 0 && kill(s->target, 0) == 0)
		kill(s->target, SIGKILL);
	free(s);
}

/* "command "x" closed the connection: it exited with status 127" once
 * the command has ended (a missing program, ssh refused), which it does
 * right after closing its stdout: a short wait for it. */
static void describe_exit(struct imap4_fd_transport *io)
{
	struct stream_transport *s = (struct stream_transport *)io;

	if (!s->reaped && reap_within(s->pid, EXIT_GRACE_MS, &s->status))
		s->reaped = true;
	int st = s->status;
	size_t n = strlen(io->base.errmsg);
	if (st != -1 && WIFEXITED(st))
		snprintf(io->base.errmsg + n, sizeof(io->base.errmsg) - n,
		         ": it exited with status %d", WEXITSTATUS(st));
	else if (st != -1 && WIFSIGNALED(st))
		snprintf(io->base.errmsg + n, sizeof(io->base.errmsg) - n,
		         ": it was killed by signal %d", WTERMSIG(st));
}

static const struct imap4_transport_ops stream_ops = {
        .name = "stream",
        .read = imap4_fdio_read,
        .write = imap4_fdio_write,
        .pending = imap4_fdio_pending,
        .close = stream_close,
};

/* Moves fd above 0-2 so that the dup2 onto the child's stdin and stdout
 * cannot clobber another pipe end when the program runs with a standard
 * descriptor closed. */
static int above_stdio(int fd)
{
	int nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd;
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return -1;
	}
	return 0;
}

/* Whether this process has a controlling terminal. */
static bool has_terminal(void)
{
	int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The child leads a process group of its own when we have no terminal (a
 * daemon): closing then ends whatever it started. With a terminal it stays
 * in ours, since a background group that reads the terminal is stopped,
 * and ssh asks its passwords there. */
static int spawn_shell(pid_t *pid, bool own_group, const char *command,
                       int in_r, int out_w, int err_fd, char *const *envp)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	/* Every descriptor of ours is close-on-exec; the child gets the two
	 * pipe ends as stdin and stdout and keeps our stderr (or the caller's
	 * err_fd), so that ssh can still tell its user what went wrong. A blocked or ignored
	 * SIGPIPE or SIGTERM of ours must not leak into it either. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_w,
	                                           STDOUT_FILENO)) ||
	    (err_fd >= 0 && (rc = posix_spawn_file_actions_adddup2(
	                             &fa, err_fd, STDERR_FILENO))) ||
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) ||
	    (rc = posix_spawnattr_setsigdefault(&attr, &dfl)) ||
	    (rc = posix_spawnattr_setpgroup(&attr, 0)) ||
	    (rc = posix_spawnattr_setflags(
	             &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                            (own_group ? POSIX_SPAWN_SETPGROUP : 0))))
		goto out;
	rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv,
	                 envp != NULL ? envp : environ);
out:
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int imap4_stream_open(struct imap4_transport **out, const char *command,
                      int err_fd, char *const *envp, char *errbuf,
                      size_t errlen)
{
	struct stream_transport *s;
	int in[2], outp[2], rc;
	char peer[80];

	*out = NULL;
	if (!command || !*command) {
		snprintf(errbuf, errlen, "no command");
		return IMAP4_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(errbuf, errlen, "out of memory");
		return IMAP4_ENOMEM;
	}
	if (make_pipe(in) < 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		free(s);
		return IMAP4_ECONNECT;
	}
	if (make_pipe(outp) < 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		free(s);
		return IMAP4_ECONNECT;
	}
	bool own_group = !has_terminal();
	rc = spawn_shell(&s->pid, own_group, command, in[0], outp[1], err_fd,
	                 envp);
	s->target = own_group ? -s->pid : s->pid;
	close(in[0]);
	close(outp[1]);
	if (rc != 0) {
		snprintf(errbuf, errlen, "cannot run /bin/sh: %s",
		         strerror(rc));
		close(in[1]);
		close(outp[0]);
		free(s);
		return rc == ENOMEM ? IMAP4_ENOMEM : IMAP4_ECONNECT;
	}
	snprintf(peer, sizeof(peer), "command \"%.60s%s\"", command,
	         strlen(command) > 60 ? "..." : "");
	rc = imap4_fdio_init(&s->io, &stream_ops, outp[0], in[1], peer);
	s->io.describe_eof = describe_exit;
	s->status = -1;
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s", s->io.base.errmsg);
		stream_close(&s->io.base);
		return rc;
	}
	*out = &s->io.base;
	return 0;
}
