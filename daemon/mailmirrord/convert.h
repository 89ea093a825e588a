/* convert.h - from libimap4's typed FETCH data to the cache's plain rows.
 *
 * The only daemon file besides sync.c that knows both worlds: it decodes
 * the envelope (RFC 2047 words to UTF-8, address lists to "Name <addr>"),
 * parses the Date: header and joins the flags, so that store.c stays free
 * of IMAP types.
 *
 * Every string it produces is valid UTF-8 without NUL, as the cache's TEXT
 * columns promise (schema.md), whatever the server sent: raw 8-bit bytes
 * (in the header block, the envelope's strings, flags) are kept where they
 * are valid UTF-8 and read as windows-1252 otherwise, a NUL becomes
 * U+FFFD.
 */
#ifndef MAILMIRRORD_CONVERT_H
#define MAILMIRRORD_CONVERT_H

#include "imap4.h"
#include "mailmirrord/store.h"

#include <stdint.h>

/* A message's stored body and the block that holds its strings. */
struct conv_body {
	struct store_body b; /* b.uid 0: the FETCH carried no body */
	char *block;
	size_t bytes;
};

/* A row and the strings it points to, owned in one block: it outlives the
 * response it came from. conv_clear() frees it and the body. */
struct conv_msg {
	struct store_msg row;
	char *text;   /* every string of row, NUL-separated; may be NULL */
	size_t bytes; /* what the strings take */
	struct conv_body body;
	unsigned flags_dropped; /* keywords past STORE_FLAGS_MAX, left out */
	bool headerless; /* a row without an envelope: its header came as NIL
	                    or not at all (conv_bare) */
};

/* Fills out->row from msg, and out->body when msg carries a body section
 * and body_cap is not 0 (conv_body; 0: the FETCH asked for no body, and a
 * header a server sent instead of the fields asked for is no body). The
 * envelope is the server's ENVELOPE or, without one, built
 * from the header section msg carries (conv_header_section), whole fields
 * only (a partial fetch may end in one; IMAP4_ENVELOPE_FIELDS_MAX bytes of
 * them at most); scratch (an arena of the caller's) holds it meanwhile and
 * is reset. 0, or -1 out of memory. Fields the
 * FETCH did not carry are left NULL / STORE_NO_TIME / -1. */
int conv_msg(struct conv_msg *out, const imap4_msg *msg,
             struct imap4_arena *scratch, uint64_t body_cap);
void conv_clear(struct conv_msg *c);

/* A row of uid without an envelope, of what a server told of it (flags
 * NULL, size -1, internaldate STORE_NO_TIME, modseq 0: not told); flags
 * is copied. 0, or -1 out of memory. */
int conv_bare(struct conv_msg *out, uint32_t uid, const char *flags,
              int64_t size, int64_t internaldate, uint64_t modseq);

/* The section of msg that holds its header: BODY[HEADER.FIELDS (...)]
 * first, else BODY[HEADER] or BODY[] (partial or not); NULL for none. */
const imap4_section *conv_header_section(const imap4_msg *msg);

/* Whether msg carries what makes a row: an ENVELOPE or a header section,
 * even one the server sent as NIL (a FETCH of new messages, not news of
 * flags). */
bool conv_carries_row(const imap4_msg *msg);
/* Whether such a row's header came only as NIL, or empty for a message
 * whose RFC822.SIZE is not 0: a row without an envelope. */
bool conv_header_refused(const imap4_msg *msg);

/* Takes the body section msg carries (BODY[], a partial BODY[]<0>, or
 * BODY[HEADER]) into out: its header block and, for a whole message, its
 * text. A partial section is marked truncated when it holds all that was
 * asked for (cap bytes: <0.cap>) and less than the message's RFC822.SIZE:
 * a server that sent less than cap sent the whole message, whatever size
 * it claims (hosted Exchange's RFC822.SIZE has been three times the
 * message's). A partial BODY[HEADER] is truncated when it holds cap
 * bytes without the empty line that ends a header. A section longer than
 * cap (a server that ignored the partial fetch) is cut to cap and taken as
 * that partial answer. 1 when taken, 0 when msg has no such section (or
 * the library streamed it away), -1 out of memory. */
int conv_body(struct conv_body *out, const imap4_msg *msg, uint64_t cap);
void conv_body_clear(struct conv_body *b);

/* The flags of msg, space-separated, in a malloc'ed string ("" for
 * none), or NULL out of memory. Past STORE_FLAGS_MAX bytes, keywords are
 * left out (the system flags kept), and counted in *dropped. */
char *conv_flags(const imap4_msg *msg, unsigned *dropped);

/* An address list as "Name <local@host>, ..." with names decoded, groups
 * as "Group: a <x>, b <y>;". malloc'ed, NULL for an empty list or out of
 * memory. */
char *conv_addresses(const imap4_address *list);

#endif
