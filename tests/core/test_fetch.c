/* test_fetch.c - the FETCH view: RFC 3501/9051 examples, CONDSTORE,
 * Gmail, RFC 8474/8514 items, sections, and malformed items. */
#include "view_test.h"

#include "proto/fetch.h"
#include "proto/resp.h"
#include "proto/reader.h"

#include <stdio.h>

TestSuite(fetch, .init = view_setup, .fini = view_teardown);

static imap4_msg fetch_ok(const char *text)
{
	imap4_msg m;
	int rc = imap4_msg_parse(&m, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", text, rc);
	return m;
}

/* RFC 3501 7.4.2 / RFC 9051 7.5.2 example, whole. */
Test(fetch, rfc3501_example)
{
	imap4_msg m = fetch_ok(
		"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "
		"\"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE "
		"(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
		"\"IMAP4rev1 WG mtg summary and minutes\" "
		"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
		"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
		"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
		"((NIL NIL \"imap\" \"cac.washington.edu\")) "
		"((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
		"(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
		"\"<B27397-0100000@cac.washington.edu>\") "
		"BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
		"\"7BIT\" 3028 92))");
	cr_assert_eq(m.seq, 12);
	cr_assert_eq(m.have, IMAP4_HAVE_FLAGS | IMAP4_HAVE_INTERNALDATE |
				     IMAP4_HAVE_SIZE | IMAP4_HAVE_ENVELOPE |
				     IMAP4_HAVE_BODYSTRUCTURE);
	cr_assert_eq(m.nflags, 1);
	cr_assert_str_eq(m.flags[0], "\\Seen");
	cr_assert_null(m.flags[1]);
	cr_assert(imap4_msg_has_flag(&m, "\\SEEN"));
	cr_assert_not(imap4_msg_has_flag(&m, "\\Deleted"));
	cr_assert_eq(m.internaldate, 837596665);
	cr_assert_eq(m.internaldate_tz, -420);
	cr_assert_eq(m.size, 4286);
	cr_assert_str_eq(m.envelope->subject,
			 "IMAP4rev1 WG mtg summary and minutes");
	cr_assert_str_eq(m.envelope->cc->next->name, "John Klensin");
	cr_assert_null(m.envelope->bcc);
	cr_assert_str_eq(m.envelope->message_id,
			 "<B27397-0100000@cac.washington.edu>");
	cr_assert_str_eq(m.body->type, "TEXT");
	cr_assert_eq(m.body->size, 3028);
	cr_assert_eq(m.body->lines, 92);
	cr_assert_null(m.sections);
}

Test(fetch, gmail_extensions)
{
	imap4_msg m = fetch_ok(
		"* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID "
		"1278455344230334866 X-GM-LABELS (\"\\\\Inbox\" \"\\\\Sent\" "
		"Important \"Muy Importante\") UID 4 FLAGS (\\Seen))");
	cr_assert_eq(m.gm_thrid, 1278455344230334865ull);
	cr_assert_eq(m.gm_msgid, 1278455344230334866ull);
	cr_assert_eq(m.ngm_labels, 4);
	cr_assert_str_eq(m.gm_labels[0], "\\Inbox");
	cr_assert_str_eq(m.gm_labels[1], "\\Sent");
	cr_assert_str_eq(m.gm_labels[2], "Important");
	cr_assert_str_eq(m.gm_labels[3], "Muy Importante");
	cr_assert_null(m.gm_labels[4]);
	cr_assert_eq(m.uid, 4);
	cr_assert(m.have & IMAP4_HAVE_GM_LABELS);
	cr_assert(m.have & IMAP4_HAVE_GM_MSGID);
	cr_assert(m.have & IMAP4_HAVE_GM_THRID);

	m = fetch_ok("* 2 FETCH (X-GM-LABELS () UID 5)");
	cr_assert_eq(m.ngm_labels, 0);
	cr_assert(m.have & IMAP4_HAVE_GM_LABELS);
	m = fetch_ok("* 2 FETCH (X-GM-LABELS NIL UID 5)");
	cr_assert_eq(m.ngm_labels, 0);
}

/* A label is a name: with a NUL in its literal it would read as another
 * label, so the labels are left out. A flag is an atom, which no NUL
 * reaches (the reader refuses it in a line), and a literal is not one. */
Test(fetch, labels_with_a_nul_are_left_out)
{
	static const char text[] =
		"* 1 FETCH (UID 4 X-GM-LABELS ({3}\r\na\0b))\r\n";
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, wire_n(text, sizeof(text) - 1)), 0);
	cr_expect_eq(m.have, IMAP4_HAVE_UID);
	cr_expect_null(m.gm_labels);
	static const char flags[] = "* 1 FETCH (UID 4 FLAGS ({3}\r\na\0b))\r\n";
	cr_assert_eq(imap4_msg_parse(&m, wire_n(flags, sizeof(flags) - 1)), 0);
	cr_expect_eq(m.have, IMAP4_HAVE_UID);
	cr_expect_eq(m.nflags, 0);
	m = fetch_ok("* 1 FETCH (UID 4 FLAGS \\Seen)");
	cr_expect_eq(m.have, IMAP4_HAVE_UID);
}

/* A keyword some servers send as unquoted UTF-8: the message keeps its
 * flags, as sent (a flag is a name, not text to decode). */
Test(fetch, eight_bit_keywords_as_sent)
{
	imap4_msg m = fetch_ok("* 2 FETCH (UID 2 FLAGS (\\Seen B\xc3\xbcro))");
	cr_assert_eq(m.have, IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS);
	cr_assert_eq(m.nflags, 2);
	cr_assert_str_eq(m.flags[1], "B\xc3\xbcro");
	cr_assert(imap4_msg_has_flag(&m, "B\xc3\xbcro"));
	m = fetch_ok("* 2 FETCH (FLAGS (B\xfcro) UID 2)");
	cr_assert_eq(m.have, IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS);
	cr_assert_str_eq(m.flags[0], "B\xfcro");
}

/* explore37: a keyword named NIL (any client may set one; Dovecot keeps
 * it) is an atom (RFC 3501 flag-keyword): the message's flags were left
 * out, \Seen with them. */
Test(fetch, a_keyword_named_nil_is_a_flag)
{
	imap4_msg m = fetch_ok("* 1 FETCH (UID 5 FLAGS (\\Seen NIL) "
	                       "RFC822.SIZE 10)");
	cr_assert_eq(m.have,
	             IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS | IMAP4_HAVE_SIZE);
	cr_assert_eq(m.nflags, 2);
	cr_assert_str_eq(m.flags[0], "\\Seen");
	cr_assert_str_eq(m.flags[1], "NIL");
	cr_assert(imap4_msg_has_flag(&m, "\\Seen"));
	/* as the server spells it (explore45: "nil" became "NIL") */
	m = fetch_ok("* 1 FETCH (UID 5 FLAGS (nil))");
	cr_assert_eq(m.nflags, 1);
	cr_assert_str_eq(m.flags[0], "nil");
}

/* RFC 3501: "[" is an ATOM-CHAR; only a fetch item that takes a section
 * opens one with it (explore43: Dovecot keeps a keyword k[1). */
Test(fetch, keywords_may_hold_a_bracket)
{
	imap4_msg m = fetch_ok("* 1 FETCH (UID 5 FLAGS (\\Seen k[1 [k a[b]c) "
	                       "RFC822.SIZE 10)");
	cr_assert_eq(m.nflags, 4);
	cr_assert_str_eq(m.flags[1], "k[1");
	cr_assert_str_eq(m.flags[2], "[k");
	cr_assert_str_eq(m.flags[3], "a[b]c");
	cr_assert_eq(m.size, 10);
	m = fetch_ok("* 1 FETCH (FLAGS (k[) UID 6)");
	cr_assert_str_eq(m.flags[0], "k[");
	cr_assert_eq(m.uid, 6);
}

Test(fetch, condstore_modseq_rfc7162)
{
	imap4_msg m = fetch_ok("* 50 FETCH (MODSEQ (12121231000) UID 5)");
	cr_assert(m.have & IMAP4_HAVE_MODSEQ);
	cr_assert_eq(m.modseq, 12121231000ull);
	m = fetch_ok("* 4 FETCH (UID 8 MODSEQ (9223372036854775807))");
	cr_assert_eq(m.modseq, 9223372036854775807ull);
}

Test(fetch, objectid_and_savedate)
{
	imap4_msg m = fetch_ok("* 3 FETCH (EMAILID (M6d99ac3275bb4e) "
			       "THREADID (T64b478a75b7ea9) UID 3 SAVEDATE "
			       "\"01-Jan-2024 10:00:00 +0100\")");
	cr_assert_str_eq(m.emailid, "M6d99ac3275bb4e");
	cr_assert_str_eq(m.threadid, "T64b478a75b7ea9");
	cr_assert(m.have & IMAP4_HAVE_EMAILID);
	cr_assert(m.have & IMAP4_HAVE_SAVEDATE);
	cr_assert_eq(m.savedate, 1704099600);
	cr_assert_eq(m.savedate_tz, 60);

	m = fetch_ok("* 3 FETCH (THREADID NIL SAVEDATE NIL UID 3)");
	cr_assert_null(m.threadid);
	cr_assert_not(m.have & IMAP4_HAVE_SAVEDATE);
	cr_assert_not(m.have & IMAP4_HAVE_EMAILID);
}

Test(fetch, sections_literal_quoted_nil)
{
	static const char text[] =
		"* 2 FETCH (UID 7 BODY[HEADER.FIELDS (FROM SUBJECT)] {25}\r\n"
		"From: a@b\r\nSubject: x\r\n\r\n BODY[]<0> \"abc\" BINARY[1] "
		"~{3}\r\nx\0y RFC822.HEADER NIL BODY[1.MIME] \"\")\r\n";
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, wire_n(text, sizeof(text) - 1)), 0);
	cr_assert(m.have & IMAP4_HAVE_SECTIONS);
	const imap4_section *s = m.sections;
	cr_assert_str_eq(s->item, "BODY[HEADER.FIELDS (FROM SUBJECT)]");
	cr_assert_str_eq(s->section, "HEADER.FIELDS (FROM SUBJECT)");
	cr_assert_not(s->has_origin);
	cr_assert_eq(s->len, 25);
	cr_assert_eq(memcmp(s->data, "From: a@b\r\n", 11), 0);

	s = s->next;
	cr_assert_str_eq(s->item, "BODY[]");
	cr_assert_str_eq(s->section, "");
	cr_assert(s->has_origin);
	cr_assert_eq(s->origin, 0);
	cr_assert_str_eq(s->data, "abc");

	s = s->next;
	cr_assert_str_eq(s->item, "BINARY[1]");
	cr_assert_eq(s->len, 3);
	cr_assert_eq(memcmp(s->data, "x\0y", 3), 0);

	s = s->next;
	cr_assert_str_eq(s->item, "RFC822.HEADER");
	cr_assert_str_eq(s->section, "HEADER");
	cr_assert(s->nil);
	cr_assert_null(s->data);

	s = s->next;
	cr_assert_str_eq(s->section, "1.MIME");
	cr_assert_eq(s->len, 0);
	cr_assert_not(s->nil);
	cr_assert_null(s->next);
}

Test(fetch, partial_origin)
{
	imap4_msg m = fetch_ok("* 9 FETCH (BODY[TEXT]<4294967295> \"z\" "
			       "RFC822 \"all\" RFC822.TEXT \"t\")");
	cr_assert_eq(m.sections->origin, 4294967295u);
	cr_assert_str_eq(m.sections->next->section, "");
	cr_assert_str_eq(m.sections->next->next->section, "TEXT");
}

/* WildDuck named the data of BODY.PEEK[...]<0.262144> with the length,
 * where RFC 3501 says <0>: the same item, its origin taken, its length
 * checked as a number and dropped. */
Test(fetch, partial_origin_with_its_length)
{
	imap4_msg m = fetch_ok(
	        "* 9 FETCH (UID 4 BODY[HEADER.FIELDS (FROM TO)]<0.262144> "
	        "{20}\r\nFrom: ab\r\nTo: cd\r\n\r\n BODY[]<5.4294967295> "
	        "\"z\")");
	cr_assert_eq(m.have, IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS);
	const imap4_section *s = m.sections;
	cr_assert_str_eq(s->item, "BODY[HEADER.FIELDS (FROM TO)]");
	cr_assert_str_eq(s->section, "HEADER.FIELDS (FROM TO)");
	cr_assert(s->has_origin);
	cr_assert_eq(s->origin, 0);
	cr_assert_eq(s->len, 20);
	cr_assert_eq(memcmp(s->data, "From: ab\r\nTo: cd\r\n\r\n", 20), 0);
	s = s->next;
	cr_assert_str_eq(s->item, "BODY[]");
	cr_assert(s->has_origin);
	cr_assert_eq(s->origin, 5);
	cr_assert_str_eq(s->data, "z");
	cr_assert_null(s->next);

	/* with and without the length it is one item: the last one wins */
	m = fetch_ok("* 9 FETCH (UID 4 BODY[]<0> \"a\" BODY[]<0.1> \"b\")");
	cr_assert_str_eq(m.sections->data, "b");
	cr_assert_null(m.sections->next);
}

/* The typed view of text (len bytes) whose one literal went to a sink:
 * the parser is told it was streamed, from the byte after its "{n}\r\n". */
static imap4_msg streamed_ok(const char *text, size_t len)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	size_t off = (size_t)(strstr(text, "}\r\n") - text) + 3;
	const imap4_resp *r;
	cr_assert_eq(imap4_resp_parse(&r, NULL, &view_arena, text, len, &lim,
	                              &off, 1),
	             0);
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, r), 0);
	return m;
}

/* The same name on a streamed literal: the item the sink was told of
 * (imap4_fetch_prefix_parse names it as sent) is the message's section. */
Test(fetch, streamed_partial_with_its_length)
{
	static const char head[] = "* 3 FETCH (UID 1 BODY[]<0.33554432> ";
	static const char text[] = "* 3 FETCH (UID 1 BODY[]<0.33554432> "
	                           "{5000000}\r\n)\r\n";
	uint32_t seq;
	char item[64];
	cr_assert_eq(imap4_fetch_prefix_parse(&seq, item, sizeof(item), head,
	                                      sizeof(head) - 1),
	             0);
	cr_assert_eq(seq, 3);
	cr_assert_str_eq(item, "BODY[]<0.33554432>");

	imap4_msg m = streamed_ok(text, sizeof(text) - 1);
	cr_assert_eq(m.have, IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS);
	cr_assert_str_eq(m.sections->item, "BODY[]");
	cr_assert(m.sections->has_origin);
	cr_assert_eq(m.sections->origin, 0);
	cr_assert(m.sections->streamed);
	cr_assert_null(m.sections->data);
	cr_assert_eq(m.sections->len, 5000000);
}

Test(fetch, repeated_items_last_wins)
{
	imap4_msg m = fetch_ok("* 1 FETCH (UID 5 FLAGS (\\Seen) BODY[] \"a\" "
			       "UID 6 FLAGS () BODY[] \"b\" BODY[]<1> \"c\")");
	cr_assert_eq(m.uid, 6);
	cr_assert_eq(m.nflags, 0);
	cr_assert_str_eq(m.sections->data, "b");
	cr_assert_eq(m.sections->next->origin, 1);
	cr_assert_null(m.sections->next->next);
}

Test(fetch, unknown_items_are_skipped)
{
	imap4_msg m = fetch_ok("* 1 FETCH (PREVIEW \"hello\" X-FOO (a (b \"c\") "
			       "NIL) BINARY.SIZE[1] 5 UID 9 X-BAR NIL)");
	cr_assert_eq(m.have, IMAP4_HAVE_UID);
	cr_assert_eq(m.uid, 9);
}

Test(fetch, streamed_literal_is_flagged)
{
	static const char text[] = "* 3 FETCH (UID 1 BODY[] {5000000}\r\n)\r\n";
	imap4_msg m = streamed_ok(text, sizeof(text) - 1);
	cr_assert(m.sections->streamed);
	cr_assert_null(m.sections->data);
	cr_assert_eq(m.sections->len, 5000000);
}

/* Without its UID, or in no FETCH's shape, a response names no message. */
Test(fetch, a_malformed_uid_or_shape_is_eproto)
{
	static const char *const bad[] = {
	        "* 1 FETCH (UID 0)",
	        "* 1 FETCH (UID 4294967296)",
	        "* 1 FETCH (UID \"5\")",
	        "* 1 FETCH (UID 12x)",
	        "* 1 FETCH (UID -1)",
	        "* 1 FETCH (UID (5))",
	        "* 1 FETCH (FLAGS (\\Seen) UID 12x INTERNALDATE NIL)",
	        "* 1 FETCH (UID)",
	        "* 1 FETCH (UID 5 FLAGS)",
	        "* 1 FETCH (\"UID\" 5)",
	        "* 1 FETCH ((UID) 5)",
	        "* 1 FETCH UID 5",
	        "* 1 FETCH",
	        "* 1 FETCH (UID 5) (UID 6)",
	        "* 0 FETCH (UID 5)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_msg m;
		int rc = imap4_msg_parse(&m, wire(bad[i]));
		cr_expect_eq(rc, IMAP4_EPROTO, "%s gave %d", bad[i], rc);
		cr_expect_eq(m.have, 0);
		cr_expect_eq(m.seq, 0);
	}
}

/* A value that does not parse leaves its item out and the rest typed: one
 * garbled date must not hide the message's UID and flags. */
Test(fetch, a_malformed_value_leaves_its_item_out)
{
	static const char *const bad[] = {
	        "FLAGS \\Seen",
	        "FLAGS (\"\\\\Seen\")",
	        "FLAGS ((\\Seen))",
	        "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
	        "ENVELOPE NIL",
	        "INTERNALDATE \"yesterday\"",
	        "INTERNALDATE \"garbage\"",
	        "INTERNALDATE \"32-Jul-1996 02:44:25 -0700\"",
	        /* nor are these, in the forms servers send for one */
	        "INTERNALDATE \"31-Feb-2020 00:00:00\"",
	        "INTERNALDATE \"17-Jul-1996 25:44:25\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 GMT junk\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 +0000 junk\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 XYZ\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 +2400\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 +07\"",
	        "INTERNALDATE \"Wed, 31 Feb 2020 00:00:00 +0000\"",
	        "INTERNALDATE \"Wed, 17 Jul 1996 02:44:25 -9999\"",
	        "INTERNALDATE \"Wed, 17 Jul 1996 25:44:25 +0000\"",
	        "INTERNALDATE \"Someday, 17 Jul 1996 02:44:25 +0000\"",
	        "INTERNALDATE \"17 Jul 1996\"",
	        "INTERNALDATE \"\"",
	        /* imap4_internaldate2tuple takes these as imaplib does; from
	         * a server they are no date */
	        "INTERNALDATE \"31-Feb-2020 00:00:00 +0000\"",
	        "INTERNALDATE \"17-Jul-1996 02:44:25 -9999\"",
	        "INTERNALDATE \"17-Jul-1996 25:44:25 -0700\"",
	        "INTERNALDATE 17-Jul-1996",
	        "INTERNALDATE NIL",
	        "RFC822.SIZE -1",
	        "RFC822.SIZE -5",
	        "RFC822.SIZE 18446744073709551616",
	        "MODSEQ 5",
	        "MODSEQ (0)",
	        "MODSEQ (1 2)",
	        "MODSEQ (9223372036854775808)",
	        "MODSEQ (18446744073709551615)",
	        "MODSEQ (99999999999999999999999)",
	        "MODSEQ (-1)",
	        "X-GM-MSGID abc",
	        "X-GM-THRID (1)",
	        "X-GM-LABELS \\Inbox",
	        "BODY[] (a)",
	        "BODY[] 12",
	        "BODY[1]<x> NIL",
	        "BODY[1]<> NIL",
	        "BODY[1]<4294967296> NIL",
	        "BODY[1]<4294967296.1> NIL",
	        "BODY[1]<0.4294967296> NIL",
	        "BODY[1]<0.x> NIL",
	        "BODY[1]<0.-1> NIL",
	        "BODY[1]<0.> NIL",
	        "BODY[1]<.5> NIL",
	        "BODY[1]<.> NIL",
	        "BODY[1]<0.1.2> NIL",
	        "BODY[1]<0 NIL",
	        "BODY[1]junk NIL",
	        "BODYSTRUCTURE NIL",
	        "BODYSTRUCTURE (\"TEXT\")",
	        "EMAILID (M!x)",
	        "EMAILID M1",
	        "THREADID ()",
	        "SAVEDATE \"soon\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char text[256];
		/* before the good items and after them */
		for (int after = 0; after < 2; after++) {
			if (after)
				snprintf(text, sizeof(text),
				         "* 4 FETCH (UID 7 FLAGS (\\Seen) %s)",
				         bad[i]);
			else
				snprintf(text, sizeof(text),
				         "* 4 FETCH (%s UID 7 FLAGS (\\Seen))",
				         bad[i]);
			imap4_msg m;
			int rc = imap4_msg_parse(&m, wire(text));
			cr_assert_eq(rc, 0, "%s gave %d", text, rc);
			cr_expect_eq(m.seq, 4, "%s", text);
			cr_expect_eq(m.uid, 7, "%s", text);
			/* A garbled FLAGS next to a good one leaves the
			 * good one, before it or after it. */
			cr_expect_eq(m.have, IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS,
			             "%s: have %#x", text, m.have);
			cr_expect_eq(m.nflags, 1, "%s", text);
			cr_expect(imap4_msg_has_flag(&m, "\\Seen"), "%s", text);
			cr_expect_null(m.sections, "%s", text);
			cr_expect_null(m.envelope, "%s", text);
			cr_expect_null(m.body, "%s", text);
			cr_expect_null(m.gm_labels, "%s", text);
			cr_expect_null(m.emailid, "%s", text);
			cr_expect_null(m.threadid, "%s", text);
			cr_expect_eq(m.internaldate, 0, "%s", text);
			cr_expect_eq(m.size, 0, "%s", text);
			cr_expect_eq(m.modseq, 0, "%s", text);
		}
	}
}

/* Forms of INTERNALDATE real servers have sent for RFC 3501's date-time:
 * taken, a date without a zone as UTC. */
Test(fetch, internaldate_forms_servers_send)
{
	static const struct {
		const char *date;
		time_t t;
		int tz;
	} ok[] = {
	        {"02-Jan-2023 10:00:05", 1672653605, 0},
	        {" 2-Jan-2023 10:00:05", 1672653605, 0},
	        {"Mon, 02 Jan 2023 10:00:05 +0000", 1672653605, 0},
	        {"Mon, 02 Jan 2023 11:00:05 +0100", 1672653605, 60},
	        {"02 Jan 2023 10:00:05 -0000", 1672653605, 0},
	        {"02-Jan-2023 10:00:05 GMT", 1672653605, 0},
	        {"02-Jan-2023 05:00:05 EST", 1672653605, -300},
	        {"02-Jan-2023 10:00:05 +0000 (UTC)", 1672653605, 0},
	        /* the strict form as ever */
	        {"02-Jan-2023 12:00:05 +0200", 1672653605, 120},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char text[128];
		snprintf(
		        text, sizeof(text),
		        "* 1 FETCH (UID 3 INTERNALDATE \"%s\" SAVEDATE \"%s\")",
		        ok[i].date, ok[i].date);
		imap4_msg m = fetch_ok(text);
		cr_expect(m.have & IMAP4_HAVE_INTERNALDATE, "%s", text);
		cr_expect_eq(m.internaldate, ok[i].t, "%s: %lld", text,
		             (long long)m.internaldate);
		cr_expect_eq(m.internaldate_tz, ok[i].tz, "%s", text);
		cr_expect(m.have & IMAP4_HAVE_SAVEDATE, "%s", text);
		cr_expect_eq(m.savedate, ok[i].t, "%s", text);
	}
	/* as a literal too, but not cut short by a NUL */
	static const char lit[] =
	        "* 1 FETCH (UID 3 INTERNALDATE {20}\r\n02-Jan-2023 10:00:05)";
	imap4_msg m = fetch_ok(lit);
	cr_expect_eq(m.internaldate, 1672653605);
	static const char nul[] = "* 1 FETCH (UID 3 INTERNALDATE "
	                          "{26}\r\n02-Jan-2023 10:00:05\0 junk)\r\n";
	cr_assert_eq(imap4_msg_parse(&m, wire_n(nul, sizeof(nul) - 1)), 0);
	cr_expect_eq(m.have, IMAP4_HAVE_UID);
}

/* A good value after a garbled one of the same item is taken. */
Test(fetch, a_good_value_after_a_garbled_one_counts)
{
	imap4_msg m = fetch_ok("* 2 FETCH (INTERNALDATE \"garbage\" UID 3 "
	                       "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")");
	cr_assert(m.have & IMAP4_HAVE_INTERNALDATE);
	cr_expect_eq(m.internaldate, 837596665);
	cr_expect_eq(m.internaldate_tz, -420);
}

Test(fetch, not_a_fetch_is_einval)
{
	imap4_msg m;
	cr_expect_eq(imap4_msg_parse(&m, wire("* 3 EXISTS")), IMAP4_EINVAL);
	cr_expect_eq(imap4_msg_parse(&m, wire("* SEARCH 1")), IMAP4_EINVAL);
	cr_expect_eq(imap4_msg_parse(&m, NULL), IMAP4_EINVAL);
	cr_expect_eq(imap4_msg_parse(NULL, wire("* 1 FETCH (UID 1)")),
		     IMAP4_EINVAL);
	cr_expect_not(imap4_msg_has_flag(NULL, "\\Seen"));
}

/* Every allocation a view makes comes from the response's arena: with the
 * arena capped one byte further each time, the view fails cleanly with
 * IMAP4_ENOMEM until it has what it needs, then gives the full result. */
Test(fetch, arena_exhaustion_at_every_step)
{
	static const char text[] =
		"* 7 FETCH (UID 70 FLAGS (\\Seen $Junk) X-GM-LABELS (a \"b c\") "
		"ENVELOPE (NIL {3}\r\ns\0t ((\"A\" NIL \"a\" \"h\")) NIL NIL "
		"((NIL NIL \"g\" NIL)(\"B\" NIL \"b\" \"h\")(NIL NIL NIL NIL)) "
		"NIL NIL NIL NIL) BODYSTRUCTURE ((\"text\" \"plain\" "
		"(\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL "
		"(\"inline\" (\"a\" \"b\")) NIL NIL)(\"message\" \"rfc822\" NIL "
		"NIL NIL \"7bit\" 5 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) 2) \"mixed\") "
		"BODY[HEADER]<5> \"x\" BODY[TEXT] \"y\")\r\n";
	bool succeeded = false;
	size_t failures = 0;
	for (size_t extra = 0; extra < 65536 && !succeeded; extra += 16) {
		struct imap4_arena a;
		imap4_arena_init(&a, 0);
		const imap4_resp *r;
		cr_assert_eq(imap4_parse_response(&r, &a, text,
						  sizeof(text) - 1),
			     0);
		a.cap = a.used + extra;
		imap4_msg m;
		int rc = imap4_msg_parse(&m, r);
		if (rc == 0) {
			succeeded = true;
			cr_assert_eq(m.uid, 70);
			cr_assert_str_eq(m.envelope->to->mailbox, "g");
			/* the copy of a literal with NUL, made a space */
			cr_assert_str_eq(m.envelope->subject, "s t");
			cr_assert_str_eq(m.body->parts->next->message->subtype,
					 "plain");
			cr_assert_str_eq(m.sections->next->data, "y");
		} else {
			cr_assert_eq(rc, IMAP4_ENOMEM, "cap +%zu gave %d",
				     extra, rc);
			cr_assert_eq(m.have, 0);
			failures++;
		}
		imap4_arena_clear(&a);
	}
	cr_assert(succeeded);
	cr_assert_gt(failures, 10);
}
