/* bench_query.c - fills a cache with synthetic messages through the store
 * API, then times the mailmirror queries over it (median of several runs).
 *
 *   bench_query [-n MESSAGES] [-r RUNS] [-k] CACHE_PATH
 *
 * -k keeps an existing cache at CACHE_PATH instead of refilling it. Prints
 * one line per query: its name, the median and slowest wall-clock time and
 * the median CPU time, in ms. Exits 1 if a median CPU time reaches 50 ms,
 * the target for 100,000 messages: CPU time, because on a loaded machine
 * wall-clock time measures the other processes too. A search for a
 * Chinese, Japanese or Korean word is a substring test of each message's
 * text, which no index answers: those are timed (the manual states what
 * they cost) but held to no target.
 */
#include "mailmirror/query.h"
#include "mailmirrord/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TARGET_MS 50.0

static unsigned long long rng = 88172645463325252ull;

/* xorshift64: reproducible data without libc's rand() state. */
static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static const char *const syllables[] = {
        "ka",  "lo",  "mi",  "re",  "ta",  "su",  "ne",  "po",  "vi",  "da",
        "ber", "gon", "tal", "mer", "sin", "dor", "fen", "qua", "zul", "wex",
};

/* A pseudo-word from a vocabulary of 20^3 = 8000. */
static void word(char *out, unsigned r)
{
	snprintf(out, 16, "%s%s%s", syllables[r % 20], syllables[r / 20 % 20],
	         syllables[r / 400 % 20]);
}

static void words(char *out, size_t size, int count, unsigned vocab)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < count && len + 16 < size; i++) {
		char w[16];

		/* Skewed towards the first words, as language is. */
		unsigned r = next_rand() % vocab;
		word(w, (r * r) / vocab);
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		                        i ? " " : "", w);
	}
}

static int fill(const char *path, long n)
{
	static const char *const boxes[] = {"INBOX", "Archive", "Sent",
	                                    "Lists/dev", "Lists/announce"};
	struct store *s;
	char err[256];
	int64_t acct, mbox[5];
	time_t now = time(NULL);

	if (store_open(&s, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	store_account_upsert(&acct, NULL, s, "bench", "imap.example.org", 143,
	                     "me");
	for (int i = 0; i < 5; i++)
		store_mailbox_upsert(&mbox[i], s, acct, boxes[i], "/", "",
		                     NULL);
	for (long i = 0; i < n; i++) {
		char subject[128], body[2048], from[96], to[96];
		unsigned r = next_rand();
		int b = i % 10 < 5 ? 0 : (int)(1 + r % 4);
		struct store_msg m = {
		        .uid = (uint32_t)(i + 1),
		        .modseq = (uint64_t)i + 1,
		        .flags = r % 10 < 7 ? (r % 20 == 0 ? "\\Flagged \\Seen"
		                                           : "\\Seen")
		                            : "",
		        .internaldate = now - (n - i) * 900,
		        .size = 2000 + r % 50000,
		        .date = now - (n - i) * 900 - 60,
		        .subject = subject,
		        .from = from,
		        .to = to,
		        .message_id = "<bench@example.org>",
		};

		if (i % 1000 == 0 && store_begin(s) < 0)
			goto fail;
		words(subject, sizeof(subject), 6, 8000);
		snprintf(from, sizeof(from), "Sender %u <user%u@example.org>",
		         r % 500, r % 500);
		snprintf(to, sizeof(to), "Me <me@example.org>");
		words(body, sizeof(body), 120, 8000);
		if (store_message_upsert(NULL, s, mbox[b], &m) < 0 ||
		    store_body_put(s, mbox[b], m.uid, "Subject: x\r\n", body,
		                   false) < 0)
			goto fail;
		if (i % 1000 == 999 || i == n - 1) {
			if (store_commit(s) < 0)
				goto fail;
		}
	}
	for (int i = 0; i < 5; i++)
		store_mailbox_recount(s, mbox[i], false);
	/* The daemon's indexer would do this in the background. */
	size_t done = 0;
	do {
		if (store_index_chunk(s, 4096, 0, &done) < 0)
			goto fail;
	} while (done);
	store_close(&s);
	return 0;
fail:
	fprintf(stderr, "bench: %s\n", store_errmsg(s));
	store_close(&s);
	return -1;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum kind { LS, COUNT, SEARCH };

struct bench {
	const char *name;
	enum kind kind;
	struct query_filter f;
	const char *text;
};

int main(int argc, char **argv)
{
	long n = 100000;
	int runs = 9, opt, slow = 0;
	bool keep = false;
	char common[16], mid[16];

	while ((opt = getopt(argc, argv, "n:r:k")) != -1) {
		if (opt == 'n')
			n = atol(optarg);
		else if (opt == 'r')
			runs = atoi(optarg);
		else if (opt == 'k')
			keep = true;
		else
			return 2;
	}
	if (optind + 1 != argc || n <= 0 || runs <= 0 || runs > 101) {
		fprintf(stderr, "usage: bench_query [-n MESSAGES] [-r RUNS] "
		                "[-k] CACHE_PATH\n");
		return 2;
	}
	const char *path = argv[optind];
	if (!keep || access(path, F_OK) != 0) {
		double t0 = now_ms();
		char p[4200];

		unlink(path);
		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
		if (fill(path, n) < 0)
			return 1;
		printf("filled %ld messages with bodies in %.0f ms\n", n,
		       now_ms() - t0);
	}
	word(common, 0);
	word(mid, 2000);

	struct query_filter all = {.since = QUERY_NO_TIME,
	                           .limit = QUERY_DEFAULT_LIMIT};
	struct query_filter inbox_unread = all, since = all, unread = all,
	                    inbox = all;
	inbox_unread.scope = "bench/INBOX";
	inbox_unread.unread = true;
	inbox.scope = "bench/INBOX";
	since.since = (int64_t)time(NULL) - 7 * 86400;
	unread.unread = true;
	char from_q[32], phrase_q[64];
	snprintf(from_q, sizeof(from_q), "from:user42@example.org");
	snprintf(phrase_q, sizeof(phrase_q), "subject:%s body:%s*", common,
	         "kalo");
	char cjk_subject_q[64], cjk_mid_q[64];
	snprintf(cjk_subject_q, sizeof(cjk_subject_q),
	         "\u4f1a\u8b70 subject:%s", mid);
	snprintf(cjk_mid_q, sizeof(cjk_mid_q), "%s \u4f1a\u8b70", mid);
	const struct bench benches[] = {
	        {"ls (all, limit 100)", LS, all, NULL},
	        {"ls bench/INBOX --unread", LS, inbox_unread, NULL},
	        {"ls --since 7d", LS, since, NULL},
	        {"ls --unread (all)", LS, unread, NULL},
	        {"count", COUNT, all, NULL},
	        {"count --unread", COUNT, unread, NULL},
	        {"count bench/INBOX", COUNT, inbox, NULL},
	        {"count --unread bench/INBOX", COUNT, inbox_unread, NULL},
	        {"search <word in 76%>", SEARCH, all, common},
	        {"search from:user42@example.org", SEARCH, all, from_q},
	        {"search subject:W body:prefix*", SEARCH, all, phrase_q},
	        {"search <word in 1.5%>", SEARCH, all, mid},
	        {"search <word> --in bench/INBOX", SEARCH, inbox, common},
	        {"search <word in 1.5%> --unread", SEARCH, unread, mid},
	        /* Nothing holds it: every message's text is read. */
	        {"search <CJK word, no match>", SEARCH, all, "\u4f1a\u8b70"},
	        {"search <CJK> --unread", SEARCH, unread, "\u4f1a\u8b70"},
	        {"search <CJK> subject:<word>", SEARCH, all, cjk_subject_q},
	        {"search <word in 1.5%> <CJK>", SEARCH, all, cjk_mid_q},
	        {"search NOT <CJK>", SEARCH, all, "NOT \u4f1a\u8b70"},
	};

	FILE *devnull = fopen("/dev/null", "w");
	struct query q;
	if (devnull == NULL || query_open(&q, path, devnull, OUT_TSV) != 0) {
		fprintf(stderr, "bench: cannot open %s: %s\n", path, q.err);
		return 1;
	}
	printf("%-36s %10s %10s %10s\n", "query", "wall med", "wall max",
	       "cpu med");
	for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++) {
		double t[101], cpu[101];
		/* A substring test reads the messages: no target. */
		bool scan = strstr(benches[b].name, "<CJK") != NULL;

		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();
			double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
			int rc;

			if (benches[b].kind == LS)
				rc = query_ls(&q, &benches[b].f);
			else if (benches[b].kind == COUNT)
				rc = query_count(&q, &benches[b].f);
			else
				rc = query_search(&q, benches[b].text,
				                  &benches[b].f);
			t[r] = now_ms() - t0;
			cpu[r] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
			if (rc != QUERY_OK && !(rc == QUERY_NONE && scan)) {
				fprintf(stderr, "bench: %s: %d %s\n",
				        benches[b].name, rc, q.err);
				return 1;
			}
		}
		qsort(t, (size_t)runs, sizeof(double), cmp_double);
		qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
		printf("%-36s %10.2f %10.2f %10.2f\n", benches[b].name,
		       t[runs / 2], t[runs - 1], cpu[runs / 2]);
		if (cpu[runs / 2] >= TARGET_MS && !scan)
			slow++;
	}
	query_close(&q);
	fclose(devnull);
	if (slow)
		printf("%d queries at or above %.0f ms\n", slow, TARGET_MS);
	return slow ? 1 : 0;
}
