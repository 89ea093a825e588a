/* test_ascii.c - the ASCII spans (util/ascii.h) against a byte-at-a-time
 * model: every length 0..40, every position of the byte that ends the
 * run, every start offset in a word (the loads are unaligned), and the
 * text placed at the very end of its allocation, so that a load past
 * s + len is a read past the block that ASan reports. */
#include "util/ascii.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXLEN 40

/* What the spans promise, one byte at a time. */
static size_t model(const unsigned char *p, size_t len, bool nonul)
{
	size_t i = 0;
	while (i < len && p[i] < 0x80 && !(nonul && p[i] == 0))
		i++;
	return i;
}

/* Both spans of text[0..len), copied to the end of a block of exactly
 * off + len bytes so that s starts off bytes into it, against the model. */
static void check(const unsigned char *text, size_t len, size_t off,
                  const char *what)
{
	unsigned char *block = malloc(off + len > 0 ? off + len : 1);
	cr_assert_not_null(block);
	memset(block, 'x', off);
	memcpy(block + off, text, len);
	const unsigned char *s = block + off;

	size_t want = model(s, len, false);
	cr_assert_eq(imap4_ascii_span(s, len), want,
	             "%s: len %zu off %zu: span %zu, want %zu", what, len, off,
	             imap4_ascii_span(s, len), want);
	want = model(s, len, true);
	cr_assert_eq(imap4_ascii_nonul_span(s, len), want,
	             "%s: len %zu off %zu: nonul span %zu, want %zu", what, len,
	             off, imap4_ascii_nonul_span(s, len), want);
	free(block);
}

Test(ascii, all_ascii_at_every_length_and_offset)
{
	unsigned char t[MAXLEN];
	for (size_t len = 0; len <= MAXLEN; len++) {
		for (size_t i = 0; i < len; i++)
			t[i] = (unsigned char)(0x01 + (i * 37) % 0x7f);
		for (size_t off = 0; off < 8; off++)
			check(t, len, off, "ascii");
	}
}

/* One byte that stops a span (0x80, 0xff, NUL) or only the other (NUL)
 * at every position, and 0x7f and 0x01, which stop neither. */
Test(ascii, one_odd_byte_at_every_position)
{
	static const unsigned char odd[] = {0x80, 0xff, 0xc3, 0x00, 0x7f, 0x01};
	unsigned char t[MAXLEN];
	for (size_t o = 0; o < sizeof(odd); o++)
		for (size_t len = 1; len <= MAXLEN; len++)
			for (size_t at = 0; at < len; at++)
				for (size_t off = 0; off < 8; off += 3) {
					memset(t, 'a', len);
					t[at] = odd[o];
					check(t, len, off, "one");
				}
}

/* A NUL and a high byte both, in either order, at every pair of
 * positions: the span ends at the one its kind stops at first, whatever
 * comes after it in the same word (a borrow marks bytes above a NUL). */
Test(ascii, nul_and_high_byte_at_every_pair_of_positions)
{
	unsigned char t[MAXLEN];
	for (size_t len = 2; len <= MAXLEN; len++)
		for (size_t a = 0; a < len; a++)
			for (size_t b = 0; b < len; b++) {
				if (a == b)
					continue;
				memset(t, 'a', len);
				t[a] = 0x00;
				t[b] = 0x80;
				check(t, len, 0, "pair");
				/* 0x01 just above the NUL: the borrow's
				 * favourite false mark */
				if (a + 1 < len && a + 1 != b) {
					t[a + 1] = 0x01;
					check(t, len, 1, "pair+01");
				}
			}
}

/* The word pieces: the lowest mark of imap4_ascii_below() is the first
 * byte below n, for every byte value at every place in the word, with
 * bytes below and above it that do not count. */
Test(ascii, below_marks_the_first_byte_below_n)
{
	static const unsigned ns[] = {1, 0x20, 0x80};
	static const unsigned char fill[] = {0x20, 0x7f, 0x80, 0xff};
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		unsigned n = ns[k];
		for (size_t f = 0; f < sizeof(fill); f++) {
			if (fill[f] < n)
				continue;
			for (size_t at = 0; at < 8; at++)
				for (unsigned v = 0; v < 256; v++) {
					unsigned char w[8];
					memset(w, fill[f], 8);
					w[at] = (unsigned char)v;
					/* a stop after it changes nothing */
					if (at < 7)
						w[7] = 0;
					uint64_t x, m;
					memcpy(&x, w, 8);
					m = imap4_ascii_below(x, n);
					size_t first = 8;
					for (size_t i = 0; i < 8 && first == 8;
					     i++)
						if (w[i] < n)
							first = i;
					cr_assert_eq(m != 0, first < 8);
					if (m == 0)
						continue;
					size_t got = imap4_ascii_first(m);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
					cr_assert_eq(got, first,
					             "n %#x v %#x at %zu: %zu",
					             n, v, at, got);
#else
					cr_assert_leq(got, first);
#endif
				}
		}
	}
}
