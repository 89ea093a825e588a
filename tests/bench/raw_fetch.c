/* raw_fetch.c - the raw transfer limit: one UID FETCH, read and discarded.
 *
 *	IMAP_PASS=secret raw_fetch [-s SET] [-w FILE] [-t CAFILE] [-d DB]
 *		HOST PORT USER MAILBOX ITEMS
 *
 * Connects over plain TCP (with -t, implicit TLS: GnuTLS's default
 * priorities, the server's certificate verified against CAFILE), LOGINs,
 *SELECTs MAILBOX, sends "UID FETCH SET ITEMS" (SET defaults to 1:*) and reads
 *until the tagged completion, understanding just enough of the grammar to skip
 *literals (RFC 3501 section 4.3): nothing is parsed, copied or stored. Whatever
 *a real client costs beyond this is its own work; the time this takes is the
 *server's plus the kernel's. The password comes from the environment so that it
 *does not show in ps(1). With -w, the FETCH command's bytes as received are
 *also written to FILE (for tests/bench/bench_floor.c; not in a timed run).
 *With -d, every literal is also stored, untouched, in a new SQLite database
 *DB by tests/bench/store_sink.c: the floor of a client that caches what it
 *fetches in SQLite, timed to the commit of the last literal.
 *
 * Prints "key value" lines on stdout for tests/bench/bench_daemon.sh:
 *	fetch_bytes	bytes received from the FETCH command to its completion
 *	session_bytes	bytes received in the whole session (greeting included)
 *	sent_bytes	bytes sent in the whole session
 *	messages	untagged FETCH responses
 *	fetch_s		wall time of the FETCH command
 *	tls		with -t: the session's protocol and ciphers, as GnuTLS
 *			describes them
 *	stored		with -d: literals stored
 * Exit status 0 when every command completed with OK, 1 otherwise (the
 * reason on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include "store_sink.h"

#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256u * 1024u)
/* Of each line only its start (tag, "* n FETCH") and its end (a literal's
 * "{n}") matter, so a line of any length costs a fixed amount of memory. */
#define HEAD_MAX 64
#define TAIL_MAX 32

struct conn {
	int fd;
	gnutls_session_t tls; /* NULL: plain TCP */
	char *buf;
	size_t len, off;
	uint64_t received, sent;
	/* the line being read */
	char head[HEAD_MAX];
	size_t head_len;
	char tail[TAIL_MAX];
	size_t tail_len;
	uint64_t literal; /* literal bytes still to skip */
	uint64_t fetches;
	FILE *copy; /* where what is read goes too, or NULL */
	struct store_sink *sink; /* where literals go too, or NULL */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "raw_fetch: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "raw_fetch: connect %s:%s: %s\n", host, port,
		        strerror(errno));
	return fd;
}

/* Implicit TLS on c->fd, as an IMAPS client starts: the handshake
 * before the greeting. */
static int start_tls(struct conn *c, const char *host, const char *cafile,
                     gnutls_certificate_credentials_t *cred)
{
	int rc = gnutls_certificate_allocate_credentials(cred);
	if (rc >= 0 && (rc = gnutls_certificate_set_x509_trust_file(
	                        *cred, cafile, GNUTLS_X509_FMT_PEM)) >= 0)
		rc = gnutls_init(&c->tls, GNUTLS_CLIENT);
	if (rc >= 0)
		rc = gnutls_set_default_priority(c->tls);
	if (rc >= 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
		                            *cred);
	if (rc >= 0) {
		gnutls_session_set_verify_cert(c->tls, host, 0);
		gnutls_transport_set_int(c->tls, c->fd);
		do
			rc = gnutls_handshake(c->tls);
		while (rc < 0 && !gnutls_error_is_fatal(rc));
	}
	if (rc < 0)
		fprintf(stderr, "raw_fetch: TLS: %s\n", gnutls_strerror(rc));
	return rc < 0 ? -1 : 0;
}

/* write(2)/read(2), or their GnuTLS counterparts: -1 with errno as the
 * system calls do, -2 for a TLS failure already reported. */
static ssize_t conn_write(struct conn *c, const char *s, size_t n)
{
	if (!c->tls)
		return write(c->fd, s, n);
	ssize_t w;
	do
		w = gnutls_record_send(c->tls, s, n);
	while (w == GNUTLS_E_INTERRUPTED || w == GNUTLS_E_AGAIN);
	if (w < 0)
		fprintf(stderr, "raw_fetch: TLS: %s\n",
		        gnutls_strerror((int)w));
	return w < 0 ? -2 : w;
}

static ssize_t conn_read(struct conn *c, char *buf, size_t n)
{
	if (!c->tls)
		return read(c->fd, buf, n);
	ssize_t r;
	do
		r = gnutls_record_recv(c->tls, buf, n);
	while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
	if (r < 0)
		fprintf(stderr, "raw_fetch: TLS: %s\n",
		        gnutls_strerror((int)r));
	return r < 0 ? -2 : r;
}

static int send_all(struct conn *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = conn_write(c, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == -1 || w == 0)
				fprintf(stderr, "raw_fetch: write: %s\n",
				        strerror(errno));
			return -1;
		}
		s += w;
		n -= (size_t)w;
		c->sent += (uint64_t)w;
	}
	return 0;
}

static int fill(struct conn *c)
{
	for (;;) {
		ssize_t r = conn_read(c, c->buf, READ_SIZE);
		if (r == -1 && errno == EINTR)
			continue;
		if (r < 0) {
			if (r == -1)
				fprintf(stderr, "raw_fetch: read: %s\n",
				        strerror(errno));
			return -1;
		}
		if (r == 0) {
			fprintf(stderr,
			        "raw_fetch: server closed the connection\n");
			return -1;
		}
		c->len = (size_t)r;
		c->off = 0;
		c->received += (uint64_t)r;
		if (c->copy && fwrite(c->buf, 1, c->len, c->copy) != c->len) {
			fprintf(stderr, "raw_fetch: cannot write the copy\n");
			return -1;
		}
		return 0;
	}
}

/* The size of the literal a line announces ("{123}" before its CRLF, or
 * "~{123}" for RFC 3516 literal8), or 0. The tail holds the line without
 * its LF. */
static uint64_t literal_size(const struct conn *c)
{
	size_t n = c->tail_len;
	if (n > 0 && c->tail[n - 1] == '\r')
		n--;
	if (n < 3 || c->tail[n - 1] != '}')
		return 0;
	size_t i = n - 1;
	uint64_t v = 0, scale = 1;
	while (i > 0 && c->tail[i - 1] >= '0' && c->tail[i - 1] <= '9') {
		i--;
		if (scale > UINT64_MAX / 10)
			return 0;
		v += scale * (uint64_t)(c->tail[i] - '0');
		scale *= 10;
	}
	if (i == 0 || c->tail[i - 1] != '{' || i == n - 1)
		return 0;
	return v;
}

static void keep(struct conn *c, const char *p, size_t n)
{
	size_t h = HEAD_MAX - c->head_len;
	memcpy(c->head + c->head_len, p, n < h ? n : h);
	c->head_len += n < h ? n : h;
	if (n >= TAIL_MAX) {
		memcpy(c->tail, p + n - TAIL_MAX, TAIL_MAX);
		c->tail_len = TAIL_MAX;
		return;
	}
	if (c->tail_len + n > TAIL_MAX) {
		size_t drop = c->tail_len + n - TAIL_MAX;
		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= drop;
	}
	memcpy(c->tail + c->tail_len, p, n);
	c->tail_len += n;
}

/* A response line is complete (it may have been interrupted by literals;
 * head is the start of its first piece). Returns 1 when it is the tagged
 * completion of tag, with ok telling whether it was OK. */
static int line_done(struct conn *c, const char *tag, bool *ok)
{
	size_t tl = strlen(tag);
	if (c->head_len > tl + 1 && memcmp(c->head, tag, tl) == 0 &&
	    c->head[tl] == ' ') {
		*ok = c->head_len >= tl + 3 &&
		      memcmp(c->head + tl + 1, "OK", 2) == 0;
		if (!*ok)
			fprintf(stderr, "raw_fetch: %.*s\n", (int)c->head_len,
			        c->head);
		return 1;
	}
	if (c->head_len > 2 && memcmp(c->head, "* ", 2) == 0) {
		const char *sp = memchr(c->head + 2, ' ', c->head_len - 2);
		if (sp && (size_t)(c->head + c->head_len - sp) > 6 &&
		    memcmp(sp + 1, "FETCH ", 6) == 0)
			c->fetches++;
	}
	return 0;
}

/* Reads responses until the tagged completion of tag. A literal continues
 * the line it was announced on: the head is kept across it. */
static int wait_tagged(struct conn *c, const char *tag)
{
	bool continued = false;
	for (;;) {
		if (c->off == c->len && fill(c) < 0)
			return -1;
		if (c->literal > 0) {
			size_t n = c->len - c->off;
			if ((uint64_t)n > c->literal)
				n = (size_t)c->literal;
			if (c->sink)
				store_sink_add(c->sink, c->buf + c->off, n);
			c->off += n;
			c->literal -= n;
			if (c->sink && c->literal == 0)
				store_sink_end_literal(c->sink);
			continue;
		}
		if (!continued) {
			c->head_len = 0;
			c->tail_len = 0;
			continued = true;
		}
		char *p = c->buf + c->off;
		char *lf = memchr(p, '\n', c->len - c->off);
		size_t n = lf ? (size_t)(lf - p) : c->len - c->off;
		keep(c, p, n);
		c->off += n + (lf != NULL);
		if (!lf)
			continue;
		uint64_t lit = literal_size(c);
		if (lit > 0) {
			c->literal = lit;
			c->tail_len = 0;
			continue;
		}
		continued = false;
		bool ok;
		if (line_done(c, tag, &ok))
			return ok ? 0 : -1;
	}
}

/* Sends a command (fmt starts with tag) and waits for its completion. */
__attribute__((format(printf, 3, 4))) static int
command(struct conn *c, const char *tag, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fprintf(stderr, "raw_fetch: command too long\n");
		return -1;
	}
	if (send_all(c, line, (size_t)n) < 0)
		return -1;
	return wait_tagged(c, tag);
}

/* A quoted string (RFC 3501 section 4.3) of s, or NULL when s holds what a
 * quoted string cannot carry. */
static char *quote(const char *s)
{
	size_t n = strlen(s);
	char *q = malloc(2 * n + 3), *o = q;
	if (!q)
		return NULL;
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n') {
			free(q);
			return NULL;
		}
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: IMAP_PASS=... raw_fetch [-s SET] [-w FILE] [-t CAFILE] "
	        "[-d DB] HOST PORT USER MAILBOX ITEMS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *set = "1:*", *copy = NULL, *cafile = NULL, *db = NULL;
	int i = 1;
	for (; argc - i > 2 && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-s") == 0)
			set = argv[i + 1];
		else if (strcmp(argv[i], "-w") == 0)
			copy = argv[i + 1];
		else if (strcmp(argv[i], "-t") == 0)
			cafile = argv[i + 1];
		else if (strcmp(argv[i], "-d") == 0)
			db = argv[i + 1];
		else
			usage();
	}
	if (argc - i != 5)
		usage();
	const char *host = argv[i], *port = argv[i + 1];
	const char *pass = getenv("IMAP_PASS");
	if (!pass) {
		fprintf(stderr, "raw_fetch: IMAP_PASS is not set\n");
		return 2;
	}
	char *user = quote(argv[i + 2]), *qpass = quote(pass);
	char *box = quote(argv[i + 3]);
	const char *items = argv[i + 4];
	struct conn c = {.buf = malloc(READ_SIZE)};
	if (!user || !qpass || !box || !c.buf) {
		fprintf(stderr, "raw_fetch: bad argument or out of memory\n");
		return 2;
	}
	int rc = 1;
	gnutls_certificate_credentials_t cred = NULL;
	c.fd = dial(host, port);
	if (c.fd < 0 || (cafile && start_tls(&c, host, cafile, &cred) < 0))
		goto out;

	/* The greeting is an untagged line: read it as the completion of a
	 * tag no server sends. */
	if (fill(&c) < 0 || memcmp(c.buf, "* OK", c.len < 4 ? c.len : 4) != 0) {
		fprintf(stderr, "raw_fetch: no IMAP greeting\n");
		goto out;
	}
	c.off = c.len;
	if (command(&c, "a1", "a1 LOGIN %s %s\r\n", user, qpass) < 0 ||
	    command(&c, "a2", "a2 SELECT %s\r\n", box) < 0)
		goto out;
	uint64_t before = c.received - (uint64_t)(c.len - c.off);
	c.fetches = 0;
	if (copy && (c.copy = fopen(copy, "wb")) == NULL) {
		fprintf(stderr, "raw_fetch: %s: %s\n", copy, strerror(errno));
		goto out;
	}
	if (db && (c.sink = store_sink_open(db)) == NULL)
		goto out;
	double t0 = now();
	if (command(&c, "a3", "a3 UID FETCH %s %s\r\n", set, items) < 0)
		goto out;
	long stored = c.sink ? store_sink_finish(c.sink) : 0;
	if (stored < 0)
		goto out;
	double t1 = now();
	if (c.copy) {
		int bad = fclose(c.copy) != 0;
		c.copy = NULL;
		if (bad) {
			fprintf(stderr, "raw_fetch: cannot write %s\n", copy);
			goto out;
		}
	}
	uint64_t fetch_bytes = c.received - (uint64_t)(c.len - c.off) - before;
	if (command(&c, "a4", "a4 LOGOUT\r\n") < 0)
		goto out;
	printf("fetch_bytes %llu\nsession_bytes %llu\nsent_bytes %llu\n"
	       "messages %llu\nfetch_s %.6f\n",
	       (unsigned long long)fetch_bytes, (unsigned long long)c.received,
	       (unsigned long long)c.sent, (unsigned long long)c.fetches,
	       t1 - t0);
	if (c.tls) {
		char *desc = gnutls_session_get_desc(c.tls);
		printf("tls %s\n", desc ? desc : "?");
		gnutls_free(desc);
	}
	if (c.sink)
		printf("stored %ld\n", stored);
	rc = 0;
out:
	if (c.copy)
		fclose(c.copy);
	if (c.tls)
		gnutls_deinit(c.tls);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	if (c.fd >= 0)
		close(c.fd);
	store_sink_free(c.sink);
	free(c.buf);
	free(user);
	free(qpass);
	free(box);
	return rc;
}
