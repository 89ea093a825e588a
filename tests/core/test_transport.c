/* test_transport.c - the fd and tcp transports, waits and deadlines. */
#include <criterion/criterion.h>

#include "imap4.h"
#include "io/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

Test(transport, clock_and_deadline)
{
	int64_t a = imap4_now_ms();
	int64_t d = imap4_deadline(250);

	cr_assert_geq(d, a + 250);
	cr_assert_leq(d, a + 1250);
	cr_assert_eq(imap4_deadline(-1), -1);
	cr_assert_eq(imap4_deadline(-5), -1);
	cr_assert_geq(imap4_now_ms(), a);
}

Test(transport, fd_read_write)
{
	struct imap4_transport *t;
	int sv[2];
	char buf[64];
	ssize_t n;

	pair(sv);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	cr_assert_str_eq(t->ops->name, "fd");
	cr_assert_eq(t->fd, sv[0]);
	cr_assert_eq(imap4_transport_write(t, "a001 NOOP\r\n", 11, -1), 0);
	n = read(sv[1], buf, sizeof(buf));
	cr_assert_eq(n, 11);
	cr_assert_eq(memcmp(buf, "a001 NOOP\r\n", 11), 0);

	cr_assert_eq(write(sv[1], "* OK\r\n", 6), 6);
	cr_assert_eq(imap4_transport_wait(t, -1, imap4_deadline(1000)), 1);
	n = imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(1000));
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(buf, "* OK\r\n", 6), 0);
	cr_assert_eq(imap4_transport_pending(t), 0);
	cr_assert_eq(imap4_transport_read(t, buf, 0, -1), IMAP4_EINVAL);
	cr_assert_eq(imap4_transport_write(t, NULL, 0, -1), 0);

	imap4_transport_close(&t);
	cr_assert_null(t);
	imap4_transport_close(&t);
	close(sv[1]);
}

Test(transport, fd_open_bad_fd)
{
	struct imap4_transport *t = (void *)1;

	cr_assert_eq(imap4_fd_open(&t, -1), IMAP4_EINVAL);
	cr_assert_null(t);
}

Test(transport, fd_read_times_out)
{
	struct imap4_transport *t;
	int sv[2];
	char buf[8];
	int64_t start;
	ssize_t n;

	pair(sv);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	start = imap4_now_ms();
	n = imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(150));
	cr_assert_eq(n, IMAP4_ETIMEOUT);
	cr_assert_geq(imap4_now_ms() - start, 150);
	cr_assert_lt(imap4_now_ms() - start, 2000);
	cr_assert(strstr(t->errmsg, "timed out"), "%s", t->errmsg);

	/* A timeout is not fatal: data that comes later is read. */
	cr_assert_eq(write(sv[1], "x", 1), 1);
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), -1), 1);
	/* A deadline that has passed still takes what is there. */
	cr_assert_eq(write(sv[1], "y", 1), 1);
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), 0), 1);
	cr_assert_eq(buf[0], 'y');
	imap4_transport_close(&t);
	close(sv[1]);
}

Test(transport, fd_eof)
{
	struct imap4_transport *t;
	int sv[2];
	char buf[8];

	pair(sv);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	cr_assert_eq(write(sv[1], "bye", 3), 3);
	close(sv[1]);
	cr_assert_eq(imap4_transport_wait(t, -1, imap4_deadline(1000)), 1);
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), -1), 3);
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), -1), IMAP4_EEOF);
	imap4_transport_close(&t);
}

Test(transport, fd_write_to_closed_peer_is_eio_not_sigpipe)
{
	struct imap4_transport *t;
	int sv[2];

	pair(sv);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	close(sv[1]);
	/* SIGPIPE's default action would kill the test. */
	cr_assert_eq(imap4_transport_write(t, "x", 1, imap4_deadline(1000)),
	             IMAP4_EIO);
	cr_assert(strstr(t->errmsg, "Broken pipe"), "%s", t->errmsg);
	imap4_transport_close(&t);
}

Test(transport, fd_write_times_out_when_peer_does_not_read)
{
	struct imap4_transport *t;
	static char big[1 << 20];
	int sv[2];
	int64_t start;

	pair(sv);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	start = imap4_now_ms();
	cr_assert_eq(
	        imap4_transport_write(t, big, sizeof(big), imap4_deadline(150)),
	        IMAP4_ETIMEOUT);
	cr_assert_geq(imap4_now_ms() - start, 150);
	imap4_transport_close(&t);
	close(sv[1]);
}

Test(transport, wait_extra_fd_and_timeout)
{
	struct imap4_transport *t;
	int sv[2], wake[2];

	pair(sv);
	cr_assert_eq(pipe(wake), 0);
	cr_assert_eq(imap4_fd_open(&t, sv[0]), 0);
	cr_assert_eq(imap4_transport_wait(t, wake[0], imap4_deadline(100)),
	             IMAP4_ETIMEOUT);
	cr_assert_eq(write(wake[1], "w", 1), 1);
	cr_assert_eq(imap4_transport_wait(t, wake[0], imap4_deadline(1000)), 2);
	/* Both ready: the wake is reported, the data stays. */
	cr_assert_eq(write(sv[1], "d", 1), 1);
	cr_assert_eq(imap4_transport_wait(t, wake[0], -1), 2);
	cr_assert_eq(imap4_transport_wait(t, -1, -1), 1);
	imap4_transport_close(&t);
	close(sv[1]);
	close(wake[0]);
	close(wake[1]);
}

/* ------------------------------------------------------------------ tcp */

static int listener(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET6
	                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void echo_once(struct imap4_transport *t, int lfd)
{
	char buf[16];
	int c = accept(lfd, NULL, NULL);
	ssize_t n;
	int on = 0;
	socklen_t len = sizeof(on);

	cr_assert_geq(c, 0);
	cr_assert_eq(getsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
	cr_assert_neq(on, 0, "TCP_NODELAY is set");
	cr_assert_eq(imap4_transport_write(t, "ping", 4, imap4_deadline(2000)),
	             0);
	cr_assert_eq(read(c, buf, 4), 4);
	cr_assert_eq(write(c, "pong", 4), 4);
	n = imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(2000));
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(buf, "pong", 4), 0);
	close(c);
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(2000)),
	        IMAP4_EEOF);
}

Test(tcp, ipv4_loopback_with_keepalive)
{
	struct imap4_transport *t;
	char err[256] = "";
	uint16_t port;
	int lfd = listener(AF_INET, &port);
	int on = 0, idle = 0;
	socklen_t len = sizeof(on);

	cr_assert_geq(lfd, 0);
	cr_assert_eq(imap4_tcp_open(&t, "127.0.0.1", port, true,
	                            imap4_deadline(2000), err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(t->ops->name, "tcp");
	cr_assert_eq(getsockopt(t->fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len), 0);
	cr_assert_neq(on, 0);
	len = sizeof(idle);
	getsockopt(t->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len);
	cr_assert_eq(idle, 60);
	echo_once(t, lfd);
	imap4_transport_close(&t);
	close(lfd);
}

Test(tcp, name_resolved_in_thread)
{
	struct imap4_transport *t;
	char err[256] = "";
	uint16_t port;
	int lfd = listener(AF_INET, &port);

	cr_assert_geq(lfd, 0);
	/* "localhost" may resolve to ::1 first with nothing listening
	 * there: the next address must be tried. */
	cr_assert_eq(imap4_tcp_open(&t, "localhost", port, false,
	                            imap4_deadline(5000), err, sizeof(err)),
	             0, "%s", err);
	echo_once(t, lfd);
	imap4_transport_close(&t);
	/* Without a deadline the resolver runs in the caller. */
	cr_assert_eq(imap4_tcp_open(&t, "localhost", port, false, -1, err,
	                            sizeof(err)),
	             0, "%s", err);
	imap4_transport_close(&t);
	close(lfd);
}

Test(tcp, ipv6_loopback)
{
	struct imap4_transport *t;
	char err[256] = "";
	uint16_t port;
	int lfd = listener(AF_INET6, &port);

	if (lfd < 0)
		cr_skip_test("no IPv6 loopback: %s", strerror(errno));
	cr_assert_eq(imap4_tcp_open(&t, "::1", port, false,
	                            imap4_deadline(2000), err, sizeof(err)),
	             0, "%s", err);
	echo_once(t, lfd);
	imap4_transport_close(&t);
	close(lfd);
}

Test(tcp, refused)
{
	struct imap4_transport *t = (void *)1;
	char err[256] = "", want[64];
	uint16_t port;
	int lfd = listener(AF_INET, &port);

	cr_assert_geq(lfd, 0);
	close(lfd); /* nothing listens there now */
	cr_assert_eq(imap4_tcp_open(&t, "127.0.0.1", port, false,
	                            imap4_deadline(2000), err, sizeof(err)),
	             IMAP4_ECONNECT);
	cr_assert_null(t);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u: ", port);
	cr_assert(strstr(err, want) == err, "%s", err);
	cr_assert(strstr(err, "Connection refused"), "%s", err);
}

Test(tcp, refused_ipv6_message)
{
	struct imap4_transport *t;
	char err[256] = "", want[64];
	uint16_t port;
	int lfd = listener(AF_INET6, &port);

	if (lfd < 0)
		cr_skip_test("no IPv6 loopback");
	close(lfd);
	cr_assert_eq(imap4_tcp_open(&t, "::1", port, false,
	                            imap4_deadline(2000), err, sizeof(err)),
	             IMAP4_ECONNECT);
	/* the address once: it is the name (explore54) */
	snprintf(want, sizeof(want), "connect to [::1]:%u: ", port);
	cr_assert(strstr(err, want) == err, "%s", err);
}

Test(tcp, bad_arguments)
{
	struct imap4_transport *t;
	char err[128];

	cr_assert_eq(imap4_tcp_open(&t, "", 143, false, -1, err, sizeof(err)),
	             IMAP4_EINVAL);
	cr_assert_eq(
	        imap4_tcp_open(&t, "127.0.0.1", 0, false, -1, err, sizeof(err)),
	        IMAP4_EINVAL);
	cr_assert_eq(imap4_tcp_open(&t, "not a host name!", 143, false,
	                            imap4_deadline(5000), err, sizeof(err)),
	             IMAP4_ERESOLVE, "%s", err);
	cr_assert(strstr(err, "resolve not a host name!: "), "%s", err);
}

Test(tcp, read_deadline_with_silent_server)
{
	struct imap4_transport *t;
	char err[256] = "", buf[16];
	uint16_t port;
	int lfd = listener(AF_INET, &port);
	int64_t start;

	cr_assert_geq(lfd, 0);
	cr_assert_eq(imap4_tcp_open(&t, "127.0.0.1", port, false,
	                            imap4_deadline(2000), err, sizeof(err)),
	             0, "%s", err);
	/* Accepted by the kernel, never answered. */
	start = imap4_now_ms();
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(200)),
	        IMAP4_ETIMEOUT);
	cr_assert_geq(imap4_now_ms() - start, 200);
	cr_assert_lt(imap4_now_ms() - start, 2000);
	imap4_transport_close(&t);
	close(lfd);
}

Test(tcp, connect_deadline)
{
	struct imap4_transport *t;
	char err[256] = "";
	uint16_t port;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fill[8], nfill = 0, i, rc;
	int64_t start;

	/* A listener whose accept queue is full drops further SYNs, so a
	 * connect to it stays in progress until the client gives up. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, len), 0);
	cr_assert_eq(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	for (i = 0; i < 8; i++) {
		fill[nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[nfill], (struct sockaddr *)&sa, sizeof(sa));
		nfill++;
	}
	usleep(100 * 1000);
	start = imap4_now_ms();
	rc = imap4_tcp_open(&t, "127.0.0.1", port, false, imap4_deadline(300),
	                    err, sizeof(err));
	if (rc == 0) {
		imap4_transport_close(&t);
		cr_skip_test("this kernel completed a connect to a full "
		             "backlog");
	}
	cr_assert_eq(rc, IMAP4_ETIMEOUT, "%d %s", rc, err);
	cr_assert_geq(imap4_now_ms() - start, 300);
	cr_assert_lt(imap4_now_ms() - start, 3000);
	cr_assert(strstr(err, "timed out"), "%s", err);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}
