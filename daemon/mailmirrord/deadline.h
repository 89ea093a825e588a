/* deadline.h - condition variables timed on the monotonic clock, and the
 * absolute time ms milliseconds from now on a clock, for
 * pthread_cond_timedwait (which wants an absolute struct timespec on the
 * clock its condition variable was made with). */
#ifndef MAILMIRRORD_DEADLINE_H
#define MAILMIRRORD_DEADLINE_H

#include <pthread.h>
#include <time.h>

/* pthread_cond_init on CLOCK_MONOTONIC: a wait on the wall clock lasts
 * as much longer as the clock is set back (NTP, a VM restored), and a
 * worker's back-off or poll wait with it. Its deadlines come from
 * deadline_after(..., CLOCK_MONOTONIC, ...). 0 or an errno. */
static inline int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	int e = pthread_condattr_init(&ca);
	if (e)
		return e;
	e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (e == 0)
		e = pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
	return e;
}

/* *ts = now on clock + ms (ms >= 0). */
static inline void deadline_after(struct timespec *ts, clockid_t clock, int ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

#endif
