/* test_netwatch.c - which netlink messages are network changes, with
 * hand-built datagrams; and when a burst of them is over. */
#include "mailmirrord/netwatch.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building datagrams */

struct dgram {
	unsigned char b[8192];
	size_t len;
	size_t msg; /* offset of the message being built */
};

static void put(struct dgram *d, const void *p, size_t n)
{
	cr_assert_leq(d->len + n + 3, sizeof(d->b));
	memcpy(d->b + d->len, p, n);
	d->len += n;
	while (d->len % 4)
		d->b[d->len++] = 0;
}

static void begin(struct dgram *d, uint16_t type)
{
	struct nlmsghdr h = {.nlmsg_type = type};
	d->msg = d->len;
	put(d, &h, sizeof(h));
}

static void end(struct dgram *d)
{
	uint32_t len = (uint32_t)(d->len - d->msg);
	memcpy(d->b + d->msg, &len, sizeof(len)); /* nlmsg_len comes first */
}

static void attr(struct dgram *d, uint16_t type, const void *p, size_t n)
{
	struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(n),
	                   .rta_type = type};
	memcpy(d->b + d->len, &a, sizeof(a));
	d->len += sizeof(a);
	put(d, p, n);
}

static void link_msg(struct dgram *d, uint16_t type, int index, unsigned flags,
                     unsigned change)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = index,
	                        .ifi_flags = flags,
	                        .ifi_change = change};
	begin(d, type);
	put(d, &ifi, sizeof(ifi));
	attr(d, IFLA_IFNAME, "wlan0", 6);
	end(d);
}

static void addr_msg(struct dgram *d, uint16_t type, const char *text,
                     int index, unsigned flags)
{
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	unsigned char a[16];
	cr_assert_eq(inet_pton(family, text, a), 1);
	struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family,
	                        .ifa_prefixlen = family == AF_INET ? 24 : 64,
	                        .ifa_flags = (unsigned char)flags,
	                        .ifa_index = (unsigned)index};
	size_t n = family == AF_INET ? 4 : 16;
	begin(d, type);
	put(d, &ifa, sizeof(ifa));
	/* As the kernel does: IPv4 gives both ends, IPv6 IFA_ADDRESS only,
	 * and the full flags in IFA_FLAGS. */
	attr(d, IFA_ADDRESS, a, n);
	if (family == AF_INET)
		attr(d, IFA_LOCAL, a, n);
	uint32_t f32 = flags;
	attr(d, IFA_FLAGS, &f32, sizeof(f32));
	end(d);
}

static void route_msg(struct dgram *d, uint16_t type, int family,
                      unsigned table, unsigned rtype, unsigned flags)
{
	struct rtmsg rt = {.rtm_family = (unsigned char)family,
	                   .rtm_dst_len = 0,
	                   .rtm_table = table > 255 ? RT_TABLE_COMPAT
	                                            : (unsigned char)table,
	                   .rtm_protocol = RTPROT_DHCP,
	                   .rtm_type = (unsigned char)rtype,
	                   .rtm_flags = flags};
	begin(d, type);
	put(d, &rt, sizeof(rt));
	uint32_t t = table;
	attr(d, RTA_TABLE, &t, sizeof(t));
	uint32_t oif = 2;
	attr(d, RTA_OIF, &oif, sizeof(oif));
	end(d);
}

static void bare_msg(struct dgram *d, uint16_t type)
{
	begin(d, type);
	int32_t err = 0;
	put(d, &err, sizeof(err));
	end(d);
}

static struct netwatch_state *state(void)
{
	struct netwatch_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	return st;
}

/* Classifies a copy of d in a buffer of exactly its size, so that ASan
 * sees any read past the end. */
static unsigned classify(struct netwatch_state *st, const struct dgram *d,
                         bool learn)
{
	unsigned char *copy = malloc(d->len ? d->len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, d->b, d->len);
	unsigned v = netwatch_classify(st, copy, d->len, learn);
	free(copy);
	return v;
}

static bool changed(struct netwatch_state *st, const struct dgram *d)
{
	return classify(st, d, false) & NETWATCH_CHANGED;
}

/* ---- addresses */

Test(netwatch, new_and_deleted_addresses_count_refreshes_do_not)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	addr_msg(&d, RTM_NEWADDR, "192.0.2.10", 2, 0);
	cr_assert(changed(st, &d), "a new address");
	cr_assert_not(changed(st, &d), "the same one refreshed (DHCP)");

	struct dgram del = {0};
	addr_msg(&del, RTM_DELADDR, "192.0.2.10", 2, 0);
	cr_assert(changed(st, &del), "an address gone");
	cr_assert(changed(st, &d), "and back");

	struct dgram other = {0};
	addr_msg(&other, RTM_NEWADDR, "192.0.2.10", 3, 0);
	cr_assert(changed(st, &other), "the same address on another link");
	free(st);
}

Test(netwatch, ipv6_addresses_count_once_their_dad_is_over)
{
	struct netwatch_state *st = state();
	struct dgram tentative = {0}, ready = {0};
	addr_msg(&tentative, RTM_NEWADDR, "2001:db8::1", 2, IFA_F_TENTATIVE);
	addr_msg(&ready, RTM_NEWADDR, "2001:db8::1", 2, IFA_F_PERMANENT);
	cr_assert_not(changed(st, &tentative));
	cr_assert(changed(st, &ready));
	cr_assert_not(changed(st, &ready), "a router advertisement refresh");

	/* The link bounced: DAD runs again, and its end counts again. */
	cr_assert_not(changed(st, &tentative));
	cr_assert(changed(st, &ready));

	/* A tentative address that failed DAD and goes was never usable. */
	struct dgram gone = {0};
	addr_msg(&gone, RTM_DELADDR, "2001:db8::2", 2, IFA_F_DADFAILED);
	cr_assert_not(changed(st, &gone));
	free(st);
}

Test(netwatch, ifa_flags_attribute_overrides_the_8_bit_field)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	addr_msg(&d, RTM_NEWADDR, "2001:db8::7", 2, IFA_F_TENTATIVE);
	/* Clear the 8-bit field: only IFA_FLAGS still says tentative. */
	struct ifaddrmsg ifa;
	memcpy(&ifa, d.b + NLMSG_HDRLEN, sizeof(ifa));
	ifa.ifa_flags = 0;
	memcpy(d.b + NLMSG_HDRLEN, &ifa, sizeof(ifa));
	cr_assert_not(changed(st, &d));
	free(st);
}

Test(netwatch, learned_addresses_are_not_news)
{
	struct netwatch_state *st = state();
	struct dgram dump = {0};
	addr_msg(&dump, RTM_NEWADDR, "192.0.2.10", 2, 0);
	addr_msg(&dump, RTM_NEWADDR, "2001:db8::1", 2, 0);
	bare_msg(&dump, NLMSG_DONE);
	unsigned v = classify(st, &dump, true);
	cr_assert_eq(v, NETWATCH_END, "learning: the end, no change");
	cr_assert_eq(st->naddrs, 2);

	struct dgram again = {0};
	addr_msg(&again, RTM_NEWADDR, "2001:db8::1", 2, 0);
	cr_assert_not(changed(st, &again));
	free(st);
}

Test(netwatch, a_full_table_errs_towards_checking)
{
	struct netwatch_state *st = state();
	for (int i = 0; i < NETWATCH_MAX_ADDRS; i++) {
		struct dgram d = {0};
		char text[32];
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
		addr_msg(&d, RTM_NEWADDR, text, 2, 0);
		classify(st, &d, true);
	}
	cr_assert_eq(st->naddrs, NETWATCH_MAX_ADDRS);
	struct dgram extra = {0};
	addr_msg(&extra, RTM_NEWADDR, "198.51.100.1", 2, 0);
	cr_assert(changed(st, &extra));
	cr_assert(changed(st, &extra), "not remembered: counts each time");
	cr_assert_eq(st->naddrs, NETWATCH_MAX_ADDRS);
	free(st);
}

/* ---- links */

Test(netwatch, carrier_and_up_down_changes_count_wifi_noise_does_not)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	link_msg(&d, RTM_NEWLINK, 2, IFF_UP | IFF_RUNNING | IFF_BROADCAST, 0);
	classify(st, &d, true);

	/* A Wi-Fi scan: RTM_NEWLINK with the flags as they were. */
	cr_assert_not(changed(st, &d));

	/* Carrier lost: linkwatch sends ifi_change 0; only the flags say. */
	struct dgram down = {0};
	link_msg(&down, RTM_NEWLINK, 2, IFF_UP | IFF_BROADCAST, 0);
	cr_assert(changed(st, &down));
	cr_assert_not(changed(st, &down));
	cr_assert(changed(st, &d), "carrier back");

	struct dgram admin_down = {0};
	link_msg(&admin_down, RTM_NEWLINK, 2, IFF_BROADCAST, IFF_UP);
	cr_assert(changed(st, &admin_down), "ip link set down");

	/* Other flags are not our business. */
	struct dgram promisc = {0};
	link_msg(&promisc, RTM_NEWLINK, 2, IFF_BROADCAST | IFF_PROMISC,
	         IFF_PROMISC);
	cr_assert_not(changed(st, &promisc));
	free(st);
}

Test(netwatch, unknown_links_count_only_when_they_come_up)
{
	struct netwatch_state *st = state();
	struct dgram created = {0};
	/* register_netdevice: every bit "changed", the device still down */
	link_msg(&created, RTM_NEWLINK, 7, IFF_BROADCAST, ~0u);
	cr_assert_not(changed(st, &created));

	struct dgram vpn_up = {0};
	link_msg(&vpn_up, RTM_NEWLINK, 8, IFF_UP | IFF_RUNNING | IFF_NOARP,
	         IFF_UP);
	cr_assert(changed(st, &vpn_up));

	struct dgram scan = {0};
	link_msg(&scan, RTM_NEWLINK, 9, IFF_UP | IFF_RUNNING, 0);
	cr_assert_not(changed(st, &scan), "first sight, nothing changed");
	free(st);
}

Test(netwatch, deleting_a_link_counts_when_it_was_up)
{
	struct netwatch_state *st = state();
	struct dgram up = {0}, down = {0};
	link_msg(&up, RTM_NEWLINK, 4, IFF_UP | IFF_RUNNING, 0);
	link_msg(&down, RTM_NEWLINK, 5, 0, 0);
	classify(st, &up, true);
	classify(st, &down, true);
	cr_assert_eq(st->nlinks, 2);

	struct dgram del4 = {0}, del5 = {0};
	link_msg(&del4, RTM_DELLINK, 4, IFF_UP | IFF_RUNNING, 0);
	link_msg(&del5, RTM_DELLINK, 5, 0, 0);
	cr_assert(changed(st, &del4));
	cr_assert_not(changed(st, &del5));
	cr_assert_eq(st->nlinks, 0);
	free(st);
}

Test(netwatch, bridge_port_messages_are_ignored)
{
	struct netwatch_state *st = state();
	struct dgram up = {0};
	link_msg(&up, RTM_NEWLINK, 4, IFF_UP | IFF_RUNNING, 0);
	classify(st, &up, true);
	struct dgram port = {0};
	link_msg(&port, RTM_DELLINK, 4, IFF_UP | IFF_RUNNING, 0);
	struct ifinfomsg ifi;
	memcpy(&ifi, port.b + NLMSG_HDRLEN, sizeof(ifi));
	ifi.ifi_family = AF_BRIDGE;
	memcpy(port.b + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	cr_assert_not(changed(st, &port), "the port left a bridge, no more");
	cr_assert_eq(st->nlinks, 1);
	free(st);
}

/* ---- routes */

Test(netwatch, routes_count_but_not_the_kernels_bookkeeping)
{
	struct netwatch_state *st = state();
	struct {
		uint16_t type;
		int family;
		unsigned table, rtype, flags;
		bool counts;
	} cases[] = {
	        {RTM_NEWROUTE, AF_INET, RT_TABLE_MAIN, RTN_UNICAST, 0, true},
	        {RTM_DELROUTE, AF_INET6, RT_TABLE_MAIN, RTN_UNICAST, 0, true},
	        {RTM_NEWROUTE, AF_INET, 51820, RTN_UNICAST, 0, true},
	        {RTM_NEWROUTE, AF_INET, RT_TABLE_MAIN, RTN_UNREACHABLE, 0,
	         true},
	        {RTM_NEWROUTE, AF_INET, RT_TABLE_LOCAL, RTN_LOCAL, 0, false},
	        {RTM_NEWROUTE, AF_INET, RT_TABLE_LOCAL, RTN_UNICAST, 0, false},
	        {RTM_NEWROUTE, AF_INET, RT_TABLE_MAIN, RTN_BROADCAST, 0, false},
	        {RTM_NEWROUTE, AF_INET6, RT_TABLE_MAIN, RTN_MULTICAST, 0,
	         false},
	        {RTM_NEWROUTE, AF_INET6, RT_TABLE_MAIN, RTN_UNICAST,
	         RTM_F_CLONED, false},
	        {RTM_NEWROUTE, AF_BRIDGE, RT_TABLE_MAIN, RTN_UNICAST, 0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dgram d = {0};
		route_msg(&d, cases[i].type, cases[i].family, cases[i].table,
		          cases[i].rtype, cases[i].flags);
		cr_assert_eq(changed(st, &d), cases[i].counts, "case %zu", i);
		cr_assert_eq(classify(st, &d, true), 0, "learning, case %zu",
		             i);
	}
	free(st);
}

Test(netwatch, rta_table_names_the_local_table_beyond_255)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	route_msg(&d, RTM_NEWROUTE, AF_INET, RT_TABLE_LOCAL, RTN_UNICAST, 0);
	/* rtm_table says "look at RTA_TABLE", which says local. */
	struct rtmsg rt;
	memcpy(&rt, d.b + NLMSG_HDRLEN, sizeof(rt));
	rt.rtm_table = RT_TABLE_COMPAT;
	memcpy(d.b + NLMSG_HDRLEN, &rt, sizeof(rt));
	cr_assert_not(changed(st, &d));
	free(st);
}

/* ---- one datagram, several messages; and bad ones */

Test(netwatch, one_change_among_noise_is_enough)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	link_msg(&d, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, 0);
	classify(st, &d, true);
	route_msg(&d, RTM_NEWROUTE, AF_INET, RT_TABLE_LOCAL, RTN_LOCAL, 0);
	addr_msg(&d, RTM_NEWADDR, "203.0.113.5", 3, 0);
	bare_msg(&d, NLMSG_NOOP);
	unsigned v = classify(st, &d, false);
	cr_assert_eq(v, NETWATCH_CHANGED);
	free(st);
}

Test(netwatch, control_and_unknown_messages_are_no_change)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	bare_msg(&d, NLMSG_NOOP);
	bare_msg(&d, RTM_NEWNEIGH);
	bare_msg(&d, RTM_NEWRULE);
	bare_msg(&d, 0x7fff);
	cr_assert_eq(classify(st, &d, false), 0);

	struct dgram e = {0};
	bare_msg(&e, NLMSG_ERROR);
	cr_assert_eq(classify(st, &e, false), NETWATCH_END);
	struct dgram f = {0};
	bare_msg(&f, NLMSG_DONE);
	cr_assert_eq(classify(st, &f, false), NETWATCH_END);
	free(st);
}

Test(netwatch, every_truncation_is_read_safely_and_ignored)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	addr_msg(&d, RTM_NEWADDR, "2001:db8::99", 2, 0);
	/* Each prefix of the datagram: the message no longer fits, so it
	 * is not looked at (ASan watches the reads). */
	for (size_t n = 0; n < d.len; n++) {
		struct dgram cut = d;
		cut.len = n;
		cr_assert_eq(classify(st, &cut, false), 0, "length %zu", n);
	}
	cr_assert_eq(st->naddrs, 0);
	cr_assert(changed(st, &d), "the whole one still counts");
	free(st);
}

Test(netwatch, bad_lengths_end_the_walk)
{
	struct netwatch_state *st = state();
	struct nlmsghdr h;

	/* nlmsg_len below its own header: nothing after it is framed, so
	 * the valid message behind it is not trusted either. */
	struct dgram small = {0};
	bare_msg(&small, NLMSG_NOOP);
	h = (struct nlmsghdr){.nlmsg_len = 8, .nlmsg_type = NLMSG_NOOP};
	memcpy(small.b, &h, sizeof(h));
	addr_msg(&small, RTM_NEWADDR, "192.0.2.1", 2, 0);
	cr_assert_eq(classify(st, &small, false), 0);

	/* nlmsg_len beyond the datagram. */
	struct dgram big = {0};
	addr_msg(&big, RTM_NEWADDR, "192.0.2.2", 2, 0);
	memcpy(&h, big.b, sizeof(h));
	h.nlmsg_len = (uint32_t)big.len + 4;
	memcpy(big.b, &h, sizeof(h));
	cr_assert_eq(classify(st, &big, false), 0);
	h.nlmsg_len = UINT32_MAX;
	memcpy(big.b, &h, sizeof(h));
	cr_assert_eq(classify(st, &big, false), 0);

	/* A header alone: no body for the type. */
	struct dgram hollow = {0};
	begin(&hollow, RTM_NEWADDR);
	end(&hollow);
	begin(&hollow, RTM_NEWLINK);
	end(&hollow);
	begin(&hollow, RTM_NEWROUTE);
	end(&hollow);
	cr_assert_eq(classify(st, &hollow, false), 0);
	cr_assert_eq(st->naddrs + st->nlinks, 0);
	free(st);
}

Test(netwatch, bad_attributes_are_ignored)
{
	struct netwatch_state *st = state();
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_index = 2};

	/* rta_len past the message */
	struct dgram d = {0};
	begin(&d, RTM_NEWADDR);
	put(&d, &ifa, sizeof(ifa));
	struct rtattr a = {.rta_len = 200, .rta_type = IFA_LOCAL};
	put(&d, &a, sizeof(a));
	uint32_t ip = htonl(0xc0000201);
	put(&d, &ip, sizeof(ip));
	end(&d);
	cr_assert_not(changed(st, &d));

	/* the message (and the datagram) ends inside the address */
	struct dgram cut = {0};
	begin(&cut, RTM_NEWADDR);
	put(&cut, &ifa, sizeof(ifa));
	a = (struct rtattr){.rta_len = RTA_LENGTH(4), .rta_type = IFA_LOCAL};
	memcpy(cut.b + cut.len, &a, sizeof(a));
	memcpy(cut.b + cut.len + sizeof(a), &ip, 2);
	cut.len += sizeof(a) + 2;
	end(&cut);
	cr_assert_not(changed(st, &cut));

	/* rta_len below the attribute header */
	struct dgram e = {0};
	begin(&e, RTM_NEWADDR);
	put(&e, &ifa, sizeof(ifa));
	a = (struct rtattr){.rta_len = 2, .rta_type = IFA_LOCAL};
	put(&e, &a, sizeof(a));
	put(&e, &ip, sizeof(ip));
	end(&e);
	cr_assert_not(changed(st, &e));

	/* an IPv4 address of the wrong size */
	struct dgram f = {0};
	begin(&f, RTM_NEWADDR);
	put(&f, &ifa, sizeof(ifa));
	attr(&f, IFA_LOCAL, &ip, 3);
	end(&f);
	cr_assert_not(changed(st, &f));

	/* no address at all, and a family we do not know */
	struct dgram g = {0};
	begin(&g, RTM_NEWADDR);
	put(&g, &ifa, sizeof(ifa));
	end(&g);
	struct ifaddrmsg odd = {.ifa_family = AF_PACKET, .ifa_index = 2};
	begin(&g, RTM_NEWADDR);
	put(&g, &odd, sizeof(odd));
	attr(&g, IFA_LOCAL, &ip, sizeof(ip));
	end(&g);
	cr_assert_eq(classify(st, &g, false), 0);
	cr_assert_eq(st->naddrs, 0);
	free(st);
}

Test(netwatch, any_alignment_is_read)
{
	struct netwatch_state *st = state();
	struct dgram d = {0};
	addr_msg(&d, RTM_NEWADDR, "192.0.2.33", 2, 0);
	unsigned char *odd = malloc(d.len + 1);
	cr_assert_not_null(odd);
	memcpy(odd + 1, d.b, d.len);
	cr_assert_eq(netwatch_classify(st, odd + 1, d.len, false),
	             NETWATCH_CHANGED);
	free(odd);
	free(st);
}

Test(netwatch, random_bytes_never_crash)
{
	struct netwatch_state *st = state();
	unsigned seed = 12345;
	for (int i = 0; i < 20000; i++) {
		struct dgram d = {0};
		/* A plausible header now and then, so the walk goes deep. */
		d.len = (size_t)(rand_r(&seed) % 200);
		for (size_t j = 0; j < d.len; j++)
			d.b[j] = (unsigned char)rand_r(&seed);
		if (d.len >= NLMSG_HDRLEN && rand_r(&seed) % 2) {
			struct nlmsghdr h = {
			        .nlmsg_len =
			                (uint32_t)(rand_r(&seed) % (d.len + 8)),
			        .nlmsg_type = (uint16_t)(RTM_NEWLINK +
			                                 rand_r(&seed) % 24)};
			memcpy(d.b, &h, sizeof(h));
		}
		classify(st, &d, rand_r(&seed) % 2);
	}
	cr_assert_leq(st->naddrs, NETWATCH_MAX_ADDRS);
	cr_assert_leq(st->nlinks, NETWATCH_MAX_LINKS);
	free(st);
}

/* ---- the debounce */

Test(netwatch, a_burst_is_acted_on_once_after_it_settles)
{
	struct netwatch_debounce d = {0};
	cr_assert_eq(netwatch_debounce_wait_ms(&d, 0), -1);
	cr_assert_not(netwatch_debounce_due(&d, 5000));

	/* DHCP: the address, then its routes, spread over 600 ms. */
	netwatch_debounce_event(&d, 10000);
	cr_assert_eq(netwatch_debounce_wait_ms(&d, 10000), NETWATCH_QUIET_MS);
	netwatch_debounce_event(&d, 10300);
	netwatch_debounce_event(&d, 10600);
	cr_assert_not(netwatch_debounce_due(&d, 11000), "still settling");
	cr_assert_eq(netwatch_debounce_wait_ms(&d, 11000), 600);
	cr_assert_not(netwatch_debounce_due(&d, 11599));
	cr_assert(netwatch_debounce_due(&d, 11600));
	cr_assert_not(netwatch_debounce_due(&d, 11601), "once per burst");
	cr_assert_eq(netwatch_debounce_wait_ms(&d, 11601), -1);

	/* The next event starts a new burst. */
	netwatch_debounce_event(&d, 30000);
	cr_assert_not(netwatch_debounce_due(&d, 30999));
	cr_assert(netwatch_debounce_due(&d, 31000));
}

Test(netwatch, a_flapping_link_cannot_postpone_the_check_for_ever)
{
	struct netwatch_debounce d = {0};
	int fired = 0;
	int64_t first_fire = -1;
	for (int64_t t = 0; t <= 25000; t += 100) {
		if (t % 500 == 0)
			netwatch_debounce_event(&d, t);
		if (netwatch_debounce_due(&d, t)) {
			fired++;
			if (first_fire < 0)
				first_fire = t;
		}
	}
	cr_assert_eq(first_fire, NETWATCH_MAX_HOLD_MS);
	cr_assert_eq(fired, 2, "at 10 s and 20.5 s");
}

Test(netwatch, a_late_caller_is_due_at_once)
{
	struct netwatch_debounce d = {0};
	netwatch_debounce_event(&d, 100);
	cr_assert_eq(netwatch_debounce_wait_ms(&d, 99999), 0);
	cr_assert(netwatch_debounce_due(&d, 99999));
}

/* ---- the socket, where the system has one */

Test(netwatch, the_socket_opens_or_says_why)
{
	struct netwatch *nw = NULL;
	if (netwatch_open(&nw) < 0) {
		cr_assert_null(nw);
		cr_assert_neq(errno, 0);
		cr_skip_test("no rtnetlink here: %s", strerror(errno));
	}
	cr_assert_geq(netwatch_fd(nw), 0);
	cr_assert_geq(netwatch_drain(nw), 0, "a non-blocking drain");
	netwatch_close(&nw);
	cr_assert_null(nw);
	netwatch_close(&nw);
	netwatch_close(NULL);
	cr_assert_eq(netwatch_fd(NULL), -1);
}
