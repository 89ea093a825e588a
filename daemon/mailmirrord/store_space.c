/* store_space.c - the cache's free pages, and giving them back (see
 * store.h, "Space"). */
#include "mailmirrord/store_internal.h"

#include <stdio.h>

/* The first column of a one-row PRAGMA. */
static int pragma_int(struct store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, sql);
}

int store_space(struct store *s, struct store_space *out)
{
	int64_t mode = 0;
	int rc;
	if ((rc = pragma_int(s, "PRAGMA page_size", &out->page_size)) < 0 ||
	    (rc = pragma_int(s, "PRAGMA page_count", &out->pages)) < 0 ||
	    (rc = pragma_int(s, "PRAGMA freelist_count", &out->free_pages)) <
	            0 ||
	    (rc = pragma_int(s, "PRAGMA auto_vacuum", &mode)) < 0)
		return rc;
	out->incremental = mode == 2;
	return STORE_OK;
}

int store_release_pages(struct store *s, int64_t pages)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)",
	         (long long)pages);
	/* The pragma frees one page per row it returns, and only as it is
	 * stepped: the whole of it is one write transaction. */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK
	                         : store_fail(s, rc, "giving back free space");
}

int store_vacuum(struct store *s)
{
	/* The full-text index keeps what it forgot (a dropped mailbox's
	 * words) as markers that only a merge with the segments holding
	 * them removes, and merges follow new text, not deletions: 93 MB of
	 * index for 21 messages after a 20,000-message mailbox went.
	 * 'optimize' merges it all into one segment first. The mode is
	 * stored by VACUUM: a cache made before auto_vacuum was set on new
	 * ones gives its space back in steps from now on. */
	int rc = sqlite3_exec(s->db,
	                      "INSERT INTO messages_fts (messages_fts) "
	                      "VALUES ('optimize');"
	                      "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;",
	                      NULL, NULL, NULL);
	return rc == SQLITE_OK ? STORE_OK
	                       : store_fail(s, rc, "rewriting the cache");
}
