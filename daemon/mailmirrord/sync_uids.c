/* sync_uids.c - UID sets: asked with UID SEARCH (or, with their sizes,
 * UID FETCH), cut into fetch batches. */
#include "mailmirrord/sync_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends lo..hi to r. */
static int push_range(struct ranges *r, uint32_t lo, uint32_t hi)
{
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

int sync_ranges_add(struct ranges *r, uint32_t lo, uint32_t hi)
{
	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	/* UIDs mostly come in ascending order, one or a range at a time:
	 * one touching the last range extends it, and one said again costs
	 * nothing (Exchange tells a listing's flags twice). */
	struct plan_range *t = r->n ? &r->v[r->n - 1] : NULL;
	if (t && lo >= t->lo && (lo <= t->hi || lo - 1 == t->hi)) {
		if (hi <= t->hi)
			return 0;
		r->total += (uint64_t)hi - t->hi;
		t->hi = hi;
	} else {
		r->total += (uint64_t)hi - lo + 1;
		t = NULL;
	}
	if (r->limit && r->total > r->limit) {
		r->over = true;
		return -1;
	}
	if (!t)
		return push_range(r, lo, hi);
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct plan_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges, so plan_uid_gone can walk it. */
void sync_ranges_normalise(struct ranges *r)
{
	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < r->n; i++) {
		if (r->v[i].lo <= r->v[w].hi ||
		    (r->v[w].hi != UINT32_MAX &&
		     r->v[i].lo == r->v[w].hi + 1)) {
			if (r->v[i].hi > r->v[w].hi)
				r->v[w].hi = r->v[i].hi;
		} else {
			r->v[++w] = r->v[i];
		}
	}
	r->n = w + 1;
}

bool sync_ranges_has(const struct ranges *r, uint32_t uid)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (uid < r->v[mid].lo)
			hi = mid;
		else if (uid > r->v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

struct search_collect {
	struct sync_ctx *c;
	struct ranges *r;
	uint32_t min_uid; /* drop UIDs below (the "n:*" quirk) */
	int failed;
	size_t answers; /* SEARCH and ESEARCH responses read */
	/* The (TAG) of the first ESEARCH that had one, and whether a later
	 * one named another */
	char tag[64];
	bool tags_differ;
};

static int add_clamped(struct search_collect *s, uint32_t lo, uint32_t hi)
{
	if (hi < s->min_uid)
		return 0;
	if (lo < s->min_uid)
		lo = s->min_uid;
	return sync_ranges_add(s->r, lo, hi);
}

/* SEARCH and ESEARCH results of a UID SEARCH. */
static int on_search(void *payload, const imap4_resp *resp)
{
	struct search_collect *s = payload;
	/* imap4_command hands us every untagged response: news of the
	 * mailbox (EXISTS of mail that arrived while we search) goes where
	 * it goes during any other command. */
	if (!resp->name || (strcmp(resp->name, "SEARCH") != 0 &&
	                    strcmp(resp->name, "ESEARCH") != 0))
		return sync_on_unsolicited(s->c, resp);
	imap4_search_result res;
	if (imap4_search_parse(&res, resp) < 0) {
		s->failed = IMAP4_EPROTO;
		return 0;
	}
	s->answers++;
	if (res.esearch && res.tag) {
		if (!s->tag[0] && strlen(res.tag) < sizeof(s->tag))
			strcpy(s->tag, res.tag);
		else if (strcmp(s->tag, res.tag) != 0)
			s->tags_differ = true;
	}
	if (res.esearch) {
		for (size_t i = 0; i < res.all.count && !s->failed; i++) {
			const imap4_range *g = &res.all.ranges[i];
			if (g->lo == 0 || g->hi == 0) {
				s->failed = IMAP4_EPROTO; /* "*" in a result */
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
int sync_uid_search(struct sync_ctx *c, struct ranges *out, uint32_t min_uid)
{
	struct search_collect s = {.c = c, .r = out, .min_uid = min_uid};
	char set[16];
	snprintf(set, sizeof(set), "%u:*", min_uid);
	int rc;
	sync_beat(c);
	/* RFC 4731: ESEARCH gives the set as ranges, a few bytes for a whole
	 * mailbox instead of a number per message. */
	if (imap4_has_capability(c->h, "ESEARCH"))
		rc = imap4_command(c->h, on_search, &s,
		                   "UID SEARCH RETURN (ALL) UID %S", set);
	else
		rc = imap4_command(c->h, on_search, &s, "UID SEARCH UID %S",
		                   set);
	if (rc != IMAP4_OK)
		return sync_fail_imap(c, "UID SEARCH", rc);
	if (s.failed) {
		snprintf(c->err, sizeof(c->err), "UID SEARCH: %s",
		         out->over ? "the server listed more UIDs than messages"
		                   : imap4_strerror(s.failed));
		return SYNC_ECONN;
	}
	/* RFC 3501 7.2.5 and RFC 4731 3.1: a search that matches nothing is
	 * answered all the same ("* SEARCH", an ESEARCH without ALL). An OK
	 * without one is an answer lost (a proxy, a cut): read as "no
	 * UIDs", it emptied the cache of a mailbox of 17 (explore77). The
	 * pass fails; nothing is taken for gone, and the next pass asks
	 * again. */
	if (s.answers == 0) {
		snprintf(c->err, sizeof(c->err),
		         "UID SEARCH: the server answered OK without its "
		         "result (no SEARCH or ESEARCH): nothing taken as "
		         "gone, asked again at the next pass");
		return SYNC_EMAILBOX;
	}
	/* An ESEARCH names the command it answers (RFC 4731 3.1): one of
	 * another command's came late, and its UIDs are not this
	 * listing's. */
	const imap4_resp *done = imap4_completion(c->h);
	if (s.tags_differ ||
	    (s.tag[0] && done && done->tag && strcmp(s.tag, done->tag) != 0)) {
		snprintf(c->err, sizeof(c->err),
		         "UID SEARCH: the server answered with the ESEARCH of "
		         "another command: nothing taken as gone, asked again "
		         "at the next pass");
		return SYNC_EMAILBOX;
	}
	sync_ranges_normalise(out);
	if (min_uid == 1 && c->selected) {
		c->sel_listed = out->total > UINT32_MAX ? UINT32_MAX
		                                        : (uint32_t)out->total;
		c->listed_box = c->selected->id;
		c->listed_expunges = c->sel_expunges;
	}
	return SYNC_OK;
}

uint64_t sync_ranges_above(const struct ranges *r, uint32_t uid)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].hi > uid)
			n += (uint64_t)r->v[i].hi -
			     (r->v[i].lo > uid ? r->v[i].lo : uid + 1) + 1;
	return n;
}

struct size_collect {
	struct sync_ctx *c;
	struct ranges *r;
	uint32_t min_uid; /* drop UIDs below (the "n:*" quirk) */
	uint64_t bytes;   /* sync_body_guess of each */
	int failed;
	size_t answers; /* FETCHes with a UID, asked for or not */
};

static int on_size(void *payload, const imap4_msg *msg, const imap4_resp *resp)
{
	struct size_collect *s = payload;
	if (msg->have & IMAP4_HAVE_UID)
		s->answers++;
	if (!(msg->have & IMAP4_HAVE_UID) || msg->uid < s->min_uid) {
		/* Not one asked for: news of a message (another client's
		 * flag change, RFC 3501 7.4.2), or the message "n:*" names
		 * when none is new. The flags of one asked for come with
		 * its row. */
		if (msg->have & IMAP4_HAVE_FLAGS)
			(void)sync_on_unsolicited(s->c, resp);
		return 0;
	}
	if (sync_ranges_add(s->r, msg->uid, msg->uid) < 0) {
		s->failed = IMAP4_ELIMIT;
		return -1;
	}
	/* A size the server garbled (imap4_msg_parse leaves it out) is
	 * taken for the largest the item brings: the message is fetched
	 * all the same. */
	uint64_t body = sync_body_guess(s->c->conf,
	                                (msg->have & IMAP4_HAVE_SIZE) &&
	                                                msg->size <= INT64_MAX
	                                        ? (int64_t)msg->size
	                                        : -1);
	s->bytes = s->bytes > UINT64_MAX - body ? UINT64_MAX : s->bytes + body;
	return 0;
}

int sync_uid_sizes(struct sync_ctx *c, struct ranges *out, uint64_t *bytes,
                   uint32_t min_uid)
{
	struct size_collect s = {.c = c, .r = out, .min_uid = min_uid};
	char set[16];
	snprintf(set, sizeof(set), "%u:*", min_uid);
	sync_beat(c);
	int rc = imap4_fetch_each(c->h, true, set, "(UID RFC822.SIZE)", on_size,
	                          &s);
	*bytes = s.bytes;
	if (s.failed) {
		snprintf(c->err, sizeof(c->err), "UID FETCH RFC822.SIZE: %s",
		         out->over ? "the server listed more UIDs than messages"
		                   : imap4_strerror(s.failed));
		return SYNC_ECONN;
	}
	if (rc != IMAP4_OK)
		return sync_fail_imap(c, "UID FETCH RFC822.SIZE", rc);
	/* RFC 3501 6.4.8: "n:*" names at least the last message, so a
	 * mailbox that holds any answers with one FETCH or more. An OK
	 * without one is an answer lost (a proxy, a cut), as for the UID
	 * SEARCH above: read as "nothing new", the new mail was never
	 * fetched, and the UIDNEXT stored after it said it was. The pass
	 * fails; nothing is taken as held, and the next pass asks again. */
	if (s.answers == 0 && c->sel_exists > 0) {
		snprintf(c->err, sizeof(c->err),
		         "UID FETCH RFC822.SIZE: the server answered OK "
		         "without its result (no FETCH for %s, which names at "
		         "least the last of %u messages): nothing taken as "
		         "fetched, asked again at the next pass",
		         set, c->sel_exists);
		return SYNC_EMAILBOX;
	}
	sync_ranges_normalise(out);
	return SYNC_OK;
}

/* "a:b,c" for the next at most max UIDs of r from position (*ri, *next). */
int sync_batch_set(char **out, uint32_t *last, size_t *count,
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
