/* test_reader_why.c - a refused response says which rule it broke.
 *
 * An operator reading "a configured limit was reached" cannot tell a 4 GiB
 * literal from a runaway line; the reader's reason (reader.h, why) travels
 * into the handle's error message.
 */
#include "api_test.h"
#include "proto/reader.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static int feed_all(struct imap4_reader *r, const char *s)
{
	const imap4_resp *resp;
	ssize_t n = imap4_reader_feed(r, s, strlen(s));
	if (n < 0)
		return (int)n;
	return imap4_reader_next(r, &resp);
}

Test(reader_why, literal_over_the_limit_names_its_size)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_all(&r, "* LIST () \"/\" {4294967296}\r\n"),
	             IMAP4_ELIMIT);
	cr_assert_not_null(strstr(r.why, "literal of 4294967296 bytes"), "%s",
	                   r.why);
	imap4_reader_clear(&r);
	cr_assert_str_empty(r.why);
}

Test(reader_why, literal_size_overflow)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_all(&r, "* 1 FETCH (UID 1 ENVELOPE ("
	                          "{18446744073709551617}\r\n"),
	             IMAP4_EPROTO);
	cr_assert_not_null(strstr(r.why, "64 bits"), "%s", r.why);
	imap4_reader_clear(&r);
}

Test(reader_why, malformed_response_is_quoted_printably)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_all(&r, "HTTP/1.1 400 \x1b[2J\r\n"), IMAP4_EPROTO);
	cr_assert_str_eq(r.why, "a malformed response (at byte 9 of 19, near "
	                        "\"HTTP/1.1 \" ^ \"400 \\x1b[2J\\r\\n\"): "
	                        "\"HTTP/1.1 400 \\x1b[2J\"");
	imap4_reader_clear(&r);
}

/* Quotes and backslashes, all over IMAP, read as C would write them. */
Test(reader_why, quotes_and_backslashes_read_as_in_c)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(
	        feed_all(&r, "* 1 FETCH (FLAGS (\\Seen k\x01) X \"a\")\r\n"),
	        IMAP4_EPROTO);
	cr_assert_str_eq(r.why, "a malformed response (at byte 25 of 36, near "
	                        "\"ETCH (FLAGS (\\\\Seen k\" ^ "
	                        "\"\\x01) X \\\"a\\\")\\r\\n\"): "
	                        "\"* 1 FETCH (FLAGS (\\\\Seen k\\x01) X "
	                        "\\\"a\\\")\"");
	imap4_reader_clear(&r);
}

Test(reader_why, nul_in_a_line)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	const char line[] = "* OK a\0b\r\n";
	cr_assert_eq(imap4_reader_feed(&r, line, sizeof(line) - 1),
	             IMAP4_EPROTO);
	cr_assert_str_eq(r.why, "a NUL byte in a line");
	imap4_reader_clear(&r);
}

/* Lists nested past max_depth: said to be past the limits, not
 * "oversized" (a 70-byte response is not). */
Test(reader_why, nesting_past_the_limit_says_so)
{
	struct imap4_reader r;
	char line[200];
	size_t n = 0;
	imap4_reader_init(&r, NULL);
	n += (size_t)snprintf(line, sizeof(line), "* X ");
	for (int i = 0; i < 65; i++)
		line[n++] = '(';
	for (int i = 0; i < 65; i++)
		line[n++] = ')';
	line[n++] = '\r';
	line[n++] = '\n';
	cr_assert_eq(imap4_reader_feed(&r, line, n), (ssize_t)n);
	const imap4_resp *resp;
	cr_assert_eq(imap4_reader_next(&r, &resp), IMAP4_ELIMIT);
	cr_assert(strstr(r.why, "past the limits (lists nested 64 deep"), "%s",
	          r.why);
	imap4_reader_clear(&r);
}

Test(reader_why, handle_error_names_the_literal)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    GREETING "C~ $TAG LOGIN \n"
	                             "S: $TAG OK [CAPABILITY IMAP4rev1] in\n"
	                             "C: $TAG LIST \"\" *\n"
	                             "S: * LIST () \"/\" {4294967296}\n",
	                    NULL);
	cr_assert_eq(imap4_login(h, "u", "p"), IMAP4_OK);
	int rc = imap4_list(h, "", "*");
	cr_assert_eq(rc, IMAP4_ELIMIT, "%d %s", rc,
	             imap4_last_error(h)->message);
	const char *m = imap4_last_error(h)->message;
	cr_assert_not_null(strstr(m, "literal of 4294967296 bytes"), "%s", m);
	api_done(&t);
}

Test(reader_why, garbage_greeting_says_so)
{
	struct api_test t;
	api_start(&t, "S: HTTP/1.1 400 Bad Request\n", NULL);
	cr_assert_eq(t.rc, IMAP4_EPROTO);
	const char *m = imap4_open_error();
	cr_assert_not_null(strstr(m, "not an IMAP greeting"), "%s", m);
	cr_assert_not_null(strstr(m, "HTTP/1.1 400"), "%s", m);
	cr_assert_eq(fake_server_finish(t.fs, NULL, 0), 0);
}

/* Feeds len bytes of s in pieces of piece bytes (the last shorter) and
 * returns the first error of feed or next, or what next returned last. */
static int feed_split(struct imap4_reader *r, const char *s, size_t len,
                      size_t piece)
{
	const imap4_resp *resp;
	int rc = 0;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < piece ? len - off : piece;
		ssize_t used = imap4_reader_feed(r, s + off, n);
		if (used < 0)
			return (int)used;
		off += (size_t)used;
		if ((rc = imap4_reader_next(r, &resp)) != 0)
			return rc;
	}
	return rc;
}

/* What a log line must never carry from a server: a line break, a NUL
 * cut or a terminal escape. */
static void assert_one_printable_line(const char *s)
{
	for (const char *p = s; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte 0x%02x at %zu in %s",
		          (unsigned char)*p, (size_t)(p - s), s);
}

/* A FETCH as Dovecot sends it for the daemon's items, with a message of
 * body_len bytes (CRLF lines of a few letters, an 8-bit byte and an
 * escape among them) and tail after the literal. */
static char *dovecot_fetch(size_t *len, size_t body_len, const char *tail,
                           size_t *body_at)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "* 7812 FETCH (UID 7812 FLAGS (\\Seen \\Recent) "
	                 "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
	                 "RFC822.SIZE %zu MODSEQ (18446744073709551615) "
	                 "BODY[]<0> {%zu}\r\n",
	                 body_len, body_len);
	size_t tl = strlen(tail);
	char *s = malloc((size_t)n + body_len + tl);
	memcpy(s, head, (size_t)n);
	for (size_t i = 0; i < body_len; i++) {
		size_t col = i % 40;
		s[n + i] = col == 38   ? '\r'
		           : col == 39 ? '\n'
		           : col == 7  ? '\xe9'
		           : col == 9  ? '\x1b'
		                       : (char)('a' + i % 26);
	}
	memcpy(s + n + body_len, tail, tl);
	*len = (size_t)n + body_len + tl;
	*body_at = (size_t)n;
	return s;
}

/* A stray byte after a 17 kB literal: the offset is that byte's, whatever
 * the pieces the response came in, and the excerpt shows the end of the
 * literal before it and the rest of the line from it. */
Test(reader_why, a_bad_byte_after_a_literal_is_located)
{
	size_t len, body_at;
	char *s = dovecot_fetch(&len, 17000, "\x01)\r\n", &body_at);
	size_t bad = body_at + 17000;
	static const size_t pieces[] = {1, 2, 3, 7, 64, 4096, 65536};
	char want[320];
	snprintf(want, sizeof(want),
	         "a malformed response (at byte %zu of %zu, where a literal "
	         "of 17000 bytes ended: its data longer than announced?, near "
	         "\"cdefghijklmnopqrst\\r\\n\" ^ \"\\x01)\\r\\n\"): "
	         "\"* 7812 FETCH (UID 7812 FLAGS (\\\\Seen \\\\Recent) "
	         "INTERNALDATE \\\"1\"",
	         bad, len);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct imap4_reader r;
		imap4_reader_init(&r, NULL);
		cr_assert_eq(feed_split(&r, s, len, pieces[i]), IMAP4_EPROTO,
		             "pieces of %zu", pieces[i]);
		cr_assert_str_eq(r.why, want, "pieces of %zu", pieces[i]);
		assert_one_printable_line(r.why);
		imap4_reader_clear(&r);
	}
	free(s);
}

/* The literal's own bytes (CR, LF, 8-bit, ESC) quoted in the excerpt. */
Test(reader_why, literal_bytes_in_the_excerpt_are_quoted)
{
	size_t len, body_at;
	/* The body ends 10 bytes into a line, on an 8-bit byte and an ESC. */
	char *s = dovecot_fetch(&len, 40 * 3 + 10, "X)\r\n", &body_at);
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, s, len, len), IMAP4_EPROTO);
	cr_assert(strstr(r.why, "near \"ghijklmn\\r\\nqrstuvw\\xe9y\\x1b\" ^ "
	                        "\"X)\\r\\n\")"),
	          "%s", r.why);
	assert_one_printable_line(r.why);
	imap4_reader_clear(&r);
	free(s);
}

/* A bad byte in the first line, before any literal: an escape no quoted
 * string may hold (RFC 9051 9, quoted-specials only) in INTERNALDATE is
 * refused at its backslash. */
Test(reader_why, a_bad_byte_in_the_first_line_is_located)
{
	static const char s[] = "* 12 FETCH (UID 12 INTERNALDATE "
	                        "\"17-Jul-1996\\x02:44:25 -0700\" "
	                        "BODY[] {3}\r\nabc)\r\n";
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, s, sizeof(s) - 1, 1), IMAP4_EPROTO);
	cr_assert_str_eq(r.why,
	                 "a malformed response (at byte 44 of 80, near "
	                 "\"NALDATE \\\"17-Jul-1996\" ^ "
	                 "\"\\\\x02:44:25 -0700\\\" BO\"): "
	                 "\"* 12 FETCH (UID 12 INTERNALDATE \\\"17-Jul-1996"
	                 "\\\\x02:44:25 -0700\"");
	imap4_reader_clear(&r);
}

/* A line that ends with what reads as a literal header to the framing but
 * is part of an atom to the grammar: the next response became that
 * "literal" and the rest of this one. Refused at the CRLF where the first
 * response really ended, with the glued one after it in the excerpt. */
Test(reader_why, a_response_glued_to_another_is_located)
{
	static const char s[] = "* 3 FETCH (FLAGS (k)) X{5}\r\n"
	                        "* 4 EXISTS\r\n";
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, s, sizeof(s) - 1, sizeof(s) - 1),
	             IMAP4_EPROTO);
	cr_assert_str_eq(r.why, "a malformed response (at byte 26 of 40, near "
	                        "\"TCH (FLAGS (k)) X{5}\" ^ "
	                        "\"\\r\\n* 4 EXISTS\\r\\n\"): "
	                        "\"* 3 FETCH (FLAGS (k)) X{5}\"");
	imap4_reader_clear(&r);
}

static int drop_sink(void *payload, const struct imap4_literal_info *info,
                     const void *data, size_t len)
{
	(void)payload, (void)info, (void)data, (void)len;
	return 0;
}

/* Offsets count the bytes of a streamed literal, which the reader does not
 * hold: they are those of the response as it came, in a trace or a
 * capture. */
Test(reader_why, offsets_count_streamed_literals)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.stream_threshold = 100;
	size_t len, body_at;
	char *s = dovecot_fetch(&len, 5000, " X\x02)\r\n", &body_at);
	struct imap4_reader r;
	imap4_reader_init(&r, &lim);
	imap4_reader_set_sink(&r, drop_sink, NULL);
	cr_assert_eq(feed_split(&r, s, len, 1000), IMAP4_EPROTO);
	char want[64];
	snprintf(want, sizeof(want), "(at byte %zu of %zu, ",
	         body_at + 5000 + 2, len);
	cr_assert(strstr(r.why, want), "%s: %s", want, r.why);
	cr_assert(strstr(r.why, "{5000}\\r\\n X\" ^ \"\\x02)\\r\\n\""), "%s",
	          r.why);
	imap4_reader_clear(&r);
	free(s);
}

/* Past a limit, where: the list that opened one level too deep. */
Test(reader_why, a_limit_says_where)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_depth = 2;
	struct imap4_reader r;
	imap4_reader_init(&r, &lim);
	cr_assert_eq(feed_all(&r, "* 1 FETCH (X ((a)))\r\n"), IMAP4_ELIMIT);
	cr_assert(strstr(r.why, "; at byte 14 of 21): \"* 1 FETCH"), "%s",
	          r.why);
	imap4_reader_clear(&r);
}

/* A literal whose data is one byte longer than its {n}: a message ending
 * in CRLF then ends on its CR, and its LF comes as a line of its own. It
 * was said to be "a line ended by LF alone", which sent the reader after
 * line ends; the size announced is what was wrong. */
Test(reader_why, a_literal_longer_than_announced_before_its_crlf)
{
	static const char s[] = "* 1 FETCH (UID 1 BODY[] {10}\r\n"
	                        "Subject: \r\n)\r\n";
	for (size_t piece = 1; piece <= sizeof(s) - 1; piece *= 3) {
		struct imap4_reader r;
		imap4_reader_init(&r, NULL);
		cr_assert_eq(feed_split(&r, s, sizeof(s) - 1, piece),
		             IMAP4_EPROTO, "pieces of %zu", piece);
		cr_assert_str_eq(r.why,
		                 "a literal longer than its announced {10}: "
		                 "its data went on past it (its CRLF cut "
		                 "after the CR)",
		                 "pieces of %zu", piece);
		imap4_reader_clear(&r);
	}
}

/* A bare LF elsewhere is still said as such. */
Test(reader_why, a_bare_lf_after_a_literal_ending_otherwise)
{
	static const char s[] = "* 1 FETCH (UID 1 BODY[] {3}\r\nabc)\n";
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, s, sizeof(s) - 1, sizeof(s) - 1),
	             IMAP4_EPROTO);
	cr_assert_str_eq(r.why, "a line ended by LF alone");
	imap4_reader_clear(&r);
}

/* The extra byte of a literal longer than announced, where the grammar
 * wants what follows the literal: the message names the literal, and a
 * bad byte elsewhere in a response with literals is not blamed on one. */
Test(reader_why, a_byte_past_a_literal_names_it)
{
	static const char s[] = "* 1 FETCH (UID 1 ENVELOPE (NIL {2}\r\nab "
	                        "NIL NIL NIL NIL NIL NIL NIL NIL) "
	                        "BODY[] {5}\r\nhello!)\r\n";
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, s, sizeof(s) - 1, sizeof(s) - 1),
	             IMAP4_EPROTO);
	cr_assert(strstr(r.why, "where a literal of 5 bytes ended: its data "
	                        "longer than announced?, near "),
	          "%s", r.why);
	imap4_reader_clear(&r);

	static const char t[] = "* 1 FETCH (UID 1 BODY[] {5}\r\nhello "
	                        "X\x01)\r\n";
	imap4_reader_init(&r, NULL);
	cr_assert_eq(feed_split(&r, t, sizeof(t) - 1, sizeof(t) - 1),
	             IMAP4_EPROTO);
	cr_assert_null(strstr(r.why, "literal"), "%s", r.why);
	imap4_reader_clear(&r);
}
