/* store.c - the daemon's writes to the cache (see store.h). */
#include "mailmirrord/store.h"

#include "cache/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* A flag list longer than this is refused: the sync engine's parser bounds
 * it already, and the limit keeps the sort below from becoming a way to
 * burn memory. */
#define STORE_FLAGS_MAX 65536

enum stmt_id {
	ST_ACCOUNT_UPSERT,
	ST_ACCOUNT_STATE,
	ST_ACCOUNT_ERROR,
	ST_ACCOUNT_LAST_SYNC,
	ST_ACCOUNT_CLEAR_LIVE,
	ST_MAILBOX_UPSERT,
	ST_MAILBOX_SAME,
	ST_MAILBOX_RELIST,
	ST_MAILBOX_FIND,
	ST_MAILBOX_GET_STATE,
	ST_MAILBOX_SET_STATE,
	ST_MAILBOX_RESET_ROW,
	ST_MAILBOX_DELETE,
	ST_MAILBOX_RENAME,
	ST_MAILBOX_EACH,
	ST_MAILBOX_LIVE,
	ST_MAILBOX_PROGRESS,
	ST_MAILBOX_ERROR,
	ST_MAILBOX_RECOUNT,
	ST_MAILBOX_RECOUNT_UNSEEN,
	ST_MESSAGE_UPSERT,
	ST_MESSAGE_INSERT,
	ST_MESSAGE_MAX_ID,
	ST_QUEUE_NEW,
	ST_NEW_UNSEEN,
	ST_BODY_INSERT,
	ST_MSG_CHUNK_END,
	ST_MSG_FTS_ADD,
	ST_MSG_BODIES_DEQUEUE,
	ST_MSG_DEQUEUE,
	ST_BODY_CHUNK_END,
	ST_BODY_FTS_FORGET,
	ST_BODY_FTS_ADD,
	ST_BODY_DEQUEUE,
	ST_UNINDEXED,
	ST_MESSAGE_FLAGS,
	ST_MESSAGE_DELETE,
	ST_MESSAGE_DELETE_RANGE,
	ST_MESSAGE_DELETE_ALL,
	ST_MESSAGE_EACH_UID,
	ST_MESSAGE_WITHOUT_BODY,
	ST_MESSAGE_COUNT,
	ST_MESSAGE_MAX_UID,
	ST_BODY_PUT,
	ST_BODY_CLEAR,
	ST_COUNT
};

/* What an envelope weighs in a chunk's byte budget: about its text. */
#define ENVELOPE_BYTES "512"

#define MSG_COLUMNS                                                            \
	"mailbox_id, uid, modseq, flags, internaldate, size, date, subject, "  \
	"from_addr, sender_addr, reply_to_addr, to_addr, cc_addr, bcc_addr, "  \
	"message_id, in_reply_to"

/* clang-format off */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_ACCOUNT_UPSERT] =
		"INSERT INTO accounts (name, host, user) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (name) DO UPDATE SET host = excluded.host, "
		"user = excluded.user RETURNING id",
	[ST_ACCOUNT_STATE] = "UPDATE accounts SET state = ?2 WHERE id = ?1",
	[ST_ACCOUNT_ERROR] =
		"UPDATE accounts SET last_error = ?2 WHERE id = ?1",
	[ST_ACCOUNT_LAST_SYNC] =
		"UPDATE accounts SET last_sync = ?2 WHERE id = ?1",
	[ST_ACCOUNT_CLEAR_LIVE] =
		"UPDATE mailboxes SET live = 0 WHERE account_id = ?1 AND live",
	[ST_MAILBOX_UPSERT] =
		"INSERT INTO mailboxes (account_id, name, delimiter, "
		"attributes, special_use) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (account_id, name) DO UPDATE SET "
		"delimiter = excluded.delimiter, "
		"attributes = excluded.attributes, "
		"special_use = excluded.special_use RETURNING id",
	[ST_MAILBOX_SAME] =
		"SELECT id, delimiter IS ?3 AND attributes = ?4 "
		"AND special_use IS ?5 FROM mailboxes "
		"WHERE account_id = ?1 AND name = ?2",
	[ST_MAILBOX_RELIST] =
		"UPDATE mailboxes SET delimiter = ?2, attributes = ?3, "
		"special_use = ?4 WHERE id = ?1",
	[ST_MAILBOX_FIND] =
		"SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2",
	[ST_MAILBOX_GET_STATE] =
		"SELECT uidvalidity, uidnext, highestmodseq, exists_count, "
		"unseen_count, last_sync FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_SET_STATE] =
		"UPDATE mailboxes SET uidvalidity = ?2, uidnext = ?3, "
		"highestmodseq = ?4, exists_count = ?5, unseen_count = ?6, "
		"last_sync = ?7 WHERE id = ?1",
	[ST_MAILBOX_RESET_ROW] =
		"UPDATE mailboxes SET uidvalidity = ?2, uidnext = 0, "
		"highestmodseq = 0, exists_count = 0, unseen_count = 0, "
		"sync_progress = 0, sync_total = 0 WHERE id = ?1",
	[ST_MAILBOX_DELETE] = "DELETE FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_RENAME] = "UPDATE mailboxes SET name = ?2 WHERE id = ?1",
	[ST_MAILBOX_EACH] = "SELECT id, name FROM mailboxes "
			    "WHERE account_id = ?1 ORDER BY name",
	[ST_MAILBOX_LIVE] = "UPDATE mailboxes SET live = ?2 WHERE id = ?1",
	[ST_MAILBOX_PROGRESS] = "UPDATE mailboxes SET sync_progress = ?2, "
				"sync_total = ?3 WHERE id = ?1",
	[ST_MAILBOX_ERROR] =
		"UPDATE mailboxes SET last_error = ?2 WHERE id = ?1",
	[ST_MAILBOX_RECOUNT] =
		"UPDATE mailboxes SET "
		"exists_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1), "
		"unseen_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1 AND seen = 0) "
		"WHERE id = ?1",
	[ST_MAILBOX_RECOUNT_UNSEEN] =
		"UPDATE mailboxes SET "
		"unseen_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1 AND seen = 0) "
		"WHERE id = ?1",
	[ST_MESSAGE_UPSERT] =
		"INSERT INTO messages (mailbox_id, uid, modseq, flags, "
		"internaldate, size, date, subject, from_addr, sender_addr, "
		"reply_to_addr, to_addr, cc_addr, bcc_addr, message_id, "
		"in_reply_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT (mailbox_id, uid) DO UPDATE SET "
		"modseq = excluded.modseq, flags = excluded.flags, "
		"internaldate = excluded.internaldate, size = excluded.size, "
		"date = excluded.date, subject = excluded.subject, "
		"from_addr = excluded.from_addr, "
		"sender_addr = excluded.sender_addr, "
		"reply_to_addr = excluded.reply_to_addr, "
		"to_addr = excluded.to_addr, cc_addr = excluded.cc_addr, "
		"bcc_addr = excluded.bcc_addr, "
		"message_id = excluded.message_id, "
		"in_reply_to = excluded.in_reply_to RETURNING id",
	/* The batch's common case, a UID not cached yet. A plain INSERT is
	 * half the work of the upsert for SQLite: no RETURNING table, and no
	 * update trigger compiled in, so no statement journal and no FTS5
	 * savepoint per row. A UID that is cached already fails here with a
	 * unique constraint and goes through the upsert. */
	[ST_MESSAGE_INSERT] =
		"INSERT INTO messages (" MSG_COLUMNS ") VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[ST_MESSAGE_MAX_ID] = "SELECT coalesce(max(id), 0) FROM messages",
	/* New rows wait for the indexer (store_index_chunk), one statement
	 * per batch: tokenising envelopes in the sync's transactions was a
	 * quarter of the CPU of a first sync. New rowids are above the largest
	 * one before the batch, so ?1 names exactly the batch's new rows. */
	[ST_QUEUE_NEW] =
		"INSERT INTO messages_unindexed (message_id) "
		"SELECT id FROM messages WHERE id > ?1",
	[ST_NEW_UNSEEN] =
		"SELECT count(*) FROM messages WHERE id > ?1 AND seen = 0",
	/* A body is stored unindexed (the trigger bodies_queue puts it in
	 * bodies_unindexed); store_index_chunk() indexes it later, off the
	 * path of the sync: tokenising text is most of the cost of a
	 * full-body sync. A plain INSERT per row, as for messages: no update
	 * trigger compiled in, and a UID cached already goes through the
	 * upsert. */
	[ST_BODY_INSERT] =
		"INSERT INTO bodies (message_id, headers, body, truncated) "
		"SELECT id, ?3, ?4, ?5 FROM messages "
		"WHERE mailbox_id = ?1 AND uid = ?2",
	/* A chunk of a queue is its entries up to the chunk's last id: at
	 * most ?1 of them, and while the messages before one add up to less
	 * than ?2 bytes (RFC822.SIZE, known without reading the bodies; an
	 * envelope alone counts as ENVELOPE_BYTES). A chunk is one
	 * transaction, and a writer waits for it, so it must stay short
	 * whatever the sizes. Each FTS5 statement writes one segment for the
	 * whole chunk. */
#define CHUNK_END(queue, len_expr, joins, filter)                              \
	"SELECT max(message_id) FROM (SELECT q.message_id, " len_expr          \
	" AS len, sum(" len_expr ") OVER (ORDER BY q.message_id ROWS "         \
	"UNBOUNDED PRECEDING) AS run FROM " queue " q LEFT JOIN messages m "    \
	"ON m.id = q.message_id " joins filter " ORDER BY q.message_id "       \
	"LIMIT ?1) WHERE run - len < ?2"
	/* A waiting message enters the index whole, with its body if it has
	 * one; that body leaves its own queue with it. */
	[ST_MSG_CHUNK_END] = CHUNK_END("messages_unindexed",
		"CASE WHEN b.message_id IS NULL THEN " ENVELOPE_BYTES
		" ELSE coalesce(m.size, 0) END",
		"LEFT JOIN bodies b ON b.message_id = q.message_id", ""),
	[ST_MSG_FTS_ADD] =
		"INSERT INTO messages_fts (rowid, subject, from_addr, to_addr, "
		"cc_addr, body) SELECT m.id, m.subject, m.from_addr, m.to_addr, "
		"m.cc_addr, b.body FROM messages_unindexed q "
		"JOIN messages m ON m.id = q.message_id "
		"LEFT JOIN bodies b ON b.message_id = q.message_id "
		"WHERE q.message_id <= ?1",
	[ST_MSG_BODIES_DEQUEUE] =
		"DELETE FROM bodies_unindexed WHERE message_id IN (SELECT "
		"message_id FROM messages_unindexed WHERE message_id <= ?1)",
	[ST_MSG_DEQUEUE] =
		"DELETE FROM messages_unindexed WHERE message_id <= ?1",
	/* A waiting body of an indexed message: the index forgets the
	 * message as shown without its body and learns it with it. Bodies
	 * of waiting messages are left to the message's chunk. */
#define BODY_OF_INDEXED                                                        \
	" NOT EXISTS (SELECT 1 FROM messages_unindexed u "                     \
	"WHERE u.message_id = q.message_id)"
	[ST_BODY_CHUNK_END] = CHUNK_END("bodies_unindexed",
		"coalesce(m.size, 0)", "", "WHERE" BODY_OF_INDEXED),
	[ST_BODY_FTS_FORGET] =
		"INSERT INTO messages_fts (messages_fts, rowid, subject, "
		"from_addr, to_addr, cc_addr, body) SELECT 'delete', m.id, "
		"m.subject, m.from_addr, m.to_addr, m.cc_addr, NULL "
		"FROM bodies_unindexed q JOIN messages m ON m.id = q.message_id "
		"WHERE q.message_id <= ?1 AND" BODY_OF_INDEXED,
	[ST_BODY_FTS_ADD] =
		"INSERT INTO messages_fts (rowid, subject, from_addr, to_addr, "
		"cc_addr, body) SELECT m.id, m.subject, m.from_addr, m.to_addr, "
		"m.cc_addr, b.body FROM bodies_unindexed q "
		"JOIN messages m ON m.id = q.message_id "
		"LEFT JOIN bodies b ON b.message_id = q.message_id "
		"WHERE q.message_id <= ?1 AND" BODY_OF_INDEXED,
	[ST_BODY_DEQUEUE] =
		"DELETE FROM bodies_unindexed AS q WHERE message_id <= ?1 AND"
		BODY_OF_INDEXED,
	/* Messages whose text is not yet all searchable. */
	[ST_UNINDEXED] =
		"SELECT (SELECT count(*) FROM messages_unindexed) + "
		"(SELECT count(*) FROM bodies_unindexed q WHERE" BODY_OF_INDEXED
		")",
	[ST_MESSAGE_FLAGS] =
		"UPDATE messages SET flags = ?3, "
		"modseq = CASE WHEN ?4 > 0 THEN ?4 ELSE modseq END "
		"WHERE mailbox_id = ?1 AND uid = ?2",
	[ST_MESSAGE_DELETE] =
		"DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2",
	[ST_MESSAGE_DELETE_RANGE] = "DELETE FROM messages WHERE mailbox_id = "
				    "?1 AND uid BETWEEN ?2 AND ?3",
	[ST_MESSAGE_DELETE_ALL] = "DELETE FROM messages WHERE mailbox_id = ?1",
	[ST_MESSAGE_EACH_UID] = "SELECT uid FROM messages WHERE mailbox_id = "
				"?1 ORDER BY uid",
	[ST_MESSAGE_WITHOUT_BODY] =
		"SELECT uid, size FROM messages m WHERE mailbox_id = ?1 "
		"AND uid >= ?2 AND NOT EXISTS (SELECT 1 FROM bodies WHERE message_id = m.id) "
		"ORDER BY uid",
	[ST_MESSAGE_COUNT] =
		"SELECT count(*) FROM messages WHERE mailbox_id = ?1",
	[ST_MESSAGE_MAX_UID] = "SELECT coalesce(max(uid), 0) FROM messages "
			       "WHERE mailbox_id = ?1",
	[ST_BODY_PUT] =
		"INSERT INTO bodies (message_id, headers, body, truncated) "
		"SELECT id, ?3, ?4, ?5 FROM messages "
		"WHERE mailbox_id = ?1 AND uid = ?2 "
		/* "WHERE true" resolves the parsing ambiguity of an upsert
		 * after a SELECT (sqlite.org/lang_upsert.html). */
		"AND true ON CONFLICT (message_id) DO UPDATE SET "
		"headers = excluded.headers, body = excluded.body, "
		"truncated = excluded.truncated",
	[ST_BODY_CLEAR] = "DELETE FROM bodies",
};
/* clang-format on */

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	char err[512];
};

__attribute__((format(printf, 2, 3))) static void set_err(struct store *s,
                                                          const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
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

/* Records SQLite's message for a failed call, with what we were doing. */
static int db_fail(struct store *s, int rc, const char *what)
{
	set_err(s, "%s: %s", what, sqlite3_errmsg(s->db));
	return code_of(rc);
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
	default:
		return STORE_EDB;
	}
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ENOMEM;
	}
	rc = cache_open_rw(&s->db, path, err, errlen);
	if (rc < 0) {
		free(s);
		return code_of_cache(rc);
	}
	*out = s;
	return STORE_OK;
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

/* The cached statement, reset and unbound, or NULL with the error set. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id, int *rc)
{
	sqlite3_stmt *st = s->stmt[id];

	s->err[0] = '\0';
	if (st == NULL) {
		int r = sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
		                           SQLITE_PREPARE_PERSISTENT,
		                           &s->stmt[id], NULL);
		if (r != SQLITE_OK) {
			*rc = db_fail(s, r, "preparing a statement");
			return NULL;
		}
		st = s->stmt[id];
	}
	return st;
}

/* Ends the use of a statement, so that it holds no read lock and no
 * copies of the caller's strings. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Not copied: every statement here is stepped and done() before its
 * caller returns, while the caller's strings live. Copying the 13 text
 * columns of a row was a tenth of the cost of storing it. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == STORE_NO_TIME)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

/* MODSEQ is an unsigned 63-bit number (RFC 7162 3.1.1: mod-sequence-value
 * is at most 2^63-1), so it fits SQLite's signed 64-bit integer. */
static int check_modseq(struct store *s, uint64_t modseq)
{
	if (modseq > (uint64_t)INT64_MAX) {
		set_err(s, "mod-sequence %llu out of range",
		        (unsigned long long)modseq);
		return STORE_EINVAL;
	}
	return STORE_OK;
}

/* Runs a bound statement that returns no rows (or whose rows are not
 * needed); *changes gets sqlite3_changes() when not NULL. */
static int run(struct store *s, sqlite3_stmt *st, const char *what,
               int *changes)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = db_fail(s, rc, what);
		done(st);
		return rc;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(s->db);
	done(st);
	return STORE_OK;
}

/* Runs a statement that returns one integer (RETURNING id, count(*)). */
static int run_int(struct store *s, sqlite3_stmt *st, const char *what,
                   int64_t *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		set_err(s, "%s: not found", what);
		rc = STORE_ENOTFOUND;
	} else {
		rc = db_fail(s, rc, what);
	}
	/* A RETURNING statement completes its write only when stepped to
	 * the end; reset does that, and reports a late failure. */
	if (sqlite3_reset(st) != SQLITE_OK && rc == STORE_OK)
		rc = db_fail(s, sqlite3_errcode(s->db), what);
	sqlite3_clear_bindings(st);
	return rc;
}

/* ------------------------------------------------------------ transactions */

static int exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : db_fail(s, rc, sql);
}

bool store_in_transaction(const struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int store_begin(struct store *s)
{
	if (store_in_transaction(s)) {
		set_err(s, "a transaction is already open");
		return STORE_EINVAL;
	}
	return exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	if (!store_in_transaction(s)) {
		set_err(s, "commit without a transaction");
		return STORE_EINVAL;
	}
	return exec(s, "COMMIT");
}

int store_rollback(struct store *s)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL,
	 * SQLITE_IOERR, SQLITE_NOMEM during a statement). */
	if (!store_in_transaction(s))
		return STORE_OK;
	return exec(s, "ROLLBACK");
}

/* --------------------------------------------------------------- accounts */

int store_account_upsert(int64_t *id, struct store *s, const char *name,
                         const char *host, const char *user)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_ACCOUNT_UPSERT, &rc);

	if (st == NULL)
		return rc;
	if (name == NULL || name[0] == '\0') {
		set_err(s, "an account needs a name");
		return STORE_EINVAL;
	}
	bind_text(st, 1, name);
	bind_text(st, 2, host ? host : "");
	bind_text(st, 3, user ? user : "");
	return run_int(s, st, "storing the account", id);
}

/* UPDATE ... WHERE id = ?1 with one more value; ENOTFOUND if no row. */
static int update_one(struct store *s, sqlite3_stmt *st, int64_t row,
                      const char *what)
{
	int rc, changes = 0;

	sqlite3_bind_int64(st, 1, row);
	if ((rc = run(s, st, what, &changes)) < 0)
		return rc;
	if (changes == 0) {
		set_err(s, "%s: no row %lld", what, (long long)row);
		return STORE_ENOTFOUND;
	}
	return STORE_OK;
}

static int set_text(struct store *s, enum stmt_id id, int64_t row,
                    const char *v, const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, id, &rc);

	if (st == NULL)
		return rc;
	bind_text(st, 2, v);
	return update_one(s, st, row, what);
}

static int set_int(struct store *s, enum stmt_id id, int64_t row, int64_t v,
                   const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, id, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, v);
	return update_one(s, st, row, what);
}

int store_account_set_state(struct store *s, int64_t account, const char *state)
{
	if (state == NULL) {
		set_err(s, "an account state cannot be NULL");
		return STORE_EINVAL;
	}
	return set_text(s, ST_ACCOUNT_STATE, account, state,
	                "setting the account state");
}

int store_account_set_error(struct store *s, int64_t account, const char *error)
{
	return set_text(s, ST_ACCOUNT_ERROR, account, error,
	                "setting the account error");
}

int store_account_set_last_sync(struct store *s, int64_t account, int64_t when)
{
	return set_int(s, ST_ACCOUNT_LAST_SYNC, account, when,
	               "setting the account sync time");
}

int store_account_clear_live(struct store *s, int64_t account)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_ACCOUNT_CLEAR_LIVE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	return run(s, st, "clearing live marks", NULL);
}

/* -------------------------------------------------------------- mailboxes */

int store_mailbox_upsert(int64_t *id, struct store *s, int64_t account,
                         const char *name, const char *delimiter,
                         const char *attributes, const char *special_use)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_UPSERT, &rc);

	if (st == NULL)
		return rc;
	if (name == NULL || name[0] == '\0') {
		set_err(s, "a mailbox needs a name");
		return STORE_EINVAL;
	}
	if (attributes == NULL)
		attributes = "";
	/* An upsert that hits an existing row makes SQLite check the
	 * foreign keys of every message of the mailbox; LIST runs often and
	 * mostly changes nothing, so look first and write only news. */
	sqlite3_stmt *same = stmt(s, ST_MAILBOX_SAME, &rc);
	if (same == NULL)
		return rc;
	sqlite3_bind_int64(same, 1, account);
	bind_text(same, 2, name);
	bind_text(same, 3, delimiter);
	bind_text(same, 4, attributes);
	bind_text(same, 5, special_use);
	int step = sqlite3_step(same);
	bool found = step == SQLITE_ROW;
	bool unchanged = found && sqlite3_column_int(same, 1);
	if (found)
		*id = sqlite3_column_int64(same, 0);
	sqlite3_reset(same);
	sqlite3_clear_bindings(same);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_fail(s, step, "looking up the mailbox");
	if (unchanged)
		return STORE_OK;
	if (found) {
		sqlite3_stmt *up = stmt(s, ST_MAILBOX_RELIST, &rc);
		if (up == NULL)
			return rc;
		sqlite3_bind_int64(up, 1, *id);
		bind_text(up, 2, delimiter);
		bind_text(up, 3, attributes);
		bind_text(up, 4, special_use);
		rc = sqlite3_step(up);
		sqlite3_reset(up);
		sqlite3_clear_bindings(up);
		return rc == SQLITE_DONE
		               ? STORE_OK
		               : db_fail(s, rc, "updating the mailbox");
	}
	sqlite3_bind_int64(st, 1, account);
	bind_text(st, 2, name);
	bind_text(st, 3, delimiter);
	bind_text(st, 4, attributes);
	bind_text(st, 5, special_use);
	rc = run_int(s, st, "storing the mailbox", id);
	/* The only failing constraint here is the account's foreign key. */
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		set_err(s, "storing mailbox %s: no account %lld", name,
		        (long long)account);
		rc = STORE_ENOTFOUND;
	}
	return rc;
}

int store_mailbox_find(int64_t *id, struct store *s, int64_t account,
                       const char *name)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_FIND, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	bind_text(st, 2, name);
	return run_int(s, st, "finding the mailbox", id);
}

int store_mailbox_get_state(struct store_mailbox_state *out, struct store *s,
                            int64_t mailbox)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_GET_STATE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->uidvalidity = (uint32_t)sqlite3_column_int64(st, 0);
		out->uidnext = (uint32_t)sqlite3_column_int64(st, 1);
		out->highestmodseq = (uint64_t)sqlite3_column_int64(st, 2);
		out->exists = (uint32_t)sqlite3_column_int64(st, 3);
		out->unseen = (uint32_t)sqlite3_column_int64(st, 4);
		out->last_sync = sqlite3_column_type(st, 5) == SQLITE_NULL
		                         ? STORE_NO_TIME
		                         : sqlite3_column_int64(st, 5);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		set_err(s, "no mailbox %lld", (long long)mailbox);
		rc = STORE_ENOTFOUND;
	} else {
		rc = db_fail(s, rc, "reading the mailbox state");
	}
	done(st);
	return rc;
}

int store_mailbox_set_state(struct store *s, int64_t mailbox,
                            const struct store_mailbox_state *in)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;

	if ((rc = check_modseq(s, in->highestmodseq)) < 0)
		return rc;
	if ((st = stmt(s, ST_MAILBOX_SET_STATE, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, in->uidvalidity);
	sqlite3_bind_int64(st, 3, in->uidnext);
	sqlite3_bind_int64(st, 4, (int64_t)in->highestmodseq);
	sqlite3_bind_int64(st, 5, in->exists);
	sqlite3_bind_int64(st, 6, in->unseen);
	bind_time(st, 7, in->last_sync);
	return update_one(s, st, mailbox, "setting the mailbox state");
}

int store_mailbox_reset(struct store *s, int64_t mailbox, uint32_t uidvalidity)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	bool own = !store_in_transaction(s);

	/* Both statements or neither: a cache holding old-epoch rows under
	 * the new UIDVALIDITY would show other messages under their UIDs. */
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	if ((st = stmt(s, ST_MESSAGE_DELETE_ALL, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, mailbox);
	if ((rc = run(s, st, "dropping the mailbox's messages", NULL)) < 0)
		goto fail;
	if ((st = stmt(s, ST_MAILBOX_RESET_ROW, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 2, uidvalidity);
	if ((rc = update_one(s, st, mailbox, "resetting the mailbox")) < 0)
		goto fail;
	if (own && (rc = store_commit(s)) < 0)
		goto fail;
	return STORE_OK;
fail:
	if (own)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_mailbox_delete(struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_DELETE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	return run(s, st, "deleting the mailbox", NULL);
}

int store_mailbox_rename(struct store *s, int64_t mailbox, const char *new_name)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_RENAME, &rc);

	if (st == NULL)
		return rc;
	if (new_name == NULL || new_name[0] == '\0') {
		set_err(s, "a mailbox needs a name");
		return STORE_EINVAL;
	}
	bind_text(st, 2, new_name);
	rc = update_one(s, st, mailbox, "renaming the mailbox");
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
		set_err(s, "renaming the mailbox: %s exists", new_name);
		rc = STORE_EEXIST;
	}
	return rc;
}

int store_mailbox_each(struct store *s, int64_t account, store_mailbox_cb *cb,
                       void *payload)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_EACH, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(payload, sqlite3_column_int64(st, 0),
		        (const char *)sqlite3_column_text(st, 1));
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(s, r, "listing mailboxes");
	done(st);
	return rc;
}

int store_mailbox_set_live(struct store *s, int64_t mailbox, bool live)
{
	return set_int(s, ST_MAILBOX_LIVE, mailbox, live,
	               "setting the live mark");
}

int store_mailbox_set_progress(struct store *s, int64_t mailbox,
                               uint32_t done_count, uint32_t total)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MAILBOX_PROGRESS, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, done_count);
	sqlite3_bind_int64(st, 3, total);
	return update_one(s, st, mailbox, "setting the sync progress");
}

int store_mailbox_set_error(struct store *s, int64_t mailbox, const char *error)
{
	return set_text(s, ST_MAILBOX_ERROR, mailbox, error,
	                "setting the mailbox error");
}

int store_mailbox_recount(struct store *s, int64_t mailbox, bool flags_only)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(
	        s, flags_only ? ST_MAILBOX_RECOUNT_UNSEEN : ST_MAILBOX_RECOUNT,
	        &rc);

	if (st == NULL)
		return rc;
	return update_one(s, st, mailbox, "counting the mailbox's messages");
}

/* --------------------------------------------------------------- messages */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The flags sorted bytewise, duplicates and extra spaces removed, in a
 * string the caller frees; NULL with the error set. Sorting makes equal
 * flag sets equal strings, whatever order the server sent. */
static char *normalise_flags(struct store *s, const char *flags, int *rc)
{
	size_t len = flags ? strlen(flags) : 0, n = 0, out_len = 0;
	char *copy, *res, **words, *save = NULL;

	if (len > STORE_FLAGS_MAX) {
		set_err(s, "flag list of %zu bytes refused", len);
		*rc = STORE_EINVAL;
		return NULL;
	}
	copy = malloc(len + 1);
	res = malloc(len + 1);
	/* A flag takes two bytes at least (one and a space). */
	words = malloc((len / 2 + 1) * sizeof(*words));
	if (copy == NULL || res == NULL || words == NULL) {
		free(copy);
		free(res);
		free(words);
		set_err(s, "out of memory");
		*rc = STORE_ENOMEM;
		return NULL;
	}
	memcpy(copy, flags ? flags : "", len + 1);
	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof(*words), cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t wl;

		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		wl = strlen(words[i]);
		if (out_len > 0)
			res[out_len++] = ' ';
		memcpy(res + out_len, words[i], wl);
		out_len += wl;
	}
	res[out_len] = '\0';
	free(words);
	free(copy);
	return res;
}

/* The 16 columns of a message row, in MSG_COLUMNS order; flags (already
 * normalised) is handed over to SQLite, which frees it. */
static void bind_msg(sqlite3_stmt *st, int64_t mailbox,
                     const struct store_msg *m, char *flags)
{
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_int64(st, 3, (int64_t)m->modseq);
	sqlite3_bind_text(st, 4, flags, -1, free);
	bind_time(st, 5, m->internaldate);
	if (m->size < 0)
		sqlite3_bind_null(st, 6);
	else
		sqlite3_bind_int64(st, 6, m->size);
	bind_time(st, 7, m->date);
	bind_text(st, 8, m->subject);
	bind_text(st, 9, m->from);
	bind_text(st, 10, m->sender);
	bind_text(st, 11, m->reply_to);
	bind_text(st, 12, m->to);
	bind_text(st, 13, m->cc);
	bind_text(st, 14, m->bcc);
	bind_text(st, 15, m->message_id);
	bind_text(st, 16, m->in_reply_to);
}

static int check_row(struct store *s, const struct store_msg *m)
{
	if (m->uid == 0) {
		set_err(s, "UID 0 is not a message");
		return STORE_EINVAL;
	}
	return check_modseq(s, m->modseq);
}

static int no_mailbox(struct store *s, int rc, const struct store_msg *m,
                      int64_t mailbox)
{
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		set_err(s, "storing UID %u: no mailbox %lld", m->uid,
		        (long long)mailbox);
		rc = STORE_ENOTFOUND;
	}
	return rc;
}

static int upsert_row(struct store *s, int64_t mailbox,
                      const struct store_msg *m, int64_t *id)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	char *flags;

	if ((rc = check_row(s, m)) < 0)
		return rc;
	if ((st = stmt(s, ST_MESSAGE_UPSERT, &rc)) == NULL)
		return rc;
	if ((flags = normalise_flags(s, m->flags, &rc)) == NULL)
		return rc;
	bind_msg(st, mailbox, m, flags);
	rc = run_int(s, st, "storing the message", id);
	return no_mailbox(s, rc, m, mailbox);
}

/* Inserts a row not cached yet, or updates the cached one. */
static int insert_row(struct store *s, int64_t mailbox,
                      const struct store_msg *m)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	char *flags;

	if ((rc = check_row(s, m)) < 0)
		return rc;
	if ((st = stmt(s, ST_MESSAGE_INSERT, &rc)) == NULL)
		return rc;
	if ((flags = normalise_flags(s, m->flags, &rc)) == NULL)
		return rc;
	bind_msg(st, mailbox, m, flags);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		done(st);
		return STORE_OK;
	}
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
		int64_t id;
		done(st);
		return upsert_row(s, mailbox, m, &id);
	}
	rc = no_mailbox(s, db_fail(s, step, "storing the message"), m, mailbox);
	done(st);
	return rc;
}

/* Stores rows and queues the new ones for the index, in one transaction
 * (the caller's when one is open). ids, when not NULL, gets each row's id;
 * added, when not NULL, what was new. */
static int upsert_rows(struct store *s, int64_t mailbox,
                       const struct store_msg *const *m, size_t n, int64_t *ids,
                       struct store_added *added)
{
	int rc = STORE_OK, queued = 0;
	int64_t before = 0, id = 0, unseen = 0;
	sqlite3_stmt *st;

	bool own = sqlite3_get_autocommit(s->db);
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	if ((st = stmt(s, ST_MESSAGE_MAX_ID, &rc)) != NULL)
		rc = run_int(s, st, "finding the last message", &before);
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		if (ids) {
			rc = upsert_row(s, mailbox, m[i], &id);
			ids[i] = id;
		} else {
			rc = insert_row(s, mailbox, m[i]);
		}
	}
	if (rc == STORE_OK && (st = stmt(s, ST_QUEUE_NEW, &rc)) != NULL) {
		sqlite3_bind_int64(st, 1, before);
		rc = run(s, st, "queueing the new messages for the index",
		         &queued);
	}
	if (rc == STORE_OK && added &&
	    (st = stmt(s, ST_NEW_UNSEEN, &rc)) != NULL) {
		sqlite3_bind_int64(st, 1, before);
		rc = run_int(s, st, "counting the new messages", &unseen);
	}
	if (own)
		rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	if (rc == STORE_OK && added)
		*added = (struct store_added){.rows = (uint32_t)queued,
		                              .unseen = (uint32_t)unseen};
	return rc;
}

int store_message_upsert_many(struct store *s, int64_t mailbox,
                              const struct store_msg *const *m, size_t n,
                              struct store_added *added)
{
	if (added)
		*added = (struct store_added){0};
	return n ? upsert_rows(s, mailbox, m, n, NULL, added) : STORE_OK;
}

int store_message_upsert(int64_t *id, struct store *s, int64_t mailbox,
                         const struct store_msg *m)
{
	int64_t row = 0;
	int rc = upsert_rows(s, mailbox, &m, 1, &row, NULL);
	if (rc == STORE_OK && id != NULL)
		*id = row;
	return rc;
}

int store_message_set_flags(struct store *s, int64_t mailbox, uint32_t uid,
                            const char *flags, uint64_t modseq)
{
	int rc = STORE_OK, changes = 0;
	sqlite3_stmt *st;
	char *norm;

	if ((rc = check_modseq(s, modseq)) < 0)
		return rc;
	if ((st = stmt(s, ST_MESSAGE_FLAGS, &rc)) == NULL)
		return rc;
	if ((norm = normalise_flags(s, flags, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_text(st, 3, norm, -1, free);
	sqlite3_bind_int64(st, 4, (int64_t)modseq);
	if ((rc = run(s, st, "setting flags", &changes)) < 0)
		return rc;
	if (changes == 0) {
		set_err(s, "setting flags: UID %u is not cached", uid);
		return STORE_ENOTFOUND;
	}
	return STORE_OK;
}

int store_message_delete(struct store *s, int64_t mailbox, uint32_t uid)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_MESSAGE_DELETE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	return run(s, st, "deleting the message", NULL);
}

int store_message_delete_range(uint64_t *deleted, struct store *s,
                               int64_t mailbox, uint32_t first, uint32_t last)
{
	int rc = STORE_OK, changes = 0;
	sqlite3_stmt *st;

	if (first == 0 || first > last) {
		set_err(s, "bad UID range %u:%u", first, last);
		return STORE_EINVAL;
	}
	if ((st = stmt(s, ST_MESSAGE_DELETE_RANGE, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	if ((rc = run(s, st, "deleting messages", &changes)) < 0)
		return rc;
	if (deleted != NULL)
		*deleted = (uint64_t)changes;
	return STORE_OK;
}

int store_message_each_uid(struct store *s, int64_t mailbox, store_uid_cb *cb,
                           void *payload)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = stmt(s, ST_MESSAGE_EACH_UID, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(payload, (uint32_t)sqlite3_column_int64(st, 0));
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(s, r, "listing UIDs");
	done(st);
	return rc;
}

int store_message_each_without_body(struct store *s, int64_t mailbox,
                                    uint32_t min_uid, store_uid_size_cb *cb,
                                    void *payload)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = stmt(s, ST_MESSAGE_WITHOUT_BODY, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, min_uid);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t size = sqlite3_column_type(st, 1) == SQLITE_NULL
		                       ? -1
		                       : sqlite3_column_int64(st, 1);
		rc = cb(payload, (uint32_t)sqlite3_column_int64(st, 0), size);
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_fail(s, r, "listing messages without a body");
	done(st);
	return rc;
}

int store_message_count(uint64_t *count, struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	int64_t n = 0;
	sqlite3_stmt *st = stmt(s, ST_MESSAGE_COUNT, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	if ((rc = run_int(s, st, "counting messages", &n)) == STORE_OK)
		*count = (uint64_t)n;
	return rc;
}

int store_message_max_uid(uint32_t *uid, struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	int64_t n = 0;
	sqlite3_stmt *st = stmt(s, ST_MESSAGE_MAX_UID, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	if ((rc = run_int(s, st, "finding the highest UID", &n)) == STORE_OK)
		*uid = (uint32_t)n;
	return rc;
}

static void bind_body(sqlite3_stmt *st, int64_t mailbox,
                      const struct store_body *b)
{
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, b->uid);
	bind_text(st, 3, b->headers);
	bind_text(st, 4, b->body);
	sqlite3_bind_int(st, 5, b->truncated);
}

/* Stores or replaces one body; *changes is 0 when the UID is not cached. */
static int upsert_body(struct store *s, int64_t mailbox,
                       const struct store_body *b, int *changes)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_BODY_PUT, &rc);

	if (st == NULL)
		return rc;
	bind_body(st, mailbox, b);
	return run(s, st, "storing the body", changes);
}

static int insert_body(struct store *s, int64_t mailbox,
                       const struct store_body *b)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_BODY_INSERT, &rc);

	if (st == NULL)
		return rc;
	bind_body(st, mailbox, b);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		done(st);
		return STORE_OK;
	}
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
		done(st);
		return upsert_body(s, mailbox, b, NULL);
	}
	rc = db_fail(s, step, "storing the body");
	done(st);
	return rc;
}

int store_body_put(struct store *s, int64_t mailbox, uint32_t uid,
                   const char *headers, const char *body, bool truncated)
{
	struct store_body b = {.uid = uid,
	                       .headers = headers,
	                       .body = body,
	                       .truncated = truncated};
	int changes = 0;
	int rc = upsert_body(s, mailbox, &b, &changes);

	if (rc == STORE_OK && changes == 0) {
		set_err(s, "storing the body: UID %u is not cached", uid);
		return STORE_ENOTFOUND;
	}
	return rc;
}

int store_body_put_many(struct store *s, int64_t mailbox,
                        const struct store_body *v, size_t n)
{
	int rc = STORE_OK;

	if (n == 0)
		return STORE_OK;
	bool own = sqlite3_get_autocommit(s->db);
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = insert_body(s, mailbox, &v[i]);
	if (own)
		rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	return rc;
}

/* Runs one statement of a chunk, bound to the chunk's last id. */
static int chunk_step(struct store *s, enum stmt_id id, int64_t last,
                      const char *what, int *changes)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, id, &rc);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, last);
	return run(s, st, what, changes);
}

/* The last id of the next chunk of a queue (0: nothing waits). */
static int chunk_end(struct store *s, enum stmt_id id, size_t max,
                     uint64_t max_bytes, int64_t *last)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, id, &rc);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)(max ? max : 1));
	sqlite3_bind_int64(st, 2,
	                   max_bytes && max_bytes < INT64_MAX
	                           ? (int64_t)max_bytes
	                           : INT64_MAX);
	/* max() of nothing is NULL, read as 0: nothing waits. */
	return run_int(s, st, "finding what waits for the index", last);
}

/* One chunk of waiting messages, or else of waiting bodies, inside the
 * caller's transaction; *changes is how many were indexed. */
static int index_chunk(struct store *s, size_t max, uint64_t max_bytes,
                       int *changes)
{
	static const enum stmt_id msg_steps[] = {
	        ST_MSG_FTS_ADD, ST_MSG_BODIES_DEQUEUE, ST_MSG_DEQUEUE};
	static const enum stmt_id body_steps[] = {
	        ST_BODY_FTS_FORGET, ST_BODY_FTS_ADD, ST_BODY_DEQUEUE};
	const enum stmt_id *steps = msg_steps;
	int64_t last = 0;
	int rc = chunk_end(s, ST_MSG_CHUNK_END, max, max_bytes, &last);

	if (rc == STORE_OK && last == 0) {
		steps = body_steps;
		rc = chunk_end(s, ST_BODY_CHUNK_END, max, max_bytes, &last);
	}
	*changes = 0;
	for (size_t i = 0; i < 3 && rc == STORE_OK && last > 0; i++)
		rc = chunk_step(s, steps[i], last, "indexing", changes);
	return rc;
}

int store_index_chunk(struct store *s, size_t max, uint64_t max_bytes,
                      size_t *indexed)
{
	int rc, changes = 0;

	*indexed = 0;
	if ((rc = store_begin(s)) < 0)
		return rc;
	rc = index_chunk(s, max, max_bytes, &changes);
	rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	if (rc == STORE_OK)
		*indexed = (size_t)changes;
	return rc;
}

int store_index_waiting(uint64_t *count, struct store *s)
{
	int64_t n = 0;
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_UNINDEXED, &rc);

	if (st == NULL)
		return rc;
	if ((rc = run_int(s, st, "counting what waits for the index", &n)) ==
	    STORE_OK)
		*count = (uint64_t)n;
	return rc;
}

int store_body_clear_all(struct store *s)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = stmt(s, ST_BODY_CLEAR, &rc);

	if (st == NULL)
		return rc;
	return run(s, st, "deleting bodies", NULL);
}
