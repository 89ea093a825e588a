/* bench_text.c - the ASCII fast paths of the text codecs, from memory.
 *
 *	bench_text [WORKLOAD [ROUNDS]]
 *
 * Header strings through the UTF-8 sanitizer, the RFC 2047 decoder and
 * the strict UTF-8 converter; bodies through the charset stream's
 * imap4_charset_stream_same() and imap4_mime_text(); envelope addresses
 * and flags through the daemon's convert.c. The inputs are made here:
 * mostly ASCII, as mail is, with some UTF-8 and raw Latin-1 beside it.
 * Each workload is one function, so that
 *
 *	valgrind --tool=callgrind --toggle-collect='work_*' bench_text W 1
 *
 * counts it alone; without valgrind it prints the CPU time of ROUNDS
 * (default 200) rounds. Built by hand, as run.sh builds bench_parse:
 *
 *	cc -std=c11 -O2 -g -DNDEBUG -D_GNU_SOURCE -Icore -Idaemon \
 *	   tests/bench/bench_text.c BUILD/daemon/mailmirrord/convert.o \
 *	   BUILD/libimap4.a $(pkg-config --libs gnutls zlib) -o bench_text
 */
#include "imap4.h"
#include "mailmirrord/convert.h"
#include "proto/charset.h"
#include "proto/mime_text.h"
#include "proto/rfc2047.h"
#include "proto/utf8.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const headers[] = {
        "Re: Quarterly report for the infrastructure team meeting",
        "John Smith",
        "jsmith@mail.example.com",
        "J\xc3\xbcrgen M\xc3\xbcller",
        "M\xfcller, Hans",
        "[announce] Release 2.4.1 is out: fixes for the build on arm64",
        ("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
         "\xd0\xbc\xd0\xb8\xd1\x80"),
        "Fwd: invoice 2025-0042",
};

static const char *const words[] = {
        "=?utf-8?q?Caf=C3=A9_au_lait_for_everyone_on_the_third_floor?=",
        ("=?UTF-8?B?UmU6IFF1YXJ0ZXJseSByZXBvcnQgZm9yIHRoZSBpbmZyYXN0cnVjdH"
         "VyZSB0ZWFtIG1lZXRpbmc=?="),
        "=?utf-8?q?J=C3=BCrgen?= =?utf-8?q?_M=C3=BCller?=",
        "Weekly digest =?utf-8?q?=E2=80=94?= 12 new messages",
};

static const char line_en[] =
        "The quick brown fox jumps over the lazy dog, then reads the mail "
        "again.\r\n";
static const char line_de[] = "Gr\xc3\xbc\xc3\x9f"
                              "e aus M\xc3\xbcnchen, wir sehen uns "
                              "n\xc3\xa4"
                              "chste Woche im B\xc3\xbcro.\r\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A message of head and 64 KiB or so of lines of line. */
static size_t fill(struct imap4_buf *b, const char *head, const char *line)
{
	imap4_buf_reset(b);
	if (imap4_buf_append(b, head, strlen(head)) < 0)
		exit(1);
	while (b->len < 65536)
		if (imap4_buf_append(b, line, strlen(line)) < 0)
			exit(1);
	return b->len;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The header strings, 100 times: w 0 through the UTF-8 sanitizer, 1 the
 * RFC 2047 words through the decoder, 2 through the strict converter. */
__attribute__((noinline)) static uint64_t work_strings(struct imap4_buf *b,
                                                       size_t w)
{
	const char *const *s = w == 1 ? words : headers;
	size_t n = w == 1 ? N(words) : N(headers);
	uint64_t sum = 0;
	for (int k = 0; k < 100; k++)
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(s[i]);
			imap4_buf_reset(b);
			if (w == 0)
				imap4_utf8_append_sanitized(b, s[i], len);
			else if (w == 1)
				imap4_rfc2047_decode_append(b, s[i], len);
			else
				imap4_charset_convert(b, "utf-8", s[i], len);
			sum += b->len;
		}
	return sum;
}

__attribute__((noinline)) static uint64_t work_same(const struct imap4_buf *en,
                                                    const struct imap4_buf *de)
{
	struct imap4_charset_stream cs;
	imap4_charset_stream_open(&cs, "utf-8");
	uint64_t sum = imap4_charset_stream_same(&cs, en->data, en->len) +
	               imap4_charset_stream_same(&cs, de->data, de->len);
	imap4_charset_stream_close(&cs);
	return sum;
}

__attribute__((noinline)) static uint64_t work_mime(struct imap4_buf *b,
                                                    const struct imap4_buf *en,
                                                    const struct imap4_buf *de)
{
	imap4_buf_reset(b);
	imap4_mime_text(b, en->data, en->len, 0);
	imap4_mime_text(b, de->data, de->len, 0);
	return b->len;
}

__attribute__((noinline)) static uint64_t work_conv(void)
{
	static const char *const flags[] = {
	        "\\Seen", "\\Answered", "$Forwarded", "\\Recent", "$Label1"};
	imap4_address c = {.name = "J\xc3\xbcrgen M\xc3\xbcller",
	                   .mailbox = "juergen.mueller",
	                   .host = "example.de"};
	imap4_address bb = {.name = "Operations mailing list",
	                    .mailbox = "ops-list",
	                    .host = "lists.example.org",
	                    .next = &c};
	imap4_address a = {.name = "John Smith",
	                   .mailbox = "jsmith",
	                   .host = "mail.example.com",
	                   .next = &bb};
	imap4_msg m = {.flags = flags, .nflags = N(flags)};
	uint64_t sum = 0;
	for (int k = 0; k < 100; k++) {
		char *s = conv_addresses(&a), *f = conv_flags(&m);
		sum += (s ? strlen(s) : 0) + (f ? strlen(f) : 0);
		free(s);
		free(f);
	}
	return sum;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "all";
	int rounds = argc > 2 ? atoi(argv[2]) : 200;
	static const char *const names[] = {"sanitize", "rfc2047", "convert",
	                                    "same",     "mime",    "conv"};
	struct imap4_buf b, en, de;
	imap4_buf_init(&b, 0);
	imap4_buf_init(&en, 0);
	imap4_buf_init(&de, 0);
	uint64_t check = 0;
	size_t bytes =
	        fill(&en, "Content-Type: text/plain\r\n\r\n", line_en) +
	        fill(&de, "Content-Type: text/plain; charset=utf-8\r\n\r\n",
	             line_de);

	for (size_t w = 0; w < N(names); w++) {
		if (strcmp(only, "all") && strcmp(only, names[w]))
			continue;
		double t0 = now();
		for (int r = 0; r < rounds; r++) {
			switch (w) {
			case 0:
			case 1:
			case 2:
				check += work_strings(&b, w);
				break;
			case 3:
				check += work_same(&en, &de);
				break;
			case 4:
				check += work_mime(&b, &en, &de);
				break;
			default:
				check += work_conv();
				break;
			}
		}
		double ms = (now() - t0) * 1e3;
		if (w == 3 || w == 4)
			printf("%s %.3f ms, %.0f MB/s\n", names[w], ms,
			       (double)bytes * rounds / ms / 1e3);
		else
			printf("%s %.3f ms\n", names[w], ms);
	}
	printf("check %llu\n", (unsigned long long)check);
	imap4_buf_clear(&b);
	imap4_buf_clear(&en);
	imap4_buf_clear(&de);
	return 0;
}
