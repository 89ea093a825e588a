/* fuzz_query.c - mailmirror's search syntax (query_match_translate) on
 * any text, and the FTS5 query or SQL condition it makes run against an
 * index of the cache's columns and tokenizer.
 *
 * Checks beyond "no crash": a failure says why and makes no query; a
 * query made is one FTS5 (SQLite) accepts (else a user would meet
 * SQLite's words for our mistake); NOT (text) is text's query, negated;
 * and the same text as --literal words is never a bad query nor negated.
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
	                 "CREATE TABLE messages(id INTEGER PRIMARY KEY, "
	                 "subject, from_addr, to_addr, cc_addr, body);"
	                 "CREATE VIEW message_text AS SELECT * FROM "
	                 "messages;"
	                 "CREATE VIRTUAL TABLE messages_fts USING "
	                 "fts5(subject, from_addr, to_addr, cc_addr, body, "
	                 "content = 'message_text', content_rowid = 'id', "
	                 "tokenize = 'unicode61 remove_diacritics 2');"
	                 "INSERT INTO messages VALUES(1, 'Invoice 42', 'Ann "
	                 "<ann@example.org>', 'bob@example.org', NULL, "
	                 "'he said \"hi\" to me');"
	                 "INSERT INTO messages VALUES(2, "
	                 "'caf\xc3\xa9 AND OR NOT', 'x@y.z', NULL, 'c@d.e', "
	                 "'draft NEAR budget \xe6\x98\x8e\xe6\x97\xa5');"
	                 "INSERT INTO messages_fts (messages_fts) "
	                 "VALUES('rebuild');",
	                 NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

/* FTS5 (SQLite) accepts m (or finds it too large: a limit, not a
 * mistake); -1 then, else the number of messages it matches. */
static int runs(const struct query_match *m)
{
	sqlite3_stmt *st;
	char *sql = m->sql ? sqlite3_mprintf("SELECT id FROM messages m WHERE "
	                                     "%s",
	                                     m->sql)
	                   : sqlite3_mprintf("SELECT rowid FROM messages_fts "
	                                     "WHERE messages_fts MATCH ?");
	int rc, rows = 0;

	if (sql == NULL)
		abort();
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK && strstr(sqlite3_errmsg(db), "too large"))
		return -1;
	if (rc != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, m->fts, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rows++;
	if (rc != SQLITE_DONE && !strstr(sqlite3_errmsg(db), "too large")) {
		fprintf(stderr, "SQLite refused \"%s\": %s\n",
		        m->sql ? m->sql : m->fts, sqlite3_errmsg(db));
		abort();
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? rows : -1;
}

static void negation_is_the_same_query(const char *text,
                                       const struct query_match *m, int rows)
{
	size_t n = strlen(text);
	char *w = malloc(n + 8), err[256];
	struct query_match m2;
	if (w == NULL)
		abort();
	snprintf(w, n + 8, "NOT (%s)", text);
	int rc = query_match_translate(&m2, db, w, err, sizeof(err));
	/* one level deeper may pass the bound of nesting */
	if (rc == QUERY_OK && m->fts &&
	    (!m2.fts || strcmp(m->fts, m2.fts) != 0 ||
	     m->negated == m2.negated))
		abort();
	/* the messages the SQL leaves out, of the two */
	int rows2 = rc == QUERY_OK && m->sql ? runs(&m2) : -1;
	if (rows >= 0 && rows2 >= 0 && rows + rows2 != 2)
		abort();
	if (rc != QUERY_OK && !strstr(err, "nest"))
		abort();
	query_match_clear(&m2);
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct query_match m;

	if (size > 20000)
		return 0;
	setup();
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	int rc = query_match_translate(&m, db, text, err, sizeof(err));
	if (rc != QUERY_OK && (m.fts != NULL || m.sql != NULL || !err[0]))
		abort();
	if (rc == QUERY_OK)
		negation_is_the_same_query(text, &m, runs(&m));
	query_match_clear(&m);

	const char *words[] = {text};
	char *lit = query_literal_text(words, 1);
	if (lit == NULL)
		abort();
	rc = query_match_translate(&m, db, lit, err, sizeof(err));
	if (rc == QUERY_BADQUERY || (rc == QUERY_OK && m.negated))
		abort();
	if (rc == QUERY_OK)
		runs(&m);
	query_match_clear(&m);
	free(lit);
	free(text);
	return 0;
}
