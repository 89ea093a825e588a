/* test_daemon_reload.c - what a SIGHUP, or a new configuration, does to
 * the cache.
 *
 * The cache cannot move while the daemon runs: a reload that names another
 * path is warned about, and the path in use stays. A later reload that
 * names the path in use again must be quiet, and so must every reload
 * after it; comparing each configuration with the one loaded before it
 * (instead of with the cache in use) warned at all of them. An account
 * left out of the configuration leaves the cache.
 */
#include "integration/daemon_fixture.h"
#include "harness/dovecot_env.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

/* Rewrites the cache line of the fixture's configuration. */
static void set_cache(const struct fixture *f, const char *path)
{
	cr_assert_eq(
	        sh("sed -i 's|^cache = .*|cache = \"%s\";|' %s", path, f->conf),
	        0);
}

/* Sends SIGHUP and waits until the daemon has told the end of its n-th
 * reload: "reloaded: N accounts running, M changed", or that it failed. */
static void reload(pid_t pid, const struct fixture *f, long n)
{
	kill(pid, SIGHUP);
	for (int i = 0; i < 200; i++) {
		if (sh_number("grep -cE 'reloaded: |reload failed' %s/log",
		              f->dir) >= n)
			break;
		sleep_ms(50);
	}
	cr_assert_geq(
	        sh_number("grep -cE 'reloaded: |reload failed' %s/log", f->dir),
	        n, "the reload never ended");
}

static long warnings(const struct fixture *f)
{
	return sh_number("grep -c 'the cache path changed' %s/log", f->dir);
}

/* N accounts on a port where nothing listens, account "a<k>" polled
 * every poll + k seconds. */
static void write_many(const struct fixture *f, int n, int changed, int poll)
{
	FILE *c = conf_create(f->conf);
	cr_assert_not_null(c);
	fprintf(c, "cache = \"%s\";\naccounts = (", f->db);
	for (int k = 0; k < n; k++)
		fprintf(c,
		        "%s{ name = \"a%d\"; host = \"127.0.0.1\"; port = 9;"
		        " tls = \"none\"; user = \"u\"; password = \"p\";"
		        " poll_interval = %d; timeout = 5; }\n",
		        k ? "," : "", k, k < changed ? poll + 1 : poll);
	fprintf(c, ");\n");
	fclose(c);
}

/* Each reload changes another account: the workers of the others keep
 * the configuration they started with, so many configurations are held at
 * once. There were 16 places for them; the 16th reload and every later
 * one were refused for good ("too many reloads pending"). */
Test(daemon, reloads_that_each_change_another_account, .timeout = 120)
{
	struct fixture f;
	enum { N = 20 };
	setup(&f, "dm_rlm", NULL);
	write_many(&f, N, 0, 60);
	pid_t pid = start_daemon(&f);
	for (int i = 0;
	     i < 100 && sh("grep -q 'mailmirrord started' %s/log", f.dir) != 0;
	     i++)
		sleep_ms(50);
	for (int k = 1; k <= N; k++) {
		write_many(&f, N, k, 60);
		reload(pid, &f, k);
	}
	cr_assert_eq(sh_number("grep -c 'account reconfigured' %s/log", f.dir),
	             N);
	cr_assert_eq(sh("grep -q 'reload failed\\|too many' %s/log", f.dir), 1);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

Test(daemon, reload_warns_of_a_cache_path_against_the_one_in_use, .timeout = 60)
{
	struct fixture f;
	char other[400];

	setup(&f, "dm_rlc", "poll_interval = 60;");
	cr_assert_eq(sh(CTL " create dm_rlc"), 0);
	snprintf(other, sizeof(other), "%s/elsewhere.db", f.dir);
	pid_t pid = start_daemon(&f);
	wait_live(&f);

	set_cache(&f, other);
	reload(pid, &f, 1);
	cr_assert_eq(warnings(&f), 1, "a moved cache is announced");
	cr_assert_eq(sh("grep -q 'changed to %s; %s stays in use' %s/log",
	                other, f.db, f.dir),
	             0, "the warning names both paths");

	set_cache(&f, f.db);
	reload(pid, &f, 2);
	reload(pid, &f, 3);
	cr_assert_eq(warnings(&f), 1,
	             "back to the cache in use: no more warnings");

	/* the cache in use is the old one all along */
	cr_assert_eq(sh("test -e %s", other), 1);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* A configuration that mirrors no INBOX and writes no idle runs (idle then
 * watches nothing), and a mailboxes pattern that matches nothing on the
 * server is told, once, when the account connects. */
Test(daemon, config_without_inbox_runs_and_a_typo_pattern_is_told,
     .timeout = 60)
{
	struct fixture f;

	setup(&f, "dm_rlt", "");
	cr_assert_eq(sh(CTL " create dm_rlt"), 0);
	cr_assert_eq(sh(CTL " fill dm_rlt 3 4"), 0);
	cr_assert_eq(sh("sed -i 's|mailboxes = .*|mailboxes = [\"dm_rlt*\", "
	                "\"dm_rlt_NoSuchBox\"];|' %s",
	                f.conf),
	             0);
	cr_assert_eq(sh("%s/mailmirrord -c %s --check-config >/dev/null",
	                build_dir(), f.conf),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(sh("grep -q 'mailboxes pattern \"dm_rlt_NoSuchBox\" "
	                "matches no mailbox on the server' %s/log",
	                f.dir),
	             0);
	cr_assert_eq(sh_number("grep -c 'matches no mailbox' %s/log", f.dir),
	             1);
	cr_assert_eq(sh_number("grep -c 'dm_rlt\\*' %s/log", f.dir), 0,
	             "a pattern that matches is not told");
	assert_converged(&f, 5);
	cr_assert_eq(sh("grep -q 'exclude leaves' %s/log", f.dir), 1);

	/* An exclude that takes every mailbox the patterns found is told. */
	cr_assert_eq(sh("sed -i 's|mailboxes = .*|& exclude = [\"*\"];|' %s",
	                f.conf),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(sh("grep -q 'exclude leaves no mailbox to mirror' %s/log",
	                f.dir),
	             0);
	teardown(&f);
}

/* Two accounts, "test" mirroring a* and "second" mirroring b* (with the
 * settings extra), or only "test", as the fixture's configuration. */
static void write_accounts_with(const struct fixture *f, bool second,
                                const char *a, const char *b, const char *extra)
{
	FILE *c = conf_create(f->conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({ name = \"test\"; host = \"%s\"; port = %s;"
	        " tls = \"none\"; user = \"%s\"; password = \"%s\";"
	        " mailboxes = [\"%s*\"]; idle = [\"%s\"];"
	        " poll_interval = 60; timeout = 10; }",
	        f->db, harness_env("IMAP_HOST"), harness_env("IMAP_PORT"),
	        harness_env("IMAP_USER"), harness_env("IMAP_PASS"), a, a);
	if (second)
		fprintf(c,
		        ",\n { name = \"second\"; host = \"%s\"; port = %s;"
		        " tls = \"none\"; user = \"%s\"; password = \"%s\";"
		        " mailboxes = [\"%s*\"]; idle = [\"%s\"];"
		        " timeout = 10; %s }",
		        harness_env("IMAP_HOST"), harness_env("IMAP_PORT"),
		        harness_env("IMAP_USER"), harness_env("IMAP_PASS"), b,
		        b, extra);
	fprintf(c, ");\n");
	fclose(c);
}

static void write_accounts(const struct fixture *f, bool second, const char *a,
                           const char *b)
{
	write_accounts_with(f, second, a, b, "");
}

/* Mailboxes a (4 messages, for account "test") and b (3, for "second")
 * on the server; names of each test's own, as tests run side by side. */
static void two_accounts(struct fixture *f, const char *a, const char *b)
{
	setup(f, a, NULL);
	cr_assert_eq(sh(CTL " reset %s", b), 0);
	cr_assert_eq(sh(CTL " create %s %s", a, b), 0);
	cr_assert_eq(sh(CTL " fill %s 4 31", a), 0);
	cr_assert_eq(sh(CTL " fill %s 3 32", b), 0);
}

static void assert_only_test_left(const struct fixture *f)
{
	cr_assert_eq(cache_count(f, "SELECT count(*) FROM accounts"), 1);
	cr_assert_eq(cache_count(f, "SELECT count(*) FROM messages"), 4);
	cr_assert_eq(cache_count(f, "SELECT count(*) FROM mailboxes"), 1);
	cr_assert_eq(sh("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	                " c.execute(\\\"INSERT INTO messages_fts(messages_fts)"
	                " VALUES('integrity-check')\\\")\"",
	                f->db),
	             0, "the full-text index still holds the dropped messages");
	cr_assert_eq(sh("grep -q '\\[second\\] dropped from the cache with "
	                "its 3 messages' %s/log",
	                f->dir),
	             0);
}

/* An account left out of the configuration (or renamed: its name is its
 * key) leaves the cache with all it held, at the next start and at a
 * reload; queries no longer count its mail. */
Test(daemon, an_account_left_out_leaves_the_cache, .timeout = 120)
{
	struct fixture f;
	two_accounts(&f, "dm_prna", "dm_prnb");

	/* At a start. */
	write_accounts(&f, true, "dm_prna", "dm_prnb");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 7);
	write_accounts(&f, false, "dm_prna", "dm_prnb");
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_only_test_left(&f);

	/* At a reload. */
	sh("rm -f %s %s-wal %s-shm %s/log", f.db, f.db, f.db, f.dir);
	write_accounts(&f, true, "dm_prna", "dm_prnb");
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live",
	                               2, 20),
	             2);
	write_accounts(&f, false, "dm_prna", "dm_prnb");
	reload(pid, &f, 1);
	cr_assert_eq(
	        cache_count_until(&f, "SELECT count(*) FROM accounts", 1, 10),
	        1);
	assert_only_test_left(&f);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* A disabled account is listed, in state "disabled", whether it synced
 * before or never did; what it cached stays. */
Test(daemon, a_disabled_account_keeps_its_row, .timeout = 120)
{
	struct fixture f;
	two_accounts(&f, "dm_disa", "dm_disb");
	const char *is_disabled = "SELECT count(*) FROM accounts WHERE "
	                          "name = 'second' AND state = 'disabled'";

	write_accounts_with(&f, true, "dm_disa", "dm_disb", "enabled = false;");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, is_disabled), 1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 4);

	write_accounts(&f, true, "dm_disa", "dm_disb");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, is_disabled), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 7);

	write_accounts_with(&f, true, "dm_disa", "dm_disb", "enabled = false;");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, is_disabled), 1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 7);
	teardown(&f);
}

/* A second daemon on the cache of a running one (a --once run with
 * another configuration, here one without "second") is refused before it
 * changes anything: it would drop the first one's accounts. */
Test(daemon, a_second_daemon_on_one_cache_is_refused, .timeout = 120)
{
	struct fixture f;
	two_accounts(&f, "dm_2nda", "dm_2ndb");
	write_accounts(&f, true, "dm_2nda", "dm_2ndb");
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live",
	                               2, 20),
	             2);
	cr_assert_eq(sh("cp %s %s/other.conf", f.conf, f.dir), 0);
	write_accounts(&f, false, "dm_2nda", "dm_2ndb");
	int rc = sh("%s/mailmirrord -c %s --once 2>%s/second.log", build_dir(),
	            f.conf, f.dir);
	cr_assert_eq(rc, 1, "the second daemon ran (%d)", rc);
	cr_assert_eq(sh("grep -q 'is in use by another mailmirrord' "
	                "%s/second.log",
	                f.dir),
	             0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM accounts"), 2);
	cr_assert_eq(sh("cp %s/other.conf %s", f.dir, f.conf), 0);
	cr_assert_eq(stop_daemon(pid), 0);
	/* Once the first has stopped, the cache is free. */
	cr_assert_eq(run_once(&f, NULL), 0);
	teardown(&f);
}

/* What an account left out of the configuration held is given back to the
 * file system while the daemon runs (compact.h): dropped at the start,
 * then moved out of the file in steps at the next ticks. */
Test(daemon, a_dropped_accounts_space_is_given_back, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_cmp", NULL);
	write_many(&f, 1, 0, 60);
	cr_assert_neq(run_once(&f, NULL), 0, "nothing listens on port 9");
	/* An account of 48 MB, written as the daemon writes: new rows wait
	 * for the indexer (the full-text index must never be told to forget
	 * what it never had). */
	cr_assert_eq(
	        sh("python3 -c \"import sqlite3, sys\n"
	           "c = sqlite3.connect(sys.argv[1])\n"
	           "a = c.execute(\\\"INSERT INTO accounts (name) VALUES "
	           "('gone')\\\").lastrowid\n"
	           "m = c.execute('INSERT INTO mailboxes (account_id, name) "
	           "VALUES (?, 1)', (a,)).lastrowid\n"
	           "c.executemany('INSERT INTO messages (mailbox_id, uid) "
	           "VALUES (?, ?)', [(m, u) for u in range(1, 801)])\n"
	           "c.execute('INSERT INTO messages_unindexed SELECT id FROM "
	           "messages')\n"
	           "c.execute(\\\"INSERT INTO bodies (message_id, body) "
	           "SELECT id, hex(zeroblob(30000)) FROM messages\\\")\n"
	           "c.commit()\" %s",
	           f.db),
	        0);
	long full = cache_count(&f, "PRAGMA page_count");
	cr_assert_gt(full, 2800, "48 MB in 16 KB pages");

	pid_t pid = start_daemon(&f);
	char shrunk[128];
	snprintf(shrunk, sizeof(shrunk),
	         "SELECT page_count < %ld FROM pragma_page_count()", full / 2);
	cr_assert_eq(cache_count_until(&f, shrunk, 1, 60), 1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM accounts"), 1);
	cr_assert(log_says_within(&f, "MB of free space given back", 10));
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	teardown(&f);
}

/* Zeroes every page of the cache but the first (its header and schema
 * survive): what a backup copied over a cache in use, or a failing disk,
 * leaves. The cache must be closed, its WAL empty. */
static void damage(const struct fixture *f)
{
	cr_assert_eq(sh("test ! -s %s-wal && dd if=/dev/zero of=%s bs=16384 "
	                "seek=1 count=$(($(stat -c %%s %s) / 16384 - 1)) "
	                "conv=notrunc status=none",
	                f->db, f->db, f->db),
	             0);
}

/* explore14: a damaged cache was retried for ever ("database disk image
 * is malformed" at every back-off step, a login each time). It is kept as
 * CACHE.damaged and every account is mirrored anew: by the next run after
 * a --once run that found it (which exits 1), at once in a running
 * daemon. */
Test(daemon, a_damaged_cache_is_set_aside_and_mirrored_anew, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_dmg", "poll_interval = 60;");
	fill_and_sync(&f, 30, 7);
	damage(&f);

	cr_assert_eq(run_once(&f, NULL), 1);
	cr_assert_eq(sh("grep -q 'is damaged (see above): it is kept as "
	                "%s.damaged; the next start' %s/log",
	                f.db, f.dir),
	             0);
	cr_assert_eq(sh("test -s %s.damaged && test ! -e %s", f.db, f.db), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 10);
	assert_integrity(&f);

	damage(&f);
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live",
	                               1, 30),
	             1);
	cr_assert_eq(
	        sh("grep -q 'mirrored anew into a new cache' %s/log", f.dir),
	        0);
	assert_converged(&f, 20);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);

	/* explore54: its schema damaged while no daemon ran, a cache
	 * failed every start ("malformed database schema"), under systemd
	 * a restart every 30 s for good */
	cr_assert_eq(sh("rm -f %s.damaged* && test ! -s %s-wal && "
	                "dd if=/dev/urandom of=%s bs=1 seek=8000 count=8000 "
	                "conv=notrunc status=none",
	                f.db, f.db, f.db),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(sh("grep -q 'is damaged (.*): it is kept as "
	                "%s.damaged, and every account is mirrored anew' "
	                "%s/log",
	                f.db, f.dir),
	             0);
	cr_assert_eq(sh("test -s %s.damaged", f.db), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore59: the cache's WAL removed by hand while the daemon ran ("rm
 * cache.db-wal"): the daemon went on writing into the deleted file, said
 * nothing, and every reader failed ("disk I/O error") at every change
 * until a restart. It notices, empties what the deleted WAL holds into
 * the cache, and opens the cache again: readers see the new mail, and
 * nothing is lost. */
Test(daemon, a_wal_removed_by_hand_is_noticed_and_nothing_is_lost,
     .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_walrm", "");
	fill_and_sync(&f, 10, 3);
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live",
	                               1, 30),
	             1);
	cr_assert_eq(sh("rm %s-wal", f.db), 0);
	cr_assert_eq(sh("%s " CTL " fill %s 3 9", f.ctl_env, f.prefix), 0);
	cr_assert_eq(
	        cache_count_until(&f, "SELECT count(*) FROM messages", 13, 30),
	        13, "the new mail never reached a reader");
	cr_assert_eq(sh("grep -q -- '-wal) was removed or replaced "
	                "while mailmirrord ran' %s/log",
	                f.dir),
	             0);
	assert_converged(&f, 20);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore59: stopped (SIGSTOP, ^Z, a debugger) for minutes, the daemon
 * then said "a worker is stuck" and left connections that may have died
 * meanwhile unchecked. A continue is said, and every connection checked;
 * mail that came while it was stopped arrives. */
Test(daemon, a_continue_after_a_stop_checks_every_connection, .timeout = 90)
{
	struct fixture f;
	setup(&f, "dm_cont", "");
	fill_and_sync(&f, 4, 5);
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live",
	                               1, 30),
	             1);
	cr_assert_eq(kill(pid, SIGSTOP), 0);
	cr_assert_eq(sh("%s " CTL " fill %s 2 6", f.ctl_env, f.prefix), 0);
	cr_assert_eq(kill(pid, SIGCONT), 0);
	cr_assert_eq(
	        cache_count_until(&f, "SELECT count(*) FROM messages", 6, 20),
	        6);
	cr_assert_eq(sh("grep -q 'continued after being stopped; checking "
	                "every connection' %s/log",
	                f.dir),
	             0);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(sh("grep -q 'worker is stuck' %s/log", f.dir), 1);
	assert_integrity(&f);
	teardown(&f);
}

/* explore46: a reload from "full" to "headers" took the texts off and
 * queued each message for the index again, and nothing told the indexer:
 * `mailmirror status` said TO INDEX until new mail came. */
Test(daemon, a_reload_to_headers_leaves_nothing_to_index, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_rlhdr", "bodies = \"full\";");
	pid_t pid = start_live_with(&f, 12, 41);
	const char *queued = "SELECT count(*) FROM bodies_unindexed";
	cr_assert_eq(cache_count_until(&f, queued, 0, 30), 0);
	conf_replace(&f, "bodies = \"full\"", "bodies = \"headers\"");
	reload(pid, &f, 1);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM bodies WHERE "
	                               "body IS NULL",
	                               12, 30),
	             12);
	cr_assert_eq(cache_count_until(&f, queued, 0, 10), 0,
	             "the index was not told");
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore73: an account given another user under the same name (or
 * another host, or port) kept the old user's messages in every mailbox of
 * the new one with the same name and UIDVALIDITY, flags updated, envelope,
 * headers and size the old user's: another person's mail shown as the new
 * user's, silently. What the cache held of the account is dropped, and it
 * is mirrored anew. */
Test(daemon, an_account_given_another_user_is_mirrored_anew, .timeout = 60)
{
	struct fixture f;
	char env2[256], from[256], to[256];
	const char *user2 = harness_env("IMAP_USER2"),
	           *pass2 = harness_env("IMAP_PASS2");
	snprintf(env2, sizeof(env2), "IMAP_USER='%s' IMAP_PASS='%s'", user2,
	         pass2);
	setup(&f, "dm_ident", "bodies = \"headers\";");
	cr_assert_eq(sh("%s " CTL " reset dm_ident && %s " CTL
	                " create dm_ident && %s " CTL " fill dm_ident 5 72",
	                env2, env2, env2),
	             0);
	fill_and_sync(&f, 4, 71);
	/* The two users' mailboxes of one name had one UIDVALIDITY by
	 * chance (both made in the same second); here by hand. */
	long v2 = sh_number("%s " CTL " uidvalidity dm_ident", env2);
	cr_assert_gt(v2, 0);
	cr_assert_eq(sh("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	                " c.execute('UPDATE mailboxes SET uidvalidity=%ld');"
	                " c.commit()\"",
	                f.db, v2),
	             0);

	snprintf(from, sizeof(from), "user = \"%s\"; password = \"%s\";",
	         harness_env("IMAP_USER"), harness_env("IMAP_PASS"));
	snprintf(to, sizeof(to), "user = \"%s\"; password = \"%s\";", user2,
	         pass2);
	conf_replace(&f, from, to);
	cr_assert_eq(run_once(&f, NULL), 0);
	snprintf(f.ctl_env, sizeof(f.ctl_env), "%s", env2);
	assert_converged(&f, 0);
	/* each header block is its own message's */
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies b JOIN "
	                             "messages m ON m.id = b.message_id "
	                             "WHERE instr(b.headers, m.message_id)"),
	             5);
	cr_assert_eq(sh("grep -q \"\\[test\\] the account's server or user "
	                "changed: mirroring it anew (4 messages cached from "
	                "the old one dropped)\" %s/log",
	                f.dir),
	             0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore74: a typo in host (here the port) emptied the account's cache
 * before anything answered, and the typo mended mirrored it all anew.
 * What the cache holds goes only once the new server takes the login. */
Test(daemon, a_server_that_never_answers_costs_the_cache_nothing, .timeout = 60)
{
	struct fixture f;
	char right[32];
	setup(&f, "dm_typo", NULL);
	fill_and_sync(&f, 4, 73);
	long last = cache_count(&f, "SELECT max(id) FROM messages");
	snprintf(right, sizeof(right), "port = %s;", harness_env("IMAP_PORT"));
	conf_replace(&f, right, "port = 1;");
	cr_assert_neq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 4);
	conf_replace(&f, "port = 1;", right);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT max(id) FROM messages"), last,
	             "the messages were mirrored anew");
	cr_assert_eq(sh("grep -q 'mirroring it anew' %s/log", f.dir), 1);
	assert_integrity(&f);
	teardown(&f);
}
