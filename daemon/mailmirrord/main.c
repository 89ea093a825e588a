/* main.c - mailmirrord: the supervisor.
 *
 * Loads the configuration (exit 78 before anything is written when it is
 * wrong), creates or migrates the cache, starts one worker per account and
 * then only waits: for signals (SIGTERM/SIGINT stop, SIGHUP reloads), for
 * the end of a suspend or a change of the network (then every worker checks
 * its connection), and for the watchdog's beat, which it gives only while
 * every worker is fresh (daemon(7): no fork, no pid file, logs on stderr).
 */
#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirrord/account.h"
#include "mailmirrord/cachelock.h"
#include "mailmirrord/cachewatch.h"
#include "mailmirrord/checkpointer.h"
#include "mailmirrord/compact.h"
#include "mailmirrord/config.h"
#include "mailmirrord/conngate.h"
#include "mailmirrord/fdlimit.h"
#include "mailmirrord/hook.h"
#include "mailmirrord/indexer.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/netwatch.h"
#include "mailmirrord/notify.h"
#include "mailmirrord/prune.h"
#include "mailmirrord/running.h"
#include "mailmirrord/statusline.h"
#include "mailmirrord/secret.h"
#include "mailmirrord/store.h"
#include "mailmirrord/trust.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EX_OK     0
#define EX_FAIL   1
#define EX_USAGE  64
#define EX_IOERR  74
#define EX_CONFIG 78
/* SIGTERM to exit within systemd's patience and ours (issue: 2 s). */
#define STOP_BUDGET_MS 1800

/* Every configuration still referenced by a worker stays loaded; an old
 * one is freed once no worker of it is left. */
/* The configurations in use, the one in force last. A reload keeps the
 * one before while a worker points into it (gc_confs), so each held one
 * has a worker: there are never more than the accounts, and one. */
struct confs {
	struct conf **v;
	size_t n, cap;
};

/* Room for one more; -1 when out of memory. */
static int confs_reserve(struct confs *cs)
{
	if (cs->n < cs->cap)
		return 0;
	size_t cap = cs->cap ? cs->cap * 2 : 4;
	struct conf **v = realloc(cs->v, cap * sizeof(*v));
	if (!v)
		return -1;
	cs->v = v;
	cs->cap = cap;
	return 0;
}

static void confs_free(struct confs *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		conf_free(&cs->v[i]);
	free(cs->v);
	*cs = (struct confs){0};
}

static void usage(FILE *f)
{
	/* Three forms, as mailmirrord(8)'s synopsis has them: one line
	 * with "[--check-config | --compact]" read as if either went with
	 * --once (explore81). */
	fprintf(f, "usage: mailmirrord [-c FILE] [--once] [-v]... "
	           "[--log-time=WHEN]\n"
	           "       mailmirrord [-c FILE] --check-config\n"
	           "       mailmirrord [-c FILE] --compact\n"
	           "\n"
	           "Mirrors IMAP mailboxes into a local SQLite cache.\n"
	           "\n"
	           "  -c, --config FILE  configuration (default: "
	           "$CONFIGURATION_DIRECTORY/mailmirror.conf\n"
	           "                     when set, else $XDG_CONFIG_HOME/"
	           "mailmirror/mailmirror.conf,\n"
	           "                     else ~/.config/mailmirror/"
	           "mailmirror.conf)\n"
	           "      --once         sync every account once, then exit\n"
	           "  -v, --verbose      more log output (repeat for debug)\n"
	           "      --log-time=WHEN\n"
	           "                     start each log line with the time: "
	           "auto (when stderr\n"
	           "                     is a regular file), always or never\n"
	           "      --check-config check the configuration and exit\n"
	           "      --compact      rewrite the cache without its free "
	           "space and exit\n"
	           "                     (not while a daemon uses it)\n"
	           "  -h, --help         this text\n"
	           "      --version      the version\n");
}

/* Exit status after --help or --version: a full disk behind stdout is
 * said, not passed over with success. A closed pipe ("mailmirrord --help |
 * head -3") is no error of ours: the process ends by SIGPIPE, with nothing
 * said, as it does when SIGPIPE has its default action, also when the
 * parent ignored or blocked it (which exec passes on), where it said
 * "writing the output failed: Broken pipe" and exited 74. */
static int stdout_status(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EX_OK;
	int e = errno ? errno : EIO;
	if (e == EPIPE) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(SIGPIPE);
		return EX_IOERR; /* not reached */
	}
	fprintf(stderr, "mailmirrord: writing the output failed: %s\n",
	        strerror(e));
	return EX_IOERR;
}

/* The signals the supervisor reads from its signalfd. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	/* Blocked, it still continues the process; read, it says that the
	 * process was stopped (SIGSTOP, a debugger, ^Z). */
	sigaddset(set, SIGCONT);
}

/* Whether a SIGTERM or SIGINT came while blocked and not yet read. */
static bool stop_pending(void)
{
	sigset_t p;
	return sigpending(&p) == 0 &&
	       (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1);
}

static char *default_config(void)
{
	char *p = NULL;
	const char *d = getenv("CONFIGURATION_DIRECTORY");
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (d && *d) {
		size_t n = strcspn(d, ":");
		if (asprintf(&p, "%.*s/mailmirror.conf", (int)n, d) < 0)
			p = NULL;
	} else if (x && *x == '/') {
		if (asprintf(&p, "%s/mailmirror/mailmirror.conf", x) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.config/mailmirror/mailmirror.conf",
		             home) < 0)
			p = NULL;
	}
	return p;
}

/* --check-config: root checks for the service (secret_check_for_service). */
static bool checking;

/* A password others may read is the configuration's risk, not its error:
 * said at every start, check and reload until the file is private. */
static void tell_exposed_passwords(const struct conf *c)
{
	for (size_t i = 0; i < c->n_accounts; i++) {
		const struct conf_account *a = &c->accounts[i];
		const char *file;
		unsigned mode;
		char svc[256];
		struct stat st;
		if (!conf_password_exposed(c, a, &file, &mode))
			continue;
		/* A service's file, run by root by hand: chmod 600 would
		 * stop the service (explore81). */
		bool service = stat(file, &st) == 0 &&
		               secret_service_file(&st, svc, sizeof(svc));
		/* A check as root judges for the service, which this file
		 * is private to (secret_check_for_service). */
		if (service && checking && !(mode & S_IROTH))
			continue;
		if (service && !(mode & S_IROTH))
			log_bare(LOG_LEVEL_WARNING,
			         "%s:%d: account \"%s\": its password is in "
			         "this file, which its group may read (mode "
			         "%04o), and %s alone is in it: it is the file "
			         "of a service run as that user, and "
			         "mailmirrord "
			         "runs as root; run it as that user, as the "
			         "service does (runuser -u %s -- env "
			         "STATE_DIRECTORY=/var/lib/mailmirror "
			         "mailmirrord "
			         "...)",
			         file, a->line, a->name, mode, svc, svc);
		else
			log_bare(
			        LOG_LEVEL_WARNING,
			        "%s:%d: account \"%s\": its password is in "
			        "this file, which others may read (mode %04o); "
			        "chmod %s %s, or use password_file or "
			        "password_command",
			        file, a->line, a->name, mode,
			        service ? "o-r" : "600", file);
	}
}

static int load(struct conf **out, const char *path)
{
	/* Printed as they are ("FILE:LINE: message"): the form editors and
	 * people expect, and what mailmirror.conf(5) promises; errors all the
	 * same, to the journal ("<3>"), whose "-p err" shows why a start or a
	 * reload failed. */
	struct conf_errors errs;
	if (conf_load(out, &errs, path) == 0) {
		tell_exposed_passwords(*out);
		return 0;
	}
	for (size_t i = 0; i < errs.n; i++)
		log_bare(LOG_LEVEL_ERR, "%s", errs.msg[i]);
	if (errs.more)
		log_bare(LOG_LEVEL_ERR, "%s: ... and %zu more error%s", path,
		         errs.more, errs.more == 1 ? "" : "s");
	return -1;
}

/* Whether the file at path is one no restart makes usable: a cache of a
 * newer mailmirrord, or another program's database (explore40: exit 1,
 * and systemd tried again every 30 s). Said in why. */
static bool cache_unusable(const char *path, char *why, size_t len)
{
	sqlite3 *db = NULL;
	int rc = cache_open_ro(&db, path, why, len);
	sqlite3_close(db);
	return rc == CACHE_ENEWER || rc == CACHE_ENOTOURS;
}

/* One thing wrong with the cache, said as load() prints the
 * configuration's errors: the last lines before the exit, read by a
 * person. */
static void say_cache_error(const struct conf *conf, const char *why)
{
	if (conf->cache != NULL && conf->cache_file != NULL)
		log_bare(LOG_LEVEL_ERR, "%s:%d: cache: %s", conf->cache_file,
		         conf->cache_line, why);
	else
		log_bare(LOG_LEVEL_ERR, "mailmirrord: cache: %s", why);
}

/* Whether the cache can be created or opened at path, where the
 * configuration (or the default) puts it: EX_OK, else EX_CONFIG after
 * saying why, in the same words for --check-config and for a start. NULL
 * path: the default, resolved without creating anything (a check; a
 * missing directory that a start would make passes). An explicit path was
 * checked by conf_load() already; a start checks it again since the file
 * system may have changed. */
static int check_cache(const struct conf *conf, const char *path)
{
	char why[PATH_MAX + 1024];
	char *dflt = NULL;
	bool may_make = false;
	int rc = EX_CONFIG;

	if (path == NULL) {
		if (cache_default_path(&dflt, false, why, sizeof(why)) < 0) {
			log_bare(LOG_LEVEL_ERR, "mailmirrord: cache: %s", why);
			return EX_CONFIG;
		}
		path = dflt;
		may_make = cache_default_makes_dir();
	}
	/* Whose the cache is before it is opened at all: explore73, a
	 * cache of another user's that root wrote mail into, which that
	 * user then read. */
	struct trust_problems tp;
	if (cache_check_path(path, may_make, why, sizeof(why)) < 0) {
		say_cache_error(conf, why);
	} else if (trust_check_cache(&tp, path) < 0) {
		/* Every one, a line each: told one a run, a user fixed it
		 * and was told the next at the next run. */
		for (size_t i = 0; i < tp.n; i++)
			say_cache_error(conf, tp.msg[i]);
		if (tp.more) {
			snprintf(why, sizeof(why), "... and %zu more problem%s",
			         tp.more, tp.more == 1 ? "" : "s");
			say_cache_error(conf, why);
		}
	} else if (cache_unusable(path, why, sizeof(why))) {
		say_cache_error(conf, why);
	} else {
		rc = EX_OK;
	}
	free(dflt);
	return rc;
}

/* Root runs by hand the configuration of a service (root:mailmirror
 * 0640) that names no cache, without the unit's $STATE_DIRECTORY: the
 * default is root's own, and a new one there mirrored every account
 * anew, silently, beside the service's (explore81). Said, not refused:
 * root may mean it. */
static void warn_root_cache(const char *conf_path)
{
	struct stat st;
	char svc[256], why[256];
	char *dflt = NULL;
	if (geteuid() != 0 || getenv("STATE_DIRECTORY") != NULL ||
	    stat(conf_path, &st) < 0 ||
	    !secret_service_file(&st, svc, sizeof(svc)) ||
	    cache_default_path(&dflt, false, why, sizeof(why)) < 0)
		return;
	if (stat(dflt, &st) < 0 && errno == ENOENT)
		log_warning(NULL, NULL,
		            "%s is the configuration of a service run as %s, "
		            "and this run as root makes a new cache of its "
		            "own, %s, not the service's; to run as the service "
		            "does: runuser -u %s -- env "
		            "STATE_DIRECTORY=/var/lib/mailmirror mailmirrord "
		            "-c %s",
		            conf_path, svc, dflt, svc, conf_path);
	free(dflt);
}

/* Whether the cache goes where systemd's StateDirectory= puts it and that
 * directory is not there yet: systemd makes it, owned by the service's
 * user, as the service starts. A check before the first start (runuser
 * -u mailmirror -- env STATE_DIRECTORY=/var/lib/mailmirror mailmirrord
 * --check-config) then has no cache to judge, and says so. */
static bool state_dir_to_come(const struct conf *conf)
{
	const char *state = getenv("STATE_DIRECTORY");
	if (conf->cache != NULL || cache_default_makes_dir() || state == NULL)
		return false;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(state, ":"), state);
	struct stat st;
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return false;
	printf("%s does not exist yet: systemd makes it as the service "
	       "starts\n",
	       dir);
	return true;
}

static void gc_confs(struct confs *cs, const struct running *r)
{
	/* The last one is the configuration in force: never freed here. */
	size_t w = 0;
	for (size_t i = 0; i + 1 < cs->n; i++) {
		if (running_uses(r, cs->v[i]))
			cs->v[w++] = cs->v[i];
		else
			conf_free(&cs->v[i]);
	}
	cs->v[w++] = cs->v[cs->n - 1];
	cs->n = w;
}

/* Between the steps of a long prune: still alive, to the watchdog and to a
 * start that would otherwise time out. A SIGTERM or SIGINT waiting on the
 * signalfd (left there for the caller's loop to read) ends the prune: an
 * account of a few thousand mailboxes takes a minute to drop (explore80's
 * u01, 3292 mailboxes), and a stop must not wait for it. */
static bool prune_alive(void *payload)
{
	(void)payload;
	notify_watchdog(true);
	notify_extend_timeout(30 * 1000000ULL);
	sigset_t pending;
	return sigpending(&pending) < 0 || (!sigismember(&pending, SIGTERM) &&
	                                    !sigismember(&pending, SIGINT));
}

/* Whether an account left the configuration (renamed ones too). */
static bool removed_any(const struct conf_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].change == CONF_REMOVED)
			return true;
	return false;
}

/* The accounts of c that run: the descriptors they need are counted
 * against the limit, raised to the hard one first (fdlimit.h). Said once
 * per start or reload, before anything fails in its own words. */
static void check_fd_limit(const struct conf *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_accounts; i++)
		n += c->accounts[i].enabled;
	uint64_t limit = fdlimit_raise(), need = fdlimit_needed(n);
	if (limit && limit < need)
		log_warning(
		        NULL, NULL,
		        "%zu accounts need about %llu file descriptors and "
		        "the limit is %llu: some will not start or connect; "
		        "raise it (LimitNOFILE= in the unit, ulimit -n)",
		        n, (unsigned long long)need, (unsigned long long)limit);
}

/* Accounts gone from conf leave the cache, and their text the index. */
static void prune_dropped(struct store *s, const struct conf *conf,
                          struct running *r)
{
	int64_t dropped = 0;
	prune_accounts(s, conf, prune_alive, NULL, &dropped);
	if (dropped > 0)
		indexer_forgot(r->ix, (uint64_t)dropped);
}

/* A worker for c, or when none could start (explore59: out of file
 * descriptors) the reason in the cache, through this thread's connection
 * s (may be NULL): mailmirror accounts showed such an account "stopped",
 * with no error. 0 or -1 as running_start. */
static int start_account(struct running *r, struct store *s,
                         const struct conf_account *c, const char *cache,
                         unsigned how, int done_fd)
{
	char why[256], said[300];
	if (running_start(r, c, cache, how, done_fd, why, sizeof(why)) == 0)
		return 0;
	int64_t id;
	snprintf(said, sizeof(said), "could not start: %s", why);
	if (s && store_begin(s) == STORE_OK) {
		if (prune_account_keep(&id, s, c) < 0 ||
		    store_account_set_state(s, id, "error") != STORE_OK ||
		    store_account_set_error(s, id, said) != STORE_OK ||
		    store_commit(s) != STORE_OK)
			store_rollback(s);
	}
	return -1;
}

/* A pick for running_stop: a worker of an account the diff removes or
 * changes. */
static bool replaced_by(const struct account *a, const void *diff)
{
	const struct conf_diff *d = diff;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].old_acct &&
		    running_named(a, d->v[i].old_acct->name))
			return true;
	return false;
}

static void reload(struct confs *cs, struct running *r, const char *path,
                   const char *cache, struct store *s, int verbosity)
{
	notify_reloading();
	struct conf *old = cs->v[cs->n - 1], *neu;
	if (load(&neu, path) < 0) {
		log_err(NULL, NULL,
		        "reload failed; keeping the running "
		        "configuration");
		notify_ready();
		return;
	}
	if (confs_reserve(cs) < 0) {
		log_err(NULL, NULL,
		        "reload failed: out of memory; keeping the running "
		        "configuration");
		conf_free(&neu);
		notify_ready();
		return;
	}
	struct conf_diff d;
	if (conf_diff(&d, old, neu) < 0) {
		conf_free(&neu);
		notify_ready();
		return;
	}
	/* Against the cache in use, not the last configuration: that one
	 * may name a path that never took effect. */
	char *dflt = NULL, err[256];
	if (!neu->cache &&
	    cache_default_path(&dflt, false, err, sizeof(err)) < 0)
		dflt = NULL;
	if (conf_cache_moved(neu, cache, dflt))
		log_warning(NULL, NULL,
		            "the cache path changed to %s; %s stays in use "
		            "until the next restart",
		            neu->cache ? neu->cache
		            : dflt     ? dflt
		                       : "the default",
		            cache);
	free(dflt);
	log_set_level(neu->log_level + verbosity);
	cs->v[cs->n++] = neu;
	check_fd_limit(neu);
	/* All at once: one by one, each stop that waits on its server
	 * would hold back the next (20 accounts dropped took 28 s). */
	running_stop(r, replaced_by, &d, -1, NULL);
	for (size_t i = 0; i < d.n; i++) {
		const struct conf_diff_entry *e = &d.v[i];
		if (e->old_acct)
			log_notice(e->old_acct->name, NULL, "account %s",
			           e->change == CONF_REMOVED ? "removed"
			                                     : "reconfigured");
		if (e->new_acct) {
			/* The entry borrows neu, which stays loaded. */
			/* A worker that ran replaced: its mail goes on
			 * being announced (explore38). */
			bool ran = e->old_acct && e->old_acct->enabled;
			start_account(r, s, e->new_acct, cache,
			              ran ? ACCT_RESTART : ACCT_LIVE, -1);
			if (e->change == CONF_ADDED)
				log_notice(e->new_acct->name, NULL,
				           "account added");
		}
	}
	/* Through this thread's connection: the file the workers write,
	 * whatever the path names at this instant. */
	if (removed_any(&d) && s)
		prune_dropped(s, neu, r);
	if (s)
		prune_mark_disabled(s, neu);
	/* Workers of unchanged accounts keep pointing into the old struct;
	 * gc_confs frees it only once none does. */
	size_t changed = d.n;
	conf_diff_clear(&d);
	gc_confs(cs, r);
	for (size_t i = 0; i < r->n; i++)
		acct_reloaded(r->v[i]);
	log_notice(NULL, NULL, "reloaded: %zu account%s running, %zu changed",
	           r->n, r->n == 1 ? "" : "s", changed);
	notify_ready();
}

/* Milliseconds the system spent suspended: CLOCK_BOOTTIME counts them,
 * CLOCK_MONOTONIC does not. */
static int64_t suspended_ms(void)
{
	struct timespec b, m;
	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (int64_t)(b.tv_sec - m.tv_sec) * 1000 +
	       (b.tv_nsec - m.tv_nsec) / 1000000;
}

/* Connections are likely dead though no socket knows it yet: every worker
 * checks its own at once (and gives up on it when the server does not
 * answer soon: acct_check_deadline). */
static void poke_all(struct running *r)
{
	for (size_t i = 0; i < r->n; i++)
		acct_poke(r->v[i]);
}

/* The same after a change of the network, which makes no poll due. */
static void poke_links(struct running *r)
{
	for (size_t i = 0; i < r->n; i++)
		acct_poke_link(r->v[i]);
}

/* After a suspend. */
static void check_resume(struct running *r, int64_t *last)
{
	int64_t now = suspended_ms();
	if (now - *last > 5000) {
		log_notice(NULL, NULL,
		           "the system was suspended for %lld s; "
		           "checking every connection",
		           (long long)((now - *last) / 1000));
		poke_all(r);
	}
	*last = now;
}

/* After the network changed: read what the kernel said, and once a burst
 * of changes is over, poke. */
static void check_network(struct running *r, struct netwatch **nw,
                          struct netwatch_debounce *d, bool readable)
{
	if (readable) {
		int rc = netwatch_drain(*nw);
		if (rc < 0) {
			log_warning(NULL, NULL,
			            "network changes: %s; no longer watched",
			            strerror(errno));
			netwatch_close(nw);
		} else if (rc > 0) {
			netwatch_debounce_event(d, mono_ms());
		}
	}
	if (netwatch_debounce_due(d, mono_ms())) {
		log_notice(NULL, NULL,
		           "the network changed; checking every connection");
		poke_links(r);
	}
}

/* Drops the connections whose check is overdue (acct_check_deadline) and
 * returns how long the supervisor may sleep: ms, or less when a check's
 * deadline or the end of a burst of network changes comes first. */
static int enforce_checks(struct running *r, const struct netwatch_debounce *d,
                          int ms)
{
	int due = netwatch_debounce_wait_ms(d, mono_ms());
	if (due >= 0 && due < ms)
		ms = due;
	for (size_t i = 0; i < r->n; i++) {
		int left = acct_check_deadline(r->v[i]);
		if (left >= 0 && left < ms)
			ms = left;
	}
	return ms;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

enum drain { DRAIN_DONE, DRAIN_FAILED, DRAIN_STOPPED };

/* --once, after the workers (all_ok: every account synced): waits for the
 * indexer, in slices so that SIGTERM still stops it (what is indexed
 * stays; the rest waits for the next start). What a failed account
 * stored is indexed too: each transaction left a true state. */
static enum drain drain_index(struct running *r, int sfd,
                              const struct timespec *t0, bool all_ok)
{
	if (all_ok)
		log_notice(NULL, NULL, "synced in %.3f s", seconds_since(t0));
	else
		log_notice(NULL, NULL,
		           "sync incomplete after %.3f s (errors above)",
		           seconds_since(t0));
	if (!r->ix)
		return DRAIN_FAILED;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	indexer_alone(r->ix); /* the workers have ended */
	/* No poke of our own: the workers poked for all they stored, and a
	 * run that stored no text (a resync of flags) is answered by the
	 * look the indexer made at its start, without waiting for another
	 * at the lowest priority on a busy machine. */
	int rc;
	while ((rc = indexer_wait(r->ix, 200)) == 0) {
		struct pollfd p = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;
		if (poll(&p, 1, 0) > 0 &&
		    read(sfd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo != SIGCONT) {
			log_notice(NULL, NULL,
			           "stopping; %llu messages wait for the index",
			           (unsigned long long)indexer_waiting(r->ix));
			return DRAIN_STOPPED;
		}
	}
	if (rc < 0) {
		log_warning(NULL, NULL,
		            "full-text index incomplete; the next run goes on");
		return DRAIN_FAILED;
	}
	log_notice(NULL, NULL, "full-text index complete in %.3f s more",
	           seconds_since(&t1));
	return DRAIN_DONE;
}

/* --once, the workers started: waits for each to end (SIGTERM stops
 * them all), then for the indexer. EX_OK when every account synced. s is
 * this thread's connection to the cache. */
static int run_once(struct running *r, int sfd, int efd, struct store *s,
                    const struct timespec *t0)
{
	bool all_ok = true, stopped = false;
	while (r->n) {
		size_t w = 0;
		for (size_t i = 0; i < r->n; i++) {
			bool ok = false;
			if (acct_join(&r->v[i], 0, &ok))
				all_ok = all_ok && ok;
			else
				r->v[w++] = r->v[i];
		}
		r->n = w;
		if (!r->n)
			break;
		/* SIGTERM still stops a --once run. */
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
		                      {.fd = efd, .events = POLLIN}};
		if (poll(p, efd >= 0 ? 2 : 1, 1000) <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			uint64_t n;
			ssize_t got = read(efd, &n, sizeof(n));
			(void)got;
			/* A worker made its last write, or ended: the WAL goes
			 * into the file while the workers log out and end, not
			 * after them, and the exit's checkpoint (release_cache)
			 * finds nothing to copy or sync. A failure here meets
			 * that checkpoint again, which reports it. */
			store_wal_copy(s);
		}
		struct signalfd_siginfo si;
		/* A continue after ^Z is no stop. */
		if ((p[0].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo != SIGCONT) {
			log_notice(NULL, NULL, "stopping");
			running_stop(r, NULL, NULL, STOP_BUDGET_MS, NULL);
			all_ok = false;
			stopped = true;
			break;
		}
	}
	/* Text still waiting for the index is indexed before we exit, so
	 * that a one-shot run leaves everything searchable; the time it
	 * takes is reported apart from the sync's. A failed index is no
	 * failed sync: the mirror is complete, and the next run indexes what
	 * waits. A signal still is. */
	if (!stopped)
		all_ok = drain_index(r, sfd, t0, all_ok) != DRAIN_STOPPED &&
		         all_ok;
	return all_ok ? EX_OK : EX_FAIL;
}

/* grace: the process was stopped (SIGCONT came) a moment ago, and the
 * workers' deadlines passed while it was: no worker is stuck for that. */
static void report(struct running *r, bool grace)
{
	char line[STATUSLINE_MAX + 1];
	struct acct_status *st = r->n ? calloc(r->n, sizeof(*st)) : NULL;
	struct statusline_acct *v = r->n ? calloc(r->n, sizeof(*v)) : NULL;
	/* Out of memory, the line says what it said last. */
	for (size_t i = 0; st && v && i < r->n; i++) {
		acct_status_get(&st[i], r->v[i]);
		v[i] = (struct statusline_acct){acct_conf(r->v[i])->name,
		                                &st[i]};
	}
	if (!r->n || (st && v)) {
		statusline_make(line, sizeof(line), v, r->n,
		                indexer_waiting(r->ix));
		notify_status("%s", line);
	}
	free(st);
	free(v);
	bool fresh = true;
	for (size_t i = 0; i < r->n; i++)
		fresh = fresh && acct_fresh(r->v[i]);
	notify_watchdog(fresh || grace);
	if (!fresh && !grace)
		log_warning(NULL, NULL,
		            "a worker is stuck; withholding the "
		            "watchdog beat");
}

/* Locks the cache, then opens it (creating or migrating it): a daemon
 * that finds the cache another's changes nothing, its schema included
 * (explore40: a new daemon migrated the cache of one still running, whose
 * index then broke). 0, or -1 with *s NULL, *lock_fd -1 and err filled. */
/* Keeps a damaged cache as CACHE.damaged, with its WAL (whose frames are
 * its own), in place of one kept before: what it held comes back from the
 * servers, and older copies would only take disk. Its -shm is an index
 * of that WAL, of no use to the next file. */
static void set_aside(const char *cache)
{
	static const char *const suffix[] = {"", "-wal"};
	char from[PATH_MAX], to[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", cache, suffix[i]);
		snprintf(to, sizeof(to), "%s.damaged%s", cache, suffix[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_err(NULL, NULL, "cannot move %s to %s: %s", from,
			        to, strerror(errno));
	}
	snprintf(from, sizeof(from), "%s-shm", cache);
	unlink(from);
	store_damage_forget();
}

/* The identity of the file the descriptor fd has open. */
static int fd_file_id(struct cache_file_id *id, int fd, const char *cache,
                      char *err, size_t errlen)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", cache, strerror(errno));
		return -1;
	}
	id->dev = sb.st_dev;
	id->ino = sb.st_ino;
	return 0;
}

/* Opens the cache, *s, locked through *lock_fd: *id is the identity of
 * that file, to which every later connection is bound (store_open_bound)
 * and which the supervisor watches (cachewatch). */
static int take_cache(struct store **s, int *lock_fd, struct cache_file_id *id,
                      const char *cache, char *err, size_t errlen)
{
	*s = NULL;
	int64_t t0;
	int moved = 0;
	for (int tries = 0;; tries++) {
		if (cache_prepare_file(cache, err, errlen) < 0 ||
		    cachelock_take(lock_fd, cache, err, errlen) < 0)
			return -1;
		if (fd_file_id(id, *lock_fd, cache, err, errlen) < 0) {
			cachelock_release(lock_fd);
			return -1;
		}
		t0 = mono_ms();
		int rc = store_open_bound(s, cache, id, err, errlen);
		if (rc == 0)
			break;
		cachelock_release(lock_fd);
		/* Replaced between the lock and the open: the file there now
		 * is taken, as at a start. */
		if (rc == STORE_EMOVED && moved++ < 3) {
			tries--;
			continue;
		}
		/* Its first bytes overwritten, a cache is "not a database"
		 * to SQLite, yet its header still says it is ours
		 * (explore84). */
		if (tries > 0 ||
		    !(store_damaged() || cache_header_damaged(cache)))
			return -1;
		/* Damaged at rest (explore54: a schema overwritten while the
		 * daemon was stopped failed every start, under systemd a
		 * restart every 30 s for good): as when found damaged while
		 * running. */
		log_err(NULL, NULL,
		        "the cache %s is damaged (%s): it is kept as "
		        "%s.damaged, and every account is mirrored anew into "
		        "a new cache",
		        cache, err, cache);
		set_aside(cache);
	}
	int found = store_found_version(*s);
	/* Version 3 dropped version 2's bodies (raw messages, where the
	 * text is kept now): a large account fetches them all again, which
	 * the upgrade says (explore60). */
	if (found > 0 && found < CACHE_SCHEMA_VERSION)
		log_notice(NULL, NULL,
		           "cache %s upgraded from schema version %d to %d in "
		           "%.1f s%s",
		           cache, found, CACHE_SCHEMA_VERSION,
		           (double)(mono_ms() - t0) / 1000.0,
		           found == 2 ? "; the bodies it held are fetched again"
		                      : "");
	return 0;
}

/* The threads that serve every worker's cache connections. Either may
 * fail to start; the workers then do without it. */
static void start_cache_threads(struct running *r, const char *cache)
{
	char err[512];
	if (checkpointer_start(&r->ck, cache, &r->cache_id, err, sizeof(err)) <
	    0)
		log_warning(NULL, NULL,
		            "checkpointer: %s; writers checkpoint "
		            "the cache themselves",
		            err);
	if (indexer_start(&r->ix, cache, &r->cache_id, r->ck, err,
	                  sizeof(err)) < 0)
		log_warning(NULL, NULL,
		            "full-text indexer: %s; new mail waits for the "
		            "next start to become searchable",
		            err);
}

/* The cache at our path is not the file we write to any more: removed
 * (a user rebuilding it) or replaced. Our writes would reach a file that
 * no reader can open, so we start over as a restart would: stop the
 * workers, create the cache anew at the path, start them again. False
 * when that fails; the caller then exits, and the service manager
 * restarts us. */
/* Lets the cache go: the WAL emptied into the file that *s opened (no
 * other connection to it is left), then closed. */
static void release_cache(struct store **s)
{
	if (*s && store_wal_truncate(*s) < 0)
		log_warning(NULL, NULL,
		            "%s; the WAL keeps what it holds until the next "
		            "start",
		            store_errmsg(*s));
	store_close(s);
}

/* Why the cache is taken anew (renew_cache). */
enum renewal {
	RENEW_DAMAGED,  /* SQLite found the file damaged (store_damaged) */
	RENEW_REPLACED, /* the path names another file, or none */
	RENEW_WAL_LOST, /* the file is ours, its WAL at the path is not */
};

/* What the WAL we write holds, into the file, before its connections
 * close: a WAL removed by hand is reachable through them alone. A reader
 * in the way (an open read) is waited for, a few seconds at most. */
static bool empty_lost_wal(struct store *s)
{
	for (int tries = 0; tries < 30; tries++) {
		if (store_wal_truncate(s) == STORE_OK)
			return true;
		struct timespec pause = {0, 200 * 1000000L};
		nanosleep(&pause, NULL);
	}
	log_err(NULL, NULL, "%s", store_errmsg(s));
	return false;
}

/* A new start on the cache, for the reason why: its workers stopped, its
 * connections closed, and taken again. */
static bool renew_cache(struct running *r, struct confs *cs, const char *cache,
                        struct cachewatch *watch, struct store **s,
                        int *lock_fd, enum renewal why)
{
	if (why == RENEW_DAMAGED)
		log_err(NULL, NULL,
		        "the cache %s is damaged (see above): it is kept as "
		        "%s.damaged, and every account is mirrored anew into "
		        "a new cache",
		        cache, cache);
	else if (why == RENEW_REPLACED)
		log_warning(NULL, NULL,
		            "the cache %s was removed or replaced while "
		            "mailmirrord ran; mirroring into a new one",
		            cache);
	else
		log_warning(NULL, NULL,
		            "the WAL of the cache %s (%s-wal) was removed or "
		            "replaced while mailmirrord ran, and readers could "
		            "not see the changes in it: they go into the "
		            "cache, which is opened again",
		            cache, cache);
	if (!running_stop(r, NULL, NULL, STOP_BUDGET_MS, NULL)) {
		log_err(NULL, NULL, "a worker did not stop in time");
		return false;
	}
	indexer_stop(&r->ix);
	checkpointer_stop(&r->ck);
	if (why == RENEW_WAL_LOST && !empty_lost_wal(*s))
		return false;
	/* The WAL at the path is still the old file's: emptied into it, it
	 * has nothing to replay into the file found there now. */
	release_cache(s);
	cachelock_release(lock_fd);
	if (why == RENEW_DAMAGED)
		set_aside(cache);
	else /* a new file, or new journals for ours */
		cache_forget_journal(cache);
	struct conf *conf = cs->v[cs->n - 1];
	char err[PATH_MAX + 1024];
	/* Its directory gone too: no new cache until it is back (under
	 * systemd, restarts until then). A file put in its place is judged
	 * as at a start. */
	struct trust_problems tp;
	if (cache_check_path(cache, false, err, sizeof(err)) < 0) {
		log_err(NULL, NULL, "cannot make a new cache: %s", err);
		return false;
	}
	if (trust_check_cache(&tp, cache) < 0) {
		for (size_t i = 0; i < tp.n; i++)
			log_err(NULL, NULL, "cannot make a new cache: %s",
			        tp.msg[i]);
		if (tp.more)
			log_err(NULL, NULL,
			        "cannot make a new cache: ... and %zu more "
			        "problem%s",
			        tp.more, tp.more == 1 ? "" : "s");
		return false;
	}
	if (take_cache(s, lock_fd, &r->cache_id, cache, err, sizeof(err)) < 0) {
		log_err(NULL, NULL, "cache %s: %s", cache, err);
		return false;
	}
	cachewatch_take(watch, cache, &r->cache_id);
	start_cache_threads(r, cache);
	for (size_t i = 0; i < conf->n_accounts; i++)
		start_account(r, *s, &conf->accounts[i], cache, ACCT_LIVE, -1);
	prune_mark_disabled(*s, conf);
	/* Every worker now runs the configuration in force. */
	gc_confs(cs, r);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"once", no_argument, NULL, 'o'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"log-time", required_argument, NULL, 'T'},
	        {"check-config", no_argument, NULL, 'k'},
	        {"compact", no_argument, NULL, 'C'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {0},
	};
	/* glibc raises its mmap threshold to the size of each large block
	 * freed (up to 32 MB), after which such blocks come from the heap
	 * and stay with the process once freed: one 30 MB message would
	 * leave a long-running daemon 60 MB bigger for good. A fixed
	 * threshold gives every large buffer back when it is freed. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	const char *path = NULL;
	bool once = false, check = false, compact = false;
	enum log_time timed = LOG_TIME_AUTO;
	int verbosity = 0, ch;
	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'T':
			if (log_time_parse(&timed, optarg) < 0) {
				fprintf(stderr,
				        "mailmirrord: --log-time is auto, "
				        "always or never, not \"%s\"\n",
				        optarg);
				usage(stderr);
				return EX_USAGE;
			}
			break;
		case 'k':
			check = true;
			break;
		case 'C':
			compact = true;
			break;
		case 'h':
			usage(stdout);
			return stdout_status();
		case 'V':
			puts("mailmirrord " MAILMIRROR_VERSION);
			return stdout_status();
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (compact && (once || check)) {
		fprintf(stderr, "mailmirrord: --compact goes with -c alone\n");
		usage(stderr);
		return EX_USAGE;
	}
	if (check && once) {
		fprintf(stderr, "mailmirrord: --check-config starts nothing: "
		                "it goes without --once\n");
		usage(stderr);
		return EX_USAGE;
	}
	if (path && !*path) {
		fprintf(stderr,
		        "mailmirrord: -c needs a file name, not \"\"\n");
		usage(stderr);
		return EX_USAGE;
	}
	if (optind != argc) {
		/* Said first: the usage alone left the user to find what
		 * was wrong with the command line. */
		fprintf(stderr, "mailmirrord: unexpected argument \"%s\"\n",
		        argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	/* Blocked from here on, read later from a signalfd: a SIGHUP or
	 * SIGTERM in the first tenth of a second, while the configuration
	 * loads and the cache is made or migrated, killed the daemon with
	 * the signal's default action (explore81), where mailmirrord(8)
	 * promises a reload or an exit with status 0. A signal that comes
	 * meanwhile waits for the main loop, which reads it. */
	sigset_t set;
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* Before the first line: a configuration error is dated too. */
	log_set_time(timed);
	char *dflt = NULL;
	if (!path && !(path = dflt = default_config())) {
		log_bare(LOG_LEVEL_ERR,
		         "mailmirrord: no configuration file: use -c FILE");
		return EX_CONFIG;
	}

	/* Root checks the configuration of a service that runs as another
	 * user: its password_file is judged as that user's daemon would. */
	secret_check_for_service(check);
	checking = check;
	struct confs cs = {0};
	if (confs_reserve(&cs) < 0) {
		fprintf(stderr, "mailmirrord: out of memory\n");
		free(dflt);
		return EX_FAIL;
	}
	if (load(&cs.v[0], path) < 0) {
		confs_free(&cs);
		free(dflt);
		return EX_CONFIG;
	}
	cs.n = 1;
	struct conf *conf = cs.v[0];
	log_set_level(conf->log_level + verbosity);
	if (check) {
		int rc = state_dir_to_come(conf)
		                 ? EX_OK
		                 : check_cache(conf, conf->cache);
		if (rc == EX_OK)
			printf("%s: ok (%zu account%s)\n", path,
			       conf->n_accounts,
			       conf->n_accounts == 1 ? "" : "s");
		confs_free(&cs);
		free(dflt);
		return rc;
	}

	char err[512];
	char *cache = NULL;
	int bad = EX_OK;
	if (conf->cache) {
		cache = strdup(conf->cache);
	} else if ((bad = check_cache(conf, NULL)) == EX_OK) {
		if (!compact)
			warn_root_cache(path);
		if (cache_default_path(&cache, true, err, sizeof(err)) < 0) {
			/* The check passed: the file system changed since. */
			log_bare(LOG_LEVEL_ERR, "mailmirrord: cache: %s", err);
			bad = EX_CONFIG;
		}
	}
	if (bad != EX_OK) {
		confs_free(&cs);
		free(dflt);
		return bad;
	}
	/* A cache that cannot be made is the configuration's fault (or the
	 * unit's, for $STATE_DIRECTORY): 78, which systemd does not
	 * restart, with the words --check-config uses. The default was
	 * checked before its directory was made, in the same words. */
	bad = cache ? check_cache(conf, cache) : EX_OK;
	/* Asked to stop before the cache is made, migrated or rewritten:
	 * nothing is started, and the exit is a stop's (a --once or
	 * --compact run that did not happen did not succeed). */
	bool stopped = bad == EX_OK && stop_pending();
	if (stopped) {
		log_notice(NULL, NULL, "stopping before the start");
		bad = once || compact ? EX_FAIL : EX_OK;
	} else if (bad == EX_OK && compact) {
		bad = compact_cache(cache) == 0 ? EX_OK : EX_FAIL;
	}
	if (bad != EX_OK || compact || stopped) {
		free(cache);
		confs_free(&cs);
		free(dflt);
		return bad;
	}
	if (cache)
		store_temp_beside(cache);
	/* Create or migrate the cache once, before any worker opens it. */
	struct store *s = NULL;
	int lock_fd = -1;
	struct running r = {0};
	if (!cache || take_cache(&s, &lock_fd, &r.cache_id, cache, err,
	                         sizeof(err)) < 0) {
		log_err(NULL, NULL, "cache %s: %s", cache ? cache : "?",
		        cache ? err : "out of memory");
		free(cache);
		confs_free(&cs);
		free(dflt);
		return EX_FAIL;
	}

	/* Signals arrive on a signalfd in this thread only (blocked since
	 * the start: one that came meanwhile is read first). */
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* --once: workers say when they end, so we exit the moment the
	 * last one does. */
	int efd = once ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;

	struct cachewatch watch;
	cachewatch_take(&watch, cache, &r.cache_id);
	start_cache_threads(&r, cache);
	if (conngate_new(&r.gate, CONNGATE_PER_SERVER) < 0)
		log_warning(NULL, NULL,
		            "out of memory: every account "
		            "connects at once");
	/* s stays open for the whole run: this thread's connection to the
	 * file it opened, which empties the WAL into that file when the
	 * daemon lets it go (at exit, or when the path names another file:
	 * see store_wal_truncate). */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check_fd_limit(conf);
	size_t failed = 0;
	for (size_t i = 0; i < conf->n_accounts; i++)
		failed += start_account(&r, s, &conf->accounts[i], cache,
		                        once ? ACCT_ONCE : ACCT_LIVE, efd) < 0;
	if (failed)
		log_err(NULL, NULL,
		        "mailmirrord started: %zu of %zu accounts, cache %s; "
		        "%zu could not start (above)",
		        r.n, r.n + failed, cache, failed);
	else
		log_notice(NULL, NULL,
		           "mailmirrord started: %zu account%s, cache %s", r.n,
		           r.n == 1 ? "" : "s", cache);
	/* Accounts gone from the configuration are dropped while the
	 * workers connect, not before: the workers never touch them, and
	 * their connections wait for no reading of the cache here. */
	prune_dropped(s, conf, &r);
	prune_mark_disabled(s, conf);

	int status = EX_OK;
	bool told_compact = false;
	if (once) {
		status = run_once(&r, sfd, efd, s, &t0);
		/* After the index: the only writer left is this thread. */
		if (!r.n)
			compact_some(s, COMPACT_BUDGET_MS, &told_compact);
		goto out;
	}

	notify_ready();
	uint64_t wd = notify_watchdog_usec();
	int tick = wd ? (int)(wd / 2000) : 5000;
	if (tick > 5000)
		tick = 5000;
	if (tick < 100)
		tick = 100;
	int64_t asleep = suspended_ms(), grace_until = 0;
	struct netwatch *nw = NULL;
	struct netwatch_debounce settle = {0};
	/* Off for scripted tests, where no real change is theirs
	 * (tests/integration/test_daemon_hostile.c). */
	const char *nwe = getenv("MAILMIRROR_NETWATCH");
	if (nwe && strcmp(nwe, "off") == 0)
		log_debug(NULL, NULL, "network changes are not watched");
	else if (netwatch_open(&nw) < 0)
		log_warning(NULL, NULL,
		            "network changes are not watched: %s; connections "
		            "are checked after a suspend and by their timeouts",
		            strerror(errno));
	int64_t next_tick = mono_ms() + tick, next_compact = next_tick;
	for (;;) {
		int64_t now = mono_ms();
		int ms = now < next_tick ? (int)(next_tick - now) : 0;
		struct pollfd p[2] = {
		        {.fd = sfd, .events = POLLIN},
		        {.fd = netwatch_fd(nw), .events = POLLIN},
		};
		int n = poll(p, 2, enforce_checks(&r, &settle, ms));
		if (n < 0 && errno != EINTR)
			break;
		check_network(&r, &nw, &settle, n > 0 && p[1].revents);
		if (n > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCONT) {
				/* explore59: after 5 minutes stopped, a false
				 * "a worker is stuck", and connections that
				 * may have died meanwhile went unchecked. */
				log_notice(NULL, NULL,
				           "continued after being stopped; "
				           "checking every connection");
				poke_all(&r);
				grace_until = mono_ms() + 2 * tick;
				continue;
			}
			if (si.ssi_signo == SIGHUP) {
				log_notice(NULL, NULL, "reloading %s", path);
				reload(&cs, &r, path, cache, s, verbosity);
				/* It may have dropped an account's rows. */
				next_compact = mono_ms();
				continue;
			}
			log_notice(NULL, NULL, "stopping");
			notify_stopping();
			/* The hooks' grace runs while the workers stop. */
			hook_stop_begin();
			if (!running_stop(&r, NULL, NULL, STOP_BUDGET_MS, NULL))
				log_warning(NULL, NULL,
				            "a worker did not stop in "
				            "time; exiting anyway");
			break;
		}
		if (mono_ms() < next_tick)
			continue;
		next_tick = mono_ms() + tick;
		bool damaged = store_damaged();
		enum cache_change change = cachewatch_check(&watch, cache);
		enum renewal why = damaged                    ? RENEW_DAMAGED
		                   : change == CACHE_REPLACED ? RENEW_REPLACED
		                                              : RENEW_WAL_LOST;
		if ((damaged || change != CACHE_SAME) &&
		    !renew_cache(&r, &cs, cache, &watch, &s, &lock_fd, why)) {
			status = EX_FAIL;
			break;
		}
		check_resume(&r, &asleep);
		hook_tend();
		report(&r, mono_ms() < grace_until);
		if (mono_ms() >= next_compact)
			next_compact =
			        mono_ms() + (compact_some(s, COMPACT_BUDGET_MS,
			                                  &told_compact) > 0
			                             ? tick
			                             : COMPACT_CHECK_MS);
	}
	netwatch_close(&nw);
out:
	/* No on_new_mail run outlives the daemon, whatever ended it. */
	hook_stop_end();
	/* Workers still running (a --once stopped early, or one stuck in a
	 * connect) end with the process: every cache write is a transaction,
	 * so an unfinished one simply never happened. */
	if (r.n) {
		status = once ? EX_FAIL : status;
		fflush(stderr);
		_exit(status);
	}
	indexer_stop(&r.ix);
	checkpointer_stop(&r.ck);
	release_cache(&s);
	cachelock_release(&lock_fd);
	/* Found at the end of a --once run, or after the last tick: the
	 * next start mirrors anew. */
	if (store_damaged()) {
		log_err(NULL, NULL,
		        "the cache %s is damaged (see above): it is kept as "
		        "%s.damaged; the next start mirrors every account anew",
		        cache, cache);
		set_aside(cache);
		status = EX_FAIL;
	}
	conngate_free(&r.gate);
	free(r.v);
	confs_free(&cs);
	free(cache);
	free(dflt);
	if (sfd >= 0)
		close(sfd);
	if (efd >= 0)
		close(efd);
	return status;
}
