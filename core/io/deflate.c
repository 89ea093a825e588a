/* deflate.c - COMPRESS=DEFLATE (RFC 4978) over a lower transport.
 *
 * Raw deflate (RFC 1951, no zlib header: windowBits -15) in each direction.
 * Memory is fixed when the layer is made: zlib's own state, IN_SIZE bytes
 * of compressed input and OUT_SIZE bytes of decompressed output that the
 * caller's buffer had no room for. Inflate writes only into the caller's
 * buffer and that fixed one, so a deflate bomb (a few KB that expand to
 * gigabytes) is read at the caller's pace and never piles up in memory.
 */
#include "io/transport.h"

#include "imap4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { IN_SIZE = 16384, OUT_SIZE = 16384, ZOUT_SIZE = 16384 };

struct deflate_transport {
	struct imap4_transport base;
	z_stream in, out;
	bool in_ready, out_ready; /* inflateInit2/deflateInit2 done */
	int err;                  /* error to return once out_buf is drained */
	bool started;             /* a read happened: no more priming */
	unsigned char *primed;    /* imap4_deflate_prime's copy, or NULL */
	size_t out_off, out_len;  /* out_buf[out_off..out_len): unread */
	unsigned char in_buf[IN_SIZE];     /* compressed, from lower */
	unsigned char out_buf[OUT_SIZE];   /* inflated, not yet read */
	unsigned char zout_buf[ZOUT_SIZE]; /* deflated, to lower */
};

static int zfail(struct deflate_transport *t, int zrc, const char *what,
                 const z_stream *z)
{
	if (zrc == Z_MEM_ERROR) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "%s: out of memory", what);
		return IMAP4_ENOMEM;
	}
	if (zrc == Z_STREAM_END)
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "%s: the peer ended the compressed stream", what);
	else
		snprintf(t->base.errmsg, sizeof(t->base.errmsg), "%s: %s", what,
		         z->msg ? z->msg : zError(zrc));
	return IMAP4_ECOMPRESS;
}

/* Inflates what input there is into [dst, dst + cap): the bytes produced,
 * or a negative code. Running out of input or of room is not an error. */
static ssize_t inflate_some(struct deflate_transport *t, unsigned char *dst,
                            size_t cap)
{
	z_stream *z = &t->in;
	int zrc;

	z->next_out = dst;
	z->avail_out = (uInt)cap;
	zrc = inflate(z, Z_SYNC_FLUSH);
	/* RFC 4978 streams never end: a final block means the peer broke
	 * the protocol, and bytes after it could not be decoded anyway. */
	if (zrc == Z_STREAM_END && cap - z->avail_out == 0)
		return zfail(t, zrc, "inflate", z);
	if (zrc != Z_OK && zrc != Z_BUF_ERROR && zrc != Z_STREAM_END)
		return zfail(t, zrc, "inflate", z);
	return (ssize_t)(cap - z->avail_out);
}

/* Decodes ahead into out_buf once the caller's buffer is full, so that
 * pending() tells a poll loop that a read will not block. An error is kept
 * for the read after the decoded bytes. */
static void fill_ahead(struct deflate_transport *t)
{
	ssize_t n = inflate_some(t, t->out_buf, OUT_SIZE);

	t->out_off = 0;
	if (n < 0) {
		t->out_len = 0;
		t->err = (int)n;
		return;
	}
	t->out_len = (size_t)n;
}

static ssize_t deflate_read(struct imap4_transport *tt, void *buf, size_t len,
                            int64_t deadline)
{
	struct deflate_transport *t = (struct deflate_transport *)tt;
	unsigned char *dst = buf;
	ssize_t n;

	if (t->out_len > t->out_off) {
		size_t k = t->out_len - t->out_off;

		if (k > len)
			k = len;
		memcpy(dst, t->out_buf + t->out_off, k);
		t->out_off += k;
		if (t->out_off == t->out_len && !t->err)
			fill_ahead(t);
		return (ssize_t)k;
	}
	if (t->err)
		return t->err;
	t->started = true;

	for (;;) {
		n = inflate_some(t, dst, len);
		if (n < 0)
			return t->err = (int)n;
		if (n > 0)
			break;
		/* Nothing came out, so all input was used (a partial
		 * block): more is needed from below. */
		if (t->in.avail_in > 0) {
			snprintf(t->base.errmsg, sizeof(t->base.errmsg),
			         "inflate: no progress");
			return t->err = IMAP4_ECOMPRESS;
		}
		if (t->primed) {
			/* Its bytes were all used, since avail_in is 0. */
			free(t->primed);
			t->primed = NULL;
		}
		n = imap4_transport_read(t->base.lower, t->in_buf, IN_SIZE,
		                         deadline);
		if (n < 0) {
			snprintf(t->base.errmsg, sizeof(t->base.errmsg), "%s",
			         t->base.lower->errmsg);
			return n;
		}
		t->in.next_in = t->in_buf;
		t->in.avail_in = (uInt)n;
	}
	if ((size_t)n == len)
		fill_ahead(t);
	return n;
}

static int deflate_write(struct imap4_transport *tt, const void *buf,
                         size_t len, int64_t deadline)
{
	struct deflate_transport *t = (struct deflate_transport *)tt;
	z_stream *z = &t->out;
	const unsigned char *p = buf;

	if (t->err)
		return t->err;
	/* zlib counts in uInt; feed at most a chunk at a time. Z_SYNC_FLUSH
	 * after each chunk ends on a byte boundary, so the server can
	 * decode every command we have sent without waiting for more. */
	while (len > 0) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : len;

		z->next_in = (unsigned char *)p;
		z->avail_in = (uInt)chunk;
		do {
			size_t have;
			int zrc, rc;

			z->next_out = t->zout_buf;
			z->avail_out = ZOUT_SIZE;
			zrc = deflate(z, Z_SYNC_FLUSH);
			if (zrc != Z_OK && zrc != Z_BUF_ERROR)
				return t->err = zfail(t, zrc, "deflate", z);
			have = ZOUT_SIZE - z->avail_out;
			rc = imap4_transport_write(t->base.lower, t->zout_buf,
			                           have, deadline);
			if (rc < 0) {
				snprintf(t->base.errmsg, sizeof(t->base.errmsg),
				         "%s", t->base.lower->errmsg);
				/* Part of the stream may be gone: the
				 * peer's inflater is out of step now. */
				return t->err = rc;
			}
		} while (z->avail_out == 0);
		p += chunk;
		len -= chunk;
	}
	return 0;
}

static size_t deflate_pending(const struct imap4_transport *tt)
{
	const struct deflate_transport *t =
	        (const struct deflate_transport *)tt;

	return t->out_len - t->out_off + imap4_transport_pending(t->base.lower);
}

static void deflate_close(struct imap4_transport *tt)
{
	struct deflate_transport *t = (struct deflate_transport *)tt;

	if (t->in_ready)
		inflateEnd(&t->in);
	if (t->out_ready)
		deflateEnd(&t->out);
	free(t->primed);
	imap4_transport_close(&t->base.lower);
	free(t);
}

static const struct imap4_transport_ops deflate_ops = {
        .name = "deflate",
        .read = deflate_read,
        .write = deflate_write,
        .pending = deflate_pending,
        .close = deflate_close,
};

int imap4_deflate_open(struct imap4_transport **out,
                       struct imap4_transport *lower)
{
	struct deflate_transport *t;
	int zrc;

	*out = NULL;
	if (!lower)
		return IMAP4_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		imap4_transport_close(&lower);
		return IMAP4_ENOMEM;
	}
	t->base.ops = &deflate_ops;
	t->base.lower = lower;
	t->base.fd = lower->fd;
	zrc = inflateInit2(&t->in, -15);
	t->in_ready = zrc == Z_OK;
	if (zrc == Z_OK) {
		/* Default level and memLevel 8: about 256 KiB of state, a
		 * fair price for text that shrinks to a quarter. */
		zrc = deflateInit2(&t->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
		                   -15, 8, Z_DEFAULT_STRATEGY);
		t->out_ready = zrc == Z_OK;
	}
	if (zrc != Z_OK) {
		deflate_close(&t->base);
		return zrc == Z_MEM_ERROR ? IMAP4_ENOMEM : IMAP4_ECOMPRESS;
	}
	*out = &t->base;
	return 0;
}

int imap4_deflate_prime(struct imap4_transport *tt, const void *data,
                        size_t len)
{
	struct deflate_transport *t = (struct deflate_transport *)tt;

	if (!tt || tt->ops != &deflate_ops || t->started || t->primed ||
	    (!data && len > 0) || len > UINT32_MAX)
		return IMAP4_EINVAL;
	if (len == 0)
		return 0;
	t->primed = malloc(len);
	if (!t->primed)
		return IMAP4_ENOMEM;
	memcpy(t->primed, data, len);
	t->in.next_in = t->primed;
	t->in.avail_in = (uInt)len;
	/* Decoded ahead so that pending() shows it to a poll loop. */
	fill_ahead(t);
	return 0;
}
