/* encode.c - sans-I/O builder of IMAP commands (see encode.h). */
#include "proto/encode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * RFC 3501 9:
 *   ATOM-CHAR       = <any CHAR except atom-specials>
 *   atom-specials   = "(" / ")" / "{" / SP / CTL / list-wildcards /
 *                     quoted-specials / resp-specials
 *   list-wildcards  = "%" / "*"
 *   quoted-specials = DQUOTE / "\"
 *   resp-specials   = "]"
 *   ASTRING-CHAR    = ATOM-CHAR / resp-specials
 *   list-char       = ATOM-CHAR / list-wildcards / resp-specials
 */
static bool is_atom_char(unsigned char ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", ch) == NULL;
}

static bool is_astring_char(unsigned char ch)
{
	return is_atom_char(ch) || ch == ']';
}

static bool is_list_char(unsigned char ch)
{
	return is_astring_char(ch) || ch == '%' || ch == '*';
}

bool imap4_is_atom(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!is_atom_char((unsigned char)*s))
			return false;
	return true;
}

bool imap4_is_raw_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

/* nz-number = digit-nz *DIGIT, at most 4294967295 (RFC 9051 9). */
static const char *scan_nz32(const char *s)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return NULL;
		p++;
	}
	return p;
}

static const char *scan_seq_number(const char *s)
{
	if (*s == '*')
		return s + 1;
	return scan_nz32(s);
}

/* sequence-set = (seq-number / seq-range) ["," sequence-set]
 * seq-range    = seq-number ":" seq-number
 * or "$" alone, the saved result of RFC 5182 SEARCHRES. */
bool imap4_is_seqset(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	if (strcmp(s, "$") == 0)
		return true;
	for (;;) {
		s = scan_seq_number(s);
		if (s == NULL)
			return false;
		if (*s == ':') {
			s = scan_seq_number(s + 1);
			if (s == NULL)
				return false;
		}
		if (*s == '\0')
			return true;
		if (*s != ',')
			return false;
		s++;
	}
}

void imap4_cmd_init(struct imap4_cmd *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	imap4_buf_init(&c->buf, cap);
	c->redact_from = SIZE_MAX;
}

void imap4_cmd_clear(struct imap4_cmd *c)
{
	imap4_buf_wipe(&c->buf);
	free(c->segs);
	c->segs = NULL;
	c->nsegs = c->asegs = 0;
	c->error = 0;
	c->redact_from = SIZE_MAX;
}

static int fail(struct imap4_cmd *c, int rc)
{
	if (c->error == 0)
		c->error = rc;
	return c->error;
}

static int put(struct imap4_cmd *c, const void *p, size_t n)
{
	int rc;

	if (c->error)
		return c->error;
	rc = imap4_buf_append(&c->buf, p, n);
	return rc ? fail(c, rc) : 0;
}

static int puts_(struct imap4_cmd *c, const char *s)
{
	return put(c, s, strlen(s));
}

void imap4_cmd_glue(struct imap4_cmd *c)
{
	c->need_space = false;
}

/* A space before an argument, unless it opens the line or a list. */
static int sep(struct imap4_cmd *c)
{
	if (c->error)
		return c->error;
	if (!c->need_space) {
		c->need_space = true;
		return 0;
	}
	return put(c, " ", 1);
}

static int add_seg(struct imap4_cmd *c, bool sync)
{
	if (c->error)
		return c->error;
	if (c->nsegs == c->asegs) {
		size_t n = c->asegs ? c->asegs * 2 : 4;
		struct imap4_cmd_seg *segs;

		segs = realloc(c->segs, n * sizeof(*segs));
		if (segs == NULL)
			return fail(c, IMAP4_ENOMEM);
		c->segs = segs;
		c->asegs = n;
	}
	c->segs[c->nsegs].end = c->buf.len;
	c->segs[c->nsegs].sync = sync;
	c->nsegs++;
	return 0;
}

int imap4_cmd_begin(struct imap4_cmd *c, unsigned flags, const char *tag,
                    const char *name)
{
	size_t cap = c->buf.cap;

	imap4_buf_wipe(&c->buf);
	imap4_buf_init(&c->buf, cap);
	c->nsegs = 0;
	c->error = 0;
	c->flags = flags;
	c->redact_from = SIZE_MAX;
	c->need_space = false;
	c->ended = false;
	if (tag != NULL) {
		if (!imap4_is_atom(tag))
			return fail(c, IMAP4_EINVAL);
		sep(c);
		puts_(c, tag);
	}
	if (name != NULL)
		return imap4_cmd_atom(c, name);
	return c->error;
}

int imap4_cmd_atom(struct imap4_cmd *c, const char *s)
{
	if (!imap4_is_atom(s))
		return fail(c, IMAP4_EINVAL);
	sep(c);
	return puts_(c, s);
}

static bool can_quote(const struct imap4_cmd *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r' || ch == '\n' || ch == '\0')
			return false;
		if (ch >= 0x80 && !(c->flags & IMAP4_CMD_UTF8))
			return false;
	}
	return true;
}

static int put_quoted(struct imap4_cmd *c, const char *s, size_t n)
{
	sep(c);
	put(c, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			put(c, "\\", 1);
		put(c, &s[i], 1);
	}
	return put(c, "\"", 1);
}

int imap4_cmd_literal_header(struct imap4_cmd *c, uint64_t n)
{
	char hdr[32];
	bool plus = (c->flags & IMAP4_CMD_LITERAL_PLUS) ||
	            ((c->flags & IMAP4_CMD_LITERAL_MINUS) &&
	             n <= IMAP4_LITERAL_MINUS_MAX);

	snprintf(hdr, sizeof(hdr), "{%" PRIu64 "%s}\r\n", n, plus ? "+" : "");
	sep(c);
	puts_(c, hdr);
	if (!plus)
		add_seg(c, true);
	return c->error;
}

int imap4_cmd_bytes(struct imap4_cmd *c, const void *data, size_t n)
{
	return put(c, data, n);
}

int imap4_cmd_literal(struct imap4_cmd *c, const void *data, size_t n)
{
	imap4_cmd_literal_header(c, n);
	return put(c, data, n);
}

int imap4_cmd_string(struct imap4_cmd *c, const char *s, size_t n)
{
	if (s == NULL)
		return fail(c, IMAP4_EINVAL);
	if (can_quote(c, s, n))
		return put_quoted(c, s, n);
	return imap4_cmd_literal(c, s, n);
}

int imap4_cmd_quoted(struct imap4_cmd *c, const char *s)
{
	if (s == NULL || !can_quote(c, s, strlen(s)))
		return fail(c, IMAP4_EINVAL);
	return put_quoted(c, s, strlen(s));
}

static bool all_chars(const char *s, bool (*ok)(unsigned char))
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!ok((unsigned char)*s))
			return false;
	return true;
}

int imap4_cmd_astring(struct imap4_cmd *c, const char *s)
{
	if (s == NULL)
		return fail(c, IMAP4_EINVAL);
	/* NIL as an atom would read as the absence of a string. */
	if (all_chars(s, is_astring_char) && strcasecmp(s, "NIL") != 0) {
		sep(c);
		return puts_(c, s);
	}
	return imap4_cmd_string(c, s, strlen(s));
}

/* The mailbox name as it goes on the wire, malloc'ed into *out. */
static int encode_name(struct imap4_cmd *c, char **out, const char *utf8)
{
	if (strcasecmp(utf8, "INBOX") == 0) {
		*out = strdup("INBOX");
		return *out ? 0 : IMAP4_ENOMEM;
	}
	if (c->flags & IMAP4_CMD_UTF8) {
		*out = strdup(utf8);
		return *out ? 0 : IMAP4_ENOMEM;
	}
	return imap4_mutf7_encode(out, utf8);
}

static int put_name(struct imap4_cmd *c, const char *utf8, bool pattern)
{
	char *name = NULL;
	int rc;

	if (c->error)
		return c->error;
	if (utf8 == NULL || !imap4_is_raw_safe(utf8, strlen(utf8)))
		return fail(c, IMAP4_EINVAL);
	rc = encode_name(c, &name, utf8);
	if (rc)
		return fail(c, rc == IMAP4_ENOMEM ? rc : IMAP4_EINVAL);
	if (pattern && all_chars(name, is_list_char)) {
		sep(c);
		rc = puts_(c, name);
	} else {
		rc = imap4_cmd_astring(c, name);
	}
	free(name);
	return rc;
}

int imap4_cmd_mailbox(struct imap4_cmd *c, const char *utf8)
{
	return put_name(c, utf8, false);
}

int imap4_cmd_pattern(struct imap4_cmd *c, const char *utf8)
{
	return put_name(c, utf8, true);
}

int imap4_cmd_raw(struct imap4_cmd *c, const char *s)
{
	if (s == NULL || *s == '\0' || !imap4_is_raw_safe(s, strlen(s)))
		return fail(c, IMAP4_EINVAL);
	sep(c);
	return puts_(c, s);
}

int imap4_cmd_u32(struct imap4_cmd *c, uint32_t n)
{
	return imap4_cmd_u64(c, n);
}

int imap4_cmd_u64(struct imap4_cmd *c, uint64_t n)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, n);
	sep(c);
	return puts_(c, num);
}

int imap4_cmd_seqset(struct imap4_cmd *c, const char *s)
{
	if (!imap4_is_seqset(s))
		return fail(c, IMAP4_EINVAL);
	sep(c);
	return puts_(c, s);
}

int imap4_cmd_open(struct imap4_cmd *c)
{
	sep(c);
	put(c, "(", 1);
	c->need_space = false;
	return c->error;
}

int imap4_cmd_close(struct imap4_cmd *c)
{
	return put(c, ")", 1);
}

int imap4_cmd_nil(struct imap4_cmd *c)
{
	sep(c);
	return puts_(c, "NIL");
}

int imap4_cmd_cut(struct imap4_cmd *c)
{
	if (c->nsegs && c->segs[c->nsegs - 1].end == c->buf.len)
		return c->error;
	return add_seg(c, false);
}

void imap4_cmd_secret(struct imap4_cmd *c)
{
	if (c->redact_from == SIZE_MAX)
		c->redact_from = c->buf.len;
}

int imap4_cmd_end(struct imap4_cmd *c)
{
	put(c, "\r\n", 2);
	add_seg(c, false);
	c->ended = c->error == 0;
	return c->error;
}

bool imap4_cmd_segment(const struct imap4_cmd *c, size_t i, const char **data,
                       size_t *len, bool *sync)
{
	size_t start;

	if (!c->ended || i >= c->nsegs)
		return false;
	start = i ? c->segs[i - 1].end : 0;
	*data = c->buf.data + start;
	*len = c->segs[i].end - start;
	*sync = c->segs[i].sync;
	return true;
}
