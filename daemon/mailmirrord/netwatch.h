/* netwatch.h - tells the supervisor when the network changed.
 *
 * A connection that was fine a moment ago may be dead after the laptop
 * joined another Wi-Fi, a VPN came up or DHCP handed out a new address, and
 * no socket says so until a keepalive or a command's deadline runs out
 * (minutes). The kernel announces such changes on a NETLINK_ROUTE socket;
 * this module listens there and says "something changed" so that the
 * supervisor can have every worker check its connection at once.
 *
 * Three layers, the first two pure so that they are tested without a
 * kernel:
 * - netwatch_classify(): one netlink datagram in, a verdict out, given
 *   what is already known of the links and addresses (which it updates);
 * - netwatch_debounce_*(): when a burst of changes is over, from
 *   timestamps alone;
 * - struct netwatch: the socket itself.
 *
 * Nothing here logs; the supervisor decides what to say.
 */
#ifndef MAILMIRRORD_NETWATCH_H
#define MAILMIRRORD_NETWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the classifier (pure) */

#define NETWATCH_MAX_LINKS 64
#define NETWATCH_MAX_ADDRS 256

/* What the classifier remembers between datagrams, so that a repeated
 * announcement of the same thing is not a change: Wi-Fi drivers send
 * RTM_NEWLINK for every scan with the flags unchanged, and every DHCP
 * renewal or IPv6 router advertisement re-announces the addresses it
 * refreshes. Zero-initialised it is empty and valid; it holds no
 * pointers. A table that is full does not grow: what does not fit is
 * treated as new each time it is seen (a spurious check, never a missed
 * one). */
struct netwatch_state {
	size_t nlinks, naddrs;
	struct netwatch_link {
		int32_t index;
		uint32_t flags; /* IFF_UP | IFF_RUNNING as last seen */
	} links[NETWATCH_MAX_LINKS];
	struct netwatch_addr {
		int32_t index;
		uint8_t family; /* AF_INET or AF_INET6 */
		uint8_t prefixlen;
		uint8_t addr[16];
	} addrs[NETWATCH_MAX_ADDRS];
};

/* Bits of netwatch_classify()'s verdict. */
enum {
	NETWATCH_CHANGED = 1, /* a change that may break a connection */
	NETWATCH_END = 2,     /* NLMSG_DONE or NLMSG_ERROR: a dump ended */
};

/* Reads the netlink messages of one datagram (buf, len bytes, any
 * alignment) and updates st. What counts as a change:
 * - an address that appears (RTM_NEWADDR of one not known, once its
 *   duplicate address detection is over) or disappears (RTM_DELADDR);
 * - a link whose IFF_UP or IFF_RUNNING (carrier) changed, or that is
 *   deleted while up;
 * - a route added or removed, except the kernel's own bookkeeping: the
 *   local table (it mirrors the addresses), cached clones, and broadcast,
 *   multicast, local and anycast routes.
 * With learn (the replies of the initial dumps) st is only filled in and
 * NETWATCH_CHANGED is never returned.
 * Malformed input is never read past: a message whose nlmsg_len is below
 * its header or beyond the datagram ends the walk, one whose body is too
 * short for its type is skipped, unknown types and NLMSG_ERROR, NLMSG_DONE
 * and NLMSG_NOOP are not changes. Returns the NETWATCH_* bits. */
unsigned netwatch_classify(struct netwatch_state *st, const void *buf,
                           size_t len, bool learn);

/* ---- the debounce (pure) */

/* DHCP adds an address, then routes; a link coming up brings a dozen
 * messages in a second. The supervisor acts once per burst: QUIET_MS after
 * its last event, but never later than MAX_HOLD_MS after its first (a link
 * that flaps for ever must not postpone the check for ever). */
#define NETWATCH_QUIET_MS    1000
#define NETWATCH_MAX_HOLD_MS 10000

struct netwatch_debounce {
	bool pending;
	int64_t first_ms, last_ms; /* of the burst in progress */
};

/* A change was seen at now_ms (any monotonic clock, in milliseconds). */
void netwatch_debounce_event(struct netwatch_debounce *d, int64_t now_ms);

/* Milliseconds until the burst in progress is due (0 when it is), or -1
 * when none is pending: the longest the caller may sleep. */
int netwatch_debounce_wait_ms(const struct netwatch_debounce *d,
                              int64_t now_ms);

/* true exactly once per burst, at or after its due time; the next event
 * starts a new burst. */
bool netwatch_debounce_due(struct netwatch_debounce *d, int64_t now_ms);

/* ---- the socket */

struct netwatch;

/* Opens a NETLINK_ROUTE socket (close-on-exec, non-blocking) subscribed
 * to link, address and route changes of IPv4 and IPv6, and learns the
 * links and addresses present now (a dump bounded to about a second).
 * 0, or -1 with errno set (no netlink in a sandbox: EAFNOSUPPORT, EPERM,
 * ...); the daemon then runs without it. Free with netwatch_close(). */
int netwatch_open(struct netwatch **out);

/* Closes the socket and frees *nw, setting it to NULL; NULL or *nw NULL is
 * a no-op. */
void netwatch_close(struct netwatch **nw);

/* The descriptor to poll for POLLIN; -1 for a NULL nw (poll(2) ignores
 * it). Owned by nw: never close it. */
int netwatch_fd(const struct netwatch *nw);

/* Reads every datagram pending, without blocking. 1 when any of them is
 * a change, or when the kernel dropped events because we were slow
 * (ENOBUFS: what was lost may have been a change), 0 when none is, -1
 * when the socket failed for good (errno set; the caller closes it). */
int netwatch_drain(struct netwatch *nw);

#endif
