/* fake_conn.h - the fake server's side of one connection (internal).
 *
 * A non-blocking socket with TLS and raw deflate layers that can be pushed
 * while the script runs, and a buffer of decoded client bytes. Every call
 * that waits takes an absolute deadline (fake_now_ms() based, -1 = none).
 * Used by the server thread only.
 */
#ifndef HARNESS_FAKE_CONN_H
#define HARNESS_FAKE_CONN_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Results besides 0. */
enum {
	FCONN_EOF = -2,     /* the peer closed (or reset) the connection */
	FCONN_TIMEOUT = -3, /* the deadline passed */
	FCONN_ERR = -4,     /* anything else; detail in c->err */
};

/* Called with every decoded byte the client sends, in order. */
typedef void (*fconn_input_cb)(void *arg, const char *data, size_t len);

struct fake_conn {
	int fd;               /* owned, non-blocking */
	gnutls_session_t tls; /* NULL until STARTTLS */
	bool deflate;
	z_stream zin, zout;
	unsigned char *raw;            /* compressed input not yet inflated */
	char *in;                      /* decoded input */
	size_t in_off, in_len, in_cap; /* unread bytes: in[in_off..in_len) */
	fconn_input_cb on_input;
	void *on_input_arg;
	char err[256];
};

int64_t fake_now_ms(void);

/* Takes ownership of fd (also on failure) and makes it non-blocking. */
int fconn_init(struct fake_conn *c, int fd, fconn_input_cb cb, void *arg);
/* Closes the connection (TLS close_notify if it can be sent at once). */
void fconn_clear(struct fake_conn *c);

/* One line without its CRLF; *line points into c's buffer and stays valid
 * until the next call on c. Lines longer than FCONN_LINE_MAX fail. */
#define FCONN_LINE_MAX (16u << 20)
int fconn_read_line(struct fake_conn *c, const char **line, size_t *len,
                    int64_t deadline);
/* Exactly n bytes into a pointer valid until the next call on c (n at most
 * FCONN_LINE_MAX). */
int fconn_read_exact(struct fake_conn *c, const char **data, size_t n,
                     int64_t deadline);
/* Reads and drops n bytes, holding at most one chunk in memory. */
int fconn_skip(struct fake_conn *c, uint64_t n, int64_t deadline);
/* 0 once the peer has closed; FCONN_ERR if it sends anything first. */
int fconn_expect_eof(struct fake_conn *c, int64_t deadline);
/* All of buf through the active layers. */
int fconn_write(struct fake_conn *c, const void *buf, size_t len,
                int64_t deadline);

/* Server handshake with cred; fails if decoded client bytes are still
 * unread, since they arrived before TLS. */
int fconn_starttls(struct fake_conn *c, gnutls_certificate_credentials_t cred,
                   int64_t deadline);
/* Raw deflate (RFC 1951, no zlib header) both ways from now on; unread
 * bytes are taken as the start of the compressed stream. */
int fconn_deflate(struct fake_conn *c);

#endif
