/* utf8.c - strict UTF-8 decoding and encoding; see utf8.h. */
#include "proto/utf8.h"

#include "imap4.h"
#include "util/ascii.h"

size_t imap4_utf8_decode(uint32_t *cp, const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		/* 0x80..0xc1 (continuation or overlong lead), 0xf5..0xff */
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms would let "/" or NUL hide in a longer encoding. */
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

bool imap4_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s, *end = p + len;
	while (p < end) {
		uint32_t cp;
		size_t n = imap4_utf8_decode(&cp, p, (size_t)(end - p));
		if (!n)
			return false;
		p += n;
	}
	return true;
}

size_t imap4_utf8_encode(char u[4], uint32_t cp)
{
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return n;
}

int imap4_utf8_put(struct imap4_buf *b, uint32_t cp)
{
	char u[4];
	return imap4_buf_append(b, u, imap4_utf8_encode(u, cp));
}

int imap4_utf8_append_sanitized(struct imap4_buf *b, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, run = 0;
	int rc;

	/* Valid runs are copied in one piece; only the bad bytes cost more.
	 * Header text is mostly ASCII: runs of it are stepped over without
	 * decoding. */
	while ((i += imap4_ascii_nonul_span(p + i, len - i)) < len) {
		uint32_t cp;
		size_t n = p[i] ? imap4_utf8_decode(&cp, p + i, len - i) : 0;
		if (n) {
			i += n;
			continue;
		}
		rc = imap4_buf_append(b, p + run, i - run);
		if (rc < 0)
			return rc;
		rc = imap4_buf_append(b, "\xef\xbf\xbd", 3);
		if (rc < 0)
			return rc;
		i++;
		run = i;
	}
	return imap4_buf_append(b, p + run, i - run);
}
