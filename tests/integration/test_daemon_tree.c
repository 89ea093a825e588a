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
 * configuration) deletes a parent with its mail but goes on listing it,
 * without \Noselect, and refuses SELECT and STATUS of it with a bare NO.
 * Its cached messages stayed for ever and every --once exited 1. Now the
 * first pass keeps them and reports the failure (once might be a passing
 * trouble of the server), the next drops them, and none fails after. */
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
	cr_assert_neq(sh(CTL " attrs dm_ph | grep -qi noselect"), 0);

	cr_assert_eq(run_once(&f, NULL), 1, "first refusal: a failure");
	cr_assert_eq(cache_count(&f, held), 2, "first refusal: kept");

	cr_assert_eq(run_once(&f, NULL), 0);
	cr_assert_eq(cache_count(&f, held), 0);
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
