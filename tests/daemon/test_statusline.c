/* test_statusline.c - systemd's STATUS line stays whole and names what
 * matters when the accounts' states do not fit its 256 bytes. */
#include "mailmirrord/statusline.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(statusline, few_accounts_are_each_told)
{
	struct statusline_acct v[] = {{"home", "idle"},
	                              {"work", "INBOX 4500/100000"}};
	char line[STATUSLINE_MAX + 1];
	statusline_make(line, sizeof(line), v, 2, 7);
	cr_assert_str_eq(line, "home: idle; work: INBOX 4500/100000; 7 "
	                       "messages to index");
	statusline_make(line, sizeof(line), v, 0, 0);
	cr_assert_str_eq(line, "no accounts");
}

/* explore80: 41 accounts, the failing one configured last. Listed one by
 * one the line was cut after some 15, and the failure never showed. */
Test(statusline, many_accounts_are_counted_and_the_failing_named_first)
{
	static char names[41][16];
	struct statusline_acct v[41];
	for (int i = 0; i < 39; i++) {
		snprintf(names[i], sizeof(names[i]), "acct-u%02d", i + 1);
		v[i] = (struct statusline_acct){names[i], "idle"};
	}
	v[39] = (struct statusline_acct){"acct-u40", "INBOX 4500/100000"};
	v[40] = (struct statusline_acct){"acct-bad", "error, retry in 279 s"};
	char line[1024];
	statusline_make(line, sizeof(line), v, 41, 0);
	cr_assert_leq(strlen(line), STATUSLINE_MAX, "%s", line);
	cr_assert_str_eq(line, "41 accounts: 1 failing (acct-bad), 39 idle, "
	                       "1 syncing (acct-u40 INBOX 4500/100000)");
}

/* Failing accounts past what fits are left out, the line still whole
 * words, and never longer than systemd keeps. */
Test(statusline, a_crowd_of_failures_still_fits)
{
	static char names[200][40];
	struct statusline_acct v[200];
	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "a-rather-long-name-%03d",
		         i);
		v[i] = (struct statusline_acct){names[i],
		                                "error, retry in 9 s"};
	}
	char line[1024];
	statusline_make(line, sizeof(line), v, 200, 12);
	cr_assert_leq(strlen(line), STATUSLINE_MAX, "%s", line);
	cr_assert(strncmp(line,
	                  "200 accounts, 12 messages to index: 200 "
	                  "failing (a-rather-long-name-000, ",
	                  60) == 0,
	          "%s", line);
}
