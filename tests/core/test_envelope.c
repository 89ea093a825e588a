/* test_envelope.c - ENVELOPE (RFC 3501 7.4.2): NIL-heavy envelopes, group
 * syntax, literals, and envelopes that do not fit the grammar. */
#include "view_test.h"

#include <stdio.h>

TestSuite(envelope, .init = view_setup, .fini = view_teardown);

static const imap4_envelope *envelope_of(const char *env)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "* 1 FETCH (ENVELOPE %s)", env);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	imap4_msg m;
	int rc = imap4_msg_parse(&m, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", env, rc);
	cr_assert(m.have & IMAP4_HAVE_ENVELOPE);
	return m.envelope;
}

static int envelope_rc(const char *text)
{
	imap4_msg m;
	int rc = imap4_msg_parse(&m, wire(text));
	/* An ENVELOPE that does not parse is left out of the message. */
	if (rc == 0 && !(m.have & IMAP4_HAVE_ENVELOPE))
		return IMAP4_EPROTO;
	return rc;
}

Test(envelope, all_nil)
{
	const imap4_envelope *e =
		envelope_of("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	cr_assert_null(e->date);
	cr_assert_null(e->subject);
	cr_assert_null(e->from);
	cr_assert_null(e->sender);
	cr_assert_null(e->reply_to);
	cr_assert_null(e->to);
	cr_assert_null(e->cc);
	cr_assert_null(e->bcc);
	cr_assert_null(e->in_reply_to);
	cr_assert_null(e->message_id);
}

/* Dovecot on a message with only a From: and an encoded Subject:. */
Test(envelope, dovecot_sparse_headers)
{
	const imap4_envelope *e = envelope_of(
		"(\"Mon, 14 Mar 2011 03:55:11 +0100\" "
		"\"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"NIL NIL NIL NIL NIL)");
	cr_assert_str_eq(e->date, "Mon, 14 Mar 2011 03:55:11 +0100");
	cr_assert_str_eq(e->subject, "=?utf-8?q?Gr=C3=BC=C3=9Fe?=");
	cr_assert_str_eq(e->from->name, "=?utf-8?q?J=C3=B6rg?=");
	cr_assert_null(e->from->adl);
	cr_assert_str_eq(e->from->mailbox, "joerg");
	cr_assert_str_eq(e->from->host, "example.de");
	cr_assert_null(e->from->next);
	cr_assert_null(e->to);
}

Test(envelope, undisclosed_recipients_group)
{
	const imap4_envelope *e = envelope_of(
		"(NIL NIL NIL NIL NIL ((NIL NIL \"undisclosed-recipients\" "
		"NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)");
	const imap4_address *a = e->to;
	cr_assert_str_eq(a->mailbox, "undisclosed-recipients");
	cr_assert_null(a->host);
	a = a->next;
	cr_assert_null(a->mailbox);
	cr_assert_null(a->host);
	cr_assert_null(a->next);
}

Test(envelope, group_with_members_then_plain_address)
{
	const imap4_envelope *e = envelope_of(
		"(NIL NIL NIL NIL NIL NIL ((NIL NIL \"team\" NIL)"
		"(\"Ann\" NIL \"ann\" \"ex.org\")(\"Bob\" NIL \"bob\" \"ex.org\")"
		"(NIL NIL NIL NIL)(NIL \"@relay.ex:\" \"carl\" \"ex.net\")) "
		"NIL NIL NIL)");
	const char *want[][2] = {{"team", NULL},  {"ann", "ex.org"},
				 {"bob", "ex.org"}, {NULL, NULL},
				 {"carl", "ex.net"}};
	const imap4_address *a = e->cc;
	for (size_t i = 0; i < 5; i++, a = a->next) {
		cr_assert_not_null(a);
		if (want[i][0])
			cr_assert_str_eq(a->mailbox, want[i][0]);
		else
			cr_assert_null(a->mailbox);
		if (want[i][1])
			cr_assert_str_eq(a->host, want[i][1]);
		else
			cr_assert_null(a->host);
	}
	cr_assert_null(a);
	cr_assert_str_eq(e->cc->next->next->next->next->adl, "@relay.ex:");
}

Test(envelope, literal_fields_and_atoms)
{
	const imap4_envelope *e = envelope_of(
		"(NIL {10}\r\nHi \"there\" ((\"A\" NIL {1}\r\na \"h\")) NIL NIL "
		"() NIL NIL \"<p@q>\" \"<m@id>\")");
	cr_assert_str_eq(e->subject, "Hi \"there\"");
	cr_assert_str_eq(e->from->mailbox, "a");
	/* "()" for an empty header, as some servers send, reads as NIL */
	cr_assert_null(e->to);
	cr_assert_str_eq(e->in_reply_to, "<p@q>");
}

/* A NUL in a literal (RFC 3501 forbids it; only a literal can carry one
 * past the reader): read as a C string the field ended there, and the
 * rest of the subject was lost. Each NUL comes as a space; the argument
 * tree keeps the bytes as sent. */
Test(envelope, nul_in_a_literal_is_a_space)
{
	static const char text[] =
		"* 1 FETCH (ENVELOPE (NIL {13}\r\nRe: a\0b \0 end "
		"(({3}\r\nA\0B NIL \"a\" \"h\")) NIL NIL NIL NIL NIL NIL "
		"{6}\r\n<m\0@x>))\r\n";
	const imap4_resp *r = wire_n(text, sizeof(text) - 1);
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, r), 0);
	const imap4_envelope *e = m.envelope;
	cr_assert_str_eq(e->subject, "Re: a b   end");
	cr_assert_str_eq(e->from->name, "A B");
	cr_assert_str_eq(e->message_id, "<m @x>");
	const imap4_arg *subject = r->args->list->next->list->next;
	cr_assert_eq(subject->len, 13);
	cr_assert_eq(memcmp(subject->str, "Re: a\0b \0 end", 13), 0);
	/* A string without NUL is the argument's own, not a copy. */
	cr_assert_null(e->date);
	cr_assert_str_eq(e->from->mailbox, "a");
	cr_assert_eq(e->from->mailbox,
		     subject->next->list->list->next->next->str);
}

Test(envelope, malformed_envelopes_are_refused)
{
	static const char *const bad[] = {
		/* nine fields, eleven fields */
		"* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL "
		"NIL))",
		"* 1 FETCH (ENVELOPE ())",
		"* 1 FETCH (ENVELOPE \"x\")",
		/* a subject that is a list */
		"* 1 FETCH (ENVELOPE (NIL (a) NIL NIL NIL NIL NIL NIL NIL NIL))",
		/* an address list that is a string */
		"* 1 FETCH (ENVELOPE (NIL NIL \"a@b\" NIL NIL NIL NIL NIL NIL "
		"NIL))",
		/* addresses of three and five fields */
		"* 1 FETCH (ENVELOPE (NIL NIL ((NIL \"a\" \"b\")) NIL NIL NIL "
		"NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\" \"b\" NIL)) NIL "
		"NIL NIL NIL NIL NIL NIL))",
		/* an address that is not a list */
		"* 1 FETCH (ENVELOPE (NIL NIL (NIL) NIL NIL NIL NIL NIL NIL "
		"NIL))",
		/* an address field that is a list */
		"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL (\"a\") \"b\")) NIL NIL "
		"NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL "
		"(\"<id>\")))",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(envelope_rc(bad[i]), IMAP4_EPROTO, "%s", bad[i]);
}
