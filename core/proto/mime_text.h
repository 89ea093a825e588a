/* mime_text.h - the readable text of a MIME message, for the daemon's body
 * cache and its full-text index. Internal to libimap4 and its in-tree
 * users (sans-I/O: bytes in, text out).
 *
 * What a mail reader would show, as UTF-8: the inline text parts
 * (transfer encoding and charset decoded, HTML reduced to text,
 * format=flowed unwrapped), of a multipart/alternative only the best part
 * (text/plain, else text/html, else the first; a text/plain part that is
 * empty or much shorter than the HTML's text gives way to it) and the
 * names of the attachments in the others, the
 * From and Subject of attached messages (also when sent in base64), and
 * the file name of every attachment and every non-text part, whose
 * content is skipped, not decoded. Parts are separated by a blank line;
 * the message's own header block is not part of the text. Lines end in
 * LF. Characters a reader does not show and that would split a word for
 * a search (soft hyphen, zero-width space and joiners, U+FEFF) are left
 * out.
 *
 * The message is untrusted and need not be valid: what cannot be
 * understood is read as text/plain in UTF-8 (else windows-1252), and so
 * are a multipart whose boundary never comes, text in an unknown charset
 * and raw 8-bit header bytes. Entities nested deeper than 32 levels are
 * skipped. Time is linear in len (a multipart/alternative's chosen parts
 * are read twice); memory beyond out is a small multiple of the larger of
 * 64 KiB and the longest line of a text part, plus, for a message/rfc822
 * part sent in base64 or quoted-printable, its decoded form (one at a
 * time, no longer than the part; of such a message inside it, only the
 * first 64 KiB, for its From and Subject), and is freed before the call
 * returns.
 * Thread-safe: no state outside the call.
 */
#ifndef IMAP4_PROTO_MIME_TEXT_H
#define IMAP4_PROTO_MIME_TEXT_H

#include "util/buf.h"

#include <stddef.h>

/* Appends the text of msg[0..len) (a whole message as BODY[] returns it:
 * header, empty line, body; CRLF or LF line ends; not NUL-terminated) to
 * out. The text is valid UTF-8 without NUL, at most max_out bytes long (0
 * means no limit), cut on a character boundary when longer.
 *
 * 0, or 1 when the text was cut at max_out; IMAP4_EINVAL (out NULL, or
 * msg NULL with len > 0), IMAP4_ENOMEM, or IMAP4_ELIMIT (out's own cap),
 * and then out is as it was before the call. Never an error for what the
 * message holds. */
int imap4_mime_text(struct imap4_buf *out, const char *msg, size_t len,
                    size_t max_out);

/* imap4_mime_text() for msg[0..len) that is only the start of a message:
 * a partial fetch (BODY[]<0.n>) cut it at len, not the message's end.
 * What the cut leaves unfinished in the part it falls in is dropped, not
 * written as text: a quoted-printable escape ("=C" of "=C3"), a character
 * whose bytes the cut split (no U+FFFD for it), an HTML tag or character
 * reference ("<", "&eac"), the start of a boundary line, and a part's
 * header line cut before its colon (else read as its text). Same results
 * otherwise; that the text is cut is for the caller to say. */
int imap4_mime_text_partial(struct imap4_buf *out, const char *msg, size_t len,
                            size_t max_out);

#endif
