/* test_open_opts.c - what imap4_open* finds wrong in its arguments before
 * it connects, and the host "" of imaplib's IMAP4(''). */
#include <criterion/criterion.h>

#include "harness/fake_server.h"
#include "imap4.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A port of 127.0.0.1 that nothing listens on: bound, then released
 * (bound but not listening would do as well, yet a closed socket is what
 * the tester had). */
static uint16_t closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static struct imap4_opts opts_with(enum imap4_tls_mode tls, const char *pin,
                                   const char *ca_file)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.connect_timeout_ms = 5000;
	o.timeout_ms = 5000;
	o.tls = tls;
	o.pin_sha256 = pin;
	o.ca_file = ca_file;
	return o;
}

/* explore83: against a closed port both gave IMAP4_ECONNECT "Connection
 * refused", and against a live one IMAP4_EINVAL or IMAP4_ECERT only after
 * the connect (and the greeting, for STARTTLS): the caller's mistake was
 * hidden behind the network's answer. */
Test(open_opts, a_malformed_pin_is_said_before_connecting)
{
	struct imap4_opts o = opts_with(IMAP4_TLS_STARTTLS, "sha256:zz", NULL);
	uint16_t port = closed_port();
	imap4 *h = NULL;

	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), IMAP4_EINVAL, "%s",
	             imap4_open_error());
	cr_assert(strstr(imap4_open_error(), "pin"), "%s", imap4_open_error());
	cr_assert_null(h);
	cr_assert_eq(imap4_open_ssl(&h, "127.0.0.1", port, &o), IMAP4_EINVAL,
	             "%s", imap4_open_error());
	cr_assert(strstr(imap4_open_error(), "pin"), "%s", imap4_open_error());
}

Test(open_opts, a_missing_ca_file_is_said_before_connecting)
{
	struct imap4_opts o =
	        opts_with(IMAP4_TLS_IMPLICIT, NULL, "/nonexistent.pem");
	imap4 *h = NULL;

	cr_assert_eq(imap4_open(&h, "127.0.0.1", closed_port(), &o),
	             IMAP4_ECERT, "%s", imap4_open_error());
	cr_assert(strstr(imap4_open_error(),
	                 "cannot load CA file /nonexistent.pem"),
	          "%s", imap4_open_error());
	cr_assert(strstr(imap4_open_error(), "No such file"), "%s",
	          imap4_open_error());
	cr_assert_null(h);
}

/* Without TLS neither option is used, so neither is checked; a pin makes
 * the CA file unused as well. Here the connect is what fails. */
Test(open_opts, unused_tls_options_are_not_checked)
{
	struct imap4_opts plain =
	        opts_with(IMAP4_TLS_NONE, "sha256:zz", "/nonexistent.pem");
	struct imap4_opts pinned = opts_with(
	        IMAP4_TLS_IMPLICIT, fake_server_cert_pin(), "/nonexistent.pem");
	uint16_t port = closed_port();
	imap4 *h = NULL;

	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &plain), IMAP4_ECONNECT,
	             "%s", imap4_open_error());
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &pinned), IMAP4_ECONNECT,
	             "%s", imap4_open_error());
}

/* explore83: imap4_open(&h, "", ...) failed with "": connect: no host
 * name"; imaplib's IMAP4('') (its default) connects to this machine. */
Test(open_opts, an_empty_host_is_localhost)
{
	struct fake_server *fs;
	uint16_t port;
	struct imap4_opts o = opts_with(IMAP4_TLS_NONE, NULL, NULL);
	imap4 *h = NULL;
	char err[512] = "";

	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * PREAUTH [CAPABILITY IMAP4rev1] "
	                                "hi\n"
	                                "EOF\n"),
	             0);
	cr_assert_eq(imap4_open(&h, "", port, &o), IMAP4_OK, "%s",
	             imap4_open_error());
	imap4_free(&h);
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);
}
