/* relist.c - see relist.h. */
#include "mailmirrord/relist.h"

int64_t relist_at(int64_t news_at, int64_t listed_at)
{
	int64_t settled = news_at + RELIST_SETTLE_MS;
	int64_t spaced = listed_at + RELIST_GAP_MS;
	return settled > spaced ? settled : spaced;
}

bool relist_in_new_session(bool notify, int64_t live_at, int64_t now)
{
	return notify && now - live_at >= NOTIFY_SESSION_MS;
}
