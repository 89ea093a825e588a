/* test_namespace.c - NAMESPACE (RFC 2342, RFC 9051 7.2.2): the three
 * classes, NIL, extensions, modified UTF-7 prefixes, malformed input. */
#include "view_test.h"

TestSuite(namespace, .init = view_setup, .fini = view_teardown);

static imap4_namespace_info ns_ok(const char *text)
{
	imap4_namespace_info n;
	int rc = imap4_namespace_parse(&n, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", text, rc);
	return n;
}

Test(namespace, dovecot_with_shared_and_public)
{
	imap4_namespace_info n = ns_ok("* NAMESPACE ((\"INBOX.\" \".\")) "
	                               "((\"shared.\" \".\")) "
	                               "((\"Public.\" \".\"))");
	cr_assert_eq(n.count[IMAP4_NS_PERSONAL], 1);
	cr_assert_str_eq(n.ns[IMAP4_NS_PERSONAL][0].prefix, "INBOX.");
	cr_assert_eq(n.ns[IMAP4_NS_PERSONAL][0].delimiter, '.');
	cr_assert_eq(n.count[IMAP4_NS_OTHER_USERS], 1);
	cr_assert_str_eq(n.ns[IMAP4_NS_OTHER_USERS][0].prefix, "shared.");
	cr_assert_eq(n.count[IMAP4_NS_SHARED], 1);
	cr_assert_str_eq(n.ns[IMAP4_NS_SHARED][0].prefix, "Public.");
}

Test(namespace, nil_classes_and_nil_delimiter)
{
	imap4_namespace_info n = ns_ok("* NAMESPACE ((\"\" NIL)) NIL NIL");
	cr_assert_eq(n.count[IMAP4_NS_PERSONAL], 1);
	cr_assert_str_eq(n.ns[IMAP4_NS_PERSONAL][0].prefix, "");
	cr_assert_eq(n.ns[IMAP4_NS_PERSONAL][0].delimiter, 0);
	cr_assert_eq(n.count[IMAP4_NS_OTHER_USERS], 0);
	cr_assert_null(n.ns[IMAP4_NS_OTHER_USERS]);
	cr_assert_eq(n.count[IMAP4_NS_SHARED], 0);
}

Test(namespace, several_per_class_extensions_and_mutf7)
{
	/* RFC 2342 5, example 5.9, with an extension (RFC 4466 style) and
	 * a prefix in modified UTF-7. */
	imap4_namespace_info n = ns_ok(
	        "* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" "
	        "(\"FLAG1\" \"FLAG2\"))) NIL ((\"#shared/\" \"/\")"
	        "(\"&AMk-quipe/\" \"/\"))");
	cr_assert_eq(n.count[IMAP4_NS_PERSONAL], 2);
	cr_assert_str_eq(n.ns[IMAP4_NS_PERSONAL][1].prefix, "#mh/");
	cr_assert_eq(n.count[IMAP4_NS_SHARED], 2);
	cr_assert_str_eq(n.ns[IMAP4_NS_SHARED][1].prefix, "Équipe/");
}

Test(namespace, malformed)
{
	static const char *const bad[] = {
	        "* NAMESPACE ((\"\" \"/\")) NIL",             /* two classes */
	        "* NAMESPACE ((\"\" \"/\")) NIL NIL NIL",     /* four */
	        "* NAMESPACE (\"\" \"/\") NIL NIL",           /* no descr list */
	        "* NAMESPACE () NIL NIL",                     /* empty */
	        "* NAMESPACE ((\"\")) NIL NIL",               /* no delimiter */
	        "* NAMESPACE ((\"\" \"//\")) NIL NIL",        /* two chars */
	        "* NAMESPACE ((NIL \"/\")) NIL NIL",          /* NIL prefix */
	        "* NAMESPACE ((\"\" \"/\" \"X\")) NIL NIL",   /* half an ext */
	        "* NAMESPACE ((\"\" \"/\" \"X\" \"v\")) NIL NIL", /* not a list */
	        "* NAMESPACE ((\"\" \"/\")) FOO NIL",         /* an atom */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_namespace_info n;
		const char *t = bad[i];
		int rc = imap4_namespace_parse(&n, wire(t));
		cr_assert_eq(rc, IMAP4_EPROTO, "%s gave %d", t, rc);
		cr_assert_eq(n.count[IMAP4_NS_PERSONAL], 0);
	}
}

/* A literal prefix holding NUL would be cut into another prefix. */
Test(namespace, nul_in_a_literal_prefix)
{
	static const char text[] = "* NAMESPACE (({3}\r\na\0b \"/\")) NIL NIL";
	imap4_namespace_info n;
	cr_assert_eq(imap4_namespace_parse(&n, wire_n(text, sizeof(text) - 1)),
	             IMAP4_EPROTO);
	static const char ok[] = "* NAMESPACE (({2}\r\nab \"/\")) NIL NIL";
	cr_assert_eq(imap4_namespace_parse(&n, wire_n(ok, sizeof(ok) - 1)), 0);
	cr_assert_str_eq(n.ns[IMAP4_NS_PERSONAL][0].prefix, "ab");
}

Test(namespace, not_a_namespace_response)
{
	imap4_namespace_info n;
	cr_assert_eq(imap4_namespace_parse(&n, wire("* LIST () \"/\" a")),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_namespace_parse(NULL, wire("* NAMESPACE NIL NIL "
	                                              "NIL")),
	             IMAP4_EINVAL);
}
