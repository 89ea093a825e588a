/* test_envelope_header.c - imap4_envelope_from_header: the ENVELOPE a
 * server builds from a header (RFC 3501 7.4.2 over RFC 5322 3.4 and 4.4).
 * The expected values are what Dovecot 2.3 sent for the same headers
 * (test_core_envelope.c checks that against a running one). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap4.h"

static struct imap4_arena *arena;

static void setup(void)
{
	arena = imap4_arena_new(0);
	cr_assert_not_null(arena);
}

static void teardown(void)
{
	imap4_arena_free(&arena);
}

TestSuite(envelope_header, .init = setup, .fini = teardown);

static const imap4_envelope *env(const char *header)
{
	const imap4_envelope *e = NULL;
	cr_assert_eq(
	        imap4_envelope_from_header(&e, arena, header, strlen(header)),
	        0);
	cr_assert_not_null(e);
	return e;
}

/* An address list as "(name|adl|mailbox|host)..." with NIL for NULL. */
static const char *show(const imap4_address *a)
{
	static char buf[2048];
	size_t used = 0;
	buf[0] = '\0';
	for (; a; a = a->next)
		used += (size_t)snprintf(
		        buf + used, sizeof(buf) - used, "(%s|%s|%s|%s)",
		        a->name ? a->name : "NIL", a->adl ? a->adl : "NIL",
		        a->mailbox ? a->mailbox : "NIL",
		        a->host ? a->host : "NIL");
	return buf;
}

Test(envelope_header, plain_fields)
{
	const imap4_envelope *e =
	        env("From: John Doe <jdoe@machine.example>\r\n"
	            "To: Mary Smith <mary@example.net>\r\n"
	            "Subject: Saying Hello\r\n"
	            "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
	            "Message-ID: <1234@local.machine.example>\r\n"
	            "In-Reply-To: <1@x> <2@y>\r\n"
	            "\r\n"
	            "To: not@the.header\r\n");
	cr_assert_str_eq(e->date, "Fri, 21 Nov 1997 09:55:06 -0600");
	cr_assert_str_eq(e->subject, "Saying Hello");
	cr_assert_str_eq(e->message_id, "<1234@local.machine.example>");
	cr_assert_str_eq(e->in_reply_to, "<1@x> <2@y>");
	cr_assert_str_eq(show(e->from), "(John Doe|NIL|jdoe|machine.example)");
	cr_assert_eq(e->sender, e->from);
	cr_assert_eq(e->reply_to, e->from);
	cr_assert_str_eq(show(e->to), "(Mary Smith|NIL|mary|example.net)");
	cr_assert_null(e->cc);
	cr_assert_null(e->bcc);
}

Test(envelope_header, nothing_there_is_nil)
{
	const imap4_envelope *e = env("X-Other: 1\r\n\r\n");
	cr_assert_null(e->date);
	cr_assert_null(e->subject);
	cr_assert_null(e->from);
	cr_assert_null(e->sender);
	cr_assert_null(e->reply_to);
	cr_assert_null(e->to);
	cr_assert_null(e->message_id);
	e = env("");
	cr_assert_null(e->from);
}

Test(envelope_header, strings_unfolded_trimmed_tabs_spaced)
{
	const imap4_envelope *e = env("Subject:   lead and trail   \r\n"
	                              "Message-ID:\r\n"
	                              "In-Reply-To: a\tb\r\n");
	cr_assert_str_eq(e->subject, "lead and trail");
	cr_assert_str_eq(e->message_id, "");
	cr_assert_str_eq(e->in_reply_to, "a b");
	e = env("Subject: =?utf-8?q?J=C3=B6rg?=\r\n folded line\r\n");
	cr_assert_str_eq(e->subject, "=?utf-8?q?J=C3=B6rg?= folded line");
	e = env("sUbJeCt : spaced name\nDATE: Mon, 1 Jan 2001 00:00:00 "
	        "GMT\n");
	cr_assert_str_eq(e->subject, "spaced name");
	cr_assert_str_eq(e->date, "Mon, 1 Jan 2001 00:00:00 GMT");
	e = env("Subject: \xe9t\xe9 8-bit\r\n");
	cr_assert_str_eq(e->subject, "\xe9t\xe9 8-bit");
}

Test(envelope_header, repeated_fields)
{
	const imap4_envelope *e = env("From: name.with.dots <d@x.y>\r\n"
	                              "From: second@x.y\r\n"
	                              "Subject: first\r\nSubject: second\r\n");
	cr_assert_str_eq(e->subject, "second");
	cr_assert_str_eq(show(e->from),
	                 "(name.with.dots|NIL|d|x.y)(NIL|NIL|second|x.y)");
}

Test(envelope_header, empty_sender_and_reply_to_are_from)
{
	const imap4_envelope *e = env("From: a@b\r\nSender: \r\n"
	                              "Reply-To: (nobody)\r\n");
	cr_assert_eq(e->sender, e->from);
	cr_assert_eq(e->reply_to, e->from);
	e = env("From: a@b\r\nSender: s@b\r\n");
	cr_assert_str_eq(show(e->sender), "(NIL|NIL|s|b)");
}

Test(envelope_header, rfc5322_appendix_a)
{
	const imap4_envelope *e =
	        env("From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
	            "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? "
	            "<one@y.test>\r\n"
	            "Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	            "<sysservices@example.net>\r\n");
	cr_assert_str_eq(show(e->from),
	                 "(Joe Q. Public|NIL|john.q.public|example.com)");
	cr_assert_str_eq(show(e->to), "(Mary Smith|NIL|mary|x.test)"
	                              "(NIL|NIL|jdoe|example.org)"
	                              "(Who?|NIL|one|y.test)");
	cr_assert_str_eq(show(e->cc),
	                 "(NIL|NIL|boss|nil.test)"
	                 "(Giant; \"Big\" Box|NIL|sysservices|example.net)");
}

Test(envelope_header, comments_everywhere)
{
	const imap4_envelope *e = env(
	        "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	        "host)>\r\n"
	        "To:A Group(Some people)\r\n"
	        "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	        "         joe@example.org,\r\n"
	        "  John <jdoe@one.test> (my dear friend); (the end of the "
	        "group)\r\n"
	        "Cc:(Empty list)(start)Hidden recipients  :(nobody(that I "
	        "know))  ;\r\n");
	cr_assert_str_eq(show(e->from), "(Pete|NIL|pete|silly.test)");
	cr_assert_str_eq(show(e->to), "(NIL|NIL|A Group|NIL)"
	                              "(Chris Jones|NIL|c|public.example)"
	                              "(NIL|NIL|joe|example.org)"
	                              "(John|NIL|jdoe|one.test)"
	                              "(NIL|NIL|NIL|NIL)");
	cr_assert_str_eq(show(e->cc),
	                 "(NIL|NIL|Hidden recipients|NIL)(NIL|NIL|NIL|NIL)");
}

Test(envelope_header, a_comment_names_an_addr_spec)
{
	const imap4_envelope *e =
	        env("From: a@b.c (Real Name)\r\n"
	            "To: \"\" <e@x.y>, (comment only) e2@x.y, e3@x.y (c1) "
	            "(c2)\r\n"
	            "Cc: a(comment)@b.c, \"x\" y <z@w>\r\n");
	cr_assert_str_eq(show(e->from), "(Real Name|NIL|a|b.c)");
	cr_assert_str_eq(show(e->to), "(NIL|NIL|e|x.y)(NIL|NIL|e2|x.y)"
	                              "(c2|NIL|e3|x.y)");
	cr_assert_str_eq(show(e->cc), "(comment|NIL|a|b.c)(x y|NIL|z|w)");
}

Test(envelope_header, routes_and_obsolete_dots)
{
	const imap4_envelope *e =
	        env("To: Mary Smith <@node.test:mary@example.net>, jdoe@test "
	            " . example\r\n"
	            "Cc: <@route1,@route2:r@x.y>\r\n");
	cr_assert_str_eq(show(e->to), "(Mary Smith|@node.test|mary|example.net)"
	                              "(NIL|NIL|jdoe|test.example)");
	cr_assert_str_eq(show(e->cc), "(NIL|@route1,@route2|r|x.y)");
}

Test(envelope_header, missing_parts)
{
	const imap4_envelope *e =
	        env("From: MAILER-DAEMON\r\n"
	            "To: undisclosed-recipients:;\r\n"
	            "Cc: bad address with no at, <>, @, foo@, @bar, a@b@c\r\n"
	            "Bcc: \"q l\"@x.y, \"\"@x.y\r\n");
	cr_assert_str_eq(show(e->from),
	                 "(NIL|NIL|MAILER-DAEMON|MISSING_DOMAIN)");
	cr_assert_str_eq(show(e->to), "(NIL|NIL|undisclosed-recipients|NIL)"
	                              "(NIL|NIL|NIL|NIL)");
	cr_assert_str_eq(show(e->cc),
	                 "(bad address with no at|NIL|MISSING_MAILBOX|"
	                 "MISSING_DOMAIN)"
	                 "(NIL|NIL|MISSING_MAILBOX|MISSING_DOMAIN)"
	                 "(NIL|NIL|MISSING_MAILBOX|MISSING_DOMAIN)"
	                 "(NIL|NIL|foo|MISSING_DOMAIN)"
	                 "(NIL|NIL|MISSING_MAILBOX|bar)"
	                 "(NIL|NIL|a|b)");
	cr_assert_str_eq(show(e->bcc), "(NIL|NIL|q l|x.y)(NIL|NIL||x.y)");
}

/* RFC 5322 4.4: an empty member of a list is skipped (Dovecot gives it
 * an address of MISSING parts). */
Test(envelope_header, empty_members_skipped)
{
	const imap4_envelope *e = env("To: a@b, , ,c@d,\r\n");
	cr_assert_str_eq(show(e->to), "(NIL|NIL|a|b)(NIL|NIL|c|d)");
}

/* What no grammar allows ends where it must: unterminated quotes and
 * comments run to the end of their field, never into the next one. */
Test(envelope_header, unterminated_quotes_and_comments)
{
	const imap4_envelope *e = env("From: \"open <x@y>\r\n"
	                              "To: a@b (open comment\r\n"
	                              "Cc: <c@d\r\n"
	                              "Subject: after\r\n");
	cr_assert_not_null(e->from);
	cr_assert_null(e->from->next);
	cr_assert_str_eq(show(e->to), "(open comment|NIL|a|b)");
	cr_assert_str_eq(show(e->cc), "(NIL|NIL|c|d)");
	cr_assert_str_eq(e->subject, "after");
}

/* Bytes that are not text: a NUL made a space, CR and LF of folding
 * taken out, and a header without its empty line read to its end. */
Test(envelope_header, nul_and_no_end)
{
	const char h[] = "Subject: a\0b\r\nFrom: x\0y@z";
	const imap4_envelope *e = NULL;
	cr_assert_eq(imap4_envelope_from_header(&e, arena, h, sizeof(h) - 1),
	             0);
	cr_assert_str_eq(e->subject, "a b");
	cr_assert_str_eq(show(e->from), "(NIL|NIL|x y|z)");
}

Test(envelope_header, arguments_and_memory)
{
	const imap4_envelope *e = (const imap4_envelope *)1;
	cr_assert_eq(imap4_envelope_from_header(NULL, arena, "", 0),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_envelope_from_header(&e, NULL, "", 0), IMAP4_EINVAL);
	cr_assert_null(e);
	cr_assert_eq(imap4_envelope_from_header(&e, arena, NULL, 1),
	             IMAP4_EINVAL);
	/* NULL is refused whatever the length: "no header" is not an empty
	 * one, whose envelope is all NIL (explore75 t17) */
	e = (const imap4_envelope *)1;
	cr_assert_eq(imap4_envelope_from_header(&e, arena, NULL, 0),
	             IMAP4_EINVAL);
	cr_assert_null(e);
	cr_assert_eq(imap4_envelope_from_header(&e, arena, "", 0), 0);
	cr_assert_not_null(e);
	cr_assert_null(e->subject);
	/* an arena's cap is where it stops, with nothing half made */
	struct imap4_arena *small = imap4_arena_new(256);
	cr_assert_not_null(small);
	enum { N = 4000 };
	char *h = malloc(N * 4 + 8);
	cr_assert_not_null(h);
	memcpy(h, "To: ", 4);
	for (size_t i = 0; i < N; i++)
		memcpy(h + 4 + i * 4, "a@b,", 4);
	h[4 + N * 4] = '\0';
	e = (const imap4_envelope *)1;
	cr_assert_eq(imap4_envelope_from_header(&e, small, h, strlen(h)),
	             IMAP4_ENOMEM);
	cr_assert_null(e);
	imap4_arena_free(&small);
	free(h);
}

/* A list of 40,000 members (240 KB): each one an address, none lost.
 * Past IMAP4_ENVELOPE_FIELDS_MAX a field is left out whole, and the
 * fields after it still read. */
Test(envelope_header, long_lists)
{
	enum { N = 40000, OVER = 50000 };
	char *h = malloc(OVER * 6 + 64);
	cr_assert_not_null(h);
	size_t n = (size_t)sprintf(h, "To: ");
	for (size_t i = 0; i < N; i++) {
		memcpy(h + n, "x@y.z,", 6);
		n += 6;
	}
	const imap4_envelope *e = NULL;
	cr_assert_eq(imap4_envelope_from_header(&e, arena, h, n), 0);
	size_t count = 0;
	for (const imap4_address *a = e->to; a; a = a->next)
		count++;
	cr_assert_eq(count, N);

	n = (size_t)sprintf(h, "Cc: ");
	for (size_t i = 0; i < OVER; i++) {
		memcpy(h + n, "x@y.z,", 6);
		n += 6;
	}
	n += (size_t)sprintf(h + n, "\r\nSubject: after\r\n");
	cr_assert_eq(imap4_envelope_from_header(&e, arena, h, n), 0);
	cr_assert_null(e->cc);
	cr_assert_str_eq(e->subject, "after");
	free(h);
}

/* What senders get wrong, read the way they meant it: words before an
 * addr-spec are its name, words after it are not its domain; a lone
 * quoted string is a name; a domain with an empty label is no domain;
 * junk inside the brackets makes a SYNTAX_ERROR host. */
Test(envelope_header, broken_forms_are_not_glued)
{
	const imap4_envelope *e =
	        env("From: John Smith john@example.com\r\n"
	            "Sender: john@example.com John Smith\r\n"
	            "Reply-To: \"John\" john@example.com\r\n"
	            "To: \"a@b\", a@b., a@.b, <a@b@c>, <<a@b>>\r\n"
	            "Cc: first.last @ example . com, x (c) . y@z\r\n");
	cr_assert_str_eq(show(e->from), "(John Smith|NIL|john|example.com)");
	cr_assert_str_eq(show(e->sender), "(NIL|NIL|john|example.com)");
	cr_assert_str_eq(show(e->reply_to), "(John|NIL|john|example.com)");
	cr_assert_str_eq(show(e->to), "(a@b|NIL|MISSING_MAILBOX|MISSING_DOMAIN)"
	                              "(NIL|NIL|a|MISSING_DOMAIN)"
	                              "(NIL|NIL|a|MISSING_DOMAIN)"
	                              "(NIL|NIL|a|SYNTAX_ERROR)"
	                              "(NIL|NIL|MISSING_MAILBOX|SYNTAX_ERROR)");
	cr_assert_str_eq(show(e->cc), "(NIL|NIL|first.last|example.com)"
	                              "(c|NIL|x.y|z)");
}

Test(envelope_header, white_space_runs_are_one_space)
{
	const imap4_envelope *e = env("Subject: Re:  double  space\r\n"
	                              "Message-ID:\r\n <folded@x>\r\n"
	                              "In-Reply-To: line one\r\n    line "
	                              "two\t\t end\r\n");
	cr_assert_str_eq(e->subject, "Re: double space");
	cr_assert_str_eq(e->message_id, "<folded@x>");
	cr_assert_str_eq(e->in_reply_to, "line one line two end");
}

/* ---- the charset raw 8-bit text is read in (imap4_envelope.charset) */

Test(envelope_header, charset_of_raw_8bit_text_is_the_content_type_s)
{
	const imap4_envelope *e =
	        env("Subject: \x93\xfa\x96\x7b\x8c\xea\r\n"
	            "Content-Type: text/plain;\r\n\tcharset=\"Shift_JIS\"\r\n"
	            "From: a@x\r\n\r\n");
	cr_assert_str_eq(e->charset, "Shift_JIS");
	/* the strings stay as sent */
	cr_assert_str_eq(e->subject, "\x93\xfa\x96\x7b\x8c\xea");
	/* a display name's bytes count as well; the first Content-Type */
	e = env("From: \xf0\xd2\xc9\xd7\xc5\xd4 <p@x>\r\n"
	        "content-type : text/plain; charset=koi8-r\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	cr_assert_str_eq(e->charset, "koi8-r");
	/* imap4_header_decode reads them in it */
	char *s;
	cr_assert_eq(imap4_header_decode(&s, e->from->name,
	                                 strlen(e->from->name), e->charset),
	             0);
	cr_assert_str_eq(s, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	free(s);
}

/* ASCII strings need no charset (most headers: none is looked for); nor
 * is one made up where the message names none. */
Test(envelope_header, no_charset_without_raw_8bit_text_or_a_label)
{
	cr_assert_null(env("Subject: plain\r\n"
	                   "Content-Type: text/plain; charset=koi8-r\r\n\r\n")
	                       ->charset);
	cr_assert_null(env("Subject: \xfc\r\nContent-Type: text/plain\r\n\r\n")
	                       ->charset);
	cr_assert_null(env("Subject: \xfc\r\n\r\n")->charset);
	/* a Content-Type after the header is body, not the message's */
	cr_assert_null(env("Subject: \xfc\r\n\r\nContent-Type: text/plain; "
	                   "charset=koi8-r\r\n")
	                       ->charset);
}

/* A multipart message names its charset in its parts: the first text
 * part that names one, however deep (mixed around alternative), when the
 * body was given. */
Test(envelope_header, charset_of_the_first_text_part)
{
	const char *msg =
	        "Subject: \xc6\xfc\xcb\xdc\xb8\xec\r\n"
	        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	        "\r\n"
	        "preamble --outer is not a delimiter\r\n"
	        "--outer\r\n"
	        "Content-Type: multipart/alternative; boundary=in\r\n"
	        "\r\n"
	        "--in\r\n"
	        "Content-Type: text/plain\r\n"
	        "\r\n"
	        "no charset named\r\n"
	        "--in\r\n"
	        "Content-Type: text/html;\r\n charset=EUC-JP\r\n"
	        "\r\n"
	        "<p>x</p>\r\n"
	        "--in--\r\n"
	        "--outer\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "\r\n"
	        "later\r\n"
	        "--outer--\r\n";
	cr_assert_str_eq(env(msg)->charset, "EUC-JP");
	/* the header alone: no part to look in */
	const imap4_envelope *e = NULL;
	size_t hlen = (size_t)(strstr(msg, "\r\n\r\n") + 4 - msg);
	cr_assert_eq(imap4_envelope_from_header(&e, arena, msg, hlen), 0);
	cr_assert_null(e->charset);
	/* parts that are not text, or a multipart that ends first */
	cr_assert_null(env("Subject: \xfc\r\n"
	                   "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	                   "--b\r\nContent-Type: image/png\r\n\r\nx\r\n"
	                   "--b--\r\n"
	                   "--b\r\nContent-Type: text/plain; charset=koi8-r"
	                   "\r\n\r\n")
	                       ->charset);
}

/* Raw ISO-2022-JP in a name: the halves of its characters (";" of
 * ";3ED", '"' of "P\"", "\\" of "=\\") are text, not the grammar's. */
Test(envelope_header, raw_iso_2022_jp_names_stay_whole)
{
	const imap4_envelope *e = env(
	        "From: \x1b$B;3ED\x1b(B <yamada@example.jp>\r\n"
	        "To: \"\x1b$BP\"=\\\x1b(B\" <b@example.jp>, c@example.jp\r\n"
	        "Cc: \x1b$B$3 <broken@example.jp>\r\n\r\n");
	cr_assert_str_eq(show(e->from),
	                 "(\x1b$B;3ED\x1b(B|NIL|yamada|example.jp)");
	cr_assert_str_eq(show(e->to), "(\x1b$BP\"=\\\x1b(B|NIL|b|example.jp)"
	                              "(NIL|NIL|c|example.jp)");
	/* no shift back: bytes as any other */
	cr_assert_str_eq(show(e->cc), "(\x1b$B$3|NIL|broken|example.jp)");
}

/* The same of raw ISO-2022-KR and ISO-2022-CN: the escape designates a
 * set (its ")" no comment), whose characters come between SO and SI
 * (">" of "GQ19>n", "Hangugeo", no end of an address). */
Test(envelope_header, raw_iso_2022_kr_and_cn_names_stay_whole)
{
	const imap4_envelope *e = env(
	        "From: \x1b$)C\x0eGQ19>n\x0f <kim@example.kr>\r\n"
	        "To: \"\x1b$)A\x0eVPND\x0f\" <li@example.cn>, c@example.cn\r\n"
	        "Cc: \x1b$)C\x0eGQ <broken@example.kr>\r\n\r\n");
	cr_assert_str_eq(show(e->from),
	                 "(\x1b$)C\x0eGQ19>n\x0f|NIL|kim|example.kr)");
	cr_assert_str_eq(show(e->to), "(\x1b$)A\x0eVPND\x0f|NIL|li|example.cn)"
	                              "(NIL|NIL|c|example.cn)");
	/* no shift back: bytes as any other */
	cr_assert_str_eq(show(e->cc), "(\x1b$)C\x0eGQ|NIL|broken|example.kr)");
	/* an escape cut short hides no quote */
	e = env("From: \"\x1b$)\" <a@example.kr>\r\n\r\n");
	cr_assert_str_eq(show(e->from), "(\x1b$)|NIL|a|example.kr)");
}

/* Crafted headers cost linear time: a name of escapes that never shift
 * back, and thousands of multipart parts each looked into for a text
 * part (each would walk on to the end of the message). */
Test(envelope_header, crafted_iso_2022_and_multiparts_cost_linear_time,
     .timeout = 10)
{
	/* an escape in 3 bytes: under IMAP4_ENVELOPE_FIELDS_MAX in all */
	size_t n = 60000, parts = 25000, len = 0;
	char *h = malloc(n * 3 + parts * 60 + 200);
	cr_assert_not_null(h);
	len += (size_t)sprintf(h, "From: ");
	for (size_t i = 0; i < n; i++) {
		memcpy(h + len, "\x1b$;", 3);
		len += 3;
	}
	len += (size_t)sprintf(h + len,
	                       " <a@x>\r\nSubject: \xfc\r\n"
	                       "Content-Type: multipart/mixed; boundary=b\r\n"
	                       "\r\n");
	for (size_t i = 0; i < parts; i++)
		len += (size_t)sprintf(h + len,
		                       "--b\r\nContent-Type: multipart/mixed; "
		                       "boundary=c\r\n\r\n");
	const imap4_envelope *e = NULL;
	cr_assert_eq(imap4_envelope_from_header(&e, arena, h, len), 0);
	cr_assert_null(e->charset);
	free(h);
}

/* An ISO-2022 escape in a quoted name that never shifts back is a byte
 * like any other (the fuzzer found it looping). */
Test(envelope_header, a_quoted_escape_without_shift_back_ends, .timeout = 10)
{
	const imap4_envelope *e =
	        env("From: \"\x1b$B;3\" <a@example.jp>, \"\x1b$B\r\n\r\n");
	cr_assert_str_eq(show(e->from), "(\x1b$B;3|NIL|a|example.jp)"
	                                "(\x1b$B|NIL|MISSING_MAILBOX|"
	                                "MISSING_DOMAIN)");
}

/* An ESC that opens no ISO-2022 run ("$" does not follow) is a byte of
 * its atom, in a name, a local part and a domain alike, and so is one
 * that ends the field. */
Test(envelope_header, an_escape_that_opens_no_run_is_an_atom_s_byte)
{
	const imap4_envelope *e =
	        env("From: Ab\x1bKc <l\x1bo@h\x1bst>, x\x1b\r\n"
	            "To: \x1b$\r\n\r\n");
	cr_assert_str_eq(show(e->from), "(Ab\x1bKc|NIL|l\x1bo|h\x1bst)"
	                                "(NIL|NIL|x\x1b|MISSING_DOMAIN)");
	cr_assert_str_eq(show(e->to), "(NIL|NIL|\x1b$|MISSING_DOMAIN)");
}
