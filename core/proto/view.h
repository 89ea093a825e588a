/* view.h - internals shared by the typed views of parsed responses.
 *
 * The views (fetch.c, envelope.c, bodystructure.c, list.c, status.c,
 * search.c, vanished.c, respcode.c) read the imap4_arg tree of a response
 * and build typed structures in the arena of that response, so a view lives
 * exactly as long as the response it was made from. Nothing here allocates
 * outside the arena except the codecs, whose malloc'ed results are copied
 * into the arena and freed before returning.
 *
 * Errors: IMAP4_EPROTO when the server's data does not fit the grammar,
 * IMAP4_ENOMEM when the arena is exhausted (out of memory or its cap).
 */
#ifndef IMAP4_PROTO_VIEW_H
#define IMAP4_PROTO_VIEW_H

#include "imap4.h"
#include "util/arena.h"

/* Body structures nest one list per level; the parser already bounds list
 * depth, this bounds recursion of the view even when a caller raised the
 * parser's limit without bound. */
#define IMAP4_VIEW_MAX_BODY_DEPTH 128

/* Whether arg is an atom equal to name, ignoring ASCII case. */
bool imap4_view_is_atom(const imap4_arg *arg, const char *name);

/* Whether arg is NIL. */
bool imap4_view_is_nil(const imap4_arg *arg);

/* The string of an nstring: a quoted string, a literal held in memory, or
 * (liberally, as some servers send them) an atom. *out is NULL for NIL and
 * for a literal handed to the literal sink. A literal holding NUL comes as
 * a copy in arena with each NUL a space (so the C string keeps all of its
 * text); IMAP4_ENOMEM when that copy fails. A list is IMAP4_EPROTO. */
int imap4_view_nstring(const char **out, struct imap4_arena *arena,
		       const imap4_arg *arg);

/* The strings of a list into a NULL-terminated array in arena: *out has
 * *count entries plus the NULL. atoms_only rejects anything but atoms (FLAGS,
 * mailbox attributes); otherwise atoms, strings and literals held in memory
 * are taken (X-GM-LABELS). Not a list, a child of the wrong kind, or a
 * literal holding NUL (a name that would read as another) is
 * IMAP4_EPROTO. */
int imap4_view_strings(const char *const **out, size_t *count,
		       struct imap4_arena *arena, const imap4_arg *list,
		       bool atoms_only);

/* A mailbox name as sent (modified UTF-7, RFC 3501 5.1.3) decoded to UTF-8
 * in arena; when it does not decode (a name sent as UTF-8 after ENABLE
 * UTF8=ACCEPT, or a server that never encoded it) *out is name itself.
 * A name with a byte above 0x7f is UTF-8 (RFC 6855) and must be valid
 * UTF-8, else IMAP4_EPROTO (*out is then name, not to be used). */
int imap4_view_mailbox(const char **out, struct imap4_arena *arena,
		       const char *name);

/* ENVELOPE (RFC 3501 7.4.2) of arg, a list of exactly ten fields. */
int imap4_envelope_parse(const imap4_envelope **out,
			 struct imap4_arena *arena, const imap4_arg *arg);

/* BODY / BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2) of arg. */
int imap4_body_parse(const imap4_body **out, struct imap4_arena *arena,
		     const imap4_arg *arg);

/* Parses the sequence set in the n bytes at s like imap4_seqset_parse; with
 * allow_star false a "*" is IMAP4_EPROTO (UID sets in COPYUID, APPENDUID,
 * VANISHED and ESEARCH results name real messages). */
int imap4_view_seqset(imap4_seqset *out, struct imap4_arena *arena,
		      const char *s, size_t n, bool allow_star);

#endif
