/* main.c - mailmirror: query the cache that mailmirrord keeps.
 * The command line is documented in mailmirror.1. */
#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirror/query.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAILMIRROR_VERSION "0.1.0"

static const char usage_text[] =
        "Usage: mailmirror [--db PATH] [--json] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  status                          accounts and mailboxes\n"
        "  ls [ACCOUNT[/MAILBOX]] [--unread] [--flagged] [--since DATE]\n"
        "     [--limit N]                  messages, newest first\n"
        "  search [--in ACCOUNT[/MAILBOX]] [--unread] [--flagged]\n"
        "     [--since DATE] [--limit N] QUERY...\n"
        "                                  full-text search; QUERY may use\n"
        "                                  from: to: cc: subject: body:\n"
        "  show ACCOUNT/MAILBOX UID        one message\n"
        "  count [--unread] [--flagged] [--since DATE] [ACCOUNT[/MAILBOX]]\n"
        "                                  number of messages\n"
        "\n"
        "Options:\n"
        "  --db PATH      the cache (default: see mailmirror(1))\n"
        "  --json         one JSON object per line\n"
        "  --help         this text\n"
        "  --version      the version\n"
        "\n"
        "DATE is YYYY-MM-DD, Nd or Nw. --limit defaults to 100; 0 means none.\n"
        "Exit status: 0 ok, 1 nothing found, 2 usage, 3 no cache, 4 cache "
        "from\n"
        "a newer mailmirror, 5 bad search query, 6 other error.\n";

struct args {
	const char *db;
	bool json;
	const char *command;
	const char *pos[64];
	size_t npos;
	const char *in;
	struct query_filter filter;
	bool has_unread, has_flagged, has_since, has_limit;
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
	va_list ap;

	fputs("mailmirror: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mailmirror --help'.\n", stderr);
	return QUERY_USAGE;
}

/* The value of --opt=value or --opt value; NULL if missing. */
static const char *opt_value(const char *arg, size_t name_len, int argc,
                             char **argv, int *i)
{
	if (arg[name_len] == '=')
		return arg + name_len + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_limit(long *out, const char *s)
{
	char *end;
	long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000000L)
		return -1;
	*out = v;
	return 0;
}

/* Options may come before or after the command; "--" ends them. */
static int parse_args(struct args *a, int argc, char **argv)
{
	bool options = true;

	a->filter.since = QUERY_NO_TIME;
	a->filter.limit = QUERY_DEFAULT_LIMIT;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		char err[256];

		if (options && strcmp(arg, "--") == 0) {
			options = false;
		} else if (options && (strcmp(arg, "--help") == 0 ||
		                       strcmp(arg, "-h") == 0)) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (options && strcmp(arg, "--version") == 0) {
			printf("mailmirror %s (cache schema %d)\n",
			       MAILMIRROR_VERSION, CACHE_SCHEMA_VERSION);
			exit(0);
		} else if (options && strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (options && strcmp(arg, "--unread") == 0) {
			a->filter.unread = a->has_unread = true;
		} else if (options && strcmp(arg, "--flagged") == 0) {
			a->filter.flagged = a->has_flagged = true;
		} else if (options && is_opt(arg, "--db")) {
			if ((a->db = opt_value(arg, 4, argc, argv, &i)) == NULL)
				return usage_error("--db needs a path");
		} else if (options && is_opt(arg, "--in")) {
			if ((a->in = opt_value(arg, 4, argc, argv, &i)) == NULL)
				return usage_error(
				        "--in needs ACCOUNT[/MAILBOX]");
		} else if (options && is_opt(arg, "--since")) {
			v = opt_value(arg, 7, argc, argv, &i);
			if (query_parse_since(&a->filter.since, v, time(NULL),
			                      err, sizeof(err)) != QUERY_OK)
				return usage_error("%s", err);
			a->has_since = true;
		} else if (options && is_opt(arg, "--limit")) {
			v = opt_value(arg, 7, argc, argv, &i);
			if (parse_limit(&a->filter.limit, v) < 0)
				return usage_error("--limit takes a number, "
				                   "not \"%s\"",
				                   v ? v : "");
			a->has_limit = true;
		} else if (options && arg[0] == '-' && arg[1] != '\0') {
			return usage_error("unknown option %s", arg);
		} else if (a->command == NULL) {
			a->command = arg;
		} else if (a->npos < sizeof(a->pos) / sizeof(a->pos[0])) {
			a->pos[a->npos++] = arg;
		} else {
			return usage_error("too many arguments");
		}
	}
	return QUERY_OK;
}

/* Refuses options that mean nothing to the command, rather than
 * ignoring what the user asked for. */
static int check_args(const struct args *a, bool filters, bool limit,
                      size_t min_pos, size_t max_pos)
{
	if ((!filters && (a->has_unread || a->has_flagged || a->has_since)) ||
	    (!limit && a->has_limit) ||
	    (a->in != NULL && strcmp(a->command, "search") != 0))
		return usage_error("option not valid for %s", a->command);
	if (a->npos < min_pos || a->npos > max_pos)
		return usage_error("wrong number of arguments for %s",
		                   a->command);
	return QUERY_OK;
}

/* The words of the search, joined by spaces, so that the query needs no
 * quoting in the shell. */
static char *join_words(const char *const *w, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, w[i]);
	}
	return s;
}

static int run(struct query *q, struct args *a)
{
	int rc;

	if (strcmp(a->command, "status") == 0) {
		if ((rc = check_args(a, false, false, 0, 0)) != QUERY_OK)
			return rc;
		return query_status(q);
	}
	if (strcmp(a->command, "ls") == 0) {
		if ((rc = check_args(a, true, true, 0, 1)) != QUERY_OK)
			return rc;
		a->filter.scope = a->npos ? a->pos[0] : NULL;
		return query_ls(q, &a->filter);
	}
	if (strcmp(a->command, "count") == 0) {
		if ((rc = check_args(a, true, false, 0, 1)) != QUERY_OK)
			return rc;
		a->filter.scope = a->npos ? a->pos[0] : NULL;
		return query_count(q, &a->filter);
	}
	if (strcmp(a->command, "show") == 0) {
		if ((rc = check_args(a, false, false, 2, 2)) != QUERY_OK)
			return rc;
		return query_show(q, a->pos[0], a->pos[1]);
	}
	if (strcmp(a->command, "search") == 0) {
		char *text;

		if ((rc = check_args(a, true, true, 1, 64)) != QUERY_OK)
			return rc;
		if ((text = join_words(a->pos, a->npos)) == NULL) {
			snprintf(q->err, sizeof(q->err), "out of memory");
			return QUERY_ERROR;
		}
		a->filter.scope = a->in;
		rc = query_search(q, text, &a->filter);
		free(text);
		return rc;
	}
	return usage_error("unknown command \"%s\"", a->command);
}

static bool is_command(const char *c)
{
	static const char *const known[] = {"status", "ls", "count", "show",
	                                    "search"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(c, known[i]) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct query q = {0};
	char *path = NULL;
	char err[512];
	int rc;

	setlocale(LC_ALL, "");
	if ((rc = parse_args(&a, argc, argv)) != QUERY_OK)
		return rc;
	if (a.command == NULL)
		return usage_error("no command given");
	if (!is_command(a.command))
		return usage_error("unknown command \"%s\"", a.command);
	if (a.db == NULL) {
		if (cache_default_path(&path, false, err, sizeof(err)) < 0) {
			fprintf(stderr, "mailmirror: %s\n", err);
			return QUERY_NOCACHE;
		}
		a.db = path;
	}
	rc = query_open(&q, a.db, stdout,
	                a.json                  ? OUT_JSON
	                : isatty(STDOUT_FILENO) ? OUT_TABLE
	                                        : OUT_TSV);
	if (rc == QUERY_OK) {
		rc = run(&q, &a);
		query_close(&q);
	}
	if (rc != QUERY_OK && q.err[0] != '\0')
		fprintf(stderr, "mailmirror: %s\n", q.err);
	free(path);
	return rc;
}
