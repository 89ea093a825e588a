/* test_once_signal.c - a --once worker tells its supervisor when its last
 * write is made, before it logs out, and again as it ends: the supervisor
 * copies the WAL into the cache file while the worker says goodbye
 * (main.c's run_once), so that the exit's checkpoint has nothing left to
 * copy or sync. Against a scripted server. */
#include "daemon/cache_peek.h"
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "mailmirrord/account.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-order-XXXXXX";
static char cache[96];

/* A cache that has synced INBOX before from the server on port:
 * UIDVALIDITY 7, HIGHESTMODSEQ 5, no messages. */
static void known_inbox(uint16_t port)
{
	struct store *s = NULL;
	char err[256];
	int64_t acct, box;
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	cr_assert_eq(store_open(&s, cache, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "work", "127.0.0.1",
	                                  port, "joe"),
	             STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&box, s, acct, "INBOX", "/", "", NULL),
	        STORE_OK);
	struct store_mailbox_state st = {.uidvalidity = 7,
	                                 .uidnext = 1,
	                                 .highestmodseq = 5,
	                                 .last_sync = 1};
	cr_assert_eq(store_mailbox_set_state(s, box, &st), STORE_OK);
	store_close(&s);
}

static void cleanup(void)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s%s", cache, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

#define LOGIN                                                                  \
	"S: * OK [CAPABILITY IMAP4rev1 ENABLE] ready\n"                        \
	"C: $TAG LOGIN joe \"pw\"\n"                                           \
	"S: $TAG OK [CAPABILITY IMAP4rev1 ENABLE CONDSTORE QRESYNC] in\n"      \
	"C: $TAG ENABLE QRESYNC\n"                                             \
	"S: * ENABLED QRESYNC\n"                                               \
	"S: $TAG OK enabled\n"

/* News since MODSEQ 5 (a message gone that the cache did not hold): the
 * cache records HIGHESTMODSEQ 6 once it is stored. */
#define EXAMINED                                                               \
	"S: * VANISHED (EARLIER) 1\n"                                          \
	"S: * 0 EXISTS\n"                                                      \
	"S: * OK [UIDVALIDITY 7] ok\n"                                         \
	"S: * OK [UIDNEXT 1] ok\n"                                             \
	"S: * OK [HIGHESTMODSEQ 6] ok\n"

#define LOGOUT                                                                 \
	"C: $TAG LOGOUT\n"                                                     \
	"S: * BYE bye\n"                                                       \
	"S: $TAG OK bye\n"                                                     \
	"EOF\n"

/* Counts the worker wrote to its supervisor's eventfd in the last run. */
static uint64_t told;

/* Runs a --once worker of the known cache against script; whether the
 * sync succeeded. */
static bool run_once(const char *script)
{
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	char err[2048] = "";
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	known_inbox(port);
	struct conf_account c = fake_account("work", port, "joe", "pw");
	struct account *a = NULL;
	bool ok = false;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cr_assert_geq(efd, 0);
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_ONCE, efd, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	cr_assert(acct_join(&a, 10000, &ok));
	told = 0;
	cr_assert_eq(read(efd, &told, sizeof(told)), (ssize_t)sizeof(told));
	close(efd);
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);
	return ok;
}

static long long highestmodseq(void)
{
	return peek_int(cache, "SELECT highestmodseq FROM mailboxes "
	                       "WHERE name = 'INBOX'");
}

Test(once_signal, last_write_then_end, .timeout = 30)
{
	cr_assert(run_once(LOGIN
	                   "C: $TAG EXAMINE INBOX (QRESYNC (7 5))\n" EXAMINED
	                   "S: $TAG OK [READ-ONLY] examined\n"
	                   "C: $TAG LIST \"\" *\n"
	                   "S: * LIST () \"/\" INBOX\n"
	                   "S: $TAG OK listed\n" LOGOUT));
	cr_assert_eq(highestmodseq(), 6);
	char *state = peek_text(cache, "SELECT state FROM accounts");
	cr_assert_str_eq(state, "stopped");
	free(state);
	/* Once when its last write was made, once as it ended. */
	cr_assert_eq(told, 2);
	cleanup();
}
