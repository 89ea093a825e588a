/* sync_fetch.c - the FETCH responses of a sync: rows of new messages,
 * flag changes, and the news a server tells besides.
 *
 * A batch is refused whole (nothing of it stored, the reason logged) when
 * the server breaks the protocol inside it: a row of a UID not asked for,
 * out of the order of sequence numbers, of a message above EXISTS. Short
 * of that, what the server says is taken as it comes; a row without its
 * UID that no earlier part names is skipped (tell_uidless).
 */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3501 2.3.1.1: UIDs ascend with sequence numbers. A row that breaks
 * the order with the last one (no EXPUNGE between them, which would move
 * sequence numbers) comes from a server that cannot be trusted to name
 * its messages. */
static bool row_in_order(struct fetch_ctx *f, const imap4_msg *msg)
{
	bool ok = f->last_seq == 0 || f->expunges != f->c->sel_expunges ||
	          (msg->seq > f->last_seq && msg->uid > f->last_uid) ||
	          (msg->seq < f->last_seq && msg->uid < f->last_uid) ||
	          (msg->seq == f->last_seq && msg->uid == f->last_uid);
	f->last_seq = msg->seq;
	f->last_uid = msg->uid;
	f->expunges = f->c->sel_expunges;
	return ok;
}

/* The server broke the protocol in a response of the batch: nothing of
 * the batch is kept, and why is what the log will say. */
static int refuse(struct fetch_ctx *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int refuse(struct fetch_ctx *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->p->why, sizeof(f->p->why), fmt, ap);
	va_end(ap);
	f->p->failed = IMAP4_EPROTO;
	return 0;
}

/* Whether uid is one this batch asked for (metadata). */
static bool asked_for(const struct fetch_ctx *f, uint32_t uid)
{
	return f->asked && uid >= f->batch_lo && uid <= f->hi &&
	       sync_ranges_has(f->asked, uid);
}

/* The part of a message asked for that came without the header asked for
 * (a server that cannot convert a message answers with its UID and flags
 * alone; RFC 3501 7.4.2 lets a message's data come in several FETCH
 * responses, and the header may be in the next): what it carried, kept
 * until the end of the command. */
static struct bare_part *part_of(struct fetch_ctx *f, uint32_t uid)
{
	for (size_t i = f->nbare; i-- > 0;)
		if (f->bare[i].uid == uid)
			return &f->bare[i];
	if (f->nbare == f->capbare) {
		size_t cap = f->capbare ? f->capbare * 2 : 16;
		struct bare_part *v = realloc(f->bare, cap * sizeof(*v));
		if (!v)
			return NULL;
		f->bare = v;
		f->capbare = cap;
	}
	struct bare_part *b = &f->bare[f->nbare++];
	*b = (struct bare_part){
	        .uid = uid, .size = -1, .internaldate = STORE_NO_TIME};
	return b;
}

/* What msg carries overwrites what the earlier parts of its message
 * said. 0, or -1 out of memory. */
static int keep_part(struct fetch_ctx *f, const imap4_msg *msg)
{
	struct bare_part *b = part_of(f, msg->uid);
	if (!b)
		return -1;
	if (msg->have & IMAP4_HAVE_SIZE)
		b->size = (int64_t)msg->size;
	if (msg->have & IMAP4_HAVE_INTERNALDATE)
		b->internaldate = (int64_t)msg->internaldate;
	if (msg->have & IMAP4_HAVE_MODSEQ)
		b->modseq = msg->modseq;
	if (msg->have & IMAP4_HAVE_FLAGS) {
		unsigned dropped = 0;
		char *flags = conv_flags(msg, &dropped);
		if (!flags)
			return -1;
		f->bare_bytes += strlen(flags) + 1;
		free(b->flags);
		b->flags = flags;
	}
	return 0;
}

/* The flag changes of uid pending in p are dropped: a later word on its
 * flags came. */
static void drop_flag_changes(struct pending *p, uint32_t uid)
{
	size_t kept = 0;
	for (size_t i = 0; i < p->nflags; i++) {
		if (p->flags[i].uid != uid) {
			p->flags[kept++] = p->flags[i];
			continue;
		}
		p->bytes -= strlen(p->flags[i].flags) + 32;
		free(p->flags[i].flags);
	}
	p->nflags = kept;
}

/* The row of msg came: its message has its header. What earlier parts
 * of it told (a server may split a message's items over several FETCH
 * responses, RFC 3501 7.4.2) fills in what the row lacks, in *merged;
 * their flags came as a flag change of their own, which the row's own
 * flags, told later, supersede (the changes are written after the
 * rows). */
static const imap4_msg *row_came(struct fetch_ctx *f, const imap4_msg *msg,
                                 imap4_msg *merged)
{
	for (size_t i = f->nbare; i-- > 0;) {
		struct bare_part *b = &f->bare[i];
		if (b->uid != msg->uid)
			continue;
		*merged = *msg;
		if (!(msg->have & IMAP4_HAVE_SIZE) && b->size >= 0) {
			merged->size = (uint64_t)b->size;
			merged->have |= IMAP4_HAVE_SIZE;
		}
		if (!(msg->have & IMAP4_HAVE_INTERNALDATE) &&
		    b->internaldate != STORE_NO_TIME) {
			merged->internaldate = (time_t)b->internaldate;
			merged->have |= IMAP4_HAVE_INTERNALDATE;
		}
		if (!(msg->have & IMAP4_HAVE_MODSEQ) && b->modseq) {
			merged->modseq = b->modseq;
			merged->have |= IMAP4_HAVE_MODSEQ;
		}
		if ((msg->have & IMAP4_HAVE_FLAGS) && b->flags)
			drop_flag_changes(f->p, msg->uid);
		free(b->flags);
		*b = f->bare[--f->nbare];
		return merged;
	}
	return msg;
}

/* The messages whose header never came: each a row without an envelope,
 * as for a header section sent as NIL. Else UIDNEXT passed them, every
 * listing of every flag found them missing and fetched them again for
 * the same answer, and they never reached the cache. */
static int rows_without_header(struct fetch_ctx *f)
{
	for (size_t i = 0; i < f->nbare; i++) {
		const struct bare_part *b = &f->bare[i];
		if (sync_pending_bare_row(f->p, b->uid, b->flags, b->size,
		                          b->internaldate, b->modseq) < 0)
			return -1;
	}
	return 0;
}

/* Those, and the rows whose header came as NIL (Exchange's answer for a
 * message it cannot convert): cached without an envelope, which the log
 * says. */
static void tell_headerless(const struct fetch_ctx *f)
{
	size_t n = f->nbare + f->nnil;
	uint32_t first = f->nnil ? f->nil_uid : UINT32_MAX;
	for (size_t i = 0; i < f->nbare; i++)
		if (f->bare[i].uid < first)
			first = f->bare[i].uid;
	log_warning(f->c->conf->name, f->b ? f->b->name : NULL,
	            "%zu message%s (UID %u%s) came without the header asked "
	            "for: cached without an envelope",
	            n, n == 1 ? "" : "s", first, n == 1 ? "" : " and more");
}

/* The rows of f->p not counted yet that lack their INTERNALDATE or size
 * (but_headerless: leaving out those without an envelope, which are not
 * kept): counted as they are written, when every part of their message
 * has come. */
static void count_undated(struct fetch_ctx *f, bool but_headerless)
{
	for (size_t i = f->rows_from; i < f->p->nrows; i++) {
		const struct store_msg *r = &f->p->rows[i].row;
		if ((r->internaldate != STORE_NO_TIME && r->size >= 0) ||
		    (but_headerless && f->p->rows[i].headerless))
			continue;
		if (f->nundated++ == 0)
			f->undated_uid = r->uid;
	}
	f->rows_from = f->p->nrows;
}

/* A server may garble one message's INTERNALDATE or RFC822.SIZE
 * (imap4_msg_parse leaves such a value out): its row is cached without
 * it, where refusing the batch would stop the mailbox's sync at that
 * message at every pass. */
static void tell_undated(const struct fetch_ctx *f)
{
	log_warning(f->c->conf->name, f->b ? f->b->name : NULL,
	            "%zu message%s (UID %u%s) came without a readable "
	            "INTERNALDATE or RFC822.SIZE: cached without it",
	            f->nundated, f->nundated == 1 ? "" : "s", f->undated_uid,
	            f->nundated == 1 ? "" : " and more");
}

/* RFC 3501 6.4.5: RFC822.SIZE is the number of octets of the message,
 * which a body section that holds all of it counts too: a size garbled on
 * the way (a digit changed) or a server's estimate (hosted Exchange's was
 * three times the message) is replaced by the length of what came, and
 * stays the cache's only word on the message's size. A body larger than
 * the size its answer claims is the message as sent, and its length is
 * the size; one cut at max_body_size counts what the literal announced. */
static const imap4_msg *size_of_body(struct fetch_ctx *f, const imap4_msg *msg,
                                     imap4_msg *sized)
{
	int64_t whole = sync_cut_whole_len(f->cut, msg, f->cut->cap);
	if (whole < 0 ||
	    ((msg->have & IMAP4_HAVE_SIZE) && msg->size == (uint64_t)whole))
		return msg;
	if (f->nresized++ == 0)
		f->resized_uid = msg->uid;
	*sized = *msg;
	sized->size = (uint64_t)whole;
	sized->have |= IMAP4_HAVE_SIZE;
	return sized;
}

/* Said once a batch, at info level: a server that estimates its sizes
 * would otherwise fill the log at every pass with new mail. */
static void tell_resized(const struct fetch_ctx *f)
{
	log_info(f->c->conf->name, f->b ? f->b->name : NULL,
	         "%zu message%s (UID %u%s) came with an RFC822.SIZE other "
	         "than the length of the message sent: that length cached",
	         f->nresized, f->nresized == 1 ? "" : "s", f->resized_uid,
	         f->nresized == 1 ? "" : " and more");
}

/* Rows skipped for want of their UID: the batch's other messages are
 * kept, and UIDNEXT may pass the skipped ones, which the count of the
 * mailbox's messages (or a listing of every flag) then finds missing
 * and fetches again, at this pass or a later one. Refusing the batch
 * stopped the whole account at every pass for one such message. */
static void tell_uidless(const struct fetch_ctx *f)
{
	log_warning(f->c->conf->name, f->b ? f->b->name : NULL,
	            "%zu message%s (message %u%s) came without %s UID (RFC "
	            "3501 requires it): not cached now, asked for again",
	            f->nuidless, f->nuidless == 1 ? "" : "s", f->uidless_seq,
	            f->nuidless == 1 ? "" : " and more",
	            f->nuidless == 1 ? "its" : "their");
}

static void forget_bare(struct fetch_ctx *f)
{
	for (size_t i = 0; i < f->nbare; i++)
		free(f->bare[i].flags);
	free(f->bare);
	f->bare = NULL;
	f->nbare = f->capbare = 0;
	f->bare_bytes = 0;
}

void sync_fetch_forget_headerless(struct fetch_ctx *f)
{
	if (f->metadata)
		count_undated(f, true);
	size_t n = f->nbare + sync_pending_forget_headerless(f->p);
	f->rows_from = f->p->nrows;
	forget_bare(f);
	f->nnil = 0;
	if (n)
		log_debug(f->c->conf->name, f->b ? f->b->name : NULL,
		          "%zu message%s expunged as %s fetched: not cached", n,
		          n == 1 ? "" : "s", n == 1 ? "it was" : "they were");
}

/* Whether the row r of p holds every item a FETCH of new mail asks for:
 * its header is there (else it would be no row), and its flags came with
 * it or in a part of their own. */
static bool row_whole(const struct pending *p, const struct store_msg *r)
{
	if (r->internaldate == STORE_NO_TIME || r->size < 0)
		return false;
	if (r->flags)
		return true;
	for (size_t i = p->nflags; i-- > 0;)
		if (p->flags[i].uid == r->uid)
			return true;
	return false;
}

static int leave(struct fetch_ctx *f, uint32_t uid)
{
	return sync_ranges_add(f->left, uid, uid);
}

/* A message whose answer lacks an item asked for is not stored as if it
 * were whole: nothing would ever ask for it again (a later pass looks
 * above UIDNEXT, and at flags). Left out, it is asked for once more in
 * the same pass, and then kept as it comes, so that a server that never
 * sends the item costs one FETCH, not a loop, and loses no message. */
int sync_fetch_leave_out(struct fetch_ctx *f, bool complete)
{
	if (!f->left)
		return 0;
	struct pending *p = f->p;
	size_t kept = 0, from = f->rows_from;
	for (size_t i = 0; i < p->nrows; i++) {
		struct conv_msg *m = &p->rows[i];
		if (row_whole(p, &m->row)) {
			p->rows[kept++] = *m;
			continue;
		}
		if (leave(f, m->row.uid) < 0)
			return -1;
		/* Counted already (sync_fetch_forget_headerless), and now
		 * not kept. */
		if (i < f->rows_from) {
			from--;
			if ((m->row.internaldate == STORE_NO_TIME ||
			     m->row.size < 0) &&
			    f->nundated)
				f->nundated--;
		}
		p->bytes -= m->bytes + m->body.bytes + 256;
		conv_clear(m);
	}
	p->nrows = kept;
	f->rows_from = from;
	uint32_t top = f->written_top;
	for (size_t i = 0; i < p->nrows; i++)
		if (p->rows[i].row.uid > top)
			top = p->rows[i].row.uid;
	f->top_uid = top;
	if (complete) {
		for (size_t i = 0; i < f->nbare; i++)
			if (leave(f, f->bare[i].uid) < 0)
				return -1;
		forget_bare(f);
	}
	return 0;
}

uint32_t sync_fetch_top(const struct fetch_ctx *f, bool keep_bare)
{
	uint32_t top = f->top_uid;
	for (size_t i = 0; keep_bare && i < f->nbare; i++)
		if (f->bare[i].uid > top)
			top = f->bare[i].uid;
	return top;
}

int sync_fetch_done(struct fetch_ctx *f, bool complete, bool keep_bare)
{
	int rc = 0;
	if (f->metadata)
		count_undated(f, false);
	if (!keep_bare)
		forget_bare(f);
	if (complete && f->nbare && !f->p->failed && rows_without_header(f) < 0)
		rc = -1;
	if (complete && (f->nbare || f->nnil) && !f->p->failed && rc == 0)
		tell_headerless(f);
	if (complete && f->nundated && !f->p->failed)
		tell_undated(f);
	if (complete && f->nresized && !f->p->failed)
		tell_resized(f);
	if (f->nuidless && !f->p->failed)
		tell_uidless(f);
	f->nundated = f->nnil = f->nresized = f->nuidless = 0;
	forget_bare(f);
	return rc;
}

/* Whether msg, numbered above the EXISTS last told, is mail the server
 * has counted but not told yet: RFC 3501 7.4.1 (RFC 9051 7.4.1) lets it
 * tell EXISTS at the end of the command, and Dovecot, with mail arriving,
 * lists the new UIDs in a UID SEARCH, then answers their UID FETCH with
 * sequence numbers past its last EXISTS (explore84: a refused batch and
 * a reconnect per burst). Only for a UID this batch asked for, within the
 * count of the full listing it was asked from (no expunge since): past
 * that, the server still says two things at once about its mailbox. */
static bool told_late(const struct fetch_ctx *f, const imap4_msg *msg)
{
	const struct sync_ctx *c = f->c;
	return (msg->have & IMAP4_HAVE_UID) && msg->uid &&
	       asked_for(f, msg->uid) && f->b && c->listed_box == f->b->id &&
	       c->listed_expunges == c->sel_expunges &&
	       msg->seq <= c->sel_listed;
}

int sync_on_fetch(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct fetch_ctx *f = payload;
	(void)resp;
	if (f->p->failed)
		return 0; /* the batch is lost already */
	imap4_msg cut;
	msg = sync_cut_msg(f->cut, msg, &cut, true);
	/* RFC 3501 7.4.2: a FETCH names a message by its sequence number,
	 * which is never above EXISTS (the server sends the EXISTS of new
	 * mail first, 7.3.1). A server that numbers past its own count says
	 * two things at once about its mailbox; which message it means
	 * cannot be known. Only once the mailbox is selected: the FETCH of
	 * a SELECT (QRESYNC) may come before its EXISTS, and c->selected is
	 * set when the SELECT has completed. */
	if (f->c->selected == f->b && msg->seq > f->c->sel_exists) {
		if (!told_late(f, msg))
			return refuse(f,
			              "FETCH of message %u, above EXISTS "
			              "(%u)",
			              msg->seq, f->c->sel_exists);
		f->c->sel_exists = msg->seq;
	}
	bool row = f->metadata && conv_carries_row(msg);
	imap4_msg named;
	if (!(msg->have & IMAP4_HAVE_UID)) {
		/* The flags of the message just named, told again without
		 * its UID (Exchange adds such a line to its answers), or
		 * more of its items, its header included (a server that
		 * splits them, and names the message in the first part
		 * only; RFC 3501 6.4.8 wants the UID in each): that
		 * message's, no news of another. Taken for news, each one
		 * cost a resync, which brought the next. */
		uint32_t uid = 0;
		if (f->seen_seq && msg->seq == f->seen_seq &&
		    f->seen_expunges == f->c->sel_expunges)
			uid = f->seen_uid;
		else if (f->c->selected == f->b && f->b &&
		         f->c->seq.box == f->b->id)
			/* Another client's flag change, by sequence number
			 * (RFC 3501 7.4.2): the view names its message. */
			uid = seqview_uid(&f->c->seq, msg->seq);
		if (uid) {
			named = *msg;
			named.uid = uid;
			named.have |= IMAP4_HAVE_UID;
			msg = &named;
		} else if (row) {
			/* A row no part names cannot be stored: skipped
			 * (tell_uidless), the rest of the batch kept. */
			if (f->nuidless++ == 0)
				f->uidless_seq = msg->seq;
			return 0;
		} else {
			/* Unsolicited news of another message, by sequence
			 * number. Past a whole view it is new mail, whose
			 * fetch brings its flags; otherwise only a listing
			 * of every flag tells which message changed. */
			if (!f->c->seq.settled)
				seqview_untrust(&f->c->seq);
			f->p->dirty = true;
			return 0;
		}
	}
	if (f->c->selected == f->b && f->b && f->c->seq.box == f->b->id)
		seqview_saw(&f->c->seq, msg->seq, msg->uid,
		            (uint64_t)f->c->sel_exists + 10000);
	f->seen_seq = msg->seq;
	f->seen_uid = msg->uid;
	f->seen_expunges = f->c->sel_expunges;
	if (f->star && msg->uid < f->lo)
		return 0;
	/* Past the last row: no row of it came before. */
	if (!row && f->metadata && msg->uid > f->last_uid &&
	    asked_for(f, msg->uid)) {
		if (keep_part(f, msg) < 0) {
			f->p->failed = IMAP4_ENOMEM;
			return -1;
		}
		/* Kept whole until the command ends: bounded as a batch. */
		if (f->bare_bytes > ROWS_MAX_BYTES)
			return refuse(f, "too many flags of messages without "
			                 "their header");
	}
	if (f->listing && sync_ranges_add(f->listing, msg->uid, msg->uid) < 0)
		return refuse(f, "%s",
		              f->listing->over
		                      ? "more messages listed than EXISTS"
		                      : "out of memory");
	int rc;
	if (row) {
		if (f->hi && (msg->uid < f->lo || msg->uid > f->hi))
			return refuse(f, "FETCH of UID %u, not asked for",
			              msg->uid);
		if (!row_in_order(f, msg))
			return refuse(f,
			              "UIDs out of the order of sequence "
			              "numbers (UID %u at message %u)",
			              msg->uid, msg->seq);
		imap4_msg merged, sized;
		msg = row_came(f, msg, &merged);
		if (f->cut)
			msg = size_of_body(f, msg, &sized);
		f->nrows++;
		if (msg->uid > f->top_uid)
			f->top_uid = msg->uid;
		if (conv_header_refused(msg) && f->nnil++ == 0)
			f->nil_uid = msg->uid;
		rc = sync_pending_row(f->p, msg);
	} else {
		/* More of a message whose row came before it */
		if (f->metadata &&
		    (msg->have & (IMAP4_HAVE_SIZE | IMAP4_HAVE_INTERNALDATE |
		                  IMAP4_HAVE_MODSEQ)))
			sync_pending_fill(f->p, msg);
		if (!(msg->have & IMAP4_HAVE_FLAGS))
			return 0;
		rc = sync_pending_flags(f->p, msg);
	}
	if (rc < 0) {
		f->p->failed = IMAP4_ENOMEM;
		return -1;
	}
	if (rc > 0)
		log_warning(f->c->conf->name, f->b ? f->b->name : NULL,
		            "UID %u has more flags than the cache keeps (%u "
		            "bytes): %d keywords left out",
		            msg->uid, (unsigned)STORE_FLAGS_MAX, rc);
	/* Rows of a batch beyond the memory bound are written now, without
	 * the high-water mark: a kill then refetches them, never skips. */
	if (f->p->bytes > ROWS_MAX_BYTES) {
		if (sync_fetch_leave_out(f, false) < 0) {
			f->p->failed = IMAP4_ENOMEM;
			return -1;
		}
		if (f->top_uid > f->written_top)
			f->written_top = f->top_uid;
		count_undated(f, false);
		if (sync_pending_write(f->c, f->b, f->p, NULL) < 0) {
			f->p->failed = IMAP4_ECALLBACK;
			return -1;
		}
		f->rows_from = f->p->nrows;
	}
	return 0;
}

/* VANISHED and FETCH during SELECT (QRESYNC) into p. */
int sync_on_select_data(void *payload, const imap4_resp *resp)
{
	struct fetch_ctx *f = payload;
	if (!resp->name)
		return 1;
	if (strcmp(resp->name, "VANISHED") == 0) {
		imap4_vanished v;
		if (imap4_vanished_parse(&v, resp) < 0)
			return refuse(f, "a VANISHED that does not parse");
		for (size_t i = 0; i < v.uids.count; i++) {
			const imap4_range *g = &v.uids.ranges[i];
			if (g->lo == 0 || g->hi == 0)
				return refuse(f, "a VANISHED of UID \"*\"");
			if (sync_ranges_add(&f->p->gone, g->lo, g->hi) < 0)
				return refuse(f, "no memory for a VANISHED");
		}
		return 0;
	}
	if (strcmp(resp->name, "FETCH") == 0) {
		imap4_msg m;
		if (imap4_msg_parse(&m, resp) < 0)
			return refuse(f, "a FETCH that does not parse");
		return sync_on_fetch(f, &m, resp) < 0 ? -1 : 0;
	}
	return 1;
}
