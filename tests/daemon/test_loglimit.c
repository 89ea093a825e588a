/* test_loglimit.c - the first lines of a kind per pass, then a count. */
#include "mailmirrord/log.h"
#include "mailmirrord/loglimit.h"

#include <criterion/criterion.h>

/* A prefix change on a large account: thousands of mailboxes dropped in
 * one pass are a few notices and one count, not a line each. */
Test(loglimit, a_pass_shows_the_first_lines_and_counts_the_rest)
{
	struct loglimit ll = {0};
	unsigned notices = 0, debug = 0;
	for (unsigned i = 0; i < 1574; i++) {
		int level = loglimit_level(&ll, LOG_LEVEL_NOTICE);
		if (level == LOG_LEVEL_NOTICE)
			notices++;
		else if (level == LOG_LEVEL_DEBUG)
			debug++;
	}
	cr_assert_eq(notices, LOGLIMIT_SHOWN);
	cr_assert_eq(debug, 1574 - LOGLIMIT_SHOWN);
	cr_assert_eq(loglimit_end(&ll), 1574 - LOGLIMIT_SHOWN);

	/* The next pass starts afresh. */
	cr_assert_eq(loglimit_level(&ll, LOG_LEVEL_WARNING), LOG_LEVEL_WARNING);
	cr_assert_eq(loglimit_end(&ll), 0);
}

Test(loglimit, a_small_pass_has_nothing_to_count)
{
	struct loglimit ll = {0};
	for (unsigned i = 0; i < LOGLIMIT_SHOWN; i++)
		cr_assert_eq(loglimit_level(&ll, LOG_LEVEL_WARNING),
		             LOG_LEVEL_WARNING);
	cr_assert_eq(loglimit_end(&ll), 0);
}

/* Debug lines are the detail: they neither count nor use up the lines
 * shown at a higher level. */
Test(loglimit, debug_lines_are_not_limited)
{
	struct loglimit ll = {0};
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(loglimit_level(&ll, LOG_LEVEL_DEBUG),
		             LOG_LEVEL_DEBUG);
	cr_assert_eq(loglimit_level(&ll, LOG_LEVEL_NOTICE), LOG_LEVEL_NOTICE);
	cr_assert_eq(loglimit_end(&ll), 0);
}
