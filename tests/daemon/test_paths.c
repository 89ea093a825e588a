/* test_paths.c - cache_check_path(): what the daemon says before it
 * creates or opens the cache, and whether a default directory counts as
 * one it will make. */
#include "as_nobody.h"
#include "cache/paths.h"
#include "cache/schema.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-paths-XXXXXX";
static char path[512], err[512], want[768];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	become_self();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(paths, .init = setup, .fini = teardown);

static void expect_refused(bool may_be_made, const char *what)
{
	err[0] = '\0';
	cr_assert_eq(cache_check_path(path, may_be_made, err, sizeof(err)), -1,
	             "%s passed", path);
	cr_assert_str_eq(err, what);
}

static void expect_usable(bool may_be_made)
{
	err[0] = '\0';
	cr_assert_eq(cache_check_path(path, may_be_made, err, sizeof(err)), 0,
	             "%s: %s", path, err);
}

Test(paths, a_missing_directory_is_refused_unless_it_will_be_made)
{
	snprintf(path, sizeof(path), "%s/a/b/cache.db", dir);
	snprintf(want, sizeof(want), "directory %s/a/b does not exist", dir);
	expect_refused(false, want);
	/* the default's directory is made by cache_default_path() */
	expect_usable(true);
	snprintf(want, sizeof(want), "%s/a", dir);
	cr_assert_neq(access(want, F_OK), 0, "a check creates nothing");

	snprintf(path, sizeof(path), "%s/cache.db", dir);
	expect_usable(false);
}

Test(paths, a_file_in_the_way_of_the_directory_is_named)
{
	snprintf(path, sizeof(path), "%s/file", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/sub/cache.db", dir);
	snprintf(want, sizeof(want), "%s/file is not a directory", dir);
	expect_refused(false, want);
	expect_refused(true, want);
}

Test(paths, what_is_not_a_regular_file_is_named)
{
	snprintf(path, sizeof(path), "%s/link.db", dir);
	cr_assert_eq(symlink("real.db", path), 0);
	snprintf(want, sizeof(want),
	         "%s is a symbolic link; the cache must be named by its real "
	         "path",
	         path);
	expect_refused(false, want);

	snprintf(path, sizeof(path), "%s/d", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(want, sizeof(want), "%s is a directory", path);
	expect_refused(true, want);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(want, sizeof(want), "%s is not a regular file", path);
	expect_refused(false, want);

	snprintf(path, sizeof(path), "relative.db");
	expect_refused(false, "relative.db is not an absolute file name");
}

Test(paths, a_directory_we_cannot_write_is_refused)
{
	snprintf(path, sizeof(path), "%s/ro", dir);
	cr_assert_eq(mkdir(path, 0555), 0);
	become_nobody(dir);
	snprintf(path, sizeof(path), "%s/ro/cache.db", dir);
	snprintf(want, sizeof(want),
	         "cannot create files in directory %s/ro: Permission denied",
	         dir);
	expect_refused(false, want);
	snprintf(path, sizeof(path), "%s/ro/new/cache.db", dir);
	snprintf(want, sizeof(want),
	         "directory %s/ro/new does not exist and cannot be created: "
	         "%s/ro is not writable",
	         dir, dir);
	expect_refused(true, want);
}

Test(paths, only_a_default_outside_systemd_makes_its_directory)
{
	setenv("STATE_DIRECTORY", "/var/lib/mailmirror", 1);
	cr_assert_not(cache_default_makes_dir());
	setenv("STATE_DIRECTORY", "relative", 1);
	cr_assert(cache_default_makes_dir());
	unsetenv("STATE_DIRECTORY");
	cr_assert(cache_default_makes_dir());
}

/* The open says the same as the check, so that a link or a directory
 * removed after --check-config is still named clearly at a start. */
Test(paths, the_open_names_a_link_and_a_missing_directory)
{
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/link.db", dir);
	cr_assert_eq(symlink("real.db", path), 0);
	cr_assert_lt(cache_open_rw(&db, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
	         "cannot use %s: it is a symbolic link; the cache must be "
	         "named by its real path",
	         path);
	cr_assert_str_eq(err, want);

	snprintf(path, sizeof(path), "%s/gone/cache.db", dir);
	cr_assert_lt(cache_open_rw(&db, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
	         "cannot create %s: its directory does not exist", path);
	cr_assert_str_eq(err, want);
	cr_assert_null(db);
}

/* The identity that tells a running daemon its cache was removed or
 * replaced under it. */
Test(paths, a_file_id_follows_the_file_not_the_name)
{
	char other[600];
	struct cache_file_id id;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cache.db", dir);
	snprintf(other, sizeof(other), "%s/other.db", dir);
	cr_assert_eq(cache_file_id(path, &id), -1);
	cr_assert_not_null(f = fopen(path, "w"));
	fclose(f);
	cr_assert_eq(cache_file_id(path, &id), 0);
	cr_assert(cache_file_is(path, &id));
	/* Replaced: the name holds another file now. */
	cr_assert_not_null(f = fopen(other, "w"));
	fclose(f);
	cr_assert_eq(rename(other, path), 0);
	cr_assert_not(cache_file_is(path, &id));
	/* Removed. */
	cr_assert_eq(cache_file_id(path, &id), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_not(cache_file_is(path, &id));
}
