/* sync_internal.h - what the files of the sync engine share.
 *
 * sync.c runs a mailbox's sync; sync_fetch.c takes the FETCH responses;
 * sync_uids.c asks for and batches UID sets;
 * sync_bodies.c fetches the bodies the cache lacks; sync_cut.c keeps
 * the start of a body sent larger than asked for;
 * sync_write.c turns converted responses into short transactions;
 * sync_list.c reconciles the mailbox list; sync_notify.c asks for NOTIFY;
 * sync_tree.c reads its news of mailboxes created, renamed or deleted.
 * Nothing here is for other modules: they use sync.h.
 */
#ifndef MAILMIRRORD_SYNC_INTERNAL_H
#define MAILMIRRORD_SYNC_INTERNAL_H

#include "mailmirrord/convert.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/sync.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/* ---- errors: fill c->err and say how far the failure reaches */

/* An IMAP failure: SYNC_EMAILBOX for a NO or an error-class code,
 * SYNC_ECONN when the connection is gone. */
int sync_fail_imap(struct sync_ctx *c, const char *what, int rc);
/* Whether a server's text (NULL: none) says a mailbox was deleted, in
 * Dovecot 2.3's words: "Mailbox was deleted under us" (a NO, or a BYE
 * "FETCH failed: ..."), "Selected mailbox was deleted, have to
 * disconnect." (a BYE). No response code tells it (RFC 5530 has none
 * for a mailbox deleted while in use). */
bool sync_says_deleted(const char *text);
/* Whether the last command's failure irc is the server's word that the
 * mailbox does not exist: a NO with [NONEXISTENT] (RFC 5530), or a NO
 * without a response code (Dovecot's "Mailbox doesn't exist"). A BAD, a
 * NO whose code names another trouble ([UNAVAILABLE], [SERVERBUG],
 * [LIMIT], [INUSE], [NOPERM] ...) or a failure of the connection is
 * not: the mailbox may be there still. */
bool sync_no_says_gone(const struct sync_ctx *c, int irc);
/* Whether the text of a BYE says a mailbox was deleted, or asks for a
 * new login (Dovecot once a session's selected mailbox went: "IMAP
 * session state is inconsistent, please relogin."). */
bool sync_bye_asks_relogin(const char *text);
/* Whether a command's failure irc is the connection's end (a reset, a
 * close, a BYE) rather than the server's data or the clock: what came
 * whole before it is the server's word. */
bool sync_connection_lost(int irc);
/* The handler of untagged responses no command asked for (installed by
 * sync_attach): sync_apply_unsolicited, its failure logged. For a command
 * that sees every response (UID SEARCH), to pass on what is not its own:
 * an EXISTS kept as the command's data would leave c->sel_exists behind. */
int sync_on_unsolicited(void *payload, const imap4_resp *resp);
/* A NO (or another failure, irc) to what ("SELECT" or "STATUS") of b,
 * which the last LIST named. A mailbox the server lists but says does not
 * exist (sync_refused.c tells how it knows) holds no mail a client can
 * see: its cached messages are dropped and it is SYNC_OK. Else c->err is
 * filled and the code of sync_fail_imap returned. */
int sync_refused(struct sync_ctx *c, const struct sync_box *b, const char *what,
                 int irc);
/* b's sync failed (rc, c->err) on a NO that said the mailbox was deleted
 * (c->said_deleted), after it opened: b is listed again, and dropped as
 * gone when LIST no longer names it (SYNC_OK); else rc, c->err saying
 * the server still lists it, or a failure of the LIST (SYNC_ECONN ...). */
int sync_refused_midway(struct sync_ctx *c, const struct sync_box *b, int rc);
/* Drops the stored mailbox id (name, in state *st), which the server no
 * longer has: its row and messages go, its epoch is let go (a rename
 * found later announces nothing old), and a notice says so, within the
 * limit told. SYNC_OK or SYNC_ESTORE. */
int sync_drop_gone(struct sync_ctx *c, int64_t id, const char *name,
                   const struct store_mailbox_state *st, struct loglimit *told);
/* Ends the pass's count of mailbox errors: the ones past the first few
 * (logged at debug level) are told in one warning. */
void sync_tell_errors(struct sync_ctx *c);
/* A cache failure: rolls back, SYNC_ESTORE. */
int sync_fail_store(struct sync_ctx *c, const char *what);
/* After an EXAMINE of name: it is open when rc is IMAP4_OK, and nothing
 * is when not (RFC 3501 6.3.1: a failed SELECT closes the mailbox open). */
void sync_opened(struct sync_ctx *c, const char *name, int rc);
/* STATUS of name: imap4_status's answer. The mailbox open in the session
 * is closed first when it is name, or is not known: Dovecot answers
 * a STATUS of the selected mailbox from the session's view, which only a
 * NOOP brings up to date ("[CLIENTBUG] Status on selected mailbox"): a
 * poll saw no new mail, and a deleted mailbox was still there. */
int sync_status(struct sync_ctx *c, const char *name, const char *items);
/* The last command's STATUS answer about name, which servers may send
 * beside others (NOTIFY's, unasked ones): true with *out filled, else
 * false with *out zeroed. Taken by position, a STATUS of another mailbox
 * before it hid the polled mailbox's new mail. */
bool sync_status_of(const struct sync_ctx *c, const char *name,
                    imap4_status_info *out);
bool sync_stopping(const struct sync_ctx *c);
/* How many mailboxes sync_poll(c, skip, pushed_too) would look at now. */
size_t sync_poll_count(const struct sync_ctx *c, const struct sync_box *skip,
                       bool pushed_too);
/* Tells the watchdog we are about to wait for the server. */
void sync_beat(struct sync_ctx *c);

/* ---- NOTIFY (sync_notify.c) */

/* Before a FETCH whose bodies bring bytes (UINT64_MAX: not known): past
 * what a server's socket takes at once, with NOTIFY on, NOTIFY NONE, so
 * that no news lands inside them, and notify_held set (sync.h). SYNC_OK
 * (also when the server refuses it: the FETCH goes on as before) or
 * SYNC_ECONN. */
int sync_notify_hold(struct sync_ctx *c, uint64_t bytes);

/* ---- UID ranges (sync_uids.c) */

struct ranges {
	struct plan_range *v;
	size_t n, cap;
	uint64_t total; /* UIDs covered */
	uint64_t limit; /* more than this is a lie of the server */
	bool over;
};

/* Adds lo..hi; -1 when out of memory or past r->limit (then r->over). */
int sync_ranges_add(struct ranges *r, uint32_t lo, uint32_t hi);
/* Sorts and merges, so plan_uid_gone can walk it. */
void sync_ranges_normalise(struct ranges *r);
/* Whether uid is in r (normalised). */
bool sync_ranges_has(const struct ranges *r, uint32_t uid);
/* UID SEARCH for the UIDs from min_uid upwards, into out (normalised).
 * An OK without a SEARCH or ESEARCH, or with another command's ESEARCH,
 * is SYNC_EMAILBOX, never an empty set. */
int sync_uid_search(struct sync_ctx *c, struct ranges *out, uint32_t min_uid);
/* How many UIDs of r (normalised) are above uid. */
uint64_t sync_ranges_above(const struct ranges *r, uint32_t uid);
/* The same with their sizes, in the one round trip of a UID FETCH of
 * RFC822.SIZE: *bytes is what their bodies, as configured, bring at most
 * (each RFC822.SIZE up to the cap). Other FETCH news that comes with it
 * goes to sync_on_unsolicited. An OK without any FETCH while the mailbox
 * holds messages is SYNC_EMAILBOX, never "nothing new". */
int sync_uid_sizes(struct sync_ctx *c, struct ranges *out, uint64_t *bytes,
                   uint32_t min_uid);
/* The next at most max UIDs of r from position (*ri, *next) as a set
 * ("a:b,c") in a malloc'ed *out; *last is its highest UID, *count its
 * size. -1 when out of memory. */
int sync_batch_set(char **out, uint32_t *last, size_t *count,
                   const struct ranges *r, size_t *ri, uint32_t *next,
                   size_t max);

/* ---- the FETCH responses of a sync (sync_fetch.c) */

/* What the callbacks know of the command they answer. */
/* ---- a body section larger than asked for (sync_cut.c) */

/* The first cap bytes of the body literal that came past the connection's
 * limit (a server that ignored the partial fetch), the rest dropped. */
struct body_cut {
	uint64_t cap;          /* bytes kept of one literal: max_body_size */
	struct imap4_buf kept; /* of the last such literal */
	uint32_t seq;          /* its FETCH's message number; 0: none */
	uint64_t total;        /* its size */
	bool cut;              /* sync_cut_msg handed on less than came */
	int64_t whole_len;     /* of what it handed on, the length of the
	                          whole message when the literal was it;
	                          -1: not known */
	int failed;            /* a literal refused: IMAP4_ELIMIT or
	                          IMAP4_ENOMEM, why says of what */
	char why[96];
	imap4_section section; /* what sync_cut_msg hands on */
};

/* Sets bc as c->h's literal sink for the FETCH of bodies that follows
 * (not from a callback: imap4_set_literal_sink); sync_cut_end takes it
 * off again and frees what it kept. */
void sync_cut_begin(struct sync_ctx *c, struct body_cut *bc, uint64_t cap);
void sync_cut_end(struct sync_ctx *c, struct body_cut *bc);
/* The sink (imap4_literal_sink): keeps the start of a body section's
 * literal, refuses any other. */
int sync_cut_sink(void *payload, const struct imap4_literal_info *info,
                  const void *data, size_t len);
/* msg, or, when its body section went to bc (bc may be NULL), a copy of
 * it in *out whose first section is that body's start; with as_partial,
 * one that was cut is marked as the partial answer <0.cap> (origin 0).
 * Valid until the next call with bc. */
const imap4_msg *sync_cut_msg(struct body_cut *bc, const imap4_msg *msg,
                              imap4_msg *out, bool as_partial);
/* The length of the message when msg (as sync_cut_msg handed it on; bc
 * may be NULL) carries all of it in its body section, asked for as
 * <0.cap>: a literal sent from the start and shorter or longer than cap,
 * or sent whole to the sink. -1 when it may be only the start (cap bytes
 * of a partial answer), or msg carries no body, or an empty one for an
 * RFC822.SIZE that is not 0. */
int64_t sync_cut_whole_len(const struct body_cut *bc, const imap4_msg *msg,
                           uint64_t cap);

struct fetch_ctx {
	struct sync_ctx *c;
	const struct sync_box *b;
	struct pending *p;
	bool metadata;   /* rows wanted, not only flags */
	uint32_t lo, hi; /* the UIDs asked for lie within (metadata) */
	/* and are those of asked from batch_lo on (metadata; may be NULL) */
	const struct ranges *asked;
	uint32_t batch_lo;
	/* asked as "lo:*": an answer below lo is the last message, which
	 * RFC 3501 6.4.8 lets "*" name when lo is past every UID */
	bool star;
	uint32_t last_seq; /* of the last row, 0 before the first */
	uint32_t last_uid;
	uint32_t top_uid;  /* the highest UID of a row so far */
	uint32_t expunges; /* c->sel_expunges at the last row */
	/* The last FETCH with a UID, of any kind: the message a FETCH of
	 * the same number without UID names. */
	uint32_t seen_seq, seen_uid, seen_expunges;
	/* Rows that came without a UID, of a number no FETCH with a UID
	 * named in the command, skipped; and the first one's number */
	size_t nuidless;
	uint32_t uidless_seq;
	/* The messages asked for that came without a header so far */
	struct bare_part *bare;
	size_t nbare, capbare;
	size_t bare_bytes; /* their flags' */
	/* A listing of every flag: the UIDs listed, as they come (NULL
	 * otherwise). A batch of flags written early leaves p. */
	struct ranges *listing;
	/* Rows whose INTERNALDATE or RFC822.SIZE the server garbled or left
	 * out, and the first of them */
	size_t nundated;
	uint32_t undated_uid;
	size_t nrows;     /* rows that came (metadata) */
	size_t nnil;      /* of them, with their header sent as NIL */
	uint32_t nil_uid; /* the first of those */
	size_t rows_from; /* of f->p's rows, the first not yet counted for
	                     nundated */
	struct body_cut *cut; /* a FETCH of bodies: its sink, or NULL */
	/* New mail asked for the first time: the UIDs of the rows that
	 * lack an item asked for (INTERNALDATE, RFC822.SIZE, FLAGS, the
	 * header), left out of the batch to be asked for once more
	 * (sync_fetch_leave_out); NULL: rows are kept as they came. */
	struct ranges *left;
	uint32_t written_top; /* the highest UID of the rows written early */
	/* Rows whose RFC822.SIZE was not the length of the whole message
	 * their body section brought, and the first of them */
	size_t nresized;
	uint32_t resized_uid;
};

struct bare_part {
	uint32_t uid;
	int64_t size, internaldate; /* -1, STORE_NO_TIME: not told */
	uint64_t modseq;
	char *flags; /* NULL: not told */
};

/* imap4_fetch_each's callback: rows into f->p (metadata), flag changes
 * otherwise; a protocol break fails the batch (f->p->failed, why). */
int sync_on_fetch(void *payload, const imap4_msg *msg, const imap4_resp *resp);
/* The untagged data of a SELECT (QRESYNC: VANISHED and FETCH) into f->p;
 * 1 for what is not its own. */
int sync_on_select_data(void *payload, const imap4_resp *resp);
/* After the command: when it is complete (answered OK, or NO in part and
 * taken so), rows without a date or size are logged, and with keep_bare
 * the messages that came without a header become rows of f->p without an
 * envelope (logged); frees what f holds. 0, or -1 out of memory. */
int sync_fetch_done(struct fetch_ctx *f, bool complete, bool keep_bare);
/* With f->left: takes the rows of f->p that lack an item asked for out of
 * it, and, when the command is complete, the messages whose header never
 * came (their parts are forgotten); their UIDs go to f->left. Before
 * sync_fetch_top. 0, or -1 out of memory. */
int sync_fetch_leave_out(struct fetch_ctx *f, bool complete);
/* The highest UID of the batch that came as a row, or without its header
 * when such messages are kept (keep_bare); 0 for none. Before
 * sync_fetch_done. */
uint32_t sync_fetch_top(const struct fetch_ctx *f, bool keep_bare);
/* The server said the command's messages were partly expunged as they
 * were fetched (RFC 5530 EXPUNGEISSUED): the rows that came without their
 * header are of those, and are not cached. Before sync_fetch_done. */
void sync_fetch_forget_headerless(struct fetch_ctx *f);

/* ---- pending writes (sync_write.c) */

struct flag_change {
	uint32_t uid;
	uint64_t modseq;
	char *flags;
};

struct pending {
	struct conv_msg *rows;
	size_t nrows, caprows;
	struct flag_change *flags;
	size_t nflags, capflags;
	struct ranges gone; /* VANISHED */
	size_t bytes;
	struct imap4_arena *scratch; /* envelopes made from headers (conv_msg),
	                                made with the first row */
	bool want_reset; /* store_mailbox_reset in the next write */
	uint32_t reset_uidvalidity;
	bool forget_modseqs; /* the rows' MODSEQs go to 0 in the next write
	                        with the mailbox's state (sync_pending_commit
	                        with st): it has none now (NOMODSEQ) */
	int failed; /* IMAP4_E code from a callback */
	char why[96]; /* with failed IMAP4_EPROTO: what the server did */
	bool dirty;   /* a change we cannot apply in place */
	bool listed;  /* the flags are a listing of every flag: taken even
	                 with a MODSEQ below the cached one */
	size_t stale; /* flag changes refused for such a MODSEQ (set by the
	                 commit, see sync_ctx.nstale) */
	size_t unknown; /* flag changes of messages not cached (set by the
	                   write) */
	size_t nbodies; /* of the rows, with a body (set by the commit) */
	uint32_t new_from; /* rows from this UID on are new mail, for
	                      on_new_mail (the UIDNEXT cached before) */
	bool epoch_known;  /* the mailbox was synced before in this epoch
	                      (not a first sync, nor a new UIDVALIDITY's) */
	uint64_t body_cap; /* of a row's FETCH, the most of a body asked
	                      for; 0: no body (conv_msg) */
};

/* Rows of a batch beyond this many bytes (bodies included) are written
 * early. */
#define ROWS_MAX_BYTES (8u << 20)

void sync_pending_drop(struct pending *p);
void sync_pending_free(struct pending *p);
/* Converts msg into a row / a flag change kept in p: the number of its
 * keywords left out past STORE_FLAGS_MAX (usually 0), or -1 out of
 * memory. */
int sync_pending_row(struct pending *p, const imap4_msg *msg);
int sync_pending_flags(struct pending *p, const imap4_msg *msg);
/* Takes the rows without an envelope out of p: how many. */
size_t sync_pending_forget_headerless(struct pending *p);
/* What a later FETCH of a message whose row p holds tells of its size,
 * INTERNALDATE and MODSEQ, where the row lacks them (a server may split a
 * message's items over several FETCH responses, RFC 3501 7.4.2): whether
 * p holds the row. */
bool sync_pending_fill(struct pending *p, const imap4_msg *msg);
/* A row of uid without an envelope, of what the server told of it (flags
 * NULL, size -1, internaldate STORE_NO_TIME, modseq 0: not told). 0, or
 * -1 out of memory. */
int sync_pending_bare_row(struct pending *p, uint32_t uid, const char *flags,
                          int64_t size, int64_t internaldate, uint64_t modseq);
/* Writes what is pending, and st (when not NULL) with it, in one
 * transaction; the rows stay in p. The mailbox's counts are refreshed
 * when rows or flags changed (st's counts are not written). A flag change
 * whose MODSEQ went back (unless p->listed) is not written: it counts in
 * p->stale and c->nstale, and while c->nstale is not 0 the mailbox's
 * HIGHESTMODSEQ is written as 0, so that the next pass lists every flag
 * even if this one does not get to it. */
int sync_pending_commit(struct sync_ctx *c, const struct sync_box *b,
                        struct pending *p,
                        const struct store_mailbox_state *st);
/* The same for news told while the mailbox is selected, without marks:
 * one flag change equal to the news written last, with no other write
 * since, is not written again (a server that repeats a message's flags
 * line after line, explore79's flood of 200,000, cost a transaction
 * each). Drops p when it succeeds. */
int sync_news_write(struct sync_ctx *c, const struct sync_box *b,
                    struct pending *p);
/* The same, then drops what was written. */
int sync_pending_write(struct sync_ctx *c, const struct sync_box *b,
                       struct pending *p, const struct store_mailbox_state *st);

/* ---- the batch writer (sync_writer.c) */

struct sync_writer;
/* A thread that commits batches for b; -1 when it cannot start (the
 * caller then commits in its own thread). */
int sync_writer_start(struct sync_writer **out, struct sync_ctx *c,
                      const struct sync_box *b);
/* Waits for the previous batch (its failure is returned and nothing is
 * handed over), then gives the writer p with its high-water marks st and
 * the progress to show; p comes back empty. */
int sync_writer_put(struct sync_writer *w, struct pending *p,
                    const struct store_mailbox_state *st, uint32_t done,
                    uint32_t total);
/* The result of the batch in progress, once committed. */
int sync_writer_wait(struct sync_writer *w);
/* Waits, ends the thread, frees; the last batch's result. */
int sync_writer_stop(struct sync_writer **w);

/* The order a pass (sync_known, sync_all) takes c->boxes in
 * (plan_sync_order), malloc'ed, c->nboxes turns; with finish_last,
 * c->finish_with (INBOX in any case, RFC 3501 5.1) after all the others,
 * so that it is still selected when the pass ends. Sets each box's
 * watched and watch_rank. NULL (c->err said) when out of memory. */
struct plan_turn *sync_order(struct sync_ctx *c, bool finish_last);

/* Messages or bodies were committed: tells the indexer (c->text_stored). */
void sync_text_stored(struct sync_ctx *c);
/* rows left the full-text index: tells c->text_forgotten. */
void sync_text_forgotten(struct sync_ctx *c, uint64_t rows);

/* ---- bodies (sync_bodies.c) */

/* The body section a FETCH asks for with bodies configured (" BODY.PEEK[]
 * <0.cap>"), or "". A partial fetch bounds what one message can make us
 * hold. buf holds it when it is built. */
const char *sync_body_item(const struct sync_ctx *c, char *buf, size_t len);
/* The bytes the body item of a message of size bytes (-1: not known)
 * brings, at most: its RFC822.SIZE up to max_body_size, and with bodies
 * = "headers" what a header takes (SYNC_HEADER_GUESS) at most, not the
 * whole message. For sync_notify_hold. */
#define SYNC_HEADER_GUESS (8u << 10)
uint64_t sync_body_guess(const struct conf_account *a, int64_t size);
/* Messages per UID FETCH batch: fewer with full bodies. */
size_t sync_batch_of(const struct sync_ctx *c);

/* Whether the link is too slow for one message's body in a FETCH
 * (batch_cap 1, bodies configured): new mail comes without it, and the
 * backfill fetches each body in pieces of its own. */
bool sync_bodies_in_pieces(const struct sync_ctx *c);

/* A FETCH of count UIDs of b ended with irc after ms; came is what the
 * server sent meanwhile, in bytes, and got the messages of it that came
 * whole. One that timed out while bytes came shrinks the batch to half
 * of got, half of count at most (a link too slow for the command timeout
 * would otherwise fetch the same batch again at every try; a server that
 * sends nothing is no slow link; halving alone took eight timeouts to
 * come down from a batch of 250 bodies to one), and a single message's
 * makes the bodies come in pieces (sync_bodies_in_pieces), as does a
 * connection lost before one message came whole; one that took less than
 * a quarter of the timeout doubles it back. */
void sync_batch_adapt(struct sync_ctx *c, const struct sync_box *b,
                      size_t count, size_t got, uint64_t came, int irc,
                      int64_t ms);

/* The piece of a body to ask for next on a link that brought bytes in ms:
 * one that takes a quarter of the command timeout at that rate, within
 * bounds (sync_bodies.c). */
size_t sync_piece_size(const struct sync_ctx *c, uint64_t bytes, int64_t ms);

/* The same on a link that the connection's loss cut after bytes came in
 * ms: half of them at most, so that a piece comes before the next cut. */
size_t sync_piece_before_cut(const struct sync_ctx *c, uint64_t bytes,
                             int64_t ms);

/* Lets go of a body kept to go on with in pieces (sync_end). */
void sync_bodies_forget(struct sync_ctx *c);
/* Fetches and stores, as configured, the bodies of b's cached messages
 * from min_uid up that lack one, or whose text a lower max_body_size cut
 * short, within a turn (sync_ctx.backfill_turn_ms): *owed when it ended
 * with some left. SYNC_OK or a SYNC_E* with c->err. */
int sync_backfill_bodies(struct sync_ctx *c, const struct sync_box *b,
                         uint32_t min_uid, bool *owed);

/* on_new_mail for the rows of p (live mode only). */
void sync_run_hooks(struct sync_ctx *c, const struct sync_box *b,
                    const struct pending *p);

#endif
