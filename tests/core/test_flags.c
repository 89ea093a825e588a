/* test_flags.c - imaplib.Int2AP and imaplib.ParseFlags parity. */
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdlib.h>

Test(int2ap, values)
{
	char buf[17];

	imap4_int2ap(buf, 0);
	cr_assert_str_eq(buf, ""); /* imaplib: b'' */
	imap4_int2ap(buf, 1);
	cr_assert_str_eq(buf, "B");
	imap4_int2ap(buf, 15);
	cr_assert_str_eq(buf, "P");
	imap4_int2ap(buf, 16);
	cr_assert_str_eq(buf, "BA");
	imap4_int2ap(buf, 0x1234);
	cr_assert_str_eq(buf, "BCDE");
	imap4_int2ap(buf, UINT64_MAX);
	cr_assert_str_eq(buf, "PPPPPPPPPPPPPPPP");
}

static void expect_flags(const char *resp, size_t n, const char *const *want)
{
	char **flags = NULL;
	size_t count = 99;

	cr_assert_eq(imap4_parse_flags(&flags, &count, resp), 0);
	cr_assert_eq(count, n, "%zu flags in \"%s\"", count, resp);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(flags[i], want[i]);
	cr_assert_null(flags[n]);
	free(flags);
}

Test(parse_flags, fetch_response)
{
	const char *want[] = {"\\Seen", "\\Answered", "$Label1"};
	expect_flags("1 (UID 5 FLAGS (\\Seen \\Answered $Label1))", 3, want);
}

Test(parse_flags, empty_and_absent)
{
	expect_flags("1 (FLAGS ())", 0, NULL);
	expect_flags("1 (UID 5)", 0, NULL);
	expect_flags("", 0, NULL);
	/* no closing parenthesis: imaplib's regex does not match */
	expect_flags("1 (FLAGS (\\Seen", 0, NULL);
	/* case matters to the regex */
	expect_flags("1 (flags (\\Seen))", 0, NULL);
}

Test(parse_flags, last_match_wins)
{
	/* ".*" is greedy: the last "FLAGS (" with a ")" after it */
	const char *want[] = {"b"};
	expect_flags("X FLAGS (a) Y FLAGS (b)", 1, want);
	const char *first[] = {"a"};
	expect_flags("X FLAGS (a) Y FLAGS (b", 1, first);
}

Test(parse_flags, first_line_only)
{
	/* ".*" stops at a newline, "[^)]*" does not */
	expect_flags("X\nFLAGS (a)", 0, NULL);
	const char *want[] = {"a", "b"};
	expect_flags("FLAGS (a\r\nb)", 2, want);
}

Test(parse_flags, whitespace)
{
	const char *want[] = {"\\Seen", "x"};
	expect_flags("FLAGS (  \\Seen\t\vx \f)", 2, want);
}

Test(parse_flags, invalid_arguments)
{
	char **flags = (char **)1;
	size_t n = 7;
	cr_assert_eq(imap4_parse_flags(&flags, &n, NULL), IMAP4_EINVAL);
	cr_assert_null(flags);
	cr_assert_eq(n, 0);
	cr_assert_eq(imap4_parse_flags(NULL, &n, "FLAGS ()"), IMAP4_EINVAL);
	/* count is optional */
	cr_assert_eq(imap4_parse_flags(&flags, NULL, "FLAGS (a)"), 0);
	cr_assert_str_eq(flags[0], "a");
	free(flags);
}
