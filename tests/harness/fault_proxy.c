/* fault_proxy.c - a byte-exact faulting TCP proxy for tests. */
#include "harness/fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 32
#define BUF_SIZE  65536

/* One direction of a connection: bytes read from `from` wait in buf until
 * `to` takes them. Reading stops while buf holds anything, so a slow
 * reader slows the writer down, as a real network would. */
struct flow {
	int from, to;
	char *buf;
	size_t cap, off, len;
	uint64_t passed;
	bool eof;  /* from reached end of stream */
	bool shut; /* ... and that was passed on with shutdown() */
	bool stalled;
	bool done; /* the fault happened */
	/* FAULT_SLOW: since when, and what passed since; throttled while
	 * the rate allows nothing more for now */
	int64_t slow_since_ms;
	uint64_t slow_passed;
	bool throttled;
};

struct pair {
	int cfd, ufd;
	struct flow flow[2]; /* indexed by enum fault_dir */
	bool faulty;         /* the plan applies to this connection */
	bool dead;
};

struct fault_proxy {
	pthread_t thread;
	int listen_fd;
	int wake[2];
	uint16_t upstream_port;
	struct fault_plan plan;
	void *inject;

	struct pair *pairs[MAX_PAIRS];

	pthread_mutex_t lock; /* guards the counters below */
	uint64_t total[2];
	unsigned connections;
	bool fired;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int connect_upstream(uint16_t port, bool wan_buffers)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	/* Before the connect: the MSS goes out in the SYN, and Linux sizes
	 * the server's send buffer by it (tcp_sndbuf_expand); a small
	 * receive buffer keeps the window, and so that buffer, from
	 * growing. */
	int mss = 1400, rcvbuf = 8192;
	if (wan_buffers &&
	    (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) < 0 ||
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) <
	             0)) {
		close(fd);
		return -1;
	}
	/* Loopback connects complete at once or fail at once. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_nonblock(fd);
	return fd;
}

static void pair_free(struct pair *pr)
{
	close(pr->cfd);
	close(pr->ufd);
	free(pr->flow[0].buf);
	free(pr->flow[1].buf);
	free(pr);
}

static void fired(struct fault_proxy *p)
{
	pthread_mutex_lock(&p->lock);
	p->fired = true;
	pthread_mutex_unlock(&p->lock);
}

static bool fault_due(const struct fault_proxy *p, const struct pair *pr,
                      enum fault_dir d)
{
	const struct flow *f = &pr->flow[d];

	return pr->faulty && p->plan.dir == d && !f->done && f->len == 0 &&
	       f->passed == p->plan.after;
}

static void apply_fault(struct fault_proxy *p, struct pair *pr,
                        enum fault_dir d)
{
	struct flow *f = &pr->flow[d];

	f->done = true;
	fired(p);
	switch (p->plan.action) {
	case FAULT_CUT:
		pr->dead = true;
		break;
	case FAULT_STALL:
		f->stalled = true;
		break;
	case FAULT_INJECT:
		/* buf is empty here and at least plan.len large */
		memcpy(f->buf, p->inject, p->plan.len);
		f->off = 0;
		f->len = p->plan.len;
		break;
	case FAULT_SLOW:
		f->slow_since_ms = now_ms();
		f->slow_passed = 0;
		break;
	case FAULT_PASS:
		break;
	}
}

/* What a slow flow may read now, or SIZE_MAX for one that is not slow. */
static size_t slow_budget(const struct fault_proxy *p, const struct pair *pr,
                          struct flow *f)
{
	if (!pr->faulty || p->plan.action != FAULT_SLOW || !f->done)
		return SIZE_MAX;
	uint64_t allowed =
	        (uint64_t)(now_ms() - f->slow_since_ms) * p->plan.rate / 1000;
	/* A pause saves up plan.burst at most: what it saved beyond that
	 * is forgotten. */
	if (p->plan.burst && allowed > f->slow_passed + p->plan.burst)
		f->slow_passed = allowed - p->plan.burst;
	return allowed > f->slow_passed ? (size_t)(allowed - f->slow_passed)
	                                : 0;
}

static void flush(struct pair *pr, struct flow *f)
{
	while (f->len > 0) {
		ssize_t n = send(f->to, f->buf + f->off, f->len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			pr->dead = true;
			return;
		}
		f->off += (size_t)n;
		f->len -= (size_t)n;
	}
	f->off = 0;
	if (f->eof && !f->shut) {
		shutdown(f->to, SHUT_WR);
		f->shut = true;
	}
}

static void pump(struct fault_proxy *p, struct pair *pr, enum fault_dir d)
{
	struct flow *f = &pr->flow[d];

	flush(pr, f);
	if (fault_due(p, pr, d))
		apply_fault(p, pr, d);
	if (pr->dead || f->len > 0 || f->eof || f->stalled)
		return;

	size_t want = f->cap;
	/* Read no further than the fault point, so that it falls on exactly
	 * the byte the plan names. */
	if (pr->faulty && p->plan.dir == d && !f->done &&
	    p->plan.after - f->passed < want)
		want = (size_t)(p->plan.after - f->passed);
	size_t budget = slow_budget(p, pr, f);
	f->throttled = budget == 0;
	if (f->throttled)
		return;
	if (budget < want)
		want = budget;
	ssize_t n = recv(f->from, f->buf, want, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		pr->dead = true;
		return;
	}
	if (n == 0) {
		f->eof = true;
	} else {
		f->len = (size_t)n;
		f->passed += (uint64_t)n;
		if (f->done)
			f->slow_passed += (uint64_t)n;
		pthread_mutex_lock(&p->lock);
		p->total[d] += (uint64_t)n;
		pthread_mutex_unlock(&p->lock);
	}
	flush(pr, f);
	if (fault_due(p, pr, d))
		apply_fault(p, pr, d);
}

static void accept_pair(struct fault_proxy *p)
{
	int cfd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	size_t slot = 0;

	if (cfd < 0)
		return;
	while (slot < MAX_PAIRS && p->pairs[slot])
		slot++;
	int ufd = slot < MAX_PAIRS ? connect_upstream(p->upstream_port,
	                                              p->plan.wan_buffers)
	                           : -1;
	struct pair *pr = ufd >= 0 ? calloc(1, sizeof(*pr)) : NULL;
	size_t cap = BUF_SIZE > p->plan.len ? BUF_SIZE : p->plan.len;
	if (pr) {
		pr->flow[0].buf = malloc(cap);
		pr->flow[1].buf = malloc(cap);
	}
	if (!pr || !pr->flow[0].buf || !pr->flow[1].buf) {
		if (pr) {
			free(pr->flow[0].buf);
			free(pr->flow[1].buf);
			free(pr);
		}
		if (ufd >= 0)
			close(ufd);
		close(cfd); /* the client sees the refusal as a cut */
		return;
	}
	set_nonblock(cfd);
	pr->cfd = cfd;
	pr->ufd = ufd;
	pr->flow[FAULT_FROM_SERVER] = (struct flow){
	        .from = ufd, .to = cfd, .buf = pr->flow[0].buf, .cap = cap};
	pr->flow[FAULT_FROM_CLIENT] = (struct flow){
	        .from = cfd, .to = ufd, .buf = pr->flow[1].buf, .cap = cap};

	pthread_mutex_lock(&p->lock);
	pr->faulty = p->plan.action != FAULT_PASS &&
	             !(p->plan.once && p->connections > 0);
	p->connections++;
	pthread_mutex_unlock(&p->lock);
	p->pairs[slot] = pr;
	/* A fault at byte 0 happens before anything is forwarded. */
	pump(p, pr, FAULT_FROM_SERVER);
	pump(p, pr, FAULT_FROM_CLIENT);
	if (pr->dead) {
		pair_free(pr);
		p->pairs[slot] = NULL;
	}
}

static short events_for(const struct pair *pr, int fd)
{
	short ev = 0;

	for (int d = 0; d < 2; d++) {
		const struct flow *f = &pr->flow[d];
		if (f->from == fd && f->len == 0 && !f->eof && !f->stalled &&
		    !f->throttled)
			ev |= POLLIN;
		if (f->to == fd && f->len > 0)
			ev |= POLLOUT;
	}
	return ev;
}

static void *run(void *arg)
{
	struct fault_proxy *p = arg;
	struct pollfd fds[2 + 2 * MAX_PAIRS];

	for (;;) {
		nfds_t n = 0;
		int wait_ms = -1; /* a throttled flow is looked at again soon */
		fds[n++] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
		fds[n++] =
		        (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < MAX_PAIRS; i++) {
			struct pair *pr = p->pairs[i];
			if (!pr)
				continue;
			fds[n++] = (struct pollfd){
			        .fd = pr->cfd,
			        .events = events_for(pr, pr->cfd)};
			fds[n++] = (struct pollfd){
			        .fd = pr->ufd,
			        .events = events_for(pr, pr->ufd)};
			if (pr->flow[0].throttled || pr->flow[1].throttled)
				wait_ms = 10;
		}
		if (poll(fds, n, wait_ms) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		for (size_t i = 0, k = 2; i < MAX_PAIRS; i++) {
			struct pair *pr = p->pairs[i];
			if (!pr)
				continue;
			/* A peer that hung up on a side we no longer serve (a
			 * stalled or finished reader) would wake poll for ever:
			 * nothing can flow on that connection any more. */
			for (int j = 0; j < 2; j++, k++)
				if (k < n && fds[k].events == 0 &&
				    (fds[k].revents &
				     (POLLHUP | POLLERR | POLLNVAL)))
					pr->dead = true;
			pump(p, pr, FAULT_FROM_SERVER);
			pump(p, pr, FAULT_FROM_CLIENT);
			if (pr->dead ||
			    (pr->flow[0].shut && pr->flow[1].shut)) {
				pair_free(pr);
				p->pairs[i] = NULL;
			}
		}
		/* After the pairs: fds[] indexes were laid out without it. */
		if (fds[1].revents & POLLIN)
			accept_pair(p);
	}
	return NULL;
}

int fault_proxy_start(struct fault_proxy **out, uint16_t *listen_port,
                      uint16_t upstream_port, const struct fault_plan *plan)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	int one = 1, e;

	*out = NULL;
	struct fault_proxy *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->listen_fd = p->wake[0] = p->wake[1] = -1;
	p->upstream_port = upstream_port;
	pthread_mutex_init(&p->lock, NULL);
	if (plan)
		p->plan = *plan;
	if (p->plan.action == FAULT_INJECT) {
		p->inject = malloc(p->plan.len ? p->plan.len : 1);
		if (!p->inject)
			goto fail;
		if (p->plan.len)
			memcpy(p->inject, p->plan.data, p->plan.len);
	} else {
		p->plan.len = 0;
	}
	p->plan.data = NULL;

	if (pipe2(p->wake, O_CLOEXEC) < 0)
		goto fail;
	p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0 ||
	    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	               sizeof(one)) < 0 ||
	    bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(p->listen_fd, 16) < 0 ||
	    getsockname(p->listen_fd, (struct sockaddr *)&sa, &salen) < 0)
		goto fail;
	set_nonblock(p->listen_fd);
	e = pthread_create(&p->thread, NULL, run, p);
	if (e) {
		errno = e;
		goto fail;
	}
	*listen_port = ntohs(sa.sin_port);
	*out = p;
	return 0;
fail:
	e = errno;
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	if (p->wake[0] >= 0) {
		close(p->wake[0]);
		close(p->wake[1]);
	}
	free(p->inject);
	pthread_mutex_destroy(&p->lock);
	free(p);
	errno = e;
	return -1;
}

void fault_proxy_stop(struct fault_proxy **pp)
{
	struct fault_proxy *p = pp ? *pp : NULL;

	if (!p)
		return;
	while (write(p->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < MAX_PAIRS; i++)
		if (p->pairs[i])
			pair_free(p->pairs[i]);
	close(p->listen_fd);
	close(p->wake[0]);
	close(p->wake[1]);
	free(p->inject);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

uint64_t fault_proxy_total(struct fault_proxy *p, enum fault_dir dir)
{
	pthread_mutex_lock(&p->lock);
	uint64_t n = p->total[dir];
	pthread_mutex_unlock(&p->lock);
	return n;
}

unsigned fault_proxy_connections(struct fault_proxy *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned n = p->connections;
	pthread_mutex_unlock(&p->lock);
	return n;
}

bool fault_proxy_fired(struct fault_proxy *p)
{
	pthread_mutex_lock(&p->lock);
	bool f = p->fired;
	pthread_mutex_unlock(&p->lock);
	return f;
}
