/* test_cache_owner.c - whose cache mailmirrord writes mail into.
 *
 * explore73: root ran the daemon on a cache another user owned, in a
 * folder anyone could write, and mirrored mail into it, which that user
 * then read. The cache, its -wal and -shm must be the daemon user's, in
 * folders no one else may change (a sticky one aside); else
 * --check-config, a start and --compact exit 78 before anything is
 * written. Run as the user runs them: the built mailmirrord beside this
 * test binary. The tests give files away: they run as root, as CI does. */
#include "as_nobody.h"
#include "cache/schema.h"
#include "mailmirrord/trust.h"

#include <criterion/criterion.h>
#include <libgen.h>
#include <stdarg.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-owner-XXXXXX";
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
	cr_assert_eq(chdir(dir), 0);
}

static void teardown(void)
{
	char cmd[128];

	if (chdir("/") != 0)
		cr_log_warn("chdir /");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(cache_owner, .init = setup, .fini = teardown);

static void need_root(void)
{
	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", bin);
	cr_assert_eq(geteuid(), 0, "this test gives files away: run as root");
}

/* Runs "env ENV mailmirrord -c m.conf ARG" in dir, as nobody when
 * as_nobody; its exit status, with what it wrote on stderr in said, a
 * file, undated (--log-time=never: the words are what is compared). */
static int run_as(bool as_nobody, const char *env, const char *arg)
{
	char cmd[8192];
	int st;

	if (as_nobody && access("/usr/bin/setpriv", X_OK) != 0)
		cr_skip_test("setpriv (util-linux) is missing");
	snprintf(cmd, sizeof(cmd),
	         "env -u STATE_DIRECTORY %s %s '%s' --log-time=never -c m.conf "
	         "%s >/dev/null 2>'%s/stderr'",
	         env,
	         as_nobody ? "setpriv --reuid=65534 --regid=65534 "
	                     "--clear-groups"
	                   : "",
	         bin, arg, dir);
	st = system(cmd);
	snprintf(cmd, sizeof(cmd), "%s/stderr", dir);
	FILE *f = fopen(cmd, "r");
	cr_assert_not_null(f);
	size_t n = fread(said, 1, sizeof(said) - 1, f);
	said[n] = '\0';
	fclose(f);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int run(const char *arg)
{
	return run_as(false, "", arg);
}

/* m.conf, 0600: the cache at dir/cache (none: the default) and an
 * account that is never reached. */
static void write_conf(const char *cache)
{
	FILE *f = fopen("m.conf", "w");
	cr_assert_not_null(f);
	if (cache)
		fprintf(f, "cache = \"%s/%s\";\n", dir, cache);
	fprintf(f, "accounts = ( { name = \"a\"; host = \"127.0.0.1\"; "
	           "port = 1; tls = \"none\"; user = \"u\"; "
	           "password = \"p\"; } );\n");
	fclose(f);
	cr_assert_eq(chmod("m.conf", 0600), 0);
}

/* An empty cache of this version at path, of uid:uid, with mode. */
static void make_cache(const char *path, uid_t uid, mode_t mode)
{
	sqlite3 *db;
	char err[256] = "";
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(cache_migrate(db, CACHE_SCHEMA_VERSION, err, sizeof(err)),
	             CACHE_OK, "%s", err);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	cr_assert_eq(chown(path, uid, uid), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

static void make_file(const char *path, uid_t uid)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(chown(path, uid, uid), 0);
}

/* "uid N (name)" as the daemon names a user. */
static const char *who(uid_t uid)
{
	static char out[2][300];
	static int i;
	struct passwd *pw = getpwuid(uid);
	i = !i;
	if (pw)
		snprintf(out[i], sizeof(out[i]), "uid %u (%s)", (unsigned)uid,
		         pw->pw_name);
	else
		snprintf(out[i], sizeof(out[i]), "uid %u", (unsigned)uid);
	return out[i];
}

/* said is the line fmt makes. */
__attribute__((format(printf, 1, 2))) static void expect_said(const char *fmt,
                                                              ...)
{
	char want[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	cr_assert_str_eq(said, want);
}

static void expect_owner(const char *path, uid_t uid, mode_t mode)
{
	struct stat sb;
	cr_assert_eq(lstat(path, &sb), 0, "%s", path);
	cr_assert_eq(sb.st_uid, uid, "%s: uid %u", path, (unsigned)sb.st_uid);
	cr_assert_eq(sb.st_mode & 07777, mode, "%s: mode %04o", path,
	             (unsigned)(sb.st_mode & 07777));
}

/* explore73 as it was found: a cache of nobody's, 0666, in a folder of
 * 0777; root's daemon wrote mail into it (made 0600, still nobody's, with
 * a -wal and -shm of nobody's beside it). Each mode refuses it now, in
 * the same words, naming both faults, and leaves it as it was. */
Test(cache_owner, another_users_cache_is_refused_and_left_alone)
{
	need_root();
	cr_assert_eq(mkdir("ww", 0777), 0);
	cr_assert_eq(chmod("ww", 0777), 0);
	make_cache("ww/cache.db", NOBODY_ID, 0666);
	write_conf("ww/cache.db");

	static const char *const modes[] = {"--check-config", "--once",
	                                    "--compact"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(run(modes[i]), 78, "%s: %s", modes[i], said);
		expect_said("m.conf:1: cache: %s/ww/cache.db: it belongs to "
		            "%s, not to %s, who runs mailmirrord, and the mail "
		            "mirrored into it must be the runner's alone: run "
		            "mailmirrord as its owner if it is theirs (a "
		            "service's cache), chown root %s/ww/cache.db* if "
		            "it is yours, else remove it or choose another "
		            "cache\n"
		            "m.conf:1: cache: %s/ww/cache.db: anyone may write "
		            "its folder %s/ww (mode 0777), and so put another "
		            "file in its place; chmod o-w %s/ww, or choose "
		            "another cache\n",
		            dir, who(NOBODY_ID), who(0), dir, dir, dir, dir);
		expect_owner("ww/cache.db", NOBODY_ID, 0666);
		cr_assert_neq(access("ww/cache.db-wal", F_OK), 0);
		cr_assert_neq(access("ww/cache.db-shm", F_OK), 0);
	}

	/* Root's own, in that folder: anyone could swap it for theirs. */
	cr_assert_eq(chown("ww/cache.db", 0, 0), 0);
	cr_assert_eq(run("--once"), 78, "%s", said);
	expect_said("m.conf:1: cache: %s/ww/cache.db: anyone may write its "
	            "folder %s/ww (mode 0777), and so put another file in its "
	            "place; chmod o-w %s/ww, or choose another cache\n",
	            dir, dir, dir);
	expect_owner("ww/cache.db", 0, 0666);

	/* Sticky, as /tmp: only a file's owner may rename or remove it. */
	cr_assert_eq(chmod("ww", 01777), 0);
	cr_assert_eq(run("--check-config"), 0, "%s", said);
	cr_assert_str_eq(said, "");

	/* ... but anyone may put a -wal or -shm there before the daemon
	 * does, which SQLite would take. */
	make_file("ww/cache.db-wal", NOBODY_ID);
	cr_assert_eq(run("--once"), 78, "%s", said);
	/* explore74: the cache being ours, its owner is no one to run as */
	expect_said("m.conf:1: cache: %s/ww/cache.db-wal: it belongs to %s, "
	            "not to %s, who runs mailmirrord and owns the cache: a "
	            "run as that user left it; chown root %s/ww/cache.db* "
	            "(as root)\n",
	            dir, who(NOBODY_ID), who(0), dir);
	expect_owner("ww/cache.db-wal", NOBODY_ID, 0644);
	cr_assert_eq(unlink("ww/cache.db-wal"), 0);

	cr_assert_eq(symlink("/tmp/elsewhere", "ww/cache.db-shm"), 0);
	cr_assert_eq(run("--check-config"), 78, "%s", said);
	expect_said("m.conf:1: cache: %s/ww/cache.db-shm is not a regular "
	            "file; remove it (SQLite makes it anew)\n",
	            dir);
}

/* The tester's finding: the check named one fault a run, and a user who
 * fixed it was told the next at the next run. Every fault of the files
 * and the folders is named at once, a line each with its way out; a
 * second file of the owner already named, whose "chown ... cache.db*"
 * gives it back too, is not named again. */
Test(cache_owner, every_fault_is_named_in_one_run)
{
	need_root();
	cr_assert_eq(mkdir("ww", 0777), 0);
	cr_assert_eq(chmod("ww", 0777), 0);
	cr_assert_eq(chown("ww", NOBODY_ID, NOBODY_ID), 0);
	make_cache("ww/cache.db", NOBODY_ID, 0600);
	make_file("ww/cache.db-wal", NOBODY_ID);
	cr_assert_eq(symlink("/tmp/elsewhere", "ww/cache.db-shm"), 0);
	write_conf("ww/cache.db");

	static const char *const modes[] = {"--check-config", "--once",
	                                    "--compact"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(run(modes[i]), 78, "%s: %s", modes[i], said);
		expect_said(
		        "m.conf:1: cache: %s/ww/cache.db: it belongs to %s, "
		        "not to %s, who runs mailmirrord, and the mail "
		        "mirrored into it must be the runner's alone: run "
		        "mailmirrord as its owner if it is theirs (a service's "
		        "cache), chown root %s/ww/cache.db* if it is yours, "
		        "else remove it or choose another cache\n"
		        "m.conf:1: cache: %s/ww/cache.db-shm is not a regular "
		        "file; remove it (SQLite makes it anew)\n"
		        "m.conf:1: cache: %s/ww/cache.db: its folder %s/ww "
		        "belongs to %s, who could put a file of theirs in the "
		        "cache's place; it must belong to root, or choose "
		        "another cache\n"
		        "m.conf:1: cache: %s/ww/cache.db: anyone may write its "
		        "folder %s/ww (mode 0777), and so put another file in "
		        "its place; chmod o-w %s/ww, or choose another cache\n",
		        dir, who(NOBODY_ID), who(0), dir, dir, dir, dir,
		        who(NOBODY_ID), dir, dir, dir);
		expect_owner("ww/cache.db", NOBODY_ID, 0600);
	}

	/* The cache root's, its journals nobody's: one way out for both. */
	cr_assert_eq(chown("ww", 0, 0), 0);
	cr_assert_eq(chmod("ww", 0755), 0);
	cr_assert_eq(chown("ww/cache.db", 0, 0), 0);
	cr_assert_eq(unlink("ww/cache.db-shm"), 0);
	make_file("ww/cache.db-shm", NOBODY_ID);
	cr_assert_eq(run("--check-config"), 78, "%s", said);
	expect_said("m.conf:1: cache: %s/ww/cache.db-wal: it belongs to %s, "
	            "not to %s, who runs mailmirrord and owns the cache: a "
	            "run as that user left it; chown root %s/ww/cache.db* "
	            "(as root)\n",
	            dir, who(NOBODY_ID), who(0), dir);
}

/* More than the check keeps: counted in a last line. Nine folders anyone
 * may write, one in the other. */
Test(cache_owner, faults_beyond_those_kept_are_counted)
{
	need_root();
	char sub[256] = "";
	for (int i = 0; i < 9; i++) {
		strcat(sub, i ? "/d" : "d");
		cr_assert_eq(mkdir(sub, 0777), 0);
		cr_assert_eq(chmod(sub, 0777), 0);
	}
	char cache[300];
	snprintf(cache, sizeof(cache), "%s/cache.db", sub);
	write_conf(cache);
	cr_assert_eq(run("--check-config"), 78, "%s", said);
	size_t lines = 0;
	for (const char *p = said; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, TRUST_MAX_PROBLEMS + 1, "%s", said);
	cr_assert(strstr(said, "\nm.conf:1: cache: ... and 1 more problem\n"),
	          "%s", said);
	/* the cache's own folder first, and up from there */
	char first[2048];
	snprintf(first, sizeof(first),
	         "m.conf:1: cache: %s/%s: anyone may write its folder %s/%s "
	         "(mode 0777)",
	         dir, cache, dir, sub);
	cr_assert(strncmp(said, first, strlen(first)) == 0, "%s", said);
}

/* As the configuration's folders (trust.h): a folder on the cache's path
 * must be root's or the daemon user's, and only a group that is its
 * owner's alone may write it. */
Test(cache_owner, a_folder_another_user_may_change_is_refused)
{
	need_root();
	cr_assert_eq(mkdir("theirs", 0755), 0);
	cr_assert_eq(mkdir("theirs/sub", 0700), 0);
	cr_assert_eq(chown("theirs", NOBODY_ID, NOBODY_ID), 0);
	make_cache("theirs/sub/cache.db", 0, 0600);
	write_conf("theirs/sub/cache.db");
	cr_assert_eq(run("--check-config"), 78, "%s", said);
	expect_said("m.conf:1: cache: %s/theirs/sub/cache.db: its folder "
	            "%s/theirs belongs to %s, who could put a file of theirs "
	            "in the cache's place; it must belong to root, or choose "
	            "another cache\n",
	            dir, dir, who(NOBODY_ID));

	cr_assert_eq(mkdir("shared", 0770), 0);
	cr_assert_eq(chmod("shared", 0770), 0);
	cr_assert_eq(chown("shared", 0, NOBODY_ID), 0);
	write_conf("shared/cache.db");
	cr_assert_eq(run("--compact"), 78, "%s", said);
	expect_said("m.conf:1: cache: %s/shared/cache.db: its group's users "
	            "may write its folder %s/shared (mode 0770), and so put "
	            "another file in its place; chmod g-w %s/shared, or "
	            "choose another cache\n",
	            dir, dir, dir);
	/* root's group is root's alone: a user's private group */
	cr_assert_eq(chown("shared", 0, 0), 0);
	cr_assert_eq(run("--check-config"), 0, "%s", said);
}

/* The default's folder is judged before the daemon makes it: the nearest
 * one there is where another user could put theirs. */
Test(cache_owner, the_default_cache_is_judged_before_its_folder_is_made)
{
	need_root();
	cr_assert_eq(mkdir("open", 0777), 0);
	cr_assert_eq(chmod("open", 0777), 0);
	write_conf(NULL);
	cr_assert_eq(run_as(false, "XDG_STATE_HOME=$PWD/open", "--once"), 78,
	             "%s", said);
	expect_said("mailmirrord: cache: %s/open/mailmirror/cache.db: anyone "
	            "may write its folder %s/open (mode 0777), and so put "
	            "another file in its place; chmod o-w %s/open, or choose "
	            "another cache\n",
	            dir, dir, dir);
	cr_assert_neq(access("open/mailmirror", F_OK), 0, "made anyway");
	cr_assert_eq(
	        run_as(false, "XDG_STATE_HOME=$PWD/none", "--check-config"), 0,
	        "%s", said);
}

/* A service user's daemon (nobody here) in its StateDirectory= (its own,
 * 0700, under root's folders) takes its own cache, and not root's, even
 * one it may write: it could not keep it private (chmod), and root's
 * files are not the service's. */
Test(cache_owner, a_service_user_takes_its_own_cache_only)
{
	need_root();
	cr_assert_eq(chmod(dir, 0711), 0);
	write_conf(NULL);
	cr_assert_eq(chown("m.conf", NOBODY_ID, NOBODY_ID), 0);
	cr_assert_eq(mkdir("state", 0700), 0);
	cr_assert_eq(chown("state", NOBODY_ID, NOBODY_ID), 0);
	make_cache("state/cache.db", NOBODY_ID, 0600);
	cr_assert_eq(
	        run_as(true, "STATE_DIRECTORY=$PWD/state", "--check-config"), 0,
	        "%s", said);

	char login[64];
	struct passwd *pw = getpwuid(NOBODY_ID);
	snprintf(login, sizeof(login), "%s", pw ? pw->pw_name : "65534");
	cr_assert_eq(chown("state/cache.db", 0, 0), 0);
	cr_assert_eq(chmod("state/cache.db", 0666), 0);
	cr_assert_eq(run_as(true, "STATE_DIRECTORY=$PWD/state", "--once"), 78,
	             "%s", said);
	expect_said("mailmirrord: cache: %s/state/cache.db: it belongs to %s, "
	            "not to %s, who runs mailmirrord, and the mail mirrored "
	            "into it must be the runner's alone: run mailmirrord as "
	            "its owner if it is theirs (a service's cache), chown %s "
	            "%s/state/cache.db* if it is yours, else remove it or "
	            "choose another cache\n",
	            dir, who(0), who(NOBODY_ID), login, dir);
	expect_owner("state/cache.db", 0, 0666);
}
