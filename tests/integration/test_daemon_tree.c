/* test_daemon_tree.c - mailbox trees as Dovecot lists them: a parent
 * deleted under its children, several special uses on one mailbox, and
 * the log of a pass that drops many mailboxes at once.
 *
 * Same fixture as test_daemon.c: each test mirrors its own subtree
 * ("dm_<test>...") into its own cache.
 */
#include "integration/daemon_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

/* Dovecot 2.3 (maildir++, mailbox_list_index = yes: the harness's own
 * configuration; without the index it lists the same) deletes a parent
 * with its mail but goes on listing it, neither \Noselect nor
 * \NonExistent, and refuses SELECT and STATUS of it with a bare NO. Its
 * cached messages stayed for ever and every --once exited 1; then the
 * first pass kept them and failed, with a warning, for an ordinary change
 * another client made. They now go at once, with a notice, and no pass
 * fails. */
Test(daemon, a_parent_deleted_under_its_children_loses_its_messages,
     .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_ph", NULL);
	cr_assert_eq(sh(CTL " create dm_ph dm_ph/kid"), 0);
	cr_assert_eq(sh(CTL " fill dm_ph 2 3"), 0);
	cr_assert_eq(sh(CTL " fill dm_ph/kid 1 4"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	const char *held = "SELECT count(*) FROM messages m JOIN mailboxes b "
	                   "ON b.id = m.mailbox_id WHERE b.name = 'dm_ph'";
	cr_assert_eq(cache_count(&f, held), 2);

	cr_assert_eq(sh(CTL " delete dm_ph"), 0);
	/* The server's quirk this test is about: still listed, selectable
	 * by its attributes. */
	cr_assert_eq(sh(CTL " attrs dm_ph | grep -q HasChildren"), 0);
	cr_assert_neq(sh(CTL " attrs dm_ph | grep -qiE 'noselect|nonexistent'"),
	              0);

	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, held), 0);
	cr_assert_neq(sh("grep -E '^(warning|error):' %s/log", f.dir), 0,
	              "a deleted parent is no failure");
	/* In sync, holding nothing: no error to count it as failing, and a
	 * sync time that goes on (explore52: the account's stood still) */
	const char *in_sync = "SELECT count(*) FROM mailboxes WHERE name = "
	                      "'dm_ph' AND uidvalidity = 0 AND exists_count "
	                      "= 0 AND last_error IS NULL AND last_sync >= "
	                      "strftime('%s', 'now') - 60";
	cr_assert_eq(cache_count(&f, in_sync), 1);
	cr_assert_eq(sh("python3 -c \"import sqlite3; c = sqlite3.connect("
	                "'%s'); c.execute('UPDATE mailboxes SET last_sync "
	                "= 0'); c.commit()\"",
	                f.db),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0, "--once must not fail for ever");
	cr_assert_eq(cache_count(&f, in_sync), 1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages m JOIN "
	                             "mailboxes b ON b.id = m.mailbox_id "
	                             "WHERE b.name = 'dm_ph/kid'"),
	             1);
	cr_assert_eq(sh("grep -q 'dm_ph\\].*2 cached messages are dropped' "
	                "%s/log",
	                f.dir),
	             0);
	teardown(&f);
}

/* RFC 6154 lets a mailbox have several uses; the harness's Dovecot gives
 * dm_su/Archive "\Archive \All". special_use kept the first alone, and a
 * tool looking for the \All mailbox found none. */
Test(daemon, every_special_use_is_stored, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_su", NULL);
	cr_assert_eq(sh(CTL " create dm_su dm_su/Archive"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "name = 'dm_su/Archive' AND special_use = "
	                             "char(92) || 'Archive ' || char(92) || "
	                             "'All'"),
	             1);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "name = 'dm_su' AND special_use IS NULL"),
	             1);
	teardown(&f);
}

/* A pass that drops many mailboxes logs the first few and counts the
 * rest: a prefix change on a large account logged 1,574 lines. */
Test(daemon, many_mailboxes_dropped_are_counted_in_one_line, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_many", NULL);
	char names[1024] = "";
	for (int i = 0, len = 0; i < 12; i++)
		len += snprintf(names + len, sizeof(names) - (size_t)len,
		                " dm_many/b%02d", i);
	cr_assert_eq(sh(CTL " create dm_many%s", names), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(sh(CTL " delete%s", names), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes"), 1);
	cr_assert_eq(sh_number("grep -c 'gone from the server; dropped' "
	                       "%s/log",
	                       f.dir),
	             5 + 1);
	cr_assert_eq(sh("grep -q '\\.\\.\\. and 7 more mailboxes gone from "
	                "the server; dropped' %s/log",
	                f.dir),
	             0);
	teardown(&f);
}

/* A watched mailbox the server lists but will not open (Dovecot's parent
 * deleted under its children) is nothing to IDLE on: the daemon said
 * "watching with IDLE" and idled with no mailbox selected, and marked it
 * live. It is polled until it opens, and says so. */
Test(daemon, a_watched_mailbox_that_will_not_open_is_polled, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_wo", NULL);
	cr_assert_eq(sh(CTL " create dm_wo dm_wo/kid"), 0);
	cr_assert_eq(sh(CTL " fill dm_wo/kid 1 5"), 0);
	cr_assert_eq(sh(CTL " delete dm_wo"), 0);
	pid_t pid = start_daemon(&f);
	for (int i = 0; i < 200 && sh("grep -q 'dm_wo\\] not watched until "
	                              "it can be opened' %s/log",
	                              f.dir) != 0;
	     i++)
		usleep(50000);
	cr_assert_eq(stop_daemon(pid), 0);
	if (sh("grep -q 'dm_wo\\] not watched until it can be opened' %s/log",
	       f.dir) != 0) {
		sh("cat %s/log >&2", f.dir);
		cr_assert_fail("the daemon did not say it polls dm_wo");
	}
	cr_assert_neq(sh("grep -q 'dm_wo\\] watching with' %s/log", f.dir), 0,
	              "it claimed to watch a mailbox it could not open");
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                             "live = 1"),
	             0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages m JOIN "
	                             "mailboxes b ON b.id = m.mailbox_id "
	                             "WHERE b.name = 'dm_wo/kid'"),
	             1);
	teardown(&f);
}

/* The newest messages of a mailbox gone before its first sync: UIDNEXT
 * in the cache stayed at the last UID held + 1, below the server's, and
 * the mailbox looked changed at every poll (and was searched) until new
 * mail came. */
Test(daemon, uidnext_passes_the_newest_messages_gone, .timeout = 120)
{
	struct fixture f;
	setup(&f, "dm_gap", NULL);
	cr_assert_eq(sh(CTL " create dm_gap"), 0);
	cr_assert_eq(sh(CTL " fill dm_gap 3 6"), 0);
	cr_assert_eq(sh(CTL " expunge dm_gap 3"), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM messages"), 2);
	cr_assert_eq(cache_count(&f, "SELECT uidnext FROM mailboxes WHERE "
	                             "name = 'dm_gap'"),
	             4);
	teardown(&f);
}

/* How many lines of DIR/log match the grep pattern re. */
static long log_lines(const struct fixture *f, const char *re)
{
	return sh_number("grep -c '%s' %s/log", re, f->dir);
}

/* Waits up to wait_s for a line of DIR/log to match re; fails the test,
 * showing the log, when none does. */
static void wait_log(const struct fixture *f, const char *re, double wait_s)
{
	for (int i = 0; i < (int)(wait_s * 20) && log_lines(f, re) < 1; i++)
		usleep(50000);
	if (log_lines(f, re) < 1) {
		sh("cat %s/log >&2", f->dir);
		cr_assert_fail("no line of the log matches %s", re);
	}
}

/* The first watched mailbox refused by the server (its read right taken
 * away: EXAMINE and STATUS answer NO [NOPERM]): nothing was watched at
 * all, and the news of the others, which open, waited for the poll. The
 * second is idled in instead, told once, and NOTIFY covers the third
 * from there. Created c, b, a: Dovecot lists a first, where the daemon
 * looked for the one to idle in. */
Test(daemon, a_refused_first_watched_mailbox_hands_on_to_the_next,
     .timeout = 120)
{
	struct fixture f;
	/* A poll an hour away: only IDLE or NOTIFY bring news in time. */
	setup_idle(&f, "dm_wnext", "dm_wnext/a\", \"dm_wnext/b\", \"dm_wnext/c",
	           "poll_interval = 3600;");
	cr_assert_eq(
	        sh(CTL " create dm_wnext dm_wnext/c dm_wnext/b dm_wnext/a"), 0);
	cr_assert_eq(sh(CTL " setacl dm_wnext/a owner lwstipekxacd"), 0);
	pid_t pid = start_daemon(&f);
	wait_log(&f, "dm_wnext/b\\] watching with", 10);
	cr_assert_eq(sh(CTL " append dm_wnext/b 'to the one watched instead'"),
	             0);
	long got = cache_count_until(&f,
	                             "SELECT count(*) FROM messages m JOIN "
	                             "mailboxes b ON b.id = m.mailbox_id "
	                             "WHERE b.name = 'dm_wnext/b'",
	                             1, 5);
	/* NOTIFY of a mailbox not selected: slower when other tests share
	 * the account (notify_pushes_changes_of_every_watched_mailbox) */
	cr_assert_eq(sh(CTL " append dm_wnext/c 'told by NOTIFY'"), 0);
	long got_c = cache_count_until(&f,
	                               "SELECT count(*) FROM messages m JOIN "
	                               "mailboxes b ON b.id = m.mailbox_id "
	                               "WHERE b.name = 'dm_wnext/c'",
	                               1, 15);
	long live = cache_count(&f, "SELECT count(*) FROM mailboxes WHERE "
	                            "live = 1 AND name IN ('dm_wnext/b', "
	                            "'dm_wnext/c')");
	long live_all = cache_count(&f, "SELECT count(*) FROM mailboxes "
	                                "WHERE live = 1");
	cr_assert_eq(stop_daemon(pid), 0);
	if (got != 1 || got_c != 1)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(got, 1, "news of dm_wnext/b waited for the poll");
	cr_assert_eq(got_c, 1, "news of dm_wnext/c waited for the poll");
	cr_assert_eq(live, 2, "b and c are live");
	cr_assert_eq(live_all, 2, "a, refused, is not live");
	cr_assert_eq(log_lines(&f, "notice: \\[test/dm_wnext/a\\] cannot be "
	                           "opened: watching dm_wnext/b instead"),
	             1);
	cr_assert_eq(log_lines(&f, "not watched until"), 0);
	teardown(&f);
}

/* explore70: a mailbox whose read right is taken away was warned of
 * twice at every poll (its EXAMINE, then its STATUS), for good. The
 * first failure of the run is a warning; the same mailbox failing again,
 * its error still recorded, is told at info level. */
Test(daemon, a_mailbox_that_keeps_failing_is_warned_of_once, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_wonce", "dm_wonce/w", "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_wonce dm_wonce/w dm_wonce/x"), 0);
	cr_assert_eq(sh(CTL " setacl dm_wonce/x owner lwstipekxacd"), 0);
	pid_t pid = start_daemon(&f);
	wait_log(&f, "dm_wonce/w\\] watching with", 10);
	/* The poll after, which asks STATUS of it again */
	wait_log(&f, "info: \\[test/dm_wonce/x\\]", 25);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(log_lines(&f, "warning: \\[test/dm_wonce/x\\]"), 1);
	teardown(&f);
}

/* explore70: the first watched mailbox deleted while another stood in
 * for it makes that one the first; the log said it "opens again:
 * watched instead of" itself. */
Test(daemon, a_stand_in_that_becomes_the_first_is_no_return, .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_wgone", "dm_wgone/a\", \"dm_wgone/b",
	           "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_wgone dm_wgone/b dm_wgone/a "
	                    "dm_wgone/a/kid"),
	             0);
	cr_assert_eq(sh(CTL " delete dm_wgone/a"), 0);
	pid_t pid = start_daemon(&f);
	wait_log(&f, "dm_wgone/b\\] watching with", 10);
	/* Gone from the list with its last child. */
	cr_assert_eq(sh(CTL " delete dm_wgone/a/kid"), 0);
	wait_log(&f, "dm_wgone/a\\] mailbox gone from the server", 20);
	/* The rest of that pass: its watch set up again */
	sleep(2);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(log_lines(&f, "opens again"), 0);
	teardown(&f);
}

/* The first watched mailbox comes back once it opens again: Dovecot's
 * parent deleted under its children is listed and refused; created
 * again, it is idled in at the next poll, and its news comes at once. */
Test(daemon, the_first_watched_mailbox_is_watched_again_once_it_opens,
     .timeout = 120)
{
	struct fixture f;
	setup_idle(&f, "dm_wback", "dm_wback/a\", \"dm_wback/b",
	           "poll_interval = 10;");
	cr_assert_eq(sh(CTL " create dm_wback dm_wback/b dm_wback/a "
	                    "dm_wback/a/kid"),
	             0);
	cr_assert_eq(sh(CTL " delete dm_wback/a"), 0);
	pid_t pid = start_daemon(&f);
	wait_log(&f, "dm_wback/b\\] watching with", 10);
	cr_assert_eq(sh(CTL " create dm_wback/a"), 0);
	/* The next poll, and slack */
	wait_log(&f, "dm_wback/a\\] opens again: watched instead of dm_wback/b",
	         20);
	wait_log(&f, "dm_wback/a\\] watching with", 5);
	cr_assert_eq(sh(CTL " append dm_wback/a 'to the first again'"), 0);
	long got = cache_count_until(&f,
	                             "SELECT count(*) FROM messages m JOIN "
	                             "mailboxes b ON b.id = m.mailbox_id "
	                             "WHERE b.name = 'dm_wback/a'",
	                             1, 5);
	cr_assert_eq(stop_daemon(pid), 0);
	cr_assert_eq(got, 1, "news of dm_wback/a did not come");
	cr_assert_eq(log_lines(&f, "cannot be opened: watching"), 1);
	teardown(&f);
}
