/* test_idle.c - IDLE, burst, wake from another thread, wait/NOTIFY. */
#include "api_test.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define IDLE_HELLO "S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE NOTIFY] hi\n"

struct got {
	int n;
	int stop_at; /* return 1 at this count */
	char names[8][16];
};

static int on_untagged(void *payload, const imap4_resp *resp)
{
	struct got *g = payload;

	if (g->n < 8)
		snprintf(g->names[g->n], sizeof(g->names[0]), "%s",
		         resp->name ? resp->name : "?");
	g->n++;
	return g->n == g->stop_at ? 1 : 0;
}

Test(idle, duration_ends_it_with_done)
{
	struct api_test t;
	struct got g = {0};
	int64_t start;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: * 4 EXISTS\n"
	                               "C: DONE\n"
	                               "S: * 1 EXPUNGE\n"
	                               "S: $TAG OK IDLE terminated\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	start = imap4_now_ms();
	cr_assert_eq(imap4_idle(h, 300, on_untagged, &g), IMAP4_OK);
	cr_assert_geq(imap4_now_ms() - start, 280);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.names[0], "EXISTS");
	cr_assert_str_eq(g.names[1], "EXPUNGE");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

Test(idle, callback_ends_it_early)
{
	struct api_test t;
	struct got g = {.stop_at = 1};
	int64_t start;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "SLEEP 50\n"
	                               "S: * 5 EXISTS\n"
	                               "C: DONE\n"
	                               "S: $TAG OK\n",
	                    NULL);

	start = imap4_now_ms();
	cr_assert_eq(imap4_idle(h, 10000, on_untagged, &g), IMAP4_OK);
	cr_assert_lt(imap4_now_ms() - start, 2000);
	cr_assert_eq(g.n, 1);
	api_done(&t);
}

static void *wake_later(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};

	nanosleep(&ts, NULL);
	imap4_wake(arg);
	return NULL;
}

Test(idle, wake_from_another_thread)
{
	struct api_test t;
	pthread_t th;
	int64_t start, took;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK\n",
	                    NULL);

	start = imap4_now_ms();
	cr_assert_eq(pthread_create(&th, NULL, wake_later, h), 0);
	cr_assert_eq(imap4_idle(h, -1, NULL, NULL), IMAP4_OK);
	took = imap4_now_ms() - start;
	pthread_join(th, NULL);
	cr_assert_geq(took, 150);
	cr_assert_lt(took, 3000);
	api_done(&t);
}

Test(idle, wake_before_idle_is_not_lost)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK);
	api_done(&t);
}

struct batch {
	int calls;
	size_t n;
	char first[16];
};

static int on_burst(void *payload, const imap4_resp *const *resps, size_t n)
{
	struct batch *b = payload;

	b->calls++;
	b->n = n;
	snprintf(b->first, sizeof(b->first), "%s", resps[0]->name);
	return 0;
}

Test(idle, burst_collects_close_responses)
{
	struct api_test t;
	struct batch b = {0};
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "SLEEP 100\n"
	                               "S: * 7 EXISTS\n"
	                               "S: * 1 RECENT\n"
	                               "SLEEP 20\n"
	                               "S: * 7 FETCH (FLAGS (\\\\Recent))\n"
	                               "C: DONE\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle_burst(h, 5000, 200, on_burst, &b), IMAP4_OK);
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(b.n, 3);
	cr_assert_str_eq(b.first, "EXISTS");
	api_done(&t);
}

/* explore58: a response after DONE, 500 ms after the first, was handed
 * to cb in the batch, though the burst had ended 200 ms after it. It is
 * the command's data, as imaplib keeps it. */
Test(idle, a_response_after_done_is_not_in_the_burst)
{
	struct api_test t;
	struct batch b = {0};
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "SLEEP 100\n"
	                               "S: * 3 EXISTS\n"
	                               "C: DONE\n"
	                               "S: * 4 EXISTS\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle_burst(h, 5000, 200, on_burst, &b), IMAP4_OK);
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(b.n, 1);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_eq(imap4_data_at(h, 1)->number, 4);
	api_done(&t);
}

Test(idle, burst_without_responses_calls_nothing)
{
	struct api_test t;
	struct batch b = {0};
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle_burst(h, 100, 50, on_burst, &b), IMAP4_OK);
	cr_assert_eq(b.calls, 0);
	api_done(&t);
}

Test(idle, without_capability_sends_nothing)
{
	struct api_test t;
	imap4 *h =
	        api_open(&t, "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n", NULL);

	cr_assert_eq(imap4_idle(h, 100, NULL, NULL), IMAP4_ECAPA);
	cr_assert_str_eq(fake_server_transcript(t.fs), "");
	api_done(&t);
}

Test(idle, continuation_has_a_deadline)
{
	struct api_test t;
	struct imap4_opts o;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 300;
	h = api_open(&t, IDLE_HELLO "C: $TAG IDLE\nSLEEP 1000\n", &o);
	cr_assert_eq(imap4_idle(h, 10000, NULL, NULL), IMAP4_ETIMEOUT);
	api_done(&t);
}

Test(idle, done_completion_has_a_deadline)
{
	struct api_test t;
	struct imap4_opts o;
	int64_t start;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 300;
	h = api_open(&t,
	             IDLE_HELLO "C: $TAG IDLE\nS: + idling\nC: DONE\n"
	                        "SLEEP 1000\n",
	             &o);
	start = imap4_now_ms();
	cr_assert_eq(imap4_idle(h, 100, NULL, NULL), IMAP4_ETIMEOUT);
	cr_assert_lt(imap4_now_ms() - start, 900);
	api_done(&t);
}

Test(idle, refused_idle_is_a_result)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: $TAG NO not now\n",
	                    NULL);

	cr_assert_eq(imap4_idle(h, 100, NULL, NULL), IMAP4_NO);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	api_done(&t);
}

/* The NO's record: the result every form of a refused IDLE leaves. */
static void assert_idle_no(imap4 *h, const char *server_code)
{
	const struct imap4_error_info *e = imap4_last_error(h);

	cr_assert_eq(e->code, IMAP4_NO, "%d %s", e->code, e->message);
	cr_assert_str_eq(e->server_code ? e->server_code : "(null)",
	                 server_code);
	cr_assert_not_null(imap4_completion(h));
	cr_assert_str_eq(imap4_completion(h)->name, "NO");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
}

/* explore75: a NO after the "+" ended the IDLE, and imap4_idle returned
 * IMAP4_OK, the NO only in the last error: the caller took a refused
 * IDLE for one that had run. No DONE follows a completion. */
Test(idle, no_after_the_continuation_is_a_result)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: $TAG NO [UNAVAILABLE] refused\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle(h, 5000, NULL, NULL), IMAP4_NO);
	assert_idle_no(h, "UNAVAILABLE");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* Before the "+", the same result and record. */
Test(idle, no_before_the_continuation_is_the_same_result)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: $TAG NO [UNAVAILABLE] not now\n",
	                    NULL);

	cr_assert_eq(imap4_idle(h, 5000, NULL, NULL), IMAP4_NO);
	assert_idle_no(h, "UNAVAILABLE");
	api_done(&t);
}

/* A server may end the IDLE itself with OK: a success, and no DONE. */
Test(idle, ok_from_the_server_ends_it_without_done)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: $TAG OK enough idling\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle(h, 5000, NULL, NULL), IMAP4_OK);
	cr_assert_eq(imap4_last_error(h)->code, 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* explore82: the server ended the IDLE on its own ("tag OK") while our
 * DONE was on its way; it read the DONE as a command tagged "DONE" and
 * answered "DONE BAD". From here that is the ordinary DONE and completion,
 * then the stray answer, which failed the next command ("tagged response
 * for an unknown tag") and so the session. It is dropped, once. */
Test(idle, a_done_that_crossed_the_servers_end_is_no_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK IDLE done\n"
	                               "S: DONE BAD unknown command\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n"
	                               "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK IDLE done\n"
	                               "SLEEP 50\n"
	                               "S: DONE BAD unknown command\n"
	                               "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK IDLE done\n"
	                               "SLEEP 50\n"
	                               "S: DONE BAD unknown command\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	/* A wake ends the IDLE right after its "+": DONE goes out. */
	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	/* Also when it comes while the next IDLE starts, or during a wait
	 * with no command in flight. */
	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK);
	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	cr_assert_eq(imap4_wait(h, 300, NULL, NULL), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	api_done(&t);
}

/* Only a DONE sent can be answered: a tagged "DONE" otherwise, or a
 * second one, is the protocol error it always was. */
Test(idle, a_tagged_done_without_a_crossing_is_an_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "C: DONE\n"
	                               "S: $TAG OK IDLE done\n"
	                               "S: DONE BAD unknown command\n"
	                               "S: DONE BAD unknown command\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_wake(h), 0);
	cr_assert_eq(imap4_idle(h, 60000, NULL, NULL), IMAP4_OK);
	cr_assert_eq(imap4_noop(h), IMAP4_EPROTO);
	api_done(&t);

	h = api_open(&t,
	             IDLE_HELLO "C: $TAG NOOP\n"
	                        "S: DONE BAD unknown command\n",
	             NULL);
	cr_assert_eq(imap4_noop(h), IMAP4_EPROTO);
	api_done(&t);
}

/* explore75: a burst whose IDLE the server ended with NO returned
 * IMAP4_OK, and its last error was cleared after cb: the NO vanished.
 * The batch, news that came before the NO, still goes to cb. */
Test(idle, burst_ended_by_no_hands_its_batch_and_returns_no)
{
	struct api_test t;
	struct batch b = {0};
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: * 3 EXISTS\n"
	                               "S: $TAG NO [UNAVAILABLE] refused\n"
	                               "C: $TAG NOOP\n"
	                               "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_idle_burst(h, 5000, 1000, on_burst, &b), IMAP4_NO);
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(b.n, 1);
	cr_assert_str_eq(b.first, "EXISTS");
	assert_idle_no(h, "UNAVAILABLE");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* A call cb makes is refused and sets the last error; after cb, the last
 * error is the IDLE's NO again, here one that came after DONE. */
struct noop_inside {
	imap4 *h;
	int calls;
};

static int burst_calling_noop(void *payload, const imap4_resp *const *resps,
                              size_t n)
{
	struct noop_inside *in = payload;

	in->calls++;
	cr_assert_eq(imap4_noop(in->h), IMAP4_ESTATE);
	return 0;
}

Test(idle, burst_ended_by_no_keeps_the_no_past_cb)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: * 3 EXISTS\n"
	                               "C: DONE\n"
	                               "S: $TAG NO [UNAVAILABLE] late\n",
	                    NULL);

	struct noop_inside in = {.h = h};

	cr_assert_eq(imap4_idle_burst(h, 5000, 50, burst_calling_noop, &in),
	             IMAP4_NO);
	cr_assert_eq(in.calls, 1);
	assert_idle_no(h, "UNAVAILABLE");
	api_done(&t);
}

Test(idle, burst_refused_before_the_continuation_returns_no)
{
	struct api_test t;
	struct batch b = {0};
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: $TAG NO [UNAVAILABLE] not now\n",
	                    NULL);

	cr_assert_eq(imap4_idle_burst(h, 5000, 50, on_burst, &b), IMAP4_NO);
	cr_assert_eq(b.calls, 0);
	assert_idle_no(h, "UNAVAILABLE");
	api_done(&t);
}

Test(idle, bye_while_idle_aborts)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    IDLE_HELLO "C: $TAG IDLE\n"
	                               "S: + idling\n"
	                               "S: * BYE autologout\n"
	                               "CLOSE\n",
	                    NULL);

	cr_assert_eq(imap4_idle(h, 5000, NULL, NULL), IMAP4_EBYE);
	cr_assert_eq(imap4_idle(h, 5000, NULL, NULL), IMAP4_ECLOSED);
	api_done(&t);
}

Test(idle, wait_after_notify)
{
	struct api_test t;
	struct got g = {.stop_at = 2};
	imap4 *h = api_open(
	        &t,
	        IDLE_HELLO
	        "C: $TAG NOTIFY SET (personal (MessageNew MessageExpunge))\n"
	        "S: $TAG OK\n"
	        "SLEEP 50\n"
	        "S: * STATUS Archive (MESSAGES 3 UIDNEXT 9)\n"
	        "S: * LIST () \"/\" NewBox\n"
	        "S: * 9 EXISTS\n"
	        "SLEEP 500\n",
	        NULL);

	cr_assert_eq(imap4_notify(h, "(personal (MessageNew MessageExpunge))"),
	             IMAP4_OK);
	cr_assert_eq(imap4_wait(h, 5000, on_untagged, &g), IMAP4_OK);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.names[0], "STATUS");
	cr_assert_str_eq(g.names[1], "LIST");
	/* nothing more within 100 ms: a timeout is not an error */
	g.stop_at = 0;
	cr_assert_eq(imap4_wait(h, 100, on_untagged, &g), IMAP4_OK);
	cr_assert_eq(g.n, 3);
	api_done(&t);
}
