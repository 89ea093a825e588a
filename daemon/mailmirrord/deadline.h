/* deadline.h - the absolute time ms milliseconds from now on a clock, for
 * pthread_cond_timedwait (which wants an absolute struct timespec on the
 * clock its condition variable was made with). */
#ifndef MAILMIRRORD_DEADLINE_H
#define MAILMIRRORD_DEADLINE_H

#include <time.h>

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
