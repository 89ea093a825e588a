/* test_linelog.c - a command's stderr as the account's log lines: split,
 * sanitized, cut, blank lines skipped, the count capped and the rest told
 * in lines or in bytes; and a stream given in pieces of any size logs what
 * the whole text does. */
#include "mailmirrord/linelog.h"
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sink[2] = {-1, -1};

static void open_sink(void)
{
	cr_assert(pipe(sink) == 0);
	cr_assert(fcntl(sink[0], F_SETFL, O_NONBLOCK) == 0);
	log_open(sink[1], LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_DEBUG);
}

static void close_sink(void)
{
	log_open(2, LOG_PREFIX_AUTO);
	close(sink[0]);
	close(sink[1]);
}

TestSuite(linelog, .init = open_sink, .fini = close_sink);

/* What was logged since the last call. */
static const char *logged(void)
{
	static char text[65536];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(text) - 1 &&
	       (r = read(sink[0], text + n, sizeof(text) - 1 - n)) > 0)
		n += (size_t)r;
	text[n] = '\0';
	return text;
}

static struct linelog tunnel_like(void)
{
	return (struct linelog){.account = "work",
	                        .who = "tunnel",
	                        .level = LOG_LEVEL_NOTICE,
	                        .max_lines = 3,
	                        .line_max = 40,
	                        .rest = LINELOG_REST_LINES};
}

/* The whole text, its unfinished end included, as secret.c gives it. */
static void whole(struct linelog *ll, const char *s, uint64_t unread)
{
	size_t len = strlen(s), used = linelog_lines(ll, s, len);
	linelog_line(ll, s + used, len - used);
	linelog_end(ll, unread);
}

Test(linelog, lines_are_split_and_made_printable)
{
	struct linelog ll = tunnel_like();
	const char *s = "one\ntwo\x1b[31m red\x1b[0m\r\nthree";

	cr_assert_eq(linelog_lines(&ll, s, strlen(s)), strlen(s) - 5);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: one\n"
	                           "notice: [work] tunnel said: two red \n");
	linelog_line(&ll, "three", 5);
	linelog_end(&ll, 0);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: three\n");
	/* control bytes and bytes that are not UTF-8 */
	ll = tunnel_like();
	whole(&ll,
	      "a\x01"
	      "b\x7f"
	      "c\xff"
	      "d\xc3\xa9",
	      0);
	cr_assert_str_eq(logged(),
	                 "notice: [work] tunnel said: a?b?c?d\xc3\xa9\n");
}

/* Empty lines, lines of spaces, and lines that are only an escape or a
 * CR are no lines: not logged, not counted against the limit. */
Test(linelog, blank_lines_are_skipped_and_not_counted)
{
	struct linelog ll = tunnel_like();

	whole(&ll, "\n\n  \t\n\x1b[0m\n\r\na\n \nb\n\r\nc\n\n", 0);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: a\n"
	                           "notice: [work] tunnel said: b\n"
	                           "notice: [work] tunnel said: c\n");
	cr_assert_eq(ll.shown, 3);
	cr_assert_eq(ll.more_lines, 0);
}

Test(linelog, a_long_line_is_cut_to_line_max)
{
	struct linelog ll = tunnel_like();
	char s[200];

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	whole(&ll, s, 0);
	const char *log = logged(), *text = strstr(log, "said: ");
	cr_assert_not_null(text);
	text += 6;
	cr_assert_eq(strlen(text), ll.line_max + 1, "%s", log); /* and LF */
	cr_assert_eq(strncmp(text + ll.line_max - 3, "...\n", 4), 0, "%s", log);
	/* exactly line_max fits whole */
	ll = tunnel_like();
	s[ll.line_max] = '\0';
	whole(&ll, s, 0);
	cr_assert_eq(strlen(strstr(logged(), "said: ") + 6), ll.line_max + 1);
}

Test(linelog, the_rest_is_told_in_lines)
{
	struct linelog ll = tunnel_like();

	/* five lines past the limit, one of them blank */
	whole(&ll, "1\n2\n3\n4\n5\n \n6\n7", 0);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: 1\n"
	                           "notice: [work] tunnel said: 2\n"
	                           "notice: [work] tunnel said: 3\n"
	                           "notice: [work] tunnel said 4 more lines\n");
	/* exactly the limit, or blank lines past it: nothing more to say */
	ll = tunnel_like();
	whole(&ll, "1\n2\n3\n", 0);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: 1\n"
	                           "notice: [work] tunnel said: 2\n"
	                           "notice: [work] tunnel said: 3\n");
	ll = tunnel_like();
	whole(&ll, "1\n2\n3\n\n  \n", 0);
	cr_assert_null(strstr(logged(), "more"));
}

/* What secret.c logs for s, of which unread more bytes were dropped. */
static const char *told_in_bytes(const char *s, uint64_t unread)
{
	struct linelog ll = {.account = "work",
	                     .who = "password_command",
	                     .level = LOG_LEVEL_WARNING,
	                     .max_lines = 2,
	                     .line_max = 255,
	                     .rest = LINELOG_REST_BYTES};
	whole(&ll, s, unread);
	return logged();
}

/* secret.c's count: every byte after the LF of the last line shown, blank
 * lines and LFs included, and the bytes it never read. */
Test(linelog, the_rest_is_told_in_bytes)
{
	cr_assert_str_eq(
	        told_in_bytes("\n  \nfirst\nsecond\n\nthird\nfourth", 1000),
	        "warning: [work] password_command said: first\n"
	        "warning: [work] password_command said: second\n"
	        "warning: [work] password_command said 1013 more "
	        "bytes on its standard error, not logged\n");
	/* nothing past the limit but bytes never read */
	cr_assert_str_eq(told_in_bytes("only\n", 7),
	                 "warning: [work] password_command said: only\n"
	                 "warning: [work] password_command said 7 more "
	                 "bytes on its standard error, not logged\n");
	cr_assert_str_eq(told_in_bytes("only\n", 0),
	                 "warning: [work] password_command said: only\n");
}

/* A reader with a buffer of buf bytes, as tunnel_stderr.c has, given the
 * text k bytes a read: a line longer than the buffer goes in pieces. */
static void stream(struct linelog *ll, const char *s, size_t k, size_t bufsz)
{
	char buf[64];
	size_t len = 0, total = strlen(s);

	cr_assert_leq(bufsz, sizeof(buf));
	for (size_t at = 0; at < total;) {
		size_t n = total - at < k ? total - at : k;
		if (n > bufsz - len)
			n = bufsz - len;
		memcpy(buf + len, s + at, n);
		at += n;
		len += n;
		size_t used = linelog_lines(ll, buf, len);
		len -= used;
		memmove(buf, buf + used, len);
		if (len == bufsz) {
			linelog_line(ll, buf, len);
			len = 0;
		}
	}
	linelog_line(ll, buf, len);
	linelog_end(ll, 0);
}

Test(linelog, a_stream_in_pieces_logs_what_the_whole_does)
{
	static const char text[] = "ssh: connect to host x port 22\r\n"
	                           "\n"
	                           "Host key verification failed.\n"
	                           "\x1b[1mbold\x1b[0m and more\n"
	                           "a\nb\nc\nd\ne";
	struct linelog ll = tunnel_like();

	ll.max_lines = 5;
	whole(&ll, text, 0);
	char *want = strdup(logged());
	cr_assert_not_null(want);
	cr_assert_not_null(strstr(want, "said 3 more lines"), "%s", want);
	for (size_t k = 1; k <= sizeof(text); k++) {
		ll = tunnel_like();
		ll.max_lines = 5;
		stream(&ll, text, k, 64);
		cr_assert_str_eq(logged(), want, "reads of %zu bytes", k);
	}
	free(want);
	/* a buffer of 8: longer lines in pieces of 8 */
	ll = tunnel_like();
	stream(&ll, "0123456789abcdefghij\nxy", 3, 8);
	cr_assert_str_eq(logged(), "notice: [work] tunnel said: 01234567\n"
	                           "notice: [work] tunnel said: 89abcdef\n"
	                           "notice: [work] tunnel said: ghij\n"
	                           "notice: [work] tunnel said 1 more lines\n");
}
