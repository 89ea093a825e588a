/* view_test.h - parsing wire text into responses for the tests of the
 * typed views (test_fetch.c, test_list.c, ...).
 *
 * Each test runs in its own process (criterion's default), so one arena per
 * test file is enough: view_setup/view_teardown create and free it, and
 * every response and view of a test lives in it.
 */
#ifndef TESTS_CORE_VIEW_TEST_H
#define TESTS_CORE_VIEW_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "imap4.h"
#include "util/arena.h"

static struct imap4_arena view_arena;

static inline void view_setup(void)
{
	imap4_arena_init(&view_arena, 0);
}

static inline void view_teardown(void)
{
	imap4_arena_clear(&view_arena);
}

/* Parses n bytes of wire text, adding the final CRLF when missing; the test
 * fails when the parser rejects it (the views' tests need a tree). */
static inline const imap4_resp *wire_n(const char *text, size_t n)
{
	char *buf = imap4_arena_alloc(&view_arena, n + 3);
	cr_assert_not_null(buf);
	memcpy(buf, text, n);
	if (n < 2 || text[n - 2] != '\r' || text[n - 1] != '\n') {
		buf[n++] = '\r';
		buf[n++] = '\n';
	}
	const imap4_resp *r = NULL;
	int rc = imap4_parse_response(&r, &view_arena, buf, n);
	cr_assert_eq(rc, 0, "parser rejected %.*s (%d)", (int)n, text, rc);
	cr_assert_not_null(r);
	return r;
}

static inline const imap4_resp *wire(const char *text)
{
	return wire_n(text, strlen(text));
}

#endif
