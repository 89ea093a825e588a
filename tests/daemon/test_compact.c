/* test_compact.c - the cache gives its free space back (compact.h). */
#include "daemon/cache_peek.h"
#include "mailmirrord/cachelock.h"
#include "mailmirrord/compact.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-compact-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(compact, .init = setup, .fini = teardown);

static struct store *open_store(void)
{
	struct store *s = NULL;
	char err[256] = "";
	int rc = store_open(&s, path, err, sizeof(err));
	cr_assert_eq(rc, STORE_OK, "store_open: %d %s", rc, err);
	return s;
}

/* A mailbox of n messages, each with a body of body_len bytes. */
static int64_t fill(struct store *s, int64_t acct, const char *name, uint32_t n,
                    size_t body_len)
{
	int64_t box;
	cr_assert_eq(store_mailbox_upsert(&box, s, acct, name, "/", "", NULL),
	             STORE_OK);
	char *body = malloc(body_len + 1);
	cr_assert_not_null(body);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (char)('a' + (i * 7 + i / 5) % 26);
	body[body_len] = '\0';
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 1; uid <= n; uid++) {
		struct store_msg m = {.uid = uid,
		                      .flags = "\\Seen",
		                      .internaldate = 1700000000 + uid,
		                      .size = (int64_t)body_len,
		                      .subject = name};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
		cr_assert_eq(store_body_put(s, box, uid, NULL, body, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	free(body);
	return box;
}

static struct store_space space(struct store *s)
{
	struct store_space sp;
	cr_assert_eq(store_space(s, &sp), STORE_OK, "%s", store_errmsg(s));
	return sp;
}

static off_t file_size(void)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	return st.st_size;
}

/* A cache whose folder of 400 large bodies was dropped: its free pages,
 * *pages in all. */
static struct store *with_a_dropped_folder(int64_t *pages)
{
	struct store *s = open_store();
	int64_t acct;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	int64_t gone = fill(s, acct, "Gone", 400, 60000);
	cr_assert_eq(store_mailbox_delete(s, gone), STORE_OK);
	*pages = space(s).pages;
	return s;
}

/* A cache made now gives back, in steps, what a dropped folder left. */
Test(compact, a_dropped_folders_space_is_given_back)
{
	struct store *s = open_store();
	int64_t acct;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	struct store_space sp = space(s);
	cr_assert(sp.incremental, "a new cache is made incremental");
	fill(s, acct, "Kept", 50, 4000);
	int64_t gone = fill(s, acct, "Gone", 800, 60000);
	int64_t full = space(s).pages;
	cr_assert_eq(store_mailbox_delete(s, gone), STORE_OK);
	sp = space(s);
	cr_assert(compact_due(&sp), "%lld free of %lld pages",
	          (long long)sp.free_pages, (long long)sp.pages);

	bool told = false;
	/* A budget of nothing still makes one step, and says more is due. */
	cr_assert_eq(compact_some(s, 0, &told), 1);
	cr_assert_lt(space(s).pages, full);
	int rc;
	while ((rc = compact_some(s, 1000, &told)) == 1)
		;
	cr_assert_eq(rc, 0);
	cr_assert_not(told);
	sp = space(s);
	cr_assert_not(compact_due(&sp));
	/* What is left free is below the threshold: some 16 MB. */
	cr_assert_lt(sp.pages * 2, full, "%lld pages of %lld left",
	             (long long)sp.pages, (long long)full);
	cr_assert_eq(store_wal_truncate(s), STORE_OK);
	cr_assert_eq(file_size(), sp.pages * sp.page_size);
	store_close(&s);
	assert_cache_consistent(path);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM messages"), 50);
	cr_assert_eq(
	        peek_int(path,
	                 "SELECT count(*) FROM bodies WHERE length(body) = "
	                 "4000"),
	        50);
}

/* explore36: a worker's long write holding the lock past the busy
 * timeout was a warning ("giving back free space: database is locked");
 * it is no failure, and the space is given back at the next check. */
Test(compact, a_locked_cache_gives_its_space_back_later, .timeout = 30)
{
	int64_t before;
	struct store *s = with_a_dropped_folder(&before);

	sqlite3 *other;
	cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	             SQLITE_OK);
	bool told = false;
	cr_assert_eq(compact_some(s, 1000, &told), 1, "more is due, no error");
	cr_assert_eq(space(s).pages, before);
	cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(other);
	int rc;
	while ((rc = compact_some(s, 1000, &told)) == 1)
		;
	cr_assert_eq(rc, 0);
	cr_assert_lt(space(s).pages, before);
	store_close(&s);
}

/* A little free space stays for the next mail: moving pages costs
 * writes. */
Test(compact, a_little_free_space_is_left)
{
	struct store *s = open_store();
	int64_t acct;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	fill(s, acct, "Kept", 200, 60000);
	int64_t gone = fill(s, acct, "Gone", 20, 60000);
	cr_assert_eq(store_mailbox_delete(s, gone), STORE_OK);
	struct store_space before = space(s);
	cr_assert_gt(before.free_pages, 0);
	cr_assert_not(compact_due(&before));
	bool told = false;
	cr_assert_eq(compact_some(s, 1000, &told), 0);
	cr_assert_eq(space(s).pages, before.pages);
	store_close(&s);
}

/* A cache made before auto_vacuum was set cannot give pages back in
 * steps: the log says so once, and --compact rewrites it. */
Test(compact, an_older_cache_is_rewritten_by_compact)
{
	struct store *s = open_store();
	int64_t acct;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	store_close(&s);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA auto_vacuum = NONE; VACUUM;",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);

	s = open_store();
	cr_assert_not(space(s).incremental);
	fill(s, acct, "Kept", 50, 4000);
	int64_t gone = fill(s, acct, "Gone", 400, 60000);
	cr_assert_eq(store_mailbox_delete(s, gone), STORE_OK);
	struct store_space before = space(s);
	bool told = false;
	cr_assert_eq(compact_some(s, 1000, &told), 0);
	cr_assert(told, "the log was to say what to do");
	cr_assert_eq(space(s).pages, before.pages, "nothing moved");
	store_close(&s);

	cr_assert_eq(compact_cache(path), 0);
	cr_assert_lt(file_size() * 4, before.pages * before.page_size);
	s = open_store();
	struct store_space after = space(s);
	cr_assert(after.incremental, "from now on it gives back by itself");
	cr_assert_eq(after.free_pages, 0);
	store_close(&s);
	assert_cache_consistent(path);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM messages"), 50);
}

/* The full-text index forgets a dropped mailbox by markers, which take
 * room until merged: --compact merges them away. */
Test(compact, compact_gives_back_what_the_index_forgot)
{
	struct store *s = open_store();
	int64_t acct, kept, gone;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&kept, s, acct, "Kept", "/", "", NULL),
	        STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&gone, s, acct, "Gone", "/", "", NULL),
	        STORE_OK);
	char body[8192];
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 1; uid <= 600; uid++) {
		size_t n = 0;
		for (unsigned w = 0; w < 600; w++)
			n += (size_t)snprintf(body + n, sizeof(body) - n,
			                      "w%ux%u ", uid, w);
		struct store_msg m = {.uid = uid,
		                      .internaldate = 1700000000,
		                      .size = (int64_t)n,
		                      .subject = "words"};
		int64_t box = uid <= 10 ? kept : gone;
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
		cr_assert_eq(store_body_put(s, box, uid, NULL, body, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	size_t done;
	do
		cr_assert_eq(store_index_chunk(s, 100, 0, &done), STORE_OK);
	while (done);
	cr_assert_eq(store_mailbox_delete(s, gone), STORE_OK);
	store_close(&s);
#define FTS_BYTES "SELECT sum(length(block)) FROM messages_fts_data"
	long long full = peek_int(path, FTS_BYTES);

	cr_assert_eq(compact_cache(path), 0);
	long long left = peek_int(path, FTS_BYTES);
	cr_assert_lt(left * 10, full, "%lld bytes of index of %lld left", left,
	             full);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM messages_fts WHERE "
	                            "messages_fts MATCH 'w3x7'"),
	             1);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM messages_fts WHERE "
	                            "messages_fts MATCH 'w30x7'"),
	             0);
	assert_cache_consistent(path);
}

/* --compact holds the write lock throughout: never beside a daemon. */
Test(compact, compact_refuses_a_cache_in_use)
{
	struct store *s = open_store();
	int lock = -1;
	char err[256];
	cr_assert_eq(cachelock_take(&lock, path, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(compact_cache(path), -1);
	cachelock_release(&lock);
	store_close(&s);
	cr_assert_eq(compact_cache(path), 0);
}

/* explore16: --compact on a path without a cache made one and said it
 * rewrote it. */
Test(compact, compact_needs_a_cache)
{
	cr_assert_eq(compact_cache(path), -1);
	struct stat st;
	cr_assert_neq(stat(path, &st), 0, "a cache was made");
}

/* explore16: a reader's snapshot kept the WAL from being emptied, and
 * --compact said it failed (exit 1) after it had rewritten the cache. The
 * copy is built beside the cache, not in a small /tmp. */
Test(compact, a_readers_snapshot_does_not_fail_the_rewrite)
{
	int64_t before;
	struct store *s = with_a_dropped_folder(&before);
	store_close(&s);

	sqlite3 *reader;
	cr_assert_eq(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_exec(reader,
	                          "BEGIN; SELECT count(*) FROM messages;", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	cr_assert_eq(compact_cache(path), 0);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	cr_assert_str_eq(getenv("SQLITE_TMPDIR"), dir);
	s = open_store();
	cr_assert_lt(space(s).pages * 4, before);
	store_close(&s);
	assert_cache_consistent(path);
}
