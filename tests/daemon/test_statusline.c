/* test_statusline.c - systemd's STATUS line stays whole and names what
 * matters when the accounts' states do not fit its 256 bytes. */
#include "mailmirrord/statusline.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const struct acct_status idle = {.state = ACCT_IDLE};

/* A fetch of mailbox, done of total. */
static struct acct_status fetching(const char *mailbox, uint32_t done,
                                   uint32_t total)
{
	struct acct_status st = {
	        .state = ACCT_SYNCING, .done = done, .total = total};
	snprintf(st.mailbox, sizeof(st.mailbox), "%s", mailbox);
	return st;
}

Test(statusline, few_accounts_are_each_told)
{
	struct acct_status work = fetching("INBOX", 4500, 100000);
	struct statusline_acct v[] = {{"home", &idle}, {"work", &work}};
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
		v[i] = (struct statusline_acct){names[i], &idle};
	}
	struct acct_status u40 = fetching("INBOX", 4500, 100000);
	struct acct_status bad = {.state = ACCT_RETRYING, .wait_s = 279};
	v[39] = (struct statusline_acct){"acct-u40", &u40};
	v[40] = (struct statusline_acct){"acct-bad", &bad};
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
	struct acct_status err = {.state = ACCT_RETRYING, .wait_s = 9};
	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "a-rather-long-name-%03d",
		         i);
		v[i] = (struct statusline_acct){names[i], &err};
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

/* The scale tester: 40 accounts, one of 3,292 mailboxes in its first
 * sync, said "1 syncing (acct-big syncing)" for hours. Which mailbox, its
 * turn among the account's, and its messages when they are many. */
Test(statusline, a_first_sync_says_which_mailbox_and_how_far)
{
	static char names[40][16];
	struct statusline_acct v[40];
	for (int i = 0; i < 39; i++) {
		snprintf(names[i], sizeof(names[i]), "acct-u%02d", i + 1);
		v[i] = (struct statusline_acct){names[i], &idle};
	}
	struct acct_status big = {
	        .state = ACCT_SYNCING, .box_k = 1200, .box_n = 3292};
	snprintf(big.mailbox, sizeof(big.mailbox), "Archive/2019");
	v[39] = (struct statusline_acct){"acct-big", &big};
	char line[1024];
	statusline_make(line, sizeof(line), v, 40, 0);
	cr_assert_str_eq(line, "40 accounts: 39 idle, 1 syncing (acct-big "
	                       "syncing Archive/2019, mailbox 1200 of 3292)");

	big = fetching("INBOX", 4500, 100000);
	big.box_k = 1;
	big.box_n = 3292;
	statusline_make(line, sizeof(line), v, 40, 123456);
	cr_assert_str_eq(line, "40 accounts, 123456 messages to index: 39 "
	                       "idle, 1 syncing (acct-big INBOX 4500/100000, "
	                       "mailbox 1 of 3292)");

	/* few accounts: each said in full */
	statusline_make(line, sizeof(line), &v[38], 2, 0);
	cr_assert_str_eq(line, "acct-u39: idle; acct-big: INBOX 4500/100000, "
	                       "mailbox 1 of 3292");
}

/* A mailbox's name as long as the status keeps, beside failing accounts
 * that fill most of the line: the turn still shows, the name given up
 * first; and the line never passes what systemd keeps. */
Test(statusline, a_long_mailbox_name_gives_way_to_the_turn)
{
	static char names[16][40];
	struct statusline_acct v[17];
	struct acct_status err = {.state = ACCT_RETRYING, .wait_s = 9};
	for (int i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "acct-%02d", i);
		v[i] = (struct statusline_acct){names[i], &err};
	}
	struct acct_status big = {
	        .state = ACCT_SYNCING, .box_k = 7, .box_n = 3292};
	memset(big.mailbox, 'x', sizeof(big.mailbox) - 1);
	v[16] = (struct statusline_acct){"acct-big", &big};
	char line[1024];
	statusline_make(line, sizeof(line), v, 17, 0);
	cr_assert_leq(strlen(line), STATUSLINE_MAX, "%s", line);
	cr_assert(strstr(line, "1 syncing (acct-big syncing ..., mailbox 7 of "
	                       "3292)"),
	          "%s", line);
}

/* What acct_describe and the STATUS line say of each state. */
Test(statusline, every_state_in_words)
{
	static const struct {
		struct acct_status st;
		const char *want;
	} t[] = {
	        {{.state = ACCT_STARTING}, "starting"},
	        {{.state = ACCT_WAITING, .gate_n = 4, .host = "imap.x"},
	         "waiting to connect (4 connections to imap.x being set "
	         "up)"},
	        {{.state = ACCT_CONNECTING}, "connecting"},
	        {{.state = ACCT_SYNCING}, "syncing"},
	        {{.state = ACCT_SYNCING, .mailbox = "Work"}, "syncing Work"},
	        {{.state = ACCT_SYNCING,
	          .mailbox = "Work",
	          .done = 0,
	          .total = 900},
	         "Work 0/900"},
	        {{.state = ACCT_SYNCING,
	          .mailbox = "Work",
	          .box_k = 2,
	          .box_n = 5},
	         "syncing Work, mailbox 2 of 5"},
	        {{.state = ACCT_POLLING}, "polling"},
	        {{.state = ACCT_IDLE}, "idle"},
	        {{.state = ACCT_RETRYING, .wait_s = 27},
	         "error, retry in 27 s"},
	        {{.state = ACCT_DISK_FULL, .wait_s = 60},
	         "disk full, next look in 60 s"},
	        {{.state = ACCT_RECONNECTING, .wait_s = 1},
	         "ended by the server, reconnecting in 1 s"},
	};
	char buf[STATUSLINE_MAX + 1];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		acct_status_text(buf, sizeof(buf), &t[i].st);
		cr_assert_str_eq(buf, t[i].want);
	}
}
