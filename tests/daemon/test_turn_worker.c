/* test_turn_worker.c - what an account worker says of its first sync
 * (acct_describe, systemd's STATUS): which mailbox, and its turn among
 * the account's. The scale tester's account of 3,292 small mailboxes
 * said "syncing" for hours. */
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "mailmirrord/account.h"
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-turnw-XXXXXX";
static char cache[96];

static void sleep_for(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void cleanup(void)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s%s", cache, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Three small mailboxes, none watched; the server keeps the second's
 * EXAMINE unanswered until the worker is stopped. */
Test(turn_worker, a_first_sync_says_the_mailbox_and_its_turn, .timeout = 30)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	FILE *log = tmpfile();
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(
	                &fs, &port,
	                "TIMEOUT 10000\n"
	                "S: * OK [CAPABILITY IMAP4rev1 IDLE] fake server "
	                "ready\n"
	                "C~ $TAG LOGIN \n"
	                "S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] logged in\n"
	                "C~ $TAG LIST \"\" \\*$\n"
	                "S: * LIST () \"/\" a\n"
	                "S: * LIST () \"/\" b\n"
	                "S: * LIST () \"/\" c\n"
	                "S: $TAG OK listed\n"
	                "C~ $TAG EXAMINE a$\n"
	                "S: * 0 EXISTS\n"
	                "S: * OK [UIDVALIDITY 7] ok\n"
	                "S: * OK [UIDNEXT 1] ok\n"
	                "S: $TAG OK [READ-ONLY] examined\n"
	                "C~ $TAG EXAMINE b$\n"
	                "EOF\n"),
	        0);
	struct conf_account c = fake_account("turns", port, "u", "p");
	c.timeout = 20; /* the EXAMINE of b waits for the test */
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	const char *want = "turns: syncing b, mailbox 2 of 3";
	char status[200] = "";
	for (int t = 0; t < 15000 && strcmp(status, want) != 0; t += 10) {
		sleep_for(10);
		acct_describe(a, status, sizeof(status));
	}
	struct acct_status st;
	acct_status_get(&st, a);
	acct_request_stop(a);
	acct_force_stop(a);
	cr_assert(acct_join(&a, 10000, NULL));
	char why[512] = "";
	int served = fake_server_finish(fs, why, sizeof(why));
	log_open(2, LOG_PREFIX_WORD);
	fclose(log);
	cleanup();
	cr_assert_str_eq(status, want);
	cr_assert_eq(st.state, ACCT_SYNCING);
	cr_assert_str_eq(st.mailbox, "b");
	cr_assert_eq(st.box_k, 2);
	cr_assert_eq(st.box_n, 3);
	cr_assert_eq(served, 0, "%s", why);
}
