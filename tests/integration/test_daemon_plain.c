/* test_daemon_plain.c - mailmirrord against a server without extensions.
 *
 * The harness's third user (IMAP_USER3, see tests/harness/dovecot.sh) gets
 * sessions that advertise IMAP4rev1 alone after LOGIN, although the
 * greeting, from imap-login, still lists IDLE, ENABLE and LITERAL+. So the
 * daemon runs its fallbacks against a real server: NOOP instead of IDLE,
 * a full UID FETCH 1:n (UID FLAGS) instead of CONDSTORE, expunges found
 * by listing UIDs instead of QRESYNC, UID SEARCH instead of ESEARCH, STATUS
 * polling instead of NOTIFY. imaplib (imapctl.py) stays the oracle of the
 * server's state; Dovecot's rawlog of that user is the witness of what the
 * clients sent (imapctl.py wire): Dovecot accepts IDLE or ENABLE even when
 * it does not advertise them, so only the wire shows that no client used
 * them.
 *
 * Every test mirrors its own subtree ("pl_<test>"); no prefix is the start
 * of another's, since the wire check picks sessions by the prefix.
 */
#include "integration/daemon_fixture.h"
#include "harness/dovecot_env.h"
#include "harness/fake_server.h"
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fixture of the plain user; idle NULL watches the prefix itself. */
static void setup_plain(struct fixture *f, const char *prefix, const char *idle,
                        const char *extra)
{
	setup_as(f, prefix, idle ? idle : prefix, NULL,
	         harness_env("IMAP_USER3"), harness_env("IMAP_PASS3"), extra);
}

/* Every session of the plain user that named f's prefix sent IMAP4rev1
 * alone, and some command line matches each of the regexes in patterns
 * (shell words, single-quoted). */
static void assert_wire(const struct fixture *f, const char *patterns)
{
	if (sh(CTL " wire '%s' %s >%s/wire.log", f->prefix, patterns, f->dir) !=
	    0) {
		sh("cat %s/wire.log >&2", f->dir);
		cr_assert_fail("wire check failed (see above)");
	}
}

/* The most commands matching pattern that one session of the fixture's
 * prefix sent before its first matching until (imapctl.py wire-count). */
static long wire_count(const struct fixture *f, const char *pattern,
                       const char *until)
{
	return sh_number(CTL " wire-count '%s' '%s' '%s'", f->prefix, pattern,
	                 until);
}

static void assert_log_has(const struct fixture *f, const char *text)
{
	if (sh("grep -qF '%s' %s/log", text, f->dir) != 0) {
		sh("cat %s/log >&2", f->dir);
		cr_assert_fail("the daemon's log lacks \"%s\"", text);
	}
}

/* ---- the core: the capabilities of the session, not of the greeting */

Test(plain, login_capabilities_replace_the_greetings, .timeout = 30)
{
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = o.connect_timeout_ms = 10000;
	imap4 *h = NULL;
	cr_assert_eq(imap4_open(&h, harness_env("IMAP_HOST"),
	                        harness_env_port("IMAP_PORT"), &o),
	             IMAP4_OK, "open: %s", imap4_open_error());
	/* imap-login's list, before LOGIN: the test means nothing if the
	 * greeting lacked them as well. */
	cr_assert(imap4_has_capability(h, "IDLE"));
	cr_assert(imap4_has_capability(h, "ENABLE"));
	cr_assert_eq(imap4_login(h, harness_env("IMAP_USER3"),
	                         harness_env("IMAP_PASS3")),
	             IMAP4_OK, "login: %s", imap4_last_error(h)->message);
	size_t n = 0;
	const char *const *caps = imap4_capabilities(h, &n);
	cr_assert_eq(n, 1, "after LOGIN: %zu capabilities, the first %s", n,
	             n ? caps[0] : "-");
	cr_assert(imap4_has_capability(h, "IMAP4rev1"));
	static const char *const gone[] = {"IDLE",
	                                   "ENABLE",
	                                   "CONDSTORE",
	                                   "QRESYNC",
	                                   "ESEARCH",
	                                   "NOTIFY",
	                                   "UIDPLUS",
	                                   "MOVE",
	                                   "LITERAL+",
	                                   "SPECIAL-USE",
	                                   "LIST-EXTENDED",
	                                   "LIST-STATUS",
	                                   "COMPRESS=DEFLATE",
	                                   "SASL-IR",
	                                   "ID"};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		cr_assert(!imap4_has_capability(h, gone[i]),
		          "%s still advertised after LOGIN", gone[i]);
	/* The library refuses what the session lacks, without a round
	 * trip that Dovecot would answer OK. */
	cr_assert_lt(imap4_enable(h, "CONDSTORE"), 0);
	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	imap4_free(&h);
}

/* ---- --once: the listing paths */

Test(plain, initial_sync_matches_imaplib, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_init", NULL, NULL);
	cr_assert_eq(sh("%s " CTL " create pl_init pl_init/sub "
	                "'pl_init/Café & Thé'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " fill pl_init 120 1", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_init/sub 15 2", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill 'pl_init/Café & Thé' 7 3", f.ctl_env),
	             0);

	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	/* New messages by a plain UID SEARCH, EXAMINE without (CONDSTORE),
	 * a FETCH without MODSEQ. */
	assert_wire(&f, "'^UID SEARCH UID 1:\\*$' '^EXAMINE '"
	                " '^UID FETCH \\S+ \\(UID FLAGS INTERNALDATE "
	                "RFC822.SIZE BODY.PEEK\\[HEADER.FIELDS "
	                "\\([A-Z -]+\\)\\]<0\\.262144>\\)$'");
	teardown(&f);
}

Test(plain, resync_follows_flags_expunges_and_moves, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_resync", NULL, NULL);
	cr_assert_eq(sh("%s " CTL " create pl_resync pl_resync/b", f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " fill pl_resync 60 4", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	cr_assert_eq(sh("%s " CTL " store pl_resync 1:10 +FLAGS "
	                "'(\\Flagged $Work)'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " store pl_resync 20 -FLAGS '(\\Seen)'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " store pl_resync 21 FLAGS '()'", f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " expunge pl_resync 5,30:33", f.ctl_env), 0);
	cr_assert_eq(
	        sh("%s " CTL " append pl_resync 'after first sync'", f.ctl_env),
	        0);
	cr_assert_eq(sh("%s " CTL " copy-expunge pl_resync 40:42 pl_resync/b",
	                f.ctl_env),
	             0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	/* The last message expunged as well: the listing must find an
	 * absence at the top of the range it asks for. */
	cr_assert_eq(sh("%s " CTL " expunge pl_resync 61", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	/* Nothing changed: a further run changes nothing either. */
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	/* Flags and expunges by a full listing of what the cache held. */
	assert_wire(&f, "'^UID FETCH 1:[0-9]+ \\(UID FLAGS\\)$'"
	                " '^UID SEARCH UID [0-9]+:\\*$'");
	teardown(&f);
}

/* Without CONDSTORE the full FLAGS listing finds what the cache lost. */
Test(plain, messages_lost_below_uidnext_are_fetched_again, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_lost", NULL, NULL);
	cr_assert_eq(sh("%s " CTL " create pl_lost", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_lost 9 14", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	cache_lose(&f, "pl_lost", 1, 2);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	teardown(&f);
}

Test(plain, large_mailbox_in_batches_without_esearch, .timeout = 180)
{
	struct fixture f;
	setup_plain(&f, "pl_large", NULL, NULL);
	cr_assert_eq(sh("%s " CTL " create pl_large", f.ctl_env), 0);
	/* More than one fetch batch (2,000 UIDs); the SEARCH response
	 * names every UID on one line. */
	cr_assert_eq(sh("%s " CTL " fill pl_large 2050 20", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	/* Holes all over the UID range, flags on both sides of a batch
	 * boundary. */
	cr_assert_eq(sh("%s " CTL " expunge pl_large "
	                "1,7,1999:2002,2049:2050",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " store pl_large 1990:2010 +FLAGS "
	                "'(\\Answered)'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " fill pl_large 3 21", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_integrity(&f);
	/* Two batches of new messages, then the full flag listing. */
	assert_wire(&f, "'^UID FETCH 1:2000 ' '^UID FETCH 2001:2050 '"
	                " '^UID FETCH 1:2050 \\(UID FLAGS\\)$'");
	teardown(&f);
}

Test(plain, uidvalidity_change_drops_and_refetches, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_uidv", NULL, NULL);
	cr_assert_eq(sh("%s " CTL " create pl_uidv", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_uidv 12 6", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	/* Same name, new mailbox: Dovecot gives it a new UIDVALIDITY (the
	 * clock's second: wait for the next). */
	sleep(1);
	cr_assert_eq(sh("%s " CTL " recreate pl_uidv", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_uidv 5 7", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	assert_log_has(&f, "UIDVALIDITY changed");
	assert_wire(&f, "'^EXAMINE '");
	teardown(&f);
}

Test(plain, renamed_and_deleted_mailboxes_follow, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_ren", NULL, NULL);
	cr_assert_eq(
	        sh("%s " CTL " create pl_ren pl_ren/a pl_ren/gone", f.ctl_env),
	        0);
	cr_assert_eq(sh("%s " CTL " fill pl_ren/a 9 8", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_ren/gone 3 9", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);

	cr_assert_eq(sh("%s " CTL " rename pl_ren/a pl_ren/b", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " delete pl_ren/gone", f.ctl_env), 0);
	cr_assert_eq(run_once(&f, NULL), 0);
	assert_converged(&f, 0);
	/* The rename was recognised (its rows kept), not refetched. */
	assert_log_has(&f, "mailbox renamed (was pl_ren/a)");
	assert_log_has(&f, "mailbox gone from the server; dropped");
	/* A plain LIST, and STATUS (UIDVALIDITY) to recognise the rename. */
	assert_wire(&f, "'^LIST \"\" \\*$' '^STATUS \\S+ \\(UIDVALIDITY\\)$'");
	teardown(&f);
}

/* ---- live: NOOP instead of IDLE, polling instead of NOTIFY */

/* poll_interval's least value; the NOOP of the watched mailbox comes at
 * least that often. */
#define POLL_S 10
/* A change must be in the cache this long after it was made: a poll
 * interval, and the time of the sync. */
#define BOUND_S (POLL_S + 5.0)

Test(plain, live_noop_follows_another_client, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_live", NULL, "poll_interval = 10;");
	cr_assert_eq(sh("%s " CTL " create pl_live pl_live/other", f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " fill pl_live 25 5", f.ctl_env), 0);
	pid_t pid = start_daemon(&f);
	wait_watching(&f);
	assert_converged(&f, 5);
	assert_log_has(&f, "watching with NOOP");
	/* Live means pushed (IDLE or NOTIFY): a mailbox asked by NOOP
	 * every noop_interval is polled, and status must say so. */
	cr_assert_eq(cache_count(&f, "SELECT count(*) FROM mailboxes "
	                             "WHERE live"),
	             0, "a mailbox watched with NOOP is marked live");

	cr_assert_eq(sh("%s " CTL " append pl_live 'found by NOOP'", f.ctl_env),
	             0);
	assert_converged(&f, BOUND_S);
	cr_assert_eq(sh("%s " CTL " store pl_live 3 +FLAGS '(\\Flagged)'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " expunge pl_live 4", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " copy-expunge pl_live 6 pl_live/other",
	                f.ctl_env),
	             0);
	assert_converged(&f, BOUND_S);

	cr_assert_eq(stop_daemon(pid), 0, "SIGTERM must end the daemon with 0");
	assert_integrity(&f);
	/* The daemon polled: NOOP on the watched box; never an IDLE (its
	 * DONE has no tag, which the check rejects as well). The other
	 * mailbox is opened at every poll: without CONDSTORE its STATUS
	 * cannot show flag changes, and is not asked (explore52). */
	assert_wire(&f, "'^NOOP$' '^EXAMINE \"?pl_live/other\"?$'");
	cr_assert_eq(wire_count(&f, "^STATUS .*MESSAGES", "^LOGOUT"), 0);
	/* The first sync takes the watched mailbox first (the user wants
	 * it before the others), and going live examines it again: found
	 * as its view held it, without a listing of every flag. */
	cr_assert_eq(wire_count(&f, "^EXAMINE pl_live$", "^(NOOP|STATUS)"), 2,
	             "the watched mailbox was not opened first and to watch");
	cr_assert_eq(wire_count(&f, "^UID FETCH [^ ]+ \\(UID FLAGS\\)$",
	                        "^(NOOP|STATUS)"),
	             0, "every flag was listed again before watching");
	teardown(&f);
}

/* Without IDLE, news of the watched mailbox comes with the next NOOP, as
 * often as noop_interval says; the poll (every 10 minutes here) plays no
 * part. */
Test(plain, noop_interval_bounds_the_wait_for_news, .timeout = 60)
{
	struct fixture f;
	setup_plain(&f, "pl_noop", NULL,
	            "poll_interval = 600; noop_interval = 5;");
	cr_assert_eq(sh("%s " CTL " create pl_noop", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_noop 3 6", f.ctl_env), 0);
	pid_t pid = start_daemon(&f);
	wait_watching(&f);
	cr_assert_eq(sh("%s " CTL " append pl_noop 'news by NOOP'", f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " store pl_noop 1 +FLAGS '(\\Flagged)'",
	                f.ctl_env),
	             0);
	/* One NOOP interval, the resync, and the oracle's own time. */
	assert_converged(&f, 5 + 3);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_wire(&f, "'^NOOP$'");
	teardown(&f);
}

Test(plain, watched_mailboxes_without_notify_are_polled, .timeout = 120)
{
	struct fixture f;
	/* Three watched boxes, one connection: without NOTIFY two of them
	 * are polled. */
	setup_plain(&f, "pl_watch", "pl_watch*", "poll_interval = 10;");
	cr_assert_eq(sh("%s " CTL " create pl_watch pl_watch/a pl_watch/b",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " fill pl_watch/a 5 14", f.ctl_env), 0);
	pid_t pid = start_daemon(&f);
	wait_watching(&f);
	assert_converged(&f, 5);
	assert_log_has(&f, "no NOTIFY: 2 watched mailboxes besides pl_watch "
	                   "are polled");

	cr_assert_eq(
	        sh("%s " CTL " append pl_watch/a 'to a polled box'", f.ctl_env),
	        0);
	cr_assert_eq(sh("%s " CTL " store pl_watch/a 2 +FLAGS '(\\Flagged)'",
	                f.ctl_env),
	             0);
	cr_assert_eq(sh("%s " CTL " copy-expunge pl_watch/a 1 pl_watch/b",
	                f.ctl_env),
	             0);
	assert_converged(&f, BOUND_S);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_wire(&f, "'^NOOP$' '^EXAMINE \"?pl_watch/a\"?$'");
	teardown(&f);
}

/* The watched mailbox is deleted and made again under the daemon while it
 * is selected: Dovecot ends the session, the daemon reconnects and finds
 * a new UIDVALIDITY. */
Test(plain, live_watched_mailbox_recreated, .timeout = 120)
{
	struct fixture f;
	setup_plain(&f, "pl_lrecr", NULL, "poll_interval = 10;");
	cr_assert_eq(sh("%s " CTL " create pl_lrecr", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_lrecr 8 22", f.ctl_env), 0);
	pid_t pid = start_daemon(&f);
	wait_watching(&f);
	assert_converged(&f, 5);

	sleep(1); /* a new UIDVALIDITY: Dovecot takes the clock's second */
	cr_assert_eq(sh("%s " CTL " recreate pl_lrecr", f.ctl_env), 0);
	cr_assert_eq(sh("%s " CTL " fill pl_lrecr 3 23", f.ctl_env), 0);
	/* A reconnection may first wait out a back-off of up to 1 s. */
	assert_converged(&f, BOUND_S + 2);
	cr_assert_eq(stop_daemon(pid), 0);
	assert_integrity(&f);
	assert_wire(&f, "'^NOOP$'");
	teardown(&f);
}

/* ---- news that comes during a sync (a scripted server) */

/* Script pieces (tests/harness/fake_server.h), one line of the session a
 * line here. */
/* clang-format off */
#define FAKE_MSG(seq, uid)                                                     \
	"S: * " #seq " FETCH (UID " #uid " FLAGS (\\\\Seen) INTERNALDATE "     \
	"\"01-Jul-2025 10:00:00 +0000\" RFC822.SIZE 120 ENVELOPE ("            \
	"\"Tue, 1 Jul 2025 10:00:00 +0000\" \"plain " #uid "\" "               \
	"((\"Ann\" NIL \"ann\" \"example.org\")) NIL NIL "                     \
	"((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<p" #uid "@x>\"))\n"
#define FAKE_EXAMINE(box, exists, uidnext)                                     \
	"C: $TAG EXAMINE " box "\n"                                            \
	"S: * " #exists " EXISTS\n"                                            \
	"S: * OK [UIDVALIDITY 7] ok\n"                                         \
	"S: * OK [UIDNEXT " #uidnext "] ok\n"                                  \
	"S: $TAG OK [READ-ONLY] examined\n"
#define FAKE_FLAGS(seq, uid, flags)                                            \
	"S: * " #seq " FETCH (UID " #uid " FLAGS (" flags "))\n"
/* The first session until the last response of its last command: box
 * with one message, fetched; the test's script says how that command ends
 * (news in its answer, then the tagged OK). The daemon then goes live on
 * box, selected already. The greeting offers IDLE and ENABLE, the session
 * does not: only the session's list counts. */
#define FAKE_FIRST_SYNC(box)                                                   \
	"TIMEOUT 4000\n"                                                       \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE ENABLE LITERAL+] ready\n"          \
	"C~ $TAG LOGIN \n"                                                     \
	"S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"                        \
	"C: $TAG LIST \"\" *\n"                                                \
	"S: * LIST (\\\\HasNoChildren) \"/\" " box "\n"                        \
	"S: $TAG OK listed\n"                                                  \
	FAKE_EXAMINE(box, 1, 2)                                                \
	"C: $TAG UID SEARCH UID 1:*\n"                                         \
	"S: * SEARCH 1\n"                                                      \
	"S: $TAG OK searched\n"                                                \
	"C: $TAG UID FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE "            \
	"BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM SENDER REPLY-TO TO CC "     \
	"BCC IN-REPLY-TO MESSAGE-ID CONTENT-TYPE)]<0.262144>)\n"               \
	FAKE_MSG(1, 1)
/* A later session of a daemon that holds box, synced: it reopens box
 * before LIST and lists its flags; the script goes on from the last line
 * of that listing (news, then the tagged OK). */
#define FAKE_KNOWN_SYNC(box)                                                   \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE ENABLE LITERAL+] ready\n"          \
	"C~ $TAG LOGIN \n"                                                     \
	"S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"                        \
	FAKE_EXAMINE(box, 1, 2)                                                \
	"C: $TAG UID FETCH 1:1 (UID FLAGS)\n"                                  \
	FAKE_FLAGS(1, 1, "\\\\Seen")
/* The test stops the daemon while it waits: LOGOUT at once. */
#define FAKE_STOP                                                              \
	"TIMEOUT 20000\n"                                                      \
	"C: $TAG LOGOUT\n"                                                     \
	"S: * BYE logging out\n"                                               \
	"S: $TAG OK bye\n"                                                     \
	"EOF\n"
/* clang-format on */

/* Runs the daemon live against script until sql gives want (sql NULL:
 * until its log holds want_log), 3 s at most, then stops it; fails on any
 * difference from the script. */
static void play_live(const char *prefix, const char *script, const char *sql,
                      long want, const char *want_log)
{
	struct fake_server *fs;
	uint16_t port;
	/* The network tests run beside add addresses to lo: the check of
	 * the connection that brings is in no script (as in hostile's). */
	cr_assert_eq(setenv("MAILMIRROR_NETWATCH", "off", 1), 0);
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	char p[8];
	snprintf(p, sizeof(p), "%u", port);
	struct fixture f;
	setup_as(&f, prefix, prefix, p, harness_env("IMAP_USER3"),
	         harness_env("IMAP_PASS3"),
	         "poll_interval = 600; timeout = 5;");
	pid_t pid = start_daemon(&f);
	long n = want;
	if (sql)
		n = cache_count_until(&f, sql, want, 3);
	for (int i = 0; !sql && i < 60; i++) {
		if (sh("grep -qF '%s' %s/log", want_log, f.dir) == 0)
			break;
		usleep(50000);
	}
	int st = stop_daemon(pid);
	char err[1200];
	int rc = fake_server_finish(fs, err, sizeof(err));
	if (rc != 0 || n != want || st != 0)
		sh("cat %s/log >&2", f.dir);
	cr_assert_eq(rc, 0, "fake server: %s", err);
	cr_assert_eq(n, want, "%s gives %ld, not %ld", sql, n, want);
	cr_assert_eq(st, 0, "SIGTERM must end the daemon with 0");
	teardown(&f);
}

/* A second message arrives while the daemon lists the mailboxes of its
 * second session (after the resync of the one it watches); the server
 * tells it once, by an EXISTS in the LIST's answer. The daemon must fetch
 * it at once, not after its next NOOP (at the poll interval; with IDLE,
 * at the next poll). */
Test(plain, exists_during_a_sync_is_fetched_before_waiting, .timeout = 60)
{
	/* clang-format off */
	static const char script[] =
		FAKE_FIRST_SYNC("pl_exists")
		"S: $TAG OK fetched\n"
		"CLOSE\n"
		"ACCEPT\n"
		FAKE_KNOWN_SYNC("pl_exists")
		"S: $TAG OK fetched\n"
		"C: $TAG LIST \"\" *\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_exists\n"
		"S: * 2 EXISTS\n"
		"S: $TAG OK listed\n"
		/* at once, no NOOP first; the mailbox is still selected,
		 * and only the new message is fetched (explore79) */
		"C: $TAG UID FETCH 2:* (UID FLAGS INTERNALDATE RFC822.SIZE "
		"BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM SENDER REPLY-TO TO "
		"CC BCC IN-REPLY-TO MESSAGE-ID CONTENT-TYPE)]<0.262144>)\n"
		FAKE_MSG(2, 2)
		"S: $TAG OK fetched\n"
		FAKE_STOP;
	/* clang-format on */
	play_live("pl_exists", script, "SELECT count(*) FROM messages", 2,
	          NULL);
}

/* Exchange follows a message's FETCH with its flags again, without the
 * UID: news of that message, applied, and no reason to list the mailbox
 * again. Taken for news of another, each such line cost a resync, whose
 * listing brought the next: nine listings a wake-up. */
Test(plain, flags_told_again_without_uid_bring_no_resync, .timeout = 60)
{
	/* clang-format off */
	static const char script[] =
		FAKE_FIRST_SYNC("pl_again")
		"S: $TAG OK fetched\n"
		"CLOSE\n"
		"ACCEPT\n"
		"S: * OK [CAPABILITY IMAP4rev1 IDLE ENABLE LITERAL+] ready\n"
		"C~ $TAG LOGIN \n"
		"S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
		FAKE_EXAMINE("pl_again", 1, 2)
		"C: $TAG UID FETCH 1:1 (UID FLAGS)\n"
		FAKE_FLAGS(1, 1, "\\\\Seen \\\\Answered")
		"S: * 1 FETCH (FLAGS (\\\\Seen \\\\Answered))\n"
		"S: $TAG OK fetched\n"
		"C: $TAG LIST \"\" *\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_again\n"
		"S: $TAG OK listed\n"
		/* no resync (nor a second look after the LIST, explore79):
		 * the wait, until the test stops the daemon */
		FAKE_STOP;
	/* clang-format on */
	play_live("pl_again", script,
	          "SELECT count(*) FROM messages WHERE flags LIKE '%Answered%'",
	          1, NULL);
}

/* Another client's flag change reported in the middle of the daemon's
 * flag listing, by sequence number (RFC 3501 7.4.2), before the listing's
 * own line of that message: which of the two is newer cannot be told, and
 * the server does not tell it again. The listing is the resync of a
 * second session: the server cuts the first one while the daemon watches,
 * and the daemon comes back. */
Test(plain, flag_change_during_a_listing_is_synced_before_waiting,
     .timeout = 60)
{
	/* clang-format off */
	static const char script[] =
		FAKE_FIRST_SYNC("pl_flagnews")
		"S: $TAG OK fetched\n"
		"CLOSE\n"
		"ACCEPT\n"
		"S: * OK [CAPABILITY IMAP4rev1 IDLE ENABLE LITERAL+] ready\n"
		"C~ $TAG LOGIN \n"
		"S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
		FAKE_EXAMINE("pl_flagnews", 1, 2)
		"C: $TAG UID FETCH 1:1 (UID FLAGS)\n"
		"S: * 1 FETCH (FLAGS (\\\\Seen \\\\Flagged))\n"
		FAKE_FLAGS(1, 1, "\\\\Seen")
		"S: $TAG OK fetched\n"
		"C: $TAG LIST \"\" *\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_flagnews\n"
		"S: $TAG OK listed\n"
		/* at once, no NOOP first */
		FAKE_EXAMINE("pl_flagnews", 1, 2)
		"C: $TAG UID FETCH 1:1 (UID FLAGS)\n"
		FAKE_FLAGS(1, 1, "\\\\Seen \\\\Flagged")
		"S: $TAG OK fetched\n"
		FAKE_STOP;
	/* clang-format on */
	play_live("pl_flagnews", script,
	          "SELECT count(*) FROM messages WHERE flags LIKE '%Flagged%'",
	          1, NULL);
}

/* The quick resync of such news fails: the mailbox cannot be selected
 * now. The daemon waits for the next wake before it tries again, instead
 * of asking again and again. */
Test(plain, news_of_a_mailbox_that_fails_to_open_waits, .timeout = 60)
{
	/* clang-format off */
	static const char script[] =
		FAKE_FIRST_SYNC("pl_gone")
		"S: $TAG OK fetched\n"
		"CLOSE\n"
		"ACCEPT\n"
		FAKE_KNOWN_SYNC("pl_gone")
		"S: $TAG OK fetched\n"
		"C: $TAG LIST \"\" *\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_gone\n"
		/* fewer without EXPUNGE: only a new look tells which */
		"S: * 0 EXISTS\n"
		"S: $TAG OK listed\n"
		"C: $TAG EXAMINE pl_gone\n"
		"S: $TAG NO [UNAVAILABLE] try again later\n"
		FAKE_STOP;
	/* clang-format on */
	play_live("pl_gone", script, NULL, 0, "pl_gone] SELECT");
}

/* A mailbox the server lists but says, in so many words (RFC 5530
 * [NONEXISTENT]), does not exist holds no mail a client can see: its
 * cached messages go at once, and it is no failure, so the daemon waits
 * as after any sync. */
Test(plain, a_listed_mailbox_said_not_to_exist_loses_its_messages,
     .timeout = 60)
{
	/* clang-format off */
	static const char script[] =
		FAKE_FIRST_SYNC("pl_nx")
		"S: $TAG OK fetched\n"
		"CLOSE\n"
		"ACCEPT\n"
		FAKE_KNOWN_SYNC("pl_nx")
		"S: $TAG OK fetched\n"
		"C: $TAG LIST \"\" *\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_nx\n"
		/* fewer without EXPUNGE: only a new look tells which */
		"S: * 0 EXISTS\n"
		"S: $TAG OK listed\n"
		"C: $TAG EXAMINE pl_nx\n"
		"S: $TAG NO [NONEXISTENT] Mailbox doesn't exist\n"
		/* Asked again whether it is gone: still listed. */
		"C: $TAG LIST \"\" pl_nx\n"
		"S: * LIST (\\\\HasNoChildren) \"/\" pl_nx\n"
		"S: $TAG OK listed\n"
		FAKE_STOP;
	/* clang-format on */
	play_live("pl_nx", script,
	          "SELECT count(*) FROM mailboxes WHERE name = 'pl_nx' AND "
	          "uidvalidity = 0 AND last_error IS NULL AND last_sync IS "
	          "NOT NULL AND NOT EXISTS (SELECT 1 FROM messages)",
	          1, NULL);
}
