/* encode.h - sans-I/O builder of IMAP commands.
 *
 * A command is built argument by argument into one buffer. Each argument
 * is typed, and its type decides how it goes on the wire (RFC 3501 4,
 * RFC 9051 4): atoms are validated, strings become an atom, a quoted string
 * or a literal according to their content, and raw text is refused when it
 * holds CR, LF or NUL, so that nothing a caller passes can end the command
 * early and smuggle in another one (RELIABILITY rule 6).
 *
 * The buffer is cut into segments. A segment that ends with a synchronizing
 * literal header "{n}\r\n" must not be followed by the next one before the
 * server's "+" continuation; the sender walks the segments with
 * imap4_cmd_segment().
 *
 * Errors are sticky: the first failing call records its code, later calls
 * do nothing and return it, and imap4_cmd_end() returns it again, so a
 * command is built without checking each step:
 *
 *	imap4_cmd_begin(c, tag, "SELECT");
 *	imap4_cmd_mailbox(c, name);
 *	rc = imap4_cmd_end(c);
 */
#ifndef IMAP4_PROTO_ENCODE_H
#define IMAP4_PROTO_ENCODE_H

#include "imap4.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the server allows, from its capabilities and ENABLE. */
enum imap4_cmd_flags {
	IMAP4_CMD_LITERAL_PLUS = 1u << 0,  /* RFC 7888 LITERAL+ */
	IMAP4_CMD_LITERAL_MINUS = 1u << 1, /* RFC 7888 LITERAL- */
	IMAP4_CMD_UTF8 = 1u << 2, /* ENABLE UTF8=ACCEPT done (RFC 6855) */
};

/* RFC 7888 3: the largest literal LITERAL- allows without "+". */
#define IMAP4_LITERAL_MINUS_MAX 4096

/* A segment: bytes [start, end) of the command buffer. */
struct imap4_cmd_seg {
	size_t end; /* offset just past the segment */
	bool sync;  /* ends with "{n}\r\n": wait for "+" after it */
};

struct imap4_cmd {
	struct imap4_buf buf;       /* the wire bytes */
	struct imap4_cmd_seg *segs; /* segments ending at a sync literal */
	size_t nsegs, asegs;
	unsigned flags;     /* IMAP4_CMD_* */
	int error;          /* sticky: 0 or the first IMAP4_E code */
	size_t redact_from; /* SIZE_MAX, or where the secret part of the
	                       command starts (trace shows "***") */
	bool need_space;    /* an argument precedes: the next one needs
	                       a space before it */
	bool ended;
	size_t text_from; /* where the line after the last literal's
	                     bytes starts */
	const char *why;  /* with error IMAP4_EINVAL: which rule the
	                     argument broke (static), or NULL */
};

/* An empty command; cap bounds the buffer (0: no bound). */
void imap4_cmd_init(struct imap4_cmd *c, size_t cap);

/* Wipes the bytes (commands carry passwords) and frees everything. */
void imap4_cmd_clear(struct imap4_cmd *c);

/* Starts a new command "tag name" (the previous contents are wiped and
 * forgotten). flags are IMAP4_CMD_*. name is validated as an atom. tag may
 * be NULL for a continuation line (an AUTHENTICATE response, DONE), which
 * then starts with the first argument. */
int imap4_cmd_begin(struct imap4_cmd *c, unsigned flags, const char *tag,
                    const char *name);

/* Arguments; each is preceded by a space unless it is the first thing on
 * the line or follows an open parenthesis. */

/* An atom: ATOM-CHARs only (RFC 3501 9), non-empty; else IMAP4_EINVAL. */
int imap4_cmd_atom(struct imap4_cmd *c, const char *s);
/* An astring: an atom when it can be one, else a quoted string when it has
 * no CR, LF or NUL and no 8-bit byte (8-bit allowed after UTF8=ACCEPT),
 * else a literal. */
int imap4_cmd_astring(struct imap4_cmd *c, const char *s);
/* A string that is never sent as an atom: quoted or literal (passwords, so
 * that a server never sees them as a keyword). n bytes at s. */
int imap4_cmd_string(struct imap4_cmd *c, const char *s, size_t n);
/* A quoted string; IMAP4_EINVAL when s cannot be quoted (CR, LF, NUL, or
 * 8-bit without UTF8=ACCEPT). */
int imap4_cmd_quoted(struct imap4_cmd *c, const char *s);
/* A mailbox name given in UTF-8: modified UTF-7 unless UTF8=ACCEPT is on;
 * "INBOX" in any case is sent as INBOX (RFC 3501 5.1); then an astring. */
int imap4_cmd_mailbox(struct imap4_cmd *c, const char *utf8);
/* A LIST pattern: like a mailbox, but the wildcards * and % stay atoms
 * (RFC 3501 list-mailbox). */
int imap4_cmd_pattern(struct imap4_cmd *c, const char *utf8);
/* A literal of n bytes: "{n+}" when LITERAL+ is on, or LITERAL- and n fits
 * IMAP4_LITERAL_MINUS_MAX, else a synchronizing "{n}" ending a segment. */
int imap4_cmd_literal(struct imap4_cmd *c, const void *data, size_t n);
/* Only the header of a literal of size n; the caller appends the n bytes
 * with imap4_cmd_bytes or sends them itself after the last segment. */
int imap4_cmd_literal_header(struct imap4_cmd *c, uint64_t n);
/* Bytes appended as they are (literal contents): no space, no check. */
int imap4_cmd_bytes(struct imap4_cmd *c, const void *data, size_t n);
/* Raw text the caller formatted ("(FLAGS UID)", search criteria);
 * IMAP4_EINVAL when it is empty, holds CR, LF or NUL, or ends with a
 * literal header ("{5}", "{5+}"): the server would wait for bytes that
 * never come, and a literal goes with imap4_cmd_literal. */
int imap4_cmd_raw(struct imap4_cmd *c, const char *s);
/* Same, also IMAP4_EINVAL when the parentheses or the brackets of s,
 * outside its quoted strings, do not pair up, or a quoted string is left
 * open: a flag list left open before APPEND's literal makes the server
 * take the literal into the list and wait. */
int imap4_cmd_raw_balanced(struct imap4_cmd *c, const char *s);
int imap4_cmd_u32(struct imap4_cmd *c, uint32_t n);
int imap4_cmd_u64(struct imap4_cmd *c, uint64_t n);
/* A sequence set (RFC 9051 sequence-set, or "$" of RFC 5182): numbers are
 * non-zero 32-bit, ranges a:b, "*"; IMAP4_EINVAL otherwise. */
int imap4_cmd_seqset(struct imap4_cmd *c, const char *s);
/* The next argument follows the previous one without a space, so that
 * pieces make one argument ("%u" and ":*" give "7:*"). */
void imap4_cmd_glue(struct imap4_cmd *c);
/* "(" and ")" around a list of arguments. */
int imap4_cmd_open(struct imap4_cmd *c);
int imap4_cmd_close(struct imap4_cmd *c);
/* NIL. */
int imap4_cmd_nil(struct imap4_cmd *c);

/* Ends the current segment without waiting for "+": the sender may insert
 * bytes of its own there (the contents of a streamed literal). A no-op
 * right after a synchronizing literal, which ended one already. */
int imap4_cmd_cut(struct imap4_cmd *c);

/* Marks everything added from now to the end of the line as secret: the
 * trace shows it as "***". */
void imap4_cmd_secret(struct imap4_cmd *c);

/* Ends the command with CRLF. 0, or the sticky error; IMAP4_EINVAL when
 * the line would end with a literal header that no imap4_cmd_literal*
 * wrote (pieces glued into "{5}"). */
int imap4_cmd_end(struct imap4_cmd *c);

/* Segment i of the command: *data and *len, and whether the sender must
 * wait for "+" after it. false when i is past the last segment. Valid after
 * imap4_cmd_end succeeded. */
bool imap4_cmd_segment(const struct imap4_cmd *c, size_t i, const char **data,
                       size_t *len, bool *sync);

/* Validators usable without a command. */
bool imap4_is_atom(const char *s);
bool imap4_is_seqset(const char *s);
/* Whether s is flags for APPEND or STORE: "(\\Seen $Label)", "()", or the
 * same without the parentheses. */
bool imap4_is_flag_list(const char *s);
/* Whether s (n bytes) may be sent raw: no CR, LF or NUL. */
bool imap4_is_raw_safe(const char *s, size_t n);
/* Whether s (n bytes) ends with "{N}" or "{N+}". */
bool imap4_ends_with_literal(const char *s, size_t n);
/* Whether the parentheses and brackets of s pair up outside quoted
 * strings, and every quoted string ends (see imap4_cmd_raw_balanced). */
bool imap4_is_balanced(const char *s);

/* imaplib's MapCRLF for APPEND: every CRLF, lone CR and lone LF of
 * in[0..n) becomes CRLF in out, which has room for 2 * n bytes; returns
 * the bytes written. *cr carries a CR from one piece to the next: false
 * before the first, it says that the piece before ended with a CR (whose
 * CRLF is written already), so that an LF that starts this one is its. */
size_t imap4_crlf_map(char *out, const char *in, size_t n, bool *cr);
/* The length of in[0..n) after imap4_crlf_map. */
uint64_t imap4_crlf_size(const char *in, size_t n);

#endif
