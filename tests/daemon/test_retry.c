/* test_retry.c - when an account worker retries: what a poke (resume,
 * network change) may cut short, and the free space a retry after a full
 * disk waits for. */
#include "cache/paths.h"
#include "mailmirrord/conn.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/room.h"
#include "mailmirrord/store_internal.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a poke cuts the wait of a link's failure only, at most every 30 s */

Test(retry, poke_cuts_a_link_failure_now)
{
	/* The last try began a minute ago; 200 s of back-off are left. */
	cr_assert_eq(plan_poke_wait_ms(true, 60000, 200000), 0);
	cr_assert_eq(plan_poke_wait_ms(true, PLAN_POKE_MIN_MS, 200000), 0);
}

Test(retry, poke_keeps_the_wait_of_any_other_failure)
{
	/* A refused login, a server that said BYE, the configuration, the
	 * cache: a new network mends none of them. */
	cr_assert_eq(plan_poke_wait_ms(false, 60000, 200000), 200000);
	cr_assert_eq(plan_poke_wait_ms(false, 3600000, 1), 1);
	cr_assert_eq(plan_poke_wait_ms(false, 0, 0), 0);
}

Test(retry, poke_never_retries_within_30_s_of_the_last_try)
{
	/* The network changes every 10 s (containers on the host): the
	 * retry comes 30 s after the last try began, not at once. */
	cr_assert_eq(plan_poke_wait_ms(true, 10000, 200000), 20000);
	cr_assert_eq(plan_poke_wait_ms(true, 0, 200000), 30000);
	cr_assert_eq(plan_poke_wait_ms(true, 29999, 200000), 1);
	/* A back-off that ends sooner than that is kept. */
	cr_assert_eq(plan_poke_wait_ms(true, 10000, 5000), 5000);
	cr_assert_eq(plan_poke_wait_ms(true, 10000, 0), 0);
	cr_assert_eq(plan_poke_wait_ms(true, 10000, -5), 0);
	/* A clock that went back (the attempt "in the future") waits. */
	cr_assert_eq(plan_poke_wait_ms(true, -1000, 200000), 31000);
}

/* A worker whose login keeps failing is poked every 10 s for 4 minutes:
 * it retries as its back-off says, not at every poke. */
Test(retry, poke_storm_does_not_multiply_failed_logins)
{
	const int64_t step = 10000, total = 240000;
	for (int link = 0; link <= 1; link++) {
		int64_t attempt_at = 0, until = 40000, tries = 1;
		for (int64_t now = step; now <= total; now += step) {
			if (now >= until) {
				attempt_at = now;
				until = now + 299000;
				tries++;
			}
			int64_t cut = plan_poke_wait_ms(link, now - attempt_at,
			                                until - now);
			cr_assert_leq(cut, until - now);
			until = now + cut;
		}
		if (link)
			cr_assert_leq(tries, total / PLAN_POKE_MIN_MS + 1);
		else
			cr_assert_eq(tries, 2, "%lld tries", (long long)tries);
	}
}

/* ---- which failures of a connect or login are the link's */

Test(retry, connect_failures_of_the_link)
{
	const int link[] = {IMAP4_ECONNECT, IMAP4_ERESOLVE, IMAP4_ETIMEOUT,
	                    IMAP4_EIO,      IMAP4_EEOF,     IMAP4_ECLOSED,
	                    IMAP4_ETLS};
	for (size_t i = 0; i < sizeof(link) / sizeof(link[0]); i++)
		cr_assert_eq(conn_classify(link[i]), CONN_FAIL_NETWORK, "%d",
		             link[i]);
}

Test(retry, connect_failures_a_new_network_does_not_mend)
{
	cr_assert_eq(conn_classify(IMAP4_ENO), CONN_FAIL_AUTH);
	const int refused[] = {IMAP4_EBYE,   IMAP4_EBAD,  IMAP4_EPROTO,
	                       IMAP4_ELIMIT, IMAP4_ECAPA, IMAP4_ENOMEM};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert_eq(conn_classify(refused[i]), CONN_FAIL_REFUSED, "%d",
		             refused[i]);
	cr_assert_eq(conn_classify(IMAP4_ECERT), CONN_FAIL_TLS);
	cr_assert_eq(conn_classify(IMAP4_ETLSREQ), CONN_FAIL_TLS);
	cr_assert_eq(conn_classify(IMAP4_EINJECT), CONN_FAIL_TLS);
	cr_assert_eq(conn_classify(IMAP4_ECANCELED), CONN_FAIL_CANCELLED);
}

/* ---- a retry after a full disk waits for room */

static uint64_t stub_free, stub_size = (uint64_t)100 << 30;
static int stub_errno;
static char stub_dir[256];

static int stub_room(const char *dir, uint64_t *out, uint64_t *size)
{
	snprintf(stub_dir, sizeof(stub_dir), "%s", dir);
	if (stub_errno) {
		errno = stub_errno;
		return -1;
	}
	*out = stub_free;
	*size = stub_size;
	return 0;
}

Test(retry, no_retry_while_the_disk_lacks_the_margin)
{
	uint64_t avail = 1, need = 0;
	const uint64_t margin = (uint64_t)64 << 20;
	stub_errno = 0;
	stub_free = 0;
	cr_assert_not(
	        room_enough(stub_room, "/var/cache/mm", margin, &avail, &need));
	cr_assert_eq(avail, 0);
	cr_assert_str_eq(stub_dir, "/var/cache/mm");
	stub_free = margin - 1;
	cr_assert_not(room_enough(stub_room, "/d", margin, &avail, &need));
	cr_assert_eq(avail, margin - 1);
	stub_free = margin;
	cr_assert(room_enough(stub_room, "/d", margin, &avail, &need));
	stub_free = (uint64_t)5 << 30;
	cr_assert(room_enough(stub_room, "/d", margin, &avail, &need));
	cr_assert_eq(avail, stub_free);
}

/* A file system smaller than the margin (a 4 MB tmpfs) never has it free:
 * an eighth of it freed is room enough. */
Test(retry, a_small_file_system_needs_an_eighth_of_it_free)
{
	uint64_t avail = 1, need = 0;
	const uint64_t margin = (uint64_t)64 << 20;
	stub_errno = 0;
	stub_size = (uint64_t)4 << 20;
	stub_free = ((uint64_t)4 << 20) / 8 - 1;
	cr_assert_not(room_enough(stub_room, "/d", margin, &avail, &need));
	/* What the wait's notice names (explore16: it said 80 MB). */
	cr_assert_eq(need, ((uint64_t)4 << 20) / 8);
	stub_free = (uint64_t)3 << 20;
	cr_assert(room_enough(stub_room, "/d", margin, &avail, &need));
	stub_size = (uint64_t)100 << 30;
}

Test(retry, a_file_system_that_cannot_be_asked_does_not_stop_retries)
{
	uint64_t avail = 1, need = 0;
	stub_errno = EACCES;
	cr_assert(room_enough(stub_room, "/d", (uint64_t)64 << 20, &avail,
	                      &need));
	cr_assert_eq(avail, 0);
	stub_errno = 0;
}

Test(retry, margin_is_twice_the_largest_batch_at_least_64_mb)
{
	struct conf_account c = {.name = "a", .bodies = CONF_BODIES_NONE};
	cr_assert_eq(room_margin(&c), (uint64_t)64 << 20);
	c.bodies = CONF_BODIES_HEADERS;
	cr_assert_eq(room_margin(&c), (uint64_t)64 << 20);
	c.bodies = CONF_BODIES_FULL; /* default cap, 32 MB */
	cr_assert_eq(room_margin(&c), (uint64_t)80 << 20);
	c.max_body_size = (uint64_t)100 << 20;
	cr_assert_eq(room_margin(&c), (uint64_t)216 << 20);
	c.max_body_size = 1 << 20;
	cr_assert_eq(room_margin(&c), (uint64_t)64 << 20);
}

Test(retry, free_space_of_a_real_directory)
{
	uint64_t avail = 0, size = 0;
	cr_assert_eq(room_free("/tmp", &avail, &size), 0);
	cr_assert_gt(avail, 0);
	cr_assert_geq(size, avail);
	cr_assert_eq(room_free("/nonexistent/mm-room", &avail, &size), -1);
	cr_assert_eq(errno, ENOENT);
}

Test(retry, directory_of_the_cache)
{
	char buf[64];
	cr_assert_eq(cache_dir_of(buf, sizeof(buf), "/var/cache/mm/c.db"), 0);
	cr_assert_str_eq(buf, "/var/cache/mm");
	cr_assert_eq(cache_dir_of(buf, sizeof(buf), "/c.db"), 0);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(cache_dir_of(buf, sizeof(buf), "c.db"), 0);
	cr_assert_str_eq(buf, ".");
	cr_assert_eq(cache_dir_of(buf, sizeof(buf), "sub/c.db"), 0);
	cr_assert_str_eq(buf, "sub");
	cr_assert_eq(cache_dir_of(buf, 4, "/var/cache/c.db"), -1);
}

/* The store tells a full disk from its other failures: it is what makes
 * the worker wait for room instead of downloading the batch again. */
Test(retry, store_tells_a_full_disk)
{
	char dir[] = "/tmp/mm-retry-XXXXXX", path[64], err[256] = "";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	struct store *s = NULL;
	cr_assert_eq(store_open(&s, path, err, sizeof(err)), STORE_OK, "%s",
	             err);
	int64_t acc = 0;
	cr_assert_eq(store_account_upsert(&acc, NULL, s, "a", "h", 143, "u"),
	             STORE_OK);
	cr_assert_not(store_full(s));
	/* SQLite's own size limit fails like a full disk (SQLITE_FULL). */
	struct store_space sp;
	cr_assert_eq(store_space(s, &sp), STORE_OK);
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	         (long long)sp.pages);
	cr_assert_eq(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	cr_assert_eq(store_account_set_error(s, acc, big), STORE_EFULL, "%s",
	             store_errmsg(s));
	cr_assert(store_full(s));
	free(big);
	/* Another failure after it is not the disk. */
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_begin(s), STORE_EINVAL);
	cr_assert_not(store_full(s));
	store_rollback(s);
	store_close(&s);
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[80];
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}
