/* mime_test.h - what the tests of the text extractor (test_mime_text.c,
 * test_mime_reader.c) share: the text of a message, checked for the
 * invariants every result has, and comparisons of it.
 */
#ifndef TESTS_CORE_MIME_TEST_H
#define TESTS_CORE_MIME_TEST_H

#include "imap4.h"
#include "proto/mime_text.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Independent of the library's own UTF-8 code: RFC 3629, no NUL. */
static inline bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i], len, cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* The text of msg[0..len), checked for the invariants every result has;
 * the caller frees it. */
static inline char *text_n(const char *msg, size_t len, size_t max_out,
                           int want_rc)
{
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	int rc = imap4_mime_text(&out, msg, len, max_out);
	cr_assert_eq(rc, want_rc, "imap4_mime_text() = %d, want %d", rc,
	             want_rc);
	cr_assert(valid_utf8(out.data ? out.data : "", out.len),
	          "output is not valid UTF-8 without NUL");
	if (max_out)
		cr_assert_leq(out.len, max_out);
	char *s = imap4_buf_steal(&out, NULL);
	cr_assert_not_null(s);
	return s;
}

static inline char *text_of(const char *msg)
{
	return text_n(msg, strlen(msg), 0, 0);
}

static inline void expect(const char *msg, const char *want)
{
	char *got = text_of(msg);
	cr_assert_str_eq(got, want);
	free(got);
}

static inline void expect_has(const char *got, const char *needle)
{
	cr_assert(strstr(got, needle), "\"%s\" not in:\n%s", needle, got);
}

static inline void expect_lacks(const char *got, const char *needle)
{
	cr_assert(!strstr(got, needle), "\"%s\" in:\n%s", needle, got);
}

/* A string built by appending, for the generated messages below. */
static inline void put(struct imap4_buf *b, const char *s)
{
	cr_assert_eq(imap4_buf_puts(b, s), 0);
}

#endif
