/* ascii.c - ASCII runs a word at a time; see ascii.h. */
#include "util/ascii.h"

#include <stdbool.h>
#include <string.h>

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* The bytes of x that end the run: those with the high bit, and with
 * nonul NUL too. The lowest mark is the first such byte: the bytes below
 * it are 0x01..0x7f, which lend no borrow to the test for NUL. */
static inline uint64_t stops(uint64_t x, bool nonul)
{
	return (x & IMAP4_ASCII_HIGH) | (nonul ? imap4_ascii_below(x, 1) : 0);
}

/* The two spans are one scan; nonul is a constant in each caller, so each
 * gets its own copy of the loops. Bodies are long runs, hence 32 bytes a
 * step with one branch for the four words; then eight at a time to find
 * the word that stops the run, and its lowest mark to find the byte. */
static inline size_t span(const unsigned char *p, size_t len, bool nonul)
{
	size_t i = 0;

	for (; len - i >= 32; i += 32)
		if (stops(load8(p + i), nonul) |
		    stops(load8(p + i + 8), nonul) |
		    stops(load8(p + i + 16), nonul) |
		    stops(load8(p + i + 24), nonul))
			break;
	for (; len - i >= 8; i += 8) {
		uint64_t m = stops(load8(p + i), nonul);
		if (m) {
			i += imap4_ascii_first(m);
			break;
		}
	}
	while (i < len && p[i] < 0x80 && (!nonul || p[i] != 0))
		i++;
	return i;
}

size_t imap4_ascii_span(const void *s, size_t len)
{
	return span(s, len, false);
}

size_t imap4_ascii_nonul_span(const void *s, size_t len)
{
	return span(s, len, true);
}
