/* test_notify_hold.c - NOTIFY off while large bodies come (sync_notify.c,
 * sync_notify_hold): Dovecot 2.3 writes its news of other mailboxes
 * inside a FETCH's literal that waits for a slow link. The sync engine
 * against a scripted server, with NOTIFY on: NOTIFY NONE goes before a
 * FETCH whose bodies pass the bound, once for all the batches of a turn,
 * and never before small ones, which must cost no round trip. */
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "mailmirrord/conn.h"
#include "mailmirrord/log.h"
#include "mailmirrord/store.h"
#include "mailmirrord/sync.h"
#include "mailmirrord/sync_internal.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GREETING                                                               \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE NOTIFY] ready\n"                   \
	"C~ $TAG LOGIN joe \n"                                                 \
	"S: $TAG OK [CAPABILITY IMAP4rev1 IDLE NOTIFY] logged in\n"
#define NOTIFY_NONE                                                            \
	"C: $TAG NOTIFY NONE\n"                                                \
	"S: $TAG OK notify done\n"

struct rig {
	char dir[64], db[96];
	struct fake_server *fs;
	struct conf_account conf;
	struct store *store;
	imap4 *h;
	struct sync_box box;
	struct sync_ctx c;
	atomic_bool stop;
};

/* A cache holding INBOX's messages 1..n of size bytes each, without
 * bodies (the UIDVALIDITY 7 epoch, UIDNEXT n + 1), and a connection with
 * NOTIFY on to a server that plays script after the login. */
static void rig_start(struct rig *r, const char *script, unsigned n,
                      int64_t size)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/mm-nhold.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	snprintf(r->db, sizeof(r->db), "%s/cache.db", r->dir);
	char err[512] = "";
	cr_assert_eq(store_open(&r->store, r->db, err, sizeof(err)), 0, "%s",
	             err);
	uint16_t port = 0;
	cr_assert_eq(fake_server_listen(&r->fs, &port, script), 0);
	int64_t acct = 0;
	cr_assert_geq(store_account_upsert(&acct, NULL, r->store, "work",
	                                   "127.0.0.1", port, "joe"),
	              0);
	cr_assert_eq(store_mailbox_upsert(&r->box.id, r->store, acct, "INBOX",
	                                  "/", "", NULL),
	             0);
	for (unsigned u = 1; u <= n; u++) {
		struct store_msg m = {.uid = u,
		                      .flags = "\\Seen",
		                      .internaldate = 1751364000,
		                      .size = size,
		                      .date = STORE_NO_TIME};
		cr_assert_eq(
		        store_message_upsert(NULL, r->store, r->box.id, &m), 0);
	}
	struct store_mailbox_state st = {
	        .uidvalidity = 7, .uidnext = n + 1, .exists = n};
	cr_assert_eq(store_mailbox_set_state(r->store, r->box.id, &st), 0);

	r->conf = fake_account("work", port, "joe", "pw");
	r->conf.bodies = CONF_BODIES_FULL;
	enum conn_failure why;
	cr_assert_eq(conn_open(&r->h, &why, &r->conf, -1, LOG_LEVEL_NOTICE,
	                       NULL, NULL, err, sizeof(err)),
	             0, "%s", err);
	r->box.name = "INBOX";
	r->box.delimiter = '/';
	r->c = (struct sync_ctx){
	        .conf = &r->conf,
	        .store = r->store,
	        .account_id = acct,
	        .stop = &r->stop,
	        .boxes = &r->box,
	        .nboxes = 1,
	        .store_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	cr_assert_eq(sync_attach(&r->c, r->h), SYNC_OK);
	/* As start_watching leaves it. */
	r->c.notify_on = true;
}

/* Closes the connection; the script must have gone as written. */
static void rig_finish(struct rig *r)
{
	imap4_free(&r->h);
	char mismatch[1024] = "";
	cr_assert_eq(fake_server_finish(r->fs, mismatch, sizeof(mismatch)), 0,
	             "%s", mismatch);
	free(r->c.open_name);
	store_close(&r->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	cr_assert_eq(system(cmd), 0);
}

/* Appends to script what fmt says. */
static void add(char *script, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void add(char *script, size_t len, const char *fmt, ...)
{
	size_t at = strlen(script);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(script + at, len - at, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < len - at, "the script is too long");
}

/* Message uid (one digit) of a FETCH of bodies, short: what the cache
 * holds of its size is what counts. */
static void add_body(char *s, size_t len, unsigned uid)
{
	add(s, len,
	    "S: * %u FETCH (UID %u RFC822.SIZE 19 BODY[]<0> {19}\n"
	    "S+ Subject: m%u\\r\\n\\r\\nhi\\r\\n\n"
	    "S: )\n",
	    uid, uid, uid);
}

/* The backfill's mailbox open, as the sync leaves it. */
#define EXAMINE                                                                \
	"C: $TAG EXAMINE INBOX\n"                                              \
	"S: * 3 EXISTS\n"                                                      \
	"S: * OK [UIDVALIDITY 7] ok\n"                                         \
	"S: * OK [UIDNEXT 4] ok\n"                                             \
	"S: $TAG OK [READ-ONLY] examined\n"

static void examine(struct rig *r)
{
	imap4_mailbox_info info;
	cr_assert_eq(imap4_select(r->h, &info, "INBOX", true), IMAP4_OK);
}

#define BODIES_CMD(set)                                                        \
	"C: $TAG UID FETCH " set " (UID RFC822.SIZE "                          \
	"BODY.PEEK[]<0.33554432>)\n"

/* A backfill whose bodies come to 3 x 20,000 bytes, in two batches: one
 * NOTIFY NONE before the first, and NOTIFY owed. */
Test(notify_hold, large_backfill_holds_notify_once_for_its_turn)
{
	char script[2048] = GREETING EXAMINE NOTIFY_NONE BODIES_CMD("1:2");
	add_body(script, sizeof(script), 1);
	add_body(script, sizeof(script), 2);
	add(script, sizeof(script), "S: $TAG OK fetched\n" BODIES_CMD("3"));
	add_body(script, sizeof(script), 3);
	add(script, sizeof(script), "S: $TAG OK fetched\nEOF\n");
	struct rig r;
	rig_start(&r, script, 3, 20000);
	examine(&r);
	r.c.batch_cap = 2;
	bool owed = true;
	cr_assert_eq(sync_backfill_bodies(&r.c, &r.box, 1, &owed), SYNC_OK,
	             "%s", r.c.err);
	cr_assert_not(owed);
	cr_assert(r.c.notify_held, "NOTIFY SET is not owed");
	cr_assert(r.c.notify_on);
	rig_finish(&r);
}

/* 3 x 5,000 bytes: the socket takes them at once; no round trip more. */
Test(notify_hold, small_backfill_keeps_notify)
{
	char script[2048] = GREETING EXAMINE BODIES_CMD("1:2");
	add_body(script, sizeof(script), 1);
	add_body(script, sizeof(script), 2);
	add(script, sizeof(script), "S: $TAG OK fetched\n" BODIES_CMD("3"));
	add_body(script, sizeof(script), 3);
	add(script, sizeof(script), "S: $TAG OK fetched\nEOF\n");
	struct rig r;
	rig_start(&r, script, 3, 5000);
	examine(&r);
	r.c.batch_cap = 2;
	bool owed = true;
	cr_assert_eq(sync_backfill_bodies(&r.c, &r.box, 1, &owed), SYNC_OK,
	             "%s", r.c.err);
	cr_assert_not(r.c.notify_held);
	rig_finish(&r);
}

/* With bodies = "headers" a message's header comes, not the message:
 * three of 1 MiB bring some KiB (SYNC_HEADER_GUESS each at most), no
 * reason for a round trip more. Taken at their RFC822.SIZE, they looked
 * like 3 MiB of bodies coming and held NOTIFY. */
Test(notify_hold, headers_of_large_mail_keep_notify)
{
	char script[2048] =
	        GREETING EXAMINE "C: $TAG UID FETCH 1:3 (UID RFC822.SIZE "
	                         "BODY.PEEK[HEADER]<0.33554432>)\n";
	for (unsigned u = 1; u <= 3; u++)
		add(script, sizeof(script),
		    "S: * %u FETCH (UID %u RFC822.SIZE 1048576 "
		    "BODY[HEADER]<0> {15}\n"
		    "S+ Subject: m%u\\r\\n\\r\\n\n"
		    "S: )\n",
		    u, u, u);
	add(script, sizeof(script), "S: $TAG OK fetched\nEOF\n");
	struct rig r;
	rig_start(&r, script, 3, 1 << 20);
	r.conf.bodies = CONF_BODIES_HEADERS;
	examine(&r);
	bool owed = true;
	cr_assert_eq(sync_backfill_bodies(&r.c, &r.box, 1, &owed), SYNC_OK,
	             "%s", r.c.err);
	cr_assert_not(owed);
	cr_assert_not(r.c.notify_held);
	rig_finish(&r);
}

/* What one message's body item brings at most: a header's guess under
 * "headers", the message up to max_body_size under "full". */
Test(notify_hold, a_body_guess_is_a_header_under_headers)
{
	struct conf_account a = fake_account("work", 143, "joe", "pw");
	a.bodies = CONF_BODIES_HEADERS;
	cr_assert_eq(sync_body_guess(&a, 1 << 20), SYNC_HEADER_GUESS);
	cr_assert_eq(sync_body_guess(&a, 100), 100);
	cr_assert_eq(sync_body_guess(&a, -1), SYNC_HEADER_GUESS);
	a.max_body_size = 1000;
	cr_assert_eq(sync_body_guess(&a, 1 << 20), 1000);
	a.bodies = CONF_BODIES_FULL;
	cr_assert_eq(sync_body_guess(&a, 1 << 20), 1000);
	a.max_body_size = 0;
	cr_assert_eq(sync_body_guess(&a, 1 << 20), 1 << 20);
	cr_assert_eq(sync_body_guess(&a, -1), conf_body_cap(&a));
}

/* Without NOTIFY (the first sync, a server without it) nothing is held. */
Test(notify_hold, nothing_is_held_without_notify)
{
	char script[2048] = GREETING EXAMINE BODIES_CMD("1");
	add_body(script, sizeof(script), 1);
	add(script, sizeof(script), "S: $TAG OK fetched\nEOF\n");
	struct rig r;
	rig_start(&r, script, 1, 1 << 20);
	examine(&r);
	r.c.notify_on = false;
	bool owed = true;
	cr_assert_eq(sync_backfill_bodies(&r.c, &r.box, 1, &owed), SYNC_OK,
	             "%s", r.c.err);
	cr_assert_not(r.c.notify_held);
	rig_finish(&r);
}

/* New mail with NOTIFY on: its UIDs come with their sizes, in the round
 * trip the UID SEARCH took, and tell whether NOTIFY goes off for it.
 * Message 1 was cached before, without its body (the backfill after
 * brings it). */
static void new_mail(int64_t size, bool held)
{
	char script[4096] = GREETING;
	add(script, sizeof(script),
	    "C: $TAG EXAMINE INBOX\n"
	    "S: * 2 EXISTS\n"
	    "S: * OK [UIDVALIDITY 7] ok\n"
	    "S: * OK [UIDNEXT 3] ok\n"
	    "S: $TAG OK [READ-ONLY] examined\n"
	    "C: $TAG UID FETCH 2:* (UID RFC822.SIZE)\n"
	    "S: * 2 FETCH (UID 2 RFC822.SIZE %lld)\n"
	    "S: $TAG OK fetched\n"
	    "%s"
	    "C: $TAG UID FETCH 2 (UID FLAGS INTERNALDATE RFC822.SIZE "
	    "BODY.PEEK[]<0.33554432>)\n"
	    "S: * 2 FETCH (UID 2 FLAGS () INTERNALDATE \"01-Jul-2025 10:00:00 "
	    "+0000\" RFC822.SIZE 19 BODY[]<0> {19}\n"
	    "S+ Subject: m2\\r\\n\\r\\nhi\\r\\n\n"
	    "S: )\n"
	    "S: $TAG OK fetched\n"
	    /* message 1's flags, listed (no CONDSTORE) */
	    "C: $TAG UID FETCH 1:1 (UID FLAGS)\n"
	    "S: * 1 FETCH (UID 1 FLAGS (\\\\Seen))\n"
	    "S: $TAG OK fetched\n" BODIES_CMD("1"),
	    (long long)size, held ? NOTIFY_NONE : "");
	add_body(script, sizeof(script), 1);
	add(script, sizeof(script), "S: $TAG OK fetched\nEOF\n");
	struct rig r;
	rig_start(&r, script, 1, 19);
	cr_assert_eq(sync_mailbox(&r.c, &r.box), SYNC_OK, "%s", r.c.err);
	cr_assert_eq(r.c.notify_held, held);
	rig_finish(&r);
}

/* Below 32 KiB: the UID SEARCH's round trip, and nothing more. */
Test(notify_hold, small_new_mail_keeps_notify)
{
	new_mail(32767, false);
}

Test(notify_hold, large_new_mail_holds_notify)
{
	new_mail(32768, true);
}
