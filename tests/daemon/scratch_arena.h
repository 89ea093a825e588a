/* scratch_arena.h - the arena conv_msg builds envelopes in, one per test
 * process (criterion runs each test in its own). */
#ifndef TESTS_DAEMON_SCRATCH_ARENA_H
#define TESTS_DAEMON_SCRATCH_ARENA_H

#include "imap4.h"

#include <criterion/criterion.h>

static inline struct imap4_arena *scratch(void)
{
	static struct imap4_arena *a;
	if (!a)
		a = imap4_arena_new(0);
	cr_assert_not_null(a);
	return a;
}

#endif
