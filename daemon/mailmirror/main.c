/* main.c - mailmirror: query the cache that mailmirrord keeps.
 * The command line is documented in mailmirror.1. */
#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirror/args.h"
#include "mailmirror/charset.h"
#include "mailmirror/query.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char usage_text[] =
        "Usage: mailmirror [--db PATH] [--json] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  status [ACCOUNT[/MAILBOX]]      accounts and mailboxes\n"
        "  accounts [ACCOUNT]              one line per account\n"
        "  ls [ACCOUNT[/MAILBOX]] [--unread] [--flagged] [--since DATE]\n"
        "     [--limit N]                  messages, newest first\n"
        "  search [--in ACCOUNT[/MAILBOX]] [--unread] [--flagged]\n"
        "     [--since DATE] [--limit N] [--literal] QUERY...\n"
        "                                  full-text search; QUERY may use\n"
        "                                  from: to: cc: subject: body:,\n"
        "                                  or none of it with --literal\n"
        "  show ACCOUNT/MAILBOX UID        one message\n"
        "  count [--unread] [--flagged] [--since DATE] [--distinct]\n"
        "     [ACCOUNT[/MAILBOX]]          number of messages; --distinct:\n"
        "                                  copies (one Message-ID) once\n"
        "\n"
        "Options:\n"
        "  --db PATH      the cache (default: see mailmirror(1))\n"
        "  --json         one JSON object per line\n"
        "  -h, --help     this text\n"
        "  --version      the version\n"
        "\n"
        "DATE is YYYY-MM-DD, Nd or Nw. --limit defaults to 100; 0 means none.\n"
        "Exit status: 0 ok, 1 nothing found, 2 usage, 3 no cache, 4 cache "
        "from\n"
        "a newer mailmirror, 5 bad search query, 6 other error, 7 no such\n"
        "account or mailbox.\n";

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

/* Exit status after --help or --version: a full disk behind stdout is
 * said, as every command's output is (a closed pipe ends the process:
 * default_sigpipe). */
static int stdout_status(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return QUERY_OK;
	fprintf(stderr, "mailmirror: writing the output failed: %s\n",
	        strerror(errno ? errno : EIO));
	return QUERY_ERROR;
}

/* A reader that stops early ("mailmirror ls | head -1") ends the process
 * by SIGPIPE at the next write, with nothing said, as it ends any program
 * run from a shell. A parent that ignores SIGPIPE (systemd's services,
 * programs that would rather see EPIPE themselves) or blocks it passes that
 * on through exec, and each closed pipe became "writing the output failed:
 * Broken pipe" and status 6: an error for what is no error. Nothing is
 * lost: the cache is read only. */
static void default_sigpipe(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
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

/* The command, checked by args_check. */
static int run(struct query *q, struct args *a)
{
	const char *c = a->command;
	char *text;
	int rc;

	if (strcmp(c, "status") == 0)
		return query_status(q, a->npos ? a->pos[0] : NULL);
	if (strcmp(c, "accounts") == 0)
		return query_accounts(q, a->npos ? a->pos[0] : NULL);
	if (strcmp(c, "show") == 0)
		return query_show(q, a->pos[0], a->pos[1]);
	a->filter.scope = a->npos ? a->pos[0] : NULL;
	if (strcmp(c, "ls") == 0)
		return query_ls(q, &a->filter);
	if (strcmp(c, "count") == 0)
		return query_count(q, &a->filter);
	text = a->literal ? query_literal_text(a->pos, a->npos)
	                  : join_words(a->pos, a->npos);
	if (text == NULL) {
		snprintf(q->err, sizeof(q->err), "out of memory");
		return QUERY_ERROR;
	}
	a->filter.scope = a->in;
	rc = query_search(q, text, &a->filter);
	free(text);
	return rc;
}

/* The terminal's width in cells, which the tables fit in; 0 when it
 * cannot be told. */
static size_t terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct query q = {0};
	char *path = NULL;
	char err[512];
	int rc;

	default_sigpipe();
	setlocale(LC_ALL, "");
	/* A set iconv lacks: printed as UTF-8, the old way. */
	(void)charset_init();
	if (args_parse(&a, argc, argv, time(NULL), err, sizeof(err)) !=
	    QUERY_OK)
		return usage_error("%s", err);
	if (a.help) {
		fputs(usage_text, stdout);
		return stdout_status();
	}
	if (a.version) {
		printf("mailmirror %s (cache schema %d)\n", MAILMIRROR_VERSION,
		       CACHE_SCHEMA_VERSION);
		return stdout_status();
	}
	if (args_check(&a, err, sizeof(err)) != QUERY_OK)
		return usage_error("%s", err);
	if (a.db == NULL) {
		/* No path to look at is no "no cache yet" (3): the
		 * environment is wrong (a relative STATE_DIRECTORY). */
		if (cache_default_path(&path, false, err, sizeof(err)) < 0) {
			fprintf(stderr, "mailmirror: %s\n", err);
			return QUERY_ERROR;
		}
		a.db = path;
	}
	FILE *out = charset_stream(stdout);
	if (out == NULL) {
		fprintf(stderr, "mailmirror: out of memory\n");
		free(path);
		return QUERY_ERROR;
	}
	rc = query_open(&q, a.db, out,
	                a.json                  ? OUT_JSON
	                : isatty(STDOUT_FILENO) ? OUT_TABLE
	                                        : OUT_TSV);
	if (rc == QUERY_OK) {
		q.fit = q.mode == OUT_TABLE ? terminal_width() : 0;
		rc = run(&q, &a);
		query_close(&q);
	}
	if (out != stdout && fclose(out) == EOF && rc == QUERY_OK)
		rc = QUERY_ERROR;
	if (rc != QUERY_OK && q.err[0] != '\0')
		fprintf(stderr, "mailmirror: %s\n", q.err);
	free(path);
	return rc;
}
