/* test_indexer.c - the full-text indexer's thread: it indexes what waits,
 * follows pokes, drains, and stops promptly with work left. */
#include "mailmirrord/indexer.h"
#include "mailmirrord/store.h"
#include "mailmirrord/store_internal.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-indexer-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(indexer, .init = setup, .fini = teardown, .timeout = 60);

/* The one number sql gives, with bind (may be NULL) as ?1. */
static long long one_number(const char *sql, const char *bind)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (bind)
		sqlite3_bind_text(st, 1, bind, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static long long hits(const char *match)
{
	return one_number("SELECT count(*) FROM messages_fts WHERE "
	                  "messages_fts MATCH ?1",
	                  match);
}

/* n messages with bodies "word<i> common" from first on, in one batch. */
static void store_bodies(struct store *s, int64_t box, uint32_t first,
                         uint32_t n)
{
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = first; uid < first + n; uid++) {
		char text[64];
		struct store_msg m = {.uid = uid,
		                      .flags = "",
		                      .subject = "hello",
		                      .internaldate = STORE_NO_TIME,
		                      .date = STORE_NO_TIME,
		                      .size = -1};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK,
		             "%s", store_errmsg(s));
		snprintf(text, sizeof(text), "word%u common", uid);
		cr_assert_eq(store_body_put(s, box, uid, "H: v", text, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
}

static struct store *open_box(int64_t *box)
{
	struct store *s = NULL;
	char err[256];
	int64_t acct;
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(box, s, acct, "INBOX", "/", "", NULL),
	             STORE_OK);
	return s;
}

Test(indexer, indexes_what_waits_and_what_comes_later)
{
	int64_t box;
	struct store *s = open_box(&box);
	store_bodies(s, box, 1, 300); /* more than one chunk */
	cr_assert_eq(hits("common"), 0);

	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	cr_assert_eq(hits("common"), 300);
	cr_assert_eq(hits("word123"), 1);
	cr_assert_eq(indexer_waiting(ix), 0);

	store_bodies(s, box, 301, 5);
	indexer_poke(ix);
	/* A poke alone gets them indexed, without a drain. */
	for (int i = 0; i < 500 && hits("common") != 305; i++)
		usleep(10000);
	cr_assert_eq(hits("common"), 305);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, 30000), 1);
	indexer_stop(&ix);
	cr_assert_null(ix);
	indexer_stop(&ix); /* twice is harmless */

	uint64_t left = 1;
	cr_assert_eq(store_index_waiting(&left, s), STORE_OK);
	cr_assert_eq(left, 0);
	store_close(&s);
}

Test(indexer, waits_in_slices_and_stops_within_a_chunk)
{
	int64_t box;
	struct store *s = open_box(&box);
	store_bodies(s, box, 1, 3000);
	store_close(&s);

	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_wait(ix, 0), 0, "3,000 bodies are not instant");
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	indexer_stop(&ix);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s_ = (double)(b.tv_sec - a.tv_sec) +
	            (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* Within a chunk, not after all 3,000 bodies; generous for ASan. */
	cr_assert_lt(s_, 2.0, "stop took %.2f s", s_);
}

Test(indexer, waits_while_a_sync_holds_it)
{
	int64_t box;
	struct store *s = open_box(&box);
	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_wait(ix, -1), 1);

	indexer_hold(ix);
	indexer_hold(ix); /* two accounts syncing */
	store_bodies(s, box, 1, 10);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, 300), 0);
	cr_assert_eq(hits("common"), 0, "indexed during a sync");
	indexer_release(ix);
	cr_assert_eq(indexer_wait(ix, 300), 0, "one sync still holds it");
	cr_assert_eq(hits("common"), 0);
	indexer_release(ix);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	cr_assert_eq(hits("common"), 10);
	indexer_release(ix); /* unbalanced: harmless */
	indexer_hold(NULL);
	indexer_release(NULL);
	indexer_stop(&ix);
	store_close(&s);
}

/* explore47: one account's first sync over a slow link held the index
 * back for every account, for as long as it crawled. A hold is waited for
 * a while (a minute; here half a second), then the indexer goes on. */
Test(indexer, a_long_hold_is_waited_for_a_while)
{
	int64_t box;
	struct store *s = open_box(&box);
	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	indexer_set_patience(ix, 500);

	indexer_hold(ix);
	store_bodies(s, box, 1, 10);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, 200), 0);
	cr_assert_eq(hits("common"), 0, "indexed at once during a sync");
	/* still held, past its patience */
	cr_assert_eq(indexer_wait(ix, 5000), 1);
	cr_assert_eq(hits("common"), 10);
	indexer_release(ix);
	indexer_set_patience(NULL, 1);
	indexer_stop(&ix);
	store_close(&s);
}

/* Alone (a --once run's drain), the indexer takes chunks larger than a
 * sync could wait for: a queue longer than a normal chunk goes in whole,
 * and leaves the index consistent. */
Test(indexer, alone_it_takes_the_queue_in_larger_chunks)
{
	int64_t box;
	struct store *s = open_box(&box);
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 1; uid <= 20000; uid++) {
		struct store_msg m = {.uid = uid,
		                      .flags = "",
		                      .subject = uid % 2 ? "odd one" : "even one",
		                      .internaldate = STORE_NO_TIME,
		                      .date = STORE_NO_TIME,
		                      .size = -1};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);

	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	indexer_alone(ix);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	cr_assert_eq(hits("one"), 20000);
	cr_assert_eq(hits("odd"), 10000);
	uint64_t left = 1;
	cr_assert_eq(store_index_waiting(&left, s), STORE_OK);
	cr_assert_eq(left, 0);
	indexer_stop(&ix);
	indexer_alone(NULL); /* harmless */
	store_close(&s);

	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "INSERT INTO messages_fts (messages_fts, "
	                          "rank) VALUES ('integrity-check', 1)",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The thread opens the cache: one it cannot open fails every wait, a
 * poke included, instead of leaving a waiter to time out. */
Test(indexer, a_cache_it_cannot_open_fails_every_wait)
{
	struct indexer *ix = NULL;
	char err[256] = "";
	cr_assert_eq(indexer_start(&ix, "/nonexistent/dir/cache.db", NULL, NULL,
	                           err, sizeof(err)),
	             0, "%s", err);
	cr_assert_not_null(ix);
	cr_assert_eq(indexer_wait(ix, 5000), -1);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, 5000), -1);
	cr_assert_eq(indexer_waiting(ix), 0);
	indexer_stop(&ix);
	cr_assert_null(ix);
	indexer_poke(NULL);
	cr_assert_eq(indexer_waiting(NULL), 0);
	cr_assert_eq(indexer_wait(NULL, 0), -1);
}

static long long fts_bytes(void)
{
	return one_number("SELECT sum(length(block)) FROM messages_fts_data",
	                  NULL);
}

/* explore38: bodies taken out of the cache (bodies = "none" after
 * "full") left their index behind as markers, as large as the text was,
 * and every full-none cycle added as much again. Told that many rows went,
 * the indexer merges the index, which then holds what is left only. */
Test(indexer, what_left_the_index_is_merged_away)
{
	int64_t box;
	struct store *s = open_box(&box);
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 1; uid <= 2000; uid++) {
		char text[512];
		int len = 0;
		for (int w = 0; w < 40; w++)
			len += snprintf(text + len, sizeof(text) - (size_t)len,
			                "t%uw%d ", uid, w);
		struct store_msg m = {.uid = uid,
		                      .flags = "",
		                      .subject = "hello",
		                      .internaldate = STORE_NO_TIME,
		                      .date = STORE_NO_TIME,
		                      .size = -1};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
		cr_assert_eq(store_body_put(s, box, uid, "H: v", text, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	struct indexer *ix = NULL;
	char err[256];
	cr_assert_eq(indexer_start(&ix, path, NULL, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	long long full = fts_bytes();
	cr_assert_eq(hits("t7w3"), 1);

	int64_t after = 0;
	size_t n, total = 0;
	do {
		cr_assert_eq(store_body_trim(s, 1, false, 500, &after, &n),
		             STORE_OK, "%s", store_errmsg(s));
		total += n;
	} while (n);
	cr_assert_eq(total, 2000);
	indexer_poke(ix);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	long long trimmed = fts_bytes();
	cr_assert_eq(hits("t7w3"), 0);
	cr_assert_gt(trimmed, full / 2, "the markers (%lld of %lld bytes)",
	             trimmed, full);

	indexer_forgot(ix, total);
	cr_assert_eq(indexer_wait(ix, -1), 1);
	long long merged = fts_bytes();
	cr_assert_lt(merged, full / 10, "%lld bytes left of %lld", merged,
	             full);
	cr_assert_eq(hits("hello"), 2000, "the envelopes stay searchable");
	indexer_stop(&ix);
	store_close(&s);
}

/* The first step of stmt's plan (EXPLAIN QUERY PLAN), in out. */
static void first_step(enum stmt_id stmt, char *out, size_t outlen)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[2048];
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", store_sql[stmt]);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* explore80: a chunk's text was read by walking the messages table from
 * its start and looking each message up in the queue: 82 ms and the whole
 * table for one new message of a cache of 150,000, in the write
 * transaction. The queue must drive each statement that reads it. */
Test(indexer, a_chunk_reads_its_queue_not_every_message)
{
	int64_t box;
	struct store *s = open_box(&box);
	store_close(&s);
	const enum stmt_id stmts[] = {ST_MSG_FTS_ADD, ST_BODY_FTS_ADD,
	                              ST_BODY_FTS_FORGET};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		char step[256];
		first_step(stmts[i], step, sizeof(step));
		cr_assert(strncmp(step, "SEARCH q ", 9) == 0 ||
		                  strncmp(step, "SCAN q", 6) == 0,
		          "statement %d starts with \"%s\"", (int)stmts[i],
		          step);
	}
}
