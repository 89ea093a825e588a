/* reader.c - framing of responses from a byte stream; see reader.h.
 *
 * A response is a line, and when that line ends with a literal header
 * ("{n}", "{n+}", "~{n}"), n bytes of data and another line, and so on
 * (RFC 3501 section 4.3, RFC 9051 section 4.3, RFC 7888, RFC 3516). The
 * framing only looks for LF with memchr and, at each line end, for a header
 * at the very end of the line, like imaplib: it does not tokenize. Parsing
 * happens once, in imap4_reader_next(), on the complete response.
 *
 * Every number the server announces is untrusted: the buffer grows only as
 * bytes arrive, and every growth is checked against a limit first
 * (RELIABILITY rule 4).
 */
#include "proto/reader.h"

#include "util/quote.h"

#include "proto/resp.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	ST_LINE,      /* reading a line up to its LF */
	ST_LITERAL,   /* reading literal data into in */
	ST_STREAM,    /* handing literal data to the sink */
	ST_COMPLETE,  /* in holds a response that next() has not parsed */
	ST_DELIVERED, /* next() returned it; dropped at the next call */
};

/* After a response that grew the buffer or the arena past this, their
 * memory is given back instead of kept for the next one, so that one big
 * literal does not pin its size for the life of the connection. */
#define READER_KEEP ((size_t)1 << 20)

void imap4_limits_init(struct imap4_limits *lim)
{
	lim->max_line = (size_t)8 << 20;
	lim->max_literal = (size_t)64 << 20;
	lim->max_response = (size_t)128 << 20;
	lim->max_depth = 64;
	lim->max_args = 4000000;
	lim->max_untagged = (size_t)256 << 20;
	lim->stream_threshold = (size_t)1 << 20;
}

void imap4_reader_init(struct imap4_reader *r, const struct imap4_limits *lim)
{
	memset(r, 0, sizeof(*r));
	if (lim)
		r->lim = *lim;
	else
		imap4_limits_init(&r->lim);
	imap4_buf_init(&r->in, r->lim.max_response);
	imap4_buf_init(&r->streamed, 0);
	imap4_buf_init(&r->held, 0);
	imap4_arena_init(&r->arena, imap4_resp_parse_cap(&r->lim));
	r->state = ST_LINE;
}

void imap4_reader_clear(struct imap4_reader *r)
{
	imap4_buf_clear(&r->in);
	imap4_buf_clear(&r->streamed);
	imap4_buf_clear(&r->held);
	imap4_arena_clear(&r->arena);
	r->state = ST_LINE;
	r->error = 0;
	r->why[0] = '\0';
}

void imap4_reader_set_sink(struct imap4_reader *r, imap4_literal_sink sink,
                           void *payload)
{
	r->sink = sink;
	r->sink_payload = payload;
}

size_t imap4_reader_pending(const struct imap4_reader *r)
{
	return r->state == ST_DELIVERED ? 0 : r->in.len;
}

static int fail(struct imap4_reader *r, int rc)
{
	r->error = rc;
	return rc;
}

/* Returns rc and says why in r->why: a bare "a configured limit was
 * reached" does not tell an operator which one, nor which server bytes
 * broke the grammar. */
static int refuse(struct imap4_reader *r, int rc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int refuse(struct imap4_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* Forgets the response handed out by next(): its views die here. */
static void drop_response(struct imap4_reader *r)
{
	if (r->in.alloc > READER_KEEP)
		imap4_buf_clear(&r->in);
	else
		imap4_buf_reset(&r->in);
	imap4_buf_reset(&r->streamed);
	imap4_buf_reset(&r->held);
	if (r->arena.used > READER_KEEP) {
		size_t cap = r->arena.cap;
		imap4_arena_clear(&r->arena);
		imap4_arena_init(&r->arena, cap);
	} else {
		imap4_arena_reset(&r->arena);
	}
	r->line_start = 0;
	memset(&r->scan, 0, sizeof(r->scan));
	r->state = ST_LINE;
}

/* ---- which literal is a body section's value
 *
 * The sink is for message bodies: a literal anywhere else (an ENVELOPE
 * subject, a LIST mailbox name, a response code's argument) given to it
 * would reach the views as a hole, indistinguishable from NIL
 * (explore75). So only the value of a section item at the top of a
 * FETCH's item list streams:
 *	message-data = nz-number SP "FETCH" SP "(" item SP value
 *	               *(SP item SP value) ")"
 * with the item BODY[...] or BINARY[...] (an <origin> after it), RFC822,
 * RFC822.HEADER or RFC822.TEXT (RFC 3501 7.4.2, RFC 3516). The scan goes
 * over each line once, when it ends with a literal header, and keeps its
 * state across literals, so a response costs one pass over its lines;
 * literal data is never scanned. What does not have that shape streams
 * nothing: a literal held costs max_literal at worst, one streamed where
 * a view expects text costs the caller's data. */

static bool is_section_name(const char *p, size_t n)
{
	static const char *const whole[] = {"RFC822", "RFC822.HEADER",
	                                    "RFC822.TEXT"};
	if ((n > 5 && strncasecmp(p, "BODY[", 5) == 0) ||
	    (n > 7 && strncasecmp(p, "BINARY[", 7) == 0))
		return true;
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (n == strlen(whole[i]) && strncasecmp(p, whole[i], n) == 0)
			return true;
	return false;
}

/* A name or a value ended; at depth 1 they alternate, name first. */
static void scan_token(struct imap4_fetch_scan *s, bool section)
{
	if (s->depth != 1)
		return;
	if (s->tokens % 2 == 0)
		s->section = section;
	s->tokens++;
}

static void scan_atom_end(struct imap4_reader *r, size_t end)
{
	struct imap4_fetch_scan *s = &r->scan;
	s->in_atom = false;
	scan_token(s, s->depth == 1 && is_section_name(r->in.data + s->atom_at,
	                                               end - s->atom_at));
}

static void scan_bytes(struct imap4_reader *r, size_t from, size_t to)
{
	struct imap4_fetch_scan *s = &r->scan;
	const char *d = r->in.data;

	for (size_t i = from; i < to && s->fetch; i++) {
		char c = d[i];
		if (s->in_quote) {
			if (s->escape)
				s->escape = false;
			else if (c == '\\')
				s->escape = true;
			else if (c == '"') {
				s->in_quote = false;
				scan_token(s, false);
			}
			continue;
		}
		if (s->in_atom) {
			/* A name's section may hold spaces and parentheses
			 * ("BODY[HEADER.FIELDS (DATE FROM)]"). */
			if (s->name && (s->brackets || c == '[')) {
				if (c == '[')
					s->brackets++;
				else if (c == ']')
					s->brackets--;
				continue;
			}
			if (c != ' ' && c != '(' && c != ')')
				continue;
			scan_atom_end(r, i);
		}
		switch (c) {
		case ' ':
			break;
		case '"':
			s->in_quote = true;
			break;
		case '(':
			s->depth++;
			break;
		case ')':
			if (--s->depth == 0)
				s->fetch = false; /* the item list closed */
			else
				scan_token(s, false);
			break;
		default:
			s->in_atom = true;
			s->atom_at = i;
			/* brackets count in a name only: elsewhere "[" is
			 * an ATOM-CHAR like any other */
			s->name = s->depth == 1 && s->tokens % 2 == 0;
			s->brackets = s->name && c == '[';
			break;
		}
	}
}

/* Whether the literal whose header starts at lit (an offset in `in`, on
 * the line that starts at line_start) is a section's value; the scan
 * then counts it as that value, or as whatever it is. */
static bool section_literal(struct imap4_reader *r, size_t lit)
{
	struct imap4_fetch_scan *s = &r->scan;
	size_t from = r->line_start;

	if (r->line_start == 0) {
		/* "* " nz-number " FETCH (", as fetch_prefix.c reads it */
		const char *d = r->in.data;
		size_t i = 2;
		memset(s, 0, sizeof(*s));
		if (lit < 2 || d[0] != '*' || d[1] != ' ')
			return false;
		while (i < lit && d[i] >= '0' && d[i] <= '9')
			i++;
		if (i == 2 || d[2] == '0' || lit - i < 8 ||
		    strncasecmp(d + i, " FETCH (", 8) != 0)
			return false;
		s->fetch = true;
		s->depth = 1;
		from = i + 8;
	}
	scan_bytes(r, from, lit);
	if (!s->fetch)
		return false;
	char before = lit > 0 ? r->in.data[lit - 1] : '\0';
	if (s->in_atom || s->in_quote || (before != ' ' && before != '(')) {
		/* "BODY[]{5}", a quoted string cut by a line end: out of
		 * step with the grammar; nothing more streams. A list's
		 * first member follows its "(" ("FLAGS ({5}"). */
		s->fetch = false;
		return false;
	}
	bool value = s->depth == 1 && s->tokens % 2 == 1 && s->section;
	scan_token(s, false);
	return value;
}

static const struct imap4_held_literal *
last_literal(const struct imap4_reader *r);
/* A literal of n bytes about to be held in r->in: refused past the
 * limits, before anything grows (the size is only a claim); else 0. */
static int refuse_held(struct imap4_reader *r, uint64_t n)
{
	if (n > r->lim.max_literal)
		return refuse(r, IMAP4_ELIMIT,
		              "a literal of %llu bytes, over the limit of %zu",
		              (unsigned long long)n, r->lim.max_literal);
	if (n > r->lim.max_response - r->in.len)
		return refuse(
		        r, IMAP4_ELIMIT,
		        "a response of over %zu bytes (a literal of %llu)",
		        r->lim.max_response, (unsigned long long)n);
	return 0;
}

static int note_literal_end(struct imap4_reader *r);

/* The line just completed in r->in ends with CRLF; when it ends with a
 * literal header, switch to reading (or streaming) the literal, else the
 * response is complete. A continuation request ("+ ...") is always one
 * line: its text (base64, prose) is not ours to interpret. */
static int end_of_line(struct imap4_reader *r)
{
	const char *line = r->in.data + r->line_start;
	size_t len = r->in.len - r->line_start;

	if (len < 2 || line[len - 2] != '\r') {
		/* {10} and then 11 bytes of a message ending in CRLF: the
		 * literal ends on its CR, and its LF is read as a line of
		 * its own. Said as a bare LF, that sent the reader of a log
		 * after line ends, not the literal's size. */
		const struct imap4_held_literal *l = last_literal(r);
		if (l && l->end == r->line_start && l->size &&
		    r->in.data[l->end - 1] == '\r')
			return refuse(r, IMAP4_EPROTO,
			              "a literal longer than its announced "
			              "{%llu}: its data went on past it (its "
			              "CRLF cut after the CR)",
			              (unsigned long long)l->size);
		return refuse(r, IMAP4_EPROTO, "a line ended by LF alone");
	}
	len -= 2;
	if (r->in.data[0] == '+' || len < 3 || line[len - 1] != '}') {
		r->state = ST_COMPLETE;
		return 0;
	}

	size_t q = len - 1;
	if (line[q - 1] == '+') /* {n+}, LITERAL+ / LITERAL- */
		q--;
	size_t digits_end = q;
	while (q > 0 && line[q - 1] >= '0' && line[q - 1] <= '9')
		q--;
	if (q == 0 || line[q - 1] != '{' || q == digits_end) {
		r->state = ST_COMPLETE;
		return 0;
	}
	size_t brace = q - 1;
	uint64_t n = 0;
	for (size_t i = q; i < digits_end; i++) {
		unsigned d = (unsigned)(line[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return refuse(r, IMAP4_EPROTO,
			              "a literal size over 64 bits");
		n = n * 10 + d;
	}

	size_t lit =
	        r->line_start + brace - (brace > 0 && line[brace - 1] == '~');
	bool section = r->sink && section_literal(r, lit);
	if (section && n > r->lim.stream_threshold) {
		size_t at = r->in.len;
		int rc = imap4_buf_append(&r->streamed, &at, sizeof(at));
		if (rc < 0)
			return rc;
		r->lit_prefix = lit;
		r->lit_total = r->lit_left = n;
		r->state = ST_STREAM;
		return 0;
	}
	/* Refuse before anything grows: the size is only a claim. */
	int refused = refuse_held(r, n);
	if (refused)
		return refused;
	r->lit_total = r->lit_left = n;
	r->state = ST_LITERAL;
	if (n == 0) {
		r->line_start = r->in.len;
		r->state = ST_LINE;
		return note_literal_end(r);
	}
	return 0;
}

static int take_line(struct imap4_reader *r, const char **pp, const char *end)
{
	const char *p = *pp;
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	size_t n = lf ? (size_t)(lf + 1 - p) : (size_t)(end - p);
	size_t have = r->in.len - r->line_start;

	if (n > r->lim.max_line || have > r->lim.max_line - n)
		return refuse(r, IMAP4_ELIMIT, "a line of over %zu bytes",
		              r->lim.max_line);
	/* NUL never belongs in a line (RFC 3501 section 9, CHAR excludes
	 * it); a C consumer would see a truncated string. */
	if (memchr(p, '\0', n))
		return refuse(r, IMAP4_EPROTO, "a NUL byte in a line");
	int rc = imap4_buf_append(&r->in, p, n);
	if (rc < 0)
		return rc;
	*pp = p + n;
	return lf ? end_of_line(r) : 0;
}

/* The last literal held in r->in, or NULL. */
static const struct imap4_held_literal *
last_literal(const struct imap4_reader *r)
{
	size_t n = r->held.len / sizeof(struct imap4_held_literal);
	return n ? (const struct imap4_held_literal *)r->held.data + n - 1
	         : NULL;
}

/* The literal just read ended here: kept so that an error at that point
 * can name it (a literal whose data is longer than announced). */
static int note_literal_end(struct imap4_reader *r)
{
	struct imap4_held_literal l = {.end = r->in.len, .size = r->lit_total};
	return imap4_buf_append(&r->held, &l, sizeof(l));
}

static int take_literal(struct imap4_reader *r, const char **pp,
                        const char *end)
{
	size_t avail = (size_t)(end - *pp);
	size_t n = r->lit_left < avail ? (size_t)r->lit_left : avail;
	int rc = imap4_buf_append(&r->in, *pp, n);
	if (rc < 0)
		return rc;
	*pp += n;
	r->lit_left -= n;
	if (!r->lit_left) {
		r->line_start = r->in.len;
		r->state = ST_LINE;
		return note_literal_end(r);
	}
	return 0;
}

/* The sink refused the literal that just began (IMAP4_ELIMIT at offset
 * 0): it is taken as without a sink, refused when past the limits before
 * a byte more is read. A sink that only skipped it would have us read
 * all the server announced (200 MB of a header field a body fetch never
 * asked for) before the command could fail. */
static int unstream(struct imap4_reader *r)
{
	r->streamed.len -= sizeof(size_t);
	int refused = refuse_held(r, r->lit_total);
	if (refused)
		return refused;
	r->state = ST_LITERAL;
	return 0;
}

static int take_stream(struct imap4_reader *r, const char **pp, const char *end)
{
	size_t avail = (size_t)(end - *pp);
	size_t n = r->lit_left < avail ? (size_t)r->lit_left : avail;
	struct imap4_literal_info info = {
	        .prefix = r->in.data,
	        .prefix_len = r->lit_prefix,
	        .total = r->lit_total,
	        .offset = r->lit_total - r->lit_left,
	};
	if (!r->sink_error) {
		int rc = r->sink(r->sink_payload, &info, *pp, n);
		if (rc == IMAP4_ELIMIT && info.offset == 0)
			return unstream(r);
		if (rc < 0)
			r->sink_error = rc;
	}
	*pp += n;
	r->lit_left -= n;
	if (!r->lit_left) {
		r->line_start = r->in.len;
		r->state = ST_LINE;
	}
	return 0;
}

ssize_t imap4_reader_feed(struct imap4_reader *r, const void *data, size_t len)
{
	if (r->error)
		return r->error;
	if (r->state == ST_DELIVERED)
		drop_response(r);
	if (!data && len)
		return IMAP4_EINVAL;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;

	const char *p = data, *end = p + len;
	while (p < end && r->state != ST_COMPLETE) {
		int rc;
		switch (r->state) {
		case ST_LINE:
			rc = take_line(r, &p, end);
			break;
		case ST_LITERAL:
			rc = take_literal(r, &p, end);
			break;
		case ST_STREAM:
			rc = take_stream(r, &p, end);
			break;
		default:
			rc = IMAP4_EPROTO;
			break;
		}
		if (rc < 0)
			return fail(r, rc);
	}
	return p - (const char *)data;
}

/* The size a streamed literal announced, read back from its header
 * ("{n}" or "{n+}", then CRLF) that ends at off in r->in: end_of_line
 * checked that header, so it is digits, an optional "+" and "}". */
static uint64_t streamed_size(const struct imap4_reader *r, size_t off)
{
	const char *d = r->in.data;
	size_t q = off - 3; /* at "}" */
	if (d[q - 1] == '+')
		q--;
	size_t digits = q;
	while (digits > 0 && d[digits - 1] >= '0' && d[digits - 1] <= '9')
		digits--;
	uint64_t n = 0;
	for (size_t i = digits; i < q; i++)
		n = n * 10 + (unsigned)(d[i] - '0');
	return n;
}

/* Where the byte at offset at of r->in was in the response as it came:
 * the data of streamed literals before it is not in r->in, yet a trace
 * or a capture counts it. */
static uint64_t wire_offset(const struct imap4_reader *r, size_t at)
{
	const size_t *off = (const size_t *)r->streamed.data;
	size_t n = r->streamed.len / sizeof(*off);
	uint64_t w = at;
	for (size_t i = 0; i < n && off[i] <= at; i++)
		w += streamed_size(r, off[i]);
	return w;
}

/* Bytes shown on each side of where a malformed response broke: enough to
 * tell the end of a literal, a stray byte or a glued response apart, few
 * enough that the message stays a line of a log (4 characters a byte at
 * worst). */
#define EXCERPT 20

/* Says in r->why why the parser refused the response in r->in, where it
 * stopped (at, an offset in r->in) and how it began: of a FETCH of 17 kB,
 * its first 64 bytes alone did not tell which byte broke it. Every byte
 * shown is quoted (quote.h): CR, LF and escapes never reach a log. A
 * streamed literal's data is not held, so an excerpt shows its header
 * followed by what came after it. */
static void refuse_parse(struct imap4_reader *r, int rc, size_t at)
{
	char start[64];
	unsigned long long wat = wire_offset(r, at);
	unsigned long long wlen = wire_offset(r, r->in.len);

	imap4_quote_start(start, sizeof(start), r->in.data, r->in.len);
	if (rc == IMAP4_ELIMIT) {
		refuse(r, rc,
		       "a response past the limits (lists nested %zu deep, "
		       "%zu arguments, literals of %zu bytes; at byte %llu of "
		       "%llu): \"%s\"",
		       r->lim.max_depth, r->lim.max_args, r->lim.max_literal,
		       wat, wlen, start);
		return;
	}
	/* A literal whose data is longer than its {n} leaves its extra
	 * bytes where the grammar wants what follows it: right at its
	 * end. */
	char where[96] = "";
	const struct imap4_held_literal *l =
	        (const struct imap4_held_literal *)r->held.data;
	for (size_t i = 0; i < r->held.len / sizeof(*l); i++)
		if (l[i].end == at && at < r->in.len)
			snprintf(where, sizeof(where),
			         ", where a literal of %llu bytes ended: its "
			         "data longer than announced?",
			         (unsigned long long)l[i].size);
	char before[4 * EXCERPT + 1], after[4 * EXCERPT + 1];
	size_t from = at > EXCERPT ? at - EXCERPT : 0;
	size_t to = r->in.len - at > EXCERPT ? at + EXCERPT : r->in.len;
	imap4_quote_bytes(before, sizeof(before), r->in.data + from, at - from);
	imap4_quote_bytes(after, sizeof(after), r->in.data + at, to - at);
	refuse(r, rc,
	       "a malformed response (at byte %llu of %llu%s, near \"%s\" "
	       "^ \"%s\"): \"%s\"",
	       wat, wlen, where, before, after, start);
}

int imap4_reader_next(struct imap4_reader *r, const imap4_resp **out)
{
	*out = NULL;
	if (r->error)
		return r->error;
	if (r->state == ST_DELIVERED)
		drop_response(r);
	if (r->state != ST_COMPLETE)
		return 0;
	size_t stop;
	int rc = imap4_resp_parse(out, &stop, &r->arena, r->in.data, r->in.len,
	                          &r->lim, (const size_t *)r->streamed.data,
	                          r->streamed.len / sizeof(size_t));
	if (rc == IMAP4_EPROTO || rc == IMAP4_ELIMIT)
		refuse_parse(r, rc, stop);
	if (rc < 0)
		return fail(r, rc);
	r->state = ST_DELIVERED;
	return 1;
}
