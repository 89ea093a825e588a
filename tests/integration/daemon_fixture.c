/* daemon_fixture.c - see daemon_fixture.h. */
#include "integration/daemon_fixture.h"

#include "harness/dovecot_env.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

void assert_integrity(const struct fixture *f)
{
	cr_assert_eq(
	        sh("python3 -c \"import sqlite3,sys; c=sqlite3.connect('%s');"
	           " r=c.execute('PRAGMA integrity_check').fetchone()[0];"
	           " sys.exit(r!='ok')\"",
	           f->db),
	        0, "PRAGMA integrity_check failed");
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
	for (int i = 0; i < 200; i++) {
		if (sh("python3 -c \"import sqlite3,sys;"
		       " c=sqlite3.connect('file:%s?mode=ro', uri=True);"
		       " sys.exit(0 if c.execute('SELECT count(*) FROM "
		       "mailboxes"
		       " WHERE live=1').fetchone()[0] else 1)\" 2>/dev/null",
		       f->db) == 0)
			return;
		usleep(50000);
	}
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

/* The number a query on the cache gives, or -1; quiet leaves Python's
 * complaint out of the test's output. */
static long query_count(const struct fixture *f, const char *sql, bool quiet)
{
	return sh_number("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	                 " print(c.execute(\\\"%s\\\").fetchone()[0])\"%s",
	                 f->db, sql, quiet ? " 2>/dev/null" : "");
}

long cache_count(const struct fixture *f, const char *sql)
{
	return query_count(f, sql, false);
}

void cache_lose(const struct fixture *f, const char *mailbox, unsigned lo,
                unsigned hi)
{
	cr_assert_eq(
	        sh("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	           " b=c.execute('SELECT id FROM mailboxes WHERE name=?',"
	           " ('%s',)).fetchone()[0];"
	           " c.execute('DELETE FROM messages WHERE mailbox_id=? AND"
	           " uid BETWEEN ? AND ?', (b, %u, %u));"
	           " c.execute('UPDATE mailboxes SET exists_count=(SELECT"
	           " count(*) FROM messages WHERE mailbox_id=?1),"
	           " unseen_count=(SELECT count(*) FROM messages WHERE"
	           " mailbox_id=?1 AND seen=0) WHERE id=?1', (b,));"
	           " c.commit()\"",
	           f->db, mailbox, lo, hi),
	        0);
}

void cache_same_server(const struct fixture *f, const char *account,
                       unsigned port)
{
	cr_assert_eq(sh("python3 -c \"import sqlite3; c=sqlite3.connect('%s');"
	                " c.execute('UPDATE accounts SET port=? WHERE name=?',"
	                " (%u, '%s')); c.commit()\"",
	                f->db, port, account),
	             0);
}

/* cache_count until it gives want, for at most wait_s seconds. */
long cache_count_until(const struct fixture *f, const char *sql, long want,
                       double wait_s)
{
	long got = -1;
	for (int i = 0; i <= (int)(wait_s * 20); i++) {
		/* Quiet: a cache being made again (or set aside when
		 * damaged) fails reads meanwhile, as expected. */
		got = query_count(f, sql, true);
		if (got == want)
			break;
		usleep(50000);
	}
	return got;
}
