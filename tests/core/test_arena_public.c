/* test_arena_public.c - what a user of the installed library can do with
 * imap4.h alone: make an arena, parse a response and a sequence set into
 * it, reset it, free it. */
#include <criterion/criterion.h>

#include "imap4.h"

#include <string.h>

Test(arena_public, parse_reset_and_free)
{
	struct imap4_arena *a = imap4_arena_new(0);
	const imap4_resp *r;
	imap4_seqset set;
	const char line[] = "* 3 FETCH (UID 7 FLAGS (\\Seen))\r\n";

	cr_assert_not_null(a);
	cr_assert_eq(imap4_parse_response(&r, a, line, strlen(line)), 0);
	cr_assert_str_eq(r->name, "FETCH");
	cr_assert_eq(r->number, 3);
	imap4_arena_reset(a);
	cr_assert_eq(imap4_seqset_parse(&set, a, "1:3,9", 5), 0);
	cr_assert_eq(set.count, 2);
	cr_assert(imap4_seqset_contains(&set, 9, 100));
	imap4_arena_free(&a);
	cr_assert_null(a);
	imap4_arena_free(&a);
}

/* The cap bounds what one arena gives: a response past it is ENOMEM or
 * ELIMIT, never a crash. */
Test(arena_public, a_capped_arena_refuses_more)
{
	struct imap4_arena *a = imap4_arena_new(64);
	const imap4_resp *r;
	const char line[] =
	        "* LIST (\\HasNoChildren) \"/\" "
	        "\"a rather long mailbox name that will not fit\"\r\n";

	cr_assert_not_null(a);
	cr_assert_lt(imap4_parse_response(&r, a, line, strlen(line)), 0);
	imap4_arena_free(&a);
}
