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

#include <string.h>

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
};

/* Latin-1's named references, U+00A0 to U+00FF, in order (HTML 4 24.2). */
static const char *const latin1[96] = {
        "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar",
        "sect",   "uml",    "copy",   "ordf",   "laquo",  "not",    "shy",
        "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",   "acute",
        "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",
        "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",
        "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute",
        "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",
        "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",
        "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
        "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",
        "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave",
        "iacute", "icirc",  "iuml",   "eth",    "ntilde", "ograve", "oacute",
        "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave", "uacute",
        "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

/* The others that mail generators write. */
static const struct {
	const char *name;
	uint32_t cp;
} named[] = {
        {"amp", '&'},       {"lt", '<'},       {"gt", '>'},
        {"quot", '"'},      {"apos", '\''},    {"ndash", 0x2013},
        {"mdash", 0x2014},  {"lsquo", 0x2018}, {"rsquo", 0x2019},
        {"sbquo", 0x201a},  {"ldquo", 0x201c}, {"rdquo", 0x201d},
        {"bdquo", 0x201e},  {"bull", 0x2022},  {"hellip", 0x2026},
        {"euro", 0x20ac},   {"trade", 0x2122}, {"ensp", ' '},
        {"emsp", ' '},      {"thinsp", ' '},   {"zwnj", 0},
        {"zwj", 0},         {"lrm", 0},        {"rlm", 0},
        {"dagger", 0x2020}, {"rarr", 0x2192},  {"larr", 0x2190},
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

/* A code point that is not a scalar value, or U+0000: see the standard's
 * "numeric character reference end state". */
#define REPLACEMENT 0xfffd

void mime_html_init(struct mime_html *h)
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
		rc = mime_sink_put(s, "\n\n", h->newlines);
	else if (h->any && h->space)
		rc = mime_sink_put(s, " ", 1);
	h->newlines = 0;
	h->space = false;
	h->any = true;
	return rc ? rc : mime_sink_put(s, p, n);
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
	return mime_sink_put(s, c == '\n' ? "\n" : " ", 1);
}

static int codepoint(struct mime_html *h, struct mime_sink *s, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp == 0xa0 || cp == ' ' || cp == '\t' || cp == '\n')
		return space(h, s, cp == '\n' ? '\n' : ' ');
	if (cp < 0x20 || cp == 0x7f)
		cp = ' ';
	n = imap4_utf8_encode(u, cp);
	return text(h, s, u, n);
}

/* The code point of the reference in h->name (without "&" and ";"); 0
 * for the invisible ones, -1 when it is not one we know. */
static long entity_value(const struct mime_html *h)
{
	const char *e = h->name;
	size_t n = h->name_len;

	if (n >= 2 && e[0] == '#') {
		bool hex = e[1] == 'x' || e[1] == 'X';
		size_t i = hex ? 2 : 1;
		uint32_t v = 0;
		if (i == n)
			return -1;
		for (; i < n; i++) {
			unsigned d;
			char c = e[i];
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				d = (unsigned)((c | 0x20) - 'a' + 10);
			else
				return -1;
			v = v * (hex ? 16 : 10) + d;
			if (v > 0x10ffff)
				v = 0x110000; /* saturate: no wrap to text */
		}
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return REPLACEMENT;
		if (v >= 0x80 && v < 0xa0)
			return (long)imap4_charset_cp1252((unsigned char)v);
		return (long)v;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].name[0] == e[0] && strlen(named[i].name) == n &&
		    memcmp(named[i].name, e, n) == 0)
			return (long)named[i].cp;
	for (size_t i = 0; i < 96; i++)
		if (latin1[i][0] == e[0] && strlen(latin1[i]) == n &&
		    memcmp(latin1[i], e, n) == 0)
			return (long)(0xa0 + i);
	return -1;
}

/* An "&" that starts no reference we know stays as it was. */
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

static int entity_end(struct mime_html *h, struct mime_sink *s)
{
	long v = entity_value(h);
	if (v < 0)
		return entity_literal(h, s, true);
	if (v == 0)
		return 0;
	return codepoint(h, s, (uint32_t)v);
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
	if (name_is(h, "td") || name_is(h, "th")) {
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

int mime_html_feed(struct mime_html *h, struct mime_sink *s, const char *p,
                   size_t n)
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
			if (c == ';') {
				h->state = S_TEXT;
				rc = entity_end(h, s);
				break;
			}
			if ((is_alpha(c) || (c >= '0' && c <= '9') ||
			     (c == '#' && h->name_len == 0)) &&
			    h->name_len < sizeof(h->name)) {
				h->name[h->name_len++] = (char)c;
				break;
			}
			h->state = S_TEXT;
			rc = entity_literal(h, s, false);
			continue;
		}
		i++;
	}
	return rc;
}

int mime_html_finish(struct mime_html *h, struct mime_sink *s)
{
	int rc = 0;
	if (h->state == S_ENTITY)
		rc = entity_literal(h, s, false);
	else if (h->state == S_LT)
		rc = text(h, s, "<", 1);
	h->state = S_TEXT;
	return rc;
}
