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
