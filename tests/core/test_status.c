/* test_status.c - STATUS (RFC 3501 7.2.4, 9051, 7162, 8438). */
#include "view_test.h"

#include <stdio.h>

TestSuite(status, .init = view_setup, .fini = view_teardown);

static imap4_status_info status_ok(const char *text)
{
	imap4_status_info st;
	int rc = imap4_status_parse(&st, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", text, rc);
	return st;
}

Test(status, rfc3501_example)
{
	imap4_status_info st =
		status_ok("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)");
	cr_assert_str_eq(st.mailbox, "blurdybloop");
	cr_assert_eq(st.have, IMAP4_ST_MESSAGES | IMAP4_ST_UIDNEXT);
	cr_assert_eq(st.messages, 231);
	cr_assert_eq(st.uidnext, 44292);
	cr_assert_eq(st.uidvalidity, 0);
}

Test(status, every_item)
{
	imap4_status_info st = status_ok(
		"* STATUS \"Sent Mail\" (MESSAGES 0 RECENT 1 UIDNEXT 7500 "
		"UIDVALIDITY 4294967295 UNSEEN 2 HIGHESTMODSEQ 7011231777 "
		"SIZE 18446744073709551615 DELETED 3 MAILBOXID (F2212ea87) "
		"APPENDLIMIT 1000)");
	cr_assert_str_eq(st.mailbox, "Sent Mail");
	cr_assert_eq(st.have, 0xff);
	cr_assert_eq(st.messages, 0);
	cr_assert_eq(st.recent, 1);
	cr_assert_eq(st.uidnext, 7500);
	cr_assert_eq(st.uidvalidity, 4294967295u);
	cr_assert_eq(st.unseen, 2);
	cr_assert_eq(st.highestmodseq, 7011231777ull);
	cr_assert_eq(st.size, 18446744073709551615ull);
	cr_assert_eq(st.deleted, 3);
}

/* RFC 7162 7: HIGHESTMODSEQ in STATUS is a mod-sequence-valzer, 0 (no
 * persistent mod-sequences) to 2^63-1. */
Test(status, highestmodseq_bounds_rfc7162)
{
	imap4_status_info st = status_ok("* STATUS x (HIGHESTMODSEQ 0)");
	cr_assert_eq(st.have, IMAP4_ST_HIGHESTMODSEQ);
	cr_assert_eq(st.highestmodseq, 0);
	st = status_ok("* STATUS x (HIGHESTMODSEQ 9223372036854775807)");
	cr_assert_eq(st.highestmodseq, 9223372036854775807ull);
}

/* One that is no mod-sequence-valzer (RFC 7162 7: 2^63-1 at most) is
 * left out: the mailbox is told of as one without mod-sequences, and the
 * rest of the answer (a NOTIFY's news of it) stands. Taken, 2^64-1 was
 * a value no cache keeps in a signed 64-bit column, nor can send back as
 * a CHANGEDSINCE. */
Test(status, a_highestmodseq_out_of_range_is_left_out)
{
	static const char *const bad[] = {
	        "9223372036854775808",
	        "18446744073709551615",
	        "18446744073709551616",
	        "99999999999999999999999",
	        "-1",
	        "5x",
	        "(5)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char text[128];
		snprintf(text, sizeof(text),
		         "* STATUS x (MESSAGES 3 HIGHESTMODSEQ %s UIDNEXT 9)",
		         bad[i]);
		imap4_status_info st;
		cr_expect_eq(imap4_status_parse(&st, wire(text)), 0, "%s",
		             text);
		cr_expect_eq(st.have, IMAP4_ST_MESSAGES | IMAP4_ST_UIDNEXT,
		             "%s", text);
		cr_expect_eq(st.highestmodseq, 0, "%s", text);
		cr_expect_eq(st.uidnext, 9, "%s", text);
	}
}

Test(status, names_utf7_literal_unquoted)
{
	imap4_status_info st = status_ok("* STATUS \"&ZeVnLIqe-\" (UNSEEN 0)");
	cr_assert_str_eq(st.mailbox, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	cr_assert_eq(st.have, IMAP4_ST_UNSEEN);

	st = status_ok("* STATUS {5}\r\na (b) (MESSAGES 1)");
	cr_assert_str_eq(st.mailbox, "a (b)");

	st = status_ok("* STATUS Sent Items (MESSAGES 5)");
	cr_assert_str_eq(st.mailbox, "Sent Items");

	st = status_ok("* STATUS INBOX ()");
	cr_assert_eq(st.have, 0);
}

/* A name with 8-bit bytes, unquoted as some servers send it, is UTF-8
 * (RFC 6855); one that is not UTF-8 names no mailbox a caller can use. */
Test(status, eight_bit_names)
{
	imap4_status_info st =
	        status_ok("* STATUS Entw\xc3\xbcrfe (MESSAGES 2)");
	cr_assert_str_eq(st.mailbox, "Entw\xc3\xbcrfe");
	cr_assert_eq(st.messages, 2);
	imap4_status_info bad;
	cr_assert_eq(imap4_status_parse(
	                     &bad, wire("* STATUS Entw\xfcrfe (MESSAGES 2)")),
	             IMAP4_EPROTO);
	cr_assert_null(bad.mailbox);
}

/* An atom NIL is the mailbox NIL, as LIST names it (list.c). */
Test(status, an_atom_nil_names_a_mailbox)
{
	imap4_status_info st = status_ok("* STATUS NIL (MESSAGES 3)");
	cr_assert_str_eq(st.mailbox, "NIL");
	cr_assert_eq(st.messages, 3);
	st = status_ok("* STATUS Old nil (MESSAGES 1)");
	cr_assert_str_eq(st.mailbox, "Old nil");
}

/* A NUL in a literal name: cut there it would be another mailbox ("a"). */
Test(status, name_with_nul_is_eproto)
{
	static const char text[] = "* STATUS {3}\r\na\0b (MESSAGES 1)\r\n";
	imap4_status_info st;
	cr_assert_eq(imap4_status_parse(&st, wire_n(text, sizeof(text) - 1)),
		     IMAP4_EPROTO);
	cr_assert_null(st.mailbox);
}

Test(status, malformed_is_eproto)
{
	static const char *const bad[] = {
	        "* STATUS x (UIDNEXT 0)",
	        "* STATUS x (UIDVALIDITY 0)",
	        "* STATUS x (MESSAGES 4294967296)",
	        "* STATUS x (MESSAGES \"5\")",
	        "* STATUS x (MESSAGES 5x)",
	        "* STATUS x (MESSAGES)",
	        "* STATUS x (MESSAGES 1 UNSEEN)",
	        "* STATUS x ((MESSAGES) 1)",
	        "* STATUS x MESSAGES 1",
	        "* STATUS (MESSAGES 1)",
	        "* STATUS x \"y\" (MESSAGES 1)",
	        "* STATUS",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_status_info st;
		cr_expect_eq(imap4_status_parse(&st, wire(bad[i])),
			     IMAP4_EPROTO, "%s", bad[i]);
		cr_expect_eq(st.have, 0);
		cr_expect_null(st.mailbox);
	}
	imap4_status_info st;
	cr_expect_eq(imap4_status_parse(&st, wire("* LIST () \"/\" x")),
		     IMAP4_EINVAL);
}
