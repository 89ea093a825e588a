/* fdlimit.c - file descriptors enough for every account; see fdlimit.h. */
#include "mailmirrord/fdlimit.h"

#include <sys/resource.h>

uint64_t fdlimit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX
	                                    : (uint64_t)rl.rlim_cur;
}

uint64_t fdlimit_needed(size_t accounts)
{
	return FDLIMIT_BASE + (uint64_t)accounts * FDLIMIT_PER_ACCOUNT;
}
