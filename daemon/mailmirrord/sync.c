/* sync.c - per-mailbox synchronisation; see sync.h for the contract. */
#include "mailmirrord/sync.h"

#include "mailmirrord/sync_internal.h"
#include "mailmirrord/hook.h"
#include "mailmirrord/log.h"
#include "mailmirrord/secret_echo.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/plan.h"
#include "util/arena.h"
#include "util/buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* UIDs fetched per command: each batch is one transaction, so a kill loses
 * at most one batch of work, and the progress shown moves in steps. With
 * whole bodies a batch is smaller, so that two of them (one fetched, one
 * being written) stay a few megabytes. */
/* How often refused news of a mailbox is a warning (else info). */
#define REFUSED_TELL_MS ((int64_t)10 * 60 * 1000)

/* Whether news last told at *at (0: never) is told at its level again
 * now, else at info level: a server that repeats it at every IDLE said
 * it dozens of times a minute (explore50). */
static bool tell_again(int64_t *at)
{
	int64_t now = mono_ms();
	if (*at && now - *at < REFUSED_TELL_MS)
		return false;
	*at = now;
	return true;
}

#define BATCH      2000
#define BODY_BATCH 250

/* RFC 3501 7.1: the text of an ALERT "MUST be presented to the user": a
 * warning (explore57: a quota alert at IDLE, a maintenance notice in a
 * FETCH, were heard at -vv alone). The same text again on the connection,
 * as a server may say it at every SELECT, goes to debug level. */
static void tell_alert(struct sync_ctx *c, const imap4_resp *resp)
{
	if (!resp || !resp->code || strcmp(resp->code, "ALERT") != 0)
		return;
	const char *said = resp->text ? resp->text : "";
	char text[sizeof(c->alert)];
	log_sanitize(text, sizeof(text), said, strlen(said));
	bool again = strcmp(text, c->alert) == 0;
	memcpy(c->alert, text, sizeof(text));
	log_msg(again ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING, c->conf->name,
	        c->selected ? c->selected->name : NULL,
	        "the server's alert: %s", text);
}

/* The ALERTs the last command kept, its completion's among them. */
static void tell_alerts_kept(struct sync_ctx *c)
{
	size_t n = imap4_data_count(c->h);
	for (size_t i = 0; i < n; i++)
		tell_alert(c, imap4_data_at(c->h, i));
	tell_alert(c, imap4_completion(c->h));
}

/* Deletes the row of uid, which an EXPUNGE named through the view: true
 * when it went; else the view is dropped, and the caller resyncs. */
static bool expunge_in_place(struct sync_ctx *c, const struct sync_box *b,
                             uint32_t uid)
{
	if (c->store_failed) {
		seqview_untrust(&c->seq);
		return false;
	}
	struct pending p = {0};
	int w = sync_ranges_add(&p.gone, uid, uid) == 0
	                ? sync_pending_write(c, b, &p, NULL)
	                : SYNC_ESTORE;
	sync_pending_free(&p);
	if (w == SYNC_OK)
		return true;
	c->store_failed = w == SYNC_ESTORE;
	seqview_untrust(&c->seq);
	return false;
}

int sync_apply_unsolicited(struct sync_ctx *c, const imap4_resp *resp)
{
	tell_alert(c, resp);
	if (sync_notify_overflow(resp)) {
		c->notify_lost = true;
		return 1;
	}
	if (resp->name && strcmp(resp->name, "LIST") == 0)
		return sync_tree_news(c, resp);
	/* NOTIFY's news of another mailbox is about no selected one: it
	 * also counts while a mailbox is being opened (Dovecot sends what
	 * it queued before the [CLOSED] of an EXAMINE; explore67). */
	if (resp->name && strcmp(resp->name, "STATUS") == 0) {
		imap4_status_info si;
		struct sync_box *other;
		if (imap4_status_parse(&si, resp) == 0 && si.mailbox &&
		    (other = sync_find(c, si.mailbox)) != NULL) {
			other->dirty = true;
			return 1;
		}
		return 0;
	}
	const struct sync_box *b = c->selected;
	if (!resp->name || !b)
		return 0;
	const char *n = resp->name;
	if (strcmp(n, "EXISTS") == 0) {
		if (resp->number != c->sel_exists)
			c->sel_dirty = true;
		/* RELIABILITY rule 7: a count that shrinks without EXPUNGE
		 * says nothing of which message went; only a new look at
		 * the mailbox does. */
		if (resp->number < c->sel_exists) {
			seqview_untrust(&c->seq);
			c->sel_lost = true;
		}
		c->sel_exists = resp->number;
		return c->sel_dirty;
	}
	if (strcmp(n, "EXPUNGE") == 0) {
		/* Without QRESYNC an EXPUNGE names a sequence number: the
		 * view names its message, whose row goes now; else the
		 * resync's full UID listing finds which message went. */
		uint32_t uid = c->seq.box == b->id
		                       ? seqview_expunge(&c->seq, resp->number)
		                       : 0;
		if (c->sel_exists)
			c->sel_exists--;
		c->sel_expunges++;
		if (uid && expunge_in_place(c, b, uid))
			return 0;
		c->sel_dirty = c->sel_lost = true;
		return 1;
	}
	if (strcmp(n, "VANISHED") != 0 && strcmp(n, "FETCH") != 0)
		return 0;
	if (strcmp(n, "VANISHED") == 0)
		c->sel_expunges++;
	if (c->store_failed) {
		c->sel_dirty = c->sel_lost = true;
		return 1;
	}

	struct pending p = {0};
	struct fetch_ctx f = {.c = c, .b = b, .p = &p};
	int rc = sync_on_select_data(&f, resp);
	/* A VANISHED told while selected removes its messages from the count
	 * (RFC 7162 3.2.10), as EXPUNGE does: an EXISTS that follows equal
	 * to the count before (one message gone, one come) is news. */
	imap4_vanished v;
	if (strcmp(n, "VANISHED") == 0 && imap4_vanished_parse(&v, resp) == 0 &&
	    !v.earlier)
		c->sel_exists -= p.gone.total < c->sel_exists
		                         ? (uint32_t)p.gone.total
		                         : c->sel_exists;
	if (rc >= 0 && !p.failed && (p.nflags || p.gone.n)) {
		int w = sync_news_write(c, b, &p);
		if (w < 0) {
			sync_pending_free(&p);
			c->store_failed = w == SYNC_ESTORE;
			c->sel_dirty = c->sel_lost = true;
			return w;
		}
	}
	/* A change refused for its MODSEQ (sync_write.c): the write set the
	 * mailbox's HIGHESTMODSEQ to 0, so a new SELECT lists every flag. */
	if (p.stale) {
		char why[sizeof(c->stale_why)];
		pthread_mutex_lock(&c->store_lock);
		memcpy(why, c->stale_why, sizeof(why));
		pthread_mutex_unlock(&c->store_lock);
		log_msg(tell_again(&c->stale_told_at) ? LOG_LEVEL_NOTICE
		                                      : LOG_LEVEL_INFO,
		        c->conf->name, b->name,
		        "%s: selecting the mailbox again to list every flag",
		        why);
		p.dirty = true;
		c->selected = NULL;
	}
	/* Flags told while selected of a message the cache does not hold:
	 * one no EXISTS announced, or a UID that contradicts its sequence
	 * number (explore57: "* 2 FETCH (UID 77 FLAGS (\Flagged))" in IDLE
	 * lost message 2's change until the next poll). Only a look at the
	 * mailbox tells which. */
	if (p.unknown) {
		log_info(c->conf->name, b->name,
		         "flags of %zu message%s not cached: looking at the "
		         "mailbox again",
		         p.unknown, p.unknown == 1 ? "" : "s");
		p.dirty = true;
	}
	bool dirty = p.dirty || p.failed;
	/* Something of the mailbox's news was lost: only a new SELECT makes
	 * the cache trustworthy again (see sync_selected). */
	if (p.failed) {
		/* A warning once in ten minutes: a server that sends the same
		 * malformed news at every IDLE said it twenty times in as
		 * many seconds. */
		bool tell = tell_again(&c->refused_told_at);
		log_msg(tell ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
		        c->conf->name, b->name,
		        "news of the mailbox refused (%s): selecting it again",
		        p.why[0] ? p.why : imap4_strerror(p.failed));
		c->selected = NULL;
	}
	sync_pending_free(&p);
	if (dirty)
		c->sel_dirty = c->sel_lost = true;
	return dirty;
}

int sync_on_unsolicited(void *payload, const imap4_resp *resp)
{
	struct sync_ctx *c = payload;
	int rc = sync_apply_unsolicited(c, resp);
	if (rc < 0)
		log_warning(c->conf->name,
		            c->selected ? c->selected->name : NULL, "%s",
		            c->err);
	return 0;
}

/* ------------------------------------------------------------ attach */

int sync_attach(struct sync_ctx *c, imap4 *h)
{
	c->h = h;
	c->selected = NULL;
	c->sel_dirty = false;
	c->sel_lost = true;
	c->store_failed = false;
	c->store_full = false;
	c->notify_on = c->notify_held = false;
	c->condstore = c->qresync = false;
	c->list_status_refused = false;
	c->sel_nomodseq = false;
	seqview_reset(&c->seq, 0, false);
	seqview_reset(&c->held, 0, false);
	c->alert[0] = '\0';
	sync_opened(c, "", IMAP4_NO);
	c->id_told = false;
	c->nmodseq_told = 0;
	imap4_set_unsolicited(h, sync_on_unsolicited, c);
	/* RFC 7162 3.2.3: ENABLE QRESYNC implies CONDSTORE. */
	const char *want = imap4_has_capability(h, "QRESYNC")     ? "QRESYNC"
	                   : imap4_has_capability(h, "CONDSTORE") ? "CONDSTORE"
	                                                          : NULL;
	if (want && imap4_has_capability(h, "ENABLE")) {
		sync_beat(c);
		int rc = imap4_enable(h, want);
		if (rc < 0)
			return sync_fail_imap(c, "ENABLE", rc);
		c->qresync = imap4_is_enabled(h, "QRESYNC");
		/* A server that answers ENABLE with a bare OK (iCloud) has
		 * CONDSTORE still: SELECT (CONDSTORE) turns it on, where a
		 * listing of every flag at every pass would stand in. */
		c->condstore = true;
	} else if (want) {
		/* CONDSTORE without ENABLE: SELECT (CONDSTORE) turns it on. */
		c->condstore = true;
	}
	return SYNC_OK;
}

void sync_end(struct sync_ctx *c)
{
	sync_clear(c);
	sync_bodies_forget(c);
	sync_opened(c, "", IMAP4_NO);
	seqview_free(&c->seq);
	seqview_free(&c->held);
	free(c->news_flags);
	c->news_flags = NULL;
	free(c->verified);
	c->verified = NULL;
	c->nverified = c->capverified = 0;
	free(c->errors_told);
	c->errors_told = NULL;
	c->nerrors_told = c->caperrors_told = 0;
	free(c->modseq_told);
	c->modseq_told = NULL;
	c->nmodseq_told = c->capmodseq_told = 0;
}

/* The mailbox with row id mailbox equals the server and nothing was
 * written: its last_sync waits for sync_mark_verified, which the pass
 * calls at its end (one commit for them all, not one a mailbox). Out of
 * memory, it stays as it was. */
static void ids_push(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		size_t more = *cap ? 2 * *cap : 16;
		int64_t *w = realloc(*v, more * sizeof(*w));
		if (!w)
			return;
		*v = w;
		*cap = more;
	}
	(*v)[(*n)++] = id;
}

static void verified_push(struct sync_ctx *c, int64_t mailbox)
{
	ids_push(&c->verified, &c->nverified, &c->capverified, mailbox);
}

int sync_mark_verified(struct sync_ctx *c)
{
	int64_t now = (int64_t)time(NULL);
	/* One commit for them all, when the caller has none open: a commit
	 * each wrote a page of the WAL per mailbox, 50 MB at every poll of
	 * 3,000 mailboxes (explore52). */
	bool own = c->nverified > 1 && !store_in_transaction(c->store);
	int rc = own ? store_begin(c->store) : STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < c->nverified; i++) {
		rc = store_mailbox_set_last_sync(c->store, c->verified[i], now);
		/* Dropped later in the same pass (gone from LIST, no longer
		 * wanted): nothing left to mark. Failing here rolled back
		 * the pass's last write and reconnected (explore78). */
		if (rc == STORE_ENOTFOUND)
			rc = STORE_OK;
	}
	if (own && rc == STORE_OK)
		rc = store_commit(c->store);
	c->nverified = 0;
	if (rc < 0) {
		int frc = sync_fail_store(c, "mark mailboxes synced");
		if (own)
			store_rollback(c->store);
		return frc;
	}
	return SYNC_OK;
}

void sync_clear(struct sync_ctx *c)
{
	for (size_t i = 0; i < c->nboxes; i++)
		free(c->boxes[i].name);
	free(c->boxes);
	c->boxes = NULL;
	c->nboxes = 0;
	c->selected = NULL;
}

/* Whether a and b name one mailbox (INBOX in any case). */
static bool same_mailbox(const char *a, const char *b)
{
	return strcmp(a, b) == 0 ||
	       (strcasecmp(a, "INBOX") == 0 && strcasecmp(b, "INBOX") == 0);
}

void sync_opened(struct sync_ctx *c, const char *name, int rc)
{
	/* What a SELECT says, a quota alert most often, is kept as its data. */
	if (*name && (rc == IMAP4_OK || rc == IMAP4_NO))
		tell_alerts_kept(c);
	free(c->open_name);
	/* Out of memory: not known, which sync_status takes for name. */
	c->open_name = rc == IMAP4_OK ? strdup(name) : NULL;
}

int sync_status(struct sync_ctx *c, const char *name, const char *items)
{
	/* EXAMINE is all the daemon opens with, so CLOSE expunges nothing
	 * (RFC 3501 6.4.2). */
	if (imap4_state(c->h) == IMAP4_STATE_SELECTED &&
	    (!c->open_name || same_mailbox(c->open_name, name))) {
		sync_beat(c);
		int rc = imap4_has_capability(c->h, "UNSELECT")
		                 ? imap4_unselect(c->h)
		                 : imap4_close(c->h);
		c->selected = NULL;
		c->sel_dirty = false;
		sync_opened(c, name, IMAP4_NO);
		if (rc < 0)
			return rc;
	}
	sync_beat(c);
	return imap4_status(c->h, name, items);
}

bool sync_status_of(const struct sync_ctx *c, const char *name,
                    imap4_status_info *out)
{
	for (size_t k = 0; k < imap4_data_count(c->h); k++) {
		const imap4_resp *r = imap4_data_at(c->h, k);
		if (r->name && strcmp(r->name, "STATUS") == 0 &&
		    imap4_status_parse(out, r) == 0 && out->mailbox &&
		    same_mailbox(out->mailbox, name))
			return true;
	}
	*out = (imap4_status_info){0};
	return false;
}

struct sync_box *sync_find(const struct sync_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nboxes; i++)
		if (same_mailbox(c->boxes[i].name, name))
			return &c->boxes[i];
	return NULL;
}

/* RFC 2971: who we are, to a server that lists ID and refused to open a
 * mailbox (irc), once a connection: some open none for a client that has
 * not said (NetEase's "NO SELECT Unsafe Login"). Told only then: to the
 * others it would be a round trip more on every connection. true when it
 * was told now, and the refused command is worth asking again. */
static bool tell_id(struct sync_ctx *c, int irc)
{
	static const char *const id[] = {"name", "mailmirror", "version",
	                                 MAILMIRROR_VERSION, NULL};
	if (irc != IMAP4_NO || c->id_told || !imap4_has_capability(c->h, "ID"))
		return false;
	c->id_told = true;
	sync_beat(c);
	return imap4_id(c->h, id) == IMAP4_OK;
}

/* ------------------------------------------------------ one mailbox */

/* New messages are fetched with their body when bodies are configured:
 * one transfer, and the message and its body land in one transaction.
 * Their envelopes are made here from their headers (conv_msg), not asked
 * for: Dovecot 2.3 takes 60% of the time to send the header fields of
 * 100,000 messages that it takes to send their ENVELOPEs, and asking for
 * ENVELOPE beside whole messages made it take half as long again. The
 * header fields are asked for unless the body brings the header: a
 * max_body_size below IMAP4_ENVELOPE_FIELDS_MAX, what an envelope is
 * read from, may cut it. They come as one string, bounded by a partial
 * fetch (a To of 45,000 addresses made one literal of a megabyte, and
 * the whole batch failed on it); a field the bound cuts is left out
 * (conv_msg). Content-Type comes with them: it names the charset of raw
 * 8-bit text in them (imap4_envelope.charset). */
static const char *meta_items(const struct sync_ctx *c, char *buf, size_t len)
{
	char body[64], fields[160] = "";
	/* A link too slow for one message's body in a FETCH (sync.h,
	 * batch_cap 1): new mail comes without its body, which the backfill
	 * then fetches in pieces. */
	bool body_left_out = sync_bodies_in_pieces(c);
	const char *section =
	        body_left_out ? "" : sync_body_item(c, body, sizeof(body));
	bool header_in_body =
	        c->conf->bodies != CONF_BODIES_NONE && !body_left_out &&
	        conf_body_cap(c->conf) >= IMAP4_ENVELOPE_FIELDS_MAX;
	if (!header_in_body)
		snprintf(fields, sizeof(fields),
		         " BODY.PEEK[HEADER.FIELDS "
		         "(" IMAP4_ENVELOPE_FIELDS_CHARSET ")]<0.%u>",
		         c->fields_cap ? c->fields_cap
		                       : IMAP4_ENVELOPE_FIELDS_MAX);
	/* Not in a mailbox without mod-sequences: RFC 7162 3.1.2 makes
	 * MODSEQ there a BAD, and the whole mailbox failed at every pass
	 * (explore79, Cyrus). */
	snprintf(buf, len, "(UID FLAGS INTERNALDATE RFC822.SIZE%s%s%s)",
	         c->condstore && !c->sel_nomodseq ? " MODSEQ" : "", fields,
	         section);
	return buf;
}

static size_t usual_batch(const struct sync_ctx *c)
{
	return c->conf->bodies == CONF_BODIES_FULL ? BODY_BATCH : BATCH;
}

size_t sync_batch_of(const struct sync_ctx *c)
{
	size_t n = usual_batch(c);
	return c->batch_cap && c->batch_cap < n ? c->batch_cap : n;
}

bool sync_bodies_in_pieces(const struct sync_ctx *c)
{
	return c->batch_cap == 1 && c->conf->bodies != CONF_BODIES_NONE;
}

/* The least bound of the header fields (sync_ctx.fields_cap): the Date,
 * Subject and From of most messages. */
#define FIELDS_MIN 1024u

/* One message's FETCH without a body ran out of time while its header
 * fields came: the next asks for as much as comes in a quarter of the
 * timeout at the rate they came, half the last bound at most. Fields past
 * the bound are left out of the envelope (conv_msg), where a header that
 * never comes whole held its mailbox for good. */
static void shrink_fields(struct sync_ctx *c, const struct sync_box *b,
                          uint64_t came, int64_t ms)
{
	uint32_t now =
	        c->fields_cap ? c->fields_cap : IMAP4_ENVELOPE_FIELDS_MAX;
	uint64_t at = ms > 0 && came < UINT32_MAX
	                      ? came * c->conf->timeout * 250 / (uint64_t)ms
	                      : now;
	uint32_t want = now / 2 < at ? now / 2 : (uint32_t)at;
	if (want < FIELDS_MIN)
		want = FIELDS_MIN;
	if (want >= now)
		return;
	c->fields_cap = want;
	c->batch_shrunk = true;
	log_notice(c->conf->name, b->name,
	           "the header fields of one message did not come within the "
	           "timeout (%u s); asking for their first %u bytes (the "
	           "fields past them are left out of envelopes)",
	           c->conf->timeout, want);
}

void sync_batch_adapt(struct sync_ctx *c, const struct sync_box *b,
                      size_t count, size_t got, uint64_t came, int irc,
                      int64_t ms)
{
	bool quick = irc == IMAP4_OK && ms < (int64_t)c->conf->timeout * 250;
	if (quick && c->fields_cap &&
	    (c->fields_cap *= 2) >= IMAP4_ENVELOPE_FIELDS_MAX)
		c->fields_cap = 0;
	if (irc == IMAP4_ETIMEOUT && came && count == 1 &&
	    (c->conf->bodies == CONF_BODIES_NONE || sync_bodies_in_pieces(c)))
		shrink_fields(c, b, came, ms);
	if (irc == IMAP4_ETIMEOUT && came)
		c->piece = sync_piece_size(c, came, ms);
	if (irc == IMAP4_ETIMEOUT && came && count > 1) {
		c->batch_cap = got / 2 < count / 2 ? got / 2 : count / 2;
		if (c->batch_cap == 0)
			c->batch_cap = 1;
		c->batch_shrunk = true;
		log_notice(c->conf->name, b->name,
		           "a FETCH of %zu messages took longer than the "
		           "timeout (%u s); asking for %zu at a time%s",
		           count, c->conf->timeout, c->batch_cap,
		           sync_bodies_in_pieces(c) ? ", bodies in pieces"
		                                    : "");
	} else if (irc == IMAP4_ETIMEOUT && came && count == 1 &&
	           c->batch_cap != 1 && c->conf->bodies != CONF_BODIES_NONE) {
		c->batch_cap = 1;
		c->batch_shrunk = true;
		log_notice(c->conf->name, b->name,
		           "a FETCH of one message took longer than the "
		           "timeout (%u s); asking for bodies in pieces",
		           c->conf->timeout);
	} else if (sync_connection_lost(irc) && got == 0 && came &&
	           c->batch_cap != 1 && c->conf->bodies != CONF_BODIES_NONE) {
		/* The link dropped before one message came whole: the next
		 * connection would ask for it whole again, and lose it at
		 * the same place, and the mail after it never came
		 * (explore70). In pieces that come before a cut, kept as
		 * they come, it goes on at each connection. */
		c->batch_cap = 1;
		c->batch_shrunk = true;
		c->piece = sync_piece_before_cut(c, came, ms);
		log_notice(c->conf->name, b->name,
		           "the connection was lost before one message of %zu "
		           "came whole; asking for bodies in pieces",
		           count);
	} else if (quick && c->batch_cap && count >= c->batch_cap) {
		c->batch_cap *= 2;
		if (c->batch_cap >= usual_batch(c))
			c->batch_cap = 0;
	}
}

/* The box in c->boxes that b points to, writable. */
static struct sync_box *own_box(struct sync_ctx *c, const struct sync_box *b)
{
	/* By address, not by a walk: called for each mailbox of a pass,
	 * a walk cost 5,000 mailboxes 25 million steps. */
	uintptr_t p = (uintptr_t)b, lo = (uintptr_t)c->boxes;
	if (!c->boxes || p < lo || (p - lo) % sizeof(*b) != 0 ||
	    (p - lo) / sizeof(*b) >= c->nboxes)
		return NULL;
	return &c->boxes[(p - lo) / sizeof(*b)];
}

void sync_let_go(struct sync_ctx *c, uint32_t uidvalidity, uint32_t uidnext)
{
	if (!uidvalidity)
		return;
	size_t i = c->n_let_go++ % SYNC_LET_GO_MAX;
	c->let_go[i].uidvalidity = uidvalidity;
	c->let_go[i].uidnext = uidnext;
}

/* Where epoch uidvalidity, new to b, was another mailbox's (one the cache
 * let go, or one it holds under another name): the UIDNEXT cached there,
 * below which its messages moved with it; 0 when it was none's. A read of
 * each mailbox's state: asked only where a hook may run, for an epoch that
 * changes or a mailbox new while live, which are rare. */
static uint32_t moved_epoch(struct sync_ctx *c, const struct sync_box *b,
                            uint32_t uidvalidity)
{
	size_t n =
	        c->n_let_go < SYNC_LET_GO_MAX ? c->n_let_go : SYNC_LET_GO_MAX;
	for (size_t i = 0; i < n; i++)
		if (c->let_go[i].uidvalidity == uidvalidity)
			return c->let_go[i].uidnext ? c->let_go[i].uidnext : 1;
	for (size_t i = 0; i < c->nboxes; i++) {
		struct store_mailbox_state st;
		if (c->boxes[i].id != b->id &&
		    store_mailbox_get_state(&st, c->store, c->boxes[i].id) ==
		            0 &&
		    st.uidvalidity == uidvalidity)
			return st.uidnext ? st.uidnext : 1;
	}
	return 0;
}

/* on_new_mail for mail that arrived while we watched, once it is in the
 * cache (a notifier may query it at once). */
void sync_run_hooks(struct sync_ctx *c, const struct sync_box *b,
                    const struct pending *p)
{
	if (!c->conf->on_new_mail || p->nrows == 0 ||
	    !(c->live || (c->announce_known && p->epoch_known)) ||
	    !plan_hook_wanted(
	            (const char *const *)c->conf->on_new_mail_mailboxes,
	            b->name, b->delimiter))
		return;
	const struct store_msg **rows = malloc(p->nrows * sizeof(*rows));
	if (!rows) {
		log_warning(c->conf->name, b->name,
		            "on_new_mail: out of memory");
		return;
	}
	/* Messages the cache lost and fetches again (below its UIDNEXT: a
	 * server's bogus VANISHED, a crash) arrived long ago. */
	size_t n = 0;
	for (size_t i = 0; i < p->nrows; i++)
		if (p->rows[i].row.uid >= p->new_from)
			rows[n++] = &p->rows[i].row;
	if (n)
		hook_new_mail(c->conf, b->name, rows, n);
	free(rows);
}

/* What failed a FETCH command: the cache (a callback's write), the
 * server's data (a callback refused it: p->why), or the command itself. */
static int fetch_failed(struct sync_ctx *c, const char *what, int irc,
                        const struct pending *p)
{
	if (p->failed == IMAP4_ECALLBACK)
		return SYNC_ESTORE;
	if (p->failed == IMAP4_EPROTO && p->why[0]) {
		snprintf(c->err, sizeof(c->err), "%s: %s", what, p->why);
		return SYNC_ECONN;
	}
	return sync_fail_imap(c, what, irc != IMAP4_OK ? irc : p->failed);
}

/* Whether the last command's NO says the mailbox was deleted: no answer
 * in part, but one about the whole mailbox (record_error). */
static bool no_says_deleted(const struct sync_ctx *c)
{
	const struct imap4_error_info *e = imap4_last_error(c->h);
	return e && sync_says_deleted(e->server_text);
}

/* Whether the last command's completion says some of its messages were
 * expunged meanwhile (RFC 5530). */
static bool said_expunged(const struct sync_ctx *c)
{
	const imap4_resp *done = imap4_completion(c->h);
	return done && done->code && strcmp(done->code, "EXPUNGEISSUED") == 0;
}

/* A UID FETCH the server completed with NO after giving some of it: Gmail
 * answers "Some messages could not be FETCHed" for a message it cannot
 * read, Yahoo "[UNAVAILABLE]". What came is kept and the batch counts as
 * done: the messages missing leave the cache's count below EXISTS, and
 * the next pass's UID SEARCH finds them and asks again. Refused whole at
 * every pass, one such message kept the mailbox out of the cache. Told
 * as a warning once for the same answer, then as info. */
static void tell_partial_fetch(struct sync_ctx *c, const struct sync_box *b,
                               size_t asked, size_t got)
{
	const struct imap4_error_info *e = imap4_last_error(c->h);
	const char *said = e && e->message ? e->message : "NO";
	char clean[300];
	log_sanitize(clean, sizeof(clean), said, strlen(said));
	if (got >= asked) { /* every message, then the NO: nothing missing */
		log_info(c->conf->name, b->name,
		         "UID FETCH of %zu message%s: %s; all of them came, "
		         "and are cached",
		         asked, asked == 1 ? "" : "s", clean);
		return;
	}
	struct sync_box *box = own_box(c, b);
	bool again =
	        box && box->refused_asked == asked && box->refused_got == got;
	if (box) {
		box->refused_asked = asked;
		box->refused_got = got;
	}
	snprintf(c->partial, sizeof(c->partial),
	         "UID FETCH: %zu of %zu messages not given: %.170s",
	         asked > got ? asked - got : 0, asked, clean);
	int level = again ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING;
	if (got == 0)
		log_msg(level, c->conf->name, b->name,
		        "UID FETCH of %zu message%s: %s; none came, asked for "
		        "again at the next pass",
		        asked, asked == 1 ? "" : "s", clean);
	else
		log_msg(level, c->conf->name, b->name,
		        "UID FETCH of %zu messages: %s; the %zu that came are "
		        "cached, the other %zu asked for again at the next "
		        "pass",
		        asked, clean, got, asked - got);
}

/* The lowest UID of r (not normalised), 0 for none. */
static uint32_t left_lo(const struct ranges *r)
{
	uint32_t lo = 0;
	for (size_t i = 0; i < r->n; i++)
		if (lo == 0 || r->v[i].lo < lo)
			lo = r->v[i].lo;
	return lo;
}

/* Whether a FETCH of new mail brings bodies (meta_items). */
static bool bodies_come(const struct sync_ctx *c)
{
	return c->conf->bodies != CONF_BODIES_NONE && !sync_bodies_in_pieces(c);
}

/* Fetches the messages of the UIDs in r (ascending), in batches, each
 * committed with the high-water marks st; bytes is what their bodies
 * bring (UINT64_MAX: not known), for sync_notify_hold. With left, the
 * messages whose answer lacks an item asked for are not stored, their
 * UIDs put there (sync_fetch_leave_out), and UIDNEXT stays at or below
 * the lowest of them; without it, they are stored as they came. With
 * star, r is one range from a UID up, r->total the messages expected,
 * asked for in one "UID FETCH lo:*" (fetch_new). */
static int fetch_uids(struct sync_ctx *c, const struct sync_box *b,
                      struct pending *p, struct store_mailbox_state *st,
                      const struct ranges *rr, uint64_t bytes,
                      struct ranges *left, bool star)
{
	const struct ranges r = *rr;
	int rc = SYNC_OK;
	/* All its batches under one NOTIFY NONE. */
	if (r.n && bodies_come(c) && (rc = sync_notify_hold(c, bytes)) < 0)
		return rc;
	uint32_t from = r.n ? r.v[0].lo : 0;
	/* One batch alone needs no second thread. */
	struct sync_writer *w = NULL;
	size_t batch = sync_batch_of(c);
	/* How many are coming, before the first batch is in: over a slow
	 * link that takes a minute, in which `mailmirror status` showed
	 * 0/0 (explore65). Before the writer starts, which says the rest. */
	if (c->progress && r.total > batch)
		c->progress(c->payload, b->name, 0, (uint32_t)r.total);
	if (r.total > batch && sync_writer_start(&w, c, b) < 0)
		w = NULL;
	size_t ri = 0, done = 0;
	uint32_t next = 0;
	const uint32_t new_from = st->uidnext;
	while (ri < r.n) {
		if (sync_stopping(c)) {
			rc = SYNC_ESTOP;
			break;
		}
		char *set;
		uint32_t last = 0;
		uint32_t first = next ? next : r.v[ri].lo;
		size_t count;
		if (star) {
			set = malloc(16);
			if (set)
				snprintf(set, 16, "%u:*", first);
			last = UINT32_MAX;
			count = (size_t)r.total;
			ri = r.n;
		}
		if (star ? !set
		         : sync_batch_set(&set, &last, &count, &r, &ri, &next,
		                          batch) < 0) {
			snprintf(c->err, sizeof(c->err), "out of memory");
			rc = SYNC_ESTORE;
			break;
		}
		struct fetch_ctx f = {.c = c,
		                      .b = b,
		                      .p = p,
		                      .metadata = true,
		                      .lo = from,
		                      .hi = last,
		                      .asked = &r,
		                      .batch_lo = first,
		                      .star = star,
		                      .left = left};
		sync_beat(c);
		p->new_from = new_from;
		p->epoch_known = st->last_sync != STORE_NO_TIME;
		/* A mailbox renamed here: its messages below the UIDNEXT
		 * cached where it was moved with it (until its first sync
		 * under this name is done). */
		const struct sync_box *own = own_box(c, b);
		if (!p->epoch_known && own && own->moved_uidnext > new_from)
			p->new_from = own->moved_uidnext;
		p->body_cap = c->conf->bodies != CONF_BODIES_NONE
		                      ? conf_body_cap(c->conf)
		                      : 0;
		char items[256];
		struct body_cut big;
		if (bodies_come(c)) {
			sync_cut_begin(c, &big, conf_body_cap(c->conf));
			f.cut = &big;
		}
		int64_t t0 = mono_ms();
		uint64_t in0 = imap4_bytes_in(c->h);
		int irc = imap4_fetch_each(c->h, true, set,
		                           meta_items(c, items, sizeof(items)),
		                           sync_on_fetch, &f);
		if (f.cut) {
			if (big.failed && !p->failed) {
				p->failed = big.failed == IMAP4_ENOMEM
				                    ? IMAP4_ENOMEM
				                    : IMAP4_EPROTO;
				snprintf(p->why, sizeof(p->why), "%s", big.why);
			}
			sync_cut_end(c, &big);
		}
		/* Without bodies a FETCH says nothing of the link's speed
		 * for them: only its failure counts. */
		if (!sync_bodies_in_pieces(c) || irc != IMAP4_OK)
			sync_batch_adapt(c, b, count, f.nrows,
			                 imap4_bytes_in(c->h) - in0, irc,
			                 mono_ms() - t0);
		/* A message that came without its header in a FETCH the
		 * server then answers NO was, as often as not, expunged as it
		 * was fetched (Dovecot: "NO [EXPUNGEISSUED]", explore38): not
		 * cached, it is asked for again if the next pass finds it.
		 * A NO that says the mailbox was deleted refuses it whole. */
		bool partial =
		        irc == IMAP4_NO && !p->failed && !no_says_deleted(c);
		/* A batch the connection lost midway (a reset, a close, a
		 * BYE): the messages that came whole are kept, as those of a
		 * partial answer, and the rest asked for on the next
		 * connection. A link reset every 15 s stored nothing, and
		 * fetched the same batch at every connection (explore65). A
		 * batch that ran out of time is asked again, smaller. */
		bool cut = !partial && !p->failed && p->nrows > 0 &&
		           sync_connection_lost(irc);
		/* Dovecot answers OK [EXPUNGEISSUED] after a header sent as
		 * NIL and the EXPUNGE of its message (explore51): the row
		 * was cached without an envelope, logged as a server's
		 * failure, and handed to on_new_mail, to go at once. */
		if ((irc == IMAP4_OK || partial) && !p->failed &&
		    said_expunged(c))
			sync_fetch_forget_headerless(&f);
		if (partial) {
			tell_partial_fetch(c, b, count, f.nrows);
			irc = IMAP4_OK;
		}
		/* The messages whose header never came count only when the
		 * command is whole: else they are not kept in any case. */
		if (!p->failed &&
		    sync_fetch_leave_out(&f, irc == IMAP4_OK && !partial) < 0)
			p->failed = IMAP4_ENOMEM;
		uint32_t came_top = sync_fetch_top(&f, !partial && !cut);
		/* Not past a message left out: a crash before it is asked
		 * for again must not leave it below the cached UIDNEXT. */
		if (left && left->total && came_top >= left_lo(left))
			came_top = left_lo(left) - 1;
		if (sync_fetch_done(&f, irc == IMAP4_OK, !partial && !cut) <
		            0 &&
		    !p->failed)
			p->failed = IMAP4_ENOMEM;
		free(set);
		if (p->dirty)
			c->sel_dirty = c->sel_lost = true;
		if (p->failed || (irc != IMAP4_OK && !cut)) {
			rc = fetch_failed(c, "UID FETCH", irc, p);
			break;
		}
		int lost = cut ? fetch_failed(c, "UID FETCH", irc, p) : SYNC_OK;
		if (cut) {
			log_info(
			        c->conf->name, b->name,
			        "%zu of the %zu messages asked for came before "
			        "the connection was lost: kept",
			        p->nrows, count);
			count = p->nrows;
		}
		/* Everything up to the last UID that came is now held:
		 * UIDNEXT may pass it, not a UID the SEARCH named that never
		 * came (explore50: one of 99999 in a mailbox whose UIDNEXT
		 * was 4 kept all later mail from on_new_mail). */
		if (came_top >= st->uidnext)
			st->uidnext = came_top + 1;
		done += count;
		if (w) {
			rc = sync_writer_put(w, p, st, (uint32_t)done,
			                     (uint32_t)r.total);
		} else {
			rc = sync_pending_commit(c, b, p, st);
			if (rc == SYNC_OK) {
				sync_run_hooks(c, b, p);
				if (c->progress)
					c->progress(c->payload, b->name,
					            (uint32_t)done,
					            (uint32_t)r.total);
			}
			sync_pending_drop(p);
		}
		if (rc < 0)
			break;
		/* The reset went with the first batch. */
		p->want_reset = false;
		if (lost != SYNC_OK) {
			rc = lost;
			break;
		}
	}
	int wrc = sync_writer_stop(&w);
	if (rc == SYNC_OK)
		rc = wrc;
	if (c->progress)
		c->progress(c->payload, b->name, 0, 0);
	return rc;
}

/* New messages: UID SEARCH (or sync_uid_sizes) for what is at or above
 * from, then batches; or, for expect of them (0: not known) within one
 * batch, a UID FETCH from:* alone. */
static int fetch_new(struct sync_ctx *c, const struct sync_box *b,
                     struct pending *p, struct store_mailbox_state *st,
                     uint32_t from, uint32_t exists, uint32_t expect,
                     uint32_t upto, uint64_t *above)
{
	/* UIDs above EXISTS would be a server lying about its mailbox
	 * (RELIABILITY rule 4): memory follows the real count only. A few
	 * thousand of slack: mail may arrive while we search. */
	struct ranges r = {.limit = (uint64_t)exists + 10000};
	uint64_t bytes = UINT64_MAX;
	/* With NOTIFY on, the sizes of the bodies to come, which tell
	 * whether it must be off while they come (sync_notify_hold): in the
	 * round trip the UID SEARCH took. */
	bool sizes =
	        c->notify_on && !c->notify_held && bodies_come(c) && exists;
	/* The new mail of a mailbox kept current in place, a few messages
	 * that one batch takes: the SEARCH before its FETCH was a round
	 * trip per new mail. It listed the UIDs to cut into batches (one
	 * transaction, and a step of the progress, each); what guarded
	 * against the "*" of RFC 3501 6.4.8 (from:* names the last message
	 * when from is past every UID) is the FETCH's too: an answer below
	 * from is no new mail (sync_on_fetch). */
	bool star = !sizes && expect && expect <= sync_batch_of(c);
	int rc = SYNC_OK;
	if (star) {
		r.v = malloc(sizeof(*r.v));
		if (!r.v) {
			snprintf(c->err, sizeof(c->err), "out of memory");
			return SYNC_ESTORE;
		}
		r.v[0] = (struct plan_range){from, UINT32_MAX};
		r.n = r.cap = 1;
		r.total = expect;
	} else {
		rc = sizes ? sync_uid_sizes(c, &r, &bytes, from)
		           : sync_uid_search(c, &r, from);
	}
	struct ranges left = {.limit = r.limit};
	if (rc == SYNC_OK) {
		*above = star ? UINT32_MAX : sync_ranges_above(&r, upto);
		rc = fetch_uids(c, b, p, st, &r, bytes, &left, star);
	}
	/* Once more, and then kept as they come (sync_fetch_leave_out). */
	if (rc == SYNC_OK && left.total) {
		sync_ranges_normalise(&left);
		log_warning(c->conf->name, b->name,
		            "%" PRIu64 " message%s (UID %u%s) came without an "
		            "item asked for (INTERNALDATE, RFC822.SIZE, FLAGS "
		            "or the header): asked for once more",
		            left.total, left.total == 1 ? "" : "s",
		            left.v[0].lo, left.total == 1 ? "" : " and more");
		rc = fetch_uids(c, b, p, st, &left, UINT64_MAX, NULL, false);
	}
	free(left.v);
	free(r.v);
	return rc;
}

/* A flag listing the server answered NO after giving part of it (Gmail
 * "Some messages could not be FETCHed", Yahoo "[UNAVAILABLE]"): refused
 * whole, the flags that came were never stored and the mailbox failed at
 * every pass (explore82 fetchno2). Told as a warning once, then as info
 * while the answer stays partial; the mailbox's error says it (c->partial,
 * set by the caller). */
static void tell_partial_flags(struct sync_ctx *c, const struct sync_box *b,
                               size_t got)
{
	const struct imap4_error_info *e = imap4_last_error(c->h);
	const char *said = e && e->message ? e->message : "NO";
	char clean[300];
	log_sanitize(clean, sizeof(clean), said, strlen(said));
	struct sync_box *box = own_box(c, b);
	bool again = box && box->flags_refused;
	if (box)
		box->flags_refused = true;
	log_msg(again ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING, c->conf->name,
	        b->name,
	        "UID FETCH FLAGS: %s; the flags of the %zu message%s that "
	        "came are kept, nothing taken as gone from it",
	        clean, got, got == 1 ? "" : "s");
	snprintf(c->partial, sizeof(c->partial),
	         "UID FETCH FLAGS answered in part: %.200s", clean);
}

/* Flag changes of the messages we hold. A full listing (no CONDSTORE) also
 * proves which of them are gone, unless *partial is set: the server
 * answered NO after part of it, whose flags are kept (tell_partial_flags)
 * and which proves nothing. */
static int fetch_flags(struct sync_ctx *c, const struct sync_box *b,
                       struct pending *p, const struct plan_actions *a,
                       bool modseq, struct ranges *listing, bool *partial)
{
	struct fetch_ctx f = {.c = c, .b = b, .p = p, .listing = listing};
	char set[32];
	if (a->flags_upto == UINT32_MAX)
		snprintf(set, sizeof(set), "1:*");
	else
		snprintf(set, sizeof(set), "1:%u", a->flags_upto);
	char items[96];
	/* CHANGEDSINCE brings each message's MODSEQ (RFC 7162 3.1.4); a
	 * listing asks for it (Dovecot sends none unasked), so that each
	 * row holds the server's, also when it went back. */
	if (a->flags == PLAN_FLAGS_CHANGEDSINCE)
		snprintf(items, sizeof(items),
		         "(UID FLAGS) (CHANGEDSINCE %llu)",
		         (unsigned long long)a->changedsince);
	else
		snprintf(items, sizeof(items), "(UID FLAGS%s)",
		         modseq ? " MODSEQ" : "");
	sync_beat(c);
	int rc = imap4_fetch_each(c->h, true, set, items, sync_on_fetch, &f);
	/* A FETCH without UID in between (another client's flag change,
	 * RFC 3501 7.4.2) may be newer than the listing's line for that
	 * message; it is not told again. */
	if (p->dirty)
		c->sel_dirty = c->sel_lost = true;
	*partial = rc == IMAP4_NO && !p->failed && !no_says_deleted(c);
	if (*partial) {
		tell_partial_flags(c, b, p->nflags);
		rc = IMAP4_OK;
	} else {
		struct sync_box *box = own_box(c, b);
		if (rc == IMAP4_OK && box)
			box->flags_refused = false;
	}
	if (rc != IMAP4_OK || p->failed)
		return fetch_failed(c, "UID FETCH FLAGS", rc, p);
	if (listing)
		sync_ranges_normalise(listing);
	return SYNC_OK;
}

struct uid_vec {
	uint32_t *v;
	size_t n, cap;
};

static int collect_uid(void *payload, uint32_t uid)
{
	struct uid_vec *u = payload;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 1024;
		uint32_t *v = realloc(u->v, cap * sizeof(*v));
		if (!v)
			return -1;
		u->v = v;
		u->cap = cap;
	}
	u->v[u->n++] = uid;
	return 0;
}

static int note_gone(void *payload, uint32_t uid)
{
	return sync_ranges_add(payload, uid, uid);
}

static int note_uncached(void *payload, uint32_t lo, uint32_t hi)
{
	return sync_ranges_add(payload, lo, hi);
}

/* Whether a listing of total UIDs contradicts the server's count of the
 * messages it covers, least (0: no count to hold it to), which then fills
 * c->err. Sequence numbers, hence EXISTS, move only by EXPUNGE (RFC 3501
 * 7.4.1): a mailbox whose EXISTS said least, with no EXPUNGE or VANISHED
 * since, holds at least that many messages, and a listing of fewer lost
 * some of its answer (explore77: a proxy that mangled EXISTS or dropped
 * the result). Once an expunge came, a shorter listing may be true, and
 * it is taken. */
static bool listing_contradicted(struct sync_ctx *c, uint64_t total,
                                 uint64_t least)
{
	if (total >= least || c->sel_expunges != c->pass_expunges)
		return false;
	snprintf(c->err, sizeof(c->err),
	         "the server listed %" PRIu64 " UIDs of the %" PRIu64
	         " messages its EXISTS counts, with no EXPUNGE between: "
	         "nothing taken as gone, asked again at the next pass",
	         total, least);
	return true;
}

/* A full listing is the server's truth up to upto: the cached messages of
 * b it lacks are deleted, and the UIDs below below_uidnext (UINT32_MAX:
 * all of them) it has and the cache lacks go to *missing, to be fetched
 * again. A message a server once listed wrongly as gone (a bogus
 * VANISHED, a UID SEARCH that missed one) was otherwise lost for good:
 * the next fetches start at UIDNEXT. */
static int drop_absent(struct sync_ctx *c, const struct sync_box *b,
                       struct pending *p, const struct ranges *listing,
                       uint32_t upto, uint32_t below_uidnext,
                       struct ranges *missing)
{
	struct uid_vec local = {0};
	if (store_message_each_uid(c->store, b->id, collect_uid, &local) < 0) {
		free(local.v);
		return sync_fail_store(c, "list cached UIDs");
	}
	size_t n = 0;
	while (n < local.n && local.v[n] <= upto)
		n++;
	int rc = plan_uid_gone(local.v, n, listing->v, listing->n, note_gone,
	                       &p->gone);
	uint32_t top = below_uidnext == UINT32_MAX ? UINT32_MAX
	               : below_uidnext > 1         ? below_uidnext - 1
	                                           : 0;
	if (top > upto)
		top = upto;
	if (rc == 0 && top)
		rc = plan_uid_missing(local.v, local.n, listing->v, listing->n,
		                      top, note_uncached, missing);
	free(local.v);
	if (rc) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	return SYNC_OK;
}

/* Fetches again what drop_absent found missing below UIDNEXT. */
static int fetch_missing(struct sync_ctx *c, const struct sync_box *b,
                         struct pending *p, struct store_mailbox_state *st,
                         const struct ranges *missing)
{
	if (missing->n == 0)
		return SYNC_OK;
	/* What the server would not give last time, asked for again: not
	 * news at every pass (tell_partial_fetch). What it gives now is no
	 * longer missing. */
	c->partial[0] = '\0';
	const struct sync_box *box = own_box(c, b);
	bool refused = box && box->refused_got == 0 &&
	               box->refused_asked == missing->total;
	log_msg(refused ? LOG_LEVEL_INFO : LOG_LEVEL_NOTICE, c->conf->name,
	        b->name,
	        "%" PRIu64 " message%s below UIDNEXT %s not cached: "
	        "fetching %s",
	        missing->total, missing->total == 1 ? "" : "s",
	        missing->total == 1 ? "is" : "are",
	        missing->total == 1 ? "it" : "them");
	return fetch_uids(c, b, p, st, missing, UINT64_MAX, NULL, false);
}

static bool told(const struct sync_ctx *c, int64_t mailbox)
{
	for (size_t i = 0; i < c->nerrors_told; i++)
		if (c->errors_told[i] == mailbox)
			return true;
	return false;
}

/* Whether b's failure is news: the first in this run, or the first since
 * it synced (which cleared its error). Out of memory, it is news. */
static bool error_is_news(struct sync_ctx *c, const struct sync_box *b)
{
	char was[sizeof(c->err)];
	if (store_mailbox_get_error(was, sizeof(was), c->store, b->id) !=
	            STORE_OK ||
	    was[0] == '\0')
		return true;
	return !told(c, b->id);
}

static int record_error(struct sync_ctx *c, const struct sync_box *b, int rc)
{
	/* Refused midway in words that say the mailbox was deleted: a
	 * DELETE under way (sync_refused.c), whose LIST tells. */
	if (rc == SYNC_EMAILBOX && !c->quiet && c->said_deleted)
		rc = sync_refused_midway(c, b, rc);
	if (rc == SYNC_EMAILBOX && !c->quiet) {
		bool news = error_is_news(c, b);
		log_msg(news ? loglimit_level(&c->mbox_errors,
		                              LOG_LEVEL_WARNING)
		             : LOG_LEVEL_INFO,
		        c->conf->name, b->name, "%s", c->err);
		if (news && !told(c, b->id))
			ids_push(&c->errors_told, &c->nerrors_told,
			         &c->caperrors_told, b->id);
		secret_echo_mask(c->err, strlen(c->err));
		store_mailbox_set_error(c->store, b->id, c->err);
	}
	return rc;
}

void sync_tell_errors(struct sync_ctx *c)
{
	uint64_t more = loglimit_end(&c->mbox_errors);
	if (more)
		log_warning(c->conf->name, NULL,
		            "... and %" PRIu64 " more mailboxes failed (see "
		            "mailmirror status)",
		            more);
	if ((more = loglimit_end(&c->gone_told)))
		log_notice(c->conf->name, NULL,
		           "... and %" PRIu64 " more mailboxes gone from the "
		           "server; dropped",
		           more);
}

/* Forgets the flag changes the cache refused (c->nstale): what follows
 * supersedes them. */
static void stale_clear(struct sync_ctx *c)
{
	pthread_mutex_lock(&c->store_lock);
	c->nstale = 0;
	c->stale_why[0] = '\0';
	pthread_mutex_unlock(&c->store_lock);
}

/* The flag pass of a: the changes since a->changedsince, or a listing of
 * every flag up to a->flags_upto, which also proves which cached messages
 * are gone and fetches again those below UIDNEXT the cache lacks. Such a
 * listing is the server's word on every flag and MODSEQ (modseq: the
 * mailbox has them), taken even where it went back. listing and missing
 * are the caller's buffers. *partial is set when the server answered the
 * listing in part: its flags are kept, and nothing is inferred of what it
 * lacks (the caller counts the mailbox's messages instead). */
static int list_flags(struct sync_ctx *c, const struct sync_box *b,
                      struct pending *p, struct store_mailbox_state *st,
                      const struct plan_actions *a, bool modseq,
                      const struct plan_server *server, uint64_t above,
                      struct ranges *listing, struct ranges *missing,
                      bool *partial)
{
	bool full = a->flags == PLAN_FLAGS_FULL;
	listing->n = missing->n = 0;
	listing->total = missing->total = 0;
	if (full)
		stale_clear(c);
	p->listed = full;
	bool cut = false;
	int rc = fetch_flags(c, b, p, a, modseq, full ? listing : NULL, &cut);
	if (cut) {
		*partial = true;
		full = false;
	}
	/* The listing covers 1:upto; of the EXISTS of the EXAMINE, the
	 * messages above upto are those the new mail's search listed. Mail
	 * that came since (an EXISTS) is in neither, and then the count
	 * proves nothing. */
	uint64_t least =
	        c->sel_exists == server->exists && server->exists > above
	                ? server->exists - above
	                : 0;
	uint32_t upto = a->flags_upto, below_uidnext = st->uidnext;
	/* Fewer listed than EXISTS counts, with no EXPUNGE between: a
	 * UIDNEXT that lags the server's own mail (explore82: UIDNEXT 4
	 * with UIDs 1-4) left a message above upto, and the pass was given
	 * up at every poll, that message never fetched and the flags that
	 * came never stored. Those flags are kept, and every UID listed
	 * (1:*): a whole listing proves what went and names what the
	 * cache lacks, above UIDNEXT too, which is fetched (raising the
	 * cached UIDNEXT past it). Only a listing still short fails. */
	if (rc == SYNC_OK && full && listing->total < least &&
	    c->sel_expunges == c->pass_expunges) {
		rc = sync_pending_write(c, b, p, NULL);
		if (rc == SYNC_OK) {
			struct plan_actions all = *a;
			all.flags_upto = upto = below_uidnext = UINT32_MAX;
			least = c->sel_exists;
			listing->n = 0;
			listing->total = 0;
			rc = fetch_flags(c, b, p, &all, modseq, listing, &cut);
			if (cut) {
				*partial = true;
				full = false;
			}
		}
	}
	if (rc == SYNC_OK && full &&
	    listing_contradicted(c, listing->total, least)) {
		/* What came is still the server's word on those flags. */
		rc = sync_pending_write(c, b, p, NULL);
		if (rc == SYNC_OK)
			rc = SYNC_EMAILBOX;
	}
	if (rc == SYNC_OK && full)
		rc = drop_absent(c, b, p, listing, upto, below_uidnext,
		                 missing);
	if (rc == SYNC_OK)
		rc = sync_pending_write(c, b, p, NULL);
	p->listed = false;
	if (rc == SYNC_OK)
		rc = fetch_missing(c, b, p, st, missing);
	return rc;
}

/* Whether the pass over b found it as cached, with nothing left to write
 * but st's sync time, which then goes with the others' in one commit
 * (verified_push): a poll of a server without CONDSTORE opens every
 * mailbox, and a commit each wrote 600 KB at every poll of 13 (explore51). */
static bool as_cached(struct sync_ctx *c, const struct sync_box *b,
                      const struct pending *p,
                      const struct store_mailbox_state *st)
{
	struct store_mailbox_state was;
	if (p->nrows || p->nflags || p->gone.n || p->want_reset ||
	    p->forget_modseqs || c->nstale ||
	    store_mailbox_get_state(&was, c->store, b->id) < 0 ||
	    was.uidvalidity != st->uidvalidity || was.uidnext != st->uidnext ||
	    was.highestmodseq != st->highestmodseq)
		return false;
	verified_push(c, b->id);
	return true;
}

/* Carries out plan a for b, whose server state is server, from the
 * cache's st. Writes everything in short transactions and records the new
 * high-water marks last. expect: the new messages the server's count
 * says there are (0: not known; fetch_new). */
static int converge(struct sync_ctx *c, const struct sync_box *b,
                    struct store_mailbox_state *st,
                    const struct plan_server *server,
                    const struct plan_actions *a, struct pending *p,
                    uint32_t expect)
{
	int rc = SYNC_OK;
	/* Bodies are owed for what this pass fetches, and for everything
	 * once per mailbox list (a crash may have cut a backfill short, or
	 * bodies were switched on). */
	struct sync_box *box = own_box(c, b);
	uint32_t body_from = box && box->bodies_checked ? st->uidnext : 1;
	c->partial[0] = '\0';
	uint64_t above = 0; /* UIDs above a->flags_upto the search listed */
	if (a->fetch_new) {
		rc = fetch_new(c, b, p, st, a->new_from, server->exists, expect,
		               a->flags_upto, &above);
		if (rc < 0)
			return rc;
	}

	/* A few thousand UIDs of slack: mail may arrive while we list. */
	struct ranges listing = {.limit = (uint64_t)server->exists + 10000};
	struct ranges missing = {.limit = listing.limit};
	bool flags_partial = false;
	if (a->flags != PLAN_FLAGS_NONE) {
		rc = list_flags(c, b, p, st, a, server->condstore, server,
		                above, &listing, &missing, &flags_partial);
		if (rc < 0)
			goto out;
	}
	/* A flag change the cache refused for its MODSEQ, here or in the
	 * SELECT (QRESYNC) before: as when HIGHESTMODSEQ goes back, only a
	 * listing of every flag is trusted, and it is made now. (The writer
	 * thread of fetch_new has ended: c->nstale is ours.) */
	if (c->nstale && st->uidnext > 1) {
		log_notice(c->conf->name, b->name, "%s: listing every flag",
		           c->stale_why);
		struct plan_actions full = *a;
		full.flags = PLAN_FLAGS_FULL;
		full.flags_upto = st->uidnext - 1;
		rc = list_flags(c, b, p, st, &full, server->condstore, server,
		                above, &listing, &missing, &flags_partial);
		if (rc < 0)
			goto out;
	}

	/* A flag listing answered in part proves no message gone: the
	 * count tells whether the UIDs must be listed. */
	char flags_why[sizeof(c->partial)];
	snprintf(flags_why, sizeof(flags_why), "%s",
	         flags_partial ? c->partial : "");
	if (a->check_count || flags_partial) {
		/* The cache's count of the mailbox's rows, kept by every
		 * write that changes them (sync_write.c): counting them here
		 * read the whole index, most of a resync's own time. */
		struct store_mailbox_state now;
		if (store_mailbox_get_state(&now, c->store, b->id) < 0) {
			rc = sync_fail_store(c, "count messages");
			goto out;
		}
		if (now.exists != c->sel_exists) {
			/* RELIABILITY rule 7: only a full listing proves a
			 * message is gone. */
			listing.n = 0;
			listing.total = 0;
			missing.n = 0;
			missing.total = 0;
			/* Every message in the session's view: at least
			 * the EXISTS before it (mail may come meanwhile,
			 * after its result). */
			uint32_t least = c->sel_exists;
			rc = sync_uid_search(c, &listing, 1);
			if (rc == SYNC_OK &&
			    listing_contradicted(c, listing.total, least))
				rc = SYNC_EMAILBOX;
			/* Every UID listed that the cache lacks, not only
			 * those below the cached UIDNEXT: the new mail's
			 * listing (a UID SEARCH, or the size listing under
			 * NOTIFY) may have lost part of its answer, its last
			 * UIDs too, and a message it left out, named here,
			 * was passed by the UIDNEXT stored after it (or, in
			 * the mailbox open under NOTIFY, left for a later
			 * pass, the poll an hour away). Mail that came after
			 * the EXAMINE is fetched with it, which raises
			 * UIDNEXT past it. */
			if (rc == SYNC_OK)
				rc = drop_absent(c, b, p, &listing, UINT32_MAX,
				                 UINT32_MAX, &missing);
			if (rc == SYNC_OK)
				rc = sync_pending_write(c, b, p, NULL);
			if (rc == SYNC_OK)
				rc = fetch_missing(c, b, p, st, &missing);
			if (rc < 0)
				goto out;
		}
	}

	/* HIGHESTMODSEQ moves only now that every change below it is held;
	 * not past a change refused since the last listing of every flag,
	 * nor past one of a message whose flags the server did not give. */
	st->highestmodseq = server->condstore && !c->nstale && !flags_partial
	                            ? server->highestmodseq
	                            : 0;
	/* Also after new mail was fetched: the UID SEARCH came after the
	 * SELECT that told UIDNEXT, so every message below it is held. Left
	 * at the last UID fetched + 1, a mailbox whose newest messages had
	 * gone looked changed at every poll, and was searched again. */
	if (server->uidnext > st->uidnext)
		st->uidnext = server->uidnext;
	st->exists = c->sel_exists;
	st->last_sync = (int64_t)time(NULL);
	rc = as_cached(c, b, p, st) ? SYNC_OK : sync_pending_write(c, b, p, st);
	bool owed = false;
	if (rc == SYNC_OK)
		rc = sync_backfill_bodies(c, b, body_from, &owed);
	if (rc == SYNC_OK) {
		if (box)
			box->bodies_checked = !owed;
		/* Not forgotten when a fetch that followed was whole. */
		if (!c->partial[0] && flags_why[0])
			snprintf(c->partial, sizeof(c->partial), "%s",
			         flags_why);
		secret_echo_mask(c->partial, strlen(c->partial));
		store_mailbox_set_error(c->store, b->id,
		                        c->partial[0] ? c->partial : NULL);
	}
out:
	free(listing.v);
	free(missing.v);
	return rc;
}

/* What the plan needs of the cache's state. Every write of the sync that
 * changes rows recounts them in its transaction, so exists is the number
 * of rows held, without counting them again. */
static struct plan_local local_of(const struct store_mailbox_state *st)
{
	return (struct plan_local){
	        .uidvalidity = st->uidvalidity,
	        .uidnext = st->uidnext,
	        .highestmodseq = st->highestmodseq,
	        .count = st->exists,
	};
}

/* The sync of b, selected, has ended with rc: the responses of its
 * FETCHes make the view of its sequence numbers whole, or it is dropped
 * (a pass that failed, mail that came meanwhile). */
static void settle_view(struct sync_ctx *c, const struct sync_box *b, int rc)
{
	if (rc == SYNC_OK && c->selected == b && c->seq.box == b->id)
		seqview_settle(&c->seq, c->sel_exists);
	else if (c->seq.box == b->id)
		seqview_untrust(&c->seq);
}

/* b is selected already and QRESYNC is on: every flag change and expunge
 * reached us in band and was applied as it came (sync_apply_unsolicited),
 * so only new mail and the count need checking. Reopening a mailbox costs
 * some servers far more than the rest of a resync (Dovecot with a large
 * Maildir: over 100 ms). HIGHESTMODSEQ stays where the last SELECT put it:
 * the next SELECT (QRESYNC) merely repeats what we applied since.
 *
 * So it is with CONDSTORE alone (Gmail) while no news was lost since the
 * EXAMINE (sel_lost): a flag change comes with its UID and MODSEQ, and an
 * EXPUNGE lands through the view of sequence numbers when a first fetch
 * of every message built one, or else is lost and the mailbox examined
 * again (explore79: an EXAMINE and a CHANGEDSINCE per new mail). The next
 * EXAMINE's CHANGEDSINCE repeats what was applied since.
 *
 * So it is without CONDSTORE while the view of sequence numbers holds
 * (seqview.h): a flag change (a FETCH) or an expunge named by sequence
 * number was applied through it, and one it could not name dropped it.
 * New mail is what EXISTS counts past the view; nothing past it, the
 * mailbox is as cached, and the poll of a mailbox NOOP or IDLE keeps
 * current lists nothing (explore79: every wake-up listed every flag). */
static int sync_selected(struct sync_ctx *c, const struct sync_box *b)
{
	bool plain = !c->condstore;
	struct store_mailbox_state st;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0)
		return sync_fail_store(c, "read mailbox state");
	const struct sync_box *box = own_box(c, b);
	/* Every expunge since landed in the cache's count too: the same
	 * count is no new mail. */
	bool counted = plain ? c->seq.n == c->sel_exists : !c->qresync;
	if (counted && st.exists == c->sel_exists &&
	    (c->conf->bodies == CONF_BODIES_NONE ||
	     (box && box->bodies_checked))) {
		c->sel_dirty = false;
		store_mailbox_set_error(c->store, b->id, NULL);
		verified_push(c, b->id);
		return SYNC_OK;
	}
	struct plan_local local = local_of(&st);
	struct plan_server server = {
	        .uidvalidity = st.uidvalidity,
	        .exists = c->sel_exists,
	        .highestmodseq = st.highestmodseq,
	        .condstore = !plain,
	        .qresync_done = true,
	};
	struct plan_actions a;
	plan_mailbox(&a, &local, &server);
	c->sel_dirty = false;
	c->pass_expunges = c->sel_expunges;
	stale_clear(c);
	struct pending p = {0};
	/* Every expunge since the last sync was applied to the cache (or
	 * the mailbox would have been examined again): past its count is
	 * new mail. */
	uint32_t expect =
	        c->sel_exists > st.exists ? c->sel_exists - st.exists : 0;
	int rc = converge(c, b, &st, &server, &a, &p, expect);
	sync_pending_free(&p);
	if (!c->qresync)
		settle_view(c, b, rc);
	if (rc != SYNC_OK)
		c->sel_lost = true;
	return record_error(c, b, rc);
}

/* The UIDVALIDITY of b, open, asked by STATUS: some servers leave it out
 * of their answer to SELECT (RFC 3501 6.3.1 requires it), and without it
 * a cached UID cannot be trusted. The mailbox stays open: what the
 * session's view may hold back is counts, and UIDVALIDITY cannot change
 * under an open mailbox. SYNC_OK with *out set, or c->err filled. */
static int uidvalidity_by_status(struct sync_ctx *c, const struct sync_box *b,
                                 uint32_t *out)
{
	sync_beat(c);
	int rc = imap4_status(c->h, b->name, "(UIDVALIDITY)");
	if (rc < 0 || rc == IMAP4_NO)
		return sync_fail_imap(
		        c, "EXAMINE gave no UIDVALIDITY, and STATUS", rc);
	imap4_status_info st;
	if (!sync_status_of(c, b->name, &st) ||
	    !(st.have & IMAP4_ST_UIDVALIDITY) || st.uidvalidity == 0) {
		snprintf(c->err, sizeof(c->err),
		         "the server gives no UIDVALIDITY, in EXAMINE or "
		         "STATUS: its UIDs cannot be trusted");
		return SYNC_EMAILBOX;
	}
	if (!c->told_status_uidvalidity)
		log_info(c->conf->name, b->name,
		         "EXAMINE gave no UIDVALIDITY (RFC 3501 requires it): "
		         "taken from STATUS, here and wherever it is left "
		         "out");
	c->told_status_uidvalidity = true;
	*out = st.uidvalidity;
	return SYNC_OK;
}

/* Why the value of a HIGHESTMODSEQ code is no mod-sequence (RFC 7162
 * 3.1.1: a number from 1 to 2^63-1), or NULL when it is one. */
static const char *modseq_fault(const imap4_resp *r)
{
	uint64_t v;
	if (!imap4_resp_code_u64(r, "HIGHESTMODSEQ", &v))
		return "no number";
	if (v == 0)
		return "below 1";
	return v > (uint64_t)INT64_MAX ? "past 2^63-1" : NULL;
}

/* The EXAMINE just done with CONDSTORE gave a HIGHESTMODSEQ that is no
 * mod-sequence: one past 2^63-1 cannot be stored (it failed the whole
 * account at every pass as a cache error), one that is no number the
 * library leaves out, which read as a server without one. Either is
 * taken as no HIGHESTMODSEQ, every flag listed at each look, which is
 * right whatever the server's changes; the log names the server's fault
 * once a mailbox and connection, or a pass slower than the others would
 * go unexplained. */
static void check_highestmodseq(struct sync_ctx *c, const struct sync_box *b,
                                imap4_mailbox_info *info)
{
	const imap4_resp *bad = NULL;
	const char *why = NULL;
	size_t n = imap4_data_count(c->h);
	for (size_t i = 0; i <= n && !bad; i++) {
		const imap4_resp *r =
		        i < n ? imap4_data_at(c->h, i) : imap4_completion(c->h);
		if (r && r->is_status && r->code &&
		    strcasecmp(r->code, "HIGHESTMODSEQ") == 0 &&
		    (why = modseq_fault(r)) != NULL)
			bad = r;
	}
	if (!bad)
		return;
	info->nomodseq = true;
	info->highestmodseq = 0;
	if (!c->condstore) /* nothing would have used it */
		return;
	for (size_t i = 0; i < c->nmodseq_told; i++)
		if (c->modseq_told[i] == b->id)
			return;
	ids_push(&c->modseq_told, &c->nmodseq_told, &c->capmodseq_told, b->id);
	const char *said =
	        bad->code_args ? imap4_arg_string(bad->code_args) : NULL;
	char value[48];
	log_sanitize(value, sizeof(value), said ? said : "",
	             said ? strlen(said) : 0);
	log_warning(c->conf->name, b->name,
	            "the server's HIGHESTMODSEQ %s is %s (RFC 7162 3.1.1 "
	            "wants 1 to 2^63-1): taken as none, every flag listed "
	            "at each look at the mailbox",
	            value[0] ? value : "(empty)", why);
}

static int open_and_sync_view(struct sync_ctx *c, const struct sync_box *b,
                              bool keep);

static int open_and_sync(struct sync_ctx *c, const struct sync_box *b)
{
	bool again = c->reexamine;
	c->reexamine = false;
	if (b->gone)
		return SYNC_OK; /* its row went with it */
	c->said_deleted = false;
	/* Not in a mailbox without mod-sequences: QRESYNC's news there is
	 * no proof that nothing else changed, a listing of every flag is. */
	bool view =
	        c->selected == b && !c->condstore &&
	        seqview_ready(&c->seq, b->id) &&
	        (!again || mono_ms() - c->seq_listed_ms < SYNC_VIEW_RELIST_MS);
	/* A poll's look (again) examines it: CHANGEDSINCE then finds a
	 * change the server did not push. */
	bool changedsince = c->selected == b && c->condstore && !c->qresync &&
	                    !c->sel_nomodseq && !c->sel_lost && !again;
	if (c->selected == b && ((c->qresync && !c->sel_nomodseq) ||
	                         (view && !again) || changedsince))
		return sync_selected(c, b);
	/* The watched mailbox again after a poll's look at the others: its
	 * view is kept if the EXAMINE finds it as held. A flag change made
	 * meanwhile, which no one told, is listed with every flag once the
	 * view is SYNC_VIEW_RELIST_MS old, as one a server does not push. */
	if (c->selected != b && !c->condstore && c->held.box == b->id &&
	    seqview_ready(&c->held, b->id) &&
	    mono_ms() - c->held_listed_ms < SYNC_VIEW_RELIST_MS) {
		struct seqview t = c->seq;
		c->seq = c->held;
		c->held = t;
		seqview_reset(&c->held, 0, false);
		c->seq_listed_ms = c->held_listed_ms;
		view = true;
	}
	/* Not taken back now, it is of an older state than the next one. */
	if (c->held.box == b->id)
		seqview_reset(&c->held, 0, false);
	int rc = open_and_sync_view(c, b, view);
	if (!c->qresync)
		settle_view(c, b, rc);
	if (rc != SYNC_OK)
		c->sel_lost = true;
	return rc;
}

/* EXAMINEs b and brings it up to date; without CONDSTORE, the FETCHes of
 * that build the view of its sequence numbers (settle_view). keep: b was
 * selected with a whole view, kept if the EXAMINE finds b as it held it. */
static int open_and_sync_view(struct sync_ctx *c, const struct sync_box *b,
                              bool keep)
{
	struct store_mailbox_state st;
	int rc = SYNC_OK;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0)
		return sync_fail_store(c, "read mailbox state");

	struct imap4_select_params sp = {.readonly = true,
	                                 .condstore = c->condstore};
	bool qresync = c->qresync && st.uidvalidity && st.highestmodseq;
	if (qresync) {
		sp.qresync_uidvalidity = st.uidvalidity;
		sp.qresync_modseq = st.highestmodseq;
	}
	struct pending p = {0};
	struct fetch_ctx f = {.c = c, .b = b, .p = &p};
	imap4_mailbox_info info;
	/* A watched mailbox's whole view, left for another: kept aside (its
	 * memory swapped, not copied). */
	const struct sync_box *was = c->selected;
	if (!keep && !c->condstore && was && was != b && was->watched &&
	    seqview_ready(&c->seq, was->id)) {
		struct seqview t = c->held;
		c->held = c->seq;
		c->seq = t;
		c->held_listed_ms = c->seq_listed_ms;
	}
	c->selected = NULL;
	/* Without CONDSTORE every message's UID comes in the pass's
	 * FETCHes (a listing of every flag, or a first fetch of all). */
	/* With CONDSTORE alone too: a first fetch of every message
	 * builds it, and the EXPUNGEs pushed later land in place. */
	if (!keep) {
		seqview_reset(&c->seq, b->id, !c->qresync);
		c->seq_listed_ms = mono_ms();
	}
	/* A change refused before has had its consequence: the mailbox's
	 * HIGHESTMODSEQ went to 0 with it (sync_write.c). */
	stale_clear(c);
	sync_beat(c);
	int irc = imap4_select_ex(c->h, &info, b->name, &sp,
	                          sync_on_select_data, &f);
	if (tell_id(c, irc)) {
		sync_pending_free(&p);
		f = (struct fetch_ctx){.c = c, .b = b, .p = &p};
		irc = imap4_select_ex(c->h, &info, b->name, &sp,
		                      sync_on_select_data, &f);
	}
	sync_opened(c, b->name, irc);
	if (irc != IMAP4_OK) {
		/* Nothing is selected, so no news is pending about it: a
		 * mailbox that cannot be selected is retried at the next
		 * wake, not at once in a loop. */
		c->sel_dirty = false;
		sync_pending_free(&p);
		return record_error(c, b, sync_refused(c, b, "EXAMINE", irc));
	}
	/* RFC 3501 6.3.1: the server MUST send EXISTS. Without it the size
	 * of the mailbox is unknown, not 0: read as 0, a first sync
	 * mirrored nothing and said it synced (explore77 t10). */
	if (!info.has_exists) {
		c->sel_dirty = false;
		sync_pending_free(&p);
		snprintf(c->err, sizeof(c->err),
		         "EXAMINE: the server sent no EXISTS (RFC 3501 "
		         "requires it): the mailbox's size is unknown, nothing "
		         "changed, asked again at the next pass");
		return record_error(c, b, SYNC_EMAILBOX);
	}
	c->selected = b;
	c->sel_lost = false;
	c->sel_nomodseq = c->condstore && info.nomodseq;
	c->sel_exists = info.exists;
	c->listed_box = 0;
	c->pass_expunges = c->sel_expunges;
	c->sel_dirty = false;
	if (p.failed) {
		snprintf(c->err, sizeof(c->err),
		         "EXAMINE: malformed QRESYNC data from the server (%s)",
		         p.why[0] ? p.why : imap4_strerror(p.failed));
		sync_pending_free(&p);
		return SYNC_ECONN;
	}
	if (info.uidvalidity == 0 &&
	    (rc = uidvalidity_by_status(c, b, &info.uidvalidity)) != SYNC_OK) {
		sync_pending_free(&p);
		return rc == SYNC_ECONN ? rc : record_error(c, b, rc);
	}

	if (!info.nomodseq)
		check_highestmodseq(c, b, &info);
	/* A UIDNEXT at or below a UID the cache holds lags the server's own
	 * messages (uidnext_below_the_highest_uid): read as the UID after
	 * the highest, not as a UIDNEXT gone back. */
	if (info.uidnext && info.uidnext < st.uidnext &&
	    st.uidvalidity == info.uidvalidity) {
		uint32_t top = 0;
		if (store_message_max_uid(&top, c->store, b->id) < 0) {
			sync_pending_free(&p);
			return sync_fail_store(c, "read the highest UID");
		}
		if (info.uidnext <= top)
			info.uidnext = top + 1;
	}
	/* The same messages under the same numbers: nothing arrived (the
	 * same UIDNEXT) and nothing went (the same count, the view's and
	 * the cache's). The flags were kept current while it was selected
	 * (sync_selected): a listing of every flag would repeat them. */
	const struct sync_box *kept = own_box(c, b);
	if (keep && info.uidvalidity == st.uidvalidity && info.uidnext &&
	    info.uidnext == st.uidnext && info.exists == st.exists &&
	    info.exists == c->seq.n && !p.nflags && !p.gone.n &&
	    (c->conf->bodies == CONF_BODIES_NONE ||
	     (kept && kept->bodies_checked))) {
		/* News of messages past it, told before, is of none now */
		c->seq.nmore = 0;
		sync_pending_free(&p);
		store_mailbox_set_error(c->store, b->id, NULL);
		verified_push(c, b->id);
		return SYNC_OK;
	}
	if (keep) {
		seqview_reset(&c->seq, b->id, true);
		c->seq_listed_ms = mono_ms();
	}
	struct plan_local local = local_of(&st);
	struct plan_server server = {
	        .uidvalidity = info.uidvalidity,
	        .uidnext = info.uidnext,
	        .exists = info.exists,
	        .highestmodseq = info.nomodseq ? 0 : info.highestmodseq,
	        .condstore = c->condstore && !info.nomodseq,
	        .qresync_done = qresync && !c->sel_nomodseq &&
	                        info.uidvalidity == st.uidvalidity,
	};
	struct plan_actions a;
	plan_mailbox(&a, &local, &server);
	/* Mod-sequences gone since the last pass: the HIGHESTMODSEQ held
	 * goes from the first write on, the rows' MODSEQs with it. */
	if (c->sel_nomodseq && st.highestmodseq) {
		p.forget_modseqs = true;
		st.highestmodseq = 0;
	}
	if (a.modseq_back)
		log_notice(c->conf->name, b->name,
		           "HIGHESTMODSEQ went back (%" PRIu64 " -> %" PRIu64
		           "): listing every flag",
		           st.highestmodseq, server.highestmodseq);
	if (a.uidnext_back) {
		log_notice(c->conf->name, b->name,
		           "UIDNEXT went back (%u -> %u): listing every flag",
		           st.uidnext, server.uidnext);
		st.uidnext = server.uidnext;
	}

	struct sync_box *box = own_box(c, b);
	if (a.nothing && !p.nflags && !p.gone.n &&
	    (c->conf->bodies == CONF_BODIES_NONE ||
	     (box && box->bodies_checked))) {
		sync_pending_free(&p);
		store_mailbox_set_error(c->store, b->id, NULL);
		verified_push(c, b->id);
		return SYNC_OK;
	}
	if (st.uidvalidity != info.uidvalidity) {
		/* Whatever QRESYNC said was about the old epoch. */
		sync_pending_drop(&p);
		/* A mailbox renamed onto this name (two swapped, explore45):
		 * its messages came with it; new mail is above the UIDNEXT
		 * it had. */
		struct sync_box *own = own_box(c, b);
		if (own)
			own->moved_uidnext =
			        c->conf->on_new_mail &&
			                        (c->live || c->announce_known)
			                ? moved_epoch(c, b, info.uidvalidity)
			                : 0;
		/* A mailbox the cache held, whose server numbered its
		 * messages anew (an index rebuilt, a restore): what it holds
		 * now came before, as at a first sync (explore64: 736 old
		 * messages were announced); new mail is above its UIDNEXT,
		 * or, without one, waits for the next look. */
		if (own && st.uidvalidity && !own->moved_uidnext)
			own->moved_uidnext =
			        info.uidnext ? info.uidnext : UINT32_MAX;
		if (st.uidvalidity) {
			log_notice(c->conf->name, b->name,
			           "UIDVALIDITY changed (%u -> %u): refetching",
			           st.uidvalidity, info.uidvalidity);
			sync_let_go(c, st.uidvalidity, st.uidnext);
		}
		p.want_reset = true;
		p.reset_uidvalidity = info.uidvalidity;
		/* Not synced in this epoch until converge() says so: the
		 * batches before write no sync time. */
		st = (struct store_mailbox_state){
		        .uidvalidity = info.uidvalidity,
		        .uidnext = 1,
		        .last_sync = STORE_NO_TIME};
	} else if (p.nflags || p.gone.n) {
		rc = sync_pending_write(c, b, &p, NULL);
		if (rc < 0)
			goto out;
	}
	/* The marks of the epoch go in with the first write. */
	st.uidvalidity = info.uidvalidity;
	if (st.uidnext == 0)
		st.uidnext = 1;
	rc = converge(c, b, &st, &server, &a, &p, 0);
out:
	sync_pending_free(&p);
	return record_error(c, b, rc);
}

/* --------------------------------------------------------- polling */

/* What the poll's LIST gave of b's STATUS (sync_list_polled), taken
 * once: a later look asks the server. Whether it tells all that
 * status_news needs; *given whether it gave any. */
static bool take_listed(struct sync_ctx *c, const struct sync_box *b,
                        imap4_status_info *out, bool *given)
{
	const unsigned need = IMAP4_ST_MESSAGES | IMAP4_ST_UIDNEXT |
	                      IMAP4_ST_UIDVALIDITY | IMAP4_ST_HIGHESTMODSEQ;
	struct sync_box *own = own_box(c, b);
	*out = (imap4_status_info){0};
	*given = own && own->listed.have;
	if (!*given)
		return false;
	*out = own->listed;
	own->listed = (imap4_status_info){0};
	return (out->have & need) == need;
}

/* Whether si, b's STATUS, shows the server ahead of the cache (or too
 * little to tell): *news. */
static int compare_status(struct sync_ctx *c, const struct sync_box *b,
                          const imap4_status_info *si, bool got, bool *news)
{
	struct store_mailbox_state st;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0)
		return sync_fail_store(c, "read mailbox state");
	struct plan_local local = {st.uidvalidity, st.uidnext, st.highestmodseq,
	                           st.exists};
	/* A mailbox without mod-sequences on a server with CONDSTORE
	 * answers HIGHESTMODSEQ 0 (RFC 7162 3.1.2): its STATUS cannot show
	 * a flag change, and it is looked at at every poll, as on a server
	 * without CONDSTORE. */
	*news = !got || (c->condstore && si->highestmodseq == 0) ||
	        plan_status_changed(&local, si->uidvalidity, si->uidnext,
	                            si->messages, si->highestmodseq);
	return SYNC_OK;
}

/* STATUS of b against the cache's state: *news when the server shows a
 * change (or no usable answer), *answered unless the STATUS failed (then
 * the failure is recorded, sync_refused). listed: the poll's LIST's
 * STATUS of b is taken where it gave a whole one, and no STATUS sent.
 * With examine, a STATUS refused of a mailbox not gone is news, answered,
 * and no failure: the caller examines it. SYNC_OK, SYNC_EMAILBOX or
 * worse. */
static int status_news(struct sync_ctx *c, const struct sync_box *b,
                       bool listed, bool *news, bool *answered, bool examine)
{
	const char *items =
	        c->condstore ? "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
	                     : "(MESSAGES UIDNEXT UIDVALIDITY)";
	*news = false;
	*answered = false;
	if (b->gone)
		return SYNC_OK; /* its row went with it */
	imap4_status_info si = {0};
	bool given;
	if (listed && take_listed(c, b, &si, &given)) {
		*answered = true;
		return compare_status(c, b, &si, true, news);
	}
	c->said_deleted = false;
	int rc = sync_status(c, b->name, items);
	if (tell_id(c, rc))
		rc = sync_status(c, b->name, items);
	*answered = rc == IMAP4_OK;
	if (rc != IMAP4_OK) {
		rc = sync_refused(c, b, "STATUS", rc);
		/* A STATUS refused while the mailbox opens (a server that
		 * allows EXAMINE but not STATUS: "NO [NOPERM] STATUS not
		 * permitted") was never synced again: the mailbox is
		 * examined instead, as a poll without CONDSTORE does, and
		 * only that failure is its own. */
		if (examine && rc == SYNC_EMAILBOX && !b->gone) {
			log_debug(c->conf->name, b->name, "%s; examining it",
			          c->err);
			*news = *answered = true;
			return SYNC_OK;
		}
		return record_error(c, b, rc);
	}
	bool got = sync_status_of(c, b->name, &si);
	return compare_status(c, b, &si, got, news);
}

/* Whether b's last look says it is shut (a failure of its own) or open
 * (a success); a lost connection or the cache's failure says neither. */
static void note_shut(struct sync_ctx *c, const struct sync_box *b, int rc)
{
	struct sync_box *own = own_box(c, b);
	if (own && (rc == SYNC_OK || rc == SYNC_EMAILBOX))
		own->shut = rc == SYNC_EMAILBOX || own->gone;
}

/* Whether news told while b was open (an EXISTS, an EXPUNGE: RFC 3501
 * 7.4.1 lets a server send them during any command) left the cache's
 * count of b other than the session's: the pass ended before taking it
 * in. News the pass took in (a listing made after it) is no reason. */
static bool news_left(struct sync_ctx *c, const struct sync_box *b)
{
	if (!c->sel_dirty || c->selected != b)
		return false;
	struct store_mailbox_state now;
	if (store_mailbox_get_state(&now, c->store, b->id) < 0)
		return false;
	return now.exists != c->sel_exists;
}

int sync_mailbox(struct sync_ctx *c, const struct sync_box *b)
{
	int rc = open_and_sync(c, b);
	/* News told during the pass's last command was left for the next
	 * pass: --once said synced with the cache stale (explore82 s13,
	 * an EXPUNGE and an EXISTS during the flag listing), the daemon
	 * waited for its next poll. The mailbox is looked at again, a few
	 * times at most: a server that tells news at every look must not
	 * hold the pass for ever. */
	for (int i = 0; i < SYNC_NEWS_LOOKS && rc == SYNC_OK && news_left(c, b);
	     i++) {
		log_debug(c->conf->name, b->name,
		          "news told during the pass: looking again");
		c->reexamine = true;
		rc = open_and_sync(c, b);
	}
	note_shut(c, b, rc);
	return rc;
}

int sync_catch_up(struct sync_ctx *c, const struct sync_box *skip)
{
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *b = &c->boxes[i];
		if (b == skip || !b->watched || !b->notified || b->dirty)
			continue;
		if (sync_stopping(c))
			return SYNC_ESTOP;
		bool news, answered;
		int rc = status_news(c, b, false, &news, &answered, false);
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
		if (rc == SYNC_EMAILBOX)
			note_shut(c, b, rc);
		b->dirty = news;
	}
	return SYNC_OK;
}

/* Whether NOTIFY pushes b's news now: RFC 5465 tells of new mail,
 * expunges and flag changes (MESSAGE_EVENTS, sync_notify.c) as STATUS,
 * which dirties b (sync_apply_unsolicited). Not while it is held off
 * (that catch-up is start_watching's), nor for a box NOTIFY already
 * dirtied, nor one whose last look failed (the poll is its chance to
 * open again). Without CONDSTORE the catch-up after NOTIFY SET cannot
 * see a flag change made just before (sync_catch_up): the poll opens
 * those boxes still. */
static bool pushed(const struct sync_ctx *c, const struct sync_box *b)
{
	return c->condstore && c->notify_on && !c->notify_held && b->notified &&
	       !b->shut && !b->dirty && !b->gone;
}

size_t sync_poll_count(const struct sync_ctx *c, const struct sync_box *skip,
                       bool pushed_too)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nboxes; i++) {
		const struct sync_box *b = &c->boxes[i];
		n += b != skip && !b->gone && (pushed_too || !pushed(c, b));
	}
	return n;
}

/* A pushed mailbox's STATUS in the poll's LIST: NOTIFY's own STATUS of
 * it, sent while the LIST ran, came as the LIST's data and not as news
 * (imap4_list_status): the LIST's shows the change all the same. Whether
 * it shows one, or could not tell. */
static int listed_news(struct sync_ctx *c, const struct sync_box *b, bool *news)
{
	imap4_status_info si;
	bool given;
	bool whole = take_listed(c, b, &si, &given);
	*news = false;
	if (!given)
		return SYNC_OK;
	return compare_status(c, b, &si, whole, news);
}

int sync_poll(struct sync_ctx *c, const struct sync_box *skip, bool pushed_too)
{
	int worst = SYNC_OK;
	for (size_t i = 0; i < c->nboxes; i++) {
		const struct sync_box *b = &c->boxes[i];
		if (b == skip)
			continue;
		if (sync_stopping(c))
			return SYNC_ESTOP;
		/* A STATUS at every poll of each mailbox NOTIFY pushes was a
		 * round trip for nothing: 3,291 of them a poll on an account
		 * all of whose mailboxes were live (explore80). Still in sync
		 * as far as the session was told: the list just read has it,
		 * and no news of it waits. */
		bool news = true, answered = true;
		bool told = false; /* news in the LIST's STATUS of it */
		if (!pushed_too && pushed(c, b)) {
			int lrc = listed_news(c, b, &news);
			if (lrc < 0)
				return lrc;
			if (!news) {
				verified_push(c, b->id);
				continue;
			}
			told = true;
		}
		/* Without CONDSTORE, STATUS cannot show flag changes: such
		 * mailboxes are selected at every poll, and a STATUS before
		 * was a round trip for nothing (explore52: 356 of them in a
		 * poll of 357 mailboxes). */
		int rc = c->condstore && !told
		                 ? status_news(c, b, true, &news, &answered, true)
		                 : SYNC_OK;
		if (rc < 0 && rc != SYNC_EMAILBOX)
			return rc;
		if (!answered) {
			if (rc < 0)
				worst = rc;
			note_shut(c, b, rc);
			continue;
		}
		/* Unchanged is in sync as of now: mailmirror status shows when
		 * the mailbox was last known equal to the server. */
		/* and not failing: an error of an earlier pass (a STATUS
		 * refused under the name a rename took away, explore39)
		 * stayed until new mail came. Writes nothing when there is
		 * none. */
		if (!news) {
			if (store_mailbox_set_error(c->store, b->id, NULL) < 0)
				return sync_fail_store(c,
				                       "mark a mailbox synced");
			verified_push(c, b->id); /* sync_mark_verified */
			note_shut(c, b, SYNC_OK);
			continue;
		}
		rc = sync_mailbox(c, b);
		if (rc == SYNC_EMAILBOX)
			worst = rc;
		else if (rc < 0)
			return rc;
	}
	sync_tell_errors(c);
	int mrc = sync_mark_verified(c);
	return mrc < 0 ? mrc : worst;
}

static bool known_done(const struct sync_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nknown_done; i++)
		if (strcmp(c->known_done[i], name) == 0)
			return true;
	return false;
}

struct plan_turn *sync_order(struct sync_ctx *c, bool finish_last)
{
	struct plan_turn *v = malloc((c->nboxes ? c->nboxes : 1) * sizeof(*v));
	if (!v) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return NULL;
	}
	const char *const *idle = (const char *const *)c->conf->idle;
	const char *f = finish_last ? c->finish_with : NULL;
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *b = &c->boxes[i];
		/* The marks the live phase gives them (mark_watched), now:
		 * a watched mailbox's view of sequence numbers is then kept
		 * while the pass takes the others, and taken back when the
		 * live phase opens it again (open_and_sync). */
		b->watch_rank = plan_watch_rank(idle, c->conf->n_idle, b->name,
		                                b->delimiter);
		b->watched = b->watch_rank != 0;
		bool last = f && (strcasecmp(f, "INBOX") == 0
		                          ? strcasecmp(b->name, "INBOX") == 0
		                          : strcmp(b->name, f) == 0);
		v[i] = (struct plan_turn){
		        .key = last ? PLAN_SYNC_LAST
		                    : plan_sync_key(idle, c->conf->n_idle,
		                                    b->name, b->delimiter),
		        .index = i};
	}
	plan_sync_order(v, c->nboxes);
	return v;
}

int sync_all(struct sync_ctx *c)
{
	/* The watched mailbox is not kept for last here: sync_known took it
	 * last when the cache held it, and on a first sync the user wants
	 * it (INBOX above all) before the thousands of others, at the cost
	 * of one more EXAMINE of it as the live phase begins. */
	struct plan_turn *order = sync_order(c, false);
	if (!order)
		return SYNC_ESTORE;
	/* The ones sync_known did count as done: "mailbox 121 of 3292"
	 * after a reconnect. (order's keys serve no more once sorted.) */
	size_t at = 0;
	for (size_t k = 0; k < c->nboxes; k++) {
		order[k].key = known_done(c, c->boxes[order[k].index].name);
		at += order[k].key;
	}
	int worst = SYNC_OK;
	for (size_t k = 0; k < c->nboxes; k++) {
		size_t i = order[k].index;
		if (sync_stopping(c)) {
			worst = SYNC_ESTOP;
			break;
		}
		if (order[k].key)
			continue;
		if (c->turn)
			c->turn(c->payload, c->boxes[i].name, ++at, c->nboxes);
		int rc = sync_mailbox(c, &c->boxes[i]);
		if (rc == SYNC_EMAILBOX) {
			worst = rc;
		} else if (rc < 0) {
			worst = rc;
			break;
		}
	}
	free(order);
	if (worst < 0 && worst != SYNC_EMAILBOX)
		return worst;
	sync_tell_errors(c);
	return worst;
}
