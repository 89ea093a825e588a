/* compact.c - gives the cache's free space back; see compact.h. */
#include "mailmirrord/compact.h"

#include "mailmirrord/cachelock.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/room.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DUE_BYTES (16 << 20)
/* Pages moved per transaction: about 4 MB at the cache's 16 KB pages, a
 * write lock of some tens of milliseconds for the workers to wait out. */
#define STEP_PAGES 256

static double mb(int64_t pages, const struct store_space *sp)
{
	return (double)pages * (double)sp->page_size / (1024.0 * 1024.0);
}

bool compact_due(const struct store_space *sp)
{
	return sp->free_pages * sp->page_size >= DUE_BYTES &&
	       sp->free_pages >= sp->pages / 16;
}

int compact_some(struct store *s, int budget_ms, bool *told)
{
	struct store_space sp;
	if (store_space(s, &sp) < 0) {
		log_warning(NULL, NULL, "cache: %s", store_errmsg(s));
		return -1;
	}
	if (!compact_due(&sp))
		return 0;
	if (!sp.incremental) {
		if (!*told)
			log_notice(NULL, NULL,
			           "the cache holds %.0f MB of free space that "
			           "it cannot give back by itself (it was made "
			           "by an older mailmirrord): stop the daemon "
			           "and run mailmirrord --compact",
			           mb(sp.free_pages, &sp));
		*told = true;
		return 0;
	}
	int64_t start = mono_ms(), before = sp.pages;
	int rc = 0;
	do {
		int r = store_release_pages(s, STEP_PAGES);
		if (r == STORE_EBUSY) {
			/* A worker's long write (a batch of bodies) held the
			 * lock past the busy timeout: nothing is wrong, and
			 * the next check gives the rest back (explore36). */
			log_info(NULL, NULL,
			         "cache: %s; the free space is "
			         "given back later",
			         store_errmsg(s));
			break;
		}
		if (r < 0 || store_space(s, &sp) < 0) {
			log_warning(NULL, NULL, "cache: %s", store_errmsg(s));
			rc = -1;
			break;
		}
	} while (compact_due(&sp) && mono_ms() - start < budget_ms);
	if (sp.pages < before)
		log_info(NULL, NULL, "cache: %.1f MB of free space given back",
		         mb(before - sp.pages, &sp));
	return rc < 0 ? -1 : compact_due(&sp);
}

int compact_cache(const char *path)
{
	char err[512];
	struct store *s = NULL;
	int lock_fd = -1, rc = -1;
	struct store_space before, after;
	struct stat st;
	/* store_open would make a new cache of a missing one. */
	if (stat(path, &st) < 0) {
		log_err(NULL, NULL, "no cache at %s: %s", path,
		        strerror(errno));
		return -1;
	}
	/* VACUUM builds its copy in SQLite's temporary directory. */
	store_temp_beside(path);
	int locked = -1;
	if (store_open(&s, path, err, sizeof(err)) < 0 ||
	    (locked = cachelock_take(&lock_fd, path, err, sizeof(err))) < 0) {
		/* explore69: the daemon's advice, a cache of its own, is
		 * not this command's */
		if (locked == -2)
			snprintf(err, sizeof(err),
			         "in use by a running mailmirrord: stop it "
			         "first (systemctl stop mailmirrord)");
		log_err(NULL, NULL, "cache %s: %s", path, err);
	} else if (store_space(s, &before) < 0 || store_vacuum(s) < 0) {
		log_err(NULL, NULL, "cache %s: %s", path, store_errmsg(s));
		/* A VACUUM that failed (a full disk) changed nothing, but
		 * may have grown the WAL: emptied, it gives the room back. */
		store_wal_truncate(s);
	} else if (store_space(s, &after) < 0) {
		log_err(NULL, NULL, "cache %s: %s", path, store_errmsg(s));
	} else {
		/* The rewrite is done; a reader's snapshot may keep its WAL
		 * from being emptied now, which the daemon does later. */
		if (store_wal_truncate(s) < 0)
			log_notice(NULL, NULL,
			           "cache %s: %s; the daemon empties the WAL "
			           "when it next runs",
			           path, store_errmsg(s));
		printf("%s: %.1f MB (%.1f MB of it free) rewritten as %.1f "
		       "MB\n",
		       path, mb(before.pages, &before),
		       mb(before.free_pages, &before), mb(after.pages, &after));
		rc = 0;
	}
	store_close(&s);
	cachelock_release(&lock_fd);
	return rc;
}
