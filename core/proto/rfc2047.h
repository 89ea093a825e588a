/* rfc2047.h - the RFC 2047 decoder in the form that appends to a buffer.
 *
 * imap4_rfc2047_decode() (imap4.h) returns a fresh string per call; a
 * caller that assembles many decoded fields into one block (the daemon
 * converts a whole envelope into one allocation) uses this form instead.
 * Internal to libimap4 and its in-tree users.
 */
#ifndef IMAP4_PROTO_RFC2047_H
#define IMAP4_PROTO_RFC2047_H

#include "util/buf.h"

#include <stddef.h>

/* Appends the decoded UTF-8 text of s[0..len) to out, without a NUL.
 * 0; IMAP4_EINVAL (s NULL with len > 0), IMAP4_ENOMEM or IMAP4_ELIMIT,
 * and then out is as it was before the call. */
int imap4_rfc2047_decode_append(struct imap4_buf *out, const char *s,
                                size_t len);

/* The decoder's working buffers, kept between calls by a caller that
 * decodes many fields (the daemon, every name of an envelope), so that a
 * field with an encoded-word costs no malloc and free of its own. The
 * struct is the caller's, its fields private; it holds no state from one
 * call to the next, only storage. */
struct imap4_rfc2047_scratch {
	struct imap4_buf bytes, spare, conv, raw;
};

void imap4_rfc2047_scratch_init(struct imap4_rfc2047_scratch *sc);

/* Frees the storage; the scratch may then be used again. */
void imap4_rfc2047_scratch_clear(struct imap4_rfc2047_scratch *sc);

/* imap4_rfc2047_decode_append() with the buffers of sc. */
int imap4_rfc2047_decode_scratch(struct imap4_buf *out,
                                 struct imap4_rfc2047_scratch *sc,
                                 const char *s, size_t len);

/* A header value's text in UTF-8, as imap4_header_decode() (imap4.h)
 * reads it, appended to out (without a NUL) with the buffers of sc. As
 * imap4_rfc2047_decode_append(). */
int imap4_header_decode_scratch(struct imap4_buf *out,
                                struct imap4_rfc2047_scratch *sc, const char *s,
                                size_t len, const char *charset);

#endif
