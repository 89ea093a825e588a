/* transport.h - byte streams beneath the IMAP session.
 *
 * Transports know nothing of IMAP. They stack like curl's connection
 * filters: tcp or stream at the bottom, tls and deflate above; STARTTLS and
 * COMPRESS push a new layer on top of the running stack. Every call that
 * can wait takes an absolute deadline on CLOCK_MONOTONIC in milliseconds
 * (imap4_now_ms()); -1 means no deadline.
 */
#ifndef IMAP4_IO_TRANSPORT_H
#define IMAP4_IO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct imap4_transport;

struct imap4_transport_ops {
	const char *name;	/* "tcp", "tls", "stream", "deflate" */
	/* Up to len bytes; the count (> 0), IMAP4_EEOF at end of stream, or
	 * another negative IMAP4_E code. Waits until deadline for data. */
	ssize_t (*read)(struct imap4_transport *t, void *buf, size_t len,
			int64_t deadline);
	/* All of len bytes, or a negative IMAP4_E code. */
	int (*write)(struct imap4_transport *t, const void *buf, size_t len,
		     int64_t deadline);
	/* Bytes this layer (or one below) holds already decoded, so that a
	 * read will not block even if the fd is not readable. */
	size_t (*pending)(const struct imap4_transport *t);
	/* Closes this layer and frees it together with the layers below. */
	void (*close)(struct imap4_transport *t);
};

struct imap4_transport {
	const struct imap4_transport_ops *ops;
	struct imap4_transport *lower;	/* layer beneath, NULL at the bottom */
	int fd;				/* fd to poll for reading */
	char errmsg[256];		/* detail of the last failure */
};

/* Monotonic clock in milliseconds, and a deadline ms from now (-1 stays
 * -1, meaning none). */
int64_t imap4_now_ms(void);
int64_t imap4_deadline(int ms);

/* Waits until t has bytes to read, or extra_fd (if >= 0) is readable, or the
 * deadline. 1 t readable, 2 extra_fd readable, IMAP4_ETIMEOUT, or < 0. */
int imap4_transport_wait(struct imap4_transport *t, int extra_fd,
			 int64_t deadline);

/* Convenience wrappers over t->ops. */
ssize_t imap4_transport_read(struct imap4_transport *t, void *buf, size_t len,
			     int64_t deadline);
int imap4_transport_write(struct imap4_transport *t, const void *buf,
			  size_t len, int64_t deadline);
size_t imap4_transport_pending(const struct imap4_transport *t);
/* Closes the whole stack; NULL is a no-op; sets *t to NULL. */
void imap4_transport_close(struct imap4_transport **t);

/* tcp.c: getaddrinfo, IPv4 and IPv6 in turn, non-blocking connect with the
 * deadline, TCP_NODELAY, optional keepalive. */
int imap4_tcp_open(struct imap4_transport **out, const char *host,
		   uint16_t port, bool keepalive, int64_t deadline,
		   char *errbuf, size_t errlen);

/* stream.c: "/bin/sh -c command" with its stdin/stdout as the stream; the
 * child is reaped on close. */
int imap4_stream_open(struct imap4_transport **out, const char *command,
		      char *errbuf, size_t errlen);

/* Wraps an existing connected fd (socketpair in tests); owns it. */
int imap4_fd_open(struct imap4_transport **out, int fd);

/* tls.c: GnuTLS client over lower (which it then owns, also on failure):
 * TLS 1.2 minimum, system trust store or ca_file, host name check against
 * servername (DNS or IP SANs), or a pinned SHA-256 of the certificate. */
struct imap4_tls_params {
	const char *servername;
	const char *ca_file;
	const char *pin_sha256;
	bool insecure;
};
int imap4_tls_open(struct imap4_transport **out, struct imap4_transport *lower,
		   const struct imap4_tls_params *params, int64_t deadline,
		   char *errbuf, size_t errlen);

/* deflate.c: RFC 4978 raw deflate both ways over lower (owned). */
int imap4_deflate_open(struct imap4_transport **out,
		       struct imap4_transport *lower);

#endif
