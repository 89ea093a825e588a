/* parse.c - one IMAP response into an imap4_resp and its argument tree.
 *
 * The grammar is RFC 3501 section 9 and RFC 9051 section 9; the comments
 * above each lexer quote the rules they follow and say where we are more
 * lenient (what real servers send) or stricter (what an attacker sends).
 *
 * Every scan loop stops at CR, and imap4_resp_parse() checks first that the
 * input ends with CRLF, so no loop needs a bounds check of its own: the
 * final CR is a sentinel. Literals, the only tokens that may hold CR, are
 * bounds-checked explicitly and must leave that final CRLF in place.
 */
#include "proto/resp.h"
#include "proto/flat.h"
#include "proto/reader.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

enum {
	C_ATOM = 1 << 0,   /* 0x21-0x7e but ( ) { " [ ], and 0x80-0xff */
	C_LB = 1 << 1,     /* [ */
	C_RB = 1 << 2,     /* ] */
	C_TAG = 1 << 3,    /* ASTRING-CHAR but + */
	C_KW = 1 << 4,     /* ATOM-CHAR: response names, code keywords */
	C_QUOTED = 1 << 5, /* QUOTED-CHAR without escape: CHAR but CR
	                      LF " \ and NUL */
	C_DIGIT = 1 << 6,
	C_SECT = 1 << 7, /* inside BODY[...]: SP and VCHAR but ] */
};

/* Bytes 0x80-0xff are C_ATOM only: servers put unquoted UTF-8 in the
 * atoms of data, a keyword (FLAGS (\Seen B\xc3\xbcro)) or a mailbox name
 * (LIST () "/" Entw\xc3\xbcrfe), and refusing the response lost a whole
 * LIST or FETCH batch for one name. They never enter a tag, a response
 * name, a code keyword or a section's brackets, and control bytes (0x00-
 * 0x1f, 0x7f) no atom: framing stays ASCII. The views check what a name
 * needs (imap4_view_mailbox: valid UTF-8). In quoted strings 8-bit bytes
 * are taken as they come (lex_quoted). */
/* clang-format off */
static const unsigned char cls[256] = {
	0x00, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,	/* 0x00 */
	0x20, 0x20, 0x00, 0x20, 0x20, 0x00, 0x20, 0x20,	/* 0x08 */
	0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,	/* 0x10 */
	0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,	/* 0x18 */
	0xa0, 0xb9, 0x80, 0xb9, 0xb9, 0xa1, 0xb9, 0xb9,	/* 0x20 */
	0xa0, 0xa0, 0xa1, 0xb1, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x28 */
	0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9, 0xf9,	/* 0x30 */
	0xf9, 0xf9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x38 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x40 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x48 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x50 */
	0xb9, 0xb9, 0xb9, 0xba, 0x81, 0x2c, 0xb9, 0xb9,	/* 0x58 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x60 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x68 */
	0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9, 0xb9,	/* 0x70 */
	0xb9, 0xb9, 0xb9, 0xa0, 0xb9, 0xb9, 0xb9, 0x20,	/* 0x78 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0x80 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0x88 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0x90 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0x98 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xa0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xa8 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xb0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xb8 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xc0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xc8 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xd0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xd8 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xe0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xe8 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xf0 */
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,	/* 0xf8 */
};
/* clang-format on */

#define IS(c, m) (cls[(unsigned char)(c)] & (m))

struct parser {
	const char *p;    /* next byte */
	const char *base; /* first byte of the response */
	const char *end;  /* one past its final LF */
	struct imap4_arena *arena;
	const struct imap4_limits *lim;
	const size_t *streamed; /* data offsets of streamed literals */
	size_t nstreamed;
	size_t istreamed;      /* streamed literals met so far */
	size_t nargs;          /* argument nodes made, all depths */
	char *slab, *slab_end; /* free part of the arena piece in use */
	size_t slab_size;      /* size of the next piece */
};

/* Refuses the response at the byte at: imap4_resp_parse reports where
 * parsing stopped (ps->p), and "malformed" alone did not tell which of
 * 17,000 bytes broke the grammar. Only error paths move ps->p so. */
static int refuse_at(struct parser *ps, const char *at)
{
	ps->p = at;
	return IMAP4_EPROTO;
}

/* Arena pieces the parser carves tokens from: a response of many small
 * tokens costs one arena call per piece, not one per token (the hot path
 * of a FETCH of a whole mailbox). They grow from SLAB_MIN to SLAB_MAX. */
#define SLAB_MIN 1024u
#define SLAB_MAX 65536u
/* Tokens above this get arena pieces of their own. The end of a slab too
 * short for the next token is lost, so this bounds the loss to a few
 * bytes per node of a full slab, which imap4_resp_parse_cap's margin per
 * node covers; with larger tokens a response of many 16 kB strings lost
 * a third of its slabs. */
#define SLAB_TOKEN_MAX (SLAB_MIN / 4)

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

size_t imap4_resp_parse_cap(const struct imap4_limits *lim)
{
	size_t nodes = sat_add(sat_add(lim->max_args, lim->max_depth), 16);

	/* The slabs grow to SLAB_MAX: the last one and those before it,
	 * partly used, are what a node count misses. */
	return sat_add(sat_add(sat_mul(lim->max_response, 3),
	                       sat_mul(nodes, IMAP4_PARSE_NODE_COST)),
	               (size_t)2 * SLAB_MAX);
}

/* Refills the slab and takes n bytes from it: the rare path. */
static void *slab_refill(struct parser *ps, size_t n)
{
	/* A big token (a literal) gets its own piece; the slab stays. */
	if (n > SLAB_TOKEN_MAX)
		return imap4_arena_alloc(ps->arena, n);
	size_t size = ps->slab_size < SLAB_MIN ? SLAB_MIN : ps->slab_size;
	char *p = imap4_arena_alloc(ps->arena, size);
	if (!p)
		return NULL;
	ps->slab = p + n;
	ps->slab_end = p + size;
	ps->slab_size = size < SLAB_MAX ? size * 2 : SLAB_MAX;
	return p;
}

static inline void *slab_alloc(struct parser *ps, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if ((size_t)(ps->slab_end - ps->slab) < n)
		return slab_refill(ps, n);
	void *p = ps->slab;
	ps->slab += n;
	return p;
}

/* A chain of sibling arguments being built. */
struct chain {
	struct imap4_arg *head, *tail;
	size_t count;
};

/* An open list: its node, the chain of its children, the enclosing one. */
struct frame {
	struct imap4_arg *list;
	struct chain c;
	struct frame *up;
};

static void chain_add(struct chain *c, struct imap4_arg *a)
{
	if (c->tail)
		c->tail->next = a;
	else
		c->head = a;
	c->tail = a;
	c->count++;
}

/* One allocation holds the node and its NUL-terminated string, so a token
 * costs one bump of the arena. s NULL leaves the string for the caller to
 * fill (unescaping). */
static inline struct imap4_arg *
new_arg(struct parser *ps, enum imap4_arg_type type, const char *s, size_t len)
{
	struct imap4_arg *a;
	if (len > SIZE_MAX - sizeof(*a) - 8)
		return NULL;
	a = slab_alloc(ps, sizeof(*a) + len + 1);
	if (!a)
		return NULL;
	char *str = (char *)(a + 1);
	if (s && len)
		memcpy(str, s, len);
	str[len] = '\0';
	a->type = type;
	a->streamed = false;
	a->len = len;
	a->str = str;
	a->list = NULL;
	a->count = 0;
	a->next = NULL;
	return a;
}

static char *upper_dup(struct imap4_arena *arena, const char *s, size_t len)
{
	char *d = imap4_arena_alloc(arena, len + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		d[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	d[len] = '\0';
	return d;
}

/* Skips the bytes of a quoted string that need no attention 8 at a time,
 * up to the first quote, backslash, control byte (CR, LF, NUL among them)
 * or 8-bit byte, where the caller's byte loop takes over; never loads past
 * end. Quoted strings are most of the bytes of an ENVELOPE, hence the
 * trouble. The tests below may flag bytes after a real hit (borrows run
 * toward the high end) but never before one, so on a little-endian machine
 * the lowest flag is the first byte to look at. */
#define ONES           (~(uint64_t)0 / 0xff)
#define HIGHS          (ONES * 0x80)
#define HAS_ZERO(v)    (((v)-ONES) & ~(v)&HIGHS)
#define HAS_BYTE(v, c) HAS_ZERO((v) ^ (ONES * (c)))
#define CTL_OR_HIGH(v) ((((v)-ONES * 0x20) | (v)) & HIGHS)

static const char *skip_plain(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		uint64_t hit =
		        CTL_OR_HIGH(v) | HAS_BYTE(v, '"') | HAS_BYTE(v, '\\');
		if (hit) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			p += __builtin_ctzll(hit) >> 3;
#endif
			break;
		}
		p += 8;
	}
	return p;
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE
 * QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> /
 *               "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4  (9051)
 * Any other escape, CR, LF or NUL is a protocol error: those are the
 * confusions injection attacks rely on. 8-bit bytes that are not UTF-8
 * are kept as they come, as a literal (CHAR8) would carry them: servers
 * in the wild put raw Latin-1 in quoted ENVELOPE strings, and refusing
 * the response failed a whole mailbox's FETCH for one subject. What
 * decodes text (charset.c, rfc2047.c) takes such bytes for what they
 * are, never for ASCII, so no overlong form becomes a quote. */
static int lex_quoted(struct parser *ps, struct imap4_arg **out)
{
	const char *s = ps->p + 1, *p = skip_plain(s, ps->end);
	while (IS(*p, C_QUOTED))
		p++;
	if (*p == '"') {
		*out = new_arg(ps, IMAP4_ARG_STRING, s, (size_t)(p - s));
		ps->p = p + 1;
		return *out ? 0 : IMAP4_ENOMEM;
	}

	/* Escapes or 8-bit: validate and measure first, then unescape. */
	size_t n = (size_t)(p - s);
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (IS(c, C_QUOTED)) {
			p++;
			n++;
		} else if (c == '\\') {
			if (p[1] != '"' && p[1] != '\\')
				return refuse_at(ps, p);
			p += 2;
			n++;
		} else if (c >= 0x80) {
			p++;
			n++;
		} else {
			return refuse_at(ps, p);
		}
	}
	struct imap4_arg *a = new_arg(ps, IMAP4_ARG_STRING, NULL, n);
	if (!a)
		return IMAP4_ENOMEM;
	char *d = (char *)a->str;
	for (const char *q = s; q < p; q++) {
		if (*q == '\\')
			q++;
		*d++ = *q;
	}
	ps->p = p + 1;
	*out = a;
	return 0;
}

/* literal  = "{" number64 ["+"] "}" CRLF *CHAR8       (RFC 9051, 7888)
 * literal8 = "~{" number64 ["+"] "}" CRLF *OCTET      (RFC 3516)
 * ps->p is at "{". The size is 64-bit with an overflow check; the data must
 * lie inside the response and leave its final CRLF. */
static int lex_literal(struct parser *ps, struct imap4_arg **out)
{
	const char *p = ps->p + 1;
	uint64_t n = 0;
	if (!IS(*p, C_DIGIT))
		return refuse_at(ps, p);
	while (IS(*p, C_DIGIT)) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return refuse_at(ps, p);
		n = n * 10 + d;
		p++;
	}
	if (*p == '+')
		p++;
	if (p[0] != '}' || p[1] != '\r' || p[2] != '\n')
		return refuse_at(ps, p);
	p += 3;
	/* The header may end the input: then not even the final CRLF is
	 * left after it. */
	size_t avail = (size_t)(ps->end - p);
	if (avail < 2)
		return refuse_at(ps, p);

	size_t off = (size_t)(p - ps->base);
	if (ps->istreamed < ps->nstreamed &&
	    ps->streamed[ps->istreamed] == off) {
		if (n > SIZE_MAX)
			return IMAP4_ELIMIT;
		struct imap4_arg *a = new_arg(ps, IMAP4_ARG_LITERAL, NULL, 0);
		if (!a)
			return IMAP4_ENOMEM;
		a->streamed = true;
		a->str = NULL;
		a->len = (size_t)n;
		ps->istreamed++;
		ps->p = p;
		*out = a;
		return 0;
	}
	if (n > ps->lim->max_literal)
		return IMAP4_ELIMIT;
	/* Refused at its "{": the data it claims is not there. */
	if (n > avail - 2)
		return IMAP4_EPROTO;
	*out = new_arg(ps, IMAP4_ARG_LITERAL, p, (size_t)n);
	if (!*out)
		return IMAP4_ENOMEM;
	ps->p = p + n;
	return 0;
}

/* Whether the atom s[0..n) is a fetch item that takes a section: its "["
 * opens one (RFC 3501 7.4.2, RFC 3516 BINARY). */
static bool takes_section(const char *s, size_t n)
{
	static const char *const items[] = {"BODY", "BODY.PEEK", "BINARY",
	                                    "BINARY.PEEK", "BINARY.SIZE"};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (strlen(items[i]) == n && strncasecmp(s, items[i], n) == 0)
			return true;
	return false;
}

/* atom = 1*ATOM-CHAR, widened to what servers put in data: list wildcards
 * (% *), flags (\Seen, \*), resp-specials (]), 8-bit bytes (unquoted
 * UTF-8 keywords and mailbox names) and fetch items whose section holds
 * spaces and parentheses, BODY[HEADER.FIELDS (FROM TO)]<0>, which is one
 * token. Elsewhere "[" is an ATOM-CHAR like any other (only "]" is not):
 * a keyword k[1 that Dovecot stores made every FLAGS of its mailbox a
 * malformed response (explore43). Inside a response code "]" ends the
 * atom and "[" is plain.
 *
 * Outside codes a quote or a brace inside an atom (Flag"q), or a brace
 * that opens no literal ({3} mid-line; lex_brace), is part of it: a
 * keyword a server stored so made every FETCH of its message malformed,
 * and the mailbox never synced (explore57). Nothing valid is read
 * otherwise: there an atom and a quoted string must be apart. */
static int lex_atom(struct parser *ps, bool code, struct imap4_arg **out)
{
	const char *s = ps->p, *p = s;
	const unsigned mask = code ? (C_ATOM | C_LB) : (C_ATOM | C_RB);
	for (;;) {
		while (IS(*p, mask))
			p++;
		if (!code && (*p == '"' || *p == '{')) {
			p++;
			continue;
		}
		if (code || *p != '[')
			break;
		if (!takes_section(s, (size_t)(p - s))) {
			p++;
			continue;
		}
		p++;
		while (IS(*p, C_SECT))
			p++;
		if (*p != ']')
			return refuse_at(ps, p);
		p++;
	}
	size_t len = (size_t)(p - s);
	if (!len)
		return refuse_at(ps, p);
	enum imap4_arg_type type = IMAP4_ARG_ATOM;
	/* As the server spells it: a keyword "nil" is a name, whose case
	 * the cache keeps (explore45: stored as NIL). */
	if (len == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' &&
	    (s[2] | 0x20) == 'l')
		type = IMAP4_ARG_NIL;
	*out = new_arg(ps, type, s, len);
	ps->p = p;
	return *out ? 0 : IMAP4_ENOMEM;
}

/* A literal, or an atom when the brace opens none ("{3}" mid-line: the
 * reader frames a literal only where "{N}" ends a line). In a response
 * code too: RFC 3501's BADCHARSET takes astrings, and a literal is one. */
static int lex_brace(struct parser *ps, bool code, struct imap4_arg **out)
{
	const char *p = ps->p + 1;
	while (IS(*p, C_DIGIT))
		p++;
	if (*p == '+')
		p++;
	if (p > ps->p + 1 && p[0] == '}' && p[1] == '\r' && p[2] == '\n')
		return lex_literal(ps, out);
	return lex_atom(ps, code, out);
}

/* Arguments separated by SP, with nested lists, up to CR at depth 0 (or "]"
 * in a response code). Nesting is kept on an explicit stack in the arena,
 * so a hostile depth costs no C stack; max_depth bounds it anyway.
 *
 * Runs of SP are accepted (some servers pad "* SEARCH 1 2 "), and a list
 * may follow a ")" directly, as body-type-mpart requires ("(...)(...)").
 * Anything else must be separated. */
static int parse_chain(struct parser *ps, bool code, struct chain *top)
{
	struct frame *f = NULL, *spare = NULL;
	struct chain *cur = top;
	size_t depth = 0;
	bool need_sep = false, after_close = false;

	for (;;) {
		char c = *ps->p;
		struct imap4_arg *a;
		int rc;

		if (c == ' ') {
			do
				ps->p++;
			while (*ps->p == ' ');
			need_sep = after_close = false;
			continue;
		}
		if (c == ')') {
			if (!depth)
				return IMAP4_EPROTO;
			f->list->list = f->c.head;
			f->list->count = f->c.count;
			struct frame *up = f->up;
			f->up = spare;
			spare = f;
			f = up;
			cur = f ? &f->c : top;
			depth--;
			ps->p++;
			need_sep = after_close = true;
			continue;
		}
		if (c == '\r' || (code && c == ']'))
			return depth ? IMAP4_EPROTO : 0;
		if (need_sep && !(c == '(' && after_close))
			return IMAP4_EPROTO;
		if (++ps->nargs > ps->lim->max_args)
			return IMAP4_ELIMIT;

		if (c == '(') {
			if (depth >= ps->lim->max_depth)
				return IMAP4_ELIMIT;
			a = new_arg(ps, IMAP4_ARG_LIST, NULL, 0);
			if (!a)
				return IMAP4_ENOMEM;
			a->str = NULL;
			chain_add(cur, a);
			struct frame *nf = spare;
			if (nf)
				spare = nf->up;
			else if (!(nf = slab_alloc(ps, sizeof(*nf))))
				return IMAP4_ENOMEM;
			nf->list = a;
			nf->c = (struct chain){0};
			nf->up = f;
			f = nf;
			cur = &f->c;
			depth++;
			ps->p++;
			need_sep = after_close = false;
			continue;
		}
		if (c == '"')
			rc = lex_quoted(ps, &a);
		else if (c == '{')
			rc = lex_brace(ps, code, &a);
		else if (!code && c == '~' && ps->p[1] == '{') {
			ps->p++;
			rc = lex_literal(ps, &a);
		} else
			rc = lex_atom(ps, code, &a);
		if (rc < 0)
			return rc;
		chain_add(cur, a);
		need_sep = true;
		after_close = false;
	}
}

/* The rest of the line as a string: CR must be the final one, and text
 * carries neither NUL nor a bare LF. */
static int rest_of_line(struct parser *ps, const char **out)
{
	const char *p = ps->p, *cr = ps->end - 2;
	size_t n = (size_t)(cr - p);
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return refuse_at(ps, p + i);
	*out = imap4_arena_strndup(ps->arena, p, n);
	if (!*out)
		return IMAP4_ENOMEM;
	ps->p = cr;
	return 0;
}

static struct imap4_flat flat_of(const struct parser *ps)
{
	return (struct imap4_flat){ps->base, ps->streamed, ps->nstreamed};
}

/* The first "]" in [p, end) outside a literal's data, or NULL: a "]" in
 * a literal is data, and taking it for the code's end left the literal's
 * header and CRLF in code_text. */
static const char *find_close(const struct parser *ps, const char *p,
                              const char *end)
{
	struct imap4_flat f = flat_of(ps);
	struct imap4_flat_literal lit;
	const char *close;

	while (imap4_flat_find(&lit, &f, p, end)) {
		close = memchr(p, ']', (size_t)(lit.start - p));
		if (close)
			return close;
		p = lit.data + lit.len;
	}
	return memchr(p, ']', (size_t)(end - p));
}

/* code_text: the code's arguments as the server wrote them, each literal
 * as a quoted string (flat.h), so that the text is one line. */
static int code_text(struct parser *ps, imap4_resp *r, const char *args,
                     const char *close)
{
	struct imap4_flat f = flat_of(ps);
	size_t n = imap4_flat_write(NULL, &f, args, close);
	char *t = imap4_arena_alloc(ps->arena, n + 1);

	if (!t)
		return IMAP4_ENOMEM;
	imap4_flat_write(t, &f, args, close);
	t[n] = '\0';
	r->code_text = t;
	return 0;
}

/* resp-text-code = atom [SP 1*<any TEXT-CHAR except "]">]   (simplified)
 * ps->p is at "[". The code's arguments are tokenized when they can be;
 * when they cannot (free text after an unknown code), code_text alone is
 * kept. 1 when a code was taken (ps->p after "]"), 0 when the "[" opens
 * none and is text (ps->p unchanged: imaplib does the same), or < 0. */
static int parse_code(struct parser *ps, imap4_resp *r)
{
	const char *kw = ps->p + 1, *p = kw, *args, *close;
	while (IS(*p, C_KW))
		p++;
	if (p == kw || (*p != ']' && *p != ' '))
		return 0;

	if (*p == ']') {
		args = close = p;
	} else {
		struct chain c = {0};
		size_t nargs = ps->nargs;
		const char *start = ps->p;
		args = ps->p = p + 1;
		int rc = parse_chain(ps, true, &c);
		if (rc == 0 && *ps->p == ']') {
			close = ps->p;
			r->code_args = c.head;
		} else if (rc == 0 || rc == IMAP4_EPROTO) {
			ps->nargs = nargs;
			close = find_close(ps, args, ps->end - 2);
			if (!close) {
				ps->p = start;
				return 0;
			}
		} else {
			return rc;
		}
	}
	r->code = upper_dup(ps->arena, kw, (size_t)(p - kw));
	if (!r->code || code_text(ps, r, args, close) < 0)
		return IMAP4_ENOMEM;
	ps->p = close + 1;
	return 1;
}

/* resp-text = ["[" resp-text-code "]" SP] text
 * A missing SP after "]" is tolerated: some servers omit it. */
static int parse_resp_text(struct parser *ps, imap4_resp *r)
{
	if (*ps->p == ' ')
		ps->p++;
	if (*ps->p == '[') {
		int rc = parse_code(ps, r);
		if (rc < 0)
			return rc;
		if (rc > 0 && *ps->p == ' ')
			ps->p++;
	}
	return rest_of_line(ps, &r->text);
}

static bool is_status_name(const char *n)
{
	switch (n[0]) {
	case 'O':
		return !strcmp(n, "OK");
	case 'N':
		return !strcmp(n, "NO");
	case 'B':
		return !strcmp(n, "BAD") || !strcmp(n, "BYE");
	case 'P':
		return !strcmp(n, "PREAUTH");
	}
	return false;
}

/* response = continue-req / response-data / response-done
 * continue-req  = "+" SP (resp-text / base64) CRLF
 * response-data = "*" SP (resp-cond-state / resp-cond-bye /
 *                 mailbox-data / message-data / capability-data ...) CRLF
 * response-tagged = tag SP resp-cond-state CRLF
 * A tagged response that is not a status is refused: a command layer that
 * matched it to a command would complete that command on garbage. */
static int parse_response(struct parser *ps, imap4_resp *r)
{
	const char *p = ps->p;
	int rc;

	if (*p == '+') {
		r->type = IMAP4_RESP_CONTINUE;
		ps->p = p + 1;
		if (*ps->p == ' ')
			ps->p++;
		return rest_of_line(ps, &r->text);
	}
	if (*p == '*') {
		r->type = IMAP4_RESP_UNTAGGED;
		if (*++p != ' ')
			return refuse_at(ps, p);
		p++;
		if (IS(*p, C_DIGIT)) {
			uint32_t n = 0;
			while (IS(*p, C_DIGIT)) {
				unsigned d = (unsigned)(*p - '0');
				if (n > (UINT32_MAX - d) / 10)
					return refuse_at(ps, p);
				n = n * 10 + d;
				p++;
			}
			if (*p != ' ')
				return refuse_at(ps, p);
			p++;
			r->has_number = true;
			r->number = n;
		}
	} else {
		const char *t = p;
		r->type = IMAP4_RESP_TAGGED;
		while (IS(*p, C_TAG))
			p++;
		if (p == t || *p != ' ')
			return refuse_at(ps, p);
		if (!(r->tag = imap4_arena_strndup(ps->arena, t,
		                                   (size_t)(p - t))))
			return IMAP4_ENOMEM;
		p++;
	}

	const char *name = p;
	while (IS(*p, C_KW))
		p++;
	if (p == name || (*p != ' ' && *p != '\r'))
		return refuse_at(ps, p);
	if (!(r->name = upper_dup(ps->arena, name, (size_t)(p - name))))
		return IMAP4_ENOMEM;
	ps->p = p;

	r->is_status = is_status_name(r->name);
	if (r->is_status)
		return parse_resp_text(ps, r);
	if (r->type == IMAP4_RESP_TAGGED)
		return refuse_at(ps, name);

	struct chain c = {0};
	if ((rc = parse_chain(ps, false, &c)) < 0)
		return rc;
	r->args = c.head;
	r->nargs = c.count;
	return 0;
}

int imap4_resp_parse(const imap4_resp **out, size_t *stop,
                     struct imap4_arena *arena, const char *data, size_t len,
                     const struct imap4_limits *lim, const size_t *streamed,
                     size_t nstreamed)
{
	*out = NULL;
	if (stop)
		*stop = len;
	if (len < 2 || data[len - 2] != '\r' || data[len - 1] != '\n')
		return IMAP4_EPROTO;

	imap4_resp *r = imap4_arena_calloc(arena, 1, sizeof(*r));
	if (!r)
		return IMAP4_ENOMEM;
	r->raw = data;
	r->raw_len = len;
	r->arena = arena;

	struct parser ps = {
	        .p = data,
	        .base = data,
	        .end = data + len,
	        .arena = arena,
	        .lim = lim,
	        .streamed = streamed,
	        .nstreamed = nstreamed,
	};
	int rc = parse_response(&ps, r);
	/* The response must end here: a CRLF that no literal announced means
	 * a second response glued to this one. */
	if (rc == 0 && (ps.p != ps.end - 2 || ps.istreamed != ps.nstreamed))
		rc = IMAP4_EPROTO;
	if (rc < 0) {
		if (stop)
			*stop = (size_t)(ps.p - data);
		return rc;
	}
	*out = r;
	return 0;
}

int imap4_parse_response(const imap4_resp **out, struct imap4_arena *arena,
                         const char *data, size_t len)
{
	struct imap4_limits lim;
	imap4_limits_init(&lim);
	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (!arena || (!data && len))
		return IMAP4_EINVAL;
	char *copy = imap4_arena_strndup(arena, data ? data : "", len);
	if (!copy)
		return IMAP4_ENOMEM;
	return imap4_resp_parse(out, NULL, arena, copy, len, &lim, NULL, 0);
}
