/* test_retry_worker.c - when an account worker retries, against a
 * scripted server: poked again and again (the network changes every few
 * seconds: containers starting on the host, a flapping Wi-Fi) it retries
 * as its back-off says, not at every poke; after its cache's disk filled
 * up it does not reconnect before there is room. */
#include "daemon/cache_peek.h"
#include "daemon/fake_account.h"
#include "harness/fake_server.h"
#include "harness/fd_limit.h"
#include "mailmirrord/account.h"
#include "mailmirrord/log.h"
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* How long the worker is poked, every POKE_MS. Its back-off (0.5-1 s,
 * 1-2 s, 2-4 s, ...) allows at most 4 attempts in that time. */
#define RUN_MS  4000
#define POKE_MS 50

static char dir[] = "/tmp/mm-retryw-XXXXXX";
static char cache[96], logpath[96];

static void cleanup(void)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s%s", cache, sfx[i]);
		unlink(p);
	}
	unlink(logpath);
	rmdir(dir);
}

static void sleep_for(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static char *idle[] = {"INBOX", NULL};

static struct conf_account test_account(uint16_t port)
{
	struct conf_account c = fake_account("poked", port, "mallory", "wrong");
	c.idle = idle;
	c.n_idle = 1;
	return c;
}

/* Connection attempts the worker logged, poked every POKE_MS for RUN_MS
 * against a server that plays conn_script once per connection. */
static int attempts_under_pokes(const char *conn_script)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	FILE *log = fopen(logpath, "w+");
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);

	/* More connections than the back-off allows: the one that fails
	 * reports how many the worker made (each "connecting" line). */
	size_t len = strlen(conn_script) + 16, n = 64;
	char *script = malloc(n * len + 32);
	cr_assert_not_null(script);
	strcpy(script, "TIMEOUT 1000\n");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(script, "ACCEPT\n");
		strcat(script, conn_script);
	}
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	free(script);

	struct conf_account c = test_account(port);
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	for (int t = 0; t < RUN_MS; t += POKE_MS) {
		sleep_for(POKE_MS);
		acct_poke(a);
	}
	acct_request_stop(a);
	cr_assert(acct_join(&a, 10000, NULL));
	fake_server_finish(fs, NULL, 0);

	int count = 0;
	char line[LOG_LINE_MAX];
	rewind(log);
	while (fgets(line, sizeof(line), log)) {
		cr_log_info("%s", line);
		count += strstr(line, "connecting to 127.0.0.1") != NULL;
	}
	log_open(2, LOG_PREFIX_WORD);
	fclose(log);
	cleanup();
	return count;
}

/* A refused password is not mended by a new network: every retry is one
 * more failed login towards a fail2ban ban or a provider's lockout. */
Test(retry_worker, pokes_do_not_retry_a_refused_login, .timeout = 30)
{
	int n = attempts_under_pokes(
	        "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	        "C~ $TAG LOGIN \n"
	        "S: $TAG NO [AUTHENTICATIONFAILED] Authentication failed.\n"
	        "EOF\n");
	/* and its first retry waits the longest back-off (plan.h) */
	cr_assert_eq(n, 1, "%d attempts in %d ms", n, RUN_MS);
}

/* A link that fails (the server closes before its greeting) is retried
 * on a poke, but never within 30 s of the last attempt. */
Test(retry_worker, pokes_retry_a_failed_link_at_most_every_30_s, .timeout = 30)
{
	int n = attempts_under_pokes("CLOSE\n");
	cr_assert_geq(n, 2, "%d attempts", n);
	cr_assert_leq(n, 4, "%d attempts in %d ms", n, RUN_MS);
}

/* ---- a full disk */

/* Lines of the log that contain what. */
/* Stops the account and the fake server, and gives the log to
 * criterion's output; the log goes back to stderr. */
static void stop_and_show(struct account **a, struct fake_server *fs, FILE *log)
{
	acct_request_stop(*a);
	acct_force_stop(*a);
	cr_assert(acct_join(a, 10000, NULL));
	fake_server_finish(fs, NULL, 0);
	char line[LOG_LINE_MAX];
	rewind(log);
	while (fgets(line, sizeof(line), log))
		cr_log_info("%s", line);
	log_open(2, LOG_PREFIX_WORD);
	fclose(log);
}

static int log_count(FILE *log, const char *what)
{
	int count = 0;
	char line[LOG_LINE_MAX];
	fflush(log);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		count += strstr(line, what) != NULL;
	return count;
}

/* Waits up to ms for a log line with what. */
static bool log_wait(FILE *log, const char *what, int ms)
{
	for (int t = 0; t < ms; t += 50) {
		if (log_count(log, what))
			return true;
		sleep_for(50);
	}
	return log_count(log, what) > 0;
}

/* One session that fetches a message with a 3 MB body. */
#define BODY_BYTES (3 << 20)
static char *full_disk_session(void)
{
	const char *head =
	        "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	        "C~ $TAG LOGIN \n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
	        "C~ $TAG LIST \"\" \\*$\n"
	        "S: * LIST () \"/\" INBOX\n"
	        "S: $TAG OK listed\n"
	        "C~ $TAG EXAMINE INBOX$\n"
	        "S: * 1 EXISTS\n"
	        "S: * OK [UIDVALIDITY 7] ok\n"
	        "S: * OK [UIDNEXT 2] ok\n"
	        "S: $TAG OK [READ-ONLY] examined\n"
	        "C~ $TAG UID SEARCH UID 1:\\*$\n"
	        "S: * SEARCH 1\n"
	        "S: $TAG OK searched\n"
	        "C~ $TAG UID FETCH 1 \\(UID FLAGS INTERNALDATE RFC822.SIZE "
	        "BODY.PEEK\\[\\]<0\\.[0-9]+>\\)$\n"
	        "S+ * 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jul-2025 "
	        "10:00:00 +0000\" RFC822.SIZE 3145728 ENVELOPE (NIL \"big\" "
	        "NIL NIL NIL NIL NIL NIL NIL NIL) BODY[]<0> {3145728}\\r\\n\n";
	/* The body: lines of text, each "S+ " step of 64 KB at most. */
	size_t lines = BODY_BYTES / 64, cap = strlen(head) + lines * 80 + 256;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	size_t n = (size_t)sprintf(s, "%s", head);
	for (size_t i = 0; i < lines; i++) {
		if (i % 1024 == 0)
			n += (size_t)sprintf(s + n, "%sS+ ", i ? "\n" : "");
		/* 62 characters and CRLF */
		n += (size_t)sprintf(s + n, "%062zu\\r\\n", i);
	}
	n += (size_t)sprintf(s + n, "\nS: )\nS: $TAG OK fetched\n");
	return s;
}

/* A batch that finds the disk full is not fetched again, nor the server
 * logged into, until the cache's file system has room. The cache sits on
 * a tmpfs of 2 MB in a mount namespace of the test's own (root only). */
Test(retry_worker, a_full_disk_waits_for_room_without_connecting, .timeout = 60)
{
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cr_skip_test("no mount namespace (not root?)");
	cr_assert_not_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") < 0)
		cr_skip_test("cannot mount a tmpfs");
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	FILE *log = tmpfile();
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);

	char *one = full_disk_session();
	size_t len = strlen(one);
	char *script = malloc(2 * len + 64);
	cr_assert_not_null(script);
	sprintf(script, "TIMEOUT 20000\n%sACCEPT\n%s", one, one);
	free(one);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);
	free(script);

	struct conf_account c = test_account(port);
	c.bodies = CONF_BODIES_FULL;
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	bool full = log_wait(log, "full", 10000);
	/* The first look after the failure (0.5 to 1 s later) finds no room
	 * and says what it waits for; then a second back-off step. */
	/* An eighth of the 2 MB file system, less than the 80 MB margin. */
	bool waits = full && log_wait(log, "waiting for 0.2 MB free", 5000);
	sleep_for(300);
	int before = log_count(log, "connecting to");
	/* Room again: the next look (1 to 2 s) reconnects. */
	if (waits)
		cr_assert_eq(mount(NULL, dir, NULL, MS_REMOUNT, "size=200m"),
		             0);
	bool again = waits && log_wait(log, "has room again", 8000) &&
	             log_wait(log, "connected", 2000);
	int after = log_count(log, "connecting to");
	stop_and_show(&a, fs, log);
	umount(dir);
	rmdir(dir);
	cr_assert(full, "no full disk");
	cr_assert(waits, "no wait for room");
	cr_assert_eq(before, 1, "%d connections on a full disk", before);
	cr_assert(again, "no retry once there was room");
	cr_assert_eq(after, 2);
}

/* The seconds left of a retry's wait, as systemd's STATUS shows them
 * (acct_describe, every few seconds): the wait's length stayed there
 * unchanged for the whole wait. */
static long seconds_left(struct account *a)
{
	char line[200];
	const char *at;
	for (int i = 0; i < 100; i++) {
		acct_describe(a, line, sizeof(line));
		if ((at = strstr(line, "error, retry in ")) != NULL)
			return strtol(at + strlen("error, retry in "), NULL,
			              10);
		sleep_for(50);
	}
	cr_assert_fail("no retry in the status: %s", line);
	return -1;
}

Test(retry_worker, the_status_counts_a_retry_down, .timeout = 30)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(
	                &fs, &port,
	                "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	                "C~ $TAG LOGIN \n"
	                "S: $TAG NO [AUTHENTICATIONFAILED] refused\n"
	                "EOF\n"),
	        0);
	struct conf_account c = test_account(port);
	struct account *a = NULL;
	char err[256] = "";
	log_set_level(LOG_LEVEL_ERR - 1);
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	long first = seconds_left(a);
	sleep_for(2100);
	long later = seconds_left(a);
	acct_request_stop(a);
	cr_assert(acct_join(&a, 10000, NULL));
	fake_server_finish(fs, NULL, 0);
	cleanup();
	cr_assert_gt(first, 10, "a refused login waits long: %ld s", first);
	cr_assert(later <= first - 2 && later >= first - 3,
	          "%ld s left, then %ld s", first, later);
}

/* ---- a cut after progress */

/* The waits the log announced ("retrying in N s"), in order; how many. */
static size_t waits_logged(FILE *log, long *v, size_t max)
{
	size_t n = 0;
	char line[LOG_LINE_MAX];
	fflush(log);
	rewind(log);
	while (n < max && fgets(line, sizeof(line), log)) {
		const char *at = strstr(line, "retrying in ");
		if (at)
			v[n++] = strtol(at + strlen("retrying in "), NULL, 10);
	}
	return n;
}

/* Session k of a link that drops part way through the first sync of
 * INBOX (four messages): message k comes whole, then the cut. The first
 * lists and asks for all four; each next one goes on from the UIDNEXT
 * the cut batch left (k), and adds one message to the cache. */
static void add_cut_session(char *s, size_t cap, unsigned k)
{
	size_t n = strlen(s);
	n += (size_t)snprintf(
	        s + n, cap - n,
	        "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	        "C~ $TAG LOGIN \n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n");
	if (k == 1)
		n += (size_t)snprintf(s + n, cap - n,
		                      "C~ $TAG LIST \"\" \\*$\n"
		                      "S: * LIST () \"/\" INBOX\n"
		                      "S: $TAG OK listed\n");
	n += (size_t)snprintf(s + n, cap - n,
	                      "C~ $TAG EXAMINE INBOX$\n"
	                      "S: * 4 EXISTS\n"
	                      "S: * OK [UIDVALIDITY 7] ok\n"
	                      "S: * OK [UIDNEXT 5] ok\n"
	                      "S: $TAG OK [READ-ONLY] examined\n"
	                      "C~ $TAG UID SEARCH UID %u:\\*$\n"
	                      "S: * SEARCH",
	                      k);
	for (unsigned u = k; u <= 4; u++)
		n += (size_t)snprintf(s + n, cap - n, " %u", u);
	n += (size_t)snprintf(s + n, cap - n, "\nS: $TAG OK searched\n");
	n += (size_t)snprintf(
	        s + n, cap - n,
	        "C~ $TAG UID FETCH %u:4 \n"
	        "S: * %u FETCH (UID %u FLAGS () INTERNALDATE "
	        "\"01-Jul-2025 10:00:00 +0000\" RFC822.SIZE 100 "
	        "ENVELOPE (NIL \"m%u\" NIL NIL NIL NIL NIL NIL NIL NIL))\n"
	        "CLOSE\nACCEPT\n",
	        k, k, k, k);
}

/* A link that drops every few seconds while a first sync runs: each
 * connection stores a part of the batch before the cut. The back-off
 * started again after each, so the sync went on a second later, where
 * it had grown to minutes (a sync that crawled). Storing is what counts:
 * a server that accepts and cuts at once stores nothing, and the waits
 * after it grow as ever (no reconnect storm). */
Test(retry_worker, a_cut_after_storing_mail_retries_at_once, .timeout = 60)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	FILE *log = fopen(logpath, "w+");
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);

	static char script[8192];
	script[0] = '\0';
	for (unsigned k = 1; k <= 3; k++)
		add_cut_session(script, sizeof(script), k);
	/* Accepted, and cut before the greeting; then once more, for the
	 * wait that follows the third. */
	strcat(script, "CLOSE\nACCEPT\nCLOSE\nACCEPT\nCLOSE\nACCEPT\n"
	               "TIMEOUT 20000\nEOF\n");
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(fake_server_listen(&fs, &port, script), 0);

	struct conf_account c = test_account(port);
	struct account *a = NULL;
	char err[256] = "";
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	/* Six failures: 3 + 2 + 4 s of waits at most, or, when the back-off
	 * grows through the cuts that stored mail too, 0.5 + 1 + 2 + 4 + 8
	 * s at least. */
	long w[8];
	size_t n = 0;
	for (int t = 0; t < 15000 && (n = waits_logged(log, w, 8)) < 6; t += 50)
		sleep_for(50);
	stop_and_show(&a, fs, log);
	cleanup();
	cr_assert_geq(n, 6, "%zu failures in 15 s", n);
	/* After each cut that stored a message: the first step, 0.5-1 s. */
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(w[i], 1, "wait %zu: %ld s", i + 1, w[i]);
	/* Then cuts that stored nothing: the second, third and fourth
	 * failures since the progress, 1-2 s, 2-4 s, 4-8 s. */
	cr_assert(w[3] >= 1 && w[3] <= 2, "%ld s", w[3]);
	cr_assert(w[4] >= 2 && w[4] <= 4, "%ld s", w[4]);
	cr_assert(w[5] >= 4 && w[5] <= 8, "%ld s", w[5]);
}

/* ---- a cache that cannot open */

/* An account whose cache could not be opened for want of descriptors
 * (a reload that added accounts past the limit) ended its worker for
 * good, with one line in the log and nothing in the status or the cache:
 * it tries again with its back-off, says why by name, and mirrors once
 * the descriptors are there. */
Test(retry_worker, a_cache_out_of_descriptors_is_retried, .timeout = 60)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	FILE *log = tmpfile();
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(
	                &fs, &port,
	                "TIMEOUT 20000\n"
	                "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	                "C~ $TAG LOGIN \n"
	                "S: $TAG NO [AUTHENTICATIONFAILED] refused here\n"
	                "EOF\n"),
	        0);
	struct conf_account c = test_account(port);
	struct account *a = NULL;
	char err[256] = "";
	/* The worker's two eventfds, and nothing for the cache. */
	rlim_t was;
	cr_assert_eq(harness_leave_descriptors(2, &was), 0);
	int started = acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                         NULL, err, sizeof(err));
	bool named = started == 0 &&
	             log_wait(log, "too many open files (limit", 10000);
	char status[200] = "";
	if (a)
		acct_describe(a, status, sizeof(status));
	cr_assert_eq(harness_fd_limit_restore(was), 0);
	cr_assert_eq(started, 0, "%s", err);
	/* With descriptors again the next try opens the cache, connects,
	 * and records the login's refusal as the account's error. */
	bool mirrored = log_wait(log, "refused here", 15000);
	stop_and_show(&a, fs, log);
	cr_assert(named, "the cause was not named");
	cr_assert(strstr(status, "error, retry in"), "status: %s", status);
	cr_assert(mirrored, "no retry");
	char *row = peek_text(cache, "SELECT last_error FROM accounts");
	cr_assert(row && strstr(row, "refused here"), "%s",
	          row ? row : "(no row)");
	free(row);
	cleanup();
}

/* Fills the file system of dir: a file as large as it takes. */
static void fill_up(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	static char block[65536];
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 512) > 0)
		;
	close(fd);
}

/* A cache whose disk is full when the worker starts: its first writes
 * (the account's row, its state) fail, and the retries wait for room
 * without logging in again and again (explore84: a restart on a full
 * disk went to the server at every step of its back-off). */
Test(retry_worker, a_start_on_a_full_disk_waits_for_room, .timeout = 60)
{
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cr_skip_test("no mount namespace (not root?)");
	cr_assert_not_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") < 0)
		cr_skip_test("cannot mount a tmpfs");
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
	struct store *made = NULL;
	char err[256] = "";
	cr_assert_eq(store_open(&made, cache, err, sizeof(err)), 0, "%s", err);
	store_close(&made);
	char filler[128];
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fill_up(filler);

	FILE *log = tmpfile();
	cr_assert_not_null(log);
	log_open(fileno(log), LOG_PREFIX_WORD);
	log_set_level(LOG_LEVEL_INFO);
	/* The first attempt connects while the cache opens beside it, and
	 * gets no further; the next one, once there is room, mirrors. */
	struct fake_server *fs = NULL;
	uint16_t port = 0;
	cr_assert_eq(
	        fake_server_listen(
	                &fs, &port,
	                "TIMEOUT 20000\n"
	                "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	                "C~ $TAG LOGIN \n"
	                "S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
	                "ACCEPT\n"
	                "S: * OK [CAPABILITY IMAP4rev1] fake server ready\n"
	                "C~ $TAG LOGIN \n"
	                "S: $TAG OK [CAPABILITY IMAP4rev1] logged in\n"
	                "C~ $TAG LIST \"\" \\*$\n"
	                "S: * LIST () \"/\" INBOX\n"
	                "S: $TAG OK listed\n"
	                "C~ $TAG EXAMINE INBOX$\n"
	                "S: * 0 EXISTS\n"
	                "S: * OK [UIDVALIDITY 7] ok\n"
	                "S: * OK [UIDNEXT 1] ok\n"
	                "S: $TAG OK [READ-ONLY] examined\n"),
	        0);
	struct conf_account c = test_account(port);
	struct account *a = NULL;
	cr_assert_eq(acct_start(&a, &c, cache, NULL, ACCT_LIVE, -1, NULL, NULL,
	                        NULL, err, sizeof(err)),
	             0, "%s", err);
	bool full = log_wait(log, "full", 10000);
	bool waits = full && log_wait(log, "waiting for", 5000);
	/* Two steps of the back-off (0.5-1 s, 1-2 s) that would each have
	 * connected again. */
	sleep_for(2500);
	int before = log_count(log, "connecting to");
	if (waits)
		unlink(filler);
	bool again = waits && log_wait(log, "has room again", 8000) &&
	             log_wait(log, "connected", 3000);
	int after = log_count(log, "connecting to");
	stop_and_show(&a, fs, log);
	unlink(cache);
	umount(dir);
	rmdir(dir);
	cr_assert(full, "no full disk");
	cr_assert(waits, "no wait for room");
	cr_assert_eq(before, 1, "%d connections on a full disk", before);
	cr_assert(again, "no retry once there was room");
	cr_assert_eq(after, 2);
}
