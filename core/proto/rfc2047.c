/* rfc2047.c - decoding of MIME encoded-words in header text.
 *
 *	encoded-word = "=?" charset ["*" language] "?" encoding "?"
 *	               encoded-text "?="		; RFC 2047 2, RFC 2231 5
 *
 * Real mail bends the RFC in ways every reader has to follow:
 * - senders split one UTF-8 (or Shift_JIS, ...) character across two
 *   adjacent encoded-words, so the bytes of adjacent words in the same
 *   charset are joined before conversion, never converted word by word;
 * - words appear glued to text ("Re:=?utf-8?q?x?="), so no surrounding
 *   whitespace is required;
 * - labels lie: "iso-8859-1" text holds Windows-1252 quotes, "gb2312" text
 *   holds GBK characters; charset.c decodes the superset, as WHATWG's
 *   Encoding Standard does;
 * - raw 8-bit bytes outside any word; imap4_rfc2047_decode() keeps them
 *   if they are UTF-8 and replaces them by U+FFFD otherwise, and
 *   imap4_header_decode() first reads them as mail readers do (in the
 *   message's own charset where they are not UTF-8, charset.c);
 * - a byte invalid in the charset (Latin-1 "=E9" under a utf-8 label): it
 *   becomes U+FFFD and the rest of the run is decoded, as other readers
 *   do, so that one bad byte does not hide the words around it.
 * What cannot be read at all is left as it was, so that nothing is lost or
 * made up: text that is not an encoded-word (bad B or Q text included),
 * and words in a charset nobody knows.
 */
#include "proto/rfc2047.h"

#include "imap4.h"
#include "proto/charset.h"
#include "proto/hex.h"
#include "proto/utf8.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer names exist nowhere; the bound keeps the iconv name on the stack. */
#define CHARSET_MAX IMAP4_CHARSET_MAX

struct word {
	const char *start; /* "=?" */
	size_t len;        /* through "?=" */
	char charset[CHARSET_MAX + 1];
	const char *text; /* encoded-text */
	size_t text_len;
	char encoding; /* 'B' or 'Q' */
};

/* A run of adjacent words in one charset, waiting for conversion. */
struct group {
	bool active;
	char charset[CHARSET_MAX + 1];
	const char *start; /* raw text of the run, kept if the charset
	                      is unknown */
	const char *end;
	/* bytes: decoded, not yet converted; spare: the next run's, swapped
	 * in when it starts; conv: the run converted to UTF-8. */
	struct imap4_rfc2047_scratch *sc;
	const char *gap; /* whitespace before the run, or NULL */
	size_t gap_len;
};

static bool is_charset_char(unsigned char c)
{
	/* Deliberately narrower than RFC 2047's token: no "/" so that a
	 * label cannot smuggle iconv suffixes such as "//IGNORE". */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == ':' || c == '+';
}

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses an encoded-word at s (which starts with "=?"). */
static bool parse_word(struct word *w, const char *s, const char *end)
{
	const char *p = s + 2, *cs = p;

	while (p < end && is_charset_char((unsigned char)*p))
		p++;
	size_t cslen = (size_t)(p - cs);
	if (cslen == 0 || cslen > CHARSET_MAX)
		return false;
	memcpy(w->charset, cs, cslen);
	w->charset[cslen] = '\0';
	if (p < end && *p == '*') {
		/* RFC 2231 language tag: ALPHA 1*8 and "-" subtags */
		const char *lang = ++p;
		while (p < end && (is_charset_char((unsigned char)*p)))
			p++;
		if (p == lang)
			return false;
	}
	if (end - p < 4 || p[0] != '?' || p[2] != '?')
		return false;
	if (p[1] == 'B' || p[1] == 'b')
		w->encoding = 'B';
	else if (p[1] == 'Q' || p[1] == 'q')
		w->encoding = 'Q';
	else
		return false;
	p += 3;
	w->text = p;
	while (p < end && *p != '?') {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
		p++;
	}
	if (end - p < 2 || p[1] != '=')
		return false;
	w->text_len = (size_t)(p - w->text);
	w->start = s;
	w->len = (size_t)(p + 2 - s);
	return true;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The bytes of a word, appended to b. 1 when the encoded-text is valid, 0
 * when not (b then unchanged), < 0 on no memory. The bytes never
 * outnumber the text, so the room is made once. */
static int decode_text(struct imap4_buf *b, const struct word *w)
{
	const char *t = w->text;
	size_t n = w->text_len;
	int rc = imap4_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	char *d = b->data + b->len, *start = d;

	if (w->encoding == 'Q') {
		for (size_t i = 0; i < n; i++) {
			if (t[i] == '_') {
				*d++ = ' ';
			} else if (t[i] == '=') {
				int hi, lo;
				if (n - i < 3 ||
				    (hi = imap4_hex_value(t[i + 1])) < 0 ||
				    (lo = imap4_hex_value(t[i + 2])) < 0)
					goto invalid;
				*d++ = (char)(hi << 4 | lo);
				i += 2;
			} else {
				*d++ = t[i];
			}
		}
		goto valid;
	}

	/* B: padding is optional in practice, but a lone sextet or a
	 * character after the padding means the text was damaged. */
	uint32_t bits = 0;
	unsigned nbits = 0;
	size_t i = 0, pad = 0;
	for (; i < n && t[i] != '='; i++) {
		int v = b64_value(t[i]);
		if (v < 0)
			goto invalid;
		bits = (bits << 6 | (uint32_t)v) & 0xffffff;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			*d++ = (char)(bits >> nbits);
		}
	}
	for (; i < n; i++, pad++)
		if (t[i] != '=')
			goto invalid;
	if ((i - pad) % 4 == 1 || pad > 2 || (pad && (i % 4) != 0))
		goto invalid;
valid:
	b->len += (size_t)(d - start);
	b->data[b->len] = '\0';
	return 1;

invalid:
	b->data[b->len] = '\0';
	return 0;
}

static int emit_raw(struct imap4_buf *out, const char *s, size_t len)
{
	return imap4_utf8_append_sanitized(out, s, len);
}

/* The bytes of a run that the strict conversion refused, converted with
 * U+FFFD for each byte that does not decode. Still the run as one text,
 * not word by word: a character split across two of its words joins even
 * when another word is damaged. 1 done; 0 when the charset is unknown
 * (conv unchanged); < 0 on no memory. */
static int convert_lenient(struct imap4_buf *conv, const char *charset,
                           const struct imap4_buf *bytes)
{
	struct imap4_charset_stream cs;
	size_t used;
	int rc = imap4_charset_stream_open(&cs, charset);

	if (rc == 1) {
		rc = imap4_charset_stream_feed(&cs, conv,
		                               bytes->data ? bytes->data : "",
		                               bytes->len, true, &used);
		if (rc == 0)
			rc = 1;
	}
	imap4_charset_stream_close(&cs);
	return rc;
}

/* Converts the pending group and writes it, with the whitespace before it
 * unless both it and the previous group were decoded (RFC 2047 6.2).
 * *prev_ok tells whether the previous group was decoded. */
static int flush_group(struct imap4_buf *out, struct group *g, bool *prev_ok)
{
	struct imap4_buf *conv = &g->sc->conv, *bytes = &g->sc->bytes;
	int rc, ok;

	if (!g->active)
		return 0;
	g->active = false;
	imap4_buf_reset(conv);
	/* Strict first: it is the fast path (no iconv for UTF-8 and the
	 * Latin-1 family), and it tells a valid run from a damaged one. */
	ok = imap4_charset_convert(conv, g->charset,
	                           bytes->data ? bytes->data : "", bytes->len);
	if (ok == 0)
		ok = convert_lenient(conv, g->charset, bytes);
	imap4_buf_reset(bytes);
	if (ok < 0)
		return ok;
	rc = 0;
	if (g->gap && !(ok && *prev_ok))
		rc = emit_raw(out, g->gap, g->gap_len);
	if (rc == 0)
		rc = ok ? emit_raw(out, conv->data ? conv->data : "", conv->len)
		        : emit_raw(out, g->start, (size_t)(g->end - g->start));
	*prev_ok = ok == 1;
	return rc;
}

static bool all_lws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lws(s[i]))
			return false;
	return true;
}

static int decode(struct imap4_buf *out, struct group *g, const char *s,
                  size_t len)
{
	const char *end = s + len, *last = s, *p = s;
	bool prev_ok = false;
	int rc;

	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		struct word w;
		if (end - p < 2 || p[1] != '?' || !parse_word(&w, p, end)) {
			p++;
			continue;
		}
		bool same = g->active && strcasecmp(g->charset, w.charset) == 0;
		bool adjacent = g->active && all_lws(last, (size_t)(p - last));
		/* A word that starts a new run is decoded aside: the pending
		 * run still owns the group's buffer until it is flushed, and
		 * a broken word is plain text that flushes nothing. */
		if (!(same && adjacent)) {
			imap4_buf_reset(&g->sc->spare);
			rc = decode_text(&g->sc->spare, &w);
			if (rc <= 0) {
				if (rc < 0)
					return rc;
				p++; /* broken: plain text */
				continue;
			}
			rc = flush_group(out, g, &prev_ok);
			if (rc == 0 && !adjacent) {
				rc = emit_raw(out, last, (size_t)(p - last));
				prev_ok = false;
			}
			if (rc < 0)
				return rc;
			g->gap = adjacent ? last : NULL;
			g->gap_len = (size_t)(p - last);
			struct imap4_buf run = g->sc->spare;
			g->sc->spare = g->sc->bytes;
			g->sc->bytes = run;
			g->active = true;
			g->start = p;
			memcpy(g->charset, w.charset, sizeof(g->charset));
		} else {
			rc = decode_text(&g->sc->bytes, &w);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				p++; /* broken: plain text, ends the run */
				continue;
			}
		}
		g->end = p + w.len;
		p = last = g->end;
	}
	rc = flush_group(out, g, &prev_ok);
	if (rc == 0)
		rc = emit_raw(out, last, (size_t)(end - last));
	return rc;
}

void imap4_rfc2047_scratch_init(struct imap4_rfc2047_scratch *sc)
{
	imap4_buf_init(&sc->bytes, 0);
	imap4_buf_init(&sc->spare, 0);
	imap4_buf_init(&sc->conv, 0);
	imap4_buf_init(&sc->raw, 0);
}

void imap4_rfc2047_scratch_clear(struct imap4_rfc2047_scratch *sc)
{
	imap4_buf_clear(&sc->bytes);
	imap4_buf_clear(&sc->spare);
	imap4_buf_clear(&sc->conv);
	imap4_buf_clear(&sc->raw);
}

int imap4_rfc2047_decode_scratch(struct imap4_buf *out,
                                 struct imap4_rfc2047_scratch *sc,
                                 const char *s, size_t len)
{
	struct group g;
	int rc;

	if (!out || !sc || (!s && len))
		return IMAP4_EINVAL;
	size_t mark = out->len;
	memset(&g, 0, sizeof(g));
	/* Nothing of an earlier call, even a failed one, can leak in: a
	 * run starts in spare, which is reset first, and conv is reset
	 * before each conversion. */
	g.sc = sc;
	rc = decode(out, &g, s ? s : "", len);
	if (rc < 0) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return rc;
}

/* The raw text is read first and the words after: an encoded-word is
 * ASCII, which every charset the raw text is read in keeps as it is,
 * while the two bytes of a raw ISO-2022-JP or Shift_JIS character may
 * look like "=?" or "?=". */
int imap4_header_decode_scratch(struct imap4_buf *out,
                                struct imap4_rfc2047_scratch *sc, const char *s,
                                size_t len, const char *charset)
{
	if (!out || !sc || (!s && len))
		return IMAP4_EINVAL;
	if (!s || !imap4_charset_header_raw(s, len))
		return imap4_rfc2047_decode_scratch(out, sc, s, len);
	imap4_buf_reset(&sc->raw);
	int rc = imap4_charset_header_append(&sc->raw, s, len, charset);
	if (rc < 0)
		return rc;
	return imap4_rfc2047_decode_scratch(
	        out, sc, sc->raw.data ? sc->raw.data : "", sc->raw.len);
}

int imap4_header_decode(char **out, const char *s, size_t len,
                        const char *charset)
{
	struct imap4_rfc2047_scratch sc;
	struct imap4_buf b;

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	imap4_buf_init(&b, 0);
	imap4_rfc2047_scratch_init(&sc);
	int rc = imap4_header_decode_scratch(&b, &sc, s, len, charset);
	imap4_rfc2047_scratch_clear(&sc);
	if (rc < 0) {
		imap4_buf_clear(&b);
		return rc;
	}
	*out = imap4_buf_steal(&b, NULL);
	return *out ? 0 : IMAP4_ENOMEM;
}

int imap4_rfc2047_decode_append(struct imap4_buf *out, const char *s,
                                size_t len)
{
	struct imap4_rfc2047_scratch sc;

	imap4_rfc2047_scratch_init(&sc);
	int rc = imap4_rfc2047_decode_scratch(out, &sc, s, len);
	imap4_rfc2047_scratch_clear(&sc);
	return rc;
}

int imap4_rfc2047_decode(char **out, const char *s, size_t len)
{
	struct imap4_buf b;
	int rc;

	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	imap4_buf_init(&b, 0);
	rc = imap4_rfc2047_decode_append(&b, s, len);
	if (rc < 0) {
		imap4_buf_clear(&b);
		return rc;
	}
	*out = imap4_buf_steal(&b, NULL);
	return *out ? 0 : IMAP4_ENOMEM;
}
