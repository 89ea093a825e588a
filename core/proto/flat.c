/* flat.c - a stretch of a framed response as one line of text; see
 * flat.h. */
#include "proto/flat.h"
#include "util/quote.h"

#include <stdint.h>
#include <string.h>

/* Whether the line ending at cr (its CR) ends with a literal header that
 * starts at or after p, as the reader frames one (reader.c end_of_line):
 * "{" digits ["+"] "}" CRLF, a "~" before the "{" included. */
static bool header_before(struct imap4_flat_literal *out, const char *p,
                          const char *cr, const char *end)
{
	const char *q = cr;

	if (cr + 1 >= end || cr[1] != '\n' || q == p || *--q != '}')
		return false;
	if (q > p && q[-1] == '+')
		q--;
	const char *digits_end = q;
	while (q > p && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == digits_end || q == p || q[-1] != '{')
		return false;

	uint64_t n = 0;
	for (const char *d = q; d < digits_end; d++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false; /* the reader refused it */
		n = n * 10 + (uint64_t)(*d - '0');
	}
	out->start = q - 1;
	if (out->start > p && out->start[-1] == '~')
		out->start--;
	out->data = cr + 2;
	out->len = n < (uint64_t)(end - out->data) ? (size_t)n
	                                           : (size_t)(end - out->data);
	return true;
}

static bool is_streamed(const struct imap4_flat *f, const char *data)
{
	size_t off = (size_t)(data - f->base);

	for (size_t i = 0; i < f->nstreamed; i++)
		if (f->streamed[i] == off)
			return true;
	return false;
}

bool imap4_flat_find(struct imap4_flat_literal *out, const struct imap4_flat *f,
                     const char *p, const char *end)
{
	/* A CR outside a literal's data ends a line, and the reader ends a
	 * line inside a response only at a literal header. */
	for (const char *s = p, *cr;
	     s < end && (cr = memchr(s, '\r', (size_t)(end - s))) != NULL;
	     s = cr + 1) {
		if (!header_before(out, p, cr, end))
			continue;
		if (is_streamed(f, out->data))
			out->len = 0;
		return true;
	}
	return false;
}

static size_t put_text(char *dst, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (dst) {
		memcpy(dst, p, n);
		imap4_quote_scrub(dst, n);
	}
	return n;
}

size_t imap4_flat_write(char *dst, const struct imap4_flat *f, const char *p,
                        const char *end)
{
	struct imap4_flat_literal lit;
	size_t o = 0;

	while (imap4_flat_find(&lit, f, p, end)) {
		o += put_text(dst ? dst + o : NULL, p, lit.start);
		o += imap4_quote_imap(dst ? dst + o : NULL, lit.data, lit.len);
		p = lit.data + lit.len;
	}
	return o + put_text(dst ? dst + o : NULL, p, end);
}
