/* test_daemon.c - mailmirrord against a real Dovecot, with Python's imaplib
 * (tests/integration/imapctl.py) as the independent oracle of what the
 * server holds.
 *
 * Each test mirrors only its own mailbox subtree ("dm_<test>...") into its
 * own cache file, so tests run in parallel against one Dovecot account.
 * Tests that restart Dovecot live in the "serial" suite, which the Makefile
 * runs alone.
 */
#include "integration/daemon_fixture.h"
#include "harness/dovecot_env.h"
#include "harness/fault_proxy.h"
#include "harness/proc_alive.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

Test(daemon, initial_sync_matches_imaplib, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_init", NULL);
	cr_assert_eq(sh(CTL " create dm_init dm_init/sub 'dm_init/Café & Thé'"),
	             0);
	cr_assert_eq(sh(CTL " fill dm_init 120 1"), 0);
	cr_assert_eq(sh(CTL " fill dm_init/sub 15 2"), 0);
	cr_assert_eq(sh(CTL " fill 'dm_init/Café & Thé' 7 3"), 0);

	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);

	/* Decoded envelope fields made it: a known RFC 2047 subject. */
	cr_assert_eq(sh("python3 -c \"import sqlite3,sys;"
	                " c=sqlite3.connect('%s');"
	                " n=c.execute(\\\"SELECT count(*) FROM messages WHERE"
	                " subject LIKE 'Übersicht%%' OR subject LIKE "
	                "'Café%%'\\\").fetchone()[0];"
	                " sys.exit(0 if n > 0 else 1)\"",
	                f.db),
	             0, "RFC 2047 subjects were not decoded");
	teardown(&f);
}

/* The scale tester's first sync of 3,292 mailboxes took the watched INBOX
 * last: the mailbox a user starts the daemon for came after hours. A
 * first sync now stores INBOX's messages first, then the watched ones',
 * then the rest's (message ids grow as rows are stored). */
Test(daemon, a_first_sync_takes_inbox_then_the_watched_first, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_first", "INBOX", NULL);
	/* "dm_first/w", watched, sorts after "dm_first/a" and before
	 * "dm_first/x" in Dovecot's LIST. */
	conf_replace(&f, "mailboxes = [\"dm_first*\"]; idle = [\"INBOX\"]",
	             "mailboxes = [\"dm_first*\", \"INBOX\"]; "
	             "idle = [\"INBOX\", \"dm_first/w\"]");
	cr_assert_eq(sh(CTL " create dm_first dm_first/a dm_first/w "
	                    "dm_first/x"),
	             0);
	cr_assert_eq(sh(CTL " fill dm_first 2 1"), 0);
	cr_assert_eq(sh(CTL " fill dm_first/a 2 2"), 0);
	cr_assert_eq(sh(CTL " fill dm_first/w 2 3"), 0);
	cr_assert_eq(sh(CTL " fill dm_first/x 2 4"), 0);
	/* The shared user's INBOX holds one at least (other tests add
	 * theirs too: its first row is what counts). */
	cr_assert_eq(sh(CTL " append INBOX 'dm_first: the first one'"), 0);

	cr_assert_eq(run_once(&f, NULL), 0);
	static const char q[] =
	        "SELECT coalesce(min(m.id), -1) FROM messages m JOIN "
	        "mailboxes b ON b.id = m.mailbox_id WHERE b.name = '%s'";
	/* INBOX, then the watched one, then the rest (in LIST order, which
	 * Maildir does not sort: not asserted). */
	static const char *const order[] = {"INBOX", "dm_first/w", "dm_first",
	                                    "dm_first/a", "dm_first/x"};
	long first[5];
	for (size_t i = 0; i < 5; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), q, order[i]);
		first[i] = cache_count(&f, sql);
		cr_assert_gt(first[i], 0, "%s stored nothing", order[i]);
	}
	for (size_t i = 1; i < 5; i++)
		cr_assert_lt(first[i < 2 ? 0 : 1], first[i],
		             "%s's messages were stored before %s's", order[i],
		             order[i < 2 ? 0 : 1]);
	teardown(&f);
}

Test(daemon, resync_follows_flags_expunges_and_new_mail, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_resync", NULL);
	cr_assert_eq(sh(CTL " create dm_resync dm_resync/b"), 0);
	cr_assert_eq(sh(CTL " fill dm_resync 60 4"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	cr_assert_eq(sh(CTL " store dm_resync 1:10 +FLAGS '(\\Flagged $Work)'"),
	             0);
	cr_assert_eq(sh(CTL " store dm_resync 20 -FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(sh(CTL " expunge dm_resync 5,30:33"), 0);
	cr_assert_eq(sh(CTL " append dm_resync 'after first sync'"), 0);
	cr_assert_eq(sh(CTL " move dm_resync 40:42 dm_resync/b"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	/* Nothing changed: a third run changes nothing either. */
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* Messages the cache lost below UIDNEXT (a server once listed them as
 * gone: a bogus VANISHED, a UID SEARCH that missed them) come back at the
 * next sync, found by the listing that the wrong count brings. */
Test(daemon, messages_lost_below_uidnext_are_fetched_again, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_lost", NULL);
	fill_and_sync(&f, 12, 13);
	assert_converged(&f, 0);
	cache_lose(&f, "dm_lost", 3, 5);
	cache_lose(&f, "dm_lost", 12, 12);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(sh("grep -q '4 messages below UIDNEXT are not cached' "
	                "%s/log",
	                f.dir),
	             0);
	assert_integrity(&f);
	teardown(&f);
}

/* A HIGHESTMODSEQ the cache holds above the server's (a server that lied
 * once, or one restored from a backup) hides no later change: the next
 * sync lists every flag. */
Test(daemon, a_highestmodseq_gone_back_is_not_trusted, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hms", NULL);
	fill_and_sync(&f, 8, 15);
	assert_converged(&f, 0);
	cr_assert_eq(sh("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	                " c.execute(\\\"UPDATE mailboxes SET highestmodseq ="
	                " 1000000 WHERE name = 'dm_hms'\\\"); c.commit()\"",
	                f.db),
	             0);
	cr_assert_eq(sh(CTL " store dm_hms 2 +FLAGS '(\\Answered)'"), 0);
	cr_assert_eq(sh(CTL " store dm_hms 3 -FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(sh("grep -q 'HIGHESTMODSEQ went back (1000000 -> ' %s/log",
	                f.dir),
	             0);
	cr_assert_lt(cache_count(&f, "SELECT highestmodseq FROM mailboxes "
	                             "WHERE name = 'dm_hms'"),
	             1000000);
	teardown(&f);
}

/* A tunnel that fails at every retry: what it says is a notice the first
 * time, info while the failures go on, as the failure itself is told
 * (explore31: a notice at every retry, hundreds a day). */
Test(daemon, a_failing_tunnel_says_its_words_as_a_notice_once, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_tunf", NULL);
	FILE *c = conf_create(f.conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({ name = \"test\";\n"
	        "  tunnel = \"echo tunnel-broken >&2; exit 3\";\n"
	        "  mailboxes = [\"dm_tunf*\"]; idle = [ ]; });\n",
	        f.db);
	fclose(c);
	pid_t pid = start_daemon(&f);
	/* The retries come after 1, 2 and 4 s or so */
	for (int i = 0; i < 300; i++) {
		if (sh_number("grep -c 'tunnel said: tunnel-broken' %s/log",
		              f.dir) >= 3)
			break;
		usleep(50000);
	}
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_geq(
	        sh_number("grep -c 'tunnel said: tunnel-broken' %s/log", f.dir),
	        3);
	cr_assert_eq(sh_number("grep -c '" LOG_BOL
	                       "notice: \\[test\\] tunnel said: "
	                       "tunnel-broken' %s/log",
	                       f.dir),
	             1);
	teardown(&f);
}

/* An account through a tunnel (the harness's PREAUTH command): what the
 * command says on stderr is logged as the account's lines, printable, not
 * written raw to the daemon's stderr. */
Test(daemon, tunnel_account_and_what_its_command_says, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_tun", NULL);
	cr_assert_eq(sh(CTL " create dm_tun"), 0);
	cr_assert_eq(sh(CTL " fill dm_tun 5 16"), 0);
	FILE *c = conf_create(f.conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({ name = \"test\";\n"
	        "  tunnel = \"printf 'host key changed\\\\033[31m\\\\n' >&2;"
	        " exec %s\";\n"
	        "  mailboxes = [\"dm_tun*\"]; idle = [ ]; });\n",
	        f.db, harness_env("IMAP_PREAUTH_CMD"));
	fclose(c);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(sh("grep -q '" LOG_BOL
	                "notice: \\[test\\] tunnel said: host key "
	                "changed' %s/log",
	                f.dir),
	             0);
	cr_assert_eq(sh("grep -q '^host key' %s/log", f.dir), 1,
	             "the command's line reached the log raw");
	cr_assert_eq(sh("grep -q \"$(printf '\\033')\" %s/log", f.dir), 1,
	             "an escape reached the log");
	teardown(&f);
}

/* A resync that only changes flags moves the unseen count by what each
 * change did, without counting the mailbox again: \Seen set, cleared,
 * set on a message that had it, and other flags beside it. */
Test(daemon, resync_of_flags_keeps_the_counts, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_counts", NULL);
	cr_assert_eq(sh(CTL " create dm_counts"), 0);
	cr_assert_eq(sh(CTL " fill dm_counts 40 9"), 0);
	cr_assert_eq(sh(CTL " store dm_counts 1:20 -FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(sh(CTL " store dm_counts 21:40 +FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	cr_assert_eq(sh(CTL " store dm_counts 1:5 +FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(sh(CTL " store dm_counts 21:23 -FLAGS '(\\Seen)'"), 0);
	cr_assert_eq(sh(CTL " store dm_counts 30:32 +FLAGS '(\\Seen $Done)'"),
	             0);
	cr_assert_eq(sh(CTL " store dm_counts 6:8 +FLAGS '(\\Flagged)'"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(cache_count(&f, "SELECT unseen_count FROM mailboxes "
	                             "WHERE name = 'dm_counts'"),
	             20 - 5 + 3);
	assert_integrity(&f);
	teardown(&f);
}

Test(daemon, live_idle_follows_another_client, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_live", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_live dm_live/other"), 0);
	cr_assert_eq(sh(CTL " fill dm_live 25 5"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 5);

	cr_assert_eq(sh(CTL " append dm_live 'pushed by IDLE'"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(sh(CTL " store dm_live 3 +FLAGS '(\\Flagged)'"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(sh(CTL " expunge dm_live 4"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(sh(CTL " move dm_live 6 dm_live/other"), 0);
	/* The watched box follows at once, the other one at the next poll. */
	assert_converged(&f, 15);

	cr_assert_eq(stop_daemon(pid), 0, "SIGTERM must end the daemon with 0");
	assert_integrity(&f);
	teardown(&f);
}

Test(daemon, notify_pushes_changes_of_every_watched_mailbox, .timeout = 120)
{
	struct fixture f;
	/* A long poll interval: only NOTIFY can bring the other boxes in. */
	setup_idle(&f, "dm_notify", "dm_notify*", "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create dm_notify dm_notify/a dm_notify/b"), 0);
	cr_assert_eq(sh(CTL " fill dm_notify/a 5 14"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 5);

	/* Dovecot tells of a mailbox not selected through its list index's
	 * notifications, slower than of the selected one when other tests
	 * share the account: a deadline with room (the poll never comes). */
	cr_assert_eq(sh(CTL " append dm_notify/a 'to a watched box'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(sh(CTL " store dm_notify/a 2 +FLAGS '(\\Flagged)'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(sh(CTL " move dm_notify/a 1 dm_notify/b"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

static long written_bytes(pid_t pid)
{
	return sh_number("awk '/^write_bytes/ { print $2 }' /proc/%d/io",
	                 (int)pid);
}

/* Has the daemon (pid) poll now and waits for the poll's end: the
 * account's last sync past its value now. A daemon continued after a
 * stop (SIGCONT) checks its connections by a poll at once (main.c,
 * poke_all), the poll that comes every poll_interval otherwise: waiting
 * for it took 10 s at least each time. */
static void poll_now(const struct fixture *f, pid_t pid)
{
	long before = cache_count(f, "SELECT last_sync FROM accounts");
	cr_assert_gt(before, 0);
	/* last_sync is in seconds: the poll's must be a later one. */
	while ((long)time(NULL) <= before)
		usleep(50000);
	cr_assert_eq(kill(pid, SIGCONT), 0);
	char polled[128];
	snprintf(polled, sizeof(polled),
	         "SELECT count(*) FROM accounts WHERE last_sync > %ld", before);
	if (cache_count_until(f, polled, 1, 30) != 1) {
		sh("cat %s/log >&2", f->dir);
		cr_assert_fail("no poll came (the daemon's log above)");
	}
}

/* explore52: a poll wrote the sync time of each unchanged mailbox in a
 * commit of its own, a page of the WAL each: 8 MB a poll of 500
 * mailboxes, a gigabyte an hour with 3,500. One commit for them all. */
Test(daemon, a_poll_that_finds_nothing_writes_little, .timeout = 120)
{
	struct fixture f;
	/* The polls are the test's alone (poll_now). */
	setup_idle(&f, "dm_quiet", "dm_quiet", "poll_interval = 3600;");
	char names[2048] = "";
	for (int i = 0, len = 0; i < 120; i++)
		len += snprintf(names + len, sizeof(names) - (size_t)len,
		                " dm_quiet/b%03d", i);
	cr_assert_eq(sh(CTL " create dm_quiet%s", names), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	poll_now(&f, pid);
	long before = written_bytes(pid);
	poll_now(&f, pid);
	long written = written_bytes(pid) - before;
	cr_assert_eq(stop_daemon(pid), 0);
	/* 120 pages of 16 KiB before: 1.9 MB */
	cr_assert_lt(written, 600 * 1024, "a poll wrote %ld bytes", written);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "last_sync IS NULL OR last_error IS NOT "
	                             "NULL"),
	             0);
	teardown(&f);
}

/* explore52: the list, read again at every poll, was made anew with what
 * the session knew of each mailbox cleared: every watched mailbox but the
 * primary one lost its live mark (and NOTIFY's cover) at the first poll.
 * A poll now leaves all three live, and NOTIFY still brings news. */
Test(daemon, watched_mailboxes_stay_live_past_a_poll, .timeout = 120)
{
	struct fixture f;
	/* No poll but the test's (poll_now): only NOTIFY brings the news
	 * after it. */
	setup_idle(&f, "dm_keep", "dm_keep*", "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create dm_keep dm_keep/a dm_keep/b"), 0);
	pid_t pid = start_daemon(&f);
	const char *live = "SELECT count(*) FROM mailboxes WHERE live = 1";
	/* It failed now and then on a loaded machine, never where its
	 * log was kept: the log is shown with each failure. */
	long n = cache_count_until(&f, live, 3, 30);
	if (n != 3)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(n, 3, "%ld watched mailboxes went live (log above)", n);
	poll_now(&f, pid);
	n = cache_count(&f, live);
	if (n != 3)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(n, 3,
	             "%ld watched mailboxes live after a poll (log above)", n);
	/* NOTIFY of a mailbox not selected: slower when other tests share
	 * the account (notify_pushes_changes_of_every_watched_mailbox) */
	cr_assert_eq(sh(CTL " append dm_keep/b 'after a poll'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* explore80: a poll sent STATUS to every mailbox, those NOTIFY pushes
 * too: 3,291 round trips a poll for an account whose mailboxes were all
 * live. A poll now asks only the ones nothing pushes, and NOTIFY still
 * brings the others' news after it. */
Test(daemon, a_poll_sends_no_status_to_pushed_mailboxes, .timeout = 120)
{
	struct fixture f;
	/* No poll but the test's (poll_now). */
	setup_idle(&f, "dm_push", "dm_push\", \"dm_push/w*",
	           "poll_interval = 3600;");
	cr_assert_eq(sh("sed -i '1i log_level = \"debug\";' %s", f.conf), 0);
	cr_assert_eq(sh(CTL " create dm_push dm_push/w1 dm_push/w2 "
	                    "dm_push/polled"),
	             0);
	pid_t pid = start_daemon(&f);
	const char *live = "SELECT count(*) FROM mailboxes WHERE live = 1";
	cr_assert_eq(cache_count_until(&f, live, 3, 30), 3);
	long mark = sh_number("wc -l < %s/log", f.dir);
	cr_assert_gt(mark, 0);
	poll_now(&f, pid);
	long polled = sh_number("tail -n +%ld %s/log | grep -c "
	                        "'C: [^ ]* STATUS dm_push/polled '",
	                        mark + 1, f.dir);
	long pushed = sh_number("tail -n +%ld %s/log | grep -c "
	                        "'C: [^ ]* STATUS dm_push/w'",
	                        mark + 1, f.dir);
	long still_live = cache_count(&f, live);
	cr_assert_eq(sh(CTL " append dm_push/w2 'after a poll'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(polled, 1, "the poll sent %ld STATUS to the polled box",
	             polled);
	cr_assert_eq(pushed, 0, "the poll sent %ld STATUS to pushed boxes",
	             pushed);
	cr_assert_eq(still_live, 3);
	teardown(&f);
}

/* An idle pattern that names no mirrored mailbox (a typo) is told once;
 * the ones that match are not. */
Test(daemon, an_idle_pattern_that_matches_nothing_is_told, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_itypo", "dm_itypo\", \"dm_itpyo*", NULL);
	cr_assert_eq(sh(CTL " create dm_itypo"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(sh_number("grep -c 'notice: \\[test\\] idle pattern "
	                       "\"dm_itpyo\\*\" matches no mirrored mailbox' "
	                       "%s/log",
	                       f.dir),
	             1);
	cr_assert_eq(sh_number("grep -c 'idle pattern' %s/log", f.dir), 1);
	teardown(&f);
}

/* explore39: after a mass rename, 1290 mailboxes kept the error of a
 * STATUS refused under their old name for as long as no mail came: a
 * poll that finds a mailbox unchanged found it answering. */
Test(daemon, a_poll_that_finds_a_mailbox_unchanged_clears_its_error,
     .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_perr", "dm_perr", "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create dm_perr dm_perr/p"), 0);
	cr_assert_eq(sh(CTL " fill dm_perr/p 2 20"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh("python3 -c \"import sqlite3; "
	                "c=sqlite3.connect('%s'); c.execute(\\\"UPDATE "
	                "mailboxes SET last_error='STATUS: server said NO' "
	                "WHERE name='dm_perr/p'\\\"); c.commit()\"",
	                f.db),
	             0);
	poll_now(&f, pid);
	long left = cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                            "last_error IS NOT NULL");
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(left, 0, "the error stayed");
	teardown(&f);
}

/* Dovecot 2.3 pushes nothing of a mailbox NOTIFY names in modified
 * UTF-7 (it matches its UTF-8 names): a watched mailbox named beyond ASCII,
 * or with an '&', is covered by the personal filter instead, and pushed,
 * not polled. Each of names (under prefix) gets a message while the
 * daemon watches them, and the cache has it before any poll. */
static void expect_pushed(const char *prefix, const char *const *names)
{
	struct fixture f;
	char pattern[64];
	snprintf(pattern, sizeof(pattern), "%s*", prefix);
	setup_idle(&f, prefix, pattern, "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create %s", prefix), 0);
	for (const char *const *n = names; *n; n++)
		cr_assert_eq(sh(CTL " create '%s/%s'", prefix, *n), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 5);
	for (const char *const *n = names; *n; n++)
		cr_assert_eq(sh(CTL " append '%s/%s' 'news'", prefix, *n), 0);
	cr_assert_eq(compare(&f, 10), 0, "the new mail waited for the poll");
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

Test(daemon, notify_pushes_a_mailbox_named_beyond_ascii, .timeout = 120)
{
	static const char *const names[] = {"Größe", "日本", NULL};
	expect_pushed("dm_utf", names);
}

/* explore39: "R&D" is "R&-D" in modified UTF-7: it showed live and
 * waited for the poll. */
Test(daemon, notify_pushes_a_mailbox_named_with_an_ampersand, .timeout = 120)
{
	static const char *const names[] = {"R&D", NULL};
	expect_pushed("dm_amp", names);
}

/* More watched mailboxes than Dovecot lets a NOTIFY name (100): the daemon
 * asks for the personal namespace instead, and the last of them is still
 * pushed, not polled. */
Test(daemon, notify_covers_more_mailboxes_than_a_server_names, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_many", "dm_many*", "poll_interval = 3600;");
	char cmd[2048] = CTL " create dm_many";
	for (int i = 0; i < 105; i++) {
		size_t n = strlen(cmd);
		snprintf(cmd + n, sizeof(cmd) - n, " dm_many/b%03d", i);
	}
	cr_assert_eq(sh("%s", cmd), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 10);
	cr_assert_eq(sh(CTL " append dm_many/b104 'to the last one'"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "live AND name LIKE 'dm_many%'"),
	             106);
	cr_assert_neq(sh("grep -q 'no NOTIFY' %s/log", f.dir), 0);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* Past the 100 names, NOTIFY's "personal" leaves out the other
 * namespaces: a watched mailbox of the harness's public namespace
 * ("Public/") is added by name and pushed at once, not at the poll, and
 * every watched mailbox is live. */
Test(daemon, notify_pushes_public_mailboxes_past_the_bound, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_pubmany", "dm_pubmany*\", \"Public/dm_pubmany*",
	           "poll_interval = 3600;");
	cr_assert_eq(
	        sh("sed -i 's|mailboxes = \\[\"dm_pubmany\\*\"\\]|"
	           "mailboxes = [\"dm_pubmany*\", \"Public/dm_pubmany*\"]|' "
	           "%s",
	           f.conf),
	        0);
	cr_assert_eq(sh("grep -qF 'mailboxes = [\"dm_pubmany*\", "
	                "\"Public/dm_pubmany*\"]' %s",
	                f.conf),
	             0, "the configuration was not rewritten");
	cr_assert_eq(sh(CTL " reset Public/dm_pubmany"), 0);
	char cmd[2048] = CTL " create dm_pubmany Public/dm_pubmany "
	                     "Public/dm_pubmany/news";
	for (int i = 0; i < 105; i++) {
		size_t n = strlen(cmd);
		snprintf(cmd + n, sizeof(cmd) - n, " dm_pubmany/b%03d", i);
	}
	cr_assert_eq(sh("%s", cmd), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	long live = cache_count_until(&f,
	                              "SELECT count(*) FROM mailboxes WHERE "
	                              "live",
	                              108, 20);
#define PUBLIC_COUNT                                                           \
	"SELECT count(*) FROM messages m JOIN mailboxes b ON "                 \
	"b.id = m.mailbox_id WHERE b.name = 'Public/dm_pubmany/news'"
	long before = cache_count(&f, PUBLIC_COUNT);
	cr_assert_eq(sh(CTL " append Public/dm_pubmany/news 'to the public'"),
	             0);
	long got = cache_count_until(&f, PUBLIC_COUNT, 1, 5);
	cr_assert_eq(stop_daemon(pid), 0);
	sh(CTL " reset Public/dm_pubmany");
	cr_assert_eq(live, 108);
	cr_assert_eq(before, 0);
	cr_assert_eq(got, 1, "the public mailbox waited for the poll");
	teardown(&f);
}

/* explore62: Dovecot matches no name beyond ASCII (nor one with '&') in
 * NOTIFY's "mailboxes" filter. A watched public mailbox so named was
 * marked live and never pushed; its namespace's subtree covers it. */
Test(daemon, notify_pushes_public_mailboxes_named_beyond_ascii, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_pubutf", "dm_pubutf\", \"Public/dm_pubutf*",
	           "poll_interval = 3600;");
	cr_assert_eq(sh("sed -i 's|mailboxes = \\[\"dm_pubutf\\*\"\\]|"
	                "mailboxes = [\"dm_pubutf*\", \"Public/dm_pubutf*\"]|' "
	                "%s",
	                f.conf),
	             0);
	cr_assert_eq(sh(CTL " reset Public/dm_pubutf"), 0);
	cr_assert_eq(sh(CTL " create dm_pubutf Public/dm_pubutf "
	                    "'Public/dm_pubutf/Team \xe2\x98\x95' "
	                    "'Public/dm_pubutf/R&D'"),
	             0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
#define PUBLIC_UTF_COUNT                                                       \
	"SELECT count(*) FROM messages m JOIN mailboxes b ON "                 \
	"b.id = m.mailbox_id WHERE b.name IN ('Public/dm_pubutf/Team "         \
	"\xe2\x98\x95', 'Public/dm_pubutf/R&D')"
	long before = cache_count(&f, PUBLIC_UTF_COUNT);
	cr_assert_eq(sh(CTL " append 'Public/dm_pubutf/Team \xe2\x98\x95' "
	                    "'to the team' && " CTL
	                    " append 'Public/dm_pubutf/R&D' 'to research'"),
	             0);
	long got = cache_count_until(&f, PUBLIC_UTF_COUNT, 2, 8);
	cr_assert_eq(stop_daemon(pid), 0);
	sh(CTL " reset Public/dm_pubutf");
	cr_assert_eq(before, 0);
	cr_assert_eq(got, 2, "a public mailbox waited for the poll");
	teardown(&f);
}

/* NOTIFY asks for MailboxName: a mailbox renamed, created or deleted on
 * the server is in the cache within seconds, not at the poll, and mail
 * to the new name is pushed. */
Test(daemon, notify_brings_mailbox_tree_changes, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_tree", "dm_tree*", "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create dm_tree dm_tree/a dm_tree/gone"), 0);
	cr_assert_eq(sh(CTL " fill dm_tree/a 4 21"), 0);
	cr_assert_eq(sh(CTL " fill dm_tree/gone 2 22"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 10);

	cr_assert_eq(sh(CTL " rename dm_tree/a dm_tree/renamed"), 0);
	cr_assert_eq(sh(CTL " delete dm_tree/gone"), 0);
	cr_assert_eq(sh(CTL " create dm_tree/new"), 0);
	cr_assert_eq(sh(CTL " fill dm_tree/new 3 23"), 0);
	/* The list is read again at most RELIST_GAP_MS after the last. */
	assert_converged(&f, 20);
	cr_assert_eq(
	        sh("grep -q 'mailbox renamed (was dm_tree/a)' %s/log", f.dir),
	        0, "the renamed mailbox was fetched anew");
	cr_assert_eq(sh(CTL " append dm_tree/renamed 'to the new name'"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	teardown(&f);
}

Test(daemon, uidvalidity_change_drops_and_refetches, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_uidv", NULL);
	fill_and_sync(&f, 12, 6);
	assert_converged(&f, 0);

	/* Same name, new mailbox: Dovecot gives it a new UIDVALIDITY. */
	sleep(1);
	cr_assert_eq(sh(CTL " recreate dm_uidv"), 0);
	cr_assert_eq(sh(CTL " fill dm_uidv 5 7"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	teardown(&f);
}

Test(daemon, renamed_and_deleted_mailboxes_follow, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_ren", NULL);
	cr_assert_eq(sh(CTL " create dm_ren dm_ren/a dm_ren/gone"), 0);
	cr_assert_eq(sh(CTL " fill dm_ren/a 9 8"), 0);
	cr_assert_eq(sh(CTL " fill dm_ren/gone 3 9"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	cr_assert_eq(sh(CTL " rename dm_ren/a dm_ren/b"), 0);
	cr_assert_eq(sh(CTL " delete dm_ren/gone"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	teardown(&f);
}

/* A live daemon reads the mailbox list at every poll: created, renamed
 * and deleted mailboxes follow within a poll_interval, and no STATUS goes
 * to a name that is gone. It used to wait five minutes, whatever the
 * interval, and warn at every poll meanwhile. */
Test(daemon, live_mailbox_changes_follow_at_the_next_poll, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_lls", "dm_lls", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_lls dm_lls/a dm_lls/gone"), 0);
	cr_assert_eq(sh(CTL " fill dm_lls/a 4 8"), 0);
	cr_assert_eq(sh(CTL " fill dm_lls/gone 3 9"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 10);

	cr_assert_eq(sh(CTL " rename dm_lls/a dm_lls/b"), 0);
	cr_assert_eq(sh(CTL " delete dm_lls/gone"), 0);
	cr_assert_eq(sh(CTL " create dm_lls/new"), 0);
	cr_assert_eq(sh(CTL " fill dm_lls/new 2 7"), 0);
	/* One poll_interval, a second poll for the new mailbox's mail,
	 * and slack. */
	assert_converged(&f, 30);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_neq(sh("grep -q 'dm_lls/gone.*STATUS' %s/log", f.dir), 0,
	              "STATUS sent to a deleted mailbox");
	teardown(&f);
}

/* explore62: Dovecot keeps listing a deleted parent that has children,
 * and refuses STATUS and EXAMINE of it with a bare NO. The look at it
 * that NOTIFY's catch-up made unselected the watched mailbox, and the
 * daemon went into IDLE with nothing selected: no news of it until the
 * next poll. */
Test(daemon, a_refused_parent_leaves_the_watched_mailbox_selected,
     .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_rpar", "dm_rpar*", "poll_interval = 3600;");
	cr_assert_eq(sh(CTL " create dm_rpar dm_rpar/Par dm_rpar/Par/Kid"), 0);
	cr_assert_eq(sh(CTL " fill dm_rpar/Par 1 3 && " CTL
	                    " fill dm_rpar/Par/Kid 1 4"),
	             0);
	cr_assert_eq(sh(CTL " delete dm_rpar/Par"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_rpar 'pushed'"), 0);
	long got = cache_count_until(&f,
	                             "SELECT count(*) FROM messages m JOIN "
	                             "mailboxes b ON b.id = m.mailbox_id "
	                             "WHERE b.name = 'dm_rpar'",
	                             1, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(got, 1, "the watched mailbox's news did not come");
	teardown(&f);
}

/* A poll whose STATUS shows no change still says when the mailbox was
 * last known equal to the server: mailmirror status' SYNCED stood still. */
Test(daemon, an_unchanged_poll_marks_the_mailbox_synced, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_ups", "dm_ups", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_ups dm_ups/polled"), 0);
	cr_assert_eq(sh(CTL " fill dm_ups/polled 2 8"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	const char *q = "SELECT last_sync FROM mailboxes WHERE name = "
	                "'dm_ups/polled'";
	long first = cache_count(&f, q);
	cr_assert_gt(first, 0);
	/* Past one poll_interval, and a second for time() to move on. */
	long later = first;
	for (int i = 0; i < 250 && later <= first; i++) {
		usleep(100000);
		later = cache_count(&f, q);
	}
	cr_assert_gt(later, first, "last_sync stayed at %ld", first);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* Nothing watched: the mailbox a poll synced last stays open in the
 * session, and Dovecot answers a STATUS of the open mailbox from the
 * session's view ("[CLIENTBUG] Status on selected mailbox"), which only a
 * NOOP updates. The next poll's STATUS saw no new mail, until another
 * mailbox was opened (explore31). */
Test(daemon, a_poll_sees_news_of_the_mailbox_left_open, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_open", "dm_open_nothing", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_open"), 0);
	cr_assert_eq(sh(CTL " fill dm_open 2 8"), 0);
	pid_t pid = start_daemon(&f);
	assert_converged(&f, 10);
	/* After the first pass, while the mailbox stays open */
	sleep(1);
	cr_assert_eq(sh(CTL " append dm_open 'news of the open mailbox'"), 0);
	/* Two polls and slack */
	assert_converged(&f, 25);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(sh("grep -q '" LOG_BOL
	                "info: \\[test\\] no mailbox watched: "
	                "polling every 10 s' %s/log",
	                f.dir),
	             0, "-v says how the account is watched");
	teardown(&f);
}

/* A pass that finds a mailbox unchanged, and writes nothing of it, still
 * says when it was last known equal to the server: --once left the
 * SYNCED of mailmirror status at the last run that changed something,
 * and on a server without CONDSTORE an empty mailbox's never moved
 * (explore31). */
Test(daemon, an_unchanged_mailbox_is_marked_synced_by_once, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_ums", "dm_ums", NULL);
	cr_assert_eq(sh(CTL " create dm_ums dm_ums/empty"), 0);
	cr_assert_eq(sh(CTL " fill dm_ums 2 8"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	const char *q = "SELECT min(last_sync) FROM mailboxes";
	long first = cache_count(&f, q);
	cr_assert_gt(first, 0);
	sleep(2);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_gt(cache_count(&f, q), first);
	teardown(&f);
}

/* explore37: a keyword named NIL (any client may set one) made Dovecot's
 * FLAGS unreadable: the mailbox failed to open and the connection was
 * dropped, at every pass; explore43: so did one with a "[", which Dovecot
 * stores (RFC 3501: an ATOM-CHAR) and libimap4 took for a section's;
 * explore45: "nil" was cached as "NIL". */
Test(daemon, keywords_named_nil_or_with_a_bracket_are_mirrored, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_nil", "dm_nil", NULL);
	cr_assert_eq(sh(CTL " create dm_nil"), 0);
	cr_assert_eq(sh(CTL " fill dm_nil 2 9"), 0);
	cr_assert_eq(sh(CTL " store dm_nil 1 +FLAGS '(nil \\Seen k[1 [k)'"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f,
	                         "SELECT count(*) FROM messages WHERE seen AND "
	                         "instr(' ' || flags || ' ', ' nil ') AND "
	                         "' ' || flags || ' ' LIKE '% [k %' AND "
	                         "' ' || flags || ' ' LIKE '% k[1 %'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "last_error IS NULL AND exists_count = 2"),
	             1);
	assert_converged(&f, 0);
	teardown(&f);
}

/* Writes the message to DIR/name, byte for byte; its path in path. */
static void write_raw(const struct fixture *f, char path[400], const char *name,
                      const char *msg)
{
	snprintf(path, 400, "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(msg, 1, strlen(msg), fp), strlen(msg));
	cr_assert_eq(fclose(fp), 0);
}

/* Headers written raw in the message's charset (Shift_JIS, KOI8-R) and
 * in raw ISO-2022-JP are read as a mail reader reads them, in the cache
 * and in mailmirror's output. bodies = "none": the header fields alone
 * are fetched, Content-Type among them. */
Test(daemon, raw_header_text_is_read_in_the_message_s_charset, .timeout = 120)
{
	struct fixture f;
	char sjis[400], jis[400], koi8[400];
	setup_idle(&f, "dm_charset", "dm_charset", NULL);
	write_raw(&f, sjis, "sjis.eml",
	          "From: \x8e\x52\x93\x63 <yamada@example.jp>\r\n"
	          "Subject: Re: \x93\xfa\x96\x7b\x8c\xea\r\n"
	          "Message-ID: <sjis@example.jp>\r\n"
	          "MIME-Version: 1.0\r\n"
	          "Content-Type: text/plain; charset=Shift_JIS\r\n"
	          "\r\nhello\r\n");
	write_raw(&f, jis, "jis.eml",
	          "From: jis@example.jp\r\n"
	          "Subject: \x1b$B$3$s$K$A$O\x1b(B\r\n"
	          "Message-ID: <jis@example.jp>\r\n"
	          "\r\nhello\r\n");
	write_raw(&f, koi8, "koi8.eml",
	          "From: \xe9\xd7\xc1\xce <ivan@example.ru>\r\n"
	          "Subject: \xf0\xd2\xc9\xd7\xc5\xd4\r\n"
	          "Message-ID: <koi8@example.ru>\r\n"
	          "Content-Type: text/plain; charset=koi8-r\r\n"
	          "\r\nhello\r\n");
	cr_assert_eq(sh(CTL " create dm_charset && " CTL
	                    " append-file dm_charset %s %s %s",
	                sjis, jis, koi8),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'Re: 日本語' AND from_addr = "
	                             "'山田 <yamada@example.jp>'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'こんにちは'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'Привет' AND from_addr = "
	                             "'Иван <ivan@example.ru>'"),
	             1);
	cr_assert_eq(sh("LC_ALL=C.UTF-8 %s/mailmirror --db %s ls >%s/ls && "
	                "grep -qF 'Re: 日本語' %s/ls && "
	                "grep -qF '山田 <yamada@example.jp>' %s/ls && "
	                "grep -qF 'こんにちは' %s/ls && "
	                "grep -qF 'Иван <ivan@example.ru>' %s/ls && "
	                "grep -qF 'Привет' %s/ls",
	                build_dir(), f.db, f.dir, f.dir, f.dir, f.dir, f.dir,
	                f.dir),
	             0, "mailmirror ls printed something else");
	teardown(&f);
}

/* --once leaves the account as it ended, for mailmirror status: in error
 * with the reason, then stopped with no error after a good run. */
Test(daemon, once_records_how_the_account_ended, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_ost", "dm_ost", NULL);
	cr_assert_eq(sh(CTL " create dm_ost"), 0);
	cr_assert_eq(sh("sed -i 's/password = \"[^\"]*\"/password = "
	                "\"not-the-password\"/' %s",
	                f.conf),
	             0);
	cr_assert_neq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM accounts WHERE "
	                             "state = 'error' AND last_error LIKE "
	                             "'%authentication%'"),
	             1);
	conf_replace(&f, "not-the-password", harness_env("IMAP_PASS"));
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM accounts WHERE "
	                             "state = 'stopped' AND last_error IS NULL "
	                             "AND last_sync IS NOT NULL"),
	             1);
	teardown(&f);
}

/* A refused password does not mend itself: the live daemon logs it as an
 * error (journalctl -p err), where a connection refused is a warning. */
Test(daemon, a_refused_password_is_an_error, .timeout = 60)
{
	struct fixture f;
	setup_idle(&f, "dm_pwe", "dm_pwe", NULL);
	cr_assert_eq(sh("sed -i 's/password = \"[^\"]*\"/password = "
	                "\"not-the-password\"/' %s",
	                f.conf),
	             0);
	pid_t pid = start_daemon(&f);
	int found = 1;
	for (int i = 0; i < 100 && found != 0; i++) {
		usleep(100000);
		found = sh("grep -q '" LOG_BOL
		           "error: \\[test\\] .*uthentication' "
		           "%s/log",
		           f.dir);
	}
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(found, 0, "no error line for the refused password");
	cr_assert_eq(sh("grep -q '" LOG_BOL "warning: .*uthentication' %s/log",
	                f.dir),
	             1);
	teardown(&f);
}

Test(daemon, interrupted_after_every_commit_converges, .timeout = 300)
{
	struct fixture f;
	setup(&f, "dm_crash", NULL);
	cr_assert_eq(sh(CTL " create dm_crash dm_crash/x"), 0);
	/* More than one batch (2,000 UIDs), so a crash can fall between
	 * batches of one mailbox. */
	cr_assert_eq(sh(CTL " fill dm_crash 2300 10"), 0);
	cr_assert_eq(sh(CTL " fill dm_crash/x 4 11"), 0);

	int n;
	for (n = 1; n < 40; n++) {
		sh("rm -f %s %s-wal %s-shm", f.db, f.db, f.db);
		char env[64];
		snprintf(env, sizeof(env), "MAILMIRROR_CRASH_AFTER_COMMITS=%d",
		         n);
		int rc = run_once(&f, env);
		assert_integrity(&f);
		if (rc == 0)
			break; /* fewer commits than n: every point was tried */
		cr_assert_eq(rc, 99, "crash run %d exited %d", n, rc);
		/* A mailbox whose first sync was cut has no sync time. */
		cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes "
		                             "WHERE last_sync = 0"),
		             0);
		/* Between the crash and the restart the server moves on. */
		cr_assert_eq(
		        sh(CTL " store dm_crash %d +FLAGS '(\\Flagged)'", n),
		        0);
		cr_assert_eq(run_once(&f, NULL), 0, "resume after crash %d", n);
		assert_converged(&f, 0);
		cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes "
		                             "WHERE last_sync IS NULL AND name "
		                             "LIKE 'dm_crash%%'"),
		             0);
	}
	cr_log_info("crash points tried: %d", n);
	cr_assert_gt(n, 2, "the sync made too few commits to test");
	teardown(&f);
}

/* Waits until the daemon pid has made f's cache; fails the test when it
 * exits first, or after a minute. */
static void wait_cache_made(const struct fixture *f, pid_t pid)
{
	struct stat st;
	for (int i = 0; i < 1200 && stat(f->db, &st) != 0; i++) {
		cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0,
		             "the daemon ended before it made the cache");
		usleep(50000);
	}
	cr_assert_eq(stat(f->db, &st), 0, "no cache after a minute");
}

Test(daemon, kill9_at_random_instants_converges, .timeout = 300)
{
	struct fixture f;
	setup(&f, "dm_kill", NULL);
	cr_assert_eq(sh(CTL " create dm_kill"), 0);
	cr_assert_eq(sh(CTL " fill dm_kill 1500 12"), 0);
	srand((unsigned)time(NULL));
	for (int i = 0; i < 6; i++) {
		char bin[512];
		snprintf(bin, sizeof(bin), "%s/mailmirrord", build_dir());
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0) {
			int fd = open("/dev/null", 1);
			dup2(fd, 2);
			execl(bin, bin, "-c", f.conf, "--once", (char *)NULL);
			_exit(127);
		}
		/* The instants are counted from the cache's creation: from
		 * the start, a loaded machine (a sanitized daemon starts
		 * slowly) killed it before there was a cache to check. */
		if (i == 0)
			wait_cache_made(&f, pid);
		usleep((useconds_t)(20000 + rand() % 400000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_integrity(&f);
	}
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	teardown(&f);
}

Test(daemon, bad_config_exits_78_and_writes_nothing)
{
	char dir[] = "/tmp/mm-badconf.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char conf[256];
	snprintf(conf, sizeof(conf), "%s/bad.conf", dir);
	FILE *c = conf_create(conf);
	fprintf(c,
	        "cache = \"%s/cache.db\";\naccounts = ({ name = \"x\";\n"
	        "  host = \"127.0.0.1\"; pasword = \"y\"; });\n",
	        dir);
	fclose(c);
	int rc = sh("%s/mailmirrord -c %s --once 2>%s/err", build_dir(), conf,
	            dir);
	cr_assert_eq(rc, 78);
	cr_assert_eq(sh("grep -q 'bad.conf:3:' %s/err", dir), 0,
	             "the error names file and line");
	struct stat st;
	cr_assert_neq(stat(conf, &st), -1);
	char db[256];
	snprintf(db, sizeof(db), "%s/cache.db", dir);
	cr_assert_eq(stat(db, &st), -1, "nothing may be written");
	sh("rm -rf %s", dir);
}

Test(daemon, cache_files_are_private)
{
	struct fixture f;
	setup(&f, "dm_mode", NULL);
	cr_assert_eq(sh(CTL " create dm_mode"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	struct stat st;
	cr_assert_eq(stat(f.db, &st), 0);
	cr_assert_eq(st.st_mode & 077, 0, "cache mode %o", st.st_mode & 0777);
	teardown(&f);
}

Test(daemon, bodies_are_backfilled_and_split_by_size, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_body", NULL);
	fill_and_sync(&f, 40, 18);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies"), 0,
	             "bodies = none stores none");

	/* Switched on later: every message already cached gets one. The
	 * fill makes messages of 30 to 1,800 bytes; of those above 600 only
	 * the first 600 bytes are fetched, marked truncated. */
	char conf[1024];
	snprintf(conf, sizeof(conf),
	         "sed -i 's/timeout = 10;/timeout = 10; bodies = \"full\";"
	         " max_body_size = 600;/' %s",
	         f.conf);
	cr_assert_eq(sh("%s", conf), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	long msgs = cache_count(&f, "SELECT count(*) FROM messages");
	long bodies = cache_count(&f, "SELECT count(*) FROM bodies");
	long small = cache_count(
	        &f, "SELECT count(*) FROM messages WHERE size <= 600");
	/* The text as a reader sees it: the fill's one-line bodies lose
	 * only their trailing space and CRLF. */
	long whole = cache_count(
	        &f,
	        "SELECT count(*) FROM bodies b JOIN messages m ON "
	        "m.id = b.message_id WHERE NOT b.truncated AND m.size <= 600 "
	        "AND b.body LIKE 'Lorem ipsum%amet.' AND "
	        "length(b.headers) + 2 + length(b.body) + 3 = m.size");
	long cut = cache_count(
	        &f, "SELECT count(*) FROM bodies b JOIN messages m ON "
	            "m.id = b.message_id WHERE b.truncated AND m.size > 600 "
	            "AND length(b.headers) + 2 + coalesce(length(b.body), -2) "
	            "<= 600");
	cr_assert_eq(msgs, 40);
	cr_assert_eq(bodies, 40, "every message has a body row");
	cr_assert_eq(whole, small,
	             "the whole text of the %ld small ones, got "
	             "%ld",
	             small, whole);
	cr_assert_eq(cut, 40 - small,
	             "the start of the %ld large ones, got %ld", 40 - small,
	             cut);
	cr_assert(small > 0 && small < 40, "the fill must give both sizes");
	/* And the text is searchable: --once waits for the indexer. */
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies_unindexed"),
	             0);
	cr_assert_gt(cache_count(&f, "SELECT count(*) FROM messages_fts"
	                             " WHERE messages_fts MATCH 'lorem'"),
	             0);

	/* New mail gets its body in the same pass. */
	cr_assert_eq(sh(CTL " append dm_body 'with a body'"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies"), 41);
	assert_integrity(&f);
	teardown(&f);
}

/* A raised max_body_size fetches again the texts cut at the old one that
 * now come whole; a lower bodies setting takes off the disk what it no
 * longer keeps, from the index too. */
Test(daemon, bodies_follow_a_raised_limit_and_a_lower_setting, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_lbody", "bodies = \"full\"; max_body_size = 600;");
	fill_and_sync(&f, 30, 18);
	long cut =
	        cache_count(&f, "SELECT count(*) FROM bodies WHERE truncated");
	cr_assert(cut > 0 && cut < 30, "the fill must give both sizes");

	/* Every message of the fill is under 2k. */
	conf_replace(&f, "max_body_size = 600", "max_body_size = \"2k\"");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "truncated OR body IS NULL"),
	             0, "the %ld cut texts come whole", cut);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies b JOIN "
	                             "messages m ON m.id = b.message_id WHERE "
	                             "length(b.headers) + 2 + length(b.body) + "
	                             "3 = m.size"),
	             30);

	conf_replace(&f, "bodies = \"full\"", "bodies = \"headers\"");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body IS NULL AND NOT truncated AND "
	                             "headers LIKE '%Subject:%'"),
	             30, "the header sections stay, the texts go");
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages_fts"
	                             " WHERE messages_fts MATCH 'lorem'"),
	             0, "and the index forgets them");
	cr_assert_eq(sh("grep -q 'removed the cached text of 30 messages' "
	                "%s/log",
	                f.dir),
	             0);

	conf_replace(&f, "bodies = \"headers\"", "bodies = \"none\"");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies"), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 30);
	assert_integrity(&f);
	teardown(&f);
}

/* explore38: from "full" to "none", the bodies went and their index
 * stayed behind as markers that only a merge removes: the cache kept its
 * size, and grew at each full-none cycle. */
Test(daemon, a_lower_bodies_setting_gives_the_index_back, .timeout = 180)
{
	struct fixture f;
	setup(&f, "dm_ibody", "bodies = \"full\";");
	fill_and_sync(&f, 1100, 23);
	const char *fts = "SELECT sum(length(block)) FROM messages_fts_data";
	long full = cache_count(&f, fts);
	cr_assert_eq(sh("sed -i '1i log_level = \"info\";' %s", f.conf), 0);
	conf_replace(&f, "bodies = \"full\"", "bodies = \"none\"");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(sh("grep -q 'full-text index: merged (1100 rows had left "
	                "it)' %s/log",
	                f.dir),
	             0);
	long none = cache_count(&f, fts);
	cr_assert_lt(none * 2, full, "%ld bytes of index left of %ld", none,
	             full);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages_fts"
	                             " WHERE messages_fts MATCH 'lorem'"),
	             0);
	assert_integrity(&f);
	teardown(&f);
}

/* From "headers" to "full": every message had a body row already, its
 * header block alone; each gets its text at the next run. */
Test(daemon, bodies_from_headers_to_full_are_backfilled, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hbody", "bodies = \"headers\";");
	fill_and_sync(&f, 12, 21);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body IS NULL AND headers <> ''"),
	             12, "bodies = headers stores the header blocks");
	conf_replace(&f, "bodies = \"headers\"", "bodies = \"full\"");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body LIKE 'Lorem ipsum%'"),
	             12, "the text of every message was fetched");
	cr_assert_gt(cache_count(&f, "SELECT count(*) FROM messages_fts"
	                             " WHERE messages_fts MATCH 'lorem'"),
	             0);
	/* And nothing more is fetched: the next run asks for no body. */
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_integrity(&f);
	teardown(&f);
}

/* f1-headers-cut.sh: with bodies = "headers", a header longer than
 * max_body_size was stored cut and not marked truncated; after "full"
 * with a small limit, "headers" with a larger one kept the header blocks
 * that limit had cut, for good, and cleared their mark. A header block
 * cut short is marked, and fetched again once the setting holds more of
 * it. */
Test(daemon, a_header_block_cut_short_is_marked_and_fetched_again,
     .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hcut", "bodies = \"headers\"; max_body_size = 300;");
	cr_assert_eq(sh(CTL " create dm_hcut"), 0);
	cr_assert_eq(sh(CTL " append-wide dm_hcut 50"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
#define WIDE_ROW                                                               \
	"SELECT count(*) FROM bodies b JOIN messages m ON "                    \
	"m.id = b.message_id WHERE m.subject = 'to 50' AND "
	/* The Cc after the 50 addresses is past the cut. */
	const char *cut = WIDE_ROW "b.truncated AND b.body IS NULL AND "
	                           "length(b.headers) <= 300 AND b.headers "
	                           "NOT LIKE '%after@example.org%'";
	const char *whole = WIDE_ROW "NOT b.truncated AND b.body IS NULL AND "
	                             "b.headers LIKE '%user49@example.org' || "
	                             "char(13, 10) || 'Cc: after@example.org' "
	                             "|| char(13, 10)";
	cr_assert_eq(cache_count(&f, cut), 1, "the cut header is marked");

	/* (A raised limit alone fetches it again as well: test_store.c.) */
	conf_replace(&f, "bodies = \"headers\";", "bodies = \"full\";");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, WIDE_ROW "b.truncated AND b.body = '' "
	                                      "AND length(b.headers) <= 300"),
	             1, "\"full\" cuts it inside the header");
	conf_replace(&f, "bodies = \"full\"; max_body_size = 300;",
	             "bodies = \"headers\";");
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, whole), 1,
	             "\"headers\" with a larger limit fetches it again");
#undef WIDE_ROW
	assert_integrity(&f);
	teardown(&f);
}

/* The header fields an envelope is made of come as one string: a To of
 * 45,000 recipients (1.1 MB) and one of 100 with a max_body_size of 2k
 * used to make a literal over the limit, and the whole batch, innocent
 * messages too, failed at every pass. Now every message is stored; the
 * fields come in a partial fetch of IMAP4_ENVELOPE_FIELDS_MAX bytes, and
 * a field it cuts is left out whole, with those after it (the Cc), and
 * those before it kept. */
Test(daemon, huge_address_lists_lose_no_message, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_wide", NULL);
	cr_assert_eq(sh(CTL " create dm_wide"), 0);
	cr_assert_eq(sh(CTL " fill dm_wide 2 5"), 0);
	cr_assert_eq(sh(CTL " append-wide dm_wide 45000"), 0);
	cr_assert_eq(sh(CTL " append-wide dm_wide 100"), 0);
	cr_assert_eq(sh(CTL " fill dm_wide 1 6"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 5);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 45000' AND to_addr IS "
	                             "NULL AND cc_addr IS NULL AND from_addr "
	                             "LIKE 'Wide%'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 100' AND cc_addr = "
	                             "'after@example.org'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 100' AND to_addr LIKE "
	                             "'%user99@example.org'"),
	             1);

	/* Bodies with a small max_body_size: the fields come beside them. */
	cr_assert_eq(sh("rm -f %s %s-wal %s-shm && sed -i 's/^  mailboxes/"
	                "  bodies = \"full\"; max_body_size = \"2k\";\\n&/' %s",
	                f.db, f.db, f.db, f.conf),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 5);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 100' AND to_addr LIKE "
	                             "'%user99@example.org'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "truncated = 1"),
	             2);
	assert_integrity(&f);
	teardown(&f);
}

/* A proxy between the daemon and Dovecot that misbehaves once; the daemon
 * must notice, keep the cache consistent, reconnect and converge. */
/* Live with bodies: the first sync stores them and the indexer makes them
 * searchable once it is over; new mail is searchable moments after it
 * arrives, its body fetched with it. */
Test(daemon, live_bodies_become_searchable, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_lbody", "bodies = \"full\"; poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_lbody"), 0);
	cr_assert_eq(sh(CTL " fill dm_lbody 30 8"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	const char *lorem = "SELECT count(*) FROM messages_fts WHERE "
	                    "messages_fts MATCH 'body:lorem'";
	cr_assert_eq(cache_count_until(&f, lorem, 30, 10), 30);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies_unindexed"),
	             0);

	cr_assert_eq(sh(CTL " append dm_lbody 'with a body'"), 0);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM messages_fts "
	                               "WHERE messages_fts MATCH 'body:hello'",
	                               1, 10),
	             1, "the new body did not become searchable");
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies"), 31);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

static void survive_fault(const char *prefix, enum fault_action action,
                          uint64_t after)
{
	struct fixture f;
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan plan = {.action = action,
	                          .dir = FAULT_FROM_SERVER,
	                          .after = after,
	                          .once = true};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	/* timeout: the stalled connection must be given up quickly */
	setup_full(&f, prefix, prefix, p, "timeout = 5; poll_interval = 10;");
	cr_assert_eq(sh(CTL " create %s", prefix), 0);
	cr_assert_eq(sh(CTL " fill %s 400 15", prefix), 0);

	pid_t pid = start_daemon(&f);
	/* Back-off starts near 1 s; a stall costs the 5 s timeout first. */
	int rc = compare(&f, 40);
	if (!fault_proxy_fired(px))
		sh("cat %s/mailmirror.conf %s/log >&2", f.dir, f.dir);
	cr_assert(fault_proxy_fired(px), "the fault never happened");
	cr_assert_geq(fault_proxy_connections(px), 2, "no reconnection");
	if (rc != 0)
		sh("cat %s/compare.log %s/log >&2", f.dir, f.dir);
	cr_assert_eq(rc, 0, "no convergence after the fault");
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	fault_proxy_stop(&px);
	teardown(&f);
}

Test(daemon, connection_cut_mid_fetch_recovers, .timeout = 120)
{
	survive_fault("dm_cut", FAULT_CUT, 60000);
}

Test(daemon, stalled_server_times_out_and_recovers, .timeout = 120)
{
	survive_fault("dm_stall", FAULT_STALL, 60000);
}

/* Bytes the server sends for run_once of prefix's mailbox (filled with
 * 60 messages of seed 21, bodies = "full") through a proxy that plans
 * plan; runs: how many runs it took, to the end. */
static uint64_t bodies_through(const char *prefix, struct fault_plan plan,
                               int *runs)
{
	struct fixture f;
	struct fault_proxy *px;
	uint16_t port;
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	setup_full(&f, prefix, prefix, p, "bodies = \"full\";");
	cr_assert_eq(
	        sh(CTL " create %s && " CTL " fill %s 60 21", prefix, prefix),
	        0);
	*runs = 1;
	while (run_once(&f, NULL) != 0 && *runs < 5)
		(*runs)++;
	uint64_t sent = fault_proxy_total(px, FAULT_FROM_SERVER);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	teardown(&f);
	return sent;
}

/* explore65: a batch the connection lost midway was thrown away whole,
 * the messages that had come with it too, and asked for again: a link
 * reset every 15 s stored nothing, for ever. What came is kept. */
Test(daemon, a_cut_batch_keeps_the_messages_that_came, .timeout = 120)
{
	int runs;
	uint64_t whole = bodies_through(
	        "dm_keep1", (struct fault_plan){.action = FAULT_PASS}, &runs);
	cr_assert_eq(runs, 1);
	uint64_t cut =
	        bodies_through("dm_keep2",
	                       (struct fault_plan){.action = FAULT_CUT,
	                                           .dir = FAULT_FROM_SERVER,
	                                           .after = whole * 2 / 3,
	                                           .once = true},
	                       &runs);
	cr_assert_eq(runs, 2);
	/* Asked again: at most the message the cut broke, and a login. */
	cr_assert_lt(cut, whole + whole / 10,
	             "%llu bytes through the cut, %llu whole",
	             (unsigned long long)cut, (unsigned long long)whole);
}

/* The same for the bodies of messages cached without them (bodies
 * configured later): those that came before the cut are stored. */
Test(daemon, a_cut_backfill_keeps_the_bodies_that_came, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_keepb", NULL);
	cr_assert_eq(sh(CTL " create dm_keepb && " CTL " fill dm_keepb 60 21"),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan plan = {.action = FAULT_CUT,
	                          .dir = FAULT_FROM_SERVER,
	                          .after = 30000,
	                          .once = true};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	cr_assert_eq(sh("sed -i 's/port = [0-9]*;/port = %u; bodies = "
	                "\"full\";/' %s",
	                port, f.conf),
	             0);
	cache_same_server(&f, "test", port);
	cr_assert_neq(run_once(&f, NULL), 0, "the cut did not fail the run");
	long kept = cache_count(&f, "SELECT count(*) FROM bodies");
	cr_assert_eq(run_once(&f, NULL), 0);
	long all = cache_count(&f, "SELECT count(*) FROM bodies");
	fault_proxy_stop(&px);
	cr_assert_gt(kept, 0, "no body of those that came was kept");
	cr_assert_lt(kept, 60);
	cr_assert_eq(all, 60);
	assert_converged(&f, 0);
	teardown(&f);
}

/* A fixture whose daemon reaches the harness's Dovecot through a fault
 * proxy that passes the server's bytes at rate bytes a second (a slow
 * link), watching prefix; stop the proxy with fault_proxy_stop. */
static struct fault_proxy *slow_link(struct fixture *f, const char *prefix,
                                     unsigned rate, const char *extra)
{
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan plan = {
	        .action = FAULT_SLOW, .dir = FAULT_FROM_SERVER, .rate = rate};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	setup_full(f, prefix, prefix, p, extra);
	return px;
}

/* explore65: over a slow link, `mailmirror status` showed 0/0 until the
 * first batch was in, a minute later; how many are coming is known from
 * the UID SEARCH before it. */
Test(daemon, the_count_to_fetch_shows_before_the_first_batch, .timeout = 120)
{
	struct fixture f;
	struct fault_proxy *px =
	        slow_link(&f, "dm_total", 60 * 1024, "bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_total && " CTL " fill dm_total 300 9"),
	             0);
	pid_t pid = start_daemon(&f);
	/* Until the daemon has made the cache, the query fails (-1). */
	long total = cache_count_until(
	        &f, "SELECT coalesce(max(sync_total), 0) FROM mailboxes", 300,
	        20);
	long stored = cache_count(&f, "SELECT count(*) FROM messages");
	cr_assert_eq(stop_daemon(pid), 0);
	fault_proxy_stop(&px);
	cr_assert_eq(total, 300);
	cr_assert_lt(stored, 250, "the count showed only with a batch in");
	teardown(&f);
}

/* explore67: a connect error stayed on the account in `mailmirror status`
 * while a later connection synced, until the account was live. */
Test(daemon, a_connection_that_syncs_clears_the_last_error, .timeout = 120)
{
	struct fixture f;
	struct fault_proxy *px =
	        slow_link(&f, "dm_clear", 60 * 1024, "bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_clear && " CTL " fill dm_clear 300 9"),
	             0);
	cr_assert_eq(sh("cp %s %s.good && sed -i 's/port = [0-9]*;/port = 1;/' "
	                "%s",
	                f.conf, f.conf, f.conf),
	             0);
	cr_assert_neq(run_once(&f, NULL), 0);
	long failed = cache_count(&f, "SELECT count(*) FROM accounts WHERE "
	                              "last_error IS NOT NULL");
	cr_assert_eq(sh("mv %s.good %s", f.conf, f.conf), 0);
	pid_t pid = start_daemon(&f);
	long syncing_clear = 0;
	for (int i = 0; i < 200 && syncing_clear == 0; i++) {
		syncing_clear = cache_count(
		        &f, "SELECT count(*) FROM accounts WHERE state = "
		            "'syncing' AND last_error IS NULL");
		if (syncing_clear == 0)
			usleep(50000);
	}
	cr_assert_eq(stop_daemon(pid), 0);
	fault_proxy_stop(&px);
	cr_assert_eq(failed, 1);
	cr_assert_eq(syncing_clear, 1, "the old error stayed while syncing");
	teardown(&f);
}

/* explore47: over a link too slow for one message within the command
 * timeout, the FETCH of its batch was asked again for ever (the batch
 * never halved, no whole message having come), and the mail after it
 * never came. The batch halves down to one message, then new mail comes
 * without bodies and each body in pieces that fit the timeout. */
Test(daemon, a_message_too_large_for_the_link_comes_in_pieces, .timeout = 180)
{
	struct fixture f;
	struct fault_proxy *px = slow_link(&f, "dm_piece", 80 * 1024,
	                                   "timeout = 5; bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_piece"), 0);
	/* 8 s of transfer at that rate, before three small ones */
	cr_assert_eq(sh(CTL " append-big dm_piece 640"), 0);
	cr_assert_eq(sh(CTL " fill dm_piece 3 43"), 0);

	cr_assert_eq(run_once(&f, NULL), 0);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body IS NOT NULL AND NOT truncated"),
	             4);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body LIKE '%line 0013652 of a long%' "
	                             "AND body LIKE '%last line'"),
	             1, "the large body is not whole");
	cr_assert_eq(sh("grep -q 'took longer than the timeout (5 s); "
	                "asking for 1 at a time, bodies in pieces' %s/log",
	                f.dir),
	             0);
	assert_integrity(&f);
	teardown(&f);
}

/* Waits (20 s at most) until the daemon's log holds text; whether it
 * does. */
static bool log_until(const struct fixture *f, const char *text)
{
	for (int i = 0; i < 400; i++) {
		if (sh("grep -q '%s' %s/log", text, f->dir) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

/* Dovecot 2.3 writes NOTIFY's news of other mailboxes wherever its output
 * stands, inside the literal of a FETCH that a slow link holds back too
 * (tests/harness/notify-inject-probe.py): the message no longer added
 * up, the daemon dropped the batch, reconnected and fetched it again, and
 * under steady news could go on so. A FETCH of that much mail is made
 * with NOTIFY off, set again before the daemon waits: each body comes
 * once, on one connection, and nothing another client did meanwhile goes
 * untold. */
Test(daemon, notify_news_stays_out_of_large_bodies, .timeout = 120)
{
	struct fixture f;
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan plan = {.action = FAULT_SLOW,
	                          .dir = FAULT_FROM_SERVER,
	                          .rate = 640 * 1024,
	                          .burst = 16 * 1024,
	                          .wan_buffers = true};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	setup_full(&f, "dm_inject", "dm_inject*", p,
	           "bodies = \"full\"; poll_interval = 3600;");
	cr_assert_eq(sh(CTL " reset zz_dm_inject && " CTL
	                    " create dm_inject dm_inject/b"),
	             0);
	pid_t pid = start_daemon(&f);
	cr_assert(log_until(&f, "watching with IDLE and NOTIFY"));
	/* The other client's news all along: appends to the other watched
	 * mailbox, mailboxes created outside the mirror. */
	cr_assert_eq(sh("(" CTL " churn dm_inject/b zz_dm_inject %s/stop "
	                ">%s/churned; touch %s/churn-done) >/dev/null 2>&1 &",
	                f.dir, f.dir, f.dir),
	             0);
	/* A body of 1.2 MB: two seconds through the link, the first of them
	 * with the server waiting to write the rest. */
	cr_assert_eq(sh(CTL " append-big dm_inject 1200"), 0);
	long whole = cache_count_until(&f,
	                               "SELECT count(*) FROM bodies WHERE "
	                               "body LIKE '%%last line%%'",
	                               1, 30);
	sh("touch %s/stop", f.dir);
	for (int i = 0; i < 200 && sh("test -e %s/churn-done", f.dir) != 0; i++)
		usleep(50000);
	uint64_t came = fault_proxy_total(px, FAULT_FROM_SERVER);
	unsigned conns = fault_proxy_connections(px);
	/* The churn's last news reaches the cache. */
	int converged = compare(&f, 20);
	int st = stop_daemon(pid);
	fault_proxy_stop(&px);
	sh(CTL " reset zz_dm_inject");
	cr_assert_eq(whole, 1, "the body did not come whole");
	cr_assert_eq(sh("grep -q 'malformed' %s/log", f.dir), 1,
	             "a FETCH was broken by the server's news");
	cr_assert_eq(conns, 1, "the daemon reconnected");
	/* 1.2 MB of body, and the news: the body came once. */
	cr_assert_lt(came, 1800 * 1024, "%llu bytes came",
	             (unsigned long long)came);
	cr_assert_gt(sh_number("cat %s/churned", f.dir), 0);
	cr_assert_eq(converged, 0, "the cache missed the other client's news");
	cr_assert_eq(st, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore49, explore53: the pieces of a body coming over a slow link were
 * kept in memory alone, and a restart (a reboot, an upgrade, a kill)
 * fetched it again from its first byte: hours for 25 MB at 2 KB/s. They
 * are kept in the cache as they come: after a kill -9, the next run
 * fetches what was missing, not the whole again. */
Test(daemon, a_restart_goes_on_with_a_body_in_pieces, .timeout = 180)
{
	struct fixture f;
	const unsigned rate = 160 * 1024;
	struct fault_proxy *px = slow_link(&f, "dm_goon", rate,
	                                   "timeout = 5; bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_goon"), 0);
	/* 8 s of transfer at that rate */
	cr_assert_eq(sh(CTL " append-big dm_goon 1280"), 0);
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT sum(length(data)) >= 600000 "
	                               "FROM body_pieces",
	                               1, 90),
	             1, "no pieces were kept");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	long kept = cache_count(&f, "SELECT sum(length(data)) FROM "
	                            "body_pieces");
	long size = cache_count(&f, "SELECT size FROM messages");
	uint64_t before = fault_proxy_total(px, FAULT_FROM_SERVER);
	cr_assert_eq(run_once(&f, NULL), 0);
	uint64_t came = fault_proxy_total(px, FAULT_FROM_SERVER) - before;
	fault_proxy_stop(&px);
	cr_log_info("%llu bytes came after the restart, for a body of %ld "
	            "bytes, %ld kept",
	            (unsigned long long)came, size, kept);
	/* What was missing, and a FETCH of the whole body that runs out
	 * of time (timeout × rate) before the pieces start again: half
	 * of what was kept is slack enough either way. */
	cr_assert_lt(came, (uint64_t)(size - kept / 2) + 5 * rate,
	             "%llu bytes came for a body of %ld, %ld of them kept",
	             (unsigned long long)came, size, kept);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body LIKE '%last line' AND NOT "
	                             "truncated"),
	             1, "the body is not whole");
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM body_pieces"), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore70: over a link that drops sooner than one message comes whole
 * (a body of 640 KB, each connection cut after 200 KB), the FETCH asked
 * for it whole at every connection, lost it at the same place, and the
 * mail after it never came. Cut before one message came whole, the
 * bodies come in pieces that come before a cut, kept as they come. */
Test(daemon, a_link_cut_before_one_message_comes_takes_it_in_pieces,
     .timeout = 180)
{
	struct fixture f;
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan plan = {.action = FAULT_CUT,
	                          .dir = FAULT_FROM_SERVER,
	                          .after = 200 * 1024};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &plan),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	setup_full(&f, "dm_cutbig", "dm_cutbig", p, "bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_cutbig && " CTL " fill dm_cutbig 2 44 "
	                    "&& " CTL " append-big dm_cutbig 640 && " CTL
	                    " fill dm_cutbig 3 45"),
	             0);
	pid_t pid = start_daemon(&f);
	long whole = cache_count_until(&f,
	                               "SELECT count(*) FROM bodies WHERE "
	                               "body IS NOT NULL AND NOT truncated",
	                               6, 60);
	cr_assert_eq(stop_daemon(pid), 0);
	unsigned connections = fault_proxy_connections(px);
	fault_proxy_stop(&px);
	cr_log_info("%u connections", connections);
	cr_assert_eq(whole, 6, "%ld of 6 bodies whole", whole);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM bodies WHERE "
	                             "body LIKE '%last line'"),
	             1, "the large body is not whole");
	cr_assert_eq(sh("grep -q 'the connection was lost before one message "
	                "of [0-9]* came whole; asking for bodies in pieces' "
	                "%s/log",
	                f.dir),
	             0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore49: a header whose envelope fields could not come within the
 * command timeout (70 KB at 3 KB/s) was asked for whole again at every
 * try, and held its mailbox for good. The fields are asked for in a part
 * that fits the timeout at the rate measured: the message is cached, with
 * the fields before the cut, and the mail after it too. */
Test(daemon, header_fields_too_large_for_the_link_come_cut, .timeout = 120)
{
	struct fixture f;
	struct fault_proxy *px =
	        slow_link(&f, "dm_fields", 2 * 1024, "timeout = 5;");
	cr_assert_eq(sh(CTL " create dm_fields"), 0);
	/* a To of 44 KB: 22 s at that rate */
	cr_assert_eq(sh(CTL " append-wide dm_fields 2000"), 0);
	cr_assert_eq(sh(CTL " fill dm_fields 2 7"), 0);

	cr_assert_eq(run_once(&f, NULL), 0);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 2000' AND from_addr LIKE "
	                             "'Wide%' AND to_addr IS NULL"),
	             1);
	cr_assert_eq(sh("grep -q 'header fields of one message did not come "
	                "within the timeout (5 s)' %s/log",
	                f.dir),
	             0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore53: the fields left out of an envelope cut for a slow link (the
 * Cc after a To of 44 KB) stayed NULL for good, though the whole header
 * came later with the body. It completes the envelope. */
Test(daemon, an_envelope_cut_for_the_link_is_completed_by_its_header,
     .timeout = 120)
{
	struct fixture f;
	struct fault_proxy *px = slow_link(
	        &f, "dm_hfill", 4 * 1024, "timeout = 5; bodies = \"headers\";");
	cr_assert_eq(sh(CTL " create dm_hfill"), 0);
	cr_assert_eq(sh(CTL " append-wide dm_hfill 2000"), 0);

	int rc = run_once(&f, NULL);
	if (rc != 0)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(rc, 0);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	if (sh("grep -q 'header fields of one message did not come "
	       "within the timeout' %s/log",
	       f.dir) != 0)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages WHERE "
	                             "subject = 'to 2000' AND cc_addr = "
	                             "'after@example.org' AND to_addr LIKE "
	                             "'%user1999@example.org'"),
	             1);
	assert_integrity(&f);
	teardown(&f);
}

/* explore49: while a body came in pieces over a slow link, the account's
 * other mailboxes waited until it was whole, the watched one too (hours
 * for 25 MB at 2 KB/s). A mailbox's bodies now take turns of half the
 * command timeout: the watched mailbox goes live, and its new mail comes,
 * while the large body is still coming; then the body comes whole. */
Test(daemon, a_body_in_pieces_leaves_the_watched_mailbox_live, .timeout = 180)
{
	struct fixture f;
	struct fault_proxy *px = slow_link(&f, "dm_turn", 40 * 1024,
	                                   "timeout = 5; bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_turn dm_turnbig"), 0);
	/* 16 s of transfer at that rate: the watched mailbox goes live
	 * some 9 s after the start (a whole FETCH that runs out of time,
	 * a second's wait, the first turns), its new mail comes a few
	 * seconds later, and the large body is still owed then. */
	cr_assert_eq(sh(CTL " append-big dm_turnbig 640"), 0);
	const char *whole = "SELECT count(*) FROM bodies WHERE body LIKE "
	                    "'%last line' AND NOT truncated";
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live = 1",
	                               1, 60),
	             1, "the watched mailbox never went live");
	cr_assert_eq(sh(CTL " append dm_turn 'while the big one comes'"), 0);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM messages m JOIN "
	                               "mailboxes b ON b.id = m.mailbox_id "
	                               "WHERE b.name = 'dm_turn'",
	                               1, 15),
	             1, "new mail of the watched mailbox waited");
	cr_assert_eq(cache_count(&f, whole), 0,
	             "the large body was whole first: nothing waited for it");
	cr_assert_eq(cache_count_until(&f, whole, 1, 90), 1,
	             "the large body never came whole");
	cr_assert_eq(stop_daemon(pid), 0);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

/* explore53: with five mailboxes owed bodies in pieces, the kept pieces of
 * four were each dropped before their turn came (the oldest going first),
 * and every body started again from its first byte at every turn, for
 * ever; and the turns of every owed mailbox came one after another before
 * the watched mailbox was looked at again (10 to 48 s). */
Test(daemon, bodies_of_many_mailboxes_take_turns_and_all_come_whole,
     .timeout = 180)
{
	struct fixture f;
	struct fault_proxy *px = slow_link(&f, "dm_five", 100 * 1024,
	                                   "timeout = 5; bodies = \"full\";");
	cr_assert_eq(sh(CTL " create dm_five dm_five1 dm_five2 dm_five3 "
	                    "dm_five4 dm_five5"),
	             0);
	/* 6 s each at that rate: three turns or more */
	for (int i = 1; i <= 5; i++)
		cr_assert_eq(sh(CTL " append-big dm_five%d 600", i), 0);
	const char *whole = "SELECT count(*) FROM bodies WHERE body LIKE "
	                    "'%last line' AND NOT truncated";
	pid_t pid = start_daemon(&f);
	cr_assert_eq(cache_count_until(&f,
	                               "SELECT count(*) FROM mailboxes "
	                               "WHERE live = 1",
	                               1, 90),
	             1, "the watched mailbox never went live");
	if (cache_count(&f, whole) < 4) {
		cr_assert_eq(sh(CTL " append dm_five 'between the turns'"), 0);
		cr_assert_eq(cache_count_until(&f,
		                               "SELECT count(*) FROM messages "
		                               "m JOIN mailboxes b ON b.id = "
		                               "m.mailbox_id WHERE b.name = "
		                               "'dm_five'",
		                               1, 10),
		             1, "new mail of the watched mailbox waited");
	}
	cr_assert_eq(cache_count_until(&f, whole, 5, 120), 5,
	             "the bodies never all came whole");
	cr_assert_eq(stop_daemon(pid), 0);
	fault_proxy_stop(&px);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

Test(daemon, sighup_adds_an_account_without_restart, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hupa", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " reset dm_hupb"), 0);
	cr_assert_eq(sh(CTL " create dm_hupa dm_hupb"), 0);
	cr_assert_eq(sh(CTL " fill dm_hupb 7 16"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);

	FILE *c = fopen(f.conf, "a");
	cr_assert_not_null(c);
	/* libconfig has no list append: a second file replaces the first */
	fclose(c);
	c = conf_create(f.conf);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({ name = \"test\"; host = \"%s\"; port = %s;"
	        " tls = \"none\"; user = \"%s\"; password = \"%s\";"
	        " mailboxes = [\"dm_hupa*\"]; idle = [\"dm_hupa\"];"
	        " poll_interval = 10; timeout = 10; },\n"
	        " { name = \"second\"; host = \"%s\"; port = %s;"
	        " tls = \"none\"; user = \"%s\"; password = \"%s\";"
	        " mailboxes = [\"dm_hupb*\"]; idle = [\"dm_hupb\"]; });\n",
	        f.db, harness_env("IMAP_HOST"), harness_env("IMAP_PORT"),
	        harness_env("IMAP_USER"), harness_env("IMAP_PASS"),
	        harness_env("IMAP_HOST"), harness_env("IMAP_PORT"),
	        harness_env("IMAP_USER"), harness_env("IMAP_PASS"));
	fclose(c);
	kill(pid, SIGHUP);
	cr_assert_eq(sh(CTL " compare %s second dm_hupb 20 >>%s/compare.log",
	                f.db, f.dir),
	             0, "the added account was not mirrored");
	/* the first account kept running */
	cr_assert_eq(sh(CTL " append dm_hupa 'still live'"), 0);
	assert_converged(&f, 5);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

Test(daemon, on_new_mail_runs_with_the_message_fields, .timeout = 120)
{
	struct fixture f;
	char extra[512];
	char dir[] = "/tmp/mm-hook.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(
	        extra, sizeof(extra),
	        "on_new_mail = \"printf '%%s|%%s|%%s\\\\n' \\\"$MM_MAILBOX\\\" "
	        "\\\"$MM_UID\\\" \\\"$MM_SUBJECT\\\" >> %s/hook.log\";",
	        dir);
	setup(&f, "dm_hook", extra);
	cr_assert_eq(sh(CTL " create dm_hook"), 0);
	cr_assert_eq(sh(CTL " fill dm_hook 3 17"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	/* The initial sync is not news: no hook for it. */
	cr_assert_neq(sh("test -s %s/hook.log", dir), 0);
	/* A subject that tries to break out of the shell and the terminal. */
	cr_assert_eq(
	        sh(CTL " append dm_hook '$(touch %s/pwned) `id` \x1b[2J'", dir),
	        0);
	int seen = -1;
	for (int i = 0; i < 100 && seen != 0; i++) {
		seen = sh("grep -q '^dm_hook|4|' %s/hook.log 2>/dev/null", dir);
		usleep(50000);
	}
	cr_assert_eq(seen, 0, "on_new_mail did not run for the new message");
	cr_assert_neq(sh("test -e %s/pwned", dir), 0,
	              "server text reached the shell");
	cr_assert_eq(stop_daemon(pid), 0);
	sh("rm -rf %s", dir);
	teardown(&f);
}

/* A fixture whose on_new_mail adds "MAILBOX|UID" to DIR/hook.log, dir
 * (a "/tmp/mm-hook.XXXXXX" to fill) made for it; more: other settings. */
static void setup_hooked(struct fixture *f, char *dir, const char *prefix,
                         const char *more)
{
	char extra[512];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(extra, sizeof(extra),
	         "%s on_new_mail = \"printf '%%s|%%s\\\\n' "
	         "\\\"$MM_MAILBOX\\\" \\\"$MM_UID\\\" >> %s/hook.log\";",
	         more, dir);
	setup(f, prefix, extra);
}

/* Whether DIR/hook.log gets a line matching the regex line within 10 s. */
static bool hooked(const char *dir, const char *line)
{
	for (int i = 0; i < 200; i++) {
		if (sh("grep -q '%s' %s/hook.log 2>/dev/null", line, dir) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

/* A hooked fixture (setup_hooked, polled every 10 s) whose mailbox
 * prefix/p holds count messages of seed, and its daemon, live. */
static pid_t start_hooked_p(struct fixture *f, char *dir, const char *prefix,
                            unsigned count, unsigned seed)
{
	setup_hooked(f, dir, prefix, "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create %s %s/p && " CTL " fill %s/p %u %u",
	                prefix, prefix, prefix, count, seed),
	             0);
	pid_t pid = start_daemon(f);
	wait_live(f);
	return pid;
}

/* Waits for DIR/hook.log's line matching the regex line, stops the
 * daemon and checks that this was the only run (more: what runs beyond
 * it would mean), and that the cache converged; cleans up. */
static void expect_one_hook(struct fixture *f, pid_t pid, char *dir,
                            const char *line, const char *more)
{
	bool seen = hooked(dir, line);
	usleep(500000);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert(seen, "no hook ran for %s", line);
	cr_assert_eq(sh_number("grep -c . %s/hook.log", dir), 1, "%s", more);
	assert_converged(f, 0);
	sh("rm -rf %s", dir);
	teardown(f);
}

/* explore38: a message that came while a reload replaced the account's
 * worker was cached, and never announced: the new worker's first sync
 * counted as the first of all. What it finds new in a mailbox synced
 * before came while the daemon ran; a mailbox the reload brings in is a
 * first sync, and announces nothing. */
Test(daemon, on_new_mail_runs_for_mail_that_came_during_a_reload,
     .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	setup_hooked(&f, dir, "dm_hkr", "exclude = [\"dm_hkr/new\"];");
	cr_assert_eq(sh(CTL " create dm_hkr dm_hkr/new"), 0);
	cr_assert_eq(sh(CTL " fill dm_hkr 3 17"), 0);
	cr_assert_eq(sh(CTL " fill dm_hkr/new 2 18"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	conf_replace(&f, "exclude = [\"dm_hkr/new\"];", "");
	/* Dovecot tells an idling client of new mail 0.5 s after it came:
	 * the worker the reload stops at once never hears of it. */
	cr_assert_eq(sh(CTL " append dm_hkr 'during the reload'"), 0);
	cr_assert_eq(kill(pid, SIGHUP), 0);
	bool seen = hooked(dir, "^dm_hkr|4$");
	long brought = cache_count_until(&f,
	                                 "SELECT count(*) FROM messages m JOIN "
	                                 "mailboxes b ON b.id = m.mailbox_id "
	                                 "WHERE b.name = 'dm_hkr/new'",
	                                 2, 20);
	usleep(500000);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert(seen, "no hook for the message of the reload");
	cr_assert_eq(brought, 2);
	cr_assert_eq(sh_number("grep -c . %s/hook.log", dir), 1,
	             "hooks ran for a first sync");
	sh("rm -rf %s", dir);
	teardown(&f);
}

/* explore45: two mailboxes that swap names come back under each other's
 * name with a new UIDVALIDITY each, and their messages were fetched as
 * new: on_new_mail ran for every old message. They moved with their
 * mailbox; what arrives after is new. */
Test(daemon, on_new_mail_skips_mailboxes_that_swap_names, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	setup_hooked(&f, dir, "dm_hsw", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_hsw dm_hsw/a dm_hsw/b"), 0);
	cr_assert_eq(sh(CTL " fill dm_hsw/a 2 17"), 0);
	cr_assert_eq(sh(CTL " fill dm_hsw/b 1 18"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " rename dm_hsw/a dm_hsw/t && " CTL
	                    " rename dm_hsw/b dm_hsw/a && " CTL
	                    " rename dm_hsw/t dm_hsw/b"),
	             0);
	cr_assert_eq(sh(CTL " append dm_hsw/a 'after the swap'"), 0);
	/* The poll (10 s) finds both with new UIDVALIDITYs. */
	long now_a = cache_count_until(&f,
	                               "SELECT count(*) FROM messages m JOIN "
	                               "mailboxes b ON b.id = m.mailbox_id "
	                               "WHERE b.name = 'dm_hsw/a'",
	                               2, 30);
	cr_assert_eq(now_a, 2);
	expect_one_hook(&f, pid, dir, "^dm_hsw/a|2$",
	                "hooks ran for messages that moved with their mailbox");
}

/* Messages the cache lost (below its UIDNEXT: a server's bogus VANISHED,
 * a crash) are fetched again while the daemon runs, but they are no new
 * mail: on_new_mail runs for none of them, and for what came since. */
Test(daemon, on_new_mail_skips_messages_fetched_again, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	pid_t pid = start_hooked_p(&f, dir, "dm_hk2", 3, 17);
	cache_lose(&f, "dm_hk2/p", 1, 3);
	cr_assert_eq(sh(CTL " append dm_hk2/p 'new since'"), 0);
	/* The poll (10 s) finds the mailbox changed, and its lost rows. */
	long back = cache_count_until(&f,
	                              "SELECT count(*) FROM messages m JOIN "
	                              "mailboxes b ON b.id = m.mailbox_id "
	                              "WHERE b.name = 'dm_hk2/p'",
	                              4, 25);
	cr_assert_eq(back, 4);
	expect_one_hook(&f, pid, dir, "^dm_hk2/p|4$",
	                "hooks ran for the messages fetched again");
}

/* explore64: a polled mailbox whose server numbered it anew (Dovecot's
 * index rebuilt) was fetched again while the daemon ran, and on_new_mail
 * announced every old message. What it holds then came before, as at a
 * first sync; what arrives after is new. */
Test(daemon, on_new_mail_skips_a_mailbox_numbered_anew, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	pid_t pid = start_hooked_p(&f, dir, "dm_huv", 2, 17);
	const char *in_p = "SELECT count(*) FROM messages m JOIN mailboxes b "
	                   "ON b.id = m.mailbox_id WHERE b.name = 'dm_huv/p'";
	long before = cache_count_until(&f, in_p, 2, 10);
	cr_assert_eq(sh(CTL " recreate dm_huv/p"), 0);
	cr_assert_eq(sh(CTL " fill dm_huv/p 3 18"), 0);
	/* The poll (10 s) finds the new UIDVALIDITY and fetches all. */
	long anew = cache_count_until(&f, in_p, 3, 25);
	cr_assert_eq(sh(CTL " append dm_huv/p 'after the renumbering'"), 0);
	cr_assert_eq(before, 2);
	cr_assert_eq(anew, 3);
	expect_one_hook(&f, pid, dir, "^dm_huv/p|4$",
	                "hooks ran for the messages of the new numbering");
}

/* explore79: Gmail shows each label as a mailbox, and on_new_mail ran
 * once for each mailbox a message is in. on_new_mail_mailboxes names the
 * ones it runs for: new mail in the others, watched (dm_hkm) or polled
 * (dm_hkm/q), is mirrored and told of nowhere. */
Test(daemon, on_new_mail_mailboxes_limits_the_hook, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	setup_hooked(&f, dir, "dm_hkm",
	             "poll_interval = 10; "
	             "on_new_mail_mailboxes = [\"dm_hkm/p\"];");
	cr_assert_eq(sh(CTL " create dm_hkm dm_hkm/p dm_hkm/q && " CTL
	                    " fill dm_hkm/p 1 17"),
	             0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_hkm 'watched, untold' && " CTL
	                    " append dm_hkm/q 'polled, untold' && " CTL
	                    " append dm_hkm/p 'told'"),
	             0);
	/* The poll (10 s) brings q's and p's. */
	long in_q = cache_count_until(&f,
	                              "SELECT count(*) FROM messages m JOIN "
	                              "mailboxes b ON b.id = m.mailbox_id "
	                              "WHERE b.name IN ('dm_hkm', 'dm_hkm/q')",
	                              2, 25);
	cr_assert_eq(in_q, 2);
	expect_one_hook(&f, pid, dir, "^dm_hkm/p|2$",
	                "on_new_mail ran for a mailbox that "
	                "on_new_mail_mailboxes leaves out");
}

/* explore67: what a command leaves in the background ("notify-send ...
 * &") is part of its run: counted until it ends, and stopped with it. It
 * used to outlive the five minutes, uncounted. */
Test(daemon, on_new_mail_what_a_command_leaves_behind_is_stopped,
     .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hkg", "on_new_mail = \"sleep 619 & exit 0\";");
	cr_assert_eq(sh(CTL " create dm_hkg"), 0);
	cr_assert_eq(setenv("MAILMIRROR_HOOK_TIMEOUT_MS", "3000", 1), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_hkg one && " CTL " append dm_hkg two"),
	             0);
	long alive = 0;
	for (int i = 0; i < 50 && alive < 2; i++) {
		usleep(100000);
		alive = sh_number("pgrep -fc 'sleep 61[9]'");
	}
	long left = alive;
	for (int i = 0; i < 150 && left > 0; i++) {
		usleep(100000);
		left = sh_number("pgrep -fc 'sleep 61[9]'");
	}
	cr_assert_eq(stop_daemon(pid), 0);
	sh("pkill -f 'sleep 61[9]'");
	cr_assert_eq(alive, 2);
	cr_assert_eq(left, 0, "what the commands left behind was not stopped");
	cr_assert_eq(sh("grep -q 'still runs after 3 s: stopping it' %s/log",
	                f.dir),
	             0);
	teardown(&f);
}

/* explore64: mail that arrives read (sent by the user, moved in after it
 * was read) started the command like new mail, which could not tell it:
 * it starts none, and the flags of the rest are in MM_FLAGS. */
Test(daemon, on_new_mail_skips_mail_that_arrives_read, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	char extra[512];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(extra, sizeof(extra),
	         "on_new_mail = \"printf '%%s|%%s\\\\n' \\\"$MM_UID\\\" "
	         "\\\"$MM_FLAGS\\\" >> %s/hook.log\";",
	         dir);
	setup(&f, "dm_hks", extra);
	cr_assert_eq(sh(CTL " create dm_hks"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_hks 'sent by me' '(\\Seen)'"), 0);
	cr_assert_eq(sh(CTL " append dm_hks 'for me' '(\\Flagged $Work)'"), 0);
	bool seen = hooked(dir, "^2|");
	usleep(500000);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert(seen, "no hook for the unread message");
	cr_assert_eq(sh("grep '^2|' %s/hook.log | grep -qF '$Work' && "
	                "grep '^2|' %s/hook.log | grep -qF '\\Flagged'",
	                dir, dir),
	             0, "MM_FLAGS is not the message's flags");
	cr_assert_eq(sh_number("grep -c . %s/hook.log", dir), 1,
	             "a hook ran for the message that arrived read");
	sh("rm -rf %s", dir);
	teardown(&f);
}

/* explore69: with eight runs at most, a burst of twelve started eight
 * runs of one message, and the last four messages none: no run stood for
 * them. A burst's runs fit the slots, the last standing for the rest. */
Test(daemon, on_new_mail_a_burst_is_told_whole, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX";
	char extra[512];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(extra, sizeof(extra),
	         "on_new_mail = \"printf '%%s\\\\n' \\\"$MM_COUNT\\\" >> "
	         "%s/hook.log; sleep 2\";",
	         dir);
	setup_idle(&f, "dm_hkb", "dm_hkb", extra);
	cr_assert_eq(sh(CTL " create dm_hkb dm_hkb/src"), 0);
	cr_assert_eq(sh(CTL " append-each dm_hkb/src m1 m2 m3 m4 m5 m6 m7 m8 "
	                    "m9 m10 m11 m12"),
	             0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " move dm_hkb/src 1:12 dm_hkb"), 0);
	long told = 0;
	for (int i = 0; i < 100 && told < 12; i++) {
		usleep(100000);
		told = sh_number("awk '{ s += $1 } END { print s + 0 }' "
		                 "%s/hook.log 2>/dev/null",
		                 dir);
	}
	/* Counted after told, not before it: runs that start together
	 * wrote their lines between the two counts (0 runs for 12). */
	long runs = sh_number("cat %s/hook.log 2>/dev/null | wc -l", dir);
	cr_assert_eq(stop_daemon(pid), 0);
	sh("rm -rf %s", dir);
	teardown(&f);
	cr_assert_eq(told, 12, "runs stood for %ld of the 12 messages", told);
	/* Ten slots: at most ten runs. Fewer when the server tells the
	 * move in two parts and the second finds slots taken (a loaded
	 * machine saw it). */
	cr_assert(runs >= 2 && runs <= 10, "%ld runs", runs);
}

/* The number of processes whose parent is pid. */
static long children_of(pid_t pid)
{
	return sh_number("ps -o pid= --ppid %d | wc -l", (int)pid);
}

/* explore64: a command that hangs (a notifier waiting on a dead D-Bus)
 * left one process more for each message that came. Ten run at most;
 * while they do, mail starts none (said once), and a run that goes on
 * too long is stopped. */
Test(daemon, on_new_mail_commands_that_hang_are_bounded, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_hkh", "on_new_mail = \"exec sleep 617\";");
	cr_assert_eq(sh(CTL " create dm_hkh dm_hkh/src"), 0);
	/* Unread (fill's messages are read at random), and moved in at
	 * once: ten appends one after another took longer than the 4 s a
	 * command may run on a loaded machine, and the first were stopped
	 * before the last started. */
	cr_assert_eq(sh(CTL " append-each dm_hkh/src m1 m2 m3 m4 m5 m6 m7 m8 "
	                    "m9 m10"),
	             0);
	cr_assert_eq(setenv("MAILMIRROR_HOOK_TIMEOUT_MS", "4000", 1), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " move dm_hkh/src 1:10 dm_hkh"), 0);
	long most = 0;
	for (int i = 0; i < 50 && most < 10; i++) {
		long now = children_of(pid);
		most = now > most ? now : most;
		usleep(100000);
	}
	cr_assert_eq(sh(CTL " append dm_hkh 'one more'"), 0);
	sleep(1);
	long later = children_of(pid);
	/* Stopped after 4 s, at the supervisor's next tick; the run that
	 * stands for "one more" starts as a slot frees, and is stopped 4 s
	 * later: on a loaded machine (the suite at --jobs 4) more than the
	 * 15 s this waited. */
	long left = later;
	for (int i = 0; i < 300 && left > 0; i++) {
		usleep(100000);
		left = children_of(pid);
	}
	cr_assert_eq(stop_daemon(pid), 0);
	sh("pkill -f 'sleep 617'");
	cr_assert_eq(most, 10, "%ld commands ran at once", most);
	cr_assert_leq(later, 10);
	cr_assert_eq(left, 0, "%ld commands were not stopped", left);
	cr_assert_eq(
	        sh("grep -q 'on_new_mail: 10 commands still run' %s/log", f.dir),
	        0, "the commands that could not start were not told");
	cr_assert_eq(
	        sh("grep -q 'still runs after 4 s: stopping it' %s/log", f.dir),
	        0, "the stopped commands were not told");
	teardown(&f);
}

/* Nobody waits for the command: its failure reaches the daemon's log
 * through the shell that ran it, as a warning of the account and mailbox. */
static int wait_grep(const struct fixture *f, const char *what)
{
	int seen = -1;
	for (int i = 0; i < 100 && seen != 0; i++) {
		seen = sh("grep -qF -- '%s' %s/log", what, f->dir);
		if (seen)
			usleep(50000);
	}
	return seen;
}

Test(daemon, on_new_mail_failures_are_logged, .timeout = 120)
{
	struct fixture f;
	/* Fails by its exit status, then by its name, by the new UID. */
	setup(&f, "dm_failhook",
	      "on_new_mail = \"[ \\\"$MM_UID\\\" = 1 ] && exit 3; "
	      "mm-no-such-command-here\";");
	cr_assert_eq(sh(CTL " create dm_failhook"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_failhook 'first'"), 0);
	cr_assert_eq(wait_grep(&f, "warning: [test/dm_failhook] on_new_mail: "
	                           "the command failed with exit status 3"),
	             0, "a failing on_new_mail was not logged");
	cr_assert_eq(sh(CTL " append dm_failhook 'second'"), 0);
	cr_assert_eq(wait_grep(&f, "warning: [test/dm_failhook] on_new_mail: "
	                           "command not found (exit status 127)"),
	             0, "a missing on_new_mail command was not logged");
	cr_assert_eq(stop_daemon(pid), 0);
	/* The shell that writes them dates them, the log being a file. */
	cr_assert_eq(sh_number("grep -cE '^" STRICT_TIME_RE " warning: "
	                       "\\[test/dm_failhook\\] on_new_mail: ' %s/log",
	                       f.dir),
	             2);
	teardown(&f);
}

/* The number in path, once the file holds one (20 s at most), or 0. */
static pid_t pid_in(const char *path)
{
	for (int tries = 0; tries < 400; tries++) {
		FILE *p = fopen(path, "r");
		long pid = 0;
		if (p) {
			int got = fscanf(p, "%ld", &pid);
			fclose(p);
			if (got == 1 && pid > 0)
				return (pid_t)pid;
		}
		usleep(50000);
	}
	return 0;
}

/* A daemon run by hand (cron, runit, nohup: no systemd cgroup to end what
 * is left) and stopped with SIGTERM left its running on_new_mail command
 * behind, and what that had started. A reload leaves it to finish; the
 * stop ends it, saying so at -v. In the log, a file, every line is
 * dated. */
Test(daemon, on_new_mail_a_stop_ends_the_commands_still_running, .timeout = 120)
{
	struct fixture f;
	char dir[] = "/tmp/mm-hook.XXXXXX", extra[512], path[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(extra, sizeof(extra),
	         "on_new_mail = \"echo $$ > %s/hook.pid; "
	         "sh -c 'echo $$ > %s/child.pid; sleep 60; :'\";",
	         dir, dir);
	setup(&f, "dm_hstop", extra);
	cr_assert_eq(sh(CTL " create dm_hstop"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_hstop 'ring'"), 0);
	snprintf(path, sizeof(path), "%s/hook.pid", dir);
	pid_t hook = pid_in(path);
	snprintf(path, sizeof(path), "%s/child.pid", dir);
	pid_t child = pid_in(path);
	cr_assert(hook && child, "on_new_mail did not run");
	pid_t group = getpgid(hook);
	cr_assert_gt(group, 0);

	cr_assert_eq(kill(pid, SIGHUP), 0);
	cr_assert_eq(wait_grep(&f, "] reloaded: "), 0, "no reload");
	bool kept = proc_alive(hook) && proc_alive(child);

	int status = stop_daemon(pid);
	bool hook_left = true, child_left = true;
	for (int i = 0; i < 40 && (hook_left || child_left); i++) {
		hook_left = proc_alive(hook);
		child_left = proc_alive(child);
		if (hook_left || child_left)
			usleep(50000);
	}
	/* What this test started must not outlive it. */
	if (hook_left || child_left)
		kill(-group, SIGKILL);
	cr_assert_eq(status, 0);
	cr_assert(kept, "the reload ended the command");
	cr_assert_not(hook_left, "the command outlived the daemon");
	cr_assert_not(child_left, "what the command started outlived the "
	                          "daemon");
	cr_assert_eq(sh("grep -qE '^" STRICT_TIME_RE
	                " info: \\[test/dm_hstop\\] "
	                "on_new_mail: the command still runs after [0-9.]+ s: "
	                "stopping it with the daemon$' %s/log",
	                f.dir),
	             0, "the stop of the command was not said at -v");
	cr_assert_eq(
	        sh_number("grep -cvE '^" STRICT_TIME_RE " ' %s/log", f.dir), 0,
	        "undated lines in the log");
	sh("rm -rf %s", dir);
	teardown(&f);
}

/* Restarts the shared Dovecot: run alone (make check-integration does). */
Test(serial, dovecot_restart_under_the_daemon, .timeout = 120)
{
	if (!getenv("MM_SERIAL"))
		cr_skip_test("runs only in the serial pass");
	struct fixture f;
	setup(&f, "dm_restart", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_restart"), 0);
	cr_assert_eq(sh(CTL " fill dm_restart 5 13"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	assert_converged(&f, 5);

	cr_assert_eq(sh("tests/harness/dovecot.sh restart %s >/dev/null",
	                harness_env("DOVECOT_DIR")),
	             0);
	cr_assert_eq(sh(CTL " append dm_restart 'after the restart'"), 0);
	/* Reconnect back-off starts at about a second. */
	assert_converged(&f, 20);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* ---- a change of the network (issue 3) */

/* An address of 127/8 for this test process alone, added to lo. A
 * janitor process removes it however the test ends, and kills the daemon
 * it was told of: it waits for the end of a pipe that only this process
 * holds, which closes on an assertion, a crash or criterion's timeout
 * alike (a daemon left running would hold the runner's output open). */
struct net_janitor {
	char addr[32];
	int fd;
	pid_t pid;
	int lock; /* held while the test changes the network */
};

static void janitor_start(struct net_janitor *j)
{
	/* One network test at a time: each reads the daemon's answer to its
	 * own change, and another's address on lo, added meanwhile, is a
	 * change it did not make (a dry run counted the DONE and IDLE that
	 * brought). Every daemon watches the whole host's network. */
	char lock[512];
	snprintf(lock, sizeof(lock), "%s/network-tests.lock",
	         harness_env("DOVECOT_DIR"));
	j->lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(j->lock, 0, "%s: %s", lock, strerror(errno));
	cr_assert_eq(flock(j->lock, LOCK_EX), 0);
	/* 127.64.0.0 to 127.127.255.255, from the 22 bits of the pid. */
	unsigned pid = (unsigned)getpid();
	snprintf(j->addr, sizeof(j->addr), "127.%u.%u.%u",
	         64 + ((pid >> 16) & 63), (pid >> 8) & 255, pid & 255);
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	j->pid = fork();
	cr_assert_neq(j->pid, -1);
	if (j->pid == 0) {
		setsid();
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		pid_t daemon = 0, got;
		while (read(p[0], &got, sizeof(got)) == sizeof(got))
			daemon = got;
		if (daemon > 0)
			kill(daemon, SIGKILL);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		char cidr[40];
		snprintf(cidr, sizeof(cidr), "%s/32", j->addr);
		execlp("ip", "ip", "addr", "del", cidr, "dev", "lo",
		       (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	j->fd = p[1];
}

/* Tells the janitor which daemon to kill if the test dies; 0 for none. */
static void janitor_watch(struct net_janitor *j, pid_t daemon)
{
	cr_assert_eq(write(j->fd, &daemon, sizeof(daemon)), sizeof(daemon));
}

/* Removes the address now (the janitor does it) and waits for that. */
static void janitor_finish(struct net_janitor *j)
{
	close(j->fd);
	waitpid(j->pid, NULL, 0);
	close(j->lock);
}

/* Waits until the client has sent the same number of bytes for a while:
 * the daemon sits in IDLE. */
static uint64_t settled_client_bytes(struct fault_proxy *px)
{
	uint64_t last = fault_proxy_total(px, FAULT_FROM_CLIENT);
	for (int still = 0, i = 0; still < 15 && i < 200; i++) {
		usleep(100000);
		uint64_t now = fault_proxy_total(px, FAULT_FROM_CLIENT);
		still = now == last ? still + 1 : 0;
		last = now;
	}
	return last;
}

Test(daemon, network_change_replaces_a_silently_dead_connection, .timeout = 180)
{
	/* Without the network change nothing would notice for minutes: the
	 * command timeout is 300 s, IDLE lasts 29 min, the poll is hourly,
	 * and TCP keepalive sees a live proxy. */
	const char *extra = "timeout = 300; poll_interval = 3600;";
	const unsigned bound_s = 40;
	struct net_janitor jan;
	janitor_start(&jan);

	/* A dry run through a proxy that passes everything tells how many
	 * bytes the client sends up to and including its IDLE. The client's
	 * side, because it is the same in every run; Dovecot's replies carry
	 * timings whose length varies. */
	struct fault_proxy *px;
	uint16_t port;
	struct fault_plan pass = {.action = FAULT_PASS};
	cr_assert_eq(fault_proxy_start(&px, &port,
	                               harness_env_port("IMAP_PORT"), &pass),
	             0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	struct fixture f;
	setup_full(&f, "dm_netchg", "dm_netchg", p, extra);
	cr_assert_eq(sh(CTL " create dm_netchg dm_netchg/other"), 0);
	cr_assert_eq(sh(CTL " fill dm_netchg 30 19"), 0);
	pid_t pid = start_daemon(&f);
	janitor_watch(&jan, pid);
	wait_live(&f);
	uint64_t to_idle = settled_client_bytes(px);
	cr_assert_eq(stop_daemon(pid), 0);
	janitor_watch(&jan, 0);
	fault_proxy_stop(&px);
	cr_assert_gt(to_idle, 0);

	/* The real run: from scratch again, so that the client says the same,
	 * but whatever it sends after its IDLE (the DONE) never arrives. The
	 * server never answers, and no socket says why. */
	struct fault_plan stall = {.action = FAULT_STALL,
	                           .dir = FAULT_FROM_CLIENT,
	                           .after = to_idle,
	                           .once = true};
	uint16_t port2;
	cr_assert_eq(fault_proxy_start(&px, &port2,
	                               harness_env_port("IMAP_PORT"), &stall),
	             0);
	cr_assert_eq(sh("sed -i 's/port = %u;/port = %u;/' %s && "
	                "rm -f %s %s-wal %s-shm",
	                port, port2, f.conf, f.db, f.db, f.db),
	             0);
	pid = start_daemon(&f);
	janitor_watch(&jan, pid);
	wait_live(&f);
	for (int i = 0; i < 100 && !fault_proxy_fired(px); i++)
		usleep(100000);
	if (!fault_proxy_fired(px))
		sh("cat %s/log >&2", f.dir);
	cr_assert(fault_proxy_fired(px), "the daemon never reached its IDLE");
	sleep(1); /* the server's "+ idling" reaches the daemon */

	char out[512] = "";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ip addr add %s/32 dev lo 2>&1", jan.addr);
	FILE *add = popen(cmd, "r");
	cr_assert_not_null(add);
	size_t got = fread(out, 1, sizeof(out) - 1, add);
	out[got] = '\0';
	int st = pclose(add);
	if (st != 0) {
		stop_daemon(pid);
		janitor_watch(&jan, 0);
		fault_proxy_stop(&px);
		janitor_finish(&jan);
		teardown(&f);
		if (strstr(out, "not permitted"))
			cr_skip_test("cannot add an address (not root?): %s",
			             out);
		cr_assert_fail("ip addr add %s: %s", jan.addr, out);
	}

	unsigned conns = 1;
	double spent = 0;
	while ((conns = fault_proxy_connections(px)) < 2 && spent < bound_s) {
		usleep(100000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent = (double)(t1.tv_sec - t0.tv_sec) +
		        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	if (conns < 2)
		sh("cat %s/log >&2", f.dir);
	cr_assert_geq(conns, 2, "no reconnection %u s after the change",
	              bound_s);
	cr_log_info("reconnected %.1f s after the address was added", spent);
	cr_assert_eq(sh("grep -q 'the network changed; checking every "
	                "connection' %s/log",
	                f.dir),
	             0, "no notice of the network change");

	/* The new connection is live and the cache follows the server. */
	wait_live(&f);
	cr_assert_eq(sh(CTL " append dm_netchg 'after the network change'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	janitor_watch(&jan, 0);
	assert_integrity(&f);
	fault_proxy_stop(&px);
	janitor_finish(&jan);
	teardown(&f);
}

/* explore80: every change of the network had each account poll every
 * mailbox at once (4 changes in 5 minutes, 40 accounts). An account that
 * waits on its connection has it checked by the end of its IDLE (DONE,
 * answered) and polls nothing: no LIST, and NOTIFY's news still comes. */
Test(daemon, network_change_checks_a_watching_connection_without_a_poll,
     .timeout = 120)
{
	struct net_janitor jan;
	janitor_start(&jan);
	struct fixture f;
	setup_idle(&f, "dm_netnp", "dm_netnp*", "poll_interval = 3600;");
	cr_assert_eq(sh("sed -i '1i log_level = \"debug\";' %s", f.conf), 0);
	cr_assert_eq(sh(CTL " create dm_netnp dm_netnp/other"), 0);
	pid_t pid = start_daemon(&f);
	janitor_watch(&jan, pid);
	const char *live = "SELECT count(*) FROM mailboxes WHERE live = 1";
	cr_assert_eq(cache_count_until(&f, live, 2, 30), 2);
	long mark = sh_number("wc -l < %s/log", f.dir);
	cr_assert_gt(mark, 0);

	char out[512] = "";
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ip addr add %s/32 dev lo 2>&1", jan.addr);
	FILE *add = popen(cmd, "r");
	cr_assert_not_null(add);
	size_t got = fread(out, 1, sizeof(out) - 1, add);
	out[got] = '\0';
	if (pclose(add) != 0) {
		stop_daemon(pid);
		janitor_watch(&jan, 0);
		janitor_finish(&jan);
		teardown(&f);
		if (strstr(out, "not permitted"))
			cr_skip_test("cannot add an address (not root?): %s",
			             out);
		cr_assert_fail("ip addr add %s: %s", jan.addr, out);
	}
	/* The change settles in a second, ten at most (netwatch.h). */
	bool told = log_says_within(&f, "the network changed", 30);
	/* The poke reached the worker: its IDLE ended. */
	long done = 0;
	for (int i = 0; i < 300 && done == 0; i++) {
		done = sh_number("tail -n +%ld %s/log | grep -c 'C: DONE'",
		                 mark + 1, f.dir);
		if (done == 0)
			usleep(50000);
	}
	/* Its answer: no poll. (Not told by the LIST count: news of the
	 * tree from tests sharing the account brings polls of its own.) */
	bool answered = log_says_within(
	        &f, "[test] the connection answered; no poll", 15);
	long polls = sh_number("tail -n +%ld %s/log | grep -c "
	                       "'checking the connection$'",
	                       mark + 1, f.dir);
	/* NOTIFY still pushes after it. */
	cr_assert_eq(sh(CTL " append dm_netnp/other 'after the change'"), 0);
	assert_converged(&f, 15);
	cr_assert_eq(stop_daemon(pid), 0);
	janitor_watch(&jan, 0);
	janitor_finish(&jan);
	cr_assert(told, "no notice of the network change");
	cr_assert_gt(done, 0, "the IDLE was not ended to check the link");
	cr_assert(answered && polls == 0,
	          "the network change brought a poll (%ld)", polls);
	teardown(&f);
}

/* The daemon over TLS to the real Dovecot, verified with ca_file: implicit
 * TLS on the imaps port, STARTTLS on the other. Each run converges. */
static void sync_over_tls(const char *prefix, const char *port,
                          const char *mode)
{
	struct fixture f;
	char extra[512];
	snprintf(extra, sizeof(extra), "tls = \"%s\"; ca_file = \"%s\";", mode,
	         harness_env("IMAP_CA"));
	setup_full(&f, prefix, prefix, port, extra);
	cr_assert_eq(sh(CTL " create %s", prefix), 0);
	cr_assert_eq(sh(CTL " fill %s 6 23", prefix), 0);
	cr_assert_eq(run_once(&f, NULL), 0, "--once over %s TLS failed", mode);
	cr_assert_eq(compare(&f, 0), 0);
	teardown(&f);
}

Test(daemon, syncs_over_implicit_tls, .timeout = 60)
{
	sync_over_tls("dm_tls", harness_env("IMAPS_PORT"), "implicit");
}

Test(daemon, syncs_over_starttls, .timeout = 60)
{
	sync_over_tls("dm_stls", harness_env("IMAP_PORT"), "starttls");
}

/* tls = "implicit" on the cleartext port, a usual mistake: the error says
 * what the server answered, and no password went out. */
Test(daemon, implicit_tls_on_a_cleartext_port_says_so, .timeout = 60)
{
	struct fixture f;
	char extra[512];
	snprintf(extra, sizeof(extra), "tls = \"implicit\"; ca_file = \"%s\";",
	         harness_env("IMAP_CA"));
	setup_full(&f, "dm_tlsport", "dm_tlsport", NULL, extra);
	cr_assert_neq(run_once(&f, NULL), 0);
	cr_assert_eq(
	        sh("grep -q 'answered in cleartext (\"\\* OK' %s/log", f.dir),
	        0, "the log does not say the server spoke cleartext");
	cr_assert_neq(
	        sh("grep -qF -e '%s' %s/log", harness_env("IMAP_PASS"), f.dir),
	        0);
	teardown(&f);
}

/* rm cache.db* under a running daemon (a user rebuilding the cache): the
 * daemon notices within a tick, mirrors into a new cache at the path, and
 * the new one converges, mail that came meanwhile included. */
Test(daemon, cache_removed_while_running_is_made_again, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_newcache", "");
	pid_t pid = start_live_with(&f, 3, 29);
	cr_assert_eq(sh("rm -f %s %s-wal %s-shm", f.db, f.db, f.db), 0);
	cr_assert_eq(sh(CTL " append dm_newcache 'while the cache was gone'"), 0);
	wait_live(&f);
	assert_converged(&f, 10);
	cr_assert_eq(sh("grep -q 'was removed or replaced while mailmirrord "
	                "ran' %s/log",
	                f.dir),
	             0);
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* While the daemon idles (QRESYNC), another client appends one message
 * and expunges another: Dovecot tells "* VANISHED 1" and an EXISTS equal
 * to the count before. The new message is news all the same, fetched at
 * once, not at the next renewal of the IDLE. */
Test(daemon, an_append_and_an_expunge_that_keep_the_count, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_same", "");
	pid_t pid = start_live_with(&f, 5, 47);
	for (int r = 0; r < 3; r++) {
		/* One session, so that both come in one notification. */
		cr_assert_eq(
		        sh("%s python3 -c \"import imaplib, os; m = "
		           "imaplib.IMAP4(os.environ['IMAP_HOST'], "
		           "int(os.environ['IMAP_PORT'])); m.login("
		           "os.environ['IMAP_USER'], os.environ['IMAP_PASS']);"
		           " m.append('dm_same', None, None, b'Subject: "
		           "same %d\\r\\n\\r\\nx\\r\\n'); "
		           "m.select('dm_same'); m.store('1', '+FLAGS', "
		           "'\\\\Deleted'); m.expunge(); m.logout()\"",
		           f.ctl_env, r),
		        0);
		assert_converged(&f, 5);
	}
	cr_assert_eq(stop_daemon(pid), 0);
	teardown(&f);
}

/* A user's database moved over the cache of a live daemon: the daemon
 * lets its cache go (emptying its WAL into the old file), finds a file
 * that is not a mailmirror cache, and exits 1, the file untouched. Before,
 * the old WAL at the path was replayed into the moved-in file. */
Test(daemon, a_file_moved_over_the_cache_is_left_alone, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_mvin", "");
	pid_t pid = start_live_with(&f, 4, 43);
	cr_assert_eq(sh(CTL " store dm_mvin 1:4 +FLAGS '(\\Flagged)'"), 0);
	sleep(1); /* the change in the daemon's WAL */
	cr_assert_eq(sh("python3 -c \"import sqlite3; c=sqlite3.connect("
	                "'%s/precious.db'); c.execute('CREATE TABLE precious"
	                "(x)'); c.execute('INSERT INTO precious VALUES (42)');"
	                " c.commit()\" && mv %s/precious.db %s",
	                f.dir, f.dir, f.db),
	             0);
	int st = -1;
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(50000);
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	          "the daemon did not exit 1 (status %d)", st);
	cr_assert_eq(sh("grep -q 'not a mailmirror cache' %s/log", f.dir), 0);
	cr_assert_eq(sh_number("python3 -c \"import sqlite3; print(sqlite3."
	                       "connect('%s').execute('SELECT x FROM "
	                       "precious').fetchone()[0])\"",
	                       f.db),
	             42, "the moved-in file lost its data");
	teardown(&f);
}

/* The cache's file system fills while the daemon is live and another
 * client makes changes: the failure is logged once per attempt, not once
 * per change, nothing is half written, and once space is freed the cache
 * converges. Needs a small tmpfs (root): skipped where mount is denied. */
Test(daemon, a_full_disk_is_told_once_and_recovered_from, .timeout = 120)
{
	struct fixture f;
	char fs[300];
	setup(&f, "dm_full", "");
	snprintf(fs, sizeof(fs), "%s/fs", f.dir);
	if (sh("mkdir -p %s && mount -t tmpfs -o size=4m tmpfs %s 2>/dev/null",
	       fs, fs) != 0) {
		teardown(&f);
		cr_skip_test("cannot mount a tmpfs here");
	}
	snprintf(f.db, sizeof(f.db), "%s/fs/cache.db", f.dir);
	cr_assert_eq(
	        sh("sed -i 's|^cache = .*|cache = \"%s\";|' %s", f.db, f.conf),
	        0);
	cr_assert_eq(sh(CTL " create dm_full"), 0);
	cr_assert_eq(sh(CTL " fill dm_full 30 41"), 0);
	pid_t pid = start_daemon(&f);
	wait_live(&f);
	sh("dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null", fs);
	/* Thirty flag changes in one burst, told while idling: thirty
	 * writes in place that would each fail. */
	cr_assert_eq(sh(CTL " store dm_full 1:30 +FLAGS '(\\Flagged)'"), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(sh(CTL " append dm_full 'while the disk is full'"),
		             0);
	sleep(3);
	long full = sh_number("grep -c 'disk is full' %s/log", f.dir);
	cr_assert_eq(sh("rm -f %s/filler", fs), 0);
	assert_converged(&f, 40);
	assert_integrity(&f);
	cr_assert_eq(stop_daemon(pid), 0);
	sh("umount %s", fs);
	teardown(&f);
	cr_assert_geq(full, 1, "the full disk was never told");
	cr_assert_leq(full, 6, "%ld lines for one full disk", full);
}
