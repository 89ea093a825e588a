/* fuzz_query.c - mailmirror's search syntax (query_fts_translate) on any
 * text, and the FTS5 query it makes run against an index of the cache's
 * columns and tokenizer.
 *
 * Checks beyond "no crash": a failure says why and makes no query; a
 * query made is one FTS5 accepts (else a user would meet SQLite's words
 * for our mistake); NOT (text) is text's query, negated; and the same
 * text as --literal words is never a bad query nor negated.
 */
#include "mailmirror/query.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *db;

static void setup(void)
{
	if (db != NULL)
		return;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db,
	                 "CREATE VIRTUAL TABLE t USING fts5(subject, "
	                 "from_addr, to_addr, cc_addr, body, tokenize = "
	                 "'unicode61 remove_diacritics 2');"
	                 "INSERT INTO t VALUES('Invoice 42', 'Ann "
	                 "<ann@example.org>', 'bob@example.org', NULL, "
	                 "'he said \"hi\" to me');"
	                 "INSERT INTO t VALUES('caf\xc3\xa9 AND OR NOT', "
	                 "'x@y.z', NULL, 'c@d.e', 'draft NEAR budget');",
	                 NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

/* FTS5 accepts fts (or finds it too large: a limit, not a mistake). */
static void runs(const char *fts)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1,
	                       &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE && !strstr(sqlite3_errmsg(db), "too large")) {
		fprintf(stderr, "FTS5 refused \"%s\": %s\n", fts,
		        sqlite3_errmsg(db));
		abort();
	}
	sqlite3_finalize(st);
}

static void negation_is_the_same_query(const char *text, const char *fts,
                                       bool neg)
{
	size_t n = strlen(text);
	char *w = malloc(n + 8), err[256], *fts2 = NULL;
	bool neg2;
	if (w == NULL)
		abort();
	snprintf(w, n + 8, "NOT (%s)", text);
	int rc = query_fts_translate(&fts2, &neg2, db, w, err, sizeof(err));
	/* one level deeper may pass the bound of nesting */
	if (rc == QUERY_OK && (strcmp(fts, fts2) != 0 || neg == neg2))
		abort();
	if (rc != QUERY_OK && !strstr(err, "nest"))
		abort();
	free(fts2);
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *fts = NULL;
	bool neg;

	if (size > 20000)
		return 0;
	setup();
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	int rc = query_fts_translate(&fts, &neg, db, text, err, sizeof(err));
	if (rc != QUERY_OK && (fts != NULL || err[0] == '\0'))
		abort();
	if (rc == QUERY_OK) {
		runs(fts);
		negation_is_the_same_query(text, fts, neg);
		free(fts);
	}

	const char *words[] = {text};
	char *lit = query_literal_text(words, 1);
	if (lit == NULL)
		abort();
	rc = query_fts_translate(&fts, &neg, db, lit, err, sizeof(err));
	if (rc == QUERY_BADQUERY || (rc == QUERY_OK && neg))
		abort();
	if (rc == QUERY_OK) {
		runs(fts);
		free(fts);
	}
	free(lit);
	free(text);
	return 0;
}
