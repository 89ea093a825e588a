/* test_harness.c - the harness against the real Dovecot of with-dovecot.sh:
 * its environment, both ports, the PREAUTH command, and the fault proxy in
 * front of the server. */
#include "harness/dovecot_env.h"
#include "harness/fault_proxy.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(inet_pton(AF_INET, harness_env("IMAP_HOST"), &sa.sin_addr),
	             1);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	             "connect: %s", strerror(errno));
	return fd;
}

/* Reads until CRLF, EOF or 5 s of silence; returns the byte count. */
static size_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) != 1 || read(fd, buf + n, 1) != 1)
			break;
		n++;
		if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
	return n;
}

Test(harness, environment_is_complete)
{
	static const char *keys[] = {
	        "IMAP_HOST",        "IMAP_USER",    "IMAP_PASS",
	        "IMAP_USER2",       "IMAP_PASS2",   "IMAP_CA",
	        "DOVECOT_DIR",      "DOVECOT_CONF", "MAILDIR_ROOT",
	        "IMAP_PREAUTH_CMD", "IMAP_USER3",   "IMAP_PASS3",
	        "IMAP_RAWLOG3",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		cr_assert_not_null(harness_env(keys[i]));
	cr_assert_neq(harness_env_port("IMAP_PORT"),
	              harness_env_port("IMAPS_PORT"));
	cr_assert_eq(access(harness_env("IMAP_CA"), R_OK), 0);
}

Test(harness, plain_port_greets)
{
	char line[512];
	int fd = dial(harness_env_port("IMAP_PORT"));

	read_line(fd, line, sizeof(line));
	cr_assert(strncmp(line, "* OK ", 5) == 0, "greeting: %s", line);
	cr_assert(strstr(line, "STARTTLS"), "greeting: %s", line);
	close(fd);
}

Test(harness, preauth_command_is_logged_in)
{
	char cmd[1024], line[512];

	snprintf(cmd, sizeof(cmd), "echo 'a LOGOUT' | %s",
	         harness_env("IMAP_PREAUTH_CMD"));
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert(strncmp(line, "* PREAUTH ", 10) == 0, "%s", line);
	while (fgets(line, sizeof(line), f))
		;
	cr_assert_eq(pclose(f), 0);
}

/* Through the proxy the server's greeting is cut at exactly the byte
 * asked for, for every N over its first line. */
Test(harness, fault_proxy_cuts_dovecot_greeting_at_every_byte)
{
	uint16_t up = harness_env_port("IMAP_PORT"), port;
	struct fault_proxy *p;
	char line[512];

	cr_assert_eq(fault_proxy_start(&p, &port, up, NULL), 0);
	int fd = dial(port);
	size_t full = read_line(fd, line, sizeof(line));
	close(fd);
	fault_proxy_stop(&p);
	cr_assert_gt(full, 10);

	for (size_t n = 0; n < full; n += 7) {
		struct fault_plan plan = {.action = FAULT_CUT,
		                          .dir = FAULT_FROM_SERVER,
		                          .after = n};
		char got[512];
		cr_assert_eq(fault_proxy_start(&p, &port, up, &plan), 0);
		fd = dial(port);
		cr_assert_eq(read_line(fd, got, sizeof(got)), n);
		cr_assert_eq(memcmp(got, line, n), 0);
		close(fd);
		fault_proxy_stop(&p);
	}
}
