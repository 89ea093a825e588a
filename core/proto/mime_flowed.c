/* mime_flowed.c - format=flowed text/plain (RFC 3676) unwrapped, so that a
 * word its sender's mail client cut at a soft line break is one word again
 * for the search index, and a paragraph is one line for the reader.
 *
 * RFC 3676 as a receiver reads it: a line that ends in a space is flowed,
 * and the next line, if it has the same quote depth, continues it (4.1,
 * 4.2); with DelSp=yes that space was added by the sender and goes, else
 * it stays between the words. The signature separator "-- " is never
 * flowed (4.3). After the quote marks, a space is stuffing and goes
 * (4.4). A line's ">" marks (4.5) are kept, followed by one space, at
 * the start of its paragraph only; a flowed line followed by a line of
 * another depth ends its paragraph.
 *
 * Bytes come in pieces cut anywhere. The only ones that need what follows
 * them are a line's trailing space and CR (is the line flowed?): at the
 * end of a piece they wait in the state's carry.
 */
#include "proto/mime_internal.h"

#include "imap4.h"

#include <string.h>

/* Deeper quoting is shown at this depth: the marks are written again at
 * the start of each paragraph, and the bound keeps that within what was
 * read. */
#define QUOTE_MAX 64

void imap4_mime_flowed_init(struct mime_flowed *f, bool delsp)
{
	memset(f, 0, sizeof(*f));
	f->delsp = delsp;
	f->bol = true;
}

/* The line's quote marks are read and its content begins. */
static int begin_line(struct mime_flowed *f, struct imap4_buf *out)
{
	int rc = 0;

	if (!f->joining || f->depth != f->prev) {
		if (f->joining)
			rc = imap4_buf_putc(out, '\n');
		for (unsigned i = 0; i < f->depth && rc == 0; i++)
			rc = imap4_buf_putc(out, '>');
		if (rc == 0 && f->depth)
			rc = imap4_buf_putc(out, ' ');
	}
	f->joining = false;
	f->bol = false;
	f->len = 0;
	return rc;
}

/* At the LF of a line whose content ends out[from..): the bytes of the
 * content that are still in out (a piece may have taken the rest). */
static int end_line(struct mime_flowed *f, struct imap4_buf *out, size_t from)
{
	size_t n = f->len;
	bool flowed = false;

	if (n > 0 && out->len > from && out->data[out->len - 1] == '\r') {
		out->len--;
		n--;
	}
	if (n > 0 && out->len > from && out->data[out->len - 1] == ' ')
		flowed = !(n == 3 && memcmp(f->head, "-- ", 3) == 0);
	f->bol = true;
	f->prev = f->depth;
	f->depth = 0;
	f->joining = flowed;
	if (!flowed)
		return imap4_buf_putc(out, '\n');
	if (f->delsp)
		out->len--;
	return 0;
}

int imap4_mime_flowed_feed(struct mime_flowed *f, struct imap4_buf *out,
                           const char *p, size_t n)
{
	size_t i = 0, from = out->len;
	int rc = 0;

	if (f->carry_len) {
		rc = imap4_buf_append(out, f->carry, f->carry_len);
		f->carry_len = 0;
	}
	while (i < n && rc == 0) {
		if (f->bol) {
			while (i < n && p[i] == '>') {
				f->depth += f->depth < QUOTE_MAX;
				i++;
			}
			if (i == n)
				break;
			if ((rc = begin_line(f, out)) != 0)
				break;
			from = out->len;
			if (p[i] == ' ')
				i++;
			continue;
		}
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		for (size_t k = i; k < e && f->len + (k - i) < sizeof(f->head);
		     k++)
			f->head[f->len + (k - i)] = p[k];
		f->len += e - i;
		rc = imap4_buf_append(out, p + i, e - i);
		i = e;
		if (rc == 0 && nl) {
			rc = end_line(f, out, from);
			i++;
		}
	}
	if (rc == 0 && !f->bol) {
		/* a space or CR that ends the piece may end the line */
		const char *d = out->data;
		size_t k = 0, len = out->len;
		if (len - k > from && d[len - k - 1] == '\r')
			k++;
		if (len - k > from && d[len - k - 1] == ' ')
			k++;
		if (k) {
			memcpy(f->carry, d + len - k, k);
			f->carry_len = (unsigned)k;
			out->len -= k;
			out->data[out->len] = '\0';
		}
	}
	return rc;
}

int imap4_mime_flowed_finish(struct mime_flowed *f, struct imap4_buf *out)
{
	int rc = 0;
	if (f->bol && f->depth)
		rc = begin_line(f, out);
	if (rc == 0 && f->carry_len)
		rc = imap4_buf_append(out, f->carry, f->carry_len);
	f->carry_len = 0;
	return rc;
}
