/* test_encode.c - the command encoder, byte for byte. */
#include "proto/encode.h"

#include <criterion/criterion.h>
#include <string.h>

static struct imap4_cmd c;

static void setup(void)
{
	imap4_cmd_init(&c, 0);
}

static void teardown(void)
{
	imap4_cmd_clear(&c);
}

TestSuite(encode, .init = setup, .fini = teardown);

/* The whole command as one string (segments joined). */
static const char *wire(void)
{
	cr_assert_eq(imap4_cmd_end(&c), 0);
	return c.buf.data;
}

static size_t nsegs(void)
{
	const char *d;
	size_t len, i = 0;
	bool sync;

	while (imap4_cmd_segment(&c, i, &d, &len, &sync))
		i++;
	return i;
}

Test(encode, atoms_numbers_and_lists)
{
	imap4_cmd_begin(&c, 0, "A1", "FETCH");
	imap4_cmd_seqset(&c, "1:5,7,9:*");
	imap4_cmd_open(&c);
	imap4_cmd_atom(&c, "UID");
	imap4_cmd_atom(&c, "FLAGS");
	imap4_cmd_close(&c);
	imap4_cmd_u32(&c, 4294967295u);
	imap4_cmd_u64(&c, 18446744073709551615ull);
	imap4_cmd_nil(&c);
	cr_assert_str_eq(wire(), "A1 FETCH 1:5,7,9:* (UID FLAGS) 4294967295 "
	                         "18446744073709551615 NIL\r\n");
	cr_assert_eq(nsegs(), 1);
}

Test(encode, astring_chooses_atom_quoted_or_literal)
{
	imap4_cmd_begin(&c, 0, "A2", "X");
	imap4_cmd_astring(&c, "joe");
	imap4_cmd_astring(&c, "two words");
	imap4_cmd_astring(&c, "q\"b\\s");
	imap4_cmd_astring(&c, "");
	imap4_cmd_astring(&c, "NIL");
	imap4_cmd_astring(&c, "a]b");
	imap4_cmd_astring(&c, "caf\xc3\xa9");
	cr_assert_str_eq(wire(), "A2 X joe \"two words\" \"q\\\"b\\\\s\" \"\" "
	                         "\"NIL\" a]b {5}\r\ncaf\xc3\xa9\r\n");
	cr_assert_eq(nsegs(), 2);
}

Test(encode, eight_bit_quoted_after_utf8_accept)
{
	imap4_cmd_begin(&c, IMAP4_CMD_UTF8, "A3", "X");
	imap4_cmd_astring(&c, "caf\xc3\xa9");
	cr_assert_str_eq(wire(), "A3 X \"caf\xc3\xa9\"\r\n");
}

Test(encode, literal_plus_and_minus)
{
	char big[5000];
	const char *d;
	size_t len;
	bool sync;

	memset(big, 'x', sizeof(big));
	imap4_cmd_begin(&c, IMAP4_CMD_LITERAL_PLUS, "A4", "X");
	imap4_cmd_literal(&c, "a\r\nb", 4);
	imap4_cmd_atom(&c, "Z");
	cr_assert_str_eq(wire(), "A4 X {4+}\r\na\r\nb Z\r\n");
	cr_assert_eq(nsegs(), 1);

	/* LITERAL- (RFC 7888): non-synchronizing up to 4096 bytes only */
	imap4_cmd_begin(&c, IMAP4_CMD_LITERAL_MINUS, "A5", "X");
	imap4_cmd_literal(&c, big, 4096);
	imap4_cmd_literal(&c, big, 4097);
	cr_assert_eq(imap4_cmd_end(&c), 0);
	cr_assert_eq(nsegs(), 2);
	cr_assert(imap4_cmd_segment(&c, 0, &d, &len, &sync));
	cr_assert(sync);
	cr_assert_eq(len,
	             strlen("A5 X {4096+}\r\n") + 4096 + strlen(" {4097}\r\n"));
	cr_assert_eq(memcmp(d + len - 9, " {4097}\r\n", 9), 0);
	cr_assert(imap4_cmd_segment(&c, 1, &d, &len, &sync));
	cr_assert_not(sync);
	cr_assert_eq(len, 4097 + 2);
	cr_assert_not(imap4_cmd_segment(&c, 2, &d, &len, &sync));
}

Test(encode, literal_ending_in_newline_still_separated)
{
	imap4_cmd_begin(&c, IMAP4_CMD_LITERAL_PLUS, "A6", "X");
	imap4_cmd_literal(&c, "(\n", 2);
	imap4_cmd_atom(&c, "Y");
	cr_assert_str_eq(wire(), "A6 X {2+}\r\n(\n Y\r\n");
}

Test(encode, mailbox_modified_utf7_and_inbox)
{
	imap4_cmd_begin(&c, 0, "A7", "RENAME");
	imap4_cmd_mailbox(&c, "inbox");
	imap4_cmd_mailbox(&c, "Entw\xc3\xbcrfe");
	imap4_cmd_mailbox(&c, "A&B");
	imap4_cmd_mailbox(&c, "with space");
	cr_assert_str_eq(wire(), "A7 RENAME INBOX Entw&APw-rfe A&-B "
	                         "\"with space\"\r\n");

	imap4_cmd_begin(&c, IMAP4_CMD_UTF8, "A8", "SELECT");
	imap4_cmd_mailbox(&c, "Entw\xc3\xbcrfe");
	cr_assert_str_eq(wire(), "A8 SELECT \"Entw\xc3\xbcrfe\"\r\n");
}

Test(encode, list_pattern_keeps_wildcards)
{
	imap4_cmd_begin(&c, 0, "A9", "LIST");
	imap4_cmd_mailbox(&c, "");
	imap4_cmd_pattern(&c, "*");
	imap4_cmd_pattern(&c, "Arch%/x y*");
	cr_assert_str_eq(wire(), "A9 LIST \"\" * \"Arch%/x y*\"\r\n");
}

Test(encode, injection_is_refused)
{
	imap4_cmd_begin(&c, 0, "B1", "SELECT");
	cr_assert_eq(imap4_cmd_mailbox(&c, "x\r\nB2 DELETE INBOX"),
	             IMAP4_EINVAL);
	/* sticky: later arguments change nothing, end reports it */
	cr_assert_eq(imap4_cmd_atom(&c, "OK"), IMAP4_EINVAL);
	cr_assert_eq(imap4_cmd_end(&c), IMAP4_EINVAL);
	cr_assert_not(c.ended);

	imap4_cmd_begin(&c, 0, "B3", "SEARCH");
	cr_assert_eq(imap4_cmd_raw(&c, "ALL\r\nB4 LOGOUT"), IMAP4_EINVAL);
	imap4_cmd_begin(&c, 0, "B5", "SEARCH");
	cr_assert_eq(imap4_cmd_raw(&c, "SUBJECT x\n"), IMAP4_EINVAL);
	imap4_cmd_begin(&c, 0, "B6", "X");
	cr_assert_eq(imap4_cmd_quoted(&c, "a\rb"), IMAP4_EINVAL);
	imap4_cmd_begin(&c, 0, "B7", "X");
	cr_assert_eq(imap4_cmd_raw(&c, ""), IMAP4_EINVAL);
	/* a NUL cannot hide in an explicit-length string either: it goes
	 * out as a literal, never inside a quoted string */
	imap4_cmd_begin(&c, 0, "B8", "X");
	imap4_cmd_string(&c, "a\0b", 3);
	cr_assert_eq(imap4_cmd_end(&c), 0);
	cr_assert_eq(memcmp(c.buf.data, "B8 X {3}\r\na\0b\r\n", 15), 0);
}

Test(encode, atom_validation)
{
	cr_assert(imap4_is_atom("+FLAGS.SILENT"));
	cr_assert(imap4_is_atom("UTF8=ACCEPT"));
	cr_assert_not(imap4_is_atom(""));
	cr_assert_not(imap4_is_atom("a b"));
	cr_assert_not(imap4_is_atom("a(b"));
	cr_assert_not(imap4_is_atom("a*"));
	cr_assert_not(imap4_is_atom("a%"));
	cr_assert_not(imap4_is_atom("a]"));
	cr_assert_not(imap4_is_atom("a\"b"));
	cr_assert_not(imap4_is_atom("a{1}"));
	cr_assert_not(imap4_is_atom("caf\xc3\xa9"));
	imap4_cmd_begin(&c, 0, "C1", NULL);
	cr_assert_eq(imap4_cmd_atom(&c, "BAD ATOM"), IMAP4_EINVAL);
	cr_assert_eq(imap4_cmd_begin(&c, 0, "bad tag", "NOOP"), IMAP4_EINVAL);
	cr_assert_eq(imap4_cmd_begin(&c, 0, "C2", "NO OP"), IMAP4_EINVAL);
}

Test(encode, seqset_validation)
{
	cr_assert(imap4_is_seqset("1"));
	cr_assert(imap4_is_seqset("*"));
	cr_assert(imap4_is_seqset("1:*"));
	cr_assert(imap4_is_seqset("4294967295"));
	cr_assert(imap4_is_seqset("1,3:4,*:7"));
	cr_assert(imap4_is_seqset("$"));
	cr_assert_not(imap4_is_seqset(""));
	cr_assert_not(imap4_is_seqset("0"));
	cr_assert_not(imap4_is_seqset("4294967296"));
	cr_assert_not(imap4_is_seqset("1:"));
	cr_assert_not(imap4_is_seqset(":1"));
	cr_assert_not(imap4_is_seqset("1,"));
	cr_assert_not(imap4_is_seqset("1,,2"));
	cr_assert_not(imap4_is_seqset("01"));
	cr_assert_not(imap4_is_seqset("1 2"));
	cr_assert_not(imap4_is_seqset("1:2:3"));
	cr_assert_not(imap4_is_seqset("$,1"));
}

Test(encode, secret_marks_redaction_point)
{
	imap4_cmd_begin(&c, 0, "D1", "LOGIN");
	imap4_cmd_astring(&c, "joe");
	imap4_cmd_secret(&c);
	imap4_cmd_string(&c, "pw", 2);
	cr_assert_str_eq(wire(), "D1 LOGIN joe \"pw\"\r\n");
	cr_assert_eq(c.redact_from, strlen("D1 LOGIN joe"));
}

Test(encode, continuation_line_without_tag)
{
	imap4_cmd_begin(&c, 0, NULL, NULL);
	imap4_cmd_atom(&c, "DONE");
	cr_assert_str_eq(wire(), "DONE\r\n");
}

Test(encode, cut_splits_without_waiting)
{
	const char *d;
	size_t len;
	bool sync;

	imap4_cmd_begin(&c, IMAP4_CMD_LITERAL_PLUS, "E1", "APPEND");
	imap4_cmd_mailbox(&c, "INBOX");
	imap4_cmd_literal_header(&c, 10);
	imap4_cmd_cut(&c);
	cr_assert_eq(imap4_cmd_end(&c), 0);
	cr_assert(imap4_cmd_segment(&c, 0, &d, &len, &sync));
	cr_assert_not(sync);
	cr_assert_eq(len, strlen("E1 APPEND INBOX {10+}\r\n"));
	cr_assert(imap4_cmd_segment(&c, 1, &d, &len, &sync));
	cr_assert_eq(len, 2);
}

/* A raw argument or a line that ends with a literal header would make the
 * server wait for bytes that never come; the same text inside a literal,
 * or not at the end, is no header. */
Test(encode, literal_headers_only_from_the_encoder)
{
	cr_assert(imap4_ends_with_literal("SUBJECT {5}", 11));
	cr_assert(imap4_ends_with_literal("{13+}", 5));
	cr_assert(imap4_ends_with_literal("x ~{0}", 6));
	cr_assert_not(imap4_ends_with_literal("{}", 2));
	cr_assert_not(imap4_ends_with_literal("{+}", 3));
	cr_assert_not(imap4_ends_with_literal("5}", 2));
	cr_assert_not(imap4_ends_with_literal("{5}x", 4));
	cr_assert_not(imap4_ends_with_literal("{5 }", 4));
	cr_assert_not(imap4_ends_with_literal("", 0));

	imap4_cmd_begin(&c, 0, "C1", "SEARCH");
	cr_assert_eq(imap4_cmd_raw(&c, "SUBJECT {5}"), IMAP4_EINVAL);
	cr_assert(strstr(c.why, "literal header"), "%s", c.why);
	imap4_cmd_begin(&c, 0, "C2", "SEARCH");
	cr_assert_eq(imap4_cmd_raw(&c, "{5+}"), IMAP4_EINVAL);

	/* pieces glued into a header at the end of the line */
	imap4_cmd_begin(&c, 0, "C3", "SEARCH");
	imap4_cmd_raw(&c, "{");
	imap4_cmd_glue(&c);
	imap4_cmd_u32(&c, 5);
	imap4_cmd_glue(&c);
	cr_assert_eq(imap4_cmd_raw(&c, "}"), 0);
	cr_assert_eq(imap4_cmd_end(&c), IMAP4_EINVAL);
	cr_assert_not(c.ended);

	/* a literal's data may end like a header: it is data */
	imap4_cmd_begin(&c, IMAP4_CMD_LITERAL_PLUS, "C4", "X");
	imap4_cmd_literal(&c, "a {5}", 5);
	cr_assert_str_eq(wire(), "C4 X {5+}\r\na {5}\r\n");
	imap4_cmd_begin(&c, 0, "C5", "X");
	imap4_cmd_raw(&c, "{5}x");
	cr_assert_str_eq(wire(), "C5 X {5}x\r\n");
}

Test(encode, balanced_lists)
{
	cr_assert(imap4_is_balanced("(\\Seen \\Draft)"));
	cr_assert(imap4_is_balanced("\\Seen"));
	cr_assert(imap4_is_balanced("(\"(\" \"]\" \"a\\\"(\" [Gmail]/x)"));
	cr_assert(imap4_is_balanced("(UNCHANGEDSINCE 1) +FLAGS"));
	cr_assert(imap4_is_balanced("BODY[HEADER.FIELDS (A B)]"));
	cr_assert_not(imap4_is_balanced("(\\Seen"));
	cr_assert_not(imap4_is_balanced("\\Seen)"));
	cr_assert_not(imap4_is_balanced(")("));
	cr_assert_not(imap4_is_balanced("([)"));
	cr_assert_not(imap4_is_balanced("]"));
	cr_assert_not(imap4_is_balanced("(\"a)"));
	cr_assert_not(imap4_is_balanced("(\"a\\\")"));
	cr_assert_not(imap4_is_balanced("\"\\"));

	imap4_cmd_begin(&c, 0, "D1", "STORE");
	cr_assert_eq(imap4_cmd_raw_balanced(&c, "(\\Seen"), IMAP4_EINVAL);
	cr_assert(strstr(c.why, "unbalanced"), "%s", c.why);
	imap4_cmd_begin(&c, 0, "D2", "STORE");
	imap4_cmd_raw_balanced(&c, "(a) b");
	cr_assert_str_eq(wire(), "D2 STORE (a) b\r\n");
}

/* imaplib's MapCRLF, re.sub(br'\r\n|\r|\n', b'\r\n', m), checked against
 * a direct rendering of that rule on every string of up to 7 bytes over
 * "a", CR and LF, whole and cut in two at every point. */
static size_t map_crlf_ref(char *out, const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

Test(encode, crlf_map_like_imaplib_across_pieces)
{
	static const char alphabet[] = {'a', '\r', '\n'};
	char in[8], want[16], got[16];

	for (size_t len = 0; len <= 7; len++) {
		size_t total = 1;
		for (size_t i = 0; i < len; i++)
			total *= 3;
		for (size_t k = 0; k < total; k++) {
			size_t v = k;
			for (size_t i = 0; i < len; i++, v /= 3)
				in[i] = alphabet[v % 3];
			size_t wn = map_crlf_ref(want, in, len);
			cr_assert_eq(imap4_crlf_size(in, len), wn);
			for (size_t cut = 0; cut <= len; cut++) {
				bool cr = false;
				size_t n = imap4_crlf_map(got, in, cut, &cr);
				n += imap4_crlf_map(got + n, in + cut,
				                    len - cut, &cr);
				cr_assert_eq(n, wn);
				cr_assert_eq(memcmp(got, want, wn), 0);
			}
		}
	}
}

Test(encode, flag_lists)
{
	static const char *const good[] = {
	        "()",     "(\\Seen)",       "(\\Seen $Label NIL)",
	        "\\Seen", "\\Seen \\Draft", "$Junk",
	};
	static const char *const bad[] = {
	        "",
	        "(",
	        ")",
	        "(\\Seen",
	        "\\Seen)",
	        "(\\Seen) (\\Draft)",
	        "(\\Seen)(\\Draft)",
	        "( \\Seen)",
	        "(\\Seen )",
	        "(\\Seen  $A)",
	        "(\\*)",
	        "(\\)",
	        "((\\Seen))",
	        "(\"a b\")",
	        "(a]b)",
	        "(a{5}",
	        "(\\Seen) \"01-Jan-2020 10:00:00 +0000\"",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect(imap4_is_flag_list(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_not(imap4_is_flag_list(bad[i]), "%s", bad[i]);
	cr_expect_not(imap4_is_flag_list(NULL));
}
