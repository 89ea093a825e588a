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
	cr_assert_str_eq(r.why, "a malformed response: \"HTTP/1.1 400 "
	                        "\\x1b[2J\"");
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
	cr_assert_str_eq(r.why, "a malformed response: \"* 1 FETCH (FLAGS "
	                        "(\\\\Seen k\\x01) X \\\"a\\\")\"");
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
