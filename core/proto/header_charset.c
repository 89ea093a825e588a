/* header_charset.c - the charset a message declares for its text, as the
 * hint for raw 8-bit bytes in its header (imap4_envelope.charset).
 *
 * RFC 5322 headers are ASCII, and RFC 2047 words are how other text goes
 * into them; yet Japanese, Chinese and Russian mailers long wrote header
 * text raw, in the charset of the message's body. Mail readers read such
 * bytes in the charset the Content-Type names, or, for a multipart
 * message, the one its first text part names: so is it done here.
 */
#include "proto/charset.h"
#include "proto/header.h"
#include "proto/mime_internal.h"

#include <string.h>
#include <strings.h>

/* How many multiparts within the body are opened to find a text part:
 * mail nests two or three (mixed around alternative around related). Each
 * walks on to the end of the message, so the bound is on all of them, not
 * on the depth: a message of thousands of multipart parts would else cost
 * a walk of the rest of the message each. */
#define OPENS_MAX 4

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the line that starts at p: past its LF, or end. */
static const char *next_line(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	return lf ? lf + 1 : end;
}

/* Reads the header that starts at p (a part's) up to its empty line:
 * its Content-Type into t (zeroed when it has none), and where its body
 * starts. */
static const char *part_header(struct mime_type *t, const char *p,
                               const char *end)
{
	bool seen = false;
	memset(t, 0, sizeof(*t));
	while (p < end) {
		const char *eol = next_line(p, end);
		if ((eol - p == 1 && *p == '\n') ||
		    (eol - p == 2 && p[0] == '\r' && p[1] == '\n'))
			return eol; /* the empty line */
		const char *fend = eol;
		while (fend < end && is_wsp(*fend))
			fend = next_line(fend, end);
		if (!seen && fend - p >= 13 &&
		    strncasecmp(p, "content-type", 12) == 0) {
			const char *c = p + 12;
			while (c < fend && is_wsp(*c))
				c++;
			if (c < fend && *c == ':') {
				seen = true;
				imap4_mime_type_parse(t, c + 1,
				                      (size_t)(fend - c - 1));
			}
		}
		p = fend;
	}
	return end;
}

/* The first delimiter line of boundary bd in p[0..end) (RFC 2046 5.1.1:
 * "--" bd at the start of a line), or NULL. */
static const char *delimiter(const char *start, const char *p, const char *end,
                             const char *bd, size_t bl)
{
	while (p < end) {
		const char *d = memmem(p, (size_t)(end - p), "--", 2);
		if (!d)
			return NULL;
		if ((d == start || d[-1] == '\n') &&
		    (size_t)(end - d - 2) >= bl && memcmp(d + 2, bd, bl) == 0)
			return d;
		p = d + 1;
	}
	return NULL;
}

/* The charset of the first text part of the multipart body p[0..end)
 * that names one, into label; *opens: how many more multiparts to open. */
static bool first_text_charset(char *label, const char *p, const char *end,
                               const char *bd, int *opens)
{
	const char *start = p;
	size_t bl = strlen(bd);
	while ((p = delimiter(start, p, end, bd, bl)) != NULL) {
		p += 2 + bl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return false; /* the close-delimiter */
		struct mime_type t;
		p = part_header(&t, next_line(p, end), end);
		if (strcmp(t.type, "text") == 0 && t.charset[0]) {
			memcpy(label, t.charset, sizeof(t.charset));
			return true;
		}
		if (*opens > 0 && strcmp(t.type, "multipart") == 0 &&
		    t.boundary[0]) {
			--*opens;
			if (first_text_charset(label, p, end, t.boundary,
			                       opens))
				return true;
		}
	}
	return false;
}

bool imap4_header_charset(char label[IMAP4_CHARSET_MAX + 1], const char *ctype,
                          size_t ctype_len, const char *body, size_t body_len)
{
	struct mime_type t;
	imap4_mime_type_parse(&t, ctype, ctype_len);
	if (t.charset[0]) {
		memcpy(label, t.charset, sizeof(t.charset));
		return true;
	}
	int opens = OPENS_MAX;
	return strcmp(t.type, "multipart") == 0 && t.boundary[0] && body &&
	       first_text_charset(label, body, body + body_len, t.boundary,
	                          &opens);
}
