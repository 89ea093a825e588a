/* sync_bodies.c - bodies of messages cached without one.
 *
 * New messages bring their body with them (the FETCH of sync.c asks for
 * it); these are the others: messages cached before bodies were
 * configured, or whose body a crash or a failed FETCH left out. They are
 * fetched by UID set in batches, and written a batch per transaction.
 */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/store.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Bodies held before they are written in a backfill. */
#define BODIES_MAX_BYTES (4u << 20)

/* The body section a FETCH asks for with bodies configured, or "". A
 * partial fetch bounds what one message can make us hold. */
const char *sync_body_item(const struct sync_ctx *c, char *buf, size_t len)
{
	uint64_t cap = conf_body_cap(c->conf);
	switch (c->conf->bodies) {
	case CONF_BODIES_FULL:
		snprintf(buf, len, " BODY.PEEK[]<0.%llu>",
		         (unsigned long long)cap);
		return buf;
	case CONF_BODIES_HEADERS:
		snprintf(buf, len, " BODY.PEEK[HEADER]<0.%llu>",
		         (unsigned long long)cap);
		return buf;
	case CONF_BODIES_NONE:
		break;
	}
	return "";
}

uint64_t sync_body_guess(const struct conf_account *a, int64_t size)
{
	uint64_t cap = conf_body_cap(a);
	/* A header is most often a few KiB whatever its message's size:
	 * taken as the whole message, a header fetch of large mail looked
	 * like megabytes coming. */
	if (a->bodies == CONF_BODIES_HEADERS && cap > SYNC_HEADER_GUESS)
		cap = SYNC_HEADER_GUESS;
	return size >= 0 && (uint64_t)size < cap ? (uint64_t)size : cap;
}

/* Bodies of one backfill batch, written together: one transaction per
 * batch, not per message (a commit each made the first sync forty times
 * slower). */
struct body_ctx {
	struct sync_ctx *c;
	const struct sync_box *b;
	struct conv_body *v;
	size_t n, cap, bytes;
	int failed;
	struct body_cut *cut; /* the FETCH's sink, or NULL */
};

static void bodies_drop(struct body_ctx *bc)
{
	for (size_t i = 0; i < bc->n; i++)
		conv_body_clear(&bc->v[i]);
	bc->n = bc->bytes = 0;
}

void sync_text_forgotten(struct sync_ctx *c, uint64_t rows)
{
	if (c->text_forgotten && rows)
		c->text_forgotten(c->payload, rows);
}

void sync_text_stored(struct sync_ctx *c)
{
	if (c->text_stored)
		c->text_stored(c->payload);
}

static int bodies_write(struct body_ctx *bc)
{
	struct sync_ctx *c = bc->c;
	if (bc->n == 0)
		return SYNC_OK;
	struct store_body *v = malloc(bc->n * sizeof(*v));
	if (!v) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	for (size_t i = 0; i < bc->n; i++)
		v[i] = bc->v[i].b;
	pthread_mutex_lock(&c->store_lock);
	int rc = store_body_put_many(c->store, bc->b->id, v, bc->n);
	if (rc < 0)
		rc = sync_fail_store(c, "store bodies");
	else
		c->stored += bc->n;
	pthread_mutex_unlock(&c->store_lock);
	free(v);
	if (rc < 0)
		return rc;
	bodies_drop(bc);
	sync_text_stored(c);
	return SYNC_OK;
}

/* Ends a batch with rc: what it holds let go, its writes undone on
 * failure. */
static int bodies_end(struct body_ctx *bc, int rc)
{
	if (rc < 0)
		store_rollback(bc->c->store);
	bodies_drop(bc);
	free(bc->v);
	return rc;
}

static int on_body(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct body_ctx *bc = payload;
	(void)resp;
	imap4_msg cut, sized;
	msg = sync_cut_msg(bc->cut, msg, &cut, true);
	uint64_t body_cap = conf_body_cap(bc->c->conf);
	/* The message was cached with the size its first FETCH told (with
	 * bodies = "none", an RFC822.SIZE alone): a body section that holds
	 * the whole message counts its octets (RFC 3501 6.4.5), as
	 * sync_on_fetch's size_of_body takes them for new mail. Left as
	 * it was, a garbled or estimated size stood for good, and one
	 * below max_body_size beside a body cut there had that body
	 * fetched again at every pass. */
	int64_t whole = sync_cut_whole_len(bc->cut, msg, body_cap);
	if (whole >= 0) {
		sized = *msg;
		sized.size = (uint64_t)whole;
		sized.have |= IMAP4_HAVE_SIZE;
		msg = &sized;
	}
	if (bc->n == bc->cap) {
		size_t cap = bc->cap ? bc->cap * 2 : 256;
		struct conv_body *v = realloc(bc->v, cap * sizeof(*v));
		if (!v)
			goto nomem;
		bc->v = v;
		bc->cap = cap;
	}
	int got = conv_body(&bc->v[bc->n], msg, body_cap);
	if (got < 0)
		goto nomem;
	if (got == 0)
		return 0;
	if (msg->have & IMAP4_HAVE_SIZE) {
		bc->v[bc->n].b.size = msg->size;
		bc->v[bc->n].b.size_from =
		        whole >= 0 ? STORE_SIZE_WHOLE : STORE_SIZE_TOLD;
	}
	bc->bytes += bc->v[bc->n].bytes;
	bc->n++;
	if (bc->bytes > BODIES_MAX_BYTES && bodies_write(bc) < 0) {
		bc->failed = SYNC_ESTORE;
		return -1;
	}
	return 0;
nomem:
	bc->failed = IMAP4_ENOMEM;
	return -1;
}

/* A FETCH of bodies (irc its result) whose sink refused a literal
 * (sync_cut_sink): the batch lost, and the connection with it when the
 * literal was past its limit. */
static int refused_literal(struct sync_ctx *c, const char *what,
                           const struct body_cut *big, int irc)
{
	snprintf(c->err, sizeof(c->err), "%s: %s", what, big->why);
	if (big->failed == IMAP4_ENOMEM)
		return SYNC_ESTORE;
	return imap4_error_class(irc) == IMAP4_CLASS_ABORT ? SYNC_ECONN
	                                                   : SYNC_EMAILBOX;
}

static int fetch_bodies(struct sync_ctx *c, const struct sync_box *b,
                        const uint32_t *uids, size_t n)
{
	if (n == 0)
		return SYNC_OK;
	char *set = NULL;
	if (imap4_seqset_format(&set, uids, n) < 0) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	char items[96], body[64];
	snprintf(items, sizeof(items), "(UID RFC822.SIZE%s)",
	         sync_body_item(c, body, sizeof(body)));
	struct body_cut big;
	struct body_ctx bc = {.c = c, .b = b, .cut = &big};
	sync_beat(c);
	sync_cut_begin(c, &big, conf_body_cap(c->conf));
	int64_t t0 = mono_ms();
	uint64_t in0 = imap4_bytes_in(c->h);
	int irc = imap4_fetch_each(c->h, true, set, items, on_body, &bc);
	sync_batch_adapt(c, b, n, bc.n, imap4_bytes_in(c->h) - in0, irc,
	                 mono_ms() - t0);
	sync_cut_end(c, &big);
	bc.cut = NULL;
	free(set);
	int rc;
	if (bc.failed == SYNC_ESTORE)
		rc = SYNC_ESTORE;
	else if (big.failed && !bc.failed)
		rc = refused_literal(c, "UID FETCH bodies", &big, irc);
	else if (irc != IMAP4_OK || bc.failed)
		rc = sync_fail_imap(c, "UID FETCH bodies",
		                    irc != IMAP4_OK ? irc : bc.failed);
	else
		rc = bodies_write(&bc);
	/* The connection lost midway: the bodies that came whole are kept
	 * (explore65: a link reset every few seconds fetched the same ones
	 * for ever). */
	if (!bc.failed && sync_connection_lost(irc) && bodies_write(&bc) < 0)
		rc = SYNC_ESTORE;
	return bodies_end(&bc, rc);
}

/* ---- a body in pieces (sync_bodies_in_pieces) */

/* The first piece when no rate was measured; each next one is sized to
 * take PIECE_MS (a quarter of the command timeout at most) at the rate
 * the last one came (sync_piece_size), within these bounds: short enough
 * that a turn of a mailbox's bodies (BACKFILL_TURN_MS) ends soon. */
#define PIECE_FIRST (256u << 10)
#define PIECE_MIN   (16u << 10)
#define PIECE_MAX   (16u << 20)
#define PIECE_MS    4000

struct piece_ctx {
	uint32_t uid;
	uint64_t offset;       /* where the piece asked for begins */
	struct imap4_buf *raw; /* the section so far */
	uint64_t size;         /* RFC822.SIZE */
	bool have_size;
	bool got;   /* the piece came */
	bool whole; /* the server sent the whole section at once */
	size_t len; /* the piece's length */
	int failed;
	uint64_t cap;         /* max_body_size: raw holds no more */
	bool cut;             /* more came than that */
	struct body_cut *big; /* the FETCH's sink */
};

/* What came of a body before its connection dropped, or before its
 * mailbox's turn ended (sync_ctx.backfill_turn_ms): a link that stalls
 * now and then would otherwise start it again from its first byte at
 * every reconnection, and never end a large one (explore49). It is the
 * same message while mailbox, UID and RFC822.SIZE are. One is kept a
 * mailbox, a few in all: mailboxes that take turns each go on from
 * where theirs was. */
#define RESUME_KEPT 4

struct piece_resume {
	struct piece_resume *next; /* newest first */
	int64_t mailbox;
	uint32_t uid;
	uint64_t size;
	bool have_size;
	struct imap4_buf raw;
};

static void resume_free(struct piece_resume *r)
{
	while (r) {
		struct piece_resume *next = r->next;
		imap4_buf_clear(&r->raw);
		free(r);
		r = next;
	}
}

void sync_bodies_forget(struct sync_ctx *c)
{
	resume_free(c->resume);
	c->resume = NULL;
	free(c->owed);
	c->owed = NULL;
	c->nowed = c->capowed = 0;
}

/* Takes out of c what was kept of mailbox's bodies: the one of uid, or
 * with uid 0 any; NULL when none. */
static struct piece_resume *take_resume(struct sync_ctx *c, int64_t mailbox,
                                        uint32_t uid)
{
	for (struct piece_resume **p = &c->resume; *p; p = &(*p)->next) {
		struct piece_resume *r = *p;
		if (r->mailbox == mailbox && (uid == 0 || r->uid == uid)) {
			*p = r->next;
			r->next = NULL;
			return r;
		}
	}
	return NULL;
}

/* Keeps raw (taken over) for later, as what came of pc's UID; the oldest
 * kept goes past RESUME_KEPT. */
static void keep_for_resume(struct sync_ctx *c, int64_t mailbox,
                            const struct piece_ctx *pc, struct imap4_buf *raw)
{
	resume_free(take_resume(c, mailbox, 0));
	struct piece_resume *r;
	if (raw->len == 0 || !(r = malloc(sizeof(*r))))
		return;
	*r = (struct piece_resume){.next = c->resume,
	                           .mailbox = mailbox,
	                           .uid = pc->uid,
	                           .size = pc->size,
	                           .have_size = pc->have_size,
	                           .raw = *raw};
	imap4_buf_init(raw, 0);
	c->resume = r;
	for (size_t n = 1; r->next; r = r->next)
		if (++n > RESUME_KEPT) {
			resume_free(r->next);
			r->next = NULL;
			break;
		}
}

/* Whether mailbox may have a body in pieces: it has one already, or fewer
 * than RESUME_KEPT mailboxes have. More, each dropping the oldest kept,
 * dropped the one whose turn came next, and none was ever whole
 * (explore53: five mailboxes going round, each from byte 0 every turn). */
static bool resume_room(const struct sync_ctx *c, int64_t mailbox)
{
	size_t n = 0;
	for (const struct piece_resume *r = c->resume; r; r = r->next) {
		if (r->mailbox == mailbox)
			return true;
		n++;
	}
	return n < RESUME_KEPT;
}

/* Drops what is kept of mailbox's bodies unless it is of a UID of
 * missing[0..n): a message expunged since, or whose body came otherwise. */
static void resume_prune(struct sync_ctx *c, int64_t mailbox,
                         const uint32_t *missing, size_t n)
{
	struct piece_resume *r = take_resume(c, mailbox, 0);
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		if (missing[i] == r->uid) {
			r->next = c->resume;
			c->resume = r;
			return;
		}
	resume_free(r);
}

/* ---- mailboxes owed bodies: their backfill's turn ended */

bool sync_bodies_owed_take(struct sync_ctx *c, int64_t mailbox)
{
	for (size_t i = 0; i < c->nowed; i++)
		if (c->owed[i] == mailbox) {
			c->owed[i] = c->owed[--c->nowed];
			return true;
		}
	return false;
}

bool sync_bodies_owed_any(struct sync_ctx *c)
{
	size_t kept = 0;
	for (size_t i = 0; i < c->nowed; i++) {
		bool listed = false;
		for (size_t j = 0; j < c->nboxes && !listed; j++)
			listed = c->boxes[j].id == c->owed[i];
		if (listed)
			c->owed[kept++] = c->owed[i];
	}
	c->nowed = kept;
	/* A body kept for a mailbox owed nothing any more (gone, or its
	 * mail gone) would hold one of the RESUME_KEPT places for good. */
	for (struct piece_resume **p = &c->resume; *p;) {
		struct piece_resume *r = *p;
		bool owed = false;
		for (size_t i = 0; i < c->nowed && !owed; i++)
			owed = c->owed[i] == r->mailbox;
		if (owed) {
			p = &r->next;
			continue;
		}
		*p = r->next;
		r->next = NULL;
		resume_free(r);
	}
	return kept > 0;
}

static void set_owed(struct sync_ctx *c, int64_t mailbox, bool owed)
{
	sync_bodies_owed_take(c, mailbox);
	if (!owed)
		return;
	if (c->nowed == c->capowed) {
		size_t cap = c->capowed ? c->capowed * 2 : 8;
		int64_t *v = realloc(c->owed, cap * sizeof(*v));
		if (!v) /* its next pass with news goes on with them */
			return;
		c->owed = v;
		c->capowed = cap;
	}
	c->owed[c->nowed++] = mailbox;
}

static int on_piece(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct piece_ctx *pc = payload;
	(void)resp;
	imap4_msg cut;
	msg = sync_cut_msg(pc->big, msg, &cut, false);
	if (!(msg->have & IMAP4_HAVE_UID) || msg->uid != pc->uid)
		return 0;
	if (pc->big && pc->big->cut)
		pc->cut = true;
	if (msg->have & IMAP4_HAVE_SIZE) {
		pc->size = msg->size;
		pc->have_size = true;
	}
	if (!(msg->have & IMAP4_HAVE_SECTIONS))
		return 0;
	for (const imap4_section *s = msg->sections; s; s = s->next) {
		if (s->nil || s->streamed || !s->data || pc->got)
			continue;
		/* A piece where it was asked, or the whole section from a
		 * server that takes no partial fetch; anything else would
		 * put bytes in the wrong place. */
		if (s->has_origin && s->origin != pc->offset) {
			pc->failed = IMAP4_EPROTO;
			return -1;
		}
		pc->whole = !s->has_origin;
		if (pc->whole)
			imap4_buf_reset(pc->raw);
		/* More than was asked for (a server that ignores the
		 * partial fetch): what max_body_size allows. */
		size_t n = s->len;
		if (n > pc->cap - pc->raw->len) {
			n = (size_t)(pc->cap - pc->raw->len);
			pc->cut = true;
		}
		if (imap4_buf_append(pc->raw, s->data, n) < 0) {
			pc->failed = IMAP4_ENOMEM;
			return -1;
		}
		pc->got = true;
		pc->len = n;
	}
	return 0;
}

/* What the link brings in target_ms at the rate bytes came in ms. */
static uint64_t at_rate(uint64_t bytes, int64_t ms, uint64_t target_ms)
{
	return ms > 0 && bytes < UINT64_MAX / target_ms
	               ? bytes * target_ms / (uint64_t)ms
	               : UINT64_MAX;
}

size_t sync_piece_size(const struct sync_ctx *c, uint64_t bytes, int64_t ms)
{
	uint64_t quarter = (uint64_t)c->conf->timeout * 250;
	uint64_t want =
	        at_rate(bytes, ms, quarter < PIECE_MS ? quarter : PIECE_MS);
	return want < PIECE_MIN   ? PIECE_MIN
	       : want > PIECE_MAX ? PIECE_MAX
	                          : (size_t)want;
}

size_t sync_piece_before_cut(const struct sync_ctx *c, uint64_t bytes,
                             int64_t ms)
{
	size_t at = sync_piece_size(c, bytes, ms);
	if (bytes / 2 >= at)
		return at;
	return bytes / 2 < PIECE_MIN ? PIECE_MIN : (size_t)(bytes / 2);
}

/* Whether a link that brought bytes in ms takes the largest piece within
 * a quarter of the timeout: then it takes batches again. */
static bool takes_batches(const struct sync_ctx *c, uint64_t bytes, int64_t ms)
{
	return bytes >= PIECE_MIN &&
	       at_rate(bytes, ms, (uint64_t)c->conf->timeout * 250) >=
	               PIECE_MAX;
}

/* The envelope fields the row of m's UID lacks, from the whole header m
 * brings: a header too large for the link came cut (sync_ctx.fields_cap),
 * its later fields left out, and the cache never caught up with the
 * server (explore53: Subject, Message-ID and Date stayed NULL). */
static int complete_envelope(struct sync_ctx *c, const struct sync_box *b,
                             const imap4_msg *m)
{
	struct imap4_arena *scratch = imap4_arena_new(0);
	struct conv_msg cm;
	if (!scratch || conv_msg(&cm, m, scratch, 0) < 0) {
		imap4_arena_free(&scratch);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	pthread_mutex_lock(&c->store_lock);
	int rc = store_message_fill_envelope(c->store, b->id, &cm.row) < 0
	                 ? sync_fail_store(c, "complete an envelope")
	                 : SYNC_OK;
	pthread_mutex_unlock(&c->store_lock);
	conv_clear(&cm);
	imap4_arena_free(&scratch);
	return rc;
}

/* The end of a backfill's turn (sync_ctx.backfill_turn_ms), or 0. */
static int64_t turn_end(const struct sync_ctx *c)
{
	return c->backfill_turn_ms ? mono_ms() + c->backfill_turn_ms : 0;
}

static bool turn_over(int64_t end)
{
	return end && mono_ms() >= end;
}

/* The pieces of uid's section the cache keeps (a run before this one
 * fetched them), into raw: the body goes on from there. */
static int load_kept(struct sync_ctx *c, const struct sync_box *b, uint32_t uid,
                     const char *section, struct imap4_buf *raw,
                     struct piece_ctx *pc)
{
	char *data;
	size_t len;
	int64_t size;
	pthread_mutex_lock(&c->store_lock);
	int rc = store_pieces_load(c->store, b->id, uid, section, &data, &len,
	                           &size) < 0
	                 ? sync_fail_store(c, "read the pieces of a body")
	                 : SYNC_OK;
	pthread_mutex_unlock(&c->store_lock);
	if (rc < 0 || len == 0)
		return rc;
	if (imap4_buf_append(raw, data, len) < 0) {
		free(data);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	free(data);
	pc->size = size >= 0 ? (uint64_t)size : 0;
	pc->have_size = size >= 0;
	log_info(c->conf->name, b->name,
	         "UID %u: its body goes on from byte %zu, which the cache "
	         "kept",
	         uid, len);
	return SYNC_OK;
}

/* Keeps the piece that just came (pc's) in the cache. */
static int keep_piece(struct sync_ctx *c, const struct sync_box *b,
                      const char *section, const struct piece_ctx *pc,
                      const struct imap4_buf *raw)
{
	pthread_mutex_lock(&c->store_lock);
	int rc =
	        store_piece_add(c->store, b->id, pc->uid, section,
	                        pc->have_size ? (int64_t)pc->size : -1,
	                        pc->offset, raw->data + pc->offset, pc->len) < 0
	                ? sync_fail_store(c, "keep a piece of a body")
	                : SYNC_OK;
	c->stored += rc == SYNC_OK;
	pthread_mutex_unlock(&c->store_lock);
	return rc;
}

/* The pieces the cache kept of uid: its body is stored, or they were of
 * another message. */
static int drop_pieces(struct sync_ctx *c, const struct sync_box *b,
                       uint32_t uid)
{
	pthread_mutex_lock(&c->store_lock);
	int rc = store_pieces_drop(c->store, b->id, uid) < 0
	                 ? sync_fail_store(c, "drop the pieces of a body")
	                 : SYNC_OK;
	pthread_mutex_unlock(&c->store_lock);
	return rc;
}

/* The body section of uid, as sync_body_item asks for it, a FETCH per
 * piece: each within the command timeout on a link too slow for the
 * whole. Taken into bc as a FETCH of it whole would have been; or kept
 * for later, with *paused set, when the turn ends at end (0: never) first. */
static int fetch_in_pieces(struct sync_ctx *c, struct body_ctx *bc,
                           uint32_t uid, int64_t end, bool *paused)
{
	bool full = c->conf->bodies == CONF_BODIES_FULL;
	const char *section = full ? "" : "HEADER";
	uint64_t cap = conf_body_cap(c->conf);
	struct imap4_buf raw;
	imap4_buf_init(&raw, 0);
	struct piece_ctx pc = {.uid = uid, .raw = &raw, .cap = cap};
	struct piece_resume *r = take_resume(c, bc->b->id, uid);
	int rc = SYNC_OK;
	if (r) {
		/* taken back: checked against the RFC822.SIZE of the next
		 * piece */
		raw = r->raw;
		pc.size = r->size;
		pc.have_size = r->have_size;
		imap4_buf_init(&r->raw, 0);
		resume_free(r);
	} else if ((rc = load_kept(c, bc->b, uid, section, &raw, &pc)) < 0) {
		goto out;
	}
	/* A lower max_body_size since: what came is all that is wanted. */
	if (raw.len > cap)
		raw.len = (size_t)cap;
	char set[16], items[96];
	snprintf(set, sizeof(set), "%u", uid);
	size_t piece = c->piece ? c->piece : PIECE_FIRST;

	while (raw.len < cap) {
		uint64_t left = cap - raw.len;
		size_t want = left < piece ? (size_t)left : piece;
		snprintf(items, sizeof(items), "(UID RFC822.SIZE %s<%zu.%zu>)",
		         full ? "BODY.PEEK[]" : "BODY.PEEK[HEADER]", raw.len,
		         want);
		pc.offset = raw.len;
		pc.got = false;
		uint64_t had_size = pc.size;
		bool had = pc.have_size && raw.len;
		sync_beat(c);
		struct body_cut big;
		sync_cut_begin(c, &big, cap);
		pc.big = &big;
		int64_t t0 = mono_ms();
		uint64_t in0 = imap4_bytes_in(c->h);
		int irc =
		        imap4_fetch_each(c->h, true, set, items, on_piece, &pc);
		int64_t ms = mono_ms() - t0;
		sync_cut_end(c, &big);
		pc.big = NULL;
		if (big.failed && !pc.failed) {
			rc = refused_literal(c, "UID FETCH a piece of a body",
			                     &big, irc);
			goto out;
		}
		if (irc == IMAP4_ETIMEOUT) {
			/* The link got slower: the next piece is sized at the
			 * rate this one came, and smaller than it at least. */
			size_t at = sync_piece_size(
			        c, imap4_bytes_in(c->h) - in0, ms);
			c->piece = at < piece / 2 ? at : piece / 2;
			if (c->piece < PIECE_MIN)
				c->piece = PIECE_MIN;
		} else if (sync_connection_lost(irc)) {
			/* A link that drops before a piece comes: the next
			 * connection asks for less than came of this one. */
			size_t at = sync_piece_before_cut(
			        c, imap4_bytes_in(c->h) - in0, ms);
			if (at < piece)
				c->piece = at;
		}
		if (irc != IMAP4_OK || pc.failed) {
			rc = sync_fail_imap(c, "UID FETCH a piece of a body",
			                    irc != IMAP4_OK ? irc : pc.failed);
			if (rc == SYNC_ECONN && !pc.whole)
				keep_for_resume(c, bc->b->id, &pc, &raw);
			goto out;
		}
		if (!pc.got) /* expunged meanwhile, or no such section */
			goto out;
		if (had && pc.have_size && pc.size != had_size) {
			/* Not the message the kept pieces were of (a new
			 * UIDVALIDITY reused the UID): from its start. */
			imap4_buf_reset(&raw);
			pc.size = 0;
			if ((rc = drop_pieces(c, bc->b, uid)) < 0)
				goto out;
			continue;
		}
		/* Kept as it comes: a restart goes on from here. A server
		 * that sent the whole section at once needs nothing kept. */
		if (!pc.whole &&
		    (rc = keep_piece(c, bc->b, section, &pc, &raw)) < 0)
			goto out;
		/* A link fast enough for the largest piece within a quarter
		 * of the timeout can take batches again (sync_batch_adapt
		 * doubles them); a small message that came whole says nothing
		 * of it (explore49: in and out of pieces at every one). */
		size_t at = sync_piece_size(c, pc.len, ms);
		if (takes_batches(c, pc.len, ms))
			sync_batch_adapt(c, bc->b, 1, 1, pc.len, IMAP4_OK, ms);
		if (pc.whole || pc.len < want || raw.len >= cap)
			break;
		/* Twice the last at most: a piece that came in a burst (a
		 * shaper's credit after the pause between two turns) told of
		 * a rate the link does not keep, and the piece sized to it
		 * ran out of time. */
		if (pc.len >= PIECE_MIN)
			piece = c->piece = at / 2 > piece ? 2 * piece : at;
		/* Another piece would take the turn past its end. */
		if (end && mono_ms() + ms > end) {
			keep_for_resume(c, bc->b->id, &pc, &raw);
			*paused = true;
			goto out;
		}
	}
	/* As one FETCH of <0.cap> would have brought it. */
	imap4_section s = {
	        .item = full ? "BODY[]" : "BODY[HEADER]",
	        .section = full ? "" : "HEADER",
	        .has_origin = !pc.whole || pc.cut,
	        .data = raw.data ? raw.data : "",
	        .len = raw.len,
	};
	imap4_msg m = {
	        .have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                (pc.have_size ? IMAP4_HAVE_SIZE : 0),
	        .uid = uid,
	        .size = pc.size,
	        .sections = &s,
	};
	if (on_body(bc, &m, NULL) < 0)
		rc = bc->failed == SYNC_ESTORE
		             ? SYNC_ESTORE
		             : sync_fail_imap(c, "UID FETCH bodies",
		                              bc->failed);
	else
		rc = complete_envelope(c, bc->b, &m);
out:
	imap4_buf_clear(&raw);
	return rc;
}

/* Each message of uids[0..n) alone, in pieces, written as they come;
 * *left set when the turn ends at end (0: never) before they do. */
static int fetch_bodies_in_pieces(struct sync_ctx *c, const struct sync_box *b,
                                  const uint32_t *uids, size_t n, int64_t end,
                                  bool *left)
{
	struct body_ctx bc = {.c = c, .b = b};
	int rc = SYNC_OK;
	for (size_t i = 0; rc == SYNC_OK && i < n && !*left; i++) {
		if (sync_stopping(c))
			rc = SYNC_ESTOP;
		else if (i > 0 && turn_over(end))
			*left = true;
		else if ((rc = fetch_in_pieces(c, &bc, uids[i], end, left)) ==
		                 SYNC_OK &&
		         !*left && (rc = bodies_write(&bc)) == SYNC_OK)
			rc = drop_pieces(c, b, uids[i]);
	}
	return bodies_end(&bc, rc);
}

struct missing {
	uint32_t *v;
	size_t n, cap;
	const struct conf_account *conf;
	uint64_t bytes; /* their bodies' at most (sync_body_guess) */
};

static int note_missing(void *payload, uint32_t uid, int64_t size)
{
	struct missing *m = payload;
	uint64_t body = sync_body_guess(m->conf, size);
	m->bytes = m->bytes > UINT64_MAX - body ? UINT64_MAX : m->bytes + body;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint32_t *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = uid;
	return 0;
}

/* Messages whose bodies one step of sync_trim_bodies takes: a reader or
 * the indexer waits for one step at most (the index forgets each text). */
#define TRIM_STEP 256

int sync_trim_bodies(struct sync_ctx *c)
{
	if (c->conf->bodies == CONF_BODIES_FULL)
		return SYNC_OK;
	bool keep_headers = c->conf->bodies == CONF_BODIES_HEADERS;
	int64_t after = 0;
	size_t n, total = 0;
	do {
		if (sync_stopping(c))
			return SYNC_ESTOP;
		pthread_mutex_lock(&c->store_lock);
		int rc = store_body_trim(c->store, c->account_id, keep_headers,
		                         TRIM_STEP, &after, &n);
		if (rc < 0)
			rc = sync_fail_store(c, "remove bodies no longer kept");
		pthread_mutex_unlock(&c->store_lock);
		if (rc < 0)
			return rc;
		total += n;
	} while (n == TRIM_STEP);
	sync_text_forgotten(c, total);
	/* The header sections stay, each queued to be indexed again
	 * without its text (the bodies' trigger): the indexer is told, or
	 * it would wait for the next stored text. */
	if (keep_headers && total)
		sync_text_stored(c);
	if (total)
		log_notice(c->conf->name, NULL,
		           "removed the cached %s of %zu messages: bodies = "
		           "\"%s\" now",
		           keep_headers ? "text" : "bodies", total,
		           keep_headers ? "headers" : "none");
	return SYNC_OK;
}

/* Bodies, as configured, of the cached messages from min_uid up that lack
 * one: messages cached before bodies were configured, or whose body a
 * crash or a failed FETCH left out, or cut at a lower max_body_size. New
 * messages bring theirs with them (meta_items). A turn ends with bodies
 * left (*owed): the mailbox is owed the rest (sync_bodies_owed_take). */
int sync_backfill_bodies(struct sync_ctx *c, const struct sync_box *b,
                         uint32_t min_uid, bool *owed)
{
	*owed = false;
	if (c->conf->bodies == CONF_BODIES_NONE) {
		set_owed(c, b->id, false);
		return SYNC_OK;
	}
	struct missing m = {.conf = c->conf};
	int rc = SYNC_OK;
	if (store_message_each_without_body(c->store, b->id, min_uid,
	                                    c->conf->bodies == CONF_BODIES_FULL,
	                                    conf_body_cap(c->conf),
	                                    note_missing, &m) < 0) {
		rc = sync_fail_store(c, "list messages without a body");
		goto out;
	}
	if (min_uid <= 1)
		resume_prune(c, b->id, m.v, m.n);
	/* A run before this one fetched bodies of the mailbox in pieces:
	 * the link was too slow for them whole, and a FETCH of a batch of
	 * them would first run out of time (a timeout wasted at every
	 * start, explore53). In pieces it goes on where they were. */
	bool kept = false;
	if (m.n && !sync_bodies_in_pieces(c) &&
	    store_pieces_any(c->store, b->id, &kept) == STORE_OK && kept) {
		c->batch_cap = 1;
		log_info(c->conf->name, b->name,
		         "bodies came in pieces before: in pieces again, "
		         "until they come quickly");
	}
	int64_t end = turn_end(c);
	size_t batch = sync_batch_of(c);
	for (size_t i = 0; rc == SYNC_OK && i < m.n && !*owed; i += batch) {
		if (sync_stopping(c)) {
			rc = SYNC_ESTOP;
			break;
		}
		size_t n = m.n - i < batch ? m.n - i : batch;
		if (i > 0 && turn_over(end))
			*owed = true;
		else if (sync_bodies_in_pieces(c) && end &&
		         !resume_room(c, b->id))
			*owed = true; /* its turn comes when one is whole */
		/* The whole turn under one NOTIFY NONE (the first batch's
		 * holds it for the others). */
		else if ((rc = sync_notify_hold(c, m.bytes)) < 0)
			break;
		else if (sync_bodies_in_pieces(c))
			rc = fetch_bodies_in_pieces(c, b, m.v + i, n, end,
			                            owed);
		else
			rc = fetch_bodies(c, b, m.v + i, n);
	}
	if (rc == SYNC_OK && *owed)
		log_debug(c->conf->name, b->name,
		          "bodies: the mailbox's turn ended with some left to "
		          "fetch; the others go first");
	set_owed(c, b->id, rc == SYNC_OK && *owed);
out:
	free(m.v);
	return rc;
}
