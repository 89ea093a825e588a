/* indexer.c - the full-text indexer's thread; see indexer.h. */
#include "mailmirrord/indexer.h"
#include "mailmirrord/threadname.h"

#include "cache/paths.h"

#include "mailmirrord/deadline.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Messages per transaction, and bytes (by message size; an envelope
 * alone counts 512): a sync writer that wants the lock waits for one
 * chunk, about 250 ms of tokenising at most. Fewer, larger chunks make
 * fewer FTS5 segments to merge: chunks of 1,024 envelopes took three
 * times as long to index 100,000 as chunks of 16,384. */
#define CHUNK       16384
#define CHUNK_BYTES (8u << 20)
/* When nothing else will write (indexer_alone): larger chunks cost less
 * in all (the index of 100,000 envelopes in 0.52 s instead of 0.65 s, of
 * 20,000 bodies in 3.2 s instead of 3.5 s), and one still ends within
 * about 0.7 s for a stop. */
#define CHUNK_ALONE       131072
#define CHUNK_ALONE_BYTES (32u << 20)
/* A look without a poke now and then: a poke lost to a crash of nothing
 * (there is none) costs at most this much delay. */
#define RESCAN_MS 60000
/* After an error (a full disk, a lock held past the busy timeout), the
 * next try; a poke tries sooner. */
#define RETRY_MS 5000
/* How long syncs hold the indexer back (indexer_hold): a first sync of
 * 100,000 messages with bodies ends well within it, and past it one that
 * crawls over a slow link (explore47: for hours) no longer keeps every
 * other account's new mail out of searches. */
#define HOLD_PATIENCE_MS 60000
/* Rows gone from the index (indexer_forgot) past which it is merged: the
 * markers they left took as much room as the text (explore38: 164 MB of
 * index for nothing after bodies went from "full" to "none" twice). */
#define TIDY_ROWS 1000
/* Index pages written per step of the merge, a transaction of some tens
 * of milliseconds that a writer waits out. */
#define TIDY_PAGES 512

struct indexer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *path;          /* the cache, opened by the thread */
	struct cache_file_id id; /* the file path named at the start */
	bool bound;              /* id is known */
	struct checkpointer *ck;
	struct store *store;
	bool poked;  /* text stored since the last look */
	bool idle;   /* the last look found nothing waiting */
	bool failed; /* the last look failed */
	bool warned; /* that failure is logged; the retries only at debug */
	bool quit;
	atomic_bool alone; /* nothing else writes: larger chunks */
	int holds;       /* syncs under way: the indexer waits for them */
	int64_t held_since; /* when holds last went from none to one */
	int patience_ms;    /* HOLD_PATIENCE_MS, or indexer_set_patience's */
	uint64_t forgotten; /* rows gone from the index since its last merge */
	uint64_t pokes;  /* pokes so far */
	uint64_t answer; /* pokes seen by the start of the last look ended */
	atomic_uint_least64_t waiting;
};

enum look { LOOK_DONE, LOOK_PAUSED, LOOK_FAILED };

/* Whether a sync holds the indexer back now; under ix->lock. */
static bool held_locked(const struct indexer *ix)
{
	return ix->holds > 0 && mono_ms() - ix->held_since < ix->patience_ms;
}

/* Indexes until nothing waits, a sync holds the indexer back, or quit. */
static enum look index_waiting(struct indexer *ix)
{
	for (;;) {
		size_t n = 0;
		bool alone = atomic_load(&ix->alone);
		int rc = store_index_chunk(ix->store,
		                           alone ? CHUNK_ALONE : CHUNK,
		                           alone ? CHUNK_ALONE_BYTES : CHUNK_BYTES,
		                           &n);
		if (rc < 0) {
			/* A full disk fails every retry the same way: one
			 * warning, not one every RETRY_MS. */
			if (!ix->warned)
				log_warning(NULL, NULL, "full-text index: %s",
				            store_errmsg(ix->store));
			else
				log_debug(NULL, NULL, "full-text index: %s",
				          store_errmsg(ix->store));
			ix->warned = true;
			return LOOK_FAILED;
		}
		if (ix->warned && n > 0) {
			log_notice(NULL, NULL,
			           "full-text index: working again");
			ix->warned = false;
		}
		uint64_t left = 0;
		if (store_index_waiting(&left, ix->store) == STORE_OK)
			atomic_store(&ix->waiting, left);
		pthread_mutex_lock(&ix->lock);
		bool stop = ix->quit, held = held_locked(ix);
		pthread_mutex_unlock(&ix->lock);
		if (n == 0 || stop)
			return LOOK_DONE;
		if (held)
			return LOOK_PAUSED;
	}
}

/* Merges the index while nothing holds it back, once enough rows left
 * it: LOOK_DONE when merged (or quit), LOOK_PAUSED when a sync came. */
static enum look tidy_index(struct indexer *ix)
{
	pthread_mutex_lock(&ix->lock);
	uint64_t due = ix->forgotten;
	pthread_mutex_unlock(&ix->lock);
	if (due < TIDY_ROWS)
		return LOOK_DONE;
	for (unsigned steps = 1;; steps++) {
		bool more = false;
		if (store_index_merge(ix->store, TIDY_PAGES, &more) < 0) {
			log_warning(NULL, NULL, "full-text index: %s",
			            store_errmsg(ix->store));
			return LOOK_FAILED;
		}
		pthread_mutex_lock(&ix->lock);
		bool stop = ix->quit, held = held_locked(ix);
		if (!more)
			ix->forgotten -= due;
		pthread_mutex_unlock(&ix->lock);
		if (!more) {
			log_info(NULL, NULL,
			         "full-text index: merged (%" PRIu64
			         " rows had left it), in %u step%s",
			         due, steps, steps == 1 ? "" : "s");
			return LOOK_DONE;
		}
		if (stop)
			return LOOK_DONE;
		if (held)
			return LOOK_PAUSED;
	}
}

/* Opens the thread's connection; on failure every wait answers -1 from
 * then on, and the thread ends. */
static bool open_store(struct indexer *ix)
{
	char err[512];
	if (store_open_bound(&ix->store, ix->path, ix->bound ? &ix->id : NULL,
	                     err, sizeof(err)) == 0) {
		store_checkpoint_with(ix->store, ix->ck);
		return true;
	}
	log_warning(NULL, NULL,
	            "full-text indexer: %s; new mail waits for the next "
	            "start to become searchable",
	            err);
	pthread_mutex_lock(&ix->lock);
	ix->failed = true;
	ix->answer = UINT64_MAX;
	pthread_cond_broadcast(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
	return false;
}

static void *run(void *arg)
{
	struct indexer *ix = arg;
	threadname_set("indexer", NULL);
	/* The connection is opened here, not by indexer_start: its schema
	 * read was a twentieth of a --once resync's time in the thread
	 * that starts the accounts. */
	if (!open_store(ix))
		return NULL;
	/* Linux gives each thread its own nice value: searching may lag,
	 * the mirror may not. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19) < 0)
		log_debug(NULL, NULL, "indexer: setpriority: %s",
		          strerror(errno));
	pthread_mutex_lock(&ix->lock);
	while (!ix->quit) {
		bool held = held_locked(ix);
		if (!ix->poked || held) {
			struct timespec ts;
			int wait_ms = ix->failed ? RETRY_MS : RESCAN_MS;
			/* a hold's patience ends: what waits is indexed then */
			int64_t left =
			        ix->patience_ms - (mono_ms() - ix->held_since);
			if (held && ix->poked && wait_ms > left)
				wait_ms = (int)left + 1;
			deadline_after(&ts, CLOCK_MONOTONIC, wait_ms);
			if (pthread_cond_timedwait(&ix->cond, &ix->lock, &ts) ==
			            ETIMEDOUT &&
			    !held_locked(ix))
				ix->poked = true;
			continue;
		}
		ix->poked = false;
		ix->idle = false;
		uint64_t seen = ix->pokes;
		pthread_mutex_unlock(&ix->lock);
		enum look got = index_waiting(ix);
		if (got == LOOK_DONE)
			got = tidy_index(ix);
		pthread_mutex_lock(&ix->lock);
		if (got == LOOK_PAUSED) {
			ix->poked = true; /* resumes on release */
			continue;
		}
		ix->failed = got == LOOK_FAILED;
		ix->idle = got == LOOK_DONE && !ix->poked;
		ix->answer = seen;
		pthread_cond_broadcast(&ix->cond);
	}
	pthread_mutex_unlock(&ix->lock);
	return NULL;
}

int indexer_start(struct indexer **out, const char *path,
                  const struct cache_file_id *id, struct checkpointer *ck,
                  char *err, size_t errlen)
{
	*out = NULL;
	struct indexer *ix = calloc(1, sizeof(*ix));
	if (!ix) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(ix->path = strdup(path))) {
		free(ix);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ix->ck = ck;
	if ((ix->bound = id != NULL))
		ix->id = *id;
	ix->patience_ms = HOLD_PATIENCE_MS;
	cond_init_monotonic(&ix->cond);
	pthread_mutex_init(&ix->lock, NULL);
	ix->poked = true; /* text left by the last run */
	ix->pokes = 1;
	atomic_init(&ix->waiting, 0);
	atomic_init(&ix->alone, false);
	int rc = pthread_create(&ix->thread, NULL, run, ix);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the indexer: %s",
		         strerror(rc));
		pthread_cond_destroy(&ix->cond);
		pthread_mutex_destroy(&ix->lock);
		free(ix->path);
		free(ix);
		return -1;
	}
	*out = ix;
	return 0;
}

/* A look is due; under the lock. */
static void poke_locked(struct indexer *ix)
{
	ix->poked = true;
	ix->idle = false;
	ix->pokes++;
	pthread_cond_broadcast(&ix->cond);
}

void indexer_poke(struct indexer *ix)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->lock);
	poke_locked(ix);
	pthread_mutex_unlock(&ix->lock);
}

int indexer_wait(struct indexer *ix, int timeout_ms)
{
	if (!ix)
		return -1;
	struct timespec until;
	deadline_after(&until, CLOCK_MONOTONIC,
	               timeout_ms > 0 ? timeout_ms : 0);
	pthread_mutex_lock(&ix->lock);
	/* Only a look that started after the last poke answers: an earlier
	 * one may have missed what that poke announced. */
	int rc = 0;
	for (;;) {
		if (ix->answer >= ix->pokes && (ix->idle || ix->failed)) {
			rc = ix->idle ? 1 : -1;
			break;
		}
		if (timeout_ms < 0) {
			pthread_cond_wait(&ix->cond, &ix->lock);
		} else if (pthread_cond_timedwait(&ix->cond, &ix->lock,
		                                  &until) == ETIMEDOUT) {
			break;
		}
	}
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

void indexer_forgot(struct indexer *ix, uint64_t rows)
{
	if (!ix || !rows)
		return;
	pthread_mutex_lock(&ix->lock);
	ix->forgotten += rows;
	if (ix->forgotten >= TIDY_ROWS)
		poke_locked(ix);
	pthread_mutex_unlock(&ix->lock);
}

void indexer_hold(struct indexer *ix)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->lock);
	if (ix->holds++ == 0)
		ix->held_since = mono_ms();
	pthread_mutex_unlock(&ix->lock);
}

void indexer_set_patience(struct indexer *ix, int ms)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->lock);
	ix->patience_ms = ms;
	pthread_cond_broadcast(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
}

void indexer_release(struct indexer *ix)
{
	if (!ix)
		return;
	pthread_mutex_lock(&ix->lock);
	if (ix->holds > 0)
		ix->holds--;
	pthread_cond_broadcast(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
}

void indexer_alone(struct indexer *ix)
{
	if (ix)
		atomic_store(&ix->alone, true);
}

uint64_t indexer_waiting(struct indexer *ix)
{
	return ix ? atomic_load(&ix->waiting) : 0;
}

void indexer_stop(struct indexer **ixp)
{
	struct indexer *ix = ixp ? *ixp : NULL;
	if (!ix)
		return;
	pthread_mutex_lock(&ix->lock);
	ix->quit = true;
	pthread_cond_broadcast(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
	pthread_join(ix->thread, NULL);
	pthread_cond_destroy(&ix->cond);
	pthread_mutex_destroy(&ix->lock);
	store_close(&ix->store);
	free(ix->path);
	free(ix);
	*ixp = NULL;
}
