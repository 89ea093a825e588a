/* test_parse.c - imap4_parse_response, the accessors and imap4_resp_copy on
 * real transcripts, malformed input and a failing arena. */
#include <criterion/criterion.h>

#include "imap4.h"
#include "proto/reader.h"
#include "proto/resp.h"
#include "util/arena.h"

#include "resp_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct imap4_arena arena;

static void setup(void)
{
	imap4_arena_init(&arena, 0);
}

static void teardown(void)
{
	imap4_arena_clear(&arena);
}

TestSuite(parse, .init = setup, .fini = teardown);

static const imap4_resp *parse_ok(const char *s)
{
	const imap4_resp *r = NULL;
	int rc = imap4_parse_response(&r, &arena, s, strlen(s));
	cr_assert_eq(rc, 0, "parse of <%s> failed: %d", s, rc);
	cr_assert_not_null(r);
	return r;
}

static int parse_rc(const char *s, size_t len)
{
	const imap4_resp *r = (const imap4_resp *)&arena;
	int rc = imap4_parse_response(&r, &arena, s, len);
	if (rc < 0)
		cr_assert_null(r, "failed parse left *out set");
	return rc;
}

#define PARSE_RC(s) parse_rc(s, sizeof(s) - 1)

static const char *transcript(const char *name)
{
	for (size_t i = 0; i < test_ntranscripts; i++)
		if (!strcmp(test_transcripts[i].name, name))
			return test_transcripts[i].data;
	cr_assert_fail("no transcript %s", name);
	return NULL;
}

static const imap4_arg *nth(const imap4_arg *a, size_t n)
{
	const imap4_arg *x = imap4_arg_nth(a, n);
	cr_assert_not_null(x, "no argument %zu", n);
	return x;
}

Test(parse, every_transcript_parses)
{
	for (size_t i = 0; i < test_ntranscripts; i++) {
		const struct test_transcript *t = &test_transcripts[i];
		const imap4_resp *r = NULL;
		imap4_arena_reset(&arena);
		int rc = imap4_parse_response(&r, &arena, t->data, t->len);
		cr_expect_eq(rc, 0, "%s: %d", t->name, rc);
		if (rc == 0) {
			cr_expect_eq(r->raw_len, t->len, "%s", t->name);
			cr_expect(!memcmp(r->raw, t->data, t->len), "%s",
			          t->name);
		}
	}
}

Test(parse, greeting_with_capability_code)
{
	const imap4_resp *r = parse_ok("* OK [CAPABILITY IMAP4rev1 LITERAL+ "
	                               "AUTH=PLAIN] Dovecot ready.\r\n");
	cr_assert_eq(r->type, IMAP4_RESP_UNTAGGED);
	cr_assert_str_eq(r->name, "OK");
	cr_assert(r->is_status);
	cr_assert_null(r->tag);
	cr_assert_str_eq(r->code, "CAPABILITY");
	cr_assert_str_eq(r->code_text, "IMAP4rev1 LITERAL+ AUTH=PLAIN");
	cr_assert_str_eq(r->text, "Dovecot ready.");
	cr_assert_str_eq(nth(r->code_args, 0)->str, "IMAP4rev1");
	cr_assert_str_eq(nth(r->code_args, 1)->str, "LITERAL+");
	cr_assert_str_eq(nth(r->code_args, 2)->str, "AUTH=PLAIN");
	cr_assert_null(imap4_arg_nth(r->code_args, 3));
	cr_assert_eq(r->nargs, 0);
}

Test(parse, capability_many_atoms)
{
	const imap4_resp *r = parse_ok(transcript("capability"));
	cr_assert_str_eq(r->name, "CAPABILITY");
	cr_assert_not(r->is_status);
	cr_assert_eq(r->nargs, 38);
	for (const imap4_arg *a = r->args; a; a = a->next)
		cr_assert_eq(a->type, IMAP4_ARG_ATOM);
	cr_assert_str_eq(nth(r->args, 37)->str, "SPECIAL-USE");
}

Test(parse, tagged_status_with_code)
{
	const imap4_resp *r =
	        parse_ok("A142 OK [READ-WRITE] SELECT completed\r\n");
	cr_assert_eq(r->type, IMAP4_RESP_TAGGED);
	cr_assert_str_eq(r->tag, "A142");
	cr_assert_str_eq(r->name, "OK");
	cr_assert_str_eq(r->code, "READ-WRITE");
	cr_assert_str_eq(r->code_text, "");
	cr_assert_null(r->code_args);
	cr_assert_str_eq(r->text, "SELECT completed");

	r = parse_ok("a2 no [trycreate] No such mailbox\r\n");
	cr_assert_str_eq(r->tag, "a2");
	cr_assert_str_eq(r->name, "NO");
	cr_assert_str_eq(r->code, "TRYCREATE");

	r = parse_ok("A6 OK\r\n");
	cr_assert_str_eq(r->text, "");
	cr_assert_null(r->code);
}

Test(parse, numbered_untagged)
{
	const imap4_resp *r = parse_ok("* 172 EXISTS\r\n");
	cr_assert(r->has_number);
	cr_assert_eq(r->number, 172);
	cr_assert_str_eq(r->name, "EXISTS");
	cr_assert_eq(r->nargs, 0);

	r = parse_ok("* 0 EXISTS\r\n");
	cr_assert(r->has_number);
	cr_assert_eq(r->number, 0);

	r = parse_ok("* 4294967295 expunge\r\n");
	cr_assert_eq(r->number, UINT32_MAX);
	cr_assert_str_eq(r->name, "EXPUNGE");
	cr_assert_eq(PARSE_RC("* 4294967296 EXPUNGE\r\n"), IMAP4_EPROTO);
}

Test(parse, list_variants)
{
	const imap4_resp *r =
	        parse_ok("* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
	cr_assert_str_eq(r->name, "LIST");
	cr_assert_eq(r->nargs, 3);
	const imap4_arg *attrs = nth(r->args, 0);
	cr_assert_eq(attrs->type, IMAP4_ARG_LIST);
	cr_assert_eq(attrs->count, 1);
	cr_assert_eq(attrs->list->type, IMAP4_ARG_ATOM);
	cr_assert_str_eq(attrs->list->str, "\\HasNoChildren");
	cr_assert_eq(nth(r->args, 1)->type, IMAP4_ARG_STRING);
	cr_assert_str_eq(imap4_arg_string(nth(r->args, 1)), "/");
	cr_assert_str_eq(imap4_arg_string(nth(r->args, 2)), "INBOX");

	r = parse_ok("* LIST (\\HasChildren) \"/\" {10}\r\nfoo \"bar\"/\r\n");
	cr_assert_eq(nth(r->args, 2)->type, IMAP4_ARG_LITERAL);
	cr_assert_eq(nth(r->args, 2)->len, 10);
	cr_assert_str_eq(imap4_arg_string(nth(r->args, 2)), "foo \"bar\"/");

	r = parse_ok("* LIST (\\Noselect) NIL \"\"\r\n");
	cr_assert_eq(nth(r->args, 1)->type, IMAP4_ARG_NIL);
	cr_assert_str_eq(nth(r->args, 1)->str, "NIL");
	cr_assert_null(imap4_arg_string(nth(r->args, 1)));
	cr_assert_str_eq(imap4_arg_string(nth(r->args, 2)), "");

	r = parse_ok("* LIST () \"/\" \"NIL\"\r\n");
	cr_assert_eq(nth(r->args, 0)->count, 0);
	cr_assert_null(nth(r->args, 0)->list);
	cr_assert_eq(nth(r->args, 2)->type, IMAP4_ARG_STRING);
}

Test(parse, status_and_accessors)
{
	const imap4_resp *r = parse_ok(
	        "* STATUS \"INBOX\" (MESSAGES 17 UIDNEXT 18 UIDVALIDITY "
	        "4294967295 UNSEEN 0 HIGHESTMODSEQ 18446744073709551615)\r\n");
	const imap4_arg *items = nth(r->args, 1)->list;
	uint32_t u;
	uint64_t v;
	cr_assert(imap4_arg_get_u32(imap4_arg_after(items, "uidnext"), &u));
	cr_assert_eq(u, 18);
	cr_assert(
	        imap4_arg_get_nz32(imap4_arg_after(items, "UIDVALIDITY"), &u));
	cr_assert_eq(u, UINT32_MAX);
	cr_assert(imap4_arg_get_u32(imap4_arg_after(items, "UNSEEN"), &u));
	cr_assert_eq(u, 0);
	cr_assert_not(imap4_arg_get_nz32(imap4_arg_after(items, "UNSEEN"), &u));
	cr_assert(
	        imap4_arg_get_u64(imap4_arg_after(items, "HIGHESTMODSEQ"), &v));
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_null(imap4_arg_after(items, "SIZE"));
	cr_assert_null(imap4_arg_after(items, "HIGHESTMODSEQ")->next);
	cr_assert_null(imap4_arg_after(NULL, "X"));
	cr_assert_null(imap4_arg_nth(items, 10));
}

Test(parse, number_accessors_refuse)
{
	const imap4_resp *r = parse_ok("* X 4294967296 18446744073709551616 "
	                               "0012 -1 1a \"5\" NIL ()\r\n");
	uint32_t u;
	uint64_t v;
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 0), &u));
	cr_assert(imap4_arg_get_u64(nth(r->args, 0), &v));
	cr_assert_eq(v, 4294967296u);
	cr_assert_not(imap4_arg_get_u64(nth(r->args, 1), &v));
	cr_assert(imap4_arg_get_nz32(nth(r->args, 2), &u));
	cr_assert_eq(u, 12);
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 3), &u));
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 4), &u));
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 5), &u), "a string");
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 6), &u));
	cr_assert_not(imap4_arg_get_u32(nth(r->args, 7), &u));
	cr_assert_null(imap4_arg_string(nth(r->args, 7)), "a list");
	cr_assert_not(imap4_arg_get_u32(NULL, &u));
	cr_assert_null(imap4_arg_string(NULL));
}

Test(parse, esearch_and_vanished)
{
	const imap4_resp *r =
	        parse_ok("* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
	cr_assert_str_eq(r->name, "ESEARCH");
	cr_assert_eq(r->nargs, 5);
	cr_assert_str_eq(
	        imap4_arg_string(imap4_arg_after(nth(r->args, 0)->list, "TAG")),
	        "A282");
	uint32_t u;
	cr_assert(imap4_arg_get_u32(imap4_arg_after(r->args, "COUNT"), &u));
	cr_assert_eq(u, 3);

	r = parse_ok("* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n");
	cr_assert_str_eq(r->name, "VANISHED");
	cr_assert_str_eq(nth(r->args, 0)->list->str, "EARLIER");
	cr_assert_str_eq(nth(r->args, 1)->str, "41,43:116,118,120:211,214:540");
}

Test(parse, fetch_items)
{
	const imap4_resp *r = parse_ok(
	        "* 4 FETCH (UID 9 BODY[HEADER.FIELDS (FROM TO)]<0> {21}\r\n"
	        "From: x@y.example\r\n\r\n FLAGS (\\Seen \\*))\r\n");
	cr_assert_str_eq(r->name, "FETCH");
	cr_assert_eq(r->number, 4);
	cr_assert_eq(r->nargs, 1);
	const imap4_arg *items = r->args->list;
	cr_assert_eq(r->args->count, 6);
	cr_assert_str_eq(nth(items, 2)->str,
	                 "BODY[HEADER.FIELDS (FROM TO)]<0>");
	const imap4_arg *lit = nth(items, 3);
	cr_assert_eq(lit->type, IMAP4_ARG_LITERAL);
	cr_assert_not(lit->streamed);
	cr_assert_eq(lit->len, 21);
	cr_assert_str_eq(lit->str, "From: x@y.example\r\n\r\n");
	cr_assert_str_eq(imap4_arg_after(items, "FLAGS")->list->next->str,
	                 "\\*");
}

Test(parse, multipart_bodystructure_lists_touch)
{
	const imap4_resp *r = parse_ok(transcript("fetch-bodystructure"));
	const imap4_arg *bs = imap4_arg_after(r->args->list, "BODYSTRUCTURE");
	cr_assert_not_null(bs);
	cr_assert_eq(bs->type, IMAP4_ARG_LIST);
	cr_assert_eq(bs->count, 7);
	cr_assert_eq(nth(bs->list, 0)->type, IMAP4_ARG_LIST);
	cr_assert_eq(nth(bs->list, 1)->type, IMAP4_ARG_LIST);
	cr_assert_str_eq(nth(bs->list, 2)->str, "MIXED");
}

Test(parse, literal_with_nul_and_literal8)
{
	static const char s[] =
	        "* 5 FETCH (BINARY[1] ~{4}\r\n\x01\x00\xff\r)\r\n";
	const imap4_resp *r = NULL;
	cr_assert_eq(imap4_parse_response(&r, &arena, s, sizeof(s) - 1), 0);
	const imap4_arg *lit = nth(r->args->list, 1);
	cr_assert_eq(lit->type, IMAP4_ARG_LITERAL);
	cr_assert_eq(lit->len, 4);
	cr_assert(!memcmp(lit->str, "\x01\x00\xff\r", 5));
}

Test(parse, quoted_strings)
{
	const imap4_resp *r =
	        parse_ok("* LIST () \"\\\\\" \"a\\\"b\\\\c\"\r\n");
	cr_assert_str_eq(nth(r->args, 1)->str, "\\");
	cr_assert_eq(nth(r->args, 1)->len, 1);
	cr_assert_str_eq(nth(r->args, 2)->str, "a\"b\\c");
	cr_assert_eq(nth(r->args, 2)->len, 5);

	r = parse_ok("* X \"Caf\xc3\xa9\t\xf0\x9f\x93\xa7\"\r\n");
	cr_assert_str_eq(r->args->str, "Caf\xc3\xa9\t\xf0\x9f\x93\xa7");

	/* 8-bit bytes that are not UTF-8 (raw Latin-1, a cut sequence, an
	 * overlong form, a surrogate) are kept as they come, as in a
	 * literal: decoding takes them for what they are. */
	static const char *const raw[] = {"a\xff", "a\xc3", "m\xc3\x28\xe2 6",
	                                  "\xc0\xaf", "\xed\xa0\x80"};
	for (size_t i = 0; i < sizeof(raw) / sizeof(*raw); i++) {
		char in[64];
		snprintf(in, sizeof(in), "* X \"%s\"\r\n", raw[i]);
		r = parse_ok(in);
		cr_assert_str_eq(r->args->str, raw[i]);
		cr_assert_eq(r->args->len, strlen(raw[i]));
	}

	cr_assert_eq(PARSE_RC("* X \"a\\nb\"\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X \"a\x00\"\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X \"a\rb\"\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X \"a\nb\"\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X \"abc\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X \"abc\\\r\n"), IMAP4_EPROTO);
}

/* Servers send unquoted UTF-8 in the atoms of data (keywords, mailbox
 * names): an atom takes bytes 0x80-0xff as they come; a tag, a response
 * name, a code keyword and a section's brackets never do, and control
 * bytes stay out of every atom. */
Test(parse, eight_bit_atoms)
{
	const imap4_resp *r =
	        parse_ok("* 2 FETCH (UID 2 FLAGS (\\Seen B\xc3\xbcro))\r\n");
	const imap4_arg *flags = nth(r->args->list, 3);
	cr_assert_eq(flags->type, IMAP4_ARG_LIST);
	cr_assert_str_eq(nth(flags->list, 1)->str, "B\xc3\xbcro");
	cr_assert_eq(nth(flags->list, 1)->type, IMAP4_ARG_ATOM);

	r = parse_ok("* LIST (\\HasNoChildren) \"/\" Entw\xc3\xbcrfe\r\n");
	cr_assert_eq(r->nargs, 3);
	cr_assert_eq(nth(r->args, 2)->type, IMAP4_ARG_ATOM);
	cr_assert_str_eq(nth(r->args, 2)->str, "Entw\xc3\xbcrfe");
	cr_assert_eq(nth(r->args, 2)->len, 9);

	/* any 8-bit byte, UTF-8 or not: the views judge names */
	r = parse_ok("* X a\xc3\xa9 \xff\x80 b\xe2]\r\n");
	cr_assert_eq(r->nargs, 3);
	cr_assert_str_eq(nth(r->args, 0)->str, "a\xc3\xa9");
	cr_assert_str_eq(nth(r->args, 1)->str, "\xff\x80");
	cr_assert_str_eq(nth(r->args, 2)->str, "b\xe2]");

	/* in a response code's arguments too */
	r = parse_ok("* OK [PERMANENTFLAGS (\\Seen B\xc3\xbcro \\*)] x\r\n");
	cr_assert_str_eq(r->code, "PERMANENTFLAGS");
	cr_assert_str_eq(nth(r->code_args->list, 1)->str, "B\xc3\xbcro");

	/* explore63: a literal is an astring, which BADCHARSET takes */
	r = parse_ok("A1 NO [BADCHARSET (UTF-8 \"ISO-8859-1\" {5}\r\n"
	             "KOI8R)] unsupported\r\n");
	cr_assert_str_eq(r->code, "BADCHARSET");
	cr_assert_eq(r->code_args->type, IMAP4_ARG_LIST);
	cr_assert_str_eq(nth(r->code_args->list, 0)->str, "UTF-8");
	cr_assert_str_eq(nth(r->code_args->list, 1)->str, "ISO-8859-1");
	cr_assert_str_eq(nth(r->code_args->list, 2)->str, "KOI8R");
	cr_assert_str_eq(r->text, "unsupported");

	/* not a tag, a response name, a code keyword, a section */
	cr_assert_eq(PARSE_RC("A\xc3\xa9 OK x\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X\xc3\xa9 a\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* \xc3\xa9 a\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* 1 FETCH (BODY[\xc3\xa9] x)\r\n"),
	             IMAP4_EPROTO);
	r = parse_ok("* OK [B\xc3\xbcRO] x\r\n");
	cr_assert_null(r->code);
	cr_assert_str_eq(r->text, "[B\xc3\xbcRO] x");

	/* control bytes stay refused, next to 8-bit ones or not */
	static const char *const ctl[] = {"\x01", "\x1f", "\x7f",
	                                  "\t",   "\n",   "\r"};
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++) {
		char in[64];
		int n = snprintf(in, sizeof(in), "* X B\xc3\xbc%sro\r\n",
		                 ctl[i]);
		cr_expect_eq(parse_rc(in, (size_t)n), IMAP4_EPROTO, "%#x",
		             (unsigned char)ctl[i][0]);
	}
	cr_assert_eq(parse_rc("* X B\xc3\xbc\0ro\r\n", 12), IMAP4_EPROTO);
}

/* explore57: a keyword with a quote or a brace in it, which a server
 * stored and lists as an atom, made every FETCH of its message malformed:
 * the mailbox never synced. Such bytes inside an atom, and a brace that
 * opens no literal, are part of the atom; a quoted string still needs
 * its space, and a literal is one where "{N}" ends the line. */
Test(parse, quotes_and_braces_inside_atoms)
{
	const imap4_resp *r = parse_ok(
	        "* 1 FETCH (UID 1 FLAGS (Flag\"q \\Seen a{b} {3} x\"\"))\r\n");
	const imap4_arg *flags = nth(r->args->list, 3);
	cr_assert_eq(flags->count, 5);
	static const char *const want[] = {"Flag\"q", "\\Seen", "a{b}", "{3}",
	                                   "x\"\""};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(nth(flags->list, i)->type, IMAP4_ARG_ATOM);
		cr_assert_str_eq(nth(flags->list, i)->str, want[i]);
	}
	r = parse_ok("* X {3}\r\nabc {2+} {x}\r\n");
	cr_assert_eq(nth(r->args, 0)->type, IMAP4_ARG_LITERAL);
	cr_assert_str_eq(nth(r->args, 1)->str, "{2+}");
	cr_assert_str_eq(nth(r->args, 2)->str, "{x}");
	cr_assert_eq(PARSE_RC("* X \"a\"b\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X a \"b\"c\r\n"), IMAP4_EPROTO);
}

/* Long strings take the word-at-a-time path: every special byte must be
 * seen wherever it falls in a word. */
Test(parse, quoted_strings_long)
{
	for (size_t at = 0; at < 40; at++) {
		char in[128], want[64];
		static const char *const bad[] = {"\r", "\n", "\\x"};
		size_t n;

		/* an escaped quote at offset at */
		memset(want, 'a', 48);
		want[48] = '\0';
		want[at] = '"';
		n = (size_t)snprintf(in, sizeof(in), "* X \"%.*s\\\"%s\"\r\n",
		                     (int)at, want, want + at + 1);
		imap4_arena_reset(&arena);
		const imap4_resp *r = NULL;
		cr_assert_eq(imap4_parse_response(&r, &arena, in, n), 0, "%s",
		             in);
		cr_assert_str_eq(r->args->str, want);
		cr_assert_eq(r->args->len, 48);

		/* a byte that has no place in a quoted string at offset at */
		for (size_t b = 0; b < sizeof(bad) / sizeof(*bad); b++) {
			n = (size_t)snprintf(
			        in, sizeof(in), "* X \"%.*s%s%s\"\r\n", (int)at,
			        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			        bad[b], "bbbbbbbbbbbbbbbbbbbb");
			cr_assert_eq(parse_rc(in, n), IMAP4_EPROTO, "%zu %zu",
			             at, b);
		}
		/* and an 8-bit byte that is not UTF-8, kept as it came */
		n = (size_t)snprintf(
		        in, sizeof(in), "* X \"%.*s\xff" "bb\"\r\n", (int)at,
		        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		imap4_arena_reset(&arena);
		cr_assert_eq(imap4_parse_response(&r, &arena, in, n), 0, "%s",
		             in);
		cr_assert_eq(r->args->len, at + 3);
		cr_assert_eq((unsigned char)r->args->str[at], 0xff);
		n = (size_t)snprintf(
		        in, sizeof(in), "* X \"%.*sz\"\r\n", (int)at,
		        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		in[5 + at] = '\0';
		cr_assert_eq(parse_rc(in, n), IMAP4_EPROTO, "NUL at %zu", at);
	}
}

/* The internal entry on buffers of exactly the input's size: ASan sees any
 * read past the final LF, which the NUL after a copy would hide. */
Test(parse, exact_size_buffers)
{
	static const char *const inputs[] = {
	        "* X {5}\r\nabc\r\n",
	        "* X {3}\r\nabc\r\n",
	        "* X {5}\r\n",
	        "* X {4}\r\nab\r\n",
	        "* X {2}\r\nab\r\n",
	        "* X \"abcdefghijklmnop\r\n",
	        "* X BODY[HEADER.FIELDS (A B)\r\n",
	        "* OK [CODE a b\r\n",
	        "* X ~{1}\r\n",
	        "+ abc\r\n",
	        "A1 OK [X (a b c)] d\r\n",
	};
	static const int want[] = {IMAP4_EPROTO,
	                           0,
	                           IMAP4_EPROTO,
	                           IMAP4_EPROTO,
	                           0,
	                           IMAP4_EPROTO,
	                           IMAP4_EPROTO,
	                           0,
	                           IMAP4_EPROTO,
	                           0,
	                           0};
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t n = strlen(inputs[i]);
		char *exact = malloc(n);
		memcpy(exact, inputs[i], n);
		const imap4_resp *r;
		int rc = imap4_resp_parse(&r, NULL, &arena, exact, n, &lim,
		                          NULL, 0);
		cr_expect_eq(rc, want[i], "input %zu: %d", i, rc);
		free(exact);
	}
}

Test(parse, code_arguments)
{
	const imap4_resp *r = parse_ok(
	        "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n");
	cr_assert_str_eq(r->code, "COPYUID");
	cr_assert_str_eq(r->code_text, "38505 304,319:320 3956:3958");
	cr_assert_str_eq(nth(r->code_args, 1)->str, "304,319:320");
	cr_assert_str_eq(nth(r->code_args, 2)->str, "3956:3958");
	cr_assert_str_eq(r->text, "Done");

	r = parse_ok("* OK [HIGHESTMODSEQ 715194045007]\r\n");
	uint64_t v;
	cr_assert(imap4_arg_get_u64(r->code_args, &v));
	cr_assert_eq(v, 715194045007ull);
	cr_assert_str_eq(r->text, "");

	/* free text after an unknown code: kept as text only */
	r = parse_ok("* OK [XPROPRIETARY \"a b] what\r\n");
	cr_assert_str_eq(r->code, "XPROPRIETARY");
	cr_assert_str_eq(r->code_text, "\"a b");
	cr_assert_null(r->code_args);
	cr_assert_str_eq(r->text, "what");

	r = parse_ok("* NO [BADURL imap://joe@example.com/INBOX;UID=1] x\r\n");
	cr_assert_str_eq(r->code_args->str,
	                 "imap://joe@example.com/INBOX;UID=1");

	/* a "[" that never closes is text */
	r = parse_ok("* OK [ALERT never closed\r\n");
	cr_assert_null(r->code);
	cr_assert_str_eq(r->text, "[ALERT never closed");

	r = parse_ok("* BYE [UNAVAILABLE]No space\r\n");
	cr_assert_str_eq(r->code, "UNAVAILABLE");
	cr_assert_str_eq(r->text, "No space");
}

/* What a text field says a caller may print as one line. */
static void assert_one_line(const char *s)
{
	cr_assert_not_null(s);
	cr_assert_null(strpbrk(s, "\r\n"), "<%s> is not one line", s);
}

static const imap4_resp *parse_len_ok(const char *s, size_t len)
{
	const imap4_resp *r = NULL;
	cr_assert_eq(imap4_parse_response(&r, &arena, s, len), 0);
	cr_assert_not_null(r);
	assert_one_line(r->code_text);
	assert_one_line(r->text);
	return r;
}

#define PARSE_LEN_OK(s) parse_len_ok(s, sizeof(s) - 1)

/* A literal among a code's arguments (BADCHARSET takes astrings) left its
 * "{5}\r\n" and its data in code_text: a log line broken in two, and not
 * what the server meant. code_text has it as the quoted string of its
 * data, as it shows a quoted string the server sent. */
Test(parse, literal_in_a_code_is_a_quoted_string_in_code_text)
{
	const imap4_resp *r = PARSE_LEN_OK(
	        "a1 NO [BADCHARSET {5}\r\nUTF-8] unsupported charset\r\n");
	cr_assert_str_eq(r->code, "BADCHARSET");
	cr_assert_str_eq(r->code_text, "\"UTF-8\"");
	cr_assert_eq(r->code_args->type, IMAP4_ARG_LITERAL);
	cr_assert_str_eq(imap4_arg_string(r->code_args), "UTF-8");
	cr_assert_null(r->code_args->next);
	cr_assert_str_eq(r->text, "unsupported charset");

	r = PARSE_LEN_OK("A1 NO [BADCHARSET (UTF-8 \"ISO-8859-1\" {5}\r\n"
	                 "KOI8R)] unsupported\r\n");
	cr_assert_str_eq(r->code_text, "(UTF-8 \"ISO-8859-1\" \"KOI8R\")");
	cr_assert_str_eq(nth(r->code_args->list, 2)->str, "KOI8R");

	/* untagged, LITERAL+ and an empty literal, two literals in a row */
	r = PARSE_LEN_OK("* OK [X {2+}\r\nab {0}\r\n x] hi\r\n");
	cr_assert_str_eq(r->code_text, "\"ab\" \"\" x");
	cr_assert_str_eq(r->text, "hi");

	/* what a quoted string cannot hold: quotes and backslashes escaped
	 * as in a quoted string, CR, LF and NUL as spaces; a "]" in the
	 * data is data */
	r = PARSE_LEN_OK("* NO [X {8}\r\na\"\\]\r\n\0b] t\r\n");
	cr_assert_str_eq(r->code_text, "\"a\\\"\\\\]   b\"");
	cr_assert_eq(r->code_args->len, 8);
	cr_assert_eq(memcmp(r->code_args->str, "a\"\\]\r\n\0b", 8), 0);
	cr_assert_str_eq(r->text, "t");

	/* free text after an unknown code: its end is the first "]" after
	 * the literals, not one inside their data */
	r = PARSE_LEN_OK("* OK [X {3}\r\n]ab \"\\q\"] t\r\n");
	cr_assert_null(r->code_args);
	cr_assert_str_eq(r->code_text, "\"]ab\" \"\\q\"");
	cr_assert_str_eq(r->text, "t");

	/* a literal8 ("~{n}") there too */
	r = PARSE_LEN_OK("* OK [X ~{2}\r\nab] t\r\n");
	cr_assert_str_eq(r->code_text, "\"ab\"");

	/* the copy keeps it */
	const imap4_resp *c;
	struct imap4_arena a2;
	imap4_arena_init(&a2, 0);
	cr_assert_eq(imap4_resp_copy(&c, &a2, r), 0);
	cr_assert_str_eq(c->code_text, "\"ab\"");
	imap4_arena_clear(&a2);
}

Test(parse, continuation)
{
	const imap4_resp *r = parse_ok("+ idling\r\n");
	cr_assert_eq(r->type, IMAP4_RESP_CONTINUE);
	cr_assert_null(r->name);
	cr_assert_null(r->tag);
	cr_assert_str_eq(r->text, "idling");

	r = parse_ok("+ "
	             "YGgGCSqGSIb3EgECAgIBAAD/////"
	             "6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n");
	cr_assert_str_eq(r->text,
	                 "YGgGCSqGSIb3EgECAgIBAAD/////"
	                 "6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=");

	r = parse_ok("+\r\n");
	cr_assert_str_eq(r->text, "");
}

Test(parse, malformed_inputs)
{
	cr_assert_eq(PARSE_RC("* \r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("*\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC(""), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* OK no crlf"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* OK bare lf\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* OK a\r\n* OK b\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* OK a\x00 b\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X a\x00 b\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* LIST (\\Noselect \"/\" x\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* LIST \\Noselect) \"/\" x\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X ((a)\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("A(1 OK x\r\n"), IMAP4_EPROTO, "bad tag char");
	cr_assert_eq(PARSE_RC("A+1 OK x\r\n"), IMAP4_EPROTO, "bad tag char");
	cr_assert_eq(PARSE_RC("A%1 OK x\r\n"), IMAP4_EPROTO, "bad tag char");
	cr_assert_eq(PARSE_RC("A\x80 OK x\r\n"), IMAP4_EPROTO, "8-bit tag");
	cr_assert_eq(PARSE_RC(" OK x\r\n"), IMAP4_EPROTO, "empty tag");
	cr_assert_eq(PARSE_RC("A1 FETCH x\r\n"), IMAP4_EPROTO, "tagged data");
	cr_assert_eq(PARSE_RC("* X \"a\"\"b\"\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X BODY[HEADER\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {5}\r\nabc\r\n"), IMAP4_EPROTO,
	             "short literal");
	cr_assert_eq(PARSE_RC("* X {3}\r\nabc"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {5}\r\n"), IMAP4_EPROTO,
	             "header ends input");
	cr_assert_eq(PARSE_RC("* X {0}\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {}\r\nabc\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {3\r\nabc\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {2}\r\nab\r\n\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* X {99999999999999999999}\r\nabc\r\n"),
	             IMAP4_EPROTO, "literal size over 64 bits");
	cr_assert_eq(PARSE_RC("* X {18446744073709551615}\r\nabc\r\n"),
	             IMAP4_ELIMIT, "literal over max_literal");
	cr_assert_eq(PARSE_RC("* 12\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("* 12x FETCH ()\r\n"), IMAP4_EPROTO);
	cr_assert_eq(PARSE_RC("+ a\rb\r\n"), IMAP4_EPROTO);
}

/* Where parsing stopped (imap4_resp_parse's stop): the byte refused, the
 * token that could not be taken, or the CRLF a glued response follows. */
Test(parse, stop_is_where_the_grammar_broke)
{
	static const struct {
		const char *s;
		int rc;
		size_t stop;
	} cases[] = {
	        {"* 1 EXISTS\r\n* 2 EXISTS\r\n", IMAP4_EPROTO, 10},
	        {"* OK a\r\n* OK b\r\n", IMAP4_EPROTO, 6},
	        {"* 1 FETCH (UID 1 BODY[] {3}\r\nabcX)\r\n", IMAP4_EPROTO, 32},
	        {"* X a\x01 b\r\n", IMAP4_EPROTO, 5},
	        {"* LIST (\\Noselect \"/\" x\r\n", IMAP4_EPROTO, 23},
	        {"* LIST \\Noselect) \"/\" x\r\n", IMAP4_EPROTO, 16},
	        {"A(1 OK x\r\n", IMAP4_EPROTO, 1},
	        {"A1 FETCH x\r\n", IMAP4_EPROTO, 3},
	        {"* X \"a\"\"b\"\r\n", IMAP4_EPROTO, 7},
	        {"* X \"a\\qb\"\r\n", IMAP4_EPROTO, 6},
	        {"* X BODY[HEADER\r\n", IMAP4_EPROTO, 15},
	        {"* X {5}\r\nabc\r\n", IMAP4_EPROTO, 4},
	        {"* X {5}\r\n", IMAP4_EPROTO, 9},
	        {"* X {99999999999999999999}\r\nabc\r\n", IMAP4_EPROTO, 24},
	        {"* X {18446744073709551615}\r\nabc\r\n", IMAP4_ELIMIT, 4},
	        {"* 12x FETCH ()\r\n", IMAP4_EPROTO, 4},
	        {"+ a\rb\r\n", IMAP4_EPROTO, 3},
	        {"* OK no crlf", IMAP4_EPROTO, 12},
	        {"* 1 FETCH (UID 1)\r\n", 0, 19},
	};
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s), stop = 12345;
		const imap4_resp *r;
		int rc = imap4_resp_parse(&r, &stop, &arena, cases[i].s, n,
		                          &lim, NULL, 0);
		cr_expect_eq(rc, cases[i].rc, "%zu: rc %d", i, rc);
		cr_expect_eq(stop, cases[i].stop, "%zu: stop %zu, not %zu", i,
		             stop, cases[i].stop);
		imap4_arena_reset(&arena);
	}
}

Test(parse, depth_and_args_limits)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_depth = 3;
	lim.max_args = 6;
	const imap4_resp *r;
	static const char deep[] = "* X (((a)))\r\n";
	static const char deeper[] = "* X ((((a))))\r\n";
	static const char many[] = "* X a b c d e f\r\n";
	static const char more[] = "* X a b c d e f g\r\n";
	static const char code[] = "* OK [C a b c d e f g] x\r\n";

	cr_assert_eq(imap4_resp_parse(&r, NULL, &arena, deep, sizeof(deep) - 1,
	                              &lim, NULL, 0),
	             0);
	cr_assert_eq(imap4_resp_parse(&r, NULL, &arena, deeper,
	                              sizeof(deeper) - 1, &lim, NULL, 0),
	             IMAP4_ELIMIT);
	cr_assert_eq(imap4_resp_parse(&r, NULL, &arena, many, sizeof(many) - 1,
	                              &lim, NULL, 0),
	             0);
	cr_assert_eq(imap4_resp_parse(&r, NULL, &arena, more, sizeof(more) - 1,
	                              &lim, NULL, 0),
	             IMAP4_ELIMIT);
	cr_assert_eq(imap4_resp_parse(&r, NULL, &arena, code, sizeof(code) - 1,
	                              &lim, NULL, 0),
	             IMAP4_ELIMIT);

	/* the default depth: 64 open lists pass, 65 do not */
	char buf[256];
	for (int depth = 64; depth <= 65; depth++) {
		size_t n = 0;
		n += (size_t)snprintf(buf, sizeof(buf), "* X ");
		for (int i = 0; i < depth; i++)
			buf[n++] = '(';
		for (int i = 0; i < depth; i++)
			buf[n++] = ')';
		buf[n++] = '\r';
		buf[n++] = '\n';
		cr_assert_eq(parse_rc(buf, n), depth == 64 ? 0 : IMAP4_ELIMIT);
	}
}

Test(parse, copy_outlives_source)
{
	for (size_t i = 0; i < test_ntranscripts; i++) {
		const struct test_transcript *t = &test_transcripts[i];
		struct imap4_arena src, dst;
		const imap4_resp *r, *c;
		imap4_arena_init(&src, 0);
		imap4_arena_init(&dst, 0);
		cr_assert_eq(imap4_parse_response(&r, &src, t->data, t->len),
		             0);
		char *before = test_resp_dump(r, true);
		cr_assert_eq(imap4_resp_copy(&c, &dst, r), 0);
		imap4_arena_clear(&src);
		cr_assert_eq(c->arena, &dst);
		char *after = test_resp_dump(c, true);
		cr_assert_str_eq(after, before, "%s", t->name);
		free(before);
		free(after);
		imap4_arena_clear(&dst);
	}
}

/* Fail the Nth allocation, for every N: an arena capped at N bytes (from 1,
 * as a cap of 0 means none, up to what the response takes uncapped) fails
 * the allocation that would cross N. The parse must fail cleanly with
 * IMAP4_ENOMEM and *out NULL, or succeed with the same result as without a
 * cap; so must a deep copy into a capped arena. */
Test(parse, arena_cap_every_n)
{
	for (size_t i = 0; i < test_ntranscripts; i++) {
		const struct test_transcript *t = &test_transcripts[i];
		const imap4_resp *r;
		cr_assert_eq(imap4_parse_response(&r, &arena, t->data, t->len),
		             0);
		char *want = test_resp_dump(r, true);
		size_t need = arena.used;
		bool succeeded = false;
		for (size_t cap = 1; cap <= need; cap++) {
			struct imap4_arena a;
			imap4_arena_init(&a, cap);
			int rc = imap4_parse_response(&r, &a, t->data, t->len);
			if (rc == 0) {
				char *got = test_resp_dump(r, true);
				cr_assert_str_eq(got, want, "%s cap %zu",
				                 t->name, cap);
				free(got);
				succeeded = true;
			} else {
				cr_assert_eq(rc, IMAP4_ENOMEM, "%s cap %zu: %d",
				             t->name, cap, rc);
				cr_assert_null(r);
			}
			/* copying into a capped arena fails the same way */
			struct imap4_arena b;
			const imap4_resp *c;
			imap4_arena_init(&b, cap);
			if (rc == 0) {
				rc = imap4_resp_copy(&c, &b, r);
				cr_assert(rc == 0 || rc == IMAP4_ENOMEM);
			}
			imap4_arena_clear(&b);
			imap4_arena_clear(&a);
		}
		cr_assert(succeeded, "%s never fits in %zu bytes", t->name,
		          need);
		free(want);
		imap4_arena_reset(&arena);
	}
}
