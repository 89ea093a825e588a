/* quote.c - server bytes shown to people; see quote.h. */
#include "util/quote.h"

#include <stdbool.h>
#include <stdio.h>

/* The C-like quoting of quote.h; stop_at_eol says whether a CR or LF ends it
 * (imap4_quote_start) or is shown as \r, \n (imap4_quote_bytes). */
static size_t quote_c(char *dst, size_t cap, const char *src, size_t len,
                      bool stop_at_eol)
{
	size_t o = 0, i = 0;

	for (; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		bool eol = ch == '\r' || ch == '\n';
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
		bool escaped = ch == '"' || ch == '\\' || eol;
		size_t need = plain ? 1 : escaped ? 2 : 4;

		if ((eol && stop_at_eol) || o + need >= cap)
			break;
		if (plain) {
			dst[o++] = (char)ch;
		} else if (escaped) {
			dst[o++] = '\\';
			dst[o++] = ch == '\r'   ? 'r'
			           : ch == '\n' ? 'n'
			                        : (char)ch;
		} else {
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
		}
	}
	dst[o] = '\0';
	return i;
}

size_t imap4_quote_start(char *dst, size_t cap, const char *src, size_t len)
{
	return quote_c(dst, cap, src, len, true);
}

size_t imap4_quote_bytes(char *dst, size_t cap, const char *src, size_t len)
{
	return quote_c(dst, cap, src, len, false);
}

static bool breaks_line(char c)
{
	return c == '\r' || c == '\n' || c == '\0';
}

size_t imap4_quote_imap(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	if (dst)
		dst[o] = '"';
	o++;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '"' || c == '\\') {
			if (dst)
				dst[o] = '\\';
			o++;
		} else if (breaks_line(c)) {
			c = ' ';
		}
		if (dst)
			dst[o] = c;
		o++;
	}
	if (dst)
		dst[o] = '"';
	return o + 1;
}

void imap4_quote_scrub(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (breaks_line(s[i]))
			s[i] = ' ';
}
