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

/* What a worker is doing (acct_status_get). */
enum acct_state {
	ACCT_STARTING = 0,
	ACCT_WAITING, /* for its turn to connect (conngate.h) */
	ACCT_CONNECTING,
	ACCT_SYNCING,
	ACCT_POLLING,
	ACCT_IDLE,         /* live, waiting for news or the next poll */
	ACCT_RETRYING,     /* after a failure */
	ACCT_DISK_FULL,    /* for room on the cache's disk (room.h) */
	ACCT_RECONNECTING, /* after the server ended a live session */
};

/* The bytes of a mailbox's name a status keeps, its NUL included: a name
 * of any length must leave systemd's STATUS room for the rest. */
#define ACCT_STATUS_BOX_MAX 64

/* A worker's state as the supervisor reads it. */
struct acct_status {
	enum acct_state state;
	/* ACCT_SYNCING: the mailbox ("": none named yet), printable and
	 * cut to fit (log_sanitize); its turn, box_k of box_n, in the pass
	 * over the account's mailboxes (0 of 0: a look of the live phase,
	 * outside a pass); done of total messages of its first fetch (total
	 * 0: none, or too few to tell). */
	char mailbox[ACCT_STATUS_BOX_MAX];
	size_t box_k, box_n;
	uint32_t done, total;
	/* ACCT_RETRYING, ACCT_DISK_FULL, ACCT_RECONNECTING: the seconds
	 * left of the wait, rounded up */
	long long wait_s;
	/* ACCT_WAITING: how many connections to host (the configuration's,
	 * borrowed) are being set up */
	unsigned gate_n;
	const char *host;
};

/* The worker's state now, into *out. */
void acct_status_get(struct acct_status *out, struct account *a);

/* st in words into buf (always terminated): "idle", "error, retry in
 * 27 s", "INBOX 4500/100000, mailbox 1 of 3292", "syncing Archive,
 * mailbox 12 of 3292". */
void acct_status_text(char *buf, size_t len, const struct acct_status *st);

/* "work: INBOX 4500/100000" or "work: idle" into buf: the account's name
 * and acct_status_text. */
void acct_describe(struct account *a, char *buf, size_t len);

const struct conf_account *acct_conf(const struct account *a);

#endif
