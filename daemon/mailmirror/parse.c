/* parse.c - the user's input to mailmirror: --since dates and search text.
 * Declared in query.h. */
#include "mailmirror/query.h"
#include "mailmirror/words.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

/* Bounds N of "Nd"/"Nw" so that N weeks in seconds cannot overflow. */
#define SINCE_MAX_UNITS 100000

/* Whether s is written YYYY-MM-DD, every digit a digit: sscanf's %d
 * alone took "+024-01-01" for the year 24 and "2024- 1-01" for January. */
static bool is_iso_date(const char *s)
{
	for (size_t i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-'
		                     : !isdigit((unsigned char)s[i]))
			return false;
	return s[10] == '\0';
}

int query_parse_since(int64_t *out, const char *s, time_t now, char *err,
                      size_t errlen)
{
	char *end;
	long n;

	if (s != NULL && isdigit((unsigned char)s[0])) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno == 0 && n >= 0 && n <= SINCE_MAX_UNITS &&
		    (strcmp(end, "d") == 0 || strcmp(end, "w") == 0)) {
			*out = (int64_t)now -
			       (int64_t)n * 86400 * (*end == 'w' ? 7 : 1);
			return QUERY_OK;
		}
	}
	if (s != NULL && is_iso_date(s)) {
		struct tm tm = {0};
		int y, m, d;
		char tail;

		if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
		    y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
			tm.tm_year = y - 1900;
			tm.tm_mon = m - 1;
			tm.tm_mday = d;
			tm.tm_isdst = -1;
			/* -1 is also a second of 1969: mktime tells its
			 * success by setting tm_wday. */
			tm.tm_wday = -1;
			time_t t = mktime(&tm);
			/* mktime normalises 2024-02-30 to March 1st; such a
			 * date is a typo, not a wish. */
			if (tm.tm_wday >= 0 && tm.tm_mday == d &&
			    tm.tm_mon == m - 1) {
				*out = (int64_t)t;
				return QUERY_OK;
			}
			snprintf(err, errlen, "--since: there is no date %s",
			         s);
			return QUERY_USAGE;
		}
	}
	snprintf(err, errlen,
	         "--since takes YYYY-MM-DD, Nd or Nw (days or weeks ago), "
	         "not \"%s\"",
	         s ? s : "");
	return QUERY_USAGE;
}

/* ---- search text
 *
 * The user's grammar, loosest first (the FTS5 order: OR, AND, NOT):
 *
 *	query   = or
 *	or      = and *("OR" and)
 *	and     = unary *(["AND"] unary)	; juxtaposition is AND
 *	unary   = "NOT" unary / "(" or ")" / term
 *	term    = [field ":"] (word / quoted) ["*"]
 *
 * FTS5 has only a binary NOT ("a NOT b"), while people write "NOT a" and
 * "a AND NOT b". So each expression is built as a pair: an FTS5 query and
 * whether it stands for its matches or for every other message. Every
 * combination of the two stays one FTS5 query (a AND NOT b is "a NOT b",
 * NOT a OR b is everything but "a NOT b", ...), and only the whole query
 * may end up negated, which query.c runs as the messages not among the
 * matches.
 *
 * A term holding Chinese, Japanese or Korean text is no FTS5 query: the
 * tokenizer makes "明日の会議について" one word, which no query for
 * "会議" finds. Such a term is an SQL condition instead, a substring test
 * of the indexed text (words_like_pattern), and any expression holding
 * one becomes SQL as a whole, its FTS5 parts each an IN test; a query
 * without them stays the one FTS5 query it was. */

static const struct {
	const char *prefix;
	const char *column;
} fields[] = {
        {"from:", "from_addr"},  {"to:", "to_addr"}, {"cc:", "cc_addr"},
        {"subject:", "subject"}, {"body:", "body"},
};

/* Prefixes that look like a field but are none: "bcc:me" or "is:unread"
 * searched for the words bcc and me, found nothing and said only that.
 * They are refused instead, naming the fields. Only these: a colon in
 * text ("re:meeting", "http://x", "fwd:", "mailto:") is ordinary, so the
 * list holds the columns of the messages table that are not searched,
 * the envelope fields show prints but the index leaves out, and the
 * operators of other mail searches. */
static const struct {
	const char *name;
	const char *instead; /* what does that job here, or NULL */
} non_fields[] = {
        {"id", NULL},
        {"mailbox_id", "--in"},
        {"uid", "show"},
        {"modseq", NULL},
        {"flags", "--unread or --flagged"},
        {"internaldate", "--since"},
        {"size", NULL},
        {"date", "--since"},
        {"sort_date", "--since"},
        {"from_addr", "from:"},
        {"to_addr", "to:"},
        {"cc_addr", "cc:"},
        {"sender_addr", NULL},
        {"reply_to_addr", NULL},
        {"bcc_addr", NULL},
        {"message_id", NULL},
        {"in_reply_to", NULL},
        {"seen", "--unread"},
        {"flagged", "--flagged"},
        {"sender", NULL},
        {"reply_to", NULL},
        {"bcc", NULL},
        {"is", "--unread or --flagged"},
        {"has", NULL},
        {"in", "--in"},
};

/* Parentheses and NOTs nest at most this deep: the parser recurses once
 * per level, and FTS5 refuses deep queries anyway. */
#define SEARCH_MAX_DEPTH 32

/* Terms matched as text (CJK, emoji) at most: each reads every message
 * it is asked of, and SQLite bounds an expression's depth. */
#define SEARCH_MAX_SUBSTRINGS 64

enum token { T_END, T_TERM, T_AND, T_OR, T_NOT, T_OPEN, T_CLOSE };

/* Binding strength of the operator at an FTS5 query's top level. */
enum prec { P_OR, P_AND, P_NOT, P_ATOM };

struct expr {
	char *fts;  /* sqlite3_malloc'ed; NULL after an error */
	char *sql;  /* instead of fts: a condition over messages m
	               (sqlite3_malloc'ed) */
	bool neg;   /* stands for every message except fts's (sql's)
	               matches */
	bool blank; /* no word FTS5 indexes ("-"): it would match nothing,
	               so AND and OR leave it out */
	enum prec prec;
};

struct parser {
	const char *p;       /* the rest of the text */
	enum token tok;      /* the current token */
	char *term;          /* its FTS5 form for T_TERM (sqlite3_malloc'ed) */
	char *term_sql;      /* or its SQL form (substring_sql) */
	bool term_blank;     /* the term holds no word (term_has_word) */
	struct words *words; /* the index's tokenizer */
	int depth;
	bool any_word; /* a term with something FTS5 indexes */
	int substrings; /* terms matched as text (put_term) */
	int rc;        /* the first error, or QUERY_OK */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static void
fail(struct parser *ps, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ps->rc != QUERY_OK)
		return;
	ps->rc = rc;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
}

static void fail_nomem(struct parser *ps)
{
	fail(ps, QUERY_ERROR, "out of memory");
}

/* A word ends at white space, a parenthesis or a quote. */
static size_t word_len(const char *p)
{
	size_t n = 0;

	while (p[n] != '\0' && !isspace((unsigned char)p[n]) && p[n] != '(' &&
	       p[n] != ')' && p[n] != '"')
		n++;
	return n;
}

/* Appends text[0..n) as one FTS5 string: inside it, operators and
 * column syntax are plain text, so nothing the user types reaches the FTS5
 * grammar except what the parser writes itself. */
static void put_phrase(sqlite3_str *q, const char *text, size_t n, bool prefix)
{
	sqlite3_str_appendchar(q, 1, '"');
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '"')
			sqlite3_str_appendchar(q, 1, '"');
		sqlite3_str_appendchar(q, 1, text[i]);
	}
	sqlite3_str_appendall(q, prefix ? "\"*" : "\"");
}

/* Whether text[0..n) holds a word for the index's tokenizer, which keeps
 * letters and digits and drops the rest: a term of punctuation or symbols
 * alone ("-", "...", an emoji, an em dash) is no word and matches nothing.
 * Counting every non-ASCII byte as a letter made "budget \u2014" match
 * nothing at all. */
static bool term_has_word(struct parser *ps, const char *text, size_t n)
{
	bool found = false;

	if (words_any(&found, ps->words, text, n) < 0)
		fail_nomem(ps);
	return found;
}

static const char *const text_columns[] = {"subject", "from_addr", "to_addr",
                                           "cc_addr", "body"};

/* A CJK term (words_cjk) or one of emoji: the messages whose indexed text
 * (the view the index is built from, so that a message waiting for the
 * indexer is found by neither path) is LIKE pattern, in column or in any
 * searched column; takes pattern. A trailing '*' changes nothing: a
 * substring is a prefix too. The pattern goes into the SQL as a literal
 * quoted by SQLite (%Q), so that the condition travels as one string. */
static char *substring_sql(struct parser *ps, const char *column, char *pattern)
{
	sqlite3_str *q = sqlite3_str_new(NULL);

	sqlite3_str_appendall(q, "EXISTS (SELECT 1 FROM message_text t WHERE "
	                         "t.id = m.id AND (");
	for (size_t i = 0; i < sizeof(text_columns) / sizeof(text_columns[0]);
	     i++) {
		if (column != NULL && strcmp(column, text_columns[i]) != 0)
			continue;
		sqlite3_str_appendf(q, "%st.%s LIKE %Q ESCAPE '\\'",
		                    column == NULL && i > 0 ? " OR " : "",
		                    text_columns[i], pattern);
	}
	sqlite3_str_appendall(q, "))");
	sqlite3_free(pattern);
	if (sqlite3_str_errcode(q) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(q));
		fail_nomem(ps);
		return NULL;
	}
	return sqlite3_str_finish(q);
}

/* The term text[0..n) in column (NULL: any) into ps: the FTS5 phrase
 * appended to q, and for a CJK term or one of emoji alone its SQL in
 * ps->term_sql, which the parser takes instead. An emoji is no word for
 * the index, but unlike punctuation it is what people look for ("-" is
 * in most mail, and stays left out). */
static void put_term(struct parser *ps, sqlite3_str *q, const char *column,
                     const char *text, size_t n, bool prefix)
{
	char *pattern = NULL;
	bool word = false;
	int rc = 0;

	if (words_cjk(text, n))
		rc = words_like_pattern(&pattern, ps->words, text, n);
	else if (!(word = term_has_word(ps, text, n)))
		rc = words_emoji_pattern(&pattern, text, n);
	if (rc < 0)
		fail_nomem(ps);
	if (pattern != NULL && ++ps->substrings > SEARCH_MAX_SUBSTRINGS) {
		sqlite3_free(pattern);
		fail(ps, QUERY_BADQUERY,
		     "bad search query: more than %d terms of Chinese, "
		     "Japanese, Korean or emoji",
		     SEARCH_MAX_SUBSTRINGS);
	} else if (pattern != NULL) {
		ps->term_sql = substring_sql(ps, column, pattern);
		word = ps->term_sql != NULL;
	}
	ps->term_blank = !word;
	ps->any_word |= word;
	put_phrase(q, text, n, prefix);
}

/* A prefix such as "bcc:" that names no field (non_fields): a bad query,
 * which says what the fields are. */
static bool refuse_non_field(struct parser *ps, const char *p)
{
	size_t n = 0;

	while (isalpha((unsigned char)p[n]) || p[n] == '_')
		n++;
	if (n == 0 || p[n] != ':')
		return false;
	for (size_t i = 0; i < sizeof(non_fields) / sizeof(non_fields[0]);
	     i++) {
		const char *instead = non_fields[i].instead;

		if (strlen(non_fields[i].name) != n ||
		    strncasecmp(p, non_fields[i].name, n) != 0)
			continue;
		fail(ps, QUERY_BADQUERY,
		     "bad search query: \"%.*s:\" is not a search field%s%s%s; "
		     "the fields are from: to: cc: subject: body:, and "
		     "\"%.*s\" in quotes searches for the text",
		     (int)n, p, instead ? " (use " : "", instead ? instead : "",
		     instead ? " instead)" : "", (int)word_len(p), p);
		return true;
	}
	return false;
}

/* Reads the term at ps->p (after white space and operators were ruled
 * out) into ps->term. */
static void lex_term(struct parser *ps)
{
	sqlite3_str *q = sqlite3_str_new(NULL);
	const char *column = NULL, *p = ps->p;
	size_t n;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t pl = strlen(fields[i].prefix);

		if (strncasecmp(p, fields[i].prefix, pl) == 0) {
			column = fields[i].column;
			p += pl;
			break;
		}
	}
	if (column == NULL && refuse_non_field(ps, p))
		goto out;
	if (column != NULL)
		sqlite3_str_appendf(q, "%s : ", column);
	if (*p == '"') {
		/* The quote that ends the phrase is a single one: a quote
		 * written twice is one in the phrase (the manual's "he said
		 * ""hi"""; explore41: the phrase ended at the first). */
		const char *close = p + 1;
		while ((close = strchr(close, '"')) != NULL && close[1] == '"')
			close += 2;
		if (close == NULL) {
			fail(ps, QUERY_BADQUERY,
			     "bad search query: unterminated quote");
			goto out;
		}
		char *text = malloc((size_t)(close - p));
		if (text == NULL) {
			fail_nomem(ps);
			goto out;
		}
		n = 0;
		for (const char *c = p + 1; c < close; c++) {
			text[n++] = *c;
			if (*c == '"')
				c++; /* the second of the two */
		}
		p = close + 1;
		put_term(ps, q, column, text, n, *p == '*');
		free(text);
		if (*p == '*')
			p++;
	} else if ((n = word_len(p)) == 0) {
		/* "from:" followed by nothing or a parenthesis */
		fail(ps, QUERY_BADQUERY,
		     *p == '('
		             ? "bad search query: a field prefix takes one "
		               "word "
		               "or a quoted phrase, not a group: write "
		               "subject:a OR subject:b"
		             : "bad search query: a field prefix needs a term "
		               "after it");
		goto out;
	} else if (n == 1 && p[0] == '*') {
		fail(ps, QUERY_BADQUERY,
		     "bad search query: '*' needs a word before it");
		goto out;
	} else {
		/* a trailing '*' makes a prefix query */
		size_t len = n - (p[n - 1] == '*');

		put_term(ps, q, column, p, len, p[n - 1] == '*');
		p += n;
	}
	if (ps->rc != QUERY_OK)
		goto out;
	if (sqlite3_str_errcode(q) != SQLITE_OK) {
		fail_nomem(ps);
		goto out;
	}
	ps->p = p;
	ps->tok = T_TERM;
	ps->term = sqlite3_str_finish(q);
	return;
out:
	sqlite3_free(sqlite3_str_finish(q));
}

/* Moves to the next token; on an error ps->tok is T_END. */
static void next(struct parser *ps)
{
	static const struct {
		const char *word;
		enum token tok;
	} ops[] = {{"AND", T_AND}, {"OR", T_OR}, {"NOT", T_NOT}};
	const char *p = ps->p;

	sqlite3_free(ps->term);
	sqlite3_free(ps->term_sql);
	ps->term = NULL;
	ps->term_sql = NULL;
	ps->tok = T_END;
	while (isspace((unsigned char)*p))
		p++;
	ps->p = p;
	if (*p == '\0' || ps->rc != QUERY_OK)
		return;
	if (*p == '(' || *p == ')') {
		ps->tok = *p == '(' ? T_OPEN : T_CLOSE;
		ps->p++;
		return;
	}
	/* Upper case only: "and" and "not" are words people search for. */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].word);

		if (word_len(p) == n && strncmp(p, ops[i].word, n) == 0) {
			ps->tok = ops[i].tok;
			ps->p += n;
			return;
		}
	}
	lex_term(ps);
	if (ps->rc != QUERY_OK)
		ps->tok = T_END;
}

static bool starts_operand(enum token t)
{
	return t == T_TERM || t == T_OPEN || t == T_NOT;
}

static const char *token_name(enum token t)
{
	return t == T_AND ? "AND" : t == T_OR ? "OR" : "NOT";
}

static void expr_free(struct expr *e)
{
	sqlite3_free(e->fts);
	sqlite3_free(e->sql);
	e->fts = NULL;
	e->sql = NULL;
}

/* e as an SQL condition over messages m, in parentheses unless it binds
 * at least as tightly as min asks; takes e's strings. NULL when out of
 * memory. Parentheses only where needed: SQLite's parser overflows its
 * stack at about 100 nested ones, which a chain of terms each wrapped
 * with the terms before it reached. */
static char *as_sql(struct expr *e, enum prec min)
{
	bool wrap = (e->neg ? P_NOT : e->prec) < min,
	     inner = e->neg && e->prec < P_ATOM;
	char *sql;

	if (e->sql != NULL)
		sql = sqlite3_mprintf("%s%s%s%s%s%s", wrap ? "(" : "",
		                      e->neg ? "NOT " : "", inner ? "(" : "",
		                      e->sql, inner ? ")" : "",
		                      wrap ? ")" : "");
	else
		sql = sqlite3_mprintf(
		        "m.id %sIN (SELECT rowid FROM messages_fts "
		        "WHERE messages_fts MATCH %Q)",
		        e->neg ? "NOT " : "", e->fts);
	expr_free(e);
	return sql;
}

/* l op r (AND, OR: prec) in SQL, when a side is SQL already. */
static struct expr sql_binop(struct parser *ps, struct expr l, const char *op,
                             struct expr r, enum prec prec)
{
	char *ls = as_sql(&l, prec), *rs = as_sql(&r, prec);
	struct expr e = {.prec = prec};

	if (ls != NULL && rs != NULL)
		e.sql = sqlite3_mprintf("%s %s %s", ls, op, rs);
	if (e.sql == NULL)
		fail_nomem(ps);
	sqlite3_free(ls);
	sqlite3_free(rs);
	return e;
}

/* l op r in FTS5, each side in parentheses unless it binds at least as
 * tightly as lmin / rmin asks; takes l's and r's strings. */
static struct expr binop(struct parser *ps, struct expr l, const char *op,
                         struct expr r, enum prec prec, bool neg)
{
	/* AND and OR are associative; FTS5's NOT groups to the left. */
	enum prec lmin = prec, rmin = prec == P_NOT ? P_ATOM : prec;
	struct expr e = {.neg = neg, .blank = l.blank && r.blank, .prec = prec};

	if (ps->rc != QUERY_OK) {
		expr_free(&l);
		expr_free(&r);
		return (struct expr){0};
	}
	e.fts = sqlite3_mprintf("%s%s%s %s %s%s%s", l.prec < lmin ? "( " : "",
	                        l.fts, l.prec < lmin ? " )" : "", op,
	                        r.prec < rmin ? "( " : "", r.fts,
	                        r.prec < rmin ? " )" : "");
	if (e.fts == NULL)
		fail_nomem(ps);
	expr_free(&l);
	expr_free(&r);
	return e;
}

/* The side that holds a word, when the other holds none: "budget -"
 * means "budget", not nothing. NULL when both or neither hold one. */
static struct expr *worded_side(struct expr *l, struct expr *r)
{
	if (l->blank == r->blank)
		return NULL;
	expr_free(l->blank ? l : r);
	return l->blank ? r : l;
}

/* With A, B the matches of two FTS5 queries and ~ "every other message":
 * A and ~B is A NOT B, ~A and ~B is ~(A OR B). */
static struct expr both(struct parser *ps, struct expr l, struct expr r)
{
	struct expr *w = worded_side(&l, &r);
	if (w)
		return *w;
	if (ps->rc == QUERY_OK && (l.sql != NULL || r.sql != NULL))
		return sql_binop(ps, l, "AND", r, P_AND);
	if (!l.neg && !r.neg)
		return binop(ps, l, "AND", r, P_AND, false);
	if (!l.neg)
		return binop(ps, l, "NOT", r, P_NOT, false);
	if (!r.neg)
		return binop(ps, r, "NOT", l, P_NOT, false);
	return binop(ps, l, "OR", r, P_OR, true);
}

/* A or ~B is ~(B NOT A), ~A or ~B is ~(A AND B). */
static struct expr either(struct parser *ps, struct expr l, struct expr r)
{
	struct expr *w = worded_side(&l, &r);
	if (w)
		return *w;
	if (ps->rc == QUERY_OK && (l.sql != NULL || r.sql != NULL))
		return sql_binop(ps, l, "OR", r, P_OR);
	if (!l.neg && !r.neg)
		return binop(ps, l, "OR", r, P_OR, false);
	if (!l.neg)
		return binop(ps, r, "NOT", l, P_NOT, true);
	if (!r.neg)
		return binop(ps, l, "NOT", r, P_NOT, true);
	return binop(ps, l, "AND", r, P_AND, true);
}

static struct expr parse_or(struct parser *ps);

static struct expr parse_unary(struct parser *ps)
{
	struct expr e = {0};

	if (ps->rc != QUERY_OK)
		return e;
	switch (ps->tok) {
	case T_TERM:
		e = (struct expr){.blank = ps->term_blank, .prec = P_ATOM};
		/* A CJK term's FTS5 phrase is not used. */
		if (ps->term_sql != NULL) {
			e.sql = ps->term_sql;
			sqlite3_free(ps->term);
		} else {
			e.fts = ps->term;
		}
		ps->term = NULL;
		ps->term_sql = NULL;
		next(ps);
		return e;
	case T_NOT:
	case T_OPEN:
		break;
	case T_CLOSE:
		fail(ps, QUERY_BADQUERY,
		     "bad search query: ')' without a matching '('");
		return e;
	case T_END:
		fail(ps, QUERY_BADQUERY,
		     "bad search query: '(' without a matching ')'");
		return e;
	default:
		fail(ps, QUERY_BADQUERY,
		     "bad search query: %s needs a term on each side",
		     token_name(ps->tok));
		return e;
	}
	if (++ps->depth > SEARCH_MAX_DEPTH) {
		fail(ps, QUERY_BADQUERY,
		     "bad search query: parentheses and NOT nested more than "
		     "%d deep",
		     SEARCH_MAX_DEPTH);
		return e;
	}
	if (ps->tok == T_NOT) {
		next(ps);
		if (ps->rc == QUERY_OK && !starts_operand(ps->tok))
			fail(ps, QUERY_BADQUERY,
			     "bad search query: NOT needs a term after it");
		e = parse_unary(ps);
		e.neg = !e.neg;
	} else {
		next(ps);
		if (ps->tok == T_CLOSE)
			fail(ps, QUERY_BADQUERY,
			     "bad search query: empty parentheses");
		e = parse_or(ps);
		if (ps->rc == QUERY_OK && ps->tok != T_CLOSE)
			fail(ps, QUERY_BADQUERY,
			     "bad search query: '(' without a matching ')'");
		next(ps);
	}
	ps->depth--;
	if (ps->rc != QUERY_OK)
		expr_free(&e);
	return e;
}

typedef struct expr combine_fn(struct parser *ps, struct expr l, struct expr r);

/* Adds u to a chain of operands of one operator (combine: both, either),
 * kept as two sides: the FTS5 operands, which stay one FTS5 query, and
 * the SQL ones. Each join copies the string built so far, so a chain of
 * terms each turned into SQL on its own grew with the square of its
 * length (seconds for a thousand), and each was one more test of the
 * index where one query does. */
static void chain_add(struct parser *ps, struct expr *fts, struct expr *sql,
                      struct expr u, combine_fn *combine)
{
	struct expr *side = u.sql != NULL ? sql : fts;

	if (side->fts == NULL && side->sql == NULL)
		*side = u;
	else
		*side = combine(ps, *side, u);
}

static struct expr chain_end(struct parser *ps, struct expr fts,
                             struct expr sql, combine_fn *combine)
{
	if (fts.fts == NULL && fts.sql == NULL)
		return sql;
	if (sql.fts == NULL && sql.sql == NULL)
		return fts;
	return combine(ps, fts, sql);
}

static struct expr parse_and(struct parser *ps)
{
	struct expr fts = {0}, sql = {0}, l;

	chain_add(ps, &fts, &sql, parse_unary(ps), both);
	while (ps->rc == QUERY_OK) {
		if (ps->tok == T_AND) {
			next(ps);
			if (ps->rc == QUERY_OK && !starts_operand(ps->tok))
				fail(ps, QUERY_BADQUERY,
				     "bad search query: AND needs a term on "
				     "each side");
		} else if (!starts_operand(ps->tok)) {
			break;
		}
		if (ps->rc != QUERY_OK)
			break;
		chain_add(ps, &fts, &sql, parse_unary(ps), both);
	}
	l = chain_end(ps, fts, sql, both);
	if (ps->rc != QUERY_OK)
		expr_free(&l);
	return l;
}

static struct expr parse_or(struct parser *ps)
{
	struct expr fts = {0}, sql = {0}, l;

	chain_add(ps, &fts, &sql, parse_and(ps), either);
	while (ps->rc == QUERY_OK && ps->tok == T_OR) {
		next(ps);
		if (ps->rc == QUERY_OK && !starts_operand(ps->tok))
			fail(ps, QUERY_BADQUERY,
			     "bad search query: OR needs a term on each side");
		if (ps->rc != QUERY_OK)
			break;
		chain_add(ps, &fts, &sql, parse_and(ps), either);
	}
	l = chain_end(ps, fts, sql, either);
	if (ps->rc != QUERY_OK)
		expr_free(&l);
	return l;
}

int query_match_translate(struct query_match *out, sqlite3 *db,
                          const char *text, char *err, size_t errlen)
{
	struct parser ps = {.p = text ? text : "",
	                    .rc = QUERY_OK,
	                    .err = err,
	                    .errlen = errlen};
	struct expr e;

	*out = (struct query_match){0};
	/* One tokenizer for every term of the query. */
	if (words_open(&ps.words, db, err, errlen) < 0)
		return QUERY_ERROR;
	next(&ps);
	if (ps.rc == QUERY_OK && ps.tok == T_END) {
		words_close(&ps.words);
		snprintf(err, errlen, "search needs at least one word");
		return QUERY_USAGE;
	}
	e = parse_or(&ps);
	if (ps.rc == QUERY_OK && ps.tok == T_CLOSE)
		fail(&ps, QUERY_BADQUERY,
		     "bad search query: ')' without a matching '('");
	sqlite3_free(ps.term);
	sqlite3_free(ps.term_sql);
	words_close(&ps.words);
	/* "search -" matched nothing and said so (status 1), as if the
	 * mailbox had no such mail; the manual gives an empty query status
	 * 2, and a query of punctuation alone is empty to FTS5. */
	if (ps.rc == QUERY_OK && !ps.any_word)
		fail(&ps, QUERY_USAGE,
		     "search needs at least one word; punctuation and "
		     "symbols alone are not indexed");
	if (ps.rc != QUERY_OK) {
		expr_free(&e);
		return ps.rc;
	}
	if (e.sql != NULL) {
		char *sql = as_sql(&e, P_ATOM);

		out->sql = sql ? strdup(sql) : NULL;
		sqlite3_free(sql);
	} else {
		out->fts = strdup(e.fts);
		out->negated = e.neg;
		expr_free(&e);
	}
	if (out->sql == NULL && out->fts == NULL) {
		snprintf(err, errlen, "out of memory");
		return QUERY_ERROR;
	}
	return QUERY_OK;
}

void query_match_clear(struct query_match *m)
{
	free(m->fts);
	free(m->sql);
	*m = (struct query_match){0};
}

int query_fts_translate(char **out, bool *negated, sqlite3 *db,
                        const char *text, char *err, size_t errlen)
{
	struct query_match m;
	int rc = query_match_translate(&m, db, text, err, errlen);

	*out = NULL;
	*negated = false;
	if (rc != QUERY_OK)
		return rc;
	if (m.sql != NULL) {
		query_match_clear(&m);
		snprintf(err, errlen,
		         "the query matches text as a substring, which no FTS5 "
		         "query does");
		return QUERY_ERROR;
	}
	*out = m.fts;
	*negated = m.negated;
	return QUERY_OK;
}

char *query_literal_text(const char *const *w, size_t n)
{
	/* Each byte at most doubled, three more per run ("" and a space). */
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += 4 * strlen(w[i]) + 1;
	char *out = malloc(cap), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		for (const char *p = w[i]; *p;) {
			while (isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			if (o > out)
				*o++ = ' ';
			*o++ = '"';
			for (; *p && !isspace((unsigned char)*p); p++) {
				if (*p == '"')
					*o++ = '"';
				*o++ = *p;
			}
			*o++ = '"';
		}
	}
	*o = '\0';
	return out;
}
