/* cache_peek.c - see cache_peek.h. */
#include "daemon/cache_peek.h"

#include <criterion/criterion.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static sqlite3_stmt *first_row(const char *path, const char *sql, sqlite3 **db)
{
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(*db, sql, -1, &st, NULL), SQLITE_OK,
	             "%s: %s", sql, sqlite3_errmsg(*db));
	if (sqlite3_step(st) == SQLITE_ROW)
		return st;
	sqlite3_finalize(st);
	return NULL;
}

long long peek_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = first_row(path, sql, &db);
	long long v = st ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

char *peek_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = first_row(path, sql, &db);
	const unsigned char *t = st ? sqlite3_column_text(st, 0) : NULL;
	char *v = t ? strdup((const char *)t) : NULL;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void assert_cache_consistent(const char *path)
{
	sqlite3 *db;
	char *msg = NULL;
	char *ok = peek_text(path, "PRAGMA integrity_check");
	cr_assert_str_eq(ok, "ok");
	free(ok);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db,
	                      "INSERT INTO messages_fts (messages_fts, rank) "
	                      "VALUES ('integrity-check', 1)",
	                      NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "fts integrity: %s", msg ? msg : "");
	sqlite3_close(db);
}
