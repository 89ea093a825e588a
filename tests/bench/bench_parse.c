/* bench_parse.c - throughput of the response reader and parser.
 *
 *	bench_parse CAPTURE [RUNS [parse|typed|both]]
 *
 * Reads the capture (tests/bench/gen_fetch.py) into memory, then RUNS times
 * (default 5) feeds it to an imap4_reader in 64 KiB pieces, as a socket
 * read would hand them over, and pulls every response; then as many runs
 * that also type each FETCH with imap4_msg_parse. Prints the median
 * throughput of each, responses per second and the peak RSS (getrusage):
 * the RSS line shows that memory does not grow with the number of messages.
 *
 * Time is the CPU time of the thread (CLOCK_THREAD_CPUTIME_ID): "MB/s on
 * one core" whatever else the machine runs.
 *
 * Output, one "key value" per line, for run.sh to pick up.
 */
#include "bench_util.h"
#include "imap4.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct tally {
	bool typed;
	size_t nresp, nmsg;
	uint64_t check;
};

static int count(void *payload, const imap4_resp *resp)
{
	struct tally *t = payload;
	t->nresp++;
	t->check += resp->raw_len;
	if (t->typed && resp->name && !strcmp(resp->name, "FETCH")) {
		imap4_msg msg;
		int rc = imap4_msg_parse(&msg, resp);
		if (rc < 0)
			return rc;
		t->nmsg++;
		t->check += msg.uid + msg.size + msg.nflags;
	}
	return 0;
}

/* One pass over the capture; 0, or the first error. Not inlined, so that
 * `valgrind --tool=callgrind --toggle-collect=run` counts it alone. */
__attribute__((noinline)) static int run(const char *data, size_t len,
                                         bool typed, size_t *nresp,
                                         size_t *nmsg, uint64_t *check)
{
	struct tally t = {.typed = typed, .check = *check};
	int rc = bench_feed(data, len, count, &t);
	*nresp = t.nresp;
	*nmsg = t.nmsg;
	*check = t.check;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CAPTURE [RUNS [parse|typed|both]]\n",
		        argv[0]);
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (runs < 1 || runs > 1000)
		runs = 5;
	const char *mode = argc > 3 ? argv[3] : "both";
	int first = strcmp(mode, "typed") ? 0 : 1;
	int last = strcmp(mode, "parse") ? 1 : 0;
	size_t len;
	char *data = bench_slurp(argv[1], &len);
	if (!data) {
		fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
		return 1;
	}

	double *secs = calloc((size_t)runs, sizeof(*secs));
	double med[2] = {0, 0};
	size_t nresp = 0, nmsg = 0;
	uint64_t check = 0;
	for (int typed = first; typed <= last; typed++) {
		for (int i = 0; i < runs; i++) {
			double t0 = bench_cpu_s(CLOCK_THREAD_CPUTIME_ID);
			int rc = run(data, len, typed, &nresp, &nmsg, &check);
			secs[i] = bench_cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0;
			if (rc < 0) {
				fprintf(stderr, "%s: parse failed: %s\n",
				        argv[0], imap4_strerror(rc));
				return 1;
			}
		}
		qsort(secs, (size_t)runs, sizeof(*secs), bench_cmp_double);
		med[typed] = secs[runs / 2];
	}

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("bytes %zu\n", len);
	printf("responses %zu\n", nresp);
	printf("messages %zu\n", nmsg);
	if (first == 0) {
		printf("mb_per_s %.1f\n", (double)len / med[0] / 1e6);
		printf("resp_per_s %.0f\n", (double)nresp / med[0]);
	}
	if (last == 1) {
		printf("typed_mb_per_s %.1f\n", (double)len / med[1] / 1e6);
		printf("typed_msg_per_s %.0f\n", (double)nmsg / med[1]);
	}
	/* ru_maxrss counts the capture itself; the reader's share is the
	 * difference from the capture's size. */
	printf("peak_rss_kb %ld\n", ru.ru_maxrss);
	printf("capture_kb %zu\n", len / 1024);
	printf("checksum %llu\n", (unsigned long long)check);
	free(secs);
	free(data);
	return 0;
}
