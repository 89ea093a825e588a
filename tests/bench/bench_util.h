/* bench_util.h - what the benchmark programs that read a capture share:
 * the capture read into memory, a CPU clock, and the order for medians.
 * Header-only: each program is built from its one .c file. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include "imap4.h"
#include "proto/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A socket read's worth: what the reader is fed at a time. */
#define BENCH_PIECE 65536

/* Seconds of CPU on clock (CLOCK_THREAD_CPUTIME_ID: this thread's,
 * whatever else the machine runs; CLOCK_PROCESS_CPUTIME_ID: user and
 * system time of the whole process). */
static inline double bench_cpu_s(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort's order for doubles, for a median. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The file at path in memory (one byte more, for the caller), its size
 * in *len; NULL when it cannot be read. */
static inline char *bench_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0) {
		rewind(f);
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	if (f)
		fclose(f);
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

/* Feeds the capture to a new reader in BENCH_PIECE pieces, as reads
 * from a socket would, and hands each response to each (which returns
 * < 0 to stop). 0, or the first error. */
static inline int bench_feed(const char *data, size_t len,
                             int (*each)(void *payload, const imap4_resp *),
                             void *payload)
{
	struct imap4_reader r;
	const imap4_resp *resp;
	int rc = 0;
	imap4_reader_init(&r, NULL);
	for (size_t off = 0; off < len && rc >= 0;) {
		size_t piece =
		        len - off < BENCH_PIECE ? len - off : BENCH_PIECE;
		ssize_t used = imap4_reader_feed(&r, data + off, piece);
		if (used < 0) {
			rc = (int)used;
			break;
		}
		off += (size_t)used;
		while ((rc = imap4_reader_next(&r, &resp)) == 1)
			if ((rc = each(payload, resp)) < 0)
				break;
	}
	imap4_reader_clear(&r);
	return rc < 0 ? rc : 0;
}

#endif
