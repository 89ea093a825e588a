/* words.h - whether search text holds a word the full-text index knows.
 *
 * The cache's index splits text with FTS5's unicode61 tokenizer: letters
 * and digits make words, everything else separates them, emoji, dashes and
 * other symbols included. A search term without a word can only match
 * nothing, so the parser leaves it out or, for emoji, matches it as text
 * (parse.c); which terms those are is
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

/* Whether text[0..n) holds a character of a script written without
 * spaces between its words, or with particles attached to them: Han,
 * Hiragana, Katakana, Bopomofo, Hangul. The tokenizer makes a run of them
 * one word ("明日の会議について"), so that a word inside the run
 * ("会議") is found by no FTS5 query; such a term is matched as a
 * substring instead (parse.c). Invalid UTF-8 is skipped. */
bool words_cjk(const char *text, size_t n);

/* Sets *out to a LIKE pattern (escape character '\') that matches text
 * holding text[0..n)'s words, as written, in this order, with anything
 * before, between and after them: "%w1%w2%". The words are the
 * tokenizer's, so punctuation and spaces in text separate them; LIKE
 * ignores the case of ASCII letters only. *out is NULL when text holds no
 * word; else the caller frees it with sqlite3_free. 0, or -1 (out of
 * memory, or the tokenizer failed). */
int words_like_pattern(char **out, struct words *w, const char *text, size_t n);

/* Sets *out to a LIKE pattern (escape character '\') for the emoji in
 * text[0..n) (pictographs U+1F000-U+1FAFF, symbols and dingbats
 * U+2600-U+27BF, U+2B00-U+2BFF), which the tokenizer drops as it drops
 * punctuation: each run of them (joiners, U+200D, inside it), in this
 * order, anything else between them, variation selectors included (mail
 * writes a symbol with or without one): "%run1%run2%". *out is NULL when text
 * holds none, else the caller frees it with sqlite3_free. 0, or -1 when out of
 * memory. */
int words_emoji_pattern(char **out, const char *text, size_t n);

/* Frees *w and sets it to NULL; NULL is a no-op. */
void words_close(struct words **w);

#endif
