/* sync.c - per-mailbox synchronisation; see sync.h for the contract. */
#include "mailmirrord/sync.h"

#include "mailmirrord/convert.h"
#include "mailmirrord/hook.h"
#include "mailmirrord/log.h"
#include "mailmirrord/plan.h"
#include "util/arena.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* UIDs fetched per command: each batch is one transaction, so a kill loses
 * at most one batch of work, and the progress shown moves in steps. */
#define BATCH 2000
/* Flush converted rows early past this many bytes (hostile envelopes). */
#define ROWS_MAX_BYTES (16u << 20)

/* ------------------------------------------------------------ errors */

static int fail_imap(struct sync_ctx *c, const char *what, int rc)
{
	/* The handle's message already carries the server's text; it is
	 * server data, so it is made printable before anyone logs it. */
	const struct imap4_error_info *e = imap4_last_error(c->h);
	const char *msg = e && e->message && *e->message ? e->message
							: imap4_strerror(rc);
	char clean[400];
	log_sanitize(clean, sizeof(clean), msg, strlen(msg));
	snprintf(c->err, sizeof(c->err), "%s: %s", what, clean);
	if (rc == IMAP4_NO || imap4_error_class(rc) == IMAP4_CLASS_ERROR)
		return SYNC_EMAILBOX;
	return SYNC_ECONN;
}

static int fail_store(struct sync_ctx *c, const char *what)
{
	snprintf(c->err, sizeof(c->err), "cache: %s: %s", what,
		 store_errmsg(c->store));
	store_rollback(c->store);
	return SYNC_ESTORE;
}

static bool stopping(const struct sync_ctx *c)
{
	return c->stop && atomic_load(c->stop);
}

static void beat(struct sync_ctx *c)
{
	if (c->heartbeat)
		c->heartbeat(c->payload, (int)c->conf->timeout * 1000);
}

/* ------------------------------------------------------- UID ranges */

struct ranges {
	struct plan_range *v;
	size_t n, cap;
	uint64_t total;		/* UIDs covered */
	uint64_t limit;		/* more than this is a lie of the server */
	bool over;
};

static int ranges_add(struct ranges *r, uint32_t lo, uint32_t hi)
{
	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	r->total += (uint64_t)hi - lo + 1;
	if (r->limit && r->total > r->limit) {
		r->over = true;
		return -1;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct plan_range *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct plan_range){lo, hi};
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct plan_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges, so plan_uid_gone can walk it. */
static void ranges_normalise(struct ranges *r)
{
	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < r->n; i++) {
		if (r->v[i].lo <= r->v[w].hi ||
		    (r->v[w].hi != UINT32_MAX && r->v[i].lo == r->v[w].hi + 1)) {
			if (r->v[i].hi > r->v[w].hi)
				r->v[w].hi = r->v[i].hi;
		} else {
			r->v[++w] = r->v[i];
		}
	}
	r->n = w + 1;
}

struct search_collect {
	struct ranges *r;
	uint32_t min_uid;	/* drop UIDs below (the "n:*" quirk) */
	int failed;
};

static int add_clamped(struct search_collect *s, uint32_t lo, uint32_t hi)
{
	if (hi < s->min_uid)
		return 0;
	if (lo < s->min_uid)
		lo = s->min_uid;
	return ranges_add(s->r, lo, hi);
}

/* SEARCH and ESEARCH results of a UID SEARCH. */
static int on_search(void *payload, const imap4_resp *resp)
{
	struct search_collect *s = payload;
	if (!resp->name || (strcmp(resp->name, "SEARCH") != 0 &&
			    strcmp(resp->name, "ESEARCH") != 0))
		return 1;
	imap4_search_result res;
	if (imap4_search_parse(&res, resp) < 0) {
		s->failed = IMAP4_EPROTO;
		return 0;
	}
	if (res.esearch) {
		for (size_t i = 0; i < res.all.count && !s->failed; i++) {
			const imap4_range *g = &res.all.ranges[i];
			if (g->lo == 0 || g->hi == 0) {
				s->failed = IMAP4_EPROTO;	/* "*" in a result */
				break;
			}
			if (add_clamped(s, g->lo, g->hi) < 0)
				s->failed = IMAP4_ELIMIT;
		}
		return 0;
	}
	for (size_t i = 0; i < res.count && !s->failed; i++)
		if (add_clamped(s, res.nums[i], res.nums[i]) < 0)
			s->failed = IMAP4_ELIMIT;
	return 0;
}

/* The UIDs from min_uid upwards, as ranges. */
static int uid_search(struct sync_ctx *c, struct ranges *out, uint32_t min_uid)
{
	struct search_collect s = {.r = out, .min_uid = min_uid};
	char set[16];
	snprintf(set, sizeof(set), "%u:*", min_uid);
	int rc;
	beat(c);
	/* RFC 4731: ESEARCH gives the set as ranges, a few bytes for a whole
	 * mailbox instead of a number per message. */
	if (imap4_has_capability(c->h, "ESEARCH"))
		rc = imap4_command(c->h, on_search, &s,
				   "UID SEARCH RETURN (ALL) UID %S", set);
	else
		rc = imap4_command(c->h, on_search, &s, "UID SEARCH UID %S",
				   set);
	if (rc != IMAP4_OK)
		return fail_imap(c, "UID SEARCH", rc);
	if (s.failed) {
		snprintf(c->err, sizeof(c->err),
			 "UID SEARCH: %s", out->over
				 ? "the server listed more UIDs than messages"
				 : imap4_strerror(s.failed));
		return SYNC_ECONN;
	}
	ranges_normalise(out);
	return SYNC_OK;
}

/* "a:b,c" for the next at most max UIDs of r from position (*ri, *next). */
static int batch_set(char **out, uint32_t *last, size_t *count,
		     const struct ranges *r, size_t *ri, uint32_t *next,
		     size_t max)
{
	size_t cap = 256, len = 0, n = 0;
	char *s = malloc(cap);
	if (!s)
		return -1;
	s[0] = '\0';
	while (*ri < r->n && n < max) {
		const struct plan_range *g = &r->v[*ri];
		uint32_t lo = *next > g->lo ? *next : g->lo;
		uint64_t room = max - n;
		uint32_t hi = (uint64_t)g->hi - lo + 1 > room
				      ? (uint32_t)(lo + room - 1)
				      : g->hi;
		if (cap - len < 32) {
			char *t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				return -1;
			}
			s = t;
		}
		len += (size_t)snprintf(s + len, cap - len,
					lo == hi ? "%s%u" : "%s%u:%u",
					len ? "," : "", lo, hi);
		n += (size_t)hi - lo + 1;
		*last = hi;
		if (hi == g->hi) {
			(*ri)++;
			*next = 0;
		} else {
			*next = hi + 1;
		}
	}
	*out = s;
	*count = n;
	return 0;
}

/* ---------------------------------------------------- pending writes */

struct flag_change {
	uint32_t uid;
	uint64_t modseq;
	char *flags;
};

struct pending {
	struct conv_msg *rows;
	size_t nrows, caprows;
	struct flag_change *flags;
	size_t nflags, capflags;
	struct ranges gone;	/* VANISHED */
	size_t bytes;
	bool want_reset;	/* store_mailbox_reset in the next write */
	uint32_t reset_uidvalidity;
	int failed;		/* IMAP4_E code from a callback */
	bool dirty;		/* a change we cannot apply in place */
	/* fetch of new messages */
	uint32_t max_uid;
	size_t fetched;
};

static void pending_drop(struct pending *p)
{
	for (size_t i = 0; i < p->nrows; i++)
		conv_clear(&p->rows[i]);
	for (size_t i = 0; i < p->nflags; i++)
		free(p->flags[i].flags);
	p->nrows = p->nflags = 0;
	p->gone.n = 0;
	p->gone.total = 0;
	p->bytes = 0;
}

static void pending_free(struct pending *p)
{
	pending_drop(p);
	free(p->rows);
	free(p->flags);
	free(p->gone.v);
	memset(p, 0, sizeof(*p));
}

static int pending_row(struct pending *p, const imap4_msg *msg)
{
	if (p->nrows == p->caprows) {
		size_t cap = p->caprows ? p->caprows * 2 : 256;
		struct conv_msg *v = realloc(p->rows, cap * sizeof(*v));
		if (!v)
			return -1;
		p->rows = v;
		p->caprows = cap;
	}
	if (conv_msg(&p->rows[p->nrows], msg) < 0)
		return -1;
	p->bytes += p->rows[p->nrows].bytes + 256;
	p->nrows++;
	return 0;
}

static int pending_flags(struct pending *p, const imap4_msg *msg)
{
	if (p->nflags == p->capflags) {
		size_t cap = p->capflags ? p->capflags * 2 : 256;
		struct flag_change *v = realloc(p->flags, cap * sizeof(*v));
		if (!v)
			return -1;
		p->flags = v;
		p->capflags = cap;
	}
	char *f = conv_flags(msg);
	if (!f)
		return -1;
	p->flags[p->nflags++] = (struct flag_change){
		.uid = msg->uid,
		.modseq = (msg->have & IMAP4_HAVE_MODSEQ) ? msg->modseq : 0,
		.flags = f,
	};
	p->bytes += strlen(f) + 32;
	return 0;
}

/* Test switch (isync's interrupt-after-step-N loop): with
 * MAILMIRROR_CRASH_AFTER_COMMITS=N in the environment the process dies
 * right after its Nth sync commit, as a kill -9 would, so a test can check
 * that a restart converges from every intermediate state. */
static void crash_point(void)
{
	static atomic_long left = -1;
	long n = atomic_load(&left);
	if (n == -1) {
		const char *e = getenv("MAILMIRROR_CRASH_AFTER_COMMITS");
		n = e && *e ? strtol(e, NULL, 10) : 0;
		atomic_store(&left, n > 0 ? n : 0);
		n = atomic_load(&left);
	}
	if (n > 0 && atomic_fetch_sub(&left, 1) == 1)
		_exit(99);
}

/* Writes what is pending, and st (when not NULL) with it, in one
 * transaction; the rows stay in p (pending_write drops them). */
static int pending_commit(struct sync_ctx *c, const struct sync_box *b,
			  struct pending *p,
			  const struct store_mailbox_state *st, bool recount)
{
	if (store_begin(c->store) < 0)
		return fail_store(c, "begin");
	if (p->want_reset) {
		if (store_mailbox_reset(c->store, b->id, p->reset_uidvalidity) < 0)
			return fail_store(c, "reset mailbox");
	}
	for (size_t i = 0; i < p->gone.n; i++)
		if (store_message_delete_range(NULL, c->store, b->id,
					       p->gone.v[i].lo,
					       p->gone.v[i].hi) < 0)
			return fail_store(c, "delete messages");
	for (size_t i = 0; i < p->nrows; i++)
		if (store_message_upsert(NULL, c->store, b->id,
					 &p->rows[i].row) < 0)
			return fail_store(c, "store message");
	for (size_t i = 0; i < p->nflags; i++) {
		int rc = store_message_set_flags(c->store, b->id,
						 p->flags[i].uid,
						 p->flags[i].flags,
						 p->flags[i].modseq);
		/* A flag change for a message we do not hold yet is news of
		 * a message above our UIDNEXT; the next fetch brings it. */
		if (rc < 0 && rc != STORE_ENOTFOUND)
			return fail_store(c, "store flags");
	}
	if (st && store_mailbox_set_state(c->store, b->id, st) < 0)
		return fail_store(c, "record mailbox state");
	if (recount && store_mailbox_recount(c->store, b->id) < 0)
		return fail_store(c, "count messages");
	if (store_commit(c->store) < 0)
		return fail_store(c, "commit");
	crash_point();
	p->want_reset = false;
	return SYNC_OK;
}

static int pending_write(struct sync_ctx *c, const struct sync_box *b,
			 struct pending *p,
			 const struct store_mailbox_state *st, bool recount)
{
	int rc = pending_commit(c, b, p, st, recount);
	if (rc == SYNC_OK)
		pending_drop(p);
	return rc;
}

/* --------------------------------------------------------- callbacks */

struct fetch_ctx {
	struct sync_ctx *c;
	const struct sync_box *b;
	struct pending *p;
	bool metadata;		/* rows wanted, not only flags */
};

static int on_fetch(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct fetch_ctx *f = payload;
	(void)resp;
	if (!(msg->have & IMAP4_HAVE_UID)) {
		/* Unsolicited news of another message, by sequence number. */
		f->p->dirty = true;
		return 0;
	}
	int rc;
	if (f->metadata && (msg->have & IMAP4_HAVE_ENVELOPE)) {
		rc = pending_row(f->p, msg);
		if (msg->uid > f->p->max_uid)
			f->p->max_uid = msg->uid;
		f->p->fetched++;
	} else if (msg->have & IMAP4_HAVE_FLAGS) {
		rc = pending_flags(f->p, msg);
	} else {
		return 0;
	}
	if (rc < 0) {
		f->p->failed = IMAP4_ENOMEM;
		return -1;
	}
	/* Rows of a batch beyond the memory bound are written now, without
	 * the high-water mark: a kill then refetches them, never skips. */
	if (f->p->bytes > ROWS_MAX_BYTES &&
	    pending_write(f->c, f->b, f->p, NULL, false) < 0) {
		f->p->failed = IMAP4_ECALLBACK;
		return -1;
	}
	return 0;
}

/* VANISHED and FETCH during SELECT (QRESYNC) into p. */
static int on_select_data(void *payload, const imap4_resp *resp)
{
	struct fetch_ctx *f = payload;
	if (!resp->name)
		return 1;
	if (strcmp(resp->name, "VANISHED") == 0) {
		imap4_vanished v;
		if (imap4_vanished_parse(&v, resp) < 0) {
			f->p->failed = IMAP4_EPROTO;
			return 0;
		}
		for (size_t i = 0; i < v.uids.count; i++) {
			const imap4_range *g = &v.uids.ranges[i];
			if (g->lo == 0 || g->hi == 0 ||
			    ranges_add(&f->p->gone, g->lo, g->hi) < 0) {
				f->p->failed = IMAP4_EPROTO;
				break;
			}
		}
		return 0;
	}
	if (strcmp(resp->name, "FETCH") == 0) {
		imap4_msg m;
		if (imap4_msg_parse(&m, resp) < 0) {
			f->p->failed = IMAP4_EPROTO;
			return 0;
		}
		return on_fetch(f, &m, resp) < 0 ? -1 : 0;
	}
	return 1;
}

int sync_apply_unsolicited(struct sync_ctx *c, const imap4_resp *resp)
{
	const struct sync_box *b = c->selected;
	if (!resp->name || !b)
		return 0;
	const char *n = resp->name;
	if (strcmp(n, "EXISTS") == 0) {
		if (resp->number != c->sel_exists)
			c->sel_dirty = true;
		c->sel_exists = resp->number;
		return c->sel_dirty;
	}
	if (strcmp(n, "EXPUNGE") == 0) {
		/* Without QRESYNC an EXPUNGE names a sequence number; the
		 * resync's full UID listing finds which message went. */
		if (c->sel_exists)
			c->sel_exists--;
		c->sel_dirty = true;
		return 1;
	}
	if (strcmp(n, "STATUS") == 0) {
		imap4_status_info si;
		struct sync_box *other;
		if (imap4_status_parse(&si, resp) == 0 && si.mailbox &&
		    (other = sync_find(c, si.mailbox)) != NULL) {
			other->dirty = true;
			return 1;
		}
		return 0;
	}
	if (strcmp(n, "VANISHED") != 0 && strcmp(n, "FETCH") != 0)
		return 0;

	struct pending p = {0};
	struct fetch_ctx f = {.c = c, .b = b, .p = &p};
	int rc = on_select_data(&f, resp);
	if (rc >= 0 && !p.failed && (p.nflags || p.gone.n)) {
		int w = pending_write(c, b, &p, NULL, true);
		if (w < 0) {
			pending_free(&p);
			return w;
		}
	}
	bool dirty = p.dirty || p.failed;
	pending_free(&p);
	if (dirty)
		c->sel_dirty = true;
	return dirty;
}

static int on_unsolicited(void *payload, const imap4_resp *resp)
{
	struct sync_ctx *c = payload;
	int rc = sync_apply_unsolicited(c, resp);
	if (rc < 0)
		log_warning(c->conf->name, c->selected ? c->selected->name : NULL,
			    "%s", c->err);
	return 0;
}

/* ------------------------------------------------------------ attach */

int sync_attach(struct sync_ctx *c, imap4 *h)
{
	c->h = h;
	c->selected = NULL;
	c->sel_dirty = false;
	c->condstore = c->qresync = false;
	imap4_set_unsolicited(h, on_unsolicited, c);
	/* RFC 7162 3.2.3: ENABLE QRESYNC implies CONDSTORE. */
	const char *want = imap4_has_capability(h, "QRESYNC") ? "QRESYNC"
			   : imap4_has_capability(h, "CONDSTORE") ? "CONDSTORE"
								  : NULL;
	if (want && imap4_has_capability(h, "ENABLE")) {
		beat(c);
		int rc = imap4_enable(h, want);
		if (rc < 0)
			return fail_imap(c, "ENABLE", rc);
		c->qresync = imap4_is_enabled(h, "QRESYNC");
		c->condstore = c->qresync || imap4_is_enabled(h, "CONDSTORE");
	} else if (want) {
		/* CONDSTORE without ENABLE: SELECT (CONDSTORE) turns it on. */
		c->condstore = true;
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

struct sync_box *sync_find(const struct sync_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nboxes; i++) {
		const char *n = c->boxes[i].name;
		if (strcmp(n, name) == 0 ||
		    (strcasecmp(n, "INBOX") == 0 && strcasecmp(name, "INBOX") == 0))
			return &c->boxes[i];
	}
	return NULL;
}

/* ---------------------------------------------------------- the LIST */

struct listed {
	char *name;
	char delimiter;
	char *attrs;
	const char *special_use;	/* points into attrs' storage or NULL */
	char *special;
	bool noselect;
	bool known;		/* already in the cache */
};

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

struct stored_box {
	int64_t id;
	char *name;
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
	l->v[l->n++] = (struct stored_box){id, copy};
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

/* The UIDVALIDITY of a mailbox new to us, to recognise a rename. */
static uint32_t status_uidvalidity(struct sync_ctx *c, const char *name)
{
	beat(c);
	if (imap4_status(c->h, name, "(UIDVALIDITY)") != IMAP4_OK)
		return 0;
	for (size_t i = 0; i < imap4_data_count(c->h); i++) {
		imap4_status_info st;
		const imap4_resp *r = imap4_data_at(c->h, i);
		if (r->name && strcmp(r->name, "STATUS") == 0 &&
		    imap4_status_parse(&st, r) == 0 &&
		    (st.have & IMAP4_ST_UIDVALIDITY))
			return st.uidvalidity;
	}
	return 0;
}

/* Stored mailboxes the server no longer lists: renamed (same UIDVALIDITY
 * under a name new to us; RFC 3501 6.3.5 keeps it) or deleted. */
static int reconcile_gone(struct sync_ctx *c, struct stored_list *stored,
			  struct listed *srv, size_t nsrv)
{
	for (size_t i = 0; i < stored->n; i++) {
		bool present = false;
		for (size_t j = 0; j < nsrv && !present; j++)
			present = !srv[j].noselect &&
				  strcmp(srv[j].name, stored->v[i].name) == 0;
		if (present)
			continue;
		struct store_mailbox_state st;
		if (store_mailbox_get_state(&st, c->store, stored->v[i].id) < 0)
			return fail_store(c, "read mailbox state");
		bool renamed = false;
		for (size_t j = 0; j < nsrv && st.uidvalidity && !renamed; j++) {
			if (srv[j].known || srv[j].noselect)
				continue;
			if (status_uidvalidity(c, srv[j].name) != st.uidvalidity)
				continue;
			int rc = store_mailbox_rename(c->store, stored->v[i].id,
						      srv[j].name);
			if (rc < 0)
				return fail_store(c, "rename mailbox");
			srv[j].known = true;
			renamed = true;
			log_notice(c->conf->name, srv[j].name,
				   "mailbox renamed (was %s)", stored->v[i].name);
		}
		if (!renamed) {
			if (store_mailbox_delete(c->store, stored->v[i].id) < 0)
				return fail_store(c, "delete mailbox");
			log_notice(c->conf->name, stored->v[i].name,
				   "mailbox gone from the server; dropped");
		}
	}
	return SYNC_OK;
}

int sync_list(struct sync_ctx *c)
{
	beat(c);
	int rc = imap4_list(c->h, "", "*");
	if (rc != IMAP4_OK) {
		/* Without the list nothing of the account can be synced. */
		fail_imap(c, "LIST", rc);
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
	for (size_t i = 0; i < n; i++) {
		const imap4_resp *r = imap4_data_at(c->h, i);
		imap4_list_entry e;
		if (!r->name || strcmp(r->name, "LIST") != 0 ||
		    imap4_list_parse(&e, r) < 0)
			continue;
		if (!plan_mailbox_wanted(inc, exc, e.name_utf8, e.delimiter))
			continue;
		struct listed *l = &srv[nsrv];
		l->name = strdup(e.name_utf8);
		l->attrs = join_attrs(&e);
		l->special = e.special_use ? strdup(e.special_use) : NULL;
		l->delimiter = e.delimiter;
		l->noselect = e.attr_bits & (IMAP4_MBOX_NOSELECT |
					     IMAP4_MBOX_NONEXISTENT);
		nsrv++;
		if (!l->name || !l->attrs || (e.special_use && !l->special)) {
			free_listed(srv, nsrv);
			snprintf(c->err, sizeof(c->err), "out of memory");
			return SYNC_ESTORE;
		}
	}

	struct stored_list stored = {0};
	rc = store_mailbox_each(c->store, c->account_id, collect_stored, &stored);
	if (rc < 0) {
		rc = fail_store(c, "list mailboxes");
		goto out;
	}
	for (size_t j = 0; j < nsrv; j++)
		for (size_t i = 0; i < stored.n && !srv[j].known; i++)
			srv[j].known = strcmp(srv[j].name, stored.v[i].name) == 0;

	rc = reconcile_gone(c, &stored, srv, nsrv);
	if (rc < 0)
		goto out;

	sync_clear(c);
	c->boxes = calloc(nsrv ? nsrv : 1, sizeof(*c->boxes));
	if (!c->boxes) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		rc = SYNC_ESTORE;
		goto out;
	}
	if (store_begin(c->store) < 0) {
		rc = fail_store(c, "begin");
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
			rc = fail_store(c, "record mailbox");
			goto out;
		}
		b->name = srv[j].name;
		srv[j].name = NULL;
		b->delimiter = srv[j].delimiter;
		c->nboxes++;
	}
	if (store_commit(c->store) < 0)
		rc = fail_store(c, "commit");
	else
		rc = SYNC_OK;
out:
	for (size_t i = 0; i < stored.n; i++)
		free(stored.v[i].name);
	free(stored.v);
	free_listed(srv, nsrv);
	return rc;
}

/* ------------------------------------------------------ one mailbox */

static const char *meta_items(const struct sync_ctx *c)
{
	return c->condstore
		       ? "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE MODSEQ)"
		       : "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)";
}

struct body_ctx {
	struct sync_ctx *c;
	const struct sync_box *b;
	size_t written;
	int failed;
};

static int on_body(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct body_ctx *bc = payload;
	(void)resp;
	if (!(msg->have & IMAP4_HAVE_UID) || !msg->sections)
		return 0;
	const imap4_section *s = msg->sections;
	if (s->nil || s->streamed || !s->data)
		return 0;
	bool full = bc->c->conf->bodies == CONF_BODIES_FULL;
	char *headers = NULL, *text = NULL;
	const char *sep = full ? memmem(s->data, s->len, "\r\n\r\n", 4) : NULL;
	size_t hlen = sep ? (size_t)(sep - s->data) + 2 : s->len;
	headers = strndup(s->data, hlen);
	if (full && sep)
		text = strndup(sep + 4, s->len - hlen - 2);
	int rc = -1;
	/* One short transaction per body: a body can be large, and each
	 * stands alone (the message row exists already). */
	if (headers && (!full || !sep || text))
		rc = store_body_put(bc->c->store, bc->b->id, msg->uid, headers,
				    text, false);
	free(headers);
	free(text);
	if (rc < 0 && rc != STORE_ENOTFOUND) {
		bc->failed = rc;
		return -1;
	}
	bc->written++;
	return 0;
}

/* Bodies of the messages of set (already stored), when configured. */
static int fetch_bodies(struct sync_ctx *c, const struct sync_box *b,
			const char *set)
{
	enum conf_bodies mode = c->conf->bodies;
	if (mode == CONF_BODIES_NONE)
		return SYNC_OK;
	char items[64];
	if (c->conf->max_body_size && mode == CONF_BODIES_FULL)
		snprintf(items, sizeof(items), "(UID BODY.PEEK[]<0.%llu>)",
			 (unsigned long long)c->conf->max_body_size);
	else
		snprintf(items, sizeof(items), "(UID BODY.PEEK[%s])",
			 mode == CONF_BODIES_FULL ? "" : "HEADER");
	struct body_ctx bc = {.c = c, .b = b};
	beat(c);
	int rc = imap4_fetch_each(c->h, true, set, items, on_body, &bc);
	if (bc.failed)
		return fail_store(c, "store body");
	if (rc != IMAP4_OK)
		return fail_imap(c, "UID FETCH bodies", rc);
	return SYNC_OK;
}

/* on_new_mail for mail that arrived while we watched, once it is in the
 * cache (a notifier may query it at once). */
static void run_hooks(struct sync_ctx *c, const struct sync_box *b,
		      const struct pending *p)
{
	if (!c->live || !c->conf->on_new_mail)
		return;
	for (size_t i = 0; i < p->nrows; i++)
		hook_new_mail(c->conf, b->name, &p->rows[i].row);
}

/* New messages: UID SEARCH for what is at or above from, then batches. */
static int fetch_new(struct sync_ctx *c, const struct sync_box *b,
		     struct pending *p, struct store_mailbox_state *st,
		     uint32_t from, uint32_t exists)
{
	/* UIDs above EXISTS would be a server lying about its mailbox
	 * (RELIABILITY rule 4): memory follows the real count only. */
	struct ranges r = {.limit = (uint64_t)exists + 1};
	int rc = uid_search(c, &r, from);
	if (rc < 0)
		goto out;
	size_t ri = 0, done = 0;
	uint32_t next = 0;
	while (ri < r.n) {
		if (stopping(c)) {
			rc = SYNC_ESTOP;
			goto out;
		}
		char *set;
		uint32_t last = 0;
		size_t count;
		if (batch_set(&set, &last, &count, &r, &ri, &next, BATCH) < 0) {
			snprintf(c->err, sizeof(c->err), "out of memory");
			rc = SYNC_ESTORE;
			goto out;
		}
		struct fetch_ctx f = {.c = c, .b = b, .p = p, .metadata = true};
		beat(c);
		int irc = imap4_fetch_each(c->h, true, set, meta_items(c),
					   on_fetch, &f);
		if (irc != IMAP4_OK || p->failed) {
			free(set);
			rc = p->failed == IMAP4_ECALLBACK
				     ? SYNC_ESTORE
				     : fail_imap(c, "UID FETCH",
						 irc != IMAP4_OK ? irc : p->failed);
			goto out;
		}
		/* Everything up to last is now held: UIDNEXT may pass it. */
		if (last >= st->uidnext)
			st->uidnext = last + 1;
		rc = pending_commit(c, b, p, st, true);
		if (rc < 0) {
			free(set);
			goto out;
		}
		run_hooks(c, b, p);
		pending_drop(p);
		done += count;
		if (c->progress)
			c->progress(c->payload, b->name, (uint32_t)done,
				    (uint32_t)r.total);
		rc = fetch_bodies(c, b, set);
		free(set);
		if (rc < 0)
			goto out;
	}
	rc = SYNC_OK;
out:
	free(r.v);
	if (c->progress)
		c->progress(c->payload, b->name, 0, 0);
	return rc;
}

/* Flag changes of the messages we hold. A full listing (no CONDSTORE) also
 * proves which of them are gone. */
static int fetch_flags(struct sync_ctx *c, const struct sync_box *b,
		       struct pending *p, const struct plan_actions *a,
		       struct ranges *listing)
{
	struct fetch_ctx f = {.c = c, .b = b, .p = p};
	char set[32];
	snprintf(set, sizeof(set), "1:%u", a->flags_upto);
	char items[96];
	if (a->flags == PLAN_FLAGS_CHANGEDSINCE)
		snprintf(items, sizeof(items), "(UID FLAGS) (CHANGEDSINCE %llu)",
			 (unsigned long long)a->changedsince);
	else
		snprintf(items, sizeof(items), "(UID FLAGS)");
	beat(c);
	int rc = imap4_fetch_each(c->h, true, set, items, on_fetch, &f);
	if (rc != IMAP4_OK || p->failed)
		return p->failed == IMAP4_ECALLBACK
			       ? SYNC_ESTORE
			       : fail_imap(c, "UID FETCH FLAGS",
					   rc != IMAP4_OK ? rc : p->failed);
	if (listing) {
		for (size_t i = 0; i < p->nflags; i++)
			if (ranges_add(listing, p->flags[i].uid,
				       p->flags[i].uid) < 0) {
				snprintf(c->err, sizeof(c->err),
					 "UID FETCH FLAGS: more messages than "
					 "EXISTS");
				return SYNC_ECONN;
			}
		ranges_normalise(listing);
	}
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
	return ranges_add(payload, uid, uid);
}

/* Deletes the cached messages of b up to upto that listing lacks. */
static int drop_absent(struct sync_ctx *c, const struct sync_box *b,
		       struct pending *p, const struct ranges *listing,
		       uint32_t upto)
{
	struct uid_vec local = {0};
	if (store_message_each_uid(c->store, b->id, collect_uid, &local) < 0) {
		free(local.v);
		return fail_store(c, "list cached UIDs");
	}
	size_t n = 0;
	while (n < local.n && local.v[n] <= upto)
		n++;
	int rc = plan_uid_gone(local.v, n, listing->v, listing->n, note_gone,
			       &p->gone);
	free(local.v);
	if (rc) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	return SYNC_OK;
}

static int record_error(struct sync_ctx *c, const struct sync_box *b, int rc)
{
	if (rc == SYNC_EMAILBOX) {
		log_warning(c->conf->name, b->name, "%s", c->err);
		store_mailbox_set_error(c->store, b->id, c->err);
	}
	return rc;
}

int sync_mailbox(struct sync_ctx *c, const struct sync_box *b)
{
	struct store_mailbox_state st;
	uint64_t count = 0;
	int rc = SYNC_OK;
	if (store_mailbox_get_state(&st, c->store, b->id) < 0 ||
	    store_message_count(&count, c->store, b->id) < 0)
		return fail_store(c, "read mailbox state");

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
	c->selected = NULL;
	beat(c);
	int irc = imap4_select_ex(c->h, &info, b->name, &sp, on_select_data, &f);
	if (irc != IMAP4_OK) {
		pending_free(&p);
		return record_error(c, b, fail_imap(c, "SELECT", irc));
	}
	c->selected = b;
	c->sel_exists = info.exists;
	c->sel_dirty = false;
	if (p.failed) {
		pending_free(&p);
		snprintf(c->err, sizeof(c->err),
			 "SELECT: malformed QRESYNC data from the server");
		return SYNC_ECONN;
	}
	if (info.uidvalidity == 0) {
		pending_free(&p);
		snprintf(c->err, sizeof(c->err),
			 "SELECT: the server gave no UIDVALIDITY");
		return record_error(c, b, SYNC_EMAILBOX);
	}

	struct plan_local local = {
		.uidvalidity = st.uidvalidity,
		.uidnext = st.uidnext,
		.highestmodseq = st.highestmodseq,
		.count = (uint32_t)count,
	};
	struct plan_server server = {
		.uidvalidity = info.uidvalidity,
		.uidnext = info.uidnext,
		.exists = info.exists,
		.highestmodseq = info.nomodseq ? 0 : info.highestmodseq,
		.condstore = c->condstore && !info.nomodseq,
		.qresync_done = qresync && info.uidvalidity == st.uidvalidity,
	};
	struct plan_actions a;
	plan_mailbox(&a, &local, &server);

	if (a.nothing && !p.nflags && !p.gone.n) {
		pending_free(&p);
		store_mailbox_set_error(c->store, b->id, NULL);
		return SYNC_OK;
	}
	if (st.uidvalidity != info.uidvalidity) {
		/* Whatever QRESYNC said was about the old epoch. */
		pending_drop(&p);
		if (st.uidvalidity)
			log_notice(c->conf->name, b->name,
				   "UIDVALIDITY changed (%u -> %u): refetching",
				   st.uidvalidity, info.uidvalidity);
		p.want_reset = true;
		p.reset_uidvalidity = info.uidvalidity;
		st = (struct store_mailbox_state){.uidvalidity = info.uidvalidity,
						  .uidnext = 1};
	} else if (p.nflags || p.gone.n) {
		rc = pending_write(c, b, &p, NULL, true);
		if (rc < 0)
			goto out_rc;
	}
	/* The marks of the epoch go in with the first write. */
	st.uidvalidity = info.uidvalidity;
	if (st.uidnext == 0)
		st.uidnext = 1;

	if (a.fetch_new) {
		rc = fetch_new(c, b, &p, &st, a.new_from, info.exists);
		if (rc < 0)
			goto out_rc;
	}

	struct ranges listing = {.limit = (uint64_t)info.exists + 1};
	bool have_listing = false;
	if (a.flags != PLAN_FLAGS_NONE) {
		rc = fetch_flags(c, b, &p, &a,
				 a.flags == PLAN_FLAGS_FULL ? &listing : NULL);
		if (rc < 0)
			goto out_listing;
		have_listing = a.flags == PLAN_FLAGS_FULL;
		if (have_listing) {
			rc = drop_absent(c, b, &p, &listing, a.flags_upto);
			if (rc < 0)
				goto out_listing;
		}
		rc = pending_write(c, b, &p, NULL, true);
		if (rc < 0)
			goto out_listing;
	}

	if (a.check_count) {
		uint64_t held = 0;
		if (store_message_count(&held, c->store, b->id) < 0) {
			rc = fail_store(c, "count messages");
			goto out_listing;
		}
		if (held != c->sel_exists) {
			/* RELIABILITY rule 7: only a full listing proves a
			 * message is gone. */
			listing.n = 0;
			listing.total = 0;
			rc = uid_search(c, &listing, 1);
			if (rc < 0)
				goto out_listing;
			rc = drop_absent(c, b, &p, &listing, UINT32_MAX);
			if (rc < 0)
				goto out_listing;
		}
	}

	/* HIGHESTMODSEQ moves only now that every change below it is held. */
	st.highestmodseq = server.condstore ? server.highestmodseq : 0;
	if (info.uidnext > st.uidnext && !a.fetch_new)
		st.uidnext = info.uidnext;
	st.exists = c->sel_exists;
	st.last_sync = (int64_t)time(NULL);
	rc = pending_write(c, b, &p, &st, true);
	if (rc == SYNC_OK)
		store_mailbox_set_error(c->store, b->id, NULL);
out_listing:
	free(listing.v);
out_rc:
	pending_free(&p);
	return record_error(c, b, rc);
}

/* ----------------------------------------------------------- NOTIFY */

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

int sync_notify(struct sync_ctx *c)
{
	if (!imap4_has_capability(c->h, "NOTIFY"))
		return SYNC_EMAILBOX;
	/* RFC 5465 5: FlagChange needs MessageNew and MessageExpunge; for the
	 * other mailboxes they arrive as STATUS responses. */
	static const char events[] =
		"(MessageNew MessageExpunge FlagChange)";
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	int rc = imap4_buf_printf(&b, "(selected %s)", events);
	size_t others = 0;
	for (size_t i = 0; rc == 0 && i < c->nboxes; i++) {
		const struct sync_box *x = &c->boxes[i];
		if (!x->watched || x == c->selected)
			continue;
		size_t mark = b.len;
		rc = imap4_buf_puts(&b, others ? " " : " (mailboxes (");
		if (rc == 0 && put_mailbox(&b, x->name) < 0) {
			b.len = mark;	/* this one is polled instead */
			b.data[b.len] = '\0';
			continue;
		}
		others++;
	}
	if (rc == 0 && others)
		rc = imap4_buf_printf(&b, ") %s)", events);
	if (rc < 0) {
		imap4_buf_clear(&b);
		snprintf(c->err, sizeof(c->err), "out of memory");
		return SYNC_ESTORE;
	}
	beat(c);
	int irc = imap4_notify(c->h, b.data);
	imap4_buf_clear(&b);
	if (irc != IMAP4_OK) {
		int r = fail_imap(c, "NOTIFY", irc);
		return r == SYNC_EMAILBOX ? SYNC_EMAILBOX : r;
	}
	return SYNC_OK;
}

/* --------------------------------------------------------- polling */

int sync_poll(struct sync_ctx *c, const struct sync_box *skip)
{
	const char *items = c->condstore
				    ? "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
				    : "(MESSAGES UIDNEXT UIDVALIDITY)";
	int worst = SYNC_OK;
	for (size_t i = 0; i < c->nboxes; i++) {
		const struct sync_box *b = &c->boxes[i];
		if (b == skip)
			continue;
		if (stopping(c))
			return SYNC_ESTOP;
		beat(c);
		int rc = imap4_status(c->h, b->name, items);
		if (rc != IMAP4_OK) {
			rc = record_error(c, b, fail_imap(c, "STATUS", rc));
			if (rc != SYNC_EMAILBOX)
				return rc;
			worst = rc;
			continue;
		}
		imap4_status_info si = {0};
		bool got = false;
		for (size_t k = 0; k < imap4_data_count(c->h) && !got; k++) {
			const imap4_resp *r = imap4_data_at(c->h, k);
			got = r->name && strcmp(r->name, "STATUS") == 0 &&
			      imap4_status_parse(&si, r) == 0;
		}
		struct store_mailbox_state st;
		uint64_t count = 0;
		if (store_mailbox_get_state(&st, c->store, b->id) < 0 ||
		    store_message_count(&count, c->store, b->id) < 0)
			return fail_store(c, "read mailbox state");
		struct plan_local local = {st.uidvalidity, st.uidnext,
					   st.highestmodseq, (uint32_t)count};
		/* Without CONDSTORE, STATUS cannot show flag changes: such
		 * mailboxes are selected at every poll. */
		bool changed = !got || !c->condstore ||
			       plan_status_changed(&local, si.uidvalidity,
						   si.uidnext, si.messages,
						   si.highestmodseq);
		if (!changed)
			continue;
		rc = sync_mailbox(c, b);
		if (rc == SYNC_EMAILBOX)
			worst = rc;
		else if (rc < 0)
			return rc;
	}
	return worst;
}

int sync_all(struct sync_ctx *c)
{
	int worst = SYNC_OK;
	for (size_t i = 0; i < c->nboxes; i++) {
		if (stopping(c))
			return SYNC_ESTOP;
		int rc = sync_mailbox(c, &c->boxes[i]);
		if (rc == SYNC_EMAILBOX)
			worst = rc;
		else if (rc < 0)
			return rc;
	}
	return worst;
}
