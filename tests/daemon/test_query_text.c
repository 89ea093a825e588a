/* test_query_text.c - what mailmirror prints of text from a cache that
 * holds anything: invalid UTF-8 (caches written before the daemon cleaned
 * headers), terminal controls, bidirectional overrides; and what it says
 * of a cache path that is no cache. */
#include "mailmirror/output.h"
#include "mailmirror/query.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tdir[64];
static char tpath[128];
static char *obuf;
static size_t olen;
static FILE *ofile;
static struct query q;

/* The headers as an older daemon stored them: the bytes of the report's
 * message (M\xfcller in Latin-1 beside UTF-8), an escape sequence that
 * would set the terminal's title, a CSI in its C1 form, DEL, a lone CR and
 * a right-to-left override. */
#define RAW_HEADERS                                                            \
	"From: M\xfcller <m@example.de>\r\n"                                   \
	"Subject: raw \xc3\xa4 \xe4 \x1b]0;owned\x07 \xc2\x9b"                 \
	"2J\x7f\r\n"                                                           \
	"X-Spoof: ok\rFrom: forged\xe2\x80\xae"                                \
	"cba\r\n"

static void exec_sql(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	cr_assert_eq(sqlite3_open(tpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s",
	             msg);
	sqlite3_close(db);
}

static void setup(void)
{
	struct store *s;
	char err[256];
	int64_t acct, inbox;

	strcpy(tdir, "/tmp/mm-qtext-XXXXXX");
	cr_assert_not_null(mkdtemp(tdir));
	snprintf(tpath, sizeof(tpath), "%s/cache.db", tdir);
	cr_assert_eq(store_open(&s, tpath, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_begin(s), STORE_OK);
	store_account_upsert(&acct, NULL, s, "a", "h", 143, "u");
	store_mailbox_upsert(&inbox, s, acct, "INBOX", "/", "", NULL);
	struct store_msg m = {.uid = 10,
	                      .flags = "",
	                      .internaldate = 1700000000,
	                      .size = 100,
	                      .date = 1700000000,
	                      .subject = "placeholder",
	                      .from = "placeholder"};
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(
	        store_body_put(s, inbox, 10, RAW_HEADERS, "body\r\n", false),
	        STORE_OK);
	cr_assert_eq(store_commit(s), STORE_OK);
	store_close(&s);
	/* Envelope fields with the same bytes, bypassing the store. */
	exec_sql("UPDATE messages SET subject = CAST(X'4dfc6c6c65721b5b33316d'"
	         " AS TEXT), from_addr = CAST(X'e28080e280ae41' AS TEXT)");
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm"};

	query_close(&q);
	if (ofile)
		fclose(ofile);
	free(obuf);
	obuf = NULL;
	ofile = NULL;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", tpath, sfx[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/other", tdir);
	unlink(p);
	rmdir(p);
	rmdir(tdir);
}

TestSuite(query_text, .init = setup, .fini = teardown);

static const char *output(void)
{
	static char last[65536];

	fclose(ofile);
	snprintf(last, sizeof(last), "%s", obuf ? obuf : "");
	free(obuf);
	obuf = NULL;
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
	q.out = ofile;
	return last;
}

/* RFC 3629: no invalid, overlong or surrogate sequence. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80                 ? 1
		           : *p >= 0xc2 && *p < 0xe0 ? 2
		           : *p >= 0xe0 && *p < 0xf0 ? 3
		           : *p >= 0xf0 && *p < 0xf5 ? 4
		                                     : 0;
		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
		    (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
		    (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
		    (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
			return false;
		p += n;
	}
	return true;
}

/* What a terminal would act on: C0 controls other than LF (and TAB, CR
 * where allowed), DEL, C1 controls, bidirectional overrides. */
static bool has_terminal_controls(const char *s, bool allow_crlf)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p == '\n' || *p == '\t' ||
		    (allow_crlf && *p == '\r' && p[1] == '\n'))
			continue;
		if (*p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) ||
		    (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa &&
		     p[2] <= 0xae))
			return true;
	}
	return false;
}

/* The report's bug 5: --json show printed the raw \xfc of the header
 * block, and no JSON parser accepted the line. */
Test(query_text, json_show_is_valid_utf8_whatever_the_cache_holds)
{
	cr_assert_eq(query_open(&q, tpath, ofile, OUT_JSON), QUERY_OK, "%s",
	             q.err);
	cr_assert_eq(query_show(&q, "a/INBOX", "10"), QUERY_OK, "%s", q.err);
	const char *out = output();
	cr_assert(valid_utf8(out), "%s", out);
	cr_assert_not(has_terminal_controls(out, false), "%s", out);
	cr_assert_not_null(
	        strstr(out, "\"headers\":\"From: M\xef\xbf\xbdller "
	                    "<m@example.de>\\r\\nSubject: raw \xc3\xa4 "
	                    "\xef\xbf\xbd \\u001b]0;owned\\u0007 \\u009b2J"
	                    "\\u007f\\r\\nX-Spoof: ok\\rFrom: forged\\u202e"
	                    "cba\\r\\n\""),
	        "%s", out);
	cr_assert_not_null(strstr(out, "\"subject\":\"M\xef\xbf\xbdller"
	                               "\\u001b[31m\""),
	                   "%s", out);
	cr_assert_not_null(strstr(out, "\"from\":\"\xe2\x80\x80\\u202e"
	                               "A\""),
	                   "%s", out);
}

Test(query_text, json_rows_are_valid_utf8)
{
	struct query_filter f = {.since = QUERY_NO_TIME, .limit = 10};

	cr_assert_eq(query_open(&q, tpath, ofile, OUT_JSON), QUERY_OK);
	cr_assert_eq(query_ls(&q, &f), QUERY_OK, "%s", q.err);
	const char *out = output();
	cr_assert(valid_utf8(out), "%s", out);
	cr_assert_not(has_terminal_controls(out, false), "%s", out);
	cr_assert_not_null(strstr(out, "\"subject\":\"M\xef\xbf\xbdller"
	                               "\\u001b[31m\""),
	                   "%s", out);
}

/* show's header block reaches a terminal through "| head" as well: no
 * mode lets a header drive it. */
Test(query_text, show_blocks_cannot_drive_a_terminal)
{
	cr_assert_eq(query_open(&q, tpath, ofile, OUT_TSV), QUERY_OK);
	cr_assert_eq(query_show(&q, "a/INBOX", "10"), QUERY_OK, "%s", q.err);
	const char *out = output();
	cr_assert(valid_utf8(out), "%s", out);
	cr_assert_not(has_terminal_controls(out, true), "%s", out);
	/* a pipe keeps the CRLF line ends, not the lone CR */
	cr_assert_not_null(
	        strstr(out, "\nFrom: M\xef\xbf\xbdller <m@example.de>\r\n"
	                    "Subject: raw \xc3\xa4 \xef\xbf\xbd  ]0;owned   "
	                    "2J \r\nX-Spoof: okFrom: forgedcba\r\n"),
	        "%s", out);
	query_close(&q);

	cr_assert_eq(query_open(&q, tpath, ofile, OUT_TABLE), QUERY_OK);
	cr_assert_eq(query_show(&q, "a/INBOX", "10"), QUERY_OK, "%s", q.err);
	out = output();
	cr_assert(valid_utf8(out), "%s", out);
	cr_assert_not(has_terminal_controls(out, false), "%s", out);
	cr_assert_not_null(strstr(out, "Subject: M\xef\xbf\xbdller [31m\n"),
	                   "%s", out);
}

Test(output, json_clean)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        /* an escaped quote does not end the string */
	        {"{\"k\":\"a\\\"\x7f\",\"b\":1}",
	         "{\"k\":\"a\\\"\\u007f\",\"b\":1}"},
	        /* an escaped backslash does */
	        {"{\"k\":\"\\\\\",\"\xc2\x9b\":\"\xe2\x81\xa6\"}",
	         "{\"k\":\"\\\\\",\"\\u009b\":\"\\u2066\"}"},
	        /* invalid bytes, anywhere */
	        {"[\"\xff\xc3\",\xfe]",
	         "[\"\xef\xbf\xbd\xef\xbf\xbd\",\xef\xbf\xbd]"},
	        /* white space between tokens is left alone */
	        {"{ \"a\" :\n\t1 }", "{ \"a\" :\n\t1 }"},
	        {"[\"\xf0\x9f\x98\x80 \xe2\x80\x8f\"]",
	         "[\"\xf0\x9f\x98\x80 \\u200f\"]"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = out_json_clean(cases[i].in);

		cr_assert_str_eq(c, cases[i].out, "case %zu", i);
		free(c);
	}
	char *c = out_json_clean(NULL);
	cr_assert_str_eq(c, "null");
	free(c);
}

Test(output, clean_block_keeps_crlf_only)
{
	char *c = out_clean("a\r\nb\rc\x1b[1m\r", OUT_CLEAN_BLOCK_CRLF);

	cr_assert_str_eq(c, "a\r\nbc [1m");
	free(c);
	c = out_clean("a\r\nb\rc", OUT_CLEAN_BLOCK);
	cr_assert_str_eq(c, "a\nbc");
	free(c);
	c = out_clean("a\r\nb\tc", OUT_CLEAN_LINE);
	cr_assert_str_eq(c, "a  b c");
	free(c);
}

/* How many lines s holds for a reader that splits by Unicode's rules, as
 * Python's str.splitlines() does: LF, CR, CRLF, VT, FF, FS, GS, RS, NEL,
 * U+2028 and U+2029 each end one. */
static size_t unicode_lines(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p == '\n' || *p == '\r' || *p == '\v' || *p == '\f' ||
		    (*p >= 0x1c && *p <= 0x1e))
			n++;
		else if (p[0] == 0xc2 && p[1] == 0x85)
			n++, p++;
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
		         (p[2] == 0xa8 || p[2] == 0xa9))
			n++, p += 2;
	}
	return n;
}

/* The tester's F13: U+2028 and U+2029 went out raw, and a reader that
 * splits lines by Unicode's rules cut the record in two. */
Test(output, unicode_line_separators)
{
	/* one, LS, two, PS, three, NEL, four, LF, five */
	const char *in = "one\xe2\x80\xa8two\xe2\x80\xa9three\xc2\x85"
	                 "four\nfive";
	char *c = out_clean(in, OUT_CLEAN_LINE);

	cr_assert_str_eq(c, "one two three four five");
	free(c);
	c = out_clean(in, OUT_CLEAN_BLOCK);
	cr_assert_str_eq(c, "one two three four\nfive");
	free(c);
	c = out_clean(in, OUT_CLEAN_BLOCK_CRLF);
	cr_assert_str_eq(c, "one two three four\nfive");
	free(c);
	/* their neighbours U+2027 and U+202F are text (U+202A, between
	 * them, is a bidirectional embedding: dropped) */
	c = out_clean("\xe2\x80\xa7\xe2\x80\xaa\xe2\x80\xaf", OUT_CLEAN_LINE);
	cr_assert_str_eq(c, "\xe2\x80\xa7\xe2\x80\xaf");
	free(c);

	c = out_json_clean("{\"s\":\"a\xe2\x80\xa8"
	                   "b\xe2\x80\xa9"
	                   "c\xc2\x85"
	                   "d\"}");
	cr_assert_str_eq(c, "{\"s\":\"a\\u2028b\\u2029c\\u0085d\"}");
	free(c);
	/* an escaped backslash before one does not hide it */
	c = out_json_clean("[\"\\\\\xe2\x80\xa8\"]");
	cr_assert_str_eq(c, "[\"\\\\\\u2028\"]");
	free(c);
}

Test(query_text, unicode_line_separators_split_no_record)
{
	struct query_filter f = {.since = QUERY_NO_TIME, .limit = 10};
	static const enum out_mode modes[] = {OUT_TSV, OUT_TABLE, OUT_JSON};
	/* the subject "one LS two PS three NEL four", a body with them */
	exec_sql("UPDATE messages SET subject = CAST(X'6f6e65e280a874776f"
	         "e280a97468726565c285666f7572' AS TEXT)");
	exec_sql("UPDATE bodies SET body = CAST(X'61e280a862e280a963c2850d0a'"
	         " AS TEXT)");

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cr_assert_eq(query_open(&q, tpath, ofile, modes[i]), QUERY_OK);
		cr_assert_eq(query_ls(&q, &f), QUERY_OK, "%s", q.err);
		const char *out = output();
		/* a table has its header line */
		size_t want = modes[i] == OUT_TABLE ? 2 : 1;
		cr_assert_eq(unicode_lines(out), want, "mode %d: %s",
		             (int)modes[i], out);
		cr_assert(valid_utf8(out), "%s", out);
		if (modes[i] == OUT_JSON)
			cr_assert_not_null(strstr(out,
			                          "\"subject\":\"one\\u2028two"
			                          "\\u2029three\\u0085four\""),
			                   "%s", out);
		else
			cr_assert_not_null(strstr(out, "one two three four"),
			                   "%s", out);

		/* show: the fields one line each, and in the blocks only
		 * the line ends that were cached */
		cr_assert_eq(query_show(&q, "a/INBOX", "10"), QUERY_OK, "%s",
		             q.err);
		out = output();
		if (modes[i] == OUT_JSON) {
			cr_assert_eq(unicode_lines(out), 1, "%s", out);
			cr_assert_not_null(strstr(out,
			                          "\"body\":\"a\\u2028b"
			                          "\\u2029c\\u0085\\r\\n\""),
			                   "%s", out);
		} else {
			cr_assert_not_null(strstr(out, "Subject: one two three "
			                               "four\n"),
			                   "%s", out);
			cr_assert_not_null(strstr(out, "\na b c"), "%s", out);
			cr_assert_null(strstr(out, "\xe2\x80\xa8"), "%s", out);
			cr_assert_null(strstr(out, "\xe2\x80\xa9"), "%s", out);
			cr_assert_null(strstr(out, "\xc2\x85"), "%s", out);
		}
		query_close(&q);
	}
}

/* The report's bug 12: "--db /tmp" said "disk I/O error", an empty file
 * "schema version 0, older than this mailmirror's". */
Test(query_text, a_path_that_is_no_cache_says_what_it_is)
{
	char p[160];

	cr_assert_eq(query_open(&q, tdir, ofile, OUT_TSV), QUERY_ERROR);
	cr_assert(strstr(q.err, "is a directory"), "%s", q.err);
	cr_assert_null(q.db);

	snprintf(p, sizeof(p), "%s/other", tdir);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(query_open(&q, p, ofile, OUT_TSV), QUERY_NOCACHE);
	cr_assert(strstr(q.err, "is empty") &&
	                  strstr(q.err, "not a "
	                                "mailmirror "
	                                "cache") &&
	                  !strstr(q.err, "older"),
	          "%s", q.err);
	cr_assert_null(q.db);
	unlink(p);

	/* SQLite would block opening a FIFO that no one writes. */
	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_eq(query_open(&q, p, ofile, OUT_TSV), QUERY_ERROR);
	cr_assert(strstr(q.err, "not a regular file"), "%s", q.err);
	unlink(p);

	/* explore36: another program's database, and one cut short, said
	 * so without naming the file. */
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(p, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE x (a)", NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	char want[256];
	snprintf(want, sizeof(want), "cannot read %s: not a mailmirror cache",
	         p);
	cr_assert_eq(query_open(&q, p, ofile, OUT_TSV), QUERY_ERROR);
	cr_assert_str_eq(q.err, want);
	cr_assert_eq(truncate(p, 50), 0);
	cr_assert_eq(query_open(&q, p, ofile, OUT_TSV), QUERY_ERROR);
	snprintf(want, sizeof(want), "cannot read %s: ", p);
	cr_assert(strncmp(q.err, want, strlen(want)) == 0, "%s", q.err);
}
