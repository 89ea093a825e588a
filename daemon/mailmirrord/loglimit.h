/* loglimit.h - the first few lines of one kind per pass, then a count.
 *
 * Some events come by the thousand in one pass over the mailbox list: a
 * separator or prefix change renames or drops every mailbox of a large
 * account, and a parent renamed between LIST and STATUS fails each of its
 * children. One line each buried the rest of the log (2,055 notices for
 * one change). A limit keeps, per kind and per pass, the first
 * LOGLIMIT_SHOWN lines at their level; the others go to debug level (an
 * admin who wants every name sets log_level = "debug"), and the caller
 * ends the pass with one line that counts them:
 *
 *	... and 1569 more mailboxes gone from the server; dropped
 *
 * Sans-I/O: the caller logs at the level it is given, so the decision is
 * tested without a log. Nothing is allocated; one struct per kind, owned
 * by one thread.
 */
#ifndef MAILMIRRORD_LOGLIMIT_H
#define MAILMIRRORD_LOGLIMIT_H

#include <stdint.h>

/* Lines of one kind logged at their own level in a pass. */
#define LOGLIMIT_SHOWN 5

/* All zero is the start of a pass. */
struct loglimit {
	unsigned shown; /* lines at their level in this pass */
	uint64_t more;  /* lines sent to debug level past those */
};

/* The level to log one more line of the kind at: level for the first
 * LOGLIMIT_SHOWN lines of the pass, LOG_LEVEL_DEBUG (log.h) for the
 * others, which are counted. */
int loglimit_level(struct loglimit *ll, int level);

/* Ends the pass: returns the lines sent to debug level in it (0: none,
 * nothing to add) and starts a new one. */
uint64_t loglimit_end(struct loglimit *ll);

#endif
