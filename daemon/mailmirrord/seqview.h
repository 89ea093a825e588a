/* seqview.h - the selected mailbox's sequence numbers and their UIDs.
 *
 * A server without CONDSTORE names a message by its sequence number when
 * it pushes news of it (RFC 3501 7.4.1 EXPUNGE, 7.4.2 a FETCH of flags
 * without UID). With this view the news lands in its message's row in
 * place, where it otherwise cost a new EXAMINE and a listing of every
 * flag (explore79: 765 KB per new mail in a mailbox of 20,000).
 *
 * The view is built from the FETCH responses of the sync that follows the
 * EXAMINE (each names a sequence number and a UID) and trusted only when
 * they covered every message, 1 to EXISTS, in the order of UIDs (RFC 3501
 * 2.3.1.1), with nothing seen since that contradicts it. Memory follows
 * the responses that came, never a count the server announced (RELIABILITY
 * rule 4). Pure: no IMAP types, no I/O, table-tested.
 */
#ifndef MAILMIRRORD_SEQVIEW_H
#define MAILMIRRORD_SEQVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seqview_pair {
	uint32_t seq, uid;
};

struct seqview {
	int64_t box;   /* the mailbox (row id) it is of, 0: none */
	bool ok;       /* built since its EXAMINE, nothing contradicted it */
	bool settled;  /* a seqview_settle found it whole */
	uint32_t *uid; /* message i + 1's UID, for i < n: the settled part */
	size_t n, cap;
	/* Pairs seen past n, not settled yet (any order) */
	struct seqview_pair *more;
	size_t nmore, capmore;
};

/* Starts a view of box, empty; build: collect pairs for it (else it stays
 * untrusted until the next reset). Keeps the memory. */
void seqview_reset(struct seqview *v, int64_t box, bool build);

/* Frees the memory; the view is then none's. */
void seqview_free(struct seqview *v);

/* Something said that the view may be wrong: untrusted until a reset. */
void seqview_untrust(struct seqview *v);

/* A FETCH response named message seq with uid. One that contradicts the
 * settled part untrusts the view; past it, the pair is kept, at most limit
 * of them (more would be a server's lie about its mailbox). */
void seqview_saw(struct seqview *v, uint32_t seq, uint32_t uid, uint64_t limit);

/* The UID of message seq in the settled part of a trusted view, else 0. */
uint32_t seqview_uid(const struct seqview *v, uint32_t seq);

/* Message seq was expunged (RFC 3501 7.4.1): every message after it moves
 * down one. Its UID when the settled part held it, else 0 (not known:
 * also for a pair not settled yet, as its row may not be written yet). */
uint32_t seqview_expunge(struct seqview *v, uint32_t seq);

/* The mailbox holds exists messages now and every FETCH of the sync has
 * come: the pairs past the settled part join it where they follow it
 * without a gap and with ascending UIDs. true when the view is trusted and
 * covers 1 to exists; otherwise it is untrusted. */
bool seqview_settle(struct seqview *v, uint32_t exists);

/* Whether the view of box is trusted and was settled whole once. */
bool seqview_ready(const struct seqview *v, int64_t box);

#endif
