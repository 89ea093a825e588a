/* bench_floor.c - the least CPU a client in C spends to keep what a
 * metadata FETCH returns, step by step, for comparison with mailmirrord.
 *
 *	bench_floor CAPTURE DIR [RUNS]
 *
 * CAPTURE is a UID FETCH's responses as a server sent them (raw_fetch -w).
 * Each step does what the one before it did, and more:
 *	parse	 read every response (imap4_reader, 64 KiB pieces as a socket
 *		 read hands them over) and type each FETCH (imap4_msg_parse);
 *	raw	 and store each message's response bytes under its UID: what
 *		 tests/bench/py_store.py does, in C;
 *	rows	 and store instead the cache's message columns (flags joined,
 *		 dates as Unix seconds, address lists as "name <addr>, ..."),
 *		 undecoded, in a table keyed on (mailbox, uid) like the cache's,
 *		 without its other indexes;
 *	schema	 the same rows in the cache's own schema (daemon/cache), with
 *		 its generated columns, indexes and foreign key; no RFC 2047 or
 *		 charset decoding and no full-text index, which mailmirrord does
 *		 besides.
 * Every step writes a new SQLite file in DIR, WAL with synchronous=NORMAL,
 * one transaction per 2,000 messages (the daemon's batch and py_store's).
 *
 * Prints "STEP_cpu_s SECONDS" (median of RUNS, default 3: user + system
 * time of this single-threaded process, CLOCK_PROCESS_CPUTIME_ID) and
 * "messages N".
 */
#include "bench_util.h"
#include "cache/schema.h"
#include "imap4.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 2000

enum step { PARSE, RAW, ROWS, SCHEMA, STEPS };
static const char *const step_name[STEPS] = {"parse", "raw", "rows", "schema"};

/* The rows step's table: the cache's message columns, no more. */
static const char rows_table[] =
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, "
        "mailbox_id INTEGER NOT NULL, uid INTEGER NOT NULL, modseq INTEGER, "
        "flags TEXT, internaldate INTEGER, size INTEGER, date INTEGER, "
        "subject TEXT, from_addr TEXT, sender_addr TEXT, reply_to_addr TEXT, "
        "to_addr TEXT, cc_addr TEXT, bcc_addr TEXT, message_id TEXT, "
        "in_reply_to TEXT, UNIQUE (mailbox_id, uid))";

static const char insert_row[] =
        "INSERT INTO messages (mailbox_id, uid, modseq, flags, internaldate, "
        "size, date, subject, from_addr, sender_addr, reply_to_addr, "
        "to_addr, cc_addr, bcc_addr, message_id, in_reply_to) VALUES (?1, "
        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

struct sink {
	enum step step;
	sqlite3 *db;
	sqlite3_stmt *insert;
	size_t in_batch;
	char text[1 << 16]; /* a field being put together */
};

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench_floor: %s: %s\n", sql, err);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int open_plain(struct sink *s, const char *path)
{
	if (sqlite3_open(path, &s->db) != SQLITE_OK)
		return -1;
	return exec(s->db, "PRAGMA journal_mode = WAL; "
	                   "PRAGMA synchronous = NORMAL");
}

static int open_sink(struct sink *s, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/floor-%s.db", dir, step_name[s->step]);
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
	int rc = 0;
	switch (s->step) {
	case PARSE:
		return 0;
	case RAW:
		rc = open_plain(s, path);
		if (rc == 0)
			rc = exec(s->db, "CREATE TABLE msgs (uid INTEGER "
			                 "PRIMARY KEY, raw BLOB NOT NULL)");
		break;
	case ROWS:
		rc = open_plain(s, path);
		if (rc == 0)
			rc = exec(s->db, rows_table);
		break;
	case SCHEMA: {
		char err[256];
		if (cache_open_rw(&s->db, path, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_floor: %s\n", err);
			return -1;
		}
		rc = exec(s->db, "INSERT INTO accounts (id, name) VALUES (1, "
		                 "'a'); INSERT INTO mailboxes (id, account_id, "
		                 "name) VALUES (1, 1, 'INBOX')");
		break;
	}
	case STEPS:
		return -1;
	}
	const char *sql = s->step == RAW ? "INSERT INTO msgs VALUES (?1, ?2)"
	                                 : insert_row;
	if (rc == 0 &&
	    sqlite3_prepare_v2(s->db, sql, -1, &s->insert, NULL) != SQLITE_OK)
		rc = -1;
	return rc == 0 ? exec(s->db, "BEGIN") : rc;
}

static int close_sink(struct sink *s)
{
	int rc = s->db ? exec(s->db, "COMMIT") : 0;
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	s->db = NULL;
	s->insert = NULL;
	return rc;
}

/* Appends what fits of src to s->text at *at, NUL-terminated. */
static void put(struct sink *s, size_t *at, const char *src)
{
	size_t n = src ? strlen(src) : 0, room = sizeof(s->text) - 1 - *at;
	n = n < room ? n : room;
	memcpy(s->text + *at, src, n);
	*at += n;
	s->text[*at] = '\0';
}

/* An address list as the cache spells one, but undecoded and unquoted:
 * the least work that keeps every address. Groups are skipped. */
static const char *addresses(struct sink *s, size_t *at, const imap4_address *a)
{
	size_t start = *at;
	for (; a; a = a->next) {
		if (!a->host)
			continue;
		if (*at > start)
			put(s, at, ", ");
		if (a->name) {
			put(s, at, a->name);
			put(s, at, " <");
		}
		put(s, at, a->mailbox);
		put(s, at, "@");
		put(s, at, a->host);
		if (a->name)
			put(s, at, ">");
	}
	(*at)++;
	return *at - 1 > start ? s->text + start : NULL;
}

static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static void bind_row(struct sink *s, const imap4_msg *m)
{
	sqlite3_stmt *st = s->insert;
	const imap4_envelope *e = m->envelope;
	static const imap4_envelope none;
	size_t at = 0;

	if (!e)
		e = &none;
	const char *flags = s->text;
	s->text[0] = '\0';
	for (size_t i = 0; i < m->nflags; i++) {
		if (i)
			put(s, &at, " ");
		put(s, &at, m->flags[i]);
	}
	at++;
	time_t date;
	int zone;
	sqlite3_bind_int64(st, 1, 1);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)m->modseq);
	sqlite3_bind_text(st, 4, flags, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)m->internaldate);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)m->size);
	if (e->date && imap4_rfc5322_date(&date, &zone, e->date) == 0)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)date);
	else
		sqlite3_bind_null(st, 7);
	bind_text(st, 8, e->subject);
	const imap4_address *lists[] = {e->from, e->sender, e->reply_to,
	                                e->to,   e->cc,     e->bcc};
	for (int i = 0; i < 6; i++)
		bind_text(st, 9 + i, addresses(s, &at, lists[i]));
	bind_text(st, 15, e->message_id);
	bind_text(st, 16, e->in_reply_to);
}

static int store(struct sink *s, const imap4_resp *resp, const imap4_msg *m)
{
	if (s->step == PARSE)
		return 0;
	if (s->step == RAW) {
		sqlite3_bind_int64(s->insert, 1, m->uid);
		sqlite3_bind_blob(s->insert, 2, resp->raw, (int)resp->raw_len,
		                  SQLITE_STATIC);
	} else {
		bind_row(s, m);
	}
	int rc = sqlite3_step(s->insert);
	sqlite3_reset(s->insert);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "bench_floor: insert: %s\n",
		        sqlite3_errmsg(s->db));
		return -1;
	}
	if (++s->in_batch == BATCH) {
		s->in_batch = 0;
		return exec(s->db, "COMMIT; BEGIN");
	}
	return 0;
}

struct step_run {
	struct sink *sink;
	long messages;
};

static int take(void *payload, const imap4_resp *resp)
{
	struct step_run *r = payload;
	imap4_msg m;
	int rc;
	if (!resp->name || strcmp(resp->name, "FETCH"))
		return 0;
	if ((rc = imap4_msg_parse(&m, resp)) < 0 ||
	    (rc = store(r->sink, resp, &m)) < 0)
		return rc;
	r->messages++;
	return 0;
}

/* One step over the whole capture; the number of messages, or -1. */
static long run(struct sink *s, const char *dir, const char *data, size_t len)
{
	struct step_run r = {.sink = s};
	int rc = open_sink(s, dir);
	if (rc >= 0)
		rc = bench_feed(data, len, take, &r);
	if (close_sink(s) < 0)
		rc = -1;
	return rc < 0 ? -1 : r.messages;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s CAPTURE DIR [RUNS]\n", argv[0]);
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 3;
	if (runs < 1 || runs > 100)
		runs = 3;
	size_t len;
	char *data = bench_slurp(argv[1], &len);
	struct sink *s = calloc(1, sizeof(*s));
	double *secs = calloc((size_t)runs, sizeof(*secs));
	if (!data || !s || !secs) {
		fprintf(stderr, "bench_floor: cannot read %s\n", argv[1]);
		return 1;
	}
	long messages = 0;
	for (enum step step = PARSE; step < STEPS; step++) {
		s->step = step;
		for (int i = 0; i < runs; i++) {
			double t0 = bench_cpu_s(CLOCK_PROCESS_CPUTIME_ID);
			messages = run(s, argv[2], data, len);
			secs[i] = bench_cpu_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
			if (messages < 0) {
				fprintf(stderr, "bench_floor: step %s failed\n",
				        step_name[step]);
				return 1;
			}
		}
		qsort(secs, (size_t)runs, sizeof(*secs), bench_cmp_double);
		printf("%s_cpu_s %.3f\n", step_name[step], secs[runs / 2]);
	}
	printf("messages %ld\n", messages);
	free(secs);
	free(s);
	free(data);
	return 0;
}
