/* cachewatch.h - whether the cache's path still names the files the
 * daemon writes.
 *
 * The daemon holds its cache open; a person may remove or replace the
 * file (rm, a restored copy), or its WAL alone. Writes then go to a file
 * no reader finds. The supervisor looks at the paths at every tick.
 */
#ifndef MAILMIRRORD_CACHEWATCH_H
#define MAILMIRRORD_CACHEWATCH_H

#include "cache/paths.h"

#include <stdbool.h>

struct cachewatch {
	struct cache_file_id file, wal;
	bool file_known, wal_known;
};

enum cache_change {
	CACHE_SAME,
	CACHE_REPLACED, /* the path names another file, or none */
	CACHE_WAL_LOST, /* the file is ours, the WAL at its path is not */
};

/* Notes file, the identity of the cache the daemon opened at path (the
 * file it locked), and that of the WAL at path now (just after the
 * daemon opened it). */
void cachewatch_take(struct cachewatch *w, const char *path,
                     const struct cache_file_id *file);

/* What changed since cachewatch_take. A path that cannot be looked at
 * (EACCES, EIO) is taken as unchanged. */
enum cache_change cachewatch_check(const struct cachewatch *w,
                                   const char *path);

#endif
