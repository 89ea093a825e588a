/* sync_cut.c - a body section larger than the daemon asked for.
 *
 * A body is asked for as a partial fetch, <0.max_body_size> (sync_body_item
 * and the pieces of sync_bodies.c), and the connection refuses a literal
 * past that size (conn.c). A server that ignores the partial fetch sends
 * the whole message all the same: a literal of 50 MiB where one of 1 MiB
 * was asked for, as BODY[] or as BODY[]<0>. Refused, it failed its batch,
 * dropped the connection, and was asked for again at every pass, for
 * ever. During a FETCH of bodies such a literal goes to this sink instead
 * (conn.c sets the stream threshold at the limit): its first bytes, as
 * many as were asked for, are kept, the rest is read and dropped, and the
 * message is taken as if the server had answered the partial fetch.
 * Memory stays bounded by what was asked for, never by what the server
 * chose to send.
 */
#include "mailmirrord/sync_internal.h"

#include "proto/fetch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void sync_cut_begin(struct sync_ctx *c, struct body_cut *bc, uint64_t cap)
{
	memset(bc, 0, sizeof(*bc));
	bc->cap = cap;
	imap4_buf_init(&bc->kept, 0);
	imap4_set_literal_sink(c->h, sync_cut_sink, bc);
}

void sync_cut_end(struct sync_ctx *c, struct body_cut *bc)
{
	imap4_set_literal_sink(c->h, NULL, NULL);
	imap4_buf_clear(&bc->kept);
}

/* Whether item, a FETCH item's name as sent ("BODY[]<0>"), is the body
 * section a body fetch asks for: the message, or its header (as conv_body
 * takes them), partial or not. */
static bool is_body_item(const char *item)
{
	static const char *const names[] = {"BODY[]", "BODY[HEADER]", "RFC822",
	                                    "RFC822.HEADER"};
	const char *origin = strchr(item, '<');
	size_t n = origin ? (size_t)(origin - item) : strlen(item);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n &&
		    strncasecmp(item, names[i], n) == 0)
			return true;
	return false;
}

/* Whether item is the section of the whole message (BODY[], RFC822), not
 * of its header. */
static bool is_message_item(const char *item)
{
	return strcasecmp(item, "BODY[]") == 0 ||
	       strcasecmp(item, "RFC822") == 0;
}

/* The length of the message in msg's body section, -1 when it is only
 * the start of it or none (sync_cut_whole_len, which adds a check). */
static int64_t whole_len(const struct body_cut *bc, const imap4_msg *msg,
                         uint64_t cap)
{
	if (bc && msg->sections == &bc->section)
		return bc->whole_len;
	if (!(msg->have & IMAP4_HAVE_SECTIONS))
		return -1;
	for (const imap4_section *s = msg->sections; s; s = s->next) {
		if (s->nil || s->streamed || !s->data ||
		    !is_message_item(s->item))
			continue;
		/* <0.cap> asked for: fewer bytes are all there is, and so
		 * are more (a server that ignored the partial fetch); cap
		 * bytes exactly may be the start of a larger message. */
		if (s->has_origin && (s->origin != 0 || s->len == cap))
			return -1;
		return (int64_t)s->len;
	}
	return -1;
}

int64_t sync_cut_whole_len(const struct body_cut *bc, const imap4_msg *msg,
                           uint64_t cap)
{
	int64_t n = whole_len(bc, msg, cap);
	/* An empty message where RFC822.SIZE says there is one is the
	 * server's failure to read it (convert.c section_empty), no
	 * measure of it: taken for its length, the message was cached as
	 * 0 octets, its text '' (explore82 s11). */
	if (n == 0 && (msg->have & IMAP4_HAVE_SIZE) && msg->size > 0)
		return -1;
	return n;
}

int sync_cut_sink(void *payload, const struct imap4_literal_info *info,
                  const void *data, size_t len)
{
	struct body_cut *bc = payload;
	if (info->offset == 0) {
		uint32_t seq;
		char item[64];
		/* Any other string that large (a header field's, a MIME
		 * part's) is no body to cut: refused when announced, as
		 * without the sink, and the connection dropped. Read to its
		 * end and dropped, it kept us reading all the server chose
		 * to announce (200 MB) before the batch could fail. */
		if (imap4_fetch_prefix_parse(&seq, item, sizeof(item),
		                             info->prefix,
		                             info->prefix_len) < 0 ||
		    !is_body_item(item)) {
			snprintf(bc->why, sizeof(bc->why),
			         "a literal of %llu bytes, over the limit of "
			         "%llu, in %s",
			         (unsigned long long)info->total,
			         (unsigned long long)bc->cap,
			         item[0] ? "another item than the body"
			                 : "an unreadable FETCH");
			bc->failed = IMAP4_ELIMIT;
			return IMAP4_ELIMIT;
		}
		imap4_buf_reset(&bc->kept);
		bc->seq = seq;
		bc->total = info->total;
	}
	size_t room =
	        bc->kept.len < bc->cap ? (size_t)(bc->cap - bc->kept.len) : 0;
	if (len > room)
		len = room;
	if (len && imap4_buf_append(&bc->kept, data, len) < 0) {
		snprintf(bc->why, sizeof(bc->why), "out of memory");
		bc->failed = IMAP4_ENOMEM;
		return -1;
	}
	return 0;
}

const imap4_msg *sync_cut_msg(struct body_cut *bc, const imap4_msg *msg,
                              imap4_msg *out, bool as_partial)
{
	if (!bc)
		return msg;
	bc->cut = false;
	bc->whole_len = -1;
	if (bc->failed || bc->seq == 0 || msg->seq != bc->seq ||
	    !(msg->have & IMAP4_HAVE_SECTIONS))
		return msg;
	const imap4_section *s = msg->sections;
	while (s && !(s->streamed && is_body_item(s->item)))
		s = s->next;
	if (!s)
		return msg;
	/* The bytes kept go first: conv_body and on_piece take the first
	 * body section with data, and skip the streamed one. */
	bc->section = *s;
	bc->section.streamed = false;
	bc->section.data = bc->kept.data ? bc->kept.data : "";
	bc->section.len = bc->kept.len;
	bc->section.next = msg->sections;
	bc->cut = bc->kept.len < bc->total;
	/* Sent from its first byte, past what was asked for: a server
	 * that ignored the partial fetch sends the message whole. */
	if (is_message_item(s->item) && (!s->has_origin || s->origin == 0))
		bc->whole_len = (int64_t)bc->total;
	/* What was kept is what the partial fetch <0.cap> would have
	 * brought: truncated when the message is larger (conv_body). */
	if (as_partial && bc->cut) {
		bc->section.has_origin = true;
		bc->section.origin = 0;
	}
	*out = *msg;
	out->sections = &bc->section;
	/* Each literal once: the next response's starts afresh. */
	bc->seq = 0;
	return out;
}
