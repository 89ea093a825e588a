/* test_codec_fast.c - the word-at-a-time paths of the codecs (ASCII runs
 * skipped eight bytes at a time, Latin-1 sized in one pass, the RFC 2047
 * scratch reused between calls) against what the byte-at-a-time rules
 * give, at every position of the byte that leaves the fast path. */
#include "imap4.h"
#include "proto/charset.h"
#include "proto/rfc2047.h"
#include "proto/utf8.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* "aaaa...a" of len bytes with s at position at. */
static size_t make(char *dst, size_t len, size_t at, const char *s, size_t n)
{
	memset(dst, 'a', len);
	memcpy(dst + at, s, n);
	return len;
}

/* The expected text: the same run of 'a' with want in place of the odd
 * bytes. */
static void expect_run(const struct imap4_buf *b, size_t len, size_t at,
                       size_t n, const char *want)
{
	size_t wn = strlen(want);
	cr_assert_eq(b->len, len - n + wn, "at %zu: %zu bytes", at, b->len);
	for (size_t i = 0; i < at; i++)
		cr_assert_eq(b->data[i], 'a', "at %zu: byte %zu", at, i);
	cr_assert_eq(memcmp(b->data + at, want, wn), 0, "at %zu", at);
	for (size_t i = at + wn; i < b->len; i++)
		cr_assert_eq(b->data[i], 'a', "at %zu: byte %zu", at, i);
	cr_assert_eq(b->data[b->len], '\0');
}

Test(codec_fast, sanitize_finds_a_bad_byte_or_nul_anywhere)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
	        {"\0", 1, "\xef\xbf\xbd"},
	        {"\xff", 1, "\xef\xbf\xbd"},
	        {"\x80", 1, "\xef\xbf\xbd"},
	        {"\xc3\xa9", 2, "\xc3\xa9"},         /* valid: kept */
	        {"\xe2\x82\xac", 3, "\xe2\x82\xac"}, /* valid: kept */
	        {"\x7f", 1, "\x7f"},
	};
	char in[40];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t len = cases[c].n; len <= 33; len++) {
			for (size_t at = 0; at + cases[c].n <= len; at++) {
				struct imap4_buf b;
				imap4_buf_init(&b, 0);
				make(in, len, at, cases[c].in, cases[c].n);
				cr_assert_eq(imap4_utf8_append_sanitized(&b, in,
				                                         len),
				             0);
				expect_run(&b, len, at, cases[c].n,
				           cases[c].want);
				imap4_buf_clear(&b);
			}
		}
	}
}

Test(codec_fast, utf8_convert_rejects_a_bad_byte_anywhere)
{
	char in[40];
	for (size_t len = 1; len <= 33; len++) {
		for (size_t at = 0; at < len; at++) {
			struct imap4_buf b;
			imap4_buf_init(&b, 0);
			make(in, len, at, "\xff", 1);
			cr_assert_eq(
			        imap4_charset_convert(&b, "UTF-8", in, len), 0,
			        "len %zu at %zu", len, at);
			cr_assert_eq(b.len, 0);
			/* A two-byte character cut by the end is invalid too.
			 */
			make(in, len, len - 1, "\xc3", 1);
			cr_assert_eq(
			        imap4_charset_convert(&b, "utf-8", in, len), 0,
			        "len %zu cut", len);
			if (at + 2 <= len) {
				make(in, len, at, "\xc3\xa9", 2);
				cr_assert_eq(imap4_charset_convert(&b, "Utf-8",
				                                   in, len),
				             1);
				expect_run(&b, len, at, 2, "\xc3\xa9");
			}
			/* NUL is ASCII to the strict converter wherever it
			 * stands, in a word the fast path steps over or in
			 * the tail: kept, as below */
			imap4_buf_reset(&b);
			make(in, len, at, "\0", 1);
			cr_assert_eq(
			        imap4_charset_convert(&b, "utf-8", in, len), 1,
			        "len %zu NUL at %zu", len, at);
			cr_assert_eq(b.len, len);
			cr_assert_eq(memcmp(b.data, in, len), 0);
			imap4_buf_clear(&b);
		}
	}
	/* NUL is a character of UTF-8: kept by the strict converter. */
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	cr_assert_eq(imap4_charset_convert(&b, "utf8", "abcdefgh\0ij", 11), 1);
	cr_assert_eq(b.len, 11);
	cr_assert_eq(memcmp(b.data, "abcdefgh\0ij", 11), 0);
	imap4_buf_clear(&b);
}

Test(codec_fast, latin1_convert_writes_every_byte)
{
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	cr_assert_eq(imap4_charset_convert(&b, "iso-8859-1", (char *)all, 256),
	             1);
	/* Each byte against the character windows-1252 gives it. */
	size_t off = 0;
	for (int i = 0; i < 256; i++) {
		char u[4];
		size_t n = imap4_utf8_encode(
		        u, imap4_charset_cp1252((unsigned char)i));
		cr_assert_leq(off + n, b.len, "byte %d", i);
		cr_assert_eq(memcmp(b.data + off, u, n), 0, "byte %d", i);
		off += n;
	}
	cr_assert_eq(off, b.len);
	cr_assert_eq(b.data[b.len], '\0');
	imap4_buf_clear(&b);

	/* "\x80" is U+20AC, three bytes; "\xe9" U+00E9, two. */
	imap4_buf_init(&b, 0);
	cr_assert_eq(imap4_charset_convert(&b, "latin1", "x\x80\xe9y", 4), 1);
	cr_assert_str_eq(b.data, "x\xe2\x82\xac\xc3\xa9y");
	imap4_buf_clear(&b);
}

Test(codec_fast, latin1_convert_fits_a_cap_exactly)
{
	/* 7 bytes out of 4 in: a cap of 7 holds it, a cap of 6 does not,
	 * and the refused buffer is as it was. */
	struct imap4_buf b;
	imap4_buf_init(&b, 7);
	cr_assert_eq(imap4_charset_convert(&b, "cp1252", "x\x80\xe9y", 4), 1);
	cr_assert_eq(b.len, 7);
	imap4_buf_clear(&b);
	imap4_buf_init(&b, 6);
	cr_assert_eq(imap4_buf_append(&b, "", 0), 0);
	cr_assert_eq(imap4_charset_convert(&b, "cp1252", "x\x80\xe9y", 4),
	             IMAP4_ELIMIT);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.data[0], '\0');
	/* Plain ASCII needs no more than itself under a cap. */
	cr_assert_eq(imap4_charset_convert(&b, "us-ascii", "abcdef", 6), 1);
	cr_assert_str_eq(b.data, "abcdef");
	imap4_buf_clear(&b);
}

/* One scratch through many calls gives what a fresh decoder gives, also
 * after a call whose words were broken or in an unknown charset. */
Test(codec_fast, scratch_reused_decodes_as_fresh)
{
	static const char *const in[] = {
	        "=?utf-8?q?Caf=C3=A9?= menu",
	        "=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", /* one run, joined */
	        "=?utf-8?q?broken=ZZ?= tail",
	        "=?x-unknown?q?abc?= =?utf-8?q?d?=",
	        "=?iso-8859-1?q?Ren=E9?= =?utf-8?q?=C3=A9?=",
	        "plain",
	        "",
	        "=?utf-8?b?4oKs?==?utf-8?b?4oKs?=",
	        "a =?gb2312?b?1tDOxA==?= b",
	        "=?utf-8?q?=E2=82?= =?utf-8?q?=AC?=", /* a split character */
	};
	struct imap4_rfc2047_scratch sc;
	imap4_rfc2047_scratch_init(&sc);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			struct imap4_buf a, b;
			imap4_buf_init(&a, 0);
			imap4_buf_init(&b, 0);
			cr_assert_eq(imap4_buf_append(&b, "<", 1), 0);
			cr_assert_eq(imap4_rfc2047_decode_append(&a, in[i],
			                                         strlen(in[i])),
			             0);
			cr_assert_eq(imap4_rfc2047_decode_scratch(
			                     &b, &sc, in[i], strlen(in[i])),
			             0);
			cr_assert_eq(b.len, a.len + 1, "\"%s\"", in[i]);
			cr_assert_eq(
			        memcmp(b.data + 1, a.data ? a.data : "", a.len),
			        0, "\"%s\"", in[i]);
			imap4_buf_clear(&a);
			imap4_buf_clear(&b);
		}
	}
	imap4_rfc2047_scratch_clear(&sc);
	imap4_rfc2047_scratch_clear(&sc); /* twice is harmless */

	/* A limit hit part-way leaves out as it was, and the scratch fit
	 * for the next call. */
	imap4_rfc2047_scratch_init(&sc);
	struct imap4_buf c;
	imap4_buf_init(&c, 4);
	cr_assert_eq(imap4_buf_append(&c, "ab", 2), 0);
	cr_assert_eq(imap4_rfc2047_decode_scratch(
	                     &c, &sc, "=?utf-8?q?xyz?= =?utf-8?q?w?=", 29),
	             IMAP4_ELIMIT);
	cr_assert_eq(c.len, 2);
	cr_assert_str_eq(c.data, "ab");
	cr_assert_eq(imap4_rfc2047_decode_scratch(&c, &sc, "=?utf-8?q?z?=", 13),
	             0);
	cr_assert_str_eq(c.data, "abz");
	imap4_buf_clear(&c);

	imap4_rfc2047_scratch_clear(&sc);
}
