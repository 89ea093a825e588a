/* words.c - FTS5's own tokenizer, asked whether text holds a word; see
 * words.h. The interface is SQLite's "Extending FTS5"
 * (https://sqlite.org/fts5.html#extending_fts5). */
#include "mailmirror/words.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

struct words {
	sqlite3 *own_db; /* the in-memory connection we opened, or NULL */
	fts5_tokenizer methods;
	Fts5Tokenizer *tokenizer;
};

/* The arguments of messages_fts's tokenizer (schema.c, migration 2): a
 * term is a word for the search exactly when it is one for the index. */
static const char *const cache_tokenizer_args[] = {"remove_diacritics", "2"};

/* FTS5 hands out its API only through an SQL function that fills in a
 * pointer bound with the type "fts5_api_ptr". NULL when this SQLite has
 * no FTS5. */
static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

static int create_tokenizer(struct words *w, sqlite3 *db, char *err,
                            size_t errlen)
{
	fts5_api *api = fts5_api_of(db);
	void *user_data = NULL;
	int rc;

	if (api == NULL) {
		snprintf(err, errlen,
		         "this SQLite has no full-text search "
		         "(FTS5)");
		return -1;
	}
	if (api->xFindTokenizer(api, "unicode61", &user_data, &w->methods) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "FTS5 has no unicode61 tokenizer");
		return -1;
	}
	rc = w->methods.xCreate(user_data, (const char **)cache_tokenizer_args,
	                        2, &w->tokenizer);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "creating the tokenizer: %s",
		         sqlite3_errstr(rc));
		w->tokenizer = NULL;
		return -1;
	}
	return 0;
}

int words_open(struct words **out, sqlite3 *db, char *err, size_t errlen)
{
	struct words *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (db == NULL) {
		if (sqlite3_open_v2(":memory:", &w->own_db,
		                    SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "opening SQLite: %s",
			         w->own_db ? sqlite3_errmsg(w->own_db)
			                   : "out of memory");
			words_close(&w);
			return -1;
		}
		db = w->own_db;
	}
	if (create_tokenizer(w, db, err, errlen) < 0) {
		words_close(&w);
		return -1;
	}
	*out = w;
	return 0;
}

/* The first token is enough: stop there. */
static int on_token(void *found, int tflags, const char *token, int ntoken,
                    int start, int end)
{
	(void)tflags, (void)token, (void)ntoken, (void)start, (void)end;
	*(bool *)found = true;
	return SQLITE_DONE;
}

int words_any(bool *found, struct words *w, const char *text, size_t n)
{
	int rc;

	*found = false;
	/* A single argument holds less than INT_MAX bytes; a longer text
	 * is judged by its start, which is words enough. */
	rc = w->methods.xTokenize(w->tokenizer, found, FTS5_TOKENIZE_QUERY,
	                          text, n > INT_MAX ? INT_MAX : (int)n,
	                          on_token);
	return rc == SQLITE_OK || rc == SQLITE_DONE ? 0 : -1;
}

void words_close(struct words **w)
{
	if (*w == NULL)
		return;
	if ((*w)->tokenizer != NULL)
		(*w)->methods.xDelete((*w)->tokenizer);
	sqlite3_close((*w)->own_db);
	free(*w);
	*w = NULL;
}
