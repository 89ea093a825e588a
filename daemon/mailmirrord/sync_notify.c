/* sync_notify.c - RFC 5465 NOTIFY: the server tells us of changes in the
 * watched mailboxes while we idle on one of them.
 *
 * The watched mailboxes are named one by one when they are few. Servers
 * bound that list (Dovecot refuses more than 100 names), so past
 * NOTIFY_MAX_NAMES, or when the list is refused, we ask for every mailbox
 * of the personal namespaces instead: news of a mailbox we do not watch
 * costs a STATUS line, and sync_apply_unsolicited drops what we do not
 * mirror.
 */
#include "mailmirrord/sync.h"

#include "mailmirrord/sync_internal.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_MAX_NAMES 100

/* RFC 5465 5: FlagChange needs MessageNew and MessageExpunge; for the
 * mailboxes other than the selected one they arrive as STATUS. */
#define NOTIFY_EVENTS "(MessageNew MessageExpunge FlagChange)"

/* A mailbox name as a quoted string of its wire form, or -1 when it cannot
 * be one (then it stays polled). */
static int put_mailbox(struct imap4_buf *b, const char *name)
{
	char *wire = NULL;
	if (strpbrk(name, "\r\n") || imap4_mutf7_encode(&wire, name) < 0)
		return -1;
	int rc = imap4_buf_putc(b, '"');
	for (const char *p = wire; rc == 0 && *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = imap4_buf_putc(b, '\\');
		if (rc == 0)
			rc = imap4_buf_putc(b, *p);
	}
	if (rc == 0)
		rc = imap4_buf_putc(b, '"');
	free(wire);
	return rc;
}

/* " (mailboxes ("a" "b") EVENTS)" for the watched boxes but the selected
 * one; nothing when there is none. 0, or -1 out of memory. */
static int put_watched(struct imap4_buf *b, const struct sync_ctx *c)
{
	size_t named = 0;
	for (size_t i = 0; i < c->nboxes; i++) {
		const struct sync_box *x = &c->boxes[i];
		if (!x->watched || x == c->selected)
			continue;
		size_t mark = b->len;
		if (imap4_buf_puts(b, named ? " " : " (mailboxes (") < 0)
			return -1;
		if (put_mailbox(b, x->name) < 0) {
			b->len = mark; /* this one is polled instead */
			b->data[b->len] = '\0';
			continue;
		}
		named++;
	}
	if (named && imap4_buf_puts(b, ") " NOTIFY_EVENTS ")") < 0)
		return -1;
	return 0;
}

static int notify_set(struct sync_ctx *c, bool personal)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	int rc = imap4_buf_puts(&b, "(selected " NOTIFY_EVENTS ")");
	if (rc == 0)
		rc = personal ? imap4_buf_puts(&b,
		                               " (personal " NOTIFY_EVENTS ")")
		              : put_watched(&b, c);
	if (rc < 0) {
		imap4_buf_clear(&b);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	sync_beat(c);
	int irc = imap4_notify(c->h, b.data);
	imap4_buf_clear(&b);
	if (irc != IMAP4_OK)
		return sync_fail_imap(c, "NOTIFY", irc);
	return SYNC_OK;
}

int sync_notify(struct sync_ctx *c)
{
	if (!imap4_has_capability(c->h, "NOTIFY"))
		return SYNC_EMAILBOX;
	c->notify_lost = false;
	size_t n = 0;
	for (size_t i = 0; i < c->nboxes; i++)
		n += c->boxes[i].watched && &c->boxes[i] != c->selected;
	int rc = SYNC_EMAILBOX;
	if (n <= NOTIFY_MAX_NAMES)
		rc = notify_set(c, false);
	if (rc == SYNC_EMAILBOX)
		rc = notify_set(c, true);
	return rc;
}

bool sync_notify_overflow(const imap4_resp *resp)
{
	/* RFC 5465 5.8: the server stopped notifying, as after NOTIFY NONE. */
	return resp->is_status && resp->name && resp->code &&
	       strcmp(resp->name, "OK") == 0 &&
	       strcmp(resp->code, "NOTIFICATIONOVERFLOW") == 0;
}
