/* sync_notify.c - RFC 5465 NOTIFY: the server tells us of changes in the
 * watched mailboxes while we idle on one of them.
 *
 * The watched mailboxes are named one by one when they are few. Servers
 * bound that list (Dovecot refuses more than 100 names), so past
 * NOTIFY_MAX_NAMES, or when the list is refused, we ask for every mailbox
 * of the personal namespaces instead (and for a name beyond ASCII, which
 * Dovecot does not match): news of a mailbox we do not watch
 * costs a STATUS line, and sync_apply_unsolicited drops what we do not
 * mirror. "personal" leaves out the other users' and the public
 * namespaces (RFC 5465 6), so their watched mailboxes are added by name,
 * or past the bound by their namespace's subtree; what no form the server
 * takes covers stays polled, and is not marked notified.
 *
 * Every form also asks for MailboxName (RFC 5465 5.4), so that a mailbox
 * created, renamed or deleted is news (sync_tree.c). A server that
 * refuses the event gets the same form without it. A mailbox matched by
 * two filters gets the events of both: how RFC 5465 6 reads, and what
 * Dovecot does.
 *
 * NOTIFY is off while large bodies come (sync_notify_hold), which
 * Dovecot's news would break; the account's loop sets it again before
 * it waits, and catches up as after any NOTIFY SET.
 */
#include "mailmirrord/sync.h"

#include "mailmirrord/log.h"
#include "mailmirrord/namespaces.h"
#include "mailmirrord/sync_internal.h"
#include "util/ascii.h"
#include "util/buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_MAX_NAMES 100

/* RFC 5465 5: FlagChange needs MessageNew and MessageExpunge; for the
 * mailboxes other than the selected one they arrive as STATUS. */
#define MESSAGE_EVENTS "MessageNew MessageExpunge FlagChange"

/* The forms of NOTIFY SET, from the most precise. */
enum form {
	FORM_NAMED,    /* each watched box by name */
	FORM_WIDE,     /* personal, and the other namespaces' boxes */
	FORM_PERSONAL, /* personal alone */
};

/* The events of the filters of other mailboxes, with MailboxName when
 * tree. */
static int put_events(struct imap4_buf *b, bool tree)
{
	return imap4_buf_puts(b, tree ? " (" MESSAGE_EVENTS " MailboxName))"
	                              : " (" MESSAGE_EVENTS "))");
}

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

/* One more name of a " (kind (" group: opened by the first. 1 when
 * added, 0 when the name cannot be sent (b unchanged), -1 out of memory. */
static int put_name(struct imap4_buf *b, size_t *named, const char *kind,
                    const char *name)
{
	size_t mark = b->len;
	if (*named == 0 ? imap4_buf_puts(b, " (") < 0 ||
	                          imap4_buf_puts(b, kind) < 0 ||
	                          imap4_buf_puts(b, " (") < 0
	                : imap4_buf_putc(b, ' ') < 0)
		return -1;
	if (put_mailbox(b, name) < 0) {
		b->len = mark;
		b->data[b->len] = '\0';
		return 0;
	}
	(*named)++;
	return 1;
}

static int close_group(struct imap4_buf *b, size_t named, bool tree)
{
	if (named == 0)
		return 0;
	return imap4_buf_putc(b, ')') < 0 ? -1 : put_events(b, tree);
}

/* Dovecot 2.3 matches NOTIFY's mailbox names against its own UTF-8
 * names, never the modified UTF-7 of the protocol: a watched box named in
 * it was never pushed, though NOTIFY took the name. That is any name
 * beyond ASCII, and one with an '&', sent as "&-" ("R&D" is "R&-D":
 * explore39). */
static bool nameable(const char *name)
{
	size_t n = strlen(name);
	return imap4_ascii_span(name, n) == n && !strchr(name, '&');
}

/* Whether x is a watched box other than the selected one (the selected
 * filter covers that). */
static bool other_watched(const struct sync_ctx *c, const struct sync_box *x)
{
	return x->watched && x != c->selected;
}

/* FORM_NAMED: " (mailboxes ("a" "b") EVENTS)", and the personal
 * namespaces' tree news. */
static int put_named(struct imap4_buf *b, struct sync_ctx *c, bool tree)
{
	size_t named = 0;
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *x = &c->boxes[i];
		if (!other_watched(c, x))
			continue;
		int rc = put_name(b, &named, "mailboxes", x->name);
		if (rc < 0)
			return -1;
		x->notified = rc == 1;
	}
	if (close_group(b, named, tree) < 0)
		return -1;
	return tree ? imap4_buf_puts(b, " (personal (MailboxName))") : 0;
}

/* The watched boxes outside the personal namespaces, by name when they
 * are few, else by the subtrees of their namespaces; a box in no
 * namespace the server told then stays polled. *extra: whether any group
 * was added. */
static int put_others(struct imap4_buf *b, struct sync_ctx *c,
                      struct ns_list *ns, bool tree, bool *extra)
{
	size_t others = 0;
	bool all_nameable = true;
	for (size_t i = 0; i < c->nboxes; i++) {
		const struct sync_box *x = &c->boxes[i];
		if (!other_watched(c, x) || ns_is_personal(ns, x->name))
			continue;
		others++;
		all_nameable &= nameable(x->name);
	}
	/* A name the server would not match is covered by its namespace's
	 * subtree, and then all are: a group holds one kind (explore62: a
	 * public "Team ☕" was marked live and never pushed). */
	bool by_name = others <= NOTIFY_MAX_NAMES && all_nameable;
	size_t named = 0;
	for (size_t i = 0; i < ns->n; i++)
		ns->v[i].used = false;
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *x = &c->boxes[i];
		if (!other_watched(c, x) || ns_is_personal(ns, x->name))
			continue;
		x->notified = false;
		const struct ns_entry *in = ns_of(ns, x->name);
		struct ns_entry *e = in ? &ns->v[in - ns->v] : NULL;
		char root[512];
		int rc = 0;
		if (by_name)
			rc = put_name(b, &named, "mailboxes", x->name);
		else if (e && e->used)
			rc = 1;
		else if (e && ns_root(root, sizeof(root), e) && nameable(root))
			rc = put_name(b, &named, "subtree", root);
		if (rc < 0)
			return -1;
		if (rc == 1 && e)
			e->used = true;
		x->notified = rc == 1;
	}
	*extra = named > 0;
	return close_group(b, named, tree);
}

/* FORM_WIDE and FORM_PERSONAL: " (personal EVENTS)", and for WIDE the
 * other namespaces' boxes (*extra says whether there were any). */
static int put_personal(struct imap4_buf *b, struct sync_ctx *c,
                        struct ns_list *ns, bool wide, bool tree, bool *extra)
{
	*extra = false;
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *x = &c->boxes[i];
		x->notified =
		        other_watched(c, x) && ns_is_personal(ns, x->name);
	}
	if (imap4_buf_puts(b, " (personal") < 0 || put_events(b, tree) < 0)
		return -1;
	return wide ? put_others(b, c, ns, tree, extra) : 0;
}

/* NOTIFY SET in form f. SYNC_OK, SYNC_EMAILBOX when refused, or worse.
 * *extra: FORM_WIDE added something to FORM_PERSONAL. */
static int notify_set(struct sync_ctx *c, enum form f, bool tree,
                      struct ns_list *ns, bool *extra)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	*extra = false;
	int rc = imap4_buf_puts(&b, "(selected (" MESSAGE_EVENTS "))");
	if (rc == 0)
		rc = f == FORM_NAMED ? put_named(&b, c, tree)
		                     : put_personal(&b, c, ns, f == FORM_WIDE,
		                                    tree, extra);
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

/* The server's namespaces into *ns; empty when it has no NAMESPACE or
 * its answer cannot be used (then everything is taken for personal, as
 * before we asked). SYNC_OK, or SYNC_ECONN. */
static int load_namespaces(struct sync_ctx *c, struct ns_list *ns)
{
	*ns = (struct ns_list){0};
	if (!imap4_has_capability(c->h, "NAMESPACE"))
		return SYNC_OK;
	sync_beat(c);
	int rc = imap4_namespace(c->h);
	if (rc != IMAP4_OK)
		return sync_fail_imap(c, "NAMESPACE", rc) == SYNC_ECONN
		               ? SYNC_ECONN
		               : SYNC_OK;
	for (size_t i = 0; i < imap4_data_count(c->h); i++) {
		imap4_namespace_info info;
		const imap4_resp *r = imap4_data_at(c->h, i);
		if (r->name && strcmp(r->name, "NAMESPACE") == 0 &&
		    imap4_namespace_parse(&info, r) == 0) {
			/* Too many, or no memory: *ns stays empty. */
			(void)ns_list_from(ns, &info);
			return SYNC_OK;
		}
	}
	return SYNC_OK;
}

static void clear_notified(struct sync_ctx *c)
{
	for (size_t i = 0; i < c->nboxes; i++)
		c->boxes[i].notified = false;
}

int sync_notify(struct sync_ctx *c)
{
	clear_notified(c);
	if (!imap4_has_capability(c->h, "NOTIFY"))
		return SYNC_EMAILBOX;
	c->notify_lost = false;
	if (c->notify_on && !c->notify_held) {
		/* Dovecot 2.3 reports no other mailbox after a second NOTIFY
		 * SET on a connection; after NOTIFY NONE it does. */
		sync_beat(c);
		int irc = imap4_notify(c->h, NULL);
		if (irc != IMAP4_OK &&
		    sync_fail_imap(c, "NOTIFY NONE", irc) != SYNC_EMAILBOX)
			return SYNC_ECONN;
	}
	c->notify_on = c->notify_held = false;
	size_t n = 0;
	bool wide = false;
	for (size_t i = 0; i < c->nboxes; i++) {
		n += other_watched(c, &c->boxes[i]);
		/* A name the server would not match (nameable()): the
		 * personal filter covers every name (and says them in UTF-8,
		 * which imap4_status_parse takes). */
		wide |= other_watched(c, &c->boxes[i]) &&
		        !nameable(c->boxes[i].name);
	}
	struct ns_list ns = {0};
	bool have_ns = false, tree = true, extra = false;
	int rc = SYNC_EMAILBOX;
	enum form f = n <= NOTIFY_MAX_NAMES && !wide ? FORM_NAMED : FORM_WIDE;
	while (f <= FORM_PERSONAL) {
		if (f == FORM_WIDE && !have_ns) {
			rc = load_namespaces(c, &ns);
			if (rc != SYNC_OK)
				break;
			have_ns = true;
		}
		rc = notify_set(c, f, tree, &ns, &extra);
		if (rc != SYNC_EMAILBOX)
			break;
		if (tree) {
			tree = false; /* the same form without MailboxName */
			continue;
		}
		tree = true;
		/* Without other namespaces' boxes, PERSONAL is WIDE. */
		f = f == FORM_WIDE && !extra ? FORM_PERSONAL + 1 : f + 1;
	}
	ns_list_clear(&ns);
	c->notify_on = rc == SYNC_OK;
	if (rc != SYNC_OK)
		clear_notified(c);
	else if (c->selected)
		for (size_t i = 0; i < c->nboxes; i++)
			if (&c->boxes[i] == c->selected)
				c->boxes[i].notified = true;
	return rc;
}

/* Dovecot 2.3 writes its news of other mailboxes (imap-notify.c) from
 * its event loop, into whatever its output holds: when a FETCH waits
 * there for the socket to drain in the middle of a message, inside that
 * message's literal (notify-inject-probe.py). A FETCH never waits while
 * the socket takes all it writes: one whose bodies stay below this
 * bound goes with NOTIFY on. Linux sizes a new connection's send buffer
 * for twice its first window of ten segments, some 29 KB of data across
 * the Internet (tcp_sndbuf_expand), and what is on its way to us comes
 * besides; the buffer only grows from there. New mail below it, most
 * mail, costs no round trip. */
#define NOTIFY_HOLD_BYTES (32u << 10)

int sync_notify_hold(struct sync_ctx *c, uint64_t bytes)
{
	if (!c->notify_on || c->notify_held || bytes < NOTIFY_HOLD_BYTES)
		return SYNC_OK;
	sync_beat(c);
	int irc = imap4_notify(c->h, NULL);
	if (irc != IMAP4_OK) {
		/* Refused: the FETCH goes with NOTIFY on, as before. */
		int rc = sync_fail_imap(c, "NOTIFY NONE", irc);
		return rc == SYNC_EMAILBOX ? SYNC_OK : rc;
	}
	c->notify_held = true;
	if (bytes == UINT64_MAX)
		log_debug(c->conf->name, NULL,
		          "NOTIFY off while bodies of unknown size come");
	else
		log_debug(c->conf->name, NULL,
		          "NOTIFY off while %" PRIu64 " bytes of bodies come",
		          bytes);
	return SYNC_OK;
}

bool sync_notify_overflow(const imap4_resp *resp)
{
	/* RFC 5465 5.8: the server stopped notifying, as after NOTIFY NONE. */
	return resp->is_status && resp->name && resp->code &&
	       strcmp(resp->name, "OK") == 0 &&
	       strcmp(resp->code, "NOTIFICATIONOVERFLOW") == 0;
}
