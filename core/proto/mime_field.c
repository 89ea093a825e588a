/* mime_field.c - the values of Content-Type, Content-Transfer-Encoding and
 * Content-Disposition (RFC 2045 5.1, 6.1; RFC 2183; RFC 2231).
 *
 *	content := type "/" subtype *(";" parameter)
 *	parameter := attribute "=" value
 *	value := token / quoted-string
 *	(comments in parentheses and folding white space between all of them)
 *
 * Senders get this wrong in every way, and readers cope, so this does too:
 * values that are not tokens go unquoted up to ";" or white space, ";" may
 * be missing or doubled, junk between parameters is skipped, and file
 * names come RFC 2047-encoded although RFC 2047 5 forbids it. Every loop
 * moves forward through the value, so each field is read in linear time.
 */
#include "proto/mime_internal.h"
#include "proto/header.h"

#include "imap4.h"
#include "proto/hex.h"
#include "proto/rfc2047.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* RFC 2231 sections kept per parameter; names longer than this many
 * pieces exist nowhere but in attacks. */
#define SECTIONS_MAX 64

struct lex {
	const char *p, *end;
};

struct param {
	const char *attr;
	size_t attr_len;
	const char *val; /* inside the quotes, escapes not yet removed */
	size_t val_len;
	bool quoted;
};

/* RFC 2045 5.1: token := 1*<any CHAR except SPACE, CTLs, or tspecials>;
 * the tspecials as a bit set, since this runs for every byte of a field. */
static bool is_token_char(unsigned char c)
{
	static const uint64_t special_lo =
	        1ull << '(' | 1ull << ')' | 1ull << '<' | 1ull << '>' |
	        1ull << ',' | 1ull << ';' | 1ull << ':' | 1ull << '"' |
	        1ull << '/' | 1ull << '?' | 1ull << '=';
	static const uint64_t special_hi =
	        1ull << ('@' - 64) | 1ull << ('\\' - 64) | 1ull << ('[' - 64) |
	        1ull << (']' - 64);
	if (c <= ' ' || c >= 0x7f)
		return false;
	return !(c < 64 ? special_lo >> c & 1 : special_hi >> (c - 64) & 1);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* White space and RFC 5322 comments, which nest and have quoted pairs. */
static void skip_cfws(struct lex *l)
{
	while (l->p < l->end) {
		if (is_ws(*l->p)) {
			l->p++;
			continue;
		}
		if (*l->p != '(')
			return;
		l->p = imap4_comment_end(l->p, l->end, NULL);
	}
}

static size_t token(struct lex *l, const char **start)
{
	*start = l->p;
	while (l->p < l->end && is_token_char((unsigned char)*l->p))
		l->p++;
	return (size_t)(l->p - *start);
}

static void value(struct lex *l, struct param *pm)
{
	pm->quoted = l->p < l->end && *l->p == '"';
	if (pm->quoted) {
		pm->val = ++l->p;
		while (l->p < l->end && *l->p != '"')
			l->p += *l->p == '\\' && l->end - l->p > 1 ? 2 : 1;
		pm->val_len = (size_t)(l->p - pm->val);
		if (l->p < l->end)
			l->p++;
		return;
	}
	pm->val = l->p;
	while (l->p < l->end && *l->p != ';' && !is_ws(*l->p))
		l->p++;
	pm->val_len = (size_t)(l->p - pm->val);
}

/* The next attribute=value; false at the end of the field. */
static bool next_param(struct lex *l, struct param *pm)
{
	for (;;) {
		skip_cfws(l);
		if (l->p >= l->end)
			return false;
		if ((pm->attr_len = token(l, &pm->attr)) == 0) {
			l->p++; /* ";", or junk */
			continue;
		}
		skip_cfws(l);
		if (l->p >= l->end || *l->p != '=')
			continue;
		l->p++;
		skip_cfws(l);
		value(l, pm);
		return true;
	}
}

static bool attr_is(const struct param *pm, const char *name)
{
	return pm->attr_len == strlen(name) &&
	       strncasecmp(pm->attr, name, pm->attr_len) == 0;
}

/* Copies a value without its quoting and folding into dst[0..size), NUL
 * terminated. false when it does not fit or is empty. */
static bool copy_value(char *dst, size_t size, const struct param *pm)
{
	size_t n = 0;
	for (size_t i = 0; i < pm->val_len; i++) {
		char c = pm->val[i];
		if (c == '\r' || c == '\n')
			continue;
		if (pm->quoted && c == '\\' && i + 1 < pm->val_len)
			c = pm->val[++i];
		if (n + 1 >= size)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n > 0;
}

static void lower_token(char *dst, size_t size, const char *s, size_t n)
{
	if (n == 0 || n >= size) {
		dst[0] = '\0';
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] =
		        (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	dst[n] = '\0';
}

void imap4_mime_type_parse(struct mime_type *t, const char *v, size_t n)
{
	struct lex l = {v, v + n};
	struct param pm;
	const char *s;
	size_t len;

	memset(t, 0, sizeof(*t));
	skip_cfws(&l);
	len = token(&l, &s);
	lower_token(t->type, sizeof(t->type), s, len);
	skip_cfws(&l);
	if (l.p < l.end && *l.p == '/') {
		l.p++;
		skip_cfws(&l);
		len = token(&l, &s);
		lower_token(t->subtype, sizeof(t->subtype), s, len);
	}
	if (!t->subtype[0])
		t->type[0] = '\0'; /* RFC 2045 5.2: as if absent */

	bool have_boundary = false, have_charset = false, have_format = false,
	     have_delsp = false;
	char word[8];
	while (next_param(&l, &pm)) {
		if (!have_boundary && attr_is(&pm, "boundary")) {
			have_boundary = true;
			if (!copy_value(t->boundary, sizeof(t->boundary), &pm))
				t->boundary[0] = '\0';
		} else if (!have_charset && attr_is(&pm, "charset")) {
			have_charset = true;
			if (!copy_value(t->charset, sizeof(t->charset), &pm))
				t->charset[0] = '\0';
		} else if (!have_format && attr_is(&pm, "format")) {
			/* RFC 3676 4.1, 4.2: values are case-insensitive */
			have_format = true;
			t->flowed = copy_value(word, sizeof(word), &pm) &&
			            strcasecmp(word, "flowed") == 0;
		} else if (!have_delsp && attr_is(&pm, "delsp")) {
			have_delsp = true;
			t->delsp = copy_value(word, sizeof(word), &pm) &&
			           strcasecmp(word, "yes") == 0;
		}
	}
}

enum mime_cte imap4_mime_cte_parse(const char *v, size_t n)
{
	struct lex l = {v, v + n};
	const char *s;
	size_t len;

	skip_cfws(&l);
	len = token(&l, &s);
	if (len == 6 && strncasecmp(s, "base64", 6) == 0)
		return MIME_CTE_BASE64;
	if (len == 16 && strncasecmp(s, "quoted-printable", 16) == 0)
		return MIME_CTE_QP;
	return MIME_CTE_IDENTITY;
}

bool imap4_mime_disposition_is_attachment(const char *v, size_t n)
{
	struct lex l = {v, v + n};
	const char *s;
	size_t len;

	skip_cfws(&l);
	len = token(&l, &s);
	return len == 10 && strncasecmp(s, "attachment", 10) == 0;
}

/* ---------------------------------------------------------- file names */

struct section {
	const char *val;
	size_t val_len;
	unsigned index;
	bool quoted, extended;
};

/* RFC 2231 3 and 4: "name*" (one extended section), "name*N" and
 * "name*N*". The sections may come in any order, so they are gathered
 * first and put in order afterwards. */
struct sections {
	struct section s[SECTIONS_MAX];
	unsigned n;
	const char *plain; /* the first plain "name=" value */
	size_t plain_len;
	bool plain_quoted, have_plain;
};

static void collect(struct sections *ss, const char *v, size_t n,
                    const char *name)
{
	struct lex l = {v, v + n};
	struct param pm;
	size_t nl = strlen(name);

	while (next_param(&l, &pm)) {
		if (pm.attr_len < nl || strncasecmp(pm.attr, name, nl) != 0)
			continue;
		const char *a = pm.attr + nl, *e = pm.attr + pm.attr_len;
		if (a == e) {
			if (!ss->have_plain) {
				ss->have_plain = true;
				ss->plain = pm.val;
				ss->plain_len = pm.val_len;
				ss->plain_quoted = pm.quoted;
			}
			continue;
		}
		if (*a++ != '*')
			continue;
		unsigned index = 0;
		bool extended = true;
		if (a < e && *a >= '0' && *a <= '9') {
			for (; a < e && *a >= '0' && *a <= '9'; a++) {
				index = index * 10 + (unsigned)(*a - '0');
				if (index >= SECTIONS_MAX)
					break;
			}
			extended = a < e && *a == '*';
			if (extended)
				a++;
		}
		if (a != e || index >= SECTIONS_MAX || ss->n == SECTIONS_MAX)
			continue;
		bool dup = false;
		for (unsigned i = 0; i < ss->n; i++)
			dup |= ss->s[i].index == index;
		if (dup)
			continue;
		ss->s[ss->n++] = (struct section){
		        .val = pm.val,
		        .val_len = pm.val_len,
		        .index = index,
		        .quoted = pm.quoted,
		        .extended = extended,
		};
	}
}

/* The raw bytes of a value: quoting and folding removed, and for an
 * extended section its %XX octets decoded. */
static int append_value(struct imap4_buf *b, const char *v, size_t n,
                        bool quoted, bool extended)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char c = v[i];
		int hi, lo;
		if (c == '\r' || c == '\n')
			continue;
		if (quoted && c == '\\' && i + 1 < n)
			c = v[++i];
		else if (extended && c == '%' && n - i > 2 &&
		         (hi = imap4_hex_value(v[i + 1])) >= 0 &&
		         (lo = imap4_hex_value(v[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		rc = imap4_buf_putc(b, c);
	}
	return rc;
}

static int decode_sections(struct imap4_buf *out, struct imap4_buf *raw,
                           struct sections *ss)
{
	/* insertion sort: at most SECTIONS_MAX */
	for (unsigned i = 1; i < ss->n; i++)
		for (unsigned j = i;
		     j > 0 && ss->s[j - 1].index > ss->s[j].index; j--) {
			struct section t = ss->s[j];
			ss->s[j] = ss->s[j - 1];
			ss->s[j - 1] = t;
		}

	char charset[IMAP4_CHARSET_MAX + 1] = "";
	int rc = 0;
	for (unsigned i = 0; i < ss->n && ss->s[i].index == i && rc == 0; i++) {
		const struct section *s = &ss->s[i];
		const char *v = s->val;
		size_t n = s->val_len;
		if (i == 0 && s->extended) {
			/* charset'language'octets */
			const char *q1 = memchr(v, '\'', n);
			const char *q2 = q1 ? memchr(q1 + 1, '\'',
			                             (size_t)(v + n - q1 - 1))
			                    : NULL;
			if (q2) {
				size_t cl = (size_t)(q1 - v);
				if (cl < sizeof(charset)) {
					memcpy(charset, v, cl);
					charset[cl] = '\0';
				}
				n -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			}
		}
		rc = append_value(raw, v, n, s->quoted, s->extended);
	}
	if (rc < 0)
		return rc;

	struct imap4_charset_stream cs;
	size_t used;
	rc = imap4_charset_stream_open(&cs, charset);
	if (rc >= 0)
		rc = imap4_charset_stream_feed(&cs, out,
		                               raw->data ? raw->data : "",
		                               raw->len, true, &used);
	imap4_charset_stream_close(&cs);
	return rc;
}

/* Makes out[from..) one line: control characters become spaces, and the
 * spaces around it go. */
static void one_line(struct imap4_buf *out, size_t from)
{
	char *d = out->data + from;
	size_t n = out->len - from, i = 0, j = 0;

	while (i < n && (d[i] == ' ' || (unsigned char)d[i] < 0x20))
		i++;
	for (; i < n; i++)
		d[j++] =
		        (unsigned char)d[i] < 0x20 || d[i] == 0x7f ? ' ' : d[i];
	while (j > 0 && d[j - 1] == ' ')
		j--;
	out->len = from + j;
	out->data[out->len] = '\0';
}

static int name_from(struct imap4_buf *out, const char *v, size_t n,
                     const char *name)
{
	struct sections ss;
	struct imap4_buf raw;
	size_t from = out->len;
	int rc;

	ss.n = 0;
	ss.have_plain = false;
	collect(&ss, v, n, name);
	imap4_buf_init(&raw, 0);
	bool have_sections = false;
	for (unsigned i = 0; i < ss.n; i++)
		have_sections |= ss.s[i].index == 0;
	if (have_sections) {
		rc = decode_sections(out, &raw, &ss);
	} else if (ss.have_plain) {
		/* raw 8-bit names ("\xdcbersicht.pdf") are read as the
		 * daemon reads raw header bytes: UTF-8, else windows-1252;
		 * encoded-words are ASCII, which that leaves as it is */
		struct imap4_buf text;
		imap4_buf_init(&text, 0);
		rc = append_value(&raw, ss.plain, ss.plain_len, ss.plain_quoted,
		                  false);
		if (rc == 0)
			rc = imap4_charset_auto_append(
			        &text, raw.data ? raw.data : "", raw.len);
		if (rc == 0)
			rc = imap4_rfc2047_decode_append(
			        out, text.data ? text.data : "", text.len);
		imap4_buf_clear(&text);
	} else {
		rc = 0;
	}
	imap4_buf_clear(&raw);
	if (rc < 0)
		return rc;
	if (out->len == from)
		return 0;
	one_line(out, from);
	return out->len > from;
}

int imap4_mime_filename(struct imap4_buf *out, const char *ctype,
                        size_t ctype_len, const char *disp, size_t disp_len)
{
	int rc = 0;
	if (disp)
		rc = name_from(out, disp, disp_len, "filename");
	if (rc == 0 && ctype)
		rc = name_from(out, ctype, ctype_len, "name");
	return rc;
}
