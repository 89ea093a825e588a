/* test_mailmirrord_cli.c - the daemon's command line and --check-config,
 * run as the user runs them: the built mailmirrord beside this test
 * binary (BUILD/tests/unit-daemon -> BUILD/mailmirrord). */
#include "as_nobody.h"
#include "harness/silent_listener.h"
#include "cache/schema.h"
#include "mailmirrord/cachelock.h"
#include "mailmirrord/conngate.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-cli-XXXXXX";
static char bin[4096];
static char said[4096]; /* what the last run wrote on stderr */

static void setup(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/../mailmirrord", dirname(self));
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(mailmirrord_cli, .init = setup, .fini = teardown);

/* Runs "env ENV mailmirrord ARGS" in dir (env: "" or "A=1 B=2"), its
 * stderr a file (dir/stderr) or, with piped, a pipe to one; its exit
 * status, with what it wrote on stderr in said. */
__attribute__((format(printf, 3, 0))) static int
vrun(const char *env, bool piped, const char *fmt, va_list ap)
{
	char args[2048], cmd[8192], errf[128];
	FILE *f;
	size_t n;
	int st;

	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", bin);
	vsnprintf(args, sizeof(args), fmt, ap);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	if (piped)
		/* The daemon's status through the pipe: cat's is the
		 * pipeline's. */
		snprintf(cmd, sizeof(cmd),
		         "cd '%s' && { env -u STATE_DIRECTORY %s '%s' %s "
		         "2>&1 >/dev/null; echo $? >status; } | cat >'%s' && "
		         "exit $(cat status)",
		         dir, env, bin, args, errf);
	else
		snprintf(cmd, sizeof(cmd),
		         "cd '%s' && env -u STATE_DIRECTORY %s '%s' %s "
		         ">/dev/null 2>'%s'",
		         dir, env, bin, args, errf);
	st = system(cmd);
	f = fopen(errf, "r");
	cr_assert_not_null(f);
	n = fread(said, 1, sizeof(said) - 1, f);
	said[n] = '\0';
	fclose(f);
	cr_assert(WIFEXITED(st), "%s", cmd);
	return WEXITSTATUS(st);
}

__attribute__((format(printf, 3, 4))) static int
run_how(const char *env, bool piped, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = vrun(env, piped, fmt, ap);
	va_end(ap);
	return rc;
}

/* vrun with stderr a file, undated: the tests that compare what the
 * daemon says word for word; how lines are dated is tested apart
 * (log_lines_are_dated_in_a_file_only). */
__attribute__((format(printf, 2, 3))) static int run(const char *env,
                                                     const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return run_how(env, false, "--log-time=never %s", args);
}

static void write_conf(const char *cache_line)
{
	char name[128];
	FILE *f;

	snprintf(name, sizeof(name), "%s/m.conf", dir);
	f = fopen(name, "w");
	cr_assert_not_null(f);
	fprintf(f,
	        "%s\naccounts = ( { name = \"a\"; host = \"localhost\"; "
	        "tls = \"none\"; user = \"u\"; password = \"p\"; } );\n",
	        cache_line);
	fclose(f);
	/* It holds a password: private, as the manual asks. */
	cr_assert_eq(chmod(name, 0600), 0);
}

/* Every start, check and reload says it, and none is refused for it. */
Test(mailmirrord_cli, a_password_others_may_read_is_warned_about)
{
	char line[512];

	snprintf(line, sizeof(line), "cache = \"%s/cache.db\";", dir);
	write_conf(line);
	cr_assert_eq(run("", "-c m.conf --check-config"), 0, "%s", said);
	cr_assert_str_eq(said, "");
	snprintf(line, sizeof(line), "%s/m.conf", dir);
	cr_assert_eq(chmod(line, 0644), 0);
	cr_assert_eq(run("", "-c m.conf --check-config"), 0, "%s", said);
	cr_assert_str_eq(said, "m.conf:2: account \"a\": its password is in "
	                       "this file, which others may read (mode 0644); "
	                       "chmod 600 m.conf, or use password_file or "
	                       "password_command\n");
}

/* The report's N10: the usage alone did not say what was wrong. */
Test(mailmirrord_cli, a_stray_argument_is_named)
{
	static const char first[] =
	        "mailmirrord: unexpected argument \"extra\"\n";

	cr_assert_eq(run("", "--once extra"), 64);
	cr_assert(strncmp(said, first, strlen(first)) == 0, "%s", said);
	cr_assert(strstr(said, "usage: mailmirrord"), "%s", said);
	/* explore41: ": cannot read : No such file or directory" */
	cr_assert_eq(run("", "-c ''"), 64, "%s", said);
	cr_assert(strstr(said, "-c needs a file name, not \"\""), "%s", said);
}

/* explore81: "[--once] ... [--check-config | --compact]" on one line read
 * as if they went together; the usage has the manual's three forms. */
Test(mailmirrord_cli, the_usage_has_the_synopsis_forms)
{
	cr_assert_eq(run("", "--no-such-option"), 64);
	cr_assert(strstr(said, "\nusage: mailmirrord [-c FILE] [--once] "
	                       "[-v]... [--log-time=WHEN]\n"
	                       "       mailmirrord [-c FILE] --check-config\n"
	                       "       mailmirrord [-c FILE] --compact\n\n"),
	          "%s", said);
}

/* A tester's finding: a configuration that includes itself was "include
 * file nesting too deep". It is a configuration error like the others:
 * 78, said where the @include is, and no cache made. */
Test(mailmirrord_cli, an_include_cycle_is_a_configuration_error)
{
	char name[128], want[1024];
	FILE *f;

	write_conf("@include \"inc.conf\"");
	snprintf(name, sizeof(name), "%s/inc.conf", dir);
	f = fopen(name, "w");
	cr_assert_not_null(f);
	fputs("@include \"m.conf\"\n", f);
	fclose(f);
	snprintf(want, sizeof(want),
	         "%s/inc.conf:1: @include \"m.conf\": include cycle: "
	         "m.conf -> inc.conf -> m.conf\n",
	         dir);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run("XDG_STATE_HOME=$PWD/state", "-c m.conf --once"), 78,
	             "%s", said);
	cr_assert_str_eq(said, want, "a start says the same");
	snprintf(name, sizeof(name), "%s/state", dir);
	cr_assert_neq(access(name, F_OK), 0, "a start wrote %s", name);
}

/* The report's N3: a cache in a missing directory passed --check-config,
 * then each start exited 1, which systemd's Restart=on-failure repeats
 * for ever; 78 is the status the units do not restart. */
Test(mailmirrord_cli, a_cache_in_a_missing_directory_fails_the_check)
{
	char line[512], want[1024];

	snprintf(line, sizeof(line), "cache = \"%s/sub/dir/cache.db\";", dir);
	write_conf(line);
	snprintf(want, sizeof(want),
	         "m.conf:1: cache: directory %s/sub/dir does not exist\n", dir);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run("", "-c m.conf --once"), 78, "%s", said);
	cr_assert_str_eq(said, want, "a start says the same");
	/* The check starts nothing: --once beside it was silently dropped. */
	cr_assert_eq(run("", "-c m.conf --check-config --once"), 64, "%s",
	             said);
	cr_assert(strstr(said, "--check-config starts nothing"), "%s", said);

	/* a symbolic link is named as one */
	snprintf(line, sizeof(line), "%s/link.db", dir);
	cr_assert_eq(symlink("real.db", line), 0);
	snprintf(line, sizeof(line), "cache = \"%s/link.db\";", dir);
	write_conf(line);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert(strstr(said, "link.db is a symbolic link"), "%s", said);
}

/* The schema version of the cache at path. */
static int version_of(const char *path)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	int v = cache_version(db);
	sqlite3_close(db);
	return v;
}

/* An empty cache of schema version v, 0600. */
static void cache_of_version(const char *path, int v)
{
	sqlite3 *db;
	char err[256] = "";
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(cache_migrate(db, v, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	sqlite3_close(db);
	cr_assert_eq(chmod(path, 0600), 0);
}

/* explore40: a daemon migrated the cache before it took the lock, so a
 * new version started beside a running daemon changed the schema under
 * it (whose index then broke), and a reader's probe saw no daemon while
 * the migration ran. The lock comes first: a daemon that finds the cache
 * taken changes nothing; one that migrates says so. */
Test(mailmirrord_cli, a_cache_in_use_is_not_migrated)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_of_version(cache, CACHE_SCHEMA_VERSION - 1);

	int held = -1;
	char err[256];
	cr_assert_eq(cachelock_take(&held, cache, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	cr_assert(strstr(said, "in use by another mailmirrord"), "%s", said);
	cr_assert_eq(version_of(cache), CACHE_SCHEMA_VERSION - 1,
	             "migrated under a running daemon");
	cachelock_release(&held);

	/* nothing listens on the account's port: the run fails, after the
	 * migration */
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	char want[128];
	snprintf(want, sizeof(want), "upgraded from schema version %d to %d",
	         CACHE_SCHEMA_VERSION - 1, CACHE_SCHEMA_VERSION);
	cr_assert(strstr(said, want), "%s", said);
	cr_assert_eq(version_of(cache), CACHE_SCHEMA_VERSION);
}

/* explore60: the upgrade of a version 2 cache drops its bodies, which a
 * large account then fetches all again: the log said nothing of it. */
Test(mailmirrord_cli, upgrading_version_2_says_its_bodies_come_again)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_of_version(cache, 2);
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	char want[128];
	snprintf(want, sizeof(want), "upgraded from schema version 2 to %d in ",
	         CACHE_SCHEMA_VERSION);
	cr_assert(strstr(said, want), "%s", said);
	cr_assert(strstr(said, " s; the bodies it held are fetched again"),
	          "%s", said);
}

/* explore60: a cache of a development build, version 3 by its number but
 * not by its schema (a trigger migration 4 replaces is missing), failed
 * every start with exit 1, which systemd restarts every 30 s for good. It
 * is set aside as damaged and mirrored anew. */
Test(mailmirrord_cli, a_cache_that_cannot_be_upgraded_is_set_aside)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_of_version(cache, CACHE_SCHEMA_VERSION - 2);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(cache, &db), SQLITE_OK);
	cr_assert_eq(
	        sqlite3_exec(db, "DROP TRIGGER bodies_queue", NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);

	/* nothing listens on the account's port: the run fails, after */
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	char want[256];
	snprintf(want, sizeof(want),
	         "is damaged (its schema is not version %d's, as it says, and "
	         "cannot be upgraded (no such trigger: bodies_queue)): it is "
	         "kept as",
	         CACHE_SCHEMA_VERSION - 2);
	cr_assert(strstr(said, want), "%s", said);
	cr_assert_eq(version_of(cache), CACHE_SCHEMA_VERSION);
	char kept[320];
	snprintf(kept, sizeof(kept), "%s.damaged", cache);
	cr_assert_eq(access(kept, F_OK), 0);
}

/* explore84: a cache whose first 16 bytes were overwritten is "not a
 * database" to SQLite, which failed every start (exit 1: under systemd a
 * restart every 30 s for good). Its header still carries our
 * application_id: it is set aside as damaged and mirrored anew. */
Test(mailmirrord_cli, a_cache_without_its_first_bytes_is_set_aside)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_of_version(cache, CACHE_SCHEMA_VERSION);
	int fd = open(cache, O_WRONLY);
	cr_assert_geq(fd, 0);
	static const char zeros[16];
	cr_assert_eq(pwrite(fd, zeros, sizeof(zeros), 0), 16);
	close(fd);

	/* nothing listens on the account's port: the run fails, after */
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	cr_assert(strstr(said, "is damaged (") && strstr(said, "it is kept as"),
	          "%s", said);
	cr_assert_eq(version_of(cache), CACHE_SCHEMA_VERSION);
	char kept[320];
	snprintf(kept, sizeof(kept), "%s.damaged", cache);
	cr_assert_eq(access(kept, F_OK), 0);
}

/* Somebody else's file that is no database at all is left alone. */
Test(mailmirrord_cli, a_file_that_is_no_cache_is_left_alone)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	FILE *f = fopen(cache, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 200; i++)
		fputs("not a cache, but somebody's notes\n", f);
	fclose(f);
	cr_assert_neq(run("", "-c m.conf --once"), 0, "%s", said);
	char kept[320];
	snprintf(kept, sizeof(kept), "%s.damaged", cache);
	cr_assert_neq(access(kept, F_OK), 0, "%s", said);
	f = fopen(cache, "r");
	cr_assert_not_null(f);
	char first[64] = "";
	cr_assert_not_null(fgets(first, sizeof(first), f));
	fclose(f);
	cr_assert_str_eq(first, "not a cache, but somebody's notes\n");
}

/* A cache a newer mailmirrord wrote stays unusable until a person acts:
 * a configuration error (78, which the units do not restart on), at the
 * check too, and nothing written. */
Test(mailmirrord_cli, a_cache_of_a_newer_mailmirrord_is_a_configuration_error)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_of_version(cache, CACHE_SCHEMA_VERSION);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(cache, &db), SQLITE_OK);
	cr_assert_eq(
	        sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);

	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert(strstr(said, "m.conf:1: cache: ") &&
	                  strstr(said, "schema version 99, newer than"),
	          "%s", said);
	cr_assert_eq(run("", "-c m.conf --once"), 78, "%s", said);
	cr_assert_eq(version_of(cache), 99);
}

/* Without a cache key the default is checked as a start would use it: a
 * directory the daemon makes passes (and the check makes nothing), one
 * systemd was to make (StateDirectory=) fails, before and at a start. */
Test(mailmirrord_cli, the_default_cache_is_checked_too)
{
	char want[1024], made[256];
	struct stat sb;

	write_conf("");
	cr_assert_eq(run("XDG_STATE_HOME=$PWD/state", "-c m.conf "
	                                              "--check-config"),
	             0, "%s", said);
	snprintf(made, sizeof(made), "%s/state", dir);
	cr_assert_neq(stat(made, &sb), 0, "--check-config created %s", made);

	/* explore69: systemd makes StateDirectory= as the service starts;
	 * a check before the first start has no directory to judge yet.
	 * A start without it is the unit's fault. */
	cr_assert_eq(run("STATE_DIRECTORY=$PWD/gone", "-c m.conf "
	                                              "--check-config"),
	             0, "%s", said);
	snprintf(want, sizeof(want),
	         "mailmirrord: cache: directory %s/gone does not exist\n", dir);
	cr_assert_eq(run("STATE_DIRECTORY=$PWD/gone", "-c m.conf --once"), 78);
	cr_assert_str_eq(said, want);

	/* explore30: a relative one was passed over for the XDG default */
	cr_assert_eq(run("STATE_DIRECTORY=state XDG_STATE_HOME=$PWD/state",
	                 "-c m.conf --once"),
	             78);
	cr_assert_str_eq(said, "mailmirrord: cache: STATE_DIRECTORY=state is "
	                       "not an absolute path (systemd's "
	                       "StateDirectory= sets one; unset it for the "
	                       "default)\n");
	cr_assert_neq(stat(made, &sb), 0, "--once created %s", made);
}

/* m.conf in dir, 0600: accounts afrom... up to a(n-1) at
 * 127.0.0.1:port, each with the settings extra besides, and the cache c.db
 * beside it. */
static void write_accounts_from(int from, int n, unsigned port,
                                const char *extra)
{
	char name[128];
	snprintf(name, sizeof(name), "%s/m.conf", dir);
	FILE *f = fopen(name, "w");
	cr_assert_not_null(f);
	fprintf(f, "cache = \"%s/c.db\";\naccounts = (", dir);
	for (int i = from; i < n; i++)
		fprintf(f,
		        "%s{ name = \"a%d\"; host = \"127.0.0.1\"; port = %u; "
		        "tls = \"none\"; user = \"u\"; password = \"p\";%s }",
		        i > from ? ", " : "", i, port, extra);
	fprintf(f, ");\n");
	fclose(f);
	cr_assert_eq(chmod(name, 0600), 0);
}

static void write_accounts(int n, unsigned port, const char *extra)
{
	write_accounts_from(0, n, port, extra);
}

/* explore35: past the descriptor limit, accounts did not start (or failed
 * to connect and open the cache in words that blamed the network and the
 * disk), and nothing said why. The soft limit is raised to the hard one;
 * what the hard one cannot hold is said at start. */
Test(mailmirrord_cli, too_few_file_descriptors_are_said)
{
	write_accounts(40, 1, "");

	/* 40 accounts need 64 + 40 * 8 = 384: a soft limit of 256 under a
	 * hard one of 4096 is raised, and nothing is said. */
	run("prlimit --nofile=256:4096", "-c m.conf --once");
	cr_assert_null(strstr(said, "file descriptors"), "%s", said);
	run("prlimit --nofile=256:256", "-c m.conf --once");
	cr_assert_not_null(strstr(said,
	                          "warning: [-] 40 accounts need about 384 "
	                          "file descriptors and the limit is "
	                          "256: some will not start or "
	                          "connect; raise it (LimitNOFILE= in "
	                          "the unit, ulimit -n)"),
	                   "%s", said);
}

/* explore59: accounts that could not start (out of file descriptors) were
 * "stopped" in the cache, with no error: mailmirror accounts showed no
 * reason. It is the account's last_error. */
Test(mailmirrord_cli, accounts_that_could_not_start_say_why, .timeout = 60)
{
	write_accounts(12, 1, "");
	cr_assert_neq(run("prlimit --nofile=24:24", "-c m.conf --once"), 0);
	cr_assert(strstr(said, "could not start (above)"), "%s", said);
	char cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(cache, &db), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db,
	                                "SELECT count(*) FROM accounts WHERE "
	                                "state = 'error' AND last_error LIKE "
	                                "'could not start: %'",
	                                -1, &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_gt(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* explore19 finding 6: a default cache whose directory cannot be made
 * passed through a start's mkdir, which said "error: [-] cache: cannot
 * create ...", not what --check-config says. (A file in the way, since
 * the tests may run as root, whom no directory's mode stops.) */
Test(mailmirrord_cli, a_default_cache_that_cannot_be_made_reads_the_same)
{
	char want[1024], file[256];

	write_conf("");
	snprintf(file, sizeof(file), "%s/afile", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(want, sizeof(want),
	         "mailmirrord: cache: %s is not a directory\n", file);
	cr_assert_eq(run("XDG_STATE_HOME=$PWD/afile", "-c m.conf "
	                                              "--check-config"),
	             78, "%s", said);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run("XDG_STATE_HOME=$PWD/afile", "-c m.conf --once"), 78,
	             "%s", said);
	cr_assert_str_eq(said, want, "a start says the same");
}

static off_t size_of(const char *path)
{
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0, "%s", path);
	return sb.st_size;
}

/* A cache of account "a" whose folder of 48 MB was dropped. */
static void cache_with_free_space(const char *path)
{
	struct store *s = NULL;
	char err[256];
	int64_t acct, box;
	static char body[60001];
	memset(body, 'x', sizeof(body) - 1);
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "localhost", 143,
	                                  "u"),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(&box, s, acct, "Old", "/", "", NULL),
	             STORE_OK);
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 1; uid <= 800; uid++) {
		struct store_msg m = {.uid = uid, .flags = "", .size = 60000};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
		cr_assert_eq(store_body_put(s, box, uid, NULL, body, false),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	cr_assert_eq(store_mailbox_delete(s, box), STORE_OK);
	cr_assert_eq(store_wal_truncate(s), STORE_OK);
	store_close(&s);
}

/* A --once run gives back some of the free space a dropped folder left,
 * even when its account fails; --compact gives back all of it, and goes
 * with -c alone. */
Test(mailmirrord_cli, free_space_is_given_back)
{
	char line[512], cache[300];
	snprintf(cache, sizeof(cache), "%s/c.db", dir);
	snprintf(line, sizeof(line), "cache = \"%s\";", cache);
	write_conf(line);
	cache_with_free_space(cache);
	off_t full = size_of(cache);
	cr_assert_gt(full, 40 << 20);

	cr_assert_neq(run("", "-c m.conf --once"), 0, "nothing listens");
	off_t once = size_of(cache);
	cr_assert_lt(once, full - (4 << 20), "%lld of %lld bytes left: %s",
	             (long long)once, (long long)full, said);

	cr_assert_eq(run("", "-c m.conf --compact --once"), 64, "%s", said);
	cr_assert(strstr(said, "--compact goes with -c alone"), "%s", said);
	cr_assert_eq(run("", "-c m.conf --compact"), 0, "%s", said);
	cr_assert_lt(size_of(cache), 1 << 20);
}

/* "JOURNAL_STREAM=DEV:INO" of the file run() sends stderr to, as systemd
 * names the stream it connects: stderr is then the journal (log.c). The
 * file is made now; run()'s "2>" truncates it and keeps its inode. */
static const char *journal_env(void)
{
	static char env[128];
	char errf[128];
	struct stat sb;
	FILE *f;

	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	f = fopen(errf, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(stat(errf, &sb), 0);
	snprintf(env, sizeof(env), "JOURNAL_STREAM=%llu:%llu",
	         (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino);
	return env;
}

/* Report explore14 #8: under the journal a configuration error had no
 * priority, so "journalctl -p err" showed nothing of a failed start. Each
 * line is "<3>" and the words a terminal gets. */
Test(mailmirrord_cli, configuration_errors_are_errors_in_the_journal)
{
	char line[512], want[1024];

	snprintf(line, sizeof(line), "cache = \"%s/sub/cache.db\";", dir);
	write_conf(line);
	snprintf(want, sizeof(want),
	         "<3>m.conf:1: cache: directory %s/sub does not exist\n", dir);
	cr_assert_eq(run(journal_env(), "-c m.conf --check-config"), 78, "%s",
	             said);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run(journal_env(), "-c m.conf --once"), 78, "%s", said);
	cr_assert_str_eq(said, want);

	write_conf("colour = \"blue\";");
	cr_assert_eq(run(journal_env(), "-c m.conf --once"), 78, "%s", said);
	cr_assert(strncmp(said, "<3>m.conf:1: ", 13) == 0, "%s", said);
	cr_assert_eq(strchr(said, '\n')[1], '\0', "one line: %s", said);
	/* and on a terminal, the text alone */
	cr_assert_eq(run("", "-c m.conf --once"), 78, "%s", said);
	cr_assert(strncmp(said, "m.conf:1: ", 10) == 0, "%s", said);

	snprintf(want, sizeof(want),
	         "<3>mailmirrord: cache: directory %s/gone does not exist\n",
	         dir);
	write_conf("");
	snprintf(line, sizeof(line), "STATE_DIRECTORY=$PWD/gone %s",
	         journal_env());
	cr_assert_eq(run(line, "-c m.conf --once"), 78, "%s", said);
	cr_assert_str_eq(said, want);
}

/* Waits up to 10 s for text in what the daemon wrote on stderr so far
 * (then in said). */
static bool stderr_has(const char *text)
{
	char errf[128];

	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(errf, "r"); /* NULL: not made yet */
		if (f != NULL) {
			size_t n = fread(said, 1, sizeof(said) - 1, f);
			said[n] = '\0';
			fclose(f);
			if (strstr(said, text))
				return true;
		}
		usleep(50 * 1000);
	}
	return false;
}

/* A configuration whose account "a" fails at once: nothing listens on
 * port 1, and it backs off. */
static void write_failing_conf(void)
{
	char name[128];
	FILE *f;

	snprintf(name, sizeof(name), "%s/m.conf", dir);
	f = fopen(name, "w");
	cr_assert_not_null(f);
	fprintf(f,
	        "cache = \"%s/c.db\";\naccounts = ( { name = \"a\"; "
	        "host = \"127.0.0.1\"; port = 1; tls = \"none\"; "
	        "user = \"u\"; password = \"p\"; } );\n",
	        dir);
	fclose(f);
}

/* Starts "mailmirrord -c m.conf [arg]" in dir, its stderr into
 * dir/stderr, with JOURNAL_STREAM=journal unless that is NULL. */
static pid_t spawn(const char *journal, const char *arg)
{
	char errf[128];
	pid_t pid;

	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", bin);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0 || chdir(dir) < 0)
			_exit(127);
		if (journal)
			setenv("JOURNAL_STREAM", journal, 1);
		else
			unsetenv("JOURNAL_STREAM");
		unsetenv("STATE_DIRECTORY");
		unsetenv("NOTIFY_SOCKET");
		execl(bin, "mailmirrord", "-c", "m.conf", arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Stops what spawn() started; its exit status. */
static int stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The same at a SIGHUP: the reason of a failed reload was a line without
 * a priority, and only "reload failed" an error. */
Test(mailmirrord_cli, a_failed_reload_says_why_as_an_error)
{
	char name[128];
	FILE *f;

	write_failing_conf();
	pid_t pid = spawn(journal_env() + strlen("JOURNAL_STREAM="), NULL);
	bool started = stderr_has("<5>[-] mailmirrord started");
	if (started) {
		snprintf(name, sizeof(name), "%s/m.conf", dir);
		f = fopen(name, "w");
		cr_assert_not_null(f);
		fputs("accounts = ( {\n", f);
		fclose(f);
		kill(pid, SIGHUP);
	}
	bool refused = started && stderr_has("reload failed");
	int status = stop(pid);
	cr_assert(started, "%s", said);
	cr_assert(refused, "%s", said);
	cr_assert(strstr(said, "\n<3>m.conf:2: "), "%s", said);
	cr_assert(strstr(said, "\n<3>[-] reload failed"), "%s", said);
	cr_assert_eq(status, 0, "%s", said);
}

/* Writes text into dir/name with mode. */
static void write_text(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A tester's finding: --check-config run as root refused the password_file
 * root:mailmirror 0640 that the service, run as mailmirror, reads. Root
 * checks for that user now; a start as root, which is not that user,
 * still refuses it. */
Test(mailmirrord_cli, a_check_as_root_takes_the_services_password_file)
{
	char conf[1024], path[256];

	if (geteuid() != 0)
		cr_skip_test(
		        "gives a file to the service's group: run as root");
	make_service_accounts();
	struct passwd *pw = getpwnam(SVC_USER);
	cr_assert_not_null(pw);
	write_text("pw", "x\n", 0640);
	snprintf(path, sizeof(path), "%s/pw", dir);
	cr_assert_eq(chown(path, 0, pw->pw_gid), 0);
	snprintf(conf, sizeof(conf),
	         "cache = \"%s/cache.db\";\n"
	         "accounts = ( { name = \"a\"; host = \"localhost\"; "
	         "tls = \"none\"; user = \"u\"; password_file = \"pw\"; "
	         "} );\n",
	         dir);
	write_text("m.conf", conf, 0600);
	cr_assert_eq(run("", "-c m.conf --check-config"), 0, "%s", said);
	cr_assert_str_eq(said, "");
	cr_assert_eq(run("", "-c m.conf --once"), 78, "%s", said);
	cr_assert(strstr(said, "password_file " /* as root's daemon */), "%s",
	          said);

	/* Readable by anyone: refused by the check too. */
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert(strstr(said, "is readable by anyone (mode 0644)"), "%s",
	          said);
}

/* Mistakes in two accounts, which a check said one stage at a time: the
 * integer out of range alone, then the keys, then the checks across the
 * keys of an account that had a wrong one. */
static const char staged_conf[] = "poll_interval = 5;\n"
                                  "accounts = (\n"
                                  "  {\n"
                                  "    name = \"work\";\n"
                                  "    host = \"imap.example.org\";\n"
                                  "    user = \"alice\";\n"
                                  "    pasword = \"x\";\n"
                                  "    password_file = \"pw-open\";\n"
                                  "    ca_file = \"/nonexistent/ca.pem\";\n"
                                  "  },\n"
                                  "  {\n"
                                  "    name = \"home\";\n"
                                  "    tunnel = \"ssh mail imap\";\n"
                                  "    host = \"h\";\n"
                                  "    tls = \"starttls\";\n"
                                  "    timeout = 99999999999;\n"
                                  "  }\n"
                                  ");\n";

/* What a check or a start says of staged_conf, "<3>" before each line
 * when pri. */
static void staged_errors(char *out, size_t len, bool pri)
{
	const char *p = pri ? "<3>" : "";
	snprintf(out, len,
	         "%sm.conf:1: poll_interval must be an integer between 10 and "
	         "86400\n"
	         "%sm.conf:7: account \"work\": unknown key \"pasword\" (did "
	         "you mean \"password\"?)\n"
	         "%sm.conf:8: account \"work\": password_file %s/pw-open is "
	         "readable by anyone (mode 0644); chmod 600 %s/pw-open\n"
	         "%sm.conf:9: account \"work\": ca_file /nonexistent/ca.pem: "
	         "No such file or directory\n"
	         "%sm.conf:14: account \"home\": tunnel replaces host and "
	         "port; remove host\n"
	         "%sm.conf:15: account \"home\": tls is not available over a "
	         "tunnel: the tunnel's command must secure the connection (ssh "
	         "does); remove tls or set it to \"none\"\n"
	         "%sm.conf:16: integer 99999999999 is out of range\n",
	         p, p, p, dir, dir, p, p, p, p);
}

/* Every error the check can find, in one run, in the order of the file,
 * as a compiler lists them; 78, and nothing written. */
Test(mailmirrord_cli, every_configuration_error_is_said_in_one_run)
{
	char want[4096], name[256];

	write_text("pw-open", "x\n", 0644);
	write_text("m.conf", staged_conf, 0600);
	staged_errors(want, sizeof(want), false);
	cr_assert_eq(
	        run("XDG_STATE_HOME=$PWD/state", "-c m.conf --check-config"),
	        78, "%s", said);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run("XDG_STATE_HOME=$PWD/state", "-c m.conf --once"), 78,
	             "%s", said);
	cr_assert_str_eq(said, want, "a start says the same");
	snprintf(name, sizeof(name), "%s/state", dir);
	cr_assert_neq(access(name, F_OK), 0, "%s was written", name);

	/* A file of nothing but mistakes does not flood the terminal: 20
	 * lines (the first, a missing accounts), and a count of the rest. */
	char text[4096] = "";
	for (int i = 0; i < 25; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "bogus%d = 1;\n", i);
	}
	write_text("m.conf", text, 0600);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	const char *tail = strstr(said, "m.conf:19: unknown key \"bogus18\"\n");
	cr_assert_not_null(tail, "%s", said);
	cr_assert_str_eq(strchr(tail, '\n') + 1,
	                 "m.conf: ... and 6 more errors\n");
	size_t lines = 0;
	for (const char *p = said; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 21, "%s", said);
}

/* A reload with a bad file keeps the running configuration, and logs
 * every error of the file, not the first stage of them. */
Test(mailmirrord_cli, a_failed_reload_logs_every_error)
{
	char want[4096];

	write_failing_conf();
	pid_t pid = spawn(journal_env() + strlen("JOURNAL_STREAM="), NULL);
	bool started = stderr_has("<5>[-] mailmirrord started");
	if (started) {
		write_text("pw-open", "x\n", 0644);
		write_text("m.conf", staged_conf, 0600);
		kill(pid, SIGHUP);
	}
	bool refused = started && stderr_has("reload failed");
	int status = stop(pid);
	cr_assert(started, "%s", said);
	cr_assert(refused, "%s", said);
	staged_errors(want, sizeof(want), true);
	cr_assert(strstr(said, want), "%s", said);
	cr_assert(strstr(said, "\n<3>[-] reload failed"), "%s", said);
	cr_assert_eq(status, 0, "%s", said);
}

/* Report explore14 #9: each retry of a failing account repeated its
 * warning. The second failure with the same error is "still failing" at
 * info level (failstreak.c has the hourly warning). */
Test(mailmirrord_cli, a_repeated_failure_is_no_new_warning)
{
	write_failing_conf();
	pid_t pid = spawn(NULL, "-v");
	bool twice = stderr_has("(2 attempts)");
	stop(pid);
	cr_assert(twice, "%s", said);
	const char *first = strstr(said, "warning: [a] connect");
	cr_assert_not_null(first, "%s", said);
	cr_assert(strstr(first, "; retrying in 1 s\n"), "%s", said);
	const char *again = strstr(said, "info: [a] still failing since ");
	cr_assert_not_null(again, "%s", said);
	cr_assert(again > first, "%s", said);
	cr_assert_eq(strstr(first + 1, "warning: [a]"), NULL, "%s", said);
}

/* explore35: 400 accounts on one server connected at once. Against a
 * server that accepts and never greets, only CONNGATE_PER_SERVER of 12
 * accounts are connecting; the others wait their turn, and a stop still
 * ends the daemon at once. */
Test(mailmirrord_cli, accounts_take_turns_to_connect_to_one_server,
     .timeout = 30)
{
	uint16_t port;
	int lfd = silent_listener(64, &port);
	cr_assert(lfd >= 0);
	char name[128];
	write_accounts(12, port, " timeout = 60;");
	snprintf(name, sizeof(name), "%s/m.conf", dir);

	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", bin);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char errf[128];
		snprintf(errf, sizeof(errf), "%s/stderr", dir);
		if (!freopen(errf, "w", stderr))
			_exit(127);
		execl(bin, bin, "-c", name, (char *)NULL);
		_exit(127);
	}
	int fl = fcntl(lfd, F_GETFL);
	cr_assert_eq(fcntl(lfd, F_SETFL, fl | O_NONBLOCK), 0);
	/* Held open while counted: a closed one frees a turn at once. */
	int held[16], n = 0, c;
	int64_t until = mono_ms() + 10000;
	while (n < CONNGATE_PER_SERVER && mono_ms() < until) {
		if ((c = accept(lfd, NULL, NULL)) >= 0)
			held[n++] = c;
		else
			usleep(20000);
	}
	cr_assert_eq(n, CONNGATE_PER_SERVER, "%d connections", n);
	/* and no more while they are being set up */
	sleep(1);
	cr_assert_eq(accept(lfd, NULL, NULL), -1, "more at once");
	cr_assert_eq(errno, EAGAIN);

	/* Closed, they end those attempts: the others take their turn. */
	for (int i = 0; i < n; i++)
		close(held[i]);
	until = mono_ms() + 5000;
	int later = 0;
	while (later < 12 - CONNGATE_PER_SERVER && mono_ms() < until) {
		if ((c = accept(lfd, NULL, NULL)) >= 0) {
			held[later++] = c;
			continue;
		}
		usleep(20000);
	}
	cr_assert_eq(later, 12 - CONNGATE_PER_SERVER);
	for (int i = 0; i < later; i++)
		close(held[i]);

	cr_assert_eq(kill(pid, SIGTERM), 0);
	int st = 0;
	for (int i = 0; i < 300 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert_fail("still running 3 s after SIGTERM");
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	close(lfd);
}

/* explore36: mailmirror with a relative STATE_DIRECTORY exited 3, which
 * the manual keeps for "no cache yet"; it is the environment's error. */
Test(mailmirrord_cli, the_query_tools_bad_environment_is_no_missing_cache)
{
	char query[4096], cmd[8192];
	snprintf(query, sizeof(query), "%s", bin);
	char *slash = strrchr(query, '/');
	cr_assert_not_null(slash);
	snprintf(slash + 1, sizeof(query) - (size_t)(slash + 1 - query),
	         "mailmirror");
	if (access(query, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", query);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && STATE_DIRECTORY=relative/dir '%s' count "
	         ">/dev/null 2>&1",
	         dir, query);
	int st = system(cmd);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 6);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && STATE_DIRECTORY='%s' '%s' count >/dev/null 2>&1",
	         dir, dir, query);
	st = system(cmd);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 3, "no cache yet");
}

/* Whether said is one line: a time as log.h gives it ("+05:30" its
 * offset), then text. */
static bool dated(const char *offset, const char *text)
{
	char pattern[512];
	regex_t re;

	snprintf(pattern, sizeof(pattern),
	         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	         "\\.[0-9]{3}\\%s %s\n$",
	         offset, text);
	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED), 0, "%s", pattern);
	bool ok = regexec(&re, said, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* An admin who runs "mailmirrord -c FILE 2>>/var/log/mailmirrord.log"
 * (cron, runit, nohup) got a file of undated lines. In a regular file each
 * line starts with the local time; through a pipe (svlogd, docker, logger
 * stamp lines themselves) not; --log-time=always|never overrides, and
 * anything else is a usage error. */
Test(mailmirrord_cli, log_lines_are_dated_in_a_file_only)
{
	static const char text[] = "m.conf:1: unknown key \"colour\"";
	write_conf("colour = \"blue\";");
	/* the first line, a configuration error, is dated too */
	cr_assert_eq(run_how("TZ=XYZ-5:30", false, "-c m.conf --once"), 78,
	             "%s", said);
	cr_assert(dated("+05:30", text), "%s", said);
	cr_assert_eq(run_how("TZ=UTC0", false, "-c m.conf --check-config"), 78,
	             "%s", said);
	cr_assert(dated("+00:00", text), "%s", said);

	cr_assert_eq(run_how("TZ=UTC0", true, "-c m.conf --once"), 78, "%s",
	             said);
	cr_assert_str_eq(said, "m.conf:1: unknown key \"colour\"\n");

	cr_assert_eq(
	        run_how("TZ=UTC0", false, "--log-time=never -c m.conf --once"),
	        78, "%s", said);
	cr_assert_str_eq(said, "m.conf:1: unknown key \"colour\"\n");
	cr_assert_eq(
	        run_how("TZ=UTC0", true, "--log-time=always -c m.conf --once"),
	        78, "%s", said);
	cr_assert(dated("+00:00", text), "%s", said);
	cr_assert_eq(
	        run_how("TZ=UTC0", true, "--log-time auto -c m.conf --once"),
	        78, "%s", said);
	cr_assert_str_eq(said, "m.conf:1: unknown key \"colour\"\n");

	cr_assert_eq(run_how("", false, "--log-time=sometimes -c m.conf"), 64,
	             "%s", said);
	cr_assert(strstr(said, "--log-time is auto, always or never, not "
	                       "\"sometimes\""),
	          "%s", said);
}

/* Waits (10 s at most) for dir/name to exist; whether it does. Polled
 * often: the moment is what the caller needs. */
static bool appears(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 20000; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(500);
	}
	return false;
}

/* Removes the cache of write_failing_conf(): the next start makes it
 * anew, the longest of the steps before the main loop. */
static void forget_cache(void)
{
	static const char *const sfx[] = {"", "-wal", "-shm", ".lock"};
	char path[256];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s/c.db%s", dir, sfx[i]);
		unlink(path);
	}
}

/* explore81: a signal while the cache was being made (the first tenth of
 * a second) killed the daemon by its default action, 143 for SIGTERM or
 * 129 for SIGHUP, where mailmirrord(8) promises an exit with status 0 and
 * a reload. The signal goes the moment the cache file appears, a few
 * times over to meet the window. */
Test(mailmirrord_cli, a_signal_as_the_daemon_starts_is_handled, .timeout = 60)
{
	write_failing_conf();
	for (int i = 0; i < 3; i++) {
		forget_cache();
		pid_t pid = spawn(NULL, NULL);
		bool made = appears("c.db");
		int status = stop(pid);
		cr_assert(made, "no cache made: %s", said);
		cr_assert_eq(status, 0, "try %d: status %d", i, status);
	}
	/* --once: a run stopped before its end is a failed one (1). */
	for (int i = 0; i < 3; i++) {
		forget_cache();
		pid_t pid = spawn(NULL, "--once");
		bool made = appears("c.db");
		int status = stop(pid);
		cr_assert(made, "no cache made: %s", said);
		cr_assert_eq(status, 1, "--once, try %d: status %d", i, status);
	}
	/* A reload asked for before the main loop is made in it. */
	for (int i = 0; i < 3; i++) {
		forget_cache();
		pid_t pid = spawn(NULL, NULL);
		bool made = appears("c.db");
		if (made)
			kill(pid, SIGHUP);
		bool reloaded = made && stderr_has("reloaded: 1 account");
		int status = stop(pid);
		cr_assert(made, "no cache made: %s", said);
		cr_assert(reloaded, "try %d: %s", i, said);
		cr_assert_eq(status, 0, "try %d: status %d", i, status);
	}
}

/* A configuration of the service's, root:SVC_USER 0640 in dir, with the
 * password inline and account "a" disabled; cache_line first. */
static void write_service_conf(const char *cache_line)
{
	char conf[1024], path[256];

	make_service_accounts();
	struct passwd *pw = getpwnam(SVC_USER);
	cr_assert_not_null(pw);
	snprintf(conf, sizeof(conf),
	         "%s\naccounts = ( { name = \"a\"; host = \"127.0.0.1\"; "
	         "port = 1; tls = \"none\"; user = \"u\"; password = \"p\"; "
	         "enabled = false; } );\n",
	         cache_line);
	write_text("m.conf", conf, 0640);
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	cr_assert_eq(chown(path, 0, pw->pw_gid), 0);
}

/* explore81: root running the service's configuration by hand was told
 * "chmod 600 m.conf", which stops the service; a check as root, which
 * judges for the service, was told so too. */
Test(mailmirrord_cli, root_on_a_services_configuration_is_told_to_run_as_it)
{
	char line[256];

	if (geteuid() != 0)
		cr_skip_test(
		        "gives a file to the service's group: run as root");
	snprintf(line, sizeof(line), "cache = \"%s/c.db\";", dir);
	write_service_conf(line);
	cr_assert_eq(run("", "-c m.conf --check-config"), 0, "%s", said);
	cr_assert_str_eq(said, "");
	/* Any run loads it: --compact of a cache that is not there is the
	 * quickest. */
	cr_assert_eq(run("", "-c m.conf --compact"), 1, "%s", said);
	cr_assert(strstr(said,
	                 "m.conf:2: account \"a\": its password is in this "
	                 "file, which its group may read (mode 0640), "
	                 "and " SVC_USER
	                 " alone is in it: it is the file of a service run as "
	                 "that user, and mailmirrord runs as root; run it as "
	                 "that user, as the service does (runuser -u " SVC_USER
	                 " -- env STATE_DIRECTORY=/var/lib/mailmirror "
	                 "mailmirrord ...)\n"),
	          "%s", said);
	cr_assert_null(strstr(said, "chmod"), "%s", said);
}

/* explore81: root running the service's configuration without the unit's
 * $STATE_DIRECTORY mirrored every account into a new cache in its own
 * home, silently. */
Test(mailmirrord_cli, root_making_its_own_cache_for_a_service_is_warned)
{
	char env[512];

	if (geteuid() != 0)
		cr_skip_test(
		        "gives a file to the service's group: run as root");
	write_service_conf("");
	snprintf(env, sizeof(env), "-u XDG_STATE_HOME HOME='%s'", dir);
	cr_assert_eq(run(env, "-c m.conf --once"), 0, "%s", said);
	cr_assert(strstr(said, "m.conf is the configuration of a service run "
	                       "as " SVC_USER ", and this run as root makes a "
	                       "new cache of its own, "),
	          "%s", said);
	cr_assert(strstr(said, "runuser -u " SVC_USER " -- env "
	                       "STATE_DIRECTORY=/var/lib/mailmirror "
	                       "mailmirrord -c m.conf\n"),
	          "%s", said);
	/* Its own cache made, root goes on with it unwarned. */
	cr_assert_eq(run(env, "-c m.conf --once"), 0, "%s", said);
	cr_assert_null(strstr(said, "configuration of a service"), "%s", said);
}
