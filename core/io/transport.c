/* transport.c - the clock, waiting on a stack, and the plain fd layer. */
#include "io/transport.h"

#include "imap4.h"
#include "io/fdio.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int64_t imap4_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux for a valid pointer; it is
	 * immune to the wall clock being set back while we wait. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t imap4_deadline(int ms)
{
	if (ms < 0)
		return -1;
	return imap4_now_ms() + ms;
}

static bool stack_pending(const struct imap4_transport *t)
{
	for (; t; t = t->lower)
		if (t->ops->pending(t) > 0)
			return true;
	return false;
}

/* The fd layer at the bottom of t, or NULL when the bottom is not one
 * (every bottom layer of this library is; see fdio.h). */
static struct imap4_fd_transport *fd_bottom(struct imap4_transport *t)
{
	while (t && t->lower)
		t = t->lower;
	if (!t || t->ops->read != imap4_fdio_read)
		return NULL;
	return (struct imap4_fd_transport *)t;
}

int imap4_transport_set_cancel(struct imap4_transport *t, int cancel_fd)
{
	struct imap4_fd_transport *b = fd_bottom(t);

	if (!b)
		return IMAP4_EINVAL;
	b->cancel_fd = cancel_fd < 0 ? -1 : cancel_fd;
	return 0;
}

int imap4_cancel_check(int cancel_fd)
{
	struct pollfd p = {.fd = cancel_fd, .events = POLLIN};
	int r;

	if (cancel_fd < 0)
		return 0;
	while ((r = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return IMAP4_EIO;
	if (p.revents & POLLNVAL)
		return IMAP4_EINVAL;
	return p.revents & (POLLIN | POLLHUP | POLLERR) ? IMAP4_ECANCELED : 0;
}

int imap4_transport_wait(struct imap4_transport *t, int extra_fd,
                         int64_t deadline)
{
	const struct imap4_fd_transport *b;
	struct pollfd p[3];
	nfds_t n = 1, extra = 0, cancel = 0;

	if (!t || t->fd < 0)
		return IMAP4_EINVAL;
	b = fd_bottom(t);
	p[0] = (struct pollfd){.fd = t->fd, .events = POLLIN};
	if (extra_fd >= 0) {
		extra = n;
		p[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
	}
	if (b && b->cancel_fd >= 0) {
		cancel = n;
		p[n++] = (struct pollfd){.fd = b->cancel_fd, .events = POLLIN};
	}

	for (;;) {
		/* Bytes a layer has decoded already never show on the fd:
		 * TLS may hold a whole record, deflate a window of output. */
		bool ready = stack_pending(t);
		int timeout = ready ? 0 : imap4_fdio_timeout(deadline);
		int r;

		for (nfds_t i = 0; i < n; i++)
			p[i].revents = 0;
		r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR) {
			snprintf(t->errmsg, sizeof(t->errmsg), "poll: %s",
			         strerror(errno));
			return IMAP4_EIO;
		}
		if (r < 0)
			continue;
		/* A cancel ends everything; it is looked at first, so that
		 * neither data nor a wake can hold it off. */
		if (cancel && (p[cancel].revents & POLLNVAL)) {
			snprintf(t->errmsg, sizeof(t->errmsg),
			         "wait: the cancel descriptor %d is not open",
			         p[cancel].fd);
			return IMAP4_EINVAL;
		}
		if (cancel &&
		    (p[cancel].revents & (POLLIN | POLLHUP | POLLERR))) {
			snprintf(t->errmsg, sizeof(t->errmsg),
			         "cancelled while waiting for data from %s",
			         b->peer);
			return IMAP4_ECANCELED;
		}
		/* A wake wins over data, so a chatty server cannot starve
		 * it; the data stays queued for the next read. */
		if (extra && (p[extra].revents & (POLLIN | POLLHUP | POLLERR)))
			return 2;
		if (extra && (p[extra].revents & POLLNVAL)) {
			snprintf(t->errmsg, sizeof(t->errmsg),
			         "wait: invalid wake descriptor %d", extra_fd);
			return IMAP4_EINVAL;
		}
		if (ready || p[0].revents & (POLLIN | POLLHUP | POLLERR))
			return 1;
		if (p[0].revents & POLLNVAL) {
			snprintf(t->errmsg, sizeof(t->errmsg),
			         "wait: descriptor %d is not open", t->fd);
			return IMAP4_EIO;
		}
		if (r == 0 && timeout == 0) {
			snprintf(t->errmsg, sizeof(t->errmsg),
			         "timed out waiting for data");
			return IMAP4_ETIMEOUT;
		}
	}
}

ssize_t imap4_transport_read(struct imap4_transport *t, void *buf, size_t len,
                             int64_t deadline)
{
	if (!t || !buf || len == 0)
		return IMAP4_EINVAL;
	return t->ops->read(t, buf, len, deadline);
}

int imap4_transport_write(struct imap4_transport *t, const void *buf,
                          size_t len, int64_t deadline)
{
	if (!t || (!buf && len > 0))
		return IMAP4_EINVAL;
	if (len == 0)
		return 0;
	return t->ops->write(t, buf, len, deadline);
}

size_t imap4_transport_pending(const struct imap4_transport *t)
{
	return t ? t->ops->pending(t) : 0;
}

void imap4_transport_close(struct imap4_transport **t)
{
	if (!t || !*t)
		return;
	(*t)->ops->close(*t);
	*t = NULL;
}

static const struct imap4_transport_ops fd_ops = {
        .name = "fd",
        .read = imap4_fdio_read,
        .write = imap4_fdio_write,
        .pending = imap4_fdio_pending,
        .close = imap4_fdio_close,
};

int imap4_fd_open(struct imap4_transport **out, int fd)
{
	struct imap4_fd_transport *t;
	char peer[32];
	int rc;

	*out = NULL;
	if (fd < 0)
		return IMAP4_EINVAL;
	t = malloc(sizeof(*t));
	if (!t) {
		close(fd);
		return IMAP4_ENOMEM;
	}
	snprintf(peer, sizeof(peer), "fd %d", fd);
	rc = imap4_fdio_init(t, &fd_ops, fd, fd, peer);
	if (rc < 0) {
		imap4_fdio_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return 0;
}

const char *imap4_errno_text(int e, char *buf, size_t len)
{
	struct rlimit rl;

	if (e == ENFILE)
		return "too many open files in the system";
	if (e != EMFILE)
		return strerror(e);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(buf, len, "too many open files (limit %llu)",
		         (unsigned long long)rl.rlim_cur);
	else
		snprintf(buf, len, "too many open files");
	return buf;
}
