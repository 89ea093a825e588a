/* sync_write.c - converted responses into short cache transactions. */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* ---- errors */

int sync_fail_imap(struct sync_ctx *c, const char *what, int rc)
{
	/* The handle's message already carries the server's text; it is
	 * server data, so it is made printable before anyone logs it. */
	const struct imap4_error_info *e = imap4_last_error(c->h);
	const char *msg = e && e->message && *e->message ? e->message
	                                                 : imap4_strerror(rc);
	/* The library names its command itself most of the time: once
	 * is enough ("SELECT: SELECT: malformed FLAGS"). */
	log_failure(c->err, sizeof(c->err), what, msg);
	const char *said = e ? e->server_text : NULL;
	c->said_deleted = rc == IMAP4_NO && sync_says_deleted(said);
	if (rc == IMAP4_EBYE && sync_bye_asks_relogin(said))
		c->bye_relogin = true;
	if (rc == IMAP4_NO || imap4_error_class(rc) == IMAP4_CLASS_ERROR)
		return SYNC_EMAILBOX;
	return SYNC_ECONN;
}

bool sync_connection_lost(int irc)
{
	return irc == IMAP4_EIO || irc == IMAP4_EEOF || irc == IMAP4_EBYE;
}

int sync_fail_store(struct sync_ctx *c, const char *what)
{
	snprintf(c->err, sizeof(c->err), "cache: %s: %s", what,
	         store_errmsg(c->store));
	c->store_full = store_full(c->store);
	store_rollback(c->store);
	return SYNC_ESTORE;
}

bool sync_stopping(const struct sync_ctx *c)
{
	return c->stop && atomic_load(c->stop);
}

void sync_beat(struct sync_ctx *c)
{
	if (c->heartbeat)
		c->heartbeat(c->payload, (int)c->conf->timeout * 1000);
}

/* ---- pending writes */

void sync_pending_drop(struct pending *p)
{
	for (size_t i = 0; i < p->nrows; i++)
		conv_clear(&p->rows[i]);
	for (size_t i = 0; i < p->nflags; i++)
		free(p->flags[i].flags);
	p->nrows = p->nflags = p->nbodies = 0;
	p->gone.n = 0;
	p->gone.total = 0;
	p->bytes = 0;
}

void sync_pending_free(struct pending *p)
{
	sync_pending_drop(p);
	free(p->rows);
	free(p->flags);
	free(p->gone.v);
	imap4_arena_free(&p->scratch);
	memset(p, 0, sizeof(*p));
}

static size_t row_bytes(const struct conv_msg *m)
{
	return m->bytes + m->body.bytes + 256;
}

/* Room for one more row in p. */
static int room_for_row(struct pending *p)
{
	if (p->nrows < p->caprows)
		return 0;
	size_t cap = p->caprows ? p->caprows * 2 : 256;
	struct conv_msg *v = realloc(p->rows, cap * sizeof(*v));
	if (!v)
		return -1;
	p->rows = v;
	p->caprows = cap;
	return 0;
}

int sync_pending_row(struct pending *p, const imap4_msg *msg)
{
	if (!p->scratch && !(p->scratch = imap4_arena_new(0)))
		return -1;
	/* The same message twice in one batch (a server that repeats itself,
	 * with another envelope or not): the last word wins. Two rows of one
	 * UID in one write were an insert and then an update of a row not
	 * indexed yet, which the full-text index took for a corrupt file.
	 * Rows come in ascending UIDs, so only one that does not looks. */
	if (p->nrows && msg->uid <= p->rows[p->nrows - 1].row.uid)
		for (size_t i = p->nrows; i-- > 0;) {
			if (p->rows[i].row.uid != msg->uid)
				continue;
			struct conv_msg fresh;
			if (conv_msg(&fresh, msg, p->scratch, p->body_cap) < 0)
				return -1;
			p->bytes -= row_bytes(&p->rows[i]);
			conv_clear(&p->rows[i]);
			p->rows[i] = fresh;
			p->bytes += row_bytes(&fresh);
			return (int)fresh.flags_dropped;
		}
	if (room_for_row(p) < 0)
		return -1;
	if (conv_msg(&p->rows[p->nrows], msg, p->scratch, p->body_cap) < 0)
		return -1;
	p->bytes += row_bytes(&p->rows[p->nrows]);
	return (int)p->rows[p->nrows++].flags_dropped;
}

bool sync_pending_fill(struct pending *p, const imap4_msg *msg)
{
	for (size_t i = p->nrows; i-- > 0;) {
		struct store_msg *r = &p->rows[i].row;
		if (r->uid != msg->uid)
			continue;
		if (r->size < 0 && (msg->have & IMAP4_HAVE_SIZE))
			r->size = (int64_t)msg->size;
		if (r->internaldate == STORE_NO_TIME &&
		    (msg->have & IMAP4_HAVE_INTERNALDATE))
			r->internaldate = (int64_t)msg->internaldate;
		if (r->modseq == 0 && (msg->have & IMAP4_HAVE_MODSEQ))
			r->modseq = msg->modseq;
		return true;
	}
	return false;
}

int sync_pending_bare_row(struct pending *p, uint32_t uid, const char *flags,
                          int64_t size, int64_t internaldate, uint64_t modseq)
{
	if (room_for_row(p) < 0 || conv_bare(&p->rows[p->nrows], uid, flags,
	                                     size, internaldate, modseq) < 0)
		return -1;
	p->bytes += row_bytes(&p->rows[p->nrows++]);
	return 0;
}

size_t sync_pending_forget_headerless(struct pending *p)
{
	size_t kept = 0;
	for (size_t i = 0; i < p->nrows; i++) {
		if (!p->rows[i].headerless) {
			p->rows[kept++] = p->rows[i];
			continue;
		}
		p->bytes -= row_bytes(&p->rows[i]);
		conv_clear(&p->rows[i]);
	}
	size_t gone = p->nrows - kept;
	p->nrows = kept;
	return gone;
}

int sync_pending_flags(struct pending *p, const imap4_msg *msg)
{
	if (p->nflags == p->capflags) {
		size_t cap = p->capflags ? p->capflags * 2 : 256;
		struct flag_change *v = realloc(p->flags, cap * sizeof(*v));
		if (!v)
			return -1;
		p->flags = v;
		p->capflags = cap;
	}
	unsigned dropped = 0;
	char *f = conv_flags(msg, &dropped);
	if (!f)
		return -1;
	p->flags[p->nflags++] = (struct flag_change){
	        .uid = msg->uid,
	        .modseq = (msg->have & IMAP4_HAVE_MODSEQ) ? msg->modseq : 0,
	        .flags = f,
	};
	p->bytes += strlen(f) + 32;
	return (int)dropped;
}

/* Test switch (isync's interrupt-after-step-N loop): with
 * MAILMIRROR_CRASH_AFTER_COMMITS=N in the environment the process dies
 * right after its Nth sync commit, as a kill -9 would, so a test can check
 * that a restart converges from every intermediate state. */
static void crash_point(void)
{
	static atomic_long left = -1;
	long n = atomic_load(&left);
	if (n == -1) {
		const char *e = getenv("MAILMIRROR_CRASH_AFTER_COMMITS");
		n = e && *e ? strtol(e, NULL, 10) : 0;
		atomic_store(&left, n > 0 ? n : 0);
		n = atomic_load(&left);
	}
	if (n > 0 && atomic_fetch_sub(&left, 1) == 1)
		_exit(99);
}

/* The bodies that came with the rows, after the rows (they refer to
 * them), in the same transaction. */
static int put_bodies(struct sync_ctx *c, const struct sync_box *b,
                      struct pending *p)
{
	p->nbodies = 0;
	for (size_t i = 0; i < p->nrows; i++)
		p->nbodies += p->rows[i].body.b.uid != 0;
	if (p->nbodies == 0)
		return SYNC_OK;
	struct store_body *v = malloc(p->nbodies * sizeof(*v));
	if (!v) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		store_rollback(c->store);
		return SYNC_ESTORE;
	}
	size_t n = 0;
	for (size_t i = 0; i < p->nrows; i++)
		if (p->rows[i].body.b.uid)
			v[n++] = p->rows[i].body.b;
	int rc = store_body_put_many(c->store, b->id, v, n);
	free(v);
	return rc < 0 ? sync_fail_store(c, "store bodies") : SYNC_OK;
}

/* Writes what is pending, and st (when not NULL) with it, in one
 * transaction; the rows stay in p (pending_write drops them). */
static int commit_locked(struct sync_ctx *c, const struct sync_box *b,
                         struct pending *p,
                         const struct store_mailbox_state *st)
{
	struct store_added added = {0};
	if (store_begin(c->store) < 0)
		return sync_fail_store(c, "begin");
	if (p->want_reset) {
		if (store_mailbox_reset(c->store, b->id, p->reset_uidvalidity) <
		    0)
			return sync_fail_store(c, "reset mailbox");
	}
	/* A mailbox that had mod-sequences and has none now: its rows'
	 * MODSEQs go with its HIGHESTMODSEQ, as on a server without
	 * CONDSTORE. They number states the server no longer vouches for;
	 * the numbers it may give again start anew. */
	if (st && p->forget_modseqs &&
	    store_message_forget_modseqs(c->store, b->id) < 0)
		return sync_fail_store(c, "forget MODSEQs");
	for (size_t i = 0; i < p->gone.n; i++)
		if (store_message_delete_range(NULL, c->store, b->id,
		                               p->gone.v[i].lo,
		                               p->gone.v[i].hi) < 0)
			return sync_fail_store(c, "delete messages");
	if (p->nrows) {
		const struct store_msg **rows =
		        malloc(p->nrows * sizeof(*rows));
		if (!rows) {
			snprintf(c->err, sizeof(c->err), "out of memory");
			store_rollback(c->store);
			return SYNC_ESTORE;
		}
		for (size_t i = 0; i < p->nrows; i++)
			rows[i] = &p->rows[i].row;
		int rc = store_message_upsert_many(c->store, b->id, rows,
		                                   p->nrows, &added);
		free(rows);
		if (rc < 0)
			return sync_fail_store(c, "store messages");
		if ((rc = put_bodies(c, b, p)) < 0)
			return rc;
	}
	int64_t unseen_moved = 0;
	p->stale = p->unknown = 0;
	for (size_t i = 0; i < p->nflags; i++) {
		int delta = 0;
		int rc = store_message_set_flags(
		        c->store, b->id, p->flags[i].uid, p->flags[i].flags,
		        p->flags[i].modseq, p->listed, &delta);
		/* RFC 7162 3.1: a message's MODSEQ only grows. One below the
		 * row's is an older state than the cached one, or a server
		 * that went back (restored from a backup) or lies: as when
		 * HIGHESTMODSEQ goes back (plan.c), neither the change nor
		 * the marks are trusted, and only a listing of every flag
		 * is (see c->nstale). */
		if (rc == STORE_ESTALE) {
			if (c->nstale++ == 0)
				snprintf(c->stale_why, sizeof(c->stale_why),
				         "%s", store_errmsg(c->store));
			p->stale++;
			continue;
		}
		/* A flag change for a message we do not hold yet is news of
		 * a message above our UIDNEXT; the next fetch brings it. */
		if (rc < 0 && rc != STORE_ENOTFOUND)
			return sync_fail_store(c, "store flags");
		p->unknown += rc == STORE_ENOTFOUND;
		unseen_moved += delta;
	}
	/* Counting is a scan of the mailbox's rows (6 ms at 100,000, three
	 * times in a resync): the counts are refreshed only when this write
	 * changed rows or flags. Every write that does counts, so the counts
	 * of a write that changes nothing are still right. A write that only
	 * added rows (a batch of a first sync) or changed flags (a resync)
	 * adds what it did to the counts: a count per batch made a first
	 * sync quadratic, and was most of a resync's own time. Rows deleted,
	 * or cached rows written again, are counted. */
	bool rows = p->want_reset || p->nrows || p->gone.n;
	bool count = rows || p->nflags;
	bool add = count && !p->want_reset && !p->gone.n &&
	           added.rows == p->nrows;
	bool forget = c->nstale > 0;
	if (st || add || forget) {
		struct store_mailbox_state w =
		        st ? *st : (struct store_mailbox_state){0};
		if (!count || add || !st) {
			/* The counts the last count made, plus what this
			 * write added; not those st carried. */
			struct store_mailbox_state now;
			if (store_mailbox_get_state(&now, c->store, b->id) < 0)
				return sync_fail_store(c, "read mailbox state");
			if (!st)
				w = now;
			int64_t exists = (int64_t)now.exists +
			                 (add ? added.rows : 0);
			int64_t unseen = (int64_t)now.unseen +
			                 (add ? added.unseen + unseen_moved : 0);
			/* Counts that cannot be (written by hand, or by a
			 * bug) are made again instead of carried on. */
			if (unseen < 0 || unseen > exists || exists > UINT32_MAX)
				add = false;
			else {
				w.exists = (uint32_t)exists;
				w.unseen = (uint32_t)unseen;
			}
		}
		if (forget)
			w.highestmodseq = 0;
		if (store_mailbox_set_state(c->store, b->id, &w) < 0)
			return sync_fail_store(c, "record mailbox state");
	}
	if (count && !add && store_mailbox_recount(c->store, b->id, !rows) < 0)
		return sync_fail_store(c, "count messages");
	if (store_commit(c->store) < 0)
		return sync_fail_store(c, "commit");
	crash_point();
	c->stored += added.rows + (p->nrows ? p->nbodies : 0);
	p->want_reset = false;
	if (st)
		p->forget_modseqs = false;
	if (p->nbodies || p->nrows)
		sync_text_stored(c);
	return SYNC_OK;
}

/* Forgets the news written last (sync_news_write): any other write may
 * have changed its row since. Under store_lock. */
static void forget_news_locked(struct sync_ctx *c)
{
	free(c->news_flags);
	c->news_flags = NULL;
}

int sync_pending_commit(struct sync_ctx *c, const struct sync_box *b,
                        struct pending *p, const struct store_mailbox_state *st)
{
	pthread_mutex_lock(&c->store_lock);
	forget_news_locked(c);
	int rc = commit_locked(c, b, p, st);
	pthread_mutex_unlock(&c->store_lock);
	return rc;
}

int sync_news_write(struct sync_ctx *c, const struct sync_box *b,
                    struct pending *p)
{
	pthread_mutex_lock(&c->store_lock);
	const struct flag_change *f = p->nflags == 1 ? &p->flags[0] : NULL;
	bool one = f && !p->nrows && !p->gone.n && !p->want_reset;
	if (one && c->news_flags && c->news_box == b->id &&
	    c->news_uid == f->uid && c->news_modseq == f->modseq &&
	    strcmp(c->news_flags, f->flags) == 0) {
		pthread_mutex_unlock(&c->store_lock);
		sync_pending_drop(p);
		return SYNC_OK;
	}
	forget_news_locked(c);
	int rc = commit_locked(c, b, p, NULL);
	/* A change refused or of no cached row is not what the row holds */
	if (rc == SYNC_OK && one && !p->stale && !p->unknown &&
	    (c->news_flags = strdup(f->flags)) != NULL) {
		c->news_box = b->id;
		c->news_uid = f->uid;
		c->news_modseq = f->modseq;
	}
	pthread_mutex_unlock(&c->store_lock);
	if (rc == SYNC_OK)
		sync_pending_drop(p);
	return rc;
}

int sync_pending_write(struct sync_ctx *c, const struct sync_box *b,
                       struct pending *p, const struct store_mailbox_state *st)
{
	int rc = sync_pending_commit(c, b, p, st);
	if (rc == SYNC_OK)
		sync_pending_drop(p);
	return rc;
}
