/* test_fetch_prefix.c - which item a streamed FETCH literal belongs to. */
#include <criterion/criterion.h>
#include <string.h>

#include "imap4.h"
#include "proto/fetch.h"

static int prefix(uint32_t *seq, char *item, size_t itemlen, const char *p)
{
	return imap4_fetch_prefix_parse(seq, item, itemlen, p, strlen(p));
}

Test(fetch_prefix, first_and_later_items)
{
	uint32_t seq;
	char item[64];
	cr_assert_eq(prefix(&seq, item, sizeof(item), "* 4 FETCH (BODY[] "), 0);
	cr_assert_eq(seq, 4);
	cr_assert_str_eq(item, "BODY[]");

	cr_assert_eq(prefix(&seq, item, sizeof(item),
			    "* 4294967295 FETCH (UID 9 FLAGS (\\Seen $x) "
			    "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
			    "BODY[HEADER.FIELDS (FROM TO)]<0> "),
		     0);
	cr_assert_eq(seq, 4294967295u);
	cr_assert_str_eq(item, "BODY[HEADER.FIELDS (FROM TO)]<0>");

	cr_assert_eq(prefix(&seq, item, sizeof(item),
			    "* 1 fetch (uid 9 binary[2] "),
		     0);
	cr_assert_str_eq(item, "binary[2]");
}

Test(fetch_prefix, earlier_literals_are_skipped_whole)
{
	static const char p[] = "* 8 FETCH (BODY[HEADER] {13}\r\nA: b\r\n) (\r\n\r\n"
				" X \"q\\\"(\" BINARY[1] ~{2}\r\n\0) BODY[TEXT] ";
	uint32_t seq;
	char item[32];
	cr_assert_eq(imap4_fetch_prefix_parse(&seq, item, sizeof(item), p,
					      sizeof(p) - 1),
		     0);
	cr_assert_eq(seq, 8);
	cr_assert_str_eq(item, "BODY[TEXT]");
}

Test(fetch_prefix, literal_nested_in_a_value)
{
	uint32_t seq;
	char item[32];
	cr_assert_eq(prefix(&seq, item, sizeof(item),
			    "* 2 FETCH (UID 3 ENVELOPE (NIL "),
		     0);
	cr_assert_str_eq(item, "ENVELOPE");
	cr_assert_eq(prefix(&seq, item, sizeof(item),
			    "* 2 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" "
			    "NIL NIL NIL \"7bit\" 1 1)("),
		     0);
	cr_assert_str_eq(item, "BODYSTRUCTURE");
}

/* 8-bit bytes in atoms (a keyword as unquoted UTF-8), as the lexer takes
 * them: they neither end a value nor start a literal. */
Test(fetch_prefix, eight_bit_atoms_are_skipped)
{
	uint32_t seq;
	char item[32];
	cr_assert_eq(prefix(&seq, item, sizeof(item),
	                    "* 2 FETCH (UID 2 FLAGS (\\Seen B\xc3\xbcro) "
	                    "BODY[] "),
	             0);
	cr_assert_eq(seq, 2);
	cr_assert_str_eq(item, "BODY[]");
	cr_assert_eq(prefix(&seq, item, sizeof(item),
	                    "* 2 FETCH (X-GM-LABELS (Entw\xc3\xbcrfe "),
	             0);
	cr_assert_str_eq(item, "X-GM-LABELS");
	cr_assert_eq(prefix(&seq, item, sizeof(item),
	                    "* 2 FETCH (FLAGS (B\xc3\xbcro"),
	             IMAP4_EPROTO);
}

Test(fetch_prefix, not_a_fetch_prefix)
{
	static const char *const bad[] = {
		"",
		"* 4 FETCH (",
		"* 0 FETCH (BODY[] ",
		"* 4294967296 FETCH (BODY[] ",
		"* 4 EXISTS ",
		"4 FETCH (BODY[] ",
		"* 4 FETCH BODY[] ",
		"* 4 FETCH (UID 9",
		"* 4 FETCH (UID 9 ",
		"* 4 FETCH (UID 9) ",
		"* 4 FETCH (UID 9 BODY[]",
		"* 4 FETCH (BODY[] \"abc",
		"* 4 FETCH (BODY[] {5}\r\nab",
		"* 4 FETCH (BODY[] {99999999999999999999}\r\n",
		"* 4 FETCH (BODY[] {x}\r\n",
		"* 4 FETCH (X (a b) ",
		"* 4 FETCH (X (a b))",
		"* 4 FETCH (X (a b)))",
		"* 4 FETCH (UID 9\r\n BODY[] ",
		"* 4 FETCH (BODY[ ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint32_t seq = 77;
		char item[32] = "junk";
		int rc = prefix(&seq, item, sizeof(item), bad[i]);
		cr_expect_eq(rc, IMAP4_EPROTO, "\"%s\" gave %d", bad[i], rc);
		cr_expect_eq(seq, 0);
		cr_expect_str_eq(item, "");
	}
}

Test(fetch_prefix, small_buffer_and_bad_arguments)
{
	uint32_t seq;
	char item[6];
	cr_expect_eq(prefix(&seq, item, sizeof(item), "* 4 FETCH (BODY[] "),
		     IMAP4_ELIMIT);
	cr_expect_str_eq(item, "");
	cr_expect_eq(prefix(&seq, item, sizeof(item), "* 4 FETCH (BODY "), 0);
	cr_expect_str_eq(item, "BODY");
	cr_expect_eq(imap4_fetch_prefix_parse(NULL, item, 6, "x", 1),
		     IMAP4_EINVAL);
	cr_expect_eq(imap4_fetch_prefix_parse(&seq, NULL, 6, "x", 1),
		     IMAP4_EINVAL);
	cr_expect_eq(imap4_fetch_prefix_parse(&seq, item, 6, NULL, 1),
		     IMAP4_EINVAL);
}
