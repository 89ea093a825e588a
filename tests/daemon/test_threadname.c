/* test_threadname.c - the daemon's threads carry names that say what they
 * do and for which account, as top -H and strace -f show them: all were
 * "mailmirrord", which made a busy or stuck thread impossible to place
 * among 40 accounts' (explore80). */
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "mailmirrord/account.h"
#include "mailmirrord/checkpointer.h"
#include "mailmirrord/indexer.h"
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-tname-XXXXXX";

static void cleanup(void)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/cache.db%s", dir, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Whether a thread of this process is named name. */
static bool thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	cr_assert_not_null(d);
	struct dirent *e;
	bool found = false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], comm[32] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		         e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* ended meanwhile */
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		found = strcmp(comm, name) == 0;
	}
	closedir(d);
	return found;
}

/* Waits up to ms for a thread named name. */
static bool thread_named_within(const char *name, int ms)
{
	struct timespec pause = {0, 20 * 1000000L};
	for (int t = 0; t < ms; t += 20) {
		if (thread_named(name))
			return true;
		nanosleep(&pause, NULL);
	}
	return thread_named(name);
}

Test(threadname, workers_are_named_by_account_and_role, .timeout = 30)
{
	cr_assert_not_null(mkdtemp(dir));
	char cache[96], err[256] = "";
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	log_set_level(LOG_LEVEL_ERR - 1);
	struct checkpointer *ck = NULL;
	struct indexer *ix = NULL;
	cr_assert_eq(checkpointer_start(&ck, cache, NULL, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(indexer_start(&ix, cache, NULL, ck, err, sizeof(err)), 0,
	             "%s", err);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "TIMEOUT 20000\n"
	                                "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                                "C~ $TAG LOGIN \n"
	                                "S: $TAG NO [AUTHENTICATIONFAILED] no\n"
	                                "EOF\n"),
	             0);
	struct conf_account c =
	        fake_account("an-account-named-at-length", port, "u", "p");
	struct account *a = NULL;
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, ix, ck,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	/* The kernel keeps 15 bytes of a name. */
	bool worker = thread_named_within("an-account-name", 5000);
	bool indexer = thread_named_within("indexer", 5000);
	bool checkpoint = thread_named_within("checkpoint", 5000);
	acct_request_stop(a);
	acct_force_stop(a);
	cr_assert(acct_join(&a, 10000, NULL));
	fake_server_finish(fs, NULL, 0);
	indexer_stop(&ix);
	checkpointer_stop(&ck);
	cleanup();
	cr_assert(worker, "no thread named after the account");
	cr_assert(indexer, "no thread named indexer");
	cr_assert(checkpoint, "no thread named checkpoint");
}
