/* test_reader.c - framing, limits and streaming of imap4_reader: every
 * transcript whole, byte by byte and split at every offset gives what
 * imap4_parse_response gives; hostile sizes fail before memory grows. */
#include <criterion/criterion.h>

#include "imap4.h"
#include "proto/reader.h"
#include "util/arena.h"

#include "resp_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *reference_dump(const struct test_transcript *t)
{
	struct imap4_arena a;
	const imap4_resp *r;
	imap4_arena_init(&a, 0);
	cr_assert_eq(imap4_parse_response(&r, &a, t->data, t->len), 0, "%s",
	             t->name);
	char *d = test_resp_dump(r, true);
	imap4_arena_clear(&a);
	return d;
}

/* Feeds data in pieces of the given sizes (cycled) and collects the dumps
 * of the responses, joined by newlines. Fails the test on any error. */
static char *feed_pieces(const char *data, size_t len, const size_t *sizes,
                         size_t nsizes)
{
	struct imap4_reader r;
	imap4_reader_init(&r, NULL);
	size_t cap = 1, n = 0, k = 0, off = 0;
	char *out = calloc(1, cap);
	const imap4_resp *resp;

	while (off < len) {
		size_t piece = sizes[k++ % nsizes];
		if (piece > len - off)
			piece = len - off;
		size_t done = 0;
		while (done < piece) {
			ssize_t used = imap4_reader_feed(&r, data + off + done,
			                                 piece - done);
			cr_assert_geq(used, 0, "feed: %zd", used);
			done += (size_t)used;
			int rc = imap4_reader_next(&r, &resp);
			cr_assert_geq(rc, 0, "next: %d", rc);
			if (rc == 1) {
				char *d = test_resp_dump(resp, true);
				size_t dl = strlen(d);
				out = realloc(out, cap = n + dl + 2);
				memcpy(out + n, d, dl);
				n += dl;
				out[n++] = '\n';
				out[n] = '\0';
				free(d);
			} else {
				cr_assert_gt(used, 0, "no progress");
			}
		}
		off += piece;
	}
	cr_assert_eq(imap4_reader_next(&r, &resp), 0);
	cr_assert_eq(imap4_reader_pending(&r), 0);
	imap4_reader_clear(&r);
	return out;
}

static char *with_newline(char *d)
{
	size_t n = strlen(d);
	d = realloc(d, n + 2);
	d[n] = '\n';
	d[n + 1] = '\0';
	return d;
}

Test(reader, whole_bytewise_and_every_split)
{
	for (size_t i = 0; i < test_ntranscripts; i++) {
		const struct test_transcript *t = &test_transcripts[i];
		char *want = with_newline(reference_dump(t));
		size_t whole = t->len, one = 1;
		char *got = feed_pieces(t->data, t->len, &whole, 1);
		cr_assert_str_eq(got, want, "%s whole", t->name);
		free(got);
		got = feed_pieces(t->data, t->len, &one, 1);
		cr_assert_str_eq(got, want, "%s byte by byte", t->name);
		free(got);
		for (size_t at = 1; at < t->len; at++) {
			size_t split[2] = {at, t->len - at};
			got = feed_pieces(t->data, t->len, split, 2);
			cr_assert_str_eq(got, want, "%s split at %zu", t->name,
			                 at);
			free(got);
		}
		free(want);
	}
}

Test(reader, stream_of_all_transcripts_in_odd_chunks)
{
	size_t len = 0, n = 0;
	for (size_t i = 0; i < test_ntranscripts; i++)
		len += test_transcripts[i].len;
	char *all = malloc(len), *want = calloc(1, 1);
	for (size_t i = 0; i < test_ntranscripts; i++) {
		const struct test_transcript *t = &test_transcripts[i];
		memcpy(all + n, t->data, t->len);
		n += t->len;
		char *d = with_newline(reference_dump(t));
		want = realloc(want, strlen(want) + strlen(d) + 1);
		strcat(want, d);
		free(d);
	}
	static const size_t sizes[] = {7, 1, 300, 13, 2, 4096, 3, 64};
	for (size_t s = 0; s < 8; s++) {
		char *got = feed_pieces(all, len, sizes + s, 8 - s);
		cr_assert_str_eq(got, want, "chunks from %zu", s);
		free(got);
	}
	free(all);
	free(want);
}

Test(reader, feed_stops_after_a_response)
{
	struct imap4_reader r;
	const imap4_resp *resp;
	static const char two[] = "A1 OK done\r\n* 3 EXISTS\r\n";
	imap4_reader_init(&r, NULL);
	cr_assert_eq(imap4_reader_feed(&r, two, sizeof(two) - 1), 12);
	cr_assert_eq(imap4_reader_feed(&r, two + 12, sizeof(two) - 13), 0,
	             "a complete response waits for next()");
	cr_assert_eq(imap4_reader_pending(&r), 12);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_str_eq(resp->tag, "A1");
	cr_assert_eq(resp->raw_len, 12);
	cr_assert(!memcmp(resp->raw, two, 12));
	cr_assert_eq(imap4_reader_pending(&r), 0);
	cr_assert_eq(imap4_reader_feed(&r, two + 12, 5), 5);
	cr_assert_eq(imap4_reader_pending(&r), 5);
	cr_assert_eq(imap4_reader_next(&r, &resp), 0);
	cr_assert_null(resp);
	cr_assert_eq(imap4_reader_feed(&r, two + 17, sizeof(two) - 18), 7);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_str_eq(resp->name, "EXISTS");
	cr_assert_eq(resp->number, 3);
	imap4_reader_clear(&r);
}

/* Feeds s whole with the limits given; returns the first error of feed or
 * next, or 0 when a response came out. */
static int feed_all(const struct imap4_limits *lim, const char *s, size_t len,
                    size_t *held)
{
	struct imap4_reader r;
	const imap4_resp *resp;
	int rc = 0;
	imap4_reader_init(&r, lim);
	size_t off = 0;
	while (off < len) {
		ssize_t used = imap4_reader_feed(&r, s + off, len - off);
		if (used < 0) {
			rc = (int)used;
			break;
		}
		off += (size_t)used;
		rc = imap4_reader_next(&r, &resp);
		if (rc != 0)
			break;
	}
	if (held)
		*held = r.in.alloc;
	if (rc < 0) {
		/* failed readers stay failed */
		cr_assert_eq(imap4_reader_feed(&r, "* OK\r\n", 6), rc);
		cr_assert_eq(imap4_reader_next(&r, &resp), rc);
	}
	imap4_reader_clear(&r);
	return rc < 0 ? rc : 0;
}

#define FEED(lim, s) feed_all(lim, s, sizeof(s) - 1, NULL)

Test(reader, malformed_and_over_limits)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_line = 64;
	lim.max_literal = 100;
	lim.max_response = 1000;
	lim.max_depth = 4;
	lim.max_args = 10;
	size_t held;

	cr_assert_eq(FEED(&lim, "* OK fine\r\n"), 0);
	cr_assert_eq(FEED(&lim, "* X {99999999999999999999}\r\n"),
	             IMAP4_EPROTO);
	cr_assert_eq(
	        feed_all(&lim, "* X {18446744073709551615}\r\n", 28, &held),
	        IMAP4_ELIMIT);
	cr_assert_lt(held, 4096, "memory grew from an announced size");
	cr_assert_eq(FEED(&lim, "* X {101}\r\n"), IMAP4_ELIMIT);
	cr_assert_eq(FEED(&lim, "* X {100}\r\n"), 0, "waits for the data");
	char line[80];
	memset(line, 'a', sizeof(line));
	memcpy(line, "* X ", 4);
	memcpy(line + 62, "\r\n", 2);
	cr_assert_eq(feed_all(&lim, line, 64, NULL), 0, "64 bytes with CRLF");
	memcpy(line + 62, "aa\r\n", 4);
	cr_assert_eq(feed_all(&lim, line, 66, NULL), IMAP4_ELIMIT);
	cr_assert_eq(feed_all(&lim, line, 65, NULL), IMAP4_ELIMIT,
	             "refused before its end arrives");
	cr_assert_eq(FEED(&lim, "* X ((((a))))\r\n"), 0);
	cr_assert_eq(FEED(&lim, "* X (((((a)))))\r\n"), IMAP4_ELIMIT);
	cr_assert_eq(FEED(&lim, "* X 1 2 3 4 5 6 7 8 9 10\r\n"), 0);
	cr_assert_eq(FEED(&lim, "* X 1 2 3 4 5 6 7 8 9 10 11\r\n"),
	             IMAP4_ELIMIT);
	cr_assert_eq(FEED(&lim, "* OK a\x00 b\r\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "* OK bare lf\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "* X \"abc\r\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "A{1 OK x\r\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "* X (a))\r\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "* X ((a)\r\n"), IMAP4_EPROTO);
	cr_assert_eq(FEED(&lim, "* \r\n"), IMAP4_EPROTO);

	/* the whole response, literals included, is bounded */
	char big[1200];
	size_t n = 0;
	for (int i = 0; i < 11; i++)
		n += (size_t)sprintf(big + n, "%s{90}\r\n%90s",
		                     i ? " " : "* X ", "");
	n += (size_t)sprintf(big + n, "\r\n");
	cr_assert_eq(feed_all(&lim, big, n, NULL), IMAP4_ELIMIT);
}

/* These are refused by feed itself, as the bytes arrive, not later by the
 * parser: a NUL before its line ends, a line without CR, a literal that
 * cannot fit in max_response before any of its data. */
Test(reader, refused_as_bytes_arrive)
{
	struct imap4_limits lim;
	struct imap4_reader r;
	imap4_limits_init(&lim);
	lim.max_literal = 2000;
	lim.max_response = 1000;

	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, "* OK a\0", 7), IMAP4_EPROTO);
	imap4_reader_clear(&r);

	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, "* OK x\n", 7), IMAP4_EPROTO);
	imap4_reader_clear(&r);

	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, "* X {1500}\r\n", 12), IMAP4_ELIMIT);
	imap4_reader_clear(&r);

	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, "* X {900}\r\n", 11), 11);
	cr_assert_eq(imap4_reader_pending(&r), 11);
	imap4_reader_clear(&r);
}

Test(reader, empty_and_zero_literals)
{
	cr_assert_eq(FEED(NULL, "* 6 FETCH (BODY[TEXT] {0}\r\n)\r\n"), 0);
	cr_assert_eq(FEED(NULL, "* 6 FETCH (BODY[TEXT] {0+}\r\n)\r\n"), 0);
}

struct sink_state {
	uint64_t got;
	size_t calls;
	bool prefix_ok;
	bool order_ok;
	size_t max_alloc; /* reader buffer seen during the stream */
	struct imap4_reader *r;
	int fail_after; /* calls before returning an error, or -1 */
};

static int sink(void *payload, const struct imap4_literal_info *info,
                const void *data, size_t len)
{
	struct sink_state *s = payload;
	static const char prefix[] = "* 4 FETCH (UID 9 BODY[] ";
	if (info->prefix_len != sizeof(prefix) - 1 ||
	    memcmp(info->prefix, prefix, info->prefix_len))
		s->prefix_ok = false;
	if (info->offset != s->got || info->total != 5000000)
		s->order_ok = false;
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)((s->got + i) % 251))
			s->order_ok = false;
	s->got += len;
	s->calls++;
	if (s->r->in.alloc > s->max_alloc)
		s->max_alloc = s->r->in.alloc;
	if (s->fail_after >= 0 && (int)s->calls > s->fail_after)
		return IMAP4_ECALLBACK;
	return 0;
}

static char *big_fetch(size_t *len)
{
	static const char head[] = "* 4 FETCH (UID 9 BODY[] {5000000}\r\n";
	static const char tail[] = " FLAGS (\\Seen))\r\n";
	size_t n = sizeof(head) - 1 + 5000000 + sizeof(tail) - 1;
	char *s = malloc(n);
	memcpy(s, head, sizeof(head) - 1);
	for (size_t i = 0; i < 5000000; i++)
		s[sizeof(head) - 1 + i] = (char)(unsigned char)(i % 251);
	memcpy(s + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	*len = n;
	return s;
}

Test(reader, streams_a_5mb_literal)
{
	size_t len;
	char *s = big_fetch(&len);
	struct imap4_reader r;
	struct sink_state st = {
	        .prefix_ok = true, .order_ok = true, .r = &r, .fail_after = -1};
	const imap4_resp *resp;

	imap4_reader_init(&r, NULL);
	imap4_reader_set_sink(&r, sink, &st);
	size_t off = 0;
	int rc = 0;
	while (off < len) {
		size_t piece = len - off < 65536 ? len - off : 65536;
		ssize_t used = imap4_reader_feed(&r, s + off, piece);
		cr_assert_geq(used, 0);
		off += (size_t)used;
		rc = imap4_reader_next(&r, &resp);
		cr_assert_geq(rc, 0);
		if (rc)
			break;
	}
	cr_assert_eq(rc, 1);
	cr_assert_eq(off, len);
	cr_assert_eq(st.got, 5000000);
	cr_assert(st.prefix_ok);
	cr_assert(st.order_ok, "bytes out of order, twice or missing");
	cr_assert_lt(st.max_alloc, 4096, "literal held in memory");
	cr_assert_lt(r.arena.used, 4096);
	const imap4_arg *lit = imap4_arg_after(resp->args->list, "BODY[]");
	cr_assert_not_null(lit);
	cr_assert_eq(lit->type, IMAP4_ARG_LITERAL);
	cr_assert(lit->streamed);
	cr_assert_null(lit->str);
	cr_assert_eq(lit->len, 5000000);
	cr_assert_null(imap4_arg_string(lit));
	cr_assert_str_eq(imap4_arg_after(resp->args->list, "FLAGS")->list->str,
	                 "\\Seen");
	static const char raw[] = "* 4 FETCH (UID 9 BODY[] {5000000}\r\n FLAGS "
	                          "(\\Seen))\r\n";
	cr_assert_eq(resp->raw_len, sizeof(raw) - 1);
	cr_assert(!memcmp(resp->raw, raw, resp->raw_len));
	imap4_reader_clear(&r);

	/* without a sink the same literal is held, under max_literal */
	imap4_reader_init(&r, NULL);
	for (off = 0; off < len;) {
		ssize_t used = imap4_reader_feed(&r, s + off, len - off);
		cr_assert_gt(used, 0);
		off += (size_t)used;
	}
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	lit = imap4_arg_after(resp->args->list, "BODY[]");
	cr_assert_not(lit->streamed);
	cr_assert_eq(lit->len, 5000000);
	cr_assert(!memcmp(lit->str, s + len - 5000000 - 17, 5000000));
	/* and given back once the next response starts */
	cr_assert_eq(imap4_reader_feed(&r, "* 1 EXISTS\r\n", 12), 12);
	cr_assert_lt(r.in.alloc, 4096);
	cr_assert_lt(r.arena.used, 4096);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_str_eq(resp->name, "EXISTS");
	imap4_reader_clear(&r);
	free(s);
}

/* A failed sink is told nothing more and noted; the reader reads the rest
 * of the literal and delivers the response, in step with the stream. */
Test(reader, sink_failure_is_noted_and_the_literal_skipped)
{
	size_t len;
	char *s = big_fetch(&len);
	struct imap4_reader r;
	struct sink_state st = {
	        .prefix_ok = true, .order_ok = true, .r = &r, .fail_after = 2};
	imap4_reader_init(&r, NULL);
	imap4_reader_set_sink(&r, sink, &st);
	ssize_t used = 0;
	size_t off = 0;
	for (; off < len && used >= 0; off += (size_t)used)
		used = imap4_reader_feed(&r, s + off, 1000);
	cr_assert_geq(used, 0);
	cr_assert_eq(off, len);
	cr_assert_eq(r.sink_error, IMAP4_ECALLBACK);
	cr_assert_eq(st.calls, 3);
	const imap4_resp *resp;
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_str_eq(resp->name, "FETCH");
	imap4_reader_clear(&r);
	free(s);
}

Test(reader, small_literal_is_held_even_with_a_sink)
{
	struct imap4_reader r;
	struct sink_state st = {.r = &r, .fail_after = -1};
	const imap4_resp *resp;
	static const char s[] = "* 2 FETCH (BODY[] {3}\r\nabc)\r\n";
	imap4_reader_init(&r, NULL);
	imap4_reader_set_sink(&r, sink, &st);
	cr_assert_eq(imap4_reader_feed(&r, s, sizeof(s) - 1), sizeof(s) - 1);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_eq(st.calls, 0);
	cr_assert_str_eq(resp->args->list->next->str, "abc");
	imap4_reader_clear(&r);
}

static int refusing_sink(void *payload, const struct imap4_literal_info *info,
                         const void *data, size_t len)
{
	size_t *calls = payload;
	(*calls)++;
	return IMAP4_ELIMIT;
}

/* A sink that refuses a literal past max_literal (a section it never
 * asked for) fails the response as soon as the literal begins: its 5 MB
 * are not read first, only dropped. */
Test(reader, sink_refusal_fails_a_literal_past_the_limit_at_once)
{
	size_t len, calls = 0;
	char *s = big_fetch(&len);
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_literal = lim.stream_threshold = 1 << 20;
	struct imap4_reader r;
	imap4_reader_init(&r, &lim);
	imap4_reader_set_sink(&r, refusing_sink, &calls);
	ssize_t used = 0;
	size_t off = 0;
	for (; off < len; off += (size_t)used) {
		used = imap4_reader_feed(&r, s + off, 65536);
		if (used < 0)
			break;
	}
	cr_assert_eq(used, IMAP4_ELIMIT);
	cr_assert_lt(off, 65536, "%zu bytes read before the refusal", off);
	cr_assert_eq(calls, 1);
	cr_assert_str_eq(
	        r.why, "a literal of 5000000 bytes, over the limit of 1048576");
	cr_assert_lt(r.in.alloc, 4096);
	imap4_reader_clear(&r);
	free(s);
}

/* Refused by the sink within max_literal, a literal is held as without
 * one, and parsed whole. */
Test(reader, sink_refusal_holds_a_literal_within_the_limit)
{
	static const char s[] = "* 2 FETCH (BODY[1.MIME] {10}\r\n0123456789 "
	                        "BODY[] {6}\r\nabcdef)\r\n";
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.stream_threshold = 4;
	for (size_t step = 1; step <= sizeof(s) - 1; step += sizeof(s) - 2) {
		size_t calls = 0;
		struct imap4_reader r;
		imap4_reader_init(&r, &lim);
		imap4_reader_set_sink(&r, refusing_sink, &calls);
		for (size_t off = 0; off < sizeof(s) - 1; off += step) {
			size_t n = sizeof(s) - 1 - off < step
			                   ? sizeof(s) - 1 - off
			                   : step;
			cr_assert_eq(imap4_reader_feed(&r, s + off, n),
			             (ssize_t)n, "%s", r.why);
		}
		const imap4_resp *resp;
		cr_assert_eq(imap4_reader_next(&r, &resp), 1, "%s", r.why);
		cr_assert_eq(calls, 2);
		cr_assert_eq(r.sink_error, 0);
		const imap4_arg *a =
		        imap4_arg_after(resp->args->list, "BODY[1.MIME]");
		cr_assert_not_null(a);
		cr_assert_not(a->streamed);
		cr_assert_str_eq(a->str, "0123456789");
		a = imap4_arg_after(resp->args->list, "BODY[]");
		cr_assert_not_null(a);
		cr_assert_str_eq(a->str, "abcdef");
		imap4_reader_clear(&r);
	}
}

Test(reader, continuation_is_one_line)
{
	struct imap4_reader r;
	const imap4_resp *resp;
	static const char s[] = "+ send {5}\r\n";
	imap4_reader_init(&r, NULL);
	cr_assert_eq(imap4_reader_feed(&r, s, sizeof(s) - 1), sizeof(s) - 1);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_eq(resp->type, IMAP4_RESP_CONTINUE);
	cr_assert_str_eq(resp->text, "send {5}");
	imap4_reader_clear(&r);
}

static int count_sink(void *payload, const struct imap4_literal_info *info,
                      const void *data, size_t len)
{
	*(size_t *)payload += len;
	return 0;
}

/* A literal in a response code is written in code_text as a quoted
 * string of its data. It is no body section: with a sink set, it is
 * held all the same, whatever its size. */
Test(reader, literal_in_a_code_is_held)
{
	struct imap4_limits lim;
	struct imap4_reader r;
	const imap4_resp *resp;
	size_t got = 0;
	static const char s[] = "* OK [X {10}\r\n0123456789 y {2}\r\nab] t\r\n";

	imap4_limits_init(&lim);
	lim.stream_threshold = 4;
	imap4_reader_init(&r, &lim);
	imap4_reader_set_sink(&r, count_sink, &got);
	cr_assert_eq(imap4_reader_feed(&r, s, sizeof(s) - 1), sizeof(s) - 1);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1);
	cr_assert_eq(got, 0);
	cr_assert_not(resp->code_args->streamed);
	cr_assert_str_eq(resp->code_text, "\"0123456789\" y \"ab\"");
	cr_assert_str_eq(resp->text, "t");
	imap4_reader_clear(&r);
}

/* A code's text writes a literal as a quoted string, which escapes make
 * up to twice its size: the parse arena's cap holds that too. */
Test(reader, parse_cap_holds_a_code_literal_of_quotes)
{
	static const char head[] = "* OK [X {1000000}\r\n", tail[] = "] t\r\n";
	size_t n = 1000000, len = sizeof(head) - 1 + n + sizeof(tail) - 1;
	char *buf = malloc(len);
	struct imap4_limits lim;
	struct imap4_reader r;
	const imap4_resp *resp;

	cr_assert_not_null(buf);
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, '"', n);
	memcpy(buf + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	imap4_limits_init(&lim);
	lim.max_args = 1;
	lim.max_depth = 1;
	lim.max_line = lim.max_response = len;
	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, buf, len), (ssize_t)len);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1, "%s", r.why);
	cr_assert_eq(strlen(resp->code_text), 2 * n + 2);
	cr_assert_leq(r.arena.used, r.arena.cap);
	imap4_reader_clear(&r);
	free(buf);
}

/* "* X" and n copies of tok, each after a space when spaced, as a reader
 * with limits made for exactly that response parses it: max_args the
 * nodes it has, max_response and max_line its bytes. */
static void parse_at_limits(const char *tok, size_t nodes_per_tok, size_t n,
                            bool spaced)
{
	size_t tl = strlen(tok), len = 0;
	char *buf = malloc(8 + n * (tl + 1));
	struct imap4_limits lim;
	struct imap4_reader r;
	const imap4_resp *resp;

	cr_assert_not_null(buf);
	len += (size_t)sprintf(buf, "* X ");
	for (size_t i = 0; i < n; i++) {
		if (spaced && i)
			buf[len++] = ' ';
		memcpy(buf + len, tok, tl);
		len += tl;
	}
	memcpy(buf + len, "\r\n", 2);
	len += 2;
	imap4_limits_init(&lim);
	lim.max_args = n * nodes_per_tok;
	lim.max_depth = 2;
	lim.max_line = lim.max_response = len;
	imap4_reader_init(&r, &lim);
	cr_assert_eq(imap4_reader_feed(&r, buf, len), (ssize_t)len);
	cr_assert_eq(imap4_reader_next(&r, &resp), 1,
	             "%zu of \"%s\" did not fit a cap of %zu: %s", n, tok,
	             r.arena.cap, r.why);
	cr_assert_leq(r.arena.used, r.arena.cap);
	imap4_reader_clear(&r);
	free(buf);
}

/* The parse arena's cap is what imap4.h promises one response may take
 * parsed (3 * max_response + 64 bytes a node + 128 kB): it must hold
 * every response within the limits, of the shapes that cost the most
 * per byte (a node per byte or two) at every count, where the parser's
 * growing pieces leave the most unused, and many big strings. */
Test(reader, parse_cap_holds_responses_at_the_limits)
{
	for (size_t n = 1; n <= 2500; n++) {
		parse_at_limits("1", 1, n, true);
		parse_at_limits("(1)", 2, n, false);
	}
	parse_at_limits("1", 1, 300000, true);
	parse_at_limits("()", 1, 300000, false);
	parse_at_limits("\"\"", 1, 300000, true);

	static char big[17000];
	for (size_t len = 200; len < sizeof(big); len += 397) {
		memset(big, 'a', len);
		big[0] = big[len - 1] = '"';
		big[len] = '\0';
		parse_at_limits(big, 1, 2000000 / len + 1, true);
	}
}

/* ---- which literals go to the sink: a body section's value alone */

struct sunk_items {
	size_t literals, bytes;
	char names[256]; /* the item of each: the prefix's last word */
};

static int item_sink(void *payload, const struct imap4_literal_info *info,
                     const void *data, size_t len)
{
	struct sunk_items *s = payload;
	if (info->offset == 0) {
		size_t end = info->prefix_len, from;
		while (end > 0 && info->prefix[end - 1] == ' ')
			end--;
		from = end;
		while (from > 0 && info->prefix[from - 1] != ' ' &&
		       info->prefix[from - 1] != '(')
			from--;
		size_t n = strlen(s->names);
		snprintf(s->names + n, sizeof(s->names) - n, "%s%.*s",
		         n ? "|" : "", (int)(end - from), info->prefix + from);
		s->literals++;
	}
	s->bytes += len;
	return 0;
}

/* Feeds s whole, then byte by byte, with a sink for literals over 4
 * bytes; both runs must sink the same. The response of the second run is
 * in *out, valid until r is cleared. */
static void feed_sunk(struct imap4_reader *r, struct sunk_items *st,
                      const char *s, const imap4_resp **out)
{
	struct imap4_limits lim;
	struct sunk_items whole = {0};
	size_t len = strlen(s);

	imap4_limits_init(&lim);
	lim.stream_threshold = 4;
	imap4_reader_init(r, &lim);
	imap4_reader_set_sink(r, item_sink, &whole);
	cr_assert_eq(imap4_reader_feed(r, s, len), (ssize_t)len, "%s", r->why);
	cr_assert_eq(imap4_reader_next(r, out), 1, "%s", r->why);
	imap4_reader_clear(r);

	memset(st, 0, sizeof(*st));
	imap4_reader_init(r, &lim);
	imap4_reader_set_sink(r, item_sink, st);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(imap4_reader_feed(r, s + i, 1), 1, "%s", r->why);
	cr_assert_eq(imap4_reader_next(r, out), 1, "%s", r->why);
	cr_assert_str_eq(whole.names, st->names);
	cr_assert_eq(whole.bytes, st->bytes);
}

/* explore75 t15: a big ENVELOPE subject went to the sink, and the
 * message came with IMAP4_HAVE_ENVELOPE and a subject of NULL, the same
 * as NIL. Only a section's value streams; the subject is held, whole. */
Test(reader, an_envelope_string_is_held_a_section_streams)
{
	struct imap4_reader r;
	struct sunk_items st;
	const imap4_resp *resp;
	imap4_msg m;

	feed_sunk(&r, &st,
	          "* 1 FETCH (UID 9 ENVELOPE (NIL {10}\r\n"
	          "0123456789 NIL NIL NIL NIL NIL NIL NIL NIL) "
	          "BODY[] {6}\r\nbody!!)\r\n",
	          &resp);
	cr_assert_str_eq(st.names, "BODY[]");
	cr_assert_eq(st.bytes, 6);
	cr_assert_eq(imap4_msg_parse(&m, resp), 0);
	cr_assert(m.have & IMAP4_HAVE_ENVELOPE);
	cr_assert_str_eq(m.envelope->subject, "0123456789");
	cr_assert(m.sections->streamed);
	imap4_reader_clear(&r);
}

/* explore75 t15: a big mailbox name in LIST went to the sink, and
 * imap4_list_parse failed with IMAP4_EPROTO. A LIST has no section. */
Test(reader, a_list_name_is_held)
{
	struct imap4_reader r;
	struct sunk_items st;
	const imap4_resp *resp;
	imap4_list_entry e;

	feed_sunk(&r, &st, "* LIST () \"/\" {12}\r\nArchive/2024\r\n", &resp);
	cr_assert_eq(st.literals, 0, "%s", st.names);
	cr_assert_eq(imap4_list_parse(&e, resp), 0);
	cr_assert_str_eq(e.name, "Archive/2024");
	imap4_reader_clear(&r);
}

/* Every section form streams, and only where an item's value begins: a
 * body structure's strings, a vendor item's list holding "BODY[]", a
 * literal where a name belongs, a response code and a response that is
 * no FETCH keep theirs. */
Test(reader, only_a_sections_value_streams)
{
	static const struct {
		const char *s, *names;
	} cases[] = {
	        {"* 7812 FETCH (UID 7812 FLAGS (\\Seen \\Recent) "
	         "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
	         "RFC822.SIZE 5 MODSEQ (18446744073709551615) "
	         "BODY[]<0> {5}\r\nhello)\r\n",
	         "BODY[]<0>"},
	        {"* 1 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {5}\r\nDate:"
	         " BINARY[1] ~{5}\r\n\x01\x02\x03\x04\x05"
	         " RFC822.TEXT {5}\r\nabcde rfc822 {5}\r\nabcde"
	         " RFC822.HEADER {5}\r\nabcde)\r\n",
	         "FROM)]|BINARY[1]|RFC822.TEXT|rfc822|RFC822.HEADER"},
	        {"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	         "{5}\r\nUTF-8) NIL NIL \"7BIT\" 5 1) body[1] "
	         "{5}\r\nhello)\r\n",
	         "body[1]"},
	        {"* 1 FETCH (X-ITEM (BODY[] {5}\r\nhello) UID 3)\r\n", ""},
	        /* a list's first member, held, then a section (t15) */
	        {"* 2 FETCH (UID 2 FLAGS ({5}\r\nSSSSS x) BODY[] {5}\r\n"
	         "hello)\r\n",
	         "BODY[]"},
	        {"* 1 FETCH (BODY[] \"x\" {5}\r\nhello)\r\n", ""},
	        {"* 1 FETCH (\"BODY[]\" {5}\r\nhello)\r\n", ""},
	        {"* 1 FETCH (X-GM-LABELS ({6}\r\nLabel1))\r\n", ""},
	        {"* OK [X {10}\r\n0123456789 y] t\r\n", ""},
	        {"A1 OK [BADCHARSET ({5}\r\nUTF-8)] t\r\n", ""},
	        {"* 1 XFETCH (BODY[] {5}\r\nhello)\r\n", ""},
	        {"* STATUS {6}\r\nINBOX2 (MESSAGES 1)\r\n", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap4_reader r;
		struct sunk_items st;
		const imap4_resp *resp;

		feed_sunk(&r, &st, cases[i].s, &resp);
		cr_assert_str_eq(st.names, cases[i].names, "case %zu", i);
		imap4_reader_clear(&r);
	}
}
