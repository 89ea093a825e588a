/* test_store_syserr.c - a write the system refuses is told in its words.
 *
 * A file system remounted read-only under the daemon made SQLite say
 * "disk I/O error", which does not tell it from a failing disk. A VFS
 * whose writes fail as such a file system's do (EROFS) shows what the
 * store says then. */
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static sqlite3_vfs *real_vfs;
static sqlite3_vfs refusing_vfs;
/* Each kind of file (database, WAL, temporary) may have methods of its
 * own: each table is copied once, its xWrite replaced. */
enum { KINDS = 8 };
static const sqlite3_io_methods *real_io[KINDS];
static sqlite3_io_methods refusing_io[KINDS];
static size_t kinds;
static bool read_only;

static int refusing_write(sqlite3_file *f, const void *buf, int n,
                          sqlite3_int64 off)
{
	if (read_only) {
		errno = EROFS;
		return SQLITE_IOERR_WRITE;
	}
	size_t k = (size_t)(f->pMethods - refusing_io);
	return real_io[k]->xWrite(f, buf, n, off);
}

static int refusing_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                         int flags, int *out_flags)
{
	(void)vfs;
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	if (rc != SQLITE_OK || f->pMethods == NULL)
		return rc;
	size_t k = 0;
	while (k < kinds && real_io[k] != f->pMethods)
		k++;
	if (k == kinds) {
		cr_assert_lt(kinds, (size_t)KINDS);
		real_io[k] = f->pMethods;
		refusing_io[k] = *f->pMethods;
		refusing_io[k].xWrite = refusing_write;
		kinds++;
	}
	f->pMethods = &refusing_io[k];
	return rc;
}

static void setup(void)
{
	strcpy(dir, "/tmp/mm-syserr-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	real_vfs = sqlite3_vfs_find(NULL);
	cr_assert_not_null(real_vfs);
	refusing_vfs = *real_vfs;
	refusing_vfs.zName = "mm-refusing";
	refusing_vfs.pNext = NULL;
	refusing_vfs.xOpen = refusing_open;
	cr_assert_eq(sqlite3_vfs_register(&refusing_vfs, 1), SQLITE_OK);
	read_only = false;
	kinds = 0;
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	sqlite3_vfs_unregister(&refusing_vfs);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(store_syserr, .init = setup, .fini = teardown);

Test(store_syserr, a_read_only_file_system_is_said_as_such)
{
	struct store *s = NULL;
	char err[256] = "";
	int64_t acct;

	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);

	read_only = true;
	int rc = store_account_upsert(&acct, NULL, s, "b", "h", 143, "u");
	cr_assert_eq(rc, STORE_EIO, "%d: %s", rc, store_errmsg(s));
	cr_assert(strstr(store_errmsg(s), "Read-only file system"), "%s",
	          store_errmsg(s));

	/* Once the system takes writes again, so does the store. */
	read_only = false;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "c", "h", 143, "u"),
	             STORE_OK, "%s", store_errmsg(s));
	store_close(&s);
}
