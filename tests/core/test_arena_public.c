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

/* imap4_arena_new may return NULL, and _free(NULL) is a no-op: so is a
 * reset of NULL, and a parse into no arena is refused, not a crash. */
Test(arena_public, null_arena_is_refused_never_read)
{
	const imap4_resp *r = NULL;
	imap4_seqset set;
	const char line[] = "* 3 EXISTS\r\n";

	imap4_arena_reset(NULL);
	cr_assert_eq(imap4_parse_response(&r, NULL, line, strlen(line)),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_seqset_parse(&set, NULL, "1:3", 3), IMAP4_EINVAL);

	struct imap4_arena *a = imap4_arena_new(0);
	cr_assert_not_null(a);
	cr_assert_eq(imap4_parse_response(NULL, a, line, strlen(line)),
	             IMAP4_EINVAL);
	imap4_arena_free(&a);
}

/* Nothing to wipe is nothing to do: NULL with 0 bytes (an empty buffer
 * never allocated) must not reach memset, which UBSan and the C standard
 * refuse a NULL pointer even for 0 bytes. NULL with a size is refused
 * the same way, as the header's rule for NULL arguments says. */
Test(arena_public, memzero_of_null_does_nothing)
{
	char buf[4] = "abc";

	imap4_memzero(NULL, 0);
	imap4_memzero(NULL, 16);
	imap4_memzero(buf, 0);
	cr_assert_str_eq(buf, "abc");
	imap4_memzero(buf, sizeof(buf));
	cr_assert_eq(buf[0], 0);
	cr_assert_eq(buf[3], 0);
}
