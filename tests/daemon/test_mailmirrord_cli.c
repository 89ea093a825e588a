/* test_mailmirrord_cli.c - the daemon's command line and --check-config,
 * run as the user runs them: the built mailmirrord beside this test
 * binary (BUILD/tests/unit-daemon -> BUILD/mailmirrord). */
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Runs "env ENV mailmirrord ARGS" in dir (env: "" or "A=1 B=2"); its
 * exit status, with what it wrote on stderr in said. */
__attribute__((format(printf, 2, 3))) static int run(const char *env,
                                                     const char *fmt, ...)
{
	char args[2048], cmd[8192], errf[128];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	if (access(bin, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", bin);
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && env -u STATE_DIRECTORY %s '%s' %s >/dev/null "
	         "2>'%s'",
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
}

/* The report's N10: the usage alone did not say what was wrong. */
Test(mailmirrord_cli, a_stray_argument_is_named)
{
	static const char first[] =
	        "mailmirrord: unexpected argument \"extra\"\n";

	cr_assert_eq(run("", "--once extra"), 64);
	cr_assert(strncmp(said, first, strlen(first)) == 0, "%s", said);
	cr_assert(strstr(said, "usage: mailmirrord"), "%s", said);
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

	/* a symbolic link is named as one */
	snprintf(line, sizeof(line), "%s/link.db", dir);
	cr_assert_eq(symlink("real.db", line), 0);
	snprintf(line, sizeof(line), "cache = \"%s/link.db\";", dir);
	write_conf(line);
	cr_assert_eq(run("", "-c m.conf --check-config"), 78, "%s", said);
	cr_assert(strstr(said, "link.db is a symbolic link"), "%s", said);
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

	snprintf(want, sizeof(want),
	         "mailmirrord: cache: directory %s/gone does not exist\n", dir);
	cr_assert_eq(run("STATE_DIRECTORY=$PWD/gone", "-c m.conf "
	                                              "--check-config"),
	             78);
	cr_assert_str_eq(said, want);
	cr_assert_eq(run("STATE_DIRECTORY=$PWD/gone", "-c m.conf --once"), 78);
	cr_assert_str_eq(said, want);
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
	cr_assert_eq(store_account_upsert(&acct, s, "a", "localhost", "u"),
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
