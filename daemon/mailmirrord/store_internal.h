/* store_internal.h - what the files of the store share: the connection,
 * its prepared statements and the helpers that run them. Not for the rest
 * of the daemon, which sees store.h only.
 *
 * Every statement is prepared once (store_stmt), stepped, and done with
 * (store_done) before the function that bound it returns: bound strings
 * are not copied (store_bind_text), so they must outlive only that call.
 * Errors follow store.h: a STORE_E* code, and the message in s->err.
 */
#ifndef MAILMIRRORD_STORE_INTERNAL_H
#define MAILMIRRORD_STORE_INTERNAL_H

#include "mailmirrord/store.h"

#include <sqlite3.h>
#include <stdint.h>

enum stmt_id {
	ST_ACCOUNT_UPSERT,
	ST_ACCOUNT_SAME_SERVER,
	ST_ACCOUNT_DROP_MESSAGES,
	ST_ACCOUNT_DROP_MAILBOXES,
	ST_ACCOUNT_FORGET,
	ST_ACCOUNT_STATE,
	ST_ACCOUNT_EXISTS,
	ST_MAILBOX_EXISTS,
	ST_ACCOUNT_ERROR,
	ST_ACCOUNT_LAST_SYNC,
	ST_ACCOUNT_CLEAR_LIVE,
	ST_ACCOUNT_CLEAR_RUN,
	ST_ACCOUNT_EACH,
	ST_ACCOUNT_DELETE,
	ST_ACCOUNT_SOME_MAILBOX,
	ST_MESSAGE_DELETE_SOME,
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
	ST_MAILBOX_LAST_SYNC,
	ST_MAILBOX_PROGRESS,
	ST_MAILBOX_ERROR,
	ST_MAILBOX_GET_ERROR,
	ST_MAILBOX_DELIMITER,
	ST_MAILBOX_RECOUNT,
	ST_MAILBOX_RECOUNT_UNSEEN,
	ST_MESSAGE_UPSERT,
	ST_MESSAGE_INSERT,
	ST_MESSAGE_INSERT_ALL,
	ST_MESSAGE_MAX_ID,
	ST_QUEUE_NEW,
	ST_NEW_UNSEEN,
	ST_BODY_INSERT,
	ST_BODY_QUEUE,
	ST_MSG_CHUNK_ROWS,
	ST_MSG_FTS_ADD,
	ST_MSG_BODIES_DEQUEUE,
	ST_MSG_DEQUEUE,
	ST_MSG_DEQUEUE_ALL,
	ST_BODY_CHUNK_ROWS,
	ST_BODY_FTS_FORGET,
	ST_BODY_FTS_ADD,
	ST_BODY_DEQUEUE,
	ST_UNINDEXED,
	ST_ANY_UNINDEXED,
	ST_MESSAGE_FLAGS_KEEP_SEEN,
	ST_MESSAGE_FLAGS,
	ST_MESSAGE_DELETE,
	ST_MESSAGE_DELETE_RANGE,
	ST_MESSAGE_DELETE_ALL,
	ST_MESSAGE_FORGET_MODSEQS,
	ST_MESSAGE_EACH_UID,
	ST_MESSAGE_WITHOUT_BODY,
	ST_MESSAGE_MAX_UID,
	ST_MESSAGE_SAMPLE,
	ST_MESSAGE_ID_OF,
	ST_MESSAGE_SET_SIZE,
	ST_MESSAGE_MODSEQ_OF,
	ST_MESSAGE_FILL_ENVELOPE,
	ST_BODY_PUT,
	ST_BODY_TRIM_ALL,
	ST_BODY_TRIM_TEXT,
	ST_PIECE_ADD,
	ST_PIECES_OF,
	ST_PIECES_DROP,
	ST_PIECES_ANY,
	ST_COUNT
};

/* The SQL of each statement (store_sql.c). */
extern const char *const store_sql[ST_COUNT];

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	char err[512];
	bool full; /* err is SQLite's SQLITE_FULL (store_full) */
	int found_version; /* the schema version store_open found */
};

/* Sets s->err (and clears s->full: store_fail sets it). */
void store_set_err(struct store *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Records SQLite's message for a failed call rc, with what we were doing;
 * the STORE_E* code for rc. */
int store_fail(struct store *s, int rc, const char *what);

/* The prepared statement id, or NULL with *rc and the error set. */
sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id, int *rc);

/* Ends the use of a statement: no read lock held, no bound value kept. */
void store_done(sqlite3_stmt *st);

/* Binds text (NULL as NULL), not copied; a time (STORE_NO_TIME as NULL). */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* The same, for a string of len bytes (no NUL among them). */
void store_bind_text_len(sqlite3_stmt *st, int i, const char *v, size_t len);
void store_bind_time(sqlite3_stmt *st, int i, int64_t t);

/* STORE_EINVAL for a MODSEQ SQLite cannot hold. */
int store_check_modseq(struct store *s, uint64_t modseq);

/* Steps a statement to its end and is done with it; *changes (if not
 * NULL) is how many rows it changed. */
int store_run(struct store *s, sqlite3_stmt *st, const char *what,
              int *changes);

/* Runs a statement that returns one integer (RETURNING id, count(*)):
 * STORE_ENOTFOUND when it returns no row. */
int store_run_int(struct store *s, sqlite3_stmt *st, const char *what,
                  int64_t *out);

/* Runs SQL without results (BEGIN, COMMIT). */
int store_exec(struct store *s, const char *sql);

/* Runs UPDATE ... WHERE id = ?1 (with ?2 bound as text or number for the
 * last two): STORE_ENOTFOUND if there is no row. A statement of accounts
 * or mailboxes that also says "AND column IS NOT ?2" writes nothing when
 * the value is the same (SQLite writes a row it updates, equal or not, and
 * each such write was a commit of its own: the state, the error and the
 * live mark of every mailbox at every pass); when it changed no row,
 * whether the row exists is asked (store.c, exists_of). */
int store_update_one(struct store *s, sqlite3_stmt *st, int64_t row,
                     const char *what);
int store_set_text(struct store *s, enum stmt_id id, int64_t row, const char *v,
                   const char *what);
int store_set_int(struct store *s, enum stmt_id id, int64_t row, int64_t v,
                  const char *what);
/* st, the statement id of a guarded setter, its values bound past ?1, run
 * for row as those two do. */
int store_set_one(struct store *s, enum stmt_id id, sqlite3_stmt *st,
                  int64_t row, const char *what);

/* ---- a batch of rows as a table (store_rows.c) */

/* The rows a statement reads from store_rows(?), bound with
 * sqlite3_bind_pointer(st, i, rows, STORE_ROWS_POINTER, NULL): message
 * m[i] with its normalised flags flags[i]. Borrowed: the rows must live
 * until the statement is done with (store_done). */
struct store_rows {
	const struct store_msg *const *m;
	const char *const *flags;
	size_t n;
};
#define STORE_ROWS_POINTER "mailmirrord.store_rows"

/* Makes store_rows available on db (once, when the store opens). An
 * SQLite result code. */
int store_rows_register(sqlite3 *db);

#endif
