/* mime_decode.c - the transfer encodings of MIME parts (RFC 2045 6.7,
 * 6.8), decoded piece by piece (see mime_internal.h).
 */
#include "proto/mime_internal.h"

#include "proto/hex.h"

#include <stdint.h>
#include <string.h>

/* 0..63, 64 for "=", 65 for what base64 does not hold (skipped, as line
 * breaks must be: RFC 2045 6.8). */
static const unsigned char b64_value[256] = {
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 62, 65, 65, 65, 63, 52, 53, 54, 55, 56, 57,
        58, 59, 60, 61, 65, 65, 65, 64, 65, 65, 65, 0,  1,  2,  3,  4,  5,  6,
        7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 65, 65, 65, 65, 65, 65, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
        65, 65, 65, 65,
};

int imap4_mime_base64_decode(struct imap4_buf *out, struct mime_base64 *st,
                             const char *p, size_t n)
{
	int rc = imap4_buf_reserve(out, n / 4 * 3 + 3);
	if (rc < 0)
		return rc;
	unsigned char *o = (unsigned char *)out->data + out->len;
	uint32_t bits = st->bits;
	unsigned nbits = st->nbits;
	for (size_t i = 0; i < n; i++) {
		unsigned v = b64_value[(unsigned char)p[i]];
		if (v < 64) {
			bits = (bits << 6 | v) & 0xffffff;
			nbits += 6;
			if (nbits >= 8) {
				nbits -= 8;
				*o++ = (unsigned char)(bits >> nbits);
			}
		} else if (v == 64) {
			/* padding ends a group; senders that glue encoded
			 * pieces together go on after it */
			nbits = 0;
		}
	}
	st->bits = bits;
	st->nbits = nbits;
	out->len = (size_t)((char *)o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* RFC 2045 6.7; an "=" that starts neither an octet nor a soft line break
 * is kept, as the RFC advises. p[0..n) ends at a line end or at the end
 * of the part, so a soft break is never cut. */
int imap4_mime_qp_decode(struct imap4_buf *out, const char *p, size_t n)
{
	int rc = imap4_buf_reserve(out, n);
	if (rc < 0)
		return rc;
	char *o = out->data + out->len;
	const char *e = p + n;
	while (p < e) {
		const char *q = memchr(p, '=', (size_t)(e - p));
		if (!q)
			q = e;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		if ((p = q) == e)
			break;
		int hi, lo;
		if (e - p >= 3 && (hi = imap4_hex_value(p[1])) >= 0 &&
		    (lo = imap4_hex_value(p[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			p += 3;
			continue;
		}
		const char *r = p + 1;
		while (r < e && (*r == ' ' || *r == '\t'))
			r++;
		if (r == e) {
			p = e;
		} else if (*r == '\n') {
			p = r + 1;
		} else if (*r == '\r' && (r + 1 == e || r[1] == '\n')) {
			p = r + 1 < e ? r + 2 : e;
		} else {
			*o++ = '=';
			p++;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}
