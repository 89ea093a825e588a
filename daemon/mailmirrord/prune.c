/* prune.c - the cache forgets the accounts the configuration left out;
 * see prune.h. */
#include "mailmirrord/prune.h"

#include "mailmirrord/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct gone {
	const struct conf *conf;
	struct gone_one {
		int64_t id;
		char *name;
	} * v;
	size_t n, cap;
};

static bool configured(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_accounts; i++)
		if (strcmp(conf->accounts[i].name, name) == 0)
			return true;
	return false;
}

static int collect(void *payload, int64_t id, const char *name)
{
	struct gone *g = payload;
	if (!name || configured(g->conf, name))
		return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 4;
		struct gone_one *v = realloc(g->v, cap * sizeof(*v));
		if (!v)
			return STORE_ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	if (!(g->v[g->n].name = strdup(name)))
		return STORE_ENOMEM;
	g->v[g->n++].id = id;
	return 0;
}

/* Messages deleted per transaction: each is a short write lock (the
 * full-text index forgets each message's text), so that the workers of the
 * other accounts keep writing meanwhile. */
#define PRUNE_STEP 2000

int prune_accounts(struct store *s, const struct conf *conf,
                   bool (*alive)(void *payload), void *payload,
                   int64_t *dropped)
{
	if (dropped)
		*dropped = 0;
	struct gone g = {.conf = conf};
	int rc = store_account_each(s, collect, &g);
	if (rc < 0)
		log_err(NULL, NULL, "cache: %s",
		        rc == STORE_ENOMEM ? "out of memory" : store_errmsg(s));
	bool go_on = true;
	for (size_t i = 0; rc >= 0 && go_on && i < g.n; i++) {
		int64_t messages = 0, step;
		log_notice(g.v[i].name, NULL,
		           "account no longer in the configuration: dropping "
		           "it from the cache");
		while ((rc = store_account_delete_step(s, g.v[i].id, PRUNE_STEP,
		                                       &step)) == 0) {
			messages += step;
			if (alive && !(go_on = alive(payload)))
				break;
		}
		if (rc < 0) {
			log_err(g.v[i].name, NULL, "cache: %s",
			        store_errmsg(s));
			break;
		}
		if (dropped)
			*dropped += messages;
		if (!go_on) {
			log_notice(g.v[i].name, NULL,
			           "%" PRId64
			           " message%s dropped from the cache; "
			           "the rest goes at the next start",
			           messages, messages == 1 ? "" : "s");
			break;
		}
		log_notice(g.v[i].name, NULL,
		           "dropped from the cache with its %" PRId64
		           " message%s",
		           messages, messages == 1 ? "" : "s");
	}
	for (size_t i = 0; i < g.n; i++)
		free(g.v[i].name);
	free(g.v);
	return rc < 0 ? -1 : 0;
}

int prune_account_upsert(int64_t *id, int64_t *dropped, struct store *s,
                         const struct conf_account *a)
{
	return store_account_upsert(id, dropped, s, a->name,
	                            a->host ? a->host : a->tunnel, a->port,
	                            a->user);
}

int prune_account_keep(int64_t *id, struct store *s,
                       const struct conf_account *a)
{
	return store_account_keep(id, s, a->name, a->host ? a->host : a->tunnel,
	                          a->port, a->user);
}

void prune_tell_anew(const struct conf_account *a, int64_t dropped)
{
	log_notice(a->name, NULL,
	           "the account's server or user changed: mirroring it anew "
	           "(%" PRId64 " message%s cached from the old one dropped)",
	           dropped, dropped == 1 ? "" : "s");
}

void prune_mark_disabled(struct store *s, const struct conf *conf)
{
	for (size_t i = 0; i < conf->n_accounts; i++) {
		const struct conf_account *a = &conf->accounts[i];
		int64_t id;
		if (a->enabled)
			continue;
		if (store_begin(s) < 0 || prune_account_keep(&id, s, a) < 0 ||
		    store_account_set_state(s, id, "disabled") < 0 ||
		    store_commit(s) < 0) {
			log_err(a->name, NULL, "cache: %s", store_errmsg(s));
			store_rollback(s);
		}
	}
}
