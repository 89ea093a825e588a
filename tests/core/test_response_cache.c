/* test_response_cache.c - imaplib's untagged_responses behind
 * imap4_response() and imap4_responses(): a list of values per name,
 * bounded, popped by the caller and by the methods that imaplib pops
 * them in. */
#include "api_test.h"
#include "proto/session.h"

#include <stdio.h>
#include <stdlib.h>

Test(response_cache, every_value_since_last_asked_oldest_first)
{
	struct api_test t;
	char **v = NULL, *text = NULL;
	size_t n = 99;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 0 EXISTS\n"
	                    "S: * 1 EXISTS\n"
	                    "S: * 2 EXISTS\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 3 EXISTS\n"
	                    "S: * 4 EXISTS\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 5 EXISTS\n"
	                    "S: $TAG OK done\n",
	                    NULL);

	/* response('EXISTS') after three EXISTS: [b'0', b'1', b'2'] */
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "exists"), 0);
	cr_assert_eq(n, 3);
	cr_assert_not_null(v);
	cr_assert_str_eq(v[0], "0");
	cr_assert_str_eq(v[1], "1");
	cr_assert_str_eq(v[2], "2");
	cr_assert_null(v[3]);
	free(v);
	/* popped: None until another comes */
	cr_assert_eq(imap4_responses(&v, &n, h, "EXISTS"), 0);
	cr_assert_null(v);
	cr_assert_eq(n, 0);

	/* imap4_response(): the most recent, and all of them popped */
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	cr_assert_str_eq(text, "4");
	free(text);
	cr_assert_eq(imap4_responses(&v, NULL, h, "EXISTS"), 0);
	cr_assert_null(v);

	/* one value: an array of one */
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "EXISTS"), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "5");
	cr_assert_null(v[1]);
	free(v);

	cr_assert_eq(imap4_responses(NULL, &n, h, "EXISTS"), IMAP4_EINVAL);
	cr_assert_eq(imap4_responses(&v, &n, h, NULL), IMAP4_EINVAL);
	cr_assert_null(v);
	cr_assert_eq(imap4_responses(&v, &n, NULL, "EXISTS"), IMAP4_EINVAL);
	api_done(&t);
}

/* Shows the session "* <i> EXISTS" for i in [from, to). */
static void feed_exists(struct imap4_session *s, struct imap4_arena *a,
                        unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		char line[64];
		const imap4_resp *r;
		int len = snprintf(line, sizeof(line), "* %u EXISTS\r\n", i);

		imap4_arena_reset(a);
		cr_assert_eq(imap4_parse_response(&r, a, line, (size_t)len), 0);
		cr_assert_eq(imap4_session_observe(s, r, true), 0);
	}
}

/* What imap4_responses() hands out counts within the bound: its strings,
 * their NULs and their pointers. */
static size_t cost_of(char **v, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += strlen(v[i]) + 1 + sizeof(char *);
	return c;
}

/* A NUL a literal carries ends its value there: values are C strings
 * side by side, and a NUL inside one shifted every later one. */
Test(response_cache, a_nul_in_a_value_ends_that_value_only)
{
	struct api_test t;
	char **v = NULL;
	size_t n = 0;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S+ * 1 FETCH (X {3}\\r\\na\\0b)\\r\\n\n"
	                    "S+ * 2 FETCH (X {3}\\r\\nc\\0d)\\r\\n\n"
	                    "S: * 3 FETCH (FLAGS ())\n"
	                    "S: $TAG OK done\n",
	                    NULL);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "FETCH"), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "1 (X {3}\r\na");
	cr_assert_str_eq(v[1], "2 (X {3}\r\nc");
	cr_assert_str_eq(v[2], "3 (FLAGS ())");
	cr_assert_null(v[3]);
	free(v);
	api_done(&t);
}

/* A literal among a response code's arguments brought its "{n}\r\n" and
 * its CRLFs into the text a caller is handed (the code's value, the
 * value of a status response, the greeting): each is one line, with the
 * literal as the quoted string of its data, as code_text has it. The
 * data of other responses is kept as sent (above). */
Test(response_cache, a_literal_in_a_code_is_text_on_one_line)
{
	struct api_test t;
	char **v = NULL;
	size_t n = 0;
	imap4 *h =
	        api_open(&t,
	                 "S+ * OK [X {3}\\r\\nabc] hi\\r\\n\n"
	                 "C: $TAG CAPABILITY\n"
	                 "S: * CAPABILITY IMAP4rev1\n"
	                 "S: $TAG OK done\n"
	                 "C: $TAG NOOP\n"
	                 "S+ * OK [BADCHARSET {5}\\r\\nUTF-8] untagged\\r\\n\n"
	                 "S+ $TAG NO [BADCHARSET (X {4}\\r\\na\\r\\n\\0)] "
	                 "unsupported charset\\r\\n\n",
	                 NULL);
	cr_assert_str_eq(imap4_welcome(h), "* OK [X \"abc\"] hi");
	cr_assert_eq(imap4_noop(h), IMAP4_NO);

	const struct imap4_error_info *e = imap4_last_error(h);
	cr_assert_str_eq(e->server_code, "BADCHARSET");
	cr_assert_str_eq(e->server_text, "unsupported charset");
	cr_assert_str_eq(e->message, "server said NO: unsupported charset");
	cr_assert_str_eq(imap4_completion(h)->code_text, "(X \"a   \")");

	cr_assert_eq(imap4_responses(&v, &n, h, "BADCHARSET"), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0], "\"UTF-8\"");
	cr_assert_str_eq(v[1], "(X \"a   \")");
	free(v);
	/* the greeting's OK went before CAPABILITY, as imaplib drops it;
	 * its code stays */
	cr_assert_eq(imap4_responses(&v, &n, h, "OK"), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "[BADCHARSET \"UTF-8\"] untagged");
	free(v);
	cr_assert_eq(imap4_responses(&v, &n, h, "X"), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "\"abc\"");
	free(v);
	api_done(&t);
}

Test(response_cache, past_the_bound_the_oldest_go)
{
	struct imap4_session s;
	struct imap4_arena *a = imap4_arena_new(0);
	char **v, *text;
	size_t n;

	imap4_session_init(&s);
	feed_exists(&s, a, 0, 20000);
	cr_assert_eq(imap4_session_pop_all(&s, "EXISTS", &v, &n), 0);
	cr_assert_gt(n, 1000);
	cr_assert_lt(n, 20000);
	cr_assert_leq(cost_of(v, n), IMAP4_SESSION_MAX_TEXT);
	/* one more would not have fit: the bound is used, not undershot */
	cr_assert_gt(cost_of(v, n) + strlen("19999") + 1 + sizeof(char *),
	             IMAP4_SESSION_MAX_TEXT);
	/* the newest are kept, in order, without a gap */
	cr_assert_str_eq(v[n - 1], "19999");
	for (size_t i = 0; i < n; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%zu", 20000 - n + i);
		cr_assert_str_eq(v[i], want);
	}
	cr_assert_null(v[n]);
	free(v);

	/* the same for the newest alone */
	feed_exists(&s, a, 0, 20000);
	cr_assert_eq(imap4_session_pop(&s, "EXISTS", &text), 0);
	cr_assert_str_eq(text, "19999");
	free(text);
	cr_assert_eq(imap4_session_pop_all(&s, "EXISTS", &v, &n), 0);
	cr_assert_null(v);
	cr_assert_eq(n, 0);

	imap4_session_clear(&s);
	imap4_arena_free(&a);
}

Test(response_cache, a_value_past_the_bound_alone_is_not_kept)
{
	struct imap4_session s;
	struct imap4_arena *a = imap4_arena_new(0);
	size_t big = IMAP4_SESSION_MAX_TEXT + 16;
	char *line = malloc(big + 32), **v, *text;
	const imap4_resp *r;
	size_t n, len;

	cr_assert_not_null(line);
	imap4_session_init(&s);
	feed_exists(&s, a, 1, 4);
	len = (size_t)sprintf(line, "* SEARCH");
	while (len < big)
		len += (size_t)sprintf(line + len, " %u", 1234567u);
	len += (size_t)sprintf(line + len, "\r\n");
	imap4_arena_reset(a);
	cr_assert_eq(imap4_parse_response(&r, a, line, len), 0);
	cr_assert_eq(imap4_session_observe(&s, r, true), 0);
	cr_assert_eq(imap4_session_pop(&s, "SEARCH", &text), 0);
	cr_assert_null(text);

	/* the other names keep theirs */
	feed_exists(&s, a, 7, 8);
	cr_assert_eq(imap4_session_pop_all(&s, "EXISTS", &v, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(v[0], "1");
	cr_assert_str_eq(v[3], "7");
	free(v);

	/* a value too big drops the older ones of its name (neither is the
	 * most recent), and the next one is kept */
	len = (size_t)sprintf(line, "* SEARCH 1\r\n");
	imap4_arena_reset(a);
	cr_assert_eq(imap4_parse_response(&r, a, line, len), 0);
	cr_assert_eq(imap4_session_observe(&s, r, true), 0);
	len = (size_t)sprintf(line, "* SEARCH");
	while (len < big)
		len += (size_t)sprintf(line + len, " %u", 1234567u);
	len += (size_t)sprintf(line + len, "\r\n");
	imap4_arena_reset(a);
	cr_assert_eq(imap4_parse_response(&r, a, line, len), 0);
	cr_assert_eq(imap4_session_observe(&s, r, true), 0);
	len = (size_t)sprintf(line, "* SEARCH 2 3\r\n");
	imap4_arena_reset(a);
	cr_assert_eq(imap4_parse_response(&r, a, line, len), 0);
	cr_assert_eq(imap4_session_observe(&s, r, true), 0);
	cr_assert_eq(imap4_session_pop_all(&s, "SEARCH", &v, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "2 3");
	free(v);

	free(line);
	imap4_session_clear(&s);
	imap4_arena_free(&a);
}

Test(response_cache, a_flood_of_one_name_stays_bounded)
{
	struct api_test t;
	char **v;
	size_t n;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S* 100000 * 5 RECENT\n"
	                    "S: * 6 RECENT\n"
	                    "S: $TAG OK done\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "RECENT"), 0);
	cr_assert_eq(n, IMAP4_SESSION_MAX_TEXT / (2 + sizeof(char *)));
	cr_assert_str_eq(v[0], "5");
	cr_assert_str_eq(v[n - 1], "6");
	free(v);
	api_done(&t);
}

/* Whether response(name) has something, popping it. */
static bool cached(imap4 *h, const char *name)
{
	char *text = NULL;

	cr_assert_eq(imap4_response(&text, h, name), 0);
	free(text);
	return text != NULL;
}

/* What imaplib's methods pop on OK (_untagged_response), method by
 * method: after each, response(name) of its own data is None, while the
 * data stays the command's (imap4_data_*) and what else came stays. */
Test(response_cache, methods_pop_their_own_data_like_imaplib)
{
	struct api_test t;
	imap4_mailbox_info mi;
	char *text;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev1 ACL QUOTA SORT] hi\n"
	        "C: $TAG CAPABILITY\n"
	        "S: * CAPABILITY IMAP4rev1 ACL QUOTA SORT\n"
	        "S: $TAG OK\n"
	        "C: $TAG LIST \"\" *\n"
	        "S: * LIST () \"/\" INBOX\n"
	        "S: * 7 RECENT\n"
	        "S: $TAG OK\n"
	        "C: $TAG LSUB \"\" *\n"
	        "S: * LSUB () \"/\" INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG STATUS INBOX (MESSAGES)\n"
	        "S: * STATUS INBOX (MESSAGES 2)\n"
	        "S: $TAG OK\n"
	        "C: $TAG NAMESPACE\n"
	        "S: * NAMESPACE ((\"\" \"/\")) NIL NIL\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETACL INBOX\n"
	        "S: * ACL INBOX bob lrs\n"
	        "S: $TAG OK\n"
	        "C: $TAG MYRIGHTS INBOX\n"
	        "S: * MYRIGHTS INBOX lrs\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETQUOTA \"\"\n"
	        "S: * QUOTA \"\" (STORAGE 1 512)\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETQUOTAROOT INBOX\n"
	        "S: * QUOTAROOT INBOX \"\"\n"
	        "S: * QUOTA \"\" (STORAGE 1 512)\n"
	        "S: $TAG OK\n"
	        "C: $TAG SETQUOTA \"\" (STORAGE 512)\n"
	        "S: * QUOTA \"\" (STORAGE 1 512)\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETANNOTATION INBOX /comment value.shared\n"
	        "S: * ANNOTATION INBOX /comment (value.shared \"x\")\n"
	        "S: $TAG OK\n"
	        "C: $TAG SETANNOTATION INBOX /comment (value.shared \"y\")\n"
	        "S: * ANNOTATION INBOX /comment (value.shared \"y\")\n"
	        "S: $TAG OK\n"
	        "C: $TAG SELECT INBOX\n"
	        "S: * 3 EXISTS\n"
	        "S: * OK [UIDVALIDITY 9] x\n"
	        "S: $TAG OK [READ-WRITE] done\n"
	        "C: $TAG FETCH 1 FLAGS\n"
	        "S: * 1 FETCH (FLAGS ())\n"
	        "S: * 4 EXISTS\n"
	        "S: $TAG OK\n"
	        "C: $TAG STORE 1 +FLAGS (\\Seen)\n"
	        "S: * 1 FETCH (FLAGS (\\\\Seen))\n"
	        "S: $TAG OK\n"
	        "C: $TAG PARTIAL 1 BODY[] 0 2\n"
	        "S: * 1 FETCH (BODY[]<0> \"hi\")\n"
	        "S: $TAG OK\n"
	        "C: $TAG SEARCH ALL\n"
	        "S: * SEARCH 1 2\n"
	        "S: $TAG OK\n"
	        "C: $TAG SORT (DATE) UTF-8 ALL\n"
	        "S: * SORT 2 1\n"
	        "S: $TAG OK\n"
	        "C: $TAG THREAD REFERENCES UTF-8 ALL\n"
	        "S: * THREAD (1)(2)\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID SEARCH ALL\n"
	        "S: * SEARCH 5 6\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID sort (DATE) UTF-8 ALL\n"
	        "S: * SORT 6 5\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID THREAD REFERENCES UTF-8 ALL\n"
	        "S: * THREAD (5)(6)\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID FETCH 5 FLAGS\n"
	        "S: * 1 FETCH (UID 5 FLAGS ())\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID STORE 5 +FLAGS (\\Seen)\n"
	        "S: * 1 FETCH (UID 5 FLAGS (\\\\Seen))\n"
	        "S: $TAG OK\n"
	        "C: $TAG EXPUNGE\n"
	        "S: * 2 EXPUNGE\n"
	        "S: * 1 EXPUNGE\n"
	        "S: $TAG OK\n",
	        NULL);

	/* imaplib's constructor asks capability(), which pops it, also when
	 * the greeting brought them */
	cr_assert_not(cached(h, "CAPABILITY"));
	cr_assert_eq(imap4_capability(h), IMAP4_OK);
	cr_assert_not(cached(h, "CAPABILITY"));

	cr_assert_eq(imap4_list(h, "\"\"", "*"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_not(cached(h, "LIST"));
	cr_assert(cached(h, "RECENT")); /* not LIST's: news */
	cr_assert_eq(imap4_lsub(h, "", "*"), IMAP4_OK);
	cr_assert_not(cached(h, "LSUB"));
	cr_assert_eq(imap4_status(h, "INBOX", "(MESSAGES)"), IMAP4_OK);
	cr_assert_not(cached(h, "STATUS"));
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_namespace(h), IMAP4_OK);
	cr_assert_not(cached(h, "NAMESPACE"));
	cr_assert_eq(imap4_getacl(h, "INBOX"), IMAP4_OK);
	cr_assert_not(cached(h, "ACL"));
	cr_assert_eq(imap4_myrights(h, "INBOX"), IMAP4_OK);
	cr_assert_not(cached(h, "MYRIGHTS"));
	cr_assert_eq(imap4_getquota(h, ""), IMAP4_OK);
	cr_assert_not(cached(h, "QUOTA"));
	cr_assert_eq(imap4_getquotaroot(h, "INBOX"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_not(cached(h, "QUOTAROOT"));
	cr_assert_not(cached(h, "QUOTA"));
	cr_assert_eq(imap4_setquota(h, "", "(STORAGE 512)"), IMAP4_OK);
	cr_assert_not(cached(h, "QUOTA"));
	cr_assert_eq(
	        imap4_getannotation(h, "INBOX", "/comment", "value.shared"),
	        IMAP4_OK);
	cr_assert_not(cached(h, "ANNOTATION"));
	cr_assert_eq(imap4_setannotation(h, "INBOX /comment (value.shared "
	                                    "\"y\")"),
	             IMAP4_OK);
	cr_assert_not(cached(h, "ANNOTATION"));

	/* select() reads EXISTS with get(), not pop() */
	cr_assert_eq(imap4_select(h, &mi, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	cr_assert_str_eq(text, "3");
	free(text);
	cr_assert(cached(h, "UIDVALIDITY"));

	cr_assert_eq(imap4_fetch(h, "1", "FLAGS"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_not(cached(h, "FETCH"));
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	cr_assert_str_eq(text, "4"); /* news, kept */
	free(text);
	cr_assert_eq(imap4_store(h, "1", "+FLAGS", "(\\Seen)"), IMAP4_OK);
	cr_assert_not(cached(h, "FETCH"));
	cr_assert_eq(imap4_partial(h, 1, "BODY[]", 0, 2), IMAP4_OK);
	cr_assert_not(cached(h, "FETCH"));
	cr_assert_eq(imap4_search(h, NULL, "ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "SEARCH"));
	cr_assert_eq(imap4_sort(h, "DATE", NULL, "ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "SORT"));
	cr_assert_eq(imap4_thread(h, "REFERENCES", NULL, "ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "THREAD"));
	cr_assert_eq(imap4_uid(h, "SEARCH", "ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "SEARCH"));
	cr_assert_eq(imap4_uid(h, "sort", "(DATE) UTF-8 ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "SORT"));
	cr_assert_eq(imap4_uid(h, "THREAD", "REFERENCES UTF-8 ALL"), IMAP4_OK);
	cr_assert_not(cached(h, "THREAD"));
	cr_assert_eq(imap4_uid(h, "FETCH", "5 FLAGS"), IMAP4_OK);
	cr_assert_not(cached(h, "FETCH"));
	cr_assert_eq(imap4_uid(h, "STORE", "5 +FLAGS (\\Seen)"), IMAP4_OK);
	cr_assert_not(cached(h, "FETCH"));
	cr_assert_eq(imap4_expunge(h), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_not(cached(h, "EXPUNGE"));
	api_done(&t);
}

/* imaplib pops nothing when the server said NO (_untagged_response
 * returns first) or BAD (it raised before), nor after the calls that are
 * no method of its own that pops: xatom, copy, close, and libimap4's
 * imap4_command, imap4_uid_expunge, imap4_move. */
Test(response_cache, what_is_not_popped)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 MOVE] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG SEARCH ALL\n"
	                    "S: * SEARCH 1\n"
	                    "S: $TAG NO not now\n"
	                    "C: $TAG FETCH 1 FLAGS\n"
	                    "S: * 1 FETCH (FLAGS ())\n"
	                    "S: $TAG BAD no\n"
	                    "C: $TAG FETCH 2 FLAGS\n"
	                    "S: * 2 FETCH (FLAGS ())\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG FETCH 3 FLAGS\n"
	                    "S: * 3 FETCH (FLAGS ())\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG UID EXPUNGE 4\n"
	                    "S: * 4 EXPUNGE\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG MOVE 1 Trash\n"
	                    "S: * 1 EXPUNGE\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG COPY 1 Trash\n"
	                    "S: * 1 FETCH (FLAGS (\\\\Seen))\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG CLOSE\n"
	                    "S: * 1 EXPUNGE\n"
	                    "S: $TAG OK\n",
	                    NULL);
	char **v;
	size_t n;

	cr_assert_eq(imap4_select(h, NULL, NULL, false), IMAP4_OK);
	cr_assert_eq(imap4_search(h, NULL, "ALL"), IMAP4_NO);
	cr_assert(cached(h, "SEARCH"));
	cr_assert_eq(imap4_fetch(h, "1", "FLAGS"), IMAP4_EBAD);
	cr_assert_eq(imap4_xatom(h, "FETCH", "2 FLAGS"), IMAP4_OK);
	cr_assert_eq(imap4_command(h, NULL, NULL, "FETCH 3 FLAGS"), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "FETCH"), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "1 (FLAGS ())");
	cr_assert_str_eq(v[2], "3 (FLAGS ())");
	free(v);
	cr_assert_eq(imap4_uid_expunge(h, "4"), IMAP4_OK);
	cr_assert_eq(imap4_move(h, "1", "Trash"), IMAP4_OK);
	cr_assert_eq(imap4_responses(&v, &n, h, "EXPUNGE"), 0);
	cr_assert_eq(n, 2);
	free(v);
	cr_assert_eq(imap4_copy(h, "1", "Trash"), IMAP4_OK);
	cr_assert(cached(h, "FETCH"));
	cr_assert_eq(imap4_close(h), IMAP4_OK);
	cr_assert(cached(h, "EXPUNGE"));
	api_done(&t);
}

/* imaplib's _command deletes OK, NO and BAD before every command it
 * sends, so response('OK') is news of the last command, never a SELECT's
 * "[HIGHESTMODSEQ 23] Highest" two commands back (explore75 t19). The
 * names of their codes stay until asked for, as in imaplib. A command
 * refused before it is sent deletes nothing. */
Test(response_cache, ok_no_bad_are_dropped_before_each_command)
{
	struct api_test t;
	char *text = NULL;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: * OK [HIGHESTMODSEQ 23] Highest\n"
	                    "S: * NO [ALERT] disk almost full\n"
	                    "S: * BAD odd\n"
	                    "S: $TAG OK [READ-WRITE] done\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG NOOP\n"
	                    "S: * OK still here\n"
	                    "S: $TAG OK done\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert(imap4_session_has(&h->sess, "OK"));
	/* refused, nothing sent: the SELECT's OK is still the latest */
	cr_assert_eq(imap4_create(h, "a\r\nb"), IMAP4_EINVAL);
	cr_assert(imap4_session_has(&h->sess, "OK"));
	cr_assert(imap4_session_has(&h->sess, "NO"));
	cr_assert(imap4_session_has(&h->sess, "BAD"));

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_response(&text, h, "OK"), 0);
	cr_assert_null(text, "stale: %s", text);
	cr_assert_eq(imap4_response(&text, h, "NO"), 0);
	cr_assert_null(text, "stale: %s", text);
	cr_assert_eq(imap4_response(&text, h, "BAD"), 0);
	cr_assert_null(text, "stale: %s", text);
	cr_assert_eq(imap4_response(&text, h, "HIGHESTMODSEQ"), 0);
	cr_assert_str_eq(text, "23");
	free(text);
	cr_assert_eq(imap4_response(&text, h, "ALERT"), 0);
	cr_assert_str_eq(text, "");
	free(text);

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_response(&text, h, "OK"), 0);
	cr_assert_str_eq(text, "still here");
	free(text);
	api_done(&t);
}

/* imaplib's logout() returns ('BYE', [farewell]) and pops the BYE on the
 * way: response('BYE') is None afterwards. Ours returns IMAP4_OK, the
 * farewell in the command's data, and pops the BYE as well. */
Test(response_cache, logout_pops_its_bye)
{
	struct api_test t;
	char *text = NULL;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGOUT\n"
	                    "S: * BYE farewell\n"
	                    "S: $TAG OK logged out\n",
	                    NULL);

	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_str_eq(imap4_data_at(h, 0)->text, "farewell");
	cr_assert_eq(imap4_response(&text, h, "BYE"), 0);
	cr_assert_null(text, "BYE kept: %s", text);
	cr_assert_eq(imap4_response(&text, h, "OK"), 0);
	cr_assert_null(text, "OK kept: %s", text);
	api_done(&t);
}

static int end_idle(void *payload, const imap4_resp *resp)
{
	(*(int *)payload)++;
	return 1;
}

static int take_batch(void *payload, const imap4_resp *const *resps, size_t n)
{
	*(size_t *)payload += n;
	return 0;
}

/* Consumes EXPUNGE, keeps the rest. */
static int eat_expunge(void *payload, const imap4_resp *resp)
{
	(*(int *)payload)++;
	return strcmp(resp->name, "EXPUNGE") != 0;
}

/* explore83: after an IDLE callback got 15 and a burst 18, and an
 * unsolicited callback consumed an EXPUNGE (returned 0), response()
 * still gave EXISTS 12 15 18 and the EXPUNGE. What a callback was handed
 * is the callback's, as imaplib 3.14's Idler takes IDLE's responses out
 * of untagged_responses; what no callback took stays news. */
Test(response_cache, what_a_callback_consumed_is_not_kept)
{
	struct api_test t;
	int idled = 0, unsol = 0;
	size_t batched = 0;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 12 EXISTS\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG IDLE\n"
	                    "S: + idling\n"
	                    "S: * 15 EXISTS\n"
	                    "C: DONE\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG IDLE\n"
	                    "S: + idling\n"
	                    "S: * 18 EXISTS\n"
	                    "C: DONE\n"
	                    "S: * 19 EXISTS\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 3 EXPUNGE\n"
	                    "S: * 20 EXISTS\n"
	                    "S: $TAG OK\n",
	                    NULL);
	char **v;
	size_t n;

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_idle(h, 10000, end_idle, &idled), IMAP4_OK);
	cr_assert_eq(imap4_idle_burst(h, 10000, 50, take_batch, &batched),
	             IMAP4_OK);
	imap4_set_unsolicited(h, eat_expunge, &unsol);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(idled, 1);
	cr_assert_eq(batched, 1);
	cr_assert_eq(unsol, 2);
	cr_assert_eq(imap4_responses(&v, &n, h, "EXISTS"), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "12");
	cr_assert_str_eq(v[1], "19"); /* after DONE: no part of the batch */
	cr_assert_str_eq(v[2], "20"); /* the callback kept it */
	free(v);
	cr_assert_not(cached(h, "EXPUNGE"));
	/* Consumed is not kept in the data either; kept is. */
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_data_at(h, 0)->number, 20);
	api_done(&t);
}
