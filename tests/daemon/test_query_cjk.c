/* test_query_cjk.c - search for Chinese, Japanese and Korean words, which
 * the index's tokenizer does not split out of the text around them. */
#include "mailmirror/output.h"
#include "mailmirror/query.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char cdir[64];
static char cpath[128];
static char *obuf;
static size_t olen;
static FILE *ofile;
static struct query q;
static int64_t inbox;

#define T0 1700000000

static const struct {
	uint32_t uid;
	const char *flags, *subject, *from, *body;
} msgs[] = {
        {1, "\\Seen", "明日の会議について", "Alice <alice@example.org>",
         "Budget numbers attached."},
        {2, "", "Weekly report", "田中太郎 <tanaka@example.jp>",
         "来週のQ3会議資料を送ります。よろしくお願いします。"},
        {3, "\\Seen", "新项目计划", "Wang <wang@example.cn>",
         "请查看附件中的预算。"},
        {4, "", "다음 주 회의를 준비해 주세요", "Kim <kim@example.kr>",
         "budget 회의록"},
        {5, "\\Seen", "Budget meeting", "Bob <bob@example.net>",
         "Nothing in other scripts."},
};

static void fixture(void)
{
	struct store *s;
	char err[256];
	int64_t acct;
	size_t indexed = 0;

	cr_assert_eq(store_open(&s, cpath, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_begin(s), STORE_OK);
	store_account_upsert(&acct, NULL, s, "work", "imap.example", 143, "me");
	store_mailbox_upsert(&inbox, s, acct, "INBOX", "/", "", NULL);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct store_msg m = {
		        .uid = msgs[i].uid,
		        .modseq = msgs[i].uid,
		        .flags = msgs[i].flags,
		        .internaldate = T0 + 60 * msgs[i].uid,
		        .size = 100,
		        .date = T0 + 60 * msgs[i].uid,
		        .subject = msgs[i].subject,
		        .from = msgs[i].from,
		        .to = "Me <me@example.org>",
		        .message_id = "<m@x>",
		};
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK,
		             "%s", store_errmsg(s));
		cr_assert_eq(store_body_put(s, inbox, m.uid, "X: y\r\n",
		                            msgs[i].body, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	do
		cr_assert_eq(store_index_chunk(s, 100, 0, &indexed), STORE_OK);
	while (indexed > 0);
	store_close(&s);
}

static void setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	strcpy(cdir, "/tmp/mm-cjk-XXXXXX");
	cr_assert_not_null(mkdtemp(cdir));
	snprintf(cpath, sizeof(cpath), "%s/cache.db", cdir);
	fixture();
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
	cr_assert_eq(query_open(&q, cpath, ofile, OUT_TSV), QUERY_OK, "%s",
	             q.err);
}

static void teardown(void)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	char p[160];

	query_close(&q);
	if (ofile)
		fclose(ofile);
	free(obuf);
	obuf = NULL;
	ofile = NULL;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", cpath, sfx[i]);
		unlink(p);
	}
	rmdir(cdir);
}

TestSuite(query_cjk, .init = setup, .fini = teardown);

static struct query_filter filter(void)
{
	return (struct query_filter){.since = QUERY_NO_TIME,
	                             .limit = QUERY_DEFAULT_LIMIT};
}

/* The UIDs text finds, newest first ("5 2 1"), "" for none; asserts the
 * status is QUERY_OK or QUERY_NONE accordingly. */
static const char *uids_found(const char *text, const struct query_filter *f)
{
	static char uids[64];
	size_t n = 0;
	int rc;

	rc = query_search(&q, text, f);
	cr_assert(rc == QUERY_OK || rc == QUERY_NONE, "%s: %d %s", text, rc,
	          q.err);
	fclose(ofile);
	uids[0] = '\0';
	/* TSV: date, mailbox, UID, ... */
	for (char *line = obuf; line && *line;) {
		char *end = strchr(line, '\n'), *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		cr_assert_not_null(t2, "%s", obuf);
		n += (size_t)snprintf(uids + n, sizeof(uids) - n, "%s%.*s",
		                      n ? " " : "", (int)strcspn(t2 + 1, "\t"),
		                      t2 + 1);
		line = end ? end + 1 : NULL;
	}
	cr_assert_eq(rc == QUERY_OK, n > 0, "%s: %d", text, rc);
	free(obuf);
	obuf = NULL;
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
	q.out = ofile;
	return uids;
}

static void expect(const char *text, const char *uids)
{
	struct query_filter f = filter();

	cr_assert_str_eq(uids_found(text, &f), uids, "%s", text);
}

/* unicode61 made "明日の会議について" one word: a search for 会議 found
 * nothing, for Chinese and Japanese (no spaces) and Korean (particles
 * attached: 회의를) alike. */
Test(query_cjk, a_word_is_found_inside_a_run_of_text)
{
	expect("会議", "2 1");      /* subject; body: "Q3会議資料" */
	expect("明日", "1");        /* the run's start */
	expect("について", "1");    /* its end */
	expect("项目", "3");        /* Chinese */
	expect("预算", "3");        /* in a body */
	expect("회의", "4");        /* Korean, in 회의를 and 회의록 */
	expect("ミーティング", ""); /* nowhere: status 1 */
	expect("明日の会議について", "1"); /* the whole run */
}

Test(query_cjk, fields_limit_the_substring)
{
	expect("subject:会議", "1");
	expect("body:会議", "2");
	expect("from:田中", "2");
	expect("from:会議", "");
	expect("to:会議", "");
	expect("cc:会議", "");
	expect("SUBJECT:회의", "4");
	expect("body:\"회의\"", "4");
}

/* Latin letters and digits in a CJK term are compared without their
 * case; the term's words (split at spaces and punctuation) must come in
 * this order. */
Test(query_cjk, mixed_terms_and_phrases)
{
	expect("Q3会議", "2");
	expect("q3会議資料", "2");
	expect("Q4会議", "");
	expect("\"会議 資料\"", "2");
	expect("会議、資料", "2");
	expect("\"資料 会議\"", "");
	expect("会議*", "2 1"); /* a substring is a prefix already */

	/* --literal: a script's text, each run of it a phrase */
	const char *const words[] = {"会議 (資料"};
	char *text = query_literal_text(words, 1);
	cr_assert_not_null(text);
	expect(text, "2");
	free(text);
}

/* AND, OR, NOT and parentheses combine substring terms with the words
 * the index finds. */
Test(query_cjk, operators_combine_both_kinds_of_terms)
{
	expect("会議 budget", "1");
	expect("budget 会議", "1");
	expect("会議 AND 送ります", "2");
	expect("会議 OR 회의", "4 2 1");
	expect("会議 OR zebra", "2 1");
	expect("meeting OR 项目", "5 3");
	expect("NOT 会議", "5 4 3");
	expect("budget NOT 会議", "5 4");
	expect("budget AND NOT (会議 OR 회의)", "5");
	expect("NOT budget OR 会議", "3 2 1");
	expect("NOT (会議 OR 项目) NOT 회의", "5");
	expect("(会議 OR 项目) subject:计划", "3");
	expect("会議 -", "2 1"); /* punctuation alone is still left out */
}

Test(query_cjk, filters_and_limit_apply)
{
	struct query_filter f = filter();

	f.unread = true;
	cr_assert_str_eq(uids_found("会議", &f), "2");
	f = filter();
	f.limit = 1;
	cr_assert_str_eq(uids_found("会議", &f), "2");
	f = filter();
	f.since = T0 + 90;
	cr_assert_str_eq(uids_found("会議 OR 项目", &f), "3 2");
	f = filter();
	f.scope = "work/INBOX";
	cr_assert_str_eq(uids_found("会議", &f), "2 1");
}

/* What waits for the indexer is found by neither kind of term, so that
 * a query's terms all see the same messages. */
Test(query_cjk, a_message_waiting_for_the_index_is_not_found_yet)
{
	struct store *s;
	char err[256];
	struct store_msg m = {.uid = 9,
	                      .modseq = 9,
	                      .flags = "",
	                      .internaldate = T0 + 900,
	                      .size = 10,
	                      .date = T0 + 900,
	                      .subject = "会議の議事録"};
	size_t indexed = 0;

	cr_assert_eq(store_open(&s, cpath, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	expect("会議", "2 1");
	cr_assert_eq(store_index_chunk(s, 100, 0, &indexed), STORE_OK);
	cr_assert_eq(indexed, 1);
	store_close(&s);
	expect("会議", "9 2 1");
}

/* SQLite refuses a LIKE pattern of more than 50,000 bytes: a bad query,
 * not an error reading the cache. */
Test(query_cjk, a_term_too_long_for_like_is_a_bad_query)
{
	struct query_filter f = filter();
	size_t n = 20000; /* characters of three bytes */
	char *text = malloc(3 * n + 1);

	cr_assert_not_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + 3 * i, "会", 3);
	text[3 * n] = '\0';
	cr_assert_eq(query_search(&q, text, &f), QUERY_BADQUERY, "%s", q.err);
	cr_assert(strstr(q.err, "too long"), "%s", q.err);
	free(text);
}

/* Each substring term reads the messages: 64 at most. The words of the
 * query beside them are one FTS5 query: each was an SQL test of its own,
 * nested as deep as the query was long, which SQLite's parser refused
 * ("parser stack overflow") and which took time growing with the square
 * of the query's length. */
Test(query_cjk, many_terms)
{
	struct query_filter f = filter();
	char text[4096] = "会議";

	/* FTS5 takes 256 levels of operators */
	for (int i = 0; i < 200; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         " OR w%d", i);
	expect(text, "2 1");
	strcpy(text, "会議");
	for (int i = 0; i < 200; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         " NOT w%d", i);
	expect(text, "2 1");

	text[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(text, i % 2 ? "OR 회 " : "budget 会 ");
	cr_assert_eq(query_search(&q, text, &f), QUERY_OK, "%s", q.err);
	strcat(text, "会");
	cr_assert_eq(query_search(&q, text, &f), QUERY_BADQUERY);
	cr_assert(strstr(q.err, "more than 64"), "%s", q.err);
}

Test(query_cjk, translation)
{
	struct query_match m;
	char err[128], *fts;
	bool neg;

	/* Without a CJK term, the FTS5 query of before. */
	cr_assert_eq(
	        query_match_translate(&m, NULL, "NOT a OR b", err, sizeof(err)),
	        QUERY_OK, "%s", err);
	cr_assert_str_eq(m.fts, "\"a\" NOT \"b\"");
	cr_assert(m.negated);
	cr_assert_null(m.sql);
	query_match_clear(&m);
	/* With one, SQL, its values quoted literals, its FTS5 terms one
	 * query; the term's words are the tokenizer's. */
	cr_assert_eq(query_match_translate(&m, NULL, "subject:会・議 NOT it's",
	                                   err, sizeof(err)),
	             QUERY_OK, "%s", err);
	cr_assert_null(m.fts);
	cr_assert_str_eq(m.sql,
	                 "(m.id NOT IN (SELECT rowid FROM messages_fts WHERE "
	                 "messages_fts MATCH '\"it''s\"') AND EXISTS (SELECT 1 "
	                 "FROM message_text t WHERE t.id = m.id AND "
	                 "(t.subject LIKE '%会%議%' ESCAPE '\\')))");
	query_match_clear(&m);
	/* a CJK term alone is a word: the query is not empty */
	cr_assert_eq(query_match_translate(&m, NULL, "회의", err, sizeof(err)),
	             QUERY_OK, "%s", err);
	cr_assert_not_null(m.sql);
	query_match_clear(&m);
	/* FTS5 alone cannot say it */
	cr_assert_eq(
	        query_fts_translate(&fts, &neg, NULL, "会議", err, sizeof(err)),
	        QUERY_ERROR);
	cr_assert_null(fts);
}

static void add_emoji_message(void)
{
	struct store *s;
	char err[256];
	struct store_msg m = {
	        .uid = 6,
	        .modseq = 6,
	        .flags = "",
	        .internaldate = T0 + 600,
	        .size = 10,
	        .date = T0 + 600,
	        .subject = "Release \xf0\x9f\x8e\x89\xf0\x9f\x8e\x89",
	        .from = "Eve <eve@example.org>"};
	size_t indexed = 0;

	cr_assert_eq(store_open(&s, cpath, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	/* warning sign without its emoji selector; a heart with it */
	cr_assert_eq(store_body_put(s, inbox, 6, "X: y\r\n",
	                            "Careful \xe2\x9a\xa0 budget "
	                            "\xe2\x9d\xa4\xef\xb8\x8f - done",
	                            false),
	             STORE_OK);
	do
		cr_assert_eq(store_index_chunk(s, 100, 0, &indexed), STORE_OK);
	while (indexed > 0);
	store_close(&s);
}

/* unicode61 drops most emoji as it drops punctuation: "search 🎉" was an
 * empty query (status 2) and "budget 🎉" found every budget, with the
 * emoji or without. An emoji is matched as text, as a CJK term is;
 * punctuation and other symbols are still left out. */
Test(query_cjk, emoji_are_searched_as_text)
{
	add_emoji_message();
	expect("\xf0\x9f\x8e\x89", "6"); /* party popper */
	expect("subject:\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89", "6");
	expect("body:\xf0\x9f\x8e\x89", "");
	expect("\xf0\x9f\x8e\x89*", "6");
	expect("budget \xf0\x9f\x8e\x89", "6");
	expect("budget NOT \xf0\x9f\x8e\x89", "5 4 1");
	expect("\"\xf0\x9f\x8e\x89!\"", "6"); /* the emoji of the term */
	/* with or without the variation selector, on either side */
	expect("\xe2\x9a\xa0\xef\xb8\x8f", "6");
	expect("\xe2\x9d\xa4", "6");
	expect("\xf0\x9f\x9a\x80", ""); /* rocket: nowhere */
	expect("budget -", "6 5 4 1");  /* punctuation: left out */
	expect("budget \xe2\x80\x94", "6 5 4 1");

	struct query_filter f = filter();
	cr_assert_eq(query_search(&q, "- \xe2\x80\x94", &f), QUERY_USAGE);
	cr_assert(strstr(q.err, "at least one word"), "%s", q.err);
}

Test(query_cjk, emoji_translation)
{
	struct query_match m;
	char err[128];

	cr_assert_eq(query_match_translate(&m, NULL,
	                                   "from:\xe2\x9a\xa0\xef\xb8\x8f"
	                                   "\xe2\x80\x8d\xf0\x9f\x94\xa5!"
	                                   "\xf0\x9f\x8e\x89 -",
	                                   err, sizeof(err)),
	             QUERY_OK, "%s", err);
	cr_assert_str_eq(m.sql, "EXISTS (SELECT 1 FROM message_text t WHERE "
	                        "t.id = m.id AND (t.from_addr LIKE "
	                        "'%\xe2\x9a\xa0%\xf0\x9f\x94\xa5%"
	                        "\xf0\x9f\x8e\x89%' ESCAPE '\\'))");
	query_match_clear(&m);
}
