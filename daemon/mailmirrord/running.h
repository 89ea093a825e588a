/* running.h - the workers of a mailmirrord process, one per account.
 *
 * The supervisor (main.c) starts them, stops some of them (a reload) or
 * all (a signal, a cache made again), and asks which configuration they
 * still use. Everything here runs on the supervisor's thread.
 */
#ifndef MAILMIRRORD_RUNNING_H
#define MAILMIRRORD_RUNNING_H

#include "cache/paths.h"
#include "mailmirrord/account.h"
#include "mailmirrord/config.h"

#include <stdbool.h>
#include <stddef.h>

struct running {
	struct account **v;
	size_t n, cap;
	struct indexer *ix; /* may be NULL: text then waits for a restart */
	struct checkpointer *ck; /* may be NULL: SQLite's own checkpoints */
	struct conngate *gate; /* may be NULL: every worker connects at once */
	/* The cache the supervisor opened and watches: the one file every
	 * worker's connection may open (store_open_bound). */
	struct cache_file_id cache_id;
};

/* Starts a worker for c on the cache at path, the file r->cache_id
 * (nothing for a disabled account). how (enum acct_how) and done_fd as
 * acct_start. 0, or -1 (logged, and why in why[0..whylen) when why is not
 * NULL). */
int running_start(struct running *r, const struct conf_account *c,
                  const char *cache, unsigned how, int done_fd, char *why,
                  size_t whylen);

/* Stops the workers for which pick() is true (all when pick is NULL), all
 * at once, and waits for them until budget_ms passes (-1: for ever). A
 * worker still running RUNNING_FORCE_AFTER_MS after the stop waits on the
 * server (IDLE's DONE and LOGOUT take milliseconds): its connection is cut
 * (acct_force_stop). Workers that ended leave r; *all_ok (may be NULL) is
 * cleared when one of them did not end well. Whether all the picked ones
 * ended. */
#define RUNNING_FORCE_AFTER_MS 300
bool running_stop(struct running *r,
                  bool (*pick)(const struct account *, const void *),
                  const void *arg, int budget_ms, bool *all_ok);

/* A pick for running_stop: the account whose name is arg. */
bool running_named(const struct account *a, const void *name);

/* Whether a worker of r runs an account of c. */
bool running_uses(const struct running *r, const struct conf *c);

#endif
