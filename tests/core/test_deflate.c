/* test_deflate.c - the COMPRESS=DEFLATE layer (RFC 4978). */
#include <criterion/criterion.h>

#include "imap4.h"
#include "io/transport.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

TestSuite(deflate, .timeout = 60);

/* Two deflate layers facing each other over a socketpair. */
static void pair(struct imap4_transport **a, struct imap4_transport **b)
{
	struct imap4_transport *la, *lb;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&la, sv[0]), 0);
	cr_assert_eq(imap4_fd_open(&lb, sv[1]), 0);
	cr_assert_eq(imap4_deflate_open(a, la), 0);
	cr_assert_eq(imap4_deflate_open(b, lb), 0);
	cr_assert_str_eq((*a)->ops->name, "deflate");
	cr_assert_eq((*a)->fd, sv[0]);
}

static void read_exact(struct imap4_transport *t, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = imap4_transport_read(t, buf + got, len - got,
		                                 imap4_deadline(10000));
		cr_assert_gt(n, 0, "%zd %s", n, t->errmsg);
		got += (size_t)n;
	}
}

Test(deflate, small_writes_are_flushed)
{
	struct imap4_transport *a, *b;
	char buf[64];
	int i;

	pair(&a, &b);
	/* Each command must reach the peer whole without more writes:
	 * the server answers before the client sends anything else. */
	for (i = 0; i < 200; i++) {
		char cmd[32];
		int len = snprintf(cmd, sizeof(cmd), "a%d NOOP\r\n", i);

		cr_assert_eq(imap4_transport_write(a, cmd, (size_t)len,
		                                   imap4_deadline(2000)),
		             0);
		cr_assert_eq(imap4_transport_wait(b, -1, imap4_deadline(2000)),
		             1);
		read_exact(b, buf, (size_t)len);
		cr_assert_eq(memcmp(buf, cmd, (size_t)len), 0);
		cr_assert_eq(imap4_transport_write(b, "* OK\r\n", 6,
		                                   imap4_deadline(2000)),
		             0);
		read_exact(a, buf, 6);
		cr_assert_eq(memcmp(buf, "* OK\r\n", 6), 0);
	}
	imap4_transport_close(&a);
	imap4_transport_close(&b);
}

struct writer {
	struct imap4_transport *t;
	const char *data;
	size_t len, chunk;
	int rc;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	size_t off;

	w->rc = 0;
	for (off = 0; off < w->len && w->rc == 0; off += w->chunk) {
		size_t n = w->len - off < w->chunk ? w->len - off : w->chunk;

		w->rc = imap4_transport_write(w->t, w->data + off, n,
		                              imap4_deadline(30000));
	}
	return NULL;
}

Test(deflate, ten_megabytes_round_trip)
{
	struct imap4_transport *a, *b;
	size_t len = 10u << 20, i;
	char *out = malloc(len), *in = malloc(len);
	uint32_t x = 12345;
	struct writer w;
	pthread_t th;

	cr_assert(out && in);
	/* Half text-like, half noise: both of deflate's paths. */
	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		out[i] = (i / 4096) % 2 ? (char)(x >> 24)
		                        : "IMAP4rev1 FETCH BODY[]\r\n"[i % 24];
	}
	pair(&a, &b);
	w = (struct writer){.t = a, .data = out, .len = len, .chunk = 1 << 20};
	cr_assert_eq(pthread_create(&th, NULL, write_all, &w), 0);
	read_exact(b, in, len);
	pthread_join(th, NULL);
	cr_assert_eq(w.rc, 0);
	cr_assert_eq(memcmp(in, out, len), 0);
	imap4_transport_close(&a);
	imap4_transport_close(&b);
	free(out);
	free(in);
}

Test(deflate, corrupt_stream_is_ecompress)
{
	struct imap4_transport *lower, *t;
	/* BFINAL=1, BTYPE=11: a reserved block type (RFC 1951 3.2.3). */
	static const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff};
	char buf[64];
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_deflate_open(&t, lower), 0);
	cr_assert_eq(write(sv[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	cr_assert_eq(
	        imap4_transport_read(t, buf, sizeof(buf), imap4_deadline(2000)),
	        IMAP4_ECOMPRESS);
	cr_assert(strstr(t->errmsg, "inflate: "), "%s", t->errmsg);
	/* and it stays broken */
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), 0),
	             IMAP4_ECOMPRESS);
	imap4_transport_close(&t);
	close(sv[1]);
}

Test(deflate, eof_below_is_eeof)
{
	struct imap4_transport *lower, *t;
	char buf[8];
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_deflate_open(&t, lower), 0);
	close(sv[1]);
	cr_assert_eq(imap4_transport_read(t, buf, sizeof(buf), -1), IMAP4_EEOF);
	imap4_transport_close(&t);
}

/* Raw deflate of 1 MiB of zeros, repeated mb times: about 1 KiB per MiB.
 * Each copy is a separate sync-flushed (byte-aligned, non-final) segment
 * that refers only to itself, so the copies chain into one valid stream. */
static unsigned char *bomb(size_t mb, size_t *len)
{
	static unsigned char zeros[1 << 20];
	unsigned char seg[8192], *out;
	z_stream z = {0};
	size_t seglen, i;

	cr_assert_eq(
	        deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
	        Z_OK);
	z.next_in = zeros;
	z.avail_in = sizeof(zeros);
	z.next_out = seg;
	z.avail_out = sizeof(seg);
	cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
	cr_assert_eq(z.avail_in, 0);
	seglen = sizeof(seg) - z.avail_out;
	deflateEnd(&z);
	out = malloc(seglen * mb);
	cr_assert_not_null(out);
	for (i = 0; i < mb; i++)
		memcpy(out + i * seglen, seg, seglen);
	*len = seglen * mb;
	return out;
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

struct raw_writer {
	int fd;
	const unsigned char *data;
	size_t len;
};

static void *write_raw(void *arg)
{
	struct raw_writer *w = arg;
	size_t off = 0;

	while (off < w->len) {
		/* The reader closes first: EPIPE, not a SIGPIPE that would
		 * kill the test process. */
		ssize_t n =
		        send(w->fd, w->data + off, w->len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return NULL;
}

Test(deflate, bomb_read_in_small_pieces_keeps_memory_bounded)
{
	const size_t mb = 1024; /* 1 GiB of zeros */
	struct imap4_transport *lower, *t;
	struct raw_writer w;
	size_t len, total = 0, max_pending = 0;
	unsigned char *z = bomb(mb, &len);
	char buf[1000];
	long rss_before;
	pthread_t th;
	int sv[2];

	cr_assert_lt(len, (mb << 20) / 500, "bomb of %zu bytes", len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_deflate_open(&t, lower), 0);
	w = (struct raw_writer){.fd = sv[1], .data = z, .len = len};
	cr_assert_eq(pthread_create(&th, NULL, write_raw, &w), 0);

	rss_before = max_rss_kb();
	/* Read the first 64 MiB a kilobyte at a time; the layer may hold
	 * no more than its fixed buffer in decoded bytes at any moment. */
	while (total < (64u << 20)) {
		ssize_t n = imap4_transport_read(t, buf, sizeof(buf),
		                                 imap4_deadline(10000));
		size_t p = imap4_transport_pending(t);

		cr_assert_gt(n, 0, "%s", t->errmsg);
		cr_assert_eq(buf[0], 0);
		total += (size_t)n;
		if (p > max_pending)
			max_pending = p;
	}
	cr_assert_leq(max_pending, 64 * 1024, "pending grew to %zu",
	              max_pending);
	cr_assert_lt(max_rss_kb() - rss_before, 32 * 1024,
	             "memory grew by %ld KiB", max_rss_kb() - rss_before);
	imap4_transport_close(&t); /* the writer sees EPIPE and stops */
	close(sv[1]);
	pthread_join(th, NULL);
	free(z);
}

Test(deflate, primed_bytes_come_first)
{
	struct imap4_transport *a, *b, *lower;
	unsigned char z[256];
	z_stream zs = {0};
	char buf[64];
	size_t zlen;
	int sv[2];

	/* What the server sent right after its OK, compressed, was read
	 * by the caller along with the OK. */
	cr_assert_eq(
	        deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	zs.next_in = (unsigned char *)"* 3 EXISTS\r\n";
	zs.avail_in = 12;
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	cr_assert_eq(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
	zlen = sizeof(z) - zs.avail_out;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(imap4_fd_open(&lower, sv[0]), 0);
	cr_assert_eq(imap4_deflate_open(&a, lower), 0);
	cr_assert_eq(imap4_deflate_prime(a, z, zlen), 0);
	cr_assert_eq(imap4_transport_pending(a), 12);
	cr_assert_eq(imap4_transport_wait(a, -1, 0), 1);

	/* The rest of the same stream comes from the socket. */
	zs.next_in = (unsigned char *)"* 4 EXISTS\r\n";
	zs.avail_in = 12;
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	cr_assert_eq(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
	cr_assert_eq(write(sv[1], z, sizeof(z) - zs.avail_out),
	             (ssize_t)(sizeof(z) - zs.avail_out));
	deflateEnd(&zs);
	read_exact(a, buf, 24);
	cr_assert_eq(memcmp(buf, "* 3 EXISTS\r\n* 4 EXISTS\r\n", 24), 0);
	cr_assert_eq(imap4_deflate_prime(a, z, 1), IMAP4_EINVAL);

	/* Only a deflate layer can be primed. */
	cr_assert_eq(imap4_fd_open(&b, dup(sv[1])), 0);
	cr_assert_eq(imap4_deflate_prime(b, z, 1), IMAP4_EINVAL);
	imap4_transport_close(&b);
	imap4_transport_close(&a);
	close(sv[1]);
}
