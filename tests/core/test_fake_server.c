/* test_fake_server.c - the scripted fake server, driven by plain I/O. */
#include "harness/fake_server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

static void put(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Reads until CRLF (kept) or EOF; fails the test after 3 s. */
static char *get_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 3000), 1, "no data from the server");
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			break;
		n++;
		if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
	return buf;
}

static void expect_line(int fd, const char *want)
{
	char buf[512];

	cr_assert_str_eq(get_line(fd, buf, sizeof(buf)), want);
}

static int finish(struct fake_server *fs, char *err, size_t len)
{
	return fake_server_finish(fs, err, len);
}

Test(fake_server, greeting_command_and_tag)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "S: * OK ready\n"
	                               "C: $TAG LOGIN joe secret\n"
	                               "S: $TAG OK done\n"
	                               "C: $TAG LOGOUT\n"
	                               "S: * BYE\n"
	                               "S: $TAG OK bye\n"),
	             0);
	expect_line(fd, "* OK ready\r\n");
	put(fd, "a1 LOGIN joe secret\r\n");
	expect_line(fd, "a1 OK done\r\n");
	put(fd, "zz9 LOGOUT\r\n");
	expect_line(fd, "* BYE\r\n");
	expect_line(fd, "zz9 OK bye\r\n");
	cr_assert_str_eq(fake_server_transcript(fs),
	                 "a1 LOGIN joe secret\r\nzz9 LOGOUT\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
	close(fd);
}

Test(fake_server, mismatch_names_line_and_both_sides)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "# a comment, then a blank line\n"
	                               "\n"
	                               "S: * OK\n"
	                               "C: $TAG SELECT INBOX\n"),
	             0);
	expect_line(fd, "* OK\r\n");
	put(fd, "t1 EXAMINE INBOX\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 4:"), "%s", err);
	cr_assert(strstr(err, "SELECT INBOX"), "%s", err);
	cr_assert(strstr(err, "EXAMINE INBOX"), "%s", err);
	close(fd);
}

Test(fake_server, untagged_line_must_match_exactly)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd, "C: DONE\n"), 0);
	put(fd, "DONE \r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "received 'DONE '"), "%s", err);
	close(fd);
}

Test(fake_server, regex_with_tag)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(
	        fake_server_start(&fs, &fd,
	                          "C~ $TAG ^UID FETCH [0-9]+:\\* \\(FLAGS\\)$\n"
	                          "S: $TAG OK\n"
	                          "C~ ^X\n"),
	        0);
	put(fd, "A7 UID FETCH 12:* (FLAGS)\r\n");
	expect_line(fd, "A7 OK\r\n");
	put(fd, "Y\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 3: expected /^X/, received 'Y'"), "%s",
	          err);
	close(fd);
}

Test(fake_server, literals_and_escapes)
{
	struct fake_server *fs;
	int fd;
	char err[1024], buf[64];

	cr_assert_eq(
	        fake_server_start(&fs, &fd,
	                          "C: $TAG APPEND INBOX {5}\n"
	                          "S: + go\n"
	                          "C* 5\n"
	                          "C: \n"
	                          "S+ \\x2a 1 FETCH (BODY[] {3}\\r\\na\\0b)\n"
	                          "S: \\\\ok\n"
	                          "C= x\\r\\n\n"),
	        0);
	put(fd, "A1 APPEND INBOX {5}\r\n");
	expect_line(fd, "+ go\r\n");
	put(fd, "hello\r\n");
	get_line(fd, buf, sizeof(buf));
	cr_assert_eq(memcmp(buf, "* 1 FETCH (BODY[] {3}\r\n", 23), 0);
	ssize_t n = read(fd, buf, 4);
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(buf, "a\0b)", 4), 0);
	expect_line(fd, "\\ok\r\n");
	put(fd, "x\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
	close(fd);
}

Test(fake_server, client_close_skips_sends_and_satisfies_eof)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "S: * OK\n"
	                               "C: $TAG STARTTLS\n"
	                               "S: $TAG OK begin\n"
	                               "S: * OK injected\n"
	                               "EOF\n"),
	             0);
	expect_line(fd, "* OK\r\n");
	put(fd, "s STARTTLS\r\n");
	close(fd);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
}

Test(fake_server, client_close_fails_pending_expectation)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "S: * OK\n"
	                               "C: $TAG LOGOUT\n"),
	             0);
	close(fd);
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 2:"), "%s", err);
	cr_assert(strstr(err, "closed"), "%s", err);
}

Test(fake_server, eof_rejects_more_data)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd, "EOF\n"), 0);
	put(fd, "a NOOP\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "a NOOP"), "%s", err);
	close(fd);
}

Test(fake_server, read_timeout_fails_instead_of_hanging)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "TIMEOUT 100\n"
	                               "C: $TAG NOOP\n"),
	             0);
	put(fd, "a NO");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "timed out after 100 ms"), "%s", err);
	cr_assert(strstr(err, "'a NO'"), "%s", err);
	close(fd);
}

Test(fake_server, close_step_ends_connection)
{
	struct fake_server *fs;
	int fd;
	char err[1024], buf[8];

	cr_assert_eq(fake_server_start(&fs, &fd, "S: * BYE\nCLOSE\n"), 0);
	expect_line(fd, "* BYE\r\n");
	cr_assert_eq(read(fd, buf, sizeof(buf)), 0);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
	close(fd);
}

Test(fake_server, script_errors_reported_by_finish)
{
	static const char *bad[] = {
	        "S: ok\nBOGUS\n", "S: bad \\q escape\n",
	        "C* many\n",      "C~ (unclosed\n",
	        "SLEEP\n",        "ACCEPT\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct fake_server *fs;
		int fd;
		char err[256], buf[8];
		cr_assert_eq(fake_server_start(&fs, &fd, bad[i]), 0);
		/* nothing runs: the client sees the connection closed */
		cr_assert_eq(read(fd, buf, sizeof(buf)), 0, "%s", bad[i]);
		cr_assert_eq(finish(fs, err, sizeof(err)), -1, "%s", bad[i]);
		cr_assert(strncmp(err, "line ", 5) == 0, "%s", err);
		close(fd);
	}
}

Test(fake_server, tag_needed_before_use)
{
	struct fake_server *fs;
	int fd;
	char err[256];

	cr_assert_eq(fake_server_start(&fs, &fd, "S: $TAG OK\n"), 0);
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "$TAG before"), "%s", err);
	close(fd);
}

static int tcp_connect(uint16_t port)
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

Test(fake_server, tcp_listen_and_accept_again)
{
	struct fake_server *fs;
	uint16_t port = 0;
	char err[1024], buf[8];

	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * OK first\n"
	                                "C: $TAG LOGOUT\n"
	                                "ACCEPT\n"
	                                "S: * OK second\n"
	                                "EOF\n"),
	             0);
	cr_assert_neq(port, 0);
	int fd = tcp_connect(port);
	expect_line(fd, "* OK first\r\n");
	put(fd, "1 LOGOUT\r\n");
	cr_assert_eq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = tcp_connect(port);
	expect_line(fd, "* OK second\r\n");
	close(fd);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
}

Test(fake_server, listen_without_client_times_out)
{
	struct fake_server *fs;
	uint16_t port;
	char err[256];

	cr_assert_eq(fake_server_listen(&fs, &port, "TIMEOUT 50\nS: * OK\n"),
	             0);
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no client connected"), "%s", err);
}

/* The wait for the first client starts at the listen, before the test
 * has readied it: on a loaded machine a daemon came after the server had
 * given up. It gets six times the TIMEOUT; later steps get the TIMEOUT. */
Test(fake_server, listen_gives_the_first_client_time_to_come)
{
	struct fake_server *fs;
	uint16_t port;
	char err[256];

	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "TIMEOUT 200\nS: * OK late\nEOF\n"),
	             0);
	usleep(500000);
	int fd = tcp_connect(port);
	expect_line(fd, "* OK late\r\n");
	close(fd);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
}

/* ---------------------------------------------------------- deflate */

static void z_put(z_stream *z, int fd, const char *s)
{
	unsigned char out[1024];

	z->next_in = (Bytef *)(uintptr_t)s;
	z->avail_in = (uInt)strlen(s);
	z->next_out = out;
	z->avail_out = sizeof(out);
	cr_assert_eq(deflate(z, Z_SYNC_FLUSH), Z_OK);
	cr_assert_eq(z->avail_in, 0);
	cr_assert_eq(send(fd, out, sizeof(out) - z->avail_out, 0),
	             (ssize_t)(sizeof(out) - z->avail_out));
}

static void z_expect(z_stream *z, int fd, const char *want)
{
	char out[1024];
	unsigned char in[1024];
	size_t got = 0, len = strlen(want);

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 3000), 1);
		ssize_t n = read(fd, in, sizeof(in));
		cr_assert_gt(n, 0);
		z->next_in = in;
		z->avail_in = (uInt)n;
		z->next_out = (Bytef *)out + got;
		z->avail_out = (uInt)(sizeof(out) - got);
		int rc = inflate(z, Z_SYNC_FLUSH);
		cr_assert(rc == Z_OK || rc == Z_BUF_ERROR);
		got = sizeof(out) - z->avail_out;
	}
	cr_assert_eq(got, len);
	cr_assert_eq(memcmp(out, want, len), 0);
}

Test(fake_server, deflate_both_ways)
{
	struct fake_server *fs;
	int fd;
	char err[1024];
	z_stream zo = {0}, zi = {0};

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "C: $TAG COMPRESS DEFLATE\n"
	                               "S: $TAG OK compressing\n"
	                               "DEFLATE\n"
	                               "C: $TAG NOOP\n"
	                               "S: * 3 EXISTS\n"
	                               "S: $TAG OK\n"),
	             0);
	put(fd, "c COMPRESS DEFLATE\r\n");
	expect_line(fd, "c OK compressing\r\n");
	cr_assert_eq(
	        deflateInit2(&zo, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	cr_assert_eq(inflateInit2(&zi, -15), Z_OK);
	z_put(&zo, fd, "n NOOP\r\n");
	z_expect(&zi, fd, "* 3 EXISTS\r\nn OK\r\n");
	cr_assert_str_eq(fake_server_transcript(fs),
	                 "c COMPRESS DEFLATE\r\nn NOOP\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
	deflateEnd(&zo);
	inflateEnd(&zi);
	close(fd);
}

/* --------------------------------------------------------------- TLS */

static gnutls_session_t tls_client(int fd, const char *name,
                                   gnutls_certificate_credentials_t *credp)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	const char *ca = fake_server_ca_file();

	cr_assert_not_null(ca);
	cr_assert_eq(gnutls_certificate_allocate_credentials(&cred), 0);
	cr_assert_eq(gnutls_certificate_set_x509_trust_file(
	                     cred, ca, GNUTLS_X509_FMT_PEM),
	             1);
	*credp = cred;
	cr_assert_eq(gnutls_init(&s, GNUTLS_CLIENT), 0);
	cr_assert_eq(gnutls_set_default_priority(s), 0);
	cr_assert_eq(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred),
	             0);
	gnutls_session_set_verify_cert(s, name, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 3000);
	int rc;
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	cr_assert_eq(rc, 0, "handshake: %s", gnutls_strerror(rc));
	return s;
}

Test(fake_server, starttls_then_encrypted_script)
{
	struct fake_server *fs;
	int fd;
	char err[1024], buf[64];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "S: * OK\n"
	                               "C: $TAG STARTTLS\n"
	                               "S: $TAG OK begin TLS\n"
	                               "STARTTLS\n"
	                               "C: $TAG LOGIN u hunter2\n"
	                               "S: $TAG OK\n"),
	             0);
	expect_line(fd, "* OK\r\n");
	put(fd, "a STARTTLS\r\n");
	expect_line(fd, "a OK begin TLS\r\n");
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s = tls_client(fd, "localhost", &cred);
	const char *cmd = "b LOGIN u hunter2\r\n";
	cr_assert_eq(gnutls_record_send(s, cmd, strlen(cmd)),
	             (ssize_t)strlen(cmd));
	ssize_t n = gnutls_record_recv(s, buf, sizeof(buf) - 1);
	cr_assert_eq(n, 6);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "b OK\r\n");
	cr_assert(strstr(fake_server_transcript(fs), "hunter2"));
	/* The script has ended: the server sends close_notify and closes. */
	n = gnutls_record_recv(s, buf, sizeof(buf));
	cr_assert(n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION, "%zd", n);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
	close(fd);
	const char *pin = fake_server_cert_pin();
	cr_assert_not_null(pin);
	cr_assert_eq(strlen(pin), 7 + 64);
}

Test(fake_server, starttls_refuses_bytes_sent_before_handshake)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd,
	                               "C: $TAG STARTTLS\n"
	                               "STARTTLS\n"),
	             0);
	put(fd, "a STARTTLS\r\nb LOGIN x y\r\n");
	cr_assert_eq(finish(fs, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 2: STARTTLS: client sent data before"),
	          "%s", err);
	close(fd);
}

Test(fake_server, starttls_client_hangup_counts_as_close)
{
	struct fake_server *fs;
	int fd;
	char err[1024];

	cr_assert_eq(fake_server_start(&fs, &fd, "STARTTLS\nEOF\n"), 0);
	close(fd);
	cr_assert_eq(finish(fs, err, sizeof(err)), 0, "%s", err);
}
