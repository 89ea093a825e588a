/* parse.c - the user's input to mailmirror: --since dates and search text.
 * Declared in query.h. */
#include "mailmirror/query.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

/* Bounds N of "Nd"/"Nw" so that N weeks in seconds cannot overflow. */
#define SINCE_MAX_UNITS 100000

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
	if (s != NULL && strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		struct tm tm = {0};
		int y, m, d;
		char tail;

		if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
		    y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
			tm.tm_year = y - 1900;
			tm.tm_mon = m - 1;
			tm.tm_mday = d;
			tm.tm_isdst = -1;
			time_t t = mktime(&tm);
			/* mktime normalises 2024-02-30 to March 1st; such a
			 * date is a typo, not a wish. */
			if (t != (time_t)-1 && tm.tm_mday == d &&
			    tm.tm_mon == m - 1) {
				*out = (int64_t)t;
				return QUERY_OK;
			}
		}
	}
	snprintf(err, errlen,
	         "--since takes YYYY-MM-DD, Nd or Nw (days or weeks ago), "
	         "not \"%s\"",
	         s ? s : "");
	return QUERY_USAGE;
}

static const struct {
	const char *prefix;
	const char *column;
} fields[] = {
        {"from:", "from_addr"},  {"to:", "to_addr"}, {"cc:", "cc_addr"},
        {"subject:", "subject"}, {"body:", "body"},
};

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
 * grammar except what the caller lets through. */
static void put_phrase(sqlite3_str *q, const char *text, size_t n, bool prefix)
{
	sqlite3_str_appendchar(q, 1, '"');
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '"')
			sqlite3_str_appendchar(q, 1, '"');
		sqlite3_str_appendchar(q, 1, text[i]);
	}
	sqlite3_str_appendall(q, prefix ? "\"* " : "\" ");
}

int query_fts_translate(char **out, const char *text, char *err, size_t errlen)
{
	sqlite3_str *q = sqlite3_str_new(NULL);
	const char *p = text ? text : "";
	bool any = false;
	char *res;

	*out = NULL;
	while (*p != '\0') {
		const char *column = NULL;
		size_t n;

		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '(' || *p == ')') {
			sqlite3_str_appendchar(q, 1, *p);
			sqlite3_str_appendchar(q, 1, ' ');
			p++;
			continue;
		}
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]);
		     i++) {
			size_t pl = strlen(fields[i].prefix);

			if (strncasecmp(p, fields[i].prefix, pl) == 0) {
				column = fields[i].column;
				p += pl;
				break;
			}
		}
		if (column != NULL)
			sqlite3_str_appendf(q, "%s : ", column);
		if (*p == '"') {
			const char *close = strchr(p + 1, '"');

			if (close == NULL) {
				snprintf(err, errlen,
				         "bad search query: unterminated "
				         "quote");
				sqlite3_free(sqlite3_str_finish(q));
				return QUERY_BADQUERY;
			}
			n = (size_t)(close - p - 1);
			p = close + 1;
			put_phrase(q, close - n, n, *p == '*');
			if (*p == '*')
				p++;
			any = true;
			continue;
		}
		n = word_len(p);
		if (n == 0) {
			/* "from:" followed by nothing or a parenthesis */
			snprintf(err, errlen,
			         "bad search query: a field prefix needs a "
			         "term after it");
			sqlite3_free(sqlite3_str_finish(q));
			return QUERY_BADQUERY;
		}
		if (column == NULL &&
		    ((n == 3 && (strncmp(p, "AND", 3) == 0 ||
		                 strncmp(p, "NOT", 3) == 0)) ||
		     (n == 2 && strncmp(p, "OR", 2) == 0))) {
			sqlite3_str_append(q, p, (int)n);
			sqlite3_str_appendchar(q, 1, ' ');
		} else if (n == 1 && p[0] == '*') {
			snprintf(err, errlen,
			         "bad search query: '*' needs a word before "
			         "it");
			sqlite3_free(sqlite3_str_finish(q));
			return QUERY_BADQUERY;
		} else {
			/* a trailing '*' makes a prefix query */
			put_phrase(q, p, n - (p[n - 1] == '*'),
			           p[n - 1] == '*');
			any = true;
		}
		p += n;
	}
	if (!any) {
		snprintf(err, errlen, "search needs at least one word");
		sqlite3_free(sqlite3_str_finish(q));
		return QUERY_USAGE;
	}
	if (sqlite3_str_errcode(q) != SQLITE_OK) {
		snprintf(err, errlen, "out of memory");
		sqlite3_free(sqlite3_str_finish(q));
		return QUERY_ERROR;
	}
	res = sqlite3_str_finish(q);
	*out = strdup(res);
	sqlite3_free(res);
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return QUERY_ERROR;
	}
	return QUERY_OK;
}
