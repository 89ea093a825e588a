/* quote.c - server bytes shown to people; see quote.h. */
#include "util/quote.h"

#include <stdbool.h>
#include <stdio.h>

size_t imap4_quote_start(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0, i = 0;

	for (; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
		bool escaped = ch == '"' || ch == '\\';
		size_t need = plain ? 1 : escaped ? 2 : 4;

		if (ch == '\r' || ch == '\n' || o + need >= cap)
			break;
		if (plain) {
			dst[o++] = (char)ch;
		} else if (escaped) {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else {
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
		}
	}
	dst[o] = '\0';
	return i;
}
