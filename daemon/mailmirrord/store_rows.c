/* store_rows.c - a batch of message rows as a table SQLite reads from, so
 * that one INSERT ... SELECT stores a whole batch (see store_internal.h).
 *
 * Why: the system's SQLite is built without lookaside memory (Debian's
 * SQLITE_OMIT_LOOKASIDE), so every run of a statement allocates a cursor
 * per index and its record buffers with malloc, and frees them when it
 * ends; and a new cursor finds its place in each index from the root,
 * where one left open after the last row finds it at once. Once per row,
 * that was a third of the writer's instructions in a first sync (20,000
 * messages: 728 M, 462 M once per batch).
 *
 * The table is eponymous and read-only: store_rows(?) with the batch bound
 * by sqlite3_bind_pointer() under STORE_ROWS_POINTER, which SQL text can
 * neither make nor read. Without that binding it has no rows. */
#include "mailmirrord/store_internal.h"

#include <stdlib.h>

/* The columns, in the order of the CREATE TABLE below; the hidden one
 * takes the batch. */
enum rows_column {
	COL_UID,
	COL_MODSEQ,
	COL_FLAGS,
	COL_INTERNALDATE,
	COL_SIZE,
	COL_DATE,
	COL_SUBJECT,
	COL_FROM,
	COL_SENDER,
	COL_REPLY_TO,
	COL_TO,
	COL_CC,
	COL_BCC,
	COL_MESSAGE_ID,
	COL_IN_REPLY_TO,
	COL_BATCH,
};

struct rows_cursor {
	sqlite3_vtab_cursor base; /* first: SQLite casts */
	const struct store_rows *rows;
	size_t i;
};

static int rows_connect(sqlite3 *db, void *aux, int argc,
                        const char *const *argv, sqlite3_vtab **out, char **err)
{
	(void)aux, (void)argc, (void)argv, (void)err;
	int rc = sqlite3_declare_vtab(
	        db, "CREATE TABLE x (uid, modseq, flags, internaldate, size, "
	            "date, subject, from_addr, sender_addr, reply_to_addr, "
	            "to_addr, cc_addr, bcc_addr, message_id, in_reply_to, "
	            "batch HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	/* Only for the store's own statements: not in a trigger or a view
	 * that a cache file could bring along. */
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	*out = sqlite3_malloc(sizeof(**out));
	if (*out == NULL)
		return SQLITE_NOMEM;
	**out = (sqlite3_vtab){0};
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* The only plan: the batch given as store_rows(?), read in order. A scan
 * without it is refused rather than planned as an empty table. */
static int rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c =
		        &info->aConstraint[i];
		if (c->iColumn != COL_BATCH ||
		    c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = 1;
		info->aConstraintUsage[i].omit = 1;
		info->estimatedCost = 1;
		info->orderByConsumed = 0;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT;
}

static int rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	(void)vt;
	struct rows_cursor *c = sqlite3_malloc(sizeof(*c));
	if (c == NULL)
		return SQLITE_NOMEM;
	*c = (struct rows_cursor){0};
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str,
                       int argc, sqlite3_value **argv)
{
	(void)idx, (void)idx_str;
	struct rows_cursor *c = (struct rows_cursor *)cur;
	c->rows = argc == 1 ? sqlite3_value_pointer(argv[0], STORE_ROWS_POINTER)
	                    : NULL;
	c->i = 0;
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
	((struct rows_cursor *)cur)->i++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
	const struct rows_cursor *c = (const struct rows_cursor *)cur;
	return c->rows == NULL || c->i >= c->rows->n;
}

static void result_text(sqlite3_context *ctx, const char *v)
{
	if (v == NULL)
		sqlite3_result_null(ctx);
	else /* the batch outlives the statement's run (store_rows) */
		sqlite3_result_text(ctx, v, -1, SQLITE_STATIC);
}

static void result_time(sqlite3_context *ctx, int64_t t)
{
	if (t == STORE_NO_TIME)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, t);
}

/* The same values as bind_msg (store_message.c) binds for one row. */
static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct rows_cursor *c = (const struct rows_cursor *)cur;
	const struct store_msg *m = c->rows->m[c->i];

	switch ((enum rows_column)col) {
	case COL_UID:
		sqlite3_result_int64(ctx, m->uid);
		break;
	case COL_MODSEQ:
		sqlite3_result_int64(ctx, (int64_t)m->modseq);
		break;
	case COL_FLAGS:
		result_text(ctx, c->rows->flags[c->i]);
		break;
	case COL_INTERNALDATE:
		result_time(ctx, m->internaldate);
		break;
	case COL_SIZE:
		if (m->size < 0)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_int64(ctx, m->size);
		break;
	case COL_DATE:
		result_time(ctx, m->date);
		break;
	case COL_SUBJECT:
		result_text(ctx, m->subject);
		break;
	case COL_FROM:
		result_text(ctx, m->from);
		break;
	case COL_SENDER:
		result_text(ctx, m->sender);
		break;
	case COL_REPLY_TO:
		result_text(ctx, m->reply_to);
		break;
	case COL_TO:
		result_text(ctx, m->to);
		break;
	case COL_CC:
		result_text(ctx, m->cc);
		break;
	case COL_BCC:
		result_text(ctx, m->bcc);
		break;
	case COL_MESSAGE_ID:
		result_text(ctx, m->message_id);
		break;
	case COL_IN_REPLY_TO:
		result_text(ctx, m->in_reply_to);
		break;
	case COL_BATCH:
		sqlite3_result_null(ctx);
		break;
	}
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct rows_cursor *)cur)->i + 1;
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
        .iVersion = 0,
        .xCreate = NULL, /* eponymous only: never a table in the file */
        .xConnect = rows_connect,
        .xBestIndex = rows_best_index,
        .xDisconnect = rows_disconnect,
        .xOpen = rows_open,
        .xClose = rows_close,
        .xFilter = rows_filter,
        .xNext = rows_next,
        .xEof = rows_eof,
        .xColumn = rows_column,
        .xRowid = rows_rowid,
};

int store_rows_register(sqlite3 *db)
{
	return sqlite3_create_module_v2(db, "store_rows", &rows_module, NULL,
	                                NULL);
}
