/* tcp.c - TCP client connections: resolve, connect, options.
 *
 * getaddrinfo(3) has no timeout: a dead DNS server can hold it for the
 * resolver's whole retry budget (30 s and more). Since every wait must have
 * a deadline, a name that is not a numeric address is resolved in a detached
 * thread that the caller waits for with the deadline; when the caller gives
 * up, the last of the two to finish frees the job (the curl threaded
 * resolver works the same way). The thread says it is done through an
 * eventfd rather than a condition variable, so that the caller can poll it
 * together with a cancel descriptor.
 */
#include "io/fdio.h"

#include "imap4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Probes after 60 s idle, every 15 s, 4 of them: a dead peer is noticed
 * within two minutes, well inside a NAT's idle timeout. */
enum { KEEPIDLE_S = 60, KEEPINTVL_S = 15, KEEPCNT = 4 };

static const struct imap4_transport_ops tcp_ops = {
        .name = "tcp",
        .read = imap4_fdio_read,
        .write = imap4_fdio_write,
        .pending = imap4_fdio_pending,
        .close = imap4_fdio_close,
};

struct resolve_job {
	pthread_mutex_t lock; /* guards refs and the results */
	int done_fd;          /* eventfd the thread writes when done */
	int refs;             /* the caller and the thread */
	bool done;
	int rc;  /* getaddrinfo's result */
	int err; /* errno for EAI_SYSTEM */
	struct addrinfo *res;
	char port[8];
	char host[];
};

static const struct addrinfo stream_hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_protocol = IPPROTO_TCP,
        .ai_flags = AI_NUMERICSERV,
        /* No AI_ADDRCONFIG: it hides ::1 and 127.0.0.1 on hosts whose only
         * addresses are loopback ones, and an unusable family just fails
         * fast at connect(). */
};

static void job_unref(struct resolve_job *job)
{
	bool last;

	pthread_mutex_lock(&job->lock);
	last = --job->refs == 0;
	pthread_mutex_unlock(&job->lock);
	if (!last)
		return;
	if (job->res)
		freeaddrinfo(job->res);
	close(job->done_fd);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

static void *resolve_thread(void *arg)
{
	struct resolve_job *job = arg;
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(job->host, job->port, &stream_hints, &res);
	int err = errno;
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&job->lock);
	job->rc = rc;
	job->err = err;
	job->res = res;
	job->done = true;
	pthread_mutex_unlock(&job->lock);
	/* Our reference keeps done_fd open; a counter that is full (it
	 * cannot be, after one write) would be readable all the same. */
	do
		n = write(job->done_fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	job_unref(job);
	return NULL;
}

static int start_job(struct resolve_job *job)
{
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The thread inherits a full mask, so that the program's signals
	 * are delivered to its own threads, never to ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, resolve_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc == 0 ? 0 : -1;
}

static int init_job(struct resolve_job *job)
{
	job->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (job->done_fd < 0)
		return -1;
	if (pthread_mutex_init(&job->lock, NULL) != 0) {
		close(job->done_fd);
		return -1;
	}
	return 0;
}

/* Runs getaddrinfo in a thread and waits for it until deadline or a
 * cancel. 0 with *res (the caller frees it), or IMAP4_ETIMEOUT /
 * IMAP4_ECANCELED / IMAP4_EINVAL (cancel_fd not open) / IMAP4_EIO /
 * IMAP4_ENOMEM with *gai left 0, or IMAP4_ERESOLVE with *gai and *err
 * set. */
static int resolve_async(struct addrinfo **res, int *gai, int *err,
                         const char *host, const char *port, int cancel_fd,
                         int64_t deadline)
{
	size_t hlen = strlen(host) + 1;
	struct resolve_job *job = calloc(1, sizeof(*job) + hlen);
	int rc;

	if (!job)
		return IMAP4_ENOMEM;
	memcpy(job->host, host, hlen);
	snprintf(job->port, sizeof(job->port), "%s", port);
	if (init_job(job) < 0) {
		free(job);
		return IMAP4_ENOMEM;
	}
	job->refs = 2;
	if (start_job(job) < 0) {
		job->refs = 1;
		job_unref(job);
		return IMAP4_ENOMEM;
	}
	rc = imap4_fdio_wait(job->done_fd, POLLIN, cancel_fd, deadline);
	pthread_mutex_lock(&job->lock);
	/* Done by the time we look is done, whatever ended the wait: its
	 * answer is as good as any. */
	if (job->done) {
		*gai = job->rc;
		*err = job->err;
		*res = job->res;
		job->res = NULL;
		rc = *gai == 0 ? 0 : IMAP4_ERESOLVE;
	} else if (rc == 0) {
		rc = IMAP4_EIO; /* done_fd fired, yet not done: cannot be */
	}
	pthread_mutex_unlock(&job->lock);
	job_unref(job);
	return rc;
}

static int resolve(struct addrinfo **res, const char *host, uint16_t port,
                   int cancel_fd, int64_t deadline, char *errbuf, size_t errlen)
{
	struct addrinfo hints = stream_hints;
	char portstr[8];
	int gai, err = 0, rc;

	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	/* An address literal needs no resolver and no thread. */
	hints.ai_flags |= AI_NUMERICHOST;
	gai = getaddrinfo(host, portstr, &hints, res);
	if (gai == 0)
		return 0;
	if (deadline < 0 && cancel_fd < 0) {
		gai = getaddrinfo(host, portstr, &stream_hints, res);
		err = errno;
		rc = gai == 0 ? 0 : IMAP4_ERESOLVE;
	} else {
		gai = 0;
		rc = resolve_async(res, &gai, &err, host, portstr, cancel_fd,
		                   deadline);
	}
	if (rc == IMAP4_ETIMEOUT)
		snprintf(errbuf, errlen, "resolve %s: timed out", host);
	else if (rc == IMAP4_ECANCELED)
		snprintf(errbuf, errlen, "resolve %s: cancelled", host);
	else if (rc == IMAP4_EINVAL)
		snprintf(errbuf, errlen,
		         "resolve %s: the cancel descriptor %d is not open",
		         host, cancel_fd);
	else if (rc == IMAP4_EIO)
		snprintf(errbuf, errlen, "resolve %s: cannot wait for it",
		         host);
	else if (rc == IMAP4_ENOMEM)
		snprintf(errbuf, errlen, "resolve %s: out of memory", host);
	else if (rc < 0)
		snprintf(errbuf, errlen, "resolve %s: %s", host,
		         gai == EAI_SYSTEM ? strerror(err) : gai_strerror(gai));
	else if (!*res) {
		snprintf(errbuf, errlen, "resolve %s: no address", host);
		rc = IMAP4_ERESOLVE;
	}
	return rc;
}

/* "[::1]:993" or "127.0.0.1:993". */
static void format_addr(char *buf, size_t len, const struct addrinfo *ai)
{
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", host, (unsigned)port);
		return;
	}
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ai->ai_addr;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(buf, len, "%s:%u", host, (unsigned)port);
}

/* One non-blocking connect bounded by deadline and cancel_fd: the
 * connected socket, or a negative code with errno set (ETIMEDOUT for the
 * deadline, ECANCELED for a cancel, EBADF for a cancel_fd not open). */
static int connect_one(const struct addrinfo *ai, int cancel_fd,
                       int64_t deadline)
{
	int fd = socket(ai->ai_family,
	                ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	int soerr = 0, rc;
	socklen_t slen = sizeof(soerr);

	if (fd < 0)
		return IMAP4_ECONNECT;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	/* An interrupted connect goes on in the background, as one in
	 * progress does (POSIX connect(2)); both end in SO_ERROR. */
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	rc = imap4_fdio_wait(fd, POLLOUT, cancel_fd, deadline);
	if (rc == IMAP4_ETIMEOUT || rc == IMAP4_ECANCELED ||
	    rc == IMAP4_EINVAL) {
		close(fd);
		errno = rc == IMAP4_ETIMEOUT    ? ETIMEDOUT
		        : rc == IMAP4_ECANCELED ? ECANCELED
		                                : EBADF;
		return rc;
	}
	if (rc < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		goto fail;
	if (soerr == 0)
		return fd;
	errno = soerr;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return IMAP4_ECONNECT;
}

static void set_options(int fd, bool keepalive)
{
	int one = 1;
	int idle = KEEPIDLE_S, intvl = KEEPINTVL_S, cnt = KEEPCNT;

	/* Failures here cost latency or liveness detection, not
	 * correctness, so the connection is kept whatever they return.
	 * NODELAY: commands are small and each waits for its answer. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!keepalive)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

int imap4_tcp_open(struct imap4_transport **out, const char *host,
                   uint16_t port, bool keepalive, int64_t deadline,
                   char *errbuf, size_t errlen)
{
	return imap4_tcp_open_cancel(out, host, port, keepalive, -1, deadline,
	                             errbuf, errlen);
}

int imap4_tcp_open_cancel(struct imap4_transport **out, const char *host,
                          uint16_t port, bool keepalive, int cancel_fd,
                          int64_t deadline, char *errbuf, size_t errlen)
{
	struct addrinfo *res = NULL, *ai;
	struct imap4_fd_transport *t;
	char name[160], addr[INET6_ADDRSTRLEN + 10];
	int fd = -1, rc, tried = 0;

	*out = NULL;
	if (!host || !*host || port == 0) {
		snprintf(errbuf, errlen, "connect: %s",
		         port == 0 ? "port 0" : "no host name");
		return IMAP4_EINVAL;
	}
	/* A literal IPv6 address reads as [::1]:993, a name as host:993. */
	snprintf(name, sizeof(name), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
	         host, (unsigned)port);
	rc = imap4_cancel_check(cancel_fd);
	if (rc < 0) {
		snprintf(errbuf, errlen, "connect to %s: %s", name,
		         rc == IMAP4_ECANCELED ? "cancelled"
		         : rc == IMAP4_EINVAL  ? "the cancel descriptor is not "
		                                 "open"
		                               : "cannot poll the cancel "
		                                 "descriptor");
		return rc;
	}
	rc = resolve(&res, host, port, cancel_fd, deadline, errbuf, errlen);
	if (rc < 0)
		return rc;

	/* Every address in the resolver's order (RFC 6724 already puts the
	 * preferred family first); the last failure is the one reported.
	 * While other addresses remain, an attempt gets half the time left,
	 * so that a black-holed IPv6 route cannot use up the whole deadline
	 * before IPv4 is tried (a sequential cousin of RFC 8305). */
	for (ai = res; ai; ai = ai->ai_next) {
		int64_t attempt = deadline;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		tried++;
		if (deadline >= 0 && ai->ai_next)
			attempt = imap4_now_ms() +
			          (deadline - imap4_now_ms()) / 2;
		format_addr(addr, sizeof(addr), ai);
		fd = connect_one(ai, cancel_fd, attempt);
		if (fd >= 0)
			break;
		rc = fd;
		char why[64];
		const char *text = imap4_errno_text(errno, why, sizeof(why));
		/* The address the name resolved to, unless it is the name
		 * (explore54: "connect to [::1]:993 ([::1]:993)") */
		bool same = strcmp(name, addr) == 0;
		snprintf(errbuf, errlen, "connect to %s%s%s%s: %s", name,
		         same ? "" : " (", same ? "" : addr, same ? "" : ")",
		         rc == IMAP4_ETIMEOUT    ? "timed out"
		         : rc == IMAP4_ECANCELED ? "cancelled"
		                                 : text);
		/* A cancel or a bad cancel_fd is the same for every
		 * address. */
		if (rc == IMAP4_ECANCELED || rc == IMAP4_EINVAL)
			break;
		if (deadline >= 0 && imap4_now_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (tried == 0) {
			snprintf(errbuf, errlen, "connect to %s: no address",
			         name);
			return IMAP4_ERESOLVE;
		}
		return rc;
	}

	set_options(fd, keepalive);
	t = malloc(sizeof(*t));
	if (!t) {
		close(fd);
		snprintf(errbuf, errlen, "connect to %s: out of memory", name);
		return IMAP4_ENOMEM;
	}
	rc = imap4_fdio_init(t, &tcp_ops, fd, fd, name);
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s", t->base.errmsg);
		imap4_fdio_close(&t->base);
		return rc;
	}
	t->cancel_fd = cancel_fd < 0 ? -1 : cancel_fd;
	*out = &t->base;
	return 0;
}
