/* test_sync_mark.c - sync_mark_verified: the last_sync of the mailboxes a
 * pass found unchanged, one of them dropped later in the same pass. */
#include "mailmirrord/store.h"
#include "mailmirrord/sync.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A mailbox found unchanged, then dropped by the pass's LIST (gone from
 * the server): the mark skips it and still marks the others. It used to
 * fail the pass with "no row N", and the session was dropped and made
 * again (explore78). */
Test(sync_mark, a_mailbox_dropped_in_the_pass_is_left_out)
{
	char dir[] = "/tmp/mm-mark.XXXXXX", db[64], err[512] = "";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/cache.db", dir);
	struct store *s = NULL;
	cr_assert_eq(store_open(&s, db, err, sizeof(err)), 0, "%s", err);
	int64_t acct = 0, kept = 0, gone = 0;
	cr_assert_geq(store_account_upsert(&acct, NULL, s, "work", "127.0.0.1",
	                                   143, "joe"),
	              0);
	cr_assert_eq(store_mailbox_upsert(&gone, s, acct, "Tmp", "/", "", NULL),
	             0);
	cr_assert_eq(
	        store_mailbox_upsert(&kept, s, acct, "INBOX", "/", "", NULL),
	        0);
	struct conf_account conf = {.name = "work"};
	struct sync_ctx c = {.conf = &conf, .store = s, .account_id = acct};
	c.capverified = 2;
	c.verified = malloc(2 * sizeof(*c.verified));
	cr_assert_not_null(c.verified);
	c.verified[c.nverified++] = gone;
	c.verified[c.nverified++] = kept;
	cr_assert_eq(store_mailbox_delete(s, gone), 0);

	cr_assert_eq(sync_mark_verified(&c), SYNC_OK, "%s", c.err);
	struct store_mailbox_state st;
	cr_assert_eq(store_mailbox_get_state(&st, s, kept), 0);
	cr_assert_neq(st.last_sync, STORE_NO_TIME, "the kept one is marked");
	cr_assert_eq(c.nverified, 0);

	free(c.verified);
	store_close(&s);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
