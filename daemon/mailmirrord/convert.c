/* convert.c - typed FETCH data to cache rows; see convert.h.
 *
 * A row's strings are written one after another, NUL-terminated, into one
 * buffer that becomes the row's only allocation: the initial sync converts
 * a hundred thousand envelopes, and a malloc and a printf per field were
 * most of its conversion time.
 */
#include "mailmirrord/convert.h"

#include "proto/charset.h"
#include "proto/mime_text.h"
#include "proto/rfc2047.h"
#include "util/ascii.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A field's place in the row's buffer; NO_FIELD for NULL. */
#define NO_FIELD SIZE_MAX

/* The room a row's buffer starts with: a typical envelope's strings take
 * 300 bytes, so one allocation holds most rows instead of a malloc and a
 * realloc per message. */
#define ROW_ROOM 512

/* How many bytes at the start of s[0..len) are already valid UTF-8
 * without NUL: all of them for nearly every string a server sends. */
static size_t utf8_prefix(const char *s, size_t len)
{
	struct imap4_charset_stream cs;
	/* Without a label the stream allocates nothing and cannot fail. */
	imap4_charset_stream_open(&cs, NULL);
	size_t same = imap4_charset_stream_same(&cs, s, len);
	imap4_charset_stream_close(&cs);
	return same;
}

/* Appends s[0..len) as UTF-8 text. Every TEXT column is UTF-8 (schema.md),
 * but header bytes come raw from the server: 8-bit headers without any
 * label are still common, and they hold Latin-1 far more often than
 * anything else ("M\xfcller"). So bytes that are valid UTF-8 are kept and
 * any other byte is read as windows-1252 (the superset of Latin-1 that
 * such senders use), which keeps the name readable where U+FFFD would
 * lose it; NUL becomes U+FFFD, so that the text is a C string. */
static int put_text(struct imap4_buf *b, const char *s, size_t len)
{
	size_t same = utf8_prefix(s, len), used;
	int rc = imap4_buf_append(b, s, same);

	if (rc == 0 && same < len) {
		struct imap4_charset_stream cs;
		imap4_charset_stream_open(&cs, NULL);
		rc = imap4_charset_stream_feed(&cs, b, s + same, len - same,
		                               true, &used);
		imap4_charset_stream_close(&cs);
	}
	return rc;
}

/* put_text for a C string (so without NUL). Text that is all ASCII is
 * what put_text would write unchanged: addresses and flags nearly always
 * are, and a charset stream per field was a tenth of the account thread
 * in a first sync. */
static int put_len(struct imap4_buf *b, const char *s, size_t len)
{
	if (imap4_ascii_span(s, len) == len)
		return imap4_buf_append(b, s, len);
	return put_text(b, s, len);
}

static int put(struct imap4_buf *b, const char *s)
{
	return put_len(b, s, strlen(s));
}

/* Whether s[0..len) holds "=?", without which there is no encoded-word. */
static bool may_hold_word(const char *s, size_t len)
{
	const char *end = s + len, *p = s;
	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if (++p < end && *p == '?')
			return true;
	}
	return false;
}

/* What decodes the names and the subject of one envelope: the decoder's
 * buffers, and the charset its message declares (imap4_envelope.charset,
 * NULL for none), which raw 8-bit text that is not UTF-8 is read in. */
struct decoder {
	struct imap4_rfc2047_scratch sc;
	const char *charset;
};

/* ASCII text without "=?" or ESC (no encoded-word, no ISO-2022 escape)
 * decodes to itself: most names and subjects skip the decoder. */
static int put_decoded(struct imap4_buf *b, struct decoder *d, const char *s)
{
	size_t len = strlen(s);

	if (imap4_ascii_span(s, len) == len && !may_hold_word(s, len) &&
	    !memchr(s, 0x1b, len))
		return imap4_buf_append(b, s, len);
	return imap4_header_decode_scratch(b, &d->sc, s, len, d->charset) < 0
	               ? -1
	               : 0;
}

enum { FLAGS_ALL, FLAGS_SYSTEM, FLAGS_KEYWORDS };

/* The flags of msg into b, space-separated, in the server's order, but
 * \Recent; which tells all of them, the system flags alone or the
 * keywords alone. Past limit bytes (0: none) a flag is left out and
 * counted in *dropped. */
static int put_flag_words(struct imap4_buf *b, size_t start,
                          const imap4_msg *msg, int which, size_t limit,
                          unsigned *dropped)
{
	for (size_t i = 0; i < msg->nflags; i++) {
		/* \Recent belongs to one session (RFC 3501 2.3.2; gone in
		 * IMAP4rev2): the mirror would show whichever session
		 * happened to see it first. */
		const char *f = msg->flags[i];
		bool system = f[0] == '\\';
		if ((which == FLAGS_SYSTEM && !system) ||
		    (which == FLAGS_KEYWORDS && system) ||
		    (system && strcasecmp(f, "\\Recent") == 0))
			continue;
		size_t before = b->len;
		if ((b->len > start && imap4_buf_putc(b, ' ') < 0) ||
		    put(b, f) < 0)
			return -1;
		if (limit && b->len - start > limit) {
			b->len = before;
			(*dropped)++;
		}
	}
	return 0;
}

/* The flags into b; *dropped counts those left out. A message with more
 * than the cache keeps (STORE_FLAGS_MAX bytes: some 8,000 keywords, which
 * no client shows) keeps its system flags, put first, and the keywords
 * that fit: one such message must not stop its mailbox's sync, as a
 * refused batch would. */
static int put_flags(struct imap4_buf *b, const imap4_msg *msg,
                     unsigned *dropped)
{
	size_t start = b->len;
	*dropped = 0;
	if (put_flag_words(b, start, msg, FLAGS_ALL, 0, dropped) < 0)
		return -1;
	if (b->len - start <= STORE_FLAGS_MAX)
		return 0;
	b->len = start;
	if (put_flag_words(b, start, msg, FLAGS_SYSTEM, STORE_FLAGS_MAX,
	                   dropped) < 0 ||
	    put_flag_words(b, start, msg, FLAGS_KEYWORDS, STORE_FLAGS_MAX,
	                   dropped) < 0)
		return -1;
	return 0;
}

/* Whether a display name must be quoted to read back as one: RFC 5322's
 * specials but ".", which names carry unquoted everywhere ("John Q.
 * Public"). A decoded name may hold anything: "Doe, John" would read as
 * two entries, and an encoded-word that decodes to `"Bank" <a@bank>`
 * as an address of its own before the real one. */
static bool needs_quotes(const char *s, size_t len)
{
	static const bool special[256] = {
	        ['('] = true, [')'] = true, ['<'] = true, ['>'] = true,
	        ['['] = true, [']'] = true, [':'] = true, [';'] = true,
	        ['@'] = true, ['\\'] = true, [','] = true, ['"'] = true,
	};
	for (size_t i = 0; i < len; i++)
		if (special[(unsigned char)s[i]])
			return true;
	return false;
}

/* A display name (or a group's), decoded, as a quoted-string when it
 * needs one: `"` and `\` escaped with `\`. */
static int put_phrase(struct imap4_buf *b, struct decoder *d, const char *name)
{
	size_t mark = b->len;
	if (put_decoded(b, d, name) < 0)
		return -1;
	size_t len = b->len - mark;
	if (!needs_quotes(b->data + mark, len))
		return 0;
	char *raw = malloc(len);
	if (raw == NULL)
		return -1;
	memcpy(raw, b->data + mark, len);
	b->len = mark;
	int rc = imap4_buf_putc(b, '"');
	for (size_t i = 0; i < len && rc == 0; i++) {
		if (raw[i] == '"' || raw[i] == '\\')
			rc = imap4_buf_putc(b, '\\');
		if (rc == 0)
			rc = imap4_buf_putc(b, raw[i]);
	}
	free(raw);
	return rc == 0 ? imap4_buf_putc(b, '"') : -1;
}

static int put_address(struct imap4_buf *b, struct decoder *d,
                       const imap4_address *a)
{
	size_t mark = b->len;
	bool named = false;
	if (a->name) {
		if (put_phrase(b, d, a->name) < 0)
			return -1;
		named = b->len > mark;
		if (named && imap4_buf_append(b, " <", 2) < 0)
			return -1;
	}
	if ((a->mailbox && put(b, a->mailbox) < 0) ||
	    imap4_buf_putc(b, '@') < 0 || put(b, a->host) < 0)
		return -1;
	return named ? imap4_buf_putc(b, '>') : 0;
}

/* Appends the list; *empty tells whether it wrote nothing. */
static int put_addresses(struct imap4_buf *b, struct decoder *d,
                         const imap4_address *list, bool *empty)
{
	size_t start = b->len;
	bool first = true;
	/* RFC 3501 7.4.2: a NIL host starts a group (mailbox is its name)
	 * and a NIL host with a NIL mailbox ends it. */
	for (const imap4_address *a = list; a; a = a->next) {
		int rc;
		if (!a->host) {
			if (a->mailbox) {
				rc = first ? 0 : imap4_buf_append(b, ", ", 2);
				if (rc == 0)
					rc = put_phrase(b, d, a->mailbox);
				if (rc == 0)
					rc = imap4_buf_putc(b, ':');
				first = true;
			} else {
				rc = imap4_buf_putc(b, ';');
				first = false;
			}
			if (rc < 0)
				return -1;
			continue;
		}
		if (!first)
			rc = imap4_buf_append(b, ", ", 2);
		else if (b->len > start && b->data[b->len - 1] == ':')
			rc = imap4_buf_putc(b, ' ');
		else
			rc = 0;
		if (rc < 0 || put_address(b, d, a) < 0)
			return -1;
		first = false;
	}
	*empty = b->len == start;
	return 0;
}

/* The length of the control character that p (UTF-8, left bytes) starts
 * with, or 0: C0 and DEL; C1, whose CSI (U+009B) starts an escape sequence
 * alone and whose NEL (U+0085) ends a line; and the line and paragraph
 * separators, which tools that split lines by Unicode's rules honour. */
static size_t control_at(const unsigned char *p, size_t left)
{
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 1;
	if (p[0] == 0xc2 && left >= 2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (p[0] == 0xe2 && left >= 3 && p[1] == 0x80 &&
	    (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* Whether the eight bytes of x are all printable ASCII (0x20..0x7e), which
 * no control sequence above starts with: most of a field, a word at a time.
 * Adding one to each byte carries into the high bit only from 0x7f and up,
 * and a carry out of a byte needs a high bit there already. */
static bool printable8(uint64_t x)
{
	return !(((x | (x + IMAP4_ASCII_ONES)) & IMAP4_ASCII_HIGH) |
	         imap4_ascii_below(x, 0x20));
}

/* Ends the field that started at *at with a NUL; an empty address list is
 * no field at all. A field is one line of text: each control character a
 * server (or an encoded-word) put in it becomes a space, since the cache
 * is read by tools that print what they find (an escape sequence in a
 * subject would drive their terminal). */
static int end_field(struct imap4_buf *b, size_t *at, bool none)
{
	if (none) {
		b->len = *at;
		*at = NO_FIELD;
		return 0;
	}
	unsigned char *d = (unsigned char *)b->data;
	size_t out = *at;
	for (size_t i = *at; i < b->len;) {
		uint64_t x;
		if (b->len - i >= 8 && (memcpy(&x, d + i, 8), printable8(x))) {
			memmove(d + out, d + i, 8);
			out += 8;
			i += 8;
			continue;
		}
		size_t n = control_at(d + i, b->len - i);
		if (n) {
			d[out++] = ' ';
			i += n;
		} else {
			d[out++] = d[i++];
		}
	}
	b->len = out;
	return imap4_buf_putc(b, '\0');
}

char *conv_flags(const imap4_msg *msg, unsigned *dropped)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	if (put_flags(&b, msg, dropped) < 0 || imap4_buf_putc(&b, '\0') < 0) {
		imap4_buf_clear(&b);
		return NULL;
	}
	return imap4_buf_steal(&b, NULL);
}

char *conv_addresses(const imap4_address *list)
{
	struct imap4_buf b;
	struct decoder d = {.charset = NULL};
	bool empty = true;
	imap4_buf_init(&b, 0);
	imap4_rfc2047_scratch_init(&d.sc);
	int rc = put_addresses(&b, &d, list, &empty);
	imap4_rfc2047_scratch_clear(&d.sc);
	if (rc < 0 || empty || imap4_buf_putc(&b, '\0') < 0) {
		imap4_buf_clear(&b);
		return NULL;
	}
	return imap4_buf_steal(&b, NULL);
}

/* ---- bodies */

void conv_body_clear(struct conv_body *b)
{
	free(b->block);
	memset(b, 0, sizeof(*b));
}

/* What a section holds of a message's header. */
enum header_kind {
	HEADER_NONE,
	HEADER_WHOLE,  /* BODY[HEADER], or BODY[] partial or not */
	HEADER_FIELDS, /* BODY[HEADER.FIELDS (...)]: some fields alone */
};

static enum header_kind header_kind(const imap4_section *s)
{
	if (!s->section)
		return HEADER_NONE;
	/* As asked, "HEADER.FIELDS (DATE ...)"; some servers echo it
	 * without the space, or without the list: the fields all the same,
	 * never HEADER.FIELDS.NOT. */
	if (strncasecmp(s->section, "HEADER.FIELDS", 13) == 0 &&
	    (s->section[13] == ' ' || s->section[13] == '(' ||
	     s->section[13] == '\0'))
		return HEADER_FIELDS;
	return s->section[0] == '\0' || strcasecmp(s->section, "HEADER") == 0
	               ? HEADER_WHOLE
	               : HEADER_NONE;
}

/* Whether the n bytes at d end with the empty line that ends a header. */
static bool ends_header(const char *d, size_t n)
{
	return (n >= 2 && d[n - 1] == '\n' &&
	        (d[n - 2] == '\n' ||
	         (n >= 3 && d[n - 2] == '\r' && d[n - 3] == '\n'))) ||
	       (n == 2 && d[0] == '\r' && d[1] == '\n');
}

/* Whether s came as an empty string for a message msg's RFC822.SIZE says
 * is not empty: no header, not even the empty line that ends one (RFC 3501
 * 6.4.5), so not the message's, but a server's failure to read it, as NIL
 * would be. Taken as the message, it was cached with neither envelope nor
 * body, unsaid (explore82 s11). */
static bool section_empty(const imap4_section *s, const imap4_msg *msg)
{
	return !s->nil && !s->streamed && s->len == 0 &&
	       (msg->have & IMAP4_HAVE_SIZE) && msg->size > 0;
}

/* The body section of msg: BODY[] (possibly partial) or BODY[HEADER]. */
static const imap4_section *body_section(const imap4_msg *msg, bool *whole)
{
	if (!(msg->have & IMAP4_HAVE_SECTIONS))
		return NULL;
	for (const imap4_section *s = msg->sections; s; s = s->next) {
		if (s->nil || s->streamed || !s->data ||
		    header_kind(s) != HEADER_WHOLE || section_empty(s, msg))
			continue;
		*whole = s->section[0] == '\0';
		return s;
	}
	return NULL;
}

/* Whether the len bytes at data taken of msg's section (whole: BODY[],
 * else BODY[HEADER]; partial: as the answer to a partial fetch) hold
 * only the start of what they are of: a partial fetch that brought all it
 * asked for (cap bytes) of a larger message, or of a header that has not
 * ended (one of exactly cap bytes ends with its empty line). A header cut
 * so is marked as a text is: its List-Id or Message-ID may be in what
 * was left on the server. */
static bool section_cut(const char *data, size_t len, bool partial,
                        const imap4_msg *msg, bool whole, uint64_t cap)
{
	if (!partial || len < cap)
		return false;
	if (whole)
		return (msg->have & IMAP4_HAVE_SIZE) && len < msg->size;
	return !ends_header(data, len);
}

/* The length of d[0..n) without a UTF-8 sequence the end cuts short: a
 * character a cut split, whose first byte alone would read as
 * windows-1252 ("\xc3" of "\xc3\xa9" as "Ã"). */
static size_t before_split_utf8(const char *d, size_t n)
{
	const unsigned char *u = (const unsigned char *)d;
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = u[n - k];
		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: its lead is before */
		size_t want = c >= 0xf0 && c <= 0xf4   ? 4
		              : c >= 0xe0 && c <= 0xef ? 3
		              : c >= 0xc2 && c <= 0xdf ? 2
		                                       : 1;
		return want > k ? n - k : n;
	}
	return n;
}

int conv_body(struct conv_body *out, const imap4_msg *msg, uint64_t cap)
{
	memset(out, 0, sizeof(*out));
	bool whole = false;
	const imap4_section *s = body_section(msg, &whole);
	if (!s || !(msg->have & IMAP4_HAVE_UID))
		return 0;
	/* More than the <0.cap> asked for (a server that ignores partial
	 * fetches; the connection's limit is above a small cap): its start,
	 * as the partial answer would have brought it. */
	size_t len = s->len;
	bool partial = s->has_origin;
	if (cap && len > cap) {
		len = (size_t)cap;
		partial = true;
	}
	bool cut = section_cut(s->data, len, partial, msg, whole, cap);
	/* The header block ends at the first empty line (RFC 5322 2.1); a
	 * message without one is all header, or a header the cut ended. */
	const char *sep = memmem(s->data, len, "\r\n\r\n", 4);
	size_t hlen = sep   ? (size_t)(sep - s->data) + 2
	              : cut ? before_split_utf8(s->data, len)
	                    : len;
	/* A header block the cut ended is stored without a last CRLF, so
	 * that one that ends with CRLF is whole: under "full" a cut right
	 * after the empty line leaves no text either, and only that tells
	 * the two apart when the text goes (ST_BODY_TRIM_TEXT). */
	if (!sep && cut && hlen >= 2 && s->data[hlen - 2] == '\r' &&
	    s->data[hlen - 1] == '\n')
		hlen -= 2;
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	/* The header and the text of a message nearly always take less than
	 * the message: one allocation, where doubling from 256 bytes copied
	 * each body six times over. (+ 2: the two NULs.) */
	if (len < SIZE_MAX - 2 && imap4_buf_reserve(&b, len + 2) < 0)
		goto nomem;
	if (put_text(&b, s->data, hlen) < 0 || imap4_buf_putc(&b, '\0') < 0)
		goto nomem;
	/* The text is what a reader shows (decoded, attachments named, not
	 * included): it is what people read and search, and raw MIME would
	 * fill the index with base64. */
	size_t text_at = b.len;
	int limited = 0;
	/* Without the empty line there is no text: the fetch (cut by
	 * max_body_size) ended inside the header, whose last line the text
	 * extraction would take for a body. A text the fetch cut ends
	 * without what the cut split ("=C" of "=C3", half a character). */
	if (whole && sep)
		limited = cut ? imap4_mime_text_partial(&b, s->data, len, 0)
		              : imap4_mime_text(&b, s->data, len, 0);
	if (limited < 0 || (whole && imap4_buf_putc(&b, '\0') < 0))
		goto nomem;
	out->bytes = b.len;
	out->block = imap4_buf_steal(&b, NULL);
	if (!out->block)
		return -1;
	out->b.uid = msg->uid;
	out->b.headers = out->block;
	out->b.headers_len = text_at - 1;
	out->b.body = whole ? out->block + text_at : NULL;
	out->b.body_len = whole ? out->bytes - text_at - 1 : 0;
	out->b.truncated = limited == 1 || cut;
	return 1;
nomem:
	imap4_buf_clear(&b);
	return -1;
}

/* ---- messages */

void conv_clear(struct conv_msg *c)
{
	free(c->text);
	c->text = NULL;
	conv_body_clear(&c->body);
}

enum field {
	F_FLAGS,
	F_SUBJECT,
	F_FROM,
	F_SENDER,
	F_REPLY_TO,
	F_TO,
	F_CC,
	F_BCC,
	F_MESSAGE_ID,
	F_IN_REPLY_TO,
	F_COUNT
};

/* Writes the row's strings into b, each field's offset in at[]; e is the
 * message's envelope or NULL. */
static int put_fields(struct imap4_buf *b, struct decoder *d,
                      size_t at[F_COUNT], const imap4_msg *msg,
                      const imap4_envelope *e, unsigned *flags_dropped)
{
	for (int i = 0; i < F_COUNT; i++)
		at[i] = NO_FIELD;
	if (msg->have & IMAP4_HAVE_FLAGS) {
		at[F_FLAGS] = b->len;
		if (put_flags(b, msg, flags_dropped) < 0 ||
		    end_field(b, &at[F_FLAGS], false) < 0)
			return -1;
	}
	if (!e)
		return 0;
	d->charset = e->charset;
	if (e->subject) {
		at[F_SUBJECT] = b->len;
		if (put_decoded(b, d, e->subject) < 0 ||
		    end_field(b, &at[F_SUBJECT], false) < 0)
			return -1;
	}
	const imap4_address *lists[] = {
	        [F_FROM] = e->from,
	        [F_SENDER] = e->sender,
	        [F_REPLY_TO] = e->reply_to,
	        [F_TO] = e->to,
	        [F_CC] = e->cc,
	        [F_BCC] = e->bcc,
	};
	for (int f = F_FROM; f <= F_BCC; f++) {
		bool empty = true;
		if (!lists[f])
			continue;
		at[f] = b->len;
		if (put_addresses(b, d, lists[f], &empty) < 0 ||
		    end_field(b, &at[f], empty) < 0)
			return -1;
	}
	/* Copies, so that a row outlives the response it came from (sync.c
	 * writes rows after the FETCH completes). */
	const char *ids[] = {[F_MESSAGE_ID] = e->message_id,
	                     [F_IN_REPLY_TO] = e->in_reply_to};
	for (int f = F_MESSAGE_ID; f <= F_IN_REPLY_TO; f++) {
		if (!ids[f])
			continue;
		at[f] = b->len;
		if (put(b, ids[f]) < 0 || end_field(b, &at[f], false) < 0)
			return -1;
	}
	return 0;
}

const imap4_section *conv_header_section(const imap4_msg *msg)
{
	if (!(msg->have & IMAP4_HAVE_SECTIONS))
		return NULL;
	const imap4_section *best = NULL;
	for (const imap4_section *s = msg->sections; s; s = s->next) {
		if (s->nil || s->streamed || !s->data)
			continue;
		/* The fields alone, where a small max_body_size may have cut
		 * the whole message inside its header. */
		enum header_kind kind = header_kind(s);
		if (kind == HEADER_FIELDS)
			return s;
		if (kind == HEADER_WHOLE)
			best = s;
	}
	return best;
}

bool conv_carries_row(const imap4_msg *msg)
{
	if ((msg->have & IMAP4_HAVE_ENVELOPE) && msg->envelope)
		return true;
	if (!(msg->have & IMAP4_HAVE_SECTIONS))
		return false;
	/* A header the server could not give (NIL) still answers the FETCH
	 * of a new message: its row is kept, with an empty envelope, as
	 * with an ENVELOPE of NILs; skipped, the message would be missed. */
	for (const imap4_section *s = msg->sections; s; s = s->next)
		if (header_kind(s) != HEADER_NONE)
			return true;
	return false;
}

bool conv_header_refused(const imap4_msg *msg)
{
	if ((msg->have & IMAP4_HAVE_ENVELOPE) && msg->envelope)
		return false;
	bool nil = false;
	for (const imap4_section *s = msg->sections; s; s = s->next) {
		/* A body cut as it streamed comes again before it, as the
		 * bytes kept (sync_cut_msg): that copy tells. */
		if (header_kind(s) == HEADER_NONE || s->streamed)
			continue;
		if (!s->nil && !section_empty(s, msg))
			return false;
		nil = true;
	}
	return nil;
}

/* Whether a partial BODY[] of n bytes at d holds its header whole. */
static bool holds_header(const char *d, size_t n, const imap4_msg *msg)
{
	if ((msg->have & IMAP4_HAVE_SIZE) && n >= msg->size)
		return true; /* the whole message */
	/* an empty header: the message starts with the empty line */
	if ((n >= 1 && d[0] == '\n') ||
	    (n >= 2 && d[0] == '\r' && d[1] == '\n'))
		return true;
	return memmem(d, n, "\n\r\n", 3) || memmem(d, n, "\n\n", 2);
}

/* How much of section s holds whole header fields. A partial fetch
 * (<0.n>: the fields, or a message under max_body_size) may end inside
 * the header, in the middle of a field: without the empty line that ends
 * a header, the last field is left out, where read it would be cut ("a
 * second-recip" is no address). A whole message that is all header has
 * no empty line and is whole. */
static size_t whole_fields_len(const imap4_section *s, const imap4_msg *msg)
{
	const char *d = s->data;
	size_t n = s->len;
	if (!s->has_origin)
		return n;
	/* BODY[HEADER] and BODY[HEADER.FIELDS] end with the empty line */
	if (s->section[0] != '\0' ? ends_header(d, n) : holds_header(d, n, msg))
		return n;
	/* the start of the last field: after a line end, not white space */
	while (n > 0) {
		const char *lf = memrchr(d, '\n', n - 1);
		if (!lf)
			return 0;
		n = (size_t)(lf - d) + 1;
		if (n < s->len && d[n] != ' ' && d[n] != '\t')
			return n;
		n--;
	}
	return 0;
}

/* The envelope of msg: the server's, or built from the header it carried
 * (in scratch); NULL when it carried neither. */
static int envelope_of(const imap4_envelope **out, const imap4_msg *msg,
                       struct imap4_arena *scratch)
{
	*out = NULL;
	if ((msg->have & IMAP4_HAVE_ENVELOPE) && msg->envelope) {
		*out = msg->envelope;
		return 0;
	}
	const imap4_section *s = conv_header_section(msg);
	if (!s)
		return 0;
	size_t len = whole_fields_len(s, msg);
	return imap4_envelope_from_header(out, scratch, s->data, len) < 0 ? -1
	                                                                  : 0;
}

int conv_bare(struct conv_msg *out, uint32_t uid, const char *flags,
              int64_t size, int64_t internaldate, uint64_t modseq)
{
	memset(out, 0, sizeof(*out));
	if (flags) {
		out->bytes = strlen(flags) + 1;
		if (!(out->text = malloc(out->bytes)))
			return -1;
		memcpy(out->text, flags, out->bytes);
	}
	out->row = (struct store_msg){.uid = uid,
	                              .modseq = modseq,
	                              .flags = out->text,
	                              .internaldate = internaldate,
	                              .size = size,
	                              .date = STORE_NO_TIME};
	out->headerless = true;
	return 0;
}

int conv_msg(struct conv_msg *out, const imap4_msg *msg,
             struct imap4_arena *scratch, uint64_t body_cap)
{
	memset(out, 0, sizeof(*out));
	struct store_msg *r = &out->row;
	r->uid = msg->uid;
	r->modseq = (msg->have & IMAP4_HAVE_MODSEQ) ? msg->modseq : 0;
	r->internaldate = (msg->have & IMAP4_HAVE_INTERNALDATE)
	                          ? (int64_t)msg->internaldate
	                          : STORE_NO_TIME;
	r->size = (msg->have & IMAP4_HAVE_SIZE) ? (int64_t)msg->size : -1;
	r->date = STORE_NO_TIME;
	out->headerless = conv_header_refused(msg);
	const imap4_envelope *e;
	if (envelope_of(&e, msg, scratch) < 0)
		return -1;
	if (e) {
		time_t date;
		int zone;
		if (imap4_rfc5322_date(&date, &zone, e->date) == 0)
			r->date = (int64_t)date;
	}

	struct imap4_buf b;
	struct decoder d = {.charset = NULL};
	size_t at[F_COUNT];
	imap4_buf_init(&b, 0);
	imap4_rfc2047_scratch_init(&d.sc);
	/* - 1: the buffer keeps a byte for its NUL. */
	int rc = imap4_buf_reserve(&b, ROW_ROOM - 1);
	if (rc == 0)
		rc = put_fields(&b, &d, at, msg, e, &out->flags_dropped);
	imap4_rfc2047_scratch_clear(&d.sc);
	imap4_arena_reset(scratch);
	if (rc < 0) {
		imap4_buf_clear(&b);
		return -1;
	}
	out->bytes = b.len;
	out->text = imap4_buf_steal(&b, NULL);
	if ((!out->text && out->bytes) ||
	    (body_cap && conv_body(&out->body, msg, body_cap) < 0)) {
		conv_clear(out);
		return -1;
	}
	/* Pointers only now: the buffer moved while it grew. */
	const char **dst[F_COUNT] = {
	        [F_FLAGS] = &r->flags,
	        [F_SUBJECT] = &r->subject,
	        [F_FROM] = &r->from,
	        [F_SENDER] = &r->sender,
	        [F_REPLY_TO] = &r->reply_to,
	        [F_TO] = &r->to,
	        [F_CC] = &r->cc,
	        [F_BCC] = &r->bcc,
	        [F_MESSAGE_ID] = &r->message_id,
	        [F_IN_REPLY_TO] = &r->in_reply_to,
	};
	for (int f = 0; f < F_COUNT; f++)
		*dst[f] = at[f] == NO_FIELD ? NULL : out->text + at[f];
	return 0;
}
