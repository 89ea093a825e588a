/* daemon_fixture.c - see daemon_fixture.h. */
#include "integration/daemon_fixture.h"

#include "harness/dovecot_env.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

/* Runs a shell command; its exit status, or -1. */
FILE *conf_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

void fill_and_sync(const struct fixture *f, unsigned n, unsigned seed)
{
	cr_assert_eq(sh("%s " CTL " create %s", f->ctl_env, f->prefix), 0);
	cr_assert_eq(
	        sh("%s " CTL " fill %s %u %u", f->ctl_env, f->prefix, n, seed),
	        0);
	cr_assert_eq(run_once(f, NULL), 0);
}

void conf_replace(const struct fixture *f, const char *from, const char *to)
{
	FILE *in = fopen(f->conf, "r");
	cr_assert_not_null(in, "%s", f->conf);
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, in);
	fclose(in);
	cr_assert_lt(n, sizeof(text) - 1, "%s is too long", f->conf);
	text[n] = '\0';
	char *at = strstr(text, from);
	cr_assert_not_null(at, "no %s in %s", from, f->conf);
	FILE *out = conf_create(f->conf);
	cr_assert_not_null(out, "%s", f->conf);
	fprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	cr_assert_eq(fclose(out), 0);
}

long sh_number(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	long n = -1;
	if (p) {
		if (fscanf(p, "%ld", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

void setup_as(struct fixture *f, const char *prefix, const char *idle,
              const char *port, const char *user, const char *pass,
              const char *extra)
{
	user = user ? user : harness_env("IMAP_USER");
	pass = pass ? pass : harness_env("IMAP_PASS");
	snprintf(f->dir, sizeof(f->dir), "/tmp/mm-dtest.XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/mailmirror.conf", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/cache.db", f->dir);
	snprintf(f->prefix, sizeof(f->prefix), "%s", prefix);
	snprintf(f->ctl_env, sizeof(f->ctl_env),
	         "IMAP_USER='%s' IMAP_PASS='%s'", user, pass);
	FILE *c = conf_create(f->conf);
	cr_assert_not_null(c);
	fprintf(c,
	        "cache = \"%s\";\n"
	        "accounts = ({\n"
	        "  name = \"test\"; host = \"%s\"; port = %s; %s\n"
	        "  user = \"%s\"; password = \"%s\";\n"
	        "  mailboxes = [\"%s*\"]; idle = [\"%s\"];\n"
	        "  %s %s\n"
	        "});\n",
	        f->db, harness_env("IMAP_HOST"),
	        port ? port : harness_env("IMAP_PORT"),
	        extra && strstr(extra, "tls =") ? "" : "tls = \"none\";", user,
	        pass, prefix, idle,
	        extra && strstr(extra, "timeout =") ? "" : "timeout = 10;",
	        extra ? extra : "");
	fclose(c);
	chmod(f->conf, 0600);
	cr_assert_eq(sh("%s " CTL " reset '%s'", f->ctl_env, prefix), 0);
}

void setup_full(struct fixture *f, const char *prefix, const char *idle,
                const char *port, const char *extra)
{
	setup_as(f, prefix, idle, port, NULL, NULL, extra);
}

void setup_idle(struct fixture *f, const char *prefix, const char *idle,
                const char *extra)
{
	setup_full(f, prefix, idle, NULL, extra);
}

void setup(struct fixture *f, const char *prefix, const char *extra)
{
	setup_full(f, prefix, prefix, NULL, extra);
}

void teardown(struct fixture *f)
{
	sh("rm -rf '%s'", f->dir);
}

int run_once(const struct fixture *f, const char *env)
{
	return sh("%s %s/mailmirrord -c %s --once 2>>%s/log", env ? env : "",
	          build_dir(), f->conf, f->dir);
}

int compare(const struct fixture *f, double wait_s)
{
	return sh("%s " CTL " compare %s test '%s' %.1f >>%s/compare.log",
	          f->ctl_env, f->db, f->prefix, wait_s, f->dir);
}

void assert_converged(const struct fixture *f, double wait_s)
{
	int rc = compare(f, wait_s);
	if (rc != 0) {
		sh("cat %s/compare.log %s/log >&2", f->dir, f->dir);
		cr_assert_fail("cache differs from the server (see above)");
	}
}

/* The cache, opened as a reader (a local tool) would: read-write so that
 * a WAL without its -shm can be read, never created. NULL, said on
 * stderr unless quiet, when it cannot be opened. */
static sqlite3 *cache_open(const struct fixture *f, bool quiet)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		if (!quiet)
			fprintf(stderr, "%s: %s\n", f->db,
			        db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	/* The daemon's writer holds the lock for a commit's while. */
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* The first column of sql's first row as a number (a text's leading
 * digits), or -1: no row, NULL, or an error, said unless quiet. */
static long cache_query(const struct fixture *f, const char *sql, bool quiet)
{
	sqlite3 *db = cache_open(f, quiet);
	if (!db)
		return -1;
	sqlite3_stmt *st = NULL;
	long n = -1;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		if (text && sscanf((const char *)text, "%ld", &n) != 1)
			n = -1;
	} else if (rc != SQLITE_DONE && !quiet) {
		fprintf(stderr, "%s: %s: %s\n", f->db, sql, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Runs sql (statements with no result) in one transaction; SQLite's
 * status. */
static int cache_exec(const struct fixture *f, const char *sql)
{
	sqlite3 *db = cache_open(f, false);
	if (!db)
		return SQLITE_CANTOPEN;
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", f->db, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc;
}

/* How long wait_live waits; see cache_count_until for the slack. */
#define WAIT_LIVE_S      30.0
#define CACHE_WAIT_SLACK 2.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void assert_integrity(const struct fixture *f)
{
	sqlite3 *db = cache_open(f, false);
	cr_assert_not_null(db, "the cache cannot be opened");
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	                             NULL) == SQLITE_OK &&
	          sqlite3_step(st) == SQLITE_ROW &&
	          strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert(ok, "PRAGMA integrity_check failed");
}

pid_t start_daemon(const struct fixture *f)
{
	char bin[512], log[512];
	snprintf(bin, sizeof(bin), "%s/mailmirrord", build_dir());
	snprintf(log, sizeof(log), "%s/log", f->dir);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		/* A failed assertion ends the test without stop_daemon: the
		 * daemon must not outlive it and hold the suite's output. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		FILE *l = freopen(log, "a", stderr);
		(void)l;
		execl(bin, bin, "-c", f->conf, "-v", (char *)NULL);
		_exit(127);
	}
	return pid;
}

pid_t start_live_with(const struct fixture *f, unsigned n, unsigned seed)
{
	cr_assert_eq(sh("%s " CTL " create '%s'", f->ctl_env, f->prefix), 0);
	cr_assert_eq(sh("%s " CTL " fill '%s' %u %u", f->ctl_env, f->prefix, n,
	                seed),
	             0);
	pid_t pid = start_daemon(f);
	wait_live(f);
	return pid;
}

int stop_daemon(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st)
			                     : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Waits until the daemon has marked a mailbox live (its initial sync is
 * done). */
void wait_live(const struct fixture *f)
{
	if (cache_count_until(f,
	                      "SELECT count(*) > 0 FROM mailboxes WHERE live",
	                      1, WAIT_LIVE_S) == 1)
		return;
	sh("cat %s/log >&2", f->dir);
	cr_assert_fail("the daemon never went live");
}

void wait_watching(const struct fixture *f)
{
	for (int i = 0; i < 200; i++) {
		if (sh("grep -q '] watching with ' %s/log", f->dir) == 0)
			return;
		usleep(50000);
	}
	sh("cat %s/log >&2", f->dir);
	cr_assert_fail("the daemon never began to watch");
}

long cache_count(const struct fixture *f, const char *sql)
{
	return cache_query(f, sql, false);
}

void cache_lose(const struct fixture *f, const char *mailbox, unsigned lo,
                unsigned hi)
{
	/* IMMEDIATE: a deferred transaction that reads first and writes
	 * then fails at once (no busy wait) when the daemon committed in
	 * between: "database is locked" under load. */
	char *sql = sqlite3_mprintf(
	        "BEGIN IMMEDIATE;"
	        "CREATE TEMP TABLE lost_box AS SELECT id FROM mailboxes"
	        " WHERE name = %Q;"
	        "DELETE FROM messages WHERE mailbox_id = (SELECT id FROM"
	        " lost_box) AND uid BETWEEN %u AND %u;"
	        "UPDATE mailboxes SET exists_count = (SELECT count(*) FROM"
	        " messages WHERE mailbox_id = mailboxes.id), unseen_count ="
	        " (SELECT count(*) FROM messages WHERE mailbox_id ="
	        " mailboxes.id AND seen = 0) WHERE id = (SELECT id FROM"
	        " lost_box);"
	        "COMMIT;",
	        mailbox, lo, hi);
	cr_assert_not_null(sql);
	char *box = sqlite3_mprintf("SELECT count(*) FROM mailboxes"
	                            " WHERE name = %Q",
	                            mailbox);
	cr_assert_not_null(box);
	long n = cache_query(f, box, false);
	sqlite3_free(box);
	cr_assert_eq(n, 1, "no mailbox %s in the cache", mailbox);
	cr_assert_eq(cache_exec(f, sql), SQLITE_OK);
	sqlite3_free(sql);
}

void cache_same_server(const struct fixture *f, const char *account,
                       unsigned port)
{
	char *sql = sqlite3_mprintf(
	        "UPDATE accounts SET port = %u WHERE name = %Q", port, account);
	cr_assert_not_null(sql);
	cr_assert_eq(cache_exec(f, sql), SQLITE_OK);
	sqlite3_free(sql);
}

/* cache_count until it gives want, for at most CACHE_WAIT_SLACK times
 * wait_s: the waits were written when each read started a Python, which
 * made them last two to seven times as long, and a loaded 2-core machine
 * (CI, sanitizers) still needs some of that. */
long cache_count_until(const struct fixture *f, const char *sql, long want,
                       double wait_s)
{
	double end = now_s() + wait_s * CACHE_WAIT_SLACK;
	long got;
	for (;;) {
		/* Quiet: a cache being made again (or set aside when
		 * damaged) fails reads meanwhile, as expected. */
		got = cache_query(f, sql, true);
		if (got == want || now_s() >= end)
			break;
		usleep(50000);
	}
	return got;
}

bool log_says_within(const struct fixture *f, const char *needle, double wait_s)
{
	double end = now_s() + wait_s;
	for (;;) {
		if (sh("grep -qF -- '%s' '%s/log'", needle, f->dir) == 0)
			return true;
		if (now_s() >= end)
			return false;
		usleep(50000);
	}
}
