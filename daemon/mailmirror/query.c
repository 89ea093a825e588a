/* query.c - the mailmirror commands: SQL over the read-only cache. */
#include "mailmirror/query.h"

#include "cache/schema.h"
#include "mailmirror/when.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A column of a command's result. The same SELECT serves the three output
 * modes: text modes select text_sql, JSON mode wraps the json_sql values
 * in json_object(), so SQLite does the JSON escaping. text_sql NULL: JSON
 * only; json_key NULL: text only. */
struct qcol {
	struct out_col col;
	const char *text_sql;
	const char *json_key;
	const char *json_sql;
};

#define MAX_COLS 24

/* A count whose 0 the table shows as an empty cell, so that a column of
 * zeros (nothing failing, nothing to index) is left out of it. TSV prints
 * the 0, as JSON does, for a script reads a number (a tester's finding: ""
 * for FAILING): :table_zero is bound to 0 in table mode only, and
 * nullif(x, NULL) is x. */
#define TABLE_BLANKS_ZERO(x) "nullif(" x ", :table_zero)"

/* when.h: SQLite's 'localtime' is wrong outside 1970-2037. */
#define LOCAL_MINUTE(x) "local_minute(" x ")"

/* IMAP says INBOX is case-insensitive (RFC 3501 5.1), and servers take it
 * so as the first level of a name too ("inbox/Sub" is "INBOX/Sub", with
 * the mailbox's own delimiter); other names are compared as the UTF-8
 * the daemon stored. */
#define MAILBOX_MATCH                                                          \
	"(b.name = :mbox OR (upper(:mbox) = 'INBOX' AND upper(b.name) = "      \
	"'INBOX') OR (length(b.delimiter) = 1 AND "                            \
	"upper(substr(:mbox, 1, 6)) = 'INBOX' || upper(b.delimiter) AND "      \
	"upper(substr(b.name, 1, 6)) = 'INBOX' || upper(b.delimiter) AND "     \
	"substr(:mbox, 7) = substr(b.name, 7)))"

/* clang-format off */
static const struct qcol message_cols[] = {
	{{"DATE", 16, false, false}, LOCAL_MINUTE("m.sort_date"), "date", "m.sort_date"},
	{{"MAILBOX", 24, false, true}, "a.name || '/' || b.name", NULL, NULL},
	{{NULL, 0, false, false}, NULL, "account", "a.name"},
	{{NULL, 0, false, false}, NULL, "mailbox", "b.name"},
	{{"UID", 0, true, false}, "m.uid", "uid", "m.uid"},
	{{"FROM", 28, false, true}, "m.from_addr", "from", "m.from_addr"},
	{{"SUBJECT", 60, false, true}, "m.subject", "subject", "m.subject"},
	{{"FLAGS", 0, false, false}, "m.flags", "flags", "m.flags"},
};

/* Messages whose text is not all searchable yet: new ones, and indexed
 * ones whose body waits. Counted from the queues, which are short. */
#define UNINDEXED_OF(box)                                                      \
	"((SELECT count(*) FROM messages_unindexed x JOIN messages y ON "      \
	"y.id = x.message_id WHERE y.mailbox_id = " box ") + "                 \
	"(SELECT count(*) FROM bodies_unindexed x JOIN messages y ON "         \
	"y.id = x.message_id WHERE y.mailbox_id = " box " AND NOT EXISTS "     \
	"(SELECT 1 FROM messages_unindexed u WHERE u.message_id = "            \
	"x.message_id)))"

/* :running is whether a mailmirrord runs on the cache (daemon_running):
 * without one, the state and mode the cache holds are the last the daemon
 * wrote before it died, and an account is neither idle nor live. */
static const struct qcol status_cols[] = {
	{{"ACCOUNT", 20, false, true}, "a.name", "account", "a.name"},
	{{"STATE", 12, false, false},
	 "CASE WHEN :running THEN a.state ELSE 'not running' END",
	 "account_state", "a.state"},
	{{NULL, 0, false, false}, NULL, "daemon_running",
	 "json(CASE WHEN :running THEN 'true' ELSE 'false' END)"},
	{{NULL, 0, false, false}, NULL, "account_last_sync", "a.last_sync"},
	{{NULL, 0, false, false}, NULL, "account_error", "a.last_error"},
	{{"MAILBOX", 30, false, true}, "b.name", "mailbox", "b.name"},
	{{"MESSAGES", 0, true, false}, "b.exists_count", "messages", "b.exists_count"},
	{{"UNREAD", 0, true, false}, "b.unseen_count", "unread", "b.unseen_count"},
	{{"SYNCED", 16, false, false},
	 "CASE WHEN b.id IS NULL THEN NULL WHEN b.last_sync IS NULL "
	 "THEN 'never' ELSE " LOCAL_MINUTE("b.last_sync") " END",
	 "last_sync", "b.last_sync"},
	{{"MODE", 0, false, false},
	 /* Empty without a daemon (STATE says so): a script splitting on
	  * tabs meets "live", "polled" or nothing (explore36). */
	 "CASE WHEN b.id IS NULL OR NOT :running THEN NULL "
	 "WHEN b.live THEN 'live' ELSE 'polled' END",
	 "live", "CASE WHEN b.id IS NULL THEN NULL "
		 "ELSE json(CASE WHEN :running AND b.live THEN 'true' "
		 "ELSE 'false' END) END"},
	{{"PROGRESS", 0, true, false},
	 "CASE WHEN b.sync_total > 0 THEN b.sync_progress || '/' || "
	 "b.sync_total END",
	 "sync_progress", "b.sync_progress"},
	{{NULL, 0, false, false}, NULL, "sync_total", "b.sync_total"},
	/* Messages stored but not yet searchable (the daemon's indexer). */
	{{"TO INDEX", 0, true, false},
	 TABLE_BLANKS_ZERO("CASE WHEN b.id IS NOT NULL THEN "
	                   UNINDEXED_OF("b.id") " END"),
	 "unindexed", "CASE WHEN b.id IS NULL THEN NULL ELSE "
	 UNINDEXED_OF("b.id") " END"},
	{{"ERROR", 60, false, true}, "coalesce(b.last_error, a.last_error)", "error",
	 "b.last_error"},
	/* What the mailbox is for (\Sent, \Trash), to find it by that
	 * rather than by a name that varies (explore39). */
	{{NULL, 0, false, false}, NULL, "special_use", "b.special_use"},
};

/* One line per account: what status says of its mailboxes, summed. SYNCED
 * is when all of them were last known equal to the server (the oldest;
 * never while one never was), FAILING the mailboxes in error. */
static const struct qcol accounts_cols[] = {
	{{"ACCOUNT", 20, false, true}, "a.name", "account", "a.name"},
	{{"STATE", 12, false, false},
	 "CASE WHEN :running THEN a.state ELSE 'not running' END",
	 "account_state", "a.state"},
	{{NULL, 0, false, false}, NULL, "daemon_running",
	 "json(CASE WHEN :running THEN 'true' ELSE 'false' END)"},
	{{"MAILBOXES", 0, true, false}, "count(b.id)", "mailboxes",
	 "count(b.id)"},
	{{"MESSAGES", 0, true, false}, "coalesce(sum(b.exists_count), 0)",
	 "messages", "coalesce(sum(b.exists_count), 0)"},
	{{"UNREAD", 0, true, false}, "coalesce(sum(b.unseen_count), 0)",
	 "unread", "coalesce(sum(b.unseen_count), 0)"},
	/* Without a daemon no mailbox is live: 0, as in JSON; STATE says
	 * why. */
	{{"LIVE", 0, true, false},
	 "CASE WHEN :running THEN coalesce(sum(b.live), 0) ELSE 0 END", "live",
	 "CASE WHEN :running THEN coalesce(sum(b.live), 0) ELSE 0 END"},
	{{"SYNCED", 16, false, false},
	 "CASE WHEN count(b.id) = 0 THEN NULL WHEN count(b.last_sync) < "
	 "count(b.id) THEN 'never' ELSE " LOCAL_MINUTE("min(b.last_sync)") " END",
	 "last_sync",
	 "CASE WHEN count(b.last_sync) < count(b.id) THEN NULL ELSE "
	 "min(b.last_sync) END"},
	{{"FAILING", 0, true, false}, TABLE_BLANKS_ZERO("count(b.last_error)"),
	 "failing_mailboxes", "count(b.last_error)"},
	{{"ERROR", 60, false, true}, "a.last_error", "error", "a.last_error"},
};

static const struct qcol show_cols[] = {
	{{"Account", 0, false, false}, "a.name", "account", "a.name"},
	{{"Mailbox", 0, false, false}, "b.name", "mailbox", "b.name"},
	{{"UID", 0, false, false}, "m.uid", "uid", "m.uid"},
	/* In JSON, date is what ls and search call the date (the Date:
	 * header, else the arrival time), and date_header the header alone;
	 * the text shows the header as Date: and the arrival as Received:. */
	{{"Date", 0, false, false},
	 "local_second(m.date)",
	 "date", "m.sort_date"},
	{{NULL, 0, false, false}, NULL, "date_header", "m.date"},
	{{"Received", 0, false, false},
	 "local_second(m.internaldate)",
	 "internaldate", "m.internaldate"},
	{{"From", 0, false, false}, "m.from_addr", "from", "m.from_addr"},
	{{"Sender", 0, false, false}, "m.sender_addr", "sender", "m.sender_addr"},
	{{"Reply-To", 0, false, false}, "m.reply_to_addr", "reply_to",
	 "m.reply_to_addr"},
	{{"To", 0, false, false}, "m.to_addr", "to", "m.to_addr"},
	{{"Cc", 0, false, false}, "m.cc_addr", "cc", "m.cc_addr"},
	{{"Bcc", 0, false, false}, "m.bcc_addr", "bcc", "m.bcc_addr"},
	{{"Subject", 0, false, false}, "m.subject", "subject", "m.subject"},
	{{"Message-ID", 0, false, false}, "m.message_id", "message_id",
	 "m.message_id"},
	{{"In-Reply-To", 0, false, false}, "m.in_reply_to", "in_reply_to",
	 "m.in_reply_to"},
	{{"Flags", 0, false, false}, "m.flags", "flags", "m.flags"},
	{{"Size", 0, false, false}, "m.size", "size", "m.size"},
	{{"Modseq", 0, false, false}, "nullif(m.modseq, 0)", "modseq", "m.modseq"},
	/* In JSON, null without a body: headers alone (bodies = "headers")
	 * say nothing of a body's length; but true when they are cut
	 * (max_body_size), as their end is missing then. */
	{{"Truncated", 0, false, false},
	 "CASE WHEN y.truncated THEN 'yes (only the start of the ' || "
	 "CASE WHEN y.body IS NULL THEN 'header' ELSE 'body' END || "
	 "' is cached)' END",
	 "truncated",
	 "CASE WHEN y.body IS NOT NULL OR y.truncated THEN "
	 "json(CASE WHEN y.truncated THEN 'true' ELSE 'false' END) END"},
	/* The last two are printed as blocks, after the fields. */
	{{"headers", 0, false, false}, "y.headers", "headers", "y.headers"},
	{{"body", 0, false, false}, "y.body", "body", "y.body"},
};
/* clang-format on */

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 2, 3))) static void set_err(struct query *q,
                                                          const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
}

int query_open(struct query *q, const char *path, FILE *out, enum out_mode mode)
{
	struct stat sb;
	int rc, version;

	q->out = out;
	q->mode = mode;
	q->path = path;
	q->probe_fd = -1;
	q->err[0] = '\0';
	q->db = NULL;
	/* What SQLite would say of these is "disk I/O error" or "schema
	 * version 0", and a FIFO would block its open. */
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			set_err(q,
			        "%s is a directory; give the cache file "
			        "itself (such as %s/cache.db)",
			        path, path);
			return QUERY_ERROR;
		}
		if (!S_ISREG(sb.st_mode)) {
			set_err(q,
			        "%s is not a regular file, so not a "
			        "mailmirror cache",
			        path);
			return QUERY_ERROR;
		}
		if (sb.st_size == 0) {
			set_err(q,
			        "%s is empty, not a mailmirror cache (yet); "
			        "mailmirrord makes it one when it starts with "
			        "this cache path",
			        path);
			return QUERY_NOCACHE;
		}
	}
	rc = cache_open_ro_from(&q->db, &version, QUERY_OLDEST_SCHEMA, path,
	                        q->err, sizeof(q->err));
	switch (rc) {
	case CACHE_OK:
		if (when_register(q->db) != SQLITE_OK) {
			set_err(q, "%s", sqlite3_errmsg(q->db));
			return QUERY_ERROR;
		}
		return QUERY_OK;
	case CACHE_ENOENT:
		set_err(q, "no cache at %s; is mailmirrord running?", path);
		return QUERY_NOCACHE;
	case CACHE_EOLDER:
		return QUERY_NOCACHE;
	case CACHE_ENEWER:
		return QUERY_NEWER;
	default:
		return QUERY_ERROR;
	}
}

void query_close(struct query *q)
{
	if (q->db == NULL)
		return;
	sqlite3_close(q->db);
	q->db = NULL;
	/* Only now: see daemon_running. */
	if (q->probe_fd >= 0)
		close(q->probe_fd);
	q->probe_fd = -1;
}

/* Whether a mailmirrord runs on the cache (cache_daemon_holds). The
 * descriptor stays open until query_close has closed SQLite's connection:
 * closing any descriptor of the file drops the fcntl(2) locks SQLite holds
 * on it. */
static bool daemon_running(struct query *q)
{
	if (q->probe_fd < 0)
		q->probe_fd = open(q->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return q->probe_fd < 0 || cache_daemon_holds(q->probe_fd);
}

/* ACCOUNT[/MAILBOX], split at the first '/': mailbox names may hold the
 * hierarchy delimiter themselves. */
struct scope {
	char *account; /* NULL: every account */
	char *mailbox; /* NULL: every mailbox of the account */
};

static int scope_parse(struct query *q, struct scope *sc, const char *s,
                       bool need_mailbox)
{
	const char *slash;

	*sc = (struct scope){0};
	if (s == NULL) {
		if (!need_mailbox)
			return QUERY_OK;
		set_err(q, "expected ACCOUNT/MAILBOX");
		return QUERY_USAGE;
	}
	slash = strchr(s, '/');
	if (s[0] == '/' || (slash != NULL && slash[1] == '\0') ||
	    (need_mailbox && slash == NULL) || s[0] == '\0') {
		set_err(q, "expected %s, not \"%s\"",
		        need_mailbox ? "ACCOUNT/MAILBOX" : "ACCOUNT[/MAILBOX]",
		        s);
		return QUERY_USAGE;
	}
	sc->account = slash ? strndup(s, (size_t)(slash - s)) : strdup(s);
	sc->mailbox = slash ? strdup(slash + 1) : NULL;
	if (sc->account == NULL || (slash != NULL && sc->mailbox == NULL)) {
		free(sc->account);
		free(sc->mailbox);
		set_err(q, "out of memory");
		return QUERY_ERROR;
	}
	return QUERY_OK;
}

static void scope_clear(struct scope *sc)
{
	free(sc->account);
	free(sc->mailbox);
	*sc = (struct scope){0};
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void bind_scope(sqlite3_stmt *st, const struct scope *sc)
{
	bind_named_text(st, ":acct", sc->account);
	bind_named_text(st, ":mbox", sc->mailbox);
}

/* Prepares the built SQL (freeing it); NULL with the error set. */
static sqlite3_stmt *prepare(struct query *q, sqlite3_str *sql, int *rc)
{
	sqlite3_stmt *st = NULL;
	char *text;

	if (sqlite3_str_errcode(sql) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(sql));
		set_err(q, "out of memory");
		*rc = QUERY_ERROR;
		return NULL;
	}
	text = sqlite3_str_finish(sql);
	if (sqlite3_prepare_v2(q->db, text, -1, &st, NULL) != SQLITE_OK) {
		set_err(q, "reading the cache: %s", sqlite3_errmsg(q->db));
		*rc = QUERY_ERROR;
		st = NULL;
	}
	sqlite3_free(text);
	return st;
}

/* A scope that names nothing has a status of its own (QUERY_NOSCOPE), so
 * that a script does not take a typo or a renamed mailbox for an empty
 * one. */
static int check_scope(struct query *q, const struct scope *sc)
{
	sqlite3_str *sql;
	sqlite3_stmt *st;
	int rc = QUERY_OK, r;

	if (sc->account == NULL)
		return QUERY_OK;
	sql = sqlite3_str_new(q->db);
	if (sc->mailbox == NULL)
		sqlite3_str_appendall(sql,
		                      "SELECT 1 FROM accounts a WHERE a.name "
		                      "= :acct");
	else
		sqlite3_str_appendall(sql, "SELECT 1 FROM mailboxes b JOIN "
		                           "accounts a ON a.id = "
		                           "b.account_id WHERE a.name = :acct "
		                           "AND " MAILBOX_MATCH);
	if ((st = prepare(q, sql, &rc)) == NULL)
		return rc;
	bind_scope(st, sc);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE && sc->mailbox) {
		/* Which of the two is missing (explore16: "no mailbox" for
		 * an account that does not exist). */
		struct scope account_only = *sc;
		account_only.mailbox = NULL;
		rc = check_scope(q, &account_only);
		if (rc == QUERY_OK) {
			set_err(q, "no mailbox \"%s\" in account \"%s\"",
			        sc->mailbox, sc->account);
			rc = QUERY_NOSCOPE;
		}
	} else if (r == SQLITE_DONE) {
		set_err(q, "no account \"%s\"", sc->account);
		rc = QUERY_NOSCOPE;
	} else if (r != SQLITE_ROW) {
		set_err(q, "reading the cache: %s", sqlite3_errmsg(q->db));
		rc = QUERY_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

static void select_list(struct query *q, sqlite3_str *sql,
                        const struct qcol *cols, size_t n)
{
	bool first = true;

	sqlite3_str_appendall(sql, "SELECT ");
	if (q->mode == OUT_JSON)
		sqlite3_str_appendall(sql, "json_object(");
	for (size_t i = 0; i < n; i++) {
		const char *expr = q->mode == OUT_JSON ? cols[i].json_sql
		                                       : cols[i].text_sql;

		if (expr == NULL)
			continue;
		if (!first)
			sqlite3_str_appendall(sql, ", ");
		if (q->mode == OUT_JSON)
			sqlite3_str_appendf(sql, "'%s', ", cols[i].json_key);
		sqlite3_str_appendall(sql, expr);
		first = false;
	}
	if (q->mode == OUT_JSON)
		sqlite3_str_appendall(sql, ")");
}

static size_t text_cols(struct out_col *out, const struct qcol *cols, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < MAX_COLS; i++)
		if (cols[i].text_sql != NULL)
			out[k++] = cols[i].col;
	return k;
}

/* FTS5 reports syntax errors as "fts5: ..." when the query runs; they are
 * the user's, everything else is the cache's. */
static int step_error(struct query *q, bool search)
{
	const char *msg = sqlite3_errmsg(q->db);

	if (search && (strncmp(msg, "fts5:", 5) == 0 ||
	               strstr(msg, "syntax error") != NULL)) {
		/* The parser (parse.c) has caught every syntax error; what
		 * FTS5 can still refuse is a query too deep for it. */
		set_err(q, "bad search query: too complex for the full-text "
		           "index");
		return QUERY_BADQUERY;
	}
	/* SQLite's LIKE takes a pattern of 50,000 bytes at most: a substring
	 * term (parse.c) longer than that. */
	if (search && strstr(msg, "pattern too complex") != NULL) {
		set_err(q, "bad search query: a term of Chinese, Japanese, "
		           "Korean or emoji is too long");
		return QUERY_BADQUERY;
	}
	set_err(q, "reading the cache: %s", msg);
	return QUERY_ERROR;
}

/* Column i of st as text for people. A NUL in it (a cache another program
 * wrote; the daemon writes none) is a space, as the other controls are,
 * where a C string cut the rest of the field off (explore56: table and
 * TSV showed "nul" for "nul\0after", JSON the whole). What *owned holds
 * is the caller's to free. */
static const char *column_text(sqlite3_stmt *st, int i, char **owned)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	*owned = NULL;
	if (t == NULL)
		return NULL;
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	if (strlen(t) == n || (*owned = malloc(n + 1)) == NULL)
		return t;
	for (size_t k = 0; k < n; k++)
		(*owned)[k] = t[k] ? t[k] : ' ';
	(*owned)[n] = '\0';
	return *owned;
}

/* Steps st to the end, printing each row; *rows counts them. */
static int print_rows(struct query *q, sqlite3_stmt *st,
                      const struct qcol *cols, size_t n, bool search,
                      size_t *rows)
{
	struct out_col oc[MAX_COLS];
	const char *fields[MAX_COLS];
	char *owned[MAX_COLS];
	size_t k = text_cols(oc, cols, n);
	struct out o;
	int r, rc = QUERY_OK;

	out_begin(&o, q->out, q->mode, oc, k);
	o.fit = q->fit;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (q->mode == OUT_JSON) {
			out_json(&o, (const char *)sqlite3_column_text(st, 0));
		} else {
			for (size_t i = 0; i < k; i++)
				fields[i] = column_text(st, (int)i, &owned[i]);
			out_row(&o, fields);
			for (size_t i = 0; i < k; i++)
				free(owned[i]);
		}
		/* Nobody reads the rest: a closed pipe (with SIGPIPE
		 * ignored, as systemd services have it), a full disk. */
		if (out_failed(&o))
			break;
	}
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = step_error(q, search);
	*rows = o.rows;
	if (out_end(&o) < 0 && rc == QUERY_OK) {
		set_err(q,
		        o.write_errno ? "writing the output failed: %s"
		                      : "out of memory",
		        strerror(o.write_errno));
		rc = QUERY_ERROR;
	}
	return rc;
}

/* The rows of cols over the accounts and their mailboxes in sc, the SQL
 * ending with tail (grouping, order): status and accounts. */
static int print_mailbox_rows(struct query *q, const struct scope *sc,
                              const struct qcol *cols, size_t n,
                              const char *tail)
{
	sqlite3_stmt *st;
	size_t rows;
	int rc = check_scope(q, sc);

	if (rc != QUERY_OK)
		return rc;
	sqlite3_str *sql = sqlite3_str_new(q->db);
	select_list(q, sql, cols, n);
	sqlite3_str_appendall(sql, " FROM accounts a LEFT JOIN mailboxes b "
	                           "ON b.account_id = a.id WHERE 1");
	if (sc->account)
		sqlite3_str_appendall(sql, " AND a.name = :acct");
	if (sc->mailbox)
		sqlite3_str_appendall(sql, " AND " MAILBOX_MATCH);
	sqlite3_str_appendall(sql, tail);
	if ((st = prepare(q, sql, &rc)) == NULL)
		return rc;
	bind_scope(st, sc);
	bind_named_int(st, ":running", daemon_running(q));
	if (q->mode == OUT_TABLE)
		bind_named_int(st, ":table_zero", 0);
	rc = print_rows(q, st, cols, n, false, &rows);
	sqlite3_finalize(st);
	return rc;
}

int query_status(struct query *q, const char *scope)
{
	struct scope sc;
	int rc;

	if ((rc = scope_parse(q, &sc, scope, false)) != QUERY_OK)
		return rc;
	rc = print_mailbox_rows(q, &sc, status_cols, NCOLS(status_cols),
	                        " ORDER BY a.name, b.name");
	scope_clear(&sc);
	return rc;
}

int query_accounts(struct query *q, const char *account)
{
	struct scope sc;
	int rc;

	if ((rc = scope_parse(q, &sc, account, false)) != QUERY_OK)
		return rc;
	if (sc.mailbox) {
		set_err(q, "accounts takes an account, not a mailbox");
		rc = QUERY_USAGE;
	} else {
		rc = print_mailbox_rows(q, &sc, accounts_cols,
		                        NCOLS(accounts_cols),
		                        " GROUP BY a.id ORDER BY a.name");
	}
	scope_clear(&sc);
	return rc;
}

/* The scope becomes a set of mailbox ids, computed once: the messages are
 * then filtered by their own indexed column, without a join per row. */
static void where_filter(sqlite3_str *sql, const struct scope *sc,
                         const struct query_filter *f)
{
	if (sc->account) {
		sqlite3_str_appendall(sql,
		                      " AND m.mailbox_id IN (SELECT b.id FROM "
		                      "mailboxes b JOIN accounts a ON a.id = "
		                      "b.account_id WHERE a.name = :acct");
		if (sc->mailbox)
			sqlite3_str_appendall(sql, " AND " MAILBOX_MATCH);
		sqlite3_str_appendall(sql, ")");
	}
	if (f->unread)
		sqlite3_str_appendall(sql, " AND m.seen = 0");
	if (f->flagged)
		sqlite3_str_appendall(sql, " AND m.flagged = 1");
	if (f->since != QUERY_NO_TIME)
		sqlite3_str_appendall(sql, " AND m.sort_date >= :since");
}

/* Whether the FTS query matches more than MANY_MATCHES messages; see
 * list_messages for why it matters. */
#define MANY_MATCHES 2000

static int count_matches(struct query *q, const char *match, bool *many)
{
	sqlite3_str *sql = sqlite3_str_new(q->db);
	sqlite3_stmt *st;
	int rc = QUERY_OK;

	sqlite3_str_appendf(sql,
	                    "SELECT count(*) FROM (SELECT rowid FROM "
	                    "messages_fts WHERE messages_fts MATCH :match "
	                    "LIMIT %d)",
	                    MANY_MATCHES + 1);
	if ((st = prepare(q, sql, &rc)) == NULL)
		return rc;
	bind_named_text(st, ":match", match);
	if (sqlite3_step(st) == SQLITE_ROW)
		*many = sqlite3_column_int(st, 0) > MANY_MATCHES;
	else
		rc = step_error(q, true);
	sqlite3_finalize(st);
	return rc;
}

/* ls and search: the same rows, search adds the FTS match; negated, the
 * messages it does not match; or its SQL condition (m NULL: ls). */
static int list_messages(struct query *q, const struct query_filter *f,
                         const struct query_match *m)
{
	const char *match = m ? m->fts : NULL;
	bool negated = m && m->negated;
	struct scope sc;
	sqlite3_str *sql;
	sqlite3_stmt *st;
	size_t rows = 0;
	bool many = false;
	int rc;

	if ((rc = scope_parse(q, &sc, f->scope, false)) != QUERY_OK)
		return rc;
	if ((rc = check_scope(q, &sc)) != QUERY_OK)
		goto out;
	if (match != NULL && !negated &&
	    (rc = count_matches(q, match, &many)) != QUERY_OK)
		goto out;
	sql = sqlite3_str_new(q->db);
	select_list(q, sql, message_cols, NCOLS(message_cols));
	/* The inner query picks the rows and the outer one formats them:
	 * SQLite computes every result column before it sorts, so formatting
	 * inside would cost a strftime() per match of a common word instead
	 * of one per printed row. A subquery with LIMIT under a join is
	 * never flattened. */
	sqlite3_str_appendall(sql, " FROM (SELECT m.id AS id FROM messages m"
	                           " WHERE 1");
	/* Newest first over the matches of a word found in most messages
	 * would look up and sort every match; walking the date index and
	 * testing each message against the set of matches stops after
	 * --limit hits instead. A rare word goes the other way: its few
	 * matches are looked up and sorted. The unary + keeps SQLite from
	 * turning the walk back into lookups.
	 * A negated query ("NOT word") keeps the messages outside the
	 * matches: FTS5 has no set of all rows to subtract from, the
	 * messages table is that set. The subquery is not correlated, so
	 * SQLite builds it once and the date index is walked as for ls. */
	if (match != NULL && negated)
		sqlite3_str_appendall(sql,
		                      " AND m.id NOT IN (SELECT rowid FROM "
		                      "messages_fts WHERE messages_fts "
		                      "MATCH :match)");
	else if (match != NULL && many)
		sqlite3_str_appendall(sql, " AND +m.id IN (SELECT rowid FROM "
		                           "messages_fts WHERE messages_fts "
		                           "MATCH :match)");
	else if (match != NULL)
		sqlite3_str_appendall(sql, " AND m.id IN (SELECT rowid FROM "
		                           "messages_fts WHERE messages_fts "
		                           "MATCH :match)");
	/* Substring tests (a CJK term) read each message's text: the date
	 * index is walked and the walk stops after --limit hits, or the
	 * matches of the query's FTS5 terms are the only ones read. */
	if (m != NULL && m->sql != NULL)
		sqlite3_str_appendf(sql, " AND %s", m->sql);
	where_filter(sql, &sc, f);
	sqlite3_str_appendall(sql, " ORDER BY m.sort_date DESC, m.id DESC");
	if (f->limit > 0)
		sqlite3_str_appendall(sql, " LIMIT :limit");
	sqlite3_str_appendall(sql, ") AS hit JOIN messages m ON m.id = hit.id"
	                           " JOIN mailboxes b ON b.id = m.mailbox_id"
	                           " JOIN accounts a ON a.id = b.account_id"
	                           " ORDER BY m.sort_date DESC, m.id DESC");
	if ((st = prepare(q, sql, &rc)) == NULL)
		goto out;
	bind_scope(st, &sc);
	bind_named_text(st, ":match", match);
	bind_named_int(st, ":since", f->since);
	bind_named_int(st, ":limit", f->limit);
	rc = print_rows(q, st, message_cols, NCOLS(message_cols), m != NULL,
	                &rows);
	sqlite3_finalize(st);
	if (rc == QUERY_OK && rows == 0) {
		set_err(q, "no messages found");
		rc = QUERY_NONE;
	}
out:
	scope_clear(&sc);
	return rc;
}

int query_ls(struct query *q, const struct query_filter *f)
{
	return list_messages(q, f, NULL);
}

int query_search(struct query *q, const char *text,
                 const struct query_filter *f)
{
	struct query_match m;
	int rc = query_match_translate(&m, q->db, text, q->err, sizeof(q->err));

	if (rc == QUERY_OK)
		rc = list_messages(q, f, &m);
	query_match_clear(&m);
	return rc;
}

int query_count(struct query *q, const struct query_filter *f)
{
	struct scope sc;
	sqlite3_str *sql;
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = scope_parse(q, &sc, f->scope, false)) != QUERY_OK)
		return rc;
	if ((rc = check_scope(q, &sc)) != QUERY_OK)
		goto out;
	/* --distinct: one Message-ID is one message, in however many
	 * mailboxes it is (Gmail shows each label as a mailbox: an unread
	 * message in INBOX, Important and All Mail counted three times); a
	 * message without one counts alone. */
	const char *n = f->distinct
	                        ? "count(DISTINCT nullif(m.message_id, '')) + "
	                          "count(*) - count(nullif(m.message_id, ''))"
	                        : "count(*)";
	sql = sqlite3_str_new(q->db);
	sqlite3_str_appendf(sql,
	                    q->mode == OUT_JSON
	                            ? "SELECT json_object('count', %s)"
	                            : "SELECT %s",
	                    n);
	sqlite3_str_appendall(sql, " FROM messages m WHERE 1");
	where_filter(sql, &sc, f);
	if ((st = prepare(q, sql, &rc)) == NULL)
		goto out;
	bind_scope(st, &sc);
	bind_named_int(st, ":since", f->since);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		fprintf(q->out, "%s\n",
		        (const char *)sqlite3_column_text(st, 0));
		if (fflush(q->out) == EOF || ferror(q->out)) {
			set_err(q, "writing the output failed: %s",
			        strerror(errno ? errno : EIO));
			rc = QUERY_ERROR;
		}
	} else {
		rc = step_error(q, false);
	}
	sqlite3_finalize(st);
out:
	scope_clear(&sc);
	return rc;
}

/* UIDs are non-zero 32-bit numbers (RFC 3501 2.3.1.1). */
static bool parse_uid(int64_t *out, const char *s)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 4294967295ull)
		return false;
	*out = (int64_t)v;
	return true;
}

/* The header block or the body, after a blank line. Cleaned whatever the
 * destination: "mailmirror show ... | head" prints to a terminal too, and
 * a header must not be able to drive it. Into a pipe or file the CRLF line
 * ends stay as cached. -1 when out of memory. */
static int print_block(struct query *q, const char *text)
{
	char *clean;

	if (text == NULL)
		return 0;
	clean = out_clean(text, q->mode == OUT_TABLE ? OUT_CLEAN_BLOCK
	                                             : OUT_CLEAN_BLOCK_CRLF);
	if (clean == NULL)
		return -1;
	fputs("\n", q->out);
	fputs(clean, q->out);
	if (clean[0] != '\0' && clean[strlen(clean) - 1] != '\n')
		fputs("\n", q->out);
	free(clean);
	return 0;
}

/* -1 when out of memory. */
static int print_show(struct query *q, sqlite3_stmt *st)
{
	size_t n = NCOLS(show_cols);
	int col = 0; /* the result column of show_cols[i]: JSON-only ones
	                are not selected */

	/* Fields are one line each whatever the mode: a header value must
	 * not forge the next field. */
	for (size_t i = 0; i + 2 < n; i++) {
		const char *v;
		char *clean, *owned;

		if (show_cols[i].text_sql == NULL)
			continue;
		v = column_text(st, col++, &owned);
		if (v == NULL)
			continue;
		clean = out_clean(v, OUT_CLEAN_LINE);
		free(owned);
		if (clean == NULL)
			return -1;
		fprintf(q->out, "%s:%s%s\n", show_cols[i].col.title,
		        clean[0] ? " " : "", clean);
		free(clean);
	}
	for (int b = col; b < col + 2; b++) {
		char *owned;
		int rc = print_block(q, column_text(st, b, &owned));
		free(owned);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int query_show(struct query *q, const char *scope, const char *uid)
{
	struct scope sc;
	sqlite3_str *sql;
	sqlite3_stmt *st;
	int64_t u;
	int rc, r;

	if (!parse_uid(&u, uid)) {
		set_err(q, "a UID is a number from 1 to 4294967295, not \"%s\"",
		        uid ? uid : "");
		return QUERY_USAGE;
	}
	if ((rc = scope_parse(q, &sc, scope, true)) != QUERY_OK)
		return rc;
	if ((rc = check_scope(q, &sc)) != QUERY_OK)
		goto out;
	sql = sqlite3_str_new(q->db);
	select_list(q, sql, show_cols, NCOLS(show_cols));
	sqlite3_str_appendall(sql, " FROM messages m"
	                           " JOIN mailboxes b ON b.id = m.mailbox_id"
	                           " JOIN accounts a ON a.id = b.account_id"
	                           " LEFT JOIN bodies y ON y.message_id = m.id"
	                           " WHERE a.name = :acct AND " MAILBOX_MATCH
	                           " AND m.uid = :uid LIMIT 1");
	if ((st = prepare(q, sql, &rc)) == NULL)
		goto out;
	bind_scope(st, &sc);
	bind_named_int(st, ":uid", u);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		int printed = 0;

		if (q->mode == OUT_JSON) {
			char *json = out_json_clean(
			        (const char *)sqlite3_column_text(st, 0));

			if (json == NULL)
				printed = -1;
			else
				fprintf(q->out, "%s\n", json);
			free(json);
		} else {
			printed = print_show(q, st);
		}
		if (printed < 0) {
			set_err(q, "out of memory");
			rc = QUERY_ERROR;
		} else if (fflush(q->out) == EOF || ferror(q->out)) {
			set_err(q, "writing the output failed: %s",
			        strerror(errno ? errno : EIO));
			rc = QUERY_ERROR;
		}
	} else if (r == SQLITE_DONE) {
		set_err(q, "no message with UID %lld in %s/%s", (long long)u,
		        sc.account, sc.mailbox);
		rc = QUERY_NONE;
	} else {
		rc = step_error(q, false);
	}
	sqlite3_finalize(st);
out:
	scope_clear(&sc);
	return rc;
}
