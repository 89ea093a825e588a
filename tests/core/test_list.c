/* test_list.c - LIST and LSUB (RFC 3501, 6154 SPECIAL-USE, 5258
 * LIST-EXTENDED, 9051 OLDNAME), modified UTF-7 names, malformed entries. */
#include "view_test.h"

#include <stdio.h>

TestSuite(list, .init = view_setup, .fini = view_teardown);

static imap4_list_entry list_ok(const char *text)
{
	imap4_list_entry e;
	int rc = imap4_list_parse(&e, wire(text));
	cr_assert_eq(rc, 0, "%s gave %d", text, rc);
	return e;
}

Test(list, dovecot_inbox)
{
	imap4_list_entry e = list_ok("* LIST (\\HasNoChildren) \".\" INBOX");
	cr_assert_eq(e.nattrs, 1);
	cr_assert_str_eq(e.attrs[0], "\\HasNoChildren");
	cr_assert_eq(e.attr_bits, IMAP4_MBOX_HASNOCHILDREN);
	cr_assert_null(e.special_use);
	cr_assert_eq(e.delimiter, '.');
	cr_assert_str_eq(e.name, "INBOX");
	cr_assert_str_eq(e.name_utf8, "INBOX");
	cr_assert_null(e.oldname);
}

Test(list, special_use_rfc6154_and_gmail)
{
	imap4_list_entry e =
		list_ok("* LIST (\\Sent \\HasNoChildren) \"/\" \"Sent Mail\"");
	cr_assert_str_eq(e.special_use, "\\Sent");
	cr_assert_str_eq(e.name, "Sent Mail");

	e = list_ok("* LIST (\\HasNoChildren \\all) \"/\" \"[Gmail]/All Mail\"");
	cr_assert_str_eq(e.special_use, "\\All");
	cr_assert_str_eq(e.attrs[1], "\\all");

	e = list_ok("* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"");
	cr_assert_eq(e.attr_bits,
		     IMAP4_MBOX_HASCHILDREN | IMAP4_MBOX_NOSELECT);
	cr_assert_null(e.special_use);

	static const char *const uses[] = {"\\Archive", "\\Drafts",
					   "\\Flagged", "\\Junk", "\\Trash",
					   "\\Important"};
	for (size_t i = 0; i < sizeof(uses) / sizeof(*uses); i++) {
		char text[128];
		snprintf(text, sizeof(text), "* LIST (%s) \"/\" x", uses[i]);
		e = list_ok(text);
		cr_assert_str_eq(e.special_use, uses[i]);
	}
}

/* RFC 6154 lets a mailbox have several uses (Dovecot's special_use =
 * \Archive \All): special_use holds the first, and each attribute tells
 * whether it is one, in the spelling special_use uses. */
Test(list, every_special_use_of_an_entry)
{
	imap4_list_entry e = list_ok(
		"* LIST (\\HasNoChildren \\archive \\All) \"/\" Archive");
	cr_assert_str_eq(e.special_use, "\\Archive");
	cr_assert_null(imap4_list_special_use(e.attrs[0]));
	cr_assert_str_eq(imap4_list_special_use(e.attrs[1]), "\\Archive");
	cr_assert_str_eq(imap4_list_special_use(e.attrs[2]), "\\All");
	cr_assert_str_eq(imap4_list_special_use("\\IMPORTANT"), "\\Important");
	cr_assert_null(imap4_list_special_use("\\Allx"));
	cr_assert_null(imap4_list_special_use("$Sent"));
	cr_assert_null(imap4_list_special_use(NULL));
}

Test(list, list_extended_rfc5258)
{
	imap4_list_entry e = list_ok("* LIST (\\Subscribed) \"/\" \"Fruit/Banana\"");
	cr_assert_eq(e.attr_bits, IMAP4_MBOX_SUBSCRIBED);

	/* \NonExistent implies \Noselect (RFC 5258 3) */
	e = list_ok("* LIST (\\NonExistent \\Subscribed) \"/\" \"Fruit/Peach\"");
	cr_assert_eq(e.attr_bits, IMAP4_MBOX_NONEXISTENT |
					  IMAP4_MBOX_NOSELECT |
					  IMAP4_MBOX_SUBSCRIBED);

	e = list_ok("* LIST () \"/\" \"Tofu\" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	cr_assert_eq(e.nattrs, 0);
	cr_assert_eq(e.attr_bits, 0);
	cr_assert_str_eq(e.name, "Tofu");

	e = list_ok("* LIST (\\Remote \\Marked \\Unmarked \\NoInferiors) \"/\" r");
	cr_assert_eq(e.attr_bits,
		     IMAP4_MBOX_REMOTE | IMAP4_MBOX_MARKED |
			     IMAP4_MBOX_UNMARKED | IMAP4_MBOX_NOINFERIORS |
			     IMAP4_MBOX_HASNOCHILDREN);
}

Test(list, oldname_is_decoded)
{
	imap4_list_entry e = list_ok("* LIST () \".\" \"NewMailbox\" "
				     "(\"OLDNAME\" (\"&ZeVnLIqe-\"))");
	cr_assert_str_eq(e.oldname, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	e = list_ok("* LIST () \".\" b (\"CHILDINFO\" (\"SUBSCRIBED\") "
		    "\"OLDNAME\" (\"a\"))");
	cr_assert_str_eq(e.oldname, "a");
}

Test(list, modified_utf7_names)
{
	/* RFC 3501 5.1.3 example */
	imap4_list_entry e =
		list_ok("* LIST () \"/\" \"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"");
	cr_assert_str_eq(e.name, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	cr_assert_str_eq(e.name_utf8, "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
				      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	e = list_ok("* LIST () \"/\" \"A &- B\"");
	cr_assert_str_eq(e.name_utf8, "A & B");
	/* not valid modified UTF-7: kept as sent */
	e = list_ok("* LIST () \"/\" \"Caf&AOk\"");
	cr_assert_str_eq(e.name_utf8, "Caf&AOk");
	/* UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855) */
	e = list_ok("* LIST () \"/\" \"Caf\xc3\xa9\"");
	cr_assert_str_eq(e.name_utf8, "Caf\xc3\xa9");
}

/* Some servers send a UTF-8 name unquoted, as an atom: taken as UTF-8
 * (RFC 6855) when it is valid, else the entry is refused, as a name in
 * quotes with the same bytes is. */
Test(list, eight_bit_names)
{
	imap4_list_entry e =
	        list_ok("* LIST (\\HasNoChildren) \"/\" Entw\xc3\xbcrfe");
	cr_assert_str_eq(e.name, "Entw\xc3\xbcrfe");
	cr_assert_str_eq(e.name_utf8, "Entw\xc3\xbcrfe");
	cr_assert_eq(e.attr_bits, IMAP4_MBOX_HASNOCHILDREN);
	cr_assert_eq(e.delimiter, '/');
	e = list_ok("* LIST () \".\" INBOX.\xf0\x9f\x93\xa7&Co");
	cr_assert_str_eq(e.name_utf8, "INBOX.\xf0\x9f\x93\xa7&Co",
	                 "an & beside UTF-8 is no modified UTF-7 shift");
	e = list_ok("* LIST () \"/\" a (\"OLDNAME\" (Entw\xc3\xbcrfe))");
	cr_assert_str_eq(e.oldname, "Entw\xc3\xbcrfe");

	static const char *const bad[] = {
	        "* LIST () \"/\" Entw\xfcrfe",      /* Latin-1 */
	        "* LIST () \"/\" \"Entw\xfcrfe\"",  /* the same, quoted */
	        "* LIST () \"/\" a\xc3",            /* cut */
	        "* LIST () \"/\" \xc0\xaf",         /* overlong "/" */
	        "* LIST () \"/\" \xed\xa0\x80",     /* a surrogate */
	        "* LIST () \"/\" \xf4\x90\x80\x80", /* past U+10FFFF */
	        "* LIST () \"/\" \x80",
	        "* LIST () \"/\" a (\"OLDNAME\" (\xff))",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_list_entry b;
		cr_expect_eq(imap4_list_parse(&b, wire(bad[i])), IMAP4_EPROTO,
		             "%s", bad[i]);
		cr_expect_null(b.name);
		cr_expect_null(b.name_utf8);
	}
}

Test(list, nil_delimiter_literal_name_lsub)
{
	imap4_list_entry e = list_ok("* LIST (\\Noselect) NIL \"\"");
	cr_assert_eq(e.delimiter, 0);
	cr_assert_str_eq(e.name, "");

	e = list_ok("* LSUB () \"\\\\\" {9}\r\nfoo\"bar)x");
	cr_assert_eq(e.delimiter, '\\');
	cr_assert_str_eq(e.name, "foo\"bar)x");
}

/* RFC 3501 9: mailbox = "INBOX" / astring, and an atom NIL is an astring:
 * the mailbox named NIL, as the server spells it (explore63). */
Test(list, an_atom_nil_names_a_mailbox)
{
	imap4_list_entry e = list_ok("* LIST (\\HasNoChildren) \"/\" NIL");
	cr_assert_str_eq(e.name, "NIL");
	cr_assert_str_eq(e.name_utf8, "NIL");
	e = list_ok("* LIST () \"/\" x (\"OLDNAME\" (nil))");
	cr_assert_str_eq(e.oldname, "nil");
}

Test(list, malformed_entries_are_eproto)
{
	static const char *const bad[] = {
	        "* LIST \\Noselect \"/\" x",
	        "* LIST () \"//\" x",
	        "* LIST () \"\" x",
	        "* LIST () / x",
	        "* LIST () \"/\"",
	        "* LIST () \"/\" (x)",
	        "* LIST (\"\\\\Seen\") \"/\" x",
	        "* LIST ((\\Seen)) \"/\" x",
	        "* LIST () \"/\" x y",
	        "* LIST () \"/\" x (\"OLDNAME\")",
	        "* LIST () \"/\" x (\"OLDNAME\" \"a\")",
	        "* LIST () \"/\" x (\"OLDNAME\" (a b))",
	        "* LIST () \"/\" x ((a) b)",
	        "* LIST () \"/\" x (\"CHILDINFO\" (\"SUBSCRIBED\")) z",
	        "* LIST",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		imap4_list_entry e;
		cr_expect_eq(imap4_list_parse(&e, wire(bad[i])), IMAP4_EPROTO,
			     "%s", bad[i]);
		cr_expect_null(e.name);
		cr_expect_eq(e.attr_bits, 0);
	}
	imap4_list_entry e;
	cr_expect_eq(imap4_list_parse(&e, wire("* STATUS x (MESSAGES 1)")),
		     IMAP4_EINVAL);
}
