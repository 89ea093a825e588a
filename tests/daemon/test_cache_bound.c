/* test_cache_bound.c - cache_open_rw_bound(): a later connection of the
 * daemon opens the file it opened first, or nothing. A file moved over
 * the cache sits beside the daemon's WAL, which SQLite replays into the
 * file it opens at its first read: that file must never be read. */
#include "cache/paths.h"
#include "cache/schema.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], path[128], wal[136], other[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-bound-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(other, sizeof(other), "%s/other.db", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cache_bound, .init = setup, .fini = teardown, .timeout = 30);

/* The daemon's first connection, with commits left in its WAL. */
static sqlite3 *daemon_cache(struct cache_file_id *id)
{
	sqlite3 *db = NULL;
	char err[256];
	cr_assert_eq(cache_open_rw(&db, path, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	sqlite3_wal_autocheckpoint(db, 0);
	cr_assert_eq(sqlite3_exec(db,
	                          "CREATE TABLE scratch (x BLOB);"
	                          "INSERT INTO scratch VALUES "
	                          "(randomblob(100000));",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	cr_assert_eq(cache_file_id(path, id), 0);
	return db;
}

/* A user's database, whole in its file; its bytes in *bytes. */
static size_t user_file(char **bytes)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(other, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "CREATE TABLE precious (x);"
	                          "INSERT INTO precious VALUES (42);",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	FILE *f = fopen(other, "rb");
	cr_assert_not_null(f);
	*bytes = malloc(1 << 20);
	size_t n = fread(*bytes, 1, 1 << 20, f);
	fclose(f);
	return n;
}

static bool file_is(const char *name, const char *bytes, size_t len)
{
	FILE *f = fopen(name, "rb");
	cr_assert_not_null(f);
	char *now = malloc(len + 1);
	size_t n = fread(now, 1, len + 1, f);
	fclose(f);
	bool same = n == len && memcmp(now, bytes, len) == 0;
	free(now);
	return same;
}

Test(cache_bound, the_file_the_daemon_opened_is_opened)
{
	struct cache_file_id id;
	sqlite3 *first = daemon_cache(&id), *db = NULL;
	char err[256];
	int found = -1;
	cr_assert_eq(
	        cache_open_rw_bound(&db, &found, path, &id, err, sizeof(err)),
	        CACHE_OK, "%s", err);
	cr_assert_eq(found, CACHE_SCHEMA_VERSION);
	cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM scratch", NULL,
	                          NULL, NULL),
	             SQLITE_OK, "the commits in the WAL are seen");
	sqlite3_close(db);
	sqlite3_close(first);
}

/* mv other.db cache.db while the daemon runs: a later connection (the
 * checkpointer's, an account's) finds it beside our WAL. */
Test(cache_bound, a_file_moved_over_the_cache_is_refused_and_left_untouched)
{
	struct cache_file_id id;
	sqlite3 *first = daemon_cache(&id), *db = NULL;
	char *bytes;
	size_t len = user_file(&bytes);
	struct stat sb;
	cr_assert_eq(stat(wal, &sb), 0);
	off_t wal_before = sb.st_size;
	cr_assert_gt(wal_before, 0);
	cr_assert_eq(rename(other, path), 0);

	char err[256] = "";
	cr_assert_eq(
	        cache_open_rw_bound(&db, NULL, path, &id, err, sizeof(err)),
	        CACHE_EMOVED);
	cr_assert_null(db);
	cr_assert_not_null(strstr(err, "moved, removed or replaced"), "%s",
	                   err);
	cr_assert(file_is(path, bytes, len), "the moved-in file was written");
	cr_assert_eq(stat(wal, &sb), 0, "our WAL was removed");
	cr_assert_eq(sb.st_size, wal_before);
	sqlite3_close(first);
	/* Our WAL, emptied into our file (store_wal_truncate) and removed by
	 * the daemon, the moved-in file is read as it was. */
	unlink(wal);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(
	        sqlite3_prepare_v2(db, "SELECT x FROM precious", -1, &st, NULL),
	        SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), 42);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(bytes);
}

/* rm cache.db: a later connection makes no new file, and leaves the
 * WAL alone, which the daemon's open connection still writes (and
 * cache_prepare_file would remove, as a journal of a cache gone). */
Test(cache_bound, a_removed_cache_is_not_made_again)
{
	struct cache_file_id id;
	sqlite3 *first = daemon_cache(&id), *db = NULL;
	cr_assert_eq(unlink(path), 0);
	char err[256];
	cr_assert_eq(
	        cache_open_rw_bound(&db, NULL, path, &id, err, sizeof(err)),
	        CACHE_EMOVED);
	cr_assert_neq(access(path, F_OK), 0, "a cache was made");
	cr_assert_eq(access(wal, F_OK), 0, "our WAL was removed");
	sqlite3_close(first);
}
