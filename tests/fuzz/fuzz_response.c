/* fuzz_response.c - the response reader and parser on arbitrary bytes.
 *
 * The input is fed through an imap4_reader in chunks whose sizes come from
 * the input itself (so the fuzzer explores splits too), with small limits
 * so that every limit is reachable, a literal sink for big literals, and
 * each response pulled out is walked and deep-copied. The same bytes also
 * go whole through imap4_parse_response. Nothing may crash, leak or read
 * out of bounds, and errors must be the documented codes.
 */
#include "imap4.h"
#include "proto/reader.h"
#include "proto/resp.h"
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc < 0 && rc != IMAP4_EPROTO && rc != IMAP4_ELIMIT &&
	    rc != IMAP4_ENOMEM && rc != IMAP4_ECALLBACK)
		abort();
}

static size_t walk(const imap4_arg *a, unsigned depth)
{
	size_t n = 0;
	uint64_t v;
	uint32_t u;
	for (; a; a = a->next) {
		n++;
		if (depth > 64)
			abort();
		if (a->type == IMAP4_ARG_LIST) {
			if (walk(a->list, depth + 1) != a->count)
				abort();
		} else if (!a->streamed &&
		           (!a->str || a->str[a->len] != '\0')) {
			abort();
		}
		(void)imap4_arg_get_u64(a, &v);
		(void)imap4_arg_get_nz32(a, &u);
		(void)imap4_arg_string(a);
	}
	return n;
}

/* imap4.h: text for people is one line, whatever the server sent. */
static void check_line(const char *s)
{
	if (s && strpbrk(s, "\r\n"))
		abort();
}

static void check_resp(const imap4_resp *r)
{
	if (walk(r->args, 0) != r->nargs)
		abort();
	check_line(r->code_text);
	check_line(r->text);
	walk(r->code_args, 0);
	(void)imap4_arg_after(r->args, "UID");
	struct imap4_arena a;
	const imap4_resp *c;
	imap4_arena_init(&a, 1 << 16);
	int rc = imap4_resp_copy(&c, &a, r);
	if (rc == 0 &&
	    (c->raw_len != r->raw_len || memcmp(c->raw, r->raw, r->raw_len)))
		abort();
	imap4_arena_clear(&a);
}

static int sink(void *payload, const struct imap4_literal_info *info,
                const void *data, size_t len)
{
	uint64_t *seen = payload;
	if (info->offset + len > info->total)
		abort();
	*seen += len;
	/* Fail now and then, to cover the sink's error path. */
	return info->total % 7 == 3 ? IMAP4_ECALLBACK : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	lim.max_line = 512;
	lim.max_literal = 2048;
	lim.max_response = 8192;
	lim.max_depth = 8;
	lim.max_args = 256;
	lim.stream_threshold = 64;

	/* The first byte picks the chunking and whether a sink is set. */
	unsigned seed = size ? data[0] : 0;
	struct imap4_reader r;
	uint64_t seen = 0;
	imap4_reader_init(&r, &lim);
	if (seed & 1)
		imap4_reader_set_sink(&r, sink, &seen);

	size_t off = 0, step = 0;
	while (off < size) {
		size_t chunk = 1 + (seed >> 1) % 13 + data[step++ % size] % 61;
		if (chunk > size - off)
			chunk = size - off;
		ssize_t used = imap4_reader_feed(&r, data + off, chunk);
		if (used < 0) {
			check_code((int)used);
			break;
		}
		off += (size_t)used;
		const imap4_resp *resp;
		int rc;
		while ((rc = imap4_reader_next(&r, &resp)) == 1)
			check_resp(resp);
		if (rc < 0) {
			check_code(rc);
			break;
		}
		if (used == 0 && rc == 0)
			abort(); /* no progress */
	}
	imap4_reader_clear(&r);

	struct imap4_arena a;
	const imap4_resp *resp;
	imap4_arena_init(&a, 1 << 20);
	int rc = imap4_parse_response(&resp, &a, (const char *)data, size);
	check_code(rc);
	if (rc == 0)
		check_resp(resp);
	imap4_arena_clear(&a);
	return 0;
}
