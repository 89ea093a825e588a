/* mime_html.c - the text a reader sees in an HTML part, for the search
 * index: tags dropped, scripts, styles and comments dropped with their
 * content, block elements turned into line breaks, character references
 * decoded, white space collapsed.
 *
 * Not an HTML5 parser: no tree, no error recovery beyond what keeps the
 * text. It follows the tokenizer of the HTML Living Standard (13.2.5) in
 * the places where a difference would show in the text: "<" not followed
 * by a letter, "/", "!" or "?" is text; attribute values in quotes may
 * hold ">"; "<!--" runs to "-->"; script and style run to their end tag.
 * It is a state machine resumable at any byte, so that a part can be
 * fed in pieces of any size, and it looks at each byte once.
 */
#include "proto/mime_internal.h"

#include "imap4.h"
#include "proto/charset.h"
#include "proto/utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	S_TEXT,
	S_LT,       /* after "<" */
	S_LT_SLASH, /* after "</" */
	S_TAGNAME,
	S_TAG,   /* attributes, up to ">" */
	S_QUOTE, /* a quoted attribute value */
	S_BANG,  /* after "<!" */
	S_BANG_DASH,
	S_COMMENT,
	S_RAW, /* script or style content */
	S_ENTITY,
	S_NUMERIC, /* after "&#" or "&#x": digits */
};

/* Elements that begin a new line, open or closed (the block elements a
 * reader renders on lines of their own). */
static const char *const blocks[] = {
        "address", "article", "aside",   "blockquote", "center", "dd",
        "div",     "dl",      "dt",      "fieldset",   "figure", "footer",
        "form",    "h1",      "h2",      "h3",         "h4",     "h5",
        "h6",      "header",  "hr",      "li",         "main",   "nav",
        "ol",      "section", "table",   "tr",         "ul",     "title",
        "caption", "option",  "summary",
};

/* Elements drawn as a box of their own within a line (an image, a form's
 * field): the words on each side are two, not one. */
static const char *const boxes[] = {
        "td",     "th",     "img",   "input", "textarea", "select",   "button",
        "iframe", "object", "embed", "video", "audio",    "noscript",
};

/* A code point that is not a scalar value, or U+0000: see the standard's
 * "numeric character reference end state". */
#define REPLACEMENT 0xfffd

void imap4_mime_html_init(struct mime_html *h)
{
	memset(h, 0, sizeof(*h));
}

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static void want_newlines(struct mime_html *h, unsigned n)
{
	if (h->newlines < n)
		h->newlines = n;
}

/* Writes text, after the white space that waits before it. */
static int text(struct mime_html *h, struct mime_sink *s, const char *p,
                size_t n)
{
	int rc = 0;
	if (h->any && h->newlines)
		rc = imap4_mime_sink_put(s, "\n\n", h->newlines);
	else if (h->any && h->space)
		rc = imap4_mime_sink_put(s, " ", 1);
	h->newlines = 0;
	h->space = false;
	h->any = true;
	return rc ? rc : imap4_mime_sink_put(s, p, n);
}

/* White space in the text: collapsed, except inside <pre>. */
static int space(struct mime_html *h, struct mime_sink *s, unsigned char c)
{
	if (!h->pre) {
		h->space = true;
		return 0;
	}
	if (c == '\r')
		return 0;
	h->newlines = 0;
	h->space = false;
	h->any = true;
	return imap4_mime_sink_put(s, c == '\n' ? "\n" : " ", 1);
}

static int codepoint(struct mime_html *h, struct mime_sink *s, uint32_t cp)
{
	char u[4];
	size_t n;

	/* no-break, en, em, thin and the other fixed-width spaces */
	if (cp == 0xa0 || cp == ' ' || cp == '\t' || cp == '\n' ||
	    (cp >= 0x2002 && cp <= 0x200a))
		return space(h, s, cp == '\n' ? '\n' : ' ');
	/* invisible (raw ones do not get here: mime_text.c drops them), and
	 * the bidi marks, which a reference writes only for layout */
	if (imap4_utf8_invisible(cp) || cp == 0x200e || cp == 0x200f)
		return 0;
	if (cp < 0x20 || cp == 0x7f)
		cp = ' ';
	n = imap4_utf8_encode(u, cp);
	return text(h, s, u, n);
}

static int digit_value(unsigned char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A reference that is none stays as it was: "&" and what h->name holds,
 * and the ";" that ended it. */
static int entity_literal(struct mime_html *h, struct mime_sink *s,
                          bool semicolon)
{
	char lit[sizeof(h->name) + 2];
	size_t n = 0;
	lit[n++] = '&';
	memcpy(lit + n, h->name, h->name_len);
	n += h->name_len;
	if (semicolon)
		lit[n++] = ';';
	return text(h, s, lit, n);
}

/* At the end of a named reference, "&" and the letters and digits in
 * h->name: the standard's "named character reference state" takes the
 * longest name its table has, and a name without ";" only if it is a
 * legacy one, after which the rest is text ("&notit;" is the not sign,
 * then "it;"). */
static int named_end(struct mime_html *h, struct mime_sink *s, bool semicolon)
{
	uint32_t cp =
	        semicolon ? imap4_mime_entity_find(h->name, h->name_len) : 0;
	size_t k;
	int rc;

	if (cp)
		return codepoint(h, s, cp);
	if ((k = imap4_mime_entity_legacy(h->name, h->name_len, &cp)) == 0)
		return entity_literal(h, s, semicolon);
	if ((rc = codepoint(h, s, cp)) != 0 || (k == h->name_len && !semicolon))
		return rc;
	char rest[sizeof(h->name) + 1];
	size_t n = h->name_len - k;
	memcpy(rest, h->name + k, n);
	if (semicolon)
		rest[n++] = ';';
	return text(h, s, rest, n);
}

/* At the end of a numeric reference with digits (the ";" is optional, as
 * the standard has it): 0, a surrogate and what lies above U+10FFFF are
 * U+FFFD, and 0x80..0x9F mean windows-1252's characters. */
static int numeric_end(struct mime_html *h, struct mime_sink *s)
{
	uint32_t v = h->num;
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		v = REPLACEMENT;
	else if (v >= 0x80 && v < 0xa0)
		v = imap4_charset_cp1252((unsigned char)v);
	return codepoint(h, s, v);
}

static bool name_is(const struct mime_html *h, const char *name)
{
	return h->name[0] == name[0] && strlen(name) == h->name_len &&
	       memcmp(h->name, name, h->name_len) == 0;
}

/* At the ">" of a tag whose name is in h->name. */
static void tag_end(struct mime_html *h)
{
	h->state = S_TEXT;
	if (h->name_len == 0 || h->name_len > sizeof(h->name))
		return;
	if (!h->closing && (name_is(h, "script") || name_is(h, "style"))) {
		h->state = S_RAW;
		h->rawend = name_is(h, "script") ? "</script" : "</style";
		h->matched = 0;
		return;
	}
	if (name_is(h, "br")) {
		h->newlines += h->newlines < 2;
		return;
	}
	if (name_is(h, "p")) {
		want_newlines(h, 2);
		return;
	}
	for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++)
		if (name_is(h, boxes[i])) {
			h->space = true;
			return;
		}
	if (name_is(h, "pre")) {
		if (h->closing && h->pre)
			h->pre--;
		else if (!h->closing && h->pre < 1000)
			h->pre++;
		want_newlines(h, 1);
		return;
	}
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (name_is(h, blocks[i])) {
			want_newlines(h, 1);
			return;
		}
}

/* What a byte is to the text state: most are text, and a table answers
 * in one load. */
enum { C_TEXT, C_SPACE, C_MARKUP };
static const unsigned char text_class[256] = {
        [' '] = C_SPACE,  ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\r'] = C_SPACE,
        ['\f'] = C_SPACE, ['<'] = C_MARKUP, ['&'] = C_MARKUP,
};

/* The run of plain text at p[0..n): up to "<", "&" or white space other
 * than a single space between two words. */
static size_t text_run(const char *p, size_t n)
{
	size_t i = 0;
	for (; i < n; i++) {
		unsigned c = text_class[(unsigned char)p[i]];
		if (c == C_TEXT)
			continue;
		if (c == C_MARKUP || p[i] != ' ' || i == 0 || i + 1 >= n ||
		    text_class[(unsigned char)p[i + 1]] != C_TEXT)
			break;
	}
	return i;
}

int imap4_mime_html_feed(struct mime_html *h, struct mime_sink *s,
                         const char *p, size_t n)
{
	size_t i = 0;
	int rc = 0;

	while (i < n && rc == 0) {
		unsigned char c = (unsigned char)p[i];
		switch (h->state) {
		case S_TEXT: {
			size_t run = text_run(p + i, n - i);
			if (run) {
				rc = text(h, s, p + i, run);
				i += run;
				continue;
			}
			if (c == '<') {
				h->state = S_LT;
			} else if (c == '&') {
				h->state = S_ENTITY;
				h->name_len = 0;
			} else {
				rc = space(h, s, c);
			}
			break;
		}
		case S_LT:
			h->closing = false;
			h->name_len = 0;
			if (is_alpha(c)) {
				h->state = S_TAGNAME;
				continue;
			}
			if (c == '/') {
				h->state = S_LT_SLASH;
			} else if (c == '!') {
				h->state = S_BANG;
			} else if (c == '?') {
				h->state = S_TAG;
			} else {
				h->state = S_TEXT;
				rc = text(h, s, "<", 1);
				continue;
			}
			break;
		case S_LT_SLASH:
			h->closing = true;
			/* "</" and no letter is a bogus comment: up to ">" */
			h->state = is_alpha(c) ? S_TAGNAME : S_TAG;
			if (h->state == S_TAGNAME)
				continue;
			break;
		case S_TAGNAME:
			if (is_alpha(c) || (c >= '0' && c <= '9')) {
				if (h->name_len < sizeof(h->name))
					h->name[h->name_len] = (char)(c | 0x20);
				if (h->name_len <= sizeof(h->name))
					h->name_len++;
				break;
			}
			h->state = S_TAG;
			continue;
		case S_TAG:
			while (c != '>' && c != '"' && c != '\'' && ++i < n)
				c = (unsigned char)p[i];
			if (i == n)
				continue;
			if (c == '>') {
				tag_end(h);
			} else {
				h->quote = c;
				h->state = S_QUOTE;
			}
			break;
		case S_QUOTE: {
			const char *q = memchr(p + i, h->quote, n - i);
			if (!q) {
				i = n;
				continue;
			}
			i = (size_t)(q - p);
			h->state = S_TAG;
			break;
		}
		case S_BANG:
			h->name_len = 0;
			h->state = c == '-' ? S_BANG_DASH : S_TAG;
			if (h->state == S_TAG)
				continue;
			break;
		case S_BANG_DASH:
			h->dashes = 0;
			h->state = c == '-' ? S_COMMENT : S_TAG;
			if (h->state == S_TAG)
				continue;
			break;
		case S_COMMENT:
			if (c == '>' && h->dashes >= 2)
				h->state = S_TEXT;
			h->dashes = c == '-' ? h->dashes + 1 : 0;
			break;
		case S_RAW: {
			if (h->matched == 0) {
				const char *q = memchr(p + i, '<', n - i);
				if (!q) {
					i = n;
					continue;
				}
				i = (size_t)(q - p);
				c = '<';
			}
			unsigned char lc = is_alpha(c) ? (c | 0x20) : c;
			if (lc == (unsigned char)h->rawend[h->matched]) {
				if (h->rawend[++h->matched] == '\0') {
					h->state = S_TAG;
					h->name_len = 0;
				}
			} else {
				h->matched = c == '<';
			}
			break;
		}
		case S_ENTITY:
			if (c == '#' && h->name_len == 0) {
				h->state = S_NUMERIC;
				h->name[h->name_len++] = (char)c;
				h->num = 0;
				h->hex = h->digits = false;
				break;
			}
			if ((is_alpha(c) || (c >= '0' && c <= '9')) &&
			    h->name_len < sizeof(h->name)) {
				h->name[h->name_len++] = (char)c;
				break;
			}
			/* a name too long for any reference ends here too,
			 * and the rest of it is text */
			h->state = S_TEXT;
			rc = named_end(h, s, c == ';');
			if (c == ';')
				break;
			continue;
		case S_NUMERIC: {
			int d = digit_value(c, h->hex);
			if (d >= 0) {
				uint32_t v = h->num * (h->hex ? 16 : 10) +
				             (uint32_t)d;
				/* saturate: no wrap back to a character */
				h->num = h->num > 0x10ffff || v > 0x10ffff
				                 ? 0x110000
				                 : v;
				h->digits = true;
				break;
			}
			if (!h->digits && !h->hex && (c | 0x20) == 'x') {
				h->hex = true;
				h->name[h->name_len++] = (char)c;
				break;
			}
			/* the ";" is optional; "&#" or "&#x" and no digit
			 * is text */
			bool digits = h->digits;
			h->state = S_TEXT;
			rc = digits ? numeric_end(h, s)
			            : entity_literal(h, s, false);
			if (digits && c == ';')
				break;
			continue;
		}
		}
		i++;
	}
	return rc;
}

int imap4_mime_html_finish(struct mime_html *h, struct mime_sink *s, bool cut)
{
	int rc = 0;
	/* At a cut, "&eac" was "&eacute;" or another reference, and "<" the
	 * start of a tag: fragments, not text the sender wrote. */
	if (cut)
		h->state = S_TEXT;
	if (h->state == S_ENTITY)
		rc = named_end(h, s, false);
	else if (h->state == S_NUMERIC)
		rc = h->digits ? numeric_end(h, s)
		               : entity_literal(h, s, false);
	else if (h->state == S_LT)
		rc = text(h, s, "<", 1);
	h->state = S_TEXT;
	return rc;
}

/* ------------------------------------------------------ meta charset */

static bool label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
	       ch == '.' || ch == ':';
}

/* The value of the attribute at p[0..n) after its "=": quoted or not. */
static size_t attr_value(const char *p, size_t n, const char **v)
{
	size_t i = 0;
	if (i < n && (p[i] == '"' || p[i] == '\'')) {
		char q = p[i++];
		*v = p + i;
		while (i < n && p[i] != q)
			i++;
		return (size_t)(p + i - *v);
	}
	*v = p;
	while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
	       p[i] != '\r' && p[i] != '>')
		i++;
	return i;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\f' || ch == '/';
}

/* The label at the start of p[0..n), blanks and a quote skipped, into
 * label: true when there is one. */
static bool take_label(const char *p, size_t n, char *label, size_t labelsz)
{
	size_t j = 0, k = 0;
	while (j < n &&
	       (p[j] == ' ' || p[j] == '\t' || p[j] == '"' || p[j] == '\''))
		j++;
	while (j < n && label_char(p[j]) && k + 1 < labelsz)
		label[k++] = p[j++];
	label[k] = '\0';
	return k > 0;
}

/* "charset=" inside a content attribute's value ("text/html;
 * charset=koi8-r"). */
static bool content_charset(const char *p, size_t n, char *label,
                            size_t labelsz)
{
	static const char word[] = "charset";
	const size_t w = sizeof(word) - 1;
	for (size_t i = 0; i + w < n; i++) {
		if (strncasecmp(p + i, word, w) != 0)
			continue;
		size_t j = i + w;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && p[j] == '=')
			return take_label(p + j + 1, n - j - 1, label, labelsz);
	}
	return false;
}

/* The attributes of a meta tag, p[0..n) after "<meta": its charset
 * attribute, or the charset in content when http-equiv is Content-Type
 * (the HTML standard's prescan; a charset= in some other content, a
 * description, says nothing). */
static bool tag_charset(const char *p, size_t n, char *label, size_t labelsz)
{
	const char *content = NULL;
	size_t content_len = 0;
	bool http_ct = false;
	size_t i = 0;
	while (i < n) {
		while (i < n && blank(p[i]))
			i++;
		size_t name = i;
		while (i < n && !blank(p[i]) && p[i] != '=' && p[i] != '>')
			i++;
		size_t name_len = i - name;
		if (name_len == 0)
			break;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		const char *v = p + i;
		size_t vlen = 0;
		if (i < n && p[i] == '=') {
			i++;
			while (i < n && (p[i] == ' ' || p[i] == '\t'))
				i++;
			vlen = attr_value(p + i, n - i, &v);
			i = (size_t)(v - p) + vlen;
			if (i < n && (p[i] == '"' || p[i] == '\''))
				i++;
		}
		if (name_len == 7 && strncasecmp(p + name, "charset", 7) == 0)
			return take_label(v, vlen, label, labelsz);
		if (name_len == 10 &&
		    strncasecmp(p + name, "http-equiv", 10) == 0)
			http_ct = vlen == 12 &&
			          strncasecmp(v, "content-type", 12) == 0;
		if (name_len == 7 && strncasecmp(p + name, "content", 7) == 0) {
			content = v;
			content_len = vlen;
		}
	}
	return http_ct && content &&
	       content_charset(content, content_len, label, labelsz);
}

/* HTML that a <meta> says is UTF-16 or UTF-32 was read as ASCII to find
 * the meta, so it is neither: the HTML standard reads it as UTF-8. */
static void wide_is_utf8(char *label, size_t labelsz)
{
	static const char *const wide[] = {"utf-16", "utf16",  "utf-32",
	                                   "utf32",  "ucs-2",  "ucs2",
	                                   "ucs-4",  "unicode"};
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strlen(label) >= strlen(wide[i]) &&
		    strncasecmp(label, wide[i], strlen(wide[i])) == 0) {
			snprintf(label, labelsz, "utf-8");
			return;
		}
}

bool imap4_mime_html_meta_charset(const char *p, size_t n, char *label,
                                  size_t labelsz)
{
	if (n > MIME_HTML_PRESCAN)
		n = MIME_HTML_PRESCAN;
	for (size_t i = 0; i + 5 < n; i++) {
		if (p[i] != '<' || strncasecmp(p + i + 1, "meta", 4) != 0 ||
		    !blank(p[i + 5]))
			continue;
		const char *end = memchr(p + i, '>', n - i);
		size_t len = end ? (size_t)(end - (p + i)) : n - i;
		if (tag_charset(p + i + 5, len - 5, label, labelsz)) {
			wide_is_utf8(label, labelsz);
			return true;
		}
	}
	return false;
}
