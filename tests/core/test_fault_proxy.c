/* test_fault_proxy.c - the faulting proxy in front of a tiny echo server. */
#include "harness/fault_proxy.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Echo server: serves `conns` connections one after the other, echoing
 * everything, and keeps what it received from each. */
struct echo {
	int fd;
	uint16_t port;
	int conns;
	pthread_t thread;
	char got[4][256];
	size_t got_len[4];
};

static void *echo_run(void *arg)
{
	struct echo *e = arg;

	for (int c = 0; c < e->conns; c++) {
		int fd = accept(e->fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		char buf[256];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			size_t room = sizeof(e->got[c]) - e->got_len[c];
			size_t keep = (size_t)n < room ? (size_t)n : room;
			memcpy(e->got[c] + e->got_len[c], buf, keep);
			e->got_len[c] += keep;
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void echo_start(struct echo *e, int conns)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	memset(e, 0, sizeof(*e));
	e->conns = conns;
	e->fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(e->fd, 0);
	cr_assert_eq(bind(e->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(e->fd, 4), 0);
	cr_assert_eq(getsockname(e->fd, (struct sockaddr *)&sa, &len), 0);
	e->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&e->thread, NULL, echo_run, e), 0);
}

static void echo_join(struct echo *e)
{
	pthread_join(e->thread, NULL);
	close(e->fd);
}

static int dial(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	             "connect: %s", strerror(errno));
	return fd;
}

/* Reads until want bytes, EOF or ms of silence; returns the count. */
static size_t slurp(int fd, char *buf, size_t want, int ms)
{
	size_t got = 0;

	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, ms) != 1)
			break;
		ssize_t n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* 1 when the peer closed (EOF or reset) within ms, 0 if still open. */
static int closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, &c, 1) <= 0;
}

static void say(int fd, const char *s)
{
	cr_assert_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

Test(fault_proxy, passes_everything_and_counts)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	char buf[64];

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, NULL), 0);
	int fd = dial(port);
	say(fd, "hello, world");
	cr_assert_eq(slurp(fd, buf, 12, 2000), 12);
	cr_assert_eq(memcmp(buf, "hello, world", 12), 0);
	close(fd);
	echo_join(&e);
	cr_assert_eq(fault_proxy_total(p, FAULT_FROM_CLIENT), 12);
	cr_assert_eq(fault_proxy_total(p, FAULT_FROM_SERVER), 12);
	cr_assert_eq(fault_proxy_connections(p), 1);
	cr_assert_not(fault_proxy_fired(p));
	fault_proxy_stop(&p);
	cr_assert_null(p);
	fault_proxy_stop(&p);
}

Test(fault_proxy, cut_after_server_bytes)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	char buf[64];
	struct fault_plan plan = {
	        .action = FAULT_CUT, .dir = FAULT_FROM_SERVER, .after = 3};

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	int fd = dial(port);
	say(fd, "hello");
	cr_assert_eq(slurp(fd, buf, sizeof(buf), 2000), 3);
	cr_assert_eq(memcmp(buf, "hel", 3), 0);
	cr_assert(fault_proxy_fired(p));
	close(fd);
	echo_join(&e);
	fault_proxy_stop(&p);
}

Test(fault_proxy, cut_after_client_bytes)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	struct fault_plan plan = {
	        .action = FAULT_CUT, .dir = FAULT_FROM_CLIENT, .after = 3};

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	int fd = dial(port);
	say(fd, "hello");
	cr_assert_eq(closed_within(fd, 2000), 1);
	close(fd);
	echo_join(&e);
	cr_assert_eq(e.got_len[0], 3);
	cr_assert_eq(memcmp(e.got[0], "hel", 3), 0);
	cr_assert_eq(fault_proxy_total(p, FAULT_FROM_CLIENT), 3);
	fault_proxy_stop(&p);
}

Test(fault_proxy, cut_at_zero_before_anything)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	struct fault_plan plan = {.action = FAULT_CUT,
	                          .dir = FAULT_FROM_SERVER};

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	int fd = dial(port);
	cr_assert_eq(closed_within(fd, 2000), 1);
	close(fd);
	echo_join(&e);
	cr_assert_eq(e.got_len[0], 0);
	fault_proxy_stop(&p);
}

Test(fault_proxy, stall_holds_one_direction_open)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	char buf[64];
	struct fault_plan plan = {
	        .action = FAULT_STALL, .dir = FAULT_FROM_SERVER, .after = 2};

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	int fd = dial(port);
	say(fd, "hello");
	cr_assert_eq(slurp(fd, buf, sizeof(buf), 300), 2);
	cr_assert_eq(memcmp(buf, "he", 2), 0);
	cr_assert_eq(closed_within(fd, 200), 0, "a stall must not close");
	/* the client's side still flows */
	say(fd, "more");
	cr_assert_eq(slurp(fd, buf, sizeof(buf), 200), 0);
	cr_assert(fault_proxy_fired(p));
	close(fd);
	fault_proxy_stop(&p);
	echo_join(&e);
	cr_assert_eq(e.got_len[0], 9);
}

Test(fault_proxy, inject_inserts_bytes_at_the_point)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	char buf[64];
	char data[] = "XY";
	struct fault_plan plan = {.action = FAULT_INJECT,
	                          .dir = FAULT_FROM_SERVER,
	                          .after = 2,
	                          .data = data,
	                          .len = 2};

	echo_start(&e, 1);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	data[0] = 'Z'; /* the plan was copied */
	int fd = dial(port);
	say(fd, "hello");
	cr_assert_eq(slurp(fd, buf, 7, 2000), 7);
	cr_assert_eq(memcmp(buf, "heXYllo", 7), 0);
	close(fd);
	echo_join(&e);
	cr_assert_eq(fault_proxy_total(p, FAULT_FROM_SERVER), 5);
	fault_proxy_stop(&p);
}

Test(fault_proxy, once_lets_the_reconnect_through)
{
	struct echo e;
	struct fault_proxy *p;
	uint16_t port;
	char buf[64];
	struct fault_plan plan = {.action = FAULT_CUT,
	                          .dir = FAULT_FROM_CLIENT,
	                          .after = 1,
	                          .once = true};

	echo_start(&e, 2);
	cr_assert_eq(fault_proxy_start(&p, &port, e.port, &plan), 0);
	int fd = dial(port);
	say(fd, "ab");
	cr_assert_eq(closed_within(fd, 2000), 1);
	close(fd);
	fd = dial(port);
	say(fd, "cd");
	cr_assert_eq(slurp(fd, buf, 2, 2000), 2);
	cr_assert_eq(memcmp(buf, "cd", 2), 0);
	close(fd);
	echo_join(&e);
	cr_assert_eq(fault_proxy_connections(p), 2);
	fault_proxy_stop(&p);
}

Test(fault_proxy, refused_upstream_closes_client)
{
	struct fault_proxy *p;
	uint16_t port;
	struct echo e;

	/* a port that was just free: nothing listens there */
	echo_start(&e, 0);
	uint16_t dead = e.port;
	echo_join(&e);
	cr_assert_eq(fault_proxy_start(&p, &port, dead, NULL), 0);
	int fd = dial(port);
	cr_assert_eq(closed_within(fd, 2000), 1);
	close(fd);
	fault_proxy_stop(&p);
}
