/* sync.h - bring the cache of one account up to the server's state.
 *
 * The sync engine carries out plan.c's decisions over one libimap4
 * connection and writes through store.h. It keeps no write transaction open
 * while it waits for the network (every account shares the cache file, and
 * one account's slow server must not stall another's writes): responses are
 * converted into memory and written in short transactions, each one of
 * which leaves the cache equal to a state the server was in (RELIABILITY
 * rule 7). High-water marks (UIDNEXT, HIGHESTMODSEQ) only move in the
 * transaction that stores what they cover.
 */
#ifndef MAILMIRRORD_SYNC_H
#define MAILMIRRORD_SYNC_H

#include "imap4.h"
#include "mailmirrord/config.h"
#include "mailmirrord/loglimit.h"
#include "mailmirrord/seqview.h"
#include "mailmirrord/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Results, from the most local to the most global scope. */
enum sync_code {
	SYNC_OK = 0,
	SYNC_EMAILBOX = -1, /* this mailbox failed (NO on SELECT, ...):
	                       logged and recorded; go on with others */
	SYNC_ECONN = -2,    /* the connection is unusable: reconnect with
	                       back-off */
	SYNC_ESTORE = -3,   /* the cache failed: back off, retry */
	SYNC_ESTOP = -4,    /* a stop was requested */
};

struct sync_box {
	char *name; /* UTF-8 */
	char delimiter;
	int64_t id; /* row in mailboxes */
	bool noselect;
	bool has_children;   /* LIST said \HasChildren (sync_refused.c) */
	bool watched;        /* named by the idle setting */
	size_t watch_rank;   /* its place among the watched, 1 first
	                        (plan_watch_rank; account.c) */
	bool dirty;          /* NOTIFY said it changed: sync it soon */
	bool notified;       /* the last NOTIFY covers its changes
	                        (sync_notify) */
	bool bodies_checked; /* every cached message has its body (when
	                        bodies are configured) */
	bool unlisted;       /* the last LIST left it out, STATUS found it */
	/* Its UIDVALIDITY became one another mailbox had, cached up to this
	 * UIDNEXT (sync.c moved_epoch), or changed to one of its own with
	 * this UIDNEXT: below it is no new mail; 0: none */
	uint32_t moved_uidnext;
	bool shut;           /* its last look failed (EXAMINE or STATUS
	                        refused, a batch refused): news of it cannot
	                        reach the cache, so it is not live */
	/* The last UID FETCH the server answered NO to in part: how many
	 * asked, how many came (told once, sync.c) */
	size_t refused_asked, refused_got;
	bool flags_refused; /* its last flag listing was answered NO in part
	                       (told once, sync.c tell_partial_flags) */
	bool gone; /* deleted on the server since the LIST, and dropped from
	              the cache (sync_refused.c): nothing to ask of it */
	/* Its STATUS as a poll's LIST gave it (RFC 5819, sync_list_polled),
	 * for that poll alone, which takes it instead of a STATUS command;
	 * have 0: none given (or the mailbox was selected), and the poll
	 * asks. mailbox is NULL. */
	imap4_status_info listed;
};

/* Called with what a sync is doing, for sd_notify STATUS and `mailmirror
 * status`; done/total count messages of an initial fetch. */
typedef void sync_progress_fn(void *payload, const char *mailbox, uint32_t done,
                              uint32_t total);
/* Called as a pass over the account's mailboxes (sync_known, sync_all)
 * takes mailbox, the k-th (1 first) of the n of the pass, for sd_notify
 * STATUS: a first sync of thousands of small mailboxes, none of which
 * calls sync_progress_fn, showed nothing else for hours. */
typedef void sync_turn_fn(void *payload, const char *mailbox, size_t k,
                          size_t n);
/* Called before every blocking wait: the caller promises to be back within
 * ms (for the watchdog). */
typedef void sync_heartbeat_fn(void *payload, int ms);
/* New messages or bodies were committed; they wait for the full-text
 * indexer. */
typedef void sync_text_fn(void *payload);
/* rows left the full-text index (bodies trimmed, a mailbox dropped). */
typedef void sync_forgot_fn(void *payload, uint64_t rows);

/* How many times a pass looks again at a mailbox whose news came during
 * its last command (sync.c sync_mailbox). */
#define SYNC_NEWS_LOOKS 2

/* How many epochs the cache let go a session remembers (sync_let_go). */
#define SYNC_LET_GO_MAX 16

/* How long a view of sequence numbers (seqview.h) stands in for a
 * listing of every flag at the polls of its mailbox. */
#define SYNC_VIEW_RELIST_MS (30 * 60 * 1000)

struct sync_ctx {
	/* set by the caller */
	const struct conf_account *conf;
	struct store *store;
	imap4 *h;
	int64_t account_id;
	const atomic_bool *stop;
	bool live; /* new mail triggers on_new_mail */
	bool announce_known; /* so does, before live, new mail of a mailbox
	                        synced before (a worker a reload replaced) */
	sync_progress_fn *progress;
	sync_turn_fn *turn; /* may be NULL */
	sync_heartbeat_fn *heartbeat;
	sync_text_fn *text_stored;      /* may be NULL */
	sync_forgot_fn *text_forgotten; /* may be NULL */
	void *payload;
	/* Synced after the others by sync_known, so that it is still
	 * selected when it ends: the mailbox to watch, which needs no second
	 * look then. NULL: none. */
	const char *finish_with;

	/* state kept between calls */
	struct sync_box *boxes; /* the wanted mailboxes of the last LIST */
	size_t nboxes;
	const struct sync_box *selected; /* mailbox now selected */
	/* The mailbox open in the session, whether or not the sync trusts
	 * its state (selected): malloc'ed, NULL when none or not known
	 * (sync_opened) */
	char *open_name;
	/* Mailboxes a pass found equal to the server without writing
	 * anything: their last_sync is written by sync_mark_verified */
	int64_t *verified;
	size_t nverified, capverified;
	uint32_t sel_exists;             /* EXISTS as the server last said */
	uint32_t sel_expunges;   /* EXPUNGE and VANISHED seen: each one moves
	                            sequence numbers */
	uint32_t pass_expunges;  /* sel_expunges when the mailbox's pass
	                            began (sync.c listing_contradicted) */
	/* The last full UID listing of the selected mailbox: how many UIDs
	 * it held, of which mailbox (row id, 0: none), at which
	 * sel_expunges. A server may list, and then fetch, mail whose
	 * EXISTS it has not told yet (sync_fetch.c told_late). */
	uint32_t sel_listed;
	int64_t listed_box;
	uint32_t listed_expunges;
	bool sel_dirty;          /* the server reported a change that needs a
	                            resync (EXISTS, EXPUNGE, FETCH w/o UID) */
	/* Since the selected mailbox's EXAMINE, news came that did not land
	 * in place (an EXPUNGE or a FETCH without UID the view could not
	 * name, flags of a message not cached, a count that shrank, a write
	 * that failed), or a sync of it failed: only a new EXAMINE tells
	 * what changed. With CONDSTORE and no QRESYNC, a sync stays in place
	 * (sync_selected) only while it is clear. */
	bool sel_lost;
	/* Without CONDSTORE: the selected mailbox's sequence numbers and
	 * UIDs (seqview.h), which name the messages an EXPUNGE or a FETCH
	 * without UID tells of, and let new mail be fetched without a new
	 * EXAMINE and a listing of every flag. */
	struct seqview seq;
	/* When the view's flags were last all listed (mono_ms): a server
	 * SHOULD tell another client's flag changes (RFC 3501 5.2), not
	 * must, and one that does not is caught by a listing at the first
	 * poll past SYNC_VIEW_RELIST_MS. */
	int64_t seq_listed_ms;
	/* The view of a watched mailbox a poll left to examine the others,
	 * and its seq_listed_ms: taken back when its EXAMINE finds it as it
	 * held it, where a listing of every flag was made at every poll
	 * (explore79 F8: 4 MB a poll of a watched INBOX of 100,000). */
	struct seqview held;
	int64_t held_listed_ms;
	/* The next sync of a mailbox examines it again, if selected (a
	 * poll's look): without CONDSTORE, what the view holds is kept, and
	 * no flag listed, when the EXAMINE finds the mailbox as it holds
	 * it. Cleared by that sync. */
	bool reexamine;
	bool condstore, qresync; /* enabled on this connection */
	/* The selected mailbox answered its EXAMINE with NOMODSEQ (RFC
	 * 7162 3.1.2): it keeps no mod-sequences, and a MODSEQ or
	 * CHANGEDSINCE there is a BAD. It is mirrored as on a server
	 * without CONDSTORE. */
	bool sel_nomodseq;
	bool id_told;            /* ID sent on this connection (sync.c) */
	bool notify_lost; /* the server stopped NOTIFY (sync_notify_overflow)
	                     since sync_notify */
	/* A NOTIFY SET is in effect on this connection (sync_notify; cleared
	 * by sync_attach), or is held off (notify_held). */
	bool notify_on;
	/* NOTIFY NONE was sent before a FETCH of large bodies, which
	 * Dovecot's news would break (sync_notify_hold): the caller sets
	 * NOTIFY again, and catches up (sync_notify, sync_catch_up), before
	 * it waits for news. */
	bool notify_held;
	/* NOTIFY told of a mailbox created, renamed or deleted that concerns
	 * the mirror (sync_tree_news); the caller clears it as it reads the
	 * list again. */
	bool tree_news;
	/* The last LIST left out mailboxes that STATUS still found
	 * (sync_list): this session's lists are not to be trusted. */
	bool list_short;
	/* The server refused a LIST with RETURN (STATUS) it advertised
	 * (LIST-STATUS): this session lists plainly. */
	bool list_status_refused;
	/* The last plain LIST showed a special use (RFC 6154) of a wanted
	 * mailbox. */
	bool list_special_plain;
	/* Entries of the last LIST, unwanted ones too: what a LIST-STATUS
	 * would make the server look at (sync_list_polled). */
	size_t listed_n;
	/* The last ALERT told on this connection (sync_tell_alert), as
	 * logged: said again, it goes to debug level. */
	char alert[160];
	/* The most UIDs one FETCH asks for, 0 for the usual batch: halved
	 * each time a batch does not complete within the command timeout (a
	 * slow link), doubled back after quick ones. Kept across
	 * connections; batch_shrunk says it was lowered (the caller
	 * clears it). */
	size_t batch_cap;
	bool batch_shrunk;
	/* The piece of a body to ask for next when batch_cap is 1 and
	 * bodies come in pieces (sync_bodies_in_pieces); 0: not measured
	 * yet. Kept across connections, as batch_cap. */
	size_t piece;
	/* The bound of the header fields an envelope is read from, in a
	 * FETCH of new mail (meta_items); 0: IMAP4_ENVELOPE_FIELDS_MAX. Lowered
	 * when even one message's fields do not come within the command
	 * timeout (a header of 70 KB at 3 KB/s, explore49), raised again
	 * after quick ones; kept across connections, as batch_cap. */
	uint32_t fields_cap;
	/* Bodies that came in part when their connection dropped or their
	 * mailbox's turn ended: each goes on from where it was
	 * (sync_bodies.c). */
	struct piece_resume *resume;
	/* How long one mailbox's backfill of bodies may hold the connection
	 * before the others have their turn (set by the caller; 0: until it
	 * is done, as --once wants). A body coming in pieces over a slow
	 * link held the live INBOX for hours (explore49). */
	int64_t backfill_turn_ms;
	/* Mailboxes (rows) whose backfill's turn ended with bodies left
	 * (sync_bodies_owed_take), kept across lists and connections. */
	int64_t *owed;
	size_t nowed, capowed;
	/* Messages added to the cache, bodies and pieces of bodies stored
	 * since the caller last set it to 0, written under store_lock (the
	 * caller reads it between sync calls): whether a connection
	 * moved the mirror on before it ended (the worker's back-off starts
	 * again after one that did). Flags, expunges and a trim are no such
	 * progress. */
	uint64_t stored;
	bool store_failed; /* a write of unsolicited news failed on this
	                      connection: the rest is not tried (a full disk
	                      would fail, and be logged, once per line) */
	bool store_full; /* the last SYNC_ESTORE was the disk full (set by
	                    sync_fail_store, cleared by sync_attach): no
	                    retry can store anything until there is room */
	/* Flag changes the cache refused since the mailbox's pass began (or
	 * its last listing of every flag), their MODSEQ below the row's
	 * (STORE_ESTALE): until such a listing, its HIGHESTMODSEQ is written
	 * as 0. stale_why tells the first. Written under store_lock (a
	 * batch writer thread commits too). */
	size_t nstale;
	char stale_why[128];
	/* The last flag change told while selected and written alone (its
	 * mailbox's row id, UID, MODSEQ, flags; news_flags NULL: none), until
	 * any other write (sync_news_write). Under store_lock. */
	int64_t news_box;
	uint32_t news_uid;
	uint64_t news_modseq;
	char *news_flags;
	/* Held by every cache transaction of the sync engine: a batch writer
	 * thread shares the store (sync_writer.c). Initialise it with
	 * PTHREAD_MUTEX_INITIALIZER. */
	pthread_mutex_t store_lock;
	bool writer_active;
	char **known_done; /* names sync_known brought up to date */
	size_t nknown_done;
	bool quiet;    /* mailbox errors are expected (sync_known) */
	char err[512]; /* what failed, for the log */
	/* The last failure sync_fail_imap described was a NO whose words
	 * say the mailbox was deleted (sync_says_deleted): Dovecot 2.3's
	 * answer, to any command, while another client's DELETE of it is
	 * under way. Its mailbox is then listed again (sync_refused.c). */
	bool said_deleted;
	/* The server ended this connection with a BYE that says a mailbox
	 * was deleted or asks for a new login (sync_bye_asks_relogin): a
	 * new session, whose LIST no longer has the mailbox, is the way
	 * on, and no failure (the caller reconnects at once, --once too).
	 * Set by sync_fail_imap; the caller clears it before it
	 * connects. */
	bool bye_relogin;
	/* The mailbox's messages the server would not give in this pass,
	 * for `mailmirror status` ("" for none) */
	char partial[256];
	/* The mailbox errors of this pass (sync_poll, sync_all) logged as
	 * warnings; past a few, at debug level, and counted in one line. */
	struct loglimit mbox_errors;
	/* The mailboxes this pass found gone since its LIST (sync_refused.c)
	 * and dropped, told as the LIST's drops are. */
	struct loglimit gone_told;
	/* The mailboxes whose failure was a warning in this daemon's run: a
	 * mailbox that fails again, with an error recorded still, is told
	 * at info level (a revoked ACL warned twice at every poll, for
	 * good: explore70). Kept across connections. */
	int64_t *errors_told;
	size_t nerrors_told, caperrors_told;
	int64_t refused_told_at; /* the last warning of news refused
	                            (sync_apply_unsolicited), or 0 */
	int64_t stale_told_at;   /* the last notice of news whose MODSEQ
	                            went back, or 0 */
	/* The mailboxes whose unreadable HIGHESTMODSEQ the log told of on
	 * this connection (sync.c): once each, not at every pass. */
	int64_t *modseq_told;
	size_t nmodseq_told, capmodseq_told;
	/* An EXAMINE left UIDVALIDITY out, and the log said so (once). */
	bool told_status_uidvalidity;
	/* The last epochs the cache let go (a mailbox dropped, an epoch
	 * replaced), a ring: one that comes back under a name is a mailbox
	 * renamed there, whose messages below the UIDNEXT cached are no new
	 * mail (sync_let_go). */
	struct {
		uint32_t uidvalidity, uidnext;
	} let_go[SYNC_LET_GO_MAX];
	size_t n_let_go;
};

/* Remembers that the cache let go of a mailbox's epoch uidvalidity, whose
 * messages it held up to uidnext. */
void sync_let_go(struct sync_ctx *c, uint32_t uidvalidity, uint32_t uidnext);

/* Prepares c for a new connection h (ENABLE CONDSTORE/QRESYNC when offered)
 * and installs the handler of unsolicited responses. */
int sync_attach(struct sync_ctx *c, imap4 *h);

/* Frees the mailbox list; c can be attached again. */
void sync_clear(struct sync_ctx *c);
/* Frees all c holds, when its account's thread ends. */
void sync_end(struct sync_ctx *c);

/* Writes the time of now as the last_sync of the mailboxes a pass found
 * unchanged (mailmirror status shows when each was last known equal to
 * the server), in the caller's transaction if one is open: with the
 * account's last write, not one commit each. A mailbox dropped since it
 * was found unchanged is skipped. SYNC_OK or SYNC_ESTORE. */
int sync_mark_verified(struct sync_ctx *c);

/* LIST: records the wanted mailboxes, drops from the cache those the server
 * no longer has (renames keep their messages), fills c->boxes. A cached
 * mailbox the LIST leaves out but STATUS finds is kept, and list_short
 * set. */
int sync_list(struct sync_ctx *c);

/* sync_list for sync_poll(c, skip, pushed_too) right after: where the
 * server has LIST-STATUS (RFC 5819) and CONDSTORE, and the poll would
 * send STATUS to one in four of the mailboxes the LIST shows at least,
 * the LIST asks their STATUS too (sync_box.listed), and the poll sends
 * STATUS only where it gave none. Fewer (NOTIFY pushes the others, or the
 * account mirrors a few of many mailboxes): a plain LIST, as sync_list. */
int sync_list_polled(struct sync_ctx *c, const struct sync_box *skip,
                     bool pushed_too);

/* Syncs the mailboxes the cache already holds, before any LIST (INBOX and
 * the watched ones first, finish_with last): a server
 * may reopen a mailbox far faster as the first command of a session than
 * after a LIST (Dovecot with a large Maildir: 0.5 ms against over 100 ms).
 * A mailbox that fails here (deleted or renamed meanwhile) is left quietly
 * to sync_list; sync_all then skips the ones done. SYNC_OK, or the first
 * error of a wider scope than one mailbox. */
int sync_known(struct sync_ctx *c);

/* Frees what sync_known remembered (after sync_all). */
void sync_forget_known(struct sync_ctx *c);

/* SELECTs b and brings it up to date. b stays selected afterwards. */
int sync_mailbox(struct sync_ctx *c, const struct sync_box *b);

/* true when the mailbox with row id mailbox is owed bodies (its backfill's
 * turn ended with some left), which the caller's sync of it soon goes on
 * with: it is owed no longer unless that turn ends with some left too (a
 * mailbox that fails is not tried again and again). */
bool sync_bodies_owed_take(struct sync_ctx *c, int64_t mailbox);
/* true when some mailbox of the list is owed bodies; forgets the ones the
 * list no longer has. */
bool sync_bodies_owed_any(struct sync_ctx *c);

/* STATUS of every wanted mailbox except skip (may be NULL); syncs those
 * that changed since the cache's state. Unless pushed_too, leaves out the
 * ones NOTIFY pushes now (with CONDSTORE: notified, NOTIFY on and not
 * held off, not dirty nor shut): only the caller knows whether it reads
 * their news (it waits on the connection) and when a look at them all is
 * due again. */
int sync_poll(struct sync_ctx *c, const struct sync_box *skip, bool pushed_too);

/* After NOTIFY SET: STATUS of every watched mailbox it covers but skip,
 * and dirty those the cache is behind on. News that came after a
 * mailbox's sync and before the SET took effect is told by no one else:
 * it would wait for the next poll. (Without CONDSTORE a flag change in
 * that moment still does.) */
int sync_catch_up(struct sync_ctx *c, const struct sync_box *skip);

/* Every wanted mailbox sync_known did not bring up to date (the initial
 * sync, --once): INBOX first, then the watched ones (idle, in its order),
 * then the rest in LIST order (plan_sync_order). A mailbox that fails is
 * logged and skipped; the worst other code is returned. */
int sync_all(struct sync_ctx *c);

/* Takes out of the cache the bodies, or their text, of the account's
 * messages that a lower bodies setting no longer keeps, in steps (no
 * IMAP). SYNC_OK, SYNC_ESTOP or SYNC_ESTORE with c->err. */
int sync_trim_bodies(struct sync_ctx *c);

/* The box named name (INBOX case-insensitive) in c->boxes, or NULL. */
struct sync_box *sync_find(const struct sync_ctx *c, const char *name);

/* Asks the server (RFC 5465 NOTIFY) to report changes of every watched box
 * while we idle: the selected one in full, the others as STATUS. Past what
 * a server lets a NOTIFY name, or when it refuses the names, the personal
 * namespaces are asked for as a whole, and the watched boxes of other
 * namespaces (NAMESPACE, RFC 2342) by name or by their namespace's
 * subtree. It also asks for MailboxName: creates, renames and deletes
 * come as LIST (sync_tree_news). Sets each box's notified to whether the
 * NOTIFY the server took covers it (a box it does not is polled). 0, or
 * SYNC_EMAILBOX when the server refused every form (the caller then
 * polls them), or SYNC_ECONN. Clears notify_lost and notify_held. */
int sync_notify(struct sync_ctx *c);

/* A LIST that no command asked for: NOTIFY's news of a mailbox created,
 * renamed (OLDNAME) or deleted (\NonExistent). Sets tree_news when it
 * concerns a mirrored box or a name the mailboxes setting wants (or when
 * it does not parse: the next LIST tells). Allocates nothing, and once
 * tree_news is set looks at nothing: a flood costs no memory. 1 when it
 * set tree_news, else 0. */
int sync_tree_news(struct sync_ctx *c, const imap4_resp *resp);

/* Whether resp is "* OK [NOTIFICATIONOVERFLOW]": the server has stopped
 * sending notifications, and changes since may never be told. */
bool sync_notify_overflow(const imap4_resp *resp);

/* Applies one unsolicited response about the selected mailbox now, in a
 * short transaction: FETCH with UID and FLAGS, VANISHED. Others mark the
 * mailbox dirty, a STATUS (NOTIFY's news of another mailbox) marks that
 * box dirty, a LIST goes to sync_tree_news, and a NOTIFICATIONOVERFLOW
 * sets notify_lost. News the server
 * contradicts itself in (a FETCH above EXISTS, a VANISHED that does not
 * parse) is not applied, and is logged: the mailbox is selected again. So
 * is a flag change with a MODSEQ below the cached one, which the cache
 * refuses (the new SELECT lists every flag). Returns 1 when a resync is
 * needed (or the mailbox list must be read again), 0, or < 0:
 * SYNC_ESTORE once, then store_failed is set and the news that follows only
 * marks the mailbox dirty. */
int sync_apply_unsolicited(struct sync_ctx *c, const imap4_resp *resp);

#endif
