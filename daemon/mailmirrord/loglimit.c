/* loglimit.c - the first few lines of one kind per pass; see loglimit.h. */
#include "mailmirrord/loglimit.h"

#include "mailmirrord/log.h"

int loglimit_level(struct loglimit *ll, int level)
{
	/* Debug lines are the detail behind the count: never limited. */
	if (level >= LOG_LEVEL_DEBUG)
		return level;
	if (ll->shown < LOGLIMIT_SHOWN) {
		ll->shown++;
		return level;
	}
	ll->more++;
	return LOG_LEVEL_DEBUG;
}

uint64_t loglimit_end(struct loglimit *ll)
{
	uint64_t more = ll->more;
	*ll = (struct loglimit){0};
	return more;
}
