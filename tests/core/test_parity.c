/* test_parity.c - where libimap4 differed from Python 3.11's imaplib in
 * what it sends or leaves behind: APPEND's line ends and date-time as a
 * string, caller mistakes that made a command wait for its timeout,
 * STORE's item, and imap4_recent's completion. Each test fails without
 * its fix. */
#include "api_test.h"

#include <stdio.h>
#include <stdlib.h>

#define PREAUTH "S: * PREAUTH [CAPABILITY IMAP4rev1 CONDSTORE] hi\n"

/* What the client sent, without the tags (which are random). */
static const char *sent(const struct api_test *t, char *buf, size_t cap)
{
	const char *p = fake_server_transcript(t->fs);
	size_t o = 0;

	cr_assert_not_null(p);
	while (*p && o + 1 < cap) {
		const char *sp = strchr(p, ' ');
		const char *nl = strchr(p, '\n');

		if (sp && (!nl || sp < nl))
			p = sp + 1;
		while (*p && o + 1 < cap) {
			buf[o++] = *p;
			if (*p++ == '\n')
				break;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* imaplib's MapCRLF (br'\r\n|\r|\n'): a lone CR is a line end as much as
 * a lone LF, and the literal's size counts the CRLF each becomes. */
Test(parity, append_makes_every_line_end_crlf)
{
	struct api_test t;
	imap4 *h = api_open(
	        &t,
	        PREAUTH "C: $TAG APPEND X {4}\n"
	                "S: + go\n"
	                "C= a\\r\\nb\\r\\n\n"
	                "S: $TAG OK\n"
	                "C: $TAG APPEND X {16}\n"
	                "S: + go\n"
	                "C= \\r\\na\\r\\nb\\r\\nc\\r\\n\\r\\nd\\r\\n\\r\\n\n"
	                "S: $TAG OK\n",
	        NULL);

	cr_assert_eq(imap4_append(h, "X", NULL, -1, "a\rb", 3), IMAP4_OK);
	/* lone LF, CRLF, lone CR, LF then CR, final CR: 11 bytes, 16 as
	 * imaplib's MapCRLF.sub(CRLF, ...) gives them */
	cr_assert_eq(imap4_append(h, "X", NULL, -1, "\na\r\nb\rc\n\rd\r", 11),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

struct pieces {
	const char *const *p; /* NULL-terminated */
	size_t i;
};

static ssize_t read_pieces(void *payload, void *buf, size_t cap)
{
	struct pieces *s = payload;
	const char *p = s->p[s->i];
	size_t n;

	if (p == NULL)
		return 0;
	n = strlen(p);
	cr_assert_leq(n, cap, "the test gives pieces that fit");
	memcpy(buf, p, n);
	s->i++;
	return (ssize_t)n;
}

/* The stream gets the same mapping, across pieces: a CR that ends one
 * piece and the LF that starts the next are one line end. */
Test(parity, append_stream_maps_line_ends_across_pieces)
{
	static const char *const src[] = {"a\r", "\nb\r", "c\n", "\r",
	                                  "\n",  "d\r",   NULL};
	struct pieces s = {src, 0};
	struct api_test t;
	imap4 *h =
	        api_open(&t,
	                 PREAUTH "C: $TAG APPEND X {14}\n"
	                         "S: + go\n"
	                         "C= a\\r\\nb\\r\\nc\\r\\n\\r\\nd\\r\\n\\r\\n\n"
	                         "S: $TAG OK\n",
	                 NULL);

	cr_assert_eq(imap4_append_stream(h, "X", NULL, -1, 14, read_pieces, &s),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* A final CR whose LF comes after the announced size is that line's end,
 * not more message. */
Test(parity, append_stream_takes_the_lf_of_a_final_crlf)
{
	static const char *const src[] = {"x\r", "\n", NULL};
	struct pieces s = {src, 0};
	struct api_test t;
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG APPEND X {3}\n"
	                            "S: + go\n"
	                            "C= x\\r\\n\\r\\n\n"
	                            "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_append_stream(h, "X", NULL, -1, 3, read_pieces, &s),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* A size counted before the mapping is short of the message: the APPEND
 * fails before its literal is complete, and the connection is dropped. */
Test(parity, append_stream_size_counts_mapped_line_ends)
{
	static const char *const src[] = {"a\rb", NULL};
	struct pieces s = {src, 0};
	struct api_test t;
	char buf[256];
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG APPEND X {3}\n"
	                            "S: + go\n"
	                            "EOF\n",
	                    NULL);

	cr_assert_eq(imap4_append_stream(h, "X", NULL, -1, 3, read_pieces, &s),
	             IMAP4_EINVAL);
	cr_assert(strstr(imap4_last_error(h)->message, "went on after the 3"),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	cr_assert_str_eq(sent(&t, buf, sizeof(buf)), "APPEND X {3}\r\n");
	api_done(&t);
}

/* A caller mistake that would leave the server waiting for a literal (a
 * flag list left open before APPEND's, a raw argument ending in "{N}")
 * fails at once, nothing sent, and the handle goes on. */
static void refused(imap4 *h, int rc, const char *what)
{
	cr_assert_eq(rc, IMAP4_EINVAL, "%s: %d", what, rc);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR, "%s", what);
	cr_assert(strstr(imap4_last_error(h)->message, "nothing was sent"),
	          "%s: %s", what, imap4_last_error(h)->message);
}

Test(parity, arguments_that_would_hang_are_refused)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG SELECT INBOX\n"
	                            "S: $TAG OK\n"
	                            "C: $TAG NOOP\n"
	                            "S: $TAG OK\n",
	                    NULL);
	const char msg[] = "Subject: x\r\n\r\nhi\r\n";
	char buf[256];

	refused(h, imap4_append(h, "T24", "(\\Seen", -1, msg, 9),
	        "open flag list");
	cr_assert(strstr(imap4_last_error(h)->message,
	                 "APPEND: \"(\\\\Seen\" is no list of flags"),
	          "%s", imap4_last_error(h)->message);
	/* explore37: two lists, or a list and a date, balance and still
	 * leave Dovecot waiting for the rest of the command. */
	refused(h, imap4_append(h, "T24", "(\\Seen) (\\Draft)", -1, msg, 9),
	        "two flag lists");
	refused(h, imap4_append(h, "T24", "(\\Seen)(\\Draft)", -1, msg, 9),
	        "two flag lists without a space");
	refused(h,
	        imap4_append(h, "T24",
	                     "(\\Seen) \"01-Jan-2020 10:00:00 +0000\"", -1, msg,
	                     9),
	        "a date in the flags");
	refused(h, imap4_append(h, "T24", "(\\Seen  \\Draft)", -1, msg, 9),
	        "two spaces");
	refused(h, imap4_append(h, "T24", "(\\*)", -1, msg, 9), "\\*");
	/* explore37: sent as a bare tag. */
	refused(h, imap4_xatom(h, NULL, NULL), "xatom without a name");
	refused(h, imap4_xatom(h, "", "x"), "xatom with an empty name");
	refused(h, imap4_append(h, "T24", "\\Seen)", -1, msg, 9),
	        "flag list closed twice");
	refused(h, imap4_append(h, "T24", "(\\Seen \"a)", -1, msg, 9),
	        "open quoted string");
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	refused(h, imap4_search(h, NULL, "SUBJECT {5}"), "literal header");
	cr_assert(strstr(imap4_last_error(h)->message, "literal header"), "%s",
	          imap4_last_error(h)->message);
	refused(h, imap4_search(h, NULL, "SUBJECT {13+}"), "LITERAL+ header");
	refused(h, imap4_uid(h, "SEARCH", "SUBJECT {0}"), "UID, literal");
	refused(h, imap4_store(h, "1", "+FLAGS", "(\\Seen"), "STORE flags");
	refused(h, imap4_store(h, "1", "+FLAGS", "(\\Seen [x)"),
	        "STORE flags, open bracket");
	refused(h, imap4_store(h, "1", "(UNCHANGEDSINCE 1 +FLAGS", "\\Seen"),
	        "STORE item");
	refused(h, imap4_status(h, "INBOX", "(MESSAGES"), "STATUS items");
	/* glued by the format into a header at the end of the line */
	refused(h, imap4_command(h, NULL, NULL, "SEARCH SUBJECT {%u}", 5u),
	        "format");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_str_eq(sent(&t, buf, sizeof(buf)),
	                 "SELECT INBOX\r\nNOOP\r\n");
	api_done(&t);
}

/* What pairs up, or sits in a quoted string, is not a mistake. */
Test(parity, balanced_arguments_are_sent_as_written)
{
	struct api_test t;
	imap4 *h = api_open(
	        &t,
	        PREAUTH
	        "C: $TAG SELECT INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG STORE 1 +X-GM-LABELS (\"(a\" \"b]\" [Gmail]/x)\n"
	        "S: $TAG OK\n"
	        "C: $TAG SEARCH SUBJECT \"{5}\" {5}x\n"
	        "S: $TAG OK\n",
	        NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_store(h, "1", "+X-GM-LABELS",
	                         "(\"(a\" \"b]\" [Gmail]/x)"),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_search(h, NULL, "SUBJECT \"{5}\" {5}x"), IMAP4_OK,
	             "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* imaplib sends STORE's item as it is given, so that the CONDSTORE form
 * (RFC 7162 3.1.3) works. */
Test(parity, store_unchangedsince)
{
	struct api_test t;
	char buf[128];
	imap4 *h = api_open(
	        &t,
	        PREAUTH "C: $TAG SELECT INBOX\n"
	                "S: $TAG OK\n"
	                "C: $TAG STORE 1,2 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)\n"
	                "S: * 1 FETCH (MODSEQ (5) FLAGS (\\\\Seen))\n"
	                "S: $TAG OK [MODIFIED 2] conditional STORE failed\n",
	        NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(
	        imap4_store(h, "1,2", "(UNCHANGEDSINCE 1) +FLAGS", "(\\Seen)"),
	        IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(api_data(h, 0, buf, sizeof(buf)),
	                 "* 1 FETCH (MODSEQ (5) FLAGS (\\Seen))");
	cr_assert_str_eq(imap4_completion(h)->code, "MODIFIED");
	api_done(&t);
}

/* imap4_recent answered from its cache sends nothing: it must not leave
 * the previous command's completion, data or error as if they were its
 * own. When it asks with a NOOP, they are the NOOP's. */
Test(parity, recent_from_cache_leaves_no_completion)
{
	struct api_test t;
	long recent = 0;
	char buf[256];
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG SELECT INBOX\n"
	                            "S: * 3 RECENT\n"
	                            "S: * 1 EXPUNGE\n"
	                            "S: $TAG NO [X-ODD] selected anyway\n"
	                            "C: $TAG NOOP\n"
	                            "S: $TAG OK noop done\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_NO);
	cr_assert_not_null(imap4_completion(h));
	cr_assert_eq(imap4_recent(h, &recent), IMAP4_OK);
	cr_assert_eq(recent, 3);
	cr_assert_null(imap4_completion(h));
	cr_assert_eq(imap4_data_count(h), 0);
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_null(imap4_last_error(h)->server_code);
	cr_assert_str_eq(sent(&t, buf, sizeof(buf)), "SELECT INBOX\r\n");

	cr_assert_eq(imap4_recent(h, &recent), IMAP4_OK);
	cr_assert_eq(recent, -1);
	cr_assert_str_eq(imap4_completion(h)->text, "noop done");
	api_done(&t);
}

/* imaplib's append() takes date_time as a string in INTERNALDATE form
 * ('"01-Jan-2020 10:00:00 +0530"') and sends it with its zone; -1 is an
 * instant imap4_append cannot send. */
Test(parity, append_internaldate_sends_the_date_as_given)
{
	struct api_test t;
	const char *const pieces[] = {"hi\r\n", NULL};
	struct pieces src = {.p = pieces};
	imap4 *h = api_open(
	        &t,
	        PREAUTH "C: $TAG APPEND X \"01-Jan-2020 10:00:00 +0530\" {2}\n"
	                "S: + go\n"
	                "C= hi\\r\\n\n"
	                "S: $TAG OK\n"
	                "C: $TAG APPEND X (\\Seen) \"31-Dec-1969 23:59:59 "
	                "+0000\" {2}\n"
	                "S: + go\n"
	                "C= hi\\r\\n\n"
	                "S: $TAG OK\n"
	                "C: $TAG APPEND X \" 7-jul-1996 02:44:25 -0700\" {4}\n"
	                "S: + go\n"
	                "C= hi\\r\\n\\r\\n\n"
	                "S: $TAG OK\n"
	                "C: $TAG APPEND X {2}\n"
	                "S: + go\n"
	                "C= hi\\r\\n\n"
	                "S: $TAG OK\n"
	                "C: $TAG APPEND X \"29-Feb-2024 23:59:60 -1200\" {4}\n"
	                "S: + go\n"
	                "C= hi\\r\\n\\r\\n\n"
	                "S: $TAG OK\n",
	        NULL);

	cr_assert_eq(imap4_append_internaldate(h, "X", NULL,
	                                       "\"01-Jan-2020 10:00:00 +0530\"",
	                                       "hi", 2),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_append_internaldate(h, "X", "\\Seen",
	                                       "31-Dec-1969 23:59:59 +0000",
	                                       "hi", 2),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_append_internaldate(h, "X", NULL,
	                                       " 7-jul-1996 02:44:25 -0700",
	                                       "hi\n", 3),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_append_internaldate(h, "X", NULL, NULL, "hi", 2),
	             IMAP4_OK);
	cr_assert_eq(imap4_append_stream_internaldate(
	                     h, "X", NULL, "29-Feb-2024 23:59:60 -1200", 4,
	                     read_pieces, &src),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* Anything but RFC 3501's date-time is refused before a byte is sent. */
Test(parity, append_internaldate_refuses_other_dates)
{
	static const char *const bad[] = {
	        "",
	        "\"\"",
	        "1-Jan-2020 10:00:00 +0530", /* the day: "01" or " 1" */
	        "\"1-Jan-2020 10:00:00 +0530\"",
	        " 12-Jan-2020 10:00:00 +0530",
	        "01-Jan-2020 10:00:00", /* no zone */
	        "01-Jan-2020 10:00 +0530",
	        "01-Jan-20 10:00:00 +0530",
	        "01-Foo-2020 10:00:00 +0530",
	        "31-Feb-2020 10:00:00 +0530", /* out of range */
	        "00-Jan-2020 10:00:00 +0530",
	        "01-Jan-2020 24:00:00 +0530",
	        "01-Jan-2020 10:60:00 +0530",
	        "01-Jan-2020 10:00:00 +0560",
	        "01-Jan-2020 10:00:00 +2400",
	        "01-Jan-2020 10:00:00 0530",
	        "\"01-Jan-2020 10:00:00 +0530", /* quotes unpaired */
	        "01-Jan-2020 10:00:00 +0530\"",
	        "01-Jan-2020 10:00:00 +0530 ", /* anything around it */
	        " 01-Jan-2020 10:00:00 +0530",
	        "\"01-Jan-2020 10:00:00 +0530\" ",
	        "INTERNALDATE \"01-Jan-2020 10:00:00 +0530\"",
	        "Wed, 01 Jan 2020 10:00:00 +0530",
	        "01-Jan-2020 10:00:00 +0530\r\nX CREATE pwned",
	        "\"01-Jan-2020 10:00:00 +0530\" {5}",
	};
	const char *const pieces[] = {"hi", NULL};
	struct pieces src = {.p = pieces};
	struct api_test t;
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG NOOP\n"
	                            "S: $TAG OK\n",
	                    NULL);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(imap4_append_internaldate(h, "X", NULL, bad[i],
		                                       "hi", 2),
		             IMAP4_EINVAL, "took \"%s\"", bad[i]);
		cr_assert(strstr(imap4_last_error(h)->message, "nothing was "
		                                               "sent"),
		          "%s", imap4_last_error(h)->message);
		cr_assert_eq(
		        imap4_append_stream_internaldate(h, "X", NULL, bad[i],
		                                         2, read_pieces, &src),
		        IMAP4_EINVAL, "took \"%s\"", bad[i]);
	}
	cr_assert_eq(src.i, 0, "the source was read");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* An instant past the years 0001 to 9999 has no date-time: imap4_append
 * refuses it before a byte is sent, where it once sent 31-Dec-9999, an
 * instant the caller never gave. Year 0000, which imaplib can neither
 * write nor read back, is no date to send either. */
Test(parity, append_refuses_a_date_it_cannot_write)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    PREAUTH "C: $TAG NOOP\n"
	                            "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(
	        imap4_append(h, "X", NULL, (time_t)400000000000LL, "hi", 2),
	        IMAP4_EINVAL);
	cr_assert(strstr(imap4_last_error(h)->message, "nothing was sent"),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_append_internaldate(h, "X", NULL,
	                                       "01-Jan-0000 10:00:00 +0000",
	                                       "hi", 2),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}
