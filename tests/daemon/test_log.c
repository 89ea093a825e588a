/* test_log.c - log line format, levels and sanitizing of server text. */
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char out[64];

static const char *clean(const char *src, size_t len, size_t cap)
{
	size_t n = log_sanitize(out, cap, src, len);

	cr_assert_eq(n, strlen(out));
	cr_assert_lt(n, cap);
	return out;
}

#define CLEAN(lit) clean(lit, sizeof(lit) - 1, sizeof(out))

Test(log, sanitize_keeps_text)
{
	cr_assert_str_eq(CLEAN("plain [text] 100%"), "plain [text] 100%");
	cr_assert_str_eq(CLEAN("Gr\xc3\xbc\xc3\x9f"
	                       "e \xe2\x82\xac \xf0\x9f\x93\xa7"),
	                 "Gr\xc3\xbc\xc3\x9f"
	                 "e \xe2\x82\xac \xf0\x9f\x93\xa7");
}

Test(log, sanitize_controls)
{
	/* a forged second log line */
	cr_assert_str_eq(CLEAN("NO bad\r\n<3>[bank] fake"),
	                 "NO bad  <3>[bank] fake");
	cr_assert_str_eq(CLEAN("a\tb\x01\x7f"
	                       "c"),
	                 "a b??c");
	cr_assert_str_eq(CLEAN("nul\0byte"), "nul?byte");
}

Test(log, sanitize_escapes)
{
	cr_assert_str_eq(CLEAN("\x1b[31mred\x1b[0m!"), "red!");
	cr_assert_str_eq(CLEAN("\x1b]52;c;cm0gLXJmIH4=\x07ok"), "ok");
	cr_assert_str_eq(CLEAN("\x1b]8;;http://x\x1b\\link"), "link");
	cr_assert_str_eq(CLEAN("\x1b"
	                       "c"
	                       "reset"),
	                 "reset");
	cr_assert_str_eq(CLEAN("\x1b(Bx"), "x");
	cr_assert_str_eq(CLEAN("tail\x1b"), "tail");
	cr_assert_str_eq(CLEAN("\x1b]unterminated"), "");
	/* 8-bit CSI, raw and as UTF-8 U+009B */
	cr_assert_str_eq(CLEAN("\x9b"
	                       "31m"),
	                 "?31m");
	cr_assert_str_eq(CLEAN("\xc2\x9b"
	                       "31m"),
	                 "?31m");
	/* bidi override (Trojan Source) */
	cr_assert_str_eq(CLEAN("a\xe2\x80\xae"
	                       "b"),
	                 "a?b");
}

Test(log, sanitize_invalid_utf8)
{
	cr_assert_str_eq(CLEAN("\xff\xfe"), "??");
	cr_assert_str_eq(CLEAN("\xc0\xaf"), "??");      /* overlong '/' */
	cr_assert_str_eq(CLEAN("\xed\xa0\x80"), "???"); /* surrogate */
	cr_assert_str_eq(CLEAN("cut\xe2\x82"), "cut??");
	cr_assert_str_eq(CLEAN("\xf4\x90\x80\x80"), "????"); /* > U+10FFFF */
}

Test(log, sanitize_caps_length_at_a_boundary)
{
	/* 12 bytes into 10: 6 bytes of text fit before "...", and the cut
	 * must not split the 2-byte letters */
	cr_assert_str_eq(
	        clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 12,
	              10),
	        "\xc3\xa9\xc3\xa9\xc3\xa9...");
	cr_assert_str_eq(clean("abcdefghijkl", 12, 10), "abcdef...");
	cr_assert_str_eq(clean("abcdefghi", 9, 10), "abcdefghi");
	cr_assert_str_eq(clean("a\xc3\xa9"
	                       "bcdefgh",
	                       9, 8),
	                 "a\xc3\xa9"
	                 "b...");
	cr_assert_eq(log_sanitize(out, 3, "abc", 3), 0);
	cr_assert_str_eq(out, "");
}

/* Logs into a pipe and returns what came out. */
static char *capture(enum log_prefix prefix, int level, const char *account,
                     const char *mailbox, const char *text)
{
	static char buf[LOG_LINE_MAX + 64];
	int p[2];
	ssize_t n;

	cr_assert(pipe(p) == 0);
	cr_assert(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	log_open(p[1], prefix);
	log_msg(level, account, mailbox, "%s", text);
	n = read(p[0], buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	close(p[0]);
	close(p[1]);
	return buf;
}

Test(log, line_format)
{
	log_set_level(LOG_LEVEL_DEBUG);
	cr_assert_str_eq(capture(LOG_PREFIX_SD, LOG_LEVEL_WARNING, "work",
	                         "INBOX", "IDLE ended"),
	                 "<4>[work/INBOX] IDLE ended\n");
	cr_assert_str_eq(capture(LOG_PREFIX_WORD, LOG_LEVEL_ERR, "work", NULL,
	                         "login failed"),
	                 "error: [work] login failed\n");
	cr_assert_str_eq(
	        capture(LOG_PREFIX_SD, LOG_LEVEL_NOTICE, NULL, NULL, "started"),
	        "<5>[-] started\n");
	/* a mailbox name is server text */
	cr_assert_str_eq(capture(LOG_PREFIX_SD, LOG_LEVEL_INFO, "work",
	                         "evil\n<0>[x] \x1b[2Jname", "synced"),
	                 "<6>[work/evil <0>[x] name] synced\n");
}

/* Report explore14 #8: a configuration error keeps its form on a
 * terminal ("FILE:LINE: message", what editors jump to) and its priority
 * in the journal, where "journalctl -p err" looks. */
Test(log, bare_line_keeps_its_form_and_its_priority)
{
	static char buf[256];
	int p[2];
	ssize_t n;

	log_set_level(LOG_LEVEL_NOTICE);
	cr_assert(pipe(p) == 0);
	cr_assert(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	log_open(p[1], LOG_PREFIX_WORD);
	log_bare(LOG_LEVEL_ERR, "%s:%d: %s", "m.conf", 3, "syntax error");
	log_open(p[1], LOG_PREFIX_SD);
	log_bare(LOG_LEVEL_ERR, "%s:%d: %s", "m.conf", 3, "syntax error");
	/* one line each, whatever the text holds; dropped like any other
	 * below the level */
	log_bare(LOG_LEVEL_ERR, "a\n<6>b\x1b[2J");
	log_bare(LOG_LEVEL_INFO, "not shown");
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "m.conf:3: syntax error\n"
	                      "<3>m.conf:3: syntax error\n"
	                      "<3>a <6>b\n");
	close(p[0]);
	close(p[1]);
	log_open(2, LOG_PREFIX_AUTO);
}

Test(log, levels)
{
	log_set_level(LOG_LEVEL_NOTICE);
	cr_assert_eq(log_get_level(), LOG_LEVEL_NOTICE);
	cr_assert_str_eq(capture(LOG_PREFIX_SD, LOG_LEVEL_INFO, "a", NULL, "x"),
	                 "");
	cr_assert_str_eq(
	        capture(LOG_PREFIX_SD, LOG_LEVEL_NOTICE, "a", NULL, "x"),
	        "<5>[a] x\n");
	log_set_level(99);
	cr_assert_eq(log_get_level(), LOG_LEVEL_DEBUG);
	log_set_level(-4);
	cr_assert_eq(log_get_level(), LOG_LEVEL_ERR);

	int level = 0;
	cr_assert_eq(log_level_parse(&level, "warning"), 0);
	cr_assert_eq(level, LOG_LEVEL_WARNING);
	cr_assert_eq(log_level_parse(&level, "error"), 0);
	cr_assert_eq(level, LOG_LEVEL_ERR);
	cr_assert_eq(log_level_parse(&level, "verbose"), -1);
	cr_assert_eq(level, LOG_LEVEL_ERR);
	cr_assert_str_eq(log_level_name(LOG_LEVEL_DEBUG), "debug");
	cr_assert_str_eq(log_level_name(12), "?");
}

/* What a child reporting for us (hook.c) starts its line with. */
Test(log, head_of_a_line)
{
	char head[64];
	log_set_level(LOG_LEVEL_NOTICE);
	log_open(2, LOG_PREFIX_WORD);
	cr_assert_eq(log_head(head, sizeof(head), LOG_LEVEL_WARNING, "work",
	                      "a\x1b[2J\nb"),
	             strlen("warning: [work/a b] "));
	cr_assert_str_eq(head, "warning: [work/a b] ");
	log_open(2, LOG_PREFIX_SD);
	log_head(head, sizeof(head), LOG_LEVEL_ERR, NULL, NULL);
	cr_assert_str_eq(head, "<3>[-] ");
	/* Not logged at this level: nothing to start a line with. */
	cr_assert_eq(log_head(head, sizeof(head), LOG_LEVEL_INFO, "work", NULL),
	             0);
	cr_assert_str_eq(head, "");
	/* Cut to the room given, a string all the same. */
	log_head(head, 8, LOG_LEVEL_WARNING, "work", "INBOX");
	cr_assert_eq(strlen(head), 7);
	log_open(2, LOG_PREFIX_AUTO);
}

Test(log, journal_stream_detected)
{
	char env[64];
	struct stat st;
	int p[2];
	char buf[128];
	ssize_t n;

	cr_assert(pipe(p) == 0);
	cr_assert(fstat(p[1], &st) == 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_set_level(LOG_LEVEL_DEBUG);
	log_open(p[1], LOG_PREFIX_AUTO);
	log_debug("a", "b", "n=%d", 5);
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "<7>[a/b] n=5\n");

	/* another stream (inherited variable, redirected stderr): words */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_open(p[1], LOG_PREFIX_AUTO);
	log_info("a", NULL, "x");
	n = read(p[0], buf, sizeof(buf) - 1);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "info: [a] x\n");
	close(p[0]);
	close(p[1]);
}

Test(log, long_message_capped)
{
	char *big = malloc(3 * LOG_LINE_MAX);
	const char *line;
	size_t len;

	cr_assert_not_null(big);
	memset(big, 'x', 3 * LOG_LINE_MAX - 1);
	big[3 * LOG_LINE_MAX - 1] = '\0';
	log_set_level(LOG_LEVEL_DEBUG);
	line = capture(LOG_PREFIX_SD, LOG_LEVEL_ERR, "a", NULL, big);
	len = strlen(line);
	cr_assert_eq(len, LOG_LINE_MAX);
	cr_assert_str_eq(line + len - 4, "...\n");
	cr_assert_eq(strncmp(line, "<3>[a] xxx", 10), 0);
	free(big);
}

/* -vv: the protocol conversation, as the library hands it over (secrets
 * already "***"), at debug level only, cut, in the account's scope. */
Test(log, imap_trace_at_debug_only)
{
	static char buf[4 * LOG_LINE_MAX];
	char big[3000];
	int p[2];
	ssize_t n;

	cr_assert(pipe(p) == 0);
	cr_assert(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	log_open(p[1], LOG_PREFIX_WORD);

	log_set_level(LOG_LEVEL_INFO);
	log_imap_trace("work", 'C', "1 LOGIN alice ***", 17);
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_lt(n, 0, "nothing below debug");

	log_set_level(LOG_LEVEL_DEBUG);
	log_imap_trace("work", 'C', "1 LOGIN alice ***", 17);
	log_imap_trace("work", 'S', "* OK [\x1b[31m] hi\r\n", 17);
	memset(big, 'y', sizeof(big));
	log_imap_trace("work", 'S', big, sizeof(big));
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	static const char want[] = "debug: [work] C: 1 LOGIN alice ***\n"
	                           "debug: [work] S: * OK [] hi  \n"
	                           "debug: [work] S: yyy";
	cr_assert_eq(strncmp(buf, want, sizeof(want) - 1), 0, "%s", buf);
	/* the long one is cut to LOG_TRACE_MAX */
	char *last = strstr(buf, "S: yyy");
	cr_assert_not_null(last);
	cr_assert_eq(strlen(last), 3 + LOG_TRACE_MAX - 1 + 1, "%zu",
	             strlen(last));
	close(p[0]);
	close(p[1]);
	log_open(2, LOG_PREFIX_AUTO);
}

/* explore47: "UID FETCH: UID: no completion within 5000 ms" and "NOOP:
 * NOOP: ..." named the command twice; server text in the message is made
 * printable. */
Test(log, a_failure_names_its_command_once)
{
	char text[256];
	log_failure(text, sizeof(text), "UID FETCH",
	            "UID: no completion within 5000 ms");
	cr_assert_str_eq(text, "UID FETCH: no completion within 5000 ms");
	log_failure(text, sizeof(text), "NOOP", "NOOP: no completion");
	cr_assert_str_eq(text, "NOOP: no completion");
	log_failure(text, sizeof(text), "SELECT", "malformed FLAGS");
	cr_assert_str_eq(text, "SELECT: malformed FLAGS");
	/* a word of its own, not the start of one */
	log_failure(text, sizeof(text), "UIDPLUS", "UID: x");
	cr_assert_str_eq(text, "UIDPLUS: UID: x");
	log_failure(text, sizeof(text), "LIST",
	            "LIST: server said NO: \x1b[2Jgone");
	cr_assert_str_eq(text, "LIST: server said NO: gone");
}

/* ------------------------------------------------------------- the time */

/* Whether line starts with "2026-11-28T01:25:27.123+05:30 " (the offset
 * given), within a minute of now; the text after it in *rest. */
static bool stamped(const char *line, const char *offset, const char **rest)
{
	regex_t re;
	regmatch_t m;
	cr_assert_eq(regcomp(&re,
	                     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	                     "[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} ",
	                     REG_EXTENDED),
	             0);
	bool ok = regexec(&re, line, 1, &m, 0) == 0;
	regfree(&re);
	if (!ok)
		return false;
	cr_assert_eq(strncmp(line + 23, offset, 6), 0, "%s", line);
	struct tm tm = {0};
	cr_assert_eq(sscanf(line, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
	                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
	             6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int sign = offset[0] == '-' ? -1 : 1;
	long off = sign * (atol(offset + 1) * 3600 + atol(offset + 4) * 60);
	long long when = (long long)timegm(&tm) - off;
	cr_assert_lt(llabs(when - (long long)time(NULL)), 60, "%s", line);
	*rest = line + m.rm_eo;
	return true;
}

/* What the log wrote into a regular file (or with pipe, a pipe) from
 * log_open() to here, under the time rule when, in the journal's form
 * with sd: one warning and one bare line. */
static char *log_into(bool pipe_it, enum log_time when, bool sd)
{
	static char buf[2 * LOG_LINE_MAX];
	int fds[2];
	FILE *f = NULL;

	if (pipe_it) {
		cr_assert(pipe(fds) == 0);
	} else {
		f = tmpfile();
		cr_assert_not_null(f);
		fds[0] = fds[1] = fileno(f);
	}
	log_set_level(LOG_LEVEL_NOTICE);
	log_set_time(when);
	log_open(fds[1], sd ? LOG_PREFIX_SD : LOG_PREFIX_WORD);
	log_warning("work", "INBOX", "IDLE ended");
	log_bare(LOG_LEVEL_ERR, "m.conf:3: syntax error");
	if (!pipe_it)
		cr_assert_eq(lseek(fds[0], 0, SEEK_SET), 0);
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	log_open(2, LOG_PREFIX_AUTO);
	log_set_time(LOG_TIME_AUTO);
	if (pipe_it) {
		close(fds[0]);
		close(fds[1]);
	} else {
		fclose(f);
	}
	return buf;
}

/* An admin's "mailmirrord -c FILE 2>>/var/log/mailmirrord.log" (cron,
 * runit, nohup) got a file of undated lines: in a regular file each line
 * starts with the local time, milliseconds and offset; in a pipe (svlogd,
 * docker and logger stamp lines themselves) and on a terminal, not. */
Test(log, lines_in_a_file_start_with_the_local_time)
{
	const char *rest;
	setenv("TZ", "XYZ-5:30", 1); /* east of UTC: +05:30 */
	tzset();

	char *got = log_into(false, LOG_TIME_AUTO, false);
	cr_assert(stamped(got, "+05:30", &rest), "%s", got);
	cr_assert_eq(strncmp(rest, "warning: [work/INBOX] IDLE ended\n", 33), 0,
	             "%s", got);
	const char *second = strchr(got, '\n') + 1;
	cr_assert(stamped(second, "+05:30", &rest), "%s", got);
	cr_assert_str_eq(rest, "m.conf:3: syntax error\n");

	cr_assert_str_eq(log_into(true, LOG_TIME_AUTO, false),
	                 "warning: [work/INBOX] IDLE ended\n"
	                 "m.conf:3: syntax error\n");

	setenv("TZ", "ABC+3", 1); /* west: -03:00 */
	tzset();
	got = log_into(false, LOG_TIME_AUTO, false);
	cr_assert(stamped(got, "-03:00", &rest), "%s", got);
}

/* --log-time: never in a file, always in a pipe; "<N>" stays first, where
 * the journal looks for it. */
Test(log, the_time_rule_can_be_forced)
{
	const char *rest;
	setenv("TZ", "UTC0", 1);
	tzset();

	cr_assert_str_eq(log_into(false, LOG_TIME_NEVER, false),
	                 "warning: [work/INBOX] IDLE ended\n"
	                 "m.conf:3: syntax error\n");
	char *got = log_into(true, LOG_TIME_ALWAYS, false);
	cr_assert(stamped(got, "+00:00", &rest), "%s", got);
	cr_assert_eq(strncmp(rest, "warning: [work/INBOX] IDLE ended\n", 33), 0,
	             "%s", got);
	got = log_into(true, LOG_TIME_ALWAYS, true);
	cr_assert_eq(strncmp(got, "<4>", 3), 0, "%s", got);
	cr_assert(stamped(got + 3, "+00:00", &rest), "%s", got);
	cr_assert_eq(strncmp(rest, "[work/INBOX] IDLE ended\n<3>", 27), 0, "%s",
	             got);
	/* "<N>" in a file (forced): the journal's form, which is undated */
	cr_assert_str_eq(log_into(false, LOG_TIME_AUTO, true),
	                 "<4>[work/INBOX] IDLE ended\n"
	                 "<3>m.conf:3: syntax error\n");

	enum log_time when = LOG_TIME_NEVER;
	cr_assert_eq(log_time_parse(&when, "always"), 0);
	cr_assert_eq(when, LOG_TIME_ALWAYS);
	cr_assert_eq(log_time_parse(&when, "auto"), 0);
	cr_assert_eq(when, LOG_TIME_AUTO);
	cr_assert_eq(log_time_parse(&when, "sometimes"), -1);
	cr_assert_eq(when, LOG_TIME_AUTO);
}

/* Dated, a line is still one write of at most LOG_LINE_MAX, and the head
 * a child is given (log_head) has no time: it would be stale by the time
 * the child writes. */
Test(log, a_dated_line_keeps_its_bounds)
{
	char *big = malloc(3 * LOG_LINE_MAX);
	cr_assert_not_null(big);
	memset(big, 'x', 3 * LOG_LINE_MAX - 1);
	big[3 * LOG_LINE_MAX - 1] = '\0';
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	log_set_level(LOG_LEVEL_DEBUG);
	log_open(fileno(f), LOG_PREFIX_WORD);
	cr_assert(log_timed());
	log_err("a", NULL, "%s", big);
	char head[64];
	log_head(head, sizeof(head), LOG_LEVEL_WARNING, "a", NULL);
	cr_assert_str_eq(head, "warning: [a] ");
	log_open(2, LOG_PREFIX_AUTO);

	static char line[2 * LOG_LINE_MAX];
	rewind(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_eq(strlen(line), LOG_LINE_MAX);
	cr_assert_str_eq(line + LOG_LINE_MAX - 4, "...\n");
	const char *rest;
	cr_assert(stamped(line, line + 23, &rest));
	cr_assert_eq(strncmp(rest, "error: [a] xxx", 14), 0, "%s", line);
	fclose(f);
	free(big);
}
