/* test_vanished.c - VANISHED (RFC 7162 3.2.10, 7). */
#include "view_test.h"

TestSuite(vanished, .init = view_setup, .fini = view_teardown);

Test(vanished, earlier_from_qresync_select)
{
	imap4_vanished v;
	cr_assert_eq(imap4_vanished_parse(
			     &v, wire("* VANISHED (EARLIER) "
				      "41,43:116,118,120:211,214:540")),
		     0);
	cr_assert(v.earlier);
	cr_assert_eq(v.uids.count, 5);
	cr_assert(imap4_seqset_contains(&v.uids, 41, 0));
	cr_assert_not(imap4_seqset_contains(&v.uids, 42, 0));
	cr_assert(imap4_seqset_contains(&v.uids, 540, 0));
	cr_assert_not(imap4_seqset_contains(&v.uids, 541, 0));
}

Test(vanished, live_expunge)
{
	imap4_vanished v;
	cr_assert_eq(imap4_vanished_parse(&v, wire("* VANISHED 405,407,410,425")),
		     0);
	cr_assert_not(v.earlier);
	cr_assert_eq(v.uids.count, 4);
	cr_assert_eq(v.uids.ranges[3].lo, 425);
}

Test(vanished, malformed_is_eproto_and_empty)
{
	static const char *const bad[] = {
		"* VANISHED 1:*",	  "* VANISHED (LATER) 1",
		"* VANISHED",		  "* VANISHED 0",
		"* VANISHED (EARLIER)",	  "* VANISHED 1 2",
		"* VANISHED \"1\"",	  "* VANISHED 4294967296",
		"* VANISHED (EARLIER EARLIER) 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_vanished v;
		cr_expect_eq(imap4_vanished_parse(&v, wire(bad[i])),
			     IMAP4_EPROTO, "%s", bad[i]);
		cr_expect_not(v.earlier);
		cr_expect_eq(v.uids.count, 0);
	}
	imap4_vanished v;
	cr_expect_eq(imap4_vanished_parse(&v, wire("* 3 EXPUNGE")),
		     IMAP4_EINVAL);
}
