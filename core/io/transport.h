/* transport.h - byte streams beneath the IMAP session.
 *
 * Transports know nothing of IMAP. They stack like curl's connection
 * filters: tcp, stream or fd at the bottom, tls and deflate above; STARTTLS
 * and COMPRESS push a new layer on top of the running stack. Every call that
 * can wait takes an absolute deadline on CLOCK_MONOTONIC in milliseconds
 * (imap4_now_ms()); -1 means no deadline. A deadline that has passed still
 * lets a call take what is there already without waiting.
 *
 * Errors are negative IMAP4_E codes; the layer that failed describes it in
 * its errmsg (a layer above copies its lower's message when it passes the
 * failure up), and the _open functions put the message in errbuf. A
 * transport is used by one thread at a time. After an error other than
 * IMAP4_ETIMEOUT from read the stack is unusable and is only closed; a
 * timeout in read leaves it usable. SIGPIPE is never raised.
 */
#ifndef IMAP4_IO_TRANSPORT_H
#define IMAP4_IO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct imap4_transport;

struct imap4_transport_ops {
	const char *name; /* "fd", "tcp", "stream", "tls", "deflate" */
	/* Up to len (> 0) bytes; the count (> 0), IMAP4_EEOF at end of
	 * stream, IMAP4_ETIMEOUT, or another negative IMAP4_E code. Waits
	 * until deadline for data. */
	ssize_t (*read)(struct imap4_transport *t, void *buf, size_t len,
	                int64_t deadline);
	/* All of len bytes, or a negative IMAP4_E code (IMAP4_ETIMEOUT when
	 * the peer does not take them before deadline; part may be sent). */
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
	struct imap4_transport *lower; /* layer beneath, NULL at the bottom */
	int fd;                        /* fd to poll for reading */
	char errmsg[256];              /* detail of the last failure */
};

/* strerror(e), except that EMFILE names the process's limit ("too many
 * open files (limit 256)") and ENFILE the system's: a limit reached reads
 * as what it is, not as a fault of the disk or the network. The text is
 * in buf (64 bytes are enough) or static. */
const char *imap4_errno_text(int e, char *buf, size_t len);

/* Monotonic clock in milliseconds, and a deadline ms from now (any
 * negative ms gives -1, meaning none). */
int64_t imap4_now_ms(void);
int64_t imap4_deadline(int ms);

/* Waits until t has bytes to read (some layer's pending() or its fd
 * readable; an error or hangup also counts, for the read to report), or
 * extra_fd (if >= 0) is readable, or the deadline. 1 t readable, 2 extra_fd
 * readable (2 wins when both are, so a busy server cannot starve a wake),
 * IMAP4_ECANCELED when the stack's cancel fd is readable (which wins over
 * both), IMAP4_ETIMEOUT, or < 0. Reads nothing from any of them. */
int imap4_transport_wait(struct imap4_transport *t, int extra_fd,
                         int64_t deadline);

/* Makes every wait of the stack t, in its reads and writes (a TLS
 * handshake's included) and in imap4_transport_wait, end with
 * IMAP4_ECANCELED as soon as cancel_fd is readable or hung up; -1 stops
 * watching. cancel_fd is borrowed: it must stay open while it is set, and
 * is only polled, never read or closed. The setting lives in the bottom
 * layer, so it holds for layers pushed later (STARTTLS). A cancelled read
 * or write leaves the stack unusable: it is only closed. 0, or
 * IMAP4_EINVAL for a NULL t or a bottom layer that is not fd-based. */
int imap4_transport_set_cancel(struct imap4_transport *t, int cancel_fd);

/* Looks at cancel_fd without waiting: IMAP4_ECANCELED when it is readable
 * or hung up, IMAP4_EINVAL when it is not open, else 0 (always 0 for -1).
 * For the start of an open, before anything is made. */
int imap4_cancel_check(int cancel_fd);

/* Wrappers over t->ops; read with len 0 or a NULL t is IMAP4_EINVAL, and a
 * write of 0 bytes is 0. pending() of NULL is 0. */
ssize_t imap4_transport_read(struct imap4_transport *t, void *buf, size_t len,
                             int64_t deadline);
int imap4_transport_write(struct imap4_transport *t, const void *buf,
                          size_t len, int64_t deadline);
size_t imap4_transport_pending(const struct imap4_transport *t);
/* Closes the whole stack; NULL is a no-op; sets *t to NULL. */
void imap4_transport_close(struct imap4_transport **t);

/* tcp.c: resolves host (a name, or an IPv4 or IPv6 literal) and tries every
 * address in the resolver's order, each with a non-blocking connect, all
 * within the deadline (resolving included). TCP_NODELAY; with keepalive,
 * SO_KEEPALIVE probing after 60 s idle every 15 s, 4 times. Errors:
 * IMAP4_EINVAL (no host, port 0), IMAP4_ERESOLVE, IMAP4_ECONNECT,
 * IMAP4_ETIMEOUT, IMAP4_ENOMEM; errbuf (may be NULL with errlen 0) reads
 * like "connect to imap.example.com:993 ([::1]:993): Connection refused". */
int imap4_tcp_open(struct imap4_transport **out, const char *host,
                   uint16_t port, bool keepalive, int64_t deadline,
                   char *errbuf, size_t errlen);

/* imap4_tcp_open whose waits (the resolver's too: a name is then always
 * resolved in a thread) also end when cancel_fd (-1: none) is readable or
 * hung up: IMAP4_ECANCELED, errbuf "connect to ...: cancelled", nothing
 * left open (a resolver thread still running frees itself when it ends).
 * A cancel_fd that is not open is IMAP4_EINVAL. The transport returned
 * goes on watching cancel_fd, as imap4_transport_set_cancel says. */
int imap4_tcp_open_cancel(struct imap4_transport **out, const char *host,
                          uint16_t port, bool keepalive, int cancel_fd,
                          int64_t deadline, char *errbuf, size_t errlen);

/* stream.c: "/bin/sh -c command" with its stdin/stdout as the stream (its
 * stderr is ours, or err_fd when >= 0; its environment environ, or envp
 * when not NULL); the fd to poll is the pipe from its stdout. Close shuts
 * both pipes, gives the child 100 ms to exit, then SIGTERM, then SIGKILL
 * after 500 ms more, and always reaps it. Errors: IMAP4_EINVAL (empty
 * command), IMAP4_ECONNECT (no pipe, no /bin/sh), IMAP4_ENOMEM. */
int imap4_stream_open(struct imap4_transport **out, const char *command,
                      int err_fd, char *const *envp, char *errbuf,
                      size_t errlen);

/* Wraps an existing connected fd (a socket or a two-way pipe, e.g. a
 * socketpair in tests) and owns it from the call on: it is closed by
 * imap4_transport_close, and at once on failure. Made non-blocking and
 * close-on-exec. IMAP4_EINVAL (fd < 0), IMAP4_ENOMEM, IMAP4_EIO. */
int imap4_fd_open(struct imap4_transport **out, int fd);

/* tls.c: GnuTLS client over lower (which it then owns, also on failure),
 * handshake done within deadline. TLS 1.2 minimum. Verification: with
 * pin_sha256 ("sha256:" optional, hex in any case, colons allowed), the
 * SHA-256 of the server's DER certificate must match and nothing else is
 * checked, insecure or not; otherwise, unless insecure, the chain against
 * ca_file (PEM) or the system trust store, the dates, keys and signatures
 * of 112-bit security at least (RSA 2048, EC 224), servername against the
 * DNS SANs (a host name) or the IP SANs (an address), and an Extended Key
 * Usage, when the certificate has one, that includes TLS server
 * authentication. servername is also sent as SNI unless it is an address;
 * it is required unless insecure or pinned. params' strings are not kept.
 * Errors: IMAP4_EINVAL (bad pin, no name), IMAP4_ECERT, IMAP4_ETLS,
 * IMAP4_ETIMEOUT, IMAP4_EEOF/EIO/ECANCELED from below, IMAP4_ENOMEM.
 * Closing sends a close_notify (waiting at most 1 s). */
struct imap4_tls_params {
	const char *servername;
	const char *ca_file;
	const char *pin_sha256;
	bool insecure;
};
int imap4_tls_open(struct imap4_transport **out, struct imap4_transport *lower,
                   const struct imap4_tls_params *params, int64_t deadline,
                   char *errbuf, size_t errlen);

/* What imap4_tls_open would refuse in params before any handshake, checked
 * without a connection: a pin that is not 64 hex digits (IMAP4_EINVAL),
 * or the CA file it would read (when neither pinned nor insecure) that
 * cannot be read (IMAP4_ECERT, IMAP4_EIO for what may pass: out of
 * descriptors or memory). 0 or one of those, with errbuf set. */
int imap4_tls_check_params(const struct imap4_tls_params *params, char *errbuf,
                           size_t errlen);

/* deflate.c: RFC 4978 raw deflate both ways over lower (which it then owns,
 * also on failure). Each write is flushed (Z_SYNC_FLUSH) so the peer can
 * decode it at once. Memory is fixed (zlib state plus 48 KiB) whatever the
 * expansion of what is read. A corrupt or ended stream is IMAP4_ECOMPRESS.
 * It reads only what arrives from lower after it is pushed. */
int imap4_deflate_open(struct imap4_transport **out,
                       struct imap4_transport *lower);

/* Hands t (a deflate layer just opened, before its first read) compressed
 * bytes the caller read from lower past the tagged OK of COMPRESS; they are
 * inflated before anything from lower. The bytes are copied. 0,
 * IMAP4_EINVAL (not a fresh deflate layer), IMAP4_ENOMEM. */
int imap4_deflate_prime(struct imap4_transport *t, const void *data,
                        size_t len);

#endif
