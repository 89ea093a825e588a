/* test_query_old.c - the mailmirror commands over a cache the daemon has
 * not upgraded yet.
 *
 * After a package upgrade the query tool is new and the running daemon,
 * and its cache, still the old ones until the daemon restarts: a status
 * bar read "cache at ... has schema version 6, older than this
 * mailmirror's 7" (exit 3) meanwhile. The commands read every version from
 * QUERY_OLDEST_SCHEMA on, as it is, and never migrate it. */
#include "cache/schema.h"
#include "mailmirror/query.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-qold-XXXXXX";
static char path[128];
static char *obuf;
static size_t olen;
static FILE *ofile;
static struct query q;

static void setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
}

static void teardown(void)
{
	char cmd[128];

	query_close(&q);
	if (ofile)
		fclose(ofile);
	free(obuf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(query_old, .init = setup, .fini = teardown);

/* What the command printed since the last call (borrowed until the next). */
static const char *output(void)
{
	static char last[16384];

	fclose(ofile);
	snprintf(last, sizeof(last), "%s", obuf ? obuf : "");
	free(obuf);
	obuf = NULL;
	ofile = open_memstream(&obuf, &olen);
	cr_assert_not_null(ofile);
	q.out = ofile;
	return last;
}

static int user_version(void)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	             SQLITE_OK);
	int v = cache_version(db);
	sqlite3_close(db);
	return v;
}

/* A cache of schema version, in WAL mode as the daemon keeps it, with
 * what the daemon of that version wrote, in the columns every version
 * since QUERY_OLDEST_SCHEMA has: work/INBOX with two messages indexed
 * (the first with its body) and a third that waits for the indexer. */
static void make_cache(int version)
{
	sqlite3 *db;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(
	        sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
	        SQLITE_OK);
	cr_assert_eq(cache_migrate(db, version, err, sizeof(err)), CACHE_OK,
	             "%s", err);
	cr_assert_eq(
	        sqlite3_exec(
	                db,
	                "BEGIN;"
	                "INSERT INTO accounts (name, host, user, state) "
	                "VALUES ('work', 'imap.example', 'me', 'idle');"
	                "INSERT INTO mailboxes (account_id, name, delimiter, "
	                "uidvalidity, uidnext, exists_count, unseen_count, "
	                "last_sync) VALUES (1, 'INBOX', '/', 9, 4, 3, 2, "
	                "1700000000);"
	                "INSERT INTO messages (mailbox_id, uid, flags, date, "
	                "internaldate, subject, from_addr) VALUES "
	                "(1, 1, '\\Seen', 1700000000, 1700000005, "
	                "'Budget meeting', 'Alice <alice@example.org>'),"
	                "(1, 2, '', 1700003600, 1700003605, 'Lunch plans', "
	                "'Bob <bob@example.net>'),"
	                "(1, 3, '', 1700007200, 1700007205, 'Not yet', "
	                "'Carol <carol@example.com>');"
	                "INSERT INTO bodies (message_id, headers, body) VALUES "
	                "(1, 'Subject: Budget meeting\r\n', "
	                "'Numbers for the zebra project.');"
	                "INSERT INTO messages_unindexed VALUES (3);"
	                "INSERT INTO messages_fts (messages_fts) "
	                "VALUES ('rebuild');"
	                "COMMIT;",
	                NULL, NULL, NULL),
	        SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	cr_assert_eq(user_version(), version);
}

static struct query_filter filter(const char *scope)
{
	return (struct query_filter){.scope = scope,
	                             .since = QUERY_NO_TIME,
	                             .limit = QUERY_DEFAULT_LIMIT};
}

/* The version before this one's, as a package upgrade leaves it: read as
 * it is, every command, and left at its version. */
Test(query_old, a_cache_of_version_6_is_read_as_it_is)
{
	struct query_filter f = filter("work/INBOX");

	make_cache(6);
	cr_assert_eq(query_open(&q, path, ofile, OUT_TSV), QUERY_OK, "%s",
	             q.err);

	cr_assert_eq(query_ls(&q, &f), QUERY_OK, "%s", q.err);
	cr_assert_str_eq(output(),
	                 "2023-11-15 00:13\twork/INBOX\t3\tCarol "
	                 "<carol@example.com>\tNot yet\t\n"
	                 "2023-11-14 23:13\twork/INBOX\t2\tBob "
	                 "<bob@example.net>\tLunch plans\t\n"
	                 "2023-11-14 22:13\twork/INBOX\t1\tAlice "
	                 "<alice@example.org>\tBudget meeting\t\\Seen\n");
	cr_assert_eq(query_search(&q, "zebra", &f), QUERY_OK, "%s", q.err);
	cr_assert(strstr(output(), "\t1\tAlice <alice@example.org>\tBudget "
	                           "meeting\t"));
	f.unread = true;
	cr_assert_eq(query_count(&q, &f), QUERY_OK, "%s", q.err);
	cr_assert_str_eq(output(), "2\n");
	cr_assert_eq(query_show(&q, "work/INBOX", "1"), QUERY_OK, "%s", q.err);
	const char *out = output();
	cr_assert(strstr(out, "Subject: Budget meeting\n") &&
	                  strstr(out, "\nNumbers for the zebra project.\n"),
	          "%s", out);
	/* The account's port, which version 7 adds, is read by no command. */
	cr_assert_eq(query_status(&q, NULL), QUERY_OK, "%s", q.err);
	cr_assert_str_eq(output(), "work\tnot running\tINBOX\t3\t2\t"
	                           "2023-11-14 22:13\t\t\t1\t\n");
	cr_assert_eq(query_accounts(&q, NULL), QUERY_OK, "%s", q.err);
	cr_assert_str_eq(output(), "work\tnot running\t1\t3\t2\t0\t"
	                           "2023-11-14 22:13\t0\t\n");
	query_close(&q);

	cr_assert_eq(query_open(&q, path, ofile, OUT_JSON), QUERY_OK, "%s",
	             q.err);
	cr_assert_eq(query_status(&q, "work"), QUERY_OK, "%s", q.err);
	out = output();
	cr_assert(strstr(out, "\"account\":\"work\"") &&
	                  strstr(out, "\"unindexed\":1,"),
	          "%s", out);
	query_close(&q);
	cr_assert_eq(user_version(), 6, "the query tool migrated the cache");
}

/* Each version the commands read: none of them asks for a table or a
 * column the version lacks, in any mode. This is what holds
 * QUERY_OLDEST_SCHEMA to the truth when a command comes to read what a
 * later version adds. */
Test(query_old, every_readable_version_takes_every_command)
{
	static const enum out_mode modes[] = {OUT_TSV, OUT_JSON, OUT_TABLE};

	for (int v = QUERY_OLDEST_SCHEMA; v <= CACHE_SCHEMA_VERSION; v++) {
		unlink(path);
		make_cache(v);
		for (size_t m = 0; m < 3; m++) {
			struct query_filter f = filter("work/INBOX");
			cr_assert_eq(query_open(&q, path, ofile, modes[m]),
			             QUERY_OK, "version %d: %s", v, q.err);
			cr_assert_eq(query_status(&q, "work"), QUERY_OK,
			             "version %d: %s", v, q.err);
			cr_assert_eq(query_accounts(&q, NULL), QUERY_OK,
			             "version %d: %s", v, q.err);
			cr_assert_eq(query_ls(&q, &f), QUERY_OK,
			             "version %d: %s", v, q.err);
			cr_assert_eq(query_search(&q, "from:bob", &f), QUERY_OK,
			             "version %d: %s", v, q.err);
			cr_assert_eq(query_search(&q, "NOT zebra", &f),
			             QUERY_OK, "version %d: %s", v, q.err);
			cr_assert_eq(query_count(&q, &f), QUERY_OK,
			             "version %d: %s", v, q.err);
			cr_assert_eq(query_show(&q, "work/INBOX", "1"),
			             QUERY_OK, "version %d: %s", v, q.err);
			query_close(&q);
			output();
		}
		cr_assert_eq(user_version(), v);
	}
}

/* Older than the commands read: refused as before, with what to do. */
Test(query_old, a_cache_older_than_that_is_left_to_the_daemon)
{
	make_cache(QUERY_OLDEST_SCHEMA);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "DROP TABLE messages_unindexed;", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	char set[64];
	snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	         QUERY_OLDEST_SCHEMA - 1);
	cr_assert_eq(sqlite3_exec(db, set, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	cr_assert_eq(query_open(&q, path, ofile, OUT_TSV), QUERY_NOCACHE);
	char want[512];
	snprintf(want, sizeof(want),
	         "cache at %s has schema version %d, older than the oldest "
	         "this mailmirror reads (%d); start mailmirrord to upgrade it",
	         path, QUERY_OLDEST_SCHEMA - 1, QUERY_OLDEST_SCHEMA);
	cr_assert_str_eq(q.err, want);
	cr_assert_null(q.db);
	cr_assert_eq(user_version(), QUERY_OLDEST_SCHEMA - 1);
}

/* Newer than this build: still refused, whatever the commands read. */
Test(query_old, a_newer_cache_is_still_refused)
{
	make_cache(CACHE_SCHEMA_VERSION);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	char set[64];
	snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	         CACHE_SCHEMA_VERSION + 1);
	cr_assert_eq(sqlite3_exec(db, set, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	cr_assert_eq(query_open(&q, path, ofile, OUT_TSV), QUERY_NEWER);
	char want[512];
	snprintf(want, sizeof(want),
	         "cache at %s has schema version %d, newer than this "
	         "mailmirror's %d; upgrade mailmirror",
	         path, CACHE_SCHEMA_VERSION + 1, CACHE_SCHEMA_VERSION);
	cr_assert_str_eq(q.err, want);
	cr_assert_null(q.db);
}
