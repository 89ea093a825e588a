/* resp.h - internal entry points of the response parser.
 *
 * The public imap4_parse_response() (imap4.h) copies its input into the
 * arena and calls imap4_resp_parse(); the reader (reader.h) calls it on its
 * own buffer, with the offsets of the literals it streamed to a sink. These
 * functions are sans-I/O and allocate only from the arena they are given,
 * so a failure leaves nothing to free: the caller resets the arena.
 */
#ifndef IMAP4_PROTO_RESP_H
#define IMAP4_PROTO_RESP_H

#include "imap4.h"
#include "util/arena.h"

/* Parses one complete response: data[0..len) must end with CRLF and hold
 * every literal the lines announce, except those whose data offsets (the
 * offset just after the literal's "{n}\r\n", ascending) are listed in
 * streamed: those became streamed arguments with no bytes in data.
 *
 * The response and every string of its tree are allocated from arena; raw
 * points at data itself, which must therefore outlive the response. Limits
 * applied: lim->max_depth (list nesting), lim->max_args (every argument node
 * of the response, code arguments included) and lim->max_literal.
 *
 * 0 and *out set, or IMAP4_EPROTO (grammar), IMAP4_ELIMIT, IMAP4_ENOMEM
 * (arena exhausted or over its cap) with *out NULL.
 *
 * stop, when not NULL, receives the offset in data where parsing stopped:
 * on IMAP4_EPROTO or IMAP4_ELIMIT the byte refused, or the start of the
 * token that could not be taken (a literal whose data is not there is
 * refused at its "{"; a second response glued to this one at the CRLF
 * that ends the first); len when data does not end with CRLF, and len on
 * success. */
int imap4_resp_parse(const imap4_resp **out, size_t *stop,
                     struct imap4_arena *arena, const char *data, size_t len,
                     const struct imap4_limits *lim, const size_t *streamed,
                     size_t nstreamed);

/* What parsing one response may take from its arena at worst, with lim:
 * its strings, at most three times its bytes (a status response keeps
 * its text and the text of its code besides the code's arguments, and
 * that text writes a literal as a quoted string, escapes doubling it at
 * worst); per node (an argument, an open list's frame, the response
 * itself and the few strings every response has) IMAP4_PARSE_NODE_COST;
 * and 128 kB for the parser's
 * last arena pieces, partly used. Measured on LP64: an imap4_arg is 48
 * bytes, its string's NUL and rounding add 8, so 56; the other 8 are a
 * margin for the unused ends of the full pieces. SIZE_MAX when that does
 * not fit a size_t. */
#define IMAP4_PARSE_NODE_COST (sizeof(imap4_arg) + 16)
size_t imap4_resp_parse_cap(const struct imap4_limits *lim);

/* Deep copy of src into dst: the response, raw, every string and argument
 * node. The command layer keeps a command's untagged data this way while the
 * reader's arena moves on. *out lives until dst is reset or cleared. 0, or
 * IMAP4_ENOMEM (dst exhausted or over its cap; *out NULL, the partial copy
 * stays in dst until its reset). */
int imap4_resp_copy(const imap4_resp **out, struct imap4_arena *dst,
                    const imap4_resp *src);

#endif
