/* netwatch.c - network changes from rtnetlink; see netwatch.h.
 *
 * rtnetlink(7): every datagram is a run of messages, each an nlmsghdr
 * followed by a fixed header (ifinfomsg, ifaddrmsg, rtmsg) and attributes
 * (rtattr), all aligned to 4 bytes. The kernel is trusted to speak it, but
 * the walk below assumes nothing it does not check: a bug here must not
 * take the daemon down, and the tests feed it hostile buffers.
 */
#include "mailmirrord/netwatch.h"
#include "mailmirrord/monotime.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Dumps come in skbs of up to 32 KiB when the reader offers that much. */
#define RECV_BUF (32 * 1024)
/* Datagrams read per netwatch_drain(): a storm of events cannot keep the
 * supervisor from its signals; poll() says when more are waiting. */
#define DRAIN_MAX 256
/* The initial dumps; past this the state is merely incomplete. */
#define LEARN_MS 1000

/* Only what can break or heal a connection wakes us: links (carrier,
 * up/down) and addresses of both families, and routes, because a VPN or a
 * new gateway moves the path to the server without touching the local
 * address. Neighbour, rule and multicast groups change too often and say
 * nothing a route or link message does not. */
#define GROUPS                                                                 \
	(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |               \
	 RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)

#define UP_FLAGS (IFF_UP | IFF_RUNNING)

struct netwatch {
	int fd;
	uint32_t seq;
	struct netwatch_state st;
	unsigned char buf[RECV_BUF];
};

/* ---- walking the messages */

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The payload of attribute type in the attributes at p (len bytes), or
 * NULL; *n its length. */
static const unsigned char *find_attr(const unsigned char *p, size_t len,
                                      unsigned short type, size_t *n)
{
	while (len >= sizeof(struct rtattr)) {
		struct rtattr a;
		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len)
			return NULL;
		if ((a.rta_type & NLA_TYPE_MASK) == type) {
			*n = a.rta_len - RTA_LENGTH(0);
			return p + RTA_LENGTH(0);
		}
		size_t step = align4(a.rta_len);
		if (step >= len)
			return NULL;
		p += step;
		len -= step;
	}
	return NULL;
}

/* ---- links */

static struct netwatch_link *find_link(struct netwatch_state *st, int32_t index)
{
	for (size_t i = 0; i < st->nlinks; i++)
		if (st->links[i].index == index)
			return &st->links[i];
	return NULL;
}

static bool on_link(struct netwatch_state *st, uint16_t type,
                    const unsigned char *body, size_t len)
{
	struct ifinfomsg ifi;
	if (len < sizeof(ifi))
		return false;
	memcpy(&ifi, body, sizeof(ifi));
	/* A bridge announces its ports with AF_BRIDGE, and "deletes" one
	 * that leaves it though the device lives on. */
	if (ifi.ifi_family != AF_UNSPEC)
		return false;
	uint32_t up = ifi.ifi_flags & UP_FLAGS;
	struct netwatch_link *l = find_link(st, ifi.ifi_index);
	if (type == RTM_DELLINK) {
		bool was_up = l ? l->flags != 0 : up != 0;
		if (l)
			*l = st->links[--st->nlinks];
		return was_up;
	}
	if (l) {
		/* Carrier changes come with ifi_change 0 (linkwatch): only
		 * the flags we remember tell them. */
		bool changed = l->flags != up;
		l->flags = up;
		return changed;
	}
	if (st->nlinks < NETWATCH_MAX_LINKS)
		st->links[st->nlinks++] = (struct netwatch_link){
		        .index = ifi.ifi_index, .flags = up};
	/* Unknown so far: a change if this very message brought it up. */
	return (ifi.ifi_change & up) != 0;
}

/* ---- addresses */

static bool same_addr(const struct netwatch_addr *a,
                      const struct netwatch_addr *b)
{
	return a->index == b->index && a->family == b->family &&
	       a->prefixlen == b->prefixlen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool on_addr(struct netwatch_state *st, uint16_t type,
                    const unsigned char *body, size_t len)
{
	struct ifaddrmsg ifa;
	if (len < sizeof(ifa))
		return false;
	memcpy(&ifa, body, sizeof(ifa));
	size_t alen = ifa.ifa_family == AF_INET    ? 4
	              : ifa.ifa_family == AF_INET6 ? 16
	                                           : 0;
	size_t head = align4(sizeof(ifa));
	if (!alen || len < head)
		return false;
	const unsigned char *attrs = body + head;
	size_t n = 0, fn = 0;
	/* IFA_LOCAL is our end; IFA_ADDRESS the peer of a point-to-point
	 * link, or the same as IFA_LOCAL. IPv6 sends IFA_ADDRESS only. */
	const unsigned char *a = find_attr(attrs, len - head, IFA_LOCAL, &n);
	if (!a)
		a = find_attr(attrs, len - head, IFA_ADDRESS, &n);
	if (!a || n != alen)
		return false;
	uint32_t flags = ifa.ifa_flags;
	const unsigned char *f = find_attr(attrs, len - head, IFA_FLAGS, &fn);
	if (f && fn == sizeof(flags))
		memcpy(&flags, f, sizeof(flags));

	struct netwatch_addr key = {.index = (int32_t)ifa.ifa_index,
	                            .family = ifa.ifa_family,
	                            .prefixlen = ifa.ifa_prefixlen};
	memcpy(key.addr, a, alen);
	struct netwatch_addr *known = NULL;
	for (size_t i = 0; i < st->naddrs && !known; i++)
		if (same_addr(&st->addrs[i], &key))
			known = &st->addrs[i];
	/* Until duplicate address detection is over (RFC 4862 5.4) the
	 * address cannot carry a connection: it counts when it is done. */
	bool usable = !(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
	if (type == RTM_DELADDR || !usable) {
		if (known)
			*known = st->addrs[--st->naddrs];
		return type == RTM_DELADDR && (known || usable);
	}
	if (known)
		return false; /* a lifetime refreshed: DHCP renewal, an RA */
	if (st->naddrs < NETWATCH_MAX_ADDRS)
		st->addrs[st->naddrs++] = key;
	return true;
}

/* ---- routes */

static bool on_route(const unsigned char *body, size_t len)
{
	struct rtmsg rt;
	if (len < sizeof(rt))
		return false;
	memcpy(&rt, body, sizeof(rt));
	if (rt.rtm_family != AF_INET && rt.rtm_family != AF_INET6)
		return false;
	if (rt.rtm_flags & RTM_F_CLONED)
		return false;
	uint32_t table = rt.rtm_table;
	size_t head = align4(sizeof(rt)), n = 0;
	const unsigned char *t =
	        len >= head ? find_attr(body + head, len - head, RTA_TABLE, &n)
	                    : NULL;
	if (t && n == sizeof(table))
		memcpy(&table, t, sizeof(table));
	if (table == RT_TABLE_LOCAL)
		return false;
	switch (rt.rtm_type) {
	case RTN_UNICAST:
	case RTN_UNREACHABLE:
	case RTN_BLACKHOLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		return true;
	default:
		return false;
	}
}

unsigned netwatch_classify(struct netwatch_state *st, const void *buf,
                           size_t len, bool learn)
{
	const unsigned char *p = buf;
	unsigned verdict = 0;
	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
			break; /* the rest cannot be framed */
		const unsigned char *body = p + NLMSG_HDRLEN;
		size_t blen = h.nlmsg_len - NLMSG_HDRLEN;
		bool changed = false;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
		case NLMSG_ERROR:
			verdict |= NETWATCH_END;
			break;
		case RTM_NEWLINK:
		case RTM_DELLINK:
			changed = on_link(st, h.nlmsg_type, body, blen);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			changed = on_addr(st, h.nlmsg_type, body, blen);
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			changed = on_route(body, blen);
			break;
		default:
			break;
		}
		if (changed && !learn)
			verdict |= NETWATCH_CHANGED;
		size_t step = align4(h.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return verdict;
}

/* ---- the debounce */

void netwatch_debounce_event(struct netwatch_debounce *d, int64_t now_ms)
{
	if (!d->pending) {
		d->pending = true;
		d->first_ms = now_ms;
	}
	d->last_ms = now_ms;
}

int netwatch_debounce_wait_ms(const struct netwatch_debounce *d, int64_t now_ms)
{
	if (!d->pending)
		return -1;
	int64_t due = d->last_ms + NETWATCH_QUIET_MS;
	if (due > d->first_ms + NETWATCH_MAX_HOLD_MS)
		due = d->first_ms + NETWATCH_MAX_HOLD_MS;
	int64_t left = due - now_ms;
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

bool netwatch_debounce_due(struct netwatch_debounce *d, int64_t now_ms)
{
	if (netwatch_debounce_wait_ms(d, now_ms) != 0)
		return false;
	d->pending = false;
	return true;
}

/* ---- the socket */

/* One datagram from the kernel into nw->buf: its length, 0 for one to
 * skip, or -1 with errno. *truncated when it did not fit. */
static ssize_t recv_one(struct netwatch *nw, bool *truncated)
{
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = nw->buf, .iov_len = sizeof(nw->buf)};
	struct msghdr m = {.msg_name = &from,
	                   .msg_namelen = sizeof(from),
	                   .msg_iov = &iov,
	                   .msg_iovlen = 1};
	ssize_t n = recvmsg(nw->fd, &m, 0);
	if (n < 0)
		return -1;
	/* Another process may unicast to our port; only the kernel speaks
	 * for the network. */
	if (m.msg_namelen < sizeof(from) || from.nl_pid != 0)
		return 0;
	*truncated = (m.msg_flags & MSG_TRUNC) != 0;
	return n;
}

/* Dumps the links or the addresses (type RTM_GETLINK, RTM_GETADDR) into
 * nw->st, until NLMSG_DONE or the deadline. Failing only leaves the state
 * incomplete: the first sighting of what was missed counts as a change. */
static void learn(struct netwatch *nw, uint16_t type, int64_t deadline)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg body; /* large enough for ifaddrmsg too */
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = type == RTM_GETLINK
	                          ? NLMSG_LENGTH(sizeof(struct ifinfomsg))
	                          : NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++nw->seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nw->fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
	           sizeof(kernel)) < 0)
		return;
	for (;;) {
		int64_t left = deadline - mono_ms();
		struct pollfd p = {.fd = nw->fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		bool truncated = false;
		ssize_t n = recv_one(nw, &truncated);
		if (n < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != ENOBUFS)
			return;
		if (n > 0 &&
		    (netwatch_classify(&nw->st, nw->buf, (size_t)n, true) &
		     NETWATCH_END))
			return;
	}
}

int netwatch_open(struct netwatch **out)
{
	*out = NULL;
	struct netwatch *nw = calloc(1, sizeof(*nw));
	if (!nw)
		return -1;
	nw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	                NETLINK_ROUTE);
	if (nw->fd < 0) {
		free(nw);
		return -1;
	}
	/* A link coming up can send hundreds of messages at once; a larger
	 * queue makes ENOBUFS rarer (it is handled all the same). */
	int rcvbuf = 1 << 20;
	setsockopt(nw->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = GROUPS};
	if (bind(nw->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(nw->fd);
		free(nw);
		errno = e;
		return -1;
	}
	int64_t deadline = mono_ms() + LEARN_MS;
	learn(nw, RTM_GETLINK, deadline);
	learn(nw, RTM_GETADDR, deadline);
	*out = nw;
	return 0;
}

void netwatch_close(struct netwatch **nw)
{
	if (!nw || !*nw)
		return;
	close((*nw)->fd);
	free(*nw);
	*nw = NULL;
}

int netwatch_fd(const struct netwatch *nw)
{
	return nw ? nw->fd : -1;
}

int netwatch_drain(struct netwatch *nw)
{
	int changed = 0;
	for (int i = 0; i < DRAIN_MAX; i++) {
		bool truncated = false;
		ssize_t n = recv_one(nw, &truncated);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changed;
			/* The kernel's queue overflowed: events were lost,
			 * and any of them may have been a change. */
			if (errno == ENOBUFS) {
				changed = 1;
				continue;
			}
			return -1;
		}
		/* The part that did not fit may have been a change. */
		if (truncated ||
		    (n > 0 &&
		     (netwatch_classify(&nw->st, nw->buf, (size_t)n, false) &
		      NETWATCH_CHANGED)))
			changed = 1;
	}
	return changed;
}
