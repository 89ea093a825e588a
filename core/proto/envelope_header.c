/* envelope_header.c - the ENVELOPE of a message, from its header.
 *
 * A client that fetches a message's header (the whole message, BODY[HEADER]
 * or BODY[HEADER.FIELDS (...)]) has what the server builds an ENVELOPE
 * from (RFC 3501 7.4.2), and building it here spares the server the work:
 * Dovecot 2.3 answers a FETCH of the header fields in about 60% of the
 * time it takes for ENVELOPE, and adding ENVELOPE to a FETCH of whole
 * messages made it take half as long again.
 *
 *	header = *field CRLF	; RFC 5322 2.2, a field folded onto lines
 *	field  = name ":" value	; that start with white space
 *
 * Field names are matched without regard to case. Where a field comes more
 * than once, the address lists are joined and the other fields take the
 * last one, as Dovecot does. A missing or empty Sender or Reply-To is the
 * From list (RFC 3501 7.4.2). Strings are unfolded, trimmed of white space
 * at both ends and otherwise left as sent (encoded words, 8-bit bytes); a
 * field that is there but empty is "", one that is not there NIL. A tab
 * or a NUL is a space (as in libimap4's view of a server's ENVELOPE), and
 * in the strings each run of white space one space, as Dovecot sends
 * them. A line without a colon is skipped; bare LF line ends are taken as
 * CRLF. Fields are read up to IMAP4_ENVELOPE_FIELDS_MAX bytes in all: one
 * that would pass it is left out whole, so that what an envelope takes
 * is bounded whatever a header holds, and no field is read in part.
 * When they hold raw 8-bit bytes, the charset the message declares
 * (header_charset.c) goes with them, for the reader that decodes them.
 */
#include "proto/header.h"
#include "util/ascii.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

enum env_field {
	ENV_DATE,
	ENV_SUBJECT,
	ENV_FROM,
	ENV_SENDER,
	ENV_REPLY_TO,
	ENV_TO,
	ENV_CC,
	ENV_BCC,
	ENV_IN_REPLY_TO,
	ENV_MESSAGE_ID,
	ENV_FIELDS
};

static const char *const field_names[ENV_FIELDS] = {
        [ENV_DATE] = "date",
        [ENV_SUBJECT] = "subject",
        [ENV_FROM] = "from",
        [ENV_SENDER] = "sender",
        [ENV_REPLY_TO] = "reply-to",
        [ENV_TO] = "to",
        [ENV_CC] = "cc",
        [ENV_BCC] = "bcc",
        [ENV_IN_REPLY_TO] = "in-reply-to",
        [ENV_MESSAGE_ID] = "message-id",
};

static bool is_address_field(enum env_field f)
{
	return f >= ENV_FROM && f <= ENV_BCC;
}

/* Which of the fields name is, or -1: most header lines are none of
 * them, and most are told apart by their length and first letter. */
static int field_of(const char *name, size_t n)
{
	static const unsigned char lengths[ENV_FIELDS] = {
	        [ENV_DATE] = 4,         [ENV_SUBJECT] = 7,
	        [ENV_FROM] = 4,         [ENV_SENDER] = 6,
	        [ENV_REPLY_TO] = 8,     [ENV_TO] = 2,
	        [ENV_CC] = 2,           [ENV_BCC] = 3,
	        [ENV_IN_REPLY_TO] = 11, [ENV_MESSAGE_ID] = 10,
	};
	if (n < 2 || n > 11)
		return -1;
	char first = (char)(name[0] | 0x20);
	for (int f = 0; f < ENV_FIELDS; f++)
		if (lengths[f] == n && field_names[f][0] == first &&
		    strncasecmp(field_names[f], name, n) == 0)
			return f;
	return -1;
}

#define SPACES (IMAP4_ASCII_ONES * ' ')

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the field name before colon, white space aside, is
 * Content-Type: not an envelope field, but it names the charset that
 * raw 8-bit text in the others is in (imap4_envelope.charset). */
static bool is_content_type(const char *name, const char *colon)
{
	while (colon > name && is_wsp(colon[-1]))
		colon--;
	return colon - name == 12 && strncasecmp(name, "content-type", 12) == 0;
}

/* The end of the line that starts at p: its LF, or end. */
static const char *line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	return lf ? lf : end;
}

/* An unstructured value unfolded, its tabs and NULs made spaces, each run
 * of white space one space, and trimmed, as Dovecot sends it; in arena
 * ("" when empty); NULL out of memory (*failed set). */
static const char *unfold(struct imap4_arena *arena, const char *v, size_t n,
                          bool *failed)
{
	char *out = imap4_arena_alloc(arena, n + 1);
	if (!out) {
		*failed = true;
		return NULL;
	}
	char *d = out;
	size_t i = 0;
	while (i < n) {
		/* most of a value is text without a control character or
		 * two spaces in a row (a borrow may mark a pair that is not
		 * one: that chunk is then copied a byte at a time) */
		while (n - i >= 8) {
			uint64_t x;
			memcpy(&x, v + i, 8);
			uint64_t sp = imap4_ascii_below(x ^ SPACES, 1);
			if (imap4_ascii_below(x, 0x20) || (sp & (sp << 8)) ||
			    (v[i] == ' ' && d > out && d[-1] == ' '))
				break;
			memcpy(d, v + i, 8);
			d += 8;
			i += 8;
		}
		if (i == n)
			break;
		char c = v[i++];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '\t' || c == '\0')
			c = ' ';
		if (c != ' ' || d == out || d[-1] != ' ')
			*d++ = c;
	}
	char *s = out;
	while (s < d && is_wsp(*s))
		s++;
	while (d > s && is_wsp(d[-1]))
		d--;
	*d = '\0';
	return s;
}

int imap4_envelope_from_header(const imap4_envelope **out,
                               struct imap4_arena *arena, const char *header,
                               size_t len)
{
	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	/* No header is not an empty one, whose envelope is all NIL. */
	if (!arena || !header)
		return IMAP4_EINVAL;
	imap4_envelope *e = imap4_arena_calloc(arena, 1, sizeof(*e));
	if (!e)
		return IMAP4_ENOMEM;
	const imap4_address **tails[ENV_FIELDS] = {
	        [ENV_FROM] = &e->from,
	        [ENV_SENDER] = &e->sender,
	        [ENV_REPLY_TO] = &e->reply_to,
	        [ENV_TO] = &e->to,
	        [ENV_CC] = &e->cc,
	        [ENV_BCC] = &e->bcc,
	};
	const char **strings[ENV_FIELDS] = {
	        [ENV_DATE] = &e->date,
	        [ENV_SUBJECT] = &e->subject,
	        [ENV_IN_REPLY_TO] = &e->in_reply_to,
	        [ENV_MESSAGE_ID] = &e->message_id,
	};
	const char *p = header, *end = header + len;
	const char *ctype = NULL; /* the first Content-Type's value */
	size_t ctype_len = 0;
	bool failed = false, eight_bit = false;
	size_t budget = IMAP4_ENVELOPE_FIELDS_MAX;
	while (p < end && !failed) {
		const char *eol = line_end(p, end);
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break; /* the empty line that ends the header */
		/* the field runs on over lines that start with white space */
		const char *fend = eol;
		while (fend < end && fend + 1 < end && is_wsp(fend[1]))
			fend = line_end(fend + 1, end);
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		int f = -1;
		if (colon) {
			const char *name_end = colon;
			while (name_end > p && is_wsp(name_end[-1]))
				name_end--;
			f = field_of(p, (size_t)(name_end - p));
		}
		if (f < 0 && colon && !ctype && is_content_type(p, colon)) {
			ctype = colon + 1;
			ctype_len = (size_t)(fend - ctype);
		}
		if (f >= 0 && (size_t)(fend - p) > budget)
			f = -1; /* past the bound: left out whole */
		if (f >= 0) {
			const char *v = colon + 1;
			size_t n = (size_t)(fend - v);
			budget -= (size_t)(fend - p);
			if (!eight_bit && imap4_ascii_span(v, n) < n)
				eight_bit = true;
			if (is_address_field((enum env_field)f)) {
				if (imap4_address_list_parse(&tails[f], arena,
				                             v, n) < 0)
					failed = true;
			} else {
				*strings[f] = unfold(arena, v, n, &failed);
			}
		}
		p = fend < end ? fend + 1 : end;
	}
	if (failed)
		return IMAP4_ENOMEM;
	/* Only a header with raw 8-bit text needs its charset: most have
	 * none, and the first text part of a whole message is not looked
	 * for in vain. p is at the empty line that ends the header. */
	char label[IMAP4_CHARSET_MAX + 1];
	if (eight_bit && ctype) {
		const char *body = p < end ? line_end(p, end) : end;
		body = body < end ? body + 1 : NULL;
		if (imap4_header_charset(label, ctype, ctype_len, body,
		                         body ? (size_t)(end - body) : 0) &&
		    !(e->charset =
		              imap4_arena_strndup(arena, label, strlen(label))))
			return IMAP4_ENOMEM;
	}
	if (!e->sender)
		e->sender = e->from;
	if (!e->reply_to)
		e->reply_to = e->from;
	*out = e;
	return 0;
}
