/* test_mime_cut.c - the text of a message a partial fetch cut
 * (imap4_mime_text_partial): what the cut split at the end of the text is
 * left out, where the end of a whole message keeps what it holds. */
#include "imap4.h"
#include "mime_test.h"
#include "proto/mime_text.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The text of msg cut after its first len bytes, checked as text_n()
 * checks a whole message's. */
static char *cut_text(const char *msg, size_t len)
{
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	int rc = imap4_mime_text_partial(&out, msg, len, 0);
	cr_assert_eq(rc, 0, "imap4_mime_text_partial() = %d, cut at %zu", rc,
	             len);
	cr_assert(valid_utf8(out.data ? out.data : "", out.len),
	          "output is not valid UTF-8 without NUL, cut at %zu", len);
	char *s = imap4_buf_steal(&out, NULL);
	cr_assert_not_null(s);
	return s;
}

/* msg cut right after the first occurrence of at (which ends the cut)
 * reads as want. */
static void expect_cut_after(const char *msg, const char *at, const char *want)
{
	const char *p = strstr(msg, at);
	cr_assert_not_null(p, "\"%s\" not in the message", at);
	size_t len = (size_t)(p - msg) + strlen(at);
	char *got = cut_text(msg, len);
	cr_assert_str_eq(got, want, "cut after \"%s\"", at);
	free(got);
}

static const char QP[] = "Content-Type: text/plain; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n"
                         "\r\n"
                         "caf=C3=A9 cr=C3=A8me\r\n";

/* f2-qp-cut.sh: max_body_size in the middle of "=C3=A9" stored a
 * literal "=C", "=A" or U+FFFD at the end of the text. */
Test(mime_cut, a_split_quoted_printable_escape_is_dropped)
{
	expect_cut_after(QP, "caf=", "caf");
	expect_cut_after(QP, "caf=C", "caf");
	expect_cut_after(QP, "caf=C3", "caf");
	expect_cut_after(QP, "caf=C3=", "caf");
	expect_cut_after(QP, "caf=C3=A", "caf");
	expect_cut_after(QP, "caf=C3=A9", "caf\xc3\xa9");
	expect_cut_after(QP, "cr=C3=A8", "caf\xc3\xa9 cr\xc3\xa8");
	/* A whole message that ends so holds a stray "=", which the RFC
	 * says to keep: only a cut makes it a fragment. */
	char *got = text_n(QP, strstr(QP, "caf=C") + 5 - QP, 0, 0);
	cr_assert_str_eq(got, "caf=C");
	free(got);
}

Test(mime_cut, a_character_the_cut_split_is_dropped)
{
	static const char raw[] = "Content-Type: text/plain; charset=utf-8\r\n"
	                          "\r\n"
	                          "\xc3\xa9l\xc3\xa8ve \xe2\x98\xba!\r\n";
	expect_cut_after(raw, "\xc3", "");
	expect_cut_after(raw, "\xc3\xa9l\xc3", "\xc3\xa9l");
	expect_cut_after(raw, "\xe2", "\xc3\xa9l\xc3\xa8ve");
	expect_cut_after(raw, "\xe2\x98", "\xc3\xa9l\xc3\xa8ve");
	expect_cut_after(raw, "\xe2\x98\xba",
	                 "\xc3\xa9l\xc3\xa8ve \xe2\x98\xba");
	/* in base64, whose groups the cut splits as well */
	static const char b64[] = "Content-Type: text/plain; charset=utf-8\r\n"
	                          "Content-Transfer-Encoding: base64\r\n"
	                          "\r\n"
	                          "w6lsw6h2ZSDimLoh\r\n";
	expect_cut_after(b64, "w6ls", "\xc3\xa9l");
	expect_cut_after(b64, "w6lsw", "\xc3\xa9l");
	expect_cut_after(b64, "w6lsw6", "\xc3\xa9l");
	expect_cut_after(b64, "w6lsw6h2ZSDi", "\xc3\xa9l\xc3\xa8ve");
	/* and in a charset iconv reads: Shift_JIS's two-byte characters */
	static const char sjis[] =
	        "Content-Type: text/plain; charset=shift_jis\r\n"
	        "\r\n"
	        "\x93\xfa\x96\x7b\r\n";
	expect_cut_after(sjis, "\x93", "");
	expect_cut_after(sjis, "\x93\xfa\x96", "\xe6\x97\xa5");
}

/* The tester's HTML part: "... élève ☺<" at a cut in "<p>" or "</p>". */
Test(mime_cut, a_split_html_tag_or_reference_is_dropped)
{
	static const char html[] =
	        "Content-Type: text/html; charset=utf-8\r\n"
	        "\r\n"
	        "<p>Hello&nbsp;<b>World</b> &amp; friends &eacute;l&egrave;ve "
	        "&#x263A;</p><p>1 < 2</p>\r\n";
	expect_cut_after(html, "&#x263A;<",
	                 "Hello World & friends "
	                 "\xc3\xa9l\xc3\xa8ve \xe2\x98\xba");
	expect_cut_after(html, "&#x263A;</",
	                 "Hello World & friends "
	                 "\xc3\xa9l\xc3\xa8ve \xe2\x98\xba");
	/* "&#x263" would be U+0263, another character */
	expect_cut_after(html, "&#x263",
	                 "Hello World & friends "
	                 "\xc3\xa9l\xc3\xa8ve");
	expect_cut_after(html, "&eac", "Hello World & friends");
	expect_cut_after(html, "&amp", "Hello World");
	expect_cut_after(html, "1 <",
	                 "Hello World & friends "
	                 "\xc3\xa9l\xc3\xa8ve \xe2\x98\xba\n\n1");
	/* the end of a whole part writes what it holds, as browsers do */
	char *got = text_n(html, strstr(html, "&#x263A;<") + 9 - html, 0, 0);
	expect_has(got, "\xe2\x98\xba<");
	free(got);
}

static const char MIXED[] =
        "Content-Type: multipart/mixed; boundary=\"sep-42\"\r\n"
        "\r\n"
        "--sep-42\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Caf=E9 numbers =\r\n"
        "attached.\r\n"
        "--sep-42\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p>second &amp; <i>last</i> part</p>\r\n"
        "--sep-42--\r\n";

Test(mime_cut, a_split_boundary_line_or_field_is_no_text)
{
	expect_cut_after(MIXED, "attached.\r\n-",
	                 "Caf\xc3\xa9 numbers attached.");
	expect_cut_after(MIXED, "attached.\r\n--sep-4",
	                 "Caf\xc3\xa9 numbers attached.");
	/* a field of the next part's header cut before its colon */
	expect_cut_after(MIXED, "attached.\r\n--sep-42\r\nContent-Ty",
	                 "Caf\xc3\xa9 numbers attached.");
	expect_cut_after(MIXED, "part</p>\r\n--sep-42-",
	                 "Caf\xc3\xa9 numbers attached.\n\nsecond & last "
	                 "part");
}

/* Cut anywhere, a message's text is the start of its whole text: no
 * fragment the cut made is in it. (Of a multipart/alternative, a cut may
 * change which part is shown: not here.) */
static void assert_every_cut_starts_the_text(const char *msg)
{
	size_t len = strlen(msg);
	char *whole = text_n(msg, len, 0, 0);
	for (size_t n = 0; n <= len; n++) {
		char *got = cut_text(msg, n);
		cr_assert(strncmp(whole, got, strlen(got)) == 0,
		          "cut at %zu: \"%s\" does not start \"%s\"", n, got,
		          whole);
		free(got);
	}
	free(whole);
}

Test(mime_cut, every_cut_gives_the_start_of_the_text)
{
	assert_every_cut_starts_the_text(QP);
	assert_every_cut_starts_the_text(MIXED);
	assert_every_cut_starts_the_text(
	        "From: a@example.org\r\n"
	        "Subject: x\r\n"
	        "Content-Type: text/html; charset=utf-8\r\n"
	        "\r\n"
	        "<html><head><style>.x{color:red}</style></head><body>"
	        "<p>Hello&nbsp;<b>World</b> &amp; friends &eacute;l&egrave;ve "
	        "&#x263A; &#9731;</p><!-- hidden --></body></html>\r\n");
	assert_every_cut_starts_the_text(
	        "Content-Type: text/plain; charset=utf-8; format=flowed; "
	        "delsp=yes\r\n"
	        "\r\n"
	        "A flowed line whose w\xc3\xb6r \r\nds are joined, and \r\n"
	        "> quoted \r\n> text\r\n");
	/* a message forwarded in base64, its own text quoted-printable */
	assert_every_cut_starts_the_text(
	        "Content-Type: multipart/mixed; boundary=b\r\n"
	        "\r\n"
	        "--b\r\n"
	        "Content-Type: message/rfc822\r\n"
	        "Content-Transfer-Encoding: base64\r\n"
	        "\r\n"
	        "U3ViamVjdDogaW5uZXINCkNvbnRlbnQtVHJhbnNmZXItRW5jb2Rpbmc6IHF1b3"
	        "Rl\r\n"
	        "ZC1wcmludGFibGUNCkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbjsgY2hhcnNldD"
	        "11\r\n"
	        "dGYtOA0KDQpjYWY9QzM9QTkgY3I9QzM9QThtZQ0K\r\n"
	        "--b--\r\n");
}
