/* args.c - mailmirror's command line; see args.h. */
#include "mailmirror/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int usage(char *err, size_t errlen,
                                                       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

/* An option of one value given again: which one was meant cannot be
 * known (explore56: "--in A --in B" searched B alone, and said so
 * nowhere). */
static bool again(const char *arg, const char *name, bool given)
{
	return given && is_opt(arg, name);
}

#define LIMIT_MAX 1000000000L

static int parse_limit(long *out, const char *s)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > LIMIT_MAX)
		return -1;
	*out = v;
	return 0;
}

int args_parse(struct args *a, int argc, char **argv, time_t now, char *err,
               size_t errlen)
{
	bool options = true;

	*a = (struct args){0};
	a->filter.since = QUERY_NO_TIME;
	a->filter.limit = QUERY_DEFAULT_LIMIT;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;

		if (options && strcmp(arg, "--") == 0) {
			options = false;
		} else if (options && (strcmp(arg, "--help") == 0 ||
		                       strcmp(arg, "-h") == 0)) {
			a->help = true;
			return QUERY_OK;
		} else if (options && strcmp(arg, "--version") == 0) {
			a->version = true;
			return QUERY_OK;
		} else if (options && strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (options && strcmp(arg, "--unread") == 0) {
			a->filter.unread = a->has_unread = true;
		} else if (options && strcmp(arg, "--distinct") == 0) {
			a->filter.distinct = true;
		} else if (options && strcmp(arg, "--literal") == 0) {
			a->literal = true;
		} else if (options && strcmp(arg, "--flagged") == 0) {
			a->filter.flagged = a->has_flagged = true;
		} else if (options && (again(arg, "--db", a->db) ||
		                       again(arg, "--in", a->in) ||
		                       again(arg, "--since", a->has_since) ||
		                       again(arg, "--limit", a->has_limit))) {
			return usage(err, errlen,
			             "%.*s given twice: it takes one value",
			             (int)strcspn(arg, "="), arg);
		} else if (options && is_opt(arg, "--db")) {
			a->db = opt_value(arg, 4, argc, argv, &i);
			if (a->db == NULL || a->db[0] == '\0')
				return usage(err, errlen, "--db needs a path");
		} else if (options && is_opt(arg, "--in")) {
			if ((a->in = opt_value(arg, 4, argc, argv, &i)) == NULL)
				return usage(err, errlen,
				             "--in needs ACCOUNT[/MAILBOX]");
		} else if (options && is_opt(arg, "--since")) {
			if ((v = opt_value(arg, 7, argc, argv, &i)) == NULL)
				return usage(
				        err, errlen,
				        "--since needs a date: YYYY-MM-DD, "
				        "Nd or Nw");
			if (query_parse_since(&a->filter.since, v, now, err,
			                      errlen) != QUERY_OK)
				return QUERY_USAGE;
			a->has_since = true;
		} else if (options && is_opt(arg, "--limit")) {
			if ((v = opt_value(arg, 7, argc, argv, &i)) == NULL)
				return usage(err, errlen,
				             "--limit needs a number");
			if (parse_limit(&a->filter.limit, v) < 0)
				return usage(
				        err, errlen,
				        "--limit takes a number from 0 to %ld, "
				        "not \"%s\"",
				        LIMIT_MAX, v);
			a->has_limit = true;
		} else if (options && arg[0] == '-' && arg[1] != '\0') {
			return usage(err, errlen, "unknown option %s", arg);
		} else if (a->command == NULL) {
			a->command = arg;
		} else if (a->npos < ARGS_MAX_POS) {
			a->pos[a->npos++] = arg;
		} else {
			return usage(err, errlen,
			             "too many arguments (at most %d words)",
			             ARGS_MAX_POS);
		}
	}
	return QUERY_OK;
}

static const struct command {
	const char *name;
	bool filters; /* --unread, --flagged, --since */
	bool limit;
	bool in;
	size_t min_pos, max_pos;
} commands[] = {
        {"status", false, false, false, 0, 1},
        {"accounts", false, false, false, 0, 1},
        {"ls", true, true, false, 0, 1},
        {"count", true, false, false, 0, 1},
        {"show", false, false, false, 2, 2},
        {"search", true, true, true, 1, ARGS_MAX_POS},
};

int args_check(const struct args *a, char *err, size_t errlen)
{
	const struct command *c = NULL;
	const char *bad = NULL;

	if (a->command == NULL)
		return usage(err, errlen, "no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(a->command, commands[i].name) == 0)
			c = &commands[i];
	if (c == NULL)
		return usage(err, errlen, "unknown command \"%s\"", a->command);
	if (!c->filters && a->has_unread)
		bad = "--unread";
	else if (!c->filters && a->has_flagged)
		bad = "--flagged";
	else if (!c->filters && a->has_since)
		bad = "--since";
	else if (!c->limit && a->has_limit)
		bad = "--limit";
	else if (!c->in && a->in != NULL)
		bad = "--in";
	else if (!c->in && a->literal)
		bad = "--literal";
	else if (a->filter.distinct && strcmp(c->name, "count") != 0)
		bad = "--distinct";
	if (bad != NULL)
		return usage(err, errlen, "%s is not valid for %s", bad,
		             c->name);
	if (a->npos < c->min_pos || a->npos > c->max_pos)
		return usage(err, errlen, "wrong number of arguments for %s",
		             c->name);
	return QUERY_OK;
}
