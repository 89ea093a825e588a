/* words.h - whether search text holds a word the full-text index knows.
 *
 * The cache's index splits text with FTS5's unicode61 tokenizer: letters
 * and digits make words, everything else separates them, emoji, dashes and
 * other symbols included. A search term without a word can only match
 * nothing, so the parser leaves it out (parse.c); which terms those are is
 * asked of that same tokenizer, so that the answer follows SQLite's
 * Unicode tables rather than a copy of them.
 */
#ifndef MAILMIRROR_WORDS_H
#define MAILMIRROR_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

struct words;

/* Creates the tokenizer, configured as the cache's (schema.c). db is the
 * connection whose FTS5 provides it and must stay open until words_close;
 * NULL: a private in-memory connection is opened (and closed by
 * words_close). 0, or -1 with the reason in err. */
int words_open(struct words **out, sqlite3 *db, char *err, size_t errlen);

/* Sets *found to whether text[0..n) holds at least one word. 0, or -1 if
 * the tokenizer failed (out of memory). */
int words_any(bool *found, struct words *w, const char *text, size_t n);

/* Frees *w and sets it to NULL; NULL is a no-op. */
void words_close(struct words **w);

#endif
