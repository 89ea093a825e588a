/* monotime.h - milliseconds on the monotonic clock, for timeouts and
 * intervals that a change of the wall clock must not stretch or cut. */
#ifndef MAILMIRRORD_MONOTIME_H
#define MAILMIRRORD_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
