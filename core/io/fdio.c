/* fdio.c - deadline-bounded reads and writes on non-blocking fds. */
#include "io/fdio.h"

#include "imap4.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

int imap4_fdio_init(struct imap4_fd_transport *t,
                    const struct imap4_transport_ops *ops, int rfd, int wfd,
                    const char *peer)
{
	int type;
	socklen_t tlen = sizeof(type);

	memset(t, 0, sizeof(*t));
	t->base.ops = ops;
	t->base.fd = rfd;
	t->wfd = wfd;
	t->cancel_fd = -1;
	snprintf(t->peer, sizeof(t->peer), "%s", peer);
	if (set_flags(rfd) < 0 || (wfd != rfd && set_flags(wfd) < 0)) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "cannot make %s non-blocking: %s", peer,
		         strerror(errno));
		return IMAP4_EIO;
	}
	t->is_socket = getsockopt(wfd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0;
	return 0;
}

int imap4_fdio_timeout(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - imap4_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Readable or hung up: a pipe whose writer closed cancels too, so that an
 * owner that dies (or just closes its end) cannot leave us waiting. */
static bool cancel_fired(short revents)
{
	return revents & (POLLIN | POLLHUP | POLLERR);
}

int imap4_fdio_wait(int fd, short events, int cancel_fd, int64_t deadline)
{
	struct pollfd p[2] = {
	        {.fd = fd, .events = events},
	        {.fd = cancel_fd, .events = POLLIN},
	};
	nfds_t n = cancel_fd >= 0 ? 2 : 1;
	int r;

	for (;;) {
		int timeout = imap4_fdio_timeout(deadline);

		p[0].revents = p[1].revents = 0;
		r = poll(p, n, timeout);
		if (r > 0) {
			/* The cancel is looked at first: a peer that keeps
			 * the socket busy must not hold it off. */
			if (n > 1 && (p[1].revents & POLLNVAL)) {
				errno = EBADF;
				return IMAP4_EINVAL;
			}
			if (n > 1 && cancel_fired(p[1].revents))
				return IMAP4_ECANCELED;
			if (p[0].revents & POLLNVAL) {
				errno = EBADF;
				return IMAP4_EIO;
			}
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return IMAP4_EIO;
		/* poll may wake early (EINTR, or a timeout clamped to
		 * INT_MAX); only the clock says the deadline has passed. */
		if (r == 0 && timeout == 0)
			return IMAP4_ETIMEOUT;
	}
}

/* A write to a pipe whose reader has gone raises SIGPIPE, which would kill
 * a program that did not ask for it; a library may not change the process's
 * signal dispositions. So SIGPIPE is blocked in this thread for the write,
 * and one it raised is taken back before the mask is restored. A SIGPIPE
 * that was pending already is someone else's and is left alone. */
static ssize_t write_pipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending) {
		const struct timespec zero = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

static int fail(struct imap4_fd_transport *t, int code, const char *what)
{
	if (code == IMAP4_ETIMEOUT)
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "timed out %s %s", what, t->peer);
	else if (code == IMAP4_ECANCELED)
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "cancelled while %s %s", what, t->peer);
	else if (code == IMAP4_EINVAL)
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "%s %s: the cancel descriptor %d is not open", what,
		         t->peer, t->cancel_fd);
	else if (code == IMAP4_EEOF) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "%s closed the connection", t->peer);
		if (t->describe_eof)
			t->describe_eof(t);
	} else
		snprintf(t->base.errmsg, sizeof(t->base.errmsg), "%s %s: %s",
		         what, t->peer, strerror(errno));
	return code;
}

ssize_t imap4_fdio_read(struct imap4_transport *tt, void *buf, size_t len,
                        int64_t deadline)
{
	struct imap4_fd_transport *t = (struct imap4_fd_transport *)tt;

	for (;;) {
		ssize_t n = read(t->base.fd, buf, len);
		int rc;

		if (n > 0)
			return n;
		if (n == 0)
			return fail(t, IMAP4_EEOF, "reading from");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(t, IMAP4_EIO, "reading from");
		rc = imap4_fdio_wait(t->base.fd, POLLIN, t->cancel_fd,
		                     deadline);
		if (rc < 0)
			return fail(t, rc, "reading from");
	}
}

int imap4_fdio_write(struct imap4_transport *tt, const void *buf, size_t len,
                     int64_t deadline)
{
	struct imap4_fd_transport *t = (struct imap4_fd_transport *)tt;
	const char *p = buf;

	while (len > 0) {
		ssize_t n;
		int rc;

		if (t->is_socket)
			n = send(t->wfd, p, len, MSG_NOSIGNAL);
		else
			n = write_pipe(t->wfd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return fail(t, IMAP4_EIO, "writing to");
		rc = imap4_fdio_wait(t->wfd, POLLOUT, t->cancel_fd, deadline);
		if (rc < 0)
			return fail(t, rc, "writing to");
	}
	return 0;
}

size_t imap4_fdio_pending(const struct imap4_transport *t)
{
	(void)t;
	return 0;
}

void imap4_fdio_clear(struct imap4_fd_transport *t)
{
	if (t->wfd >= 0 && t->wfd != t->base.fd)
		close(t->wfd);
	if (t->base.fd >= 0)
		close(t->base.fd);
	t->wfd = -1;
	t->base.fd = -1;
}

void imap4_fdio_close(struct imap4_transport *t)
{
	imap4_fdio_clear((struct imap4_fd_transport *)t);
	free(t);
}
