/* test_store.c - the cache schema and the daemon's write API. */
#include "daemon/cache_peek.h"
#include "cache/paths.h"
#include "cache/schema.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

static struct store *open_store(void)
{
	struct store *s = NULL;
	char err[256] = "";
	int rc = store_open(&s, path, err, sizeof(err));

	cr_assert_eq(rc, STORE_OK, "store_open: %d %s", rc, err);
	return s;
}

static long long query_int(const char *sql)
{
	return peek_int(path, sql);
}

static char *query_text(const char *sql)
{
	return peek_text(path, sql);
}

static void assert_text(const char *sql, const char *want)
{
	char *v = query_text(sql);

	cr_assert_not_null(v, "%s: no value", sql);
	cr_assert_str_eq(v, want, "%s", sql);
	free(v);
}

static void assert_consistent(void)
{
	assert_cache_consistent(path);
}

static long long fts_hits(const char *match)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM messages_fts WHERE messages_fts "
	         "MATCH '%s'",
	         match);
	return query_int(sql);
}

/* Runs the indexer until nothing waits; returns how many it indexed. */
static size_t index_all(struct store *s)
{
	size_t total = 0, n = 0;
	do {
		cr_assert_eq(store_index_chunk(s, 2, 0, &n), STORE_OK);
		total += n;
	} while (n);
	uint64_t left = 99;
	cr_assert_eq(store_index_waiting(&left, s), STORE_OK);
	cr_assert_eq(left, 0);
	return total;
}

static struct store_msg msg(uint32_t uid, const char *subject,
                            const char *flags)
{
	return (struct store_msg){
	        .uid = uid,
	        .modseq = uid * 10,
	        .flags = flags,
	        .internaldate = 1700000000 + uid,
	        .size = 1000 + uid,
	        .date = 1700000000 + uid,
	        .subject = subject,
	        .from = "Alice Example <alice@example.org>",
	        .to = "Bob <bob@example.net>",
	        .message_id = "<id@example.org>",
	};
}

/* An account "acct" with mailbox "INBOX"; *mbox gets its id. */
static struct store *fixture(int64_t *acct, int64_t *mbox)
{
	struct store *s = open_store();

	cr_assert_eq(store_account_upsert(acct, NULL, s, "acct",
	                                  "imap.example.org", 143, "me"),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(mbox, s, *acct, "INBOX", "/",
	                                  "\\HasNoChildren", NULL),
	             STORE_OK);
	return s;
}

/* Account "acct" on imap.example.org:143 as "me", synced, its INBOX
 * (UIDVALIDITY 42) holding three messages "secret": one with its body
 * indexed, one with a body waiting for the index, one waiting for the
 * index itself with a body coming in pieces; account "other" with one
 * message "keep". */
static struct store *two_accounts_filled(int64_t *acct, int64_t *other)
{
	int64_t inbox, obox;
	struct store *s = fixture(acct, &inbox);
	struct store_msg m[3] = {msg(1, "secret", ""), msg(2, "secret", ""),
	                         msg(3, "secret", "")};
	for (int i = 0; i < 2; i++)
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m[i]),
		             STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 1, "Subject: secret\r\n",
	                            "indexedbodyword", false),
	             STORE_OK);
	cr_assert_eq(
	        store_account_upsert(other, NULL, s, "other", "h", 143, "u"),
	        STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&obox, s, *other, "INBOX", "/", "", NULL),
	        STORE_OK);
	struct store_msg keep = msg(1, "keep", "");
	cr_assert_eq(store_message_upsert(NULL, s, obox, &keep), STORE_OK);
	index_all(s);
	cr_assert_eq(store_body_put(s, inbox, 2, "Subject: secret\r\n",
	                            "waitingbodyword", false),
	             STORE_OK);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m[2]), STORE_OK);
	cr_assert_eq(store_piece_add(s, inbox, 3, "", 12, 0, "abcd", 4),
	             STORE_OK);
	struct store_mailbox_state st = {.uidvalidity = 42,
	                                 .uidnext = 4,
	                                 .exists = 3,
	                                 .unseen = 3,
	                                 .last_sync = 1700000000};
	cr_assert_eq(store_mailbox_set_state(s, inbox, &st), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages_unindexed"), 1);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies_unindexed"), 1);
	cr_assert_eq(store_account_set_last_sync(s, *acct, 1700000000),
	             STORE_OK);
	return s;
}

/* What "acct" holds is gone, and "other" kept all it had. */
static void assert_acct_dropped(void)
{
	cr_assert_eq(query_int("SELECT count(*) FROM mailboxes b JOIN "
	                       "accounts a ON a.id = b.account_id "
	                       "WHERE a.name = 'acct'"),
	             0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 1);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies_unindexed"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages_unindexed"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM accounts WHERE name = "
	                       "'acct' AND last_sync IS NULL"),
	             1);
	cr_assert_eq(fts_hits("secret"), 0);
	cr_assert_eq(fts_hits("indexedbodyword"), 0);
	cr_assert_eq(fts_hits("keep"), 1);
	assert_consistent();
}

/* explore73: an account whose user (or host, or port) changed under the
 * same name kept the old one's messages wherever a mailbox of the new
 * one had the same name and UIDVALIDITY: another person's subjects and
 * senders shown as the new user's mail. A change of server drops what the
 * account held, in the transaction that stores the new server; the same
 * server again keeps it. */
Test(store, an_account_whose_server_changed_starts_anew)
{
	static const struct {
		const char *host;
		unsigned port;
		const char *user;
	} to[] = {
	        {"imap.example.org", 143, "someone-else"},
	        {"imap.example.net", 143, "me"},
	        {"imap.example.org", 10143, "me"},
	        /* a tunnel in place of host and port */
	        {"ssh imap.example.org imapd", 0, "me"},
	        /* a preauthenticated tunnel: no user */
	        {"imap.example.org", 143, NULL},
	};
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		int64_t acct, other, again, dropped = -1;
		struct store *s = two_accounts_filled(&acct, &other);
		cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
		                                  "imap.example.org", 143,
		                                  "me"),
		             0);
		cr_assert_eq(dropped, 0);
		cr_assert_eq(query_int("SELECT count(*) FROM messages"), 4,
		             "the same server keeps what it cached");

		cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
		                                  to[i].host, to[i].port,
		                                  to[i].user),
		             1, "change %zu", i);
		cr_assert_eq(again, acct);
		cr_assert_eq(dropped, 3);
		assert_acct_dropped();
		char sql[256];
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM accounts WHERE name = 'acct' "
		         "AND host = '%s' AND port = %u AND user = '%s'",
		         to[i].host, to[i].port, to[i].user ? to[i].user : "");
		cr_assert_eq(query_int(sql), 1);
		/* and it is the account's server from now on */
		cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
		                                  to[i].host, to[i].port,
		                                  to[i].user),
		             0);
		store_close(&s);
		teardown();
		setup();
	}
}

/* explore74: a typo in host dropped the account's rows before the server
 * (none) answered. Before a login the row and its rows are kept, and
 * told; a host in another case is the same server (RFC 4343). */
Test(store, an_account_kept_until_its_new_server_answers)
{
	int64_t acct, other, again = 0;
	struct store *s = two_accounts_filled(&acct, &other);
	cr_assert_eq(store_account_keep(&again, s, "acct", "imap.example.orgg",
	                                143, "me"),
	             1);
	cr_assert_eq(again, acct);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 4);
	assert_text("SELECT host FROM accounts WHERE name = 'acct'",
	            "imap.example.org");
	cr_assert_eq(store_account_keep(&again, s, "acct", "IMAP.Example.ORG",
	                                143, "me"),
	             0);
	cr_assert_eq(store_account_upsert(&again, NULL, s, "acct",
	                                  "imap.example.org", 143, "me"),
	             0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 4);
	/* a new account is written as ever */
	cr_assert_eq(store_account_keep(&again, s, "new", "h", 143, "u"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM accounts WHERE name = "
	                       "'new' AND host = 'h' AND port = 143"),
	             1);
	assert_consistent();
	store_close(&s);
}

/* The drop and the new server are one: a kill before the commit (here a
 * rollback of the caller's transaction) leaves the old rows under the old
 * server, and the next start drops them. */
Test(store, a_server_change_rolled_back_leaves_all_as_it_was)
{
	int64_t acct, other, again, dropped;
	struct store *s = two_accounts_filled(&acct, &other);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
	                                  "imap.example.org", 143, "you"),
	             1);
	cr_assert_eq(store_rollback(s), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 4);
	assert_text("SELECT user FROM accounts WHERE name = 'acct'", "me");
	cr_assert_eq(fts_hits("secret"), 2, "the third one waits");
	assert_consistent();
	cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
	                                  "imap.example.org", 143, "you"),
	             1);
	cr_assert_eq(dropped, 3);
	assert_acct_dropped();
	store_close(&s);
}

/* A cache of version 6 kept no port: its rows take the configured one as
 * unchanged (an upgrade must not mirror every account anew), and a later
 * change of port is one. */
Test(store, an_account_stored_without_a_port_keeps_its_rows)
{
	int64_t acct, other, again, dropped;
	struct store *s = two_accounts_filled(&acct, &other);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "UPDATE accounts SET port = NULL", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
	                                  "imap.example.org", 993, "me"),
	             0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 4);
	cr_assert_eq(query_int("SELECT port FROM accounts WHERE name = "
	                       "'acct'"),
	             993);
	/* host and user were kept before: a change of them still counts */
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "UPDATE accounts SET port = NULL", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_account_upsert(&again, &dropped, s, "acct",
	                                  "imap.example.org", 993, "you"),
	             1);
	assert_acct_dropped();
	store_close(&s);
}

/* data_version as another connection sees it: it moves with every
 * commit of any other connection. */
static long long data_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long v = -1;
	cr_assert_eq(
	        sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL),
	        SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The state, error and live mark are set at every pass, mostly to what
 * they were: each set was a commit, a write of the WAL. The same value
 * writes nothing now, and a missing row is still said. */
Test(store, setting_what_is_there_writes_nothing)
{
	int64_t acct, box;
	struct store *s = fixture(&acct, &box);
	sqlite3 *other;
	cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
	cr_assert_eq(store_mailbox_set_error(s, box, "x"), STORE_OK);
	cr_assert_eq(store_account_set_state(s, acct, "idle"), STORE_OK);
	cr_assert_eq(store_mailbox_set_live(s, box, true), STORE_OK);
	cr_assert_eq(store_mailbox_set_progress(s, box, 0, 0), STORE_OK);
	/* unseen and flagged: in the indexes made of flags */
	struct store_msg m = msg(3, "three", "\\Flagged \\Answered");
	m.modseq = 40;
	cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK);
	long long v = data_version(other);
	cr_assert_eq(store_mailbox_set_error(s, box, "x"), STORE_OK);
	cr_assert_eq(store_account_set_state(s, acct, "idle"), STORE_OK);
	cr_assert_eq(store_mailbox_set_live(s, box, true), STORE_OK);
	cr_assert_eq(store_account_set_error(s, acct, NULL), STORE_OK);
	cr_assert_eq(store_mailbox_set_progress(s, box, 0, 0), STORE_OK);
	/* explore51: a listing of every flag wrote every message again */
	int delta = 9;
	cr_assert_eq(store_message_set_flags(s, box, 3, "\\Answered \\Flagged",
	                                     0, true, &delta),
	             STORE_OK);
	cr_assert_eq(delta, 0);
	cr_assert_eq(store_message_set_flags(s, box, 3, "\\Flagged \\Answered",
	                                     40, false, &delta),
	             STORE_OK);
	cr_assert_eq(data_version(other), v, "an equal value was written");
	/* the same flags with a MODSEQ that went back are still refused */
	cr_assert_eq(store_message_set_flags(s, box, 3, "\\Flagged \\Answered",
	                                     39, false, &delta),
	             STORE_ESTALE);
	cr_assert_eq(data_version(other), v);
	cr_assert_eq(store_message_set_flags(s, box, 3, "\\Flagged \\Answered",
	                                     41, false, &delta),
	             STORE_OK);
	cr_assert_neq(data_version(other), v);
	v = data_version(other);
	cr_assert_eq(store_mailbox_set_error(s, box, NULL), STORE_OK);
	cr_assert_neq(data_version(other), v);
	cr_assert_eq(store_mailbox_set_error(s, 999, NULL), STORE_ENOTFOUND);
	cr_assert_eq(store_mailbox_set_live(s, 999, false), STORE_ENOTFOUND);
	cr_assert_eq(store_account_set_error(s, 999, NULL), STORE_ENOTFOUND);
	sqlite3_close(other);
	store_close(&s);
	cr_assert_eq(query_int("SELECT count(*) FROM mailboxes WHERE live AND "
	                       "last_error IS NULL"),
	             1);
}

/* The messages another process sees, read as a script would (python's
 * sqlite3 opens read-write, and its close checkpoints and deletes the WAL
 * when it finds itself the last user). A process of its own, not a fork:
 * SQLite's lock bookkeeping must not be shared with ours. */
static long long count_elsewhere(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "python3 -c \"import sqlite3, sys; c = "
	         "sqlite3.connect(sys.argv[1]);"
	         " print(c.execute('SELECT count(*) FROM "
	         "messages').fetchone()[0]);"
	         " c.close()\" '%s'",
	         path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	long long n = -1;
	if (fscanf(p, "%lld", &n) != 1)
		n = -1;
	cr_assert_eq(pclose(p), 0);
	return n;
}

/* What the database file alone holds, its WAL ignored (immutable=1, in a
 * process of its own): messages counted, or -1 when the file has no such
 * table yet (its schema still in the WAL). */
static long long count_in_file(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "python3 -c \"import sqlite3, sys; c = sqlite3.connect("
	         "'file:' + sys.argv[1] + '?immutable=1', uri=True)\n"
	         "try: print(c.execute('SELECT count(*) FROM "
	         "messages').fetchone()[0])\n"
	         "except sqlite3.OperationalError: print(-1)\" '%s'",
	         path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	long long n = -2;
	if (fscanf(p, "%lld", &n) != 1)
		n = -2;
	cr_assert_eq(pclose(p), 0);
	return n;
}

/* A second connection in the process (the daemon has one per account and
 * one for its indexer) must leave the first one's locks alone: else a
 * reader that comes and goes takes the cache for unused, deletes the WAL,
 * and what the first connection writes next is seen by nobody. */
Test(store, a_second_connection_keeps_the_first_visible)
{
	int64_t acct, inbox;
	struct store *a = fixture(&acct, &inbox);
	struct store_msg m1 = msg(1, "one", "");
	cr_assert_eq(store_message_upsert(NULL, a, inbox, &m1), STORE_OK);
	struct store *b = open_store();
	cr_assert_eq(count_elsewhere(), 1);
	struct store_msg m2 = msg(2, "two", "");
	cr_assert_eq(store_message_upsert(NULL, a, inbox, &m2), STORE_OK);
	cr_assert_eq(count_elsewhere(), 2,
	             "a write of the first connection "
	             "is lost to other processes");
	char wal[300];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_eq(access(wal, F_OK), 0, "the WAL was deleted under us");
	store_close(&b);
	store_close(&a);
	cr_assert_eq(count_elsewhere(), 2);
}

static off_t wal_size(void)
{
	char wal[300];
	struct stat sb;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &sb) == 0 ? sb.st_size : -1;
}

/* A cache with one message, closed: the size of the WAL it left. */
static off_t one_message_closed(void)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(1, "kept", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	store_close(&s);
	off_t size = wal_size();
	cr_assert_gt(size, 0, "the WAL is gone");
	return size;
}

/* A --once run opens the cache three times and closes it: an open that
 * finds the schema current writes nothing, and the last close leaves the
 * WAL in place (a checkpoint would sync twice), readable by others. */
Test(store, reopening_writes_nothing_and_closing_keeps_the_wal)
{
	off_t size = one_message_closed();
	struct store *s = open_store();
	struct store *t = open_store();
	store_close(&t);
	store_close(&s);
	cr_assert_eq(wal_size(), size, "an open wrote to the cache");
	cr_assert_eq(count_elsewhere(), 1);
}

/* What the daemon does to the cache it lets go: the WAL's frames go into
 * the file, the WAL is emptied, nothing is lost; a file put at the path
 * afterwards has no frames of ours to be replayed into it. */
Test(store, a_truncated_wal_is_empty_and_loses_nothing)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(1, "kept", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_gt(wal_size(), 0);
	cr_assert_eq(store_wal_truncate(s), STORE_OK);
	cr_assert_eq(wal_size(), 0, "the WAL is still %lld bytes",
	             (long long)wal_size());
	store_close(&s);
	cr_assert_leq(wal_size(), 0);
	cr_assert_eq(count_elsewhere(), 1);
	assert_consistent();
}

/* What the supervisor of a --once run does while its workers log out:
 * the WAL's frames go into the file, which then holds every commit, and
 * the WAL stays (the exit empties it). */
Test(store, a_copied_wal_is_in_the_file)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(1, "kept", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_neq(count_in_file(), 1, "already in the file");
	cr_assert_eq(store_wal_copy(s), STORE_OK);
	cr_assert_eq(count_in_file(), 1);
	cr_assert_gt(wal_size(), 0);
	store_close(&s);
	assert_consistent();
}

Test(store, creates_schema_at_current_version)
{
	struct store *s = open_store();

	store_close(&s);
	cr_assert_null(s);
	store_close(&s);
	cr_assert_eq(query_int("PRAGMA user_version"), CACHE_SCHEMA_VERSION);
	cr_assert_eq(query_int("PRAGMA application_id"), CACHE_APPLICATION_ID);
	char *mode = query_text("PRAGMA journal_mode");
	cr_assert_str_eq(mode, "wal");
	free(mode);
	cr_assert_eq(query_int("PRAGMA page_size"), 16384);
	cr_assert_eq(query_int("SELECT count(*) FROM sqlite_schema WHERE "
	                       "name IN ('accounts', 'mailboxes', 'messages', "
	                       "'bodies', 'messages_fts')"),
	             5);
	/* Opening again is idempotent. */
	s = open_store();
	store_close(&s);
	cr_assert_eq(query_int("PRAGMA user_version"), CACHE_SCHEMA_VERSION);
}

Test(store, files_are_private_whatever_the_umask)
{
	struct stat sb;
	char p[160];
	int64_t acct;
	mode_t old = umask(0);

	/* A cache left world-readable by an older tool is tightened. */
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	chmod(path, 0644);
	struct store *s = open_store();
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	umask(old);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "db mode %o", sb.st_mode & 0777);
	snprintf(p, sizeof(p), "%s-wal", path);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "wal mode %o", sb.st_mode & 0777);
	snprintf(p, sizeof(p), "%s-shm", path);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "shm mode %o", sb.st_mode & 0777);
	store_close(&s);
}

Test(store, refuses_a_symlink)
{
	struct store *s = NULL;
	char err[256];

	cr_assert_eq(symlink("/tmp/elsewhere-mm", path), 0);
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_EIO);
	cr_assert_null(s);
	cr_assert(strstr(err, path) != NULL, "%s", err);
}

/* explore14: a state directory moved to a larger disk and linked back
 * (or a home reached through a link) made every open fail, since
 * SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the name. Links above
 * the file are followed; the file itself still may not be one. Readers
 * open it through the link too. */
Test(store, a_directory_reached_through_a_link_is_followed)
{
	char real[160], link[160], via[200], err[256];
	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(via, sizeof(via), "%s/cache.db", link);
	cr_assert_eq(mkdir(real, 0700), 0);
	cr_assert_eq(symlink("real", link), 0);

	struct store *s = NULL;
	int64_t acct;
	cr_assert_eq(store_open(&s, via, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	store_close(&s);
	sqlite3 *db = NULL;
	cr_assert_eq(cache_open_ro(&db, via, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	sqlite3_close(db);

	char inner[200];
	snprintf(inner, sizeof(inner), "%s/other.db", link);
	cr_assert_eq(symlink("cache.db", inner), 0);
	cr_assert_eq(store_open(&s, inner, err, sizeof(err)), STORE_EIO);
	cr_assert(strstr(err, "symbolic link"), "%s", err);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", real, link);
	cr_assert_eq(system(cmd), 0);
}

Test(store, migrates_version_1_and_indexes_old_messages)
{
	sqlite3 *db;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(cache_migrate(db, 1, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	cr_assert_eq(sqlite3_exec(db,
	                          "INSERT INTO accounts (name) VALUES ('a');"
	                          "INSERT INTO mailboxes (account_id, name) "
	                          "VALUES (1, 'INBOX');"
	                          "INSERT INTO messages (mailbox_id, uid, "
	                          "subject) VALUES (1, 7, 'quarterly report');",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	cr_assert_eq(cache_version(db), 1);
	sqlite3_close(db);

	/* The query tool does not migrate; it asks for the daemon. */
	cr_assert_eq(cache_open_ro(&db, path, err, sizeof(err)), CACHE_EOLDER);
	cr_assert_null(db);
	cr_assert(strstr(err, "start mailmirrord") != NULL, "%s", err);

	struct store *s = open_store();
	store_close(&s);
	cr_assert_eq(query_int("PRAGMA user_version"), CACHE_SCHEMA_VERSION);
	cr_assert_eq(fts_hits("quarterly"), 1);
	/* An existing file keeps its page size. */
	cr_assert_eq(query_int("PRAGMA page_size"), 4096);
	assert_consistent();
}

/* Version 3 took the indexing of new messages from a trigger to the
 * daemon, version 4 to its indexer: what version 2 indexed stays, and new
 * rows wait for the indexer. */
Test(store, migrates_version_2_and_lets_its_raw_bodies_go)
{
	sqlite3 *db;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(cache_migrate(db, 2, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	cr_assert_eq(sqlite3_exec(db,
	                          "INSERT INTO accounts (name) VALUES ('a');"
	                          "INSERT INTO mailboxes (account_id, name, "
	                          "last_sync) VALUES (1, 'INBOX', 0);"
	                          "INSERT INTO messages (mailbox_id, uid, "
	                          "subject) VALUES (1, 7, 'quarterly report');"
	                          "INSERT INTO bodies (message_id, body) "
	                          "VALUES (1, 'the walrus said');",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);

	struct store *s = open_store();
	cr_assert_eq(query_int("PRAGMA user_version"), CACHE_SCHEMA_VERSION);
	cr_assert_eq(query_int("SELECT count(*) FROM sqlite_schema WHERE "
	                       "name = 'messages_fts_insert'"),
	             0);
	/* Version 4 counts the rows again: resyncs trust the count. */
	cr_assert_eq(query_int("SELECT exists_count * 10 + unseen_count FROM "
	                       "mailboxes"),
	             11);
	cr_assert_eq(fts_hits("quarterly"), 1);
	/* explore40: a body of version 2 is the raw MIME message; it goes,
	 * for the daemon to fetch again as text */
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 0);
	cr_assert_eq(fts_hits("walrus"), 0);
	/* a first sync a kill cut short is "never" synced, not in 1970 */
	cr_assert_eq(query_int("SELECT last_sync IS NULL FROM mailboxes"), 1);
	struct store_msg m = msg(8, "annual report", "");
	cr_assert_eq(store_message_upsert(NULL, s, 1, &m), STORE_OK);
	cr_assert_eq(fts_hits("report"), 1);
	assert_consistent();
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("report"), 2);
	store_close(&s);
	assert_consistent();
}

Test(store, newer_schema_is_refused_by_both)
{
	sqlite3 *db;
	struct store *s = NULL;
	char err[256] = "";

	s = open_store();
	store_close(&s);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(
	        sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_ENEWER);
	cr_assert_null(s);
	cr_assert(strstr(err, "newer") != NULL, "%s", err);
	cr_assert_eq(cache_open_ro(&db, path, err, sizeof(err)), CACHE_ENEWER);
	cr_assert_null(db);
	/* Refusing did not write: the version is still 99. */
	cr_assert_eq(query_int("PRAGMA user_version"), 99);
}

Test(store, refuses_someone_elses_database)
{
	sqlite3 *db;
	struct store *s = NULL;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(
	        sqlite3_exec(db, "CREATE TABLE contacts (x)", NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_ECORRUPT);
	cr_assert(strstr(err, "not a mailmirror cache") != NULL, "%s", err);
	cr_assert_eq(query_int("SELECT count(*) FROM sqlite_schema"), 1);
	/* Refused as it was found: neither its mode nor its journal. */
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0644, "mode %o", sb.st_mode & 0777);
	char *mode = query_text("PRAGMA journal_mode");
	cr_assert_str_eq(mode, "delete");
	free(mode);
}

/* An SQLite file with nothing in it (a cache path made by hand) is not an
 * "older schema" for the reader: it is not a cache yet. */
Test(store, an_empty_database_is_not_a_cache_yet)
{
	sqlite3 *db = NULL;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	db = NULL;
	cr_assert_eq(cache_open_ro(&db, path, err, sizeof(err)), CACHE_EOLDER);
	cr_assert_null(db);
	cr_assert(strstr(err, "not a mailmirror cache yet") != NULL, "%s", err);
}

/* An application_id says whose file it is, tables or not. */
Test(store, refuses_an_empty_database_of_another_application)
{
	sqlite3 *db;
	struct store *s = NULL;
	char err[256] = "";

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA application_id = 1234", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_ECORRUPT);
	cr_assert(strstr(err, "not a mailmirror cache") != NULL, "%s", err);
	cr_assert_eq(query_int("SELECT count(*) FROM sqlite_schema"), 0);
	cr_assert_eq(query_int("PRAGMA application_id"), 1234);
}

Test(store, refuses_a_file_that_is_no_database)
{
	struct store *s = NULL;
	char err[256] = "";
	static const char text[] = "user_pref(\"a\", 1);\n";

	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 100; i++)
		fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_lt(store_open(&s, path, err, sizeof(err)), 0);
	cr_assert_null(s);
	cr_assert(strstr(err, "not a database") != NULL, "%s", err);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0644, "mode %o", sb.st_mode & 0777);
	cr_assert_eq(sb.st_size, 100 * (off_t)strlen(text));
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_neq(access(wal, F_OK), 0, "a WAL beside it");
}

Test(store, accounts)
{
	struct store *s = open_store();
	int64_t a, b, again;

	cr_assert_eq(store_account_upsert(&a, NULL, s, "work", "h1", 143, "u1"),
	             STORE_OK);
	cr_assert_eq(store_account_upsert(&b, NULL, s, "home", "h2", 143, "u2"),
	             STORE_OK);
	cr_assert_neq(a, b);
	cr_assert_eq(
	        store_account_upsert(&again, NULL, s, "work", "h3", 143, "u3"),
	        1, "another server and user");
	cr_assert_eq(again, a);
	cr_assert_eq(store_account_upsert(&again, NULL, s, "", "h", 143, "u"),
	             STORE_EINVAL);
	cr_assert_eq(store_account_set_state(s, a, "syncing"), STORE_OK);
	cr_assert_eq(store_account_set_error(s, a, "login failed"), STORE_OK);
	cr_assert_eq(store_account_set_last_sync(s, a, 1700000123), STORE_OK);
	cr_assert_eq(store_account_set_state(s, 999, "idle"), STORE_ENOTFOUND);
	cr_assert(strlen(store_errmsg(s)) > 0);
	store_close(&s);

	char *v = query_text("SELECT host || ' ' || user || ' ' || state || "
	                     "' ' || last_error || ' ' || last_sync "
	                     "FROM accounts WHERE name = 'work'");
	cr_assert_str_eq(v, "h3 u3 syncing login failed 1700000123");
	free(v);
	cr_assert_eq(query_int("SELECT count(*) FROM accounts"), 2);
}

static int collect_names(void *payload, int64_t id, const char *name)
{
	char *buf = payload;

	(void)id;
	strcat(buf, name);
	strcat(buf, ",");
	return 0;
}

static int stop_at_second(void *payload, int64_t id, const char *name)
{
	int *n = payload;

	(void)id;
	(void)name;
	return ++*n == 2 ? 42 : 0;
}

Test(store, mailboxes)
{
	int64_t acct, inbox, sent, other, found;
	struct store *s = fixture(&acct, &inbox);
	struct store_mailbox_state st = {0};
	char names[256] = "";
	int n = 0;

	cr_assert_eq(store_mailbox_upsert(&sent, s, acct, "Sent", "/",
	                                  "\\HasNoChildren \\Sent", "\\Sent"),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(&other, s, acct, "Archiv/Ä", NULL, "",
	                                  NULL),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(&found, s, 999, "X", "/", "", NULL),
	             STORE_ENOTFOUND);
	cr_assert_eq(store_mailbox_find(&found, s, acct, "Sent"), STORE_OK);
	cr_assert_eq(found, sent);
	cr_assert_eq(store_mailbox_find(&found, s, acct, "sent"),
	             STORE_ENOTFOUND);

	cr_assert_eq(store_mailbox_each(s, acct, collect_names, names),
	             STORE_OK);
	cr_assert_str_eq(names, "Archiv/Ä,INBOX,Sent,");
	cr_assert_eq(store_mailbox_each(s, acct, stop_at_second, &n), 42);

	cr_assert_eq(store_mailbox_get_state(&st, s, inbox), STORE_OK);
	cr_assert_eq(st.uidvalidity, 0);
	cr_assert_eq(st.last_sync, STORE_NO_TIME);
	st = (struct store_mailbox_state){
	        .uidvalidity = 4000000000u,
	        .uidnext = 4294967295u,
	        .highestmodseq = (1ull << 62) + 5,
	        .exists = 3,
	        .unseen = 1,
	        .last_sync = 1700000000,
	};
	cr_assert_eq(store_mailbox_set_state(s, inbox, &st), STORE_OK);
	struct store_mailbox_state back;
	cr_assert_eq(store_mailbox_get_state(&back, s, inbox), STORE_OK);
	cr_assert_eq(memcmp(&back, &st, sizeof(st)), 0);
	st.highestmodseq = UINT64_MAX;
	cr_assert_eq(store_mailbox_set_state(s, inbox, &st), STORE_EINVAL);
	cr_assert_eq(store_mailbox_get_state(&back, s, 999), STORE_ENOTFOUND);

	cr_assert_eq(store_mailbox_set_live(s, inbox, true), STORE_OK);
	cr_assert_eq(store_mailbox_set_live(s, sent, true), STORE_OK);
	cr_assert_eq(store_mailbox_set_progress(s, inbox, 10, 200), STORE_OK);
	cr_assert_eq(store_mailbox_set_error(s, sent, "NO [NOPERM]"), STORE_OK);
	cr_assert_eq(query_int("SELECT sum(live) FROM mailboxes"), 2);
	cr_assert_eq(store_account_clear_live(s, acct), STORE_OK);
	cr_assert_eq(query_int("SELECT sum(live) FROM mailboxes"), 0);
	cr_assert_eq(query_int("SELECT sync_progress * 1000 + sync_total "
	                       "FROM mailboxes WHERE name = 'INBOX'"),
	             10200);
	/* At start-up the progress a killed run left goes too. */
	cr_assert_eq(store_mailbox_set_live(s, sent, true), STORE_OK);
	cr_assert_eq(store_account_clear_run(s, acct), STORE_OK);
	cr_assert_eq(query_int("SELECT sum(live) + sum(sync_progress) + "
	                       "sum(sync_total) FROM mailboxes"),
	             0);

	cr_assert_eq(store_mailbox_rename(s, sent, "INBOX"), STORE_EEXIST);
	cr_assert_eq(store_mailbox_rename(s, sent, "Sent Items"), STORE_OK);
	cr_assert_eq(store_mailbox_rename(s, 999, "Y"), STORE_ENOTFOUND);
	cr_assert_eq(store_mailbox_find(&found, s, acct, "Sent Items"),
	             STORE_OK);
	cr_assert_eq(found, sent);

	/* The upsert keeps the id and updates the LIST data. */
	cr_assert_eq(store_mailbox_upsert(&found, s, acct, "INBOX", ".",
	                                  "\\HasChildren", NULL),
	             STORE_OK);
	cr_assert_eq(found, inbox);
	cr_assert_eq(query_int("SELECT delimiter = '.' FROM mailboxes "
	                       "WHERE name = 'INBOX'"),
	             1);

	cr_assert_eq(store_mailbox_delete(s, other), STORE_OK);
	cr_assert_eq(store_mailbox_delete(s, other), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM mailboxes"), 2);
	store_close(&s);
}

static int collect_uids(void *payload, uint32_t uid)
{
	char *buf = payload;

	sprintf(buf + strlen(buf), "%u,", uid);
	return 0;
}

Test(store, messages)
{
	int64_t acct, inbox, id1, id1b;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(5, "hello", "\\Seen  $Junk \\Answered \\Seen");
	char uids[256] = "";
	uint64_t deleted;
	uint32_t max;

	cr_assert_eq(store_message_upsert(&id1, s, inbox, &m), STORE_OK);
	assert_text("SELECT flags FROM messages WHERE uid = 5",
	            "$Junk \\Answered \\Seen");
	cr_assert_eq(query_int("SELECT seen * 10 + flagged FROM messages"), 10);

	/* Update in place: same row, every field replaced. */
	m.subject = "hello again";
	m.flags = "\\Flagged";
	m.date = STORE_NO_TIME;
	m.size = -1;
	cr_assert_eq(store_message_upsert(&id1b, s, inbox, &m), STORE_OK);
	cr_assert_eq(id1b, id1);
	cr_assert_eq(query_int("SELECT seen * 10 + flagged FROM messages"), 1);
	cr_assert_eq(query_int("SELECT (date IS NULL) + (size IS NULL) * 2 + "
	                       "(sort_date = internaldate) * 4 FROM messages"),
	             7);

	for (uint32_t uid = 6; uid <= 12; uid++) {
		struct store_msg more =
		        msg(uid, "more", uid % 2 ? "\\Seen" : "");
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &more),
		             STORE_OK);
	}
	m = msg(0, "bad", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_EINVAL);
	m = msg(1, "nowhere", "");
	cr_assert_eq(store_message_upsert(NULL, s, 999, &m), STORE_ENOTFOUND);

	/* What each change did to the unseen count: \seen in any case is
	 * \Seen, and a change that keeps it moves nothing. */
	int delta = 9;
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "\\seen", 0, false,
	                                     &delta),
	             STORE_OK);
	cr_assert_eq(delta, -1);
	cr_assert_eq(query_int("SELECT seen * 1000 + modseq FROM messages "
	                       "WHERE uid = 5"),
	             1050);
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "\\SEEN \\Flagged", 0,
	                                     false, &delta),
	             STORE_OK);
	cr_assert_eq(delta, 0);
	cr_assert_eq(query_int("SELECT flagged FROM messages WHERE uid = 5"),
	             1);
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "\\Seenish", 0, false,
	                                     &delta),
	             STORE_OK);
	cr_assert_eq(delta, 1);
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 5, "", 77, false, &delta),
	        STORE_OK);
	cr_assert_eq(delta, 0);
	cr_assert_eq(query_int("SELECT seen * 1000 + modseq FROM messages "
	                       "WHERE uid = 5"),
	             77);
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 99, "", 1, false, &delta),
	        STORE_ENOTFOUND);
	cr_assert_eq(delta, 0);
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 99, "\\Seen", 1, false, NULL),
	        STORE_ENOTFOUND);

	/* RFC 7162 3.1: a message's MODSEQ only grows. A change with a lower
	 * one (77 is cached) is refused and changes nothing; the same one,
	 * or one without MODSEQ, is taken; a listing of every flag is taken
	 * as the server's word even when it went back. */
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "\\Seen", 76, false,
	                                     &delta),
	             STORE_ESTALE);
	cr_assert_eq(delta, 0);
	cr_assert_str_eq(store_errmsg(s),
	                 "MODSEQ of UID 5 went back (77 -> 76)");
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "$x", 7, false, NULL),
	             STORE_ESTALE);
	cr_assert_eq(query_int("SELECT seen * 1000 + modseq FROM messages "
	                       "WHERE uid = 5 AND flags = ''"),
	             77);
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 5, "$x", 77, false, NULL),
	        STORE_OK);
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "", 0, false, NULL),
	             STORE_OK);
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 5, "\\Seen", 9, true, &delta),
	        STORE_OK);
	cr_assert_eq(delta, -1);
	cr_assert_eq(query_int("SELECT seen * 1000 + modseq FROM messages "
	                       "WHERE uid = 5"),
	             1009);
	cr_assert_eq(store_message_set_flags(s, inbox, 5, "", 9, false, &delta),
	             STORE_OK);
	cr_assert_eq(delta, 1);

	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 8);
	cr_assert_eq(store_message_max_uid(&max, s, inbox), STORE_OK);
	cr_assert_eq(max, 12);

	cr_assert_eq(store_message_delete(s, inbox, 6), STORE_OK);
	cr_assert_eq(store_message_delete(s, inbox, 6), STORE_OK);
	cr_assert_eq(store_message_delete_range(&deleted, s, inbox, 9, 11),
	             STORE_OK);
	cr_assert_eq(deleted, 3);
	cr_assert_eq(store_message_delete_range(&deleted, s, inbox, 3, 2),
	             STORE_EINVAL);
	cr_assert_eq(store_message_each_uid(s, inbox, collect_uids, uids),
	             STORE_OK);
	cr_assert_str_eq(uids, "5,7,8,12,");

	/* Counts follow the rows: 7 is seen, 5, 8 and 12 are not. */
	cr_assert_eq(store_mailbox_recount(s, inbox, false), STORE_OK);
	cr_assert_eq(query_int("SELECT exists_count * 10 + unseen_count FROM "
	                       "mailboxes WHERE id = 1"),
	             43);
	cr_assert_eq(store_mailbox_recount(s, 999, false), STORE_ENOTFOUND);
	/* Flags only: unseen follows, exists is left alone. */
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 5, "\\Seen", 0, false, NULL),
	        STORE_OK);
	cr_assert_eq(store_mailbox_recount(s, inbox, true), STORE_OK);
	cr_assert_eq(query_int("SELECT exists_count * 10 + unseen_count FROM "
	                       "mailboxes WHERE id = 1"),
	             42);
	cr_assert_eq(store_mailbox_recount(s, 999, true), STORE_ENOTFOUND);

	cr_assert_eq(store_message_max_uid(&max, s, 999), STORE_OK);
	cr_assert_eq(max, 0);
	store_close(&s);
	assert_consistent();
}

/* What tells a mailbox from another with the same UIDVALIDITY: spread
 * over its UIDs, its first and its last among them, in UID order. */
Test(store, a_sample_spans_the_mailbox)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg_key k[16];
	size_t n = 99;

	cr_assert_eq(store_message_sample(s, inbox, k, 16, &n), STORE_OK);
	cr_assert_eq(n, 0);
	struct store_msg m = msg(7, "one", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(store_message_sample(s, inbox, k, 16, &n), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(k[0].uid, 7);
	cr_assert_eq(k[0].size, 1007);
	cr_assert_eq(k[0].internaldate, 1700000007);

	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 10; uid < 1010; uid += 3) {
		m = msg(uid, "more", "");
		if (uid == 1009)
			m.size = -1;
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	cr_assert_eq(store_message_sample(s, inbox, k, 16, &n), STORE_OK);
	cr_assert_geq(n, 12);
	cr_assert_leq(n, 16);
	cr_assert_eq(k[0].uid, 7);
	cr_assert_eq(k[n - 1].uid, 1009, "the last is in");
	cr_assert_eq(k[n - 1].size, -1);
	for (size_t i = 1; i < n; i++)
		cr_assert_gt(k[i].uid, k[i - 1].uid);
	/* Spread: no half of the UIDs without a sample. */
	cr_assert_lt(k[n / 2].uid, 800);
	cr_assert_gt(k[n / 2].uid, 200);
	store_close(&s);
}

Test(store, flag_list_too_long_is_refused)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	size_t n = 70000;
	char *flags = malloc(n + 1);
	struct store_msg m = msg(1, "x", "");

	memset(flags, 'a', n);
	flags[n] = '\0';
	m.flags = flags;
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_EINVAL);
	free(flags);
	store_close(&s);
}

/* The pieces of a body coming over a slow link, kept as they come so that
 * a restart goes on from the last: read back whole and in order; of
 * another section or past a gap, all dropped; gone with their message. */
Test(store, pieces_of_a_body_are_kept_until_it_is_stored)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	char *data;
	size_t len;
	int64_t size;

	struct store_msg m = msg(7, "slow", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(store_pieces_load(s, inbox, 7, "", &data, &len, &size),
	             STORE_OK);
	cr_assert_null(data);
	cr_assert_eq(len, 0);
	/* out of order, and once again (a piece fetched twice) */
	cr_assert_eq(store_piece_add(s, inbox, 7, "", 12, 4, "efgh", 4),
	             STORE_OK);
	cr_assert_eq(store_piece_add(s, inbox, 7, "", 12, 0, "abcd", 4),
	             STORE_OK);
	cr_assert_eq(store_piece_add(s, inbox, 7, "", 12, 4, "efgh", 4),
	             STORE_OK);
	cr_assert_eq(store_pieces_load(s, inbox, 7, "", &data, &len, &size),
	             STORE_OK);
	cr_assert_eq(len, 8);
	cr_assert_eq(memcmp(data, "abcdefgh", 8), 0);
	cr_assert_eq(size, 12);
	free(data);
	/* a message not cached keeps nothing */
	cr_assert_eq(store_piece_add(s, inbox, 8, "", 12, 0, "zz", 2),
	             STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 2);

	/* asked for as another section (bodies = "headers" since): gone */
	cr_assert_eq(
	        store_pieces_load(s, inbox, 7, "HEADER", &data, &len, &size),
	        STORE_OK);
	cr_assert_eq(len, 0);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 0);

	/* a gap: all go */
	cr_assert_eq(store_piece_add(s, inbox, 7, "HEADER", -1, 0, "ab", 2),
	             STORE_OK);
	cr_assert_eq(store_piece_add(s, inbox, 7, "HEADER", -1, 3, "d", 1),
	             STORE_OK);
	cr_assert_eq(
	        store_pieces_load(s, inbox, 7, "HEADER", &data, &len, &size),
	        STORE_OK);
	cr_assert_eq(len, 0);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 0);

	/* dropped when the body is stored; gone with the message */
	cr_assert_eq(store_piece_add(s, inbox, 7, "", -1, 0, "ab", 2),
	             STORE_OK);
	cr_assert_eq(store_pieces_load(s, inbox, 7, "", &data, &len, &size),
	             STORE_OK);
	cr_assert_eq(size, -1);
	free(data);
	cr_assert_eq(store_pieces_drop(s, inbox, 7), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 0);
	cr_assert_eq(store_piece_add(s, inbox, 7, "", -1, 0, "ab", 2),
	             STORE_OK);
	cr_assert_eq(store_message_delete(s, inbox, 7), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM body_pieces"), 0);
	store_close(&s);
}

Test(store, uidvalidity_reset_drops_rows)
{
	int64_t acct, inbox, sent;
	struct store *s = fixture(&acct, &inbox);
	struct store_mailbox_state st = {.uidvalidity = 1,
	                                 .uidnext = 4,
	                                 .highestmodseq = 30,
	                                 .exists = 3,
	                                 .last_sync = 5};

	cr_assert_eq(
	        store_mailbox_upsert(&sent, s, acct, "Sent", "/", "", NULL),
	        STORE_OK);
	for (uint32_t uid = 1; uid <= 3; uid++) {
		struct store_msg m = msg(uid, "epoch one", "");
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
		cr_assert_eq(store_message_upsert(NULL, s, sent, &m), STORE_OK);
	}
	cr_assert_eq(index_all(s), 6);
	/* And some waiting: a body, and a message with its body. */
	cr_assert_eq(store_body_put(s, inbox, 2, "Subject: x\r\n",
	                            "uniquebodyword", false),
	             STORE_OK);
	struct store_msg late = msg(4, "epoch one", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &late), STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 4, "H", "otherbodyword", false),
	             STORE_OK);
	cr_assert_eq(store_mailbox_set_state(s, inbox, &st), STORE_OK);
	cr_assert_eq(store_mailbox_reset(s, inbox, 2), STORE_OK);

	cr_assert_eq(store_mailbox_get_state(&st, s, inbox), STORE_OK);
	cr_assert_eq(st.uidvalidity, 2);
	cr_assert_eq(st.uidnext, 0);
	cr_assert_eq(st.highestmodseq, 0);
	cr_assert_eq(st.exists, 0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages WHERE "
	                       "mailbox_id = 1"),
	             0);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 0);
	/* The other mailbox is untouched. */
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	cr_assert_eq(fts_hits("uniquebodyword OR otherbodyword"), 0);
	cr_assert_eq(fts_hits("epoch"), 3);
	cr_assert_eq(index_all(s), 0, "nothing of the reset mailbox waits");
	cr_assert_eq(store_mailbox_reset(s, 999, 1), STORE_ENOTFOUND);
	store_close(&s);
	assert_consistent();
}

struct uid_list {
	uint32_t v[4];
	size_t n;
};

static int collect_uid_size(void *payload, uint32_t uid, int64_t size)
{
	struct uid_list *got = payload;
	(void)size;
	cr_assert_lt(got->n, 4);
	got->v[got->n++] = uid;
	return 0;
}

/* Calls store_body_trim in steps of step until it takes none; returns
 * how many it took in all. */
static size_t trim_all(struct store *s, int64_t acct, bool keep_headers,
                       size_t step)
{
	int64_t after = 0;
	size_t n, total = 0, steps = 0;
	do {
		cr_assert_eq(store_body_trim(s, acct, keep_headers, step,
		                             &after, &n),
		             STORE_OK);
		total += n;
		cr_assert_lt(++steps, 100, "the steps move on");
	} while (n);
	return total;
}

Test(store, a_lower_bodies_setting_takes_the_text_off_in_steps)
{
	int64_t acct, inbox, acct2, other;
	struct store *s = fixture(&acct, &inbox);
	cr_assert_eq(store_account_upsert(&acct2, NULL, s, "b", "h", 143, "u"),
	             STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&other, s, acct2, "INBOX", "/", "", NULL),
	        STORE_OK);
	const char *words[] = {"walrus", "otter", "heron", "badger", "lynx"};
	for (uint32_t uid = 1; uid <= 5; uid++) {
		struct store_msg m = msg(uid, "Note", "");
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
		cr_assert_eq(store_message_upsert(NULL, s, other, &m),
		             STORE_OK);
		cr_assert_eq(store_body_put(s, inbox, uid, "Subject: Note",
		                            words[uid - 1], uid == 2),
		             STORE_OK);
		cr_assert_eq(store_body_put(s, other, uid, "Subject: Note",
		                            "kestrel", false),
		             STORE_OK);
	}
	/* Some indexed, one still waiting: the index must stay equal to
	 * its content either way. */
	index_all(s);
	cr_assert_eq(
	        store_body_put(s, inbox, 5, "Subject: Note", "lynx", false),
	        STORE_OK);
	cr_assert_eq(fts_hits("walrus"), 1);

	/* "headers": the texts go, the header sections stay. */
	cr_assert_eq(trim_all(s, acct, true, 2), 5);
	cr_assert_eq(trim_all(s, acct, true, 2), 0, "nothing left to take");
	cr_assert_eq(query_int("SELECT count(*) FROM bodies b JOIN messages m "
	                       "ON m.id = b.message_id WHERE m.mailbox_id = 1 "
	                       "AND b.body IS NULL AND b.truncated = 0 AND "
	                       "b.headers = 'Subject: Note'"),
	             5);
	assert_consistent();
	index_all(s);
	cr_assert_eq(fts_hits("walrus OR otter OR heron OR badger OR lynx"), 0);
	cr_assert_eq(fts_hits("note"), 10, "envelopes stay searchable");
	cr_assert_eq(fts_hits("kestrel"), 5, "another account keeps its own");

	/* "none": the rows go. */
	cr_assert_eq(trim_all(s, acct, false, 3), 5);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 5);
	assert_consistent();
	cr_assert_eq(fts_hits("kestrel"), 5);
	store_close(&s);
}

Test(store, a_text_cut_at_a_lower_limit_is_missing_once_it_fits)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	for (uint32_t uid = 1; uid <= 3; uid++) {
		struct store_msg m = msg(uid, "S", ""); /* size 1000 + uid */
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
		cr_assert_eq(store_body_put(s, inbox, uid, "H", "t", uid != 1),
		             STORE_OK);
	}
	struct uid_list got = {0};
	/* Cut at 1,001 bytes: UID 2 (1,002) now fits in 1,002, UID 3 does
	 * not; UID 1 was whole. */
	cr_assert_eq(store_message_each_without_body(s, inbox, 1, true, 1002,
	                                             collect_uid_size, &got),
	             STORE_OK);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(got.v[0], 2);
	got.n = 0;
	cr_assert_eq(store_message_each_without_body(s, inbox, 1, false, 1002,
	                                             collect_uid_size, &got),
	             STORE_OK);
	cr_assert_eq(got.n, 0,
	             "a header block that came with its text is whole");
	store_close(&s);
}

/* f1-headers-cut.sh: header blocks a small max_body_size cut, under
 * "headers" or inside the header under "full", stayed cut for good after
 * the limit rose or bodies went from "full" to "headers", whose trim also
 * cleared their mark. Now they are marked, and missing while the limit
 * brings more of them than they hold. */
Test(store, a_header_block_cut_short_is_missing_while_more_fits)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	char cut[301];
	memset(cut, 'h', 300);
	cut[300] = '\0';
	struct {
		const char *headers, *body;
		bool truncated;
	} rows[] = {
	        {cut, NULL, true},         /* 1: "headers", cut at 300 bytes */
	        {"H: v\r\n", NULL, false}, /* 2: "headers", whole */
	        {cut, "", true},         /* 3: "full", cut inside the header */
	        {"H: v\r\n", "t", true}, /* 4: "full", the text cut */
	};
	for (uint32_t uid = 1; uid <= 4; uid++) {
		struct store_msg m = msg(uid, "S", "");
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
		cr_assert_eq(store_body_put(s, inbox, uid,
		                            rows[uid - 1].headers,
		                            rows[uid - 1].body,
		                            rows[uid - 1].truncated),
		             STORE_OK);
	}
	struct uid_list got = {0};
	/* 300 bytes came: a fetch of 303 may bring no more (a split
	 * character of up to three left out), one of 304 does. */
	cr_assert_eq(store_message_each_without_body(s, inbox, 1, false, 303,
	                                             collect_uid_size, &got),
	             STORE_OK);
	cr_assert_eq(got.n, 0, "the limit they were cut at brings no more");
	cr_assert_eq(store_message_each_without_body(s, inbox, 1, false, 304,
	                                             collect_uid_size, &got),
	             STORE_OK);
	cr_assert_eq(got.n, 2);
	cr_assert_eq(got.v[0], 1);
	cr_assert_eq(got.v[1], 3);

	/* From "full" to "headers": the text goes; a header block the cut
	 * fell in stays marked, and missing. */
	cr_assert_eq(trim_all(s, acct, true, 10), 2);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies WHERE body IS "
	                       "NULL AND truncated"),
	             2);
	cr_assert_eq(query_int("SELECT truncated FROM bodies b JOIN messages "
	                       "m ON m.id = b.message_id WHERE m.uid = 4"),
	             0, "a header block that came whole is whole");
	got.n = 0;
	cr_assert_eq(store_message_each_without_body(s, inbox, 1, false,
	                                             (uint64_t)32 << 20,
	                                             collect_uid_size, &got),
	             STORE_OK);
	cr_assert_eq(got.n, 2);
	cr_assert_eq(got.v[0], 1);
	cr_assert_eq(got.v[1], 3);
	store_close(&s);
}

Test(store, fts_follows_updates_and_deletes)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(1, "Budget meeting", "");
	struct store_msg m2 = msg(2, "Lunch", "");

	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m2), STORE_OK);
	/* New messages wait for the indexer, out of the index and out of
	 * its content: the two still agree. */
	cr_assert_eq(fts_hits("budget"), 0);
	assert_consistent();
	cr_assert_eq(index_all(s), 2);
	cr_assert_eq(fts_hits("budget"), 1);
	cr_assert_eq(fts_hits("from_addr:alice"), 2);

	cr_assert_eq(store_body_put(s, inbox, 1, "H: v", "the zebra crossing",
	                            false),
	             STORE_OK);
	/* Stored, not yet indexed: the index still equals its content. */
	cr_assert_eq(fts_hits("zebra"), 0);
	assert_consistent();
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("zebra"), 1);
	cr_assert_eq(fts_hits("budget"), 1);
	assert_consistent();
	cr_assert_eq(
	        store_body_put(s, inbox, 1, "H: v", "a giraffe instead", true),
	        STORE_OK);
	cr_assert_eq(fts_hits("zebra"), 0, "a replaced body leaves the index");
	cr_assert_eq(fts_hits("giraffe"), 0);
	assert_consistent();
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("zebra"), 0);
	cr_assert_eq(fts_hits("giraffe"), 1);
	cr_assert_eq(query_int("SELECT truncated FROM bodies"), 1);
	cr_assert_eq(store_body_put(s, inbox, 42, "H", "b", false),
	             STORE_ENOTFOUND);
	assert_consistent();

	/* Header change with a body present. */
	m.subject = "Budget review";
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(fts_hits("meeting"), 0);
	cr_assert_eq(fts_hits("review"), 1);
	cr_assert_eq(fts_hits("giraffe"), 1);
	/* A flag change leaves the index alone and correct. */
	cr_assert_eq(
	        store_message_set_flags(s, inbox, 1, "\\Seen", 30, false, NULL),
	        STORE_OK);
	assert_consistent();

	cr_assert_eq(store_message_delete(s, inbox, 1), STORE_OK);
	cr_assert_eq(fts_hits("giraffe"), 0);
	cr_assert_eq(fts_hits("review"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 0);
	assert_consistent();

	cr_assert_eq(store_body_put(s, inbox, 2, "H", "sandwich", false),
	             STORE_OK);
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("sandwich"), 1);
	int64_t after = 0;
	size_t n = 0;
	cr_assert_eq(store_body_trim(s, acct, false, 10, &after, &n), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(fts_hits("sandwich"), 0);
	cr_assert_eq(fts_hits("lunch"), 1);
	assert_consistent();

	/* A message whose body waits for the index can go too. */
	struct store_msg m3 = msg(3, "Dinner", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m3), STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 3, "H", "pasta", false),
	             STORE_OK);
	cr_assert_eq(store_message_delete(s, inbox, 3), STORE_OK);
	cr_assert_eq(fts_hits("dinner OR pasta"), 0);
	assert_consistent();
	cr_assert_eq(index_all(s), 0);

	/* A waiting message is indexed whole, its body with it, and an
	 * update while it waits only changes what will be indexed. */
	struct store_msg m4 = msg(4, "Breakfast", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m4), STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 4, "H", "croissant", false),
	             STORE_OK);
	m4.subject = "Brunch";
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m4), STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 4, "H", "pancakes", false),
	             STORE_OK);
	assert_consistent();
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("brunch AND pancakes"), 1);
	cr_assert_eq(fts_hits("breakfast OR croissant"), 0);
	cr_assert_eq(store_message_delete(s, inbox, 4), STORE_OK);
	assert_consistent();

	/* Deleting the mailbox cascades through the triggers, indexed and
	 * waiting bodies alike. */
	cr_assert_eq(store_body_put(s, inbox, 2, "H", "sandwich", false),
	             STORE_OK);
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m3), STORE_OK);
	cr_assert_eq(store_body_put(s, inbox, 3, "H", "pasta", false),
	             STORE_OK);
	cr_assert_eq(store_mailbox_delete(s, inbox), STORE_OK);
	cr_assert_eq(fts_hits("lunch OR sandwich"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 0);
	store_close(&s);
	assert_consistent();
}

/* A batch queues exactly its new rows for the index, also when SQLite
 * hands out again the id of a row deleted just before (the largest id plus
 * one), and when some rows of the batch update rows that are indexed
 * already (those are updated in the index at once). */
Test(store, batches_queue_exactly_their_new_rows)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg a = msg(1, "alpha", ""), b = msg(2, "bravo", ""),
	                 c = msg(3, "charlie", "");
	const struct store_msg *first[] = {&a, &b, &c};

	cr_assert_eq(store_message_upsert_many(s, inbox, first, 3, NULL),
	             STORE_OK);
	cr_assert_eq(index_all(s), 3);
	cr_assert_eq(fts_hits("alpha OR bravo OR charlie"), 3);
	cr_assert_eq(store_message_delete(s, inbox, 3), STORE_OK);

	struct store_msg d = msg(4, "delta", ""), b2 = msg(2, "bravissimo", "");
	const struct store_msg *second[] = {&d, &b2};
	cr_assert_eq(store_message_upsert_many(s, inbox, second, 2, NULL),
	             STORE_OK);
	cr_assert_eq(query_int("SELECT id FROM messages WHERE uid = 4"), 3,
	             "the test wants the freed id reused");
	cr_assert_eq(query_int("SELECT message_id FROM messages_unindexed"), 3);
	cr_assert_eq(fts_hits("bravissimo"), 1);
	assert_consistent();
	cr_assert_eq(index_all(s), 1);
	cr_assert_eq(fts_hits("delta"), 1);
	cr_assert_eq(fts_hits("charlie"), 0);
	cr_assert_eq(fts_hits("bravo"), 0);
	cr_assert_eq(fts_hits("bravissimo"), 1);
	assert_consistent();

	/* A failing row rolls back the whole batch, index included. */
	struct store_msg e = msg(5, "echo", ""), bad = msg(0, "zero", "");
	const struct store_msg *third[] = {&e, &bad};
	cr_assert_eq(store_message_upsert_many(s, inbox, third, 2, NULL),
	             STORE_EINVAL);
	cr_assert_eq(fts_hits("echo"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	cr_assert_eq(query_int("SELECT count(*) FROM messages_unindexed"), 0);
	store_close(&s);
	assert_consistent();
}

/* A long batch: every row stored with its own values, a row cached
 * already updated in place, the counts of what was new; a bad row in the
 * middle, or a mailbox that is not there, stores nothing of the batch. */
Test(store, long_batches_store_every_row_or_none)
{
	enum { N = 69, MIDDLE = 35 };
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg rows[N];
	const struct store_msg *v[N];
	char subj[N][32];

	struct store_msg early = msg(40, "cached before", "");
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &early), STORE_OK);
	for (int i = 0; i < N; i++) {
		snprintf(subj[i], sizeof(subj[i]), "row%d", i + 1);
		rows[i] = msg((uint32_t)i + 1, subj[i], i % 3 ? "" : "\\Seen");
		v[i] = &rows[i];
	}
	struct store_added added = {0};
	cr_assert_eq(store_message_upsert_many(s, inbox, v, N, &added),
	             STORE_OK);
	cr_assert_eq(added.rows, N - 1, "UID 40 was cached");
	cr_assert_eq(added.unseen, 46, "%u", added.unseen);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), N);
	cr_assert_eq(query_int("SELECT count(*) FROM messages WHERE subject = "
	                       "'row' || uid AND size = 1000 + uid AND "
	                       "internaldate = 1700000000 + uid"),
	             N);
	cr_assert_eq(query_int("SELECT count(*) FROM messages WHERE seen"),
	             N - 46);
	cr_assert_eq(index_all(s), N);
	cr_assert_eq(fts_hits("row40"), 1);
	cr_assert_eq(fts_hits("cached"), 0);

	/* A bad row in the second chunk: nothing of this batch is kept. */
	struct store_msg more[N];
	const struct store_msg *vm[N];
	for (int i = 0; i < N; i++) {
		more[i] = msg((uint32_t)(N + i + 1), "later", "");
		vm[i] = &more[i];
	}
	more[MIDDLE].uid = 0;
	cr_assert_eq(store_message_upsert_many(s, inbox, vm, N, NULL),
	             STORE_EINVAL);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), N);
	/* Into a mailbox that is not there: not found, nothing kept. */
	more[MIDDLE].uid = 2 * N + 1;
	cr_assert_eq(store_message_upsert_many(s, inbox + 100, vm, N, NULL),
	             STORE_ENOTFOUND);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), N);
	store_close(&s);
	assert_consistent();
}

/* A batch inside the caller's transaction: a bad row anywhere in it, or a
 * flag list too long, is refused before any row of the batch is written,
 * so that what the caller commits holds nothing of it. */
Test(store, refused_batch_leaves_nothing_in_the_callers_transaction)
{
	enum { N = 5 };
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg rows[N];
	const struct store_msg *v[N];
	char *long_flags = malloc(70001);

	memset(long_flags, 'a', 70000);
	long_flags[70000] = '\0';
	for (int i = 0; i < N; i++) {
		rows[i] = msg((uint32_t)i + 1, "kept?", "");
		v[i] = &rows[i];
	}
	rows[3].uid = 0;
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_message_upsert_many(s, inbox, v, N, NULL),
	             STORE_EINVAL);
	rows[3].uid = 4;
	rows[4].flags = long_flags;
	cr_assert_eq(store_message_upsert_many(s, inbox, v, N, NULL),
	             STORE_EINVAL);
	cr_assert_eq(store_commit(s), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM messages_unindexed"), 0);
	free(long_flags);
	store_close(&s);
	assert_consistent();
}

/* A batch stores flags as a single row does: sorted bytewise, each once,
 * one space between them; many flags as well as none. */
Test(store, batches_normalise_flags)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	char many[400] = "", want_many[400] = "";

	/* w39 ... w00, each twice: more flags than fit on the stack. */
	for (int i = 39; i >= 0; i--)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		         " w%02d w%02d", i, i);
	for (int i = 0; i < 40; i++)
		snprintf(want_many + strlen(want_many),
		         sizeof(want_many) - strlen(want_many), "%sw%02d",
		         i ? " " : "", i);
	struct store_msg rows[] = {
	        msg(1, "a", "\\Seen  $Junk \\Answered \\Seen"),
	        msg(2, "b", "  b a  ab a  "),
	        msg(3, "c", ""),
	        msg(4, "d", "\\Seenish \\Seen"),
	        msg(5, "e", many),
	        msg(6, "f", NULL),
	};
	const struct store_msg *v[] = {&rows[0], &rows[1], &rows[2],
	                               &rows[3], &rows[4], &rows[5]};

	cr_assert_eq(store_message_upsert_many(s, inbox, v, 6, NULL), STORE_OK);
	assert_text("SELECT flags FROM messages WHERE uid = 1",
	            "$Junk \\Answered \\Seen");
	assert_text("SELECT flags FROM messages WHERE uid = 2", "a ab b");
	assert_text("SELECT flags FROM messages WHERE uid = 3", "");
	assert_text("SELECT flags FROM messages WHERE uid = 4",
	            "\\Seen \\Seenish");
	assert_text("SELECT flags FROM messages WHERE uid = 5", want_many);
	assert_text("SELECT flags FROM messages WHERE uid = 6", "");
	cr_assert_eq(query_int("SELECT sum(seen) FROM messages"), 2);
	store_close(&s);
	assert_consistent();
}

/* A chunk of the indexer stops at its byte budget (by message size; an
 * envelope alone weighs 512), though it always takes one message, and at
 * its count: for waiting messages and for waiting bodies alike. */
static void assert_chunks(struct store *s, const size_t *want, size_t n)
{
	/* 5 MB each against 8 MB: the second starts below the budget. A
	 * budget smaller than one message still takes one. */
	static const struct {
		size_t max;
		uint64_t bytes;
	} calls[] = {{100, 8 << 20}, {100, 1}, {1, 0}, {100, 0}, {100, 0}};
	for (size_t i = 0; i < n; i++) {
		size_t got = 99;
		cr_assert_eq(store_index_chunk(s, calls[i].max, calls[i].bytes,
		                               &got),
		             STORE_OK);
		cr_assert_eq(got, want[i], "chunk %zu: %zu, not %zu", i, got,
		             want[i]);
	}
}

Test(store, index_chunks_are_bounded_by_bytes_and_count)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	for (uint32_t uid = 1; uid <= 5; uid++) {
		struct store_msg m = msg(uid, "big", "");
		m.size = 5 << 20;
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
		cr_assert_eq(store_body_put(s, inbox, uid, "H", "text", false),
		             STORE_OK);
	}
	assert_chunks(s, (const size_t[]){2, 1, 1, 1, 0}, 5);
	cr_assert_eq(fts_hits("big AND text"), 5);

	/* The same bodies again, for messages indexed already. */
	for (uint32_t uid = 1; uid <= 5; uid++)
		cr_assert_eq(store_body_put(s, inbox, uid, "H", "more", false),
		             STORE_OK);
	assert_chunks(s, (const size_t[]){2, 1, 1, 1, 0}, 5);
	cr_assert_eq(fts_hits("more"), 5);

	/* Envelopes alone, 512 bytes each in the budget. */
	cr_assert_eq(store_begin(s), STORE_OK);
	for (uint32_t uid = 10; uid < 40; uid++) {
		struct store_msg m = msg(uid, "small", "");
		m.size = 5 << 20;
		cr_assert_eq(store_message_upsert(NULL, s, inbox, &m),
		             STORE_OK);
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	size_t n = 0;
	cr_assert_eq(store_index_chunk(s, 100, 512 * 10, &n), STORE_OK);
	cr_assert_eq(n, 10);
	cr_assert_eq(store_index_chunk(s, 100, 512 * 10 + 1, &n), STORE_OK);
	cr_assert_eq(n, 11);
	cr_assert_eq(store_index_chunk(s, 5, 0, &n), STORE_OK);
	cr_assert_eq(n, 5);
	cr_assert_eq(store_index_chunk(s, 100, 0, &n), STORE_OK);
	cr_assert_eq(n, 4);
	cr_assert_eq(fts_hits("small"), 30);
	store_close(&s);
	assert_consistent();
}

Test(store, transactions)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg m = msg(1, "rolled back", "");

	cr_assert(!store_in_transaction(s));
	cr_assert_eq(store_commit(s), STORE_EINVAL);
	cr_assert_eq(store_rollback(s), STORE_OK);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_begin(s), STORE_EINVAL);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	/* The reset joins the caller's transaction instead of committing. */
	cr_assert_eq(store_mailbox_reset(s, inbox, 9), STORE_OK);
	cr_assert(store_in_transaction(s));
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 0);
	cr_assert_eq(store_rollback(s), STORE_OK);
	cr_assert_eq(query_int("SELECT uidvalidity FROM mailboxes"), 0);

	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	cr_assert_eq(store_commit(s), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 1);

	/* A second writer waits for the lock, then gives up as busy. */
	struct store *other = open_store();
	cr_assert_eq(store_begin(s), STORE_OK);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1);
	cr_assert_neq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	              SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_rollback(s), STORE_OK);
	store_close(&other);

	/* Closing with an open transaction rolls it back. */
	cr_assert_eq(store_begin(s), STORE_OK);
	m.uid = 2;
	cr_assert_eq(store_message_upsert(NULL, s, inbox, &m), STORE_OK);
	store_close(&s);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 1);
}

/* The child dies in the middle of a transaction, without commit, rollback
 * or close: what a crash or kill -9 leaves. */
Test(store, crash_mid_transaction_leaves_no_trace)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	int status;

	store_close(&s);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct store *c = NULL;
		char err[128];
		struct store_mailbox_state st = {.uidvalidity = 7,
		                                 .uidnext = 501};

		if (store_open(&c, path, err, sizeof(err)) < 0 ||
		    store_begin(c) < 0)
			_exit(2);
		for (uint32_t uid = 1; uid <= 500; uid++) {
			struct store_msg m = msg(uid, "never committed", "");
			if (store_message_upsert(NULL, c, inbox, &m) < 0)
				_exit(3);
		}
		if (store_body_put(c, inbox, 3, "H", "body", false) < 0 ||
		    store_mailbox_set_state(c, inbox, &st) < 0)
			_exit(4);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "child status %d", status);
	assert_consistent();
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 0);
	cr_assert_eq(query_int("SELECT uidvalidity FROM mailboxes"), 0);
	cr_assert_eq(fts_hits("committed"), 0);
}

/* kill -9 at a random point of a writer that commits batches of 50
 * messages with the UIDNEXT that covers them: every survivor state must be
 * a whole number of batches, with its high-water mark. */
Test(store, kill_9_during_commits_keeps_batches_whole)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	int status;

	store_close(&s);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int round = 0; round < 3; round++) {
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0) {
			struct store *c = NULL;
			char err[128];
			uint32_t base;

			if (store_open(&c, path, err, sizeof(err)) < 0 ||
			    store_message_max_uid(&base, c, inbox) < 0)
				_exit(2);
			for (uint32_t b = 0;; b++) {
				uint32_t first = base + b * 50 + 1;
				struct store_mailbox_state st = {
				        .uidvalidity = 1,
				        .uidnext = first + 50,
				};
				if (store_begin(c) < 0)
					_exit(3);
				for (uint32_t u = first; u < first + 50; u++) {
					struct store_msg m =
					        msg(u, "batch", "");
					if (store_message_upsert(NULL, c, inbox,
					                         &m) < 0)
						_exit(4);
				}
				if (store_body_put(c, inbox, first, "H",
				                   "batch body", false) < 0 ||
				    store_mailbox_set_state(c, inbox, &st) <
				            0 ||
				    store_commit(c) < 0)
					_exit(5);
			}
		}
		usleep(50000 + (useconds_t)(rand() % 200000));
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFSIGNALED(status), "child ended early: %d", status);
		assert_consistent();
		long long n = query_int("SELECT count(*) FROM messages");
		long long next = query_int("SELECT uidnext FROM mailboxes");
		cr_assert_eq(n % 50, 0, "partial batch: %lld rows", n);
		cr_assert(n == 0 || next == n + 1, "uidnext %lld for %lld rows",
		          next, n);
		cr_assert_eq(query_int("SELECT count(*) FROM bodies"), n / 50);
	}
}

Test(paths, default_path_order)
{
	char *p = NULL;
	char err[256];
	char tmp[] = "/tmp/mm-paths-XXXXXX";
	char want[256];
	struct stat sb;

	cr_assert_not_null(mkdtemp(tmp));
	setenv("STATE_DIRECTORY", "/var/lib/mailmirror:/var/lib/other", 1);
	setenv("XDG_STATE_HOME", tmp, 1);
	cr_assert_eq(cache_default_path(&p, false, err, sizeof(err)), 0);
	cr_assert_str_eq(p, "/var/lib/mailmirror/cache.db");
	free(p);

	unsetenv("STATE_DIRECTORY");
	cr_assert_eq(cache_default_path(&p, false, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/mailmirror/cache.db", tmp);
	cr_assert_str_eq(p, want);
	free(p);
	/* The tool never creates; the daemon does, 0700. */
	snprintf(want, sizeof(want), "%s/mailmirror", tmp);
	cr_assert_neq(stat(want, &sb), 0);
	cr_assert_eq(cache_default_path(&p, true, err, sizeof(err)), 0, "%s",
	             err);
	free(p);
	cr_assert_eq(stat(want, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	rmdir(want);

	setenv("XDG_STATE_HOME", "relative/ignored", 1);
	setenv("HOME", tmp, 1);
	cr_assert_eq(cache_default_path(&p, true, err, sizeof(err)), 0, "%s",
	             err);
	snprintf(want, sizeof(want), "%s/.local/state/mailmirror/cache.db",
	         tmp);
	cr_assert_str_eq(p, want);
	free(p);
	snprintf(want, sizeof(want), "%s/.local/state/mailmirror", tmp);
	cr_assert_eq(stat(want, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700);
	rmdir(want);
	snprintf(want, sizeof(want), "%s/.local/state", tmp);
	rmdir(want);
	snprintf(want, sizeof(want), "%s/.local", tmp);
	rmdir(want);
	rmdir(tmp);

	/* explore74: a system user's HOME=/ gave "//.local/..." */
	setenv("HOME", "/", 1);
	cr_assert_eq(cache_default_path(&p, false, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_str_eq(p, "/.local/state/mailmirror/cache.db");
	free(p);
}

Test(store, batch_writes_equal_row_writes)
{
	int64_t acct, inbox;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg rows[3] = {msg(1, "Budget meeting", "\\Seen"),
	                            msg(2, "Lunch", ""),
	                            msg(3, "Quarterly budget", "\\Flagged")};
	const struct store_msg *v[3] = {&rows[0], &rows[1], &rows[2]};

	struct store_added added = {99, 99};
	cr_assert_eq(store_message_upsert_many(s, inbox, v, 3, &added),
	             STORE_OK);
	cr_assert_eq(added.rows, 3);
	cr_assert_eq(added.unseen, 2, "uid 1 is seen");
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	cr_assert_eq(index_all(s), 3);
	cr_assert_eq(fts_hits("budget"), 2);
	/* the same UIDs again update in place, and the index follows */
	rows[1] = msg(2, "Dinner", "\\Seen");
	cr_assert_eq(store_message_upsert_many(s, inbox, v, 3, &added),
	             STORE_OK);
	cr_assert_eq(added.rows, 0, "nothing new");
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	cr_assert_eq(fts_hits("lunch"), 0);
	cr_assert_eq(fts_hits("dinner"), 1);
	cr_assert_eq(query_int("SELECT count(*) FROM messages WHERE seen"), 2);

	/* one bad row: nothing of the batch is stored */
	struct store_msg bad[2] = {msg(4, "fine", ""), msg(0, "uid zero", "")};
	const struct store_msg *vb[2] = {&bad[0], &bad[1]};
	cr_assert_eq(store_message_upsert_many(s, inbox, vb, 2, NULL),
	             STORE_EINVAL);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);

	/* bodies: one statement; a UID not cached is skipped */
	struct store_body b[3] = {
	        {.uid = 1,
	         .headers = "H: 1",
	         .headers_len = 4,
	         .body = "the zebra crossing",
	         .body_len = 18},
	        {.uid = 3, .headers = "H: 3", .headers_len = 4, .body = NULL},
	        {.uid = 99,
	         .headers = "H: 99",
	         .headers_len = 5,
	         .body = "ghost",
	         .body_len = 5},
	};
	cr_assert_eq(store_body_put_many(s, inbox, b, 3), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM bodies"), 2);
	cr_assert_eq(index_all(s), 2);
	cr_assert_eq(fts_hits("zebra"), 1);
	cr_assert_eq(fts_hits("ghost"), 0);
	/* inside the caller's transaction, rolled back with it */
	cr_assert_eq(store_begin(s), STORE_OK);
	struct store_msg late = msg(5, "rolled back", "");
	const struct store_msg *vl[1] = {&late};
	cr_assert_eq(store_message_upsert_many(s, inbox, vl, 1, NULL),
	             STORE_OK);
	cr_assert_eq(store_rollback(s), STORE_OK);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	store_close(&s);
}

/* An account leaves in steps of at most limit messages, each a commit of
 * its own; after every step the cache is consistent (a mailbox's counts
 * match its rows, the full-text index matches the messages), and the
 * other account is untouched. */
Test(store, an_account_is_deleted_in_consistent_steps)
{
	int64_t acct, inbox, other, other_box, archive;
	struct store *s = fixture(&acct, &inbox);
	struct store_msg v[25];
	const struct store_msg *pv[25];

	cr_assert_eq(store_mailbox_upsert(&archive, s, acct, "Archive", "/", "",
	                                  NULL),
	             STORE_OK);
	cr_assert_eq(
	        store_account_upsert(&other, NULL, s, "other", "h", 143, "u"),
	        STORE_OK);
	cr_assert_eq(store_mailbox_upsert(&other_box, s, other, "INBOX", "/",
	                                  "", NULL),
	             STORE_OK);
	for (uint32_t i = 0; i < 25; i++) {
		v[i] = msg(i + 1, "steps", i % 2 ? "\\Seen" : "");
		pv[i] = &v[i];
	}
	cr_assert_eq(store_message_upsert_many(s, inbox, pv, 25, NULL),
	             STORE_OK);
	cr_assert_eq(store_message_upsert_many(s, archive, pv, 7, NULL),
	             STORE_OK);
	cr_assert_eq(store_message_upsert_many(s, other_box, pv, 3, NULL),
	             STORE_OK);
	cr_assert_eq(store_mailbox_recount(s, inbox, false), STORE_OK);
	cr_assert_eq(store_mailbox_recount(s, archive, false), STORE_OK);
	cr_assert_eq(store_mailbox_recount(s, other_box, false), STORE_OK);
	index_all(s);

	int64_t step, total = 0;
	int steps = 0, rc;
	while ((rc = store_account_delete_step(s, acct, 10, &step)) == 0) {
		total += step;
		steps++;
		assert_consistent();
		cr_assert_eq(query_int("SELECT count(*) FROM mailboxes b WHERE "
		                       "exists_count != (SELECT count(*) FROM "
		                       "messages m WHERE m.mailbox_id = b.id)"),
		             0);
	}
	cr_assert_eq(rc, 1);
	cr_assert_eq(total, 32);
	cr_assert_geq(steps, 4);
	cr_assert_eq(query_int("SELECT count(*) FROM accounts"), 1);
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 3);
	cr_assert_eq(fts_hits("steps"), 3);
	assert_consistent();
	store_close(&s);
}

/* explore14: a WAL grown in a first sync, or behind a reader's snapshot,
 * kept its size on disk until the daemon exited (222 MB after one reader).
 * Every writer's connection cuts it back when the WAL starts over. */
Test(store, a_writers_wal_is_cut_back_when_it_starts_over)
{
	sqlite3 *db = NULL;
	char err[256];
	cr_assert_eq(cache_open_rw(&db, path, err, sizeof(err)), CACHE_OK, "%s",
	             err);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_size_limit", -1,
	                                &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int64(st, 0), CACHE_WAL_LIMIT);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* explore16: a cache removed with its WAL left behind (rm cache.db after
 * a kill, a WAL a reader kept from being emptied): the new file at the
 * path was opened with the old -wal and -shm, whose frames SQLite
 * replays. A new file starts with journals of its own. */
Test(store, a_new_cache_ignores_a_wal_left_by_the_old_one)
{
	off_t size = one_message_closed();
	cr_assert_gt(size, 0);
	/* A reader's snapshot holds the old -shm: no connection may start
	 * it over, and its index names frames the new WAL does not have. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "python3 -c \"import sqlite3, sys, time\n"
	         "c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', "
	         "uri=True, isolation_level=None)\n"
	         "c.execute('BEGIN')\n"
	         "c.execute('SELECT count(*) FROM messages').fetchone()\n"
	         "open(sys.argv[1] + '.held', 'w').close()\n"
	         "time.sleep(3)\" '%s' &",
	         path);
	cr_assert_eq(system(cmd), 0);
	char held[200];
	snprintf(held, sizeof(held), "%s.held", path);
	for (int i = 0; i < 100 && access(held, F_OK) != 0; i++)
		usleep(50000);
	cr_assert_eq(access(held, F_OK), 0, "the reader did not start");
	unlink(held);
	cr_assert_eq(unlink(path), 0);
	struct store *s = NULL;
	char err[256] = "";
	int rc = store_open(&s, path, err, sizeof(err));
	cr_assert_eq(rc, STORE_OK, "%d %s", rc, err);
	int64_t acct;
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "new", "h", 143, "u"),
	             STORE_OK);
	store_close(&s);
	assert_consistent();
	cr_assert_eq(query_int("SELECT count(*) FROM messages"), 0);
	cr_assert_eq(query_int("SELECT count(*) FROM accounts"), 1);
}
