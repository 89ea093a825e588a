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

#endif
