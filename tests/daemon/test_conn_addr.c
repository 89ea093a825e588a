/* test_conn_addr.c - which connected peers count as loopback, for
 * tls = "none" (conn.c checks what a host name resolved to). */
#include "mailmirrord/conn.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static bool v4(const char *text)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	cr_assert_eq(inet_pton(AF_INET, text, &sa.sin_addr), 1, "%s", text);
	return conn_addr_is_loopback((const struct sockaddr *)&sa);
}

static bool v6(const char *text)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	cr_assert_eq(inet_pton(AF_INET6, text, &sa.sin6_addr), 1, "%s", text);
	return conn_addr_is_loopback((const struct sockaddr *)&sa);
}

Test(conn_addr, loopback_addresses)
{
	cr_assert(v4("127.0.0.1"));
	cr_assert(v4("127.255.3.4"));
	cr_assert(v6("::1"));
	cr_assert(v6("::ffff:127.0.0.1"));
}

Test(conn_addr, other_addresses)
{
	cr_assert_not(v4("128.0.0.1"));
	cr_assert_not(v4("10.0.0.1"));
	cr_assert_not(v4("0.0.0.0"));
	cr_assert_not(v6("::"));
	cr_assert_not(v6("::2"));
	cr_assert_not(v6("::ffff:10.0.0.1"));
	cr_assert_not(v6("fe80::1"));
	/* 127.0.0.1 in the old IPv4-compatible form is not the v4-mapped
	 * one, and no stack reaches loopback through it. */
	cr_assert_not(v6("::127.0.0.1"));
	struct sockaddr_un_like {
		sa_family_t family;
		char path[32];
	} un = {.family = AF_UNIX};
	cr_assert_not(conn_addr_is_loopback((const struct sockaddr *)&un));
}
