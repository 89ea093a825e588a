/* fault_proxy.h - a TCP proxy that breaks connections on purpose.
 *
 * Sits between a client and a real server on 127.0.0.1 and, at an exact
 * byte count in one direction, cuts the connection, stops forwarding
 * (stall) or inserts bytes. A test that first runs a session through a
 * FAULT_PASS proxy learns how many bytes each direction carried
 * (fault_proxy_total) and can then fault it after every N, the way isync
 * interrupts a sync after every step.
 *
 * The proxy runs in one thread; the calls below are for the test's thread.
 */
#ifndef HARNESS_FAULT_PROXY_H
#define HARNESS_FAULT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_action {
	FAULT_PASS,   /* forward everything */
	FAULT_CUT,    /* forward `after` bytes, then close both sides */
	FAULT_STALL,  /* forward `after` bytes, then hold the rest of that
	                 direction forever (the other one still flows) */
	FAULT_INJECT, /* after `after` bytes, insert data, go on */
	FAULT_SLOW,   /* after `after` bytes, forward at most `rate` bytes
	                 a second in that direction (a slow link) */
};

enum fault_dir {
	FAULT_FROM_SERVER, /* bytes the server sends to the client */
	FAULT_FROM_CLIENT, /* bytes the client sends to the server */
};

struct fault_plan {
	enum fault_action action;
	enum fault_dir dir;
	uint64_t after;   /* bytes of dir forwarded before the fault */
	const void *data; /* FAULT_INJECT: copied by fault_proxy_start */
	size_t len;
	uint32_t rate; /* FAULT_SLOW: bytes a second */
	/* FAULT_SLOW: the most a pause saves up to pass at once, in bytes
	 * (a shaper's bucket); 0: no bound, a pause of n seconds then
	 * passes n * rate bytes at once */
	uint32_t burst;
	bool once; /* fault the first connection only; later ones
	              (a client reconnecting) pass untouched */
	/* The connection to the server holds what a path across the
	 * Internet would (an Ethernet MSS, a small receive buffer): the
	 * server's writes wait once some 200 KB are on their way, where
	 * loopback takes megabytes before a server ever waits. For a slow
	 * link whose server must feel it (FAULT_SLOW). */
	bool wan_buffers;
};

struct fault_proxy;

/* Listens on 127.0.0.1, an ephemeral port written to *listen_port, and for
 * every accepted connection opens one to 127.0.0.1:upstream_port and
 * forwards between them following plan (copied; NULL means FAULT_PASS).
 * Returns 0, or -1 with errno set. */
int fault_proxy_start(struct fault_proxy **out, uint16_t *listen_port,
                      uint16_t upstream_port, const struct fault_plan *plan);

/* Closes every connection and the listener, joins the thread, frees *p and
 * sets it to NULL. NULL or *p NULL is a no-op. */
void fault_proxy_stop(struct fault_proxy **p);

/* Bytes forwarded so far in dir, summed over all connections (injected
 * bytes not counted). */
uint64_t fault_proxy_total(struct fault_proxy *p, enum fault_dir dir);

/* Connections accepted so far. */
unsigned fault_proxy_connections(struct fault_proxy *p);

/* Whether the plan's fault has happened (on any connection). */
bool fault_proxy_fired(struct fault_proxy *p);

#endif
