/* fdio.h - deadline-bounded I/O on non-blocking file descriptors.
 *
 * Internal to core/io: the bottom layers (fd, tcp, stream) share this code.
 * A bottom transport is a struct imap4_fd_transport whose base comes first,
 * so the ops below can take the struct imap4_transport they are given.
 */
#ifndef IMAP4_IO_FDIO_H
#define IMAP4_IO_FDIO_H

#include "io/transport.h"

#include <poll.h>

struct imap4_fd_transport {
	struct imap4_transport base; /* base.fd: the fd read from */
	int wfd;                     /* the fd written to: base.fd, or a pipe */
	bool is_socket; /* send(MSG_NOSIGNAL) rather than write() */
	int cancel_fd;  /* watched by every wait, or -1 (see
	                   imap4_transport_set_cancel) */
	char peer[160]; /* "host:port" or "command ...", for errors */
	/* Called after an end of file is told in base.errmsg, to add what
	 * the layer knows (a command's exit status); may be NULL. */
	void (*describe_eof)(struct imap4_fd_transport *t);
};

/* Fills t for the fds given (which it then owns), with no cancel fd, and
 * makes them non-blocking and close-on-exec. 0, or IMAP4_EIO with
 * t->base.errmsg set; the fds stay open on failure, for the caller to
 * close. */
int imap4_fdio_init(struct imap4_fd_transport *t,
                    const struct imap4_transport_ops *ops, int rfd, int wfd,
                    const char *peer);

/* Milliseconds poll(2) should wait for deadline: -1 for none, 0 once it has
 * passed, at most INT_MAX. */
int imap4_fdio_timeout(int64_t deadline);

/* Waits until fd has one of events (POLLIN, POLLOUT), or an error or hangup
 * that the next read or write will report. With cancel_fd >= 0, its
 * becoming readable (or hung up) ends the wait first, whatever fd has:
 * IMAP4_ECANCELED. 0, IMAP4_ETIMEOUT, IMAP4_ECANCELED, IMAP4_EINVAL
 * (cancel_fd is not open; errno EBADF) or IMAP4_EIO (errno kept).
 * cancel_fd is only polled. */
int imap4_fdio_wait(int fd, short events, int cancel_fd, int64_t deadline);

/* Ops for a transport that is a struct imap4_fd_transport: read and write
 * with deadlines, EINTR retried, SIGPIPE never raised, a wait ended by
 * t's cancel_fd IMAP4_ECANCELED; pending() is 0; close() closes both fds
 * and frees t. Every bottom layer reads with imap4_fdio_read, which is how
 * imap4_transport_set_cancel recognises one. */
ssize_t imap4_fdio_read(struct imap4_transport *t, void *buf, size_t len,
                        int64_t deadline);
int imap4_fdio_write(struct imap4_transport *t, const void *buf, size_t len,
                     int64_t deadline);
size_t imap4_fdio_pending(const struct imap4_transport *t);
void imap4_fdio_close(struct imap4_transport *t);

/* Closes the fds of t without freeing it (for layers that close more). */
void imap4_fdio_clear(struct imap4_fd_transport *t);

#endif
