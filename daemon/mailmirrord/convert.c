/* convert.c - typed FETCH data to cache rows; see convert.h. */
#include "mailmirrord/convert.h"

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *decode_header(const char *s)
{
	char *out = NULL;
	if (!s)
		return NULL;
	if (imap4_rfc2047_decode(&out, s, strlen(s)) < 0)
		return NULL;
	return out;
}

char *conv_flags(const imap4_msg *msg)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	for (size_t i = 0; i < msg->nflags; i++) {
		/* \Recent belongs to one session (RFC 3501 2.3.2; gone in
		 * IMAP4rev2): the mirror would show whichever session
		 * happened to see it first. */
		if (strcasecmp(msg->flags[i], "\\Recent") == 0)
			continue;
		if ((b.len && imap4_buf_putc(&b, ' ') < 0) ||
		    imap4_buf_puts(&b, msg->flags[i]) < 0) {
			imap4_buf_clear(&b);
			return NULL;
		}
	}
	return imap4_buf_steal(&b, NULL);
}

static int put_address(struct imap4_buf *b, const imap4_address *a)
{
	char *name = decode_header(a->name);
	int rc = 0;
	if (name && *name) {
		rc = imap4_buf_printf(b, "%s <", name);
	} else if (a->name && !name) {
		rc = -1;
	}
	if (rc == 0)
		rc = imap4_buf_printf(b, "%s@%s", a->mailbox ? a->mailbox : "",
		                      a->host);
	if (rc == 0 && name && *name)
		rc = imap4_buf_putc(b, '>');
	free(name);
	return rc;
}

char *conv_addresses(const imap4_address *list)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	bool first = true;
	int rc = 0;
	/* RFC 3501 7.4.2: a NIL host starts a group (mailbox is its name)
	 * and a NIL host with a NIL mailbox ends it. */
	for (const imap4_address *a = list; a && rc == 0; a = a->next) {
		if (!a->host) {
			if (a->mailbox) {
				char *g = decode_header(a->mailbox);
				rc = imap4_buf_printf(
				        &b, "%s%s:", first ? "" : ", ",
				        g ? g : a->mailbox);
				free(g);
				first = true;
				continue;
			}
			rc = imap4_buf_putc(&b, ';');
			first = false;
			continue;
		}
		if (!first)
			rc = imap4_buf_puts(&b, ", ");
		else if (b.len && b.data[b.len - 1] == ':')
			rc = imap4_buf_putc(&b, ' ');
		if (rc == 0)
			rc = put_address(&b, a);
		first = false;
	}
	if (rc < 0 || b.len == 0) {
		imap4_buf_clear(&b);
		return NULL;
	}
	return imap4_buf_steal(&b, NULL);
}

/* ---- messages */

static char *own(struct conv_msg *c, char *s)
{
	if (s && c->nowned < (int)(sizeof(c->owned) / sizeof(c->owned[0])))
		c->owned[c->nowned++] = s;
	return s;
}

void conv_clear(struct conv_msg *c)
{
	for (int i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	c->nowned = 0;
}

int conv_msg(struct conv_msg *out, const imap4_msg *msg)
{
	memset(out, 0, sizeof(*out));
	struct store_msg *r = &out->row;
	r->uid = msg->uid;
	r->modseq = (msg->have & IMAP4_HAVE_MODSEQ) ? msg->modseq : 0;
	r->internaldate = (msg->have & IMAP4_HAVE_INTERNALDATE)
	                          ? (int64_t)msg->internaldate
	                          : STORE_NO_TIME;
	r->size = (msg->have & IMAP4_HAVE_SIZE) ? (int64_t)msg->size : -1;
	r->date = STORE_NO_TIME;
	if (msg->have & IMAP4_HAVE_FLAGS) {
		r->flags = own(out, conv_flags(msg));
		if (!r->flags)
			goto nomem;
	}
	const imap4_envelope *e = msg->envelope;
	if (!(msg->have & IMAP4_HAVE_ENVELOPE) || !e)
		return 0;
	time_t date;
	int zone;
	r->date = imap4_rfc5322_date(&date, &zone, e->date) == 0
	                  ? (int64_t)date
	                  : STORE_NO_TIME;
	struct {
		const char **dst;
		char *val;
		bool present;
	} fields[] = {
	        {&r->subject, decode_header(e->subject), e->subject != NULL},
	        {&r->from, conv_addresses(e->from), e->from != NULL},
	        {&r->sender, conv_addresses(e->sender), e->sender != NULL},
	        {&r->reply_to, conv_addresses(e->reply_to),
	         e->reply_to != NULL},
	        {&r->to, conv_addresses(e->to), e->to != NULL},
	        {&r->cc, conv_addresses(e->cc), e->cc != NULL},
	        {&r->bcc, conv_addresses(e->bcc), e->bcc != NULL},
	};
	bool failed = false;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		*fields[i].dst = own(out, fields[i].val);
		out->bytes += fields[i].val ? strlen(fields[i].val) : 0;
		/* An address list of only empty groups gives NULL too; only
		 * a subject that was there and vanished means no memory. */
		if (i == 0 && fields[i].present && !fields[i].val)
			failed = true;
	}
	/* Copies, so that a row outlives the response it came from (sync.c
	 * writes rows after the FETCH completes). */
	if (e->message_id && !(r->message_id = own(out, strdup(e->message_id))))
		failed = true;
	if (e->in_reply_to &&
	    !(r->in_reply_to = own(out, strdup(e->in_reply_to))))
		failed = true;
	if (failed)
		goto nomem;
	return 0;
nomem:
	conv_clear(out);
	return -1;
}
