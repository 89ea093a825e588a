/* test_cancel.c - imap4_set_cancel: another thread cuts a handle whose
 * server keeps a command unanswered, over a socket and over a command's
 * pipes, which no shutdown(2) reaches (a daemon stopping during a
 * tunnel's login waited out the whole timeout).
 */
#include "api_test.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define HELLO "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"

struct cutter {
	pthread_t thread;
	int fd;
};

static void *cut_later(void *arg)
{
	const struct cutter *c = arg;
	const struct timespec nap = {0, 200 * 1000000L};
	uint64_t one = 1;

	nanosleep(&nap, NULL);
	cr_assert_eq(write(c->fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	return NULL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A NOOP the server never answers, cut 0.2 s in by another thread. */
static void assert_cut(imap4 *h)
{
	struct cutter c = {.fd = eventfd(0, EFD_CLOEXEC)};
	struct timespec t0;

	cr_assert_geq(c.fd, 0);
	cr_assert_eq(imap4_set_cancel(h, c.fd), 0, "%s",
	             imap4_last_error(h)->message);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(pthread_create(&c.thread, NULL, cut_later, &c), 0);
	int rc = imap4_noop(h);
	double s = seconds_since(&t0);
	pthread_join(c.thread, NULL);
	cr_assert_eq(rc, IMAP4_ECANCELED, "%d %s", rc,
	             imap4_last_error(h)->message);
	cr_assert_lt(s, 2.0, "the cut took %.2f s", s);
	/* aborted: nothing more is tried on it */
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	close(c.fd);
}

Test(cancel, cuts_a_command_left_unanswered)
{
	struct api_test t;
	imap4 *h =
	        api_open(&t, HELLO "C: $TAG NOOP\nTIMEOUT 4000\nEOF\n", NULL);

	assert_cut(h);
	imap4_free(&t.h);
	fake_server_finish(t.fs, NULL, 0);
}

/* IMAP over a command: its stdout is a pipe, which shutdown(2) cannot
 * end. */
Test(cancel, cuts_a_command_transport)
{
	struct imap4_opts o;
	imap4 *h = NULL;
	struct timespec t0;

	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	cr_assert_eq(imap4_open_stream(&h,
	                               "printf '* PREAUTH [CAPABILITY "
	                               "IMAP4rev1] hi\\r\\n'; exec sleep 30",
	                               &o),
	             0, "%s", imap4_open_error());
	assert_cut(h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	imap4_free(&h);
	cr_assert_lt(seconds_since(&t0), 2.0, "its child outlived the cut");
}

Test(cancel, refusals)
{
	struct api_test t;
	imap4 *h = api_open(&t, HELLO "C: $TAG LOGOUT\nS: * BYE\nS: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_set_cancel(NULL, 0), IMAP4_EINVAL);
	cr_assert_eq(imap4_set_cancel(h, -1), 0, "watching nothing");
	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_eq(imap4_set_cancel(h, 0), IMAP4_ECLOSED);
	api_done(&t);
}
