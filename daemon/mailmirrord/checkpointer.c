/* checkpointer.c - the cache's checkpoints in a thread; see
 * checkpointer.h. */
#include "mailmirrord/checkpointer.h"
#include "mailmirrord/threadname.h"

#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirrord/deadline.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* to the thread: a poke, or quit */
	pthread_cond_t done; /* to writers: the pass under way ended */
	char *path;
	struct cache_file_id id; /* the file db must be (bound) */
	bool bound;
	sqlite3 *db;         /* opened by the thread, at its first pass */
	bool in_pass;        /* the thread's pass is under way */
	int writers_waiting; /* writers whose own checkpoint comes first */
	int pages;   /* WAL size of the last poke not yet answered, or 0 */
	int largest; /* largest WAL a poke told of */
	/* The last commit that left the WAL with frames since the last idle
	 * pass (mono_ms), or 0 */
	int64_t last_commit;
	/* The last commit since the last pass began (mono_ms), or 0 */
	int64_t uncopied;
	int idle_ms;  /* quiet time before an idle pass */
	int quiet_ms; /* before a quiet pass */
	unsigned long passes, idle_passes;
	bool quit;
};

/* The connection, at the first pass: a resync that writes a few pages
 * never needs it, and each connection costs a --once run a millisecond
 * (the files, their locks, the schema read). Without it the writers
 * still checkpoint themselves past CHECKPOINT_WRITER_PAGES. Opened by
 * the path, it is bound to the file the daemon opened: a file moved over
 * the cache meanwhile would be checkpointed with our WAL, its own data
 * lost. Refused, it is looked for again at the next pass, until the
 * daemon, which watches the path, stops this thread. */
static int open_db(struct checkpointer *ck)
{
	char err[256];
	if (ck->db)
		return 0;
	if ((ck->bound ? cache_open_rw_bound(&ck->db, NULL, ck->path, &ck->id,
	                                     err, sizeof(err))
	               : cache_open_rw(&ck->db, ck->path, err, sizeof(err))) <
	    0) {
		log_debug(NULL, NULL, "checkpoint: %s", err);
		return -1;
	}
	/* It never writes; its passes are made when poked. */
	sqlite3_wal_autocheckpoint(ck->db, 0);
	/* An idle pass waits this long for a reader to let go of the WAL,
	 * and while it waits a writer waits too (SQLITE_CHECKPOINT_RESTART):
	 * under a writer's own busy timeout by far. A busy one is tried
	 * again after the next quiet time. */
	sqlite3_busy_timeout(ck->db, 250);
	return 0;
}

/* The absolute CLOCK_MONOTONIC time of ms from the monotonic epoch. */
static struct timespec mono_at(int64_t ms)
{
	return (struct timespec){.tv_sec = ms / 1000,
	                         .tv_nsec = (long)(ms % 1000) * 1000000};
}

enum pass { PASS_POKED, PASS_QUIET, PASS_IDLE };

/* Waits for a poke, or for the quiet or idle time after the last commit;
 * which pass is due. Called locked. */
static enum pass wait_poke(struct checkpointer *ck)
{
	while (!ck->quit &&
	       (ck->pages < CHECKPOINT_PAGES || ck->writers_waiting > 0)) {
		if ((!ck->last_commit && !ck->uncopied) ||
		    ck->writers_waiting > 0) {
			pthread_cond_wait(&ck->cond, &ck->lock);
			continue;
		}
		int64_t now = mono_ms();
		int64_t idle = ck->last_commit ? ck->last_commit + ck->idle_ms
		                               : INT64_MAX;
		int64_t quiet =
		        ck->uncopied ? ck->uncopied + ck->quiet_ms : INT64_MAX;
		if (now >= idle)
			return PASS_IDLE;
		if (now >= quiet)
			return PASS_QUIET;
		struct timespec at = mono_at(idle < quiet ? idle : quiet);
		pthread_cond_timedwait(&ck->cond, &ck->lock, &at);
	}
	return PASS_POKED;
}

static void *run(void *arg)
{
	struct checkpointer *ck = arg;

	threadname_set("checkpoint", NULL);
	pthread_mutex_lock(&ck->lock);
	for (;;) {
		enum pass pass = wait_poke(ck);
		bool idle = pass == PASS_IDLE;
		if (ck->quit)
			break;
		if (idle)
			ck->last_commit = 0;
		else if (pass == PASS_POKED)
			ck->pages = 0;
		/* Any pass copies the commits so far. */
		ck->uncopied = 0;
		ck->in_pass = true;
		pthread_mutex_unlock(&ck->lock);
		/* BUSY: a writer's own checkpoint is under way, or a reader
		 * holds the WAL; anything else (a full disk) the next poke
		 * tries again, and the writers' commits report what
		 * matters. Idle, the whole WAL goes into the database and the
		 * file is emptied: else a cache made anew stayed in a WAL of
		 * 16 MB beside a database of 16 KB, for as long as no sync
		 * wrote 1,000 pages more (explore51). Quiet, a short
		 * time after a commit, what is left goes into the database
		 * too: a daemon that commits a few pages every poll never
		 * waits out the idle time, and its WAL reached 1,000 pages
		 * before the first pass copied it, a file of 16 to 31 MB
		 * for as long as it ran (explore78). Wholly copied, the WAL
		 * is started over by the next commit, which cuts the file
		 * back to CACHE_WAL_LIMIT. */
		int rc = SQLITE_CANTOPEN;
		if (open_db(ck) == 0) {
			rc = sqlite3_wal_checkpoint_v2(
			        ck->db, NULL,
			        idle ? SQLITE_CHECKPOINT_TRUNCATE
			             : SQLITE_CHECKPOINT_PASSIVE,
			        NULL, NULL);
			if (rc != SQLITE_OK && rc != SQLITE_BUSY)
				log_debug(NULL, NULL, "checkpoint: %s",
				          sqlite3_errmsg(ck->db));
		}
		pthread_mutex_lock(&ck->lock);
		if (idle && rc != SQLITE_OK && !ck->last_commit)
			ck->last_commit = mono_ms();
		ck->in_pass = false;
		ck->passes++;
		ck->idle_passes += idle && rc == SQLITE_OK;
		pthread_cond_broadcast(&ck->done);
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

/* The writer's own checkpoint, after the thread's pass under way: a
 * passive checkpoint does not wait, and with passes following each other
 * every one of the writer's found the thread's in its way. */
static void checkpoint_in_writer(struct checkpointer *ck, sqlite3 *db,
                                 const char *schema)
{
	pthread_mutex_lock(&ck->lock);
	ck->writers_waiting++;
	while (ck->in_pass)
		pthread_cond_wait(&ck->done, &ck->lock);
	pthread_mutex_unlock(&ck->lock);
	/* Its result is not the commit's: the commit is done. */
	sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL,
	                          NULL);
	pthread_mutex_lock(&ck->lock);
	ck->writers_waiting--;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
}

/* The WAL hook of a writer's connection: called after each commit, in the
 * writer's thread, with the WAL's size in pages. */
static int on_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
	struct checkpointer *ck = arg;
	pthread_mutex_lock(&ck->lock);
	if (pages > 0 && !ck->last_commit)
		pthread_cond_signal(&ck->cond); /* for its idle pass */
	if (pages > 0 && !ck->uncopied)
		pthread_cond_signal(&ck->cond); /* for its quiet pass */
	if (pages > 0)
		ck->last_commit = ck->uncopied = mono_ms();
	if (pages < CHECKPOINT_PAGES) {
		pthread_mutex_unlock(&ck->lock);
		return SQLITE_OK;
	}
	if (pages > ck->largest)
		ck->largest = pages;
	bool mine = pages >= CHECKPOINT_WRITER_PAGES;
	if (!mine) {
		if (pages > ck->pages)
			ck->pages = pages;
		pthread_cond_signal(&ck->cond);
	}
	pthread_mutex_unlock(&ck->lock);
	if (mine)
		checkpoint_in_writer(ck, db, schema);
	return SQLITE_OK;
}

int checkpointer_start(struct checkpointer **out, const char *path,
                       const struct cache_file_id *id, char *err, size_t errlen)
{
	*out = NULL;
	struct checkpointer *ck = calloc(1, sizeof(*ck));
	if (!ck) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(ck->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(ck);
		return -1;
	}
	if ((ck->bound = id != NULL))
		ck->id = *id;
	ck->idle_ms = CHECKPOINT_IDLE_MS;
	ck->quiet_ms = CHECKPOINT_QUIET_MS;
	pthread_mutex_init(&ck->lock, NULL);
	cond_init_monotonic(&ck->cond);
	pthread_cond_init(&ck->done, NULL);
	int rc = pthread_create(&ck->thread, NULL, run, ck);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the checkpointer: %s",
		         strerror(rc));
		pthread_cond_destroy(&ck->done);
		pthread_cond_destroy(&ck->cond);
		pthread_mutex_destroy(&ck->lock);
		free(ck->path);
		free(ck);
		return -1;
	}
	*out = ck;
	return 0;
}

void checkpointer_attach(struct checkpointer *ck, sqlite3 *db)
{
	if (ck && db)
		sqlite3_wal_hook(db, on_commit, ck);
}

unsigned long checkpointer_passes(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->lock);
	unsigned long n = ck->passes;
	pthread_mutex_unlock(&ck->lock);
	return n;
}

unsigned long checkpointer_idle_passes(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->lock);
	unsigned long n = ck->idle_passes;
	pthread_mutex_unlock(&ck->lock);
	return n;
}

void checkpointer_set_idle(struct checkpointer *ck, int ms)
{
	pthread_mutex_lock(&ck->lock);
	ck->idle_ms = ms;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
}

void checkpointer_set_quiet(struct checkpointer *ck, int ms)
{
	pthread_mutex_lock(&ck->lock);
	ck->quiet_ms = ms;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
}

int checkpointer_largest_wal(struct checkpointer *ck)
{
	pthread_mutex_lock(&ck->lock);
	int n = ck->largest;
	pthread_mutex_unlock(&ck->lock);
	return n;
}

void checkpointer_stop(struct checkpointer **ckp)
{
	struct checkpointer *ck = ckp ? *ckp : NULL;
	if (!ck)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->quit = true;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	pthread_cond_destroy(&ck->done);
	pthread_cond_destroy(&ck->cond);
	pthread_mutex_destroy(&ck->lock);
	sqlite3_close(ck->db);
	free(ck->path);
	free(ck);
	*ckp = NULL;
}
