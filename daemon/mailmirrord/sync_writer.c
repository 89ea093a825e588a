/* sync_writer.c - commit one batch while the next is fetched.
 *
 * An initial sync alternates between waiting for the server (a batch of
 * UID FETCH) and waiting for SQLite (its transaction); each idles while the
 * other works. The writer thread takes a converted batch and commits it
 * while the sync thread already reads the next one, so the sync lasts about
 * as long as the slower of the two instead of their sum.
 *
 * One batch is in the writer at a time: memory stays at two batches, and
 * a batch's UIDNEXT is committed only after every batch before it (they
 * are handed over in order). While the writer lives, every transaction of
 * the sync engine goes through sync_pending_commit, which holds
 * c->store_lock for its duration: the sync thread's in-band writes (a
 * VANISHED, an early flush) never interleave with a batch.
 */
#include "mailmirrord/sync_internal.h"
#include "mailmirrord/threadname.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sync_writer {
	struct sync_ctx *c;
	const struct sync_box *b;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool busy; /* job holds a batch not yet committed */
	bool quit;
	int result;         /* of the last batch, SYNC_* */
	struct pending job; /* the batch being committed, then spare */
	struct store_mailbox_state st;
	uint32_t done, total; /* progress after the batch */
};

static void *run(void *arg)
{
	struct sync_writer *w = arg;
	/* The account's name after "w:": its batch writer. */
	threadname_set("w:", w->c->conf->name);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->busy)
			break;
		pthread_mutex_unlock(&w->lock);

		struct sync_ctx *c = w->c;
		int rc = sync_pending_commit(c, w->b, &w->job, &w->st);
		if (rc == SYNC_OK) {
			sync_run_hooks(c, w->b, &w->job);
			if (c->progress) {
				pthread_mutex_lock(&c->store_lock);
				c->progress(c->payload, w->b->name, w->done,
				            w->total);
				pthread_mutex_unlock(&c->store_lock);
			}
		}
		sync_pending_drop(&w->job);

		pthread_mutex_lock(&w->lock);
		w->result = rc;
		w->busy = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int sync_writer_start(struct sync_writer **out, struct sync_ctx *c,
                      const struct sync_box *b)
{
	struct sync_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->c = c;
	w->b = b;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -1;
	}
	c->writer_active = true;
	*out = w;
	return 0;
}

int sync_writer_wait(struct sync_writer *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->busy)
		pthread_cond_wait(&w->cond, &w->lock);
	int rc = w->result;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int sync_writer_put(struct sync_writer *w, struct pending *p,
                    const struct store_mailbox_state *st, uint32_t done,
                    uint32_t total)
{
	int rc = sync_writer_wait(w);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&w->lock);
	/* Swap: the writer takes the batch, p gets the writer's emptied
	 * buffers back for the next one. */
	struct pending spare = w->job;
	w->job = *p;
	*p = spare;
	w->st = *st;
	w->done = done;
	w->total = total;
	w->busy = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return SYNC_OK;
}

int sync_writer_stop(struct sync_writer **wp)
{
	struct sync_writer *w = *wp;
	if (!w)
		return SYNC_OK;
	int rc = sync_writer_wait(w);
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->c->writer_active = false;
	sync_pending_free(&w->job);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
	return rc;
}
