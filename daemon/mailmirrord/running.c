/* running.c - the workers of a mailmirrord process; see running.h. */
#include "mailmirrord/running.h"

#include "mailmirrord/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int running_start(struct running *r, const struct conf_account *c,
                  const char *cache, unsigned how, int done_fd, char *why,
                  size_t whylen)
{
	if (!c->enabled)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct account **v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	char err[256];
	if (acct_start(&r->v[r->n], c, cache, &r->cache_id, how, done_fd, r->ix,
	               r->ck, r->gate, err, sizeof(err)) < 0) {
		log_err(c->name, NULL, "%s", err);
		if (why)
			snprintf(why, whylen, "%s", err);
		return -1;
	}
	r->n++;
	return 0;
}

/* Milliseconds left of budget_ms since t0; -1 for no budget. */
static int left_of(const struct timespec *t0, int budget_ms)
{
	if (budget_ms < 0)
		return -1;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long spent = (t.tv_sec - t0->tv_sec) * 1000 +
	             (t.tv_nsec - t0->tv_nsec) / 1000000;
	return budget_ms > spent ? (int)(budget_ms - spent) : 0;
}

/* Joins the picked workers that end within budget_ms of t0; the others
 * stay in r. Whether all ended. */
static bool join_some(struct running *r,
                      bool (*pick)(const struct account *, const void *),
                      const void *arg, const struct timespec *t0, int budget_ms,
                      bool *all_ok)
{
	bool all_joined = true;
	size_t w = 0;
	for (size_t i = 0; i < r->n; i++) {
		bool ok = false;
		if (pick && !pick(r->v[i], arg)) {
			r->v[w++] = r->v[i];
		} else if (acct_join(&r->v[i], left_of(t0, budget_ms), &ok)) {
			if (all_ok && !ok)
				*all_ok = false;
		} else {
			all_joined = false;
			r->v[w++] = r->v[i];
		}
	}
	r->n = w;
	return all_joined;
}

bool running_stop(struct running *r,
                  bool (*pick)(const struct account *, const void *),
                  const void *arg, int budget_ms, bool *all_ok)
{
	for (size_t i = 0; i < r->n; i++)
		if (!pick || pick(r->v[i], arg))
			acct_request_stop(r->v[i]);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int soft = budget_ms >= 0 && budget_ms < RUNNING_FORCE_AFTER_MS
	                   ? budget_ms
	                   : RUNNING_FORCE_AFTER_MS;
	if (join_some(r, pick, arg, &t0, soft, all_ok))
		return true;
	for (size_t i = 0; i < r->n; i++)
		if (!pick || pick(r->v[i], arg))
			acct_force_stop(r->v[i]);
	return join_some(r, pick, arg, &t0, budget_ms, all_ok);
}

bool running_named(const struct account *a, const void *name)
{
	return strcmp(acct_conf(a)->name, name) == 0;
}

bool running_uses(const struct running *r, const struct conf *c)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct conf_account *ca = acct_conf(r->v[i]);
		if (ca >= c->accounts && ca < c->accounts + c->n_accounts)
			return true;
	}
	return false;
}
