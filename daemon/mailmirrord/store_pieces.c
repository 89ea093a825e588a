/* store_pieces.c - a body that comes in pieces, kept as it comes (see
 * store.h). */
#include "mailmirrord/store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_piece_add(struct store *s, int64_t mailbox, uint32_t uid,
                    const char *section, int64_t size, uint64_t offset,
                    const void *data, size_t len)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_PIECE_ADD, &rc);

	if (st == NULL)
		return rc;
	if (offset > (uint64_t)INT64_MAX || len > (size_t)INT32_MAX) {
		store_set_err(s, "keeping a piece of a body: out of range");
		return STORE_EINVAL;
	}
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_text(st, 3, section, -1, SQLITE_STATIC);
	if (size >= 0)
		sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_int64(st, 5, (int64_t)offset);
	sqlite3_bind_blob(st, 6, len ? data : "", (int)len, SQLITE_STATIC);
	return store_run(s, st, "keeping a piece of a body", NULL);
}

int store_pieces_drop(struct store *s, int64_t mailbox, uint32_t uid)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_PIECES_DROP, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	return store_run(s, st, "dropping the pieces of a body", NULL);
}

int store_pieces_any(struct store *s, int64_t mailbox, bool *any)
{
	int rc = STORE_OK;
	int64_t n = 0;
	sqlite3_stmt *st = store_stmt(s, ST_PIECES_ANY, &rc);

	*any = false;
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	rc = store_run_int(s, st, "looking for pieces of bodies", &n);
	*any = n != 0;
	return rc;
}

/* Appends the row's piece to *data when it goes on where *len ends and is
 * of section: 1 when it did, 0 when the pieces stop being usable there,
 * -1 out of memory. */
static int take_piece(sqlite3_stmt *st, const char *section, char **data,
                      size_t *len, int64_t *size)
{
	const char *sec = (const char *)sqlite3_column_text(st, 0);
	int64_t offset = sqlite3_column_int64(st, 2);
	const void *bytes = sqlite3_column_blob(st, 3);
	size_t n = (size_t)sqlite3_column_bytes(st, 3);

	if (!sec || strcmp(sec, section) != 0 || offset < 0 ||
	    (uint64_t)offset != *len || n == 0)
		return 0;
	if (*len == 0)
		*size = sqlite3_column_type(st, 1) == SQLITE_NULL
		                ? -1
		                : sqlite3_column_int64(st, 1);
	char *grown = realloc(*data, *len + n);
	if (!grown)
		return -1;
	memcpy(grown + *len, bytes, n);
	*data = grown;
	*len += n;
	return 1;
}

int store_pieces_load(struct store *s, int64_t mailbox, uint32_t uid,
                      const char *section, char **data, size_t *len,
                      int64_t *size)
{
	int rc = STORE_OK, r = 1;
	sqlite3_stmt *st = store_stmt(s, ST_PIECES_OF, &rc);

	*data = NULL;
	*len = 0;
	*size = -1;
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	bool rest = false; /* pieces that cannot be used */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (r == 1 &&
		    (r = take_piece(st, section, data, len, size)) < 1)
			rest = true;
	store_done(st);
	if (rc != SQLITE_DONE || r < 0) {
		free(*data);
		*data = NULL;
		*len = 0;
		if (r < 0) {
			store_set_err(s, "reading the pieces of a body: out "
			                 "of memory");
			return STORE_ENOMEM;
		}
		return store_fail(s, rc, "reading the pieces of a body");
	}
	if (!rest)
		return STORE_OK;
	/* Of another bodies setting, or after a gap: all go, and the body
	 * comes again from its first byte. */
	free(*data);
	*data = NULL;
	*len = 0;
	return store_pieces_drop(s, mailbox, uid);
}
