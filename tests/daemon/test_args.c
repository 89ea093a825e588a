/* test_args.c - mailmirror's command line (daemon/mailmirror/args.c). */
#include "mailmirror/args.h"

#include <criterion/criterion.h>

#include <string.h>

/* Parses and checks the words (after "mailmirror"); the reason in err. */
static int parse(struct args *a, char *err, size_t errlen,
                 const char *const *words)
{
	char *argv[16] = {"mailmirror"};
	int argc = 1, rc;

	while (words[argc - 1] != NULL && argc < 16) {
		argv[argc] = (char *)words[argc - 1];
		argc++;
	}
	err[0] = '\0';
	rc = args_parse(a, argc, argv, 1700000000, err, errlen);
	if (rc == QUERY_OK && !a->help && !a->version)
		rc = args_check(a, err, errlen);
	return rc;
}

#define PARSE(a, err, ...)                                                     \
	parse((a), (err), sizeof(err), (const char *const[]){__VA_ARGS__, NULL})

/* The report's bug 12: "option not valid for count" named no option. */
Test(args, refused_options_are_named)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "count", "--limit", "3"), QUERY_USAGE);
	cr_assert_str_eq(err, "--limit is not valid for count");
	cr_assert_eq(PARSE(&a, err, "status", "--unread"), QUERY_USAGE);
	cr_assert_str_eq(err, "--unread is not valid for status");
	cr_assert_eq(PARSE(&a, err, "--flagged", "show", "a/b", "1"),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "--flagged is not valid for show");
	cr_assert_eq(PARSE(&a, err, "show", "a/b", "1", "--since", "2d"),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "--since is not valid for show");
	cr_assert_eq(PARSE(&a, err, "ls", "--in", "a"), QUERY_USAGE);
	cr_assert_str_eq(err, "--in is not valid for ls");
	cr_assert_eq(PARSE(&a, err, "ls", "--literal"), QUERY_USAGE);
	cr_assert_str_eq(err, "--literal is not valid for ls");
	cr_assert_eq(PARSE(&a, err, "search", "--literal", "--", "NOT"),
	             QUERY_OK);
	cr_assert(a.literal);
}

/* count --distinct (explore79: Gmail's labels); for count alone. */
Test(args, distinct_is_for_count)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "count", "--unread", "--distinct"),
	             QUERY_OK, "%s", err);
	cr_assert(a.filter.distinct && a.filter.unread);
	cr_assert_eq(PARSE(&a, err, "ls", "--distinct"), QUERY_USAGE);
	cr_assert_str_eq(err, "--distinct is not valid for ls");
	cr_assert_eq(PARSE(&a, err, "search", "--distinct", "x"), QUERY_USAGE);
	cr_assert_str_eq(err, "--distinct is not valid for search");
}

/* explore15: "--db=" went on to "no cache at ; is mailmirrord running?". */
Test(args, an_empty_db_is_no_path)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "--db=", "status"), QUERY_USAGE);
	cr_assert_str_eq(err, "--db needs a path");
}

Test(args, missing_values_say_what_is_missing)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "ls", "--limit"), QUERY_USAGE);
	cr_assert_str_eq(err, "--limit needs a number");
	cr_assert_eq(PARSE(&a, err, "ls", "--limit=x"), QUERY_USAGE);
	cr_assert_str_eq(
	        err, "--limit takes a number from 0 to 1000000000, not \"x\"");
	cr_assert_eq(PARSE(&a, err, "ls", "--since"), QUERY_USAGE);
	cr_assert(strstr(err, "--since needs a date"), "%s", err);
	cr_assert_eq(PARSE(&a, err, "ls", "--db"), QUERY_USAGE);
	cr_assert_str_eq(err, "--db needs a path");
	cr_assert_eq(PARSE(&a, err, "ls", "--bogus"), QUERY_USAGE);
	cr_assert_str_eq(err, "unknown option --bogus");
}

/* explore56: "--in A --in B" searched B alone, with no word of A; the
 * last of two --limit or --since won as quietly. A switch may be said
 * twice. */
Test(args, an_option_of_one_value_given_twice_is_refused)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "search", "--in", "a", "--in=b", "x"),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "--in given twice: it takes one value");
	cr_assert_eq(PARSE(&a, err, "ls", "--limit=0", "--limit", "1"),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "--limit given twice: it takes one value");
	cr_assert_eq(PARSE(&a, err, "ls", "--since", "1d", "--since", "2w"),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "--since given twice: it takes one value");
	cr_assert_eq(PARSE(&a, err, "--db", "x", "ls", "--db=y"), QUERY_USAGE);
	cr_assert_str_eq(err, "--db given twice: it takes one value");
	cr_assert_eq(PARSE(&a, err, "ls", "--json", "--unread", "--json",
	                   "--unread"),
	             QUERY_OK);
	cr_assert(a.json && a.filter.unread);
}

Test(args, commands_and_their_arguments)
{
	struct args a;
	char err[256];

	cr_assert_eq(PARSE(&a, err, "--json"), QUERY_USAGE);
	cr_assert_str_eq(err, "no command given");
	cr_assert_eq(PARSE(&a, err, "lsx"), QUERY_USAGE);
	cr_assert_str_eq(err, "unknown command \"lsx\"");
	cr_assert_eq(PARSE(&a, err, "show", "a/b"), QUERY_USAGE);
	cr_assert_str_eq(err, "wrong number of arguments for show");
	cr_assert_eq(PARSE(&a, err, "search"), QUERY_USAGE);
	/* status takes a scope, as ls and count do */
	cr_assert_eq(PARSE(&a, err, "status", "work/INBOX"), QUERY_OK, "%s",
	             err);
	cr_assert_str_eq(a.pos[0], "work/INBOX");
	cr_assert_eq(PARSE(&a, err, "status", "a", "b"), QUERY_USAGE);
	cr_assert_str_eq(err, "wrong number of arguments for status");

	cr_assert_eq(PARSE(&a, err, "search", "--in=w/INBOX", "--limit", "0",
	                   "--unread", "x", "--", "--y"),
	             QUERY_OK, "%s", err);
	cr_assert_str_eq(a.in, "w/INBOX");
	cr_assert_eq(a.filter.limit, 0);
	cr_assert(a.filter.unread);
	cr_assert_eq(a.npos, 2);
	cr_assert_str_eq(a.pos[1], "--y");
	cr_assert_eq(PARSE(&a, err, "ls", "--since", "1d", "--db", "/x"),
	             QUERY_OK);
	cr_assert_eq(a.filter.since, 1700000000 - 86400);
	cr_assert_str_eq(a.db, "/x");
	cr_assert_eq(a.filter.limit, QUERY_DEFAULT_LIMIT);

	/* --help wins over whatever follows it. */
	cr_assert_eq(PARSE(&a, err, "bogus", "--help", "--nope"), QUERY_OK);
	cr_assert(a.help);
}

/* explore15: a search of 64 words or more, unquoted, was "too many
 * arguments"; a subject pasted as words is longer than that. */
Test(args, a_search_takes_many_words)
{
	static char *argv[ARGS_MAX_POS + 3];
	static struct args a;
	char err[256] = "";
	argv[0] = "mailmirror";
	argv[1] = "search";
	for (int i = 2; i < ARGS_MAX_POS + 3; i++)
		argv[i] = "word";
	cr_assert_geq(ARGS_MAX_POS, 1000);
	cr_assert_eq(
	        args_parse(&a, 2 + 200, argv, 1700000000, err, sizeof(err)),
	        QUERY_OK, "%s", err);
	cr_assert_eq(args_check(&a, err, sizeof(err)), QUERY_OK, "%s", err);
	cr_assert_eq(a.npos, 200);
	cr_assert_eq(args_parse(&a, ARGS_MAX_POS + 3, argv, 1700000000, err,
	                        sizeof(err)),
	             QUERY_USAGE);
	cr_assert_str_eq(err, "too many arguments (at most 1024 words)");
}
