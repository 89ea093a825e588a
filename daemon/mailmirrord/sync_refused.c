/* sync_refused.c - a mailbox the server lists but will not open.
 *
 * Dovecot 2.3 with maildir++ (with or without its mailbox list index; the
 * test harness's setup has it) deletes a mailbox that has children with
 * its mail, yet goes on listing its name without \Noselect
 * ("(\HasChildren) "/" Ph3"), and answers SELECT, EXAMINE and STATUS of it
 * with a bare "NO Mailbox doesn't exist": no [NONEXISTENT] code, on every
 * connection from then on. Mirrored as any failing mailbox, it kept its
 * deleted messages for ever, warned at every poll and failed every --once.
 *
 * Such a name holds no mail a client can see. But a NO is not always
 * that: a server error, a permission problem or a mailbox in use are NOs
 * too, and the mail is still there, to be kept. So the cached messages go
 * only on the server's word:
 * - a NO with [NONEXISTENT] (RFC 5530 3: "the operation attempts to access
 *   a mailbox that does not exist"); or
 * - the quirk's shape: SELECT and STATUS both answer NO without a response
 *   code (a server that names its trouble, [SERVERBUG] [UNAVAILABLE]
 *   [NOPERM] [INUSE] ..., is believed), for a name LIST gave \HasChildren
 *   (a name kept for its children), and LIST asked again still gives it.
 *   That is the harness's Dovecot for a parent another client deleted:
 *   waiting for a second pass to find the same (as this did) failed a
 *   --once run and warned of an ordinary change. A cache emptied by a
 *   server's passing trouble of that very shape costs a fetch again
 *   once the mailbox opens, no mail.
 * The mailbox's row then stays (the server lists the name) without
 * messages and with UIDVALIDITY 0, as a mailbox never opened. Nothing a
 * client can see is missing from the cache: it is in sync, with no error
 * (explore52: the error left it counted as failing, and the account's
 * last sync stood still, for good), and fails no pass; told at notice
 * level when its messages go, at debug level at each pass after. Holding
 * nothing, such a name has nothing to lose at the first refusal either.
 *
 * Before all that, the name is listed again (LIST "" name): a mailbox
 * another client deleted between our LIST and its EXAMINE or STATUS is
 * refused the same way (Dovecot 2.3 with the harness's setup answers a
 * bare "NO Mailbox doesn't exist: name", others NO [NONEXISTENT]). That
 * race is expected, no failure: warned of, it was noise that the next
 * LIST's notice "mailbox gone from the server" made good, and it failed
 * a --once run (explore72). Refused and no longer listed is what the
 * LIST's own drop goes by (sync_list.c reconcile_one), so it is dropped
 * the same way at once. A mailbox renamed in that race is found under
 * its new name by the next LIST and fetched again.
 *
 * While the DELETE is under way, Dovecot answers "NO Mailbox was deleted
 * under us" (to EXAMINE, STATUS, and a FETCH of the mailbox open), and
 * its LIST still names the mailbox for a moment: the harness's Dovecot
 * answered the command after with "Mailbox doesn't exist" and a LIST
 * without it. Such a refusal is listed again once more, DELETED_SETTLE_MS
 * later. Listed still, it is a failure whose words say so; a server that
 * says it at every look costs one more LIST a pass, no loop.
 */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long after "Mailbox was deleted under us" the name is listed again:
 * the harness's Dovecot had it gone by the next command, a millisecond
 * later; the rest is slack for a loaded server. */
#define DELETED_SETTLE_MS 300

/* What the log says of such a mailbox, before the server's words. */
#define REFUSED "listed, but the server says it does not exist"

static bool said_nonexistent(const struct sync_ctx *c)
{
	const struct imap4_error_info *e = imap4_last_error(c->h);
	return e && e->server_code &&
	       strcasecmp(e->server_code, "NONEXISTENT") == 0;
}

static bool said_no_code(const struct sync_ctx *c)
{
	const struct imap4_error_info *e = imap4_last_error(c->h);
	return e && !e->server_code;
}

bool sync_no_says_gone(const struct sync_ctx *c, int irc)
{
	return irc == IMAP4_NO && (said_nonexistent(c) || said_no_code(c));
}

bool sync_says_deleted(const char *text)
{
	return text && strcasestr(text, "mailbox was deleted");
}

bool sync_bye_asks_relogin(const char *text)
{
	return sync_says_deleted(text) || (text && strcasestr(text, "relogin"));
}

/* Asks the other of SELECT and STATUS about b: IMAP4_OK, IMAP4_NO or a
 * failure. */
static int ask_other(struct sync_ctx *c, const struct sync_box *b,
                     const char *what, const char **other)
{
	if (strcmp(what, "STATUS") != 0) {
		*other = "STATUS";
		return sync_status(c, b->name, "(UIDVALIDITY)");
	}
	sync_beat(c);
	*other = "EXAMINE";
	/* A failed SELECT leaves nothing selected (RFC 3501 6.3.1), a good
	 * one selects b outside the sync's bookkeeping: either way the next
	 * sync selects its mailbox again. */
	c->selected = NULL;
	c->sel_dirty = false;
	struct imap4_select_params sp = {.readonly = true};
	imap4_mailbox_info info;
	int rc = imap4_select_ex(c->h, &info, b->name, &sp, NULL, NULL);
	sync_opened(c, b->name, rc);
	return rc;
}

/* Whether LIST still names b selectable: 1 when it does, or when an entry
 * cannot be read (it may be b), 0 when not, SYNC_ECONN (c->err filled)
 * when the connection failed. A LIST refused says nothing: 1. */
static int still_listed(struct sync_ctx *c, const struct sync_box *b)
{
	sync_beat(c);
	int rc = imap4_list(c->h, "", b->name);
	if (rc != IMAP4_OK)
		return sync_fail_imap(c, "LIST", rc) == SYNC_ECONN ? SYNC_ECONN
		                                                   : 1;
	for (size_t i = 0; i < imap4_data_count(c->h); i++) {
		const imap4_resp *r = imap4_data_at(c->h, i);
		imap4_list_entry e;
		if (!r->name || strcmp(r->name, "LIST") != 0)
			continue;
		if (imap4_list_parse(&e, r) < 0)
			return 1;
		/* A \Noselect name holds no mail: sync_list drops it too. */
		if (e.attr_bits &
		    (IMAP4_MBOX_NOSELECT | IMAP4_MBOX_NONEXISTENT))
			continue;
		/* RFC 3501 5.1: INBOX is INBOX in any case. */
		if (strcmp(e.name_utf8, b->name) == 0 ||
		    (strcasecmp(e.name_utf8, "INBOX") == 0 &&
		     strcasecmp(b->name, "INBOX") == 0))
			return 1;
	}
	return 0;
}

/* still_listed, and for a refusal that said the mailbox was deleted
 * (deleted), once more a moment later when the first LIST named it: 1,
 * 0, SYNC_ECONN as still_listed, or SYNC_ESTOP. */
static int listed_after(struct sync_ctx *c, const struct sync_box *b,
                        bool deleted)
{
	int listed = still_listed(c, b);
	if (listed != 1 || !deleted)
		return listed;
	sync_beat(c);
	for (int ms = 0; ms < DELETED_SETTLE_MS; ms += 50) {
		if (sync_stopping(c))
			return SYNC_ESTOP;
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL);
	}
	return still_listed(c, b);
}

/* c->err, the first refusal (first), with the words that LIST names the
 * mailbox still though the server said it was deleted. */
static void still_listed_though_deleted(struct sync_ctx *c, const char *first)
{
	snprintf(c->err, sizeof(c->err),
	         "%.380s (the server says the mailbox was deleted, yet still "
	         "lists it)",
	         first);
}

/* b, deleted on the server since the LIST: dropped, as the next LIST
 * would, and left alone for the rest of the pass. */
static int drop_gone(struct sync_ctx *c, const struct sync_box *b)
{
	struct store_mailbox_state st;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0)
		return sync_fail_store(c, "read mailbox state");
	int rc = sync_drop_gone(c, b->id, b->name, &st, &c->gone_told);
	struct sync_box *own = sync_find(c, b->name);
	if (rc == SYNC_OK && own && own->id == b->id)
		own->gone = true;
	/* Nothing more is asked of it, whatever the session has open. */
	if (c->selected == b)
		c->selected = NULL;
	return rc;
}

/* b, refused as not existing, holds nothing: as any mailbox equal to the
 * server, it has no error and was synced now. */
static int in_sync(struct sync_ctx *c, const struct sync_box *b)
{
	if (store_mailbox_set_error(c->store, b->id, NULL) < 0 ||
	    store_mailbox_set_last_sync(c->store, b->id, (int64_t)time(NULL)) <
	            0)
		return sync_fail_store(c, "mark a mailbox synced");
	return SYNC_OK;
}

/* RFC 3501 5.1: INBOX exists for every user. A LIST without it is the
 * server's fault, no word that its mail went: it is never dropped as
 * gone, its refusal is a failure that keeps the rows. */
static bool is_inbox(const struct sync_box *b)
{
	return strcasecmp(b->name, "INBOX") == 0;
}

/* b is refused as not existing, by a NO with [NONEXISTENT] or in the
 * quirk's shape (see the top): its messages go. why is the first
 * refusal, as sync_fail_imap wrote it. */
static int drop_refused(struct sync_ctx *c, const struct sync_box *b,
                        const char *why)
{
	struct store_mailbox_state st;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0)
		return sync_fail_store(c, "read mailbox state");
	/* A UIDVALIDITY is recorded with the first messages of an epoch:
	 * without one there is nothing to drop. */
	if (!st.uidvalidity) {
		log_debug(c->conf->name, b->name,
		          REFUSED " (%s): nothing to mirror", why);
		return in_sync(c, b);
	}
	if (store_begin(c->store) < 0 ||
	    store_mailbox_reset(c->store, b->id, 0) < 0 ||
	    store_commit(c->store) < 0) {
		int rc = sync_fail_store(c, "drop the messages of a mailbox "
		                            "that does not exist");
		store_rollback(c->store);
		return rc;
	}
	sync_text_forgotten(c, st.exists);
	log_notice(c->conf->name, b->name,
	           REFUSED " (%.440s): its %u cached message%s dropped", why,
	           st.exists, st.exists == 1 ? " is" : "s are");
	return in_sync(c, b);
}

int sync_refused(struct sync_ctx *c, const struct sync_box *b, const char *what,
                 int irc)
{
	int rc = sync_fail_imap(c, what, irc);
	/* Looked into here, not again by the caller (sync_refused_midway). */
	bool deleted = c->said_deleted;
	c->said_deleted = false;
	/* sync_known's mailboxes come from the cache, not from a LIST: a
	 * failure there is left to the pass after the LIST. */
	if (irc != IMAP4_NO || c->quiet)
		return rc;
	bool sure = said_nonexistent(c), no_code = said_no_code(c);
	if (!sure && !no_code)
		return rc;
	char first[sizeof(c->err)];
	memcpy(first, c->err, sizeof(first));
	int listed = listed_after(c, b, deleted);
	if (listed < 0)
		return listed;
	memcpy(c->err, first, sizeof(c->err));
	if (listed == 0)
		return is_inbox(b) ? rc : drop_gone(c, b);
	if (!sure && !b->has_children) {
		if (deleted)
			still_listed_though_deleted(c, first);
		return rc;
	}
	if (!sure) {
		const char *other;
		int orc = ask_other(c, b, what, &other);
		if (orc < 0 && sync_fail_imap(c, other, orc) == SYNC_ECONN)
			return SYNC_ECONN;
		/* It opens after all, or the other command names another
		 * reason: the first refusal is the failure to report. */
		if (orc != IMAP4_NO ||
		    !(said_no_code(c) || said_nonexistent(c))) {
			memcpy(c->err, first, sizeof(c->err));
			return rc;
		}
	}
	return drop_refused(c, b, first);
}

int sync_refused_midway(struct sync_ctx *c, const struct sync_box *b, int rc)
{
	c->said_deleted = false;
	char first[sizeof(c->err)];
	memcpy(first, c->err, sizeof(first));
	int listed = listed_after(c, b, true);
	if (listed < 0)
		return listed;
	if (listed == 0 && is_inbox(b)) {
		memcpy(c->err, first, sizeof(c->err));
		return rc;
	}
	if (listed == 0)
		return drop_gone(c, b);
	still_listed_though_deleted(c, first);
	return rc;
}
