/* test_tls.c - the TLS layer against a GnuTLS server in a thread. */
#include <criterion/criterion.h>

#include "harness/fd_limit.h"
#include "harness/tls_server.h"
#include "imap4.h"
#include "io/transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static struct tls_pki *pki;

static void setup(void)
{
	char err[256] = "";

	cr_assert_eq(tls_pki_new(&pki, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	tls_pki_free(&pki);
}

TestSuite(tls, .init = setup, .fini = teardown, .timeout = 30);

struct conn {
	struct imap4_transport *lower;
	struct tls_server *server;
};

/* A socketpair: our end wrapped as an fd transport, theirs served with
 * the certificate of k. */
static struct conn serve_pki(const struct tls_pki *k, enum tls_server_mode mode)
{
	struct conn c;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(tls_server_start(&c.server, k, sv[1], mode), 0);
	cr_assert_eq(imap4_fd_open(&c.lower, sv[0]), 0);
	return c;
}

static struct conn serve(enum tls_server_mode mode)
{
	return serve_pki(pki, mode);
}

static int open_tls(struct imap4_transport **t, struct conn *c,
                    const struct imap4_tls_params *p, char *err, size_t len)
{
	int rc = imap4_tls_open(t, c->lower, p, imap4_deadline(5000), err, len);

	c->lower = NULL; /* owned by the TLS layer, even on failure */
	return rc;
}

static void echo(struct imap4_transport *t, const char *msg)
{
	size_t len = strlen(msg), got = 0;
	char buf[256];

	cr_assert_eq(imap4_transport_write(t, msg, len, imap4_deadline(5000)),
	             0, "%s", t->errmsg);
	while (got < len) {
		ssize_t n = imap4_transport_read(t, buf + got, len - got,
		                                 imap4_deadline(5000));
		cr_assert_gt(n, 0, "%zd %s", n, t->errmsg);
		got += (size_t)n;
	}
	cr_assert_eq(memcmp(buf, msg, len), 0);
}

static void finish(struct imap4_transport **t, struct conn *c, int want)
{
	imap4_transport_close(t);
	cr_assert_eq(tls_server_join(&c->server), want);
}

Test(tls, handshake_and_echo_with_ca_file)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "", buf[4];

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t->ops->name, "tls");
	cr_assert_eq(t->fd, t->lower->fd);
	echo(t, "a1 CAPABILITY\r\n");

	/* A record read in part: the rest is pending and wait() sees it
	 * without the fd being readable. */
	cr_assert_eq(imap4_transport_write(t, "0123456789", 10, -1), 0);
	cr_assert_eq(imap4_transport_read(t, buf, 4, imap4_deadline(5000)), 4);
	cr_assert_eq(imap4_transport_pending(t), 6);
	cr_assert_eq(imap4_transport_wait(t, -1, 0), 1);
	finish(&t, &c, 0);
}

Test(tls, large_transfer)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	static char out[100000], in[sizeof(out)];
	char err[256] = "";
	size_t i, got = 0;

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	/* Less than the socket buffers hold, so no reader thread needed. */
	cr_assert_eq(imap4_transport_write(t, out, sizeof(out),
	                                   imap4_deadline(5000)),
	             0, "%s", t->errmsg);
	while (got < sizeof(in)) {
		ssize_t n = imap4_transport_read(t, in + got, sizeof(in) - got,
		                                 imap4_deadline(5000));
		cr_assert_gt(n, 0, "%s", t->errmsg);
		got += (size_t)n;
	}
	cr_assert_eq(memcmp(in, out, sizeof(out)), 0);
	finish(&t, &c, 0);
}

Test(tls, ip_san_over_tcp)
{
	struct imap4_tls_params p = {.servername = "127.0.0.1",
	                             .ca_file = pki->ca_file};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct imap4_transport *tcp, *t;
	struct tls_server *srv;
	char err[256] = "";
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, len), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	cr_assert_eq(imap4_tcp_open(&tcp, "127.0.0.1", ntohs(sa.sin_port),
	                            false, imap4_deadline(5000), err,
	                            sizeof(err)),
	             0, "%s", err);
	cfd = accept(lfd, NULL, NULL);
	cr_assert_geq(cfd, 0);
	cr_assert_eq(tls_server_start(&srv, pki, cfd, TLS_SERVER_ECHO), 0);
	cr_assert_eq(imap4_tls_open(&t, tcp, &p, imap4_deadline(5000), err,
	                            sizeof(err)),
	             0, "%s", err);
	echo(t, "a1 NOOP\r\n");
	imap4_transport_close(&t);
	cr_assert_eq(tls_server_join(&srv), 0);
	close(lfd);
}

Test(tls, wrong_host_name_is_ecert)
{
	struct imap4_tls_params p = {.servername = "imap.example.com",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t = (void *)1;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ECERT, "%s",
	             err);
	cr_assert_null(t);
	cr_assert_str_eq(err, "certificate verification failed for "
	                      "imap.example.com: the name does not match");
	cr_assert_neq(tls_server_join(&c.server), 0);
}

Test(tls, system_store_does_not_trust_test_ca)
{
	struct imap4_tls_params p = {.servername = "localhost"};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ECERT, "%s",
	             err);
	cr_assert(strstr(err, "for localhost: the certificate is not "
	                      "trusted"),
	          "%s", err);
	cr_assert_null(strstr(err, "name"), "%s", err);
	cr_assert_neq(tls_server_join(&c.server), 0);
}

Test(tls, pin_without_ca)
{
	char pin[128]; /* "SHA256:" 64 digits, 31 colons */
	struct imap4_tls_params p = {.servername = "imap.example.com",
	                             .pin_sha256 = pin};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "";
	size_t i, n = 0;

	/* "SHA256:AB:CD:..." spells the same pin. */
	n += (size_t)snprintf(pin, sizeof(pin), "SHA256:");
	for (i = 7; pki->pin[i]; i++) {
		if (i > 7 && i % 2 == 1)
			pin[n++] = ':';
		pin[n++] = (char)toupper((unsigned char)pki->pin[i]);
	}
	pin[n] = '\0';
	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s (%s)", err,
	             pin);
	echo(t, "pinned\r\n");
	finish(&t, &c, 0);
}

Test(tls, wrong_pin_is_ecert)
{
	struct imap4_tls_params p = {
	        .servername = "localhost",
	        .ca_file = pki->ca_file, /* the pin wins over the CA */
	        .pin_sha256 = "0000000000000000000000000000000000000000000000"
	                      "000000000000000000"};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ECERT, "%s",
	             err);
	cr_assert(strstr(err, "does not match the pin"), "%s", err);
	cr_assert(strstr(err, pki->pin), "%s should name %s", err, pki->pin);
	imap4_transport_close(&t);
	tls_server_join(&c.server);
}

Test(tls, malformed_pin_is_einval)
{
	static const char *const pins[] = {
	        "sha256:abcd",
	        "zz000000000000000000000000000000000000000000000000000000000000"
	        "00",
	        "00000000000000000000000000000000000000000000000000000000000000"
	        "0",
	        "00000000000000000000000000000000000000000000000000000000000000"
	        "000",
	};
	size_t i;

	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		struct imap4_tls_params p = {.servername = "localhost",
		                             .pin_sha256 = pins[i]};
		struct imap4_transport *lower, *t;
		int sv[2];
		char err[128] = "";

		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
		cr_assert_eq(
		        imap4_tls_open(&t, lower, &p, -1, err, sizeof(err)),
		        IMAP4_EINVAL, "%s", pins[i]);
		close(sv[1]);
	}
}

Test(tls, no_name_without_insecure_is_einval)
{
	struct imap4_tls_params p = {.ca_file = NULL};
	struct imap4_transport *lower, *t;
	int sv[2];
	char err[128] = "";

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_tls_open(&t, lower, &p, -1, err, sizeof(err)),
	             IMAP4_EINVAL);
	cr_assert(strstr(err, "no server name"), "%s", err);
	close(sv[1]);
}

Test(tls, insecure_skips_checks)
{
	struct imap4_tls_params p = {.insecure = true};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	echo(t, "insecure\r\n");
	finish(&t, &c, 0);
}

Test(tls, stalled_handshake_times_out)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_STALL);
	struct imap4_transport *t;
	char err[256] = "";
	int64_t start = imap4_now_ms();

	cr_assert_eq(imap4_tls_open(&t, c.lower, &p, imap4_deadline(300), err,
	                            sizeof(err)),
	             IMAP4_ETIMEOUT, "%s", err);
	cr_assert_geq(imap4_now_ms() - start, 300);
	cr_assert_lt(imap4_now_ms() - start, 3000);
	cr_assert(strstr(err, "TLS handshake with localhost: timed out"), "%s",
	          err);
	cr_assert_eq(tls_server_join(&c.server), 0);
}

Test(tls, hangup_mid_handshake_is_etls)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_HANGUP);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ETLS, "%s",
	             err);
	cr_assert_eq(tls_server_join(&c.server), 0);
}

Test(tls, tls11_only_server_is_etls)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_TLS11);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ETLS, "%s",
	             err);
	cr_assert(strstr(err, "TLS handshake with localhost: "), "%s", err);
	cr_assert_eq(tls_server_join(&c.server), 0);
}

Test(tls, read_timeout_keeps_session)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "", buf[8];

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(100)),
	        IMAP4_ETIMEOUT);
	echo(t, "still here\r\n");
	finish(&t, &c, 0);
}

/* tls = implicit against a cleartext port: the greeting is what to show. */
Test(tls, cleartext_answer_is_named)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_CLEARTEXT);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ETLS, "%s",
	             err);
	cr_assert(strstr(err, "TLS handshake with localhost: the server "
	                      "answered in cleartext (\"* OK [CAPABILITY "),
	          "%s", err);
	cr_assert(strstr(err, "), not TLS"), "%s", err);
	cr_assert_eq(tls_server_join(&c.server), 0);
}

/* Reads the server's first line, then returns the next read's result. */
static ssize_t line_then_read(struct imap4_transport *t)
{
	char buf[64];
	size_t got = 0;

	while (got < 9) {
		ssize_t n = imap4_transport_read(
		        t, buf + got, sizeof(buf) - got, imap4_deadline(5000));
		cr_assert_gt(n, 0, "%zd %s", n, t->errmsg);
		got += (size_t)n;
	}
	cr_assert_eq(memcmp(buf, "* OK hi\r\n", 9), 0);
	return imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(5000));
}

Test(tls, bytes_that_are_no_record_end_the_session)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_GARBAGE);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(line_then_read(t), IMAP4_ETLS, "%s", t->errmsg);
	cr_assert(strstr(t->errmsg, "TLS read: "), "%s", t->errmsg);
	/* The failure sticks: nothing more is read from, or written to, a
	 * stream that lost its framing. */
	char buf[8];
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), -1), IMAP4_ETLS);
	cr_assert_eq(imap4_transport_write(t, "x\r\n", 3, -1), IMAP4_ETLS);
	finish(&t, &c, 0);
}

/* A close without close_notify, after the handshake: the end of the
 * connection (EOF), not a TLS failure; what came before it is kept. */
Test(tls, close_without_close_notify_is_eof)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct conn c = serve(TLS_SERVER_CUT);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(line_then_read(t), IMAP4_EEOF, "%s", t->errmsg);
	cr_assert(strstr(t->errmsg, "closed"), "%s", t->errmsg);
	finish(&t, &c, 0);
}

/* Verifies servername against a server certificate of the given kind, with
 * its CA as ca_file: 0 and an echo, or the open's code with its message in
 * err. */
static int open_kind(enum tls_pki_kind kind, const char *servername, char *err,
                     size_t len)
{
	struct tls_pki *k;
	struct imap4_tls_params p = {.servername = servername};
	struct imap4_transport *t;
	struct conn c;
	int rc;

	cr_assert_eq(tls_pki_new_kind(&k, kind, err, len), 0, "%s", err);
	p.ca_file = k->ca_file;
	c = serve_pki(k, TLS_SERVER_ECHO);
	rc = open_tls(&t, &c, &p, err, len);
	if (rc == 0) {
		echo(t, "a1 NOOP\r\n");
		finish(&t, &c, 0);
	} else {
		cr_assert_null(t);
		tls_server_join(&c.server);
	}
	tls_pki_free(&k);
	return rc;
}

/* A certificate the CA issued for TLS clients only is not the
 * server's, whatever its name says (RFC 5280 4.2.1.12). */
Test(tls, client_only_certificate_is_ecert)
{
	char err[256] = "";

	cr_assert_eq(
	        open_kind(TLS_PKI_CLIENT_ONLY, "localhost", err, sizeof(err)),
	        IMAP4_ECERT, "%s", err);
	cr_assert_str_eq(err, "certificate verification failed for "
	                      "localhost: it is not for TLS servers");
}

/* No Extended Key Usage means any purpose: such a server is taken. */
Test(tls, certificate_without_purpose_is_taken)
{
	char err[256] = "";

	cr_assert_eq(open_kind(TLS_PKI_NO_EKU, "localhost", err, sizeof(err)),
	             0, "%s", err);
}

/* A key of 80-bit security, signed by the trusted CA, is refused, and
 * the message says which key and how large. */
Test(tls, rsa1024_server_key_is_ecert)
{
	char err[256] = "";

	cr_assert_eq(open_kind(TLS_PKI_RSA1024, "localhost", err, sizeof(err)),
	             IMAP4_ECERT, "%s", err);
	cr_assert_str_eq(err, "certificate verification failed for "
	                      "localhost: its key is too weak (RSA, 1024 "
	                      "bits)");
}

/* The floor is 112 bits: RSA 2048, the size most servers have, passes (as
 * EC P-256 does in every other test here). */
Test(tls, rsa2048_server_key_is_taken)
{
	char err[256] = "";

	cr_assert_eq(open_kind(TLS_PKI_RSA2048, "localhost", err, sizeof(err)),
	             0, "%s", err);
}

/* Addresses, v4 and v6, are compared with the iPAddress SANs; another
 * address of the same family does not match. */
Test(tls, addresses_match_ip_sans_only)
{
	char err[256] = "";

	cr_assert_eq(open_kind(TLS_PKI_SERVER, "::1", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(open_kind(TLS_PKI_SERVER, "127.0.0.2", err, sizeof(err)),
	             IMAP4_ECERT, "%s", err);
	cr_assert_str_eq(err, "certificate verification failed for "
	                      "127.0.0.2: the name does not match");
	cr_assert_eq(open_kind(TLS_PKI_SERVER, "::2", err, sizeof(err)),
	             IMAP4_ECERT, "%s", err);
	cr_assert(strstr(err, "the name does not match"), "%s", err);
}

/* insecure skips the chain and the name, never a pin the caller gave: a
 * wrong one still fails, the right one still passes. */
Test(tls, insecure_still_checks_the_pin)
{
	struct imap4_tls_params p = {
	        .insecure = true,
	        .pin_sha256 = "0000000000000000000000000000000000000000000000"
	                      "000000000000000000"};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t;
	char err[256] = "";

	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), IMAP4_ECERT, "%s",
	             err);
	cr_assert(strstr(err, "does not match the pin"), "%s", err);
	tls_server_join(&c.server);

	p.pin_sha256 = pki->pin;
	c = serve(TLS_SERVER_ECHO);
	cr_assert_eq(open_tls(&t, &c, &p, err, sizeof(err)), 0, "%s", err);
	echo(t, "pinned\r\n");
	finish(&t, &c, 0);
}

/* A CA file that cannot be opened for want of descriptors is no fault of
 * the file: GnuTLS said "Error while reading file" and the certificate's
 * error class, which the daemon retries after the longest back-off. */
Test(tls, a_ca_file_out_of_descriptors_is_said_and_passes)
{
	struct imap4_tls_params p = {.servername = "localhost",
	                             .ca_file = pki->ca_file};
	struct imap4_tls_params gone = {.servername = "localhost",
	                                .ca_file = "/nonexistent/ca.pem"};
	struct conn c = serve(TLS_SERVER_ECHO);
	struct imap4_transport *t = NULL, *lower;
	char err[256] = "";
	int sv[2];

	/* GnuTLS's own start, with the descriptors it may want. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_tls_open(&t, lower, &gone, imap4_deadline(5000), err,
	                            sizeof(err)),
	             IMAP4_ECERT, "%s", err);
	close(sv[1]);

	rlim_t was;
	cr_assert_eq(harness_leave_descriptors(0, &was), 0);
	int rc = open_tls(&t, &c, &p, err, sizeof(err));
	cr_assert_eq(harness_fd_limit_restore(was), 0);
	cr_assert_eq(rc, IMAP4_EIO, "%d: %s", rc, err);
	cr_assert(strstr(err, "too many open files (limit"), "%s", err);
	tls_server_join(&c.server);
}
