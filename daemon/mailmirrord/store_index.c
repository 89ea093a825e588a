/* store_index.c - feeding the full-text index what waits for it (see
 * store.h, store_index_chunk). */
#include "mailmirrord/store_internal.h"

#include <stdio.h>

/* Runs one statement of a chunk, bound to the chunk's last id. */
static int chunk_step(struct store *s, enum stmt_id id, int64_t last,
                      const char *what, int *changes)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, id, &rc);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, last);
	return store_run(s, st, what, changes);
}

/* The last id of the next chunk of a queue (0: nothing waits): at most
 * max entries, and no more once those taken weigh max_bytes (0: no
 * limit), though always one. A chunk is one transaction, and a writer
 * waits for it, so it must stay short whatever the sizes; the entries are
 * read only as far as the chunk goes. *all tells whether the chunk is the
 * whole queue. */
static int chunk_end(struct store *s, enum stmt_id id, size_t max,
                     uint64_t max_bytes, int64_t *last, bool *all)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, id, &rc);
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)(max ? max : 1));
	uint64_t budget = max_bytes ? max_bytes : UINT64_MAX, taken = 0;
	size_t rows = 0;
	*last = 0;
	*all = false;
	while (taken < budget && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		int64_t len = sqlite3_column_int64(st, 1);
		*last = sqlite3_column_int64(st, 0);
		/* Saturating: sizes come from the server. */
		uint64_t l = len > 0 ? (uint64_t)len : 0;
		taken = l > UINT64_MAX - taken ? UINT64_MAX : taken + l;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = store_fail(s, rc, "finding what waits for the index");
	} else {
		/* Ended by the rows, not by the budget or the LIMIT. */
		*all = rc == SQLITE_DONE && rows < (max ? max : 1);
		rc = STORE_OK;
	}
	store_done(st);
	return rc;
}

/* One chunk of waiting messages, or else of waiting bodies, inside the
 * caller's transaction; *changes is how many were indexed. */
static int index_chunk(struct store *s, size_t max, uint64_t max_bytes,
                       int *changes)
{
	static const enum stmt_id body_steps[] = {
	        ST_BODY_FTS_FORGET, ST_BODY_FTS_ADD, ST_BODY_DEQUEUE};
	int64_t last = 0;
	bool all = false;
	int rc = chunk_end(s, ST_MSG_CHUNK_ROWS, max, max_bytes, &last, &all);
	const enum stmt_id msg_steps[] = {
	        ST_MSG_FTS_ADD, ST_MSG_BODIES_DEQUEUE,
	        all ? ST_MSG_DEQUEUE_ALL : ST_MSG_DEQUEUE};
	const enum stmt_id *steps = msg_steps;

	if (rc == STORE_OK && last == 0) {
		steps = body_steps;
		rc = chunk_end(s, ST_BODY_CHUNK_ROWS, max, max_bytes, &last,
		               &all);
	}
	*changes = 0;
	for (size_t i = 0; i < 3 && rc == STORE_OK && last > 0; i++)
		rc = chunk_step(s, steps[i], last, "indexing", changes);
	return rc;
}

int store_index_chunk(struct store *s, size_t max, uint64_t max_bytes,
                      size_t *indexed)
{
	int rc = STORE_OK, changes = 0;
	int64_t any = 0;
	sqlite3_stmt *st;

	*indexed = 0;
	/* Nothing waiting is the common case (every start looks): found
	 * without the write lock, which a sync starting beside it would
	 * wait for, a millisecond of busy sleep each time. */
	if ((st = store_stmt(s, ST_ANY_UNINDEXED, &rc)) == NULL ||
	    (rc = store_run_int(s, st, "looking for what waits for the index",
	                        &any)) < 0)
		return rc;
	if (!any)
		return STORE_OK;
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
	sqlite3_stmt *st = store_stmt(s, ST_UNINDEXED, &rc);

	if (st == NULL)
		return rc;
	if ((rc = store_run_int(s, st, "counting what waits for the index",
	                        &n)) == STORE_OK)
		*count = (uint64_t)n;
	return rc;
}

int store_index_merge(struct store *s, int pages, bool *more)
{
	char sql[96];
	/* A negative count merges segments of every level, as 'optimize'
	 * does at once; FTS5 says a step that changed fewer than two rows
	 * found nothing left to merge. */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO messages_fts (messages_fts, rank) "
	         "VALUES ('merge', %d)",
	         -(pages > 0 ? pages : 1));
	int before = sqlite3_total_changes(s->db);
	int rc = store_exec(s, sql);
	if (rc < 0)
		return rc;
	*more = sqlite3_total_changes(s->db) - before >= 2;
	return STORE_OK;
}
