/* test_store_journal.c - what storing bodies writes besides the cache.
 *
 * A statement that SQLite may have to undo alone inside a transaction
 * keeps a journal of the pages it changes, spilled to a temporary file
 * past 64 KiB. Storing bodies once wrote five times their size there
 * (schema.c, migration 6); a VFS that counts those files sees it. */
#include "daemon/cache_peek.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static sqlite3_vfs *real_vfs;
static sqlite3_vfs counting_vfs;
static int statement_journals;

static int counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                         int flags, int *out_flags)
{
	(void)vfs;
	if (flags & SQLITE_OPEN_SUBJOURNAL)
		statement_journals++;
	return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
}

static void setup(void)
{
	strcpy(dir, "/tmp/mm-journal-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	real_vfs = sqlite3_vfs_find(NULL);
	cr_assert_not_null(real_vfs);
	counting_vfs = *real_vfs;
	counting_vfs.zName = "mm-counting";
	counting_vfs.pNext = NULL;
	counting_vfs.xOpen = counting_open;
	cr_assert_eq(sqlite3_vfs_register(&counting_vfs, 1), SQLITE_OK);
	statement_journals = 0;
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	sqlite3_vfs_unregister(&counting_vfs);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(store_journal, .init = setup, .fini = teardown);

enum { MESSAGES = 400, BATCH = 200, TEXT = 10000 };

Test(store_journal, bodies_are_stored_without_a_statement_journal)
{
	struct store *s = NULL;
	char err[256] = "";
	int64_t acct, inbox;

	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "acct",
	                                  "imap.example.org", 143, "me"),
	             STORE_OK);
	cr_assert_eq(store_mailbox_upsert(&inbox, s, acct, "INBOX", "/",
	                                  "\\HasNoChildren", NULL),
	             STORE_OK);

	static struct store_msg rows[MESSAGES];
	static const struct store_msg *v[MESSAGES];
	for (uint32_t i = 0; i < MESSAGES; i++) {
		rows[i] = (struct store_msg){.uid = i + 1,
		                             .flags = "",
		                             .internaldate = 1700000000,
		                             .size = TEXT,
		                             .subject = "report"};
		v[i] = &rows[i];
	}
	cr_assert_eq(store_message_upsert_many(s, inbox, v, MESSAGES, NULL),
	             STORE_OK);

	/* Bodies of some 10 KB, in batches as a sync stores them. */
	statement_journals = 0;
	char *text = malloc(TEXT + 1);
	cr_assert_not_null(text);
	for (size_t i = 0; i < TEXT; i++)
		text[i] = i % 7 == 6 ? ' ' : "quokka"[i % 7];
	text[TEXT] = '\0';
	static struct store_body b[BATCH];
	for (uint32_t first = 1; first <= MESSAGES; first += BATCH) {
		for (uint32_t i = 0; i < BATCH; i++)
			b[i] = (struct store_body){.uid = first + i,
			                           .headers = "Subject: report",
			                           .headers_len = 15,
			                           .body = text,
			                           .body_len = TEXT};
		cr_assert_eq(store_begin(s), STORE_OK);
		cr_assert_eq(store_body_put_many(s, inbox, b, BATCH), STORE_OK);
		cr_assert_eq(store_commit(s), STORE_OK);
	}
	free(text);
	cr_assert_eq(statement_journals, 0,
	             "%d statement journals spilled to files",
	             statement_journals);

	/* Every new body still waits for the indexer, and is found after. */
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM bodies_unindexed"),
	             MESSAGES);
	size_t n = 0;
	do
		cr_assert_eq(store_index_chunk(s, 64, 0, &n), STORE_OK);
	while (n);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM bodies_unindexed"),
	             0);
	cr_assert_eq(peek_int(path, "SELECT count(*) FROM messages_fts "
	                            "WHERE messages_fts MATCH 'quokka'"),
	             MESSAGES);
	store_close(&s);
}
