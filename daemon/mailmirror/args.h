/* args.h - mailmirror's command line, taken apart (documented in
 * mailmirror(1)).
 *
 * Nothing here prints or exits: a bad command line is QUERY_USAGE with a
 * one-line reason in err, which main.c prints with its hint.
 */
#ifndef MAILMIRROR_ARGS_H
#define MAILMIRROR_ARGS_H

#include "mailmirror/query.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ARGS_MAX_POS 1024

struct args {
	const char *db; /* borrowed from argv, as are all strings here */
	bool json;
	bool help, version; /* --help / --version: nothing else is checked */
	const char *command;
	const char *pos[ARGS_MAX_POS];
	size_t npos;
	const char *in;
	bool literal; /* search --literal: no syntax in the words */
	struct query_filter filter;
	bool has_unread, has_flagged, has_since, has_limit;
};

/* Fills *a from argv (argv[0] is skipped); now is the time --since counts
 * back from. Options may come before or after the command; "--" ends
 * them. QUERY_OK, or QUERY_USAGE with the reason in err. */
int args_parse(struct args *a, int argc, char **argv, time_t now, char *err,
               size_t errlen);

/* Checks the command and what it was given, before any cache is opened:
 * a command is required and must be known; options that mean nothing to
 * it are refused, naming the first one, rather than ignoring what the user
 * asked for (--unread, --flagged and --since for ls, search and count,
 * --limit for ls and search, --in and --literal for search only,
 * --distinct for count only); so is a
 * wrong number
 * of arguments. QUERY_OK, or QUERY_USAGE with the reason in err. */
int args_check(const struct args *a, char *err, size_t errlen);

#endif
