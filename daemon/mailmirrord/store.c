/* store.c - the store's connection, statements and transactions (see
 * store.h); the writes themselves are in store_mailbox.c, store_message.c
 * and store_index.c. */
#include "mailmirrord/store_internal.h"

#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirrord/checkpointer.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3))) void store_set_err(struct store *s,
                                                         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->full = false;
}

static int code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_EBUSY;
	case SQLITE_NOMEM:
		return STORE_ENOMEM;
	case SQLITE_FULL:
		return STORE_EFULL;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return STORE_EIO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_ECORRUPT;
	default:
		return STORE_EDB;
	}
}

/* Set by the first connection that finds the file damaged: there is one
 * cache per process, and any connection's finding is all of theirs. */
static atomic_bool damage_seen;

/* The system's reason for an I/O error: SQLite's record of it, else
 * errno still as the failed system call left it, for the codes SQLite
 * gives right after one (SQLite 3.40 does not record a failed write
 * inside a commit). 0 when there is none to tell. */
static int system_reason(sqlite3 *db, int rc, int err)
{
	int sys = sqlite3_system_errno(db);
	if (sys > 0)
		return sys;
	switch (rc) {
	case SQLITE_IOERR_READ:
	case SQLITE_IOERR_WRITE:
	case SQLITE_IOERR_FSYNC:
	case SQLITE_IOERR_DIR_FSYNC:
	case SQLITE_IOERR_TRUNCATE:
	case SQLITE_IOERR_FSTAT:
	case SQLITE_IOERR_SHMOPEN:
	case SQLITE_IOERR_SHMSIZE:
	case SQLITE_IOERR_SHMMAP:
	case SQLITE_CANTOPEN:
		return err;
	default:
		return 0;
	}
}

/* Records SQLite's message for a failed call, with what we were doing,
 * and for an I/O error the system's reason: "disk I/O error" alone does
 * not tell a file system remounted read-only from a failing disk. */
int store_fail(struct store *s, int rc, const char *what)
{
	int sys = system_reason(s->db, rc, errno);
	if (sys > 0)
		store_set_err(s, "%s: %s (%s)", what, sqlite3_errmsg(s->db),
		              strerror(sys));
	else
		store_set_err(s, "%s: %s", what, sqlite3_errmsg(s->db));
	int code = code_of(rc);
	s->full = code == STORE_EFULL;
	if (code == STORE_ECORRUPT)
		atomic_store(&damage_seen, true);
	return code;
}

bool store_damaged(void)
{
	return atomic_load(&damage_seen);
}

void store_damage_forget(void)
{
	atomic_store(&damage_seen, false);
}

static int code_of_cache(int rc)
{
	switch (rc) {
	case CACHE_ENEWER:
		return STORE_ENEWER;
	case CACHE_ENOTOURS:
		return STORE_ECORRUPT;
	case CACHE_ENOMEM:
		return STORE_ENOMEM;
	case CACHE_EIO:
		return STORE_EIO;
	case CACHE_EMOVED:
		return STORE_EMOVED;
	case CACHE_ECORRUPT:
		atomic_store(&damage_seen, true);
		return STORE_ECORRUPT;
	default:
		return STORE_EDB;
	}
}

void store_temp_beside(const char *path)
{
	char dir[PATH_MAX];
	if (cache_dir_of(dir, sizeof(dir), path) == 0)
		setenv("SQLITE_TMPDIR", dir, 1);
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	return store_open_bound(out, path, NULL, err, errlen);
}

int store_open_bound(struct store **out, const char *path,
                     const struct cache_file_id *id, char *err, size_t errlen)
{
	struct store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ENOMEM;
	}
	rc = id ? cache_open_rw_bound(&s->db, &s->found_version, path, id, err,
	                              errlen)
	        : cache_open_rw_from(&s->db, &s->found_version, path, err,
	                             errlen);
	if (rc < 0) {
		free(s);
		return code_of_cache(rc);
	}
	if ((rc = store_rows_register(s->db)) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		free(s);
		return code_of(rc);
	}
	*out = s;
	return STORE_OK;
}

int store_found_version(const struct store *s)
{
	return s->found_version;
}

void store_checkpoint_with(struct store *s, struct checkpointer *ck)
{
	checkpointer_attach(ck, s->db);
}

int store_wal_truncate(struct store *s)
{
	/* An exit must not wait long for a reader (mailmirror) to finish. */
	sqlite3_busy_timeout(s->db, 100);
	int rc = sqlite3_wal_checkpoint_v2(
	        s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(s->db, CACHE_BUSY_TIMEOUT_MS);
	return rc == SQLITE_OK ? STORE_OK
	                       : store_fail(s, rc, "emptying the WAL");
}

int store_wal_copy(struct store *s)
{
	int rc = sqlite3_wal_checkpoint_v2(
	        s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc == SQLITE_OK ? STORE_OK
	                       : store_fail(s, rc, "copying the WAL");
}

void store_close(struct store **sp)
{
	struct store *s = sp ? *sp : NULL;

	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	free(s);
	*sp = NULL;
}

const char *store_errmsg(const struct store *s)
{
	return s->err;
}

bool store_full(const struct store *s)
{
	return s->full;
}

/* The cached statement, reset and unbound, or NULL with the error set. */
sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id, int *rc)
{
	sqlite3_stmt *st = s->stmt[id];

	s->err[0] = '\0';
	if (st == NULL) {
		int r = sqlite3_prepare_v3(s->db, store_sql[id], -1,
		                           SQLITE_PREPARE_PERSISTENT,
		                           &s->stmt[id], NULL);
		if (r != SQLITE_OK) {
			*rc = store_fail(s, r, "preparing a statement");
			return NULL;
		}
		st = s->stmt[id];
	}
	return st;
}

/* Ends the use of a statement, so that it holds no read lock and no
 * copies of the caller's strings. */
void store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Not copied: every statement here is stepped and store_done() before its
 * caller returns, while the caller's strings live. Copying the 13 text
 * columns of a row was a tenth of the cost of storing it. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void store_bind_text_len(sqlite3_stmt *st, int i, const char *v, size_t len)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(st, i, v, len, SQLITE_STATIC, SQLITE_UTF8);
}

void store_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == STORE_NO_TIME)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

/* MODSEQ is an unsigned 63-bit number (RFC 7162 3.1.1: mod-sequence-value
 * is at most 2^63-1), so it fits SQLite's signed 64-bit integer. */
int store_check_modseq(struct store *s, uint64_t modseq)
{
	if (modseq > (uint64_t)INT64_MAX) {
		store_set_err(s, "mod-sequence %llu out of range",
		              (unsigned long long)modseq);
		return STORE_EINVAL;
	}
	return STORE_OK;
}

/* Runs a bound statement that returns no rows (or whose rows are not
 * needed); *changes gets sqlite3_changes() when not NULL. */
int store_run(struct store *s, sqlite3_stmt *st, const char *what, int *changes)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = store_fail(s, rc, what);
		store_done(st);
		return rc;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(s->db);
	store_done(st);
	return STORE_OK;
}

/* Runs a statement that returns one integer (RETURNING id, count(*)). */
int store_run_int(struct store *s, sqlite3_stmt *st, const char *what,
                  int64_t *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		store_set_err(s, "%s: not found", what);
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_fail(s, rc, what);
	}
	/* A RETURNING statement completes its write only when stepped to
	 * the end; reset does that, and reports a late failure. */
	if (sqlite3_reset(st) != SQLITE_OK && rc == STORE_OK)
		rc = store_fail(s, sqlite3_errcode(s->db), what);
	sqlite3_clear_bindings(st);
	return rc;
}

/* UPDATE ... WHERE id = ?1 with one more value; ENOTFOUND if no row. */
int store_update_one(struct store *s, sqlite3_stmt *st, int64_t row,
                     const char *what)
{
	int rc, changes = 0;

	sqlite3_bind_int64(st, 1, row);
	if ((rc = store_run(s, st, what, &changes)) < 0)
		return rc;
	if (changes == 0) {
		store_set_err(s, "%s: no row %lld", what, (long long)row);
		return STORE_ENOTFOUND;
	}
	return STORE_OK;
}

/* The statement that tells whether the row of a setter guarded by "IS
 * NOT ?2" exists, or ST_COUNT for a setter without the guard. */
static enum stmt_id exists_of(enum stmt_id id)
{
	switch (id) {
	case ST_ACCOUNT_STATE:
	case ST_ACCOUNT_ERROR:
		return ST_ACCOUNT_EXISTS;
	case ST_MAILBOX_LIVE:
	case ST_MAILBOX_ERROR:
	case ST_MAILBOX_PROGRESS:
		return ST_MAILBOX_EXISTS;
	default:
		return ST_COUNT;
	}
}

/* st (statement id) run for row: store_update_one, but a guarded setter
 * that changed nothing asks whether the row exists. */
int store_set_one(struct store *s, enum stmt_id id, sqlite3_stmt *st,
                  int64_t row, const char *what)
{
	int rc = store_update_one(s, st, row, what);
	enum stmt_id ex_id = exists_of(id);
	if (rc != STORE_ENOTFOUND || ex_id == ST_COUNT)
		return rc;
	sqlite3_stmt *ex = store_stmt(s, ex_id, &rc);
	int64_t one = 0;
	if (ex == NULL)
		return rc;
	sqlite3_bind_int64(ex, 1, row);
	rc = store_run_int(s, ex, what, &one);
	if (rc == STORE_ENOTFOUND)
		store_set_err(s, "%s: no row %lld", what, (long long)row);
	return rc;
}

int store_set_text(struct store *s, enum stmt_id id, int64_t row, const char *v,
                   const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, id, &rc);

	if (st == NULL)
		return rc;
	store_bind_text(st, 2, v);
	return store_set_one(s, id, st, row, what);
}

int store_set_int(struct store *s, enum stmt_id id, int64_t row, int64_t v,
                  const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, id, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, v);
	return store_set_one(s, id, st, row, what);
}

/* ------------------------------------------------------------ transactions */

int store_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, sql);
}

bool store_in_transaction(const struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int store_begin(struct store *s)
{
	if (store_in_transaction(s)) {
		store_set_err(s, "a transaction is already open");
		return STORE_EINVAL;
	}
	return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	if (!store_in_transaction(s)) {
		store_set_err(s, "commit without a transaction");
		return STORE_EINVAL;
	}
	return store_exec(s, "COMMIT");
}

int store_rollback(struct store *s)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL,
	 * SQLITE_IOERR, SQLITE_NOMEM during a statement). */
	if (!store_in_transaction(s))
		return STORE_OK;
	return store_exec(s, "ROLLBACK");
}
