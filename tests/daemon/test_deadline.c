/* test_deadline.c - condition variables wait on the monotonic clock. */
#include "mailmirrord/deadline.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

static long long mono_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A deadline on the monotonic clock is some hours or days after 1970:
 * a condition variable on the wall clock takes it as long past and
 * returns at once, which is what a clock set back does to a wait the
 * other way round. */
Test(deadline, a_condition_waits_its_time_on_the_monotonic_clock)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c;
	cr_assert_eq(cond_init_monotonic(&c), 0);
	struct timespec until;
	deadline_after(&until, CLOCK_MONOTONIC, 150);
	long long t0 = mono_now_ms();
	pthread_mutex_lock(&m);
	int e;
	do
		e = pthread_cond_timedwait(&c, &m, &until);
	while (e == 0); /* a spurious wakeup */
	pthread_mutex_unlock(&m);
	long long took = mono_now_ms() - t0;
	cr_assert_eq(e, ETIMEDOUT);
	cr_assert_geq(took, 140, "the wait ended after %lld ms", took);
	pthread_cond_destroy(&c);
}

Test(deadline, a_deadline_carries_milliseconds_into_seconds)
{
	struct timespec before, at;
	clock_gettime(CLOCK_MONOTONIC, &before);
	deadline_after(&at, CLOCK_MONOTONIC, 1999);
	cr_assert_lt(at.tv_nsec, 1000000000L);
	long long d = ((long long)at.tv_sec - before.tv_sec) * 1000 +
	              (at.tv_nsec - before.tv_nsec) / 1000000;
	cr_assert(d >= 1999 && d < 2100, "%lld ms ahead", d);
}
