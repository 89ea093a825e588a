/* reader.h - sans-I/O response reader: bytes in, parsed responses out.
 *
 * The reader frames responses (lines and the {n} / {n+} / ~{n} literals
 * inside them), checks every limit as the bytes arrive, and parses each
 * complete response into an imap4_resp living in its arena. It never
 * touches a socket: the caller feeds whatever it read and pulls responses.
 *
 *	for (;;) {
 *		rc = imap4_reader_next(r, &resp);   // 1: resp ready, 0: more
 *		...                                 // bytes needed, < 0: error
 *		n = read(...);
 *		used = imap4_reader_feed(r, buf, n); // may consume < n
 *	}
 *
 * imap4_reader_feed stops consuming right after the end of a complete
 * response, so the caller hands it the rest after taking the response with
 * imap4_reader_next. That keeps the order of events (a streamed literal of
 * the next response is never delivered before the previous response), and
 * leaves the bytes after a STARTTLS completion with the caller, who must
 * find none (RELIABILITY rule 2).
 */
#ifndef IMAP4_PROTO_READER_H
#define IMAP4_PROTO_READER_H

#include "imap4.h"
#include "util/arena.h"
#include "util/buf.h"

#include <sys/types.h>

/* Where the FETCH item list of the response being framed stands, for
 * telling a body section's value from other literals (reader.c). Run
 * over each line that ends with a literal header, literal data skipped. */
struct imap4_fetch_scan {
	bool fetch; /* "* n FETCH (" began the response, and the
	               item list is still open and in step */
	bool in_atom, in_quote, escape;
	bool name;       /* the atom in progress is a name at depth 1 */
	size_t depth;    /* 1 inside the item list */
	size_t brackets; /* of a name: "[" not yet closed */
	size_t atom_at;  /* offset in `in` of the atom in progress */
	uint64_t tokens; /* names and values done at depth 1 */
	bool section;    /* the last name at depth 1 names a section */
};

/* A literal held in a reader's buffer: the offset in `in` where its data
 * ended, and its announced size. */
struct imap4_held_literal {
	size_t end;
	uint64_t size;
};

struct imap4_reader {
	struct imap4_limits lim;
	struct imap4_buf in;       /* bytes of the response being framed;
	                              streamed literals left out */
	struct imap4_buf streamed; /* size_t offsets in `in` where a
	                              streamed literal's data was */
	struct imap4_buf held;     /* struct imap4_held_literal: where
	                              each literal held in `in` ended */
	struct imap4_arena arena;  /* the parsed response of next() */
	imap4_literal_sink sink;
	void *sink_payload;
	/* framing state, private to reader.c */
	int state;
	size_t line_start; /* offset of the current line in in */
	size_t lit_prefix; /* streamed literal: offset of its
	                      "{" or "~{" in in */
	uint64_t lit_left; /* literal bytes still to come */
	uint64_t lit_total;
	struct imap4_fetch_scan scan;
	int error; /* sticky error, 0 when none */
	/* The first negative return of the sink since the caller last
	 * cleared it, or 0. A failed sink gets no more bytes: the rest of
	 * every streamed literal is read and dropped, so that the stream
	 * stays in step and the command can complete. */
	int sink_error;
	/* What the server did wrong, when error is IMAP4_ELIMIT or
	 * IMAP4_EPROTO ("a literal of 4294967296 bytes, over the limit of
	 * 67108864"); "" otherwise. Printable ASCII: server bytes quoted in it
	 * are escaped. A response the parser refused is said with where it
	 * broke: the byte offset and the length of the response as it came
	 * (streamed literals counted), the bytes on each side of that offset
	 * and how the response began:
	 *   a malformed response (at byte 61 of 64, near "BODY[] {5}\r\nhello"
	 *   ^ "X)\r\n"): "* 1 FETCH (UID 1 BODY[] {5}"
	 * Where it broke right at the end of a literal, the message says so
	 * ("where a literal of 5 bytes ended: its data longer than
	 * announced?"): a literal whose data runs past its {n} leaves its
	 * extra bytes where the grammar wants what follows the literal.
	 * Sized for the longest such message (its bytes 4 characters each);
	 * it fits the handle's message with the command's name before it. */
	char why[384];
};

/* lim may be NULL for the defaults; it is copied. Allocates nothing. */
void imap4_reader_init(struct imap4_reader *r, const struct imap4_limits *lim);
/* Frees what the reader holds; it may be initialised again afterwards. */
void imap4_reader_clear(struct imap4_reader *r);

/* Fills lim with the defaults. */
void imap4_limits_init(struct imap4_limits *lim);

/* Literals larger than lim.stream_threshold that are the value of a body
 * section in a FETCH response (imap4_literal_sink in imap4.h says which)
 * go to sink while set (NULL: none); they are not bound by max_literal
 * nor counted in max_response, since they are never held. Any other
 * literal is held as without a sink. The sink is called from imap4_reader_feed,
 * with info.prefix pointing into the reader (valid during the call). Its
 * negative return is kept in sink_error (see there): the reader goes on;
 * but IMAP4_ELIMIT at a literal's first call (offset 0) takes that
 * literal as without a sink (imap4_literal_sink in imap4.h). */
void imap4_reader_set_sink(struct imap4_reader *r, imap4_literal_sink sink,
                           void *payload);

/* Consumes up to len bytes: the count taken (possibly 0 when a complete
 * response waits for imap4_reader_next), or a negative IMAP4_E code
 * (IMAP4_ELIMIT, IMAP4_EPROTO, IMAP4_ENOMEM). After
 * an error the reader stays failed. Limits are checked as bytes arrive,
 * before the buffer grows: a line (CRLF included) over max_line, a held
 * literal over max_literal, a response over max_response are IMAP4_ELIMIT;
 * NUL in a line, a line not ended by CRLF, a bad literal size (none, or over
 * 64 bits) are IMAP4_EPROTO. A response starting with "+" is one line. */
ssize_t imap4_reader_feed(struct imap4_reader *r, const void *data, size_t len);

/* 1 and *out set when a response is complete, 0 when more bytes are
 * needed, < 0 on error (the parse errors of imap4_parse_response, sticky).
 * The response, its raw bytes and its views are valid until the next call
 * of feed, next or clear. */
int imap4_reader_next(struct imap4_reader *r, const imap4_resp **out);

/* Bytes of a response partly received (0 at a response boundary). */
size_t imap4_reader_pending(const struct imap4_reader *r);

#endif
