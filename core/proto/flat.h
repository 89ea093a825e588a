/* flat.h - a stretch of a framed response as one line of text.
 *
 * A response code's text, a greeting, the value imap4_response() keeps
 * for a status response: each is a stretch of the raw response, and a
 * literal in it brings its "{n}\r\n" header and whatever bytes its data
 * holds. Callers print such text and log it; they get it with every
 * literal written as the quoted string of its data (util/quote.h), and
 * no CR, LF or NUL anywhere.
 */
#ifndef IMAP4_PROTO_FLAT_H
#define IMAP4_PROTO_FLAT_H

#include <stdbool.h>
#include <stddef.h>

/* The response a stretch lies in, as imap4_resp_parse takes it: its
 * first byte, and the offsets from it of the literals whose data went to
 * a sink (none in data). */
struct imap4_flat {
	const char *base;
	const size_t *streamed;
	size_t nstreamed;
};

struct imap4_flat_literal {
	const char *start; /* its "{", or the "~" of "~{" */
	const char *data;  /* just after its "}\r\n" */
	size_t len;        /* bytes of its data in the stretch: 0 when
	                      streamed, fewer than announced when the
	                      stretch ends inside it */
};

/* The first literal in [p, end), which must start outside any literal's
 * data; a literal is where the reader framed one, a line that ends with
 * "{n}" or "{n+}". false when there is none. */
bool imap4_flat_find(struct imap4_flat_literal *out, const struct imap4_flat *f,
                     const char *p, const char *end);

/* Writes [p, end) as text into dst: each literal as the IMAP quoted
 * string of its data ("" when streamed), and any other CR, LF or NUL as a
 * space. dst NULL only measures; dst is not NUL-terminated. Returns the
 * length, at most twice end - p. */
size_t imap4_flat_write(char *dst, const struct imap4_flat *f, const char *p,
                        const char *end);

#endif
