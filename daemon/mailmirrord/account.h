/* account.h - one worker thread per account.
 *
 * A worker owns everything of its account: its libimap4 connection and its
 * own SQLite connection to the shared cache. It connects (with exponential
 * back-off and jitter after failures), runs the initial sync, then watches
 * one mailbox with IDLE (NOOP polling where the server lacks IDLE) while
 * polling the others with STATUS every poll_interval. One account's failure
 * never touches another's thread.
 *
 * The supervisor (main.c) talks to a worker only through these functions;
 * they are safe to call from the supervisor's thread while the worker runs.
 */
#ifndef MAILMIRRORD_ACCOUNT_H
#define MAILMIRRORD_ACCOUNT_H

#include "mailmirrord/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache_file_id;

struct account;

struct indexer;
struct checkpointer;
struct conngate;

/* How a worker starts. */
enum acct_how {
	ACCT_LIVE = 0,    /* mirrors until stopped */
	ACCT_ONCE = 1,    /* syncs every mailbox once and ends */
	ACCT_RESTART = 2, /* replaces this process's worker of the account (a
	                     reload changed it): what its first sync finds
	                     new in mailboxes cached before arrived while the
	                     daemon ran, and on_new_mail runs for it */
};

/* Starts the worker of conf (borrowed: it must outlive the worker) on the
 * cache at cache_path, the file of identity cache_id (NULL: whatever file
 * the path names when the worker opens it, for tests; see
 * store_open_bound), as how says (enum acct_how, or-ed). When done_fd is not
 * -1 the worker writes an eventfd count to it as it ends, so the supervisor
 * can sleep in poll(); with once, also when it has made its last write to
 * the cache (before it logs out). ix (borrowed, may be NULL) is poked
 * whenever the worker stores bodies; ck (borrowed, may be NULL)
 * checkpoints its commits; gate (borrowed, may be NULL) takes turns with
 * the other workers to connect. All must outlive the worker. 0, or -1 with
 * err. */
int acct_start(struct account **out, const struct conf_account *conf,
               const char *cache_path, const struct cache_file_id *cache_id,
               unsigned how, int done_fd, struct indexer *ix,
               struct checkpointer *ck, struct conngate *gate, char *err,
               size_t errlen);

/* Asks the worker to end: it leaves IDLE, a back-off sleep, a connect (TCP,
 * greeting, TLS, STARTTLS, a tunnel's first bytes) or the batch in
 * progress, logs out and closes the cache. A connect it ends is neither
 * logged nor counted as a failure. Returns at once; safe to call more than
 * once. */
void acct_request_stop(struct account *a);

/* After acct_request_stop, for a worker that has not ended: shuts its
 * connection down, so that a command the server does not answer (or
 * answers slowly, a long FETCH) ends at once, without LOGOUT. The cache
 * stays consistent: what the cut command did not commit never happened.
 * Safe from any thread, at any time. */
void acct_force_stop(struct account *a);

/* Waits until the worker ended (at most timeout_ms; < 0 waits for ever).
 * true when it did; then *ok says whether a --once sync succeeded, and the
 * account is freed and *a set to NULL. */
bool acct_join(struct account **a, int timeout_ms, bool *ok);

/* Asks the worker to check its connection and poll now (the system
 * resumed from suspend, the process was stopped): a connection that
 * died meanwhile fails that poll and is replaced at once, instead of after
 * an IDLE that may last idle_timeout. A worker waiting to reconnect retries
 * early only when its last failure was the link's, and no sooner than
 * PLAN_POKE_MIN_MS after its last attempt (plan_poke_wait_ms); should that
 * fail, its back-off goes on growing. Nor does a worker that waits for
 * room on a full disk reconnect. */
void acct_poke(struct account *a);

/* As acct_poke, after a change of the network: nothing is overdue, only
 * the link is in doubt. A worker that waits on its connection (IDLE or
 * NOOP on a watched mailbox) has it checked by that wait's end and does
 * not poll; one that does not wait on it polls, as the check. */
void acct_poke_link(struct account *a);

/* The configuration was read again, this account's unchanged: a worker
 * waiting to retry after a failure only the admin could mend (a refused
 * login, a certificate, a password file) retries at once, reading its
 * secret again; other waits go on. */
void acct_reloaded(struct account *a);

/* A poke that finds the worker waiting on its server (IDLE, or between
 * NOOPs) gives the server 15 s to answer, however long the command timeout.
 * The supervisor calls this before each sleep and sleeps no longer than it
 * returns: it drops the connection once the deadline passed (the worker
 * then reconnects), and returns the milliseconds left, or -1 when no check
 * is pending. */
int acct_check_deadline(struct account *a);

/* Whether the worker is within the deadline it promised before its current
 * wait (the watchdog is pinged only while every worker is fresh). */
bool acct_fresh(struct account *a);

/* "work: INBOX 4,500/100,000" or "work: idle" into buf. */
void acct_describe(struct account *a, char *buf, size_t len);

const struct conf_account *acct_conf(const struct account *a);

#endif
