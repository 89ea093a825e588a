/* fake_conn.c - layered, deadline-bound I/O for the fake server. */
#include "harness/fake_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 16384

int64_t fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct fake_conn *c, const char *what, const char *detail)
{
	snprintf(c->err, sizeof(c->err), "%s: %s", what, detail);
	return FCONN_ERR;
}

static int wait_fd(struct fake_conn *c, short events, int64_t deadline)
{
	struct pollfd p = {.fd = c->fd, .events = events};

	for (;;) {
		int ms = -1;
		if (deadline >= 0) {
			int64_t left = deadline - fake_now_ms();
			if (left <= 0)
				return FCONN_TIMEOUT;
			ms = left > 60000 ? 60000 : (int)left;
		}
		int n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(c, "poll", strerror(errno));
	}
}

/* gnutls' own transport would let a write to a closed peer raise SIGPIPE
 * in the whole test process; MSG_NOSIGNAL turns that into EPIPE. */
static ssize_t tls_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct fake_conn *c = p;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct fake_conn *c = p;
	ssize_t n = recv(c->fd, buf, len, 0);

	if (n < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return n;
}

/* The ways a TLS peer goes away: they mean "the client closed", not a
 * server failure, so that a script can expect a client to hang up. */
static bool tls_peer_gone(int rc)
{
	return rc == GNUTLS_E_PREMATURE_TERMINATION ||
	       rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	       rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR ||
	       rc == GNUTLS_E_UNEXPECTED_PACKET_LENGTH;
}

static int lower_read(struct fake_conn *c, void *buf, size_t cap, size_t *got,
                      int64_t deadline)
{
	for (;;) {
		ssize_t n;
		if (c->tls) {
			n = gnutls_record_recv(c->tls, buf, cap);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				n = -1, errno = EAGAIN;
			else if (n < 0 && tls_peer_gone((int)n))
				return FCONN_EOF;
			else if (n < 0)
				return fail(c, "TLS read",
				            gnutls_strerror((int)n));
		} else {
			n = recv(c->fd, buf, cap, 0);
			if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
				return FCONN_EOF;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail(c, "read", strerror(errno));
		}
		if (n == 0)
			return FCONN_EOF;
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (errno == EAGAIN) {
			int rc = wait_fd(c, POLLIN, deadline);
			if (rc)
				return rc;
		}
	}
}

static int lower_write(struct fake_conn *c, const char *buf, size_t len,
                       int64_t deadline)
{
	while (len > 0) {
		ssize_t n;
		if (c->tls) {
			n = gnutls_record_send(c->tls, buf, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				n = -1, errno = EAGAIN;
			else if (n < 0 && tls_peer_gone((int)n))
				return FCONN_EOF;
			else if (n < 0)
				return fail(c, "TLS write",
				            gnutls_strerror((int)n));
		} else {
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
				return FCONN_EOF;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail(c, "write", strerror(errno));
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN) {
			int rc = wait_fd(c, POLLOUT, deadline);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int fconn_init(struct fake_conn *c, int fd, fconn_input_cb cb, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->on_input = cb;
	c->on_input_arg = arg;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return fail(c, "fcntl", strerror(errno));
	c->in_cap = CHUNK;
	c->in = malloc(c->in_cap);
	if (!c->in)
		return fail(c, "malloc", strerror(ENOMEM));
	return 0;
}

void fconn_clear(struct fake_conn *c)
{
	if (c->tls) {
		/* Best effort: a peer that stopped reading must not hold the
		 * script's end. */
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	if (c->deflate) {
		inflateEnd(&c->zin);
		deflateEnd(&c->zout);
	}
	if (c->fd >= 0) {
		shutdown(c->fd, SHUT_WR);
		close(c->fd);
	}
	free(c->raw);
	free(c->in);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Inflates into dst; reads compressed bytes from below as needed. */
static int inflate_some(struct fake_conn *c, char *dst, size_t cap, size_t *got,
                        int64_t deadline)
{
	for (;;) {
		if (c->zin.avail_in == 0) {
			size_t n;
			int rc = lower_read(c, c->raw, CHUNK, &n, deadline);
			if (rc)
				return rc;
			c->zin.next_in = c->raw;
			c->zin.avail_in = (uInt)n;
		}
		c->zin.next_out = (Bytef *)dst;
		c->zin.avail_out = (uInt)cap;
		int zrc = inflate(&c->zin, Z_SYNC_FLUSH);
		*got = cap - c->zin.avail_out;
		if (zrc == Z_STREAM_END)
			return fail(c, "inflate", "client ended the stream");
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return fail(c, "inflate",
			            c->zin.msg ? c->zin.msg : "corrupt data");
		if (*got > 0)
			return 0;
	}
}

/* Appends at least one decoded byte to the input buffer. */
static int fill(struct fake_conn *c, int64_t deadline)
{
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < CHUNK) {
		if (c->in_cap >= FCONN_LINE_MAX + CHUNK)
			return fail(c, "input", "client line too long");
		char *p = realloc(c->in, c->in_cap * 2);
		if (!p)
			return fail(c, "realloc", strerror(ENOMEM));
		c->in = p;
		c->in_cap *= 2;
	}
	char *dst = c->in + c->in_len;
	size_t cap = c->in_cap - c->in_len, got;
	int rc = c->deflate ? inflate_some(c, dst, cap, &got, deadline)
	                    : lower_read(c, dst, cap, &got, deadline);
	if (rc)
		return rc;
	c->in_len += got;
	if (c->on_input)
		c->on_input(c->on_input_arg, dst, got);
	return 0;
}

int fconn_read_line(struct fake_conn *c, const char **line, size_t *len,
                    int64_t deadline)
{
	size_t from = 0; /* relative to in_off: bytes known to hold no CRLF */

	for (;;) {
		const char *base = c->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		const char *crlf =
		        avail - from >= 2
		                ? memmem(base + from, avail - from, "\r\n", 2)
		                : NULL;
		if (crlf) {
			*line = base;
			*len = (size_t)(crlf - base);
			c->in_off += *len + 2;
			return 0;
		}
		if (avail > FCONN_LINE_MAX)
			return fail(c, "input", "client line too long");
		from = avail > 0 ? avail - 1 : 0;
		int rc = fill(c, deadline);
		if (rc)
			return rc;
	}
}

int fconn_read_exact(struct fake_conn *c, const char **data, size_t n,
                     int64_t deadline)
{
	if (n > FCONN_LINE_MAX)
		return fail(c, "input", "raw read too large");
	while (c->in_len - c->in_off < n) {
		int rc = fill(c, deadline);
		if (rc)
			return rc;
	}
	*data = c->in + c->in_off;
	c->in_off += n;
	return 0;
}

int fconn_skip(struct fake_conn *c, uint64_t n, int64_t deadline)
{
	while (n > 0) {
		if (c->in_off == c->in_len) {
			int rc = fill(c, deadline);
			if (rc)
				return rc;
		}
		size_t avail = c->in_len - c->in_off;
		size_t take = n < avail ? (size_t)n : avail;
		c->in_off += take;
		n -= take;
	}
	return 0;
}

int fconn_expect_eof(struct fake_conn *c, int64_t deadline)
{
	if (c->in_off == c->in_len) {
		int rc = fill(c, deadline);
		if (rc == FCONN_EOF)
			return 0;
		if (rc)
			return rc;
	}
	return fail(c, "expected EOF", "the client sent more data");
}

int fconn_write(struct fake_conn *c, const void *buf, size_t len,
                int64_t deadline)
{
	if (!c->deflate)
		return lower_write(c, buf, len, deadline);

	unsigned char out[CHUNK];
	c->zout.next_in = (Bytef *)(uintptr_t)buf;
	c->zout.avail_in = (uInt)len;
	do {
		c->zout.next_out = out;
		c->zout.avail_out = sizeof(out);
		/* A sync flush per write: the client must be able to decode
		 * every response without waiting for more (RFC 4978 4). */
		int zrc = deflate(&c->zout, Z_SYNC_FLUSH);
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return fail(c, "deflate", "stream error");
		size_t n = sizeof(out) - c->zout.avail_out;
		int rc = lower_write(c, (const char *)out, n, deadline);
		if (rc)
			return rc;
	} while (c->zout.avail_in > 0 || c->zout.avail_out == 0);
	return 0;
}

int fconn_starttls(struct fake_conn *c, gnutls_certificate_credentials_t cred,
                   int64_t deadline)
{
	if (c->in_off != c->in_len)
		return fail(c, "STARTTLS",
		            "client sent data before the TLS handshake");
	if (c->tls || c->deflate)
		return fail(c, "STARTTLS", "TLS or deflate already active");

	int rc = gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (rc == 0)
		rc = gnutls_set_default_priority(c->tls);
	if (rc == 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
		                            cred);
	if (rc) {
		fail(c, "TLS setup", gnutls_strerror(rc));
		gnutls_deinit(c->tls);
		c->tls = NULL;
		return FCONN_ERR;
	}
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_push_function(c->tls, tls_push);
	gnutls_transport_set_pull_function(c->tls, tls_pull);
	for (;;) {
		rc = gnutls_handshake(c->tls);
		if (rc == 0)
			return 0;
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(rc))
			break;
		int dir = gnutls_record_get_direction(c->tls);
		int wrc = wait_fd(c, dir ? POLLOUT : POLLIN, deadline);
		if (wrc) {
			gnutls_deinit(c->tls);
			c->tls = NULL;
			return wrc;
		}
	}
	snprintf(c->err, sizeof(c->err), "TLS handshake: %s",
	         gnutls_strerror(rc));
	gnutls_deinit(c->tls);
	c->tls = NULL;
	return tls_peer_gone(rc) ? FCONN_EOF : FCONN_ERR;
}

int fconn_deflate(struct fake_conn *c)
{
	size_t unread = c->in_len - c->in_off;

	if (c->deflate)
		return fail(c, "DEFLATE", "already active");
	if (unread > CHUNK)
		return fail(c, "DEFLATE", "too much data before compression");
	c->raw = malloc(CHUNK);
	if (!c->raw)
		return fail(c, "malloc", strerror(ENOMEM));
	if (inflateInit2(&c->zin, -15) != Z_OK)
		return fail(c, "DEFLATE", "inflateInit2");
	if (deflateInit2(&c->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&c->zin);
		return fail(c, "DEFLATE", "deflateInit2");
	}
	/* A client may pipeline compressed bytes right behind the OK it is
	 * waiting for; they are the start of the stream. */
	memcpy(c->raw, c->in + c->in_off, unread);
	c->zin.next_in = c->raw;
	c->zin.avail_in = (uInt)unread;
	c->in_off = c->in_len = 0;
	c->deflate = true;
	return 0;
}
