/* sync_list.c - the mailbox list: LIST against the cache's mailboxes,
 * renames recognised by UIDVALIDITY, the wanted ones recorded. */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/log.h"
#include "mailmirrord/loglimit.h"
#include "mailmirrord/plan.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct listed {
	char *name;
	char delimiter;
	char *attrs;
	char *special; /* every special use, space-separated, or NULL */
	bool noselect;
	bool has_children; /* \HasChildren */
	bool known;        /* already in the cache */
	bool asked;        /* uidvalidity read (STATUS), 0 if it said none */
	uint32_t uidvalidity;
	imap4_status_info st; /* LIST-STATUS's; have 0 if none */
};

/* Whether word is one of the space-separated words of list. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static char *join_attrs(const imap4_list_entry *e)
{
	size_t len = 1;
	for (size_t i = 0; i < e->nattrs; i++)
		len += strlen(e->attrs[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < e->nattrs; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, e->attrs[i]);
	}
	return s;
}

/* Every special use of the entry (RFC 6154 lets a mailbox have several:
 * "\Archive \All"), space-separated in the server's order like the
 * attributes, or NULL when it has none. A mailbox of one use, the common
 * case, keeps the value a single one always had ("\Sent"). */
static char *join_special_uses(const imap4_list_entry *e, bool *oom)
{
	size_t len = 0;
	for (size_t i = 0; i < e->nattrs; i++) {
		const char *use = imap4_list_special_use(e->attrs[i]);
		if (use)
			len += strlen(use) + 1;
	}
	*oom = false;
	if (len == 0)
		return NULL;
	char *s = malloc(len);
	if (!s) {
		*oom = true;
		return NULL;
	}
	s[0] = '\0';
	for (size_t i = 0; i < e->nattrs; i++) {
		const char *use = imap4_list_special_use(e->attrs[i]);
		if (!use || has_word(s, use))
			continue;
		if (s[0])
			strcat(s, " ");
		strcat(s, use);
	}
	return s;
}

struct stored_box {
	int64_t id;
	char *name;
	char delimiter; /* kept mailboxes only (struct unlisted) */
};

struct stored_list {
	struct stored_box *v;
	size_t n, cap;
};

static int collect_stored(void *payload, int64_t id, const char *name)
{
	struct stored_list *l = payload;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct stored_box *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	l->v[l->n++] = (struct stored_box){.id = id, .name = copy};
	return 0;
}

static int count_stored(void *payload, int64_t id, const char *name)
{
	(void)id;
	(void)name;
	(*(size_t *)payload)++;
	return 0;
}

static void free_listed(struct listed *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].attrs);
		free(v[i].special);
	}
	free(v);
}

/* STATUS name (UIDVALIDITY): the command's result, and *uidvalidity the
 * one it told (0 when it told none). */
static int status_uidvalidity(struct sync_ctx *c, const char *name,
                              uint32_t *uidvalidity)
{
	*uidvalidity = 0;
	int rc = sync_status(c, name, "(UIDVALIDITY)");
	imap4_status_info st;
	if (rc == IMAP4_OK && sync_status_of(c, name, &st) &&
	    (st.have & IMAP4_ST_UIDVALIDITY))
		*uidvalidity = st.uidvalidity;
	return rc;
}

/* A listed name's UIDVALIDITY, asked once per LIST. */
static uint32_t uidvalidity_of(struct sync_ctx *c, struct listed *l)
{
	if (!l->asked) {
		(void)status_uidvalidity(c, l->name, &l->uidvalidity);
		l->asked = true;
	}
	return l->uidvalidity;
}

/* Messages a rename must find where they were: the more, the surer. */
#define RENAME_SAMPLE 16

struct sample_check {
	const struct store_msg_key *keys;
	size_t n;
	size_t found, differ;
};

static int on_sample(void *payload, const imap4_msg *msg,
                     const imap4_resp *resp)
{
	struct sample_check *sc = payload;
	(void)resp;
	if (!(msg->have & IMAP4_HAVE_UID))
		return 0;
	for (size_t i = 0; i < sc->n; i++) {
		const struct store_msg_key *k = &sc->keys[i];
		if (k->uid != msg->uid)
			continue;
		sc->found++;
		if ((k->size >= 0 && (msg->have & IMAP4_HAVE_SIZE) &&
		     (uint64_t)k->size != msg->size) ||
		    (k->internaldate != STORE_NO_TIME &&
		     (msg->have & IMAP4_HAVE_INTERNALDATE) &&
		     k->internaldate != (int64_t)msg->internaldate))
			sc->differ++;
		break;
	}
	return 0;
}

/* Whether the mailbox the server lists as name holds the cached messages
 * of mailbox id: 1 when some of a sample are there and none differs, 0
 * when not (or nothing tells), < 0 when the connection failed. The same
 * UIDVALIDITY alone is no proof: RFC 3501 wants it unique per name only,
 * and Cyrus gives mailboxes made in the same second the same one (a
 * deleted folder's mail came back under a renamed one's name). */
static int holds_cached(struct sync_ctx *c, int64_t id, const char *name)
{
	struct store_msg_key keys[RENAME_SAMPLE];
	size_t n = 0;
	if (store_message_sample(c->store, id, keys, RENAME_SAMPLE, &n) < 0)
		return sync_fail_store(c, "sample messages");
	if (n == 0)
		return 0; /* nothing to keep: a new mailbox costs nothing */
	uint32_t uids[RENAME_SAMPLE];
	for (size_t i = 0; i < n; i++)
		uids[i] = keys[i].uid;
	char *set = NULL;
	if (imap4_seqset_format(&set, uids, n) < 0) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	/* Selected outside the sync's bookkeeping: nothing it says is
	 * news of a mailbox we track, and the next sync selects again. */
	c->selected = NULL;
	c->sel_dirty = false;
	struct imap4_select_params sp = {.readonly = true};
	imap4_mailbox_info info;
	struct sample_check sc = {.keys = keys, .n = n};
	sync_beat(c);
	int irc = imap4_select_ex(c->h, &info, name, &sp, NULL, NULL);
	sync_opened(c, name, irc);
	if (irc == IMAP4_OK)
		irc = imap4_fetch_each(c->h, true, set,
		                       "(UID RFC822.SIZE INTERNALDATE)",
		                       on_sample, &sc);
	free(set);
	if (irc != IMAP4_OK)
		return sync_fail_imap(c, "checking a renamed mailbox", irc) ==
		                       SYNC_ECONN
		               ? SYNC_ECONN
		               : 0;
	return sc.found > 0 && sc.differ == 0;
}

/* Whether the server still has a stored mailbox that its LIST left out:
 * 1 when STATUS finds it under the UIDVALIDITY cached; 0 when the server
 * says it is gone (sync_no_says_gone), or names another mailbox of that
 * name (another UIDVALIDITY); SYNC_EMAILBOX (c->err filled) when the
 * answer proves neither, and SYNC_ECONN when the connection failed.
 * Dovecot 2.3, after renames under NOTIFY, answers a session's every
 * later LIST with a few of its mailboxes: a LIST is no proof that a
 * mailbox is gone. Nor is a STATUS refused for another reason: Exchange
 * Online, throttling, answers "BAD User is authenticated but not
 * connected." and others "NO [UNAVAILABLE]" to every command for a
 * while, and such a pass emptied the whole cache (explore82). */
static int still_there(struct sync_ctx *c, const char *name,
                       uint32_t uidvalidity)
{
	uint32_t now;
	if (uidvalidity == 0)
		return 0; /* nothing cached to keep */
	int rc = status_uidvalidity(c, name, &now);
	if (rc != IMAP4_OK) {
		if (sync_no_says_gone(c, rc))
			return 0;
		return sync_fail_imap(c, "STATUS", rc) == SYNC_ECONN
		               ? SYNC_ECONN
		               : SYNC_EMAILBOX;
	}
	if (now == 0) {
		snprintf(c->err, sizeof(c->err),
		         "STATUS: the answer gave no UIDVALIDITY");
		return SYNC_EMAILBOX;
	}
	return now == uidvalidity;
}

int sync_drop_gone(struct sync_ctx *c, int64_t id, const char *name,
                   const struct store_mailbox_state *st, struct loglimit *told)
{
	if (store_mailbox_delete(c->store, id) < 0)
		return sync_fail_store(c, "delete mailbox");
	sync_text_forgotten(c, st->exists);
	sync_let_go(c, st->uidvalidity, st->uidnext);
	log_msg(loglimit_level(told, LOG_LEVEL_NOTICE), c->conf->name, name,
	        "mailbox gone from the server; dropped");
	return SYNC_OK;
}

/* What a pass did with stored mailboxes the server did not list, each
 * kind logged within limits. */
struct unlisted {
	struct loglimit renames, drops, unwanted, kept_log;
	struct stored_list kept; /* found by STATUS: mirrored still */
};

/* A stored mailbox the server no longer lists: dropped when the
 * configuration no longer wants it; renamed (RFC 3501 6.3.5 keeps
 * UIDVALIDITY) when a name new to us has the same UIDVALIDITY and the
 * cached messages (holds_cached); kept when STATUS still finds it
 * (still_there); else deleted. */
static int reconcile_one(struct sync_ctx *c, const struct stored_box *box,
                         struct listed *srv, size_t nsrv, struct unlisted *u)
{
	struct store_mailbox_state st;
	char delim;
	if (store_mailbox_get_state(&st, c->store, box->id) < 0 ||
	    store_mailbox_get_delimiter(&delim, c->store, box->id) < 0)
		return sync_fail_store(c, "read mailbox state");
	if (!plan_mailbox_wanted((const char *const *)c->conf->mailboxes,
	                         (const char *const *)c->conf->exclude,
	                         box->name, delim)) {
		if (store_mailbox_delete(c->store, box->id) < 0)
			return sync_fail_store(c, "delete mailbox");
		sync_text_forgotten(c, st.exists);
		log_msg(loglimit_level(&u->unwanted, LOG_LEVEL_NOTICE),
		        c->conf->name, box->name,
		        "mailbox no longer mirrored (mailboxes, exclude); "
		        "dropped");
		return SYNC_OK;
	}
	for (size_t j = 0; j < nsrv && st.uidvalidity; j++) {
		if (srv[j].known || srv[j].noselect ||
		    uidvalidity_of(c, &srv[j]) != st.uidvalidity)
			continue;
		int same = holds_cached(c, box->id, srv[j].name);
		if (same < 0)
			return same;
		if (!same)
			continue;
		if (store_mailbox_rename(c->store, box->id, srv[j].name) < 0)
			return sync_fail_store(c, "rename mailbox");
		srv[j].known = true;
		log_msg(loglimit_level(&u->renames, LOG_LEVEL_NOTICE),
		        c->conf->name, srv[j].name, "mailbox renamed (was %s)",
		        box->name);
		return SYNC_OK;
	}
	int there = still_there(c, box->name, st.uidvalidity);
	if (there < 0 && there != SYNC_EMAILBOX)
		return there;
	/* RFC 3501 5.1: INBOX exists for every user; a LIST without it is
	 * the server's fault. */
	bool inbox = strcasecmp(box->name, "INBOX") == 0;
	if (there == 0 && !inbox)
		return sync_drop_gone(c, box->id, box->name, &st, &u->drops);
	/* Kept, and looked at in this pass as any mailbox: it syncs, or
	 * its own failure is told and keeps the rows. */
	if (collect_stored(&u->kept, box->id, box->name) < 0) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	u->kept.v[u->kept.n - 1].delimiter = delim;
	/* Told once: a server whose LIST is short stays so for the
	 * session, and every pass would say it again. */
	const struct sync_box *last = sync_find(c, box->name);
	int level = last && last->unlisted
	                    ? LOG_LEVEL_INFO
	                    : loglimit_level(&u->kept_log, LOG_LEVEL_WARNING);
	if (there == 1)
		log_msg(level, c->conf->name, box->name,
		        "LIST left out this mailbox, which STATUS still finds: "
		        "kept");
	else if (there == 0)
		log_msg(level, c->conf->name, box->name,
		        "LIST left out INBOX, which always exists (RFC 3501 "
		        "5.1), and STATUS does not find it as cached: kept");
	else
		log_msg(level, c->conf->name, box->name,
		        "LIST left out this mailbox, and %s: kept, not taken "
		        "for gone",
		        c->err);
	return SYNC_OK;
}

static void log_more(struct sync_ctx *c, struct loglimit *l, const char *what)
{
	uint64_t more = loglimit_end(l);
	if (more)
		log_notice(c->conf->name, NULL, "... and %" PRIu64 " more %s",
		           more, what);
}

/* Stored mailboxes the server no longer lists (a \Noselect entry holds no
 * mail: its row goes too), each renamed, kept or dropped. A prefix change
 * renames or drops every mailbox of the account: past the first few, the
 * names go to debug level and a line counts them. */
static int reconcile_gone(struct sync_ctx *c, struct stored_list *stored,
                          struct listed *srv, size_t nsrv, struct unlisted *u)
{
	int rc = SYNC_OK;
	for (size_t i = 0; i < stored->n && rc == SYNC_OK; i++) {
		bool present = false;
		for (size_t j = 0; j < nsrv && !present; j++)
			present = !srv[j].noselect &&
			          strcmp(srv[j].name, stored->v[i].name) == 0;
		if (!present)
			rc = reconcile_one(c, &stored->v[i], srv, nsrv, u);
	}
	log_more(c, &u->renames, "mailboxes renamed");
	log_more(c, &u->unwanted, "mailboxes no longer mirrored; dropped");
	log_more(c, &u->kept_log,
	         "mailboxes left out by LIST but found by STATUS: kept");
	log_more(c, &u->drops, "mailboxes gone from the server; dropped");
	return rc;
}

/* The daemon names a mailbox by its UTF-8 name and encodes it again for
 * the server; a wire name that is not valid modified UTF-7 comes back
 * from imap4_list_parse undecoded, and encoding that would name another
 * mailbox ("a&Jjo" would become "a&-Jjo"). */
static bool names_round_trip(const imap4_list_entry *e)
{
	char *wire = NULL;
	if (imap4_mutf7_encode(&wire, e->name_utf8) < 0)
		return false;
	bool same = strcmp(wire, e->name) == 0;
	free(wire);
	return same;
}

struct box_list {
	struct sync_box *v;
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sync_box *)a)->name,
	              ((const struct sync_box *)b)->name);
}

/* What the session learnt of each mailbox of the last list goes on to the
 * new one: the list is read at every poll, and a fresh one had it all
 * clear (explore52: every watched mailbox but the primary one lost its
 * live mark, NOTIFY's cover forgotten, at the first poll). Per session:
 * sync_known's list starts clear. last is sorted by name here. */
static void carry_state(struct sync_ctx *c, struct box_list *last)
{
	if (last->n == 0)
		return;
	qsort(last->v, last->n, sizeof(*last->v), by_name);
	for (size_t i = 0; i < c->nboxes; i++) {
		struct sync_box *b = &c->boxes[i];
		const struct sync_box *was =
		        bsearch(b, last->v, last->n, sizeof(*last->v), by_name);
		if (!was || was->id != b->id)
			continue;
		b->dirty = was->dirty;
		b->notified = was->notified;
		b->shut = was->shut;
		b->bodies_checked = was->bodies_checked;
		b->moved_uidnext = was->moved_uidnext;
		b->refused_asked = was->refused_asked;
		b->refused_got = was->refused_got;
	}
}

static int by_listed_name(const void *a, const void *b)
{
	const struct listed *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Each STATUS of a LIST-STATUS's data onto its entry: before any other
 * command (reconcile_gone's STATUS) ends that data. Servers send them
 * after the LISTs (Dovecot), or each after its own (RFC 5819 2). */
static int take_statuses(struct sync_ctx *c, struct listed *srv, size_t nsrv)
{
	struct listed **by = malloc((nsrv ? nsrv : 1) * sizeof(*by));
	if (!by)
		return -1;
	for (size_t j = 0; j < nsrv; j++)
		by[j] = &srv[j];
	qsort(by, nsrv, sizeof(*by), by_listed_name);
	/* RFC 3501 6.3.10: STATUS is not for the selected mailbox, and
	 * RFC 5819 2 leaves its STATUS in a LIST to the server: the poll
	 * asks it as before, unselected first (sync_status). */
	const char *open_now = imap4_state(c->h) == IMAP4_STATE_SELECTED
	                               ? (c->open_name ? c->open_name : "")
	                               : NULL;
	for (size_t i = 0; i < imap4_data_count(c->h); i++) {
		const imap4_resp *r = imap4_data_at(c->h, i);
		imap4_status_info si;
		if (!r->name || strcmp(r->name, "STATUS") != 0 ||
		    imap4_status_parse(&si, r) < 0 || !si.mailbox)
			continue;
		bool inbox = strcasecmp(si.mailbox, "INBOX") == 0;
		if (open_now &&
		    (!*open_now || strcmp(open_now, si.mailbox) == 0 ||
		     (inbox && strcasecmp(open_now, "INBOX") == 0)))
			continue;
		struct listed key = {.name = inbox ? "INBOX"
		                                   : (char *)si.mailbox};
		struct listed *kp = &key;
		struct listed **hit =
		        bsearch(&kp, by, nsrv, sizeof(*by), by_listed_name);
		if (!hit)
			continue;
		(*hit)->st = si;
		(*hit)->st.mailbox = NULL;
	}
	free(by);
	return 0;
}

/* The STATUS items of a poll's LIST: status_news's (sync.c). */
#define LISTED_ITEMS "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"

/* LIST, with RETURN (... STATUS) when with_status, whose whole answer
 * may take most_ms. */
static int list_boxes(struct sync_ctx *c, bool with_status, int most_ms)
{
	/* A pass cut short (a lost connection) has its count told now. */
	sync_tell_errors(c);
	sync_beat(c);
	c->list_short = false;
	/* An extended LIST says \HasChildren and the special uses only
	 * when asked (RFC 5258 4, RFC 6154 2): without them a parent looked
	 * childless (sync_refused.c) and Sent lost its use. */
	const char *options = imap4_has_capability(c->h, "SPECIAL-USE")
	                              ? "SPECIAL-USE CHILDREN"
	                              : "CHILDREN";
	int rc = with_status ? imap4_list_status(c->h, "", "*", options,
	                                         LISTED_ITEMS, most_ms)
	                     : imap4_list(c->h, "", "*");
	/* Advertised and refused: no reason to lose the list over it. */
	if (with_status && (rc == IMAP4_NO || rc == IMAP4_EBAD)) {
		log_info(c->conf->name, NULL,
		         "LIST with RETURN (STATUS) refused (%s); listing "
		         "plainly",
		         imap4_last_error(c->h)->message);
		c->list_status_refused = true;
		with_status = false;
		rc = imap4_list(c->h, "", "*");
	}
	if (rc != IMAP4_OK) {
		/* Without the list nothing of the account can be synced. */
		sync_fail_imap(c, "LIST", rc);
		return SYNC_ECONN;
	}

	const char *const *inc = (const char *const *)c->conf->mailboxes;
	const char *const *exc = (const char *const *)c->conf->exclude;
	size_t n = imap4_data_count(c->h), nsrv = 0;
	struct listed *srv = calloc(n ? n : 1, sizeof(*srv));
	if (!srv) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	/* Only the LIST right after connecting (sync_known() has just
	 * run) checks the patterns: the notice is for a typo, said once
	 * per connection, not at every re-LIST of a live session. */
	bool *hit = c->known_done ? calloc(c->conf->n_mailboxes + 1, 1) : NULL;
	/* An entry we cannot read may be a mailbox we hold: while there is
	 * one, no mailbox is taken for gone (a delimiter of two characters
	 * or too deep an extension dropped a cached INBOX with its mail). */
	size_t unread = 0, entries = 0;
	bool inbox_listed = false, special = false;
	c->listed_n = 0;
	for (size_t i = 0; i < n; i++) {
		const imap4_resp *r = imap4_data_at(c->h, i);
		imap4_list_entry e;
		if (!r->name || strcmp(r->name, "LIST") != 0)
			continue;
		c->listed_n++;
		entries++;
		if (imap4_list_parse(&e, r) < 0) {
			log_warning(c->conf->name, NULL,
			            "LIST: skipping an entry that does not parse");
			unread++;
			continue;
		}
		/* RFC 3501 5.1: INBOX is INBOX in any case, and one name. */
		const char *name =
		        strcasecmp(e.name_utf8, "INBOX") == 0 ? "INBOX"
		                                              : e.name_utf8;
		bool noselect = e.attr_bits &
		                (IMAP4_MBOX_NOSELECT | IMAP4_MBOX_NONEXISTENT);
		if (hit)
			plan_patterns_hit(hit, inc, name, e.delimiter,
			                  !noselect);
		if (!plan_mailbox_wanted(inc, exc, name, e.delimiter))
			continue;
		if (!names_round_trip(&e) || name[0] == '\0') {
			/* Named, as the server spelt it: while it is listed no
			 * mailbox is taken for gone, which its owner can end
			 * only by knowing which one it is. */
			char shown[128];
			log_sanitize(shown, sizeof(shown), e.name,
			             strlen(e.name));
			log_warning(
			        c->conf->name, NULL,
			        "LIST: skipping the mailbox \"%s\": its name "
			        "is %s",
			        shown,
			        name[0] ? "not modified UTF-7 (RFC 3501 5.1.3)"
			                : "empty");
			unread++;
			continue;
		}
		/* Listed in two cases, INBOX is one mailbox (other names
		 * differ as the server spells them). */
		if (strcmp(name, "INBOX") == 0) {
			if (inbox_listed)
				continue;
			inbox_listed = true;
		}
		struct listed *l = &srv[nsrv];
		l->name = strdup(name);
		l->attrs = join_attrs(&e);
		bool oom = false;
		l->special = join_special_uses(&e, &oom);
		special = special || l->special;
		l->delimiter = e.delimiter;
		l->noselect = noselect;
		l->has_children = e.attr_bits & IMAP4_MBOX_HASCHILDREN;
		nsrv++;
		if (!l->name || !l->attrs || oom) {
			free_listed(srv, nsrv);
			free(hit);
			snprintf(c->err, sizeof(c->err), "out of memory");
			return SYNC_ESTORE;
		}
	}
	/* RFC 3501 5.1: INBOX exists for every user, so LIST "" * names one
	 * mailbox at least. A LIST of none is the server's fault (Exchange
	 * Online while it throttles), as a LIST refused is: such a pass
	 * took every cached mailbox for gone (explore82). */
	if (entries == 0) {
		size_t held = 0;
		rc = store_mailbox_each(c->store, c->account_id, count_stored,
		                        &held);
		if (rc < 0 || held) {
			free_listed(srv, nsrv);
			free(hit);
			if (rc < 0)
				return sync_fail_store(c, "list mailboxes");
			snprintf(c->err, sizeof(c->err),
			         "LIST named no mailbox, not even INBOX, which "
			         "always exists (RFC 3501 5.1); no cached "
			         "mailbox is taken for gone");
			return SYNC_ECONN;
		}
	}
	if (!with_status)
		c->list_special_plain = special;
	if (with_status && take_statuses(c, srv, nsrv) < 0) {
		free_listed(srv, nsrv);
		free(hit);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	bool any_hit = false;
	for (size_t i = 0; hit && i < c->conf->n_mailboxes; i++) {
		any_hit = any_hit || hit[i];
		if (!hit[i])
			log_notice(
			        c->conf->name, NULL,
			        "mailboxes pattern \"%s\" matches no mailbox "
			        "on the server",
			        inc[i]);
	}
	free(hit);
	if (any_hit && nsrv == 0)
		log_notice(c->conf->name, NULL,
		           "exclude leaves no mailbox to mirror");

	struct stored_list stored = {0};
	struct unlisted u = {0};
	struct box_list last = {0};
	int64_t sel_id = 0;
	char *sel_name = NULL;
	rc = store_mailbox_each(c->store, c->account_id, collect_stored,
	                        &stored);
	if (rc < 0) {
		rc = sync_fail_store(c, "list mailboxes");
		goto out;
	}
	for (size_t j = 0; j < nsrv; j++)
		for (size_t i = 0; i < stored.n && !srv[j].known; i++)
			srv[j].known =
			        strcmp(srv[j].name, stored.v[i].name) == 0;

	if (unread)
		log_warning(c->conf->name, NULL,
		            "LIST: %zu entr%s could not be read; no mailbox is "
		            "taken for gone until a LIST reads whole",
		            unread, unread == 1 ? "y" : "ies");
	else
		rc = reconcile_gone(c, &stored, srv, nsrv, &u);
	if (rc < 0)
		goto out;

	/* The mailbox selected now stays so: LIST changes no selection, and
	 * taken for none, the watched mailbox was opened and listed again
	 * right after the first sync had done so (explore79). */
	sel_id = c->selected ? c->selected->id : 0;
	sel_name = c->selected ? strdup(c->selected->name) : NULL;
	/* The list it replaces, whose state goes on (carry_state) */
	last.v = c->boxes;
	last.n = c->nboxes;
	c->boxes = NULL;
	c->nboxes = 0;
	sync_clear(c);
	c->boxes = calloc(nsrv + u.kept.n + 1, sizeof(*c->boxes));
	if (!c->boxes) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		rc = SYNC_ESTORE;
		goto out;
	}
	if (store_begin(c->store) < 0) {
		rc = sync_fail_store(c, "begin");
		goto out;
	}
	for (size_t j = 0; j < nsrv; j++) {
		if (srv[j].noselect)
			continue;
		char delim[2] = {srv[j].delimiter, '\0'};
		struct sync_box *b = &c->boxes[c->nboxes];
		if (store_mailbox_upsert(&b->id, c->store, c->account_id,
		                         srv[j].name,
		                         srv[j].delimiter ? delim : NULL,
		                         srv[j].attrs, srv[j].special) < 0) {
			rc = sync_fail_store(c, "record mailbox");
			goto out;
		}
		b->name = srv[j].name;
		srv[j].name = NULL;
		b->delimiter = srv[j].delimiter;
		b->has_children = srv[j].has_children;
		b->listed = srv[j].st;
		c->nboxes++;
	}
	/* Kept as the cache has them: the LIST said nothing new of them. */
	c->list_short = u.kept.n > 0;
	for (size_t i = 0; i < u.kept.n; i++) {
		struct sync_box *b = &c->boxes[c->nboxes];
		b->id = u.kept.v[i].id;
		b->delimiter = u.kept.v[i].delimiter;
		b->name = u.kept.v[i].name;
		b->unlisted = true;
		u.kept.v[i].name = NULL;
		c->nboxes++;
	}
	if (store_commit(c->store) < 0)
		rc = sync_fail_store(c, "commit");
	else
		rc = SYNC_OK;
	carry_state(c, &last);
	for (size_t i = 0; sel_name && rc == SYNC_OK && i < c->nboxes; i++)
		if (c->boxes[i].id == sel_id &&
		    strcmp(c->boxes[i].name, sel_name) == 0)
			c->selected = &c->boxes[i];
out:
	free(sel_name);
	for (size_t i = 0; i < last.n; i++)
		free(last.v[i].name);
	free(last.v);
	for (size_t i = 0; i < stored.n; i++)
		free(stored.v[i].name);
	free(stored.v);
	for (size_t i = 0; i < u.kept.n; i++)
		free(u.kept.v[i].name);
	free(u.kept.v);
	free_listed(srv, nsrv);
	return rc;
}

int sync_list(struct sync_ctx *c)
{
	return list_boxes(c, false, 0);
}

int sync_list_polled(struct sync_ctx *c, const struct sync_box *skip,
                     bool pushed_too)
{
	/* explore80: a poll of 792 mailboxes was a LIST and 792 STATUS, a
	 * round trip each. One LIST-STATUS makes the server look at every
	 * mailbox it lists, though: worth it where the poll would ask one
	 * in four of them at least, not for a few watched among many. */
	size_t k = sync_poll_count(c, skip, pushed_too);
	bool with_status = c->condstore && !c->list_status_refused && k > 0 &&
	                   k >= (c->listed_n + 3) / 4 &&
	                   imap4_has_capability(c->h, "LIST-STATUS") &&
	                   /* Special uses the plain LIST showed, unasked, might
	                    * not come in an extended one (RFC 6154 2). */
	                   (imap4_has_capability(c->h, "SPECIAL-USE") ||
	                    !c->list_special_plain);
	/* It stands for k STATUS commands, each of which had the command
	 * timeout: as much in all, and the timeout from each response to the
	 * next (imap4_list_status), so that only a silence ends it. */
	int64_t most = (int64_t)c->conf->timeout * 1000 * (int64_t)(k + 1);
	return list_boxes(c, with_status, most > INT_MAX ? INT_MAX : (int)most);
}

/* ------------------------------------------------- before the LIST */

void sync_forget_known(struct sync_ctx *c)
{
	for (size_t i = 0; i < c->nknown_done; i++)
		free(c->known_done[i]);
	free(c->known_done);
	c->known_done = NULL;
	c->nknown_done = 0;
}

int sync_known(struct sync_ctx *c)
{
	struct stored_list stored = {0};
	bool *unlisted = NULL;
	struct plan_turn *order = NULL;
	int rc = SYNC_OK;
	sync_forget_known(c);
	if (store_mailbox_each(c->store, c->account_id, collect_stored,
	                       &stored) < 0) {
		rc = sync_fail_store(c, "list mailboxes");
		goto out;
	}
	/* What the last LIST left out stays told (sync_list), in the next
	 * session too: a renewed one may list as short. */
	unlisted = calloc(stored.n ? stored.n : 1, sizeof(bool));
	for (size_t i = 0; unlisted && i < stored.n; i++) {
		const struct sync_box *last = sync_find(c, stored.v[i].name);
		unlisted[i] = last && last->unlisted;
	}
	sync_clear(c);
	c->boxes = calloc(stored.n ? stored.n : 1, sizeof(*c->boxes));
	c->known_done = calloc(stored.n ? stored.n : 1, sizeof(char *));
	if (!c->boxes || !c->known_done || !unlisted) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		rc = SYNC_ESTORE;
		goto out;
	}
	const char *const *inc = (const char *const *)c->conf->mailboxes;
	const char *const *exc = (const char *const *)c->conf->exclude;
	for (size_t i = 0; i < stored.n; i++) {
		struct store_mailbox_state st;
		if (store_mailbox_get_state(&st, c->store, stored.v[i].id) <
		    0) {
			rc = sync_fail_store(c, "read mailbox state");
			goto out;
		}
		/* Only mailboxes synced before, and still wanted (the
		 * delimiter is not known before LIST: '%' acts as '*'). */
		if (st.uidvalidity == 0 ||
		    !plan_mailbox_wanted(inc, exc, stored.v[i].name, '\0'))
			continue;
		struct sync_box *b = &c->boxes[c->nboxes++];
		b->id = stored.v[i].id;
		b->name = stored.v[i].name;
		b->unlisted = unlisted[i];
		stored.v[i].name = NULL;
	}
	order = sync_order(c, true);
	if (!order) {
		rc = SYNC_ESTORE;
		goto out;
	}
	c->quiet = true;
	for (size_t k = 0; k < c->nboxes && rc == SYNC_OK; k++) {
		size_t i = order[k].index;
		if (sync_stopping(c)) {
			rc = SYNC_ESTOP;
			break;
		}
		if (c->turn)
			c->turn(c->payload, c->boxes[i].name, k + 1, c->nboxes);
		int r = sync_mailbox(c, &c->boxes[i]);
		if (r == SYNC_OK) {
			char *name = strdup(c->boxes[i].name);
			if (name)
				c->known_done[c->nknown_done++] = name;
		} else if (r != SYNC_EMAILBOX) {
			rc = r;
		}
	}
	c->quiet = false;
out:
	free(order);
	free(unlisted);
	for (size_t i = 0; i < stored.n; i++)
		free(stored.v[i].name);
	free(stored.v);
	return rc;
}
