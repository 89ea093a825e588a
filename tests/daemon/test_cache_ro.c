/* test_cache_ro.c - how a reader opens the cache: what it says when it may
 * not, the read-only copies it can read all the same (immutable), and the
 * version check that a migration committing meanwhile cannot fool. */
#include "cache/schema.h"
#include "mailmirror/query.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char rdir[64];
static char rpath[128];

/* The uid and gid a reader that owns nothing here runs as when the tests
 * run as root (nobody). */
#define OTHER_ID 65534

static void make_cache(void)
{
	struct store *s;
	char err[256];
	int64_t acct, inbox;

	cr_assert_eq(store_open(&s, rpath, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_begin(s), STORE_OK);
	store_account_upsert(&acct, NULL, s, "a", "h", 143, "u");
	store_mailbox_upsert(&inbox, s, acct, "INBOX", "/", "", NULL);
	for (uint32_t uid = 1; uid <= 2; uid++) {
		struct store_msg m = {.uid = uid,
		                      .flags = "",
		                      .internaldate = 1700000000,
		                      .size = 10,
		                      .date = 1700000000,
		                      .subject = "hello"};
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	store_close(&s);
}

/* What a stopped daemon leaves, or a copy of the file alone: every commit
 * in the database, no -wal, no -shm. The daemon's connections keep the WAL
 * when they close; a plain connection, the last to close, empties it into
 * the file and removes both. */
static void empty_the_wal(void)
{
	sqlite3 *db;
	char p[160];

	cr_assert_eq(sqlite3_open(rpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM messages", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	snprintf(p, sizeof(p), "%s-wal", rpath);
	cr_assert_eq(access(p, F_OK), -1, "%s stayed", p);
	snprintf(p, sizeof(p), "%s-shm", rpath);
	cr_assert_eq(access(p, F_OK), -1, "%s stayed", p);
}

static void setup_dir(void)
{
	strcpy(rdir, "/tmp/mm-ro-XXXXXX");
	cr_assert_not_null(mkdtemp(rdir));
	snprintf(rpath, sizeof(rpath), "%s/cache.db", rdir);
}

static void setup(void)
{
	setup_dir();
	make_cache();
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm"};

	chmod(rdir, 0700);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", rpath, sfx[i]);
		unlink(p);
	}
	rmdir(rdir);
}

TestSuite(cache_ro, .init = setup, .fini = teardown);

struct reader_result {
	int rc;          /* query_open's, else query_count's */
	char text[1024]; /* what count printed, else the error */
};

/* mailmirror count, run by a reader that owns neither the cache nor its
 * directory: as root, in a child that becomes nobody; otherwise the
 * caller's chmods stand for the other owner. */
static struct reader_result count_as_other_reader(void)
{
	struct reader_result res = {.rc = -1};
	int fds[2], st;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		struct query q = {0};
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		struct query_filter all = {.since = QUERY_NO_TIME};
		int rc;

		close(fds[0]);
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setgid(OTHER_ID) < 0 ||
		     setuid(OTHER_ID) < 0))
			_exit(100);
		rc = query_open(&q, rpath, f, OUT_TSV);
		if (rc == QUERY_OK)
			rc = query_count(&q, &all);
		fflush(f);
		if (write(fds[1], rc == QUERY_OK ? out : q.err,
		          strlen(rc == QUERY_OK ? out : q.err)) < 0)
			_exit(101);
		query_close(&q);
		_exit(rc);
	}
	cr_assert_gt(pid, 0);
	close(fds[1]);
	ssize_t n = read(fds[0], res.text, sizeof(res.text) - 1);
	res.text[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) < 100, "reader failed: %d",
	          st);
	res.rc = WEXITSTATUS(st);
	return res;
}

/* The tester's finding 5: a cache the reader may not read was "no cache
 * at ...; is mailmirrord running?", and a reader could take that for a
 * daemon not started. */
Test(cache_ro, a_cache_the_reader_may_not_open_says_so)
{
	struct reader_result r;
	char want[200];

	snprintf(want, sizeof(want), "cannot open %s: Permission denied",
	         rpath);
	/* the file is the daemon's alone */
	cr_assert_eq(chmod(rdir, 0755), 0);
	cr_assert_eq(chmod(rpath, geteuid() == 0 ? 0600 : 0), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_ERROR, "%d %s", r.rc, r.text);
	cr_assert_str_eq(r.text, want);

	/* and so is its directory, as the system service has it */
	cr_assert_eq(chmod(rdir, geteuid() == 0 ? 0700 : 0), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_ERROR, "%d %s", r.rc, r.text);
	cr_assert_str_eq(r.text, want);
}

/* SQLite reads a WAL database through its -shm file, which a reader in a
 * directory it cannot write to cannot create: a read-only copy could not
 * be read at all ("attempt to write a readonly database"). With every
 * commit in the file, it is read as it is. */
Test(cache_ro, a_read_only_copy_is_read_as_it_is)
{
	struct reader_result r;
	char wal[160], shm[160];

	empty_the_wal();
	snprintf(wal, sizeof(wal), "%s-wal", rpath);
	snprintf(shm, sizeof(shm), "%s-shm", rpath);
	cr_assert_eq(chmod(rpath, 0644), 0);
	cr_assert_eq(chmod(rdir, 0555), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_OK, "%s", r.text);
	cr_assert_str_eq(r.text, "2\n");
	cr_assert(access(wal, F_OK) < 0 && access(shm, F_OK) < 0);

	/* a -shm without a WAL is left over: no connection runs without
	 * its WAL, so nothing is anywhere but in the file */
	cr_assert_eq(chmod(rdir, 0755), 0);
	FILE *f = fopen(shm, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(chmod(shm, 0644), 0);
	cr_assert_eq(chmod(rdir, 0555), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_OK, "%s", r.text);
	cr_assert_str_eq(r.text, "2\n");
	cr_assert_eq(chmod(rdir, 0755), 0);
	cr_assert_eq(unlink(shm), 0);

	/* an empty WAL holds nothing the file lacks */
	cr_assert_eq(chmod(rdir, 0755), 0);
	f = fopen(wal, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(chmod(rdir, 0555), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_OK, "%s", r.text);
	cr_assert_str_eq(r.text, "2\n");
}

/* explore54: a daemon that stops empties its WAL but leaves it, and its
 * -shm, which another reader may not read (0600): such a cache in a
 * directory the reader cannot write to was refused. With no daemon on it
 * (none holds its flock), the file is read as it is; while one runs, the
 * -shm is needed as before. */
Test(cache_ro, a_stopped_daemons_cache_is_read_as_it_is)
{
	struct reader_result r;
	char wal[160], shm[160];
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(rpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
	                               (int *)NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", rpath);
	snprintf(shm, sizeof(shm), "%s-shm", rpath);
	struct stat sb;
	cr_assert_eq(stat(wal, &sb), 0);
	cr_assert_eq(sb.st_size, 0);
	cr_assert_eq(access(shm, F_OK), 0);
	cr_assert_eq(chmod(shm, geteuid() == 0 ? 0600 : 0), 0);
	cr_assert_eq(chmod(wal, 0644), 0);
	cr_assert_eq(chmod(rpath, 0644), 0);
	cr_assert_eq(chmod(rdir, 0555), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_OK, "%s", r.text);
	cr_assert_str_eq(r.text, "2\n");

	int fd = open(rpath, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0); /* as a daemon does */
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_ERROR, "%s", r.text);
	close(fd);
}

/* A WAL with content holds commits the file lacks: the cache is not read
 * without them, and the message says what would let the reader in. */
Test(cache_ro, a_wal_the_reader_cannot_reach_is_explained)
{
	struct reader_result r;
	char wal[160];

	empty_the_wal();
	snprintf(wal, sizeof(wal), "%s-wal", rpath);
	FILE *f = fopen(wal, "w");
	cr_assert_not_null(f);
	fputs("commits the file does not have yet", f);
	fclose(f);
	cr_assert_eq(chmod(wal, 0644), 0);
	cr_assert_eq(chmod(rpath, 0644), 0);
	cr_assert_eq(chmod(rdir, 0555), 0);
	r = count_as_other_reader();
	cr_assert_eq(r.rc, QUERY_ERROR, "%s", r.text);
	cr_assert(strstr(r.text, "its WAL holds changes") &&
	                  strstr(r.text, "write access to the directory"),
	          "%s", r.text);
}

/* explore36: a cache readable by the reader beside a -wal or -shm that is
 * not was SQLite's "unable to open database file", which names neither. */
Test(cache_ro, a_wal_or_shm_the_reader_may_not_read_is_named)
{
	static const char *const sfx[] = {"-wal", "-shm"};
	for (size_t i = 0; i < 2; i++) {
		char p[160], want[400];
		struct reader_result r;
		cr_assert_eq(chmod(rdir, 0711), 0);
		cr_assert_eq(chmod(rpath, 0644), 0);
		snprintf(p, sizeof(p), "%s-wal", rpath);
		cr_assert_eq(chmod(p, 0644), 0);
		snprintf(p, sizeof(p), "%s-shm", rpath);
		cr_assert_eq(chmod(p, 0644), 0);
		snprintf(p, sizeof(p), "%s%s", rpath, sfx[i]);
		cr_assert_eq(access(p, F_OK), 0, "no %s", p);
		cr_assert_eq(chmod(p, geteuid() == 0 ? 0600 : 0), 0);
		r = count_as_other_reader();
		cr_assert_eq(r.rc, QUERY_ERROR, "%s", r.text);
		snprintf(want, sizeof(want),
		         "cannot read %s: %s may not be read", rpath, p);
		cr_assert(strncmp(r.text, want, strlen(want)) == 0, "%s",
		          r.text);
		cr_assert(strstr(r.text, "READING THE CACHE"), "%s", r.text);
	}
}

TestSuite(cache_snapshot, .init = setup_dir, .fini = teardown);

/* ---- one snapshot for the version check
 *
 * The tester's finding 6: cache_open_ro read user_version, application_id
 * and the table count as three statements, and a daemon's first
 * migration committing between them made a fresh cache "not a mailmirror
 * cache" (exit 6) instead of "not yet" (exit 3). Here the migration is
 * committed, by another connection, exactly when the reader starts to
 * read the application id: an auto-extension gives each new connection a
 * statement trace, and the reader's is the first. */

static sqlite3 *reader_db;
static bool migrated;

static int migrate_before_application_id(unsigned type, void *ctx, void *stmt,
                                         void *sql)
{
	sqlite3 *w;
	char err[256];

	if (migrated || strncmp(sql, "PRAGMA application_id", 21) != 0)
		return 0;
	migrated = true;
	cr_assert_eq(cache_open_rw(&w, rpath, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	sqlite3_close(w);
	return 0;
}

static int trace_the_reader(sqlite3 *db, char **err,
                            const sqlite3_api_routines *api)
{
	if (reader_db == NULL) {
		reader_db = db;
		sqlite3_trace_v2(db, SQLITE_TRACE_STMT,
		                 migrate_before_application_id, NULL);
	}
	return SQLITE_OK;
}

Test(cache_snapshot, the_version_check_reads_one_snapshot)
{
	sqlite3 *db;
	char err[256];

	/* A database the daemon has not made a cache yet: WAL, version 0,
	 * no table. */
	cr_assert_eq(sqlite3_open(rpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "PRAGMA journal_mode = WAL;"
	                          "CREATE TABLE t (x); DROP TABLE t;",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);

	cr_assert_eq(sqlite3_auto_extension((void (*)(void))trace_the_reader),
	             SQLITE_OK);
	int rc = cache_open_ro(&db, rpath, err, sizeof(err));
	sqlite3_cancel_auto_extension((void (*)(void))trace_the_reader);
	cr_assert(migrated, "the reader never read the application id");
	cr_assert_eq(rc, CACHE_EOLDER, "%d: %s", rc, err);
	cr_assert(strstr(err, "not a mailmirror cache yet"), "%s", err);
	cr_assert_null(db);

	/* and the next reader sees the migrated cache */
	cr_assert_eq(cache_open_ro(&db, rpath, err, sizeof(err)), CACHE_OK,
	             "%s", err);
	cr_assert_eq(cache_version(db), CACHE_SCHEMA_VERSION);
	sqlite3_close(db);
}

/* explore60: a reader of a cache the daemon is upgrading was told to start
 * mailmirrord to upgrade it. */
Test(cache_snapshot, an_older_cache_says_whether_it_is_being_upgraded)
{
	sqlite3 *db;
	char err[512];

	cr_assert_eq(sqlite3_open(rpath, &db), SQLITE_OK);
	cr_assert_eq(
	        cache_migrate(db, CACHE_SCHEMA_VERSION - 1, err, sizeof(err)),
	        CACHE_OK, "%s", err);
	sqlite3_close(db);
	cr_assert_eq(cache_open_ro(&db, rpath, err, sizeof(err)), CACHE_EOLDER);
	cr_assert(strstr(err, "; start mailmirrord to upgrade it"), "%s", err);

	int fd = open(rpath, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX), 0); /* as the daemon holds it */
	cr_assert_eq(cache_open_ro(&db, rpath, err, sizeof(err)), CACHE_EOLDER);
	cr_assert(strstr(err, "; mailmirrord is upgrading it: try again in a "
	                      "moment"),
	          "%s", err);
	close(fd);
}
