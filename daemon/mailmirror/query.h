/* query.h - the mailmirror commands, over a read-only cache.
 *
 * Each command returns one of the query_rc values, which are also the
 * process's exit statuses (documented in mailmirror(1)); on anything but
 * QUERY_OK the reason is in q->err. Output goes to q->out in q->mode.
 * Nothing here writes to the cache.
 */
#ifndef MAILMIRROR_QUERY_H
#define MAILMIRROR_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "mailmirror/output.h"

enum query_rc {
	QUERY_OK = 0,
	QUERY_NONE = 1,     /* nothing found (not for count) */
	QUERY_USAGE = 2,    /* bad command line */
	QUERY_NOCACHE = 3,  /* no cache yet, or not yet upgraded */
	QUERY_NEWER = 4,    /* cache written by a newer mailmirror */
	QUERY_BADQUERY = 5, /* the search query does not parse */
	QUERY_ERROR = 6,    /* cannot read the cache, out of memory, or
	                       cannot write the output */
	QUERY_NOSCOPE = 7,  /* the account or mailbox named does not exist */
};

/* The oldest cache schema the commands read: every table and column they
 * use was there by version 4, with its meaning of today (versions 5 to 7
 * add only what the daemon alone reads: schema.md), so that a cache the
 * daemon has not upgraded yet (a package upgrade, the daemon not yet
 * restarted) is still shown. Version 3 lacks messages_unindexed and took
 * a last_sync of 0 for never; version 2's bodies are raw MIME. Raise it
 * when a command comes to read what a later version added. */
#define QUERY_OLDEST_SCHEMA 4

/* No --since given. */
#define QUERY_NO_TIME INT64_MIN

/* Default for --limit of ls and search; 0 means no limit. */
#define QUERY_DEFAULT_LIMIT 100

struct query {
	sqlite3 *db;
	FILE *out;
	enum out_mode mode;
	size_t fit;       /* table mode: the terminal's width, 0: unknown */
	const char *path; /* the cache, borrowed from query_open's caller */
	int probe_fd;     /* see query_status; -1 when none */
	char err[512];
};

/* Opens the cache at path read-only; path must stay valid until
 * query_close. On failure q->db is NULL and the result says why:
 * QUERY_NOCACHE (no file, an empty file, or a schema older than
 * QUERY_OLDEST_SCHEMA: the daemon upgrades it when it starts), QUERY_NEWER
 * or QUERY_ERROR (a directory or other non-file, not a mailmirror cache,
 * no permission to read it, or a WAL the reader can neither use nor
 * ignore: cache_open_ro). */
int query_open(struct query *q, const char *path, FILE *out,
               enum out_mode mode);
void query_close(struct query *q);

struct query_filter {
	const char *scope; /* "ACCOUNT" or "ACCOUNT/MAILBOX", or NULL for
	                      everything; split at the first '/' */
	bool unread;
	bool flagged;
	int64_t since; /* Unix seconds, or QUERY_NO_TIME */
	long limit;    /* rows at most; 0: no limit */
	bool distinct; /* count: the copies of a message (one Message-ID:
	                  Gmail's labels, a message copied to another
	                  mailbox) count once */
};

/* Accounts and their mailboxes, those of scope ("ACCOUNT[/MAILBOX]", or
 * NULL for all). Whether a mailmirrord runs on the cache is asked of the
 * lock it holds (cachelock.h): without one, no account is idle or live,
 * whatever the cache last said. The file is opened once more for that,
 * and closed by query_close after SQLite's connection, since closing it
 * earlier would drop SQLite's locks (cachelock.h). QUERY_OK,
 * QUERY_NOSCOPE for a scope that names nothing, or an error of the
 * cache. */
int query_status(struct query *q, const char *scope);

/* One line per account (or the one named): its state, mailboxes,
 * messages, unread, live mailboxes, when all its mailboxes were last in
 * sync, how many fail, its error: status summed, for a host of many
 * accounts. QUERY_OK, QUERY_NOSCOPE, QUERY_USAGE for a mailbox named, or
 * an error of the cache. */
int query_accounts(struct query *q, const char *account);

/* Messages, newest first. QUERY_NONE if none matched, QUERY_NOSCOPE if the
 * scope names no account or mailbox. */
int query_ls(struct query *q, const struct query_filter *f);

/* Full-text search, newest first; text uses search syntax (mailmirror(1)).
 * QUERY_BADQUERY if it does not parse, QUERY_NONE if nothing matched,
 * QUERY_NOSCOPE as for query_ls. */
int query_search(struct query *q, const char *text,
                 const struct query_filter *f);

/* One message: scope is ACCOUNT/MAILBOX, uid its decimal UID. QUERY_NONE
 * if the mailbox holds no such UID, QUERY_NOSCOPE if there is no such
 * mailbox. */
int query_show(struct query *q, const char *scope, const char *uid);

/* Prints one number: the messages (unread ones with f->unread) in the
 * scope. 0 is a result: QUERY_OK. An unknown scope is QUERY_NOSCOPE. */
int query_count(struct query *q, const struct query_filter *f);

/* Parses a --since value: YYYY-MM-DD (local midnight) or Nd / Nw (N days
 * or weeks before now). QUERY_OK or QUERY_USAGE (message in err). */
int query_parse_since(int64_t *out, const char *s, time_t now, char *err,
                      size_t errlen);

/* The words w[0..n) as search text in which nothing is syntax (search
 * --literal): each run of non-blank bytes becomes a quoted phrase, its
 * double quotes doubled, so that operators, field prefixes, parentheses
 * and quotes are words like any other and every word must match. NULL
 * when out of memory; the caller frees. */
char *query_literal_text(const char *const *w, size_t n);

/* Translates the user's search text (syntax in mailmirror(1)) into an FTS5
 * query (caller frees *out): from:, to:, cc:, subject: and body: restrict
 * a term to a column, bare words and "quoted phrases" are matched as text
 * (FTS5 operators in them are not interpreted), a trailing * makes a
 * prefix, and AND, OR, NOT (unary: "NOT a", "a AND NOT b", "a NOT b") and
 * parentheses combine terms. A term in which the index's tokenizer finds
 * no word (punctuation, symbols) is left out (words.h); db is the
 * connection whose FTS5 provides that tokenizer, or NULL for a private
 * in-memory one. A query holding a Chinese, Japanese or Korean term, or
 * one of emoji, is no FTS5 query (query_match_translate): QUERY_ERROR.
 * FTS5 knows only "a NOT b", so the result may be negated: *negated true
 * means the query stands for every message that *out does not match. QUERY_OK;
 * QUERY_USAGE (no term with a word: the text is empty); QUERY_BADQUERY
 * (unterminated quote, unbalanced parentheses, an operator without its terms,
 * nesting deeper than 32, a prefix such as "bcc:" that looks like a field and
 * is none); QUERY_ERROR (memory, no FTS5); the message is in err. */
int query_fts_translate(char **out, bool *negated, sqlite3 *db,
                        const char *text, char *err, size_t errlen);

/* What a search matches: one FTS5 query, or an SQL condition. */
struct query_match {
	char *fts;    /* an FTS5 query over messages_fts, or NULL */
	bool negated; /* fts stands for the messages it does not match */
	char *sql;    /* instead of fts: a condition over the messages table
	                 aliased m, every value in it a literal */
};

/* As query_fts_translate, but a term holding Chinese, Japanese or Korean
 * text (words_cjk: FTS5's tokenizer makes a run of it one word) matches
 * when the fields it names hold its words, as written, in order, as
 * substrings (ASCII case ignored), and so does a term of emoji and
 * punctuation, its emoji (words_emoji_pattern) as substrings; a query
 * holding such a term is then
 * out->sql, where its other terms are FTS5 queries' matches. Else it is
 * out->fts (and out->negated), the very query query_fts_translate makes.
 * The caller frees *out with query_match_clear, also after a failure. */
int query_match_translate(struct query_match *out, sqlite3 *db,
                          const char *text, char *err, size_t errlen);

/* Frees m's strings and zeroes it. */
void query_match_clear(struct query_match *m);

#endif
