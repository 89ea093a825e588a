/* words.c - FTS5's own tokenizer, asked whether text holds a word; see
 * words.h. The interface is SQLite's "Extending FTS5"
 * (https://sqlite.org/fts5.html#extending_fts5). */
#include "mailmirror/words.h"

#include <limits.h>
#include <stdint.h>
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

/* Unicode's blocks of those scripts' letters (Blocks.txt, Unicode 15.1):
 * their punctuation (U+3000-U+303F but the iteration marks and the
 * Hangzhou numerals, fullwidth forms), radicals and enclosed symbols are
 * left out, as the tokenizer leaves them out of words. */
static const struct {
	uint32_t lo, hi;
} cjk_ranges[] = {
        {0x1100, 0x11FF},   /* Hangul Jamo */
        {0x3005, 0x3007},   /* iteration mark, closing mark, zero */
        {0x3021, 0x3029},   /* Hangzhou numerals */
        {0x3031, 0x3035},   /* kana repeat marks */
        {0x3038, 0x303C},   /* more numerals and marks */
        {0x3041, 0x30FF},   /* Hiragana, Katakana */
        {0x3105, 0x312F},   /* Bopomofo */
        {0x3131, 0x318E},   /* Hangul compatibility Jamo */
        {0x31A0, 0x31BF},   /* Bopomofo extended */
        {0x31F0, 0x31FF},   /* Katakana phonetic extensions */
        {0x3400, 0x4DBF},   /* CJK unified ideographs extension A */
        {0x4E00, 0x9FFF},   /* CJK unified ideographs */
        {0xA960, 0xA97F},   /* Hangul Jamo extended A */
        {0xAC00, 0xD7FF},   /* Hangul syllables, Jamo extended B */
        {0xF900, 0xFAFF},   /* CJK compatibility ideographs */
        {0xFF66, 0xFFDC},   /* halfwidth Katakana and Hangul */
        {0x1AFF0, 0x1B16F}, /* Kana supplements and extensions */
        {0x20000, 0x323AF}, /* extensions B to H, compatibility supplement */
};

static bool is_cjk(uint32_t c)
{
	for (size_t i = 0; i < sizeof(cjk_ranges) / sizeof(cjk_ranges[0]); i++)
		if (c >= cjk_ranges[i].lo && c <= cjk_ranges[i].hi)
			return true;
	return false;
}

/* The code point of three or four bytes at s[0..n) into *c, and its
 * length; 1 for anything else (ASCII, two bytes, invalid UTF-8), which
 * holds no code point of the blocks looked for here. */
static size_t wide_code_point(uint32_t *c, const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
	             : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
	                                            : 1;

	if (len == 1 || len > n || (s[1] & 0xC0) != 0x80 ||
	    (s[2] & 0xC0) != 0x80 || (len == 4 && (s[3] & 0xC0) != 0x80))
		return 1;
	*c = len == 3 ? (uint32_t)(s[0] & 0x0F) << 12 |
	                        (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F)
	              : (uint32_t)(s[0] & 0x07) << 18 |
	                        (uint32_t)(s[1] & 0x3F) << 12 |
	                        (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	return len;
}

bool words_cjk(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = wide_code_point(&c, s + i, n - i);

		if (len > 1 && is_cjk(c))
			return true;
		i += len;
	}
	return false;
}

static bool is_emoji(uint32_t c)
{
	return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
	       (c >= 0x2B00 && c <= 0x2BFF);
}

int words_emoji_pattern(char **out, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	sqlite3_str *p = sqlite3_str_new(NULL);
	bool any = false, in_run = false;

	*out = NULL;
	sqlite3_str_appendchar(p, 1, '%');
	for (size_t i = 0; i < n;) {
		uint32_t c = 0;
		size_t len = wide_code_point(&c, s + i, n - i);
		bool emoji = len > 1 && is_emoji(c);

		if (emoji || (in_run && len > 1 && c == 0x200D)) {
			sqlite3_str_append(p, text + i, (int)len);
			in_run = any = true;
		} else if (in_run) {
			/* A variation selector ends a run too: mail writes
			 * an emoji with or without one. */
			sqlite3_str_appendchar(p, 1, '%');
			in_run = false;
		}
		i += len;
	}
	if (in_run)
		sqlite3_str_appendchar(p, 1, '%');
	if (sqlite3_str_errcode(p) != SQLITE_OK || !any) {
		int rc = sqlite3_str_errcode(p) != SQLITE_OK ? -1 : 0;
		sqlite3_free(sqlite3_str_finish(p));
		return rc;
	}
	*out = sqlite3_str_finish(p);
	return *out == NULL ? -1 : 0;
}

struct pattern {
	sqlite3_str *s;
	const char *text;
	bool any;
};

/* Appends the token as written, LIKE's wildcards and escape escaped. */
static int on_like_token(void *pattern, int tflags, const char *token,
                         int ntoken, int start, int end)
{
	struct pattern *p = pattern;

	(void)tflags, (void)token, (void)ntoken;
	for (int i = start; i < end; i++) {
		char c = p->text[i];

		if (c == '%' || c == '_' || c == '\\')
			sqlite3_str_appendchar(p->s, 1, '\\');
		sqlite3_str_appendchar(p->s, 1, c);
	}
	sqlite3_str_appendchar(p->s, 1, '%');
	p->any = true;
	return sqlite3_str_errcode(p->s);
}

int words_like_pattern(char **out, struct words *w, const char *text, size_t n)
{
	struct pattern p = {.s = sqlite3_str_new(NULL), .text = text};
	int rc;

	*out = NULL;
	sqlite3_str_appendchar(p.s, 1, '%');
	rc = w->methods.xTokenize(w->tokenizer, &p, FTS5_TOKENIZE_QUERY, text,
	                          n > INT_MAX ? INT_MAX : (int)n,
	                          on_like_token);
	if (rc != SQLITE_OK || sqlite3_str_errcode(p.s) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(p.s));
		return -1;
	}
	if (!p.any) {
		sqlite3_free(sqlite3_str_finish(p.s));
		return 0;
	}
	*out = sqlite3_str_finish(p.s);
	return *out == NULL ? -1 : 0;
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
