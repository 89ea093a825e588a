/* test_hostile_core.c - library fixes found by driving mailmirrord against
 * hostile servers (tests/integration/test_daemon_hostile.c): each test here
 * fails without its fix.
 */
#include "api_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOGGED_IN                                                              \
	GREETING "C~ $TAG LOGIN \n"                                            \
	         "S: $TAG OK [CAPABILITY IMAP4rev1] in\n"

static imap4 *open_logged_in(struct api_test *t, const char *rest,
                             const struct imap4_opts *o)
{
	char script[16384];
	snprintf(script, sizeof(script), "%s%s", LOGGED_IN, rest);
	imap4 *h = api_open(t, script, o);
	cr_assert_eq(imap4_login(h, "u", "p"), IMAP4_OK);
	return h;
}

/* A consumer slower than the server, as the daemon is (it converts and
 * stores what it reads): bytes are always waiting. */
static int slow_consumer(void *payload, const imap4_resp *resp)
{
	(void)payload;
	(void)resp;
	usleep(50);
	return 0;
}

/* A server that floods untagged responses faster than they are read must
 * still meet the command's total deadline (RELIABILITY rule 5): the wait
 * returned at once while bytes were ready and the deadline was never
 * looked at. */
Test(hostile_core, flood_meets_the_total_deadline, .timeout = 20)
{
	struct api_test t;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 500;
	o.connect_timeout_ms = 5000;
	imap4 *h = open_logged_in(&t,
	                          "C~ $TAG NOOP\n"
	                          "S* 4000000000 * OK still busy\n",
	                          &o);
	imap4_set_unsolicited(h, slow_consumer, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = imap4_noop(h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
	           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_eq(rc, IMAP4_ETIMEOUT, "%d %s", rc,
	             imap4_last_error(h)->message);
	cr_assert_lt(s, 3.0, "the flood held the command %.1f s", s);
	api_done(&t);
}

/* A NUL inside a literal mailbox name: read as a C string it would be
 * another mailbox ("ho_n"), so the entry is refused. */
Test(hostile_core, list_name_with_nul_is_refused)
{
	struct api_test t;
	imap4 *h =
	        open_logged_in(&t,
	                       "C: $TAG LIST \"\" *\n"
	                       "S+ * LIST () \"/\" {7}\\r\\nho_n\\0xy\\r\\n\n"
	                       "S: * LIST () \"/\" ho_n\n"
	                       "S: $TAG OK listed\n",
	                       NULL);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	imap4_list_entry e;
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 0)), IMAP4_EPROTO);
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 1)), 0);
	cr_assert_str_eq(e.name, "ho_n");
	api_done(&t);
}

/* max_untagged bounds what the kept data really costs, not only its raw
 * bytes: 150 short LIST lines are 16 kB as counted before but far more as
 * parsed copies, and a 20 kB limit must stop them. The rest is read and
 * dropped: the connection goes on. */
Test(hostile_core, kept_data_counts_its_parsed_copy)
{
	struct api_test t;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.max_untagged = 20000;
	char rest[32768] = "C: $TAG LIST \"\" *\n";
	for (int i = 0; i < 150; i++)
		strcat(rest,
		       "S: * LIST (\\\\HasNoChildren) \"/\" a/b/c/mbox\n");
	strcat(rest, "S: $TAG OK listed\n"
	             "C: $TAG NOOP\n"
	             "S: $TAG OK\n");
	imap4 *h = open_logged_in(&t, rest, &o);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_ELIMIT);
	/* The message names the limit and what it counts. */
	const char *why = imap4_last_error(h)->message;
	cr_assert(why && strstr(why, "max_untagged (20000 bytes of memory"),
	          "%s", why ? why : "(none)");
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* A server that answers LOGOUT with BYE and keeps the connection open,
 * without the tagged OK: the farewell is said, and LOGOUT ends after a
 * moment (BYE_GRACE_MS) instead of the whole command timeout, which every
 * --once run of the daemon waited out. */
Test(hostile_core, logout_ends_soon_after_bye, .timeout = 20)
{
	struct api_test t;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	imap4 *h = open_logged_in(&t,
	                          "C~ $TAG LOGOUT$\n"
	                          "S: * BYE see you\n"
	                          "SLEEP 4500\n",
	                          &o);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
	           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert(s >= 1.5 && s < 3.5, "LOGOUT took %.2f s", s);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_LOGOUT);
	api_done(&t);
}

/* "* SEARCH 1 1 1 ..." of n numbers, then the tagged OK, as one S+ step:
 * the client may drop the connection as soon as it has read the line. */
static char *search_step(size_t n)
{
	const char head[] = "S+ * SEARCH", tail[] = "\\r\\n$TAG OK\\r\\n\n";
	char *s = malloc(sizeof(head) + 2 * n + sizeof(tail));
	size_t o = sizeof(head) - 1;

	cr_assert_not_null(s);
	memcpy(s, head, o);
	for (size_t i = 0; i < n; i++) {
		s[o++] = ' ';
		s[o++] = '1';
	}
	memcpy(s + o, tail, sizeof(tail));
	return s;
}

/* What keeping a response costs was checked against max_untagged by its
 * raw length, before the copy; a SEARCH of short numbers costs some 32
 * times that as a copy (a node per number), and a line of four million
 * took half a gigabyte under a 256 MiB limit. The copy itself must stop
 * at the limit, and a response that fits is still kept. */
Test(hostile_core, kept_copy_stops_at_max_untagged)
{
	const size_t max = (size_t)1 << 20;
	struct api_test t;
	struct imap4_opts o;
	char *fits = search_step(4000), *huge = search_step(200000);
	size_t len = strlen(fits) + strlen(huge) + 256;
	char *script = malloc(len);

	cr_assert_not_null(script);
	snprintf(script, len,
	         "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	         "C: $TAG SELECT INBOX\n"
	         "S: $TAG OK\n"
	         "C: $TAG SEARCH ALL\n"
	         "%s"
	         "C: $TAG SEARCH ALL\n"
	         "%s"
	         "C: $TAG NOOP\n"
	         "S: $TAG OK\n",
	         fits, huge);
	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	o.limits.max_untagged = max;
	imap4 *h = api_open(&t, script, &o);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_search(h, NULL, "ALL"), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_at(h, 0)->nargs, 4000);
	cr_assert_leq(h->res.arena.used, max);

	/* 400 kB raw passes the estimate; its copy would take 13 MB. The
	 * completion that follows has an allowance of its own (imap4.h:
	 * twice max_untagged for a result). */
	cr_assert_eq(imap4_search(h, NULL, "ALL"), IMAP4_ELIMIT);
	cr_assert_leq(h->res.arena.used, 2 * max, "the copy took %zu bytes",
	              h->res.arena.used);
	const char *why = imap4_last_error(h)->message;
	cr_assert(strstr(why, "max_untagged (1048576 bytes of memory"), "%s",
	          why);
	/* read whole and dropped: the connection is in step */
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_eq(imap4_data_count(h), 0);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
	free(script);
	free(fits);
	free(huge);
}

/* A tagged completion is copied too (imap4_completion), and its response
 * code may carry any number of arguments: the copy is bounded as well. */
Test(hostile_core, completion_copy_is_bounded)
{
	const size_t max = (size_t)1 << 20, n = 100000;
	struct api_test t;
	struct imap4_opts o;
	const char head[] = "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK [X-MANY",
	           tail[] = "] done\n";
	char *script = malloc(sizeof(head) + 2 * n + sizeof(tail));
	size_t off = sizeof(head) - 1;

	cr_assert_not_null(script);
	memcpy(script, head, off);
	for (size_t i = 0; i < n; i++) {
		script[off++] = ' ';
		script[off++] = '7';
	}
	memcpy(script + off, tail, sizeof(tail));
	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	o.limits.max_untagged = max;
	imap4 *h = api_open(&t, script, &o);

	cr_assert_eq(imap4_noop(h), IMAP4_ELIMIT);
	cr_assert_leq(h->res.arena.used, max, "the copy took %zu bytes",
	              h->res.arena.used);
	cr_assert(strstr(imap4_last_error(h)->message,
	                 "tagged completion would take more than "
	                 "max_untagged"),
	          "%s", imap4_last_error(h)->message);
	api_done(&t);
	free(script);
}
