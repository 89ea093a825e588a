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

/* flag = "\" atom / atom; the list's flags apart by one SP. */
static bool is_flags(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i && s[i++] != ' ')
			return false;
		if (i < n && s[i] == '\\')
			i++;
		size_t start = i;
		while (i < n && s[i] != ' ' &&
		       is_atom_char((unsigned char)s[i]))
			i++;
		if (i == start || (i < n && s[i] != ' '))
			return false;
	}
	return true;
}

bool imap4_is_flag_list(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= 2 && s[0] == '(' && s[n - 1] == ')')
		return is_flags(s + 1, n - 2);
	return n > 0 && is_flags(s, n);
}

bool imap4_is_raw_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

bool imap4_ends_with_literal(const char *s, size_t n)
{
	size_t i = n;

	if (i == 0 || s[--i] != '}')
		return false;
	if (i > 0 && s[i - 1] == '+')
		i--;
	size_t digits_end = i;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	return i < digits_end && i > 0 && s[i - 1] == '{';
}

bool imap4_is_balanced(const char *s)
{
	size_t parens = 0, brackets = 0;

	for (; *s; s++) {
		switch (*s) {
		case '"':
			for (s++; *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (*s == '\0')
					return false;
			}
			break;
		case '(':
			parens++;
			break;
		case ')':
			if (parens-- == 0)
				return false;
			break;
		case '[':
			brackets++;
			break;
		case ']':
			if (brackets-- == 0)
				return false;
			break;
		}
	}
	return parens == 0 && brackets == 0;
}

size_t imap4_crlf_map(char *out, const char *in, size_t n, bool *cr)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = in[i];

		if (ch == '\n' && *cr) {
			*cr = false;
			continue;
		}
		*cr = ch == '\r';
		if (ch == '\r' || ch == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = ch;
		}
	}
	return o;
}

uint64_t imap4_crlf_size(const char *in, size_t n)
{
	uint64_t size = n;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\r' && (i + 1 == n || in[i + 1] != '\n'))
			size++;
		else if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			size++;
	}
	return size;
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

/* An invalid argument, and which rule it broke, for the message. */
static int refuse(struct imap4_cmd *c, const char *why)
{
	if (c->error == 0)
		c->why = why;
	return fail(c, IMAP4_EINVAL);
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
	c->why = NULL;
	c->text_from = 0;
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

/* Why s is no atom (RFC 3501 9, ATOM-CHAR), by its first offending
 * byte: a caller told only "invalid" cannot tell a space from an
 * accent. */
static const char *atom_why(const char *s)
{
	if (s == NULL)
		return "NULL where an atom was expected";
	if (*s == '\0')
		return "an empty atom";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == ' ')
			return "a space, which no atom holds";
		if (ch == '\r' || ch == '\n')
			return "CR or LF, which no atom holds";
		if (ch < 0x20 || ch == 0x7f)
			return "a control character, which no atom holds";
		if (ch >= 0x80)
			return "an 8-bit byte, which no atom holds";
		if (ch == '(' || ch == ')')
			return "a parenthesis, which no atom holds";
		if (!is_atom_char(ch))
			return "one of { % * \" \\ ], which no atom holds";
	}
	return NULL;
}

int imap4_cmd_atom(struct imap4_cmd *c, const char *s)
{
	if (!imap4_is_atom(s))
		return refuse(c, atom_why(s));
	sep(c);
	return puts_(c, s);
}

/* NULL when s can be a quoted string, else why not. */
static const char *quote_why(const struct imap4_cmd *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r' || ch == '\n' || ch == '\0')
			return "CR, LF or NUL, which no quoted string holds "
			       "(a literal does)";
		if (ch >= 0x80 && !(c->flags & IMAP4_CMD_UTF8))
			return "an 8-bit byte, which a quoted string holds "
			       "only after ENABLE UTF8=ACCEPT (a literal "
			       "does)";
	}
	return NULL;
}

static bool can_quote(const struct imap4_cmd *c, const char *s, size_t n)
{
	return quote_why(c, s, n) == NULL;
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
	int rc = put(c, data, n);

	c->text_from = c->buf.len;
	return rc;
}

int imap4_cmd_literal(struct imap4_cmd *c, const void *data, size_t n)
{
	if (data == NULL && n > 0)
		return refuse(c, "NULL where a literal's bytes were expected");
	imap4_cmd_literal_header(c, n);
	return imap4_cmd_bytes(c, data, n);
}

int imap4_cmd_string(struct imap4_cmd *c, const char *s, size_t n)
{
	if (s == NULL)
		return refuse(c, "NULL where a string was expected");
	if (can_quote(c, s, n))
		return put_quoted(c, s, n);
	return imap4_cmd_literal(c, s, n);
}

int imap4_cmd_quoted(struct imap4_cmd *c, const char *s)
{
	if (s == NULL)
		return refuse(c, "NULL where a string was expected");
	const char *why = quote_why(c, s, strlen(s));
	if (why)
		return refuse(c, why);
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
		return refuse(c, "NULL where a string was expected");
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
	if (utf8 == NULL)
		return refuse(c, "NULL where a mailbox name was expected");
	if (!imap4_is_raw_safe(utf8, strlen(utf8)))
		return refuse(c, "CR, LF or NUL in a mailbox name");
	rc = encode_name(c, &name, utf8);
	if (rc == IMAP4_ENOMEM)
		return fail(c, rc);
	if (rc)
		return refuse(c, "a mailbox name that is not valid UTF-8");
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
	if (s == NULL || *s == '\0')
		return refuse(c, "empty argument");
	if (!imap4_is_raw_safe(s, strlen(s)))
		return refuse(c, "CR, LF or NUL in an argument");
	/* The caller's "{5}" would make the server wait for five bytes the
	 * caller never sends, as long as the command's timeout. */
	if (imap4_ends_with_literal(s, strlen(s)))
		return refuse(c, "an argument ending with a literal header "
		                 "({N} or {N+}); literals need imap4_command's "
		                 "%l or imap4_append");
	sep(c);
	return puts_(c, s);
}

int imap4_cmd_raw_balanced(struct imap4_cmd *c, const char *s)
{
	if (s && !imap4_is_balanced(s))
		return refuse(c,
		              "unbalanced parentheses, brackets or quotes in "
		              "an argument");
	return imap4_cmd_raw(c, s);
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
		return refuse(c, s ? "no sequence set (non-zero 32-bit "
		                     "numbers, n:m ranges and * apart by "
		                     "commas, or $)"
		                   : "NULL where a sequence set was expected");
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
	if (c->error == 0 && c->buf.len - c->text_from >= 3 &&
	    imap4_ends_with_literal(c->buf.data + c->text_from,
	                            c->buf.len - c->text_from))
		refuse(c, "a line ending with a literal header ({N} or {N+}) "
		          "that no literal follows");
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
