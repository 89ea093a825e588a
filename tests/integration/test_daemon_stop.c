/* test_daemon_stop.c - SIGTERM while an account is still connecting, or
 * waits on a command the server does not answer; a reload that drops
 * accounts waiting so.
 *
 * A connect has no libimap4 handle to wake yet: the account's stop makes
 * its cancel descriptor readable instead (opts.cancel_fd), which ends the
 * TCP connect, the wait for the greeting or a tunnel's first bytes at once.
 * Each test points the daemon at a server that never answers one of these,
 * waits until the daemon is stuck in it, and requires SIGTERM to end the
 * daemon with status 0 within STOP_MS, with nothing logged at warning or
 * above (no "did not stop in time", no connection failure or back-off).
 * Without the cancel, each would wait out its 1.8 s stop budget. A worker
 * that waits on a command when the stop comes gets a short grace, then its
 * connection is cut (acct_force_stop): the stop is as quiet and as quick.
 */
#include "integration/daemon_fixture.h"

#include "harness/fake_server.h"
#include "harness/silent_listener.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

TestSuite(stop, .timeout = 60);

/* What a stop may take from SIGTERM to exit: less than the stop budget
 * (STOP_BUDGET_MS, main.c), which a stop without the cancel waits out. A
 * second was too little for a sanitized daemon on a loaded machine (1.2 s
 * seen, the worker waiting on a command has 300 ms of grace of its own);
 * a stop that waits out the budget is also told by its warning, which
 * assert_quiet_stop refuses. */
#define STOP_MS 1700

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listener(int backlog, uint16_t *port)
{
	int fd = silent_listener(backlog, port);
	cr_assert_geq(fd, 0, "listener: %s", strerror(errno));
	return fd;
}

/* A fixture of our own: no Dovecot mailbox to reset, one account whose
 * connection line is given. */
static void make_fixture(struct fixture *f, const char *connection)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mm-stop.XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/mailmirror.conf", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/cache.db", f->dir);
	FILE *c = conf_create(f->conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({\n"
	        "  name = \"silent\"; %s\n"
	        "  user = \"u\"; password = \"p\";\n"
	        "  mailboxes = [\"INBOX\"]; idle = [\"INBOX\"];\n"
	        "});\n",
	        f->db, connection);
	fclose(c);
	cr_assert_eq(sh("chmod 600 '%s'", f->conf), 0);
}

static bool log_has(const struct fixture *f, const char *needle)
{
	return sh("grep -qF -- '%s' '%s/log'", needle, f->dir) == 0;
}

static void wait_log(const struct fixture *f, const char *needle)
{
	if (log_says_within(f, needle, 10))
		return;
	sh("cat '%s/log' >&2", f->dir);
	cr_assert_fail("the log never said \"%s\"", needle);
}

/* SIGTERM, then: exit 0 within STOP_MS, and a quiet log. */
static void assert_quiet_stop(const struct fixture *f, pid_t pid)
{
	int64_t t0 = mono_ms();
	int status = stop_daemon(pid);
	int64_t took = mono_ms() - t0;
	/* Words in a file, after the time, "<N>" for the journal (log.h). */
	bool loud = sh("grep -qE '^<[0-4]>|" LOG_BOL_E "(error|warning): ' "
	               "'%s/log'",
	               f->dir) == 0;
	if (status != 0 || took >= STOP_MS || loud)
		sh("cat '%s/log' >&2", f->dir);
	cr_assert_eq(status, 0, "exit status %d", status);
	cr_assert_lt(took, STOP_MS, "the stop took %lld ms", (long long)took);
	cr_assert_not(loud, "a warning or error was logged (see above)");
	cr_assert_not(log_has(f, "did not stop in time"));
	cr_assert_not(log_has(f, "retrying"));
	cr_assert(log_has(f, "stopping"));
}

Test(stop, while_waiting_for_the_greeting)
{
	struct fixture f;
	char conn[128];
	uint16_t port;
	int lfd = listener(4, &port);
	snprintf(conn, sizeof(conn),
	         "host = \"127.0.0.1\"; port = %u; tls = \"none\";",
	         (unsigned)port);
	make_fixture(&f, conn);

	pid_t pid = start_daemon(&f);
	wait_log(&f, "connecting to 127.0.0.1");
	/* A connection waits in the backlog: the daemon is connected and
	 * waits for the greeting. */
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	cr_assert_eq(poll(&p, 1, 10000), 1, "the daemon never connected");
	usleep(200000);
	assert_quiet_stop(&f, pid);
	close(lfd);
	teardown(&f);
}

Test(stop, while_the_tcp_connect_hangs)
{
	struct fixture f;
	char conn[128];
	uint16_t port;
	int lfd = listener(0, &port);
	/* One connection fills a backlog of 0: the kernel drops the
	 * daemon's SYNs, and its connect hangs. */
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(conn, sizeof(conn),
	         "host = \"127.0.0.1\"; port = %u; tls = \"none\";",
	         (unsigned)port);
	make_fixture(&f, conn);

	pid_t pid = start_daemon(&f);
	wait_log(&f, "connecting to 127.0.0.1");
	usleep(300000);
	assert_quiet_stop(&f, pid);
	close(filler);
	close(lfd);
	teardown(&f);
}

Test(stop, while_a_tunnel_never_speaks)
{
	struct fixture f;
	/* A sleep no other test runs, to look for it afterwards. */
	make_fixture(&f, "tunnel = \"exec sleep 59.4321\";");

	pid_t pid = start_daemon(&f);
	wait_log(&f, "connecting through the tunnel");
	usleep(300000);
	assert_quiet_stop(&f, pid);
	/* The daemon ended its tunnel as it closed it: nothing is left. */
	cr_assert_neq(sh("pgrep -f 'sleep 59[.]4321' >/dev/null"), 0,
	              "the tunnel's child outlived the daemon");
	teardown(&f);
}

/* A tunnel that greets, then never answers the LOGIN: its pipes are no
 * socket to shut down, so the stop waited out its budget and left the
 * worker behind; the handle now watches the account's cut descriptor. */
Test(stop, while_a_tunnel_leaves_the_login_unanswered)
{
	struct fixture f;
	make_fixture(&f, "tunnel = \"printf '* OK [CAPABILITY IMAP4rev1] "
	                 "hi\\\\r\\\\n'; exec sleep 59.4322\";");

	pid_t pid = start_daemon(&f);
	wait_log(&f, "connecting through the tunnel");
	usleep(300000);
	assert_quiet_stop(&f, pid);
	cr_assert_neq(sh("pgrep -f 'sleep 59[.]4322' >/dev/null"), 0,
	              "the tunnel's child outlived the daemon");
	teardown(&f);
}

/* Logged in, the daemon sends LIST, and the server never answers. */
Test(stop, while_a_command_gets_no_answer)
{
	struct fixture f;
	struct fake_server *fs;
	uint16_t port;
	char conn[128], err[512];
	/* No check of the connection for a network test's address on lo:
	 * the script has none. */
	cr_assert_eq(setenv("MAILMIRROR_NETWATCH", "off", 1), 0);
	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                                "C~ $TAG LOGIN \n"
	                                "S: $TAG OK [CAPABILITY IMAP4rev1] in\n"
	                                "C~ $TAG LIST \n"
	                                "TIMEOUT 30000\n"
	                                "EOF\n"),
	             0);
	snprintf(conn, sizeof(conn),
	         "host = \"127.0.0.1\"; port = %u; tls = \"none\";",
	         (unsigned)port);
	make_fixture(&f, conn);

	pid_t pid = start_daemon(&f);
	wait_log(&f, "connected");
	usleep(300000);
	assert_quiet_stop(&f, pid);
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);
	teardown(&f);
}

/* Milliseconds between the first and the last log line saying needle,
 * from their times of day; -1 when fewer than two say it. */
static long log_spread_ms(const struct fixture *f, const char *needle)
{
	return sh_number("grep -F -- '%s' '%s/log' | awk '"
	                 "{ split(substr($1, 12, 12), t, \":\");"
	                 "  ms = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000;"
	                 "  if (n++ == 0) lo = ms; hi = ms }"
	                 "END { print n < 2 ? -1 : int(hi - lo) }'",
	                 needle, f->dir);
}

/* A reload that drops accounts stops their workers together: each one
 * waiting on a command is given RUNNING_FORCE_AFTER_MS before its
 * connection is cut, and one after the other they held the reload (and
 * every other account's new configuration) for that times the count. */
Test(stop, a_reload_drops_waiting_accounts_together, .timeout = 90)
{
	enum { N = 6 };
	struct fixture f;
	struct fake_server *fs[N];
	uint16_t port[N], keep_port;
	char err[512];
	cr_assert_eq(setenv("MAILMIRROR_NETWATCH", "off", 1), 0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(fake_server_listen(
		                     &fs[i], &port[i],
		                     "S: * OK [CAPABILITY IMAP4rev1] hi\n"
		                     "C~ $TAG LOGIN \n"
		                     "S: $TAG OK [CAPABILITY IMAP4rev1] in\n"
		                     "C~ $TAG LIST \n"
		                     "TIMEOUT 60000\n"
		                     "EOF\n"),
		             0);
	int keep = listener(1, &keep_port);
	make_fixture(&f, "host = \"127.0.0.1\"; port = 1; tls = \"none\";");

	char *many = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&many, &len);
	cr_assert_not_null(m);
	fprintf(m, "cache = \"%s\";\naccounts = (\n", f.db);
	for (int i = 0; i < N; i++)
		fprintf(m,
		        "{ name = \"waits%d\"; host = \"127.0.0.1\"; port = %u;"
		        "  tls = \"none\"; user = \"u\"; password = \"p\";"
		        "  mailboxes = [\"INBOX\"]; idle = [\"INBOX\"]; },\n",
		        i, (unsigned)port[i]);
	fprintf(m,
	        "{ name = \"keep\"; host = \"127.0.0.1\"; port = %u;"
	        "  tls = \"none\"; user = \"u\"; password = \"p\";"
	        "  mailboxes = [\"INBOX\"]; idle = [\"INBOX\"]; }\n);\n",
	        (unsigned)keep_port);
	fclose(m);
	FILE *c = conf_create(f.conf);
	cr_assert_not_null(c);
	fputs(many, c);
	fclose(c);
	free(many);

	pid_t pid = start_daemon(&f);
	/* Every worker waits on its LIST. */
	for (int i = 0; i < N; i++) {
		int tries = 0;
		while (!strstr(fake_server_transcript(fs[i]), " LIST ") &&
		       tries++ < 400)
			usleep(50000);
		cr_assert(strstr(fake_server_transcript(fs[i]), " LIST "),
		          "account waits%d never sent its LIST", i);
	}

	c = conf_create(f.conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({ name = \"keep\"; host = \"127.0.0.1\";"
	        "  port = %u; tls = \"none\"; user = \"u\"; password = \"p\";"
	        "  mailboxes = [\"INBOX\"]; idle = [\"INBOX\"]; });\n",
	        f.db, (unsigned)keep_port);
	fclose(c);
	kill(pid, SIGHUP);
	wait_log(&f, "reloaded: ");

	cr_assert_eq(sh_number("grep -c 'account removed' '%s/log'", f.dir), N);
	/* One by one, each removal is logged RUNNING_FORCE_AFTER_MS (300)
	 * after the one before: 1.5 s from the first to the last. */
	long spread = log_spread_ms(&f, "account removed");
	if (spread >= 250)
		sh("cat '%s/log' >&2", f.dir);
	cr_assert_lt(spread, 250, "the removals were logged %ld ms apart",
	             spread);
	for (int i = 0; i < N; i++)
		cr_assert_eq(fake_server_finish(fs[i], err, sizeof(err)), 0,
		             "waits%d: %s", i, err);
	cr_assert_eq(stop_daemon(pid), 0);
	close(keep);
	teardown(&f);
}

/* Mailboxes of the account the configuration dropped: each is a step of
 * the prune (a transaction of its own). 4000 empty ones took about 1 s to
 * drop here; these take several, longer than stop_daemon waits (3 s, then
 * SIGKILL and status -1), which is how the old code failed. */
#define DROPPED_BOXES 20000

/* The start drops from the cache the accounts the configuration no longer
 * names, on the supervisor's thread, before it reads any signal: explore80
 * renamed twelve of its 40 accounts, and a SIGTERM 3 s after the start
 * ended the daemon 45 s later, once all of them were deleted (u01 alone,
 * 3292 mailboxes, takes 20 s). A stop now ends the prune between two
 * steps, the rest left for the next start, and takes no longer than the
 * other stops. */
Test(stop, while_a_dropped_account_leaves_the_cache, .timeout = 120)
{
	struct fixture f;
	char conn[128];
	uint16_t port;
	int lfd = listener(4, &port);
	snprintf(conn, sizeof(conn),
	         "host = \"127.0.0.1\"; port = %u; tls = \"none\";",
	         (unsigned)port);
	make_fixture(&f, conn);
	/* The cache made by a first run, then given an account no longer
	 * configured. */
	pid_t pid = start_daemon(&f);
	wait_log(&f, "connecting to 127.0.0.1");
	cr_assert_eq(stop_daemon(pid), 0);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(f.db, &db), SQLITE_OK);
	char *sql = sqlite3_mprintf(
	        "BEGIN IMMEDIATE;"
	        "INSERT INTO accounts (name, state) VALUES ('gone', 'stopped');"
	        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	        " WHERE i < %d)"
	        " INSERT INTO mailboxes (account_id, name)"
	        " SELECT (SELECT id FROM accounts WHERE name = 'gone'),"
	        " 'box' || i FROM n;"
	        "COMMIT;",
	        DROPPED_BOXES);
	cr_assert_not_null(sql);
	char *err = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s",
	             err ? err : "?");
	sqlite3_free(sql);
	sqlite3_close(db);

	pid = start_daemon(&f);
	wait_log(&f, "account no longer in the configuration");
	assert_quiet_stop(&f, pid);
	cr_assert(log_has(&f, "the rest goes at the next start"));
	/* What was deleted is: the account stays, with fewer mailboxes, for
	 * the next start to go on. */
	long left = cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                            "account_id = (SELECT id FROM accounts "
	                            "WHERE name = 'gone')");
	cr_assert(left > 0 && left < DROPPED_BOXES, "%ld mailboxes left", left);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM accounts WHERE "
	                             "name = 'silent' AND state = 'stopped'"),
	             1);
	close(lfd);
	teardown(&f);
}
