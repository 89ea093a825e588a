/* cache_peek.h - what a cache holds, read from a connection of the test's
 * own (so that the store's view is not what is being checked). Each
 * function fails the running criterion test when the file cannot be read.
 */
#ifndef TESTS_DAEMON_CACHE_PEEK_H
#define TESTS_DAEMON_CACHE_PEEK_H

/* The first column of the first row of sql, or -1 without a row. */
long long peek_int(const char *path, const char *sql);

/* The same as text, malloc'ed; NULL without a row or for NULL. */
char *peek_text(const char *path, const char *sql);

/* PRAGMA integrity_check, and the full-text index compared with its
 * content (rank = 1 makes FTS5 check against the external content too). */
void assert_cache_consistent(const char *path);

#endif
