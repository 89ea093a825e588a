/* utf8.h - strict UTF-8 helpers shared by the codecs (mutf7.c, rfc2047.c).
 *
 * "Strict" is RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF),
 * nothing above U+10FFFF. Internal to libimap4.
 */
#ifndef IMAP4_PROTO_UTF8_H
#define IMAP4_PROTO_UTF8_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether cp is one of the characters that a reader does not show and
 * that a search index's tokenizer takes for a word separator: U+00AD SOFT
 * HYPHEN, U+200B ZERO WIDTH SPACE, U+200C and U+200D (non-joiner, joiner),
 * U+2060 WORD JOINER and U+FEFF (a byte order mark, or the old word
 * joiner). The text extractor leaves them out, so that a word they sit in
 * ("Donau\u00addampf") stays one word. */
static inline bool imap4_utf8_invisible(uint32_t cp)
{
	return cp == 0xad || (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 ||
	       cp == 0xfeff;
}

/* Decodes the sequence at s (len bytes available, len > 0) into *cp.
 * Returns its length (1..4), or 0 when the bytes at s do not start a valid
 * sequence (then *cp is untouched). */
size_t imap4_utf8_decode(uint32_t *cp, const unsigned char *s, size_t len);

/* Whether the len bytes at s are valid UTF-8 (strict, as above). */
bool imap4_utf8_valid(const void *s, size_t len);

/* Writes the UTF-8 form of cp (a scalar value, not a surrogate) to u and
 * returns its length, 1..4. */
size_t imap4_utf8_encode(char u[4], uint32_t cp);

/* Appends the UTF-8 form of cp (a scalar value, not a surrogate) to b.
 * 0, or IMAP4_ENOMEM / IMAP4_ELIMIT from the buffer. */
int imap4_utf8_put(struct imap4_buf *b, uint32_t cp);

/* Appends len bytes of s to b, each invalid sequence and each NUL byte
 * replaced by U+FFFD, so that b holds valid UTF-8 text usable as a C
 * string. 0, or IMAP4_ENOMEM / IMAP4_ELIMIT. */
int imap4_utf8_append_sanitized(struct imap4_buf *b, const void *s, size_t len);

#endif
