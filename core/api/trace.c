/* trace.c - the protocol trace handed to the caller's callback.
 *
 * What the server sends is untrusted text that usually ends up in a log or
 * on a terminal: control characters (an ESC starting a terminal sequence, a
 * CR rewriting a log line) are escaped, never passed through (RELIABILITY
 * rule 6) as \r, \n or \xNN. Every other byte is shown as it was sent:
 * a backslash stays one backslash, so that a quoted string with an escaped
 * '\\' or '"' reads as on the wire, which is what someone chasing a
 * quoting problem needs (RFC 3501 section 4.3 allows those two escapes
 * only). The price is that the characters "\r" inside a literal or a flag
 * such as \recent read like an escaped CR; a trace is read by a person,
 * who has the context. Secrets never reach the callback: the encoder marks
 * where the password of LOGIN or the data of AUTHENTICATE starts, and
 * everything from there on is shown as "***".
 */
#include "api/internal.h"

#include <string.h>

/* Longest text handed to the callback; a 20 MB literal is not a trace. */
#define TRACE_MAX 4096

/* Escapes up to n bytes of s into out; returns the bytes written and sets
 * *done to whether all of s fitted. */
static size_t escape(char *out, size_t cap, const char *s, size_t n, bool *done)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	*done = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (o + 5 >= cap)
			return o;
		if (ch == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (ch < 0x20 || ch == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	*done = true;
	return o;
}

void imap4_trace(imap4 *h, char dir, const char *data, size_t len,
                 size_t redact_from)
{
	char out[TRACE_MAX + 16];
	size_t o, shown = len;
	bool redact = redact_from < len, done;

	if (h->opts.trace == NULL)
		return;
	if (redact)
		shown = redact_from;
	else
		while (shown &&
		       (data[shown - 1] == '\n' || data[shown - 1] == '\r'))
			shown--;
	o = escape(out, TRACE_MAX, data, shown, &done);
	if (redact) {
		/* The space before the secret stays, so the line reads
		 * naturally: "A1 LOGIN joe ***". */
		if (o && out[o - 1] != ' ' && shown != 0)
			out[o++] = ' ';
		memcpy(out + o, "***", 3);
		o += 3;
	} else if (!done) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	h->opts.trace(h->opts.trace_payload, dir, out, o);
}
