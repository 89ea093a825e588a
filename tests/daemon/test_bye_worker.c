/* test_bye_worker.c - an account worker against a scripted server that
 * ends sessions it has no fault in: the autologout of a connection that
 * only waits for the next poll (explore79 F6), and a BYE in IDLE every
 * few seconds after each session synced (F7). Neither is a failure: no
 * warning, no back-off, no "still failing"; and the second never becomes
 * a reconnect every second. */
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

static char dir[] = "/tmp/mm-byew-XXXXXX";
static char cache[96];

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

static void sleep_for(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int log_count(FILE *log, const char *what)
{
	int count = 0;
	char line[LOG_LINE_MAX];
	fflush(log);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		count += strstr(line, what) != NULL;
	return count;
}

/* Waits up to ms for n log lines with what. */
static bool log_wait(FILE *log, const char *what, int n, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (log_count(log, what) >= n)
			return true;
		sleep_for(20);
	}
	return log_count(log, what) >= n;
}

static FILE *open_log(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	FILE *log = tmpfile();
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);
	return log;
}

/* Stops the account and the server, and gives the log to criterion's
 * output; the log goes back to stderr. */
static void stop_and_show(struct account **a, struct fake_server *fs, FILE *log)
{
	acct_request_stop(*a);
	acct_force_stop(*a);
	cr_assert(acct_join(a, 10000, NULL));
	char why[512] = "";
	if (fake_server_finish(fs, why, sizeof(why)) < 0)
		cr_log_info("server: %s", why);
	char line[LOG_LINE_MAX];
	rewind(log);
	while (fgets(line, sizeof(line), log))
		cr_log_info("%s", line);
	log_open(2, LOG_PREFIX_WORD);
	fclose(log);
	cleanup();
}

#define GREETING                                                               \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE] fake server ready\n"              \
	"C~ $TAG LOGIN \n"                                                     \
	"S: $TAG OK [CAPABILITY IMAP4rev1 IDLE] logged in\n"
#define LISTED                                                                 \
	"C~ $TAG LIST \"\" \\*$\n"                                             \
	"S: * LIST () \"/\" INBOX\n"                                           \
	"S: $TAG OK listed\n"
#define EXAMINED                                                               \
	"C~ $TAG EXAMINE INBOX$\n"                                             \
	"S: * 0 EXISTS\n"                                                      \
	"S: * OK [UIDVALIDITY 7] ok\n"                                         \
	"S: * OK [UIDNEXT 1] ok\n"                                             \
	"S: $TAG OK [READ-ONLY] examined\n"

/* ---- F6: autologout between polls */

/* Nothing watched, and a poll_interval longer than the server's
 * autologout: the server ends the unused connection with BYE before
 * each poll. The poll then reconnects at once, at info level. */
Test(bye_worker, an_unused_connection_the_server_ended_is_no_failure,
     .timeout = 30)
{
	FILE *log = open_log();
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(&fs, &port,
	                           "TIMEOUT 10000\n" GREETING LISTED EXAMINED
	                           "S: * BYE Autologout; idle for too "
	                           "long\n"
	                           "CLOSE\n"
	                           "ACCEPT\n" GREETING EXAMINED LISTED
	                           "TIMEOUT 20000\n"
	                           "EOF\n"),
	        0);
	struct conf_account c = fake_account("unused", port, "u", "p");
	c.poll_interval = 1;
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	/* Counted as the second session goes live, before its first poll
	 * (a second later) meets the end of the script. */
	bool again = log_wait(log, "no mailbox watched", 2, 10000);
	int warnings = log_count(log, "warning:");
	int still = log_count(log, "still failing");
	int info = log_count(log, "info: [unused] the server ended the "
	                          "connection, unused since the last poll");
	stop_and_show(&a, fs, log);
	cr_assert(again, "no new session");
	cr_assert_eq(warnings, 0);
	cr_assert_eq(still, 0);
	cr_assert_eq(info, 1);
}

/* ---- F7: BYE in IDLE soon after every session went live */

/* A session that syncs, goes live and is ended by the server's BYE in
 * IDLE: "BYE going away" after the IDLE's "+". */
#define BYE_IN_IDLE                                                            \
	"C~ $TAG IDLE$\n"                                                      \
	"S: + idling\n"                                                        \
	"S: * BYE going away\n"                                                \
	"CLOSE\n"

/* Each session synced: none is a failure, however often the server ends
 * them, but each that ends within a minute of going live doubles the
 * wait before the next. The second within a minute was a failure: a
 * warning, the back-off, "still failing" at the next ones. */
Test(bye_worker, sessions_a_server_ends_in_idle_are_no_failure_but_slow_down,
     .timeout = 30)
{
	FILE *log = open_log();
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(
	                &fs, &port,
	                "TIMEOUT 10000\n" GREETING LISTED EXAMINED BYE_IN_IDLE
	                "ACCEPT\n" GREETING EXAMINED LISTED BYE_IN_IDLE),
	        0);
	struct conf_account c = fake_account("byes", port, "u", "p");
	static char *idle[] = {"INBOX", NULL};
	c.idle = idle;
	c.n_idle = 1;
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	/* The second BYE, or (as it was) the second failure's wait. */
	bool second = false;
	for (int t = 0; t < 10000 && !second; t += 20) {
		second = log_count(log, "reconnecting in") > 0 ||
		         log_count(log, "retrying in") > 0;
		sleep_for(20);
	}
	char status[200];
	acct_describe(a, status, sizeof(status));
	int first = log_count(log, "notice: [byes] IDLE: server said BYE: "
	                           "going away; reconnecting");
	int slower = log_count(log, "notice: [byes] IDLE: server said BYE: "
	                            "going away, 0 s after the session went "
	                            "live (2 sessions in a row ended within "
	                            "60 s); reconnecting in 2 s");
	int warnings = log_count(log, "warning:");
	stop_and_show(&a, fs, log);
	cr_assert(second, "no second session ended");
	cr_assert_eq(first, 1);
	cr_assert_eq(warnings, 0);
	cr_assert_eq(slower, 1);
	cr_assert(strstr(status, "byes: ended by the server, reconnecting in "),
	          "%s", status);
}

/* ---- a network change */

/* A network change pokes every account; the daemon says so once, at
 * notice ("the network changed; checking every connection"), and each
 * account's own check was one more line at info: 40 lines for 40
 * accounts (explore80). Each is at debug now. */
Test(bye_worker, a_pokes_check_is_logged_at_debug, .timeout = 30)
{
	FILE *log = open_log();
	log_set_level(LOG_LEVEL_DEBUG);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(&fs, &port,
	                           "TIMEOUT 10000\n" GREETING LISTED EXAMINED
	                           "TIMEOUT 20000\n"
	                           "EOF\n"),
	        0);
	struct conf_account c = fake_account("poked", port, "u", "p");
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	/* Taken once the session is live. */
	acct_poke(a);
	bool checked = log_wait(log, "checking the connection", 1, 10000);
	int at_info = log_count(log, "info: [poked] checking the connection");
	int at_debug = log_count(log, "debug: [poked] checking the connection");
	stop_and_show(&a, fs, log);
	cr_assert(checked, "the poke was not taken");
	cr_assert_eq(at_info, 0);
	cr_assert_eq(at_debug, 1);
}
