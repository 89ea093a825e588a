/* test_checkpointer.c - the cache's checkpoints in their own thread: the
 * WAL stays bounded under writes that never pause, and a reader that
 * holds an old snapshot neither fails nor stalls the writer. */
#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirrord/checkpointer.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char dir[64], path[128], wal[136];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-ckpt-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(checkpointer, .init = setup, .fini = teardown, .timeout = 120);

static sqlite3 *writer(void)
{
	sqlite3 *db = NULL;
	char err[256];
	cr_assert_eq(cache_open_rw(&db, path, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	cr_assert_eq(sqlite3_exec(db,
	                          "CREATE TABLE IF NOT EXISTS scratch (x BLOB)",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	return db;
}

static off_t wal_size(void)
{
	struct stat sb;
	return stat(wal, &sb) == 0 ? sb.st_size : 0;
}

/* Commits n rows of size bytes, one per transaction, as a sync's writer
 * does; returns the largest WAL seen after a commit. */
static off_t write_rows(sqlite3 *db, int n, int size)
{
	sqlite3_stmt *st;
	off_t largest = 0;
	cr_assert_eq(sqlite3_prepare_v2(db,
	                                "INSERT INTO scratch VALUES "
	                                "(randomblob(?1))",
	                                -1, &st, NULL),
	             SQLITE_OK);
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int(st, 1, size);
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "row %d: %s", i,
		             sqlite3_errmsg(db));
		sqlite3_reset(st);
		off_t w = wal_size();
		if (w > largest)
			largest = w;
	}
	sqlite3_finalize(st);
	return largest;
}

static int page_size(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = 0;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL),
	             SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A reader of the test's cache in the middle of a read transaction: it
 * holds the WAL it reads. */
static sqlite3 *reading(void)
{
	sqlite3 *reader = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_exec(reader,
	                          "BEGIN; SELECT count(*) FROM scratch;", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	return reader;
}

/* A checkpointer on the test's cache, bound to the file at the path
 * now, as the daemon's. */
static struct checkpointer *started(void)
{
	struct checkpointer *ck = NULL;
	struct cache_file_id id;
	char err[256];
	cr_assert_eq(cache_file_id(path, &id), 0);
	cr_assert_eq(checkpointer_start(&ck, path, &id, err, sizeof(err)), 0,
	             "%s", err);
	return ck;
}

Test(checkpointer, keeps_the_wal_bounded_under_writes_that_never_pause)
{
	sqlite3 *db = writer();
	struct checkpointer *ck = started();
	checkpointer_attach(ck, db);
	/* Six times the writer's threshold, in 128 KiB commits. The WAL
	 * passes the threshold only while a pass of the thread keeps the
	 * writer's own checkpoint out (it does not wait). */
	off_t bound = (off_t)3 * CHECKPOINT_WRITER_PAGES * page_size(db);
	int rows = (int)(bound * 2 / (128 << 10));
	off_t largest = write_rows(db, rows, 128 << 10);
	cr_assert_lt(largest, bound, "WAL grew to %lld bytes (%d pages seen)",
	             (long long)largest, checkpointer_largest_wal(ck));
	cr_assert_gt(checkpointer_passes(ck), 0);
	cr_assert_lt(checkpointer_largest_wal(ck), 2 * CHECKPOINT_WRITER_PAGES,
	             "%d pages", checkpointer_largest_wal(ck));
	sqlite3_close(db);
	checkpointer_stop(&ck);
	cr_assert_null(ck);
	checkpointer_stop(&ck); /* twice is harmless */
}

Test(checkpointer, an_old_reader_neither_fails_nor_stalls_the_writer)
{
	sqlite3 *db = writer(), *reader = NULL;
	struct checkpointer *ck = started();
	checkpointer_attach(ck, db);
	write_rows(db, 10, 1024);
	reader = reading();
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rows = (int)((off_t)2 * CHECKPOINT_WRITER_PAGES * page_size(db) /
	                 (128 << 10));
	write_rows(db, rows, 128 << 10); /* past the writer's threshold */
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) +
	           (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* Passive checkpoints never wait for the reader: the writes take
	 * about a second, not a busy timeout per commit. */
	cr_assert_lt(s, 20.0, "the writer took %.1f s", s);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	sqlite3_close(db);
	checkpointer_stop(&ck);
}

Test(checkpointer, a_null_checkpointer_leaves_the_connection_alone)
{
	sqlite3 *db = writer();
	checkpointer_attach(NULL, db);
	/* SQLite's own automatic checkpoint still bounds the WAL. */
	off_t largest = write_rows(db, 400, 128 << 10);
	cr_assert_lt(largest, (off_t)4 * CHECKPOINT_PAGES * page_size(db));
	sqlite3_close(db);
}

static long count_rows(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	long n = -1;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM scratch", -1,
	                                &st, NULL),
	             SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Waits up to 5 s for n idle passes in all; the count. */
static unsigned long wait_idle_passes(struct checkpointer *ck, unsigned long n)
{
	for (int i = 0; i < 100 && checkpointer_idle_passes(ck) < n; i++)
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	return checkpointer_idle_passes(ck);
}

/* explore51: a cache made anew stayed in a WAL of 16 MB beside a database
 * of 16 KB, for as long as no sync wrote 1,000 pages more. Once the
 * writers are quiet, the whole WAL goes into the database and the file is
 * emptied; a reader that holds the WAL puts that off, not for good. */
Test(checkpointer, a_quiet_wal_goes_into_the_database)
{
	sqlite3 *db = writer(), *reader = NULL;
	struct checkpointer *ck = started();
	checkpointer_set_idle(ck, 200);
	checkpointer_attach(ck, db);
	write_rows(db, 40, 4096); /* far below CHECKPOINT_PAGES */
	cr_assert_gt(wal_size(), 0);
	cr_assert_eq(wait_idle_passes(ck, 1), 1);
	cr_assert_eq(wal_size(), 0);
	cr_assert_eq(count_rows(), 40);

	/* A reader in a transaction holds the WAL it reads */
	write_rows(db, 5, 4096);
	reader = reading();
	nanosleep(&(struct timespec){.tv_nsec = 800000000}, NULL);
	cr_assert_eq(checkpointer_idle_passes(ck), 1);
	cr_assert_gt(wal_size(), 0);
	/* and the writer is not held up by the passes that wait for it */
	write_rows(db, 5, 4096);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	cr_assert_eq(wait_idle_passes(ck, 2), 2);
	cr_assert_eq(wal_size(), 0);
	cr_assert_eq(count_rows(), 50);
	sqlite3_close(db);
	checkpointer_stop(&ck);
}

/* A file moved over the cache (mv other.db cache.db) before the thread's
 * first pass: its connection, opened by the path, found that file beside
 * the daemon's WAL, and its pass copied our pages into it, the user's
 * data lost (the integration test daemon/a_file_moved_over_the_cache_is_
 * left_alone, once passes came sooner). Bound to the file the daemon
 * opened, it leaves the moved-in file as it was. */
Test(checkpointer, a_file_moved_over_the_cache_is_not_written)
{
	sqlite3 *db = writer();
	struct checkpointer *ck = started();
	checkpointer_set_idle(ck, 600000);
	checkpointer_set_quiet(ck, 600000);
	checkpointer_attach(ck, db);
	write_rows(db, 20, 16 << 10);
	cr_assert_eq(checkpointer_passes(ck), 0);

	char other[160];
	snprintf(other, sizeof(other), "%s/other.db", dir);
	sqlite3 *user = NULL;
	cr_assert_eq(sqlite3_open(other, &user), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(user,
	                          "CREATE TABLE precious (x);"
	                          "INSERT INTO precious VALUES (42);",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(user);
	static char before[1 << 16], after[sizeof(before) + 1];
	FILE *f = fopen(other, "rb");
	size_t len = fread(before, 1, sizeof(before), f);
	fclose(f);
	cr_assert_eq(rename(other, path), 0);

	/* Its idle pass now, and wait for it. */
	checkpointer_set_idle(ck, 1);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; checkpointer_passes(ck) == 0 && t.tv_sec - t0.tv_sec < 20;
	     clock_gettime(CLOCK_MONOTONIC, &t))
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	checkpointer_stop(&ck);
	f = fopen(path, "rb");
	size_t now = fread(after, 1, sizeof(after), f);
	fclose(f);
	cr_assert(now == len && memcmp(before, after, len) == 0,
	          "the moved-in file was written: %zu bytes, %zu before", now,
	          len);
	/* Our commits are still read through our connection. */
	cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM scratch", NULL,
	                          NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* explore78: a daemon that commits a few pages at every poll (each
 * mailbox's last_sync) is never quiet for the idle pass, and its WAL kept
 * 16 to 31 MB for as long as it ran: no pass copied it before it reached
 * 1,000 pages, and the file was cut back to 64 MB only. A short time
 * after each poll's commits, the thread copies them; the next commit
 * starts the WAL over and cuts the file back to CACHE_WAL_LIMIT. */
Test(checkpointer, a_wal_written_at_every_poll_is_cut_back)
{
	sqlite3 *db = writer();
	struct checkpointer *ck = started();
	checkpointer_set_idle(ck, 600000); /* never idle here */
	checkpointer_set_quiet(ck, 100);
	checkpointer_attach(ck, db);
	/* A WAL grown by a sync past the limit, short of CHECKPOINT_PAGES. */
	int rows = (int)(2 * (off_t)CACHE_WAL_LIMIT / (128 << 10));
	cr_assert_lt((off_t)rows * (128 << 10),
	             (off_t)CHECKPOINT_PAGES * page_size(db));
	cr_assert_gt(write_rows(db, rows, 128 << 10), (off_t)CACHE_WAL_LIMIT);
	/* Polls: a small commit every 300 ms, until the WAL is cut back. */
	off_t now = wal_size();
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; now > (off_t)CACHE_WAL_LIMIT && t.tv_sec - t0.tv_sec < 15;
	     clock_gettime(CLOCK_MONOTONIC, &t)) {
		nanosleep(&(struct timespec){.tv_nsec = 300000000}, NULL);
		write_rows(db, 1, 1024);
		now = wal_size();
	}
	cr_assert_leq(now, (off_t)CACHE_WAL_LIMIT, "a WAL of %lld bytes",
	              (long long)now);
	cr_assert_gt(checkpointer_passes(ck), 0);
	cr_assert_eq(checkpointer_idle_passes(ck), 0);
	sqlite3_close(db);
	checkpointer_stop(&ck);
}
