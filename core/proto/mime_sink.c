/* mime_sink.c - where the extracted text goes, and plain text on its way
 * there (see mime_internal.h).
 */
#include "proto/mime_internal.h"

#include "imap4.h"
#include "util/ascii.h"

#include <stdint.h>
#include <string.h>

void imap4_mime_sink_trim(struct mime_sink *s)
{
	struct imap4_buf *b = s->out;
	while (b->len > s->start &&
	       (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' ' ||
	        b->data[b->len - 1] == '\t'))
		b->len--;
	if (b->data)
		b->data[b->len] = '\0';
}

static int put_limited(struct mime_sink *s, const char *p, size_t n)
{
	size_t room = s->limit - s->out->len;
	if (n > room) {
		/* back to the start of the character that does not fit */
		while (room > 0 && ((unsigned char)p[room] & 0xc0) == 0x80)
			room--;
		s->cut = true;
		int rc = imap4_buf_append(s->out, p, room);
		return rc < 0 ? rc : 1;
	}
	return imap4_buf_append(s->out, p, n);
}

void imap4_mime_sink_part(struct mime_sink *s)
{
	s->part_begun = true;
}

/* The part's first text is on its way: the blank line before it. */
static int sink_begin(struct mime_sink *s)
{
	s->part_begun = false;
	if (s->out->len > s->start) {
		imap4_mime_sink_trim(s);
		return put_limited(s, "\n\n", 2);
	}
	return 0;
}

int imap4_mime_sink_put(struct mime_sink *s, const char *p, size_t n)
{
	if (s->cut)
		return 1;
	if (s->part_begun) {
		while (n > 0 && *p == '\n') {
			p++;
			n--;
		}
		if (n == 0)
			return 0;
		int rc = sink_begin(s);
		if (rc)
			return rc;
	}
	return put_limited(s, p, n);
}

/* The bytes of x below 0x20 have their high bit set; above the lowest
 * such byte others may be set too (a borrow), so only the lowest counts.
 * Not an ASCII span: 8-bit bytes pass (the text is UTF-8 by now, from
 * the charset stream), and a word is copied before its marks are looked
 * at (plain_copy). */
static uint64_t control_bits(uint64_t x)
{
	return imap4_ascii_below(x, 0x20);
}

/* Plain text: line ends become LF, other control characters (but tab)
 * spaces. *cr: the previous piece ended in CR. Text is copied in runs,
 * and looked at eight bytes at a time. The rules of the sink hold for
 * every run: this is the path for a part that meets the sink's limit or
 * cap, and the reference that plain_copy() must match. */
static int plain_runs(struct mime_sink *s, bool *cr, const char *p, size_t n)
{
	size_t i = 0, run = 0;
	int rc = 0;

	if (*cr && n > 0 && p[0] == '\n')
		i = run = 1;
	*cr = false;
	while (i < n && rc == 0) {
		uint64_t x;
		if (n - i >= 8 && (memcpy(&x, p + i, 8), !control_bits(x))) {
			i += 8;
			continue;
		}
		unsigned char ch = (unsigned char)p[i++];
		if (ch >= 0x20 || ch == '\n' || ch == '\t')
			continue;
		rc = imap4_mime_sink_put(s, p + run, i - 1 - run);
		run = i;
		if (rc)
			break;
		/* CR LF: the LF follows in the next run; a lone CR, or one
		 * whose LF may start the next piece, is a line end now */
		if (ch != '\r')
			rc = imap4_mime_sink_put(s, " ", 1);
		else if (i == n || p[i] != '\n')
			rc = imap4_mime_sink_put(s, "\n", 1);
		*cr = ch == '\r' && i == n;
	}
	if (rc == 0)
		rc = imap4_mime_sink_put(s, p + run, n - run);
	return rc;
}

/* What plain_runs() writes for p[0..n) (n > 0), written straight into
 * out, which the caller has checked can take n more bytes: the text never
 * grows (CR LF and lone CR become LF, a control character a space), so
 * nothing can reach the sink's limit. A call per line through the sink
 * was most of a first sync's text extraction. */
static int plain_copy(struct imap4_buf *out, bool *cr, const char *p, size_t n)
{
	int rc = imap4_buf_reserve(out, n);
	if (rc < 0)
		return rc;
	char *o = out->data + out->len;
	size_t i = *cr && p[0] == '\n' ? 1 : 0;
	while (i < n) {
		if (n - i >= 8) {
			/* o is at most i bytes past the old end: the eight
			 * bytes stored fit in the n reserved */
			uint64_t x, m;
			memcpy(&x, p + i, 8);
			memcpy(o, &x, 8);
			if ((m = control_bits(x)) == 0) {
				i += 8;
				o += 8;
				continue;
			}
			size_t k = imap4_ascii_first(m);
			i += k;
			o += k;
		}
		unsigned char ch = (unsigned char)p[i++];
		if (ch >= 0x20 || ch == '\n' || ch == '\t') {
			*o++ = (char)ch;
		} else if (ch != '\r') {
			*o++ = ' ';
		} else {
			/* CR LF in one step: the pair is a line end, as a
			 * lone CR is */
			*o++ = '\n';
			if (i < n && p[i] == '\n')
				i++;
		}
	}
	*cr = p[n - 1] == '\r';
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int imap4_mime_plain_feed(struct mime_sink *s, bool *cr, const char *p,
                          size_t n)
{
	if (n == 0 || s->cut)
		return plain_runs(s, cr, p, n);
	if (s->part_begun) {
		/* the line ends a part begins with are dropped: the sink's
		 * rules see to them, and to the blank line before the text */
		size_t j = 0;
		while (j < n && (p[j] == '\r' || p[j] == '\n'))
			j++;
		if (j == n)
			return plain_runs(s, cr, p, n);
		int rc = j ? plain_runs(s, cr, p, j) : 0;
		if (rc == 0)
			rc = sink_begin(s);
		if (rc)
			return rc;
		p += j;
		n -= j;
	}
	struct imap4_buf *out = s->out;
	if (s->limit - out->len < n ||
	    (out->cap && (out->cap < out->len || n > out->cap - out->len)))
		return plain_runs(s, cr, p, n);
	return plain_copy(out, cr, p, n);
}
