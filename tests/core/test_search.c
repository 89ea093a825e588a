/* test_search.c - SEARCH, SORT and ESEARCH (RFC 3501, 5256, 4731, 7162). */
#include "view_test.h"

TestSuite(search, .init = view_setup, .fini = view_teardown);

static imap4_search_result search_ok(const char *text)
{
	imap4_search_result sr;
	int rc = imap4_search_parse(&sr, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", text, rc);
	return sr;
}

Test(search, rfc3501_search_and_empty)
{
	imap4_search_result sr = search_ok("* SEARCH 2 3 6");
	cr_assert_eq(sr.count, 3);
	cr_assert_eq(sr.nums[0], 2);
	cr_assert_eq(sr.nums[2], 6);
	cr_assert_not(sr.has_modseq);
	cr_assert_not(sr.esearch);

	sr = search_ok("* SEARCH");
	cr_assert_eq(sr.count, 0);
	cr_assert_null(sr.nums);
}

Test(search, condstore_modseq_rfc7162)
{
	imap4_search_result sr = search_ok(
		"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)");
	cr_assert_eq(sr.count, 10);
	cr_assert_eq(sr.nums[9], 23);
	cr_assert(sr.has_modseq);
	cr_assert_eq(sr.modseq, 917162500);
}

Test(search, sort_keeps_server_order)
{
	imap4_search_result sr = search_ok("* SORT 5 3 4294967295 1");
	cr_assert_eq(sr.count, 4);
	cr_assert_eq(sr.nums[0], 5);
	cr_assert_eq(sr.nums[2], 4294967295u);
}

Test(search, esearch_rfc4731_examples)
{
	imap4_search_result sr = search_ok("* ESEARCH (TAG \"A282\") MIN 2 COUNT 3");
	cr_assert(sr.esearch);
	cr_assert_str_eq(sr.tag, "A282");
	cr_assert_not(sr.uid);
	cr_assert_eq(sr.have, 1 | 4);
	cr_assert_eq(sr.min, 2);
	cr_assert_eq(sr.n, 3);

	sr = search_ok("* ESEARCH (TAG \"A283\") ALL 2,10:11");
	cr_assert_eq(sr.have, 8);
	cr_assert_eq(sr.all.count, 2);
	cr_assert(imap4_seqset_contains(&sr.all, 11, 0));
	cr_assert_not(imap4_seqset_contains(&sr.all, 3, 0));

	sr = search_ok("* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800");
	cr_assert(sr.uid);
	cr_assert_eq(sr.min, 7);
	cr_assert_eq(sr.max, 3800);

	sr = search_ok("* ESEARCH (TAG \"A286\") COUNT 0");
	cr_assert_eq(sr.have, 4);
	cr_assert_eq(sr.n, 0);

	sr = search_ok("* ESEARCH UID");
	cr_assert(sr.uid);
	cr_assert_null(sr.tag);
	cr_assert_eq(sr.have, 0);
}

Test(search, esearch_modseq_and_unknown_return_data)
{
	imap4_search_result sr = search_ok(
		"* ESEARCH (TAG \"a\" MAILBOX \"INBOX\" UIDVALIDITY 7) UID "
		"ALL 1:3,5 MODSEQ 1236 PARTIAL (1:10 1,3) RELEVANCY (4 5)");
	cr_assert_str_eq(sr.tag, "a");
	cr_assert(sr.has_modseq);
	cr_assert_eq(sr.modseq, 1236);
	cr_assert_eq(sr.have, 8);
}

Test(search, malformed_is_eproto)
{
	static const char *const bad[] = {
		"* SEARCH 0",
		"* SEARCH 1 x",
		"* SEARCH 4294967296",
		"* SEARCH \"1\"",
		"* SEARCH (MODSEQ 5) 3",
		"* SEARCH 1 (MODSEQ 0)",
		"* SEARCH 1 (MODSEQ)",
		"* SEARCH 1 (MODSEQ 9223372036854775808)",
		"* SEARCH 1 (FOO 5)",
		"* SORT 1 -2",
		"* ESEARCH (TAG \"x\") MIN 0",
		"* ESEARCH (TAG \"x\") MAX 4294967296",
		"* ESEARCH ALL 1:*",
		"* ESEARCH ALL 0",
		"* ESEARCH ALL (1)",
		"* ESEARCH COUNT -1",
		"* ESEARCH MIN",
		"* ESEARCH (TAG \"x\") MIN 9 MAX 3",
		"* ESEARCH (TAG) MIN 1",
		"* ESEARCH (TAG (x)) MIN 1",
		"* ESEARCH (TAG \"x\") \"MIN\" 1",
		"* ESEARCH MODSEQ 0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_search_result sr;
		cr_expect_eq(imap4_search_parse(&sr, wire(bad[i])),
			     IMAP4_EPROTO, "%s", bad[i]);
		cr_expect_eq(sr.count, 0);
		cr_expect_eq(sr.have, 0);
		cr_expect_not(sr.esearch);
	}
	imap4_search_result sr;
	cr_expect_eq(imap4_search_parse(&sr, wire("* 1 EXISTS")), IMAP4_EINVAL);
	cr_expect_eq(imap4_search_parse(NULL, wire("* SEARCH")), IMAP4_EINVAL);
}
