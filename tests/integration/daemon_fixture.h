/* daemon_fixture.h - running mailmirrord against the harness's Dovecot.
 *
 * A fixture is a temp dir holding a configuration that mirrors one mailbox
 * subtree (prefix*) of one Dovecot account into the fixture's own cache
 * file, so tests run in parallel against one server. The oracle of what
 * the server holds is Python's imaplib (tests/integration/imapctl.py,
 * called as CTL), which connects as the fixture's user.
 *
 * Every function fails the running criterion test on a system error; the
 * ones that return a status leave judging it to the test.
 */
#ifndef INTEGRATION_DAEMON_FIXTURE_H
#define INTEGRATION_DAEMON_FIXTURE_H

#include <stdio.h>
#include <stdbool.h>
#include <sys/types.h>

#define CTL "python3 tests/integration/imapctl.py"

/* The start of a line of the daemon's log, in a grep regex, basic (BRE)
 * or extended (ERE): in DIR/log, a file, each line starts with the time
 * ("2026-11-28T01:25:27.123+01:00 ", log.h), which a test of the words
 * after it takes as it comes. To be put in single quotes. */
#define LOG_TIME_RE "[0-9][-0-9T:.+]* "
#define LOG_BOL     "^\\(" LOG_TIME_RE "\\)\\{0,1\\}"
#define LOG_BOL_E   "^(" LOG_TIME_RE ")?"
/* The time itself, exactly, in an ERE: "2026-11-28T01:25:27.123+01:00". */
#define STRICT_TIME_RE                                                         \
	"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"     \
	"[+-][0-9]{2}:[0-9]{2}"

struct fixture {
	char dir[256];
	char conf[300];
	char db[300];
	char prefix[64];
	char ctl_env[256]; /* prepended to CTL commands: the fixture's user */
};

/* The build folder the programs are in ($BUILD, else "build"). */
const char *build_dir(void);

/* Runs a shell command; its exit status, or -1. */
/* path opened for writing, truncated, mode 0600 whatever the umask: a
 * configuration holding a password, as the manual asks it to be kept. */
FILE *conf_create(const char *path);

int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command; the number it prints first, or -1. */
long sh_number(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A fresh fixture mirroring prefix* as user/pass (NULL: the harness's
 * IMAP_USER and IMAP_PASS) on port (NULL: IMAP_PORT), watching the
 * mailboxes that match the pattern idle live.
 * extra is added inside the account block; without its own "timeout =",
 * the timeout is 10 s, and without its own "tls =", tls is "none". prefix* is
 * deleted on the server first: the Dovecot may outlive one run of the suite. */
void setup_as(struct fixture *f, const char *prefix, const char *idle,
              const char *port, const char *user, const char *pass,
              const char *extra);
void setup_full(struct fixture *f, const char *prefix, const char *idle,
                const char *port, const char *extra);
void setup_idle(struct fixture *f, const char *prefix, const char *idle,
                const char *extra);
/* Watching prefix itself live. */
void setup(struct fixture *f, const char *prefix, const char *extra);
void teardown(struct fixture *f);

/* The fixture's mailbox (its prefix) created on the server with n
 * generated messages (seed), and mirrored by one --once run. */
void fill_and_sync(const struct fixture *f, unsigned n, unsigned seed);

/* Rewrites the fixture's configuration with the first from replaced by to
 * (literally); fails the test when from is not in it. */
void conf_replace(const struct fixture *f, const char *from, const char *to);

/* mailmirrord --once, its stderr appended to DIR/log, env (may be NULL)
 * prepended to the command; its exit status. */
int run_once(const struct fixture *f, const char *env);

/* 0 when the cache equals what imaplib reads from the server, waiting up
 * to wait_s for it to converge; the differences go to DIR/compare.log. */
int compare(const struct fixture *f, double wait_s);
void assert_converged(const struct fixture *f, double wait_s);
void assert_integrity(const struct fixture *f);

/* The daemon in live mode (-v), its stderr in DIR/log; it dies with the
 * test process. stop_daemon sends SIGTERM and returns its exit status
 * (128 + signal when killed by one), or -1 if it outlived 3 s. */
pid_t start_daemon(const struct fixture *f);

/* The usual start of a live test: mailbox prefix (the fixture's) created
 * on the server with n generated messages (seed), the daemon started and
 * its watched mailbox live. The daemon's pid. */
pid_t start_live_with(const struct fixture *f, unsigned n, unsigned seed);
int stop_daemon(pid_t pid);

/* Waits until the daemon has marked a mailbox live (its initial sync is
 * done); fails the test after a minute. */
void wait_live(const struct fixture *f);
/* Waits until the daemon's log says it watches a mailbox (its initial
 * sync is done), for a server without IDLE, whose mailboxes are polled
 * and never marked live; fails the test after 10 s. The log must not hold
 * an earlier run's line. */
void wait_watching(const struct fixture *f);

/* The number a one-value query on the cache gives (read in this process,
 * as a local tool reads it), or -1; cache_count_until retries until it
 * gives want, for at most twice wait_s seconds. */
long cache_count(const struct fixture *f, const char *sql);
/* Drops UIDs lo..hi of mailbox from the cache, counts kept right, as a
 * server's lie (a bogus VANISHED, a listing that missed them) made the
 * daemon do. */
void cache_lose(const struct fixture *f, const char *mailbox, unsigned lo,
                unsigned hi);
long cache_count_until(const struct fixture *f, const char *sql, long want,
                       double wait_s);
/* Whether DIR/log holds needle (a fixed string, no single quote) within
 * wait_s seconds: what the daemon says after a commit comes a moment
 * after the cache shows it. */
bool log_says_within(const struct fixture *f, const char *needle,
                     double wait_s);
/* Tells the cache that account's server is now on port: a fake server or
 * proxy started again for the same cache listens on another port, which
 * the daemon takes for another server, whose mail it mirrors anew
 * (explore73). For tests of a server that only restarted or moved. */
void cache_same_server(const struct fixture *f, const char *account,
                       unsigned port);

#endif
