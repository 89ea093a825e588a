/* mutf7.c - modified UTF-7 mailbox names (RFC 3501 section 5.1.3).
 *
 * Printable US-ASCII except "&" stands for itself, "&" is "&-", and every
 * other run of characters is UTF-16BE in base64 with "," for "/", without
 * padding, between "&" and "-".
 *
 * The decoder accepts exactly what the encoder produces, so that
 * encode(decode(x)) == x for every x it accepts. A mailbox name is an
 * identity: two spellings of the same name (adjacent shifts, trailing
 * one-bits, an encoded "A") would let a server make one folder look like
 * another, and would make our cache key ambiguous.
 */
#include "imap4.h"
#include "proto/utf8.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static bool is_direct(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e && c != '&';
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Base64 state of one shift: bits not yet written out. */
struct shift {
	uint32_t bits;
	unsigned nbits;
};

static int shift_put16(struct imap4_buf *b, struct shift *sh, uint16_t u)
{
	int rc;

	sh->bits = (sh->bits << 16) | u;
	sh->nbits += 16;
	while (sh->nbits >= 6) {
		sh->nbits -= 6;
		rc = imap4_buf_putc(
		        b, b64_alphabet[(sh->bits >> sh->nbits) & 0x3f]);
		if (rc < 0)
			return rc;
	}
	sh->bits &= (1u << sh->nbits) - 1;
	return 0;
}

static int shift_end(struct imap4_buf *b, struct shift *sh)
{
	int rc;

	/* The last sextet is padded with zero bits (the decoder checks). */
	if (sh->nbits) {
		rc = imap4_buf_putc(
		        b, b64_alphabet[(sh->bits << (6 - sh->nbits)) & 0x3f]);
		if (rc < 0)
			return rc;
	}
	sh->bits = 0;
	sh->nbits = 0;
	return imap4_buf_putc(b, '-');
}

static int encode(struct imap4_buf *b, const unsigned char *s, size_t len)
{
	struct shift sh = {0, 0};
	bool shifted = false;
	size_t i = 0;
	int rc = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = imap4_utf8_decode(&cp, s + i, len - i);
		if (!n)
			return IMAP4_EINVAL;
		i += n;
		if (is_direct(cp) || cp == '&') {
			if (shifted) {
				rc = shift_end(b, &sh);
				shifted = false;
			}
			if (rc == 0)
				rc = cp == '&' ? imap4_buf_puts(b, "&-")
				               : imap4_buf_putc(b, (char)cp);
		} else {
			if (!shifted) {
				rc = imap4_buf_putc(b, '&');
				shifted = true;
			}
			if (rc == 0 && cp >= 0x10000) {
				cp -= 0x10000;
				rc = shift_put16(b, &sh,
				                 (uint16_t)(0xd800 | cp >> 10));
				if (rc == 0)
					rc = shift_put16(
					        b, &sh,
					        (uint16_t)(0xdc00 |
					                   (cp & 0x3ff)));
			} else if (rc == 0) {
				rc = shift_put16(b, &sh, (uint16_t)cp);
			}
		}
		if (rc < 0)
			return rc;
	}
	return shifted ? shift_end(b, &sh) : 0;
}

int imap4_mutf7_encode(char **out, const char *utf8)
{
	struct imap4_buf b;
	int rc;

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (!utf8)
		return IMAP4_EINVAL;
	imap4_buf_init(&b, 0);
	rc = encode(&b, (const unsigned char *)utf8, strlen(utf8));
	if (rc < 0) {
		imap4_buf_clear(&b);
		return rc;
	}
	*out = imap4_buf_steal(&b, NULL);
	return *out ? 0 : IMAP4_ENOMEM;
}

/* Decodes one shift: s points after "&", at the first base64 character;
 * *used receives the bytes consumed including the closing "-". */
static int decode_shift(struct imap4_buf *b, const char *s, size_t *used)
{
	uint32_t bits = 0;
	unsigned nbits = 0;
	uint32_t high = 0; /* pending high surrogate, 0 when none */
	size_t i = 0, units = 0;
	int rc, v;

	for (; (v = b64_value((unsigned char)s[i])) >= 0; i++) {
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		units++;
		if (high) {
			if (u < 0xdc00 || u > 0xdfff)
				return IMAP4_EINVAL; /* unpaired high */
			u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return IMAP4_EINVAL; /* unpaired low */
		} else if (u == 0 || is_direct(u) || u == '&') {
			/* NUL would cut the name; ASCII must be direct. */
			return IMAP4_EINVAL;
		}
		rc = imap4_utf8_put(b, u);
		if (rc < 0)
			return rc;
	}
	/* RFC 3501: the shift ends with "-"; the end of the name or another
	 * character is not a terminator. Leftover bits are the zero padding
	 * of the last sextet: a whole spare sextet or a one bit is a second
	 * spelling of the same name. */
	if (s[i] != '-' || units == 0 || high || nbits >= 6 || bits != 0)
		return IMAP4_EINVAL;
	*used = i + 1;
	return 0;
}

static int decode(struct imap4_buf *b, const char *s)
{
	size_t i = 0;
	bool after_shift = false;
	int rc;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		if (c == '&' && s[i + 1] == '-') {
			rc = imap4_buf_putc(b, '&');
			i += 2;
			after_shift = false;
		} else if (c == '&') {
			size_t used;
			/* "&..-&..-": an encoder writes one shift for a run */
			if (after_shift)
				return IMAP4_EINVAL;
			rc = decode_shift(b, s + i + 1, &used);
			i += 1 + used;
			after_shift = true;
		} else if (is_direct(c)) {
			rc = imap4_buf_putc(b, (char)c);
			i++;
			after_shift = false;
		} else {
			return IMAP4_EINVAL; /* 8-bit or control byte */
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int imap4_mutf7_decode(char **out, const char *mutf7)
{
	struct imap4_buf b;
	int rc;

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (!mutf7)
		return IMAP4_EINVAL;
	imap4_buf_init(&b, 0);
	rc = decode(&b, mutf7);
	if (rc < 0) {
		imap4_buf_clear(&b);
		return rc;
	}
	*out = imap4_buf_steal(&b, NULL);
	return *out ? 0 : IMAP4_ENOMEM;
}
