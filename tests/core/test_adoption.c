/* test_adoption.c - what a user who adopted the library ran into: calls
 * from inside callbacks, a NULL handle, the secret of an AUTHENTICATE
 * the server refuses, the caller's own max_untagged, a remembered wake,
 * and the smaller promises of imap4.h. Each test fails without its fix,
 * unless its comment says it pins down behaviour that was kept.
 */
#include "api_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define HELLO   "S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\n"
#define REFUSED "called from a callback of a command in progress"

/* ---- 1. a call from a callback is refused, the outer command goes on */

struct nested {
	imap4 *h;
	int calls;
	int rc; /* of the last nested call */
	char why[512];
};

static void note_nested(struct nested *n, int rc)
{
	n->calls++;
	n->rc = rc;
	snprintf(n->why, sizeof(n->why), "%s", imap4_last_error(n->h)->message);
}

static int noop_inside(void *payload, const imap4_resp *resp)
{
	struct nested *n = payload;

	(void)resp;
	note_nested(n, imap4_noop(n->h));
	return 1; /* keep it: the outer's data must be whole */
}

static void assert_refused(const struct nested *n, const char *outer)
{
	char want[128];

	cr_assert_gt(n->calls, 0);
	cr_assert_eq(n->rc, IMAP4_ESTATE, "%d %s", n->rc, n->why);
	cr_assert(strstr(n->why, REFUSED), "%s", n->why);
	snprintf(want, sizeof(want), "(%s)", outer);
	cr_assert(strstr(n->why, want), "%s", n->why);
}

/* The nested NOOP went on the wire inside the outer NOOP, read its tagged
 * OK as an unknown tag (EPROTO) and the outer ended ECLOSED. */
Test(reentry, command_callback)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG NOOP\n"
	                          "S: * 3 EXISTS\n"
	                          "S: $TAG OK done\n"
	                          "C: $TAG NOOP\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct nested n = {.h = h};

	cr_assert_eq(imap4_command(h, noop_inside, &n, "NOOP"), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	assert_refused(&n, "NOOP");
	cr_assert_eq(n.calls, 1);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(imap4_data_at(h, 0)->name, "EXISTS");
	cr_assert_str_eq(imap4_completion(h)->text, "done");
	/* a success leaves no error behind, not even the nested one's */
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_str_eq(imap4_last_error(h)->message, "");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

static int select_inside_fetch(void *payload, const imap4_msg *msg,
                               const imap4_resp *resp)
{
	struct nested *n = payload;
	imap4_mailbox_info mi;

	(void)msg;
	(void)resp;
	note_nested(n, imap4_select(n->h, &mi, "Other", false));
	return 0;
}

Test(reentry, fetch_each_callback)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG SELECT INBOX\n"
	                          "S: $TAG OK\n"
	                          "C: $TAG UID FETCH 1:* (FLAGS)\n"
	                          "S: * 1 FETCH (UID 4 FLAGS ())\n"
	                          "S: * 2 FETCH (UID 5 FLAGS ())\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct nested n = {.h = h};

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "1:*", "(FLAGS)",
	                              select_inside_fetch, &n),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(n.calls, 2);
	assert_refused(&n, "UID");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_SELECTED);
	api_done(&t);
}

/* Every entry point that sends or reads, from the unsolicited callback
 * of a LIST. */
static int everything_inside(void *payload, const imap4_resp *resp)
{
	struct nested *n = payload;
	imap4 *h = n->h;
	char buf[8], *line = NULL, *text = NULL;
	size_t len = 0;
	long count;
	const int rcs[] = {
	        imap4_noop(h),
	        imap4_capability(h),
	        imap4_logout(h),
	        imap4_xatom(h, "X-NAME", NULL),
	        imap4_command(h, NULL, NULL, "NOOP"),
	        imap4_select(h, NULL, "INBOX", true),
	        imap4_list(h, "", "*"),
	        imap4_idle(h, 10, NULL, NULL),
	        imap4_wait(h, 10, NULL, NULL),
	        imap4_recent(h, &count),
	        imap4_starttls(h),
	        imap4_append(h, "INBOX", NULL, -1, "a\r\n", 3),
	        (int)imap4_read(h, buf, sizeof(buf)),
	        imap4_readline(h, &line, &len),
	        imap4_send(h, "X\r\n", 3),
	        imap4_shutdown(h),
	};

	(void)resp;
	for (size_t i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++)
		cr_assert_eq(rcs[i], IMAP4_ESTATE, "call %zu: %d", i, rcs[i]);
	cr_assert_null(line);
	note_nested(n, rcs[0]);
	/* reading the handle is fine */
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	free(text);
	return 0;
}

Test(reentry, every_call_from_the_unsolicited_callback)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG LIST \"\" *\n"
	                          "S: * LIST () \"/\" a\n"
	                          "S: * 4 EXISTS\n"
	                          "S: * LIST () \"/\" b\n"
	                          "S: $TAG OK\n"
	                          "C: $TAG NOOP\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct nested n = {.h = h};

	imap4_set_unsolicited(h, everything_inside, &n);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	cr_assert_eq(n.calls, 1);
	assert_refused(&n, "LIST");
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* IDLE refused the nested call already, but after resetting the result;
 * what stays is the promise that a success leaves no error (8c). */
Test(reentry, idle_callback_leaves_no_error_after_success)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG IDLE\n"
	                          "S: + idling\n"
	                          "S: * 4 EXISTS\n"
	                          "C: DONE\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct nested n = {.h = h};

	cr_assert_eq(imap4_idle(h, 5000, noop_inside, &n), IMAP4_OK);
	assert_refused(&n, "IDLE");
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_str_eq(imap4_last_error(h)->message, "");
	api_done(&t);
}

struct burst_nested {
	struct nested n;
	char first[16];
};

static int burst_inside(void *payload, const imap4_resp *const *resps,
                        size_t count)
{
	struct burst_nested *b = payload;

	note_nested(&b->n, imap4_noop(b->n.h));
	/* the batch is the command's data: still there after the call */
	cr_assert_eq(count, 2);
	snprintf(b->first, sizeof(b->first), "%s", resps[0]->name);
	return 0;
}

Test(reentry, idle_burst_callback)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG IDLE\n"
	                          "S: + idling\n"
	                          "S: * 7 EXISTS\n"
	                          "S: * 1 RECENT\n"
	                          "C: DONE\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct burst_nested b = {.n.h = h};

	cr_assert_eq(imap4_idle_burst(h, 5000, 200, burst_inside, &b),
	             IMAP4_OK);
	assert_refused(&b.n, "IDLE");
	cr_assert_str_eq(b.first, "EXISTS");
	cr_assert_eq(imap4_last_error(h)->code, 0);
	api_done(&t);
}

Test(reentry, wait_callback)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "S: * 2 EXISTS\n"
	                          "C: $TAG NOOP\n"
	                          "S: $TAG OK\n",
	                    NULL);
	struct nested n = {.h = h};

	cr_assert_eq(imap4_wait(h, 300, noop_inside, &n), IMAP4_OK);
	assert_refused(&n, "imap4_wait");
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* ---- 3. a wake is a flag that only IDLE and wait clear (kept: this
 * pins down the documented behaviour) */

Test(wake, survives_ordinary_commands_and_counts_once, .timeout = 20)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG NOOP\n"
	                          "S: $TAG OK\n"
	                          "C: $TAG IDLE\n"
	                          "S: + idling\n"
	                          "C: DONE\n"
	                          "S: $TAG OK\n"
	                          "C: $TAG IDLE\n"
	                          "S: + idling\n"
	                          "C: DONE\n"
	                          "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	int64_t start = imap4_now_ms();
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK);
	cr_assert_lt(imap4_now_ms() - start, 2000);
	/* the two wakes were one, and that one is spent */
	start = imap4_now_ms();
	cr_assert_eq(imap4_idle(h, 300, NULL, NULL), IMAP4_OK);
	cr_assert_geq(imap4_now_ms() - start, 280);
	api_done(&t);
}

Test(wake, ends_the_next_wait, .timeout = 20)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG NOOP\n"
	                          "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	int64_t start = imap4_now_ms();
	cr_assert_eq(imap4_wait(h, 60000, NULL, NULL), IMAP4_OK);
	cr_assert_lt(imap4_now_ms() - start, 2000);
	api_done(&t);
}

/* ---- 4. a NULL handle */

static int count_cb(void *payload, const imap4_resp *resp)
{
	(void)payload;
	(void)resp;
	return 0;
}

Test(null_handle, every_function_refuses_it)
{
	imap4 *h = NULL;
	char buf[8], *s = NULL;
	size_t n = 7;
	long count = 0;
	imap4_mailbox_info mi;
	const int rcs[] = {
	        imap4_noop(h),
	        imap4_logout(h),
	        imap4_capability(h),
	        imap4_check(h),
	        imap4_close(h),
	        imap4_unselect(h),
	        imap4_expunge(h),
	        imap4_login(h, "u", "p"),
	        imap4_login_cram_md5(h, "u", "p"),
	        imap4_authenticate_sasl(h, "PLAIN", NULL, "u", "p"),
	        imap4_starttls(h),
	        imap4_compress(h),
	        imap4_select(h, &mi, "INBOX", false),
	        imap4_create(h, "x"),
	        imap4_list(h, "", "*"),
	        imap4_status(h, "x", "(MESSAGES)"),
	        imap4_enable(h, "CONDSTORE"),
	        imap4_fetch(h, "1", "FLAGS"),
	        imap4_fetch_each(h, true, "1", "FLAGS", NULL, NULL),
	        imap4_search(h, NULL, "ALL"),
	        imap4_uid(h, "FETCH", "1 FLAGS"),
	        imap4_xatom(h, "X", NULL),
	        imap4_id(h, NULL),
	        imap4_notify(h, NULL),
	        imap4_append(h, "INBOX", NULL, -1, "a\r\n", 3),
	        imap4_command(h, count_cb, NULL, "NOOP"),
	        imap4_idle(h, 10, NULL, NULL),
	        imap4_idle_burst(h, 10, 10, NULL, NULL),
	        imap4_wait(h, 10, NULL, NULL),
	        imap4_wake(h),
	        imap4_recent(h, &count),
	        imap4_response(&s, h, "EXISTS"),
	        imap4_readline(h, &s, &n),
	        imap4_send(h, "x", 1),
	        imap4_shutdown(h),
	        (int)imap4_read(h, buf, sizeof(buf)),
	};

	for (size_t i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++)
		cr_assert_eq(rcs[i], IMAP4_EINVAL, "call %zu: %d", i, rcs[i]);
	cr_assert_eq(mi.exists, 0);
	cr_assert_null(s);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_LOGOUT);
	cr_assert_null(imap4_welcome(h));
	cr_assert_null(imap4_protocol_version(h));
	cr_assert_null(imap4_completion(h));
	cr_assert_null(imap4_data_at(h, 0));
	cr_assert_eq(imap4_data_count(h), 0);
	cr_assert_eq(imap4_socket(h), -1);
	cr_assert_eq(imap4_debug(h), 0);
	cr_assert_not(imap4_is_tls(h));
	cr_assert_not(imap4_is_readonly(h));
	cr_assert_not(imap4_is_compressed(h));
	cr_assert_not(imap4_utf8_enabled(h));
	cr_assert_not(imap4_has_capability(h, "IMAP4rev1"));
	cr_assert_not(imap4_is_enabled(h, "CONDSTORE"));
	n = 5;
	cr_assert_not_null(imap4_capabilities(h, &n));
	cr_assert_null(imap4_capabilities(h, &n)[0]);
	cr_assert_eq(n, 0);
	const struct imap4_error_info *e = imap4_last_error(h);
	cr_assert_eq(e->code, IMAP4_EINVAL);
	cr_assert_str_eq(e->message, "no handle (NULL)");
	imap4_set_debug(h, 1);
	imap4_set_unsolicited(h, count_cb, NULL);
	imap4_set_literal_sink(h, NULL, NULL);
	imap4_free(&h);
	imap4_free(NULL);
}

Test(null_handle, open_without_out)
{
	cr_assert_eq(imap4_open(NULL, "localhost", 1, NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_open_ssl(NULL, "localhost", 1, NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_open_stream(NULL, "cat", NULL), IMAP4_EINVAL);
	cr_assert(strstr(imap4_open_error(), "out is NULL"), "%s",
	          imap4_open_error());
}

/* ---- 5. the secret goes only to a server that names the mechanism */

#define XOAUTH2_IR "dXNlcj1qb2UBYXV0aD1CZWFyZXIgdG9rAQE="

/* The token was in the AUTHENTICATE line of a server that did not list
 * XOAUTH2 and then refused it. */
Test(sasl_ir, unlisted_mechanism_sees_no_secret)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN]"
	                    " hi\n"
	                    "C: $TAG AUTHENTICATE XOAUTH2\n"
	                    "S: $TAG NO Unsupported authentication mechanism\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "XOAUTH2", NULL, "joe", "tok"),
	             IMAP4_ENO);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	api_done(&t);
}

Test(sasl_ir, unlisted_mechanism_answers_the_continuation)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1 SASL-IR] hi\n"
	                    "C: $TAG AUTHENTICATE XOAUTH2\n"
	                    "S: + \n"
	                    "C: " XOAUTH2_IR "\n"
	                    "S: $TAG OK [CAPABILITY IMAP4rev1] in\n",
	                    NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "xoauth2", NULL, "joe", "tok"),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	api_done(&t);
}

Test(sasl_ir, listed_mechanism_sends_it_in_the_line)
{
	struct api_test t;
	imap4 *h =
	        api_open(&t,
	                 "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2]"
	                 " hi\n"
	                 "C: $TAG AUTHENTICATE XOAUTH2 " XOAUTH2_IR "\n"
	                 "S: $TAG OK [CAPABILITY IMAP4rev1] in\n",
	                 NULL);

	cr_assert_eq(imap4_authenticate_sasl(h, "XOAUTH2", NULL, "joe", "tok"),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* ---- 6. max_untagged is the caller's limit: the command fails, the
 * connection goes on; where it cannot, the connection is dropped */

static void lines(char *buf, size_t cap, const char *head, int n,
                  const char *line, const char *tail)
{
	snprintf(buf, cap, "%s", head);
	for (int i = 0; i < n; i++)
		strncat(buf, line, cap - strlen(buf) - 1);
	strncat(buf, tail, cap - strlen(buf) - 1);
}

static imap4 *open_limited(struct api_test *t, const char *script,
                           size_t max_untagged, size_t max_line)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.max_untagged = max_untagged;
	if (max_line)
		o.limits.max_line = max_line;
	return api_open(t, script, &o);
}

Test(limits, untagged_overflow_keeps_a_no_and_the_connection)
{
	static char script[16384];
	struct api_test t;

	lines(script, sizeof(script), HELLO "C: $TAG LIST \"\" *\n", 60,
	      "S: * LIST () \"/\" a-mailbox-with-a-long-enough-name\n",
	      "S: $TAG NO [LIMIT] partial listing\n"
	      "C: $TAG NOOP\n"
	      "S: $TAG OK\n");
	imap4 *h = open_limited(&t, script, 2048, 0);

	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_ELIMIT);
	const struct imap4_error_info *e = imap4_last_error(h);
	cr_assert_eq(e->klass, IMAP4_CLASS_ERROR);
	cr_assert(strstr(e->message, "max_untagged (2048 bytes"), "%s",
	          e->message);
	cr_assert(strstr(e->message, "stays usable"), "%s", e->message);
	cr_assert_str_eq(e->server_text, "partial listing");
	cr_assert_str_eq(imap4_completion(h)->name, "NO");
	cr_assert_gt(imap4_data_count(h), 0);
	cr_assert_lt(imap4_data_count(h), 60);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* IDLE without a callback keeps what arrives as its data: past the limit
 * it still ends with DONE and its completion. */
Test(limits, idle_overflow_keeps_the_connection)
{
	static char script[16384];
	struct api_test t;

	lines(script, sizeof(script),
	      HELLO "C: $TAG IDLE\n"
	            "S: + idling\n",
	      40, "S: * 1 FETCH (FLAGS (\\\\Seen $SomeKeyword $Another))\n",
	      "C: DONE\n"
	      "S: $TAG OK\n"
	      "C: $TAG NOOP\n"
	      "S: $TAG OK\n");
	imap4 *h = open_limited(&t, script, 2048, 0);

	int rc = imap4_idle(h, 500, NULL, NULL);
	cr_assert_eq(rc, IMAP4_ELIMIT, "%d %s", rc,
	             imap4_last_error(h)->message);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* SELECT's success is a state change: with its data cut, our state would
 * not be the server's, so the connection is dropped. */
Test(limits, select_overflow_aborts)
{
	static char script[16384];
	struct api_test t;

	lines(script, sizeof(script), HELLO "C: $TAG SELECT INBOX\n", 60,
	      "S: * OK [X-VENDOR-NOISE a few words of vendor noise] hi\n",
	      "S: $TAG OK [READ-WRITE] selected\n");
	imap4 *h = open_limited(&t, script, 2048, 0);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_ELIMIT);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ABORT);
	cr_assert(strstr(imap4_last_error(h)->message, "connection dropped"),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

/* A line past max_line is cut where the reader stopped: the stream is
 * lost, so this limit still aborts. */
Test(limits, max_line_aborts)
{
	static char script[8192];
	struct api_test t;
	char line[1200];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	snprintf(script, sizeof(script),
	         HELLO "C: $TAG NOOP\n"
	               "S: * OK %s\n"
	               "S: $TAG OK\n",
	         line);
	imap4 *h = open_limited(&t, script, 1 << 20, 1024);

	cr_assert_eq(imap4_noop(h), IMAP4_ELIMIT);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ABORT);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

Test(limits, message_does_not_blame_the_server)
{
	cr_assert_null(strstr(imap4_strerror(IMAP4_ELIMIT), "server"), "%s",
	               imap4_strerror(IMAP4_ELIMIT));
}

/* ---- 7. and 8.: the smaller promises */

Test(select, readonly_failure_zeroes_out)
{
	struct api_test t;
	imap4_mailbox_info mi;
	imap4_mailbox_info zero;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG SELECT shared\n"
	                          "S: * 3 EXISTS\n"
	                          "S: * FLAGS (\\\\Seen)\n"
	                          "S: * OK [UIDVALIDITY 7] v\n"
	                          "S: $TAG OK [READ-ONLY] no write for you\n",
	                    NULL);

	memset(&mi, 0xa5, sizeof(mi));
	memset(&zero, 0, sizeof(zero));
	cr_assert_eq(imap4_select(h, &mi, "shared", false), IMAP4_EREADONLY);
	cr_assert_eq(memcmp(&mi, &zero, sizeof(mi)), 0,
	             "exists %u uidvalidity %u readonly %d", mi.exists,
	             mi.uidvalidity, mi.readonly);
	cr_assert(imap4_is_readonly(h));
	api_done(&t);
}

Test(select, null_mailbox_is_inbox)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG EXAMINE INBOX\n"
	                          "S: $TAG OK [READ-ONLY] done\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, NULL, true), IMAP4_OK);
	api_done(&t);
}

/* RFC 3501 6.3.1: the server MUST send EXISTS. An EXAMINE completed
 * without one gave exists 0, as for an empty mailbox, and a mirror took
 * it for one (explore77 t10: a lost "* 15 EXISTS" mirrored nothing). */
Test(select, exists_left_out_is_told_from_zero)
{
	struct api_test t;
	imap4_mailbox_info mi;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG EXAMINE lost\n"
	                          "S: * 7 E1XISTS\n"
	                          "S: * OK [UIDVALIDITY 7] v\n"
	                          "S: $TAG OK [READ-ONLY] done\n"
	                          "C: $TAG EXAMINE empty\n"
	                          "S: * 0 EXISTS\n"
	                          "S: * OK [UIDVALIDITY 7] v\n"
	                          "S: $TAG OK [READ-ONLY] done\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, &mi, "lost", true), IMAP4_OK);
	cr_assert_eq(mi.exists, 0);
	cr_assert_not(mi.has_exists);
	cr_assert_eq(imap4_select(h, &mi, "empty", true), IMAP4_OK);
	cr_assert_eq(mi.exists, 0);
	cr_assert(mi.has_exists);
	api_done(&t);
}

/* A SEARCH that matched nothing still answers; one whose answer was lost
 * leaves no data: the two are told apart (imap4_search's contract). */
Test(search, no_answer_is_not_an_empty_answer)
{
	struct api_test t;
	imap4_search_result r;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG SELECT INBOX\n"
	                          "S: * 3 EXISTS\n"
	                          "S: $TAG OK [READ-WRITE] done\n"
	                          "C: $TAG SEARCH DELETED\n"
	                          "S: * SEARCH\n"
	                          "S: $TAG OK searched\n"
	                          "C: $TAG SEARCH DELETED\n"
	                          "S: $TAG OK searched\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_search(h, NULL, "DELETED"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_search_parse(&r, imap4_data_at(h, 0)), 0);
	cr_assert_eq(r.count, 0);
	cr_assert_eq(imap4_search(h, NULL, "DELETED"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 0);
	api_done(&t);
}

/* LOGOUT reset its result on success: completion NULL, BYE gone. */
Test(logout, keeps_completion_and_bye)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG LOGOUT\n"
	                          "S: * BYE see you\n"
	                          "S: $TAG OK logged out\n",
	                    NULL);

	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_not_null(imap4_completion(h));
	cr_assert_str_eq(imap4_completion(h)->text, "logged out");
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(imap4_data_at(h, 0)->text, "see you");
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_LOGOUT);
	api_done(&t);
}

Test(logout, bye_then_close_keeps_the_bye)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG LOGOUT\n"
	                          "S: * BYE see you\n"
	                          "CLOSE\n",
	                    NULL);

	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_null(imap4_completion(h));
	cr_assert_str_eq(imap4_data_at(h, 0)->text, "see you");
	cr_assert_str_eq(imap4_last_error(h)->message, "");
	api_done(&t);
}

/* Documented, kept: the name is fmt's first word, literally. */
Test(command, name_must_be_literal)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG NOOP\n"
	                          "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_command(h, NULL, NULL, "%a", "NOOP"), IMAP4_EINVAL);
	cr_assert_eq(imap4_command(h, NULL, NULL, "NOOP"), IMAP4_OK);
	api_done(&t);
}

/* Documented, kept: non-ASCII search words go as literals through
 * imap4_command's %s, not raw. */
Test(command, non_ascii_search_word_as_literal)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    HELLO "C: $TAG SELECT INBOX\n"
	                          "S: $TAG OK\n"
	                          "C: $TAG SEARCH CHARSET UTF-8 FROM {5}\n"
	                          "S: + go\n"
	                          "C= Jos\\xc3\\xa9\\r\\n\n"
	                          "S: * SEARCH 2\n"
	                          "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_command(h, NULL, NULL,
	                           "SEARCH CHARSET UTF-8 FROM %s",
	                           "Jos\xc3\xa9"),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_count(h), 1);
	api_done(&t);
}

/* "stream: stream: no command" */
Test(open_stream, empty_command_says_it_once)
{
	imap4 *h = NULL;

	cr_assert_eq(imap4_open_stream(&h, "", NULL), IMAP4_EINVAL);
	cr_assert_null(h);
	cr_assert_str_eq(imap4_open_error(), "stream: no command");
	cr_assert_eq(imap4_open_stream(&h, NULL, NULL), IMAP4_EINVAL);
	cr_assert_str_eq(imap4_open_error(), "stream: no command");
}
