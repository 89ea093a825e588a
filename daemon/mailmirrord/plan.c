/* plan.c - the sync engine's pure decisions; see plan.h. */
#include "mailmirrord/plan.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

void plan_mailbox(struct plan_actions *out, const struct plan_local *local,
                  const struct plan_server *server)
{
	*out = (struct plan_actions){0};

	/* RFC 3501 2.3.1.1: a new UIDVALIDITY means every UID we hold may now
	 * name another message. Nothing of the old rows can be kept. */
	bool fresh = local->uidvalidity == 0 ||
	             local->uidvalidity != server->uidvalidity;
	if (fresh) {
		out->reset = local->uidvalidity != 0;
		out->fetch_new = server->exists > 0;
		out->new_from = 1;
		out->check_count = true;
		return;
	}

	uint32_t old_next = local->uidnext ? local->uidnext : 1;
	/* RFC 3501 2.3.1.1: UIDNEXT never goes down under one UIDVALIDITY.
	 * A server's below the one cached says the cached one was never
	 * true (the server lied once, explore50): the server's is taken,
	 * and every flag up to ours listed, which also finds any message
	 * below the server's that the cache lacks. */
	out->uidnext_back = server->uidnext && server->uidnext < old_next;
	/* Without UIDNEXT (allowed before RFC 9051) we cannot tell whether
	 * something arrived, so we always look above what we hold. */
	out->fetch_new = server->uidnext == 0 || server->uidnext > old_next;
	out->new_from = out->uidnext_back ? server->uidnext : old_next;

	/* RFC 7162 3.1.2: HIGHESTMODSEQ never goes down. One that did (a
	 * server restored from a backup, or one that lied once) leaves every
	 * change after the server's value unreported against ours: only a
	 * listing of every flag is to be trusted, QRESYNC's answer included. */
	out->modseq_back = server->condstore && server->highestmodseq &&
	                   server->highestmodseq < local->highestmodseq;

	if (old_next > 1) {
		out->flags_upto = old_next - 1;
		if (out->modseq_back || out->uidnext_back) {
			out->flags = PLAN_FLAGS_FULL;
		} else if (server->qresync_done) {
			out->flags = PLAN_FLAGS_NONE;
		} else if (server->condstore && local->highestmodseq &&
		           server->highestmodseq) {
			if (server->highestmodseq != local->highestmodseq) {
				out->flags = PLAN_FLAGS_CHANGEDSINCE;
				out->changedsince = local->highestmodseq;
			}
		} else {
			out->flags = PLAN_FLAGS_FULL;
		}
	}

	/* A full FLAGS listing names every old message still there; any
	 * other path (QRESYNC included: the count is cheap and catches a
	 * server that forgot a VANISHED) must compare rows with EXISTS. */
	out->check_count = out->flags != PLAN_FLAGS_FULL;
	out->nothing = !out->fetch_new && out->flags == PLAN_FLAGS_NONE &&
	               server->exists == local->count;
}

bool plan_status_changed(const struct plan_local *local, uint32_t uidvalidity,
                         uint32_t uidnext, uint32_t messages,
                         uint64_t highestmodseq)
{
	if (local->uidvalidity != uidvalidity || local->uidnext != uidnext ||
	    local->count != messages)
		return true;
	/* Without HIGHESTMODSEQ a flag change is invisible to STATUS; the
	 * caller then resyncs flags on its own, slower schedule. */
	return highestmodseq && highestmodseq != local->highestmodseq;
}

static bool match_at(const char *p, const char *n, char delim)
{
	for (;; p++, n++) {
		if (*p == '*' || *p == '%') {
			bool star = *p == '*';
			while (p[1] == '*' || p[1] == '%') {
				star |= p[1] == '*';
				p++;
			}
			for (const char *s = n;; s++) {
				if (match_at(p + 1, s, delim))
					return true;
				if (!*s || (!star && delim && *s == delim))
					return false;
			}
		}
		if (*p != *n)
			return false;
		if (!*p)
			return true;
	}
}

/* Whether c ends a name's first level. Before LIST the delimiter is not
 * known (0): any character but a letter or digit may be it. */
static bool ends_level(char c, char delimiter)
{
	if (c == '\0')
		return true;
	return delimiter ? c == delimiter : !isalnum((unsigned char)c);
}

bool plan_match(const char *pattern, const char *name, char delimiter)
{
	/* INBOX is case-insensitive, alone or as the first level. */
	size_t len = 5;
	if (strncasecmp(name, "INBOX", len) == 0 &&
	    strncasecmp(pattern, "INBOX", len) == 0 &&
	    ends_level(name[len], delimiter) &&
	    ends_level(pattern[len], delimiter))
		return match_at(pattern + len, name + len, delimiter);
	return match_at(pattern, name, delimiter);
}

bool plan_mailbox_wanted(const char *const *include, const char *const *exclude,
                         const char *name, char delimiter)
{
	bool in = include == NULL;
	for (size_t i = 0; include && include[i] && !in; i++)
		in = plan_match(include[i], name, delimiter);
	for (size_t i = 0; in && exclude && exclude[i]; i++)
		if (plan_match(exclude[i], name, delimiter))
			in = false;
	return in;
}

bool plan_hook_wanted(const char *const *hook, const char *name, char delimiter)
{
	for (size_t i = 0; hook && hook[i]; i++)
		if (plan_match(hook[i], name, delimiter))
			return true;
	return !hook;
}

size_t plan_watch_rank(const char *const *idle, size_t n, const char *name,
                       char delimiter)
{
	for (size_t i = 0; i < n; i++) {
		if (!plan_match(idle[i], name, delimiter))
			continue;
		return strcasecmp(name, "INBOX") == 0 ? 1 : 2 + i;
	}
	return 0;
}

size_t plan_sync_key(const char *const *idle, size_t n, const char *name,
                     char delimiter)
{
	if (strcasecmp(name, "INBOX") == 0)
		return 0;
	size_t r = plan_watch_rank(idle, n, name, delimiter);
	return r ? r : PLAN_SYNC_REST;
}

static int turn_cmp(const void *x, const void *y)
{
	const struct plan_turn *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

void plan_sync_order(struct plan_turn *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), turn_cmp);
}

void plan_patterns_hit(bool *hit, const char *const *patterns, const char *name,
                       char delimiter, bool selectable)
{
	/* A pattern that reaches only placeholders ("L%" where Lists is
	 * \Noselect) mirrors nothing: as much a typo as one matching no
	 * name. */
	if (!selectable)
		return;
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (!hit[i] && plan_match(patterns[i], name, delimiter))
			hit[i] = true;
}

int plan_uid_gone(const uint32_t *local, size_t nlocal,
                  const struct plan_range *server, size_t nserver,
                  int (*gone)(void *payload, uint32_t uid), void *payload)
{
	size_t r = 0;
	for (size_t i = 0; i < nlocal; i++) {
		uint32_t uid = local[i];
		while (r < nserver && server[r].hi < uid)
			r++;
		if (r < nserver && server[r].lo <= uid)
			continue;
		int rc = gone(payload, uid);
		if (rc)
			return rc;
	}
	return 0;
}

int plan_uid_missing(const uint32_t *local, size_t nlocal,
                     const struct plan_range *server, size_t nserver,
                     uint32_t upto,
                     int (*missing)(void *payload, uint32_t lo, uint32_t hi),
                     void *payload)
{
	size_t i = 0;
	for (size_t r = 0; r < nserver && server[r].lo <= upto; r++) {
		uint32_t lo = server[r].lo;
		uint32_t hi = server[r].hi < upto ? server[r].hi : upto;
		while (i < nlocal && local[i] < lo)
			i++;
		/* Walk the cached UIDs inside lo..hi; the gaps are missing. */
		uint32_t from = lo;
		for (; i < nlocal && local[i] <= hi; i++) {
			int rc = local[i] > from
			                 ? missing(payload, from, local[i] - 1)
			                 : 0;
			if (rc)
				return rc;
			from = local[i] + 1;
			if (from == 0) /* local[i] was UINT32_MAX */
				break;
		}
		if (from != 0 && from <= hi) {
			int rc = missing(payload, from, hi);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int plan_batches(const uint32_t *uids, size_t n, size_t max,
                 int (*batch)(void *payload, const uint32_t *uids, size_t n),
                 void *payload)
{
	if (max == 0)
		max = 1;
	for (size_t i = 0; i < n; i += max) {
		size_t len = n - i < max ? n - i : max;
		int rc = batch(payload, uids + i, len);
		if (rc)
			return rc;
	}
	return 0;
}

unsigned plan_backoff_ms(unsigned failures, uint32_t rnd)
{
	const unsigned cap = 300000;
	unsigned d = 1000;
	for (unsigned i = 1; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Full jitter over the upper half keeps many daemons restarted by
	 * one outage from reconnecting in lock step. */
	return d / 2 + rnd % (d / 2 + 1);
}

int64_t plan_poke_wait_ms(bool link_failed, int64_t since_attempt_ms,
                          int64_t left_ms)
{
	/* A retry after a refused login fails the same way, and every
	 * failed login counts towards fail2ban bans and provider lockouts;
	 * a network that changes every few seconds (containers starting on
	 * the host, a flapping Wi-Fi) must not turn into a login storm. */
	if (!link_failed || left_ms <= 0)
		return left_ms > 0 ? left_ms : 0;
	int64_t floor = PLAN_POKE_MIN_MS - since_attempt_ms;
	if (floor < 0)
		floor = 0;
	return floor < left_ms ? floor : left_ms;
}
