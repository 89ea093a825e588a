/* account.c - an account's worker thread; see account.h. */
#include "cache/paths.h"
#include "mailmirrord/account.h"
#include "mailmirrord/threadname.h"

#include "mailmirrord/conn.h"
#include "mailmirrord/conngate.h"
#include "mailmirrord/deadline.h"
#include "mailmirrord/failstreak.h"
#include "mailmirrord/indexer.h"
#include "mailmirrord/log.h"
#include "mailmirrord/secret_echo.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/prune.h"
#include "mailmirrord/relist.h"
#include "mailmirrord/room.h"
#include "mailmirrord/store.h"
#include "mailmirrord/sync.h"
#include "util/buf.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A poke finds the worker idle on a connection that may have died
 * silently (suspend, network change): the server must answer the check
 * (IDLE's DONE, or the NOOP) this soon, whatever the command timeout
 * (120 s by default) would allow. */
#define CHECK_MS 15000
/* Syncs of news that came during a sync, before the next wait at most. */
#define QUICK_RESYNCS 8
/* A turn of a mailbox's bodies (sync_ctx.backfill_turn_ms): half the
 * command timeout, BACKFILL_TURN_MS at most; and the wait between two
 * turns, in which news of the watched mailbox comes. */
#define BACKFILL_TURN_MS 10000
#define OWED_PAUSE_MS    1000
/* A poll sends no STATUS to the mailboxes NOTIFY pushes (sync_poll), but
 * looks at them all this often all the same: Dovecot 2.3 drops news now
 * and then (a rename or a delete by another client untold, news of a
 * mailbox not selected late once its list index log rotated; README,
 * "Live changes to the mailbox tree"), and a STATUS of each costs less
 * than the hour that the session's renewal (NOTIFY_SESSION_MS) would
 * leave such a miss in the cache. */
#define PUSHED_POLL_MS (30 * 60 * 1000)

static int64_t backfill_turn_ms(const struct conf_account *c)
{
	int64_t half = (int64_t)c->timeout * 500;
	return half < BACKFILL_TURN_MS ? half : BACKFILL_TURN_MS;
}

struct account {
	const struct conf_account *conf;
	char *cache_path;
	struct cache_file_id cache_id;
	bool cache_bound; /* cache_id is known */
	bool once;
	bool restart;            /* ACCT_RESTART */
	int done_fd;             /* eventfd of the supervisor, or -1 */
	int cancel_fd;           /* eventfd a stop makes readable for good: it
	                            cancels a connect, which has no handle to
	                            wake yet (opts.cancel_fd) */
	int cut_fd;              /* eventfd a forced stop makes readable for
	                            good: it cuts the handle's every wait, the
	                            login's included (imap4_set_cancel) */
	struct indexer *ix;      /* borrowed, may be NULL */
	struct checkpointer *ck; /* borrowed, may be NULL */
	struct conngate *gate;   /* borrowed, may be NULL */
	pthread_t thread;

	/* The worker's cache connection, made by the supervisor's thread
	 * while the worker connects (prepare_store), taken by the worker
	 * once connected (take_store): opening it and its first write (a new
	 * WAL's header, synced) took some milliseconds before each connect. */
	struct store *prep_store;
	int64_t prep_id;
	bool prep_moved; /* the cache's rows came from another server */
	bool prep_done;
	int prep_rc; /* the STORE_E* code of a failed open, or 0 */
	char prep_err[400]; /* room for "cache PATH: " in a sync_ctx.err */

	pthread_mutex_t lock; /* guards h, idle_fd, check_by, check_cut,
	                         status, done, prep_*, and the cond */
	pthread_cond_t cond;  /* stop requests, end of the thread */
	imap4 *h;             /* the connection, for imap4_wake() */
	int idle_fd;          /* h's socket while watch() waits on it, or -1 */
	int64_t check_by;     /* deadline of a poke's check, or 0 */
	bool check_cut;       /* the check found no answer and cut the
	                         connection: the failure is ours to name */
	struct acct_status status; /* wait_s aside */
	int64_t status_until; /* the end of status's wait (set_status_wait),
	                         or 0 */
	bool done;
	bool ok;

	atomic_bool stop;
	atomic_bool poke;            /* check the connection now */
	atomic_bool poke_poll;       /* and poll (acct_poke, not
	                                acct_poke_link) */
	atomic_bool reloaded;        /* the configuration was read again */
	_Atomic int64_t alive_until; /* CLOCK_MONOTONIC ms */
};

static void promise(struct account *a, int ms)
{
	/* Slack for the work between waits (SQLite writes, parsing). */
	atomic_store(&a->alive_until, mono_ms() + ms + 10000);
}

/* The worker is in state, and no more than that (no mailbox, no wait). */
static void set_status(struct account *a, enum acct_state state)
{
	pthread_mutex_lock(&a->lock);
	a->status = (struct acct_status){.state = state};
	a->status_until = 0;
	pthread_mutex_unlock(&a->lock);
}

/* A state with a wait of ms, whose seconds left are counted down as the
 * status is read ("error, retry in 27 s"): the interval alone stayed on
 * systemd's STATUS for the whole wait. */
static void set_status_wait(struct account *a, enum acct_state state,
                            unsigned ms)
{
	pthread_mutex_lock(&a->lock);
	a->status = (struct acct_status){.state = state};
	a->status_until = mono_ms() + ms;
	pthread_mutex_unlock(&a->lock);
}

/* Server text, made printable and cut to fit (a name of any length must
 * leave the STATUS line room for the rest). Under a->lock. */
static void status_box(struct account *a, const char *mailbox)
{
	log_sanitize(a->status.mailbox, sizeof(a->status.mailbox), mailbox,
	             strlen(mailbox));
}

/* The worker syncs mailbox, outside a pass (a look of the live phase). */
static void set_status_box(struct account *a, const char *mailbox)
{
	pthread_mutex_lock(&a->lock);
	a->status = (struct acct_status){.state = ACCT_SYNCING};
	a->status_until = 0;
	status_box(a, mailbox);
	pthread_mutex_unlock(&a->lock);
}

/* ---- callbacks from the sync engine */

struct worker {
	struct account *a;
	struct store *store;
	struct sync_ctx sync;
	int64_t account_id;
	unsigned failures;
	/* How back_off() logs a failure that recurs. */
	struct failstreak streak;
	int64_t attempt_at; /* when the last connection attempt began */
	size_t owed_at;     /* where next_owed looks first */
	bool admin_needed;  /* the last failure was one only the admin can
	                       mend: the credentials, the certificate, the
	                       secret's command */
	bool link_failed;   /* the last failure was the link's: a network
	                       change may mend it (plan_poke_wait_ms) */
	bool disk_full;     /* the last one was the cache's disk full: no
	                       retry before it has room (room.h) */
	bool room_told;     /* the wait for room was logged */
	char cache_dir[PATH_MAX];
	bool once_recorded;  /* a --once run's end is in the cache */
	bool bodies_trimmed; /* sync_trim_bodies has run once */
	bool server_moved;   /* the cache's rows came from another server,
	                        to drop once this one takes the login */
	bool idle_told;      /* tell_unmatched_idle has run */
	/* The watched box idled in for the first one, which did not open,
	 * as told (tell_stand_in; malloc'ed), or NULL */
	char *stand_in;
	int64_t overflow_at; /* of the last NOTIFICATIONOVERFLOW, or 0 */
	bool live;           /* the session went live */
	int64_t live_at;     /* when it did */
	bool idle_bye;       /* the server said BYE while we waited on it */
	bool idle_refused;   /* the server answered an IDLE of this session
	                        with NO, or ended IDLE_EARLY_MAX in a row at
	                        once: NOOP polls for the rest of it */
	unsigned idle_early; /* IDLEs in a row the server ended at once,
	                        with no news (note_idle_end) */
	bool idle_heard;     /* the IDLE under way brought news, or on_idle
	                        ended it */
	bool relogged;       /* a --once run reconnected for a BYE that
	                        asked it to (sync_ctx.bye_relogin) */
	int64_t calm_bye_at; /* of the last BYE taken calmly, or 0 */
	unsigned early_byes; /* sessions in a row that the server ended with
	                        BYE within HEALTHY_MS of going live */
	bool unused_ended;   /* the server ended the connection while it only
	                        waited for the next poll (check_unused) */
	bool store_tried;    /* took prepare_store's connection, or its
	                        failure: a retry opens the cache itself */
	bool store_lost;     /* the cache cannot be opened, and no retry
	                        would change that (store_gone_for_good) */
	bool renew;          /* live() ends the session for a fresh one */
	bool renew_quietly;  /* as planned, not for a fault: info level */
	int64_t renewed_at;  /* of the last such renewal, or 0 */
};

/* A server that ends a live session with BYE while we wait on it
 * (Dovecot when the watched mailbox is deleted or it shuts down; servers
 * that end long sessions) has done nothing wrong: a notice and a
 * reconnect after BYE_RECONNECT_MS, not the warning of a failure. So
 * is a BYE in a sync that asks for a new login (sync_ctx.bye_relogin),
 * once in BYE_CALM_MS: a server that says it at every sync fails as any. */
#define BYE_CALM_MS      60000
#define BYE_RECONNECT_MS 1000
/* A session that went live (it synced) and then ended by the server's BYE
 * while we waited on it failed in nothing, however often it happens: no
 * back-off, no "still failing". But a server that does it every few
 * seconds (a faulty one, or one limiting its rate) must not have us log
 * in again every second: each session ended by BYE within HEALTHY_MS of
 * going live doubles the wait before the next, from BYE_RECONNECT_MS up
 * to BYE_FLOOR_MAX_MS; one that lasts ends the series. */
#define BYE_FLOOR_MAX_MS 60000

/* How long a session must stay live to end a series of failures: the
 * back-off starts again from a second, and the next failure is news. A
 * server that ends every session soon after it goes live (a BYE, news it
 * sends malformed) was logged into again every two seconds, for ever. */
#define HEALTHY_MS 60000
/* A session whose LIST leaves out mailboxes that are there (Dovecot 2.3
 * after renames under NOTIFY, for the rest of that session) misses the
 * renames and creations its lists would show: a new session reads the
 * whole list. Once in RENEW_CALM_MS, for a server that always hides some
 * mailbox from LIST. */
#define RENEW_CALM_MS (10 * 60 * 1000)

static void on_heartbeat(void *payload, int ms)
{
	struct worker *w = payload;
	promise(w->a, ms);
}

static void on_text_stored(void *payload)
{
	struct worker *w = payload;
	indexer_poke(w->a->ix);
}

static void on_text_forgotten(void *payload, uint64_t rows)
{
	struct worker *w = payload;
	indexer_forgot(w->a->ix, rows);
}

static void on_progress(void *payload, const char *mailbox, uint32_t done,
                        uint32_t total)
{
	struct worker *w = payload;
	const struct sync_box *b = sync_find(&w->sync, mailbox);
	if (b)
		store_mailbox_set_progress(w->store, b->id, done, total);
	struct account *a = w->a;
	pthread_mutex_lock(&a->lock);
	/* A pass's turn (on_turn) stays said until the next turn; a look
	 * outside a pass, once its fetch ended, was just "syncing". */
	bool turn = a->status.state == ACCT_SYNCING && a->status.box_n;
	if (!turn)
		a->status = (struct acct_status){.state = ACCT_SYNCING};
	a->status_until = 0;
	if (total || turn)
		status_box(a, mailbox);
	a->status.done = done;
	a->status.total = total;
	pthread_mutex_unlock(&a->lock);
}

static void on_turn(void *payload, const char *mailbox, size_t k, size_t n)
{
	struct worker *w = payload;
	struct account *a = w->a;
	pthread_mutex_lock(&a->lock);
	a->status = (struct acct_status){
	        .state = ACCT_SYNCING, .box_k = k, .box_n = n};
	a->status_until = 0;
	status_box(a, mailbox);
	pthread_mutex_unlock(&a->lock);
}

/* ---- sleeping that a stop request interrupts */

/* Sleeps ms, or until a stop or a poke, or with reload set a reload. */
static void sleep_ms(struct account *a, unsigned ms, bool reload)
{
	struct timespec ts;
	deadline_after(&ts, CLOCK_MONOTONIC, (int)ms);
	promise(a, (int)ms);
	pthread_mutex_lock(&a->lock);
	while (!atomic_load(&a->stop) && !atomic_load(&a->poke) &&
	       !(reload && atomic_load(&a->reloaded)) &&
	       pthread_cond_timedwait(&a->cond, &a->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&a->lock);
}

static void publish_handle(struct account *a, imap4 *h)
{
	/* Any transport, a tunnel's pipes too, which a shutdown(2) of the
	 * socket did not reach: a stop then waited out the login. */
	if (h)
		imap4_set_cancel(h, a->cut_fd);
	pthread_mutex_lock(&a->lock);
	a->h = h;
	pthread_mutex_unlock(&a->lock);
	/* A stop that came after the connect but before the handle was
	 * published (during the login, which cancel_fd does not cover)
	 * found nobody to wake. */
	if (h && atomic_load(&a->stop))
		imap4_wake(h);
}

/* conn_open's: the handle is ours to cut (acct_force_stop) from the
 * connect on, through the login. */
static void on_handle(void *payload, imap4 *h)
{
	publish_handle(payload, h);
}

static void disconnect(struct worker *w, bool logout)
{
	struct account *a = w->a;
	imap4 *h = a->h;
	if (!h)
		return;
	publish_handle(a, NULL);
	if (logout && imap4_state(h) != IMAP4_STATE_LOGOUT) {
		promise(a, 2000);
		imap4_logout(h);
	}
	imap4_free(&h);
	w->sync.h = NULL;
	w->sync.selected = NULL;
}

/* Waits ms before a retry. A poke (resume, network change) may cut the
 * wait short, but only where the last failure was the link's, and never
 * to a retry sooner than PLAN_POKE_MIN_MS after the last attempt: a new
 * route does not mend a refused password, and a network that changes
 * every few seconds must not become a retry every few seconds. */
static void wait_retry(struct worker *w, unsigned ms)
{
	struct account *a = w->a;
	int64_t until = mono_ms() + ms;
	int64_t left;
	while (!atomic_load(&a->stop) && (left = until - mono_ms()) > 0) {
		sleep_ms(a, (unsigned)left, true);
		/* A reload is the admin's word that what only the admin
		 * could mend (a password, a certificate) may be mended: its
		 * files are read again at the next attempt. */
		if (atomic_exchange(&a->reloaded, false) && w->admin_needed) {
			log_info(a->conf->name, NULL,
			         "configuration reloaded; retrying now");
			return;
		}
		/* Taken here, also when it came during the attempt, so that
		 * a retry that fails again waits its full, longer back-off. */
		if (!atomic_exchange(&a->poke, false))
			continue;
		int64_t now = mono_ms();
		int64_t cut = plan_poke_wait_ms(
		        w->link_failed, now - w->attempt_at, until - now);
		if (cut >= until - now) {
			log_debug(a->conf->name, NULL,
			          "%s; still retrying in %lld s",
			          w->link_failed
			                  ? "retried less than 30 s ago"
			                  : "a new network does not mend "
			                    "that failure",
			          (long long)(until - now + 999) / 1000);
			continue;
		}
		until = now + cut;
		if (cut == 0)
			log_info(a->conf->name, NULL, "retrying now");
		else
			log_info(a->conf->name, NULL,
			         "retrying in %lld s (30 s after the last try)",
			         (long long)(cut + 999) / 1000);
	}
}

/* The next step of the back-off, counting one more failure. */
static unsigned next_backoff_ms(struct worker *w)
{
	w->failures++;
	uint32_t rnd = 0;
	gnutls_rnd(GNUTLS_RND_NONCE, &rnd, sizeof(rnd));
	return plan_backoff_ms(
	        w->admin_needed ? PLAN_BACKOFF_SLOWEST : w->failures, rnd);
}

/* The account's last_error, which mailmirror accounts shows: an echo of
 * its secret by the server masked, as the log masks it. */
static void set_error(struct worker *w, const char *why)
{
	char text[1024];
	snprintf(text, sizeof(text), "%s", why ? why : "");
	secret_echo_mask(text, strlen(text));
	store_account_set_error(w->store, w->account_id, text);
}

static void back_off(struct worker *w, const char *why)
{
	struct account *a = w->a;
	unsigned ms = next_backoff_ms(w);
	char msg[FAILSTREAK_MSG_MAX];
	int level = failstreak_note(&w->streak, msg, sizeof(msg), why,
	                            (ms + 999) / 1000, mono_ms(), time(NULL));
	/* A failure no retry mends is an error (journalctl -p err): the
	 * account is not mirrored until someone acts. */
	if (level == LOG_LEVEL_WARNING && w->admin_needed)
		level = LOG_LEVEL_ERR;
	log_msg(level, a->conf->name, NULL, "%s", msg);
	/* Without a cache connection (it failed to open) the log and the
	 * status say it alone. */
	if (w->store) {
		store_account_set_state(w->store, w->account_id, "error");
		set_error(w, why);
	}
	set_status_wait(a, ACCT_RETRYING, ms);
	wait_retry(w, ms);
}

/* After a batch found the disk full: whether the cache's file system has
 * room again for a retry. Without it a retry would log in and download
 * the same batch (up to 250 bodies) only to fail again, at every step of
 * the back-off, until someone frees space. The wait is logged once as it
 * begins, and once as it ends. */
static bool room_to_retry(struct worker *w)
{
	const struct conf_account *c = w->a->conf;
	uint64_t avail = 0, need = 0;
	if (room_enough(room_free, w->cache_dir, room_margin(c), &avail,
	                &need)) {
		if (w->room_told)
			log_notice(c->name, NULL,
			           "%s has room again (%llu MB free); "
			           "reconnecting",
			           w->cache_dir,
			           (unsigned long long)(avail >> 20));
		w->disk_full = w->room_told = false;
		return true;
	}
	if (!w->room_told)
		log_notice(c->name, NULL,
		           "the cache's file system is full: waiting for "
		           "%.1f MB free on %s (%.1f MB now) before "
		           "connecting again",
		           (double)need / (1 << 20), w->cache_dir,
		           (double)avail / (1 << 20));
	w->room_told = true;
	return false;
}

/* One more step of the back-off, without connecting: the disk is full. */
static void wait_room(struct worker *w)
{
	unsigned ms = next_backoff_ms(w);
	set_status_wait(w->a, ACCT_DISK_FULL, ms);
	wait_retry(w, ms);
}

/* ---- the live phase */

/* Marks the boxes the idle setting names, each with its place among them,
 * and returns the first in that order (INBOX when it is watched, else the
 * first the idle setting names), or NULL: the one to idle in when it
 * opens (open_watched). */
static struct sync_box *mark_watched(struct worker *w)
{
	const struct conf_account *c = w->a->conf;
	struct sync_box *first = NULL;
	for (size_t j = 0; j < w->sync.nboxes; j++) {
		struct sync_box *b = &w->sync.boxes[j];
		b->watch_rank =
		        plan_watch_rank((const char *const *)c->idle, c->n_idle,
		                        b->name, b->delimiter);
		b->watched = b->watch_rank != 0;
		if (b->watched && (!first || b->watch_rank < first->watch_rank))
			first = b;
	}
	return first;
}

/* The watched box to idle in, into *box: *box itself, the one just synced,
 * when it is selected; else the next in watch order that opens (a box the
 * server refuses, deleted or its ACL revoked, must not leave every other
 * watched box polled). Those whose last look failed (shut) are passed
 * over: the pass before, or the poll, has just refused them. *box is
 * first when none opens. SYNC_OK, or the error of a wider scope than one
 * mailbox. */
static int open_watched(struct worker *w, struct sync_box *first,
                        struct sync_box **box)
{
	struct sync_box *tried = *box;
	if (!tried || w->sync.selected == tried)
		return SYNC_OK;
	/* Ranks 1 (INBOX) to n_idle + 1, then the boxes in LIST order. */
	for (size_t r = 1; r <= w->a->conf->n_idle + 1; r++) {
		for (size_t j = 0; j < w->sync.nboxes; j++) {
			struct sync_box *b = &w->sync.boxes[j];
			if (b->watch_rank != r || b == tried || b->shut)
				continue;
			if (atomic_load(&w->a->stop))
				return SYNC_ESTOP;
			set_status_box(w->a, b->name);
			int rc = sync_mailbox(&w->sync, b);
			if (rc < 0 && rc != SYNC_EMAILBOX)
				return rc;
			if (w->sync.selected == b) {
				*box = b;
				return SYNC_OK;
			}
		}
	}
	*box = first;
	return SYNC_OK;
}

/* Tells, once, that box is idled in for first, which did not open (its
 * refusal was logged as it came), and that first is again when it opens.
 * true when the box idled in is another than the one told before. */
static bool tell_stand_in(struct worker *w, const struct sync_box *first,
                          const struct sync_box *box)
{
	const char *acct = w->a->conf->name;
	bool open = box && w->sync.selected == box;
	if (open && box != first) {
		if (w->stand_in && strcmp(w->stand_in, box->name) == 0)
			return false;
		log_notice(acct, first->name,
		           "cannot be opened: watching %s instead until it "
		           "can",
		           box->name);
		free(w->stand_in);
		/* Out of memory: told again at the next poll. */
		w->stand_in = strdup(box->name);
		return true;
	}
	if (!w->stand_in)
		return false;
	/* The one that stood in is the first now (the first was deleted,
	 * or the idle setting changed): nothing came back. */
	if (open && strcmp(w->stand_in, first->name) != 0)
		log_notice(acct, first->name,
		           "opens again: watched instead of %s", w->stand_in);
	free(w->stand_in);
	w->stand_in = NULL;
	return true;
}

/* Tells, once a worker, each idle pattern that names no mirrored mailbox:
 * a typo there left a mailbox polled without a word. */
static void tell_unmatched_idle(struct worker *w)
{
	const struct conf_account *c = w->a->conf;
	if (w->idle_told)
		return;
	w->idle_told = true;
	for (size_t i = 0; i < c->n_idle; i++) {
		bool hit = false;
		for (size_t j = 0; j < w->sync.nboxes && !hit; j++)
			hit = plan_match(c->idle[i], w->sync.boxes[j].name,
			                 w->sync.boxes[j].delimiter);
		if (!hit)
			log_notice(c->name, NULL,
			           "idle pattern \"%s\" matches no mirrored "
			           "mailbox",
			           c->idle[i]);
	}
}

/* Whether the session waits on the server with IDLE, or polls with NOOP. */
static bool idle_usable(const struct worker *w)
{
	return imap4_has_capability(w->a->h, "IDLE") && !w->idle_refused;
}

/* Watches every watched box: NOTIFY where the server has it, else only
 * the primary one (the others are polled). */
/* The live mark of watched box b, not the primary one, after it was
 * looked at again: one that will not open (an ACL that lets it be listed
 * but not read, a shared folder taken away, explore39) gets news through
 * NOTIFY that cannot reach the cache, and is live again once it opens. */
static void mark_live_of(struct worker *w, const struct sync_box *b)
{
	store_mailbox_set_live(w->store, b->id,
	                       idle_usable(w) && w->sync.notify_on &&
	                               b->notified && !b->shut);
}

/* The names of the watched mailboxes, one per line (NULL: no memory),
 * to tell whether a new mailbox list changed them. */
static char *watched_set(const struct worker *w)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	for (size_t i = 0; i < w->sync.nboxes; i++) {
		const struct sync_box *x = &w->sync.boxes[i];
		if (x->watched && (imap4_buf_puts(&b, x->name) < 0 ||
		                   imap4_buf_putc(&b, '\n') < 0)) {
			imap4_buf_clear(&b);
			return NULL;
		}
	}
	return imap4_buf_steal(&b, NULL);
}

/* again: NOTIFY set anew after the sync engine held it off
 * (sync_notify_hold): what was told before is told at debug level; the
 * catch-up is the same. */
static int start_watching(struct worker *w, struct sync_box *primary,
                          bool again)
{
	struct account *a = w->a;
	size_t n = 0;
	for (size_t i = 0; i < w->sync.nboxes; i++)
		n += w->sync.boxes[i].watched;
	/* Also for the primary box alone: NOTIFY brings the news of
	 * mailboxes created, renamed and deleted (sync_tree_news). */
	bool notify = false;
	int rc = sync_notify(&w->sync);
	if (rc == SYNC_OK)
		notify = true;
	else if (rc != SYNC_EMAILBOX)
		return rc;
	else if (n > 1)
		log_notice(a->conf->name, NULL,
		           "no NOTIFY: %zu watched mailbox%s besides %s "
		           "%s polled",
		           n - 1, n - 1 == 1 ? "" : "es", primary->name,
		           n - 1 == 1 ? "is" : "are");
	/* Live is what is pushed: a watched box no form of NOTIFY the
	 * server took covers (another namespace past the bound, a name it
	 * cannot carry) is polled, and says so. Without IDLE nothing is
	 * pushed: news, NOTIFY's too, waits for the next NOOP, every
	 * noop_interval, which is polling as the documents define it. */
	bool idle = idle_usable(w);
	size_t polled = 0;
	for (size_t i = 0; i < w->sync.nboxes; i++) {
		const struct sync_box *b = &w->sync.boxes[i];
		polled += notify && b->watched && b != primary && !b->notified;
		if (b == primary)
			store_mailbox_set_live(w->store, b->id, idle);
		else
			mark_live_of(w, b);
	}
	if (polled)
		log_msg(again ? LOG_LEVEL_DEBUG : LOG_LEVEL_NOTICE,
		        a->conf->name, NULL,
		        "NOTIFY does not cover %zu watched mailbox%s; polled",
		        polled, polled == 1 ? "" : "es");
	log_msg(again ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, a->conf->name,
	        primary->name, "watching with %s%s%s", idle ? "IDLE" : "NOOP",
	        notify ? " and NOTIFY" : "",
	        again ? " again, after large bodies" : "");
	/* What came before NOTIFY took effect is the live loop's to sync
	 * (news_pending), at once. */
	if (notify && (rc = sync_catch_up(&w->sync, primary)) < 0)
		return rc;
	return SYNC_OK;
}

/* mark_live_of every watched box but primary, after a poll. */
static void mark_shut_ones(struct worker *w, const struct sync_box *primary)
{
	for (size_t i = 0; i < w->sync.nboxes; i++)
		if (w->sync.boxes[i].watched && &w->sync.boxes[i] != primary)
			mark_live_of(w, &w->sync.boxes[i]);
}

/* No watched box could be opened (their SELECTs failed, primary's first):
 * there is nothing to IDLE on, and nothing is pushed. The watched boxes
 * are polled until one opens. */
static void stop_watching(struct worker *w, const struct sync_box *primary)
{
	size_t n = 0;
	for (size_t i = 0; i < w->sync.nboxes; i++) {
		if (!w->sync.boxes[i].watched)
			continue;
		n++;
		store_mailbox_set_live(w->store, w->sync.boxes[i].id, false);
	}
	log_notice(w->a->conf->name, primary->name,
	           "not watched until it can be opened%s: polled",
	           n > 1 ? ", nor can the other watched mailboxes" : "");
}

/* Watches primary when the sync left it selected, else stops watching;
 * *watching says which holds. again: watch anew even if watching (the
 * watched set changed). */
static int watch_if_open(struct worker *w, struct sync_box *primary, bool again,
                         bool *watching)
{
	bool open = w->sync.selected == primary;
	int rc = SYNC_OK;
	if (open && (again || !*watching))
		rc = start_watching(w, primary, false);
	else if (!open && *watching)
		stop_watching(w, primary);
	*watching = open;
	return rc;
}

/* The server stopped NOTIFY (RFC 5465 5.8): what changed since went
 * untold. Every watched box is looked at again, and NOTIFY set anew. */
static int notify_again(struct worker *w, struct sync_box *primary)
{
	/* A server that overflows again at once would have us resync every
	 * watched box in a loop: then the others are polled. */
	bool again = w->overflow_at && mono_ms() - w->overflow_at < 60000;
	w->overflow_at = mono_ms();
	w->sync.notify_lost = false;
	/* RFC 5465 5.8: as after NOTIFY NONE. */
	w->sync.notify_on = w->sync.notify_held = false;
	log_warning(w->a->conf->name, NULL,
	            "the server stopped its notifications "
	            "(NOTIFICATIONOVERFLOW); %s",
	            again ? "the watched mailboxes are polled on this "
	                    "connection"
	                  : "syncing the watched mailboxes and asking again");
	for (size_t i = 0; i < w->sync.nboxes; i++) {
		struct sync_box *b = &w->sync.boxes[i];
		if (!b->watched)
			continue;
		b->dirty = true;
		if (again && b != primary)
			store_mailbox_set_live(w->store, b->id, false);
	}
	w->sync.sel_dirty = true;
	return again ? SYNC_OK : start_watching(w, primary, false);
}

/* The next mailbox owed bodies whose turn it is, taken off the owed ones
 * (sync_bodies_owed_take), or NULL: one a wait, in turn, so that news of
 * the watched mailbox waits for one turn at most (explore53: every owed
 * mailbox's turn one after another held it 10 to 48 s). */
static struct sync_box *next_owed(struct worker *w)
{
	size_t n = w->sync.nboxes;
	for (size_t k = 0; k < n; k++) {
		size_t i = (w->owed_at + k) % n;
		if (sync_bodies_owed_take(&w->sync, w->sync.boxes[i].id)) {
			w->owed_at = i + 1;
			return &w->sync.boxes[i];
		}
	}
	return NULL;
}

/* Syncs the boxes NOTIFY reported and the next one owed bodies, then
 * selects primary (may be NULL) again. */
static int sync_dirty(struct worker *w, struct sync_box *primary)
{
	bool any = false;
	const struct sync_box *turn = next_owed(w);
	for (size_t i = 0; i < w->sync.nboxes; i++) {
		struct sync_box *b = &w->sync.boxes[i];
		if (b == primary || (!b->dirty && b != turn))
			continue;
		b->dirty = false;
		any = true;
		set_status_box(w->a, b->name);
		int rc = sync_mailbox(&w->sync, b);
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
		if (b->watched)
			mark_live_of(w, b);
	}
	if (primary && (any || w->sync.sel_dirty ||
	                w->sync.selected != primary || turn == primary)) {
		set_status_box(w->a, primary->name);
		int rc = sync_mailbox(&w->sync, primary);
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
	}
	set_status(w->a, ACCT_IDLE);
	return sync_mark_verified(&w->sync);
}

/* A status response (a keepalive "* OK Still here", a BAD) is no news:
 * an IDLE that brought only those and ended at once came to nothing. */
static bool is_news(const imap4_resp *resp)
{
	static const char *const status[] = {"OK", "NO", "BAD", "BYE",
	                                     "PREAUTH"};
	if (resp->name == NULL)
		return false;
	for (size_t i = 0; i < sizeof(status) / sizeof(status[0]); i++)
		if (strcmp(resp->name, status[i]) == 0)
			return false;
	return true;
}

static int on_idle(void *payload, const imap4_resp *resp)
{
	struct worker *w = payload;
	int rc = sync_apply_unsolicited(&w->sync, resp);
	if (rc < 0)
		log_warning(w->a->conf->name, NULL, "%s", w->sync.err);
	/* What ends the IDLE from here (a NOTIFICATIONOVERFLOW too, a
	 * status response) is news as well: the DONE is ours. */
	if (rc != 0 || is_news(resp))
		w->idle_heard = true;
	/* End the IDLE when something needs a fetch; flag changes and
	 * expunges with UIDs were applied in place. */
	return rc != 0;
}

/* The server answered IDLE with NO, before or after its "+" (a server
 * that offers IDLE yet will not idle now, or not in this mailbox). Taken
 * for an IDLE that ended, it was sent again at once, refused again, in a
 * loop that kept the server busy and the mailbox marked live while
 * nothing was pushed. The session polls with NOOP instead, as for a
 * server without IDLE; the next session tries IDLE again. */
static void poll_instead(struct worker *w)
{
	w->idle_refused = true;
	for (size_t i = 0; i < w->sync.nboxes; i++)
		if (w->sync.boxes[i].watched)
			store_mailbox_set_live(w->store, w->sync.boxes[i].id,
			                       false);
}

static void refuse_idle(struct worker *w)
{
	poll_instead(w);
	log_warning(w->a->conf->name,
	            w->sync.selected ? w->sync.selected->name : NULL,
	            "IDLE refused (%s); polling with NOOP every %u s on this "
	            "connection",
	            imap4_last_error(w->a->h)->message,
	            (unsigned)w->a->conf->noop_interval);
}

/* explore82: a server that ends every IDLE at once ("+", then its tagged
 * OK, no news) had the daemon send IDLE again at once, about 1,000 a
 * second, unseen in the log: against a real server, rate limits or a
 * lockout. An IDLE the server ended within IDLE_EARLY_MS (and well before
 * our own end of it) with no news, no stop and no poke, counts; a server
 * that ends an IDLE after each notification, as some do, brought news
 * and stays immediate. IDLE_EARLY_FREE in a row are taken at once (a
 * server may end one now and then); then each next IDLE waits a gap that
 * doubles from IDLE_EARLY_GAP_MS (at most noop_interval), and at
 * IDLE_EARLY_MAX the connection polls with NOOP, as for a refused IDLE. */
#define IDLE_EARLY_MS     2000
#define IDLE_EARLY_FREE   3
#define IDLE_EARLY_GAP_MS 250
#define IDLE_EARLY_MAX    6

/* The pause before the next IDLE, at most ms. */
static int early_gap(const struct worker *w, int ms)
{
	if (w->idle_early < IDLE_EARLY_FREE)
		return 0;
	int64_t gap = (int64_t)IDLE_EARLY_GAP_MS
	              << (w->idle_early - IDLE_EARLY_FREE);
	int64_t noop_ms = (int64_t)w->a->conf->noop_interval * 1000;
	if (gap > noop_ms)
		gap = noop_ms;
	return gap > ms ? ms : (int)gap;
}

/* Counts an IDLE of ms that ended after took ms. */
static void note_idle_end(struct worker *w, int ms, int64_t took)
{
	struct account *a = w->a;
	bool ours = atomic_load(&a->stop) || atomic_load(&a->poke);
	if (w->idle_heard || ours || took >= IDLE_EARLY_MS || took >= ms / 2) {
		w->idle_early = 0;
		return;
	}
	w->idle_early++;
	const char *box = w->sync.selected ? w->sync.selected->name : NULL;
	if (w->idle_early == IDLE_EARLY_FREE)
		log_notice(a->conf->name, box,
		           "the server ended %u IDLEs in a row at once, with "
		           "no news; pausing before each next IDLE",
		           w->idle_early);
	if (w->idle_early >= IDLE_EARLY_MAX) {
		poll_instead(w);
		log_warning(a->conf->name, box,
		            "the server ended %u IDLEs in a row at once, with "
		            "no news; polling with NOOP every %u s on this "
		            "connection",
		            w->idle_early, (unsigned)a->conf->noop_interval);
	}
}

/* Waits on the watched mailbox until something changed or until ms
 * passed. */
static int wait_changes(struct worker *w, int ms)
{
	imap4 *h = w->a->h;
	if (idle_usable(w)) {
		promise(w->a, ms + (int)w->a->conf->timeout * 1000);
		int gap = early_gap(w, ms);
		w->idle_heard = false;
		if (gap > 0) {
			/* On the connection: news, a stop or a poke end the
			 * pause, and are the loop's to take first. */
			int rc = imap4_wait(h, gap, on_idle, w);
			if (rc < 0) {
				w->idle_bye = rc == IMAP4_EBYE;
				snprintf(w->sync.err, sizeof(w->sync.err), "%s",
				         imap4_last_error(h)->message);
				return SYNC_ECONN;
			}
			ms -= gap;
			if (ms <= 0 || w->idle_heard ||
			    atomic_load(&w->a->stop) ||
			    atomic_load(&w->a->poke))
				return SYNC_OK;
		}
		int64_t started = mono_ms();
		int rc = imap4_idle(h, ms, on_idle, w);
		if (rc == IMAP4_NO) {
			refuse_idle(w);
			return SYNC_OK;
		}
		if (rc < 0) {
			w->idle_bye = rc == IMAP4_EBYE;
			snprintf(w->sync.err, sizeof(w->sync.err), "IDLE: %s",
			         imap4_last_error(h)->message);
			return SYNC_ECONN;
		}
		note_idle_end(w, ms, mono_ms() - started);
		return SYNC_OK;
	}
	/* RFC 3501 6.1.2: NOOP is the way to poll for updates. */
	int noop_ms = (int)w->a->conf->noop_interval * 1000;
	int slice = ms < noop_ms ? ms : noop_ms;
	promise(w->a, slice + (int)w->a->conf->timeout * 1000);
	int rc = imap4_wait(h, slice, on_idle, w);
	/* A stop ends the wait: LOGOUT is next, and a NOOP on a dead
	 * connection would hold the stop for a whole command timeout. */
	if (rc >= 0 && !atomic_load(&w->a->stop))
		rc = imap4_noop(h);
	if (rc < 0) {
		w->idle_bye = rc == IMAP4_EBYE;
		log_failure(w->sync.err, sizeof(w->sync.err), "NOOP",
		            imap4_last_error(h)->message);
		return SYNC_ECONN;
	}
	return SYNC_OK;
}

/* Before a poll on a connection that only waited since the last one (no
 * watched mailbox open: nothing read from it meanwhile). A server ends a
 * session idle for its autologout (RFC 3501 5.4: 30 minutes at least;
 * less on some), so a poll_interval longer than that found the BYE in
 * answer to the poll's LIST, at every poll: a warning, a back-off and
 * "still failing" for a server that did nothing wrong (explore79). That
 * is no failure: the poll is due, and a new session makes it, at once,
 * logged at info level. No NOOP keeps the connection alive between polls
 * instead: it would serve nothing, and the server's autologout is not
 * known. A BYE in answer to a command of ours stays a failure. */
static int check_unused(struct worker *w)
{
	imap4 *h = w->a->h;
	int rc = imap4_wait(h, 0, on_idle, w);
	if (rc == IMAP4_EBYE || rc == IMAP4_EEOF) {
		w->unused_ended = true;
		snprintf(w->sync.err, sizeof(w->sync.err),
		         "the server ended the connection, unused since the "
		         "last poll (%s)",
		         imap4_last_error(h)->message);
		return SYNC_ECONN;
	}
	if (rc < 0) {
		snprintf(w->sync.err, sizeof(w->sync.err), "%s",
		         imap4_last_error(h)->message);
		return SYNC_ECONN;
	}
	return SYNC_OK;
}

/* While the worker waits on the server, a poke arms a deadline for the
 * answer (acct_check_deadline); it lapses when the wait ends. */
static void set_idle_fd(struct account *a, int fd)
{
	pthread_mutex_lock(&a->lock);
	a->idle_fd = fd;
	a->check_by = 0;
	pthread_mutex_unlock(&a->lock);
}

/* Changes the server reported that sync_dirty has not taken in yet. */
static bool news_pending(const struct worker *w, const struct sync_box *primary)
{
	for (size_t i = 0; i < w->sync.nboxes; i++)
		if (w->sync.boxes[i].dirty && &w->sync.boxes[i] != primary)
			return true;
	return w->sync.sel_dirty;
}

static int watch(struct worker *w, int ms)
{
	set_idle_fd(w->a, imap4_socket(w->a->h));
	int rc = wait_changes(w, ms);
	set_idle_fd(w->a, -1);
	return rc;
}

static int live(struct worker *w)
{
	struct account *a = w->a;
	const struct conf_account *c = a->conf;
	/* The first watched box, and the one idled in: the first, or while
	 * the server will not open it, the next that opens (open_watched). */
	struct sync_box *first = mark_watched(w);
	struct sync_box *watched = first;
	tell_unmatched_idle(w);
	if (!watched)
		log_info(c->name, NULL,
		         "no mailbox watched: polling every %u s",
		         (unsigned)c->poll_interval);
	int64_t next_poll = mono_ms() + (int64_t)c->poll_interval * 1000;
	/* The session's sync has just read the list. */
	int64_t listed_at = mono_ms();
	/* The session's sync has just looked at every mailbox. */
	int64_t pushed_polled_at = mono_ms();
	bool relist_due = false; /* next_poll is set for tree news */
	unsigned quick = 0;
	int rc = SYNC_OK;
	bool watching = true; /* until a first look says otherwise */

	w->sync.live = true;
	w->sync.tree_news = false;
	/* The session's sync was the poll a poke asked for. */
	atomic_store(&a->poke_poll, false);
	w->idle_refused = false;
	w->idle_early = 0;
	store_account_set_state(w->store, w->account_id, "idle");
	store_account_set_error(w->store, w->account_id, NULL);
	store_account_set_last_sync(w->store, w->account_id, time(NULL));
	int vrc = sync_mark_verified(&w->sync);
	if (vrc < 0)
		return vrc;
	/* Told once a series; the back-off and the series themselves end
	 * only once the session has lasted (HEALTHY_MS). */
	char again[FAILSTREAK_MSG_MAX];
	int level = failstreak_recovery(&w->streak, again, sizeof(again),
	                                time(NULL));
	if (level)
		log_msg(level, w->a->conf->name, NULL, "%s", again);
	w->live = true;
	w->live_at = mono_ms();
	if (watched) {
		/* Synced last, and still selected with no news since: a
		 * second look would repeat it (without CONDSTORE, a listing
		 * of every flag). */
		if (w->sync.selected != watched || w->sync.sel_dirty)
			rc = sync_mailbox(&w->sync, watched);
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
		if ((rc = open_watched(w, first, &watched)) < 0)
			return rc;
		if ((rc = sync_mark_verified(&w->sync)) < 0)
			return rc;
		tell_stand_in(w, first, watched);
		rc = watch_if_open(w, watched, true, &watching);
		if (rc < 0)
			return rc;
	}
	set_status(a, ACCT_IDLE);

	while (!atomic_load(&a->stop)) {
		/* A mailbox created, renamed or deleted (NOTIFY's LIST, or
		 * untold while NOTIFY was held off): the poll reads the list
		 * again soon, once for a burst. Before the wait is measured,
		 * so that it ends then. */
		if (w->sync.tree_news && !relist_due) {
			relist_due = true;
			int64_t at = relist_at(mono_ms(), listed_at);
			if (at < next_poll)
				next_poll = at;
			log_debug(c->name, NULL,
			          "the mailbox tree changed; reading the list "
			          "again in %lld s",
			          (long long)(at - mono_ms() + 999) / 1000);
		}
		int64_t until = next_poll - mono_ms();
		int ms = until > (int64_t)c->idle_timeout * 1000
		                 ? (int)c->idle_timeout * 1000
		                 : (int)(until > 0 ? until : 0);
		/* Bodies owed (a slow link): another turn after a pause. */
		bool owed = sync_bodies_owed_any(&w->sync);
		if (owed && ms > OWED_PAUSE_MS)
			ms = OWED_PAUSE_MS;
		if (watched && watching && ms > 0) {
			/* News that came during the last sync (an EXISTS at
			 * the end of its UID FETCH) is not told again: IDLE
			 * or NOOP would sit on it until the next poll. A
			 * server that reports a change at every command
			 * still lets us wait now and then. */
			/* NOTIFY held off while large bodies came
			 * (sync_notify_hold) is set again before a wait,
			 * with its catch-up: news of other mailboxes
			 * meanwhile went untold. */
			if (w->sync.notify_held &&
			    w->sync.selected == watched) {
				if ((rc = start_watching(w, watched, true)) < 0)
					return rc;
				/* A mailbox created, renamed or deleted
				 * meanwhile went untold too, and STATUS
				 * cannot show it: the list is read again
				 * soon, as after NOTIFY's own news of the
				 * tree, and the wait is measured anew. */
				w->sync.tree_news = true;
				continue;
			}
			/* A look at another mailbox (the EXAMINE that asks
			 * whether a refused one exists) may have unselected
			 * the watched one: an IDLE then hears nothing of it
			 * (explore62). sync_dirty() selects it again. */
			bool unselected = w->sync.selected != watched;
			if (unselected) {
				w->sync.sel_dirty = true;
			} else if (news_pending(w, watched) &&
			           quick < QUICK_RESYNCS) {
				quick++;
			} else {
				quick = 0;
				rc = watch(w, ms);
				if (rc < 0)
					return rc;
				if (atomic_load(&a->stop))
					break;
			}
			if (w->sync.notify_lost) {
				rc = notify_again(w, watched);
				if (rc < 0)
					return rc;
			}
			rc = sync_dirty(w, watched);
			if (rc < 0)
				return rc;
			/* The cache took the resync: news may be written
			 * in place again. */
			w->sync.store_failed = false;
			/* The one idled in would not open again (deleted,
			 * its ACL revoked): the next one that opens. */
			if ((rc = open_watched(w, first, &watched)) < 0)
				return rc;
			bool moved = tell_stand_in(w, first, watched);
			if ((rc = watch_if_open(w, watched, moved, &watching)) <
			    0)
				return rc;
		} else if (ms > 0) {
			sleep_ms(a, (unsigned)ms, false);
			if (owed && !atomic_load(&a->stop) &&
			    (rc = sync_dirty(w, NULL)) < 0)
				return rc;
		}
		if (atomic_exchange(&a->poke, false)) {
			/* Waiting on the connection, the poke's check was
			 * the wait's end (IDLE's DONE, or the NOOP), under
			 * acct_check_deadline. After a network change no poll
			 * is overdue: with 4 changes in 5 minutes, 40 accounts
			 * polled every mailbox at once (explore80). A stop or
			 * a suspend held the poll's clock: it polls. main
			 * said the cause once for all (poke_all). */
			bool overdue = atomic_exchange(&a->poke_poll, false);
			if (overdue || !(watched && watching)) {
				log_debug(c->name, NULL,
				          "checking the connection");
				next_poll = 0;
			} else {
				log_debug(c->name, NULL,
				          "the connection answered; no poll");
			}
		}
		if (atomic_load(&a->stop) || mono_ms() < next_poll)
			continue;

		if (relist_in_new_session(w->sync.notify_on, w->live_at,
		                          mono_ms())) {
			w->renew = w->renew_quietly = true;
			snprintf(w->sync.err, sizeof(w->sync.err),
			         "a session with NOTIFY has read the mailbox "
			         "list for an hour");
			return SYNC_ECONN;
		}
		if (!(watched && watching) && (rc = check_unused(w)) < 0)
			return rc;
		set_status(a, ACCT_POLLING);
		/* The mailbox list first, at every poll: a mailbox created,
		 * renamed or deleted since shows at once, and STATUS is not
		 * sent to a name that is gone. */
		char *before = watched_set(w);
		/* News from here on is newer than this list. */
		w->sync.tree_news = false;
		relist_due = false;
		/* Which the poll will look at, as far as is known before the
		 * list: the LIST may bring their STATUS. */
		rc = sync_list_polled(&w->sync, watched,
		                      !(watched && watching) ||
		                              mono_ms() - pushed_polled_at >=
		                                      PUSHED_POLL_MS);
		listed_at = mono_ms();
		if (rc < 0) {
			free(before);
			return rc;
		}
		if (w->sync.list_short &&
		    (!w->renewed_at ||
		     mono_ms() - w->renewed_at >= RENEW_CALM_MS)) {
			free(before);
			w->renew = true;
			snprintf(
			        w->sync.err, sizeof(w->sync.err),
			        "LIST left out mailboxes the server still has");
			return SYNC_ECONN;
		}
		first = watched = mark_watched(w);
		char *after = watched_set(w);
		bool relist = !before || !after || strcmp(before, after) != 0;
		free(before);
		free(after);
		/* NOTIFY's news is read only while we wait on the
		 * connection (IDLE or NOOP): else it lies unread until
		 * commands of ours come, and the poll looks at all. */
		bool all = !(watched && watching) ||
		           mono_ms() - pushed_polled_at >= PUSHED_POLL_MS;
		if (all)
			pushed_polled_at = mono_ms();
		rc = sync_poll(&w->sync, watched, all);
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
		if (watched) {
			/* The first watched box again, also while another
			 * stands in for it: the poll is its chance to come
			 * back. Examined again even while selected: a
			 * session may keep showing a mailbox deleted and
			 * made anew under it (Dovecot). */
			w->sync.reexamine = true;
			rc = sync_mailbox(&w->sync, watched);
			if (rc < 0 && rc != SYNC_EMAILBOX)
				return rc;
			if ((rc = open_watched(w, first, &watched)) < 0)
				return rc;
			if ((rc = sync_mark_verified(&w->sync)) < 0)
				return rc;
			/* Other watched mailboxes need a new NOTIFY, and so
			 * does another box idled in. */
			relist |= tell_stand_in(w, first, watched);
			rc = watch_if_open(w, watched, relist, &watching);
			if (rc < 0)
				return rc;
			if (watching)
				mark_shut_ones(w, watched);
		}
		store_account_set_last_sync(w->store, w->account_id,
		                            time(NULL));
		next_poll = mono_ms() + (int64_t)c->poll_interval * 1000;
		set_status(a, ACCT_IDLE);
	}
	return SYNC_ESTOP;
}

/* A batch too slow for the timeout was halved: --once tries again at once
 * with the smaller one, as the daemon's next connection would (log2 of
 * the batch tries at most; a try that fails otherwise ends the run). So
 * it does, once a run, after a BYE that says a mailbox was deleted or
 * asks for a new login (sync_ctx.bye_relogin): Dovecot ends a session
 * whose mailbox another client deletes under a FETCH, and the next
 * session's LIST drops it. The failure is then no error of the run's. */
static bool once_tries_again(const struct worker *w, int rc)
{
	return rc == SYNC_ECONN && !atomic_load(&w->a->stop) &&
	       (w->sync.batch_shrunk || (w->sync.bye_relogin && !w->relogged));
}

/* A --once run leaves the account as it ended, for `mailmirror status`:
 * stopped after a sync, or in error with the reason. */
static void once_done(struct worker *w, int rc)
{
	const struct conf_account *c = w->a->conf;
	if (rc == SYNC_ECONN && atomic_load(&w->a->stop))
		rc = SYNC_ESTOP; /* cut by our stop (acct_force_stop) */
	/* One transaction: one WAL commit at the end of a resync. */
	bool txn = store_begin(w->store) == STORE_OK;
	if (rc == SYNC_OK || rc == SYNC_EMAILBOX)
		sync_mark_verified(&w->sync);
	if (rc == SYNC_OK) {
		store_account_set_state(w->store, w->account_id, "stopped");
		store_account_set_error(w->store, w->account_id, NULL);
		store_account_set_last_sync(w->store, w->account_id,
		                            time(NULL));
	} else if (rc != SYNC_ESTOP) {
		/* A mailbox's failure was a warning of its own already
		 * (explore39: the same words twice). */
		if (rc == SYNC_EMAILBOX)
			log_err(c->name, NULL,
			        "not every mailbox could be synced (the "
			        "warnings above say which)");
		else
			log_err(c->name, NULL, "%s", w->sync.err);
		store_account_set_state(w->store, w->account_id, "error");
		/* A mailbox's words stay its own: as the account's, mailmirror
		 * status showed them beside every mailbox (explore71). */
		set_error(w,
		          rc == SYNC_EMAILBOX
		                  ? "not every mailbox could be synced (each "
		                    "one's error says why)"
		                  : w->sync.err);
	} else {
		store_account_set_state(w->store, w->account_id, "stopped");
	}
	if (txn && store_commit(w->store) != STORE_OK)
		store_rollback(w->store);
}

/* ---- one connection's life */

/* A count on the supervisor's eventfd (acct_start's done_fd). */
static void tell_supervisor(struct account *a)
{
	if (a->done_fd >= 0) {
		uint64_t one = 1;
		ssize_t n = write(a->done_fd, &one, sizeof(one));
		(void)n; /* a full counter wakes the reader all the same */
	}
}

/* Opens the account's cache connection and makes its first writes, for
 * the worker to take (take_store): in the supervisor's thread, while the
 * worker connects. */
static void prepare_store(struct account *a)
{
	const struct conf_account *c = a->conf;
	struct store *s = NULL;
	int64_t id = 0;
	int moved = 0, rc;
	char err[400];
	if ((rc = store_open_bound(&s, a->cache_path,
	                           a->cache_bound ? &a->cache_id : NULL, err,
	                           sizeof(err))) == 0) {
		store_checkpoint_with(s, a->ck);
		/* One commit: each costs a WAL write, and the first of a
		 * new WAL its sync, while the worker waits for the cache. */
		if ((rc = store_begin(s)) < 0 ||
		    (rc = moved = prune_account_keep(&id, s, c)) < 0 ||
		    (rc = store_account_clear_run(s, id)) < 0 ||
		    (rc = store_account_set_state(s, id, "connecting")) < 0 ||
		    (rc = store_commit(s)) < 0) {
			snprintf(err, sizeof(err), "%s", store_errmsg(s));
			store_rollback(s);
			store_close(&s);
			moved = 0;
		}
	}
	pthread_mutex_lock(&a->lock);
	a->prep_store = s;
	a->prep_id = id;
	a->prep_moved = moved > 0;
	a->prep_rc = s ? 0 : rc < 0 ? rc : STORE_EDB;
	if (!s)
		snprintf(a->prep_err, sizeof(a->prep_err), "%s", err);
	a->prep_done = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* A cache that failed to open for a reason no retry mends: a file that
 * is no mailmirror cache, or a damaged one, or one a newer mailmirror
 * wrote. Anything else (too many open files, no memory, a lock held past
 * the busy timeout, an I/O error, a directory not mounted yet) may pass:
 * the account retries with its back-off, as after any failure, where it
 * once ended its worker for good and showed nothing (explore80). */
static bool store_gone_for_good(int rc)
{
	return rc == STORE_ECORRUPT || rc == STORE_ENEWER || rc == STORE_EINVAL;
}

/* The connection prepare_store made, now the worker's; false when it
 * could not be made, with w->sync.err saying why and w->store_lost set
 * when no retry would make it. A failure for good is logged here; one
 * to retry is logged by back_off. */
static bool take_store(struct worker *w)
{
	struct account *a = w->a;
	if (w->store_tried) {
		/* The supervisor's open failed: this thread tries again. */
		pthread_mutex_lock(&a->lock);
		a->prep_done = false;
		pthread_mutex_unlock(&a->lock);
		prepare_store(a);
	}
	w->store_tried = true;
	pthread_mutex_lock(&a->lock);
	while (!a->prep_done)
		pthread_cond_wait(&a->cond, &a->lock);
	w->store = a->prep_store;
	w->account_id = a->prep_id;
	w->server_moved = a->prep_moved;
	a->prep_store = NULL;
	pthread_mutex_unlock(&a->lock);
	if (!w->store) {
		snprintf(w->sync.err, sizeof(w->sync.err), "cache %s: %s",
		         a->cache_path, a->prep_err);
		w->store_lost = a->once || store_gone_for_good(a->prep_rc);
		/* A start on a full disk waits for room before it logs in
		 * again, as a batch that filled it does (explore84). */
		w->disk_full = a->prep_rc == STORE_EFULL;
		if (w->store_lost)
			log_err(a->conf->name, NULL, "%s", w->sync.err);
		return false;
	}
	w->sync.store = w->store;
	w->sync.account_id = w->account_id;
	return true;
}

/* While the gate keeps the worker from connecting: alive, and saying
 * why it waits. */
static void on_gate_wait(void *payload)
{
	struct account *a = payload;
	const struct conf_account *c = a->conf;
	promise(a, 30000 + (int)c->timeout * 1000);
	pthread_mutex_lock(&a->lock);
	a->status = (struct acct_status){.state = ACCT_WAITING,
	                                 .gate_n = CONNGATE_PER_SERVER,
	                                 .host = c->host};
	a->status_until = 0;
	pthread_mutex_unlock(&a->lock);
}

/* conn_open, through the gate when there is a server to share. */
static int open_in_turn(struct account *a, imap4 **h, enum conn_failure *why,
                        int tunnel_level, char *err, size_t errlen)
{
	const struct conf_account *c = a->conf;
	char server[300];
	if (!c->tunnel) {
		snprintf(server, sizeof(server), "%s:%u", c->host,
		         (unsigned)c->port);
		if (!conngate_enter(a->gate, server, &a->stop, on_gate_wait,
		                    a)) {
			*why = CONN_FAIL_CANCELLED;
			return -1;
		}
	}
	int opened = conn_open(h, why, c, a->cancel_fd, tunnel_level, on_handle,
	                       a, err, errlen);
	if (!c->tunnel)
		conngate_leave(a->gate, server);
	return opened;
}

/* The configured server took the login: what the cache holds of the
 * account from the one before goes now (prune_account_upsert), not at
 * the start, where a typo in host cost it before anything had answered
 * (explore74). */
static int switch_server(struct worker *w)
{
	struct account *a = w->a;
	int64_t id, dropped = 0;
	int rc = prune_account_upsert(&id, &dropped, w->store, a->conf);
	if (rc < 0) {
		snprintf(w->sync.err, sizeof(w->sync.err), "cache: %s",
		         store_errmsg(w->store));
		return SYNC_ESTORE;
	}
	w->server_moved = false;
	if (rc > 0) {
		prune_tell_anew(a->conf, dropped);
		indexer_forgot(a->ix, (uint64_t)dropped);
	}
	return SYNC_OK;
}

static int session(struct worker *w)
{
	struct account *a = w->a;
	const struct conf_account *c = a->conf;
	char err[512];
	enum conn_failure why;
	imap4 *h;

	set_status(a, ACCT_CONNECTING);
	if (w->store) /* the first time, prepare_store wrote it */
		store_account_set_state(w->store, w->account_id, "connecting");
	if (c->tunnel)
		log_info(c->name, NULL, "connecting through the tunnel");
	else
		log_info(c->name, NULL, "connecting to %s port %u", c->host,
		         (unsigned)c->port);
	promise(a, 30000 + (int)c->timeout * 1000);
	w->attempt_at = mono_ms();
	w->sync.stored = 0;
	w->sync.bye_relogin = false;
	/* This attempt reads the configuration as it is now. */
	atomic_store(&a->reloaded, false);
	int opened = open_in_turn(
	        a, &h, &why, w->failures ? LOG_LEVEL_INFO : LOG_LEVEL_NOTICE,
	        err, sizeof(err));
	if (!w->store && !take_store(w))
		return SYNC_ESTORE;
	if (opened < 0) {
		/* A stop cancels the connect (or races its failure): that
		 * is the stop, not a failure to report or back off from. */
		if (why == CONN_FAIL_CANCELLED || atomic_load(&a->stop))
			return SYNC_ESTOP;
		snprintf(w->sync.err, sizeof(w->sync.err), "%s", err);
		w->link_failed = why == CONN_FAIL_NETWORK;
		w->admin_needed = why == CONN_FAIL_AUTH ||
		                  why == CONN_FAIL_TLS ||
		                  why == CONN_FAIL_CONFIG;
		return SYNC_ECONN;
	}
	/* Logged in: from here a SYNC_ECONN is a connection that died. */
	w->link_failed = true;
	w->admin_needed = false;
	log_info(c->name, NULL, "connected");
	if (w->server_moved) {
		int moved = switch_server(w);
		if (moved < 0)
			return moved;
	}

	/* The full-text indexer waits while we sync (indexer.h). */
	indexer_hold(a->ix);
	int rc = sync_attach(&w->sync, h);
	if (rc == SYNC_OK) {
		set_status(a, ACCT_SYNCING);
		store_account_set_state(w->store, w->account_id, "syncing");
		/* The failure that kept it away is over: mailmirror status
		 * showed a connect error beside "syncing" (explore67). */
		store_account_set_error(w->store, w->account_id, NULL);
		/* What the cache knows first, then LIST for what is new. */
		rc = sync_known(&w->sync);
	}
	if (rc == SYNC_OK || rc == SYNC_EMAILBOX)
		rc = sync_list(&w->sync);
	if (rc == SYNC_OK || rc == SYNC_EMAILBOX)
		rc = sync_all(&w->sync);
	sync_forget_known(&w->sync);
	/* Once a run, after the mail is current: a lowered bodies setting
	 * takes its text off the disk. */
	if ((rc == SYNC_OK || rc == SYNC_EMAILBOX) && !w->bodies_trimmed) {
		int trc = sync_trim_bodies(&w->sync);
		w->bodies_trimmed = trc == SYNC_OK;
		if (trc < 0)
			rc = trc;
	}
	/* Recorded while the indexer still waits: once released, it holds
	 * the cache's write lock chunk after chunk, and this last write
	 * would wait until everything is indexed. */
	if (a->once && !once_tries_again(w, rc)) {
		once_done(w, rc);
		w->once_recorded = true;
		/* Our last write is made: the supervisor copies the WAL into
		 * the file while we log out (acct_start). */
		tell_supervisor(a);
	}
	indexer_release(a->ix);
	if ((rc == SYNC_OK || rc == SYNC_EMAILBOX) && !a->once)
		rc = live(w);
	return rc;
}

/* The mailbox sync_known ends with: the one live() will watch, as
 * mark_watched picks it (INBOX first), when idle names it and not only a
 * pattern does. */
static const char *watch_first(const struct conf_account *c)
{
	const char *first = NULL;
	for (size_t i = 0; i < c->n_idle; i++) {
		if (strpbrk(c->idle[i], "*%"))
			continue;
		if (strcasecmp(c->idle[i], "INBOX") == 0)
			return c->idle[i];
		if (!first)
			first = c->idle[i];
	}
	return first;
}

/* After a session that went live and then ended by the server's BYE
 * while we waited on it (BYE_FLOOR_MAX_MS): the session synced, so a
 * series of failures is over; the next one starts after a wait that
 * grows while sessions keep ending early (lasted ms after going live). */
static void reconnect_after_bye(struct worker *w, int64_t lasted)
{
	const struct conf_account *c = w->a->conf;
	unsigned n = w->early_byes < 16 ? w->early_byes : 16;
	unsigned ms = (unsigned)BYE_RECONNECT_MS << n;
	if (ms > BYE_FLOOR_MAX_MS)
		ms = BYE_FLOOR_MAX_MS;
	bool longest_now = ms == BYE_FLOOR_MAX_MS && n > 0 &&
	                   ((unsigned)BYE_RECONNECT_MS << (n - 1)) < ms;
	if (lasted < HEALTHY_MS)
		w->early_byes++;
	w->failures = 0;
	failstreak_reset(&w->streak);
	w->calm_bye_at = mono_ms();
	int len = failstreak_sentence_len(w->sync.err);
	if (w->early_byes < 2)
		log_notice(c->name, NULL, "%.*s; reconnecting", len,
		           w->sync.err);
	else
		/* A notice when the series shows and when the wait reaches
		 * its longest; at info level in between. */
		log_msg(w->early_byes == 2 || longest_now ? LOG_LEVEL_NOTICE
		                                          : LOG_LEVEL_INFO,
		        c->name, NULL,
		        "%.*s, %lld s after the session went live (%u sessions "
		        "in a row ended within %d s); reconnecting in %u s",
		        len, w->sync.err, (long long)(lasted / 1000),
		        w->early_byes, HEALTHY_MS / 1000, ms / 1000);
	set_status_wait(w->a, ACCT_RECONNECTING, ms);
	wait_retry(w, ms);
}

static void *run(void *arg)
{
	struct worker w = {.a = arg};
	struct account *a = w.a;
	const struct conf_account *c = a->conf;
	threadname_set("", c->name);

	promise(a, 30000);
	/* Too long a path leaves "": statvfs fails on it, and a full disk
	 * is retried as any failure. */
	if (cache_dir_of(w.cache_dir, sizeof(w.cache_dir), a->cache_path) < 0)
		w.cache_dir[0] = '\0';
	w.sync = (struct sync_ctx){
	        .conf = c,
	        .store = w.store,
	        .account_id = w.account_id,
	        .stop = &a->stop,
	        .progress = on_progress,
	        .turn = on_turn,
	        .heartbeat = on_heartbeat,
	        .text_stored = on_text_stored,
	        .text_forgotten = on_text_forgotten,
	        .payload = &w,
	        .finish_with = watch_first(c),
	        .announce_known = a->restart,
	        .backfill_turn_ms = a->once ? 0 : backfill_turn_ms(c),
	        .store_lock = PTHREAD_MUTEX_INITIALIZER,
	};

	while (!atomic_load(&a->stop)) {
		if (w.disk_full && !room_to_retry(&w)) {
			wait_room(&w);
			continue;
		}
		int rc = session(&w);
		/* The library saw its socket end, which was our doing: the
		 * log said why already (acct_check_deadline), and "closed by
		 * server" would say otherwise (explore65). */
		pthread_mutex_lock(&a->lock);
		if (a->check_cut && rc == SYNC_ECONN)
			snprintf(w.sync.err, sizeof(w.sync.err),
			         "no answer to the check of the connection "
			         "within %d s",
			         CHECK_MS / 1000);
		a->check_cut = false;
		pthread_mutex_unlock(&a->lock);
		if (!w.store && (w.store_lost || atomic_load(&a->stop))) {
			/* no cache connection (take_store said) */
			disconnect(&w, true);
			a->ok = false;
			break;
		}
		if (!w.store) { /* the cache may open at the next try */
			disconnect(&w, true);
			w.admin_needed = false;
			back_off(&w, w.sync.err);
			continue;
		}
		bool clean = rc == SYNC_ESTOP || rc == SYNC_OK ||
		             rc == SYNC_EMAILBOX;
		if (!a->once) /* nothing is live in a --once run */
			store_account_clear_live(w.store, w.account_id);
		disconnect(&w, rc != SYNC_ECONN || w.renew);
		/* A connection our stop cut (acct_force_stop) is the stop,
		 * not a failure to report. */
		if (rc == SYNC_ECONN && atomic_load(&a->stop))
			rc = SYNC_ESTOP;
		bool again = a->once && once_tries_again(&w, rc);
		bool relogin = again && !w.sync.batch_shrunk;
		w.sync.batch_shrunk = false;
		if (again) {
			/* What the server asked for is no warning. */
			log_msg(relogin ? LOG_LEVEL_NOTICE : LOG_LEVEL_WARNING,
			        c->name, NULL, "%s; trying again", w.sync.err);
			w.relogged = w.relogged || relogin;
			continue;
		}
		if (a->once) {
			a->ok = rc == SYNC_OK;
			if (!w.once_recorded)
				once_done(&w, rc);
			break;
		}
		if (atomic_load(&a->stop))
			break;
		if (rc == SYNC_ESTORE)
			w.link_failed = false;
		w.disk_full = rc == SYNC_ESTORE && w.sync.store_full;
		if (w.live && mono_ms() - w.live_at >= HEALTHY_MS) {
			w.failures = 0;
			w.early_byes = 0;
			failstreak_reset(&w.streak);
		}
		/* A connection that stored new mail before it ended moved the
		 * mirror on: a link that drops every 15 s, each time part way
		 * through a batch, is retried after a second, not minutes
		 * later. The series of failures goes on (one warning an
		 * hour). Storing is what counts, not getting in: a server
		 * that accepts and cuts, or ends each session as it goes
		 * live, stores nothing and keeps backing off. */
		if (w.sync.stored)
			w.failures = 0;
		bool live_bye = rc == SYNC_ECONN && w.idle_bye && w.live;
		bool unused = rc == SYNC_ECONN && w.unused_ended;
		/* A BYE that asked for a new login (a mailbox deleted under
		 * a FETCH) is as calm in a sync as in IDLE, once in
		 * BYE_CALM_MS: such a session may not have synced. */
		bool calm_bye = rc == SYNC_ECONN && !live_bye &&
		                w.sync.bye_relogin &&
		                (!w.calm_bye_at ||
		                 mono_ms() - w.calm_bye_at >= BYE_CALM_MS);
		int64_t lasted = mono_ms() - w.live_at;
		w.idle_bye = w.live = w.unused_ended = false;
		if (unused) {
			log_info(c->name, NULL, "%s; reconnecting", w.sync.err);
		} else if (live_bye) {
			reconnect_after_bye(&w, lasted);
		} else if (rc == SYNC_ECONN && w.renew) {
			log_msg(w.renew_quietly ? LOG_LEVEL_INFO
			                        : LOG_LEVEL_NOTICE,
			        c->name, NULL, "%s; starting a new session",
			        w.sync.err);
			/* A planned renewal is no sign of a server that always
			 * hides some mailbox: it starts no calm period. */
			if (!w.renew_quietly)
				w.renewed_at = mono_ms();
			w.renew = w.renew_quietly = false;
			wait_retry(&w, BYE_RECONNECT_MS);
		} else if (calm_bye) {
			w.calm_bye_at = mono_ms();
			log_notice(c->name, NULL, "%.*s; reconnecting",
			           failstreak_sentence_len(w.sync.err),
			           w.sync.err);
			wait_retry(&w, BYE_RECONNECT_MS);
		} else if (!clean) {
			back_off(&w, w.sync.err);
		}
	}
	if (!a->once && w.store)
		store_account_set_state(w.store, w.account_id, "stopped");
	sync_end(&w.sync);
	free(w.stand_in);
	store_close(&w.store);
	secret_echo_forget();
	pthread_mutex_lock(&a->lock);
	a->done = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	tell_supervisor(a);
	return NULL;
}

/* ---- the supervisor's side */

int acct_start(struct account **out, const struct conf_account *conf,
               const char *cache_path, const struct cache_file_id *cache_id,
               unsigned how, int done_fd, struct indexer *ix,
               struct checkpointer *ck, struct conngate *gate, char *err,
               size_t errlen)
{
	struct account *a = calloc(1, sizeof(*a));
	if (!a || !(a->cache_path = strdup(cache_path))) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->conf = conf;
	if ((a->cache_bound = cache_id != NULL))
		a->cache_id = *cache_id;
	a->once = how & ACCT_ONCE;
	a->restart = how & ACCT_RESTART;
	a->done_fd = done_fd;
	a->ix = ix;
	a->ck = ck;
	a->gate = gate;
	a->idle_fd = -1;
	a->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a->cut_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->cancel_fd < 0 || a->cut_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		if (a->cancel_fd >= 0)
			close(a->cancel_fd);
		if (a->cut_fd >= 0)
			close(a->cut_fd);
		free(a->cache_path);
		free(a);
		return -1;
	}
	atomic_init(&a->stop, false);
	atomic_init(&a->poke, false);
	atomic_init(&a->poke_poll, false);
	atomic_init(&a->reloaded, false);
	atomic_init(&a->alive_until, mono_ms() + 60000);
	pthread_mutex_init(&a->lock, NULL);
	cond_init_monotonic(&a->cond);
	a->status = (struct acct_status){.state = ACCT_STARTING};
	int e = pthread_create(&a->thread, NULL, run, a);
	if (e) {
		snprintf(err, errlen, "cannot start a thread: %s", strerror(e));
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
		close(a->cancel_fd);
		close(a->cut_fd);
		free(a->cache_path);
		free(a);
		return -1;
	}
	prepare_store(a);
	*out = a;
	return 0;
}

/* Makes fd (an eventfd) readable, for good: it is never read back. */
static void signal_fd(int fd)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

void acct_request_stop(struct account *a)
{
	atomic_store(&a->stop, true);
	/* A connect that starts after the stop is cancelled before it sends
	 * a byte. */
	signal_fd(a->cancel_fd);
	conngate_wake(a->gate);
	pthread_mutex_lock(&a->lock);
	if (a->h)
		imap4_wake(a->h);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void acct_force_stop(struct account *a)
{
	/* Every wait of the connection, published or still to be, ends at
	 * once; the worker frees it as after any failure. */
	signal_fd(a->cut_fd);
}

void acct_reloaded(struct account *a)
{
	atomic_store(&a->reloaded, true);
	pthread_mutex_lock(&a->lock);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

static void poke(struct account *a, bool poll)
{
	if (poll)
		atomic_store(&a->poke_poll, true);
	atomic_store(&a->poke, true);
	pthread_mutex_lock(&a->lock);
	if (a->h)
		imap4_wake(a->h);
	if (a->idle_fd >= 0 && !a->check_by)
		a->check_by = mono_ms() + CHECK_MS;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void acct_poke(struct account *a)
{
	poke(a, true);
}

void acct_poke_link(struct account *a)
{
	poke(a, false);
}

int acct_check_deadline(struct account *a)
{
	int left = -1;
	pthread_mutex_lock(&a->lock);
	if (a->idle_fd >= 0 && a->check_by) {
		int64_t l = a->check_by - mono_ms();
		if (l > 0) {
			left = (int)l;
		} else {
			/* The worker sits in the library's wait for the
			 * answer, under the command timeout; only a socket
			 * that ends under it cuts that short. idle_fd is
			 * open: the worker clears it, under this lock,
			 * before it closes anything. A tunnel's pipe is no
			 * socket: it keeps the command timeout. */
			log_warning(a->conf->name, NULL,
			            "no answer within %d s of the check; "
			            "dropping the connection",
			            CHECK_MS / 1000);
			shutdown(a->idle_fd, SHUT_RDWR);
			a->check_by = 0;
			a->check_cut = true;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return left;
}

bool acct_join(struct account **ap, int timeout_ms, bool *ok)
{
	struct account *a = *ap;
	struct timespec ts;
	deadline_after(&ts, CLOCK_MONOTONIC, timeout_ms >= 0 ? timeout_ms : 0);
	pthread_mutex_lock(&a->lock);
	while (!a->done) {
		if (timeout_ms < 0)
			pthread_cond_wait(&a->cond, &a->lock);
		else if (pthread_cond_timedwait(&a->cond, &a->lock, &ts) ==
		         ETIMEDOUT)
			break;
	}
	bool done = a->done;
	pthread_mutex_unlock(&a->lock);
	if (!done)
		return false;
	pthread_join(a->thread, NULL);
	/* A worker stopped before its first connect never took it. */
	store_close(&a->prep_store);
	if (ok)
		*ok = a->ok;
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	close(a->cancel_fd);
	close(a->cut_fd);
	free(a->cache_path);
	free(a);
	*ap = NULL;
	return true;
}

bool acct_fresh(struct account *a)
{
	return mono_ms() <= atomic_load(&a->alive_until);
}

void acct_status_get(struct acct_status *out, struct account *a)
{
	pthread_mutex_lock(&a->lock);
	*out = a->status;
	if (a->status_until) {
		int64_t left = a->status_until - mono_ms();
		out->wait_s = left > 0 ? (left + 999) / 1000 : 0;
	}
	pthread_mutex_unlock(&a->lock);
}

void acct_describe(struct account *a, char *buf, size_t len)
{
	struct acct_status st;
	acct_status_get(&st, a);
	int n = snprintf(buf, len, "%s: ", a->conf->name);
	if (n >= 0 && (size_t)n < len)
		acct_status_text(buf + n, len - (size_t)n, &st);
}

const struct conf_account *acct_conf(const struct account *a)
{
	return a->conf;
}
