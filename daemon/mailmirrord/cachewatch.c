/* cachewatch.c - whether the cache's path still names our files; see
 * cachewatch.h. */
#include "mailmirrord/cachewatch.h"

#include <limits.h>
#include <stdio.h>

static bool wal_path(char *out, size_t len, const char *path)
{
	return snprintf(out, len, "%s-wal", path) < (int)len;
}

void cachewatch_take(struct cachewatch *w, const char *path,
                     const struct cache_file_id *file)
{
	char wal[PATH_MAX];
	w->file = *file;
	w->file_known = true;
	w->wal_known = wal_path(wal, sizeof(wal), path) &&
	               cache_file_id(wal, &w->wal) == 0;
}

enum cache_change cachewatch_check(const struct cachewatch *w, const char *path)
{
	char wal[PATH_MAX];
	if (w->file_known && !cache_file_is(path, &w->file))
		return CACHE_REPLACED;
	/* While any of its connections is open SQLite never removes the
	 * WAL: one gone was removed by hand (explore59: "rm cache.db-wal"),
	 * and the daemon went on writing to the deleted file, where no
	 * reader found it: every reader failed ("disk I/O error") at every
	 * change until a restart. */
	if (w->wal_known && wal_path(wal, sizeof(wal), path) &&
	    !cache_file_is(wal, &w->wal))
		return CACHE_WAL_LOST;
	return CACHE_SAME;
}
