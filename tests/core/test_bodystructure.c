/* test_bodystructure.c - BODY and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051
 * 7.5.2): single parts, multiparts, message/rfc822, extension data, and
 * the ways servers get it wrong. */
#include "view_test.h"

#include <stdio.h>

#include "proto/reader.h"
#include "proto/resp.h"
#include "proto/view.h"

TestSuite(bodystructure, .init = view_setup, .fini = view_teardown);

static const imap4_body *body_of(const char *item, const char *body)
{
	char text[8192];
	int n = snprintf(text, sizeof(text), "* 1 FETCH (UID 1 %s %s)", item,
			 body);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	imap4_msg m;
	int rc = imap4_msg_parse(&m, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", body, rc);
	cr_assert(m.have & IMAP4_HAVE_BODYSTRUCTURE);
	return m.body;
}

static int body_rc(const char *body)
{
	char text[8192];
	snprintf(text, sizeof(text), "* 1 FETCH (BODYSTRUCTURE %s)", body);
	imap4_msg m;
	int rc = imap4_msg_parse(&m, wire(text));
	/* A BODYSTRUCTURE that does not parse is left out of the message. */
	if (rc == 0 && !(m.have & IMAP4_HAVE_BODYSTRUCTURE))
		return IMAP4_EPROTO;
	return rc;
}

static const char *param(const imap4_param *p, const char *name)
{
	for (; p; p = p->next)
		if (strcasecmp(p->name, name) == 0)
			return p->value;
	return NULL;
}

/* RFC 3501 7.4.2, the BODY example */
Test(bodystructure, rfc3501_multipart_mixed)
{
	const imap4_body *b = body_of(
		"BODY",
		"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
		"\"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" "
		"\"NAME\" \"cc.diff\") "
		"\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" "
		"\"BASE64\" 4554 73) \"MIXED\")");
	cr_assert_str_eq(b->type, "MULTIPART");
	cr_assert_str_eq(b->subtype, "MIXED");
	cr_assert_null(b->params);
	const imap4_body *p = b->parts;
	cr_assert_str_eq(p->type, "TEXT");
	cr_assert_str_eq(p->subtype, "PLAIN");
	cr_assert_str_eq(param(p->params, "charset"), "US-ASCII");
	cr_assert_str_eq(p->encoding, "7BIT");
	cr_assert_eq(p->size, 1152);
	cr_assert_eq(p->lines, 23);
	p = p->next;
	cr_assert_str_eq(param(p->params, "NAME"), "cc.diff");
	cr_assert_str_eq(p->id, "<960723163407.20117h@cac.washington.edu>");
	cr_assert_str_eq(p->description, "Compiler diff");
	cr_assert_eq(p->size, 4554);
	cr_assert_eq(p->lines, 73);
	cr_assert_null(p->next);
}

/* Dovecot: multipart/alternative plus a PDF attachment, with every piece
 * of extension data. */
Test(bodystructure, alternative_and_attachment_with_disposition)
{
	const imap4_body *b = body_of(
		"BODYSTRUCTURE",
		"(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
		"\"quoted-printable\" 1234 40 NIL NIL NIL NIL)(\"text\" \"html\" "
		"(\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 5678 120 "
		"NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL "
		"NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL "
		"\"base64\" 40000 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" "
		"(\"filename\" \"report.pdf\" \"size\" \"29230\")) (\"en\" \"de\") "
		"\"http://ex.org/r.pdf\" 1 (2 \"x\")) \"mixed\" (\"boundary\" "
		"\"b1\") (\"inline\" NIL) \"fr\" NIL)");
	cr_assert_str_eq(b->subtype, "mixed");
	cr_assert_str_eq(param(b->params, "boundary"), "b1");
	cr_assert_str_eq(b->disposition, "inline");
	cr_assert_null(b->disposition_params);
	cr_assert_eq(b->language->type, IMAP4_ARG_STRING);
	cr_assert_str_eq(b->language->str, "fr");

	const imap4_body *alt = b->parts;
	cr_assert_str_eq(alt->type, "MULTIPART");
	cr_assert_str_eq(alt->subtype, "alternative");
	cr_assert_str_eq(alt->parts->subtype, "plain");
	cr_assert_eq(alt->parts->lines, 40);
	cr_assert_null(alt->parts->md5);
	cr_assert_str_eq(alt->parts->next->subtype, "html");
	cr_assert_eq(alt->parts->next->size, 5678);

	const imap4_body *pdf = alt->next;
	cr_assert_str_eq(pdf->type, "application");
	cr_assert_eq(pdf->size, 40000);
	cr_assert_eq(pdf->lines, 0);
	cr_assert_str_eq(pdf->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
	cr_assert_str_eq(pdf->disposition, "attachment");
	cr_assert_str_eq(param(pdf->disposition_params, "filename"),
			 "report.pdf");
	cr_assert_str_eq(param(pdf->disposition_params, "size"), "29230");
	cr_assert_eq(pdf->language->type, IMAP4_ARG_LIST);
	cr_assert_eq(pdf->language->count, 2);
	cr_assert_str_eq(pdf->location, "http://ex.org/r.pdf");
	cr_assert_null(pdf->next);
}

Test(bodystructure, message_rfc822_part)
{
	const imap4_body *b = body_of(
		"BODYSTRUCTURE",
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
		"20 1 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL "
		"\"7bit\" 2345 (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"Fwd\" "
		"((\"A\" NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL NIL "
		"\"<x@y>\") ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
		"NIL \"7bit\" 100 5 NIL NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL "
		"\"base64\" 900 NIL (\"attachment\" NIL) NIL NIL) \"mixed\" "
		"(\"boundary\" \"in\") NIL NIL NIL) 60 NIL (\"inline\" NIL) NIL "
		"NIL) \"mixed\" (\"boundary\" \"out\") NIL NIL NIL)");
	const imap4_body *msg = b->parts->next;
	cr_assert_str_eq(msg->type, "message");
	cr_assert_eq(msg->size, 2345);
	cr_assert_eq(msg->lines, 60);
	cr_assert_str_eq(msg->envelope->subject, "Fwd");
	cr_assert_str_eq(msg->envelope->from->host, "example.org");
	cr_assert_str_eq(msg->message->subtype, "mixed");
	cr_assert_str_eq(msg->message->parts->next->subtype, "png");
	cr_assert_str_eq(msg->message->parts->next->disposition, "attachment");
	cr_assert_str_eq(msg->disposition, "inline");
	cr_assert_null(msg->next);
}

Test(bodystructure, message_global_is_rfc822)
{
	const imap4_body *b = body_of(
		"BODYSTRUCTURE",
		"(\"message\" \"global\" NIL NIL NIL \"8bit\" 50 (NIL NIL NIL NIL "
		"NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL "
		"\"8bit\" 4 1) 3)");
	cr_assert_not_null(b->envelope);
	cr_assert_str_eq(b->message->subtype, "plain");
	cr_assert_eq(b->lines, 3);
}

Test(bodystructure, sloppy_servers)
{
	/* a message/rfc822 sent as a basic part, a text part without a line
	 * count, "()" parameters, a bare disposition, a quoted size, a NIL
	 * subtype and a multipart without extension data */
	const imap4_body *b = body_of(
		"BODYSTRUCTURE",
		"((\"message\" \"rfc822\" () NIL NIL \"7bit\" \"120\")"
		"(\"text\" \"plain\" (\"charset\") NIL NIL NIL 5 NIL \"inline\")"
		"(\"application\" NIL NIL NIL NIL \"base64\" NIL NIL "
		"(\"attachment\" (\"filename\")) ((\"nested\")) x y z) "
		"\"mixed\")");
	const imap4_body *m = b->parts;
	cr_assert_null(m->envelope);
	cr_assert_null(m->params);
	cr_assert_eq(m->size, 120);
	const imap4_body *t = m->next;
	cr_assert_eq(t->lines, 0);
	cr_assert_null(t->params);
	cr_assert_null(t->encoding);
	cr_assert_str_eq(t->disposition, "inline");
	const imap4_body *a = t->next;
	cr_assert_null(a->subtype);
	cr_assert_eq(a->size, 0);
	cr_assert_str_eq(a->disposition, "attachment");
	/* a language of nested lists ends the extension data */
	cr_assert_null(a->language);
	cr_assert_null(a->location);

	b = body_of("BODY", "((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1))");
	cr_assert_null(b->subtype);
	cr_assert_str_eq(b->parts->subtype, "plain");
}

/* n multipart levels around one text part */
static char *nested_body(int n)
{
	size_t cap = (size_t)n * 12 + 64;
	char *s = imap4_arena_alloc(&view_arena, cap);
	cr_assert_not_null(s);
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(s, "(");
	strcat(s, "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
	for (int i = 0; i < n; i++)
		strcat(s, " \"mixed\")");
	return s;
}

Test(bodystructure, nesting_within_the_parser_limit)
{
	const imap4_body *b = body_of("BODYSTRUCTURE", nested_body(39));
	int depth = 0;
	while (b->parts) {
		b = b->parts;
		depth++;
	}
	cr_assert_eq(depth, 39);
	cr_assert_str_eq(b->subtype, "plain");
}

/* A caller may raise the parser's depth limit; the view still stops. */
Test(bodystructure, nesting_beyond_the_view_limit_is_elimit)
{
	const char *body = nested_body(IMAP4_VIEW_MAX_BODY_DEPTH + 10);
	size_t len = strlen(body) + 64;
	char *text = imap4_arena_alloc(&view_arena, len);
	cr_assert_not_null(text);
	snprintf(text, len, "* 1 FETCH (BODYSTRUCTURE %s)\r\n", body);
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_depth = 1000;
	const imap4_resp *r;
	cr_assert_eq(imap4_resp_parse(&r, NULL, &view_arena, text, strlen(text),
	                              &lim, NULL, 0),
	             0);
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, r), IMAP4_ELIMIT);
}

/* A file name sent as a literal with a NUL in it keeps the rest of its
 * text: the NUL comes as a space (see imap4.h). */
Test(bodystructure, nul_in_a_literal_is_a_space)
{
	static const char text[] =
		"* 1 FETCH (BODYSTRUCTURE (\"application\" \"pdf\" "
		"(\"name\" {9}\r\nbill\0.pdf) NIL NIL \"base64\" 10))\r\n";
	imap4_msg m;
	cr_assert_eq(imap4_msg_parse(&m, wire_n(text, sizeof(text) - 1)), 0);
	cr_assert_str_eq(param(m.body->params, "name"), "bill .pdf");
}

Test(bodystructure, malformed_is_refused)
{
	static const char *const bad[] = {
		"()",
		"(\"text\")",
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\")",
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" -5 1)",
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 12x 1)",
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" (1) 1)",
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" "
		"18446744073709551616 1)",
		"(\"text\" \"plain\" \"charset\" NIL NIL \"7bit\" 1 1)",
		"(\"text\" \"plain\" ((\"a\") \"b\") NIL NIL \"7bit\" 1 1)",
		"((\"a\") \"plain\" NIL NIL NIL \"7bit\" 1 1)",
		"(\"text\" \"plain\" NIL (\"id\") NIL \"7bit\" 1 1)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL) "
		"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) 2)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL NIL NIL "
		"NIL NIL NIL NIL NIL NIL) () 2)",
		"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5 (NIL NIL NIL NIL "
		"NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL "
		"\"7bit\" 1 1) 4294967296)",
		"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) (\"x\"))",
		"((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) ())",
		"\"text\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(body_rc(bad[i]), IMAP4_EPROTO, "%s", bad[i]);
}
