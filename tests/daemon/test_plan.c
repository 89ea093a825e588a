/* test_plan.c - the sync decisions, table by table. */
#include "mailmirrord/plan.h"

#include <criterion/criterion.h>

static struct plan_actions plan(struct plan_local l, struct plan_server s)
{
	struct plan_actions a;
	plan_mailbox(&a, &l, &s);
	return a;
}

Test(plan, first_sync_fetches_everything)
{
	struct plan_actions a =
	        plan((struct plan_local){0},
	             (struct plan_server){
	                     .uidvalidity = 7, .uidnext = 50, .exists = 40});
	cr_assert(!a.reset);
	cr_assert(a.fetch_new);
	cr_assert_eq(a.new_from, 1);
	cr_assert_eq(a.flags, PLAN_FLAGS_NONE);
	cr_assert(a.check_count);
	cr_assert(!a.nothing);
}

Test(plan, empty_new_mailbox_fetches_nothing)
{
	struct plan_actions a =
	        plan((struct plan_local){0},
	             (struct plan_server){.uidvalidity = 7, .uidnext = 1});
	cr_assert(!a.fetch_new);
}

Test(plan, uidvalidity_change_resets)
{
	struct plan_actions a = plan((struct plan_local){.uidvalidity = 7,
	                                                 .uidnext = 50,
	                                                 .highestmodseq = 9,
	                                                 .count = 40},
	                             (struct plan_server){.uidvalidity = 8,
	                                                  .uidnext = 3,
	                                                  .exists = 2,
	                                                  .condstore = true,
	                                                  .highestmodseq = 9});
	cr_assert(a.reset);
	cr_assert(a.fetch_new);
	cr_assert_eq(a.new_from, 1);
	cr_assert_eq(a.flags, PLAN_FLAGS_NONE);
}

Test(plan, unchanged_condstore_mailbox_is_nothing)
{
	struct plan_actions a = plan((struct plan_local){.uidvalidity = 7,
	                                                 .uidnext = 50,
	                                                 .highestmodseq = 90,
	                                                 .count = 40},
	                             (struct plan_server){.uidvalidity = 7,
	                                                  .uidnext = 50,
	                                                  .exists = 40,
	                                                  .condstore = true,
	                                                  .highestmodseq = 90});
	cr_assert(a.nothing);
	cr_assert(!a.fetch_new);
	cr_assert_eq(a.flags, PLAN_FLAGS_NONE);
}

Test(plan, modseq_moved_uses_changedsince)
{
	struct plan_actions a = plan((struct plan_local){.uidvalidity = 7,
	                                                 .uidnext = 50,
	                                                 .highestmodseq = 90,
	                                                 .count = 40},
	                             (struct plan_server){.uidvalidity = 7,
	                                                  .uidnext = 52,
	                                                  .exists = 42,
	                                                  .condstore = true,
	                                                  .highestmodseq = 95});
	cr_assert(a.fetch_new);
	cr_assert_eq(a.new_from, 50);
	cr_assert_eq(a.flags, PLAN_FLAGS_CHANGEDSINCE);
	cr_assert_eq(a.changedsince, 90);
	cr_assert_eq(a.flags_upto, 49);
	cr_assert(a.check_count);
}

Test(plan, no_condstore_lists_all_flags)
{
	struct plan_actions a = plan(
	        (struct plan_local){
	                .uidvalidity = 7, .uidnext = 50, .count = 40},
	        (struct plan_server){
	                .uidvalidity = 7, .uidnext = 50, .exists = 40});
	cr_assert_eq(a.flags, PLAN_FLAGS_FULL);
	cr_assert(!a.check_count, "a full listing proves expunges itself");
	cr_assert(!a.nothing);
}

Test(plan, qresync_needs_only_new_messages)
{
	struct plan_actions a =
	        plan((struct plan_local){.uidvalidity = 7,
	                                 .uidnext = 50,
	                                 .highestmodseq = 90,
	                                 .count = 40},
	             (struct plan_server){.uidvalidity = 7,
	                                  .uidnext = 51,
	                                  .exists = 38,
	                                  .condstore = true,
	                                  .highestmodseq = 99,
	                                  .qresync_done = true});
	cr_assert(a.fetch_new);
	cr_assert_eq(a.flags, PLAN_FLAGS_NONE);
	cr_assert(a.check_count);
}

/* A HIGHESTMODSEQ below ours, QRESYNC's "nothing changed" included,
 * proves nothing: every flag is listed again. */
Test(plan, modseq_gone_back_lists_every_flag)
{
	struct plan_local l = {.uidvalidity = 7,
	                       .uidnext = 50,
	                       .highestmodseq = 1000000,
	                       .count = 40};
	struct plan_server s = {.uidvalidity = 7,
	                        .uidnext = 50,
	                        .exists = 40,
	                        .condstore = true,
	                        .highestmodseq = 99,
	                        .qresync_done = true};
	struct plan_actions a = plan(l, s);
	cr_assert(a.modseq_back);
	cr_assert_eq(a.flags, PLAN_FLAGS_FULL);
	cr_assert_eq(a.flags_upto, 49);
	cr_assert_not(a.nothing);
	s.qresync_done = false;
	a = plan(l, s);
	cr_assert_eq(a.flags, PLAN_FLAGS_FULL);
	/* Equal or higher: as before. */
	s.highestmodseq = l.highestmodseq;
	s.qresync_done = true;
	a = plan(l, s);
	cr_assert_not(a.modseq_back);
	cr_assert(a.nothing);
}

/* explore50: RFC 3501 2.3.1.1, UIDNEXT never goes down. A server's below
 * the cache's says the cache's was untrue: the server's is taken, nothing
 * is fetched above it, and every flag up to the cache's is listed, QRESYNC
 * or not. */
Test(plan, uidnext_gone_back_is_taken_and_every_flag_listed)
{
	struct plan_local l = {.uidvalidity = 7,
	                       .uidnext = 1000,
	                       .highestmodseq = 90,
	                       .count = 2};
	struct plan_server s = {.uidvalidity = 7,
	                        .uidnext = 3,
	                        .exists = 2,
	                        .condstore = true,
	                        .highestmodseq = 90,
	                        .qresync_done = true};
	struct plan_actions a = plan(l, s);
	cr_assert(a.uidnext_back);
	cr_assert_eq(a.new_from, 3);
	cr_assert_not(a.fetch_new);
	cr_assert_eq(a.flags, PLAN_FLAGS_FULL);
	cr_assert_eq(a.flags_upto, 999);
	cr_assert_not(a.nothing);
	s.uidnext = 1000;
	a = plan(l, s);
	cr_assert_not(a.uidnext_back);
	cr_assert(a.nothing);
	s.uidnext = 0; /* none told: nothing gone back */
	a = plan(l, s);
	cr_assert_not(a.uidnext_back);
}

Test(plan, missing_uidnext_always_looks_for_new)
{
	struct plan_actions a = plan((struct plan_local){.uidvalidity = 7,
	                                                 .uidnext = 50,
	                                                 .highestmodseq = 90,
	                                                 .count = 40},
	                             (struct plan_server){.uidvalidity = 7,
	                                                  .exists = 40,
	                                                  .condstore = true,
	                                                  .highestmodseq = 90});
	cr_assert(a.fetch_new);
	cr_assert(!a.nothing);
}

Test(plan, shrunk_exists_is_not_nothing)
{
	/* RELIABILITY rule 7: fewer messages without EXPUNGE is a reason to
	 * look, never to delete on its own. */
	struct plan_actions a = plan((struct plan_local){.uidvalidity = 7,
	                                                 .uidnext = 50,
	                                                 .highestmodseq = 90,
	                                                 .count = 40},
	                             (struct plan_server){.uidvalidity = 7,
	                                                  .uidnext = 50,
	                                                  .exists = 39,
	                                                  .condstore = true,
	                                                  .highestmodseq = 90});
	cr_assert(!a.nothing);
	cr_assert(a.check_count);
}

Test(plan, status_change_detection)
{
	struct plan_local l = {.uidvalidity = 7,
	                       .uidnext = 50,
	                       .highestmodseq = 90,
	                       .count = 40};
	cr_assert(!plan_status_changed(&l, 7, 50, 40, 90));
	cr_assert(plan_status_changed(&l, 8, 50, 40, 90));
	cr_assert(plan_status_changed(&l, 7, 51, 40, 90));
	cr_assert(plan_status_changed(&l, 7, 50, 39, 90));
	cr_assert(plan_status_changed(&l, 7, 50, 40, 91));
	cr_assert(!plan_status_changed(&l, 7, 50, 40, 0));
}

/* The order the live connection tries watched mailboxes in, to idle in
 * the first that opens: INBOX, then the order of the idle setting. */
Test(plan, watch_rank)
{
	const char *idle[] = {"Work", "Lists/*", "INBOX", "*"};
	cr_assert_eq(plan_watch_rank(idle, 4, "inbox", '/'), 1);
	cr_assert_eq(plan_watch_rank(idle, 4, "Work", '/'), 2);
	cr_assert_eq(plan_watch_rank(idle, 4, "Lists/c", '/'), 3);
	cr_assert_eq(plan_watch_rank(idle, 4, "Archive", '/'), 5,
	             "the first pattern that matches counts");
	cr_assert_eq(plan_watch_rank(idle, 3, "Archive", '/'), 0);
	cr_assert_eq(plan_watch_rank(idle, 0, "INBOX", '/'), 0);
}

Test(plan, wildcards)
{
	cr_assert(plan_match("*", "INBOX", '/'));
	cr_assert(plan_match("*", "a/b/c", '/'));
	cr_assert(plan_match("%", "a", '/'));
	cr_assert(!plan_match("%", "a/b", '/'));
	cr_assert(plan_match("a/%", "a/b", '/'));
	cr_assert(!plan_match("a/%", "a/b/c", '/'));
	cr_assert(plan_match("a/*", "a/b/c", '/'));
	cr_assert(plan_match("Lists/*", "Lists/rust", '/'));
	cr_assert(!plan_match("Lists/*", "Lists", '/'));
	cr_assert(plan_match("inbox", "INBOX", '/'));
	cr_assert(plan_match("INBOX/*", "inbox/x", '/'));
	cr_assert(!plan_match("trash", "Trash", '/'),
	          "only INBOX ignores case");
	cr_assert(plan_match("T*h", "Trash", '.'));
	cr_assert(plan_match("%", "a/b", 0), "no delimiter: %% crosses all");
	/* before LIST (delimiter 0) INBOX's first level is any non-letter */
	cr_assert(plan_match("inbox.Work", "INBOX.Work", 0));
	cr_assert(plan_match("INBOX/*", "inbox/x", 0));
	cr_assert(!plan_match("inboxes", "INBOXES", 0));
	cr_assert(!plan_match("inbox.Work", "INBOX.Work", '/'),
	          "the delimiter known, '.' is no level");
	cr_assert(plan_match("**%", "a/b", '/'));
	cr_assert(!plan_match("", "a", '/'));
	cr_assert(plan_match("", "", '/'));
}

Test(plan, include_exclude)
{
	const char *inc[] = {"*", NULL};
	const char *exc[] = {"Trash", "Spam", "Lists/*", NULL};
	cr_assert(plan_mailbox_wanted(inc, exc, "INBOX", '/'));
	cr_assert(!plan_mailbox_wanted(inc, exc, "Trash", '/'));
	cr_assert(!plan_mailbox_wanted(inc, exc, "Lists/rust", '/'));
	cr_assert(plan_mailbox_wanted(inc, exc, "Lists", '/'));
	cr_assert(plan_mailbox_wanted(NULL, NULL, "x", '/'));
	const char *only[] = {"INBOX", NULL};
	cr_assert(!plan_mailbox_wanted(only, NULL, "Sent", '/'));
}

struct gone_log {
	uint32_t uids[16];
	size_t n;
};

static int note_gone(void *payload, uint32_t uid)
{
	struct gone_log *g = payload;
	g->uids[g->n++] = uid;
	return 0;
}

Test(plan, uid_diff)
{
	const uint32_t local[] = {1, 2, 3, 5, 8, 9, 20, 21};
	const struct plan_range server[] = {{2, 3}, {8, 8}, {10, 20}};
	struct gone_log g = {0};
	cr_assert_eq(plan_uid_gone(local, 8, server, 3, note_gone, &g), 0);
	cr_assert_eq(g.n, 4);
	cr_assert_eq(g.uids[0], 1);
	cr_assert_eq(g.uids[1], 5);
	cr_assert_eq(g.uids[2], 9);
	cr_assert_eq(g.uids[3], 21);

	struct gone_log all = {0};
	plan_uid_gone(local, 8, NULL, 0, note_gone, &all);
	cr_assert_eq(all.n, 8, "an empty mailbox: everything went");
}

struct run_log {
	struct plan_range v[16];
	size_t n;
};

static int note_run(void *payload, uint32_t lo, uint32_t hi)
{
	struct run_log *r = payload;
	r->v[r->n++] = (struct plan_range){lo, hi};
	return r->n == 16 ? -9 : 0;
}

/* What the server lists and the cache lacks, at or below upto: runs
 * before, between and after the cached UIDs of a range, ranges the cache
 * has none of, and nothing past upto. */
Test(plan, uid_missing)
{
	const uint32_t local[] = {2, 3, 5, 8, 20};
	const struct plan_range server[] = {{1, 6}, {8, 8}, {10, 12}, {20, 30}};
	struct run_log r = {0};
	cr_assert_eq(plan_uid_missing(local, 5, server, 4, 25, note_run, &r),
	             0);
	cr_assert_eq(r.n, 5);
	const struct plan_range want[] = {
	        {1, 1}, {4, 4}, {6, 6}, {10, 12}, {21, 25}};
	for (size_t i = 0; i < 5; i++)
		cr_assert(r.v[i].lo == want[i].lo && r.v[i].hi == want[i].hi,
		          "run %zu: %u:%u", i, r.v[i].lo, r.v[i].hi);

	/* Everything held, an empty cache, the top of the UID space. */
	struct run_log none = {0};
	plan_uid_missing(local, 5, (const struct plan_range[]){{2, 3}}, 1,
	                 UINT32_MAX, note_run, &none);
	cr_assert_eq(none.n, 0);
	struct run_log all = {0};
	plan_uid_missing(NULL, 0, server, 4, 9, note_run, &all);
	cr_assert_eq(all.n, 2);
	cr_assert(all.v[0].lo == 1 && all.v[0].hi == 6);
	cr_assert(all.v[1].lo == 8 && all.v[1].hi == 8);
	const uint32_t top[] = {UINT32_MAX - 1, UINT32_MAX};
	struct run_log edge = {0};
	plan_uid_missing(top, 2,
	                 (const struct plan_range[]){{UINT32_MAX - 3, UINT32_MAX}},
	                 1, UINT32_MAX, note_run, &edge);
	cr_assert_eq(edge.n, 1);
	cr_assert(edge.v[0].lo == UINT32_MAX - 3 && edge.v[0].hi == UINT32_MAX - 2);
}

static int stop_at_second(void *payload, uint32_t uid)
{
	(void)uid;
	return ++*(int *)payload == 2 ? -7 : 0;
}

Test(plan, uid_diff_stops_on_callback)
{
	const uint32_t local[] = {1, 2, 3};
	int calls = 0;
	cr_assert_eq(plan_uid_gone(local, 3, NULL, 0, stop_at_second, &calls),
	             -7);
	cr_assert_eq(calls, 2);
}

static int count_batch(void *payload, const uint32_t *uids, size_t n)
{
	size_t *sizes = payload;
	sizes[0]++;
	sizes[sizes[0]] = n;
	(void)uids;
	return 0;
}

Test(plan, batches)
{
	uint32_t uids[10];
	for (int i = 0; i < 10; i++)
		uids[i] = (uint32_t)i + 1;
	size_t sizes[8] = {0};
	plan_batches(uids, 10, 4, count_batch, sizes);
	cr_assert_eq(sizes[0], 3);
	cr_assert_eq(sizes[1], 4);
	cr_assert_eq(sizes[2], 4);
	cr_assert_eq(sizes[3], 2);
}

Test(plan, backoff_grows_to_cap_with_jitter)
{
	/* a failure no retry mends: the cap at once */
	cr_assert_geq(plan_backoff_ms(PLAN_BACKOFF_SLOWEST, 0), 150000);
	cr_assert_leq(plan_backoff_ms(PLAN_BACKOFF_SLOWEST, 0xffffffffu),
	              300000);
	cr_assert(plan_backoff_ms(1, 0) >= 500 &&
	          plan_backoff_ms(1, 0) <= 1000);
	cr_assert(plan_backoff_ms(1, 0xffffffffu) <= 1000);
	cr_assert(plan_backoff_ms(4, 12345) >= 4000 &&
	          plan_backoff_ms(4, 12345) <= 8000);
	for (unsigned f = 1; f < 100; f++)
		cr_assert(plan_backoff_ms(f, 0xdeadbeef) <= 300000);
	cr_assert(plan_backoff_ms(30, 0) >= 150000);
}

/* Which mailboxes patterns match nothing in a LIST (a typo to report). */
Test(plan, patterns_that_match_no_listed_mailbox)
{
	const char *const inc[] = {"INBOX", "NoSuchBox", "Lists/%", "Arch*",
	                           NULL};
	const char *const listed[] = {"inbox", "Lists/rust", "Lists/a/b",
	                              "Sent"};
	bool hit[4] = {false};

	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		plan_patterns_hit(hit, inc, listed[i], '/', true);
	cr_assert(hit[0]);
	cr_assert_not(hit[1]);
	cr_assert(hit[2]);
	cr_assert_not(hit[3]);
	/* set entries stay set; no patterns is no work */
	plan_patterns_hit(hit, inc, "Other", '/', true);
	cr_assert(hit[0] && hit[2]);
	plan_patterns_hit(hit, NULL, "INBOX", '/', true);
	plan_patterns_hit(hit, inc, "Archive/2024", '/', true);
	cr_assert(hit[3]);
}

/* A \Noselect (or \NonExistent) entry is a name, not a mailbox: a pattern
 * that reaches only such entries mirrors nothing and is told like a typo
 * ("L%" where Lists is \Noselect and holds Lists/dev). */
Test(plan, patterns_that_match_only_placeholders_match_nothing)
{
	const char *const inc[] = {"L%", "Lists/%", "Projects/p0%", NULL};
	bool hit[3] = {false};

	plan_patterns_hit(hit, inc, "Lists", '/', false);
	plan_patterns_hit(hit, inc, "Lists/dev", '/', true);
	plan_patterns_hit(hit, inc, "Projects/p01", '/', false);
	plan_patterns_hit(hit, inc, "Projects/p01/s00", '/', true);
	cr_assert_not(hit[0], "only the \\Noselect Lists matches L%%");
	cr_assert(hit[1]);
	cr_assert_not(hit[2]);
}

/* on_new_mail_mailboxes (explore79: Gmail's labels ran on_new_mail once
 * per label of a message): NULL is every mailbox, [ ] none; patterns as
 * in idle, INBOX in any case. */
Test(plan, hook_wanted_follows_on_new_mail_mailboxes)
{
	const char *const inbox[] = {"INBOX", "Lists/%", NULL};
	const char *const none[] = {NULL};
	cr_assert(plan_hook_wanted(NULL, "[Gmail]/All Mail", '/'));
	cr_assert_not(plan_hook_wanted(none, "INBOX", '/'));
	cr_assert(plan_hook_wanted(inbox, "inbox", '/'));
	cr_assert(plan_hook_wanted(inbox, "Lists/dev", '/'));
	cr_assert_not(plan_hook_wanted(inbox, "Lists/dev/old", '/'));
	cr_assert_not(plan_hook_wanted(inbox, "[Gmail]/All Mail", '/'));
	cr_assert_not(plan_hook_wanted(inbox, "[Gmail]/Important", '/'));
}

/* The scale tester's first sync took 3,292 mailboxes in LIST order and
 * the watched INBOX last: INBOX is first of all, watched or not, then the
 * watched ones in the idle setting's order, then the rest as listed. */
static void order_of(const char **out, const char *const *names, size_t n,
                     const char *const *idle, size_t n_idle)
{
	struct plan_turn v[16];
	cr_assert_leq(n, 16);
	for (size_t i = 0; i < n; i++)
		v[i] = (struct plan_turn){
		        plan_sync_key(idle, n_idle, names[i], '/'), i};
	plan_sync_order(v, n);
	for (size_t i = 0; i < n; i++)
		out[i] = names[v[i].index];
}

Test(plan, a_pass_takes_inbox_then_the_watched_first)
{
	const char *names[] = {"Archive", "Lists/a", "Drafts", "Inbox",
	                       "Lists/b", "Work",    "Trash"};
	const char *got[7];
	const char *idle[] = {"Work", "Lists/*", "INBOX"};
	order_of(got, names, 7, idle, 3);
	const char *want[] = {"Inbox",   "Work",   "Lists/a", "Lists/b",
	                      "Archive", "Drafts", "Trash"};
	for (size_t i = 0; i < 7; i++)
		cr_assert_str_eq(got[i], want[i], "turn %zu", i);

	/* INBOX first though idle names only another */
	const char *work[] = {"Work"};
	order_of(got, names, 7, work, 1);
	const char *want2[] = {"Inbox",  "Work",    "Archive", "Lists/a",
	                       "Drafts", "Lists/b", "Trash"};
	for (size_t i = 0; i < 7; i++)
		cr_assert_str_eq(got[i], want2[i], "turn %zu", i);

	/* none watched, no INBOX: the list's order */
	const char *rest[] = {"b", "a", "c"};
	order_of(got, rest, 3, NULL, 0);
	cr_assert_str_eq(got[0], "b");
	cr_assert_str_eq(got[1], "a");
	cr_assert_str_eq(got[2], "c");

	/* the caller's last one goes after all */
	struct plan_turn v[3] = {
	        {PLAN_SYNC_LAST, 0}, {PLAN_SYNC_REST, 1}, {0, 2}};
	plan_sync_order(v, 3);
	cr_assert_eq(v[0].index, 2);
	cr_assert_eq(v[1].index, 1);
	cr_assert_eq(v[2].index, 0);
}
